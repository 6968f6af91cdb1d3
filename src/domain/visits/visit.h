/*
 * visit.h - video visits: booking, decisions, and the money of a visit.
 *
 * Design: a facility offers weekly slots (visit_setup.h) in its own time
 * zone; a booking names a UTC instant that must be the start of one of
 * them, in the facility's wall time, on a day that is no blackout, inside
 * the policy's lead time and horizon, with a free place in that slot's
 * occurrence and no other live visit of the resident overlapping it.
 * Booking holds the full price (slot minutes x the facility's video rate,
 * prices.h, under the FCC cap) from the payer - the contact's balance, or
 * the resident's trust account when the resident books - in the same
 * transaction as the visit row (ledger_hold, subject visit).  A move to a
 * slot of another price releases that hold and holds the new price from
 * the same payer, in the transaction of the move.  Declining and
 * any facility cancellation release it in full; a family cancellation
 * releases it in full before the cut-off, and after it as the policy says
 * (full by default).  The live visit (the other half of issue 14) calls
 * visit_mark_joined, visit_mark_connected and visit_finish; visit_finish
 * captures the connected minutes (a started minute counts, as phone calls
 * do) and releases the rest in one capture (ledger_capture_part).  The
 * sweeper (visit_sweep) ends what time has ended: no-shows (nobody
 * connected by the start plus the grace: full release), visits whose slot
 * is over (completed), bookings never approved before they began.
 *
 * Every change writes an audit record in the same transaction as the
 * state and the money.
 *
 * SECURITY: money and private facts.  Prices, rates and payers are read
 * from the store in the booking transaction, never from the client; a
 * settlement reads the hold from the store (hold.h).  The caller's scope is
 * checked here: a contact sees and changes only visits booked on its own
 * contact rows, a resident its own, staff those of their own facility; a
 * visit outside scope is KITE_ERR_NOT_FOUND, as if it did not exist.
 */
#ifndef KITE_DOMAIN_VISITS_VISIT_H
#define KITE_DOMAIN_VISITS_VISIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "db/db.h"
#include "domain/context.h"
#include "domain/identity/account.h"
#include "domain/visits/visit_setup.h"
#include "domain/visits/visit_state.h"
#include "domain/visits/visit_zone.h"

enum { VISIT_REASON_MAX_CHARS = 500, VISIT_KEY_MAX_BYTES = 200, VISIT_PAGE_MAX = 100 };
/* A side may join this long before the start (visit_mark_connected's window). */
#define VISIT_EARLY_JOIN_MS (5 * 60 * 1000)
/*
 * A connected visit whose media has not been seen flowing from both sides
 * for this long ends as connection_lost.  Longer than an ICE restart or a
 * phone moving from Wi-Fi to mobile data (Chromium calls a silent
 * connection "disconnected" after some seconds and "failed" after 30 s; the
 * page's poll every 2 s sees it come back), short enough that a visit
 * whose browsers vanished stops holding its room.
 */
#define VISIT_MEDIA_GRACE_MS (60 * 1000)
/*
 * A visit ended any other way (a party leaves, a monitor ends it, the slot
 * is over) is charged to min(now, last seen + this), never past what was
 * seen by more than this.  Media is only looked at when a page polls (every
 * 2 s, three pages a visit), so a visit whose media flowed to the end was
 * last seen up to a poll (and a slow poll) before it: 10 s keeps those
 * seconds charged, and a visit whose media stopped long before its end is
 * not charged for the silence.  A connection_lost end is charged to the
 * last time media was seen, exactly.
 */
#define VISIT_MEDIA_TOLERANCE_MS (10 * 1000)

