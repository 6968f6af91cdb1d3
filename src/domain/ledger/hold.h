/*
 * hold.h - money held for something until it happens or does not.
 *
 * Design: a price is held when the thing it pays for is asked for (a
 * message submitted): ledger_hold moves it from the payer's account to the
 * payer's hold account, so it can no longer be spent twice but is not yet
 * anybody's revenue.  When the thing happens (the message is delivered)
 * ledger_capture moves it from the hold account to the revenue accounts;
 * when it does not (rejected, withdrawn, the resident released)
 * ledger_release moves it back to the payer.  Nobody pays for what was not
 * delivered.  One hold per subject (UNIQUE subject_kind, subject_id).
 *
 * Each move is a posting (hold, capture or release: the transaction carries
 * the hold's id) and a state change held -> captured | released
 * (ledger_hold_transition_allowed), written together inside the caller's
 * transaction, so the business change and the money commit together.
 *
 * SECURITY: money.  A hold is settled exactly once: the state change is a
 * conditional UPDATE (WHERE state = 'held') checked for one changed row, so
 * a second capture, a capture after a release or a release after a capture,
 * even from another connection, is refused with KITE_ERR_ALREADY_DECIDED
 * and writes nothing.  A capture must split exactly the held amount, in the
 * hold's unit: what is captured is what was held, no more, no less (a
 * partial capture, ledger_capture_part, pays the rest back to the payer in
 * the same transaction).
 */
#ifndef KITE_DOMAIN_LEDGER_HOLD_H
#define KITE_DOMAIN_LEDGER_HOLD_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "db/db.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/ledger_state.h"

typedef struct ledger_hold_info {
    int64_t id;
    ledger_subject subject;
    int64_t subject_id;
    int64_t payer_account_id;
    int64_t hold_account_id;
    int64_t amount;
    ledger_unit unit;
    ledger_hold_state state;
    int64_t created_at;
    int64_t settled_at;            /* 0 while held */
    int64_t settle_transaction_id; /* 0 while held */
} ledger_hold_info;

/*
 * Holds amount (> 0, in unit) of payer_account_id for the subject;
 * *hold_id is the new hold.  The payer must be a person's account in that
 * unit (contact balance, trust account, stamps ...); the hold account is
 * opened for the same owner when needed.  Nothing written when refused:
 *   KITE_ERR_INSUFFICIENT_FUNDS  the payer's balance is below amount
 *   KITE_ERR_CONFLICT            the subject already has a hold
 *   KITE_ERR_NOT_FOUND           no such payer account
 *   KITE_ERR_INTERNAL            a bad amount, unit or payer (a programming error)
 */
kite_err ledger_hold(db_conn *conn, int64_t now, const char *actor, ledger_subject subject, int64_t subject_id,
                     int64_t payer_account_id, int64_t amount, ledger_unit unit, int64_t *hold_id) KITE_WUR;

/*
 * Captures a held hold: the split (account, amount > 0) goes to each
 * account, and must add up to the held amount in the hold's unit, paying
 * neither the hold account nor the payer (else KITE_ERR_INTERNAL, nothing
 * written).  KITE_ERR_ALREADY_DECIDED when the
 * hold was captured or released before; KITE_ERR_NOT_FOUND for no hold.
 */
kite_err ledger_capture(db_conn *conn, int64_t now, const char *actor, int64_t hold_id, const ledger_line *split,
                        size_t count) KITE_WUR;
/*
 * The same for a hold the caller read with ledger_hold_find or ledger_hold_get
 * in this same transaction (so not read twice).  SECURITY: h must come from
 * the store in this transaction, never from a client or an earlier one: its
 * amount, unit and accounts are what is moved.
 */
kite_err ledger_capture_found(db_conn *conn, int64_t now, const char *actor, const ledger_hold_info *h,
                              const ledger_line *split, size_t count) KITE_WUR;
/*
 * A partial capture (a video visit pays for the minutes it was connected):
 * in one capture transaction the whole hold leaves the hold account,
 * amount (0 .. the held amount) goes to revenue_account_id and the rest
 * back to the payer, so the double entry and `kite ledger verify` (each hold
 * move takes exactly the hold's amount out of its hold account) hold as for
 * a full capture.  amount == 0 is a release; amount == the held amount a
 * full capture.  h as for ledger_capture_found (read in this transaction).
 * KITE_ERR_INTERNAL for an amount outside 0 .. held or a revenue account
 * that is the payer's or the hold's; KITE_ERR_ALREADY_DECIDED when settled.
 */
kite_err ledger_capture_part(db_conn *conn, int64_t now, const char *actor, const ledger_hold_info *h,
                             int64_t revenue_account_id, int64_t amount) KITE_WUR;
/* Gives a held hold back to its payer; errors as ledger_capture. */
kite_err ledger_release(db_conn *conn, int64_t now, const char *actor, int64_t hold_id) KITE_WUR;

/* KITE_ERR_NOT_FOUND when there is no such hold. */
kite_err ledger_hold_get(db_conn *conn, int64_t hold_id, ledger_hold_info *out) KITE_WUR;
kite_err ledger_hold_find(db_conn *conn, ledger_subject subject, int64_t subject_id, ledger_hold_info *out) KITE_WUR;

#endif
