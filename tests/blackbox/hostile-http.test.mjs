// Hostile HTTP clients at the edge (issue 12, item 1): connection caps per address,
// request deadlines a slow sender cannot stretch (streams excepted), --trusted-proxy and
// X-Forwarded-For, an access log that escapes what it prints, bodies framed two ways
// (Content-Length with Transfer-Encoding) and unknown transfer codings answered at once
// and closed, JSON bodies only as application/json, Referrer-Policy and HSTS, and which
// malformed requests Kite answers in JSON rather than libmicrohttpd's own HTML pages.
//
// Deadlines are tested with short configured values (2 s) and only ever as "closed before
// the client was done", never as a measured speed.
import { test, before, after } from 'node:test';
import http from 'node:http';
import net from 'node:net';
import {
  startServer, assert, assertError, register, session, signIn, cli, sleep, uniqueEmail, strongPassword,
} from './lib/kite.mjs';

// ---------------------------------------------------------------------------
// Helpers

/**
 * Writes bytes on a fresh connection and reads until the server closes it or
 * timeoutMs passes. Resolves {text, closed, statuses, error}: statuses are every
 * status line in what came back, so two answers to one request show.
 */
function exchange(port, bytes, { timeoutMs = 10_000, localAddress, trickle } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port, localAddress });
    const chunks = [];
    let done = false;
    let error = null;
    let ticker = null;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ticker) clearInterval(ticker);
      sock.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ text, closed, statuses, error });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', (e) => { error = e; finish(true); });
    sock.on('connect', () => {
      sock.write(bytes);
      // One byte every 250 ms for as long as the connection lasts: every byte would reset an idle timeout.
      if (trickle) ticker = setInterval(() => { if (!sock.destroyed) sock.write(trickle); }, 250);
    });
  });
}

/** The JSON body of the first answer in an exchange's text (Content-Length framed). */
function firstJson(text) {
  const head = text.indexOf('\r\n\r\n');
  const m = /content-length: *(\d+)/i.exec(text.slice(0, head));
  if (head < 0 || !m) return undefined;
  try { return JSON.parse(text.slice(head + 4, head + 4 + Number(m[1]))); } catch { return undefined; }
}

function headerOf(text, name) {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const m = new RegExp(`^${name}: *(.*)$`, 'im').exec(head);
  return m ? m[1].trim() : undefined;
}

/** An open TCP connection from localAddress that sends nothing. */
function idleSocket(port, localAddress) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port, localAddress });
    sock.on('connect', () => resolve(sock));
    sock.on('error', reject);
  });
}

/** Waits until a line of the server's log matches re; the line, or undefined after timeoutMs. */
async function logLine(srv, re, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const line = srv.readLog().split('\n').find((l) => re.test(l));
    if (line || Date.now() > until) return line;
    await sleep(100);
  }
}

/** GET with extra headers (values may be arrays: one header line each) from localAddress. */
function getFrom(srv, p, { localAddress, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, path: p, headers, agent: false, localAddress }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`timeout: GET ${p}`)));
    req.end();
  });
}

let tagCounter = 0;
const tag = () => `t${process.pid}x${++tagCounter}`;

// ---------------------------------------------------------------------------
// Servers: one with the defaults and trusted proxies, one with a small cap per address,
// one with short deadlines, one whose public address is https.

// Started when a test first needs them, so a server that cannot start fails only its own tests.
const SERVER_ARGS = {
  plain: [],
  edge: ['--trusted-proxy', '127.0.0.9,10.0.0.0/8', '--trusted-proxy', '::1'],
  capped: ['--max-connections-per-address', '4', '--header-timeout', '60', '--trusted-proxy', '127.0.0.9'],
  slow: ['--header-timeout', '2', '--body-timeout', '2'],
  secure: ['--public-url', 'https://kite.example.org'],
};
const servers = {};
function server(name) {
  servers[name] ??= startServer({ extraArgs: SERVER_ARGS[name] });
  return servers[name];
}
after(async () => {
  for (const p of Object.values(servers)) {
    const s = await p.catch(() => null);
    if (s) await s.cleanup();
  }
});

