/*
 * bop_match.c - is a directory facility a Federal Bureau of Prisons institution?
 *
 * Design: every name, whether from the directory ("FCI COLEMAN LOW CAMP",
 * "HERLONG FCI") or from the BOP code table ("COLEMAN LOW FCI"), is read the
 * same way: a kind word (FCI, USP, ...) at the front or at the back before
 * trailing qualifiers, a place ("COLEMAN"), then qualifiers ("LOW CAMP").
 * The BOP files give a list of (place, kind, qualifiers, code); a facility is
 * BOP when its name has a kind word and its place equals, or begins with the
 * words of, a listed place.  The qualifiers only choose the code among the
 * institutions of a complex (USP COLEMAN I is COP, USP COLEMAN II is CLP).
 * Names in the code table that end in CI (private contract prisons), CCM
 * (community corrections offices), DC or ADMIN have no kind word and so
 * never enter the list.
 *
 * SECURITY: names come from directory imports.  Words are read into fixed
 * buffers with hard limits; a name that does not fit is simply not BOP.
 */
#include "domain/directory/bop_match.h"

#include "core/alloc.h"
#include "core/arena.h"
#include "core/csv.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    NAME_MAX_WORDS = 24,
    NAME_WORD_MAX = 32,
    NAME_TEXT_MAX = NAME_MAX_WORDS * NAME_WORD_MAX,
    /* Below this a one-letter slip would confuse real places (MIAMI, MARION). */
    NEAR_MIN_LEN = 8,
};

/* One institution or complex the BOP lists. */
struct bop_place {
    const char *place; /* upper-case words joined by one space: "TERRE HAUTE" */
    const char *kind;  /* "FCI", "USP", "FCC", ...; "" when unknown */
    const char *quals; /* qualifiers that tell a complex's institutions apart: "MEDIUM I" */
    size_t qual_words;
    const char *code; /* three letters, NULL when unknown */
};

struct bop_list {
    arena *mem; /* owns the strings */
    struct bop_place *places;
    size_t count;
    size_t cap;
};

/* The words that name an institution's kind, and the kind each one means. */
static const struct {
    const char *word;
    const char *kind;
} kind_words[] = {
    {"FCI", "FCI"}, {"USP", "USP"}, {"AUSP", "AUSP"}, {"FPC", "FPC"},
    {"FMC", "FMC"}, {"FDC", "FDC"}, {"MDC", "MDC"},   {"MCC", "MCC"},
    {"FTC", "FTC"}, {"MCFP", "MCFP"}, {"USMCFP", "MCFP"}, {"FSL", "FSL"},
};

/*
 * Words that follow the place.  `canonical` is set for those that tell the
 * institutions of a complex apart (security level, number); the others
 * (CAMP, ADMIN, ...) describe a part of the same institution.
 */
static const struct {
    const char *word;
    const char *canonical;
} qualifier_words[] = {
    {"LOW", "LOW"},   {"MEDIUM", "MEDIUM"}, {"MED", "MEDIUM"}, {"HIGH", "HIGH"},
    {"ADMAX", "ADMAX"}, {"I", "I"},         {"II", "II"},      {"III", "III"},
    {"CAMP", NULL},   {"ADMIN", NULL},      {"SFF", NULL},     {"NORTH", NULL},
    {"SOUTH", NULL},  {"DETENTION", NULL},  {"CENTER", NULL},
};

static const char *kind_of(const char *word)
{
    for (size_t i = 0; i < sizeof kind_words / sizeof kind_words[0]; i++)
        if (strcmp(word, kind_words[i].word) == 0)
            return kind_words[i].kind;
    return NULL;
}

/* Index into qualifier_words, or -1. */
static int qualifier_of(const char *word)
{
    for (size_t i = 0; i < sizeof qualifier_words / sizeof qualifier_words[0]; i++)
        if (strcmp(word, qualifier_words[i].word) == 0)
            return (int)i;
    return -1;
}

/* ---- reading names ---------------------------------------------------- */

struct name_words {
    char word[NAME_MAX_WORDS][NAME_WORD_MAX];
    size_t count;
};

