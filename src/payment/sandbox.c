/*
 * sandbox.c - the sandbox payment processor (see sandbox.h).
 *
 * Design: three routes on http/server.  A charge is decided and recorded
 * under one mutex, so a double click or a retry that races the first try
 * finds the first charge and never makes a second; only the slow card's
 * wait happens outside the lock, on a condition variable that stop wakes.
 * Charges live in one growing array searched by key: this is a test tool,
 * bounded by SANDBOX_MAX_CHARGES.
 *
 * SECURITY: request bodies are untrusted and read with jansson into a
 * strict shape, then the card is checked with card_check() like Kite does.
 * The fingerprint that tells a replay from a reused key is a BLAKE2b hash
 * keyed with a random per-process key, so the stored hashes cannot be
 * brute-forced back to card numbers; the text it is computed over is
 * wiped.  Log lines carry the charge id, key, outcome, brand and last four
 * only.
 */
#include "payment/sandbox.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/fault.h"
#include "core/log.h"
#include "core/secret.h"
#include "http/server.h"
#include "payment/card.h"
#include "payment/processor.h"

#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum card_behaviour {
    BEHAVE_APPROVE,
    BEHAVE_DECLINE,
    BEHAVE_ERROR, /* HTTP 500, nothing recorded */
    BEHAVE_SLOW,  /* approve, answer after slow_ms */
} card_behaviour;

/* The documented test cards (payment/README.md, `kite processor-sandbox --help`). */
static const struct {
    const char *number;
    card_behaviour behaviour;
    decline_reason decline;
} test_cards[] = {
    {"4242424242424242", BEHAVE_APPROVE, DECLINE_NONE},
    {"4000000000000002", BEHAVE_DECLINE, DECLINE_DECLINED},
    {"4000000000009995", BEHAVE_DECLINE, DECLINE_INSUFFICIENT_FUNDS},
    {"4000000000000119", BEHAVE_ERROR, DECLINE_NONE},
    {"4000000000003220", BEHAVE_SLOW, DECLINE_NONE},
    {"4000000000000069", BEHAVE_DECLINE, DECLINE_EXPIRED},
};

enum { FINGERPRINT_BYTES = 32, CHARGE_ID_MAX = 40 };

typedef struct sandbox_charge {
    char key[PROCESSOR_KEY_MAX + 1];
    unsigned char fingerprint[FINGERPRINT_BYTES];
    char id[CHARGE_ID_MAX];
    decline_reason decline; /* DECLINE_NONE: approved */
    int64_t amount_cents;
    card_summary card;
    int64_t created_ms;
} sandbox_charge;

struct processor_sandbox {
    http_server *server;
    int64_t slow_ms;
    char *state_path; /* --state, or NULL: memory only */
    unsigned char hash_key[crypto_generichash_KEYBYTES];
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake;  /* slow answers wait on it; stop broadcasts */
    bool stopping;
    sandbox_charge *charges;
    size_t count, cap;
    uint64_t next_id;
};

/* ---- answers ---- */

static void reply_fault(http_request *req, const kite_fault *f)
{
    http_reply_error(req, f->code, fault_sentence(http_arena(req), f, http_lang(req)), f->field);
}

/* A charge's answer is 402 when declined; a lookup that finds one answers 200 (found) whatever it says. */
static void reply_charge(http_request *req, const sandbox_charge *c, bool replayed, bool lookup)
{
    char created[RFC3339_LEN];
    clock_format_rfc3339(c->created_ms, created);
    bool approved = c->decline == DECLINE_NONE;
    json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:{s:s, s:s}, s:s, s:s}", "id", c->id, "status",
                             approved ? "approved" : "declined", "amount_cents", (json_int_t)c->amount_cents,
                             "currency", "usd", "card", "brand", card_brand_name(c->card.brand), "last4",
                             c->card.last4, "idempotency_key", c->key, "created_at", created);
    if (!approved)
        json_object_set_new(body, "decline_code", json_string(decline_reason_name(c->decline)));
    if (replayed)
        http_reply_header(req, "Idempotent-Replayed", "true");
    http_reply_json(req, approved || lookup ? 200 : 402, body);
}

/* ---- the store ---- */

/* Under lock. */
static sandbox_charge *charge_find(processor_sandbox *sb, const char *key)
{
    for (size_t i = 0; i < sb->count; i++)
        if (strcmp(sb->charges[i].key, key) == 0)
            return &sb->charges[i];
    return NULL;
}

