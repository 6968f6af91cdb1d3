// Sessions, /me, sign-out, cookie + CSRF, staff accounts from the CLI.
import { test, before, after } from 'node:test';
import {
  startServer, assert, assertError, assertJson, register, signIn, session, uniqueEmail, strongPassword,
  freshAddress, userAdd, RFC3339_UTC,
} from './lib/kite.mjs';

let srv;
let alice; // a registered contact
before(async () => {
  srv = await startServer();
  alice = await register(srv, { full_name: 'Alice Example', phone: '+1 555 0101' });
});
after(async () => { if (srv) await srv.cleanup(); });

function parseSetCookie(res) {
  const sc = res.headers['set-cookie'];
  assert.ok(sc && sc.length, 'no Set-Cookie header');
  const c = sc.find((x) => /^\s*kite_session=/.test(x));
  assert.ok(c, `no kite_session cookie in ${JSON.stringify(sc)}`);
  const [pair, ...attrs] = c.split(';').map((s) => s.trim());
  return { value: pair.slice(pair.indexOf('=') + 1), attrs: attrs.map((a) => a.toLowerCase()) };
}

test('sign in → 201 {token, csrf_token, expires_at, account} and an HttpOnly SameSite=Strict cookie', async () => {
  const res = await signIn(srv, alice.email, alice.password);
  assert.equal(res.status, 201, res.text);
  const s = assertJson(res);
  assert.equal(typeof s.token, 'string');
  assert.ok(s.token.length >= 32, `token too short for 256 bits: ${s.token.length}`);
  assert.equal(typeof s.csrf_token, 'string');
  assert.ok(s.csrf_token.length >= 16, 'csrf_token too short');
  assert.notEqual(s.csrf_token, s.token);
  assert.match(s.expires_at, RFC3339_UTC);
  assert.ok(Date.parse(s.expires_at) > Date.now(), 'expires_at is not in the future');
  assert.equal(String(s.account.id), String(alice.account.id));
  assert.equal(s.account.role, 'contact');
  assert.equal(s.account.email, alice.email);
  assert.equal(s.account.full_name, 'Alice Example');
  assert.ok(!JSON.stringify(s).includes(alice.password), 'answer echoes the password');
  const cookie = parseSetCookie(res);
  assert.equal(cookie.value, s.token, 'cookie value is not the session token');
  assert.ok(cookie.attrs.includes('httponly'), `cookie not HttpOnly: ${cookie.attrs}`);
  assert.ok(cookie.attrs.includes('samesite=strict'), `cookie not SameSite=Strict: ${cookie.attrs}`);
  assert.ok(cookie.attrs.includes('path=/'), `cookie without Path=/: ${cookie.attrs}`);
});

test('session answers are not cacheable; no credentialed CORS for foreign origins', async () => {
  const res = await signIn(srv, alice.email, alice.password, { headers: { Origin: 'https://evil.example' } });
  assert.equal(res.status, 201);
  assert.match(res.headers['cache-control'] || '', /no-store/, `sign-in answer Cache-Control: ${res.headers['cache-control']}`);
  const me = await srv.get('/api/v1/me', { token: res.json.token, headers: { Origin: 'https://evil.example' } });
  assert.equal(me.status, 200);
  assert.match(me.headers['cache-control'] || '', /no-store/, `/me Cache-Control: ${me.headers['cache-control']}`);
  const acao = me.headers['access-control-allow-origin'];
  assert.ok(acao === undefined || (acao !== 'https://evil.example' && acao !== '*') || me.headers['access-control-allow-credentials'] !== 'true',
    `credentialed CORS granted to a foreign origin: ${acao}`);
  assert.ok(acao !== 'https://evil.example', `foreign origin reflected in Access-Control-Allow-Origin`);
});

test('each sign-in gets a fresh token', async () => {
  const a = await session(srv, alice.email, alice.password);
  const b = await session(srv, alice.email, alice.password);
  assert.notEqual(a.token, b.token);
  assert.notEqual(a.csrf_token, b.csrf_token);
});

