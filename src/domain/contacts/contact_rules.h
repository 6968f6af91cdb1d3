/*
 * contact_rules.h - the checks every contact flow shares (internal to
 * contact.c, invitation.c and contact_request.c).  All run inside the
 * caller's transaction, so a check and the change it allows are atomic.
 */
#ifndef KITE_DOMAIN_CONTACTS_CONTACT_RULES_H
#define KITE_DOMAIN_CONTACTS_CONTACT_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "db/db.h"
#include "domain/contacts/contact_state.h"
#include "domain/facility/policy.h"
#include "domain/facility/resident.h"

typedef struct resident_place {
    resident r;
    bool on_platform; /* the resident's facility has a policy */
    policy p;         /* valid when on_platform */
    const char *facility_name;
} resident_place;

kite_err rules_load_place(db_conn *conn, arena *a, int64_t resident_id, resident_place *out) KITE_WUR;
/* KITE_ERR_RESIDENT_UNREACHABLE when released or at a facility Kite does not serve. */
kite_err rules_reachable(const resident_place *place) KITE_WUR;
/* KITE_ERR_CONTACT_BLOCKED when a facility block covers email for this resident. */
kite_err rules_check_facility_blocks(db_conn *conn, int64_t facility_id, int64_t resident_id, const char *email) KITE_WUR;
/*
 * The state of the pair: KITE_ERR_CONTACT_BLOCKED when either side or the
 * facility blocked it, KITE_ERR_ALREADY_CONTACTS when active.
 */
kite_err rules_check_pair(db_conn *conn, int64_t resident_id, int64_t contact_account_id) KITE_WUR;
/*
 * Whether messages may go over a contact in this state: KITE_ERR_CONTACT_BLOCKED
 * when either side or the facility blocked it, KITE_ERR_CONTACT_NOT_ACTIVE
 * when it is not active otherwise.
 */
kite_err rules_contact_open(contact_status status) KITE_WUR;
/* KITE_ERR_CONTACT_LIMIT_REACHED when the resident has `limit` active contacts. */
kite_err rules_check_limit(db_conn *conn, int64_t resident_id, int64_t limit) KITE_WUR;
/*
 * Makes the pair an active contact (new, or a removed/suspended one again);
 * *contact_id receives it.  facility_id is the resident's facility now.
 */
kite_err rules_link(db_conn *conn, int64_t now, int64_t resident_id, int64_t facility_id, int64_t contact_account_id,
                    const char *origin, int64_t *contact_id) KITE_WUR;
/* Everything above for a new or renewed contact, in the order a person would want to hear it. */
kite_err rules_may_link(db_conn *conn, const resident_place *place, int64_t contact_account_id, const char *email) KITE_WUR;

#endif