// ---------------------------------------------------------------------------
// 1. Connection caps and deadlines

test('one address holds at most --max-connections-per-address connections; other addresses and trusted proxies are served', async () => {
  const capped = await server('capped');
  const held = [];
  try {
    for (let i = 0; i < 4; i++) held.push(await idleSocket(capped.port, '127.0.0.5'));
    await sleep(300); // let libmicrohttpd announce the four
    const fifth = await exchange(capped.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', { localAddress: '127.0.0.5' });
    assert.equal(fifth.closed, true, 'the fifth connection from one address stayed open');
    assert.deepEqual(fifth.statuses, [], `the fifth connection was answered: ${fifth.text.slice(0, 200)}`);
    const other = await getFrom(capped, '/healthz', { localAddress: '127.0.0.6' });
    assert.equal(other.status, 200, 'another address was refused while one address was at its cap');
    // A trusted proxy carries everyone: it is not capped.
    const proxied = [];
    for (let i = 0; i < 6; i++) proxied.push(await idleSocket(capped.port, '127.0.0.9'));
    await sleep(300);
    const viaProxy = await getFrom(capped, '/healthz', { localAddress: '127.0.0.9' });
    assert.equal(viaProxy.status, 200, 'a trusted proxy was capped like one client');
    for (const s of proxied) s.destroy();
  } finally {
    for (const s of held) s.destroy();
  }
  // The slots come back when the connections close.
  let again;
  for (let i = 0; i < 50; i++) {
    again = await exchange(capped.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { localAddress: '127.0.0.5' });
    if (again.statuses[0] === 200) break;
    await sleep(100);
  }
  assert.deepEqual(again.statuses, [200], 'the address stayed refused after its connections closed');
});

test('a request head sent one byte at a time is cut at --header-timeout, however often bytes come', async () => {
  const slow = await server('slow');
  const r = await exchange(slow.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', { trickle: 'a', timeoutMs: 20_000, localAddress: '127.0.0.21' });
  assert.equal(r.closed, true, 'a head trickled for 20 s was never cut (every byte reset the timeout)');
  assert.deepEqual(r.statuses, [], 'the trickled head was answered');
  assert.ok(await logLine(slow, /closed a connection from 127\.0\.0\.21: its request head was not complete within 2 s/),
    `no log line for the cut head: ${slow.logTail(10)}`);
});

test('a body sent one byte at a time is cut at --body-timeout', async () => {
  const slow = await server('slow');
  const head = 'POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{';
  const r = await exchange(slow.port, head, { trickle: ' ', timeoutMs: 20_000, localAddress: '127.0.0.22' });
  assert.equal(r.closed, true, 'a body trickled for 20 s was never cut');
  assert.ok(await logLine(slow, /closed a connection from 127\.0\.0\.22: its request body was not complete within 2 s/),
    `no log line for the cut body: ${slow.logTail(10)}`);
});

test('deadlines restart with each request on a kept-alive connection, and event streams outlive them', async () => {
  const slow = await server('slow');
  // Two requests on one connection, the second after a pause shorter than the deadline.
  const sock = net.connect({ host: '127.0.0.1', port: slow.port });
  await new Promise((r) => sock.on('connect', r));
  let got = '';
  sock.on('data', (c) => { got += c.toString('latin1'); });
  const answers = () => (got.match(/HTTP\/1\.1 200 /g) || []).length;
  for (let i = 1; i <= 3; i++) {
    sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let w = 0; w < 100 && answers() < i; w++) await sleep(50);
    assert.equal(answers(), i, `answer ${i} on a kept-alive connection: ${got.slice(-300)}`);
    await sleep(1200);
  }
  sock.destroy();

  const who = await register(slow);
  const s = await session(slow, who.email, who.password);
  const stream = await new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: slow.port, path: '/api/v1/events', agent: false,
      headers: { Accept: 'text/event-stream', Authorization: `Bearer ${s.token}` },
    });
    req.on('response', (res) => {
      const st = { res, req, ended: false, raw: '' };
      res.on('data', (c) => { st.raw += c; });
      res.on('end', () => { st.ended = true; });
      res.on('error', () => { st.ended = true; });
      resolve(st);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(stream.res.statusCode, 200);
  await sleep(5000); // past both deadlines (2 s)
  assert.equal(stream.ended, false, 'an event stream was cut by the request deadlines');
  stream.req.destroy();
});

// ---------------------------------------------------------------------------
// 2. --trusted-proxy and X-Forwarded-For

async function loggedClient(srv, localAddress, xff) {
  const t = tag();
  const headers = xff === undefined ? {} : { 'X-Forwarded-For': xff };
  const r = await getFrom(srv, `/api/v1/who-${t}`, { localAddress, headers });
  assert.equal(r.status, 404);
  const line = await logLine(srv, new RegExp(`GET /api/v1/who-${t} 404`));
  assert.ok(line, `no access log line for ${t}`);
  return line.trim().split(' ').pop();
}

test('--trusted-proxy: the client address comes from X-Forwarded-For only when the peer is a trusted proxy', async () => {
  const edge = await server('edge');
  assert.equal(await loggedClient(edge, '127.0.0.9', '198.51.100.1, 203.0.113.7'), '203.0.113.7', 'right-most untrusted entry');
  assert.equal(await loggedClient(edge, '127.0.0.9', '203.0.113.8, 10.1.2.3'), '203.0.113.8', 'trusted hops are skipped');
  assert.equal(await loggedClient(edge, '127.0.0.9', '2001:db8::7'), '2001:db8::7', 'an IPv6 client');
  assert.equal(await loggedClient(edge, '127.0.0.9', ['198.51.100.66', '203.0.113.11']), '203.0.113.11',
    'two X-Forwarded-For headers read as one list');
  assert.equal(await loggedClient(edge, '127.0.0.9', 'not-an-address'), '127.0.0.9', 'garbage: the proxy itself');
  assert.equal(await loggedClient(edge, '127.0.0.9', '203.0.113.9:443'), '127.0.0.9', 'an entry with a port is no address');
  assert.equal(await loggedClient(edge, '127.0.0.9', ' 203.0.113.12 ,\t10.0.0.1 '), '203.0.113.12', 'blanks around entries');
  assert.equal(await loggedClient(edge, '127.0.0.8', '203.0.113.10'), '127.0.0.8', 'an untrusted peer\'s header is ignored');
  assert.equal(await loggedClient(edge, '127.0.0.9', undefined), '127.0.0.9', 'no header: the peer');
});

test('behind a trusted proxy, one client\'s failed sign-ins do not throttle the proxy\'s other clients', async () => {
  const edge = await server('edge');
  const who = await register(edge);
  const viaProxy = (client) => ({ localAddress: '127.0.0.9', headers: { 'X-Forwarded-For': client } });
  for (let i = 0; i < 20; i++) {
    const r = await signIn(edge, uniqueEmail(`spray${i}`), 'sprayed-password-1', viaProxy('203.0.113.50'));
    assertError(r, 401, 'invalid_credentials', `failure ${i + 1} through the proxy:`);
  }
  const other = await signIn(edge, who.email, who.password, viaProxy('203.0.113.51'));
  assert.equal(other.status, 201, `another client of the same proxy was throttled: ${other.status} ${other.text.slice(0, 200)}`);
});

test('--trusted-proxy refuses what is not an address or network (inet_pton), before anything starts', async () => {
  for (const bad of ['10.0.0.0/33', 'nonsense', '300.1.1.1', '::1/129', '10.0.0.0/', '']) {
    const r = await cli(['serve', '--db', '/nonexistent/kite.db', '--trusted-proxy', bad]);
    assert.equal(r.code, 2, `--trusted-proxy ${JSON.stringify(bad)}: exit ${r.code} ${r.stderr}`);
    assert.match(r.stderr, /--trusted-proxy takes an IPv4 or IPv6 address or network/);
  }
  const missing = await cli(['serve', '--db', '/nonexistent/kite.db', '--trusted-proxy']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--trusted-proxy needs a value/);
});

// ---------------------------------------------------------------------------
// 3. The access log escapes what it prints

test('a %0a (or any control byte) in the path cannot forge an access-log line', async () => {
  const edge = await server('plain');
  const t = tag();
  const forged = `FORGED${t}`;
  const p = `/api/v1/log-${t}%0a2031-01-01T00:00:00.000Z%20info%20${forged}%20200%201ms%206.6.6.6%0d%1b[31m%7f%c3%a9\\`;
  const r = await edge.raw(`GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  assert.equal(r.status, 404);
  const line = await logLine(edge, new RegExp(`log-${t}`));
  assert.ok(line, 'no access log line');
  assert.match(line, /^\S+Z info GET \/api\/v1\/log-\S+\\x0a2031-01-01T00:00:00\.000Z\\x20info\\x20FORGED/,
    `the escaped path: ${line}`);
  assert.ok(line.includes('\\x0d\\x1b[31m\\x7f\\xc3\\xa9\\\\ 404'), `control and non-ASCII bytes escaped: ${line}`);
  for (const l of edge.readLog().split('\n')) {
    assert.ok(!l.startsWith('2031-01-01') && !l.startsWith(forged), `a forged log line: ${l}`);
    assert.ok(!l.includes('\x1b'), 'an escape sequence reached the log');
  }
});

// ---------------------------------------------------------------------------
// 4. Bodies framed two ways, unknown transfer codings

test('Content-Length with Transfer-Encoding: one 400 in JSON and the connection closed (no smuggled second answer)', async () => {
  const edge = await server('plain');
  const t = tag();
  const smuggled = `GET /api/v1/smuggled-${t} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const body = `0\r\n\r\n${smuggled}`;
  const req = `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`;
  const r = await exchange(edge.port, req, { localAddress: '127.0.0.31' });
  assert.deepEqual(r.statuses, [400], `answers on the connection: ${r.text.slice(0, 600)}`);
  assert.equal(r.closed, true, 'the connection stayed open after a request framed two ways');
  assert.equal(firstJson(r.text)?.error?.code, 'bad_request', r.text.slice(0, 600));
  assert.match(headerOf(r.text, 'Content-Type') || '', /application\/json/);
  assert.match(headerOf(r.text, 'Connection') || '', /close/i);
  await sleep(300);
  assert.ok(!edge.readLog().includes(`smuggled-${t}`), 'the smuggled request was served');

  const twice = await exchange(edge.port, 'POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
    + 'Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}', { localAddress: '127.0.0.31' });
  assert.deepEqual(twice.statuses, [400], `two Content-Length headers: ${twice.text.slice(0, 300)}`);
  assert.equal(firstJson(twice.text)?.error?.code, 'bad_request');
  assert.equal(twice.closed, true);
});

test('an unknown transfer coding is answered 501 in JSON at once, and the connection closed', async () => {
  const edge = await server('plain');
  for (const coding of ['gzip', 'gzip, chunked', 'identity']) {
    const r = await exchange(edge.port, `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`
      + `Transfer-Encoding: ${coding}\r\n\r\n{"email":"a@b.c"}`, { timeoutMs: 10_000, localAddress: '127.0.0.32' });
    assert.deepEqual(r.statuses, [501], `Transfer-Encoding: ${coding} (closed=${r.closed}): ${r.text.slice(0, 300)}`);
    assert.equal(firstJson(r.text)?.error?.code, 'not_implemented');
    assert.equal(r.closed, true, `Transfer-Encoding: ${coding}: the connection stayed open`);
  }
  // chunked alone still works
  const ok = await edge.post('/api/v1/sessions', { email: uniqueEmail('te'), password: 'not-the-password-1' },
    { chunked: true, localAddress: '127.0.0.33' });
  assertError(ok, 401, 'invalid_credentials', 'chunked sign-in:');
});

// ---------------------------------------------------------------------------
// 5. JSON bodies only as application/json

test('sign-in and registration refuse text/plain and form bodies with 415 (a cross-site form cannot sign anyone in)', async () => {
  const edge = await server('plain');
  const who = await register(edge);
  const creds = JSON.stringify({ email: who.email, password: who.password });
  for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
    'application/jsonp', 'application/json-patch+json']) {
    const r = await edge.post('/api/v1/sessions', creds, { headers: { 'Content-Type': type }, localAddress: '127.0.0.41' });
    const e = assertError(r, 415, 'unsupported_media_type', `sign-in as ${type}:`);
    assert.match(e.message, /application\/json/);
    assert.equal(r.headers['set-cookie'], undefined, `a session cookie for a ${type} sign-in`);
  }
  const form = await edge.post('/api/v1/sessions', `email=${encodeURIComponent(who.email)}&password=${encodeURIComponent(who.password)}`,
    { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, localAddress: '127.0.0.41' });
  assertError(form, 415, 'unsupported_media_type', 'form sign-in:');
  const es = await edge.post('/api/v1/sessions', creds, { headers: { 'Content-Type': 'text/plain', 'Accept-Language': 'es' }, localAddress: '127.0.0.41' });
  assert.match(assertError(es, 415, 'unsupported_media_type').message, /Content-Type: application\/json/);
  assert.equal(es.headers['content-language'], 'es');

  const email = uniqueEmail('ct');
  const reg = await edge.post('/api/v1/accounts', JSON.stringify({ email, password: strongPassword(), full_name: 'Form Victim', phone: '+1 555 0100' }),
    { headers: { 'Content-Type': 'text/plain' }, localAddress: '127.0.0.42' });
  assertError(reg, 415, 'unsupported_media_type', 'registration as text/plain:');

  // No Content-Type at all, with a JSON body
  const bare = await edge.raw(`POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(creds)}\r\n\r\n${creds}`,
    { localAddress: '127.0.0.41' });
  assert.equal(bare.status, 415, `no Content-Type: ${bare.status} ${bare.body.slice(0, 200)}`);

  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8', 'application/json ; charset=utf-8']) {
    const r = await edge.post('/api/v1/sessions', creds, { headers: { 'Content-Type': type }, localAddress: '127.0.0.43' });
    assert.equal(r.status, 201, `sign-in as ${type}: ${r.status} ${r.text.slice(0, 200)}`);
  }
});

