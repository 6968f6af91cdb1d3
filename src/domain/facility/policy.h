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

/*
 * The choices of a policy.  Their names ("resident_or_window", ...) live in
 * one table each in policy.c, reached through policy_fields; the store and
 * the API carry the names, everything else the enums.  Each *_COUNT also
 * marks a name that is none of the choices, which policy_validate refuses.
 */
typedef enum policy_profile { PROFILE_FEDERAL, PROFILE_JPAY, PROFILE_CONNECTNETWORK, PROFILE_COUNT } policy_profile;
/* Who starts contact: the resident invites by email, the contact asks, or either. */
typedef enum contact_initiation {
    INITIATION_RESIDENT_INVITES,
    INITIATION_CONTACT_REQUESTS,
    INITIATION_BOTH,
    INITIATION_COUNT
} contact_initiation;
typedef enum request_lookup { LOOKUP_NUMBER, LOOKUP_NUMBER_OR_NAME, LOOKUP_COUNT } request_lookup;
typedef enum approval_mode { APPROVAL_RESIDENT, APPROVAL_RESIDENT_OR_WINDOW, APPROVAL_COUNT } approval_mode;
/*
 * How messages are paid: balance (cents per message, or per block of
 * characters), stamps (per page), credits (per message), subscription (a
 * monthly price covers messages).  The prices themselves are a
 * price_schedule (domain/ledger/pricing.h).  Values are stored by name.
 */
typedef enum pricing_model {
    PRICING_BALANCE,
    PRICING_STAMPS,
    PRICING_CREDITS,
    PRICING_SUBSCRIPTION,
    PRICING_COUNT
} pricing_model;
/* Which messages a person reviews: all, or only those the screening rules flag. */
typedef enum review_mode { REVIEW_ALL, REVIEW_FLAGGED_ONLY, REVIEW_COUNT } review_mode;
typedef enum number_format { NUMBER_FORMAT_BOP, NUMBER_FORMAT_DIGITS, NUMBER_FORMAT_ANY, NUMBER_FORMAT_COUNT } number_format;

typedef struct policy {
    policy_profile profile;
    contact_initiation contact_initiation;
    int64_t invitation_valid_days;
    int64_t contact_limit;
    request_lookup request_lookup;
    approval_mode approval;
    int64_t approval_window_hours;
    int64_t message_max_chars;
    int64_t page_chars;             /* characters per page (a stamp each) where pricing is stamps */
    bool attachments_allowed;
    int64_t attachment_max_bytes;
    int64_t max_attachments;
    pricing_model pricing;
    review_mode review;
    int64_t review_sla_hours;
    int64_t daily_send_limit;
    number_format resident_number_format;
    int64_t tablet_idle_minutes; /* a resident's tablet signs itself out after this long untouched */
    /*
     * Retention (domain/retention, docs/retention.md): a finished message's
     * text, and its photos' bytes, are purged this many days after it was
     * sent; audit records are kept at least audit_retention_days (365 or
     * more), and since the audit chain is one for the store, its oldest
     * records go only when every facility's period has passed.
     */
    int64_t message_retention_days;
    int64_t photo_retention_days; /* at most message_retention_days */
    int64_t audit_retention_days;
    /*
     * Video messages (one video of up to 30 s per message, docs/video-messages.md):
     * allowed by default with a price (prices.h video_cents, stamps_per_video,
     * credits_per_video) except under the federal profile, which is text only;
     * a facility turns them off here.  Independent of attachments_allowed,
     * which is about photos.
     */
    bool videos_allowed;
    int64_t created_at, updated_at;
} policy;

/* How a policy field is described, for validation and for building policies from requests. */
typedef enum policy_field_kind { POLICY_CHOICE, POLICY_INT, POLICY_BOOL } policy_field_kind;

typedef struct policy_field {
    const char *name;
    policy_field_kind kind;
    const char *const *choices; /* POLICY_CHOICE: the enum's name table, NULL-terminated */
    size_t choice_count;        /* POLICY_CHOICE: how many names; also the enum's *_COUNT */
    int64_t min, max;           /* POLICY_INT: inclusive range */
    size_t offset;              /* where the value lives in struct policy */
} policy_field;

extern const policy_field policy_fields[];
extern const size_t policy_field_count;

/* The defaults of a profile; KITE_ERR_INVALID_FIELD for an unknown profile. */
kite_err policy_defaults(const char *profile, policy *out) KITE_WUR;
const policy_field *policy_field_find(const char *name);

/* The name of a POLICY_CHOICE field's value ("unknown" when it is none of the choices). */
const char *policy_choice_name(const policy *p, const policy_field *f);
/* Sets a POLICY_CHOICE field from its name; a name that is none of the choices is kept for policy_validate to refuse. */
void policy_choice_set(policy *p, const policy_field *f, const char *name);

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

/* The smallest audit_retention_days a policy may have: a year of records, at least. */
#define POLICY_AUDIT_RETENTION_MIN_DAYS 365

/* True when the resident number has the shape the policy asks for. */
bool policy_resident_number_valid(const policy *p, const char *number);

#endif
