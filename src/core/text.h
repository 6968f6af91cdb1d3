/*
 * text.h - UTF-8 and small string helpers with no domain knowledge.
 */
#ifndef KITE_CORE_TEXT_H
#define KITE_CORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates) with no NUL. */
bool utf8_valid(const char *s, size_t len);
/* Number of code points in a valid UTF-8 string. */
size_t utf8_length(const char *s);
/* The same for its first len bytes (len ends on a code point's boundary). */
size_t utf8_length_n(const char *s, size_t len);

/*
 * The ASCII fold of a Latin letter U+00C0..U+017F into out (NUL-terminated:
 * "é" -> "e", "Æ" -> "ae", "ß" -> "ss", "Ł" -> "l"), or false for any other
 * code point (the two signs among them, multiplication and division).  The
 * one folding of accented letters: the directory's search and the
 * investigators' words use it alike.
 */
bool text_fold_latin(unsigned int cp, char out[3]);

/* ASCII-lowercased copy; other bytes are kept as they are. */
char *text_lower(arena *a, const char *s);
/* Copy without leading and trailing ASCII white space. */
char *text_trim(arena *a, const char *s);
/* Lowercase hex of len bytes into out, which holds 2*len+1 bytes. */
void text_hex(const unsigned char *bytes, size_t len, char *out);
/* Constant-time string comparison for secrets. */
bool text_equal_secret(const char *a, const char *b);
/*
 * Where name sits in names[0..count): the lookup behind every name table that
 * turns a stored or sent string into an enum.  count when name is NULL or absent.
 */
size_t text_index_of(const char *const *names, size_t count, const char *name);

#endif
