/*
 * aliases.c - the other names a facility is searched by (aliases.h).
 *
 * Design: the file's rows are kept sorted by source_id and found by binary
 * search, one facility's rows side by side; the abbreviations are a fixed
 * table checked word by word against the name.  Aliases only add words to
 * what search matches; the facility's name shown everywhere stays the
 * directory's.
 *
 * SECURITY: see aliases.h; nothing read here reaches a statement or a page.
 */
#include "domain/directory/aliases.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/csv.h"
#include "core/log.h"
#include "core/text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct alias_row {
    char *source_id;
    char *alias;
};

struct facility_aliases {
    struct alias_row *rows;
    size_t count, cap;
    int source_column, alias_column;
};

/*
 * The Bureau of Prisons' names for its kinds of institution.  A name holding
 * the abbreviation as a word also gets the words; a name holding the words
 * also gets the abbreviation.
 */
static const struct {
    const char *abbreviation;
    const char *words;
} bop_kinds[] = {
    {"FCI", "federal correctional institution"},
    {"USP", "united states penitentiary"},
    {"AUSP", "administrative united states penitentiary"},
    {"FMC", "federal medical center"},
    {"FDC", "federal detention center"},
    {"MDC", "metropolitan detention center"},
    {"MCC", "metropolitan correctional center"},
    {"FPC", "federal prison camp"},
    {"FCC", "federal correctional complex"},
    {"FTC", "federal transfer center"},
    {"FSL", "federal satellite low"},
    {"ADMAX", "adx administrative maximum supermax"},
};

/* State names by USPS code: search takes "colorado" as a place word, like the city. Sorted by code. */
static const struct {
    const char code[3];
    const char *name;
} state_names[] = {
    {"AK", "ALASKA"}, {"AL", "ALABAMA"}, {"AR", "ARKANSAS"}, {"AZ", "ARIZONA"}, {"CA", "CALIFORNIA"},
    {"CO", "COLORADO"}, {"CT", "CONNECTICUT"}, {"DC", "DISTRICT OF COLUMBIA"}, {"DE", "DELAWARE"},
    {"FL", "FLORIDA"}, {"GA", "GEORGIA"}, {"GU", "GUAM"}, {"HI", "HAWAII"}, {"IA", "IOWA"}, {"ID", "IDAHO"},
    {"IL", "ILLINOIS"}, {"IN", "INDIANA"}, {"KS", "KANSAS"}, {"KY", "KENTUCKY"}, {"LA", "LOUISIANA"},
    {"MA", "MASSACHUSETTS"}, {"MD", "MARYLAND"}, {"ME", "MAINE"}, {"MI", "MICHIGAN"}, {"MN", "MINNESOTA"},
    {"MO", "MISSOURI"}, {"MP", "NORTHERN MARIANA ISLANDS"}, {"MS", "MISSISSIPPI"}, {"MT", "MONTANA"},
    {"NC", "NORTH CAROLINA"}, {"ND", "NORTH DAKOTA"}, {"NE", "NEBRASKA"}, {"NH", "NEW HAMPSHIRE"},
    {"NJ", "NEW JERSEY"}, {"NM", "NEW MEXICO"}, {"NV", "NEVADA"}, {"NY", "NEW YORK"}, {"OH", "OHIO"},
    {"OK", "OKLAHOMA"}, {"OR", "OREGON"}, {"PA", "PENNSYLVANIA"}, {"PR", "PUERTO RICO"}, {"RI", "RHODE ISLAND"},
    {"SC", "SOUTH CAROLINA"}, {"SD", "SOUTH DAKOTA"}, {"TN", "TENNESSEE"}, {"TX", "TEXAS"}, {"UT", "UTAH"},
    {"VA", "VIRGINIA"}, {"VI", "VIRGIN ISLANDS"}, {"VT", "VERMONT"}, {"WA", "WASHINGTON"}, {"WI", "WISCONSIN"},
    {"WV", "WEST VIRGINIA"}, {"WY", "WYOMING"},
};

static const char *state_name(const char *code)
{
    for (size_t i = 0; code != NULL && i < sizeof state_names / sizeof *state_names; i++)
        if (strcasecmp(state_names[i].code, code) == 0)
            return state_names[i].name;
    return NULL;
}

