/*
 * resident_number.c - fuzzes the per-platform resident-number validator
 * (policy_resident_number_valid, domain/facility/policy.c) under each of its
 * formats (BOP register numbers "12345-678", digits, any), and the other
 * checks a roster row and a tablet sign-in make on what staff and residents
 * type: the PIN shape (pin_check) and person names (text_is_person_name).
 *
 * Input: the bytes are the number (also the PIN and the name).
 *
 * Contract checked against an independent statement of each rule: BOP is
 * exactly five digits, a hyphen, three digits; digits is 1 to 12 ASCII
 * digits; any is 1 to 20 ASCII letters, digits and hyphens; a BOP or digits
 * number is also an "any" one; a PIN accepted is PIN_MIN_DIGITS to PIN_MAX_DIGITS ASCII digits; a name is
 * valid UTF-8 without control characters.  A valid number is safe in a URL
 * path segment as it is (no '/', '%', '?', '#').
 */
#include "core/text.h"
#include "domain/facility/policy.h"
#include "domain/facility/resident.h"
#include "domain/identity/account.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

static bool oracle(number_format f, const char *s)
{
    size_t n = strlen(s);
    if (f == NUMBER_FORMAT_BOP) {
        if (n != 9)
            return false;
        for (size_t i = 0; i < n; i++)
            if (i == 5 ? s[i] != '-' : !is_digit(s[i]))
                return false;
        return true;
    }
    size_t max = f == NUMBER_FORMAT_DIGITS ? 12 : 20;
    if (n < 1 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]) && (f == NUMBER_FORMAT_DIGITS || (!is_alpha(s[i]) && s[i] != '-')))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    bool valid[NUMBER_FORMAT_COUNT];
    for (int f = 0; f < NUMBER_FORMAT_COUNT; f++) {
        policy p = {0};
        p.resident_number_format = (number_format)f;
        valid[f] = policy_resident_number_valid(&p, s);
        if (valid[f] != oracle((number_format)f, s))
            abort();
        if (valid[f] && strpbrk(s, "/%?#") != NULL)
            abort();
    }
    if ((valid[NUMBER_FORMAT_BOP] || valid[NUMBER_FORMAT_DIGITS]) && !valid[NUMBER_FORMAT_ANY])
        abort();
    size_t n = strlen(s);
    bool pin_ok = n >= PIN_MIN_DIGITS && n <= PIN_MAX_DIGITS && strspn(s, "0123456789") == n;
    if (pin_check(s) == KITE_OK && !pin_ok)
        abort(); /* one way only: a stricter PIN rule (trivial PINs refused) keeps the contract */
    if (text_is_person_name(s, NAME_MAX_CHARS)) {
        if (!utf8_valid(s, n) || utf8_length(s) > NAME_MAX_CHARS || n == 0)
            abort();
        for (const char *p = s; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7F)
                abort();
    }
    free(s);
    return 0;
}
