#!/bin/sh
# Makes the seed videos of fuzz/video.c in fuzz/corpus/video with the ffmpeg program, from its
# synthetic sources: tiny (32x24, half a second) so the fuzzer mutates structure, not pixels.
# usage: fuzz/make-video-corpus.sh   (the files are committed; run it again only to change them)
set -eu
cd "$(dirname "$0")/corpus"
mkdir -p video
f() { ffmpeg -hide_banner -loglevel error -y "$@"; }
src="-f lavfi -i testsrc=size=32x24:rate=10 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 0.5"
# shellcheck disable=SC2086
f $src -c:v libvpx -b:v 50k -c:a libopus -b:a 16k video/vp8-opus.webm
# shellcheck disable=SC2086
f $src -c:v libvpx-vp9 -b:v 50k -c:a libopus -b:a 16k video/vp9-opus.webm
# shellcheck disable=SC2086
f $src -c:v libx264 -preset ultrafast -c:a aac -b:a 16k video/h264-aac.mp4
# shellcheck disable=SC2086
f $src -c:v libx264 -preset ultrafast -c:a aac -b:a 16k -f mov video/h264-aac.mov
f -f lavfi -i testsrc=size=32x24:rate=10 -t 0.5 -c:v libvpx -b:v 50k -live 1 -f webm video/vp8-live.webm
f -f lavfi -i sine=frequency=440:sample_rate=48000 -t 0.5 -c:a libopus video/opus-only.webm
# A phone's portrait video: a display matrix that the helper turns into upright pixels.
f -i video/h264-aac.mp4 -c copy -metadata:s:v:0 rotate=90 video/h264-rotated.mp4
