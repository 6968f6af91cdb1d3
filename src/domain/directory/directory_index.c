/*
 * directory_index.c - word search over the facility directory, in memory.
 *
 * Design: at build time every name and city is folded (ASCII lower case,
 * Latin accents removed) and split into words.  Each distinct word is stored
 * once in a dictionary sorted by strcmp (about 5,300 words for 6,700
 * facilities); entries hold dictionary ids, and each dictionary word has a
 * posting list of the entries that hold it.  A query word is compared with
 * the dictionary, not with the entries: exact and prefix hits come from a
 * binary search, one-typo hits from an O(length) check run only on the
 * dictionary words that can be one edit away (same first letter, or a
 * first or second letter taken from the query word's first two).  That
 * leaves a 3-bit match level per query word per dictionary word.  As every
 * query word must match, the posting lists of the word that reaches fewest
 * entries give the candidates; each candidate is filtered and scored, and
 * only the requested page of the matches is sorted.  Entries are kept in
 * name order, so the entry index breaks ties in name order for free.
 *
 * Cost: one allocation per query (about 80 KB of scratch for the real
 * directory); a typical query takes tens of microseconds, the worst (a
 * single letter matching 5,800 entries) under 0.2 ms.  bench/bench_search.c
 * measures it.
 *
 * SECURITY: query text comes from clients.  At most QUERY_MAX_WORDS words of
 * at most WORD_MAX - 1 bytes are read into fixed buffers, so the work of a
 * query is bounded by the size of the index whatever the input; bytes that
 * are not letters (invalid UTF-8 included) only separate words.
 */
#include "domain/directory/directory_index.h"

#include "core/alloc.h"
#include "core/arena.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    QUERY_MAX_WORDS = 16, /* a mark holds MARK_BITS per word in a uint64_t */
    MARK_BITS = 3,
    WORD_MAX = 64,        /* query words this long or longer match nothing */
    TYPO_MIN_LEN = 4,     /* shorter words would match half the dictionary with a typo */
};

/*
 * How a query word matches a dictionary word, worst to best.  A typo against
 * the whole word ("colman": COLEMAN) ranks above one against a prefix of a
 * longer word ("colman": COMANCHE, one edit from "coman").
 */
enum match_level {
    LEVEL_NONE = 0,
    LEVEL_TYPO_IN_PREFIX = 1,
    LEVEL_TYPO = 2,
    LEVEL_PREFIX = 3,
    LEVEL_EXACT = 4,
};

/* Per dictionary word, the match level of each query word, MARK_BITS at 3 * word. */
typedef uint64_t mark_t;
#define MARK_MASK ((mark_t)7)
_Static_assert(QUERY_MAX_WORDS * MARK_BITS <= 64, "every query word's level fits in a mark");

static enum match_level mark_level(mark_t m, size_t word)
{
    return (enum match_level)((m >> (MARK_BITS * word)) & MARK_MASK);
}

struct entry {
    int64_t id;
    const char *state; /* "" when unknown, likewise below */
    const char *type;
    const char *zip;
    const char *status;
    size_t first_token; /* into directory_index.tokens */
    uint32_t name_tokens;
    uint32_t city_tokens; /* follow the name's */
    bool open;
};

/* A list of ids per key, stored compactly: key k owns ids[start[k] .. start[k + 1]). */
struct id_lists {
    uint32_t *start;
    uint32_t *ids;
};

struct directory_index {
    arena *mem; /* owns everything below */
    struct entry *entries; /* in name order, so the entry index is the name rank */
    size_t count;
    uint32_t *tokens; /* dictionary ids of every entry's words */
    const char **words; /* the dictionary: distinct folded words, strcmp order */
    size_t *word_len;
    size_t word_count;
    /* Dictionary words whose first byte is c are [first_letter[c], first_letter[c + 1]). */
    uint32_t first_letter[257];
    struct id_lists by_second; /* byte -> dictionary words with that second letter */
    struct id_lists postings;  /* dictionary word -> entries that hold it, ascending */
};

