/*
 * video_transcode.c - one video message, checked, decoded and re-encoded
 * with libav (Debian's FFmpeg libraries), inside the confined helper.
 *
 * Design: the upload is read from memory through a custom I/O context (no
 * file, no protocol: nothing here can open anything), with the demuxer
 * forced to the container the bytes announced (Matroska/WebM or MOV/MP4)
 * and the decoders limited to an allow-list (VP8, VP9, H.264, HEVC; Opus,
 * Vorbis, AAC).  Bounds are checked as early as the file allows: streams,
 * codecs, declared dimensions and frame rate, and the declared duration
 * before one frame is decoded; a file that declares no duration (what
 * MediaRecorder writes) is refused as too long at the first packet past
 * the limit, never cut.  The first video stream is turned upright (a phone's
 * portrait video is stored sideways with a display matrix, which is side
 * data and not copied), scaled to at most 640 px
 * on the long side (even sides), at most 30 frames a second, and encoded
 * as VP8 at a capped bitrate; the first audio stream, if any, becomes mono
 * 48 kHz Opus.  The muxer writes WebM into a growing memory buffer that
 * can seek (so the file gets its duration and cues).  Nothing of the
 * input's metadata is copied: no container or stream tags (title, GPS
 * location, creation time, device), no chapters, no attachments, no side
 * data, and the muxer and encoders run bit-exact, so no library version or
 * encoder string is written ("Lavf" as the muxing application is all that
 * the WebM header must name).  The poster is the first frame, scaled the
 * same way, encoded as a baseline JPEG by libavcodec, bit-exact too.
 *
 * SECURITY: every byte is hostile: libavformat's demuxers and libavcodec's
 * decoders run on it here and nowhere else, one thread each, with
 * max_pixels set on every decoder (also those find_stream_info opens), a
 * cap on packets and decoded frames, and the caller's confinement around
 * it (video_worker.c).  Dimensions are checked on the stream and again on
 * every decoded frame, since a stream may change size midway.
 */
#include "sandbox/video_worker.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum {
    IO_BUFFER = 32 * 1024,
    MAX_PACKETS = 20000,       /* 30 s at 120 fps plus audio, with room */
    MAX_FRAMES = 4000,         /* decoded video frames */
    AUDIO_RATE = 48000,
    LIMIT_MS = VIDEO_MAX_MS + VIDEO_SLACK_MS,
};

static const enum AVCodecID video_codecs[] = {AV_CODEC_ID_VP8, AV_CODEC_ID_VP9, AV_CODEC_ID_H264, AV_CODEC_ID_HEVC};
static const enum AVCodecID audio_codecs[] = {AV_CODEC_ID_OPUS, AV_CODEC_ID_VORBIS, AV_CODEC_ID_AAC};
#define DECODER_NAMES "vp8,libvpx,vp9,libvpx-vp9,h264,hevc,opus,libopus,vorbis,libvorbis,aac,aac_fixed"

/* ---- memory in and out ---- */

typedef struct mem {
    uint8_t *data;
    size_t len, cap, pos;
    bool overflow; /* out only: the answer would pass its cap */
} mem;

static int mem_read(void *opaque, uint8_t *buf, int size)
{
    mem *m = opaque;
    size_t left = m->pos < m->len ? m->len - m->pos : 0;
    size_t n = (size_t)size < left ? (size_t)size : left;
    if (n == 0)
        return AVERROR_EOF;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (int)n;
}

static int64_t mem_seek(void *opaque, int64_t offset, int whence)
{
    mem *m = opaque;
    int64_t base = 0;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE:
        return (int64_t)m->len;
    case SEEK_SET:
        break;
    case SEEK_CUR:
        base = (int64_t)m->pos;
        break;
    case SEEK_END:
        base = (int64_t)m->len;
        break;
    default:
        return AVERROR(EINVAL);
    }
    if (offset > INT64_MAX - base || base + offset < 0 || base + offset > (int64_t)VIDEO_UPLOAD_MAX_BYTES * 2)
        return AVERROR(EINVAL);
    m->pos = (size_t)(base + offset);
    return (int64_t)m->pos;
}

