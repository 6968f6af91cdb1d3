/*
 * resident.h - incarcerated people on a facility's roster.
 *
 * A resident signs in on the facility tablet with facility, resident number
 * and PIN; the PIN is stored like a password (Argon2id) in the resident's
 * account, whose role is "resident" and which has no email.  Rosters come
 * from the facility (the API, or a CSV export of its jail system), keyed by
 * resident number, so importing the same file twice changes nothing.
 */
#ifndef KITE_DOMAIN_FACILITY_RESIDENT_H
#define KITE_DOMAIN_FACILITY_RESIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/facility/pin.h"
#include "domain/identity/account.h"
#include "domain/identity/session.h"
#include "domain/context.h"

/* On the roster and reachable, or released (no sign-in, no messages). */
typedef enum resident_status { RESIDENT_ACTIVE, RESIDENT_RELEASED, RESIDENT_STATUS_COUNT } resident_status;

/* The stored name ("active", "released"); "unknown" for a value outside the enum. */
const char *resident_status_name(resident_status s);
/* False when name is NULL or not a status (*out unchanged). */
bool resident_status_parse(const char *name, resident_status *out);

typedef struct resident {
    int64_t id;
    int64_t account_id;
    int64_t facility_id;
    const char *resident_number;
    const char *first_name;
    const char *last_name;
    resident_status status;
    bool has_pin;
    bool pin_weak; /* signed in with a PIN today's rules refuse: staff should set a new one (pin.h) */
    int64_t created_at, updated_at;
} resident;

typedef struct resident_input {
    const char *resident_number;
    const char *first_name;
    const char *last_name;
    const char *pin; /* pin.h's rules; NULL: no sign-in until one is set */
} resident_input;

enum { NAME_MAX_CHARS = 100 };

/*
 * Adds a resident to an on-platform facility's roster.  Errors:
 * KITE_ERR_NOT_ON_PLATFORM, KITE_ERR_INVALID_FIELD (*fault names the field
 * and how it failed), KITE_ERR_RESIDENT_EXISTS.
 */
kite_err resident_add(const kite_ctx *ctx, arena *a, int64_t facility_id, const resident_input *in,
                      const char *actor, resident *out, kite_fault *fault) KITE_WUR;

kite_err resident_load(db_conn *conn, arena *a, int64_t facility_id, const char *number, resident *out) KITE_WUR;
kite_err resident_load_by_account(db_conn *conn, arena *a, int64_t account_id, resident *out) KITE_WUR;
kite_err resident_load_by_id(db_conn *conn, arena *a, int64_t id, resident *out) KITE_WUR;
kite_err resident_get_by_account(const kite_ctx *ctx, arena *a, int64_t account_id, resident *out) KITE_WUR;
kite_err resident_get(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *number, resident *out) KITE_WUR;

/* A page of the roster in resident-number order, after `after` (a number; NULL from the start). */
kite_err resident_list(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *after, size_t limit,
                       resident **items, size_t *count) KITE_WUR;

typedef struct resident_change {
    const char *first_name; /* NULL: unchanged, likewise below */
    const char *last_name;
    const char *pin;
    const char *status;     /* a resident_status name as sent (resident_update refuses others) */
} resident_change;

/* Changes names, PIN or status; releasing ends the resident's sessions and sign-in. */
kite_err resident_update(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *number,
                         const resident_change *change, const char *actor, resident *out,
                         kite_fault *fault) KITE_WUR;

/*
 * A resident on a facility tablet: facility, resident number and PIN;
 * throttled like passwords.  KITE_ERR_BAD_CREDENTIALS comes with
 * FAULT_RESIDENT_SIGN_IN, KITE_ERR_THROTTLED with fault->retry_after_ms.
 * A PIN that signs in but fails today's rules (pin.h) marks the resident
 * pin_weak; the sign-in itself succeeds.
 */
kite_err resident_sign_in(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *resident_number,
                          const char *pin, const char *client_address, signin_result *out,
                          kite_fault *fault) KITE_WUR;

/* A row a roster import refused: its line in the file and why (fault: field and detail). */
typedef struct roster_problem {
    size_t line;
    kite_fault fault;
} roster_problem;

typedef struct roster_report {
    int64_t rows, added, updated, unchanged;
    int64_t rejected;     /* rows with a bad number or name; the first is described below */
    size_t first_rejected_line;
    const char *first_rejected_field;
    roster_problem *problems; /* every rejected row, in file order (arena) */
    size_t problem_count;
} roster_report;

/* Imports a roster CSV (header: resident_number,first_name,last_name[,pin]) in one transaction. */
kite_err roster_import(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *csv_path, const char *actor,
                       roster_report *out) KITE_WUR;
/* The same from a CSV in memory (an upload from the staff pages). */
kite_err roster_import_buffer(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *csv, size_t len,
                              const char *actor, roster_report *out) KITE_WUR;

#endif
