/*
 * migrations.h - the schema, as versioned forward-only steps.
 *
 * A step is never edited once released: a change is a new step.  db_open()
 * applies every step above the store's recorded version, each in its own
 * transaction, before anything else touches the store.
 */
#ifndef KITE_DB_MIGRATIONS_H
#define KITE_DB_MIGRATIONS_H

#include <stddef.h>

typedef struct migration {
    int version;
    const char *name;
    const char *sql; /* one or more statements, no parameters */
} migration;

/* SQLite's steps (migrations.c) and PostgreSQL's (migrations_pg.c): the same versions, the same schema. */
extern const migration kite_migrations[];
extern const size_t kite_migration_count;
extern const migration kite_migrations_pg[];
extern const size_t kite_migration_pg_count;

#endif
