#include "core/error.h"

#include <stddef.h>

static const struct {
    int status;
    const char *code;
    const char *message;
} error_table[KITE_ERR__COUNT] = {
    [KITE_OK] = {200, "ok", "Done."},
    [KITE_ERR_MALFORMED_JSON] = {400, "malformed_json",
        "The request body is not valid JSON. Send a JSON object and try again."},
    [KITE_ERR_BAD_REQUEST] = {400, "bad_request",
        "The request could not be understood. Check its fields and try again."},
    [KITE_ERR_INVALID_FIELD] = {422, "invalid_field",
        "A field has a value that is not allowed. Correct it and try again."},
    [KITE_ERR_UNAUTHENTICATED] = {401, "unauthenticated",
        "You are not signed in, or your session has ended. Sign in and try again."},
    [KITE_ERR_BAD_CREDENTIALS] = {401, "invalid_credentials",
        "That email and password do not match an account. Check them and try again."},
    [KITE_ERR_FORBIDDEN] = {403, "forbidden",
        "Your account is not allowed to do this."},
    [KITE_ERR_CSRF] = {403, "csrf_token_required",
        "This request needs the X-Kite-CSRF header from your sign-in. Reload the page and try again."},
    [KITE_ERR_NOT_FOUND] = {404, "not_found",
        "Nothing was found at this address."},
    [KITE_ERR_METHOD_NOT_ALLOWED] = {405, "method_not_allowed",
        "This address does not accept that method."},
    [KITE_ERR_CONFLICT] = {409, "conflict",
        "This conflicts with something that already exists or changed meanwhile. Reload and try again."},
    [KITE_ERR_EMAIL_TAKEN] = {409, "email_taken",
        "An account with this email already exists. Sign in instead, or use another email."},
    [KITE_ERR_GONE] = {410, "gone",
        "This is no longer available."},
    [KITE_ERR_TOO_LARGE] = {413, "body_too_large",
        "The request is too large. Send less data."},
    [KITE_ERR_HEADERS_TOO_LARGE] = {413, "headers_too_large",
        "The request headers are too large. Send fewer or shorter headers."},
    [KITE_ERR_UNSUPPORTED_MEDIA_TYPE] = {415, "unsupported_media_type",
        "Send the body as application/json."},
    [KITE_ERR_WEAK_PASSWORD] = {422, "weak_password",
        "Choose a password of at least 10 characters that is not a common password."},
    [KITE_ERR_THROTTLED] = {429, "too_many_attempts",
        "Too many attempts. Wait a little and try again."},
    [KITE_ERR_NOT_ON_PLATFORM] = {422, "facility_not_on_platform",
        "This facility is not served by Kite, so Kite cannot do this for it. Look up the facility to see which service to use."},
    [KITE_ERR_RESIDENT_EXISTS] = {409, "resident_exists",
        "A resident with this number is already on this facility's roster."},
    [KITE_ERR_RESIDENT_MUST_INVITE] = {403, "resident_must_invite",
        "At this facility, the person inside starts contact: ask them to send an invitation to your email from their tablet."},
    [KITE_ERR_CONTACT_MUST_REQUEST] = {403, "contact_must_request",
        "At this facility, family and friends start contact: they send a request, which you can approve."},
    [KITE_ERR_NAME_LOOKUP_NOT_ALLOWED] = {403, "lookup_by_name_not_allowed",
        "This facility only allows finding a person by their resident number. Ask them or the facility for it."},
    [KITE_ERR_CONTACT_LIMIT_REACHED] = {422, "contact_limit_reached",
        "The contact list is full under this facility's rules. A contact must be removed before another is added."},
    [KITE_ERR_CONTACT_BLOCKED] = {403, "contact_blocked",
        "Contact between these people is blocked, so this cannot be done."},
    [KITE_ERR_ALREADY_CONTACTS] = {409, "already_contacts",
        "You are already approved contacts."},
    [KITE_ERR_INVITATION_EXPIRED] = {410, "invitation_expired",
        "This invitation has expired. Ask the person who invited you to send a new one."},
    [KITE_ERR_RESET_LINK_EXPIRED] = {410, "reset_link_expired",
        "This password reset link has expired or was already used. Ask for a new one from the sign-in page."},
    [KITE_ERR_VERIFICATION_LINK_EXPIRED] = {410, "verification_link_expired",
        "This link has expired or was already used."},
    [KITE_ERR_EMAIL_CHANGE_LINK_EXPIRED] = {410, "email_change_link_expired",
        "This link has expired or was already used."},
    [KITE_ERR_EMAIL_NOT_VERIFIED] = {403, "email_not_verified",
        "Confirm your email address first."},
    [KITE_ERR_INVITATION_USED] = {409, "invitation_already_used",
        "This invitation was already accepted or withdrawn. Sign in to see your contacts."},
    [KITE_ERR_INVITATION_NOT_FOR_YOU] = {403, "invitation_not_for_you",
        "This invitation was sent to another email address. Sign in with the account for that address."},
    [KITE_ERR_ALREADY_DECIDED] = {409, "already_decided",
        "This was already decided. Reload to see the current state."},
    [KITE_ERR_RESIDENT_UNREACHABLE] = {409, "resident_unreachable",
        "This person can no longer be reached on Kite: they were released or moved to a facility Kite does not serve."},
    [KITE_ERR_CONTACT_NOT_ACTIVE] = {409, "contact_not_active",
        "You cannot write to this contact now: the contact was removed or is suspended. See your contacts for details."},
    [KITE_ERR_ACCOUNT_HAS_BALANCE] = {409, "account_has_balance",
        "Your account still holds money. Spend it or refund it first, then delete your account."},
    [KITE_ERR_MESSAGE_TOO_LONG] = {422, "message_too_long",
        "The message is longer than this facility allows. Shorten it, or send it as two messages."},
    [KITE_ERR_ATTACHMENTS_NOT_ALLOWED] = {422, "attachments_not_allowed",
        "This facility does not accept photos with messages, or not this many. Send the text alone."},
    [KITE_ERR_DAILY_LIMIT_REACHED] = {429, "daily_limit_reached",
        "You reached this facility's limit of messages per day. You can send again tomorrow."},
    [KITE_ERR_IDEMPOTENCY_KEY_REUSED] = {422, "idempotency_key_reused",
        "This Idempotency-Key was already used for a different request. Use a new key for a new request."},
    [KITE_ERR_INSUFFICIENT_FUNDS] = {402, "insufficient_funds",
        "Your balance is too low for this, so nothing was charged. Add money to your account, then try again."},
    [KITE_ERR_CARD_DECLINED] = {402, "card_declined",
        "The card company declined this payment, so nothing was charged. Use another card."},
    [KITE_ERR_PAYMENT_FAILED] = {502, "payment_failed",
        "The card company could not be reached, so nothing was charged. Try again in a few minutes."},
    [KITE_ERR_PAYMENTS_UNAVAILABLE] = {503, "payments_unavailable",
        "Payments are not available right now, so nothing was charged. Try again later."},
    [KITE_ERR_BAD_IMAGE] = {422, "invalid_image",
        "This file is not a photo Kite can accept. Send a JPEG, PNG or WebP picture within the size limit."},
    [KITE_ERR_BUSY] = {503, "busy",
        "Kite is busy right now. Try again in a moment."},
    [KITE_ERR_STORE] = {500, "store_error",
        "Kite could not read or save data. Nothing was changed; try again later."},
    [KITE_ERR_OUTCOME_UNKNOWN] = {503, "outcome_unknown",
        "The connection to Kite's store was lost while this was being saved, so it may or may not have been saved. "
        "Check before doing it again; a payment sent again with the same Idempotency-Key is never charged twice."},
    [KITE_ERR_IO] = {500, "io_error",
        "Kite could not read or write a file."},
    [KITE_ERR_INTERNAL] = {500, "internal_error",
        "Something went wrong inside Kite. Nothing was changed; try again later."},
};

static int err_valid(kite_err err)
{
    return (int)err >= 0 && err < KITE_ERR__COUNT && error_table[err].code != NULL;
}

int kite_err_status(kite_err err)
{
    return err_valid(err) ? error_table[err].status : 500;
}

const char *kite_err_code(kite_err err)
{
    return err_valid(err) ? error_table[err].code : "internal_error";
}

const char *kite_err_message(kite_err err)
{
    return err_valid(err) ? error_table[err].message : error_table[KITE_ERR_INTERNAL].message;
}
