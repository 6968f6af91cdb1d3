// kite serve --log-format json: every line the server writes is one JSON
// object with time, level and msg, and each answered request is one line
// with its fields; what a client sends (a newline, a quote, bytes that are
// not UTF-8 in the path) stays inside its field. The text format (the
// default) is unchanged: a request is one line.

import test, { after, before } from 'node:test';
import fs from 'node:fs';
import { assert, runServe, DATA_DIR } from './lib/flows.mjs';
import { startServer, rawRequest, sleep } from './lib/kite.mjs';

let srv;

before(async () => { srv = await startServer({ extraArgs: ['--log-format', 'json'] }); });
after(async () => { if (srv) await srv.cleanup(); });

test('JSON logs: one object a line, a request\'s fields, hostile paths kept inside them', async () => {
  assert.equal((await srv.request('GET', '/healthz')).status, 200);
  await rawRequest(srv.port, Buffer.from('GET /x%0a{"level":"error"}%22%ff HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n'));
  await sleep(200);
  const lines = fs.readFileSync(srv.logPath, 'utf8').split('\n').filter(Boolean);
  assert.ok(lines.length >= 3, lines.join('\n'));
  const objects = lines.map((l) => {
    let o;
    assert.doesNotThrow(() => { o = JSON.parse(l); }, `not JSON: ${l}`);
    assert.match(o.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(['info', 'warn', 'error'].includes(o.level), l);
    assert.equal(typeof o.msg, 'string', l);
    return o;
  });
  const healthz = objects.find((o) => o.msg === 'request' && o.path === '/healthz');
  assert.ok(healthz, 'the /healthz request');
  assert.equal(healthz.method, 'GET');
  assert.equal(healthz.status, 200);
  assert.equal(typeof healthz.ms, 'number');
  assert.equal(healthz.client, '127.0.0.1');
  const hostile = objects.find((o) => o.msg === 'request' && o.path.startsWith('/x'));
  assert.ok(hostile, 'the hostile request');
  assert.ok(!hostile.path.includes('\n'), hostile.path);
  assert.equal(objects.filter((o) => o.level === 'error' && o.msg === 'request').length, 0, 'a forged level');
});

test('a --log-format other than text or json is refused', async () => {
  const r = await runServe(['--db', `${srv.dir}/other.db`, '--listen', '127.0.0.1:0', '--data', DATA_DIR, '--log-format', 'xml']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--log-format takes text \(the default\) or json \(one JSON object a line\)/);
});
