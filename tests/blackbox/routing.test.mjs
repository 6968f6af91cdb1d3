// /healthz, unknown routes, wrong methods, and the OpenAPI document.
import { test, before, after } from 'node:test';
import {
  startServer, assert, assertError, assertJson, assertSaneAnswer,
} from './lib/kite.mjs';

let srv;
// --metrics-from: GET /metrics is routed, but answers only the addresses given (the 404 of a missing path for others).
before(async () => { srv = await startServer({ extraArgs: ['--metrics-from', '127.0.0.1'] }); });
after(async () => { if (srv) await srv.cleanup(); });

test('GET /healthz → 200 {"status":"ok"} as JSON', async () => {
  const res = await srv.get('/healthz');
  assert.equal(res.status, 200);
  assert.deepEqual(assertJson(res), { status: 'ok' });
});

test('unknown API routes → 404 not_found with the JSON error body', async () => {
  for (const p of ['/api/v1/nope', '/api/v2/facilities', '/api/v1/facilities/1/nope', '/api/v1/', '/api/', '/api/v1/nope.json', '/api/v1/facilities/1/']) {
    const res = await srv.get(p);
    assertError(res, 404, 'not_found', `GET ${p}:`);
  }
  for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    const res = await srv.request(m, '/api/v1/does-not-exist', m === 'DELETE' ? {} : { body: {} });
    assertError(res, 404, 'not_found', `${m} unknown:`);
  }
});

test('unknown paths outside /api: 404 JSON, or the web app\'s index page (client-side routes)', async () => {
  for (const p of ['/nope', '/healthz/extra', '/some/deep/page']) {
    const res = await srv.get(p);
    if (res.status === 200) {
      assert.match(res.headers['content-type'] || '', /text\/html/, `GET ${p}: 200 but not HTML`);
    } else {
      assertError(res, 404, 'not_found', `GET ${p}:`);
    }
  }
  for (const p of ['/nope.js', '/missing.css', '/no/such/file.png']) {
    assertError(await srv.get(p), 404, 'not_found', `GET ${p}:`);
  }
  assertError(await srv.post('/nope', {}), [404, 405], ['not_found', 'method_not_allowed'], 'POST /nope:');
});

function allowList(res) {
  const allow = res.headers.allow;
  assert.ok(allow, `405 without Allow header (status ${res.status})`);
  return allow.split(',').map((s) => s.trim().toUpperCase());
}

test('wrong method → 405 method_not_allowed with an Allow header', async () => {
  const cases = [
    ['PUT', '/healthz', 'GET'],
    ['POST', '/healthz', 'GET'],
    ['DELETE', '/api/v1/accounts', 'POST'],
    ['GET', '/api/v1/accounts', 'POST'],
    ['POST', '/api/v1/me', 'GET'],
    ['PATCH', '/api/v1/facilities', 'GET'],
    ['DELETE', '/api/v1/facilities/1', 'GET'],
    ['POST', '/api/v1/providers', 'GET'],
    ['PUT', '/api/v1/sessions', 'POST'],
    ['PATCH', '/api/v1/sessions/current', 'DELETE'],
  ];
  for (const [method, p, expectAllowed] of cases) {
    const res = await srv.request(method, p, method === 'GET' || method === 'DELETE' ? {} : { body: {} });
    assertError(res, 405, 'method_not_allowed', `${method} ${p}:`);
    const allow = allowList(res);
    assert.ok(allow.includes(expectAllowed), `${method} ${p}: Allow "${res.headers.allow}" lacks ${expectAllowed}`);
    assert.ok(!allow.includes(method), `${method} ${p}: Allow "${res.headers.allow}" lists the refused method`);
  }
});