static int mem_write(void *opaque, uint8_t *buf, int size)
{
    mem *m = opaque;
    size_t need = m->pos + (size_t)size;
    if (need > VIDEO_OUTPUT_MAX_BYTES) {
        m->overflow = true;
        return AVERROR(ENOSPC);
    }
    if (need > m->cap) {
        size_t cap = m->cap ? m->cap : 256 * 1024;
        while (cap < need)
            cap *= 2;
        uint8_t *grown = av_realloc(m->data, cap);
        if (grown == NULL)
            return AVERROR(ENOMEM);
        m->data = grown;
        m->cap = cap;
    }
    if (m->pos > m->len) /* a seek past the end leaves a gap of zeros */
        memset(m->data + m->len, 0, m->pos - m->len);
    memcpy(m->data + m->pos, buf, (size_t)size);
    m->pos = need;
    if (need > m->len)
        m->len = need;
    return size;
}

/* ---- one job ---- */

typedef struct job {
    mem in_mem, out_mem;
    AVFormatContext *in, *out;
    AVIOContext *in_io;  /* ours, not the demuxer's: freed here whether or not the input opened */
    int vi, ai; /* input stream indexes; ai < 0 without audio */
    AVCodecContext *vdec, *adec, *venc, *aenc;
    AVStream *vst, *ast;
    struct SwsContext *sws, *poster_sws;
    SwrContext *swr;
    int swr_rate, swr_format, swr_channels; /* what swr was set up for */
    AVAudioFifo *fifo;
    AVFrame *frame, *scaled, *chunk;
    AVFrame *sideways;  /* a frame scaled but not yet turned upright (rotation 90 or 270, or 180) */
    AVPacket *pkt;
    int out_w, out_h;   /* what Kite keeps, upright */
    int pre_w, pre_h;   /* the scaled size before turning: out_h x out_w for 90 and 270 */
    int rotation;       /* clockwise degrees the stream's display matrix asks for: 0, 90, 180, 270 */
    int64_t last_ms, next_ms, audio_samples, end_ms;
    int frames, packets;
    video_transcoded *result;
} job;

static bool allowed(enum AVCodecID id, const enum AVCodecID *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == id)
            return true;
    return false;
}

static int64_t to_ms(int64_t ts, AVRational tb, int64_t start)
{
    if (ts == AV_NOPTS_VALUE)
        return -1;
    return av_rescale_q(ts - (start == AV_NOPTS_VALUE ? 0 : start), tb, (AVRational){1, 1000});
}

static video_status say(video_status status, const char *what)
{
    fprintf(stderr, "video helper: %s\n", what);
    return status;
}

static video_status open_input(job *j, const void *buf, size_t len, video_type type)
{
    j->in_mem = (mem){(uint8_t *)buf, len, len, 0, false};
    uint8_t *iobuf = av_malloc(IO_BUFFER);
    AVIOContext *io = iobuf != NULL ? avio_alloc_context(iobuf, IO_BUFFER, 0, &j->in_mem, mem_read, NULL, mem_seek)
                                    : NULL;
    if (io == NULL)
        av_free(iobuf);
    j->in_io = io;
    j->in = avformat_alloc_context();
    if (io == NULL || j->in == NULL)
        return say(VIDEO_FAILED, "out of memory");
    j->in->pb = io;
    j->in->flags |= AVFMT_FLAG_CUSTOM_IO;
    j->in->codec_whitelist = av_strdup(DECODER_NAMES);
    j->in->format_whitelist = av_strdup("matroska,webm,mov,mp4,m4a,3gp,3g2,mj2");
    j->in->probesize = 5 * 1024 * 1024;
    j->in->max_analyze_duration = 5 * AV_TIME_BASE;
    const AVInputFormat *fmt = av_find_input_format(type == VIDEO_WEBM ? "matroska" : "mov");
    if (avformat_open_input(&j->in, NULL, fmt, NULL) != 0)
        return say(VIDEO_UNREADABLE, "the container could not be read");
    return VIDEO_OK;
}

