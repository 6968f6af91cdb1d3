/*
 * context.h - what the domain layer needs from the running process.
 *
 * Built once at start-up and read-only afterwards (the objects it points to
 * guard their own state).  Passed explicitly; there is no global instance.
 */
#ifndef KITE_DOMAIN_CONTEXT_H
#define KITE_DOMAIN_CONTEXT_H

#include <stdint.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "db/db.h"

typedef struct password_gate password_gate;
typedef struct directory directory;

/*
 * What a resident's leaving (released, or moved to another facility) closes
 * in the layers above the one that records it, inside that same transaction:
 * messaging rejects what was not delivered yet and gives its holds back.
 * Set at start-up by whoever builds the context (cli/); NULL closes nothing.
 * A function pointer, so facility/ and contacts/ call messaging/ without an
 * include that points up.
 */
typedef kite_err (*resident_leaving_fn)(db_conn *conn, arena *a, int64_t resident_id, int64_t now, const char *actor);

typedef struct kite_ctx {
    db *store;
    kite_clock clock;
    password_gate *passwords;
    directory *dir;
    int64_t session_ttl_ms;
    const char *public_url; /* base of links in emails, e.g. "https://kite.example.org" */
    resident_leaving_fn resident_leaving;
} kite_ctx;

#endif
