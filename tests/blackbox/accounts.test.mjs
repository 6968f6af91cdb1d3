// POST /api/v1/accounts — contact self-registration and every error path.
import { test, before, after } from 'node:test';
import {
  startServer, assert, assertError, assertJson, register, session, uniqueEmail, strongPassword, RFC3339_UTC, postWhole,
} from './lib/kite.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.cleanup(); });

function body(overrides = {}) {
  return { email: uniqueEmail('acct'), password: strongPassword(), full_name: 'Ada Lovelace', phone: '+1 202 555 0143', ...overrides };
}

function assertNoSecrets(obj, password) {
  const s = JSON.stringify(obj);
  assert.ok(!s.includes(password), 'answer echoes the password');
  for (const k of Object.keys(obj)) assert.doesNotMatch(k, /pass|hash|salt/i, `answer has a secret-looking field ${k}`);
}

test('register → 201 with id, role contact, normalised email, full_name, phone, created_at', async () => {
  const b = body({ email: '  Grace.Hopper.' + Date.now() + '@Example.COM  ' });
  const res = await srv.post('/api/v1/accounts', b);
  assert.equal(res.status, 201, res.text);
  const a = assertJson(res);
  assert.ok(a.id !== undefined && a.id !== null && a.id !== '', 'id missing');
  assert.equal(a.role, 'contact');
  assert.equal(a.email, b.email.trim().toLowerCase());
  assert.equal(a.full_name, 'Ada Lovelace');
  assert.equal(a.phone, '+1 202 555 0143');
  assert.match(a.created_at, RFC3339_UTC);
  const age = Math.abs(Date.now() - Date.parse(a.created_at));
  assert.ok(age < 5 * 60_000, `created_at ${a.created_at} is not now`);
  assertNoSecrets(a, b.password);
});

test('two registrations get distinct ids', async () => {
  const a = await register(srv);
  const b = await register(srv);
  assert.notEqual(String(a.account.id), String(b.account.id));
});

test('a client cannot choose its role: role:"operator" never yields an operator', async () => {
  const b = body({ role: 'operator' });
  const res = await srv.post('/api/v1/accounts', b);
  if (res.status === 201) {
    assert.equal(res.json.role, 'contact');
    const s = await session(srv, b.email, b.password);
    assert.equal(s.account.role, 'contact');
    const me = await srv.get('/api/v1/me', { token: s.token });
    assert.equal(me.json.role, 'contact');
  } else {
    assertError(res, [400, 422], undefined, 'role in body:');
  }
});

test('a taken address → the same 201 as a free one (nothing tells a stranger), also with other case and spaces', async () => {
  const first = await register(srv); // confirmed
  const fresh = await srv.post('/api/v1/accounts', body());
  assert.equal(fresh.status, 201, fresh.text);
  const again = await srv.post('/api/v1/accounts', body({ email: first.email }));
  assert.equal(again.status, 201, `same email: ${again.text}`);
  assert.deepEqual(Object.keys(again.json).sort(), Object.keys(fresh.json).sort(), 'the same keys as for a free address');
  assert.equal(again.json.email_verified, false);
  assert.notEqual(again.json.id, first.id);
  const upper = await srv.post('/api/v1/accounts', body({ email: `  ${first.email.toUpperCase()} ` }));
  assert.equal(upper.status, 201, `upper-case email: ${upper.text}`);
  // the first account still signs in with its own password
  await session(srv, first.email, first.password);
});

test('concurrent registrations of one address: each a 201 of its own, none confirmed', async () => {
  const email = uniqueEmail('race');
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
    srv.post('/api/v1/accounts', body({ email: i % 2 ? email.toUpperCase() : email }))));
  assert.deepEqual(results.map((r) => r.status), Array(8).fill(201), results.map((r) => r.text).join('\n'));
  assert.equal(new Set(results.map((r) => r.json.id)).size, 8, 'eight accounts');
  assert.ok(results.every((r) => r.json.email === email && r.json.email_verified === false));
});

test('sign-in works with the normalised email in any case', async () => {
  const email = uniqueEmail('case');
  const pw = strongPassword();
  await register(srv, { email: email.toUpperCase(), password: pw });
  const s = await session(srv, `  ${email.toUpperCase()}  `, pw);
  assert.equal(s.account.email, email);
});

test('weak passwords → 422 weak_password', async () => {
  for (const password of ['short1!', '123456789', 'Abc!e7g9x', 'password123', '1234567890', 'qwertyuiop']) {
    const res = await srv.post('/api/v1/accounts', body({ password }));
    assertError(res, 422, 'weak_password', `password ${JSON.stringify(password)}:`);
  }
});

test('a 10-character uncommon password is accepted', async () => {
  const res = await srv.post('/api/v1/accounts', body({ password: 'zq8!Lm2#Xp' }));
  assert.equal(res.status, 201, res.text);
});

test('missing fields → 422 invalid_field naming the field', async () => {
  for (const f of ['email', 'password', 'full_name', 'phone']) {
    const b = body();
    delete b[f];
    const res = await srv.post('/api/v1/accounts', b);
    const err = assertError(res, 422, 'invalid_field', `missing ${f}:`);
    assert.equal(err.field, f, `missing ${f}: error.field is ${err.field}`);
  }
});

