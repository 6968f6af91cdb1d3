// Every store step of every state-changing request fails in turn, and the
// store is never left half-way.
//
// money-faults.test.mjs does this for the paid requests, with the money
// traced to the cent; this file does it for every other request that
// changes state: each POST, PUT, PATCH and DELETE of openapi.json, which a
// test below checks against the two tables. Kite runs with
// --test-fault-injection on (a test build, KITE_ALLOW_FAULT_INJECTION=1): a
// request carrying "X-Kite-Fault-Step: N" has its own Nth store step fail as
// the engine would fail it, and GET /api/v1/test/fault-injection says how
// many steps it made and which one failed.
//
// For each request, on a fresh preparation each time (a new account, a new
// resident, a new pending request …):
//   - N = 0 only counts: the request succeeds, and the rows it adds to or
//     takes from each table are its "whole" change;
//   - every N from 1 to that count: the request answers a 5xx JSON error,
//     never a success, a crash or a hang; `kite audit verify` and `kite
//     ledger verify` pass on the store (checked after the last step: see
//     VERIFY_EACH); each table's row count moved either
//     not at all or exactly as the whole change moves it (a failure after the
//     commit), never by part; and the same request again without a fault
//     succeeds when nothing was kept (nothing half-made stands in its way).
// Row counts are a coarse trace, and that is the point: they need no
// knowledge of the request, so the same check holds for all of them.
// Throttles' attempt counts (ATTEMPT_COUNTS) are left out: an attempt
// counts whether or not the store managed the rest, in a transaction of its
// own; where that transaction comes after the answer is settled (countsAfter),
// its failure leaves the request whole and answered as a success.
// Without an SMTP server the outbox keeps its mail, so no background work
// moves a count while a request is measured.

import test, { after, before } from 'node:test';
import fs from 'node:fs';
import {
  World, assert, bopNumber, facilityIdByName, describeRes, uniqueEmail, strongPassword,
} from './lib/flows.mjs';
import {
  cli, assertErrorBody, freshAddress, verifyEmail, session, isPg, sqlite, REPO_ROOT, userAdd, totpCode, totpStep, totpSecretOf,
} from './lib/kite.mjs';
import { makePng } from './lib/png.mjs';
import { smallWebm } from './lib/video.mjs';

const FAULT = { env: { KITE_ALLOW_FAULT_INJECTION: '1' }, args: ['--test-fault-injection', 'on'] };
const STEP_LIMIT = 300;
// `kite audit verify` and `kite ledger verify` run after the last step of each request (and with
// KITE_FAULTS_VERIFY_EACH=1 after every step too, to find the step that broke them): a broken hash
// chain or an unbalanced transaction cannot mend itself, and each step works on things prepared for
// it alone, which no later step touches; so both passing at the end proves they passed after every
// step, at a fraction of the cost.
const VERIFY_EACH = process.env.KITE_FAULTS_VERIFY_EACH === '1';
// Janus for the live visit's rows (make test runs one: tools/janus.sh); without it those rows change less.
const JANUS = process.env.KITE_TEST_JANUS || '';
const JANUS_ARGS = ['--janus-url', JANUS || 'http://127.0.0.1:9/janus', '--janus-api-secret',
  process.env.KITE_TEST_JANUS_SECRET || 'none', '--janus-admin-secret', process.env.KITE_TEST_JANUS_SECRET || 'none',
  '--janus-admin-url', (JANUS && (process.env.KITE_TEST_JANUS_ADMIN || (process.env.KITE_TEST_JANUS || '').replace(/:(\d+)\/janus$/, (_, port) => `:${Number(port) + 1}/admin`))) || 'http://127.0.0.1:9/admin'];
const LIVE_FP = '11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00';
const liveLine = (kind, mid, pt, codec) => [`m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt}`, 'c=IN IP4 0.0.0.0', 'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx', `a=fingerprint:sha-256 ${LIVE_FP}`, 'a=setup:actpass', `a=mid:${mid}`, 'a=sendonly',
  'a=rtcp-mux', `a=rtpmap:${pt} ${codec}`];
const LIVE_OFFER = { type: 'offer', sdp: ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1',
  ...liveLine('audio', '0', 111, 'opus/48000/2'), ...liveLine('video', '1', 96, 'VP8/90000'), ''].join('\r\n') };

// The requests money-faults.test.mjs covers (lib/paid.mjs), by route.
const PAID_ROUTES = new Set([
  'POST /api/v1/wallet/top-ups', 'POST /api/v1/wallet/bundles', 'POST /api/v1/money-transfers',
  'POST /api/v1/phone-accounts/{id}/deposits', 'POST /api/v1/facilities/{id}/calls',
  'POST /api/v1/residents/{id}/trust-deposits', 'POST /api/v1/wallet/subscriptions',
]);

let w;
let op;
const F = {}; // facility ids: A federal (both ways of contact), C federal (transfers), pool for policies
let tables = [];
let spareFacilities = [];
let family; // a contact for the requests that do not use one up or look residents up (each Argon2 hash saved is time)
let writers; // a connected pair for the message requests: each preparation sends a new message

const PNG = makePng(16, 12);
const VIDEO = smallWebm();

