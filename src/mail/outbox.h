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
#ifndef KITE_MAIL_OUTBOX_H
#define KITE_MAIL_OUTBOX_H

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

/* Used when the kite_ctx leaves them NULL. */
#define OUTBOX_DEFAULT_FROM "Kite <no-reply@kite.localhost>"
#define OUTBOX_DEFAULT_PUBLIC_URL "http://127.0.0.1:8080"

enum {
    OUTBOX_MAX_ATTEMPTS = 20, /* then the mail is marked failed */
    OUTBOX_BATCH = 10,        /* mails claimed at a time */
};

/*
 * Queues m, due at once, inside the caller's write transaction; *id_out
 * (may be NULL) receives its id.  KITE_ERR_INVALID_FIELD when `to` is not
 * one bare address (mail_address_valid: no CR, LF, list or display name),
 * the subject is empty or not one line (no CR, LF or other control
 * character), a body is missing or not UTF-8, or the kind is empty.
 */
kite_err outbox_enqueue(db_conn *conn, int64_t now, const mail *m, int64_t *id_out) KITE_WUR;

/* Delay before the next attempt after `attempts` failed ones: 2 s, doubling, at most 15 min. */
int64_t outbox_backoff_ms(int64_t attempts);

typedef struct outbox_entry {
    int64_t id;
    const char *to, *subject, *kind, *status; /* status: pending, sent, failed */
    const char *text;
    int64_t attempts;
    int64_t created_at, next_attempt_at, sent_at; /* sent_at 0 when not sent */
    const char *last_error;                       /* NULL when none */
} outbox_entry;

/* Newest first; status NULL lists all; limit 0 means no limit.  *items is an arena array. */
kite_err outbox_list(const kite_ctx *ctx, arena *a, const char *status, size_t limit, outbox_entry **items,
                     size_t *count) KITE_WUR;

typedef struct mailer mailer;

/*
 * Starts the delivery thread for smtp_url ("smtp://host:port", or smtps://;
 * user:password@ in the URL is passed to the server and never logged).
 * Returns NULL when smtp_url is NULL: mail then waits in the outbox.  Also
 * NULL (after logging why) when ctx->mail_from is not a valid mailbox or the
 * thread cannot start.  ctx must outlive the mailer.
 *
 * The thread polls about once a second for due mail (pending, next attempt
 * not in the future, oldest first, OUTBOX_BATCH at a time), claims it in a
 * db_write (pushing its next attempt a few minutes ahead, so that no other
 * mailer on the same store takes it meanwhile), sends each over SMTP, and
 * records the outcome in another db_write: sent (with sent_at), or one more
 * failed attempt with the error and the next attempt after
 * outbox_backoff_ms(), failed after OUTBOX_MAX_ATTEMPTS.  On start it makes
 * every pending mail due at once: a restart is when a broken relay is
 * usually fixed.
 */
mailer *mailer_start(const kite_ctx *ctx, const char *smtp_url);
/*
 * Finishes the mail being sent (giving up on it after a few seconds when the
 * server does not answer: it stays pending), stops the thread; accepts NULL;
 * returns NULL.
 */
mailer *mailer_stop(mailer *m);

#endif