test('wrong password and unknown email → identical 401 invalid_credentials', async () => {
  const addr = freshAddress();
  const wrong = await signIn(srv, alice.email, 'not-the-password-1', { localAddress: addr });
  const unknown = await signIn(srv, uniqueEmail('nobody'), 'not-the-password-1', { localAddress: addr });
  assertError(wrong, 401, 'invalid_credentials', 'wrong password:');
  assertError(unknown, 401, 'invalid_credentials', 'unknown email:');
  assert.deepEqual(wrong.json, unknown.json, 'bodies differ between wrong password and unknown email');
  assert.equal(wrong.headers['set-cookie'], undefined, 'failed sign-in sets a cookie');
});

test('unknown email costs about as much time as a wrong password (no timing oracle)', async () => {
  // A server of its own at the real Argon2id cost: the property is that an unknown address pays
  // for a hash as a known one does, and only the real cost makes the hash the bulk of the answer
  // (at the test suite's minimum cost both answer in a few ms and the store's noise decides).
  const real = await startServer({ env: { KITE_TEST_PASSWORD_COST: '' } });
  try {
    const addr = freshAddress();
    const known = await register(real);
    const times = { wrong: [], unknown: [] };
    for (let i = 0; i < 3; i++) {
      times.wrong.push((await signIn(real, known.email, `wrong-password-${i}`, { localAddress: addr })).ms);
      times.unknown.push((await signIn(real, uniqueEmail('ghost'), `wrong-password-${i}`, { localAddress: addr })).ms);
    }
    const median = (a) => [...a].sort((x, y) => x - y)[1];
    const w = median(times.wrong);
    const u = median(times.unknown);
    assert.ok(u >= w * 0.3, `unknown email answered in ${u.toFixed(1)} ms vs wrong password ${w.toFixed(1)} ms`);
  } finally {
    await real.stopAndAssertClean();
  }
});

test('sign-in input errors', async () => {
  const addr = freshAddress();
  assertError(await srv.post('/api/v1/sessions', '{"email":', { localAddress: addr }), 400, 'malformed_json');
  assertError(await srv.post('/api/v1/sessions', '[]', { localAddress: addr }), 400, 'bad_request');
  assertError(await srv.post('/api/v1/sessions', { email: 5, password: 'x'.repeat(12) }, { localAddress: addr }), 422, 'invalid_field');
  assertError(await srv.post('/api/v1/sessions', { email: alice.email }, { localAddress: addr }), 422, 'invalid_field');
  assertError(await srv.post('/api/v1/sessions', {}, { localAddress: addr }), 422, 'invalid_field');
});

test('GET /api/v1/me with Bearer → 200 the caller', async () => {
  const s = await session(srv, alice.email, alice.password);
  const res = await srv.get('/api/v1/me', { token: s.token });
  assert.equal(res.status, 200, res.text);
  const me = assertJson(res);
  assert.equal(String(me.id), String(alice.account.id));
  assert.equal(me.role, 'contact');
  assert.equal(me.email, alice.email);
  assert.equal(me.full_name, 'Alice Example');
  assert.equal(me.phone, '+1 555 0101');
  assert.equal(me.created_at, alice.account.created_at);
  for (const k of Object.keys(me)) assert.doesNotMatch(k, /pass|hash|salt/i, `/me has a secret-looking field ${k}`);
});

test('GET /api/v1/me with the cookie → 200 (no CSRF needed for GET)', async () => {
  const s = await session(srv, alice.email, alice.password);
  const res = await srv.get('/api/v1/me', { cookie: s.token });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.email, alice.email);
});

test('GET /api/v1/me without or with a bad credential → 401 unauthenticated', async () => {
  const variants = [
    {},
    { headers: { Authorization: 'Bearer ' } },
    { headers: { Authorization: 'Bearer not-a-real-token' } },
    { headers: { Authorization: `Bearer ${'A'.repeat(43)}` } },
    { headers: { Authorization: 'Basic YWxpY2U6cGFzcw==' } },
    { headers: { Authorization: 'Bearer' } },
    { headers: { Cookie: 'kite_session=bogus' } },
    { headers: { Cookie: 'other=1' } },
  ];
  for (const v of variants) {
    const res = await srv.get('/api/v1/me', v);
    assertError(res, 401, 'unauthenticated', JSON.stringify(v));
  }
});

test('the CSRF token is not a session token', async () => {
  const s = await session(srv, alice.email, alice.password);
  assertError(await srv.get('/api/v1/me', { token: s.csrf_token }), 401, 'unauthenticated');
});

