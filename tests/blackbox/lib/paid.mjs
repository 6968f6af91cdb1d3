// The paid requests, as one table that the money tests walk: the fault test
// (money-faults.test.mjs: fail each store step of each request in turn) and
// the crash test (crash.test.mjs: kill -9 the server while they run).
//
// A row says how to send one paid request and how to find its trace in the
// store afterwards: a card top-up, a bundle purchase, a money transfer, a
// phone deposit, a priced message send (a stamp held), a call record (the
// facility's phone system, with its API key), a trust deposit (an operator
// pays into a resident's trust account) and a subscription purchase. A new
// paid request is one more row, and both tests pick it up.
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
//   balances(env, payer)  optional: the wallet the request moves when it is
//                  not (only) the payer's own (a resident's trust account, a
//                  phone account); balancesOf(env, row, payer) picks it or walletOf
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
// SECURITY: money. Every check reads the store itself (sqlite3 or psql)
// as well as the API, so an answer cannot hide what the ledger holds.

import { assert, sqlite, sqlJsonRows, SQL_JSON_OBJECT, freshAddress, session, uniqueEmail, strongPassword, verifyEmail } from './kite.mjs';
import { CARDS } from './processor.mjs';
import { facilityIdByName, bopNumber, anyNumber } from './flows.mjs';
import { pair } from './messaging.mjs';

const q = (s) => `'${String(s).replace(/'/g, "''")}'`;

