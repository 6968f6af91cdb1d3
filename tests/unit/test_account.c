/*
 * test_account.c - accounts and sessions on a real store: the password
 * policy, email normalisation, registration and staff creation, password
 * hashing, sign-in, session lookup, sign-out, expiry and sign-in throttling,
 * with the audit chain checked after each.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/secret.h"
#include "db/db.h"
#include "domain/identity/account.h"
#include "domain/audit/audit.h"
#include "domain/context.h"
#include "domain/identity/session.h"
#include "domain/identity/throttle.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GOOD_PASSWORD "correct horse battery"
#define OTHER_PASSWORD "incorrect horse battery"

/* ---- fixture: a store in a temporary directory, a context, an arena ----- */

#include "temp_store.h"


typedef struct fixture {
    temp_store t;
    kite_ctx ctx;
    arena *a;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(&f->t, "account") != 0) {
        free(f);
        return -1;
    }
    f->ctx = (kite_ctx){.store = f->t.store, .passwords = password_gate_new(2, 0, 0), .session_ttl_ms = 3600000};
    f->a = arena_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    temp_store_close(&f->t);
    f->ctx.passwords = password_gate_free(f->ctx.passwords);
    f->a = arena_free(f->a);
    free(f);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    return secret_init() == KITE_OK ? 0 : -1;
}

/* ---- helpers ----------------------------------------------------------- */

static account register_contact(fixture *f, const char *email, const char *password)
{
    registration reg = {email, password, "Ada Lovelace", "+1 202 555 0143", FAULT_LANG_EN};
    account acct;
    kite_fault bad = {.field = "unset"};
    assert_int_equal(account_register(&f->ctx, f->a, &reg, NULL, &acct, &bad), KITE_OK);
    assert_null(bad.field);
    return acct;
}

static audit_report verify_audit(fixture *f)
{
    audit_report report = {.count = -1, .first_broken = -1};
    assert_int_equal(audit_verify(f->ctx.store, &report), KITE_OK);
    assert_int_equal(report.first_broken, 0);
    return report;
}

/* Runs one raw SQL statement (no parameters) in a write transaction. */
static kite_err raw_tx(db_conn *conn, void *ctx)
{
    return db_exec(db_prepare(conn, (const char *)ctx));
}

/* Loads an account by normalised email, with its stored hash. */
typedef struct by_email {
    arena *a;
    const char *email;
    account acct;
    const char *hash;
} by_email;

static kite_err by_email_tx(db_conn *conn, void *ctx)
{
    by_email *q = ctx;
    return account_load_by_email(conn, q->a, q->email, &q->acct, &q->hash);
}

typedef struct by_id {
    arena *a;
    int64_t id;
    account acct;
} by_id;

static kite_err by_id_tx(db_conn *conn, void *ctx)
{
    by_id *q = ctx;
    return account_load(conn, q->a, q->id, &q->acct);
}

static bool is_lower_hex(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* The fault of the last sign_in(): its retry_after_ms is what the throttle tests look at. */
static kite_fault last_fault;

static kite_err sign_in(fixture *f, const char *email, const char *password, const char *address,
                        signin_result *out)
{
    return session_sign_in(&f->ctx, f->a, email, password, NULL, NULL, address, out, &last_fault);
}

/* ---- roles ------------------------------------------------------------- */

static void test_roles(void **state)
{
    (void)state;
    for (role r = ROLE_CONTACT; r <= ROLE_OPERATOR; r++) {
        role back = ROLE_OPERATOR;
        assert_true(role_parse(role_name(r), &back));
        assert_int_equal(back, r);
    }
    role unused;
    assert_false(role_parse("admin", &unused));
    assert_false(role_parse("", &unused));
    assert_false(role_parse("Contact", &unused));
    assert_string_equal(role_name((role)99), "unknown");
    assert_true(role_is_facility_staff(ROLE_REVIEWER));
    assert_true(role_is_facility_staff(ROLE_FACILITY_ADMIN));
    assert_true(role_is_facility_staff(ROLE_INVESTIGATOR));
    assert_false(role_is_facility_staff(ROLE_OPERATOR));
    assert_false(role_is_facility_staff(ROLE_CONTACT));
    assert_false(role_is_facility_staff(ROLE_RESIDENT));
}

/* ---- password policy --------------------------------------------------- */

static void test_password_policy_length(void **state)
{
    (void)state;
    assert_int_equal(password_policy_check(""), KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_policy_check("q8#mLp2$z"), KITE_ERR_WEAK_PASSWORD);   /* 9 */
    assert_int_equal(password_policy_check("q8#mLp2$zR"), KITE_OK);                 /* exactly 10 */
    assert_int_equal(password_policy_check(GOOD_PASSWORD), KITE_OK);
    /* Characters, not bytes: 9 × é is 18 bytes but 9 characters. */
    assert_int_equal(password_policy_check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"),
                     KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_policy_check("\xc3\xa9t\xc3\xa9 \xc3\xa0 Par1s"), KITE_OK); /* 10 characters */
    assert_int_equal(password_policy_check("\xf0\x9f\x98\x80\xf0\x9f\x90\xb1\xf0\x9f\x8c\x88\xf0\x9f\x8d\x95"
                                           "\xf0\x9f\x9a\x80\xf0\x9f\x8e\xb8\xf0\x9f\x8c\xb5\xf0\x9f\x90\x99"
                                           "\xf0\x9f\x8d\x89"), KITE_ERR_WEAK_PASSWORD); /* 9 emoji, 36 bytes */
    static char long_password[1001];
    for (size_t i = 0; i < 1000; i++)
        long_password[i] = (char)('a' + i % 26);
    assert_int_equal(password_policy_check(long_password), KITE_OK);
}

static void test_password_policy_common_passwords(void **state)
{
    (void)state;
    assert_int_equal(password_policy_check("1234567890"), KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_policy_check("password123"), KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_policy_check("Password123"), KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_policy_check("PASSWORD123"), KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_policy_check("QwertyUIOP"), KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_policy_check("LetMeIn123"), KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_policy_check("administrator"), KITE_ERR_WEAK_PASSWORD);
    /* Near misses are not on the list. */
    assert_int_equal(password_policy_check("password123x"), KITE_OK);
    assert_int_equal(password_policy_check("xpassword123"), KITE_OK);
}

static void test_password_policy_repeated_character(void **state)
{
    (void)state;
    assert_int_equal(password_policy_check("zzzzzzzzzzzz"), KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_policy_check("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"),
                     KITE_ERR_WEAK_PASSWORD); /* longer than the list's buffer */
    assert_int_equal(password_policy_check("          "), KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_policy_check("zzzzzzzzzzzy"), KITE_OK);
    /* One character repeated, when the character takes more than one byte. */
    assert_int_equal(password_policy_check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                           "\xc3\xa9\xc3\xa9"),
                     KITE_ERR_WEAK_PASSWORD);
}

