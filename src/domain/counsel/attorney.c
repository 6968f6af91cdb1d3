/*
 * attorney.c - attorney registrations, an operator's verification, and the
 * one question the layers above ask (attorney.h).
 *
 * Design: one row per account (attorneys.account_id is UNIQUE), changed
 * in place by each decision, each change an audit record that names the
 * actor, so the row says where a registration stands and the audit log
 * says how it got there.  Every decision is a compare-and-set on the
 * status the decision was made from: two operators deciding at once settle
 * on whichever commits first.  Kite does not ask a state bar anything: the
 * operator does, and verified_by / verified_at record who and when.
 *
 * SECURITY: bar_number and bar_state come from the registering contact and
 * the reason from an operator.  The number is 1 to BAR_NUMBER_MAX_CHARS
 * ASCII letters, digits and hyphens with at least one digit (stored in upper
 * case), the state one of a fixed list of USPS codes, the reason valid UTF-8
 * of bounded length; all are bound as values, never part of SQL text.
 */
#include "domain/counsel/attorney.h"

#include "core/clock.h"
#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/identity/email_verify.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>

static const char *const attorney_status_names[ATTORNEY_STATUS_COUNT] = {
    [ATTORNEY_PENDING] = "pending",
    [ATTORNEY_VERIFIED] = "verified",
    [ATTORNEY_REFUSED] = "refused",
    [ATTORNEY_REVOKED] = "revoked",
};

/* The states, the District of Columbia and the territories, by USPS code: each has its own bar. */
static const char *const bar_states[] = {
    "AK", "AL", "AR", "AS", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "GU", "HI", "IA", "ID", "IL", "IN", "KS",
    "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MP", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY",
    "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VI", "VT", "WA", "WI", "WV", "WY",
};

const char *attorney_status_name(attorney_status s)
{
    return (unsigned)s < ATTORNEY_STATUS_COUNT ? attorney_status_names[s] : "unknown";
}

bool attorney_status_parse(const char *name, attorney_status *out)
{
    size_t i = text_index_of(attorney_status_names, ATTORNEY_STATUS_COUNT, name);
    if (i == ATTORNEY_STATUS_COUNT)
        return false;
    *out = (attorney_status)i;
    return true;
}

/* The number in upper case, or NULL when it is not the shape of a bar number. */
static char *bar_number_clean(arena *a, const char *raw)
{
    if (raw == NULL)
        return NULL;
    char *n = text_trim(a, raw);
    size_t len = strlen(n);
    bool digit = false;
    if (len == 0 || len > BAR_NUMBER_MAX_CHARS)
        return NULL;
    for (char *p = n; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!isascii(c) || !(isalnum(c) || c == '-'))
            return NULL;
        digit = digit || isdigit(c);
        *p = (char)toupper(c);
    }
    return digit ? n : NULL;
}

static const char *bar_state_clean(arena *a, const char *raw)
{
    if (raw == NULL || strlen(raw) != 2)
        return NULL;
    char code[3] = {(char)toupper((unsigned char)raw[0]), (char)toupper((unsigned char)raw[1]), '\0'};
    for (size_t i = 0; i < sizeof bar_states / sizeof *bar_states; i++)
        if (strcmp(bar_states[i], code) == 0)
            return arena_strdup(a, code);
    return NULL;
}

#define ATTORNEY_SELECT                                                                                         \
    "SELECT t.id, t.account_id, a.full_name, a.email, t.bar_number, t.bar_state, t.status, t.reason,"         \
    " COALESCE(t.verified_by, 0), COALESCE(t.verified_at, 0), COALESCE(t.decided_at, 0), t.created_at"        \
    " FROM attorneys t JOIN accounts a ON a.id = t.account_id"

static void read_attorney(db_stmt *s, arena *a, attorney *t)
{
    memset(t, 0, sizeof *t);
    t->id = db_int(s, 0);
    t->account_id = db_int(s, 1);
    t->full_name = arena_strdup(a, db_text(s, 2));
    t->email = arena_strdup(a, db_text(s, 3));
    t->bar_number = arena_strdup(a, db_text(s, 4));
    t->bar_state = arena_strdup(a, db_text(s, 5));
    t->status = ATTORNEY_REFUSED; /* rows hold only names from the table; were one not, nothing is privileged */
    (void)attorney_status_parse(db_text(s, 6), &t->status);
    t->reason = arena_strdup(a, db_text(s, 7));
    t->verified_by = db_int(s, 8);
    t->verified_at = db_int(s, 9);
    t->decided_at = db_int(s, 10);
    t->created_at = db_int(s, 11);
}