static kite_err collect_row(void *data, size_t line, const char *const *fields, size_t nfields)
{
    facility_aliases *in = data;
    if (line == 1) {
        in->source_column = csv_column(fields, nfields, "source_id");
        in->alias_column = csv_column(fields, nfields, "alias");
        return in->source_column < 0 || in->alias_column < 0 ? KITE_ERR_INVALID_FIELD : KITE_OK;
    }
    if ((size_t)in->source_column >= nfields || (size_t)in->alias_column >= nfields)
        return KITE_OK;
    const char *source = fields[in->source_column], *alias = fields[in->alias_column];
    if (*source == '\0' || *alias == '\0' || !utf8_valid(alias, strlen(alias)) ||
        !utf8_valid(source, strlen(source))) {
        log_warn("directory: alias file line %zu skipped: empty or not UTF-8", line);
        return KITE_OK;
    }
    if (in->count == in->cap) {
        in->cap = in->cap ? in->cap * 2 : 64;
        in->rows = xrealloc(in->rows, in->cap * sizeof *in->rows);
    }
    in->rows[in->count++] = (struct alias_row){xstrdup(source), xstrdup(alias)};
    return KITE_OK;
}

static int compare_rows(const void *a, const void *b)
{
    return strcmp(((const struct alias_row *)a)->source_id, ((const struct alias_row *)b)->source_id);
}

kite_err facility_aliases_load(const char *path, facility_aliases **out)
{
    facility_aliases *aliases = xcalloc(1, sizeof *aliases);
    kite_err err = csv_read_file(path, collect_row, aliases);
    if (err != KITE_OK) {
        *out = facility_aliases_free(aliases);
        return err;
    }
    if (aliases->count > 0)
        qsort(aliases->rows, aliases->count, sizeof *aliases->rows, compare_rows);
    *out = aliases;
    return KITE_OK;
}

facility_aliases *facility_aliases_free(facility_aliases *aliases)
{
    if (aliases == NULL)
        return NULL;
    for (size_t i = 0; i < aliases->count; i++) {
        free(aliases->rows[i].source_id);
        free(aliases->rows[i].alias);
    }
    free(aliases->rows);
    free(aliases);
    return NULL;
}

size_t facility_aliases_count(const facility_aliases *aliases)
{
    return aliases == NULL ? 0 : aliases->count;
}

/* Whether text holds phrase as whole words, ignoring case. */
static bool has_words(const char *text, const char *phrase)
{
    size_t len = strlen(phrase);
    for (const char *p = text; (p = strcasestr(p, phrase)) != NULL; p++) {
        bool starts = p == text || !isalnum((unsigned char)p[-1]);
        bool ends = !isalnum((unsigned char)p[len]);
        if (starts && ends)
            return true;
    }
    return false;
}

static void add(buf *out, const char *words)
{
    if (out->len > 0)
        buf_puts(out, " / ");
    buf_puts(out, words);
}

const char *facility_aliases_for(arena *a, const facility_aliases *aliases, const char *source_id, const char *name,
                                 bool bop)
{
    buf out;
    buf_init(&out, a);
    if (aliases != NULL && source_id != NULL && *source_id != '\0' && aliases->count > 0) {
        struct alias_row key = {(char *)source_id, NULL};
        const struct alias_row *hit = bsearch(&key, aliases->rows, aliases->count, sizeof *aliases->rows, compare_rows);
        if (hit != NULL) {
            while (hit > aliases->rows && strcmp(hit[-1].source_id, source_id) == 0)
                hit--;
            for (const struct alias_row *end = aliases->rows + aliases->count; hit < end &&
                 strcmp(hit->source_id, source_id) == 0; hit++)
                add(&out, hit->alias);
        }
    }
    for (size_t i = 0; name != NULL && i < sizeof bop_kinds / sizeof bop_kinds[0]; i++) {
        if (has_words(name, bop_kinds[i].abbreviation)) {
            add(&out, bop_kinds[i].words);
            bop = true;
        } else if (has_words(name, bop_kinds[i].words)) {
            add(&out, bop_kinds[i].abbreviation);
            bop = true;
        }
    }
    if (bop)
        add(&out, "federal prison bop fcc"); /* "FCC Victorville": every institution of the complex in that town */
    return out.len > 0 ? out.data : NULL;
}

const char *facility_place_words(arena *a, const char *city, const char *state)
{
    const char *name = state_name(state);
    if (city == NULL)
        city = "";
    return name != NULL ? arena_sprintf(a, "%s %s", city, name) : arena_strdup(a, city);
}
