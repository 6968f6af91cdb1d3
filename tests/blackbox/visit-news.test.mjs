// Both sides of a visit hear of every change to it on their live stream (GET /api/v1/events,
// src/domain/visits/visit_notice.c, src/api/events.c): a "visit.status" event that names the
// visit (visit_id) and gives its new state, for the resident's tablet and the family member
// alike, in the same transaction as the change.  Nobody else's stream carries it, and message
// events keep their shape (no visit_id).
import { test, before, after } from 'node:test';
import {
  World, assert, facilityIdByName, describeRes, bopNumber,
} from './lib/flows.mjs';

let w;
let op;
let admin;
let fid;
let start;

/* The events of the account behind token from the start of its history, until pred holds (or 10 s). */
async function eventsUntil(token, pred) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 10_000);
  const seen = [];
  try {
    const res = await fetch(`${w.srv.baseUrl}/api/v1/events?last_event_id=0`,
      { headers: { Authorization: `Bearer ${token}` }, signal: ac.signal });
    assert.equal(res.status, 200);
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of res.body) {
      pending += decoder.decode(chunk, { stream: true });
      let cut;
      while ((cut = pending.indexOf('\n\n')) >= 0) {
        const block = pending.slice(0, cut);
        pending = pending.slice(cut + 2);
        const kind = /^event: (.*)$/m.exec(block);
        const data = /^data: (.*)$/m.exec(block);
        if (kind && data) seen.push({ kind: kind[1], data: JSON.parse(data[1]) });
      }
      if (pred(seen)) break;
    }
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return seen;
}

const visitNews = (seen, id) => seen.filter((e) => e.kind === 'visit.status' && e.data.visit_id === id).map((e) => e.data.status);

before(async () => {
  w = await World.start({ env: { KITE_ALLOW_TEST_CLOCK: '1' }, extraArgs: ['--test-clock-offset', '0'] });
  op = await w.operator();
  fid = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  await w.putPolicy(op.token, fid, { profile: 'federal' });
  admin = await w.staff(op.token, fid, 'facility_admin');
  const p = await w.put(`/api/v1/facilities/${fid}/visit-policy`,
    { time_zone: 'UTC', lead_minutes: 0, approval_required: true }, op.token);
  assert.ok(p.status === 200 || p.status === 201, describeRes(p));
  const room = await w.post(`/api/v1/facilities/${fid}/visit-rooms`, { name: 'Kiosk 1' }, op.token);
  assert.equal(room.status, 201, describeRes(room));
  const now = Date.parse((await w.post('/api/v1/test/clock', { advance_seconds: 0 })).json.now);
  start = Math.ceil((now + 3 * 3600_000) / 60_000) * 60_000;
  const d = new Date(start);
  const hhmm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  const slot = await w.post(`/api/v1/facilities/${fid}/visit-slots`,
    { room_id: room.json.id, weekday: d.getUTCDay(), start_time: hhmm, length_minutes: 30, capacity: 4 }, op.token);
  assert.equal(slot.status, 201, describeRes(slot));
});

after(async () => { if (w) await w.close(); });

test('booked, approved, cancelled: the tablet and the family member each hear which visit and its new state; nobody else does', async () => {
  const resident = await w.resident(op.token, fid, { number: bopNumber() });
  const contact = await w.contact();
  const link = await w.connectByInvitation(resident, contact);
  await w.topUp(contact, 5000);
  const other = await w.resident(op.token, fid, { number: bopNumber() }); // a stranger to the visit

  const booked = await w.post('/api/v1/visits', { contact_id: link.id, starts_at: new Date(start).toISOString() },
    contact.token, { headers: { 'Idempotency-Key': `news-${Math.random()}` } });
  assert.equal(booked.status, 201, describeRes(booked));
  const id = booked.json.id;
  assert.equal((await w.post(`/api/v1/visits/${id}/approve`, {}, admin.token)).status, 200);
  assert.equal((await w.post(`/api/v1/visits/${id}/cancel`, { reason: 'Plans changed.' }, contact.token)).status, 200);

  for (const [who, name] of [[resident, 'the resident'], [contact, 'the family member']]) {
    const seen = await eventsUntil(who.token, (s) => visitNews(s, id).length >= 3);
    assert.deepEqual(visitNews(seen, id), ['pending', 'approved', 'cancelled'], `${name}: ${JSON.stringify(seen)}`);
    const one = seen.find((e) => e.kind === 'visit.status');
    assert.equal(one.data.message_id, null, 'a visit event names no message');
    assert.ok(!Number.isNaN(Date.parse(one.data.at)), 'and says when');
  }
  const strangers = await eventsUntil(other.token, () => false);
  assert.equal(strangers.filter((e) => e.kind === 'visit.status').length, 0, 'another resident hears nothing of it');
});

test('a message event keeps its shape: no visit_id', async () => {
  const resident = await w.resident(op.token, fid, { number: bopNumber() });
  const contact = await w.contact();
  const link = await w.connectByInvitation(resident, contact);
  await w.fundContact(contact, fid, 'federal');
  const sent = await w.post('/api/v1/messages', { contact_id: link.id, subject: 'Hi', body: 'Hello from home.' }, contact.token);
  assert.equal(sent.status, 202, describeRes(sent));
  const seen = await eventsUntil(contact.token, (s) => s.some((e) => e.kind.startsWith('message.')));
  const messages = seen.filter((x) => x.kind.startsWith('message.'));
  assert.ok(messages.length > 0, `the sender hears of the message: ${JSON.stringify(seen)}`);
  for (const e of messages) {
    assert.equal(e.data.message_id, sent.json.id, JSON.stringify(e));
    assert.ok(!('visit_id' in e.data), JSON.stringify(e));
  }
});
