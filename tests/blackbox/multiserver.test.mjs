// Several `kite serve` on one PostgreSQL database (issue 9, "stateless app
// servers"): three servers share one store, one SMTP relay and one card
// processor, and a client may land on any of them.
//
// Design: the servers are started together on a fresh database, so their
// migrations and directory load race as they would in a rolling deployment.
// Every request of a test goes round-robin over the three, so anything one
// process kept to itself (a session, a throttle counter, an idempotency key,
// a balance read) shows up as a wrong answer on another.  The money burst
// sends more paid messages than the balances pay for, from both sides of one
// family at once, while event streams listen on all three servers: every
// stream therefore hears events written by the other two processes, and is
// compared with the events table row by row.  One Idempotency-Key sent to
// the three at once charges once; one message decided on the three at once
// is decided once and its stamp settled once.  The sweepers race by
// restarting all three servers together with the clock past a review
// window.  The mail check runs last, over everything the file caused: every
// outbox row sent, and each reached the one shared sink exactly once (the
// Message-ID names the outbox row) although three mailers ran.
//
// Needs KITE_TEST_PG, the admin URL of a throw-away cluster
// (postgresql://postgres@127.0.0.1:PORT); the test creates and drops its own
// database there.  Without it the file is skipped.
//
// SECURITY: money.  Balances are read back from the servers and the store;
// `kite ledger verify` and `kite audit verify` run on the database at the end.
import { test, before, after } from 'node:test';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import {
  startServer, assert, assertError, cli, sleep, signIn, uniqueEmail, strongPassword, freshAddress, verifyEmail,
  failUntilWaiting,
} from './lib/kite.mjs';
import { World, PUBLIC_URL, HOUR, facilityIdByName, anyNumber, describeRes } from './lib/flows.mjs';
import { SmtpSink, parseMessage } from './lib/smtp-sink.mjs';
import { startSandbox } from './lib/processor.mjs';

const PG = process.env.KITE_TEST_PG || '';
const skip = PG ? false : 'KITE_TEST_PG is not set (the admin URL of a throw-away PostgreSQL cluster)';
const N = 3;

let dbName;
let dbUrl;
let sink;
let sandbox;
let servers = [];
let W = []; // one World per server, sharing the sink: W[i].post(...) goes to server i
let op; // operator
let J; // jpay, flagged_only: clean messages are delivered (and paid) at once
let CN; // connectnetwork: contact requests approved by a 72-hour review window
const dirs = new Set();
let fundingKeys = 0;

function adminUrl(database) {
  const u = new URL(PG);
  u.pathname = `/${database}`;
  return u.toString();
}

/** psql on the test database; the output as psql -At prints it. */
function sql(q) {
  return execFileSync('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', dbUrl], { input: q, encoding: 'utf8' }).trim();
}

/** Rows of a query as JSON objects (one json_build_object per row in `q`'s only column). */
function rows(q) {
  const out = sql(`SELECT COALESCE(json_agg(r), '[]'::json) FROM (${q}) AS t(r)`);
  return JSON.parse(out || '[]');
}

/** Starts the three servers at once on the database, the clock moved forward clockOffset seconds. */
async function boot(clockOffset = 0) {
  const args = ['--smtp', sink.url, '--public-url', PUBLIC_URL, '--processor', sandbox.baseUrl];
  const env = {};
  if (clockOffset) {
    args.push('--test-clock-offset', String(clockOffset));
    env.KITE_ALLOW_TEST_CLOCK = '1';
  }
  servers = await Promise.all(Array.from({ length: N }, () => startServer({ db: dbUrl, extraArgs: args, env })));
  for (const s of servers) dirs.add(s.dir);
  W = servers.map((s, i) => {
    const w = W[i] || new World();
    w.srv = s;
    w.sink = sink;
    w.dir = s.dir;
    // One sequence of Idempotency-Keys for the three, or two servers' first keys would be one key.
    w.fundingKey = (what) => `bb-ms-${what}-${process.pid}-${++fundingKeys}`;
    return w;
  });
}

