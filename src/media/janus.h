/*
 * janus.h - the client of the Janus WebRTC server's HTTP API, for video visits.
 *
 * Design: Kite is the control plane and Janus the media engine.  Janus
 * listens on loopback (or a private network) only; browsers never reach its
 * API, only its media ports.  Every call here is one synchronous HTTP
 * exchange on libcurl with a connect and a total timeout, like the payment
 * processor's client (payment/processor.c), so a stuck Janus costs a request
 * thread a bounded time.  The wire protocol is Janus's REST transport:
 *
 *   POST {base}                       {"janus":"create"}            -> session id
 *   POST {base}/{session}             {"janus":"attach", "plugin":"janus.plugin.videoroom"} -> handle id
 *   POST {base}/{session}             {"janus":"keepalive"} | {"janus":"destroy"}
 *   POST {base}/{session}/{handle}    {"janus":"message", "body":{...}, "jsep":{...}}
 *   POST {base}/{session}/{handle}    {"janus":"trickle", "candidate":{...}}
 *   GET  {base}/{session}?maxev=1     the long poll: the session's next event
 *
 * Every request carries the api_secret (janus.jcfg's api_secret), and every
 * room creation the videoroom's admin_key.  A videoroom request answers at
 * once ("success" with plugindata: create, destroy, moderate, kick, exists,
 * listparticipants) or with an "ack" and later an "event" on the long poll
 * (join, publish, configure, start: the ones that carry a jsep).
 * janus_message() hides the difference: it long-polls the session until the
 * event with its transaction arrives (other events on the session, such as
 * "webrtcup" or "media", are passed over), so Kite gives each participant a
 * Janus session of its own, and janus.c makes one asynchronous request at a
 * time on a session (a lock per session in this process): two pollers on
 * one session would take each other's events.  Across Kite servers that
 * share a Janus, one person's requests may still meet: the page makes its
 * media calls one after another for that reason too.
 *
 * Sessions die after Janus's session_timeout (60 s by default) without a
 * request: janus_keepalive() is called while a participant is in the visit.
 *
 * Whether media flows is asked of Janus's admin API (another port and base
 * path, janus.jcfg's admin_http; its admin_secret), one handle at a time:
 *
 *   POST {admin}/{session}/{handle}   {"janus":"handle_info", "admin_secret":…} -> info
 *
 * What Debian's Janus 1.1.2 answered for a publisher handle with a real
 * Chromium sending (fake camera and microphone) through it, trimmed:
 *   info.flags.ready: true                 (false before ICE and DTLS are up, and after a hang-up)
 *   info.webrtc.ice.state: "ready", info.webrtc.dtls["dtls-state"]: "connected"
 *   info.webrtc.media["0"]: {type: "audio", stats: {in: {packets: 67, bytes: 4954, …}, out: {…}}}
 *   info.webrtc.media["1"]: {type: "video", stats: {in: {packets: 46, …}, …}}
 * and, once the page had gone (the handle kept, the PeerConnection hung
 * up): flags.ready false and no "webrtc" object at all.  A session or
 * handle that no longer exists is the error 458 or 459.  A publisher
 * handle only receives, so its in-packets are exactly the media its
 * browser sent; an offer from a program that sends nothing (the black-box
 * tests' node) never gets flags.ready.
 *
 * SECURITY: the base URL, the api_secret and the admin_key come from Kite's
 * configuration only; a room's secret and pin come from the store and go
 * only to Janus.  SDP from a browser is passed through as text of at most
 * JANUS_SDP_MAX bytes and never parsed here; Janus's answers are read up to
 * JANUS_ANSWER_MAX bytes and checked like any outside input.  Nothing here
 * logs a secret, a pin or an SDP.
 */
#ifndef KITE_MEDIA_JANUS_H
#define KITE_MEDIA_JANUS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

enum {
    JANUS_ANSWER_MAX = 256 * 1024, /* bytes of one answer from Janus */
    JANUS_SDP_MAX = 64 * 1024,     /* bytes of one SDP Kite passes through */
    JANUS_CANDIDATE_MAX = 1024,    /* bytes of one trickled ICE candidate line */
    JANUS_CONNECT_TIMEOUT_MS = 2000,
    JANUS_TOTAL_TIMEOUT_MS = 10000, /* one request; a long poll waits up to JANUS_EVENT_WAIT_MS more */
    JANUS_EVENT_WAIT_MS = 15000,    /* how long janus_message() waits for its event */
    JANUS_REASON_MAX = 200,
};

