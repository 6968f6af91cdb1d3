/*
 * directory.h - the facility directory: every US prison and jail, and which
 * provider serves each of its services.
 *
 * The store is the truth; searches run over an in-memory directory_index
 * that is rebuilt whenever the store's directory_version changes (an import
 * bumps it), so every server process sharing a store sees imports.
 */
#ifndef KITE_DOMAIN_DIRECTORY_DIRECTORY_H
#define KITE_DOMAIN_DIRECTORY_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/directory/bop_match.h"
#include "domain/context.h"
#include "domain/directory/directory_index.h"

typedef struct facility {
    int64_t id;
    const char *source_id;
    const char *name;
    const char *address, *city, *state, *zip, *type, *status; /* NULL when unknown */
    int64_t population, capacity;                               /* -1 when unknown */
    const char *county, *telephone, *website, *security_level;  /* NULL when unknown */
    const char *bop_code;                                       /* NULL unless a BOP institution */
    const char *messaging_slug, *messaging_name;
    bool on_platform; /* served by this Kite deployment */
} facility;

typedef struct facility_service {
    const char *service; /* messaging, phone, video, money, photos */
    const char *slug;
    const char *name;
} facility_service;

typedef struct directory_import_report {
    int64_t rows;      /* data rows read */
    int64_t inserted;
    int64_t updated;
    int64_t unchanged;
    int64_t skipped;   /* rows with no name */
} directory_import_report;

directory *directory_new(void);
/* Accepts NULL; returns NULL. */
directory *directory_free(directory *dir);

/*
 * Imports a facilities CSV (header as data/facilities.csv), inserting new
 * source_ids and updating known ones.  extra_csv (header as
 * data/facilities_extra.csv) may be NULL.  New facilities get their
 * messaging provider: CorrLinks for BOP institutions recognised by `bop`,
 * "unknown" otherwise.  One transaction: all rows or none.
 */
kite_err directory_import(const kite_ctx *ctx, const char *facilities_csv, const char *extra_csv,
                          const bop_list *bop, const char *actor, directory_import_report *out) KITE_WUR;

/* Seeds providers and, when the directory is empty, imports data_dir's files. */
kite_err directory_ensure_loaded(const kite_ctx *ctx, const char *data_dir, directory_import_report *out) KITE_WUR;

/* Inside a transaction: *exists tells whether a facility has this id. */
kite_err directory_facility_exists(db_conn *conn, int64_t id, bool *exists) KITE_WUR;
/*
 * Inside a transaction: the facility's directory type ("county", "state",
 * "federal", "local", "multi", ""; into type, at most type_size bytes with
 * the NUL) and its population (-1 when the directory does not know it).
 * KITE_ERR_NOT_FOUND for no such facility.
 */
kite_err directory_facility_size(db_conn *conn, int64_t id, char *type, size_t type_size, int64_t *population) KITE_WUR;
/* Inside a transaction: the facility's name, cut to name_size bytes with the NUL; KITE_ERR_NOT_FOUND for none. */
kite_err directory_facility_name(db_conn *conn, int64_t id, char *name, size_t name_size) KITE_WUR;
/* Inside a transaction: makes every process rebuild its search index (the directory or a provider changed). */
kite_err directory_touch(db_conn *conn) KITE_WUR;

/* Search results, best first; *items is an arena array of *count facilities. */
kite_err directory_search(const kite_ctx *ctx, arena *a, const directory_query *query, size_t offset,
                          size_t limit, facility **items, size_t *count, size_t *total) KITE_WUR;

/*
 * Finished search answers (answer_cache.h): directory_version reads the
 * store's directory version (one read); an answer kept under that version
 * and key may be sent again as it is.  The caller builds the key from every
 * part of the request the answer depends on.
 */
enum { DIRECTORY_VERSION_MAX = 32 };
kite_err directory_version(const kite_ctx *ctx, char out[DIRECTORY_VERSION_MAX]) KITE_WUR;
bool directory_answer_get(const kite_ctx *ctx, arena *a, const char *version, const char *key, const char **body,
                          size_t *len);
void directory_answer_put(const kite_ctx *ctx, const char *version, const char *key, const char *body, size_t len);

/*
 * After a search that found nothing (its index is then current): the query
 * with its words corrected by one typo each, for a "Did you mean" (folded:
 * lower case, no accents), into out (cap bytes); false and "" when there is
 * none.  directory_index.h says how.
 */
bool directory_suggest(const kite_ctx *ctx, const directory_query *query, char *out, size_t cap);

/* One facility with a provider per service (services[] holds facility_service_count). */
kite_err directory_get(const kite_ctx *ctx, arena *a, int64_t id, facility *out,
                       facility_service *services) KITE_WUR;

#endif