/* ---- folding ---------------------------------------------------------- */

/* Folded forms of U+00C0..U+00FF; NULL for the two signs there (x and /). */
static const char *const latin1_fold[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "y",
};

/*
 * Base letters of U+0100..U+017F (Latin Extended-A), one per code point.  The
 * two ligatures there (IJ at 0x132-0x133, OE at 0x152-0x153) fold to two
 * letters and are handled in fold_code_point.
 */
static const char latin_ext_a_base[] =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooo"
    "oorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

_Static_assert(sizeof latin_ext_a_base - 1 == 128, "one letter per code point U+0100..U+017F");

/*
 * Writes the ASCII fold of a two-byte code point into out (NUL-terminated)
 * and returns true, or returns false when it is not a Latin letter.
 */
static bool fold_code_point(unsigned int cp, char out[3])
{
    const char *fold = NULL;
    if (cp >= 0xC0 && cp <= 0xFF)
        fold = latin1_fold[cp - 0xC0];
    else if (cp == 0x132 || cp == 0x133)
        fold = "ij";
    else if (cp == 0x152 || cp == 0x153)
        fold = "oe";
    if (fold != NULL) {
        out[0] = fold[0];
        out[1] = fold[1];
        out[2] = '\0';
        return true;
    }
    if (cp < 0x100 || cp > 0x17F)
        return false;
    out[0] = latin_ext_a_base[cp - 0x100];
    out[1] = '\0';
    return true;
}

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
        if (fold_code_point(((c & 0x1Fu) << 6) | (p[1] & 0x3Fu), u.folded))
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
static size_t next_word(const char **cursor, bool join_apostrophes, char *out, size_t cap)
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

/* ---- building --------------------------------------------------------- */

/* A word of some entry, before the dictionary gives it an id. */
struct occurrence {
    const char *word;
    size_t slot; /* where its id goes in directory_index.tokens */
};

struct builder {
    arena *tmp; /* the occurrences' words; freed when the build ends */
    struct occurrence *occ;
    size_t count;
    size_t cap;
};

/* Where an entry's words landed, in the caller's entry order. */
struct source_tokens {
    size_t first;
    uint32_t name_tokens;
    uint32_t city_tokens;
};

/* A field holds few words, so a linear look-back is the cheapest duplicate check. */
static bool seen_since(const struct builder *b, size_t start, const char *word)
{
    for (size_t i = start; i < b->count; i++)
        if (strcmp(b->occ[i].word, word) == 0)
            return true;
    return false;
}

static void builder_push(struct builder *b, const char *word, size_t len)
{
    if (b->count == b->cap) {
        b->cap = b->cap == 0 ? 1024 : b->cap * 2;
        b->occ = xrealloc(b->occ, b->cap * sizeof *b->occ);
    }
    b->occ[b->count].word = arena_strndup(b->tmp, word, len);
    b->occ[b->count].slot = b->count;
    b->count++;
}

/*
 * Adds the distinct words of one field and returns how many.  A word with an
 * apostrophe is indexed both split and joined ("o", "neil" and "oneil"), so
 * that either spelling in a query finds it.
 */
static uint32_t builder_add_field(struct builder *b, const char *text)
{
    if (text == NULL)
        return 0;
    size_t start = b->count;
    size_t cap = strlen(text) + 1; /* folding never makes a word longer than its bytes */
    char *buf = xmalloc(cap);
    for (int join = 0; join <= 1; join++) {
        const char *cursor = text;
        size_t len;
        while ((len = next_word(&cursor, join == 1, buf, cap)) > 0)
            if (!seen_since(b, start, buf))
                builder_push(b, buf, len);
    }
    free(buf);
    return (uint32_t)(b->count - start);
}

static int compare_occurrences(const void *a, const void *b)
{
    const struct occurrence *x = a, *y = b;
    int c = strcmp(x->word, y->word);
    if (c != 0)
        return c;
    return (x->slot > y->slot) - (x->slot < y->slot);
}

