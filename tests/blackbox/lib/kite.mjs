// Black-box test harness for Kite.
//
// Starts the real `kite` binary on a fresh temporary database and an ephemeral
// port, and drives it over HTTP. No npm dependencies: node:http, node:net and
// node:child_process only.
//
// Environment:
//   KITE_BIN   path of the binary (default build/src/kite in this checkout)
//   KITE_DATA  facility data directory (default data/ in this checkout)
//   KITE_KEEP  when set, keep every temporary directory (database + logs)
//   KITE_TEST_PG  the admin URL of a throw-away PostgreSQL cluster (tools/pg-cluster.sh url):
//              every store is then a database of its own on it instead of a kite.db file
//
// The store: a test names it by `dbPath`, which is the kite.db file on SQLite
// and the database's postgresql:// URL on PostgreSQL; `kite --db` takes both,
// and sqlite(dbPath, sql) reads either (the sqlite3 CLI or psql, same text).

import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

// Meson puts the binary at build/src/kite; accept either location by default.
export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
export const KITE_BIN = process.env.KITE_BIN || path.join(REPO_ROOT, 'build', 'src', 'kite');
export const DATA_DIR = process.env.KITE_DATA || path.join(REPO_ROOT, 'data');
export const FACILITIES_CSV = path.join(DATA_DIR, 'facilities.csv');
export const PG_ADMIN_URL = process.env.KITE_TEST_PG || '';
/** True when the suite runs on PostgreSQL (KITE_TEST_PG): every store the harness makes is a database there. */
export const ON_PG = PG_ADMIN_URL !== '';

const READY_RE = /kite: listening on (http:\/\/127\.0\.0\.1:(\d+))/;

// ---------------------------------------------------------------------------
// Server lifecycle

/*
 * What each thread of a process that did not stop is doing, read before it is killed: name, state,
 * kernel wait channel and the system call it sits in (1 = write: a full stderr pipe), and, where gdb
 * is installed, every thread's stack.  A hang that happens once in a hundred runs must explain itself.
 */
function threadDump(pid) {
  const lines = [];
  const read = (f) => { try { return fs.readFileSync(f, 'utf8').trim(); } catch { return '?'; } };
  let tids = [];
  try { tids = fs.readdirSync(`/proc/${pid}/task`); } catch { return '(process gone)'; }
  for (const tid of tids) {
    const t = `/proc/${pid}/task/${tid}`;
    const stat = read(`${t}/stat`);
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    lines.push(`thread ${tid} ${read(`${t}/comm`)} state=${state} wchan=${read(`${t}/wchan`)} syscall=${read(`${t}/syscall`).split(' ').slice(0, 3).join(' ')}`);
  }
  try {
    const bt = execFileSync('gdb', ['-batch', '-p', String(pid), '-ex', 'thread apply all bt 12'],
      { timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    lines.push(bt.split('\n').filter((l) => /^Thread|^#/.test(l)).join('\n'));
  } catch { /* no gdb here: the kernel's view above has to do */ }
  return lines.join('\n');
}

function tail(file, lines = 40) {
  try {
    const all = fs.readFileSync(file, 'utf8').split('\n');
    return all.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Start `kite serve` on a fresh temp dir. Returns a Server handle.
 * opts.dir: reuse an existing directory (its store: kite.db, or the database
 *   named in kite.pg-url) instead of a fresh one.
 * opts.db: the store to serve instead of the directory's (a path or a
 *   postgresql:// URL), for several servers on one store; it wins when given.
 * opts.data: the facility directory's files to load (default DATA_DIR).
 * opts.sqlite: the directory's kite.db even when the suite runs on PostgreSQL
 *   (a test of SQLite itself, such as a move from SQLite to PostgreSQL).
 */
export async function startServer(opts = {}) {
  if (!fs.existsSync(KITE_BIN)) {
    throw new Error(`kite binary not found at ${KITE_BIN}: build it (make build / ninja -C build) or set KITE_BIN`);
  }
  const dir = opts.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'kite-bb-'));
  // A store given by the test is the test's to remove; the one made here is the harness's.
  const ownStore = !opts.db;
  const dbPath = opts.db || (opts.sqlite ? path.join(dir, 'kite.db') : await storeIn(dir));
  const run = (opts.run ?? 0) + 1;
  const logPath = path.join(dir, `server-${Date.now()}-${process.pid}.stderr.log`);
  const outPath = logPath.replace('.stderr.log', '.stdout.log');
  const log = fs.createWriteStream(logPath);
  const out = fs.createWriteStream(outPath);
  const args = ['serve', '--db', dbPath, '--listen', '127.0.0.1:0', '--data', opts.data || DATA_DIR, ...(opts.extraArgs || [])];
  const proc = spawn(KITE_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(opts.env || {}) } });
  proc.stderr.pipe(log);

  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });

  const ready = await new Promise((resolve, reject) => {
    let buf = '';
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      proc.kill('SIGKILL');
      reject(new Error(`kite did not print its listening line within 60 s; stderr tail:\n${tail(logPath)}`));
    }, 60_000);
    proc.stdout.on('data', (chunk) => {
      out.write(chunk);
      if (done) return;
      buf += chunk.toString('utf8');
      const m = READY_RE.exec(buf);
      if (m) {
        done = true;
        clearTimeout(timer);
        resolve({ baseUrl: m[1], port: Number(m[2]) });
      }
    });
    proc.on('exit', (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // give the log stream a moment to flush
      setTimeout(() => reject(new Error(
        `kite exited before it was ready (code ${code}, signal ${signal}); args: ${args.join(' ')}\nstdout: ${buf}\nstderr tail:\n${tail(logPath)}`)), 100);
    });
    proc.on('error', (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(err);
    });
  });

  // The server's clock, for the two-factor codes the harness computes (--test-clock-offset SECONDS).
  const offsetAt = args.indexOf('--test-clock-offset');
  const clockOffsetMs = offsetAt >= 0 ? Number(args[offsetAt + 1]) * 1000 : 0;
  const srv = new Server({ proc, dir, dbPath, ownStore, logPath, outPath, exited, run, clockOffsetMs, ...ready });
  return srv;
}

