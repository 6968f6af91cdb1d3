/*
 * cmd_demo.c - kite demo: a store with the real directory and a small,
 * believable world to try Kite in (make run): an operator; a federal prison
 * and a state prison on Kite with their staff and residents; a family member
 * who writes to one resident and has an invitation from another.  Running it
 * again changes nothing.
 *
 * Messages are paid for, so the people who write have money: the family
 * member tops up $50 (a card payment recorded as the sandbox's approved test
 * card would be; no processor is asked) and buys San Quentin's bundle of 50
 * stamps; San Quentin's trust office deposits $50 of wages into Dee's trust
 * account.  Federal messages cost nothing, so John needs nothing.
 *
 * Staff and the operator sign in with two-factor codes (domain/identity/totp.h)
 * like everywhere else: the demo enrols them all with one published secret,
 * printed below with the otpauth:// URI an authenticator app takes, so a
 * person trying Kite can sign in as staff.  It is a demo secret, as public
 * as the demo password; a real deployment's staff enrol their own.
 */
#include "cli/cli.h"

#include "domain/identity/account.h"
#include "domain/identity/email_verify.h"
#include "domain/identity/totp.h"
#include "domain/contacts/block.h"
#include "domain/contacts/contact.h"
#include "domain/contacts/contact_request.h"
#include "domain/contacts/invitation.h"
#include "domain/contacts/transfer.h"
#include "domain/directory/directory.h"
#include "domain/messaging/message.h"
#include "domain/facility/policy.h"
#include "domain/visits/visit.h"
#include "domain/facility/resident.h"
#include "domain/ledger/trust.h"
#include "domain/ledger/wallet.h"

#include <stdio.h>
#include <string.h>

static const char demo_password[] = "kite-demo-2026";
static const char demo_totp_secret[] = "KITEDEMOKITEDEMOKITEDEMOKITEDEMO"; /* 160 bits, base32 */

enum { FEDERAL_FACILITY = 2520 /* FCI COLEMAN LOW */, STATE_FACILITY = 5090 /* SAN QUENTIN STATE PRISON */ };

/*
 * The demo's tablet PINs.  Stores made by an older `kite demo` hold 4-digit
 * ones (before domain/facility/pin.h); they would still sign in, but the
 * sign-ins printed below would be wrong, so a demo PIN still at its old value
 * is moved to the new one (and nothing else is touched).
 */
typedef struct demo_pin {
    int facility_id;
    const char *number, *old_pin, *pin;
} demo_pin;
static const demo_pin demo_pins[] = {
    {FEDERAL_FACILITY, "12345-678", "1234", "583920"},
    {STATE_FACILITY, "K84021", "2468", "274615"},
};

typedef struct demo {
    cli_store store;
    arena *a;
    kite_err err;
    account family;
    account trust_office; /* San Quentin's facility_admin, who posts trust deposits */
} demo;

static void staff(demo *d, role r, const char *email, const char *name, int64_t facility_id)
{
    account acct;
    kite_fault fault;
    if (d->err != KITE_OK)
        return;
    d->err = account_create_staff(&d->store.ctx, d->a, r, email, name, demo_password, facility_id, &acct, &fault);
    if (d->err == KITE_ERR_EMAIL_TAKEN) {
        d->err = KITE_OK;
        return;
    }
    if (d->err == KITE_OK)
        d->err = totp_enrol_with_secret(&d->store.ctx, d->a, acct.id, demo_totp_secret, "cli");
    if (d->err == KITE_OK && r == ROLE_FACILITY_ADMIN && facility_id == STATE_FACILITY)
        d->trust_office = acct;
}

