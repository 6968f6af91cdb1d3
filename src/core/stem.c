/*
 * stem.c - words, folding and Snowball stems (see stem.h).
 *
 * SECURITY: reads untrusted text within the lengths given; a malformed
 * UTF-8 sequence is read as one separating byte, never past len.
 */
#include "core/stem.h"

#include "core/alloc.h"
#include "core/text.h"

#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The code point at s[i] and its length in bytes (1 for a malformed byte, read as U+FFFF, a separator). */
static uint32_t decode(const char *s, size_t len, size_t i, size_t *n)
{
    const unsigned char *u = (const unsigned char *)s + i;
    size_t left = len - i;
    *n = 1;
    if (u[0] < 0x80)
        return u[0];
    size_t need = u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : u[0] >= 0xC0 ? 2 : 0;
    if (need == 0 || need > left)
        return 0xFFFF;
    uint32_t cp = u[0] & (0x3F >> (need - 1));
    for (size_t k = 1; k < need; k++) {
        if ((u[k] & 0xC0) != 0x80)
            return 0xFFFF;
        cp = (cp << 6) | (u[k] & 0x3F);
    }
    *n = need;
    return cp;
}

static bool is_word_char(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7 || cp == 0xFFFF)
        return false;
    /* General punctuation, CJK punctuation, specials: separators. */
    if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFFF0 && cp <= 0xFFFF))
        return false;
    return true;
}

bool stem_next_word(const char *s, size_t len, size_t *pos, size_t *start, size_t *end)
{
    size_t i = *pos, n;
    while (i < len && !is_word_char(decode(s, len, i, &n)))
        i += n;
    if (i >= len) {
        *pos = len;
        return false;
    }
    *start = i;
    while (i < len && is_word_char(decode(s, len, i, &n)))
        i += n;
    *end = *pos = i;
    return true;
}

bool stem_fold(const char *word, size_t len, char *out, size_t cap)
{
    size_t o = 0, n;
    for (size_t i = 0; i < len; i += n) {
        uint32_t cp = decode(word, len, i, &n);
        char ascii[3] = {0};
        if (cp < 0x80)
            ascii[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        else
            (void)text_fold_latin(cp, ascii); /* another letter stays as it is written */
        size_t add = ascii[0] != '\0' ? strlen(ascii) : n;
        if (o + add >= cap)
            return false;
        memcpy(out + o, ascii[0] != '\0' ? ascii : word + i, add);
        o += add;
    }
    out[o] = '\0';
    return true;
}

/* ---- stemmers --------------------------------------------------------------- */

struct stemmers {
    struct sb_stemmer *of[STEM_LANG_COUNT];
};

stemmers *stemmers_new(void)
{
    stemmers *st = xcalloc(1, sizeof *st);
    st->of[STEM_ENGLISH] = sb_stemmer_new("english", "UTF_8");
    st->of[STEM_SPANISH] = sb_stemmer_new("spanish", "UTF_8");
    if (st->of[STEM_ENGLISH] == NULL || st->of[STEM_SPANISH] == NULL)
        abort(); /* both algorithms are built into libstemmer: only memory can fail */
    return st;
}

stemmers *stemmers_free(stemmers *st)
{
    if (st != NULL) {
        for (int i = 0; i < STEM_LANG_COUNT; i++)
            sb_stemmer_delete(st->of[i]);
        free(st);
    }
    return NULL;
}

bool stem_word(stemmers *st, stem_lang lang, const char *folded, size_t len, char out[STEM_WORD_MAX_BYTES + 1])
{
    if (len > STEM_WORD_MAX_BYTES)
        return false;
    struct sb_stemmer *stemmer = st->of[lang];
    const sb_symbol *stem = sb_stemmer_stem(stemmer, (const sb_symbol *)folded, (int)len);
    int n = stem != NULL ? sb_stemmer_length(stemmer) : -1;
    if (n < 0 || n > STEM_WORD_MAX_BYTES) {
        memcpy(out, folded, len);
        out[len] = '\0';
        return true;
    }
    memcpy(out, stem, (size_t)n);
    out[n] = '\0';
    return true;
}

bool stem_both(stemmers *st, const char *word, size_t len, char en[STEM_WORD_MAX_BYTES + 1],
               char es[STEM_WORD_MAX_BYTES + 1])
{
    char folded[STEM_WORD_MAX_BYTES + 1];
    if (len > STEM_WORD_MAX_BYTES || !stem_fold(word, len, folded, sizeof folded))
        return false;
    size_t n = strlen(folded);
    return stem_word(st, STEM_ENGLISH, folded, n, en) && stem_word(st, STEM_SPANISH, folded, n, es);
}
