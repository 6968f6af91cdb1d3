/*
 * search_text.c - an investigator's search words (search_text.h).
 *
 * Design: the investigator types words and "phrases in quotes"; nothing
 * else of either store's query language is theirs to use.  We cut q into
 * words ourselves (core/stem.h says what a word is) and write each store's
 * query from the words alone: every term in double quotes, so FTS5 reads a
 * quoted string and PostgreSQL's websearch_to_tsquery a phrase; a word
 * holds no quote, so no term can close its quotes early.  Both stores then
 * tokenize and stem the words as they did the messages (SQLite: kite_stem,
 * db/fts_stem.c; PostgreSQL: the english and spanish configurations).
 *
 * The snippet is cut here, not by the stores (FTS5's snippet(), PostgreSQL's
 * ts_headline), so that it is the same on both and is plain text: a window
 * of the body's words around the first word whose English or Spanish stem
 * is a stem of a search word, with the matched words given as code point
 * offsets.  Nothing in it is markup, so a page shows it as text.
 *
 * SECURITY: q is untrusted and arrives here unchecked: its length and UTF-8
 * are checked first, and each word is copied, folded, into the arena.  The
 * bodies cut into snippets were checked as UTF-8 when they were sent; we cut
 * only at word boundaries, so a snippet is valid UTF-8 too.
 */
#include "domain/oversight/search_text.h"

#include "core/buf.h"
#include "core/stem.h"
#include "core/text.h"

#include <stdint.h>
#include <string.h>

enum { SNIPPET_WORDS = 24, SNIPPET_WORDS_BEFORE = 6 };

static const char *folded_word(arena *a, const char *s, size_t len)
{
    char *out = arena_alloc(a, len + 1);
    return stem_fold(s, len, out, len + 1) ? out : arena_strndup(a, s, len);
}

/* The words of s[0..len) as one term (a phrase when quoted), appended to out. */
static kite_err add_words(arena *a, const char *s, size_t len, bool phrase, search_terms *out, kite_fault *fault)
{
    size_t pos = 0, start, end, in_phrase = 0;
    buf term;
    buf_init(&term, a);
    while (stem_next_word(s, len, &pos, &start, &end)) {
        const char *w = folded_word(a, s + start, end - start);
        if (!phrase || in_phrase == 0) {
            if (out->count == INVESTIGATION_TERMS_MAX) {
                fault_set(fault, KITE_ERR_INVALID_FIELD, "q", FAULT_SEARCH_TERMS);
                fault->limit = INVESTIGATION_TERMS_MAX;
                return fault->code;
            }
            out->count++;
        }
        /* A phrase longer than the limit is searched by its first words. */
        if (phrase && in_phrase == INVESTIGATION_PHRASE_WORDS_MAX)
            continue;
        if (phrase && in_phrase > 0)
            buf_puts(&term, " ");
        buf_puts(&term, w);
        out->words[out->word_count++] = w;
        if (phrase)
            in_phrase++;
        else {
            out->terms[out->count - 1] = term.data;
            buf_init(&term, a);
        }
    }
    if (phrase && in_phrase > 0)
        out->terms[out->count - 1] = term.data;
    return KITE_OK;
}

kite_err search_terms_parse(arena *a, const char *q, search_terms *out, kite_fault *fault)
{
    memset(out, 0, sizeof *out);
    size_t len = q != NULL ? strlen(q) : 0;
    if (len > INVESTIGATION_QUERY_MAX_BYTES || !utf8_valid(q != NULL ? q : "", len)) {
        fault_set(fault, KITE_ERR_INVALID_FIELD, "q", FAULT_LENGTH);
        fault->limit = INVESTIGATION_QUERY_MAX_BYTES;
        return fault->code;
    }
    size_t blank = 0;
    while (blank < len && (q[blank] == ' ' || q[blank] == '\t' || q[blank] == '\n' || q[blank] == '\r'))
        blank++;
    if (blank == len)
        return KITE_OK;
    out->terms = arena_alloc(a, INVESTIGATION_TERMS_MAX * sizeof *out->terms);
    out->words = arena_alloc(a, INVESTIGATION_TERMS_MAX * INVESTIGATION_PHRASE_WORDS_MAX * sizeof *out->words);
    /* Segments between double quotes alternate: words, a phrase, words ... (an open quote runs to the end). */
    bool phrase = false;
    for (size_t at = 0; at <= len;) {
        const char *quote = memchr(q + at, '"', len - at);
        size_t stop = quote != NULL ? (size_t)(quote - q) : len;
        kite_err err = add_words(a, q + at, stop - at, phrase, out, fault);
        if (err != KITE_OK)
            return err;
        phrase = !phrase;
        at = stop + 1;
    }
    if (out->count == 0)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "q", FAULT_NO_WORDS);
    return KITE_OK;
}

