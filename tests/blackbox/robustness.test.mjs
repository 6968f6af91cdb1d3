// Hostile input: never a 500, always the JSON error body when not 2xx, and the
// server keeps answering.
import { test, before, after } from 'node:test';
import crypto from 'node:crypto';
import {
  startServer, assert, assertError, assertSaneAnswer, uniqueEmail, strongPassword, freshAddress, postWhole,
} from './lib/kite.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.cleanup(); });

async function healthy() {
  const r = await srv.get('/healthz');
  assert.equal(r.status, 200, `server stopped answering /healthz: ${r.status}`);
  assert.ok(srv.running, 'server process died');
}

function acct(overrides = {}) {
  return { email: uniqueEmail('rb'), password: strongPassword(), full_name: 'Rob Bust', phone: '+1 555 0199', ...overrides };
}

test('garbage bytes as JSON → 400 malformed_json', async () => {
  for (let i = 0; i < 12; i++) {
    const garbage = Buffer.concat([crypto.createHash('sha512').update(`kite-${i}`).digest(), Buffer.from([0, 0xff, 0xfe, 0x7b])]);
    for (const p of ['/api/v1/accounts', '/api/v1/sessions']) {
      const res = await srv.post(p, garbage, { localAddress: freshAddress() });
      assertError(res, 400, 'malformed_json', `garbage #${i} to ${p}:`);
    }
  }
  await healthy();
});

test('deeply nested JSON (100,000 levels) → 400, no crash', async () => {
  const depth = 100_000;
  const arrays = '['.repeat(depth) + ']'.repeat(depth);
  const r1 = await srv.post('/api/v1/accounts', arrays);
  assertError(r1, 400, ['malformed_json', 'bad_request'], 'nested arrays:');
  const inObject = `{"email":${'['.repeat(depth)}${']'.repeat(depth)},"password":"x"}`;
  const r2 = await srv.post('/api/v1/accounts', inObject);
  assertError(r2, [400, 422], ['malformed_json', 'invalid_field'], 'nested in a field:');
  const objects = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const r3 = await srv.post('/api/v1/sessions', objects, { localAddress: freshAddress() });
  assertError(r3, [400, 422], ['malformed_json', 'bad_request', 'invalid_field'], 'nested objects:');
  await healthy();
});

test('huge numbers → 400/422, no crash, no account', async () => {
  const bodies = [
    '{"email":1e999999,"password":"Kite-long-pass-1","full_name":"A","phone":"1"}',
    '{"email":123456789012345678901234567890,"password":"Kite-long-pass-1","full_name":"A","phone":"1"}',
    `{"email":"a@b.co","password":${'9'.repeat(5000)},"full_name":"A","phone":"1"}`,
    '{"email":-1e-999999,"password":"Kite-long-pass-1","full_name":"A","phone":"1"}',
  ];
  for (const b of bodies) {
    const res = await srv.post('/api/v1/accounts', b);
    assertError(res, [400, 422], ['malformed_json', 'invalid_field'], `body ${b.slice(0, 40)}:`);
  }
  const lim = await srv.get(`/api/v1/facilities?limit=${'9'.repeat(400)}`);
  assertError(lim, 422, 'invalid_field', 'huge limit:');
  const id = await srv.get(`/api/v1/facilities/${'9'.repeat(400)}`);
  assertError(id, 404, 'not_found', 'huge id:');
  await healthy();
});

test('NUL in the email → refused (never registered as a truncated address)', async () => {
  const victim = uniqueEmail('nul');
  const res = await srv.post('/api/v1/accounts', JSON.stringify(acct({ email: `${victim}\u0000.evil.com` })));
  assertError(res, [400, 422], ['malformed_json', 'invalid_field'], 'NUL email:');
  // and the truncated address is still free
  const ok = await srv.post('/api/v1/accounts', acct({ email: victim }));
  assert.equal(ok.status, 201, `truncated address was taken: ${ok.status} ${ok.text}`);
  const nulName = await srv.post('/api/v1/accounts', JSON.stringify(acct({ full_name: 'Eve\u0000Admin' })));
  assertSaneAnswer(nulName, 'NUL in full_name:');
  const nulSignIn = await srv.post('/api/v1/sessions', JSON.stringify({ email: `${victim}\u0000x`, password: 'whatever-pass-1' }), { localAddress: freshAddress() });
  assertError(nulSignIn, [400, 401, 422], ['malformed_json', 'invalid_field', 'invalid_credentials'], 'NUL sign-in:');
});

