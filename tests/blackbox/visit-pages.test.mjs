// Visit lists a page at a time (src/domain/visits/visit_change.c, src/api/visits.c): a person's
// upcoming and past visits and a facility's schedule answer `limit` items and a `next_cursor`, and
// walking the cursors gives every visit once, in the list's own order (soonest first; newest first
// for the past; pending before the rest for staff) whatever the page size.  A person's data export
// walks every page: a family with more than one page of visits gets all of them.  Bad limits and
// cursors are a 422 naming the field.
import { test, before, after } from 'node:test';
import {
  World, assert, facilityIdByName, describeRes, bopNumber,
} from './lib/flows.mjs';

let w;
let op;
let admin;
let fid;
let people;
const booked = []; // every visit booked, in start order

/* Every page of `path` at `limit` a page: the items in order, and how many pages it took. */
async function walk(path, token, limit) {
  const items = [];
  let cursor = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await w.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token);
    assert.equal(res.status, 200, describeRes(res));
    assert.ok(res.json.items.length <= limit, `at most ${limit} a page`);
    if (res.json.next_cursor) assert.equal(res.json.items.length, limit, 'only the last page is short');
    items.push(...res.json.items);
    cursor = res.json.next_cursor;
    pages += 1;
    assert.ok(pages < 200, 'the cursors end');
  } while (cursor);
  return { items, pages };
}

const ids = (list) => list.map((v) => v.id);

before(async () => {
  w = await World.start({ env: { KITE_ALLOW_TEST_CLOCK: '1' }, extraArgs: ['--test-clock-offset', '0'] });
  op = await w.operator();
  fid = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  await w.putPolicy(op.token, fid, { profile: 'federal' });
  admin = await w.staff(op.token, fid, 'facility_admin');
  const policy = await w.put(`/api/v1/facilities/${fid}/visit-policy`,
    { time_zone: 'UTC', lead_minutes: 0, horizon_days: 14, approval_required: true }, op.token);
  assert.ok(policy.status === 200 || policy.status === 201, describeRes(policy));
  const room = await w.post(`/api/v1/facilities/${fid}/visit-rooms`, { name: 'Kiosk 1' }, op.token);
  assert.equal(room.status, 201, describeRes(room));
  // Five-minute slots every quarter hour from 08:00 to 11:45, every day: 16 a day, 112 a week.
  for (let weekday = 0; weekday < 7; weekday++) {
    for (let q = 0; q < 16; q++) {
      const hhmm = `${String(8 + Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`;
      const r = await w.post(`/api/v1/facilities/${fid}/visit-slots`,
        { room_id: room.json.id, weekday, start_time: hhmm, length_minutes: 5, capacity: 1 }, op.token);
      assert.equal(r.status, 201, `slot ${weekday} ${hhmm}: ${describeRes(r)}`);
    }
  }
  const resident = await w.resident(op.token, fid, { number: bopNumber() });
  const contact = await w.contact();
  const link = await w.connectByInvitation(resident, contact);
  await w.topUp(contact, 50000);
  people = { resident, contact, contactId: link.id };
  // 105 visits, more than one page of the largest size (100), from the openings the server offers.
  const now = Date.parse((await w.post('/api/v1/test/clock', { advance_seconds: 0 })).json.now);
  const openings = await w.get(`/api/v1/facilities/${fid}/visit-slots`, contact.token);
  assert.equal(openings.status, 200, describeRes(openings));
  const starts = openings.json.openings.map((o) => o.starts_at).filter((s) => Date.parse(s) > now + 60_000);
  assert.ok(starts.length >= 105, `enough openings: ${starts.length}`);
  for (const startsAt of starts.slice(0, 105)) {
    const b = await w.post('/api/v1/visits', { contact_id: link.id, starts_at: startsAt }, contact.token,
      { headers: { 'Idempotency-Key': `pages-${startsAt}` } });
    assert.equal(b.status, 201, `book ${startsAt}: ${describeRes(b)}`);
    booked.push(b.json);
  }
  booked.sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at) || a.id - b.id);
});

after(async () => { if (w) await w.close(); });

