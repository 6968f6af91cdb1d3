/*
 * visit_live.c - the live video visit: signalling through Kite to Janus.
 *
 *   GET  /api/v1/visits/{id}/join   what the page needs to join: role, times, ICE servers, bitrate
 *   GET  /api/v1/visits/{id}/live   the page's poll: who is in, who sends, mutes, waits, the end
 *   POST /api/v1/visits/{id}/media  {action: publish|subscribe|answer|trickle|watch|leave, …}
 *   POST /api/v1/visits/{id}/mute   {side, media: audio|video, muted}   (monitor)
 *   POST /api/v1/visits/{id}/end    {reason}                            (monitor)
 *
 * Design: the browser never reaches Janus's API (it listens on loopback or
 * a private network); only media flows between the browser and Janus.  Kite
 * checks the caller against the visit on every call - a party (the
 * contact's account or the resident's), or a monitor (a reviewer or
 * facility admin of the visit's facility) - and that the visit is approved
 * or in progress and inside its window (from VISIT_EARLY_JOIN_MS before the
 * start to the end), then makes the Janus calls for that role: parties
 * publish and watch the other side; monitors watch both sides (never
 * publish), mute a side and end the visit.  An attorney's (privileged)
 * visit refuses monitors and is never recorded (rooms are made with
 * record: false in any case).
 *
 * The room is made on the first publish or watch (visit_live.h keeps its
 * id, secret and pin) and destroyed when a monitor ends the visit, when a
 * party leaves a connected visit, or by the sweeper at the end of the slot.
 * A visit whose policy requires monitoring refuses publishing (409, the page
 * waits and polls) until a monitor watched.  Publishing connects nothing:
 * each poll of /live asks Janus whether both parties' media arrives
 * (visit_media.c), and only then does visit_mark_connected start the clock
 * that visit_finish charges by; a visit whose media stopped for a minute
 * ends as connection_lost, charged to the last time media was seen.
 * Each person has a Janus session of their own (janus.h says why), kept
 * alive by their page's poll of /live.
 *
 * SECURITY: the room id, secret and pin come from the store for the visit
 * the caller was checked against and never appear in an answer; a client
 * names sides ("contact", "resident", "publisher"), never Janus ids.  SDP is
 * passed through as text of at most JANUS_SDP_MAX bytes and an ICE
 * candidate of at most JANUS_CANDIDATE_MAX; neither is parsed or logged.
 * A visit outside the caller's scope answers 404 as if it did not exist.
 */
#include "api/app.h"
#include "api/visit_media.h"

#include "core/log.h"
#include "core/text.h"
#include "domain/visits/visit.h"
#include "domain/visits/visit_live.h"
#include "media/turn.h"

#include <string.h>

enum {
    LIVE_WARNING_MS = 60 * 1000,      /* the page warns this long before the end */
    LIVE_TURN_TTL_S = 4 * 3600,       /* a TURN credential outlives any visit */
    LIVE_EARLY_MINUTES = VISIT_EARLY_JOIN_MS / 60000,
};

typedef struct live_call {
    const session *s;
    visit_info v;
    live_side side;
    int64_t now;
} live_call;

static bool reply_live(http_request *req, kite_err code, const char *field, fault_detail detail, int64_t limit)
{
    kite_fault f = {0};
    (void)fault_set(&f, code, field, detail);
    f.limit = limit;
    reply_fault(req, &f);
    return false;
}

/* The media engine failed: said to the person as a 503, logged with Janus's words for the operator. */
static void reply_media_down(http_request *req, const char *what, kite_err err, const janus_error *e)
{
    log_warn("video: %s failed: %s (Janus %d %s, HTTP %ld)", what, kite_err_code(err), e->code, e->reason,
             e->http_status);
    (void)reply_live(req, KITE_ERR_BUSY, NULL, FAULT_LIVE_MEDIA_DOWN, 0);
}

static bool is_monitor_role(const account *a)
{
    return a->role == ROLE_REVIEWER || a->role == ROLE_FACILITY_ADMIN;
}

enum { LIVE_ANYONE = 0, LIVE_NOW = 1, LIVE_MONITOR_ONLY = 2 };

