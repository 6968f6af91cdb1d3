/*
 * test_csv.c - reading RFC 4180 CSV: quoting, empty fields, header lookup,
 * the size caps, malformed input, stopping from the callback, and files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_ROWS = 64 };

/* Every row seen, each as its fields joined with '|', with its line and field count. */
typedef struct collected {
    arena *a;
    size_t nrows;
    const char *rows[MAX_ROWS];
    size_t lines[MAX_ROWS];
    size_t nfields[MAX_ROWS];
    size_t stop_at_line;  /* when non-zero, that row's callback returns stop_with */
    kite_err stop_with;
    size_t calls;         /* callbacks, including those past MAX_ROWS */
    int city_column;      /* csv_column(header, "city") seen on line 1 */
} collected;

static kite_err collect_row(void *ctx, size_t line, const char *const *fields, size_t nfields)
{
    collected *c = ctx;
    c->calls++;
    if (line == 1)
        c->city_column = csv_column(fields, nfields, "city");
    if (c->nrows < MAX_ROWS) {
        size_t len = 1;
        for (size_t i = 0; i < nfields; i++)
            len += strlen(fields[i]) + 1;
        char *joined = arena_alloc(c->a, len);
        joined[0] = '\0';
        for (size_t i = 0; i < nfields; i++) {
            if (i > 0)
                strcat(joined, "|");
            strcat(joined, fields[i]);
        }
        c->rows[c->nrows] = joined;
        c->lines[c->nrows] = line;
        c->nfields[c->nrows] = nfields;
        c->nrows++;
    }
    if (c->stop_at_line != 0 && line == c->stop_at_line)
        return c->stop_with;
    return KITE_OK;
}

static int setup(void **state)
{
    collected *c = calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    c->a = arena_new();
    c->city_column = -2;
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    collected *c = *state;
    arena_free(c->a);
    free(c);
    return 0;
}

static kite_err parse(collected *c, const char *text)
{
    return csv_read_buffer(text, strlen(text), collect_row, c);
}

/* Writes len bytes to a new temporary file; its path goes to path. */
static void temp_file(char path[64], const char *data, size_t len)
{
    snprintf(path, 64, "/tmp/kite-csv-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        assert_true(n > 0);
        done += (size_t)n;
    }
    close(fd);
}

/* A buffer of n copies of ch, NUL-terminated; free() it. */
static char *repeat(char ch, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, ch, n);
    s[n] = '\0';
    return s;
}

static void test_plain_rows(void **state)
{
    collected *c = *state;
    assert_int_equal(parse(c, "name,city\nAlpha,Austin\nBeta,Boston\n"), KITE_OK);
    assert_int_equal(c->nrows, 3);
    assert_string_equal(c->rows[0], "name|city");
    assert_string_equal(c->rows[1], "Alpha|Austin");
    assert_string_equal(c->rows[2], "Beta|Boston");
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(c->lines[i], i + 1);
        assert_int_equal(c->nfields[i], 2);
    }
}

static void test_last_row_without_newline_and_crlf(void **state)
{
    collected *c = *state;
    assert_int_equal(parse(c, "a,b\r\nc,d\r\ne,f"), KITE_OK);
    assert_int_equal(c->nrows, 3);
    assert_string_equal(c->rows[0], "a|b");
    assert_string_equal(c->rows[1], "c|d");
    assert_string_equal(c->rows[2], "e|f");
}

static void test_quoted_fields_rfc4180(void **state)
{
    collected *c = *state;
    const char *text =
        "\"Smith, John\",\"He said \"\"hi\"\"\",plain\n"
        "\"two\nlines\",\"\",\"\"\"\"\n"
        "\"a,b,c\",\"x\r\ny\",end\n";
    assert_int_equal(parse(c, text), KITE_OK);
    assert_int_equal(c->nrows, 3);
    assert_int_equal(c->nfields[0], 3);
    assert_string_equal(c->rows[0], "Smith, John|He said \"hi\"|plain");
    /* A quoted newline stays inside its field: still one row, numbered 2. */
    assert_int_equal(c->nfields[1], 3);
    assert_string_equal(c->rows[1], "two\nlines||\"");
    assert_int_equal(c->lines[1], 2);
    assert_int_equal(c->nfields[2], 3);
    assert_string_equal(c->rows[2], "a,b,c|x\r\ny|end");
    assert_int_equal(c->lines[2], 3);
}