/* The family's balance and stamps, and Dee's trust money (see the top of this file). */
static void fund(demo *d, int64_t dee_resident_id)
{
    if (d->err != KITE_OK)
        return;
    card_summary card = {CARD_BRAND_VISA, "4242"};
    wallet_top_up t;
    bool replayed;
    kite_fault fault;
    if ((d->err = wallet_top_up_begin(&d->store.ctx, d->family.id, "demo-top-up", 5000, &card, &t, &replayed,
                                      &fault)) != KITE_OK)
        return;
    charge_result paid = {.outcome = CHARGE_APPROVED, .charge_id = "demo", .amount_cents = 5000, .card = card,
                          .http_status = 201};
    if ((d->err = wallet_top_up_settle(&d->store.ctx, t.id, "cli", &paid, &t)) != KITE_OK)
        return;
    wallet_purchase p;
    if ((d->err = wallet_bundle_buy(&d->store.ctx, d->a, d->family.id, "cli", "demo-stamps", STATE_FACILITY,
                                    LEDGER_UNIT_STAMPS, 50, &p, &replayed, &fault)) != KITE_OK)
        return;
    trust_deposit deposit;
    d->err = trust_deposit_post(&d->store.ctx, d->a, &d->trust_office, dee_resident_id, 5000, "Wages, kitchen",
                                "demo-wages", &deposit, &replayed, &fault);
}

static void put_on_platform(demo *d, int64_t facility_id, const char *profile)
{
    policy p = {0};
    bool created;
    if (d->err == KITE_OK && (d->err = policy_defaults(profile, &p)) == KITE_OK)
        d->err = policy_put(&d->store.ctx, d->a, facility_id, &p, "cli", true, &created);
}

static account resident_account(demo *d, int64_t facility_id, const char *number, const char *first, const char *last,
                                 const char *pin, int64_t *resident_id)
{
    account acct = {0};
    resident r = {0};
    kite_fault fault;
    resident_input in = {number, first, last, pin};
    if (d->err == KITE_OK)
        d->err = resident_add(&d->store.ctx, d->a, facility_id, &in, "cli", &r, &fault);
    if (d->err == KITE_OK) {
        acct.id = r.account_id;
        acct.role = ROLE_RESIDENT;
        acct.facility_id = facility_id;
        acct.full_name = arena_sprintf(d->a, "%s %s", first, last);
        *resident_id = r.id;
    }
    return acct;
}

/* San Quentin offers video visits: its zone, a kiosk, 30-minute slots on weekdays at 09:00, 10:00 and 14:00. */
static void visits(demo *d)
{
    kite_fault fault = {0};
    visit_policy p = {0};
    if ((d->err = visit_policy_get(&d->store.ctx, STATE_FACILITY, &p, &fault)) != KITE_OK)
        return;
    snprintf(p.time_zone, sizeof p.time_zone, "%s", "America/Los_Angeles");
    visit_policy stored;
    visit_room room;
    if ((d->err = visit_policy_save(&d->store.ctx, &d->trust_office, &p, &stored, &fault)) != KITE_OK ||
        (d->err = visit_room_add(&d->store.ctx, d->a, &d->trust_office, STATE_FACILITY, "Video kiosk 1", &room,
                                 &fault)) != KITE_OK)
        return;
    static const int starts[] = {9 * 60, 10 * 60, 14 * 60};
    for (int day = 1; day <= 5 && d->err == KITE_OK; day++)
        for (size_t i = 0; i < sizeof starts / sizeof starts[0] && d->err == KITE_OK; i++) {
            visit_slot in = {.facility_id = STATE_FACILITY, .room_id = room.id, .weekday = day,
                             .start_minute = starts[i], .length_minutes = 30, .capacity = 2}, out;
            d->err = visit_slot_add(&d->store.ctx, &d->trust_office, &in, &out, &fault);
        }
}