/* ---- email ------------------------------------------------------------- */

static void test_email_normalize_accepts(void **state)
{
    fixture *f = *state;
    const char *out = NULL;
    assert_int_equal(email_normalize(f->a, "  Alice.Smith+kite@Example.COM \t\n", &out), KITE_OK);
    assert_non_null(out);
    assert_string_equal(out, "alice.smith+kite@example.com");
    assert_int_equal(email_normalize(f->a, "a@b.co", &out), KITE_OK);
    assert_string_equal(out, "a@b.co");
    assert_int_equal(email_normalize(f->a, "Jos\xc3\xa9@Example.org", &out), KITE_OK);
    assert_string_equal(out, "jos\xc3\xa9@example.org");
    /* 254 characters: 64 local + '@' + 189 domain. */
    static char longest[300];
    memset(longest, 'a', 64);
    longest[64] = '@';
    memset(longest + 65, 'b', 185);
    memcpy(longest + 250, ".com", 5);
    assert_int_equal(strlen(longest), 254);
    assert_int_equal(email_normalize(f->a, longest, &out), KITE_OK);
    assert_string_equal(out, longest);
}

static void test_email_normalize_rejects(void **state)
{
    fixture *f = *state;
    static const char *const bad[] = {
        "", "   ", "alice.example.com", "a@b@example.com", "@example.com", "alice@", "alice@localhost",
        "al ice@example.com", "alice@exa mple.com", "alice@.com", "alice@example.", "a<b@example.com",
        "\"alice\"@example.com", "alice@example.com;bob@example.com", "a,b@example.com", "alice\t@example.com",
        "\xff@example.com", "alice@\xc3\x28.com", "a\x01@example.com",
        /* DEL: mail_address_valid refuses it, so such an account could never be mailed (found by fuzz/mail.c). */
        "a\x7f@example.com", "alice@exam\x7fple.com",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *out = "untouched";
        if (email_normalize(f->a, bad[i], &out) != KITE_ERR_INVALID_FIELD)
            fail_msg("accepted as an email: \"%s\"", bad[i]);
        assert_string_equal(out, "untouched");
    }
    const char *out = NULL;
    /* 255 characters. */
    static char too_long[300];
    memset(too_long, 'a', 64);
    too_long[64] = '@';
    memset(too_long + 65, 'b', 186);
    memcpy(too_long + 251, ".com", 5);
    assert_int_equal(strlen(too_long), 255);
    assert_int_equal(email_normalize(f->a, too_long, &out), KITE_ERR_INVALID_FIELD);
    /* A 65-character local part. */
    static char long_local[100];
    memset(long_local, 'a', 65);
    memcpy(long_local + 65, "@example.com", 13);
    assert_int_equal(email_normalize(f->a, long_local, &out), KITE_ERR_INVALID_FIELD);
    long_local[64] = '@';
    memcpy(long_local + 65, "example.com", 12);
    assert_int_equal(email_normalize(f->a, long_local, &out), KITE_OK);
}

/* ---- registration -------------------------------------------------------- */

