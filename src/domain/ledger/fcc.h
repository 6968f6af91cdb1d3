/*
 * fcc.h - the FCC's caps on what incarcerated people's calls may cost.
 *
 * The rates of audio and video calls are capped per minute by facility type
 * and size (FCC 25-75, the Commission's order on incarcerated people's
 * communications services): a prison has one cap, a jail's cap depends on
 * its average daily population (ADP).  A facility's rate above its cap is
 * refused, naming the cap.  The same rules forbid ancillary fees on
 * deposits to a phone account.
 *
 * All caps are whole cents per minute; none needs sub-cent precision.
 */
#ifndef KITE_DOMAIN_LEDGER_FCC_H
#define KITE_DOMAIN_LEDGER_FCC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/fault.h"

/* The largest average daily population accepted: far above the largest US jail. */
#define FCC_MAX_ADP INT64_C(1000000)

typedef enum fcc_facility_type { FCC_PRISON, FCC_JAIL, FCC_FACILITY_TYPE_COUNT } fcc_facility_type;
typedef enum fcc_service { FCC_AUDIO, FCC_VIDEO, FCC_SERVICE_COUNT } fcc_service;

/* "prison", "jail", NULL: the names the store and the API will carry. */
extern const char *const fcc_facility_type_names[FCC_FACILITY_TYPE_COUNT + 1];
/* FCC_FACILITY_TYPE_COUNT when name is NULL or none of the names. */
fcc_facility_type fcc_facility_type_parse(const char *name);

/*
 * The cap in cents per minute for service at a facility of type with this
 * average daily population.  KITE_ERR_INVALID_FIELD: "facility_type"
 * FAULT_CHOICE, "average_daily_population" FAULT_RANGE (0..FCC_MAX_ADP; a
 * prison's ADP is checked too, though its cap does not depend on it).
 */
kite_err fcc_cap_cents(fcc_service service, fcc_facility_type type, int64_t adp, int64_t *cap, kite_fault *fault) KITE_WUR;

/*
 * KITE_OK when rate_cents (per minute) is within the cap; a rate exactly at
 * the cap is allowed.  Above it: KITE_ERR_INVALID_FIELD, FAULT_FCC_CAP with
 * fault.limit the cap and fault.field "audio_cents_per_minute" or
 * "video_cents_per_minute"; a negative rate is FAULT_RANGE 0..cap.
 */
kite_err fcc_check_rate(fcc_service service, fcc_facility_type type, int64_t adp, int64_t rate_cents,
                        kite_fault *fault) KITE_WUR;

/*
 * Ancillary fees on phone deposits are banned (the FCC's 2024 order, FCC
 * 24-75, ended separate ancillary service charges; the issue states the ban
 * for phone deposits): only a fee of 0 is allowed, whatever the facility.  fcc_check_phone_deposit_fee says
 * so as "deposit_fee_cents" FAULT_FCC_ANCILLARY.
 */
bool fcc_phone_deposit_fee_allowed(int64_t fee_cents);
kite_err fcc_check_phone_deposit_fee(int64_t fee_cents, kite_fault *fault) KITE_WUR;

#endif