// ---------------------------------------------------------------------------
// 6. Referrer-Policy and HSTS

test('every answer carries Referrer-Policy: no-referrer, and no HSTS on plain http to localhost', async () => {
  const plain = await server('plain');
  for (const p of ['/healthz', '/api/v1/nowhere', '/', '/api/v1/facilities?q=coleman']) {
    const r = await getFrom(plain, p);
    assert.equal(r.headers['referrer-policy'], 'no-referrer', `GET ${p}: ${JSON.stringify(r.headers)}`);
    assert.equal(r.headers['strict-transport-security'], undefined, `HSTS on plain http to localhost: GET ${p}`);
  }
  const spoofed = await getFrom(plain, '/healthz', { headers: { 'X-Forwarded-Proto': 'https' } });
  assert.equal(spoofed.headers['strict-transport-security'], undefined, 'X-Forwarded-Proto believed without a trusted proxy');
});

test('HSTS when the client came over https: a trusted proxy says so, or --public-url is https', async () => {
  const edge = await server('edge');
  const viaTls = await getFrom(edge, '/healthz', { localAddress: '127.0.0.9', headers: { 'X-Forwarded-Proto': 'https' } });
  assert.match(viaTls.headers['strict-transport-security'] || '', /^max-age=\d{7,}$/, 'no HSTS behind a TLS proxy');
  const viaPlain = await getFrom(edge, '/healthz', { localAddress: '127.0.0.9', headers: { 'X-Forwarded-Proto': 'http' } });
  assert.equal(viaPlain.headers['strict-transport-security'], undefined, 'HSTS when the proxy says http');
  const spoofed = await getFrom(edge, '/healthz', { localAddress: '127.0.0.8', headers: { 'X-Forwarded-Proto': 'https' } });
  assert.equal(spoofed.headers['strict-transport-security'], undefined, 'an untrusted peer\'s X-Forwarded-Proto was believed');
  const secure = await server('secure');
  const pub = await getFrom(secure, '/api/v1/nowhere');
  assert.match(pub.headers['strict-transport-security'] || '', /^max-age=\d{7,}$/, 'no HSTS with --public-url https://');
  assert.equal(pub.headers['referrer-policy'], 'no-referrer');
});

