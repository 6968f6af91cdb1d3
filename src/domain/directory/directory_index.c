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
 * Scores (entry_score): a query word is worth its dictionary word's rarity,
 * ln((N + 1) / (entries holding it + 1/2)), computed once at build, times
 * a factor for how it matched and where (name and aliases count fully, the
 * city less); the sum, plus the share of the name the query covers, plus a
 * bonus fixed per entry at build (size: a logarithm of the people held;
 * open), is scaled to an integer so that a 64-bit key sorts by score, then
 * name order.  The weights were set against tests/data/search-queries.csv:
 * real queries and the facility a person means by each.
 *
 * Typos are kept out of results: the words are marked once without them;
 * directory_index_suggest marks again with them, for a "Did you mean".
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
#include "domain/directory/search_words.h"

#include "core/alloc.h"
#include "core/arena.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    MARK_BITS = 3,         /* a mark holds MARK_BITS per query word in a uint64_t */
    TYPO_MIN_LEN = 4,      /* shorter words would match half the dictionary with a typo */
    TWO_TYPOS_MIN_LEN = 7, /* a suggestion may fix two typos in a word this long ("san quinten") */
    SCORE_SCALE = 4096,    /* fixed point of a score: at most 16 words of rarity under 10, and the bonuses */
};

/* The weights of entry_score (see the file comment). */
static const double PREFIX_FACTOR = 0.6, TYPO_FACTOR = 0.45, TYPO_IN_PREFIX_FACTOR = 0.3, CITY_FACTOR = 0.75,
                    GENERIC_VALUE = 0.4, KIND_RARITY_MAX = 1.0, COVERAGE_WEIGHT = 1.5, SIZE_WEIGHT = 0.5,
                    TYPE_FIT_BONUS = 0.5, OPEN_BONUS = 0.5;

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
    uint32_t alias_tokens; /* follow the name's: the words of each alias phrase in turn */
    uint32_t first_phrase; /* into directory_index.phrase_len */
    uint32_t phrases;
    uint32_t city_tokens;  /* follow the aliases' */
    double bonus;          /* size and open, fixed at build */
    bool open;
    bool has_kind_word;    /* its name or aliases say what kind of place it is (kind_words) */
    unsigned char place;   /* its type's place_class (search_words.h) */
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
    double *rarity; /* per dictionary word: ln((N + 1) / (entries holding it + 1/2)) */
    uint32_t *phrase_len; /* per alias phrase of every entry, in entry order: how many words */
    bool *is_kind;        /* per dictionary word: a kind word (kind_words) */
    /* Dictionary words whose first byte is c are [first_letter[c], first_letter[c + 1]). */
    uint32_t first_letter[257];
    struct id_lists by_second; /* byte -> dictionary words with that second letter */
    struct id_lists postings;  /* dictionary word -> entries that hold it, ascending */
};

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
    uint32_t alias_tokens;
    uint32_t city_tokens;
    size_t first_phrase; /* into the build's phrase lengths */
    uint32_t phrases;
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
        while ((len = search_word_next(&cursor, join == 1, buf, cap)) > 0)
            if (!seen_since(b, start, buf))
                builder_push(b, buf, len);
    }
    free(buf);
    return (uint32_t)(b->count - start);
}

