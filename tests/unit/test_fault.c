/*
 * test_fault.c - the sentence table for faults (core/fault.c).
 *
 * Every entry must be reachable and read as a finished sentence; a fault
 * naming a field with words of its own gets them, any other field the
 * entry for every field, and a fault the table does not know error.c's
 * generic sentence.  Numbers must come from the constants the domain checks
 * against, so some faults here are made by the domain's own checks (those
 * that refuse before touching the store).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/fault.h"
#include "domain/facility/policy.h"
#include "domain/messaging/message.h"
#include "domain/messaging/review.h"
#include "domain/messaging/screening.h"
#include "sandbox/image.h"

#include <stdio.h>
#include <string.h>

static int setup(void **state)
{
    *state = arena_new();
    return 0;
}

static int teardown(void **state)
{
    arena_free(*state);
    return 0;
}

static kite_fault fault_of(kite_err code, const char *field, fault_detail detail)
{
    kite_fault f;
    fault_set(&f, code, field, detail);
    return f;
}

static void test_every_entry_is_a_sentence_and_reachable(void **state)
{
    arena *a = *state;
    fault_entry e;
    size_t n = 0;
    static const char *const choices[] = {"one", "two", NULL};
    for (size_t i = 0; fault_table_entry(i, FAULT_LANG_EN, &e); i++, n++) {
        assert_non_null(e.text);
        /* KITE_OK only for the sentences of successful answers (FAULT_NOTE_*). */
        assert_true(e.code < KITE_ERR__COUNT && (e.code > KITE_OK || e.detail >= FAULT_NOTE_KEY_ONCE));
        kite_fault f = fault_of(e.code, e.field != NULL ? e.field : "some_field", e.detail);
        f.limit = 7;
        f.min = 1;
        f.max = 9;
        f.choices = choices;
        f.note = "why";
        f.retry_after_ms = 1;
        const char *s = fault_sentence(a, &f, FAULT_LANG_EN);
        if (strlen(s) < 20 || s[strlen(s) - 1] != '.' || strchr(s, '{') != NULL || strchr(s, '}') != NULL)
            fail_msg("entry %zu reads \"%s\"", i, s);
        /* No earlier entry shadows this one: each key is in the table once. */
        fault_entry again;
        for (size_t j = 0; j < i && fault_table_entry(j, FAULT_LANG_EN, &again); j++)
            if (again.code == e.code && again.detail == e.detail &&
                (again.field == e.field || (again.field != NULL && e.field != NULL && strcmp(again.field, e.field) == 0)))
                fail_msg("entries %zu and %zu have the same key", j, i);
    }
    assert_true(n > 40);
    assert_false(fault_table_entry(n, FAULT_LANG_EN, &e));
    assert_false(fault_table_entry(0, FAULT_LANG_COUNT, &e));
}

static void test_field_picks_its_own_sentence(void **state)
{
    arena *a = *state;
    kite_fault subject = fault_of(KITE_ERR_INVALID_FIELD, "subject", FAULT_LENGTH);
    subject.limit = 200;
    assert_string_equal(fault_sentence(a, &subject, FAULT_LANG_EN),
                        "The subject must be one line of at most 200 characters.");
    kite_fault reason = fault_of(KITE_ERR_INVALID_FIELD, "reason", FAULT_LENGTH);
    reason.limit = 500;
    assert_string_equal(fault_sentence(a, &reason, FAULT_LANG_EN),
                        "The field \"reason\" must be text of at most 500 characters.");
    kite_fault status = fault_of(KITE_ERR_INVALID_FIELD, "status", FAULT_CHOICE);
    assert_string_equal(fault_sentence(a, &status, FAULT_LANG_EN), "The field \"status\" must be active or released.");
    kite_fault number = fault_of(KITE_ERR_INVALID_FIELD, "resident_number", FAULT_TRANSFER);
    assert_string_equal(fault_sentence(a, &number, FAULT_LANG_EN),
                        "The resident number does not have the new facility's format. Give the number used there.");
    kite_fault facility = fault_of(KITE_ERR_INVALID_FIELD, "to_facility_id", FAULT_TRANSFER);
    assert_string_equal(fault_sentence(a, &facility, FAULT_LANG_EN),
                        "Give an existing facility other than the current one.");
    kite_fault contact = fault_of(KITE_ERR_NOT_FOUND, "contact_id", FAULT_UNKNOWN);
    assert_string_equal(fault_sentence(a, &contact, FAULT_LANG_EN), "You have no contact with this id. Check your contacts.");
    /* The same code and detail without that field: the sentence for any field. */
    kite_fault name = fault_of(KITE_ERR_INVALID_FIELD, "first_name", FAULT_NAME);
    name.limit = 100;
    assert_string_equal(fault_sentence(a, &name, FAULT_LANG_EN),
                        "The field \"first_name\" must be 1 to 100 characters of text.");
    kite_fault registering = fault_of(KITE_ERR_INVALID_FIELD, "phone", FAULT_NOT_VALID);
    assert_string_equal(fault_sentence(a, &registering, FAULT_LANG_EN),
                        "The field \"phone\" is not valid. Correct it and try again.");
}

