// Sign-in throttling: per account (5 failures / 15 min) and per address
// (20 failures / 15 min). Different loopback source addresses tell them apart.
import { test, before, after } from 'node:test';
import {
  startServer, assert, assertError, register, signIn, uniqueEmail, freshAddress,
} from './lib/kite.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.cleanup(); });

function assertThrottled(res, context) {
  assertError(res, 429, 'too_many_attempts', context);
  const ra = res.headers['retry-after'];
  assert.ok(ra !== undefined, `${context} 429 without Retry-After`);
  assert.match(ra, /^\d+$/, `${context} Retry-After "${ra}" is not an integer number of seconds`);
  const n = Number(ra);
  assert.ok(n > 0 && n <= 15 * 60, `${context} Retry-After ${n} outside 1..900`);
}

test('per account: 5 failures (from different addresses) → the 6th attempt is 429 even with the right password', async () => {
  const victim = await register(srv);
  for (let i = 0; i < 5; i++) {
    const res = await signIn(srv, victim.email, `wrong-password-${i}`, { localAddress: freshAddress() });
    assertError(res, 401, 'invalid_credentials', `failure ${i + 1}:`);
  }
  const right = await signIn(srv, victim.email, victim.password, { localAddress: freshAddress() });
  assertThrottled(right, 'right password after 5 failures:');
  assert.equal(right.headers['set-cookie'], undefined, 'a throttled sign-in set a cookie');
  assert.equal(right.json.token, undefined, 'a throttled sign-in returned a token');
  const wrong = await signIn(srv, victim.email, 'wrong-password-x', { localAddress: freshAddress() });
  assertThrottled(wrong, 'wrong password after 5 failures:');
  // the same email in another case is the same account
  const upper = await signIn(srv, victim.email.toUpperCase(), victim.password, { localAddress: freshAddress() });
  assertThrottled(upper, 'upper-case email:');
});

test('per account throttling does not lock out other accounts on the same address', async () => {
  const addr = freshAddress();
  const victim = await register(srv);
  const bystander = await register(srv);
  for (let i = 0; i < 5; i++) {
    assertError(await signIn(srv, victim.email, `nope-nope-${i}`, { localAddress: addr }), 401, 'invalid_credentials');
  }
  assertThrottled(await signIn(srv, victim.email, victim.password, { localAddress: addr }), 'victim:');
  const ok = await signIn(srv, bystander.email, bystander.password, { localAddress: addr });
  assert.equal(ok.status, 201, `bystander locked out on the same address: ${ok.status} ${ok.text}`);
});

test('unknown emails are throttled exactly like real ones (no enumeration through 429)', async () => {
  const ghost = uniqueEmail('ghost');
  for (let i = 0; i < 5; i++) {
    assertError(await signIn(srv, ghost, `whatever-pass-${i}`, { localAddress: freshAddress() }), 401, 'invalid_credentials');
  }
  assertThrottled(await signIn(srv, ghost, 'whatever-pass-x', { localAddress: freshAddress() }), 'unknown email after 5 failures:');
});

test('a successful sign-in does not count as a failure', async () => {
  const user = await register(srv);
  const addr = freshAddress();
  for (let i = 0; i < 7; i++) {
    const res = await signIn(srv, user.email, user.password, { localAddress: addr });
    assert.equal(res.status, 201, `sign-in ${i + 1}: ${res.status} ${res.text}`);
  }
});

test('per address: 20 failures from one address → 429 for any email from it; other addresses unaffected', async () => {
  const addr = freshAddress();
  const user = await register(srv);
  for (let i = 0; i < 20; i++) {
    const res = await signIn(srv, uniqueEmail(`spray${i}`), 'sprayed-password-1', { localAddress: addr });
    assertError(res, 401, 'invalid_credentials', `failure ${i + 1} from ${addr}:`);
  }
  const blocked = await signIn(srv, user.email, user.password, { localAddress: addr });
  assertThrottled(blocked, `right password from throttled ${addr}:`);
  const blocked2 = await signIn(srv, uniqueEmail('fresh'), 'sprayed-password-1', { localAddress: addr });
  assertThrottled(blocked2, `new email from throttled ${addr}:`);
  // X-Forwarded-For from a direct client must not lift the limit
  const spoofed = await signIn(srv, user.email, user.password, { localAddress: addr, headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Real-IP': '203.0.113.7' } });
  assertThrottled(spoofed, 'with X-Forwarded-For:');
  // the account itself is not locked: the same credentials work from elsewhere
  const elsewhere = await signIn(srv, user.email, user.password, { localAddress: freshAddress() });
  assert.equal(elsewhere.status, 201, `account locked by another address's failures: ${elsewhere.status} ${elsewhere.text}`);
});

test('GET /healthz and other endpoints are not throttled for a throttled address', async () => {
  const addr = freshAddress();
  for (let i = 0; i < 20; i++) {
    await signIn(srv, uniqueEmail(`s${i}`), 'sprayed-password-2', { localAddress: addr });
  }
  assertThrottled(await signIn(srv, uniqueEmail('t'), 'sprayed-password-2', { localAddress: addr }), 'address:');
  const h = await srv.get('/healthz', { localAddress: addr });
  assert.equal(h.status, 200);
});

test('registrations: 60 new accounts per address per hour, then 429 with Retry-After; other addresses are not held back', async () => {
  const addr = freshAddress();
  const body = () => ({ email: uniqueEmail('reg'), password: 'a long enough password', full_name: 'Many Accounts', phone: '+1 555 0100' });
  // Refused registrations (a bad field) do not count against the address.
  for (let i = 0; i < 3; i++) {
    const bad = await srv.post('/api/v1/accounts', { ...body(), email: 'not-an-email' }, { localAddress: addr });
    assertError(bad, 422, 'invalid_field', `bad registration ${i + 1}:`);
  }
  for (let i = 0; i < 60; i++) {
    const res = await srv.post('/api/v1/accounts', body(), { localAddress: addr });
    assert.equal(res.status, 201, `registration ${i + 1} from one address: ${res.status} ${JSON.stringify(res.json)}`);
  }
  const over = await srv.post('/api/v1/accounts', body(), { localAddress: addr });
  assertError(over, 429, 'too_many_attempts', 'registration 61:');
  const ra = Number(over.headers['retry-after']);
  assert.ok(ra > 0 && ra <= 3600, `Retry-After ${over.headers['retry-after']}`);
  const elsewhere = await srv.post('/api/v1/accounts', body(), { localAddress: freshAddress() });
  assert.equal(elsewhere.status, 201, 'another address still registers');
});

test('SIGTERM → exit 0 within 10 s', async () => {
  await srv.stopAndAssertClean();
});