/* What the container says, before any frame is decoded. */
static video_status check_declared(job *j, bool after_probe)
{
    AVFormatContext *in = j->in;
    if (in->nb_streams > VIDEO_MAX_STREAMS)
        return say(VIDEO_UNSUPPORTED_CODEC, "too many streams");
    int64_t limit = (int64_t)LIMIT_MS * (AV_TIME_BASE / 1000);
    if (in->duration != AV_NOPTS_VALUE && in->duration > limit)
        return say(VIDEO_TOO_LONG, "declared duration over the limit");
    j->vi = j->ai = -1;
    for (unsigned i = 0; i < in->nb_streams; i++) {
        const AVStream *st = in->streams[i];
        const AVCodecParameters *par = st->codecpar;
        if (st->duration != AV_NOPTS_VALUE && st->duration > 0 && to_ms(st->duration, st->time_base, 0) > LIMIT_MS)
            return say(VIDEO_TOO_LONG, "a stream's declared duration is over the limit");
        if (par->codec_type == AVMEDIA_TYPE_VIDEO && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC) && j->vi < 0) {
            if (!allowed(par->codec_id, video_codecs, sizeof video_codecs / sizeof video_codecs[0]))
                return say(VIDEO_UNSUPPORTED_CODEC, "video codec outside the allow-list");
            if (par->width > VIDEO_MAX_SIDE || par->height > VIDEO_MAX_SIDE || par->width < 0 || par->height < 0)
                return say(VIDEO_TOO_MANY_PIXELS, "declared dimensions over the limit");
            AVRational fps = st->avg_frame_rate;
            if (fps.num > 0 && fps.den > 0 && fps.num / fps.den > VIDEO_MAX_FPS)
                return say(VIDEO_TOO_MANY_PIXELS, "declared frame rate over the limit");
            j->vi = (int)i;
        } else if (par->codec_type == AVMEDIA_TYPE_AUDIO && j->ai < 0) {
            if (!allowed(par->codec_id, audio_codecs, sizeof audio_codecs / sizeof audio_codecs[0]))
                return say(VIDEO_UNSUPPORTED_CODEC, "audio codec outside the allow-list");
            j->ai = (int)i;
        }
    }
    if (j->vi < 0)
        return say(VIDEO_NO_VIDEO, "no video stream");
    if (after_probe && (in->streams[j->vi]->codecpar->width < 1 || in->streams[j->vi]->codecpar->height < 1))
        return say(VIDEO_UNREADABLE, "the video stream has no size");
    return VIDEO_OK;
}

static video_status probe(job *j)
{
    video_status status = check_declared(j, false);
    if (status != VIDEO_OK)
        return status;
    AVDictionary **opts = av_calloc(j->in->nb_streams, sizeof *opts);
    if (opts == NULL)
        return say(VIDEO_FAILED, "out of memory");
    for (unsigned i = 0; i < j->in->nb_streams; i++) {
        av_dict_set_int(&opts[i], "max_pixels", (int64_t)VIDEO_MAX_SIDE * VIDEO_MAX_SIDE, 0);
        av_dict_set(&opts[i], "threads", "1", 0);
    }
    int rc = avformat_find_stream_info(j->in, opts);
    for (unsigned i = 0; i < j->in->nb_streams; i++)
        av_dict_free(&opts[i]);
    av_free(opts);
    if (rc < 0)
        return say(VIDEO_UNREADABLE, "the streams could not be read");
    return check_declared(j, true);
}

static video_status open_decoder(AVStream *st, AVCodecContext **out)
{
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    AVCodecContext *c = codec != NULL ? avcodec_alloc_context3(codec) : NULL;
    *out = c;
    if (c == NULL || avcodec_parameters_to_context(c, st->codecpar) < 0)
        return say(VIDEO_UNREADABLE, "no decoder");
    c->thread_count = 1;
    c->max_pixels = (int64_t)VIDEO_MAX_SIDE * VIDEO_MAX_SIDE;
    c->pkt_timebase = st->time_base;
    if (avcodec_open2(c, codec, NULL) < 0)
        return say(VIDEO_UNREADABLE, "the decoder refused the stream");
    return VIDEO_OK;
}

