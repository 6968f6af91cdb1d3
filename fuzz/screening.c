/*
 * screening.c - fuzzes the screening rules staff write (domain/messaging/
 * screening.c): word lists, turned into one quoted whole-word PCRE2 pattern,
 * and raw PCRE2 patterns, checked when a rule is added (screening_rule_add)
 * and run over every message (screening_value_match, what screening_run does
 * per rule).
 *
 * Input: a byte choosing words or pattern, then the rule's value, a NUL, and
 * a message text to screen.
 *
 * Contract checked: a value the add accepts compiles when it is run (the add
 * is what keeps broken patterns out of the store); a refused pattern says
 * why (a field, and PCRE2's message); running it over any text ends (match
 * limits) and what it says matched is part of the text or the "too complex"
 * note; and a word list matches each of its own words standing alone in a
 * sentence, in any letter case ("weed" flags "Some WEED here").
 *
 * The add is made for a facility that is not on Kite: validation runs in
 * full and the store is only read (KITE_ERR_NOT_ON_PLATFORM means "valid"),
 * so rules do not pile up in the store from one input to the next.
 */
#include "store.h"

#include "core/text.h"
#include "domain/messaging/screening.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_store();
    return 0;
}

static void check_match(arena *a, rule_kind kind, const char *value, const char *text)
{
    const char *matched = NULL;
    if (screening_value_match(a, kind, value, text, &matched) != KITE_OK)
        abort(); /* accepted when added, yet it does not compile */
    if (matched != NULL && strstr(text, matched) == NULL && strncmp(matched, "(too complex", 12) != 0)
        abort();
}

/* The first word of a list as words_pattern splits it: up to a comma or line break, spaces and tabs trimmed. */
static const char *first_word(arena *a, const char *value)
{
    const char *p = value + strspn(value, ",\n\r \t");
    size_t len = strcspn(p, ",\n\r");
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    return len > 0 ? arena_strndup(a, p, len) : NULL;
}

static void check_own_word(arena *a, const char *value)
{
    const char *word = first_word(a, value);
    if (word == NULL)
        return;
    char *upper = arena_strdup(a, word);
    for (char *p = upper; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    const char *texts[] = {arena_sprintf(a, "a %s b", word), arena_sprintf(a, "%s", word),
                           arena_sprintf(a, "Some %s here.", upper)};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        const char *matched = NULL;
        if (screening_value_match(a, RULE_WORDS, value, texts[i], &matched) != KITE_OK || matched == NULL)
            abort(); /* a listed word standing alone must be flagged */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    rule_kind kind = data[0] & 1 ? RULE_PATTERN : RULE_WORDS;
    char *value = malloc(size);
    memcpy(value, data + 1, size - 1);
    value[size - 1] = '\0';
    size_t vlen = strlen(value);
    const char *text = vlen + 1 < size - 1 ? value + vlen + 1 : "";
    cli_store *s = fuzz_store();
    arena *a = arena_new();
    screening_rule rule = {.kind = kind, .value = value, .action = RULE_FLAG, .note = "fuzz"};
    screening_rule out;
    kite_fault fault;
    kite_err err = screening_rule_add(&s->ctx, a, 1, &rule, "fuzz", &out, &fault);
    if (err == KITE_ERR_NOT_ON_PLATFORM) {
        const char *stored = text_trim(a, value);
        check_match(a, kind, stored, text);
        if (kind == RULE_WORDS)
            check_own_word(a, stored);
    } else if (err != KITE_ERR_INVALID_FIELD || fault.field == NULL) {
        abort(); /* a value is either valid or refused naming its field */
    } else if (kind == RULE_PATTERN && fault.detail == FAULT_PATTERN && fault.note == NULL) {
        abort(); /* a pattern that does not compile says why */
    }
    arena_free(a);
    free(value);
    return 0;
}
