/*
 * bench_sqlite_peer.c - what SQLite alone gives on this machine, as peers of
 * Kite's own figures in bench_run's table.
 *
 * usage: bench_sqlite_peer send  DB  [--batch N] [--seconds S]
 *        bench_sqlite_peer floor DIR [--batch N] [--seconds S]
 *        bench_sqlite_peer inbox|thread|queue DB  [--seconds S]
 *        bench_sqlite_peer list
 *
 * send:  a copy of a store Kite has just served (bench_run makes it), opened
 *        with Kite's pragmas (src/db/sqlite.c: WAL, synchronous=FULL,
 *        foreign_keys=ON, temp_store=MEMORY), and for each message the
 *        statements one POST /api/v1/messages runs: the `send_statements`
 *        table below, in order, each prepared once and bound per message.
 *        --batch 1: each message in its own write transaction (BEGIN
 *        IMMEDIATE ... COMMIT) after the request's read transaction, as Kite
 *        runs them today; --batch N: N messages (their reads too) in one
 *        write transaction, as a group commit would.
 * floor: the disk's floor: a fresh file in DIR, same pragmas, one 500-byte
 *        row per commit (--batch 1) or N rows per commit.
 * inbox: "the latest 20 for a recipient", the SQL Kite's inbox page runs
 *        (message_list in src/domain/messaging/message.c, box=inbox, first
 *        page: limit 20 + 1), for the store's 8 busy residents in turn (the
 *        ones bench_run reads as), from one thread; the page's details
 *        (events, matches, attachments of each item) and unread count are
 *        Kite's own extra work and are not in it.
 * thread: the same for "the latest 20 of a conversation" (box=thread: the
 *        busy resident's first contact).
 * queue: the review queue's first page of 50 (review.c queue_tx), without
 *        its details, metrics and the audit row Kite commits for each page.
 *
 * list:  prints the send's statements as one message per commit runs them,
 *        one a line, to compare with a trace (bench/trace_send.sh does).
 *
 * Prints one line of key=value: messages (or rows, reads), seconds,
 * per_second, commits, and the p50/p99 of one commit (send and floor) or
 * one read, in ms.  Single thread: SQLite has one writer.
 *
 * Where the send statements come from: a trace of one real send, a clean
 * message from a contact to their resident at a facility with review
 * "flagged_only" and pricing "balance" (so it is screened, approved and
 * delivered in its request, and costs 0), made with bench/sqlite_trace.c:
 * `bench/trace_send.sh` prints it.  In the code they are: the request's
 * session check (src/api auth: sessions, accounts), then send_tx in
 * src/domain/messaging/message.c: load_send_contact, rules_load_place
 * (residents, facility_policies, facilities), daily_limit_check (the
 * sender's hours in send_tally), message_charge_quote (policy, facility
 * type, facility_prices, ledger_accounts: message_charge.c), screening_run
 * (screening_rules), insert_message (the row in its last state: delivered),
 * daily_tally_add (its hour's count), message_record_send (its three steps
 * in one message_events INSERT and four events in one: message_store.c), message_delivered's capture
 * (ledger_holds read), and the send's deferred audit records (the chain's
 * head, then three records in one INSERT: src/domain/audit/audit.c).
 * Kite's writer wraps each request in a savepoint of the group commit's
 * transaction (src/db/writer.c); the peer's N-per-commit mode is that
 * batch without the savepoints.  When the write path changes, run
 * trace_send.sh and bring the table in step.  The audit hash is a cheap
 * stand-in for Kite's SHA-256 (about a microsecond there).
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What a statement's parameter is bound to, per message. */
typedef enum {
    P_END, P_TOKEN_HASH, P_NOW, P_TALLY_FROM, P_HOUR, P_HOUR_SLOT, P_SESSION_ACCOUNT, P_CONTACT, P_SENDER, P_RECIPIENT, P_RESIDENT,
    P_FACILITY, P_MSG, P_SUBJECT, P_BODY, P_AUDIT_ID, P_AUDIT_PREV, P_AUDIT_HASH, P_AUDIT_ID_2, P_AUDIT_PREV_2,
    P_AUDIT_HASH_2, P_AUDIT_ID_3, P_AUDIT_PREV_3, P_AUDIT_HASH_3, P_ACTOR_SENDER, P_TARGET, P_DETAIL, P_ZERO,
    P_T_RESIDENT_DIR, P_T_PENDING, P_T_APPROVED, P_T_DELIVERED, P_T_CENTS, P_T_CONTACT_BALANCE, P_T_MESSAGE,
    P_T_SYSTEM, P_T_STATUS_EVENT, P_T_NEW_EVENT, P_T_A_PENDING, P_T_A_APPROVED, P_T_A_DELIVERED,
} param;

