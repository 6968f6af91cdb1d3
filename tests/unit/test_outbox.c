/*
 * test_outbox.c - the outbox (queueing, listing, back-off, the mailer's
 * bookkeeping) and the mail it builds (RFC 5322 headers, RFC 2047 subjects,
 * MIME parts whose quoted-printable bodies decode back to the input).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/secret.h"
#include "db/db.h"
#include "domain/identity/account.h"
#include "mail/mail_format.h"
#include "mail/mailer.h"
#include "mail/outbox.h"

/* ---- fixtures ---- */

typedef struct fixture {
    char dir[64];
    char path[96];
    kite_ctx ctx;
    arena *a;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/kite-test-outbox-XXXXXX");
    bool made = mkdtemp(f->dir) != NULL;
    snprintf(f->path, sizeof f->path, "%s/kite.db", f->dir);
    if (!made || secret_init() != KITE_OK || db_open(f->path, &f->ctx.store) != KITE_OK) {
        free(f);
        return -1;
    }
    f->a = arena_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    f->ctx.passwords = password_gate_free(f->ctx.passwords);
    f->ctx.store = db_close(f->ctx.store);
    arena_free(f->a);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

struct enqueue_call {
    mail m;
    int64_t now;
    int64_t id;
};

static kite_err enqueue_tx(db_conn *conn, void *data)
{
    struct enqueue_call *c = data;
    return outbox_enqueue(conn, c->now, &c->m, &c->id);
}

static kite_err enqueue(fixture *f, const mail *m, int64_t now, int64_t *id)
{
    struct enqueue_call c = {*m, now, 0};
    kite_err err = db_write(f->ctx.store, enqueue_tx, &c);
    if (id != NULL)
        *id = c.id;
    return err;
}

static const mail good_mail = {"someone@example.com", "Hello", "text", "<p>html</p>", "test", NULL};

static size_t outbox_count(fixture *f, const char *status)
{
    outbox_entry *items = NULL;
    size_t count = 0;
    assert_int_equal(outbox_list(f->ctx.store, f->a, status, 0, &items, &count), KITE_OK);
    return count;
}

/* ---- decoders, to prove the encodings round-trip ---- */

static int b64_value(char c)
{
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(alphabet, c);
    return c != '\0' && p != NULL ? (int)(p - alphabet) : -1;
}

/* Decodes base64 of len chars into out (NUL-terminated); returns the byte count. */
static size_t b64_decode(const char *in, size_t len, char *out)
{
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len && in[i] != '='; i++) {
        int v = b64_value(in[i]);
        assert_true(v >= 0);
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)((acc >> bits) & 0xFF);
        }
    }
    out[n] = '\0';
    return n;
}

/* Decodes a header value made of RFC 2047 B encoded-words (and folding) into out. */
static void decode_encoded_words(const char *value, char *out)
{
    out[0] = '\0';
    const char *p = value;
    while (*p) {
        if (*p == ' ' || *p == '\r' || *p == '\n' || *p == '\t') {
            p++;
            continue;
        }
        assert_memory_equal(p, "=?UTF-8?B?", 10);
        p += 10;
        const char *end = strstr(p, "?=");
        assert_non_null(end);
        b64_decode(p, (size_t)(end - p), out + strlen(out));
        p = end + 2;
    }
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes quoted-printable; hard line breaks come out as CRLF. */
static char *qp_decode(const char *in, size_t len)
{
    char *out = malloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '=') {
            if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n') {
                i += 2;
                continue;
            }
            assert_true(i + 2 < len);
            int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
            assert_true(hi >= 0 && lo >= 0);
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[n++] = in[i];
        }
    }
    out[n] = '\0';
    return out;
}

/* text with every LF not after a CR turned into CRLF (what the mail carries). */
static char *crlf(const char *text)
{
    char *out = malloc(2 * strlen(text) + 1);
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n' && (p == text || p[-1] != '\r'))
            out[n++] = '\r';
        out[n++] = *p;
    }
    out[n] = '\0';
    return out;
}

