/*
 * aliases.h - the other names a facility is searched by.
 *
 * People search for the name they know, not always the directory's: "Rikers
 * Island" for the ten jails on it, "Angola" for the Louisiana State
 * Penitentiary, "FCI" or "federal correctional institution" for the same
 * federal prison.  A facility's aliases are words added to its name for
 * search only (directory_index.h), from two places:
 *
 *  - the file data/facility_aliases.csv (source_id,alias,why): names in
 *    common use that the directory does not hold, keyed by the HIFLD
 *    FACILITYID, which stays the same across directory releases;
 *  - the Bureau of Prisons' abbreviations, both ways: a name holding "FCI"
 *    is also "federal correctional institution", a name spelling it out is
 *    also "FCI" (USP, FMC, FDC, MDC, MCC, FPC, FCC, FTC likewise); and every
 *    Bureau of Prisons institution is also a "federal prison" (not the
 *    immigration detention centres the directory also types "federal"),
 *    and part of an "FCC" (complex) with the others of its town.
 *
 * Ownership: a facility_aliases owns its strings; aliases_for answers in the
 * caller's arena.  A loaded table is read-only and safe to share.
 *
 * SECURITY: the alias file ships with Kite but is read like any data file:
 * through core/csv (sizes capped), rows that are not valid UTF-8 skipped.
 */
#ifndef KITE_DOMAIN_DIRECTORY_ALIASES_H
#define KITE_DOMAIN_DIRECTORY_ALIASES_H

#include "core/arena.h"
#include "core/error.h"

#include <stdbool.h>

typedef struct facility_aliases facility_aliases;

/* Reads an alias file (header source_id,alias[,why]). */
kite_err facility_aliases_load(const char *path, facility_aliases **out) KITE_WUR;
/* Accepts NULL; returns NULL. */
facility_aliases *facility_aliases_free(facility_aliases *aliases);
/* How many alias rows were read. */
size_t facility_aliases_count(const facility_aliases *aliases);

/*
 * Every alias of one facility, phrases separated by " / ", in a; NULL when
 * it has none.  aliases may be NULL (only the abbreviations then); name and
 * source_id may be NULL or "".  bop: the directory matched it to a Bureau of
 * Prisons institution (a name with a BOP abbreviation is one anyway).
 */
const char *facility_aliases_for(arena *a, const facility_aliases *aliases, const char *source_id, const char *name,
                                 bool bop);

/* The words of a facility's place for search: its city, then its state's name ("DALLAS TEXAS"), in a. */
const char *facility_place_words(arena *a, const char *city, const char *state);

#endif
