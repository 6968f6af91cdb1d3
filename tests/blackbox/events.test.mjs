// Server-Sent Events (issue 4 "Delivery and reading"): GET /api/v1/events tells a
// resident about a new message and a sender about every status change, only for
// the caller's own account; Last-Event-ID resumes without loss or repeats; idle
// streams hold no thread (50 open, requests still fast, no CPU burnt); caps per
// account (429) and per process (503); sign-out ends a stream at the next
// heartbeat; SIGTERM with open streams exits 0 at once; a second server process
// on the same store sees the first one's events.
import { test, before, after } from 'node:test';
import http from 'node:http';
import fs from 'node:fs';
import {
  World, assert, assertError, facilityIdByName, describeRes, anyNumber, RFC3339,
} from './lib/flows.mjs';
import { startServer, register, session, sleep, sqlJsonArray, sqlJsonObject } from './lib/kite.mjs';

// ---------------------------------------------------------------------------
// A small SSE client (the spec's parsing rules, enough for these tests)

class Stream {
  constructor(req, res) {
    this.req = req;
    this.res = res;
    this.status = res.statusCode;
    this.headers = res.headers;
    this.raw = '';
    this.events = []; // {id, event, data, json}
    this.comments = [];
    this.retry = null;
    this.ended = false;
    this.listeners = new Set();
    let pending = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      this.raw += chunk;
      pending += chunk;
      let cut;
      while ((cut = pending.indexOf('\n\n')) >= 0) {
        this.#block(pending.slice(0, cut));
        pending = pending.slice(cut + 2);
      }
      this.#notify();
    });
    res.on('end', () => { this.ended = true; this.#notify(); });
    res.on('error', () => { this.ended = true; this.#notify(); });
    req.on('error', () => { this.ended = true; this.#notify(); });
  }

  #block(text) {
    const e = { id: null, event: 'message', data: [] };
    let isEvent = false;
    for (const line of text.split('\n')) {
      if (line.startsWith(':')) { this.comments.push(line.slice(1).trim()); continue; }
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? '' : line.slice(i + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'retry') this.retry = Number(value);
      else if (field === 'id') { e.id = value; isEvent = true; }
      else if (field === 'event') { e.event = value; isEvent = true; }
      else if (field === 'data') { e.data.push(value); isEvent = true; }
    }
    if (!isEvent) return;
    e.data = e.data.join('\n');
    try { e.json = JSON.parse(e.data); } catch { e.json = undefined; }
    e.id = Number(e.id);
    this.events.push(e);
  }

  #notify() { for (const l of [...this.listeners]) l(); }

  json() { try { return JSON.parse(this.raw); } catch { return undefined; } }

  /** Resolves when pred(this) holds; fails after timeoutMs with what arrived. */
  waitFor(pred, timeoutMs = 10_000, what = 'condition') {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (pred(this)) { done(); resolve(this); return true; }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`stream: timed out waiting for ${what}; got ${JSON.stringify(this.events)} raw ${JSON.stringify(this.raw.slice(0, 800))}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this.listeners.delete(check); };
      this.listeners.add(check);
      check();
    });
  }

  waitEvents(n, timeoutMs) {
    return this.waitFor((s) => s.events.length >= n, timeoutMs, `${n} events`);
  }

  waitEnd(timeoutMs) { return this.waitFor((s) => s.ended, timeoutMs, 'the end of the stream'); }

  close() { this.req.destroy(); }
}

const open = [];

/** GET /api/v1/events; resolves once the status line and headers arrived. */
function openStream(port, { token, cookie, lastEventId, query = '' } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { Accept: 'text/event-stream' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (cookie) headers.Cookie = `kite_session=${cookie}`;
    if (lastEventId !== undefined) headers['Last-Event-ID'] = String(lastEventId);
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: `/api/v1/events${query}`, headers, agent: false });
    req.on('response', (res) => {
      const s = new Stream(req, res);
      open.push(s);
      if (s.status === 200) resolve(s);
      else res.on('end', () => resolve(s));
    });
    req.on('error', reject);
    req.setTimeout(120_000, () => req.destroy());
    req.end();
  });
}

/** A 200 stream whose retry line arrived (so the server has registered it). */
async function listen(port, person, opts = {}) {
  const s = await openStream(port, { token: person.token, ...opts });
  assert.equal(s.status, 200, `GET events: ${s.status} ${s.raw}`);
  await s.waitFor((x) => x.retry !== null, 10_000, 'the retry line');
  return s;
}

// ---------------------------------------------------------------------------
// The world: AVENAL (jpay, flagged_only: clean messages are delivered at once)
// and CORCORAN (jpay, review all, with a reviewer).

let w;
let op;
let AV;
let COR;
let ana; // resident at AVENAL
let carla; // ana's contact
let carlaContact; // their contact id
let ben; // resident at AVENAL, no contacts
let dave; // a contact with no relations
let rosa; // resident at CORCORAN
let eli; // rosa's contact
let eliContact;
let reviewer;

async function me(person) {
  const res = await w.get('/api/v1/me', person.token);
  assert.equal(res.status, 200, `GET me: ${describeRes(res)}`);
  person.account = res.json.account || res.json;
  return person;
}

async function send(from, contactId, subject, body = 'Hello from the tests') {
  const res = await w.post('/api/v1/messages', { contact_id: contactId, subject, body }, from.token);
  assert.equal(res.status, 202, `send: ${describeRes(res)}`);
  return res.json;
}

function dbEvents(accountId, afterId = 0) {
  const event = sqlJsonObject("'id', id, 'kind', kind, 'message_id', message_id, 'status', status");
  const out = w.sql(`SELECT ${sqlJsonArray(event)} FROM (SELECT * FROM events WHERE account_id = ${accountId} AND id > ${afterId} ORDER BY id) AS q`);
  return JSON.parse(out || '[]');
}

const brief = (e) => ({ id: e.id, kind: e.event, message_id: e.json.message_id, status: e.json.status });

before(async () => {
  w = await World.start();
  op = await w.operator();
  AV = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  COR = await facilityIdByName(w.srv, 'CALIFORNIA STATE PRISON, CORCORAN (COR)');
  await w.putPolicy(op.token, AV, { profile: 'jpay', review: 'flagged_only' });
  await w.putPolicy(op.token, COR, { profile: 'jpay', review: 'all' });
  ana = await me(await w.resident(op.token, AV, { number: anyNumber('EV'), first_name: 'Ana', last_name: 'Moreno' }));
  ben = await me(await w.resident(op.token, AV, { number: anyNumber('EV'), first_name: 'Ben', last_name: 'Okafor' }));
  rosa = await me(await w.resident(op.token, COR, { number: anyNumber('EV'), first_name: 'Rosa', last_name: 'Diaz' }));
  carla = await w.contact({ full_name: 'Carla Diaz' });
  dave = await w.contact({ full_name: 'Dave Stone' });
  eli = await w.contact({ full_name: 'Eli Park' });
  carlaContact = (await w.connectByRequest(ana, carla)).id;
  eliContact = (await w.connectByRequest(rosa, eli)).id;
  // Messages are paid for: the contacts buy stamps, the residents have trust money.
  await w.fundContact(carla, AV, 'jpay');
  await w.fundContact(eli, COR, 'jpay');
  await w.fundResident(op.token, ana, 'jpay');
  await w.fundResident(op.token, rosa, 'jpay');
  reviewer = await w.staff(op.token, COR, 'reviewer');
});

after(async () => {
  // A clean exit (code 0: no sanitizer report, no leak) with whatever streams are still open.
  if (w && w.srv.running) await w.srv.stopAndAssertClean();
  for (const s of open) s.close();
  if (w) await w.close();
});

// ---------------------------------------------------------------------------

test('without a session → 401 JSON; a bad token → 401; staff → 403; a bad Last-Event-ID → 422', async () => {
  const none = await w.get('/api/v1/events');
  assertError(none, 401, 'unauthenticated');
  assertError(await w.get('/api/v1/events', 'f'.repeat(64)), 401, 'unauthenticated');
  assertError(await w.get('/api/v1/events', op.token), 403, 'forbidden');
  assertError(await w.get('/api/v1/events', reviewer.token), 403, 'forbidden');
  const bad = await openStream(w.srv.port, { token: carla.token, lastEventId: '12abc' });
  assert.equal(bad.status, 422);
  assert.equal(bad.json().error.code, 'invalid_field');
  assert.equal(bad.json().error.field, 'Last-Event-ID');
  const neg = await openStream(w.srv.port, { token: carla.token, query: '?last_event_id=-1' });
  assert.equal(neg.status, 422);
  assert.equal(neg.json().error.field, 'last_event_id');
  assertError(await w.post('/api/v1/events', {}, carla.token), 405, 'method_not_allowed');
});

test('200 text/event-stream, no-store, "retry: 3000" first; a cookie session works too', async () => {
  const s = await listen(w.srv.port, carla);
  assert.match(s.headers['content-type'], /^text\/event-stream/);
  assert.equal(s.headers['cache-control'], 'no-store');
  assert.ok(s.raw.startsWith('retry: 3000\n\n'), JSON.stringify(s.raw));
  assert.equal(s.events.length, 0, 'a stream without Last-Event-ID starts empty');
  s.close();
  const c = await openStream(w.srv.port, { cookie: carla.token });
  assert.equal(c.status, 200);
  await c.waitFor((x) => x.retry === 3000, 5_000, 'the retry line');
  c.close();
});

test('flagged_only: the resident gets message.new at delivery, the sender pending_review → approved → delivered, then read; nobody else hears a thing', async () => {
  const anaS = await listen(w.srv.port, ana);
  const carlaS = await listen(w.srv.port, carla);
  const benS = await listen(w.srv.port, ben);
  const daveS = await listen(w.srv.port, dave);
  const eliS = await listen(w.srv.port, eli);

  const m = await send(carla, carlaContact, 'Visiting Sunday');
  assert.equal(m.status, 'delivered');
  await anaS.waitEvents(1);
  const news = anaS.events[0];
  assert.equal(news.event, 'message.new');
  assert.equal(news.json.message_id, m.id);
  assert.equal(news.json.status, 'delivered');
  assert.match(news.json.at, RFC3339);
  assert.deepEqual(Object.keys(news.json).sort(), ['at', 'message_id', 'status']);
  assert.ok(Number.isInteger(news.id) && news.id > 0);

  await carlaS.waitEvents(3);
  assert.deepEqual(carlaS.events.map((e) => [e.event, e.json.message_id, e.json.status]), [
    ['message.status', m.id, 'pending_review'], ['message.status', m.id, 'approved'], ['message.status', m.id, 'delivered'],
  ]);
  const ids = carlaS.events.map((e) => e.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ids increase');
  assert.equal(new Set(ids).size, 3);

  const read = await w.post(`/api/v1/messages/${m.id}/read`, undefined, ana.token);
  assert.equal(read.status, 200, `read: ${describeRes(read)}`);
  await carlaS.waitEvents(4);
  assert.deepEqual(brief(carlaS.events[3]).status, 'read');
  assert.equal(carlaS.events[3].json.message_id, m.id);

  // The other direction: the resident writes, the contact is told.
  const back = await send(ana, carlaContact, 'Re: Visiting Sunday');
  await carlaS.waitFor((s) => s.events.some((e) => e.event === 'message.new' && e.json.message_id === back.id), 10_000, 'message.new for carla');
  await anaS.waitFor((s) => s.events.filter((e) => e.event === 'message.status' && e.json.message_id === back.id).length === 3, 10_000, 'ana\'s statuses');

  // Exactly what the store holds for each account, and nothing for the others.
  await sleep(800); // several polls
  assert.deepEqual(anaS.events.map(brief), dbEvents(ana.account.id, news.id - 1));
  assert.deepEqual(carlaS.events.map(brief), dbEvents(carla.account.id, ids[0] - 1));
  for (const [name, s] of [['ben', benS], ['dave', daveS], ['eli', eliS]]) {
    assert.equal(s.events.length, 0, `${name} got someone else's events: ${JSON.stringify(s.events)}`);
  }
  for (const s of [anaS, carlaS, benS, daveS, eliS]) s.close();
});

test('review all: the sender hears pending_review, then approved and delivered when a reviewer approves; the resident only then gets message.new', async () => {
  const eliS = await listen(w.srv.port, eli);
  const rosaS = await listen(w.srv.port, rosa);
  const m = await send(eli, eliContact, 'For review');
  assert.equal(m.status, 'pending_review');
  await eliS.waitEvents(1);
  assert.equal(eliS.events[0].json.status, 'pending_review');
  await sleep(700);
  assert.equal(rosaS.events.length, 0, 'the resident heard of a message still in review');
  assert.equal(eliS.events.length, 1);

  const d = await w.post(`/api/v1/review/${m.id}`, { decision: 'approve' }, reviewer.token);
  assert.equal(d.status, 200, `approve: ${describeRes(d)}`);
  await eliS.waitEvents(3);
  assert.deepEqual(eliS.events.map((e) => e.json.status), ['pending_review', 'approved', 'delivered']);
  await rosaS.waitEvents(1);
  assert.equal(rosaS.events[0].event, 'message.new');
  assert.equal(rosaS.events[0].json.message_id, m.id);

  // A rejection is a status change for the sender and nothing for the resident.
  const r = await send(eli, eliContact, 'Another one');
  await eliS.waitEvents(4);
  const rej = await w.post(`/api/v1/review/${r.id}`, { decision: 'reject', reason: 'other', note: 'no' }, reviewer.token);
  assert.equal(rej.status, 200, `reject: ${describeRes(rej)}`);
  await eliS.waitEvents(5);
  assert.deepEqual(brief(eliS.events[4]), { id: eliS.events[4].id, kind: 'message.status', message_id: r.id, status: 'rejected' });
  await sleep(700);
  assert.equal(rosaS.events.length, 1, 'the resident heard of a rejected message');
  eliS.close();
  rosaS.close();
});

test('Last-Event-ID resumes: every missed event once, in order, then live ones; ?last_event_id= too; the header wins over the query', async () => {
  const first = await listen(w.srv.port, carla);
  const m1 = await send(carla, carlaContact, 'One');
  await first.waitEvents(3);
  const lastSeen = first.events[2].id;
  first.close();

  // Missed while away: two messages of carla's (3 statuses each) and the read of m1.
  const m2 = await send(carla, carlaContact, 'Two');
  const m3 = await send(carla, carlaContact, 'Three');
  assert.equal((await w.post(`/api/v1/messages/${m1.id}/read`, undefined, ana.token)).status, 200);
  const missed = dbEvents(carla.account.id, lastSeen);
  assert.equal(missed.length, 7, JSON.stringify(missed));
  assert.deepEqual(new Set(missed.map((e) => e.message_id)), new Set([m1.id, m2.id, m3.id]));

  const again = await listen(w.srv.port, carla, { lastEventId: lastSeen });
  await again.waitEvents(7);
  await sleep(800);
  assert.deepEqual(again.events.map(brief), missed, 'replay differs from the store');

  const viaQuery = await listen(w.srv.port, carla, { query: `?last_event_id=${lastSeen}` });
  await viaQuery.waitEvents(7);
  assert.deepEqual(viaQuery.events.map(brief), missed);
  viaQuery.close();

  const both = await listen(w.srv.port, carla, { lastEventId: missed[5].id, query: `?last_event_id=${lastSeen}` });
  await both.waitEvents(1);
  await sleep(600);
  assert.deepEqual(both.events.map(brief), missed.slice(6), 'Last-Event-ID must win over ?last_event_id=');
  both.close();

  // Live events continue on the resumed stream, each once.
  const m4 = await send(carla, carlaContact, 'Four');
  await again.waitEvents(10);
  await sleep(800);
  assert.equal(again.events.length, 10);
  assert.deepEqual(again.events.slice(7).map((e) => [e.json.message_id, e.json.status]),
    [[m4.id, 'pending_review'], [m4.id, 'approved'], [m4.id, 'delivered']]);
  const ids = again.events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, 'an event came twice');
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));

  // Without a resume point only new events come, however many are stored.
  const fresh = await listen(w.srv.port, carla);
  await sleep(800);
  assert.equal(fresh.events.length, 0, 'a fresh stream replayed old events');
  again.close();
  fresh.close();

  // A resume point past everything just waits.
  const ahead = await listen(w.srv.port, carla, { lastEventId: 10 ** 12 });
  await sleep(500);
  assert.equal(ahead.events.length, 0);
  ahead.close();
});

