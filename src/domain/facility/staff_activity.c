/*
 * staff_activity.c - the staff-activity report (staff_activity.h).
 *
 * SECURITY: from, to and cursor come from the network and are parsed here
 * (a day or an RFC 3339 time; a cursor of digits); everything reaches the
 * store as a bound parameter.  The actor column is matched per staff
 * account through the audit_log_actor index, never with LIKE on typed text.
 */
#include "domain/facility/staff_activity.h"

#include "core/clock.h"

#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY INT64_C(86400000)

static const char *const kind_names[ACTIVITY_KIND_COUNT] = {
    [ACTIVITY_REVIEW] = "review", [ACTIVITY_SEARCH] = "search", [ACTIVITY_READ] = "read",
    [ACTIVITY_POLICY] = "policy", [ACTIVITY_ROSTER] = "roster", [ACTIVITY_SIGN_IN] = "sign_in",
    [ACTIVITY_OTHER] = "other",
};

const char *activity_kind_name(activity_kind k)
{
    return (unsigned)k < ACTIVITY_KIND_COUNT ? kind_names[k] : "other";
}

/* Audit actions by their first words; the first match wins, so the specific come before the general. */
static const struct {
    const char *prefix;
    activity_kind kind;
} kinds[] = {
    {"message.approved", ACTIVITY_REVIEW}, {"message.rejected", ACTIVITY_REVIEW}, {"review.", ACTIVITY_REVIEW},
    {"investigation.", ACTIVITY_SEARCH},   {"message.staff_read", ACTIVITY_READ}, {"policy.", ACTIVITY_POLICY},
    {"screening_rule.", ACTIVITY_POLICY},  {"prices.", ACTIVITY_POLICY},          {"resident", ACTIVITY_ROSTER},
    {"roster.", ACTIVITY_ROSTER},          {"facility_block.", ACTIVITY_ROSTER},  {"staff.", ACTIVITY_ROSTER},
    {"signin", ACTIVITY_SIGN_IN},          {"signout", ACTIVITY_SIGN_IN},         {"two_factor.", ACTIVITY_SIGN_IN},
};

static activity_kind kind_of(const char *action)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strncmp(action, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
            return kinds[i].kind;
    return ACTIVITY_OTHER;
}

static kite_err time_arg(const char *text, const char *field, bool end, int64_t fallback, int64_t *out,
                         kite_fault *fault)
{
    int64_t ms;
    if (text == NULL || *text == '\0')
        *out = fallback;
    else if (clock_parse_day(text, &ms))
        *out = end ? ms + MS_PER_DAY : ms;
    else if (clock_parse_rfc3339(text, &ms))
        *out = end ? ms + 1 : ms;
    else
        return fault_set(fault, KITE_ERR_INVALID_FIELD, field, FAULT_DATE);
    return KITE_OK;
}

struct list {
    arena *a;
    const activity_query *q;
    int64_t from, to, before;
    activity_page *out;
};

static kite_err list_tx(db_conn *conn, void *data)
{
    struct list *in = data;
    /* One row more than the page says whether there is a next one. */
    db_stmt *s = db_prepare(conn,
        "SELECT al.id, al.at, ac.id, ac.full_name, ac.role, al.action, al.target, al.detail"
        " FROM accounts ac JOIN audit_log al ON al.actor = 'account:' || ac.id"
        " WHERE ac.facility_id = $1 AND ac.role IN ('reviewer', 'investigator', 'facility_admin')"
        " AND al.at >= $2 AND al.at < $3 AND al.id < $4"
        " ORDER BY al.id DESC LIMIT $5");
    db_bind_int(s, 1, in->q->facility_id);
    db_bind_int(s, 2, in->from);
    db_bind_int(s, 3, in->to);
    db_bind_int(s, 4, in->before);
    db_bind_int(s, 5, (int64_t)in->q->limit + 1);
    activity_page *out = in->out;
    out->items = arena_zalloc(in->a, (in->q->limit + 1) * sizeof *out->items);
    size_t n = 0;
    while (db_next(s)) {
        activity_item *it = &out->items[n++];
        it->id = db_int(s, 0);
        it->at = db_int(s, 1);
        it->account_id = db_int(s, 2);
        it->name = arena_strdup(in->a, db_text(s, 3));
        if (!role_parse(db_text(s, 4), &it->role))
            it->role = ROLE_REVIEWER;
        it->action = arena_strdup(in->a, db_text(s, 5));
        it->kind = kind_of(it->action);
        it->target = arena_strdup(in->a, db_text(s, 6));
        it->detail = arena_strdup(in->a, db_text(s, 7));
    }
    out->count = n > in->q->limit ? in->q->limit : n;
    out->next_cursor = n > in->q->limit ? arena_sprintf(in->a, "%lld", (long long)out->items[out->count - 1].id) : NULL;
    return db_done(s);
}

kite_err staff_activity_list(const kite_ctx *ctx, arena *a, const activity_query *q, activity_page *out,
                             kite_fault *fault)
{
    *fault = (kite_fault){0};
    *out = (activity_page){0};
    struct list in = {a, q, 0, INT64_MAX, INT64_MAX, out};
    kite_err err = time_arg(q->from, "from", false, 0, &in.from, fault);
    if (err == KITE_OK)
        err = time_arg(q->to, "to", true, INT64_MAX, &in.to, fault);
    if (err != KITE_OK)
        return err;
    if (q->cursor != NULL && *q->cursor != '\0') {
        char *end = NULL;
        long long id = strtoll(q->cursor, &end, 10);
        if (q->cursor[0] < '0' || q->cursor[0] > '9' || *end != '\0' || id <= 0)
            return fault_set(fault, KITE_ERR_INVALID_FIELD, "cursor", FAULT_UNKNOWN);
        in.before = id;
    }
    return fault_settle(fault, db_read(ctx->store, list_tx, &in));
}
