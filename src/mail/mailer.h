/*
 * mailer.h - the worker that delivers the outbox over SMTP (libcurl).
 *
 * The domain never sees it: it only enqueues (outbox.h).  Whoever runs the
 * server builds a mail_config from its options and starts one mailer;
 * without an SMTP URL there is none and mail waits in the store.
 */
#ifndef KITE_MAIL_MAILER_H
#define KITE_MAIL_MAILER_H

#include "core/clock.h"
#include "db/db.h"

/* The sender when the configuration names none. */
#define MAILER_DEFAULT_FROM "Kite <no-reply@kite.localhost>"

/* What mail needs from the process; read at mailer_start, the pointers kept. */
typedef struct mail_config {
    db *store;               /* holds the outbox; must outlive the mailer */
    const kite_clock *clock; /* times written on outbox rows; must outlive the mailer */
    const char *from;        /* the From mailbox; NULL: MAILER_DEFAULT_FROM */
    const char *smtp_url;    /* "smtp://host:port" or smtps://; NULL: no delivery */
} mail_config;

typedef struct mailer mailer;

/*
 * Starts the delivery worker for config->smtp_url (user:password@ in the
 * URL is passed to the server and never logged).  Returns NULL when
 * smtp_url is NULL: mail then waits in the outbox.  Also NULL (after logging
 * why) when from is not a valid mailbox or the worker cannot start.  The
 * strings are copied.
 *
 * The worker polls about once a second for due mail (outbox_claim_due),
 * sends each claimed mail over SMTP and records the outcome
 * (outbox_record): sent, or one more failed attempt retried after
 * outbox_backoff_ms(), failed after OUTBOX_MAX_ATTEMPTS.  On start it makes
 * every pending mail due at once: a restart is when a broken relay is
 * usually fixed.
 */
mailer *mailer_start(const mail_config *config);
/*
 * Finishes the mail being sent (giving up on it after a few seconds when the
 * server does not answer: it stays pending), releases the rest of its claim
 * untried, stops the worker; accepts NULL; returns NULL.
 */
mailer *mailer_stop(mailer *m);

#endif