enum { MAX_PARAMS = 24, AUDIT_ROWS = 3 };

/* What a statement's first row is kept for. */
typedef enum { SAVE_NONE, SAVE_MSG, SAVE_AUDIT } save;

typedef struct statement {
    char tx; /* 'r': the request's read transaction; 'w': send_tx */
    save keep;
    const char *sql;
    param params[MAX_PARAMS];
} statement;

enum { BENCH_BUSY_READERS = 8 };

#define MESSAGE_SELECT                                                                                      \
    "SELECT m.id, m.contact_id, m.facility_id, m.resident_id, m.sender_account_id, m.recipient_account_id," \
    " s.full_name, r.full_name, m.direction, m.subject, m.body, m.status, m.held, m.flagged, m.price_cents," \
    " m.reject_reason, m.reject_note, m.created_at, COALESCE(m.decided_at, 0), COALESCE(m.delivered_at, 0)," \
    " COALESCE(m.read_at, 0), m.reject_label, m.price_amount, m.price_unit, COALESCE(h.state, '')," \
    " COALESCE(h.amount, 0), COALESCE(h.unit, ''), COALESCE(h.created_at, 0), COALESCE(h.settled_at, 0)" \
    " FROM messages m JOIN accounts s ON s.id = m.sender_account_id" \
    " JOIN accounts r ON r.id = m.recipient_account_id" \
    " LEFT JOIN ledger_holds h ON h.subject_kind = 'message' AND h.subject_id = m.id"

#define POLICY_SELECT                                                                                             \
    "SELECT profile, contact_initiation, invitation_valid_days, contact_limit, request_lookup, approval,"      \
    " approval_window_hours, message_max_chars, page_chars, attachments_allowed, attachment_max_bytes,"        \
    " max_attachments, pricing, review, review_sla_hours, daily_send_limit, resident_number_format," \
    " tablet_idle_minutes, created_at," \
    " updated_at FROM facility_policies WHERE facility_id = $1"

#define AUDIT_LAST "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"

