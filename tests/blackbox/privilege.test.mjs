// Privileged attorney correspondence (issue 13, item 2; docs/privilege.md).
// An attorney registers (bar number and state), an operator verifies it
// (verified_by, verified_at, audited); from then on what is sent over the
// attorney's contacts is privileged: not screened, not queued for review,
// delivered at once, marked `privileged: true` for both parties.  The
// privilege matrix: for each staff role (reviewer, investigator,
// facility_admin, operator) and each endpoint that returns message content
// (message get, lists, review queue, search, correspondents, export, events,
// attachments), a privileged message's words and photo are never returned,
// only the fact (ids, parties, time, size); the parties read it normally.
// Registration rules, revocation (never reaching back), the audit records and
// `kite audit verify`.  Runs on SQLite and on PostgreSQL alike.
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, onPlatform, pair, send, getMsg, describeRes, historyStatuses, assertNoTextInMail,
  addRule, queue, list,
} from './lib/messaging.mjs';
import { RFC3339_UTC, ON_PG, register, session } from './lib/kite.mjs';
import { makePng } from './lib/png.mjs';

const SECRET_SUBJECT = 'Plea offer zanzibar';
const SECRET_BODY = 'The prosecutor offered eighteen months; the contraband count is weak. Say nothing to anyone. xylophonic';
const REPLY_BODY = 'I accept your advice about the zanzibar offer. quetzalcoatl';
const SECRETS = [SECRET_SUBJECT, SECRET_BODY, REPLY_BODY, 'zanzibar', 'xylophonic', 'quetzalcoatl'];

let w;
let op;
let A;
let staff; // role -> signed-in staff of A (and the operator)
let lawyer; // a verified attorney's pair with resident 1
let lawyerReg; // the registration
let family; // an ordinary contact of resident 1
let priv; // the privileged message from the attorney (with a photo)
let reply; // the resident's privileged reply
let photoId;

const contentOf = (res) => JSON.stringify(res.json ?? res.body ?? '') + String(res.text ?? '');

function assertNoSecrets(res, context) {
  const text = typeof res.body === 'string' ? res.body : contentOf(res);
  for (const s of SECRETS) assert.ok(!text.includes(s), `${context}: the answer carries privileged words ${JSON.stringify(s)}`);
}

async function registerAttorney(who, barNumber = 'TX-24012345', barState = 'tx') {
  const res = await w.post('/api/v1/attorneys', { bar_number: barNumber, bar_state: barState }, who.token);
  assert.equal(res.status, 201, `register attorney: ${describeRes(res)}`);
  return res.json;
}

async function verify(id, who = op, status = 200) {
  const res = await w.post(`/api/v1/attorneys/${id}/verify`, {}, who.token);
  assert.equal(res.status, status, `verify ${id}: ${describeRes(res)}`);
  return res.json;
}

function upload(who, bytes) {
  return w.srv.request('POST', '/api/v1/attachments', {
    body: bytes, token: who.token, headers: { 'Content-Type': 'image/png' }, timeoutMs: 60_000,
  });
}

before(async () => {
  w = await World.start();
  op = await w.operator();
  A = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay' });
  staff = {
    reviewer: await w.staff(op.token, A, 'reviewer'),
    investigator: await w.staff(op.token, A, 'investigator'),
    facility_admin: await w.staff(op.token, A, 'facility_admin'),
    operator: op,
  };
  // A hold rule that the privileged words would trip: privileged mail is screened for nothing.
  await addRule(w, staff.facility_admin, A, { kind: 'words', value: 'contraband', action: 'hold' });
  lawyer = await pair(w, op, A, 'jpay', { contactName: 'Dana Counsel', residentNames: { first_name: 'Luis', last_name: 'Ortega' } });
  family = await pair(w, op, A, 'jpay', { resident: lawyer.resident, contactName: 'Rosa Family' });
  lawyerReg = await registerAttorney(lawyer.contact);
  await verify(lawyerReg.id);
  const up = await upload(lawyer.contact, makePng(40, 30));
  assert.equal(up.status, 201, `upload: ${describeRes(up)}`);
  photoId = up.json.id;
  const res = await w.post('/api/v1/messages', {
    contact_id: lawyer.contactId, subject: SECRET_SUBJECT, body: SECRET_BODY, attachment_ids: [photoId],
  }, lawyer.contact.token);
  assert.equal(res.status, 202, `privileged send: ${describeRes(res)}`);
  priv = res.json;
  reply = await send(w, lawyer.resident, lawyer.contactId, 'Re: plea', REPLY_BODY);
});
after(async () => { if (w) await w.close(); });

