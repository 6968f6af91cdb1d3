// Money transfers to a resident's trust account: POST /api/v1/money-transfers/quote,
// POST and GET /api/v1/money-transfers, and the resident's statement.
//
// The quote shows the fee per tier at its boundaries ($20.00 and $20.01 with the
// default tiers) and writes nothing; a wrong last name or a wrong number is the same
// 422 and moves nothing (contact balance, trust balance and the count of ledger entries
// unchanged); a success moves amount + fee in one posting; limits per transfer and per
// month; a replay with the same key is charged once, the same key with another body is
// 422; a short balance is 402; a released resident is refused; the resident's
// statement and CSV show the line. After each scenario `kite ledger verify` passes.
//
// Contacts are funded through `kite processor-sandbox` (approved test card).

import test, { after, before } from 'node:test';
import os from 'node:os';
import path from 'node:path';
import { World, assert, assertError, facilityIdByName, bopNumber } from './lib/flows.mjs';
import { cli, sqlite, copyStore, removeStore } from './lib/kite.mjs';
import { CARDS, startSandbox } from './lib/processor.mjs';

let sb;
let w;
let op;
let fed; // a federal facility: default fee tiers and limits
let keys = 0;
const newKey = (what = 'mt') => `bb-money-${what}-${process.pid}-${++keys}`;

before(async () => {
  sb = await startSandbox();
  w = await World.start({ extraArgs: ['--processor', sb.baseUrl] });
  op = await w.operator();
  fed = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  await w.putPolicy(op.token, fed, { profile: 'federal' });
});

after(async () => {
  if (w) await w.close();
  if (sb) await sb.cleanup();
});

async function fund(c, cents) {
  for (let left = cents; left > 0; left -= 50000) {
    const amount = Math.min(left, 50000);
    const r = await w.srv.request('POST', '/api/v1/wallet/top-ups', {
      token: c.token, headers: { 'Idempotency-Key': newKey('top-up') },
      body: { amount_cents: amount, card: { number: CARDS.approved, exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' } },
    });
    assert.equal(r.status, 201, r.text);
  }
}

async function balance(person) {
  const r = await w.get('/api/v1/wallet', person.token);
  assert.equal(r.status, 200, r.text);
  return r.json.balance_cents;
}

const entryCount = () => Number(w.sql('SELECT COUNT(*) FROM ledger_entries'));
const transferRows = () => Number(w.sql('SELECT COUNT(*) FROM money_transfers'));

function quote(c, body) {
  return w.post('/api/v1/money-transfers/quote', body, c.token);
}

function send(c, body, key = newKey()) {
  return w.post('/api/v1/money-transfers', body, c.token, { headers: key === null ? {} : { 'Idempotency-Key': key } });
}

async function ledgerOk() {
  const r = await cli(['ledger', 'verify', '--db', w.dbPath]);
  assert.equal(r.code, 0, `kite ledger verify: exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /^ledger: ok/);
}

/** A signed-in resident at the federal facility, and a funded contact. */
async function people({ funds = 10000, last_name = 'Rivera' } = {}) {
  const r = await w.resident(op.token, fed, { number: bopNumber(), first_name: 'Alex', last_name });
  const c = await w.contact();
  if (funds > 0) await fund(c, funds);
  return { r, c };
}

const body = (r, amount, over = {}) => ({
  facility_id: r.facility_id, resident_number: r.number, resident_last_name: r.last_name, amount_cents: amount, ...over,
});

test('the quote shows the fee per tier at its boundaries, and writes nothing nor names anyone', async () => {
  const { r, c } = await people({ funds: 2500 });
  const before = entryCount();
  const cases = [[1, 350], [2000, 350], [2001, 695], [10000, 695], [10001, 895], [30000, 1095]];
  for (const [amount, fee] of cases) {
    const q = await quote(c, { facility_id: fed, resident_number: r.number, amount_cents: amount });
    assert.equal(q.status, 200, q.text);
    assert.equal(q.json.amount_cents, amount);
    assert.equal(q.json.fee_cents, fee, `fee of ${amount}`);
    assert.equal(q.json.total_cents, amount + fee);
    assert.equal(q.json.balance_cents, 2500);
    assert.equal(q.json.enough, amount + fee <= 2500);
    assert.deepEqual(q.json.limits, {
      min_cents: 1, max_cents: 30000, monthly_cents: 100000, sent_this_month_cents: 0, left_this_month_cents: 100000,
    });
    assert.equal(q.text.includes('Alex'), false);
    assert.equal(q.text.includes('Rivera'), false);
  }
  const tooMuch = await quote(c, { facility_id: fed, resident_number: r.number, amount_cents: 30001 });
  assert.match(assertError(tooMuch, 422, 'invalid_field').message, /from \$0\.01 to \$300\.00/);
  // An unknown number is quoted like any other: the quote does not tell who is held where.
  const unknown = await quote(c, { facility_id: fed, resident_number: bopNumber(), amount_cents: 2000 });
  assert.equal(unknown.status, 200, unknown.text);
  assert.equal(unknown.json.fee_cents, 350);
  assert.equal(entryCount(), before);
  assert.equal(transferRows(), 0);
});

test('a wrong last name or a wrong number is the same 422, and nothing moves', async () => {
  const { r, c } = await people({ funds: 5000 });
  const other = await w.resident(op.token, fed, { number: bopNumber(), first_name: 'Sam', last_name: 'Okafor' });
  const entries = entryCount();
  const rows = transferRows();
  const wrongName = await send(c, body(r, 2000, { resident_last_name: 'Rivero' }));
  const e1 = assertError(wrongName, 422, 'invalid_field');
  const wrongNumber = await send(c, body(r, 2000, { resident_number: bopNumber() }));
  const e2 = assertError(wrongNumber, 422, 'invalid_field');
  // Another resident's number with this one's last name: a pair that fits nobody.
  const crossed = await send(c, body(r, 2000, { resident_number: other.number }));
  const e3 = assertError(crossed, 422, 'invalid_field');
  assert.equal(e1.message, e2.message);
  assert.equal(e1.message, e3.message);
  assert.match(e1.message, /do not match the same person/);
  for (const e of [e1, e2, e3]) assert.ok(e.field === undefined || e.field === null, JSON.stringify(e));
  assert.equal(await balance(c), 5000);
  assert.equal(await balance(r), 0);
  assert.equal(entryCount(), entries);
  assert.equal(transferRows(), rows);
  await ledgerOk();
});

test('a success moves amount + fee in one posting; case and spaces in the last name do not matter', async () => {
  const { r, c } = await people({ funds: 5000 });
  const entries = entryCount();
  const res = await send(c, body(r, 2001, { resident_last_name: '  rIVERA ' }));
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.amount_cents, 2001);
  assert.equal(res.json.fee_cents, 695);
  assert.equal(res.json.total_cents, 2696);
  assert.equal(res.json.state, 'completed');
  assert.equal(res.json.resident_name, 'Alex Rivera');
  assert.equal(res.json.balance_after_cents, 5000 - 2696);
  assert.equal(await balance(c), 2304);
  assert.equal(await balance(r), 2001);
  assert.equal(entryCount(), entries + 3);
  const fees = Number(w.sql(`SELECT balance FROM ledger_accounts WHERE kind = 'fees' AND facility_id = ${fed}`));
  assert.ok(fees >= 695);
  const list = await w.get('/api/v1/money-transfers', c.token);
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.items.length, 1);
  assert.equal(list.json.items[0].id, res.json.id);
  assert.equal(list.json.items[0].resident_number, r.number);
  assert.equal(Number(w.sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'money_transfer.send' AND target = 'money_transfer:${res.json.id}'`)), 1);
  await ledgerOk();
  await w.auditOk();
});

