// The ConnectNetwork/GettingOut model: the contact finds the resident by name +
// facility (or number) and asks; the resident approves or declines, or the
// request is approved when the review window (72 h) passes without a decision.
// Time moves by restarting the server with a test clock. SPEC.md "Contacts".
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, facilityIdByName, describeRes, anyNumber, uniqueEmail, HOUR, RFC3339,
} from './lib/flows.mjs';

let w;
let op;
let CN; // ANDERSON COUNTY JAIL, connectnetwork profile
let JP; // a jpay facility (a name there must not find people here)
let john;
let sam1;
let sam2;
let waiting; // {contact, request} left pending for the window
let declined; // {contact, request} declined before the window
const T0 = Date.now();

before(async () => {
  w = await World.start({ smtp: true });
  op = await w.operator();
  CN = await facilityIdByName(w.srv, 'ANDERSON COUNTY JAIL');
  JP = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  const p = await w.putPolicy(op.token, CN, { profile: 'connectnetwork' }, 201);
  assert.equal(p.request_lookup, 'number_or_name');
  assert.equal(p.approval, 'resident_or_window');
  assert.equal(p.approval_window_hours, 72);
  await w.putPolicy(op.token, JP, { profile: 'jpay', request_lookup: 'number_or_name' }, 201);
  john = await w.resident(op.token, CN, { number: anyNumber('AC'), first_name: 'John', last_name: 'Carter' });
  sam1 = await w.resident(op.token, CN, { number: anyNumber('AC'), first_name: 'Sam', last_name: 'Lee' });
  sam2 = await w.resident(op.token, CN, { number: anyNumber('AC'), first_name: 'Sam', last_name: 'Lee' });
  await w.resident(op.token, JP, { number: anyNumber('JP'), first_name: 'Ruth', last_name: 'Banks' });
});
after(async () => { if (w) await w.close(); });

test('request by name + facility → 201 pending with auto_approve_at 72 h later; case and spaces do not matter', async () => {
  const c = await w.contact({ full_name: 'Grace Carter' });
  const res = await w.request(c, { facility_id: CN, first_name: '  john ', last_name: 'CARTER' });
  const q = res.json;
  assert.equal(q.status, 'pending');
  assert.equal(q.resident.resident_number, john.number);
  assert.equal(q.facility.id, CN);
  assert.match(q.auto_approve_at, RFC3339);
  const window = Date.parse(q.auto_approve_at) - Date.parse(q.created_at);
  assert.equal(window, 72 * HOUR * 1000, `auto_approve_at - created_at = ${window} ms`);
  waiting = { contact: c, request: q };
  const seen = await w.get('/api/v1/contact-requests', john.token);
  assert.ok(seen.json.items.some((i) => i.id === q.id && i.status === 'pending'));
});

test('by number works too; ambiguous name → 409; unknown name → 404; a name at another facility does not match', async () => {
  const c = await w.contact();
  const byNumber = await w.request(c, { facility_id: CN, resident_number: sam1.number });
  assert.equal(byNumber.json.resident.id, sam1.resident.id);
  const c2 = await w.contact();
  const ambiguous = await w.request(c2, { facility_id: CN, first_name: 'Sam', last_name: 'Lee' }, null);
  assertError(ambiguous, 409, 'conflict', 'two residents with this name:');
  assert.match(ambiguous.json.error.message, /number/, 'the message tells the contact to use the number');
  const unknown = await w.request(c2, { facility_id: CN, first_name: 'Nobody', last_name: 'Here' }, null);
  assertError(unknown, 404, 'not_found');
  const elsewhere = await w.request(c2, { facility_id: CN, first_name: 'Ruth', last_name: 'Banks' }, null);
  assertError(elsewhere, 404, 'not_found', 'a resident of another facility by name:');
  const onlyFirst = await w.request(c2, { facility_id: CN, first_name: 'John' }, null);
  assert.equal(assertError(onlyFirst, 422, 'invalid_field').field, 'resident_number');
  const badName = await w.request(c2, { facility_id: CN, first_name: 'John', last_name: '\u0007' }, null);
  assert.equal(assertError(badName, 422, 'invalid_field').field, 'last_name');
  // Resident number and second Sam are distinguishable by number.
  const bySam2 = await w.request(c2, { facility_id: CN, resident_number: sam2.number });
  assert.equal(bySam2.json.resident.id, sam2.resident.id);
});

test('the resident cannot invite here: 403 contact_must_request', async () => {
  const res = await w.post('/api/v1/invitations', { email: uniqueEmail() }, john.token);
  assertError(res, 403, 'contact_must_request');
});

