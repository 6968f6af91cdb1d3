// Every store step of every paid request fails in turn, and no money is
// created, lost or taken twice.
//
// Kite runs with --test-fault-injection on (a test build, with
// KITE_ALLOW_FAULT_INJECTION=1): a request carrying "X-Kite-Fault-Step: N"
// has its own Nth store step fail the way SQLite would fail it, and
// GET /api/v1/test/fault-injection says how many steps it made and which one
// failed. For each paid request in lib/paid.mjs (a card top-up, a bundle
// purchase, a money transfer, a phone deposit, a priced message send, a call
// record, a trust deposit, a subscription purchase) and every N from 1 until
// the request no longer reaches step N:
//   - the request answers an error (5xx, the usual JSON error), never a
//     success, a crash or a hang;
//   - `kite ledger verify` and `kite audit verify` pass on the same file;
//   - the payer's wallet (or the wallet the request moves: the resident's
//     trust account, the phone account) and every ledger account moved either
//     not at all or exactly as one success moves them, never part of it;
//   - the same Idempotency-Key without a fault succeeds, the wallet has moved
//     exactly once (what a success moves), and a second replay moves nothing;
//   - the request's trace in the store is whole, and what lies outside the
//     ledger agrees (the card processor charged once).
// Then the N past the last step succeeds with the fault armed and unfired.
// A request that a failure can leave pending by design (a top-up charged at
// the card, its credit not written) goes through the same loop once more for
// its retry: the first failure that leaves it pending, then every step of the
// retry that finishes it.
// Last, the switch itself: a plain test build refuses the header's report
// route, and --test-fault-injection is refused without the environment.
//
// SECURITY: money. The hook exists only in test builds (meson
// -Dfault_injection=true), and only when the server was started with it.

import test, { after, before } from 'node:test';
import { World, assert, assertError, runServe } from './lib/flows.mjs';
import { cli, assertErrorBody } from './lib/kite.mjs';
import { startSandbox } from './lib/processor.mjs';
import { PAID_REQUESTS, balancesOf, ledgerBalances, diff, payerFor } from './lib/paid.mjs';

const FAULT = { env: { KITE_ALLOW_FAULT_INJECTION: '1' }, args: ['--test-fault-injection', 'on'] };
const STEP_LIMIT = 500; // far past any paid request's steps: a loop that gets here is a hook that never stops firing
let sandbox;
let world;
const env = { world: null, sandbox: null, facilities: {} };
let keys = 0;
const newKey = (what) => `bb-faults-${what.replace(/\W+/g, '-')}-${process.pid}-${++keys}`;

before(async () => {
  sandbox = await startSandbox();
  world = await World.start({ extraArgs: ['--processor', sandbox.baseUrl, ...FAULT.args], env: FAULT.env });
  Object.assign(env, { world, sandbox });
});

after(async () => {
  if (world) await world.close();
  if (sandbox) await sandbox.cleanup();
});

