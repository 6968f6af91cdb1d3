/*
 * processor.c - charging a card through a processor over HTTP(S) with
 * libcurl (see processor.h for the protocol and the outcomes).
 *
 * Design: one easy handle per call, no shared state, so any request thread
 * may charge.  The answer is read into the call's arena up to
 * PROCESSOR_ANSWER_MAX bytes and parsed with jansson; what the processor
 * says is checked like any outside input (id alphabet and length, status
 * from the name table, last four digits) before it reaches the result.
 * What failed on the wire decides between "not charged" and "unknown":
 * only a connection that was never made is certainly not a charge.
 *
 * SECURITY: the card digits exist in three places for the duration of the
 * call: the caller's card_number (stack), jansson's copy inside the request
 * object and the serialised body.  Both copies made here are wiped before
 * they are freed.  The digits are never logged, never in a URL or a header;
 * log lines name the idempotency key, the outcome and the HTTP status.
 * libcurl verifies certificates (its default, left on), follows no
 * redirect and speaks only http and https.
 */
#include "payment/processor.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const charge_outcome_names[CHARGE_OUTCOME_COUNT] = {
    [CHARGE_APPROVED] = "approved",
    [CHARGE_DECLINED] = "declined",
    [CHARGE_PROCESSOR_ERROR] = "processor_error",
    [CHARGE_TIMEOUT] = "timeout",
    [CHARGE_NOT_FOUND] = "not_found",
};

static const char *const decline_reason_names[DECLINE_REASON_COUNT] = {
    [DECLINE_NONE] = "none",
    [DECLINE_DECLINED] = "declined",
    [DECLINE_INSUFFICIENT_FUNDS] = "insufficient_funds",
    [DECLINE_EXPIRED] = "expired",
    [DECLINE_INVALID] = "invalid",
};

const char *charge_outcome_name(charge_outcome outcome)
{
    return (int)outcome >= 0 && outcome < CHARGE_OUTCOME_COUNT ? charge_outcome_names[outcome] : "unknown";
}

const char *decline_reason_name(decline_reason reason)
{
    return (int)reason >= 0 && reason < DECLINE_REASON_COUNT ? decline_reason_names[reason] : "unknown";
}

bool decline_reason_from_name(const char *name, decline_reason *out)
{
    for (int i = 0; name != NULL && i < DECLINE_REASON_COUNT; i++)
        if (strcmp(decline_reason_names[i], name) == 0) {
            *out = (decline_reason)i;
            return true;
        }
    return false;
}

kite_err processor_key_check(const char *key, kite_fault *f)
{
    size_t len = key != NULL ? strnlen(key, PROCESSOR_KEY_MAX + 1) : 0;
    bool printable = len > 0 && len <= PROCESSOR_KEY_MAX;
    for (size_t i = 0; printable && i < len; i++)
        printable = key[i] > ' ' && key[i] < 0x7F;
    if (printable)
        return KITE_OK;
    kite_err err = fault_set(f, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_LENGTH);
    f->limit = PROCESSOR_KEY_MAX;
    return err;
}

/* ---- the transfer ---- */

typedef struct answer {
    buf body;
    bool too_large;
} answer;

static size_t answer_write(char *data, size_t size, size_t nitems, void *userp)
{
    answer *a = userp;
    size_t n = size * nitems;
    if (n > PROCESSOR_ANSWER_MAX - a->body.len) {
        a->too_large = true;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    buf_append(&a->body, data, n);
    return n;
}

typedef struct exchange {
    const char *url;
    const char *key;  /* the Idempotency-Key header, or NULL */
    const char *body; /* POST body, or NULL for GET */
    size_t body_len;
    long connect_ms, total_ms;
    /* what came back */
    CURLcode rc;
    long status;
    answer got;
} exchange;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* libcurl's global set-up, once per process and never undone: charges come from any thread. */
static void curl_start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void exchange_run(arena *a, exchange *x)
{
    pthread_once(&curl_once, curl_start);
    buf_init(&x->got.body, a);
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        x->rc = CURLE_FAILED_INIT;
        return;
    }
    struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
    if (x->body != NULL)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    if (x->key != NULL)
        headers = curl_slist_append(headers, arena_sprintf(a, "Idempotency-Key: %s", x->key));
    curl_easy_setopt(curl, CURLOPT_URL, x->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (x->body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, x->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, answer_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &x->got);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, x->connect_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, x->total_ms);
    x->rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &x->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
}

