/*
 * search_words.c - the words of directory search: folding text into words,
 * reading a query, the kinds of words it may hold, and how near one word is
 * to another (directory_index.c does the rest).
 *
 * SECURITY: query text comes from clients.  Words are read into fixed
 * buffers of WORD_MAX bytes, at most QUERY_MAX_WORDS of them; bytes that are
 * not letters (invalid UTF-8 included) only separate words; the distance
 * checks never read past either word.
 */
#include "domain/directory/search_words.h"

#include "core/text.h"

#include <stdint.h>
#include <string.h>

/*
 * Words a query may hold that a facility's name may lack: what kind of
 * place it is ("prison", "jail", "unit": the directory says "ESTELLE
 * PRISON" where people say "Estelle Unit"), and small words ("jail in
 * chicago").  Such a query word is optional: it adds when it matches and
 * never excludes.  The kind words also match any kind word of a name, for
 * GENERIC_VALUE ("dallas jail" finds a DETENTION FACILITY in Dallas).  A
 * query made only of these words needs them all, as any other.  Sorted.
 */
static const char *const kind_words[] = {
    "camp", "center", "centre", "complex", "correction", "correctional", "corrections", "detention", "facility",
    "farm", "institution", "jail", "justice", "penitentiary", "prison", "unit",
};
static const char *const small_words[] = {"and", "at", "county", "for", "in", "near", "of", "on", "parish", "the"};

static bool in_words(const char *const *list, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], w) == 0)
            return true;
    return false;
}

/* w, or w less a plural ending, is a kind word. */
bool search_word_is_kind(const char *w, size_t len)
{
    char stem[WORD_MAX];
    if (len >= WORD_MAX)
        return false;
    memcpy(stem, w, len + 1);
    if (in_words(kind_words, sizeof kind_words / sizeof *kind_words, stem))
        return true;
    if (len > PLURAL_MIN_LEN && stem[len - 1] == 's') {
        stem[len - 1] = '\0';
        return in_words(kind_words, sizeof kind_words / sizeof *kind_words, stem);
    }
    return false;
}


/* ---- folding ---------------------------------------------------------- */

enum unit_kind { UNIT_END, UNIT_LETTERS, UNIT_APOSTROPHE, UNIT_SEPARATOR };

/* One character of input: what it is, how many bytes it takes, its fold. */
struct unit {
    enum unit_kind kind;
    size_t bytes;
    char folded[3]; /* UNIT_LETTERS: one or two lower-case ASCII letters or digits */
};

static struct unit next_unit(const unsigned char *p)
{
    struct unit u = {UNIT_SEPARATOR, 1, {0}};
    unsigned char c = p[0];
    if (c == '\0') {
        u.kind = UNIT_END;
        u.bytes = 0;
    } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) {
        u.kind = UNIT_LETTERS;
        u.folded[0] = (char)c;
    } else if (c >= 'A' && c <= 'Z') {
        u.kind = UNIT_LETTERS;
        u.folded[0] = (char)(c - 'A' + 'a');
    } else if (c == '\'') {
        u.kind = UNIT_APOSTROPHE;
    } else if (c == 0xE2 && p[1] == 0x80 && p[2] == 0x99) { /* U+2019, the typographic apostrophe */
        u.kind = UNIT_APOSTROPHE;
        u.bytes = 3;
    } else if (c >= 0xC3 && c <= 0xC5 && (p[1] & 0xC0) == 0x80) {
        u.bytes = 2;
        if (text_fold_latin(((c & 0x1Fu) << 6) | (p[1] & 0x3Fu), u.folded))
            u.kind = UNIT_LETTERS;
    }
    /* Anything else, the bytes of other multi-byte characters included, separates words. */
    return u;
}

/*
 * Folds the next word at *cursor into out (cap bytes, always NUL-terminated,
 * cut short when it does not fit) and returns its whole folded length, 0 when
 * no word is left.  With join_apostrophes an apostrophe between two letters is
 * dropped ("SHERIFF'S" gives "sheriffs"); without, it ends the word.
 */
size_t search_word_next(const char **cursor, bool join_apostrophes, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)*cursor;
    struct unit u = next_unit(p);
    while (u.kind == UNIT_SEPARATOR || u.kind == UNIT_APOSTROPHE) {
        p += u.bytes;
        u = next_unit(p);
    }
    size_t len = 0;
    for (; u.kind != UNIT_END; p += u.bytes, u = next_unit(p)) {
        if (u.kind == UNIT_LETTERS) {
            for (const char *f = u.folded; *f != '\0'; f++, len++)
                if (len + 1 < cap)
                    out[len] = *f;
        } else if (!(u.kind == UNIT_APOSTROPHE && join_apostrophes &&
                     next_unit(p + u.bytes).kind == UNIT_LETTERS)) {
            break;
        }
    }
    out[len < cap ? len : cap - 1] = '\0';
    *cursor = (const char *)p;
    return len;
}