/* The videoroom's error codes Kite tells apart (janus_error.code). */
enum {
    JANUS_UNAUTHORIZED = 403,             /* a wrong api_secret */
    JANUS_VIDEOROOM_NO_SUCH_ROOM = 426,
    JANUS_VIDEOROOM_ROOM_EXISTS = 427,
    JANUS_VIDEOROOM_NO_SUCH_FEED = 428,   /* no such publisher, or one sending no media yet */
};

typedef struct janus_config {
    const char *base_url;   /* "http://127.0.0.1:8088/janus" (no trailing slash); NULL: video is off */
    const char *api_secret; /* janus.jcfg api_secret, or NULL when Janus has none */
    const char *admin_key;  /* janus.plugin.videoroom.jcfg admin_key, or NULL */
    const char *admin_url;  /* "http://127.0.0.1:7088/admin": the admin API (whether media flows); NULL: none */
    const char *admin_secret; /* janus.jcfg admin_secret, or NULL when Janus has none */
    long connect_timeout_ms; /* 0: JANUS_CONNECT_TIMEOUT_MS */
    long total_timeout_ms;   /* 0: JANUS_TOTAL_TIMEOUT_MS */
    long event_wait_ms;      /* 0: JANUS_EVENT_WAIT_MS */
} janus_config;

/* What Janus said when it refused: its error code (or the videoroom's) and reason, for the log. */
typedef struct janus_error {
    long http_status; /* 0 when no answer came */
    int code;         /* Janus's or the plugin's error_code; 0 when it was the transport */
    char reason[JANUS_REASON_MAX + 1];
} janus_error;

/* A session description: type "offer" or "answer" and the SDP text (arena or static memory). */
typedef struct janus_jsep {
    const char *type;
    const char *sdp;
} janus_jsep;

/* A per-visit room as Kite creates it. */
typedef struct janus_room {
    uint64_t id;          /* Kite chooses it (the store's, never the client's) */
    const char *secret;   /* needed to edit, moderate, kick and destroy */
    const char *pin;      /* needed to join */
    int64_t bitrate;      /* bits per second a publisher may send (the room's cap) */
    int publishers;       /* at most this many publishers (2: the two parties) */
    const char *description;
} janus_room;

/* The answer to a videoroom request that ended in an event. */
typedef struct janus_event {
    const char *videoroom;  /* "joined", "attached", "event", … (arena) */
    uint64_t id;            /* with "joined": this participant's id in the room */
    uint64_t private_id;    /* with "joined" */
    uint64_t feeds[4];      /* with "joined" or "event": publishers already in the room */
    int feed_count;
    janus_jsep jsep;        /* an offer or answer from Janus, or {NULL, NULL} */
    const char *audio_mid;  /* with a publish: the media line ids moderate() names, or NULL */
    const char *video_mid;
} janus_event;

/* Every call: KITE_OK, or KITE_ERR_IO (Janus unreachable, a timeout, an answer Kite cannot read),
   or KITE_ERR_CONFLICT (Janus or the plugin refused: *e says why).  e may be NULL. */
kite_err janus_session_create(const janus_config *c, uint64_t *session, janus_error *e) KITE_WUR;
kite_err janus_session_destroy(const janus_config *c, uint64_t session, janus_error *e) KITE_WUR;
kite_err janus_keepalive(const janus_config *c, uint64_t session, janus_error *e) KITE_WUR;
/* A handle on the videoroom plugin in session. */
kite_err janus_attach(const janus_config *c, uint64_t session, uint64_t *handle, janus_error *e) KITE_WUR;
kite_err janus_detach(const janus_config *c, uint64_t session, uint64_t handle, janus_error *e) KITE_WUR;

/* Creates room (not permanent, not recorded, bitrate capped).  A room that exists already is KITE_OK
   with *existed true (a second party's join racing the first). */
kite_err janus_room_create(const janus_config *c, uint64_t session, uint64_t handle, const janus_room *room,
                           bool *existed, janus_error *e) KITE_WUR;
/* Destroys a room; one already gone is KITE_OK. */
kite_err janus_room_destroy(const janus_config *c, uint64_t session, uint64_t handle, uint64_t room,
                            const char *secret, janus_error *e) KITE_WUR;