function sqlRows(env, query) {
  return sqlJsonRows(env.world.dbPath, query);
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

/** What the row's request moves, as walletOf shows it: the row's own view, or the payer's wallet. */
export function balancesOf(env, row, payer) {
  return row.balances ? row.balances(env, payer) : walletOf(env, payer);
}

/** Every ledger account's balance, by id: the whole store's money, to compare before and after. */
export function ledgerBalances(env) {
  const out = {};
  for (const r of sqlRows(env, `SELECT ${SQL_JSON_OBJECT}('id', id, 'balance', balance) AS r FROM ledger_accounts`)) {
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
  await verifyEmail(env.world.srv.dbPath, email);
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
    const rows = sqlRows(env, `SELECT ${SQL_JSON_OBJECT}('id', t.id, 'state', t.state, 'amount', t.amount_cents,
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
    const [t] = sqlRows(env, `SELECT ${SQL_JSON_OBJECT}('key', processor_key, 'amount', amount_cents) AS r FROM wallet_top_ups
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
    const rows = sqlRows(env, `SELECT ${SQL_JSON_OBJECT}('id', lt.id,
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
  return sqlRows(env, `SELECT ${SQL_JSON_OBJECT}('id', lt.id,
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

/** The ledger transactions found by reference, each with its entry count and what the accounts `where` picks got. */
function postingsTo(env, reference, where) {
  return sqlRows(env, `SELECT ${SQL_JSON_OBJECT}('id', lt.id,
      'entries', (SELECT COUNT(*) FROM ledger_entries e WHERE e.transaction_id = lt.id),
      'got', (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
              WHERE e.transaction_id = lt.id AND ${where})) AS r
    FROM ledger_transactions lt WHERE lt.reference = ${q(reference)}`);
}

// A message to a resident at a jpay facility, paid with one of the contact's stamps: held when it
// is sent (captured when delivered). The subject carries the key, so that a message written
// without its key row (or twice) is found too.
const MESSAGE = { unit: 'stamps', amount: 1 };

const messageSend = {
  name: 'priced message send',
  async prepare(env) {
    const id = await facility(env, 'AVENAL STATE PRISON', 'jpay');
    // The crash test sends many messages a day from one contact: the day's limit is not what it tests.
    await env.world.putPolicy((await operator(env)).token, id, { profile: 'jpay', daily_send_limit: 10000 });
  },
  funds: 0, // pair() tops the contact up and buys its stamps
  async ready(env, payer) {
    const p = await pair(env.world, await operator(env), env.facilities.jpay, 'jpay', { contact: payer });
    payer.messageTo = p.contactId;
  },
  send: (env, payer, key, headers) => env.world.srv.request('POST', '/api/v1/messages', {
    body: { contact_id: payer.messageTo, subject: key, body: 'Paid for with a stamp, once.' },
    token: payer.token, headers: { 'Idempotency-Key': key, ...headers },
  }),
  succeeded: (res) => res.status === 202 && res.json?.hold?.unit === MESSAGE.unit && res.json?.hold?.amount === MESSAGE.amount,
  walletDelta: (env) => ({ [`${MESSAGE.unit}@${env.facilities.jpay}`]: -MESSAGE.amount }),
  async recorded(env, payer, key) {
    const account = Number(payer.account.id);
    const [m] = sqlRows(env, `SELECT ${SQL_JSON_OBJECT}(
        'keys', (SELECT COUNT(*) FROM idempotency_keys k WHERE k.account_id = ${account} AND k.key = ${q(key)}),
        'answer', (SELECT k.response FROM idempotency_keys k WHERE k.account_id = ${account} AND k.key = ${q(key)}),
        'messages', (SELECT COUNT(*) FROM messages WHERE sender_account_id = ${account} AND subject = ${q(key)}),
        'message', (SELECT MIN(id) FROM messages WHERE sender_account_id = ${account} AND subject = ${q(key)}),
        'holds', (SELECT COUNT(*) FROM ledger_holds h JOIN messages x ON x.id = h.subject_id AND h.subject_kind = 'message'
                  WHERE x.sender_account_id = ${account} AND x.subject = ${q(key)}),
        'hold', (SELECT ${SQL_JSON_OBJECT}('amount', h.amount, 'unit', h.unit, 'state', h.state,
                   'txs', (SELECT COUNT(*) FROM ledger_transactions t WHERE t.hold_id = h.id AND t.kind = 'hold'))
                 FROM ledger_holds h JOIN messages x ON x.id = h.subject_id AND h.subject_kind = 'message'
                 WHERE x.sender_account_id = ${account} AND x.subject = ${q(key)})) AS r`);
    if (m.keys === 0 && m.messages === 0 && m.holds === 0) return 'absent';
    const h = m.hold;
    if (m.keys === 1 && m.messages === 1 && m.holds === 1 && String(m.message) === m.answer && h.txs === 1 &&
        h.amount === MESSAGE.amount && h.unit === MESSAGE.unit && (h.state === 'held' || h.state === 'captured')) return 'whole';
    return `half: ${m.keys} key rows, ${m.messages} messages, ${m.holds} holds (${JSON.stringify(h)}) for one send`;
  },
};

// A call record from the facility's phone system, signed with an API key the facility admin made:
// one minute at the facility's audio rate, drawn from the contact's phone account. The call id
// is its Idempotency-Key. The deposit pays for well over a thousand calls, so that the crash
// test's contacts keep being billed rather than answered 402 (balance_empty).
let callNumbers = 0;
const CALL = { seconds: 60, deposit: 20000, startedAt: '2026-11-30T14:05:00Z' };

const callRecord = {
  name: 'call record',
  async prepare(env) {
    const id = await facility(env, 'AVENAL STATE PRISON', 'jpay');
    if (env.callKey) return;
    const op = await operator(env);
    const admin = await env.world.staff(op.token, id, 'facility_admin');
    const k = await env.world.srv.request('POST', `/api/v1/facilities/${id}/api-keys`, { token: admin.token });
    assert.equal(k.status, 201, `an API key: ${k.status} ${k.text}`);
    env.callKey = k.json.key;
    env.callResident = await env.world.addResident(op.token, id, { number: anyNumber('PC') });
  },
  funds: CALL.deposit + 500,
  async ready(env, payer) {
    callNumbers += 1;
    const line = String((process.pid * 17 + callNumbers * 7919) % 10000).padStart(4, '0');
    const open = await env.world.srv.request('POST', '/api/v1/phone-accounts', {
      body: { facility_id: env.facilities.jpay, phone_number: `(415) 555-${line}` }, token: payer.token,
    });
    assert.equal(open.status, 201, `open a phone account: ${open.status} ${open.text}`);
    const dep = await env.world.srv.request('POST', `/api/v1/phone-accounts/${open.json.id}/deposits`, {
      body: { amount_cents: CALL.deposit }, token: payer.token, headers: { 'Idempotency-Key': `bb-paid-call-${process.pid}-${callNumbers}` },
    });
    assert.equal(dep.status, 201, `a phone deposit: ${dep.status} ${dep.text}`);
    assert.ok(open.json.rate_cents_per_minute > 0, `no audio rate: ${open.text}`);
    payer.call = { account: open.json.id, number: open.json.phone_number, rate: open.json.rate_cents_per_minute };
  },
  send: (env, payer, key, headers) => env.world.srv.request('POST', `/api/v1/facilities/${env.facilities.jpay}/calls`, {
    body: {
      call_id: key, phone_number: payer.call.number, resident_number: env.callResident.number,
      started_at: CALL.startedAt, duration_seconds: CALL.seconds,
    },
    headers: { Authorization: `Bearer ${env.callKey}`, 'Idempotency-Key': key, ...headers },
  }),
  succeeded: (res) => (res.status === 201 || res.status === 200) && res.json?.outcome === 'billed' && res.json?.billed_minutes === 1,
  async balances(env, payer) {
    const r = await env.world.srv.request('GET', `/api/v1/phone-accounts/${payer.call.account}`, { token: payer.token });
    assert.equal(r.status, 200, r.text);
    return { ...(await walletOf(env, payer)), phone: r.json.balance_cents };
  },
  walletDelta: (env, payer) => ({ phone: -payer.call.rate }),
  async recorded(env, payer, key) {
    const calls = sqlRows(env, `SELECT ${SQL_JSON_OBJECT}('id', id, 'outcome', outcome, 'amount', amount_cents, 'tx', transaction_id) AS r
      FROM phone_calls WHERE facility_id = ${Number(env.facilities.jpay)} AND call_id = ${q(key)}`);
    const posts = postingsTo(env, `call:${Number(env.facilities.jpay)}:${key}`,
      `a.kind = 'phone_account' AND a.account_id = ${Number(payer.account.id)}`);
    if (calls.length === 0 && posts.length === 0) return 'absent';
    const [c] = calls;
    const [t] = posts;
    // Recorded but not billed (the balance ran out: answered 402): nothing moved, as it should.
    if (calls.length === 1 && posts.length === 0 && c.outcome !== 'billed' && c.amount === 0 && c.tx === null) return 'absent';
    if (calls.length === 1 && posts.length === 1 && c.outcome === 'billed' && c.amount === payer.call.rate &&
        c.tx === t.id && t.entries === 2 && t.got === -c.amount) return 'whole';
    return `half: ${calls.length} call rows (${JSON.stringify(c)}), ${posts.length} postings (${JSON.stringify(t)})`;
  },
};

// A trust deposit by an operator into a resident's trust account (the resident's wallet shows it).
const TRUST_CENTS = 700;

const trustDeposit = {
  name: 'trust deposit',
  async prepare(env) {
    await facility(env, 'AVENAL STATE PRISON', 'jpay');
  },
  funds: 0,
  async ready(env, payer) {
    const op = await operator(env);
    payer.trustTo = await env.world.resident(op.token, env.facilities.jpay, { number: anyNumber('TD') });
  },
  send: async (env, payer, key, headers) => env.world.srv.request('POST', `/api/v1/residents/${payer.trustTo.resident.id}/trust-deposits`, {
    body: { amount_cents: TRUST_CENTS, memo: 'Wages, kitchen' }, token: (await operator(env)).token,
    headers: { 'Idempotency-Key': key, ...headers },
  }),
  succeeded: (res) => (res.status === 201 || res.status === 200) && res.json?.amount_cents === TRUST_CENTS,
  balances: (env, payer) => walletOf(env, payer.trustTo),
  walletDelta: () => ({ cents: TRUST_CENTS }),
  async recorded(env, payer, key) {
    const op = await operator(env);
    const rows = postingsTo(env, `trust_deposit:${Number(op.account.id)}:${key}`,
      `a.kind = 'resident_trust' AND a.resident_id = ${Number(payer.trustTo.resident.id)}`);
    if (rows.length === 0) return 'absent';
    const t = rows[0];
    if (rows.length === 1 && t.entries === 2 && t.got === TRUST_CENTS) return 'whole';
    return `half: trust deposit posting ${t.id} has ${t.entries} entries, the trust account got ${t.got}`;
  },
};

// A month of messages at a facility priced by subscription, from the contact's balance.
const SUBSCRIPTION_CENTS = 499;

const subscriptionPurchase = {
  name: 'subscription purchase',
  async prepare(env) {
    if (env.facilities.subscription) return;
    const op = await operator(env);
    const id = await facilityIdByName(env.world.srv, 'CALIFORNIA STATE PRISON, CORCORAN (COR)');
    await env.world.putPolicy(op.token, id, { profile: 'jpay', pricing: 'subscription' });
    const priced = await env.world.put(`/api/v1/facilities/${id}/prices`, { subscription_cents_per_month: SUBSCRIPTION_CENTS }, op.token);
    assert.equal(priced.status, 200, `PUT prices: ${priced.status} ${priced.text}`);
    env.facilities.subscription = id;
  },
  funds: 1000,
  send: (env, payer, key, headers) => env.world.srv.request('POST', '/api/v1/wallet/subscriptions', {
    body: { facility_id: env.facilities.subscription, months: 1 }, token: payer.token, headers: { 'Idempotency-Key': key, ...headers },
  }),
  succeeded: (res) => (res.status === 201 || res.status === 200) && res.json?.price_cents === SUBSCRIPTION_CENTS,
  walletDelta: () => ({ cents: -SUBSCRIPTION_CENTS }),
  async recorded(env, payer, key) {
    const account = Number(payer.account.id);
    const subs = sqlRows(env, `SELECT ${SQL_JSON_OBJECT}('id', id, 'price', price_cents, 'tx', transaction_id) AS r
      FROM wallet_subscriptions WHERE account_id = ${account} AND idempotency_key = ${q(key)}`);
    const rows = postingOf(env, payer, `subscription:${account}:${key}`,
      `a.kind = 'provider_revenue' AND a.facility_id = ${Number(env.facilities.subscription)}`);
    if (subs.length === 0 && rows.length === 0) return 'absent';
    const [s] = subs;
    const [t] = rows;
    if (subs.length === 1 && rows.length === 1 && s.tx === t.id && s.price === SUBSCRIPTION_CENTS &&
        t.paid === -SUBSCRIPTION_CENTS && t.received === SUBSCRIPTION_CENTS) return 'whole';
    return `half: ${subs.length} subscriptions (${JSON.stringify(s)}), ${rows.length} postings (${JSON.stringify(t)})`;
  },
};

export const PAID_REQUESTS = [
  cardTopUp, bundlePurchase, moneyTransfer, phoneDeposit, messageSend, callRecord, trustDeposit, subscriptionPurchase,
];