async function ledgerOk(context) {
  const r = await cli(['ledger', 'verify', '--db', world.dbPath]);
  assert.equal(r.code, 0, `${context}: kite ledger verify exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /^ledger: ok/);
}

async function auditOk(context) {
  const r = await cli(['audit', 'verify', '--db', world.dbPath]);
  assert.equal(r.code, 0, `${context}: kite audit verify exit ${r.code}\n${r.stdout}${r.stderr}`);
}

async function faultReport() {
  const r = await world.srv.get('/api/v1/test/fault-injection');
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/**
 * One N: the request fails at its Nth step (or runs through); returns the
 * report and the trace the fault left. With leftAt, a first try under the
 * same key failed at step leftAt and left something to finish (a top-up
 * pending): the step counted is then the retry's, the one that finishes it.
 */
async function oneStep(row, payer, step, leftAt = 0) {
  const key = newKey(row.name);
  const wallet0 = await balancesOf(env, row, payer);
  const ledger0 = ledgerBalances(env);
  const what = `${row.name}, ${leftAt ? `left at step ${leftAt}, its retry's ` : ''}step ${step}`;
  if (leftAt) {
    const first = await row.send(env, payer, key, { 'X-Kite-Fault-Step': String(leftAt) });
    assert.ok(first.status === 202, `${what}: the first try answered ${first.status} ${first.text}`);
    assert.equal(await row.recorded(env, payer, key), 'pending', `${what}: the first try left another state`);
  }
  const res = await row.send(env, payer, key, { 'X-Kite-Fault-Step': String(step) });
  const report = await faultReport();
  assert.equal(report.armed_step, step, `${what}: the report is for another request: ${JSON.stringify(report)}`);

  if (report.failed_step === 0) {
    // Past the last step: nothing failed, so this is the plain success, charged once.
    assert.ok(row.succeeded(res), `${what} (no step failed of ${report.steps}): ${res.status} ${res.text}`);
    assert.deepEqual(diff(wallet0, await balancesOf(env, row, payer)), row.walletDelta(env, payer), what);
    assert.equal(await row.recorded(env, payer, key), 'whole', what);
    if (row.settled) await row.settled(env, payer, key);
    await Promise.all([ledgerOk(what), auditOk(what)]);
    return { report, trace: 'whole' };
  }

  assert.equal(report.failed_step, step, what);
  // A failure after the card may have been charged leaves the top-up pending, and says so (202):
  // an error there would invite a second payment under a new key. Any other failure is a 5xx.
  if (row.canBePending && res.status === 202) {
    assert.equal(res.json.state, 'pending', `${what}: ${res.text}`);
    assert.equal(await row.recorded(env, payer, key), 'pending', `${what}: answered pending, recorded otherwise`);
  } else {
    assert.ok(res.status >= 500 && res.status <= 599, `${what}: a failed store step answered ${res.status} ${res.text}`);
    assertErrorBody(res, what);
  }
  await Promise.all([ledgerOk(what), auditOk(what)]);
  const walletFaulted = diff(wallet0, await balancesOf(env, row, payer));
  const ledgerFaulted = diff(ledger0, ledgerBalances(env));
  const trace = await row.recorded(env, payer, key);
  assert.ok(!trace.startsWith('half'), `${what}: ${trace}`);

  // The same key, no fault: done exactly once.
  const again = await row.send(env, payer, key);
  assert.ok(row.succeeded(again), `${what}, retried: ${again.status} ${again.text}`);
  const delta = row.walletDelta(env, payer);
  assert.deepEqual(diff(wallet0, await balancesOf(env, row, payer)), delta, `${what}, retried: the wallet moved otherwise`);
  const ledgerDone = diff(ledger0, ledgerBalances(env));
  // Faulted: nothing moved, or all of it (a failure after the commit); never a part.
  for (const [moved, whole, name] of [[walletFaulted, delta, 'wallet'], [ledgerFaulted, ledgerDone, 'ledger']]) {
    if (Object.keys(moved).length !== 0) {
      assert.deepEqual(moved, whole, `${what}: the failed request moved part of the ${name}`);
    }
  }
  assert.equal(await row.recorded(env, payer, key), 'whole', `${what}, retried`);
  if (row.settled) await row.settled(env, payer, key);

  const third = await row.send(env, payer, key);
  assert.ok(row.succeeded(third), `${what}, replayed: ${third.status} ${third.text}`);
  assert.equal(third.headers['idempotent-replayed'], 'true', `${what}, replayed`);
  assert.deepEqual(diff(wallet0, await balancesOf(env, row, payer)), delta, `${what}, replayed: charged twice`);
  // The ledger as the retry left it is verified with the next step's, and after the last one.
  return { report, trace };
}

/** Every N from 1 until the request runs through; returns the first step whose failure left the request pending. */
async function everyStep(t, row, leftAt = 0) {
  let step = 1;
  let report;
  let pendingAt = 0;
  for (; step <= STEP_LIMIT; step++) {
    // A fresh payer each time: a payer's first request also opens its ledger accounts, so its
    // steps are all of a later request's and more.
    const payer = await payerFor(env, row);
    const got = await oneStep(row, payer, step, leftAt);
    report = got.report;
    if (got.trace === 'pending' && pendingAt === 0) pendingAt = step;
    if (report.failed_step === 0) break;
  }
  assert.ok(step <= STEP_LIMIT, `${row.name}: step ${STEP_LIMIT} still failed`);
  assert.ok(step > 1, `${row.name}: not even its first store step failed`);
  assert.equal(report.steps, step - 1, `${row.name}: the last run made ${report.steps} steps`);
  t.diagnostic(`${row.name}${leftAt ? `, retried after step ${leftAt} failed` : ''}: ${step - 1} store steps, each failed once`);
  return pendingAt;
}

for (const row of PAID_REQUESTS) {
  let pendingAt = 0;
  test(`${row.name}: whichever store step fails, nothing is created, lost or taken twice`, async (t) => {
    await row.prepare(env);
    pendingAt = await everyStep(t, row);
  });
  // A request that a failure can leave half-way by design (a top-up charged at the card, its
  // credit not yet written: pending) is finished by its retry, whose own steps fail in turn too.
  if (!row.canBePending) continue;
  test(`${row.name}, retried after a failure left it pending: whichever store step of the retry fails, it is done once`, async (t) => {
    assert.ok(pendingAt > 0, `${row.name}: no failure left it pending`);
    await everyStep(t, row, pendingAt);
  });
}

test('the header is inert without the switch, and the switch needs the environment', async () => {
  const plain = await World.start({ extraArgs: ['--processor', sandbox.baseUrl] });
  try {
    const c = await plain.contact();
    const r = await plain.srv.request('GET', '/api/v1/wallet', { token: c.token, headers: { 'X-Kite-Fault-Step': '1' } });
    assert.equal(r.status, 200, r.text);
    assertError(await plain.get('/api/v1/test/fault-injection'), 404, 'not_found');
  } finally {
    await plain.close();
  }
  const refused = await runServe(['--db', `${world.dir}/other.db`, '--listen', '127.0.0.1:0', ...FAULT.args],
    { KITE_ALLOW_FAULT_INJECTION: '' });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /--test-fault-injection is for tests only and is refused here/);
  assert.match(refused.stderr, /KITE_ALLOW_FAULT_INJECTION=1/);
});

test('a malformed step number is refused, and N = 0 only counts', async () => {
  const c = await world.contact();
  const bad = await world.srv.request('GET', '/api/v1/wallet', { token: c.token, headers: { 'X-Kite-Fault-Step': 'two' } });
  assertError(bad, 422, 'invalid_field');
  assert.equal(bad.json.error.field, 'X-Kite-Fault-Step');
  const counted = await world.srv.request('GET', '/api/v1/wallet', { token: c.token, headers: { 'X-Kite-Fault-Step': '0' } });
  assert.equal(counted.status, 200, counted.text);
  const report = await faultReport();
  assert.equal(report.armed_step, 0);
  assert.equal(report.failed_step, 0);
  assert.ok(report.steps > 0, JSON.stringify(report));
});