static void test_register_success(void **state)
{
    fixture *f = *state;
    registration reg = {"  Grace@Example.COM ", GOOD_PASSWORD, "  Grace Hopper ", " +1 (202) 555-0143 ", FAULT_LANG_EN};
    account acct;
    kite_fault bad = {.field = "unset"};
    assert_int_equal(account_register(&f->ctx, f->a, &reg, NULL, &acct, &bad), KITE_OK);
    assert_null(bad.field);
    assert_true(acct.id > 0);
    assert_int_equal(acct.role, ROLE_CONTACT);
    assert_string_equal(acct.email, "grace@example.com");
    assert_string_equal(acct.full_name, "Grace Hopper");
    assert_string_equal(acct.phone, "+1 (202) 555-0143");
    assert_string_equal(account_status_name(acct.status), "active");
    assert_int_equal(acct.facility_id, 0);
    assert_true(acct.created_at > 0);

    /* What the store holds: the same, and a hash that checks against the password. */
    by_email q = {f->a, "grace@example.com", {0}, NULL};
    assert_int_equal(db_read(f->ctx.store, by_email_tx, &q), KITE_OK);
    assert_int_equal(q.acct.id, acct.id);
    assert_string_equal(q.acct.full_name, "Grace Hopper");
    assert_int_equal(q.acct.created_at, acct.created_at);
    assert_non_null(q.hash);
    assert_null(strstr(q.hash, GOOD_PASSWORD));
    assert_int_equal(password_check(f->ctx.passwords, q.hash, GOOD_PASSWORD), KITE_OK);
    by_id qi = {f->a, acct.id, {0}};
    assert_int_equal(db_read(f->ctx.store, by_id_tx, &qi), KITE_OK);
    assert_string_equal(qi.acct.email, "grace@example.com");
    qi.id = acct.id + 1000;
    assert_int_equal(db_read(f->ctx.store, by_id_tx, &qi), KITE_ERR_NOT_FOUND);

    audit_report r = verify_audit(f);
    assert_int_equal(r.count, 1);
}

/* A taken address (migration 19): a real, unverified second account, the same answer; the verified one is kept. */
static void test_register_duplicate_email(void **state)
{
    fixture *f = *state;
    account first = register_contact(f, "grace@example.com", GOOD_PASSWORD);
    assert_int_equal(first.email_verified_at, 0);
    assert_int_equal(db_write(f->ctx.store, raw_tx, (void *)"UPDATE accounts SET email_verified_at = 1"), KITE_OK);
    account second = register_contact(f, "GRACE@example.COM", OTHER_PASSWORD);
    assert_true(second.id != first.id);
    assert_int_equal(second.email_verified_at, 0);
    audit_report r = verify_audit(f);
    assert_int_equal(r.count, 2);
    by_email q = {f->a, "grace@example.com", {0}, NULL};
    assert_int_equal(db_read(f->ctx.store, by_email_tx, &q), KITE_OK);
    assert_int_equal(q.acct.id, first.id);
    assert_string_equal(q.acct.full_name, "Ada Lovelace");
}

static void expect_bad_field(fixture *f, registration reg, kite_err expected, const char *field)
{
    account acct;
    kite_fault bad = {0};
    assert_int_equal(account_register(&f->ctx, f->a, &reg, NULL, &acct, &bad), expected);
    assert_non_null(bad.field);
    assert_string_equal(bad.field, field);
}

static void test_register_invalid_fields(void **state)
{
    fixture *f = *state;
    const registration ok = {"x@example.com", GOOD_PASSWORD, "Ada Lovelace", "+1 202 555 0143", FAULT_LANG_EN};
    registration r;

    r = ok; r.email = "not-an-email";
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "email");
    r = ok; r.email = NULL;
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "email");

    r = ok; r.full_name = "";
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "full_name");
    r = ok; r.full_name = "   \t ";
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "full_name");
    r = ok; r.full_name = NULL;
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "full_name");
    r = ok; r.full_name = "Ada\x01Lovelace";
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "full_name");
    r = ok; r.full_name = "Ada \xc3\x28 Lovelace";
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "full_name");
    static char long_name[202];
    memset(long_name, 'n', 201);
    r = ok; r.full_name = long_name;
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "full_name");

    r = ok; r.phone = "call me";
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "phone");
    r = ok; r.phone = "123456"; /* 6 digits */
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "phone");
    r = ok; r.phone = "1234567890123456"; /* 16 digits */
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "phone");
    r = ok; r.phone = NULL;
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "phone");

    r = ok; r.password = "short";
    expect_bad_field(f, r, KITE_ERR_WEAK_PASSWORD, "password");
    r = ok; r.password = "Password123";
    expect_bad_field(f, r, KITE_ERR_WEAK_PASSWORD, "password");
    r = ok; r.password = NULL;
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "password");
    r = ok; r.password = "valid start \xc3\x28 bad byte";
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "password");
    static char huge[PASSWORD_MAX_BYTES + 2];
    for (size_t i = 0; i < PASSWORD_MAX_BYTES + 1; i++)
        huge[i] = (char)('a' + i % 26);
    r = ok; r.password = huge;
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "password");

    /* The first bad field is the one named. */
    r = ok; r.email = "nope"; r.phone = "nope"; r.password = "nope";
    expect_bad_field(f, r, KITE_ERR_INVALID_FIELD, "email");

    /* None of it reached the store. */
    audit_report rep = verify_audit(f);
    assert_int_equal(rep.count, 0);
    /* And the same registration with valid fields works. */
    account acct = register_contact(f, ok.email, ok.password);
    assert_true(acct.id > 0);
}

