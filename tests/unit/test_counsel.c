/*
 * test_counsel.c - attorney registrations on a real store (domain/counsel):
 * the shape of a bar number and a state, who may register and decide, every
 * move of the registration's states (pending -> verified | refused,
 * verified -> revoked, registering again after a refusal or revocation) and
 * counsel_account_verified at each step, with the audit chain checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/secret.h"
#include "db/db.h"
#include "domain/audit/audit.h"
#include "domain/context.h"
#include "domain/counsel/attorney.h"
#include "domain/identity/account.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "temp_store.h"

typedef struct fixture {
    temp_store t;
    kite_ctx ctx;
    arena *a;
    account contact, operator_;
} fixture;

static account new_contact(fixture *f, const char *email)
{
    registration reg = {email, "correct horse battery", "Dana Counsel", "+1 202 555 0143", FAULT_LANG_EN};
    account acct;
    kite_fault fault;
    assert_int_equal(account_register(&f->ctx, f->a, &reg, NULL, &acct, &fault), KITE_OK);
    acct.email_verified_at = 1; /* as email_verify would leave it: attorney_register asks for it */
    return acct;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(&f->t, "counsel") != 0) {
        free(f);
        return -1;
    }
    f->ctx = (kite_ctx){.store = f->t.store, .passwords = password_gate_new(2, 0, 0), .session_ttl_ms = 3600000};
    f->a = arena_new();
    f->contact = new_contact(f, "dana@example.org");
    /* The operator: a real account (verified_by refers to it), seen with the operator's role. */
    f->operator_ = new_contact(f, "olive@example.org");
    f->operator_.role = ROLE_OPERATOR;
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

static void assert_chain(fixture *f)
{
    audit_report report = {.count = -1, .first_broken = -1};
    assert_int_equal(audit_verify(f->ctx.store, &report), KITE_OK);
    assert_int_equal(report.first_broken, 0);
}

struct verified_query {
    int64_t account_id;
    bool verified;
};

static kite_err verified_tx(db_conn *conn, void *data)
{
    struct verified_query *q = data;
    return counsel_account_verified(conn, q->account_id, &q->verified);
}

static bool verified_now(fixture *f, int64_t account_id)
{
    struct verified_query q = {account_id, true};
    assert_int_equal(db_read(f->ctx.store, verified_tx, &q), KITE_OK);
    return q.verified;
}

static attorney register_ok(fixture *f, const account *who, const char *number, const char *state)
{
    attorney t;
    kite_fault fault;
    assert_int_equal(attorney_register(&f->ctx, f->a, who, number, state, &t, &fault), KITE_OK);
    assert_int_equal(t.status, ATTORNEY_PENDING);
    return t;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_shapes(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *number, *state, *field;
    } bad[] = {
        {"", "TX", "bar_number"}, {"   ", "TX", "bar_number"}, {"ABC", "TX", "bar_number"},
        {"123456789012345678901", "TX", "bar_number"}, {"12 34", "TX", "bar_number"}, {"12<b>", "TX", "bar_number"},
        {"12\xc3\xa9", "TX", "bar_number"}, {NULL, "TX", "bar_number"}, {"12345", "ZZ", "bar_state"},
        {"12345", "T", "bar_state"}, {"12345", "TEX", "bar_state"}, {"12345", "", "bar_state"}, {"12345", NULL, "bar_state"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        attorney t;
        kite_fault fault;
        assert_int_equal(attorney_register(&f->ctx, f->a, &f->contact, bad[i].number, bad[i].state, &t, &fault),
                         KITE_ERR_INVALID_FIELD);
        assert_string_equal(fault.field, bad[i].field);
    }
    /* Trimmed, upper case; a territory's bar is a bar. */
    attorney t = register_ok(f, &f->contact, " gu-12-ab ", "gu");
    assert_string_equal(t.bar_number, "GU-12-AB");
    assert_string_equal(t.bar_state, "GU");
    assert_int_equal(t.verified_at, 0);
    assert_chain(f);
}

static void test_who_registers(void **state)
{
    fixture *f = *state;
    attorney t;
    kite_fault fault;
    account other = f->contact;
    static const role roles[] = {ROLE_RESIDENT, ROLE_REVIEWER, ROLE_INVESTIGATOR, ROLE_FACILITY_ADMIN, ROLE_OPERATOR};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        other.role = roles[i];
        assert_int_equal(attorney_register(&f->ctx, f->a, &other, "12345", "TX", &t, &fault), KITE_ERR_FORBIDDEN);
        assert_int_equal(fault.detail, FAULT_ATTORNEY_ROLE);
    }
    account unproven = f->contact;
    unproven.email_verified_at = 0;
    assert_int_equal(attorney_register(&f->ctx, f->a, &unproven, "12345", "TX", &t, &fault), KITE_ERR_EMAIL_NOT_VERIFIED);
    assert_int_equal(attorney_mine(&f->ctx, f->a, &f->contact, &t), KITE_ERR_NOT_FOUND);
    /* Nobody but an operator decides or lists. */
    register_ok(f, &f->contact, "12345", "TX");
    assert_int_equal(attorney_mine(&f->ctx, f->a, &f->contact, &t), KITE_OK);
    int64_t id = t.id;
    assert_int_equal(attorney_decide(&f->ctx, f->a, &f->contact, id, ATTORNEY_VERIFY, NULL, &t, &fault), KITE_ERR_FORBIDDEN);
    attorney *items;
    size_t count;
    bool more;
    assert_int_equal(attorney_list(&f->ctx, f->a, &f->contact, false, ATTORNEY_PENDING, 0, 10, &items, &count, &more),
                     KITE_ERR_FORBIDDEN);
    assert_int_equal(attorney_list(&f->ctx, f->a, &f->operator_, true, ATTORNEY_PENDING, 0, 10, &items, &count, &more),
                     KITE_OK);
    assert_int_equal(count, 1);
    assert_int_equal(items[0].id, id);
    assert_string_equal(items[0].full_name, "Dana Counsel");
    assert_false(verified_now(f, f->contact.id));
}

