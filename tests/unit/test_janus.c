/*
 * test_janus.c - the Janus client (media/janus.c) against a real Janus: the
 * one tools/janus.sh starts (make test starts it and sets KITE_TEST_JANUS to
 * its base URL and KITE_TEST_JANUS_SECRET to its secret).  Sessions and
 * handles, keepalive, a room created with a secret and pin (and created
 * twice), a publisher joined with the pin and refused without it, an SDP
 * offer published and answered under the bitrate cap, a subscriber given
 * Janus's offer for that feed and starting with its answer, a trickled
 * candidate, moderate (mute) and kick, the publisher list, a wrong
 * api_secret refused, destroy (twice), a Janus that cannot be reached, and the
 * TURN REST credentials (media/turn.c) against an independent computation;
 * the admin API's handle_info (is a handle's WebRTC up, how many media
 * packets came in) on a publisher fed by no browser, with a wrong admin
 * secret and on a handle gone, and its parsing on answers recorded from
 * Debian's Janus 1.1.2 with a real Chromium publishing (janus.h), trimmed.
 *
 * Without KITE_TEST_JANUS every test is skipped with a message saying so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/secret.h"
#include "media/janus.h"
#include "media/turn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A browser-like offer: one audio and one video line, sendonly, with ICE and DTLS attributes. */
static const char OFFER[] =
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0 1\r\na=msid-semantic: WMS\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00\r\n"
    "a=setup:actpass\r\na=mid:0\r\na=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
    "a=ssrc:1001 cname:kite\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00\r\n"
    "a=setup:actpass\r\na=mid:1\r\na=sendonly\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\n"
    "a=ssrc:2002 cname:kite\r\n";

/* handle_info of a publisher handle with Chromium sending, as Janus 1.1.2 answered it (trimmed). */
static const char INFO_UP[] =
    "{\"janus\": \"success\", \"session_id\": 3354198107650337, \"transaction\": \"x\","
    " \"handle_id\": 3082813907429323, \"info\": {\"session_id\": 3354198107650337,"
    " \"plugin\": \"janus.plugin.videoroom\", \"plugin_specific\": {\"type\": \"publisher\"},"
    " \"flags\": {\"got-offer\": true, \"got-answer\": true, \"negotiated\": true, \"ready\": true,"
    " \"stopped\": false, \"alert\": false, \"has-audio\": true, \"has-video\": true},"
    " \"webrtc\": {\"ice\": {\"stream_id\": 1, \"component_id\": 1, \"state\": \"ready\"},"
    " \"dtls\": {\"dtls-role\": \"active\", \"dtls-state\": \"connected\", \"valid\": true, \"ready\": true,"
    " \"stats\": {\"in\": {\"packets\": 2, \"bytes\": 745}, \"out\": {\"packets\": 2, \"bytes\": 786}}},"
    " \"media\": {\"0\": {\"type\": \"audio\", \"mindex\": 0, \"mid\": \"0\","
    " \"direction\": {\"send\": false, \"recv\": true},"
    " \"stats\": {\"in\": {\"packets\": 67, \"bytes\": 4954, \"bytes_lastsec\": 3822},"
    " \"out\": {\"packets\": 0, \"bytes\": 0, \"bytes_lastsec\": 0, \"nacks\": 0}}},"
    " \"1\": {\"type\": \"video\", \"mindex\": 1, \"mid\": \"1\", \"direction\": {\"send\": false, \"recv\": true},"
    " \"stats\": {\"in\": {\"packets\": 46, \"bytes\": 40344, \"nacks\": 0, \"retransmissions\": 0},"
    " \"out\": {\"packets\": 0, \"bytes\": 0}}}}}}}";

/* The same handle once its page had gone: the handle kept, the PeerConnection hung up. */
static const char INFO_GONE_PAGE[] =
    "{\"janus\": \"success\", \"session_id\": 3354198107650337, \"transaction\": \"x\","
    " \"handle_id\": 3082813907429323, \"info\": {\"plugin\": \"janus.plugin.videoroom\","
    " \"plugin_specific\": {\"type\": \"publisher\", \"hangingup\": 0, \"destroyed\": 0},"
    " \"flags\": {\"got-offer\": false, \"got-answer\": false, \"negotiated\": false, \"ready\": false,"
    " \"stopped\": false}}}";

