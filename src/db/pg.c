/*
 * pg.c - the PostgreSQL engine, through libpq.
 *
 * Statements: each connection prepares a statement once, on its first run,
 * under a name of its own (PQprepare), and runs it with PQexecPrepared:
 * parameters go as text (integers printed in decimal) and their types are
 * inferred by the server from where they stand, which is what lets the
 * same $N SQL run on SQLite; blobs go in binary.  Rows come back as text:
 * integers are parsed, a boolean ("t"/"f") reads as 1/0 like SQLite's
 * comparisons, and bytea is unescaped by libpq.  A result is read whole,
 * so stepping a statement while another runs on the same connection works
 * as it does on SQLite.
 *
 * Writers: every write transaction begins with one transaction-scoped
 * advisory lock (WRITER_LOCK), at READ COMMITTED.  Each statement after it
 * sees everything committed before the lock was granted, and no other
 * writer runs until COMMIT, so every write transaction runs exactly as it
 * does on SQLite, where there is one writer at a time: a balance read and
 * the entry that depends on it, a daily-limit count and the insert it
 * allows, the audit chain's last hash and the next record, an event id and
 * its commit order all stay exact with any number of kite processes.  This
 * is the lock every money path needs and more; it costs write concurrency,
 * which the measured figures in docs/scaling.md weigh.  Reads run at
 * REPEATABLE READ, READ ONLY: one snapshot, no lock, any number at once.
 *
 * Failures: a unique, foreign-key or check violation is a conflict; a
 * serialization failure, a deadlock, a lost connection, or a server that
 * is shutting down or read-only (a standby) is "busy", and db.c runs the
 * transaction again.  A lost connection is reopened at the next BEGIN
 * with the same connection string: when it names several hosts with
 * target_session_attrs=read-write, libpq finds the new primary after a
 * failover, without a restart.  A connection lost during COMMIT leaves the
 * outcome unknown: KITE_ERR_OUTCOME_UNKNOWN (503, saying so), never run
 * again blindly (a paid request's Idempotency-Key makes the client's own
 * retry safe).  A server thread that cannot open its first connection is
 * "busy" too: the store may be failing over.
 * After any failed statement PostgreSQL refuses the rest of the
 * transaction; we answer each later statement with the first error, so a
 * caller sees the cause, not "transaction aborted" - except ROLLBACK TO
 * SAVEPOINT, which undoes the failure as it does on SQLite (the ledger
 * refuses a posting that way and the transaction goes on).
 *
 * SECURITY: the connection URI may carry a password; it is never logged
 * (libpq's own messages do not repeat it).
 */
#include "core/alloc.h"
#include "core/log.h"
#include "db/driver.h"

#include <ctype.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any constant shared by every kite process; 'KITE' in ASCII. */
#define WRITER_LOCK "1262094405"
/* pg_type's fixed OIDs (catalog/pg_type.h, not shipped with libpq). */
enum { BOOL_OID = 16, BYTEA_OID = 17, INT8_OID = 20, INT2_OID = 21, INT4_OID = 23, TEXT_OID = 25, MAX_PARAMS = 64 };

typedef struct pg_conn {
    PGconn *pg;
    uint64_t generation; /* bumped on each reconnection: the server forgot our prepared statements */
    uint64_t names;      /* statements named so far on this connection */
    bool in_tx;
    bool reconnect; /* the server said it cannot take writes or is going away */
    kite_err failed; /* the first failure of the open transaction */
    int64_t changes;
} pg_conn;

typedef struct pg_stmt {
    char name[24];
    int nparams;
    bool rolls_back_to_savepoint; /* may run after a failure, and ends it when it succeeds */
    /*
     * A variant of a query may skip a number ($1, $3, $4); the server cannot
     * guess the type of the one it never sees, so it is declared text (and
     * never bound).  The others: 0, inferred from where they stand.
     */
    Oid types[MAX_PARAMS];
    uint64_t generation; /* the connection generation it was prepared in; 0: never */
    char **values;
    int *lengths;
    int *formats;
    PGresult *res;
    int row;
    int rows;
    unsigned char **blobs; /* unescaped bytea of the current row, freed on the next step */
    size_t nblobs;
} pg_stmt;

