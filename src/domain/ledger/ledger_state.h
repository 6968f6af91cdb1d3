/*
 * ledger_state.h - the ledger's kinds and states, their stored names and
 * the moves of a hold.
 *
 * Design: like every state in Kite, these are enums with one name table
 * each; the names are what the store carries ("contact_balance", "held",
 * ...) and become enums where a row is read, names again where a row is
 * written, nowhere else.  What a kind of account may be (its units, its
 * owner, whether it may go below zero) is one table too (ledger_kind_rule),
 * so ledger_account_open and `kite ledger verify` ask the same question.
 *
 * The hold state machine (ledger_hold_transition_allowed):
 *   held -> captured   the thing paid for happened (a message was delivered)
 *   held -> released   it did not (rejected, withdrawn, the resident released)
 *   captured and released are final; nothing moves to itself.
 *
 * SECURITY: money.  Only two system accounts may go below zero, each in its
 * own units: processor_clearing in cents (money the card processor owes
 * Kite, negative by nature until the processor settles) and
 * provider_revenue in stamps and credits (the issuer of bundle units: its
 * balance is minus the units outstanding, and spent units come back to it).
 * A third, trust_fund in cents, is a facility's clearing account for what
 * its trust office pays into residents' trust accounts (wages, cash left at
 * the lobby): the money is in the facility's bank, not in Kite, so the
 * account runs below zero by what was deposited, as processor_clearing does
 * for cards.  Every other account is refused a debit that would take it below zero; the
 * rule table (ledger_state.c) is the single place that says so.
 */
#ifndef KITE_DOMAIN_LEDGER_LEDGER_STATE_H
#define KITE_DOMAIN_LEDGER_LEDGER_STATE_H

#include <stdbool.h>

typedef enum ledger_kind {
    LEDGER_CONTACT_BALANCE,    /* a contact's prepaid money */
    LEDGER_RESIDENT_TRUST,     /* a resident's trust account */
    LEDGER_PHONE_ACCOUNT,      /* a prepaid phone account */
    LEDGER_STAMPS,             /* stamps bought in a bundle */
    LEDGER_CREDITS,            /* credits bought in a bundle */
    LEDGER_HOLD,               /* what a payer has on hold, until captured or released */
    LEDGER_FACILITY_REVENUE,   /* a facility's share */
    LEDGER_PROVIDER_REVENUE,   /* the platform's share; in stamps and credits, their issuer */
    LEDGER_PROCESSOR_CLEARING, /* money in flight from the card processor (may go negative) */
    LEDGER_FEES,               /* fees charged (transfers, processing) */
    LEDGER_TRUST_FUND,         /* a facility's trust office: wages and lobby cash paid in (may go negative) */
    LEDGER_KIND_COUNT
} ledger_kind;

typedef enum ledger_unit {
    LEDGER_CENTS,
    LEDGER_UNIT_STAMPS,
    LEDGER_UNIT_CREDITS,
    LEDGER_UNIT_COUNT
} ledger_unit;

typedef enum ledger_tx_kind {
    LEDGER_TX_TOP_UP,     /* card -> contact balance */
    LEDGER_TX_PURCHASE,   /* balance -> stamps or credits bundle */
    LEDGER_TX_TRANSFER,   /* money sent to a resident's trust account */
    LEDGER_TX_DEPOSIT,    /* money into a phone account */
    LEDGER_TX_CALL,       /* a rated phone call */
    LEDGER_TX_FEE,
    LEDGER_TX_REFUND,
    LEDGER_TX_ADJUSTMENT, /* an operator's correction */
    LEDGER_TX_HOLD,       /* payer -> hold (ledger_hold only) */
    LEDGER_TX_CAPTURE,    /* hold -> revenue (ledger_capture only) */
    LEDGER_TX_RELEASE,    /* hold -> payer (ledger_release only) */
    LEDGER_TX_SUBSCRIPTION, /* balance -> the facility's revenue: months of a messaging subscription */
    LEDGER_TX_TERMINAL_TIME, /* trust account -> the facility's revenue: minutes at a tablet */
    LEDGER_TX_KIND_COUNT
} ledger_tx_kind;

/* What a hold pays for. */
typedef enum ledger_subject {
    LEDGER_SUBJECT_MESSAGE,
    LEDGER_SUBJECT_VISIT, /* a video visit (domain/visits): held at booking, captured for the minutes connected */
    LEDGER_SUBJECT_VISIT_MOVE, /* a visit moved to a slot of another price: its new hold (visit_moves.id) */
    LEDGER_SUBJECT_COUNT
} ledger_subject;

typedef enum ledger_hold_state {
    LEDGER_HELD,
    LEDGER_CAPTURED,
    LEDGER_RELEASED,
    LEDGER_HOLD_STATE_COUNT
} ledger_hold_state;

/* Which owners an account of a kind may have (ledger_kind_rule.owners). */
enum {
    LEDGER_OWNER_ACCOUNT = 1 << 0,
    LEDGER_OWNER_RESIDENT = 1 << 1,
    LEDGER_OWNER_FACILITY = 1 << 2,
};

typedef struct ledger_kind_rule {
    unsigned units;       /* a bit (1 << ledger_unit) for each unit allowed */
    unsigned owners;      /* LEDGER_OWNER_* bits that may be set; the others must be 0 */
    bool needs_person;    /* exactly one of account and resident */
    bool needs_facility;
    unsigned negative_units; /* a bit (1 << ledger_unit) for each unit in which it may go below zero */
} ledger_kind_rule;

/* The stored names; "unknown" for a value outside the enum. */
const char *ledger_kind_name(ledger_kind k);
const char *ledger_unit_name(ledger_unit u);
const char *ledger_tx_kind_name(ledger_tx_kind k);
const char *ledger_subject_name(ledger_subject s);
const char *ledger_hold_state_name(ledger_hold_state s);
/* False when name is NULL or not a value (*out unchanged). */
bool ledger_kind_parse(const char *name, ledger_kind *out);
bool ledger_unit_parse(const char *name, ledger_unit *out);
bool ledger_tx_kind_parse(const char *name, ledger_tx_kind *out);
bool ledger_subject_parse(const char *name, ledger_subject *out);
bool ledger_hold_state_parse(const char *name, ledger_hold_state *out);

/* The rule for kind k; NULL outside the enum. */
const ledger_kind_rule *ledger_kind_rule_of(ledger_kind k);
/* True when an account of kind k may hold unit u. */
bool ledger_kind_allows_unit(ledger_kind k, ledger_unit u);
/* True when an account of kind k in unit u may go below zero (allow_negative). */
bool ledger_kind_may_go_negative(ledger_kind k, ledger_unit u);
/* True for the transaction kinds only the hold functions post (hold, capture, release). */
bool ledger_tx_kind_is_hold_move(ledger_tx_kind k);

/* True when a hold in state `from` may move to `to` (see above). */
bool ledger_hold_transition_allowed(ledger_hold_state from, ledger_hold_state to);

#endif
