// The contact's wallet: card top-ups through `kite processor-sandbox`
// (kite serve --processor), the balance, the statement and its CSV.
//
// Each test card's path: approved → balance up and a statement line;
// declined / insufficient funds / expired → 402, balance unchanged;
// processor error → 502, nothing charged; slow card → 202 pending, then a
// retry with the same key settles it and the balance rises exactly once.
// One Idempotency-Key charges once (sequential and 5 concurrent tries,
// checked at the processor and in the balance); a key reused for another
// amount → 422; no key → 422; amount limits; roles; no processor → 503.
// After every scenario `kite ledger verify` passes.
//
// SECURITY: money and card data. The card number must appear nowhere in
// Kite's output (stdout, stderr) nor in the store (the .db and its WAL read
// as bytes, or a dump of the PostgreSQL database).

import test, { after, before } from 'node:test';
import fs from 'node:fs';
import {
  World, assert, assertError, facilityIdByName, bopNumber,
} from './lib/flows.mjs';
import { cli, sleep, sqlite, startServer, storeContents } from './lib/kite.mjs';
import { CARDS, startSandbox } from './lib/processor.mjs';

const SLOW_MS = 2500;    // the sandbox's slow card answers after this long ...
const TIMEOUT_MS = 1000; // ... and Kite gives up on the processor after this long
let sb;
let w;
let keys = 0;
const newKey = (what = 'top-up') => `bb-wallet-${what}-${process.pid}-${++keys}`;
const digits = (n) => n.replace(/\D/g, '');

before(async () => {
  sb = await startSandbox(['--slow-ms', String(SLOW_MS)]);
  w = await World.start({ extraArgs: ['--processor', sb.baseUrl, '--processor-timeout-ms', String(TIMEOUT_MS)] });
});

after(async () => {
  if (w) await w.close();
  if (sb) await sb.cleanup();
});

