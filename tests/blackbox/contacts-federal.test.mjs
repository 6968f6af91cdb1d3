// The federal (CorrLinks) model end to end, against a real SMTP sink: the
// resident invites by email, the mail arrives (text and HTML, link built from
// --public-url), the token works once, expires after the policy's validity (the
// server restarted with a test clock 31 days ahead answers 410), re-invites,
// the contact-list limit, and two racing accepts of one token.
// SPEC.md "Contacts"; issue 3 "What must be shown".
import { test, before, after } from 'node:test';
import crypto from 'node:crypto';
import {
  World, assert, assertError, facilityIdByName, describeRes, bopNumber, runServe, DAY, TOKEN_LINK_RE, PUBLIC_URL,
  uniqueEmail, fs, path,
} from './lib/flows.mjs';
import { register, session, sqlGroupConcat } from './lib/kite.mjs';

let w;
let op;
let FED; // FCI ALICEVILLE, federal profile
let res1; // a resident
const T0 = Date.now();

before(async () => {
  w = await World.start({ smtp: true });
  op = await w.operator();
  FED = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  await w.putPolicy(op.token, FED, { profile: 'federal' }, 201);
  res1 = await w.resident(op.token, FED, { number: bopNumber(), first_name: 'Marcus', last_name: 'Hale' });
});
after(async () => { if (w) await w.close(); });

test('resident numbers follow the BOP format (NNNNN-NNN); duplicates → 409 resident_exists', async () => {
  for (const bad of ['1234-567', '12345678', '12345-67', 'ABCDE-123', '12345_678', '123456-789', '']) {
    const res = await w.post(`/api/v1/facilities/${FED}/residents`, { resident_number: bad, first_name: 'A', last_name: 'B' }, op.token);
    const err = assertError(res, 422, 'invalid_field', `number ${JSON.stringify(bad)}:`);
    assert.equal(err.field, 'resident_number');
  }
  const dup = await w.post(`/api/v1/facilities/${FED}/residents`, { resident_number: res1.number, first_name: 'X', last_name: 'Y' }, op.token);
  assertError(dup, 409, 'resident_exists');
  assert.equal(res1.resident.status, 'active');
  assert.equal(res1.resident.has_pin, true);
  assert.equal(res1.resident.facility_id, FED);
});

