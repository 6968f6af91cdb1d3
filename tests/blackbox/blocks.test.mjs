// Ending contact: removal by the resident, block by the contact, facility
// blocks (per resident and facility-wide, by email). A blocked address is
// refused with 403 contact_blocked on every later invitation, request,
// acceptance and approval. SPEC.md "Contacts".
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, facilityIdByName, describeRes, bopNumber, anyNumber, uniqueEmail, RFC3339,
} from './lib/flows.mjs';
import { sqlGroupConcat } from './lib/kite.mjs';

let w;
let op;
let FED; // federal: invitations
let JP; // jpay: requests
let OFF; // not on Kite
let fedAdmin;
let jpAdmin;

before(async () => {
  w = await World.start();
  op = await w.operator();
  FED = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  JP = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  OFF = await facilityIdByName(w.srv, 'ALACHUA COUNTY JAIL');
  await w.putPolicy(op.token, FED, { profile: 'federal' }, 201);
  await w.putPolicy(op.token, JP, { profile: 'jpay' }, 201);
  fedAdmin = await w.staff(op.token, FED, 'facility_admin');
  jpAdmin = await w.staff(op.token, JP, 'facility_admin');
});
after(async () => { if (w) await w.close(); });

const fedResident = (first = 'Ray', last = 'Stone') => w.resident(op.token, FED, { number: bopNumber(), first_name: first, last_name: last });
const jpResident = (first = 'Ivy', last = 'Cole') => w.resident(op.token, JP, { number: anyNumber('AV'), first_name: first, last_name: last });

async function getContact(person, id) {
  const res = await w.get(`/api/v1/contacts/${id}`, person.token);
  assert.equal(res.status, 200, `GET contact ${id}: ${describeRes(res)}`);
  return res.json;
}

test('the resident removes a contact: 200 removed, gone from the lists, and may invite again later', async () => {
  const r = await fedResident();
  const other = await fedResident('Tom', 'Wells');
  const c = await w.contact();
  const linked = await w.connectByInvitation(r, c);
  const res = await w.del(`/api/v1/contacts/${linked.id}`, r.token);
  assert.equal(res.status, 200, describeRes(res));
  assert.equal(res.json.status, 'removed');
  assert.equal(res.json.can_message, false);
  assert.equal(res.json.id, linked.id);
  assert.equal((await w.contacts(c)).length, 0, 'a removed contact is still listed for the contact');
  assert.ok(!(await w.contacts(r)).some((x) => x.id === linked.id), 'a removed contact is still listed for the resident');
  assert.equal((await getContact(c, linked.id)).status, 'removed');
  // Removing twice changes nothing; another resident cannot remove it.
  const twice = await w.del(`/api/v1/contacts/${linked.id}`, r.token);
  assert.equal(twice.status, 200);
  assert.equal(twice.json.status, 'removed');
  const foreign = await w.del(`/api/v1/contacts/${linked.id}`, other.token);
  assertError(foreign, 404, 'not_found');
  const anon = await w.del(`/api/v1/contacts/${linked.id}`);
  assertError(anon, 401, 'unauthenticated');
  const staff = await w.del(`/api/v1/contacts/${linked.id}`, fedAdmin.token);
  assertError(staff, 403, 'forbidden');
  // Removal is not a block: a new invitation brings the same pair back.
  const again = await w.connectByInvitation(r, c);
  assert.equal(again.status, 'active');
  assert.equal(again.id, linked.id, 'the pair keeps one contact row');
  assert.equal(w.sql(`SELECT COUNT(*) FROM contacts WHERE contact_account_id = ${c.account.id}`), '1');
});

test('the contact blocks (federal): 200 blocked; the resident can never invite again, a pending token is refused', async () => {
  const r = await fedResident();
  const c = await w.contact();
  const linked = await w.connectByInvitation(r, c);
  // Make a pending invitation exist at the moment of the block: remove, re-invite, then block.
  assert.equal((await w.del(`/api/v1/contacts/${linked.id}`, r.token)).status, 200);
  await w.invite(r, c.email);
  const pendingToken = await w.inviteToken(c.email, { after: 1 });

  const block = await w.del(`/api/v1/contacts/${linked.id}`, c.token);
  assert.equal(block.status, 200, describeRes(block));
  assert.equal(block.json.status, 'blocked');
  assert.equal(block.json.can_message, false);

  const accept = await w.post('/api/v1/invitations/accept', { token: pendingToken }, c.token);
  assertError(accept, 403, 'contact_blocked', 'accepting an invitation after blocking:');
  const invite = await w.post('/api/v1/invitations', { email: c.email }, r.token);
  assertError(invite, 403, 'contact_blocked', 'the resident invites a contact who blocked them:');
  const upper = await w.post('/api/v1/invitations', { email: c.email.toUpperCase() }, r.token);
  assertError(upper, 403, 'contact_blocked', 'the same address in capitals:');
  // The resident's removal never undoes the block.
  const rm = await w.del(`/api/v1/contacts/${linked.id}`, r.token);
  assert.equal(rm.status, 200);
  assert.equal(rm.json.status, 'blocked');
  assert.equal((await getContact(r, linked.id)).status, 'blocked');
});

