/*
 * visit_media.h - is the live visit's media flowing: the one rule the
 * pages' polls (api/visit_live.c) and the live sweeper (cli/live_sweeper.c)
 * apply (visit_media.c says it).
 */
#ifndef KITE_API_VISIT_MEDIA_H
#define KITE_API_VISIT_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/context.h"
#include "domain/visits/visit.h"
#include "media/janus.h"

typedef struct live_media {
    bool looked;      /* every party's look was decisive (Janus answered, the last look was recent): may end it */
    bool flowing[2];  /* the contact's media, the resident's: seen growing within VISIT_MEDIA_TOLERANCE_MS */
    bool connected;   /* this look connected the visit */
    bool lost;        /* this look ended it as connection_lost */
} live_media;

/*
 * Looks at both parties' publisher handles in Janus at now, records what it
 * saw, marks the visit connected when both parties' media flows (and moves
 * its media_seen_at on while they do), and ends a connected visit whose
 * media was not seen for VISIT_MEDIA_GRACE_MS as connection_lost (room
 * closed, charged to the last time media was seen).  *v is read again
 * afterwards when anything changed.  Only a visit approved or in progress
 * is looked at; errors of the store are returned, Janus's are logged.
 */
kite_err live_media_look(const kite_ctx *ctx, const janus_config *janus, arena *a, int64_t now, visit_info *v,
                         live_media *out) KITE_WUR;

/* Closes the visit's room (the store's row, then Janus's room) and finishes the visit with reason. */
kite_err live_visit_end(const kite_ctx *ctx, const janus_config *janus, int64_t now, int64_t visit_id,
                        visit_end_reason reason, const char *note, const char *actor, int64_t *charged) KITE_WUR;

#endif