/* ---- staff ------------------------------------------------------------- */

static kite_err insert_facility_tx(db_conn *conn, void *ctx)
{
    int64_t *id = ctx;
    db_stmt *s = db_prepare(conn,
        "INSERT INTO facilities (name, created_at, updated_at) VALUES ('Test Unit', 0, 0) RETURNING id");
    if (db_next(s))
        *id = db_int(s, 0);
    return db_done(s);
}

static void test_create_staff_facility_rules(void **state)
{
    fixture *f = *state;
    account acct;
    kite_fault bad = {0};
    assert_int_equal(account_create_staff(&f->ctx, f->a, ROLE_REVIEWER, "rev@example.com", "Rev Iewer", GOOD_PASSWORD,
                                          0, &acct, &bad),
                     KITE_ERR_INVALID_FIELD);
    assert_non_null(bad.field);
    assert_string_equal(bad.field, "facility");

    bad = (kite_fault){0};
    assert_int_equal(account_create_staff(&f->ctx, f->a, ROLE_OPERATOR, "op@example.com", "Op Erator", GOOD_PASSWORD,
                                          5, &acct, &bad),
                     KITE_ERR_INVALID_FIELD);
    assert_non_null(bad.field);
    assert_string_equal(bad.field, "facility");

    bad = (kite_fault){0};
    assert_int_equal(account_create_staff(&f->ctx, f->a, ROLE_CONTACT, "c@example.com", "Con Tact", GOOD_PASSWORD, 0,
                                          &acct, &bad),
                     KITE_ERR_INVALID_FIELD);
    assert_non_null(bad.field);
    assert_string_equal(bad.field, "role");

    bad = (kite_fault){0};
    assert_int_equal(account_create_staff(&f->ctx, f->a, ROLE_OPERATOR, "op@example.com", "Op Erator", "weak", 0,
                                          &acct, &bad),
                     KITE_ERR_WEAK_PASSWORD);
    assert_non_null(bad.field);
    assert_string_equal(bad.field, "password");

    assert_int_equal(verify_audit(f).count, 0);
}

static void test_create_staff_unknown_facility(void **state)
{
    fixture *f = *state;
    account acct;
    kite_fault bad = {0};
    kite_err err = account_create_staff(&f->ctx, f->a, ROLE_REVIEWER, "rev@example.com", "Rev Iewer", GOOD_PASSWORD,
                                        424242, &acct, &bad);
    assert_int_equal(err, KITE_ERR_CONFLICT);
    assert_non_null(bad.field);
    assert_string_equal(bad.field, "facility");
    assert_int_equal(verify_audit(f).count, 0);
}

static void test_create_staff_success(void **state)
{
    fixture *f = *state;
    int64_t facility = 0;
    assert_int_equal(db_write(f->ctx.store, insert_facility_tx, &facility), KITE_OK);
    assert_true(facility > 0);

    account acct;
    kite_fault bad = {.field = "unset"};
    assert_int_equal(account_create_staff(&f->ctx, f->a, ROLE_REVIEWER, " Rev@Example.com", "Rev Iewer", GOOD_PASSWORD,
                                          facility, &acct, &bad),
                     KITE_OK);
    assert_null(bad.field);
    assert_true(acct.id > 0);
    assert_int_equal(acct.role, ROLE_REVIEWER);
    assert_int_equal(acct.facility_id, facility);
    assert_string_equal(acct.email, "rev@example.com");

    by_id q = {f->a, acct.id, {0}};
    assert_int_equal(db_read(f->ctx.store, by_id_tx, &q), KITE_OK);
    assert_int_equal(q.acct.role, ROLE_REVIEWER);
    assert_int_equal(q.acct.facility_id, facility);
    assert_null(q.acct.phone);

    assert_int_equal(account_create_staff(&f->ctx, f->a, ROLE_OPERATOR, "op@example.com", "Op Erator", GOOD_PASSWORD,
                                          0, &acct, &bad),
                     KITE_OK);
    assert_int_equal(acct.role, ROLE_OPERATOR);
    assert_int_equal(acct.facility_id, 0);

    /* The email is taken whatever the role. */
    bad = (kite_fault){0};
    assert_int_equal(account_create_staff(&f->ctx, f->a, ROLE_OPERATOR, "OP@example.com", "Op Two", GOOD_PASSWORD, 0,
                                          &acct, &bad),
                     KITE_ERR_EMAIL_TAKEN);

    assert_int_equal(verify_audit(f).count, 2);
}

/* ---- password hashing ---------------------------------------------------- */