static void test_empty_fields(void **state)
{
    collected *c = *state;
    assert_int_equal(parse(c, "a,,c\n,,\n,x\ny,\n"), KITE_OK);
    assert_int_equal(c->nrows, 4);
    assert_int_equal(c->nfields[0], 3);
    assert_string_equal(c->rows[0], "a||c");
    assert_int_equal(c->nfields[1], 3);
    assert_string_equal(c->rows[1], "||");
    assert_int_equal(c->nfields[2], 2);
    assert_string_equal(c->rows[2], "|x");
    assert_int_equal(c->nfields[3], 2);
    assert_string_equal(c->rows[3], "y|");
}

static void test_empty_input(void **state)
{
    collected *c = *state;
    assert_int_equal(csv_read_buffer("", 0, collect_row, c), KITE_OK);
    assert_int_equal(c->calls, 0);
}

static void test_header_lookup(void **state)
{
    collected *c = *state;
    assert_int_equal(parse(c, "id,name,city,state\n1,A,Austin,TX\n"), KITE_OK);
    assert_int_equal(c->city_column, 2);

    const char *const header[] = {"id", "name", "City", "", "state"};
    assert_int_equal(csv_column(header, 5, "id"), 0);
    assert_int_equal(csv_column(header, 5, "state"), 4);
    assert_int_equal(csv_column(header, 5, "city"), -1); /* case matters */
    assert_int_equal(csv_column(header, 5, "City"), 2);
    assert_int_equal(csv_column(header, 5, ""), 3);
    assert_int_equal(csv_column(header, 5, "zip"), -1);
    assert_int_equal(csv_column(header, 4, "state"), -1); /* only the first nfields count */
    assert_int_equal(csv_column(header, 0, "id"), -1);
}

static void test_field_size_cap(void **state)
{
    collected *c = *state;
    /* The largest field that fits (with its terminating NUL) is read in full. */
    char *fits = repeat('x', CSV_MAX_FIELD_BYTES - 1);
    static char text[CSV_MAX_FIELD_BYTES * 3];
    snprintf(text, sizeof text, "a,%s\n", fits);
    assert_int_equal(parse(c, text), KITE_OK);
    assert_int_equal(c->nrows, 1);
    assert_int_equal(strlen(c->rows[0]), 2 + CSV_MAX_FIELD_BYTES - 1);

    /* Over the cap: an error, and no row is delivered. */
    char *over = repeat('y', CSV_MAX_FIELD_BYTES + 1);
    snprintf(text, sizeof text, "a,b\n%s,c\nd,e\n", over);
    c->nrows = 0;
    c->calls = 0;
    assert_int_equal(parse(c, text), KITE_ERR_INVALID_FIELD);
    assert_int_equal(c->calls, 1); /* only "a,b" */

    /* The same inside quotes. */
    snprintf(text, sizeof text, "\"%s\"\n", over);
    c->calls = 0;
    assert_int_equal(parse(c, text), KITE_ERR_INVALID_FIELD);
    assert_int_equal(c->calls, 0);
    free(over);
    free(fits);
}

