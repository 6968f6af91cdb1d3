/*
 * pin.c - the PIN rules (pin.h).
 *
 * SECURITY: the PIN comes from staff (the API, a roster file) or from a
 * tablet at sign-in; it is only read here, never stored or logged.  Every
 * check is bounded by PIN_MAX_DIGITS before it looks further.
 */
#include "domain/facility/pin.h"

#include <stdbool.h>
#include <string.h>

/*
 * The 6-digit PINs people choose most, from published analyses of leaked
 * PIN and password sets, beyond those the patterns below refuse already
 * (repeats and runs): keyboard and keypad shapes, years, dates people share.
 */
static const char *const common_pins[] = {
    "112233", "123321", "123654", "102030", "147258", "147852", "147369", "159357", "159753", "159951",
    "753951", "789456", "741852", "852456", "963852", "258369", "321654", "456123", "246810", "135790",
    "135791", "112358", "520520", "520131", "131420", "786786", "007007", "101101", "110110", "100100",
    "100000", "200000", "010203", "123789", "987123", "147147", "258258", "369369", "159159", "741741",
    "951753", "357159", "696969", "112211", "221122", "121314", "111222", "000111", "123000", "111000",
    "999000", "654123", "198900", "199000", "202020", "101010", "202122", "010101",
};

/* Digits only, PIN_MIN_DIGITS..PIN_MAX_DIGITS of them. */
static bool pin_shape_ok(const char *pin, size_t *len)
{
    size_t n = 0;
    for (const char *p = pin; *p != '\0'; p++, n++)
        if (*p < '0' || *p > '9' || n >= PIN_MAX_DIGITS)
            return false;
    *len = n;
    return n >= PIN_MIN_DIGITS;
}

/* A block of at most half the length, repeated: 000000, 121212, 123123, 12341234. */
static bool pin_repeats(const char *pin, size_t len)
{
    for (size_t period = 1; period <= len / 2; period++) {
        if (len % period != 0)
            continue;
        bool same = true;
        for (size_t i = period; same && i < len; i++)
            same = pin[i] == pin[i - period];
        if (same)
            return true;
    }
    return false;
}

/* Each digit one more (or one less) than the last, round from 9 to 0: 123456, 654321, 890123. */
static bool pin_runs(const char *pin, size_t len)
{
    bool up = true, down = true;
    for (size_t i = 1; i < len; i++) {
        int step = (pin[i] - pin[i - 1] + 10) % 10;
        up = up && step == 1;
        down = down && step == 9;
    }
    return up || down;
}

static bool pin_common(const char *pin)
{
    for (size_t i = 0; i < sizeof common_pins / sizeof common_pins[0]; i++)
        if (strcmp(pin, common_pins[i]) == 0)
            return true;
    return false;
}

/* The PIN is the resident number's digits, or a run of them (12345-678 refuses 345678 and 12345678). */
static bool pin_is_number(const char *pin, size_t len, const char *resident_number)
{
    char digits[64];
    size_t n = 0;
    for (const char *p = resident_number; p != NULL && *p != '\0' && n + 1 < sizeof digits; p++)
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
    digits[n] = '\0';
    if (n < 4)
        return false; /* too few digits to be what someone would guess from it */
    return (len <= n && strstr(digits, pin) != NULL) || strstr(pin, digits) != NULL;
}

/* Every PIN sentence says what to choose instead, so each carries the range. */
static kite_err pin_fault(kite_fault *fault, fault_detail detail)
{
    fault_set(fault, KITE_ERR_INVALID_FIELD, "pin", detail);
    fault->min = PIN_MIN_DIGITS;
    fault->max = PIN_MAX_DIGITS;
    return KITE_ERR_INVALID_FIELD;
}

kite_err pin_check(const char *pin)
{
    kite_fault ignored;
    return pin_policy_check(pin, NULL, &ignored);
}

kite_err pin_policy_check(const char *pin, const char *resident_number, kite_fault *fault)
{
    size_t len = 0;
    if (pin == NULL || !pin_shape_ok(pin, &len))
        return pin_fault(fault, FAULT_DIGITS);
    if (pin_repeats(pin, len))
        return pin_fault(fault, FAULT_PIN_REPEATED);
    if (pin_runs(pin, len))
        return pin_fault(fault, FAULT_PIN_SEQUENCE);
    if (pin_common(pin))
        return pin_fault(fault, FAULT_PIN_COMMON);
    if (pin_is_number(pin, len, resident_number))
        return pin_fault(fault, FAULT_PIN_NUMBER);
    return KITE_OK;
}