const char *search_terms_fts5(arena *a, const search_terms *t)
{
    buf out;
    buf_init(&out, a);
    for (size_t i = 0; i < t->count; i++)
        buf_printf(&out, "%s\"%s\"", i ? " " : "", t->terms[i]);
    return out.data;
}

const char *search_terms_websearch(arena *a, const search_terms *t, size_t i)
{
    return arena_sprintf(a, "\"%s\"", t->terms[i]);
}

/* ---- snippets ------------------------------------------------------------- */

struct word_stems {
    char en[STEM_WORD_MAX_BYTES + 1], es[STEM_WORD_MAX_BYTES + 1];
};

void search_marker_init(arena *a, const search_terms *t, stemmers *stem, search_marker *out)
{
    out->stem = stem;
    out->query = arena_alloc(a, (t->word_count ? t->word_count : 1) * sizeof *out->query);
    out->count = 0;
    for (size_t i = 0; i < t->word_count; i++) {
        struct word_stems *w = &out->query[out->count];
        out->count += stem_both(stem, t->words[i], strlen(t->words[i]), w->en, w->es);
    }
}

/* Either stem of the word is either stem of a search word: what the index matched. */
static bool matches(const struct word_stems *w, const search_marker *m)
{
    for (size_t i = 0; i < m->count; i++) {
        const struct word_stems *q = &m->query[i];
        if (strcmp(w->en, q->en) == 0 || strcmp(w->en, q->es) == 0 || strcmp(w->es, q->en) == 0 ||
            strcmp(w->es, q->es) == 0)
            return true;
    }
    return false;
}

typedef struct body_word {
    size_t start, end;
    bool hit;
} body_word;

void search_snippet(arena *a, const search_marker *m, const char *body, investigation_hit *hit)
{
    size_t len = strlen(body), pos = 0, start, end, n = 0, first = SIZE_MAX, qn = m->count;
    /* The body's words: where each is, and whether it matched. */
    size_t cap = 64;
    body_word *words = arena_alloc(a, cap * sizeof *words);
    while (stem_next_word(body, len, &pos, &start, &end)) {
        words = arena_grow(a, words, n, &cap, sizeof *words);
        struct word_stems w;
        bool hit_word = qn > 0 && stem_both(m->stem, body + start, end - start, w.en, w.es) && matches(&w, m);
        words[n] = (body_word){start, end, hit_word};
        if (hit_word && first == SIZE_MAX)
            first = n;
        n++;
        /* Past the window of the first match: nothing more is shown. */
        if (first != SIZE_MAX && n >= first + SNIPPET_WORDS)
            break;
        if (qn == 0 && n >= SNIPPET_WORDS)
            break;
    }
    size_t from = first == SIZE_MAX || first < SNIPPET_WORDS_BEFORE ? 0 : first - SNIPPET_WORDS_BEFORE;
    size_t to = n < from + SNIPPET_WORDS ? n : from + SNIPPET_WORDS;
    hit->marks = arena_alloc(a, (to > from ? to - from : 1) * sizeof *hit->marks);
    hit->mark_count = 0;
    if (to == from) {
        hit->snippet = "";
        return;
    }
    size_t base = words[from].start;
    hit->snippet = arena_strndup(a, body + base, words[to - 1].end - base);
    for (size_t i = from; i < to; i++)
        if (words[i].hit)
            hit->marks[hit->mark_count++] = (investigation_mark){utf8_length_n(body + base, words[i].start - base),
                                                                utf8_length_n(body + base, words[i].end - base)};
}
