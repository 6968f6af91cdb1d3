// Video messages (issue 14, item 4): a video of at most 30 s, recorded in the browser
// (WebM VP8/VP9 + Opus) or picked from a phone (MP4/MOV, H.264 + AAC), is transcoded in
// the confined video helper into WebM VP8 + Opus (at most 640 px, capped bitrate, no
// metadata) with a JPEG poster, and then goes with its message exactly as a photo does:
// priced per the facility (shown before paying), reviewed (the reviewer plays it), never
// delivered or charged when rejected, refused where the policy takes no video.
//
// The videos are made here, at test time, by the ffmpeg program (Debian's ffmpeg package,
// tools/install-deps.sh test) from its synthetic sources: nothing binary is committed.
import { test, before, after } from 'node:test';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  World, assert, assertError, onPlatform, pair, decide, describeRes, quote,
} from './lib/messaging.mjs';
import { KITE_BIN, sqlFlag } from './lib/kite.mjs';
import { makePng } from './lib/png.mjs';
import { ffmpegVideo, withRotation } from './lib/video.mjs';

const SECRET_TITLE = 'KITE-SECRET-TITLE-7731';
const SECRET_PLACE = '+48.8584+002.2945/';
const EBML = Buffer.from([0x1A, 0x45, 0xDF, 0xA3]);

// --- fixtures, made by ffmpeg ------------------------------------------------

const clips = {};
const ffmpeg = ffmpegVideo;

function makeClips() {
  const tags = ['-metadata', `title=${SECRET_TITLE}`, '-metadata', `location=${SECRET_PLACE}`,
    '-metadata', 'creation_time=2024-05-06T07:08:09Z', '-metadata', 'comment=KiteCam model X'];
  // What Chromium's MediaRecorder sends: WebM, VP8 video, Opus sound.
  clips.webm = ffmpeg('rec.webm', ['-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=30', '-f', 'lavfi',
    '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2', '-c:v', 'libvpx', '-b:v', '400k', '-c:a', 'libopus', ...tags]);
  // What a phone sends: MP4, H.264 video, AAC sound, with a place and a time.
  clips.mp4 = ffmpeg('phone.mp4', ['-f', 'lavfi', '-i', 'testsrc=size=480x640:rate=30', '-f', 'lavfi',
    '-i', 'sine=frequency=330:sample_rate=44100', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac',
    ...tags, '-movflags', '+use_metadata_tags']);
  // Chromium may record VP9 instead of VP8.
  clips.vp9 = ffmpeg('rec-vp9.webm', ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-f', 'lavfi',
    '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2', '-c:v', 'libvpx-vp9', '-b:v', '200k', '-deadline', 'realtime',
    '-cpu-used', '8', '-c:a', 'libopus']);
  // A phone's portrait video: stored 640x360 (sideways) with a display matrix that turns it.
  clips.portrait = withRotation(ffmpeg('sideways.mp4', ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=30', '-t', '2',
    '-c:v', 'libx264', '-preset', 'ultrafast']), 90);
  clips.audioOnly = ffmpeg('audio.webm', ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2', '-c:a', 'libopus']);
  clips.tenMinutes = ffmpeg('long.webm', ['-f', 'lavfi', '-i', 'color=c=blue:size=64x48:rate=1', '-t', '600',
    '-c:v', 'libvpx', '-b:v', '20k']);
  clips.thirtyFive = ffmpeg('35s.mp4', ['-f', 'lavfi', '-i', 'color=c=red:size=64x48:rate=5', '-t', '35',
    '-c:v', 'libx264', '-preset', 'ultrafast']);
  clips.huge = ffmpeg('huge.webm', ['-f', 'lavfi', '-i', 'color=c=green:size=4200x16:rate=1', '-t', '1', '-c:v', 'libvpx']);
  clips.zeroFrames = ffmpeg('zero.webm', ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-f', 'lavfi',
    '-i', 'sine=sample_rate=48000', '-t', '1', '-map', '1:a', '-map', '0:v', '-frames:v', '0', '-c:v', 'libvpx', '-c:a', 'libopus']);
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