before(async () => {
  // The live visit's routes are on with a media engine named: the real one when make test runs Janus (KITE_TEST_JANUS).
  w = await World.start({ extraArgs: [...FAULT.args, ...JANUS_ARGS], env: FAULT.env });
  op = await w.operator();
  F.A = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  F.C = await facilityIdByName(w.srv, 'FCI ASHLAND');
  // One pair writes every message here: more than a day's default limit.
  await w.putPolicy(op.token, F.A, { profile: 'federal', contact_initiation: 'both', daily_send_limit: 10000 }, 201);
  await w.putPolicy(op.token, F.C, { profile: 'federal' }, 201);
  const list = await w.get('/api/v1/facilities?state=TX&limit=100');
  assert.equal(list.status, 200, describeRes(list));
  spareFacilities = list.json.items.map((f) => f.id).filter((id) => id !== F.A && id !== F.C);
  const q = isPg(w.dbPath)
    ? "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
    // A virtual table (the FTS5 message_search) needs Kite's tokenizer to be read: its shadow tables are counted instead.
    : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY 1";
  tables = sqlite(w.dbPath, q).trim().split('\n').filter(Boolean);
  assert.ok(tables.length > 20, `tables: ${tables}`);
  family = await contact();
  writers = await pair();
});

after(async () => { if (w) await w.close(); });

// ---------------------------------------------------------------------------
// The trace: rows per table.

function counts() {
  const q = tables.map((t) => `SELECT '${t}', COUNT(*) FROM ${t}`).join(' UNION ALL ');
  const out = {};
  for (const line of sqlite(w.dbPath, q).trim().split('\n')) {
    const [t, n] = line.split('|');
    out[t] = Number(n);
  }
  return out;
}

/*
 * Throttles count attempts, and an attempt counts whether or not the store then managed the
 * rest: their counts are written in transactions of their own (before the request's, or after
 * its answer is settled), so they are left out of the trace.
 */
const ATTEMPT_COUNTS = new Set(['attempt_delays', 'signin_throttle']);

function moved(before, after) {
  const d = {};
  for (const t of tables) if (!ATTEMPT_COUNTS.has(t) && after[t] !== before[t]) d[t] = after[t] - before[t];
  return d;
}

async function verified(context) {
  const [ledger, audit] = await Promise.all([
    cli(['ledger', 'verify', '--db', w.dbPath]), cli(['audit', 'verify', '--db', w.dbPath])]);
  assert.equal(ledger.code, 0, `${context}: kite ledger verify exit ${ledger.code}\n${ledger.stdout}${ledger.stderr}`);
  assert.equal(audit.code, 0, `${context}: kite audit verify exit ${audit.code}\n${audit.stdout}${audit.stderr}`);
}

async function faultReport() {
  const r = await w.get('/api/v1/test/fault-injection');
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// ---------------------------------------------------------------------------
// People and things each preparation makes fresh.

let keys = 0;
const newKey = () => `bb-store-faults-${process.pid}-${++keys}`;

/** A signed-in contact, registered from an address of its own (one address may register only so many an hour). */
async function contact({ verify = true } = {}) {
  const email = uniqueEmail('faults');
  const password = strongPassword();
  const res = await w.srv.request('POST', '/api/v1/accounts', {
    body: { email, password, full_name: 'Fault Contact', phone: '+1 555 0100' }, localAddress: freshAddress(),
  });
  assert.equal(res.status, 201, `registration: ${describeRes(res)}`);
  if (verify) await verifyEmail(w.dbPath, email);
  const s = await session(w.srv, email, password);
  return { token: s.token, account: s.account, email, password };
}

/* A reviewer of F.A made by the CLI, signed in: enrolled in two-factor sign-in, or (totp false) not yet. */
async function staffer({ totp }) {
  const email = uniqueEmail('faults-2fa');
  const password = strongPassword();
  const r = await userAdd(w.dbPath, { role: 'reviewer', email, password, facility: F.A, totp });
  assert.equal(r.code, 0, r.stderr);
  const s = await session(w.srv, email, password, { enrol: false, localAddress: freshAddress() });
  return { token: s.token, account: s.account, email };
}

/* A contact registered as an attorney, pending: the operator's decision is what the row fails. */
async function attorney() {
  const c = await contact();
  const reg = await w.srv.post('/api/v1/attorneys', { bar_number: 'NY-7654321', bar_state: 'NY' }, { token: c.token });
  assert.equal(reg.status, 201, describeRes(reg));
  return reg.json;
}

const resident = (facility = F.A) => w.resident(op.token, facility, { number: bopNumber(), first_name: 'Ada', last_name: 'Faults' });

/*
 * A contact to make a contact request: looking residents up by number is throttled per account
 * (a few quick ones, then growing waits), so each contact of this pool makes only a few.
 */
const REQUESTS_PER_CONTACT = 5;
let requesters = [];
let requestsMade = 0;
async function requester() {
  const i = Math.floor(requestsMade++ / REQUESTS_PER_CONTACT);
  requesters[i] ??= contact();
  return requesters[i];
}

/** A new resident connected to a contact of the pool. */
async function pair() {
  const r = await resident();
  const c = await requester();
  const item = await w.connectByRequest(r, c);
  return { r, c, contactId: item.id };
}

async function sent(p, { review = false } = {}) {
  const m = await w.post('/api/v1/messages', { contact_id: p.contactId, subject: 'Faults', body: 'A short note.' }, p.c.token);
  assert.equal(m.status, 202, describeRes(m));
  if (review) {
    const d = await w.post(`/api/v1/review/${m.json.id}`, { decision: 'approve' }, op.token);
    assert.equal(d.status, 200, describeRes(d));
  }
  return m.json.id;
}

/** The token of the newest mail to `address` whose text has `linkPath`, read from the outbox. */
async function mailedToken(address, linkPath) {
  const mails = await w.mailsTo(address, { count: 1 });
  const re = new RegExp(`${linkPath.replace(/[/?]/g, '\\$&')}\\?token=([0-9a-f]{64})`);
  for (let i = mails.length - 1; i >= 0; i--) {
    const m = re.exec(mails[i].text);
    if (m) return m[1];
  }
  assert.fail(`no ${linkPath} link in the mail to ${address}: ${mails.map((m) => m.subject)}`);
}

/** A phone number nobody here has used: one facility has one account per number. */
const AREAS = ['202', '212', '213', '305', '312', '404', '415', '503', '617', '702', '718', '808'];
let phones = 0;
function phoneNumber() {
  phones += 1;
  return `+1 ${AREAS[Math.floor(phones / 100) % AREAS.length]} 555 01${String(phones % 100).padStart(2, '0')}`;
}

function spareFacility() {
  const id = spareFacilities.shift();
  assert.ok(id, 'no spare facility left');
  return id;
}

// ---------------------------------------------------------------------------
// The requests: route, and a preparation that returns one call ready to send.
// call: {method, path, body, token, headers}; ok: the success statuses.

const call = (method, path, token, body, headers) => ({ method, path, token, body, headers });

/*
 * Video visits (visits.test.mjs) at F.A, on Chicago time: one room, one funded pair, a video
 * rate of 1 cent a minute; every booking gets a five-minute slot of its own, ten minutes after
 * the last one, so no two preparations compete for a place or overlap for the resident.
 */
let visitWorld;
let visitSlots = 0;
function visitsReady() {
  visitWorld ??= (async () => {
    const pol = await w.put(`/api/v1/facilities/${F.A}/visit-policy`, { time_zone: 'America/Chicago' }, op.token);
    assert.equal(pol.status, 200, describeRes(pol));
    const price = await w.put(`/api/v1/facilities/${F.A}/prices`, { video_cents_per_minute: 1 }, op.token);
    assert.equal(price.status, 200, describeRes(price));
    const room = await w.post(`/api/v1/facilities/${F.A}/visit-rooms`, { name: 'Faults kiosk' }, op.token);
    assert.equal(room.status, 201, describeRes(room));
    const p = await pair();
    await w.topUp(p.c, 5000);
    return { room: room.json.id, p, base: Math.floor((Date.now() + 2 * 86400000) / 60000) * 60000 };
  })();
  return visitWorld;
}

/** A new five-minute slot; returns its id and the start of its next occurrence. */
async function visitSlot() {
  const v = await visitsReady();
  const start = v.base + 10 * 60000 * visitSlots++;
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(start));
  const part = (t) => parts.find((x) => x.type === t).value;
  const res = await w.post(`/api/v1/facilities/${F.A}/visit-slots`, {
    room_id: v.room, weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(part('weekday')),
    start_time: `${part('hour')}:${part('minute')}`, length_minutes: 5, capacity: 1,
  }, op.token);
  assert.equal(res.status, 201, describeRes(res));
  return { id: res.json.id, startsAt: new Date(start).toISOString() };
}