test('registration: a verified contact registers; the operator sees it pending, verifies it with who and when', async () => {
  const c = await w.contact({ full_name: 'Pat Advocate' });
  const mine404 = await w.get('/api/v1/attorneys/me', c.token);
  assertError(mine404, 404, 'not_found', 'no registration yet');
  const reg = await registerAttorney(c, ' ca-123456 ', 'CA');
  assert.equal(reg.status, 'pending');
  assert.equal(reg.bar_number, 'CA-123456', 'trimmed and in upper case');
  assert.equal(reg.bar_state, 'CA');
  assert.equal(reg.privileged, false);
  assert.equal(reg.verified_at, null);
  const again = await w.post('/api/v1/attorneys', { bar_number: '999', bar_state: 'NY' }, c.token);
  assertError(again, 409, 'conflict', 'a second registration');
  const pending = await w.get('/api/v1/attorneys?status=pending', op.token);
  assert.equal(pending.status, 200, describeRes(pending));
  const row = pending.json.items.find((x) => x.id === reg.id);
  assert.ok(row, 'the operator lists the pending registration');
  assert.equal(row.full_name, 'Pat Advocate');
  assert.equal(row.email, c.email);
  const done = await verify(reg.id);
  assert.equal(done.status, 'verified');
  assert.equal(done.verified_by, op.account.id);
  assert.match(done.verified_at, RFC3339_UTC);
  assert.equal(done.privileged, true);
  assertError(await w.post(`/api/v1/attorneys/${reg.id}/verify`, {}, op.token), 409, 'already_decided', 'verified twice');
  const mine = await w.get('/api/v1/attorneys/me', c.token);
  assert.equal(mine.status, 200, describeRes(mine));
  assert.equal(mine.json.status, 'verified');
  const stillPending = await w.get('/api/v1/attorneys?status=pending', op.token);
  assert.ok(!stillPending.json.items.some((x) => x.id === reg.id), 'a verified registration is no longer pending');
  const rows = w.auditRows(`target = 'attorney:${reg.id}'`);
  assert.deepEqual(rows.map((r) => r.action), ['attorney.register', 'attorney.verify']);
  assert.equal(rows[1].actor, `account:${op.account.id}`);
});

test('registration rules: only a contact registers, with a bar number and a state code, once its email is confirmed', async () => {
  for (const who of [lawyer.resident, staff.reviewer, staff.facility_admin, op]) {
    const res = await w.post('/api/v1/attorneys', { bar_number: '12345', bar_state: 'TX' }, who.token);
    assertError(res, 403, 'forbidden', `register as ${who.account.role}`);
  }
  assertError(await w.post('/api/v1/attorneys', { bar_number: '12345', bar_state: 'TX' }), 401, 'unauthenticated');
  const c = await w.contact();
  for (const [bar_number, bar_state, field] of [['', 'TX', 'bar_number'], ['no digits', 'TX', 'bar_number'],
    ['ABC-DEF', 'TX', 'bar_number'], ['1'.repeat(21), 'TX', 'bar_number'], ['12<b>', 'TX', 'bar_number'],
    ['12345', 'ZZ', 'bar_state'], ['12345', 'Texas', 'bar_state'], ['12345', '', 'bar_state']]) {
    const res = await w.post('/api/v1/attorneys', { bar_number, bar_state }, c.token);
    assertError(res, 422, 'invalid_field', `${bar_number}/${bar_state}`);
    assert.equal(res.json.error.field, field);
  }
  assertError(await w.post('/api/v1/attorneys', { bar_state: 'TX' }, c.token), 422, 'invalid_field', 'missing bar_number');
  const reg = await register(w.srv, {}, { verify: false });
  const s = await session(w.srv, reg.email, reg.password);
  const unverified = await w.post('/api/v1/attorneys', { bar_number: '12345', bar_state: 'TX' }, s.token);
  assertError(unverified, 403, 'email_not_verified', 'an unconfirmed address');
});