export class Server {
  constructor(o) {
    Object.assign(this, o);
    this.exitInfo = null;
    this.exited.then((e) => { this.exitInfo = e; });
  }

  get running() {
    return this.exitInfo === null;
  }

  /** Send `signal` and wait up to timeoutMs; returns {code, signal, timedOut}. */
  async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
    if (this.exitInfo) return { ...this.exitInfo, timedOut: false };
    this.proc.kill(signal);
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); });
    const r = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (r === null) {
      this.stuckThreads = threadDump(this.proc.pid);
      this.proc.kill('SIGKILL');
      const k = await this.exited;
      return { ...k, timedOut: true };
    }
    return { ...r, timedOut: false };
  }

  /** Stop with SIGTERM and assert a clean exit (code 0 within 10 s). */
  async stopAndAssertClean() {
    const r = await this.stop('SIGTERM', 10_000);
    assert.equal(r.timedOut, false,
      `kite did not exit within 10 s of SIGTERM; its threads then:\n${this.stuckThreads}\nstderr tail:\n${tail(this.logPath)}`);
    assert.equal(r.signal, null, `kite died from signal ${r.signal}; stderr tail:\n${tail(this.logPath)}`);
    assert.equal(r.code, 0, `kite exited with code ${r.code} after SIGTERM; stderr tail:\n${tail(this.logPath)}`);
    return r;
  }

  /** Kill if still running and remove the temp dir (unless KITE_KEEP or keep). */
  async cleanup({ keep = false } = {}) {
    if (this.running) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
    if (!keep && !process.env.KITE_KEEP) {
      if (this.ownStore && isPg(this.dbPath)) dropStore(this.dbPath);
      fs.rmSync(this.dir, { recursive: true, force: true });
    } else {
      process.stderr.write(`# kite temp dir kept: ${this.dir}\n`);
    }
  }

  logTail(lines = 40) {
    return tail(this.logPath, lines);
  }

  readLog() {
    try { return fs.readFileSync(this.logPath, 'utf8'); } catch { return ''; }
  }

  // --- HTTP helpers bound to this server -----------------------------------
  request(method, p, opts = {}) {
    return request(this.port, method, p, opts);
  }
  get(p, opts) { return this.request('GET', p, opts); }
  post(p, body, opts = {}) { return this.request('POST', p, { ...opts, body }); }
  del(p, opts) { return this.request('DELETE', p, opts); }
  raw(bytes, opts) { return rawRequest(this.port, bytes, opts); }
}

// ---------------------------------------------------------------------------
// HTTP

/**
 * One HTTP request over a fresh connection (no keep-alive pooling).
 * opts: headers, body (string | Buffer | object → JSON), token (Bearer),
 *       cookie (session token → kite_session cookie), csrf, localAddress,
 *       timeoutMs, chunked (send body with Transfer-Encoding: chunked).
 * Resolves {status, headers, text, json, buffer, ms}.
 */
