// Terminal time (TRULINCS-style): POST /api/v1/terminal/heartbeat, metered per started
// minute from the resident's trust account where the facility charges for it (the
// federal profile: 5 cents a minute).
//
// Time moves with the test clock (World.restart({clockOffset})), never with waiting:
// each answer carries the server's time ("at") and the session's start, and the test
// checks that every started minute is settled exactly once (charged, or unpaid when the
// trust account could not pay it), however many heartbeats arrive in the same minute.
// A session idle for more than 5 minutes is over; the next heartbeat opens another.
// When the trust account cannot pay the next minute the heartbeat answers 402, the
// unpaid minute is never charged, and the resident's other requests still work.
// Trust accounts are funded by money transfers.

import test, { after, before } from 'node:test';
import os from 'node:os';
import path from 'node:path';
import { World, assert, assertError, facilityIdByName, bopNumber, anyNumber } from './lib/flows.mjs';
import { cli, sqlite, sqlFlag, copyStore, removeStore } from './lib/kite.mjs';
import { CARDS, startSandbox } from './lib/processor.mjs';

let sb;
let w;
let op;
let fed;
let offset = 0; // the test clock's offset, seconds; only ever moves forward
let rich; // trust accounts funded before the clock moves (restarts run without the processor)
let poor;
let keys = 0;
const newKey = () => `bb-terminal-${process.pid}-${++keys}`;
const RATE = 5;

before(async () => {
  sb = await startSandbox();
  w = await World.start({ extraArgs: ['--processor', sb.baseUrl] });
  op = await w.operator();
  fed = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  await w.putPolicy(op.token, fed, { profile: 'federal' });
  rich = await residentWithTrust(2000);
  poor = await residentWithTrust(12); // two minutes at 5 cents, and 2 cents over
});

after(async () => {
  if (w) await w.close();
  if (sb) await sb.cleanup();
});

