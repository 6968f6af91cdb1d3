/*
 * fts_stem.c - the SQLite FTS5 tokenizer "kite_stem": unicode61 with
 * diacritics removed, then each token as its English and its Spanish
 * Snowball stem at the same position (FTS5_TOKEN_COLOCATED).
 *
 * Design: the investigators' search (migration 22, message_search) finds
 * "visit" for "visiting" and "abogado" for "abogados" in a store that holds
 * both languages, without knowing which language a message is in: the index
 * holds both stems of every word, and a query word is tokenized the same way,
 * so its two stems are alternatives (FTS5 reads colocated query tokens as
 * synonyms).  A stem shared by both languages is written once.  Positions
 * are those of unicode61, so phrase queries ("money order") still need the
 * words next to each other and in that order.
 *
 * Every connection of a SQLite store registers the tokenizer when it opens
 * (sqlite.c), before the migrations run.  Only Kite's search reads or
 * writes message_search, so a tool that opens the file without it (the
 * sqlite3 shell) can still read and write every ordinary table, messages
 * included (migrations.c, step 22).
 *
 * SECURITY: tokenizes message texts and search words, both untrusted.  The
 * inner tokenizer hands us tokens that are slices of the text; we fold and
 * stem into fixed buffers on the stack (core/stem.h bounds them) and never
 * keep a pointer past the callback.
 */
#include "db/fts_stem.h"

#include "core/alloc.h"
#include "core/stem.h"

#include <stdlib.h>
#include <string.h>

/* One per FTS5 table per connection, so its stemmers serve one thread at a time. */
typedef struct stem_tokenizer {
    fts5_tokenizer inner;
    Fts5Tokenizer *inner_instance;
    stemmers *stem;
} stem_tokenizer;

typedef struct stem_call {
    stemmers *stem;
    void *ctx;
    int (*emit)(void *ctx, int flags, const char *token, int len, int start, int end);
} stem_call;

static fts5_api *fts5_api_of(sqlite3 *handle)
{
    fts5_api *api = NULL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(handle, "SELECT fts5(?1)", -1, &s, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
    (void)sqlite3_step(s);
    sqlite3_finalize(s);
    return api;
}

static void stem_delete(Fts5Tokenizer *p)
{
    stem_tokenizer *t = (stem_tokenizer *)p;
    if (t == NULL)
        return;
    if (t->inner_instance != NULL)
        t->inner.xDelete(t->inner_instance);
    stemmers_free(t->stem);
    free(t);
}

static int stem_create(void *api_ptr, const char **args, int nargs, Fts5Tokenizer **out)
{
    (void)args;
    (void)nargs;
    fts5_api *api = api_ptr;
    void *inner_data = NULL;
    stem_tokenizer *t = xcalloc(1, sizeof *t);
    t->stem = stemmers_new();
    int rc = api->xFindTokenizer(api, "unicode61", &inner_data, &t->inner);
    /* Our own arguments are fixed: a table cannot ask for another folding. */
    static const char *inner_args[] = {"remove_diacritics", "2"};
    if (rc == SQLITE_OK)
        rc = t->inner.xCreate(inner_data, inner_args, 2, &t->inner_instance);
    if (rc != SQLITE_OK) {
        stem_delete((Fts5Tokenizer *)t);
        return rc;
    }
    *out = (Fts5Tokenizer *)t;
    return SQLITE_OK;
}

static int stem_token(void *data, int flags, const char *token, int len, int start, int end)
{
    stem_call *call = data;
    char en[STEM_WORD_MAX_BYTES + 1], es[STEM_WORD_MAX_BYTES + 1];
    /* unicode61 already folded it; a word too long to stem is indexed as it is. */
    if (len <= 0 || !stem_both(call->stem, token, (size_t)len, en, es))
        return call->emit(call->ctx, flags, token, len, start, end);
    int rc = call->emit(call->ctx, flags, en, (int)strlen(en), start, end);
    if (rc == SQLITE_OK && strcmp(en, es) != 0)
        rc = call->emit(call->ctx, flags | FTS5_TOKEN_COLOCATED, es, (int)strlen(es), start, end);
    return rc;
}

static int stem_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int len,
                         int (*emit)(void *ctx, int flags, const char *token, int len, int start, int end))
{
    stem_tokenizer *t = (stem_tokenizer *)p;
    stem_call call = {t->stem, ctx, emit};
    return t->inner.xTokenize(t->inner_instance, &call, flags, text, len, stem_token);
}

int fts_stem_register(sqlite3 *handle)
{
    fts5_api *api = fts5_api_of(handle);
    if (api == NULL)
        return SQLITE_ERROR;
    fts5_tokenizer tokenizer = {stem_create, stem_delete, stem_tokenize};
    return api->xCreateTokenizer(api, FTS_STEM_TOKENIZER, api, &tokenizer, NULL);
}
