// Video visits (issue 14, items 1 and 3): a facility sets its time zone and
// publishes weekly slots; a contact books one (the price quoted first is the
// price held from the wallet), staff approve or decline, either side cancels
// or moves it, the sweeper marks a no-show. The rules: lead time (23 h
// refused, 25 h taken), horizon, blackout dates, capacity (concurrent
// bookings for the last place: exactly one wins), the resident's own
// overlap, the FCC cap on the rate, Idempotency-Key, and slots that keep
// their local wall time across DST changes (America/Chicago, March and
// November: 10:00 stays 10:00, its UTC instant moves). Every money move is
// checked against the wallet, and `kite ledger verify` and `kite audit
// verify` pass at the end. Runs on SQLite and on PostgreSQL alike.
import { test, before, after } from 'node:test';
import { World, assert, assertError, onPlatform, pair, describeRes } from './lib/messaging.mjs';
import { RFC3339_UTC, session, cli, sleep } from './lib/kite.mjs';

const ZONE = 'America/Chicago';
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

let w;
let op;
let F; // a state prison in Illinois: the FCC's prison video cap, 25 cents a minute
let G; // another facility on the platform
let admin; // F's facility admin
let reviewer; // F's reviewer
let reviewerG; // G's reviewer
let room;
let keys = 0;

/** The wall time in Chicago of an instant, as the facility reads it. */
function wall(ms) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: ZONE, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
    minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const g = (t) => parts.find((p) => p.type === t).value;
  return {
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(g('weekday')),
    time: `${g('hour')}:${g('minute')}`,
    date: `${g('year')}-${g('month')}-${g('day')}`,
  };
}

const minuteFloor = (ms) => Math.floor(ms / MIN) * MIN;
const iso = (ms) => new Date(ms).toISOString();

/*
 * A weekly slot whose occurrence starts at the instant ms (facility time); returns {slot, startsAt}.
 * Each slot gets a kiosk of its own unless told (a room holds one slot at a time, and the tests'
 * slots of different weeks may share a weekday and hour).
 */
let kiosks = 0;
async function slotAt(ms, { length = 30, capacity = 5, roomId = null } = {}) {
  const at = wall(ms);
  if (roomId === null) {
    const made = await w.post(`/api/v1/facilities/${F}/visit-rooms`, { name: `Kiosk ${++kiosks}` }, admin.token);
    assert.equal(made.status, 201, describeRes(made));
    roomId = made.json.id;
  }
  const res = await w.post(`/api/v1/facilities/${F}/visit-slots`, {
    room_id: roomId, weekday: at.weekday, start_time: at.time, length_minutes: length, capacity,
  }, admin.token);
  assert.equal(res.status, 201, `slot ${JSON.stringify(at)}: ${describeRes(res)}`);
  assert.equal(res.json.start_time, at.time);
  return { slot: res.json, startsAt: iso(ms) };
}

async function balance(who) {
  const res = await w.get('/api/v1/wallet', who.token);
  assert.equal(res.status, 200, `wallet: ${describeRes(res)}`);
  return res.json.balance_cents;
}

function book(who, body, key) {
  const headers = key ? { 'Idempotency-Key': key } : {};
  return w.srv.request('POST', '/api/v1/visits', { body, token: who.token, headers });
}

async function booked(who, body) {
  const res = await book(who, body, `visit-${process.pid}-${++keys}`);
  assert.equal(res.status, 201, `book ${JSON.stringify(body)}: ${describeRes(res)}`);
  return res.json;
}

async function visit(who, id) {
  const res = await w.get(`/api/v1/visits/${id}`, who.token);
  assert.equal(res.status, 200, `get visit ${id}: ${describeRes(res)}`);
  return res.json;
}

/** The visit as who reads it once the sweeper has moved it to state (30 s at most). */
async function sweptTo(who, id, state) {
  let seen;
  for (let i = 0; i < 120; i++) {
    seen = await visit(who, id);
    if (seen.state === state) break;
    await sleep(250);
  }
  assert.equal(seen.state, state, JSON.stringify(seen));
  return seen;
}

async function act(who, id, verb, body = {}, status = 200) {
  const res = await w.post(`/api/v1/visits/${id}/${verb}`, body, who.token);
  assert.equal(res.status, status, `${verb} ${id}: ${describeRes(res)}`);
  return res.json;
}

async function setPolicy(body) {
  const res = await w.put(`/api/v1/facilities/${F}/visit-policy`, body, admin.token);
  assert.equal(res.status, 200, `visit policy ${JSON.stringify(body)}: ${describeRes(res)}`);
  return res.json;
}

/** A fresh resident and contact of F, linked, with 50.00 more on the contact's balance. */
async function family(name = 'Rosa Diaz') {
  const p = await pair(w, op, F, 'jpay', { contactName: name });
  await w.topUp(p.contact, 5000);
  return p;
}

before(async () => {
  w = await World.start();
  op = await w.operator();
  F = await onPlatform(w, op, 'ILLINOIS YOUTH CENTER PERE MARQUETTE', { profile: 'jpay' });
  G = await onPlatform(w, op, 'WINNEBAGO COUNTY JAIL', { profile: 'jpay' });
  admin = await w.staff(op.token, F, 'facility_admin');
  reviewer = await w.staff(op.token, F, 'reviewer');
  reviewerG = await w.staff(op.token, G, 'reviewer');
});

after(async () => {
  if (w) await w.close();
});