static video_status open_video_encoder(job *j)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("libvpx");
    AVCodecContext *c = codec != NULL ? avcodec_alloc_context3(codec) : NULL;
    j->venc = c;
    if (c == NULL)
        return say(VIDEO_FAILED, "no VP8 encoder");
    c->width = j->out_w;
    c->height = j->out_h;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = (AVRational){1, 1000};
    c->framerate = (AVRational){VIDEO_OUTPUT_FPS, 1};
    c->bit_rate = VIDEO_OUTPUT_VIDEO_KBPS * 1000;
    c->rc_max_rate = c->bit_rate;
    c->rc_buffer_size = (int)c->bit_rate;
    c->gop_size = 2 * VIDEO_OUTPUT_FPS;
    c->thread_count = 1;
    c->flags |= AV_CODEC_FLAG_BITEXACT;
    av_opt_set(c->priv_data, "deadline", "realtime", 0);
    av_opt_set_int(c->priv_data, "cpu-used", 8, 0);
    if (j->out->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(c, codec, NULL) < 0)
        return say(VIDEO_FAILED, "the VP8 encoder would not start");
    j->vst = avformat_new_stream(j->out, NULL);
    if (j->vst == NULL || avcodec_parameters_from_context(j->vst->codecpar, c) < 0)
        return say(VIDEO_FAILED, "no output video stream");
    j->vst->time_base = c->time_base;
    return VIDEO_OK;
}

static video_status open_audio_encoder(job *j)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("libopus");
    AVCodecContext *c = codec != NULL ? avcodec_alloc_context3(codec) : NULL;
    j->aenc = c;
    if (c == NULL)
        return say(VIDEO_FAILED, "no Opus encoder");
    c->sample_rate = AUDIO_RATE;
    c->sample_fmt = AV_SAMPLE_FMT_FLT;
    av_channel_layout_default(&c->ch_layout, 1);
    c->bit_rate = VIDEO_OUTPUT_AUDIO_KBPS * 1000;
    c->time_base = (AVRational){1, AUDIO_RATE};
    c->thread_count = 1;
    c->flags |= AV_CODEC_FLAG_BITEXACT;
    if (j->out->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(c, codec, NULL) < 0)
        return say(VIDEO_FAILED, "the Opus encoder would not start");
    j->ast = avformat_new_stream(j->out, NULL);
    if (j->ast == NULL || avcodec_parameters_from_context(j->ast->codecpar, c) < 0)
        return say(VIDEO_FAILED, "no output audio stream");
    j->ast->time_base = c->time_base;
    j->fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLT, 1, c->frame_size > 0 ? c->frame_size * 4 : 4096);
    return j->fifo != NULL ? VIDEO_OK : say(VIDEO_FAILED, "out of memory");
}

/*
 * The clockwise turn a phone's display matrix asks for (a portrait video is
 * stored sideways with a matrix that turns it): the matrix itself is side
 * data, which Kite does not copy, so the pixels are turned instead.
 */
static int rotation_of(const AVStream *st)
{
    size_t size = 0;
    const uint8_t *m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (m == NULL || size < 9 * sizeof(int32_t))
        return 0;
    int32_t matrix[9];
    memcpy(matrix, m, sizeof matrix);
    double theta = -av_display_rotation_get(matrix);
    if (isnan(theta))
        return 0;
    long deg = (lround(theta / 90.0) * 90) % 360;
    return (int)(deg < 0 ? deg + 360 : deg);
}

/* Copies src (YUV 4:2:0, even sides) into dst turned clockwise by rotation degrees. */
static void rotate_planes(const AVFrame *src, AVFrame *dst, int rotation)
{
    for (int p = 0; p < 3; p++) {
        int w = p == 0 ? src->width : src->width / 2, h = p == 0 ? src->height : src->height / 2;
        const uint8_t *in = src->data[p];
        uint8_t *out = dst->data[p];
        int is = src->linesize[p], os = dst->linesize[p];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                uint8_t v = in[y * is + x];
                if (rotation == 90)
                    out[x * os + (h - 1 - y)] = v;
                else if (rotation == 270)
                    out[(w - 1 - x) * os + y] = v;
                else
                    out[(h - 1 - y) * os + (w - 1 - x)] = v;
            }
    }
}

