/*
 * lang.h - the languages Kite speaks to people: English and Spanish.
 *
 * Design: one small enum that every layer shares.  The fault table
 * (fault.c) and the error table (error.c) hold a sentence per language in a
 * column each, mail (mail/notice.h) holds its words the same way, and an
 * account stores its language as a tag ("en", "es").  The choice for one
 * request travels in that request (http/server.h: http_lang), never in a
 * global: Accept-Language first when it names a language Kite speaks, then
 * the signed-in account's, then English.
 *
 * The enum is called fault_lang because the fault table's columns were its
 * first use; FAULT_LANG_EN is 0, so zeroed structures speak English.
 *
 * SECURITY: lang_from_accept_language() reads a header from the network.  It
 * is a strict, bounded, allocation-free scanner: anything it does not fully
 * understand (too long, a stray character, a q-value out of range) is
 * ignored as a whole, so the request falls back and never fails.
 */
#ifndef KITE_CORE_LANG_H
#define KITE_CORE_LANG_H

#include <stdbool.h>

typedef enum fault_lang { FAULT_LANG_EN = 0, FAULT_LANG_ES, FAULT_LANG_COUNT } fault_lang;

enum { LANG_HEADER_MAX = 512 }; /* bytes of Accept-Language we read; a longer header is ignored */

/* "en" or "es"; "en" for a value outside the enum.  Static. */
const char *lang_tag(fault_lang lang);

/* Exactly "en" or "es" (the stored and the API's form); false otherwise, *out unchanged. */
bool lang_parse(const char *tag, fault_lang *out);

/*
 * Reads an Accept-Language header (RFC 9110 12.5.4): the language range of
 * highest q-value that is English or Spanish ("es", "es-MX", "es-419", "en-US"
 * ..., any case); the first of equal weights wins, q=0 refuses.  False, *out
 * unchanged, when header is NULL, malformed, or names neither language
 * (including "*" alone): the caller then falls back.
 */
bool lang_from_accept_language(const char *header, fault_lang *out);

#endif
