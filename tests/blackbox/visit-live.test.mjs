// The live video visit through Janus, at the API (src/api/visit_live.c): who may join a visit and
// when, what each role may ask the media engine for, the monitor's mute and end, and the money of
// the connected minutes.  A real Janus (tools/janus.sh; make test starts one and sets
// KITE_TEST_JANUS and KITE_TEST_JANUS_SECRET) and a server with the test clock allowed, moved in
// place with POST /api/v1/test/clock (a live visit cannot survive a restart).  The SDP offers are
// a browser's shape without a browser: Janus answers them, and media never flows (the browser
// test, tests/web/visit-live.test.mjs, proves the video).  Skipped only when KITE_TEST_JANUS is unset.

import { test, before, after } from 'node:test';
import {
  World, assert, facilityIdByName, describeRes, bopNumber,
} from './lib/flows.mjs';

const JANUS = process.env.KITE_TEST_JANUS || '';
const SECRET = process.env.KITE_TEST_JANUS_SECRET || '';
// Janus's admin API (tools/janus.sh admin-url; its port is the API's plus one): Kite asks it whether media flows.
const JANUS_ADMIN = process.env.KITE_TEST_JANUS_ADMIN || (process.env.KITE_TEST_JANUS || '').replace(/:(\d+)\/janus$/, (_, port) => `:${Number(port) + 1}/admin`);
const skip = JANUS ? false : 'needs Janus: KITE_TEST_JANUS is unset (tools/janus.sh start DIR prints it; make test sets it)';

// A browser's offer: one audio and one video line, ICE and DTLS attributes, no candidates yet.
const FP = '11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00';
const mline = (kind, mid, pt, codec) => [
  `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt}`, 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx', 'a=ice-options:trickle', `a=fingerprint:sha-256 ${FP}`,
  'a=setup:actpass', `a=mid:${mid}`, 'a=sendonly', 'a=rtcp-mux', `a=rtpmap:${pt} ${codec}`, `a=ssrc:${1000 + pt} cname:kite`,
];
const OFFER = { type: 'offer', sdp: [
  'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=msid-semantic: WMS',
  ...mline('audio', '0', 111, 'opus/48000/2'), ...mline('video', '1', 96, 'VP8/90000'), '',
].join('\r\n') };

let w;
let op;
const FAC = {};
const staff = {};
let serverNow; // () => the server's clock, in ms

/*
 * Moves the server's clock forward.  Staff sessions end after 30 idle minutes (STAFF_SESSION_IDLE_MS),
 * so time moves in steps of at most 20 minutes, each staff session used in between, as a monitor's
 * open page would.
 */
async function advance(seconds) {
  let left = seconds;
  let now;
  do {
    const step = Math.min(left, 20 * 60);
    const r = await w.post('/api/v1/test/clock', { advance_seconds: step });
    assert.equal(r.status, 200, describeRes(r));
    now = Date.parse(r.json.now);
    left -= step;
    for (const who of [op, ...Object.values(staff).flatMap((s) => Object.values(s))]) {
      if (who) assert.equal((await w.get('/api/v1/me', who.token)).status, 200, 'a staff session kept alive');
    }
  } while (left > 0);
  return now;
}

/* Visits at facility fid: a time zone, no lead time, approval by staff (each visit then gets a kiosk and a slot of its own). */
async function offerVisits(fid, { monitoring = false } = {}) {
  const p = await w.put(`/api/v1/facilities/${fid}/visit-policy`,
    { time_zone: 'UTC', lead_minutes: 0, approval_required: true, monitoring_required: monitoring }, op.token);
  assert.ok(p.status === 200 || p.status === 201, `visit policy: ${describeRes(p)}`);
}