async function stopAll() {
  const results = await Promise.all(servers.map((s) => s.stop('SIGTERM', 15_000)));
  results.forEach((r, i) => {
    assert.deepEqual([r.timedOut, r.signal, r.code], [false, null, 0], `server ${i + 1} did not stop cleanly:\n${servers[i].logTail()}`);
  });
}

/** A contact registered (from an address of its own) and signed in on server i. */
async function contact(i, full_name) {
  const email = uniqueEmail('ms');
  const password = strongPassword();
  const reg = await servers[i].post('/api/v1/accounts', { email, password, full_name, phone: '+1 555 0100' }, { localAddress: freshAddress() });
  assert.equal(reg.status, 201, `register on server ${i + 1}: ${describeRes(reg)}`);
  await verifyEmail(servers[i].dbPath, email); // paying needs a confirmed address
  const s = await signIn(servers[(i + 1) % N], email, password);
  assert.equal(s.status, 201, describeRes(s));
  return { token: s.json.token, csrf: s.json.csrf_token, account: s.json.account, email, password, full_name };
}

async function me(i, person) {
  const r = await W[i].get('/api/v1/me', person.token);
  assert.equal(r.status, 200, describeRes(r));
  person.account = r.json.account || r.json;
  return person;
}

async function wallet(i, person) {
  const r = await W[i].get('/api/v1/wallet', person.token);
  assert.equal(r.status, 200, describeRes(r));
  return r.json;
}

async function stamps(i, person, facilityId) {
  const b = (await wallet(i, person)).bundles.find((x) => x.facility_id === facilityId && x.unit === 'stamps');
  return b ? b.balance : 0;
}

// ---------------------------------------------------------------------------
// Event streams (the format events.test.mjs reads)

class Stream {
  constructor(req, res) {
    this.req = req;
    this.status = res.statusCode;
    this.events = [];
    this.retry = null;
    this.listeners = new Set();
    let pending = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      pending += chunk;
      let cut;
      while ((cut = pending.indexOf('\n\n')) >= 0) {
        this.#block(pending.slice(0, cut));
        pending = pending.slice(cut + 2);
      }
      for (const l of [...this.listeners]) l();
    });
    res.on('error', () => {});
    req.on('error', () => {});
  }

  #block(text) {
    const e = { id: null, event: 'message', data: [] };
    let isEvent = false;
    for (const line of text.split('\n')) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? '' : line.slice(i + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'retry') this.retry = Number(value);
      else if (field === 'id') { e.id = Number(value); isEvent = true; }
      else if (field === 'event') { e.event = value; isEvent = true; }
      else if (field === 'data') { e.data.push(value); isEvent = true; }
    }
    if (!isEvent) return;
    const json = JSON.parse(e.data.join('\n'));
    this.events.push({ id: e.id, kind: e.event, message_id: json.message_id ?? null, status: json.status ?? null });
  }

  waitFor(pred, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred(this)) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(this);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`stream: timed out waiting for ${what}; got ${this.events.length} events`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  close() { this.req.destroy(); }
}

/** GET /api/v1/events on server i, once the server registered it (its retry line arrived). */
async function listen(i, person) {
  const s = await new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: servers[i].port, method: 'GET', path: '/api/v1/events', agent: false,
      headers: { Accept: 'text/event-stream', Authorization: `Bearer ${person.token}` },
    });
    req.on('response', (res) => resolve(new Stream(req, res)));
    req.on('error', reject);
    req.end();
  });
  assert.equal(s.status, 200, `GET events on server ${i + 1}`);
  await s.waitFor((x) => x.retry !== null, 10_000, 'the retry line');
  return s;
}