function card(number, overrides = {}) {
  return { number, exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123', ...overrides };
}

function topUp(person, number, { amount = 2500, key = newKey(), cardOverrides = {}, headers } = {}) {
  const h = headers ?? (key === null ? {} : { 'Idempotency-Key': key });
  return w.srv.request('POST', '/api/v1/wallet/top-ups', {
    body: { amount_cents: amount, card: card(number, cardOverrides) }, token: person.token, headers: h,
  });
}

async function wallet(person) {
  const r = await w.get('/api/v1/wallet', person.token);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function statement(person, query = '') {
  const r = await w.get(`/api/v1/wallet/transactions${query}`, person.token);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function ledgerOk() {
  const r = await cli(['ledger', 'verify', '--db', w.dbPath]);
  assert.equal(r.code, 0, `kite ledger verify: exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /^ledger: ok/);
}

// What the processor recorded under the top-up's own key (a random one, read from the store).
async function processorCharge(topUpId) {
  const key = sqlite(w.dbPath, `SELECT processor_key FROM wallet_top_ups WHERE id = ${Number(topUpId)}`).trim();
  assert.match(key, /^kite-top-up-[0-9a-f]{64}$/);
  return sb.get(`/v1/charges?idempotency_key=${key}`);
}

test('a new contact has an empty wallet, and top-ups are offered with test cards', async () => {
  const c = await w.contact();
  const got = await wallet(c);
  assert.equal(got.kind, 'contact_balance');
  assert.equal(got.balance_cents, 0);
  assert.equal(got.held_cents, 0);
  assert.deepEqual(got.bundles, []);
  assert.deepEqual(got.top_ups, { available: true, test_cards: true, min_cents: 500, max_cents: 50000 });
  assert.deepEqual(await statement(c), { items: [], next_cursor: null });
});

test('approved card: 201, the balance rises, a statement line; a replay charges nothing more', async () => {
  const c = await w.contact();
  const key = newKey();
  const r = await topUp(c, CARDS.approved, { amount: 2500, key });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.state, 'approved');
  assert.equal(r.json.amount_cents, 2500);
  assert.deepEqual(r.json.card, { brand: 'visa', last4: '4242' });
  assert.equal(r.json.balance_after_cents, 2500);
  assert.equal(r.text.includes(digits(CARDS.approved)), false);
  assert.equal((await wallet(c)).balance_cents, 2500);

  const again = await topUp(c, CARDS.approved, { amount: 2500, key });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(again.json.id, r.json.id);
  assert.equal((await wallet(c)).balance_cents, 2500);

  const st = await statement(c);
  assert.equal(st.items.length, 1);
  const line = st.items[0];
  assert.equal(line.kind, 'top_up');
  assert.equal(line.amount_cents, 2500);
  assert.equal(line.balance_after_cents, 2500);
  assert.equal(line.memo, 'Card top-up (visa ending 4242)');
  assert.match(line.date, /^\d{4}-\d{2}-\d{2}T/);
  const charged = await processorCharge(r.json.id);
  assert.equal(charged.status, 200);
  assert.equal(charged.json.amount_cents, 2500);
  await ledgerOk();
});

test('declined cards answer 402 with the reason, and the balance does not move', async () => {
  const c = await w.contact();
  const cases = [
    [CARDS.declined, /declined this card/],
    [CARDS.insufficientFunds, /not enough money on this card/],
    [CARDS.expired, /says this card has expired/],
    ['5555 5555 5555 4444', /does not know this card/],
  ];
  for (const [number, sentence] of cases) {
    const key = newKey();
    const r = await topUp(c, number, { key });
    assertError(r, 402, 'card_declined', number);
    assert.match(r.json.error.message, sentence);
    assert.match(r.json.error.message, /nothing was charged/);
    const again = await topUp(c, number, { key });
    assertError(again, 402, 'card_declined', `${number} replay`);
  }
  assert.equal((await wallet(c)).balance_cents, 0);
  assert.deepEqual((await statement(c)).items, []);
  await ledgerOk();
});

test('a processor error answers 502 and charges nothing', async () => {
  const c = await w.contact();
  const r = await topUp(c, CARDS.processorError);
  assertError(r, 502, 'payment_failed');
  assert.match(r.json.error.message, /nothing was charged/);
  assert.equal((await wallet(c)).balance_cents, 0);
  await ledgerOk();
});

test('a slow card is pending (202); a retry with the same key settles it, credited exactly once', async () => {
  const c = await w.contact();
  const key = newKey('slow');
  const r = await topUp(c, CARDS.slow, { amount: 1500, key });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.state, 'pending');
  assert.match(r.json.message, /confirming this payment with the card company/);
  assert.equal((await wallet(c)).balance_cents, 0);

  const again = await topUp(c, CARDS.slow, { amount: 1500, key });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.state, 'approved');
  assert.equal(again.json.id, r.json.id);
  assert.equal((await wallet(c)).balance_cents, 1500);
  const third = await topUp(c, CARDS.slow, { amount: 1500, key });
  assert.equal(third.status, 200, third.text);
  assert.equal((await wallet(c)).balance_cents, 1500);
  assert.equal((await statement(c)).items.length, 1);
  await ledgerOk();
});

test('the sweeper settles a top-up left pending for more than a minute, once', async () => {
  const args = ['--processor', sb.baseUrl, '--processor-timeout-ms', String(TIMEOUT_MS)];
  const own = await World.start({ extraArgs: args });
  let later;
  try {
    const c = await own.contact();
    const r = await own.srv.request('POST', '/api/v1/wallet/top-ups', {
      body: { amount_cents: 1700, card: card(CARDS.slow) }, token: c.token, headers: { 'Idempotency-Key': newKey('sweep') },
    });
    assert.equal(r.status, 202, r.text);
    await own.srv.stopAndAssertClean();
    // Two minutes later by Kite's clock: the sweeper's first tick finds the top-up stale and asks the processor.
    later = await startServer({ dir: own.dir, extraArgs: [...args, '--test-clock-offset', '120'], env: { KITE_ALLOW_TEST_CLOCK: '1' } });
    let balance = 0;
    for (let i = 0; i < 100 && balance === 0; i++) {
      const got = await later.get('/api/v1/wallet', { token: c.token });
      assert.equal(got.status, 200, got.text);
      balance = got.json.balance_cents;
      if (balance === 0) await sleep(100);
    }
    assert.equal(balance, 1700);
    const st = await later.get('/api/v1/wallet/transactions', { token: c.token });
    assert.equal(st.json.items.length, 1);
    // The sweeper logs after its commit, so the balance can be seen a moment before the line is written.
    const reconciled = /sweeper: top-up \d+ reconciled: approved/;
    for (let i = 0; i < 100 && !reconciled.test(later.readLog()); i++) await sleep(100);
    assert.match(later.readLog(), reconciled);
    const v = await cli(['ledger', 'verify', '--db', own.dbPath]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  } finally {
    if (later) await later.cleanup({ keep: true });
    await own.close();
  }
});

test('five concurrent tries with one key charge once', async () => {
  const c = await w.contact();
  const key = newKey('burst');
  const answers = await Promise.all(Array.from({ length: 5 }, () => topUp(c, CARDS.approved, { amount: 1000, key })));
  for (const a of answers) {
    assert.ok([200, 201, 202].includes(a.status), a.text);
  }
  const ids = new Set(answers.map((a) => a.json.id));
  assert.equal(ids.size, 1);
  // Any try left pending settles on the next one.
  const last = await topUp(c, CARDS.approved, { amount: 1000, key });
  assert.equal(last.status, 200, last.text);
  assert.equal((await wallet(c)).balance_cents, 1000);
  assert.equal((await statement(c)).items.length, 1);
  const charged = await processorCharge(last.json.id);
  assert.equal(charged.status, 200);
  assert.equal(charged.json.amount_cents, 1000);
  await ledgerOk();
});

test('the same key with another amount or card answers 422; no key answers 422', async () => {
  const c = await w.contact();
  const key = newKey();
  assert.equal((await topUp(c, CARDS.approved, { amount: 1000, key })).status, 201);
  assertError(await topUp(c, CARDS.approved, { amount: 2000, key }), 422, 'idempotency_key_reused');
  assertError(await topUp(c, '5555 5555 5555 4444', { amount: 1000, key }), 422, 'idempotency_key_reused');
  const none = await topUp(c, CARDS.approved, { key: null });
  assertError(none, 422, 'invalid_field');
  assert.equal(none.json.error.field, 'Idempotency-Key');
  assert.equal((await wallet(c)).balance_cents, 1000);
  await ledgerOk();
});

test('amounts outside $5.00 to $500.00 and bad cards are refused before anything is charged', async () => {
  const c = await w.contact();
  for (const amount of [0, 499, 50001, -100]) {
    const r = await topUp(c, CARDS.approved, { amount });
    assertError(r, 422, 'invalid_field', `amount ${amount}`);
    assert.equal(r.json.error.field, 'amount_cents');
    assert.equal(r.json.error.message, 'A top-up must be from $5.00 to $500.00.');
  }
  assert.equal((await topUp(c, CARDS.approved, { amount: 500 })).status, 201);
  assert.equal((await topUp(c, CARDS.approved, { amount: 50000 })).status, 201);
  const luhn = await topUp(c, '4242 4242 4242 4241');
  assertError(luhn, 422, 'invalid_field');
  assert.equal(luhn.json.error.field, 'card_number');
  const old = await topUp(c, CARDS.approved, { cardOverrides: { exp_year: 2020 } });
  assertError(old, 422, 'invalid_field');
  assert.equal((await wallet(c)).balance_cents, 50500);
  await ledgerOk();
});

test('only contacts top up; residents read their trust account; staff and operators are refused', async () => {
  const op = await w.cliUser('operator');
  assertError(await w.get('/api/v1/wallet', op.token), 403, 'forbidden');
  assertError(await topUp(op, CARDS.approved), 403, 'forbidden');
  const fed = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  await w.putPolicy(op.token, fed, { profile: 'federal' });
  const r = await w.resident(op.token, fed, { number: bopNumber() });
  assertError(await topUp(r, CARDS.approved), 403, 'forbidden');
  const got = await wallet(r);
  assert.equal(got.kind, 'resident_trust');
  assert.equal(got.balance_cents, 0);
  assert.equal(got.top_ups.available, false);
  assert.deepEqual(await statement(r), { items: [], next_cursor: null });
  assertError(await w.get('/api/v1/wallet'), 401, 'unauthenticated');
});

test('the statement pages newest first, and the CSV has a header row and RFC 4180 quoting', async () => {
  const c = await w.contact();
  for (const amount of [500, 600, 700]) assert.equal((await topUp(c, CARDS.approved, { amount })).status, 201);
  const first = await statement(c, '?limit=2');
  assert.deepEqual(first.items.map((l) => l.amount_cents), [700, 600]);
  assert.deepEqual(first.items.map((l) => l.balance_after_cents), [1800, 1100]);
  assert.equal(typeof first.next_cursor, 'number');
  const second = await statement(c, `?limit=2&cursor=${first.next_cursor}`);
  assert.deepEqual(second.items.map((l) => l.amount_cents), [500]);
  assert.equal(second.next_cursor, null);
  assertError(await w.get('/api/v1/wallet/transactions?limit=0', c.token), 422, 'invalid_field');

  const csv = await w.get('/api/v1/wallet/transactions.csv', c.token);
  assert.equal(csv.status, 200);
  assert.match(csv.headers['content-type'], /^text\/csv/);
  assert.match(csv.headers['content-disposition'], /^attachment; filename="kite-statement\.csv"$/);
  const rows = csv.text.split('\r\n');
  assert.equal(rows.at(-1), '');
  assert.equal(rows[0], 'date,kind,memo,amount_cents,balance_after_cents');
  assert.equal(rows.length, 5);
  assert.match(rows[1], /^\d{4}-\d{2}-\d{2}T[0-9:.]+Z,top_up,"Card top-up \(visa ending 4242\)",700,1800$/);
});

test('without --processor, top-ups answer 503 and say payments are not available', async () => {
  const plain = await World.start({ processor: false });
  try {
    const c = await plain.contact();
    const r = await plain.srv.request('POST', '/api/v1/wallet/top-ups', {
      body: { amount_cents: 1000, card: card(CARDS.approved) }, token: c.token, headers: { 'Idempotency-Key': newKey() },
    });
    assertError(r, 503, 'payments_unavailable');
    assert.match(r.json.error.message, /^Payments are not available right now/);
    const got = await plain.get('/api/v1/wallet', c.token);
    assert.equal(got.json.top_ups.available, false);
  } finally {
    await plain.close();
  }
});

function buy(person, body, key = newKey('bundle')) {
  return w.srv.request('POST', '/api/v1/wallet/bundles', { body, token: person.token, headers: key === null ? {} : { 'Idempotency-Key': key } });
}

test('prices are shown before paying, and bundles are bought from the balance at the schedule price', async () => {
  const op = await w.cliUser('operator');
  const jp = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  await w.putPolicy(op.token, jp, { profile: 'jpay' });
  const cn = await facilityIdByName(w.srv, 'ALACHUA COUNTY JAIL');
  await w.putPolicy(op.token, cn, { profile: 'connectnetwork' });

  const prices = await w.get(`/api/v1/facilities/${jp}/prices`);
  assert.equal(prices.status, 200, prices.text);
  assert.equal(prices.json.schedule.model, 'stamps');
  assert.deepEqual(prices.json.bundles.stamps.map((b) => [b.count, b.price_cents]), [[5, 200], [10, 370], [20, 680], [50, 1500]]);
  assert.deepEqual(prices.json.bundles.credits, []);
  const off = await facilityIdByName(w.srv, 'GRENADA COUNTY JAIL');
  const none = await w.get(`/api/v1/facilities/${off}/prices`);
  assertError(none, 404, 'not_found');
  assert.match(none.json.error.message, /not on Kite/);

  const c = await w.contact();
  // No money yet: 402, nothing moves.
  const broke = await buy(c, { facility_id: jp, unit: 'stamps', count: 10 });
  assertError(broke, 402, 'insufficient_funds');
  assert.equal((await wallet(c)).bundles.length, 0);

  assert.equal((await topUp(c, CARDS.approved, { amount: 1000 })).status, 201);
  const key = newKey('bundle');
  const r = await buy(c, { facility_id: jp, unit: 'stamps', count: 10 }, key);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.price_cents, 370);
  assert.equal(r.json.balance_cents, 630);
  assert.equal(r.json.units_balance, 10);
  const again = await buy(c, { facility_id: jp, unit: 'stamps', count: 10 }, key);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assertError(await buy(c, { facility_id: jp, unit: 'stamps', count: 20 }, key), 422, 'idempotency_key_reused');

  const cr = await buy(c, { facility_id: cn, unit: 'credits', count: 10 });
  assert.equal(cr.status, 201, cr.text);
  assert.equal(cr.json.price_cents, 300);

  // Too dear now (330 left), a size not sold, a unit the facility does not use, no key.
  assertError(await buy(c, { facility_id: jp, unit: 'stamps', count: 50 }), 402, 'insufficient_funds');
  const size = await buy(c, { facility_id: jp, unit: 'stamps', count: 7 });
  assertError(size, 422, 'invalid_field');
  assert.equal(size.json.error.field, 'count');
  const unit = await buy(c, { facility_id: jp, unit: 'credits', count: 10 });
  assertError(unit, 422, 'invalid_field');
  assert.equal(unit.json.error.field, 'unit');
  assertError(await buy(c, { facility_id: jp, unit: 'stamps', count: 5 }, null), 422, 'invalid_field');

  const got = await wallet(c);
  assert.equal(got.balance_cents, 330);
  assert.deepEqual(got.bundles.map((b) => [b.facility_id, b.unit, b.balance]).sort((a, b) => a[0] - b[0]),
    [[jp, 'stamps', 10], [cn, 'credits', 10]].sort((a, b) => a[0] - b[0]));
  const st = await statement(c);
  assert.deepEqual(st.items.map((l) => [l.kind, l.amount_cents, l.balance_after_cents]),
    [['purchase', -300, 330], ['purchase', -370, 630], ['top_up', 1000, 1000]]);
  // A person reads the statement: the facility by its name, not its number.
  const names = await Promise.all([cn, jp].map(async (id) => (await w.get(`/api/v1/facilities/${id}`)).json.name));
  assert.deepEqual(st.items.slice(0, 2).map((l) => l.memo), [`10 credits for ${names[0]}`, `10 stamps for ${names[1]}`]);
  await ledgerOk();
});

test('the card number is in no log line and nowhere in the store', async () => {
  await ledgerOk();
  const output = w.srv.readLog() + fs.readFileSync(w.srv.outPath, 'utf8');
  for (const number of Object.values(CARDS)) {
    assert.equal(output.includes(digits(number)), false, `${number} in kite's output`);
    assert.equal(output.includes(number), false, `${number} in kite's output`);
  }
  for (const [file, bytes] of storeContents(w.dbPath)) {
    for (const number of Object.values(CARDS)) {
      assert.equal(bytes.includes(Buffer.from(digits(number))), false, `${number} in ${file}`);
      assert.equal(bytes.includes(Buffer.from(number)), false, `${number} in ${file}`);
    }
  }
});