/* Sorts the occurrences into a dictionary of distinct words and writes each one's id. */
static void build_dictionary(directory_index *index, struct builder *b)
{
    if (b->count > 0)
        qsort(b->occ, b->count, sizeof *b->occ, compare_occurrences);
    index->tokens = arena_alloc(index->mem, (b->count ? b->count : 1) * sizeof *index->tokens);
    index->words = arena_alloc(index->mem, (b->count ? b->count : 1) * sizeof *index->words);
    index->word_len = arena_alloc(index->mem, (b->count ? b->count : 1) * sizeof *index->word_len);
    size_t n = 0;
    for (size_t i = 0; i < b->count; i++) {
        if (n == 0 || strcmp(index->words[n - 1], b->occ[i].word) != 0) {
            index->words[n] = arena_strdup(index->mem, b->occ[i].word);
            index->word_len[n] = strlen(b->occ[i].word);
            n++;
        }
        index->tokens[b->occ[i].slot] = (uint32_t)(n - 1);
    }
    index->word_count = n;
}

/* Sort key for the name order: the folded words, so "DOÑA" sorts with "DONA". */
struct name_key {
    const char *folded;
    const char *name;
    int64_t id;
    size_t source;
};

static const char *fold_whole(arena *a, const char *text)
{
    size_t cap = strlen(text) + 1;
    char *out = arena_alloc(a, cap);
    char *word = arena_alloc(a, cap);
    size_t used = 0, len;
    const char *cursor = text;
    out[0] = '\0';
    while ((len = next_word(&cursor, true, word, cap)) > 0) {
        if (used > 0)
            out[used++] = ' ';
        memcpy(out + used, word, len + 1);
        used += len;
    }
    return out;
}

static int compare_name_keys(const void *a, const void *b)
{
    const struct name_key *x = a, *y = b;
    int c = strcmp(x->folded, y->folded);
    if (c == 0)
        c = strcmp(x->name, y->name);
    if (c == 0)
        c = (x->id > y->id) - (x->id < y->id);
    return c;
}

static const char *copy_or_empty(arena *a, const char *s)
{
    return arena_strdup(a, s == NULL ? "" : s);
}

static void place_entries(directory_index *index, const directory_entry *entries, size_t count,
                          const struct source_tokens *src, arena *tmp)
{
    struct name_key *keys = arena_alloc(tmp, (count ? count : 1) * sizeof *keys);
    for (size_t i = 0; i < count; i++) {
        const char *name = entries[i].name != NULL ? entries[i].name : ""; /* never NULL, says the header */
        keys[i] = (struct name_key){fold_whole(tmp, name), name, entries[i].id, i};
    }
    qsort(keys, count, sizeof *keys, compare_name_keys);

    index->entries = arena_alloc(index->mem, (count ? count : 1) * sizeof *index->entries);
    for (size_t k = 0; k < count; k++) {
        const directory_entry *in = &entries[keys[k].source];
        const struct source_tokens *t = &src[keys[k].source];
        index->entries[k] = (struct entry){
            .id = in->id,
            .state = copy_or_empty(index->mem, in->state),
            .type = copy_or_empty(index->mem, in->type),
            .zip = copy_or_empty(index->mem, in->zip),
            .status = copy_or_empty(index->mem, in->status),
            .first_token = t->first,
            .name_tokens = t->name_tokens,
            .city_tokens = t->city_tokens,
            .open = in->status != NULL && strcasecmp(in->status, "open") == 0,
        };
    }
    index->count = count;
}