/* One send, in the order the trace shows (see the header comment). */
static const statement send_statements[] = {
    {'r', SAVE_NONE, "SELECT id, account_id, expires_at FROM sessions WHERE token_hash = $1 AND revoked_at IS NULL"
                     " AND expires_at > $2", {P_TOKEN_HASH, P_NOW}},
    {'r', SAVE_NONE, "SELECT id, role, email, full_name, phone, facility_id, status, created_at, password_hash FROM"
                     " accounts WHERE id = $1", {P_SESSION_ACCOUNT}},
    {'w', SAVE_NONE, "SELECT c.status, c.resident_id, c.contact_account_id, r.account_id, a.email, a.full_name,"
                     " ra.full_name FROM contacts c JOIN residents r ON r.id = c.resident_id JOIN accounts a"
                     " ON a.id = c.contact_account_id JOIN accounts ra ON ra.id = r.account_id"
                     " WHERE c.id = $1 AND (c.contact_account_id = $2 OR r.account_id = $2)", {P_CONTACT, P_SENDER}},
    {'w', SAVE_NONE, "SELECT r.id, r.account_id, r.facility_id, r.resident_number, r.first_name, r.last_name,"
                     " r.status, a.password_hash, r.created_at, r.updated_at FROM residents r JOIN accounts a"
                     " ON a.id = r.account_id WHERE r.id = $1", {P_RESIDENT}},
    {'w', SAVE_NONE, POLICY_SELECT, {P_FACILITY}},
    {'w', SAVE_NONE, "SELECT name FROM facilities WHERE id = $1", {P_FACILITY}},
    {'w', SAVE_NONE, "SELECT COALESCE(SUM(sent), 0) FROM send_tally WHERE account_id = $1 AND hour >= $2",
     {P_SENDER, P_TALLY_FROM}},
    {'w', SAVE_NONE, POLICY_SELECT, {P_FACILITY}},
    {'w', SAVE_NONE, "SELECT COALESCE(type, ''), COALESCE(population, -1) FROM facilities WHERE id = $1", {P_FACILITY}},
    {'w', SAVE_NONE, "SELECT message_cents, block_chars, block_cents, photo_cents, stamps_per_photo, reply_stamps,"
                     " stamp_unit_cents, credits_per_message, credits_per_photo, credit_unit_cents,"
                     " subscription_cents_per_month, terminal_cents_per_minute, audio_cents_per_minute,"
                     " video_cents_per_minute, deposit_fee_cents, transfer_min_cents, transfer_max_cents,"
                     " transfer_monthly_cents, updated_at, updated_by FROM facility_prices WHERE facility_id = $1",
     {P_FACILITY}},
    {'w', SAVE_NONE, "SELECT id, balance FROM ledger_accounts WHERE kind = $1 AND unit = $2 AND"
                     " COALESCE(account_id, 0) = $3 AND COALESCE(resident_id, 0) = $4 AND"
                     " COALESCE(facility_id, 0) = $5", {P_T_CONTACT_BALANCE, P_T_CENTS, P_SENDER, P_ZERO, P_ZERO}},
    {'w', SAVE_NONE, "SELECT id, kind, value, action, note, created_at, created_by FROM screening_rules WHERE"
                     " facility_id = $1 AND removed_at IS NULL ORDER BY id", {P_FACILITY}},
    /* insert_message: the row in its last state */
    {'w', SAVE_MSG, "INSERT INTO messages (contact_id, facility_id, resident_id, sender_account_id,"
                    " recipient_account_id, direction, subject, body, status, held, flagged, price_cents, price_amount,"
                    " price_unit, created_at, decided_at, delivered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $12,"
                    " $9, $10, $13, $14, $15, $11, $16, $17) RETURNING id",
     {P_CONTACT, P_FACILITY, P_RESIDENT, P_SENDER, P_RECIPIENT, P_T_RESIDENT_DIR, P_SUBJECT, P_BODY, P_ZERO, P_ZERO,
      P_NOW, P_T_DELIVERED, P_ZERO, P_ZERO, P_T_CENTS, P_NOW, P_NOW}},
    /* daily_tally_add: one more message in the sender's hour */
    {'w', SAVE_NONE, "INSERT INTO send_tally (account_id, slot, hour, sent) VALUES ($1, $2, $3, 1) ON CONFLICT"
                     " (account_id, slot) DO UPDATE SET sent = CASE WHEN send_tally.hour = excluded.hour THEN"
                     " send_tally.sent + 1 ELSE 1 END, hour = excluded.hour", {P_SENDER, P_HOUR_SLOT, P_HOUR}},
    /* message_record_send: three steps, four events */
    {'w', SAVE_NONE, "INSERT INTO message_events (message_id, status, at, actor, facility_id) VALUES ($1, $2, $3, $4,"
                     " $5), ($6, $7, $8, $9, $10), ($11, $12, $13, $14, $15)",
     {P_MSG, P_T_PENDING, P_NOW, P_ACTOR_SENDER, P_FACILITY, P_MSG, P_T_APPROVED, P_NOW, P_T_SYSTEM, P_FACILITY,
      P_MSG, P_T_DELIVERED, P_NOW, P_T_SYSTEM, P_FACILITY}},
    {'w', SAVE_NONE, "INSERT INTO events (account_id, kind, message_id, status, at, facility_id) VALUES ($1, $2, $3,"
                     " $4, $5, $6), ($7, $8, $9, $10, $11, $12), ($13, $14, $15, $16, $17, $18), ($19, $20, $21, $22,"
                     " $23, $24)",
     {P_SENDER, P_T_STATUS_EVENT, P_MSG, P_T_PENDING, P_NOW, P_FACILITY, P_SENDER, P_T_STATUS_EVENT, P_MSG,
      P_T_APPROVED, P_NOW, P_FACILITY, P_SENDER, P_T_STATUS_EVENT, P_MSG, P_T_DELIVERED, P_NOW, P_FACILITY,
      P_RECIPIENT, P_T_NEW_EVENT, P_MSG, P_T_DELIVERED, P_NOW, P_FACILITY}},
    /* message_delivered: the capture finds no hold for a free message */
    {'w', SAVE_NONE, "SELECT id, subject_kind, subject_id, payer_account_id, hold_account_id, amount, unit, state,"
                     " created_at, COALESCE(settled_at, 0), COALESCE(settle_transaction_id, 0) FROM ledger_holds"
                     " WHERE subject_kind = $1 AND subject_id = $2", {P_T_MESSAGE, P_MSG}},
    /* the send's audit records: the chain's head, then the three in one INSERT */
    {'w', SAVE_AUDIT, AUDIT_LAST, {P_END}},
    {'w', SAVE_NONE, "INSERT INTO audit_log (id, at, actor, action, target, detail, prev_hash, hash) VALUES ($1, $2,"
                     " $3, $4, $5, $6, $7, $8), ($9, $10, $11, $12, $13, $14, $15, $16), ($17, $18, $19, $20, $21, $22,"
                     " $23, $24)",
     {P_AUDIT_ID, P_NOW, P_ACTOR_SENDER, P_T_A_PENDING, P_TARGET, P_DETAIL, P_AUDIT_PREV, P_AUDIT_HASH,
      P_AUDIT_ID_2, P_NOW, P_T_SYSTEM, P_T_A_APPROVED, P_TARGET, P_DETAIL, P_AUDIT_PREV_2, P_AUDIT_HASH_2,
      P_AUDIT_ID_3, P_NOW, P_T_SYSTEM, P_T_A_DELIVERED, P_TARGET, P_DETAIL, P_AUDIT_PREV_3, P_AUDIT_HASH_3}},
};

