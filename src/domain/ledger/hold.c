/*
 * hold.c - holds: held, then captured or released exactly once (see hold.h).
 *
 * Design: the hold row is written first so its id can be carried by the
 * posting that moves the money; both sit inside one savepoint, so a hold
 * refused for want of money leaves neither behind.  Settling posts first and
 * then moves the state with a conditional UPDATE that also records the
 * settling transaction; if that UPDATE changes no row (another writer
 * settled it meanwhile) the savepoint undoes the posting.
 *
 * SECURITY: money.  A hold's amount, unit and accounts are read from the
 * store, never taken again from the caller at settlement, so a capture
 * cannot take more than was held nor pay it back to someone else.
 */
#include "domain/ledger/hold.h"

#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>

#define HOLD_COLUMNS                                                                                               \
    "id, subject_kind, subject_id, payer_account_id, hold_account_id, amount, unit, state, created_at,"            \
    " COALESCE(settled_at, 0), COALESCE(settle_transaction_id, 0)"

/* Reads one hold row from s (after db_next); false when a name is unknown. */
static bool hold_row(db_stmt *s, ledger_hold_info *out)
{
    *out = (ledger_hold_info){.id = db_int(s, 0),
                              .subject_id = db_int(s, 2),
                              .payer_account_id = db_int(s, 3),
                              .hold_account_id = db_int(s, 4),
                              .amount = db_int(s, 5),
                              .created_at = db_int(s, 8),
                              .settled_at = db_int(s, 9),
                              .settle_transaction_id = db_int(s, 10)};
    return ledger_subject_parse(db_text(s, 1), &out->subject) && ledger_unit_parse(db_text(s, 6), &out->unit) &&
           ledger_hold_state_parse(db_text(s, 7), &out->state);
}

static kite_err hold_read(db_stmt *s, ledger_hold_info *out)
{
    bool found = db_next(s);
    bool known = found && hold_row(s, out);
    kite_err err = db_done(s);
    if (err == KITE_OK && found && !known)
        log_error("ledger: a hold has a subject, unit or state Kite does not know");
    return err != KITE_OK ? err : !found ? KITE_ERR_NOT_FOUND : known ? KITE_OK : KITE_ERR_INTERNAL;
}

kite_err ledger_hold_get(db_conn *conn, int64_t hold_id, ledger_hold_info *out)
{
    db_stmt *s = db_prepare(conn, "SELECT " HOLD_COLUMNS " FROM ledger_holds WHERE id = $1");
    db_bind_int(s, 1, hold_id);
    return hold_read(s, out);
}

kite_err ledger_hold_find(db_conn *conn, ledger_subject subject, int64_t subject_id, ledger_hold_info *out)
{
    db_stmt *s = db_prepare(conn, "SELECT " HOLD_COLUMNS " FROM ledger_holds WHERE subject_kind = $1 AND subject_id = $2");
    db_bind_text(s, 1, ledger_subject_name(subject));
    db_bind_int(s, 2, subject_id);
    return hold_read(s, out);
}

/*
 * What a statement shows for a hold move, in words a payer reads: "Message
 * 12, held until it is delivered", then "... delivered" or "... not
 * delivered: given back".
 */
static void hold_memo(char *memo, size_t size, ledger_subject subject, int64_t subject_id, ledger_hold_state move)
{
    static const char *const subjects[LEDGER_SUBJECT_COUNT] = {[LEDGER_SUBJECT_MESSAGE] = "Message",
                                                               [LEDGER_SUBJECT_VISIT] = "Video visit",
                                                               [LEDGER_SUBJECT_VISIT_MOVE] = "Video visit moved, change"};
    static const char *const moves[LEDGER_HOLD_STATE_COUNT] = {
        [LEDGER_HELD] = "held until it is delivered",
        [LEDGER_CAPTURED] = "delivered",
        [LEDGER_RELEASED] = "not delivered: given back",
    };
    /* A visit is paid for the minutes it was connected: its capture may give part back. */
    static const char *const visit_moves[LEDGER_HOLD_STATE_COUNT] = {
        [LEDGER_HELD] = "held until it takes place",
        [LEDGER_CAPTURED] = "minutes connected charged, the rest given back",
        [LEDGER_RELEASED] = "not charged: given back",
    };
    const char *what = (unsigned)subject < LEDGER_SUBJECT_COUNT ? subjects[subject] : "Hold";
    const char *const *how_of = subject == LEDGER_SUBJECT_VISIT || subject == LEDGER_SUBJECT_VISIT_MOVE ? visit_moves : moves;
    const char *how = (unsigned)move < LEDGER_HOLD_STATE_COUNT ? how_of[move] : "";
    snprintf(memo, size, "%s %" PRId64 ", %s", what, subject_id, how);
}

