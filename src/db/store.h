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

/*
 * CHECKPOINT_PAGES: how long the log grows (in 4 KiB pages: 64 MiB) before the
 * checkpointer copies it into the database file, off the writers' path.  A
 * checkpoint writes each changed page once however many commits changed it,
 * so a long log turns the hot index pages of a burst of sends into one write
 * each.  At SQLite's own 1,000 pages, writing and syncing files took a
 * quarter of the server's CPU in a burst of sends (perf); at 64 MiB, sends at
 * 64 connections went from 4,900/s to 6,100/s (bench/README.md).  The cost:
 * the -wal file keeps that size on disk, and opening after a crash reads it.
 */
enum { WRITE_ATTEMPTS = 8, CACHE_MIN = 64, GROUP_MAX_WRITES = 64, GROUP_MAX_MS = 8, CHECKPOINT_PAGES = 16384 };

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

/* Where a queued writer is: waiting, asked to lead a batch, or answered. */
typedef enum writer_state { WRITER_QUEUED, WRITER_LEADS, WRITER_DONE } writer_state;

/* A writer in the group commit's queue: on its own thread's stack until it is answered. */
typedef struct writer_slot {
    pthread_cond_t wake;  /* it waits alone: a leader wakes it to lead or with its answer */
    db_tx_fn fn;
    void *ctx;
    void *fault;          /* its thread's fault counter (test builds): its steps count there, whoever runs fn */
    bool alone;           /* must not share its transaction (its last shared COMMIT failed) */
    writer_state state;
    kite_err own;         /* fn's outcome, once done */
    kite_err shared;      /* the outcome of the COMMIT it shared, once done */
    struct writer_slot *next;
} writer_slot;

/* The group commit's state, under its own mutex (writer.c says how it works). */
typedef struct group_commit {
    pthread_mutex_t lock;
    writer_slot *first;   /* writers waiting, in arrival order */
    writer_slot *last;
    int queued;
    bool leading;         /* a writer leads a batch on conn (or has been asked to) */
    bool leader_waiting;  /* the leader, with nobody queued, waits for a sync to end or a writer to come */
    pthread_cond_t leader_wake;
    db_conn *conn;        /* the writer connection; opened on first use */
    bool sync_apart;      /* conn's COMMIT leaves the log's fsync to the leader, outside its lead (writer.c) */
    int64_t committed;    /* COMMITs so far, numbered 1.. */
    int64_t synced;       /* every COMMIT numbered up to this is durable */
    bool syncing;         /* a leader is syncing the log for every COMMIT made before it began */
    pthread_cond_t sync_ended;
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
/* The per-request fault counter this thread counts on now (its own unless store_fault_use said otherwise). */
void *store_fault_current(void);
/* Makes this thread count on counter (NULL: its own) while it runs another thread's write; returns the one before. */
void *store_fault_use(void *counter);
#else
static inline void *store_fault_current(void)
{
    return NULL;
}
static inline void *store_fault_use(void *counter)
{
    (void)counter;
    return NULL;
}
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