static void test_password_hash_roundtrip(void **state)
{
    fixture *f = *state;
    char hash[PASSWORD_HASH_MAX];
    char again[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash(f->ctx.passwords, GOOD_PASSWORD, hash), KITE_OK);
    assert_int_equal(strncmp(hash, "$argon2id$", 10), 0);
    assert_int_equal(password_check(f->ctx.passwords, hash, GOOD_PASSWORD), KITE_OK);
    assert_int_equal(password_check(f->ctx.passwords, hash, OTHER_PASSWORD), KITE_ERR_BAD_CREDENTIALS);
    assert_int_equal(password_check(f->ctx.passwords, hash, ""), KITE_ERR_BAD_CREDENTIALS);
    assert_int_equal(password_check(f->ctx.passwords, hash, GOOD_PASSWORD " "), KITE_ERR_BAD_CREDENTIALS);
    /* Salted: the same password hashes differently each time. */
    assert_int_equal(password_hash(f->ctx.passwords, GOOD_PASSWORD, again), KITE_OK);
    assert_string_not_equal(hash, again);
    assert_int_equal(password_check(f->ctx.passwords, again, GOOD_PASSWORD), KITE_OK);
    /* Garbage in place of a hash is a failed check, not a crash. */
    assert_int_equal(password_check(f->ctx.passwords, "not a hash", GOOD_PASSWORD), KITE_ERR_BAD_CREDENTIALS);
    assert_int_equal(password_check(f->ctx.passwords, "", GOOD_PASSWORD), KITE_ERR_BAD_CREDENTIALS);
    password_check_dummy(f->ctx.passwords, GOOD_PASSWORD);
}

static void test_password_needs_rehash(void **state)
{
    fixture *f = *state;
    char hash[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash(f->ctx.passwords, GOOD_PASSWORD, hash), KITE_OK);
    assert_false(password_needs_rehash(f->ctx.passwords, hash));

    password_gate *stronger = password_gate_new(1, 3, 0);
    assert_non_null(stronger);
    assert_true(password_needs_rehash(stronger, hash));
    /* A hash from another gate still checks. */
    assert_int_equal(password_check(stronger, hash, GOOD_PASSWORD), KITE_OK);
    char strong_hash[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash(stronger, GOOD_PASSWORD, strong_hash), KITE_OK);
    assert_false(password_needs_rehash(stronger, strong_hash));
    assert_true(password_needs_rehash(f->ctx.passwords, strong_hash));
    stronger = password_gate_free(stronger);
    assert_null(stronger);
    assert_null(password_gate_free(NULL));
}

/* ---- sessions ---------------------------------------------------------- */

static void test_sign_in_and_resolve(void **state)
{
    fixture *f = *state;
    account acct = register_contact(f, "grace@example.com", GOOD_PASSWORD);
    signin_result res;
    assert_int_equal(sign_in(f, "  Grace@Example.com ", GOOD_PASSWORD, "127.0.0.1", &res), KITE_OK);
    assert_true(is_lower_hex(res.token, 64));
    assert_true(is_lower_hex(res.csrf, 64));
    assert_string_not_equal(res.token, res.csrf);
    char csrf[SECRET_SHA256_HEX];
    session_csrf_token(res.token, csrf);
    assert_string_equal(res.csrf, csrf);
    assert_true(res.session.id > 0);
    assert_int_equal(res.session.account.id, acct.id);
    assert_string_equal(res.session.account.email, "grace@example.com");
    assert_int_equal(last_fault.retry_after_ms, 0);
    int64_t now = clock_now_ms(&f->ctx.clock);
    assert_true(res.session.expires_at > now + f->ctx.session_ttl_ms - 60000);
    assert_true(res.session.expires_at <= now + f->ctx.session_ttl_ms);

    session s;
    assert_int_equal(session_resolve(&f->ctx, f->a, res.token, &s), KITE_OK);
    assert_int_equal(s.id, res.session.id);
    assert_int_equal(s.expires_at, res.session.expires_at);
    assert_int_equal(s.account.id, acct.id);
    assert_int_equal(s.account.role, ROLE_CONTACT);
    assert_string_equal(s.account.full_name, "Ada Lovelace");

    /* A second sign-in gives a second, different, session; both resolve. */
    signin_result res2;
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &res2), KITE_OK);
    assert_string_not_equal(res.token, res2.token);
    assert_int_not_equal(res.session.id, res2.session.id);
    session s2;
    assert_int_equal(session_resolve(&f->ctx, f->a, res2.token, &s2), KITE_OK);
    assert_int_equal(session_resolve(&f->ctx, f->a, res.token, &s), KITE_OK);

    assert_int_equal(verify_audit(f).count, 3); /* register, signin, signin */
}

