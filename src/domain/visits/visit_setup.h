/*
 * visit_setup.h - what a facility offers: its visit policy and time zone,
 * rooms, weekly slots and blackout dates.
 *
 * Design: a facility without a stored policy has the defaults below and no
 * time zone; it offers no slot until its admin sets a zone (the directory
 * has no zone, and a guess would put visits at the wrong hour).  Slots are
 * weekly wall-clock times (weekday, minute after local midnight) so that
 * they keep their local time across DST changes.  A slot or room is never
 * deleted (visits name it): it is made inactive and offers nothing more.
 *
 * SECURITY: facility admins (their own facility) and operators write these;
 * everything is validated here, the zone against ICU's database.
 */
#ifndef KITE_DOMAIN_VISITS_VISIT_SETUP_H
#define KITE_DOMAIN_VISITS_VISIT_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "db/db.h"
#include "domain/context.h"
#include "domain/identity/account.h"
#include "domain/visits/visit_zone.h"

enum {
    VISIT_LEAD_DEFAULT_MINUTES = 24 * 60,
    VISIT_LEAD_MAX_MINUTES = 14 * 24 * 60,
    VISIT_HORIZON_DEFAULT_DAYS = 14,
    VISIT_HORIZON_MAX_DAYS = 90,
    VISIT_CUTOFF_DEFAULT_MINUTES = 24 * 60,
    VISIT_CUTOFF_MAX_MINUTES = 14 * 24 * 60,
    VISIT_GRACE_DEFAULT_MINUTES = 10,
    VISIT_GRACE_MAX_MINUTES = 60,
    VISIT_LENGTH_MAX_MINUTES = 240,
    VISIT_CAPACITY_MAX = 50,
    VISIT_ROOM_NAME_MAX_CHARS = 100,
    VISIT_SETUP_LIST_MAX = 500,
};

/* What a family cancelling after the cut-off gets back. */
typedef enum visit_late_refund { VISIT_LATE_REFUND_FULL, VISIT_LATE_REFUND_NONE, VISIT_LATE_REFUND_COUNT } visit_late_refund;
const char *visit_late_refund_name(visit_late_refund r);
bool visit_late_refund_parse(const char *name, visit_late_refund *out);

typedef struct visit_policy {
    int64_t facility_id;
    char time_zone[VISIT_ZONE_MAX]; /* "" until set */
    char suggested_zone[VISIT_ZONE_MAX]; /* the state's zone when it keeps one (read only), else "" */
    int64_t lead_minutes;
    int64_t horizon_days;
    bool approval_required;
    bool monitoring_required;
    int64_t cancel_cutoff_minutes;
    visit_late_refund late_cancel_refund;
    int64_t no_show_grace_minutes;
    bool stored;        /* false: the defaults */
    int64_t updated_at; /* 0 for the defaults */
} visit_policy;

/*
 * Inside the caller's transaction: the facility's visit policy (the
 * defaults when it stored none).  KITE_ERR_NOT_FOUND (FAULT_POLICY) when
 * the facility is not on Kite.
 */
kite_err visit_policy_load(db_conn *conn, int64_t facility_id, visit_policy *out, kite_fault *fault) KITE_WUR;
kite_err visit_policy_get(const kite_ctx *ctx, int64_t facility_id, visit_policy *out, kite_fault *fault) KITE_WUR;

/*
 * Stores p (validated: the zone ICU knows - FAULT_TIME_ZONE - and each
 * number in its range - FAULT_RANGE) as the facility's policy, audited.
 * The caller must be the facility's admin or an operator (else NOT_FOUND).
 */
kite_err visit_policy_save(const kite_ctx *ctx, const account *caller, const visit_policy *p, visit_policy *out,
                           kite_fault *fault) KITE_WUR;

typedef struct visit_room {
    int64_t id, facility_id;
    const char *name; /* in the arena */
    bool active;
    int64_t created_at;
} visit_room;

typedef struct visit_slot {
    int64_t id, facility_id, room_id;
    int weekday;          /* 0 Sunday .. 6 Saturday, facility time */
    int start_minute;     /* after local midnight */
    int length_minutes;
    int capacity;         /* visits at once in this slot occurrence */
    bool active;
    int64_t created_at;
} visit_slot;

typedef struct visit_blackout {
    int64_t id, facility_id;
    const char *day;    /* YYYY-MM-DD, facility time, in the arena */
    const char *reason; /* in the arena */
    int64_t created_at;
} visit_blackout;

kite_err visit_room_add(const kite_ctx *ctx, arena *a, const account *caller, int64_t facility_id, const char *name,
                        visit_room *out, kite_fault *fault) KITE_WUR;
kite_err visit_rooms_list(const kite_ctx *ctx, arena *a, int64_t facility_id, visit_room **items,
                          size_t *count) KITE_WUR;

/*
 * s's facility_id names the facility; its id, active and created_at are ignored.
 * KITE_ERR_CONFLICT "start_time" FAULT_VISIT_SLOT_OVERLAP: another active slot of
 * the room shares a minute with it (a room holds one slot at a time).
 */
kite_err visit_slot_add(const kite_ctx *ctx, const account *caller, const visit_slot *s, visit_slot *out,
                        kite_fault *fault) KITE_WUR;
/* Stops offering a slot (booked visits keep it). */
kite_err visit_slot_retire(const kite_ctx *ctx, const account *caller, int64_t facility_id, int64_t slot_id) KITE_WUR;
/* Active slots only, by weekday and start. */
kite_err visit_slots_list(const kite_ctx *ctx, arena *a, int64_t facility_id, visit_slot **items,
                          size_t *count) KITE_WUR;

kite_err visit_blackout_add(const kite_ctx *ctx, arena *a, const account *caller, int64_t facility_id, const char *day,
                            const char *reason, visit_blackout *out, kite_fault *fault) KITE_WUR;
kite_err visit_blackout_remove(const kite_ctx *ctx, const account *caller, int64_t facility_id,
                               int64_t blackout_id) KITE_WUR;
kite_err visit_blackouts_list(const kite_ctx *ctx, arena *a, int64_t facility_id, visit_blackout **items,
                              size_t *count) KITE_WUR;

/* Whether the caller may change facility_id's visit setup (its admin, or an operator). */
bool visit_admin_in_scope(const account *caller, int64_t facility_id);

/* Inside a transaction: whether day (YYYY-MM-DD) is a blackout at the facility. */
kite_err visit_blackout_on(db_conn *conn, int64_t facility_id, const char *day, bool *blacked_out) KITE_WUR;

#endif