function dbEvents(accountId, afterId) {
  return rows(`SELECT json_build_object('id', id, 'kind', kind, 'message_id', message_id, 'status', status)
    FROM events WHERE account_id = ${Number(accountId)} AND id > ${Number(afterId)} ORDER BY id`);
}

// ---------------------------------------------------------------------------

before(async () => {
  if (skip) return;
  dbName = `kite_multiserver_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  execFileSync('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', adminUrl('postgres'), '-c', `CREATE DATABASE ${dbName}`]);
  dbUrl = adminUrl(dbName);
  sink = new SmtpSink();
  await sink.start();
  sandbox = await startSandbox();
  await boot();
  op = await W[0].operator();
  J = await facilityIdByName(servers[1], 'AVENAL STATE PRISON');
  CN = await facilityIdByName(servers[2], 'ANDERSON COUNTY JAIL');
  await W[1].putPolicy(op.token, J, { profile: 'jpay', review: 'flagged_only' });
  await W[2].putPolicy(op.token, CN, { profile: 'connectnetwork' });
});

after(async () => {
  if (skip) return;
  for (const s of servers) await s.stop('SIGKILL', 5_000);
  if (sink) await sink.stop();
  if (sandbox) await sandbox.cleanup();
  if (dbName) {
    execFileSync('psql', ['-XAtq', '-d', adminUrl('postgres'), '-c', `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`]);
  }
  if (!process.env.KITE_KEEP) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('three servers started together on a fresh database migrate it once and all answer', { skip }, async () => {
  const versions = rows("SELECT json_build_object('v', version, 'n', n) FROM (SELECT version, COUNT(*) AS n FROM schema_migrations GROUP BY version) m ORDER BY version");
  assert.ok(versions.length > 0, 'no migrations recorded');
  assert.deepEqual(versions.filter((v) => v.n !== 1), [], 'a migration was recorded twice');
  const facilities = Number(sql('SELECT COUNT(*) FROM facilities'));
  const distinct = Number(sql('SELECT COUNT(DISTINCT source_id) FROM facilities'));
  assert.equal(facilities, distinct, 'the directory was loaded more than once');
  for (const s of servers) assert.equal((await s.get('/api/v1/facilities?q=AVENAL')).status, 200);
});

test('a facility that joins Kite on one server shows as on the platform in every server\'s search at once: kept search answers follow the directory version', { skip }, async () => {
  const q = '/api/v1/facilities?q=folsom%20state%20prison&limit=5';
  const folsom = async (s) => {
    const res = await s.get(q);
    assert.equal(res.status, 200, describeRes(res));
    const f = res.json.items.find((x) => x.name.startsWith('FOLSOM STATE PRISON'));
    assert.ok(f, `FOLSOM STATE PRISON not found: ${describeRes(res)}`);
    return f;
  };
  // Asked twice on each server: the second answer is the kept one.
  for (const s of servers) for (let i = 0; i < 2; i++) assert.equal((await folsom(s)).on_platform, false);
  const id = (await folsom(servers[0])).id;
  await W[1].putPolicy(op.token, id, { profile: 'jpay' });
  for (const [i, s] of servers.entries()) {
    const f = await folsom(s);
    assert.deepEqual([f.on_platform, f.messaging_provider.slug], [true, 'kite'], `server ${i + 1} answered from an older directory`);
  }
});

test('a session made on one server works on the others; sign-out on one ends it on all; the CSRF token too', { skip }, async () => {
  const c = await contact(0, 'Sam Session');
  const s = await signIn(servers[0], c.email, c.password);
  assert.equal(s.status, 201, describeRes(s));
  const cookie = s.json.token;
  const csrf = s.json.csrf_token;
  for (const i of [1, 2]) {
    const r = await servers[i].get('/api/v1/me', { cookie });
    assert.equal(r.status, 200, `cookie on server ${i + 1}: ${describeRes(r)}`);
    assert.equal((r.json.account || r.json).id, c.account.id);
  }
  // A state change with the cookie needs the CSRF token made on server 1; server 2 checks it.
  assertError(await servers[1].del('/api/v1/sessions/current', { cookie, csrf: 'wrong' }), 403, /^csrf_token_/);
  const out = await servers[1].del('/api/v1/sessions/current', { cookie, csrf });
  assert.equal(out.status, 204, describeRes(out));
  for (const i of [0, 2]) {
    assertError(await servers[i].get('/api/v1/me', { cookie }), 401, 'unauthenticated', `after sign-out, server ${i + 1}:`);
  }
});

test('sign-in failures count across servers: spread over three, the wait holds on any', { skip }, async () => {
  const victim = await contact(1, 'Tia Throttle');
  const addr = freshAddress();
  await failUntilWaiting((i) => signIn(servers[i % N], victim.email, `wrong-password-${i}`, { localAddress: addr }),
    { context: 'failures spread over the servers:' });
  for (let i = 0; i < N; i++) {
    const r = await signIn(servers[i], victim.email, victim.password, { localAddress: addr });
    assertError(r, 429, 'too_many_attempts', `the right password on server ${i + 1} from the waiting address:`);
  }
  // Another address is not held up by those failures.
  const other = await signIn(servers[2], victim.email, victim.password, { localAddress: freshAddress() });
  assert.equal(other.status, 201, describeRes(other));
});

test('one Idempotency-Key sent to the three servers at once charges once', { skip }, async () => {
  const c = await contact(2, 'Ida Key');
  const key = `bb-ms-topup-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const card = { number: '4242424242424242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' };
  const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => W[i % N].srv.request('POST', '/api/v1/wallet/top-ups', {
    body: { amount_cents: 1000, card }, token: c.token, headers: { 'Idempotency-Key': key },
  })));
  for (const a of answers) assert.ok([200, 201, 202].includes(a.status), describeRes(a));
  assert.equal(new Set(answers.map((a) => a.json.id)).size, 1, 'one top-up for one key');
  const last = await W[0].srv.request('POST', '/api/v1/wallet/top-ups', {
    body: { amount_cents: 1000, card }, token: c.token, headers: { 'Idempotency-Key': key },
  });
  assert.equal(last.status, 200, describeRes(last));
  for (let i = 0; i < N; i++) assert.equal((await wallet(i, c)).balance_cents, 1000, `balance on server ${i + 1}`);
  const pk = sql(`SELECT processor_key FROM wallet_top_ups WHERE id = ${Number(last.json.id)}`);
  const charged = await sandbox.get(`/v1/charges?idempotency_key=${pk}`);
  assert.equal(charged.status, 200, describeRes(charged));
  assert.equal(charged.json.amount_cents, 1000);
});

