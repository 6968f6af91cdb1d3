// Staff accounts fit for a justice agency (issue 13, item 4): TOTP two-factor sign-in for every staff
// and operator account with codes computed here as an authenticator app would (RFC 6238), each code
// accepted once, single-use recovery codes, wrong codes slowed by the progressive delays without
// locking the real person out, a staff account without two-factor limited to enrolling, an operator's
// reset, the 30-minute idle sign-out of staff sessions (with the test clock), and the staff-activity
// report of a facility from the audit chain.  Runs on SQLite and on PostgreSQL alike.
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, onPlatform, pair, send, decide, describeRes, uniqueEmail,
} from './lib/messaging.mjs';
import {
  userAdd, signIn, session, strongPassword, totpCode, totpStep, rememberTotp, freshAddress, auditCount, usableStep,
} from './lib/kite.mjs';

let w;
let op;
let A;
let B;
let adminA;
let adminB;
let revA;
let invA;
let pA;

/** A staff account made by the CLI without a secret (it enrols itself), at facility A unless operator. */
async function unenrolled(role) {
  const email = uniqueEmail(`bare-${role}`);
  const password = strongPassword();
  const r = await userAdd(w.dbPath, { role, email, password, facility: role === 'operator' ? undefined : A, totp: false });
  assert.equal(r.code, 0, r.stderr);
  return { email, password };
}

/** Enrols person (signed in with a password only) by hand, as the tests of enrolment need: {secret, codes, token}. */
async function enrolByHand(person) {
  const s = await signIn(w.srv, person.email, person.password);
  assert.equal(s.status, 201, describeRes(s));
  assert.equal(s.json.two_factor_enrollment_required, true);
  const begun = await w.post('/api/v1/me/two-factor', {}, s.json.token);
  assert.equal(begun.status, 201, describeRes(begun));
  const step = totpStep(w.srv);
  const done = await w.post('/api/v1/me/two-factor/confirm', { code: totpCode(begun.json.secret, step) }, s.json.token);
  assert.equal(done.status, 200, describeRes(done));
  rememberTotp(person.email, begun.json.secret, step);
  return { secret: begun.json.secret, codes: done.json.recovery_codes, token: s.json.token, step };
}

before(async () => {
  w = await World.start();
  op = await w.operator();
  A = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay' });
  B = await onPlatform(w, op, 'CALIFORNIA STATE PRISON, CORCORAN (COR)', { profile: 'jpay' });
  adminA = await w.staff(op.token, A, 'facility_admin');
  adminB = await w.staff(op.token, B, 'facility_admin');
  revA = await w.staff(op.token, A, 'reviewer');
  invA = await w.staff(op.token, A, 'investigator');
  pA = await pair(w, op, A, 'jpay', { contactName: 'Carmen Ruiz' });
});
after(async () => { if (w) await w.close(); });

