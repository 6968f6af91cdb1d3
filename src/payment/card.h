/*
 * card.h - the checks Kite makes on a payment card before any request
 * leaves for a processor.
 *
 * Design: a card arrives as the text a person typed (spaces and dashes
 * allowed), an expiry month and year and a security code.  card_check()
 * reduces the number to its digits, checks its length and Luhn sum, names
 * the brand from the first digits (the IIN), checks that the expiry is not
 * past on the clock it is given and that the CVC has the brand's length.  A
 * refusal is a kite_err with a kite_fault naming the field (card_number,
 * expiry or cvc), so the person is told what to correct and nothing is
 * sent.  These checks catch typing mistakes early; the processor still
 * decides whether the card can pay.
 *
 * SECURITY: the full card number (PAN) and the CVC are the secrets here.
 * Only a card_summary (brand and last four digits) may ever be stored,
 * logged, audited or answered to a client.  The digits card_check() hands
 * back in a card_number live on the caller's stack for as long as the
 * request to the processor takes and are wiped with card_number_wipe();
 * they are never copied into an arena (arenas outlive the call and are not
 * wiped).  Nothing in this file logs.
 */
#ifndef KITE_PAYMENT_CARD_H
#define KITE_PAYMENT_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/fault.h"

enum {
    CARD_MIN_DIGITS = 12,
    CARD_MAX_DIGITS = 19,
    CARD_INPUT_MAX = 64,     /* typed characters, spaces and dashes included */
    CVC_MIN_DIGITS = 3,
    CVC_MAX_DIGITS = 4,
    CVC_AMEX_DIGITS = 4,
    EXPIRY_MAX_YEARS = 20,   /* no card is issued for longer: a later year is a typing mistake */
    CARD_LAST4_LEN = 4,
};

/* Brands Kite names; CARD_BRAND_CARD is any other issuer ("card"). */
typedef enum card_brand {
    CARD_BRAND_CARD = 0,
    CARD_BRAND_VISA,
    CARD_BRAND_MASTERCARD,
    CARD_BRAND_AMEX,
    CARD_BRAND_DISCOVER,
    CARD_BRAND_COUNT
} card_brand;

/* "visa", "mastercard", "amex", "discover", "card"; never NULL. */
const char *card_brand_name(card_brand brand);
/* false when name is not one of the names above. */
bool card_brand_from_name(const char *name, card_brand *out);

/* All that may be kept or shown of a card. */
typedef struct card_summary {
    card_brand brand;
    char last4[CARD_LAST4_LEN + 1];
} card_summary;

/* What a person typed.  number and cvc are borrowed, never copied by card.c. */
typedef struct card_input {
    const char *number;
    int exp_month; /* 1..12 */
    int exp_year;  /* four digits, e.g. 2029 */
    const char *cvc;
} card_input;

/* The number's digits, for the one request to the processor; wipe after use. */
typedef struct card_number {
    char digits[CARD_MAX_DIGITS + 1];
    size_t len;
} card_number;

/*
 * Reduces text to its digits (spaces and dashes dropped) and checks the
 * count (CARD_MIN_DIGITS..CARD_MAX_DIGITS) and the Luhn sum.  On refusal
 * *out is wiped and *f names field "card_number".
 */
kite_err card_number_read(const char *text, card_number *out, kite_fault *f) KITE_WUR;
/* Luhn (mod 10) over len ASCII digits; false for anything that is not digits. */
bool card_luhn_valid(const char *digits, size_t len);
/* The brand the first digits (IIN ranges) belong to. */
card_brand card_brand_of(const char *digits, size_t len);
/* Zeroes the digits in a way the compiler may not drop. */
void card_number_wipe(card_number *n);

/*
 * Every check at once, in the order a person reads the form: number,
 * expiry (not before the month of now_ms, in UTC, nor more than
 * EXPIRY_MAX_YEARS later), CVC (3 or 4 digits; exactly 4 for amex).
 * number may be NULL when only the verdict and the summary are wanted.
 * On success fills *summary (and *number); on refusal wipes *number and
 * fills *f.
 */
kite_err card_check(const card_input *in, int64_t now_ms, card_number *number, card_summary *summary,
                    kite_fault *f) KITE_WUR;

/* The summary of digits already read (brand and last four). */
void card_summarize(const card_number *n, card_summary *out);

#endif