test('a family sends 2×60 paid messages round-robin over three servers with money for 2×25: exactly 25 each, balances 0; every stream on every server hears every event once, in order', { skip }, async () => {
  const PAID = 25;
  const TRIES = 60;
  const r = await me(0, await W[0].resident(op.token, J, { number: anyNumber('MS'), first_name: 'Ana', last_name: 'Moreno' }));
  const c = await contact(1, 'Carla Moreno');
  const contactId = (await W[2].connectByRequest(r, c)).id;
  // The contact: 25 stamps; the resident: trust money for exactly 25 messages at the quoted price.
  await W[1].topUp(c, 5000);
  // 25 stamps as the facility sells them (bundles of 5 and 10), bought through all three servers.
  await W[2].buyBundle(c, J, 'stamps', 10);
  await W[0].buyBundle(c, J, 'stamps', 10);
  await W[1].buyBundle(c, J, 'stamps', 5);
  const q = await W[0].post('/api/v1/messages/quote', { contact_id: contactId, subject: 'q', body: 'Resident message.' }, r.token);
  assert.equal(q.status, 200, describeRes(q));
  assert.equal(q.json.unit, 'cents');
  await W[1].trustDeposit(op.token, r.resident.id, q.json.amount * PAID);
  assert.equal(await stamps(0, c, J), PAID);
  assert.equal((await wallet(2, r)).balance_cents, q.json.amount * PAID);

  // Streams for both accounts on every server; the burst writes through all three.
  const streams = [];
  for (let i = 0; i < N; i++) streams.push({ who: c, on: i, s: await listen(i, c) }, { who: r, on: i, s: await listen(i, r) });
  const base = {
    [c.account.id]: Number(sql(`SELECT COALESCE(MAX(id), 0) FROM events WHERE account_id = ${c.account.id}`)),
    [r.account.id]: Number(sql(`SELECT COALESCE(MAX(id), 0) FROM events WHERE account_id = ${r.account.id}`)),
  };

  const sends = [];
  for (let k = 0; k < TRIES; k++) {
    sends.push(W[k % N].post('/api/v1/messages', { contact_id: contactId, subject: `from carla ${k}`, body: `One stamp, number ${k}.` }, c.token)
      .then((res) => ({ who: 'contact', server: k % N, res })));
    sends.push(W[(k + 1) % N].post('/api/v1/messages', { contact_id: contactId, subject: `from ana ${k}`, body: 'Resident message.' }, r.token)
      .then((res) => ({ who: 'resident', server: (k + 1) % N, res })));
  }
  const answers = await Promise.all(sends);
  for (const who of ['contact', 'resident']) {
    const mine = answers.filter((a) => a.who === who);
    const counts = {};
    for (const a of mine) counts[a.res.status] = (counts[a.res.status] || 0) + 1;
    assert.deepEqual(counts, { 202: PAID, 402: TRIES - PAID },
      `${who}: ${mine.filter((a) => ![202, 402].includes(a.res.status)).map((a) => `server ${a.server + 1}: ${describeRes(a.res)}`).join('\n')}`);
    for (const a of mine.filter((x) => x.res.status === 402)) assertError(a.res, 402, 'insufficient_funds');
    // Every server took part in the accepted ones.
    assert.equal(new Set(mine.filter((a) => a.res.status === 202).map((a) => a.server)).size, N, `${who}: not every server accepted a send`);
  }
  for (let i = 0; i < N; i++) {
    assert.equal(await stamps(i, c, J), 0, `stamps on server ${i + 1}`);
    const rw = await wallet(i, r);
    assert.deepEqual([rw.balance_cents, rw.held_cents], [0, 0], `the resident's trust on server ${i + 1}`);
  }
  assert.equal(Number(sql(`SELECT COUNT(*) FROM messages WHERE contact_id = ${contactId}`)), 2 * PAID, 'only the paid messages exist');
  assert.equal(Number(sql(`SELECT COUNT(*) FROM messages WHERE contact_id = ${contactId} AND status = 'delivered'`)), 2 * PAID);

  // Each stream: exactly the store's events of its account since it subscribed, once each, ids increasing.
  for (const { who, on, s } of streams) {
    const want = dbEvents(who.account.id, base[who.account.id]);
    assert.ok(want.length >= 3 * PAID, `account ${who.account.id}: only ${want.length} events in the store`);
    await s.waitFor((x) => x.events.length >= want.length, 30_000, `${want.length} events on server ${on + 1}`);
    await sleep(1000); // several polls: nothing more may come
    const ids = s.events.map((e) => e.id);
    assert.deepEqual(ids, [...new Set(ids)].sort((a, b) => a - b), `server ${on + 1}: ids repeat or go back`);
    assert.deepEqual(s.events, want, `server ${on + 1}, account ${who.account.id}: the stream differs from the events table`);
    s.close();
  }

  const lv = await cli(['ledger', 'verify', '--db', dbUrl]);
  assert.equal(lv.code, 0, `kite ledger verify: exit ${lv.code}\n${lv.stdout}${lv.stderr}`);
  assert.match(lv.stdout, /^ledger: ok/);
});