/* src scaled by *ctx into dst (out_w x out_h, format fmt), turned upright on the way through tmp. */
static bool to_output(job *j, struct SwsContext **ctx, const AVFrame *src, AVFrame *tmp, AVFrame *dst,
                      enum AVPixelFormat fmt)
{
    AVFrame *target = j->rotation != 0 ? tmp : dst;
    *ctx = sws_getCachedContext(*ctx, src->width, src->height, (enum AVPixelFormat)src->format, j->pre_w, j->pre_h, fmt,
                                SWS_BILINEAR, NULL, NULL, NULL);
    if (*ctx == NULL || av_frame_make_writable(target) < 0 ||
        sws_scale(*ctx, (const uint8_t *const *)src->data, src->linesize, 0, src->height, target->data,
                  target->linesize) <= 0)
        return false;
    if (j->rotation != 0) {
        if (av_frame_make_writable(dst) < 0)
            return false;
        rotate_planes(tmp, dst, j->rotation);
    }
    return true;
}

static AVFrame *picture(int format, int width, int height)
{
    AVFrame *f = av_frame_alloc();
    if (f == NULL)
        return NULL;
    f->format = format;
    f->width = width;
    f->height = height;
    if (av_frame_get_buffer(f, 0) < 0)
        av_frame_free(&f);
    return f;
}

static video_status open_output(job *j)
{
    const AVCodecParameters *par = j->in->streams[j->vi]->codecpar;
    j->rotation = rotation_of(j->in->streams[j->vi]);
    bool sideways = j->rotation == 90 || j->rotation == 270;
    video_output_size(sideways ? par->height : par->width, sideways ? par->width : par->height, &j->out_w, &j->out_h);
    j->pre_w = sideways ? j->out_h : j->out_w;
    j->pre_h = sideways ? j->out_w : j->out_h;
    if (avformat_alloc_output_context2(&j->out, NULL, "webm", NULL) < 0)
        return say(VIDEO_FAILED, "no WebM muxer");
    j->out->flags |= AVFMT_FLAG_BITEXACT;
    uint8_t *iobuf = av_malloc(IO_BUFFER);
    j->out->pb = iobuf != NULL ? avio_alloc_context(iobuf, IO_BUFFER, 1, &j->out_mem, NULL, mem_write, mem_seek) : NULL;
    if (j->out->pb == NULL) {
        av_free(iobuf);
        return say(VIDEO_FAILED, "out of memory");
    }
    video_status status = open_video_encoder(j);
    if (status == VIDEO_OK && j->ai >= 0)
        status = open_audio_encoder(j);
    if (status == VIDEO_OK && avformat_write_header(j->out, NULL) < 0)
        status = say(VIDEO_FAILED, "the WebM header could not be written");
    return status;
}

/* Sends frame (NULL: flush) to enc and writes every packet it gives back. */
static video_status encode(job *j, AVCodecContext *enc, AVStream *st, const AVFrame *frame)
{
    if (avcodec_send_frame(enc, frame) < 0)
        return say(VIDEO_FAILED, "the encoder refused a frame");
    for (;;) {
        int rc = avcodec_receive_packet(enc, j->pkt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return VIDEO_OK;
        if (rc < 0)
            return say(VIDEO_FAILED, "the encoder failed");
        av_packet_rescale_ts(j->pkt, enc->time_base, st->time_base);
        j->pkt->stream_index = st->index;
        rc = av_interleaved_write_frame(j->out, j->pkt);
        if (rc < 0)
            return say(VIDEO_FAILED, j->out_mem.overflow ? "the answer grew past its cap" : "the muxer failed");
    }
}

/* The first frame, scaled like the video, as a JPEG. */
static video_status make_poster(job *j, const AVFrame *src)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    AVCodecContext *c = codec != NULL ? avcodec_alloc_context3(codec) : NULL;
    AVFrame *pic = picture(AV_PIX_FMT_YUVJ420P, j->out_w, j->out_h);
    AVFrame *tmp = j->rotation != 0 ? picture(AV_PIX_FMT_YUVJ420P, j->pre_w, j->pre_h) : NULL;
    AVPacket *pkt = av_packet_alloc();
    video_status status = VIDEO_FAILED;
    if (c == NULL || pic == NULL || pkt == NULL || (j->rotation != 0 && tmp == NULL))
        goto out;
    c->width = j->out_w;
    c->height = j->out_h;
    c->pix_fmt = AV_PIX_FMT_YUVJ420P;
    c->time_base = (AVRational){1, 25};
    c->flags |= AV_CODEC_FLAG_BITEXACT | AV_CODEC_FLAG_QSCALE;
    c->global_quality = FF_QP2LAMBDA * 4;
    if (avcodec_open2(c, codec, NULL) < 0 || !to_output(j, &j->poster_sws, src, tmp, pic, AV_PIX_FMT_YUVJ420P) ||
        avcodec_send_frame(c, pic) < 0 || avcodec_send_frame(c, NULL) < 0 || avcodec_receive_packet(c, pkt) < 0)
        goto out;
    if (pkt->size < 3 || pkt->size > VIDEO_POSTER_MAX_BYTES || (j->result->poster = av_malloc((size_t)pkt->size)) == NULL)
        goto out;
    memcpy(j->result->poster, pkt->data, (size_t)pkt->size);
    j->result->poster_len = (size_t)pkt->size;
    status = VIDEO_OK;
out:
    if (status != VIDEO_OK)
        say(status, "the poster could not be made");
    av_packet_free(&pkt);
    av_frame_free(&tmp);
    av_frame_free(&pic);
    avcodec_free_context(&c);
    return status;
}