test('facility blocks: validation and who may manage them', async () => {
  const r = await fedResident();
  const bad = await w.post(`/api/v1/facilities/${FED}/blocks`, { email: 'not an email' }, fedAdmin.token);
  assert.equal(assertError(bad, 422, 'invalid_field').field, 'email');
  const missing = await w.post(`/api/v1/facilities/${FED}/blocks`, { reason: 'x' }, fedAdmin.token);
  assert.equal(assertError(missing, 422, 'invalid_field').field, 'email');
  const noResident = await w.post(`/api/v1/facilities/${FED}/blocks`, { email: uniqueEmail(), resident_number: '99999-999' }, fedAdmin.token);
  const e = assertError(noResident, 404, 'not_found');
  assert.equal(e.field, 'resident_number');
  const off = await w.post(`/api/v1/facilities/${OFF}/blocks`, { email: uniqueEmail() }, op.token);
  assertError(off, 422, 'facility_not_on_platform');
  const elsewhere = await w.post(`/api/v1/facilities/${JP}/blocks`, { email: uniqueEmail() }, fedAdmin.token);
  assertError(elsewhere, 404, 'not_found', "another facility's admin:");
  const reviewer = await w.staff(fedAdmin.token, FED, 'reviewer');
  const byReviewer = await w.post(`/api/v1/facilities/${FED}/blocks`, { email: uniqueEmail() }, reviewer.token);
  assertError(byReviewer, 403, 'forbidden');
  const byResident = await w.post(`/api/v1/facilities/${FED}/blocks`, { email: uniqueEmail() }, r.token);
  assertError(byResident, 403, 'forbidden');
  const anon = await w.post(`/api/v1/facilities/${FED}/blocks`, { email: uniqueEmail() });
  assertError(anon, 401, 'unauthenticated');
  const tooLong = await w.post(`/api/v1/facilities/${FED}/blocks`, { email: uniqueEmail(), reason: 'x'.repeat(501) }, fedAdmin.token);
  assert.equal(assertError(tooLong, 422, 'invalid_field').field, 'reason');
});

test('a per-resident facility block: the contact becomes facility_blocked; invite and request → 403 contact_blocked; other residents unaffected', async () => {
  const r = await fedResident('Ada', 'Vance');
  const neighbour = await fedResident('Bo', 'Quinn');
  const c = await w.contact();
  const linked = await w.connectByInvitation(r, c);
  const c2 = await w.contact();
  const stranger = uniqueEmail('nobody'); // no account yet

  for (const email of [c.email, c2.email.toUpperCase(), stranger]) {
    const b = await w.post(`/api/v1/facilities/${FED}/blocks`, { email, resident_number: r.number, reason: 'no-contact order' }, fedAdmin.token);
    assert.equal(b.status, 201, describeRes(b));
    assert.ok(Number.isInteger(b.json.id));
    assert.equal(b.json.email, email.toLowerCase());
    assert.equal(b.json.resident_number, r.number);
    assert.equal(b.json.facility_id, FED);
    assert.equal(b.json.reason, 'no-contact order');
    assert.match(b.json.created_at, RFC3339);
  }

  const seen = await getContact(c, linked.id);
  assert.equal(seen.status, 'facility_blocked');
  assert.equal(seen.can_message, false);
  assert.equal((await getContact(r, linked.id)).status, 'facility_blocked');
  assert.ok(!(await w.contacts(c)).some((x) => x.id === linked.id && x.can_message), 'a facility-blocked contact can still message');

  for (const email of [c.email, c2.email, stranger, stranger.toUpperCase()]) {
    const inv = await w.post('/api/v1/invitations', { email }, r.token);
    assertError(inv, 403, 'contact_blocked', `invite ${email} after a per-resident block:`);
  }
  // The resident's removal does not turn a facility block into a removable state.
  const rm = await w.del(`/api/v1/contacts/${linked.id}`, r.token);
  assert.equal(rm.status, 200);
  assert.equal(rm.json.status, 'facility_blocked');
  // Another resident of the same facility may still invite that address.
  const ok = await w.post('/api/v1/invitations', { email: c.email }, neighbour.token);
  assert.equal(ok.status, 201, `a per-resident block must not cover other residents: ${describeRes(ok)}`);

  // The same at a jpay facility, for requests.
  const j = await jpResident('Cy', 'Hart');
  const jNeighbour = await jpResident('Di', 'Hart');
  const jc = await w.contact();
  const jb = await w.post(`/api/v1/facilities/${JP}/blocks`, { email: jc.email, resident_number: j.number }, jpAdmin.token);
  assert.equal(jb.status, 201, describeRes(jb));
  const req = await w.request(jc, { facility_id: JP, resident_number: j.number }, null);
  assertError(req, 403, 'contact_blocked', 'a request after the block:');
  const okReq = await w.request(jc, { facility_id: JP, resident_number: jNeighbour.number }, null);
  assert.equal(okReq.status, 201, `a per-resident block must not cover other residents: ${describeRes(okReq)}`);
});

