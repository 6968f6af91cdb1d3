/*
 * staff_activity.h - what a facility's staff did, and when, from the audit log.
 *
 * Design: the report is the audit chain read through one lens, so it can
 * never say more or less than the log that `kite audit verify` proves: every
 * record whose actor is a staff account of the facility (reviewer,
 * investigator, facility_admin), newest first, each with a kind for people
 * to filter by (who reviewed, searched, read, changed policy or roster,
 * signed in).  Operators, who belong to no facility, are not in it.  Paging
 * is by audit id (the cursor), so records appended meanwhile do not shift
 * a page.  Read only; the caller's right to see the facility is the API's
 * door (its admin, an operator).
 */
#ifndef KITE_DOMAIN_FACILITY_STAFF_ACTIVITY_H
#define KITE_DOMAIN_FACILITY_STAFF_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/identity/account.h"

enum { STAFF_ACTIVITY_PAGE_MAX = 100, STAFF_ACTIVITY_CSV_MAX = 10000 };

typedef enum activity_kind {
    ACTIVITY_REVIEW,  /* approved or rejected a message, read the queue */
    ACTIVITY_SEARCH,  /* an investigator's search or who-writes-to-whom */
    ACTIVITY_READ,    /* opened a message */
    ACTIVITY_POLICY,  /* policy, screening rules, prices */
    ACTIVITY_ROSTER,  /* residents, roster imports, blocks, staff */
    ACTIVITY_SIGN_IN, /* sign-in, sign-out, two-factor */
    ACTIVITY_OTHER,
    ACTIVITY_KIND_COUNT
} activity_kind;

const char *activity_kind_name(activity_kind k);

typedef struct activity_item {
    int64_t id; /* the audit record's */
    int64_t at;
    int64_t account_id;
    const char *name;
    role role;
    activity_kind kind;
    const char *action;
    const char *target;
    const char *detail;
} activity_item;

typedef struct activity_query {
    int64_t facility_id;
    const char *from, *to; /* a day (YYYY-MM-DD) or an RFC 3339 time; NULL: open */
    const char *cursor;    /* next_cursor of the page before */
    size_t limit;
} activity_query;

typedef struct activity_page {
    activity_item *items;
    size_t count;
    const char *next_cursor; /* NULL on the last page */
} activity_page;

kite_err staff_activity_list(const kite_ctx *ctx, arena *a, const activity_query *q, activity_page *out,
                             kite_fault *fault) KITE_WUR;

#endif