test('the resident sees the trust balance and a statement line naming the sender; the CSV has it', async () => {
  const { r, c } = await people({ funds: 5000 });
  const res = await send(c, body(r, 1500));
  assert.equal(res.status, 201, res.text);
  const wallet = await w.get('/api/v1/wallet', r.token);
  assert.equal(wallet.json.kind, 'resident_trust');
  assert.equal(wallet.json.balance_cents, 1500);
  assert.equal(wallet.json.held_cents, 0);
  const st = await w.get('/api/v1/wallet/transactions', r.token);
  assert.equal(st.status, 200, st.text);
  assert.equal(st.json.items.length, 1);
  const line = st.json.items[0];
  assert.equal(line.kind, 'transfer');
  assert.equal(line.amount_cents, 1500);
  assert.equal(line.balance_after_cents, 1500);
  assert.equal(line.memo, `Money transfer from ${c.full_name} to Alex Rivera`);
  const mine = await w.get('/api/v1/wallet/transactions', c.token);
  assert.equal(mine.json.items[0].amount_cents, -(1500 + 350));
  const csv = await w.get('/api/v1/wallet/transactions.csv', r.token);
  assert.equal(csv.status, 200);
  assert.match(csv.headers['content-type'], /text\/csv/);
  const rows = csv.text.trim().split('\r\n');
  assert.equal(rows.length, 2);
  assert.match(rows[1], /,transfer,"Money transfer from .* to Alex Rivera",1500,1500$/);
});

test('limits: per transfer and per calendar month for one sender and one resident', async () => {
  const { r, c } = await people({ funds: 120000 });
  const over = await send(c, body(r, 30001));
  assert.match(assertError(over, 422, 'invalid_field').message, /from \$0\.01 to \$300\.00/);
  for (let i = 0; i < 3; i++) assert.equal((await send(c, body(r, 30000))).status, 201);
  const q = await quote(c, { facility_id: fed, resident_number: r.number, amount_cents: 10000 });
  assert.equal(q.json.limits.sent_this_month_cents, 90000);
  assert.equal(q.json.limits.left_this_month_cents, 10000);
  const entries = entryCount();
  const before = await balance(c);
  const past = await send(c, body(r, 10001));
  const e = assertError(past, 422, 'invalid_field');
  assert.match(e.message, /limit of \$1,?000\.00; \$100\.00 can still be sent/);
  assert.equal(await balance(c), before);
  assert.equal(entryCount(), entries);
  const quotePast = await quote(c, { facility_id: fed, resident_number: r.number, amount_cents: 10001 });
  assertError(quotePast, 422, 'invalid_field');
  // Exactly at the limit is allowed; another sender has a limit of their own.
  assert.equal((await send(c, body(r, 10000))).status, 201);
  const c2 = await w.contact();
  await fund(c2, 5000);
  assert.equal((await send(c2, body(r, 1000))).status, 201);
  assert.equal(await balance(r), 101000);
  await ledgerOk();
});

