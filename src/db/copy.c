/*
 * copy.c - copies every table of a SQLite store into an empty store (copy.h).
 *
 * Design.  One db_read on the source holds the snapshot from the first
 * catalogue query to the caller's last check; everything else happens
 * inside it.  The plan (tables, columns, foreign keys, row counts) comes
 * from sqlite_master, pragma_table_info and pragma_foreign_key_list, and is
 * checked against the target before anything is written: every column must
 * exist there (a statement that does not compile is fatal in the store, so
 * a schema mismatch must be caught first) and every table must be empty.
 *
 * Rows are read in primary-key order, buffered in an arena, and written a
 * batch per db_write, so a target transaction that is retried (busy, a
 * lost connection) runs again from the buffer, never from a source cursor
 * that has moved on.  An INSERT names its columns from the source's list,
 * so column order on the target does not matter, and carries as many rows
 * as fit in MAX_PARAMS parameters: one round trip per dozen rows instead of
 * one per row.
 *
 * A failure on the target is kept apart from one on the source: db_read
 * runs its function again when the source is busy, which would copy the
 * same rows twice, so a second run refuses instead, and a target failure
 * is never handed to db_read as "busy".
 *
 * Names from the catalogue are spliced into SQL, so each must be a plain
 * identifier ([A-Za-z0-9_], at most 63 bytes); anything else is refused.
 */
#include "db/copy.h"

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The PostgreSQL engine binds at most 64 parameters a statement (pg.c). */
enum { MAX_PARAMS = 64, DEFAULT_BATCH_ROWS = 2000, BATCH_BYTES = 32 << 20 };

typedef struct fk {
    int col;       /* in the child's columns */
    int parent;    /* table index; -1 when the parent is not copied (schema_migrations) */
    bool single;   /* a one-column key: only those can be written NULL first */
    bool deferred; /* written NULL with the row, set after every table is in */
} fk;

typedef struct table {
    char *name;
    char **cols;
    bool *notnull;
    int ncols;
    int pk; /* the column of a one-column primary key; -1 otherwise */
    char *order_by; /* "ORDER BY ..." over the whole primary key, or "" */
    fk *fks;
    int nfks;
    int64_t rows;
    bool placed;
} table;

typedef struct value {
    db_type type;
    int64_t i;
    char *data; /* text (NUL-terminated) or blob, in the batch arena */
    size_t len;
} value;

typedef struct copy_run {
    db *target;
    const db_copy_options *opt;
    db_copy_report *report;
    arena *plan; /* the tables and their SQL: for the whole copy */
    table *tables;
    size_t ntables;
    size_t *order;
    size_t nplaced;
    int attempts;
    kite_err target_err;
    /* The batch being filled: rows of ncols values, for sql (per_stmt rows a statement) or sql_one. */
    arena *batch;
    value *vals;
    size_t rows, cap, bytes;
    int ncols, per_stmt;
    const char *sql, *sql_one;
} copy_run;