test('a staff account without two-factor gets a session that may only enrol; the first real code turns it on', async () => {
  const bare = await unenrolled('reviewer');
  const s = await signIn(w.srv, bare.email, bare.password);
  assert.equal(s.status, 201, describeRes(s));
  assert.equal(s.json.two_factor_enrollment_required, true);
  const token = s.json.token;
  assertError(await w.get(`/api/v1/review/queue?facility_id=${A}`, token), 403, 'two_factor_enrollment_required');
  assertError(await w.get(`/api/v1/facilities/${A}/residents`, token), 403, 'two_factor_enrollment_required');
  assert.equal((await w.get('/api/v1/me', token)).status, 200);
  const state = await w.get('/api/v1/me/two-factor', token);
  assert.deepEqual(state.json, { enrolled: false, recovery_codes_left: 0 });

  const begun = await w.post('/api/v1/me/two-factor', {}, token);
  assert.equal(begun.status, 201, describeRes(begun));
  assert.match(begun.json.secret, /^[A-Z2-7]{32}$/);
  assert.equal(begun.json.otpauth_uri,
    `otpauth://totp/Kite:${encodeURIComponent(bare.email)}?secret=${begun.json.secret}&issuer=Kite&algorithm=SHA1&digits=6&period=30`);
  assert.match(begun.headers['cache-control'], /no-store/);
  // Not on until confirmed: a password alone still gives the enrol-only session.
  const again = await signIn(w.srv, bare.email, bare.password);
  assert.equal(again.status, 201);
  assert.equal(again.json.two_factor_enrollment_required, true);

  const wrong = await w.post('/api/v1/me/two-factor/confirm', { code: '12345' }, token);
  assertError(wrong, 422, 'invalid_field');
  const step = totpStep(w.srv);
  const done = await w.post('/api/v1/me/two-factor/confirm', { code: totpCode(begun.json.secret, step) }, token);
  assert.equal(done.status, 200, describeRes(done));
  assert.equal(done.json.recovery_codes.length, 10);
  assert.equal(new Set(done.json.recovery_codes).size, 10);
  for (const c of done.json.recovery_codes) assert.match(c, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
  rememberTotp(bare.email, begun.json.secret, step);
  // The same session now does staff work; starting again is refused.
  assert.equal((await w.get(`/api/v1/review/queue?facility_id=${A}`, token)).status, 200);
  assertError(await w.post('/api/v1/me/two-factor', {}, token), 409, 'conflict');
  assert.deepEqual((await w.get('/api/v1/me/two-factor', token)).json, { enrolled: true, recovery_codes_left: 10 });
  // The store keeps hashes, never the recovery codes themselves.
  const stored = w.sql(`SELECT code_hash FROM staff_recovery_codes WHERE account_id = ${s.json.account.id}`);
  for (const c of done.json.recovery_codes) assert.ok(!stored.includes(c.replace('-', '')));
});

test('an enrolled account: the password alone answers two_factor_required with no session; a real code signs in, once', async () => {
  const bare = await unenrolled('investigator');
  const { secret, step: enrolStep } = await enrolByHand(bare);
  const alone = await w.post('/api/v1/sessions', { email: bare.email, password: bare.password });
  assertError(alone, 401, 'two_factor_required');
  assert.equal(alone.json.token, undefined);
  assert.equal(alone.headers['set-cookie'], undefined);
  // The step after the enrolment's (the enrolment spent its own), computed here from the secret.
  const step = usableStep(w.srv, enrolStep);
  const code = totpCode(secret, step);
  const ok = await w.post('/api/v1/sessions', { email: bare.email, password: bare.password, totp_code: code });
  assert.equal(ok.status, 201, describeRes(ok));
  assert.equal(ok.json.two_factor_enrollment_required, false);
  assert.equal((await w.get(`/api/v1/investigations/messages?facility_id=${A}&q=x`, ok.json.token)).status, 200);
  // The same code again (a replay, or an onlooker) is refused, and so is the enrolment's older one.
  const elsewhere = () => ({ localAddress: freshAddress() });
  assertError(await w.post('/api/v1/sessions', { email: bare.email, password: bare.password, totp_code: code }, undefined, elsewhere()),
    401, 'invalid_two_factor_code');
  assertError(await w.post('/api/v1/sessions', { email: bare.email, password: bare.password, totp_code: totpCode(secret, enrolStep) },
    undefined, elsewhere()), 401, 'invalid_two_factor_code');
  // A wrong password with the right code is still the password's answer.
  assertError(await w.post('/api/v1/sessions', { email: bare.email, password: 'Wrong-password-9!', totp_code: totpCode(secret, step + 1) },
    undefined, elsewhere()), 401, 'invalid_credentials');
  // Codes of the wrong shape are refused the same way, never 500.
  for (const bad of ['', '12345', '1234567', 'abcdef', '12 456']) {
    assertError(await w.post('/api/v1/sessions', { email: bare.email, password: bare.password, totp_code: bad }, undefined, { localAddress: freshAddress() }),
      401, 'invalid_two_factor_code');
  }
});

test('recovery codes sign in once each; new ones (with a current code) replace the old', async () => {
  const bare = await unenrolled('facility_admin');
  const { codes, token } = await enrolByHand(bare);
  const first = await w.post('/api/v1/sessions', { email: bare.email, password: bare.password, recovery_code: codes[0].toUpperCase() });
  assert.equal(first.status, 201, describeRes(first));
  assertError(await w.post('/api/v1/sessions', { email: bare.email, password: bare.password, recovery_code: codes[0] }),
    401, 'invalid_two_factor_code');
  assert.equal((await w.get('/api/v1/me/two-factor', token)).json.recovery_codes_left, 9);
  // Typed without the dash it is the same code.
  const second = await w.post('/api/v1/sessions', { email: bare.email, password: bare.password, recovery_code: codes[1].replace('-', '') });
  assert.equal(second.status, 201, describeRes(second));

  assertError(await w.post('/api/v1/me/two-factor/recovery-codes', { code: '000000x' }, token), 422, 'invalid_field');
  const s = await session(w.srv, bare.email, bare.password); // spends a step the harness tracks
  const { nextTotp } = await import('./lib/kite.mjs');
  const renewed = await w.post('/api/v1/me/two-factor/recovery-codes', { code: (await nextTotp(w.srv, bare.email)).code }, s.token);
  assert.equal(renewed.status, 200, describeRes(renewed));
  assert.equal(renewed.json.recovery_codes.length, 10);
  assertError(await w.post('/api/v1/sessions', { email: bare.email, password: bare.password, recovery_code: codes[2] }),
    401, 'invalid_two_factor_code');
  const fresh = await w.post('/api/v1/sessions', { email: bare.email, password: bare.password, recovery_code: renewed.json.recovery_codes[0] });
  assert.equal(fresh.status, 201, describeRes(fresh));
  const rows = w.auditRows("action LIKE 'two_factor.%'");
  assert.ok(rows.some((r) => r.action === 'two_factor.recovery_codes_renewed'), JSON.stringify(rows));
  assert.ok(rows.some((r) => r.action === 'two_factor.recovery_code_used'));
});

test('wrong codes are slowed down from the guessing address; the real staff member elsewhere still signs in', async () => {
  const bare = await unenrolled('reviewer');
  const { secret, step: enrolStep } = await enrolByHand(bare);
  const attacker = freshAddress();
  const guess = (code) => w.post('/api/v1/sessions', { email: bare.email, password: bare.password, totp_code: code },
    undefined, { localAddress: attacker });
  const wrongCode = (n) => { // never one of the three codes the server accepts now
    const near = new Set([-1, 0, 1].map((d) => totpCode(secret, totpStep(w.srv) + d)));
    let c = String(n).padStart(6, '0');
    while (near.has(c)) c = String((Number(c) + 1) % 1_000_000).padStart(6, '0');
    return c;
  };
  for (let i = 0; i < 3; i++) assertError(await guess(wrongCode(111111 * (i + 1))), 401, 'invalid_two_factor_code');
  const slowed = await guess(wrongCode(444444));
  assertError(slowed, 429, 'too_many_attempts');
  assert.ok(Number(slowed.headers['retry-after']) >= 1, 'a wait is named');
  // Even the right code waits at the guessing address...
  const step = usableStep(w.srv, enrolStep);
  assertError(await guess(totpCode(secret, step)), 429, 'too_many_attempts');
  // ...but the real person at their own desk is not held up.
  const real = await w.post('/api/v1/sessions', { email: bare.email, password: bare.password, totp_code: totpCode(secret, step) },
    undefined, { localAddress: freshAddress() });
  assert.equal(real.status, 201, describeRes(real));
  const failed = w.auditRows(`action = 'signin.failed' AND target = 'account:${real.json.account.id}'`);
  assert.equal(failed.length, 3, 'each wrong code is a failed sign-in on the record');
});

test('an operator resets a staff member\'s two-factor: sessions end, the next sign-in may only enrol (audited)', async () => {
  const bare = await unenrolled('reviewer');
  await enrolByHand(bare);
  const s = await session(w.srv, bare.email, bare.password);
  assertError(await w.del(`/api/v1/accounts/${s.account.id}/two-factor`, adminA.token), 403, 'forbidden');
  assertError(await w.del(`/api/v1/accounts/${pA.contact.account.id}/two-factor`, op.token), 404, 'not_found');
  const reset = await w.del(`/api/v1/accounts/${s.account.id}/two-factor`, op.token);
  assert.equal(reset.status, 204, describeRes(reset));
  assertError(await w.get('/api/v1/me', s.token), 401, 'unauthenticated');
  const after = await w.post('/api/v1/sessions', { email: bare.email, password: bare.password });
  assert.equal(after.status, 201, describeRes(after));
  assert.equal(after.json.two_factor_enrollment_required, true);
  const rows = w.auditRows(`action = 'two_factor.reset' AND target = 'account:${s.account.id}'`);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].actor, `account:${op.account.id}`);
});

