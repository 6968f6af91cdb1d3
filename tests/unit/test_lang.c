/*
 * test_lang.c - Kite's second language: the Spanish columns of the fault
 * and error tables (core/fault_table.c, core/error.c) and the
 * Accept-Language scanner (core/lang.c).
 *
 * A translation may reorder its placeholders but never drop, add or rename
 * one: a missing {limit} would hide a number a person needs, and an unknown
 * one would reach them as "{limite}".  Every Spanish text must exist and
 * differ from the English one, so a forgotten row cannot pass as done.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/fault.h"
#include "core/lang.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The placeholders of text, sorted and joined with NULs into out ("field\0limit\0"); their count. */
static size_t placeholders(const char *text, char out[512])
{
    const char *names[32];
    size_t lens[32], n = 0;
    memset(out, 0, 512); /* compared whole */
    for (const char *p = strchr(text, '{'); p != NULL && n < 32; p = strchr(p + 1, '{')) {
        const char *close = strchr(p, '}');
        assert_non_null(close);
        names[n] = p + 1;
        lens[n++] = (size_t)(close - p - 1);
    }
    /* A few names at most: insertion sort. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            size_t m = lens[j] < lens[j - 1] ? lens[j] : lens[j - 1];
            int c = memcmp(names[j], names[j - 1], m);
            if (c > 0 || (c == 0 && lens[j] >= lens[j - 1]))
                break;
            const char *tn = names[j];
            size_t tl = lens[j];
            names[j] = names[j - 1];
            lens[j] = lens[j - 1];
            names[j - 1] = tn;
            lens[j - 1] = tl;
        }
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(used + lens[i] + 1 < 512);
        memcpy(out + used, names[i], lens[i]);
        used += lens[i];
        out[used++] = '\0';
    }
    out[used] = '\0';
    return n;
}

static void test_every_fault_row_has_spanish(void **state)
{
    (void)state;
    fault_entry en, es;
    size_t rows = 0;
    for (size_t i = 0; fault_table_entry(i, FAULT_LANG_EN, &en); i++, rows++) {
        assert_true(fault_table_entry(i, FAULT_LANG_ES, &es));
        assert_int_equal(en.code, es.code);
        assert_int_equal(en.detail, es.detail);
        if (es.text == NULL || es.text[0] == '\0')
            fail_msg("row %zu (%s) has no Spanish", i, en.text);
        if (strcmp(en.text, es.text) == 0)
            fail_msg("row %zu is not translated: %s", i, es.text);
        char want[512], got[512];
        size_t n_en = placeholders(en.text, want), n_es = placeholders(es.text, got);
        if (n_en != n_es || memcmp(want, got, sizeof want) != 0)
            fail_msg("row %zu: the placeholders differ\n  en: %s\n  es: %s", i, en.text, es.text);
    }
    assert_true(rows > 100);
    assert_false(fault_table_entry(rows, FAULT_LANG_ES, &es));
}

static void test_every_error_code_has_spanish(void **state)
{
    (void)state;
    for (int e = 0; e < KITE_ERR__COUNT; e++) {
        const char *en = kite_err_message_in((kite_err)e, FAULT_LANG_EN);
        const char *es = kite_err_message_in((kite_err)e, FAULT_LANG_ES);
        assert_non_null(es);
        assert_true(es[0] != '\0');
        if (strcmp(en, es) == 0)
            fail_msg("%s is not translated", kite_err_code((kite_err)e));
        assert_string_equal(kite_err_message((kite_err)e), en);
    }
    /* Out of range: English, never a crash. */
    assert_string_equal(kite_err_message_in(KITE_ERR_GONE, (fault_lang)7), kite_err_message(KITE_ERR_GONE));
}

