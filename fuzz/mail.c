/*
 * mail.c - fuzzes what mail/ does with addresses, names and text from the
 * network (mail/mail_format.c) and the address check at registration
 * (email_normalize, domain/identity/account.c) whose output mail/ must send.
 *
 * Input: up to four NUL-separated parts: a mailbox (From), an address (To), a
 * subject, a body.
 *
 * Contract checked:
 *   - an address email_normalize accepts is one mail_address_valid accepts
 *     (Kite must be able to mail every address it registers);
 *   - a parsed mailbox gives a valid address and its domain;
 *   - header text and display names come out as printable ASCII lines of at
 *     most MAIL_LINE_MAX bytes (folded with CRLF SP), and encoded words decode
 *     back to the subject;
 *   - quoted-printable lines stay within MAIL_LINE_MAX, never hold "=_", and
 *     decode back to the text with its line breaks as CRLF; base64 decodes back;
 *   - a formatted mail has CRLF line endings and a header block of the known
 *     header names and folded lines only: no input adds a header.
 */
#include "domain/identity/account.h"
#include "mail/mail_format.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Lines (CRLF-separated) of printable ASCII, none longer than MAIL_LINE_MAX; a continuation starts with SP. */
static void check_folded(const char *s)
{
    const char *line = s;
    for (;;) {
        const char *end = strstr(line, "\r\n");
        size_t n = end ? (size_t)(end - line) : strlen(line);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7F)
                abort();
        if (end == NULL)
            return;
        if (end[2] != ' ')
            abort(); /* a fold is CRLF SP, anything else would start a new header */
        line = end + 2;
    }
}

/* The text of RFC 2047 encoded words "=?UTF-8?B?...?=" separated by CRLF SP, or NULL. */
static char *decode_words(arena *a, const char *s)
{
    char *out = arena_strdup(a, "");
    while (*s) {
        if (strncmp(s, "=?UTF-8?B?", 10) != 0)
            return NULL;
        s += 10;
        const char *end = strstr(s, "?=");
        if (end == NULL)
            return NULL;
        unsigned char raw[256];
        size_t n = 0;
        if (sodium_base642bin(raw, sizeof raw, s, (size_t)(end - s), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
            return NULL;
        out = arena_sprintf(a, "%s%.*s", out, (int)n, (const char *)raw);
        s = end + 2;
        if (strncmp(s, "\r\n ", 3) == 0)
            s += 3;
    }
    return out;
}

static void check_subject(arena *a, const char *subject)
{
    if (!mail_line_valid(subject, MAIL_SUBJECT_MAX))
        return;
    const char *h = mail_header_text(a, subject, 9); /* "Subject: " */
    check_folded(h);
    if (strcmp(h, subject) != 0) {
        const char *back = decode_words(a, h);
        if (back == NULL || strcmp(back, subject) != 0)
            abort();
    }
    check_folded(mail_header_phrase(a, subject, 6)); /* "From: " */
}

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void check_qp(arena *a, const char *text)
{
    const char *qp = mail_quoted_printable(a, text);
    if (strstr(qp, "=_") != NULL)
        abort();
    /* Decode: soft breaks go, =XX become bytes; lines are checked on the way. */
    size_t len = strlen(qp), col = 0, n = 0;
    char *back = arena_alloc(a, len + 1);
    for (size_t i = 0; i < len; i++) {
        if (qp[i] == '\r' && qp[i + 1] == '\n') {
            if (col > MAIL_LINE_MAX)
                abort();
            back[n++] = '\r';
            back[n++] = '\n';
            i++;
            col = 0;
            continue;
        }
        col++;
        if (((unsigned char)qp[i] < 0x20 && qp[i] != '\t') || (unsigned char)qp[i] >= 0x7F)
            abort(); /* printable ASCII, and tabs inside a line (RFC 2045 6.7 rule 3) */
        if (qp[i] != '=') {
            back[n++] = qp[i];
        } else if (qp[i + 1] == '\r' && qp[i + 2] == '\n') {
            if (col > MAIL_LINE_MAX)
                abort();
            i += 2;
            col = 0;
        } else if (hex(qp[i + 1]) >= 0 && hex(qp[i + 2]) >= 0) {
            back[n++] = (char)(hex(qp[i + 1]) * 16 + hex(qp[i + 2]));
            i += 2;
            col += 2;
        } else {
            abort();
        }
    }
    if (col > MAIL_LINE_MAX)
        abort();
    back[n] = '\0';
    /* What it should be: every LF (alone or after CR) as CRLF. */
    char *want = arena_alloc(a, 2 * strlen(text) + 1);
    size_t w = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\r' && p[1] == '\n')
            continue;
        if (*p == '\n')
            want[w++] = '\r';
        want[w++] = *p;
    }
    want[w] = '\0';
    if (strcmp(back, want) != 0)
        abort();
}

static void check_base64(arena *a, const char *text)
{
    size_t len = strlen(text);
    const char *b64 = mail_base64(a, text, len);
    unsigned char *raw = arena_alloc(a, len + 1);
    size_t n = 0;
    if (sodium_base642bin(raw, len + 1, b64, strlen(b64), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n != len || memcmp(raw, text, len) != 0)
        abort();
}

static void check_format(arena *a, const char *from, const char *to, const char *subject, const char *body)
{
    mail_message m = {from, to, subject, body, html_escape(a, body), 42, 1764000000000, "en"};
    const char *out;
    size_t len;
    if (mail_format(a, &m, &out, &len) != KITE_OK)
        return;
    if (strlen(out) != len)
        abort();
    for (size_t i = 0; i < len; i++)
        if ((out[i] == '\n' && (i == 0 || out[i - 1] != '\r')) || (out[i] == '\r' && out[i + 1] != '\n'))
            abort(); /* CRLF only */
    static const char *const names[] = {"From: ", "To: ", "Subject: ", "Date: ", "Message-ID: ", "MIME-Version: ",
                                        "Auto-Submitted: ", "Content-Language: ", "Content-Type: ", " "};
    const char *end = strstr(out, "\r\n\r\n");
    if (end == NULL)
        abort();
    for (const char *line = out; line < end + 2;) {
        bool known = false;
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
            known = known || strncmp(line, names[i], strlen(names[i])) == 0;
        if (!known)
            abort(); /* a header Kite does not write: something was injected */
        line = strstr(line, "\r\n") + 2;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 4);
    memcpy(text, data, size);
    memset(text + size, 0, 4);
    const char *part[4];
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        part[i] = p;
        if (p < text + size)
            p += strlen(p) + 1;
    }
    arena *a = arena_new();
    const char *norm;
    if (email_normalize(a, part[1], &norm) == KITE_OK && !mail_address_valid(norm))
        abort(); /* registered, but never mailable */
    if (mail_address_valid(part[1]))
        for (const char *q = part[1]; *q; q++)
            if ((unsigned char)*q <= ' ' || *q == '<' || *q == '>' || *q == ',')
                abort();
    const char *name, *addr, *domain;
    if (mail_mailbox_parse(a, part[0], &name, &addr, &domain) == KITE_OK &&
        (!mail_address_valid(addr) || strcmp(domain, strchr(addr, '@') + 1) != 0 || strpbrk(name, "\r\n\"") != NULL))
        abort();
    check_subject(a, part[2]);
    check_qp(a, part[3]);
    check_base64(a, part[3]);
    check_format(a, part[0], part[1], part[2], part[3]);
    arena_free(a);
    free(text);
    return 0;
}