/* Transport failures where the request certainly never reached the processor. */
static bool never_sent(CURLcode rc)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
           rc == CURLE_FAILED_INIT || rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT;
}

/* ---- reading a charge ---- */

static bool id_valid(const char *id)
{
    size_t len = strnlen(id, PROCESSOR_ID_MAX + 1);
    return len > 0 && len <= PROCESSOR_ID_MAX &&
           strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len;
}

/* Fills result from a charge object; false when it is not one Kite can trust. */
static bool read_charge(const char *body, size_t len, charge_result *result)
{
    if (body == NULL || len == 0)
        return false;
    json_error_t error;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &error);
    const char *id = NULL, *status = NULL, *brand = NULL, *last4 = NULL, *decline = NULL;
    json_int_t amount = 0;
    bool ok = root != NULL && json_unpack_ex(root, &error, 0, "{s:s, s:s, s:I, s:{s:s, s:s}, s?s}", "id", &id,
                                             "status", &status, "amount_cents", &amount, "card", "brand", &brand,
                                             "last4", &last4, "decline_code", &decline) == 0;
    ok = ok && id_valid(id) && strlen(last4) == CARD_LAST4_LEN && strspn(last4, "0123456789") == CARD_LAST4_LEN &&
         amount > 0 && amount <= PROCESSOR_AMOUNT_MAX_CENTS;
    if (ok && strcmp(status, "approved") == 0) {
        result->outcome = CHARGE_APPROVED;
    } else if (ok && strcmp(status, "declined") == 0) {
        result->outcome = CHARGE_DECLINED;
        if (decline == NULL || !decline_reason_from_name(decline, &result->decline) ||
            result->decline == DECLINE_NONE)
            result->decline = DECLINE_DECLINED; /* a reason Kite does not know is still a decline */
    } else {
        ok = false;
    }
    if (ok) {
        snprintf(result->charge_id, sizeof result->charge_id, "%s", id);
        result->amount_cents = amount;
        if (!card_brand_from_name(brand, &result->card.brand))
            result->card.brand = CARD_BRAND_CARD;
        memcpy(result->card.last4, last4, CARD_LAST4_LEN + 1);
    }
    json_decref(root);
    return ok;
}

void processor_answer_read(long http_status, const char *body, size_t len, bool lookup, charge_result *result)
{
    *result = (charge_result){.outcome = CHARGE_PROCESSOR_ERROR, .http_status = http_status};
    long s = http_status;
    if (s >= 200 && s < 300) {
        /* The processor said yes to something: if Kite cannot read what, the outcome is unknown. */
        if (!read_charge(body, len, result))
            result->outcome = CHARGE_TIMEOUT;
    } else if (s == 402) {
        if (!read_charge(body, len, result) || result->outcome != CHARGE_DECLINED)
            *result = (charge_result){.outcome = CHARGE_PROCESSOR_ERROR, .http_status = s};
    } else if (s == 404 && lookup) {
        result->outcome = CHARGE_NOT_FOUND;
    } else if (s == 422 && !lookup) {
        result->outcome = CHARGE_DECLINED; /* the processor refused the card data */
        result->decline = DECLINE_INVALID;
    }
}

static void settle(const exchange *x, bool lookup, charge_result *result)
{
    if (x->rc != CURLE_OK && !x->got.too_large) {
        *result = (charge_result){.outcome = never_sent(x->rc) ? CHARGE_PROCESSOR_ERROR : CHARGE_TIMEOUT};
        return;
    }
    /* An answer over PROCESSOR_ANSWER_MAX is read as no body: a 2xx of it is an unknown outcome. */
    processor_answer_read(x->status, x->got.too_large ? NULL : x->got.body.data,
                          x->got.too_large ? 0 : x->got.body.len, lookup, result);
}

static void log_result(const char *what, const char *key, const exchange *x, const charge_result *r)
{
    if (r->outcome == CHARGE_TIMEOUT)
        log_warn("payment: %s under key %s: outcome unknown (%s, HTTP %ld); reconcile by key", what, key,
                 curl_easy_strerror(x->rc), x->status);
    else if (r->outcome == CHARGE_PROCESSOR_ERROR)
        log_warn("payment: %s under key %s: processor error (%s, HTTP %ld)", what, key, curl_easy_strerror(x->rc),
                 x->status);
}

