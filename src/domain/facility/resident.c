/*
 * resident.c - the roster: adding, reading, changing and importing residents.
 *
 * SECURITY: resident numbers, names and PINs come from facility staff and
 * from roster files; each is checked here against the facility's policy (a
 * PIN against pin.h's rules) and bound as a statement parameter.  PINs are
 * hashed outside transactions.  A tablet sign-in for no resident is audited
 * without the number typed.
 */
#include "domain/facility/resident.h"

#include "core/csv.h"
#include "core/text.h"
#include "domain/identity/account.h"
#include "domain/audit/audit.h"
#include "domain/facility/policy.h"
#include "domain/identity/session.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Stored for residents without a PIN: no Argon2 string can equal it. */
static const char no_pin_hash[] = "!no-pin";

static const char *const resident_status_names[RESIDENT_STATUS_COUNT] = {
    [RESIDENT_ACTIVE] = "active",
    [RESIDENT_RELEASED] = "released",
};

const char *resident_status_name(resident_status s)
{
    return (unsigned)s < RESIDENT_STATUS_COUNT ? resident_status_names[s] : "unknown";
}

bool resident_status_parse(const char *name, resident_status *out)
{
    size_t i = text_index_of(resident_status_names, RESIDENT_STATUS_COUNT, name);
    if (i == RESIDENT_STATUS_COUNT)
        return false;
    *out = (resident_status)i;
    return true;
}

#define RESIDENT_SELECT                                                                              \
    "SELECT r.id, r.account_id, r.facility_id, r.resident_number, r.first_name, r.last_name, r.status," \
    " a.password_hash, r.created_at, r.updated_at, r.pin_weak FROM residents r JOIN accounts a ON a.id = r.account_id"

static void read_resident(db_stmt *s, arena *a, resident *out)
{
    out->id = db_int(s, 0);
    out->account_id = db_int(s, 1);
    out->facility_id = db_int(s, 2);
    out->resident_number = arena_strdup(a, db_text(s, 3));
    out->first_name = arena_strdup(a, db_text(s, 4));
    out->last_name = arena_strdup(a, db_text(s, 5));
    out->status = RESIDENT_RELEASED; /* rows hold only names from the table; were one not: unreachable */
    (void)resident_status_parse(db_text(s, 6), &out->status);
    out->has_pin = strcmp(db_text(s, 7), no_pin_hash) != 0;
    out->created_at = db_int(s, 8);
    out->updated_at = db_int(s, 9);
    out->pin_weak = db_int(s, 10) != 0;
}

static kite_err load_one(db_stmt *s, arena *a, resident *out)
{
    bool found = db_next(s);
    if (found)
        read_resident(s, a, out);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

kite_err resident_load(db_conn *conn, arena *a, int64_t facility_id, const char *number, resident *out)
{
    db_stmt *s = db_prepare(conn, RESIDENT_SELECT " WHERE r.facility_id = $1 AND r.resident_number = $2");
    db_bind_int(s, 1, facility_id);
    db_bind_text(s, 2, number);
    return load_one(s, a, out);
}

kite_err resident_load_by_account(db_conn *conn, arena *a, int64_t account_id, resident *out)
{
    db_stmt *s = db_prepare(conn, RESIDENT_SELECT " WHERE r.account_id = $1");
    db_bind_int(s, 1, account_id);
    return load_one(s, a, out);
}

kite_err resident_load_by_id(db_conn *conn, arena *a, int64_t id, resident *out)
{
    db_stmt *s = db_prepare(conn, RESIDENT_SELECT " WHERE r.id = $1");
    db_bind_int(s, 1, id);
    return load_one(s, a, out);
}

static kite_err name_fault(kite_fault *fault, const char *field)
{
    fault_set(fault, KITE_ERR_INVALID_FIELD, field, FAULT_NAME);
    fault->limit = NAME_MAX_CHARS;
    return KITE_ERR_INVALID_FIELD;
}

/* Trims names and checks every field against the facility's policy. */
static kite_err validate_input(arena *a, const policy *p, const resident_input *in, resident_input *clean,
                               kite_fault *fault)
{
    *clean = *in;
    if (in->resident_number == NULL)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "resident_number", FAULT_FORMAT);
    clean->resident_number = text_trim(a, in->resident_number);
    if (!policy_resident_number_valid(p, clean->resident_number))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "resident_number", FAULT_FORMAT);
    if (in->first_name == NULL || !text_is_person_name((clean->first_name = text_trim(a, in->first_name)), NAME_MAX_CHARS))
        return name_fault(fault, "first_name");
    if (in->last_name == NULL || !text_is_person_name((clean->last_name = text_trim(a, in->last_name)), NAME_MAX_CHARS))
        return name_fault(fault, "last_name");
    if (in->pin != NULL)
        return pin_policy_check(in->pin, clean->resident_number, fault);
    return KITE_OK;
}

