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
 * Failures are throttled per account and per client address.
 */
#ifndef KITE_DOMAIN_SESSION_H
#define KITE_DOMAIN_SESSION_H

#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/secret.h"
#include "domain/account.h"
#include "domain/context.h"

typedef struct session {
    int64_t id;
    int64_t expires_at;
    account account;
} session;

typedef struct signin_result {
    session session;
    char token[SECRET_TOKEN_HEX];
    char csrf[SECRET_SHA256_HEX];
    int64_t retry_after_ms; /* set with KITE_ERR_THROTTLED */
} signin_result;

enum { SIGNIN_ACCOUNT_MAX_FAILURES = 5, SIGNIN_ADDRESS_MAX_FAILURES = 20 };
#define SIGNIN_WINDOW_MS (15 * 60 * 1000)

kite_err session_sign_in(const kite_ctx *ctx, arena *a, const char *email, const char *password,
                         const char *client_address, signin_result *out) KITE_WUR;

/* A resident on a facility tablet: facility, resident number and PIN; throttled like passwords. */
kite_err session_sign_in_resident(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *resident_number,
                                  const char *pin, const char *client_address, signin_result *out) KITE_WUR;

/* KITE_ERR_UNAUTHENTICATED when the token is unknown, revoked or expired. */
kite_err session_resolve(const kite_ctx *ctx, arena *a, const char *token, session *out) KITE_WUR;

kite_err session_sign_out(const kite_ctx *ctx, arena *a, const session *s) KITE_WUR;

/* Inside a transaction: every session of the account ends (release, move, new PIN). */
kite_err session_end_all(db_conn *conn, int64_t account_id, int64_t now) KITE_WUR;

void session_csrf_token(const char *token, char out[SECRET_SHA256_HEX]);

#endif