enum { NSTATEMENTS = sizeof send_statements / sizeof send_statements[0], SENDERS = 64 };

typedef struct sender {
    int64_t contact, account, resident, resident_account, facility;
} sender;

/* The values a message's statements are bound to. */
typedef struct state {
    const sender *s;
    int64_t now, msg, audit_id[AUDIT_ROWS], n;
    char token_hash[80], actor[48], target[48], detail[80], prev[AUDIT_ROWS][80], hash[AUDIT_ROWS][80];
    int64_t session_account;
} state;

static const char subject[] = "Bench message";
static const char body[] =
    "Dear family,\nthe week went well; classes, work in the kitchen, letters from home. Café con leche on Sunday. "
    "Merci, gracias, спасибо, شكرا, 谢谢 ❤️ 😀. Write back soon and tell everyone hello from me. Message of this bench.";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static _Noreturn void die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "bench_sqlite_peer: %s: %s\n", what, db != NULL ? sqlite3_errmsg(db) : "");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        die(db, sql);
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
        die(db, sql);
    return s;
}

/* Kite's connection, as src/db/sqlite.c opens it. */
static sqlite3 *open_like_kite(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        die(db, path);
    sqlite3_busy_timeout(db, 5000);
    exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;");
    /* Kite lets the log grow to CHECKPOINT_PAGES (src/db/store.h) before its own thread checkpoints: the same here. */
    exec(db, "PRAGMA wal_autocheckpoint=16384;");
    return db;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct timings {
    double *ms;
    size_t n, cap;
} timings;

static void timing_add(timings *t, double ms)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4096;
        t->ms = realloc(t->ms, t->cap * sizeof *t->ms);
        if (t->ms == NULL)
            die(NULL, "out of memory");
    }
    t->ms[t->n++] = ms;
}

static void report(const char *mode, const char *unit, long batch, long done, double seconds, timings *t)
{
    qsort(t->ms, t->n, sizeof *t->ms, compare_doubles);
    double p50 = t->n ? t->ms[t->n / 2] : 0, p99 = t->n ? t->ms[(t->n * 99) / 100] : 0;
    printf("mode=%s batch=%ld %s=%ld seconds=%.3f per_second=%.1f commits=%zu p50_ms=%.3f p99_ms=%.3f\n", mode, batch,
           unit, done, seconds, (double)done / seconds, t->n, p50, p99);
    free(t->ms);
}