test('invitation: 201 pending, the email arrives over SMTP with text and HTML and a link from --public-url', async () => {
  const email = uniqueEmail('invitee');
  const res = await w.invite(res1, email);
  assert.equal(res.json.status, 'pending');
  assert.equal(res.json.email, email.toLowerCase());
  assert.ok(Number.isInteger(res.json.id));
  const expires = Date.parse(res.json.expires_at);
  const expected = Date.now() + 30 * DAY * 1000;
  assert.ok(Math.abs(expires - expected) < 5 * 60 * 1000, `expires_at ${res.json.expires_at} is not 30 days ahead`);

  const [mail] = await w.mailsTo(email, { kind: 'invitation' });
  const m = mail.message;
  assert.ok(mail.subject.includes('Marcus Hale'), `subject names the resident: ${mail.subject}`);
  assert.ok(m.parts.some((p) => p.type === 'text/plain'), 'no text/plain part');
  assert.ok(m.parts.some((p) => p.type === 'text/html'), 'no text/html part');
  const textLink = TOKEN_LINK_RE.exec(mail.text);
  assert.ok(textLink, `text part has no ${PUBLIC_URL}/invitations/accept?token= link: ${mail.text}`);
  assert.ok(mail.html.includes(`href="${PUBLIC_URL}/invitations/accept?token=${textLink[1]}"`),
    `the HTML part does not link the same token: ${mail.html}`);
  assert.ok(mail.text.includes('FCI ALICEVILLE'), 'the mail names the facility');
  assert.ok(mail.text.includes(res.json.expires_at.slice(0, 10)), 'the mail gives the expiry date');
  assert.ok(!/localhost|127\.0\.0\.1/.test(mail.text + mail.html), 'a link is not built from --public-url');
  assert.deepEqual(mail.raw.to.map((x) => x.toLowerCase()), [email.toLowerCase()], 'recipient');

  // The contact (registered later with that address) sees it pending; the resident too.
  const contact = await w.contact({ email });
  const mine = await w.get('/api/v1/invitations', contact.token);
  assert.equal(mine.status, 200);
  const inv = mine.json.items.find((i) => i.id === res.json.id);
  assert.ok(inv, `the contact does not see the pending invitation: ${mine.text}`);
  assert.equal(inv.status, 'pending');
  assert.equal(inv.facility_name, 'FCI ALICEVILLE');
  const theirs = await w.get('/api/v1/invitations', res1.token);
  assert.ok(theirs.json.items.some((i) => i.id === res.json.id && i.status === 'pending'));

  // Someone else signed in: 403 invitation_not_for_you, and the token still works afterwards.
  const stranger = await w.contact();
  const wrong = await w.post('/api/v1/invitations/accept', { token: textLink[1] }, stranger.token);
  assertError(wrong, 403, 'invitation_not_for_you');

  // Works once.
  const acc = await w.post('/api/v1/invitations/accept', { token: textLink[1] }, contact.token);
  assert.equal(acc.status, 201, `accept: ${describeRes(acc)}`);
  assert.equal(acc.json.status, 'active');
  assert.equal(acc.json.origin, 'invitation');
  assert.equal(acc.json.can_message, true);
  assert.equal(acc.json.resident.resident_number, res1.number);
  assert.equal(acc.json.facility.id, FED);
  assert.equal(acc.json.facility.on_platform, true);
  assert.equal(acc.json.facility.messaging_provider.slug, 'kite');
  assert.equal(acc.json.contact.account_id, contact.account.id);

  const again = await w.post('/api/v1/invitations/accept', { token: textLink[1] }, contact.token);
  assertError(again, 409, 'invitation_already_used', 'second accept:');

  // Both sides list the contact; GET /contacts/{id} works for both.
  const cl = await w.contacts(contact);
  assert.equal(cl.filter((c) => c.resident.resident_number === res1.number).length, 1);
  const rl = await w.contacts(res1);
  const mineOnResidentSide = rl.filter((c) => c.contact.account_id === contact.account.id);
  assert.equal(mineOnResidentSide.length, 1);
  assert.equal(mineOnResidentSide[0].id, acc.json.id);
  const one = await w.get(`/api/v1/contacts/${acc.json.id}`, res1.token);
  assert.equal(one.status, 200);
  assert.equal(one.json.status, 'active');
  const other = await w.get(`/api/v1/contacts/${acc.json.id}`, stranger.token);
  assertError(other, 404, 'not_found', "someone else's contact:");

  // Inviting an existing contact again is a conflict, not a second contact.
  const dup = await w.post('/api/v1/invitations', { email }, res1.token);
  assertError(dup, 409, 'already_contacts');
});

test('bad tokens: unknown 64-hex → 404, short → 404, missing → 422; contacts only', async () => {
  const contact = await w.contact();
  const unknown = await w.post('/api/v1/invitations/accept', { token: crypto.randomBytes(32).toString('hex') }, contact.token);
  assertError(unknown, 404, 'not_found');
  const short = await w.post('/api/v1/invitations/accept', { token: 'abc123' }, contact.token);
  assertError(short, 404, 'not_found');
  const missing = await w.post('/api/v1/invitations/accept', {}, contact.token);
  const err = assertError(missing, 422, 'invalid_field');
  assert.equal(err.field, 'token');
  const byResident = await w.post('/api/v1/invitations/accept', { token: 'a'.repeat(64) }, res1.token);
  assertError(byResident, 403, 'forbidden');
  const anon = await w.post('/api/v1/invitations/accept', { token: 'a'.repeat(64) });
  assertError(anon, 401, 'unauthenticated');
  const badEmail = await w.post('/api/v1/invitations', { email: 'not-an-email' }, res1.token);
  assert.equal(assertError(badEmail, 422, 'invalid_field').field, 'email');
});