typedef struct visit_info {
    int64_t id;
    int64_t facility_id;
    int64_t resident_id;
    int64_t contact_id;          /* contacts.id */
    int64_t contact_account_id;  /* the family member's account */
    int64_t resident_account_id; /* the resident's tablet account */
    int64_t booker_account_id;   /* who booked (contact or resident) */
    int64_t room_id;
    int64_t slot_id;
    int64_t starts_at, ends_at;  /* epoch ms UTC */
    int64_t length_minutes;
    visit_state state;
    int64_t price_cents;         /* held at booking */
    int64_t rate_cents_per_minute;
    int64_t payer_account_id;    /* ledger account; 0 when the visit is free */
    int64_t hold_id;             /* 0 when the visit is free */
    bool monitoring_required;
    bool privileged;             /* a verified attorney's visit: not monitored, not recorded */
    int64_t contact_joined_at, resident_joined_at; /* 0 until that side joined */
    int64_t connected_at;        /* 0 until both sides' media reached the media engine */
    int64_t media_seen_at;       /* the last time both sides' media was seen flowing; 0: never (or before step 29) */
    int64_t ended_at;            /* 0 until ended, declined or cancelled */
    visit_end_reason end_reason;
    int64_t charged_cents;       /* what was kept when settled; 0 before */
    char reason[VISIT_REASON_MAX_CHARS * 4 + 1]; /* a decline or cancellation's words; "" when none */
    char time_zone[VISIT_ZONE_MAX];              /* the facility's zone at reading time */
    char resident_number[40];                    /* who, for the pages (truncated past the buffer) */
    char resident_name[200];
    char contact_name[200];
    int64_t created_at, updated_at;
    bool contact_active;                         /* the contact row is still active (not removed, blocked, suspended) */
} visit_info;

/* Inside the caller's transaction.  KITE_ERR_NOT_FOUND when there is no such visit. */
kite_err visit_get(db_conn *conn, int64_t visit_id, visit_info *out) KITE_WUR;

/*
 * One side came into the room (the live visit calls this on each join):
 * records that side's first join; a later join of the same side changes
 * nothing.  KITE_ERR_ALREADY_DECIDED when the visit is not approved or in
 * progress; KITE_ERR_CONFLICT outside [starts_at - 5 min, ends_at].
 */
kite_err visit_mark_joined(db_conn *conn, int64_t now, int64_t visit_id, visit_party party) KITE_WUR;

/*
 * Both sides' media reached the media engine (api/visit_media.c says when):
 * connected_at and media_seen_at are set once (a second call changes
 * nothing and returns KITE_OK), state -> in_progress.
 * KITE_ERR_ALREADY_DECIDED when the visit is not approved (pending,
 * declined, cancelled, ended); KITE_ERR_CONFLICT outside
 * [starts_at - 5 min, ends_at].
 */
kite_err visit_mark_connected(db_conn *conn, int64_t now, int64_t visit_id) KITE_WUR;

/*
 * Ends the visit once, with reason (not VISIT_END_NONE), and settles its
 * money in the same transaction: the connected minutes, ceil((visit_charged_end
 * - connected_at) / 60 s), never more than the slot's, times the rate are
 * captured and the rest released; a visit that never connected
 * (or was cancelled by the facility) releases everything.  *charged_cents
 * (may be NULL) is what was kept.  KITE_ERR_ALREADY_DECIDED when it was
 * ended, declined or cancelled before.
 */
kite_err visit_finish(db_conn *conn, int64_t now, int64_t visit_id, visit_end_reason reason, const char *actor,
                      int64_t *charged_cents) KITE_WUR;

/*
 * The instant a visit ending now for reason is charged to: min(now,
 * ends_at), and once media was seen (media_seen_at) no later than it
 * (connection_lost) or than it plus VISIT_MEDIA_TOLERANCE_MS (any other
 * end).  visit_finish records a completed end (the slot's time was up) of a
 * visit whose media was lost before that as connection_lost
 * (visit_lost_at says when that was), so the sweepers and the pages agree.
 */
int64_t visit_charged_end(const visit_info *v, visit_end_reason reason, int64_t now);
/* What ending v now for reason costs: ceil((visit_charged_end - connected_at) / 60 s) minutes at the rate, capped. */
int64_t visit_connected_charge(const visit_info *v, visit_end_reason reason, int64_t now);
/* When a connected visit's media counts as lost (media_seen_at + VISIT_MEDIA_GRACE_MS), or 0 when unknown. */
int64_t visit_lost_at(const visit_info *v);
/* Both sides' media was seen flowing at seen_at (a visit in progress; moves media_seen_at only forwards). */
kite_err visit_media_seen(db_conn *conn, int64_t visit_id, int64_t seen_at) KITE_WUR;

/* A booking or quote as the client asks for it. */
typedef struct visit_request {
    int64_t facility_id; /* 0: the contact's resident's facility */
    int64_t contact_id;  /* contacts.id (required) */
    int64_t starts_at;   /* epoch ms UTC */
    int64_t slot_id;     /* 0: any slot of the facility starting then */
} visit_request;

