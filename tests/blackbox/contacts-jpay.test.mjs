// The JPay model: the contact finds the resident by facility + number and asks;
// the resident approves or declines on the tablet. Decision mails over SMTP,
// double decisions, racing approvals, name lookup refused, the limit on
// approval. SPEC.md "Contacts".
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, facilityIdByName, describeRes, anyNumber, uniqueEmail, RFC3339,
} from './lib/flows.mjs';
import { register, session, sqlGroupConcat } from './lib/kite.mjs';

let w;
let op;
let J; // AVENAL STATE PRISON, jpay profile
let OFF; // a county jail not on Kite
let ana; // a resident
let ben; // another resident

before(async () => {
  w = await World.start({ smtp: true });
  op = await w.operator();
  J = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  OFF = await facilityIdByName(w.srv, 'ALACHUA COUNTY JAIL');
  const p = await w.putPolicy(op.token, J, { profile: 'jpay' }, 201);
  assert.equal(p.contact_initiation, 'contact_requests');
  assert.equal(p.request_lookup, 'number');
  ana = await w.resident(op.token, J, { number: anyNumber('AV'), first_name: 'Ana', last_name: 'Moreno' });
  ben = await w.resident(op.token, J, { number: anyNumber('AV'), first_name: 'Ben', last_name: 'Okafor' });
});
after(async () => { if (w) await w.close(); });

test('at a jpay facility the resident cannot invite: 403 contact_must_request', async () => {
  const res = await w.post('/api/v1/invitations', { email: uniqueEmail() }, ana.token);
  assertError(res, 403, 'contact_must_request');
  assert.equal(w.sql('SELECT COUNT(*) FROM invitations'), '0');
});

test('request by number → 201 pending with resident, facility and contact; both sides list it; a duplicate → 409', async () => {
  const c = await w.contact({ full_name: 'Carla Diaz' });
  const res = await w.request(c, { facility_id: J, resident_number: ana.number });
  const q = res.json;
  assert.equal(q.status, 'pending');
  assert.ok(Number.isInteger(q.id));
  assert.equal(q.resident.resident_number, ana.number);
  assert.equal(q.resident.id, ana.resident.id);
  assert.equal(q.facility.id, J);
  assert.equal(q.facility.name, 'AVENAL STATE PRISON');
  assert.equal(q.contact.account_id, c.account.id);
  assert.equal(q.contact.full_name, 'Carla Diaz');
  assert.equal(q.contact.email_verified, true, 'a confirmed address says so');
  assert.equal(q.auto_approve_at, null, 'jpay has no approval window');
  assert.match(q.created_at, RFC3339);

  const dup = await w.request(c, { facility_id: J, resident_number: ana.number }, null);
  assertError(dup, 409, 'conflict', 'duplicate pending request:');

  const mine = await w.get('/api/v1/contact-requests', c.token);
  assert.deepEqual(mine.json.items.map((i) => [i.id, i.status]), [[q.id, 'pending']]);
  const hers = await w.get('/api/v1/contact-requests', ana.token);
  const seen = hers.json.items.find((i) => i.id === q.id);
  assert.ok(seen, 'the resident does not see the request');
  assert.equal(seen.contact.full_name, 'Carla Diaz');
  const his = await w.get('/api/v1/contact-requests', ben.token);
  assert.ok(!his.json.items.some((i) => i.id === q.id), "another resident sees Ana's request");
});