// --- helpers -------------------------------------------------------------------

function upload(who, body, contentType) {
  return w.srv.request('POST', '/api/v1/attachments', {
    body, token: who.token, headers: { 'Content-Type': contentType }, timeoutMs: 180_000,
  });
}

function assertVideo(res, context) {
  assert.equal(res.status, 201, `${context}: ${describeRes(res)}`);
  const a = res.json;
  assert.equal(a.kind, 'video', context);
  assert.equal(a.content_type, 'video/webm', context);
  assert.ok(a.width >= 2 && a.width <= 640 && a.height >= 2 && a.height <= 640, `${context}: ${a.width}x${a.height}`);
  assert.ok(a.width % 2 === 0 && a.height % 2 === 0, `${context}: odd sides ${a.width}x${a.height}`);
  assert.ok(a.duration_ms >= 1500 && a.duration_ms <= 2600, `${context}: duration ${a.duration_ms}`);
  assert.equal(a.poster_url, `/api/v1/attachments/${a.id}/poster`);
  assert.equal(a.message_id, null);
  return a;
}

async function fetchVideo(who, id, status = 200) {
  const res = await w.srv.request('GET', `/api/v1/attachments/${id}`, { token: who.token });
  if (status !== 200) {
    assertError(res, status, 'not_found', `GET video ${id}:`);
    return null;
  }
  assert.equal(res.status, 200, `GET video ${id}: ${describeRes(res)}`);
  assert.equal(res.headers['content-type'], 'video/webm');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.match(res.headers['content-security-policy'] || '', /sandbox/);
  return res.buffer;
}

async function fetchPoster(who, id) {
  const res = await w.srv.request('GET', `/api/v1/attachments/${id}/poster`, { token: who.token });
  assert.equal(res.status, 200, `GET poster ${id}: ${describeRes(res)}`);
  assert.equal(res.headers['content-type'], 'image/jpeg');
  return res.buffer;
}

/** What Kite serves carries nothing of what was sent: no tag, place, time or tool name. */
function assertNoMetadata(buf, context) {
  for (const s of [SECRET_TITLE, SECRET_PLACE, '2024-05-06', 'KiteCam', 'Lavc', 'libvpx', 'x264', 'creation_time']) {
    assert.equal(buf.indexOf(s), -1, `${context}: ${JSON.stringify(s)} survived`);
  }
}

async function assertUp() {
  assert.ok(w.srv.running, `the server died; log:\n${w.srv.logTail()}`);
  const res = await w.srv.get('/healthz');
  assert.equal(res.status, 200, `healthz after a hostile upload: ${describeRes(res)}`);
}

async function units(person, facilityId, unit) {
  const res = await w.get('/api/v1/wallet', person.token);
  assert.equal(res.status, 200, describeRes(res));
  const b = res.json.bundles.find((x) => x.facility_id === facilityId && x.unit === unit);
  return b ? b.balance : 0;
}

function sendWith(who, contactId, subject, ids) {
  return w.srv.request('POST', '/api/v1/messages', {
    body: { contact_id: contactId, subject, body: 'A video for you.', attachment_ids: ids }, token: who.token,
  });
}

// --- the world -----------------------------------------------------------------

let w;
let op;
let J; // jpay: videos allowed, three stamps each
let OFF; // jpay, but the facility turned videos off
let FED; // federal: text only
let jp;
let reviewer;

before(async () => {
  makeClips();
  w = await World.start();
  op = await w.operator();
  J = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay' });
  OFF = await onPlatform(w, op, 'CALIFORNIA STATE PRISON, CORCORAN (COR)', { profile: 'jpay', videos_allowed: false });
  FED = await onPlatform(w, op, 'FCI ALICEVILLE', { profile: 'federal' });
  jp = await pair(w, op, J, 'jpay', { contactName: 'Vera Video' });
  reviewer = await w.staff(op.token, J, 'reviewer');
});
after(async () => { if (w) await w.close(); });

