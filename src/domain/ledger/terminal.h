/*
 * terminal.h - terminal time: the minutes a resident spends on the tablet,
 * paid per minute from the trust account where the facility charges for it
 * (TRULINCS-style; price_schedule.terminal_cents_per_minute > 0).
 *
 * Design: the tablet page sends a heartbeat every minute while it is shown
 * and the person is active (api/terminal.c).  The first heartbeat opens a
 * terminal session (terminal_sessions); a session whose last heartbeat is
 * more than TERMINAL_IDLE_MS old is over, and is closed by the next
 * heartbeat (ended_at = its last heartbeat), which opens a new one.  Each
 * heartbeat settles every minute the session has started and not yet
 * settled (minute k starts at started_at + (k-1) minutes): each such minute
 * is either charged (trust account -> the facility's provider_revenue, kind
 * fee, memo "Terminal time, N min") or, when the trust account cannot pay
 * it, counted as unpaid and never charged later.  The posting and the
 * session's counters are written in one transaction, so a minute is
 * settled exactly once however many heartbeats arrive for it.  The minute
 * rate is fixed when the session opens, so a price change takes effect at
 * the next session.
 *
 * The heartbeat's answer says when the trust account cannot pay the next
 * minute (its balance after this heartbeat is below the rate), so the
 * tablet can tell the resident before a minute goes unpaid.
 *
 * Nothing else waits on terminal time: other requests of a resident whose
 * trust account is empty are answered as usual; only the heartbeat's answer
 * says that the minute was not paid, and the tablet shows it.
 *
 * SECURITY: money.  Minutes are whole and bounded by the time between two
 * heartbeats of one open session (at most TERMINAL_IDLE_MS), so the charge
 * of one heartbeat is a few minutes at the facility's validated rate; the
 * ledger refuses to take the trust account below zero.  The posting's
 * reference names the session and its minutes ("terminal:SESSION:FROM-TO"),
 * so even two heartbeats racing cannot post the same minute twice.
 */
#ifndef KITE_DOMAIN_LEDGER_TERMINAL_H
#define KITE_DOMAIN_LEDGER_TERMINAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/context.h"
#include "domain/ledger/verify.h"

enum {
    TERMINAL_MINUTE_MS = 60 * 1000,
    TERMINAL_IDLE_MS = 5 * 60 * 1000, /* a session with no heartbeat for this long is over */
};

typedef struct terminal_heartbeat_result {
    bool metered;             /* the facility charges terminal time; nothing else is set when false */
    int64_t cents_per_minute; /* the session's rate */
    int64_t session_id;
    int64_t started_at;       /* epoch ms */
    int64_t minutes_charged;  /* in this session so far */
    int64_t minutes_unpaid;   /* started minutes the trust account could not pay (never charged) */
    int64_t charged_now;      /* minutes this heartbeat charged */
    int64_t balance_cents;    /* the trust account after it */
    bool short_of_funds;      /* a minute went unpaid, or the next minute cannot be paid */
    int64_t at;               /* the heartbeat's time (epoch ms), as the minutes were counted */
} terminal_heartbeat_result;

/*
 * The heartbeat of the resident signed in as resident_account_id, at the
 * clock's now (see above).  KITE_ERR_NOT_FOUND when the account is not a
 * resident's.  A facility not on Kite, or one that does not charge for
 * terminal time, answers metered = false and writes nothing.
 */
kite_err terminal_heartbeat(const kite_ctx *ctx, arena *a, int64_t resident_account_id, const char *actor,
                            terminal_heartbeat_result *out) KITE_WUR;

/* Minutes started between started_at and now: minute 1 starts at started_at (pure, unit-tested). */
int64_t terminal_minutes_started(int64_t started_at, int64_t now);

/*
 * For `kite ledger verify`: every session's charged cents are its charged
 * minutes at its rate, and what its postings took from the trust account.
 */
kite_err terminal_sessions_verify(db_conn *conn, ledger_report *r) KITE_WUR;

#endif
