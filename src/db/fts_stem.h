/*
 * fts_stem.h - the FTS5 tokenizer that stems in English and Spanish (fts_stem.c).
 */
#ifndef KITE_DB_FTS_STEM_H
#define KITE_DB_FTS_STEM_H

#include <sqlite3.h>

#define FTS_STEM_TOKENIZER "kite_stem"

/* Registers FTS_STEM_TOKENIZER on this connection; SQLITE_OK or SQLite's error. */
int fts_stem_register(sqlite3 *handle);

#endif
