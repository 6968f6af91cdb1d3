// Prepaid phone accounts and the call records a facility's phone system posts.
//
// A contact tops up (sandbox processor), opens a phone account for a facility
// and a number, deposits into it (no fee: the FCC bans deposit fees), and the
// facility's phone system, signed with the facility's API key, posts calls:
// rated per started minute at the facility's audio rate (a prison: the FCC cap
// of 11 cents), drawn from the phone account to the facility's provider
// revenue; replayed → charged once; the same id with another body → 409; a
// call longer than the balance → cut at the balance; no key → 401, another
// facility's key → 403, a revoked key → 401; a call to a number with no
// account → recorded, not billed, 402. The refund returns the whole balance,
// and after 180 days without activity (the server restarted with the test
// clock 181 days ahead) the balance is still there and refundable in full.
// After every scenario `kite ledger verify` passes; `kite audit verify` at the end.

import test, { after, before } from 'node:test';
import {
  World, assert, facilityIdByName, bopNumber, DAY,
} from './lib/flows.mjs';
import { cli, storeContents } from './lib/kite.mjs';
import { CARDS, startSandbox } from './lib/processor.mjs';

let sb;
let w;
let op;
let fed;      // FCI ALICEVILLE: a federal prison, audio capped at 11 cents a minute
let other;    // another facility on Kite, with its own key
let resident;
let keys = 0;
const newKey = (what) => `bb-phone-${what}-${process.pid}-${++keys}`;
let numbers = 0;
// A fresh US number, typed the way people type them.
const usNumber = () => {
  numbers += 1;
  const line = String((process.pid * 31 + numbers * 7919) % 10000).padStart(4, '0');
  return { typed: `(415) 555-${line}`, e164: `+1415555${line}` };
};
const RATE = 11;

before(async () => {
  sb = await startSandbox();
  w = await World.start({ extraArgs: ['--processor', sb.baseUrl] });
  op = await w.operator();
  fed = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  await w.putPolicy(op.token, fed, { profile: 'federal' });
  other = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  await w.putPolicy(op.token, other, { profile: 'jpay' });
  resident = await w.addResident(op.token, fed, { number: bopNumber() });
});

after(async () => {
  if (w) await w.close();
  if (sb) await sb.cleanup();
});