static video_status on_video_frame(job *j, AVFrame *f)
{
    if (++j->frames > MAX_FRAMES)
        return say(VIDEO_TOO_LONG, "too many frames");
    if (f->width < 1 || f->height < 1 || f->width > VIDEO_MAX_SIDE || f->height > VIDEO_MAX_SIDE)
        return say(VIDEO_TOO_MANY_PIXELS, "a frame over the size limit");
    const AVStream *st = j->in->streams[j->vi];
    int64_t ms = to_ms(f->best_effort_timestamp, st->time_base, st->start_time);
    if (ms > LIMIT_MS)
        return say(VIDEO_TOO_LONG, "a frame past the limit");
    if (ms < 0)
        ms = j->last_ms + 1;
    if (j->frames > 1 && (ms < j->next_ms || ms <= j->last_ms))
        return VIDEO_OK; /* over 30 frames a second, or out of order: dropped */
    if (j->result->poster == NULL) {
        video_status status = make_poster(j, f);
        if (status != VIDEO_OK)
            return status;
    }
    if (!to_output(j, &j->sws, f, j->sideways, j->scaled, AV_PIX_FMT_YUV420P))
        return say(VIDEO_UNREADABLE, "a frame could not be scaled");
    j->scaled->pts = ms;
    j->last_ms = ms;
    j->next_ms = ms + 1000 / VIDEO_OUTPUT_FPS;
    if (ms + 1000 / VIDEO_OUTPUT_FPS > j->end_ms)
        j->end_ms = ms + 1000 / VIDEO_OUTPUT_FPS;
    return encode(j, j->venc, j->vst, j->scaled);
}

/* Moves whole encoder frames of audio out of the fifo (all that is left when flushing). */
static video_status drain_audio(job *j, bool flush)
{
    int size = j->aenc->frame_size > 0 ? j->aenc->frame_size : 960;
    while (av_audio_fifo_size(j->fifo) >= size || (flush && av_audio_fifo_size(j->fifo) > 0)) {
        int n = av_audio_fifo_size(j->fifo) < size ? av_audio_fifo_size(j->fifo) : size;
        av_frame_unref(j->chunk);
        j->chunk->nb_samples = n;
        j->chunk->format = AV_SAMPLE_FMT_FLT;
        j->chunk->sample_rate = AUDIO_RATE;
        av_channel_layout_default(&j->chunk->ch_layout, 1);
        if (av_frame_get_buffer(j->chunk, 0) < 0 || av_audio_fifo_read(j->fifo, (void **)j->chunk->data, n) != n)
            return say(VIDEO_FAILED, "out of memory");
        j->chunk->pts = j->audio_samples;
        j->audio_samples += n;
        video_status status = encode(j, j->aenc, j->ast, j->chunk);
        if (status != VIDEO_OK)
            return status;
    }
    return VIDEO_OK;
}