static bool is_alnum_ascii(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/*
 * Splits a name into upper-case ASCII words, leaving out what is in
 * parentheses ("FSL LA TUNA (EL PASO)" gives FSL LA TUNA).  False when the
 * name has more or longer words than fit, which no institution name has.
 */
static bool split_words(const char *name, struct name_words *out)
{
    int depth = 0;
    size_t len = 0;
    out->count = 0;
    for (const char *p = name;; p++) {
        if (is_alnum_ascii(*p) && depth == 0) {
            if (out->count == NAME_MAX_WORDS || len + 1 == NAME_WORD_MAX)
                return false;
            out->word[out->count][len++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
            continue;
        }
        if (len > 0) {
            out->word[out->count++][len] = '\0';
            len = 0;
        }
        if (*p == '(')
            depth++;
        else if (*p == ')' && depth > 0)
            depth--;
        else if (*p == '\0')
            return true;
    }
}

/* A name read as kind + place + qualifiers. */
struct institution_name {
    const char *kind;
    char place[NAME_TEXT_MAX];
    char quals[NAME_TEXT_MAX]; /* canonical distinguishing qualifiers, space-separated */
    size_t qual_words;
};

static void append_word(char *text, const char *word)
{
    size_t used = strlen(text);
    if (used > 0)
        text[used++] = ' ';
    strcpy(text + used, word); /* NAME_TEXT_MAX holds every word of a name_words */
}

/* Number of trailing words in w[from..to) that are qualifiers. */
static size_t trailing_qualifiers(const struct name_words *w, size_t from, size_t to)
{
    size_t n = 0;
    while (to - n > from && qualifier_of(w->word[to - n - 1]) >= 0)
        n++;
    return n;
}

/*
 * Reads "KIND PLACE... QUALIFIERS..." or "PLACE... KIND QUALIFIERS...".
 * False when the name has no kind word in either position or no place.
 */
static bool parse_institution(const char *name, struct institution_name *out)
{
    struct name_words w;
    if (!split_words(name, &w) || w.count < 2)
        return false;
    size_t place_from, place_to, quals_from;
    if ((out->kind = kind_of(w.word[0])) != NULL) {
        place_from = 1;
        quals_from = w.count - trailing_qualifiers(&w, 1, w.count);
        place_to = quals_from;
    } else {
        size_t kind_at = w.count - trailing_qualifiers(&w, 0, w.count);
        if (kind_at == 0 || (out->kind = kind_of(w.word[kind_at - 1])) == NULL)
            return false;
        place_from = 0;
        place_to = kind_at - 1 - trailing_qualifiers(&w, 0, kind_at - 1);
        quals_from = place_to; /* "COLEMAN LOW FCI": qualifiers may stand before the kind too */
    }
    if (place_to <= place_from)
        return false;
    out->place[0] = '\0';
    out->quals[0] = '\0';
    out->qual_words = 0;
    for (size_t i = place_from; i < place_to; i++)
        append_word(out->place, w.word[i]);
    for (size_t i = quals_from; i < w.count; i++) {
        int q = qualifier_of(w.word[i]);
        if (q >= 0 && qualifier_words[q].canonical != NULL) {
            append_word(out->quals, qualifier_words[q].canonical);
            out->qual_words++;
        }
    }
    return true;
}

/* ---- matching places -------------------------------------------------- */

enum place_fit { FIT_NONE, FIT_NEAR, FIT_PREFIX, FIT_EXACT };

/* True when a and b differ by exactly one insertion, deletion, substitution or swap of neighbours. */
static bool one_edit_apart(const char *a, const char *b)
{
    size_t i = 0;
    while (a[i] != '\0' && a[i] == b[i])
        i++;
    if (a[i] == '\0')
        return strlen(b + i) == 1;
    if (b[i] == '\0')
        return strlen(a + i) == 1;
    return strcmp(a + i + 1, b + i + 1) == 0 || strcmp(a + i + 1, b + i) == 0 ||
           strcmp(a + i, b + i + 1) == 0 ||
           (a[i] == b[i + 1] && a[i + 1] == b[i] && a[i + 1] != '\0' && strcmp(a + i + 2, b + i + 2) == 0);
}

/*
 * How a facility's place fits a listed place: the same words, the listed
 * words followed by more, or (for long places only) one letter off, which
 * catches the code table's abbreviations such as "SEYMOUR JOHNSN".
 */
static enum place_fit place_fit(const char *facility, const char *listed)
{
    size_t n = strlen(listed);
    if (strcmp(facility, listed) == 0)
        return FIT_EXACT;
    if (strncmp(facility, listed, n) == 0 && facility[n] == ' ')
        return FIT_PREFIX;
    if (n >= NEAR_MIN_LEN && one_edit_apart(facility, listed))
        return FIT_NEAR;
    return FIT_NONE;
}

/*
 * Larger is better: how well the place fits, then the same kind, then the
 * same distinguishing qualifiers, then a known code.
 */
static unsigned fit_score(const struct institution_name *name, const struct bop_place *p)
{
    enum place_fit fit = place_fit(name->place, p->place);
    if (fit == FIT_NONE)
        return 0;
    return (unsigned)fit << 4 | (strcmp(name->kind, p->kind) == 0 ? 8u : 0u) |
           (strcmp(name->quals, p->quals) == 0 ? 4u : 0u) | (p->code != NULL ? 2u : 0u);
}

bool bop_list_match(const bop_list *list, const char *facility_name, const char **code_out)
{
    if (code_out != NULL)
        *code_out = NULL;
    struct institution_name name;
    if (list == NULL || facility_name == NULL || !parse_institution(facility_name, &name))
        return false;
    const struct bop_place *best = NULL;
    unsigned best_score = 0;
    for (size_t i = 0; i < list->count; i++) {
        const struct bop_place *p = &list->places[i];
        unsigned score = fit_score(&name, p);
        /* On a tie the plainer institution wins: FCI FORREST CITY LOW is FOR, not FOM (MEDIUM). */
        if (score > best_score || (score == best_score && score > 0 && p->qual_words < best->qual_words)) {
            best = p;
            best_score = score;
        }
    }
    if (best == NULL)
        return false;
    if (code_out != NULL)
        *code_out = best->code;
    return true;
}

/* ---- loading ---------------------------------------------------------- */

static void list_add(bop_list *list, const char *place, const char *kind, const char *quals,
                     size_t qual_words, const char *code)
{
    if (list->count == list->cap) {
        list->cap = list->cap == 0 ? 256 : list->cap * 2;
        list->places = xrealloc(list->places, list->cap * sizeof *list->places);
    }
    list->places[list->count++] = (struct bop_place){
        .place = arena_strdup(list->mem, place),
        .kind = arena_strdup(list->mem, kind),
        .quals = arena_strdup(list->mem, quals),
        .qual_words = qual_words,
        .code = code[0] == '\0' ? NULL : arena_strdup(list->mem, code),
    };
}

/* Column positions, found on the header line; -1 when the file has none. */
struct load_ctx {
    bop_list *list;
    int code;
    int name;
    int location_type; /* bop_facilities.csv only */
    int type;          /* bop_facilities.csv only */
};

static bool row_has(const struct load_ctx *c, size_t nfields)
{
    int need = c->code > c->name ? c->code : c->name;
    if (c->location_type > need)
        need = c->location_type;
    if (c->type > need)
        need = c->type;
    return (size_t)need < nfields;
}

/* bop_facilities.csv: institutions and complexes by place, e.g. "Coleman", FCC, COX. */
static kite_err on_facility_row(void *ctx, size_t line, const char *const *f, size_t nfields)
{
    struct load_ctx *c = ctx;
    if (line == 1) {
        c->code = csv_column(f, nfields, "code");
        c->name = csv_column(f, nfields, "name");
        c->location_type = csv_column(f, nfields, "location_type");
        c->type = csv_column(f, nfields, "type");
        return c->code < 0 || c->name < 0 || c->location_type < 0 || c->type < 0 ? KITE_ERR_INVALID_FIELD
                                                                                 : KITE_OK;
    }
    if (!row_has(c, nfields))
        return KITE_ERR_INVALID_FIELD;
    if (strcasecmp(f[c->location_type], "inst") != 0)
        return KITE_OK; /* field offices and headquarters hold no one */
    struct name_words w;
    char place[NAME_TEXT_MAX] = "";
    char kind[NAME_WORD_MAX] = "";
    if (!split_words(f[c->name], &w) || w.count == 0)
        return KITE_OK;
    for (size_t i = 0; i < w.count; i++)
        append_word(place, w.word[i]);
    if (split_words(f[c->type], &w) && w.count == 1) {
        const char *known = kind_of(w.word[0]);
        strcpy(kind, known != NULL ? known : w.word[0]); /* FCC, a complex, is no kind word */
    }
    list_add(c->list, place, kind, "", 0, f[c->code]);
    return KITE_OK;
}

/* bop_facility_codes.csv: one row per institution, e.g. "COLEMAN LOW FCI", COL. */
static kite_err on_code_row(void *ctx, size_t line, const char *const *f, size_t nfields)
{
    struct load_ctx *c = ctx;
    if (line == 1) {
        c->code = csv_column(f, nfields, "code");
        c->name = csv_column(f, nfields, "name");
        return c->code < 0 || c->name < 0 ? KITE_ERR_INVALID_FIELD : KITE_OK;
    }
    if (!row_has(c, nfields))
        return KITE_ERR_INVALID_FIELD;
    struct institution_name name;
    if (parse_institution(f[c->name], &name)) /* CI, CCM, DC and ADMIN rows have no kind */
        list_add(c->list, name.place, name.kind, name.quals, name.qual_words, f[c->code]);
    return KITE_OK;
}

kite_err bop_list_load(const char *facilities_csv, const char *codes_csv, bop_list **out)
{
    assert(out != NULL);
    bop_list *list = xcalloc(1, sizeof *list);
    list->mem = arena_new();
    kite_err err = KITE_OK;
    if (facilities_csv != NULL) {
        struct load_ctx c = {list, -1, -1, -1, -1};
        err = csv_read_file(facilities_csv, on_facility_row, &c);
    }
    if (err == KITE_OK && codes_csv != NULL) {
        struct load_ctx c = {list, -1, -1, -1, -1};
        err = csv_read_file(codes_csv, on_code_row, &c);
    }
    if (err != KITE_OK)
        list = bop_list_free(list);
    *out = list;
    return err;
}

bop_list *bop_list_free(bop_list *list)
{
    if (list == NULL)
        return NULL;
    arena_free(list->mem);
    free(list->places);
    free(list);
    return NULL;
}
