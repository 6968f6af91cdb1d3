/*
 * mail_format.c - building Internet mail (RFC 5322 headers, MIME bodies).
 *
 * SECURITY: see mail_format.h.  Header values reach the output only through
 * the validators (no control characters at all) or re-encoded as RFC 2047
 * encoded-words; bodies only quoted-printable, whose alphabet cannot form a
 * MIME boundary ("=_") or a lone "." line.
 *
 * Why not libcurl's curl_mime: the same mail must format to the same bytes
 * (boundary and Message-ID derive from the outbox id, so a resend after a
 * crash is recognisably the same mail, and the tests check the bytes of
 * this pure function), while curl_mime draws a random boundary on every
 * transfer and produces its bytes only inside one.  The top-level headers
 * Kite needs (RFC 2047 From name and Subject, Date, Message-ID,
 * Auto-Submitted) would still be built here, so it would save little.
 * Base64, where curl offers nothing public, is libsodium's.
 */
#include "mail/mail_format.h"

#include "core/alloc.h"
#include "core/text.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a growing byte buffer (heap while building, handed over to the arena) ---- */

typedef struct strbuf {
    char *data;
    size_t len, cap;
} strbuf;

static void sb_grow(strbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

static void sb_add(strbuf *b, const char *s, size_t n)
{
    sb_grow(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void sb_str(strbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_char(strbuf *b, char c)
{
    sb_add(b, &c, 1);
}

/* Moves the buffer into the arena; *len (when not NULL) receives its length. */
static char *sb_finish(strbuf *b, arena *a, size_t *len)
{
    char *out = arena_alloc(a, b->len + 1);
    if (b->len > 0)
        memcpy(out, b->data, b->len);
    out[b->len] = '\0';
    if (len != NULL)
        *len = b->len;
    free(b->data);
    memset(b, 0, sizeof *b);
    return out;
}

/* ---- escaping and validation ---- */

char *html_escape(arena *a, const char *s)
{
    strbuf b = {0};
    sb_grow(&b, 0);
    for (; s != NULL && *s; s++) {
        switch (*s) {
        case '&': sb_str(&b, "&amp;"); break;
        case '<': sb_str(&b, "&lt;"); break;
        case '>': sb_str(&b, "&gt;"); break;
        case '"': sb_str(&b, "&quot;"); break;
        case '\'': sb_str(&b, "&#39;"); break;
        default: sb_char(&b, *s); break;
        }
    }
    return sb_finish(&b, a, NULL);
}

bool mail_address_valid(const char *addr)
{
    if (addr == NULL)
        return false;
    size_t len = strlen(addr);
    const char *at = strchr(addr, '@');
    if (len < 3 || len > MAIL_ADDRESS_MAX || !utf8_valid(addr, len) || at == NULL || at == addr ||
        at[1] == '\0' || strchr(at + 1, '@') != NULL)
        return false;
    for (const char *p = addr; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c == 0x7F || strchr("<>,;\"", c) != NULL)
            return false;
    }
    return true;
}

bool mail_line_valid(const char *s, size_t max)
{
    if (s == NULL)
        return false;
    size_t len = strlen(s);
    if (len > max || !utf8_valid(s, len))
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7F)
            return false;
    return true;
}

bool mail_lang_valid(const char *s)
{
    /* A fixed list, not a grammar: the header is written as stored, so only known values may reach it. */
    return s != NULL && (strcmp(s, "en") == 0 || strcmp(s, "es") == 0 || strcmp(s, "en, es") == 0);
}

static const char *trim(arena *a, const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return arena_strndup(a, s, n);
}

kite_err mail_mailbox_parse(arena *a, const char *mailbox, const char **name, const char **addr,
                            const char **domain)
{
    if (!mail_line_valid(mailbox, 2 * MAIL_ADDRESS_MAX))
        return KITE_ERR_INVALID_FIELD;
    const char *lt = strchr(mailbox, '<');
    const char *n = "", *ad;
    if (lt == NULL) {
        ad = trim(a, mailbox, strlen(mailbox));
    } else {
        const char *gt = strchr(lt, '>');
        if (gt == NULL || strchr(gt + 1, '<') != NULL || trim(a, gt + 1, strlen(gt + 1))[0] != '\0')
            return KITE_ERR_INVALID_FIELD;
        ad = arena_strndup(a, lt + 1, (size_t)(gt - lt - 1));
        n = trim(a, mailbox, (size_t)(lt - mailbox));
        size_t nl = strlen(n);
        if (nl >= 2 && n[0] == '"' && n[nl - 1] == '"')
            n = arena_strndup(a, n + 1, nl - 2);
        if (strchr(n, '"') != NULL || strchr(n, '\\') != NULL)
            return KITE_ERR_INVALID_FIELD; /* keep it simple: no escapes inside the name */
    }
    if (!mail_address_valid(ad))
        return KITE_ERR_INVALID_FIELD;
    *name = n;
    *addr = ad;
    *domain = strchr(ad, '@') + 1;
    return KITE_OK;
}

/* ---- encodings ---- */

/* libsodium's encoder (RFC 4648 alphabet, with padding): one less hand-written codec to trust. */
static void sb_base64(strbuf *b, const unsigned char *p, size_t len)
{
    size_t size = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL); /* with the NUL */
    sb_grow(b, size);
    sodium_bin2base64(b->data + b->len, size, p, len, sodium_base64_VARIANT_ORIGINAL);
    b->len += size - 1;
}

char *mail_base64(arena *a, const void *data, size_t len)
{
    strbuf b = {0};
    sb_grow(&b, 0);
    sb_base64(&b, data, len);
    return sb_finish(&b, a, NULL);
}

static bool qp_literal(unsigned char c)
{
    return c >= 33 && c <= 126 && c != '=';
}

char *mail_quoted_printable(arena *a, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    strbuf b = {0};
    sb_grow(&b, 0);
    size_t col = 0; /* characters on the current output line */
    bool line_start = true;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n' || (p[0] == '\r' && p[1] == '\n')) {
            if (*p == '\r')
                p++;
            sb_str(&b, "\r\n");
            col = 0;
            line_start = true;
            continue;
        }
        bool at_line_end = p[1] == '\0' || p[1] == '\n' || (p[1] == '\r' && p[2] == '\n');
        bool literal = qp_literal(*p) || ((*p == ' ' || *p == '\t') && !at_line_end);
        if (line_start && (*p == '.' || strncmp((const char *)p, "From ", 5) == 0))
            literal = false;
        line_start = false;
        size_t width = literal ? 1 : 3;
        /* Room for the token and, unless the line ends right after it, a soft break "=". */
        if (col + width > MAIL_LINE_MAX - (at_line_end ? 0 : 1)) {
            sb_str(&b, "=\r\n");
            col = 0;
        }
        if (literal) {
            sb_char(&b, (char)*p);
        } else {
            char enc[3] = {'=', hex[*p >> 4], hex[*p & 15]};
            sb_add(&b, enc, 3);
        }
        col += width;
    }
    return sb_finish(&b, a, NULL);
}