test('one message decided on the three servers at once: one decision wins, the stamp is settled once', { skip }, async () => {
  const RA = await facilityIdByName(servers[0], 'CALIFORNIA STATE PRISON, CORCORAN (COR)');
  await W[0].putPolicy(op.token, RA, { profile: 'jpay', review: 'all' });
  const reviewers = await Promise.all([0, 1].map(() => W[1].staff(op.token, RA, 'reviewer')));
  const r = await me(2, await W[2].resident(op.token, RA, { number: anyNumber('MR') }));
  const c = await contact(0, 'Dee Decide');
  const contactId = (await W[1].connectByRequest(r, c)).id;
  await W[2].topUp(c, 1000);
  await W[0].buyBundle(c, RA, 'stamps', 10);
  for (let round = 0; round < 3; round++) {
    const m = await W[round % N].post('/api/v1/messages', { contact_id: contactId, subject: `decide ${round}`, body: 'Read me.' }, c.token);
    assert.equal(m.status, 202, describeRes(m));
    assert.equal(m.json.status, 'pending_review');
    // Approve on two servers and reject on the third, all at once.
    const answers = await Promise.all(Array.from({ length: N }, (_, i) => W[i].post(`/api/v1/review/${m.json.id}`,
      i === round ? { decision: 'reject', reason: 'other', note: 'race' } : { decision: 'approve' }, reviewers[i % 2].token)));
    const won = answers.filter((a) => a.status === 200);
    assert.equal(won.length, 1, answers.map(describeRes).join('\n'));
    for (const a of answers.filter((x) => x.status !== 200)) assertError(a, 409, undefined, 'the losing decision:');
    const hold = JSON.parse(sql(`SELECT json_build_object('state', state) FROM ledger_holds WHERE subject_id = ${m.json.id}`));
    assert.equal(hold.state, won[0].json.status === 'delivered' ? 'captured' : 'released');
    const history = sql(`SELECT string_agg(status, ',' ORDER BY id) FROM message_events WHERE message_id = ${m.json.id}`);
    assert.equal(history, won[0].json.status === 'delivered' ? 'pending_review,approved,delivered' : 'pending_review,rejected',
      'the message went through one decision');
  }
  const captured = Number(sql(`SELECT COUNT(*) FROM ledger_holds WHERE state = 'captured' AND subject_id IN (SELECT id FROM messages WHERE contact_id = ${contactId})`));
  assert.equal(await stamps(1, c, RA), 10 - captured, 'only the delivered messages were paid for');
});

