/*
 * context.h - what the domain layer needs from the running process.
 *
 * Built once at start-up and read-only afterwards (the objects it points to
 * guard their own state).  Passed explicitly; there is no global instance.
 */
#ifndef KITE_DOMAIN_CONTEXT_H
#define KITE_DOMAIN_CONTEXT_H

#include <stdint.h>

#include "core/clock.h"
#include "db/db.h"

typedef struct password_gate password_gate;
typedef struct directory directory;

typedef struct kite_ctx {
    db *store;
    kite_clock clock;
    password_gate *passwords;
    directory *dir;
    int64_t session_ttl_ms;
    const char *public_url; /* base of links in emails, e.g. "https://kite.example.org" */
} kite_ctx;

#endif