/* The unfolded value of header name in the header block head, or NULL; malloc'd. */
static char *header_value(const char *head, const char *name)
{
    size_t name_len = strlen(name);
    const char *line = head;
    while (*line) {
        const char *eol = strstr(line, "\r\n");
        if (eol == NULL)
            eol = line + strlen(line);
        if (strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
            const char *v = line + name_len + 1;
            while (*v == ' ')
                v++;
            const char *end = eol;
            while (end[0] == '\r' && (end[2] == ' ' || end[2] == '\t')) { /* folded continuation */
                const char *next = strstr(end + 2, "\r\n");
                end = next != NULL ? next : end + 2 + strlen(end + 2);
            }
            char *value = malloc((size_t)(end - v) + 1);
            size_t n = 0;
            for (const char *p = v; p < end; p++)
                if (*p != '\r' && *p != '\n')
                    value[n++] = *p;
            value[n] = '\0';
            return value;
        }
        line = *eol ? eol + 2 : eol;
    }
    return NULL;
}

/* ---- enqueue ---- */

static void test_enqueue_accepts_a_good_mail(void **state)
{
    fixture *f = *state;
    int64_t id = 0;
    assert_int_equal(enqueue(f, &good_mail, 1000, &id), KITE_OK);
    assert_true(id > 0);
    outbox_entry *items = NULL;
    size_t count = 0;
    assert_int_equal(outbox_list(f->ctx.store, f->a, NULL, 0, &items, &count), KITE_OK);
    assert_int_equal(count, 1);
    assert_int_equal(items[0].id, id);
    assert_string_equal(items[0].status, "pending");
    assert_string_equal(items[0].to, "someone@example.com");
    assert_string_equal(items[0].subject, "Hello");
    assert_string_equal(items[0].kind, "test");
    assert_string_equal(items[0].text, "text");
    assert_int_equal(items[0].attempts, 0);
    assert_int_equal(items[0].created_at, 1000);
    assert_int_equal(items[0].next_attempt_at, 1000);
    assert_int_equal(items[0].sent_at, 0);
    assert_null(items[0].last_error);
}

static void test_enqueue_rejects_header_injection_and_bad_fields(void **state)
{
    fixture *f = *state;
    static const char *const bad_to[] = {
        "",
        "no-at-sign",
        "a@b.example\r\nBcc: victim@example.com",
        "a@b.example\nBcc: victim@example.com",
        "a@b.example\r",
        "a@b.example, c@d.example",
        "a@b.example;c@d.example",
        "Name <a@b.example>",
        "a b@example.com",
        "@example.com",
        "a@",
        "a@b@example.com",
        "\"quoted\"@example.com",
        "tab\t@example.com",
        "bad\xff@example.com",
    };
    for (size_t i = 0; i < sizeof bad_to / sizeof bad_to[0]; i++) {
        mail m = good_mail;
        m.to = bad_to[i];
        assert_int_equal(enqueue(f, &m, 1000, NULL), KITE_ERR_INVALID_FIELD);
    }
    static const char *const bad_subject[] = {
        "", "two\r\nlines", "Hello\nBcc: victim@example.com", "carriage\rreturn", "nul-free but \x01 control",
        "bad utf-8 \xc3\x28",
    };
    for (size_t i = 0; i < sizeof bad_subject / sizeof bad_subject[0]; i++) {
        mail m = good_mail;
        m.subject = bad_subject[i];
        assert_int_equal(enqueue(f, &m, 1000, NULL), KITE_ERR_INVALID_FIELD);
    }
    mail m = good_mail;
    m.to = NULL;
    assert_int_equal(enqueue(f, &m, 1000, NULL), KITE_ERR_INVALID_FIELD);
    m = good_mail;
    m.subject = NULL;
    assert_int_equal(enqueue(f, &m, 1000, NULL), KITE_ERR_INVALID_FIELD);
    m = good_mail;
    m.text = NULL;
    assert_int_equal(enqueue(f, &m, 1000, NULL), KITE_ERR_INVALID_FIELD);
    m = good_mail;
    m.html = "bad \xff";
    assert_int_equal(enqueue(f, &m, 1000, NULL), KITE_ERR_INVALID_FIELD);
    m = good_mail;
    m.kind = "";
    assert_int_equal(enqueue(f, &m, 1000, NULL), KITE_ERR_INVALID_FIELD);
    /* Nothing was queued by the failures. */
    assert_int_equal(outbox_count(f, NULL), 0);
    /* Unicode subjects, long bodies and odd-but-valid addresses are fine. */
    m = good_mail;
    m.subject = "Привет 👋";
    m.to = "ünïcode.o'brien+tag@例え.jp";
    assert_int_equal(enqueue(f, &m, 1000, NULL), KITE_OK);
    assert_int_equal(outbox_count(f, NULL), 1);
}