test('access log: one line per request on stderr, with method, path and status', async () => {
  const marker = `/healthz?marker=${Date.now()}`;
  await srv.get(marker);
  await new Promise((r) => setTimeout(r, 200));
  const lines = srv.readLog().split('\n').filter((l) => l.includes('/healthz') && l.includes('GET'));
  assert.ok(lines.some((l) => /\b200\b/.test(l)), `no access-log line for GET /healthz 200 in stderr:\n${srv.logTail(10)}`);
});

// --- OpenAPI -------------------------------------------------------------

let doc;
test('GET /api/v1/openapi.json → an OpenAPI 3 document', async () => {
  const res = await srv.get('/api/v1/openapi.json');
  assert.equal(res.status, 200);
  doc = assertJson(res);
  assert.equal(typeof doc.openapi, 'string');
  assert.match(doc.openapi, /^3\.\d+(\.\d+)?$/);
  assert.ok(doc.info && typeof doc.info.title === 'string' && typeof doc.info.version === 'string', 'info.title/version missing');
  assert.ok(doc.paths && typeof doc.paths === 'object' && Object.keys(doc.paths).length > 0, 'paths missing');
});

function basePrefix(d) {
  // Paths are either absolute (/api/v1/...) or relative to servers[0].url.
  const keys = Object.keys(d.paths);
  if (keys.some((k) => k.startsWith('/api/v1'))) return '';
  const url = d.servers && d.servers[0] && d.servers[0].url;
  if (!url) return '';
  try { return new URL(url, 'http://x').pathname.replace(/\/$/, ''); } catch { return ''; }
}

function fullPath(d, p) {
  if (p === '/healthz' || p.startsWith('/api/')) return p;
  return basePrefix(d) + p;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

test('the OpenAPI document lists the known endpoints', () => {
  assert.ok(doc, 'no document');
  const ops = new Set();
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) if (item[m]) ops.add(`${m.toUpperCase()} ${fullPath(doc, p).replace(/\{[^}]+\}/g, '{}')}`);
  }
  const expected = [
    'POST /api/v1/accounts',
    'POST /api/v1/sessions',
    'DELETE /api/v1/sessions/current',
    'GET /api/v1/me',
    'GET /api/v1/facilities',
    'GET /api/v1/facilities/{}',
    'GET /api/v1/providers',
  ];
  for (const e of expected) assert.ok(ops.has(e), `OpenAPI lacks ${e}; has: ${[...ops].sort().join(', ')}`);
  // every operation documents at least one response
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      if (!item[m]) continue;
      assert.ok(item[m].responses && Object.keys(item[m].responses).length > 0, `${m.toUpperCase()} ${p} has no responses`);
    }
  }
});

test('every path+method in the OpenAPI document is routed (no 404-route-missing, no 405, no 500)', async () => {
  assert.ok(doc, 'no document');
  const checked = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      if (!item[m]) continue;
      const hasParam = /\{[^}]+\}/.test(p);
      const concrete = fullPath(doc, p).replace(/\{[^}]+\}/g, '1');
      const method = m.toUpperCase();
      const res = await srv.request(method, concrete, ['POST', 'PUT', 'PATCH'].includes(method) ? { body: {} } : {});
      const ctx = `${method} ${concrete} (documented as ${p}):`;
      assertSaneAnswer(res, ctx);
      assert.notEqual(res.status, 405, `${ctx} documented but answers 405`);
      if (res.status === 404) {
        // A 404 is only acceptable when a parameterised resource does not exist.
        assert.ok(hasParam, `${ctx} documented but not routed (404)`);
      }
      checked.push(`${method} ${concrete} → ${res.status}`);
    }
  }
  assert.ok(checked.length >= 7, `only ${checked.length} operations checked`);
  // DELETE /api/v1/sessions/current without a session must be 401, not something odd
  const r = await srv.del('/api/v1/sessions/current');
  assertError(r, 401, 'unauthenticated');
});

test('server still healthy, then SIGTERM → exit 0 within 10 s', async () => {
  const res = await srv.get('/healthz');
  assert.equal(res.status, 200);
  await srv.stopAndAssertClean();
});