test('approve: 200 approved, contact active both sides, request_decided mail; a second decision → 409 already_decided', async () => {
  const c = await w.contact({ full_name: 'Dario Fuentes' });
  const q = (await w.request(c, { facility_id: J, resident_number: ana.number })).json;

  // Someone else's request: 404 for the other resident, for approve and decline.
  const foreign = await w.decide(ben, q.id, 'approve');
  assertError(foreign, 404, 'not_found', "Ben approving Ana's request:");
  const foreign2 = await w.decide(ben, q.id, 'decline');
  assertError(foreign2, 404, 'not_found', "Ben declining Ana's request:");

  const d = await w.decide(ana, q.id, 'approve');
  assert.equal(d.status, 200, describeRes(d));
  assert.equal(d.json.status, 'approved');
  assert.equal(d.json.id, q.id);
  assert.match(d.json.decided_at, RFC3339);

  const again = await w.decide(ana, q.id, 'approve');
  assertError(again, 409, 'already_decided', 'second approve:');
  const flip = await w.decide(ana, q.id, 'decline');
  assertError(flip, 409, 'already_decided', 'decline after approve:');

  const mine = await w.contacts(c);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].status, 'active');
  assert.equal(mine[0].origin, 'request');
  assert.equal(mine[0].can_message, true);
  assert.equal(mine[0].resident.resident_number, ana.number);
  assert.equal(mine[0].facility.id, J);
  assert.equal(mine[0].facility.on_platform, true);
  assert.deepEqual(mine[0].facility.messaging_provider.slug, 'kite');
  const hers = (await w.contacts(ana)).filter((x) => x.contact.account_id === c.account.id);
  assert.equal(hers.length, 1);
  assert.equal(hers[0].id, mine[0].id);

  const mails = await w.mailsTo(c.email, { kind: 'request_decided' });
  assert.equal(mails.length, 1);
  assert.ok(mails[0].subject.includes('Ana Moreno'), `subject: ${mails[0].subject}`);
  assert.ok(mails[0].text.includes('approved'), mails[0].text);
  assert.ok(mails[0].html.length > 0, 'no HTML part');
  assert.ok(mails[0].text.includes('http://kite.test/contacts'), `no link built from --public-url: ${mails[0].text}`);

  const dupAfter = await w.request(c, { facility_id: J, resident_number: ana.number }, null);
  assertError(dupAfter, 409, 'already_contacts', 'asking again once approved:');
  const listed = await w.get('/api/v1/contact-requests', c.token);
  assert.equal(listed.json.items.find((i) => i.id === q.id).status, 'approved');
});

test('decline: 200 declined, no contact, a "declined" mail; approve afterwards → 409', async () => {
  const c = await w.contact({ full_name: 'Eva Lind' });
  const q = (await w.request(c, { facility_id: J, resident_number: ben.number })).json;
  const d = await w.decide(ben, q.id, 'decline');
  assert.equal(d.status, 200, describeRes(d));
  assert.equal(d.json.status, 'declined');
  const late = await w.decide(ben, q.id, 'approve');
  assertError(late, 409, 'already_decided');
  assert.equal((await w.contacts(c)).length, 0);
  assert.ok(!(await w.contacts(ben)).some((x) => x.contact.account_id === c.account.id));
  const mails = await w.mailsTo(c.email, { kind: 'request_decided' });
  assert.equal(mails.length, 1);
  assert.match(mails[0].subject, /declined/);
  const listed = await w.get('/api/v1/contact-requests', c.token);
  assert.equal(listed.json.items.find((i) => i.id === q.id).status, 'declined');
});

test('race: two concurrent approvals → one 200, one 409 already_decided, exactly one contact and one mail', async () => {
  for (let round = 0; round < 3; round++) {
    const c = await w.contact();
    const q = (await w.request(c, { facility_id: J, resident_number: ana.number })).json;
    const answers = await Promise.all([w.decide(ana, q.id, 'approve'), w.decide(ana, q.id, 'approve')]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409], answers.map(describeRes).join(' | '));
    assertError(answers.find((a) => a.status === 409), 409, 'already_decided');
    assert.equal(w.sql(`SELECT COUNT(*) FROM contacts WHERE contact_account_id = ${c.account.id}`), '1');
    await w.mailsTo(c.email, { kind: 'request_decided' });
  }
  // approve racing decline: one wins, and the state matches the winner.
  const c = await w.contact();
  const q = (await w.request(c, { facility_id: J, resident_number: ben.number })).json;
  const [a, b] = await Promise.all([w.decide(ben, q.id, 'approve'), w.decide(ben, q.id, 'decline')]);
  assert.deepEqual([a.status, b.status].sort(), [200, 409], `${describeRes(a)} | ${describeRes(b)}`);
  const contacts = Number(w.sql(`SELECT COUNT(*) FROM contacts WHERE contact_account_id = ${c.account.id} AND status = 'active'`));
  assert.equal(contacts, a.status === 200 ? 1 : 0, 'the contact list does not match the winning decision');
  // every decided request got exactly one mail
  await w.outboxDrained();
  const decided = w.sql("SELECT COUNT(*) FROM outbox WHERE kind = 'request_decided'");
  const requestsDecided = w.sql("SELECT COUNT(*) FROM contact_requests WHERE status IN ('approved', 'declined')");
  assert.equal(decided, requestsDecided, 'one request_decided mail per decision');
});

test('race: the same contact asks twice at once → one 201, one 409; one pending request', async () => {
  const c = await w.contact();
  const answers = await Promise.all([
    w.request(c, { facility_id: J, resident_number: ben.number }, null),
    w.request(c, { facility_id: J, resident_number: ben.number }, null),
  ]);
  assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409], answers.map(describeRes).join(' | '));
  assertError(answers.find((a) => a.status === 409), 409, 'conflict');
  assert.equal(w.sql(`SELECT COUNT(*) FROM contact_requests WHERE contact_account_id = ${c.account.id}`), '1');
});