static video_status on_audio_frame(job *j, const AVFrame *f)
{
    if (j->swr == NULL) {
        AVChannelLayout mono;
        av_channel_layout_default(&mono, 1);
        AVChannelLayout in_layout = {0};
        if (av_channel_layout_copy(&in_layout, &f->ch_layout) < 0)
            return say(VIDEO_FAILED, "out of memory");
        int rc = swr_alloc_set_opts2(&j->swr, &mono, AV_SAMPLE_FMT_FLT, AUDIO_RATE, &in_layout,
                                     (enum AVSampleFormat)f->format, f->sample_rate, 0, NULL);
        av_channel_layout_uninit(&in_layout);
        if (rc < 0 || swr_init(j->swr) < 0)
            return say(VIDEO_UNREADABLE, "the audio could not be converted");
        j->swr_rate = f->sample_rate;
        j->swr_format = f->format;
        j->swr_channels = f->ch_layout.nb_channels;
    } else if (f->sample_rate != j->swr_rate || f->format != j->swr_format ||
               f->ch_layout.nb_channels != j->swr_channels) {
        return say(VIDEO_UNREADABLE, "the audio changes format midway");
    }
    int room = swr_get_out_samples(j->swr, f->nb_samples);
    if (room <= 0 || room > AUDIO_RATE * 10)
        return say(VIDEO_UNREADABLE, "an audio frame out of bounds");
    uint8_t *samples = av_malloc((size_t)room * sizeof(float));
    int got = samples != NULL ? swr_convert(j->swr, &samples, room, (const uint8_t **)f->extended_data, f->nb_samples)
                              : -1;
    int wrote = got > 0 ? av_audio_fifo_write(j->fifo, (void **)&samples, got) : got;
    av_free(samples);
    if (got < 0 || wrote < got)
        return say(VIDEO_UNREADABLE, "the audio could not be converted");
    if ((j->audio_samples + av_audio_fifo_size(j->fifo)) * 1000 / AUDIO_RATE > LIMIT_MS)
        return say(VIDEO_TOO_LONG, "audio past the limit");
    return drain_audio(j, false);
}

/* Sends pkt (NULL: flush) to the decoder and handles every frame it gives back. */
static video_status decode(job *j, AVCodecContext *dec, bool video, const AVPacket *pkt)
{
    int rc = avcodec_send_packet(dec, pkt);
    if (rc < 0 && rc != AVERROR_EOF)
        return video ? say(VIDEO_UNREADABLE, "the video could not be decoded") : VIDEO_OK; /* a bad audio packet is skipped */
    for (;;) {
        rc = avcodec_receive_frame(dec, j->frame);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return VIDEO_OK;
        if (rc < 0)
            return video ? say(VIDEO_UNREADABLE, "the video could not be decoded") : VIDEO_OK;
        video_status status = video ? on_video_frame(j, j->frame) : on_audio_frame(j, j->frame);
        av_frame_unref(j->frame);
        if (status != VIDEO_OK)
            return status;
    }
}

static video_status run(job *j)
{
    video_status status = VIDEO_OK;
    int rc;
    while (status == VIDEO_OK && (rc = av_read_frame(j->in, j->pkt)) >= 0) {
        if (++j->packets > MAX_PACKETS)
            status = say(VIDEO_TOO_LONG, "too many packets");
        else if (j->pkt->stream_index == j->vi || j->pkt->stream_index == j->ai) {
            const AVStream *st = j->in->streams[j->pkt->stream_index];
            if (to_ms(j->pkt->pts, st->time_base, st->start_time) > LIMIT_MS + 1000)
                status = say(VIDEO_TOO_LONG, "a packet past the limit");
            else if (j->pkt->stream_index == j->vi)
                status = decode(j, j->vdec, true, j->pkt);
            else
                status = decode(j, j->adec, false, j->pkt);
        }
        av_packet_unref(j->pkt);
    }
    if (status == VIDEO_OK)
        status = decode(j, j->vdec, true, NULL);
    if (status == VIDEO_OK && j->adec != NULL)
        status = decode(j, j->adec, false, NULL);
    if (status == VIDEO_OK && j->frames == 0)
        status = say(VIDEO_NO_VIDEO, "not one video frame");
    /* Far less than the container declared: the file was cut short (a WebM's clusters read until they stop). */
    int64_t declared_ms = j->in->duration != AV_NOPTS_VALUE ? j->in->duration / (AV_TIME_BASE / 1000) : 0;
    if (status == VIDEO_OK && declared_ms > 0 && j->end_ms + 1000 < declared_ms)
        status = say(VIDEO_UNREADABLE, "the file ends before the duration it declares");
    if (status == VIDEO_OK)
        status = encode(j, j->venc, j->vst, NULL);
    if (status == VIDEO_OK && j->aenc != NULL && (status = drain_audio(j, true)) == VIDEO_OK)
        status = encode(j, j->aenc, j->ast, NULL);
    if (status == VIDEO_OK && av_write_trailer(j->out) < 0)
        status = say(VIDEO_FAILED, "the WebM could not be finished");
    return status;
}