/*
 * The caller, the visit and the caller's side; false after answering.  With
 * LIVE_MONITOR_ONLY, a party is refused before anything else is said about
 * the visit; with LIVE_NOW, the visit must be joinable now.
 */
static bool live_call_or_reply(http_request *req, kite_app *app, live_call *c, int need)
{
    memset(c, 0, sizeof *c);
    int64_t id = 0;
    c->s = require_session_or_reply(req, app);
    if (c->s == NULL || !param_id_or_reply(req, 0, &id))
        return false;
    const account *me = &c->s->account;
    kite_err err = visit_read(&app->ctx, me, id, &c->v);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return false;
    }
    if (me->id == c->v.contact_account_id && me->role == ROLE_CONTACT)
        c->side = LIVE_SIDE_CONTACT;
    else if (me->id == c->v.resident_account_id && me->role == ROLE_RESIDENT)
        c->side = LIVE_SIDE_RESIDENT;
    else if (is_monitor_role(me) && visit_staff_in_scope(me, c->v.facility_id))
        c->side = LIVE_SIDE_MONITOR;
    else if (me->role == ROLE_INVESTIGATOR || me->role == ROLE_OPERATOR)
        return reply_live(req, KITE_ERR_FORBIDDEN, NULL, FAULT_LIVE_MONITOR_ONLY, 0);
    else {
        reply_kite_error(req, KITE_ERR_NOT_FOUND);
        return false;
    }
    if (c->side == LIVE_SIDE_MONITOR && c->v.privileged)
        return reply_live(req, KITE_ERR_FORBIDDEN, NULL, FAULT_LIVE_PRIVILEGED, 0);
    if ((need & LIVE_MONITOR_ONLY) && c->side != LIVE_SIDE_MONITOR)
        return reply_live(req, KITE_ERR_FORBIDDEN, NULL, FAULT_LIVE_MONITOR_ONLY, 0);
    c->now = clock_now_ms(&app->ctx.clock);
    if (!(need & LIVE_NOW))
        return true;
    if (c->v.state == VISIT_PENDING)
        return reply_live(req, KITE_ERR_CONFLICT, NULL, FAULT_LIVE_NOT_APPROVED, 0);
    if ((c->v.state != VISIT_APPROVED && c->v.state != VISIT_IN_PROGRESS) || c->now >= c->v.ends_at)
        return reply_live(req, KITE_ERR_GONE, NULL, FAULT_LIVE_OVER, 0);
    /* A party whose contact ended since the booking: the sweeper calls the visit off; nobody joins meanwhile. */
    if (c->side != LIVE_SIDE_MONITOR && !c->v.contact_active)
        return reply_live(req, KITE_ERR_GONE, NULL, FAULT_VISIT_CONTACT_ENDED, 0);
    if (c->now < c->v.starts_at - VISIT_EARLY_JOIN_MS)
        return reply_live(req, KITE_ERR_CONFLICT, NULL, FAULT_LIVE_TOO_EARLY, LIVE_EARLY_MINUTES);
    if (app->video.janus == NULL)
        return reply_live(req, KITE_ERR_BUSY, NULL, FAULT_LIVE_VIDEO_OFF, 0);
    return true;
}

static json_t *ice_servers(const kite_app *app, const live_call *c)
{
    json_t *list = json_array();
    if (app->video.turn_url != NULL) {
        char username[TURN_USERNAME_MAX], credential[TURN_CREDENTIAL_MAX];
        turn_credentials(app->video.turn_secret, c->now / 1000, LIVE_TURN_TTL_S, c->s->account.id, username,
                         credential);
        json_array_append_new(list, json_pack("{s:[s], s:s, s:s}", "urls", app->video.turn_url, "username", username,
                                              "credential", credential));
    }
    return list;
}

