// Email addresses that are proven, and registration that tells nobody who has an account:
// a verification link mailed at registration (single use, 7 days, 3 links an hour), 403
// email_not_verified before the first paid action (a card top-up through the sandbox processor)
// and the same action after; a registration for a taken address answers 201 like any other,
// makes an account that cannot reach the real one, and mails the owner a notice; changing the
// email address with a link to the new address and a notice to the old one.
import { test, before, after } from 'node:test';
import {
  startServer, assert, assertError, register, signIn, session, strongPassword, uniqueEmail, sleep, sqlite,
} from './lib/kite.mjs';
import { SmtpSink, parseMessage } from './lib/smtp-sink.mjs';
import { startSandbox, CARDS } from './lib/processor.mjs';

const PUBLIC_URL = 'https://kite.test.example';
const VERIFY_RE = /https:\/\/kite\.test\.example\/verify-email\?token=([0-9a-f]{64})/;
const CHANGE_RE = /https:\/\/kite\.test\.example\/confirm-email\?token=([0-9a-f]{64})/;

let srv, sink, sb;
before(async () => {
  sink = new SmtpSink();
  await sink.start();
  sb = await startSandbox();
  srv = await startServer({
    extraArgs: ['--smtp', sink.url, '--public-url', PUBLIC_URL, '--mail-from', 'no-reply@kite.test.example',
      '--processor', sb.baseUrl],
  });
});
after(async () => {
  if (srv) await srv.cleanup();
  if (sb) await sb.cleanup();
  if (sink) await sink.stop();
});

/* The mails that carry a confirmation link: a registration's welcome, and a link sent again. */
const LINK_SUBJECTS = ['Welcome to Kite', 'Confirm your email address for Kite'];

/* subject: one subject, or a list of them. */
function mailsTo(to, subject) {
  const wanted = Array.isArray(subject) ? subject : [subject];
  return sink.messagesTo(to).map((m) => parseMessage(m.data)).filter((m) => wanted.includes(m.header('Subject')));
}

/** Waits for the nth mail to `to` with this subject. */
async function mail(to, subject, nth = 1) {
  const until = Date.now() + 20_000;
  for (;;) {
    const mails = mailsTo(to, subject);
    if (mails.length >= nth) return mails[nth - 1];
    if (Date.now() > until) assert.fail(`no mail #${nth} "${subject}" to ${to}`);
    await sleep(100);
  }
}

async function verifyLink(to, nth = 1) {
  const m = VERIFY_RE.exec((await mail(to, LINK_SUBJECTS, nth)).text);
  assert.ok(m, 'the mail has the link');
  return m[1];
}