/** A resident of the federal facility whose trust account holds `cents`, sent by a funded contact. */
async function residentWithTrust(cents) {
  const r = await w.resident(op.token, fed, { number: bopNumber(), last_name: 'Rivera' });
  const c = await w.contact();
  const top = await w.srv.request('POST', '/api/v1/wallet/top-ups', {
    token: c.token, headers: { 'Idempotency-Key': newKey() },
    body: { amount_cents: 5000, card: { number: CARDS.approved, exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' } },
  });
  assert.equal(top.status, 201, top.text);
  const sent = await w.post('/api/v1/money-transfers', {
    facility_id: fed, resident_number: r.number, resident_last_name: 'Rivera', amount_cents: cents,
  }, c.token, { headers: { 'Idempotency-Key': newKey() } });
  assert.equal(sent.status, 201, sent.text);
  return r;
}

const beat = (r) => w.post('/api/v1/terminal/heartbeat', {}, r.token);

async function trust(r) {
  const res = await w.get('/api/v1/wallet', r.token);
  assert.equal(res.status, 200, res.text);
  return res.json.balance_cents;
}

/** Every minute the session has started is settled once: charged + unpaid = started. */
function assertSettled(answer) {
  const started = Math.floor((Date.parse(answer.at) - Date.parse(answer.session.started_at)) / 60000) + 1;
  assert.equal(answer.session.minutes_charged + answer.session.minutes_unpaid, started, JSON.stringify(answer));
}

/** Moves the test clock forward by `seconds` (a restart on the same store). */
async function advance(seconds) {
  offset += seconds;
  await w.restart({ clockOffset: offset });
}

const session = (id) => w.sql(`SELECT minutes_charged, minutes_unpaid, charged_cents, ${sqlFlag('ended_at IS NULL')} FROM terminal_sessions WHERE id = ${Number(id)}`);
const terminalCharges = (r) => Number(w.sql(
  `SELECT COUNT(*) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE a.kind = 'resident_trust'`
  + ` AND a.resident_id = ${Number(r.resident.id)} AND e.amount < 0`));

async function ledgerOk() {
  const v = await cli(['ledger', 'verify', '--db', w.dbPath]);
  assert.equal(v.code, 0, `kite ledger verify: exit ${v.code}\n${v.stdout}${v.stderr}`);
}

test('each started minute is charged once, whatever the heartbeats; an idle session ends', async () => {
  const r = rich;
  const first = await beat(r);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.metered, true);
  assert.equal(first.json.cents_per_minute, RATE);
  assertSettled(first.json);
  const id = first.json.session.id;

  // Heartbeats racing in the same minute settle nothing more.
  const burst = await Promise.all([beat(r), beat(r), beat(r)]);
  for (const b of burst) {
    assert.equal(b.status, 200, b.text);
    assert.equal(b.json.session.id, id);
    assertSettled(b.json);
  }
  const last = burst.map((b) => b.json).sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).pop();
  assert.equal(await trust(r), 2000 - RATE * last.session.minutes_charged);

  await advance(90);
  const later = await beat(r);
  assert.equal(later.status, 200, later.text);
  assert.equal(later.json.session.id, id);
  assertSettled(later.json);
  assert.ok(later.json.session.minutes_charged >= 2, later.text);
  const charged = later.json.session.minutes_charged;
  assert.equal(await trust(r), 2000 - RATE * charged);
  const [mins, unpaid, cents] = session(id).split('|').map(Number);
  assert.deepEqual([mins, unpaid, cents], [charged, 0, RATE * charged]);

  // The statement says what each charge was.
  const st = await w.get('/api/v1/wallet/transactions', r.token);
  const lines = st.json.items.filter((l) => /^Terminal time, \d+ min$/.test(l.memo));
  assert.ok(lines.length >= 2, st.text);
  assert.equal(lines.reduce((sum, l) => sum - l.amount_cents, 0), RATE * charged);
  assert.equal(terminalCharges(r), lines.length);

  // More than 5 minutes without a heartbeat: that session is over, and a new one starts.
  await advance(400);
  const fresh = await beat(r);
  assert.equal(fresh.status, 200, fresh.text);
  assert.notEqual(fresh.json.session.id, id);
  assert.equal(fresh.json.session.minutes_charged, 1);
  assertSettled(fresh.json);
  assert.equal(session(id).split('|')[3], '0');
  assert.equal(await trust(r), 2000 - RATE * (charged + 1));
  await ledgerOk();
  // Opening and ending sessions are audited, in the same chain as the charges.
  assert.equal(Number(w.sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'terminal.session_end' AND target = 'terminal_session:${id}'`)), 1);
  await w.auditOk();
});

test('when the trust account cannot pay the next minute: 402, the minute is not charged, nothing else blocks', async () => {
  const r = poor;
  const first = await beat(r);
  assert.equal(first.status, 200, first.text);
  assert.equal(await trust(r), 7);

  await advance(90);
  const second = await beat(r); // pays minute 2; 2 cents cannot pay minute 3
  const e = assertError(second, 402, 'insufficient_funds');
  assert.match(e.message, /cannot pay for the next minute of terminal time \(\$0\.05 a minute\)/);
  assert.equal(await trust(r), 2);

  await advance(60);
  const third = await beat(r); // minute 3 goes unpaid
  assertError(third, 402, 'insufficient_funds');
  assert.equal(await trust(r), 2);
  const row = w.sql(`SELECT minutes_charged, minutes_unpaid FROM terminal_sessions WHERE resident_id = ${Number(r.resident.id)} AND ended_at IS NULL`);
  const [charged, unpaid] = row.split('|').map(Number);
  assert.equal(charged, 2);
  assert.ok(unpaid >= 1, row);
  assert.equal(terminalCharges(r), 2);

  // The tablet's other requests are not blocked by terminal time.
  assert.equal((await w.get('/api/v1/wallet/transactions', r.token)).status, 200);
  assert.equal((await w.get('/api/v1/messages?box=inbox', r.token)).status, 200);
  await ledgerOk();
});

test('a facility that does not charge terminal time meters nothing; only residents send heartbeats', async () => {
  const jp = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  await w.putPolicy(op.token, jp, { profile: 'jpay' });
  const r = await w.resident(op.token, jp, { number: anyNumber('T') });
  const before = Number(w.sql('SELECT COUNT(*) FROM terminal_sessions'));
  const res = await beat(r);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { metered: false });
  assert.equal(Number(w.sql('SELECT COUNT(*) FROM terminal_sessions')), before);
  const c = await w.contact();
  assertError(await beat(c), 403);
  assertError(await w.post('/api/v1/terminal/heartbeat', {}), 401);
});

test('kite ledger verify names a terminal session whose minutes and charges disagree', async () => {
  const id = Number(w.sql('SELECT MIN(id) FROM terminal_sessions WHERE minutes_charged > 0'));
  assert.ok(id > 0);
  await ledgerOk();
  const file = path.join(os.tmpdir(), `kite-terminal-verify-${process.pid}.db`);
  for (const tamper of ['minutes_charged = minutes_charged + 1', 'charged_cents = charged_cents + 5, minutes_charged = minutes_charged + 1']) {
    const copy = copyStore(w.dbPath, file);
    try {
      sqlite(copy, `UPDATE terminal_sessions SET ${tamper} WHERE id = ${id}`);
      const v = await cli(['ledger', 'verify', '--db', copy]);
      assert.equal(v.code, 1, v.stdout + v.stderr);
      assert.match(v.stdout, new RegExp(`^ledger: breach: terminal session ${id} records`));
    } finally {
      removeStore(copy);
    }
  }
});