void handle_visit_join(http_request *req, void *app_ptr)
{
    kite_app *app = app_ptr;
    live_call c;
    if (!live_call_or_reply(req, app, &c, LIVE_NOW))
        return;
    json_t *out = json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:b, s:b, s:I, s:o}", "visit_id",
                            (json_int_t)c.v.id, "role", live_side_name(c.side), "starts_at", json_time(c.v.starts_at),
                            "ends_at", json_time(c.v.ends_at), "warning_at", json_time(c.v.ends_at - LIVE_WARNING_MS),
                            "opens_at", json_time(c.v.starts_at - VISIT_EARLY_JOIN_MS), "now", json_time(c.now),
                            "monitoring_required", c.v.monitoring_required && !c.v.privileged, "privileged",
                            c.v.privileged, "bitrate", (json_int_t)app->video.bitrate, "ice_servers",
                            ice_servers(app, &c));
    /* The page's own handle on this visit: its side (and, for a monitor, who), never a Janus id. */
    if (c.side == LIVE_SIDE_MONITOR)
        json_object_set_new(out, "participant",
                            json_string(arena_sprintf(http_arena(req), "monitor-%lld", (long long)c.s->account.id)));
    else
        json_object_set_new(out, "participant", json_string(live_side_name(c.side)));
    http_reply_json(req, 200, out);
}

/* ---- the people in the room ---- */

typedef struct room_view {
    live_peer *peers;
    size_t count;
    const live_peer *party[2]; /* the contact's row, the resident's, or NULL */
} room_view;

static kite_err room_view_read(kite_app *app, arena *a, int64_t visit_id, room_view *view)
{
    memset(view, 0, sizeof *view);
    kite_err err = live_peers(&app->ctx, a, visit_id, &view->peers, &view->count);
    for (size_t i = 0; err == KITE_OK && i < view->count; i++)
        if (view->peers[i].side != LIVE_SIDE_MONITOR)
            view->party[view->peers[i].side] = &view->peers[i];
    return err;
}

static bool sending(const live_peer *p)
{
    return p != NULL && p->feed != 0 && p->left_at == 0;
}

static json_t *side_json(const live_peer *p)
{
    return json_pack("{s:b, s:b, s:b, s:b}", "present", p != NULL && p->left_at == 0, "sending", sending(p),
                     "audio_muted", p != NULL && p->audio_muted, "video_muted", p != NULL && p->video_muted);
}

void handle_visit_live(http_request *req, void *app_ptr)
{
    kite_app *app = app_ptr;
    live_call c;
    if (!live_call_or_reply(req, app, &c, LIVE_ANYONE))
        return;
    /* Does media flow: this poll looks (it may connect the visit, or end it as connection_lost). */
    live_media media;
    kite_err err = live_media_look(&app->ctx, app->video.janus, http_arena(req), c.now, &c.v, &media);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    live_room room;
    err = live_room_get(&app->ctx, c.v.id, &room);
    if (err != KITE_OK && err != KITE_ERR_NOT_FOUND) {
        reply_kite_error(req, err);
        return;
    }
    bool opened = err == KITE_OK;
    room_view view;
    if ((err = room_view_read(app, http_arena(req), c.v.id, &view)) != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    bool monitor_in = opened && room.monitor_joined_at != 0;
    bool must_wait = c.v.monitoring_required && !c.v.privileged && !monitor_in;
    bool over = c.v.state != VISIT_APPROVED && c.v.state != VISIT_IN_PROGRESS;
    bool both = sending(view.party[0]) && sending(view.party[1]);
    /* Both publish but their media has not reached Janus (yet): connecting, not connected, not charged. */
    const char *waiting = over                     ? NULL
                          : must_wait              ? "monitor"
                          : !both                  ? "other_side"
                          : c.v.connected_at == 0 ? "connection"
                                                   : NULL;
    json_t *out = json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:b, s:b, s:o, s:{s:o, s:o}}", "visit_id",
                            (json_int_t)c.v.id, "role", live_side_name(c.side), "state", visit_state_name(c.v.state),
                            "now", json_time(c.now), "ends_at", json_time(c.v.ends_at), "warning_at",
                            json_time(c.v.ends_at - LIVE_WARNING_MS), "room_open", opened && room.closed_at == 0,
                            "monitor_present", monitor_in, "waiting_for", json_string_or_null(waiting), "sides",
                            "contact", side_json(view.party[0]), "resident", side_json(view.party[1]));
    json_object_set_new(out, "connected_at", c.v.connected_at != 0 ? json_time(c.v.connected_at) : json_null());
    json_object_set_new(out, "media", json_pack("{s:b, s:b}", "contact", !over && media.flowing[0], "resident",
                                                !over && media.flowing[1]));
    if (over)
        json_object_set_new(out, "ended",
                            json_pack("{s:s, s:o}", "reason", visit_end_reason_name(c.v.end_reason), "note",
                                      json_string_or_null(opened && room.end_note[0] != '\0' ? room.end_note : NULL)));
    /* The poll keeps the caller's Janus session alive (Janus drops a silent one after a minute). */
    live_peer me;
    janus_error e = {0};
    if (!over && app->video.janus != NULL && live_peer_get(&app->ctx, c.v.id, c.s->account.id, &me) == KITE_OK &&
        me.janus_session != 0 && me.left_at == 0 && janus_keepalive(app->video.janus, me.janus_session, &e) != KITE_OK)
        log_warn("video: keepalive of visit %lld failed: Janus %d %s", (long long)c.v.id, e.code, e.reason);
    http_reply_json(req, 200, out);
}

