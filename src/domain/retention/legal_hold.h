/*
 * legal_hold.h - holds that keep a facility's messages past their retention.
 *
 * An investigator (or a facility admin, or an operator) places a hold with
 * a case reference on one of three subjects at one facility:
 *   resident         every message of that resident at the facility;
 *   contact_account  every message of that family member at the facility,
 *                    with any resident;
 *   thread           every message of one contact (one resident and one
 *                    family member: the contact_id of a message).
 * While any hold that is not lifted covers a message, the purge
 * (retention/purge.h) keeps its text and its photos; once the last such
 * hold is lifted, the next purge takes what is due.  A hold is never
 * deleted: who placed it and when, who lifted it and when stay, and each
 * is also an audit record.
 */
#ifndef KITE_DOMAIN_RETENTION_LEGAL_HOLD_H
#define KITE_DOMAIN_RETENTION_LEGAL_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/identity/account.h"

typedef enum legal_hold_kind {
    LEGAL_HOLD_RESIDENT,
    LEGAL_HOLD_CONTACT_ACCOUNT,
    LEGAL_HOLD_THREAD,
    LEGAL_HOLD_KIND_COUNT
} legal_hold_kind;

/* The name the store and the API carry ("contact_account"); parse is false for any other name. */
const char *legal_hold_kind_name(legal_hold_kind k);
bool legal_hold_kind_parse(const char *name, legal_hold_kind *out);

enum { LEGAL_HOLD_CASE_MAX_CHARS = 100, LEGAL_HOLD_NOTE_MAX_CHARS = 500, LEGAL_HOLD_PAGE_DEFAULT = 50,
       LEGAL_HOLD_PAGE_MAX = 100 };

typedef struct legal_hold {
    int64_t id, facility_id;
    legal_hold_kind kind;
    int64_t subject_id;          /* residents.id, accounts.id or contacts.id, by kind */
    const char *subject_label;   /* for people: a resident's number and name, a contact's name and email */
    const char *case_reference, *note;
    int64_t placed_by, placed_at;
    int64_t lifted_by, lifted_at; /* 0 while the hold stands */
    int64_t messages;             /* messages at the facility it covers now */
} legal_hold;

/* What a caller asks to hold; resident_number may name the resident instead of subject_id. */
typedef struct legal_hold_request {
    int64_t facility_id;
    const char *kind;
    int64_t subject_id;
    const char *resident_number;
    const char *case_reference;
    const char *note; /* may be NULL */
} legal_hold_request;

/*
 * Who may hold and lift: the facility's investigators and admins, and
 * operators.  Another facility's staff KITE_ERR_NOT_FOUND; everyone else
 * KITE_ERR_FORBIDDEN.
 */
kite_err legal_hold_allowed(const account *caller, int64_t facility_id) KITE_WUR;

/*
 * Places a hold (audited "legal_hold.place").  KITE_ERR_INVALID_FIELD with
 * the fault naming subject_kind, subject_id (nobody of that kind belongs to
 * the facility), case_reference or note.
 */
kite_err legal_hold_place(const kite_ctx *ctx, arena *a, const account *caller, const legal_hold_request *r,
                          legal_hold *out, kite_fault *fault) KITE_WUR;

/*
 * A page of the facility's holds: standing first, then lifted ones (only
 * when all), each group newest first (by id: ids grow with time).  The
 * cursor is the next_cursor of the page before ("GROUP.ID", 0 standing and
 * 1 lifted: keyset, so holds placed meanwhile do not shift the pages; a hold
 * lifted while someone pages moves to the later group and may be seen twice).
 */
typedef struct legal_hold_page_query {
    int64_t facility_id;
    bool all;
    const char *cursor; /* NULL or "" for the first page */
    size_t limit;       /* 1..LEGAL_HOLD_PAGE_MAX */
} legal_hold_page_query;

typedef struct legal_hold_page {
    legal_hold *items;
    size_t count;
    const char *next_cursor; /* NULL on the last page */
} legal_hold_page;

/* KITE_ERR_INVALID_FIELD "cursor" (FAULT_UNKNOWN) for a cursor this did not write. */
kite_err legal_hold_list(const kite_ctx *ctx, arena *a, const account *caller, const legal_hold_page_query *q,
                         legal_hold_page *out, kite_fault *fault) KITE_WUR;

/*
 * Lifts a hold (audited "legal_hold.lift").  KITE_ERR_NOT_FOUND (fault
 * FAULT_LEGAL_HOLD) for no such hold in the caller's scope, KITE_ERR_CONFLICT
 * when it was lifted already.
 */
kite_err legal_hold_lift(const kite_ctx *ctx, arena *a, const account *caller, int64_t hold_id, legal_hold *out,
                         kite_fault *fault) KITE_WUR;

/*
 * The SQL condition "no standing hold covers message m" (m aliased "m"),
 * for the purge's statements: one spelling of what a hold covers.
 */
#define LEGAL_HOLD_NONE_COVERS                                                                               \
    " NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.facility_id = m.facility_id AND h.lifted_at IS NULL"   \
    " AND ((h.subject_kind = 'resident' AND h.subject_id = m.resident_id)"                                   \
    " OR (h.subject_kind = 'thread' AND h.subject_id = m.contact_id)"                                        \
    " OR (h.subject_kind = 'contact_account' AND (h.subject_id = m.sender_account_id"                        \
    " OR h.subject_id = m.recipient_account_id))))"

#endif