static void world(demo *d)
{
    put_on_platform(d, FEDERAL_FACILITY, "federal");
    put_on_platform(d, STATE_FACILITY, "jpay");
    staff(d, ROLE_FACILITY_ADMIN, "admin@coleman.demo.kite", "Grace Admin", FEDERAL_FACILITY);
    staff(d, ROLE_REVIEWER, "reviewer@coleman.demo.kite", "Ray Reviewer", FEDERAL_FACILITY);
    staff(d, ROLE_FACILITY_ADMIN, "admin@sanquentin.demo.kite", "Sam Admin", STATE_FACILITY);
    staff(d, ROLE_REVIEWER, "reviewer@sanquentin.demo.kite", "Rita Reviewer", STATE_FACILITY);
    int64_t john_id = 0, dee_id = 0;
    account john = resident_account(d, FEDERAL_FACILITY, "12345-678", "John", "Rivera", demo_pins[0].pin, &john_id);
    account dee = resident_account(d, STATE_FACILITY, "K84021", "Dee", "Morales", demo_pins[1].pin, &dee_id);
    if (d->err != KITE_OK)
        return;
    visits(d);
    if (d->err != KITE_OK)
        return;

    /* State prison: the family asks, the resident approves, and they write. */
    request_target target = {STATE_FACILITY, "K84021", NULL, NULL};
    contact_request q;
    kite_fault fault;
    if ((d->err = contact_request_create(&d->store.ctx, d->a, &d->family, &target, &q, &fault)) != KITE_OK ||
        (d->err = contact_request_decide(&d->store.ctx, d->a, &dee, q.id, true, &q)) != KITE_OK)
        return;
    contact_view *contacts;
    size_t n;
    if ((d->err = contact_list(&d->store.ctx, d->a, &d->family, &contacts, &n)) != KITE_OK || n == 0)
        return;
    fund(d, dee_id);
    if (d->err != KITE_OK)
        return;
    message m = {0};
    bool replayed;
    message_draft hello = {
        .contact_id = contacts[0].id,
        .subject = "Hi from home",
        .body = "Hi Dee, everyone says hello. The kids started school this week. Write soon! Love, Maria"};
    message_draft reply = {
        .contact_id = contacts[0].id,
        .subject = "Re: Hi from home",
        .body = "Thank you Maria. Tell the kids I am proud of them. I have a class on Tuesdays now."};
    if ((d->err = message_send(&d->store.ctx, d->a, &d->family, &hello, &m, &replayed, &fault)) != KITE_OK)
        return;
    if ((d->err = message_send(&d->store.ctx, d->a, &dee, &reply, &m, &replayed, &fault)) != KITE_OK)
        return;
    /* Federal prison: John has invited the family; the invitation email waits in the outbox. */
    invitation v;
    d->err = invitation_create(&d->store.ctx, d->a, &john, "family@demo.kite", &v, &fault);
}

struct pin_hash {
    arena *a;
    int64_t account_id;
    const char *hash;
};

static kite_err pin_hash_tx(db_conn *conn, void *data)
{
    struct pin_hash *in = data;
    account acct;
    return account_load_secret(conn, in->a, in->account_id, &acct, &in->hash);
}

static void refresh_old_pins(demo *d)
{
    for (size_t i = 0; d->err == KITE_OK && i < sizeof demo_pins / sizeof demo_pins[0]; i++) {
        const demo_pin *p = &demo_pins[i];
        resident r = {0}; /* zeroed: cppcheck cannot see resident_get fill it */
        struct pin_hash q = {d->a, 0, NULL};
        if (resident_get(&d->store.ctx, d->a, p->facility_id, p->number, &r) != KITE_OK)
            continue; /* not this demo's world: leave it be */
        q.account_id = r.account_id;
        if ((d->err = db_read(d->store.ctx.store, pin_hash_tx, &q)) != KITE_OK ||
            password_check(d->store.ctx.passwords, q.hash, p->old_pin) != KITE_OK)
            continue;
        resident_change change = {.pin = p->pin};
        kite_fault fault;
        d->err = resident_update(&d->store.ctx, d->a, p->facility_id, p->number, &change, "cli", &r, &fault);
    }
}