/* ---- Janus, step by step ---- */

/* A Janus session with one videoroom handle, for a monitor's or Kite's own room requests. */
typedef struct control {
    uint64_t session, handle;
} control;

static kite_err control_open(const kite_app *app, control *ctl, janus_error *e)
{
    *ctl = (control){0};
    kite_err err = janus_session_create(app->video.janus, &ctl->session, e);
    if (err == KITE_OK)
        err = janus_attach(app->video.janus, ctl->session, &ctl->handle, e);
    return err;
}

static void control_close(const kite_app *app, control *ctl)
{
    janus_error e = {0};
    if (ctl->session != 0 && janus_session_destroy(app->video.janus, ctl->session, &e) != KITE_OK)
        log_warn("video: closing a control session failed: Janus %d %s", e.code, e.reason);
    *ctl = (control){0};
}

/* The visit's room in the store and in Janus (made the first time; Janus says when it exists already). */
static kite_err room_ready(kite_app *app, const live_call *c, live_room *room, janus_error *e)
{
    kite_err err = live_room_open(&app->ctx, c->now, c->v.id, room);
    if (err != KITE_OK)
        return err;
    control ctl;
    janus_room spec = {.id = room->janus_room, .secret = room->secret, .pin = room->pin,
                       .bitrate = app->video.bitrate, .publishers = 2, .description = "Kite visit"};
    bool existed = false;
    err = control_open(app, &ctl, e);
    if (err == KITE_OK)
        err = janus_room_create(app->video.janus, ctl.session, ctl.handle, &spec, &existed, e);
    control_close(app, &ctl);
    return err == KITE_OK ? KITE_OK : KITE_ERR_IO;
}

/* The caller's row with a live Janus session (a new one when theirs is gone: its handles went with it). */
static kite_err peer_ready(kite_app *app, const live_call *c, live_peer *p, janus_error *e)
{
    kite_err err = live_peer_get(&app->ctx, c->v.id, c->s->account.id, p);
    if (err == KITE_ERR_NOT_FOUND) {
        *p = (live_peer){.visit_id = c->v.id, .account_id = c->s->account.id, .side = c->side, .joined_at = c->now};
        err = KITE_OK;
    }
    if (err != KITE_OK)
        return err;
    if (p->janus_session == 0 || p->left_at != 0 || janus_keepalive(app->video.janus, p->janus_session, e) != KITE_OK) {
        uint64_t fresh = 0;
        if (janus_session_create(app->video.janus, &fresh, e) != KITE_OK)
            return KITE_ERR_IO;
        *p = (live_peer){.id = p->id, .visit_id = p->visit_id, .account_id = p->account_id, .side = c->side,
                         .janus_session = fresh, .joined_at = p->joined_at != 0 ? p->joined_at : c->now};
    }
    p->seen_at = c->now;
    p->left_at = 0;
    return KITE_OK;
}

/* A fresh videoroom handle in place of *handle (an old one is detached: a handle publishes or watches once). */
static kite_err handle_fresh(kite_app *app, const live_peer *p, uint64_t *handle, janus_error *e)
{
    janus_error ignored = {0};
    if (*handle != 0 && janus_detach(app->video.janus, p->janus_session, *handle, &ignored) != KITE_OK)
        log_info("video: an old handle was gone already: Janus %d %s", ignored.code, ignored.reason);
    *handle = 0;
    return janus_attach(app->video.janus, p->janus_session, handle, e) == KITE_OK ? KITE_OK : KITE_ERR_IO;
}

/* ---- POST /media ---- */

