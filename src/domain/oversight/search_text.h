/*
 * search_text.h - an investigator's search words: parsed once, written as
 * each store's query, and marked in the snippet of each message found.
 */
#ifndef KITE_DOMAIN_OVERSIGHT_SEARCH_TEXT_H
#define KITE_DOMAIN_OVERSIGHT_SEARCH_TEXT_H

#include <stddef.h>

#include "core/arena.h"
#include "core/stem.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/oversight/investigation.h"

/*
 * The terms of q: each a word or a quoted phrase, as a string of words
 * separated by single spaces, holding nothing but word characters
 * (core/stem.h) - no quote, no operator of either store's syntax.
 */
typedef struct search_terms {
    const char **terms;
    size_t count;
    const char **words; /* every word of every term, folded, for the snippets */
    size_t word_count;
} search_terms;

/*
 * Parses q (may be NULL or blank: count 0).  KITE_ERR_INVALID_FIELD naming
 * "q": FAULT_LENGTH (over INVESTIGATION_QUERY_MAX_BYTES or not UTF-8),
 * FAULT_SEARCH_TERMS (over INVESTIGATION_TERMS_MAX), FAULT_NO_WORDS (text
 * with no word in it).
 */
kite_err search_terms_parse(arena *a, const char *q, search_terms *out, kite_fault *fault) KITE_WUR;

/* SQLite: the FTS5 MATCH string, every term in double quotes ("w1" "w2 w3"): all must match. */
const char *search_terms_fts5(arena *a, const search_terms *t);
/* PostgreSQL: term i for websearch_to_tsquery, in double quotes (a phrase, never an operator). */
const char *search_terms_websearch(arena *a, const search_terms *t, size_t i);

/* What marks a snippet: the English and Spanish stems of every search word, worked out once per search. */
typedef struct search_marker {
    stemmers *stem; /* the caller's, for the body's words */
    struct word_stems *query;
    size_t count;
} search_marker;
void search_marker_init(arena *a, const search_terms *t, stemmers *stem, search_marker *out);

/* A snippet of body around the first matched word, with the matched words marked (investigation.h). */
void search_snippet(arena *a, const search_marker *m, const char *body, investigation_hit *hit);

#endif
