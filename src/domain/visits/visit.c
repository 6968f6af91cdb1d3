/*
 * visit.c - reading a visit, the live visit's hooks and the settling of its
 * money, and the sweeper's pass (visit.h).
 *
 * Design: every change is a conditional UPDATE on the state the caller
 * read (WHERE state = ...), checked for one changed row, in the same
 * transaction as its ledger move and its audit record; so a visit is
 * settled exactly once even when the sweeper and a monitor end it at the
 * same moment (the loser gets KITE_ERR_ALREADY_DECIDED and rolls back).
 *
 * SECURITY: money.  What is charged is computed here from the stored
 * connected_at, ends_at, slot length and rate, never from the caller, and
 * is never more than the stored hold (ledger_capture_part refuses it).
 */
#include "domain/visits/visit_store.h"

#include "core/log.h"
#include "domain/audit/audit.h"
#include "domain/contacts/contact_state.h"
#include "domain/ledger/hold.h"
#include "domain/ledger/ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define VISIT_COLUMNS                                                                                              \
    "v.id, v.facility_id, v.resident_id, v.contact_id, v.contact_account_id, v.resident_account_id,"              \
    " v.booker_account_id, v.room_id, v.slot_id, v.starts_at, v.ends_at, v.state, v.price_cents,"                  \
    " v.rate_cents_per_minute, COALESCE(v.payer_account_id, 0), COALESCE(v.hold_id, 0), v.monitoring_required,"   \
    " v.privileged, COALESCE(v.contact_joined_at, 0), COALESCE(v.resident_joined_at, 0),"                         \
    " COALESCE(v.connected_at, 0), COALESCE(v.ended_at, 0), COALESCE(v.end_reason, 'none'),"                      \
    " COALESCE(v.charged_cents, 0), COALESCE(v.reason, ''), COALESCE(p.time_zone, ''), v.created_at, v.updated_at,"  \
    " r.resident_number, r.first_name || ' ' || r.last_name, ca.full_name, COALESCE(v.media_seen_at, 0),"          \
    " COALESCE(vc.status, '')"

const char visit_select_sql[] = "SELECT " VISIT_COLUMNS " FROM visits v"
                                " LEFT JOIN visit_policies p ON p.facility_id = v.facility_id"
                                " JOIN residents r ON r.id = v.resident_id"
                                " JOIN accounts ca ON ca.id = v.contact_account_id"
                                " LEFT JOIN contacts vc ON vc.id = v.contact_id";

/* One row of visit_select_sql into out; false when a stored name is unknown. */
bool visit_row(db_stmt *s, visit_info *out)
{
    *out = (visit_info){.id = db_int(s, 0),
                        .facility_id = db_int(s, 1),
                        .resident_id = db_int(s, 2),
                        .contact_id = db_int(s, 3),
                        .contact_account_id = db_int(s, 4),
                        .resident_account_id = db_int(s, 5),
                        .booker_account_id = db_int(s, 6),
                        .room_id = db_int(s, 7),
                        .slot_id = db_int(s, 8),
                        .starts_at = db_int(s, 9),
                        .ends_at = db_int(s, 10),
                        .price_cents = db_int(s, 12),
                        .rate_cents_per_minute = db_int(s, 13),
                        .payer_account_id = db_int(s, 14),
                        .hold_id = db_int(s, 15),
                        .monitoring_required = db_int(s, 16) != 0,
                        .privileged = db_int(s, 17) != 0,
                        .contact_joined_at = db_int(s, 18),
                        .resident_joined_at = db_int(s, 19),
                        .connected_at = db_int(s, 20),
                        .ended_at = db_int(s, 21),
                        .charged_cents = db_int(s, 23),
                        .created_at = db_int(s, 26),
                        .updated_at = db_int(s, 27),
                        .media_seen_at = db_int(s, 31)};
    out->length_minutes = (out->ends_at - out->starts_at) / 60000;
    snprintf(out->reason, sizeof out->reason, "%s", db_text(s, 24));
    snprintf(out->time_zone, sizeof out->time_zone, "%s", db_text(s, 25));
    snprintf(out->resident_number, sizeof out->resident_number, "%s", db_text(s, 28));
    snprintf(out->resident_name, sizeof out->resident_name, "%s", db_text(s, 29));
    snprintf(out->contact_name, sizeof out->contact_name, "%s", db_text(s, 30));
    contact_status contact = CONTACT_REMOVED; /* no row, or a name not from the table: not active */
    out->contact_active = contact_status_parse(db_text(s, 32), &contact) && contact == CONTACT_ACTIVE;
    return visit_state_parse(db_text(s, 11), &out->state) && visit_end_reason_parse(db_text(s, 22), &out->end_reason);
}

