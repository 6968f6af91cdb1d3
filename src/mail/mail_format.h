/*
 * mail_format.h - building Internet mail (RFC 5322 headers, MIME bodies).
 *
 * Pure functions over strings: no I/O, no store, no clock.  Everything they
 * return lives in the caller's arena.  The outbox uses them to turn a stored
 * mail into the bytes sent after SMTP DATA; domain code uses html_escape()
 * for whatever a person typed that goes into an HTML body.
 *
 * SECURITY: addresses, names and subjects may come from the network.  A
 * header value is never written with a CR or LF in it (the validators below
 * refuse them, and header text is re-encoded, never copied raw when it is
 * not plain printable ASCII), so no input can add a header or a recipient.
 */
#ifndef KITE_MAIL_MAIL_FORMAT_H
#define KITE_MAIL_MAIL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

enum {
    MAIL_ADDRESS_MAX = 254,  /* bytes of one addr-spec (RFC 5321 path limit less the brackets) */
    MAIL_SUBJECT_MAX = 998,  /* bytes of a subject, before encoding */
    MAIL_DATE_LEN = 32,      /* "Sat, 22 Nov 2025 06:21:09 +0000" and the NUL */
    MAIL_LINE_MAX = 76,      /* encoded lines are at most this long */
};

/* A copy of s with & < > " ' replaced by character references; NULL gives "". */
char *html_escape(arena *a, const char *s);

/*
 * True when addr is one bare address "local@domain": valid UTF-8, at most
 * MAIL_ADDRESS_MAX bytes, exactly one @ with something on both sides, and no
 * space, control character (CR, LF, ...), or < > , ; " -- so never a list,
 * never a display name, never a second header line.
 */
bool mail_address_valid(const char *addr);

/* True when s is valid UTF-8 of at most max bytes without control characters (one header line). */
bool mail_line_valid(const char *s, size_t max);

/*
 * Splits a mailbox "Display Name <local@domain>" (or a bare "local@domain")
 * into its parts, in the arena: *name is "" when there is none (surrounding
 * double quotes are removed), *addr is the address, *domain what follows
 * its @.  KITE_ERR_INVALID_FIELD when it is not one valid mailbox.
 */
kite_err mail_mailbox_parse(arena *a, const char *mailbox, const char **name, const char **addr,
                            const char **domain) KITE_WUR;

/* True when s is a Content-Language value Kite writes: "en", "es" or "en, es". */
bool mail_lang_valid(const char *s);

/* Base64 (RFC 4648, with padding, no line breaks) of len bytes; libsodium's encoder. */
char *mail_base64(arena *a, const void *data, size_t len);

/*
 * Quoted-printable (RFC 2045 6.7) of text: line breaks (LF or CRLF) become
 * CRLF; bytes outside printable ASCII, "=", white space at the end of a line
 * and a "." or "From " starting a line are encoded; lines are soft-broken so
 * that none is longer than MAIL_LINE_MAX.  The result never contains "=_",
 * which is what makes the MIME boundaries of mail_format() safe.
 */
char *mail_quoted_printable(arena *a, const char *text);

/*
 * The value of an unstructured header such as Subject, for a line on which
 * `used` characters ("Subject: ") come first: text as it is when it is
 * short printable ASCII, otherwise RFC 2047 encoded-words (UTF-8, base64),
 * each of whole characters, folded (CRLF SP) to keep lines within
 * MAIL_LINE_MAX.  text must satisfy mail_line_valid().
 */
char *mail_header_text(arena *a, const char *text, size_t used);

/*
 * A display name for a mailbox header (From, To) on a line where `used`
 * characters come first: as it is when it is only atoms ("Ann Lee"), in
 * double quotes when it is other printable ASCII without " or \ ("Lee,
 * Ann"), otherwise RFC 2047 encoded-words (accents, emoji, quotes), so a
 * comma in a name never splits it into two addresses.  name must satisfy
 * mail_line_valid().
 */
char *mail_header_phrase(arena *a, const char *name, size_t used);

/* RFC 5322 date-time in UTC, e.g. "Sat, 22 Nov 2025 06:21:09 +0000". */
void mail_date(int64_t epoch_ms, char out[MAIL_DATE_LEN]);

/* "<kite-outbox-ID.CREATED_MS@DOMAIN>": stable for a mail, so a resend can be recognised. */
char *mail_message_id(arena *a, int64_t id, int64_t created_ms, const char *domain);

typedef struct mail_message {
    const char *from;    /* mailbox: "Kite <no-reply@kite.example>" or "no-reply@kite.example" */
    const char *to;      /* one bare address (mail_address_valid) */
    const char *subject; /* one line, UTF-8 (mail_line_valid) */
    const char *text;    /* plain-text body, UTF-8 */
    const char *html;    /* HTML body, UTF-8 */
    int64_t id;          /* outbox id: Message-ID and MIME boundary */
    int64_t created_ms;  /* Date, Message-ID and MIME boundary */
    const char *lang;    /* Content-Language (mail_lang_valid), or NULL for none */
} mail_message;

/*
 * The whole message as sent after SMTP DATA (before dot-stuffing, which the
 * SMTP client does): CRLF line endings, From, To, Subject, Date, Message-ID,
 * MIME-Version, Auto-Submitted, Content-Language (when lang is given), and a multipart/alternative body with a
 * text/plain and a text/html part, both UTF-8 and quoted-printable.  The
 * same mail always formats to the same bytes.  KITE_ERR_INVALID_FIELD when
 * from, to, subject or lang is not valid; *out and *len are then untouched.
 */
kite_err mail_format(arena *a, const mail_message *m, const char **out, size_t *len) KITE_WUR;

#endif