static void job_free(job *j)
{
    avformat_close_input(&j->in);
    if (j->in_io != NULL)
        av_freep(&j->in_io->buffer);
    avio_context_free(&j->in_io);
    if (j->out != NULL) {
        if (j->out->pb != NULL)
            av_freep(&j->out->pb->buffer);
        avio_context_free(&j->out->pb);
        avformat_free_context(j->out);
    }
    avcodec_free_context(&j->vdec);
    avcodec_free_context(&j->adec);
    avcodec_free_context(&j->venc);
    avcodec_free_context(&j->aenc);
    sws_freeContext(j->sws);
    sws_freeContext(j->poster_sws);
    swr_free(&j->swr);
    if (j->fifo != NULL)
        av_audio_fifo_free(j->fifo);
    av_frame_free(&j->frame);
    av_frame_free(&j->scaled);
    av_frame_free(&j->sideways);
    av_frame_free(&j->chunk);
    av_packet_free(&j->pkt);
    av_free(j->out_mem.data);
}

static video_status prepare(job *j, const void *buf, size_t len, video_type type)
{
    video_status status = open_input(j, buf, len, type);
    if (status == VIDEO_OK)
        status = probe(j);
    if (status == VIDEO_OK)
        status = open_decoder(j->in->streams[j->vi], &j->vdec);
    if (status == VIDEO_OK && j->ai >= 0 && open_decoder(j->in->streams[j->ai], &j->adec) != VIDEO_OK) {
        avcodec_free_context(&j->adec); /* an unreadable sound track: the video goes without it */
        j->ai = -1;
    }
    if (status == VIDEO_OK)
        status = open_output(j);
    j->frame = av_frame_alloc();
    j->chunk = av_frame_alloc();
    j->pkt = av_packet_alloc();
    if (status != VIDEO_OK)
        return status;
    j->scaled = picture(AV_PIX_FMT_YUV420P, j->out_w, j->out_h);
    if (j->rotation != 0)
        j->sideways = picture(AV_PIX_FMT_YUV420P, j->pre_w, j->pre_h);
    if (j->frame == NULL || j->scaled == NULL || j->chunk == NULL || j->pkt == NULL ||
        (j->rotation != 0 && j->sideways == NULL))
        return say(VIDEO_FAILED, "out of memory");
    return VIDEO_OK;
}

video_status video_worker_transcode(const void *buf, size_t len, video_type type, video_transcoded *out)
{
    memset(out, 0, sizeof *out);
    if (buf == NULL || len == 0)
        return VIDEO_EMPTY;
    if (len > VIDEO_UPLOAD_MAX_BYTES)
        return VIDEO_TOO_LARGE;
    if (video_sniff(buf, len) != type)
        return VIDEO_TYPE_MISMATCH;
    job j = {.vi = -1, .ai = -1, .last_ms = -1, .result = out};
    video_status status = prepare(&j, buf, len, type);
    if (status == VIDEO_OK)
        status = run(&j);
    if (status == VIDEO_OK) {
        out->webm = j.out_mem.data;
        out->webm_len = j.out_mem.len;
        j.out_mem.data = NULL;
        out->width = j.out_w;
        out->height = j.out_h;
        int64_t audio_ms = j.audio_samples * 1000 / AUDIO_RATE;
        int64_t ms = j.end_ms > audio_ms ? j.end_ms : audio_ms;
        out->duration_ms = (uint32_t)(ms < 1 ? 1 : ms > LIMIT_MS ? LIMIT_MS : ms);
    }
    job_free(&j);
    if (status != VIDEO_OK)
        video_transcoded_free(out);
    return status;
}

void video_transcoded_free(video_transcoded *t)
{
    av_freep(&t->webm);
    av_freep(&t->poster);
    memset(t, 0, sizeof *t);
}