static void test_field_count_cap(void **state)
{
    collected *c = *state;
    char text[512];
    size_t len = 0;
    /* Exactly CSV_MAX_FIELDS fields: fine. */
    for (int i = 0; i < CSV_MAX_FIELDS; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%d", i ? "," : "", i);
    snprintf(text + len, sizeof text - len, "\n");
    assert_int_equal(parse(c, text), KITE_OK);
    assert_int_equal(c->nrows, 1);
    assert_int_equal(c->nfields[0], CSV_MAX_FIELDS);

    /* One more: an error. */
    snprintf(text + len, sizeof text - len, ",64\nnext,row\n");
    c->calls = 0;
    assert_int_equal(parse(c, text), KITE_ERR_INVALID_FIELD);
    assert_int_equal(c->calls, 0);

    /* Many empty fields count as well. */
    char commas[200];
    memset(commas, ',', 150);
    commas[150] = '\n';
    commas[151] = '\0';
    c->calls = 0;
    assert_int_equal(parse(c, commas), KITE_ERR_INVALID_FIELD);
    assert_int_equal(c->calls, 0);
}

static void test_unterminated_quote(void **state)
{
    collected *c = *state;
    assert_int_equal(parse(c, "a,b\nc,\"never closed\n"), KITE_ERR_INVALID_FIELD);
    c->calls = 0;
    assert_int_equal(parse(c, "\""), KITE_ERR_INVALID_FIELD);
    assert_int_equal(c->calls, 0);
}

static void test_malformed_quotes(void **state)
{
    collected *c = *state;
    /* Text after a closing quote is malformed under strict parsing. */
    assert_int_equal(parse(c, "\"abc\"x,y\n"), KITE_ERR_INVALID_FIELD);
}

static void test_callback_error_stops_reading(void **state)
{
    collected *c = *state;
    c->stop_at_line = 2;
    c->stop_with = KITE_ERR_CONFLICT;
    assert_int_equal(parse(c, "h1,h2\nr1,x\nr2,y\nr3,z\n"), KITE_ERR_CONFLICT);
    assert_int_equal(c->calls, 2);
    assert_string_equal(c->rows[1], "r1|x");

    /* On the header row, and with another code. */
    c->calls = 0;
    c->nrows = 0;
    c->stop_at_line = 1;
    c->stop_with = KITE_ERR_STORE;
    assert_int_equal(parse(c, "h1,h2\nr1,x\n"), KITE_ERR_STORE);
    assert_int_equal(c->calls, 1);

    /* On the last row, which ends without a newline (delivered by the final flush). */
    c->calls = 0;
    c->nrows = 0;
    c->stop_at_line = 3;
    c->stop_with = KITE_ERR_INVALID_FIELD;
    assert_int_equal(parse(c, "h\nr1\nr2"), KITE_ERR_INVALID_FIELD);
    assert_int_equal(c->calls, 3);
}

static void test_missing_file(void **state)
{
    collected *c = *state;
    assert_int_equal(csv_read_file("/tmp/kite-csv-test-does-not-exist/none.csv", collect_row, c), KITE_ERR_IO);
    assert_int_equal(c->calls, 0);
}

static void test_read_file(void **state)
{
    collected *c = *state;
    const char *text = "id,city\n1,\"Austin, TX\"\n2,Boston\n";
    char path[64];
    temp_file(path, text, strlen(text));
    kite_err err = csv_read_file(path, collect_row, c);
    unlink(path);
    assert_int_equal(err, KITE_OK);
    assert_int_equal(c->nrows, 3);
    assert_int_equal(c->city_column, 1);
    assert_string_equal(c->rows[1], "1|Austin, TX");
    assert_string_equal(c->rows[2], "2|Boston");
}

/* Counts rows and checks each one of a large file. */
typedef struct big_check {
    size_t rows;
    size_t bad;
} big_check;

static kite_err check_big_row(void *ctx, size_t line, const char *const *fields, size_t nfields)
{
    big_check *b = ctx;
    b->rows++;
    char expect[32];
    snprintf(expect, sizeof expect, "%zu", line);
    if (nfields != 3 || strcmp(fields[0], expect) != 0 || strlen(fields[1]) != 1000 ||
        strcmp(fields[2], "tail,with \"quote\"") != 0)
        b->bad++;
    return KITE_OK;
}

static void test_large_file_crosses_read_chunks(void **state)
{
    (void)state;
    /* About 200 KB: rows (and quoted fields) straddle the reader's 64 KiB chunks. */
    enum { ROWS = 200 };
    char *middle = repeat('m', 1000);
    static char text[ROWS * 1100];
    size_t cap = sizeof text;
    size_t len = 0;
    for (size_t i = 1; i <= ROWS; i++)
        len += (size_t)snprintf(text + len, cap - len, "%zu,\"%s\",\"tail,with \"\"quote\"\"\"\r\n", i, middle);
    char path[64];
    temp_file(path, text, len);
    big_check b = {0, 0};
    kite_err err = csv_read_file(path, check_big_row, &b);
    unlink(path);
    free(middle);
    assert_int_equal(err, KITE_OK);
    assert_int_equal(b.rows, ROWS);
    assert_int_equal(b.bad, 0);
}

static kite_err stop_on_row_150(void *ctx, size_t line, const char *const *fields, size_t nfields)
{
    (void)fields;
    (void)nfields;
    size_t *calls = ctx;
    (*calls)++;
    return line == 150 ? KITE_ERR_CONFLICT : KITE_OK;
}

static void test_callback_error_stops_reading_a_file(void **state)
{
    (void)state;
    enum { ROWS = 1000 };
    static char text[ROWS * 200];
    size_t cap = sizeof text;
    size_t len = 0;
    for (size_t i = 1; i <= ROWS; i++)
        len += (size_t)snprintf(text + len, cap - len, "%zu,%0150zu\n", i, i);
    char path[64];
    temp_file(path, text, len);
    size_t calls = 0;
    kite_err err = csv_read_file(path, stop_on_row_150, &calls);
    unlink(path);
    assert_int_equal(err, KITE_ERR_CONFLICT);
    assert_int_equal(calls, 150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_row_without_newline_and_crlf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoted_fields_rfc4180, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_size_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_count_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unterminated_quote, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_error_stops_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
        cmocka_unit_test(test_large_file_crosses_read_chunks),
        cmocka_unit_test(test_callback_error_stops_reading_a_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