// --- transcoding ------------------------------------------------------------------

test('a MediaRecorder WebM comes back as Kite\'s own WebM VP8 + Opus, at most 640 px, with a poster, no metadata', async () => {
  assert.ok(clips.webm.indexOf(SECRET_TITLE) > 0, 'the fixture carries its title');
  const a = assertVideo(await upload(jp.contact, clips.webm, 'video/webm;codecs=vp8,opus'), 'WebM upload');
  assert.deepEqual([a.width, a.height], [640, 360], '1280x720 fitted into 640 px');
  const stored = await fetchVideo(jp.contact, a.id);
  assert.ok(stored.subarray(0, 4).equals(EBML), 'the stored video is not Matroska/WebM');
  assert.ok(stored.indexOf('webm') > 0, 'the DocType is webm');
  assert.ok(stored.indexOf('V_VP8') > 0, 'the video track is VP8');
  assert.ok(stored.indexOf('A_OPUS') > 0, 'the sound track is Opus');
  assert.notDeepEqual(stored, clips.webm, 'the stored video is the upload itself');
  assert.equal(stored.length, a.size_bytes);
  assert.equal(sha256(stored), a.sha256);
  assertNoMetadata(stored, 'stored WebM');
  const poster = await fetchPoster(jp.contact, a.id);
  assert.ok(poster[0] === 0xFF && poster[1] === 0xD8, 'the poster is a JPEG');
  assert.equal(poster.indexOf(Buffer.from([0xFF, 0xFE])), -1, 'the poster has a comment segment');
  assertNoMetadata(poster, 'poster');
  const row = w.sql(`SELECT kind || ' ' || content_type || ' ' || duration_ms FROM attachments WHERE id = ${a.id}`);
  assert.equal(row, `video video/webm ${a.duration_ms}`);
});

test('a video plays by byte ranges: 206 with Content-Range, a suffix, an open end, 416 past the end; malformed or several ranges get the whole', async () => {
  const a = assertVideo(await upload(jp.contact, clips.webm, 'video/webm'), 'WebM upload');
  const whole = await fetchVideo(jp.contact, a.id);
  const n = whole.length;
  const get = (headers) => w.srv.request('GET', `/api/v1/attachments/${a.id}`, { token: jp.contact.token, headers });
  const plain = await get({});
  assert.equal(plain.headers['accept-ranges'], 'bytes', 'the whole answer says ranges are welcome');
  assert.equal(plain.headers.etag, `"${a.sha256}"`, 'the tag is the SHA-256 the upload answered');
  const part = async (range, first, last) => {
    const res = await get({ Range: range });
    assert.equal(res.status, 206, `${range}: ${describeRes(res)}`);
    assert.equal(res.headers['content-range'], `bytes ${first}-${last}/${n}`, range);
    assert.equal(res.headers['content-type'], 'video/webm');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(res.headers['content-security-policy'] || '', /sandbox/);
    assert.ok(res.buffer.equals(whole.subarray(first, last + 1)), `${range}: the bytes of that part`);
  };
  await part('bytes=0-1', 0, 1); // what Safari asks first
  await part('bytes=0-', 0, n - 1); // what Chromium asks first
  await part(`bytes=100-${n + 5000}`, 100, n - 1); // a last byte past the end is the end
  await part('bytes=-500', n - 500, n - 1);
  await part(`bytes=-${n * 2}`, 0, n - 1);
  await part(`bytes=${n - 1}-${n - 1}`, n - 1, n - 1);
  for (const range of [`bytes=${n}-`, `bytes=${n + 10}-${n + 20}`, 'bytes=-0']) {
    const res = await get({ Range: range });
    assertError(res, 416, 'range_not_satisfiable', range);
    assert.equal(res.headers['content-range'], `bytes */${n}`, range);
  }
  const es = await get({ Range: `bytes=${n}-`, 'Accept-Language': 'es' });
  assert.match(es.json.error.message, /empieza después de su final/, 'the 416 in Spanish');
  // Ignored, as RFC 9110 allows: the whole file, 200.
  for (const range of ['bytes=5-2', 'bytes=0-1,4-5', 'items=0-1', 'bytes=abc-', 'bytes=+1-2', 'bytes= 1-2', 'bytes=1',
    'bytes=99999999999999999999999-']) {
    const res = await get({ Range: range });
    if (range === 'bytes=99999999999999999999999-') {
      assertError(res, 416, 'range_not_satisfiable', 'a start past any file, clamped, not wrapped');
      continue;
    }
    assert.equal(res.status, 200, `${range}: ${describeRes(res)}`);
    assert.ok(res.buffer.equals(whole), `${range}: the whole file`);
  }
  // If-Range: the part only while the tag still matches.
  await (async () => {
    const same = await get({ Range: 'bytes=0-9', 'If-Range': `"${a.sha256}"` });
    assert.equal(same.status, 206, describeRes(same));
    const other = await get({ Range: 'bytes=0-9', 'If-Range': '"another"' });
    assert.equal(other.status, 200, 'another tag: the whole file');
    assert.ok(other.buffer.equals(whole));
  })();
  // The range changes nothing about who may read: a stranger still gets 404.
  const stranger = await w.contact();
  assertError(await w.srv.request('GET', `/api/v1/attachments/${a.id}`, { token: stranger.token, headers: { Range: 'bytes=0-1' } }), 404, 'not_found');
});

