/*
 * directory_index.h - in-memory search over the facility directory.
 *
 * The directory is small (about 6,700 facilities) and read far more often
 * than it changes, so search runs over an immutable in-memory index built from
 * the store; a changed directory builds a new index.  The index knows nothing
 * of the store: it is built from plain entries and answers with facility ids,
 * best first.
 *
 * Matching: the query is split into words (case-insensitive, letters and
 * digits; accents folded for the Latin letters of U+00C0..U+017F, so "DOÑA"
 * and "dona" are the same word; an apostrophe inside a word is dropped, and
 * the index also holds the parts, so "sheriffs", "sheriff's" and "sheriff"
 * all find SHERIFF'S).  Every query word must match a word of the facility's
 * name, aliases or city, in any order: exactly (a plural in "s" or "es" on
 * either side counts as the same word: "jail" finds JAILS), or as a prefix.
 * Only the first 16 words count; a word of 64 bytes or more matches nothing.
 *
 * Typos are not matches: a query that matches nothing may get a suggestion
 * (directory_index_suggest), each of its words of 4 letters or more allowed
 * one edit (insertion, deletion, substitution or transposition,
 * Damerau-Levenshtein distance 1) against a word or a prefix of one
 * ("colman" and "colemn" suggest COLEMAN), for the caller to offer as "Did
 * you mean ...".
 *
 * Ranking: each query word is worth the rarity of the word it matched
 * (inverse document frequency: "cook" far more than "county" or "jail"),
 * less for a prefix than an exact word and less in the city than in the
 * name or an alias; then how much of the name the query covers (all of it:
 * the exact name), then the facility's size (people held, a logarithm) and
 * open before closed; ties in name order (accents folded).  So "cook
 * county jail" puts Chicago's 8,000-person COOK COUNTY JAILS before the
 * COOK COUNTY JAIL of small towns.  A query without words lists every entry
 * that passes the filters in name order.
 *
 * Filters: state, type and status match exactly, ignoring case; zip matches
 * exactly or as a prefix ("335").  NULL or "" means no filter.
 *
 * Ownership: directory_index_build copies what it needs; the caller keeps its
 * entries.  A built index is read-only and safe to search from many threads.
 */
#ifndef KITE_DOMAIN_DIRECTORY_DIRECTORY_INDEX_H
#define KITE_DOMAIN_DIRECTORY_DIRECTORY_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct directory_index directory_index;

typedef struct directory_entry {
    int64_t id;
    const char *name;   /* never NULL */
    const char *city;   /* NULL or "" when unknown, likewise below */
    const char *state;  /* two-letter code */
    const char *zip;    /* five digits */
    const char *type;   /* county, state, local, federal, multi */
    const char *status; /* open, closed */
    const char *aliases; /* NULL or words it is also known by ("RIKERS ISLAND", "FEDERAL CORRECTIONAL INSTITUTION") */
    int64_t people;      /* how many people it holds (population, else capacity); -1 when unknown */
} directory_entry;

typedef struct directory_query {
    const char *text;   /* words of name and city; NULL or "" matches all */
    const char *state;  /* exact, case-insensitive; NULL = any */
    const char *type;
    const char *zip;    /* exact five digits, or a prefix of them */
    const char *status;
} directory_query;

directory_index *directory_index_build(const directory_entry *entries, size_t count);
/* Accepts NULL; returns NULL. */
directory_index *directory_index_free(directory_index *index);

size_t directory_index_size(const directory_index *index);

/*
 * Writes at most `limit` facility ids, skipping the first `offset` results,
 * into ids[] (which holds `limit` ids), best first.  Returns how many were
 * written; *total receives the number of all matches.  A NULL query lists
 * everything; total may be NULL; ids may be NULL when limit is 0.  Allocates
 * one scratch block per call (freed before returning), nothing else.
 */
size_t directory_index_search(const directory_index *index, const directory_query *query,
                              size_t offset, size_t limit, int64_t *ids, size_t *total);

/*
 * For a query that finds nothing: the query with each word that has no match
 * replaced by the word it is one typo from, in the facility the typos reach
 * best (folded: lower case, no accents), into out (cap bytes).  Returns
 * false, out "", when no entry that passes the filters is within one typo
 * per word.
 */
bool directory_index_suggest(const directory_index *index, const directory_query *query, char *out, size_t cap);

#endif
