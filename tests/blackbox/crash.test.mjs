// kill -9 while paid requests run, restart on the same store: every request
// answered with success is in the ledger, nothing is there twice, nothing is
// there by half, and `kite ledger verify` and `kite audit verify` pass.
//
// Each cycle: several contacts send paid requests (every row of
// lib/paid.mjs in turn: card top-ups, bundle purchases, money transfers,
// phone deposits, priced message sends, call records against the contact's
// phone account, trust deposits to the contact's resident by an operator,
// subscription purchases), two at a time each,
// every one under its own Idempotency-Key; at a random moment the server
// gets SIGKILL (no chance to finish anything); it starts again on the same
// file. Then, for every request sent:
//   - answered with success → its trace is whole (the top-up approved and
//     credited once, the bundle's reference with the right amounts), and the
//     same key again replays it without doing it twice;
//   - answered otherwise (not enough money, a top-up still pending) → never half;
//   - not answered (in flight when the server died) → whole, absent or a
//     pending top-up (counted among the not found, and apart), never half.
// At the end the unanswered ones are looked at again (the sweeper may have
// settled a pending top-up meanwhile): still never half. Then the server
// starts once more, two minutes later by its clock, so that the sweeper
// settles every top-up left pending; after that the card processor's record
// (the sandbox's state file) and the store agree charge for charge: every
// approved charge is one approved top-up, credited once, for the same amount,
// and no top-up is approved without a charge. No money lost at the card.
//
// Every row must have been answered with success at least once over the
// run, so that no paid request is in the table without being tested.
//
// KITE_CRASH_CYCLES=100 runs 100 cycles instead of 20 (tests/crash/cycles.sh 100 does,
// and prints the counts). Every run reports the counts as one diagnostic
// line, "# crash-counts: {...}", with the successes of each row
// (success_by_row).

import test, { after, before } from 'node:test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { World, assert } from './lib/flows.mjs';
import { cli, sleep, sqlite, sqlJsonRows, SQL_JSON_OBJECT, startServer } from './lib/kite.mjs';
import { startSandbox } from './lib/processor.mjs';
import { PAID_REQUESTS, fundedContact } from './lib/paid.mjs';

const CYCLES = Number(process.env.KITE_CRASH_CYCLES || 20);
const CONTACTS = 4;
const IN_FLIGHT_PER_CONTACT = 2;
const FUNDS_CENTS = 50000; // each contact's first top-up: bundles rarely meet an empty balance
const KILL_AFTER_MS = [20, 400]; // the kill comes at a random moment in this window of traffic
const SETTLE_WAIT_MS = 120_000; // the sweeper settles 50 pending top-ups a tick, a tick every 30 s
let sandbox;
let sandboxDir;
let world;
let serverArgs;
const env = { world: null, sandbox: null, facilities: {} };
let keys = 0;
const newKey = () => `bb-crash-${process.pid}-${++keys}`;

before(async () => {
  sandboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-bb-crash-card-'));
  sandbox = await startSandbox(['--state', path.join(sandboxDir, 'charges.json')]);
  serverArgs = ['--processor', sandbox.baseUrl];
  world = await World.start({ extraArgs: serverArgs });
  Object.assign(env, { world, sandbox });
  for (const row of PAID_REQUESTS) await row.prepare(env);
});

after(async () => {
  if (world) await world.close();
  if (sandbox) await sandbox.cleanup();
  if (sandboxDir) fs.rmSync(sandboxDir, { recursive: true, force: true });
});

function sqlJson(query) {
  return sqlJsonRows(world.dbPath, query);
}

/**
 * Two minutes later by Kite's clock the sweeper settles every pending top-up;
 * then the processor's charges and the store's top-ups must agree one to one.
 */
async function cardAgrees(counts, problems) {
  await world.srv.stopAndAssertClean();
  world.srv = await startServer({
    dir: world.dir, extraArgs: [...serverArgs, '--test-clock-offset', '120'], env: { KITE_ALLOW_TEST_CLOCK: '1' },
  });
  const pending = () => Number(sqlite(world.dbPath, "SELECT count(*) FROM wallet_top_ups WHERE state = 'pending'").trim());
  const deadline = Date.now() + SETTLE_WAIT_MS;
  while (pending() > 0 && Date.now() < deadline) await sleep(250);
  if (pending() > 0) problems.push(`${pending()} top-ups still pending after the sweeper's turn`);
  counts.settled_by_sweeper = world.srv.readLog().match(/sweeper: top-up \d+ reconciled/g)?.length ?? 0;
  const card = JSON.parse(fs.readFileSync(path.join(sandboxDir, 'charges.json'), 'utf8'));
  const charged = new Map(card.charges.filter((c) => c.decline === 'none').map((c) => [c.key, c.amount_cents]));
  const topUps = sqlJson(`SELECT ${SQL_JSON_OBJECT}('key', t.processor_key, 'state', t.state, 'amount', t.amount_cents,
      'credited', (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
                   WHERE e.transaction_id = t.transaction_id AND a.kind = 'contact_balance' AND a.account_id = t.account_id),
      'txs', (SELECT COUNT(*) FROM ledger_transactions lt WHERE lt.reference = 'top_up:' || t.id)) AS r
    FROM wallet_top_ups t`);
  counts.card_charges = charged.size;
  counts.top_ups_approved = topUps.filter((t) => t.state === 'approved').length;
  for (const t of topUps) {
    const paid = charged.get(t.key);
    if (paid !== undefined) {
      if (t.state !== 'approved' || paid !== t.amount || t.credited !== t.amount || t.txs !== 1) {
        problems.push(`the card was charged ${paid} for top-up ${t.key}, which is ${t.state}, credited ${t.credited} in ${t.txs} transactions`);
      }
      charged.delete(t.key);
    } else if (t.state === 'approved' || t.txs !== 0) {
      problems.push(`top-up ${t.key} is ${t.state} (${t.txs} ledger transactions) without a charge at the processor`);
    }
  }
  for (const key of charged.keys()) problems.push(`the card was charged under ${key}, which no top-up has`);
}