/* Under lock; NULL when the sandbox is full. */
static sandbox_charge *charge_add(processor_sandbox *sb)
{
    if (sb->count == SANDBOX_MAX_CHARGES)
        return NULL;
    if (sb->count == sb->cap) {
        sb->cap = sb->cap == 0 ? 64 : sb->cap * 2;
        sb->charges = xrealloc(sb->charges, sb->cap * sizeof *sb->charges);
    }
    sandbox_charge *c = &sb->charges[sb->count++];
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "ch_sandbox_%06" PRIu64, ++sb->next_id);
    return c;
}

/* ---- --state: the charges in a JSON file, rewritten whole on every new charge ---- */

static json_t *charge_to_json(const sandbox_charge *c)
{
    char print[2 * FINGERPRINT_BYTES + 1];
    sodium_bin2hex(print, sizeof print, c->fingerprint, sizeof c->fingerprint);
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I}", "key", c->key, "fingerprint", print, "id", c->id,
                     "decline", decline_reason_name(c->decline), "amount_cents", (json_int_t)c->amount_cents, "brand",
                     card_brand_name(c->card.brand), "last4", c->card.last4, "created_ms", (json_int_t)c->created_ms);
}

static bool charge_from_json(json_t *o, sandbox_charge *c)
{
    const char *key, *print, *id, *decline, *brand, *last4;
    json_int_t amount, created;
    json_error_t error;
    memset(c, 0, sizeof *c);
    if (json_unpack_ex(o, &error, JSON_STRICT, "{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I}", "key", &key,
                       "fingerprint", &print, "id", &id, "decline", &decline, "amount_cents", &amount, "brand",
                       &brand, "last4", &last4, "created_ms", &created) != 0)
        return false;
    kite_fault f;
    size_t bytes = 0;
    bool ok = processor_key_check(key, &f) == KITE_OK && strlen(id) < sizeof c->id &&
              strlen(last4) == CARD_LAST4_LEN && decline_reason_from_name(decline, &c->decline) &&
              card_brand_from_name(brand, &c->card.brand) &&
              sodium_hex2bin(c->fingerprint, sizeof c->fingerprint, print, strlen(print), NULL, &bytes, NULL) == 0 &&
              bytes == FINGERPRINT_BYTES;
    if (ok) {
        snprintf(c->key, sizeof c->key, "%s", key);
        snprintf(c->id, sizeof c->id, "%s", id);
        memcpy(c->card.last4, last4, CARD_LAST4_LEN + 1);
        c->amount_cents = (int64_t)amount;
        c->created_ms = (int64_t)created;
    }
    return ok;
}

/* Under lock.  Written to PATH.tmp and renamed, so a crash leaves the old file or the new one. */
static kite_err state_save(processor_sandbox *sb)
{
    char hash_key[2 * sizeof sb->hash_key + 1];
    sodium_bin2hex(hash_key, sizeof hash_key, sb->hash_key, sizeof sb->hash_key);
    json_t *charges = json_array();
    for (size_t i = 0; i < sb->count; i++)
        json_array_append_new(charges, charge_to_json(&sb->charges[i]));
    json_t *root = json_pack("{s:i, s:s, s:I, s:o}", "version", 1, "hash_key", hash_key, "next_id",
                             (json_int_t)sb->next_id, "charges", charges);
    sodium_memzero(hash_key, sizeof hash_key);
    char tmp[4096];
    int len = snprintf(tmp, sizeof tmp, "%s.tmp", sb->state_path);
    bool ok = root != NULL && len > 0 && (size_t)len < sizeof tmp &&
              json_dump_file(root, tmp, JSON_COMPACT) == 0 && rename(tmp, sb->state_path) == 0;
    json_decref(root);
    if (!ok)
        log_error("sandbox: cannot write the state file %s", sb->state_path);
    return ok ? KITE_OK : KITE_ERR_IO;
}