export function request(port, method, p, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  let body = opts.body;
  if (body !== undefined && body !== null && !Buffer.isBuffer(body) && typeof body !== 'string') {
    body = JSON.stringify(body);
  }
  if (body !== undefined && body !== null) {
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json';
    }
    if (!opts.chunked) headers['Content-Length'] = Buffer.byteLength(body);
  }
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.Cookie = `kite_session=${opts.cookie}`;
  if (opts.csrf) headers['X-Kite-CSRF'] = opts.csrf;

  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method,
      path: p,
      headers,
      agent: false,
      localAddress: opts.localAddress,
      insecureHTTPParser: true,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buffer = Buffer.concat(chunks);
        const text = buffer.toString('utf8');
        let json;
        try { json = text.length ? JSON.parse(text) : undefined; } catch { json = undefined; }
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        resolve({ status: res.statusCode, headers: res.headers, text, json, buffer, ms });
      });
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 30_000, () => {
      req.destroy(new Error(`timeout: ${method} ${p}`));
    });
    req.on('error', reject);
    if (body !== undefined && body !== null) {
      if (opts.chunked) {
        const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
        const step = 64 * 1024;
        for (let i = 0; i < b.length; i += step) req.write(b.subarray(i, i + step));
        req.end();
      } else {
        req.end(body);
      }
    } else {
      req.end();
    }
  });
}

/**
 * Send raw bytes on a TCP connection and read until the server closes or
 * timeoutMs passes. Parses the first HTTP response if there is one.
 * Resolves {status|null, headers, body, rawText, closed, error}.
 */
export function rawRequest(port, bytes, opts = {}) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port, localAddress: opts.localAddress });
    const chunks = [];
    let settled = false;
    let error = null;
    const finish = (closed) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      const buf = Buffer.concat(chunks);
      resolve({ ...parseHttpResponse(buf), closed, error });
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 10_000);
    sock.on('data', (c) => {
      chunks.push(c);
      const parsed = parseHttpResponse(Buffer.concat(chunks));
      if (parsed.complete) finish(false);
    });
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    // A write error (EPIPE/ECONNRESET when the server answers early and
    // closes) is not the end: the answer may still be readable.
    sock.on('error', (e) => { error = e; setTimeout(() => finish(true), 300); });
    sock.on('connect', () => {
      const parts = Array.isArray(bytes) ? bytes : [bytes];
      for (const part of parts) {
        try { sock.write(part); } catch (e) { error = e; }
      }
    });
  });
}

function parseHttpResponse(buf) {
  const sep = buf.indexOf('\r\n\r\n');
  if (sep < 0) return { status: null, headers: {}, body: '', json: undefined, rawText: buf.toString('latin1'), complete: false };
  const head = buf.subarray(0, sep).toString('latin1');
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let bodyBuf = buf.subarray(sep + 4);
  let complete = false;
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    complete = bodyBuf.length >= n;
    bodyBuf = bodyBuf.subarray(0, n);
  } else if ((headers['transfer-encoding'] || '').toLowerCase().includes('chunked')) {
    const out = [];
    let i = 0;
    for (;;) {
      const e = bodyBuf.indexOf('\r\n', i);
      if (e < 0) break;
      const size = parseInt(bodyBuf.subarray(i, e).toString('latin1'), 16);
      if (Number.isNaN(size)) break;
      if (size === 0) { complete = true; break; }
      if (e + 2 + size > bodyBuf.length) break;
      out.push(bodyBuf.subarray(e + 2, e + 2 + size));
      i = e + 2 + size + 2;
    }
    bodyBuf = Buffer.concat(out);
  }
  const body = bodyBuf.toString('utf8');
  let json;
  try { json = JSON.parse(body); } catch { json = undefined; }
  return { status: m ? Number(m[1]) : null, headers, body, json, rawText: head, complete };
}

// ---------------------------------------------------------------------------
// Assertions

function describe(res) {
  const t = res.text ?? res.body ?? '';
  return `status ${res.status}, body ${String(t).slice(0, 600)}`;
}

/** Assert the API's error shape: {"error":{"code":"snake_case","message":"..."}}. */
export function assertErrorBody(res, context = '') {
  const json = res.json;
  assert.ok(json && typeof json === 'object' && !Array.isArray(json),
    `${context} expected a JSON error body; got ${describe(res)}`);
  assert.ok(json.error && typeof json.error === 'object', `${context} body lacks "error" object: ${describe(res)}`);
  assert.equal(typeof json.error.code, 'string', `${context} error.code not a string: ${describe(res)}`);
  assert.match(json.error.code, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, `${context} error.code not snake_case: ${describe(res)}`);
  assert.equal(typeof json.error.message, 'string', `${context} error.message not a string: ${describe(res)}`);
  assert.ok(json.error.message.length > 0, `${context} error.message empty: ${describe(res)}`);
  const ct = res.headers['content-type'] || '';
  assert.match(ct, /application\/json/, `${context} error content-type is ${ct}`);
}