test('an invitation sent before a block cannot be accepted: 403 contact_blocked (per resident and facility-wide)', async () => {
  const r = await fedResident('Jo', 'Pike');
  const a = await w.contact();
  const b = await w.contact();
  await w.invite(r, a.email);
  await w.invite(r, b.email);
  const ta = await w.inviteToken(a.email);
  const tb = await w.inviteToken(b.email);
  assert.equal((await w.post(`/api/v1/facilities/${FED}/blocks`, { email: a.email, resident_number: r.number }, fedAdmin.token)).status, 201);
  assert.equal((await w.post(`/api/v1/facilities/${FED}/blocks`, { email: b.email }, fedAdmin.token)).status, 201);
  const accA = await w.post('/api/v1/invitations/accept', { token: ta }, a.token);
  const accB = await w.post('/api/v1/invitations/accept', { token: tb }, b.token);
  const got = { per_resident: `${accA.status} ${accA.json?.error?.code}`, facility_wide: `${accB.status} ${accB.json?.error?.code}` };
  assert.deepEqual(got, { per_resident: '403 contact_blocked', facility_wide: '403 contact_blocked' },
    'accepting an invitation sent before the block');
  assert.equal(w.sql(`SELECT COUNT(*) FROM contacts WHERE contact_account_id IN (${a.account.id}, ${b.account.id})`), '0');
});

test('a request pending at the moment of a block cannot be approved: 403 contact_blocked (facility block and contact block)', async () => {
  const j = await jpResident('Kit', 'Ames');
  const fc = await w.contact();
  const pending = (await w.request(fc, { facility_id: JP, resident_number: j.number })).json;
  assert.equal((await w.post(`/api/v1/facilities/${JP}/blocks`, { email: fc.email, resident_number: j.number }, jpAdmin.token)).status, 201);
  const approve = await w.decide(j, pending.id, 'approve');

  // The contact blocks: contact active → the resident removes it → the contact asks again → then blocks.
  const r = await jpResident('Lou', 'Ames');
  const c = await w.contact();
  const item = await w.connectByRequest(r, c);
  assert.equal((await w.del(`/api/v1/contacts/${item.id}`, r.token)).json.status, 'removed');
  const pending2 = (await w.request(c, { facility_id: JP, resident_number: r.number })).json;
  const block = await w.del(`/api/v1/contacts/${item.id}`, c.token);
  assert.equal(block.status, 200);
  assert.equal(block.json.status, 'blocked');
  const again = await w.request(c, { facility_id: JP, resident_number: r.number }, null);
  assertError(again, 403, 'contact_blocked', 'a request after the contact blocked:');
  const approve2 = await w.decide(r, pending2.id, 'approve');

  const got = { facility_block: `${approve.status} ${approve.json?.error?.code}`, contact_block: `${approve2.status} ${approve2.json?.error?.code}` };
  assert.deepEqual(got, { facility_block: '403 contact_blocked', contact_block: '403 contact_blocked' },
    'approving a request that was pending when the block came');
  assert.equal(w.sql(`SELECT status FROM contacts WHERE id = ${item.id}`), 'blocked');
  assert.equal(w.sql(`SELECT COUNT(*) FROM contacts WHERE contact_account_id = ${fc.account.id}`), '0');
});

