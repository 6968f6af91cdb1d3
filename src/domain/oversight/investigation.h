/*
 * investigation.h - investigators search their facility's messages, and see
 * who writes to whom.
 *
 * Who: an investigator of the facility, or an operator.  Staff of another
 * facility get KITE_ERR_NOT_FOUND (the facility might as well not exist);
 * any other role KITE_ERR_FORBIDDEN.  Every search and every correspondents
 * view writes an audit record with its parameters and what it showed,
 * committed before the answer is given (see README.md).
 */
#ifndef KITE_DOMAIN_OVERSIGHT_INVESTIGATION_H
#define KITE_DOMAIN_OVERSIGHT_INVESTIGATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/identity/account.h"
#include "domain/messaging/message_state.h"

enum {
    INVESTIGATION_QUERY_MAX_BYTES = 1000, /* q */
    INVESTIGATION_TERMS_MAX = 8,          /* words and quoted phrases in q */
    INVESTIGATION_PHRASE_WORDS_MAX = 16,  /* words in one quoted phrase */
    INVESTIGATION_PAGE_MAX = 100,
    INVESTIGATION_OFFSET_MAX = 10000,     /* how deep paging goes: refine the search beyond */
    INVESTIGATION_PERSON_MAX_BYTES = 320,
    INVESTIGATION_CORRESPONDENTS_MAX = 500,
};

/* What the investigator asked; strings as sent (NULL or "" when absent), checked by the search. */
typedef struct investigation_query {
    int64_t facility_id;
    const char *q;      /* words, and phrases in double quotes; every one must match */
    const char *person; /* a resident number, a contact's email, or "contact:ID" (a contact's account id) */
    const char *from;   /* YYYY-MM-DD (from the day's start) or RFC 3339 */
    const char *to;     /* YYYY-MM-DD (to the day's end) or RFC 3339 (inclusive) */
    const char *status; /* a message status name */
    int64_t rule_id;    /* a screening rule the message matched; 0: any */
    const char *cursor; /* the next_cursor of the previous page */
    size_t limit;
} investigation_query;

/* One side of a message: a resident (resident_number set) or a contact (NULL). */
typedef struct investigation_party {
    int64_t account_id;
    const char *name;
    const char *resident_number;
} investigation_party;

/* The matched words of a snippet: [start, end) in Unicode code points of the snippet. */
typedef struct investigation_mark {
    size_t start, end;
} investigation_mark;

typedef struct investigation_hit {
    int64_t message_id, created_at;
    message_status status;
    investigation_party sender, recipient;
    const char *subject;
    const char *snippet; /* plain text cut from the body, never markup */
    investigation_mark *marks;
    size_t mark_count;
    int64_t rank; /* 1 is the best match of the whole search, then 2 ... */
} investigation_hit;

typedef struct investigation_page {
    investigation_hit *items;
    size_t count;
    const char *next_cursor; /* NULL at the end */
} investigation_page;

/*
 * A page of the facility's messages that match every part of the query,
 * best match first (newest first without words).  *fault names the
 * parameter with KITE_ERR_INVALID_FIELD: "q" (FAULT_LENGTH with limit,
 * FAULT_SEARCH_TERMS, FAULT_NO_WORDS), "person", "from", "to", "status",
 * "cursor".
 */
kite_err investigation_search(const kite_ctx *ctx, arena *a, const account *caller, const investigation_query *q,
                              investigation_page *out, kite_fault *fault) KITE_WUR;

/* Someone a person wrote to or heard from at the facility. */
typedef struct correspondent {
    investigation_party party;
    const char *email;        /* a contact's address (NULL for a resident, or a deleted account) */
    int64_t sent;             /* messages from the person to this correspondent */
    int64_t received;         /* messages from this correspondent to the person */
    int64_t first_at, last_at;
    int64_t residents;        /* a contact: how many residents of the facility they exchange messages with */
} correspondent;

typedef struct correspondents_page {
    investigation_party person;
    correspondent *items;
    size_t count;
} correspondents_page;

/*
 * Who writes to whom: for a resident of the facility (resident_number) each
 * contact they exchanged messages with; for a contact (contact_id, their
 * account id) each resident of the facility.  Exactly one of the two
 * (else KITE_ERR_INVALID_FIELD, FAULT_INVESTIGATION_PERSON); an unknown
 * resident number is KITE_ERR_NOT_FOUND naming "resident_number".  Most
 * recent correspondence first, at most INVESTIGATION_CORRESPONDENTS_MAX.
 */
kite_err investigation_correspondents(const kite_ctx *ctx, arena *a, const account *caller, int64_t facility_id,
                                      const char *resident_number, int64_t contact_id, correspondents_page *out,
                                      kite_fault *fault) KITE_WUR;

/* Who may investigate facility_id: KITE_OK, KITE_ERR_NOT_FOUND (another facility's staff) or KITE_ERR_FORBIDDEN. */
kite_err investigation_allowed(const account *caller, int64_t facility_id) KITE_WUR;

#endif
