/*
 * directory.c - importing, indexing and reading the facility directory.
 *
 * SECURITY: imported CSV files are outside data.  Fields are size-capped by
 * the CSV reader, checked for UTF-8 here, and only ever bound as statement
 * parameters.
 */
#include "domain/directory/directory.h"

#include "core/alloc.h"
#include "core/csv.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/directory/aliases.h"
#include "domain/directory/answer_cache.h"
#include "domain/directory/providers.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct directory {
    pthread_rwlock_t lock; /* guards index, version and aliases */
    directory_index *index;
    char version[DIRECTORY_VERSION_MAX];
    facility_aliases *aliases; /* NULL until directory_ensure_loaded reads the data's alias file */
    answer_cache *answers;     /* finished search answers by version (its own lock) */
};

directory *directory_new(void)
{
    directory *dir = xcalloc(1, sizeof *dir);
    pthread_rwlock_init(&dir->lock, NULL);
    dir->answers = answer_cache_new();
    return dir;
}

directory *directory_free(directory *dir)
{
    if (dir != NULL) {
        directory_index_free(dir->index);
        facility_aliases_free(dir->aliases);
        answer_cache_free(dir->answers);
        pthread_rwlock_destroy(&dir->lock);
        free(dir);
    }
    return NULL;
}

/* ---- import ---------------------------------------------------------- */

enum { COL_NAME, COL_ADDRESS, COL_CITY, COL_STATE, COL_ZIP, COL_TYPE, COL_STATUS, COL_POPULATION,
       COL_CAPACITY, COL_SOURCE_ID, COL_COUNTY, COL_TELEPHONE, COL_WEBSITE, COL_SECURITY, COL__COUNT };

static const char *const main_columns[] = {"name", "address", "city", "state", "zip", "type", "status",
                                           "population", "capacity", "source_id"};
static const char *const extra_columns[] = {"county", "telephone", "website", "security_level"};

typedef struct import_row {
    char *field[COL__COUNT]; /* NULL when empty */
    size_t line;             /* new facilities are numbered in file order */
} import_row;

typedef struct import_rows {
    import_row *rows;
    size_t count, cap;
    int column[COL__COUNT];
    int extra_source_column;
    int64_t skipped;
    const char *bad_reason;
} import_rows;

static char *field_or_null(const char *const *fields, size_t nfields, int column)
{
    if (column < 0 || (size_t)column >= nfields)
        return NULL;
    const char *value = fields[column];
    while (*value == ' ')
        value++;
    return *value != '\0' ? xstrdup(value) : NULL;
}

static kite_err collect_main_row(void *data, size_t line, const char *const *fields, size_t nfields)
{
    import_rows *in = data;
    if (line == 1) {
        for (size_t i = 0; i < sizeof main_columns / sizeof main_columns[0]; i++)
            in->column[i] = csv_column(fields, nfields, main_columns[i]);
        if (in->column[COL_NAME] < 0 || in->column[COL_SOURCE_ID] < 0) {
            in->bad_reason = "the header has no name or source_id column";
            return KITE_ERR_INVALID_FIELD;
        }
        return KITE_OK;
    }
    for (size_t i = 0; i < nfields; i++) {
        if (!utf8_valid(fields[i], strlen(fields[i]))) {
            in->bad_reason = "a field is not valid UTF-8";
            return KITE_ERR_INVALID_FIELD;
        }
    }
    import_row row = {{0}, line};
    for (size_t i = 0; i <= COL_SOURCE_ID; i++)
        row.field[i] = field_or_null(fields, nfields, in->column[i]);
    if (row.field[COL_NAME] == NULL) {
        for (size_t i = 0; i < COL__COUNT; i++)
            free(row.field[i]);
        in->skipped++;
        return KITE_OK;
    }
    if (in->count == in->cap) {
        in->cap = in->cap ? in->cap * 2 : 1024;
        in->rows = xrealloc(in->rows, in->cap * sizeof *in->rows);
    }
    in->rows[in->count++] = row;
    return KITE_OK;
}