__attribute__((format(printf, 2, 3))) static void problem(db_copy_report *r, const char *fmt, ...)
{
    if (r->problem[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->problem, sizeof r->problem, fmt, ap);
    va_end(ap);
}

static bool plain_identifier(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    return n > 0 && s[n] == '\0' && n < DB_COPY_NAME_MAX;
}

static int table_index(const copy_run *r, const char *name)
{
    for (size_t i = 0; i < r->ntables; i++)
        if (strcmp(r->tables[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ---- the plan, from the source's catalogue --------------------------------- */

static kite_err read_tables(db_conn *src, copy_run *r)
{
    /* Ordinary tables only: a virtual table (message_search) and its shadow tables are SQLite's own index, rebuilt by the target. */
    db_stmt *s = db_prepare(src, "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'"
                                 " AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name");
    size_t cap = 16;
    r->tables = arena_zalloc(r->plan, cap * sizeof *r->tables);
    bool bad = false;
    while (db_next(s)) {
        const char *name = db_text(s, 0);
        if (!plain_identifier(name)) {
            problem(r->report, "the source has a table named \"%.64s\", which this copy cannot name safely", name);
            bad = true;
            break;
        }
        r->tables = arena_grow(r->plan, r->tables, r->ntables, &cap, sizeof *r->tables);
        r->tables[r->ntables++] = (table){.name = arena_strdup(r->plan, name), .pk = -1};
    }
    kite_err err = db_done(s);
    return err == KITE_OK && bad ? KITE_ERR_CONFLICT : err;
}

/* "ORDER BY" over the primary key in key order (pk_pos: each column's place in the key, 0 when outside). */
static char *order_by(arena *a, const table *t, const int *pk_pos, int pk_cols)
{
    buf order;
    buf_init(&order, a);
    for (int pos = 1; pos <= pk_cols; pos++)
        for (int c = 0; c < t->ncols; c++)
            if (pk_pos[c] == pos)
                buf_printf(&order, "%s\"%s\"", pos == 1 ? " ORDER BY " : ", ", t->cols[c]);
    return order.len > 0 ? order.data : "";
}

static kite_err read_columns(db_conn *src, copy_run *r, table *t)
{
    db_stmt *s = db_prepare(src, "SELECT name, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid");
    db_bind_text(s, 1, t->name);
    size_t cap = 8, ncap = 8, pcap = 8;
    t->cols = arena_alloc(r->plan, cap * sizeof *t->cols);
    t->notnull = arena_alloc(r->plan, ncap * sizeof *t->notnull);
    int *pk_pos = arena_alloc(r->plan, pcap * sizeof *pk_pos);
    int pk_cols = 0;
    bool bad = false;
    while (!bad && db_next(s)) {
        const char *name = db_text(s, 0);
        if ((bad = !plain_identifier(name)))
            problem(r->report, "table %s has a column named \"%.64s\", which this copy cannot name", t->name, name);
        size_t n = (size_t)t->ncols;
        t->cols = arena_grow(r->plan, t->cols, n, &cap, sizeof *t->cols);
        t->notnull = arena_grow(r->plan, t->notnull, n, &ncap, sizeof *t->notnull);
        pk_pos = arena_grow(r->plan, pk_pos, n, &pcap, sizeof *pk_pos);
        t->cols[n] = arena_strdup(r->plan, name);
        pk_pos[n] = (int)db_int(s, 2);
        /* A key column is never NULL, whatever the pragma says of an INTEGER PRIMARY KEY. */
        t->notnull[n] = db_int(s, 1) != 0 || pk_pos[n] > 0;
        if (pk_pos[n] > 0) {
            pk_cols++;
            t->pk = t->ncols;
        }
        t->ncols++;
    }
    kite_err err = db_done(s);
    if (pk_cols != 1)
        t->pk = -1;
    t->order_by = order_by(r->plan, t, pk_pos, pk_cols);
    if (err == KITE_OK && !bad && t->ncols == 0) {
        problem(r->report, "table %s has no columns", t->name);
        bad = true;
    }
    return err == KITE_OK && bad ? KITE_ERR_CONFLICT : err;
}

static int column_index(const table *t, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (strcmp(t->cols[c], name) == 0)
            return c;
    return -1;
}

static kite_err read_keys(db_conn *src, copy_run *r, table *t)
{
    db_stmt *s = db_prepare(src, "SELECT f.\"table\", f.\"from\","
                                 " (SELECT count(*) FROM pragma_foreign_key_list($1) g WHERE g.id = f.id)"
                                 " FROM pragma_foreign_key_list($1) f ORDER BY f.id, f.seq");
    db_bind_text(s, 1, t->name);
    size_t cap = 4;
    t->fks = arena_alloc(r->plan, cap * sizeof *t->fks);
    while (db_next(s)) {
        int col = column_index(t, db_text(s, 1));
        if (col < 0)
            continue;
        t->fks = arena_grow(r->plan, t->fks, (size_t)t->nfks, &cap, sizeof *t->fks);
        t->fks[t->nfks++] = (fk){.col = col, .parent = table_index(r, db_text(s, 0)), .single = db_int(s, 2) == 1};
    }
    return db_done(s);
}

static kite_err read_count(db_conn *conn, const table *t, int64_t *out)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", t->name);
    db_stmt *s = db_prepare(conn, sql);
    *out = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

static kite_err read_plan(db_conn *src, copy_run *r)
{
    kite_err err = read_tables(src, r);
    for (size_t i = 0; err == KITE_OK && i < r->ntables; i++)
        err = read_columns(src, r, &r->tables[i]);
    for (size_t i = 0; err == KITE_OK && i < r->ntables; i++)
        err = read_keys(src, r, &r->tables[i]);
    for (size_t i = 0; err == KITE_OK && i < r->ntables; i++)
        err = read_count(src, &r->tables[i], &r->tables[i].rows);
    return err;
}

/* ---- the order: parents first, a cycle broken at a nullable reference ------ */

static bool deferrable(const table *t, const fk *k)
{
    return k->single && !t->notnull[k->col] && t->pk >= 0;
}

static bool ready(const copy_run *r, const table *t, size_t self)
{
    for (int k = 0; k < t->nfks; k++) {
        const fk *key = &t->fks[k];
        if (!key->deferred && key->parent >= 0 && (size_t)key->parent != self && !r->tables[key->parent].placed)
            return false;
    }
    return true;
}

/* Defers the nullable references of the first unplaced table that points into the unplaced rest. */
static bool break_cycle(copy_run *r)
{
    for (size_t i = 0; i < r->ntables; i++) {
        table *t = &r->tables[i];
        bool any = false;
        for (int k = 0; !t->placed && k < t->nfks; k++) {
            fk *key = &t->fks[k];
            if (key->parent >= 0 && !r->tables[key->parent].placed && !key->deferred && deferrable(t, key)) {
                key->deferred = true;
                r->report->deferred_columns++;
                any = true;
            }
        }
        if (any)
            return true;
    }
    return false;
}

static kite_err order_tables(copy_run *r)
{
    r->order = arena_alloc(r->plan, (r->ntables + 1) * sizeof *r->order);
    /* A row may refer to a later row of its own table: such a reference is set afterwards too. */
    for (size_t i = 0; i < r->ntables; i++)
        for (int k = 0; k < r->tables[i].nfks; k++) {
            fk *key = &r->tables[i].fks[k];
            if ((size_t)key->parent == i && deferrable(&r->tables[i], key)) {
                key->deferred = true;
                r->report->deferred_columns++;
            }
        }
    while (r->nplaced < r->ntables) {
        size_t i = 0;
        while (i < r->ntables && (r->tables[i].placed || !ready(r, &r->tables[i], i)))
            i++;
        if (i < r->ntables) {
            r->tables[i].placed = true;
            r->order[r->nplaced++] = i;
        } else if (!break_cycle(r)) {
            problem(r->report, "the tables cannot be ordered: NOT NULL foreign keys form a cycle");
            return KITE_ERR_CONFLICT;
        }
    }
    return KITE_OK;
}

/* ---- the target: same columns, no data -------------------------------------- */

static kite_err target_has_columns(db_conn *conn, copy_run *r, const table *t)
{
    const char *sql = db_conn_dialect(conn) == DB_POSTGRESQL
                          ? "SELECT column_name::text FROM information_schema.columns"
                            " WHERE table_schema = current_schema() AND table_name = $1"
                          : "SELECT name FROM pragma_table_info($1)";
    bool *seen = xcalloc((size_t)t->ncols + 1, sizeof *seen);
    db_stmt *s = db_prepare(conn, sql);
    db_bind_text(s, 1, t->name);
    while (db_next(s)) {
        int c = column_index(t, db_text(s, 0));
        if (c >= 0)
            seen[c] = true;
    }
    kite_err err = db_done(s);
    for (int c = 0; err == KITE_OK && c < t->ncols; c++)
        if (!seen[c]) {
            problem(r->report, "the target has no column %s.%s: the two stores' schemas differ", t->name, t->cols[c]);
            err = KITE_ERR_CONFLICT;
        }
    free(seen);
    return err;
}

static kite_err target_check_tx(db_conn *conn, void *ctx)
{
    copy_run *r = ctx;
    kite_err err = KITE_OK;
    for (size_t i = 0; err == KITE_OK && i < r->ntables; i++)
        err = target_has_columns(conn, r, &r->tables[i]);
    for (size_t i = 0; err == KITE_OK && i < r->ntables; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT 1 FROM \"%s\" LIMIT 1", r->tables[i].name);
        db_stmt *s = db_prepare(conn, sql);
        bool any = db_next(s);
        err = db_done(s);
        if (err == KITE_OK && any) {
            problem(r->report, "the target already holds data (table %s): a copy goes only into an empty store",
                    r->tables[i].name);
            err = KITE_ERR_CONFLICT;
        }
    }
    return err;
}

/* ---- batches ------------------------------------------------------------------ */

static void batch_start(copy_run *r, int ncols, const char *sql, int per_stmt, const char *sql_one)
{
    r->batch = arena_free(r->batch);
    r->batch = arena_new();
    r->cap = 64;
    r->vals = arena_alloc(r->batch, r->cap * (size_t)ncols * sizeof *r->vals);
    r->rows = r->bytes = 0;
    r->ncols = ncols;
    r->sql = sql;
    r->per_stmt = per_stmt;
    r->sql_one = sql_one;
}

/* Copies column col of the source row into v; a deferred reference is written NULL for now. */
static void take_value(copy_run *r, db_stmt *s, int col, bool null, value *v)
{
    *v = (value){.type = null ? DB_TYPE_NULL : db_column_type(s, col)};
    if (v->type == DB_TYPE_INT) {
        v->i = db_int(s, col);
    } else if (v->type == DB_TYPE_TEXT) {
        const char *text = db_text(s, col);
        v->len = strlen(text);
        v->data = arena_strndup(r->batch, text, v->len);
    } else if (v->type == DB_TYPE_BLOB) {
        const void *data = db_blob(s, col, &v->len);
        v->data = arena_alloc(r->batch, v->len + 1);
        if (v->len > 0)
            memcpy(v->data, data, v->len);
    }
    r->bytes += v->len + sizeof *v;
}

static void take_row(copy_run *r, db_stmt *s, const bool *nulled)
{
    if (r->rows == r->cap) {
        value *bigger = arena_alloc(r->batch, r->cap * 2 * (size_t)r->ncols * sizeof *bigger);
        memcpy(bigger, r->vals, r->cap * (size_t)r->ncols * sizeof *bigger);
        r->vals = bigger;
        r->cap *= 2;
    }
    value *row = &r->vals[r->rows++ * (size_t)r->ncols];
    for (int c = 0; c < r->ncols; c++)
        take_value(r, s, c, nulled != NULL && nulled[c], &row[c]);
}

static void bind_value(db_stmt *s, int n, const value *v)
{
    switch (v->type) {
    case DB_TYPE_INT:
        db_bind_int(s, n, v->i);
        break;
    case DB_TYPE_TEXT:
        db_bind_text(s, n, v->data);
        break;
    case DB_TYPE_BLOB:
        db_bind_blob(s, n, v->data, v->len);
        break;
    default:
        db_bind_null(s, n);
    }
}

static kite_err write_batch_tx(db_conn *conn, void *ctx)
{
    const copy_run *r = ctx;
    kite_err err = KITE_OK;
    for (size_t row = 0; err == KITE_OK && row < r->rows;) {
        size_t take = r->rows - row >= (size_t)r->per_stmt ? (size_t)r->per_stmt : 1;
        db_stmt *s = db_prepare(conn, take > 1 ? r->sql : r->sql_one);
        for (size_t k = 0; k < take * (size_t)r->ncols; k++)
            bind_value(s, (int)k + 1, &r->vals[row * (size_t)r->ncols + k]);
        err = db_exec(s);
        row += take;
    }
    return err;
}

/* Writes the batch in one target transaction and empties it; a failure is the target's. */
static kite_err flush(copy_run *r, const char *what)
{
    if (r->rows == 0)
        return KITE_OK;
    kite_err err = db_write(r->target, write_batch_tx, r);
    if (err != KITE_OK) {
        r->target_err = err;
        problem(r->report, "writing %s to the target failed (%s)", what, kite_err_code(err));
        return err;
    }
    batch_start(r, r->ncols, r->sql, r->per_stmt, r->sql_one);
    return KITE_OK;
}

static bool batch_full(const copy_run *r)
{
    int limit = r->opt->batch_rows > 0 ? r->opt->batch_rows : DEFAULT_BATCH_ROWS;
    return r->rows >= (size_t)limit || r->bytes >= BATCH_BYTES;
}

/* ---- rows ---------------------------------------------------------------------- */

/* INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $4) ... for rows rows. */
static char *insert_sql(arena *a, const table *t, int rows)
{
    buf b;
    buf_init(&b, a);
    buf_printf(&b, "INSERT INTO \"%s\" (", t->name);
    for (int c = 0; c < t->ncols; c++)
        buf_printf(&b, "%s\"%s\"", c > 0 ? ", " : "", t->cols[c]);
    buf_puts(&b, ") VALUES ");
    for (int row = 0, n = 1; row < rows; row++) {
        buf_puts(&b, row > 0 ? ", (" : "(");
        for (int c = 0; c < t->ncols; c++)
            buf_printf(&b, "%s$%d", c > 0 ? ", " : "", n++);
        buf_puts(&b, ")");
    }
    return b.data;
}

static void report_progress(const copy_run *r, const table *t, int64_t done)
{
    if (r->opt->progress != NULL)
        r->opt->progress(r->opt->progress_ctx, t->name, done, t->rows);
}

static kite_err copy_table(db_conn *src, copy_run *r, const table *t)
{
    bool *nulled = arena_zalloc(r->plan, (size_t)t->ncols * sizeof *nulled);
    for (int k = 0; k < t->nfks; k++)
        nulled[t->fks[k].col] |= t->fks[k].deferred;
    int per_stmt = MAX_PARAMS / t->ncols > 0 ? MAX_PARAMS / t->ncols : 1;
    batch_start(r, t->ncols, insert_sql(r->plan, t, per_stmt), per_stmt, insert_sql(r->plan, t, 1));
    buf select;
    buf_init(&select, r->plan);
    buf_puts(&select, "SELECT ");
    for (int c = 0; c < t->ncols; c++)
        buf_printf(&select, "%s\"%s\"", c > 0 ? ", " : "", t->cols[c]);
    buf_printf(&select, " FROM \"%s\"%s", t->name, t->order_by);
    if (t->rows > 0)
        report_progress(r, t, 0);
    db_stmt *s = db_prepare(src, select.data);
    int64_t done = 0;
    kite_err err = KITE_OK;
    while (err == KITE_OK && db_next(s)) {
        take_row(r, s, nulled);
        if (batch_full(r)) {
            done += (int64_t)r->rows;
            if ((err = flush(r, t->name)) == KITE_OK)
                report_progress(r, t, done);
        }
    }
    kite_err read_err = db_done(s);
    done += (int64_t)r->rows;
    if (err == KITE_OK && (err = read_err) == KITE_OK && (err = flush(r, t->name)) == KITE_OK) {
        if (done != t->rows) {
            problem(r->report, "table %s: %" PRId64 " rows counted but %" PRId64 " read", t->name, t->rows, done);
            return KITE_ERR_INTERNAL;
        }
        report_progress(r, t, done);
    }
    return err;
}

/* Sets the references written NULL to break a cycle, by primary key, in batches. */
static kite_err set_deferred(db_conn *src, copy_run *r, const table *t, const fk *key)
{
    const char *col = t->cols[key->col], *pk = t->cols[t->pk];
    char *update = arena_sprintf(r->plan, "UPDATE \"%s\" SET \"%s\" = $1 WHERE \"%s\" = $2", t->name, col, pk);
    char *what = arena_sprintf(r->plan, "%s.%s", t->name, col);
    batch_start(r, 2, update, 1, update);
    db_stmt *s = db_prepare(src, arena_sprintf(r->plan, "SELECT \"%s\", \"%s\" FROM \"%s\" WHERE \"%s\" IS NOT NULL",
                                               col, pk, t->name, col));
    kite_err err = KITE_OK;
    while (err == KITE_OK && db_next(s)) {
        take_row(r, s, NULL);
        if (batch_full(r))
            err = flush(r, what);
    }
    kite_err read_err = db_done(s);
    if (err == KITE_OK && (err = read_err) == KITE_OK)
        err = flush(r, what);
    return err;
}

/* ---- identity sequences (PostgreSQL) ----------------------------------------- */

static kite_err sequences_tx(db_conn *conn, void *ctx)
{
    copy_run *r = ctx;
    r->report->sequences = 0;
    db_stmt *s = db_prepare(conn, "SELECT table_name::text, column_name::text FROM information_schema.columns"
                                  " WHERE table_schema = current_schema() AND is_identity = 'YES'"
                                  " ORDER BY table_name, column_name");
    size_t n = 0, cap = 16;
    char **names = xmalloc(cap * 2 * sizeof *names);
    while (db_next(s)) {
        if (!plain_identifier(db_text(s, 0)) || !plain_identifier(db_text(s, 1)))
            continue; /* not one of ours: the copy wrote nothing there */
        if (n == cap)
            names = xrealloc(names, (cap *= 2) * 2 * sizeof *names);
        names[2 * n] = arena_strdup(r->plan, db_text(s, 0));
        names[2 * n++ + 1] = arena_strdup(r->plan, db_text(s, 1));
    }
    kite_err err = db_done(s);
    for (size_t i = 0; err == KITE_OK && i < n; i++) {
        const char *t = names[2 * i], *c = names[2 * i + 1];
        /* setval(seq, max): the next id the sequence gives is max + 1.  An empty table keeps its start. */
        db_stmt *set = db_prepare(conn, arena_sprintf(r->plan,
                                                      "SELECT setval(pg_get_serial_sequence('\"%s\"', '%s'), max(\"%s\"))"
                                                      " FROM \"%s\" HAVING max(\"%s\") IS NOT NULL",
                                                      t, c, c, t, c));
        bool moved = db_next(set);
        if ((err = db_done(set)) == KITE_OK && moved)
            r->report->sequences++;
    }
    free(names);
    return err;
}

/* ---- the whole copy --------------------------------------------------------------- */

static kite_err copy_all(db_conn *src, copy_run *r)
{
    kite_err err = KITE_OK;
    for (size_t i = 0; err == KITE_OK && i < r->ntables; i++)
        err = copy_table(src, r, &r->tables[r->order[i]]);
    for (size_t i = 0; err == KITE_OK && i < r->ntables; i++) {
        const table *t = &r->tables[r->order[i]];
        for (int k = 0; err == KITE_OK && k < t->nfks; k++)
            if (t->fks[k].deferred)
                err = set_deferred(src, r, t, &t->fks[k]);
    }
    if (err == KITE_OK && db_dialect_of(r->target) == DB_POSTGRESQL && (err = db_write(r->target, sequences_tx, r)) != KITE_OK) {
        r->target_err = err;
        problem(r->report, "moving the identity sequences on the target failed (%s)", kite_err_code(err));
    }
    return err;
}

static void fill_report(copy_run *r)
{
    db_copy_report *rep = r->report;
    rep->tables = xcalloc(r->ntables + 1, sizeof *rep->tables);
    rep->count = r->ntables;
    rep->rows = 0;
    for (size_t i = 0; i < r->ntables; i++) {
        const table *t = &r->tables[r->order[i]];
        snprintf(rep->tables[i].name, sizeof rep->tables[i].name, "%s", t->name);
        rep->tables[i].rows = t->rows;
        rep->rows += t->rows;
    }
}

static kite_err copy_tx(db_conn *src, void *ctx)
{
    copy_run *r = ctx;
    if (r->attempts++ > 0) {
        /* db_read runs us again only when the source was busy; rows may be in the target already. */
        problem(r->report, "the source store was busy during the copy; the target may hold part of it: "
                           "drop and recreate the target database, then run again");
        return KITE_ERR_STORE;
    }
    kite_err err = read_plan(src, r);
    if (err == KITE_OK)
        err = order_tables(r);
    if (err == KITE_OK && (err = db_read(r->target, target_check_tx, r)) != KITE_OK && err != KITE_ERR_CONFLICT) {
        r->target_err = err;
        problem(r->report, "cannot read the target (%s)", kite_err_code(err));
    }
    if (err == KITE_OK)
        fill_report(r);
    if (err == KITE_OK)
        err = copy_all(src, r);
    if (err == KITE_OK && r->opt->snapshot_fn != NULL)
        err = r->opt->snapshot_fn(src, r->opt->snapshot_ctx);
    r->batch = arena_free(r->batch);
    /* A failure of the target must not look like a busy source to db_read: that would copy twice. */
    return r->target_err != KITE_OK ? KITE_ERR_STORE : err;
}

kite_err db_copy(db *source, db *target, const db_copy_options *opt, db_copy_report *report)
{
    memset(report, 0, sizeof *report);
    if (db_dialect_of(source) != DB_SQLITE) {
        problem(report, "the source must be a SQLite store");
        return KITE_ERR_BAD_REQUEST;
    }
    copy_run r = {.target = target, .opt = opt, .report = report, .plan = arena_new()};
    kite_err err = db_read(source, copy_tx, &r);
    if (r.target_err != KITE_OK && err != KITE_OK)
        err = r.target_err;
    if (err != KITE_OK)
        problem(report, "cannot read the source store (%s)", kite_err_code(err));
    arena_free(r.batch);
    arena_free(r.plan);
    return err;
}

/* ---- afterwards ------------------------------------------------------------------ */

static kite_err verify_tx(db_conn *conn, void *ctx)
{
    db_copy_report *report = ctx;
    kite_err err = KITE_OK;
    for (size_t i = 0; err == KITE_OK && i < report->count; i++) {
        table t = {.name = report->tables[i].name};
        int64_t rows = 0;
        err = read_count(conn, &t, &rows);
        if (err == KITE_OK && rows != report->tables[i].rows) {
            problem(report, "table %s: %" PRId64 " rows in the source, %" PRId64 " in the target", t.name,
                    report->tables[i].rows, rows);
            err = KITE_ERR_CONFLICT;
        }
    }
    return err;
}

kite_err db_copy_verify_counts(db *target, db_copy_report *report)
{
    kite_err err = db_read(target, verify_tx, report);
    if (err != KITE_OK && err != KITE_ERR_CONFLICT)
        problem(report, "cannot count the rows in the target (%s)", kite_err_code(err));
    return err;
}

void db_copy_report_free(db_copy_report *report)
{
    free(report->tables);
    report->tables = NULL;
    report->count = 0;
}
