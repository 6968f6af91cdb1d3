/*
 * notice.h - telling a person by email that something happened.
 *
 * One shape for every notification: a few short paragraphs and at most one
 * link into Kite.  Never the content of a message, only that there is one.
 * Enqueued in the caller's transaction (see outbox.h).
 *
 * Languages: each mail keeps its words in every language Kite speaks, a
 * notice_text per language (core/lang.h), as data next to the code that
 * sends it; the words name what varies ({name}, {facility} ...) with
 * placeholders filled from the notice's values, so one code path writes
 * every language.  The mail is written in the recipient account's language;
 * to an address with no account yet it is bilingual: English, then Spanish,
 * the link once.  Its Content-Language header says which.
 */
#ifndef KITE_MAIL_NOTICE_H
#define KITE_MAIL_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/lang.h"
#include "db/db.h"

enum { NOTICE_PARAGRAPHS_MAX = 6 };

/* One language's words of one mail.  Paragraphs end at the first NULL. */
typedef struct notice_text {
    const char *subject;
    const char *paragraphs[NOTICE_PARAGRAPHS_MAX];
    const char *link_label; /* NULL: no link */
} notice_text;

typedef struct notice {
    const char *to;
    const char *kind;
    const notice_text *text;   /* text[FAULT_LANG_COUNT]: the mail's words in each language */
    const char *const *values; /* "name", "value", ..., NULL: what each {name} in the words stands for */
    const char *link_path;     /* appended to the public URL, e.g. "/invitations/accept?token=..." */
    fault_lang lang;           /* the recipient's language */
    bool bilingual;            /* no account to ask: English, then Spanish (lang is then ignored) */
} notice;

/*
 * Builds the text and HTML bodies and enqueues them; public_url (NULL: the
 * default) prefixes the link.  Values are plain text (escaped for HTML
 * here); a placeholder with no value is left as written.
 */
kite_err notice_enqueue(db_conn *conn, const char *public_url, arena *a, int64_t now, const notice *n) KITE_WUR;

#endif
