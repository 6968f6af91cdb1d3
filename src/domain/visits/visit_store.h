/*
 * visit_store.h - what visit.c and visit_book.c share inside the context:
 * the row reader, the audit record and the settling of a visit's hold.
 * Not for other contexts: they use visit.h.
 */
#ifndef KITE_DOMAIN_VISITS_VISIT_STORE_H
#define KITE_DOMAIN_VISITS_VISIT_STORE_H

#include "domain/visits/visit.h"

/* SELECT ... FROM visits v LEFT JOIN visit_policies p: append WHERE / ORDER BY. */
extern const char visit_select_sql[];
/* Room for visit_select_sql and what a caller appends to it. */
enum { VISIT_SQL_MAX = 2048 };

/* One row of visit_select_sql; false when a stored name is unknown. */
bool visit_row(db_stmt *s, visit_info *out);

/* The audit record of a change to v ("visit:<id>"); detail may be NULL. */
kite_err visit_audit(db_conn *conn, int64_t now, const char *actor, const char *action, const visit_info *v,
                     const char *detail) KITE_WUR;

/* Keeps amount (0 .. price) of v's hold as the facility's revenue and gives the rest back. */
kite_err visit_settle(db_conn *conn, int64_t now, const char *actor, const visit_info *v, int64_t amount) KITE_WUR;

/* The reasons Kite itself stores on a visit it calls off (visit_notice.c has them in each language, web/pages/visits.js too). */
#define VISIT_REASON_UNAPPROVED "Not approved before it began."
#define VISIT_REASON_RESIDENT_LEFT "The resident left the facility."
#define VISIT_REASON_CONTACT_ENDED "The contact is no longer active."

/* The sweeper's cancellation of a visit still pending when it began: full release, both sides told. */
kite_err visit_cancel_unapproved(db_conn *conn, const char *public_url, int64_t now, const visit_info *v) KITE_WUR;

/*
 * The sweeper's cancellation of a pending or approved visit whose contact is
 * no longer active (the resident removed it, the family blocked the resident
 * or deleted the account, a facility block, a transfer's suspension): full
 * release, both sides told.  Until then the live visit refuses both parties.
 */
kite_err visit_cancel_contact_ended(db_conn *conn, const char *public_url, int64_t now, const visit_info *v) KITE_WUR;

/* What a notice tells both sides (visit_notice.c). */
typedef enum visit_notice {
    VISIT_NOTICE_BOOKED,
    VISIT_NOTICE_APPROVED,
    VISIT_NOTICE_DECLINED,
    VISIT_NOTICE_CANCELLED,
    VISIT_NOTICE_RESCHEDULED,
    VISIT_NOTICE_MOVED_CHEAPER, /* moved to a slot of a lower price: the difference given back */
    VISIT_NOTICE_MOVED_DEARER,  /* moved to a slot of a higher price: the difference held */
    VISIT_NOTICE_COUNT
} visit_notice;

/*
 * Inside the change's transaction: an events row for the resident and the
 * contact (kind "visit.status"), and an email to the contact in its
 * language, the time in the facility's zone and named.  v as it is now.
 */
kite_err visit_notify(db_conn *conn, const char *public_url, int64_t now, const visit_info *v,
                      visit_notice what) KITE_WUR;

#endif