/* A slot for the occurrence starting at startMs (UTC), 30 minutes long, in a kiosk of its own (a room holds one slot at a time). */
let kiosks = 0;
async function slotAt(fid, startMs) {
  const room = await w.post(`/api/v1/facilities/${fid}/visit-rooms`, { name: `Kiosk ${++kiosks}` }, op.token);
  assert.equal(room.status, 201, `visit room: ${describeRes(room)}`);
  const roomId = room.json.id;
  const d = new Date(startMs);
  const hhmm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  const r = await w.post(`/api/v1/facilities/${fid}/visit-slots`,
    { room_id: roomId, weekday: d.getUTCDay(), start_time: hhmm, length_minutes: 30, capacity: 5 }, op.token);
  assert.equal(r.status, 201, `slot ${hhmm}: ${describeRes(r)}`);
}

/* A resident number in the form the facility uses: both are set to the federal profile (BOP numbers). */
const numberAt = () => bopNumber();

/* A resident of fid and a funded contact of theirs. */
async function pair(fid) {
  const resident = await w.resident(op.token, fid, { number: numberAt(fid) });
  const contact = await w.contact();
  const c = await w.connectByInvitation(resident, contact);
  await w.topUp(contact, 5000);
  return { resident, contact, contactId: c.id };
}

/* A visit booked by the contact minutesAhead from the server's now (a fresh slot), approved by staff. */
async function bookedVisit(fid, people, minutesAhead) {
  const now = await advance(0);
  const start = Math.ceil((now + minutesAhead * 60_000) / 60_000) * 60_000;
  await slotAt(fid, start);
  const b = await w.post('/api/v1/visits', { contact_id: people.contactId, starts_at: new Date(start).toISOString() },
    people.contact.token, { headers: { 'Idempotency-Key': `live-${fid}-${start}-${Math.random()}` } });
  assert.equal(b.status, 201, `book: ${describeRes(b)}`);
  const a = await w.post(`/api/v1/visits/${b.json.id}/approve`, {}, staff[fid].admin.token);
  assert.equal(a.status, 200, `approve: ${describeRes(a)}`);
  return { id: b.json.id, start, end: start + 30 * 60_000 };
}

const join = (v, who) => w.get(`/api/v1/visits/${v.id}/join`, who.token);
const live = (v, who) => w.get(`/api/v1/visits/${v.id}/live`, who.token);
const mediaCall = (v, who, body) => w.post(`/api/v1/visits/${v.id}/media`, body, who.token);

function assertError(res, status, code, context) {
  assert.equal(res.status, status, `${context}: ${describeRes(res)}`);
  assert.equal(res.json.error.code, code, `${context}: ${describeRes(res)}`);
  assert.ok(res.json.error.message.length > 10, `${context}: a sentence for a person`);
}

let people;

before(async () => {
  if (skip) return;
  w = await World.start({
    smtp: true,
    env: { KITE_ALLOW_TEST_CLOCK: '1' },
    extraArgs: ['--test-clock-offset', '0', '--janus-url', JANUS, '--janus-api-secret', SECRET, '--janus-admin-secret', SECRET,
      '--janus-admin-url', JANUS_ADMIN],
  });
  serverNow = () => advance(0);
  op = await w.operator();
  FAC.A = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  FAC.B = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  for (const fid of [FAC.A, FAC.B]) {
    await w.putPolicy(op.token, fid, { profile: 'federal' });
    staff[fid] = {
      admin: await w.staff(op.token, fid, 'facility_admin'),
      reviewer: await w.staff(op.token, fid, 'reviewer'),
      investigator: await w.staff(op.token, fid, 'investigator'),
    };
  }
  await offerVisits(FAC.A);
  await offerVisits(FAC.B, { monitoring: true });
  people = await pair(FAC.A);
});
after(async () => { if (w) await w.close(); });

