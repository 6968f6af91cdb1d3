/*
 * processor.c - fuzzes what Kite makes of a card processor's answer
 * (processor_answer_read, payment/processor.c): the last step of every
 * charge and every lookup by key, where the processor's HTTP status and
 * JSON body decide whether money came in.
 *
 * Input: a byte choosing the HTTP status (from statuses[] below), a byte
 * whose low bit says a lookup rather than a charge, then the body.
 *
 * Contract checked, each against an independent reading of the body with
 * jansson: an approval comes only from a 2xx whose body is a charge with
 * status "approved", and carries that body's id (1..PROCESSOR_ID_MAX of
 * [A-Za-z0-9_-]), its amount (1..PROCESSOR_AMOUNT_MAX_CENTS) and its four
 * last digits; a decline comes from such a charge with status "declined"
 * (2xx or 402) or from a 422 to a charge, and its reason is one Kite
 * knows; a 2xx that is not such a charge is an unknown outcome (reconcile
 * by key), never an approval nor a refusal; "not found" only answers a
 * lookup's 404; every other answer is a processor error; the HTTP status is
 * kept as given.
 */
#include "payment/processor.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a processor's charge id may hold (payment/processor.c checks the same, independently). */
static const char ID_ALPHABET[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

static const long statuses[] = {200, 201, 202, 204, 299, 300, 302, 400, 401, 402, 404, 409, 422, 429, 500, 503, 0, 100};

/* The body's "status" when it is a JSON object with a string there; NULL otherwise. */
static const char *body_status(json_t *root)
{
    json_t *status = json_is_object(root) ? json_object_get(root, "status") : NULL;
    return json_is_string(status) ? json_string_value(status) : NULL;
}

/* What the body says of the charge Kite took from it: the same id, amount and last four. */
static void check_charge_fields(json_t *root, const charge_result *r)
{
    json_t *id = json_object_get(root, "id"), *amount = json_object_get(root, "amount_cents");
    json_t *card = json_object_get(root, "card");
    json_t *last4 = json_is_object(card) ? json_object_get(card, "last4") : NULL;
    if (!json_is_string(id) || strcmp(json_string_value(id), r->charge_id) != 0 || !json_is_integer(amount) ||
        json_integer_value(amount) != r->amount_cents || !json_is_string(last4) ||
        strcmp(json_string_value(last4), r->card.last4) != 0)
        abort();
    size_t len = strlen(r->charge_id);
    if (len == 0 || len > PROCESSOR_ID_MAX ||
        strspn(r->charge_id, ID_ALPHABET) != len)
        abort();
    if (r->amount_cents < 1 || r->amount_cents > PROCESSOR_AMOUNT_MAX_CENTS)
        abort();
    if (strlen(r->card.last4) != 4 || strspn(r->card.last4, "0123456789") != 4)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    long status = statuses[data[0] % (sizeof statuses / sizeof *statuses)];
    bool lookup = (data[1] & 1) != 0;
    const char *body = (const char *)data + 2;
    size_t len = size - 2;
    charge_result r;
    processor_answer_read(status, len > 0 ? body : NULL, len, lookup, &r);
    if (r.http_status != status || r.outcome < 0 || r.outcome >= CHARGE_OUTCOME_COUNT || r.decline < 0 ||
        r.decline >= DECLINE_REASON_COUNT)
        abort();
    bool ok_status = status >= 200 && status < 300;
    json_error_t error;
    json_t *root = len > 0 ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &error) : NULL;
    const char *said = body_status(root);
    switch (r.outcome) {
    case CHARGE_APPROVED:
        if (!ok_status || said == NULL || strcmp(said, "approved") != 0)
            abort();
        check_charge_fields(root, &r);
        break;
    case CHARGE_DECLINED:
        if (r.decline == DECLINE_NONE)
            abort();
        if (status == 422 && !lookup) {
            if (r.decline != DECLINE_INVALID || r.charge_id[0] != '\0')
                abort();
        } else {
            if (!(ok_status || status == 402) || said == NULL || strcmp(said, "declined") != 0)
                abort();
            check_charge_fields(root, &r);
        }
        break;
    case CHARGE_TIMEOUT:
        if (!ok_status)
            abort(); /* only a 2xx Kite cannot read is "unknown" here; transport failures are settle's */
        break;
    case CHARGE_NOT_FOUND:
        if (!lookup || status != 404)
            abort();
        break;
    case CHARGE_PROCESSOR_ERROR:
        if (ok_status || (status == 404 && lookup) || (status == 422 && !lookup))
            abort();
        if (r.charge_id[0] != '\0' || r.amount_cents != 0)
            abort(); /* nothing of a refused answer is kept */
        break;
    default:
        abort();
    }
    /* A 2xx that is a readable charge is never "unknown". */
    if (r.outcome == CHARGE_TIMEOUT && said != NULL && (strcmp(said, "approved") == 0 || strcmp(said, "declined") == 0)) {
        json_t *id = json_object_get(root, "id"), *amount = json_object_get(root, "amount_cents");
        json_t *card = json_object_get(root, "card");
        json_t *brand = json_is_object(card) ? json_object_get(card, "brand") : NULL;
        json_t *last4 = json_is_object(card) ? json_object_get(card, "last4") : NULL;
        json_t *decline = json_object_get(root, "decline_code");
        const char *id_text = json_is_string(id) ? json_string_value(id) : "";
        size_t id_len = strlen(id_text);
        const char *last4_text = json_is_string(last4) ? json_string_value(last4) : "";
        bool readable = id_len > 0 && id_len <= PROCESSOR_ID_MAX &&
                        strspn(id_text, ID_ALPHABET) == id_len &&
                        json_string_length(id) == id_len && json_is_integer(amount) &&
                        json_integer_value(amount) > 0 && json_integer_value(amount) <= PROCESSOR_AMOUNT_MAX_CENTS &&
                        json_is_string(brand) && strlen(last4_text) == 4 && strspn(last4_text, "0123456789") == 4 &&
                        json_string_length(last4) == 4 && (decline == NULL || json_is_string(decline));
        if (readable)
            abort();
    }
    json_decref(root);
    return 0;
}