test('a phone\'s MP4 (H.264 + AAC) with a place and a time is accepted; the place and time are gone', async () => {
  assert.ok(clips.mp4.indexOf('2024-05-06') > 0 || clips.mp4.indexOf(SECRET_PLACE) > 0, 'the fixture carries its tags');
  const a = assertVideo(await upload(jp.contact, clips.mp4, 'video/mp4'), 'MP4 upload');
  assert.deepEqual([a.width, a.height], [480, 640]);
  const stored = await fetchVideo(jp.contact, a.id);
  assert.ok(stored.subarray(0, 4).equals(EBML));
  assertNoMetadata(stored, 'MP4 as WebM');
  // A QuickTime Content-Type is the same family of files.
  assertVideo(await upload(jp.resident, clips.mp4, 'video/quicktime'), 'MOV upload by the resident');
});

test('VP9 from the browser is taken; a sideways portrait video from a phone comes back upright', async () => {
  const vp9 = assertVideo(await upload(jp.contact, clips.vp9, 'video/webm;codecs=vp9,opus'), 'VP9 upload');
  assert.deepEqual([vp9.width, vp9.height], [320, 240]);
  assert.ok((await fetchVideo(jp.contact, vp9.id)).indexOf('V_VP8') > 0, 'stored as VP8');
  const upright = assertVideo(await upload(jp.contact, clips.portrait, 'video/mp4'), 'portrait upload');
  assert.deepEqual([upright.width, upright.height], [360, 640], 'turned upright: taller than wide');
});

// --- hostile files ----------------------------------------------------------------