test('join: the two parties and a monitor of the facility; refused before the window, to a stranger, to the other facility\'s staff, after the end', { skip }, async () => {
  const v = await bookedVisit(FAC.A, people, 30);
  assertError(await join(v, people.contact), 409, 'conflict', 'half an hour before the start');
  await advance(26 * 60); // four minutes before the start: the room is open
  const c = await join(v, people.contact);
  assert.equal(c.status, 200, describeRes(c));
  assert.equal(c.json.role, 'contact');
  assert.deepEqual(c.json.ice_servers, [], 'no relay on loopback');
  assert.ok(c.json.bitrate >= 64000);
  assert.equal(Date.parse(c.json.ends_at) - Date.parse(c.json.warning_at), 60_000, 'the warning a minute before the end');
  assert.ok(!JSON.stringify(c.json).match(/pin|secret|janus/i), 'nothing of the room leaves Kite');
  assert.equal((await join(v, people.resident)).json.role, 'resident');
  const m = await join(v, staff[FAC.A].reviewer);
  assert.equal(m.status, 200, describeRes(m));
  assert.equal(m.json.role, 'monitor');
  const stranger = await w.contact();
  assertError(await join(v, stranger), 404, 'not_found', 'a stranger');
  assertError(await join(v, staff[FAC.B].reviewer), 404, 'not_found', 'the other facility\'s reviewer');
  assertError(await join(v, staff[FAC.B].admin), 404, 'not_found', 'the other facility\'s admin');
  assertError(await join(v, staff[FAC.A].investigator), 404, 'not_found', 'an investigator: visits are not theirs to see');
  assert.equal((await w.get(`/api/v1/visits/${v.id}/join`)).status, 401);
  await advance(35 * 60); // past the end
  assertError(await join(v, people.contact), 410, 'gone', 'after the end');
  assertError(await join(v, staff[FAC.A].reviewer), 410, 'gone', 'a monitor after the end');
});

test('what each role may ask: parties publish, monitors watch, mute and end; the room\'s secrets stay in Kite', { skip }, async () => {
  const v = await bookedVisit(FAC.A, people, 10);
  await advance(8 * 60);
  const reviewer = staff[FAC.A].reviewer;
  assertError(await mediaCall(v, reviewer, { action: 'publish', jsep: OFFER }), 403, 'forbidden', 'a monitor never publishes');
  assertError(await mediaCall(v, people.contact, { action: 'watch' }), 403, 'forbidden', 'a party does not "watch"');
  assertError(await w.post(`/api/v1/visits/${v.id}/mute`, { side: 'resident', media: 'audio', muted: true }, people.contact.token),
    403, 'forbidden', 'a party mutes nobody');
  assertError(await w.post(`/api/v1/visits/${v.id}/end`, { reason: 'bye' }, people.contact.token), 403, 'forbidden', 'a party does not end it for staff');
  assertError(await mediaCall(v, people.contact, { action: 'publish', jsep: { type: 'offer', sdp: 'hello' } }), 422, 'invalid_field', 'an SDP that is none');
  assertError(await mediaCall(v, people.contact, { action: 'publish', jsep: { type: 'offer', sdp: `v=0\r\n${'a'.repeat(70_000)}` } }), 422, 'invalid_field', 'an SDP too long');
  assertError(await mediaCall(v, people.contact, { action: 'dance' }), 422, 'invalid_field', 'an action Kite does not know');
  assertError(await mediaCall(v, people.contact, { action: 'subscribe', feed: 'resident' }), 409, 'conflict', 'nobody sends yet');

  // The contact publishes through Kite: Janus's answer comes back, and the page sees itself sending.
  const pub = await mediaCall(v, people.contact, { action: 'publish', jsep: OFFER });
  assert.equal(pub.status, 200, describeRes(pub));
  assert.equal(pub.json.jsep.type, 'answer');
  assert.match(pub.json.jsep.sdp, /^v=0/);
  const t = await mediaCall(v, people.contact, { action: 'trickle', target: 'publisher', candidate: null });
  assert.equal(t.status, 204, describeRes(t));
  const l = await live(v, people.resident);
  assert.equal(l.status, 200, describeRes(l));
  assert.equal(l.json.sides.contact.sending, true);
  assert.equal(l.json.sides.resident.sending, false);
  assert.equal(l.json.waiting_for, 'other_side');

  // The monitor watches, mutes the contact's audio, and the resident's page sees it.
  assert.equal((await mediaCall(v, reviewer, { action: 'watch' })).status, 200);
  const sub = await mediaCall(v, reviewer, { action: 'subscribe', feed: 'contact' });
  assert.equal(sub.status, 409, `no media flows without a browser, so Janus has no feed to offer yet: ${describeRes(sub)}`);
  const mute = await w.post(`/api/v1/visits/${v.id}/mute`, { side: 'contact', media: 'audio', muted: true }, reviewer.token);
  assert.equal(mute.status, 200, describeRes(mute));
  assert.equal(mute.json.audio_muted, true);
  assert.equal((await live(v, people.resident)).json.sides.contact.audio_muted, true);
  assertError(await w.post(`/api/v1/visits/${v.id}/mute`, { side: 'resident', media: 'video', muted: true }, reviewer.token),
    409, 'conflict', 'a side that sends nothing');
  assertError(await w.post(`/api/v1/visits/${v.id}/mute`, { side: 'contact', media: 'smell', muted: true }, reviewer.token),
    422, 'invalid_field', 'a medium Kite does not know');

  // Ending needs a reason; then the room is closed, both pages are told why, and nothing was charged (never connected).
  assertError(await w.post(`/api/v1/visits/${v.id}/end`, { reason: '   ' }, reviewer.token), 422, 'invalid_field', 'a blank reason');
  assertError(await w.post(`/api/v1/visits/${v.id}/end`, {}, reviewer.token), 422, 'invalid_field', 'no reason');
  const end = await w.post(`/api/v1/visits/${v.id}/end`, { reason: 'Talk of contraband.' }, reviewer.token);
  assert.equal(end.status, 200, describeRes(end));
  assert.equal(end.json.charged_cents, 0, 'never connected: nothing charged');
  const after = await live(v, people.contact);
  assert.equal(after.json.state, 'ended');
  assert.equal(after.json.ended.reason, 'ended_by_monitor');
  assert.equal(after.json.ended.note, 'Talk of contraband.');
  assertError(await join(v, people.contact), 410, 'gone', 'an ended visit');
  const got = await w.get(`/api/v1/visits/${v.id}`, people.contact.token);
  assert.equal(got.json.state, 'ended');
  assert.equal(got.json.end_reason, 'ended_by_monitor');
});

