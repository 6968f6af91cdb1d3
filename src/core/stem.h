/*
 * stem.h - words of free text and their English and Spanish stems.
 *
 * Design: the one place that says what a word is and what it stems to, for
 * the investigators' search (domain/oversight) and the SQLite index that
 * serves it (db/fts_stem.c), so that a word marked in a snippet is a word the
 * index matched.  A word is a run of ASCII letters and digits and of letters
 * outside ASCII (Latin-1 and Latin Extended letters, and any code point of
 * another script); everything else - ASCII punctuation, quotes of any kind,
 * Latin-1 signs such as the inverted question mark - separates words.
 * Folding lowercases ASCII and folds the Latin letters as the directory's
 * search does (core/text.h text_fold_latin: "Cárcel" -> "carcel", "ÑANDÚ"
 * -> "nandu", "Straße" -> "strasse"), after SQLite's unicode61 with
 * remove_diacritics in the index.  Stems come from Snowball (libstemmer): "visiting"
 * -> "visit", "abogados" -> "abog".
 *
 * SECURITY: the text is untrusted.  Every function reads at most len bytes,
 * writes at most its output's capacity, and expects valid UTF-8 (callers
 * check with utf8_valid first; an invalid byte is simply a separator here).
 * libstemmer keeps state in each stemmer, so a stemmers pair belongs to its
 * owner (an index tokenizer, one search) and is used by one thread at a time.
 */
#ifndef KITE_CORE_STEM_H
#define KITE_CORE_STEM_H

#include <stdbool.h>
#include <stddef.h>

/* Longer folded words are not stemmed (nobody searches for one). */
enum { STEM_WORD_MAX_BYTES = 64 };

typedef enum stem_lang { STEM_ENGLISH, STEM_SPANISH, STEM_LANG_COUNT } stem_lang;

/*
 * The next word of s[0..len) at or after *pos: true with [*start, *end),
 * and *pos past it; false when there is none left.
 */
bool stem_next_word(const char *s, size_t len, size_t *pos, size_t *start, size_t *end);

/* The folded word into out (NUL-terminated); false when it does not fit in cap. */
bool stem_fold(const char *word, size_t len, char *out, size_t cap);

/* An English and a Spanish Snowball stemmer, owned by the caller. */
typedef struct stemmers stemmers;
stemmers *stemmers_new(void);
/* Always returns NULL. */
stemmers *stemmers_free(stemmers *st);

/*
 * The stem of a folded word in lang into out[STEM_WORD_MAX_BYTES + 1];
 * a word too long to stem is copied as it is when it fits, else false.
 */
bool stem_word(stemmers *st, stem_lang lang, const char *folded, size_t len, char out[STEM_WORD_MAX_BYTES + 1]);

/* A word as it was written, folded, then as its English and its Spanish stem; false when it is too long. */
bool stem_both(stemmers *st, const char *word, size_t len, char en[STEM_WORD_MAX_BYTES + 1],
               char es[STEM_WORD_MAX_BYTES + 1]);

#endif