/* The dictionary words by first byte (contiguous, as the dictionary is sorted) and by second byte. */
static void build_letter_maps(directory_index *index)
{
    size_t t = 0;
    for (unsigned c = 0; c <= 256; c++) {
        while (t < index->word_count && (unsigned char)index->words[t][0] < c)
            t++;
        index->first_letter[c] = (uint32_t)t;
    }
    uint32_t *start = arena_zalloc(index->mem, 258 * sizeof *start);
    for (t = 0; t < index->word_count; t++)
        start[(unsigned char)index->words[t][1] + 1]++; /* the NUL bucket holds one-letter words */
    for (unsigned c = 1; c <= 257; c++)
        start[c] += start[c - 1];
    uint32_t *ids = arena_alloc(index->mem, (index->word_count + 1) * sizeof *ids);
    uint32_t fill[257];
    memcpy(fill, start, sizeof fill);
    for (t = 0; t < index->word_count; t++)
        ids[fill[(unsigned char)index->words[t][1]]++] = (uint32_t)t;
    index->by_second = (struct id_lists){start, ids};
}

/*
 * Visits each entry's distinct words: without ids it counts them into
 * count[t + 1]; with ids it appends the entry to word t's list at fill[t].
 * seen[t] holds 1 + the last entry visited for word t, which drops a word
 * that is in both the name and the city.
 */
static void post_entries(const directory_index *index, uint32_t *seen, uint32_t *count_or_fill,
                         uint32_t *ids)
{
    for (size_t k = 0; k < index->count; k++) {
        const struct entry *e = &index->entries[k];
        for (uint32_t j = 0; j < e->name_tokens + e->city_tokens; j++) {
            uint32_t t = index->tokens[e->first_token + j];
            if (seen[t] == k + 1)
                continue;
            seen[t] = (uint32_t)(k + 1);
            if (ids == NULL)
                count_or_fill[t + 1]++;
            else
                ids[count_or_fill[t]++] = (uint32_t)k;
        }
    }
}

/* For each dictionary word, the entries that hold it, by entry index ascending. */
static void build_postings(directory_index *index)
{
    size_t n = index->word_count;
    uint32_t *start = arena_zalloc(index->mem, (n + 1) * sizeof *start);
    uint32_t *seen = xcalloc(n + 1, sizeof *seen);
    post_entries(index, seen, start, NULL);
    for (size_t t = 1; t <= n; t++)
        start[t] += start[t - 1];
    uint32_t *ids = arena_alloc(index->mem, (start[n] + 1) * sizeof *ids);
    uint32_t *fill = xmalloc((n + 1) * sizeof *fill);
    memcpy(fill, start, (n + 1) * sizeof *fill);
    memset(seen, 0, (n + 1) * sizeof *seen);
    post_entries(index, seen, fill, ids);
    index->postings = (struct id_lists){start, ids};
    free(fill);
    free(seen);
}

directory_index *directory_index_build(const directory_entry *entries, size_t count)
{
    /* Entry indexes and token slots are 32-bit in the index; a directory is far smaller. */
    assert(count < UINT32_MAX / 64);
    directory_index *index = xcalloc(1, sizeof *index);
    index->mem = arena_new();
    struct builder b = {.tmp = arena_new()};
    struct source_tokens *src = arena_alloc(b.tmp, (count ? count : 1) * sizeof *src);
    for (size_t i = 0; i < count; i++) {
        src[i].first = b.count;
        src[i].name_tokens = builder_add_field(&b, entries[i].name);
        src[i].city_tokens = builder_add_field(&b, entries[i].city);
    }
    build_dictionary(index, &b);
    place_entries(index, entries, count, src, b.tmp);
    build_letter_maps(index);
    build_postings(index);
    free(b.occ);
    arena_free(b.tmp);
    return index;
}

directory_index *directory_index_free(directory_index *index)
{
    if (index == NULL)
        return NULL;
    arena_free(index->mem);
    free(index);
    return NULL;
}

size_t directory_index_size(const directory_index *index)
{
    return index == NULL ? 0 : index->count;
}

/* ---- matching words --------------------------------------------------- */

struct query_words {
    char text[QUERY_MAX_WORDS][WORD_MAX];
    size_t len[QUERY_MAX_WORDS];
    size_t count;
    bool too_long; /* some word cannot match any dictionary word */
};