static bool config_valid(const processor_config *config)
{
    const char *u = config != NULL ? config->base_url : NULL;
    return u != NULL && (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0);
}

static void exchange_timeouts(const processor_config *config, exchange *x)
{
    x->connect_ms = config->connect_timeout_ms > 0 ? config->connect_timeout_ms : PROCESSOR_CONNECT_TIMEOUT_MS;
    x->total_ms = config->total_timeout_ms > 0 ? config->total_timeout_ms : PROCESSOR_TOTAL_TIMEOUT_MS;
}

/* ---- the calls ---- */

/* The request body with the digits in it; *out is malloc'd and must be wiped and freed. */
static char *charge_body(const charge_request *request, const card_number *number)
{
    json_t *num = json_stringn(number->digits, number->len);
    json_t *cvc = json_string(request->card.cvc);
    json_t *body = json_pack("{s:I, s:s, s:{s:O, s:i, s:i, s:O}}", "amount_cents", (json_int_t)request->amount_cents,
                             "currency", "usd", "card", "number", num, "exp_month", request->card.exp_month,
                             "exp_year", request->card.exp_year, "cvc", cvc);
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    /* jansson frees without wiping: wipe its copies of the number and the CVC first. */
    explicit_bzero((char *)json_string_value(num), json_string_length(num));
    explicit_bzero((char *)json_string_value(cvc), json_string_length(cvc));
    json_decref(body);
    json_decref(num);
    json_decref(cvc);
    return text;
}

kite_err processor_charge(const processor_config *config, const charge_request *request, charge_result *result,
                          kite_fault *f)
{
    *result = (charge_result){.outcome = CHARGE_PROCESSOR_ERROR};
    *f = (kite_fault){0};
    if (!config_valid(config))
        return fault_settle(f, KITE_ERR_INTERNAL);
    kite_err err = processor_key_check(request->idempotency_key, f);
    if (err != KITE_OK)
        return err;
    if (request->amount_cents < 1 || request->amount_cents > PROCESSOR_AMOUNT_MAX_CENTS) {
        err = fault_set(f, KITE_ERR_INVALID_FIELD, "amount_cents", FAULT_RANGE);
        f->min = 1;
        f->max = PROCESSOR_AMOUNT_MAX_CENTS;
        return err;
    }
    card_number number;
    card_summary summary;
    if ((err = card_check(&request->card, request->now_ms, &number, &summary, f)) != KITE_OK)
        return err;
    char *body = charge_body(request, &number);
    card_number_wipe(&number);
    if (body == NULL)
        return fault_settle(f, KITE_ERR_INTERNAL);
    arena *a = arena_new();
    exchange x = {.key = request->idempotency_key, .body = body, .body_len = strlen(body)};
    x.url = arena_sprintf(a, "%s/v1/charges", config->base_url);
    exchange_timeouts(config, &x);
    exchange_run(a, &x);
    explicit_bzero(body, x.body_len);
    free(body);
    settle(&x, false, result);
    log_result("charge", request->idempotency_key, &x, result);
    arena_free(a);
    if (result->http_status == 409) {
        *result = (charge_result){.outcome = CHARGE_PROCESSOR_ERROR, .http_status = 409};
        return fault_set(f, KITE_ERR_IDEMPOTENCY_KEY_REUSED, "Idempotency-Key", FAULT_CHARGE);
    }
    return KITE_OK;
}

kite_err processor_lookup(const processor_config *config, const char *key, charge_result *result, kite_fault *f)
{
    *result = (charge_result){.outcome = CHARGE_PROCESSOR_ERROR};
    *f = (kite_fault){0};
    if (!config_valid(config))
        return fault_settle(f, KITE_ERR_INTERNAL);
    kite_err err = processor_key_check(key, f);
    if (err != KITE_OK)
        return err;
    arena *a = arena_new();
    char *escaped = curl_easy_escape(NULL, key, 0);
    exchange x = {0};
    x.url = arena_sprintf(a, "%s/v1/charges?idempotency_key=%s", config->base_url, escaped);
    curl_free(escaped);
    exchange_timeouts(config, &x);
    exchange_run(a, &x);
    settle(&x, true, result);
    log_result("lookup", key, &x, result);
    arena_free(a);
    return KITE_OK;
}
