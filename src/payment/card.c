/*
 * card.c - card checks before a charge leaves Kite (see card.h).
 *
 * Design: pure functions over the text a person typed and a time given by
 * the caller (never time() here), so every branch is tested without a
 * clock or a network.  Brands come from the published IIN ranges; an
 * unknown range is not an error (the processor decides), it is "card".
 *
 * SECURITY: card numbers and CVCs are read, never copied anywhere but the
 * caller's card_number, never logged; a refused number is wiped before the
 * refusal returns.  Only card_summary (brand, last four) may leave.  Input
 * is bounded: at most CARD_INPUT_MAX characters are looked at.
 */
#include "payment/card.h"

#include <string.h>
#include <time.h>

static const char *const card_brand_names[CARD_BRAND_COUNT] = {
    [CARD_BRAND_CARD] = "card",
    [CARD_BRAND_VISA] = "visa",
    [CARD_BRAND_MASTERCARD] = "mastercard",
    [CARD_BRAND_AMEX] = "amex",
    [CARD_BRAND_DISCOVER] = "discover",
};

const char *card_brand_name(card_brand brand)
{
    return (int)brand >= 0 && brand < CARD_BRAND_COUNT ? card_brand_names[brand] : card_brand_names[CARD_BRAND_CARD];
}

bool card_brand_from_name(const char *name, card_brand *out)
{
    for (int i = 0; name != NULL && i < CARD_BRAND_COUNT; i++)
        if (strcmp(card_brand_names[i], name) == 0) {
            *out = (card_brand)i;
            return true;
        }
    return false;
}

void card_number_wipe(card_number *n)
{
    /* explicit_bzero: a memset before the variable dies may be optimised away. */
    explicit_bzero(n, sizeof *n);
}

bool card_luhn_valid(const char *digits, size_t len)
{
    if (len == 0)
        return false;
    int sum = 0;
    /* From the right, every second digit is doubled (and 9 taken off when it passes 9). */
    for (size_t i = 0; i < len; i++) {
        char c = digits[len - 1 - i];
        if (c < '0' || c > '9')
            return false;
        int d = c - '0';
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return sum % 10 == 0;
}

/* The first n digits as a number (n <= 6 and len >= n), or -1. */
static long prefix(const char *digits, size_t len, size_t n)
{
    if (len < n)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (digits[i] - '0');
    return v;
}

card_brand card_brand_of(const char *digits, size_t len)
{
    long p1 = prefix(digits, len, 1), p2 = prefix(digits, len, 2), p3 = prefix(digits, len, 3);
    long p4 = prefix(digits, len, 4), p6 = prefix(digits, len, 6);
    if (p1 == 4)
        return CARD_BRAND_VISA;
    if (p2 == 34 || p2 == 37)
        return CARD_BRAND_AMEX;
    if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
        return CARD_BRAND_MASTERCARD;
    if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925))
        return CARD_BRAND_DISCOVER;
    return CARD_BRAND_CARD;
}

static kite_err refuse_number(card_number *out, kite_fault *f, fault_detail detail)
{
    card_number_wipe(out);
    kite_err err = fault_set(f, KITE_ERR_INVALID_FIELD, "card_number", detail);
    f->min = CARD_MIN_DIGITS;
    f->max = CARD_MAX_DIGITS;
    return err;
}

kite_err card_number_read(const char *text, card_number *out, kite_fault *f)
{
    memset(out, 0, sizeof *out);
    if (text == NULL)
        return refuse_number(out, f, FAULT_REQUIRED);
    size_t typed = strnlen(text, CARD_INPUT_MAX + 1);
    if (typed > CARD_INPUT_MAX)
        return refuse_number(out, f, FAULT_DIGITS);
    for (size_t i = 0; i < typed; i++) {
        char c = text[i];
        if (c == ' ' || c == '-')
            continue;
        if (c < '0' || c > '9')
            return refuse_number(out, f, FAULT_FORMAT);
        if (out->len == CARD_MAX_DIGITS)
            return refuse_number(out, f, FAULT_DIGITS);
        out->digits[out->len++] = c;
    }
    if (out->len < CARD_MIN_DIGITS)
        return refuse_number(out, f, FAULT_DIGITS);
    if (!card_luhn_valid(out->digits, out->len))
        return refuse_number(out, f, FAULT_CHECKSUM);
    return KITE_OK;
}

void card_summarize(const card_number *n, card_summary *out)
{
    memset(out, 0, sizeof *out);
    out->brand = card_brand_of(n->digits, n->len);
    if (n->len >= CARD_LAST4_LEN)
        memcpy(out->last4, n->digits + n->len - CARD_LAST4_LEN, CARD_LAST4_LEN);
}

static kite_err check_expiry(const card_input *in, int64_t now_ms, kite_fault *f)
{
    time_t now = (time_t)(now_ms / 1000);
    struct tm utc;
    gmtime_r(&now, &utc);
    int year = utc.tm_year + 1900, month = utc.tm_mon + 1;
    if (in->exp_month < 1 || in->exp_month > 12 || in->exp_year < 1000 || in->exp_year > 9999)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "expiry", FAULT_FORMAT);
    /* A card is good to the last day of its expiry month. */
    if (in->exp_year < year || (in->exp_year == year && in->exp_month < month))
        return fault_set(f, KITE_ERR_INVALID_FIELD, "expiry", FAULT_EXPIRED);
    if (in->exp_year > year + EXPIRY_MAX_YEARS) {
        kite_err err = fault_set(f, KITE_ERR_INVALID_FIELD, "expiry", FAULT_RANGE);
        f->min = year;
        f->max = year + EXPIRY_MAX_YEARS;
        return err;
    }
    return KITE_OK;
}

static kite_err check_cvc(const char *cvc, card_brand brand, kite_fault *f)
{
    size_t len = cvc != NULL ? strnlen(cvc, CVC_MAX_DIGITS + 1) : 0;
    bool digits = cvc != NULL && len > 0 && strspn(cvc, "0123456789") == len && cvc[len] == '\0';
    if (cvc == NULL)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "cvc", FAULT_REQUIRED);
    if (brand == CARD_BRAND_AMEX && (!digits || len != CVC_AMEX_DIGITS)) {
        kite_err err = fault_set(f, KITE_ERR_INVALID_FIELD, "cvc", FAULT_LENGTH);
        f->limit = CVC_AMEX_DIGITS;
        return err;
    }
    if (!digits || len < CVC_MIN_DIGITS || len > CVC_MAX_DIGITS) {
        kite_err err = fault_set(f, KITE_ERR_INVALID_FIELD, "cvc", FAULT_DIGITS);
        f->min = CVC_MIN_DIGITS;
        f->max = CVC_MAX_DIGITS;
        return err;
    }
    return KITE_OK;
}

kite_err card_check(const card_input *in, int64_t now_ms, card_number *number, card_summary *summary,
                    kite_fault *f)
{
    card_number local = {0};
    card_number *n = number != NULL ? number : &local;
    memset(summary, 0, sizeof *summary);
    *f = (kite_fault){0};
    kite_err err = card_number_read(in->number, n, f);
    if (err == KITE_OK)
        err = check_expiry(in, now_ms, f);
    if (err == KITE_OK)
        err = check_cvc(in->cvc, card_brand_of(n->digits, n->len), f);
    if (err == KITE_OK)
        card_summarize(n, summary);
    if (err != KITE_OK || n == &local)
        card_number_wipe(n);
    return err;
}