test('no slot before the facility sets a real time zone; the state suggests one', async () => {
  const policy = await w.get(`/api/v1/facilities/${F}/visit-policy`, admin.token);
  assert.equal(policy.status, 200, describeRes(policy));
  assert.equal(policy.json.time_zone, null);
  assert.equal(policy.json.suggested_time_zone, ZONE, 'Illinois keeps one zone');
  assert.equal(policy.json.lead_minutes, 24 * 60);
  assert.equal(policy.json.horizon_days, 14);
  assert.equal(policy.json.late_cancel_refund, 'full');
  let res = await w.post(`/api/v1/facilities/${F}/visit-rooms`, { name: 'Kiosk A' }, admin.token);
  assert.equal(res.status, 201, describeRes(res));
  room = res.json;
  res = await w.post(`/api/v1/facilities/${F}/visit-slots`, {
    room_id: room.id, weekday: 2, start_time: '10:00', length_minutes: 30, capacity: 2,
  }, admin.token);
  assertError(res, 422, 'invalid_field');
  assert.equal(res.json.error.field, 'time_zone');
  res = await w.put(`/api/v1/facilities/${F}/visit-policy`, { time_zone: 'America/Springfield' }, admin.token);
  assertError(res, 422, 'invalid_field');
  assert.equal(res.json.error.field, 'time_zone');
  res = await w.put(`/api/v1/facilities/${F}/visit-policy`, { time_zone: ZONE }, reviewer.token);
  assert.equal(res.status, 403, 'a reviewer does not set the policy');
  res = await w.put(`/api/v1/facilities/${F}/visit-policy`, { time_zone: ZONE }, reviewerG.token);
  assert.equal(res.status, 404, "another facility's staff learn nothing");
  const set = await setPolicy({ time_zone: ZONE });
  assert.equal(set.time_zone, ZONE);
  assert.equal(set.stored, true);
});

test('a room holds one slot at a time: an overlapping slot is refused (past midnight and across the week too); touching, another room or a retired slot is fine', async () => {
  const made = await w.post(`/api/v1/facilities/${F}/visit-rooms`, { name: 'Kiosk overlap' }, admin.token);
  assert.equal(made.status, 201, describeRes(made));
  const other = await w.post(`/api/v1/facilities/${F}/visit-rooms`, { name: 'Kiosk overlap 2' }, admin.token);
  assert.equal(other.status, 201, describeRes(other));
  const add = (roomId, weekday, start_time, length_minutes) => w.post(`/api/v1/facilities/${F}/visit-slots`,
    { room_id: roomId, weekday, start_time, length_minutes, capacity: 2 }, admin.token, { headers: { 'Accept-Language': 'es' } });
  const first = await add(made.json.id, 2, '10:00', 30);
  assert.equal(first.status, 201, describeRes(first));
  const clash = await add(made.json.id, 2, '10:15', 30);
  assertError(clash, 409, 'conflict');
  assert.equal(clash.json.error.field, 'start_time');
  assert.match(clash.json.error.message, /Esta sala ya tiene un horario a esa hora/, 'in the reader\'s language');
  assertError(await add(made.json.id, 2, '09:45', 16), 409, 'conflict');
  assertError(await add(made.json.id, 2, '09:00', 120), 409, 'conflict', 'a longer slot around it');
  for (const [weekday, time, length] of [[2, '10:30', 30], [2, '09:30', 30], [3, '10:00', 30]]) {
    const ok = await add(made.json.id, weekday, time, length);
    assert.equal(ok.status, 201, `touching or another day: ${weekday} ${time} ${describeRes(ok)}`);
  }
  const elsewhere = await add(other.json.id, 2, '10:15', 30);
  assert.equal(elsewhere.status, 201, `another room: ${describeRes(elsewhere)}`);
  // Saturday 23:30 for an hour runs into Sunday: Sunday 00:15 meets it, Sunday 00:30 does not.
  const late = await add(made.json.id, 6, '23:30', 60);
  assert.equal(late.status, 201, describeRes(late));
  assertError(await add(made.json.id, 0, '00:15', 30), 409, 'conflict');
  const sunday = await add(made.json.id, 0, '00:30', 30);
  assert.equal(sunday.status, 201, describeRes(sunday));
  // A retired slot leaves its time free.
  const gone = await w.del(`/api/v1/facilities/${F}/visit-slots/${first.json.id}`, admin.token);
  assert.equal(gone.status, 204, describeRes(gone));
  const again = await add(made.json.id, 2, '10:00', 30);
  assert.equal(again.status, 201, `after retiring: ${describeRes(again)}`);
  // Nothing refused was stored: the room's slots are exactly the ones accepted.
  const listed = await w.get(`/api/v1/facilities/${F}/visit-slots`, admin.token);
  assert.equal(listed.status, 200, describeRes(listed));
  const mine = listed.json.items.filter((x) => x.room_id === made.json.id).map((x) => `${x.weekday} ${x.start_time}`).sort();
  assert.deepEqual(mine, ['0 00:30', '2 09:30', '2 10:00', '2 10:30', '3 10:00', '6 23:30']);
  // Retire them, so the booking tests below see only their own slots.
  for (const x of listed.json.items.filter((y) => y.room_id === made.json.id || y.room_id === other.json.id)) {
    assert.equal((await w.del(`/api/v1/facilities/${F}/visit-slots/${x.id}`, admin.token)).status, 204);
  }
});

test('lead time: 23 hours ahead is refused, 25 hours ahead is booked; the quote is what is held', async () => {
  const p = await family();
  const base = minuteFloor(Date.now());
  const soon = await slotAt(base + 23 * HOUR);
  const later = await slotAt(base + 25 * HOUR);
  let res = await w.post('/api/v1/visits/quote', { contact_id: p.contactId, starts_at: soon.startsAt }, p.contact.token);
  assertError(res, 422, 'invalid_field');
  assert.equal(res.json.error.field, 'starts_at');
  assert.match(res.json.error.message, /24 hours/);
  res = await book(p.contact, { contact_id: p.contactId, starts_at: soon.startsAt });
  assertError(res, 422, 'invalid_field');

  const before = await balance(p.contact);
  res = await w.post('/api/v1/visits/quote', { contact_id: p.contactId, starts_at: later.startsAt }, p.contact.token);
  assert.equal(res.status, 200, describeRes(res));
  const q = res.json;
  assert.equal(q.length_minutes, 30);
  assert.ok(q.rate_cents_per_minute > 0 && q.rate_cents_per_minute <= 25, `prison video cap: ${q.rate_cents_per_minute}`);
  assert.equal(q.price_cents, 30 * q.rate_cents_per_minute);
  assert.equal(q.time_zone, ZONE);
  assert.match(q.starts_at_local, LOCAL);
  assert.equal(q.starts_at_local.slice(11, 16), wall(Date.parse(later.startsAt)).time);
  assert.equal(await balance(p.contact), before, 'a quote moves no money');

  const v = await booked(p.contact, { contact_id: p.contactId, starts_at: later.startsAt });
  assert.equal(v.state, 'pending', 'staff approve by default');
  assert.equal(v.starts_at, iso(Date.parse(later.startsAt)));
  assert.match(v.starts_at, RFC3339_UTC);
  assert.match(v.starts_at_local, LOCAL);
  assert.equal(v.time_zone, ZONE);
  assert.equal(v.price_cents, q.price_cents);
  assert.equal(v.held_cents, q.price_cents);
  assert.equal(v.payer, 'contact_balance');
  assert.equal(v.charged_cents, null);
  assert.equal(await balance(p.contact), before - q.price_cents, 'the price shown is the price held');
  const mine = await w.get('/api/v1/visits?box=upcoming', p.contact.token);
  assert.equal(mine.status, 200);
  assert.ok(mine.json.items.some((x) => x.id === v.id));
  const tablet = await w.get('/api/v1/visits?box=upcoming', p.resident.token);
  assert.ok(tablet.json.items.some((x) => x.id === v.id), 'the resident sees the visit on the tablet');
  const exported = await w.get('/api/v1/me/export', p.contact.token);
  assert.equal(exported.status, 200, describeRes(exported));
  assert.ok(exported.json.visits.some((x) => x.id === v.id && x.price_cents === q.price_cents), 'the export holds the visit');
});

