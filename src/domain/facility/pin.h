/*
 * pin.h - what a resident's PIN may be.
 *
 * A PIN is all that stands between a resident's messages and money and
 * anyone who knows their facility and resident number (both are written on
 * letters and in public rosters).  Sign-in delays slow guessing
 * (identity/throttle.h); the PIN itself must not be the first thing guessed.
 * So a PIN has 6 to 12 digits, and refuses what people guess first: one
 * digit repeated (000000), a block repeated (121212, 123123), digits in a
 * row up or down (123456, 654321, 890123), the most common PINs in public
 * studies of leaked PINs, and the resident's own number.  Kite knows no
 * birth dates, so it cannot refuse one.
 *
 * PINs set before these rules (4 or 5 digits, or trivial) still sign in:
 * nobody is shut out of their tablet by an upgrade.  Such a sign-in marks
 * the resident (resident.pin_weak), staff see it on the roster, and a new
 * PIN set by staff clears it.
 */
#ifndef KITE_DOMAIN_FACILITY_PIN_H
#define KITE_DOMAIN_FACILITY_PIN_H

#include "core/error.h"
#include "core/fault.h"

enum { PIN_MIN_DIGITS = 6, PIN_MAX_DIGITS = 12 };

/*
 * KITE_OK when pin may be set for the resident with resident_number (NULL:
 * not known).  Otherwise KITE_ERR_INVALID_FIELD with *fault on "pin":
 * FAULT_DIGITS (min/max set) for the wrong shape, FAULT_PIN_REPEATED,
 * FAULT_PIN_SEQUENCE, FAULT_PIN_COMMON or FAULT_PIN_NUMBER for a PIN that is
 * too easy to guess.
 */
kite_err pin_policy_check(const char *pin, const char *resident_number, kite_fault *fault) KITE_WUR;

/* The same without a resident number (and without the fault): KITE_ERR_INVALID_FIELD or KITE_OK. */
kite_err pin_check(const char *pin) KITE_WUR;

#endif
