/*
 * sqlite_trace.c - an LD_PRELOAD module that writes every SQL statement a
 * process runs through SQLite to the file named by KITE_SQL_TRACE.
 *
 * usage: KITE_SQL_TRACE=/tmp/sql.txt LD_PRELOAD=build-bench/bench/libsqlite_trace.so kite serve ...
 *
 * Design: it wraps sqlite3_open_v2 (the call src/db/sqlite.c opens each
 * connection with), lets the real one open the handle, then registers a
 * SQLITE_TRACE_STMT callback on it.  Each line is "<connection> <sql>", the
 * statement's text as prepared (its $N parameters unexpanded), so the
 * statements of one request are read off in order between the BEGIN
 * IMMEDIATE and COMMIT of its connection.  This is how the table of a send's
 * statements in bench_sqlite_peer.c is made and kept in step: run one real
 * send under it (bench/trace_send.sh) and compare.  Statements run by
 * triggers come as "-- " lines after the one that fired them.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*open_fn)(const char *, sqlite3 **, int, const char *);

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *trace_out;

static int on_statement(unsigned type, void *ctx, void *p, void *x)
{
    (void)ctx;
    (void)x;
    if (type != SQLITE_TRACE_STMT)
        return 0;
    sqlite3_stmt *stmt = p;
    const char *sql = sqlite3_sql(stmt);
    pthread_mutex_lock(&trace_lock);
    if (trace_out != NULL && sql != NULL) {
        fprintf(trace_out, "%p %s\n", (void *)sqlite3_db_handle(stmt), sql);
        fflush(trace_out);
    }
    pthread_mutex_unlock(&trace_lock);
    return 0;
}

int sqlite3_open_v2(const char *path, sqlite3 **db, int flags, const char *vfs)
{
    open_fn real;
    *(void **)&real = dlsym(RTLD_NEXT, "sqlite3_open_v2");
    if (real == NULL)
        return SQLITE_ERROR;
    int rc = real(path, db, flags, vfs);
    pthread_mutex_lock(&trace_lock);
    if (trace_out == NULL && getenv("KITE_SQL_TRACE") != NULL)
        trace_out = fopen(getenv("KITE_SQL_TRACE"), "a");
    pthread_mutex_unlock(&trace_lock);
    if (rc == SQLITE_OK && *db != NULL)
        sqlite3_trace_v2(*db, SQLITE_TRACE_STMT, on_statement, NULL);
    return rc;
}