static void test_spanish_sentences_fill_their_words(void **state)
{
    arena *a = arena_new();
    (void)state;
    kite_fault f;
    fault_set(&f, KITE_ERR_THROTTLED, NULL, FAULT_SIGN_IN);
    f.retry_after_ms = 30000;
    assert_non_null(strstr(fault_sentence(a, &f, FAULT_LANG_ES), "espere 30 segundos e intente"));
    f.retry_after_ms = 601000;
    assert_non_null(strstr(fault_sentence(a, &f, FAULT_LANG_ES), "espere unos 11 minutos e intente"));
    fault_set(&f, KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_MESSAGE_COST_STAMPS);
    f.limit = 1;
    f.max = 0;
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_ES),
                        "Este mensaje cuesta 1 estampilla y usted tiene 0. Compre estampillas en su billetera y luego "
                        "envíelo de nuevo.");
    fault_set(&f, KITE_ERR_INVALID_FIELD, NULL, FAULT_TRANSFER_AMOUNT);
    f.min = 1;
    f.max = 30000;
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_ES), "Una transferencia debe ser de $0.01 a $300.00.");
    fault_set(&f, KITE_ERR_INVALID_FIELD, "email", FAULT_REQUIRED);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_ES), "El campo \"email\" es obligatorio.");
    /* A fault without a row: the error table's Spanish sentence. */
    fault_set(&f, KITE_ERR_GONE, NULL, FAULT_NONE);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_ES), kite_err_message_in(KITE_ERR_GONE, FAULT_LANG_ES));
    arena_free(a);
}

static void test_tags(void **state)
{
    (void)state;
    fault_lang l = FAULT_LANG_COUNT;
    assert_true(lang_parse("es", &l));
    assert_int_equal(l, FAULT_LANG_ES);
    assert_true(lang_parse("en", &l));
    assert_int_equal(l, FAULT_LANG_EN);
    l = FAULT_LANG_COUNT;
    assert_false(lang_parse("fr", &l));
    assert_false(lang_parse("ES", &l));
    assert_false(lang_parse("es-MX", &l));
    assert_false(lang_parse("", &l));
    assert_false(lang_parse(NULL, &l));
    assert_int_equal(l, FAULT_LANG_COUNT);
    assert_string_equal(lang_tag(FAULT_LANG_ES), "es");
    assert_string_equal(lang_tag((fault_lang)9), "en");
}

static void test_accept_language(void **state)
{
    (void)state;
    static const struct {
        const char *header;
        int want; /* -1: falls back */
    } cases[] = {
        {"es", FAULT_LANG_ES},
        {"en", FAULT_LANG_EN},
        {"es-MX", FAULT_LANG_ES},
        {"es-419", FAULT_LANG_ES},
        {"ES-us", FAULT_LANG_ES},
        {"es-MX;q=0.9,en;q=0.8", FAULT_LANG_ES},
        {"en-US,en;q=0.9,es;q=0.8", FAULT_LANG_EN},
        {"fr-CA, es;q=0.5, en;q=0.4", FAULT_LANG_ES},
        {"fr, de;q=0.9", -1},
        {"*", -1},
        {"es;q=0", -1},
        {"es;q=0, en;q=0.1", FAULT_LANG_EN},
        {"en;q=0.5, es;q=0.5", FAULT_LANG_EN}, /* equal weights: the first */
        {"es;q=1.000", FAULT_LANG_ES},
        {"  es  ;  q=0.7 , , en;q=0.2", FAULT_LANG_ES},
        {"", -1},
        {"es;q=1.5", -1},
        {"es;q=0.1234", -1},
        {"es;q=", -1},
        {"es;level=1", -1},
        {"es,,,en;q=0.1", FAULT_LANG_ES},
        {"e", -1},
        {"español", -1},
        {"es-", -1},
        {"esp", -1},
        {"toolonglanguage", -1},
        {"es\r\nX-Evil: 1", -1},
        {"es;q=0.9 en", -1},
        {"12", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fault_lang got = FAULT_LANG_COUNT;
        bool named = lang_from_accept_language(cases[i].header, &got);
        if (cases[i].want < 0) {
            if (named || got != FAULT_LANG_COUNT)
                fail_msg("\"%s\" should fall back", cases[i].header);
        } else if (!named || (int)got != cases[i].want) {
            fail_msg("\"%s\" should give %s", cases[i].header, lang_tag((fault_lang)cases[i].want));
        }
    }
    fault_lang got = FAULT_LANG_COUNT;
    assert_false(lang_from_accept_language(NULL, &got));
    /* Longer than the cap: ignored as a whole, even when it starts well. */
    char *longer = malloc(LANG_HEADER_MAX + 16);
    assert_non_null(longer);
    strcpy(longer, "es");
    for (size_t n = 2; n < LANG_HEADER_MAX + 4; n += 2)
        strcat(longer, ",x");
    assert_false(lang_from_accept_language(longer, &got));
    free(longer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_fault_row_has_spanish),
        cmocka_unit_test(test_every_error_code_has_spanish),
        cmocka_unit_test(test_spanish_sentences_fill_their_words),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_accept_language),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