test('wrong JSON types → 422 invalid_field naming the field', async () => {
  const cases = [
    ['email', 5], ['email', null], ['email', ['a@b.co']], ['email', { x: 1 }], ['email', true],
    ['password', 1234567890123], ['password', ['Kite-bb-long-pass']],
    ['full_name', 42], ['full_name', { first: 'A' }],
    ['phone', 2025550143], ['phone', false],
  ];
  for (const [f, v] of cases) {
    const res = await srv.post('/api/v1/accounts', body({ [f]: v }));
    const err = assertError(res, 422, 'invalid_field', `${f}=${JSON.stringify(v)}:`);
    assert.equal(err.field, f, `${f}=${JSON.stringify(v)}: error.field is ${err.field}`);
  }
});

test('invalid email shapes → 422 invalid_field (field email)', async () => {
  for (const email of ['', '   ', 'plainaddress', 'a@', '@example.com', 'a b@example.com', 'a@@example.com', 'a@example.com\nbcc: x@y.z',
    `${'a'.repeat(250)}@example.com`]) {
    const res = await srv.post('/api/v1/accounts', body({ email }));
    const err = assertError(res, 422, 'invalid_field', `email ${JSON.stringify(email.slice(0, 40))}:`);
    assert.equal(err.field, 'email');
  }
});

test('empty full_name → 422 invalid_field (field full_name)', async () => {
  const res = await srv.post('/api/v1/accounts', body({ full_name: '' }));
  const err = assertError(res, 422, 'invalid_field');
  assert.equal(err.field, 'full_name');
});

test('the name Kite shows for deleted accounts is refused (422 full_name, said in the reader\'s language)', async () => {
  for (const name of ['Deleted account', ' deleted ACCOUNT ', 'Cuenta eliminada']) {
    const res = await srv.post('/api/v1/accounts', body({ full_name: name }));
    const err = assertError(res, 422, 'invalid_field', `full_name ${JSON.stringify(name)}`);
    assert.equal(err.field, 'full_name');
    assert.match(err.message, /deleted accounts/);
  }
  const es = await srv.request('POST', '/api/v1/accounts', { body: body({ full_name: 'Deleted account' }), headers: { 'Accept-Language': 'es' } });
  assert.match(assertError(es, 422, 'invalid_field').message, /cuentas eliminadas/);
});

test('malformed JSON → 400 malformed_json', async () => {
  for (const raw of ['{', '{"email":', '{email: "a@b.co"}', "{'email':'a@b.co'}", '{"a":1,}', 'nul', '{"a":1} trailing']) {
    const res = await srv.post('/api/v1/accounts', raw);
    assertError(res, 400, 'malformed_json', `body ${JSON.stringify(raw)}:`);
  }
});

test('JSON arrays → 400 bad_request', async () => {
  for (const raw of ['[]', '[{"email":"a@b.co"}]', '[1,2,3]']) {
    const res = await srv.post('/api/v1/accounts', raw);
    assertError(res, 400, 'bad_request', `body ${raw}:`);
  }
});

test('top-level JSON scalars (valid JSON texts, RFC 8259) → 400 bad_request', async () => {
  for (const raw of ['"string"', '42', 'null', 'true']) {
    const res = await srv.post('/api/v1/accounts', raw);
    assertError(res, 400, 'bad_request', `body ${raw}:`);
  }
});

test('empty body → 400', async () => {
  const res = await srv.post('/api/v1/accounts', '');
  assertError(res, 400, ['malformed_json', 'bad_request']);
});

test('body over 1 MiB (chunked) → 413 body_too_large', async () => {
  const big = JSON.stringify(body({ full_name: 'x'.repeat(1024 * 1024 + 10) }));
  const res = await srv.post('/api/v1/accounts', big, { chunked: true });
  assertError(res, 413, 'body_too_large', 'chunked:');
  await register(srv); // the server still works
});

test('body over 1 MiB (Content-Length) → the client receives 413 body_too_large', async () => {
  const big = JSON.stringify(body({ full_name: 'x'.repeat(1024 * 1024 + 10) }));
  for (let i = 0; i < 3; i++) {
    const res = await postWhole(srv, '/api/v1/accounts', big);
    assert.ok(res.status !== null,
      `attempt ${i + 1}: no answer — the connection was reset (${res.error?.code}) while the body was being sent, so the 413 was lost`);
    assertError(res, 413, 'body_too_large', `attempt ${i + 1}:`);
  }
  await register(srv);
});

test('a body just under 1 MiB is read (not 413, not 500)', async () => {
  const b = body();
  b.full_name = 'y'.repeat(1024 * 1024 - 300);
  const raw = JSON.stringify(b);
  assert.ok(Buffer.byteLength(raw) < 1024 * 1024);
  const res = await srv.post('/api/v1/accounts', raw);
  assert.notEqual(res.status, 413, 'a body under 1 MiB was refused as too large');
  assert.ok(res.status < 500, res.text);
  if (res.status !== 201) assertError(res, 422, 'invalid_field');
});

test('SIGTERM → exit 0 within 10 s', async () => {
  await srv.stopAndAssertClean();
});