test('both sides are told: the tablet through live updates, the contact by email in its language, in facility time', async () => {
  const p = await family('Lucia Notice');
  const s = await slotAt(minuteFloor(Date.now()) + 3 * DAY + 7 * HOUR);
  const at = wall(Date.parse(s.startsAt));
  const v = await booked(p.contact, { contact_id: p.contactId, starts_at: s.startsAt });
  let mails = await w.mailsTo(p.contact.email, { kind: 'visit', count: 1 });
  assert.equal(mails[0].subject, `Video visit booked: ${at.date} ${at.time}`);
  assert.match(mails[0].text, /America\/Chicago time/);
  assert.match(mails[0].text, /still has to approve/);
  await act(reviewer, v.id, 'approve');
  // The contact reads Spanish from now on: the next mail is in Spanish.
  const lang = await w.patch('/api/v1/me', { lang: 'es' }, p.contact.token);
  assert.equal(lang.status, 200, describeRes(lang));
  await act(admin, v.id, 'cancel', { reason: 'Cierre por clima' });
  mails = await w.mailsTo(p.contact.email, { kind: 'visit', count: 3 });
  assert.equal(mails[1].subject, `Video visit approved: ${at.date} ${at.time}`);
  assert.equal(mails[2].subject, `Visita por video cancelada: ${at.date} ${at.time}`);
  assert.match(mails[2].text, /hora de America\/Chicago/);
  assert.match(mails[2].text, /Cobrado: \$0\.00/);
  const events = w.sql(`SELECT status FROM events WHERE kind = 'visit.status' AND account_id = ${p.resident.account.id} ORDER BY id`);
  assert.deepEqual(events.split('\n'), ['pending', 'approved', 'cancelled'], 'the tablet is told each step');
});

test('horizon and blackout dates', async () => {
  const p = await family();
  const base = minuteFloor(Date.now());
  const far = await slotAt(base + 15 * DAY + 2 * HOUR);
  let res = await book(p.contact, { contact_id: p.contactId, starts_at: far.startsAt });
  assertError(res, 422, 'invalid_field');
  assert.match(res.json.error.message, /14 days/);

  const day3 = await slotAt(base + 3 * DAY + 3 * HOUR);
  const localDay = wall(Date.parse(day3.startsAt)).date;
  res = await w.post(`/api/v1/facilities/${F}/visit-blackouts`, { day: localDay, reason: 'Lockdown drill' }, admin.token);
  assert.equal(res.status, 201, describeRes(res));
  const blackout = res.json;
  res = await book(p.contact, { contact_id: p.contactId, starts_at: day3.startsAt });
  assertError(res, 422, 'invalid_field');
  assert.match(res.json.error.message, /no visits on that day/);
  const listed = await w.get(`/api/v1/facilities/${F}/visit-slots`, p.contact.token);
  assert.equal(listed.status, 200);
  assert.ok(!listed.json.openings.some((o) => o.starts_at === iso(Date.parse(day3.startsAt))), 'a blackout day offers nothing');
  res = await w.del(`/api/v1/facilities/${F}/visit-blackouts/${blackout.id}`, admin.token);
  assert.equal(res.status, 204, describeRes(res));
  await booked(p.contact, { contact_id: p.contactId, starts_at: day3.startsAt });

  // A start that is no slot's start.
  res = await book(p.contact, { contact_id: p.contactId, starts_at: iso(Date.parse(day3.startsAt) + 7 * MIN) });
  assertError(res, 422, 'invalid_field');
});

test('capacity: concurrent bookings for the last places, exactly capacity succeed', async () => {
  const base = minuteFloor(Date.now());
  const s = await slotAt(base + 4 * DAY + 5 * HOUR, { capacity: 2 });
  const families = [];
  for (let i = 0; i < 5; i++) families.push(await family(`Racer ${i}`));
  const results = await Promise.all(families.map((p, i) => book(p.contact, { contact_id: p.contactId, starts_at: s.startsAt, slot_id: s.slot.id }, `race-${process.pid}-${i}`)));
  const won = results.filter((r) => r.status === 201);
  const lost = results.filter((r) => r.status !== 201);
  assert.equal(won.length, 2, results.map((r) => describeRes(r)).join('\n'));
  for (const r of lost) assertError(r, 409, 'conflict');
  const listed = await w.get(`/api/v1/facilities/${F}/visit-slots`, families[0].contact.token);
  const opening = listed.json.openings.find((o) => o.slot_id === s.slot.id && o.starts_at === iso(Date.parse(s.startsAt)));
  assert.ok(opening, 'the full occurrence is still listed');
  assert.equal(opening.places_left, 0);
  // The resident's own overlap: the same resident cannot have two visits at once.
  const overlapSlot = await slotAt(base + 4 * DAY + 5 * HOUR + 10 * MIN);
  const winner = families[results.findIndex((r) => r.status === 201)];
  const res = await book(winner.contact, { contact_id: winner.contactId, starts_at: overlapSlot.startsAt });
  assertError(res, 409, 'conflict');
  assert.match(res.json.error.message, /already has a visit/);
});

