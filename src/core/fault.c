/*
 * fault.c - the one table of sentences for faults, and its placeholders.
 *
 * Design: each entry is keyed by code, field (NULL: any field) and detail,
 * and holds one sentence per language, a column each, so Spanish will be a
 * second string in every entry, not a second code path.  Lookup prefers the
 * entry naming the fault's field, then the one for any field; with none, the
 * sentence is error.c's for the code, so a fault the table does not know is
 * still answered in words (and where today's answer is generic, there is
 * simply no entry).
 *
 * Placeholders, filled from the fault: {field}, {limit}, {min}, {max},
 * {choices} (joined with ", "), {note}, {at}, {wait} (retry_after_ms as
 * "N seconds" or "about N minutes"), {limit_mib} (limit in MiB),
 * {limit_mp} (limit in megapixels) and {limit_usd}, {min_usd}, {max_usd}
 * (a number of cents as dollars, "$3.50", integer arithmetic only).  The words a placeholder adds (units,
 * separators) live in fault_words, one column per language as well.
 *
 * SECURITY: {field}, {choices} and {note} may echo what a client sent (a
 * JSON member name): the sentence goes out as a JSON string, never as HTML.
 */
#include "core/fault.h"

#include "core/buf.h"

#include <inttypes.h>
#include <string.h>

typedef struct fault_row {
    kite_err code;
    const char *field;
    fault_detail detail;
    const char *text[FAULT_LANG_COUNT];
} fault_row;

#define F_INVALID KITE_ERR_INVALID_FIELD

