/*
 * visit_json.h - the JSON shapes of video visits (api/visits.c, api/visit_setup.c).
 */
#ifndef KITE_API_VISIT_JSON_H
#define KITE_API_VISIT_JSON_H

#include <jansson.h>

#include "domain/identity/account.h"
#include "domain/visits/visit.h"

/* A visit as viewer may see it: staff also see the contact's and resident's names. */
json_t *visit_json(const visit_info *v, const account *viewer);
json_t *visit_quote_json(const visit_quote *q);
/* An instant as the zone's wall time with its offset, or null when the zone is unknown. */
json_t *visit_local_json(const char *zone, int64_t ms);
json_t *visit_policy_json(const visit_policy *p);

#endif
