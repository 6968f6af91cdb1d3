/*
 * fault.h - what went wrong, in enough detail to tell a person.
 *
 * Design: a kite_err says which kind of thing failed; a kite_fault adds
 * what a person needs to put it right: which field, which way it failed
 * (the detail), and the numbers involved (a limit, a range, a delay before
 * trying again).  The domain fills it and knows nothing of sentences; one
 * table (fault.c) turns code + field + detail into a sentence, and the API
 * answers with it (reply_fault in api/body.c).  Before this, every domain
 * call had its own out-parameters (bad_field, why, limit, retry_after_ms,
 * an image verdict) and every handler chose its own words with strcmp.
 *
 * Numbers travel in the fault, not in the table: core/ cannot include the
 * domain's headers, and a limit such as a facility's message length is not
 * a constant at all.  The domain sets fault.limit (or min/max) from its own
 * constant (SUBJECT_MAX_CHARS, PIN_MIN_DIGITS, a policy field's range), and
 * the sentence names it with a placeholder, so the number is written in one
 * place only.  Placeholders, not printf: the table is data that will be
 * translated, -Wformat-nonliteral rightly refuses formats from a table, and
 * a translation may need the values in another order.
 *
 * Ownership: field, note and choices point to static or arena memory that
 * outlives the reply; a fault owns nothing and needs no freeing.
 */
#ifndef KITE_CORE_FAULT_H
#define KITE_CORE_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/lang.h"

/*
 * Which way something failed, when a code and a field alone do not say.
 * Field checks come first (what is wrong with the value), then situations
 * that one code covers in several ways.  Append freely: the value never
 * leaves the process.
 */
