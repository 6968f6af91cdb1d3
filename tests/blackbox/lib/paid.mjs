// The paid requests, as one table that the money tests walk: the fault test
// (money-faults.test.mjs: fail each store step of each request in turn) and
// the crash test (crash.test.mjs: kill -9 the server while they run).
//
// A row says how to send one paid request and how to find its trace in the
// store afterwards; a new paid request (a priced message, a transfer, a
// phone deposit, a call record) is one more row, and both tests pick it up.
//
//   name           what the request is, for messages
//   prepare(env)   once per server world, before any payer (policies, facilities)
//   payer(env)     a contact able to send this request once (funded if it spends)
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
//        sandbox (the processor sandbox Server), facilities: {} }.
//
// SECURITY: money. Every check reads the store itself (sqlite3 on the file)
// as well as the API, so an answer cannot hide what the ledger holds.

import { assert, sqlite, freshAddress, session, uniqueEmail, strongPassword } from './kite.mjs';
import { CARDS } from './processor.mjs';
import { facilityIdByName } from './flows.mjs';

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

const TOP_UP_CENTS = 2500;

const cardTopUp = {
  name: 'card top-up',
  canBePending: true,
  async prepare() {},
  payer: (env) => newContact(env),
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
    if (env.facilities.jpay) return;
    const op = await env.world.cliUser('operator');
    env.facilities.jpay = await facilityIdByName(env.world.srv, 'AVENAL STATE PRISON');
    await env.world.putPolicy(op.token, env.facilities.jpay, { profile: 'jpay' });
  },
  payer: (env) => fundedContact(env, 1000),
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

export const PAID_REQUESTS = [cardTopUp, bundlePurchase];
