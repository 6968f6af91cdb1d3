/*
 * test_processor.c - the processor client (payment/processor.c) against
 * the sandbox processor (payment/sandbox.c) started in this process on a
 * free port: every test card's outcome, one charge per idempotency key, a
 * reused key refused, a lost answer (the slow card against a client
 * timeout shorter than the sandbox's wait) reconciled by a lookup under the
 * same key and charged once, a processor that cannot be reached, answers
 * Kite cannot read, refusals before anything leaves, and a state file
 * that keeps the charges across a restart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/clock.h"
#include "http/server.h"
#include "payment/processor.h"
#include "payment/sandbox.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { SLOW_MS = 1500, CLIENT_TIMEOUT_MS = 500 };

typedef struct fixture {
    processor_sandbox *sandbox;
    char url[64];
    processor_config config;
    int exp_year;
} fixture;

static int setup(void **state)
{
    static fixture fx;
    memset(&fx, 0, sizeof fx);
    processor_sandbox_config sc = {.host = "127.0.0.1", .port = 0, .slow_ms = SLOW_MS};
    if (processor_sandbox_start(&sc, &fx.sandbox) != KITE_OK)
        return -1;
    snprintf(fx.url, sizeof fx.url, "http://127.0.0.1:%u", processor_sandbox_port(fx.sandbox));
    fx.config = (processor_config){.base_url = fx.url, .connect_timeout_ms = 1000, .total_timeout_ms = 5000};
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    fx.exp_year = utc.tm_year + 1900 + 2;
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    fx->sandbox = processor_sandbox_stop(fx->sandbox);
    return 0;
}

static charge_request request_for(const fixture *fx, const char *number, int64_t cents, const char *key)
{
    return (charge_request){.amount_cents = cents,
                            .card = {number, 6, fx->exp_year, "123"},
                            .idempotency_key = key,
                            .now_ms = clock_now_ms(&(kite_clock){0})};
}

static charge_result charge(const fixture *fx, const char *number, int64_t cents, const char *key)
{
    charge_request r = request_for(fx, number, cents, key);
    charge_result result;
    kite_fault f;
    assert_int_equal(processor_charge(&fx->config, &r, &result, &f), KITE_OK);
    return result;
}

static void test_approved_once_per_key(void **state)
{
    fixture *fx = *state;
    charge_result first = charge(fx, "4242 4242 4242 4242", 2500, "approve-1");
    assert_int_equal(first.outcome, CHARGE_APPROVED);
    assert_int_equal(first.http_status, 200);
    assert_true(strncmp(first.charge_id, "ch_", 3) == 0);
    assert_int_equal(first.amount_cents, 2500);
    assert_int_equal(first.card.brand, CARD_BRAND_VISA);
    assert_string_equal(first.card.last4, "4242");
    /* A retry, a double click: the same charge, not a second one. */
    charge_result again = charge(fx, "4242424242424242", 2500, "approve-1");
    assert_int_equal(again.outcome, CHARGE_APPROVED);
    assert_string_equal(again.charge_id, first.charge_id);
    charge_result other = charge(fx, "4242424242424242", 2500, "approve-2");
    assert_string_not_equal(other.charge_id, first.charge_id);
    /* The same key for another charge is refused and charges nothing. */
    charge_request changed = request_for(fx, "4242424242424242", 2600, "approve-1");
    charge_result result;
    kite_fault f;
    assert_int_equal(processor_charge(&fx->config, &changed, &result, &f), KITE_ERR_IDEMPOTENCY_KEY_REUSED);
    assert_string_equal(f.field, "Idempotency-Key");
    assert_int_equal(processor_lookup(&fx->config, "approve-1", &result, &f), KITE_OK);
    assert_int_equal(result.outcome, CHARGE_APPROVED);
    assert_int_equal(result.amount_cents, 2500);
    assert_string_equal(result.charge_id, first.charge_id);
}