// ---------------------------------------------------------------------------
// 7. Kite's JSON where libmicrohttpd would not have to answer

test('a request line over the header cap is refused in JSON (413), like oversized headers', async () => {
  const edge = await server('plain');
  const longPath = await edge.raw(`GET /api/v1/${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  assert.equal(longPath.status, 413, `a 100 KB path: ${longPath.status}`);
  assert.equal(longPath.json?.error?.code, 'headers_too_large');
  const longQuery = await edge.raw(`GET /api/v1/facilities?q=${'b'.repeat(100 * 1024)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  assert.equal(longQuery.status, 413, `a 100 KB query: ${longQuery.status}`);
  assert.equal(longQuery.json?.error?.code, 'headers_too_large');
  const bigHeader = await edge.raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'c'.repeat(100 * 1024)}\r\nConnection: close\r\n\r\n`);
  assert.equal(bigHeader.status, 413);
  assert.equal(bigHeader.json?.error?.code, 'headers_too_large');
  // HTTP/1.x minor versions other than 0 and 1 are HTTP/1.1 to the server (RFC 9112 2.3): answered, in JSON.
  const future = await edge.raw('GET /api/v1/nowhere HTTP/1.7\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(future.status, 404);
  assert.equal(future.json?.error?.code, 'not_found');
});

// What libmicrohttpd 0.9.75 answers itself, with its compiled-in HTML page, before Kite's
// handler is called (see the file comment of src/http/server.c). Pinned here so that the
// list in that comment stays true: never a 500, and the connection is closed.
test('what still gets libmicrohttpd\'s own page: documented inputs, never a 500', async () => {
  const edge = await server('plain');
  const cases = [
    ['GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n', 505],
    ['GET /healthz HTTP/0.9\r\nHost: x\r\n\r\n', 505],
    ['GET /healthz HTTP/1.1 extra\r\nHost: x\r\n\r\n', 400],
    ['GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', 400],
    ['POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400],
    ['POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n', 413],
    ['POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n', 400],
    [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: ${'d'.repeat(300 * 1024)}\r\n\r\n`, 431],
  ];
  for (const [bytes, status] of cases) {
    const r = await exchange(edge.port, bytes, { localAddress: '127.0.0.51' });
    // Content-Length: abc is answered twice by 0.9.75 before it closes: the same page, so only the status is pinned.
    assert.ok(r.statuses.length >= 1 && r.statuses.every((st) => st === status),
      `${JSON.stringify(bytes.slice(0, 60))}: ${r.text.slice(0, 200)}`);
    assert.doesNotMatch(r.text, /application\/json/, 'Kite answered this one itself now: update the list in server.c');
    assert.equal(r.closed, true);
  }
  assert.equal((await edge.get('/healthz')).status, 200);
});

test('after all that: every server still answers and stops cleanly', async () => {
  for (const name of Object.keys(servers)) {
    const s = await server(name);
    assert.equal((await s.get('/healthz')).status, 200, `${name} stopped answering`);
    await s.stopAndAssertClean();
  }
});