static pg_conn *conn_of(db_conn *conn)
{
    return conn->engine;
}

static pg_stmt *stmt_of(db_stmt *stmt)
{
    return stmt->engine;
}

/* libpq's messages end with a newline; the log adds its own. */
static void log_pg(const char *what, const char *message)
{
    size_t len = strlen(message);
    while (len > 0 && isspace((unsigned char)message[len - 1]))
        len--;
    log_error("store: %s: %.*s", what, (int)len, message);
}

/* CREATE TABLE IF NOT EXISTS and the like speak as notices; they are not news. */
static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* On every new session, also after a reconnection. */
static void session_setup(PGconn *pg)
{
    PQsetNoticeProcessor(pg, quiet_notices, NULL);
    /*
     * A writer waits for the writer lock at most as long as a SQLite writer
     * waits for the file (then 503, and the client tries again); a kite
     * process that stops dead inside a transaction loses it, and the lock,
     * after 30 s instead of stalling every other process for ever.
     */
    PGresult *set = PQexec(pg, "SET lock_timeout = '10s'; SET idle_in_transaction_session_timeout = '30s'");
    if (PQresultStatus(set) != PGRES_COMMAND_OK)
        log_pg("cannot set the session's timeouts", PQresultErrorMessage(set));
    PQclear(set);
}

static kite_err pg_open(db_conn *conn, const char *uri)
{
    PGconn *pg = PQconnectdb(uri);
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        log_pg("cannot connect to PostgreSQL", pg != NULL ? PQerrorMessage(pg) : "out of memory");
        PQfinish(pg);
        return KITE_ERR_BUSY;
    }
    session_setup(pg);
    pg_conn *c = xcalloc(1, sizeof *c);
    c->pg = pg;
    c->generation = 1;
    conn->engine = c;
    return KITE_OK;
}

static void pg_close(db_conn *conn)
{
    pg_conn *c = conn_of(conn);
    PQfinish(c->pg);
    free(c);
    conn->engine = NULL;
}

static bool sqlstate_is(const char *state, const char *prefix)
{
    return state != NULL && strncmp(state, prefix, strlen(prefix)) == 0;
}

/* What a failed result means to Kite; marks the connection for reopening when it must be. */
static kite_err classify(pg_conn *c, const PGresult *res, const char *what)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (sqlstate_is(state, "23"))
        return KITE_ERR_CONFLICT;
    if (sqlstate_is(state, "40001") || sqlstate_is(state, "40P01") || sqlstate_is(state, "55P03"))
        return KITE_ERR_BUSY; /* serialization failure, deadlock, lock_timeout */
    if (state == NULL || PQstatus(c->pg) != CONNECTION_OK || sqlstate_is(state, "08") ||
        sqlstate_is(state, "57P") || sqlstate_is(state, "25006")) {
        c->reconnect = true;
        log_pg(what, PQerrorMessage(c->pg));
        return KITE_ERR_BUSY;
    }
    log_pg(what, res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
    /* disk_full: said plainly to the person and the operator; the server itself stays up. */
    return sqlstate_is(state, "53100") ? KITE_ERR_STORE_FULL : KITE_ERR_STORE;
}

static kite_err pg_script(db_conn *conn, const char *sql)
{
    pg_conn *c = conn_of(conn);
    PGresult *res = PQexec(c->pg, sql);
    ExecStatusType status = PQresultStatus(res);
    kite_err err = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ? KITE_OK : classify(c, res, "script");
    PQclear(res);
    if (err != KITE_OK && c->in_tx && c->failed == KITE_OK)
        c->failed = err;
    return err;
}