static void bind_param(sqlite3_stmt *st, int i, param p, const state *x)
{
    switch (p) {
    case P_TOKEN_HASH: sqlite3_bind_text(st, i, x->token_hash, -1, SQLITE_STATIC); break;
    case P_NOW: sqlite3_bind_int64(st, i, x->now); break;
    case P_TALLY_FROM: sqlite3_bind_int64(st, i, x->now / 3600000 - 24); break;
    case P_HOUR: sqlite3_bind_int64(st, i, x->now / 3600000); break;
    case P_HOUR_SLOT: sqlite3_bind_int64(st, i, x->now / 3600000 % 25); break;
    case P_SESSION_ACCOUNT: sqlite3_bind_int64(st, i, x->session_account); break;
    case P_CONTACT: sqlite3_bind_int64(st, i, x->s->contact); break;
    case P_SENDER: sqlite3_bind_int64(st, i, x->s->account); break;
    case P_RECIPIENT: sqlite3_bind_int64(st, i, x->s->resident_account); break;
    case P_RESIDENT: sqlite3_bind_int64(st, i, x->s->resident); break;
    case P_FACILITY: sqlite3_bind_int64(st, i, x->s->facility); break;
    case P_MSG: sqlite3_bind_int64(st, i, x->msg); break;
    case P_SUBJECT: sqlite3_bind_text(st, i, subject, -1, SQLITE_STATIC); break;
    case P_BODY: sqlite3_bind_text(st, i, body, -1, SQLITE_STATIC); break;
    case P_AUDIT_ID: sqlite3_bind_int64(st, i, x->audit_id[0]); break;
    case P_AUDIT_PREV: sqlite3_bind_text(st, i, x->prev[0], -1, SQLITE_STATIC); break;
    case P_AUDIT_HASH: sqlite3_bind_text(st, i, x->hash[0], -1, SQLITE_STATIC); break;
    case P_AUDIT_ID_2: sqlite3_bind_int64(st, i, x->audit_id[1]); break;
    case P_AUDIT_PREV_2: sqlite3_bind_text(st, i, x->prev[1], -1, SQLITE_STATIC); break;
    case P_AUDIT_HASH_2: sqlite3_bind_text(st, i, x->hash[1], -1, SQLITE_STATIC); break;
    case P_AUDIT_ID_3: sqlite3_bind_int64(st, i, x->audit_id[2]); break;
    case P_AUDIT_PREV_3: sqlite3_bind_text(st, i, x->prev[2], -1, SQLITE_STATIC); break;
    case P_AUDIT_HASH_3: sqlite3_bind_text(st, i, x->hash[2], -1, SQLITE_STATIC); break;
    case P_ACTOR_SENDER: sqlite3_bind_text(st, i, x->actor, -1, SQLITE_STATIC); break;
    case P_TARGET: sqlite3_bind_text(st, i, x->target, -1, SQLITE_STATIC); break;
    case P_DETAIL: sqlite3_bind_text(st, i, x->detail, -1, SQLITE_STATIC); break;
    case P_ZERO: sqlite3_bind_int64(st, i, 0); break;
    case P_T_RESIDENT_DIR: sqlite3_bind_text(st, i, "to_resident", -1, SQLITE_STATIC); break;
    case P_T_PENDING: sqlite3_bind_text(st, i, "pending_review", -1, SQLITE_STATIC); break;
    case P_T_APPROVED: sqlite3_bind_text(st, i, "approved", -1, SQLITE_STATIC); break;
    case P_T_DELIVERED: sqlite3_bind_text(st, i, "delivered", -1, SQLITE_STATIC); break;
    case P_T_CENTS: sqlite3_bind_text(st, i, "cents", -1, SQLITE_STATIC); break;
    case P_T_CONTACT_BALANCE: sqlite3_bind_text(st, i, "contact_balance", -1, SQLITE_STATIC); break;
    case P_T_MESSAGE: sqlite3_bind_text(st, i, "message", -1, SQLITE_STATIC); break;
    case P_T_SYSTEM: sqlite3_bind_text(st, i, "system", -1, SQLITE_STATIC); break;
    case P_T_STATUS_EVENT: sqlite3_bind_text(st, i, "message.status", -1, SQLITE_STATIC); break;
    case P_T_NEW_EVENT: sqlite3_bind_text(st, i, "message.new", -1, SQLITE_STATIC); break;
    case P_T_A_PENDING: sqlite3_bind_text(st, i, "message.pending_review", -1, SQLITE_STATIC); break;
    case P_T_A_APPROVED: sqlite3_bind_text(st, i, "message.approved", -1, SQLITE_STATIC); break;
    case P_T_A_DELIVERED: sqlite3_bind_text(st, i, "message.delivered", -1, SQLITE_STATIC); break;
    case P_END: break;
    }
}

/* A stand-in for the audit chain's hash: cheap, and different for each record; each record's prev is the one before. */
static void chain_hash(state *x)
{
    for (int k = 0; k < AUDIT_ROWS; k++) {
        if (k > 0) {
            x->audit_id[k] = x->audit_id[k - 1] + 1;
            snprintf(x->prev[k], sizeof x->prev[k], "%s", x->hash[k - 1]);
        }
        uint64_t h = 1469598103934665603ULL ^ (uint64_t)x->audit_id[k];
        for (const char *p = x->prev[k]; *p != '\0'; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        snprintf(x->hash[k], sizeof x->hash[k], "%016llx%016llx%016llx%016llx", (unsigned long long)h,
                 (unsigned long long)(h * 31), (unsigned long long)(h * 37), (unsigned long long)(h * 41));
    }
}

/*
 * "$12" is a named parameter to SQLite, numbered by first appearance, so $N
 * is found by its name (as src/db/sqlite.c binds it), not taken as the N-th:
 * the message INSERT names $12 before $9.  Found once, when prepared.
 */
static void find_slots(sqlite3 *db, sqlite3_stmt *st, const statement *def, int *slots)
{
    for (int i = 0; i < MAX_PARAMS && def->params[i] != P_END; i++) {
        char name[8];
        snprintf(name, sizeof name, "$%d", i + 1);
        if ((slots[i] = sqlite3_bind_parameter_index(st, name)) == 0)
            die(db, def->sql);
    }
}

static void run_statement(sqlite3 *db, sqlite3_stmt *st, const statement *def, const int *slots, state *x)
{
    for (int i = 0; i < MAX_PARAMS && def->params[i] != P_END; i++)
        bind_param(st, slots[i], def->params[i], x);
    int rc;
    bool first = true;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (first && def->keep == SAVE_MSG) {
            x->msg = sqlite3_column_int64(st, 0);
        } else if (first && def->keep == SAVE_AUDIT) {
            x->audit_id[0] = sqlite3_column_int64(st, 0) + 1;
            const unsigned char *h = sqlite3_column_text(st, 1);
            snprintf(x->prev[0], sizeof x->prev[0], "%s", h != NULL ? (const char *)h : "");
        }
        first = false;
    }
    if (rc != SQLITE_DONE)
        die(db, def->sql);
    sqlite3_reset(st);
    if (def->keep == SAVE_AUDIT) {
        if (first) {
            x->audit_id[0] = 1;
            memset(x->prev[0], '0', 64);
            x->prev[0][64] = '\0';
        }
        chain_hash(x);
    }
}