static kite_err insert_resident(db_conn *conn, arena *a, int64_t facility_id, const resident_input *in,
                                const char *pin_hash, int64_t now, const char *actor, resident *out)
{
    db_stmt *acct = db_prepare(conn,
        "INSERT INTO accounts (role, email, full_name, phone, password_hash, facility_id, status, created_at,"
        " updated_at) VALUES ('resident', NULL, $1, NULL, $2, $3, 'active', $4, $4) RETURNING id");
    db_bind_text(acct, 1, arena_sprintf(a, "%s %s", in->first_name, in->last_name));
    db_bind_text(acct, 2, pin_hash != NULL ? pin_hash : no_pin_hash);
    db_bind_int(acct, 3, facility_id);
    db_bind_int(acct, 4, now);
    int64_t account_id = db_next(acct) ? db_int(acct, 0) : 0;
    kite_err err = db_done(acct);
    if (err != KITE_OK)
        return err;
    db_stmt *res = db_prepare(conn,
        "INSERT INTO residents (account_id, facility_id, resident_number, first_name, last_name, status,"
        " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $6) RETURNING id");
    db_bind_int(res, 1, account_id);
    db_bind_int(res, 2, facility_id);
    db_bind_text(res, 3, in->resident_number);
    db_bind_text(res, 4, in->first_name);
    db_bind_text(res, 5, in->last_name);
    db_bind_int(res, 6, now);
    int64_t id = db_next(res) ? db_int(res, 0) : 0;
    err = db_done(res);
    if (err == KITE_ERR_CONFLICT)
        return KITE_ERR_RESIDENT_EXISTS;
    if (err != KITE_OK)
        return err;
    *out = (resident){id, account_id, facility_id, in->resident_number, in->first_name, in->last_name,
                      RESIDENT_ACTIVE, pin_hash != NULL, false, now, now};
    return audit_append(conn, now, actor, "resident.add", audit_target(a, "resident", id),
                        arena_sprintf(a, "facility=%" PRId64 " number=%s", facility_id, in->resident_number));
}

struct add_resident {
    arena *a;
    int64_t facility_id;
    const resident_input *raw;
    resident_input clean;
    const char *pin_hash;
    const char *actor;
    int64_t now;
    resident *out;
    kite_fault *fault;
    bool validate_only;
};

static kite_err add_tx(db_conn *conn, void *data)
{
    struct add_resident *in = data;
    policy p;
    kite_err err = policy_load(conn, in->a, in->facility_id, &p);
    if (err == KITE_ERR_NOT_FOUND)
        return KITE_ERR_NOT_ON_PLATFORM;
    if (err != KITE_OK)
        return err;
    if ((err = validate_input(in->a, &p, in->raw, &in->clean, in->fault)) != KITE_OK || in->validate_only)
        return err;
    return insert_resident(conn, in->a, in->facility_id, &in->clean, in->pin_hash, in->now, in->actor, in->out);
}

static kite_err add_resident(const kite_ctx *ctx, arena *a, int64_t facility_id, const resident_input *in,
                             const char *actor, resident *out, kite_fault *fault)
{
    struct add_resident tx = {a, facility_id, in, {0}, NULL, actor, clock_now_ms(&ctx->clock), out, fault, true};
    /* Validate first, so a bad request costs no Argon2 hash. */
    kite_err err = db_read(ctx->store, add_tx, &tx);
    if (err != KITE_OK)
        return err;
    char hash[PASSWORD_HASH_MAX];
    if (in->pin != NULL) {
        if ((err = password_hash(ctx->passwords, in->pin, hash)) != KITE_OK)
            return err;
        tx.pin_hash = hash;
    }
    tx.validate_only = false;
    return db_write(ctx->store, add_tx, &tx);
}