/* Reopens a connection that broke (or reached a standby) with its own connection string. */
static bool ensure_connected(pg_conn *c, bool last_attempt)
{
    if (PQstatus(c->pg) == CONNECTION_OK && !c->reconnect)
        return true;
    PQreset(c->pg);
    c->generation++;
    c->reconnect = false;
    if (PQstatus(c->pg) == CONNECTION_OK) {
        session_setup(c->pg);
        log_info("store: reconnected to PostgreSQL");
        return true;
    }
    if (last_attempt)
        log_pg("cannot reconnect to PostgreSQL", PQerrorMessage(c->pg));
    return false;
}

static kite_err pg_begin(db_conn *conn, db_tx_kind kind, bool last_attempt)
{
    pg_conn *c = conn_of(conn);
    if (!ensure_connected(c, last_attempt))
        return KITE_ERR_BUSY;
    const char *begin = kind == DB_TX_WRITE
                            ? "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" WRITER_LOCK ")"
                            : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    PGresult *res = PQexec(c->pg, begin);
    ExecStatusType status = PQresultStatus(res);
    kite_err err = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ? KITE_OK : classify(c, res, "BEGIN");
    PQclear(res);
    /*
     * BEGIN may have opened the transaction and the lock wait then failed
     * (lock_timeout while another process loads the directory): end it, or
     * the next BEGIN meets "current transaction is aborted".
     */
    if (err != KITE_OK && PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        PQclear(PQexec(c->pg, "ROLLBACK"));
    c->in_tx = err == KITE_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE;
    c->failed = KITE_OK;
    return err;
}

static kite_err pg_commit(db_conn *conn)
{
    pg_conn *c = conn_of(conn);
    if (c->failed != KITE_OK)
        return c->failed;
    PGresult *res = PQexec(c->pg, "COMMIT");
    kite_err err = KITE_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        /* The server may have committed before the connection broke: never run it again blindly. */
        bool lost = PQstatus(c->pg) != CONNECTION_OK;
        err = classify(c, res, lost ? "COMMIT (outcome unknown: the connection was lost)" : "COMMIT");
        if (lost)
            err = KITE_ERR_OUTCOME_UNKNOWN;
    } else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        log_error("store: COMMIT answered %s", PQcmdStatus(res)); /* a failed transaction rolls back */
        err = KITE_ERR_STORE;
    }
    PQclear(res);
    c->in_tx = PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE;
    return err;
}

static void pg_rollback(db_conn *conn)
{
    pg_conn *c = conn_of(conn);
    if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        PQclear(PQexec(c->pg, "ROLLBACK"));
    c->in_tx = false;
    c->failed = KITE_OK;
}

static bool pg_in_tx(db_conn *conn)
{
    pg_conn *c = conn_of(conn);
    return PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE;
}

/* The highest $N outside quoted text (how many parameters it takes); types[n-1] = 0 for each $n seen. */
static int count_params(const char *sql, Oid types[MAX_PARAMS])
{
    for (int i = 0; i < MAX_PARAMS; i++)
        types[i] = TEXT_OID;
    int highest = 0;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        if (quote != 0) {
            if (*p == quote)
                quote = 0;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '$' && isdigit((unsigned char)p[1])) {
            long n = strtol(p + 1, NULL, 10);
            if (n < 1 || n > MAX_PARAMS) {
                fprintf(stderr, "kite: SQL has a parameter beyond $%d: %s\n", MAX_PARAMS, sql);
                abort();
            }
            types[n - 1] = 0;
            if (n > highest)
                highest = (int)n;
        }
    }
    return highest;
}