test('hostile videos get a clear 4xx, never a crash or a hang, and the server answers after each', async () => {
  const random = crypto.randomBytes(4096);
  const cases = [
    ['zero bytes', Buffer.alloc(0), 'video/webm', 422, 'invalid_video', /empty/],
    ['random bytes', random, 'video/mp4', 422, 'invalid_video', /not a WebM, MP4 or MOV/],
    ['a PNG renamed .webm', makePng(32, 32), 'video/webm', 422, 'invalid_video', /not a WebM, MP4 or MOV/],
    ['an MP4 claiming to be WebM', clips.mp4, 'video/webm', 422, 'invalid_video', /do not match/],
    ['a WebM claiming to be MP4', clips.webm, 'video/mp4', 422, 'invalid_video', /do not match/],
    ['a truncated WebM', clips.webm.subarray(0, Math.floor(clips.webm.length / 2)), 'video/webm', 422, 'invalid_video', /damaged or incomplete/],
    ['a truncated MP4', clips.mp4.subarray(0, Math.floor(clips.mp4.length / 2)), 'video/mp4', 422, 'invalid_video', /damaged or incomplete|could not/],
    ['WebM magic and nothing else', Buffer.concat([EBML, Buffer.alloc(60)]), 'video/webm', 422, 'invalid_video', /damaged or incomplete|not a WebM/],
    ['sound only', clips.audioOnly, 'video/webm', 422, 'invalid_video', /no picture/],
    ['not one frame', clips.zeroFrames, 'video/webm', 422, 'invalid_video', /no picture/],
    ['a 10-minute file', clips.tenMinutes, 'video/webm', 422, 'invalid_video', /longer than 30 seconds/],
    ['a 35-second file', clips.thirtyFive, 'video/mp4', 422, 'invalid_video', /longer than 30 seconds/],
    ['4200 px wide', clips.huge, 'video/webm', 422, 'invalid_video', /too large/],
  ];
  for (const [name, body, type, status, code, words] of cases) {
    const res = await upload(jp.contact, body, type);
    assertError(res, status, code, `${name}:`);
    assert.match(res.json.error.message, words, `${name}: ${res.json.error.message}`);
    await assertUp();
  }
  // Nothing refused was stored.
  assert.equal(w.sql(`SELECT COUNT(*) FROM attachments WHERE kind = 'video' AND owner_account_id = ${jp.contact.account.id} AND size_bytes = 0`), '0');
});

test('over 50 MiB → 413; an audio or text type → 415; no session → 401; staff cannot upload → 403', async () => {
  // Refused on its declared length, before any of the body is read (none is sent: unread bytes would reset the connection).
  const head = 'POST /api/v1/attachments HTTP/1.1\r\nHost: kite\r\nConnection: close\r\n'
    + `Authorization: Bearer ${jp.contact.token}\r\nContent-Type: video/webm\r\n`
    + `Content-Length: ${50 * 1024 * 1024 + 1}\r\n\r\n`;
  const res = await w.srv.raw(Buffer.from(head, 'latin1'));
  assert.equal(res.status, 413, res.rawText);
  assert.equal(res.json.error.code, 'body_too_large');
  await assertUp();
  assertError(await upload(jp.contact, clips.audioOnly, 'audio/webm'), 415, 'unsupported_media_type');
  const anon = await w.srv.request('POST', '/api/v1/attachments', { body: clips.webm, headers: { 'Content-Type': 'video/webm' } });
  assert.equal(anon.status, 401);
  assertError(await upload(reviewer, clips.webm, 'video/webm'), 403, 'forbidden');
});

// --- with a message ------------------------------------------------------------------