kite_err visit_get(db_conn *conn, int64_t visit_id, visit_info *out)
{
    char sql[VISIT_SQL_MAX];
    snprintf(sql, sizeof sql, "%s WHERE v.id = $1", visit_select_sql);
    db_stmt *s = db_prepare(conn, sql);
    db_bind_int(s, 1, visit_id);
    bool found = db_next(s);
    bool known = found && visit_row(s, out);
    kite_err err = db_done(s);
    if (err == KITE_OK && found && !known)
        log_error("visits: visit %" PRId64 " has a state or end reason Kite does not know", visit_id);
    return err != KITE_OK ? err : !found ? KITE_ERR_NOT_FOUND : known ? KITE_OK : KITE_ERR_INTERNAL;
}

kite_err visit_audit(db_conn *conn, int64_t now, const char *actor, const char *action, const visit_info *v,
                     const char *detail)
{
    char target[40];
    snprintf(target, sizeof target, "visit:%" PRId64, v->id);
    return audit_append(conn, now, actor, action, target, detail ? detail : "");
}

static bool in_window(const visit_info *v, int64_t now)
{
    return now >= v->starts_at - VISIT_EARLY_JOIN_MS && now <= v->ends_at;
}

kite_err visit_mark_joined(db_conn *conn, int64_t now, int64_t visit_id, visit_party party)
{
    visit_info v;
    kite_err err = visit_get(conn, visit_id, &v);
    if (err != KITE_OK)
        return err;
    if (v.state != VISIT_APPROVED && v.state != VISIT_IN_PROGRESS)
        return KITE_ERR_ALREADY_DECIDED;
    if (!in_window(&v, now))
        return KITE_ERR_CONFLICT;
    db_stmt *s = db_prepare(conn, party == VISIT_PARTY_CONTACT
                                      ? "UPDATE visits SET contact_joined_at = $1 WHERE id = $2"
                                        " AND contact_joined_at IS NULL"
                                      : "UPDATE visits SET resident_joined_at = $1 WHERE id = $2"
                                        " AND resident_joined_at IS NULL");
    db_bind_int(s, 1, now);
    db_bind_int(s, 2, visit_id);
    if ((err = db_exec(s)) != KITE_OK || db_changes(conn) == 0)
        return err;
    return visit_audit(conn, now, "system", party == VISIT_PARTY_CONTACT ? "visit.join_contact" : "visit.join_resident",
                       &v, NULL);
}

kite_err visit_mark_connected(db_conn *conn, int64_t now, int64_t visit_id)
{
    visit_info v;
    kite_err err = visit_get(conn, visit_id, &v);
    if (err != KITE_OK)
        return err;
    if (v.state == VISIT_IN_PROGRESS && v.connected_at != 0)
        return KITE_OK; /* a second call changes nothing */
    if (v.state != VISIT_APPROVED)
        return KITE_ERR_ALREADY_DECIDED;
    if (!in_window(&v, now))
        return KITE_ERR_CONFLICT;
    db_stmt *s = db_prepare(conn, "UPDATE visits SET state = $1, connected_at = $2, media_seen_at = $2, updated_at = $2"
                                  " WHERE id = $3 AND state = $4 AND connected_at IS NULL");
    db_bind_text(s, 1, visit_state_name(VISIT_IN_PROGRESS));
    db_bind_int(s, 2, now);
    db_bind_int(s, 3, visit_id);
    db_bind_text(s, 4, visit_state_name(VISIT_APPROVED));
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    if (db_changes(conn) != 1)
        return KITE_ERR_ALREADY_DECIDED;
    return visit_audit(conn, now, "system", "visit.connected", &v, NULL);
}

kite_err visit_media_seen(db_conn *conn, int64_t visit_id, int64_t seen_at)
{
    db_stmt *s = db_prepare(conn, "UPDATE visits SET media_seen_at = $2 WHERE id = $1 AND state = $3"
                                  " AND connected_at IS NOT NULL AND (media_seen_at IS NULL OR media_seen_at < $2)");
    db_bind_int(s, 1, visit_id);
    db_bind_int(s, 2, seen_at);
    db_bind_text(s, 3, visit_state_name(VISIT_IN_PROGRESS));
    return db_exec(s);
}