static void test_resolve_rejects_wrong_tokens(void **state)
{
    fixture *f = *state;
    register_contact(f, "grace@example.com", GOOD_PASSWORD);
    signin_result res;
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &res), KITE_OK);
    session s;

    char wrong[SECRET_TOKEN_HEX];
    secret_token(wrong);
    assert_int_equal(session_resolve(&f->ctx, f->a, wrong, &s), KITE_ERR_UNAUTHENTICATED);
    /* One character off. */
    char off[SECRET_TOKEN_HEX];
    memcpy(off, res.token, sizeof off);
    off[10] = off[10] == 'a' ? 'b' : 'a';
    assert_int_equal(session_resolve(&f->ctx, f->a, off, &s), KITE_ERR_UNAUTHENTICATED);
    /* Upper case is another token. */
    char upper[SECRET_TOKEN_HEX];
    memcpy(upper, res.token, sizeof upper);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    if (strcmp(upper, res.token) != 0)
        assert_int_equal(session_resolve(&f->ctx, f->a, upper, &s), KITE_ERR_UNAUTHENTICATED);
    /* Wrong lengths. */
    assert_int_equal(session_resolve(&f->ctx, f->a, "", &s), KITE_ERR_UNAUTHENTICATED);
    assert_int_equal(session_resolve(&f->ctx, f->a, "abc", &s), KITE_ERR_UNAUTHENTICATED);
    char longer[SECRET_TOKEN_HEX + 1];
    snprintf(longer, sizeof longer, "%s0", res.token);
    assert_int_equal(session_resolve(&f->ctx, f->a, longer, &s), KITE_ERR_UNAUTHENTICATED);
    /* The CSRF token is not a session token. */
    assert_int_equal(session_resolve(&f->ctx, f->a, res.csrf, &s), KITE_ERR_UNAUTHENTICATED);
    /* The right one still works. */
    assert_int_equal(session_resolve(&f->ctx, f->a, res.token, &s), KITE_OK);
}

static void test_sign_out(void **state)
{
    fixture *f = *state;
    register_contact(f, "grace@example.com", GOOD_PASSWORD);
    signin_result one, two;
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &one), KITE_OK);
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &two), KITE_OK);
    session s;
    assert_int_equal(session_resolve(&f->ctx, f->a, one.token, &s), KITE_OK);
    assert_int_equal(session_sign_out(&f->ctx, f->a, &s), KITE_OK);
    assert_int_equal(session_resolve(&f->ctx, f->a, one.token, &s), KITE_ERR_UNAUTHENTICATED);
    /* Only that session ended. */
    assert_int_equal(session_resolve(&f->ctx, f->a, two.token, &s), KITE_OK);
    assert_int_equal(session_sign_out(&f->ctx, f->a, &two.session), KITE_OK);
    assert_int_equal(session_resolve(&f->ctx, f->a, two.token, &s), KITE_ERR_UNAUTHENTICATED);
    assert_int_equal(verify_audit(f).count, 5); /* register, 2 signins, 2 signouts */
}

static void test_session_expiry(void **state)
{
    fixture *f = *state;
    register_contact(f, "grace@example.com", GOOD_PASSWORD);
    signin_result res;
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &res), KITE_OK);
    session s;
    f->ctx.clock.offset_ms = f->ctx.session_ttl_ms - 60000; /* a minute before the end */
    assert_int_equal(session_resolve(&f->ctx, f->a, res.token, &s), KITE_OK);
    f->ctx.clock.offset_ms = f->ctx.session_ttl_ms;
    assert_int_equal(session_resolve(&f->ctx, f->a, res.token, &s), KITE_ERR_UNAUTHENTICATED);
    f->ctx.clock.offset_ms = f->ctx.session_ttl_ms * 10;
    assert_int_equal(session_resolve(&f->ctx, f->a, res.token, &s), KITE_ERR_UNAUTHENTICATED);
    verify_audit(f);
}

static void test_disabled_account(void **state)
{
    fixture *f = *state;
    register_contact(f, "grace@example.com", GOOD_PASSWORD);
    signin_result res;
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &res), KITE_OK);
    assert_int_equal(db_write(f->ctx.store, raw_tx, "UPDATE accounts SET status = 'disabled'"), KITE_OK);
    session s;
    assert_int_equal(session_resolve(&f->ctx, f->a, res.token, &s), KITE_ERR_UNAUTHENTICATED);
    signin_result again;
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &again), KITE_ERR_BAD_CREDENTIALS);
    verify_audit(f);
}

static void test_bad_credentials(void **state)
{
    fixture *f = *state;
    register_contact(f, "grace@example.com", GOOD_PASSWORD);
    signin_result res;
    assert_int_equal(sign_in(f, "nobody@example.com", GOOD_PASSWORD, "127.0.0.1", &res), KITE_ERR_BAD_CREDENTIALS);
    assert_int_equal(last_fault.retry_after_ms, 0);
    assert_string_equal(res.token, "");
    assert_int_equal(sign_in(f, "grace@example.com", OTHER_PASSWORD, "127.0.0.1", &res), KITE_ERR_BAD_CREDENTIALS);
    assert_string_equal(res.token, "");
    assert_int_equal(sign_in(f, "grace@example.com", "", "127.0.0.1", &res), KITE_ERR_BAD_CREDENTIALS);
    assert_int_equal(sign_in(f, "not an email", GOOD_PASSWORD, "127.0.0.1", &res), KITE_ERR_BAD_CREDENTIALS);
    assert_int_equal(sign_in(f, "", "", "127.0.0.1", &res), KITE_ERR_BAD_CREDENTIALS);
    /* The right password with a password over the cap appended is just wrong. */
    static char huge[PASSWORD_MAX_BYTES + 40];
    snprintf(huge, sizeof huge, "%s", GOOD_PASSWORD);
    memset(huge + strlen(GOOD_PASSWORD), 'x', PASSWORD_MAX_BYTES);
    assert_int_equal(sign_in(f, "grace@example.com", huge, "127.0.0.1", &res), KITE_ERR_BAD_CREDENTIALS);
    /* Each failure was audited, and the chain is whole. */
    assert_int_equal(verify_audit(f).count, 7);
}