test('the price shown before paying is what is held; the reviewer plays it; delivered → charged once', async () => {
  const a = assertVideo(await upload(jp.contact, clips.webm, 'video/webm'), 'upload');
  const prices = await w.get(`/api/v1/facilities/${J}/prices`);
  assert.equal(prices.status, 200, describeRes(prices));
  assert.equal(prices.json.schedule.stamps_per_video, 3);
  const body = { contact_id: jp.contactId, subject: 'A video', body: 'A video for you.', attachment_ids: [a.id] };
  const q = await quote(w, jp.contact, body);
  assert.deepEqual([q.unit, q.videos, q.video_amount, q.photos, q.amount], ['stamps', 1, 3, 0, 4], JSON.stringify(q));
  const start = await units(jp.contact, J, 'stamps');
  const sent = await sendWith(jp.contact, jp.contactId, 'A video', [a.id]);
  assert.equal(sent.status, 202, describeRes(sent));
  assert.deepEqual(sent.json.price, { unit: 'stamps', amount: q.amount });
  assert.equal(sent.json.price_cents, q.price_cents);
  assert.deepEqual(sent.json.video_ids, [a.id]);
  assert.equal(await units(jp.contact, J, 'stamps'), start - q.amount, 'the quoted price is what is held');

  const queue = await w.get(`/api/v1/review/queue?facility_id=${J}`, reviewer.token);
  const item = queue.json.items.find((m) => m.id === sent.json.id);
  assert.ok(item, 'the message is not in the queue');
  assert.deepEqual(item.video_ids, [a.id]);
  const seen = await fetchVideo(reviewer, a.id);
  assert.equal(sha256(seen), a.sha256);
  await fetchPoster(reviewer, a.id);
  const audits = w.auditRows("action = 'attachment.staff_read'").filter((r) => r.target === `attachment:${a.id}`);
  assert.ok(audits.length >= 1, 'the reviewer\'s viewing was not audited');

  await fetchVideo(jp.resident, a.id, 404);
  await decide(w, reviewer, sent.json.id, 'approve');
  const delivered = await fetchVideo(jp.resident, a.id);
  assert.equal(sha256(delivered), a.sha256);
  const got = await w.get(`/api/v1/messages/${sent.json.id}`, jp.resident.token);
  assert.deepEqual(got.json.video_ids, [a.id]);
  const mine = await w.get(`/api/v1/messages/${sent.json.id}`, jp.contact.token);
  assert.deepEqual([mine.json.hold.state, mine.json.hold.amount], ['captured', q.amount]);
  assert.equal(await units(jp.contact, J, 'stamps'), start - q.amount, 'charged once, the quoted amount');
});

test('rejected: the video is never delivered and nothing is charged', async () => {
  const a = assertVideo(await upload(jp.contact, clips.mp4, 'video/mp4'), 'upload');
  const start = await units(jp.contact, J, 'stamps');
  const sent = await sendWith(jp.contact, jp.contactId, 'Rejected video', [a.id]);
  assert.equal(sent.status, 202, describeRes(sent));
  assert.equal(await units(jp.contact, J, 'stamps'), start - 4);
  await decide(w, reviewer, sent.json.id, 'reject', 'other', 'Not this video.');
  await fetchVideo(jp.resident, a.id, 404);
  const mine = await w.get(`/api/v1/messages/${sent.json.id}`, jp.contact.token);
  assert.equal(mine.json.hold.state, 'released');
  assert.equal(await units(jp.contact, J, 'stamps'), start, 'nobody pays for a rejected video');
});

test('one video per message; a facility that turned videos off, and a federal one, refuse them', async () => {
  const one = assertVideo(await upload(jp.contact, clips.webm, 'video/webm'), 'first');
  const two = assertVideo(await upload(jp.contact, clips.webm, 'video/webm'), 'second');
  const both = await sendWith(jp.contact, jp.contactId, 'Two videos', [one.id, two.id]);
  assertError(both, 422, 'attachments_not_allowed');
  assert.match(both.json.error.message, /one video/);

  const policy = await w.get(`/api/v1/facilities/${OFF}/policy`);
  assert.equal(policy.json.videos_allowed, false);
  const off = await pair(w, op, OFF, 'jpay', { contactName: 'Otto Off' });
  const v = assertVideo(await upload(off.contact, clips.webm, 'video/webm'), 'upload at OFF');
  const refused = await sendWith(off.contact, off.contactId, 'Video', [v.id]);
  assertError(refused, 422, 'attachments_not_allowed');
  assert.match(refused.json.error.message, /does not accept video messages/);
  const refusedQuote = await w.srv.request('POST', '/api/v1/messages/quote', {
    body: { contact_id: off.contactId, subject: 'Video', body: 'x', attachment_ids: [v.id] }, token: off.contact.token,
  });
  assertError(refusedQuote, 422, 'attachments_not_allowed');

  const fed = await pair(w, op, FED, 'federal', { contactName: 'Fed Video' });
  assert.equal((await w.get(`/api/v1/facilities/${FED}/policy`)).json.videos_allowed, false);
  const fv = assertVideo(await upload(fed.contact, clips.webm, 'video/webm'), 'upload at FED');
  assertError(await sendWith(fed.contact, fed.contactId, 'Video', [fv.id]), 422, 'attachments_not_allowed');
  // Turned back on, the same video goes.
  const on = await w.put(`/api/v1/facilities/${OFF}/policy`, { ...policy.json, videos_allowed: true, updated_at: undefined }, op.token);
  assert.equal(on.status, 200, describeRes(on));
  const ok = await sendWith(off.contact, off.contactId, 'Video', [v.id]);
  assert.equal(ok.status, 202, describeRes(ok));
});