typedef struct visit_quote {
    int64_t facility_id, slot_id, room_id;
    int64_t starts_at, ends_at, length_minutes;
    int64_t rate_cents_per_minute, price_cents;
    int64_t balance_cents;    /* what the payer has now */
    int64_t visit_id;         /* a reschedule's quote: the visit moved; 0 for a booking */
    int64_t held_cents;       /* a reschedule's: what the visit's hold holds now */
    int64_t difference_cents; /* price - held: > 0 held more, < 0 given back (a booking: the price) */
    bool enough;              /* the payer can pay it (a reschedule: balance + held >= price) */
    bool payer_is_trust;      /* the resident's trust account pays */
    bool approval_required, monitoring_required, privileged;
    char time_zone[VISIT_ZONE_MAX];
} visit_quote;

/*
 * The price and the slot, checked as a booking would be, without writing
 * anything.  Refused with the fault naming why:
 *   KITE_ERR_NOT_FOUND      no such contact of the caller (FAULT_UNKNOWN, "contact_id")
 *   KITE_ERR_INVALID_FIELD  "starts_at": FAULT_VISIT_LEAD_TIME (limit: minutes),
 *                           FAULT_VISIT_HORIZON (limit: days), FAULT_VISIT_BLACKOUT,
 *                           FAULT_VISIT_NO_SLOT; "facility_id": FAULT_VISIT_NO_ZONE
 *   KITE_ERR_CONFLICT       "starts_at": FAULT_VISIT_FULL, FAULT_VISIT_OVERLAP
 *   KITE_ERR_FORBIDDEN      the caller is neither the contact nor the resident
 */
kite_err visit_quote_get(const kite_ctx *ctx, const account *caller, const visit_request *r, visit_quote *out,
                         kite_fault *fault) KITE_WUR;

/*
 * Books: the quote's checks, then the visit row, its place in the slot and
 * the hold, in one transaction.  key (may be NULL) is the Idempotency-Key:
 * the same key again returns the first visit with *repeat set, or
 * KITE_ERR_IDEMPOTENCY_KEY_REUSED when it was for another booking.
 * KITE_ERR_INSUFFICIENT_FUNDS (FAULT_VISIT_FUNDS: limit the price, max the
 * balance) when the payer cannot cover the price.
 */
kite_err visit_book(const kite_ctx *ctx, const account *caller, const visit_request *r, const char *key,
                    visit_info *out, bool *repeat, kite_fault *fault) KITE_WUR;

/*
 * Staff (reviewer, facility admin of the facility, operator) approve or
 * decline a pending visit; a decline releases the hold.  reason is required
 * for a decline.  KITE_ERR_ALREADY_DECIDED (FAULT_VISIT_STATE) when not pending.
 */
kite_err visit_decide(const kite_ctx *ctx, const account *caller, int64_t visit_id, bool approve, const char *reason,
                      visit_info *out, kite_fault *fault) KITE_WUR;

/*
 * Cancels a pending or approved visit.  Staff: always a full release.  The
 * contact or the resident: full release before the policy's cut-off; after
 * it, what the policy's late_cancel_refund says.
 */
kite_err visit_cancel(const kite_ctx *ctx, const account *caller, int64_t visit_id, const char *reason,
                      visit_info *out, kite_fault *fault) KITE_WUR;

/*
 * What moving a visit does to its money (pure arithmetic): the held amount
 * is given back first and the new price held, so the payer can pay when
 * balance + held >= price.  difference = price - held.
 */
typedef struct visit_reprice {
    int64_t held_cents, price_cents, balance_cents;
    int64_t difference_cents; /* > 0: that much more is held; < 0: that much is given back */
    int64_t available_cents;  /* balance + held */
    bool enough;
} visit_reprice;
visit_reprice visit_reprice_of(int64_t held_cents, int64_t price_cents, int64_t balance_cents);

/*
 * Moves a pending or approved visit to another start under the booking's
 * rules, at the facility's current rate.  The same price keeps the hold;
 * another price releases the hold and holds the new price from the same
 * payer as the booking (the contact's balance, or the resident's trust
 * account when the resident booked), in the same transaction as the move
 * (the new hold's subject is the move, LEDGER_SUBJECT_VISIT_MOVE).
 * KITE_ERR_INSUFFICIENT_FUNDS (FAULT_VISIT_FUNDS_MOVE: limit the new price,
 * max the balance plus what is held) when the payer cannot pay it: nothing
 * moves.  key (may be NULL) is the Idempotency-Key, per caller: the same
 * key again for the same visit and start returns the visit as it is now
 * with *repeat set and moves nothing; for another move it is
 * KITE_ERR_IDEMPOTENCY_KEY_REUSED.  Goes back to pending when the policy
 * requires approval.
 */