test('only an operator lists, verifies or refuses; others get 403', async () => {
  const c = await w.contact();
  const reg = await registerAttorney(c, '55555', 'NY');
  for (const who of [c, lawyer.resident, staff.reviewer, staff.investigator, staff.facility_admin]) {
    assertError(await w.post(`/api/v1/attorneys/${reg.id}/verify`, {}, who.token), 403, 'forbidden', `verify by ${who.account.role}`);
    assertError(await w.post(`/api/v1/attorneys/${reg.id}/refuse`, { reason: 'x' }, who.token), 403, 'forbidden', `refuse by ${who.account.role}`);
    assertError(await w.get('/api/v1/attorneys?status=pending', who.token), 403, 'forbidden', `list by ${who.account.role}`);
  }
  assertError(await w.post('/api/v1/attorneys/999999/verify', {}, op.token), 404, 'not_found');
  assertError(await w.post(`/api/v1/attorneys/${reg.id}/refuse`, {}, op.token), 422, 'invalid_field', 'a refusal needs its reason');
  assertError(await w.get('/api/v1/attorneys?status=maybe', op.token), 422, 'invalid_field');
  for (const who of [lawyer.resident, staff.reviewer, op]) {
    const res = await w.get('/api/v1/attorneys/me', who.token);
    assertError(res, 403, 'forbidden', `attorneys/me as ${who.account.role}`);
  }
  const refused = await w.post(`/api/v1/attorneys/${reg.id}/refuse`, { reason: 'Not on the New York roll' }, op.token);
  assert.equal(refused.status, 200, describeRes(refused));
  assert.equal(refused.json.status, 'refused');
  assert.equal(refused.json.reason, 'Not on the New York roll');
  assert.equal((await w.get('/api/v1/attorneys/me', c.token)).json.status, 'refused');
  assertError(await w.post(`/api/v1/attorneys/${reg.id}/verify`, {}, op.token), 409, 'already_decided', 'verify a refused one');
});

test('a pending or refused attorney\'s messages are not privileged: screened and reviewed as any other', async () => {
  const pend = await pair(w, op, A, 'jpay', { contactName: 'Penny Pending' });
  await registerAttorney(pend.contact, '777', 'FL');
  const m1 = await send(w, pend.contact, pend.contactId, 'Hello', 'Pending attorney writing.');
  assert.equal(m1.privileged, false);
  assert.equal(m1.status, 'pending_review');
  const contacts = await w.contacts(pend.resident);
  assert.equal(contacts.find((x) => x.id === pend.contactId).privileged, false);
  const ref = await pair(w, op, A, 'jpay', { contactName: 'Rex Refused' });
  const reg = await registerAttorney(ref.contact, '888', 'FL');
  const r = await w.post(`/api/v1/attorneys/${reg.id}/refuse`, { reason: 'Bar number not found' }, op.token);
  assert.equal(r.status, 200, describeRes(r));
  const m2 = await send(w, ref.contact, ref.contactId, 'Hello', 'Refused attorney writing about contraband.');
  assert.equal(m2.privileged, false);
  assert.equal(m2.status, 'pending_review');
  const q = await queue(w, staff.reviewer, A);
  assert.ok(q.items.some((x) => x.id === m2.id), 'the refused attorney\'s message waits for review');
  const seen = await getMsg(w, staff.reviewer, m2.id);
  assert.equal(seen.body, 'Refused attorney writing about contraband.', 'staff read an ordinary message');
  assert.ok(seen.matched_rules.length > 0, 'and it was screened');
});