int64_t visit_lost_at(const visit_info *v)
{
    return v->connected_at != 0 && v->media_seen_at != 0 ? v->media_seen_at + VISIT_MEDIA_GRACE_MS : 0;
}

int64_t visit_charged_end(const visit_info *v, visit_end_reason reason, int64_t now)
{
    int64_t end = now < v->ends_at ? now : v->ends_at;
    if (v->media_seen_at != 0) {
        int64_t seen = reason == VISIT_END_CONNECTION_LOST ? v->media_seen_at : v->media_seen_at + VISIT_MEDIA_TOLERANCE_MS;
        end = seen < end ? seen : end;
    }
    return end;
}

/* What the connected minutes cost: a started minute counts; never more than the slot. */
int64_t visit_connected_charge(const visit_info *v, visit_end_reason reason, int64_t now)
{
    if (v->connected_at == 0 || reason == VISIT_END_CANCELLED_BY_FACILITY)
        return 0;
    int64_t ms = visit_charged_end(v, reason, now) - v->connected_at;
    if (ms <= 0)
        return 0;
    int64_t minutes = (ms + 59999) / 60000;
    if (minutes > v->length_minutes)
        minutes = v->length_minutes;
    int64_t charge = minutes * v->rate_cents_per_minute;
    return charge > v->price_cents ? v->price_cents : charge;
}

/*
 * Settles the visit's hold: amount kept (to the facility's revenue), the
 * rest released.  A free visit has no hold.
 */
kite_err visit_settle(db_conn *conn, int64_t now, const char *actor, const visit_info *v, int64_t amount)
{
    if (v->hold_id == 0)
        return KITE_OK;
    ledger_hold_info h;
    kite_err err = ledger_hold_get(conn, v->hold_id, &h);
    if (err != KITE_OK)
        return err;
    if (amount == 0)
        return ledger_release(conn, now, actor, h.id);
    int64_t revenue;
    if ((err = ledger_account_open(conn, now, actor, LEDGER_PROVIDER_REVENUE, (ledger_owner){.facility_id = v->facility_id},
                                   h.unit, &revenue)) != KITE_OK)
        return err;
    return ledger_capture_part(conn, now, actor, &h, revenue, amount);
}

kite_err visit_finish(db_conn *conn, int64_t now, int64_t visit_id, visit_end_reason reason, const char *actor,
                      int64_t *charged_cents)
{
    if ((unsigned)reason >= VISIT_END_REASON_COUNT || reason == VISIT_END_NONE || actor == NULL)
        return KITE_ERR_INTERNAL;
    visit_info v;
    kite_err err = visit_get(conn, visit_id, &v);
    if (err != KITE_OK)
        return err;
    if (!visit_transition_allowed(v.state, VISIT_ENDED))
        return KITE_ERR_ALREADY_DECIDED;
    /* The slot ran out on a visit whose media was lost before: that is how it ended (visit.h). */
    int64_t lost = visit_lost_at(&v);
    if (reason == VISIT_END_COMPLETED && lost != 0 && lost <= (now < v.ends_at ? now : v.ends_at))
        reason = VISIT_END_CONNECTION_LOST;
    /* The facility calling it off, or a visit that never connected, costs nothing. */
    int64_t charge = visit_connected_charge(&v, reason, now);
    db_stmt *s = db_prepare(conn, "UPDATE visits SET state = $1, ended_at = $2, end_reason = $3, charged_cents = $4,"
                                  " updated_at = $2 WHERE id = $5 AND state = $6");
    db_bind_text(s, 1, visit_state_name(VISIT_ENDED));
    db_bind_int(s, 2, now);
    db_bind_text(s, 3, visit_end_reason_name(reason));
    db_bind_int(s, 4, charge);
    db_bind_int(s, 5, visit_id);
    db_bind_text(s, 6, visit_state_name(v.state));
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    if (db_changes(conn) != 1)
        return KITE_ERR_ALREADY_DECIDED;
    if ((err = visit_settle(conn, now, actor, &v, charge)) != KITE_OK)
        return err;
    char detail[120];
    snprintf(detail, sizeof detail, "reason=%s charged_cents=%" PRId64, visit_end_reason_name(reason), charge);
    if ((err = visit_audit(conn, now, actor, "visit.end", &v, detail)) != KITE_OK)
        return err;
    if (charged_cents)
        *charged_cents = charge;
    return KITE_OK;
}