test('both parties publishing does not connect the visit while no media reaches Janus: connecting, then ended, nothing charged, the hold released', { skip }, async () => {
  const p3 = await pair(FAC.A); // a wallet of its own: no other visit's hold moves while this one is measured
  const before = (await w.get('/api/v1/wallet', p3.contact.token)).json;
  const v = await bookedVisit(FAC.A, p3, 10);
  const held = (await w.get('/api/v1/wallet', p3.contact.token)).json;
  assert.ok(before.balance_cents - held.balance_cents > 0 || (held.held_cents || 0) > 0, `the booking holds the price: ${JSON.stringify(held)}`);
  await advance(10 * 60); // the start
  for (const who of [p3.contact, p3.resident]) {
    const r = await mediaCall(v, who, { action: 'publish', jsep: OFFER });
    assert.equal(r.status, 200, describeRes(r));
    assert.equal(r.json.jsep.type, 'answer', 'Janus answered the offer');
  }
  // Janus answered both offers, but no ICE, DTLS or media ever reaches it from node: connecting, not connected.
  for (const who of [p3.contact, p3.resident, staff[FAC.A].reviewer]) {
    const l = await live(v, who);
    assert.equal(l.status, 200, describeRes(l));
    assert.equal(l.json.sides.contact.sending, true);
    assert.equal(l.json.sides.resident.sending, true);
    assert.equal(l.json.connected_at, null, `not connected: ${describeRes(l)}`);
    assert.equal(l.json.waiting_for, 'connection', 'the page says connecting');
    assert.deepEqual(l.json.media, { contact: false, resident: false }, 'no media from either side');
  }
  const got = await w.get(`/api/v1/visits/${v.id}`, p3.contact.token);
  assert.equal(got.json.state, 'approved', describeRes(got));
  assert.equal(got.json.connected_at, null);
  assert.equal(got.json.media_seen_at, null);
  await advance(110); // the minutes a connected visit would have been charged
  assert.equal((await live(v, p3.contact)).json.connected_at, null, 'still connecting');
  const end = await w.post(`/api/v1/visits/${v.id}/end`, { reason: 'Time to go.' }, staff[FAC.A].admin.token);
  assert.equal(end.status, 200, describeRes(end));
  assert.equal(end.json.charged_cents, 0, 'never connected: nothing charged');
  const done = await w.get(`/api/v1/visits/${v.id}`, p3.contact.token);
  assert.equal(done.json.state, 'ended');
  assert.equal(done.json.end_reason, 'ended_by_monitor');
  assert.equal(done.json.charged_cents, 0);
  assert.equal(done.json.held_cents, 0, 'nothing held any more');
  const wallet = (await w.get('/api/v1/wallet', p3.contact.token)).json;
  assert.equal(wallet.balance_cents, before.balance_cents, 'the hold was released in full: the balance is what it was');
  if ('held_cents' in before) assert.equal(wallet.held_cents, before.held_cents, 'nothing held for this visit');
});