test('privileged mail: not screened, not reviewed, delivered at once; the history says so; both parties see the mark', async () => {
  assert.equal(priv.privileged, true);
  assert.equal(priv.status, 'delivered');
  assert.deepEqual(historyStatuses(priv), ['pending_review', 'approved', 'delivered']);
  assert.deepEqual(priv.history.slice(1).map((h) => h.by), ['privileged', 'privileged']);
  assert.equal(priv.subject, SECRET_SUBJECT);
  assert.equal(priv.body, SECRET_BODY);
  assert.equal(priv.content_withheld, false);
  assert.equal(priv.size_bytes, Buffer.byteLength(SECRET_SUBJECT) + Buffer.byteLength(SECRET_BODY));
  assert.ok(priv.price_cents >= 0);
  assert.equal(Number(w.sql(`SELECT COUNT(*) FROM message_rule_matches WHERE message_id = ${priv.id}`)), 0, 'screened for nothing');
  assert.equal(reply.privileged, true, 'the resident\'s reply to the attorney is privileged too');
  assert.equal(reply.status, 'delivered');
  // The resident reads it normally, with the mark; so does the attorney.
  const got = await getMsg(w, lawyer.resident, priv.id);
  assert.equal(got.body, SECRET_BODY);
  assert.equal(got.privileged, true);
  assert.deepEqual(got.attachment_ids, [photoId]);
  const inbox = await list(w, lawyer.resident, 'box=inbox');
  const inInbox = inbox.items.find((x) => x.id === priv.id);
  assert.ok(inInbox && inInbox.privileged === true && inInbox.body === SECRET_BODY, 'the resident\'s inbox');
  const thread = await list(w, lawyer.contact, `box=thread&contact_id=${lawyer.contactId}`);
  assert.ok(thread.items.every((x) => x.privileged === true), 'the attorney\'s thread marks every message');
  assert.ok(thread.items.some((x) => x.body === REPLY_BODY));
  const photo = await w.srv.request('GET', `/api/v1/attachments/${photoId}`, { token: lawyer.resident.token });
  assert.equal(photo.status, 200, 'the resident opens the photo');
  // Both contact lists show the privilege; the family's does not.
  const fromResident = await w.contacts(lawyer.resident);
  assert.equal(fromResident.find((x) => x.id === lawyer.contactId).privileged, true);
  assert.equal(fromResident.find((x) => x.id === family.contactId).privileged, false);
  const fromLawyer = await w.contacts(lawyer.contact);
  assert.equal(fromLawyer.find((x) => x.id === lawyer.contactId).privileged, true);
  // The mbox export of a party holds it.
  const mbox = await w.srv.request('GET', '/api/v1/messages/export?format=mbox', { token: lawyer.resident.token });
  assert.equal(mbox.status, 200);
  assert.ok(mbox.text.includes('xylophonic'), 'the party\'s export holds the privileged text');
  assert.ok(mbox.text.includes('X-Kite-Privileged: privileged legal mail'), 'and marks it');
  // The attorney's own export holds the registration and the privileged messages, marked.
  const own = await w.get('/api/v1/me/export', lawyer.contact.token);
  assert.equal(own.status, 200, describeRes(own));
  assert.equal(own.json.attorney.status, 'verified');
  assert.equal(own.json.attorney.bar_number, 'TX-24012345');
  assert.ok(own.json.messages.some((x) => x.id === priv.id && x.privileged === true && x.body === SECRET_BODY));
  const nobody = await w.get('/api/v1/me/export', family.contact.token);
  assert.equal(nobody.json.attorney, null, 'no registration: null');
});

