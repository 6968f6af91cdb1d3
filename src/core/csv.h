/*
 * csv.h - reading RFC 4180 CSV files (libcsv underneath).
 *
 * SECURITY: the files come from outside (directory releases, facility roster
 * exports).  Field and row sizes are capped; a malformed file is an error,
 * never a crash.
 */
#ifndef KITE_CORE_CSV_H
#define KITE_CORE_CSV_H

#include <stddef.h>

#include "core/error.h"

enum { CSV_MAX_FIELDS = 64, CSV_MAX_FIELD_BYTES = 4096 };

/*
 * Called once per row, the header row included (line 1).  fields[i] are
 * NUL-terminated and valid only during the call.  Return KITE_OK to go on;
 * any other value stops reading and is returned by csv_read_file.
 */
typedef kite_err (*csv_row_fn)(void *ctx, size_t line, const char *const *fields, size_t nfields);

kite_err csv_read_file(const char *path, csv_row_fn on_row, void *ctx) KITE_WUR;
/* The same over a buffer in memory. */
kite_err csv_read_buffer(const char *data, size_t len, csv_row_fn on_row, void *ctx) KITE_WUR;

/* Index of a column in a header row, or -1. */
int csv_column(const char *const *header, size_t nfields, const char *name);

#endif
