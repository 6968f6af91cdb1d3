// Failover: a PostgreSQL primary with a synchronous standby (tools/pg-ha.sh), one
// `kite serve` given the multi-host URL (target_session_attrs=read-write), and a
// steady load of paid requests; the primary's postmaster gets kill -9, the
// standby is promoted (pg_ctl promote: the documented, manual failover), and
// the load goes on.  Then, on the promoted primary:
//   - every request answered with success (2xx), before, during or after the
//     failover, is in the ledger, once: nothing acknowledged is lost;
//   - no request is there twice, and a request that failed during the outage
//     (503, or a connection that broke) is safe to send again under the same
//     Idempotency-Key: the retry succeeds and the ledger still has it once;
//   - every payer's balance is its top-ups less its bundles as the store has them;
//   - `kite ledger verify` and `kite audit verify` pass;
//   - the same kite process (same pid, never restarted) serves again.
// The outage is measured from the kill to the first success of a request sent
// after it, and printed with the counts as one line, "# failover: {...}".
//
// The load is bundle purchases (POST /api/v1/wallet/bundles): one write
// transaction that answers with its ledger transaction id, found in the store by
// its reference bundle:<account>:<Idempotency-Key>.  Each payer is funded
// before the load with card top-ups (the processor sandbox) for BUNDLES_AFFORDED
// bundles, about three times what the fastest run seen here sends; a worker never
// spends a key its payer cannot afford, so a faster machine makes the test say
// its load outran the funding rather than count 402s as failures of the store.
//
// It needs PostgreSQL, so it runs only when KITE_TEST_PG is set (make test's
// sign that a cluster can be made here), but it makes a primary and a standby
// of its own in a temporary folder: killing KITE_TEST_PG's cluster would take
// the rest of the suite down with it.

import test, { after, before } from 'node:test';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { World, facilityIdByName } from './lib/flows.mjs';
import {
  REPO_ROOT, assert, cli, freshAddress, session, sleep, startServer, strongPassword, uniqueEmail, verifyEmail,
} from './lib/kite.mjs';
import { startSandbox } from './lib/processor.mjs';
import { card } from './lib/paid.mjs';

const execFileAsync = promisify(execFile);
const SKIP = process.env.KITE_TEST_PG ? false : 'needs PostgreSQL: KITE_TEST_PG is unset (make test sets it when it can run a cluster)';
const PG_HA = path.join(REPO_ROOT, 'tools', 'pg-ha.sh');
const PAYERS = 8;
const WORKERS_PER_PAYER = 2;
const PAUSE_MS = 20; // between two requests of one worker: a steady load, not a flood
const LOAD_BEFORE_MS = 3000; // load on the healthy pair before the kill
const PROMOTE_AFTER_MS = 1000; // the operator's reaction time: the primary is seen dead, then promoted
const LOAD_AFTER_MS = 4000; // load on the new primary after its first success
const STALL_MS = 1000; // the second test: how long the standby stops answering before the primary dies
const OUTAGE_LIMIT_MS = 15_000; // "serves again within seconds"
const FUNDS_CENTS = 50_000; // one top-up (the largest one allowed); each payer gets TOP_UPS of them
const TOP_UPS = 10;
const BUNDLE = { unit: 'stamps', count: 10, price: 370 }; // the jpay profile's 10 stamps
// Every key a payer's workers use may end as one bundle (a failed request is sent again under
// its key), so a payer never uses more keys than its funds buy.  The fastest run seen sent
// ~425 requests per payer.
const BUNDLES_AFFORDED = Math.floor((FUNDS_CENTS * TOP_UPS) / BUNDLE.price);

let haDir;
let sandbox;
let world;
let storeUrl;

