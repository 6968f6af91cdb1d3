// Transfers and release. To an on-platform facility the contacts move under the
// new policy (over its limit, the most recent are suspended, not deleted); to an
// off-platform facility messaging stops and the contact's view names the
// provider that serves it, with a "resident_moved" email (over SMTP); release
// closes the resident's sign-in and keeps the history. SPEC.md "Contacts".
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, facilityIdByName, describeRes, anyNumber, bopNumber,
} from './lib/flows.mjs';

let w;
let op;
const F = {};
let adminA;
let adminB;
let reviewerA;

before(async () => {
  w = await World.start({ smtp: true });
  op = await w.operator();
  F.A = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  F.B = await facilityIdByName(w.srv, 'CALIFORNIA STATE PRISON, CORCORAN (COR)');
  F.FED = await facilityIdByName(w.srv, 'FCI ASHLAND');
  F.COLEMAN = await facilityIdByName(w.srv, 'FCI COLEMAN LOW');
  F.COUNTY = await facilityIdByName(w.srv, 'ALACHUA COUNTY JAIL');
  await w.putPolicy(op.token, F.A, { profile: 'jpay' }, 201);
  await w.putPolicy(op.token, F.B, { profile: 'jpay', contact_limit: 2 }, 201);
  await w.putPolicy(op.token, F.FED, { profile: 'federal' }, 201);
  adminA = await w.staff(op.token, F.A, 'facility_admin');
  adminB = await w.staff(op.token, F.B, 'facility_admin');
  reviewerA = await w.staff(op.token, F.A, 'reviewer');
});
after(async () => { if (w) await w.close(); });

async function residentWithContacts(n, name = { first_name: 'Omar', last_name: 'Reyes' }) {
  const r = await w.resident(adminA.token, F.A, { number: anyNumber('AV'), ...name });
  const contacts = [];
  for (let i = 0; i < n; i++) {
    const c = await w.contact({ full_name: `Contact ${i + 1}` });
    c.item = await w.connectByRequest(r, c);
    contacts.push(c);
  }
  return { r, contacts };
}

const transfer = (token, from, number, body) => w.post(`/api/v1/facilities/${from}/residents/${encodeURIComponent(number)}/transfer`, body, token);

test('to an on-platform facility with a lower limit: 200, the most recent contacts over the limit are suspended, not deleted', async () => {
  const { r, contacts } = await residentWithContacts(4);
  const res = await transfer(adminA.token, F.A, r.number, { to_facility_id: F.B });
  assert.equal(res.status, 200, describeRes(res));
  assert.equal(res.json.on_platform, true);
  assert.equal(res.json.contacts_active, 2);
  assert.equal(res.json.contacts_suspended, 2);
  assert.equal(res.json.messaging_provider.slug, 'kite');

  const expected = ['active', 'active', 'suspended', 'suspended'];
  for (let i = 0; i < 4; i++) {
    const c = contacts[i];
    const one = await w.get(`/api/v1/contacts/${c.item.id}`, c.token);
    assert.equal(one.status, 200, `contact ${i + 1} is gone: ${describeRes(one)}`);
    assert.equal(one.json.status, expected[i], `contact ${i + 1} (oldest first): ${one.json.status}`);
    assert.equal(one.json.can_message, expected[i] === 'active');
    assert.equal(one.json.facility.id, F.B);
    assert.equal(one.json.facility.on_platform, true);
    const listed = await w.contacts(c);
    assert.equal(listed.length, 1, `contact ${i + 1} no longer lists the resident`);
    assert.equal(listed[0].status, expected[i]);
  }
  const theirs = await w.contacts(r);
  assert.deepEqual(theirs.map((x) => x.status).sort(), ['active', 'active', 'suspended', 'suspended']);

  // The resident keeps signing in (now at B) and sees the new facility.
  const me = await w.get('/api/v1/me', r.token);
  assert.equal(me.status, 200, `an on-platform move ended the session: ${describeRes(me)}`);
  assert.equal(me.json.resident.facility.id, F.B);
  assert.equal(me.json.resident.facility.on_platform, true);
  assert.equal(me.json.resident.facility.messaging_provider.slug, 'kite');
  const atB = await w.post('/api/v1/sessions', { facility_id: F.B, resident_number: r.number, pin: r.pin });
  assert.equal(atB.status, 201, `sign-in at the new facility: ${describeRes(atB)}`);
  const atA = await w.post('/api/v1/sessions', { facility_id: F.A, resident_number: r.number, pin: r.pin });
  assertError(atA, 401, 'invalid_credentials', 'sign-in at the old facility:');

  // Rosters: B has them, A does not.
  assert.equal((await w.get(`/api/v1/facilities/${F.B}/residents/${encodeURIComponent(r.number)}`, adminB.token)).status, 200);
  assertError(await w.get(`/api/v1/facilities/${F.A}/residents/${encodeURIComponent(r.number)}`, adminA.token), 404, 'not_found');
  // Over the limit, B's rules hold: no new contact.
  const extra = await w.contact();
  const q = await w.request(extra, { facility_id: F.B, resident_number: r.number }, null);
  assertError(q, 422, 'contact_limit_reached');
});