/* body.jsep as {type, sdp} of the wanted type; false after answering 422. */
static bool jsep_or_reply(http_request *req, json_t *body, const char *type, janus_jsep *out)
{
    json_t *j = json_object_get(body, "jsep");
    out->type = json_string_value(json_object_get(j, "type"));
    out->sdp = json_string_value(json_object_get(j, "sdp"));
    if (!json_is_object(j) || out->type == NULL || strcmp(out->type, type) != 0 || !janus_jsep_valid(out)) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "jsep", FAULT_NOT_VALID);
        return false;
    }
    return true;
}

/* body[name] as a side of the visit ("contact" or "resident"); false after answering 422. */
static bool party_side_or_reply(http_request *req, json_t *body, const char *name, live_side *out)
{
    const char *text = NULL;
    if (!body_string_or_reply(req, body, name, true, &text))
        return false;
    if (!live_side_parse(text, out) || *out == LIVE_SIDE_MONITOR) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, name, FAULT_NOT_VALID);
        return false;
    }
    return true;
}

static json_t *jsep_json(const janus_jsep *j)
{
    return json_pack("{s:s, s:s}", "type", j->type, "sdp", j->sdp);
}

static void media_publish(http_request *req, kite_app *app, const live_call *c, json_t *body)
{
    janus_jsep offer;
    if (c->side == LIVE_SIDE_MONITOR) {
        (void)reply_live(req, KITE_ERR_FORBIDDEN, NULL, FAULT_LIVE_MONITOR_ONLY, 0);
        return;
    }
    if (!jsep_or_reply(req, body, "offer", &offer))
        return;
    live_room room;
    janus_error e = {0};
    kite_err err = room_ready(app, c, &room, &e);
    if (err == KITE_OK && c->v.monitoring_required && !c->v.privileged && room.monitor_joined_at == 0) {
        (void)reply_live(req, KITE_ERR_CONFLICT, NULL, FAULT_LIVE_WAIT_MONITOR, 0);
        return;
    }
    live_peer p;
    if (err == KITE_OK)
        err = peer_ready(app, c, &p, &e);
    if (err == KITE_OK)
        err = handle_fresh(app, &p, &p.pub_handle, &e);
    janus_event joined, published;
    arena *a = http_arena(req);
    if (err == KITE_OK)
        err = janus_join_publisher(a, app->video.janus, p.janus_session, p.pub_handle, room.janus_room, room.pin,
                                   live_side_name(c->side), &joined, &e);
    if (err == KITE_OK)
        err = janus_publish(a, app->video.janus, p.janus_session, p.pub_handle, &offer, app->video.bitrate,
                            &published, &e);
    if (err == KITE_ERR_IO || err == KITE_ERR_CONFLICT || err == KITE_ERR_INVALID_FIELD) {
        reply_media_down(req, "publish", err, &e);
        return;
    }
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    p.feed = joined.id;
    snprintf(p.audio_mid, sizeof p.audio_mid, "%s", published.audio_mid != NULL ? published.audio_mid : "");
    snprintf(p.video_mid, sizeof p.video_mid, "%s", published.video_mid != NULL ? published.video_mid : "");
    p.audio_muted = p.video_muted = false;
    visit_party party = c->side == LIVE_SIDE_CONTACT ? VISIT_PARTY_CONTACT : VISIT_PARTY_RESIDENT;
    if ((err = live_peer_save(&app->ctx, &p)) == KITE_OK)
        err = live_mark_joined(&app->ctx, c->now, c->v.id, party);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    /* Not connected yet: that waits for its media to reach Janus (the next polls look: visit_media.c). */
    http_reply_json(req, 200, json_pack("{s:o}", "jsep", jsep_json(&published.jsep)));
}