// The load's clients must keep running (and timing their answers) while the pair is killed and
// promoted: those steps run without blocking the event loop.
const haAsync = (...args) => execFileAsync('bash', [PG_HA, ...args], { encoding: 'utf8' });
const ha = (...args) => execFileSync('bash', [PG_HA, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const psql = (url, sql) => execFileSync('psql', ['-XAtq', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-d', url],
  { input: sql, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

before(async () => {
  if (!SKIP) sandbox = await startSandbox();
});

after(async () => {
  await tearDown();
  if (sandbox) await sandbox.cleanup();
});

/** A fresh primary + standby pair with a database `kite`, and one kite serving it through the multi-host URL. */
async function setUp() {
  haDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-bb-failover-pg-'));
  ha('start', haDir);
  psql(ha('url', haDir, 'postgres'), 'CREATE DATABASE kite;');
  storeUrl = ha('url', haDir, 'kite');
  // A World around a server on our own store: its helpers (kite user add, policies) follow world.srv.
  world = new World();
  world.srv = await startServer({ db: storeUrl, extraArgs: ['--processor', sandbox.baseUrl] });
  world.dir = world.srv.dir;
}

async function tearDown() {
  if (world?.srv) await world.srv.cleanup();
  world = null;
  if (haDir) {
    const dir = haDir;
    haDir = null;
    try {
      ha('resume-standby', dir); // a test that failed while it was stalled: let it stop
    } catch { /* not running */ }
    try { ha('stop', dir); } finally {
      if (!process.env.KITE_KEEP) fs.rmSync(dir, { recursive: true, force: true });
      else process.stderr.write(`# primary and standby kept: ${dir}\n`);
    }
  }
}

/** A new contact with FUNDS_CENTS * TOP_UPS on the balance, registered from a loopback address of its own. */
async function fundedPayer(n) {
  const email = uniqueEmail('failover');
  const password = strongPassword();
  const reg = await world.srv.request('POST', '/api/v1/accounts', {
    body: { email, password, full_name: 'Paying Contact', phone: '+1 555 0100' }, localAddress: freshAddress(),
  });
  assert.equal(reg.status, 201, reg.text);
  await verifyEmail(world.srv.dbPath, email); // paying needs a confirmed address
  const s = await session(world.srv, email, password);
  const payer = { n, token: s.token, account: Number(s.account.id), keys: 0 };
  for (let i = 0; i < TOP_UPS; i++) {
    const r = await world.srv.request('POST', '/api/v1/wallet/top-ups', {
      body: { amount_cents: FUNDS_CENTS, card: card() }, token: payer.token,
      headers: { 'Idempotency-Key': `failover-fund-${n}-${i}` },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.state, 'approved', r.text);
  }
  return payer;
}

function buyBundle(payer, facilityId, key) {
  return world.srv.request('POST', '/api/v1/wallet/bundles', {
    body: { facility_id: facilityId, unit: BUNDLE.unit, count: BUNDLE.count },
    token: payer.token, headers: { 'Idempotency-Key': key }, timeoutMs: 20_000,
  });
}

const ok = (res) => res !== null && res.status >= 200 && res.status < 300;

/** Every worker sends bundle purchases until stop(); each request is remembered with its times and answer. */
function load(payers, facilityId) {
  const sent = [];
  let stopped = false;
  const workers = [];
  for (const payer of payers) {
    for (let w = 0; w < WORKERS_PER_PAYER; w++) {
      workers.push((async () => {
        while (!stopped) {
          if (payer.keys >= BUNDLES_AFFORDED) {
            payer.ranDryAt = payer.ranDryAt ?? Date.now();
            break;
          }
          const e = { payer, key: `failover-${payer.n}-${w}-${++payer.keys}`, started: Date.now(), answered: null, res: null, error: null };
          sent.push(e);
          try {
            e.res = await buyBundle(payer, facilityId, e.key);
          } catch (err) {
            e.error = err.code || err.message; // the connection broke or timed out: no answer
          }
          e.answered = Date.now();
          await sleep(PAUSE_MS);
        }
      })());
    }
  }
  return { sent, stop: async () => { stopped = true; await Promise.all(workers); } };
}

/** The ledger's bundle transactions, by reference: {reference: [ids]} (more than one id is a double). */
function bundlesInStore(url) {
  const out = new Map();
  for (const line of psql(url, "SELECT reference, id FROM ledger_transactions WHERE reference LIKE 'bundle:%' ORDER BY id").split('\n')) {
    if (!line) continue;
    const [ref, id] = line.split('|');
    if (!out.has(ref)) out.set(ref, []);
    out.get(ref).push(Number(id));
  }
  return out;
}

/**
 * One failover under load; stall: the standby stops answering (SIGSTOP) STALL_MS before the
 * kill, so that the primary's COMMITs are waiting for it when the primary dies.
 */
async function failover(t, { stall = false } = {}) {
  const op = await world.cliUser('operator');
  const facilityId = await facilityIdByName(world.srv, 'AVENAL STATE PRISON');
  await world.putPolicy(op.token, facilityId, { profile: 'jpay' });
  const payers = [];
  for (let i = 0; i < PAYERS; i++) payers.push(await fundedPayer(i));
  const pid = world.srv.proc.pid;

  const run = load(payers, facilityId);
  await sleep(LOAD_BEFORE_MS);
  const stallAt = Date.now();
  if (stall) {
    await haAsync('stall-standby', haDir);
    await sleep(STALL_MS);
  }
  const killAt = Date.now();
  await haAsync('kill-primary', haDir);
  if (stall) await haAsync('resume-standby', haDir);
  await sleep(PROMOTE_AFTER_MS);
  const promoteAt = Date.now();
  await haAsync('promote', haDir);
  const promotedAt = Date.now();
  // The first success of a request sent after the kill (the earliest answered, not the earliest sent).
  const firstBack = () => run.sent.filter((e) => e.started >= killAt && ok(e.res))
    .reduce((a, e) => (a === null || e.answered < a.answered ? e : a), null);
  // Load goes on until LOAD_AFTER_MS after it.
  let back = null;
  while (Date.now() - killAt < OUTAGE_LIMIT_MS + LOAD_AFTER_MS) {
    back = firstBack();
    if (back && Date.now() - back.answered >= LOAD_AFTER_MS) break;
    await sleep(50);
  }
  await run.stop();
  const { sent } = run;
  back = firstBack();

  assert.ok(world.srv.running, `kite died during the failover:\n${world.srv.logTail()}`);
  assert.equal(world.srv.proc.pid, pid, 'the kite process is the one started before the failover');
  assert.ok(back, `no request succeeded within ${OUTAGE_LIMIT_MS} ms of the kill:\n${world.srv.logTail()}`);
  const outageMs = back.answered - killAt;
  assert.ok(outageMs <= OUTAGE_LIMIT_MS, `the outage lasted ${outageMs} ms`);
  assert.match(ha('status', haDir), /standby: up on port \d+, now a primary/);

  // What the promoted primary holds, for each request sent.
  const problems = [];
  const counts = {
    stall_ms: stall ? STALL_MS : 0, sent: sent.length, acknowledged: 0, acknowledged_before_kill: 0, acknowledged_after_kill: 0, lost: 0, twice: 0,
    failed: 0, failed_503: 0, failed_outcome_unknown: 0, failed_no_answer: 0, failed_other: 0, failed_but_committed: 0, retried_ok: 0,
    outage_ms: outageMs, promote_ms: promotedAt - promoteAt, back_after_promote_ms: back.answered - promotedAt, reconnections: 0,
  };
  const inStore = bundlesInStore(storeUrl);
  const refOf = (e) => `bundle:${e.payer.account}:${e.key}`;
  const failed = [];
  for (const e of sent) {
    const ids = inStore.get(refOf(e)) ?? [];
    if (ids.length > 1) {
      counts.twice += 1;
      problems.push(`${e.key} is in the ledger ${ids.length} times: ${ids.join(', ')}`);
    }
    if (ok(e.res)) {
      counts.acknowledged += 1;
      if (e.answered < killAt) counts.acknowledged_before_kill += 1;
      else counts.acknowledged_after_kill += 1;
      if (ids.length === 0 || ids[0] !== e.res.json?.transaction_id) {
        counts.lost += 1;
        problems.push(`${e.key} was answered ${e.res.status} (transaction ${e.res.json?.transaction_id}) at ` +
          `${e.answered - killAt} ms from the kill, and the store has ${ids.length ? ids.join(', ') : 'nothing'}`);
      }
    } else {
      counts.failed += 1;
      if (e.res === null) counts.failed_no_answer += 1;
      else if (e.res.status === 503 && e.res.json?.error?.code === 'outcome_unknown') counts.failed_outcome_unknown += 1;
      else if (e.res.status === 503) counts.failed_503 += 1;
      else {
        counts.failed_other += 1;
        problems.push(`${e.key} was answered ${e.res.status}: ${e.res.text.slice(0, 200)}`);
      }
      if (ids.length > 0) counts.failed_but_committed += 1; // a connection lost during COMMIT: outcome unknown to kite
      failed.push(e);
    }
  }
  // The client's own retry of a failed request, under the same key, is safe: it succeeds, once.
  for (const e of failed) {
    const again = await buyBundle(e.payer, facilityId, e.key);
    if (ok(again)) counts.retried_ok += 1;
    else problems.push(`the retry of ${e.key} answered ${again.status}: ${again.text.slice(0, 200)}`);
  }
  const afterRetries = bundlesInStore(storeUrl);
  for (const e of failed) {
    const ids = afterRetries.get(refOf(e)) ?? [];
    if (ids.length !== 1) problems.push(`after its retry, ${e.key} is in the ledger ${ids.length} times`);
  }
  // Each balance is what the store's bundles leave of the top-ups.
  for (const p of payers) {
    const bought = [...afterRetries.keys()].filter((ref) => ref.startsWith(`bundle:${p.account}:`)).length;
    const w = await world.srv.request('GET', '/api/v1/wallet', { token: p.token });
    assert.equal(w.status, 200, w.text);
    const expected = FUNDS_CENTS * TOP_UPS - BUNDLE.price * bought;
    if (w.json.balance_cents !== expected) {
      problems.push(`payer ${p.n}: balance ${w.json.balance_cents}, expected ${expected} after ${bought} bundles`);
    }
  }
  for (const p of payers) {
    if (p.ranDryAt) problems.push(`payer ${p.n} spent its ${BUNDLES_AFFORDED} bundles ${p.ranDryAt - killAt} ms from the kill: the load outran its funding (raise TOP_UPS)`);
  }
  const log = world.srv.readLog();
  // Synchronous replication at work: while the standby stalls, no write is acknowledged (they wait for it).
  counts.acknowledged_while_stalled = stall
    ? sent.filter((e) => ok(e.res) && e.started >= stallAt + 100 && e.answered < killAt).length : 0;
  if (counts.acknowledged_while_stalled > 0) problems.push(`${counts.acknowledged_while_stalled} writes acknowledged while the standby was stalled`);
  counts.reconnections = log.match(/store: reconnected to PostgreSQL/g)?.length ?? 0;
  counts.listener_back = /store: listening for wake-ups again/.test(log); // LISTEN/NOTIFY's own connection
  // outcome_unknown is answered only where the connection broke during COMMIT: kite cannot know the
  // outcome and says so rather than run it again (the client's retry, same key, settles it).
  counts.commit_outcome_unknown = log.match(/COMMIT \(outcome unknown/g)?.length ?? 0;
  if (counts.failed_outcome_unknown > counts.commit_outcome_unknown) {
    problems.push(`${counts.failed_outcome_unknown} answers outcome_unknown but only ${counts.commit_outcome_unknown} COMMITs of unknown outcome`);
  }
  t.diagnostic(`failover: ${JSON.stringify(counts)}`);
  process.stderr.write(`# failover: ${JSON.stringify(counts)}\n`);

  const [ledger, audit] = await Promise.all([
    cli(['ledger', 'verify', '--db', storeUrl]), cli(['audit', 'verify', '--db', storeUrl]),
  ]);
  assert.equal(ledger.code, 0, `kite ledger verify on the promoted primary: ${ledger.stdout}${ledger.stderr}`);
  assert.equal(audit.code, 0, `kite audit verify on the promoted primary: ${audit.stdout}${audit.stderr}`);

  assert.deepEqual(problems, [], `${problems.length} problems; counts ${JSON.stringify(counts)}`);
  assert.ok(counts.acknowledged_before_kill > 0, 'no request succeeded before the kill: the test proved nothing');
  assert.ok(counts.acknowledged_after_kill > 0, 'no request succeeded after the kill');
  assert.equal(counts.lost, 0);
  assert.equal(counts.twice, 0);

  // Still the same process, serving.
  const final = await world.srv.request('GET', '/api/v1/wallet', { token: payers[0].token });
  assert.equal(final.status, 200, final.text);
  assert.equal(world.srv.proc.pid, pid);
  await world.srv.stopAndAssertClean();
  return counts;
}

test('kill -9 of the primary under load, standby promoted: nothing acknowledged is lost, kite serves again without a restart', { skip: SKIP, timeout: 300_000 }, async (t) => {
  await setUp();
  try {
    await failover(t);
  } finally {
    await tearDown();
  }
});

test('the standby stalls, then the primary dies: the COMMITs waiting for it are never acknowledged, and their retry is safe', { skip: SKIP, timeout: 300_000 }, async (t) => {
  await setUp();
  try {
    const counts = await failover(t, { stall: true });
    // Commits were waiting for the standby when the primary died: kite answered them 503 outcome_unknown, never 2xx.
    assert.ok(counts.commit_outcome_unknown > 0, `no COMMIT was cut off by the kill: ${JSON.stringify(counts)}`);
  } finally {
    await tearDown();
  }
});