test('a block at the new facility applies on arrival: that contact becomes facility_blocked, the others stay active', async () => {
  const { r, contacts } = await residentWithContacts(2, { first_name: 'Una', last_name: 'Vale' });
  const b = await w.post(`/api/v1/facilities/${F.FED}/blocks`, { email: contacts[1].email, reason: 'no-contact order' }, op.token);
  assert.equal(b.status, 201, describeRes(b));
  const res = await transfer(adminA.token, F.A, r.number, { to_facility_id: F.FED, resident_number: bopNumber() });
  assert.equal(res.status, 200, describeRes(res));
  assert.equal(res.json.contacts_active, 1);
  const kept = await w.get(`/api/v1/contacts/${contacts[0].item.id}`, contacts[0].token);
  assert.equal(kept.json.status, 'active');
  assert.equal(kept.json.can_message, true);
  const stopped = await w.get(`/api/v1/contacts/${contacts[1].item.id}`, contacts[1].token);
  assert.equal(stopped.status, 200);
  assert.equal(stopped.json.status, 'facility_blocked');
  assert.equal(stopped.json.can_message, false);
  // And the blocked address cannot be invited there.
  const inv = await w.post('/api/v1/invitations', { email: contacts[1].email }, r.token);
  assertError(inv, 403, 'contact_blocked');
});

test('who may transfer: source facility_admin or operator; others 403/404; bad targets 422', async () => {
  const r = await w.resident(adminA.token, F.A, { number: anyNumber('AV') });
  const c = await w.contact();
  assertError(await transfer(adminB.token, F.A, r.number, { to_facility_id: F.B }), 404, 'not_found', "another facility's admin:");
  assertError(await transfer(reviewerA.token, F.A, r.number, { to_facility_id: F.B }), 403, 'forbidden', 'reviewer:');
  assertError(await transfer(c.token, F.A, r.number, { to_facility_id: F.B }), 403, 'forbidden', 'contact:');
  assertError(await transfer(r.token, F.A, r.number, { to_facility_id: F.B }), 403, 'forbidden', 'the resident:');
  assertError(await transfer(undefined, F.A, r.number, { to_facility_id: F.B }), 401, 'unauthenticated');
  assertError(await transfer(adminA.token, F.A, 'NOBODY-1', { to_facility_id: F.B }), 404, 'not_found', 'unknown number:');
  const same = await transfer(adminA.token, F.A, r.number, { to_facility_id: F.A });
  assert.equal(assertError(same, 422, 'invalid_field').field, 'to_facility_id');
  const nowhere = await transfer(adminA.token, F.A, r.number, { to_facility_id: 99999999 });
  assert.equal(assertError(nowhere, 422, 'invalid_field').field, 'to_facility_id');
  const missing = await transfer(adminA.token, F.A, r.number, {});
  assert.equal(assertError(missing, 422, 'invalid_field').field, 'to_facility_id');
  // Nothing moved.
  const still = await w.get(`/api/v1/facilities/${F.A}/residents/${encodeURIComponent(r.number)}`, adminA.token);
  assert.equal(still.status, 200);
  assert.equal(still.json.facility_id, F.A);
  // The operator may move anyone.
  const byOp = await transfer(op.token, F.A, r.number, { to_facility_id: F.B });
  assert.equal(byOp.status, 200, describeRes(byOp));
});

