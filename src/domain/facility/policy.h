/*
 * policy.h - a facility's rules on Kite.
 *
 * A facility is on the platform exactly when it has a policy.  A policy
 * starts from one of three profiles, each reproducing a real platform's
 * model, and any field may be overridden:
 *   federal         CorrLinks/TRULINCS: the resident invites by email, 30-day
 *                   invitations, 30 contacts, 13,000 characters, text only.
 *   jpay            the contact finds the resident and asks, the resident
 *                   approves; photos allowed; a stamp per page of text.
 *   connectnetwork  the contact asks by resident number or by name; the
 *                   resident approves or a review window passes; credits.
 */
#ifndef KITE_DOMAIN_FACILITY_POLICY_H
#define KITE_DOMAIN_FACILITY_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "db/db.h"
#include "domain/context.h"

typedef struct policy {
    const char *profile;            /* federal | jpay | connectnetwork */
    const char *contact_initiation; /* resident_invites | contact_requests | both */
    int64_t invitation_valid_days;
    int64_t contact_limit;
    const char *request_lookup;     /* number | number_or_name */
    const char *approval;           /* resident | resident_or_window */
    int64_t approval_window_hours;
    int64_t message_max_chars;
    int64_t page_chars;             /* characters per page (a stamp each) where pricing is stamps */
    bool attachments_allowed;
    int64_t attachment_max_bytes;
    int64_t max_attachments;
    const char *pricing;            /* balance | stamps | credits */
    const char *review;             /* all | flagged_only */
    int64_t review_sla_hours;
    int64_t daily_send_limit;
    const char *resident_number_format; /* bop | digits | any */
    int64_t created_at, updated_at;
} policy;

/* How a policy field is described, for validation and for building policies from requests. */
typedef enum policy_field_kind { POLICY_TEXT, POLICY_INT, POLICY_BOOL } policy_field_kind;

typedef struct policy_field {
    const char *name;
    policy_field_kind kind;
    const char *const *choices; /* POLICY_TEXT: NULL-terminated allowed values */
    int64_t min, max;           /* POLICY_INT: inclusive range */
    size_t offset;              /* where the value lives in struct policy */
} policy_field;

extern const policy_field policy_fields[];
extern const size_t policy_field_count;

/* The defaults of a profile; KITE_ERR_INVALID_FIELD for an unknown profile. */
kite_err policy_defaults(const char *profile, policy *out) KITE_WUR;
const policy_field *policy_field_find(const char *name);

/*
 * Checks a whole policy (each field's range or choices, and the rules
 * between fields); on KITE_ERR_INVALID_FIELD *fault names the field and how
 * it failed: FAULT_RANGE (min, max), FAULT_CHOICE (choices) or FAULT_DEPENDS.
 */
kite_err policy_validate(const policy *p, kite_fault *fault) KITE_WUR;

/* KITE_ERR_NOT_FOUND when the facility is not on the platform. */
kite_err policy_load(db_conn *conn, arena *a, int64_t facility_id, policy *out) KITE_WUR;

/* The same in its own read transaction. */
kite_err policy_get(const kite_ctx *ctx, arena *a, int64_t facility_id, policy *out) KITE_WUR;

/*
 * Puts the facility on the platform with policy p, or replaces its policy;
 * audits every changed field with its old and new value.  Only an operator
 * may put a facility on the platform (*created tells whether this did).
 */
kite_err policy_put(const kite_ctx *ctx, arena *a, int64_t facility_id, const policy *p, const char *actor,
                    bool may_create, bool *created) KITE_WUR;

/* True when the resident number has the shape the policy asks for. */
bool policy_resident_number_valid(const policy *p, const char *number);

#endif
