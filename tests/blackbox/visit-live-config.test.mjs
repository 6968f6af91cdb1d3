// How the live visit answers when the server is set up without video, and what it hands a page for
// a TURN relay (src/api/visit_live.c, src/media/turn.c).  Neither needs a running Janus: a server
// started without --janus-url must say plainly that video visits are off (503, in the reader's
// language) and never pretend to open a room; a server given --turn-url and --turn-secret must hand
// each page TURN REST credentials a coturn with the same static-auth-secret accepts
// (username "EXPIRY:kiteACCOUNT", credential base64(HMAC-SHA1(secret, username))), checked here
// with node's own HMAC.  /join makes no Janus call, so the TURN server's Janus URL points nowhere.
import { test, after } from 'node:test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import {
  World, assert, facilityIdByName, describeRes, bopNumber,
} from './lib/flows.mjs';

const TURN_URL = 'turn:127.0.0.1:3478?transport=udp';
const TURN_SECRET = 'a-static-auth-secret-for-this-test';
const worlds = [];
after(async () => { for (const w of worlds) await w.close(); });

/*
 * A world with one facility offering visits (UTC, no lead time, no approval), a funded contact
 * and their resident, and a visit booked at the next whole minute and moved to its start.
 */
async function visitAtItsStart(extraArgs) {
  const w = await World.start({
    env: { KITE_ALLOW_TEST_CLOCK: '1' },
    extraArgs: ['--test-clock-offset', '0', ...extraArgs],
  });
  worlds.push(w);
  const op = await w.operator();
  const fid = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  await w.putPolicy(op.token, fid, { profile: 'federal' });
  const policy = await w.put(`/api/v1/facilities/${fid}/visit-policy`,
    { time_zone: 'UTC', lead_minutes: 0, approval_required: false, monitoring_required: false }, op.token);
  assert.ok(policy.status === 200 || policy.status === 201, describeRes(policy));
  const room = await w.post(`/api/v1/facilities/${fid}/visit-rooms`, { name: 'Kiosk 1' }, op.token);
  assert.equal(room.status, 201, describeRes(room));
  const resident = await w.resident(op.token, fid, { number: bopNumber() });
  const contact = await w.contact();
  const link = await w.connectByInvitation(resident, contact);
  await w.topUp(contact, 5000);

  const clock = await w.post('/api/v1/test/clock', { advance_seconds: 0 });
  const start = Math.ceil((Date.parse(clock.json.now) + 2 * 60_000) / 60_000) * 60_000;
  const d = new Date(start);
  const hhmm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  const slot = await w.post(`/api/v1/facilities/${fid}/visit-slots`,
    { room_id: room.json.id, weekday: d.getUTCDay(), start_time: hhmm, length_minutes: 30, capacity: 1 }, op.token);
  assert.equal(slot.status, 201, describeRes(slot));
  const booked = await w.post('/api/v1/visits', { contact_id: link.id, starts_at: d.toISOString() }, contact.token,
    { headers: { 'Idempotency-Key': `config-${start}-${Math.random()}` } });
  assert.equal(booked.status, 201, describeRes(booked));
  assert.equal(booked.json.state, 'approved', 'no approval required: booked is approved');
  const moved = await w.post('/api/v1/test/clock', { advance_seconds: Math.ceil((start - Date.parse(clock.json.now)) / 1000) });
  assert.equal(moved.status, 200, describeRes(moved));
  return { w, visit: booked.json, contact, resident, now: Date.parse(moved.json.now) };
}

test('without a media engine: joining a visit answers 503 with a sentence in the reader\'s language, and nothing is opened or charged', async () => {
  const { w, visit, contact, resident } = await visitAtItsStart([]);
  for (const who of [contact, resident]) {
    const res = await w.get(`/api/v1/visits/${visit.id}/join`, who.token);
    assert.equal(res.status, 503, describeRes(res));
    assert.equal(res.json.error.code, 'busy', describeRes(res));
    assert.match(res.json.error.message, /Video visits are not available/, describeRes(res));
  }
  const es = await w.srv.request('GET', `/api/v1/visits/${visit.id}/join`,
    { token: contact.token, headers: { 'Accept-Language': 'es' } });
  assert.equal(es.status, 503, describeRes(es));
  assert.match(es.json.error.message, /Las visitas por video no están disponibles/, describeRes(es));
  const publish = await w.post(`/api/v1/visits/${visit.id}/media`, { action: 'publish', jsep: { type: 'offer', sdp: 'v=0' } },
    contact.token);
  assert.equal(publish.status, 503, describeRes(publish));
  const after = await w.get(`/api/v1/visits/${visit.id}`, contact.token);
  assert.equal(after.status, 200, describeRes(after));
  assert.equal(after.json.connected_at ?? null, null, 'never connected');
  assert.equal(after.json.charged_cents ?? 0, 0, 'nothing charged');
});

test('with a TURN relay: each page gets credentials coturn accepts (HMAC-SHA1 of the expiry and the account), valid past the visit', async () => {
  const { w, visit, contact, resident, now } = await visitAtItsStart(
    ['--janus-url', 'http://127.0.0.1:9/janus', '--janus-admin-url', 'http://127.0.0.1:9/admin', '--turn-url', TURN_URL, '--turn-secret', TURN_SECRET]);
  const seen = new Set();
  for (const who of [contact, resident]) {
    const res = await w.get(`/api/v1/visits/${visit.id}/join`, who.token);
    assert.equal(res.status, 200, describeRes(res));
    const turn = res.json.ice_servers.find((s) => s.urls.includes(TURN_URL));
    assert.ok(turn, `a TURN entry: ${describeRes(res)}`);
    const [expiry, label] = turn.username.split(':');
    assert.match(label, /^kite\d+$/, 'the label names an account, never an email or a name');
    const expiresMs = Number(expiry) * 1000;
    assert.ok(expiresMs > Date.parse(visit.ends_at), 'the credential outlives the visit');
    assert.ok(expiresMs <= now + 5 * 3600_000, 'and not by days');
    const expected = crypto.createHmac('sha1', TURN_SECRET).update(turn.username).digest('base64');
    assert.equal(turn.credential, expected, 'coturn\'s use-auth-secret check');
    assert.ok(!JSON.stringify(res.json).includes(TURN_SECRET), 'the shared secret never leaves the server');
    seen.add(turn.username);
  }
  assert.equal(seen.size, 2, 'each person a credential of their own');
  // This Janus URL points nowhere: the operator was told at the start, not at the first visit.
  const log = fs.readFileSync(w.srv.logPath, 'utf8');
  assert.match(log, /video: Janus's Janus API did not answer as configured .*visits cannot connect and nothing is charged/);
});