static const fault_row fault_rows[] = {
    /* The shape of what a client sent (api/body.c and the handlers' edge checks). */
    {F_INVALID, NULL, FAULT_REQUIRED, {"The field \"{field}\" is required."}},
    {F_INVALID, NULL, FAULT_NOT_STRING, {"The field \"{field}\" must be a string."}},
    {F_INVALID, NULL, FAULT_NUL, {"The field \"{field}\" must not contain NUL characters."}},
    {F_INVALID, NULL, FAULT_NOT_INTEGER, {"The field \"{field}\" must be a whole number."}},
    {F_INVALID, NULL, FAULT_NOT_BOOLEAN, {"The field \"{field}\" must be true or false."}},
    {F_INVALID, NULL, FAULT_PARAM_RANGE, {"The parameter \"{field}\" must be a whole number from {min} to {max}."}},
    {F_INVALID, NULL, FAULT_PARAM_CHOICE, {"The parameter \"{field}\" has a value Kite does not know."}},
    {F_INVALID, "state", FAULT_FORMAT, {"The parameter \"state\" is not valid: use a two-letter state code."}},
    {F_INVALID, "zip", FAULT_FORMAT, {"The parameter \"zip\" is not valid: use up to five digits."}},
    {F_INVALID, "q", FAULT_LENGTH, {"The search text must be valid text of at most {limit} bytes."}},
    {F_INVALID, "Last-Event-ID", FAULT_NOT_INTEGER,
     {"The Last-Event-ID header must be the id of an event this stream sent (a whole number)."}},

    /* Values, whichever field holds them. */
    {F_INVALID, NULL, FAULT_NOT_VALID, {"The field \"{field}\" is not valid. Correct it and try again."}},
    {F_INVALID, NULL, FAULT_EMAIL, {"The field \"{field}\" must be an email address."}},
    {F_INVALID, NULL, FAULT_NAME, {"The field \"{field}\" must be 1 to {limit} characters of text."}},
    {F_INVALID, NULL, FAULT_DIGITS, {"The field \"{field}\" must be {min} to {max} digits."}},
    {F_INVALID, NULL, FAULT_LENGTH, {"The field \"{field}\" must be text of at most {limit} characters."}},
    {F_INVALID, NULL, FAULT_RANGE, {"The field \"{field}\" must be a whole number from {min} to {max}."}},
    {F_INVALID, NULL, FAULT_CHOICE, {"The field \"{field}\" must be one of: {choices}."}},
    {F_INVALID, NULL, FAULT_NOT_POLICY_FIELD, {"\"{field}\" is not a policy field."}},
    {F_INVALID, NULL, FAULT_PATTERN, {"The field \"{field}\" is not a valid pattern: {note} (at character {at})."}},
    {F_INVALID, NULL, FAULT_NO_WORDS, {"The field \"{field}\" must list at least one word."}},

    /* Fields with words of their own. */
    {F_INVALID, "resident_number", FAULT_FORMAT,
     {"The field \"resident_number\" does not have this facility's resident number format."}},
    {F_INVALID, "status", FAULT_CHOICE, {"The field \"status\" must be active or released."}},
    {F_INVALID, "role", FAULT_CHOICE, {"The field \"role\" must be facility_admin, reviewer or investigator."}},
    {F_INVALID, "profile", FAULT_CHOICE, {"The field \"profile\" must be federal, jpay or connectnetwork."}},
    {F_INVALID, "kind", FAULT_CHOICE, {"The field \"kind\" must be words, pattern, watch_resident or watch_email."}},
    {F_INVALID, "action", FAULT_CHOICE, {"The field \"action\" must be flag or hold."}},
    {F_INVALID, "decision", FAULT_CHOICE, {"The field \"decision\" must be approve or reject."}},
    {F_INVALID, "box", FAULT_CHOICE, {"The parameter \"box\" must be inbox or sent."}},
    {F_INVALID, "value", FAULT_LENGTH, {"The field \"value\" must be 1 to {limit} bytes of text."}},
    {F_INVALID, "note", FAULT_LENGTH, {"The field \"note\" must be at most {limit} characters."}},
    {F_INVALID, "approval_window_hours", FAULT_DEPENDS,
     {"The field \"approval_window_hours\" must be at least 1 when approval is resident_or_window."}},
    {F_INVALID, "page_chars", FAULT_DEPENDS, {"The field \"page_chars\" must be at least 1 when pricing is stamps."}},
    {F_INVALID, "max_attachments", FAULT_DEPENDS,
     {"The field \"max_attachments\" must allow at least one attachment of 1 KiB when attachments are allowed."}},
    {F_INVALID, "attachment_max_bytes", FAULT_DEPENDS,
     {"The field \"attachment_max_bytes\" must allow at least one attachment of 1 KiB when attachments are allowed."}},

    /* Messages. */
    {KITE_ERR_MESSAGE_TOO_LONG, "body", FAULT_LENGTH,
     {"The message is longer than this facility allows ({limit} characters). Shorten it, or send it as two messages."}},
    {F_INVALID, "body", FAULT_EMPTY, {"Write a message: the body must be text and not empty."}},
    {F_INVALID, "subject", FAULT_LENGTH, {"The subject must be one line of at most {limit} characters."}},
    {F_INVALID, "Idempotency-Key", FAULT_LENGTH, {"The Idempotency-Key header must be 1 to {limit} characters."}},
    {F_INVALID, "attachment_ids", FAULT_UNKNOWN,
     {"An attachment id is not one of your unsent photos. Upload the photo again."}},
    {F_INVALID, "attachment_ids", FAULT_LENGTH, {"The field \"attachment_ids\" must be a list of at most {limit} ids."}},
    {F_INVALID, "attachment_ids", FAULT_NOT_INTEGER, {"The field \"attachment_ids\" must hold attachment ids."}},
    {F_INVALID, "message_ids", FAULT_LENGTH, {"The field \"message_ids\" must list {min} to {max} message ids."}},
    {F_INVALID, "cursor", FAULT_UNKNOWN, {"The cursor is not one Kite gave. Start again without it."}},
    {KITE_ERR_NOT_FOUND, "contact_id", FAULT_UNKNOWN, {"You have no contact with this id. Check your contacts."}},
    {F_INVALID, "reason", FAULT_REVIEW, {"A rejection needs a reason code from the facility's list."}},
    {F_INVALID, NULL, FAULT_REVIEW, {"The note must be text of at most {limit} characters."}},
    {F_INVALID, "note", FAULT_REQUIRED, {"A rejection for another reason needs a note that tells the sender why."}},
    {KITE_ERR_ALREADY_DECIDED, NULL, FAULT_REVIEW, {"Another reviewer already decided this message."}},
    {F_INVALID, "facility_id", FAULT_QUEUE, {"Give the facility_id of the queue to open."}},

    /* Policies. */
    {KITE_ERR_NOT_FOUND, NULL, FAULT_POLICY, {"This facility is not on Kite, so it has no Kite policy."}},
    {KITE_ERR_FORBIDDEN, NULL, FAULT_POLICY, {"Only an operator can put a facility on Kite."}},

    /* Contacts: invitations, requests, blocks, transfers. */
    {F_INVALID, "token", FAULT_INVITATION, {"Give the token from the invitation link."}},
    {KITE_ERR_NOT_FOUND, NULL, FAULT_INVITATION,
     {"This invitation link is not valid. Check that you copied the whole link."}},
    {F_INVALID, NULL, FAULT_TARGET,
     {"Give the person's resident number, or their first and last name where the facility allows it."}},
    {KITE_ERR_NOT_FOUND, NULL, FAULT_TARGET,
     {"Nobody with these details is on this facility's roster. Check the number, the name and the facility."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_NAME_AMBIGUOUS,
     {"Several people here have this name. Use their resident number instead."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_ALREADY_ASKED, {"You already asked; the request is waiting for a decision."}},
    {KITE_ERR_NOT_FOUND, "resident_number", FAULT_UNKNOWN,
     {"No resident with this number is on this facility's roster."}},
    {F_INVALID, "resident_number", FAULT_TRANSFER,
     {"The resident number does not have the new facility's format. Give the number used there."}},
    {F_INVALID, "to_facility_id", FAULT_TRANSFER, {"Give an existing facility other than the current one."}},

    {F_INVALID, "file", FAULT_ROSTER_COLUMNS,
     {"The file needs a first line naming the columns resident_number, first_name and last_name (and pin, if you "
      "set PINs). Export the roster again as CSV with those columns."}},
    {F_INVALID, "current_password", FAULT_NOT_VALID,
     {"Your current password is not right. Type it again, or reset it from the sign-in page."}},

    /* Throttles: how many, and when to try again. */
    {KITE_ERR_THROTTLED, NULL, FAULT_SIGN_IN,
     {"Too many sign-in attempts. For your safety, sign-in is paused: wait {wait} and try again."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_REGISTRATIONS,
     {"Many accounts were made from this connection in the last hour. Try again later."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_PASSWORD_RESETS,
     {"Many password resets were asked for from this connection in the last hour. Try again later."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_INVITATIONS, {"You can send {limit} invitations a day. Try again tomorrow."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_UPLOADS,
     {"You have uploaded many photos today that you have not sent. Send them with a message, or try again tomorrow."}},
    {KITE_ERR_BAD_CREDENTIALS, NULL, FAULT_RESIDENT_SIGN_IN,
     {"That facility, resident number and PIN do not match. Check them, or ask staff to reset your PIN."}},

    /* Photos: the image helper's verdicts. */
    {KITE_ERR_UNSUPPORTED_MEDIA_TYPE, NULL, FAULT_UPLOADS,
     {"Send the photo itself as the request body, with Content-Type image/jpeg, image/png or image/webp."}},
    {KITE_ERR_BAD_IMAGE, NULL, FAULT_IMAGE_EMPTY,
     {"The photo is empty (zero bytes). Choose the picture again and send it."}},
    {KITE_ERR_BAD_IMAGE, NULL, FAULT_IMAGE_UNKNOWN_TYPE,
     {"This file is not a JPEG, PNG or WebP picture. Send a photo in one of those formats."}},
    {KITE_ERR_BAD_IMAGE, NULL, FAULT_IMAGE_TYPE_MISMATCH,
     {"The file's contents do not match its declared type. Send the photo with the Content-Type of its real format "
      "(image/jpeg, image/png or image/webp)."}},
    {KITE_ERR_TOO_LARGE, NULL, FAULT_IMAGE_TOO_LARGE, {"The photo is larger than {limit_mib} MiB. Send a smaller photo."}},
    {KITE_ERR_BAD_IMAGE, NULL, FAULT_IMAGE_TOO_MANY_PIXELS,
     {"The photo has too many pixels (at most {max} on a side and {limit_mp} megapixels). Send a smaller photo."}},
    {KITE_ERR_BAD_IMAGE, NULL, FAULT_IMAGE_UNREADABLE,
     {"The photo could not be read: it is damaged or incomplete. Save it again as JPEG and send it again."}},
    {KITE_ERR_BAD_IMAGE, NULL, FAULT_IMAGE_FAILED,
     {"Kite could not process this photo. Save it again as JPEG and try again, or send another picture."}},

    /* Payment cards (payment/card.c), checked before a charge leaves Kite. */
    {F_INVALID, "card_number", FAULT_FORMAT,
     {"The card number must be digits only (spaces and dashes between them are fine)."}},
    {F_INVALID, "card_number", FAULT_DIGITS, {"The card number must be {min} to {max} digits."}},
    {F_INVALID, "card_number", FAULT_CHECKSUM,
     {"This card number is not valid: a digit is probably mistyped. Check the number on the card."}},
    {F_INVALID, "expiry", FAULT_FORMAT, {"The card's expiry must be a month from 1 to 12 and a four-digit year."}},
    {F_INVALID, "expiry", FAULT_EXPIRED, {"This card has expired. Use another card."}},
    {F_INVALID, "expiry", FAULT_RANGE, {"The card's expiry year must be from {min} to {max}."}},
    {F_INVALID, "cvc", FAULT_DIGITS, {"The security code (CVC) must be {min} to {max} digits."}},
    {F_INVALID, "cvc", FAULT_LENGTH, {"The security code (CVC) of this card must be {limit} digits."}},
    {KITE_ERR_BAD_REQUEST, NULL, FAULT_CHARGE,
     {"A charge needs amount_cents (whole cents), currency \"usd\" and a card with number, exp_month, exp_year "
      "and cvc."}},
    {KITE_ERR_CONFLICT, "Idempotency-Key", FAULT_CHARGE,
     {"This Idempotency-Key was already used for a different charge. Use a new key for a new charge."}},
    {KITE_ERR_NOT_FOUND, "idempotency_key", FAULT_CHARGE, {"No charge was made with this idempotency key."}},
    {KITE_ERR_INTERNAL, NULL, FAULT_CHARGE,
     {"The processor failed on purpose (the processor-error test card); nothing was charged."}},
    /* Prices, fees and the FCC's caps (domain/ledger/). */
    {F_INVALID, "with_reply_stamp", FAULT_NOT_OFFERED, {"This facility does not sell prepaid reply stamps."}},
    {F_INVALID, "count", FAULT_NOT_OFFERED,
     {"This facility does not sell a bundle of that size. Choose one of the bundles it offers."}},
    {F_INVALID, "unit", FAULT_NOT_OFFERED, {"This facility does not sell bundles of that kind."}},
    {F_INVALID, "months", FAULT_NOT_OFFERED, {"This facility does not offer a monthly subscription."}},
    {F_INVALID, NULL, FAULT_NOT_OFFERED, {"This facility does not offer what \"{field}\" asks for."}},
    {F_INVALID, NULL, FAULT_AMOUNT_MAX,
     {"The price for \"{field}\" would be more than {limit_usd}, more than Kite charges at once."}},
    {F_INVALID, NULL, FAULT_COUNT_MAX,
     {"The price for \"{field}\" would be more than {limit} stamps or credits, more than Kite counts at once."}},
    {F_INVALID, NULL, FAULT_TRANSFER_AMOUNT, {"A transfer must be from {min_usd} to {max_usd}."}},
    {F_INVALID, NULL, FAULT_MONTHLY_LIMIT,
     {"This transfer would take this month's transfers past the limit of {limit_usd}; {max_usd} can still be sent "
      "this month."}},
    /* The wallet (domain/ledger/wallet.c, api/wallet.c). */
    {F_INVALID, "amount_cents", FAULT_TOP_UP_AMOUNT, {"A top-up must be from {min_usd} to {max_usd}."}},
    {KITE_ERR_PAYMENTS_UNAVAILABLE, NULL, FAULT_PAYMENTS_OFF,
     {"Payments are not available right now: this Kite is not connected to a card company. Nothing was charged; "
      "try again later."}},
    {KITE_ERR_CARD_DECLINED, NULL, FAULT_DECLINED,
     {"The card company declined this card, so nothing was charged. Use another card or call the number on the "
      "back of the card."}},
    {KITE_ERR_CARD_DECLINED, NULL, FAULT_DECLINED_FUNDS,
     {"The card company says there is not enough money on this card, so nothing was charged. Use another card or "
      "a smaller amount."}},
    {KITE_ERR_CARD_DECLINED, NULL, FAULT_DECLINED_EXPIRED,
     {"The card company says this card has expired, so nothing was charged. Use another card."}},
    {KITE_ERR_CARD_DECLINED, NULL, FAULT_DECLINED_INVALID,
     {"The card company does not know this card, so nothing was charged. Check the number or use another card."}},
    {KITE_ERR_PAYMENT_FAILED, NULL, FAULT_PROCESSOR_DOWN,
     {"The card company could not take the payment just now, so nothing was charged. Try again in a few minutes."}},
    {F_INVALID, NULL, FAULT_FCC_CAP, {"The rate is above the FCC cap of {limit} cents per minute for this facility."}},
    {F_INVALID, NULL, FAULT_FCC_ANCILLARY, {"The FCC forbids fees on deposits to a phone account: the fee must be 0."}},

    /* Phone accounts and call records (domain/ledger/phone.h, api/phone.c). */
    {KITE_ERR_CONFLICT, "phone_number", FAULT_PHONE_TAKEN,
     {"This facility already has a phone account for this number, opened by someone else. Phone calls to one number "
      "draw on one account; ask the person who opened it, or use another number."}},
    {KITE_ERR_CONFLICT, "facility_id", FAULT_PHONE_ONE_PER_FACILITY,
     {"You already have a phone account at this facility. Use that one, or refund it first."}},
    {F_INVALID, "amount_cents", FAULT_PHONE_DEPOSIT_AMOUNT,
     {"A phone deposit must be from {min_usd} to {max_usd}. There is no fee on deposits."}},
    {KITE_ERR_CONFLICT, "amount_cents", FAULT_PHONE_NOTHING,
     {"This phone account's balance is $0.00, so there is nothing to refund."}},
    {F_INVALID, "resident_number", FAULT_PHONE_RESIDENT,
     {"No resident with this number is on this facility's roster. Check the resident number of the call."}},
    {KITE_ERR_CONFLICT, "call_id", FAULT_PHONE_CALL_REUSED,
     {"This call id was already recorded with other details (number, resident, start or duration). Send each call "
      "under its own id."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_PHONE_NO_ACCOUNT,
     {"There is no prepaid phone account for this number at this facility. The call was recorded and not billed; "
      "do not connect calls to this number until an account is opened."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_PHONE_BALANCE_EMPTY,
     {"The phone account's balance does not pay for one minute. The call was recorded and not billed; do not "
      "connect calls to this number until money is deposited."}},
    {KITE_ERR_UNAUTHENTICATED, NULL, FAULT_PHONE_KEY,
     {"Send the facility's API key as \"Authorization: Bearer KEY\". This key is missing, unknown or revoked."}},
    {F_INVALID, "call_id", FAULT_DEPENDS, {"call_id must be the same as the Idempotency-Key header."}},
    {F_INVALID, "started_at", FAULT_FORMAT,
     {"started_at must be an RFC 3339 time such as 2026-01-31T14:05:00Z."}},
    {KITE_ERR_FORBIDDEN, NULL, FAULT_PHONE_KEY_FACILITY,
     {"This API key belongs to another facility. Use the key made for this facility."}},

    /* Live events (api/events.c). */
    {KITE_ERR_BUSY, NULL, FAULT_LIVE_EVENTS, {"Live events are not available right now. Reload to see what is new."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_STREAMS,
     {"You have as many live event streams open as one account may. Close one (another tab or device) and try again."}},
    {KITE_ERR_BUSY, NULL, FAULT_STREAMS,
     {"Kite has as many live event streams open as it can serve. Try again in a moment."}},

    /* Money transfers and terminal time (domain/ledger/money_transfer.c, terminal.c). */
    {F_INVALID, NULL, FAULT_TRANSFER_MATCH,
     {"The resident number and last name do not match the same person at this facility. Check both, as the facility "
      "writes them, and try again. Nothing was charged."}},
    {KITE_ERR_RESIDENT_UNREACHABLE, NULL, FAULT_TRANSFER_RELEASED,
     {"This person has been released, so their trust account no longer takes money. Nothing was charged."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_TRANSFER_FUNDS,
     {"This transfer costs {limit_usd} with its fee and your balance is {max_usd}. Add money to your balance, then "
      "send again. Nothing was charged."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_TERMINAL_FUNDS,
     {"Your trust account cannot pay for the next minute of terminal time ({limit_usd} a minute), so it is not "
      "charged. Ask your family to send money, or ask the trust office."}},
    /* A facility's prices and its revenue report (domain/ledger/prices.c, revenue.c; api/prices.c). */
    {F_INVALID, NULL, FAULT_NOT_PRICE_FIELD, {"\"{field}\" is not a price Kite knows. Check its spelling."}},
    {F_INVALID, NULL, FAULT_POLICY_FIELD,
     {"\"{field}\" is part of the facility's policy. Change it on the policy page, then set the prices."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_PRICES_CHANGED,
     {"Someone else changed these prices while you were editing them. Reload to see theirs, then make your change "
      "again."}},
    {F_INVALID, "stamp_bundles", FAULT_NOT_VALID,
     {"List stamp bundles smallest first, each of at least 1 stamp, priced from 1 cent up to its stamps at the "
      "full stamp price."}},
    {F_INVALID, "credit_bundles", FAULT_NOT_VALID,
     {"List credit bundles smallest first, each of at least 1 credit, priced from 1 cent up to its credits at the "
      "full credit price."}},
    {F_INVALID, "fee_tiers", FAULT_NOT_VALID,
     {"List transfer fee tiers by amount, smallest first, each up to a larger amount than the one before, with "
      "fees of $0.00 or more."}},
    {F_INVALID, NULL, FAULT_DATE, {"The parameter \"{field}\" must be a date written YYYY-MM-DD, such as 2026-01-31."}},
    {F_INVALID, NULL, FAULT_DATE_ORDER,
     {"The period must end on or after the day it starts, and last at most {limit} days. Correct \"{field}\"."}},
    /* Paid messages (domain/messaging/message_charge.h). */
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_MESSAGE_COST_CENTS,
     {"This message costs {limit_usd} and you have {max_usd}. Add money to your wallet, then send again."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_MESSAGE_COST_TRUST,
     {"This message costs {limit_usd} and your trust account has {max_usd}. Once money is added to your trust "
      "account, send again."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_MESSAGE_COST_STAMPS,
     {"This message costs {limit_stamps} and you have {max}. Buy stamps in your wallet, then send again."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_MESSAGE_COST_CREDITS,
     {"This message costs {limit_credits} and you have {max}. Buy credits in your wallet, then send again."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_SUBSCRIPTION_NEEDED,
     {"Messages at this facility need a subscription, {limit_usd} a month. Subscribe in your wallet, then send "
      "again."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_PRICE_CHANGED_CENTS,
     {"The price of this message changed from {min_usd} to {max_usd} since it was shown. Check the new price and "
      "send again."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_PRICE_CHANGED_STAMPS,
     {"The price of this message changed from {min_stamps} to {max_stamps} since it was shown. Check the new price "
      "and send again."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_PRICE_CHANGED_CREDITS,
     {"The price of this message changed from {min_credits} to {max_credits} since it was shown. Check the new "
      "price and send again."}},
    {F_INVALID, NULL, FAULT_TRUST_DEPOSIT_AMOUNT, {"A trust deposit must be from {min_usd} to {max_usd}."}},
    {KITE_ERR_ALREADY_DECIDED, NULL, FAULT_WITHDRAW_TOO_LATE,
     {"This message can no longer be withdrawn: it was already delivered, rejected or withdrawn. Reload the "
      "conversation to see where it stands."}},
    /* Deleting an account (domain/privacy/account_deletion.h): money first, so nobody loses any silently. */
    {F_INVALID, "confirm", FAULT_DELETE_CONFIRM,
     {"To delete your account, type the word DELETE in capital letters in \"confirm\"."}},
    {KITE_ERR_FORBIDDEN, NULL, FAULT_DELETE_ROLE,
     {"Only a family member's or friend's account can be deleted here. Staff accounts are closed by the facility "
      "or the operator, and a resident's by the facility."}},
    {KITE_ERR_ACCOUNT_HAS_BALANCE, NULL, FAULT_DELETE_HELD,
     {"{limit_usd} of yours is on hold for messages still waiting for review. Withdraw them (their price comes back "
      "to your balance) or wait until they are delivered, spend what is left, then delete your account."}},
    {KITE_ERR_ACCOUNT_HAS_BALANCE, NULL, FAULT_DELETE_BALANCE,
     {"Your Kite balance still holds {limit_usd}. Spend it first, for example on messages or as money sent to a "
      "trust account, then delete your account: Kite does not delete an account that holds money."}},
    {KITE_ERR_ACCOUNT_HAS_BALANCE, NULL, FAULT_DELETE_PHONE,
     {"Your phone accounts still hold {limit_usd}. Refund it to your Kite balance on the Phone page and spend it, "
      "then delete your account: Kite does not delete an account that holds money."}},
    {KITE_ERR_ACCOUNT_HAS_BALANCE, NULL, FAULT_DELETE_UNITS,
     {"You still have {limit} stamps or credits (some may be on hold for messages waiting for review). Use them "
      "first, then delete your account: Kite does not delete an account that holds what you paid for."}},
    /* Email verification and change (domain/identity/email_verify.c). */
    {KITE_ERR_EMAIL_NOT_VERIFIED, NULL, FAULT_EMAIL_NOT_VERIFIED,
     {"Confirm your email address before paying for anything: open the link we sent to your email. To get a new "
      "link, choose \"Send the link again\" on your account page. Nothing was charged."}},
    {KITE_ERR_NOT_FOUND, "token", FAULT_VERIFICATION_LINK,
     {"This email confirmation link is not one Kite sent. Copy the whole link from the email, or ask for a new one "
      "on your account page."}},
    {KITE_ERR_VERIFICATION_LINK_EXPIRED, NULL, FAULT_VERIFICATION_LINK,
     {"This email confirmation link has expired or was already used. Sign in and ask for a new one on your account "
      "page, if your address is not confirmed yet."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_VERIFICATION_MAILS,
     {"We already sent {limit} confirmation links this hour. Look for them in your email (and its spam folder), or "
      "try again in {wait}."}},
    {KITE_ERR_NOT_FOUND, "token", FAULT_EMAIL_CHANGE_LINK,
     {"This email change link is not one Kite sent. Copy the whole link from the email."}},
    {KITE_ERR_EMAIL_CHANGE_LINK_EXPIRED, NULL, FAULT_EMAIL_CHANGE_LINK,
     {"This email change link has expired or was already used, so your email was not changed. Sign in and ask "
      "for the change again."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_EMAIL_CHANGES,
     {"You asked to change your email {limit} times this hour. Look for the links in your email, or try again in "
      "{wait}."}},
    {F_INVALID, "new_email", FAULT_SAME_EMAIL, {"This is already your email address. Enter the new address."}},
};

/* The words placeholders add, one column per language like the sentences. */
static const struct {
    const char *seconds;   /* after the number, for {wait} under a minute */
    const char *minutes;   /* after the number of minutes (rounded up) otherwise */
    const char *separator; /* between {choices} */
    const char *stamp[2];  /* after a count of stamps: one, several ({limit_stamps} ...) */
    const char *credit[2]; /* after a count of credits */
} fault_words[FAULT_LANG_COUNT] = {
    [FAULT_LANG_EN] = {" seconds", " minutes", ", ", {" stamp", " stamps"}, {" credit", " credits"}},
};
static const char *const fault_about[FAULT_LANG_COUNT] = {[FAULT_LANG_EN] = "about "};

kite_err fault_set(kite_fault *f, kite_err code, const char *field, fault_detail detail)
{
    *f = (kite_fault){.code = code, .field = field, .detail = detail};
    return code;
}

kite_err fault_settle(kite_fault *f, kite_err err)
{
    /* Details recorded for another code (a step that failed, then a retry that failed otherwise) do not apply. */
    if (f->code != err)
        *f = (kite_fault){.code = err};
    return err;
}

static bool row_matches(const fault_row *row, const kite_fault *f, bool by_field)
{
    if (row->code != f->code || row->detail != f->detail)
        return false;
    if (!by_field)
        return row->field == NULL;
    return row->field != NULL && f->field != NULL && strcmp(row->field, f->field) == 0;
}

static const fault_row *fault_find(const kite_fault *f)
{
    for (int by_field = 1; by_field >= 0; by_field--)
        for (size_t i = 0; i < sizeof fault_rows / sizeof fault_rows[0]; i++)
            if (row_matches(&fault_rows[i], f, by_field))
                return &fault_rows[i];
    return NULL;
}

static void put_wait(buf *b, int64_t ms, fault_lang lang)
{
    int64_t seconds = (ms + 999) / 1000;
    if (seconds < 60)
        buf_printf(b, "%" PRId64 "%s", seconds, fault_words[lang].seconds);
    else
        buf_printf(b, "%s%" PRId64 "%s", fault_about[lang], (seconds + 59) / 60, fault_words[lang].minutes);
}

static void put_choices(buf *b, const char *const *choices, fault_lang lang)
{
    for (size_t i = 0; choices != NULL && choices[i] != NULL; i++) {
        if (i > 0)
            buf_puts(b, fault_words[lang].separator);
        buf_puts(b, choices[i]);
    }
}

/* cents as dollars and cents ("$3.50", "-$0.05"), without floating point. */
static void put_usd(buf *b, int64_t cents)
{
    /* The magnitude as unsigned, so INT64_MIN has one too. */
    uint64_t m = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
    buf_printf(b, "%s$%" PRIu64 ".%02" PRIu64, cents < 0 ? "-" : "", m / 100, m % 100);
}

/* "1 stamp", "2 stamps": a count with its noun (fault_words), singular for one. */
static void put_count(buf *b, int64_t n, const char *const noun[2])
{
    buf_printf(b, "%" PRId64 "%s", n, noun[n == 1 ? 0 : 1]);
}

/* Writes one placeholder's value; false when name is not a placeholder. */
static bool put_placeholder(buf *b, const char *name, size_t len, const kite_fault *f, fault_lang lang)
{
#define IS(word) (len == sizeof word - 1 && memcmp(name, word, len) == 0)
    if (IS("field"))
        buf_puts(b, f->field != NULL ? f->field : "");
    else if (IS("limit"))
        buf_printf(b, "%" PRId64, f->limit);
    else if (IS("min"))
        buf_printf(b, "%" PRId64, f->min);
    else if (IS("max"))
        buf_printf(b, "%" PRId64, f->max);
    else if (IS("at"))
        buf_printf(b, "%" PRId64, f->at);
    else if (IS("note"))
        buf_puts(b, f->note != NULL ? f->note : "");
    else if (IS("choices"))
        put_choices(b, f->choices, lang);
    else if (IS("wait"))
        put_wait(b, f->retry_after_ms, lang);
    else if (IS("limit_mib"))
        buf_printf(b, "%" PRId64, f->limit / (1024 * 1024));
    else if (IS("limit_mp"))
        buf_printf(b, "%" PRId64, f->limit / (1000 * 1000));
    else if (IS("limit_usd"))
        put_usd(b, f->limit);
    else if (IS("min_usd"))
        put_usd(b, f->min);
    else if (IS("max_usd"))
        put_usd(b, f->max);
    else if (IS("limit_stamps"))
        put_count(b, f->limit, fault_words[lang].stamp);
    else if (IS("min_stamps"))
        put_count(b, f->min, fault_words[lang].stamp);
    else if (IS("max_stamps"))
        put_count(b, f->max, fault_words[lang].stamp);
    else if (IS("limit_credits"))
        put_count(b, f->limit, fault_words[lang].credit);
    else if (IS("min_credits"))
        put_count(b, f->min, fault_words[lang].credit);
    else if (IS("max_credits"))
        put_count(b, f->max, fault_words[lang].credit);
    else
        return false;
    return true;
#undef IS
}

static const char *fill(arena *a, const char *text, const kite_fault *f, fault_lang lang)
{
    if (strchr(text, '{') == NULL)
        return text;
    buf b;
    buf_init(&b, a);
    for (const char *p = text; *p != '\0';) {
        const char *open = strchr(p, '{');
        const char *close = open != NULL ? strchr(open, '}') : NULL;
        if (close == NULL) {
            buf_puts(&b, p);
            break;
        }
        buf_append(&b, p, (size_t)(open - p));
        if (!put_placeholder(&b, open + 1, (size_t)(close - open - 1), f, lang))
            buf_append(&b, open, (size_t)(close - open + 1)); /* not ours: keep it as written */
        p = close + 1;
    }
    return b.data != NULL ? b.data : "";
}

const char *fault_sentence(arena *a, const kite_fault *f, fault_lang lang)
{
    if ((int)lang < 0 || lang >= FAULT_LANG_COUNT)
        lang = FAULT_LANG_EN;
    const fault_row *row = fault_find(f);
    if (row == NULL || row->text[lang] == NULL)
        return kite_err_message(f->code);
    return fill(a, row->text[lang], f, lang);
}

bool fault_table_entry(size_t i, fault_lang lang, fault_entry *out)
{
    if (i >= sizeof fault_rows / sizeof fault_rows[0] || (int)lang < 0 || lang >= FAULT_LANG_COUNT)
        return false;
    const fault_row *row = &fault_rows[i];
    *out = (fault_entry){row->code, row->field, row->detail, row->text[lang]};
    return true;
}