typedef enum fault_detail {
    FAULT_NONE = 0,
    /* a field's value */
    FAULT_REQUIRED,        /* missing */
    FAULT_NOT_STRING,      /* not a JSON string */
    FAULT_NOT_INTEGER,     /* not a JSON whole number */
    FAULT_NOT_BOOLEAN,     /* not true or false */
    FAULT_NUL,             /* a string with a NUL character */
    FAULT_NOT_VALID,       /* refused; the sentence just names the field */
    FAULT_EMAIL,           /* not an email address */
    FAULT_NAME,            /* not 1..limit characters of text */
    FAULT_NAME_RESERVED,   /* the name Kite shows for deleted accounts */
    FAULT_EMPTY,           /* empty where text is needed */
    FAULT_DIGITS,          /* not min..max digits */
    FAULT_PIN_REPEATED,    /* a PIN of one digit, or one block, repeated */
    FAULT_PIN_SEQUENCE,    /* a PIN of digits in a row, up or down */
    FAULT_PIN_COMMON,      /* a PIN on the list of the most common ones */
    FAULT_PIN_NUMBER,      /* a PIN made of the resident's own number */
    FAULT_PASSWORD_PERSONAL, /* a password that is, or holds, the account's email or name */
    FAULT_FORMAT,          /* not in the form the facility uses */
    FAULT_LENGTH,          /* text longer than limit (characters or bytes) */
    FAULT_RANGE,           /* a whole number outside min..max */
    FAULT_CHOICE,          /* not one of choices */
    FAULT_PATTERN,         /* a regular expression that does not compile: note, at */
    FAULT_NO_WORDS,        /* a word list with no word in it */
    FAULT_DEPENDS,         /* allowed alone, not with another field's value */
    FAULT_UNKNOWN,         /* an id or token that names nothing the caller has */
    FAULT_NOT_POLICY_FIELD, /* a body member that is no policy field */
    FAULT_PARAM_RANGE,     /* a query parameter outside min..max */
    FAULT_PARAM_CHOICE,    /* a query parameter with a value Kite does not know */
    /* situations */
    FAULT_RESIDENT_SIGN_IN,  /* a tablet sign-in (facility, number, PIN) */
    FAULT_SIGN_IN,           /* sign-in attempts */
    FAULT_RESIDENT_LOOKUPS,  /* residents looked up by number or name (contact requests, transfers) */
    FAULT_REGISTRATIONS,     /* accounts made from one address */
    FAULT_PASSWORD_RESETS,   /* password reset requests from one address */
    FAULT_ROSTER_COLUMNS,    /* a roster file without the columns it needs */
    FAULT_INVITATIONS,       /* invitations a resident sent today */
    FAULT_UPLOADS,           /* photos uploaded and not sent today */
    FAULT_TARGET,            /* naming a person at a facility */
    FAULT_NAME_AMBIGUOUS,    /* a name that fits several people */
    FAULT_ALREADY_ASKED,     /* a request that is already waiting */
    FAULT_TRANSFER,          /* a resident's move to another facility */
    FAULT_REVIEW,            /* a reviewer's decision on a message */
    FAULT_STREAMS,           /* live event streams open at once */
    FAULT_LIVE_EVENTS,       /* the live event stream as a whole */
    FAULT_POLICY,            /* a facility's policy */
    FAULT_INVITATION,        /* an invitation link */
    FAULT_QUEUE,             /* opening a review queue */
    FAULT_SEARCH_TERMS,      /* a search with more words and phrases than limit (domain/oversight) */
    FAULT_INVESTIGATION_PERSON, /* who writes to whom: neither or both of a resident and a contact */
    FAULT_IMAGE_EMPTY,       /* the photo's verdicts, one each (sandbox/image.h) */
    FAULT_IMAGE_UNKNOWN_TYPE,
    FAULT_IMAGE_TYPE_MISMATCH,
    FAULT_IMAGE_TOO_LARGE,
    FAULT_IMAGE_TOO_MANY_PIXELS,
    FAULT_IMAGE_UNREADABLE,
    FAULT_IMAGE_FAILED,
    /* payment cards (payment/card.h) and the sandbox processor */
    FAULT_CHECKSUM,          /* a number whose check digit is wrong (Luhn) */
    FAULT_EXPIRED,           /* a card past its expiry month */
    FAULT_CHARGE,            /* a charge request of the wrong shape */
    /* prices and fees (domain/ledger/) */
    FAULT_NOT_OFFERED,       /* something the facility does not sell: a reply stamp, a bundle size, a subscription */
    FAULT_AMOUNT_MAX,        /* a price past what Kite charges at once (limit, in cents) */
    FAULT_COUNT_MAX,         /* stamps or credits past what one price may count (limit) */
    FAULT_TRANSFER_AMOUNT,   /* a money transfer outside min..max cents */
    FAULT_MONTHLY_LIMIT,     /* a month's transfers past limit cents; max: what may still be sent */
    FAULT_FCC_CAP,           /* a per-minute rate above the FCC's cap (limit, cents per minute) */
    FAULT_FCC_ANCILLARY,     /* a fee on a phone deposit, which the FCC bans */
    /* the wallet (domain/ledger/wallet.h) */
    FAULT_TOP_UP_AMOUNT,     /* a top-up outside min..max cents */
    FAULT_PAYMENTS_OFF,      /* Kite runs without a card processor */
    FAULT_DECLINED,          /* the card company's reasons, one each */
    FAULT_DECLINED_FUNDS,
    FAULT_DECLINED_EXPIRED,
    FAULT_DECLINED_INVALID,
    FAULT_PROCESSOR_DOWN,    /* the processor failed; nothing was charged */
    /* phone accounts and call records (domain/ledger/phone.h) */
    FAULT_PHONE_TAKEN,          /* the facility has a phone account for this number already */
    FAULT_PHONE_ONE_PER_FACILITY, /* the contact has a phone account at this facility already */
    FAULT_PHONE_DEPOSIT_AMOUNT, /* a deposit outside min..max cents */
    FAULT_PHONE_NOTHING,        /* a refund of a balance of 0 */
    FAULT_PHONE_RESIDENT,       /* a call from a resident not on the facility's roster */
    FAULT_PHONE_CALL_REUSED,    /* a call id recorded before with another body */
    FAULT_PHONE_NO_ACCOUNT,     /* a call to a number with no phone account: recorded, not billed */
    FAULT_PHONE_BALANCE_EMPTY,  /* a call the balance did not pay a minute of: recorded, not billed */
    FAULT_PHONE_KEY,            /* no facility API key, or not one Kite knows */
    FAULT_PHONE_KEY_FACILITY,   /* a facility API key used for another facility */
    /* money transfers and terminal time (domain/ledger/money_transfer.h, terminal.h) */
    FAULT_TRANSFER_MATCH,    /* a resident number and last name that fit nobody at the facility */
    FAULT_TRANSFER_RELEASED, /* money sent to a released resident */
    FAULT_TRANSFER_FUNDS,    /* a balance below a transfer's total (limit: the total, max: the balance) */
    FAULT_TERMINAL_FUNDS,    /* a trust account that cannot pay the next minute (limit: cents a minute) */
    /* a facility's prices and revenue (domain/ledger/prices.h, revenue.h) */
    FAULT_NOT_PRICE_FIELD,   /* a body member that is no price */
    FAULT_POLICY_FIELD,      /* a price that is the policy's to set (the pricing model, the page size) */
    FAULT_PRICES_CHANGED,    /* the prices were saved by someone else meanwhile */
    FAULT_DATE,              /* not a date as YYYY-MM-DD */
    FAULT_DATE_ORDER,        /* a period that ends before it starts, or longer than limit days */
    /* paid messages (domain/messaging/message_charge.h): limit = the price, max = what the payer has */
    FAULT_MESSAGE_COST_CENTS,   /* a contact's balance */
    FAULT_MESSAGE_COST_TRUST,   /* a resident's trust account */
    FAULT_MESSAGE_COST_STAMPS,
    FAULT_MESSAGE_COST_CREDITS,
    FAULT_SUBSCRIPTION_NEEDED,  /* the facility sells messages by subscription (limit: a month, cents) */
    FAULT_PRICE_CHANGED_CENTS,  /* min: the price shown, max: the price now */
    FAULT_PRICE_CHANGED_STAMPS,
    FAULT_PRICE_CHANGED_CREDITS,
    FAULT_TRUST_DEPOSIT_AMOUNT, /* a trust deposit outside min..max cents */
    FAULT_WITHDRAW_TOO_LATE,    /* the sender withdraws a message already delivered, rejected or withdrawn */
    /* a family member deletes their account (domain/privacy/account_deletion.h) */
    FAULT_DELETE_CONFIRM,       /* "confirm" is not the word DELETE */
    FAULT_DELETE_ROLE,          /* staff and residents do not delete themselves */
    FAULT_DELETE_HELD,          /* limit: cents on hold for messages waiting for review */
    FAULT_DELETE_BALANCE,       /* limit: cents in the Kite balance */
    FAULT_DELETE_PHONE,         /* limit: cents in phone accounts */
    FAULT_DELETE_UNITS,         /* limit: stamps and credits not yet used */
    /* email verification and change (domain/identity/email_verify.h) */
    FAULT_EMAIL_NOT_VERIFIED,   /* a paid action before the address is confirmed */
    FAULT_VERIFICATION_LINK,    /* a verification link: unknown, used or expired */
    FAULT_VERIFICATION_MAILS,   /* verification links sent to one account this hour */
    FAULT_EMAIL_CHANGE_LINK,    /* an email change link: unknown, used or expired */
    FAULT_EMAIL_CHANGES,        /* email changes one account asked for this hour */
    FAULT_SAME_EMAIL,           /* a new address that is the account's own */
    /* retention and legal holds (domain/retention) */
    FAULT_PHOTO_PURGED,         /* a photo whose bytes the retention purge deleted */
    FAULT_LEGAL_HOLD,           /* a legal hold: none such in scope, or lifted already */
    /* the edge's own refusals (api/) */
    FAULT_BODY_NOT_OBJECT,      /* valid JSON that is not an object */
    FAULT_ROSTER_TYPE,          /* a roster upload that is not text/csv */
    FAULT_JSON_TYPE,            /* a JSON body sent as another media type (a cross-site form's) */
    FAULT_BODY_FRAMING,         /* Content-Length and Transfer-Encoding together, or either twice */
    FAULT_TRANSFER_CODING,      /* a transfer coding other than chunked */
    FAULT_STORE_DOWN,           /* the health check found the store silent */
    FAULT_UNKNOWN_MEMBER,       /* a body member the endpoint does not take */
    /* sentences of successful answers ("message" beside the data), code KITE_OK: api/body.c note_sentence */
    FAULT_NOTE_KEY_ONCE,        /* a new facility API key, shown once */
    FAULT_NOTE_NO_FEE,          /* a phone deposit carries no fee */
    FAULT_NOTE_PHONE_REFUND,    /* a phone balance returned to the Kite balance */
    FAULT_NOTE_TOP_UP_PENDING,  /* a top-up the card company has not confirmed yet */
    FAULT_ATTORNEY_ROLE,        /* an attorney registration from an account that is not a contact's */
    FAULT_ATTORNEY_REGISTERED,  /* a registration while one is pending or verified */
    FAULT_ATTORNEY_DECIDED,     /* an operator's decision on a registration already past it */
    FAULT_PRIVILEGED,           /* staff asking for the content of privileged legal mail */
    /* video visits (domain/visits/) */
    FAULT_TIME_ZONE,            /* not an IANA time zone name Kite knows */
    FAULT_VISIT_NO_ZONE,        /* a facility that has set no time zone offers no visits yet */
    FAULT_VISIT_LEAD_TIME,      /* a start sooner than the lead time (limit: hours) */
    FAULT_VISIT_HORIZON,        /* a start further ahead than the horizon (limit: days) */
    FAULT_VISIT_BLACKOUT,       /* a start on a blackout day */
    FAULT_VISIT_NO_SLOT,        /* a start that is no slot's start */
    FAULT_VISIT_FULL,           /* a slot occurrence with no place left */
    FAULT_VISIT_OVERLAP,        /* the resident has another visit at that time */
    FAULT_VISIT_SLOT_OVERLAP,   /* a new slot that shares time with another slot of its room */
    FAULT_VISIT_STATE,          /* a visit past the step asked for */
    FAULT_VISIT_FUNDS,          /* a balance below the visit's price (limit: price, max: balance) */
    FAULT_VISIT_STARTED,        /* a change to a visit that has begun */
    FAULT_VISIT_CONTACT_ENDED,  /* the visit's contact is no longer active: it will not take place */
    FAULT_VISIT_CONTACT_INACTIVE, /* a booking or a move over a contact that is not active */
    /* the live video visit (api/visit_live.c) */
    FAULT_LIVE_VIDEO_OFF,       /* this Kite has no media engine (no --janus-url) */
    FAULT_LIVE_MEDIA_DOWN,      /* the media engine did not answer or refused */
    FAULT_LIVE_TOO_EARLY,       /* limit: minutes before the start that the room opens */
    FAULT_LIVE_OVER,            /* ended, cancelled, declined, or past its end */
    FAULT_LIVE_NOT_APPROVED,    /* still waiting for staff approval */
    FAULT_LIVE_PRIVILEGED,      /* a monitor on an attorney's visit */
    FAULT_LIVE_MONITOR_ONLY,    /* a party asking for a monitor's action, or a monitor for a party's */
    FAULT_LIVE_WAIT_MONITOR,    /* the policy wants a monitor in before the visit starts */
    FAULT_LIVE_NO_FEED,         /* the side asked for is not sending video yet */
    /* video messages (sandbox/video.h, domain/messaging/attachment.h) */
    FAULT_VIDEO_EMPTY,          /* the video helper's verdicts, one each */
    FAULT_VIDEO_UNKNOWN_TYPE,
    FAULT_VIDEO_TYPE_MISMATCH,
    FAULT_VIDEO_TOO_LARGE,
    FAULT_VIDEO_TOO_LONG,
    FAULT_VIDEO_TOO_MANY_PIXELS,
    FAULT_VIDEO_UNSUPPORTED_CODEC,
    FAULT_VIDEO_NO_VIDEO,
    FAULT_VIDEO_UNREADABLE,
    FAULT_VIDEO_FAILED,
    FAULT_VIDEOS_NOT_ALLOWED,   /* a video sent to a facility whose policy takes none */
    FAULT_ONE_VIDEO,            /* more than one video on one message */
    FAULT_VIDEO_PURGED,         /* a video whose bytes the retention purge deleted */
    FAULT_UPLOAD_TYPE,          /* an upload whose Content-Type is neither a photo's nor a video's */
    FAULT_VISIT_FUNDS_MOVE,     /* a visit moved to a dearer slot: limit the new price, max the balance plus what is held */
    FAULT_DETAIL_COUNT
} fault_detail;

