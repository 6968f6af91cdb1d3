/*
 * error.h - Kite's one error convention.
 *
 * Every fallible function returns a kite_err: KITE_OK (0) is success, anything
 * else names what went wrong.  Results travel through out-parameters.  One
 * table (error.c) maps each code to an HTTP status, a stable snake_case code
 * for clients and a sentence for a person in each language (core/lang.h); the HTTP layer is the only reader
 * of the status column, the domain layer never sees HTTP.
 */
#ifndef KITE_CORE_ERROR_H
#define KITE_CORE_ERROR_H

#include "core/lang.h"

#include <stdbool.h>

#define KITE_WUR __attribute__((warn_unused_result))

typedef enum kite_err {
    KITE_OK = 0,
    KITE_ERR_MALFORMED_JSON,
    KITE_ERR_BAD_REQUEST,
    KITE_ERR_INVALID_FIELD,
    KITE_ERR_UNAUTHENTICATED,
    KITE_ERR_BAD_CREDENTIALS,
    KITE_ERR_FORBIDDEN,
    KITE_ERR_CSRF,
    KITE_ERR_NOT_FOUND,
    KITE_ERR_METHOD_NOT_ALLOWED,
    KITE_ERR_CONFLICT,
    KITE_ERR_EMAIL_TAKEN,
    KITE_ERR_GONE,
    KITE_ERR_TOO_LARGE,
    KITE_ERR_HEADERS_TOO_LARGE,
    KITE_ERR_UNSUPPORTED_MEDIA_TYPE,
    KITE_ERR_RANGE_NOT_SATISFIABLE, /* a Range that starts past the end of what was asked for */
    KITE_ERR_NOT_IMPLEMENTED, /* an HTTP feature Kite does not support (a transfer coding) */
    KITE_ERR_WEAK_PASSWORD,
    KITE_ERR_THROTTLED,
    KITE_ERR_NOT_ON_PLATFORM,
    KITE_ERR_RESIDENT_EXISTS,
    KITE_ERR_RESIDENT_MUST_INVITE,
    KITE_ERR_CONTACT_MUST_REQUEST,
    KITE_ERR_NAME_LOOKUP_NOT_ALLOWED,
    KITE_ERR_CONTACT_LIMIT_REACHED,
    KITE_ERR_CONTACT_BLOCKED,
    KITE_ERR_ALREADY_CONTACTS,
    KITE_ERR_INVITATION_EXPIRED,
    KITE_ERR_RESET_LINK_EXPIRED,
    KITE_ERR_VERIFICATION_LINK_EXPIRED,
    KITE_ERR_EMAIL_CHANGE_LINK_EXPIRED,
    KITE_ERR_EMAIL_NOT_VERIFIED,
    KITE_ERR_INVITATION_USED,
    KITE_ERR_INVITATION_NOT_FOR_YOU,
    KITE_ERR_ALREADY_DECIDED,
    KITE_ERR_RESIDENT_UNREACHABLE,
    KITE_ERR_CONTACT_NOT_ACTIVE,
    KITE_ERR_ACCOUNT_HAS_BALANCE, /* an account that still holds money cannot be deleted */
    KITE_ERR_MESSAGE_TOO_LONG,
    KITE_ERR_ATTACHMENTS_NOT_ALLOWED,
    KITE_ERR_DAILY_LIMIT_REACHED,
    KITE_ERR_IDEMPOTENCY_KEY_REUSED,
    KITE_ERR_INSUFFICIENT_FUNDS,
    KITE_ERR_CARD_DECLINED,
    KITE_ERR_PAYMENT_FAILED,
    KITE_ERR_PAYMENTS_UNAVAILABLE,
    KITE_ERR_BAD_IMAGE,
    KITE_ERR_BAD_VIDEO,             /* a video message the video helper refused (sandbox/video.h) */
    KITE_ERR_TWO_FACTOR_REQUIRED,   /* a staff password was right; the code from the authenticator is needed too */
    KITE_ERR_TWO_FACTOR_INVALID,    /* a wrong, used or replayed two-factor or recovery code */
    KITE_ERR_TWO_FACTOR_ENROLLMENT_REQUIRED, /* a staff session that may only set up two-factor sign-in */
    KITE_ERR_SESSION_EXPIRED,       /* a staff session left unused past the idle limit */
    KITE_ERR_BUSY,
    KITE_ERR_STORE,
    KITE_ERR_STORE_FULL,      /* the disk (or the database's quota) is full: nothing was saved */
    KITE_ERR_STORE_READ_ONLY, /* the database can be read but not written (a read-only file or mount) */
    KITE_ERR_OUTCOME_UNKNOWN, /* the store's connection broke during COMMIT: saved or not, nobody knows */
    KITE_ERR_IO,
    KITE_ERR_INTERNAL,
    KITE_ERR__COUNT
} kite_err;

/*
 * True for the store's own failures (it could not read, save or be reached),
 * as opposed to an answer about the request: callers that must tell "the
 * rules say no" from "the store said nothing" ask this.
 */
bool kite_err_is_store_failure(kite_err err);

/* HTTP status for an error code (200 for KITE_OK). */
int kite_err_status(kite_err err);
/* Stable machine-readable code, e.g. "email_taken". Never NULL. */
const char *kite_err_code(kite_err err);
/* A sentence for a person: what happened and what to do next, in English. Never NULL. */
const char *kite_err_message(kite_err err);
/* The same in lang (English for a value outside the enum). Never NULL. */
const char *kite_err_message_in(kite_err err, fault_lang lang);

#endif