static void load_senders(sqlite3 *db, sender *out, int *n, state *x)
{
    /* Contacts of ordinary residents (not the 8 busy ones bench_run reads as), like bench_run's senders. */
    sqlite3_stmt *s = prepare(db, "SELECT c.id, c.contact_account_id, c.resident_id, r.account_id, r.facility_id"
                                  " FROM contacts c JOIN residents r ON r.id = c.resident_id"
                                  " WHERE c.status = 'active' ORDER BY c.id LIMIT $1 OFFSET 16");
    sqlite3_bind_int(s, 1, SENDERS);
    *n = 0;
    while (sqlite3_step(s) == SQLITE_ROW && *n < SENDERS) {
        out[*n] = (sender){sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
                           sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4)};
        (*n)++;
    }
    sqlite3_finalize(s);
    if (*n == 0)
        die(NULL, "no active contact in the store");
    /* A live session of the store's, when there is one: the lookup then finds its row, as Kite's does. */
    s = prepare(db, "SELECT token_hash, account_id FROM sessions WHERE revoked_at IS NULL ORDER BY id DESC LIMIT 1");
    snprintf(x->token_hash, sizeof x->token_hash, "%064d", 0);
    x->session_account = out[0].account;
    if (sqlite3_step(s) == SQLITE_ROW) {
        snprintf(x->token_hash, sizeof x->token_hash, "%s", (const char *)sqlite3_column_text(s, 0));
        x->session_account = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
}

static void run_send(const char *path, long batch, double seconds, bool profile)
{
    sqlite3 *db = open_like_kite(path);
    sqlite3_stmt *st[NSTATEMENTS];
    int slots[NSTATEMENTS][MAX_PARAMS];
    for (size_t i = 0; i < NSTATEMENTS; i++) {
        st[i] = prepare(db, send_statements[i].sql);
        find_slots(db, st[i], &send_statements[i], slots[i]);
    }
    sqlite3_stmt *begin_read = prepare(db, "BEGIN"), *begin_write = prepare(db, "BEGIN IMMEDIATE"),
                 *commit = prepare(db, "COMMIT");
    sender senders[SENDERS];
    int nsenders = 0;
    state x = {0};
    load_senders(db, senders, &nsenders, &x);
    timings t = {0};
    double spent[NSTATEMENTS] = {0}, commits_spent = 0;
    long done = 0;
    double start = now_s(), end = start + seconds;
    while (now_s() < end) {
        double t0 = now_s();
        if (batch > 1) {
            sqlite3_step(begin_write);
            sqlite3_reset(begin_write);
        }
        for (long b = 0; b < batch; b++, done++) {
            x.s = &senders[done % nsenders];
            x.now = wall_ms();
            snprintf(x.actor, sizeof x.actor, "account:%lld", (long long)x.s->account);
            snprintf(x.detail, sizeof x.detail, "contact=%lld facility=%lld", (long long)x.s->contact,
                     (long long)x.s->facility);
            for (size_t i = 0; i < NSTATEMENTS; i++) {
                const statement *def = &send_statements[i];
                /* One message per commit: its read transaction, then its own write transaction. */
                if (batch == 1 && i == 0) {
                    sqlite3_step(begin_read);
                    sqlite3_reset(begin_read);
                }
                if (batch == 1 && i > 0 && def->tx == 'w' && send_statements[i - 1].tx == 'r') {
                    if (sqlite3_step(commit) != SQLITE_DONE)
                        die(db, "COMMIT");
                    sqlite3_reset(commit);
                    if (sqlite3_step(begin_write) != SQLITE_DONE)
                        die(db, "BEGIN IMMEDIATE");
                    sqlite3_reset(begin_write);
                }
                if (def->keep == SAVE_MSG)
                    snprintf(x.target, sizeof x.target, "message:?");
                double s0 = profile ? now_s() : 0;
                run_statement(db, st[i], def, slots[i], &x);
                if (profile)
                    spent[i] += now_s() - s0;
                if (def->keep == SAVE_MSG)
                    snprintf(x.target, sizeof x.target, "message:%lld", (long long)x.msg);
            }
            if (batch == 1) {
                if (sqlite3_step(commit) != SQLITE_DONE)
                    die(db, "COMMIT");
                sqlite3_reset(commit);
            }
        }
        if (batch > 1) {
            double c0 = now_s();
            if (sqlite3_step(commit) != SQLITE_DONE)
                die(db, "COMMIT");
            sqlite3_reset(commit);
            commits_spent += now_s() - c0;
        }
        timing_add(&t, (now_s() - t0) * 1000.0);
    }
    double elapsed = now_s() - start;
    /* --profile: where a message's time goes, statement by statement, on stderr (the one line stays on stdout). */
    for (size_t i = 0; profile && i < NSTATEMENTS; i++)
        fprintf(stderr, "%2zu %7.2f us  %4.1f%%  %.90s\n", i, spent[i] / (double)done * 1e6, 100 * spent[i] / elapsed,
                send_statements[i].sql);
    if (profile && batch > 1)
        fprintf(stderr, "   %7.2f us  %4.1f%%  COMMIT (its share per message)\n", commits_spent / (double)done * 1e6,
                100 * commits_spent / elapsed);
    for (size_t i = 0; i < NSTATEMENTS; i++)
        sqlite3_finalize(st[i]);
    sqlite3_finalize(begin_read);
    sqlite3_finalize(begin_write);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    report("send", "messages", batch, done, elapsed, &t);
}