/* Reads the state file when there is one; a file that is not the sandbox's own is refused. */
static kite_err state_load(processor_sandbox *sb)
{
    FILE *probe = fopen(sb->state_path, "r");
    if (probe == NULL)
        return KITE_OK; /* a new file: made at the first charge */
    fclose(probe);
    json_error_t error;
    json_t *root = json_load_file(sb->state_path, JSON_REJECT_DUPLICATES, &error);
    const char *hash_key = NULL;
    json_int_t version = 0, next_id = 0;
    json_t *charges = NULL;
    size_t bytes = 0;
    bool ok = root != NULL &&
              json_unpack_ex(root, &error, JSON_STRICT, "{s:I, s:s, s:I, s:o}", "version", &version, "hash_key",
                             &hash_key, "next_id", &next_id, "charges", &charges) == 0 &&
              version == 1 && next_id >= 0 && json_is_array(charges) &&
              json_array_size(charges) <= SANDBOX_MAX_CHARGES &&
              sodium_hex2bin(sb->hash_key, sizeof sb->hash_key, hash_key, strlen(hash_key), NULL, &bytes, NULL) == 0 &&
              bytes == sizeof sb->hash_key;
    for (size_t i = 0; ok && i < json_array_size(charges); i++) {
        sandbox_charge *c = charge_add(sb);
        ok = charge_from_json(json_array_get(charges, i), c) && charge_find(sb, c->key) == c;
    }
    sb->next_id = ok ? (uint64_t)next_id : 0;
    json_decref(root);
    if (!ok)
        log_error("sandbox: %s is not a sandbox state file (or it is damaged)", sb->state_path);
    else
        log_info("sandbox: %zu charges read from %s", sb->count, sb->state_path);
    return ok ? KITE_OK : KITE_ERR_IO;
}

/* Waits up to ms on the monotonic clock, or until stop. */
static void slow_wait(processor_sandbox *sb, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&sb->lock);
    int rc = 0;
    while (!sb->stopping && rc == 0)
        rc = pthread_cond_timedwait(&sb->wake, &sb->lock, &until);
    pthread_mutex_unlock(&sb->lock);
}

/* ---- POST /v1/charges ---- */

typedef struct charge_body {
    json_int_t amount;
    const char *currency;
    card_input card;
} charge_body;

/* Reads the body into *out (borrowing from *root); false after answering. */
static bool read_body_or_reply(http_request *req, json_t **root, charge_body *out)
{
    size_t len;
    const char *text = http_body(req, &len);
    json_error_t error;
    kite_fault f = {0};
    *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
    if (*root == NULL) {
        http_reply_error(req, KITE_ERR_MALFORMED_JSON, NULL, NULL);
        return false;
    }
    /* Month and year as 64-bit first: "i" would cut 4294967308 down to 12, a valid month. */
    json_int_t month, year;
    if (json_unpack_ex(*root, &error, JSON_STRICT, "{s:I, s:s, s:{s:s, s:I, s:I, s:s}}", "amount_cents",
                       &out->amount, "currency", &out->currency, "card", "number", &out->card.number, "exp_month",
                       &month, "exp_year", &year, "cvc", &out->card.cvc) != 0) {
        fault_set(&f, KITE_ERR_BAD_REQUEST, NULL, FAULT_CHARGE);
        reply_fault(req, &f);
        return false;
    }
    out->card.exp_month = month >= 1 && month <= 12 ? (int)month : 0;     /* 0: card_check refuses it */
    out->card.exp_year = year >= 1000 && year <= 9999 ? (int)year : 0;
    static const char *const currencies[] = {"usd", NULL};
    if (strcmp(out->currency, "usd") != 0) {
        fault_set(&f, KITE_ERR_INVALID_FIELD, "currency", FAULT_CHOICE);
        f.choices = currencies;
        reply_fault(req, &f);
        return false;
    }
    if (out->amount < 1 || out->amount > PROCESSOR_AMOUNT_MAX_CENTS) {
        fault_set(&f, KITE_ERR_INVALID_FIELD, "amount_cents", FAULT_RANGE);
        f.min = 1;
        f.max = PROCESSOR_AMOUNT_MAX_CENTS;
        reply_fault(req, &f);
        return false;
    }
    return true;
}

/* A keyed hash of everything that makes the charge, so a replay can be told from a reused key. */
static void fingerprint(const processor_sandbox *sb, const charge_body *b, const card_number *n,
                        unsigned char out[FINGERPRINT_BYTES])
{
    char text[160];
    int len = snprintf(text, sizeof text, "%" PRId64 "|%s|%s|%d|%d|%s", (int64_t)b->amount, b->currency, n->digits,
                       b->card.exp_month, b->card.exp_year, b->card.cvc);
    crypto_generichash(out, FINGERPRINT_BYTES, (const unsigned char *)text,
                       len > 0 && (size_t)len < sizeof text ? (size_t)len : sizeof text - 1, sb->hash_key,
                       sizeof sb->hash_key);
    sodium_memzero(text, sizeof text);
}

