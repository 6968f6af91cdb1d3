// The paid requests, as one table that the money tests walk: the fault test
// (money-faults.test.mjs: fail each store step of each request in turn) and
// the crash test (crash.test.mjs: kill -9 the server while they run).
//
// A row says how to send one paid request and how to find its trace in the
// store afterwards. Today: a card top-up, a bundle purchase, a money
// transfer, a phone deposit. A new paid request (a priced message send, a
// call record) is one more row, and both tests pick it up.
//
//   name           what the request is, for messages
//   prepare(env)   once per server world, before any payer (policies, facilities)
//   funds          cents a payer needs on the balance to send it a few times (0: none)
//   ready(env, payer)  optional: what else a payer needs (a resident to send to,
//                  a phone account); payerFor(env, row) makes a payer with both
//   send(env, payer, key, headers)   the HTTP request, with Idempotency-Key: key
//   succeeded(res) the request did what it was asked (charged, credited)
//   walletDelta(env, payer)  what one success changes in the payer's wallet,
//                  in walletOf's terms ({cents: -370, 'stamps@12': 10})
//   recorded(env, payer, key)  its trace in the store: 'whole' (everything a
//                  success leaves), 'absent' (nothing), 'pending' (a top-up
//                  still waiting for the card company's word: nothing in the
//                  ledger yet), or 'half: ...' saying what is missing or twice
//   settled(env, payer, key)  optional: checks outside the ledger after a
//                  success (the card processor charged exactly once)
//   canBePending   a failure can leave it 'pending' by design (its retry or
//                  the sweeper finishes it): the fault test then fails every
//                  step of that retry too
//
// env: { world (lib/flows.mjs World; world.srv is the running server),
//        sandbox (the processor sandbox Server), facilities: {} }; the rows
// keep what they set up once (an operator, facilities by profile) there.
//
// SECURITY: money. Every check reads the store itself (sqlite3 on the file)
// as well as the API, so an answer cannot hide what the ledger holds.

import { assert, sqlite, freshAddress, session, uniqueEmail, strongPassword } from './kite.mjs';
import { CARDS } from './processor.mjs';
import { facilityIdByName, bopNumber } from './flows.mjs';

const q = (s) => `'${String(s).replace(/'/g, "''")}'`;

function sqlRows(env, query) {
  const out = sqlite(env.world.dbPath, `SELECT json_group_array(json(r)) FROM (${query})`).trim();
  return JSON.parse(out || '[]').map((r) => (typeof r === 'string' ? JSON.parse(r) : r));
}

