/*
 * outbox.h - email that Kite has promised to send: the `outbox` table.
 *
 * A domain change that must tell someone (an invitation, a decision, an
 * account) enqueues its mail inside the same transaction, so the mail exists
 * exactly when the change does.  The mailer (mailer.h) delivers due mail
 * over SMTP through the claim and record functions below, retrying with
 * back-off; mail survives restarts because it lives in the store, and a
 * mail marked sent is never sent again.  Each mail carries a Message-ID
 * derived from its id, so that the rare resend after a crash between the
 * SMTP answer and the mark can be recognised by the receiver.
 *
 * This file is the store side only: every SQL statement on `outbox` is
 * here, and nothing here talks to the network.
 */
#ifndef KITE_MAIL_OUTBOX_H
#define KITE_MAIL_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "db/db.h"

typedef struct mail {
    const char *to;      /* one address */
    const char *subject; /* one line, UTF-8 */
    const char *text;    /* plain-text body */
    const char *html;    /* HTML body (the same content) */
    const char *kind;    /* "invitation", "request_decided", "account", ... */
    const char *lang;    /* its Content-Language: "en", "es" or "en, es" (bilingual); NULL: "en" */
} mail;

/* The base of links in mail when the caller has no public URL. */
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
kite_err outbox_list(db *store, arena *a, const char *status, size_t limit, outbox_entry **items,
                     size_t *count) KITE_WUR;

/* One mail by id; KITE_ERR_NOT_FOUND when there is none. */
kite_err outbox_get(db *store, arena *a, int64_t id, outbox_entry *out) KITE_WUR;

/* ---- for the mailer ---- */

/* A mail claimed for delivery; strings in the claim's arena. */
typedef struct outbox_due {
    int64_t id, attempts, created_at;
    const char *to, *subject, *text, *html, *kind, *lang;
} outbox_due;

/*
 * In one db_write: takes the due mail (pending, next attempt not after now,
 * oldest first, at most OUTBOX_BATCH) and claims it by pushing its next
 * attempt a few minutes ahead, so that no other mailer on the same store
 * takes it meanwhile.  out[0..*count) are the mails this call claimed.
 */
kite_err outbox_claim_due(db *store, arena *a, int64_t now, outbox_due out[OUTBOX_BATCH], size_t *count) KITE_WUR;

/* What became of one claimed mail. */
typedef struct outbox_outcome {
    int64_t id, now;
    bool sent;
    int64_t attempts;  /* after this one */
    const char *error; /* why it was not sent; NULL when sent */
    bool permanent;    /* the error cannot go away by retrying: fail now */
    bool release;      /* not attempted (stopping): make it due again, count nothing */
} outbox_outcome;

/*
 * Records o in its own db_write, only while the mail is still pending: sent
 * (with sent_at), released, or one more failed attempt with the error and
 * the next attempt after outbox_backoff_ms(), failed for good when
 * permanent or after OUTBOX_MAX_ATTEMPTS.
 */
kite_err outbox_record(db *store, const outbox_outcome *o) KITE_WUR;

/* Makes every pending mail waiting out a back-off due at now (a restart is when a broken relay is
 * usually fixed); a claimed mail keeps its lease. */
kite_err outbox_make_due(db *store, int64_t now) KITE_WUR;

#endif
