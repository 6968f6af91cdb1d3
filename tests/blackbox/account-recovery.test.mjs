// Accounts that recover: a forgotten password (POST /api/v1/password-resets, .../confirm) with the
// same answer whether or not an account has the address, a single-use link mailed through a real
// SMTP sink, 410 for a used, unknown or expired link, 3 mails an account an hour, a throttled
// address; a changed password; signing out everywhere; a new tab reading its session by cookie.
import { test, after } from 'node:test';
import {
  startServer, assert, assertError, register, signIn, session, strongPassword, uniqueEmail, sleep,
} from './lib/kite.mjs';
import { SmtpSink, parseMessage } from './lib/smtp-sink.mjs';

const PUBLIC_URL = 'https://kite.test.example';
const LINK_RE = /https:\/\/kite\.test\.example\/reset-password\?token=([0-9a-f]{64})/;

const servers = [];
const sinks = [];
after(async () => {
  for (const s of servers) await s.cleanup();
  for (const k of sinks) await k.stop();
});

async function setup(opts = {}) {
  const sink = new SmtpSink();
  sinks.push(sink);
  await sink.start();
  const srv = await startServer({
    ...opts,
    extraArgs: ['--smtp', sink.url, '--public-url', PUBLIC_URL, '--mail-from', 'no-reply@kite.test.example',
      ...(opts.extraArgs || [])],
  });
  servers.push(srv);
  return { srv, sink };
}

/** Waits for the nth mail to `to` whose subject is the reset's; returns its token. */
async function resetLink(sink, to, nth = 1) {
  const until = Date.now() + 20_000;
  for (;;) {
    const mails = sink.messagesTo(to).map((m) => parseMessage(m.data))
      .filter((m) => m.header('Subject') === 'Reset your Kite password');
    if (mails.length >= nth) {
      const m = LINK_RE.exec(mails[nth - 1].text);
      assert.ok(m, `no reset link in the mail:\n${mails[nth - 1].text}`);
      assert.ok(mails[nth - 1].html.includes(`href="${PUBLIC_URL}/reset-password?token=${m[1]}"`), 'the HTML has the link');
      return m[1];
    }
    if (Date.now() > until) assert.fail(`no reset mail #${nth} to ${to}`);
    await sleep(100);
  }
}

function resetMails(sink, to) {
  return sink.messagesTo(to).map((m) => parseMessage(m.data)).filter((m) => m.header('Subject') === 'Reset your Kite password');
}

test('reset by mail: same answer for any address, the link sets a new password once, every session ends', async () => {
  const { srv, sink } = await setup();
  const reg = await register(srv);
  const email = reg.email.toLowerCase();
  const before = await session(srv, reg.email, reg.password);
  assert.equal((await srv.get('/api/v1/me', { token: before.token })).status, 200);

  const known = await srv.post('/api/v1/password-resets', { email: reg.email.toUpperCase() });
  const unknown = await srv.post('/api/v1/password-resets', { email: uniqueEmail('nobody') });
  assert.equal(known.status, 202);
  assert.equal(unknown.status, 202);
  assert.deepEqual(known.json, unknown.json, 'the answer tells nothing about the address');

  const token = await resetLink(sink, email);
  await sleep(1000);
  assert.equal(sink.messages.filter((m) => m.to.some((t) => t.startsWith('nobody'))).length, 0, 'no mail to an unknown address');

  const weak = await srv.post('/api/v1/password-resets/confirm', { token, password: 'short' });
  assertError(weak, 422, 'weak_password');
  const fresh = strongPassword();
  const done = await srv.post('/api/v1/password-resets/confirm', { token, password: fresh });
  assert.equal(done.status, 204, done.text);

  assert.equal((await srv.get('/api/v1/me', { token: before.token })).status, 401, 'the old session ended');
  assert.equal((await signIn(srv, reg.email, reg.password)).status, 401, 'the old password no longer works');
  assert.equal((await signIn(srv, reg.email, fresh)).status, 201, 'the new password works');

  const again = await srv.post('/api/v1/password-resets/confirm', { token, password: strongPassword() });
  assertError(again, 410, 'reset_link_expired');
  const made = await srv.post('/api/v1/password-resets/confirm', { token: 'f'.repeat(64), password: strongPassword() });
  assertError(made, 410, 'reset_link_expired');
  const odd = await srv.post('/api/v1/password-resets/confirm', { token: 'not a token', password: strongPassword() });
  assertError(odd, 410, 'reset_link_expired');
  assertError(await srv.post('/api/v1/password-resets', { email: 'not an email' }), 422, 'invalid_field');
  assertError(await srv.post('/api/v1/password-resets/confirm', { password: fresh }), 422, 'invalid_field');
});

test('a newer link spends nothing, using one spends all; at most 3 mails an account an hour', async () => {
  const { srv, sink } = await setup();
  const reg = await register(srv);
  const email = reg.email.toLowerCase();
  for (let i = 0; i < 5; i++) assert.equal((await srv.post('/api/v1/password-resets', { email })).status, 202);
  const first = await resetLink(sink, email, 1);
  const third = await resetLink(sink, email, 3);
  await sleep(1500);
  assert.equal(resetMails(sink, email).length, 3, 'the 4th and 5th asks sent nothing');
  assert.equal((await srv.post('/api/v1/password-resets/confirm', { token: third, password: strongPassword() })).status, 204);
  assertError(await srv.post('/api/v1/password-resets/confirm', { token: first, password: strongPassword() }), 410,
    'reset_link_expired');
});

