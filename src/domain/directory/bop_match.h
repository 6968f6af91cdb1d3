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
 * Rules: the kind word is the first word, or the last one before trailing
 * qualifiers (LOW, MEDIUM, HIGH, I, II, CAMP, ADMAX, SFF, NORTH, SOUTH,
 * DETENTION, CENTER ...: "HERLONG FCI CAMP"); text in parentheses is left
 * out.  The words between kind and qualifiers must equal a listed place, or
 * begin with its words; a place of 8 letters or more may also be one letter
 * off (the code table spells "SEYMOUR JOHNSN").  Case is ignored.  The code
 * is the listed institution with the same place, then kind, then
 * security level or number ("USP COLEMAN II" is CLP).
 *
 * Ownership: a bop_list is built once and read-only afterwards; it is safe
 * to match from many threads.
 */
#ifndef KITE_DOMAIN_DIRECTORY_BOP_MATCH_H
#define KITE_DOMAIN_DIRECTORY_BOP_MATCH_H

#include <stdbool.h>

#include "core/error.h"

typedef struct bop_list bop_list;

/*
 * Reads both BOP files; either path may be NULL to skip it.  KITE_ERR_IO when
 * a file cannot be read, KITE_ERR_INVALID_FIELD when a needed column is
 * missing or a row is short; *out is then NULL.
 */
kite_err bop_list_load(const char *facilities_csv, const char *codes_csv, bop_list **out) KITE_WUR;
/* Accepts NULL; returns NULL. */
bop_list *bop_list_free(bop_list *list);

/*
 * True when `facility_name` (as in data/facilities.csv, e.g. "FCI COLEMAN LOW")
 * names a BOP institution.  When it does and code_out is not NULL, *code_out
 * receives the three-letter BOP code when one is known (else NULL); the
 * string belongs to the list.  *code_out is set to NULL on a miss; a NULL
 * list or name is a miss.
 */
bool bop_list_match(const bop_list *list, const char *facility_name, const char **code_out);

#endif
