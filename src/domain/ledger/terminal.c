/*
 * terminal.c - terminal sessions and their minutes (see terminal.h).
 *
 * Design: one db_write per heartbeat: find the resident's open session
 * (closing it when it has been idle too long), open one when there is
 * none, settle the minutes it has started, and stamp the heartbeat.
 * Settling reads the trust balance in the same transaction, charges as
 * many whole minutes as it pays for and counts the rest as unpaid, so a
 * short balance never fails the heartbeat's write: the minutes it could
 * pay are charged, the others are written off, and the answer says so.
 *
 * SECURITY: money.  The counters (minutes_charged, minutes_unpaid) and the
 * posting commit together; the minutes to settle are computed from them,
 * so a second heartbeat for the same minute finds nothing left to settle.
 */
#include "domain/ledger/terminal.h"

#include "core/clock.h"
#include "domain/audit/audit.h"
#include "domain/facility/resident.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/prices.h"
#include "domain/ledger/verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int64_t terminal_minutes_started(int64_t started_at, int64_t now)
{
    return now <= started_at ? 1 : (now - started_at) / TERMINAL_MINUTE_MS + 1;
}

typedef struct beat_args {
    arena *a;
    int64_t now, account_id;
    const char *actor;
    terminal_heartbeat_result *out;
} beat_args;

typedef struct open_session {
    int64_t id, resident_id, facility_id, started_at, last_at, charged, unpaid, cents_per_minute;
} open_session;

/* The resident's open session; *found false when there is none. */
static kite_err session_find(db_conn *conn, int64_t resident_id, open_session *s, bool *found)
{
    db_stmt *st = db_prepare(conn, "SELECT id, started_at, last_heartbeat_at, minutes_charged, minutes_unpaid,"
                                   " cents_per_minute FROM terminal_sessions WHERE resident_id = $1 AND ended_at IS"
                                   " NULL ORDER BY id DESC LIMIT 1");
    db_bind_int(st, 1, resident_id);
    *found = db_next(st);
    if (*found) {
        s->id = db_int(st, 0);
        s->started_at = db_int(st, 1);
        s->last_at = db_int(st, 2);
        s->charged = db_int(st, 3);
        s->unpaid = db_int(st, 4);
        s->cents_per_minute = db_int(st, 5);
    }
    return db_done(st);
}

/* Appends the audit record of a session opened or closed. */
static kite_err session_audit(db_conn *conn, int64_t now, const char *actor, const char *action, const open_session *s)
{
    char target[40], detail[120];
    snprintf(target, sizeof target, "terminal_session:%" PRId64, s->id);
    snprintf(detail, sizeof detail, "resident=%" PRId64 " minutes_charged=%" PRId64 " minutes_unpaid=%" PRId64,
             s->resident_id, s->charged, s->unpaid);
    return audit_append(conn, now, actor, action, target, detail);
}

static kite_err session_close(db_conn *conn, const beat_args *b, const open_session *s)
{
    db_stmt *st = db_prepare(conn, "UPDATE terminal_sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL");
    db_bind_int(st, 1, s->last_at);
    db_bind_int(st, 2, s->id);
    kite_err err = db_exec(st);
    return err != KITE_OK ? err : session_audit(conn, b->now, b->actor, "terminal.session_end", s);
}

static kite_err session_open(db_conn *conn, const beat_args *b, open_session *s)
{
    int64_t now = b->now;
    db_stmt *st = db_prepare(conn, "INSERT INTO terminal_sessions (resident_id, facility_id, cents_per_minute,"
                                   " started_at, last_heartbeat_at) VALUES ($1, $2, $3, $4, $4) RETURNING id");
    db_bind_int(st, 1, s->resident_id);
    db_bind_int(st, 2, s->facility_id);
    db_bind_int(st, 3, s->cents_per_minute);
    db_bind_int(st, 4, now);
    s->id = db_next(st) ? db_int(st, 0) : 0;
    s->started_at = now;
    s->last_at = now;
    s->charged = 0;
    s->unpaid = 0;
    kite_err err = db_done(st);
    if (err == KITE_OK && s->id == 0)
        err = KITE_ERR_INTERNAL;
    return err != KITE_OK ? err : session_audit(conn, now, b->actor, "terminal.session_start", s);
}

/* Charges minutes from the trust account to the facility's provider revenue. */
static kite_err charge(db_conn *conn, const beat_args *b, const open_session *s, int64_t trust_id, int64_t minutes)
{
    int64_t revenue_id, tx_id;
    kite_err err = ledger_account_open(conn, b->now, b->actor, LEDGER_PROVIDER_REVENUE,
                                       (ledger_owner){.facility_id = s->facility_id}, LEDGER_CENTS, &revenue_id);
    if (err != KITE_OK)
        return err;
    int64_t first = s->charged + s->unpaid + 1;
    char reference[80], memo[60];
    snprintf(reference, sizeof reference, "terminal:%" PRId64 ":%" PRId64 "-%" PRId64, s->id, first,
             first + minutes - 1);
    snprintf(memo, sizeof memo, "Terminal time, %" PRId64 " min", minutes);
    int64_t amount = minutes * s->cents_per_minute;
    ledger_line lines[2] = {{trust_id, -amount}, {revenue_id, amount}};
    ledger_posting p = {LEDGER_TX_TERMINAL_TIME, memo, reference, b->actor, lines, 2};
    return ledger_post(conn, b->now, &p, &tx_id);
}