test('privileged legal mail: staff can open neither the video nor its poster; the resident can', async () => {
  const law = await w.contact({ full_name: 'Lena Lawyer' });
  const reg = await w.post('/api/v1/attorneys', { bar_number: 'TX-24099999', bar_state: 'tx' }, law.token);
  assert.equal(reg.status, 201, describeRes(reg));
  const verified = await w.post(`/api/v1/attorneys/${reg.json.id}/verify`, {}, op.token);
  assert.equal(verified.status, 200, describeRes(verified));
  const lp = await pair(w, op, J, 'jpay', { contact: law });
  const v = assertVideo(await upload(law, clips.webm, 'video/webm'), 'attorney upload');
  const sent = await sendWith(law, lp.contactId, 'Legal video', [v.id]);
  assert.equal(sent.status, 202, describeRes(sent));
  assert.equal(sent.json.privileged, true, 'the message is privileged');
  const refusedBefore = w.auditRows("action = 'attachment.privileged_refused'").length;
  for (const path of [`/api/v1/attachments/${v.id}`, `/api/v1/attachments/${v.id}/poster`]) {
    const res = await w.srv.request('GET', path, { token: reviewer.token });
    assertError(res, 403, 'forbidden', `reviewer ${path}:`);
    assert.match(res.json.error.message, /privileged legal mail/);
  }
  assert.equal(w.auditRows("action = 'attachment.privileged_refused'").length, refusedBefore + 2, 'each refusal audited');
  const got = await w.get(`/api/v1/messages/${sent.json.id}`, lp.resident.token);
  assert.equal(got.status, 200, describeRes(got));
  assert.equal(got.json.status, 'delivered', 'privileged mail is delivered at once');
  assert.equal(sha256(await fetchVideo(lp.resident, v.id)), v.sha256);
});

test('retention: a video is purged with the photos; its bytes and poster are gone, and it answers 410', async () => {
  const R = await onPlatform(w, op, 'ALACHUA COUNTY JAIL', { profile: 'jpay', message_retention_days: 30, photo_retention_days: 10 });
  const rp = await pair(w, op, R, 'jpay', { contactName: 'Rita Retention' });
  const v = assertVideo(await upload(rp.contact, clips.webm, 'video/webm'), 'upload at R');
  const sent = await sendWith(rp.contact, rp.contactId, 'Kept ten days', [v.id]);
  assert.equal(sent.status, 202, describeRes(sent));
  await decide(w, op, sent.json.id, 'approve');
  await fetchVideo(rp.resident, v.id);
  const r = spawnSync(KITE_BIN, ['purge', '--db', w.dbPath, '--test-clock-offset', String(11 * 86400)],
    { encoding: 'utf8', env: { ...process.env, KITE_ALLOW_TEST_CLOCK: '1' } });
  assert.equal(r.status, 0, `kite purge: ${r.stdout} ${r.stderr}`);
  assert.match(r.stdout, /purge: \d+ messages, [1-9]\d* photos/);
  for (const path of [`/api/v1/attachments/${v.id}`, `/api/v1/attachments/${v.id}/poster`]) {
    const res = await w.srv.request('GET', path, { token: rp.resident.token });
    assertError(res, 410, 'gone', `${path} after the purge:`);
    assert.match(res.json.error.message, /This video was deleted/);
  }
  assert.equal(w.sql(`SELECT ${sqlFlag('poster IS NULL')} || ' ' || ${sqlFlag('purged_at IS NOT NULL')} FROM attachments WHERE id = ${v.id}`), '1 1');
});