test('a burst of 30 messages sent at once: each of 3 open streams gets every event once, in id order', async () => {
  const streams = [await listen(w.srv.port, carla), await listen(w.srv.port, carla), await listen(w.srv.port, carla)];
  const sent = await Promise.all(Array.from({ length: 30 }, (_, i) => send(ana, carlaContact, `Burst ${i}`)));
  const ids = new Set(sent.map((m) => m.id));
  await Promise.all(streams.map((st) => st.waitFor((x) => x.events.filter((e) => e.event === 'message.new').length >= 30, 15_000, '30 message.new')));
  await sleep(800);
  for (const st of streams) {
    const news = st.events.filter((e) => e.event === 'message.new');
    assert.equal(news.length, 30, 'an event came twice or went missing');
    assert.deepEqual(new Set(news.map((e) => e.json.message_id)), ids);
    const eventIds = st.events.map((e) => e.id);
    assert.deepEqual(eventIds, [...eventIds].sort((a, b) => a - b));
    assert.equal(new Set(eventIds).size, eventIds.length);
  }
  for (const st of streams) st.close();
});

test('one account may hold 5 streams: the 6th → 429 JSON with Retry-After; closed ones (reloaded pages) free their places at once', async () => {
  const fay = await w.contact({ full_name: 'Fay Five' });
  const streams = [];
  for (let i = 0; i < 5; i++) streams.push(await listen(w.srv.port, fay));
  const sixth = await openStream(w.srv.port, { token: fay.token });
  assert.equal(sixth.status, 429, sixth.raw);
  assert.match(sixth.headers['content-type'], /application\/json/);
  assert.equal(sixth.json().error.code, 'too_many_attempts');
  assert.match(sixth.json().error.message, /streams/);
  assert.ok(Number(sixth.headers['retry-after']) > 0);
  // Another account is not affected.
  const other = await listen(w.srv.port, ben);
  other.close();

  // A page reloaded five times: each old stream is closed by the browser, a new one opens at once.
  for (let i = 0; i < 5; i++) {
    streams[i].close();
    await sleep(50); // the FIN crosses loopback
    streams[i] = await listen(w.srv.port, fay);
  }
  // They all work: an event reaches each of them.
  const m = await send(ana, carlaContact, 'Not for fay'); // someone else's event first
  const fayContact = (await w.connectByRequest(ben, fay)).id;
  await w.fundResident(op.token, ben, 'jpay'); // ben pays for his message from his trust account
  const n = await send(ben, fayContact, 'For fay');
  await Promise.all(streams.map((s) => s.waitFor((x) => x.events.some((e) => e.json.message_id === n.id), 5_000, 'message.new for fay')));
  for (const s of streams) assert.ok(!s.events.some((e) => e.json.message_id === m.id));
  for (const s of streams) s.close();
});

