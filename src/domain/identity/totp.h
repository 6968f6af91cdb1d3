/*
 * totp.h - two-factor sign-in for staff and operators (RFC 6238 TOTP).
 *
 * Design: every staff role (reviewer, investigator, facility_admin) and the
 * operator sign in with a password and a six-digit code from an
 * authenticator app, or one of ten single-use recovery codes.  liboath
 * computes and checks the codes; libsodium's randombytes makes the secrets.
 *
 * Enrolment is two steps: totp_begin() makes a secret (kept unconfirmed),
 * totp_confirm() takes the first code made from it and only then turns the
 * second factor on, answering the recovery codes once (the store keeps
 * only their hash).  Until then a staff sign-in gets a session that may only
 * enrol (session.h: two_factor_pending), so a new staff member is never
 * locked out and no staff session does staff work without a second factor.
 *
 * A code is good for its 30-second step and one step either side (clock
 * drift), and once: the step it matched is kept (last_step) and a code of
 * that step or an earlier one is refused, also when two sign-ins race (the
 * step moves with a conditional UPDATE).  Wrong codes count as failed
 * sign-ins in the progressive delays of session.c (throttle.h), which slow
 * a guesser without ever locking the real person out.
 *
 * SECURITY: codes come from the network; they are checked for shape before
 * use.  The secret is stored as base32 text: Kite has no server key to seal
 * it with, so a copy of the database gives codes (docs/staff-security.md);
 * the recovery codes are stored hashed.
 */
#ifndef KITE_DOMAIN_IDENTITY_TOTP_H
#define KITE_DOMAIN_IDENTITY_TOTP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "db/db.h"
#include "domain/context.h"
#include "domain/identity/account.h"

enum {
    TOTP_SECRET_BYTES = 20, /* 160 bits, RFC 4226's recommendation */
    TOTP_DIGITS = 6,
    TOTP_STEP_SECONDS = 30,
    TOTP_WINDOW = 1, /* steps accepted either side of now */
    TOTP_RECOVERY_CODES = 10,
    TOTP_RECOVERY_CHARS = 10, /* shown as two groups of five */
};

/* Whether an account of role r must sign in with a second factor: every staff role and the operator. */
bool totp_role_needs(role r);

typedef struct totp_enrolment {
    const char *secret; /* base32, what an authenticator takes by hand */
    const char *uri;    /* otpauth://totp/... for a QR code */
} totp_enrolment;

typedef struct totp_recovery {
    const char *codes[TOTP_RECOVERY_CODES];
} totp_recovery;

typedef struct totp_status {
    bool enrolled;
    int64_t recovery_codes_left;
} totp_status;

/* A new unconfirmed secret for acct (replacing an unconfirmed one); KITE_ERR_CONFLICT when already enrolled. */
kite_err totp_begin(const kite_ctx *ctx, arena *a, const account *acct, totp_enrolment *out,
                    kite_fault *fault) KITE_WUR;
/* The first code from the secret of totp_begin: two-factor on, recovery codes made (audited). */
kite_err totp_confirm(const kite_ctx *ctx, arena *a, const account *acct, const char *code, totp_recovery *out,
                      kite_fault *fault) KITE_WUR;
/* New recovery codes (the old ones stop working), with a current code (audited). */
kite_err totp_recovery_renew(const kite_ctx *ctx, arena *a, const account *acct, const char *code,
                             totp_recovery *out, kite_fault *fault) KITE_WUR;
kite_err totp_status_read(const kite_ctx *ctx, arena *a, int64_t account_id, totp_status *out) KITE_WUR;
/*
 * An operator turns off the two-factor of a staff account that lost its
 * device: secret and recovery codes go, every session of the account ends,
 * and its next sign-in may only enrol again (audited).  KITE_ERR_NOT_FOUND
 * when account_id names no staff or operator account.
 */
kite_err totp_reset(const kite_ctx *ctx, arena *a, const account *op, int64_t account_id, kite_fault *fault) KITE_WUR;
/* kite user add --totp-secret: the account is enrolled with base32 secret, confirmed (audited as actor). */
kite_err totp_enrol_with_secret(const kite_ctx *ctx, arena *a, int64_t account_id, const char *secret_b32,
                                const char *actor) KITE_WUR;

/* ---- for session.c, inside its transactions ---- */

/* Whether the account has confirmed two-factor sign-in. */
kite_err totp_enrolled(db_conn *conn, int64_t account_id, bool *out) KITE_WUR;
/*
 * A sign-in's second factor: code (six digits) or recovery (a recovery
 * code), whichever is not NULL.  Spends what it accepts (the code's step,
 * the recovery code) so it is never accepted again.  KITE_ERR_TWO_FACTOR_INVALID
 * when wrong, used or replayed.
 */
kite_err totp_spend(db_conn *conn, arena *a, int64_t account_id, int64_t now_ms, const char *code,
                    const char *recovery) KITE_WUR;

#endif