static void media_subscribe(http_request *req, kite_app *app, const live_call *c, json_t *body)
{
    live_side target;
    if (!party_side_or_reply(req, body, "feed", &target))
        return;
    if (target == c->side) { /* a party watches the other side; its own video is its local preview */
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "feed", FAULT_NOT_VALID);
        return;
    }
    room_view view;
    live_room room;
    kite_err err = room_view_read(app, http_arena(req), c->v.id, &view);
    if (err == KITE_OK && !sending(view.party[target])) {
        (void)reply_live(req, KITE_ERR_CONFLICT, "feed", FAULT_LIVE_NO_FEED, 0);
        return;
    }
    if (err == KITE_OK && (err = live_room_get(&app->ctx, c->v.id, &room)) == KITE_OK && room.closed_at != 0)
        err = KITE_ERR_GONE;
    if (err != KITE_OK) {
        if (err == KITE_ERR_GONE)
            (void)reply_live(req, KITE_ERR_GONE, NULL, FAULT_LIVE_OVER, 0);
        else
            reply_kite_error(req, err);
        return;
    }
    live_peer p;
    janus_error e = {0};
    janus_event offered;
    err = peer_ready(app, c, &p, &e);
    if (err == KITE_OK)
        err = handle_fresh(app, &p, &p.sub[target], &e);
    if (err == KITE_OK)
        err = janus_subscribe(http_arena(req), app->video.janus, p.janus_session, p.sub[target], room.janus_room,
                              room.pin, view.party[target]->feed, &offered, &e);
    if (err == KITE_ERR_CONFLICT && e.code == JANUS_VIDEOROOM_NO_SUCH_FEED) {
        /* Joined, but no media reached Janus from that side yet (its browser is still connecting). */
        (void)reply_live(req, KITE_ERR_CONFLICT, "feed", FAULT_LIVE_NO_FEED, 0);
        return;
    }
    if (err != KITE_OK) {
        reply_media_down(req, "subscribe", err, &e);
        return;
    }
    if ((err = live_peer_save(&app->ctx, &p)) != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:s, s:o}", "feed", live_side_name(target), "jsep", jsep_json(&offered.jsep)));
}

static void media_answer(http_request *req, kite_app *app, const live_call *c, json_t *body)
{
    live_side target;
    janus_jsep answer;
    if (!party_side_or_reply(req, body, "feed", &target) || !jsep_or_reply(req, body, "answer", &answer))
        return;
    live_peer p;
    kite_err err = live_peer_get(&app->ctx, c->v.id, c->s->account.id, &p);
    if (err == KITE_ERR_NOT_FOUND || (err == KITE_OK && (p.sub[target] == 0 || p.left_at != 0))) {
        (void)reply_live(req, KITE_ERR_CONFLICT, "feed", FAULT_LIVE_NO_FEED, 0);
        return;
    }
    janus_error e = {0};
    janus_event started;
    if (err == KITE_OK)
        err = janus_start(http_arena(req), app->video.janus, p.janus_session, p.sub[target], &answer, &started, &e);
    if (err != KITE_OK) {
        reply_media_down(req, "start", err, &e);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:s, s:b}", "feed", live_side_name(target), "started", 1));
}

static void media_trickle(http_request *req, kite_app *app, const live_call *c, json_t *body)
{
    const char *target_name = NULL;
    if (!body_string_or_reply(req, body, "target", true, &target_name))
        return;
    live_side target = LIVE_SIDE_MONITOR;
    bool publisher = strcmp(target_name, "publisher") == 0;
    if (!publisher && (!live_side_parse(target_name, &target) || target == LIVE_SIDE_MONITOR)) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "target", FAULT_NOT_VALID);
        return;
    }
    /* candidate: {candidate, sdpMid, sdpMLineIndex}, or null (absent) when gathering is complete. */
    json_t *cand = json_object_get(body, "candidate");
    const char *line = json_string_value(json_object_get(cand, "candidate"));
    json_t *mid = json_object_get(cand, "sdpMid"), *index = json_object_get(cand, "sdpMLineIndex");
    if ((cand != NULL && !json_is_null(cand) &&
         (!json_is_object(cand) || line == NULL || strlen(line) > JANUS_CANDIDATE_MAX ||
          (mid != NULL && !json_is_null(mid) && (!json_is_string(mid) || json_string_length(mid) > LIVE_MID_MAX)) ||
          (index != NULL && !json_is_null(index) &&
           (!json_is_integer(index) || json_integer_value(index) < 0 || json_integer_value(index) > 64))))) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "candidate", FAULT_NOT_VALID);
        return;
    }
    live_peer p;
    kite_err err = live_peer_get(&app->ctx, c->v.id, c->s->account.id, &p);
    uint64_t handle = err != KITE_OK ? 0 : publisher ? p.pub_handle : p.sub[target];
    if (err == KITE_ERR_NOT_FOUND || (err == KITE_OK && (handle == 0 || p.left_at != 0))) {
        (void)reply_live(req, KITE_ERR_CONFLICT, "feed", FAULT_LIVE_NO_FEED, 0);
        return;
    }
    janus_error e = {0};
    if (err == KITE_OK)
        err = janus_trickle(app->video.janus, p.janus_session, handle,
                            cand != NULL && !json_is_null(cand) ? line : NULL, json_string_value(mid),
                            (int)json_integer_value(index), &e);
    if (err != KITE_OK) {
        reply_media_down(req, "trickle", err, &e);
        return;
    }
    http_reply_empty(req, 204);
}