typedef struct fixture {
    janus_config config;
    uint64_t room;
    char secret[SECRET_TOKEN_HEX];
    char pin[16];
} fixture;

static const char *skip_reason(void)
{
    return getenv("KITE_TEST_JANUS") == NULL || getenv("KITE_TEST_JANUS")[0] == '\0'
               ? "KITE_TEST_JANUS is unset (the base URL of tools/janus.sh's Janus; make test sets it)"
               : NULL;
}

/* The admin API's base URL: KITE_TEST_JANUS_ADMIN, or tools/janus.sh's (the API's port plus one, /admin). */
static const char *admin_url(void)
{
    static char url[256];
    const char *given = getenv("KITE_TEST_JANUS_ADMIN"), *base = getenv("KITE_TEST_JANUS");
    if (given != NULL && given[0] != '\0')
        return given;
    unsigned port = 0;
    if (base == NULL || sscanf(base, "http://127.0.0.1:%u/janus", &port) != 1)
        return NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/admin", port + 1);
    return url;
}

static int setup(void **state)
{
    static fixture fx;
    memset(&fx, 0, sizeof fx);
    if (secret_init() != KITE_OK)
        return -1;
    fx.config = (janus_config){.base_url = getenv("KITE_TEST_JANUS"),
                               .api_secret = getenv("KITE_TEST_JANUS_SECRET"),
                               .admin_key = getenv("KITE_TEST_JANUS_SECRET"),
                               .admin_url = admin_url(),
                               .admin_secret = getenv("KITE_TEST_JANUS_SECRET"),
                               .event_wait_ms = 8000};
    secret_token(fx.secret);
    snprintf(fx.pin, sizeof fx.pin, "%06ld", (long)(getpid() % 1000000));
    fx.room = 1000000 + (uint64_t)getpid() * 100 + (uint64_t)(time(NULL) % 100);
    *state = &fx;
    return 0;
}

#define NEED_JANUS()                                   \
    do {                                               \
        if (skip_reason() != NULL) {                   \
            print_message("skipped: %s\n", skip_reason()); \
            skip();                                    \
        }                                              \
    } while (0)

/* A session with one videoroom handle. */
static void open_handle(const fixture *fx, uint64_t *session, uint64_t *handle)
{
    janus_error e = {0};
    assert_int_equal(janus_session_create(&fx->config, session, &e), KITE_OK);
    assert_true(*session > 0);
    assert_int_equal(janus_attach(&fx->config, *session, handle, &e), KITE_OK);
    assert_true(*handle > 0);
}

static void close_session(const fixture *fx, uint64_t session)
{
    janus_error e = {0};
    assert_int_equal(janus_session_destroy(&fx->config, session, &e), KITE_OK);
}

static void test_session_keepalive_and_secret(void **state)
{
    NEED_JANUS();
    fixture *fx = *state;
    uint64_t s, h;
    open_handle(fx, &s, &h);
    janus_error e = {0};
    assert_int_equal(janus_keepalive(&fx->config, s, &e), KITE_OK);
    assert_int_equal(janus_detach(&fx->config, s, h, &e), KITE_OK);
    close_session(fx, s);
    /* A destroyed session is gone. */
    assert_int_equal(janus_keepalive(&fx->config, s, &e), KITE_ERR_CONFLICT);
    /* Without the api_secret Janus opens nothing. */
    janus_config wrong = fx->config;
    wrong.api_secret = "not-the-secret";
    assert_int_equal(janus_session_create(&wrong, &s, &e), KITE_ERR_CONFLICT);
    assert_int_equal(e.code, 403);
}