test('a replay with the same key answers the same transfer and charges once; another body is 422', async () => {
  const { r, c } = await people({ funds: 5000 });
  const key = newKey('replay');
  const first = await send(c, body(r, 1000), key);
  assert.equal(first.status, 201, first.text);
  const again = await send(c, body(r, 1000, { resident_last_name: 'rivera' }), key);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(again.json.id, first.json.id);
  assert.equal(again.json.balance_after_cents, first.json.balance_after_cents);
  const burst = await Promise.all(Array.from({ length: 5 }, () => send(c, body(r, 1000), key)));
  for (const b of burst) assert.equal(b.json.id, first.json.id, b.text);
  assert.equal(await balance(c), 5000 - 1350);
  assert.equal(await balance(r), 1000);
  const other = await send(c, body(r, 1200), key);
  assertError(other, 422, 'idempotency_key_reused');
  assert.equal(await balance(c), 5000 - 1350);
  const noKey = await send(c, body(r, 1000), null);
  assert.equal(assertError(noKey, 422, 'invalid_field').field, 'Idempotency-Key');
  await ledgerOk();
});

test('a short balance is 402 and moves nothing; a released resident is refused', async () => {
  const { r, c } = await people({ funds: 1000 });
  const entries = entryCount();
  const short = await send(c, body(r, 700));
  const e = assertError(short, 402, 'insufficient_funds');
  assert.match(e.message, /costs \$10\.50 with its fee and your balance is \$10\.00/);
  assert.equal(await balance(c), 1000);
  assert.equal(entryCount(), entries);
  assert.equal((await send(c, body(r, 650))).status, 201);
  assert.equal(await balance(c), 0);

  const { r: gone, c: c2 } = await people({ funds: 1000 });
  const rel = await w.patch(`/api/v1/facilities/${fed}/residents/${encodeURIComponent(gone.number)}`, { status: 'released' }, op.token);
  assert.equal(rel.status, 200, rel.text);
  const refused = await send(c2, body(gone, 500));
  assert.match(assertError(refused, 409, 'resident_unreachable').message, /released/);
  assert.equal(await balance(c2), 1000);
  await ledgerOk();
});

test('only contacts send money; a facility not on Kite is 404', async () => {
  const { r, c } = await people({ funds: 0 });
  assertError(await w.post('/api/v1/money-transfers', body(r, 100), r.token, { headers: { 'Idempotency-Key': newKey() } }), 403);
  assertError(await quote(r, body(r, 100)), 403);
  assertError(await w.post('/api/v1/money-transfers/quote', body(r, 100)), 401);
  const off = await facilityIdByName(w.srv, 'GRENADA COUNTY JAIL');
  assertError(await quote(c, { facility_id: off, resident_number: '1', amount_cents: 100 }), 404, 'not_found');
  assertError(await send(c, { ...body(r, 100), facility_id: off }), 404, 'not_found');
});

test('concurrent transfers with their own keys: the balance and the monthly limit hold exactly', async () => {
  const { r, c } = await people({ funds: 2700 }); // pays for exactly two transfers of $10.00 + $3.50
  const answers = await Promise.all(Array.from({ length: 6 }, () => send(c, body(r, 1000))));
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [201, 201, 402, 402, 402, 402], answers.map((a) => a.text).join('\n'));
  assert.equal(await balance(c), 0);
  assert.equal(await balance(r), 2000);

  const { r: r2, c: c2 } = await people({ funds: 150000 });
  const big = await Promise.all(Array.from({ length: 4 }, () => send(c2, body(r2, 30000))));
  const ok = big.filter((a) => a.status === 201).length;
  assert.equal(ok, 3, big.map((a) => a.text).join('\n'));
  for (const a of big.filter((x) => x.status !== 201)) assertError(a, 422, 'invalid_field');
  assert.equal(await balance(r2), 90000);
  await ledgerOk();
});

test('kite ledger verify names a money transfer that is not what its posting moved', async () => {
  const { r, c } = await people({ funds: 5000 });
  const res = await send(c, body(r, 2500));
  assert.equal(res.status, 201, res.text);
  await ledgerOk();
  const copy = copyStore(w.dbPath, path.join(os.tmpdir(), `kite-money-verify-${process.pid}.db`));
  try {
    sqlite(copy, `UPDATE money_transfers SET fee_cents = fee_cents - 1 WHERE id = ${Number(res.json.id)}`);
    const v = await cli(['ledger', 'verify', '--db', copy]);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.match(v.stdout, new RegExp(`^ledger: breach: money transfer ${res.json.id} is not what its transaction moved`));
  } finally {
    removeStore(copy);
  }
});