/**
 * Assert status and error code. `code` may be a string, an array of
 * acceptable strings, or a RegExp.
 */
export function assertError(res, status, code, context = '') {
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(statuses.includes(res.status), `${context} expected status ${statuses.join('|')}; got ${describe(res)}`);
  assertErrorBody(res, context);
  const got = res.json.error.code;
  if (code instanceof RegExp) assert.match(got, code, `${context} error code ${got} !~ ${code}`);
  else if (Array.isArray(code)) assert.ok(code.includes(got), `${context} error code ${got} not one of ${code.join(', ')}; ${describe(res)}`);
  else if (code !== undefined) assert.equal(got, code, `${context} wrong error code; ${describe(res)}`);
  return res.json.error;
}

export function assertStatus(res, status, context = '') {
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(statuses.includes(res.status), `${context} expected status ${statuses.join('|')}; got ${describe(res)}`);
  return res.json;
}

export function assertJson(res, context = '') {
  assert.match(res.headers['content-type'] || '', /application\/json/, `${context} content-type ${res.headers['content-type']}`);
  assert.ok(res.json !== undefined, `${context} body is not JSON: ${describe(res)}`);
  return res.json;
}

/** Non-500, and a JSON error body whenever not 2xx. */
export function assertSaneAnswer(res, context = '') {
  assert.ok(res.status !== null && res.status !== undefined, `${context} no HTTP status`);
  assert.ok(res.status < 500, `${context} server error: ${describe(res)}`);
  if (res.status >= 300) assertErrorBody(res, context);
}

export const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

// ---------------------------------------------------------------------------
// Accounts and sessions

let emailCounter = 0;
export function uniqueEmail(prefix = 'bb') {
  emailCounter += 1;
  return `${prefix}.${process.pid}.${emailCounter}.${crypto.randomBytes(3).toString('hex')}@example.com`;
}

export function strongPassword() {
  return `Kite-bb-${crypto.randomBytes(6).toString('hex')}!`;
}

/**
 * Register a contact; asserts 201. Returns {account, email, password, full_name, phone}.
 * The address is then confirmed with the support CLI (kite user verify-email), since paying
 * needs a confirmed address; { verify: false } keeps it unconfirmed. `account` is the
 * registration's answer (email_verified false either way).
 */
export async function register(srv, overrides = {}, { verify = true } = {}) {
  const body = {
    email: uniqueEmail(),
    password: strongPassword(),
    full_name: 'Test Contact',
    phone: '+1 555 0100',
    ...overrides,
  };
  const res = await srv.post('/api/v1/accounts', body);
  assert.equal(res.status, 201, `registration failed: ${describe(res)}`);
  if (verify) await verifyEmail(srv.dbPath, body.email);
  return { account: res.json, email: body.email, password: body.password, full_name: body.full_name, phone: body.phone, res };
}

/** kite user verify-email: the address's account counts as confirmed (audited as the CLI's). */
export async function verifyEmail(dbPath, email) {
  const r = await cli(['user', 'verify-email', '--db', dbPath, email]);
  assert.equal(r.code, 0, `verify-email ${email}: ${r.stderr}`);
}

// ---------------------------------------------------------------------------
// Two-factor sign-in for staff (RFC 6238 TOTP, SHA-1, 6 digits, 30 s), as an authenticator app computes it.
//
// Every staff and operator account the harness makes is enrolled: `kite user add --totp-secret`, or, for
// staff made through the API, the enrolment endpoints at their first sign-in (session()).  The server
// accepts each time step once per account, and a step either side of now, so the harness remembers the
// last step it spent per address and takes the next one, waiting for a new step when three are spent.

const totpAccounts = new Map(); // lower-cased email -> { secret, lastStep }

