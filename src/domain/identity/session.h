/*
 * session.h - signing in and out.
 *
 * A session token is 256 random bits handed to the client once; the store
 * keeps only its SHA-256, so a stolen database does not yield live sessions.
 * The CSRF token is derived from the session token, so it needs no storage
 * and dies with the session.
 *
 * Sign-in answers are the same for an unknown email and a wrong password,
 * and take about as long (an unknown email is checked against a dummy hash).
 * An address may name a verified account and a few unverified ones
 * (email_verify.h): the verified one is tried first (a dummy hash stands in
 * when there is none, so the time does not say whether there is), then the
 * unverified ones, newest first.
 * Failures slow down further attempts (throttle.h, progressive delays),
 * never lock an account: counted per account and address pair (the real
 * user at another address is not slowed by a stranger's guesses), per
 * account (once it has many failures, an address that failed it waits
 * longer; an address that never failed it does not), and per address (one
 * address trying many accounts).
 */
#ifndef KITE_DOMAIN_IDENTITY_SESSION_H
#define KITE_DOMAIN_IDENTITY_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "core/secret.h"
#include "domain/identity/account.h"
#include "domain/context.h"

typedef struct session {
    int64_t id;
    int64_t expires_at;
    account account;
    bool two_factor_pending; /* a staff account without two-factor yet: this session may only enrol (totp.h) */
} session;

/*
 * A staff or operator session unused this long ends (KITE_ERR_SESSION_EXPIRED);
 * its last use is written at most once a SESSION_TOUCH_MS, so the limit
 * holds to within that.  Family and resident sessions keep their own rules.
 */
#define STAFF_SESSION_IDLE_MS (30 * 60 * 1000)
#define SESSION_TOUCH_MS (60 * 1000)

typedef struct signin_result {
    session session;
    char token[SECRET_TOKEN_HEX];
    char csrf[SECRET_SHA256_HEX];
} signin_result;

/* The password asked again by a signed-in person (session_confirm_password): a fixed window. */
enum { SIGNIN_ACCOUNT_MAX_FAILURES = 5 };
#define SIGNIN_WINDOW_MS (15 * 60 * 1000)

/*
 * Sign-in delays: free failures, then 1 s, 2 s, 4 s ... up to the cap.  A
 * pair forgets a failure every 10 minutes; an address every 30 seconds, so
 * the mistakes of many people behind one facility's address do not pile up.
 */
enum {
    SIGNIN_PAIR_FREE_FAILURES = 3,     /* one account from one address */
    SIGNIN_ACCOUNT_FREE_FAILURES = 10, /* one account, from the addresses that failed it */
    SIGNIN_ADDRESS_FREE_FAILURES = 20, /* any accounts from one address */
};
#define SIGNIN_DELAY_BASE_MS 1000
#define SIGNIN_PAIR_CAP_MS (60 * 1000)
#define SIGNIN_ACCOUNT_CAP_MS (5 * 60 * 1000)
#define SIGNIN_ADDRESS_CAP_MS (60 * 1000)
#define SIGNIN_PAIR_FORGET_MS (10 * 60 * 1000)
#define SIGNIN_ADDRESS_FORGET_MS (30 * 1000)

/*
 * KITE_ERR_THROTTLED comes with fault->retry_after_ms (FAULT_SIGN_IN).  A staff
 * or operator account with two-factor on needs totp_code or recovery_code
 * (either may be NULL): KITE_ERR_TWO_FACTOR_REQUIRED with neither (no failure
 * counted: the password was right), KITE_ERR_TWO_FACTOR_INVALID for a wrong,
 * used or replayed one (counted like a wrong password, so guesses slow down).
 */
kite_err session_sign_in(const kite_ctx *ctx, arena *a, const char *email, const char *password,
                         const char *totp_code, const char *recovery_code, const char *client_address,
                         signin_result *out, kite_fault *fault) KITE_WUR;

/*
 * How a sign-in finds its account: find() loads the account and the hash of
 * its secret (KITE_ERR_NOT_FOUND when there is none) inside the lookup
 * transaction.  Residents sign in by facility and number (resident.h).
 */
typedef kite_err (*signin_find_fn)(db_conn *conn, arena *a, const void *arg, account *out,
                                   const char **secret_hash);
/*
 * Further accounts the same credentials may name, tried after find()'s when
 * its secret does not match: the unverified accounts of an email address
 * (email_verify.h), at most max, into out and hashes, *count of them.
 */
enum { SIGNIN_MORE_MAX = ACCOUNT_UNVERIFIED_PER_EMAIL };
typedef kite_err (*signin_find_more_fn)(db_conn *conn, arena *a, const void *arg, account *out,
                                        const char **secret_hashes, size_t max, size_t *count);
typedef struct signin_credentials {
    signin_find_fn find;
    signin_find_more_fn find_more; /* NULL: find() names the only account */
    const void *find_arg;
    const char *throttle_key;   /* failures are counted per this key, per it and the address, per address */
    const char *unknown_target; /* what the audit names when no account matches: never what was typed */
    bool plausible;             /* false: refuse without looking (still as slow as a check) */
    const char *totp_code;      /* a staff account's second factor (totp.h); NULL when not given */
    const char *recovery_code;
} signin_credentials;

/* Sign-in with any credentials: throttled, audited, as slow for an unknown account as for a known one. */
kite_err session_sign_in_with(const kite_ctx *ctx, arena *a, const signin_credentials *who, const char *password,
                              const char *client_address, signin_result *out, kite_fault *fault) KITE_WUR;

/*
 * KITE_ERR_UNAUTHENTICATED when the token is unknown, revoked or expired;
 * KITE_ERR_SESSION_EXPIRED for a staff session idle past STAFF_SESSION_IDLE_MS.
 */
kite_err session_resolve(const kite_ctx *ctx, arena *a, const char *token, session *out) KITE_WUR;
/* The same without counting as a use: a live-event heartbeat must not keep an idle staff session alive. */
kite_err session_peek(const kite_ctx *ctx, arena *a, const char *token, session *out) KITE_WUR;

kite_err session_sign_out(const kite_ctx *ctx, arena *a, const session *s) KITE_WUR;

/* Every session of s's account ends, on every device (audited). */
kite_err session_sign_out_everywhere(const kite_ctx *ctx, arena *a, const session *s) KITE_WUR;

/* Inside a transaction: every session of the account ends (release, move, new PIN). */
kite_err session_end_all(db_conn *conn, int64_t account_id, int64_t now) KITE_WUR;

/*
 * The session's own password, asked again before what a stolen session must
 * not do alone (a new password, a new address, deleting the account).  A
 * wrong one counts against the sign-in throttle of the account's address, so
 * the question cannot be used to guess; the account is read by id, since an
 * address may have several (email_verify.h).  KITE_ERR_INVALID_FIELD on
 * "current_password" when wrong or missing; KITE_ERR_THROTTLED (FAULT_SIGN_IN,
 * with the wait) past the bound.  *throttle_key (may be NULL) receives the
 * key, for the caller to clear once what it guarded is done.
 */
kite_err session_confirm_password(const kite_ctx *ctx, arena *a, const session *s, const char *current,
                                  const char **throttle_key, kite_fault *fault) KITE_WUR;

void session_csrf_token(const char *token, char out[SECRET_SHA256_HEX]);

#endif
