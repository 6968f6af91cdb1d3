/*
 * csv.c - row-at-a-time CSV reading on top of libcsv.
 *
 * SECURITY: input is untrusted.  Rows with more than CSV_MAX_FIELDS fields or
 * a field of CSV_MAX_FIELD_BYTES bytes or more stop the read with
 * KITE_ERR_INVALID_FIELD; fields are copied into fixed storage owned by the
 * reader, so a hostile file cannot make it allocate without bound.  A slot is
 * allocated the first time a row reaches its column, so a three-column roster
 * costs three slots, not CSV_MAX_FIELDS.
 */
#include "core/csv.h"

#include "core/alloc.h"

#include <csv.h>
#include <stdio.h>
#include <string.h>

struct csv_reader {
    csv_row_fn on_row;
    void *ctx;
    size_t line;
    size_t nfields;
    kite_err err;
    char *storage[CSV_MAX_FIELDS];
};

static void reader_field(void *data, size_t len, void *ctx)
{
    struct csv_reader *r = ctx;
    if (r->err != KITE_OK)
        return;
    if (r->nfields >= CSV_MAX_FIELDS || len >= CSV_MAX_FIELD_BYTES) {
        r->err = KITE_ERR_INVALID_FIELD;
        return;
    }
    if (r->storage[r->nfields] == NULL)
        r->storage[r->nfields] = xmalloc(CSV_MAX_FIELD_BYTES);
    char *slot = r->storage[r->nfields];
    if (len > 0)
        memcpy(slot, data, len);
    slot[len] = '\0';
    r->nfields++;
}

static void reader_row(int terminator, void *ctx)
{
    (void)terminator;
    struct csv_reader *r = ctx;
    if (r->err != KITE_OK)
        return;
    r->line++;
    r->err = r->on_row(r->ctx, r->line, (const char *const *)r->storage, r->nfields);
    r->nfields = 0;
}

static void reader_init(struct csv_reader *r, csv_row_fn on_row, void *ctx)
{
    memset(r, 0, sizeof *r);
    r->on_row = on_row;
    r->ctx = ctx;
}

static void reader_fini(struct csv_reader *r)
{
    for (size_t i = 0; i < CSV_MAX_FIELDS; i++)
        free(r->storage[i]);
}

static kite_err parse_chunks(struct csv_reader *r, struct csv_parser *p, FILE *file, const char *data, size_t len)
{
    char buf[65536];
    for (;;) {
        size_t n;
        const char *chunk;
        if (file != NULL) {
            n = fread(buf, 1, sizeof buf, file);
            chunk = buf;
            if (n == 0)
                break;
        } else {
            if (len == 0)
                break;
            n = len;
            chunk = data;
            len = 0;
        }
        if (csv_parse(p, chunk, n, reader_field, reader_row, r) != n)
            return KITE_ERR_INVALID_FIELD;
        if (r->err != KITE_OK)
            return r->err;
    }
    if (file != NULL && ferror(file))
        return KITE_ERR_IO;
    if (csv_fini(p, reader_field, reader_row, r) != 0)
        return KITE_ERR_INVALID_FIELD;
    return r->err;
}

static kite_err read_source(FILE *file, const char *data, size_t len, csv_row_fn on_row, void *ctx)
{
    struct csv_parser parser;
    struct csv_reader reader;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return KITE_ERR_INTERNAL;
    reader_init(&reader, on_row, ctx);
    kite_err err = parse_chunks(&reader, &parser, file, data, len);
    csv_free(&parser);
    reader_fini(&reader);
    return err;
}

kite_err csv_read_file(const char *path, csv_row_fn on_row, void *ctx)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return KITE_ERR_IO;
    kite_err err = read_source(file, NULL, 0, on_row, ctx);
    fclose(file);
    return err;
}

kite_err csv_read_buffer(const char *data, size_t len, csv_row_fn on_row, void *ctx)
{
    return read_source(NULL, data, len, on_row, ctx);
}

int csv_column(const char *const *header, size_t nfields, const char *name)
{
    for (size_t i = 0; i < nfields; i++)
        if (strcmp(header[i], name) == 0)
            return (int)i;
    return -1;
}