/* Words after the first QUERY_MAX_WORDS are ignored. */
void search_words_parse(const char *text, struct query_words *q)
{
    q->count = 0;
    q->too_long = false;
    if (text == NULL)
        return;
    const char *cursor = text;
    size_t len;
    while (q->count < QUERY_MAX_WORDS &&
           (len = search_word_next(&cursor, true, q->text[q->count], WORD_MAX)) > 0) {
        q->too_long |= len >= WORD_MAX;
        q->kind[q->count] = len < WORD_MAX && search_word_is_kind(q->text[q->count], len);
        q->asks[q->count] = q->kind[q->count] ? (unsigned char)search_word_place_class(q->text[q->count]) : PLACE_ANY;
        q->optional[q->count] = q->kind[q->count] ||
                                in_words(small_words, sizeof small_words / sizeof *small_words, q->text[q->count]);
        q->place[q->count] = q->count > 0 && (strcmp(q->text[q->count - 1], "in") == 0 ||
                                              strcmp(q->text[q->count - 1], "near") == 0 ||
                                              strcmp(q->text[q->count - 1], "at") == 0);
        q->len[q->count++] = len;
    }
    bool any_required = false;
    for (size_t w = 0; w < q->count; w++)
        any_required |= !q->optional[w];
    for (size_t w = 0; w < q->count && !any_required; w++)
        q->optional[w] = false;
}

/* A byte loop: the words are a few letters long, too short to pay for a call to memcmp. */
bool search_word_starts_with(const char *t, size_t tlen, const char *s, size_t slen)
{
    if (slen > tlen)
        return false;
    for (size_t i = 0; i < slen; i++)
        if (t[i] != s[i])
            return false;
    return true;
}

/* How the rest of w, after an edit, lines up with the rest of t. */
static enum match_level aligned(const char *t, size_t tlen, const char *w, size_t wlen)
{
    if (!search_word_starts_with(t, tlen, w, wlen))
        return LEVEL_NONE;
    return wlen == tlen ? LEVEL_TYPO : LEVEL_TYPO_IN_PREFIX;
}

static enum match_level better(enum match_level a, enum match_level b)
{
    return a > b ? a : b;
}

/*
 * Whether w is within one edit (insertion, deletion, substitution or
 * transposition of neighbours) of t (LEVEL_TYPO: "colman", "colemn" for
 * "coleman"), or of a prefix of t (LEVEL_TYPO_IN_PREFIX: "colemn" also
 * reaches "colemanville").  Called for words that are not a prefix of t.
 * After the common prefix each kind of edit leaves one alignment, so four
 * prefix checks decide it.
 */
enum match_level search_word_one_typo(const char *w, size_t wlen, const char *t, size_t tlen)
{
    size_t i = 0;
    while (i < wlen && i < tlen && w[i] == t[i])
        i++;
    if (i == wlen)
        return wlen == tlen ? LEVEL_EXACT : LEVEL_PREFIX;
    if (i == tlen)
        return wlen - i == 1 ? LEVEL_TYPO : LEVEL_NONE; /* one letter past the end of t */
    const char *wr = w + i, *tr = t + i;
    size_t wn = wlen - i, tn = tlen - i;
    enum match_level level = aligned(tr + 1, tn - 1, wr + 1, wn - 1); /* substituted */
    level = better(level, aligned(tr, tn, wr + 1, wn - 1));            /* one letter too many */
    level = better(level, aligned(tr + 1, tn - 1, wr, wn));            /* one letter missing */
    if (wn >= 2 && tn >= 2 && wr[0] == tr[1] && wr[1] == tr[0])
        level = better(level, aligned(tr + 2, tn - 2, wr + 2, wn - 2)); /* neighbours swapped */
    return level;
}

/*
 * Whether w is within two edits of t (optimal string alignment distance:
 * insertions, deletions, substitutions, neighbours swapped): "quinten" for
 * "quentin".  Only long words get it, and only in suggestions.
 */
bool search_word_two_edits(const char *w, size_t wlen, const char *t, size_t tlen)
{
    if (wlen >= WORD_MAX || tlen >= WORD_MAX || (wlen > tlen ? wlen - tlen : tlen - wlen) > 2)
        return false;
    unsigned d[3][WORD_MAX + 1]; /* rows i - 2, i - 1, i of the distance table, by i % 3 */
    for (size_t j = 0; j <= tlen; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= wlen; i++) {
        unsigned *row = d[i % 3], *up = d[(i - 1) % 3], *up2 = d[(i + 1) % 3];
        row[0] = (unsigned)i;
        unsigned least = row[0];
        for (size_t j = 1; j <= tlen; j++) {
            unsigned cost = w[i - 1] != t[j - 1];
            unsigned best = up[j - 1] + cost;
            if (up[j] + 1 < best)
                best = up[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (i > 1 && j > 1 && w[i - 1] == t[j - 2] && w[i - 2] == t[j - 1] && up2[j - 2] + 1 < best)
                best = up2[j - 2] + 1;
            row[j] = best;
            least = best < least ? best : least;
        }
        if (least > 2)
            return false;
    }
    return d[wlen % 3][tlen] <= 2;
}

/*
 * What kind of place a query's kind word asks for, and what kind a facility's
 * type is: people say "prison" for state and federal prisons and "jail" for
 * county and city jails ("mcalester prison" means the state penitentiary in
 * McAlester, not the county jail there).  Classes, not strings, so that
 * scoring thousands of candidates compares two small numbers.
 */
place_class search_word_place_class(const char *word)
{
    if (strncmp(word, "prison", 6) == 0 || strcmp(word, "penitentiary") == 0)
        return PLACE_PRISON;
    return strncmp(word, "jail", 4) == 0 ? PLACE_JAIL : PLACE_ANY;
}

place_class search_type_place_class(const char *type)
{
    if (type == NULL)
        return PLACE_ANY;
    if (strcmp(type, "state") == 0 || strcmp(type, "federal") == 0)
        return PLACE_PRISON;
    return strcmp(type, "county") == 0 || strcmp(type, "local") == 0 ? PLACE_JAIL : PLACE_ANY;
}
