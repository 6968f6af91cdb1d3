/*
 * lang.c - fuzzes lang_from_accept_language (core/lang.c), the Accept-Language
 * scanner every request runs before routing.
 *
 * Contract checked beyond "no crash": the answer is English or Spanish; it
 * does not depend on letter case (RFC 9110: language ranges are
 * case-insensitive), so the header upper-cased gives the same answer; a
 * header longer than LANG_HEADER_MAX is ignored as a whole; and a false
 * answer leaves *out untouched.
 */
#include "core/lang.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = malloc(size + 1);
    memcpy(header, data, size);
    header[size] = '\0';
    fault_lang a = FAULT_LANG_COUNT;
    bool ok = lang_from_accept_language(header, &a);
    if (!ok && a != FAULT_LANG_COUNT)
        abort(); /* false must leave *out unchanged */
    if (ok && (unsigned)a >= FAULT_LANG_COUNT)
        abort();
    if (ok && strlen(header) > LANG_HEADER_MAX)
        abort(); /* an over-long header is ignored */
    for (char *p = header; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    fault_lang b = FAULT_LANG_COUNT;
    bool ok_upper = lang_from_accept_language(header, &b);
    if (ok_upper != ok || (ok && a != b))
        abort(); /* case must not matter */
    /* The two tags Kite stores round-trip through lang_parse/lang_tag. */
    fault_lang c;
    if (ok && (!lang_parse(lang_tag(a), &c) || c != a))
        abort();
    free(header);
    return 0;
}