static int compare_rows_by_source(const void *a, const void *b)
{
    const import_row *x = a, *y = b;
    const char *sx = x->field[COL_SOURCE_ID] ? x->field[COL_SOURCE_ID] : "";
    const char *sy = y->field[COL_SOURCE_ID] ? y->field[COL_SOURCE_ID] : "";
    return strcmp(sx, sy);
}

static int compare_rows_by_line(const void *a, const void *b)
{
    const import_row *x = a, *y = b;
    return (x->line > y->line) - (x->line < y->line);
}

static kite_err collect_extra_row(void *data, size_t line, const char *const *fields, size_t nfields)
{
    import_rows *in = data;
    if (line == 1) {
        in->extra_source_column = csv_column(fields, nfields, "source_id");
        for (size_t i = 0; i < sizeof extra_columns / sizeof extra_columns[0]; i++)
            in->column[COL_COUNTY + i] = csv_column(fields, nfields, extra_columns[i]);
        return in->extra_source_column < 0 ? KITE_ERR_INVALID_FIELD : KITE_OK;
    }
    if ((size_t)in->extra_source_column >= nfields)
        return KITE_OK;
    import_row key = {{0}, 0};
    key.field[COL_SOURCE_ID] = (char *)fields[in->extra_source_column];
    import_row *row = bsearch(&key, in->rows, in->count, sizeof *in->rows, compare_rows_by_source);
    if (row == NULL)
        return KITE_OK;
    for (size_t i = COL_COUNTY; i < COL__COUNT; i++) {
        char *value = field_or_null(fields, nfields, in->column[i]);
        if (value != NULL && !utf8_valid(value, strlen(value))) {
            free(value);
            value = NULL;
        }
        free(row->field[i]);
        row->field[i] = value;
    }
    return KITE_OK;
}

static void import_rows_free(import_rows *in)
{
    for (size_t r = 0; r < in->count; r++)
        for (size_t i = 0; i < COL__COUNT; i++)
            free(in->rows[r].field[i]);
    free(in->rows);
}

/* Rows without a source_id get a stable key from what identifies them. */
static void ensure_source_id(import_row *row)
{
    if (row->field[COL_SOURCE_ID] != NULL)
        return;
    char key[1024], digest[SECRET_SHA256_HEX];
    snprintf(key, sizeof key, "%s|%s|%s|%s", row->field[COL_NAME],
             row->field[COL_ADDRESS] ? row->field[COL_ADDRESS] : "",
             row->field[COL_CITY] ? row->field[COL_CITY] : "", row->field[COL_STATE] ? row->field[COL_STATE] : "");
    secret_sha256_hex(key, strlen(key), digest);
    char *source_id = xmalloc(32);
    snprintf(source_id, 32, "local-%.24s", digest);
    row->field[COL_SOURCE_ID] = source_id;
}

static int64_t parse_count(const char *s)
{
    if (s == NULL)
        return -1;
    char *end;
    long long v = strtoll(s, &end, 10);
    /* The source writes some counts as "636.0". */
    if (end == s || (*end != '\0' && *end != '.') || v < 0)
        return -1;
    return (int64_t)v;
}

struct import_tx {
    const kite_ctx *ctx;
    import_rows *rows;
    const bop_list *bop;
    const char *actor;
    const char *file;
    int64_t now;
    directory_import_report *report;
};