/* ---- listing ---- */

static void test_list_is_newest_first_and_filters(void **state)
{
    fixture *f = *state;
    int64_t ids[4];
    const int64_t times[4] = {3000, 1000, 2000, 2000};
    for (int i = 0; i < 4; i++)
        assert_int_equal(enqueue(f, &good_mail, times[i], &ids[i]), KITE_OK);
    outbox_entry *items = NULL;
    size_t count = 0;
    assert_int_equal(outbox_list(f->ctx.store, f->a, NULL, 0, &items, &count), KITE_OK);
    assert_int_equal(count, 4);
    /* created_at descending; equal times: the later id first. */
    assert_int_equal(items[0].id, ids[0]);
    assert_int_equal(items[1].id, ids[3]);
    assert_int_equal(items[2].id, ids[2]);
    assert_int_equal(items[3].id, ids[1]);

    assert_int_equal(outbox_list(f->ctx.store, f->a, NULL, 2, &items, &count), KITE_OK);
    assert_int_equal(count, 2);
    assert_int_equal(items[0].id, ids[0]);
    assert_int_equal(items[1].id, ids[3]);

    assert_int_equal(outbox_count(f, "pending"), 4);
    assert_int_equal(outbox_count(f, "sent"), 0);
    assert_int_equal(outbox_count(f, "failed"), 0);
}

/* ---- back-off ---- */

static void test_backoff_schedule(void **state)
{
    (void)state;
    assert_int_equal(outbox_backoff_ms(1), 2000);
    assert_int_equal(outbox_backoff_ms(2), 4000);
    assert_int_equal(outbox_backoff_ms(3), 8000);
    assert_int_equal(outbox_backoff_ms(4), 16000);
    assert_int_equal(outbox_backoff_ms(9), 512000);
    assert_int_equal(outbox_backoff_ms(10), 900000); /* 1024 s capped at 15 min */
    assert_int_equal(outbox_backoff_ms(19), 900000);
    assert_int_equal(outbox_backoff_ms(1000000), 900000);
    assert_int_equal(outbox_backoff_ms(0), 2000);
    int64_t previous = 0;
    for (int64_t n = 1; n <= OUTBOX_MAX_ATTEMPTS; n++) {
        assert_true(outbox_backoff_ms(n) >= previous);
        previous = outbox_backoff_ms(n);
    }
}

/* ---- claims ---- */

/*
 * Two mailers on one store: one claims two mails, one attempt fails and
 * waits out a back-off, the other is still on the wire.  A second mailer
 * starting then (outbox_make_due) brings the back-off forward, never the
 * lease, so only the failed mail can be claimed again.
 */
static void test_make_due_keeps_another_mailers_lease(void **state)
{
    fixture *f = *state;
    int64_t failed_id = 0, leased_id = 0;
    assert_int_equal(enqueue(f, &good_mail, 1000, &failed_id), KITE_OK);
    assert_int_equal(enqueue(f, &good_mail, 1000, &leased_id), KITE_OK);
    outbox_due due[OUTBOX_BATCH];
    size_t count = 0;
    assert_int_equal(outbox_claim_due(f->ctx.store, f->a, 2000, due, &count), KITE_OK);
    assert_int_equal(count, 2);
    outbox_outcome o = {.id = failed_id, .now = 2100, .attempts = 1, .error = "connection refused"};
    assert_int_equal(outbox_record(f->ctx.store, &o), KITE_OK);

    assert_int_equal(outbox_make_due(f->ctx.store, 2200), KITE_OK);
    assert_int_equal(outbox_claim_due(f->ctx.store, f->a, 2200, due, &count), KITE_OK);
    assert_int_equal(count, 1);
    assert_int_equal(due[0].id, failed_id);
    assert_int_equal(due[0].attempts, 1);

    /* A lease left by a mailer that died is taken again once it expires. */
    assert_int_equal(outbox_make_due(f->ctx.store, 2300), KITE_OK);
    assert_int_equal(outbox_claim_due(f->ctx.store, f->a, 2300, due, &count), KITE_OK);
    assert_int_equal(count, 0);
    assert_int_equal(outbox_claim_due(f->ctx.store, f->a, 2000 + 5 * 60 * 1000, due, &count), KITE_OK);
    assert_int_equal(count, 1);
    assert_int_equal(due[0].id, leased_id);
}

