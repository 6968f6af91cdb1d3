// POST /api/v1/test/clock: the test-only clock advance a live video visit needs (its minutes are
// counted while the server runs, and a restart would drop it).  It exists only on a server started
// with the test clock (--test-clock-offset, which needs KITE_ALLOW_TEST_CLOCK=1): a normal start
// answers 404 as for any unknown path, and nothing about time changes.

import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertError } from './lib/kite.mjs';

const servers = [];
after(async () => {
  for (const s of servers) await s.cleanup();
});

test('a normal start has no test clock: 404', async () => {
  const srv = await startServer();
  servers.push(srv);
  const r = await srv.request('POST', '/api/v1/test/clock', { body: { advance_seconds: 3600 } });
  assertError(r, 404, 'not_found', 'POST /api/v1/test/clock on a normal start');
});

test('with the test clock allowed, time moves forward by the seconds asked, and only forward', async () => {
  const srv = await startServer({ env: { KITE_ALLOW_TEST_CLOCK: '1' }, extraArgs: ['--test-clock-offset', '0'] });
  servers.push(srv);
  const before = Date.now();
  const r = await srv.request('POST', '/api/v1/test/clock', { body: { advance_seconds: 7200 } });
  assert.equal(r.status, 200, r.text);
  const now = Date.parse(r.json.now);
  assert.ok(now >= before + 7200_000 && now < Date.now() + 7200_000 + 60_000, `moved two hours: ${r.json.now}`);
  const again = await srv.request('POST', '/api/v1/test/clock', { body: { advance_seconds: 60 } });
  assert.ok(Date.parse(again.json.now) >= now + 60_000, 'advances add up');
  for (const bad of [-1, 'x', 8 * 24 * 3600]) {
    const b = await srv.request('POST', '/api/v1/test/clock', { body: { advance_seconds: bad } });
    assertError(b, 422, 'invalid_field', `advance_seconds ${bad}`);
  }
});
