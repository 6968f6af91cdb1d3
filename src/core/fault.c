/*
 * fault.c - finding a fault's sentence and filling its placeholders.
 *
 * Design: the table itself is data in fault_table.c: each entry is keyed by
 * code, field (NULL: any field) and detail, and holds one sentence per
 * language (English, Spanish), a column each.  Lookup prefers the
 * entry naming the fault's field, then the one for any field; with none, the
 * sentence is error.c's for the code, so a fault the table does not know is
 * still answered in words (and where today's answer is generic, there is
 * simply no entry).
 *
 * Placeholders, filled from the fault: {field}, {limit}, {min}, {max},
 * {choices} (joined with ", "), {note}, {at}, {wait} (retry_after_ms as
 * "N seconds" or "about N minutes"), {limit_mib} (limit in MiB),
 * {limit_mp} (limit in megapixels) and {limit_usd}, {min_usd}, {max_usd}
 * (a number of cents as dollars, "$3.50", integer arithmetic only).  The words a placeholder adds (units,
 * separators) live in fault_words (fault_table.c), one column per language as well.
 *
 * SECURITY: {field}, {choices} and {note} may echo what a client sent (a
 * JSON member name): the sentence goes out as a JSON string, never as HTML.
 */
#include "core/fault.h"

#include "core/buf.h"
#include "core/fault_table.h"

#include <inttypes.h>
#include <string.h>

kite_err fault_set(kite_fault *f, kite_err code, const char *field, fault_detail detail)
{
    *f = (kite_fault){.code = code, .field = field, .detail = detail};
    return code;
}

kite_err fault_settle(kite_fault *f, kite_err err)
{
    /* Details recorded for another code (a step that failed, then a retry that failed otherwise) do not apply. */
    if (f->code != err)
        *f = (kite_fault){.code = err};
    return err;
}

static bool row_matches(const fault_row *row, const kite_fault *f, bool by_field)
{
    if (row->code != f->code || row->detail != f->detail)
        return false;
    if (!by_field)
        return row->field == NULL;
    return row->field != NULL && f->field != NULL && strcmp(row->field, f->field) == 0;
}

static const fault_row *fault_find(const kite_fault *f)
{
    for (int by_field = 1; by_field >= 0; by_field--)
        for (size_t i = 0; i < fault_row_count; i++)
            if (row_matches(&fault_rows[i], f, by_field))
                return &fault_rows[i];
    return NULL;
}

static void put_wait(buf *b, int64_t ms, fault_lang lang)
{
    int64_t seconds = (ms + 999) / 1000;
    if (seconds < 60)
        buf_printf(b, "%" PRId64 "%s", seconds, fault_words[lang].seconds);
    else
        buf_printf(b, "%s%" PRId64 "%s", fault_words[lang].about, (seconds + 59) / 60, fault_words[lang].minutes);
}

static void put_choices(buf *b, const char *const *choices, fault_lang lang)
{
    for (size_t i = 0; choices != NULL && choices[i] != NULL; i++) {
        if (i > 0)
            buf_puts(b, fault_words[lang].separator);
        buf_puts(b, choices[i]);
    }
}

/* cents as dollars and cents ("$3.50", "-$0.05"), without floating point. */
static void put_usd(buf *b, int64_t cents)
{
    /* The magnitude as unsigned, so INT64_MIN has one too. */
    uint64_t m = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
    buf_printf(b, "%s$%" PRIu64 ".%02" PRIu64, cents < 0 ? "-" : "", m / 100, m % 100);
}

/* "1 stamp", "2 stamps": a count with its noun (fault_words), singular for one. */
static void put_count(buf *b, int64_t n, const char *const noun[2])
{
    buf_printf(b, "%" PRId64 "%s", n, noun[n == 1 ? 0 : 1]);
}

/* Writes one placeholder's value; false when name is not a placeholder. */
static bool put_placeholder(buf *b, const char *name, size_t len, const kite_fault *f, fault_lang lang)
{
#define IS(word) (len == sizeof word - 1 && memcmp(name, word, len) == 0)
    if (IS("field"))
        buf_puts(b, f->field != NULL ? f->field : "");
    else if (IS("limit"))
        buf_printf(b, "%" PRId64, f->limit);
    else if (IS("min"))
        buf_printf(b, "%" PRId64, f->min);
    else if (IS("max"))
        buf_printf(b, "%" PRId64, f->max);
    else if (IS("at"))
        buf_printf(b, "%" PRId64, f->at);
    else if (IS("note"))
        buf_puts(b, f->note != NULL ? f->note : "");
    else if (IS("choices"))
        put_choices(b, f->choices, lang);
    else if (IS("wait"))
        put_wait(b, f->retry_after_ms, lang);
    else if (IS("limit_mib"))
        buf_printf(b, "%" PRId64, f->limit / (1024 * 1024));
    else if (IS("limit_mp"))
        buf_printf(b, "%" PRId64, f->limit / (1000 * 1000));
    else if (IS("limit_usd"))
        put_usd(b, f->limit);
    else if (IS("min_usd"))
        put_usd(b, f->min);
    else if (IS("max_usd"))
        put_usd(b, f->max);
    else if (IS("limit_stamps"))
        put_count(b, f->limit, fault_words[lang].stamp);
    else if (IS("min_stamps"))
        put_count(b, f->min, fault_words[lang].stamp);
    else if (IS("max_stamps"))
        put_count(b, f->max, fault_words[lang].stamp);
    else if (IS("limit_credits"))
        put_count(b, f->limit, fault_words[lang].credit);
    else if (IS("min_credits"))
        put_count(b, f->min, fault_words[lang].credit);
    else if (IS("max_credits"))
        put_count(b, f->max, fault_words[lang].credit);
    else
        return false;
    return true;
#undef IS
}

static const char *fill(arena *a, const char *text, const kite_fault *f, fault_lang lang)
{
    if (strchr(text, '{') == NULL)
        return text;
    buf b;
    buf_init(&b, a);
    for (const char *p = text; *p != '\0';) {
        const char *open = strchr(p, '{');
        const char *close = open != NULL ? strchr(open, '}') : NULL;
        if (close == NULL) {
            buf_puts(&b, p);
            break;
        }
        buf_append(&b, p, (size_t)(open - p));
        if (!put_placeholder(&b, open + 1, (size_t)(close - open - 1), f, lang))
            buf_append(&b, open, (size_t)(close - open + 1)); /* not ours: keep it as written */
        p = close + 1;
    }
    return b.data != NULL ? b.data : "";
}

const char *fault_sentence(arena *a, const kite_fault *f, fault_lang lang)
{
    if ((int)lang < 0 || lang >= FAULT_LANG_COUNT)
        lang = FAULT_LANG_EN;
    const fault_row *row = fault_find(f);
    if (row == NULL || row->text[lang] == NULL)
        return kite_err_message_in(f->code, lang);
    return fill(a, row->text[lang], f, lang);
}

bool fault_table_entry(size_t i, fault_lang lang, fault_entry *out)
{
    if (i >= fault_row_count || (int)lang < 0 || lang >= FAULT_LANG_COUNT)
        return false;
    const fault_row *row = &fault_rows[i];
    *out = (fault_entry){row->code, row->field, row->detail, row->text[lang]};
    return true;
}