static const char *lowercase_or_null(char *s)
{
    if (s != NULL)
        for (char *p = s; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    return s;
}

#define FACILITY_FIELDS "name, address, city, state, zip, type, status, population, capacity," \
                        " county, telephone, website, security_level, bop_code"

static void bind_facility_fields(db_stmt *s, const import_row *row, const char *bop_code)
{
    static const int text_cols[] = {COL_NAME, COL_ADDRESS, COL_CITY, COL_STATE, COL_ZIP, COL_TYPE, COL_STATUS};
    for (int i = 0; i < 7; i++)
        db_bind_text(s, 2 + i, row->field[text_cols[i]]);
    int64_t population = parse_count(row->field[COL_POPULATION]);
    int64_t capacity = parse_count(row->field[COL_CAPACITY]);
    if (population >= 0)
        db_bind_int(s, 9, population);
    else
        db_bind_null(s, 9);
    if (capacity >= 0)
        db_bind_int(s, 10, capacity);
    else
        db_bind_null(s, 10);
    db_bind_text(s, 11, row->field[COL_COUNTY]);
    db_bind_text(s, 12, row->field[COL_TELEPHONE]);
    db_bind_text(s, 13, row->field[COL_WEBSITE]);
    db_bind_text(s, 14, row->field[COL_SECURITY]);
    db_bind_text(s, 15, bop_code);
}

/* True when the stored row already holds exactly these values. */
static kite_err row_unchanged(db_conn *conn, int64_t id, const import_row *row, const char *bop_code, bool *same)
{
    db_stmt *s = db_prepare(conn,
        "SELECT 1 FROM facilities WHERE id = $1"
        " AND name IS NOT DISTINCT FROM $2"
        " AND address IS NOT DISTINCT FROM $3"
        " AND city IS NOT DISTINCT FROM $4"
        " AND state IS NOT DISTINCT FROM $5"
        " AND zip IS NOT DISTINCT FROM $6"
        " AND type IS NOT DISTINCT FROM $7"
        " AND status IS NOT DISTINCT FROM $8"
        " AND population IS NOT DISTINCT FROM $9"
        " AND capacity IS NOT DISTINCT FROM $10"
        " AND county IS NOT DISTINCT FROM $11"
        " AND telephone IS NOT DISTINCT FROM $12"
        " AND website IS NOT DISTINCT FROM $13"
        " AND security_level IS NOT DISTINCT FROM $14"
        " AND bop_code IS NOT DISTINCT FROM $15");
    db_bind_int(s, 1, id);
    bind_facility_fields(s, row, bop_code);
    *same = db_next(s);
    return db_done(s);
}

static kite_err assign_service(db_conn *conn, int64_t facility_id, const char *service, const char *slug)
{
    int64_t provider_id;
    kite_err err = provider_id_by_slug(conn, slug, &provider_id);
    if (err != KITE_OK)
        return err;
    db_stmt *s = db_prepare(conn,
        "INSERT INTO facility_services (facility_id, service, provider_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (facility_id, service) DO NOTHING");
    db_bind_int(s, 1, facility_id);
    db_bind_text(s, 2, service);
    db_bind_int(s, 3, provider_id);
    return db_exec(s);
}

static kite_err assign_default_services(db_conn *conn, int64_t facility_id, bool is_bop)
{
    kite_err err = KITE_OK;
    for (size_t i = 0; err == KITE_OK && i < facility_service_count; i++) {
        const char *service = facility_services[i];
        const char *slug = "unknown";
        if (is_bop && strcmp(service, "messaging") == 0)
            slug = "corrlinks";
        else if (is_bop && strcmp(service, "money") == 0)
            slug = "access_corrections";
        err = assign_service(conn, facility_id, service, slug);
    }
    return err;
}

static kite_err import_one(struct import_tx *in, db_conn *conn, import_row *row)
{
    const char *bop_code = NULL;
    bool is_bop = in->bop != NULL && bop_list_match(in->bop, row->field[COL_NAME], &bop_code);
    lowercase_or_null(row->field[COL_TYPE]);
    lowercase_or_null(row->field[COL_STATUS]);
    if (is_bop && bop_code == NULL)
        bop_code = "BOP";

    db_stmt *find = db_prepare(conn, "SELECT id FROM facilities WHERE source_id = $1");
    db_bind_text(find, 1, row->field[COL_SOURCE_ID]);
    int64_t id = db_next(find) ? db_int(find, 0) : 0;
    kite_err err = db_done(find);
    if (err != KITE_OK)
        return err;

    if (id != 0) {
        bool same = false;
        if ((err = row_unchanged(conn, id, row, bop_code, &same)) != KITE_OK)
            return err;
        if (same) {
            in->report->unchanged++;
            return KITE_OK;
        }
        db_stmt *update = db_prepare(conn,
            "UPDATE facilities SET name = $2, address = $3, city = $4, state = $5, zip = $6, type = $7,"
            " status = $8, population = $9, capacity = $10, county = $11, telephone = $12, website = $13,"
            " security_level = $14, bop_code = $15, updated_at = $16 WHERE id = $1");
        db_bind_int(update, 1, id);
        bind_facility_fields(update, row, bop_code);
        db_bind_int(update, 16, in->now);
        in->report->updated++;
        return db_exec(update);
    }
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO facilities (source_id, " FACILITY_FIELDS ", created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING id");
    db_bind_text(insert, 1, row->field[COL_SOURCE_ID]);
    bind_facility_fields(insert, row, bop_code);
    db_bind_int(insert, 16, in->now);
    if (db_next(insert))
        id = db_int(insert, 0);
    if ((err = db_done(insert)) != KITE_OK)
        return err;
    in->report->inserted++;
    return assign_default_services(conn, id, is_bop);
}

kite_err directory_touch(db_conn *conn)
{
    /* A counter, not a time: two changes in one millisecond must still differ. */
    db_stmt *s = db_prepare(conn,
        "INSERT INTO meta (key, value) VALUES ('directory_version', '1')"
        " ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)");
    return db_exec(s);
}

kite_err directory_facility_exists(db_conn *conn, int64_t id, bool *exists)
{
    db_stmt *s = db_prepare(conn, "SELECT 1 FROM facilities WHERE id = $1");
    db_bind_int(s, 1, id);
    *exists = db_next(s);
    return db_done(s);
}

kite_err directory_facility_size(db_conn *conn, int64_t id, char *type, size_t type_size, int64_t *population)
{
    db_stmt *s = db_prepare(conn, "SELECT COALESCE(type, ''), COALESCE(population, -1) FROM facilities WHERE id = $1");
    db_bind_int(s, 1, id);
    bool found = db_next(s);
    if (found) {
        snprintf(type, type_size, "%s", db_text(s, 0));
        *population = db_int(s, 1) < 0 ? -1 : db_int(s, 1);
    }
    kite_err err = db_done(s);
    return err == KITE_OK && !found ? KITE_ERR_NOT_FOUND : err;
}

kite_err directory_facility_name(db_conn *conn, int64_t id, char *name, size_t name_size)
{
    db_stmt *s = db_prepare(conn, "SELECT name FROM facilities WHERE id = $1");
    db_bind_int(s, 1, id);
    bool found = db_next(s);
    if (found)
        snprintf(name, name_size, "%s", db_text(s, 0));
    kite_err err = db_done(s);
    return err == KITE_OK && !found ? KITE_ERR_NOT_FOUND : err;
}

static kite_err import_tx_run(db_conn *conn, void *data)
{
    struct import_tx *in = data;
    kite_err err = providers_seed(conn);
    for (size_t i = 0; err == KITE_OK && i < in->rows->count; i++)
        err = import_one(in, conn, &in->rows->rows[i]);
    if (err == KITE_OK)
        err = directory_touch(conn);
    if (err != KITE_OK)
        return err;
    char detail[512];
    const directory_import_report *r = in->report;
    snprintf(detail, sizeof detail,
             "file=%s rows=%" PRId64 " inserted=%" PRId64 " updated=%" PRId64 " unchanged=%" PRId64
             " skipped=%" PRId64, in->file, r->rows, r->inserted, r->updated, r->unchanged, r->skipped);
    return audit_append(conn, in->now, in->actor, "directory.import", "directory", detail);
}

kite_err directory_import(const kite_ctx *ctx, const char *facilities_csv, const char *extra_csv,
                          const bop_list *bop, const char *actor, directory_import_report *out)
{
    memset(out, 0, sizeof *out);
    import_rows rows = {0};
    for (size_t i = 0; i < COL__COUNT; i++)
        rows.column[i] = -1;
    kite_err err = csv_read_file(facilities_csv, collect_main_row, &rows);
    if (err != KITE_OK) {
        log_error("directory: cannot read %s: %s", facilities_csv,
                  rows.bad_reason ? rows.bad_reason : kite_err_code(err));
        import_rows_free(&rows);
        return err;
    }
    for (size_t i = 0; i < rows.count; i++)
        ensure_source_id(&rows.rows[i]);
    qsort(rows.rows, rows.count, sizeof *rows.rows, compare_rows_by_source);
    if (extra_csv != NULL && (err = csv_read_file(extra_csv, collect_extra_row, &rows)) != KITE_OK)
        log_warn("directory: %s not used: %s", extra_csv, kite_err_code(err));
    qsort(rows.rows, rows.count, sizeof *rows.rows, compare_rows_by_line);

    out->rows = (int64_t)rows.count + rows.skipped;
    out->skipped = rows.skipped;
    struct import_tx in = {ctx, &rows, bop, actor, facilities_csv, clock_now_ms(&ctx->clock), out};
    err = db_write(ctx->store, import_tx_run, &in);
    import_rows_free(&rows);
    return err;
}

static kite_err count_facilities_tx(db_conn *conn, void *data)
{
    int64_t *count = data;
    db_stmt *s = db_prepare(conn, "SELECT COUNT(*) FROM facilities");
    if (db_next(s))
        *count = db_int(s, 0);
    return db_done(s);
}

static kite_err seed_providers_tx(db_conn *conn, void *data)
{
    (void)data;
    return providers_seed(conn);
}

/* The data's alias file into ctx->dir (aliases.h); without it search still has the BOP abbreviations. */
static void load_aliases(const kite_ctx *ctx, const char *data_dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/facility_aliases.csv", data_dir);
    facility_aliases *aliases = NULL;
    if (facility_aliases_load(path, &aliases) != KITE_OK) {
        log_warn("directory: %s not read: search has no aliases from it", path);
        return;
    }
    log_info("directory: %zu names people use for facilities, from %s", facility_aliases_count(aliases), path);
    pthread_rwlock_wrlock(&ctx->dir->lock);
    facility_aliases *old = ctx->dir->aliases;
    ctx->dir->aliases = aliases;
    ctx->dir->version[0] = '\0'; /* the next search builds the index again, with them */
    pthread_rwlock_unlock(&ctx->dir->lock);
    facility_aliases_free(old);
}

kite_err directory_ensure_loaded(const kite_ctx *ctx, const char *data_dir, directory_import_report *out)
{
    memset(out, 0, sizeof *out);
    if (ctx->dir != NULL)
        load_aliases(ctx, data_dir);
    kite_err err = db_write(ctx->store, seed_providers_tx, NULL);
    int64_t count = 0;
    if (err == KITE_OK)
        err = db_read(ctx->store, count_facilities_tx, &count);
    if (err != KITE_OK || count > 0)
        return err;

    char main_csv[4096], extra_csv[4096], bop_csv[4096], codes_csv[4096];
    snprintf(main_csv, sizeof main_csv, "%s/facilities.csv", data_dir);
    snprintf(extra_csv, sizeof extra_csv, "%s/facilities_extra.csv", data_dir);
    snprintf(bop_csv, sizeof bop_csv, "%s/bop_facilities.csv", data_dir);
    snprintf(codes_csv, sizeof codes_csv, "%s/bop_facility_codes.csv", data_dir);
    bop_list *bop = NULL;
    err = bop_list_load(bop_csv, codes_csv, &bop);
    if (err != KITE_OK) {
        log_error("directory: cannot read the BOP lists in %s", data_dir);
        return err;
    }
    err = directory_import(ctx, main_csv, extra_csv, bop, "system", out);
    bop_list_free(bop);
    return err;
}

/* ---- reading ---------------------------------------------------------- */

#define FACILITY_SELECT                                                                         \
    "SELECT f.id, f.source_id, f.name, f.address, f.city, f.state, f.zip, f.type, f.status,"     \
    " f.population, f.capacity, f.county, f.telephone, f.website, f.security_level, f.bop_code," \
    " p.slug, p.name FROM facilities f"                                                          \
    " LEFT JOIN facility_services fs ON fs.facility_id = f.id AND fs.service = 'messaging'"      \
    " LEFT JOIN providers p ON p.id = fs.provider_id"

static void read_facility(db_stmt *s, arena *a, facility *out)
{
    const char **text[] = {&out->source_id, &out->name, &out->address, &out->city, &out->state,
                           &out->zip, &out->type, &out->status};
    out->id = db_int(s, 0);
    for (int i = 0; i < 8; i++)
        *text[i] = arena_strdup(a, db_text(s, 1 + i));
    out->population = db_is_null(s, 9) ? -1 : db_int(s, 9);
    out->capacity = db_is_null(s, 10) ? -1 : db_int(s, 10);
    out->county = arena_strdup(a, db_text(s, 11));
    out->telephone = arena_strdup(a, db_text(s, 12));
    out->website = arena_strdup(a, db_text(s, 13));
    out->security_level = arena_strdup(a, db_text(s, 14));
    out->bop_code = arena_strdup(a, db_text(s, 15));
    out->messaging_slug = db_text(s, 16) ? arena_strdup(a, db_text(s, 16)) : "unknown";
    out->messaging_name = db_text(s, 17) ? arena_strdup(a, db_text(s, 17)) : "Not known yet";
    out->on_platform = strcmp(out->messaging_slug, "kite") == 0;
}

struct version_read {
    char version[DIRECTORY_VERSION_MAX];
};

static kite_err version_tx(db_conn *conn, void *data)
{
    struct version_read *in = data;
    db_stmt *s = db_prepare(conn, "SELECT value FROM meta WHERE key = 'directory_version'");
    snprintf(in->version, sizeof in->version, "%s", db_next(s) ? db_text(s, 0) : "");
    return db_done(s);
}

struct index_build {
    arena *a;
    const facility_aliases *aliases;
    directory_entry *entries;
    size_t count;
    struct version_read version;
};

static kite_err index_rows_tx(db_conn *conn, void *data)
{
    struct index_build *in = data;
    kite_err err = version_tx(conn, &in->version);
    if (err != KITE_OK)
        return err;
    size_t cap = 8192;
    in->entries = arena_alloc(in->a, cap * sizeof *in->entries);
    db_stmt *s = db_prepare(conn, "SELECT id, name, city, state, zip, type, status, source_id,"
                                  " COALESCE(NULLIF(population, 0), capacity, -1), COALESCE(bop_code, '') FROM facilities");
    while (db_next(s)) {
        in->entries = arena_grow(in->a, in->entries, in->count, &cap, sizeof *in->entries);
        directory_entry *e = &in->entries[in->count++];
        e->id = db_int(s, 0);
        e->name = arena_strdup(in->a, db_text(s, 1));
        e->state = arena_strdup(in->a, db_text(s, 3));
        e->city = facility_place_words(in->a, db_text(s, 2), e->state);
        e->zip = arena_strdup(in->a, db_text(s, 4));
        e->type = arena_strdup(in->a, db_text(s, 5));
        e->status = arena_strdup(in->a, db_text(s, 6));
        e->aliases = facility_aliases_for(in->a, in->aliases, db_text(s, 7), e->name, *db_text(s, 9) != '\0');
        e->people = db_int(s, 8);
    }
    return db_done(s);
}

/* Makes dir->index match the store's directory_version. */
static kite_err refresh_index(const kite_ctx *ctx, directory *dir)
{
    struct version_read current;
    kite_err err = db_read(ctx->store, version_tx, &current);
    if (err != KITE_OK)
        return err;
    pthread_rwlock_rdlock(&dir->lock);
    bool fresh = dir->index != NULL && strcmp(dir->version, current.version) == 0;
    pthread_rwlock_unlock(&dir->lock);
    if (fresh)
        return KITE_OK;

    arena *scratch = arena_new();
    struct index_build build = {.a = scratch};
    /* The read lock keeps the aliases alive while the entries take them (load_aliases may replace them). */
    pthread_rwlock_rdlock(&dir->lock);
    build.aliases = dir->aliases;
    err = db_read(ctx->store, index_rows_tx, &build);
    pthread_rwlock_unlock(&dir->lock);
    if (err == KITE_OK) {
        directory_index *index = directory_index_build(build.entries, build.count);
        pthread_rwlock_wrlock(&dir->lock);
        directory_index *old = dir->index;
        dir->index = index;
        snprintf(dir->version, sizeof dir->version, "%s", build.version.version);
        pthread_rwlock_unlock(&dir->lock);
        directory_index_free(old);
    }
    arena_free(scratch);
    return err;
}

/*
 * A search is one read transaction: the directory's version, the in-memory
 * index's ids when the index is of that version, and their rows, fetched
 * FETCH_CHUNK at a time by an IN list of bound parameters (unused ones bound
 * to 0, which no facility has) and put back in the index's order.  When the
 * index is older than the store, the transaction ends, the index is rebuilt
 * (refresh_index) and the search runs again, on that index.
 */
enum { FETCH_CHUNK = 25 };
#define FETCH_IN                                                                                      \
    " IN ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21," \
    " $22, $23, $24, $25)"

struct search {
    arena *a;
    directory *dir;
    const directory_query *query;
    size_t offset, limit;
    int64_t *ids;
    size_t count, total;
    facility *items;
    bool stale;
    bool any_version; /* the index just rebuilt: search it even if the store moved on again since */
};

static kite_err fetch_chunk(db_conn *conn, struct search *in, size_t start, size_t n, bool *found)
{
    db_stmt *s = db_prepare(conn, FACILITY_SELECT " WHERE f.id" FETCH_IN);
    for (size_t i = 0; i < FETCH_CHUNK; i++)
        db_bind_int(s, (int)i + 1, i < n ? in->ids[start + i] : 0);
    while (db_next(s)) {
        int64_t id = db_int(s, 0);
        for (size_t i = start; i < start + n; i++) {
            if (in->ids[i] == id && !found[i]) {
                read_facility(s, in->a, &in->items[i]);
                found[i] = true;
                break;
            }
        }
    }
    return db_done(s);
}

static kite_err search_tx(db_conn *conn, void *data)
{
    struct search *in = data;
    struct version_read current;
    kite_err err = version_tx(conn, &current);
    if (err != KITE_OK)
        return err;
    pthread_rwlock_rdlock(&in->dir->lock);
    in->stale = in->dir->index == NULL || (!in->any_version && strcmp(in->dir->version, current.version) != 0);
    size_t found = in->stale ? 0 : directory_index_search(in->dir->index, in->query, in->offset, in->limit, in->ids,
                                                          &in->total);
    pthread_rwlock_unlock(&in->dir->lock);
    in->items = arena_zalloc(in->a, (found ? found : 1) * sizeof *in->items);
    bool *present = arena_zalloc(in->a, (found ? found : 1) * sizeof *present);
    for (size_t start = 0; err == KITE_OK && start < found; start += FETCH_CHUNK)
        err = fetch_chunk(conn, in, start, found - start < FETCH_CHUNK ? found - start : FETCH_CHUNK, present);
    /* A row the index named but the store no longer has is left out, as before. */
    in->count = 0;
    for (size_t i = 0; i < found; i++)
        if (present[i])
            in->items[in->count++] = in->items[i];
    return err;
}

kite_err directory_search(const kite_ctx *ctx, arena *a, const directory_query *query, size_t offset,
                          size_t limit, facility **items, size_t *count, size_t *total)
{
    struct search in = {a, ctx->dir, query, offset, limit, arena_alloc(a, (limit ? limit : 1) * sizeof(int64_t)),
                        0, 0, NULL, false, false};
    kite_err err = db_read(ctx->store, search_tx, &in);
    if (err == KITE_OK && in.stale && (err = refresh_index(ctx, ctx->dir)) == KITE_OK) {
        in.any_version = true;
        err = db_read(ctx->store, search_tx, &in);
    }
    *items = in.items;
    *count = in.count;
    *total = in.total;
    return err;
}

kite_err directory_version(const kite_ctx *ctx, char out[DIRECTORY_VERSION_MAX])
{
    struct version_read current;
    kite_err err = db_read(ctx->store, version_tx, &current);
    memcpy(out, err == KITE_OK ? current.version : "", err == KITE_OK ? sizeof current.version : 1);
    return err;
}

bool directory_answer_get(const kite_ctx *ctx, arena *a, const char *version, const char *key, const char **body,
                          size_t *len)
{
    return answer_cache_get(ctx->dir->answers, a, version, key, body, len);
}

void directory_answer_put(const kite_ctx *ctx, const char *version, const char *key, const char *body, size_t len)
{
    answer_cache_put(ctx->dir->answers, version, key, body, len);
}

bool directory_suggest(const kite_ctx *ctx, const directory_query *query, char *out, size_t cap)
{
    directory *dir = ctx->dir;
    pthread_rwlock_rdlock(&dir->lock);
    bool found = directory_index_suggest(dir->index, query, out, cap);
    pthread_rwlock_unlock(&dir->lock);
    return found;
}

struct get_facility {
    arena *a;
    int64_t id;
    facility *out;
    facility_service *services;
    bool found;
};

/* word is one of the items of a comma-separated list ("messaging,phone,money"). */
static bool listed_in(const char *list, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = list; p != NULL && *p != '\0'; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, word, len) == 0 && (p[len] == ',' || p[len] == '\0'))
            return true;
    return false;
}