test('at a federal facility a contact cannot start contact: 403 resident_must_invite', async () => {
  const contact = await w.contact();
  const res = await w.post('/api/v1/contact-requests', { facility_id: FED, resident_number: res1.number }, contact.token);
  assertError(res, 403, 'resident_must_invite');
  const byName = await w.post('/api/v1/contact-requests', { facility_id: FED, first_name: 'Marcus', last_name: 'Hale' }, contact.token);
  assertError(byName, 403, 'resident_must_invite');
  const list = await w.get('/api/v1/contact-requests', res1.token);
  assert.equal(list.status, 200);
  assert.equal(list.json.items.length, 0, 'a refused request was stored');
});

test('re-invite: a new pending invitation replaces the old one; the old token no longer works, the new one does', async () => {
  const contact = await w.contact();
  const first = await w.invite(res1, contact.email);
  const t1 = await w.inviteToken(contact.email);
  const second = await w.invite(res1, contact.email);
  assert.notEqual(second.json.id, first.json.id);
  assert.equal(second.json.status, 'pending');
  const t2 = await w.inviteToken(contact.email, { after: 1 });
  assert.notEqual(t1, t2, 'the re-invitation reuses the token');

  const list = await w.get('/api/v1/invitations', res1.token);
  const byId = Object.fromEntries(list.json.items.map((i) => [i.id, i]));
  assert.equal(byId[first.json.id].status, 'revoked', `old invitation: ${JSON.stringify(byId[first.json.id])}`);
  assert.equal(byId[second.json.id].status, 'pending');
  const contactSide = await w.get('/api/v1/invitations', contact.token);
  assert.deepEqual(contactSide.json.items.map((i) => i.id), [second.json.id], 'the contact sees only the pending one');

  const old = await w.post('/api/v1/invitations/accept', { token: t1 }, contact.token);
  assertError(old, [409, 410], ['invitation_already_used', 'invitation_expired', 'invitation_revoked'], 'old token:');
  const ok = await w.post('/api/v1/invitations/accept', { token: t2 }, contact.token);
  assert.equal(ok.status, 201, describeRes(ok));
  assert.equal(ok.json.status, 'active');
});

test('race: two concurrent accepts of one token → exactly one 201 and one 409, exactly one contact', async () => {
  for (let round = 0; round < 3; round++) {
    const contact = await w.contact();
    await w.invite(res1, contact.email);
    const token = await w.inviteToken(contact.email);
    const answers = await Promise.all([
      w.post('/api/v1/invitations/accept', { token }, contact.token),
      w.post('/api/v1/invitations/accept', { token }, contact.token),
    ]);
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [201, 409], `round ${round}: ${answers.map(describeRes).join(' | ')}`);
    const loser = answers.find((a) => a.status === 409);
    assertError(loser, 409, 'invitation_already_used');
    const rows = w.sql(`SELECT COUNT(*) FROM contacts WHERE contact_account_id = ${contact.account.id}`);
    assert.equal(rows, '1', `round ${round}: ${rows} contact rows`);
    assert.equal((await w.contacts(contact)).length, 1);
  }
});

test('contact limit (override contact_limit: 2): the third accept → 422 contact_limit_reached; a fourth invitation too', async () => {
  await w.putPolicy(op.token, FED, { profile: 'federal', contact_limit: 2 }, 200);
  const r = await w.resident(op.token, FED, { number: bopNumber(), first_name: 'Lena', last_name: 'Ortiz' });
  const people = [await w.contact(), await w.contact(), await w.contact(), await w.contact()];
  const tokens = [];
  for (const p of people.slice(0, 3)) {
    await w.invite(r, p.email);
    tokens.push(await w.inviteToken(p.email));
  }
  for (let i = 0; i < 2; i++) {
    const a = await w.post('/api/v1/invitations/accept', { token: tokens[i] }, people[i].token);
    assert.equal(a.status, 201, `accept ${i}: ${describeRes(a)}`);
  }
  const third = await w.post('/api/v1/invitations/accept', { token: tokens[2] }, people[2].token);
  assertError(third, 422, 'contact_limit_reached', 'third accept:');
  const fourth = await w.post('/api/v1/invitations', { email: people[3].email }, r.token);
  assertError(fourth, 422, 'contact_limit_reached', 'invitation over the limit:');
  assert.equal((await w.contacts(r)).length, 2);

  // Room again after a removal: the third accept now works with the same token.
  const list = await w.contacts(r);
  const rm = await w.del(`/api/v1/contacts/${list[0].id}`, r.token);
  assert.equal(rm.status, 200, describeRes(rm));
  assert.equal(rm.json.status, 'removed');
  const retry = await w.post('/api/v1/invitations/accept', { token: tokens[2] }, people[2].token);
  assert.equal(retry.status, 201, `accept after a removal: ${describeRes(retry)}`);
  await w.putPolicy(op.token, FED, { profile: 'federal' }, 200);
});