test('a visit that must be monitored waits for the monitor; an attorney\'s visit refuses monitors', { skip }, async () => {
  const pb = await pair(FAC.B);
  const v = await bookedVisit(FAC.B, pb, 10);
  await advance(8 * 60);
  assert.equal((await live(v, pb.contact)).json.waiting_for, 'monitor');
  assertError(await mediaCall(v, pb.contact, { action: 'publish', jsep: OFFER }), 409, 'conflict', 'no monitor yet');
  assert.equal((await mediaCall(v, staff[FAC.B].reviewer, { action: 'watch' })).status, 200);
  assert.equal((await live(v, pb.contact)).json.monitor_present, true);
  const pub = await mediaCall(v, pb.contact, { action: 'publish', jsep: OFFER });
  assert.equal(pub.status, 200, describeRes(pub));
  assert.equal((await live(v, pb.contact)).json.room_open, true);
  // The slot ends with the room still open: the live sweeper closes it (in the store and in Janus).
  await advance(25 * 60);
  let closed;
  for (let i = 0; i < 120; i++) {
    closed = await live(v, pb.contact);
    if (closed.json.room_open === false) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(closed.json.room_open, false, `the room closed at the end of the slot: ${describeRes(closed)}`);
  assert.equal(closed.json.state, 'ended');

  // A verified attorney's visit: the parties join, staff may not watch, mute or end it.
  const lawyer = await w.contact();
  const reg = await w.post('/api/v1/attorneys', { bar_number: '424242', bar_state: 'CA' }, lawyer.token);
  assert.equal(reg.status, 201, describeRes(reg));
  assert.equal((await w.post(`/api/v1/attorneys/${reg.json.id}/verify`, {}, op.token)).status, 200);
  const client = await w.resident(op.token, FAC.A, { number: numberAt(FAC.A) });
  const c = await w.connectByInvitation(client, lawyer);
  await w.topUp(lawyer, 5000);
  const pv = await bookedVisit(FAC.A, { resident: client, contact: lawyer, contactId: c.id }, 10);
  await advance(8 * 60);
  const j = await join(pv, lawyer);
  assert.equal(j.status, 200, describeRes(j));
  assert.equal(j.json.privileged, true);
  assert.equal(j.json.monitoring_required, false);
  assertError(await join(pv, staff[FAC.A].reviewer), 403, 'forbidden', 'a monitor on an attorney visit');
  assertError(await w.post(`/api/v1/visits/${pv.id}/end`, { reason: 'x' }, staff[FAC.A].admin.token), 403, 'forbidden', 'ending an attorney visit');
});
