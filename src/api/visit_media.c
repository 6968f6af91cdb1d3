/*
 * visit_media.c - a visit is connected only while media flows (visit_media.h).
 *
 * Design: Janus answering both parties' offers proves nothing: ICE or DTLS
 * may never complete, and a page may vanish (browser closed, network gone)
 * without a word.  So the charged clock follows what Janus received: on
 * every look (each page's poll of /live, every two seconds, and the live
 * sweeper's pass for a visit nobody polls) Kite asks Janus's admin API
 * (janus_handle_info) about each party's publisher handle.  A party's media
 * flows when its handle is up (ICE and DTLS done) and the packets Janus
 * received on it grew since Kite last looked, or are above zero at the
 * first look of that handle.  The count and when it last grew are kept per
 * person (live_peers.media_packets, media_seen_at), so any Kite server's
 * next look compares with it; a look counts a party as flowing while its
 * last growth is at most VISIT_MEDIA_TOLERANCE_MS old, since two looks a
 * moment apart (two pages polling at once) may see the same count.
 *
 * Both flowing: the visit is connected at that moment (visit_mark_connected)
 * and visits.media_seen_at moves to the older of the two sides' last growth
 * (both flowed at least until then).  A connected visit whose media_seen_at
 * is VISIT_MEDIA_GRACE_MS old ends as connection_lost, charged from
 * connected_at to media_seen_at (visit_finish; visit.h says why the other
 * ends are charged to at most a tolerance past it).  A look that could not
 * reach Janus, or whose previous look at a handle is older than the
 * tolerance (a first look after a long silence, such as the sweeper's once
 * both pages closed, may count the last packets a page sent before it
 * went), does not end the visit: it is not lost on Kite's failure to see,
 * and the slot's end still charges it only to the last time media was
 * seen.  live_peers.media_looked_at keeps when each handle was last read.
 *
 * SECURITY: money.  Nothing a client sends reaches this: the handles are
 * the store's, the counts Janus's (bounded in janus.c), the times Kite's
 * clock.  A page cannot make its visit connected without media reaching
 * Janus, nor keep it charged after its media stopped.
 */
#include "api/visit_media.h"

#include "core/log.h"
#include "domain/visits/visit_live.h"

#include <string.h>

kite_err live_visit_end(const kite_ctx *ctx, const janus_config *janus, int64_t now, int64_t visit_id,
                        visit_end_reason reason, const char *note, const char *actor, int64_t *charged)
{
    live_room room;
    bool was_open = false;
    kite_err err = live_room_get(ctx, visit_id, &room);
    if (err == KITE_OK && (err = live_room_close(ctx, now, visit_id, note, &was_open)) == KITE_OK && was_open &&
        janus != NULL) {
        janus_error e = {0};
        if (janus_room_drop(janus, room.janus_room, room.secret, &e) != KITE_OK)
            log_warn("video: destroying the room of visit %lld failed: Janus %d %s", (long long)visit_id, e.code,
                     e.reason);
    }
    if (err == KITE_ERR_NOT_FOUND)
        err = KITE_OK; /* never opened: nothing to destroy, the visit is still settled */
    return err == KITE_OK ? live_finish(ctx, now, visit_id, reason, actor, charged) : err;
}

/*
 * Asks Janus about one party's publisher handle and records it; false when
 * this look cannot decide: Janus could not say, or the handle is up but the
 * last look at it is older than VISIT_MEDIA_TOLERANCE_MS (packets that grew
 * over a long gap may be the last ones a page sent before it went).
 */
static bool look_at(const kite_ctx *ctx, const janus_config *janus, int64_t now, live_peer *p, kite_err *err)
{
    janus_media m;
    janus_error e = {0};
    if (janus_handle_info(janus, p->janus_session, p->pub_handle, &m, &e) != KITE_OK) {
        log_warn("video: asking Janus whether media flows in visit %lld failed: Janus %d %s (HTTP %ld)",
                 (long long)p->visit_id, e.code, e.reason, e.http_status);
        return false;
    }
    bool first = p->media_looked_at == 0;
    bool recent = !first && now >= p->media_looked_at && now - p->media_looked_at <= VISIT_MEDIA_TOLERANCE_MS;
    bool grew = m.up && m.in_packets > p->media_packets && (first || recent);
    *err = live_peer_media(ctx, p->id, p->pub_handle, m.in_packets, grew ? now : 0, now);
    p->media_packets = m.in_packets;
    p->media_looked_at = now;
    if (grew)
        p->media_seen_at = now;
    return !m.up || first || recent;
}

kite_err live_media_look(const kite_ctx *ctx, const janus_config *janus, arena *a, int64_t now, visit_info *v,
                         live_media *out)
{
    memset(out, 0, sizeof *out);
    if (janus == NULL || (v->state != VISIT_APPROVED && v->state != VISIT_IN_PROGRESS))
        return KITE_OK;
    live_peer *peers = NULL;
    size_t count = 0;
    kite_err err = live_peers(ctx, a, v->id, &peers, &count);
    live_peer *party[2] = {NULL, NULL};
    for (size_t i = 0; err == KITE_OK && i < count; i++)
        if (peers[i].side != LIVE_SIDE_MONITOR)
            party[peers[i].side] = &peers[i];
    out->looked = err == KITE_OK;
    for (int i = 0; err == KITE_OK && i < 2; i++) {
        live_peer *p = party[i];
        if (p != NULL && p->left_at == 0 && p->janus_session != 0 && p->pub_handle != 0 && p->feed != 0 &&
            !look_at(ctx, janus, now, p, &err))
            out->looked = false;
        out->flowing[i] = p != NULL && p->left_at == 0 && p->media_seen_at != 0 &&
                          now - p->media_seen_at <= VISIT_MEDIA_TOLERANCE_MS;
    }
    if (err != KITE_OK)
        return err;
    /* flowing counts only growth a decisive look saw, so it may connect even when another look could not decide;
       losing the connection needs every look decisive. */
    if (out->flowing[0] && out->flowing[1]) {
        int64_t seen = party[0]->media_seen_at < party[1]->media_seen_at ? party[0]->media_seen_at
                                                                         : party[1]->media_seen_at;
        if (v->connected_at == 0) {
            err = live_mark_connected(ctx, now, v->id);
            out->connected = err == KITE_OK;
            if (err == KITE_ERR_ALREADY_DECIDED || err == KITE_ERR_CONFLICT)
                err = KITE_OK; /* ended meanwhile, or outside its window: nothing to connect */
        } else {
            err = live_media_seen(ctx, v->id, seen);
        }
    } else if (out->looked && v->state == VISIT_IN_PROGRESS && visit_lost_at(v) != 0 && visit_lost_at(v) <= now &&
               visit_lost_at(v) <= v->ends_at) {
        int64_t charged = 0;
        err = live_visit_end(ctx, janus, now, v->id, VISIT_END_CONNECTION_LOST, NULL, "system", &charged);
        out->lost = err == KITE_OK;
        if (out->lost)
            log_info("video: visit %lld: no media for %d s: ended, %lld cents charged", (long long)v->id,
                     VISIT_MEDIA_GRACE_MS / 1000, (long long)charged);
        if (err == KITE_ERR_ALREADY_DECIDED)
            err = KITE_OK;
    }
    if (err == KITE_OK && (out->connected || out->lost || v->connected_at != 0))
        err = live_visit(ctx, v->id, v);
    return err;
}