static card_behaviour behaviour_of(const card_number *n, decline_reason *decline)
{
    for (size_t i = 0; i < sizeof test_cards / sizeof test_cards[0]; i++)
        if (strcmp(test_cards[i].number, n->digits) == 0) {
            *decline = test_cards[i].decline;
            return test_cards[i].behaviour;
        }
    *decline = DECLINE_INVALID; /* a real-looking number: the sandbox charges no real card */
    return BEHAVE_DECLINE;
}

typedef enum decision { DECIDED_NEW, DECIDED_REPLAY, DECIDED_REUSED, DECIDED_ERROR, DECIDED_FULL, DECIDED_UNSAVED } decision;

/* Finds or makes the charge under key, all under the lock; copies it to *out. */
static decision decide(processor_sandbox *sb, const char *key, const charge_body *b, const card_number *n,
                       sandbox_charge *out, card_behaviour *behaviour)
{
    unsigned char print[FINGERPRINT_BYTES];
    fingerprint(sb, b, n, print);
    decline_reason decline;
    *behaviour = behaviour_of(n, &decline);
    decision d = DECIDED_NEW;
    pthread_mutex_lock(&sb->lock);
    sandbox_charge *c = charge_find(sb, key);
    if (c != NULL)
        d = sodium_memcmp(c->fingerprint, print, sizeof print) == 0 ? DECIDED_REPLAY : DECIDED_REUSED;
    else if (*behaviour == BEHAVE_ERROR)
        d = DECIDED_ERROR;
    else if ((c = charge_add(sb)) == NULL)
        d = DECIDED_FULL;
    if (d == DECIDED_NEW) {
        snprintf(c->key, sizeof c->key, "%s", key);
        memcpy(c->fingerprint, print, sizeof print);
        c->decline = decline;
        c->amount_cents = (int64_t)b->amount;
        card_summarize(n, &c->card);
        c->created_ms = clock_now_ms(&(kite_clock){0});
        if (sb->state_path != NULL && state_save(sb) != KITE_OK) {
            sb->count--; /* not kept, so not charged: the client may try again */
            d = DECIDED_UNSAVED;
        }
    }
    if (c != NULL && (d == DECIDED_NEW || d == DECIDED_REPLAY))
        *out = *c;
    pthread_mutex_unlock(&sb->lock);
    return d;
}

static void log_charge(const char *what, const sandbox_charge *c)
{
    log_info("sandbox: %s %s key %s: %s%s%s, %s ending %s, %" PRId64 " cents", what, c->id, c->key,
             c->decline == DECLINE_NONE ? "approved" : "declined",
             c->decline == DECLINE_NONE ? "" : " ", c->decline == DECLINE_NONE ? "" : decline_reason_name(c->decline),
             card_brand_name(c->card.brand), c->card.last4, c->amount_cents);
}

static void answer_decision(http_request *req, processor_sandbox *sb, decision d, const sandbox_charge *c,
                            card_behaviour behaviour)
{
    kite_fault f = {0};
    switch (d) {
    case DECIDED_REUSED:
        fault_set(&f, KITE_ERR_CONFLICT, "Idempotency-Key", FAULT_CHARGE);
        reply_fault(req, &f);
        return;
    case DECIDED_ERROR:
        log_info("sandbox: processor error test card: answering 500, nothing charged");
        fault_set(&f, KITE_ERR_INTERNAL, NULL, FAULT_CHARGE);
        reply_fault(req, &f);
        return;
    case DECIDED_FULL:
        http_reply_error(req, KITE_ERR_BUSY, NULL, NULL);
        return;
    case DECIDED_UNSAVED:
        http_reply_error(req, KITE_ERR_STORE, NULL, NULL);
        return;
    case DECIDED_REPLAY:
        log_charge("replayed", c);
        reply_charge(req, c, true, false);
        return;
    case DECIDED_NEW:
        log_charge("charged", c);
        if (behaviour == BEHAVE_SLOW)
            slow_wait(sb, sb->slow_ms); /* recorded already: a lookup meanwhile finds it */
        reply_charge(req, c, false, false);
        return;
    }
}