let wide; // {block, c, linked, r1, r2}
test('a facility-wide block refuses the address for every resident of that facility only; list and lift (204)', async () => {
  const r1 = await fedResident('Eli', 'Ford');
  const r2 = await fedResident('Fay', 'Ford');
  const c = await w.contact();
  const linked = await w.connectByInvitation(r1, c);
  const j = await jpResident('Gus', 'Ford');
  const jPending = (await w.request(c, { facility_id: JP, resident_number: j.number })).json;

  const b = await w.post(`/api/v1/facilities/${FED}/blocks`, { email: c.email, reason: 'facility-wide' }, fedAdmin.token);
  assert.equal(b.status, 201, describeRes(b));
  assert.equal(b.json.resident_number, null);
  assert.equal((await getContact(c, linked.id)).status, 'facility_blocked');

  for (const r of [r1, r2, await fedResident('Hal', 'Ford')]) {
    const inv = await w.post('/api/v1/invitations', { email: c.email }, r.token);
    assertError(inv, 403, 'contact_blocked', `resident ${r.number} invites a facility-blocked address:`);
  }
  // Another facility is not covered.
  const jOk = await w.decide(j, jPending.id, 'approve');
  assert.equal(jOk.status, 200, `a block at one facility must not cover another: ${describeRes(jOk)}`);

  // Listing (admins and other staff of the facility) and lifting.
  const reviewer = await w.staff(fedAdmin.token, FED, 'reviewer');
  const list = await w.get(`/api/v1/facilities/${FED}/blocks`, reviewer.token);
  assert.equal(list.status, 200);
  assert.ok(list.json.items.some((x) => x.id === b.json.id && x.email === c.email && x.resident_number === null));
  const otherList = await w.get(`/api/v1/facilities/${FED}/blocks`, jpAdmin.token);
  assertError(otherList, 404, 'not_found');
  const wrongPlace = await w.del(`/api/v1/facilities/${JP}/blocks/${b.json.id}`, jpAdmin.token);
  assertError(wrongPlace, 404, 'not_found', "deleting FED's block through JP's path:");
  const byReviewer = await w.del(`/api/v1/facilities/${FED}/blocks/${b.json.id}`, reviewer.token);
  assertError(byReviewer, 403, 'forbidden');
  const lift = await w.del(`/api/v1/facilities/${FED}/blocks/${b.json.id}`, fedAdmin.token);
  assert.equal(lift.status, 204, describeRes(lift));
  assert.equal(lift.text, '');
  const liftAgain = await w.del(`/api/v1/facilities/${FED}/blocks/${b.json.id}`, fedAdmin.token);
  assertError(liftAgain, 404, 'not_found');
  assert.ok(!(await w.get(`/api/v1/facilities/${FED}/blocks`, fedAdmin.token)).json.items.some((x) => x.id === b.json.id));
  assert.equal((await getContact(c, linked.id)).status, 'facility_blocked', 'lifting a block restored the contact by itself');
  const fresh = await w.post('/api/v1/invitations', { email: c.email }, r2.token);
  assert.equal(fresh.status, 201, `after lifting, a resident who never had the contact can invite: ${describeRes(fresh)}`);
  wide = { c, linked, r1 };
});

test('after a facility block is lifted, the resident whose contact it stopped can invite that contact again', async () => {
  assert.ok(wide, 'the previous test did not finish');
  const renewed = await w.post('/api/v1/invitations', { email: wide.c.email }, wide.r1.token);
  assert.equal(renewed.status, 201, `invite after the block was lifted: ${describeRes(renewed)}`);
  const token = await w.inviteToken(wide.c.email, { after: 2 });
  const acc = await w.post('/api/v1/invitations/accept', { token }, wide.c.token);
  assert.equal(acc.status, 201, describeRes(acc));
  assert.equal(acc.json.status, 'active');
});

test('kite audit verify passes', async () => {
  await w.auditOk();
  const actions = w.sql(`SELECT ${sqlGroupConcat('action', { distinct: true })} FROM audit_log`);
  for (const a of ['contact.remove', 'contact.block', 'facility_block.add', 'facility_block.remove']) {
    assert.ok(actions.includes(a), `no ${a} in the audit log: ${actions}`);
  }
});