/* One registration by $1 on `column` (t.id or t.account_id); KITE_ERR_NOT_FOUND when none. */
static kite_err load_by(db_conn *conn, arena *a, bool by_account, int64_t key, attorney *out)
{
    db_stmt *s = db_prepare(conn, by_account ? ATTORNEY_SELECT " WHERE t.account_id = $1"
                                             : ATTORNEY_SELECT " WHERE t.id = $1");
    db_bind_int(s, 1, key);
    bool found = db_next(s);
    if (found)
        read_attorney(s, a, out);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

kite_err counsel_account_verified(db_conn *conn, int64_t account_id, bool *verified)
{
    db_stmt *s = db_prepare(conn, "SELECT 1 FROM attorneys WHERE account_id = $1 AND status = $2");
    db_bind_int(s, 1, account_id);
    db_bind_text(s, 2, attorney_status_name(ATTORNEY_VERIFIED));
    *verified = db_next(s);
    return db_done(s);
}

/* ---- registering ---- */

struct register_in {
    arena *a;
    const account *caller;
    const char *bar_number, *bar_state;
    int64_t now;
    attorney *out;
};

static kite_err register_tx(db_conn *conn, void *data)
{
    struct register_in *in = data;
    attorney earlier;
    kite_err err = load_by(conn, in->a, true, in->caller->id, &earlier);
    if (err != KITE_OK && err != KITE_ERR_NOT_FOUND)
        return err;
    bool again = err == KITE_OK;
    if (again && (earlier.status == ATTORNEY_PENDING || earlier.status == ATTORNEY_VERIFIED))
        return KITE_ERR_CONFLICT;
    /* A new registration, or one refused or revoked made anew: the operator decides again. */
    db_stmt *s = db_prepare(conn, again
        ? "UPDATE attorneys SET bar_number = $2, bar_state = $3, status = $4, reason = NULL, decided_by = NULL,"
          " decided_at = NULL, created_at = $5 WHERE account_id = $1"
        : "INSERT INTO attorneys (account_id, bar_number, bar_state, status, created_at) VALUES ($1, $2, $3, $4, $5)");
    db_bind_int(s, 1, in->caller->id);
    db_bind_text(s, 2, in->bar_number);
    db_bind_text(s, 3, in->bar_state);
    db_bind_text(s, 4, attorney_status_name(ATTORNEY_PENDING));
    db_bind_int(s, 5, in->now);
    if ((err = db_exec(s)) != KITE_OK || (err = load_by(conn, in->a, true, in->caller->id, in->out)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, audit_actor_account(in->a, in->caller->id), "attorney.register",
                        audit_target(in->a, "attorney", in->out->id),
                        arena_sprintf(in->a, "bar_number=%s bar_state=%s%s", in->bar_number, in->bar_state,
                                      again ? " again=1" : ""));
}

kite_err attorney_register(const kite_ctx *ctx, arena *a, const account *caller, const char *bar_number,
                           const char *bar_state, attorney *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    memset(out, 0, sizeof *out);
    if (caller->role != ROLE_CONTACT)
        return fault_set(fault, KITE_ERR_FORBIDDEN, NULL, FAULT_ATTORNEY_ROLE);
    struct register_in in = {a, caller, bar_number_clean(a, bar_number), bar_state_clean(a, bar_state),
                              clock_now_ms(&ctx->clock), out};
    if (in.bar_number == NULL) {
        fault_set(fault, KITE_ERR_INVALID_FIELD, "bar_number", FAULT_FORMAT);
        fault->limit = BAR_NUMBER_MAX_CHARS;
        return KITE_ERR_INVALID_FIELD;
    }
    if (in.bar_state == NULL)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "bar_state", FAULT_FORMAT);
    kite_err err = email_verify_require(caller, fault);
    if (err != KITE_OK)
        return err;
    err = db_write(ctx->store, register_tx, &in);
    return fault_set(fault, err, NULL, err == KITE_ERR_CONFLICT ? FAULT_ATTORNEY_REGISTERED : FAULT_NONE);
}

/* ---- reading ---- */

struct mine_in {
    arena *a;
    int64_t account_id;
    attorney *out;
};

static kite_err mine_tx(db_conn *conn, void *data)
{
    struct mine_in *in = data;
    return load_by(conn, in->a, true, in->account_id, in->out);
}

kite_err attorney_mine(const kite_ctx *ctx, arena *a, const account *caller, attorney *out)
{
    memset(out, 0, sizeof *out);
    struct mine_in in = {a, caller->id, out};
    return db_read(ctx->store, mine_tx, &in);
}

struct list_in {
    arena *a;
    bool has_status;
    attorney_status status;
    int64_t after;
    size_t limit;
    attorney *items;
    size_t count;
    bool more;
};

static kite_err list_tx(db_conn *conn, void *data)
{
    struct list_in *in = data;
    db_stmt *s = db_prepare(conn, ATTORNEY_SELECT " WHERE ($1 = '' OR t.status = $1) AND t.id > $2 ORDER BY t.id LIMIT $3");
    db_bind_text(s, 1, in->has_status ? attorney_status_name(in->status) : "");
    db_bind_int(s, 2, in->after);
    db_bind_int(s, 3, (int64_t)in->limit + 1);
    in->items = arena_alloc(in->a, (in->limit + 1) * sizeof *in->items);
    while (db_next(s)) {
        if (in->count == in->limit) {
            in->more = true;
            break;
        }
        read_attorney(s, in->a, &in->items[in->count++]);
    }
    return db_done(s);
}

kite_err attorney_list(const kite_ctx *ctx, arena *a, const account *caller, bool has_status, attorney_status status,
                       int64_t after, size_t limit, attorney **items, size_t *count, bool *more)
{
    *items = NULL;
    *count = 0;
    *more = false;
    if (caller->role != ROLE_OPERATOR)
        return KITE_ERR_FORBIDDEN;
    struct list_in in = {a, has_status, status, after, limit, NULL, 0, false};
    kite_err err = db_read(ctx->store, list_tx, &in);
    *items = in.items;
    *count = in.count;
    *more = in.more;
    return err;
}

/* ---- deciding ---- */

struct decide_in {
    arena *a;
    const account *caller;
    int64_t id;
    attorney_decision decision;
    const char *reason;
    int64_t now;
    attorney *out;
};

static kite_err decide_tx(db_conn *conn, void *data)
{
    struct decide_in *in = data;
    attorney *t = in->out;
    kite_err err = load_by(conn, in->a, false, in->id, t);
    if (err != KITE_OK)
        return err;
    attorney_status from = t->status, to;
    if (in->decision == ATTORNEY_VERIFY && from == ATTORNEY_PENDING)
        to = ATTORNEY_VERIFIED;
    else if (in->decision == ATTORNEY_REFUSE && (from == ATTORNEY_PENDING || from == ATTORNEY_VERIFIED))
        to = from == ATTORNEY_PENDING ? ATTORNEY_REFUSED : ATTORNEY_REVOKED;
    else
        return KITE_ERR_ALREADY_DECIDED;
    db_stmt *s = db_prepare(conn, to == ATTORNEY_VERIFIED
        ? "UPDATE attorneys SET status = $1, reason = $2, decided_by = $3, decided_at = $4, verified_by = $3,"
          " verified_at = $4 WHERE id = $5 AND status = $6"
        : "UPDATE attorneys SET status = $1, reason = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND status = $6");
    db_bind_text(s, 1, attorney_status_name(to));
    if (to == ATTORNEY_VERIFIED)
        db_bind_null(s, 2);
    else
        db_bind_text(s, 2, in->reason);
    db_bind_int(s, 3, in->caller->id);
    db_bind_int(s, 4, in->now);
    db_bind_int(s, 5, in->id);
    db_bind_text(s, 6, attorney_status_name(from));
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    if (db_changes(conn) != 1)
        return KITE_ERR_ALREADY_DECIDED;
    static const char *const actions[ATTORNEY_STATUS_COUNT] = {
        [ATTORNEY_VERIFIED] = "attorney.verify", [ATTORNEY_REFUSED] = "attorney.refuse",
        [ATTORNEY_REVOKED] = "attorney.revoke"};
    const char *detail = arena_sprintf(in->a, "account=%" PRId64 " bar_number=%s bar_state=%s", t->account_id,
                                       t->bar_number, t->bar_state);
    if ((err = audit_append(conn, in->now, audit_actor_account(in->a, in->caller->id), actions[to],
                            audit_target(in->a, "attorney", in->id), detail)) != KITE_OK)
        return err;
    return load_by(conn, in->a, false, in->id, t);
}

kite_err attorney_decide(const kite_ctx *ctx, arena *a, const account *caller, int64_t id, attorney_decision decision,
                         const char *reason, attorney *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    memset(out, 0, sizeof *out);
    if (caller->role != ROLE_OPERATOR)
        return fault_settle(fault, KITE_ERR_FORBIDDEN);
    struct decide_in in = {a, caller, id, decision, NULL, clock_now_ms(&ctx->clock), out};
    if (decision == ATTORNEY_REFUSE) {
        const char *r = reason != NULL ? text_trim(a, reason) : "";
        if (*r == '\0')
            return fault_set(fault, KITE_ERR_INVALID_FIELD, "reason", FAULT_REQUIRED);
        if (!utf8_valid(r, strlen(r)) || utf8_length(r) > ATTORNEY_REASON_MAX_CHARS) {
            fault_set(fault, KITE_ERR_INVALID_FIELD, "reason", FAULT_LENGTH);
            fault->limit = ATTORNEY_REASON_MAX_CHARS;
            return KITE_ERR_INVALID_FIELD;
        }
        in.reason = r;
    }
    kite_err err = db_write(ctx->store, decide_tx, &in);
    return fault_set(fault, err, NULL, err == KITE_ERR_ALREADY_DECIDED ? FAULT_ATTORNEY_DECIDED : FAULT_NONE);
}