typedef struct kite_fault {
    kite_err code;              /* what the call returned; KITE_OK when nothing failed */
    const char *field;          /* the member, header or parameter at fault (the answer's "field"), or NULL */
    fault_detail detail;
    int64_t limit;              /* the bound crossed: characters, bytes, a count per day */
    int64_t min, max;           /* an allowed range (FAULT_RANGE, FAULT_DIGITS, ...) */
    const char *const *choices; /* NULL-terminated allowed values (FAULT_CHOICE) */
    const char *note;           /* words from elsewhere, e.g. PCRE2's error message */
    int64_t at;                 /* where in the value it went wrong (characters), with note */
    int64_t retry_after_ms;     /* > 0: try again after this long (the answer's Retry-After) */
} kite_fault;

/* The sentence table has a column per language (core/lang.h): English and Spanish. */

/* Clears *f and records code, field and detail; returns code, for `return fault_set(f, ...);`. */
kite_err fault_set(kite_fault *f, kite_err code, const char *field, fault_detail detail);
/*
 * Records err as the fault's code and returns it; the details stay only when
 * they were recorded (with fault_set) for that same code.
 */
kite_err fault_settle(kite_fault *f, kite_err err);

/*
 * The sentence for a person: the table's entry for code, field and detail
 * (an entry with no field serves every field), with its placeholders
 * filled from the fault; kite_err_message_in(code, lang) when the table has none.
 * Never NULL; allocated in a (or static).
 */
const char *fault_sentence(arena *a, const kite_fault *f, fault_lang lang);

/* For tests: the table's raw entries, in order; false past the end. */
typedef struct fault_entry {
    kite_err code;
    const char *field;
    fault_detail detail;
    const char *text; /* with placeholders such as {field} and {limit} */
} fault_entry;
bool fault_table_entry(size_t i, fault_lang lang, fault_entry *out);

#endif