test('approve, decline and cancel: who may, and the money given back', async () => {
  const p = await family();
  const base = minuteFloor(Date.now());
  const s1 = await slotAt(base + 2 * DAY + 1 * HOUR);
  const s2 = await slotAt(base + 2 * DAY + 3 * HOUR);
  const s3 = await slotAt(base + 2 * DAY + 5 * HOUR);
  const start = await balance(p.contact);
  const a = await booked(p.contact, { contact_id: p.contactId, starts_at: s1.startsAt });
  const b = await booked(p.contact, { contact_id: p.contactId, starts_at: s2.startsAt });
  const c = await booked(p.contact, { contact_id: p.contactId, starts_at: s3.startsAt });
  assert.equal(await balance(p.contact), start - a.price_cents - b.price_cents - c.price_cents);

  // The contact cannot approve its own visit; another facility's reviewer sees nothing.
  let res = await w.post(`/api/v1/visits/${a.id}/approve`, {}, p.contact.token);
  assert.equal(res.status, 404, describeRes(res));
  res = await w.post(`/api/v1/visits/${a.id}/approve`, {}, reviewerG.token);
  assert.equal(res.status, 404, describeRes(res));
  res = await w.get(`/api/v1/visits/${a.id}`, reviewerG.token);
  assert.equal(res.status, 404);

  const schedule = await w.get(`/api/v1/facilities/${F}/visits?state=pending`, reviewer.token);
  assert.equal(schedule.status, 200, describeRes(schedule));
  assert.ok(schedule.json.items.some((x) => x.id === a.id));
  assert.ok(schedule.json.items.every((x) => x.state === 'pending'));
  assert.ok(schedule.json.items.find((x) => x.id === a.id).contact_name.length > 0);
  // The day's schedule, the day read in the facility's own time.
  const localDay = wall(Date.parse(s1.startsAt)).date;
  const day = await w.get(`/api/v1/facilities/${F}/visits?day=${localDay}`, reviewer.token);
  assert.equal(day.status, 200, describeRes(day));
  assert.ok(day.json.items.some((x) => x.id === a.id), `visit ${a.id} on ${localDay}`);
  assert.ok(day.json.items.every((x) => x.starts_at_local.slice(0, 10) === localDay), 'only that local day');
  assertError(await w.get(`/api/v1/facilities/${F}/visits?day=2026-02-30`, reviewer.token), 422, 'invalid_field');

  const approved = await act(reviewer, a.id, 'approve');
  assert.equal(approved.state, 'approved');
  assert.equal(approved.held_cents, a.price_cents, 'approval moves no money');
  res = await w.post(`/api/v1/visits/${a.id}/approve`, {}, reviewer.token);
  assertError(res, 409, 'already_decided');

  // A decline needs a reason and gives the whole price back.
  res = await w.post(`/api/v1/visits/${b.id}/decline`, {}, reviewer.token);
  assertError(res, 422, 'invalid_field');
  const declined = await act(reviewer, b.id, 'decline', { reason: 'The resident is in medical observation.' });
  assert.equal(declined.state, 'declined');
  assert.equal(declined.charged_cents, 0);
  assert.equal(declined.reason, 'The resident is in medical observation.');
  assert.equal(await balance(p.contact), start - a.price_cents - c.price_cents);

  // The family cancels before the cut-off: all back.
  const cancelled = await act(p.contact, c.id, 'cancel', { reason: 'Plans changed' });
  assert.equal(cancelled.state, 'cancelled');
  assert.equal(cancelled.charged_cents, 0);
  assert.equal(cancelled.end_reason, null);
  // The facility cancels an approved visit: all back, automatically.
  const byFacility = await act(admin, a.id, 'cancel', { reason: 'Count time moved' });
  assert.equal(byFacility.state, 'cancelled');
  assert.equal(byFacility.end_reason, 'cancelled_by_facility');
  assert.equal(byFacility.charged_cents, 0);
  assert.equal(await balance(p.contact), start, 'every cent came back');
  res = await w.post(`/api/v1/visits/${a.id}/cancel`, {}, p.contact.token);
  assertError(res, 409, 'already_decided');
  const past = await w.get('/api/v1/visits?box=past', p.contact.token);
  assert.ok([a.id, b.id, c.id].every((id) => past.json.items.some((x) => x.id === id)), 'settled visits are in the past box');
});

test('a late family cancellation follows the policy', async () => {
  await setPolicy({ cancel_cutoff_minutes: 48 * 60, late_cancel_refund: 'none' });
  try {
    const p = await family();
    const s = await slotAt(minuteFloor(Date.now()) + 30 * HOUR);
    const start = await balance(p.contact);
    const v = await booked(p.contact, { contact_id: p.contactId, starts_at: s.startsAt });
    const cancelled = await act(p.contact, v.id, 'cancel');
    assert.equal(cancelled.charged_cents, v.price_cents, 'inside the 48-hour cut-off, this facility keeps the price');
    assert.equal(await balance(p.contact), start - v.price_cents);
  } finally {
    await setPolicy({ cancel_cutoff_minutes: 24 * 60, late_cancel_refund: 'full' });
  }
});

function reschedule(who, id, body, key) {
  const headers = key ? { 'Idempotency-Key': key } : {};
  return w.srv.request('POST', `/api/v1/visits/${id}/reschedule`, { body, token: who.token, headers });
}

async function moveQuote(who, id, startsAt) {
  const res = await w.post('/api/v1/visits/quote', { visit_id: id, starts_at: startsAt }, who.token);
  assert.equal(res.status, 200, `move quote ${id} -> ${startsAt}: ${describeRes(res)}`);
  return res.json;
}

async function wallet(who) {
  const res = await w.get('/api/v1/wallet', who.token);
  assert.equal(res.status, 200, `wallet: ${describeRes(res)}`);
  return res.json;
}