/*
 * On the platform, Kite provides every service its own provider row names
 * (messaging, calls, money, photos): the facility page shows Kite's prices
 * for them, so its providers must not say "not known" beside them.
 */
static kite_err kite_services(db_conn *conn, struct get_facility *in)
{
    db_stmt *s = db_prepare(conn, "SELECT name, services FROM providers WHERE slug = 'kite'");
    if (db_next(s)) {
        const char *name = arena_strdup(in->a, db_text(s, 0)), *listed = db_text(s, 1);
        for (size_t i = 0; i < facility_service_count; i++)
            if (listed_in(listed, facility_services[i])) {
                in->services[i].slug = "kite";
                in->services[i].name = name;
            }
    }
    return db_done(s);
}

static kite_err get_tx(db_conn *conn, void *data)
{
    struct get_facility *in = data;
    db_stmt *s = db_prepare(conn, FACILITY_SELECT " WHERE f.id = $1");
    db_bind_int(s, 1, in->id);
    in->found = db_next(s);
    if (in->found)
        read_facility(s, in->a, in->out);
    kite_err err = db_done(s);
    if (err != KITE_OK || !in->found)
        return err;
    for (size_t i = 0; i < facility_service_count; i++) {
        in->services[i] = (facility_service){facility_services[i], "unknown", "Not known yet"};
    }
    db_stmt *svc = db_prepare(conn,
        "SELECT fs.service, p.slug, p.name FROM facility_services fs"
        " JOIN providers p ON p.id = fs.provider_id WHERE fs.facility_id = $1");
    db_bind_int(svc, 1, in->id);
    while (db_next(svc)) {
        for (size_t i = 0; i < facility_service_count; i++) {
            if (strcmp(db_text(svc, 0), facility_services[i]) == 0) {
                in->services[i].slug = arena_strdup(in->a, db_text(svc, 1));
                in->services[i].name = arena_strdup(in->a, db_text(svc, 2));
            }
        }
    }
    err = db_done(svc);
    return err == KITE_OK && in->out->on_platform ? kite_services(conn, in) : err;
}

kite_err directory_get(const kite_ctx *ctx, arena *a, int64_t id, facility *out, facility_service *services)
{
    memset(out, 0, sizeof *out);
    struct get_facility in = {a, id, out, services, false};
    kite_err err = db_read(ctx->store, get_tx, &in);
    return err != KITE_OK ? err : in.found ? KITE_OK : KITE_ERR_NOT_FOUND;
}
