/*
 * ledger_state.c - names, account rules and the hold state machine of the
 * ledger (see ledger_state.h).
 *
 * SECURITY: money.  kind_rules is the one place that lets an account go
 * below zero (processor_clearing and trust_fund in cents, provider_revenue
 * in bundle units); a wrong bit here is a hole in every balance, so test_ledger
 * checks it for every kind and unit.
 */
#include "domain/ledger/ledger_state.h"

#include "core/text.h"

static const char *const kind_names[LEDGER_KIND_COUNT] = {
    [LEDGER_CONTACT_BALANCE] = "contact_balance",
    [LEDGER_RESIDENT_TRUST] = "resident_trust",
    [LEDGER_PHONE_ACCOUNT] = "phone_account",
    [LEDGER_STAMPS] = "stamps",
    [LEDGER_CREDITS] = "credits",
    [LEDGER_HOLD] = "hold",
    [LEDGER_FACILITY_REVENUE] = "facility_revenue",
    [LEDGER_PROVIDER_REVENUE] = "provider_revenue",
    [LEDGER_PROCESSOR_CLEARING] = "processor_clearing",
    [LEDGER_FEES] = "fees",
    [LEDGER_TRUST_FUND] = "trust_fund",
};

static const char *const unit_names[LEDGER_UNIT_COUNT] = {
    [LEDGER_CENTS] = "cents",
    [LEDGER_UNIT_STAMPS] = "stamps",
    [LEDGER_UNIT_CREDITS] = "credits",
};

static const char *const tx_kind_names[LEDGER_TX_KIND_COUNT] = {
    [LEDGER_TX_TOP_UP] = "top_up",
    [LEDGER_TX_PURCHASE] = "purchase",
    [LEDGER_TX_TRANSFER] = "transfer",
    [LEDGER_TX_DEPOSIT] = "deposit",
    [LEDGER_TX_CALL] = "call",
    [LEDGER_TX_FEE] = "fee",
    [LEDGER_TX_REFUND] = "refund",
    [LEDGER_TX_ADJUSTMENT] = "adjustment",
    [LEDGER_TX_HOLD] = "hold",
    [LEDGER_TX_CAPTURE] = "capture",
    [LEDGER_TX_RELEASE] = "release",
    [LEDGER_TX_SUBSCRIPTION] = "subscription",
    [LEDGER_TX_TERMINAL_TIME] = "terminal_time",
};

static const char *const subject_names[LEDGER_SUBJECT_COUNT] = {
    [LEDGER_SUBJECT_MESSAGE] = "message",
    [LEDGER_SUBJECT_VISIT] = "visit",
    [LEDGER_SUBJECT_VISIT_MOVE] = "visit_move",
};

static const char *const hold_state_names[LEDGER_HOLD_STATE_COUNT] = {
    [LEDGER_HELD] = "held",
    [LEDGER_CAPTURED] = "captured",
    [LEDGER_RELEASED] = "released",
};

#define UNIT(u) (1u << (u))
#define BUNDLES (UNIT(LEDGER_UNIT_STAMPS) | UNIT(LEDGER_UNIT_CREDITS))
#define ALL_UNITS (UNIT(LEDGER_CENTS) | BUNDLES)
#define PERSON (LEDGER_OWNER_ACCOUNT | LEDGER_OWNER_RESIDENT)
static const ledger_kind_rule kind_rules[LEDGER_KIND_COUNT] = {
    /* {units, owners, needs_person, needs_facility, negative_units} */
    [LEDGER_CONTACT_BALANCE] = {UNIT(LEDGER_CENTS), LEDGER_OWNER_ACCOUNT, true, false, 0},
    [LEDGER_RESIDENT_TRUST] = {UNIT(LEDGER_CENTS), LEDGER_OWNER_RESIDENT, true, false, 0},
    [LEDGER_PHONE_ACCOUNT] = {UNIT(LEDGER_CENTS), PERSON | LEDGER_OWNER_FACILITY, true, false, 0},
    [LEDGER_STAMPS] = {UNIT(LEDGER_UNIT_STAMPS), PERSON | LEDGER_OWNER_FACILITY, true, false, 0},
    [LEDGER_CREDITS] = {UNIT(LEDGER_UNIT_CREDITS), PERSON | LEDGER_OWNER_FACILITY, true, false, 0},
    /* A payer's holds, one account per payer owner and unit: its balance is what that payer has on hold. */
    [LEDGER_HOLD] = {ALL_UNITS, PERSON | LEDGER_OWNER_FACILITY, true, false, 0},
    [LEDGER_FACILITY_REVENUE] = {UNIT(LEDGER_CENTS), LEDGER_OWNER_FACILITY, false, true, 0},
    /* In stamps and credits it issues the units (below zero: units outstanding) and takes spent ones back. */
    [LEDGER_PROVIDER_REVENUE] = {ALL_UNITS, LEDGER_OWNER_FACILITY, false, false, BUNDLES},
    [LEDGER_PROCESSOR_CLEARING] = {UNIT(LEDGER_CENTS), 0, false, false, UNIT(LEDGER_CENTS)},
    [LEDGER_FEES] = {UNIT(LEDGER_CENTS), LEDGER_OWNER_FACILITY, false, false, 0},
    /* The facility's trust office: below zero by what it paid into trust accounts (see ledger_state.h). */
    [LEDGER_TRUST_FUND] = {UNIT(LEDGER_CENTS), LEDGER_OWNER_FACILITY, false, true, UNIT(LEDGER_CENTS)},
};
#undef PERSON
#undef ALL_UNITS
#undef BUNDLES
#undef UNIT

