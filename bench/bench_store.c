/*
 * bench_store.c - the store the HTTP benchmarks measure: a `kite serve` on a
 * temporary store, its setup over HTTP, and the bulk seeding straight into
 * SQLite (see bench_store.h).
 *
 * Design: what can go through the API does (the operator, the facility's
 * policy, one resident and one contact, so their Argon2 hashes are real);
 * the bulk (residents, contacts, messages with their status history) is
 * written in one transaction with no journal and synchronous=OFF, the hashes
 * copied from the accounts made over HTTP; the server puts WAL back on when
 * it starts.  About 15 s a million messages here.
 */
#include "bench_store.h"

#include "bench_common.h"

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FACILITY_NAME "AVENAL STATE PRISON"
#define PASSWORD BENCH_PASSWORD
#define PIN BENCH_PIN
#define DAY_MS (24LL * 60 * 60 * 1000)

enum { RESIDENTS = BENCH_RESIDENTS, CONTACTS_PER_RESIDENT = BENCH_CONTACTS_PER_RESIDENT, PAIRS = BENCH_PAIRS, BUSY = BENCH_BUSY };

/* ---- the server ---- */

void bench_server_start(const char *bin, const char *dir, const char *db_path, const char *data,
                         const char *threads, bench_server *s)
{
    int fds[2];
    if (pipe(fds) != 0)
        bench_die("pipe failed");
    char log_path[4096];
    snprintf(log_path, sizeof log_path, "%s/server.log", dir);
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork failed");
    if (pid == 0) {
        int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (log < 0 || dup2(fds[1], 1) < 0 || dup2(log, 2) < 0)
            _exit(127);
        close(fds[0]);
        close(fds[1]);
        close(log);
        const char *argv[12] = {bin, "serve", "--db", db_path, "--listen", "127.0.0.1:0", "--data", data, NULL};
        if (threads != NULL) {
            argv[8] = "--threads";
            argv[9] = threads;
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    s->pid = pid;
    s->out = fdopen(fds[0], "r");
    char line[256];
    const char *prefix = "kite: listening on ";
    while (s->out != NULL && fgets(line, sizeof line, s->out) != NULL) {
        if (strncmp(line, prefix, strlen(prefix)) == 0) {
            line[strcspn(line, "\r\n")] = '\0';
            snprintf(s->url, sizeof s->url, "%.190s", line + strlen(prefix));
            return;
        }
    }
    fprintf(stderr, "%s: kite serve did not start; see %s\n", bench_program, log_path);
    exit(1);
}

void bench_server_stop(bench_server *s)
{
    kill(s->pid, SIGTERM);
    int status = 0;
    waitpid(s->pid, &status, 0);
    if (s->out != NULL)
        fclose(s->out);
    s->out = NULL;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "%s: kite serve did not stop cleanly (status %d)\n", bench_program, status);
}


/* ---- seeding ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static const char *const words[] = {
    "love", "home", "family", "the", "kids", "school", "today", "mom", "dad", "garden", "weather", "letter", "visit",
    "soon", "miss", "you", "work", "church", "birthday", "dinner", "news", "doctor", "money", "court", "lawyer", "hope",
    "and", "we", "are", "fine", "how", "is", "everything", "there", "write", "back", "please", "thanks", "café", "niño",
    "grand-mère", "привет", "مرحبا", "你好", "❤️", "😀", "week", "month", "soon", "class", "books", "games", "dog",
};

static void text(char *out, size_t cap, size_t min_len, size_t max_len)
{
    size_t target = min_len + (size_t)(rnd() % (max_len - min_len + 1)), len = 0;
    out[0] = '\0';
    while (len < target) {
        const char *w = words[rnd() % (sizeof words / sizeof words[0])];
        size_t wl = strlen(w);
        if (len + wl + 2 >= cap)
            break;
        if (len > 0)
            out[len++] = rnd() % 12 == 0 ? '\n' : ' ';
        memcpy(out + len, w, wl);
        len += wl;
        out[len] = '\0';
    }
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *error = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK) {
        fprintf(stderr, "%s: %s: %s\n", bench_program, sql, error != NULL ? error : "?");
        exit(1);
    }
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s: %s\n", bench_program, sql, sqlite3_errmsg(db));
        exit(1);
    }
    return s;
}

static void step_done(sqlite3 *db, sqlite3_stmt *s)
{
    if (sqlite3_step(s) != SQLITE_DONE) {
        fprintf(stderr, "%s: seeding: %s\n", bench_program, sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

static char *query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = prepare(db, sql);
    char *out = sqlite3_step(s) == SQLITE_ROW ? strdup((const char *)sqlite3_column_text(s, 0)) : NULL;
    sqlite3_finalize(s);
    if (out == NULL)
        bench_die(sql);
    return out;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    char *t = query_text(db, sql);
    int64_t v = strtoll(t, NULL, 10);
    free(t);
    return v;
}

static void add_event(sqlite3 *db, sqlite3_stmt *ev, int64_t facility, int64_t message, const char *status, int64_t at,
                      const char *actor)
{
    sqlite3_bind_int64(ev, 1, message);
    sqlite3_bind_int64(ev, 5, facility);
    sqlite3_bind_text(ev, 2, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ev, 3, at);
    sqlite3_bind_text(ev, 4, actor, -1, SQLITE_TRANSIENT);
    step_done(db, ev);
}

void bench_store_seed(const char *db_path, int64_t facility, long messages, bench_seed_info *info)
{
    double started = bench_now();
    sqlite3 *db = NULL;
    if (sqlite3_open(db_path, &db) != SQLITE_OK)
        bench_die("cannot open the store for seeding");
    /* A bulk load: no journal to speak of, and the server turns WAL back on. */
    exec_sql(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000;");
    char *pin_hash = query_text(db, "SELECT a.password_hash FROM accounts a JOIN residents r ON r.account_id = a.id"
                                    " WHERE r.resident_number = 'B00000'");
    char *password_hash = query_text(db, "SELECT password_hash FROM accounts WHERE email = 'bench-c00000@example.org'");
    info->resident_id[0] = query_int(db, "SELECT id FROM residents WHERE resident_number = 'B00000'");
    info->resident_account[0] = query_int(db, "SELECT account_id FROM residents WHERE resident_number = 'B00000'");
    info->contact_account[0] = query_int(db, "SELECT id FROM accounts WHERE email = 'bench-c00000@example.org'");
    int64_t now = bench_wall_ms();
    int64_t origin = now - 400 * DAY_MS;

    exec_sql(db, "BEGIN");
    sqlite3_stmt *acct = prepare(db,
        "INSERT INTO accounts (role, email, full_name, phone, password_hash, facility_id, status, created_at, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, ?7)");
    sqlite3_stmt *res = prepare(db,
        "INSERT INTO residents (account_id, facility_id, resident_number, first_name, last_name, status, created_at,"
        " updated_at) VALUES (?1, ?2, ?3, 'Bench', ?4, 'active', ?5, ?5)");
    char number[32], name[64], email[64];
    for (int i = 1; i < RESIDENTS; i++) {
        snprintf(number, sizeof number, "B%05d", i);
        snprintf(name, sizeof name, "Bench Resident%d", i);
        sqlite3_bind_text(acct, 1, "resident", -1, SQLITE_STATIC);
        sqlite3_bind_null(acct, 2);
        sqlite3_bind_text(acct, 3, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_null(acct, 4);
        sqlite3_bind_text(acct, 5, pin_hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(acct, 6, facility);
        sqlite3_bind_int64(acct, 7, origin);
        step_done(db, acct);
        info->resident_account[i] = sqlite3_last_insert_rowid(db);
        snprintf(name, sizeof name, "Resident%d", i);
        sqlite3_bind_int64(res, 1, info->resident_account[i]);
        sqlite3_bind_int64(res, 2, facility);
        sqlite3_bind_text(res, 3, number, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(res, 4, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(res, 5, origin);
        step_done(db, res);
        info->resident_id[i] = sqlite3_last_insert_rowid(db);
    }
    for (int j = 1; j < PAIRS; j++) {
        snprintf(email, sizeof email, "bench-c%05d@example.org", j);
        snprintf(name, sizeof name, "Bench Contact %d", j);
        sqlite3_bind_text(acct, 1, "contact", -1, SQLITE_STATIC);
        sqlite3_bind_text(acct, 2, email, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(acct, 3, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(acct, 4, "5550100100", -1, SQLITE_STATIC);
        sqlite3_bind_text(acct, 5, password_hash, -1, SQLITE_STATIC);
        sqlite3_bind_null(acct, 6);
        sqlite3_bind_int64(acct, 7, origin);
        step_done(db, acct);
        info->contact_account[j] = sqlite3_last_insert_rowid(db);
    }
    sqlite3_stmt *link = prepare(db,
        "INSERT INTO contacts (resident_id, contact_account_id, status, origin, created_at, updated_at, facility_id)"
        " VALUES (?1, ?2, 'active', 'request', ?3, ?3, ?4)");
    for (int j = 0; j < PAIRS; j++) {
        sqlite3_bind_int64(link, 1, info->resident_id[j / CONTACTS_PER_RESIDENT]);
        sqlite3_bind_int64(link, 2, info->contact_account[j]);
        sqlite3_bind_int64(link, 3, origin);
        sqlite3_bind_int64(link, 4, facility);
        step_done(db, link);
        info->contact_id[j] = sqlite3_last_insert_rowid(db);
    }

    sqlite3_stmt *msg = prepare(db,
        "INSERT INTO messages (contact_id, facility_id, resident_id, sender_account_id, recipient_account_id, direction,"
        " subject, body, status, held, flagged, price_cents, reject_reason, reject_note, decided_by, decided_at,"
        " created_at, delivered_at, read_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, 0, ?11, ?12, NULL,"
        " ?13, ?14, ?15, ?16)");
    sqlite3_stmt *ev = prepare(db, "INSERT INTO message_events (message_id, status, at, actor, facility_id) VALUES (?1, ?2, ?3, ?4, ?5)");
    char subject[256], body[1200], actor[48];
    int64_t span = 365 * DAY_MS;
    for (long k = 0; k < messages; k++) {
        int pair = rnd() % 100 < 10 ? (int)(rnd() % (BUSY * CONTACTS_PER_RESIDENT)) : (int)(rnd() % PAIRS);
        int r = pair / CONTACTS_PER_RESIDENT;
        bool to_resident = rnd() % 100 < 55;
        int64_t created = now - span + (int64_t)((double)span * (double)k / (double)messages) - 3600 * 1000;
        int64_t age = now - created;
        unsigned u = (unsigned)(rnd() % 1000);
        const char *status;
        if (u < 10)
            status = "rejected";
        else if (u < 40 && age < 2 * DAY_MS)
            status = "pending_review";
        else if (age < 3 * DAY_MS ? u < 500 : u < 40)
            status = "delivered";
        else
            status = "read";
        int64_t sender = to_resident ? info->contact_account[pair] : info->resident_account[r];
        int64_t recipient = to_resident ? info->resident_account[r] : info->contact_account[pair];
        text(subject, sizeof subject, 5, 40);
        text(body, sizeof body, 40, 700);
        bool rejected = strcmp(status, "rejected") == 0, pending = strcmp(status, "pending_review") == 0;
        int64_t decided = created + 1000 + (int64_t)(rnd() % 3600000);
        int64_t read_at = decided + (int64_t)(rnd() % (6 * 3600000));
        sqlite3_bind_int64(msg, 1, info->contact_id[pair]);
        sqlite3_bind_int64(msg, 2, facility);
        sqlite3_bind_int64(msg, 3, info->resident_id[r]);
        sqlite3_bind_int64(msg, 4, sender);
        sqlite3_bind_int64(msg, 5, recipient);
        sqlite3_bind_text(msg, 6, to_resident ? "to_resident" : "from_resident", -1, SQLITE_STATIC);
        sqlite3_bind_text(msg, 7, subject, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(msg, 8, body, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(msg, 9, status, -1, SQLITE_STATIC);
        sqlite3_bind_int(msg, 10, rejected || pending);
        if (rejected) {
            sqlite3_bind_text(msg, 11, "other", -1, SQLITE_STATIC);
            sqlite3_bind_text(msg, 12, "seeded rejection", -1, SQLITE_STATIC);
        }
        if (!pending)
            sqlite3_bind_int64(msg, 13, decided);
        sqlite3_bind_int64(msg, 14, created);
        if (!pending && !rejected)
            sqlite3_bind_int64(msg, 15, decided);
        if (strcmp(status, "read") == 0)
            sqlite3_bind_int64(msg, 16, read_at);
        step_done(db, msg);
        int64_t id = sqlite3_last_insert_rowid(db);
        snprintf(actor, sizeof actor, "account:%lld", (long long)sender);
        add_event(db, ev, facility, id, "pending_review", created, actor);
        if (rejected) {
            add_event(db, ev, facility, id, "rejected", decided, "account:1");
        } else if (!pending) {
            add_event(db, ev, facility, id, "approved", decided, "system");
            add_event(db, ev, facility, id, "delivered", decided, "system");
            if (strcmp(status, "read") == 0) {
                snprintf(actor, sizeof actor, "account:%lld", (long long)recipient);
                add_event(db, ev, facility, id, "read", read_at, actor);
            }
        }
        info->total[r]++;
        if (to_resident && !pending && !rejected)
            info->inbox[r]++;
        if (k % 100000 == 99999) {
            fprintf(stderr, "  seeded %ld messages (%.1f s)\n", k + 1, bench_now() - started);
        }
    }
    sqlite3_finalize(acct);
    sqlite3_finalize(res);
    sqlite3_finalize(link);
    sqlite3_finalize(msg);
    sqlite3_finalize(ev);
    /*
     * The bench's families pay for what they send, which needs a confirmed address (and an
     * unconfirmed account left alone for a week is retired): confirmed, as support would.
     */
    exec_sql(db, "UPDATE accounts SET email_verified_at = created_at WHERE role = 'contact'");
    exec_sql(db, "COMMIT");
    exec_sql(db, "PRAGMA journal_mode=WAL");
    sqlite3_close(db);
    free(pin_hash);
    free(password_hash);
    info->seconds = bench_now() - started;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int64_t bench_store_setup(const char *bin, const char *dir, const char *db_path, const char *data, const char *threads,
                          char **operator_token)
{
    char url[1024];
    bench_server srv;
    bench_server_start(bin, dir, db_path, data, threads, &srv);
    const char *add_operator[] = {bin, "user", "add", "--db", db_path, "--role", "operator", "--email",
                                  BENCH_OPERATOR, "--totp-secret", BENCH_TOTP_SECRET, NULL};
    if (bench_run_with_input(add_operator, PASSWORD "\n") != 0)
        bench_die("kite user add failed");
    char *op = bench_operator_sign_in(srv.url);
    int64_t facility = bench_store_query_int(db_path, "SELECT id FROM facilities WHERE name = '" FACILITY_NAME "' ORDER BY id LIMIT 1");
    snprintf(url, sizeof url, "%s/api/v1/facilities/%lld/policy", srv.url, (long long)facility);
    /* Pricing "balance" at the jpay profile's 0 cents a message: the bench measures messaging, not money. */
    long st = bench_http("PUT", url, op, NULL,
                   "{\"profile\":\"jpay\",\"review\":\"flagged_only\",\"daily_send_limit\":10000,\"pricing\":\"balance\"}",
                   NULL);
    if (st != 200 && st != 201)
        bench_die("cannot set the policy");
    snprintf(url, sizeof url, "%s/api/v1/facilities/%lld/residents", srv.url, (long long)facility);
    if (bench_http("POST", url, op, NULL, "{\"resident_number\":\"B00000\",\"first_name\":\"Bench\",\"last_name\":\"Resident0\",\"pin\":\"" PIN "\"}", NULL) != 201)
        bench_die("cannot add the first resident");
    snprintf(url, sizeof url, "%s/api/v1/accounts", srv.url);
    if (bench_http("POST", url, NULL, NULL, "{\"email\":\"bench-c00000@example.org\",\"password\":\"" PASSWORD "\",\"full_name\":\"Bench Contact 0\",\"phone\":\"5550100100\"}", NULL) != 201)
        bench_die("cannot register the first contact");
    *operator_token = op; /* sessions live in the store: it stays good after this server stops */
    bench_server_stop(&srv);
    return facility;
}

int64_t bench_store_query_int(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        bench_die("cannot open the store");
    sqlite3_busy_timeout(db, 10000);
    int64_t v = query_int(db, sql);
    sqlite3_close(db);
    return v;
}

void bench_remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