static bool header_plain(const char *text, size_t used)
{
    if (used + strlen(text) > MAIL_LINE_MAX || strstr(text, "=?") != NULL)
        return false;
    for (const char *p = text; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7F)
            return false;
    return true;
}

/* Length of the UTF-8 character starting at p (1 for a stray byte). */
static size_t utf8_char_len(const unsigned char *p)
{
    if (*p >= 0xF0)
        return 4;
    if (*p >= 0xE0)
        return 3;
    if (*p >= 0xC0)
        return 2;
    return 1;
}

static void sb_encoded_words(strbuf *b, const char *text, size_t used)
{
    enum { WRAPPER = 12 }; /* "=?UTF-8?B?" and "?=" */
    const unsigned char *p = (const unsigned char *)text;
    bool first = true;
    while (*p || first) {
        size_t taken = (first ? used : 1) + WRAPPER;
        size_t room = taken < MAIL_LINE_MAX ? MAIL_LINE_MAX - taken : 0;
        size_t max_raw = room / 4 * 3;
        if (max_raw < 6)
            max_raw = 6; /* a line already long: at least one character per word, never loop */
        size_t n = 0;
        while (p[n] != '\0') {
            size_t k = utf8_char_len(p + n);
            for (size_t i = 1; i < k; i++)
                if (p[n + i] == '\0')
                    k = i;
            if (n + k > max_raw)
                break;
            n += k;
        }
        if (!first)
            sb_str(b, "\r\n ");
        sb_str(b, "=?UTF-8?B?");
        sb_base64(b, p, n);
        sb_str(b, "?=");
        p += n;
        first = false;
    }
}

char *mail_header_text(arena *a, const char *text, size_t used)
{
    strbuf b = {0};
    sb_grow(&b, 0);
    if (header_plain(text, used))
        sb_str(&b, text);
    else
        sb_encoded_words(&b, text, used);
    return sb_finish(&b, a, NULL);
}