/* A wrong password from address, waiting out (on the test clock) any delay first: each call is one failure. */
static void fail_once(fixture *f, const char *email, const char *address)
{
    signin_result res;
    kite_err err = sign_in(f, email, OTHER_PASSWORD, address, &res);
    if (err == KITE_ERR_THROTTLED) {
        f->ctx.clock.offset_ms += last_fault.retry_after_ms;
        err = sign_in(f, email, OTHER_PASSWORD, address, &res);
    }
    assert_int_equal(err, KITE_ERR_BAD_CREDENTIALS);
}

static void test_delay_arithmetic(void **state)
{
    (void)state;
    delay_rule r = {3, 1000, 60 * 1000, 10 * 60 * 1000};
    assert_int_equal(delay_after(r, 0), 0);
    assert_int_equal(delay_after(r, 2), 0);
    assert_int_equal(delay_after(r, 3), 1000);
    assert_int_equal(delay_after(r, 4), 2000);
    assert_int_equal(delay_after(r, 6), 8000);
    assert_int_equal(delay_after(r, 9), 60 * 1000); /* 64 s, capped */
    assert_int_equal(delay_after(r, INT64_MAX), 60 * 1000);
}

static void test_pair_delay_not_lockout(void **state)
{
    fixture *f = *state;
    register_contact(f, "grace@example.com", GOOD_PASSWORD);
    signin_result res;
    for (int i = 0; i < SIGNIN_PAIR_FREE_FAILURES + 3; i++)
        fail_once(f, "grace@example.com", "127.0.0.1");
    /* That address waits (8 s after six failures), even with the right password, whatever the email's case. */
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &res), KITE_ERR_THROTTLED);
    assert_true(last_fault.retry_after_ms > 0);
    assert_true(last_fault.retry_after_ms <= 8000);
    assert_string_equal(res.token, "");
    assert_int_equal(sign_in(f, " GRACE@example.com", GOOD_PASSWORD, "127.0.0.1", &res), KITE_ERR_THROTTLED);

    /* The real user at another address is not held up at all. */
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "10.9.9.9", &res), KITE_OK);
    assert_true(is_lower_hex(res.token, 64));

    /* Once the wait is over the first address signs in too. */
    f->ctx.clock.offset_ms += 8000;
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &res), KITE_OK);
    session s;
    assert_int_equal(session_resolve(&f->ctx, f->a, res.token, &s), KITE_OK);
    /* Register + 6 failures + 2 sign-ins: throttled attempts are not written. */
    assert_int_equal(verify_audit(f).count, 9);
}

static void test_success_clears_account_failures(void **state)
{
    fixture *f = *state;
    register_contact(f, "grace@example.com", GOOD_PASSWORD);
    signin_result res;
    for (int i = 0; i < SIGNIN_PAIR_FREE_FAILURES + 2; i++)
        fail_once(f, "grace@example.com", "127.0.0.1");
    f->ctx.clock.offset_ms += SIGNIN_PAIR_CAP_MS;
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &res), KITE_OK);
    /* The count started again: the next failures cost no wait until the free ones are spent. */
    for (int i = 0; i < SIGNIN_PAIR_FREE_FAILURES - 1; i++)
        assert_int_equal(sign_in(f, "grace@example.com", OTHER_PASSWORD, "127.0.0.1", &res),
                         KITE_ERR_BAD_CREDENTIALS);
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &res), KITE_OK);
    verify_audit(f);
}

static void test_unknown_email_is_throttled_too(void **state)
{
    fixture *f = *state;
    signin_result res;
    for (int i = 0; i < SIGNIN_PAIR_FREE_FAILURES + 3; i++)
        fail_once(f, "ghost@example.com", "127.0.0.1");
    /* The answer for an unknown email looks like the one for a known one. */
    assert_int_equal(sign_in(f, "ghost@example.com", OTHER_PASSWORD, "127.0.0.1", &res), KITE_ERR_THROTTLED);
    assert_true(last_fault.retry_after_ms > 0);
    assert_int_equal(verify_audit(f).count, SIGNIN_PAIR_FREE_FAILURES + 3);
}

static void test_account_count_slows_only_addresses_that_failed(void **state)
{
    fixture *f = *state;
    register_contact(f, "grace@example.com", GOOD_PASSWORD);
    signin_result res;
    /* Many addresses, each under its own free failures, together past the account's. */
    char address[32];
    for (int i = 0; i < SIGNIN_ACCOUNT_FREE_FAILURES + 4; i++) {
        snprintf(address, sizeof address, "198.51.100.%d", 1 + i % 7);
        fail_once(f, "grace@example.com", address);
    }
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "198.51.100.1", &res), KITE_ERR_THROTTLED);
    assert_true(last_fault.retry_after_ms <= SIGNIN_ACCOUNT_CAP_MS);
    /* An address that never failed the account signs in at once. */
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "192.0.2.50", &res), KITE_OK);
    verify_audit(f);
}

