/*
 * fault_table.h - the rows of the sentence table, for fault.c alone.
 *
 * Design: the words live apart from the code that fills them in
 * (fault_table.c), so translators work on a file of data and fault.c stays
 * small.  Not a public interface: the rest of Kite goes through fault.h.
 */
#ifndef KITE_CORE_FAULT_TABLE_H
#define KITE_CORE_FAULT_TABLE_H

#include <stddef.h>

#include "core/fault.h"

typedef struct fault_row {
    kite_err code;
    const char *field;
    fault_detail detail;
    const char *text[FAULT_LANG_COUNT];
} fault_row;

extern const fault_row fault_rows[];
extern const size_t fault_row_count;

/* The words placeholders add, one column per language like the sentences. */
typedef struct fault_word_set {
    const char *seconds;   /* after the number, for {wait} under a minute */
    const char *minutes;   /* after the number of minutes (rounded up) otherwise */
    const char *about;     /* before the number of minutes */
    const char *separator; /* between {choices} */
    const char *stamp[2];  /* after a count of stamps: one, several ({limit_stamps} ...) */
    const char *credit[2]; /* after a count of credits */
} fault_word_set;

extern const fault_word_set fault_words[FAULT_LANG_COUNT];

#endif
