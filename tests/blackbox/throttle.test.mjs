// Sign-in throttling: progressive delays, never a lockout. Failures count per account and
// address pair (3 free, then 1 s, 2 s, 4 s ... up to a minute), per account for the addresses
// that failed it, and per address (20 free, then the same). Different loopback source addresses
// tell them apart. Waits are met by failing until the answer's Retry-After is long enough
// (failUntilWaiting), so nothing here depends on the machine's speed.
import { test, before, after } from 'node:test';
import {
  startServer, assert, assertError, register, signIn, uniqueEmail, freshAddress, failUntilWaiting,
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
  assert.ok(n > 0 && n <= 5 * 60, `${context} Retry-After ${n} outside 1..300`);
}

test('per account and address: failures from one address make it wait, even with the right password; the real user elsewhere signs in', async () => {
  const victim = await register(srv);
  const addr = freshAddress();
  const { failures } = await failUntilWaiting((i) => signIn(srv, victim.email, `wrong-password-${i}`, { localAddress: addr }));
  assert.ok(failures >= 3, `a few failures cost nothing: a wait after ${failures}`);
  const right = await signIn(srv, victim.email, victim.password, { localAddress: addr });
  assertThrottled(right, 'right password from the failing address:');
  assert.equal(right.headers['set-cookie'], undefined, 'a throttled sign-in set a cookie');
  assert.equal(right.json.token, undefined, 'a throttled sign-in returned a token');
  assertThrottled(await signIn(srv, victim.email, 'wrong-password-x', { localAddress: addr }), 'wrong password:');
  // the same email in another case is the same account
  assertThrottled(await signIn(srv, victim.email.toUpperCase(), victim.password, { localAddress: addr }), 'upper-case email:');
  // no lockout: the right password from another address signs in at once
  const elsewhere = await signIn(srv, victim.email, victim.password, { localAddress: freshAddress() });
  assert.equal(elsewhere.status, 201, `the real user at another address: ${elsewhere.status} ${elsewhere.text}`);
});

test('per account throttling does not hold up other accounts on the same address', async () => {
  const addr = freshAddress();
  const victim = await register(srv);
  const bystander = await register(srv);
  await failUntilWaiting((i) => signIn(srv, victim.email, `nope-nope-${i}`, { localAddress: addr }));
  assertThrottled(await signIn(srv, victim.email, victim.password, { localAddress: addr }), 'victim:');
  const ok = await signIn(srv, bystander.email, bystander.password, { localAddress: addr });
  assert.equal(ok.status, 201, `bystander held up on the same address: ${ok.status} ${ok.text}`);
});

test('unknown emails are throttled exactly like real ones (no enumeration through 429)', async () => {
  const ghost = uniqueEmail('ghost');
  const addr = freshAddress();
  const { failures } = await failUntilWaiting((i) => signIn(srv, ghost, `whatever-pass-${i}`, { localAddress: addr }));
  assert.ok(failures >= 3);
  assertThrottled(await signIn(srv, ghost, 'whatever-pass-x', { localAddress: addr }), 'unknown email:');
});

test('a successful sign-in does not count as a failure', async () => {
  const user = await register(srv);
  const addr = freshAddress();
  for (let i = 0; i < 7; i++) {
    const res = await signIn(srv, user.email, user.password, { localAddress: addr });
    assert.equal(res.status, 201, `sign-in ${i + 1}: ${res.status} ${res.text}`);
  }
});

test('per address: past 20 failures from one address, any email from it waits; other addresses unaffected', async () => {
  const addr = freshAddress();
  const user = await register(srv);
  const { failures } = await failUntilWaiting((i) => signIn(srv, uniqueEmail(`spray${i}`), 'sprayed-password-1', { localAddress: addr }),
    { context: `spraying from ${addr}:` });
  assert.ok(failures >= 20, `the address waits after ${failures} failures`);
  const blocked = await signIn(srv, user.email, user.password, { localAddress: addr });
  assertThrottled(blocked, `right password from throttled ${addr}:`);
  assert.ok(Number(blocked.headers['retry-after']) <= 60, 'an address waits at most a minute');
  const blocked2 = await signIn(srv, uniqueEmail('fresh'), 'sprayed-password-1', { localAddress: addr });
  assertThrottled(blocked2, `new email from throttled ${addr}:`);
  // X-Forwarded-For from a direct client must not lift the limit
  const spoofed = await signIn(srv, user.email, user.password, { localAddress: addr, headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Real-IP': '203.0.113.7' } });
  assertThrottled(spoofed, 'with X-Forwarded-For:');
  // the account itself is not held up: the same credentials work from elsewhere
  const elsewhere = await signIn(srv, user.email, user.password, { localAddress: freshAddress() });
  assert.equal(elsewhere.status, 201, `account held up by another address's failures: ${elsewhere.status} ${elsewhere.text}`);
});

test('GET /healthz and other endpoints are not throttled for a throttled address', async () => {
  const addr = freshAddress();
  await failUntilWaiting((i) => signIn(srv, uniqueEmail(`s${i}`), 'sprayed-password-2', { localAddress: addr }));
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
