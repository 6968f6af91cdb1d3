// kill -9 while paid requests run, restart on the same store: every request
// answered with success is in the ledger, nothing is there twice, nothing is
// there by half, and `kite ledger verify` and `kite audit verify` pass.
//
// Each cycle: several contacts send paid requests (every row of
// lib/paid.mjs in turn: card top-ups, bundle purchases), two at a time each,
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
// settled a pending top-up meanwhile): still never half.
//
// KITE_CRASH_CYCLES=100 runs 100 cycles instead of 20 (bench/crash.sh does,
// and prints the counts). Every run reports the counts as one diagnostic
// line, "# crash-counts: {...}".

import test, { after, before } from 'node:test';
import crypto from 'node:crypto';
import { World, assert } from './lib/flows.mjs';
import { cli, sleep, startServer } from './lib/kite.mjs';
import { startSandbox } from './lib/processor.mjs';
import { PAID_REQUESTS, fundedContact } from './lib/paid.mjs';

const CYCLES = Number(process.env.KITE_CRASH_CYCLES || 20);
const CONTACTS = 4;
const IN_FLIGHT_PER_CONTACT = 2;
const FUNDS_CENTS = 50000; // each contact's first top-up: bundles rarely meet an empty balance
const KILL_AFTER_MS = [20, 400]; // the kill comes at a random moment in this window of traffic
let sandbox;
let world;
let serverArgs;
const env = { world: null, sandbox: null, facilities: {} };
let keys = 0;
const newKey = () => `bb-crash-${process.pid}-${++keys}`;

before(async () => {
  sandbox = await startSandbox();
  serverArgs = ['--processor', sandbox.baseUrl];
  world = await World.start({ extraArgs: serverArgs });
  Object.assign(env, { world, sandbox });
  for (const row of PAID_REQUESTS) await row.prepare(env);
});

after(async () => {
  if (world) await world.close();
  if (sandbox) await sandbox.cleanup();
});

/** Sends paid requests from every contact until stop() is called; returns what was sent and answered. */
function traffic(contacts) {
  const sent = [];
  let stopped = false;
  const workers = [];
  contacts.forEach((payer, c) => {
    for (let w = 0; w < IN_FLIGHT_PER_CONTACT; w++) {
      workers.push((async () => {
        for (let i = c + w; !stopped; i++) {
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
  for (let i = 0; i < CONTACTS; i++) contacts.push(await fundedContact(env, FUNDS_CENTS));
  const counts = {
    cycles: 0, sent: 0, answered_success: 0, success_found: 0, answered_other: 0,
    unanswered: 0, unanswered_found: 0, unanswered_not_found: 0, unanswered_pending: 0, verify_failures: 0,
  };
  const problems = [];
  const unanswered = [];
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const run = traffic(contacts);
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
  await verify(counts, problems, 'at the end');
  t.diagnostic(`crash-counts: ${JSON.stringify(counts)}`);
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
  assert.ok(counts.answered_success > 0, 'no request was answered with success before a kill');
});
