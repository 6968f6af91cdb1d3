/*
 * lang.c - language tags and the Accept-Language scanner.
 *
 * Design: the header is scanned once, left to right, with no allocation:
 * each element is a language range, then optional parameters, of which only
 * "q" is understood (others are allowed by no RFC for Accept-Language, so
 * they make the header malformed).  Weights are read as thousandths, in
 * integers, exactly as RFC 9110 writes them (0, 0.5, 1.000 ...).
 *
 * SECURITY: see lang.h.  The scan is bounded by LANG_HEADER_MAX and never
 * reads past the NUL; a malformed header is ignored as a whole rather than
 * half-used, so what a client gets never depends on where parsing stopped.
 */
#include "core/lang.h"

#include <stddef.h>
#include <string.h>

static const char *const lang_tags[FAULT_LANG_COUNT] = {[FAULT_LANG_EN] = "en", [FAULT_LANG_ES] = "es"};

const char *lang_tag(fault_lang lang)
{
    return (unsigned)lang < FAULT_LANG_COUNT ? lang_tags[lang] : lang_tags[FAULT_LANG_EN];
}

bool lang_parse(const char *tag, fault_lang *out)
{
    for (unsigned i = 0; tag != NULL && i < FAULT_LANG_COUNT; i++) {
        if (strcmp(tag, lang_tags[i]) == 0) {
            *out = (fault_lang)i;
            return true;
        }
    }
    return false;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* A language range: "*" or 1*8ALPHA *("-" 1*8alphanum).  NULL when there is none at p. */
static const char *scan_range(const char *p)
{
    if (*p == '*')
        return p + 1;
    size_t n = 0;
    while (is_alpha(p[n]))
        n++;
    if (n < 1 || n > 8)
        return NULL;
    p += n;
    while (*p == '-') {
        p++;
        n = 0;
        while (is_alpha(p[n]) || is_digit(p[n]))
            n++;
        if (n < 1 || n > 8)
            return NULL;
        p += n;
    }
    return p;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as thousandths.  NULL when malformed. */
static const char *scan_qvalue(const char *p, int *q)
{
    if (*p != '0' && *p != '1')
        return NULL;
    int whole = *p++ - '0';
    int frac = 0, digits = 0;
    if (*p == '.') {
        p++;
        while (is_digit(*p) && digits < 3) {
            frac = frac * 10 + (*p++ - '0');
            digits++;
        }
        if (is_digit(*p))
            return NULL; /* a fourth decimal */
    }
    for (; digits < 3; digits++)
        frac *= 10;
    if (whole == 1 && frac != 0)
        return NULL;
    *q = whole * 1000 + frac;
    return p;
}

/* Which of Kite's languages the range names: its primary subtag, whatever the region or script. */
static bool range_lang(const char *range, size_t len, fault_lang *out)
{
    if (len < 2 || (len > 2 && range[2] != '-'))
        return false;
    char primary[3] = {(char)(range[0] | 0x20), (char)(range[1] | 0x20), '\0'};
    return lang_parse(primary, out);
}

bool lang_from_accept_language(const char *header, fault_lang *out)
{
    if (header == NULL || strnlen(header, LANG_HEADER_MAX + 1) > LANG_HEADER_MAX)
        return false;
    int best_q = 0;
    fault_lang best = FAULT_LANG_EN;
    const char *p = skip_ows(header);
    while (*p != '\0') {
        if (*p == ',') { /* empty elements are allowed in a list (RFC 9110 5.6.1) */
            p = skip_ows(p + 1);
            continue;
        }
        const char *range = p;
        p = scan_range(p);
        if (p == NULL)
            return false;
        size_t range_len = (size_t)(p - range);
        int q = 1000;
        p = skip_ows(p);
        if (*p == ';') {
            p = skip_ows(p + 1);
            if ((p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
                return false;
            p = scan_qvalue(p + 2, &q);
            if (p == NULL)
                return false;
            p = skip_ows(p);
        }
        if (*p != ',' && *p != '\0')
            return false;
        fault_lang lang;
        if (q > best_q && range_lang(range, range_len, &lang)) {
            best_q = q;
            best = lang;
        }
    }
    if (best_q == 0)
        return false;
    *out = best;
    return true;
}
