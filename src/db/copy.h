/*
 * copy.h - copies every table of a SQLite store into another store that
 * holds no data yet (kite migrate-store moves a deployment to PostgreSQL).
 *
 * It knows nothing of Kite's domain: it reads the tables, their columns and
 * their foreign keys from the source's own catalogue, so a migration that
 * adds a table needs no change here.  Both stores must be at the same schema
 * version (db_open brings each to the one this build knows).
 *
 * Consistency: the source is read inside ONE db_read, a snapshot, so a
 * server may go on writing to it meanwhile and the copy is still the store
 * as of one moment.  The target is written in batches, one db_write each,
 * so a large store never becomes one huge transaction.  The target is only
 * ever an empty store: the copy refuses one that holds a row anywhere (but
 * in schema_migrations), since merging two live stores is not a copy.
 *
 * Order: a parent table before the tables that refer to it.  Where foreign
 * keys form a cycle (ledger transactions and holds refer to each other), a
 * nullable reference in the cycle is written NULL first and set once every
 * table is in.  Ids are copied as they are; on PostgreSQL every identity
 * sequence is then moved past the largest id, or the next insert collides.
 */
#ifndef KITE_DB_COPY_H
#define KITE_DB_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

enum { DB_COPY_NAME_MAX = 64, DB_COPY_PROBLEM_MAX = 256 };

/* Called as a table starts (done 0, unless it is empty), after each batch, and when it is whole (done == total). */
typedef void (*db_copy_progress_fn)(void *ctx, const char *table, int64_t done, int64_t total);

typedef struct db_copy_options {
    int batch_rows; /* rows per target transaction; 0: the default (2000) */
    db_copy_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    /*
     * May be NULL.  Runs on the source connection inside the same snapshot
     * after every row is copied: the caller's own checks of the store as it
     * was copied (audit chain, ledger totals), to compare with the target.
     */
    db_tx_fn snapshot_fn;
    void *snapshot_ctx;
} db_copy_options;

typedef struct db_copy_table {
    char name[DB_COPY_NAME_MAX];
    int64_t rows; /* in the source snapshot, and copied */
} db_copy_table;

typedef struct db_copy_report {
    db_copy_table *tables; /* in the order copied; free with db_copy_report_free */
    size_t count;
    int64_t rows;          /* all tables */
    int deferred_columns;  /* references written after the rows, to break a cycle */
    int sequences;         /* identity sequences moved past the largest id */
    /* Why the copy or a check failed, in a sentence: "the target already holds data (table accounts)". */
    char problem[DB_COPY_PROBLEM_MAX];
} db_copy_report;

/*
 * Copies source (a SQLite store) into target.  KITE_ERR_CONFLICT: the target
 * holds data or its schema differs (nothing written).  Any other failure may
 * leave a partial copy in the target: drop that database and start again.
 * report->problem says what happened in both cases.
 */
kite_err db_copy(db *source, db *target, const db_copy_options *opt, db_copy_report *report) KITE_WUR;

/*
 * Counts every table of report on target (one snapshot) and compares with
 * the rows copied; KITE_ERR_CONFLICT and report->problem name the first
 * table that differs.
 */
kite_err db_copy_verify_counts(db *target, db_copy_report *report) KITE_WUR;

void db_copy_report_free(db_copy_report *report);

#endif
