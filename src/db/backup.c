/*
 * backup.c - kite backup and kite restore on SQLite (the design is in backup.h).
 *
 * SECURITY: a backup holds everything the store holds (password hashes,
 * messages, money): it is created with mode 0600, whatever the umask.  Paths
 * come from the operator's command line; nothing here reads client input.
 */
#include "db/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a copy waits for a moment when the source is not being checkpointed (WAL reset). */
enum { BUSY_WAIT_MS = 10000 };

static kite_err fail(db_backup_report *out, kite_err err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static kite_err fail(db_backup_report *out, kite_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->problem, sizeof out->problem, fmt, ap);
    va_end(ap);
    return err;
}

static bool fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

static bool fsync_folder_of(const char *path)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    return fsync_path(dirname(copy), O_RDONLY | O_DIRECTORY);
}

/* One value of a one-row PRAGMA or query, as text, into out. */
static bool query_text(sqlite3 *db, const char *sql, char *out, size_t len)
{
    sqlite3_stmt *s = NULL;
    bool ok = sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW;
    if (ok) {
        const unsigned char *text = sqlite3_column_text(s, 0);
        snprintf(out, len, "%s", text != NULL ? (const char *)text : "");
    }
    sqlite3_finalize(s);
    return ok;
}

/* The copy at path is whole and a Kite store. */
static kite_err check_copy(const char *path, db_backup_report *out)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return fail(out, KITE_ERR_IO, "the copy %s cannot be opened", path);
    }
    char text[256];
    kite_err err = KITE_OK;
    if (!query_text(db, "PRAGMA integrity_check", text, sizeof text) || strcmp(text, "ok") != 0)
        err = fail(out, KITE_ERR_STORE, "the copy is damaged (integrity check: %s)", text);
    else if (!query_text(db, "SELECT COUNT(*) FROM schema_migrations", text, sizeof text))
        err = fail(out, KITE_ERR_STORE, "the copy is not a Kite store (it has no schema_migrations table)");
    sqlite3_close(db);
    return err;
}

/* from (opened read-only) page by page into a new file to; see backup.h. */
static kite_err copy_store(const char *from, const char *to, db_backup_report *out)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(from, &st) != 0)
        return fail(out, KITE_ERR_NOT_FOUND, "%s: %s", from, strerror(errno));
    if (stat(to, &st) == 0 || errno != ENOENT)
        return fail(out, KITE_ERR_CONFLICT,
                    "%s already exists: nothing is ever written over; choose a new name, or move it aside first", to);
    char partial[PATH_MAX];
    if (snprintf(partial, sizeof partial, "%s.partial-%ld", to, (long)getpid()) >= (int)sizeof partial)
        return fail(out, KITE_ERR_INVALID_FIELD, "%s: the path is too long", to);
    int fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(out, KITE_ERR_IO, "%s: %s", partial, strerror(errno));
    close(fd);

    sqlite3 *src = NULL, *dst = NULL;
    kite_err err = KITE_OK;
    if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        err = fail(out, KITE_ERR_STORE, "%s cannot be opened: %s", from, src ? sqlite3_errmsg(src) : "out of memory");
    else if (sqlite3_open_v2(partial, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        err = fail(out, KITE_ERR_IO, "%s cannot be opened: %s", partial, dst ? sqlite3_errmsg(dst) : "out of memory");
    if (err == KITE_OK) {
        sqlite3_busy_timeout(src, BUSY_WAIT_MS);
        sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
        if (b == NULL) {
            err = fail(out, KITE_ERR_STORE, "the copy cannot start: %s", sqlite3_errmsg(dst));
        } else {
            /* -1: every page in one step, so in one read transaction of the source: one moment. */
            int rc = sqlite3_backup_step(b, -1);
            out->pages = sqlite3_backup_pagecount(b);
            if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE)
                err = fail(out, rc == SQLITE_FULL ? KITE_ERR_STORE_FULL : KITE_ERR_STORE, "the copy failed: %s",
                           rc == SQLITE_FULL ? "the disk is full" : sqlite3_errmsg(dst));
        }
    }
    sqlite3_close(src);
    sqlite3_close(dst);
    if (err == KITE_OK)
        err = check_copy(partial, out);
    if (err == KITE_OK && (stat(partial, &st) != 0 || !fsync_path(partial, O_RDWR)))
        err = fail(out, KITE_ERR_IO, "%s cannot be made durable: %s", partial, strerror(errno));
    out->bytes = err == KITE_OK ? (int64_t)st.st_size : 0;
    /* link() refuses an existing name, unlike rename(): a file made meanwhile at `to` is never replaced. */
    if (err == KITE_OK && link(partial, to) != 0)
        err = fail(out, errno == EEXIST ? KITE_ERR_CONFLICT : KITE_ERR_IO, "%s: %s", to, strerror(errno));
    unlink(partial);
    static const char *const beside[] = {"-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
        char side[PATH_MAX + 16];
        snprintf(side, sizeof side, "%s%s", partial, beside[i]);
        unlink(side);
    }
    if (err == KITE_OK && !fsync_folder_of(to))
        err = fail(out, KITE_ERR_IO, "the folder of %s cannot be made durable: %s", to, strerror(errno));
    return err;
}

kite_err db_backup_sqlite(const char *store_path, const char *backup_path, db_backup_report *out)
{
    return copy_store(store_path, backup_path, out);
}

kite_err db_restore_sqlite(const char *backup_path, const char *store_path, db_backup_report *out)
{
    return copy_store(backup_path, store_path, out);
}

kite_err db_backup_seal(const char *backup_path, db_backup_report *out)
{
    sqlite3 *db = NULL;
    char mode[32] = "";
    kite_err err = KITE_OK;
    if (sqlite3_open_v2(backup_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        !query_text(db, "PRAGMA journal_mode=DELETE", mode, sizeof mode) || strcmp(mode, "delete") != 0)
        err = fail(out, KITE_ERR_IO, "%s cannot be made one file: %s", backup_path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    if (err == KITE_OK && !fsync_path(backup_path, O_RDWR))
        err = fail(out, KITE_ERR_IO, "%s cannot be made durable: %s", backup_path, strerror(errno));
    return err;
}