const confirm = (token) => srv.post('/api/v1/email-verifications/confirm', { token });
const me = async (token) => (await srv.get('/api/v1/me', { token })).json;
let keys = 0;
const topUp = (token) => srv.request('POST', '/api/v1/wallet/top-ups', {
  body: { amount_cents: 2500, card: { number: CARDS.approved, exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' } },
  token, headers: { 'Idempotency-Key': `bb-verify-${process.pid}-${++keys}` },
});

test('the link confirms the address once; an unknown link is 404, a used or old one 410', async () => {
  const reg = await register(srv, {}, { verify: false });
  assert.equal(reg.account.email_verified, false);
  const s = await session(srv, reg.email, reg.password);
  assert.equal((await me(s.token)).email_verified, false);
  const token = await verifyLink(reg.email);
  assert.equal((await confirm(token)).status, 204);
  assert.equal((await me(s.token)).email_verified, true);
  assertError(await confirm(token), 410, 'verification_link_expired');
  assertError(await confirm('0'.repeat(64)), 404, 'not_found');
  assertError(await confirm('not-a-token'), 404, 'not_found');

  const late = await register(srv, {}, { verify: false });
  const old = await verifyLink(late.email);
  sqlite(srv.dbPath, `UPDATE email_verifications SET expires_at = 1 WHERE account_id = ${late.account.id}`);
  const gone = await confirm(old);
  assertError(gone, 410, 'verification_link_expired');
  assert.match(gone.json.error.message, /expired or was already used/);
});

test('resending: 204, a new link that works; the fourth link of the hour is 429', async () => {
  const reg = await register(srv, {}, { verify: false });
  const s = await session(srv, reg.email, reg.password);
  for (let i = 0; i < 2; i++) {
    const r = await srv.post('/api/v1/me/email-verification', {}, { token: s.token });
    assert.equal(r.status, 204, r.text);
  }
  assertError(await srv.post('/api/v1/me/email-verification', {}, { token: s.token }), 429, 'too_many_attempts');
  const third = await verifyLink(reg.email, 3);
  assert.equal((await confirm(third)).status, 204);
  assert.equal((await me(s.token)).email_verified, true);
  assertError(await confirm(await verifyLink(reg.email, 1)), 410, 'verification_link_expired', 'every link is spent');
  assert.equal((await srv.post('/api/v1/me/email-verification', {}, { token: s.token })).status, 429);
  assert.equal((await srv.post('/api/v1/me/email-verification', {})).status, 401);
});

test('paying before the address is confirmed is 403 email_not_verified; after, the same top-up goes through', async () => {
  const reg = await register(srv, {}, { verify: false });
  const s = await session(srv, reg.email, reg.password);
  const refused = await topUp(s.token);
  assertError(refused, 403, 'email_not_verified');
  assert.match(refused.json.error.message, /open the link we sent/);
  assert.match(refused.json.error.message, /Send the link again/);
  assert.equal((await srv.get('/api/v1/wallet', { token: s.token })).status, 200, 'free things stay open');
  assert.equal((await confirm(await verifyLink(reg.email))).status, 204);
  const paid = await topUp(s.token);
  assert.equal(paid.status, 201, paid.text);
});

test('a taken address: the same 201, a separate account, the owner is told, and still signs in', async () => {
  const owner = await register(srv); // confirmed (kite user verify-email)
  await mail(owner.email, LINK_SUBJECTS); // its own registration's link
  const free = await srv.post('/api/v1/accounts', {
    email: uniqueEmail('free'), password: strongPassword(), full_name: 'Someone Else', phone: '+1 555 0100',
  });
  const strangerPassword = strongPassword();
  const taken = await srv.post('/api/v1/accounts', {
    email: owner.email.toUpperCase(), password: strangerPassword, full_name: 'Someone Else', phone: '+1 555 0100',
  });
  assert.equal(taken.status, free.status);
  assert.equal(taken.status, 201, taken.text);
  assert.deepEqual(Object.keys(taken.json).sort(), Object.keys(free.json).sort());
  assert.equal(taken.json.email_verified, false);
  assert.notEqual(taken.json.id, owner.account.id);

  const notice = await mail(owner.email, 'Someone tried to create a Kite account with your email');
  assert.match(notice.text, /If it was you, you already have an account: sign in, or reset your password/);
  assert.equal(mailsTo(owner.email, LINK_SUBJECTS).length, 1, 'no link for a taken address');

  // The stranger signs in to their own, new account only: never the owner's.
  const stranger = await session(srv, owner.email, strangerPassword);
  assert.equal(stranger.account.id, taken.json.id);
  assert.equal(stranger.account.email_verified, false);
  const ownerSession = await session(srv, owner.email, owner.password);
  assert.equal(ownerSession.account.id, owner.account.id);
  assert.equal(ownerSession.account.email_verified, true);
  assertError(await signIn(srv, owner.email, strongPassword()), 401, 'invalid_credentials');
  // It can never be confirmed: a new link is not sent, and the owner's verified account stays the only one.
  assert.equal((await srv.post('/api/v1/me/email-verification', {}, { token: stranger.token })).status, 204);
  await sleep(500);
  assert.equal(mailsTo(owner.email, LINK_SUBJECTS).length, 1);
  assertError(await topUp(stranger.token), 403, 'email_not_verified');
});

test('change email: a link to the new address, a notice to the old, wrong password, a taken address', async () => {
  const reg = await register(srv);
  const s = await session(srv, reg.email, reg.password);
  const wrong = await srv.post('/api/v1/me/email', { new_email: uniqueEmail('new'), current_password: 'not-it-at-all' },
    { token: s.token });
  assertError(wrong, 422, 'invalid_field');
  assert.equal(wrong.json.error.field, 'current_password');
  assertError(await srv.post('/api/v1/me/email', { new_email: reg.email, current_password: reg.password },
    { token: s.token }), 422, 'invalid_field');

  const other = await register(srv);
  const takenAsk = await srv.post('/api/v1/me/email', { new_email: other.email, current_password: reg.password },
    { token: s.token });
  const fresh = uniqueEmail('moved');
  const freeAsk = await srv.post('/api/v1/me/email', { new_email: fresh, current_password: reg.password },
    { token: s.token });
  assert.equal(takenAsk.status, 202, takenAsk.text);
  assert.equal(freeAsk.status, 202, freeAsk.text);
  assert.deepEqual(takenAsk.json, freeAsk.json, 'the answer tells nothing about the address');
  const told = await mail(other.email, 'Someone tried to use your email on another Kite account / Alguien intentó usar su correo en otra cuenta de Kite');
  assert.doesNotMatch(told.text, /confirm-email/);

  const old = await mail(reg.email, 'Your Kite email is being changed', 2);
  const masked = `${fresh[0]}***@example.com`;
  assert.ok(old.text.includes(`Your Kite email is being changed to ${masked}`), old.text);
  assert.match(old.text, /change your password/);
  const m = CHANGE_RE.exec((await mail(fresh, 'Confirm your new email address for Kite')).text);
  assert.ok(m, 'the new address has the link');
  const done = await srv.post('/api/v1/email-changes/confirm', { token: m[1] });
  assert.equal(done.status, 204, done.text);
  assertError(await srv.post('/api/v1/email-changes/confirm', { token: m[1] }), 410, 'email_change_link_expired');
  assertError(await srv.post('/api/v1/email-changes/confirm', { token: 'f'.repeat(64) }), 404, 'not_found');
  const after = await me(s.token);
  assert.equal(after.email, fresh);
  assert.equal(after.email_verified, true);
  assert.equal((await signIn(srv, fresh, reg.password)).status, 201);
  assert.equal((await signIn(srv, reg.email, reg.password)).status, 401, 'the old address no longer signs in');
  assert.equal((await signIn(srv, other.email, other.password)).status, 201, 'the taken address kept its owner');
});

test('a password reset link proves the address too', async () => {
  const reg = await register(srv, {}, { verify: false });
  assert.equal((await srv.post('/api/v1/password-resets', { email: reg.email })).status, 202);
  const m = /reset-password\?token=([0-9a-f]{64})/.exec((await mail(reg.email, 'Reset your Kite password')).text);
  const password = strongPassword();
  assert.equal((await srv.post('/api/v1/password-resets/confirm', { token: m[1], password })).status, 204);
  const s = await session(srv, reg.email, password);
  assert.equal(s.account.email_verified, true);
});