static void handle_charge(http_request *req, void *app)
{
    processor_sandbox *sb = app;
    kite_fault f = {0};
    const char *key = http_header(req, "Idempotency-Key");
    if (processor_key_check(key, &f) != KITE_OK) {
        reply_fault(req, &f);
        return;
    }
    json_t *root = NULL;
    charge_body b = {0};
    if (!read_body_or_reply(req, &root, &b)) {
        json_decref(root);
        return;
    }
    card_number n;
    card_summary summary;
    if (card_check(&b.card, clock_now_ms(&(kite_clock){0}), &n, &summary, &f) != KITE_OK) {
        reply_fault(req, &f);
        json_decref(root);
        return;
    }
    sandbox_charge c;
    card_behaviour behaviour;
    decision d = decide(sb, key, &b, &n, &c, &behaviour);
    card_number_wipe(&n);
    json_decref(root);
    answer_decision(req, sb, d, &c, behaviour);
}

/* ---- GET /v1/charges?idempotency_key=KEY ---- */

static void handle_lookup(http_request *req, void *app)
{
    processor_sandbox *sb = app;
    kite_fault f = {0};
    const char *key = http_query(req, "idempotency_key");
    if (processor_key_check(key, &f) != KITE_OK) {
        reply_fault(req, &f);
        return;
    }
    sandbox_charge c;
    pthread_mutex_lock(&sb->lock);
    const sandbox_charge *found = charge_find(sb, key);
    if (found != NULL)
        c = *found;
    pthread_mutex_unlock(&sb->lock);
    if (found == NULL) {
        fault_set(&f, KITE_ERR_NOT_FOUND, "idempotency_key", FAULT_CHARGE);
        reply_fault(req, &f);
        return;
    }
    reply_charge(req, &c, false, true);
}

static void handle_health(http_request *req, void *app)
{
    http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

static const http_route sandbox_routes[] = {
    {"POST", "/v1/charges", handle_charge},
    {"GET", "/v1/charges", handle_lookup},
    {"GET", "/healthz", handle_health},
};

/* ---- life ---- */

kite_err processor_sandbox_start(const processor_sandbox_config *config, processor_sandbox **out)
{
    *out = NULL;
    if (config->slow_ms < 0 || config->slow_ms > SANDBOX_SLOW_MS_MAX || secret_init() != KITE_OK)
        return KITE_ERR_BAD_REQUEST;
    processor_sandbox *sb = xcalloc(1, sizeof *sb);
    sb->slow_ms = config->slow_ms;
    crypto_generichash_keygen(sb->hash_key);
    pthread_mutex_init(&sb->lock, NULL);
    sb->state_path = config->state_path != NULL ? xstrdup(config->state_path) : NULL;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&sb->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (sb->state_path != NULL && state_load(sb) != KITE_OK) {
        processor_sandbox_stop(sb);
        return KITE_ERR_IO;
    }
    http_config http = {
        .host = config->host,
        .port = config->port,
        /* Several threads: a slow answer holds one, and lookups must get through meanwhile. */
        .limits = {.max_body = 16 * 1024, .max_header_bytes = 16 * 1024, .max_connections = 256, .threads = 8,
                   .idle_timeout_s = 30},
        .routes = sandbox_routes,
        .route_count = sizeof sandbox_routes / sizeof sandbox_routes[0],
        .app = sb,
    };
    kite_err err = http_server_start(&http, &sb->server);
    if (err != KITE_OK) {
        sb->server = NULL;
        processor_sandbox_stop(sb);
        return err;
    }
    *out = sb;
    return KITE_OK;
}

uint16_t processor_sandbox_port(const processor_sandbox *sandbox)
{
    return http_server_port(sandbox->server);
}

processor_sandbox *processor_sandbox_stop(processor_sandbox *sandbox)
{
    if (sandbox == NULL)
        return NULL;
    pthread_mutex_lock(&sandbox->lock);
    sandbox->stopping = true;
    pthread_cond_broadcast(&sandbox->wake);
    pthread_mutex_unlock(&sandbox->lock);
    sandbox->server = http_server_stop(sandbox->server);
    pthread_cond_destroy(&sandbox->wake);
    pthread_mutex_destroy(&sandbox->lock);
    free(sandbox->charges);
    free(sandbox->state_path);
    free(sandbox);
    return NULL;
}
