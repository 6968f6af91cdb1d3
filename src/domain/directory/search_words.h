/*
 * search_words.h - the words of directory search (internal to
 * domain/directory): folding, queries, word kinds and word distances, used
 * by directory_index.c.
 */
#ifndef KITE_DOMAIN_DIRECTORY_SEARCH_WORDS_H
#define KITE_DOMAIN_DIRECTORY_SEARCH_WORDS_H

#include <stdbool.h>
#include <stddef.h>

enum {
    QUERY_MAX_WORDS = 16, /* words after these are ignored */
    WORD_MAX = 64,        /* query words this long or longer match nothing */
    PLURAL_MIN_LEN = 3,   /* "la" and "las" stay a prefix and a word */
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

struct query_words {
    char text[QUERY_MAX_WORDS][WORD_MAX];
    size_t len[QUERY_MAX_WORDS];
    bool optional[QUERY_MAX_WORDS]; /* a kind word or a small word, in a query that has another word */
    bool kind[QUERY_MAX_WORDS];
    bool place[QUERY_MAX_WORDS]; /* after "in", "near" or "at": a city here is as good as in a name */
    unsigned char asks[QUERY_MAX_WORDS]; /* a kind word's place_class, PLACE_ANY for other words */
    size_t count;
    bool too_long; /* some word cannot match any dictionary word */
};

/*
 * Folds the next word at *cursor into out (cap bytes, always NUL-terminated,
 * cut short when it does not fit) and returns its whole folded length, 0 when
 * no word is left.  With join_apostrophes an apostrophe between two letters is
 * dropped ("SHERIFF'S" gives "sheriffs"); without, it ends the word.
 */
size_t search_word_next(const char **cursor, bool join_apostrophes, char *out, size_t cap);

/* Reads a query's words and marks which are optional, kinds of place, or places. */
void search_words_parse(const char *text, struct query_words *q);

/* w (len bytes, folded), or w less a plural ending, says what kind of place ("jail", "units"). */
bool search_word_is_kind(const char *w, size_t len);

/* Which kind of place: a query's "prison" and a state or federal facility are PLACE_PRISON; "jail", county, city: PLACE_JAIL. */
typedef enum place_class { PLACE_ANY, PLACE_PRISON, PLACE_JAIL } place_class;
place_class search_word_place_class(const char *word);
place_class search_type_place_class(const char *type);

/* Whether t (tlen bytes) begins with s (slen bytes). */
bool search_word_starts_with(const char *t, size_t tlen, const char *s, size_t slen);

/*
 * How w matches t within one edit: LEVEL_EXACT, LEVEL_PREFIX, LEVEL_TYPO
 * (one edit from t), LEVEL_TYPO_IN_PREFIX (one edit from a prefix of t) or
 * LEVEL_NONE.
 */
enum match_level search_word_one_typo(const char *w, size_t wlen, const char *t, size_t tlen);

/* Whether w is within two edits of t (optimal string alignment distance). */
bool search_word_two_edits(const char *w, size_t wlen, const char *t, size_t tlen);

#endif