test('a review window passes while three sweepers run: each request is approved once (one contact, one audit record, one mail)', { skip }, async () => {
  const REQUESTS = 4;
  const r = await W[0].resident(op.token, CN, { number: anyNumber('MW'), first_name: 'Rosa', last_name: 'Diaz' });
  const asked = [];
  for (let k = 0; k < REQUESTS; k++) {
    const c = await contact(k % N, `Window ${k}`);
    const q = await W[(k + 1) % N].request(c, { facility_id: CN, resident_number: r.number });
    assert.equal(q.json.status, 'pending');
    asked.push({ c, id: q.json.id });
  }
  const ids = asked.map((a) => a.id).join(',');
  // Every server stops, and all three start together 73 hours later: their startup settling and
  // their sweepers' first ticks race for the same due requests.
  await stopAll();
  await boot(72 * HOUR + HOUR);
  const deadline = Date.now() + 20_000;
  while (Number(sql(`SELECT COUNT(*) FROM contact_requests WHERE id IN (${ids}) AND status = 'pending'`)) > 0) {
    assert.ok(Date.now() < deadline, 'the requests were not approved within 20 s of the restart');
    await sleep(200);
  }
  await sleep(1500); // let every sweeper finish its tick
  const statuses = rows(`SELECT json_build_object('id', id, 'status', status, 'by', decided_by) FROM contact_requests WHERE id IN (${ids}) ORDER BY id`);
  assert.deepEqual(statuses.map((s) => [s.status, s.by]), asked.map(() => ['approved', 'system']));
  const audits = rows(`SELECT json_build_object('target', target, 'n', COUNT(*), 'window', bool_and(detail LIKE '%by=review_window%'))
    FROM audit_log WHERE action = 'contact_request.approve'
    AND target IN (${asked.map((a) => `'contact_request:${a.id}'`).join(',')}) GROUP BY target`);
  assert.equal(audits.length, REQUESTS, JSON.stringify(audits));
  assert.deepEqual(audits.filter((a) => a.n !== 1 || !a.window), [], 'a request was approved more than once, or not by its window');
  const links = Number(sql(`SELECT COUNT(*) FROM contacts WHERE resident_id = ${Number(r.resident.id)}`));
  assert.equal(links, REQUESTS, 'one contact per approved request');
  const mails = Number(sql(`SELECT COUNT(*) FROM outbox WHERE kind = 'request_decided' AND to_address IN (${asked.map((a) => `'${a.c.email}'`).join(',')})`));
  assert.equal(mails, REQUESTS, 'one decision mail per request');
});