static void test_moves(void **state)
{
    fixture *f = *state;
    attorney t;
    kite_fault fault;
    int64_t id = register_ok(f, &f->contact, "TX-1", "TX").id;
    assert_int_equal(attorney_register(&f->ctx, f->a, &f->contact, "TX-2", "TX", &t, &fault), KITE_ERR_CONFLICT);
    assert_int_equal(fault.detail, FAULT_ATTORNEY_REGISTERED);
    /* A refusal needs a reason; a pending registration is verified by who and when. */
    assert_int_equal(attorney_decide(&f->ctx, f->a, &f->operator_, id, ATTORNEY_REFUSE, "  ", &t, &fault),
                     KITE_ERR_INVALID_FIELD);
    assert_string_equal(fault.field, "reason");
    assert_int_equal(attorney_decide(&f->ctx, f->a, &f->operator_, id, ATTORNEY_VERIFY, NULL, &t, &fault), KITE_OK);
    assert_int_equal(t.status, ATTORNEY_VERIFIED);
    assert_int_equal(t.verified_by, f->operator_.id);
    assert_true(t.verified_at > 0);
    assert_true(verified_now(f, f->contact.id));
    assert_int_equal(attorney_decide(&f->ctx, f->a, &f->operator_, id, ATTORNEY_VERIFY, NULL, &t, &fault),
                     KITE_ERR_ALREADY_DECIDED);
    assert_int_equal(fault.detail, FAULT_ATTORNEY_DECIDED);
    assert_int_equal(attorney_register(&f->ctx, f->a, &f->contact, "TX-2", "TX", &t, &fault), KITE_ERR_CONFLICT);
    /* Refusing a verified registration revokes it, keeping who verified it. */
    assert_int_equal(attorney_decide(&f->ctx, f->a, &f->operator_, id, ATTORNEY_REFUSE, "Suspended", &t, &fault), KITE_OK);
    assert_int_equal(t.status, ATTORNEY_REVOKED);
    assert_string_equal(t.reason, "Suspended");
    assert_int_equal(t.verified_by, f->operator_.id);
    assert_false(verified_now(f, f->contact.id));
    assert_int_equal(attorney_decide(&f->ctx, f->a, &f->operator_, id, ATTORNEY_REFUSE, "Again", &t, &fault),
                     KITE_ERR_ALREADY_DECIDED);
    assert_int_equal(attorney_decide(&f->ctx, f->a, &f->operator_, id, ATTORNEY_VERIFY, NULL, &t, &fault),
                     KITE_ERR_ALREADY_DECIDED);
    /* Registering again: the same row, pending, the reason gone; then refused outright. */
    t = register_ok(f, &f->contact, "TX-3", "TX");
    assert_int_equal(t.id, id);
    assert_null(t.reason);
    assert_int_equal(attorney_decide(&f->ctx, f->a, &f->operator_, id, ATTORNEY_REFUSE, "Not found", &t, &fault), KITE_OK);
    assert_int_equal(t.status, ATTORNEY_REFUSED);
    assert_false(verified_now(f, f->contact.id));
    assert_int_equal(attorney_decide(&f->ctx, f->a, &f->operator_, 99999, ATTORNEY_VERIFY, NULL, &t, &fault),
                     KITE_ERR_NOT_FOUND);
    assert_chain(f);
}

static void test_status_names(void **state)
{
    (void)state;
    for (int s = 0; s < ATTORNEY_STATUS_COUNT; s++) {
        attorney_status back;
        assert_true(attorney_status_parse(attorney_status_name((attorney_status)s), &back));
        assert_int_equal(back, s);
    }
    attorney_status out;
    assert_false(attorney_status_parse("approved", &out));
    assert_string_equal(attorney_status_name(ATTORNEY_STATUS_COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_who_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_moves, setup, teardown),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
