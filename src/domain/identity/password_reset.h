/*
 * password_reset.h - a forgotten password, set again through a link mailed
 * to the account's address; and a password changed by its signed-in owner.
 *
 * Asking always answers the same, whether or not an account has the
 * address: nothing here tells a stranger who has an account.  The link
 * works once, for PASSWORD_RESET_TTL_MS; using it sets the new password,
 * ends every session of the account (whoever knew the old password is
 * signed out everywhere), lifts the sign-in throttle of the account, and
 * spends every other link the account was sent.  Both steps are audited.
 *
 * Throttles: an account gets at most PASSWORD_RESETS_PER_ACCOUNT mails an
 * hour (asking more sends nothing, with the same answer); one client address
 * may ask PASSWORD_RESETS_PER_ADDRESS times an hour, then gets 429 (which
 * says nothing about any account).
 */
#ifndef KITE_DOMAIN_IDENTITY_PASSWORD_RESET_H
#define KITE_DOMAIN_IDENTITY_PASSWORD_RESET_H

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/identity/session.h"

enum { PASSWORD_RESETS_PER_ACCOUNT = 3, PASSWORD_RESETS_PER_ADDRESS = 20 };
#define PASSWORD_RESET_TTL_MS (60LL * 60 * 1000)

/*
 * Mails a reset link when an active account has this address (and it was
 * sent fewer than PASSWORD_RESETS_PER_ACCOUNT this hour).  KITE_OK whether
 * or not it did; KITE_ERR_THROTTLED (fault: FAULT_PASSWORD_RESETS) for an
 * address that asked too often; KITE_ERR_INVALID_FIELD for a text that is
 * not an email address.
 */
kite_err password_reset_request(const kite_ctx *ctx, arena *a, const char *email, const char *client_address,
                                kite_fault *fault) KITE_WUR;

/*
 * Sets the password of the link's account.  KITE_ERR_RESET_LINK_EXPIRED for
 * a token that is unknown, used or past its time; KITE_ERR_WEAK_PASSWORD or
 * KITE_ERR_INVALID_FIELD for the password ("password").
 */
kite_err password_reset_confirm(const kite_ctx *ctx, arena *a, const char *token, const char *password,
                                kite_fault *fault) KITE_WUR;

/*
 * The signed-in owner changes the password: the current one must be right
 * (a wrong one counts against the account's sign-in throttle); every other
 * session of the account ends, this one stays; the owner is mailed that it
 * changed.  KITE_ERR_INVALID_FIELD "current_password" when it is wrong,
 * KITE_ERR_WEAK_PASSWORD "new_password", KITE_ERR_THROTTLED (FAULT_SIGN_IN),
 * KITE_ERR_FORBIDDEN for an account without an email (residents).
 */
kite_err password_change(const kite_ctx *ctx, arena *a, const session *s, const char *current, const char *password,
                         kite_fault *fault) KITE_WUR;

#endif