test('reschedule: the same price keeps the one hold; a shorter or longer slot is re-priced, quoted first', async () => {
  const p = await family('Moving Family');
  const base = minuteFloor(Date.now());
  const s1 = await slotAt(base + 5 * DAY + 2 * HOUR);
  const s2 = await slotAt(base + 6 * DAY + 2 * HOUR);
  const s20 = await slotAt(base + 6 * DAY + 5 * HOUR, { length: 20 });
  const s45 = await slotAt(base + 6 * DAY + 7 * HOUR, { length: 45 });
  const start = await balance(p.contact);
  const v = await booked(p.contact, { contact_id: p.contactId, starts_at: s1.startsAt });
  const rate = v.rate_cents_per_minute;
  assert.ok(rate > 0, JSON.stringify(v));
  await act(reviewer, v.id, 'approve');
  const moved = await act(p.contact, v.id, 'reschedule', { starts_at: s2.startsAt });
  assert.equal(moved.id, v.id);
  assert.equal(moved.starts_at, iso(Date.parse(s2.startsAt)));
  assert.equal(moved.state, 'pending', 'a moved visit is approved again');
  assert.equal(moved.held_cents, v.price_cents);
  assert.equal(await balance(p.contact), start - v.price_cents, 'one hold, not two');
  const again = await w.post(`/api/v1/visits/${v.id}/reschedule`, { starts_at: s1.startsAt }, reviewer.token);
  assert.equal(again.status, 403, 'staff do not move a family visit');

  // 30 -> 20 minutes: the quote names the new price, what is held and the refund; nothing moves yet.
  let q = await moveQuote(p.contact, v.id, s20.startsAt);
  assert.equal(q.visit_id, v.id);
  assert.equal(q.length_minutes, 20);
  assert.equal(q.price_cents, 20 * rate);
  assert.equal(q.held_cents, 30 * rate);
  assert.equal(q.difference_cents, -10 * rate, 'a refund is a negative difference');
  assert.equal(q.enough, true);
  assert.equal(q.payer, 'contact_balance');
  assert.equal(q.balance_cents, start - 30 * rate);
  assert.equal(await balance(p.contact), start - 30 * rate, 'a quote moves no money');
  const key = `move-${process.pid}-${++keys}`;
  let res = await reschedule(p.contact, v.id, { starts_at: s20.startsAt }, key);
  assert.equal(res.status, 200, describeRes(res));
  const shorter = res.json;
  assert.equal(shorter.length_minutes, 20);
  assert.equal(shorter.price_cents, 20 * rate);
  assert.equal(shorter.held_cents, 20 * rate, 'the hold is the new price');
  let wal = await wallet(p.contact);
  assert.equal(wal.balance_cents, start - 20 * rate, 'the difference is back in the wallet');
  assert.equal(wal.held_cents, 20 * rate);
  // The same key again: the same answer, no second hold, no second move.
  res = await reschedule(p.contact, v.id, { starts_at: s20.startsAt }, key);
  assert.equal(res.status, 200, describeRes(res));
  assert.equal(res.json.id, v.id);
  assert.equal(res.json.price_cents, 20 * rate);
  assert.equal(res.json.starts_at, shorter.starts_at);
  wal = await wallet(p.contact);
  assert.equal(wal.balance_cents, start - 20 * rate, 'a replay moves no money');
  assert.equal(wal.held_cents, 20 * rate);
  assert.equal(w.sql(`SELECT COUNT(*) FROM visit_moves WHERE visit_id = ${v.id} AND idempotency_key = '${key}'`), '1');
  assert.equal(w.sql(`SELECT COUNT(*) FROM ledger_holds WHERE state = 'held' AND payer_account_id = `
    + `(SELECT payer_account_id FROM visits WHERE id = ${v.id})`), '1', 'one open hold');
  res = await reschedule(p.contact, v.id, { starts_at: s45.startsAt }, key);
  assertError(res, 422, 'idempotency_key_reused');

  // 20 -> 45 minutes: more is held; the contact reads Spanish now.
  q = await moveQuote(p.contact, v.id, s45.startsAt);
  assert.equal(q.price_cents, 45 * rate);
  assert.equal(q.held_cents, 20 * rate);
  assert.equal(q.difference_cents, 25 * rate);
  assert.equal(q.enough, true);
  assert.equal((await w.patch('/api/v1/me', { lang: 'es' }, p.contact.token)).status, 200);
  const longer = await act(p.contact, v.id, 'reschedule', { starts_at: s45.startsAt });
  assert.equal(longer.length_minutes, 45);
  assert.equal(longer.price_cents, 45 * rate);
  assert.equal(longer.held_cents, 45 * rate);
  wal = await wallet(p.contact);
  assert.equal(wal.balance_cents, start - 45 * rate, 'the difference is held');
  assert.equal(wal.held_cents, 45 * rate);

  // The notices name the new price: booked, approved, moved, moved cheaper, moved dearer (in Spanish).
  const mails = await w.mailsTo(p.contact.email, { kind: 'visit', count: 5 });
  const usd = (c) => `\\$${Math.floor(c / 100)}\\.${String(c % 100).padStart(2, '0')}`;
  assert.doesNotMatch(mails[2].text, /new price/);
  assert.match(mails[3].text, new RegExp(`new price is ${usd(20 * rate)}`));
  assert.match(mails[3].text, /back on the balance/);
  assert.match(mails[4].text, new RegExp(`nuevo precio es ${usd(45 * rate)}`));
  assert.match(mails[4].text, /dura 45 minutos/);
  const audit = w.auditRows(`action = 'visit.reschedule' AND target = 'visit:${v.id}'`);
  assert.equal(audit.length, 3, 'one audit record per move, none for the replay');
  assert.match(audit[2].detail, new RegExp(`price_from=${20 * rate} price_to=${45 * rate}`));

  // The family's data export carries the visit's history: three moves, oldest first, none for the replay.
  const exported = await w.get('/api/v1/me/export', p.contact.token);
  assert.equal(exported.status, 200, describeRes(exported));
  const moves = exported.json.visit_moves.filter((m) => m.visit_id === v.id);
  assert.deepEqual(moves.map((m) => [m.moved_by, m.from_starts_at, m.to_starts_at, m.from_price_cents, m.to_price_cents]), [
    ['contact', iso(Date.parse(s1.startsAt)), iso(Date.parse(s2.startsAt)), 30 * rate, 30 * rate],
    ['contact', iso(Date.parse(s2.startsAt)), iso(Date.parse(s20.startsAt)), 30 * rate, 20 * rate],
    ['contact', iso(Date.parse(s20.startsAt)), iso(Date.parse(s45.startsAt)), 20 * rate, 45 * rate],
  ]);
  assert.ok(moves.every((m) => !Number.isNaN(Date.parse(m.moved_at))));
  // A stranger's export shows none of it.
  const stranger = await w.contact();
  assert.deepEqual((await w.get('/api/v1/me/export', stranger.token)).json.visit_moves, []);
});