static void pg_prepare(db_stmt *stmt)
{
    pg_stmt *s = xcalloc(1, sizeof *s);
    pg_conn *c = conn_of(stmt->conn);
    snprintf(s->name, sizeof s->name, "k%" PRIu64, ++c->names);
    s->nparams = count_params(stmt->sql, s->types);
    s->rolls_back_to_savepoint = strncmp(stmt->sql, "ROLLBACK TO SAVEPOINT ", 22) == 0;
    if (s->nparams > 0) {
        s->values = xcalloc((size_t)s->nparams, sizeof *s->values);
        s->lengths = xcalloc((size_t)s->nparams, sizeof *s->lengths);
        s->formats = xcalloc((size_t)s->nparams, sizeof *s->formats);
    }
    stmt->engine = s;
}

static void free_blobs(pg_stmt *s)
{
    for (size_t i = 0; i < s->nblobs; i++)
        PQfreemem(s->blobs[i]);
    free(s->blobs);
    s->blobs = NULL;
    s->nblobs = 0;
}

static void pg_reset(db_stmt *stmt)
{
    pg_stmt *s = stmt_of(stmt);
    for (int i = 0; i < s->nparams; i++) {
        free(s->values[i]);
        s->values[i] = NULL;
        s->lengths[i] = 0;
        s->formats[i] = 0;
    }
    free_blobs(s);
    PQclear(s->res);
    s->res = NULL;
    s->row = 0;
    s->rows = 0;
}

static void pg_finalize(db_stmt *stmt)
{
    pg_stmt *s = stmt_of(stmt);
    pg_reset(stmt);
    free(s->values);
    free(s->lengths);
    free(s->formats);
    free(s);
}

/* The slot of $n; a parameter the SQL does not have is a programming error. */
static int param_slot(db_stmt *stmt, int n)
{
    if (n < 1 || n > stmt_of(stmt)->nparams || stmt_of(stmt)->types[n - 1] != 0) {
        fprintf(stderr, "kite: SQL has no parameter $%d: %s\n", n, stmt->sql);
        abort();
    }
    int slot = n - 1;
    free(stmt_of(stmt)->values[slot]);
    stmt_of(stmt)->values[slot] = NULL;
    return slot;
}

static kite_err pg_bind_int(db_stmt *stmt, int n, int64_t value)
{
    int slot = param_slot(stmt, n);
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, value);
    stmt_of(stmt)->values[slot] = xstrdup(text);
    stmt_of(stmt)->formats[slot] = 0;
    return KITE_OK;
}

static kite_err pg_bind_text(db_stmt *stmt, int n, const char *value)
{
    int slot = param_slot(stmt, n);
    stmt_of(stmt)->values[slot] = xstrdup(value);
    stmt_of(stmt)->formats[slot] = 0;
    return KITE_OK;
}

static kite_err pg_bind_blob(db_stmt *stmt, int n, const void *data, size_t len)
{
    int slot = param_slot(stmt, n);
    char *copy = xmalloc(len > 0 ? len : 1);
    if (len > 0)
        memcpy(copy, data, len);
    stmt_of(stmt)->values[slot] = copy;
    stmt_of(stmt)->lengths[slot] = (int)len;
    stmt_of(stmt)->formats[slot] = 1;
    return KITE_OK;
}

static kite_err pg_bind_null(db_stmt *stmt, int n)
{
    param_slot(stmt, n);
    return KITE_OK;
}

/* Prepares on this connection if it has not been (or was reopened since). */
static kite_err ensure_prepared(db_stmt *stmt)
{
    pg_conn *c = conn_of(stmt->conn);
    pg_stmt *s = stmt_of(stmt);
    if (s->generation == c->generation)
        return KITE_OK;
    PGresult *res = PQprepare(c->pg, s->name, stmt->sql, s->nparams, s->types);
    kite_err err = KITE_OK;
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        s->generation = c->generation;
    } else if (sqlstate_is(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42")) {
        fprintf(stderr, "kite: SQL does not compile on PostgreSQL: %s  %s\n", PQresultErrorMessage(res), stmt->sql);
        abort();
    } else {
        err = classify(c, res, "prepare");
    }
    PQclear(res);
    return err;
}

