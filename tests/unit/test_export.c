/*
 * test_export.c - the mbox writer: the "From " line date is what strftime
 * gave in the C locale (English names, day padded with a space) whatever
 * the process locale, body lines are quoted the mboxrd way, lines end in LF
 * only, and header values cannot carry a line break.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "domain/messaging/export.h"

static void test_from_line_date_matches_the_c_locale(void **state)
{
    (void)state;
    char out[EXPORT_FROM_DATE_LEN];
    export_from_line_date(1732256469123LL, out);
    assert_string_equal(out, "Fri Nov 22 06:21:09 2024");
    export_from_line_date(0, out);
    assert_string_equal(out, "Thu Jan  1 00:00:00 1970");
    /* Every day of the week and month of the year, against strftime in the C locale. */
    char *saved = setlocale(LC_TIME, NULL);
    char previous[64];
    strncpy(previous, saved != NULL ? saved : "C", sizeof previous - 1);
    previous[sizeof previous - 1] = '\0';
    setlocale(LC_TIME, "C");
    for (int64_t t = 1700000000000LL; t < 1700000000000LL + 400LL * 86400 * 1000; t += 86400LL * 1000 + 3723456) {
        time_t secs = (time_t)(t / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        char want[64];
        strftime(want, sizeof want, "%a %b %e %H:%M:%S %Y", &tm);
        export_from_line_date(t, out);
        assert_string_equal(out, want);
    }
    setlocale(LC_TIME, previous);
}

static void test_mbox_quotes_from_lines_and_keeps_headers_on_one_line(void **state)
{
    (void)state;
    arena *a = arena_new();
    message items[2];
    memset(items, 0, sizeof items);
    items[0] = (message){.id = 7, .sender_account_id = 3, .recipient_account_id = 4, .sender_name = "Ann Lee",
                         .recipient_name = "Bo\r\nBcc: x@y.example", .subject = "Hello",
                         .body = "From the start\r\n>From quoted\nplain\n>>From twice", .status = MESSAGE_DELIVERED,
                         .created_at = 1732256469123LL};
    items[1] = (message){.id = 8, .sender_account_id = 4, .recipient_account_id = 3, .sender_name = "Bo",
                         .recipient_name = "Ann Lee", .subject = "Привет", .body = "", .status = MESSAGE_READ,
                         .created_at = 0};
    buf out;
    buf_init(&out, a);
    export_mbox(&out, items, 2);
    assert_null(strchr(out.data, '\r'));
    assert_non_null(strstr(out.data, "From account-3@kite Fri Nov 22 06:21:09 2024\nFrom: Ann Lee <account-3@kite>\n"));
    assert_non_null(strstr(out.data, "\nDate: Fri, 22 Nov 2024 06:21:09 +0000\nSubject: Hello\n"
                                     "Message-ID: <message-7@kite>\nX-Kite-Status: delivered\n"));
    assert_non_null(strstr(out.data, "\n\n>From the start\n>>From quoted\nplain\n>>>From twice\n\n"));
    assert_non_null(strstr(out.data, "\nFrom account-4@kite Thu Jan  1 00:00:00 1970\n"));
    /* A line break in a name is encoded, never a header of its own; a non-ASCII subject too. */
    assert_null(strstr(out.data, "\nBcc:"));
    assert_non_null(strstr(out.data, "\nSubject: =?UTF-8?B?"));
    /* Only the two "From " separator lines start a line with "From ". */
    int separators = 0;
    for (const char *line = out.data; *line;) {
        if (strncmp(line, "From ", 5) == 0)
            separators++;
        const char *eol = strchr(line, '\n');
        line = eol != NULL ? eol + 1 : line + strlen(line);
    }
    assert_int_equal(separators, 2);
    arena_free(a);
    a = arena_new();
    /* Names with accents, ñ and emoji are encoded words that decode back; a comma is quoted. */
    message named = {.id = 9, .sender_account_id = 5, .recipient_account_id = 6, .sender_name = "María José Núñez 🌻",
                     .recipient_name = "Lee, Ann", .subject = "Año nuevo 🎉", .body = "¡Hola!", .status = MESSAGE_READ};
    buf_init(&out, a);
    export_mbox(&out, &named, 1);
    assert_non_null(strstr(out.data, "\nTo: \"Lee, Ann\" <account-6@kite>\n"));
    const char *from = strstr(out.data, "\nFrom: =?UTF-8?B?");
    assert_non_null(from);
    const char *b64 = from + strlen("\nFrom: =?UTF-8?B?");
    unsigned char raw[64];
    size_t raw_len = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, b64, strcspn(b64, "?"), NULL, &raw_len, NULL,
                                       sodium_base64_VARIANT_ORIGINAL), 0);
    assert_true(raw_len <= strlen("María José Núñez 🌻"));
    assert_memory_equal(raw, "María José Núñez 🌻", raw_len); /* the first word: a whole-character prefix */
    for (const char *p = out.data; *p != '\0' && strncmp(p, "\n\n", 2) != 0; p++)
        assert_true((unsigned char)*p < 0x80); /* the header block is ASCII */
    assert_non_null(strstr(out.data, "charset=utf-8"));
    assert_non_null(strstr(out.data, "\n\n¡Hola!\n"));
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_line_date_matches_the_c_locale),
        cmocka_unit_test(test_mbox_quotes_from_lines_and_keeps_headers_on_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