/** A new 160-bit secret in base32, as the server makes them. */
export function newTotpSecret() {
  return base32Encode(crypto.randomBytes(20));
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export function base32Encode(bytes) {
  let bits = 0, value = 0, out = '';
  for (const b of bytes) {
    value = (value << 8) | b; bits += 8;
    while (bits >= 5) { out += B32[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text) {
  let bits = 0, value = 0;
  const out = [];
  for (const ch of text.replace(/[=\s]/g, '').toUpperCase()) {
    value = (value << 5) | B32.indexOf(ch); bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

/** The 6-digit code of time step `step` (seconds since the epoch / 30) for a base32 secret. */
export function totpCode(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 15;
  const n = ((mac[off] & 127) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

/** The server's current time step. */
export function totpStep(srv) {
  return Math.floor((Date.now() + (srv?.clockOffsetMs || 0)) / 30_000);
}

/** The harness knows this account's secret from now on (kite user add --totp-secret, or an enrolment). */
export function rememberTotp(email, secret, lastStep = 0) {
  totpAccounts.set(String(email).toLowerCase(), { secret, lastStep });
}

export function totpSecretOf(email) {
  return totpAccounts.get(String(email).toLowerCase())?.secret;
}

/**
 * A code the server has not seen for this account yet: {code, step, prev}; waits for a new step when
 * needed.  The step counts as spent from here; releaseTotp gives it back when the server did not
 * take it (a wrong password, a throttled attempt), so failing sign-ins do not use up the steps.
 */
/**
 * The first time step after `after` the server will still take when the request reaches it: the
 * previous step only with 10 s of this one left (a request may cross into the next step, and the
 * server takes one step either side of its own), else this one or the next; null when all are spent.
 */
export function usableStep(srv, after) {
  const ms = Date.now() + (srv?.clockOffsetMs || 0);
  const now = Math.floor(ms / 30_000);
  const candidates = (30_000 - (ms % 30_000) >= 10_000 ? [now - 1] : []).concat([now, now + 1]);
  return candidates.find((x) => x > after) ?? null;
}

export async function nextTotp(srv, email) {
  const t = totpAccounts.get(String(email).toLowerCase());
  for (;;) {
    const step = usableStep(srv, t.lastStep);
    if (step !== null) {
      const prev = t.lastStep;
      t.lastStep = step;
      return { code: totpCode(t.secret, step), step, prev };
    }
    await sleep(1000);
  }
}

export function releaseTotp(email, { step, prev }) {
  const t = totpAccounts.get(String(email).toLowerCase());
  if (t && t.lastStep === step) t.lastStep = prev;
}

/** POST /sessions; a staff account the harness enrolled sends its next code too (unless the body has one). */
export async function signIn(srv, email, password, opts = {}) {
  const body = { email, password };
  const known = totpAccounts.has(String(email).toLowerCase()) && !opts.noTotp;
  const next = known ? await nextTotp(srv, email) : null;
  if (next) body.totp_code = next.code;
  const res = await srv.post('/api/v1/sessions', body, opts);
  if (next && res.status !== 201) releaseTotp(email, next);
  return res;
}

/**
 * Enrols a signed-in staff session's account (POST /me/two-factor, then the first code): the session can then
 * do staff work.  Returns {secret, recovery_codes}.
 */
export async function enrolTotp(srv, email, token) {
  const begun = await srv.post('/api/v1/me/two-factor', {}, { token });
  assert.equal(begun.status, 201, `two-factor enrolment for ${email}: ${describe(begun)}`);
  rememberTotp(email, begun.json.secret);
  const { code } = await nextTotp(srv, email);
  const done = await srv.post('/api/v1/me/two-factor/confirm', { code }, { token });
  assert.equal(done.status, 200, `two-factor confirmation for ${email}: ${describe(done)}`);
  return { secret: begun.json.secret, recovery_codes: done.json.recovery_codes };
}

/**
 * Sign in; asserts 201. Returns the session JSON plus the response.  A staff account that has not enrolled yet
 * (made through the API) is enrolled here, as a new staff member would at their first sign-in, unless
 * opts.enrol is false.
 */
export async function session(srv, email, password, opts = {}) {
  const res = await signIn(srv, email, password, opts);
  assert.equal(res.status, 201, `sign-in failed for ${email}: ${describe(res)}`);
  if (res.json.two_factor_enrollment_required && opts.enrol !== false) await enrolTotp(srv, email, res.json.token);
  return { ...res.json, res };
}

/** Loopback source address allocator: 127.0.0.2 .. 127.0.0.254, then 127.0.1.x. */
let addrCounter = 1;
export function freshAddress() {
  addrCounter += 1;
  const a = Math.floor(addrCounter / 250);
  const b = (addrCounter % 250) + 2;
  return `127.0.${a}.${b}`;
}

// ---------------------------------------------------------------------------
// CLI

/** Run `kite ARGS`; resolves {code, signal, stdout, stderr}. */
export function cli(args, { input, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(KITE_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    p.stdout.on('data', (c) => out.push(c));
    p.stderr.on('data', (c) => err.push(c));
    const timer = setTimeout(() => { p.kill('SIGKILL'); }, timeoutMs);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    p.stdin.on('error', () => {});
    if (input !== undefined) p.stdin.end(input);
    else p.stdin.end();
  });
}

/**
 * kite user add.  Staff and operators are enrolled in two-factor sign-in with a secret the harness keeps
 * (signIn sends their codes); totp: false leaves the account to enrol at its first sign-in.
 */
export async function userAdd(dbPath, { role, email, password, facility, totp = true }) {
  const args = ['user', 'add', '--db', dbPath, '--role', role, '--email', email];
  if (facility !== undefined) args.push('--facility', String(facility));
  const secret = totp && role !== 'contact' && role !== 'resident' ? newTotpSecret() : null;
  if (secret) args.push('--totp-secret', secret);
  const r = await cli(args, { input: `${password}\n` });
  if (secret && r.code === 0) rememberTotp(email, secret);
  return r;
}

export function auditVerify(dbPath) {
  return cli(['audit', 'verify', '--db', dbPath]);
}

/** Run audit verify, assert success, and return the record count it printed. */
export async function auditCount(dbPath) {
  const r = await auditVerify(dbPath);
  assert.equal(r.code, 0, `audit verify failed: code ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const m = /\b(\d+)\b/.exec(r.stdout);
  assert.ok(m, `audit verify printed no count: ${JSON.stringify(r.stdout)}`);
  return Number(m[1]);
}

export function importFacilities(dbPath, file) {
  return cli(['import-facilities', '--db', dbPath, file], { timeoutMs: 120_000 });
}

// ---------------------------------------------------------------------------
// sqlite3 CLI (node:sqlite does not exist in Node 20)

export function requireSqlite3() {
  try {
    execFileSync('sqlite3', ['-version'], { stdio: 'pipe' });
  } catch {
    throw new Error('the sqlite3 command-line tool is required by this test: apt-get install -y sqlite3');
  }
}

/**
 * Run SQL on the store and return what the sqlite3 CLI prints in list mode:
 * one line a row, `|` between columns, NULL as empty.  On a PostgreSQL URL psql
 * runs it with the same output; write the SQL in the common subset (CASE WHEN
 * rather than a bare boolean, which psql prints t/f; an alias on every
 * subquery in FROM) or through the sql* helpers below.
 */
export function sqlite(dbPath, sql) {
  if (isPg(dbPath)) {
    return execFileSync('psql', ['-XAtq', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-d', dbPath],
      { input: sql, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  }
  requireSqlite3();
  return execFileSync('sqlite3', ['-cmd', '.timeout 10000', dbPath, sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// --- SQL both engines take, for the few functions they spell differently ---

/** The function making a JSON object from `'key', value, ...`: SQLite's json_object is PostgreSQL's jsonb_build_object. */
export const SQL_JSON_OBJECT = ON_PG ? 'jsonb_build_object' : 'json_object';

/** A JSON object from `'key', value, ...`. */
export function sqlJsonObject(args) {
  return `${SQL_JSON_OBJECT}(${args})`;
}

/** 1 when `cond` holds, else 0, as SQLite prints a comparison (psql would print t or f). */
export function sqlFlag(cond) {
  return `CASE WHEN ${cond} THEN 1 ELSE 0 END`;
}

/**
 * The aggregate making one JSON array of `expr` over the rows, in the order the
 * rows come (aggregate over an ordered subquery).  `expr` is a JSON value from
 * sqlJsonObject or a plain column.  No rows give [] on both: PostgreSQL's
 * aggregate gives NULL there.
 */
export function sqlJsonArray(expr) {
  return ON_PG ? `COALESCE(jsonb_agg(${expr}), '[]'::jsonb)` : `json_group_array(${expr})`;
}

/** The values of `expr` joined with commas (group_concat / string_agg); distinct: each value once. */
export function sqlGroupConcat(expr, { distinct = false } = {}) {
  const d = distinct ? 'DISTINCT ' : '';
  return ON_PG ? `string_agg(${d}CAST(${expr} AS TEXT), ',')` : `group_concat(${d}${expr})`;
}

/**
 * The rows of `query`, whose one column r is a JSON object (SQL_JSON_OBJECT), as
 * JavaScript objects.
 */
export function sqlJsonRows(dbPath, query) {
  const all = isPg(dbPath) ? "COALESCE(jsonb_agg(q.r), '[]'::jsonb)" : 'json_group_array(json(q.r))';
  const out = sqlite(dbPath, `SELECT ${all} FROM (${query}) AS q`).trim();
  return JSON.parse(out || '[]').map((r) => (typeof r === 'string' ? JSON.parse(r) : r));
}

// ---------------------------------------------------------------------------
// The store of a server: a kite.db file, or a database on KITE_TEST_PG

export function isPg(dbPath) {
  return /^postgres(ql)?:\/\//.test(String(dbPath));
}

function psqlAdmin(sql) {
  return execFileSync('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', PG_ADMIN_URL],
    { input: sql, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

function databaseUrl(name) {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

let storeCounter = 0;
/** A database name no other test process picks: the pid, a counter and randomness. */
function uniqueDatabaseName(prefix) {
  storeCounter += 1;
  return `${prefix}_${process.pid}_${storeCounter}_${crypto.randomBytes(4).toString('hex')}`;
}

/**
 * The store `name` in `dir`: on SQLite the file dir/name.db; on PostgreSQL a
 * database of its own, made the first time and remembered in dir/name.pg-url,
 * so a test that starts a server again on the same dir (a restart, opts.dir)
 * finds the same store, as it would find the same file.
 * opts.empty: a database without Kite's schema, as a never-served file is.
 */
export async function storeIn(dir, name = 'kite', { empty = false } = {}) {
  if (!ON_PG) return path.join(dir, `${name}.db`);
  const remembered = path.join(dir, `${name}.pg-url`);
  if (fs.existsSync(remembered)) return fs.readFileSync(remembered, 'utf8').trim();
  const db = uniqueDatabaseName('kite');
  const template = empty ? 'template0' : await servedTemplate();
  psqlAdmin(`CREATE DATABASE ${db} TEMPLATE ${template};`);
  const url = databaseUrl(db);
  fs.writeFileSync(remembered, `${url}\n`);
  return url;
}

/** Drop a test database (the server on it stopped); a store already gone is no error. */
export function dropStore(url) {
  const name = new URL(url).pathname.slice(1);
  if (!/^kite_[a-z0-9_]+$/.test(name)) throw new Error(`not a test database: ${url}`);
  try {
    psqlAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE);`);
  } catch (e) {
    process.stderr.write(`# could not drop ${name}: ${e.stderr || e.message}\n`);
  }
}

function pgDump(url) {
  return execFileSync('pg_dump', ['--no-owner', '--no-privileges', '-d', url],
    { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A copy of the store taken while its server runs, to corrupt behind Kite's back
 * without touching the original: VACUUM INTO `sqliteFile` on SQLite, a new
 * database restored from pg_dump on PostgreSQL.  Returns the copy's dbPath;
 * removeStore deletes it.
 */
export function copyStore(dbPath, sqliteFile) {
  if (!isPg(dbPath)) {
    fs.rmSync(sqliteFile, { force: true });
    sqlite(dbPath, `VACUUM INTO '${sqliteFile.replace(/'/g, "''")}'`);
    return sqliteFile;
  }
  const name = uniqueDatabaseName('kite_copy');
  psqlAdmin(`CREATE DATABASE ${name} TEMPLATE template0;`);
  const url = databaseUrl(name);
  execFileSync('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', url],
    { input: pgDump(dbPath), maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
  return url;
}

/** Remove a store: the file (and its WAL companions) or the database. */
export function removeStore(dbPath) {
  if (isPg(dbPath)) {
    dropStore(dbPath);
    return;
  }
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) fs.rmSync(f, { force: true });
}

/**
 * Everything the store holds, as bytes, to prove a secret is nowhere in it:
 * the file and its WAL on SQLite, a full pg_dump on PostgreSQL.  Returns
 * [label, Buffer] pairs.
 */
export function storeContents(dbPath) {
  if (isPg(dbPath)) return [[`pg_dump of ${dbPath}`, pgDump(dbPath)]];
  return [dbPath, `${dbPath}-wal`].filter((f) => fs.existsSync(f)).map((f) => [f, fs.readFileSync(f)]);
}

/*
 * A fresh store costs a server its migrations and the load of the facility
 * directory (thousands of rows); on PostgreSQL that is seconds a start.  So a
 * server initialises one database once per binary and data, left as a
 * template, and every store is a copy of it: the directory is loaded when the
 * facilities table is empty (domain/directory), so a copy starts as a
 * restarted server does.  The template's name carries the binary's and the
 * data's identity, so a rebuilt binary never gets a stale schema.  Test files
 * run in parallel processes: each one that finds no template builds a
 * candidate under a name of its own and renames it into place; the rename is
 * atomic, and a loser drops its candidate and uses the winner's.
 */
let templatePromise = null;
function servedTemplate() {
  templatePromise ??= buildTemplate();
  return templatePromise;
}

function templateName() {
  const h = crypto.createHash('sha256');
  for (const f of [KITE_BIN, FACILITIES_CSV]) {
    const st = fs.statSync(f);
    h.update(`${fs.realpathSync(f)}:${st.size}:${st.mtimeMs}\n`);
  }
  h.update(DATA_DIR);
  return `kite_template_${h.digest('hex').slice(0, 16)}`;
}

async function buildTemplate() {
  const name = templateName();
  const exists = () => psqlAdmin(`SELECT 1 FROM pg_database WHERE datname = '${name}';`).trim() === '1';
  if (exists()) return name;
  const candidate = uniqueDatabaseName('kite_candidate');
  psqlAdmin(`CREATE DATABASE ${candidate} TEMPLATE template0;`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-bb-template-'));
  fs.writeFileSync(path.join(dir, 'kite.pg-url'), `${databaseUrl(candidate)}\n`);
  try {
    const srv = await startServer({ dir });
    await srv.stopAndAssertClean();
  } catch (e) {
    dropStore(databaseUrl(candidate));
    throw e;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  try {
    // No connection may ever reach the template: CREATE DATABASE ... TEMPLATE refuses a used one.
    psqlAdmin(`ALTER DATABASE ${candidate} RENAME TO ${name};\n`
      + `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true;`);
  } catch (e) {
    if (!exists()) throw e;
    dropStore(databaseUrl(candidate));
  }
  return name;
}

// ---------------------------------------------------------------------------
// CSV (RFC 4180) for computing expectations from data/facilities.csv

export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i += 1; continue;
      }
      field += c; i += 1; continue;
    }
    if (c === '"') { quoted = true; i += 1; continue; }
    if (c === ',') { row.push(field); field = ''; i += 1; continue; }
    if (c === '\r') { i += 1; continue; }
    if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 1; continue; }
    field += c; i += 1;
  }
  if (field.length || row.length) { row.push(field); rows.push(row); }
  return rows;
}

let csvCache = null;
/** Rows of data/facilities.csv as objects, the nameless row removed. */
export function directoryRows() {
  if (csvCache) return csvCache;
  const [header, ...rest] = parseCsv(fs.readFileSync(FACILITIES_CSV, 'utf8'));
  csvCache = rest
    .filter((r) => r.length === header.length)
    .map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])))
    .filter((r) => r.name.trim() !== '');
  return csvCache;
}

export function tmpFile(dir, name, content) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Wrong attempts until the server makes the caller wait: attempt(i) sends the i-th wrong attempt
 * and resolves its answer (401 expected). Sign-in throttles are progressive delays (1 s, 2 s, 4 s
 * ... after a few free failures): a 429 whose Retry-After is shorter than minWait seconds is
 * waited out as a client would, and the next failure doubles the wait. Returns as soon as a 429
 * says at least minWait seconds, so the caller's next request still meets the wait however slow
 * the machine is. Resolves { failures, last } (last: that 429).
 */
export async function failUntilWaiting(attempt, { minWait = 4, maxFailures = 40, context = '' } = {}) {
  let failures = 0;
  for (;;) {
    const res = await attempt(failures);
    if (res.status === 429) {
      const ra = Number(res.headers['retry-after']);
      assert.ok(Number.isInteger(ra) && ra > 0, `${context} 429 without a Retry-After: ${res.headers['retry-after']}`);
      if (ra >= minWait) return { failures, last: res };
      await sleep(ra * 1000 + 50);
      continue;
    }
    assert.ok([401, 404, 422].includes(res.status), `${context} wrong attempt ${failures + 1}: ${describe(res)}`);
    failures += 1;
    assert.ok(failures <= maxFailures, `${context} ${failures} failures and never a wait of ${minWait} s`);
  }
}

export { assert, once };

/**
 * POST a whole body with Content-Length the way a plain client does (headers
 * and body written at once, no Expect: 100-continue), then read the answer.
 * Uses a raw socket so an early answer followed by a reset is observable:
 * resolves {status|null, headers, body, json, error}. status null means the
 * answer was lost.
 */
export function postWhole(srv, p, body, { localAddress, contentType = 'application/json' } = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const head = `POST ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\nContent-Length: ${buf.length}\r\nConnection: close\r\n\r\n`;
  return rawRequest(srv.port, [Buffer.from(head), buf], { localAddress, timeoutMs: 15_000 })
    .then((r) => ({ ...r, text: r.body }));
}