static void test_declines(void **state)
{
    fixture *fx = *state;
    static const struct {
        const char *number;
        decline_reason reason;
    } cases[] = {
        {"4000 0000 0000 0002", DECLINE_DECLINED},
        {"4000 0000 0000 9995", DECLINE_INSUFFICIENT_FUNDS},
        {"4000 0000 0000 0069", DECLINE_EXPIRED},
        {"5555 5555 5555 4444", DECLINE_INVALID}, /* Luhn-valid, not a test card */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "decline-%zu", i);
        charge_result r = charge(fx, cases[i].number, 100, key);
        assert_int_equal(r.outcome, CHARGE_DECLINED);
        assert_int_equal(r.decline, cases[i].reason);
        assert_int_equal(r.http_status, 402);
        assert_true(r.charge_id[0] != '\0');
        /* A decline is an answer too: the same key gives it again. */
        charge_result again = charge(fx, cases[i].number, 100, key);
        assert_string_equal(again.charge_id, r.charge_id);
        assert_int_equal(again.decline, cases[i].reason);
        charge_result looked;
        kite_fault f;
        assert_int_equal(processor_lookup(&fx->config, key, &looked, &f), KITE_OK);
        assert_int_equal(looked.outcome, CHARGE_DECLINED);
        assert_int_equal(looked.decline, cases[i].reason);
        assert_string_equal(looked.charge_id, r.charge_id);
    }
}

static void test_processor_error_charges_nothing(void **state)
{
    fixture *fx = *state;
    charge_result r = charge(fx, "4000000000000119", 700, "error-1");
    assert_int_equal(r.outcome, CHARGE_PROCESSOR_ERROR);
    assert_int_equal(r.http_status, 500);
    charge_result looked;
    kite_fault f;
    assert_int_equal(processor_lookup(&fx->config, "error-1", &looked, &f), KITE_OK);
    assert_int_equal(looked.outcome, CHARGE_NOT_FOUND);
}

static void test_lost_answer_is_reconciled_by_key(void **state)
{
    fixture *fx = *state;
    processor_config impatient = fx->config;
    impatient.total_timeout_ms = CLIENT_TIMEOUT_MS;
    charge_request req = request_for(fx, "4000 0000 0000 3220", 4200, "slow-1");
    charge_result r;
    kite_fault f;
    int64_t started = clock_mono_ms();
    assert_int_equal(processor_charge(&impatient, &req, &r, &f), KITE_OK);
    assert_int_equal(r.outcome, CHARGE_TIMEOUT);
    assert_true(clock_mono_ms() - started < SLOW_MS);
    /* The outcome is unknown: the lookup by the same key says what happened. */
    charge_result looked;
    assert_int_equal(processor_lookup(&fx->config, "slow-1", &looked, &f), KITE_OK);
    assert_int_equal(looked.outcome, CHARGE_APPROVED);
    assert_int_equal(looked.amount_cents, 4200);
    assert_string_equal(looked.card.last4, "3220");
    /* Trying again with the same key finds the same charge: charged once. */
    charge_result again = charge(fx, "4000000000003220", 4200, "slow-1");
    assert_int_equal(again.outcome, CHARGE_APPROVED);
    assert_string_equal(again.charge_id, looked.charge_id);
    /* A key never used: nothing was charged, so charging under it is safe. */
    assert_int_equal(processor_lookup(&fx->config, "never-used", &looked, &f), KITE_OK);
    assert_int_equal(looked.outcome, CHARGE_NOT_FOUND);
}