test('a move quote for the visit\'s own time, in a slot it fills alone, is its own price, not "full"; another family is still refused', async () => {
  const p = await family('Only Place');
  const s = await slotAt(minuteFloor(Date.now()) + 9 * DAY + 6 * HOUR, { capacity: 1 });
  const v = await booked(p.contact, { contact_id: p.contactId, starts_at: s.startsAt });
  const q = await moveQuote(p.contact, v.id, s.startsAt);
  assert.equal(q.price_cents, v.price_cents);
  assert.equal(q.difference_cents, 0);
  assert.equal(q.enough, true);
  const other = await family('Late Family');
  assertError(await book(other.contact, { contact_id: other.contactId, starts_at: s.startsAt }), 409, 'conflict',
    'the one place is still taken');
});

test('reschedule to a dearer slot without the money: 402 with the price, nothing moves', async () => {
  const p = await pair(w, op, F, 'jpay', { contactName: 'Thin Wallet' });
  const base = minuteFloor(Date.now());
  const small = await slotAt(base + 5 * DAY + 9 * HOUR, { length: 5 });
  const v = await booked(p.contact, { contact_id: p.contactId, starts_at: small.startsAt, slot_id: small.slot.id });
  const rate = v.rate_cents_per_minute;
  const left = await balance(p.contact);
  // One minute more than the balance and the hold together pay for.
  const length = Math.floor((left + v.price_cents) / rate) + 1;
  assert.ok(length <= 240, `balance ${left} too large for this test`);
  const dear = await slotAt(base + 5 * DAY + 13 * HOUR, { length });
  const q = await w.post('/api/v1/visits/quote', { visit_id: v.id, starts_at: dear.startsAt, slot_id: dear.slot.id }, p.contact.token);
  assert.equal(q.status, 200, describeRes(q));
  assert.equal(q.json.price_cents, length * rate);
  assert.equal(q.json.difference_cents, length * rate - v.price_cents);
  assert.equal(q.json.enough, false, 'the quote says it before the move');
  const res = await reschedule(p.contact, v.id, { starts_at: dear.startsAt, slot_id: dear.slot.id }, `move-${process.pid}-${++keys}`);
  assertError(res, 402, 'insufficient_funds');
  assert.match(res.json.error.message, /The new time costs \$/);
  const seen = await visit(p.contact, v.id);
  assert.equal(seen.starts_at, v.starts_at, 'the visit did not move');
  assert.equal(seen.price_cents, v.price_cents);
  assert.equal(seen.held_cents, v.price_cents);
  assert.equal(await balance(p.contact), left, 'the wallet did not change');
  assert.equal(w.sql(`SELECT COUNT(*) FROM visit_moves WHERE visit_id = ${v.id}`), '0');
});

test('a tablet booking moved by the contact is re-priced against the trust account', async () => {
  const r = await family('Tablet Movers');
  const base = minuteFloor(Date.now());
  const s30 = await slotAt(base + 7 * DAY + 9 * HOUR);
  const s20 = await slotAt(base + 7 * DAY + 11 * HOUR, { length: 20 });
  const trust0 = (await wallet(r.resident)).balance_cents;
  const contact0 = await balance(r.contact);
  const v = await booked(r.resident, { contact_id: r.contactId, starts_at: s30.startsAt });
  assert.equal(v.payer, 'resident_trust');
  const rate = v.rate_cents_per_minute;
  assert.equal((await wallet(r.resident)).balance_cents, trust0 - 30 * rate);
  const q = await moveQuote(r.contact, v.id, s20.startsAt);
  assert.equal(q.payer, 'resident_trust', 'the booking\'s payer, whoever moves it');
  assert.equal(q.difference_cents, -10 * rate);
  const moved = await act(r.contact, v.id, 'reschedule', { starts_at: s20.startsAt });
  assert.equal(moved.payer, 'resident_trust');
  assert.equal(moved.held_cents, 20 * rate);
  const trust = await wallet(r.resident);
  assert.equal(trust.balance_cents, trust0 - 20 * rate, 'the difference is back in the trust account');
  assert.equal(trust.held_cents, 20 * rate);
  assert.equal(await balance(r.contact), contact0, "the contact's balance is not touched");
});

test('Idempotency-Key: a retry returns the first visit and holds once', async () => {
  const p = await family();
  const s = await slotAt(minuteFloor(Date.now()) + 7 * DAY + 4 * HOUR);
  const start = await balance(p.contact);
  const key = `idem-${process.pid}`;
  const first = await book(p.contact, { contact_id: p.contactId, starts_at: s.startsAt }, key);
  assert.equal(first.status, 201, describeRes(first));
  const second = await book(p.contact, { contact_id: p.contactId, starts_at: s.startsAt }, key);
  assert.equal(second.status, 201, describeRes(second));
  assert.equal(second.json.id, first.json.id);
  assert.equal(await balance(p.contact), start - first.json.price_cents);
  const other = await book(p.contact, { contact_id: p.contactId, starts_at: iso(Date.parse(s.startsAt) + DAY) }, key);
  assertError(other, 422, 'idempotency_key_reused');
});

