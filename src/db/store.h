/*
 * store.h - the store's own state, shared by db.c and writer.c (inside
 * src/db only).
 *
 * db.c owns connections, the statement cache, transactions, migrations and
 * the fault hook; writer.c owns what happens around a write on an engine
 * that needs it: the group commit, checkpoints, and wake-ups at commit.
 * Both see struct db; nothing outside src/db does.
 */
#ifndef KITE_DB_STORE_H
#define KITE_DB_STORE_H

#include "db/driver.h"

#include <pthread.h>
#include <stdint.h>

/* CHECKPOINT_PAGES: SQLite's own default threshold (wal_autocheckpoint), now reached off the writers' path. */
enum { WRITE_ATTEMPTS = 8, CACHE_MIN = 64, GROUP_MAX_WRITES = 64, GROUP_MAX_MS = 8, CHECKPOINT_PAGES = 1000 };

/* Wake-ups for an engine that delivers none (db.h, db_notify): commits that queued one bump seq. */
typedef struct local_wakeups {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    uint64_t seq;
} local_wakeups;

struct db_listener {
    db *store;
    void *engine;  /* the engine's own listener, or NULL: local */
    uint64_t seen; /* local: the wake-ups taken */
};

/* The thread that copies the write-ahead log back into the database (driver.h: checkpoint). */
typedef struct checkpointer {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool started, wanted, stopping;
    int64_t runs;
} checkpointer;

/* One shared transaction of the group commit; freed when it has ended and the last of its writers has left. */
typedef struct write_batch {
    bool ended;
    kite_err err; /* the COMMIT's outcome, once ended */
    int refs; /* its writers still to leave, plus one while it is open */
} write_batch;

/* A writer waiting for its turn: woken alone, when the one before it hands the turn over. */
typedef struct turn_waiter {
    pthread_cond_t wake;
    bool go;
    struct turn_waiter *next;
} turn_waiter;

/* The group commit's state, under its own mutex (see the file comment). */
typedef struct group_commit {
    pthread_mutex_t lock;
    turn_waiter *first;   /* writers waiting for the writer connection, in arrival order */
    turn_waiter *last;
    pthread_cond_t ended; /* a batch ended */
    db_conn *conn;        /* the writer connection; opened on first use */
    bool busy;            /* a writer is using conn (its function, BEGIN or COMMIT) */
    int queued;           /* writers waiting for their turn */
    write_batch *open;    /* the batch whose transaction is open on conn, or NULL */
    int open_writes;      /* writers that joined it */
    int64_t open_since;   /* when it began, monotonic ms */
    db_group_stats stats;
} group_commit;

struct db {
    char *target;
    const db_driver *driver;
    db_dialect dialect;
    pthread_key_t thread_conn;
    pthread_mutex_t lock; /* guards conns */
    db_conn *conns;
    /*
     * One writer at a time inside this process.  The engine would serialise
     * writers anyway, but SQLite by sleeping and polling, which lets an
     * unlucky writer starve for seconds; a mutex queues them instead.
     */
    pthread_mutex_t write_lock;
    group_commit group; /* when the driver shares commits */
    checkpointer checkpoints;
    local_wakeups wakeups;
#ifdef KITE_FAULT_INJECTION
    /* Per store, not global: two stores in one test never disturb each other. Atomic: every thread counts. */
    _Atomic int64_t fault_steps; /* steps since the last db_fault_arm */
    _Atomic int64_t fault_at;    /* the step that fails; 0: none */
    _Atomic int fault_err;       /* a kite_err */
#endif
};


/* A new connection of the store, in its list (closed by db_close). */
kite_err store_conn_open(db *store, db_conn **out) KITE_WUR;
#ifdef KITE_FAULT_INJECTION
/* Counts one step of the test-only fault hook; the armed error, else KITE_OK. */
kite_err store_fault_step(db *store, const char *what) KITE_WUR;
#else
/* Release builds inject nothing: every step goes ahead, and the compiler drops the call. */
static inline kite_err store_fault_step(db *store, const char *what)
{
    (void)store;
    (void)what;
    return KITE_OK;
}
#endif

/* writer.c */
/* A write through the group commit (driver->group_commit). */
kite_err store_group_write(db *store, db_tx_fn fn, void *ctx) KITE_WUR;
/* After conn's commit is durable: wakes the local listeners when its transaction queued a wake-up. */
void store_wake_after_commit(db *store, db_conn *conn);
/* Stops the checkpoint thread, if it was started. */
void store_checkpointer_stop(db *store);

#endif
