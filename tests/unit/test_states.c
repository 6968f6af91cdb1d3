/*
 * test_states.c - the state machines of messages, contact requests,
 * invitations and contacts: every allowed move is allowed, every other
 * (from, to) pair - staying put and values outside the enum included - is
 * refused; and every state's name is the exact string the store and the API
 * carry, and parses back.
 *
 * The allowed moves are written out here again, from the flows themselves,
 * rather than read from the tables under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "domain/contacts/contact_state.h"
#include "domain/facility/policy.h"
#include "domain/facility/resident.h"
#include "domain/identity/account.h"
#include "domain/messaging/message_state.h"
#include "domain/messaging/screening.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct move {
    int from, to;
} move;

static bool listed(const move *moves, size_t n, int from, int to)
{
    for (size_t i = 0; i < n; i++)
        if (moves[i].from == from && moves[i].to == to)
            return true;
    return false;
}

/* Walks every pair over 0..count (count itself standing for a value outside the enum). */
#define CHECK_MACHINE(allowed_fn, type, count, moves)                                                   \
    do {                                                                                                \
        size_t n_ = sizeof(moves) / sizeof(moves)[0];                                                   \
        size_t seen_ = 0;                                                                               \
        for (int f_ = 0; f_ <= (int)(count); f_++) {                                                    \
            for (int t_ = 0; t_ <= (int)(count); t_++) {                                                \
                bool want_ = listed(moves, n_, f_, t_);                                                 \
                bool got_ = allowed_fn((type)f_, (type)t_);                                             \
                if (want_ != got_)                                                                      \
                    fail_msg("%s(%d, %d) is %s, expected %s", #allowed_fn, f_, t_, got_ ? "allowed" : "refused", \
                             want_ ? "allowed" : "refused");                                           \
                seen_ += got_;                                                                          \
            }                                                                                           \
        }                                                                                               \
        assert_int_equal(seen_, n_);                                                                    \
    } while (0)

static void test_message_machine(void **state)
{
    (void)state;
    static const move moves[] = {
        {MESSAGE_PENDING_REVIEW, MESSAGE_APPROVED}, /* a reviewer approves; or flagged_only and clean */
        {MESSAGE_PENDING_REVIEW, MESSAGE_REJECTED}, /* a reviewer rejects */
        {MESSAGE_APPROVED, MESSAGE_DELIVERED},      /* delivered at once */
        {MESSAGE_DELIVERED, MESSAGE_READ},          /* the recipient opens it */
        {MESSAGE_PENDING_REVIEW, MESSAGE_WITHDRAWN}, /* the sender takes it back before review */
    };
    CHECK_MACHINE(message_transition_allowed, message_status, MESSAGE_STATUS_COUNT, moves);
}

static void test_contact_request_machine(void **state)
{
    (void)state;
    static const move moves[] = {
        {REQUEST_PENDING, REQUEST_APPROVED},  /* the resident, or the review window */
        {REQUEST_PENDING, REQUEST_DECLINED},  /* the resident */
        {REQUEST_PENDING, REQUEST_CANCELLED}, /* contact ended, facility block, transfer, window refused */
    };
    CHECK_MACHINE(contact_request_transition_allowed, contact_request_status, REQUEST_STATUS_COUNT, moves);
}

static void test_invitation_machine(void **state)
{
    (void)state;
    static const move moves[] = {
        {INVITATION_PENDING, INVITATION_ACCEPTED}, /* the invited contact accepts in time */
        {INVITATION_PENDING, INVITATION_REVOKED},  /* replaced, facility block, transfer */
        {INVITATION_PENDING, INVITATION_EXPIRED},  /* its validity passes */
    };
    CHECK_MACHINE(invitation_transition_allowed, invitation_status, INVITATION_STATUS_COUNT, moves);
}

static void test_contact_machine(void **state)
{
    (void)state;
    static const move moves[] = {
        {CONTACT_ACTIVE, CONTACT_REMOVED},             /* the resident removes */
        {CONTACT_ACTIVE, CONTACT_BLOCKED},             /* the contact blocks */
        {CONTACT_ACTIVE, CONTACT_SUSPENDED},           /* over the limit after a transfer */
        {CONTACT_ACTIVE, CONTACT_FACILITY_BLOCKED},    /* a facility block */
        {CONTACT_SUSPENDED, CONTACT_ACTIVE},           /* renewed */
        {CONTACT_SUSPENDED, CONTACT_REMOVED},
        {CONTACT_SUSPENDED, CONTACT_BLOCKED},
        {CONTACT_SUSPENDED, CONTACT_FACILITY_BLOCKED},
        {CONTACT_REMOVED, CONTACT_ACTIVE},             /* renewed */
        {CONTACT_REMOVED, CONTACT_BLOCKED},            /* the contact blocks after removal */
        {CONTACT_REMOVED, CONTACT_FACILITY_BLOCKED},
        {CONTACT_FACILITY_BLOCKED, CONTACT_ACTIVE},    /* renewed once the block is lifted */
    };
    CHECK_MACHINE(contact_transition_allowed, contact_status, CONTACT_STATUS_COUNT, moves);
}