static void run_floor(const char *dir, long batch, double seconds)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/floor.db", dir);
    unlink(path);
    sqlite3 *db = open_like_kite(path);
    exec(db, "CREATE TABLE rows (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL)");
    sqlite3_stmt *ins = prepare(db, "INSERT INTO rows (at, body) VALUES ($1, $2)");
    sqlite3_stmt *begin = prepare(db, "BEGIN IMMEDIATE"), *commit = prepare(db, "COMMIT");
    char row[501];
    memset(row, 'x', 500);
    row[500] = '\0';
    timings t = {0};
    long done = 0;
    double start = now_s(), end = start + seconds;
    while (now_s() < end) {
        double t0 = now_s();
        sqlite3_step(begin);
        sqlite3_reset(begin);
        for (long b = 0; b < batch; b++, done++) {
            sqlite3_bind_int64(ins, 1, wall_ms());
            sqlite3_bind_text(ins, 2, row, 500, SQLITE_STATIC);
            if (sqlite3_step(ins) != SQLITE_DONE)
                die(db, "insert");
            sqlite3_reset(ins);
        }
        if (sqlite3_step(commit) != SQLITE_DONE)
            die(db, "COMMIT");
        sqlite3_reset(commit);
        timing_add(&t, (now_s() - t0) * 1000.0);
    }
    double elapsed = now_s() - start;
    sqlite3_finalize(ins);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    char side[4200];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    report("floor", "rows", batch, done, elapsed, &t);
}

/* Binds the named parameter ("$3") when the statement has it: SQLite numbers them by first appearance. */
static void bind_named(sqlite3_stmt *st, const char *name, int64_t value)
{
    int slot = sqlite3_bind_parameter_index(st, name);
    if (slot > 0)
        sqlite3_bind_int64(st, slot, value);
}

/*
 * The raw query of a page Kite serves, from one thread, each in its own read
 * transaction: "inbox" and "thread" as the 8 busy residents in turn (a
 * thread: the resident's first contact), "queue" as the facility's review
 * queue.  The SQL is Kite's own (src/domain/messaging/message.c list_tx,
 * review.c queue_tx), first page; only the rows are read, one text column
 * each: what Kite adds (details, unread count, JSON, the queue's audit row)
 * is its own work.
 */