test('race at the limit: two different invitations accepted at once with one place left → one 201, one 422; the limit holds', async () => {
  await w.putPolicy(op.token, FED, { profile: 'federal', contact_limit: 1 }, 200);
  for (let round = 0; round < 3; round++) {
    const r = await w.resident(op.token, FED, { number: bopNumber(), first_name: 'Raya', last_name: 'Ames' });
    const a = await w.contact();
    const b = await w.contact();
    await w.invite(r, a.email);
    await w.invite(r, b.email);
    const [ta, tb] = [await w.inviteToken(a.email), await w.inviteToken(b.email)];
    const answers = await Promise.all([
      w.post('/api/v1/invitations/accept', { token: ta }, a.token),
      w.post('/api/v1/invitations/accept', { token: tb }, b.token),
    ]);
    assert.deepEqual(answers.map((x) => x.status).sort(), [201, 422], answers.map(describeRes).join(' | '));
    assertError(answers.find((x) => x.status === 422), 422, 'contact_limit_reached');
    assert.equal(w.sql(`SELECT COUNT(*) FROM contacts WHERE resident_id = ${r.resident.id} AND status = 'active'`), '1');
  }
  await w.putPolicy(op.token, FED, { profile: 'federal' }, 200);
});

test('kite serve refuses --test-clock-offset without KITE_ALLOW_TEST_CLOCK=1 (exit 2)', async () => {
  const dir = fs.mkdtempSync(path.join(w.dir, 'noclock-'));
  const r = await runServe(['--db', path.join(dir, 'kite.db'), '--listen', '127.0.0.1:0', '--test-clock-offset', '2678400']);
  assert.equal(r.code, 2, `exit code ${r.code}; stderr ${r.stderr}`);
  assert.match(r.stderr, /KITE_ALLOW_TEST_CLOCK/);
  assert.doesNotMatch(r.stdout, /listening/);
  const r0 = await runServe(['--db', path.join(dir, 'kite.db'), '--listen', '127.0.0.1:0', '--test-clock-offset', '60'], { KITE_ALLOW_TEST_CLOCK: '0' });
  assert.equal(r0.code, 2, `KITE_ALLOW_TEST_CLOCK=0 must be refused too; exit ${r0.code}`);
});

test('expiry: at +29 days a token still works; at +31 days another answers 410 invitation_expired; re-invite then works', async () => {
  const r = await w.resident(op.token, FED, { number: bopNumber(), first_name: 'Nina', last_name: 'Park' });
  const early = await w.contact();
  const late = await w.contact();
  await w.invite(r, early.email);
  const inv = await w.invite(r, late.email);
  const tEarly = await w.inviteToken(early.email);
  const tLate = await w.inviteToken(late.email);

  await w.restart({ clockOffset: 29 * DAY });
  await w.signInAgain(early);
  const okEarly = await w.post('/api/v1/invitations/accept', { token: tEarly }, early.token);
  assert.equal(okEarly.status, 201, `accept at +29 days: ${describeRes(okEarly)}`);

  await w.restart({ clockOffset: 31 * DAY });
  await w.signInAgain(late);
  await w.residentSignIn(r);
  const pendingView = await w.get('/api/v1/invitations', r.token);
  const v = pendingView.json.items.find((i) => i.id === inv.json.id);
  assert.equal(v.status, 'expired', `the resident sees the invitation expired: ${JSON.stringify(v)}`);

  const expired = await w.post('/api/v1/invitations/accept', { token: tLate }, late.token);
  assertError(expired, 410, 'invitation_expired', 'accept at +31 days:');
  const again = await w.post('/api/v1/invitations/accept', { token: tLate }, late.token);
  assertError(again, 410, 'invitation_expired', 'an expired token stays expired:');

  // Re-invite after expiry: a new mail, a new token valid 30 days from the (moved) clock.
  const before = (await w.mailsTo(late.email, { kind: 'invitation' })).length;
  const re = await w.invite(r, late.email);
  assert.equal(re.json.status, 'pending');
  const shifted = T0 + 31 * DAY * 1000 + 30 * DAY * 1000;
  assert.ok(Math.abs(Date.parse(re.json.expires_at) - shifted) < 60 * 60 * 1000,
    `expires_at ${re.json.expires_at} is not 30 days after the test clock`);
  const t2 = await w.inviteToken(late.email, { after: before });
  assert.notEqual(t2, tLate);
  const ok2 = await w.post('/api/v1/invitations/accept', { token: t2 }, late.token);
  assert.equal(ok2.status, 201, `accept of the re-invitation: ${describeRes(ok2)}`);
  assert.equal(ok2.json.status, 'active');
});

