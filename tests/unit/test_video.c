/*
 * test_video.c - the video helper: what the server checks by itself
 * (sniffing, content types, prechecks, output size, the answer's layout),
 * the transcode run in-process on videos this test makes with libav (a
 * 2-second VP8 + Opus WebM as MediaRecorder writes it, without a declared
 * duration; an H.264 MP4 when Debian's libavcodec has libx264), hostile
 * inputs, and the whole path through the confined helper process: this
 * program starts itself as `test_video video-worker`, the same code
 * `kite video-worker` runs.
 *
 * Nothing binary is committed: every video is synthesized here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "sandbox/image_sandbox.h"
#include "sandbox/video.h"
#include "sandbox/video_sandbox.h"
#include "sandbox/video_worker.h"

/* ---- making videos ---- */

typedef struct synth {
    const char *format;      /* "webm", "mp4" */
    const char *video_codec; /* NULL: no video stream */
    const char *audio_codec; /* NULL: no sound */
    int width, height, fps, frames;
    int audio_ms;
    int rotation; /* a display matrix turning the picture this many degrees (counter-clockwise, as libav counts) */
} synth;

typedef struct made {
    uint8_t *data; /* av_free */
    size_t len;
} made;

static AVCodecContext *open_encoder(AVFormatContext *oc, const char *name, bool video, const synth *s, AVStream **st)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (codec == NULL)
        return NULL;
    AVCodecContext *c = avcodec_alloc_context3(codec);
    if (video) {
        c->width = s->width;
        c->height = s->height;
        c->pix_fmt = AV_PIX_FMT_YUV420P;
        c->time_base = (AVRational){1, s->fps};
        c->framerate = (AVRational){s->fps, 1};
        c->gop_size = s->fps;
        c->bit_rate = 200000;
        av_opt_set(c->priv_data, "preset", "ultrafast", 0);
        av_opt_set(c->priv_data, "deadline", "realtime", 0);
    } else {
        c->sample_rate = 48000;
        c->sample_fmt = codec->sample_fmts != NULL ? codec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
        av_channel_layout_default(&c->ch_layout, 1);
        c->bit_rate = 32000;
        c->time_base = (AVRational){1, 48000};
    }
    c->thread_count = 1;
    if (oc->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    assert_int_equal(avcodec_open2(c, codec, NULL), 0);
    *st = avformat_new_stream(oc, NULL);
    assert_non_null(*st);
    assert_true(avcodec_parameters_from_context((*st)->codecpar, c) >= 0);
    (*st)->time_base = c->time_base;
    return c;
}

static void drain(AVFormatContext *oc, AVCodecContext *c, AVStream *st, const AVFrame *f)
{
    assert_int_equal(avcodec_send_frame(c, f), 0);
    AVPacket *pkt = av_packet_alloc();
    while (avcodec_receive_packet(c, pkt) == 0) {
        av_packet_rescale_ts(pkt, c->time_base, st->time_base);
        pkt->stream_index = st->index;
        assert_int_equal(av_interleaved_write_frame(oc, pkt), 0);
    }
    av_packet_free(&pkt);
}

static void write_video(AVFormatContext *oc, AVCodecContext *c, AVStream *st, const synth *s)
{
    AVFrame *f = av_frame_alloc();
    f->format = c->pix_fmt;
    f->width = c->width;
    f->height = c->height;
    assert_int_equal(av_frame_get_buffer(f, 0), 0);
    for (int i = 0; i < s->frames; i++) {
        assert_int_equal(av_frame_make_writable(f), 0);
        for (int y = 0; y < c->height; y++)
            for (int x = 0; x < c->width; x++)
                f->data[0][y * f->linesize[0] + x] = (uint8_t)(x + y + i * 3);
        for (int y = 0; y < c->height / 2; y++)
            for (int x = 0; x < c->width / 2; x++) {
                f->data[1][y * f->linesize[1] + x] = (uint8_t)(128 + y + i * 2);
                f->data[2][y * f->linesize[2] + x] = (uint8_t)(64 + x + i * 5);
            }
        f->pts = i;
        drain(oc, c, st, f);
    }
    drain(oc, c, st, NULL);
    av_frame_free(&f);
}