static void test_unknown_falls_back_to_the_generic_sentence(void **state)
{
    arena *a = *state;
    kite_fault none = fault_of(KITE_ERR_INVALID_FIELD, "email", FAULT_NONE);
    assert_string_equal(fault_sentence(a, &none, FAULT_LANG_EN), kite_err_message(KITE_ERR_INVALID_FIELD));
    kite_fault odd = fault_of(KITE_ERR_NOT_FOUND, "no_such_field", FAULT_UNKNOWN);
    assert_string_equal(fault_sentence(a, &odd, FAULT_LANG_EN), kite_err_message(KITE_ERR_NOT_FOUND));
    kite_fault gone = fault_of(KITE_ERR_GONE, NULL, FAULT_NONE);
    assert_string_equal(fault_sentence(a, &gone, FAULT_LANG_EN), kite_err_message(KITE_ERR_GONE));
    kite_fault weak = fault_of(KITE_ERR_WEAK_PASSWORD, "password", FAULT_NONE);
    assert_string_equal(fault_sentence(a, &weak, FAULT_LANG_EN), kite_err_message(KITE_ERR_WEAK_PASSWORD));
    kite_fault ok = {0};
    assert_string_equal(fault_sentence(a, &ok, FAULT_LANG_EN), kite_err_message(KITE_OK));
    /* A language Kite does not have answers in English rather than not at all. */
    assert_string_equal(fault_sentence(a, &gone, (fault_lang)99), kite_err_message(KITE_ERR_GONE));
}

static void test_set_and_settle(void **state)
{
    (void)state;
    kite_fault f;
    assert_int_equal(fault_set(&f, KITE_ERR_INVALID_FIELD, "note", FAULT_LENGTH), KITE_ERR_INVALID_FIELD);
    f.limit = 5;
    /* The same code keeps its details... */
    assert_int_equal(fault_settle(&f, KITE_ERR_INVALID_FIELD), KITE_ERR_INVALID_FIELD);
    assert_string_equal(f.field, "note");
    assert_int_equal(f.limit, 5);
    /* ...another drops them, and success leaves nothing behind. */
    assert_int_equal(fault_settle(&f, KITE_ERR_STORE), KITE_ERR_STORE);
    assert_null(f.field);
    assert_int_equal(f.detail, FAULT_NONE);
    assert_int_equal(f.limit, 0);
    assert_int_equal(fault_settle(&f, KITE_OK), KITE_OK);
    assert_int_equal(f.code, KITE_OK);
}