kite_err resident_add(const kite_ctx *ctx, arena *a, int64_t facility_id, const resident_input *in,
                      const char *actor, resident *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    return fault_settle(fault, add_resident(ctx, a, facility_id, in, actor, out, fault));
}

struct get_resident {
    arena *a;
    int64_t facility_id;
    const char *number;
    resident *out;
};

static kite_err get_tx(db_conn *conn, void *data)
{
    struct get_resident *in = data;
    return resident_load(conn, in->a, in->facility_id, in->number, in->out);
}

kite_err resident_get(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *number, resident *out)
{
    struct get_resident in = {a, facility_id, number, out};
    return db_read(ctx->store, get_tx, &in);
}

struct get_by_account {
    arena *a;
    int64_t account_id;
    resident *out;
};

static kite_err get_by_account_tx(db_conn *conn, void *data)
{
    struct get_by_account *in = data;
    return resident_load_by_account(conn, in->a, in->account_id, in->out);
}

kite_err resident_get_by_account(const kite_ctx *ctx, arena *a, int64_t account_id, resident *out)
{
    struct get_by_account in = {a, account_id, out};
    return db_read(ctx->store, get_by_account_tx, &in);
}

struct list_residents {
    arena *a;
    int64_t facility_id;
    const char *after;
    size_t limit;
    resident *items;
    size_t count;
};

static kite_err list_tx(db_conn *conn, void *data)
{
    struct list_residents *in = data;
    db_stmt *s = db_prepare(conn, RESIDENT_SELECT " WHERE r.facility_id = $1 AND r.resident_number > $2"
                                                  " ORDER BY r.resident_number LIMIT $3");
    db_bind_int(s, 1, in->facility_id);
    db_bind_text(s, 2, in->after != NULL ? in->after : "");
    db_bind_int(s, 3, (int64_t)in->limit);
    in->items = arena_alloc(in->a, (in->limit ? in->limit : 1) * sizeof *in->items);
    while (in->count < in->limit && db_next(s))
        read_resident(s, in->a, &in->items[in->count++]);
    return db_done(s);
}

kite_err resident_list(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *after, size_t limit,
                       resident **items, size_t *count)
{
    struct list_residents in = {a, facility_id, after, limit, NULL, 0};
    kite_err err = db_read(ctx->store, list_tx, &in);
    *items = in.items;
    *count = in.count;
    return err;
}

struct update_resident {
    arena *a;
    int64_t facility_id;
    const char *number;
    const resident_change *change;
    const char *pin_hash;
    const char *actor;
    int64_t now;
    resident *out;
    kite_fault *fault;
    resident_leaving_fn leaving; /* what releasing closes above this layer (context.h) */
};