static bool is_write_command(const char *status)
{
    return strncmp(status, "INSERT", 6) == 0 || strncmp(status, "UPDATE", 6) == 0 ||
           strncmp(status, "DELETE", 6) == 0;
}

static kite_err run(db_stmt *stmt)
{
    pg_conn *c = conn_of(stmt->conn);
    pg_stmt *s = stmt_of(stmt);
    if (c->failed != KITE_OK && !s->rolls_back_to_savepoint)
        return c->failed;
    kite_err err = ensure_prepared(stmt);
    if (err == KITE_OK) {
        s->res = PQexecPrepared(c->pg, s->name, s->nparams, (const char *const *)s->values, s->lengths, s->formats, 0);
        ExecStatusType status = PQresultStatus(s->res);
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
            if (is_write_command(PQcmdStatus(s->res)))
                c->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
            s->rows = PQntuples(s->res);
            s->row = -1;
            if (s->rolls_back_to_savepoint)
                c->failed = KITE_OK; /* what failed after the savepoint is undone; the transaction goes on */
            return KITE_OK;
        }
        err = classify(c, s->res, stmt->sql);
        PQclear(s->res);
        s->res = NULL;
    }
    if (c->in_tx)
        c->failed = err;
    return err;
}

static kite_err pg_step(db_stmt *stmt, bool *row)
{
    pg_stmt *s = stmt_of(stmt);
    *row = false;
    if (s->res == NULL) {
        kite_err err = run(stmt);
        if (err != KITE_OK)
            return err;
    }
    free_blobs(s);
    if (s->row < s->rows)
        s->row++;
    *row = s->row < s->rows;
    return KITE_OK;
}

static bool pg_column_is_null(db_stmt *stmt, int col)
{
    pg_stmt *s = stmt_of(stmt);
    return s->res == NULL || s->row >= s->rows || PQgetisnull(s->res, s->row, col);
}

static int pg_column_count(db_stmt *stmt)
{
    return stmt_of(stmt)->res != NULL ? PQnfields(stmt_of(stmt)->res) : 0;
}

static db_type pg_column_type(db_stmt *stmt, int col)
{
    if (pg_column_is_null(stmt, col))
        return DB_TYPE_NULL;
    switch (PQftype(stmt_of(stmt)->res, col)) {
    case BOOL_OID:
    case INT2_OID:
    case INT4_OID:
    case INT8_OID:
        return DB_TYPE_INT;
    case BYTEA_OID:
        return DB_TYPE_BLOB;
    default:
        return DB_TYPE_TEXT;
    }
}

static int64_t pg_column_int(db_stmt *stmt, int col)
{
    if (pg_column_is_null(stmt, col))
        return 0;
    const char *v = PQgetvalue(stmt_of(stmt)->res, stmt_of(stmt)->row, col);
    if (strcmp(v, "t") == 0)
        return 1;
    if (strcmp(v, "f") == 0)
        return 0;
    return strtoll(v, NULL, 10);
}

static const char *pg_column_text(db_stmt *stmt, int col)
{
    if (pg_column_is_null(stmt, col))
        return NULL;
    return PQgetvalue(stmt_of(stmt)->res, stmt_of(stmt)->row, col);
}

static const void *pg_column_blob(db_stmt *stmt, int col, size_t *len)
{
    pg_stmt *s = stmt_of(stmt);
    *len = 0;
    if (pg_column_is_null(stmt, col))
        return NULL;
    const char *v = PQgetvalue(s->res, s->row, col);
    if (PQftype(s->res, col) != BYTEA_OID) {
        *len = (size_t)PQgetlength(s->res, s->row, col);
        return v;
    }
    unsigned char *data = PQunescapeBytea((const unsigned char *)v, len);
    if (data == NULL) {
        log_error("store: cannot read a bytea column (out of memory)");
        return NULL;
    }
    s->blobs = xrealloc(s->blobs, (s->nblobs + 1) * sizeof *s->blobs);
    s->blobs[s->nblobs++] = data;
    return data;
}