test('a person\'s upcoming visits: every visit once, soonest first, at any page size; the largest page is 100', async () => {
  const whole = await w.get('/api/v1/visits?box=upcoming', people.contact.token);
  assert.equal(whole.status, 200, describeRes(whole));
  assert.equal(whole.json.items.length, 100, 'one page holds at most 100');
  assert.ok(whole.json.next_cursor, 'and says there is more');
  for (const limit of [1, 7, 100]) {
    const { items, pages } = await walk('/api/v1/visits?box=upcoming', people.contact.token, limit);
    assert.deepEqual(ids(items), ids(booked), `limit ${limit}: every visit once, in start order`);
    assert.equal(pages, Math.ceil(booked.length / limit), `limit ${limit}: pages`);
  }
  const tablet = await walk('/api/v1/visits?box=upcoming', people.resident.token, 50);
  assert.deepEqual(ids(tablet.items), ids(booked), 'the resident sees the same visits');
});

test('a facility\'s schedule: pending first, then the rest by start, across page boundaries', async () => {
  // Approve every third visit: the schedule puts the 70 pending ones first, then the 35 approved.
  const approved = new Set();
  for (let i = 0; i < booked.length; i += 3) {
    const a = await w.post(`/api/v1/visits/${booked[i].id}/approve`, {}, admin.token);
    assert.equal(a.status, 200, describeRes(a));
    approved.add(booked[i].id);
  }
  const expected = [...booked.filter((v) => !approved.has(v.id)), ...booked.filter((v) => approved.has(v.id))];
  const to = new Date(Date.parse(booked[booked.length - 1].starts_at) + 86400_000).toISOString();
  const path = `/api/v1/facilities/${fid}/visits?to=${encodeURIComponent(to)}`;
  for (const limit of [4, 69, 70, 71, 100]) {
    const { items } = await walk(path, admin.token, limit);
    assert.deepEqual(ids(items), ids(expected), `limit ${limit}: pending first, each group by start`);
  }
  const pendingOnly = await walk(`${path}&state=pending`, admin.token, 30);
  assert.deepEqual(ids(pendingOnly.items), ids(expected.slice(0, expected.length - approved.size)), 'state=pending pages too');
});

test('past visits page newest first; the export holds every visit of both boxes', async () => {
  const cancelled = booked.slice(0, 12);
  for (const v of cancelled) {
    const c = await w.post(`/api/v1/visits/${v.id}/cancel`, {}, people.contact.token);
    assert.equal(c.status, 200, describeRes(c));
  }
  const past = await walk('/api/v1/visits?box=past', people.contact.token, 5);
  assert.deepEqual(ids(past.items), ids([...cancelled].reverse()), 'newest first, each once');
  const upcoming = await walk('/api/v1/visits?box=upcoming', people.contact.token, 100);
  assert.equal(upcoming.items.length, booked.length - cancelled.length);

  const exported = await w.get('/api/v1/me/export', people.contact.token);
  assert.equal(exported.status, 200, describeRes(exported));
  assert.deepEqual(new Set(ids(exported.json.visits)), new Set(ids(booked)), 'all 105, past the first page');
  assert.equal(exported.json.visits.length, booked.length, 'each once');
});

test('a limit out of range or a cursor that is not one: 422 naming the field', async () => {
  for (const q of ['limit=0', 'limit=101', 'limit=abc']) {
    const r = await w.get(`/api/v1/visits?box=upcoming&${q}`, people.contact.token);
    assert.equal(r.status, 422, `${q}: ${describeRes(r)}`);
    assert.equal(r.json.error.field, 'limit', `${q}: ${describeRes(r)}`);
  }
  for (const cursor of ['x', '1.5.5', '0.5', '0.-5.3', '0.5.0', '0.5.3x', '2.5.3', '0..3', '0.5.99999999999999999999']) {
    const r = await w.get(`/api/v1/visits?box=upcoming&cursor=${encodeURIComponent(cursor)}`, people.contact.token);
    assert.equal(r.status, 422, `cursor ${cursor}: ${describeRes(r)}`);
    assert.equal(r.json.error.field, 'cursor', `cursor ${cursor}: ${describeRes(r)}`);
    const s = await w.get(`/api/v1/facilities/${fid}/visits?cursor=${encodeURIComponent(cursor === '1.5.5' ? 'y' : cursor)}`, admin.token);
    assert.equal(s.status, 422, `staff cursor ${cursor}: ${describeRes(s)}`);
  }
});
