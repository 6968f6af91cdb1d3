/*
 * notice.h - telling a person by email that something happened.
 *
 * One shape for every notification: a few short paragraphs and at most one
 * link into Kite.  Never the content of a message, only that there is one.
 * Enqueued in the caller's transaction (see outbox.h).
 */
#ifndef KITE_MAIL_NOTICE_H
#define KITE_MAIL_NOTICE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "db/db.h"

typedef struct notice {
    const char *to;
    const char *kind;
    const char *subject;
    const char *const *paragraphs; /* plain text; escaped for HTML here */
    size_t paragraph_count;
    const char *link_label;        /* NULL: no link */
    const char *link_path;         /* appended to the public URL, e.g. "/invitations/accept?token=..." */
} notice;

/* Builds the text and HTML bodies and enqueues them; public_url (NULL: the default) prefixes the link. */
kite_err notice_enqueue(db_conn *conn, const char *public_url, arena *a, int64_t now, const notice *n) KITE_WUR;

#endif
