/*
 * email_verify.h - proving that a contact's email address is theirs, and
 * registration that does not tell who has an account.
 *
 * A contact's account starts unverified (accounts.email_verified_at NULL).
 * Registration mails a link that works once, for EMAIL_VERIFICATION_TTL_MS;
 * following it, or a password reset link, or an email change link, proves
 * the address.  Until then the account may do everything free, but nothing
 * that charges a card or moves its money (email_verify_require).
 *
 * An address is unique among verified accounts only.  A registration for an
 * address a verified account has makes a real account all the same (same
 * answer, a real id), which can never be verified: the address's owner is
 * mailed a notice ("if it was you, sign in or reset your password") instead
 * of a link.  An address holds at most ACCOUNT_UNVERIFIED_PER_EMAIL active
 * unverified accounts (the oldest is retired), and when the address is
 * verified the others are retired.  Retired means disabled, not deleted: an
 * unverified account may already have contacts and messages (free), whose
 * rows refer to it; a disabled account cannot sign in and is never counted.
 *
 * Throttles: at most EMAIL_VERIFICATIONS_PER_HOUR links an account an hour,
 * registration's own included (resending more answers 429).
 */
#ifndef KITE_DOMAIN_IDENTITY_EMAIL_VERIFY_H
#define KITE_DOMAIN_IDENTITY_EMAIL_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "db/db.h"
#include "domain/context.h"
#include "domain/identity/account.h"
#include "domain/identity/session.h"

enum { EMAIL_VERIFICATIONS_PER_HOUR = 3 };
#define EMAIL_VERIFICATION_TTL_MS (7LL * 24 * 60 * 60 * 1000)
/* An unverified account nobody signed in to for this long is retired by the sweeper. */
#define EMAIL_UNVERIFIED_IDLE_MS (7LL * 24 * 60 * 60 * 1000)

/*
 * KITE_ERR_EMAIL_NOT_VERIFIED (FAULT_EMAIL_NOT_VERIFIED) when acct is a
 * contact whose address is not proven: the check before anything is paid.
 * Staff and residents pass (staff are vouched for; residents have no email).
 */
kite_err email_verify_require(const account *acct, kite_fault *fault) KITE_WUR;

/* ---- inside the caller's transaction (registration, password reset, email change) ---- */

/*
 * A new link for acct, stored by its hash, and its mail queued: with welcome,
 * the one mail of a registration (the welcome, carrying the link); else the
 * link alone (a resend).
 */
kite_err email_verify_issue(db_conn *conn, const kite_ctx *ctx, arena *a, const account *acct, int64_t now,
                            bool welcome) KITE_WUR;
/* The mail to the owner of a verified address that someone registered with it. */
kite_err email_verify_notice_taken(db_conn *conn, const kite_ctx *ctx, arena *a, const char *email,
                                   fault_lang lang, int64_t now) KITE_WUR;
/* Retires the oldest active unverified accounts of email so that one more fits under the bound. */
kite_err email_verify_make_room(db_conn *conn, arena *a, const char *email, int64_t now) KITE_WUR;
/* Retires every active unverified account of email but keep_id (the address was proven by keep_id). */
kite_err email_verify_retire_others(db_conn *conn, arena *a, int64_t keep_id, const char *email, int64_t now) KITE_WUR;
/*
 * Marks the account's address proven (how: "link", "password_reset", "invitation", "operator"), spends its
 * links and retires the address's other unverified accounts; audited.  *marked is false when
 * the account was verified already, or when another account verified the address first (its
 * address then stays unproven: the unique index allows one verified account an address).
 */
kite_err email_verify_mark(db_conn *conn, arena *a, int64_t account_id, const char *actor, const char *how,
                           int64_t now, bool *marked) KITE_WUR;

/* ---- whole requests ---- */

/*
 * POST /me/email-verification: a new link for the signed-in contact.  KITE_OK
 * (nothing sent) when the address is proven already or can never be (another
 * account verified it); KITE_ERR_THROTTLED (FAULT_VERIFICATION_MAILS).
 */
kite_err email_verification_resend(const kite_ctx *ctx, arena *a, const session *s, kite_fault *fault) KITE_WUR;

/*
 * POST /email-verifications/confirm: KITE_ERR_NOT_FOUND for a token Kite
 * never made, KITE_ERR_VERIFICATION_LINK_EXPIRED for one used, past its time,
 * or of an account that can no longer be verified.
 */
kite_err email_verification_confirm(const kite_ctx *ctx, arena *a, const char *token, kite_fault *fault) KITE_WUR;

/* kite user verify-email: support marks an address proven; KITE_ERR_NOT_FOUND without such an account. */
kite_err email_verify_by_operator(const kite_ctx *ctx, arena *a, const char *email, int64_t *account_id) KITE_WUR;

/* The sweeper: retires unverified accounts older than EMAIL_UNVERIFIED_IDLE_MS without a recent session. */
kite_err email_verify_sweep(const kite_ctx *ctx, arena *a, int64_t *retired) KITE_WUR;

/* "n***@example.com": enough for the owner to recognise, too little to mail. */
const char *email_masked(arena *a, const char *email);

#endif
