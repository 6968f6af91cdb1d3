/*
 * outbox.h - email that Kite has promised to send.
 *
 * A domain change that must tell someone (an invitation, a decision, an
 * account) enqueues its mail inside the same transaction, so the mail exists
 * exactly when the change does.  A mailer thread delivers due mail over SMTP,
 * retrying with back-off; mail survives restarts because it lives in the
 * store, and a mail marked sent is never sent again.  Each mail carries a
 * Message-ID derived from its id, so that the rare resend after a crash
 * between the SMTP answer and the mark can be recognised by the receiver.
 */
#ifndef KITE_DOMAIN_OUTBOX_H
#define KITE_DOMAIN_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "db/db.h"
#include "domain/context.h"

typedef struct mail {
    const char *to;      /* one address */
    const char *subject; /* one line, UTF-8 */
    const char *text;    /* plain-text body */
    const char *html;    /* HTML body (the same content) */
    const char *kind;    /* "invitation", "request_decided", "account", ... */
} mail;

/* Inside the caller's write transaction. */
kite_err outbox_enqueue(db_conn *conn, int64_t now, const mail *m, int64_t *id_out) KITE_WUR;

typedef struct outbox_entry {
    int64_t id;
    const char *to, *subject, *kind, *status; /* status: pending, sent, failed */
    const char *text;
    int64_t attempts;
    int64_t created_at, next_attempt_at, sent_at; /* sent_at 0 when not sent */
    const char *last_error;                       /* NULL when none */
} outbox_entry;

/* Newest first; status NULL lists all.  *items is an arena array. */
kite_err outbox_list(const kite_ctx *ctx, arena *a, const char *status, size_t limit, outbox_entry **items,
                     size_t *count) KITE_WUR;

typedef struct mailer mailer;

/*
 * Starts the delivery thread for smtp_url ("smtp://host:port").  Returns NULL
 * when smtp_url is NULL: mail then waits in the outbox.
 */
mailer *mailer_start(const kite_ctx *ctx, const char *smtp_url);
/* Finishes the mail being sent, stops the thread; accepts NULL; returns NULL. */
mailer *mailer_stop(mailer *m);

#endif