test('to a federal facility the number must be in BOP format: 422 naming resident_number, nothing moves; a BOP number works', async () => {
  const { r, contacts } = await residentWithContacts(1, { first_name: 'Pia', last_name: 'Lund' });
  const wrong = await transfer(adminA.token, F.A, r.number, { to_facility_id: F.FED, resident_number: 'AV-77' });
  assert.equal(assertError(wrong, 422, 'invalid_field').field, 'resident_number');
  const none = await transfer(adminA.token, F.A, r.number, { to_facility_id: F.FED });
  assertError(none, 422, 'invalid_field', 'keeping a non-BOP number at a BOP facility:');
  const still = await w.get(`/api/v1/facilities/${F.A}/residents/${encodeURIComponent(r.number)}`, adminA.token);
  assert.equal(still.status, 200, 'a refused transfer moved the resident');
  assert.equal((await w.get('/api/v1/me', r.token)).status, 200);

  const number = bopNumber();
  const ok = await transfer(adminA.token, F.A, r.number, { to_facility_id: F.FED, resident_number: number });
  assert.equal(ok.status, 200, describeRes(ok));
  assert.equal(ok.json.on_platform, true);
  assert.equal(ok.json.contacts_active, 1);
  const signed = await w.post('/api/v1/sessions', { facility_id: F.FED, resident_number: number, pin: r.pin });
  assert.equal(signed.status, 201, `sign-in with the new number: ${describeRes(signed)}`);
  const view = (await w.contacts(contacts[0]))[0];
  assert.equal(view.resident.resident_number, number);
  assert.equal(view.facility.name, 'FCI ASHLAND');
});

test('keeping a non-BOP number at a BOP facility: the 422 names resident_number (the field to give), not to_facility_id', async () => {
  const r = await w.resident(adminA.token, F.A, { number: anyNumber('AV') });
  const none = await transfer(adminA.token, F.A, r.number, { to_facility_id: F.FED });
  const err = assertError(none, 422, 'invalid_field');
  assert.equal(err.field, 'resident_number', `error.field is ${err.field}: ${err.message}`);
});

test('to an off-platform BOP facility: CorrLinks named in the answer and the contact\'s view, can_message false, sessions end, a resident_moved mail', async () => {
  const { r, contacts } = await residentWithContacts(2, { first_name: 'Quinn', last_name: 'Marsh' });
  const res = await transfer(adminA.token, F.A, r.number, { to_facility_id: F.COLEMAN });
  assert.equal(res.status, 200, describeRes(res));
  assert.equal(res.json.on_platform, false);
  assert.deepEqual(res.json.messaging_provider, { slug: 'corrlinks', name: 'CorrLinks' });
  assert.equal(res.json.contacts_suspended, 0);

  assertError(await w.get('/api/v1/me', r.token), 401, 'unauthenticated', "the resident's session after moving off Kite:");
  for (const fid of [F.COLEMAN, F.A]) {
    const s = await w.post('/api/v1/sessions', { facility_id: fid, resident_number: r.number, pin: r.pin });
    assertError(s, 401, 'invalid_credentials', `sign-in at ${fid} after moving off Kite:`);
  }
  for (const c of contacts) {
    const list = await w.contacts(c);
    assert.equal(list.length, 1, 'the contact no longer sees the resident');
    const v = list[0];
    assert.equal(v.facility.id, F.COLEMAN);
    assert.equal(v.facility.name, 'FCI COLEMAN LOW');
    assert.equal(v.facility.on_platform, false);
    assert.deepEqual(v.facility.messaging_provider, { slug: 'corrlinks', name: 'CorrLinks' });
    assert.equal(v.can_message, false);
    const [mail] = await w.mailsTo(c.email, { kind: 'resident_moved' });
    assert.match(mail.subject, /Quinn Marsh has moved/);
    assert.ok(mail.text.includes('CorrLinks'), `the mail does not name CorrLinks: ${mail.text}`);
    assert.ok(mail.text.includes(`http://kite.test/facilities/${F.COLEMAN}`), `no link to the facility: ${mail.text}`);
    assert.ok(mail.html.includes('CorrLinks'));
  }
  // Kite refuses contact flows there and the facility page names the provider.
  const c = await w.contact();
  assertError(await w.request(c, { facility_id: F.COLEMAN, resident_number: r.number }, null), 422, 'facility_not_on_platform');
  const f = await w.get(`/api/v1/facilities/${F.COLEMAN}`);
  assert.equal(f.json.on_platform, false);
  assert.equal(f.json.messaging_provider.slug, 'corrlinks');
  assertError(await w.get(`/api/v1/facilities/${F.A}/residents/${encodeURIComponent(r.number)}`, adminA.token), 404, 'not_found');
  const row = w.auditRows(`action = 'resident.transfer' AND target = 'resident:${r.resident.id}'`);
  assert.equal(row.length, 1);
  assert.match(row[0].detail, /on_platform=no/);
});

