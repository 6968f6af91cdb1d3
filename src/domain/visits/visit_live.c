/*
 * visit_live.c - the live visit's rooms and people in the store (visit_live.h).
 *
 * Design: plain rows, one transaction per call.  A room is made with
 * INSERT … ON CONFLICT DO NOTHING and read back, so two parties joining at
 * once agree on one room; a person's row is an upsert on (visit, account).
 * Ids from Janus are unsigned 53-bit numbers and fit the stores' signed
 * 64-bit integers as they are.
 *
 * SECURITY: the secret (32 random bytes as hex), the pin (8 random digits)
 * and the room id (52 random bits) come from secret_token; see the header.
 */
#include "domain/visits/visit_live.h"

#include "core/secret.h"
#include "domain/visits/visit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const side_names[LIVE_SIDE_COUNT] = {"contact", "resident", "monitor"};

const char *live_side_name(live_side side)
{
    return (int)side >= 0 && side < LIVE_SIDE_COUNT ? side_names[side] : "unknown";
}

bool live_side_parse(const char *name, live_side *out)
{
    for (int i = 0; name != NULL && i < LIVE_SIDE_COUNT; i++)
        if (strcmp(side_names[i], name) == 0) {
            *out = (live_side)i;
            return true;
        }
    return false;
}

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src != NULL ? src : "");
}

/* ---- rooms ---- */

#define ROOM_SELECT                                                                                                 \
    "SELECT visit_id, janus_room, secret, pin, opened_at, monitor_joined_at, closed_at, end_note FROM live_rooms " \
    "WHERE visit_id = $1"

