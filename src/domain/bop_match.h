/*
 * bop_match.h - is a directory facility a Federal Bureau of Prisons institution?
 *
 * Every BOP institution uses CorrLinks for messaging, but the directory's
 * type "federal" also covers ICE centres, US Marshals and contract prisons.
 * So a facility is recognised as BOP by its name: a BOP institution kind
 * (FCI, USP, AUSP, FPC, FMC, FDC, MDC, MCC, FTC, MCFP, FSL) together with a
 * place that the BOP's own lists (data/bop_facilities.csv,
 * data/bop_facility_codes.csv) name, e.g. "FCI COLEMAN LOW" or
 * "HERLONG FCI".  Private contract prisons ("CI ...") and community
 * corrections offices ("... CCM") are not BOP institutions.
 *
 * Ownership: a bop_list is built once and read-only afterwards.
 */
#ifndef KITE_DOMAIN_BOP_MATCH_H
#define KITE_DOMAIN_BOP_MATCH_H

#include <stdbool.h>

#include "core/error.h"

typedef struct bop_list bop_list;

/* Reads both BOP files; either path may be NULL to skip it. */
kite_err bop_list_load(const char *facilities_csv, const char *codes_csv, bop_list **out) KITE_WUR;
/* Accepts NULL; returns NULL. */
bop_list *bop_list_free(bop_list *list);

/*
 * True when `facility_name` (as in data/facilities.csv, e.g. "FCI COLEMAN LOW")
 * names a BOP institution.  When it does and code_out is not NULL, *code_out
 * receives the three-letter BOP code when one is known (else NULL); the
 * string belongs to the list.
 */
bool bop_list_match(const bop_list *list, const char *facility_name, const char **code_out);

#endif
