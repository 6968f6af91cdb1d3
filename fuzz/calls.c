/*
 * calls.c - fuzzes the call records a facility's phone system posts
 * (POST /api/v1/facilities/{id}/calls, domain/ledger/phone_calls.c): the
 * JSON body's fields as api/phone.c takes them, the RFC 3339 start time
 * (clock_parse_rfc3339), the number called (phone_number_normalize), the
 * rating (phone_rate_call), and the record itself, which moves money.
 *
 * Input: the JSON body of a call record.  Optional extra members
 * "rate_cents" and "balance_cents" feed phone_rate_call alone.
 *
 * Set-up (once): San Quentin has a phone key; the demo family has a phone
 * account there for +1 415 555 0100 with $10 on it; Dee (K84021) is on the
 * roster.  Calls accumulate, as on a real system, so the balance runs out
 * and later calls are recorded unbilled.
 *
 * Contract checked: a parsed start time formats and parses back to the same
 * millisecond; a normalised number is "+" and 8 to 15 digits and normalises
 * to itself; a rating never bills more than the balance, bills started
 * minutes at the rate, and is cut at the balance only when it had to be; a
 * recorded call posted again under its id is a replay with the same
 * outcome and amount; and every 500 records, `kite ledger verify`'s checks
 * pass over the whole store.
 */
#include "store.h"

#include "core/clock.h"
#include "domain/identity/account.h"
#include "domain/ledger/phone.h"
#include "domain/ledger/phone_keys.h"
#include "domain/ledger/verify.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static phone_key key;

static kite_err family_tx(db_conn *conn, void *data)
{
    arena *a = arena_new();
    kite_err err = account_load_verified(conn, a, "family@demo.kite", data, NULL);
    arena_free(a);
    return err;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    cli_store *s = fuzz_store();
    char secret[PHONE_KEY_LEN + 1];
    account family;
    arena *a = arena_new();
    phone_account pa;
    phone_money_move moved;
    bool replayed;
    kite_fault f;
    if (phone_key_create(&s->ctx, FUZZ_STATE, "fuzz", secret, &key) != KITE_OK ||
        db_read(s->ctx.store, family_tx, &family) != KITE_OK ||
        phone_account_open(&s->ctx, a, family.id, "fuzz", FUZZ_STATE, "+1 415 555 0100", &pa, &f) != KITE_OK ||
        phone_deposit(&s->ctx, family.id, "fuzz", pa.id, "fuzz-deposit", 1000, &moved, &replayed, &f) != KITE_OK) {
        fprintf(stderr, "fuzz: cannot set up the phone account\n");
        abort();
    }
    arena_free(a);
    return 0;
}

static const char *string_member(json_t *body, const char *name)
{
    json_t *v = json_object_get(body, name);
    /* As body_string_or_reply: a string without an embedded NUL, else the request is refused. */
    return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v) ? json_string_value(v) : NULL;
}

static void check_time(const char *text)
{
    int64_t ms = -1, again = -2;
    if (text == NULL || !clock_parse_rfc3339(text, &ms))
        return;
    char formatted[RFC3339_LEN];
    clock_format_rfc3339(ms, formatted);
    if (!clock_parse_rfc3339(formatted, &again) || again != ms)
        abort();
}

static void check_number(const char *typed)
{
    char out[PHONE_NUMBER_MAX + 1], again[PHONE_NUMBER_MAX + 1];
    if (!phone_number_normalize(typed, out))
        return;
    size_t digits = strspn(out + 1, "0123456789");
    if (out[0] != '+' || digits < 8 || digits > 15 || out[1 + digits] != '\0')
        abort();
    if (!phone_number_normalize(out, again) || strcmp(out, again) != 0)
        abort();
}

static void check_rating(int64_t seconds, int64_t rate, int64_t balance)
{
    phone_call_rating r;
    kite_fault f;
    if (rate < 0 || balance < 0 || rate > 100000 || phone_rate_call(seconds, rate, balance, &r, &f) != KITE_OK)
        return;
    int64_t minutes = (seconds + 59) / 60;
    if (r.amount_cents > balance || r.amount_cents != r.billed_minutes * rate || r.billed_seconds > seconds ||
        r.reported_seconds != seconds || r.billed_minutes * 60 < r.billed_seconds)
        abort();
    if (!r.cut_at_balance && (r.billed_minutes != minutes || r.billed_seconds != seconds))
        abort();
    if (r.cut_at_balance && minutes * rate <= balance)
        abort(); /* cut although the balance paid for the whole call */
}

static int64_t int_member(json_t *body, const char *name, int64_t fallback)
{
    json_t *v = json_object_get(body, name);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : fallback;
}

static kite_err verify_tx(db_conn *conn, void *report)
{
    return ledger_verify(conn, report);
}

static void verify_ledger(const cli_store *s)
{
    static unsigned records;
    if (++records % 500 != 0)
        return;
    ledger_report report;
    if (db_read(s->ctx.store, verify_tx, &report) != KITE_OK || !ledger_report_ok(&report)) {
        fprintf(stderr, "ledger verify: %s\n", report.breach);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t error;
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
    if (!json_is_object(body)) {
        json_decref(body);
        return 0;
    }
    phone_call_input in = {string_member(body, "call_id"), string_member(body, "phone_number"),
                           string_member(body, "resident_number"), 0, int_member(body, "duration_seconds", -1)};
    const char *started = string_member(body, "started_at");
    check_time(started);
    check_number(in.phone_number);
    check_rating(in.duration_seconds, int_member(body, "rate_cents", 25), int_member(body, "balance_cents", 1000));
    cli_store *s = fuzz_store();
    if (in.call_id != NULL && in.phone_number != NULL && in.resident_number != NULL && started != NULL &&
        clock_parse_rfc3339(started, &in.started_at)) {
        arena *a = arena_new();
        phone_call first, second;
        bool replayed = false;
        kite_fault f;
        if (phone_call_record(&s->ctx, a, &key, &in, &first, &replayed, &f) == KITE_OK) {
            if (first.rating.amount_cents < 0 || (first.outcome != PHONE_CALL_BILLED && first.rating.amount_cents != 0))
                abort();
            if (phone_call_record(&s->ctx, a, &key, &in, &second, &replayed, &f) != KITE_OK || !replayed ||
                second.outcome != first.outcome || second.rating.amount_cents != first.rating.amount_cents ||
                second.id != first.id)
                abort(); /* the same call again is the same call, charged once */
            verify_ledger(s);
        } else if (f.code == KITE_OK || (f.code == KITE_ERR_INVALID_FIELD && f.field == NULL)) {
            abort(); /* a refusal says what and, for a field, which */
        }
        arena_free(a);
    }
    json_decref(body);
    return 0;
}
