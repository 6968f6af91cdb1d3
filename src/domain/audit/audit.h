/*
 * audit.h - the append-only, hash-chained audit log.
 *
 * Every state change appends a record (time, actor, action, target, detail)
 * inside the same transaction as the change itself, so a change and its
 * record commit or vanish together.  Each record's hash is the SHA-256 of
 * the previous record's hash and of its own fields, so editing, deleting or
 * reordering a record breaks the chain from that record on.  (Cutting records
 * off the end is only detectable against a copy of the last hash kept
 * elsewhere.)
 *
 * Retention (audit_cut) deletes the oldest records only together with a
 * checkpoint: a row of audit_checkpoints with the id and the hash of the
 * last record deleted, and an "audit.checkpoint" record in the chain that
 * says the same.  Verifying then starts from the newest checkpoint; a
 * record missing anywhere else still breaks the chain.  (Like cutting off
 * the end, a cut rewritten by someone who can write the store - checkpoint,
 * announcement and every later hash - is only detectable against a copy.)
 */
#ifndef KITE_DOMAIN_AUDIT_AUDIT_H
#define KITE_DOMAIN_AUDIT_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "db/db.h"

/* actor: "account:12", "cli", "system"; target: "account:12", "facility:3" ... */
kite_err audit_append(db_conn *conn, int64_t at_ms, const char *actor, const char *action,
                      const char *target, const char *detail) KITE_WUR;

/*
 * Deferred appends, for a transaction that writes several records (a send
 * writes one per step of its message and one per ledger posting).  Between
 * audit_defer_begin(conn) and audit_defer_end(conn, err) this thread's
 * audit_append on conn keeps the record in memory, in order; the end writes
 * them all when err is KITE_OK - one read of the chain's head and one INSERT
 * for all rows - and drops them otherwise (the transaction rolls back, so
 * nothing of it stays).  The rows, their ids and hashes are exactly those
 * the appends one by one would have written: the chain and `kite audit
 * verify` are the same.  Returns err, or the store's error in writing them.
 * Only for a transaction function that returns what audit_defer_end returns
 * and never carries on past a refused step (a rolled-back savepoint would
 * otherwise keep its records here).
 */
void audit_defer_begin(db_conn *conn);
kite_err audit_defer_end(db_conn *conn, kite_err err) KITE_WUR;

/*
 * The names records give to who acted and what was acted on, spelt in one
 * place because `kite audit` readers and tests search for them: "account:ID"
 * for an account (actor or target), "KIND:ID" for anything else
 * (audit_target(a, "message", 12) is "message:12").  Both live in a.
 */
const char *audit_actor_account(arena *a, int64_t account_id);
const char *audit_target(arena *a, const char *kind, int64_t id);

/*
 * A soft removal and its record in one transaction, the shape facility lists
 * share (blocks, screening rules): sql is the caller's constant
 * "UPDATE t SET removed_at = $1 WHERE id = $2 AND facility_id = $3 AND removed_at IS NULL";
 * the record is (actor, action, audit_target(kind, id), ""). Run it with
 * db_write(store, audit_removal_tx, &removal).  KITE_ERR_NOT_FOUND when no
 * row changed: unknown, another facility's, or removed already.
 */
typedef struct audit_removal {
    arena *a;
    const char *sql;
    int64_t now, id, facility_id;
    const char *actor, *action, *kind;
} audit_removal;

kite_err audit_removal_tx(db_conn *conn, void *removal) KITE_WUR;

typedef struct audit_report {
    int64_t count;        /* records checked */
    int64_t first_broken; /* id of the first record that does not verify, 0 when whole */
    int64_t checkpoint_through; /* verified from the checkpoint after this record; 0: from record 1 */
    int64_t checkpoint_deleted; /* records that checkpoint's cut deleted */
    bool checkpoint_announced;  /* the chain holds the checkpoint's own record (required) */
} audit_report;

/* The action of a checkpoint's record in the chain; its target is "audit:ID" (the last record deleted). */
#define AUDIT_CHECKPOINT_ACTION "audit.checkpoint"

/*
 * Inside the caller's transaction: deletes the records older than cutoff_ms
 * (the oldest ones, in id order, up to the first record at or after it, and
 * never the newest record), with their checkpoint and its record by actor.
 * *deleted: how many went (0: nothing was due, and nothing is written).
 */
kite_err audit_cut(db_conn *conn, arena *a, int64_t now, int64_t cutoff_ms, const char *actor,
                   int64_t *deleted) KITE_WUR;

kite_err audit_verify(db *store, audit_report *out) KITE_WUR;

#endif