test('to an off-platform county jail: provider "unknown", the mail says so', async () => {
  const { r, contacts } = await residentWithContacts(1, { first_name: 'Rosa', last_name: 'Kent' });
  const res = await transfer(op.token, F.A, r.number, { to_facility_id: F.COUNTY });
  assert.equal(res.status, 200, describeRes(res));
  assert.equal(res.json.on_platform, false);
  assert.equal(res.json.messaging_provider.slug, 'unknown');
  const v = (await w.contacts(contacts[0]))[0];
  assert.equal(v.facility.id, F.COUNTY);
  assert.equal(v.facility.on_platform, false);
  assert.equal(v.facility.messaging_provider.slug, 'unknown');
  assert.equal(v.can_message, false);
  const [mail] = await w.mailsTo(contacts[0].email, { kind: 'resident_moved' });
  assert.match(mail.text, /does not know yet/);
});

test('release: 200 released, the session ends, sign-in 401, the contact sees status released; re-admission opens sign-in again', async () => {
  const { r, contacts } = await residentWithContacts(1, { first_name: 'Sol', last_name: 'Ibarra' });
  const path = `/api/v1/facilities/${F.A}/residents/${encodeURIComponent(r.number)}`;
  const byReviewer = await w.patch(path, { status: 'released' }, reviewerA.token);
  assertError(byReviewer, 403, 'forbidden');
  const byOther = await w.patch(path, { status: 'released' }, adminB.token);
  assertError(byOther, 404, 'not_found');
  const bad = await w.patch(path, { status: 'gone' }, adminA.token);
  assert.equal(assertError(bad, 422, 'invalid_field').field, 'status');

  const res = await w.patch(path, { status: 'released' }, adminA.token);
  assert.equal(res.status, 200, describeRes(res));
  assert.equal(res.json.status, 'released');
  assertError(await w.get('/api/v1/me', r.token), 401, 'unauthenticated', 'the session after release:');
  const s = await w.post('/api/v1/sessions', { facility_id: F.A, resident_number: r.number, pin: r.pin });
  assertError(s, 401, 'invalid_credentials', 'sign-in after release:');

  const v = (await w.contacts(contacts[0]))[0];
  assert.ok(v, 'the contact lost the history of the contact');
  assert.equal(v.resident.status, 'released');
  assert.equal(v.can_message, false);
  // History stays for staff; nobody can ask for a released person.
  const staffView = await w.get(path, reviewerA.token);
  assert.equal(staffView.status, 200);
  assert.equal(staffView.json.status, 'released');
  const c = await w.contact();
  assertError(await w.request(c, { facility_id: F.A, resident_number: r.number }, null), 404, 'not_found');

  const back = await w.patch(path, { status: 'active' }, adminA.token);
  assert.equal(back.status, 200);
  assert.equal(back.json.status, 'active');
  await w.residentSignIn(r);
  assert.equal((await w.contacts(contacts[0]))[0].can_message, true);
  const actions = w.auditRows(`target = 'resident:${r.resident.id}'`).map((x) => x.action);
  assert.ok(actions.includes('resident.release') && actions.includes('resident.readmit'), `audit: ${actions}`);
});

test('kite audit verify passes', async () => {
  await w.auditOk();
});