export function card(number = CARDS.approved) {
  return { number, exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' };
}

export function topUp(env, payer, key, amount, headers = {}) {
  return env.world.srv.request('POST', '/api/v1/wallet/top-ups', {
    body: { amount_cents: amount, card: card() }, token: payer.token, headers: { 'Idempotency-Key': key, ...headers },
  });
}

/** The payer's wallet as the API shows it, flattened: {cents, held, 'stamps@FACILITY': n, ...}. */
export async function walletOf(env, payer) {
  const r = await env.world.srv.request('GET', '/api/v1/wallet', { token: payer.token });
  assert.equal(r.status, 200, r.text);
  const out = { cents: r.json.balance_cents, held: r.json.held_cents };
  for (const b of r.json.bundles) out[`${b.unit}@${b.facility_id}`] = b.balance;
  return out;
}

/** Every ledger account's balance, by id: the whole store's money, to compare before and after. */
export function ledgerBalances(env) {
  const out = {};
  for (const r of sqlRows(env, 'SELECT json_object(\'id\', id, \'balance\', balance) AS r FROM ledger_accounts')) {
    out[r.id] = r.balance;
  }
  return out;
}

/** What changed between two snapshots (of walletOf or ledgerBalances): {key: after - before}, zeros left out. */
export function diff(before, after) {
  const out = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const d = (after[k] ?? 0) - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/**
 * A new signed-in contact, registered from a loopback address of its own: a
 * test that needs a payer per try makes more accounts than one address may
 * make in an hour.
 */
export async function newContact(env) {
  const email = uniqueEmail('payer');
  const password = strongPassword();
  const res = await env.world.srv.request('POST', '/api/v1/accounts', {
    body: { email, password, full_name: 'Paying Contact', phone: '+1 555 0100' }, localAddress: freshAddress(),
  });
  assert.equal(res.status, 201, `registration failed: ${res.status} ${res.text}`);
  const s = await session(env.world.srv, email, password);
  return { token: s.token, account: s.account, email, password };
}

let funded = 0;
/** A new contact with `cents` on the balance (one approved top-up), for requests that spend. */
export async function fundedContact(env, cents) {
  const c = await newContact(env);
  const r = await topUp(env, c, `bb-paid-fund-${process.pid}-${++funded}`, cents);
  assert.equal(r.status, 201, r.text);
  return c;
}

/** A payer for row: a new contact with the row's funds and whatever else it needs. */
export async function payerFor(env, row) {
  const c = row.funds > 0 ? await fundedContact(env, row.funds) : await newContact(env);
  if (row.ready) await row.ready(env, c);
  return c;
}

async function operator(env) {
  env.operator ??= await env.world.cliUser('operator');
  return env.operator;
}

/** A facility on Kite with the given profile, set up once per world. */
async function facility(env, name, profile) {
  if (env.facilities[profile]) return env.facilities[profile];
  const op = await operator(env);
  const id = await facilityIdByName(env.world.srv, name);
  await env.world.putPolicy(op.token, id, { profile });
  env.facilities[profile] = id;
  return id;
}

const TOP_UP_CENTS = 2500;

const cardTopUp = {
  name: 'card top-up',
  canBePending: true,
  async prepare() {},
  funds: 0,
  send: (env, payer, key, headers) => topUp(env, payer, key, TOP_UP_CENTS, headers),
  succeeded: (res) => (res.status === 201 || res.status === 200) && res.json?.state === 'approved',
  walletDelta: () => ({ cents: TOP_UP_CENTS }),
  async recorded(env, payer, key) {
    const rows = sqlRows(env, `SELECT json_object('id', t.id, 'state', t.state, 'amount', t.amount_cents,
        'tx', t.transaction_id,
        'txs', (SELECT COUNT(*) FROM ledger_transactions lt WHERE lt.reference = 'top_up:' || t.id),
        'credited', (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e
                     JOIN ledger_transactions lt ON lt.id = e.transaction_id
                     JOIN ledger_accounts a ON a.id = e.account_id
                     WHERE lt.reference = 'top_up:' || t.id AND a.kind = 'contact_balance' AND a.account_id = t.account_id)) AS r
      FROM wallet_top_ups t WHERE t.account_id = ${Number(payer.account.id)} AND t.idempotency_key = ${q(key)}`);
    if (rows.length === 0) return 'absent';
    if (rows.length > 1) return `half: ${rows.length} top-ups for one key`;
    const t = rows[0];
    if (t.state === 'approved') {
      if (t.txs === 1 && t.tx !== null && t.credited === t.amount) return 'whole';
      return `half: approved top-up ${t.id} with ${t.txs} ledger transactions crediting ${t.credited} of ${t.amount}`;
    }
    if (t.txs !== 0 || t.tx !== null) return `half: ${t.state} top-up ${t.id} has a ledger transaction`;
    return t.state === 'pending' ? 'pending' : 'absent';
  },
  async settled(env, payer, key) {
    const [t] = sqlRows(env, `SELECT json_object('key', processor_key, 'amount', amount_cents) AS r FROM wallet_top_ups
      WHERE account_id = ${Number(payer.account.id)} AND idempotency_key = ${q(key)}`);
    assert.ok(t, `no top-up stored for ${key}`);
    const charge = await env.sandbox.get(`/v1/charges?idempotency_key=${t.key}`);
    assert.equal(charge.status, 200, `the processor has no charge for ${key}: ${charge.text}`);
    assert.equal(charge.json.amount_cents, t.amount);
  },
};

const BUNDLE = { unit: 'stamps', count: 10, price: 370 }; // the jpay profile's 10 stamps (wallet.test.mjs)

const bundlePurchase = {
  name: 'bundle purchase',
  async prepare(env) {
    await facility(env, 'AVENAL STATE PRISON', 'jpay');
  },
  funds: 1000,
  send: (env, payer, key, headers) => env.world.srv.request('POST', '/api/v1/wallet/bundles', {
    body: { facility_id: env.facilities.jpay, unit: BUNDLE.unit, count: BUNDLE.count },
    token: payer.token, headers: { 'Idempotency-Key': key, ...headers },
  }),
  succeeded: (res) => (res.status === 201 || res.status === 200) && res.json?.price_cents === BUNDLE.price,
  walletDelta: (env) => ({ cents: -BUNDLE.price, [`${BUNDLE.unit}@${env.facilities.jpay}`]: BUNDLE.count }),
  async recorded(env, payer, key) {
    const account = Number(payer.account.id);
    const rows = sqlRows(env, `SELECT json_object('id', lt.id,
        'entries', (SELECT COUNT(*) FROM ledger_entries e WHERE e.transaction_id = lt.id),
        'paid', (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
                 WHERE e.transaction_id = lt.id AND a.kind = 'contact_balance' AND a.account_id = ${account}),
        'units', (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
                  WHERE e.transaction_id = lt.id AND a.kind = ${q(BUNDLE.unit)} AND a.account_id = ${account}
                    AND a.facility_id = ${Number(env.facilities.jpay)})) AS r
      FROM ledger_transactions lt WHERE lt.reference = ${q(`bundle:${account}:${key}`)}`);
    if (rows.length === 0) return 'absent';
    const t = rows[0];
    if (t.entries === 4 && t.paid === -BUNDLE.price && t.units === BUNDLE.count) return 'whole';
    return `half: bundle transaction ${t.id} has ${t.entries} entries, paid ${t.paid}, ${t.units} ${BUNDLE.unit}`;
  },
};

/** The contact's own cents and one other account's entries in one ledger transaction, found by reference. */
function postingOf(env, payer, reference, other) {
  const account = Number(payer.account.id);
  return sqlRows(env, `SELECT json_object('id', lt.id,
      'entries', (SELECT COUNT(*) FROM ledger_entries e WHERE e.transaction_id = lt.id),
      'paid', (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
               WHERE e.transaction_id = lt.id AND a.kind = 'contact_balance' AND a.account_id = ${account}),
      'received', (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
                   WHERE e.transaction_id = lt.id AND ${other})) AS r
    FROM ledger_transactions lt WHERE lt.reference = ${q(reference)}`);
}

// A money transfer to a resident's trust account at a federal facility: $1.00 and the $3.50 fee
// of the first tier (money-transfers.test.mjs), small enough to stay under the monthly limit.
const TRANSFER = { amount: 100, fee: 350 };

const moneyTransfer = {
  name: 'money transfer',
  async prepare(env) {
    await facility(env, 'FCI ALICEVILLE', 'federal');
  },
  funds: 5000,
  async ready(env, payer) {
    const op = await operator(env);
    payer.transferTo = await env.world.addResident(op.token, env.facilities.federal, { number: bopNumber() });
  },
  send: (env, payer, key, headers) => env.world.srv.request('POST', '/api/v1/money-transfers', {
    body: {
      facility_id: payer.transferTo.facility_id, resident_number: payer.transferTo.number,
      resident_last_name: payer.transferTo.last_name, amount_cents: TRANSFER.amount,
    },
    token: payer.token, headers: { 'Idempotency-Key': key, ...headers },
  }),
  succeeded: (res) => (res.status === 201 || res.status === 200) && res.json?.state === 'completed' &&
    res.json?.total_cents === TRANSFER.amount + TRANSFER.fee,
  walletDelta: () => ({ cents: -(TRANSFER.amount + TRANSFER.fee) }),
  async recorded(env, payer, key) {
    const account = Number(payer.account.id);
    const resident = Number(payer.transferTo.resident.id);
    const rows = postingOf(env, payer, `money_transfer:${account}:${key}`,
      `a.kind = 'resident_trust' AND a.resident_id = ${resident}`);
    const stored = Number(sqlite(env.world.dbPath, `SELECT COUNT(*) FROM money_transfers
      WHERE sender_account_id = ${account} AND idempotency_key = ${q(key)}`).trim());
    if (rows.length === 0) return stored === 0 ? 'absent' : `half: ${stored} transfer rows without a posting`;
    const t = rows[0];
    if (stored === 1 && t.paid === -(TRANSFER.amount + TRANSFER.fee) && t.received === TRANSFER.amount) return 'whole';
    return `half: transfer posting ${t.id} paid ${t.paid}, the trust account got ${t.received}, ${stored} transfer rows`;
  },
};

let phoneNumbers = 0;
const DEPOSIT_CENTS = 500;

// A deposit into a prepaid phone account (no fee: the FCC bans deposit fees).
const phoneDeposit = {
  name: 'phone deposit',
  async prepare(env) {
    await facility(env, 'FCI ALICEVILLE', 'federal');
  },
  funds: 5000,
  async ready(env, payer) {
    phoneNumbers += 1;
    const line = String((process.pid * 31 + phoneNumbers * 7919) % 10000).padStart(4, '0');
    const r = await env.world.srv.request('POST', '/api/v1/phone-accounts', {
      body: { facility_id: env.facilities.federal, phone_number: `(628) 555-${line}` }, token: payer.token,
    });
    assert.equal(r.status, 201, `open a phone account: ${r.status} ${r.text}`);
    payer.phoneAccount = r.json.id;
  },
  send: (env, payer, key, headers) => env.world.srv.request('POST', `/api/v1/phone-accounts/${payer.phoneAccount}/deposits`, {
    body: { amount_cents: DEPOSIT_CENTS }, token: payer.token, headers: { 'Idempotency-Key': key, ...headers },
  }),
  succeeded: (res) => res.status === 201 || res.status === 200,
  walletDelta: () => ({ cents: -DEPOSIT_CENTS }),
  async recorded(env, payer, key) {
    const rows = postingOf(env, payer, `phone_deposit:${Number(payer.phoneAccount)}:${key}`,
      `a.kind = 'phone_account' AND a.account_id = ${Number(payer.account.id)}`);
    if (rows.length === 0) return 'absent';
    const t = rows[0];
    if (t.paid === -DEPOSIT_CENTS && t.received === DEPOSIT_CENTS) return 'whole';
    return `half: deposit posting ${t.id} paid ${t.paid}, the phone account got ${t.received}`;
  },
};

export const PAID_REQUESTS = [cardTopUp, bundlePurchase, moneyTransfer, phoneDeposit];
