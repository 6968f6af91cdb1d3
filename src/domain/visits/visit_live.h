/*
 * visit_live.h - the store side of a live video visit: its Janus room and
 * the people in it (tables of step 27, db/migration_27.c), and the doors to
 * the visit's own state and money (visit.h) that the live visit passes.
 *
 * Design: the media engine is driven from api/visit_live.c (Janus over HTTP
 * is no domain call, and no HTTP call belongs inside a transaction); what
 * it must remember between requests, and share between Kite servers, lives
 * here: the room's id, secret and pin, chosen once per visit by Kite, and
 * per person their Janus session and handles, their feed and media line
 * ids, and a monitor's mutes.  Every function is one transaction of its own.
 *
 * SECURITY: the room's secret and pin are made here from libsodium's random
 * bytes and leave the store only towards Janus: no answer carries a
 * live_room.  The room id a Janus call names is always the one read here
 * for the visit the caller was checked against, never one a client sent.
 */
#ifndef KITE_DOMAIN_VISITS_VISIT_LIVE_H
#define KITE_DOMAIN_VISITS_VISIT_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/context.h"
#include "domain/visits/visit.h"
#include "domain/visits/visit_state.h"

enum { LIVE_SECRET_MAX = 64, LIVE_PIN_DIGITS = 8, LIVE_MID_MAX = 32, LIVE_NOTE_MAX_CHARS = 500 };

typedef enum live_side { LIVE_SIDE_CONTACT, LIVE_SIDE_RESIDENT, LIVE_SIDE_MONITOR, LIVE_SIDE_COUNT } live_side;

/* "contact", "resident", "monitor"; never NULL. */
const char *live_side_name(live_side side);
bool live_side_parse(const char *name, live_side *out);

typedef struct live_room {
    int64_t visit_id;
    uint64_t janus_room;
    char secret[LIVE_SECRET_MAX + 1];
    char pin[LIVE_PIN_DIGITS + 1];
    int64_t opened_at;
    int64_t monitor_joined_at; /* 0: no monitor yet */
    int64_t closed_at;         /* 0: open */
    char end_note[LIVE_NOTE_MAX_CHARS * 4 + 1]; /* a monitor's reason for ending it; "" when none */
} live_room;

typedef struct live_peer {
    int64_t id; /* 0 before it is saved */
    int64_t visit_id, account_id;
    live_side side;
    uint64_t janus_session, pub_handle;
    uint64_t sub[2]; /* the handle watching the contact's feed, the resident's */
    uint64_t feed;   /* the publisher id in the room; 0 while not publishing */
    char audio_mid[LIVE_MID_MAX + 1], video_mid[LIVE_MID_MAX + 1];
    bool audio_muted, video_muted;
    int64_t joined_at, seen_at, left_at; /* left_at 0: still in */
    int64_t media_packets; /* media packets Janus had received on pub_handle when Kite last looked (0: never) */
    int64_t media_seen_at; /* the last time that count grew; 0: never (all three reset with a new pub_handle) */
    int64_t media_looked_at; /* when Kite last read that count; 0: never */
} live_peer;

/* The visit's room, made (random id, secret and pin) the first time; KITE_ERR_GONE once closed. */
kite_err live_room_open(const kite_ctx *ctx, int64_t now, int64_t visit_id, live_room *out) KITE_WUR;
/* KITE_ERR_NOT_FOUND when no one opened it yet. */
kite_err live_room_get(const kite_ctx *ctx, int64_t visit_id, live_room *out) KITE_WUR;
/* The first monitor is in: a visit that must be monitored may start. */
kite_err live_room_monitor_joined(const kite_ctx *ctx, int64_t now, int64_t visit_id) KITE_WUR;
/* Closes the room once (note may be NULL); *was_open says whether this call closed it. */
kite_err live_room_close(const kite_ctx *ctx, int64_t now, int64_t visit_id, const char *note,
                         bool *was_open) KITE_WUR;
/* The visits whose room is open though the slot is over at now, or the visit ended, or whose media was
   last seen VISIT_MEDIA_GRACE_MS or more before now (the sweeper looks again); up to max (the sweeper's). */
kite_err live_rooms_due(const kite_ctx *ctx, arena *a, int64_t now, size_t max, int64_t **visit_ids,
                        size_t *count) KITE_WUR;

/* One person's row in a visit; KITE_ERR_NOT_FOUND when they never joined. */
kite_err live_peer_get(const kite_ctx *ctx, int64_t visit_id, int64_t account_id, live_peer *out) KITE_WUR;
/* Everyone who ever joined the visit's room, in the order they joined (up to 16). */
kite_err live_peers(const kite_ctx *ctx, arena *a, int64_t visit_id, live_peer **items, size_t *count) KITE_WUR;
/* Saves a row (by visit and account: made the first time, replaced afterwards). */
kite_err live_peer_save(const kite_ctx *ctx, const live_peer *peer) KITE_WUR;

/* What Kite read of a peer's publisher handle at looked_at: its received-packet count, and seen_at when that
   counts as media flowing (0: it does not).  Only forwards, and only while the row still names handle (a newer
   publish starts its count over). */
kite_err live_peer_media(const kite_ctx *ctx, int64_t peer_id, uint64_t handle, int64_t packets, int64_t seen_at,
                         int64_t looked_at) KITE_WUR;
/* visit_media_seen in a transaction: both sides' media was seen flowing at seen_at. */
kite_err live_media_seen(const kite_ctx *ctx, int64_t visit_id, int64_t seen_at) KITE_WUR;
/* The visit itself (visit_get in a transaction of its own). */
kite_err live_visit(const kite_ctx *ctx, int64_t visit_id, visit_info *out) KITE_WUR;

/* visit.h's calls in a transaction each: a side joined, both are in, the end with its money. */
kite_err live_mark_joined(const kite_ctx *ctx, int64_t now, int64_t visit_id, visit_party party) KITE_WUR;
kite_err live_mark_connected(const kite_ctx *ctx, int64_t now, int64_t visit_id) KITE_WUR;
kite_err live_finish(const kite_ctx *ctx, int64_t now, int64_t visit_id, visit_end_reason reason, const char *actor,
                     int64_t *charged_cents) KITE_WUR;

#endif