static int64_t pg_changes(db_conn *conn)
{
    return conn_of(conn)->changes;
}

/* ---- LISTEN: a connection of its own, waited on with poll(2) ---------------- */

typedef struct pg_listener {
    PGconn *pg;
    char *listen_sql; /* LISTEN "channel" */
} pg_listener;

static bool listener_subscribe(pg_listener *l)
{
    PGresult *res = PQexec(l->pg, l->listen_sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

static void *pg_listen(const char *target, const char *channel)
{
    pg_listener *l = xcalloc(1, sizeof *l);
    l->pg = PQconnectdb(target);
    if (l->pg == NULL) {
        free(l);
        return NULL;
    }
    PQsetNoticeProcessor(l->pg, quiet_notices, NULL);
    char *quoted = PQstatus(l->pg) == CONNECTION_OK ? PQescapeIdentifier(l->pg, channel, strlen(channel)) : NULL;
    size_t size = strlen(channel) * 2 + 16;
    l->listen_sql = xmalloc(size);
    if (quoted != NULL) {
        snprintf(l->listen_sql, size, "LISTEN %s", quoted);
        PQfreemem(quoted);
    } else {
        snprintf(l->listen_sql, size, "LISTEN \"%s\"", channel); /* a fixed identifier from Kite itself */
    }
    if (PQstatus(l->pg) != CONNECTION_OK || !listener_subscribe(l))
        log_pg("cannot listen for wake-ups yet (will retry)", PQerrorMessage(l->pg));
    return l;
}

/* Takes every notification waiting; true when there was one. */
static bool drain(pg_listener *l)
{
    bool any = false;
    PGnotify *n;
    while ((n = PQnotifies(l->pg)) != NULL) {
        any = true;
        PQfreemem(n);
    }
    return any;
}

static bool pg_listener_wait(void *listener, int timeout_ms)
{
    pg_listener *l = listener;
    if (PQstatus(l->pg) != CONNECTION_OK) {
        PQreset(l->pg);
        if (PQstatus(l->pg) != CONNECTION_OK || !listener_subscribe(l)) {
            poll(NULL, 0, timeout_ms);
            return false;
        }
        log_info("store: listening for wake-ups again");
        return true; /* a wake-up may have come while the connection was down */
    }
    if (drain(l))
        return true;
    struct pollfd fd = {.fd = PQsocket(l->pg), .events = POLLIN};
    if (poll(&fd, 1, timeout_ms) <= 0)
        return false;
    if (PQconsumeInput(l->pg) == 0)
        return true; /* lost: the next wait reconnects, and the caller looks meanwhile */
    return drain(l);
}

static void pg_listener_close(void *listener)
{
    pg_listener *l = listener;
    PQfinish(l->pg);
    free(l->listen_sql);
    free(l);
}

const db_driver db_pg_driver = {
    .name = "PostgreSQL",
    .migrations = kite_migrations_pg,
    .migration_count = &kite_migration_pg_count,
    .migrations_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version BIGINT PRIMARY KEY, name TEXT COLLATE \"C\" NOT NULL, applied_at BIGINT NOT NULL)",
    .open = pg_open,
    .close = pg_close,
    .script = pg_script,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .in_tx = pg_in_tx,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .bind_int = pg_bind_int,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .column_count = pg_column_count,
    .column_type = pg_column_type,
    .column_int = pg_column_int,
    .column_is_null = pg_column_is_null,
    .column_text = pg_column_text,
    .column_blob = pg_column_blob,
    .changes = pg_changes,
    .notify_sql = "SELECT pg_notify($1, '')",
    .listen = pg_listen,
    .listener_wait = pg_listener_wait,
    .listener_close = pg_listener_close,
};