/* Whether the demo family's (confirmed) account exists: the world was built before. */
struct family_probe {
    arena *a;
    bool found;
};

static kite_err family_probe_tx(db_conn *conn, void *data)
{
    struct family_probe *p = data;
    account acct;
    kite_err err = account_load_verified(conn, p->a, "family@demo.kite", &acct, NULL);
    p->found = err == KITE_OK;
    return err == KITE_ERR_NOT_FOUND ? KITE_OK : err;
}

int cmd_demo(int argc, char **argv)
{
    const char *db_path, *data_dir;
    const cli_opt opts[] = {{"db", &db_path, "PATH"}, {"data", &data_dir, NULL}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite demo", "kite demo --db PATH [--data DIR]", opts, 0, 0};
    cli_args args;
    int status;
    if (!cli_parse_or_usage(&cmd, NULL, argc, argv, &args, &status))
        return status;
    demo d = {0};
    d.err = cli_store_open(cmd.name, db_path, &d.store);
    if (d.err != KITE_OK)
        return 1;
    d.a = arena_new();
    directory_import_report loaded;
    d.err = directory_ensure_loaded(&d.store.ctx, data_dir != NULL ? data_dir : KITE_DATA_DIR, &loaded);
    staff(&d, ROLE_OPERATOR, "operator@demo.kite", "Olivia Operator", 0);
    struct family_probe probe = {d.a, false};
    if (d.err == KITE_OK)
        d.err = db_read(d.store.ctx.store, family_probe_tx, &probe);
    if (d.err == KITE_OK && !probe.found) {
        /* A new store: build the world once.  The family's address counts as confirmed, as support would mark it. */
        registration reg = {"family@demo.kite", demo_password, "Maria Morales", "+1 555 010 2000", FAULT_LANG_EN};
        kite_fault fault;
        int64_t verified_id = 0;
        d.err = account_register(&d.store.ctx, d.a, &reg, "cli", &d.family, &fault);
        if (d.err == KITE_OK)
            d.err = email_verify_by_operator(&d.store.ctx, d.a, reg.email, &verified_id);
        if (d.err == KITE_OK) {
            d.family.email_verified_at = d.family.created_at; /* the copy the world's calls carry */
            world(&d);
        }
    } else if (d.err == KITE_OK) {
        refresh_old_pins(&d);
    }
    kite_err err = d.err;
    arena_free(d.a);
    cli_store_close(&d.store);
    if (err != KITE_OK) {
        fprintf(stderr, "kite demo: %s\n", kite_err_message(err));
        return 1;
    }
    printf("Demo sign-ins (password for every email account: %s)\n"
           "  operator                      operator@demo.kite\n"
           "  family member (contact)       family@demo.kite\n"
           "  FCI Coleman Low (federal)     admin@coleman.demo.kite, reviewer@coleman.demo.kite\n"
           "  San Quentin (JPay-like)       admin@sanquentin.demo.kite, reviewer@sanquentin.demo.kite\n"
           "                                (video visits on weekdays at 09:00, 10:00 and 14:00, Pacific time)\n"
           "  resident tablets (/tablet)    facility %d, number 12345-678, PIN %s (John Rivera)\n"
           "                                facility %d, number K84021, PIN %s (Dee Morales)\n"
           "Staff and the operator also give a two-factor code: add the demo secret %s to an\n"
           "authenticator app (otpauth://totp/Kite:demo?secret=%s&issuer=Kite), or print the current\n"
           "code with `oathtool --totp -b %s` (Debian package oathtool).\n"
           "Mail is not sent without --smtp: `kite outbox list --db %s` shows it.\n",
           demo_password, FEDERAL_FACILITY, demo_pins[0].pin, STATE_FACILITY, demo_pins[1].pin, demo_totp_secret,
           demo_totp_secret, demo_totp_secret, db_path);
    return 0;
}
