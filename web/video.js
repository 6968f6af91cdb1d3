// Video messages (docs/video-messages.md): recording one in the browser or choosing a file, for
// the compose form of a conversation (thread.js, on /messages and on the tablet), and playing one,
// in a conversation and in the reviewer's queue.
//
// Recording uses the camera and microphone through MediaRecorder, with a visible countdown from
// 30 seconds that stops the recording by itself at 0; the sender sees and hears it before it goes,
// can record again, and the video uploads while they finish the message (Kite transcodes it in a
// confined helper and stores its own WebM).  A video a person recorded has no captions:
// the player says so next to it rather than pretending otherwise.

import { upload } from './api.js';
import { h, replace } from './dom.js';
import { t, formatCount } from './i18n.js';

const MAX_SECONDS = 30;
const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
const VIDEO_TYPES = ['video/webm', 'video/mp4', 'video/quicktime'];

/* "0:27": seconds as a clock shows them. */
function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/* The best container Chromium and Firefox record to that Kite takes. */
function recorderType() {
  for (const type of ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus', 'video/webm']) {
    if (window.MediaRecorder && MediaRecorder.isTypeSupported(type)) return type;
  }
  return '';
}

/* A video message as the people who may see it play it: labelled, with its poster, no captions (said so). */
export function videoPlayer(id, { label, durationMs } = {}) {
  const noteId = `video-${id}-note`;
  const video = h('video', {
    controls: true, preload: 'metadata', playsinline: true, class: 'msg-video',
    poster: `/api/v1/attachments/${id}/poster`, src: `/api/v1/attachments/${id}`,
    'aria-label': label || t('Video message'), 'aria-describedby': noteId, 'data-attachment-id': id, 'data-testid': 'video-player',
  });
  const length = durationMs ? ` ${t('Length: {time}.', { time: clock(durationMs / 1000) })}` : '';
  return h('figure', { class: 'msg-video-figure' }, video,
    h('figcaption', { id: noteId, class: 'hint' },
      t('No captions: the sender recorded this video themselves.'), length));
}

/*
 * The compose form's video field: record or choose one video.  The same shape as the photo
 * picker in thread.js: { field, ids(), problem(), clear(), onChange(fn) }.
 */