static kite_err room_load(db_conn *conn, int64_t visit_id, live_room *out)
{
    db_stmt *s = db_prepare(conn, ROOM_SELECT);
    db_bind_int(s, 1, visit_id);
    bool found = db_next(s);
    if (found) {
        out->visit_id = db_int(s, 0);
        out->janus_room = (uint64_t)db_int(s, 1);
        copy_text(out->secret, sizeof out->secret, db_text(s, 2));
        copy_text(out->pin, sizeof out->pin, db_text(s, 3));
        out->opened_at = db_int(s, 4);
        out->monitor_joined_at = db_is_null(s, 5) ? 0 : db_int(s, 5);
        out->closed_at = db_is_null(s, 6) ? 0 : db_int(s, 6);
        copy_text(out->end_note, sizeof out->end_note, db_is_null(s, 7) ? "" : db_text(s, 7));
    }
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

struct room_in {
    int64_t now, visit_id;
    const char *note;
    live_room *out;
    bool changed;
};

static kite_err room_open_tx(db_conn *conn, void *data)
{
    struct room_in *in = data;
    char token[SECRET_TOKEN_HEX], digits[SECRET_TOKEN_HEX];
    secret_token(token);
    secret_token(digits);
    char id_hex[14];
    memcpy(id_hex, digits, 13);
    id_hex[13] = '\0';
    uint64_t room = strtoull(id_hex, NULL, 16) | 1; /* 52 random bits, never 0 */
    char pin[LIVE_PIN_DIGITS + 1];
    for (int i = 0; i < LIVE_PIN_DIGITS; i++) /* two hex digits (0..255) a digit: a bias of 6/256, no matter */
        pin[i] = (char)('0' + strtoul((char[]){digits[16 + 2 * i], digits[17 + 2 * i], '\0'}, NULL, 16) % 10);
    pin[LIVE_PIN_DIGITS] = '\0';
    db_stmt *s = db_prepare(conn, "INSERT INTO live_rooms (visit_id, janus_room, secret, pin, opened_at)"
                                  " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (visit_id) DO NOTHING");
    db_bind_int(s, 1, in->visit_id);
    db_bind_int(s, 2, (int64_t)room);
    db_bind_text(s, 3, token);
    db_bind_text(s, 4, pin);
    db_bind_int(s, 5, in->now);
    kite_err err = db_exec(s);
    explicit_bzero(token, sizeof token);
    explicit_bzero(pin, sizeof pin);
    if (err == KITE_OK)
        err = room_load(conn, in->visit_id, in->out);
    if (err == KITE_OK && in->out->closed_at != 0)
        err = KITE_ERR_GONE;
    return err;
}

kite_err live_room_open(const kite_ctx *ctx, int64_t now, int64_t visit_id, live_room *out)
{
    memset(out, 0, sizeof *out);
    struct room_in in = {.now = now, .visit_id = visit_id, .out = out};
    return db_write(ctx->store, room_open_tx, &in);
}

static kite_err room_get_tx(db_conn *conn, void *data)
{
    struct room_in *in = data;
    return room_load(conn, in->visit_id, in->out);
}

kite_err live_room_get(const kite_ctx *ctx, int64_t visit_id, live_room *out)
{
    memset(out, 0, sizeof *out);
    struct room_in in = {.visit_id = visit_id, .out = out};
    return db_read(ctx->store, room_get_tx, &in);
}

static kite_err monitor_tx(db_conn *conn, void *data)
{
    struct room_in *in = data;
    db_stmt *s = db_prepare(conn, "UPDATE live_rooms SET monitor_joined_at = $2 WHERE visit_id = $1"
                                  " AND monitor_joined_at IS NULL");
    db_bind_int(s, 1, in->visit_id);
    db_bind_int(s, 2, in->now);
    return db_exec(s);
}

kite_err live_room_monitor_joined(const kite_ctx *ctx, int64_t now, int64_t visit_id)
{
    struct room_in in = {.now = now, .visit_id = visit_id};
    return db_write(ctx->store, monitor_tx, &in);
}

static kite_err close_tx(db_conn *conn, void *data)
{
    struct room_in *in = data;
    db_stmt *s = db_prepare(conn, "UPDATE live_rooms SET closed_at = $2, end_note = $3 WHERE visit_id = $1"
                                  " AND closed_at IS NULL");
    db_bind_int(s, 1, in->visit_id);
    db_bind_int(s, 2, in->now);
    if (in->note != NULL)
        db_bind_text(s, 3, in->note);
    else
        db_bind_null(s, 3);
    kite_err err = db_exec(s);
    in->changed = err == KITE_OK && db_changes(conn) > 0;
    return err;
}

kite_err live_room_close(const kite_ctx *ctx, int64_t now, int64_t visit_id, const char *note, bool *was_open)
{
    struct room_in in = {.now = now, .visit_id = visit_id, .note = note};
    kite_err err = db_write(ctx->store, close_tx, &in);
    *was_open = in.changed;
    return err;
}

struct open_in {
    arena *a;
    int64_t now;
    size_t max, count;
    int64_t *ids;
};

static kite_err rooms_open_tx(db_conn *conn, void *data)
{
    struct open_in *in = data;
    in->count = 0;
    in->ids = arena_alloc(in->a, (in->max + 1) * sizeof *in->ids);
    db_stmt *s = db_prepare(conn, "SELECT r.visit_id FROM live_rooms r JOIN visits v ON v.id = r.visit_id"
                                  " WHERE r.closed_at IS NULL AND (v.ends_at <= $2 OR v.state NOT IN ($3, $4)"
                                  " OR (v.state = $4 AND v.media_seen_at <= $5))"
                                  " ORDER BY r.visit_id LIMIT $1");
    db_bind_int(s, 1, (int64_t)in->max);
    db_bind_int(s, 2, in->now);
    db_bind_text(s, 3, visit_state_name(VISIT_APPROVED));
    db_bind_text(s, 4, visit_state_name(VISIT_IN_PROGRESS));
    db_bind_int(s, 5, in->now - VISIT_MEDIA_GRACE_MS);
    while (db_next(s))
        in->ids[in->count++] = db_int(s, 0);
    return db_done(s);
}

kite_err live_rooms_due(const kite_ctx *ctx, arena *a, int64_t now, size_t max, int64_t **visit_ids,
                        size_t *count)
{
    struct open_in in = {.a = a, .now = now, .max = max};
    kite_err err = db_read(ctx->store, rooms_open_tx, &in);
    *visit_ids = in.ids;
    *count = in.count;
    return err;
}

/* ---- people ---- */

#define PEER_SELECT                                                                                             \
    "SELECT id, visit_id, account_id, side, janus_session, pub_handle, sub_contact, sub_resident, feed,"        \
    " audio_mid, video_mid, audio_muted, video_muted, joined_at, seen_at, left_at, COALESCE(media_packets, 0),"  \
    " COALESCE(media_seen_at, 0), COALESCE(media_looked_at, 0) FROM live_peers"

static uint64_t id_at(db_stmt *s, int col)
{
    return db_is_null(s, col) ? 0 : (uint64_t)db_int(s, col);
}

static void peer_read(db_stmt *s, live_peer *p)
{
    p->id = db_int(s, 0);
    p->visit_id = db_int(s, 1);
    p->account_id = db_int(s, 2);
    if (!live_side_parse(db_text(s, 3), &p->side))
        p->side = LIVE_SIDE_MONITOR; /* the CHECK allows no other value */
    p->janus_session = id_at(s, 4);
    p->pub_handle = id_at(s, 5);
    p->sub[0] = id_at(s, 6);
    p->sub[1] = id_at(s, 7);
    p->feed = id_at(s, 8);
    copy_text(p->audio_mid, sizeof p->audio_mid, db_is_null(s, 9) ? "" : db_text(s, 9));
    copy_text(p->video_mid, sizeof p->video_mid, db_is_null(s, 10) ? "" : db_text(s, 10));
    p->audio_muted = db_int(s, 11) != 0;
    p->video_muted = db_int(s, 12) != 0;
    p->joined_at = db_int(s, 13);
    p->seen_at = db_int(s, 14);
    p->left_at = db_is_null(s, 15) ? 0 : db_int(s, 15);
    p->media_packets = db_int(s, 16);
    p->media_seen_at = db_int(s, 17);
    p->media_looked_at = db_int(s, 18);
}

struct peer_in {
    arena *a;
    int64_t visit_id, account_id;
    live_peer *out;
    const live_peer *in;
    size_t count;
};

static kite_err peer_get_tx(db_conn *conn, void *data)
{
    struct peer_in *in = data;
    db_stmt *s = db_prepare(conn, PEER_SELECT " WHERE visit_id = $1 AND account_id = $2");
    db_bind_int(s, 1, in->visit_id);
    db_bind_int(s, 2, in->account_id);
    bool found = db_next(s);
    if (found)
        peer_read(s, in->out);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

kite_err live_peer_get(const kite_ctx *ctx, int64_t visit_id, int64_t account_id, live_peer *out)
{
    memset(out, 0, sizeof *out);
    struct peer_in in = {.visit_id = visit_id, .account_id = account_id, .out = out};
    return db_read(ctx->store, peer_get_tx, &in);
}

enum { PEERS_MAX = 16 };

static kite_err peers_tx(db_conn *conn, void *data)
{
    struct peer_in *in = data;
    in->count = 0;
    in->out = arena_zalloc(in->a, PEERS_MAX * sizeof *in->out);
    db_stmt *s = db_prepare(conn, PEER_SELECT " WHERE visit_id = $1 ORDER BY joined_at, id LIMIT $2");
    db_bind_int(s, 1, in->visit_id);
    db_bind_int(s, 2, PEERS_MAX);
    while (db_next(s))
        peer_read(s, &in->out[in->count++]);
    return db_done(s);
}

kite_err live_peers(const kite_ctx *ctx, arena *a, int64_t visit_id, live_peer **items, size_t *count)
{
    struct peer_in in = {.a = a, .visit_id = visit_id};
    kite_err err = db_read(ctx->store, peers_tx, &in);
    *items = in.out;
    *count = in.count;
    return err;
}

static void bind_id(db_stmt *s, int n, uint64_t id)
{
    if (id != 0)
        db_bind_int(s, n, (int64_t)id);
    else
        db_bind_null(s, n);
}

static void bind_text_or_null(db_stmt *s, int n, const char *text)
{
    if (text[0] != '\0')
        db_bind_text(s, n, text);
    else
        db_bind_null(s, n);
}

static kite_err peer_save_tx(db_conn *conn, void *data)
{
    const live_peer *p = ((struct peer_in *)data)->in;
    db_stmt *s = db_prepare(
        conn, "INSERT INTO live_peers (visit_id, account_id, side, janus_session, pub_handle, sub_contact,"
              " sub_resident, feed, audio_mid, video_mid, audio_muted, video_muted, joined_at, seen_at, left_at)"
              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
              " ON CONFLICT (visit_id, account_id) DO UPDATE SET side = excluded.side,"
              " janus_session = excluded.janus_session, pub_handle = excluded.pub_handle,"
              " sub_contact = excluded.sub_contact, sub_resident = excluded.sub_resident, feed = excluded.feed,"
              " audio_mid = excluded.audio_mid, video_mid = excluded.video_mid, audio_muted = excluded.audio_muted,"
              " video_muted = excluded.video_muted, seen_at = excluded.seen_at, left_at = excluded.left_at,"
              /* a new publisher handle starts its count over; any other save leaves what the polls read */
              " media_packets = CASE WHEN COALESCE(live_peers.pub_handle, 0) = COALESCE(excluded.pub_handle, 0)"
              " THEN live_peers.media_packets END,"
              " media_seen_at = CASE WHEN COALESCE(live_peers.pub_handle, 0) = COALESCE(excluded.pub_handle, 0)"
              " THEN live_peers.media_seen_at END,"
              " media_looked_at = CASE WHEN COALESCE(live_peers.pub_handle, 0) = COALESCE(excluded.pub_handle, 0)"
              " THEN live_peers.media_looked_at END");
    db_bind_int(s, 1, p->visit_id);
    db_bind_int(s, 2, p->account_id);
    db_bind_text(s, 3, live_side_name(p->side));
    bind_id(s, 4, p->janus_session);
    bind_id(s, 5, p->pub_handle);
    bind_id(s, 6, p->sub[0]);
    bind_id(s, 7, p->sub[1]);
    bind_id(s, 8, p->feed);
    bind_text_or_null(s, 9, p->audio_mid);
    bind_text_or_null(s, 10, p->video_mid);
    db_bind_int(s, 11, p->audio_muted ? 1 : 0);
    db_bind_int(s, 12, p->video_muted ? 1 : 0);
    db_bind_int(s, 13, p->joined_at);
    db_bind_int(s, 14, p->seen_at);
    if (p->left_at != 0)
        db_bind_int(s, 15, p->left_at);
    else
        db_bind_null(s, 15);
    return db_exec(s);
}

kite_err live_peer_save(const kite_ctx *ctx, const live_peer *peer)
{
    struct peer_in in = {.in = peer};
    return db_write(ctx->store, peer_save_tx, &in);
}

struct media_in {
    int64_t peer_id, packets, seen_at, looked_at, visit_id;
    uint64_t handle;
    visit_info *visit;
};

static kite_err peer_media_tx(db_conn *conn, void *data)
{
    struct media_in *in = data;
    db_stmt *s = db_prepare(conn, "UPDATE live_peers SET media_packets = $2, media_looked_at = $5,"
                                  " media_seen_at = CASE WHEN $3 > 0 THEN $3 ELSE media_seen_at END"
                                  " WHERE id = $1 AND pub_handle = $4 AND COALESCE(media_packets, 0) <= $2"
                                  " AND COALESCE(media_looked_at, 0) <= $5");
    db_bind_int(s, 1, in->peer_id);
    db_bind_int(s, 2, in->packets);
    db_bind_int(s, 3, in->seen_at);
    db_bind_int(s, 4, (int64_t)in->handle);
    db_bind_int(s, 5, in->looked_at);
    return db_exec(s);
}

kite_err live_peer_media(const kite_ctx *ctx, int64_t peer_id, uint64_t handle, int64_t packets, int64_t seen_at,
                         int64_t looked_at)
{
    struct media_in in = {.peer_id = peer_id, .handle = handle, .packets = packets, .seen_at = seen_at,
                          .looked_at = looked_at};
    return db_write(ctx->store, peer_media_tx, &in);
}

static kite_err media_seen_tx(db_conn *conn, void *data)
{
    struct media_in *in = data;
    return visit_media_seen(conn, in->visit_id, in->seen_at);
}

kite_err live_media_seen(const kite_ctx *ctx, int64_t visit_id, int64_t seen_at)
{
    struct media_in in = {.visit_id = visit_id, .seen_at = seen_at};
    return db_write(ctx->store, media_seen_tx, &in);
}

static kite_err visit_tx(db_conn *conn, void *data)
{
    struct media_in *in = data;
    return visit_get(conn, in->visit_id, in->visit);
}

kite_err live_visit(const kite_ctx *ctx, int64_t visit_id, visit_info *out)
{
    struct media_in in = {.visit_id = visit_id, .visit = out};
    return db_read(ctx->store, visit_tx, &in);
}

/* ---- the visit's own state and money (visit.h), a transaction each ---- */

struct mark_in {
    int64_t now, visit_id;
    visit_party party;
    visit_end_reason reason;
    const char *actor;
    int64_t charged;
};

static kite_err joined_tx(db_conn *conn, void *data)
{
    struct mark_in *in = data;
    return visit_mark_joined(conn, in->now, in->visit_id, in->party);
}

kite_err live_mark_joined(const kite_ctx *ctx, int64_t now, int64_t visit_id, visit_party party)
{
    struct mark_in in = {.now = now, .visit_id = visit_id, .party = party};
    return db_write(ctx->store, joined_tx, &in);
}

static kite_err connected_tx(db_conn *conn, void *data)
{
    struct mark_in *in = data;
    return visit_mark_connected(conn, in->now, in->visit_id);
}

kite_err live_mark_connected(const kite_ctx *ctx, int64_t now, int64_t visit_id)
{
    struct mark_in in = {.now = now, .visit_id = visit_id};
    return db_write(ctx->store, connected_tx, &in);
}

static kite_err finish_tx(db_conn *conn, void *data)
{
    struct mark_in *in = data;
    return visit_finish(conn, in->now, in->visit_id, in->reason, in->actor, &in->charged);
}

kite_err live_finish(const kite_ctx *ctx, int64_t now, int64_t visit_id, visit_end_reason reason, const char *actor,
                     int64_t *charged_cents)
{
    struct mark_in in = {.now = now, .visit_id = visit_id, .reason = reason, .actor = actor};
    kite_err err = db_write(ctx->store, finish_tx, &in);
    if (charged_cents != NULL)
        *charged_cents = in.charged;
    return err;
}