/* The alias phrases (" / " between them) as fields of their own; their lengths appended to *lens. */
static uint32_t builder_add_aliases(struct builder *b, const char *aliases, uint32_t **lens, size_t *count,
                                    size_t *cap, uint32_t *phrases)
{
    uint32_t total = 0;
    *phrases = 0;
    for (const char *p = aliases; p != NULL && *p != '\0';) {
        const char *end = strstr(p, " / ");
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        char *phrase = xmalloc(len + 1);
        memcpy(phrase, p, len);
        phrase[len] = '\0';
        uint32_t n = builder_add_field(b, phrase);
        free(phrase);
        if (n > 0) {
            if (*count == *cap) {
                *cap = *cap ? *cap * 2 : 256;
                *lens = xrealloc(*lens, *cap * sizeof **lens);
            }
            (*lens)[(*count)++] = n;
            (*phrases)++;
            total += n;
        }
        p = end != NULL ? end + 3 : p + len;
    }
    return total;
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
    index->is_kind = arena_alloc(index->mem, (n + 1) * sizeof *index->is_kind);
    for (size_t t = 0; t < n; t++)
        index->is_kind[t] = search_word_is_kind(index->words[t], index->word_len[t]);
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
    while ((len = search_word_next(&cursor, true, word, cap)) > 0) {
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
            .alias_tokens = t->alias_tokens,
            .first_phrase = (uint32_t)t->first_phrase,
            .phrases = t->phrases,
            .city_tokens = t->city_tokens,
            .open = in->status != NULL && strcasecmp(in->status, "open") == 0,
        };
        struct entry *e = &index->entries[k];
        for (uint32_t j = 0; j < e->name_tokens + e->alias_tokens && !e->has_kind_word; j++)
            e->has_kind_word = index->is_kind[index->tokens[e->first_token + j]];
        e->place = (unsigned char)search_type_place_class(in->type);
        e->bonus = (e->open ? OPEN_BONUS : 0) + (in->people > 0 ? SIZE_WEIGHT * log10((double)in->people + 1) : 0);
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
        for (uint32_t j = 0; j < e->name_tokens + e->alias_tokens + e->city_tokens; j++) {
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
    index->rarity = arena_alloc(index->mem, (n + 1) * sizeof *index->rarity);
    for (size_t t = 0; t < n; t++)
        index->rarity[t] = log(((double)index->count + 1) / ((double)(start[t + 1] - start[t]) + 0.5));
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
    uint32_t *lens = NULL;
    size_t nlens = 0, lens_cap = 0;
    for (size_t i = 0; i < count; i++) {
        src[i].first = b.count;
        src[i].name_tokens = builder_add_field(&b, entries[i].name);
        src[i].first_phrase = nlens;
        src[i].alias_tokens = builder_add_aliases(&b, entries[i].aliases, &lens, &nlens, &lens_cap, &src[i].phrases);
        src[i].city_tokens = builder_add_field(&b, entries[i].city);
    }
    index->phrase_len = arena_alloc(index->mem, (nlens + 1) * sizeof *index->phrase_len);
    if (nlens > 0)
        memcpy(index->phrase_len, lens, nlens * sizeof *lens);
    free(lens);
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
    enum match_level level = search_word_one_typo(w, wlen, index->words[t], index->word_len[t]);
    if (level == LEVEL_NONE)
        return 0;
    marks[t] |= (mark_t)level << (MARK_BITS * word);
    return posting_count(index, t);
}

/* Whether dictionary word t is w plus a plural ending ("jail": "jails", "church": "churches"). */
static bool is_plural_of(const char *t, size_t tlen, size_t wlen)
{
    if (wlen < PLURAL_MIN_LEN)
        return false;
    return (tlen == wlen + 1 && t[wlen] == 's') || (tlen == wlen + 2 && t[wlen] == 'e' && t[wlen + 1] == 's');
}

/* Marks the dictionary word equal to the first len bytes of w, if there is one, as an exact match. */
static size_t mark_singular(const directory_index *index, const char *w, size_t len, size_t word, mark_t *marks)
{
    char stem[WORD_MAX];
    memcpy(stem, w, len);
    stem[len] = '\0';
    size_t t = dictionary_lower_bound(index, stem);
    if (t == index->word_count || strcmp(index->words[t], stem) != 0)
        return 0;
    marks[t] |= (mark_t)LEVEL_EXACT << (MARK_BITS * word);
    return posting_count(index, t);
}

/*
 * Records in marks[] how well query word number `word`, w, matches each
 * dictionary word, and returns how many entry words it reached: a bound on
 * the entries it can match.  A plural in "s" or "es" on either side is the
 * same word.  With typos: one edit at or after the second letter keeps the
 * first letter; one at the first letter puts w[0] or w[1] first or second
 * in the dictionary word.  So only the words that begin with w[0] or w[1],
 * or have either as second letter, need the typo check.
 */
static size_t mark_word(const directory_index *index, const char *w, size_t wlen, size_t word, bool typos,
                        mark_t *marks)
{
    size_t reach = 0;
    for (size_t t = dictionary_lower_bound(index, w);
         t < index->word_count && search_word_starts_with(index->words[t], index->word_len[t], w, wlen); t++) {
        bool same = index->word_len[t] == wlen || is_plural_of(index->words[t], index->word_len[t], wlen);
        mark_t level = same ? LEVEL_EXACT : LEVEL_PREFIX;
        marks[t] |= level << (MARK_BITS * word);
        reach += posting_count(index, t);
    }
    if (wlen > PLURAL_MIN_LEN && w[wlen - 1] == 's') {
        reach += mark_singular(index, w, wlen - 1, word, marks);
        if (w[wlen - 2] == 'e' && wlen - 2 >= PLURAL_MIN_LEN)
            reach += mark_singular(index, w, wlen - 2, word, marks);
    }
    if (!typos || wlen < TYPO_MIN_LEN)
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
    /* After the one-edit words, so that those keep their better level. */
    for (size_t t = index->first_letter[(unsigned char)w[0]];
         wlen >= TWO_TYPOS_MIN_LEN && t < index->first_letter[(unsigned char)w[0] + 1]; t++) {
        if (mark_level(marks[t], word) == LEVEL_NONE && search_word_two_edits(w, wlen, index->words[t], index->word_len[t])) {
            marks[t] |= (mark_t)LEVEL_TYPO_IN_PREFIX << (MARK_BITS * word);
            reach += posting_count(index, t);
        }
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

/* Per-query memory, one block: it is the only allocation of a search. */
struct scratch {
    unsigned char *block;
    uint64_t *keys;       /* one per entry that may match */
    uint64_t *candidates; /* bitmap over entries */
    mark_t *marks;        /* one per dictionary word */
    /*
     * Per query word, the rarity of the word as a prefix (from the entry
     * words it reached): a prefix is worth no more than that, however rare
     * the longer word it begins ("la" in LARIMER is not worth "larimer").
     */
    double prefix_rarity[QUERY_MAX_WORDS];
    /* Per query word, the rarity of the very word when the dictionary has it: a plural is worth no more. */
    double exact_rarity[QUERY_MAX_WORDS];
};

static double level_factor(enum match_level level)
{
    switch (level) {
    case LEVEL_EXACT: return 1.0;
    case LEVEL_PREFIX: return PREFIX_FACTOR;
    case LEVEL_TYPO: return TYPO_FACTOR;
    case LEVEL_TYPO_IN_PREFIX: return TYPO_IN_PREFIX_FACTOR;
    case LEVEL_NONE: break;
    }
    return 0;
}

/* How an entry matched one query word at its best: what it is worth, how, and the dictionary word. */
struct word_hit {
    double value; /* 0: not matched */
    enum match_level level;
    uint32_t token;
};

/*
 * Fills hits[] with each query word's best match in the entry at `lowest`
 * or better, and *covered with how many of the name's words some query word
 * matched.  False when some query word has none.
 */
static bool entry_hits(const directory_index *index, const struct entry *e, const struct scratch *s,
                       const struct query_words *words, enum match_level lowest, struct word_hit *hits,
                       double *coverage)
{
    size_t nwords = words->count;
    const mark_t *marks = s->marks;
    memset(hits, 0, nwords * sizeof *hits);
    uint32_t covered = 0, phrase = 0, in_phrase = 0, phrase_covered = 0;
    *coverage = 0;
    const uint32_t *tok = index->tokens + e->first_token;
    uint32_t named = e->name_tokens + e->alias_tokens, ntok = named + e->city_tokens;
    bool query_has_kind = false;
    for (size_t w = 0; w < nwords; w++)
        query_has_kind |= words->kind[w];
    for (uint32_t k = 0; k < ntok; k++) {
        mark_t m = marks[tok[k]];
        bool hit = query_has_kind && index->is_kind[tok[k]]; /* "jail" covers DETENTION CENTER */
        for (size_t w = 0; m != 0; w++, m >>= MARK_BITS) {
            enum match_level level = (enum match_level)(m & MARK_MASK);
            if (level == LEVEL_NONE || level < lowest)
                continue;
            hit |= level == LEVEL_EXACT; /* the name's share the query covers counts whole words only */
            double rarity = index->rarity[tok[k]];
            if (level != LEVEL_EXACT && s->prefix_rarity[w] < rarity)
                rarity = s->prefix_rarity[w];
            if (s->exact_rarity[w] < rarity)
                rarity = s->exact_rarity[w];
            if (words->kind[w] && rarity > KIND_RARITY_MAX)
                rarity = KIND_RARITY_MAX; /* "prison" says what kind of place, not which one */
            double value = rarity * level_factor(level) * (k < named || words->place[w] ? 1.0 : CITY_FACTOR);
            if (value > hits[w].value)
                hits[w] = (struct word_hit){value, level, tok[k]};
        }
        if (k < e->name_tokens) {
            covered += hit;
        } else if (k < named) { /* the alias phrases, one after another */
            phrase_covered += hit;
            if (++in_phrase == index->phrase_len[e->first_phrase + phrase]) {
                double share = (double)phrase_covered / in_phrase;
                *coverage = share > *coverage ? share : *coverage;
                phrase++;
                in_phrase = phrase_covered = 0;
            }
        }
    }
    if (e->name_tokens > 0 && (double)covered / e->name_tokens > *coverage)
        *coverage = (double)covered / e->name_tokens;
    bool any = false;
    for (size_t w = 0; w < nwords; w++) {
        if (hits[w].value <= 0 && words->kind[w] && e->has_kind_word)
            hits[w] = (struct word_hit){GENERIC_VALUE, LEVEL_EXACT, UINT32_MAX};
        if (hits[w].value <= 0 && !words->optional[w])
            return false;
        any |= hits[w].value > 0 && !words->optional[w];
    }
    return any || nwords == 0;
}

/* 0 when some query word matches none of the entry's words at `lowest` or better; else the score (file comment). */
static uint32_t entry_score(const directory_index *index, const struct entry *e, const struct scratch *s,
                            const struct query_words *words, enum match_level lowest, struct word_hit *hits)
{
    double coverage;
    if (!entry_hits(index, e, s, words, lowest, hits, &coverage))
        return 0;
    double score = e->bonus + COVERAGE_WEIGHT * coverage;
    bool fits = false;
    for (size_t w = 0; w < words->count; w++) {
        score += hits[w].value;
        fits |= words->asks[w] != PLACE_ANY && words->asks[w] == e->place;
    }
    score += fits ? TYPE_FIT_BONUS : 0;
    return (uint32_t)(score * SCORE_SCALE) + 1;
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

/* Marks every query word; every word must match, so the entries of the word that reaches fewest are the candidates. */
static void mark_candidates(const directory_index *index, const struct query_words *words, bool typos,
                            struct scratch *s)
{
    size_t rarest = 0, rarest_reach = SIZE_MAX;
    for (size_t w = 0; w < words->count; w++) {
        size_t reach = mark_word(index, words->text[w], words->len[w], w, typos, s->marks);
        s->prefix_rarity[w] = log(((double)index->count + 1) / ((double)reach + 0.5));
        size_t t = dictionary_lower_bound(index, words->text[w]);
        s->exact_rarity[w] = t < index->word_count && strcmp(index->words[t], words->text[w]) == 0 ? index->rarity[t]
                                                                                                 : HUGE_VAL;
        if (!words->optional[w] && reach < rarest_reach) {
            rarest = w;
            rarest_reach = reach;
        }
    }
    collect_candidates(index, s->marks, rarest, s->candidates);
}

static size_t search_ranked(const directory_index *index, const struct filters *f,
                            const struct query_words *words, size_t offset, size_t limit,
                            int64_t *ids, size_t *total)
{
    struct scratch s;
    scratch_init(&s, index);
    mark_candidates(index, words, false, &s);

    size_t matched = 0;
    struct word_hit hits[QUERY_MAX_WORDS];
    for (size_t word = 0; word <= index->count / 64; word++) {
        for (uint64_t bits = s.candidates[word]; bits != 0; bits &= bits - 1) {
            size_t i = word * 64 + (size_t)__builtin_ctzll(bits);
            const struct entry *e = &index->entries[i];
            uint32_t score = passes_filters(e, f) ? entry_score(index, e, &s, words, LEVEL_PREFIX, hits) : 0;
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
    search_words_parse(query->text, &words);
    if (words.count == 0)
        return list_by_name(index, &filters, offset, limit, ids, total);
    if (words.too_long)
        return 0;
    return search_ranked(index, &filters, &words, offset, limit, ids, total);
}

bool directory_index_suggest(const directory_index *index, const directory_query *query, char *out, size_t cap)
{
    if (cap > 0)
        out[0] = '\0';
    if (index == NULL || query == NULL || cap == 0)
        return false;
    struct filters filters = filters_of(query);
    struct query_words words;
    search_words_parse(query->text, &words);
    if (words.count == 0 || words.too_long)
        return false;
    struct scratch s;
    scratch_init(&s, index);
    mark_candidates(index, &words, true, &s);
    /* The entry the typos reach best; the first in name order among equals. */
    uint32_t best_score = 0;
    struct word_hit hits[QUERY_MAX_WORDS], best[QUERY_MAX_WORDS];
    for (size_t word = 0; word <= index->count / 64; word++) {
        for (uint64_t bits = s.candidates[word]; bits != 0; bits &= bits - 1) {
            const struct entry *e = &index->entries[word * 64 + (size_t)__builtin_ctzll(bits)];
            uint32_t score = passes_filters(e, &filters)
                                 ? entry_score(index, e, &s, &words, LEVEL_TYPO_IN_PREFIX, hits) : 0;
            if (score > best_score) {
                best_score = score;
                memcpy(best, hits, words.count * sizeof *hits);
            }
        }
    }
    free(s.block);
    bool changed = false;
    size_t used = 0;
    for (size_t w = 0; best_score > 0 && w < words.count; w++) {
        bool typo = best[w].value > 0 && best[w].level < LEVEL_PREFIX && best[w].token != UINT32_MAX;
        const char *word = typo ? index->words[best[w].token] : words.text[w];
        changed |= typo;
        size_t len = strlen(word);
        if (used + len + 2 > cap) {
            out[0] = '\0';
            return false;
        }
        if (used > 0)
            out[used++] = ' ';
        memcpy(out + used, word, len + 1);
        used += len;
    }
    if (!changed)
        out[0] = '\0';
    return changed;
}
