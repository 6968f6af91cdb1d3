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

/* Step 23, privileged attorney correspondence: in its own file, migration_23.c. */
extern const char kite_migration_23_sqlite[];
extern const char kite_migration_23_pg[];
/* Step 24, retention and legal holds (migration_24.c): one file for both engines. */
extern const char kite_migration_24_sqlite[];
extern const char kite_migration_24_pg[];
/* Step 25 (migration_25.c): staff two-factor secrets, recovery codes, idle staff sessions. */
extern const char kite_migration_25_sqlite[];
extern const char kite_migration_25_pg[];
/* Step 26 (migration_26.c): video visits: policies, rooms, weekly slots, blackouts, bookings. */
extern const char kite_migration_26_sqlite[];
extern const char kite_migration_26_pg[];
/* Step 27 (migration_27.c): the live video visit's Janus rooms and the people in them. */
extern const char kite_migration_27_sqlite[];
extern const char kite_migration_27_pg[];
/* Step 28 (migration_28.c): video messages: attachment kind, duration and poster; videos_allowed; video prices. */
extern const char kite_migration_28_sqlite[];
extern const char kite_migration_28_pg[];
/* Step 29 (migration_29.c): media seen flowing: per live peer (packets, when) and per visit (when). */
extern const char kite_migration_29_sqlite[];
extern const char kite_migration_29_pg[];
/* Step 30 (migration_30.c): a visit's moves, so a reschedule to another price is re-priced once. */
extern const char kite_migration_30_sqlite[];
extern const char kite_migration_30_pg[];
/* Step 31 (migration_31.c): an event names the visit it is about. */
extern const char kite_migration_31_sqlite[];
extern const char kite_migration_31_pg[];

/* Step 15's fill of send_tally and the index it replaces: the same SQL on both engines (migrations.c says why). */
#define SEND_TALLY_FILL_SQL                                                                                       \
    "INSERT INTO send_tally (account_id, slot, hour, sent)"                                                       \
    " SELECT m.sender_account_id, (m.created_at / 3600000) % 25, m.created_at / 3600000, COUNT(*)"                \
    " FROM accounts a JOIN messages m ON m.sender_account_id = a.id"                                              \
    " AND m.created_at >= ((SELECT MAX((SELECT MAX(created_at) FROM messages WHERE sender_account_id = b.id))"    \
    " FROM accounts b) / 3600000 - 24) * 3600000"                                                                 \
    " GROUP BY m.sender_account_id, m.created_at / 3600000;"                                                      \
    "DROP INDEX messages_sender_time;"

#endif
