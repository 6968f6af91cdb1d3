/*
 * test_bop_match.c - recognising BOP institutions by name: the reading rules
 * on small files, then the real BOP lists against the real directory
 * (data/, found through KITE_DATA_DIR).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/csv.h"
#include "domain/directory/bop_match.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------- */

static void data_path(char *out, size_t cap, const char *file)
{
    const char *dir = getenv("KITE_DATA_DIR");
    snprintf(out, cap, "%s/%s", dir != NULL ? dir : "data", file);
}

/* Writes text to a new temporary file; its path goes to path (which holds 64 bytes). */
static void temp_file(char path[64], const char *text)
{
    snprintf(path, 64, "/tmp/kite-bop-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* The code the list gives a name, "" when it matches without one, NULL when it does not match. */
static const char *code_of(const bop_list *list, const char *name)
{
    const char *code = "unset";
    if (!bop_list_match(list, name, &code)) {
        assert_null(code); /* a miss clears it */
        return NULL;
    }
    return code == NULL ? "" : code;
}

static void expect_code(const bop_list *list, const char *name, const char *want)
{
    const char *got = code_of(list, name);
    if (got == NULL)
        fail_msg("%s should be BOP (%s)", name, want);
    if (strcmp(got, want) != 0)
        fail_msg("%s: code %s, expected %s", name, got, want);
}

static void expect_not_bop(const bop_list *list, const char *name)
{
    if (bop_list_match(list, name, NULL))
        fail_msg("%s should not be BOP", name != NULL ? name : "(null)");
}

/* ---- loading ---------------------------------------------------------- */

static void test_free_accepts_null(void **state)
{
    (void)state;
    assert_null(bop_list_free(NULL));
}

static void test_load_no_files_matches_nothing(void **state)
{
    (void)state;
    bop_list *list = NULL;
    assert_int_equal(bop_list_load(NULL, NULL, &list), KITE_OK);
    assert_non_null(list);
    expect_not_bop(list, "FCI COLEMAN LOW");
    assert_null(bop_list_free(list));
}

static void test_load_missing_file_is_io_error(void **state)
{
    (void)state;
    bop_list *list = (bop_list *)&list; /* must be reset */
    assert_int_equal(bop_list_load("/nonexistent/bop.csv", NULL, &list), KITE_ERR_IO);
    assert_null(list);
    list = (bop_list *)&list;
    assert_int_equal(bop_list_load(NULL, "/nonexistent/codes.csv", &list), KITE_ERR_IO);
    assert_null(list);
}

static void test_load_rejects_wrong_columns(void **state)
{
    (void)state;
    char path[64];
    temp_file(path, "code,title\nCOL,COLEMAN LOW FCI\n");
    bop_list *list = (bop_list *)&list;
    assert_int_equal(bop_list_load(NULL, path, &list), KITE_ERR_INVALID_FIELD);
    assert_null(list);
    /* bop_facilities.csv needs location_type and type as well */
    assert_int_equal(bop_list_load(path, NULL, &list), KITE_ERR_INVALID_FIELD);
    assert_null(list);
    unlink(path);

    temp_file(path, "code,name\nCOL\n"); /* a short row */
    assert_int_equal(bop_list_load(NULL, path, &list), KITE_ERR_INVALID_FIELD);
    assert_null(list);
    unlink(path);
}

/* ---- the reading rules, on a small code table -------------------------- */

static const char small_codes[] =
    "code,name,address\n"
    "COL,COLEMAN LOW FCI,\n"
    "COM,COLEMAN MED FCI,\n"
    "COP,COLEMAN I USP,\n"
    "CLP,COLEMAN II USP,\n"
    "COA,COLEMAN ADMIN,\n"          /* no kind: not an institution */
    "TAF,TAFT CI,\n"                /* private */
    "CTF,TAFT CCM,\n"               /* community corrections office */
    "BSF,BIG SPRING CI FL,\n"
    "TRM,TERMINAL ISLAND FCI,\n"
    "LAT,LA TUNA FCI,\n"
    "SPG,SPRINGFIELD USMCFP,\n"     /* USMCFP is the kind MCFP */
    "SEY,SEYMOUR JOHNSN FPC,\n"     /* abbreviated in the source */
    "\"ODD, ROW\",\"COMMA, PLACE FCI\",\n";

static int setup_small(void **state)
{
    char path[64];
    temp_file(path, small_codes);
    bop_list *list = NULL;
    kite_err err = bop_list_load(NULL, path, &list);
    unlink(path);
    *state = list;
    return err == KITE_OK ? 0 : -1;
}

static int teardown_small(void **state)
{
    bop_list_free(*state);
    return 0;
}

static void test_kind_first_or_last(void **state)
{
    const bop_list *list = *state;
    expect_code(list, "FCI COLEMAN LOW", "COL");
    expect_code(list, "COLEMAN LOW FCI", "COL");
    expect_code(list, "FCI TERMINAL ISLAND", "TRM");
    expect_code(list, "TERMINAL ISLAND FCI", "TRM");
    expect_code(list, "TERMINAL ISLAND FCI CAMP", "TRM"); /* kind before trailing qualifiers */
    expect_code(list, "fci terminal island", "TRM");      /* case does not matter */
    expect_not_bop(list, "TERMINAL FCI ISLAND");          /* the kind is never in the middle */
}

static void test_qualifiers_choose_the_institution(void **state)
{
    const bop_list *list = *state;
    expect_code(list, "USP COLEMAN I", "COP");
    expect_code(list, "USP COLEMAN II", "CLP");
    expect_code(list, "FCI COLEMAN MEDIUM", "COM"); /* MED in the code table */
    expect_code(list, "FCI COLEMAN LOW CAMP", "COL");
    expect_code(list, "FCI COLEMAN LOW DETENTION CENTER", "COL");
}

static void test_place_rules(void **state)
{
    const bop_list *list = *state;
    expect_code(list, "FSL LA TUNA (EL PASO)", "LAT");      /* parentheses are left out */
    expect_code(list, "FCI LA TUNA ANNEX", "LAT");          /* a listed place followed by more words */
    expect_code(list, "MCFP SPRINGFIELD", "SPG");
    expect_code(list, "FPC SEYMOUR JOHNSON", "SEY");        /* one letter off, long place */
    expect_code(list, "FCI COMMA PLACE", "ODD, ROW");       /* quoted CSV fields */
    expect_not_bop(list, "FCI LA");                         /* part of a place is not the place */
    expect_not_bop(list, "FCI TUNA");
    expect_not_bop(list, "FCI COLEMANVILLE");               /* words, not letters */
    expect_not_bop(list, "FCI SEYMOUR JOHNSTONE");          /* two letters off */
}

static void test_not_institutions(void **state)
{
    const bop_list *list = *state;
    expect_not_bop(list, "CI TAFT");          /* CI is no BOP kind */
    expect_not_bop(list, "TAFT CI");
    expect_not_bop(list, "TAFT CCM");
    expect_not_bop(list, "FCI TAFT");         /* TAFT entered the list only as CI and CCM */
    expect_not_bop(list, "CI BIG SPRING");
    expect_not_bop(list, "COLEMAN COUNTY JAIL");
    expect_not_bop(list, "COLEMAN");          /* no kind */
    expect_not_bop(list, "FCI");              /* no place */
    expect_not_bop(list, "FCI LOW CAMP");
    expect_not_bop(list, "");
    expect_not_bop(list, "FCC COLEMAN");      /* a complex is not one institution */
}

static void test_hostile_names(void **state)
{
    const bop_list *list = *state;
    char longname[5000];
    memset(longname, 'A', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    memcpy(longname, "FCI ", 4);
    expect_not_bop(list, longname);
    char manywords[4 * 40 + 32] = "FCI COLEMAN";
    for (int i = 0; i < 40; i++)
        strcat(manywords, " LOW");
    expect_not_bop(list, manywords); /* more words than any institution name */
    expect_code(list, "FCI \xC3\x91 COLEMAN LOW \xFF", "COL"); /* non-ASCII bytes separate words */
    expect_not_bop(list, "FCI (COLEMAN LOW");
    expect_not_bop(NULL, "FCI COLEMAN LOW");
    expect_not_bop(list, NULL);
}

/* ---- the real lists ---------------------------------------------------- */

static int setup_real(void **state)
{
    char facilities[256], codes[256];
    data_path(facilities, sizeof facilities, "bop_facilities.csv");
    data_path(codes, sizeof codes, "bop_facility_codes.csv");
    bop_list *list = NULL;
    kite_err err = bop_list_load(facilities, codes, &list);
    if (err != KITE_OK)
        fprintf(stderr, "cannot load %s and %s (set KITE_DATA_DIR)\n", facilities, codes);
    *state = list;
    return err == KITE_OK ? 0 : -1;
}

static int teardown_real(void **state)
{
    bop_list_free(*state);
    return 0;
}

static void test_real_codes(void **state)
{
    const bop_list *list = *state;
    static const char *const cases[][2] = {
        {"FCI COLEMAN LOW", "COL"},        {"FCI COLEMAN MEDIUM", "COM"},
        {"FCI COLEMAN LOW CAMP", "COL"},   {"USP COLEMAN I", "COP"},
        {"USP COLEMAN II", "CLP"},         {"HERLONG FCI", "HER"},
        {"HERLONG FCI CAMP", "HER"},       {"MCFP SPRINGFIELD", "SPG"},
        {"FSL LA TUNA (EL PASO)", "LAT"},  {"FPC SEYMOUR JOHNSON", "SEY"},
        {"USP FLORENCE ADMAX", "FLM"},     {"USP FLORENCE HIGH", "FLP"},
        {"FCI FLORENCE", "FLF"},           {"FCI BUTNER MEDIUM I", "BUT"},
        {"FCI BUTNER MEDIUM II", "BTF"},   {"FMC BUTNER", "BUH"},
        {"FCI FORREST CITY LOW", "FOR"},   {"FCI FORREST CITY MEDIUM", "FOM"},
        {"FCI TERRE HAUTE", "THA"},        {"USP TERRE HAUTE", "THP"},
        {"FCI HAZELTON SFF", "HAF"},       {"AUSP THOMSON", "TOM"},
        {"FMC FORT WORTH", "FTW"},         {"MDC GUAYNABO", "GUA"},
        {"FCI MIAMI", "MIA"},              {"FDC MIAMI", "MIM"},
        {"USP LOMPOC NORTH CAMP", "LOM"},  {"FCI LOMPOC", "LOF"},
        {"FCI TALLAHASSEE DETENTION CENTER", "TAL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_code(list, cases[i][0], cases[i][1]);
}

static void test_real_not_bop(void **state)
{
    const bop_list *list = *state;
    static const char *const names[] = {
        "CI TAFT", "CI TAFT CAMP", "CI BIG SPRING", "CI D RAY JAMES", "CI GILES W DALBY",
        "ADELANTO ICE PROCESSING CENTER", "UTAH COUNTY JAIL", "COLEMAN COUNTY JAIL",
        "LEAVENWORTH DETENTION CENTER", "ICE FLORENCE SPC", "FLORENCE CORRECTIONAL CENTER",
        "CIBOLA COUNTY CORRECTIONAL CENTER", "MCRAE CORRECTIONAL FACILITY",
        "BUFFALO FEDERAL DETENTION FACILITY",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        expect_not_bop(list, names[i]);
}

/* ---- the real directory ------------------------------------------------- */

static const char *const kind_words[] = {"FCI", "USP", "AUSP", "FPC", "FMC", "FDC",
                                         "MDC", "MCC", "FTC", "MCFP", "FSL"};

/* The brief's test: a federal row named "KIND ..." or "... FCI" (CAMP may follow). */
static bool named_like_bop(const char *name)
{
    for (size_t i = 0; i < sizeof kind_words / sizeof kind_words[0]; i++) {
        size_t n = strlen(kind_words[i]);
        if (strncmp(name, kind_words[i], n) == 0 && name[n] == ' ')
            return true;
    }
    size_t len = strlen(name);
    return (len > 4 && strcmp(name + len - 4, " FCI") == 0) || strstr(name, " FCI CAMP") != NULL;
}

struct directory_scan {
    const bop_list *list;
    int name;
    int type;
    size_t matched;
    size_t federal_named_like_bop;
    size_t matched_not_federal;
    char first_miss[256];
};

static kite_err on_directory_row(void *ctx, size_t line, const char *const *f, size_t nfields)
{
    struct directory_scan *s = ctx;
    if (line == 1) {
        s->name = csv_column(f, nfields, "name");
        s->type = csv_column(f, nfields, "type");
        return s->name < 0 || s->type < 0 ? KITE_ERR_INVALID_FIELD : KITE_OK;
    }
    if ((size_t)s->name >= nfields || (size_t)s->type >= nfields || f[s->name][0] == '\0')
        return KITE_OK;
    const char *code = NULL;
    bool bop = bop_list_match(s->list, f[s->name], &code);
    bool federal = strcmp(f[s->type], "federal") == 0;
    if (bop) {
        s->matched++;
        if (code == NULL || strlen(code) != 3)
            snprintf(s->first_miss, sizeof s->first_miss, "%s has no 3-letter code", f[s->name]);
    }
    if (bop && !federal)
        s->matched_not_federal++;
    if (federal && named_like_bop(f[s->name])) {
        s->federal_named_like_bop++;
        if (!bop && s->first_miss[0] == '\0')
            snprintf(s->first_miss, sizeof s->first_miss, "%s is not matched", f[s->name]);
    }
    return KITE_OK;
}

static void test_real_directory_matches(void **state)
{
    struct directory_scan scan = {.list = *state};
    char path[256];
    data_path(path, sizeof path, "facilities.csv");
    assert_int_equal(csv_read_file(path, on_directory_row, &scan), KITE_OK);
    if (scan.first_miss[0] != '\0')
        fail_msg("%s", scan.first_miss);
    assert_int_equal(scan.matched_not_federal, 0);
    /* Every match is a federal row named like a BOP institution, and every such row matches. */
    assert_int_equal(scan.federal_named_like_bop, 199);
    assert_int_equal(scan.matched, 199);
    printf("BOP institutions matched in facilities.csv: %zu\n", scan.matched);
}

int main(void)
{
    const struct CMUnitTest loading[] = {
        cmocka_unit_test(test_free_accepts_null),
        cmocka_unit_test(test_load_no_files_matches_nothing),
        cmocka_unit_test(test_load_missing_file_is_io_error),
        cmocka_unit_test(test_load_rejects_wrong_columns),
    };
    const struct CMUnitTest rules[] = {
        cmocka_unit_test(test_kind_first_or_last),
        cmocka_unit_test(test_qualifiers_choose_the_institution),
        cmocka_unit_test(test_place_rules),
        cmocka_unit_test(test_not_institutions),
        cmocka_unit_test(test_hostile_names),
    };
    const struct CMUnitTest real[] = {
        cmocka_unit_test(test_real_codes),
        cmocka_unit_test(test_real_not_bop),
        cmocka_unit_test(test_real_directory_matches),
    };
    int failed = cmocka_run_group_tests_name("bop_match_loading", loading, NULL, NULL);
    failed += cmocka_run_group_tests_name("bop_match_rules", rules, setup_small, teardown_small);
    failed += cmocka_run_group_tests_name("bop_match_real_data", real, setup_real, teardown_real);
    return failed;
}