/* The sweeper's decision for one visit at now, or VISIT_END_NONE when it has none yet. */
static visit_end_reason sweep_reason(const visit_info *v, int64_t grace_ms, int64_t now)
{
    /* At the slot's end; visit_finish charges it to the last time media was seen and names a lost connection
       (the live sweeper ends a lost one sooner, after asking the media engine itself: cli/live_sweeper.c). */
    if (v->state == VISIT_IN_PROGRESS)
        return now >= v->ends_at ? VISIT_END_COMPLETED : VISIT_END_NONE;
    if (v->state != VISIT_APPROVED || now < v->starts_at + grace_ms)
        return VISIT_END_NONE;
    /* Nobody connected by the start plus the grace: the side that stayed away (both: the family). */
    if (v->contact_joined_at != 0 && v->resident_joined_at == 0)
        return VISIT_END_NO_SHOW_RESIDENT;
    return VISIT_END_NO_SHOW_CONTACT;
}

typedef struct sweep_job {
    const kite_ctx *ctx;
    int64_t now;
    int64_t ids[100];
    size_t count;
    int64_t visit_id;
    bool done;
} sweep_job;

static kite_err sweep_find_tx(db_conn *conn, void *arg)
{
    sweep_job *j = arg;
    db_stmt *s = db_prepare(conn,
        "SELECT v.id FROM visits v LEFT JOIN visit_policies p ON p.facility_id = v.facility_id"
        " WHERE (v.state = $1 AND v.starts_at <= $4)"
        " OR (v.state = $2 AND v.starts_at + COALESCE(p.no_show_grace_minutes, $5) * 60000 <= $4)"
        " OR (v.state = $3 AND v.ends_at <= $4)"
        " OR (v.state IN ($1, $2) AND EXISTS (SELECT 1 FROM contacts c WHERE c.id = v.contact_id AND c.status <> $6))"
        " ORDER BY v.id LIMIT 100");
    db_bind_text(s, 1, visit_state_name(VISIT_PENDING));
    db_bind_text(s, 2, visit_state_name(VISIT_APPROVED));
    db_bind_text(s, 3, visit_state_name(VISIT_IN_PROGRESS));
    db_bind_int(s, 4, j->now);
    db_bind_int(s, 5, VISIT_GRACE_DEFAULT_MINUTES);
    db_bind_text(s, 6, contact_status_name(CONTACT_ACTIVE));
    j->count = 0;
    while (db_next(s) && j->count < 100)
        j->ids[j->count++] = db_int(s, 0);
    return db_done(s);
}

static kite_err sweep_one_tx(db_conn *conn, void *arg)
{
    sweep_job *j = arg;
    j->done = false;
    visit_info v;
    kite_err err = visit_get(conn, j->visit_id, &v);
    if (err != KITE_OK)
        return err;
    if ((v.state == VISIT_PENDING || v.state == VISIT_APPROVED) && !v.contact_active) {
        j->done = true;
        return visit_cancel_contact_ended(conn, j->ctx->public_url, j->now, &v);
    }
    if (v.state == VISIT_PENDING) {
        j->done = true;
        return visit_cancel_unapproved(conn, j->ctx->public_url, j->now, &v);
    }
    kite_fault f = {0};
    visit_policy p;
    if ((err = visit_policy_load(conn, v.facility_id, &p, &f)) != KITE_OK)
        return err;
    visit_end_reason r = sweep_reason(&v, p.no_show_grace_minutes * 60000, j->now);
    if (r == VISIT_END_NONE)
        return KITE_OK;
    j->done = true;
    return visit_finish(conn, j->now, v.id, r, "system", NULL);
}

kite_err visit_sweep(const kite_ctx *ctx, int64_t now, size_t *settled)
{
    sweep_job j = {.ctx = ctx, .now = now};
    *settled = 0;
    kite_err err = db_read(ctx->store, sweep_find_tx, &j);
    if (err != KITE_OK)
        return err;
    for (size_t i = 0; i < j.count; i++) {
        j.visit_id = j.ids[i];
        err = db_write(ctx->store, sweep_one_tx, &j);
        if (err == KITE_ERR_ALREADY_DECIDED)
            continue; /* someone else settled it meanwhile */
        if (err != KITE_OK)
            return err;
        *settled += j.done;
    }
    return KITE_OK;
}