static void test_room_publish_subscribe(void **state)
{
    NEED_JANUS();
    fixture *fx = *state;
    arena *a = arena_new();
    janus_error e = {0};
    uint64_t ctl_s, ctl_h, pub_s, pub_h, sub_s, sub_h;
    open_handle(fx, &ctl_s, &ctl_h);
    janus_room room = {.id = fx->room, .secret = fx->secret, .pin = fx->pin, .bitrate = 256000, .publishers = 2};
    bool existed = true, exists = false;
    assert_int_equal(janus_room_create(&fx->config, ctl_s, ctl_h, &room, &existed, &e), KITE_OK);
    assert_false(existed);
    assert_int_equal(janus_room_create(&fx->config, ctl_s, ctl_h, &room, &existed, &e), KITE_OK);
    assert_true(existed);
    assert_int_equal(janus_room_exists(&fx->config, ctl_s, ctl_h, fx->room, &exists, &e), KITE_OK);
    assert_true(exists);

    /* A publisher: refused with a wrong pin, joined with the right one, its offer answered. */
    open_handle(fx, &pub_s, &pub_h);
    janus_event ev;
    assert_int_equal(janus_join_publisher(a, &fx->config, pub_s, pub_h, fx->room, "000000x", "family", &ev, &e),
                     KITE_ERR_CONFLICT);
    assert_int_equal(janus_join_publisher(a, &fx->config, pub_s, pub_h, fx->room, fx->pin, "family", &ev, &e),
                     KITE_OK);
    uint64_t feed = ev.id;
    assert_true(feed > 0);
    janus_jsep offer = {"offer", OFFER};
    assert_int_equal(janus_publish(a, &fx->config, pub_s, pub_h, &offer, 256000, &ev, &e), KITE_OK);
    assert_string_equal(ev.jsep.type, "answer");
    assert_true(strncmp(ev.jsep.sdp, "v=0", 3) == 0);
    assert_non_null(ev.audio_mid);
    assert_non_null(ev.video_mid);
    const char *audio_mid = ev.audio_mid, *video_mid = ev.video_mid;
    assert_int_equal(janus_trickle(&fx->config, pub_s, pub_h, "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
                                   "0", 0, &e),
                     KITE_OK);
    assert_int_equal(janus_trickle(&fx->config, pub_s, pub_h, NULL, NULL, 0, &e), KITE_OK);

    /* The admin API: the handle exists, but its WebRTC is not up and no media came in (no browser sends). */
    janus_media m = {.up = true, .in_packets = 7};
    assert_int_equal(janus_handle_info(&fx->config, pub_s, pub_h, &m, &e), KITE_OK);
    assert_true(m.exists);
    assert_false(m.up);
    assert_int_equal(m.in_packets, 0);
    janus_config wrong_admin = fx->config;
    wrong_admin.admin_secret = "not-the-secret";
    assert_int_equal(janus_handle_info(&wrong_admin, pub_s, pub_h, &m, &e), KITE_ERR_CONFLICT);
    assert_int_equal(e.code, 403);
    /* A handle (or session) that no longer exists is "not up", not an error. */
    assert_int_equal(janus_handle_info(&fx->config, pub_s, pub_h + 1, &m, &e), KITE_OK);
    assert_false(m.exists);
    assert_false(m.up);
    assert_int_equal(janus_handle_info(&fx->config, pub_s + 1, pub_h, &m, NULL), KITE_OK);
    assert_false(m.exists);

    /* In the room, not publishing yet: no media flows without a browser at the other end. */
    janus_participant who[4];
    int count = 0;
    assert_int_equal(janus_participants(&fx->config, ctl_s, ctl_h, fx->room, who, 4, &count, &e), KITE_OK);
    assert_int_equal(count, 1);
    assert_true(who[0].id == feed);

    /* A subscriber: Janus offers a feed only once media flows from it (ICE and DTLS with a real
       browser: tests/web/visit-live.test.mjs); before that it says "no such feed" (428). */
    open_handle(fx, &sub_s, &sub_h);
    janus_event sub_ev;
    assert_int_equal(janus_subscribe(a, &fx->config, sub_s, sub_h, fx->room, fx->pin, feed, &sub_ev, &e),
                     KITE_ERR_CONFLICT);
    assert_int_equal(e.code, 428);

    /* The monitor's tools: mute the publisher's video and audio, then kick it. */
    assert_int_equal(janus_moderate(&fx->config, ctl_s, ctl_h, fx->room, fx->secret, feed, video_mid, true, &e), KITE_OK);
    assert_int_equal(janus_moderate(&fx->config, ctl_s, ctl_h, fx->room, fx->secret, feed, audio_mid, true, &e), KITE_OK);
    assert_int_equal(janus_moderate(&fx->config, ctl_s, ctl_h, fx->room, "wrong", feed, audio_mid, false, &e),
                     KITE_ERR_CONFLICT);
    assert_int_equal(janus_kick(&fx->config, ctl_s, ctl_h, fx->room, fx->secret, feed, &e), KITE_OK);

    /* Destroy needs the secret; twice is fine. */
    assert_int_equal(janus_room_destroy(&fx->config, ctl_s, ctl_h, fx->room, "wrong", &e), KITE_ERR_CONFLICT);
    assert_int_equal(janus_room_destroy(&fx->config, ctl_s, ctl_h, fx->room, fx->secret, &e), KITE_OK);
    assert_int_equal(janus_room_destroy(&fx->config, ctl_s, ctl_h, fx->room, fx->secret, &e), KITE_OK);
    assert_int_equal(janus_room_exists(&fx->config, ctl_s, ctl_h, fx->room, &exists, &e), KITE_OK);
    assert_false(exists);
    close_session(fx, sub_s);
    close_session(fx, pub_s);
    close_session(fx, ctl_s);
    arena_free(a);
}