static void test_numbers_come_from_the_domain_constants(void **state)
{
    arena *a = *state;
    kite_ctx ctx = {0}; /* every check below refuses before the store or the clock is used */
    kite_fault f;
    char want[256];

    account sender = {.id = 1, .role = ROLE_CONTACT};
    char subject[SUBJECT_MAX_CHARS + 2];
    memset(subject, 's', sizeof subject - 1);
    subject[sizeof subject - 1] = '\0';
    message_draft d = {.contact_id = 1, .subject = subject, .body = "hello"};
    message m;
    bool replayed;
    assert_int_equal(message_send(&ctx, a, &sender, &d, &m, &replayed, &f), KITE_ERR_INVALID_FIELD);
    snprintf(want, sizeof want, "The subject must be one line of at most %d characters.", (int)SUBJECT_MAX_CHARS);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), want);
    assert_string_equal(f.field, "subject");

    account reviewer = {.id = 2, .role = ROLE_OPERATOR};
    char note[REVIEW_NOTE_MAX_CHARS + 2];
    memset(note, 'n', sizeof note - 1);
    note[sizeof note - 1] = '\0';
    assert_int_equal(review_decide(&ctx, a, &reviewer, 1, false, "x", note, &m, &f), KITE_ERR_INVALID_FIELD);
    snprintf(want, sizeof want, "The note must be text of at most %d characters.", (int)REVIEW_NOTE_MAX_CHARS);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), want);

    screening_rule rule = {.kind = RULE_PATTERN, .value = "(unclosed", .action = RULE_HOLD};
    screening_rule out;
    assert_int_equal(screening_rule_add(&ctx, a, 1, &rule, "test", &out, &f), KITE_ERR_INVALID_FIELD);
    const char *pattern = fault_sentence(a, &f, FAULT_LANG_EN);
    assert_non_null(strstr(pattern, "The field \"value\" is not a valid pattern: "));
    assert_non_null(strstr(pattern, " (at character 9)."));

    policy p;
    assert_int_equal(policy_defaults("federal", &p), KITE_OK);
    p.contact_limit = 0;
    assert_int_equal(policy_validate(&p, &f), KITE_ERR_INVALID_FIELD);
    const policy_field *limit = policy_field_find("contact_limit");
    snprintf(want, sizeof want, "The field \"contact_limit\" must be a whole number from %lld to %lld.",
             (long long)limit->min, (long long)limit->max);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), want);
    assert_int_equal(policy_defaults("federal", &p), KITE_OK);
    policy_choice_set(&p, policy_field_find("review"), "sometimes");
    assert_int_equal(policy_validate(&p, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), "The field \"review\" must be one of: all, flagged_only.");
}

static void test_waits_and_image_bounds(void **state)
{
    arena *a = *state;
    kite_fault f = fault_of(KITE_ERR_THROTTLED, NULL, FAULT_SIGN_IN);
    f.retry_after_ms = 29001;
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN),
                        "Too many sign-in attempts. For your safety, sign-in is paused: wait 30 seconds and try again.");
    f.retry_after_ms = 14 * 60 * 1000 + 1;
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN),
                        "Too many sign-in attempts. For your safety, sign-in is paused: wait about 15 minutes and try again.");

    /* The photo sentences say what the image helper's own messages say, from the same bounds. */
    static const struct {
        image_status status;
        fault_detail detail;
    } images[] = {
        {IMAGE_EMPTY, FAULT_IMAGE_EMPTY}, {IMAGE_UNKNOWN_TYPE, FAULT_IMAGE_UNKNOWN_TYPE},
        {IMAGE_TYPE_MISMATCH, FAULT_IMAGE_TYPE_MISMATCH}, {IMAGE_TOO_LARGE, FAULT_IMAGE_TOO_LARGE},
        {IMAGE_TOO_MANY_PIXELS, FAULT_IMAGE_TOO_MANY_PIXELS}, {IMAGE_UNREADABLE, FAULT_IMAGE_UNREADABLE},
        {IMAGE_FAILED, FAULT_IMAGE_FAILED},
    };
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
        bool too_large = images[i].status == IMAGE_TOO_LARGE;
        kite_fault photo = fault_of(too_large ? KITE_ERR_TOO_LARGE : KITE_ERR_BAD_IMAGE, NULL, images[i].detail);
        photo.limit = too_large ? IMAGE_UPLOAD_MAX_BYTES : IMAGE_MAX_PIXELS;
        photo.max = IMAGE_MAX_SIDE;
        assert_string_equal(fault_sentence(a, &photo, FAULT_LANG_EN), image_status_message(images[i].status));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_entry_is_a_sentence_and_reachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_picks_its_own_sentence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_falls_back_to_the_generic_sentence, setup, teardown),
        cmocka_unit_test(test_set_and_settle),
        cmocka_unit_test_setup_teardown(test_numbers_come_from_the_domain_constants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waits_and_image_bounds, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