test('money: too little is refused before anything is held; the FCC cap bounds the rate; the resident pays from trust', async () => {
  const p = await pair(w, op, F, 'jpay', { contactName: 'Short Wallet' });
  const left = await balance(p.contact);
  // A slot just longer than the balance pays for at the rate the quote names.
  const probe = await slotAt(minuteFloor(Date.now()) + 8 * DAY + 1 * HOUR, { length: 5 });
  const q = await w.post('/api/v1/visits/quote', { contact_id: p.contactId, starts_at: probe.startsAt, slot_id: probe.slot.id }, p.contact.token);
  assert.equal(q.status, 200, describeRes(q));
  const rate = q.json.rate_cents_per_minute;
  const length = Math.floor(left / rate) + 1;
  assert.ok(length <= 240, `balance ${left} too large for this test`);
  const s = await slotAt(minuteFloor(Date.now()) + 9 * DAY + 1 * HOUR, { length });
  const res = await book(p.contact, { contact_id: p.contactId, starts_at: s.startsAt, slot_id: s.slot.id });
  assertError(res, 402, 'insufficient_funds');
  assert.match(res.json.error.message, /This visit costs \$/);
  assert.equal(await balance(p.contact), left, 'nothing held');
  let prices = await w.put(`/api/v1/facilities/${F}/prices`, { video_cents_per_minute: 26 }, op.token);
  assertError(prices, 422, 'invalid_field');
  prices = await w.get(`/api/v1/facilities/${F}/prices`, op.token);
  assert.equal(prices.status, 200, describeRes(prices));
  assert.ok(prices.json.phone.video_cents_per_minute <= prices.json.phone.video_cap_cents);
  assert.equal(prices.json.phone.video_cents_per_minute, rate, 'the visit is priced at the facility\'s video rate');
  assert.equal(prices.json.phone.video_cap_cents, 25, 'FCC 25-75: prisons $0.25 a minute');

  // The resident requests a visit from the tablet: paid from the trust account.
  const r = await family('Tablet Family');
  const s2 = await slotAt(minuteFloor(Date.now()) + 8 * DAY + 4 * HOUR);
  const v = await booked(r.resident, { contact_id: r.contactId, starts_at: s2.startsAt });
  assert.equal(v.payer, 'resident_trust');
  assert.equal(v.state, 'pending');
  const contactSees = await visit(r.contact, v.id);
  assert.equal(contactSees.id, v.id, 'the contact sees the request');
});

test('a resident released by the facility: visits not over yet are called off and refunded in full', async () => {
  const p = await family('Release Family');
  const s = await slotAt(minuteFloor(Date.now()) + 10 * DAY + 2 * HOUR);
  const start = await balance(p.contact);
  const v = await booked(p.contact, { contact_id: p.contactId, starts_at: s.startsAt });
  assert.equal(await balance(p.contact), start - v.price_cents);
  const res = await w.patch(`/api/v1/facilities/${F}/residents/${encodeURIComponent(p.resident.number)}`, { status: 'released' }, admin.token);
  assert.equal(res.status, 200, describeRes(res));
  const seen = await visit(p.contact, v.id);
  assert.equal(seen.state, 'cancelled');
  assert.equal(seen.end_reason, 'cancelled_by_facility');
  assert.equal(seen.charged_cents, 0);
  assert.equal(await balance(p.contact), start, 'every cent came back');
});

test('a contact that ends after booking: nobody joins, staff cannot approve, the sweeper calls the visits off and gives every cent back', async () => {
  await setPolicy({ approval_required: true });
  const p = await family('Ended Family');
  const start = await balance(p.contact);
  const s1 = await slotAt(minuteFloor(Date.now()) + 11 * DAY + 2 * HOUR);
  const s2 = await slotAt(minuteFloor(Date.now()) + 12 * DAY + 2 * HOUR);
  const approved = await booked(p.contact, { contact_id: p.contactId, starts_at: s1.startsAt });
  assert.equal((await act(admin, approved.id, 'approve')).state, 'approved');
  const pending = await booked(p.contact, { contact_id: p.contactId, starts_at: s2.startsAt });
  assert.equal(pending.state, 'pending');
  assert.equal(await balance(p.contact), start - approved.price_cents - pending.price_cents);
  // What the visits hold keeps the account from being deleted, and the refusal says where the money is.
  const kept = await w.srv.request('DELETE', '/api/v1/me', { body: { current_password: p.contact.password, confirm: 'DELETE' }, token: p.contact.token });
  assertError(kept, 409, 'account_has_balance');
  assert.equal(kept.json.error.balances.held_cents, approved.price_cents + pending.price_cents);
  assert.match(kept.json.error.message, /on hold for messages still waiting for review or video visits still to come\. Withdraw the messages or cancel the visits/);

  // The resident removes the contact.
  const removed = await w.del(`/api/v1/contacts/${p.contactId}`, p.resident.token);
  assert.equal(removed.status, 200, describeRes(removed));
  assert.equal(removed.json.status, 'removed');

  // Neither side can join meanwhile, in either language; staff cannot approve the other one.
  for (const who of [p.contact, p.resident]) {
    const res = await w.get(`/api/v1/visits/${approved.id}/join`, who.token);
    assertError(res, 410, 'gone');
    assert.match(res.json.error.message, /^This visit will not take place: the contact .* is no longer active\. Nothing is charged/);
  }
  const es = await w.srv.request('GET', `/api/v1/visits/${approved.id}/join`, { token: p.contact.token, headers: { 'Accept-Language': 'es' } });
  assertError(es, 410, 'gone');
  assert.match(es.json.error.message, /^Esta visita no se realizará: el contacto .* ya no está activo\./);
  const approve = await w.post(`/api/v1/visits/${pending.id}/approve`, {}, admin.token);
  assertError(approve, 409, 'contact_not_active');
  assert.match(approve.json.error.message, /^This visit cannot be approved/);
  assert.equal((await visit(p.contact, pending.id)).state, 'pending', 'a refused approval changes nothing');
  const again = await book(p.contact, { contact_id: p.contactId, starts_at: iso(Date.parse(s1.startsAt) + 7 * DAY) });
  assertError(again, 409, 'contact_not_active');
  assert.match(again.json.error.message, /^Visits can be booked or moved only while the contact is active/);
  const moved = await w.post(`/api/v1/visits/${approved.id}/reschedule`, { starts_at: iso(Date.parse(s1.startsAt) + 7 * DAY) }, p.contact.token);
  assertError(moved, 409, 'contact_not_active');

  // The sweeper (its first pass runs as the server starts) calls both off: everything back, both readable,
  // and the family, reading Spanish now, is told in Spanish, Kite's own reason too.
  const lang = await w.patch('/api/v1/me', { lang: 'es' }, p.contact.token);
  assert.equal(lang.status, 200, describeRes(lang));
  await w.restart();
  for (const v of [approved, pending]) {
    const seen = await sweptTo(p.contact, v.id, 'cancelled');
    assert.equal(seen.reason, 'The contact is no longer active.');
    assert.equal(seen.charged_cents, 0);
    assert.equal((await visit(p.resident, v.id)).state, 'cancelled', 'the resident sees it called off too');
  }
  assert.equal(await balance(p.contact), start, 'every cent came back');
  let cancelled = [];
  for (let i = 0; i < 150 && cancelled.length < 2; i++) {
    if (i > 0) await sleep(100);
    cancelled = (await w.mailsTo(p.contact.email, { kind: 'visit', count: 0 })).filter((m) => /^Visita por video cancelada/.test(m.subject));
  }
  assert.equal(cancelled.length, 2, 'the family is told of each by email');
  for (const m of cancelled) assert.match(m.text, /El contacto ya no está activo\./);
});