/*
 * Sends paid requests from every contact until stop() is called; returns what was sent and answered.
 * The workers start on different rows (CONTACTS x IN_FLIGHT_PER_CONTACT of them, as many as the
 * rows), turned by one each cycle: on a slow store a worker may get one answer before the kill,
 * and every row must still be sent and answered in some cycle.
 */
function traffic(contacts, cycle) {
  const sent = [];
  let stopped = false;
  const workers = [];
  contacts.forEach((payer, c) => {
    for (let w = 0; w < IN_FLIGHT_PER_CONTACT; w++) {
      workers.push((async () => {
        for (let i = c * IN_FLIGHT_PER_CONTACT + w + cycle; !stopped; i++) {
          const row = PAID_REQUESTS[i % PAID_REQUESTS.length];
          const entry = { row, payer, key: newKey(), res: null };
          sent.push(entry);
          try {
            entry.res = await row.send(env, payer, entry.key, {});
          } catch (err) {
            entry.error = err.code || err.message; // the connection died with the server: no answer
          }
        }
      })());
    }
  });
  return { sent, stop: async () => { stopped = true; }, done: () => Promise.all(workers) };
}

async function verify(counts, problems, context) {
  const [ledger, audit] = await Promise.all([
    cli(['ledger', 'verify', '--db', world.dbPath]), cli(['audit', 'verify', '--db', world.dbPath]),
  ]);
  for (const [name, r] of [['ledger', ledger], ['audit', audit]]) {
    if (r.code !== 0) {
      counts.verify_failures += 1;
      problems.push(`${context}: kite ${name} verify exit ${r.code}: ${r.stdout}${r.stderr}`);
    }
  }
}

/** Looks at every request of one cycle in the restarted server's store. */
async function check(cycle, sent, counts, problems, unanswered) {
  for (const e of sent) {
    const trace = await e.row.recorded(env, e.payer, e.key);
    const what = `cycle ${cycle}, ${e.row.name} ${e.key}`;
    counts.sent += 1;
    if (trace.startsWith('half')) problems.push(`${what}: ${trace}`);
    if (e.res === null) {
      counts.unanswered += 1;
      if (trace === 'whole') counts.unanswered_found += 1;
      else counts.unanswered_not_found += 1;
      if (trace === 'pending') counts.unanswered_pending += 1;
      unanswered.push(e);
    } else if (e.row.succeeded(e.res)) {
      counts.answered_success += 1;
      counts.success_by_row[e.row.name] += 1;
      if (trace !== 'whole') {
        problems.push(`${what}: answered ${e.res.status} but the store has it ${trace}`);
        continue;
      }
      counts.success_found += 1;
      const again = await e.row.send(env, e.payer, e.key, {});
      const replayTrace = await e.row.recorded(env, e.payer, e.key);
      if (!e.row.succeeded(again) || again.headers['idempotent-replayed'] !== 'true' || replayTrace !== 'whole') {
        problems.push(`${what}: the replay answered ${again.status} ${again.text.slice(0, 200)}; store: ${replayTrace}`);
      }
    } else {
      counts.answered_other += 1;
    }
  }
}

test(`kill -9 while paid requests run, ${CYCLES} times: what was answered with success is in the ledger, once and whole`, async (t) => {
  const contacts = [];
  for (let i = 0; i < CONTACTS; i++) {
    const c = await fundedContact(env, FUNDS_CENTS);
    for (const row of PAID_REQUESTS) if (row.ready) await row.ready(env, c);
    contacts.push(c);
  }
  const counts = {
    cycles: 0, sent: 0, answered_success: 0, success_found: 0, answered_other: 0,
    unanswered: 0, unanswered_found: 0, unanswered_not_found: 0, unanswered_pending: 0, verify_failures: 0,
    success_by_row: Object.fromEntries(PAID_REQUESTS.map((row) => [row.name, 0])),
  };
  const problems = [];
  const unanswered = [];
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const run = traffic(contacts, cycle);
    await sleep(crypto.randomInt(KILL_AFTER_MS[0], KILL_AFTER_MS[1]));
    await run.stop(); // no new request starts: the ones in flight meet the kill
    world.srv.proc.kill('SIGKILL');
    const died = await world.srv.exited;
    assert.equal(died.signal, 'SIGKILL', `cycle ${cycle}: the server ended otherwise: ${JSON.stringify(died)}`);
    await run.done();
    world.srv = await startServer({ dir: world.dir, extraArgs: serverArgs });
    await verify(counts, problems, `cycle ${cycle}`);
    await check(cycle, run.sent, counts, problems, unanswered);
    counts.cycles += 1;
  }
  for (const e of unanswered) {
    const trace = await e.row.recorded(env, e.payer, e.key);
    if (trace.startsWith('half')) problems.push(`at the end, unanswered ${e.row.name} ${e.key}: ${trace}`);
  }
  await cardAgrees(counts, problems);
  await verify(counts, problems, 'at the end');
  t.diagnostic(`crash-counts: ${JSON.stringify(counts)}`);
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
  assert.ok(counts.answered_success > 0, 'no request was answered with success before a kill');
  for (const [name, n] of Object.entries(counts.success_by_row)) {
    assert.ok(n > 0, `no ${name} was answered with success in ${CYCLES} cycles: the row is not tested`);
  }
});