/** A booked (pending) visit of the pair. */
async function visitBooked() {
  const v = await visitsReady();
  const s = await visitSlot();
  const res = await w.post('/api/v1/visits', { contact_id: v.p.contactId, starts_at: s.startsAt, slot_id: s.id }, v.p.c.token);
  assert.equal(res.status, 201, describeRes(res));
  return res.json.id;
}
let blackoutDays = 0;

/*
 * The live video visit (api/visit_live.c): a visit of a new pair running now at F.A (free: a video rate
 * of 0; no lead time, no approval; one slot for all of them, starting within two minutes, an hour long),
 * and with Janus, the contact already publishing (an offer of a browser's shape), so that a mute and a
 * leave each change one row.  Without Janus nothing publishes: the mute answers 409 (nobody sends) and the
 * leave only reads.
 */
let liveSetup = null;
let liveBooked = 0;
let liveSlot = null;
const LIVE_PER_SLOT = 50; // a slot's largest capacity: a new kiosk and slot for each fifty visits
async function liveVisit({ publish = false } = {}) {
  liveSetup ??= (async () => {
    assert.equal((await w.put(`/api/v1/facilities/${F.A}/prices`, { video_cents_per_minute: 0 }, op.token)).status, 200);
    const vp = await w.put(`/api/v1/facilities/${F.A}/visit-policy`,
      { time_zone: 'UTC', lead_minutes: 0, approval_required: false, monitoring_required: false }, op.token);
    assert.ok(vp.status === 200 || vp.status === 201, describeRes(vp));
    return { start: new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 60_000), monitor: await staffer({ totp: true }) };
  })();
  const { start, monitor } = await liveSetup;
  if (liveBooked++ % LIVE_PER_SLOT === 0) {
    liveSlot = (async () => {
      const room = await w.post(`/api/v1/facilities/${F.A}/visit-rooms`, { name: `Faults kiosk ${liveBooked}` }, op.token);
      assert.equal(room.status, 201, describeRes(room));
      const hhmm = `${String(start.getUTCHours()).padStart(2, '0')}:${String(start.getUTCMinutes()).padStart(2, '0')}`;
      const slot = await w.post(`/api/v1/facilities/${F.A}/visit-slots`,
        { room_id: room.json.id, weekday: start.getUTCDay(), start_time: hhmm, length_minutes: 60, capacity: LIVE_PER_SLOT }, op.token);
      assert.equal(slot.status, 201, describeRes(slot));
      return slot.json.id;
    })();
  }
  const slotId = await liveSlot;
  const p = await pair();
  const v = await w.srv.request('POST', '/api/v1/visits', { body: { contact_id: p.contactId, starts_at: start.toISOString(), slot_id: slotId },
    token: p.c.token, headers: { 'Idempotency-Key': newKey() } });
  assert.equal(v.status, 201, describeRes(v));
  if (publish && JANUS) {
    const pub = await w.post(`/api/v1/visits/${v.json.id}/media`, { action: 'publish', jsep: LIVE_OFFER }, p.c.token);
    assert.equal(pub.status, 200, describeRes(pub));
  }
  return { id: v.json.id, contact: p.c, monitor };
}

