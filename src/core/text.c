#include "core/text.h"

#include <string.h>

bool utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t extra;
        unsigned int cp;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += extra + 1;
    }
    return true;
}

size_t utf8_length(const char *s)
{
    return utf8_length_n(s, strlen(s));
}

size_t utf8_length_n(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

char *text_lower(arena *a, const char *s)
{
    char *out = arena_strdup(a, s);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char *text_trim(arena *a, const char *s)
{
    while (is_space(*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && is_space(s[len - 1]))
        len--;
    return arena_strndup(a, s, len);
}

void text_hex(const unsigned char *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0x0F];
    }
    out[2 * len] = '\0';
}

bool text_equal_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    size_t n = la < lb ? la : lb;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

size_t text_index_of(const char *const *names, size_t count, const char *name)
{
    for (size_t i = 0; name != NULL && i < count; i++)
        if (names[i] != NULL && strcmp(names[i], name) == 0)
            return i;
    return count;
}

/* ---- folding Latin letters (text_fold_latin) ---- */

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
 * letters and are handled in text_fold_latin.
 */
static const char latin_ext_a_base[] =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooo"
    "oorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

_Static_assert(sizeof latin_ext_a_base - 1 == 128, "one letter per code point U+0100..U+017F");

bool text_fold_latin(unsigned int cp, char out[3])
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