export function videoPicker({ privileged = false } = {}) {
  const id = 'f-msg-video';
  const error = h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
  const status = h('p', { class: 'video-status', role: 'status', 'data-testid': 'video-status' });
  const countdown = h('p', { class: 'video-countdown', 'data-testid': 'video-countdown', hidden: true });
  const live = h('video', { class: 'video-live', muted: true, playsinline: true, hidden: true, 'aria-label': t('Camera preview') });
  live.muted = true; // the sender's own microphone must not play back while recording
  const preview = h('video', {
    class: 'video-preview', controls: true, playsinline: true, hidden: true,
    'aria-label': t('Your recorded video, before you send it'), 'data-testid': 'video-preview',
  });
  const input = h('input', {
    id, name: 'video', type: 'file', class: 'visually-hidden', accept: VIDEO_TYPES.join(','), 'aria-describedby': `${id}-hint ${id}-error`,
  });
  const chooseLabel = h('label', { for: id, class: 'button button--secondary' }, t('Choose a video file'));
  const canRecord = Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && recorderType());
  const recordBtn = h('button', { type: 'button', class: 'button button--secondary', 'data-testid': 'video-record', hidden: !canRecord },
    t('Record a video'));
  const stopBtn = h('button', { type: 'button', class: 'button', 'data-testid': 'video-stop', hidden: true }, t('Stop recording'));
  const removeBtn = h('button', { type: 'button', class: 'button button--small button--secondary', hidden: true, 'data-testid': 'video-remove' },
    t('Remove the video'));

  let state = 'empty'; // empty | recording | uploading | done | error
  let attachmentId = null;
  let controller = null;
  let stream = null;
  let recorder = null;
  let ticker = null;
  let previewUrl = null;
  let changed = () => {};

  function show() {
    recordBtn.hidden = !canRecord || state === 'recording';
    recordBtn.textContent = state === 'empty' ? t('Record a video') : t('Record again');
    stopBtn.hidden = state !== 'recording';
    countdown.hidden = state !== 'recording';
    live.hidden = state !== 'recording';
    removeBtn.hidden = state === 'empty' || state === 'recording';
    input.disabled = state === 'recording';
  }

  function stopCamera() {
    clearInterval(ticker);
    ticker = null;
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    live.srcObject = null;
  }

  function reset() {
    if (controller) controller.abort();
    controller = null;
    if (recorder && recorder.state !== 'inactive') {
      recorder.ondataavailable = null;
      recorder.onstop = null;
      recorder.stop();
    }
    recorder = null;
    stopCamera();
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    preview.removeAttribute('src');
    preview.hidden = true;
    attachmentId = null;
    state = 'empty';
    status.textContent = '';
    error.hidden = true;
    show();
    changed();
  }

  function fail(text) {
    state = 'error';
    error.hidden = false;
    replace(error, text);
    status.textContent = '';
    show();
    changed();
  }

  function send(picked, name) {
    // Some systems give a .mov or .mp4 file no type: its name says what it claims to be (Kite checks the bytes).
    const byName = { webm: 'video/webm', mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/quicktime' }[name.split('.').pop().toLowerCase()];
    const blob = picked.type || !byName ? picked : new Blob([picked], { type: byName });
    if (!VIDEO_TYPES.includes(blob.type.split(';')[0])) {
      fail(t('This file is not a WebM, MP4 or MOV video. Choose another, or record one here.'));
      return;
    }
    if (blob.size > MAX_UPLOAD_BYTES) {
      fail(t('This video is bigger than {mb} MB. Choose a shorter one.', { mb: formatCount(MAX_UPLOAD_BYTES / (1024 * 1024)) }));
      return;
    }
    previewUrl = URL.createObjectURL(blob);
    preview.src = previewUrl;
    preview.hidden = false;
    state = 'uploading';
    status.textContent = t('Preparing the video…');
    show();
    changed();
    controller = new AbortController();
    const file = blob instanceof File && blob.type ? blob : new File([blob], name, { type: blob.type });
    upload('/attachments', file, {
      signal: controller.signal,
      onProgress: (f) => { status.textContent = t('Uploading the video… {percent}%', { percent: formatCount(Math.round(f * 100)) }); },
    }).then((a) => {
      controller = null;
      attachmentId = a.id;
      state = 'done';
      status.textContent = t('Video ready to send ({time}).', { time: clock(a.duration_ms / 1000) });
      show();
      changed(); // a video that is ready changes the price
    }).catch((e) => {
      if (e && e.name === 'AbortError') return;
      fail(e.message || t('This video could not be uploaded. Remove it and try again.'));
    });
  }

  async function record() {
    reset();
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: true });
    } catch {
      fail(t('Kite could not use your camera and microphone. Allow them in your browser, or choose a video file.'));
      return;
    }
    live.srcObject = stream;
    live.play().catch(() => {});
    const chunks = [];
    const type = recorderType();
    recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 1_000_000 });
    recorder.ondataavailable = (e) => { if (e.data && e.data.size) chunks.push(e.data); };
    recorder.onstop = () => {
      stopCamera();
      recorder = null;
      send(new Blob(chunks, { type: type.split(';')[0] }), 'recording.webm');
    };
    const started = Date.now();
    const tick = () => {
      const left = MAX_SECONDS - (Date.now() - started) / 1000;
      countdown.textContent = t('Recording: {time} left', { time: clock(left) });
      if (left <= 0 && recorder && recorder.state === 'recording') recorder.stop();
    };
    state = 'recording';
    status.textContent = t('Recording. It stops by itself after {n} seconds.', { n: formatCount(MAX_SECONDS) });
    recorder.start(1000);
    tick();
    ticker = setInterval(tick, 250);
    show();
    stopBtn.focus();
  }

  recordBtn.addEventListener('click', record);
  stopBtn.addEventListener('click', () => { if (recorder && recorder.state === 'recording') recorder.stop(); });
  removeBtn.addEventListener('click', () => { reset(); (canRecord ? recordBtn : input).focus(); });
  input.addEventListener('change', () => {
    const file = input.files[0];
    input.value = '';
    if (!file) return;
    reset();
    send(file, file.name);
  });

  const wrap = h('div', { class: 'field video-field', 'data-testid': 'video-field' },
    h('p', { class: 'photos-label' }, t('Video message'), h('span', { class: 'optional' }, ' ', t('(optional)'))),
    h('p', { id: `${id}-hint`, class: 'hint' },
      privileged
        ? t('One video of up to {n} seconds. Only the two of you can see it.', { n: formatCount(MAX_SECONDS) })
        : t('One video of up to {n} seconds. Staff see it before it is delivered.', { n: formatCount(MAX_SECONDS) })),
    error, countdown, live, preview, status,
    h('div', { class: 'video-buttons' }, recordBtn, stopBtn, input, chooseLabel, removeBtn));
  show();

  return {
    onChange(fn) { changed = fn; },
    field: { name: 'video', wrap, input, error, labelText: t('Video message') },
    ids: () => (state === 'done' && attachmentId ? [attachmentId] : []),
    problem() {
      if (state === 'recording') return t('Stop the recording first.');
      if (state === 'uploading') return t('Wait until the video has finished uploading.');
      if (state === 'error') return t('The video could not be added. Remove it, then send.');
      return null;
    },
    clear: reset,
  };
}