const ROWS = [
  // The count against the address's hourly limit is written after the account, in a transaction
  // of its own: when only it fails, the account is there and the answer is 201.
  { route: 'POST /api/v1/accounts', ok: [201], countsAfter: true, prepare: async () => ({
    ...call('POST', '/api/v1/accounts', undefined, { email: uniqueEmail('faults-reg'), password: strongPassword(), full_name: 'Fault Person', phone: '+1 555 0199' }),
    localAddress: freshAddress() }) },
  { route: 'POST /api/v1/sessions', ok: [201], prepare: async () =>
    call('POST', '/api/v1/sessions', undefined, { email: family.email, password: family.password }) },
  { route: 'DELETE /api/v1/sessions', ok: [204], prepare: async () => call('DELETE', '/api/v1/sessions', (await contact()).token) },
  { route: 'DELETE /api/v1/sessions/current', ok: [204], prepare: async () =>
    call('DELETE', '/api/v1/sessions/current', (await session(w.srv, family.email, family.password)).token) },
  { route: 'POST /api/v1/password-resets', ok: [202], prepare: async () => ({
    ...call('POST', '/api/v1/password-resets', undefined, { email: (await contact()).email }), localAddress: freshAddress() }) },
  { route: 'POST /api/v1/password-resets/confirm', ok: [200, 204], prepare: async () => {
    const c = await contact();
    const asked = await w.srv.request('POST', '/api/v1/password-resets', { body: { email: c.email }, localAddress: freshAddress() });
    assert.equal(asked.status, 202, describeRes(asked));
    const token = await mailedToken(c.email, 'reset-password');
    return call('POST', '/api/v1/password-resets/confirm', undefined, { token, password: strongPassword() });
  } },
  { route: 'DELETE /api/v1/me', ok: [200, 204], prepare: async () => {
    const c = await contact();
    return call('DELETE', '/api/v1/me', c.token, { current_password: c.password, confirm: 'DELETE' });
  } },
  { route: 'PATCH /api/v1/me', ok: [200], prepare: async () => call('PATCH', '/api/v1/me', (await contact()).token, { lang: 'es' }) },
  { route: 'POST /api/v1/me/password', ok: [200, 204], prepare: async () => {
    const c = await contact();
    return call('POST', '/api/v1/me/password', c.token, { current_password: c.password, new_password: strongPassword() });
  } },
  { route: 'POST /api/v1/me/email', ok: [202], prepare: async () => {
    const c = await contact();
    return call('POST', '/api/v1/me/email', c.token, { new_email: uniqueEmail('faults-move'), current_password: c.password });
  } },
  { route: 'POST /api/v1/me/email-verification', ok: [202, 204], prepare: async () =>
    call('POST', '/api/v1/me/email-verification', (await contact({ verify: false })).token, {}) },
  { route: 'POST /api/v1/email-verifications/confirm', ok: [200, 204], prepare: async () => {
    const c = await contact({ verify: false });
    return call('POST', '/api/v1/email-verifications/confirm', undefined, { token: await mailedToken(c.email, 'verify-email') });
  } },
  { route: 'POST /api/v1/email-changes/confirm', ok: [200, 204], prepare: async () => {
    const c = await contact();
    const to = uniqueEmail('faults-moved');
    const asked = await w.post('/api/v1/me/email', { new_email: to, current_password: c.password }, c.token);
    assert.equal(asked.status, 202, describeRes(asked));
    return call('POST', '/api/v1/email-changes/confirm', undefined, { token: await mailedToken(to, 'confirm-email') });
  } },
  { route: 'PUT /api/v1/facilities/{id}/policy', ok: [200, 201], prepare: async () =>
    call('PUT', `/api/v1/facilities/${spareFacility()}/policy`, op.token, { profile: 'jpay' }) },
  { route: 'PUT /api/v1/facilities/{id}/prices', ok: [200], prepare: async () => {
    const id = spareFacility();
    await w.putPolicy(op.token, id, { profile: 'jpay' }, 201);
    return call('PUT', `/api/v1/facilities/${id}/prices`, op.token, { terminal_cents_per_minute: 4 });
  } },
  { route: 'POST /api/v1/facilities/{id}/staff', ok: [201], prepare: async () =>
    call('POST', `/api/v1/facilities/${F.A}/staff`, op.token, { email: uniqueEmail('faults-staff'), full_name: 'Fault Staff', role: 'reviewer', password: strongPassword() }) },
  { route: 'POST /api/v1/facilities/{id}/residents', ok: [201], prepare: async () =>
    call('POST', `/api/v1/facilities/${F.A}/residents`, op.token, { resident_number: bopNumber(), first_name: 'New', last_name: 'Faults' }) },
  { route: 'POST /api/v1/facilities/{id}/roster', ok: [200], prepare: async () => ({
    ...call('POST', `/api/v1/facilities/${F.A}/roster`, op.token,
      Buffer.from(`resident_number,first_name,last_name\n${bopNumber()},Rita,Roster\n${bopNumber()},Ray,Roster\n`),
      { 'Content-Type': 'text/csv' }) }) },
  { route: 'PATCH /api/v1/facilities/{id}/residents/{number}', ok: [200], prepare: async () => {
    const r = await resident();
    return call('PATCH', `/api/v1/facilities/${F.A}/residents/${encodeURIComponent(r.number)}`, op.token, { first_name: 'Renamed' });
  } },
  { route: 'POST /api/v1/facilities/{id}/residents/{number}/transfer', ok: [200], prepare: async () => {
    const p = await pair();
    return call('POST', `/api/v1/facilities/${F.A}/residents/${encodeURIComponent(p.r.number)}/transfer`, op.token,
      { to_facility_id: F.C, resident_number: bopNumber() });
  } },
  { route: 'POST /api/v1/facilities/{id}/blocks', ok: [201], prepare: async () =>
    call('POST', `/api/v1/facilities/${F.A}/blocks`, op.token, { email: uniqueEmail('faults-blk') }) },
  { route: 'DELETE /api/v1/facilities/{id}/blocks/{block_id}', ok: [204], prepare: async () => {
    const b = await w.post(`/api/v1/facilities/${F.A}/blocks`, { email: uniqueEmail('faults-blk') }, op.token);
    assert.equal(b.status, 201, describeRes(b));
    return call('DELETE', `/api/v1/facilities/${F.A}/blocks/${b.json.id}`, op.token);
  } },
  { route: 'POST /api/v1/invitations', ok: [201], prepare: async () =>
    call('POST', '/api/v1/invitations', (await resident()).token, { email: uniqueEmail('faults-inv') }) },
  { route: 'POST /api/v1/invitations/accept', ok: [201], prepare: async () => {
    const r = await resident();
    const c = await contact();
    await w.invite(r, c.email);
    return call('POST', '/api/v1/invitations/accept', c.token, { token: await mailedToken(c.email, 'invitations/accept') });
  } },
  { route: 'DELETE /api/v1/invitations/{id}', ok: [204], prepare: async () => {
    const r = await resident();
    const inv = await w.invite(r, uniqueEmail('faults-withdrawn'));
    return call('DELETE', `/api/v1/invitations/${inv.json.id}`, r.token);
  } },
  // The lookup of a resident by number is counted (a throttle) after the request is answered.
  { route: 'POST /api/v1/contact-requests', ok: [201], countsAfter: true, prepare: async () => {
    const r = await resident();
    return call('POST', '/api/v1/contact-requests', (await requester()).token, { facility_id: F.A, resident_number: r.number });
  } },
  ...['approve', 'decline'].map((verb) => ({ route: `POST /api/v1/contact-requests/{id}/${verb}`, ok: [200], prepare: async () => {
    const r = await resident();
    const q = await w.request(await requester(), { facility_id: F.A, resident_number: r.number });
    return call('POST', `/api/v1/contact-requests/${q.json.id}/${verb}`, r.token);
  } })),
  { route: 'DELETE /api/v1/contacts/{id}', ok: [200], prepare: async () => {
    const p = await pair();
    return call('DELETE', `/api/v1/contacts/${p.contactId}`, p.c.token);
  } },
  // A federal facility's message: free for both sides (the priced send is money-faults').
  { route: 'POST /api/v1/messages', ok: [202], prepare: async () => {
    const p = writers;
    return call('POST', '/api/v1/messages', p.c.token, { contact_id: p.contactId, subject: 'Faults', body: 'A short note.' });
  } },
  { route: 'POST /api/v1/messages/quote', ok: [200], prepare: async () => {
    const p = writers;
    return call('POST', '/api/v1/messages/quote', p.c.token, { contact_id: p.contactId, subject: 'Faults', body: 'A short note.' });
  } },
  { route: 'DELETE /api/v1/messages/{id}', ok: [204], prepare: async () => {
    const p = writers;
    return call('DELETE', `/api/v1/messages/${await sent(p, { review: true })}`, p.c.token);
  } },
  { route: 'POST /api/v1/messages/{id}/read', ok: [200, 204], prepare: async () => {
    const p = writers;
    return call('POST', `/api/v1/messages/${await sent(p, { review: true })}/read`, p.r.token);
  } },
  { route: 'POST /api/v1/messages/{id}/withdraw', ok: [200], prepare: async () => {
    const p = writers;
    return call('POST', `/api/v1/messages/${await sent(p)}/withdraw`, p.c.token);
  } },
  { route: 'POST /api/v1/attachments', ok: [201], prepare: async () =>
    call('POST', '/api/v1/attachments', family.token, PNG, { 'Content-Type': 'image/png' }) },
  // The same route with a video message (docs/video-messages.md): the WebM and its poster in one row.
  { route: 'POST /api/v1/attachments', ok: [201], prepare: async () =>
    call('POST', '/api/v1/attachments', family.token, VIDEO, { 'Content-Type': 'video/webm' }) },
  { route: 'POST /api/v1/review/{message_id}', ok: [200], prepare: async () =>
    call('POST', `/api/v1/review/${await sent(writers)}`, op.token, { decision: 'approve' }) },
  // Each message of a bulk decision is its own transaction, and the answer says which failed:
  // one message, so that its failure is the request's.
  { route: 'POST /api/v1/review/bulk', ok: [200], prepare: async () =>
    call('POST', '/api/v1/review/bulk', op.token, { message_ids: [await sent(writers)], decision: 'reject', reason: 'coded_language' }),
  failedAnswer: (res) => (res.status >= 500 && res.json?.error?.code === 'store_error')
    || (res.status === 200 && res.json.results.length === 1 && res.json.results[0].ok === false
      && res.json.results[0].error.code === 'store_error'),
  succeeded: (res) => res.status === 200 && res.json.results[0].ok === true },
  { route: 'POST /api/v1/facilities/{id}/screening-rules', ok: [201], prepare: async () =>
    call('POST', `/api/v1/facilities/${F.A}/screening-rules`, op.token, { kind: 'words', value: `faultword${++keys}`, action: 'flag' }) },
  { route: 'DELETE /api/v1/facilities/{id}/screening-rules/{rule_id}', ok: [204], prepare: async () => {
    const r = await w.post(`/api/v1/facilities/${F.A}/screening-rules`, { kind: 'words', value: `faultword${++keys}`, action: 'flag' }, op.token);
    assert.equal(r.status, 201, describeRes(r));
    return call('DELETE', `/api/v1/facilities/${F.A}/screening-rules/${r.json.id}`, op.token);
  } },
  { route: 'POST /api/v1/facilities/{id}/api-keys', ok: [201], prepare: async () =>
    call('POST', `/api/v1/facilities/${F.A}/api-keys`, op.token) },
  { route: 'DELETE /api/v1/facilities/{id}/api-keys/{key_id}', ok: [200], prepare: async () => {
    const k = await w.post(`/api/v1/facilities/${F.A}/api-keys`, undefined, op.token);
    assert.equal(k.status, 201, describeRes(k));
    return call('DELETE', `/api/v1/facilities/${F.A}/api-keys/${k.json.id}`, op.token);
  } },
  { route: 'POST /api/v1/phone-accounts', ok: [201], prepare: async () =>
    call('POST', '/api/v1/phone-accounts', (await contact()).token, { facility_id: F.A, phone_number: phoneNumber() }) },
  // A refund moves money: the ledger's verify after each step is what holds it.
  { route: 'POST /api/v1/phone-accounts/{id}/refunds', ok: [200, 201], idempotent: true, prepare: async () => {
    const c = await contact();
    await w.topUp(c, 2500);
    const a = await w.post('/api/v1/phone-accounts', { facility_id: F.A, phone_number: phoneNumber() }, c.token);
    assert.equal(a.status, 201, describeRes(a));
    const d = await w.post(`/api/v1/phone-accounts/${a.json.id}/deposits`, { amount_cents: 1000 }, c.token, { headers: { 'Idempotency-Key': newKey() } });
    assert.equal(d.status, 201, describeRes(d));
    return call('POST', `/api/v1/phone-accounts/${a.json.id}/refunds`, c.token, undefined, { 'Idempotency-Key': newKey() });
  } },
  { route: 'POST /api/v1/money-transfers/quote', ok: [200], prepare: async () => {
    const r = await resident();
    return call('POST', '/api/v1/money-transfers/quote', family.token,
      { facility_id: F.A, resident_number: r.number, resident_last_name: 'Faults', amount_cents: 1000 });
  } },
  // Terminal time is paid from the trust account, per started minute.
  // Two-factor sign-in (staff-security.test.mjs): each on a staff account of its own; the code is
  // worked out when the request is sent (a getter JSON.stringify reads), since the preparations
  // come well before their turn.
  { route: 'POST /api/v1/me/two-factor', ok: [201], prepare: async () =>
    call('POST', '/api/v1/me/two-factor', (await staffer({ totp: false })).token, {}) },
  { route: 'POST /api/v1/me/two-factor/confirm', ok: [200], prepare: async () => {
    const s = await staffer({ totp: false });
    const begun = await w.srv.post('/api/v1/me/two-factor', {}, { token: s.token });
    assert.equal(begun.status, 201, describeRes(begun));
    return call('POST', '/api/v1/me/two-factor/confirm', s.token, { get code() { return totpCode(begun.json.secret, totpStep(w.srv)); } });
  } },
  { route: 'POST /api/v1/me/two-factor/recovery-codes', ok: [200], prepare: async () => {
    const s = await staffer({ totp: true });
    const secret = totpSecretOf(s.email);
    return call('POST', '/api/v1/me/two-factor/recovery-codes', s.token, { get code() { return totpCode(secret, totpStep(w.srv) + 1); } });
  } },
  { route: 'DELETE /api/v1/accounts/{id}/two-factor', ok: [204], prepare: async () =>
    call('DELETE', `/api/v1/accounts/${(await staffer({ totp: true })).account.id}/two-factor`, op.token) },
  // Attorneys (privilege.test.mjs): a contact registers; the operator verifies or refuses.
  { route: 'POST /api/v1/attorneys', ok: [201], prepare: async () =>
    call('POST', '/api/v1/attorneys', (await contact()).token, { bar_number: 'TX-24012345', bar_state: 'TX' }) },
  { route: 'POST /api/v1/attorneys/{id}/verify', ok: [200], prepare: async () =>
    call('POST', `/api/v1/attorneys/${(await attorney()).id}/verify`, op.token, {}) },
  { route: 'POST /api/v1/attorneys/{id}/refuse', ok: [200], prepare: async () =>
    call('POST', `/api/v1/attorneys/${(await attorney()).id}/refuse`, op.token, { reason: 'Not on the state bar roll' }) },
  // Legal holds (retention.test.mjs), placed and lifted by the operator.
  { route: 'POST /api/v1/facilities/{id}/legal-holds', ok: [201], prepare: async () =>
    call('POST', `/api/v1/facilities/${F.A}/legal-holds`, op.token,
      { subject_kind: 'resident', resident_number: (await resident()).number, case_reference: 'CASE-FAULTS-1' }) },
  { route: 'POST /api/v1/legal-holds/{id}/lift', ok: [200], prepare: async () => {
    const placed = await w.srv.post(`/api/v1/facilities/${F.A}/legal-holds`,
      { subject_kind: 'resident', resident_number: (await resident()).number, case_reference: 'CASE-FAULTS-2' }, { token: op.token });
    assert.equal(placed.status, 201, describeRes(placed));
    return call('POST', `/api/v1/legal-holds/${placed.json.id}/lift`, op.token, {});
  } },
  { route: 'POST /api/v1/terminal/heartbeat', ok: [200], prepare: async () => {
    const r = await resident();
    await w.trustDeposit(op.token, await w.residentId(op.token, r), 500);
    return call('POST', '/api/v1/terminal/heartbeat', r.token, {});
  } },
  // Video visits (visits.test.mjs): setup by the operator, bookings and decisions.
  { route: 'PUT /api/v1/facilities/{id}/visit-policy', ok: [200], prepare: async () => {
    await visitsReady();
    return call('PUT', `/api/v1/facilities/${F.A}/visit-policy`, op.token, { time_zone: 'America/Chicago', lead_minutes: 1440 });
  } },
  { route: 'POST /api/v1/facilities/{id}/visit-rooms', ok: [201], prepare: async () =>
    call('POST', `/api/v1/facilities/${F.A}/visit-rooms`, op.token, { name: `Faults room ${uniqueEmail('room')}` }) },
  // A room of its own each time: a room holds one slot at a time, and the count run's slot stays.
  { route: 'POST /api/v1/facilities/{id}/visit-slots', ok: [201], prepare: async () => {
    await visitsReady();
    const room = await w.post(`/api/v1/facilities/${F.A}/visit-rooms`, { name: `Faults slot room ${uniqueEmail('slot')}` }, op.token);
    assert.equal(room.status, 201, describeRes(room));
    return call('POST', `/api/v1/facilities/${F.A}/visit-slots`, op.token,
      { room_id: room.json.id, weekday: 0, start_time: '05:00', length_minutes: 30, capacity: 1 });
  } },
  { route: 'DELETE /api/v1/facilities/{id}/visit-slots/{slot_id}', ok: [204], prepare: async () =>
    call('DELETE', `/api/v1/facilities/${F.A}/visit-slots/${(await visitSlot()).id}`, op.token) },
  { route: 'POST /api/v1/facilities/{id}/visit-blackouts', ok: [201], prepare: async () => {
    await visitsReady();
    const day = new Date(Date.UTC(2033, 0, 1) + 86400000 * blackoutDays++).toISOString().slice(0, 10);
    return call('POST', `/api/v1/facilities/${F.A}/visit-blackouts`, op.token, { day, reason: 'Faults' });
  } },
  { route: 'DELETE /api/v1/facilities/{id}/visit-blackouts/{blackout_id}', ok: [204], prepare: async () => {
    await visitsReady();
    const day = new Date(Date.UTC(2033, 0, 1) + 86400000 * blackoutDays++).toISOString().slice(0, 10);
    const b = await w.post(`/api/v1/facilities/${F.A}/visit-blackouts`, { day }, op.token);
    assert.equal(b.status, 201, describeRes(b));
    return call('DELETE', `/api/v1/facilities/${F.A}/visit-blackouts/${b.json.id}`, op.token);
  } },
  { route: 'POST /api/v1/visits/quote', ok: [200], prepare: async () => {
    const v = await visitsReady();
    const s = await visitSlot();
    return call('POST', '/api/v1/visits/quote', v.p.c.token, { contact_id: v.p.contactId, starts_at: s.startsAt, slot_id: s.id });
  } },
  { route: 'POST /api/v1/visits', ok: [201], prepare: async () => {
    const v = await visitsReady();
    const s = await visitSlot();
    return call('POST', '/api/v1/visits', v.p.c.token, { contact_id: v.p.contactId, starts_at: s.startsAt, slot_id: s.id },
      { 'Idempotency-Key': newKey() });
  } },
  { route: 'POST /api/v1/visits/{id}/approve', ok: [200], prepare: async () =>
    call('POST', `/api/v1/visits/${await visitBooked()}/approve`, op.token, {}) },
  { route: 'POST /api/v1/visits/{id}/decline', ok: [200], prepare: async () =>
    call('POST', `/api/v1/visits/${await visitBooked()}/decline`, op.token, { reason: 'No officer for the monitor' }) },
  { route: 'POST /api/v1/visits/{id}/cancel', ok: [200], prepare: async () =>
    call('POST', `/api/v1/visits/${await visitBooked()}/cancel`, (await visitsReady()).p.c.token, { reason: 'Plans changed' }) },
  { route: 'POST /api/v1/visits/{id}/reschedule', ok: [200], prepare: async () => {
    const id = await visitBooked();
    const s = await visitSlot();
    return call('POST', `/api/v1/visits/${id}/reschedule`, (await visitsReady()).p.c.token, { starts_at: s.startsAt, slot_id: s.id });
  } },
  // The live video visit, last: its setup changes F.A's visit policy (no lead time, no approval, no monitor)
  // and video rate (0), which the booking rows above must not meet.  A party leaving, a monitor's mute, a
  // monitor's end (the visit settled, nothing charged).
  { route: 'POST /api/v1/visits/{id}/media', ok: [200], prepare: async () => {
    const v = await liveVisit({ publish: true });
    return call('POST', `/api/v1/visits/${v.id}/media`, v.contact.token, { action: 'leave' });
  } },
  { route: 'POST /api/v1/visits/{id}/mute', ok: JANUS ? [200] : [409], prepare: async () => {
    const v = await liveVisit({ publish: true });
    return call('POST', `/api/v1/visits/${v.id}/mute`, v.monitor.token, { side: 'contact', media: 'audio', muted: true });
  } },
  { route: 'POST /api/v1/visits/{id}/end', ok: [200], prepare: async () => {
    const v = await liveVisit();
    return call('POST', `/api/v1/visits/${v.id}/end`, v.monitor.token, { reason: 'Ended for the fault test.' });
  } },
];