/* The hold row and the payer -> hold posting; run inside a savepoint. */
static kite_err hold_write(db_conn *conn, int64_t now, const char *actor, ledger_subject subject, int64_t subject_id,
                           const ledger_account *payer, int64_t amount, int64_t *hold_id)
{
    int64_t hold_account;
    kite_err err = ledger_account_open(conn, now, actor, LEDGER_HOLD, payer->owner, payer->unit, &hold_account);
    if (err != KITE_OK)
        return err;
    db_stmt *s = db_prepare(conn,
        "INSERT INTO ledger_holds (subject_kind, subject_id, payer_account_id, hold_account_id, amount, unit, state,"
        " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id");
    db_bind_text(s, 1, ledger_subject_name(subject));
    db_bind_int(s, 2, subject_id);
    db_bind_int(s, 3, payer->id);
    db_bind_int(s, 4, hold_account);
    db_bind_int(s, 5, amount);
    db_bind_text(s, 6, ledger_unit_name(payer->unit));
    db_bind_text(s, 7, ledger_hold_state_name(LEDGER_HELD));
    db_bind_int(s, 8, now);
    *hold_id = db_next(s) ? db_int(s, 0) : 0;
    if ((err = db_done(s)) != KITE_OK)
        return err; /* KITE_ERR_CONFLICT: the subject has a hold already */
    char memo[80];
    hold_memo(memo, sizeof memo, subject, subject_id, LEDGER_HELD);
    const ledger_line lines[] = {{payer->id, -amount}, {hold_account, amount}};
    const ledger_posting p = {LEDGER_TX_HOLD, memo, NULL, actor, lines, 2};
    int64_t transaction_id;
    return ledger_post_hold_move(conn, now, &p, *hold_id, &transaction_id);
}

kite_err ledger_hold(db_conn *conn, int64_t now, const char *actor, ledger_subject subject, int64_t subject_id,
                     int64_t payer_account_id, int64_t amount, ledger_unit unit, int64_t *hold_id)
{
    if ((unsigned)subject >= LEDGER_SUBJECT_COUNT || amount <= 0 || amount > LEDGER_AMOUNT_MAX || actor == NULL)
        return KITE_ERR_INTERNAL;
    ledger_account payer;
    kite_err err = ledger_account_get(conn, payer_account_id, &payer);
    if (err != KITE_OK)
        return err;
    /* Only a person's own money is held: not a hold account, not revenue, not the processor's. */
    const ledger_kind_rule *rule = ledger_kind_rule_of(payer.kind);
    if (payer.unit != unit || payer.kind == LEDGER_HOLD || !rule->needs_person || payer.allow_negative) {
        log_error("ledger: account %" PRId64 " (%s in %s) cannot pay a hold in %s", payer.id,
                  ledger_kind_name(payer.kind), ledger_unit_name(payer.unit), ledger_unit_name(unit));
        return KITE_ERR_INTERNAL;
    }
    if ((err = ledger_savepoint(conn)) != KITE_OK)
        return err;
    int64_t id = 0;
    err = ledger_savepoint_end(conn, hold_write(conn, now, actor, subject, subject_id, &payer, amount, &id));
    if (err == KITE_OK)
        *hold_id = id;
    return err;
}

/* The posting, then held -> to with the settling transaction; run inside a savepoint. */
static kite_err settle_write(db_conn *conn, int64_t now, const ledger_hold_info *h, ledger_hold_state to,
                             const ledger_posting *p)
{
    int64_t transaction_id;
    kite_err err = ledger_post_hold_move(conn, now, p, h->id, &transaction_id);
    if (err != KITE_OK)
        return err;
    db_stmt *s = db_prepare(conn,
        "UPDATE ledger_holds SET state = $1, settled_at = $2, settle_transaction_id = $3 WHERE id = $4 AND state = $5");
    db_bind_text(s, 1, ledger_hold_state_name(to));
    db_bind_int(s, 2, now);
    db_bind_int(s, 3, transaction_id);
    db_bind_int(s, 4, h->id);
    db_bind_text(s, 5, ledger_hold_state_name(LEDGER_HELD));
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    return db_changes(conn) == 1 ? KITE_OK : KITE_ERR_ALREADY_DECIDED;
}