test('privilege matrix: each staff role x each content endpoint returns the fact, never the words or the photo', async () => {
  const before = w.auditRows(`action = 'message.privileged_fact_read'`).length;
  for (const [role, who] of Object.entries(staff)) {
    const ctx = (what) => `${role} ${what}`;
    // GET /messages/{id}: the fact only.
    for (const m of [priv, reply]) {
      const res = await w.get(`/api/v1/messages/${m.id}`, who.token);
      assert.equal(res.status, 200, ctx(`message get: ${describeRes(res)}`));
      assertNoSecrets(res, ctx('message get'));
      const f = res.json;
      assert.equal(f.privileged, true);
      assert.equal(f.content_withheld, true);
      assert.equal(f.subject, null);
      assert.equal(f.body, null);
      assert.deepEqual(f.attachment_ids, []);
      assert.deepEqual(f.matched_rules, []);
      assert.equal(f.sender.account_id, m.sender.account_id, 'the parties are part of the fact');
      assert.equal(f.recipient.account_id, m.recipient.account_id);
      assert.match(f.created_at, RFC3339_UTC);
      assert.equal(typeof f.size_bytes, 'number');
      assert.ok(f.size_bytes > 0);
    }
    // Lists, export and events are the parties' own: staff are refused.
    for (const p of ['/api/v1/messages?box=inbox', '/api/v1/messages?box=sent', `/api/v1/messages?box=thread&contact_id=${lawyer.contactId}`,
      '/api/v1/messages/export', '/api/v1/messages/export?format=mbox', '/api/v1/events']) {
      const res = await w.get(p, who.token);
      assert.equal(res.status, 403, ctx(`${p}: ${describeRes(res)}`));
      assertNoSecrets(res, ctx(p));
    }
    // The review queue never holds it.
    const q = await w.get(`/api/v1/review/queue?facility_id=${A}&limit=100`, who.token);
    assert.equal(q.status, role === 'investigator' ? 403 : 200, ctx(`queue: ${describeRes(q)}`));
    if (q.status === 200) assert.ok(!q.json.items.some((x) => x.id === priv.id || x.id === reply.id), ctx('privileged mail in the review queue'));
    assertNoSecrets(q, ctx('queue'));
    // Deciding on it: nothing to decide, and the refusal carries no words.
    const decided = await w.post(`/api/v1/review/${priv.id}`, { decision: 'approve' }, who.token);
    assert.ok([403, 409].includes(decided.status), ctx(`review decision: ${describeRes(decided)}`));
    assertNoSecrets(decided, ctx('review decision'));
    // Search: its words find nothing, no snippet, and without words it is not listed.
    for (const params of [{ q: 'zanzibar' }, { q: 'xylophonic' }, { q: 'quetzalcoatl' }, { q: 'plea' }, {},
      { person: lawyer.resident.number }, { person: lawyer.contact.email }]) {
      const res = await w.get(`/api/v1/investigations/messages?${new URLSearchParams({ facility_id: A, limit: 100, ...params })}`, who.token);
      if (role === 'investigator' || role === 'operator') {
        assert.equal(res.status, 200, ctx(`search ${JSON.stringify(params)}: ${describeRes(res)}`));
        assert.ok(!res.json.items.some((x) => x.id === priv.id || x.id === reply.id), ctx(`search ${JSON.stringify(params)} found privileged mail`));
      } else {
        assert.equal(res.status, 403, ctx(`search: ${describeRes(res)}`));
      }
      assertNoSecrets(res, ctx(`search ${JSON.stringify(params)}`));
    }
    // Who writes to whom: the fact may show, the words never.
    const corr = await w.get(`/api/v1/investigations/correspondents?facility_id=${A}&resident_number=${lawyer.resident.number}`, who.token);
    assert.equal(corr.status, role === 'investigator' || role === 'operator' ? 200 : 403, ctx(`correspondents: ${describeRes(corr)}`));
    assertNoSecrets(corr, ctx('correspondents'));
    // The photo: refused, no bytes.
    const photo = await w.srv.request('GET', `/api/v1/attachments/${photoId}`, { token: who.token });
    assertError(photo, 403, 'forbidden', ctx('attachment'));
    assert.match(photo.json.error.message, /privileged/i);
    // Their own export carries nothing of it.
    const own = await w.get('/api/v1/me/export', who.token);
    assertNoSecrets(own, ctx('own export'));
  }
  // Each opening of the fact is on the record, with the role; so is each refused photo.
  const facts = w.auditRows(`action = 'message.privileged_fact_read'`);
  assert.equal(facts.length - before, 2 * Object.keys(staff).length);
  assert.ok(facts.some((r) => r.target === `message:${priv.id}` && /role=investigator/.test(r.detail) && /content=withheld/.test(r.detail)));
  const photos = w.auditRows(`action = 'attachment.privileged_refused' AND target = 'attachment:${photoId}'`);
  assert.equal(photos.length, Object.keys(staff).length);
  assert.equal(w.auditRows(`action = 'message.staff_read' AND target = 'message:${priv.id}'`).length, 0);
});

