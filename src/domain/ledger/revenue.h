/*
 * revenue.h - what a facility earned over a period, read from the ledger.
 *
 * Design: revenue is kept per facility (README.md, "Revenue is kept per
 * facility"): the facility_revenue, provider_revenue and fees accounts
 * that earn from a facility's service have it as their owner.  The report
 * sums, per kind of ledger transaction (purchase of bundles, capture of a
 * message's hold, transfer, call, fee, ...), the signed cents the period's
 * transactions moved into those accounts (a refund out of them counts
 * against), and counts the transactions.  Stamps and credits are not money:
 * they are reported apart, as counts, from the facility's provider_revenue
 * accounts in those units (their issuer): units sold leave it, units spent
 * come back to it.  A transaction kind appears once anything of its kind
 * touched those accounts in the period; kinds added to ledger_tx_kind later
 * (terminal time, subscriptions, ...) appear with no change here.
 *
 * A period is whole UTC days, from its first day's midnight to the
 * midnight after its last day; revenue_period_parse reads it from
 * "YYYY-MM-DD" text, for the API to check before anything is read.
 *
 * SECURITY: money, and a facility's business: the caller (api/) decides
 * who may read which facility's report.  Dates are parsed strictly (digits
 * and dashes only, a real calendar day) into integers; every query is
 * bound.  Sums are bounded by the ledger's own limits on amounts.
 */
#ifndef KITE_DOMAIN_LEDGER_REVENUE_H
#define KITE_DOMAIN_LEDGER_REVENUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/ledger/ledger_state.h"

/* The longest period one report covers: ten years and some leap days. */
#define REVENUE_MAX_DAYS 3660

/* The revenue accounts a report sums, in the order their columns are shown. */
typedef enum revenue_account {
    REVENUE_FACILITY,  /* facility_revenue */
    REVENUE_PROVIDER,  /* provider_revenue, in cents */
    REVENUE_FEES,      /* fees owned by the facility */
    REVENUE_ACCOUNT_COUNT
} revenue_account;

/* "facility_revenue", "provider_revenue", "fees": the ledger's names of the kinds. */
const char *revenue_account_name(revenue_account r);

typedef struct revenue_line {
    ledger_tx_kind kind;                     /* LEDGER_TX_KIND_COUNT on the totals line */
    int64_t transactions;                    /* how many of this kind touched the accounts */
    int64_t cents[REVENUE_ACCOUNT_COUNT];    /* signed cents into each account */
    int64_t total_cents;                     /* their sum */
    int64_t units_sold[LEDGER_UNIT_COUNT];   /* stamps and credits issued (the cents slot stays 0) */
    int64_t units_spent[LEDGER_UNIT_COUNT];  /* stamps and credits spent and come back */
} revenue_line;

typedef struct revenue_report {
    int64_t facility_id;
    int64_t from_ms, to_ms;                  /* [from, to): the period */
    revenue_line lines[LEDGER_TX_KIND_COUNT]; /* in ledger_tx_kind order, only kinds that occurred */
    size_t count;
    revenue_line total;
} revenue_report;

/*
 * The period from the first to the last day, both included, as epoch ms
 * [*from_ms, *to_ms).  KITE_ERR_INVALID_FIELD naming "from" or "to":
 * FAULT_REQUIRED (NULL or empty), FAULT_DATE (not a calendar day written
 * YYYY-MM-DD, or before 1970), FAULT_DATE_ORDER on "to" (before from, or a
 * period longer than REVENUE_MAX_DAYS: limit).
 */
kite_err revenue_period_parse(const char *from, const char *to, int64_t *from_ms, int64_t *to_ms,
                              kite_fault *fault) KITE_WUR;

/*
 * The report of facility_id for [from_ms, to_ms).  KITE_ERR_NOT_FOUND
 * (FAULT_POLICY) when the facility is not on Kite; KITE_ERR_INTERNAL when
 * the ledger holds a transaction kind Kite does not know.
 */
kite_err revenue_report_get(const kite_ctx *ctx, int64_t facility_id, int64_t from_ms, int64_t to_ms,
                            revenue_report *out, kite_fault *fault) KITE_WUR;

#endif