test('DELETE /api/v1/sessions/current (Bearer, no CSRF needed) → 204; the token is then refused', async () => {
  const s = await session(srv, alice.email, alice.password);
  const res = await srv.del('/api/v1/sessions/current', { token: s.token });
  assert.equal(res.status, 204, res.text);
  assert.equal(res.text, '', '204 with a body');
  assertError(await srv.get('/api/v1/me', { token: s.token }), 401, 'unauthenticated', 'after sign-out:');
  assertError(await srv.get('/api/v1/me', { cookie: s.token }), 401, 'unauthenticated', 'cookie after sign-out:');
  assertError(await srv.del('/api/v1/sessions/current', { token: s.token }), 401, 'unauthenticated', 'second sign-out:');
});

test('sign-out revokes only that session', async () => {
  const a = await session(srv, alice.email, alice.password);
  const b = await session(srv, alice.email, alice.password);
  assert.equal((await srv.del('/api/v1/sessions/current', { token: a.token })).status, 204);
  assertError(await srv.get('/api/v1/me', { token: a.token }), 401, 'unauthenticated');
  assert.equal((await srv.get('/api/v1/me', { token: b.token })).status, 200);
});

test('DELETE /api/v1/sessions/current without a session → 401 unauthenticated', async () => {
  assertError(await srv.del('/api/v1/sessions/current'), 401, 'unauthenticated');
});

test('cookie auth on a state-changing request without X-Kite-CSRF → 403 csrf_token_required', async () => {
  const s = await session(srv, alice.email, alice.password);
  const res = await srv.del('/api/v1/sessions/current', { cookie: s.token });
  assertError(res, 403, 'csrf_token_required');
  // nothing changed: the session still works
  assert.equal((await srv.get('/api/v1/me', { token: s.token })).status, 200);
});

test('cookie auth with a wrong X-Kite-CSRF → 403 and nothing changes', async () => {
  const s = await session(srv, alice.email, alice.password);
  const other = await session(srv, alice.email, alice.password);
  for (const csrf of ['wrong', other.csrf_token, s.token]) {
    const res = await srv.del('/api/v1/sessions/current', { cookie: s.token, csrf });
    assertError(res, 403, /^csrf_token_/, `csrf ${csrf === s.token ? '(session token)' : csrf}:`);
  }
  assert.equal((await srv.get('/api/v1/me', { token: s.token })).status, 200);
});

test('cookie auth with the right X-Kite-CSRF → sign-out 204', async () => {
  const s = await session(srv, alice.email, alice.password);
  const res = await srv.del('/api/v1/sessions/current', { cookie: s.token, csrf: s.csrf_token });
  assert.equal(res.status, 204, res.text);
  assertError(await srv.get('/api/v1/me', { token: s.token }), 401, 'unauthenticated');
});

// --- staff accounts from the CLI ------------------------------------------

test('kite user add creates staff who sign in with their role', async () => {
  for (const role of ['operator', 'reviewer', 'facility_admin', 'investigator']) {
    const email = uniqueEmail(role);
    const password = strongPassword();
    const r = await userAdd(srv.dbPath, { role, email, password, facility: role === 'operator' ? undefined : 1 });
    assert.equal(r.code, 0, `user add ${role}: code ${r.code}\n${r.stdout}\n${r.stderr}`);
    const s = await session(srv, email, password);
    assert.equal(s.account.role, role);
    const me = await srv.get('/api/v1/me', { token: s.token });
    assert.equal(me.status, 200);
    assert.equal(me.json.role, role);
    assert.equal(me.json.email, email);
  }
});

test('kite user add refuses an unknown role and a taken email (non-zero exit)', async () => {
  const bad = await userAdd(srv.dbPath, { role: 'superuser', email: uniqueEmail('bad'), password: strongPassword() });
  assert.notEqual(bad.code, 0, 'unknown role accepted');
  const dup = await userAdd(srv.dbPath, { role: 'operator', email: alice.email, password: strongPassword() });
  assert.notEqual(dup.code, 0, 'duplicate email accepted');
  // alice is still a contact with her own password
  const s = await session(srv, alice.email, alice.password);
  assert.equal(s.account.role, 'contact');
});

test('SIGTERM → exit 0 within 10 s', async () => {
  await srv.stopAndAssertClean();
});
