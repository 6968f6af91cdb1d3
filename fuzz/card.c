/*
 * card.c - fuzzes the card checks a top-up makes before anything is sent to
 * the card processor (payment/card.c): the number as typed, the expiry and
 * the CVC from POST /api/v1/wallet/top-ups.
 *
 * Input: two bytes of expiry month and year offset, then the number typed, a
 * NUL, and the CVC.
 *
 * Contract checked: an accepted number is its typed digits with only spaces
 * and dashes dropped, 12 to 19 of them, passing Luhn; the summary is its
 * brand and its last four digits, and nothing else of the number; a
 * refusal names a field the form has and leaves no digits behind.
 */
#include "core/clock.h"
#include "payment/card.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fields[] = {"card_number", "expiry", "cvc"};

static bool known_field(const char *field)
{
    for (size_t i = 0; field != NULL && i < sizeof fields / sizeof *fields; i++)
        if (strcmp(field, fields[i]) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data + 2, size - 2);
    memset(text + size - 2, 0, 3);
    const char *number = text;
    const char *cvc = text + strlen(text) + 1;
    card_input in = {number, data[0] % 16, 2020 + data[1] % 40, cvc};
    /* 2026-11-22: a fixed clock, so a crash replays the same way. */
    int64_t now = INT64_C(1795328469000);
    card_number n;
    card_summary summary;
    kite_fault f;
    kite_err err = card_check(&in, now, &n, &summary, &f);
    if (err == KITE_OK) {
        char digits[CARD_INPUT_MAX + 1];
        size_t len = 0;
        for (const char *p = number; *p; p++) {
            if (*p >= '0' && *p <= '9' && len < CARD_INPUT_MAX)
                digits[len++] = *p;
            else if (*p != ' ' && *p != '-')
                abort(); /* only spaces and dashes may be dropped */
        }
        digits[len] = '\0';
        if (n.len != len || strcmp(n.digits, digits) != 0 || len < CARD_MIN_DIGITS || len > CARD_MAX_DIGITS ||
            !card_luhn_valid(n.digits, n.len))
            abort();
        if (strcmp(summary.last4, n.digits + n.len - 4) != 0 || summary.brand != card_brand_of(n.digits, n.len))
            abort();
        card_brand back;
        if (!card_brand_from_name(card_brand_name(summary.brand), &back) || back != summary.brand)
            abort();
        size_t cvc_len = strlen(cvc);
        if (cvc_len < CVC_MIN_DIGITS || cvc_len > CVC_MAX_DIGITS || strspn(cvc, "0123456789") != cvc_len)
            abort();
        card_number_wipe(&n);
    } else if (!known_field(f.field)) {
        abort();
    } else {
        for (size_t i = 0; i < sizeof n.digits; i++)
            if (n.digits[i] != 0)
                abort(); /* a refusal leaves no digits behind */
    }
    free(text);
    return 0;
}