async function ledgerOk() {
  const r = await cli(['ledger', 'verify', '--db', w.dbPath]);
  assert.equal(r.code, 0, `kite ledger verify: exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /^ledger: ok/);
}

async function fundedContact(cents = 2500) {
  const c = await w.contact();
  const r = await w.srv.request('POST', '/api/v1/wallet/top-ups', {
    body: { amount_cents: cents, card: { number: CARDS.approved, exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' } },
    token: c.token, headers: { 'Idempotency-Key': newKey('top-up') },
  });
  assert.equal(r.status, 201, r.text);
  return c;
}

async function balance(c) {
  const r = await w.get('/api/v1/wallet', c.token);
  assert.equal(r.status, 200, r.text);
  return r.json.balance_cents;
}

async function openAccount(c, facilityId = fed, number = usNumber()) {
  const r = await w.post('/api/v1/phone-accounts', { facility_id: facilityId, phone_number: number.typed }, c.token);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.phone_number, number.e164);
  return r.json;
}

function deposit(c, accountId, amount, key = newKey('deposit')) {
  return w.srv.request('POST', `/api/v1/phone-accounts/${accountId}/deposits`, {
    body: { amount_cents: amount }, token: c.token, headers: { 'Idempotency-Key': key },
  });
}

function refund(c, accountId, key = newKey('refund')) {
  return w.srv.request('POST', `/api/v1/phone-accounts/${accountId}/refunds`, {
    token: c.token, headers: { 'Idempotency-Key': key },
  });
}

async function apiKey(facilityId, token = op.token) {
  const r = await w.post(`/api/v1/facilities/${facilityId}/api-keys`, undefined, token);
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.key, /^kite_[0-9a-f]{64}$/);
  assert.equal(r.json.prefix, r.json.key.slice(0, 13));
  return r.json;
}

let callIds = 0;
function callBody(number, seconds, overrides = {}) {
  callIds += 1;
  return {
    call_id: `call-${process.pid}-${callIds}`, phone_number: number, resident_number: resident.number,
    started_at: '2026-11-30T14:05:00Z', duration_seconds: seconds, ...overrides,
  };
}

function postCall(facilityId, key, body, headers = {}) {
  const h = { 'Idempotency-Key': body.call_id, ...headers };
  if (key !== null) h.Authorization = `Bearer ${key}`;
  return w.srv.request('POST', `/api/v1/facilities/${facilityId}/calls`, { body, headers: h });
}

async function phoneAccount(c, id) {
  const r = await w.get(`/api/v1/phone-accounts/${id}`, c.token);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

test('open an account, deposit with no fee; a replayed deposit moves nothing more', async () => {
  const c = await fundedContact(2500);
  const acct = await openAccount(c);
  assert.equal(acct.balance_cents, 0);
  assert.equal(acct.deposit_fee_cents, 0);
  assert.equal(acct.rate_cents_per_minute, RATE);

  const key = newKey('deposit');
  const d = await deposit(c, acct.id, 1000, key);
  assert.equal(d.status, 201, d.text);
  assert.equal(d.json.amount_cents, 1000);
  assert.equal(d.json.fee_cents, 0);
  assert.equal(d.json.phone_balance_cents, 1000);
  assert.equal(d.json.balance_cents, 1500);
  assert.match(d.json.message, /No fee/);
  assert.equal(await balance(c), 1500, 'exactly the deposit left the Kite balance: no fee');

  const again = await deposit(c, acct.id, 1000, key);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(again.json.transaction_id, d.json.transaction_id);
  assert.equal(await balance(c), 1500);
  assert.equal((await phoneAccount(c, acct.id)).balance_cents, 1000);

  const other = await deposit(c, acct.id, 500, key);
  assert.equal(other.status, 422, other.text);
  assert.equal(other.json.error.code, 'idempotency_key_reused');

  const tooMuch = await deposit(c, acct.id, 5000);
  assert.equal(tooMuch.status, 402, tooMuch.text);
  assert.equal(await balance(c), 1500);

  const noKey = await w.post(`/api/v1/phone-accounts/${acct.id}/deposits`, { amount_cents: 100 }, c.token);
  assert.equal(noKey.status, 422);

  const list = await w.get('/api/v1/phone-accounts', c.token);
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.items.length, 1);
  assert.equal(list.json.items[0].balance_cents, 1000);
  assert.match(list.json.deposit_note, /FCC/);
  await ledgerOk();
});

test('one account per facility and number; a second contact asking for the number gets 409', async () => {
  const a = await w.contact();
  const b = await w.contact();
  const n = usNumber();
  await openAccount(a, fed, n);
  const r = await w.post('/api/v1/phone-accounts', { facility_id: fed, phone_number: `+1${n.e164.slice(2)}` }, b.token);
  assert.equal(r.status, 409, r.text);
  assert.equal(r.json.error.field, 'phone_number');
  assert.match(r.json.error.message, /already has a phone account for this number/);
  const twice = await w.post('/api/v1/phone-accounts', { facility_id: fed, phone_number: n.typed }, a.token);
  assert.equal(twice.status, 409, twice.text);
  assert.equal(twice.json.error.field, 'facility_id');
  assert.match(twice.json.error.message, /You already have a phone account at this facility/);
  const second = await w.post('/api/v1/phone-accounts', { facility_id: fed, phone_number: usNumber().typed }, a.token);
  assert.equal(second.status, 409, second.text);
  assert.equal(second.json.error.field, 'facility_id');
  const offKite = await w.post('/api/v1/phone-accounts', { facility_id: await facilityIdByName(w.srv, 'GRENADA COUNTY JAIL'), phone_number: usNumber().typed }, b.token);
  assert.equal(offKite.status, 404, offKite.text);
  const bad = await w.post('/api/v1/phone-accounts', { facility_id: fed, phone_number: '555-12' }, b.token);
  assert.equal(bad.status, 422, bad.text);
  assert.equal(bad.json.error.field, 'phone_number');
  // Someone else's account is not found.
  const mine = (await w.get('/api/v1/phone-accounts', a.token)).json.items[0];
  assert.equal((await w.get(`/api/v1/phone-accounts/${mine.id}`, b.token)).status, 404);
  assert.equal((await deposit(b, mine.id, 100)).status, 404);
});

test('a call is rated per started minute and charged once; replay same answer; other body 409', async () => {
  const c = await fundedContact(2500);
  const n = usNumber();
  const acct = await openAccount(c, fed, n);
  assert.equal((await deposit(c, acct.id, 1000)).status, 201);
  const key = await apiKey(fed);

  const body = callBody(n.e164, 61); // 61 s = 2 started minutes
  const r = await postCall(fed, key.key, body);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.billed_minutes, 2);
  assert.equal(r.json.amount_cents, 2 * RATE);
  assert.equal(r.json.cut_at_balance, false);
  assert.equal(r.json.outcome, 'billed');
  assert.equal(r.json.duration_seconds, 61);
  assert.equal(r.json.billed_seconds, 61);
  assert.equal((await phoneAccount(c, acct.id)).balance_cents, 1000 - 2 * RATE);

  const again = await postCall(fed, key.key, body);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.deepEqual(again.json, r.json);
  assert.equal((await phoneAccount(c, acct.id)).balance_cents, 1000 - 2 * RATE, 'charged once');

  const changed = await postCall(fed, key.key, { ...body, duration_seconds: 300 });
  assert.equal(changed.status, 409, changed.text);
  assert.equal(changed.json.error.field, 'call_id');
  assert.equal((await phoneAccount(c, acct.id)).balance_cents, 1000 - 2 * RATE);

  const exact = await postCall(fed, key.key, callBody(n.typed, 60)); // 60 s = 1 minute, a typed number matches
  assert.equal(exact.status, 201, exact.text);
  assert.equal(exact.json.billed_minutes, 1);
  const zero = await postCall(fed, key.key, callBody(n.e164, 0));
  assert.equal(zero.status, 201, zero.text);
  assert.equal(zero.json.amount_cents, 0);

  const page = await phoneAccount(c, acct.id);
  assert.equal(page.balance_cents, 1000 - 3 * RATE);
  assert.deepEqual(page.calls.items.map((x) => x.billed_minutes), [0, 1, 2], 'newest first');
  const paged = await w.get(`/api/v1/phone-accounts/${acct.id}?limit=2`, c.token);
  assert.equal(paged.json.calls.items.length, 2);
  assert.ok(paged.json.calls.next_cursor);
  const rest = await w.get(`/api/v1/phone-accounts/${acct.id}?limit=2&cursor=${paged.json.calls.next_cursor}`, c.token);
  assert.equal(rest.json.calls.items.length, 1);
  assert.equal(rest.json.calls.next_cursor, null);

  const listed = await w.get(`/api/v1/facilities/${fed}/api-keys`, op.token);
  const k = listed.json.items.find((x) => x.id === key.id);
  assert.ok(k.last_used_at, 'the key records its last use');
  assert.equal(k.key, undefined, 'the key itself is never listed');
  await ledgerOk();
});

test('a call longer than the balance is cut at the balance', async () => {
  const c = await fundedContact(2500);
  const n = usNumber();
  const acct = await openAccount(c, fed, n);
  assert.equal((await deposit(c, acct.id, 100)).status, 201); // $1.00 pays 9 minutes at 11 cents (99 cents)
  const key = await apiKey(fed);
  const r = await postCall(fed, key.key, callBody(n.e164, 20 * 60));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.cut_at_balance, true);
  assert.equal(r.json.billed_minutes, 9);
  assert.equal(r.json.billed_seconds, 9 * 60);
  assert.equal(r.json.duration_seconds, 20 * 60);
  assert.equal(r.json.amount_cents, 99);
  assert.equal((await phoneAccount(c, acct.id)).balance_cents, 1);

  const emptyBody = callBody(n.e164, 30);
  const empty = await postCall(fed, key.key, emptyBody);
  assert.equal(empty.status, 402, empty.text);
  assert.equal(empty.json.error.reason, 'balance_empty');
  assert.equal(empty.json.call.billed, false);
  assert.equal(empty.json.call.amount_cents, 0);
  const replay = await postCall(fed, key.key, emptyBody);
  assert.equal(replay.status, 402, 'a replay gets the same answer');
  assert.deepEqual(replay.json.call, empty.json.call);
  assert.equal((await phoneAccount(c, acct.id)).balance_cents, 1);

  const nobody = await postCall(fed, key.key, callBody('+14155550000', 90));
  assert.equal(nobody.status, 402, nobody.text);
  assert.equal(nobody.json.error.reason, 'no_account');
  assert.equal(nobody.json.error.code, 'insufficient_funds');
  await ledgerOk();
});

test('concurrent calls on a balance that pays for 9 minutes: exactly 9 billed, never below zero; concurrent replays charge once', async () => {
  const c = await fundedContact(2500);
  const n = usNumber();
  const acct = await openAccount(c, fed, n);
  assert.equal((await deposit(c, acct.id, 100)).status, 201);
  const key = await apiKey(fed);
  const answers = await Promise.all(Array.from({ length: 20 }, () => postCall(fed, key.key, callBody(n.e164, 60))));
  const billed = answers.filter((r) => r.status === 201);
  const refused = answers.filter((r) => r.status === 402);
  assert.equal(billed.length, 9, answers.map((r) => r.status).join(','));
  assert.equal(refused.length, 11);
  assert.ok(refused.every((r) => r.json.error.reason === 'balance_empty'));
  assert.equal((await phoneAccount(c, acct.id)).balance_cents, 1);

  const c2 = await fundedContact(2500);
  const n2 = usNumber();
  const acct2 = await openAccount(c2, fed, n2);
  assert.equal((await deposit(c2, acct2.id, 500)).status, 201);
  const body = callBody(n2.e164, 150);
  const same = await Promise.all(Array.from({ length: 6 }, () => postCall(fed, key.key, body)));
  assert.deepEqual(same.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 201]);
  assert.ok(same.every((r) => r.json.id === same[0].json.id));
  assert.equal((await phoneAccount(c2, acct2.id)).balance_cents, 500 - 3 * RATE, 'charged once');
  assert.equal(w.sql(`SELECT COUNT(*) FROM ledger_transactions WHERE reference = 'call:${fed}:${body.call_id}'`), '1');
  await ledgerOk();
});

test('keys: no key 401, unknown 401, another facility 403, revoked 401; resident not on roster 422', async () => {
  const n = usNumber();
  const mine = await apiKey(fed);
  const theirs = await apiKey(other);
  const none = await postCall(fed, null, callBody(n.e164, 60));
  assert.equal(none.status, 401, none.text);
  assert.match(none.json.error.message, /API key/);
  const unknown = await postCall(fed, `kite_${'0'.repeat(64)}`, callBody(n.e164, 60));
  assert.equal(unknown.status, 401);
  const foreign = await postCall(fed, theirs.key, callBody(n.e164, 60));
  assert.equal(foreign.status, 403, foreign.text);
  const c = await w.contact();
  const session = await postCall(fed, c.token, callBody(n.e164, 60));
  assert.equal(session.status, 401, 'a session token is not an API key');
  const stranger = await postCall(fed, mine.key, callBody(n.e164, 60, { resident_number: '99999-999' }));
  assert.equal(stranger.status, 422, stranger.text);
  assert.equal(stranger.json.error.field, 'resident_number');
  const mismatch = await postCall(fed, mine.key, callBody(n.e164, 60), { 'Idempotency-Key': 'another-id' });
  assert.equal(mismatch.status, 422);
  assert.equal(mismatch.json.error.field, 'call_id');

  // Only the facility's admin (or an operator) manages its keys.
  const admin = await w.staff(op.token, fed, 'facility_admin');
  const made = await apiKey(fed, admin.token);
  assert.equal((await w.post(`/api/v1/facilities/${other}/api-keys`, undefined, admin.token)).status, 404);
  assert.equal((await w.post(`/api/v1/facilities/${fed}/api-keys`, undefined, c.token)).status, 403);
  const del = await w.del(`/api/v1/facilities/${fed}/api-keys/${made.id}`, admin.token);
  assert.equal(del.status, 200, del.text);
  assert.equal(del.json.active, false);
  const revoked = await postCall(fed, made.key, callBody(n.e164, 60));
  assert.equal(revoked.status, 401, revoked.text);
  const rows = w.auditRows("action LIKE 'phone.api_key%'");
  assert.ok(rows.some((x) => x.action === 'phone.api_key_revoke' && x.target === `facility_api_key:${made.id}`));
  // Only a hash is kept: the key's text is nowhere in the store.
  for (const [what, bytes] of storeContents(w.dbPath)) {
    assert.equal(bytes.includes(made.key.slice(13)), false, `${what} holds the key`);
  }
});

test('refund returns the whole unused balance to the Kite balance; replay moves nothing more', async () => {
  const c = await fundedContact(2000);
  const acct = await openAccount(c);
  assert.equal((await deposit(c, acct.id, 750)).status, 201);
  assert.equal(await balance(c), 1250);
  const key = newKey('refund');
  const r = await refund(c, acct.id, key);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.amount_cents, 750);
  assert.equal(r.json.fee_cents, 0);
  assert.equal(r.json.phone_balance_cents, 0);
  assert.equal(r.json.balance_cents, 2000);
  const again = await refund(c, acct.id, key);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.amount_cents, 750);
  assert.equal(await balance(c), 2000);
  const nothing = await refund(c, acct.id);
  assert.equal(nothing.status, 409, nothing.text);
  await ledgerOk();
});

test('after 180 days without activity the balance is untouched and refundable in full', async () => {
  const c = await fundedContact(3000);
  const acct = await openAccount(c);
  assert.equal((await deposit(c, acct.id, 1234)).status, 201);
  await w.restart({ clockOffset: 181 * DAY });
  await w.signInAgain(c);
  const later = await phoneAccount(c, acct.id);
  assert.equal(later.balance_cents, 1234, 'nothing forfeits');
  const r = await refund(c, acct.id);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.amount_cents, 1234);
  assert.equal(await balance(c), 3000);
  await ledgerOk();
  await w.auditOk();
});