test('50 idle streams hold no thread: requests stay fast, events still arrive, the server burns no CPU', async () => {
  const people = [];
  for (let i = 0; i < 10; i++) people.push(await w.contact({ full_name: `Idle ${i}` }));
  const streams = [];
  for (const p of people) for (let i = 0; i < 5; i++) streams.push(openStream(w.srv.port, { token: p.token }));
  const opened = await Promise.all(streams);
  for (const s of opened) assert.equal(s.status, 200);
  await Promise.all(opened.map((s) => s.waitFor((x) => x.retry !== null, 10_000, 'retry')));
  const anaS = await listen(w.srv.port, ana);

  // The default server has 4 worker threads; 51 open streams must not block anyone.
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t0 = Date.now();
    const res = await w.get(i % 2 ? '/healthz' : '/api/v1/me', carla.token);
    times.push(Date.now() - t0);
    assert.equal(res.status, 200);
  }
  const parallel = await Promise.all(Array.from({ length: 20 }, () => w.get('/api/v1/contacts', carla.token)));
  for (const r of parallel) assert.equal(r.status, 200);
  assert.ok(Math.max(...times) < 2000, `requests slowed down with 51 open streams: ${times.join(',')} ms`);

  const m = await send(carla, carlaContact, 'While 50 wait');
  const t0 = Date.now();
  await anaS.waitFor((s) => s.events.some((e) => e.json.message_id === m.id), 5_000, 'message.new');
  assert.ok(Date.now() - t0 < 3000);

  // Idle: no busy loop anywhere (CPU time of the whole process over 2 s).
  const cpu = () => {
    const f = fs.readFileSync(`/proc/${w.srv.proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (1/100 s)
  };
  await sleep(500);
  const c0 = cpu();
  await sleep(2000);
  const used = cpu() - c0;
  assert.ok(used <= 20, `the server used ${used / 100} s of CPU in 2 s with 51 idle streams`);
  for (const s of opened) assert.equal(s.ended, false, 'a stream ended by itself');
  for (const s of [...opened, anaS]) s.close();
});

test('keep-alive comments every ~15 s; signing out ends the stream at the next heartbeat', { timeout: 60_000 }, async () => {
  const stays = await listen(w.srv.port, carla);
  const gone = await me(await w.contact({ full_name: 'Signing Out' }));
  const leaves = await listen(w.srv.port, gone);
  const out = await w.del('/api/v1/sessions/current', gone.token);
  assert.ok([200, 204].includes(out.status), `sign out: ${describeRes(out)}`);
  const t0 = Date.now();
  await stays.waitFor((s) => s.comments.includes('keep-alive'), 20_000, 'a keep-alive comment');
  const waited = Date.now() - t0;
  assert.ok(waited > 10_000, `keep-alive came after ${waited} ms, much sooner than 15 s`);
  assert.ok(stays.raw.includes('\n: keep-alive\n\n') || stays.raw.startsWith(': keep-alive\n\n') || /\n\n: keep-alive\n\n/.test(stays.raw));
  await leaves.waitEnd(10_000);
  assert.equal(leaves.events.length, 0);
  assert.equal(stays.ended, false);
  stays.close();
});

test('a second server process on the same store streams the events the first one writes', async () => {
  const second = await startServer({ dir: w.dir, extraArgs: ['--public-url', 'http://kite.test'] });
  try {
    const anaS = await listen(second.port, ana);
    const m = await send(carla, carlaContact, 'Across processes'); // written by the first server
    await anaS.waitFor((s) => s.events.some((e) => e.event === 'message.new' && e.json.message_id === m.id), 5_000, 'message.new on the second server');
    anaS.close();
    await second.stopAndAssertClean();
  } finally {
    if (second.running) { // the directory belongs to the first server: only stop this one
      second.proc.kill('SIGKILL');
      await second.exited;
    }
  }
});

test('SIGTERM with open streams (parked, busy and abandoned): exit 0 at once, each stream ends cleanly', async () => {
  const srv = await startServer({ extraArgs: ['--max-event-streams', '3'] });
  try {
    const reg = await register(srv);
    const s1 = await session(srv, reg.email, reg.password);
    const a = await listen(srv.port, { token: s1.token });
    const b = await listen(srv.port, { token: s1.token });
    const c = await listen(srv.port, { token: s1.token });
    // The process cap: a 4th stream from another account → 503 busy.
    const reg2 = await register(srv);
    const s2 = await session(srv, reg2.email, reg2.password);
    const fourth = await openStream(srv.port, { token: s2.token });
    assert.equal(fourth.status, 503, fourth.raw);
    assert.equal(fourth.json().error.code, 'busy');
    assert.ok(Number(fourth.headers['retry-after']) > 0);
    c.close(); // abandoned: the server has not noticed yet
    await sleep(100);
    const t0 = Date.now();
    const r = await srv.stopAndAssertClean();
    assert.equal(r.code, 0);
    assert.ok(Date.now() - t0 < 5000, `exit took ${Date.now() - t0} ms with open streams`);
    await a.waitEnd(2_000);
    await b.waitEnd(2_000);
    assert.match(srv.readLog(), /stopped/);
  } finally {
    await srv.cleanup();
  }
});