static void write_audio(AVFormatContext *oc, AVCodecContext *c, AVStream *st, const synth *s)
{
    int size = c->frame_size > 0 ? c->frame_size : 960;
    int64_t total = (int64_t)s->audio_ms * 48;
    AVFrame *f = av_frame_alloc();
    for (int64_t done = 0; done < total; done += size) {
        f->nb_samples = size;
        f->format = c->sample_fmt;
        f->sample_rate = 48000;
        av_channel_layout_default(&f->ch_layout, 1);
        assert_int_equal(av_frame_get_buffer(f, 0), 0);
        for (int i = 0; i < size; i++) {
            float v = (float)(0.2 * sin((double)(done + i) * 440.0 * 2.0 * M_PI / 48000.0));
            if (c->sample_fmt == AV_SAMPLE_FMT_S16)
                ((int16_t *)(void *)f->data[0])[i] = (int16_t)(v * 32767.0f);
            else
                ((float *)(void *)f->data[0])[i] = v;
        }
        f->pts = done;
        drain(oc, c, st, f);
        av_frame_unref(f);
    }
    drain(oc, c, st, NULL);
    av_frame_free(&f);
}

/* The video s describes, muxed into memory (not seekable: no duration in a WebM, a fragmented MP4). */
static bool make_video(const synth *s, made *out)
{
    memset(out, 0, sizeof *out);
    if ((s->video_codec != NULL && avcodec_find_encoder_by_name(s->video_codec) == NULL) ||
        (s->audio_codec != NULL && avcodec_find_encoder_by_name(s->audio_codec) == NULL))
        return false;
    AVFormatContext *oc = NULL;
    assert_true(avformat_alloc_output_context2(&oc, NULL, s->format, NULL) >= 0);
    assert_int_equal(avio_open_dyn_buf(&oc->pb), 0);
    AVStream *vst = NULL, *ast = NULL;
    AVCodecContext *vc = s->video_codec ? open_encoder(oc, s->video_codec, true, s, &vst) : NULL;
    AVCodecContext *ac = s->audio_codec ? open_encoder(oc, s->audio_codec, false, s, &ast) : NULL;
    if (s->rotation != 0 && vst != NULL) {
        uint8_t *m = av_stream_new_side_data(vst, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
        assert_non_null(m);
        int32_t matrix[9];
        av_display_rotation_set(matrix, s->rotation);
        memcpy(m, matrix, sizeof matrix);
    }
    AVDictionary *opts = NULL;
    if (strcmp(s->format, "mp4") == 0)
        av_dict_set(&opts, "movflags", "frag_keyframe+empty_moov", 0);
    else
        av_dict_set(&opts, "live", "1", 0); /* no duration, no cues: what MediaRecorder writes */
    assert_true(avformat_write_header(oc, &opts) >= 0);
    av_dict_free(&opts);
    if (vc != NULL)
        write_video(oc, vc, vst, s);
    if (ac != NULL)
        write_audio(oc, ac, ast, s);
    assert_true(av_write_trailer(oc) >= 0);
    int len = avio_close_dyn_buf(oc->pb, &out->data);
    oc->pb = NULL;
    out->len = (size_t)len;
    avcodec_free_context(&vc);
    avcodec_free_context(&ac);
    avformat_free_context(oc);
    return true;
}

static const synth recorded = {"webm", "libvpx", "libopus", 320, 240, 30, 60, 2000, 0};

/* ---- what the server checks itself ---- */

static void test_sniffing_and_content_types(void **state)
{
    (void)state;
    static const uint8_t webm[8] = {0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81};
    static const uint8_t mp4[12] = {0, 0, 0, 0x20, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm'};
    static const uint8_t png[12] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13};
    assert_int_equal(video_sniff(webm, sizeof webm), VIDEO_WEBM);
    assert_int_equal(video_sniff(mp4, sizeof mp4), VIDEO_MP4);
    assert_int_equal(video_sniff(png, sizeof png), VIDEO_NONE);
    assert_int_equal(video_sniff(mp4, 8), VIDEO_NONE);
    assert_int_equal(video_sniff(NULL, 0), VIDEO_NONE);
    assert_int_equal(video_type_from_content_type("video/webm;codecs=vp8,opus"), VIDEO_WEBM);
    assert_int_equal(video_type_from_content_type("VIDEO/MP4"), VIDEO_MP4);
    assert_int_equal(video_type_from_content_type("video/quicktime"), VIDEO_MP4);
    assert_int_equal(video_type_from_content_type("video/ogg"), VIDEO_NONE);
    assert_int_equal(video_type_from_content_type("video/webmx"), VIDEO_NONE);
    assert_int_equal(video_type_from_content_type(NULL), VIDEO_NONE);
    video_type t;
    assert_int_equal(video_precheck(webm, 0, VIDEO_WEBM, &t), VIDEO_EMPTY);
    assert_int_equal(video_precheck(webm, (size_t)VIDEO_UPLOAD_MAX_BYTES + 1, VIDEO_WEBM, &t), VIDEO_TOO_LARGE);
    assert_int_equal(video_precheck(png, sizeof png, VIDEO_WEBM, &t), VIDEO_UNKNOWN_TYPE);
    assert_int_equal(video_precheck(mp4, sizeof mp4, VIDEO_WEBM, &t), VIDEO_TYPE_MISMATCH);
    assert_int_equal(video_precheck(webm, sizeof webm, VIDEO_WEBM, &t), VIDEO_OK);
    assert_int_equal(t, VIDEO_WEBM);
}

static void test_output_size(void **state)
{
    (void)state;
    int w, h;
    video_output_size(1920, 1080, &w, &h);
    assert_int_equal(w, 640);
    assert_int_equal(h, 360);
    video_output_size(1080, 1920, &w, &h);
    assert_int_equal(w, 360);
    assert_int_equal(h, 640);
    video_output_size(321, 241, &w, &h);
    assert_int_equal(w, 320);
    assert_int_equal(h, 240);
    video_output_size(4096, 1, &w, &h);
    assert_int_equal(w, 640);
    assert_int_equal(h, 2);
}

static void test_answer_layout_is_checked(void **state)
{
    (void)state;
    uint8_t body[64] = {0};
    static const uint8_t jpeg[4] = {0xFF, 0xD8, 0xFF, 0xE0};
    static const uint8_t ebml[4] = {0x1A, 0x45, 0xDF, 0xA3};
    video_answer_prefix(2000, 4, body);
    memcpy(body + 8, jpeg, 4);
    memcpy(body + 12, ebml, 4);
    video_answer a;
    assert_true(video_answer_split(body, 16, &a));
    assert_int_equal(a.duration_ms, 2000);
    assert_int_equal(a.poster_len, 4);
    assert_int_equal(a.webm_len, 4);
    assert_false(video_answer_split(body, 12, &a)); /* no WebM after the poster */
    video_answer_prefix(2000, 1000, body);          /* a poster longer than the answer */
    assert_false(video_answer_split(body, 16, &a));
    video_answer_prefix(VIDEO_MAX_MS + VIDEO_SLACK_MS + 1, 4, body); /* longer than allowed */
    assert_false(video_answer_split(body, 16, &a));
    video_answer_prefix(2000, 4, body);
    body[8] = 0; /* not a JPEG */
    assert_false(video_answer_split(body, 16, &a));
    assert_false(video_answer_split(NULL, 0, &a));
}

/* ---- the transcode, in-process ---- */

static void assert_transcoded(const video_transcoded *t, int width, int height)
{
    assert_int_equal(t->width, width);
    assert_int_equal(t->height, height);
    assert_true(t->duration_ms >= 1800 && t->duration_ms <= 2200);
    assert_int_equal(video_sniff(t->webm, t->webm_len), VIDEO_WEBM);
    assert_true(t->poster_len > 3 && t->poster[0] == 0xFF && t->poster[1] == 0xD8);
    assert_null(memmem(t->webm, t->webm_len, "Lavc", 4)); /* bit-exact: no encoder version */
    assert_non_null(memmem(t->webm, t->webm_len, "V_VP8", 5));
}

static void test_a_recorded_webm_is_transcoded(void **state)
{
    (void)state;
    made m;
    assert_true(make_video(&recorded, &m));
    video_transcoded t;
    assert_int_equal(video_worker_transcode(m.data, m.len, VIDEO_WEBM, &t), VIDEO_OK);
    assert_transcoded(&t, 320, 240);
    assert_non_null(memmem(t.webm, t.webm_len, "A_OPUS", 6));
    video_transcoded_free(&t);
    av_free(m.data);
}

static void test_a_phone_mp4_is_transcoded_and_shrunk(void **state)
{
    (void)state;
    static const synth phone = {"mp4", "libx264", "aac", 1280, 720, 30, 60, 2000, 0};
    made m;
    if (!make_video(&phone, &m)) {
        skip(); /* no H.264 encoder in this libavcodec */
        return;
    }
    video_transcoded t;
    assert_int_equal(video_worker_transcode(m.data, m.len, VIDEO_MP4, &t), VIDEO_OK);
    assert_transcoded(&t, 640, 360);
    video_transcoded_free(&t);
    av_free(m.data);
}

/* A phone's portrait video: stored sideways with a display matrix, which Kite does not copy, so it turns the pixels. */
static void test_a_sideways_phone_video_is_turned_upright(void **state)
{
    (void)state;
    static const synth portrait = {"mp4", "libx264", NULL, 1280, 720, 30, 60, 0, 90};
    made m;
    if (!make_video(&portrait, &m)) {
        skip();
        return;
    }
    video_transcoded t;
    assert_int_equal(video_worker_transcode(m.data, m.len, VIDEO_MP4, &t), VIDEO_OK);
    assert_int_equal(t.width, 360);
    assert_int_equal(t.height, 640);
    video_transcoded_free(&t);
    av_free(m.data);
}

static void test_hostile_inputs_are_refused(void **state)
{
    (void)state;
    made good, sound, long_one, empty_video;
    assert_true(make_video(&recorded, &good));
    static const synth sound_only = {"webm", NULL, "libopus", 0, 0, 0, 0, 2000, 0};
    static const synth forty_seconds = {"webm", "libvpx", NULL, 16, 16, 2, 80, 0, 0};
    static const synth no_frames = {"webm", "libvpx", "libopus", 64, 48, 10, 0, 500, 0};
    assert_true(make_video(&sound_only, &sound));
    assert_true(make_video(&forty_seconds, &long_one));
    assert_true(make_video(&no_frames, &empty_video));
    video_transcoded t;
    /* Cut in half, a WebM that declares no length (as MediaRecorder writes it) is a shorter video or unreadable. */
    video_status half = video_worker_transcode(good.data, good.len / 2, VIDEO_WEBM, &t);
    assert_true(half == VIDEO_OK || half == VIDEO_UNREADABLE);
    assert_true(half != VIDEO_OK || t.duration_ms < 1800);
    video_transcoded_free(&t);
    assert_int_equal(video_worker_transcode(good.data, 40, VIDEO_WEBM, &t), VIDEO_UNREADABLE);
    assert_int_equal(video_worker_transcode(good.data, good.len, VIDEO_MP4, &t), VIDEO_TYPE_MISMATCH);
    assert_int_equal(video_worker_transcode(sound.data, sound.len, VIDEO_WEBM, &t), VIDEO_NO_VIDEO);
    assert_int_equal(video_worker_transcode(long_one.data, long_one.len, VIDEO_WEBM, &t), VIDEO_TOO_LONG);
    assert_int_equal(video_worker_transcode(empty_video.data, empty_video.len, VIDEO_WEBM, &t), VIDEO_NO_VIDEO);
    assert_int_equal(video_worker_transcode(NULL, 0, VIDEO_WEBM, &t), VIDEO_EMPTY);
    uint8_t noise[4096];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (uint8_t)(i * 131 + 7);
    memcpy(noise, good.data, 4); /* the EBML magic, then noise */
    assert_int_equal(video_worker_transcode(noise, sizeof noise, VIDEO_WEBM, &t), VIDEO_UNREADABLE);
    assert_null(t.webm);
    av_free(good.data);
    av_free(sound.data);
    av_free(long_one.data);
    av_free(empty_video.data);
}

/* ---- through the confined helper ---- */

static void test_the_confined_helper(void **state)
{
    (void)state;
    image_sandbox_config config;
    video_sandbox_config_defaults(&config);
    image_sandbox *helpers = image_sandbox_new(&config);
    arena *a = arena_new();
    made m;
    assert_true(make_video(&recorded, &m));
    video_result r;
    assert_int_equal(video_sandbox_process(helpers, a, m.data, m.len, VIDEO_WEBM, &r), KITE_OK);
    assert_int_equal(r.status, VIDEO_OK);
    assert_int_equal(r.width, 320);
    assert_int_equal(r.height, 240);
    assert_true(r.duration_ms >= 1800 && r.duration_ms <= 2200);
    assert_int_equal(video_sniff(r.webm, r.webm_len), VIDEO_WEBM);
    /* Refused in the server, before a helper: a PNG claiming to be a WebM. */
    static const uint8_t png[12] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13};
    assert_int_equal(video_sandbox_process(helpers, a, png, sizeof png, VIDEO_WEBM, &r), KITE_OK);
    assert_int_equal(r.status, VIDEO_UNKNOWN_TYPE);
    /* Refused by the helper: half a file. */
    assert_int_equal(video_sandbox_process(helpers, a, m.data, m.len / 3, VIDEO_WEBM, &r), KITE_OK);
    assert_true(r.status == VIDEO_UNREADABLE || r.status == VIDEO_OK);
    av_free(m.data);
    arena_free(a);
    image_sandbox_free(helpers);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "video-worker") == 0)
        return video_worker_main(argc - 1, argv + 1);
    av_log_set_level(AV_LOG_QUIET);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniffing_and_content_types),
        cmocka_unit_test(test_output_size),
        cmocka_unit_test(test_answer_layout_is_checked),
        cmocka_unit_test(test_a_recorded_webm_is_transcoded),
        cmocka_unit_test(test_a_phone_mp4_is_transcoded_and_shrunk),
        cmocka_unit_test(test_a_sideways_phone_video_is_turned_upright),
        cmocka_unit_test(test_hostile_inputs_are_refused),
        cmocka_unit_test(test_the_confined_helper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
