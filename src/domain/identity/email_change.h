/*
 * email_change.h - a signed-in person moves their account to another
 * email address.
 *
 * Asking needs the current password (a wrong one counts against the
 * account's sign-in throttle, as for a password change).  The new address is
 * mailed a link that works once, for EMAIL_CHANGE_TTL_MS; the old address is
 * told, with the new one masked, so a stranger's change does not go unseen.
 * Following the link moves the account and counts as proof of the new
 * address.  When the new address belongs to a verified account, the answer
 * is the same and that account's owner is mailed a notice instead of a link:
 * nothing here tells who has an account.  At most EMAIL_CHANGES_PER_HOUR
 * requests an account an hour.
 */
#ifndef KITE_DOMAIN_IDENTITY_EMAIL_CHANGE_H
#define KITE_DOMAIN_IDENTITY_EMAIL_CHANGE_H

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/identity/session.h"

enum { EMAIL_CHANGES_PER_HOUR = 3 };
#define EMAIL_CHANGE_TTL_MS (24LL * 60 * 60 * 1000)

/*
 * KITE_OK once the mails are queued (whether or not the address is free).
 * KITE_ERR_INVALID_FIELD "new_email" (FAULT_EMAIL, FAULT_SAME_EMAIL) or
 * "current_password"; KITE_ERR_THROTTLED with FAULT_SIGN_IN (wrong passwords)
 * or FAULT_EMAIL_CHANGES; KITE_ERR_FORBIDDEN for an account without an email.
 */
kite_err email_change_request(const kite_ctx *ctx, arena *a, const session *s, const char *new_email,
                              const char *current_password, kite_fault *fault) KITE_WUR;

/*
 * Moves the link's account to its new address.  KITE_ERR_NOT_FOUND for a
 * token Kite never made; KITE_ERR_EMAIL_CHANGE_LINK_EXPIRED for one used,
 * past its time, or whose address a verified account took meanwhile.
 */
kite_err email_change_confirm(const kite_ctx *ctx, arena *a, const char *token, kite_fault *fault) KITE_WUR;

#endif