static void test_address_throttle(void **state)
{
    fixture *f = *state;
    register_contact(f, "grace@example.com", GOOD_PASSWORD);
    signin_result res;
    for (int i = 0; i < SIGNIN_ADDRESS_FREE_FAILURES + 3; i++) {
        char email[64];
        snprintf(email, sizeof email, "guess%d@example.com", i);
        fail_once(f, email, "203.0.113.7");
    }
    /* That address waits, for a new email and for a real account with its right password. */
    assert_int_equal(sign_in(f, "fresh@example.com", OTHER_PASSWORD, "203.0.113.7", &res), KITE_ERR_THROTTLED);
    assert_true(last_fault.retry_after_ms > 0);
    assert_true(last_fault.retry_after_ms <= SIGNIN_ADDRESS_CAP_MS);
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "203.0.113.7", &res), KITE_ERR_THROTTLED);

    /* Another address is not. */
    assert_int_equal(sign_in(f, "fresh@example.com", OTHER_PASSWORD, "198.51.100.1", &res), KITE_ERR_BAD_CREDENTIALS);
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "198.51.100.1", &res), KITE_OK);

    /* After the longest wait the first address may try again. */
    f->ctx.clock.offset_ms += SIGNIN_ADDRESS_CAP_MS;
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "203.0.113.7", &res), KITE_OK);

    /* register + 23 failures + 1 failure + 2 sign-ins */
    assert_int_equal(verify_audit(f).count, 1 + SIGNIN_ADDRESS_FREE_FAILURES + 3 + 1 + 2);
}

static void test_password_personal(void **state)
{
    fixture *f = *state;
    assert_int_equal(password_personal_check(f->a, "Grace.Hopper@Example.com", "grace.hopper@example.com", NULL),
                     KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_personal_check(f->a, "my GRACE.hopper 2026", "grace.hopper@example.com", NULL),
                     KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_personal_check(f->a, "xx Grace Hopper xx", NULL, "Grace Hopper"), KITE_ERR_WEAK_PASSWORD);
    assert_int_equal(password_personal_check(f->a, "gracehopper!!", NULL, " Grace Hopper "), KITE_ERR_WEAK_PASSWORD);
    /* Short parts count for nothing; other passwords pass. */
    assert_int_equal(password_personal_check(f->a, "al is a fine pal 99", "al@example.com", "Al"), KITE_OK);
    assert_int_equal(password_personal_check(f->a, "correct horse battery", "grace@example.com", "Grace Hopper"),
                     KITE_OK);
    /* Registration refuses it with the field and the reason. */
    registration reg = {"ida.brandt@example.com", "Ida.Brandt-2026!", "Ida Brandt", "+1 555 0100", FAULT_LANG_EN};
    account out;
    kite_fault fault;
    assert_int_equal(account_register(&f->ctx, f->a, &reg, NULL, &out, &fault), KITE_ERR_WEAK_PASSWORD);
    assert_string_equal(fault.field, "password");
    assert_int_equal(fault.detail, FAULT_PASSWORD_PERSONAL);
}

static void test_sign_in_rehashes_old_parameters(void **state)
{
    fixture *f = *state;
    register_contact(f, "grace@example.com", GOOD_PASSWORD);
    /* The server now hashes with stronger parameters. */
    password_gate *old = f->ctx.passwords;
    f->ctx.passwords = password_gate_new(1, 3, 0);
    by_email q = {f->a, "grace@example.com", {0}, NULL};
    assert_int_equal(db_read(f->ctx.store, by_email_tx, &q), KITE_OK);
    assert_true(password_needs_rehash(f->ctx.passwords, q.hash));

    signin_result res;
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &res), KITE_OK);
    assert_int_equal(db_read(f->ctx.store, by_email_tx, &q), KITE_OK);
    assert_false(password_needs_rehash(f->ctx.passwords, q.hash));
    assert_int_equal(password_check(f->ctx.passwords, q.hash, GOOD_PASSWORD), KITE_OK);
    /* And the new hash still signs in. */
    assert_int_equal(sign_in(f, "grace@example.com", GOOD_PASSWORD, "127.0.0.1", &res), KITE_OK);
    password_gate_free(old);
    verify_audit(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_password_policy_length),
        cmocka_unit_test(test_password_policy_common_passwords),
        cmocka_unit_test(test_password_policy_repeated_character),
        cmocka_unit_test_setup_teardown(test_email_normalize_accepts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_email_normalize_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_duplicate_email, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_invalid_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_staff_facility_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_staff_unknown_facility, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_staff_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_hash_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_needs_rehash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_in_and_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve_rejects_wrong_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disabled_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_credentials, setup, teardown),
        cmocka_unit_test(test_delay_arithmetic),
        cmocka_unit_test_setup_teardown(test_pair_delay_not_lockout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_success_clears_account_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_email_is_throttled_too, setup, teardown),
        cmocka_unit_test_setup_teardown(test_account_count_slows_only_addresses_that_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_address_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_personal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_in_rehashes_old_parameters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