test('invalid UTF-8 in fields → 400/422', async () => {
  const parts = [
    Buffer.from('{"email":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('@example.com","password":"Kite-long-pass-1","full_name":"A","phone":"1"}'),
  ];
  const r1 = await srv.post('/api/v1/accounts', Buffer.concat(parts));
  assertError(r1, [400, 422], ['malformed_json', 'invalid_field'], 'invalid UTF-8 email:');
  const name = Buffer.concat([
    Buffer.from(`{"email":"${uniqueEmail('utf')}","password":"Kite-long-pass-1","full_name":"`),
    Buffer.from([0xed, 0xa0, 0x80, 0xc0, 0xaf]), // surrogate + overlong
    Buffer.from('","phone":"1"}'),
  ]);
  const r2 = await srv.post('/api/v1/accounts', name);
  assertError(r2, [400, 422], ['malformed_json', 'invalid_field'], 'invalid UTF-8 name:');
  const r3 = await srv.get('/api/v1/facilities?q=%C3%28%FF%FE');
  assertSaneAnswer(r3, 'invalid UTF-8 query:');
  await healthy();
});

test('a 2 MiB body → the client receives 413 body_too_large (chunked; Content-Length to accounts and sessions)', async () => {
  const big = Buffer.alloc(2 * 1024 * 1024, 0x61);
  assertError(await srv.post('/api/v1/accounts', big, { chunked: true }), 413, 'body_too_large', 'chunked:');
  for (const p of ['/api/v1/accounts', '/api/v1/sessions']) {
    const res = await postWhole(srv, p, big, { localAddress: freshAddress() });
    assert.ok(res.status !== null,
      `${p}: no answer — the connection was reset (${res.error?.code}) while the 2 MiB body was being sent, so the 413 was lost`);
    assertError(res, 413, 'body_too_large', `${p} content-length:`);
  }
  await healthy();
});

test('a Content-Length of 2 GiB is refused without waiting for the body', async () => {
  const head = 'POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n{"a":';
  const r = await srv.raw(head, { timeoutMs: 5000 });
  assert.equal(r.status, 413, `got ${r.status} (closed=${r.closed}) ${r.body.slice(0, 200)}`);
  assert.equal(r.json?.error?.code, 'body_too_large');
  await healthy();
});

test('100 KB of headers → refused (4xx or closed), never 500', async () => {
  const big = 'x'.repeat(100 * 1024);
  const one = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\n\r\n`;
  const r1 = await srv.raw(one);
  if (r1.status !== null) {
    assert.ok(r1.status >= 400 && r1.status < 500, `one 100 KB header: ${r1.status}`);
    assert.ok(r1.json?.error?.code, `non-JSON error body for oversized header: ${r1.body.slice(0, 200)}`);
  }
  const many = `GET /healthz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 1700 }, (_, i) => `X-H${i}: ${'y'.repeat(50)}\r\n`).join('')}\r\n`;
  const r2 = await srv.raw(many);
  if (r2.status !== null) {
    assert.ok(r2.status >= 400 && r2.status < 500, `1700 headers (~100 KB): ${r2.status}`);
    assert.ok(r2.json?.error?.code, `non-JSON error body for 1700 headers (~100 KB): ${r2.body.slice(0, 200)}`);
  }
  const cookie = await srv.get('/api/v1/me', { headers: { Cookie: `kite_session=${'z'.repeat(60 * 1024)}` } });
  assertSaneAnswer(cookie, 'huge cookie:');
  const bearer = await srv.get('/api/v1/me', { headers: { Authorization: `Bearer ${'z'.repeat(60 * 1024)}` } });
  assertSaneAnswer(bearer, 'huge bearer:');
  await healthy();
});

test('unknown routes and path traversal → 404 JSON (or the index page), never a file outside the web dir', async () => {
  const paths = [
    '/api/v1/../../etc/passwd', '/../../../../etc/passwd', '/api/v1/facilities/..%2f..%2f..%2fetc%2fpasswd',
    '/%2e%2e/%2e%2e/etc/passwd', '/api/v1/facilities/1/../../../etc/passwd', '/etc/passwd', '//etc/passwd',
    '/api/v1/%00', '/api/v1/facilities/%00', '/api/v1/openapi.json/../../../etc/passwd', '/.git/config', '/kite.db',
    '/..%2f..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd', '/....//....//....//etc/passwd',
    '/favicon.svg/..%2f..%2f..%2f..%2fetc%2fpasswd', '/pages/../../../../../etc/passwd', '/%252e%252e/%252e%252e/etc/passwd',
    '/..\\..\\..\\etc\\passwd', '/../meson.build', '/..%2fmeson.build', '/%2e%2e/src/cli/main.c', '/.%2e/.%2e/etc/passwd',
    '/index.html%00.js', '/etc/passwd%00.html',
  ];
  for (const p of paths) {
    const res = await srv.get(p);
    assertSaneAnswer(res, `GET ${p}:`);
    assert.ok(!/root:.*:0:0:/.test(res.text), `GET ${p} leaked /etc/passwd`);
    assert.ok(!res.text.includes('SQLite format'), `GET ${p} leaked the database`);
    assert.ok(!res.text.includes("project('kite'") && !res.text.includes('#include'), `GET ${p} leaked a source file`);
    if (res.status === 200) assert.match(res.headers['content-type'] || '', /text\/html|application\/json/, `GET ${p}: 200 ${res.headers['content-type']}`);
    else assert.ok([400, 404].includes(res.status), `GET ${p}: ${res.status}`);
  }
  await healthy();
});

test('query strings with % garbage → never 500', async () => {
  const qs = ['q=%', 'q=%ZZ', 'q=%%%%', 'q=%0', 'q=%00', 'q=%FF%FE', 'state=%', 'limit=%31%30', 'limit=%', 'cursor=%E0%A4%A',
    '%=%', '&&&', '=', 'q', 'q=a&q=b', `q=${'%41'.repeat(3000)}`, 'q=+++', 'zip=%0A%0D'];
  for (const q of qs) {
    const res = await srv.get(`/api/v1/facilities?${q}`);
    assertSaneAnswer(res, `?${q.slice(0, 40)}:`);
  }
  await healthy();
});

test('odd request lines and headers → never 500', async () => {
  const reqs = [
    'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
    'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
    'POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n',
    'POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}',
    'GET /healthz?\x01\x02 HTTP/1.1\r\nHost: x\r\n\r\n',
    'GARBAGE\r\n\r\n',
    'GET / HTTP/9.9\r\n\r\n',
  ];
  for (const r of reqs) {
    const res = await srv.raw(r, { timeoutMs: 3000 });
    if (res.status !== null) assert.ok(res.status < 500 || res.status === 505, `${JSON.stringify(r.slice(0, 40))}: ${res.status}`);
  }
  await healthy();
});

test('50 concurrent searches and health checks all succeed', async () => {
  const reqs = [];
  for (let i = 0; i < 25; i++) {
    reqs.push(srv.get(`/api/v1/facilities?q=${['coleman', 'county+jail', 'fci', 'texas', 'sumterville'][i % 5]}`));
    reqs.push(srv.get('/healthz'));
  }
  const res = await Promise.all(reqs);
  for (const r of res) assert.equal(r.status, 200, r.text.slice(0, 200));
});

test('a stalled client does not block others', async () => {
  const net = await import('node:net');
  const sock = net.connect({ host: '127.0.0.1', port: srv.port });
  await new Promise((r) => sock.on('connect', r));
  sock.write('POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"em');
  const t0 = Date.now();
  const h = await srv.get('/healthz');
  assert.equal(h.status, 200);
  assert.ok(Date.now() - t0 < 2000, 'a stalled upload delayed other requests');
  sock.destroy();
});

test('a stop does not wait for a client still sending its request: SIGTERM with a stalled upload open exits at once', async () => {
  // The stop's grace (10 s) is for requests Kite is answering, and for uploads whose bytes keep
  // coming (lifecycle.test.mjs); one whose body stopped coming (2 s) changed nothing.  Before, a
  // stalled upload held the stop for the whole grace.
  const own = await startServer();
  const net = await import('node:net');
  const sock = net.connect({ host: '127.0.0.1', port: own.port });
  sock.on('error', () => {});
  await new Promise((r) => sock.on('connect', r));
  sock.write('POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"em');
  await new Promise((r) => setTimeout(r, 300)); // the head is in: the request counts as received
  const closed = new Promise((r) => sock.on('close', r));
  const t0 = Date.now();
  const r = await own.stop('SIGTERM', 8_000);
  const took = Date.now() - t0;
  try {
    assert.equal(r.timedOut, false, `kite did not exit within 8 s of SIGTERM:\n${own.stuckThreads}`);
    assert.equal(r.code, 0);
    assert.ok(took < 5_000, `the stop waited ${took} ms for an upload that never came`);
    await closed; // the stalled client's connection was closed, not left open
  } finally {
    sock.destroy();
    await own.cleanup();
  }
});

test('after all that: /healthz still 200; SIGTERM → exit 0 within 10 s', async () => {
  await healthy();
  await srv.stopAndAssertClean();
});