/* Settles the session's started minutes: charged while the trust account pays, unpaid after. */
static kite_err settle(db_conn *conn, const beat_args *b, open_session *s)
{
    terminal_heartbeat_result *o = b->out;
    if (s->cents_per_minute <= 0)
        return KITE_ERR_INTERNAL; /* sessions are opened only at a positive rate */
    int64_t due = terminal_minutes_started(s->started_at, b->now) - s->charged - s->unpaid;
    int64_t trust_id, balance;
    kite_err err = ledger_account_open(conn, b->now, b->actor, LEDGER_RESIDENT_TRUST,
                                       (ledger_owner){.resident_id = s->resident_id}, LEDGER_CENTS, &trust_id);
    if (err != KITE_OK || (err = ledger_balance(conn, trust_id, &balance)) != KITE_OK)
        return err;
    int64_t paid = due > 0 ? balance / s->cents_per_minute : 0;
    if (paid > due)
        paid = due;
    if (paid > 0 && (err = charge(conn, b, s, trust_id, paid)) != KITE_OK)
        return err;
    int64_t unpaid = due > paid ? due - paid : 0;
    db_stmt *st = db_prepare(conn, "UPDATE terminal_sessions SET minutes_charged = minutes_charged + $1,"
                                   " minutes_unpaid = minutes_unpaid + $2, charged_cents = charged_cents + $3,"
                                   " last_heartbeat_at = $4 WHERE id = $5");
    db_bind_int(st, 1, paid);
    db_bind_int(st, 2, unpaid);
    db_bind_int(st, 3, paid * s->cents_per_minute);
    db_bind_int(st, 4, b->now > s->last_at ? b->now : s->last_at);
    db_bind_int(st, 5, s->id);
    if ((err = db_exec(st)) != KITE_OK)
        return err;
    s->charged += paid;
    s->unpaid += unpaid;
    o->charged_now = paid;
    if ((err = ledger_balance(conn, trust_id, &o->balance_cents)) != KITE_OK)
        return err;
    o->short_of_funds = unpaid > 0 || o->balance_cents < s->cents_per_minute;
    return KITE_OK;
}

static kite_err beat_tx(db_conn *conn, void *data)
{
    beat_args *b = data;
    resident r;
    facility_prices prices;
    kite_fault f;
    kite_err err = resident_load_by_account(conn, b->a, b->account_id, &r);
    if (err != KITE_OK)
        return err;
    err = facility_prices_load(conn, b->a, r.facility_id, &prices, &f);
    if (err == KITE_ERR_NOT_FOUND || (err == KITE_OK && prices.schedule.terminal_cents_per_minute <= 0))
        return KITE_OK; /* not metered here */
    open_session s = {.resident_id = r.id, .facility_id = r.facility_id};
    bool found = false;
    if (err != KITE_OK || (err = session_find(conn, r.id, &s, &found)) != KITE_OK)
        return err;
    s.resident_id = r.id;
    s.facility_id = r.facility_id;
    if (found && b->now - s.last_at > TERMINAL_IDLE_MS) {
        if ((err = session_close(conn, b, &s)) != KITE_OK)
            return err;
        found = false;
    }
    s.cents_per_minute = found ? s.cents_per_minute : prices.schedule.terminal_cents_per_minute;
    if ((!found && (err = session_open(conn, b, &s)) != KITE_OK) || (err = settle(conn, b, &s)) != KITE_OK)
        return err;
    terminal_heartbeat_result *o = b->out;
    o->metered = true;
    o->at = b->now;
    o->cents_per_minute = s.cents_per_minute;
    o->session_id = s.id;
    o->started_at = s.started_at;
    o->minutes_charged = s.charged;
    o->minutes_unpaid = s.unpaid;
    return KITE_OK;
}

kite_err terminal_heartbeat(const kite_ctx *ctx, arena *a, int64_t resident_account_id, const char *actor,
                            terminal_heartbeat_result *out)
{
    memset(out, 0, sizeof *out);
    beat_args b = {a, clock_now_ms(&ctx->clock), resident_account_id, actor, out};
    return db_write(ctx->store, beat_tx, &b);
}

kite_err terminal_sessions_verify(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn, "SELECT id, charged_cents, paid FROM (SELECT t.id, t.charged_cents,"
                                  " t.minutes_charged * t.cents_per_minute AS priced, -(SELECT COALESCE(SUM(e.amount), 0)"
                                  " FROM ledger_entries e JOIN ledger_transactions x ON x.id = e.transaction_id"
                                  " JOIN ledger_accounts a ON a.id = e.account_id WHERE x.reference LIKE 'terminal:' ||"
                                  " t.id || ':%' AND a.kind = $1 AND a.resident_id = t.resident_id) AS paid"
                                  " FROM terminal_sessions t) v WHERE charged_cents <> priced OR charged_cents <> paid"
                                  " ORDER BY id LIMIT 1");
    db_bind_text(s, 1, ledger_kind_name(LEDGER_RESIDENT_TRUST));
    if (db_next(s))
        ledger_report_breach(r, "terminal session %" PRId64 " records %" PRId64 " cents charged but its minutes or"
                                " its trust account entries say otherwise (entries: %" PRId64 ")", db_int(s, 0),
                             db_int(s, 1), db_int(s, 2));
    return db_done(s);
}
