/*
 * contact_request.h - a contact asks to be added, by resident number (or
 * name where the policy allows); the resident decides, or the review window does.
 */
#ifndef KITE_DOMAIN_CONTACTS_CONTACT_REQUEST_H
#define KITE_DOMAIN_CONTACTS_CONTACT_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/contacts/contact_state.h"
#include "domain/context.h"
#include "domain/identity/account.h"

typedef struct contact_request {
    int64_t id;
    int64_t resident_id;
    const char *resident_number, *resident_name;
    int64_t facility_id;
    const char *facility_name;
    int64_t contact_account_id;
    const char *contact_name, *contact_email;
    fault_lang contact_lang; /* the contact's language, for the decision's mail */
    bool contact_email_verified; /* whether the address is proven: the resident is told before deciding */
    contact_request_status status;
    int64_t created_at, decided_at, auto_approve_at; /* 0 when not set */
} contact_request;

/* ---- contact requests (contact_requests) ---- */

typedef struct request_target {
    int64_t facility_id;
    const char *resident_number; /* either the number ... */
    const char *first_name;      /* ... or the names, where the policy allows */
    const char *last_name;
} request_target;

/*
 * The contact asks to be the resident's contact.  *fault says which person
 * was meant: FAULT_TARGET (not named well, or nobody fits), and with
 * KITE_ERR_CONFLICT FAULT_NAME_AMBIGUOUS (by name) or FAULT_ALREADY_ASKED.
 */
kite_err contact_request_create(const kite_ctx *ctx, arena *a, const account *contact_account,
                                const request_target *target, contact_request *out, kite_fault *fault) KITE_WUR;
/* The resident approves or declines; KITE_ERR_ALREADY_DECIDED when it was decided before. */
kite_err contact_request_decide(const kite_ctx *ctx, arena *a, const account *resident_account, int64_t request_id,
                                bool approve, contact_request *out) KITE_WUR;
kite_err contact_request_list(const kite_ctx *ctx, arena *a, const account *caller, contact_request **items,
                              size_t *count) KITE_WUR;
/* Approves the requests whose review window has passed; returns how many. */
kite_err contact_requests_settle(const kite_ctx *ctx, int64_t *approved) KITE_WUR;

#endif