/* ---- formatting ---- */

static void test_html_escape(void **state)
{
    fixture *f = *state;
    assert_string_equal(html_escape(f->a, "<script>alert(\"x\" & 'y')</script>"),
                        "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
    assert_string_equal(html_escape(f->a, "Zoë plain"), "Zoë plain");
    assert_string_equal(html_escape(f->a, ""), "");
    assert_string_equal(html_escape(f->a, NULL), "");
}

static void test_mailbox_parse(void **state)
{
    fixture *f = *state;
    const char *name, *addr, *domain;
    assert_int_equal(mail_mailbox_parse(f->a, "Kite <no-reply@kite.example>", &name, &addr, &domain), KITE_OK);
    assert_string_equal(name, "Kite");
    assert_string_equal(addr, "no-reply@kite.example");
    assert_string_equal(domain, "kite.example");
    assert_int_equal(mail_mailbox_parse(f->a, " no-reply@kite.example ", &name, &addr, &domain), KITE_OK);
    assert_string_equal(name, "");
    assert_string_equal(addr, "no-reply@kite.example");
    assert_int_equal(mail_mailbox_parse(f->a, "\"Kite, the team\" <t@k.example>", &name, &addr, &domain), KITE_OK);
    assert_string_equal(name, "Kite, the team");
    assert_int_equal(mail_mailbox_parse(f->a, "Kite <a@b.example> extra", &name, &addr, &domain),
                     KITE_ERR_INVALID_FIELD);
    assert_int_equal(mail_mailbox_parse(f->a, "Kite <a@b.example>\r\nBcc: x@y.example", &name, &addr, &domain),
                     KITE_ERR_INVALID_FIELD);
    assert_int_equal(mail_mailbox_parse(f->a, "Kite <not an address>", &name, &addr, &domain),
                     KITE_ERR_INVALID_FIELD);
    assert_int_equal(mail_mailbox_parse(f->a, "a@b.example, c@d.example", &name, &addr, &domain),
                     KITE_ERR_INVALID_FIELD);
}

static void test_date_and_message_id(void **state)
{
    fixture *f = *state;
    char date[MAIL_DATE_LEN];
    mail_date(1732256469123LL, date);
    assert_string_equal(date, "Fri, 22 Nov 2024 06:21:09 +0000");
    mail_date(0, date);
    assert_string_equal(date, "Thu, 01 Jan 1970 00:00:00 +0000");
    assert_string_equal(mail_message_id(f->a, 42, 1732256469123LL, "kite.example"),
                        "<kite-outbox-42.1732256469123@kite.example>");
}

static void test_subject_encoding(void **state)
{
    fixture *f = *state;
    assert_string_equal(mail_header_text(f->a, "Welcome to Kite", 9), "Welcome to Kite");
    const char *encoded = mail_header_text(f->a, "Привет 👋", 9);
    assert_non_null(strstr(encoded, "=?UTF-8?B?"));
    char decoded[1024];
    decode_encoded_words(encoded, decoded);
    assert_string_equal(decoded, "Привет 👋");
    /* Something that looks like an encoded word is encoded, not passed through. */
    encoded = mail_header_text(f->a, "=?UTF-8?B?SGk=?=", 9);
    decode_encoded_words(encoded, decoded);
    assert_string_equal(decoded, "=?UTF-8?B?SGk=?=");

    /* A long subject: several words of whole characters, every line within bounds. */
    char longer[600] = "";
    for (int i = 0; i < 30; i++)
        strcat(longer, "Жёлтый 🐈 ");
    encoded = mail_header_text(f->a, longer, 9);
    decode_encoded_words(encoded, decoded);
    assert_string_equal(decoded, longer);
    size_t first = 9;
    for (const char *line = encoded; line != NULL;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol != NULL ? (size_t)(eol - line) : strlen(line);
        assert_true(first + len <= MAIL_LINE_MAX);
        first = 0;
        /* each word decodes to valid UTF-8 on its own */
        for (const char *w = strstr(line, "=?UTF-8?B?"); w != NULL && w < line + len; w = strstr(w + 1, "=?UTF-8?B?")) {
            const char *end = strstr(w + 10, "?=");
            char part[128];
            size_t n = b64_decode(w + 10, (size_t)(end - w - 10), part);
            assert_true(n > 0);
            /* validity: no word ends inside a character */
            unsigned char last = (unsigned char)part[n - 1];
            assert_true(last < 0x80 || (last & 0xC0) == 0x80);
        }
        line = eol != NULL ? eol + 2 : NULL;
    }
    /* A long ASCII subject is encoded too, so that it folds. */
    char ascii[200];
    memset(ascii, 'a', sizeof ascii - 1);
    ascii[sizeof ascii - 1] = '\0';
    encoded = mail_header_text(f->a, ascii, 9);
    decode_encoded_words(encoded, decoded);
    assert_string_equal(decoded, ascii);
}

static void test_quoted_printable_round_trip(void **state)
{
    fixture *f = *state;
    char long_line[400] = "";
    for (int i = 0; i < 20; i++)
        strcat(long_line, "Ünïcödé = 10% ");
    const char *inputs[] = {
        "plain text\n",
        "no final newline",
        "trailing space \nand tab\t\nend ",
        ".\n.a line starting with a dot\nFrom here\n",
        "=_kite_ boundary-looking =_ text\n",
        "windows\r\nline\r\nendings\r\n",
        "lone\rcarriage return",
        long_line,
        "Привет 👋\n\n— Kite\n",
        "",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        const char *qp = mail_quoted_printable(f->a, inputs[i]);
        assert_null(strstr(qp, "=_"));
        /* lines within bounds, only CRLF line ends, only printable ASCII, no trailing white space */
        for (const char *line = qp; *line;) {
            const char *eol = strstr(line, "\r\n");
            size_t len = eol != NULL ? (size_t)(eol - line) : strlen(line);
            assert_true(len <= MAIL_LINE_MAX);
            for (size_t k = 0; k < len; k++)
                assert_true(line[k] >= 33 && line[k] <= 126 ? true : line[k] == ' ' || line[k] == '\t');
            if (len > 0)
                assert_true(line[len - 1] != ' ' && line[len - 1] != '\t');
            assert_false(len == 1 && line[0] == '.');
            assert_false(strncmp(line, "From ", 5) == 0);
            line = eol != NULL ? eol + 2 : line + len;
        }
        char *decoded = qp_decode(qp, strlen(qp));
        char *expected = crlf(inputs[i]);
        assert_string_equal(decoded, expected);
        free(decoded);
        free(expected);
    }
}

static void test_base64(void **state)
{
    fixture *f = *state;
    assert_string_equal(mail_base64(f->a, "", 0), "");
    assert_string_equal(mail_base64(f->a, "f", 1), "Zg==");
    assert_string_equal(mail_base64(f->a, "fo", 2), "Zm8=");
    assert_string_equal(mail_base64(f->a, "foo", 3), "Zm9v");
    assert_string_equal(mail_base64(f->a, "foobar", 6), "Zm9vYmFy");
}

/* Splits a formatted message and checks each part decodes back to its input. */
static void check_part(const char *part, const char *type, const char *expected_body)
{
    const char *sep = strstr(part, "\r\n\r\n");
    assert_non_null(sep);
    char *head = strndup(part, (size_t)(sep - part + 2));
    char *ct = header_value(head, "Content-Type");
    char *cte = header_value(head, "Content-Transfer-Encoding");
    char want[64];
    snprintf(want, sizeof want, "%s; charset=utf-8", type);
    assert_string_equal(ct, want);
    assert_string_equal(cte, "quoted-printable");
    const char *body = sep + 4;
    size_t body_len = strlen(body);
    assert_true(body_len >= 2);
    char *decoded = qp_decode(body, body_len - 2); /* the CRLF before the boundary is not content */
    char *expected = crlf(expected_body);
    assert_string_equal(decoded, expected);
    free(decoded);
    free(expected);
    free(ct);
    free(cte);
    free(head);
}

static void test_format_message(void **state)
{
    fixture *f = *state;
    char long_html[2000] = "<p>";
    for (int i = 0; i < 40; i++)
        strcat(long_html, "Zoë &amp; <b>friends</b> ");
    strcat(long_html, "</p>\n");
    mail_message m = {
        .from = "Kite <no-reply@kite.example>",
        .to = "ann@example.com",
        .subject = "Привет 👋",
        .text = "Hello Ann,\n\n.\nA line that is long enough to need a soft break somewhere in the middle of it, "
                "yes indeed, with ünïcode.\nFrom the team\n",
        .html = long_html,
        .id = 42,
        .created_ms = 1732256469123LL,
    };
    const char *out = NULL;
    size_t len = 0;
    assert_int_equal(mail_format(f->a, &m, &out, &len), KITE_OK);
    assert_int_equal(strlen(out), len);
    /* Only CRLF line ends, no over-long lines, no lone "." line, all 7-bit. */
    for (size_t i = 0; i < len; i++) {
        if (out[i] == '\n')
            assert_true(i > 0 && out[i - 1] == '\r');
        assert_true((unsigned char)out[i] < 0x80);
    }
    for (const char *line = out; *line;) {
        const char *eol = strstr(line, "\r\n");
        assert_non_null(eol);
        assert_true((size_t)(eol - line) <= 78);
        assert_false(eol - line == 1 && line[0] == '.');
        line = eol + 2;
    }

    const char *sep = strstr(out, "\r\n\r\n");
    assert_non_null(sep);
    char *head = strndup(out, (size_t)(sep - out + 2));
    char *from = header_value(head, "From"), *to = header_value(head, "To"), *subject = header_value(head, "Subject"),
         *date = header_value(head, "Date"), *mid = header_value(head, "Message-ID"),
         *mime = header_value(head, "MIME-Version"), *ct = header_value(head, "Content-Type");
    assert_string_equal(from, "Kite <no-reply@kite.example>");
    assert_string_equal(to, "ann@example.com");
    char decoded[128];
    decode_encoded_words(subject, decoded);
    assert_string_equal(decoded, "Привет 👋");
    assert_string_equal(date, "Fri, 22 Nov 2024 06:21:09 +0000");
    assert_string_equal(mid, "<kite-outbox-42.1732256469123@kite.example>");
    assert_string_equal(mime, "1.0");
    const char *prefix = "multipart/alternative; boundary=\"";
    assert_memory_equal(ct, prefix, strlen(prefix));
    char boundary[100];
    snprintf(boundary, sizeof boundary, "%s", ct + strlen(prefix));
    assert_true(strlen(boundary) > 1 && boundary[strlen(boundary) - 1] == '"');
    boundary[strlen(boundary) - 1] = '\0';

    /* Parts: preamble, text/plain, text/html, then the close delimiter. */
    char delim[120], close[124];
    snprintf(delim, sizeof delim, "\r\n--%s\r\n", boundary);
    snprintf(close, sizeof close, "\r\n--%s--\r\n", boundary);
    const char *p1 = strstr(out, delim);
    assert_non_null(p1);
    p1 += strlen(delim);
    const char *p2 = strstr(p1, delim);
    assert_non_null(p2);
    const char *end = strstr(p2 + strlen(delim), close);
    assert_non_null(end);
    assert_string_equal(end + strlen(close), "");
    assert_null(strstr(p2 + strlen(delim), delim));
    char *part1 = strndup(p1, (size_t)(p2 - p1) + 2);
    char *part2 = strndup(p2 + strlen(delim), (size_t)(end - p2 - (ptrdiff_t)strlen(delim)) + 2);
    check_part(part1, "text/plain", m.text);
    check_part(part2, "text/html", m.html);
    free(part1);
    free(part2);

    /* Formatting is deterministic: a resend is byte for byte the same mail. */
    const char *again = NULL;
    size_t again_len = 0;
    assert_int_equal(mail_format(f->a, &m, &again, &again_len), KITE_OK);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, out, len);

    /* Invalid fields are refused, never written. */
    mail_message bad = m;
    bad.to = "a@b.example\r\nBcc: x@y.example";
    assert_int_equal(mail_format(f->a, &bad, &again, &again_len), KITE_ERR_INVALID_FIELD);
    bad = m;
    bad.subject = "a\r\nBcc: x@y.example";
    assert_int_equal(mail_format(f->a, &bad, &again, &again_len), KITE_ERR_INVALID_FIELD);
    bad = m;
    bad.from = "Kite";
    assert_int_equal(mail_format(f->a, &bad, &again, &again_len), KITE_ERR_INVALID_FIELD);

    free(from);
    free(to);
    free(subject);
    free(date);
    free(mid);
    free(mime);
    free(ct);
    free(head);
}