/* Settles h into state `to` with these entries, or refuses a move the state machine forbids. */
static kite_err settle(db_conn *conn, int64_t now, const char *actor, const ledger_hold_info *h, ledger_hold_state to,
                       const ledger_line *lines, size_t count)
{
    if (!ledger_hold_transition_allowed(h->state, to))
        return KITE_ERR_ALREADY_DECIDED;
    char memo[80];
    hold_memo(memo, sizeof memo, h->subject, h->subject_id, to);
    const ledger_posting p = {to == LEDGER_CAPTURED ? LEDGER_TX_CAPTURE : LEDGER_TX_RELEASE, memo, NULL, actor,
                              lines, count};
    kite_err err = ledger_savepoint(conn);
    if (err != KITE_OK)
        return err;
    return ledger_savepoint_end(conn, settle_write(conn, now, h, to, &p));
}

kite_err ledger_capture(db_conn *conn, int64_t now, const char *actor, int64_t hold_id, const ledger_line *split,
                        size_t count)
{
    if (split == NULL || count == 0 || count >= LEDGER_POSTING_MAX_LINES || actor == NULL)
        return KITE_ERR_INTERNAL;
    ledger_hold_info h;
    kite_err err = ledger_hold_get(conn, hold_id, &h);
    if (err != KITE_OK)
        return err;
    return ledger_capture_found(conn, now, actor, &h, split, count);
}

kite_err ledger_capture_found(db_conn *conn, int64_t now, const char *actor, const ledger_hold_info *found,
                              const ledger_line *split, size_t count)
{
    if (split == NULL || count == 0 || count >= LEDGER_POSTING_MAX_LINES || actor == NULL)
        return KITE_ERR_INTERNAL;
    const ledger_hold_info h = *found;
    if (!ledger_hold_transition_allowed(h.state, LEDGER_CAPTURED))
        return KITE_ERR_ALREADY_DECIDED; /* before the split is judged: a second capture is a decided one */
    ledger_line lines[LEDGER_POSTING_MAX_LINES];
    lines[0] = (ledger_line){h.hold_account_id, -h.amount};
    int64_t total = 0;
    for (size_t i = 0; i < count; i++) {
        /* Each share is positive and bounded, so the total cannot overflow. */
        if (split[i].amount <= 0 || split[i].amount > LEDGER_AMOUNT_MAX || split[i].account_id == h.hold_account_id ||
            split[i].account_id == h.payer_account_id)
            return KITE_ERR_INTERNAL; /* a capture pays someone else: to the payer it is a release */
        total += split[i].amount;
        lines[i + 1] = split[i];
    }
    if (total != h.amount) {
        log_error("ledger: capture of hold %" PRId64 " splits %" PRId64 " of %" PRId64 "; nothing written", h.id,
                  total, h.amount);
        return KITE_ERR_INTERNAL;
    }
    return settle(conn, now, actor, &h, LEDGER_CAPTURED, lines, count + 1);
}

kite_err ledger_release(db_conn *conn, int64_t now, const char *actor, int64_t hold_id)
{
    if (actor == NULL)
        return KITE_ERR_INTERNAL;
    ledger_hold_info h;
    kite_err err = ledger_hold_get(conn, hold_id, &h);
    if (err != KITE_OK)
        return err;
    const ledger_line lines[] = {{h.hold_account_id, -h.amount}, {h.payer_account_id, h.amount}};
    return settle(conn, now, actor, &h, LEDGER_RELEASED, lines, 2);
}

kite_err ledger_capture_part(db_conn *conn, int64_t now, const char *actor, const ledger_hold_info *found,
                             int64_t revenue_account_id, int64_t amount)
{
    if (actor == NULL || amount < 0 || amount > found->amount || revenue_account_id == found->hold_account_id ||
        revenue_account_id == found->payer_account_id)
        return KITE_ERR_INTERNAL;
    const ledger_hold_info h = *found;
    if (amount == 0)
        return ledger_release(conn, now, actor, h.id);
    if (!ledger_hold_transition_allowed(h.state, LEDGER_CAPTURED))
        return KITE_ERR_ALREADY_DECIDED;
    /* One capture: the whole hold leaves the hold account, part to revenue, the rest back to the payer. */
    ledger_line lines[3] = {{h.hold_account_id, -h.amount}, {revenue_account_id, amount}, {0, 0}};
    size_t count = 2;
    if (amount < h.amount)
        lines[count++] = (ledger_line){h.payer_account_id, h.amount - amount};
    return settle(conn, now, actor, &h, LEDGER_CAPTURED, lines, count);
}