/* A monitor comes in: the room is made if need be, and a visit that waits for monitoring may start. */
static void media_watch(http_request *req, kite_app *app, const live_call *c)
{
    if (c->side != LIVE_SIDE_MONITOR) {
        (void)reply_live(req, KITE_ERR_FORBIDDEN, NULL, FAULT_LIVE_MONITOR_ONLY, 0);
        return;
    }
    live_room room;
    live_peer p;
    janus_error e = {0};
    kite_err err = room_ready(app, c, &room, &e);
    if (err == KITE_OK)
        err = peer_ready(app, c, &p, &e);
    if (err == KITE_ERR_IO) {
        reply_media_down(req, "watch", err, &e);
        return;
    }
    if (err == KITE_OK && (err = live_peer_save(&app->ctx, &p)) == KITE_OK)
        err = live_room_monitor_joined(&app->ctx, c->now, c->v.id);
    if (err == KITE_ERR_GONE) {
        (void)reply_live(req, KITE_ERR_GONE, NULL, FAULT_LIVE_OVER, 0);
        return;
    }
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:b}", "monitor_present", 1));
}

/* Closes the room (store, then Janus) and settles the visit; *charged is what the visit kept. */
static kite_err visit_close(kite_app *app, const live_call *c, visit_end_reason reason, const char *note,
                            const char *actor, int64_t *charged)
{
    return live_visit_end(&app->ctx, app->video.janus, c->now, c->v.id, reason, note, actor, charged);
}

/* Leaving: the person's Janus session goes (their feeds with it); a party leaving a connected visit ends it. */
static void media_leave(http_request *req, kite_app *app, const live_call *c)
{
    live_peer p;
    kite_err err = live_peer_get(&app->ctx, c->v.id, c->s->account.id, &p);
    if (err == KITE_OK && p.left_at == 0) {
        janus_error e = {0};
        if (p.janus_session != 0 && janus_session_destroy(app->video.janus, p.janus_session, &e) != KITE_OK)
            log_warn("video: ending a session of visit %lld failed: Janus %d %s", (long long)c->v.id, e.code, e.reason);
        p = (live_peer){.id = p.id, .visit_id = p.visit_id, .account_id = p.account_id, .side = p.side,
                        .joined_at = p.joined_at, .seen_at = c->now, .left_at = c->now};
        err = live_peer_save(&app->ctx, &p);
    }
    bool ended = false;
    int64_t charged = 0;
    if ((err == KITE_OK || err == KITE_ERR_NOT_FOUND) && c->side != LIVE_SIDE_MONITOR && c->v.connected_at != 0) {
        err = visit_close(app, c, VISIT_END_BY_PARTY, NULL, session_actor(req, c->s), &charged);
        ended = err == KITE_OK;
        if (err == KITE_ERR_ALREADY_DECIDED)
            err = KITE_OK;
    }
    if (err != KITE_OK && err != KITE_ERR_NOT_FOUND) {
        reply_kite_error(req, err);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:b, s:b}", "left", 1, "ended", ended));
}

void handle_visit_media(http_request *req, void *app_ptr)
{
    kite_app *app = app_ptr;
    live_call c;
    if (!live_call_or_reply(req, app, &c, LIVE_NOW))
        return;
    json_t *body = parse_body_or_reply(req);
    const char *action = NULL;
    if (body == NULL || !body_string_or_reply(req, body, "action", true, &action))
        return;
    if (strcmp(action, "publish") == 0)
        media_publish(req, app, &c, body);
    else if (strcmp(action, "subscribe") == 0)
        media_subscribe(req, app, &c, body);
    else if (strcmp(action, "answer") == 0)
        media_answer(req, app, &c, body);
    else if (strcmp(action, "trickle") == 0)
        media_trickle(req, app, &c, body);
    else if (strcmp(action, "watch") == 0)
        media_watch(req, app, &c);
    else if (strcmp(action, "leave") == 0)
        media_leave(req, app, &c);
    else
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "action", FAULT_NOT_VALID);
}

