/*
 * account_deletion.h - a family member deletes their own account.
 *
 * Design: the account is anonymised, not erased.  The facility keeps its
 * records under retention (SPEC: "data is kept for the retention period"),
 * so the messages stay, on the resident's side and the facility's, and so
 * do the ledger's entries and the audit chain, all of which point to the
 * accounts row.  What goes is the person: email, name, phone and password
 * are cleared (the name reads ACCOUNT_DELETED_NAME wherever it showed),
 * every session ends, contacts end (removed), pending contact requests are
 * cancelled and pending invitations to the address revoked, and the email
 * is free for a new registration.  status becomes "deleted" with
 * deleted_at: such an account never signs in again.
 *
 * Money first: an account that still holds money is not deleted (nobody
 * loses money silently).  The Kite balance, phone accounts, stamps and
 * credits must be 0, and nothing on hold: a paid message waiting for review
 * would come back to the balance when withdrawn, so it is refused with
 * what to do (withdraw it, or wait for delivery, and spend the balance).
 * Free messages still waiting are withdrawn through the one withdrawal
 * path, and messages waiting for the person are rejected with their holds
 * given back to the resident who paid (message_close_for_account), all in
 * the deletion's one transaction.
 *
 * SECURITY: the current password is checked outside any transaction
 * (Argon2 must not hold the write lock) and a wrong one counts against the
 * account's sign-in throttle, as POST /me/password does, so this endpoint
 * is no faster way to guess a password.  Only contacts delete themselves;
 * staff and residents are closed by whoever made them.
 */
#ifndef KITE_DOMAIN_PRIVACY_ACCOUNT_DELETION_H
#define KITE_DOMAIN_PRIVACY_ACCOUNT_DELETION_H

#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/identity/session.h"

/* The word a person types to say they mean it. */
#define ACCOUNT_DELETE_CONFIRM "DELETE"

/* What an account holds, each in its unit; all 0 before it may be deleted. */
typedef struct account_money {
    int64_t balance_cents; /* the Kite balance */
    int64_t held_cents;    /* on hold for messages waiting for review */
    int64_t phone_cents;   /* every phone account together */
    int64_t units;         /* stamps and credits, those on hold included */
} account_money;

/*
 * Deletes s's account as above.  Refused, with nothing changed:
 *   KITE_ERR_FORBIDDEN            not a contact (FAULT_DELETE_ROLE)
 *   KITE_ERR_INVALID_FIELD        "confirm" (FAULT_DELETE_CONFIRM), "current_password" (wrong)
 *   KITE_ERR_THROTTLED            too many wrong passwords (FAULT_SIGN_IN, retry_after_ms)
 *   KITE_ERR_ACCOUNT_HAS_BALANCE  *money says what is left; the fault's detail
 *                                 (FAULT_DELETE_HELD, _BALANCE, _PHONE, _UNITS)
 *                                 and limit name the first thing to settle
 * *money is filled whenever the money was read.
 */
kite_err account_delete(const kite_ctx *ctx, arena *a, const session *s, const char *current_password,
                        const char *confirm, account_money *money, kite_fault *fault) KITE_WUR;

#endif