static void test_refused_before_anything_leaves(void **state)
{
    fixture *fx = *state;
    charge_result r;
    kite_fault f;
    charge_request bad = request_for(fx, "4242424242424241", 100, "refuse-1");
    assert_int_equal(processor_charge(&fx->config, &bad, &r, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(f.field, "card_number");
    bad = request_for(fx, "4242424242424242", 0, "refuse-2");
    assert_int_equal(processor_charge(&fx->config, &bad, &r, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(f.field, "amount_cents");
    bad = request_for(fx, "4242424242424242", PROCESSOR_AMOUNT_MAX_CENTS + 1, "refuse-3");
    assert_int_equal(processor_charge(&fx->config, &bad, &r, &f), KITE_ERR_INVALID_FIELD);
    static const char *const keys[] = {"", "with space", "tab\there", NULL};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        bad = request_for(fx, "4242424242424242", 100, keys[i]);
        assert_int_equal(processor_charge(&fx->config, &bad, &r, &f), KITE_ERR_INVALID_FIELD);
        assert_string_equal(f.field, "Idempotency-Key");
        assert_int_equal(processor_lookup(&fx->config, keys[i], &r, &f), KITE_ERR_INVALID_FIELD);
    }
    char longest[PROCESSOR_KEY_MAX + 2];
    memset(longest, 'k', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    assert_int_equal(processor_lookup(&fx->config, longest, &r, &f), KITE_ERR_INVALID_FIELD);
    longest[PROCESSOR_KEY_MAX] = '\0';
    assert_int_equal(processor_lookup(&fx->config, longest, &r, &f), KITE_OK);
    assert_int_equal(r.outcome, CHARGE_NOT_FOUND);
    processor_config nowhere = {.base_url = "ftp://127.0.0.1"};
    bad = request_for(fx, "4242424242424242", 100, "refuse-4");
    assert_int_equal(processor_charge(&nowhere, &bad, &r, &f), KITE_ERR_INTERNAL);
}

static void test_unreachable_processor(void **state)
{
    fixture *fx = *state;
    /* A port nobody listens on: the connection is refused, so nothing can have been charged. */
    processor_sandbox_config sc = {.host = "127.0.0.1", .port = 0};
    processor_sandbox *gone = NULL;
    assert_int_equal(processor_sandbox_start(&sc, &gone), KITE_OK);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", processor_sandbox_port(gone));
    gone = processor_sandbox_stop(gone);
    processor_config config = {.base_url = url, .connect_timeout_ms = 1000, .total_timeout_ms = 2000};
    charge_request req = request_for(fx, "4242424242424242", 100, "unreachable-1");
    charge_result r;
    kite_fault f;
    assert_int_equal(processor_charge(&config, &req, &r, &f), KITE_OK);
    assert_int_equal(r.outcome, CHARGE_PROCESSOR_ERROR);
    assert_int_equal(r.http_status, 0);
}

/* ---- a processor that answers what Kite cannot read ---- */

static void answer_garbage(http_request *req, void *app)
{
    const char *key = http_header(req, "Idempotency-Key");
    if (key != NULL && strcmp(key, "busy") == 0) {
        http_reply_bytes(req, 503, "text/plain", "down", 4);
    } else if (key != NULL && strcmp(key, "no-card") == 0) {
        http_reply_json(req, 200, json_pack("{s:s, s:s, s:i}", "id", "ch_1", "status", "approved", "amount_cents", 100));
    } else if (key != NULL && strcmp(key, "bad-id") == 0) {
        http_reply_json(req, 200, json_pack("{s:s, s:s, s:i, s:{s:s, s:s}}", "id", "ch 1<script>", "status",
                                            "approved", "amount_cents", 100, "card", "brand", "visa", "last4", "4242"));
    } else if (key != NULL && strcmp(key, "strange-decline") == 0) {
        http_reply_json(req, 402, json_pack("{s:s, s:s, s:i, s:{s:s, s:s}, s:s}", "id", "ch_2", "status", "declined",
                                            "amount_cents", 100, "card", "brand", "jcb", "last4", "0000",
                                            "decline_code", "stolen_card"));
    } else {
        http_reply_bytes(req, 200, "application/json", "{\"id\":", 6);
    }
}

static void test_answers_kite_cannot_read(void **state)
{
    fixture *fx = *state;
    static const http_route routes[] = {{"POST", "/v1/charges", answer_garbage}, {"GET", "/v1/charges", answer_garbage}};
    http_config hc = {.host = "127.0.0.1", .limits = {.max_body = 4096, .max_header_bytes = 8192, .max_connections = 8,
                                                      .threads = 2, .idle_timeout_s = 5},
                      .routes = routes, .route_count = 2};
    http_server *liar = NULL;
    assert_int_equal(http_server_start(&hc, &liar), KITE_OK);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", http_server_port(liar));
    processor_config config = {.base_url = url};
    charge_result r;
    kite_fault f;
    charge_request req = request_for(fx, "4242424242424242", 100, "truncated");
    assert_int_equal(processor_charge(&config, &req, &r, &f), KITE_OK);
    assert_int_equal(r.outcome, CHARGE_TIMEOUT); /* a 2xx Kite cannot read: unknown, reconcile */
    req.idempotency_key = "no-card";
    assert_int_equal(processor_charge(&config, &req, &r, &f), KITE_OK);
    assert_int_equal(r.outcome, CHARGE_TIMEOUT);
    req.idempotency_key = "bad-id";
    assert_int_equal(processor_charge(&config, &req, &r, &f), KITE_OK);
    assert_int_equal(r.outcome, CHARGE_TIMEOUT);
    assert_string_equal(r.charge_id, "");
    req.idempotency_key = "busy";
    assert_int_equal(processor_charge(&config, &req, &r, &f), KITE_OK);
    assert_int_equal(r.outcome, CHARGE_PROCESSOR_ERROR);
    assert_int_equal(r.http_status, 503);
    req.idempotency_key = "strange-decline";
    assert_int_equal(processor_charge(&config, &req, &r, &f), KITE_OK);
    assert_int_equal(r.outcome, CHARGE_DECLINED);
    assert_int_equal(r.decline, DECLINE_DECLINED);
    assert_int_equal(r.card.brand, CARD_BRAND_CARD);
    liar = http_server_stop(liar);
}

/* With a state file, a restart keeps the charges: a lost answer is still found by its key. */
static void test_state_file_keeps_charges(void **state)
{
    fixture *fx = *state;
    char dir[] = "/tmp/kite-processor-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/charges.json", dir);
    processor_sandbox_config sc = {.host = "127.0.0.1", .port = 0, .state_path = path};
    processor_sandbox *first = NULL;
    assert_int_equal(processor_sandbox_start(&sc, &first), KITE_OK);
    fixture mine = *fx;
    snprintf(mine.url, sizeof mine.url, "http://127.0.0.1:%u", processor_sandbox_port(first));
    mine.config.base_url = mine.url;
    charge_result made = charge(&mine, "4242424242424242", 900, "kept-1");
    assert_int_equal(made.outcome, CHARGE_APPROVED);
    first = processor_sandbox_stop(first);

    processor_sandbox *second = NULL;
    assert_int_equal(processor_sandbox_start(&sc, &second), KITE_OK);
    snprintf(mine.url, sizeof mine.url, "http://127.0.0.1:%u", processor_sandbox_port(second));
    charge_result looked;
    kite_fault f;
    assert_int_equal(processor_lookup(&mine.config, "kept-1", &looked, &f), KITE_OK);
    assert_int_equal(looked.outcome, CHARGE_APPROVED);
    assert_string_equal(looked.charge_id, made.charge_id);
    charge_result again = charge(&mine, "4242424242424242", 900, "kept-1");
    assert_string_equal(again.charge_id, made.charge_id);
    charge_request changed = request_for(&mine, "4242424242424242", 901, "kept-1");
    assert_int_equal(processor_charge(&mine.config, &changed, &looked, &f), KITE_ERR_IDEMPOTENCY_KEY_REUSED);
    charge_result next = charge(&mine, "4242424242424242", 900, "kept-2");
    assert_string_not_equal(next.charge_id, made.charge_id);
    second = processor_sandbox_stop(second);

    /* No card number in the file: the summary only. */
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[n] = '\0';
    assert_null(strstr(text, "4242424242424242"));
    assert_non_null(strstr(text, "\"last4\":\"4242\""));
    /* A file that is not the sandbox's own is refused, not half read. */
    file = fopen(path, "w");
    assert_non_null(file);
    fputs("{\"version\": 1, \"charges\": 3}", file);
    fclose(file);
    processor_sandbox *refused = NULL;
    assert_int_equal(processor_sandbox_start(&sc, &refused), KITE_ERR_IO);
    assert_null(refused);
    unlink(path);
    rmdir(dir);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(charge_outcome_name(CHARGE_TIMEOUT), "timeout");
    assert_string_equal(charge_outcome_name(CHARGE_OUTCOME_COUNT), "unknown");
    for (int i = 0; i < DECLINE_REASON_COUNT; i++) {
        decline_reason back;
        assert_true(decline_reason_from_name(decline_reason_name((decline_reason)i), &back));
        assert_int_equal(back, i);
    }
    decline_reason none;
    assert_false(decline_reason_from_name("stolen", &none));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_approved_once_per_key),
        cmocka_unit_test(test_declines),
        cmocka_unit_test(test_processor_error_charges_nothing),
        cmocka_unit_test(test_lost_answer_is_reconciled_by_key),
        cmocka_unit_test(test_refused_before_anything_leaves),
        cmocka_unit_test(test_unreachable_processor),
        cmocka_unit_test(test_answers_kite_cannot_read),
        cmocka_unit_test(test_state_file_keeps_charges),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
