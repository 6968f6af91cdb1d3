/*
 * attorney.h - attorney registrations and their verification (README.md).
 *
 * A contact account registers its bar number and the state of its bar; an
 * operator, who checks the number with that state's bar (Kite does not),
 * verifies or refuses it, and may later revoke a verification.  Only a
 * verified attorney's correspondence is privileged (messaging/message.c
 * asks counsel_account_verified when a message is sent).
 */
#ifndef KITE_DOMAIN_COUNSEL_ATTORNEY_H
#define KITE_DOMAIN_COUNSEL_ATTORNEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "db/db.h"
#include "domain/context.h"
#include "domain/identity/account.h"

enum { BAR_NUMBER_MAX_CHARS = 20, ATTORNEY_REASON_MAX_CHARS = 500, ATTORNEY_PAGE_MAX = 100 };

typedef enum attorney_status {
    ATTORNEY_PENDING,
    ATTORNEY_VERIFIED,
    ATTORNEY_REFUSED,
    ATTORNEY_REVOKED,
    ATTORNEY_STATUS_COUNT
} attorney_status;

const char *attorney_status_name(attorney_status s);
bool attorney_status_parse(const char *name, attorney_status *out);

typedef enum attorney_decision { ATTORNEY_VERIFY, ATTORNEY_REFUSE } attorney_decision;

typedef struct attorney {
    int64_t id, account_id;
    const char *full_name, *email; /* the account's */
    const char *bar_number, *bar_state;
    attorney_status status;
    const char *reason;            /* NULL unless refused or revoked */
    int64_t verified_by, verified_at; /* 0 when never verified */
    int64_t decided_at;            /* the last decision; 0 while pending */
    int64_t created_at;
} attorney;

/*
 * The caller (a contact with a confirmed email) registers, or registers
 * again after a refusal or a revocation.  KITE_ERR_FORBIDDEN for any other
 * role (FAULT_ATTORNEY_ROLE); KITE_ERR_EMAIL_NOT_VERIFIED; KITE_ERR_INVALID_FIELD
 * naming bar_number or bar_state; KITE_ERR_CONFLICT (FAULT_ATTORNEY_REGISTERED)
 * while a registration is pending or verified.
 */
kite_err attorney_register(const kite_ctx *ctx, arena *a, const account *caller, const char *bar_number,
                           const char *bar_state, attorney *out, kite_fault *fault) KITE_WUR;

/* The caller's own registration; KITE_ERR_NOT_FOUND when there is none. */
kite_err attorney_mine(const kite_ctx *ctx, arena *a, const account *caller, attorney *out) KITE_WUR;

/* Operators only: registrations in one status (or all: has_status false), oldest first, after the id `after`. */
kite_err attorney_list(const kite_ctx *ctx, arena *a, const account *caller, bool has_status, attorney_status status,
                       int64_t after, size_t limit, attorney **items, size_t *count, bool *more) KITE_WUR;

/*
 * An operator's decision: verify a pending registration; refuse a pending
 * one or revoke a verified one (reason required).  KITE_ERR_FORBIDDEN for
 * anyone else; KITE_ERR_NOT_FOUND; KITE_ERR_ALREADY_DECIDED
 * (FAULT_ATTORNEY_DECIDED) for any other move.
 */
kite_err attorney_decide(const kite_ctx *ctx, arena *a, const account *caller, int64_t id, attorney_decision decision,
                         const char *reason, attorney *out, kite_fault *fault) KITE_WUR;

/* Inside the caller's transaction: whether account_id is a verified attorney now. */
kite_err counsel_account_verified(db_conn *conn, int64_t account_id, bool *verified) KITE_WUR;

#endif