test('no mail to anyone carries privileged words, and the search index never holds them', async () => {
  assertNoTextInMail(w, SECRETS);
  // A search by words brings SQLite's index up to date (investigation.c): it skips privileged rows.
  const res = await w.get(`/api/v1/investigations/messages?facility_id=${A}&q=zanzibar`, staff.investigator.token);
  assert.equal(res.status, 200, describeRes(res));
  assert.deepEqual(res.json.items, []);
  if (!ON_PG) {
    const indexed = Number(w.sql(`SELECT COUNT(*) FROM message_search_docsize WHERE id IN (${priv.id}, ${reply.id})`));
    assert.equal(indexed, 0, 'privileged rows in message_search');
    assert.ok(Number(w.sql('SELECT COUNT(*) FROM message_search_docsize')) > 0, 'the index holds the ordinary messages');
  } else {
    const def = w.sql("SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_search'");
    assert.match(def, /WHERE \(privileged = 0\)/, 'the GIN index leaves privileged rows out');
  }
});

test('revoking a verification ends privilege for what is sent after it, never for what was sent', async () => {
  const c = await pair(w, op, A, 'jpay', { contactName: 'Rory Revoked' });
  const reg = await registerAttorney(c.contact, 'WA-4242', 'WA');
  await verify(reg.id);
  const before = await send(w, c.contact, c.contactId, 'Before', 'Sent while verified: zanzibar.');
  assert.equal(before.privileged, true);
  const res = await w.post(`/api/v1/attorneys/${reg.id}/refuse`, { reason: 'Suspended by the Washington bar' }, op.token);
  assert.equal(res.status, 200, describeRes(res));
  assert.equal(res.json.status, 'revoked');
  assert.equal(res.json.verified_by, op.account.id, 'who verified it is kept');
  const after = await send(w, c.contact, c.contactId, 'After', 'Sent after the revocation.');
  assert.equal(after.privileged, false);
  assert.equal(after.status, 'pending_review');
  const old = await getMsg(w, staff.reviewer, before.id);
  assert.equal(old.privileged, true, 'the earlier message stays privileged');
  assert.equal(old.body, null);
  const fresh = await getMsg(w, staff.reviewer, after.id);
  assert.equal(fresh.body, 'Sent after the revocation.');
  assert.equal((await w.contacts(c.resident)).find((x) => x.id === c.contactId).privileged, false);
  assert.equal(w.auditRows(`target = 'attorney:${reg.id}' AND action = 'attorney.revoke'`).length, 1);
  // A revoked attorney may register again; the operator decides again.
  const again = await registerAttorney(c.contact, 'WA-4242', 'WA');
  assert.equal(again.status, 'pending');
});

test('the audit chain verifies', async () => {
  await w.auditOk();
});