test('every mail the file caused reached the shared relay exactly once although three mailers ran', { skip }, async () => {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pending = Number(sql("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'"));
    if (pending === 0) break;
    assert.ok(Date.now() < deadline, `${pending} mails still not sent: ${sql("SELECT status || ' ' || COUNT(*) FROM outbox GROUP BY status")}`);
    await sleep(200);
  }
  await sleep(1000); // a duplicate would be on the wire by now
  const outbox = rows("SELECT json_build_object('id', id, 'to', to_address, 'kind', kind) FROM outbox ORDER BY id");
  assert.ok(outbox.length >= 10, `only ${outbox.length} mails: the test caused too little mail to mean anything`);
  const byId = new Map();
  for (const m of sink.messages) {
    const p = parseMessage(m.data);
    const mid = /<kite-outbox-(\d+)\./.exec(p.header('message-id') || '');
    assert.ok(mid, `a mail without Kite's Message-ID: ${p.header('message-id')}`);
    const id = Number(mid[1]);
    byId.set(id, (byId.get(id) || 0) + 1);
    const row = outbox.find((o) => o.id === id);
    assert.ok(row, `the relay got outbox row ${id}, which the store does not hold`);
    assert.deepEqual(m.to, [row.to], `row ${id} went to the wrong address`);
  }
  const twice = [...byId].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'mails delivered more than once ([outbox id, times])');
  const missing = outbox.filter((o) => !byId.has(o.id));
  assert.deepEqual(missing, [], 'mails marked sent that never reached the relay');
  assert.equal(sink.messages.length, outbox.length);
  // Mail of every kind the activity makes: welcomes, message notices, window decisions.
  const kinds = new Set(outbox.map((o) => o.kind));
  for (const k of ['message_delivered', 'request_decided']) assert.ok(kinds.has(k), `no ${k} mail: ${[...kinds]}`);
});

test('after everything: the ledger and the audit chain verify on the database; every server stops cleanly', { skip }, async () => {
  await stopAll();
  const lv = await cli(['ledger', 'verify', '--db', dbUrl]);
  assert.equal(lv.code, 0, `kite ledger verify: exit ${lv.code}\n${lv.stdout}${lv.stderr}`);
  assert.match(lv.stdout, /^ledger: ok/);
  const av = await cli(['audit', 'verify', '--db', dbUrl]);
  assert.equal(av.code, 0, `kite audit verify: exit ${av.code}\n${av.stdout}${av.stderr}`);
  const records = Number(sql('SELECT COUNT(*) FROM audit_log'));
  assert.match(av.stdout, new RegExp(`\\b${records}\\b`), `audit verify did not check all ${records} records: ${av.stdout}`);
});