static kite_err update_tx(db_conn *conn, void *data)
{
    struct update_resident *in = data;
    resident r;
    kite_err err = resident_load(conn, in->a, in->facility_id, in->number, &r);
    if (err != KITE_OK)
        return err;
    const resident_change *c = in->change;
    const char *first = c->first_name != NULL ? text_trim(in->a, c->first_name) : r.first_name;
    const char *last = c->last_name != NULL ? text_trim(in->a, c->last_name) : r.last_name;
    resident_status status = r.status;
    bool status_known = c->status == NULL || resident_status_parse(c->status, &status);
    if (!text_is_person_name(first, NAME_MAX_CHARS))
        return name_fault(in->fault, "first_name");
    if (!text_is_person_name(last, NAME_MAX_CHARS))
        return name_fault(in->fault, "last_name");
    if (!status_known)
        return fault_set(in->fault, KITE_ERR_INVALID_FIELD, "status", FAULT_CHOICE);

    /* A new PIN was checked against today's rules: whatever made the old one weak is gone. */
    db_stmt *s = db_prepare(conn,
        "UPDATE residents SET first_name = $1, last_name = $2, status = $3, updated_at = $4,"
        " pin_weak = CASE WHEN $6 = 1 THEN 0 ELSE pin_weak END WHERE id = $5");
    db_bind_text(s, 1, first);
    db_bind_text(s, 2, last);
    db_bind_text(s, 3, resident_status_name(status));
    db_bind_int(s, 4, in->now);
    db_bind_int(s, 5, r.id);
    db_bind_int(s, 6, in->pin_hash != NULL ? 1 : 0);
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    /* A released resident cannot sign in; re-admission opens the account again. */
    db_stmt *acct = db_prepare(conn,
        "UPDATE accounts SET full_name = $1, status = $2, password_hash = COALESCE($3, password_hash),"
        " updated_at = $4 WHERE id = $5");
    db_bind_text(acct, 1, arena_sprintf(in->a, "%s %s", first, last));
    db_bind_text(acct, 2, account_status_name(status == RESIDENT_RELEASED ? ACCOUNT_DISABLED : ACCOUNT_ACTIVE));
    db_bind_text(acct, 3, in->pin_hash);
    db_bind_int(acct, 4, in->now);
    db_bind_int(acct, 5, r.account_id);
    if ((err = db_exec(acct)) != KITE_OK)
        return err;
    if ((status == RESIDENT_RELEASED || in->pin_hash != NULL) &&
        (err = session_end_all(conn, r.account_id, in->now)) != KITE_OK)
        return err;
    /* Released: what was sent and not delivered is rejected, and nobody pays for it. */
    if (status == RESIDENT_RELEASED && r.status != RESIDENT_RELEASED && in->leaving != NULL &&
        (err = in->leaving(conn, in->a, r.id, in->now, in->actor)) != KITE_OK)
        return err;
    bool status_changed = status != r.status;
    const char *detail = arena_sprintf(in->a, "%s%s%s", c->first_name || c->last_name ? "names changed; " : "",
                                       in->pin_hash ? "pin changed; " : "",
                                       status_changed ? arena_sprintf(in->a, "status %s -> %s", resident_status_name(r.status),
                                                                    resident_status_name(status)) : "");
    const char *action = status_changed ? (status == RESIDENT_RELEASED ? "resident.release" : "resident.readmit")
                                        : "resident.update";
    r.first_name = first;
    r.last_name = last;
    r.status = status;
    r.has_pin = r.has_pin || in->pin_hash != NULL;
    r.pin_weak = r.pin_weak && in->pin_hash == NULL;
    r.updated_at = in->now;
    *in->out = r;
    return audit_append(conn, in->now, in->actor, action, audit_target(in->a, "resident", r.id),
                        *detail ? detail : "no change");
}

kite_err resident_update(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *number,
                         const resident_change *change, const char *actor, resident *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    char hash[PASSWORD_HASH_MAX];
    struct update_resident in = {a,   facility_id, number, change, NULL, actor, clock_now_ms(&ctx->clock),
                                 out, fault,       ctx->resident_leaving};
    if (change->pin != NULL) {
        if (pin_policy_check(change->pin, number, fault) != KITE_OK)
            return KITE_ERR_INVALID_FIELD;
        kite_err err = password_hash(ctx->passwords, change->pin, hash);
        if (err != KITE_OK)
            return fault_settle(fault, err);
        in.pin_hash = hash;
    }
    return fault_settle(fault, db_write(ctx->store, update_tx, &in));
}

/* ---- roster import ---- */

typedef struct roster_row {
    resident_input in;
    size_t line;
    const char *pin_hash;
} roster_row;

struct roster_read {
    arena *a;
    int columns[4];
    roster_row *rows;
    size_t count, cap;
};

static kite_err roster_row_read(void *data, size_t line, const char *const *fields, size_t nfields)
{
    struct roster_read *r = data;
    static const char *const names[] = {"resident_number", "first_name", "last_name", "pin"};
    if (line == 1) {
        for (int i = 0; i < 4; i++)
            r->columns[i] = csv_column(fields, nfields, names[i]);
        return r->columns[0] < 0 || r->columns[1] < 0 || r->columns[2] < 0 ? KITE_ERR_INVALID_FIELD : KITE_OK;
    }
    r->rows = arena_grow(r->a, r->rows, r->count, &r->cap, sizeof *r->rows);
    const char *value[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < 4; i++)
        if (r->columns[i] >= 0 && (size_t)r->columns[i] < nfields && fields[r->columns[i]][0] != '\0')
            value[i] = arena_strdup(r->a, fields[r->columns[i]]);
    r->rows[r->count++] = (roster_row){{value[0], value[1], value[2], value[3]}, line, NULL};
    return KITE_OK;
}

