/*
 * resident_lookup.c - the throttle on looking residents up (resident_lookup.h).
 *
 * SECURITY: the client address comes from the HTTP layer (as trusted as it
 * makes it); it is only a throttle key, hashed in the store (throttle.h).
 */
#include "domain/facility/resident_lookup.h"

#include "domain/identity/throttle.h"

#include <inttypes.h>

static const delay_rule account_rule = {RESIDENT_LOOKUP_ACCOUNT_FREE, RESIDENT_LOOKUP_BASE_MS, RESIDENT_LOOKUP_CAP_MS,
                                        RESIDENT_LOOKUP_ACCOUNT_FORGET_MS};
static const delay_rule address_rule = {RESIDENT_LOOKUP_ADDRESS_FREE, RESIDENT_LOOKUP_BASE_MS, RESIDENT_LOOKUP_CAP_MS,
                                        RESIDENT_LOOKUP_ADDRESS_FORGET_MS};

struct lookup_gate {
    const char *account_key, *address_key;
    int64_t now;
    int64_t wait_ms;
    bool found_nobody;
};

static kite_err allowed_tx(db_conn *conn, void *data)
{
    struct lookup_gate *in = data;
    int64_t account_wait = 0, address_wait = 0;
    kite_err err = delay_read(conn, in->now, in->account_key, account_rule, NULL, &account_wait);
    if (err == KITE_OK)
        err = delay_read(conn, in->now, in->address_key, address_rule, NULL, &address_wait);
    in->wait_ms = account_wait > address_wait ? account_wait : address_wait;
    return err;
}

static kite_err count_tx(db_conn *conn, void *data)
{
    struct lookup_gate *in = data;
    kite_err err = delay_record_failure(conn, in->now, in->account_key, account_rule);
    if (err != KITE_OK || !in->found_nobody)
        return err;
    return delay_record_failure(conn, in->now, in->address_key, address_rule);
}

static struct lookup_gate gate_of(const kite_ctx *ctx, arena *a, int64_t account_id, const char *client_address)
{
    return (struct lookup_gate){arena_sprintf(a, "lookup:account:%" PRId64, account_id),
                                arena_sprintf(a, "lookup:address:%s", client_address), clock_now_ms(&ctx->clock), 0,
                                false};
}

kite_err resident_lookup_allowed(const kite_ctx *ctx, arena *a, int64_t account_id, const char *client_address,
                                 kite_fault *fault)
{
    *fault = (kite_fault){0};
    struct lookup_gate in = gate_of(ctx, a, account_id, client_address);
    kite_err err = db_read(ctx->store, allowed_tx, &in);
    if (err != KITE_OK)
        return fault_settle(fault, err);
    if (in.wait_ms > 0) {
        fault_set(fault, KITE_ERR_THROTTLED, NULL, FAULT_RESIDENT_LOOKUPS);
        fault->retry_after_ms = in.wait_ms;
        return KITE_ERR_THROTTLED;
    }
    return KITE_OK;
}

kite_err resident_lookup_count(const kite_ctx *ctx, arena *a, int64_t account_id, const char *client_address,
                               bool found_nobody)
{
    struct lookup_gate in = gate_of(ctx, a, account_id, client_address);
    in.found_nobody = found_nobody;
    return db_write(ctx->store, count_tx, &in);
}