/* Words after the first QUERY_MAX_WORDS are ignored. */
static void parse_query(const char *text, struct query_words *q)
{
    q->count = 0;
    q->too_long = false;
    if (text == NULL)
        return;
    const char *cursor = text;
    size_t len;
    while (q->count < QUERY_MAX_WORDS &&
           (len = next_word(&cursor, true, q->text[q->count], WORD_MAX)) > 0) {
        q->too_long |= len >= WORD_MAX;
        q->len[q->count++] = len;
    }
}

/* A byte loop: the words are a few letters long, too short to pay for a call to memcmp. */
static bool starts_with(const char *t, size_t tlen, const char *s, size_t slen)
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
    if (!starts_with(t, tlen, w, wlen))
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
static enum match_level one_typo(const char *w, size_t wlen, const char *t, size_t tlen)
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

static size_t dictionary_lower_bound(const directory_index *index, const char *w)
{
    size_t lo = 0, hi = index->word_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(index->words[mid], w) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* How many entries hold dictionary word t. */
static size_t posting_count(const directory_index *index, size_t t)
{
    return index->postings.start[t + 1] - index->postings.start[t];
}

/* Marks dictionary word t when w is one typo from it; returns the entries that adds. */
static size_t mark_if_typo(const directory_index *index, const char *w, size_t wlen, size_t t,
                           size_t word, mark_t *marks)
{
    if (mark_level(marks[t], word) != LEVEL_NONE)
        return 0;
    enum match_level level = one_typo(w, wlen, index->words[t], index->word_len[t]);
    if (level == LEVEL_NONE)
        return 0;
    marks[t] |= (mark_t)level << (MARK_BITS * word);
    return posting_count(index, t);
}

/*
 * Records in marks[] how well query word number `word`, w, matches each
 * dictionary word, and returns how many entry words it reached: a bound on
 * the entries it can match.  One edit at or after the second letter keeps
 * the first letter; one at the first letter puts w[0] or w[1] first or
 * second in the dictionary word.  So only the words that begin with w[0] or
 * w[1], or have either as second letter, need the typo check.
 */
static size_t mark_word(const directory_index *index, const char *w, size_t wlen, size_t word,
                        mark_t *marks)
{
    size_t reach = 0;
    for (size_t t = dictionary_lower_bound(index, w);
         t < index->word_count && starts_with(index->words[t], index->word_len[t], w, wlen); t++) {
        mark_t level = index->word_len[t] == wlen ? LEVEL_EXACT : LEVEL_PREFIX;
        marks[t] |= level << (MARK_BITS * word);
        reach += posting_count(index, t);
    }
    if (wlen < TYPO_MIN_LEN)
        return reach;
    unsigned char lead[2] = {(unsigned char)w[0], (unsigned char)w[1]};
    for (size_t k = 0; k < 2; k++) {
        if (k == 1 && lead[1] == lead[0])
            break;
        for (size_t t = index->first_letter[lead[k]]; t < index->first_letter[lead[k] + 1]; t++)
            reach += mark_if_typo(index, w, wlen, t, word, marks);
        const struct id_lists *second = &index->by_second;
        for (size_t j = second->start[lead[k]]; j < second->start[lead[k] + 1]; j++)
            reach += mark_if_typo(index, w, wlen, second->ids[j], word, marks);
    }
    return reach;
}

/* ---- filtering and ranking -------------------------------------------- */

/* The query's filters, NULL where unset (NULL or ""). */
struct filters {
    const char *state;
    const char *type;
    const char *status;
    const char *zip;
    size_t zip_len;
};

static const char *filter_or_null(const char *f)
{
    return f != NULL && f[0] != '\0' ? f : NULL;
}

static struct filters filters_of(const directory_query *q)
{
    struct filters f = {filter_or_null(q->state), filter_or_null(q->type), filter_or_null(q->status),
                        filter_or_null(q->zip), 0};
    f.zip_len = f.zip != NULL ? strlen(f.zip) : 0;
    return f;
}

static bool passes_filters(const struct entry *e, const struct filters *f)
{
    return (f->state == NULL || strcasecmp(e->state, f->state) == 0) &&
           (f->type == NULL || strcasecmp(e->type, f->type) == 0) &&
           (f->status == NULL || strcasecmp(e->status, f->status) == 0) &&
           (f->zip == NULL || strncmp(e->zip, f->zip, f->zip_len) == 0);
}

static bool every_word_present(mark_t marks, size_t nwords)
{
    for (size_t w = 0; w < nwords; w++)
        if (mark_level(marks, w) == LEVEL_NONE)
            return false;
    return true;
}

/*
 * 0 when some query word matches none of the entry's words; else a score,
 * larger is better, that orders by the number of exact words, then of prefix
 * words, then of whole-word typos (so typos within a prefix come last), then
 * of words found in the name rather than the city, then open before closed.
 */
static uint32_t entry_score(const directory_index *index, const struct entry *e,
                            const mark_t *marks, size_t nwords)
{
    const uint32_t *tok = index->tokens + e->first_token;
    uint32_t ntok = e->name_tokens + e->city_tokens;
    mark_t any = 0;
    for (uint32_t k = 0; k < ntok; k++)
        any |= marks[tok[k]];
    if (!every_word_present(any, nwords))
        return 0;

    unsigned best[QUERY_MAX_WORDS] = {0}; /* level * 2, plus 1 when found in the name */
    for (uint32_t k = 0; k < ntok; k++) {
        mark_t m = marks[tok[k]];
        unsigned in_name = k < e->name_tokens;
        for (size_t w = 0; m != 0; w++, m >>= MARK_BITS) {
            unsigned level = (unsigned)(m & MARK_MASK);
            unsigned code = level == LEVEL_NONE ? 0 : level * 2 + in_name;
            if (code > best[w])
                best[w] = code;
        }
    }
    uint32_t exact = 0, prefix = 0, typo = 0, in_name = 0;
    for (size_t w = 0; w < nwords; w++) {
        exact += (best[w] >> 1) == LEVEL_EXACT;
        prefix += (best[w] >> 1) == LEVEL_PREFIX;
        typo += (best[w] >> 1) == LEVEL_TYPO;
        in_name += best[w] & 1u;
    }
    /* Each count is at most QUERY_MAX_WORDS (5 bits). */
    return exact << 20 | prefix << 15 | typo << 10 | in_name << 4 | (e->open ? 2u : 0u) | 1u;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static bool in_window(size_t rank, size_t offset, size_t limit)
{
    return rank >= offset && rank - offset < limit;
}

/* Empty text: every entry that passes the filters, in name order. */
static size_t list_by_name(const directory_index *index, const struct filters *f, size_t offset,
                           size_t limit, int64_t *ids, size_t *total)
{
    size_t matched = 0, written = 0;
    for (size_t i = 0; i < index->count; i++) {
        if (!passes_filters(&index->entries[i], f))
            continue;
        if (in_window(matched, offset, limit))
            ids[written++] = index->entries[i].id;
        matched++;
    }
    *total = matched;
    return written;
}

static void sift_down(uint64_t *heap, size_t n, size_t i)
{
    for (;;) {
        size_t big = i, l = 2 * i + 1, r = l + 1;
        if (l < n && heap[l] > heap[big])
            big = l;
        if (r < n && heap[r] > heap[big])
            big = r;
        if (big == i)
            return;
        uint64_t tmp = heap[i];
        heap[i] = heap[big];
        heap[big] = tmp;
        i = big;
    }
}

/*
 * Leaves the k smallest of keys[0..n) sorted in keys[0..k).  A page is
 * usually 20 of thousands of matches ("c"), so a max-heap of k beats sorting.
 */
static void sort_smallest(uint64_t *keys, size_t n, size_t k)
{
    if (k == 0)
        return;
    if (k < n) {
        for (size_t i = k / 2; i-- > 0;)
            sift_down(keys, k, i);
        for (size_t i = k; i < n; i++) {
            if (keys[i] < keys[0]) {
                keys[0] = keys[i];
                sift_down(keys, k, 0);
            }
        }
    }
    qsort(keys, k, sizeof *keys, compare_u64);
}

/* Per-query memory, one block: it is the only allocation of a search. */
struct scratch {
    unsigned char *block;
    uint64_t *keys;       /* one per entry that may match */
    uint64_t *candidates; /* bitmap over entries */
    mark_t *marks;        /* one per dictionary word */
};

static void scratch_init(struct scratch *s, const directory_index *index)
{
    size_t keys = (index->count + 1) * sizeof(uint64_t);
    size_t bits = (index->count / 64 + 1) * sizeof(uint64_t);
    size_t marks = (index->word_count + 1) * sizeof(mark_t);
    s->block = xmalloc(keys + bits + marks);
    s->keys = (uint64_t *)(void *)s->block;
    s->candidates = (uint64_t *)(void *)(s->block + keys);
    s->marks = (mark_t *)(void *)(s->block + keys + bits);
    memset(s->candidates, 0, bits + marks);
}

/* Sets the bit of every entry that holds a dictionary word that query word `word` matched. */
static void collect_candidates(const directory_index *index, const mark_t *marks, size_t word,
                               uint64_t *bits)
{
    for (size_t t = 0; t < index->word_count; t++) {
        if (mark_level(marks[t], word) == LEVEL_NONE)
            continue;
        for (uint32_t j = index->postings.start[t]; j < index->postings.start[t + 1]; j++)
            bits[index->postings.ids[j] / 64] |= (uint64_t)1 << (index->postings.ids[j] % 64);
    }
}

static size_t search_ranked(const directory_index *index, const struct filters *f,
                            const struct query_words *words, size_t offset, size_t limit,
                            int64_t *ids, size_t *total)
{
    struct scratch s;
    scratch_init(&s, index);
    /* Every word must match, so the entries of the word that reaches fewest are all the candidates. */
    size_t rarest = 0, rarest_reach = SIZE_MAX;
    for (size_t w = 0; w < words->count; w++) {
        size_t reach = mark_word(index, words->text[w], words->len[w], w, s.marks);
        if (reach < rarest_reach) {
            rarest = w;
            rarest_reach = reach;
        }
    }
    collect_candidates(index, s.marks, rarest, s.candidates);

    size_t matched = 0;
    for (size_t word = 0; word <= index->count / 64; word++) {
        for (uint64_t bits = s.candidates[word]; bits != 0; bits &= bits - 1) {
            size_t i = word * 64 + (size_t)__builtin_ctzll(bits);
            const struct entry *e = &index->entries[i];
            uint32_t score = passes_filters(e, f) ? entry_score(index, e, s.marks, words->count) : 0;
            /* Best score first, then the entry index, which is the name order. */
            if (score != 0)
                s.keys[matched++] = (uint64_t)(UINT32_MAX - score) << 32 | (uint64_t)i;
        }
    }
    size_t end = 0; /* one past the last rank on the page */
    if (offset < matched)
        end = limit >= matched - offset ? matched : offset + limit;
    sort_smallest(s.keys, matched, end);
    size_t written = 0;
    for (size_t r = offset; r < end; r++)
        ids[written++] = index->entries[s.keys[r] & UINT32_MAX].id;
    free(s.block);
    *total = matched;
    return written;
}

size_t directory_index_search(const directory_index *index, const directory_query *query,
                              size_t offset, size_t limit, int64_t *ids, size_t *total)
{
    static const directory_query match_all = {0};
    size_t ignored;
    if (total == NULL)
        total = &ignored;
    *total = 0;
    if (index == NULL)
        return 0;
    if (query == NULL)
        query = &match_all;

    struct filters filters = filters_of(query);
    struct query_words words;
    parse_query(query->text, &words);
    if (words.count == 0)
        return list_by_name(index, &filters, offset, limit, ids, total);
    if (words.too_long)
        return 0;
    return search_ranked(index, &filters, &words, offset, limit, ids, total);
}
