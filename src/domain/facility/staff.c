#include "domain/facility/staff.h"

#include <string.h>

struct list_staff {
    arena *a;
    int64_t facility_id;
    account *items;
    size_t count;
};

static kite_err list_tx(db_conn *conn, void *data)
{
    struct list_staff *in = data;
    size_t cap = 16;
    in->items = arena_alloc(in->a, cap * sizeof *in->items);
    db_stmt *s = db_prepare(conn,
        "SELECT id FROM accounts WHERE facility_id = $1"
        " AND role IN ('facility_admin', 'reviewer', 'investigator') ORDER BY id");
    db_bind_int(s, 1, in->facility_id);
    int64_t ids[1000];
    size_t n = 0;
    while (n < sizeof ids / sizeof ids[0] && db_next(s))
        ids[n++] = db_int(s, 0);
    kite_err err = db_done(s);
    for (size_t i = 0; err == KITE_OK && i < n; i++) {
        in->items = arena_grow(in->a, in->items, in->count, &cap, sizeof *in->items);
        err = account_load(conn, in->a, ids[i], &in->items[in->count++]);
    }
    return err;
}

kite_err staff_list(const kite_ctx *ctx, arena *a, int64_t facility_id, account **items, size_t *count)
{
    struct list_staff in = {a, facility_id, NULL, 0};
    kite_err err = db_read(ctx->store, list_tx, &in);
    *items = in.items;
    *count = in.count;
    return err;
}
