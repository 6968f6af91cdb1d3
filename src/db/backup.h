/*
 * backup.h - a consistent copy of a SQLite store while a server writes to
 * it (kite backup), and the way back (kite restore).
 *
 * Design: SQLite's online backup API copies every page of the store inside
 * one read transaction, so the copy is the store as of one moment, and in
 * WAL mode a reader never holds up the server's writers.  The copy is
 * written to a temporary file beside the target, checked (PRAGMA
 * integrity_check, and that it is a Kite store: schema_migrations), made
 * durable (fsync of the file, then of its folder after the rename) and only
 * then linked into place: a target path either does not exist or holds a
 * whole, checked copy.  A backup is one file once the command has ended
 * (nothing is left in a log beside it), fit to copy elsewhere.
 *
 * Neither ever replaces a file: an existing target is refused, so a mistyped
 * path cannot overwrite a live store or an older backup.  To restore over a
 * store, the operator stops the server and moves the store aside first.
 *
 * PostgreSQL stores are backed up with PostgreSQL's own tools; these
 * functions take SQLite paths only.
 */
#ifndef KITE_DB_BACKUP_H
#define KITE_DB_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum { DB_BACKUP_PROBLEM_MAX = 512 };

typedef struct db_backup_report {
    int64_t pages;
    int64_t bytes;
    char problem[DB_BACKUP_PROBLEM_MAX]; /* on failure: what went wrong, for a person */
} db_backup_report;

/* store_path (served or not) to backup_path, which must not exist. */
kite_err db_backup_sqlite(const char *store_path, const char *backup_path, db_backup_report *out) KITE_WUR;
/*
 * After the backup was opened to be verified (which puts it in WAL mode, as
 * every store Kite opens): back to one file, with nothing beside it.
 */
kite_err db_backup_seal(const char *backup_path, db_backup_report *out) KITE_WUR;
/* backup_path to store_path, which must not exist; the server is then started on store_path. */
kite_err db_restore_sqlite(const char *backup_path, const char *store_path, db_backup_report *out) KITE_WUR;

#endif