kite_err visit_reschedule(const kite_ctx *ctx, const account *caller, int64_t visit_id, int64_t starts_at,
                          int64_t slot_id, const char *key, visit_info *out, bool *repeat,
                          kite_fault *fault) KITE_WUR;

/*
 * The quote of such a move, checked as the move would be, writing
 * nothing: the new price, what is held, the difference, the payer's
 * balance and whether it is enough.  Errors as visit_reschedule (but no
 * funds error: enough says it).
 */
kite_err visit_reschedule_quote(const kite_ctx *ctx, const account *caller, int64_t visit_id, int64_t starts_at,
                                int64_t slot_id, visit_quote *out, kite_fault *fault) KITE_WUR;

/* One visit in the caller's scope; KITE_ERR_NOT_FOUND outside it. */
kite_err visit_read(const kite_ctx *ctx, const account *caller, int64_t visit_id, visit_info *out) KITE_WUR;

/*
 * A page of visits: up to limit (1..VISIT_PAGE_MAX) after the cursor the
 * page before gave ("G.STARTS.ID": its last item's group, start and id;
 * NULL or "" for the first page); next_cursor is NULL on the last page.
 */
typedef struct visit_page_query {
    const char *cursor;
    size_t limit;
} visit_page_query;

typedef struct visit_page {
    visit_info *items;
    size_t count;
    const char *next_cursor;
} visit_page;

/* A person's visits: upcoming (not over, soonest first) or past (newest first).  A cursor that is not one: 422. */
kite_err visit_list_mine(const kite_ctx *ctx, arena *a, const account *caller, bool upcoming,
                         const visit_page_query *q, visit_page *out, kite_fault *fault) KITE_WUR;

/* One reschedule of a visit (visit_moves): who moved it, from when to when, the price before and after. */
typedef struct visit_move {
    int64_t visit_id;
    int64_t moved_at;            /* epoch ms */
    bool by_contact;             /* false: the resident moved it */
    int64_t from_starts_at, to_starts_at;
    int64_t from_price_cents, to_price_cents;
} visit_move;

/*
 * Every move of a contact's own visits (by the contact or the resident), by
 * visit then time: the data export's history of its visits (the export is
 * a contact's).  Anyone else: KITE_ERR_FORBIDDEN.
 */
kite_err visit_moves_mine(const kite_ctx *ctx, arena *a, const account *caller, visit_move **items,
                          size_t *count) KITE_WUR;

/* Staff: a facility's visits starting in [from, to), pending first, then by start. */
kite_err visit_list_facility(const kite_ctx *ctx, arena *a, const account *caller, int64_t facility_id, int64_t from,
                             int64_t to, bool has_state, visit_state state, const visit_page_query *q,
                             visit_page *out, kite_fault *fault) KITE_WUR;

/* One bookable start: a slot occurrence inside the lead time and horizon, on no blackout day. */
typedef struct visit_opening {
    int64_t slot_id, room_id;
    int64_t starts_at, ends_at; /* epoch ms UTC */
    int length_minutes;
    int places_left;            /* 0: full (still listed, so the page can say so) */
    int64_t price_cents;        /* length x the facility's video rate */
} visit_opening;

enum { VISIT_OPENINGS_MAX = 500 };

/*
 * The facility's bookable starts from now to its horizon, soonest first
 * (up to VISIT_OPENINGS_MAX), with its policy.  KITE_ERR_INVALID_FIELD
 * (FAULT_VISIT_NO_ZONE) when the facility set no time zone.
 */
kite_err visit_openings(const kite_ctx *ctx, arena *a, int64_t facility_id, visit_policy *pol,
                        visit_opening **items, size_t *count, kite_fault *fault) KITE_WUR;

/*
 * Inside the caller's transaction, when a resident leaves the facility
 * (released or moved; context.h's resident_leaving): every visit not over
 * yet is called off by the facility, its whole price given back, both
 * sides told.
 */
kite_err visit_close_for_resident(db_conn *conn, arena *a, int64_t resident_id, int64_t now,
                                  const char *actor) KITE_WUR;

/* The sweeper's pass at now: what it ended, cancelled or marked as a no-show. */
kite_err visit_sweep(const kite_ctx *ctx, int64_t now, size_t *settled) KITE_WUR;

/* Whether the caller is staff who may act for facility_id. */
bool visit_staff_in_scope(const account *caller, int64_t facility_id);

#endif
