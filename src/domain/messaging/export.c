/*
 * export.c - a party's messages read for export, and written as an mbox.
 *
 * Design: the read is one db_read (the messages, then each one's details),
 * so the file is one consistent picture.  The mbox is built in a buf in the
 * caller's arena, in time linear in the correspondence (a long export must
 * not grow with its square).  Dates are formatted from fixed English name
 * tables, never strftime's %a and %b, which follow the process locale: the
 * "From " line and Date header are read by programs, not by people.
 *
 * SECURITY: names, subjects and bodies come from the parties.  Header
 * values go through mail_header_text() (subjects) and mail_header_phrase()
 * (names, quoted when they hold a comma or other special), which write
 * anything that is not short printable ASCII as RFC 2047 encoded-words, so no control character
 * reaches a header and a name cannot add one; the CR of a folded header is
 * dropped (mbox lines end in LF).  Body lines are quoted the mboxrd way, so
 * no body line can start a new message; CRs in bodies are dropped for the
 * same reason.
 */
#include "domain/messaging/export.h"

#include "domain/messaging/message_store.h"
#include "mail/mail_format.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- reading ---- */

struct export_messages {
    arena *a;
    const account *caller;
    message *items;
    size_t count;
};

static kite_err export_tx(db_conn *conn, void *data)
{
    struct export_messages *in = data;
    db_stmt *s = db_prepare(conn, MESSAGE_SELECT " WHERE m.sender_account_id = $1"
                                                 " OR (m.recipient_account_id = $1 AND m.status IN ('delivered', 'read'))"
                                                 " ORDER BY m.id");
    db_bind_int(s, 1, in->caller->id);
    size_t cap = 64;
    in->items = arena_alloc(in->a, cap * sizeof *in->items);
    while (db_next(s)) {
        in->items = arena_grow(in->a, in->items, in->count, &cap, sizeof *in->items);
        message_read_row(s, in->a, &in->items[in->count++]);
    }
    kite_err err = db_done(s);
    for (size_t i = 0; err == KITE_OK && i < in->count; i++)
        err = message_load_details(conn, in->a, &in->items[i]);
    return err;
}

kite_err message_export(const kite_ctx *ctx, arena *a, const account *caller, message **items, size_t *count)
{
    if (caller->role != ROLE_CONTACT && caller->role != ROLE_RESIDENT)
        return KITE_ERR_FORBIDDEN;
    struct export_messages in = {a, caller, NULL, 0};
    kite_err err = db_read(ctx->store, export_tx, &in);
    *items = in.items;
    *count = in.count;
    return err;
}

/* ---- the mbox ---- */

void export_from_line_date(int64_t epoch_ms, char out[EXPORT_FROM_DATE_LEN])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t secs = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    /* The % keep every field to its width (and the compiler sure of it): years run to 9999. */
    snprintf(out, EXPORT_FROM_DATE_LEN, "%s %s %2u %02u:%02u:%02u %u", days[(unsigned)tm.tm_wday % 7u],
             months[(unsigned)tm.tm_mon % 12u], (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
             (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u, (unsigned)(tm.tm_year + 1900) % 10000u);
}

/* mbox lines end in LF; a folded header from mail_header_text uses CR LF. */
static void put_header(buf *out, const char *name, const char *value)
{
    buf_puts(out, name);
    buf_puts(out, ": ");
    for (const char *p = value; *p; p++)
        if (*p != '\r')
            buf_append(out, p, 1);
    buf_puts(out, "\n");
}

/* A body line that starts with "From " (after any ">") gets one more ">" (mboxrd). */
static void put_body(buf *out, const char *body)
{
    const char *p = body;
    while (*p) {
        size_t len = strcspn(p, "\n");
        const char *q = p;
        while (q < p + len && *q == '>')
            q++;
        if ((size_t)(p + len - q) >= 5 && strncmp(q, "From ", 5) == 0)
            buf_puts(out, ">");
        for (size_t i = 0; i < len; i++)
            if (p[i] != '\r')
                buf_append(out, p + i, 1);
        buf_puts(out, "\n");
        p += len;
        if (*p == '\n')
            p++;
    }
}

static void put_message(buf *out, const message *m)
{
    arena *a = out->a;
    char date[MAIL_DATE_LEN], from_line[EXPORT_FROM_DATE_LEN];
    mail_date(m->created_at, date);
    export_from_line_date(m->created_at, from_line);
    buf_printf(out, "From account-%" PRId64 "@kite %s\n", m->sender_account_id, from_line);
    put_header(out, "From", arena_sprintf(a, "%s <account-%" PRId64 "@kite>", mail_header_phrase(a, m->sender_name, 6),
                                          m->sender_account_id));
    put_header(out, "To", arena_sprintf(a, "%s <account-%" PRId64 "@kite>", mail_header_phrase(a, m->recipient_name, 4),
                                        m->recipient_account_id));
    put_header(out, "Date", date);
    put_header(out, "Subject", mail_header_text(a, m->subject, 9));
    put_header(out, "Message-ID", arena_sprintf(a, "<message-%" PRId64 "@kite>", m->id));
    put_header(out, "X-Kite-Status", message_status_name(m->status));
    if (m->privileged) /* the export is a party's own: the mark goes with the words (docs/privilege.md) */
        put_header(out, "X-Kite-Privileged", "privileged legal mail");
    buf_puts(out, "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n");
    put_body(out, m->body);
    buf_puts(out, "\n");
}

void export_mbox(buf *out, const message *items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        put_message(out, &items[i]);
}