test('every mail went out exactly once; the outbox has nothing pending or failed', async () => {
  const counts = await w.outboxDrained();
  assert.doesNotMatch(counts, /pending|failed/, `outbox: ${counts}`);
  const sent = Number(w.sql("SELECT COUNT(*) FROM outbox WHERE status = 'sent'"));
  assert.equal(w.sink.messages.length, sent, `sink got ${w.sink.messages.length} messages, outbox sent ${sent}`);
});

test('kite audit verify passes', async () => {
  await w.auditOk();
  const actions = w.sql(`SELECT ${sqlGroupConcat('action', { distinct: true })} FROM audit_log`);
  for (const a of ['invitation.create', 'invitation.accept', 'policy.create', 'resident.add']) {
    assert.ok(actions.includes(a), `no ${a} in the audit log: ${actions}`);
  }
});

test('a resident cancels a pending invitation: its link stops working; only their own, only while pending', async () => {
  // An earlier test moved the clock a month ahead: sessions of before have ended.
  await w.signInAgain(op);
  await w.signInAgain(res1);
  const email = uniqueEmail('cancelled');
  const res = await w.invite(res1, email);
  const token = await w.inviteToken(email);
  const stranger = await w.resident(op.token, FED, { number: bopNumber(), first_name: 'Other', last_name: 'Resident' });
  assertError(await w.del(`/api/v1/invitations/${res.json.id}`, stranger.token), 404, 'not_found', "another resident's:");
  const contact = await w.contact({ email });
  assertError(await w.del(`/api/v1/invitations/${res.json.id}`, contact.token), 403, 'forbidden', 'a contact:');
  const done = await w.del(`/api/v1/invitations/${res.json.id}`, res1.token);
  assert.equal(done.status, 204, describeRes(done));
  const listed = (await w.get('/api/v1/invitations', res1.token)).json.items.find((i) => i.id === res.json.id);
  assert.equal(listed.status, 'revoked');
  assertError(await w.post('/api/v1/invitations/accept', { token }, contact.token), 409, 'invitation_already_used',
    'the cancelled link:');
  assertError(await w.del(`/api/v1/invitations/${res.json.id}`, res1.token), 409, 'already_decided', 'cancelled twice:');
  assertError(await w.del('/api/v1/invitations/999999999', res1.token), 404, 'not_found');
  // Invited again, the new link works.
  await w.invite(res1, email);
  const fresh = await w.inviteToken(email, { after: 1 });
  assert.equal((await w.post('/api/v1/invitations/accept', { token: fresh }, contact.token)).status, 201);
});

test('accepting an invitation proves the address it was mailed to: an unconfirmed account is confirmed by it', async () => {
  const email = uniqueEmail('proven');
  await w.invite(res1, email);
  const token = await w.inviteToken(email);
  const reg = await register(w.srv, { email }, { verify: false });
  const s = await session(w.srv, reg.email, reg.password);
  assert.equal((await w.get('/api/v1/me', s.token)).json.email_verified, false);
  const res = await w.post('/api/v1/invitations/accept', { token }, s.token);
  assert.equal(res.status, 201, describeRes(res));
  assert.equal((await w.get('/api/v1/me', s.token)).json.email_verified, true, 'the link came from that mailbox');
});