test('the sweeper marks a no-show and cancels what nobody approved, giving everything back', async () => {
  // A booking staff never approve: cancelled once it begins.
  const q = await family('Unanswered Family');
  const qs = await slotAt(minuteFloor(Date.now()) + 27 * HOUR);
  const qStart = await balance(q.contact);
  const unanswered = await booked(q.contact, { contact_id: q.contactId, starts_at: qs.startsAt });
  assert.equal(unanswered.state, 'pending');
  await setPolicy({ approval_required: false });
  const p = await family();
  const s = await slotAt(minuteFloor(Date.now()) + 26 * HOUR);
  const start = await balance(p.contact);
  const v = await booked(p.contact, { contact_id: p.contactId, starts_at: s.startsAt });
  assert.equal(v.state, 'approved', 'no approval needed now');
  assert.equal(await balance(p.contact), start - v.price_cents);
  // Nobody joins: a day and a half later (past the start and the grace), the sweeper settles it.
  await w.restart({ clockOffset: Math.round((36 * HOUR) / 1000) });
  await w.signInAgain(p.contact);
  const seen = await sweptTo(p.contact, v.id, 'ended');
  assert.equal(seen.end_reason, 'no_show_contact');
  assert.equal(seen.charged_cents, 0);
  assert.equal(await balance(p.contact), start, 'a visit that never connected costs nothing');
  await w.signInAgain(q.contact);
  const gone = await visit(q.contact, unanswered.id);
  assert.equal(gone.state, 'cancelled', JSON.stringify(gone));
  assert.equal(gone.reason, 'Not approved before it began.');
  assert.equal(await balance(q.contact), qStart, 'an unapproved visit costs nothing');
  const mails = await w.mailsTo(q.contact.email, { kind: 'visit', count: 2 });
  assert.match(mails[1].subject, /^Video visit cancelled/);
});

/** The offset (seconds) that puts the server's clock at the instant target. */
const offsetTo = (target) => Math.round((target - Date.now()) / 1000);

async function dstCase(now, first, second, localTime, offsets) {
  await w.restart({ clockOffset: offsetTo(now) });
  for (const who of [op, admin]) Object.assign(who, await w.signInAgain(who));
  const p = await family('Daylight Family');
  const [a, b] = [first, second].map((d) => wall(d));
  assert.equal(a.time, localTime);
  assert.equal(b.time, localTime);
  assert.equal(a.weekday, b.weekday);
  const s = await slotAt(first);
  const listed = await w.get(`/api/v1/facilities/${F}/visit-slots`, p.contact.token);
  const starts = listed.json.openings.filter((o) => o.slot_id === s.slot.id);
  assert.deepEqual(starts.slice(0, 2).map((o) => o.starts_at), [iso(first), iso(second)], 'one week apart in wall time');
  assert.equal(second - first, 7 * DAY + (offsets[0] - offsets[1]) * HOUR, 'the UTC instant moved by the DST change');
  const v1 = await booked(p.contact, { contact_id: p.contactId, starts_at: iso(first), slot_id: s.slot.id });
  const v2 = await booked(p.contact, { contact_id: p.contactId, starts_at: iso(second), slot_id: s.slot.id });
  assert.equal(v1.starts_at_local.slice(11), `${localTime}:00${offsets[0] < 0 ? '-' : '+'}0${Math.abs(offsets[0])}:00`);
  assert.equal(v2.starts_at_local.slice(11), `${localTime}:00${offsets[1] < 0 ? '-' : '+'}0${Math.abs(offsets[1])}:00`);
}

test('DST: a 10:00 Chicago slot stays 10:00 local across March and November; its UTC moves', async () => {
  // March 2027: DST begins Sunday 14 March. Tuesdays 9 March (CST, -06:00) and 16 March (CDT, -05:00).
  await dstCase(Date.parse('2027-03-07T18:00:00Z'), Date.parse('2027-03-09T16:00:00Z'), Date.parse('2027-03-16T15:00:00Z'),
    '10:00', [-6, -5]);
  // November 2027: DST ends Sunday 7 November. Tuesdays 2 November (CDT) and 9 November (CST).
  await dstCase(Date.parse('2027-10-31T18:00:00Z'), Date.parse('2027-11-02T15:00:00Z'), Date.parse('2027-11-09T16:00:00Z'),
    '10:00', [-5, -6]);
});

test('the ledger and the audit chain verify', async () => {
  await w.restart();
  const ledger = await cli(['ledger', 'verify', '--db', w.dbPath]);
  assert.equal(ledger.code, 0, `${ledger.stdout} ${ledger.stderr}`);
  await w.auditOk();
  const actions = w.auditRows("action LIKE 'visit%'");
  assert.ok(actions.length > 0);
});