struct roster_tx {
    arena *a;
    int64_t facility_id;
    struct roster_read *read;
    const char *actor;
    int64_t now;
    roster_report *report;
    bool validate_only;
    bool *needs_pin; /* per row: new resident with a PIN to hash */
};

static kite_err roster_apply_row(struct roster_tx *tx, db_conn *conn, const policy *p, roster_row *row, size_t i)
{
    kite_fault fault = {0};
    resident_input clean;
    kite_err err = validate_input(tx->a, p, &row->in, &clean, &fault);
    if (err == KITE_ERR_INVALID_FIELD) {
        if (tx->report->rejected++ == 0) {
            tx->report->first_rejected_line = row->line;
            tx->report->first_rejected_field = fault.field;
        }
        tx->report->problems[tx->report->problem_count++] = (roster_problem){row->line, fault};
        return KITE_OK;
    }
    resident existing;
    err = resident_load(conn, tx->a, tx->facility_id, clean.resident_number, &existing);
    if (err == KITE_ERR_NOT_FOUND) {
        if (tx->validate_only) {
            tx->needs_pin[i] = clean.pin != NULL;
            return KITE_OK;
        }
        resident added;
        tx->report->added++;
        return insert_resident(conn, tx->a, tx->facility_id, &clean, row->pin_hash, tx->now, tx->actor, &added);
    }
    if (err != KITE_OK || tx->validate_only)
        return err;
    if (strcmp(existing.first_name, clean.first_name) == 0 && strcmp(existing.last_name, clean.last_name) == 0) {
        tx->report->unchanged++;
        return KITE_OK;
    }
    tx->report->updated++;
    db_stmt *s = db_prepare(conn, "UPDATE residents SET first_name = $1, last_name = $2, updated_at = $3 WHERE id = $4");
    db_bind_text(s, 1, clean.first_name);
    db_bind_text(s, 2, clean.last_name);
    db_bind_int(s, 3, tx->now);
    db_bind_int(s, 4, existing.id);
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    db_stmt *acct = db_prepare(conn, "UPDATE accounts SET full_name = $1, updated_at = $2 WHERE id = $3");
    db_bind_text(acct, 1, arena_sprintf(tx->a, "%s %s", clean.first_name, clean.last_name));
    db_bind_int(acct, 2, tx->now);
    db_bind_int(acct, 3, existing.account_id);
    return db_exec(acct);
}

static kite_err roster_tx_run(db_conn *conn, void *data)
{
    struct roster_tx *tx = data;
    policy p;
    kite_err err = policy_load(conn, tx->a, tx->facility_id, &p);
    if (err == KITE_ERR_NOT_FOUND)
        return KITE_ERR_NOT_ON_PLATFORM;
    roster_report fresh = {0};
    fresh.rows = (int64_t)tx->read->count;
    fresh.problems = arena_alloc(tx->a, (tx->read->count ? tx->read->count : 1) * sizeof *fresh.problems);
    *tx->report = fresh;
    for (size_t i = 0; err == KITE_OK && i < tx->read->count; i++)
        err = roster_apply_row(tx, conn, &p, &tx->read->rows[i], i);
    if (err != KITE_OK || tx->validate_only)
        return err;
    const roster_report *r = tx->report;
    return audit_append(conn, tx->now, tx->actor, "roster.import", audit_target(tx->a, "facility", tx->facility_id),
                        arena_sprintf(tx->a, "rows=%" PRId64 " added=%" PRId64 " updated=%" PRId64 " unchanged=%" PRId64
                                             " rejected=%" PRId64, r->rows, r->added, r->updated, r->unchanged, r->rejected));
}

static kite_err roster_import_read(const kite_ctx *ctx, arena *a, int64_t facility_id, struct roster_read *readp,
                                   const char *actor, roster_report *out);

kite_err roster_import(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *csv_path, const char *actor,
                       roster_report *out)
{
    memset(out, 0, sizeof *out);
    struct roster_read read = {a, {-1, -1, -1, -1}, NULL, 0, 0};
    kite_err err = csv_read_file(csv_path, roster_row_read, &read);
    return err != KITE_OK ? err : roster_import_read(ctx, a, facility_id, &read, actor, out);
}