void mail_date(int64_t epoch_ms, char out[MAIL_DATE_LEN])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t secs = (time_t)(epoch_ms / 1000);
    if (epoch_ms < 0 && epoch_ms % 1000 != 0)
        secs -= 1;
    struct tm tm;
    gmtime_r(&secs, &tm);
    /* The % keep every field to its width (and the compiler sure of it): years run to 9999. */
    snprintf(out, MAIL_DATE_LEN, "%s, %02u %s %04u %02u:%02u:%02u +0000", days[(unsigned)tm.tm_wday % 7u],
             (unsigned)tm.tm_mday % 100u, months[(unsigned)tm.tm_mon % 12u], (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

char *mail_message_id(arena *a, int64_t id, int64_t created_ms, const char *domain)
{
    return arena_sprintf(a, "<kite-outbox-%" PRId64 ".%" PRId64 "@%s>", id, created_ms, domain);
}

/* ---- the message ---- */

static bool phrase_atoms(const char *name)
{
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        bool atext = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     strchr(" !#$%&'*+-/=?^_`{|}~", c) != NULL;
        if (!atext)
            return false;
    }
    return strstr(name, "=?") == NULL;
}

static bool ascii_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7F)
            return false;
    return true;
}

static void sb_phrase(strbuf *b, const char *name, size_t used)
{
    if (phrase_atoms(name)) {
        sb_str(b, name);
    } else if (ascii_printable(name) && strstr(name, "=?") == NULL && strpbrk(name, "\"\\") == NULL) {
        sb_char(b, '"');
        sb_str(b, name);
        sb_char(b, '"');
    } else {
        sb_encoded_words(b, name, used);
    }
}

char *mail_header_phrase(arena *a, const char *name, size_t used)
{
    strbuf b = {0};
    sb_grow(&b, 0);
    sb_phrase(&b, name, used);
    return sb_finish(&b, a, NULL);
}

static void sb_from(strbuf *b, const char *name, const char *addr)
{
    sb_str(b, "From: ");
    if (name[0] == '\0') {
        sb_str(b, addr);
    } else {
        sb_phrase(b, name, strlen("From: "));
        sb_str(b, " <");
        sb_str(b, addr);
        sb_char(b, '>');
    }
    sb_str(b, "\r\n");
}

static void sb_part(strbuf *b, const char *boundary, const char *type, const char *qp)
{
    sb_str(b, "--");
    sb_str(b, boundary);
    sb_str(b, "\r\nContent-Type: ");
    sb_str(b, type);
    sb_str(b, "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
    sb_str(b, qp);
    sb_str(b, "\r\n");
}

kite_err mail_format(arena *a, const mail_message *m, const char **out, size_t *len)
{
    const char *name, *from_addr, *domain;
    if (mail_mailbox_parse(a, m->from, &name, &from_addr, &domain) != KITE_OK || !mail_address_valid(m->to) ||
        !mail_line_valid(m->subject, MAIL_SUBJECT_MAX) || m->text == NULL || m->html == NULL ||
        (m->lang != NULL && !mail_lang_valid(m->lang)))
        return KITE_ERR_INVALID_FIELD;
    char date[MAIL_DATE_LEN];
    mail_date(m->created_ms, date);
    /* "=_" never occurs in quoted-printable, so no body line can look like the boundary. */
    const char *boundary = arena_sprintf(a, "=_kite_%" PRId64 "_%" PRId64, m->id, m->created_ms);

    strbuf b = {0};
    sb_from(&b, name, from_addr);
    sb_str(&b, "To: ");
    sb_str(&b, m->to);
    sb_str(&b, "\r\nSubject: ");
    sb_str(&b, mail_header_text(a, m->subject, strlen("Subject: ")));
    sb_str(&b, "\r\nDate: ");
    sb_str(&b, date);
    sb_str(&b, "\r\nMessage-ID: ");
    sb_str(&b, mail_message_id(a, m->id, m->created_ms, domain));
    sb_str(&b, "\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
    if (m->lang != NULL) {
        sb_str(&b, "Content-Language: ");
        sb_str(&b, m->lang);
        sb_str(&b, "\r\n");
    }
    sb_str(&b, "Content-Type: multipart/alternative;\r\n boundary=\"");
    sb_str(&b, boundary);
    sb_str(&b, "\"\r\n\r\nThis is a message in MIME format: a plain-text and an HTML version.\r\n\r\n");
    sb_part(&b, boundary, "text/plain", mail_quoted_printable(a, m->text));
    sb_part(&b, boundary, "text/html", mail_quoted_printable(a, m->html));
    sb_str(&b, "--");
    sb_str(&b, boundary);
    sb_str(&b, "--\r\n");
    *out = sb_finish(&b, a, len);
    return KITE_OK;
}