function succeeded(row, res) {
  return row.succeeded ? row.succeeded(res) : row.ok.includes(res.status);
}

/** n preparations of row, three at a time. */
async function prepared(row, n) {
  const out = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await row.prepare();
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return out;
}

function send(c, headers = {}) {
  return w.srv.request(c.method, c.path, {
    body: c.body, token: c.token, headers: { ...(c.headers || {}), ...headers }, localAddress: c.localAddress,
  });
}

// ---------------------------------------------------------------------------

test('every state-changing route of openapi.json is failed here or in money-faults', async () => {
  const spec = JSON.parse(fs.readFileSync(`${REPO_ROOT}/src/api/openapi.json`, 'utf8'));
  const here = new Set(ROWS.map((r) => r.route));
  const missing = [];
  for (const [p, ops] of Object.entries(spec.paths)) {
    for (const m of Object.keys(ops)) {
      if (!['post', 'put', 'patch', 'delete'].includes(m)) continue;
      const route = `${m.toUpperCase()} ${p}`;
      if (!here.has(route) && !PAID_ROUTES.has(route)) missing.push(route);
    }
  }
  assert.deepEqual(missing, [], 'state-changing routes no store-fault test covers');
});

// KITE_FAULTS_ONLY=REGEX runs the requests whose route matches it (to look into one).
const ONLY = process.env.KITE_FAULTS_ONLY ? new RegExp(process.env.KITE_FAULTS_ONLY) : null;
for (const row of ROWS.filter((r) => !ONLY || ONLY.test(r.route))) {
  test(`${row.route}: whichever store step fails, the store is as before or as after, never half`, async (t) => {
    // N = 0 twice: the first does what only a first time does (a facility's first charge opens
    // its revenue account); the second gives the number of steps and the whole change.
    let steps = 0;
    let whole = {};
    for (const run of ['first', 'second']) {
      const c = await row.prepare();
      const before = counts();
      const plain = await send(c, { 'X-Kite-Fault-Step': '0' });
      const counted = await faultReport();
      assert.ok(succeeded(row, plain), `${row.route} without a fault (${run}): ${describeRes(plain)}`);
      assert.equal(counted.failed_step, 0);
      steps = counted.steps;
      whole = moved(before, counts());
    }
    assert.ok(steps > 0 && steps < STEP_LIMIT, `${row.route}: ${steps} steps`);
    await verified(`${row.route} without a fault`);

    // The preparations first, a few at a time (most of this file's time is theirs: password hashes).
    const calls = await prepared(row, steps);
    // The verifications (VERIFY_EACH) read a snapshot: they run beside the next steps, awaited at the end.
    const checks = [];
    let kept = 0;
    let countedAfter = 0;
    for (let step = 1; step <= steps; step++) {
      const what = `${row.route}, step ${step} of ${steps}`;
      const c = calls[step - 1];
      const before = counts();
      const res = await send(c, { 'X-Kite-Fault-Step': String(step) });
      const report = await faultReport();
      assert.equal(report.armed_step, step, `${what}: the report is another request's`);
      assert.equal(report.failed_step, step, `${what}: made ${report.steps} steps this time (${describeRes(res)})`);
      const change = moved(before, counts());
      if (VERIFY_EACH) checks.push(verified(what).then(() => null, (e) => e));
      if (succeeded(row, res)) {
        // Only an attempt count written after the answer was settled may have failed: all the rest is there.
        assert.ok(row.countsAfter, `${what}: a failed store step answered ${describeRes(res)}`);
        assert.deepEqual(change, whole, `${what}: answered success, and changed otherwise than a success does`);
        countedAfter += 1;
        continue;
      }
      if (row.failedAnswer) {
        assert.ok(row.failedAnswer(res), `${what}: ${describeRes(res)}`);
      } else {
        assert.ok(res.status >= 500 && res.status <= 599, `${what}: a failed store step answered ${describeRes(res)}`);
        assertErrorBody(res, what);
      }
      if (Object.keys(change).length === 0) {
        // Nothing kept: the same request, no fault, goes through (nothing half-made in its way).
        const again = await send(c);
        assert.ok(succeeded(row, again), `${what}, sent again: ${describeRes(again)}`);
      } else {
        // Committed, then failed answering: all of it is there.
        assert.deepEqual(change, whole, `${what}: the failed request changed part of what it changes`);
        kept += 1;
      }
    }
    for (const e of await Promise.all(checks)) if (e) throw e;
    await verified(`${row.route}, after every step and its retry`);
    t.diagnostic(`${row.route}: ${steps} store steps, each failed once; ${kept} kept the whole change (failed after the commit)${countedAfter ? `, ${countedAfter} only missed the attempt count after it` : ''}`);
  });
}