test('finding a resident: name lookup 403, unknown number 404, facility not on Kite 422, unknown facility 404', async () => {
  const c = await w.contact();
  const byName = await w.request(c, { facility_id: J, first_name: 'Ana', last_name: 'Moreno' }, null);
  assertError(byName, 403, 'lookup_by_name_not_allowed');
  const unknown = await w.request(c, { facility_id: J, resident_number: 'NOPE-404' }, null);
  assertError(unknown, 404, 'not_found');
  const off = await w.request(c, { facility_id: OFF, resident_number: ana.number }, null);
  assertError(off, 422, 'facility_not_on_platform');
  const nofac = await w.request(c, { facility_id: 99999999, resident_number: ana.number }, null);
  assertError(nofac, 404, 'not_found');
  const nothing = await w.request(c, { facility_id: J }, null);
  assert.equal(assertError(nothing, 422, 'invalid_field').field, 'resident_number');
  const noFacility = await w.request(c, { resident_number: ana.number }, null);
  assert.equal(assertError(noFacility, 422, 'invalid_field').field, 'facility_id');
  assert.equal((await w.get('/api/v1/contact-requests', c.token)).json.items.length, 0, 'a refused request was stored');
  // Only contacts ask.
  const byResident = await w.post('/api/v1/contact-requests', { facility_id: J, resident_number: ben.number }, ana.token);
  assertError(byResident, 403, 'forbidden');
  const anon = await w.post('/api/v1/contact-requests', { facility_id: J, resident_number: ben.number });
  assertError(anon, 401, 'unauthenticated');
  // Only residents decide.
  const q = (await w.request(c, { facility_id: J, resident_number: ben.number })).json;
  const byContact = await w.post(`/api/v1/contact-requests/${q.id}/approve`, undefined, c.token);
  assertError(byContact, 403, 'forbidden');
  const byOp = await w.post(`/api/v1/contact-requests/${q.id}/approve`, undefined, op.token);
  assertError(byOp, 403, 'forbidden');
  const missing = await w.decide(ben, 99999999, 'approve');
  assertError(missing, 404, 'not_found');
});

test('contact limit on approval: limit 1 → the second approval is 422 contact_limit_reached and the request stays pending', async () => {
  await w.putPolicy(op.token, J, { profile: 'jpay', contact_limit: 1 }, 200);
  const r = await w.resident(op.token, J, { number: anyNumber('AV'), first_name: 'Cleo', last_name: 'Ng' });
  const c1 = await w.contact();
  const c2 = await w.contact();
  const q1 = (await w.request(c1, { facility_id: J, resident_number: r.number })).json;
  const q2 = (await w.request(c2, { facility_id: J, resident_number: r.number })).json;
  assert.equal((await w.decide(r, q1.id, 'approve')).status, 200);
  const over = await w.decide(r, q2.id, 'approve');
  assertError(over, 422, 'contact_limit_reached');
  const list = await w.get('/api/v1/contact-requests', r.token);
  assert.equal(list.json.items.find((i) => i.id === q2.id).status, 'pending');
  // A new request while the list is full: refused at once.
  const c3 = await w.contact();
  const q3 = await w.request(c3, { facility_id: J, resident_number: r.number }, null);
  assertError(q3, 422, 'contact_limit_reached');
  // Declining still works when the list is full.
  const dec = await w.decide(r, q2.id, 'decline');
  assert.equal(dec.status, 200, describeRes(dec));
  await w.putPolicy(op.token, J, { profile: 'jpay' }, 200);
});

test('kite audit verify passes', async () => {
  await w.auditOk();
  const actions = w.sql(`SELECT ${sqlGroupConcat('action', { distinct: true })} FROM audit_log`);
  for (const a of ['contact_request.create', 'contact_request.approve', 'contact_request.decline']) {
    assert.ok(actions.includes(a), `no ${a} in the audit log: ${actions}`);
  }
});

test('a request from an unconfirmed address says so to the resident: anyone can type someone else\'s email', async () => {
  const reg = await register(w.srv, { full_name: 'Dana Unconfirmed' }, { verify: false });
  const s = await session(w.srv, reg.email, reg.password);
  const res = await w.request({ token: s.token }, { facility_id: J, resident_number: ben.number });
  assert.equal(res.json.contact.email_verified, false);
  const listed = await w.get('/api/v1/contact-requests', ben.token);
  const mine = listed.json.items.find((q) => q.id === res.json.id);
  assert.equal(mine.contact.email_verified, false, 'the resident sees it before deciding');
  assert.equal(mine.contact.email, reg.email);
});
