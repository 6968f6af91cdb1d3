/*
 * csv.c - fuzzes the CSV reader (core/csv.c, libcsv in strict mode) that
 * reads roster uploads and directory releases.
 *
 * Contract checked: every row has at most CSV_MAX_FIELDS fields of fewer than
 * CSV_MAX_FIELD_BYTES bytes and line numbers count up from 1; and what was
 * read round-trips: written back as CSV with every field quoted (RFC 4180,
 * quotes doubled) and read again, a file gives the same rows, field for
 * field.  A file the reader refuses is only checked not to crash.
 */
#include "core/csv.h"
#include "core/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct rows {
    char *text; /* the rows written back as CSV */
    size_t len, cap;
    size_t count;
    const struct rows *expect; /* on the second read: the first read's rows, to compare with */
    size_t compared;
    size_t expect_at; /* where the next expected row starts in expect->text */
} rows;

static void put(rows *r, const char *s, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        r->cap = (r->len + n + 1) * 2;
        r->text = xrealloc(r->text, r->cap);
    }
    memcpy(r->text + r->len, s, n);
    r->len += n;
    r->text[r->len] = '\0';
}

static void put_row(rows *r, const char *const *fields, size_t nfields)
{
    for (size_t i = 0; i < nfields; i++) {
        put(r, i ? ",\"" : "\"", i ? 2 : 1);
        for (const char *p = fields[i]; *p; p++) {
            put(r, p, 1);
            if (*p == '"')
                put(r, "\"", 1); /* a quote inside a quoted field is doubled */
        }
        put(r, "\"", 1);
    }
    put(r, "\r\n", 2);
}

static kite_err on_row(void *ctx, size_t line, const char *const *fields, size_t nfields)
{
    rows *r = ctx;
    if (line != r->count + 1 || nfields > CSV_MAX_FIELDS)
        abort();
    for (size_t i = 0; i < nfields; i++)
        if (strlen(fields[i]) >= CSV_MAX_FIELD_BYTES)
            abort();
    size_t before = r->len;
    put_row(r, fields, nfields);
    if (r->expect != NULL) {
        /* The second read: this row, written back, is the first read's row of the same number. */
        size_t n = r->len - before;
        if (r->expect_at + n > r->expect->len || memcmp(r->expect->text + r->expect_at, r->text + before, n) != 0)
            abort();
        r->expect_at += n;
    }
    r->count++;
    return KITE_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rows first = {0};
    kite_err err = csv_read_buffer((const char *)data, size, on_row, &first);
    if (err == KITE_OK && first.count > 0) {
        rows second = {.expect = &first};
        if (csv_read_buffer(first.text, first.len, on_row, &second) != KITE_OK)
            abort(); /* what the reader read, written back, must read again */
        if (second.count != first.count || second.expect_at != first.len)
            abort();
        free(second.text);
    }
    free(first.text);
    return 0;
}