static void test_jsep_checked(void **state)
{
    (void)state;
    janus_jsep good = {"offer", OFFER};
    assert_true(janus_jsep_valid(&good));
    assert_false(janus_jsep_valid(&(janus_jsep){"pranswer", OFFER}));
    assert_false(janus_jsep_valid(&(janus_jsep){"offer", "hello"}));
    assert_false(janus_jsep_valid(&(janus_jsep){"offer", NULL}));
    char *big = malloc(JANUS_SDP_MAX + 10);
    memset(big, 'a', JANUS_SDP_MAX + 9);
    memcpy(big, "v=0\r\n", 5);
    big[JANUS_SDP_MAX + 9] = '\0';
    assert_false(janus_jsep_valid(&(janus_jsep){"offer", big}));
    free(big);
}

/* TURN REST credentials as coturn recomputes them: base64(HMAC-SHA1(secret, "EXPIRY:LABEL")). */
static void test_turn_credentials(void **state)
{
    (void)state;
    char username[TURN_USERNAME_MAX], credential[TURN_CREDENTIAL_MAX];
    turn_credentials("s3cret", 1000, 3600, 7, username, credential);
    assert_string_equal(username, "4600:kite7");
    assert_string_equal(credential, "LiFzmJi3VQu8OaFVTEmLZ5DDwJY="); /* Python's hmac + base64 */
    turn_credentials("other", 1000, 3600, 7, username, credential);
    assert_string_not_equal(credential, "LiFzmJi3VQu8OaFVTEmLZ5DDwJY=");
}