static void test_invitation_expiry(void **state)
{
    (void)state;
    assert_int_equal(invitation_status_at(INVITATION_PENDING, 1000, 999), INVITATION_PENDING);
    assert_int_equal(invitation_status_at(INVITATION_PENDING, 1000, 1000), INVITATION_EXPIRED);
    assert_int_equal(invitation_status_at(INVITATION_ACCEPTED, 1000, 5000), INVITATION_ACCEPTED);
    assert_int_equal(invitation_status_at(INVITATION_REVOKED, 1000, 5000), INVITATION_REVOKED);
}

/* Each value's name is the expected string, parses back to the value; other names do not parse. */
#define CHECK_NAMES(name_fn, parse_fn, type, count, ...)                                    \
    do {                                                                                    \
        static const char *const want_[] = {__VA_ARGS__};                                   \
        assert_int_equal(sizeof want_ / sizeof want_[0], (count));                          \
        for (int i_ = 0; i_ < (int)(count); i_++) {                                         \
            assert_string_equal(name_fn((type)i_), want_[i_]);                              \
            type back_ = (type)0;                                                           \
            assert_true(parse_fn(want_[i_], &back_));                                       \
            assert_int_equal(back_, i_);                                                    \
        }                                                                                   \
        assert_string_equal(name_fn((type)(count)), "unknown");                             \
        type keep_ = (type)0;                                                               \
        assert_false(parse_fn("unknown", &keep_));                                          \
        assert_false(parse_fn(NULL, &keep_));                                               \
        assert_false(parse_fn("", &keep_));                                                 \
        assert_int_equal(keep_, 0);                                                         \
    } while (0)

static void test_names(void **state)
{
    (void)state;
    CHECK_NAMES(message_status_name, message_status_parse, message_status, MESSAGE_STATUS_COUNT,
                "pending_review", "approved", "delivered", "read", "rejected", "withdrawn");
    CHECK_NAMES(message_direction_name, message_direction_parse, message_direction, MESSAGE_DIRECTION_COUNT,
                "to_resident", "from_resident");
    CHECK_NAMES(contact_status_name, contact_status_parse, contact_status, CONTACT_STATUS_COUNT,
                "active", "suspended", "removed", "blocked", "facility_blocked");
    CHECK_NAMES(contact_request_status_name, contact_request_status_parse, contact_request_status,
                REQUEST_STATUS_COUNT, "pending", "approved", "declined", "cancelled");
    CHECK_NAMES(invitation_status_name, invitation_status_parse, invitation_status, INVITATION_STATUS_COUNT,
                "pending", "accepted", "revoked", "expired");
    CHECK_NAMES(resident_status_name, resident_status_parse, resident_status, RESIDENT_STATUS_COUNT,
                "active", "released");
    CHECK_NAMES(account_status_name, account_status_parse, account_status, ACCOUNT_STATUS_COUNT,
                "active", "disabled", "deleted");
    CHECK_NAMES(rule_kind_name, rule_kind_parse, rule_kind, RULE_KIND_COUNT,
                "words", "pattern", "watch_resident", "watch_email");
    CHECK_NAMES(rule_action_name, rule_action_parse, rule_action, RULE_ACTION_COUNT, "flag", "hold");
}

/* Policy choices go through policy_fields: each name sets its enum, others are kept for validation to refuse. */
static void test_policy_choices(void **state)
{
    (void)state;
    policy p;
    assert_int_equal(policy_defaults("connectnetwork", &p), KITE_OK);
    assert_int_equal(p.profile, PROFILE_CONNECTNETWORK);
    assert_int_equal(p.approval, APPROVAL_RESIDENT_OR_WINDOW);
    assert_int_equal(p.request_lookup, LOOKUP_NUMBER_OR_NAME);
    assert_int_equal(policy_defaults("corrlinks", &p), KITE_ERR_INVALID_FIELD);
    assert_int_equal(policy_defaults("federal", &p), KITE_OK);
    assert_int_equal(p.resident_number_format, NUMBER_FORMAT_BOP);

    const policy_field *review = policy_field_find("review");
    assert_non_null(review);
    assert_int_equal(review->kind, POLICY_CHOICE);
    assert_string_equal(policy_choice_name(&p, review), "all");
    policy_choice_set(&p, review, "flagged_only");
    assert_int_equal(p.review, REVIEW_FLAGGED_ONLY);
    assert_string_equal(policy_choice_name(&p, review), "flagged_only");
    kite_fault fault;
    assert_int_equal(policy_validate(&p, &fault), KITE_OK);

    policy_choice_set(&p, review, "some");
    assert_string_equal(policy_choice_name(&p, review), "unknown");
    assert_int_equal(policy_validate(&p, &fault), KITE_ERR_INVALID_FIELD);
    assert_string_equal(fault.field, "review");

    /* Every choice field's names round-trip. */
    for (size_t i = 0; i < policy_field_count; i++) {
        const policy_field *f = &policy_fields[i];
        if (f->kind != POLICY_CHOICE)
            continue;
        assert_null(f->choices[f->choice_count]);
        for (size_t c = 0; c < f->choice_count; c++) {
            policy_choice_set(&p, f, f->choices[c]);
            assert_string_equal(policy_choice_name(&p, f), f->choices[c]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message_machine),
        cmocka_unit_test(test_contact_request_machine),
        cmocka_unit_test(test_invitation_machine),
        cmocka_unit_test(test_contact_machine),
        cmocka_unit_test(test_invitation_expiry),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_policy_choices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
