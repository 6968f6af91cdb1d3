/*
 * providers.h - the platforms that serve correctional facilities.
 *
 * The list is part of Kite (real companies, their services and how a family
 * gets started with each); the store holds a copy so facilities can refer to
 * providers by id.  "unknown" means nobody has told Kite yet; "none" means
 * the facility has no electronic service of that kind (physical mail only).
 */
#ifndef KITE_DOMAIN_DIRECTORY_PROVIDERS_H
#define KITE_DOMAIN_DIRECTORY_PROVIDERS_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/lang.h"
#include "db/db.h"
#include "domain/context.h"

typedef struct provider {
    int64_t id;
    const char *slug;
    const char *name;
    const char *operator_name;
    const char *website;  /* may be NULL */
    const char *services; /* comma-separated: messaging,phone,video,money,photos */
    const char *how_to;   /* steps for a family, one per line */
} provider;

/* The services a facility can have a provider for, in display order. */
extern const char *const facility_services[];
extern const size_t facility_service_count;

/* Inserts the built-in providers that the store does not have yet. */
kite_err providers_seed(db_conn *conn) KITE_WUR;
/* Every provider, in display order; *items is an arena array. */
kite_err providers_list(db_conn *conn, arena *a, provider **items, size_t *count) KITE_WUR;
/* The same, each in its own read transaction. */
kite_err providers_all(const kite_ctx *ctx, arena *a, provider **items, size_t *count) KITE_WUR;
kite_err provider_by_slug(const kite_ctx *ctx, arena *a, const char *slug, provider *out) KITE_WUR;
kite_err provider_id_by_slug(db_conn *conn, const char *slug, int64_t *id) KITE_WUR;

/*
 * A built-in provider's words in lang (Spanish: "Todavía no se sabe", the
 * steps), while the stored row still holds Kite's own English; a row an
 * operator corrected, and every company's name, stay as written.
 */
void provider_in_language(provider *p, fault_lang lang);
/* The same for a name alone (a facility's provider per service). */
const char *provider_name_in(const char *slug, const char *name, fault_lang lang);

#endif