static void test_media_parse(void **state)
{
    (void)state;
    janus_media m;
    /* Chromium sending: up, and the audio and video lines' received packets summed (not DTLS's own). */
    assert_true(janus_media_parse(INFO_UP, strlen(INFO_UP), &m));
    assert_true(m.exists);
    assert_true(m.up);
    assert_int_equal(m.in_packets, 67 + 46);
    /* The page gone: not up, nothing counted. */
    assert_true(janus_media_parse(INFO_GONE_PAGE, strlen(INFO_GONE_PAGE), &m));
    assert_true(m.exists);
    assert_false(m.up);
    assert_int_equal(m.in_packets, 0);
    /* Not a handle_info answer: an error, another verb, no info, not JSON, too long. */
    const char *refused[] = {"{\"janus\": \"error\", \"error\": {\"code\": 459, \"reason\": \"No such handle\"}}",
                             "{\"janus\": \"ack\", \"info\": {}}", "{\"janus\": \"success\"}",
                             "{\"janus\": \"success\", \"info\": []}", "{\"janus\": ", "[]", ""};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        m = (janus_media){.exists = true, .up = true, .in_packets = 5};
        assert_false(janus_media_parse(refused[i], strlen(refused[i]), &m));
        assert_false(m.exists);
        assert_false(m.up);
        assert_int_equal(m.in_packets, 0);
    }
    /* ready must be true itself; counts that are not non-negative integers below 2^53 count nothing. */
    const char *odd = "{\"janus\": \"success\", \"info\": {\"flags\": {\"ready\": 1}, \"webrtc\": {\"media\": {"
                      "\"0\": {\"stats\": {\"in\": {\"packets\": -5}}}, \"1\": {\"stats\": {\"in\": {\"packets\": \"9\"}}},"
                      "\"2\": {\"stats\": {\"in\": {\"packets\": 9007199254740993}}}, \"3\": {\"stats\": {\"in\": {\"packets\": 3}}},"
                      "\"4\": {\"stats\": {\"in\": {\"packets\": 1.5}}}, \"5\": 7}}}}";
    assert_true(janus_media_parse(odd, strlen(odd), &m));
    assert_false(m.up);
    assert_int_equal(m.in_packets, 3);
    /* At most JANUS_MEDIA_LINES_MAX media lines are read, and the sum stays in Janus's range. */
    char many[8192];
    size_t n = (size_t)snprintf(many, sizeof many, "{\"janus\": \"success\", \"info\": {\"flags\": {\"ready\": true},"
                                                   " \"webrtc\": {\"media\": {");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "%s\"%d\": {\"stats\": {\"in\": {\"packets\": 9007199254740000}}}",
                              i > 0 ? ", " : "", i);
    n += (size_t)snprintf(many + n, sizeof many - n, "}}}}");
    assert_true(n < sizeof many);
    assert_true(janus_media_parse(many, n, &m));
    assert_true(m.up);
    assert_true(m.in_packets > 0 && m.in_packets < ((int64_t)1 << 53));
}

static void test_unreachable(void **state)
{
    (void)state;
    janus_config c = {.base_url = "http://127.0.0.1:1/janus", .connect_timeout_ms = 500, .total_timeout_ms = 1000};
    uint64_t s = 0;
    janus_error e = {0};
    assert_int_equal(janus_session_create(&c, &s, &e), KITE_ERR_IO);
    assert_int_equal(e.http_status, 0);
    janus_config off = {0};
    assert_int_equal(janus_session_create(&off, &s, &e), KITE_ERR_IO);
    janus_media m;
    assert_int_equal(janus_handle_info(&c, 1, 2, &m, &e), KITE_ERR_IO); /* no admin URL */
    c.admin_url = "http://127.0.0.1:1/admin";
    assert_int_equal(janus_handle_info(&c, 1, 2, &m, &e), KITE_ERR_IO);
    assert_false(m.exists);
}

/* The server's start-up check: both APIs answer as configured; a wrong admin secret or URL is named. */
static void test_check(void **state)
{
    NEED_JANUS();
    const fixture *fx = *state;
    const char *which = NULL;
    janus_error e = {0};
    assert_int_equal(janus_check(&fx->config, &which, &e), KITE_OK);
    janus_config wrong = fx->config;
    wrong.admin_secret = "not-the-secret";
    assert_int_not_equal(janus_check(&wrong, &which, &e), KITE_OK);
    assert_string_equal(which, "admin API");
    assert_true(e.code != 0 || e.http_status != 0);
    wrong = fx->config;
    wrong.admin_url = "http://127.0.0.1:1/admin";
    wrong.connect_timeout_ms = 500;
    wrong.total_timeout_ms = 1000;
    assert_int_equal(janus_check(&wrong, &which, &e), KITE_ERR_IO);
    assert_string_equal(which, "admin API");
    wrong = fx->config;
    wrong.base_url = "http://127.0.0.1:1/janus";
    wrong.connect_timeout_ms = 500;
    wrong.total_timeout_ms = 1000;
    assert_int_equal(janus_check(&wrong, &which, &e), KITE_ERR_IO);
    assert_string_equal(which, "Janus API");
}

int main(void)
{
    if (skip_reason() != NULL)
        printf("test_janus: the tests that need Janus are skipped: %s\n", skip_reason());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_keepalive_and_secret),
        cmocka_unit_test(test_room_publish_subscribe),
        cmocka_unit_test(test_jsep_checked),
        cmocka_unit_test(test_media_parse),
        cmocka_unit_test(test_turn_credentials),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