test('decline before the window: 200 declined; the resident may also approve before it', async () => {
  const c = await w.contact();
  const q = (await w.request(c, { facility_id: CN, first_name: 'John', last_name: 'Carter' })).json;
  const d = await w.decide(john, q.id, 'decline');
  assert.equal(d.status, 200, describeRes(d));
  assert.equal(d.json.status, 'declined');
  declined = { contact: c, request: q };
  const mails = await w.mailsTo(c.email, { kind: 'request_decided' });
  assert.match(mails[0].subject, /declined/);

  const c2 = await w.contact();
  const q2 = (await w.request(c2, { facility_id: CN, first_name: 'John', last_name: 'Carter' })).json;
  const a = await w.decide(john, q2.id, 'approve');
  assert.equal(a.status, 200, describeRes(a));
  assert.equal(a.json.status, 'approved');
  const mine = await w.contacts(c2);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].status, 'active');
});

test('71 h later the request still waits; 73 h later it is approved by the window and shown approved on both sides', async () => {
  await w.restart({ clockOffset: 71 * HOUR });
  await w.signInAgain(waiting.contact);
  await w.residentSignIn(john);
  let mine = await w.get('/api/v1/contact-requests', waiting.contact.token);
  assert.equal(mine.json.items.find((i) => i.id === waiting.request.id).status, 'pending', 'approved before the window passed');
  assert.equal((await w.contacts(waiting.contact)).length, 0);

  await w.restart({ clockOffset: 73 * HOUR });
  await w.signInAgain(waiting.contact);
  await w.signInAgain(declined.contact);
  await w.residentSignIn(john);
  mine = await w.get('/api/v1/contact-requests', waiting.contact.token);
  assert.equal(mine.status, 200);
  const q = mine.json.items.find((i) => i.id === waiting.request.id);
  assert.equal(q.status, 'approved', `after the window: ${JSON.stringify(q)}`);
  assert.ok(q.decided_at && Date.parse(q.decided_at) >= T0 + 72 * HOUR * 1000, `decided_at ${q.decided_at}`);
  const contacts = await w.contacts(waiting.contact);
  assert.equal(contacts.length, 1);
  assert.equal(contacts[0].status, 'active');
  assert.equal(contacts[0].origin, 'request');
  assert.equal(contacts[0].can_message, true);
  assert.equal(contacts[0].resident.resident_number, john.number);
  const hers = await w.contacts(john);
  assert.ok(hers.some((x) => x.contact.account_id === waiting.contact.account.id && x.status === 'active'));
  const residentSide = await w.get('/api/v1/contact-requests', john.token);
  assert.equal(residentSide.json.items.find((i) => i.id === waiting.request.id).status, 'approved');

  // A request declined before the window stays declined.
  const d = await w.get('/api/v1/contact-requests', declined.contact.token);
  assert.equal(d.json.items.find((i) => i.id === declined.request.id).status, 'declined');
  assert.equal((await w.contacts(declined.contact)).length, 0);

  // Too late to decide: the window decided.
  const late = await w.decide(john, waiting.request.id, 'decline');
  assertError(late, 409, 'already_decided');

  const mails = await w.mailsTo(waiting.contact.email, { kind: 'request_decided' });
  assert.equal(mails.length, 1, 'exactly one decision mail');
  assert.match(mails[0].text, /review period passed/);

  const audit = w.auditRows(`action = 'contact_request.approve' AND target = 'contact_request:${waiting.request.id}'`);
  assert.equal(audit.length, 1);
  assert.equal(audit[0].actor, 'system');
  assert.match(audit[0].detail, /review_window/);
});

test('a window override (approval_window_hours: 1) and approval: resident only (no window)', async () => {
  await w.signInAgain(op);
  const p = await w.putPolicy(op.token, CN, { profile: 'connectnetwork', approval_window_hours: 1 }, 200);
  assert.equal(p.approval_window_hours, 1);
  const c = await w.contact();
  const q = (await w.request(c, { facility_id: CN, resident_number: sam2.number })).json;
  assert.equal(Date.parse(q.auto_approve_at) - Date.parse(q.created_at), 3600 * 1000);
  const p2 = await w.putPolicy(op.token, CN, { profile: 'connectnetwork', approval: 'resident' }, 200);
  assert.equal(p2.approval, 'resident');
  const c2 = await w.contact();
  const q2 = (await w.request(c2, { facility_id: CN, resident_number: sam2.number })).json;
  assert.equal(q2.auto_approve_at, null, 'approval: resident means no window');
  await w.putPolicy(op.token, CN, { profile: 'connectnetwork' }, 200);
});

test('kite audit verify passes', async () => {
  await w.auditOk();
});