test('the staff-activity report: who reviewed, searched, read and changed what, when; the facility\'s admin and operators only', async () => {
  const msg = await send(w, pA.contact, pA.contactId, 'Visit', 'See you on Sunday with the kids.');
  await decide(w, revA, msg.id, 'approve');
  assert.equal((await w.get(`/api/v1/investigations/messages?facility_id=${A}&q=sunday`, invA.token)).status, 200);
  assert.equal((await w.get(`/api/v1/messages/${msg.id}`, invA.token)).status, 200);
  await w.putPolicy(adminA.token, A, { profile: 'jpay', daily_send_limit: 40 });

  const res = await w.get(`/api/v1/facilities/${A}/staff-activity?limit=100`, adminA.token);
  assert.equal(res.status, 200, describeRes(res));
  const items = res.json.items;
  const find = (who, action) => items.find((x) => x.account_id === who.account.id && x.action === action);
  const review = find(revA, 'message.approved');
  assert.ok(review, `no review in ${JSON.stringify(items.map((x) => x.action))}`);
  assert.equal(review.kind, 'review');
  assert.equal(review.role, 'reviewer');
  assert.equal(review.target, `message:${msg.id}`);
  const search = find(invA, 'investigation.search');
  assert.equal(search.kind, 'search');
  assert.match(search.detail, /q=sunday/);
  const read = find(invA, 'message.staff_read');
  assert.equal(read.kind, 'read');
  assert.equal(read.target, `message:${msg.id}`);
  assert.equal(find(adminA, 'policy.update').kind, 'policy');
  assert.ok(items.some((x) => x.kind === 'sign_in' && x.account_id === revA.account.id));
  for (const x of items) {
    assert.match(x.at, /^\d{4}-\d\d-\d\dT/);
    assert.ok(['reviewer', 'investigator', 'facility_admin'].includes(x.role), 'only the facility\'s staff');
  }
  assert.ok(!items.some((x) => x.account_id === adminB.account.id), 'not another facility\'s staff');
  const ids = items.map((x) => x.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');

  // Paged by cursor, without gaps or repeats.
  const p1 = (await w.get(`/api/v1/facilities/${A}/staff-activity?limit=2`, op.token)).json;
  assert.equal(p1.items.length, 2);
  assert.ok(p1.next_cursor);
  const p2 = (await w.get(`/api/v1/facilities/${A}/staff-activity?limit=2&cursor=${p1.next_cursor}`, op.token)).json;
  assert.deepEqual([...p1.items, ...p2.items].map((x) => x.id), ids.slice(0, 4));
  // Dates: nothing before yesterday's end; a bad date is 422.
  const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  assert.deepEqual((await w.get(`/api/v1/facilities/${A}/staff-activity?to=${day}`, op.token)).json.items, []);
  assert.equal((await w.get(`/api/v1/facilities/${A}/staff-activity?from=${day}&limit=100`, op.token)).json.items.length, items.length);
  assertError(await w.get(`/api/v1/facilities/${A}/staff-activity?from=yesterday`, op.token), 422, 'invalid_field');
  assertError(await w.get(`/api/v1/facilities/${A}/staff-activity?cursor=x1`, op.token), 422, 'invalid_field');
  // Scope: another facility's admin 404, the facility's reviewer and investigator 403.
  assertError(await w.get(`/api/v1/facilities/${A}/staff-activity`, adminB.token), 404, 'not_found');
  assertError(await w.get(`/api/v1/facilities/${A}/staff-activity`, revA.token), 403, 'forbidden');
  assertError(await w.get(`/api/v1/facilities/${A}/staff-activity`, invA.token), 403, 'forbidden');
  // The same as CSV, for a spreadsheet: a header, a line per record, text quoted.
  const csv = await w.get(`/api/v1/facilities/${A}/staff-activity.csv`, adminA.token);
  assert.equal(csv.status, 200, describeRes(csv));
  assert.match(csv.headers['content-type'], /^text\/csv/);
  const lines = csv.text.trim().split('\r\n');
  assert.equal(lines[0], 'id,at,account_id,name,role,kind,action,target,detail');
  assert.ok(lines.length - 1 >= items.length, 'every record of the page is in the export');
  assert.ok(lines.some((l) => l.startsWith(`${search.id},`) && l.includes('"investigation.search"') && l.includes('q=sunday')));
  assertError(await w.get(`/api/v1/facilities/${A}/staff-activity.csv`, revA.token), 403, 'forbidden');
  assertError(await w.get(`/api/v1/facilities/${A}/staff-activity.csv`, adminB.token), 404, 'not_found');
  await auditCount(w.dbPath);
});

test('a staff session unused for 30 minutes ends (session_expired); use keeps it alive; family sessions keep their rules', async () => {
  const staff = await w.staff(op.token, A, 'reviewer');
  const family = pA.contact;
  const family2 = await session(w.srv, family.email, family.password);
  await w.restart({ clockOffset: 29 * 60 });
  assert.equal((await w.get('/api/v1/me', staff.token)).status, 200, 'used after 29 minutes');
  await w.restart({ clockOffset: 58 * 60 });
  assert.equal((await w.get('/api/v1/me', staff.token)).status, 200, 'the use at 29 minutes counted');
  await w.restart({ clockOffset: 89 * 60 });
  assertError(await w.get('/api/v1/me', staff.token), 401, 'session_expired');
  assertError(await w.get(`/api/v1/review/queue?facility_id=${A}`, staff.token), 401, 'session_expired');
  const current = await w.get('/api/v1/sessions/current', staff.token);
  assert.equal(current.status, 200);
  assert.equal(current.json.account, null, 'the page is told there is no session');
  assert.equal((await w.get('/api/v1/me', family2.token)).status, 200, 'a contact is not signed out after 89 idle minutes');
  // Signing in again works at once (with the next code).
  const again = await session(w.srv, staff.email, staff.password);
  assert.equal((await w.get('/api/v1/me', again.token)).status, 200);
  await w.restart({ clockOffset: 0 });
});