static void test_format_from_variants(void **state)
{
    fixture *f = *state;
    mail_message m = {.to = "ann@example.com", .subject = "Hi", .text = "t", .html = "h", .id = 1, .created_ms = 0};
    struct {
        const char *from, *header;
    } cases[] = {
        {"no-reply@kite.example", "no-reply@kite.example"},
        {"Kite Team <no-reply@kite.example>", "Kite Team <no-reply@kite.example>"},
        {"\"Kite, Inc.\" <no-reply@kite.example>", "\"Kite, Inc.\" <no-reply@kite.example>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        m.from = cases[i].from;
        const char *out;
        size_t len;
        assert_int_equal(mail_format(f->a, &m, &out, &len), KITE_OK);
        char *from = header_value(out, "From");
        assert_string_equal(from, cases[i].header);
        free(from);
    }
    m.from = "Кайт <no-reply@kite.example>";
    const char *out;
    size_t len;
    assert_int_equal(mail_format(f->a, &m, &out, &len), KITE_OK);
    char *from = header_value(out, "From");
    const char *lt = strstr(from, " <no-reply@kite.example>");
    assert_non_null(lt);
    char words[64], decoded[64];
    snprintf(words, sizeof words, "%.*s", (int)(lt - from), from);
    decode_encoded_words(words, decoded);
    assert_string_equal(decoded, "Кайт");
    free(from);
}

/* ---- the mailer's bookkeeping, against a port where nothing listens ---- */

static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static kite_err mark_sent_tx(db_conn *conn, void *data)
{
    const int64_t *id = data;
    db_stmt *u = db_prepare(conn, "UPDATE outbox SET status = 'sent', sent_at = 5, attempts = 1 WHERE id = $1");
    db_bind_int(u, 1, *id);
    return db_exec(u);
}

/* A row written behind the outbox's back, with a recipient that cannot be a header. */
static kite_err insert_bad_row_tx(db_conn *conn, void *data)
{
    int64_t *id = data;
    db_stmt *s = db_prepare(conn,
        "INSERT INTO outbox (to_address, subject, text_body, html_body, kind, status, attempts, next_attempt_at,"
        " created_at) VALUES ($1, 'Hi', 't', 'h', 'test', 'pending', 0, 3000, 3000) RETURNING id");
    db_bind_text(s, 1, "a@b.example\r\nBcc: victim@example.com");
    if (db_next(s))
        *id = db_int(s, 0);
    return db_done(s);
}

static const outbox_entry *find_entry(const outbox_entry *items, size_t count, int64_t id)
{
    for (size_t i = 0; i < count; i++)
        if (items[i].id == id)
            return &items[i];
    return NULL;
}

static void test_mailer_records_failures_and_never_touches_sent_mail(void **state)
{
    fixture *f = *state;
    mail_config config = {.store = f->ctx.store, .clock = &f->ctx.clock};
    assert_null(mailer_start(&config));
    assert_null(mailer_stop(NULL));
    config.from = "not a mailbox";
    config.smtp_url = "smtp://127.0.0.1:1";
    assert_null(mailer_start(&config));
    config.from = NULL;

    int64_t sent_id = 0, pending_id = 0;
    assert_int_equal(enqueue(f, &good_mail, 1000, &sent_id), KITE_OK);
    assert_int_equal(db_write(f->ctx.store, mark_sent_tx, &sent_id), KITE_OK);
    assert_int_equal(enqueue(f, &good_mail, 2000, &pending_id), KITE_OK);
    int64_t bad_id = 0;
    assert_int_equal(db_write(f->ctx.store, insert_bad_row_tx, &bad_id), KITE_OK);

    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", closed_port());
    int64_t started = clock_now_ms(&f->ctx.clock);
    config.smtp_url = url;
    mailer *m = mailer_start(&config);
    assert_non_null(m);
    const outbox_entry *pending = NULL, *sent = NULL, *bad = NULL;
    for (int i = 0; i < 200; i++) {
        outbox_entry *items = NULL;
        size_t count = 0;
        assert_int_equal(outbox_list(f->ctx.store, f->a, NULL, 0, &items, &count), KITE_OK);
        pending = find_entry(items, count, pending_id);
        sent = find_entry(items, count, sent_id);
        bad = find_entry(items, count, bad_id);
        if (pending != NULL && pending->attempts >= 1 && bad != NULL && bad->attempts >= 1)
            break;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    m = mailer_stop(m);
    assert_null(m);
    int64_t stopped = clock_now_ms(&f->ctx.clock);
    assert_non_null(pending);
    assert_non_null(sent);
    assert_int_equal(pending->attempts, 1);
    assert_string_equal(pending->status, "pending");
    assert_non_null(pending->last_error);
    assert_true(strlen(pending->last_error) > 0);
    assert_null(strstr(pending->last_error, "\n"));
    /* The next attempt is the first back-off step after the failure. */
    assert_true(pending->next_attempt_at >= started + outbox_backoff_ms(1));
    assert_true(pending->next_attempt_at <= stopped + outbox_backoff_ms(1));
    assert_int_equal(pending->sent_at, 0);
    /* The mail recorded as sent was not claimed, tried or changed. */
    assert_string_equal(sent->status, "sent");
    assert_int_equal(sent->attempts, 1);
    assert_int_equal(sent->sent_at, 5);
    assert_int_equal(sent->next_attempt_at, 1000);
    assert_null(sent->last_error);
    /* A mail that cannot be formatted fails at once: retrying cannot help. */
    assert_non_null(bad);
    assert_string_equal(bad->status, "failed");
    assert_int_equal(bad->attempts, 1);
    assert_non_null(bad->last_error);
}

/* ---- the welcome mail of a registration ---- */

struct html_query {
    arena *a;
    const char *html;
};

static kite_err html_tx(db_conn *conn, void *data)
{
    struct html_query *q = data;
    db_stmt *s = db_prepare(conn, "SELECT html_body FROM outbox WHERE kind = 'account'");
    if (db_next(s))
        q->html = arena_strdup(q->a, db_text(s, 0));
    return db_done(s);
}

static void test_registration_queues_a_welcome_mail(void **state)
{
    fixture *f = *state;
    f->ctx.passwords = password_gate_new(1, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
    f->ctx.public_url = "https://kite.example.org/";
    registration reg = {"Ann@Example.com", "a-long-enough-passphrase", "<b>Ann</b> & \"Co\"", "+1 555 010 2000", FAULT_LANG_EN};
    account acct;
    kite_fault fault;
    assert_int_equal(account_register(&f->ctx, f->a, &reg, NULL, &acct, &fault), KITE_OK);
    outbox_entry *items = NULL;
    size_t count = 0;
    assert_int_equal(outbox_list(f->ctx.store, f->a, NULL, 0, &items, &count), KITE_OK);
    /* One mail: the welcome, carrying the link that confirms the address (domain/identity/email_verify.h). */
    assert_int_equal(count, 1);
    assert_string_equal(items[0].to, "ann@example.com");
    assert_string_equal(items[0].kind, "account");
    assert_string_equal(items[0].subject, "Welcome to Kite");
    assert_string_equal(items[0].status, "pending");
    assert_int_equal(items[0].created_at, acct.created_at);
    assert_non_null(strstr(items[0].text, "Hello <b>Ann</b> & \"Co\","));
    assert_non_null(strstr(items[0].text, "https://kite.example.org/verify-email?token="));
    assert_null(strstr(items[0].text, "org//"));
    struct html_query q = {f->a, NULL};
    assert_int_equal(db_read(f->ctx.store, html_tx, &q), KITE_OK);
    assert_non_null(q.html);
    assert_non_null(strstr(q.html, "Hello &lt;b&gt;Ann&lt;/b&gt; &amp; &quot;Co&quot;,"));
    assert_null(strstr(q.html, "<b>Ann"));
    assert_non_null(strstr(q.html, "href=\"https://kite.example.org/verify-email?token="));

    /* Staff accounts get no welcome mail. */
    assert_int_equal(account_create_staff(&f->ctx, f->a, ROLE_OPERATOR, "op@example.org", "Op",
                                          "a-long-enough-passphrase", 0, &acct, &fault),
                     KITE_OK);
    assert_int_equal(outbox_count(f, NULL), 1);

    /*
     * The same unconfirmed address again is a second unconfirmed account (nothing tells a stranger
     * the address is known), with its own welcome.
     */
    assert_int_equal(account_register(&f->ctx, f->a, &reg, NULL, &acct, &fault), KITE_OK);
    assert_int_equal(outbox_count(f, NULL), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enqueue_accepts_a_good_mail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enqueue_rejects_header_injection_and_bad_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_is_newest_first_and_filters, setup, teardown),
        cmocka_unit_test(test_backoff_schedule),
        cmocka_unit_test_setup_teardown(test_make_due_keeps_another_mailers_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mailbox_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_date_and_message_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subject_encoding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoted_printable_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_from_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mailer_records_failures_and_never_touches_sent_mail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registration_queues_a_welcome_mail, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