/* ---- the monitor's actions ---- */

void handle_visit_mute(http_request *req, void *app_ptr)
{
    kite_app *app = app_ptr;
    live_call c;
    if (!live_call_or_reply(req, app, &c, LIVE_NOW | LIVE_MONITOR_ONLY))
        return;
    json_t *body = parse_body_or_reply(req);
    live_side side;
    const char *media = NULL;
    if (body == NULL || !party_side_or_reply(req, body, "side", &side) ||
        !body_string_or_reply(req, body, "media", true, &media))
        return;
    json_t *muted = json_object_get(body, "muted");
    bool video = strcmp(media, "video") == 0;
    if (!video && strcmp(media, "audio") != 0) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "media", FAULT_NOT_VALID);
        return;
    }
    if (!json_is_boolean(muted)) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "muted", muted == NULL ? FAULT_REQUIRED : FAULT_NOT_BOOLEAN);
        return;
    }
    room_view view;
    live_room room;
    kite_err err = room_view_read(app, http_arena(req), c.v.id, &view);
    if (err == KITE_OK && !sending(view.party[side])) {
        (void)reply_live(req, KITE_ERR_CONFLICT, "feed", FAULT_LIVE_NO_FEED, 0);
        return;
    }
    if (err == KITE_OK)
        err = live_room_get(&app->ctx, c.v.id, &room);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    live_peer target = *view.party[side];
    control ctl;
    janus_error e = {0};
    err = control_open(app, &ctl, &e);
    if (err == KITE_OK)
        err = janus_moderate(app->video.janus, ctl.session, ctl.handle, room.janus_room, room.secret, target.feed,
                             video ? target.video_mid : target.audio_mid, json_is_true(muted), &e);
    control_close(app, &ctl);
    if (err != KITE_OK) {
        reply_media_down(req, "moderate", err, &e);
        return;
    }
    if (video)
        target.video_muted = json_is_true(muted);
    else
        target.audio_muted = json_is_true(muted);
    if ((err = live_peer_save(&app->ctx, &target)) != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    log_info("video: visit %lld: %s muted the %s's %s: %s", (long long)c.v.id, session_actor(req, c.s),
             live_side_name(side), media, json_is_true(muted) ? "on" : "off");
    http_reply_json(req, 200, json_pack("{s:s, s:b, s:b}", "side", live_side_name(side), "audio_muted",
                                        target.audio_muted, "video_muted", target.video_muted));
}

void handle_visit_end(http_request *req, void *app_ptr)
{
    kite_app *app = app_ptr;
    live_call c;
    if (!live_call_or_reply(req, app, &c, LIVE_NOW | LIVE_MONITOR_ONLY))
        return;
    json_t *body = parse_body_or_reply(req);
    const char *reason = NULL;
    if (body == NULL || !body_string_or_reply(req, body, "reason", true, &reason))
        return;
    const char *trimmed = text_trim(http_arena(req), reason);
    if (trimmed[0] == '\0' || utf8_length(trimmed) > LIVE_NOTE_MAX_CHARS) {
        kite_fault f = {0};
        (void)fault_set(&f, KITE_ERR_INVALID_FIELD, "reason", trimmed[0] == '\0' ? FAULT_EMPTY : FAULT_LENGTH);
        f.limit = LIVE_NOTE_MAX_CHARS;
        reply_fault(req, &f);
        return;
    }
    int64_t charged = 0;
    kite_err err = visit_close(app, &c, VISIT_END_BY_MONITOR, trimmed, session_actor(req, c.s), &charged);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:I, s:s, s:s, s:I}", "visit_id", (json_int_t)c.v.id, "state", "ended",
                                        "end_reason", visit_end_reason_name(VISIT_END_BY_MONITOR), "charged_cents",
                                        (json_int_t)charged));
}
