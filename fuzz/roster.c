/*
 * roster.c - fuzzes a roster import (roster_import_buffer,
 * domain/facility/resident.c): the CSV a facility admin uploads, read by
 * core/csv.c, each row checked against the facility's policy (resident
 * number format, names, PIN) and written in one transaction.
 *
 * Input: a byte choosing the facility (FCI Coleman Low, BOP numbers; San
 * Quentin, any numbers; a facility not on Kite), then the CSV file.
 *
 * Contract checked: the report adds up (rows = added + updated + unchanged
 * + rejected, one problem per rejected row, in file order, each naming a
 * field); the rows refused are exactly those the rules, applied here again
 * row by row, refuse; every accepted row is then on the roster, with the
 * trimmed names of the last row of its number; and importing the same file
 * again adds nothing.
 */
#include "store.h"

#include "core/csv.h"
#include "core/text.h"
#include "domain/facility/policy.h"
#include "domain/facility/pin.h"
#include "domain/facility/resident.h"
#include "domain/identity/account.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_store();
    return 0;
}

static void check_report(const roster_report *r)
{
    if (r->rows != r->added + r->updated + r->unchanged + r->rejected || (int64_t)r->problem_count != r->rejected)
        abort();
    for (size_t i = 0; i < r->problem_count; i++) {
        if (r->problems[i].fault.field == NULL || r->problems[i].line < 2 ||
            (i > 0 && r->problems[i].line <= r->problems[i - 1].line))
            abort();
    }
    if (r->rejected > 0 && (r->first_rejected_line != r->problems[0].line || r->first_rejected_field == NULL))
        abort();
}

/*
 * The rows of the file as the check reads them again: number and names
 * trimmed, and whether the row passes the rules (policy, names, PIN).
 */
typedef struct row {
    const char *number, *first, *last;
    bool accepted;
} row;

typedef struct verify {
    arena *a;
    const policy *p;
    int columns[4];
    row *rows;
    size_t count, cap;
} verify;

static const char *field(const verify *v, int column, const char *const *fields, size_t nfields)
{
    return column >= 0 && (size_t)column < nfields && fields[column][0] != '\0' ? fields[column] : NULL;
}

static kite_err verify_row(void *data, size_t line, const char *const *fields, size_t nfields)
{
    verify *v = data;
    static const char *const names[] = {"resident_number", "first_name", "last_name", "pin"};
    if (line == 1) {
        for (int i = 0; i < 4; i++)
            v->columns[i] = csv_column(fields, nfields, names[i]);
        return KITE_OK;
    }
    const char *number = field(v, v->columns[0], fields, nfields), *first = field(v, v->columns[1], fields, nfields),
               *last = field(v, v->columns[2], fields, nfields), *pin = field(v, v->columns[3], fields, nfields);
    row r = {number ? text_trim(v->a, number) : NULL, first ? text_trim(v->a, first) : NULL,
             last ? text_trim(v->a, last) : NULL, false};
    kite_fault pin_fault = {0};
    r.accepted = r.number != NULL && policy_resident_number_valid(v->p, r.number) && r.first != NULL &&
                 text_is_person_name(r.first, NAME_MAX_CHARS) && r.last != NULL &&
                 text_is_person_name(r.last, NAME_MAX_CHARS) &&
                 (pin == NULL || pin_policy_check(pin, r.number, &pin_fault) == KITE_OK);
    v->rows = arena_grow(v->a, v->rows, v->count, &v->cap, sizeof *v->rows);
    v->rows[v->count++] = r;
    return KITE_OK;
}

/* Every accepted row is on the roster; the last accepted row of a number gave it its names. */
static void check_roster(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *csv, size_t len,
                         const roster_report *report)
{
    policy p = {0}; /* zeroed: cppcheck's cross-function check cannot see policy_get fill it */
    if (policy_get(ctx, a, facility_id, &p) != KITE_OK)
        abort();
    verify v = {a, &p, {-1, -1, -1, -1}, NULL, 0, 0};
    if (csv_read_buffer(csv, len, verify_row, &v) != KITE_OK)
        abort();
    int64_t refused = 0;
    for (size_t i = 0; i < v.count; i++) {
        const row *r = &v.rows[i];
        refused += !r->accepted;
        if (!r->accepted)
            continue;
        resident got = {0};
        if (resident_get(ctx, a, facility_id, r->number, &got) != KITE_OK)
            abort(); /* accepted, yet not on the roster */
        bool last = true;
        for (size_t j = i + 1; j < v.count; j++)
            last = last && !(v.rows[j].accepted && strcasecmp(v.rows[j].number, r->number) == 0);
        if (last && strcasecmp(got.resident_number, r->number) == 0 &&
            (strcmp(got.first_name, r->first) != 0 || strcmp(got.last_name, r->last) != 0))
            abort(); /* the names are the file's, trimmed */
    }
    if (refused != report->rejected)
        abort(); /* the report refuses exactly the rows the rules refuse */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const int64_t facilities[] = {FUZZ_FEDERAL, FUZZ_STATE, 1};
    int64_t facility_id = facilities[data[0] % 3];
    const char *csv = (const char *)data + 1;
    size_t len = size - 1;
    /* Every accepted row stays on the roster; a roster of millions would make each later input
     * slower, so the demo store comes back every so many inputs. */
    static unsigned inputs;
    if (++inputs % 20000 == 0)
        fuzz_store_reset();
    cli_store *s = fuzz_store();
    arena *a = arena_new();
    roster_report report;
    kite_err err = roster_import_buffer(&s->ctx, a, facility_id, csv, len, "fuzz", &report);
    if (err == KITE_OK) {
        check_report(&report);
        if (facility_id == 1)
            abort(); /* not on Kite: never imported */
        roster_report again;
        if (roster_import_buffer(&s->ctx, a, facility_id, csv, len, "fuzz", &again) != KITE_OK)
            abort();
        check_report(&again);
        if (again.added != 0 || again.rows != report.rows || again.rejected != report.rejected)
            abort(); /* the same file twice changes nothing the second time */
        check_roster(&s->ctx, a, facility_id, csv, len, &report);
    } else if (err != KITE_ERR_INVALID_FIELD && err != KITE_ERR_NOT_ON_PLATFORM) {
        abort(); /* a file is refused as a whole only for its shape or the facility */
    }
    arena_free(a);
    return 0;
}