const char *ledger_kind_name(ledger_kind k)
{
    return (unsigned)k < LEDGER_KIND_COUNT ? kind_names[k] : "unknown";
}

const char *ledger_unit_name(ledger_unit u)
{
    return (unsigned)u < LEDGER_UNIT_COUNT ? unit_names[u] : "unknown";
}

const char *ledger_tx_kind_name(ledger_tx_kind k)
{
    return (unsigned)k < LEDGER_TX_KIND_COUNT ? tx_kind_names[k] : "unknown";
}

const char *ledger_subject_name(ledger_subject s)
{
    return (unsigned)s < LEDGER_SUBJECT_COUNT ? subject_names[s] : "unknown";
}

const char *ledger_hold_state_name(ledger_hold_state s)
{
    return (unsigned)s < LEDGER_HOLD_STATE_COUNT ? hold_state_names[s] : "unknown";
}

/* One parse for every table: the index of name, or count when it is none. */
static bool parse(const char *const *names, size_t count, const char *name, size_t *out)
{
    size_t i = text_index_of(names, count, name);
    if (i == count)
        return false;
    *out = i;
    return true;
}

bool ledger_kind_parse(const char *name, ledger_kind *out)
{
    size_t i;
    if (!parse(kind_names, LEDGER_KIND_COUNT, name, &i))
        return false;
    *out = (ledger_kind)i;
    return true;
}

bool ledger_unit_parse(const char *name, ledger_unit *out)
{
    size_t i;
    if (!parse(unit_names, LEDGER_UNIT_COUNT, name, &i))
        return false;
    *out = (ledger_unit)i;
    return true;
}

bool ledger_tx_kind_parse(const char *name, ledger_tx_kind *out)
{
    size_t i;
    if (!parse(tx_kind_names, LEDGER_TX_KIND_COUNT, name, &i))
        return false;
    *out = (ledger_tx_kind)i;
    return true;
}

bool ledger_subject_parse(const char *name, ledger_subject *out)
{
    size_t i;
    if (!parse(subject_names, LEDGER_SUBJECT_COUNT, name, &i))
        return false;
    *out = (ledger_subject)i;
    return true;
}

bool ledger_hold_state_parse(const char *name, ledger_hold_state *out)
{
    size_t i;
    if (!parse(hold_state_names, LEDGER_HOLD_STATE_COUNT, name, &i))
        return false;
    *out = (ledger_hold_state)i;
    return true;
}

const ledger_kind_rule *ledger_kind_rule_of(ledger_kind k)
{
    return (unsigned)k < LEDGER_KIND_COUNT ? &kind_rules[k] : NULL;
}

bool ledger_kind_allows_unit(ledger_kind k, ledger_unit u)
{
    return (unsigned)k < LEDGER_KIND_COUNT && (unsigned)u < LEDGER_UNIT_COUNT &&
           (kind_rules[k].units & (1u << u)) != 0;
}

bool ledger_kind_may_go_negative(ledger_kind k, ledger_unit u)
{
    return ledger_kind_allows_unit(k, u) && (kind_rules[k].negative_units & (1u << u)) != 0;
}

bool ledger_tx_kind_is_hold_move(ledger_tx_kind k)
{
    return k == LEDGER_TX_HOLD || k == LEDGER_TX_CAPTURE || k == LEDGER_TX_RELEASE;
}

/* moves[from] holds a bit for each state `from` may move to. */
static const unsigned hold_moves[LEDGER_HOLD_STATE_COUNT] = {
    [LEDGER_HELD] = (1u << LEDGER_CAPTURED) | (1u << LEDGER_RELEASED),
};

bool ledger_hold_transition_allowed(ledger_hold_state from, ledger_hold_state to)
{
    return (unsigned)from < LEDGER_HOLD_STATE_COUNT && (unsigned)to < LEDGER_HOLD_STATE_COUNT &&
           (hold_moves[from] & (1u << to)) != 0;
}