kite_err roster_import_buffer(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *csv, size_t len,
                              const char *actor, roster_report *out)
{
    memset(out, 0, sizeof *out);
    struct roster_read read = {a, {-1, -1, -1, -1}, NULL, 0, 0};
    kite_err err = csv_read_buffer(csv, len, roster_row_read, &read);
    return err != KITE_OK ? err : roster_import_read(ctx, a, facility_id, &read, actor, out);
}

static kite_err roster_import_read(const kite_ctx *ctx, arena *a, int64_t facility_id, struct roster_read *readp,
                                   const char *actor, roster_report *out)
{
    struct roster_read read = *readp;
    kite_err err;
    struct roster_tx tx = {a, facility_id, &read, actor, clock_now_ms(&ctx->clock), out, true,
                           arena_zalloc(a, (read.count ? read.count : 1) * sizeof(bool))};
    /* First find who is new, then hash their PINs outside any transaction, then write. */
    if ((err = db_read(ctx->store, roster_tx_run, &tx)) != KITE_OK)
        return err;
    for (size_t i = 0; i < read.count; i++) {
        if (!tx.needs_pin[i])
            continue;
        char *hash = arena_alloc(a, PASSWORD_HASH_MAX);
        if ((err = password_hash(ctx->passwords, read.rows[i].in.pin, hash)) != KITE_OK)
            return err;
        read.rows[i].pin_hash = hash;
    }
    tx.validate_only = false;
    return db_write(ctx->store, roster_tx_run, &tx);
}

struct signin_place {
    int64_t facility_id;
    const char *number;
};

/*
 * The account of an active resident of an on-platform facility, with its PIN
 * hash; KITE_ERR_NOT_FOUND otherwise (released, moved away, facility off the
 * platform, or no PIN set).
 */
static kite_err find_resident_account(db_conn *conn, arena *a, const void *arg, account *out, const char **pin_hash)
{
    const struct signin_place *where = arg;
    db_stmt *s = db_prepare(conn,
        "SELECT r.account_id, a.password_hash FROM residents r JOIN accounts a ON a.id = r.account_id"
        " JOIN facility_policies p ON p.facility_id = r.facility_id"
        " WHERE r.facility_id = $1 AND r.resident_number = $2 AND r.status = 'active'");
    db_bind_int(s, 1, where->facility_id);
    db_bind_text(s, 2, where->number);
    int64_t account_id = 0;
    if (db_next(s) && strcmp(db_text(s, 1), no_pin_hash) != 0) {
        account_id = db_int(s, 0);
        *pin_hash = arena_strdup(a, db_text(s, 1));
    }
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    return account_id == 0 ? KITE_ERR_NOT_FOUND : account_load(conn, a, account_id, out);
}

struct mark_weak {
    int64_t account_id, now;
};

/* A PIN from before today's rules signed in: staff see that it must be reset (pin.h). */
static kite_err mark_weak_tx(db_conn *conn, void *data)
{
    const struct mark_weak *in = data;
    db_stmt *s = db_prepare(conn, "UPDATE residents SET pin_weak = 1, updated_at = $1 WHERE account_id = $2 AND pin_weak = 0");
    db_bind_int(s, 1, in->now);
    db_bind_int(s, 2, in->account_id);
    return db_exec(s);
}

kite_err resident_sign_in(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *resident_number,
                          const char *pin, const char *client_address, signin_result *out, kite_fault *fault)
{
    const char *number = text_trim(a, resident_number);
    struct signin_place *where = arena_alloc(a, sizeof *where);
    where->facility_id = facility_id;
    where->number = number;
    signin_credentials who = {
        .find = find_resident_account,
        .find_arg = where,
        .throttle_key = arena_sprintf(a, "resident:%" PRId64 ":%.32s", facility_id, number),
        .unknown_target = arena_sprintf(a, "resident_number:%" PRId64 ":unknown", facility_id),
        .plausible = strlen(number) <= 32,
    };
    kite_err err = session_sign_in_with(ctx, a, &who, pin, client_address, out, fault);
    if (err == KITE_ERR_BAD_CREDENTIALS)
        fault->detail = FAULT_RESIDENT_SIGN_IN;
    kite_fault weak;
    if (err == KITE_OK && pin_policy_check(pin, number, &weak) != KITE_OK) {
        struct mark_weak in = {out->session.account.id, clock_now_ms(&ctx->clock)};
        err = db_write(ctx->store, mark_weak_tx, &in);
    }
    return err;
}