static void run_page(const char *path, const char *mode, double seconds)
{
    sqlite3 *db = open_like_kite(path);
    int64_t readers[BENCH_BUSY_READERS], contacts[BENCH_BUSY_READERS], facility = 0;
    int n = 0;
    sqlite3_stmt *who = prepare(db, "SELECT r.account_id, r.facility_id, (SELECT MIN(c.id) FROM contacts c"
                                    " WHERE c.resident_id = r.id) FROM residents r WHERE r.resident_number >= 'B00000'"
                                    " AND r.resident_number <= 'B00007' ORDER BY r.resident_number");
    while (n < BENCH_BUSY_READERS && sqlite3_step(who) == SQLITE_ROW) {
        readers[n] = sqlite3_column_int64(who, 0);
        facility = sqlite3_column_int64(who, 1);
        contacts[n++] = sqlite3_column_int64(who, 2);
    }
    sqlite3_finalize(who);
    if (n == 0)
        die(NULL, "no busy resident (B00000..B00007) in the store");
    const char *sql = NULL;
    int64_t limit = 21;
    if (strcmp(mode, "inbox") == 0)
        sql = MESSAGE_SELECT " WHERE m.recipient_account_id = $1 AND m.status IN ('delivered', 'read')"
                             " AND (m.delivered_at, m.id) < ($2, $3)"
                             " AND NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.message_id = m.id AND h.account_id = $1)"
                             " ORDER BY m.delivered_at DESC, m.id DESC LIMIT $4";
    else if (strcmp(mode, "thread") == 0)
        sql = MESSAGE_SELECT " WHERE m.contact_id = $5 AND m.id < $3"
                             " AND (m.sender_account_id = $1 OR (m.recipient_account_id = $1 AND m.status IN ('delivered', 'read')))"
                             " AND NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.message_id = m.id AND h.account_id = $1)"
                             " ORDER BY m.id DESC LIMIT $4";
    else {
        sql = MESSAGE_SELECT " WHERE m.facility_id = $6 AND m.status = 'pending_review'"
                             " ORDER BY m.held DESC, m.flagged DESC, m.created_at, m.id LIMIT $4";
        limit = 50; /* the queue's default page, read without the extra row */
    }
    sqlite3_stmt *page = prepare(db, sql);
    sqlite3_stmt *begin = prepare(db, "BEGIN"), *commit = prepare(db, "COMMIT");
    timings t = {0};
    long done = 0, rows = 0;
    double start = now_s(), end = start + seconds;
    while (now_s() < end) {
        double t0 = now_s();
        sqlite3_step(begin);
        sqlite3_reset(begin);
        bind_named(page, "$1", readers[done % n]);
        bind_named(page, "$2", INT64_MAX);
        bind_named(page, "$3", INT64_MAX);
        bind_named(page, "$4", limit);
        bind_named(page, "$5", contacts[done % n]);
        bind_named(page, "$6", facility);
        int rc;
        while ((rc = sqlite3_step(page)) == SQLITE_ROW) {
            rows++;
            (void)sqlite3_column_text(page, 10);
        }
        if (rc != SQLITE_DONE)
            die(db, "page");
        sqlite3_reset(page);
        sqlite3_step(commit);
        sqlite3_reset(commit);
        done++;
        timing_add(&t, (now_s() - t0) * 1000.0);
    }
    double elapsed = now_s() - start;
    sqlite3_finalize(page);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    if (strcmp(mode, "queue") != 0 && rows < done * 20)
        fprintf(stderr, "bench_sqlite_peer: some %s pages had fewer than 20 messages\n", mode);
    report(mode, "reads", 1, done, elapsed, &t);
}

static void list_send(void)
{
    puts("BEGIN");
    for (size_t i = 0; i < NSTATEMENTS; i++) {
        if (i > 0 && send_statements[i].tx == 'w' && send_statements[i - 1].tx == 'r')
            puts("COMMIT\nBEGIN IMMEDIATE");
        puts(send_statements[i].sql);
    }
    puts("COMMIT");
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        list_send();
        return 0;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: bench_sqlite_peer send|floor|inbox|thread|queue DB|DIR [--batch N] [--seconds S] [--profile] | list\n");
        return 2;
    }
    long batch = 1;
    double seconds = 5;
    bool profile = false;
    for (int i = 3; i < argc; i += 2) {
        if (strcmp(argv[i], "--profile") == 0) {
            profile = true;
            i--;
        } else if (i + 1 >= argc)
            die(NULL, "an option lacks its value");
        else if (strcmp(argv[i], "--batch") == 0)
            batch = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = strtod(argv[i + 1], NULL);
        else
            die(NULL, "unknown option");
    }
    if (batch < 1 || seconds <= 0)
        die(NULL, "bad option value");
    if (strcmp(argv[1], "send") == 0)
        run_send(argv[2], batch, seconds, profile);
    else if (strcmp(argv[1], "floor") == 0)
        run_floor(argv[2], batch, seconds);
    else if (strcmp(argv[1], "inbox") == 0 || strcmp(argv[1], "thread") == 0 || strcmp(argv[1], "queue") == 0)
        run_page(argv[2], argv[1], seconds);
    else
        die(NULL, "unknown mode");
    return 0;
}