/* janus_room_destroy on a session of its own, made and destroyed for it (the sweeper's, an end's). */
kite_err janus_room_drop(const janus_config *c, uint64_t room, const char *secret, janus_error *e) KITE_WUR;
kite_err janus_room_exists(const janus_config *c, uint64_t session, uint64_t handle, uint64_t room, bool *exists,
                           janus_error *e) KITE_WUR;
/* Mutes (or unmutes) one media line (mid, from janus_publish's event) of a participant for everyone. */
kite_err janus_moderate(const janus_config *c, uint64_t session, uint64_t handle, uint64_t room,
                        const char *secret, uint64_t participant, const char *mid, bool muted, janus_error *e) KITE_WUR;
kite_err janus_kick(const janus_config *c, uint64_t session, uint64_t handle, uint64_t room, const char *secret,
                    uint64_t participant, janus_error *e) KITE_WUR;
/* Who is in a room, up to max; *count says how many.  publishing: media is flowing from it. */
typedef struct janus_participant {
    uint64_t id;
    bool publishing;
} janus_participant;
kite_err janus_participants(const janus_config *c, uint64_t session, uint64_t handle, uint64_t room,
                            janus_participant *out, int max, int *count, janus_error *e) KITE_WUR;

/* Joins room as a publisher (nothing sent yet): out->id is the participant's id, out->feeds who publishes. */
kite_err janus_join_publisher(arena *a, const janus_config *c, uint64_t session, uint64_t handle, uint64_t room,
                              const char *pin, const char *display, janus_event *out, janus_error *e) KITE_WUR;
/* Publishes the browser's offer with the room's bitrate cap: out->jsep is Janus's answer. */
kite_err janus_publish(arena *a, const janus_config *c, uint64_t session, uint64_t handle, const janus_jsep *offer,
                       int64_t bitrate, janus_event *out, janus_error *e) KITE_WUR;
/* Joins room as a subscriber of feed: out->jsep is Janus's offer for the browser. */
kite_err janus_subscribe(arena *a, const janus_config *c, uint64_t session, uint64_t handle, uint64_t room,
                         const char *pin, uint64_t feed, janus_event *out, janus_error *e) KITE_WUR;
/* Hands the browser's answer to a subscription's offer to Janus. */
kite_err janus_start(arena *a, const janus_config *c, uint64_t session, uint64_t handle, const janus_jsep *answer,
                     janus_event *out, janus_error *e) KITE_WUR;
/* One ICE candidate from the browser (candidate NULL: gathering completed). */
kite_err janus_trickle(const janus_config *c, uint64_t session, uint64_t handle, const char *candidate,
                       const char *sdp_mid, int sdp_mline_index, janus_error *e) KITE_WUR;

/* What the admin API says of one handle: is its WebRTC up, and how many media packets Janus received on it. */
typedef struct janus_media {
    bool exists;        /* false: no such session or handle (it went away: not up, and not an error) */
    bool up;            /* info.flags.ready: ICE and DTLS completed, and not hung up */
    int64_t in_packets; /* every media line's stats.in.packets, summed; 0 without a "webrtc" object */
} janus_media;
enum { JANUS_NO_SUCH_SESSION = 458, JANUS_NO_SUCH_HANDLE = 459, JANUS_MEDIA_LINES_MAX = 16 };
/*
 * Whether both of Janus's APIs answer Kite as configured: the Janus API's
 * "info" (reachable), and the admin API's "list_sessions" (reachable, and
 * the admin secret right).  *which names the one that failed ("Janus API"
 * or "admin API").  For the server's start: without the admin API no visit
 * ever counts as connected, so an operator must hear of it at once.
 */
kite_err janus_check(const janus_config *c, const char **which, janus_error *e) KITE_WUR;
/* handle_info on the admin API: KITE_OK (out->exists false for a handle gone), KITE_ERR_IO, KITE_ERR_CONFLICT. */
kite_err janus_handle_info(const janus_config *c, uint64_t session, uint64_t handle, janus_media *out,
                           janus_error *e) KITE_WUR;
/* Reads a handle_info "success" answer's text into *out; false when it is not one (janus_handle_info's, and the
   unit test's).  At most JANUS_MEDIA_LINES_MAX media lines count; each count is bounded to Janus's 53-bit range. */
bool janus_media_parse(const char *text, size_t len, janus_media *out);

/* A jsep fit to pass on: type offer|answer and 1..JANUS_SDP_MAX bytes of SDP text ("v=0" first). */
bool janus_jsep_valid(const janus_jsep *jsep);

#endif