test('a link an hour old no longer works', async () => {
  const { srv, sink } = await setup();
  const reg = await register(srv);
  assert.equal((await srv.post('/api/v1/password-resets', { email: reg.email })).status, 202);
  const token = await resetLink(sink, reg.email.toLowerCase());
  await srv.stopAndAssertClean();
  const later = await startServer({
    db: srv.dbPath, dir: srv.dir, env: { KITE_ALLOW_TEST_CLOCK: '1' }, extraArgs: ['--test-clock-offset', String(61 * 60)],
  });
  servers.push(later);
  assertError(await later.post('/api/v1/password-resets/confirm', { token, password: strongPassword() }), 410,
    'reset_link_expired');
  assert.equal((await signIn(later, reg.email, reg.password)).status, 201, 'the password did not change');
});

test('one address asking too often is throttled, with the same answer before it', async () => {
  const { srv } = await setup();
  for (let i = 0; i < 20; i++) {
    const r = await srv.post('/api/v1/password-resets', { email: uniqueEmail('many') });
    assert.equal(r.status, 202, `ask ${i + 1}: ${r.status}`);
  }
  const r = await srv.post('/api/v1/password-resets', { email: uniqueEmail('many') });
  assertError(r, 429, 'too_many_attempts');
  assert.match(r.json.error.message, /password resets/);
});

test('a new tab reads its session by the cookie: GET /sessions/current gives the same CSRF token; nulls signed out', async () => {
  const { srv } = await setup();
  const reg = await register(srv);
  const s = await session(srv, reg.email, reg.password);
  const byCookie = await srv.get('/api/v1/sessions/current', { cookie: s.token });
  assert.equal(byCookie.status, 200, byCookie.text);
  assert.equal(byCookie.json.csrf_token, s.csrf_token);
  assert.equal(byCookie.json.account.email, reg.email.toLowerCase());
  // With the token read there, a state-changing request by cookie passes the CSRF check.
  const out = await srv.del('/api/v1/sessions/current', { cookie: s.token, csrf: byCookie.json.csrf_token });
  assert.equal(out.status, 204);
  for (const opts of [{ cookie: s.token }, {}, { token: 'f'.repeat(64) }]) {
    const none = await srv.get('/api/v1/sessions/current', opts);
    assert.equal(none.status, 200, 'no session is an answer, not an error');
    assert.deepEqual(none.json, { csrf_token: null, expires_at: null, account: null });
  }
});

test('sign out everywhere: every session of the account ends, others\' stay', async () => {
  const { srv } = await setup();
  const reg = await register(srv);
  const other = await register(srv);
  const phone = await session(srv, reg.email, reg.password);
  const laptop = await session(srv, reg.email, reg.password);
  const theirs = await session(srv, other.email, other.password);
  assertError(await srv.del('/api/v1/sessions', { cookie: laptop.token }), 403, 'csrf_token_required');
  const done = await srv.del('/api/v1/sessions', { cookie: laptop.token, csrf: laptop.csrf_token });
  assert.equal(done.status, 204, done.text);
  assert.match(done.headers['set-cookie']?.[0] || '', /kite_session=;.*Max-Age=0/);
  assert.equal((await srv.get('/api/v1/me', { token: phone.token })).status, 401);
  assert.equal((await srv.get('/api/v1/me', { token: laptop.token })).status, 401);
  assert.equal((await srv.get('/api/v1/me', { token: theirs.token })).status, 200, 'another account is untouched');
  assert.equal((await signIn(srv, reg.email, reg.password)).status, 201, 'the password still works');
});

test('change password: the current one must be right; other devices are signed out, this one stays; a mail says so', async () => {
  const { srv, sink } = await setup();
  const reg = await register(srv);
  const here = await session(srv, reg.email, reg.password);
  const there = await session(srv, reg.email, reg.password);
  const wrong = await srv.post('/api/v1/me/password', { current_password: 'not my password', new_password: strongPassword() },
    { token: here.token });
  assertError(wrong, 422, 'invalid_field');
  assert.equal(wrong.json.error.field, 'current_password');
  assert.match(wrong.json.error.message, /current password is not right/);
  const weak = await srv.post('/api/v1/me/password', { current_password: reg.password, new_password: 'short' }, { token: here.token });
  assertError(weak, 422, 'weak_password');
  const fresh = strongPassword();
  const ok = await srv.post('/api/v1/me/password', { current_password: reg.password, new_password: fresh }, { token: here.token });
  assert.equal(ok.status, 204, ok.text);
  assert.equal((await srv.get('/api/v1/me', { token: here.token })).status, 200, 'this session stays');
  assert.equal((await srv.get('/api/v1/me', { token: there.token })).status, 401, 'the other device is signed out');
  assert.equal((await signIn(srv, reg.email, reg.password)).status, 401);
  assert.equal((await signIn(srv, reg.email, fresh)).status, 201);
  const until = Date.now() + 20_000;
  let mails = [];
  while (Date.now() < until) {
    mails = sink.messagesTo(reg.email.toLowerCase()).map((m) => parseMessage(m.data))
      .filter((m) => m.header('Subject') === 'Your Kite password was changed');
    if (mails.length) break;
    await sleep(100);
  }
  assert.equal(mails.length, 1, 'the owner is told');
  assert.match(mails[0].text, /Forgot your password\?/);
});

test('a wrong current password counts against the account: the 6th try is throttled', async () => {
  const { srv } = await setup();
  const reg = await register(srv);
  const s = await session(srv, reg.email, reg.password);
  for (let i = 0; i < 5; i++) {
    const r = await srv.post('/api/v1/me/password', { current_password: `wrong ${i}`, new_password: strongPassword() }, { token: s.token });
    assertError(r, 422, 'invalid_field');
  }
  const sixth = await srv.post('/api/v1/me/password', { current_password: reg.password, new_password: strongPassword() }, { token: s.token });
  assertError(sixth, 429, 'too_many_attempts');
});
