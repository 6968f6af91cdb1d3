// Small videos for the tests, made at test time by the ffmpeg program (Debian's ffmpeg
// package, tools/install-deps.sh test) from its synthetic sources: nothing binary is committed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

/** The file ffmpeg writes with these arguments (its output named name, so the extension picks the container). */
export function ffmpegVideo(name, args) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-video-'));
  const out = path.join(dir, name);
  try {
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, out], { stdio: ['ignore', 'ignore', 'inherit'] });
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One second of VP8 + Opus in WebM, what Chromium's MediaRecorder sends. */
export function smallWebm() {
  return ffmpegVideo('small.webm', ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=15', '-f', 'lavfi',
    '-i', 'sine=frequency=440:sample_rate=48000', '-t', '1', '-c:v', 'libvpx', '-b:v', '100k', '-c:a', 'libopus']);
}

/** The MP4 given with a display matrix turning it by degrees (a stream copy: ffmpeg sets the matrix only so). */
export function withRotation(mp4, degrees) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-video-'));
  try {
    const input = path.join(dir, 'in.mp4');
    const out = path.join(dir, 'out.mp4');
    fs.writeFileSync(input, mp4);
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-c', 'copy',
      '-metadata:s:v:0', `rotate=${degrees}`, out], { stdio: ['ignore', 'ignore', 'inherit'] });
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
