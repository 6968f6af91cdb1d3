// Start-up, graceful shutdown with requests in flight, SIGINT, and restart on an
// existing database (durability of acknowledged writes).
import { test, after } from 'node:test';
import net from 'node:net';
import {
  startServer, assert, register, session, uniqueEmail, strongPassword, sleep,
} from './lib/kite.mjs';

const servers = [];
after(async () => { for (const s of servers) await s.cleanup(); });

async function start(opts) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}

test('SIGTERM while a registration (Argon2) is in flight: it completes with 201, exit 0', async () => {
  // At the real cost (make test asks servers for the cheapest hash): the signal must find the hash running.
  const srv = await start({ env: { KITE_TEST_PASSWORD_COST: '' } });
  const b = { email: uniqueEmail('inflight'), password: strongPassword(), full_name: 'In Flight', phone: '+1 555 0111' };
  // The request must be the server's before the signal, whatever the machine's load: the body's
  // first half goes first and the server reads it while the test waits; the rest then starts the
  // hash, and the signal follows at once.
  const body = JSON.stringify(b);
  const half = Math.floor(body.length / 2);
  const sock = net.connect({ host: '127.0.0.1', port: srv.port });
  await new Promise((r) => sock.on('connect', r));
  const chunks = [];
  const closed = new Promise((r) => { sock.on('close', r); sock.on('error', r); });
  sock.on('data', (c) => chunks.push(c));
  sock.write(`POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`);
  await sleep(300);
  sock.write(body.slice(half));
  await sleep(5);
  const stopping = srv.stop('SIGTERM', 10_000);
  await closed;
  const answer = Buffer.concat(chunks).toString('utf8');
  const res = { status: Number((/^HTTP\/1\.1 (\d{3})/.exec(answer) || [])[1]), text: answer };
  assert.equal(res.status, 201, `in-flight request did not complete: ${res.status} ${res.text}`);
  const r = await stopping;
  assert.equal(r.timedOut, false, 'did not exit within 10 s');
  assert.equal(r.code, 0, `exit code ${r.code} signal ${r.signal}\n${srv.logTail()}`);

  // the acknowledged registration is durable: a new server on the same db knows it
  const again = await start({ dir: srv.dir });
  const s = await session(again, b.email, b.password);
  assert.equal(s.account.email, b.email);
  const t = await again.get('/api/v1/facilities?limit=1');
  assert.equal(t.json.total, 6737, 'second start changed the directory size');
  await again.stopAndAssertClean();
});

test('SIGTERM while a request body is still arriving: the request is answered, exit 0', async () => {
  const srv = await start();
  const body = JSON.stringify({ email: uniqueEmail('slow'), password: strongPassword(), full_name: 'Slow Upload', phone: '+1 555 0112' });
  const half = Math.floor(body.length / 2);
  const sock = net.connect({ host: '127.0.0.1', port: srv.port });
  await new Promise((r) => sock.on('connect', r));
  const chunks = [];
  const closed = new Promise((r) => { sock.on('close', r); sock.on('error', r); });
  sock.on('data', (c) => chunks.push(c));
  sock.write(`POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`);
  await sleep(200);
  const stopping = srv.stop('SIGTERM', 10_000);
  await sleep(200);
  sock.write(body.slice(half));
  await Promise.race([closed, sleep(10_000)]);
  const text = Buffer.concat(chunks).toString('utf8');
  assert.match(text, /^HTTP\/1\.[01] 201 /, `in-flight upload not answered with 201: ${JSON.stringify(text.slice(0, 200))}`);
  const r = await stopping;
  assert.equal(r.timedOut, false, 'did not exit within 10 s');
  assert.equal(r.code, 0, `exit code ${r.code} signal ${r.signal}`);
});

test('an idle keep-alive connection does not hold up shutdown', async () => {
  const srv = await start();
  const sock = net.connect({ host: '127.0.0.1', port: srv.port });
  await new Promise((r) => sock.on('connect', r));
  sock.on('error', () => {});
  sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await sleep(200);
  const t0 = Date.now();
  const r = await srv.stop('SIGTERM', 10_000);
  assert.equal(r.timedOut, false, 'an idle keep-alive connection kept the server alive for 10 s');
  assert.equal(r.code, 0);
  assert.ok(Date.now() - t0 < 10_000);
  sock.destroy();
});

test('SIGINT → exit 0 within 10 s', async () => {
  const srv = await start();
  await register(srv);
  const r = await srv.stop('SIGINT', 10_000);
  assert.equal(r.timedOut, false);
  assert.equal(r.signal, null, `died of ${r.signal}`);
  assert.equal(r.code, 0);
});

test('two servers cannot listen on the same port; the second fails with a non-zero exit', async () => {
  const a = await start();
  const { spawn } = await import('node:child_process');
  const { KITE_BIN, DATA_DIR } = await import('./lib/kite.mjs');
  const p = spawn(KITE_BIN, ['serve', '--db', `${a.dir}/other.db`, '--listen', `127.0.0.1:${a.port}`, '--data', DATA_DIR], { stdio: 'ignore' });
  const code = await new Promise((resolve) => {
    const t = setTimeout(() => { p.kill('SIGKILL'); resolve('still running'); }, 60_000);
    p.on('exit', (c) => { clearTimeout(t); resolve(c); });
  });
  assert.notEqual(code, 0, 'second server on a taken port exited 0');
  assert.notEqual(code, 'still running', 'second server on a taken port kept running');
  assert.equal((await a.get('/healthz')).status, 200);
  await a.stopAndAssertClean();
});
