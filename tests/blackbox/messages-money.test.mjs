// Messages are paid for: the price is quoted before sending, held at submit in the
// send's own transaction, captured when the message is delivered and released when
// it is not (rejected, the resident released). Stamps (jpay), credits
// (connectnetwork), cents from a resident's trust account, and free federal
// messages; 50 concurrent sends racing for the last stamps; a price that changed
// since it was shown (409); an idempotent replay that holds once; trust deposits
// by the facility. `kite ledger verify` passes on the store at the end.
//
// SECURITY: money. Every assertion reads the balances back from the server; nothing
// here trusts what the client sent.
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, onPlatform, setPolicy, pair, post, send, getMsg, decide, quote, REJECT_REASONS,
  anyNumber, withAccount, describeRes,
} from './lib/messaging.mjs';
import { cli, sqlJsonArray, sqlJsonObject } from './lib/kite.mjs';

let w;
let op;
let J; // jpay: stamps, review all
let J2; // jpay whose page size the test changes (409)
let CN; // connectnetwork: credits, review all
let FED; // federal: free messages
let reviewer;
let keys = 0;
const key = (what) => `bb-money-${what}-${process.pid}-${++keys}`;

before(async () => {
  w = await World.start();
  op = await w.operator();
  J = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay' });
  J2 = await onPlatform(w, op, 'CALIFORNIA STATE PRISON, SOLANO (SOL)', { profile: 'jpay' });
  CN = await onPlatform(w, op, 'ANDERSON COUNTY JAIL', { profile: 'connectnetwork' });
  FED = await onPlatform(w, op, 'FCI ALICEVILLE', { profile: 'federal' });
  reviewer = await w.staff(op.token, J, 'reviewer');
});

after(async () => {
  if (w) {
    // Whatever the tests did, the ledger is whole and every hold agrees with its message.
    const r = await cli(['ledger', 'verify', '--db', w.dbPath]);
    assert.equal(r.code, 0, `kite ledger verify: exit ${r.code}\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^ledger: ok/);
    await w.close();
  }
});

async function wallet(person) {
  const r = await w.get('/api/v1/wallet', person.token);
  assert.equal(r.status, 200, describeRes(r));
  return r.json;
}

/** The person's stamps or credits at a facility (0 when they have none). */
async function units(person, facilityId, unit) {
  const b = (await wallet(person)).bundles.find((x) => x.facility_id === facilityId && x.unit === unit);
  return b ? b.balance : 0;
}

async function ledgerOk() {
  const r = await cli(['ledger', 'verify', '--db', w.dbPath]);
  assert.equal(r.code, 0, `kite ledger verify: exit ${r.code}\n${r.stdout}${r.stderr}`);
}

test('the quote is the price sent: pages, a prepaid reply stamp, and nothing written by quoting', async () => {
  const p = await pair(w, op, J, 'jpay');
  const body = 'x'.repeat(2501); // two pages of 2,500 characters
  const before = await units(p.contact, J, 'stamps');
  const q = await quote(w, p.contact, { contact_id: p.contactId, subject: 'Two pages', body, with_reply_stamp: true });
  assert.deepEqual(
    [q.unit, q.amount, q.chars, q.pages, q.text_amount, q.reply_amount, q.photo_amount, q.balance, q.enough],
    ['stamps', 3, 2501, 2, 2, 1, 0, before, true]);
  assert.equal(q.price_cents, 3 * 45, 'the cents value is the stamps at their full unit price');
  assert.equal(await units(p.contact, J, 'stamps'), before, 'a quote holds nothing');
  const res = await post(w, p.contact, {
    contact_id: p.contactId, subject: 'Two pages', body, with_reply_stamp: true,
    expected_amount: q.amount, expected_unit: q.unit,
  });
  assert.equal(res.status, 202, describeRes(res));
  assert.equal(res.json.price_cents, q.price_cents);
  assert.deepEqual(res.json.price, { unit: 'stamps', amount: 3 });
  assert.deepEqual([res.json.hold.state, res.json.hold.unit, res.json.hold.amount], ['held', 'stamps', 3]);
  assert.equal(await units(p.contact, J, 'stamps'), before - 3);
  // The recipient never sees the sender's money.
  await decide(w, reviewer, res.json.id, 'approve');
  const seen = await getMsg(w, p.resident, res.json.id);
  assert.equal(seen.hold, undefined);
  assert.equal(seen.price, undefined);
});

test('50 concurrent sends on stamps that pay for exactly 10: ten 202, forty 402, none left, the ledger whole', async () => {
  const r = await withAccount(w, await w.resident(op.token, J, { number: anyNumber('RC') }));
  const c = await w.contact({ full_name: 'Rae Race' });
  const contactId = (await w.connectByRequest(r, c)).id;
  await w.topUp(c, 500);
  await w.buyBundle(c, J, 'stamps', 10);
  assert.equal(await units(c, J, 'stamps'), 10);
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    post(w, c, { contact_id: contactId, subject: `race ${i}`, body: `One stamp each, number ${i}.` })));
  const counts = {};
  for (const a of answers) counts[a.status] = (counts[a.status] || 0) + 1;
  assert.deepEqual(counts, { 202: 10, 402: 40 }, answers.filter((a) => a.status !== 202 && a.status !== 402).map(describeRes).join('\n'));
  for (const a of answers.filter((x) => x.status === 402)) {
    assertError(a, 402, 'insufficient_funds');
    assert.equal(a.json.error.message, 'This message costs 1 stamp and you have 0. Buy stamps in your wallet, then send again.');
    assert.deepEqual([a.json.price.amount, a.json.price.balance, a.json.price.enough], [1, 0, false]);
  }
  assert.equal(await units(c, J, 'stamps'), 0);
  const sent = await w.get('/api/v1/messages?box=sent&limit=100', c.token);
  assert.equal(sent.json.items.length, 10, 'only the paid messages exist');
  for (const m of sent.json.items) assert.deepEqual([m.hold.state, m.hold.amount], ['held', 1]);
  await ledgerOk();
});

test('rejected: the stamps come back and the message says it was released, with when it was held and released', async () => {
  const p = await pair(w, op, J, 'jpay');
  const start = await units(p.contact, J, 'stamps');
  const m = await send(w, p.contact, p.contactId, 'Not this one', 'This will be rejected.');
  assert.equal(await units(p.contact, J, 'stamps'), start - 1);
  await decide(w, reviewer, m.id, 'reject', REJECT_REASONS[0]);
  const got = await getMsg(w, p.contact, m.id);
  assert.equal(got.status, 'rejected');
  assert.equal(got.hold.state, 'released');
  assert.equal(got.hold.amount, 1);
  assert.ok(Date.parse(got.hold.released_at) >= Date.parse(got.hold.held_at));
  assert.equal(got.hold.captured_at, null);
  assert.equal(await units(p.contact, J, 'stamps'), start, 'nobody pays for a rejected message');
});

test('delivered: the hold is captured once, and the stamps stay spent', async () => {
  const p = await pair(w, op, J, 'jpay');
  const start = await units(p.contact, J, 'stamps');
  const m = await send(w, p.contact, p.contactId, 'Hello', 'This one is delivered.');
  const d = await decide(w, reviewer, m.id, 'approve');
  assert.equal(d.status, 'delivered');
  const got = await getMsg(w, p.contact, m.id);
  assert.deepEqual([got.hold.state, got.hold.amount, got.hold.unit], ['captured', 1, 'stamps']);
  assert.ok(got.hold.captured_at);
  assert.equal(got.hold.released_at, null);
  assert.equal(await units(p.contact, J, 'stamps'), start - 1);
  // A second decision changes nothing: the hold is settled once.
  assert.equal((await w.post(`/api/v1/review/${m.id}`, { decision: 'reject', reason: REJECT_REASONS[0] }, reviewer.token)).status, 409);
  assert.equal(await units(p.contact, J, 'stamps'), start - 1);
  await ledgerOk();
});

test('the resident is released: their undelivered messages are rejected and every hold is given back', async () => {
  const p = await pair(w, op, J, 'jpay');
  const stamps = await units(p.contact, J, 'stamps');
  const trust = (await wallet(p.resident)).balance_cents;
  const fromContact = await send(w, p.contact, p.contactId, 'Before release', 'Waiting for review.');
  const fromResident = await send(w, p.resident, p.contactId, 'Mine too', 'Also waiting.');
  assert.deepEqual([fromResident.price.unit, fromResident.price.amount], ['cents', 45]);
  assert.equal((await wallet(p.resident)).held_cents, 45);
  const rel = await w.patch(`/api/v1/facilities/${J}/residents/${encodeURIComponent(p.resident.number)}`, { status: 'released' }, op.token);
  assert.equal(rel.status, 200, describeRes(rel));
  const got = await getMsg(w, p.contact, fromContact.id);
  assert.deepEqual([got.status, got.hold.state], ['rejected', 'released']);
  assert.equal(got.rejection.reason, 'resident_left');
  assert.equal(await units(p.contact, J, 'stamps'), stamps);
  const rows = JSON.parse(w.sql(`SELECT ${sqlJsonArray('state')} FROM ledger_holds WHERE subject_id IN (${fromContact.id}, ${fromResident.id})`));
  assert.deepEqual(rows, ['released', 'released']);
  const residentWallet = JSON.parse(w.sql(`SELECT ${sqlJsonObject("'balance', balance")} FROM ledger_accounts WHERE kind = 'resident_trust' AND resident_id = (SELECT resident_id FROM messages WHERE id = ${fromResident.id})`));
  assert.equal(residentWallet.balance, trust, 'the trust money is back');
  await ledgerOk();
});

test('409 when the price changed since it was shown (the page size under stamps); nothing written', async () => {
  const p = await pair(w, op, J2, 'jpay');
  const body = 'Twenty-five characters!!'; // 24 characters
  const q = await quote(w, p.contact, { contact_id: p.contactId, body });
  assert.deepEqual([q.unit, q.amount], ['stamps', 1]);
  await setPolicy(w, op, J2, { profile: 'jpay', page_chars: 10 });
  const stamps = await units(p.contact, J2, 'stamps');
  const res = await post(w, p.contact, { contact_id: p.contactId, body, expected_amount: q.amount, expected_unit: q.unit });
  const e = assertError(res, 409, 'conflict');
  assert.equal(e.message, 'The price of this message changed from 1 stamp to 3 stamps since it was shown. Check the new price and send again.');
  assert.deepEqual([res.json.price.unit, res.json.price.amount, res.json.price.pages], ['stamps', 3, 3]);
  assert.equal(await units(p.contact, J2, 'stamps'), stamps);
  const sent = await w.get('/api/v1/messages?box=sent', p.contact.token);
  assert.equal(sent.json.items.length, 0, 'nothing was sent');
  // Sent again with the new price, it goes.
  const ok = await post(w, p.contact, { contact_id: p.contactId, body, expected_amount: 3, expected_unit: 'stamps' });
  assert.equal(ok.status, 202, describeRes(ok));
  assert.equal(await units(p.contact, J2, 'stamps'), stamps - 3);
  await setPolicy(w, op, J2, { profile: 'jpay' });
});

test('credits: a connectnetwork message holds one credit, given back when rejected', async () => {
  const p = await pair(w, op, CN, 'connectnetwork');
  const start = await units(p.contact, CN, 'credits');
  assert.equal(start, 100);
  const m = await send(w, p.contact, p.contactId, 'Credit', 'One credit, please.');
  assert.deepEqual([m.price.unit, m.price.amount, m.price_cents], ['credits', 1, 30]);
  assert.equal(await units(p.contact, CN, 'credits'), 99);
  await decide(w, op, m.id, 'reject', REJECT_REASONS[0]);
  assert.equal(await units(p.contact, CN, 'credits'), 100);
  // Credits bought for one facility do not pay at another.
  const poor = await w.contact({ full_name: 'No Credits' });
  const r = await withAccount(w, await w.resident(op.token, CN, { number: anyNumber('CN') }));
  const id = (await w.connectByRequest(r, poor)).id;
  const res = await post(w, poor, { contact_id: id, body: 'hi' });
  const e = assertError(res, 402, 'insufficient_funds');
  assert.equal(e.message, 'This message costs 1 credit and you have 0. Buy credits in your wallet, then send again.');
});

test('a resident pays from the trust account in cents; without enough, 402 says so', async () => {
  const p = await pair(w, op, J, 'jpay');
  const before = (await wallet(p.resident)).balance_cents;
  const m = await send(w, p.resident, p.contactId, 'From inside', 'A page from the tablet.');
  assert.deepEqual([m.price.unit, m.price.amount, m.price_cents], ['cents', 45, 45]);
  assert.deepEqual([(await wallet(p.resident)).balance_cents, (await wallet(p.resident)).held_cents], [before - 45, 45]);
  await decide(w, reviewer, m.id, 'approve');
  assert.equal((await getMsg(w, p.resident, m.id)).hold.state, 'captured');
  // The statement says what the line was for, in words.
  const lines = (await w.get('/api/v1/wallet/transactions', p.resident.token)).json.items;
  assert.deepEqual([lines[0].memo, lines[0].amount_cents], [`Message ${m.id}, held until it is delivered`, -45]);
  // A resident with no trust money.
  const r = await withAccount(w, await w.resident(op.token, J, { number: anyNumber('NT') }));
  const c = await w.contact();
  const id = (await w.connectByRequest(r, c)).id;
  const e = assertError(await post(w, r, { contact_id: id, body: 'hello' }), 402, 'insufficient_funds');
  assert.equal(e.message, 'This message costs $0.45 and your trust account has $0.00. Once money is added to your trust account, send again.');
});

test('federal: messages cost nothing either way and take no hold', async () => {
  const p = await pair(w, op, FED, 'federal');
  const a = await send(w, p.contact, p.contactId, 'Free', 'CorrLinks-style: free for the family.');
  const b = await send(w, p.resident, p.contactId, 'Free too', 'Residents pay terminal time, not messages.');
  for (const m of [a, b]) {
    assert.equal(m.price_cents, 0);
    assert.equal(m.hold, null);
  }
  assert.equal(w.sql(`SELECT COUNT(*) FROM ledger_holds WHERE subject_id IN (${a.id}, ${b.id})`), '0');
});

test('an idempotent replay answers the first message and holds once', async () => {
  const p = await pair(w, op, J, 'jpay');
  const start = await units(p.contact, J, 'stamps');
  const k = key('send');
  const body = { contact_id: p.contactId, subject: 'Once', body: 'Sent twice, paid once.' };
  const first = await post(w, p.contact, body, k);
  const second = await post(w, p.contact, body, k);
  assert.equal(first.status, 202, describeRes(first));
  assert.equal(second.status, 202, describeRes(second));
  assert.equal(second.headers['idempotent-replayed'], 'true');
  assert.equal(second.json.id, first.json.id);
  assert.equal(await units(p.contact, J, 'stamps'), start - 1);
  assert.equal(w.sql(`SELECT COUNT(*) FROM ledger_holds WHERE subject_id = ${first.json.id}`), '1');
});

test('the send body is checked: expected_amount needs expected_unit, with_reply_stamp is a boolean', async () => {
  const p = await pair(w, op, J, 'jpay');
  const base = { contact_id: p.contactId, body: 'hello' };
  assert.equal(assertError(await post(w, p.contact, { ...base, expected_amount: 1 }), 422, 'invalid_field').field, 'expected_unit');
  assert.equal(assertError(await post(w, p.contact, { ...base, expected_unit: 'stamps' }), 422, 'invalid_field').field, 'expected_amount');
  assert.equal(assertError(await post(w, p.contact, { ...base, expected_amount: 1, expected_unit: 'euros' }), 422, 'invalid_field').field, 'expected_unit');
  assert.equal(assertError(await post(w, p.contact, { ...base, with_reply_stamp: 'yes' }), 422, 'invalid_field').field, 'with_reply_stamp');
  assert.equal((await w.get('/api/v1/messages?box=sent', p.contact.token)).json.items.length, 0);
});

test('trust deposits: the facility admin or an operator, once per key, audited, on the resident\'s statement', async () => {
  const admin = await w.staff(op.token, J, 'facility_admin');
  const otherAdmin = await w.staff(op.token, CN, 'facility_admin');
  const r = await withAccount(w, await w.resident(op.token, J, { number: anyNumber('TD') }));
  const id = await w.residentId(op.token, r);
  const path = `/api/v1/residents/${id}/trust-deposits`;
  const k = key('trust');
  const deposit = (who, body, headers = { 'Idempotency-Key': k }) => w.post(path, body, who.token, { headers });
  const first = await deposit(admin, { amount_cents: 2500, memo: 'Wages, kitchen, week 12' });
  assert.equal(first.status, 201, describeRes(first));
  assert.deepEqual([first.json.amount_cents, first.json.balance_cents, first.json.facility_id], [2500, 2500, J]);
  const again = await deposit(admin, { amount_cents: 2500, memo: 'Wages, kitchen, week 12' });
  assert.equal(again.status, 200);
  assert.equal(again.json.transaction_id, first.json.transaction_id);
  assert.equal((await wallet(r)).balance_cents, 2500, 'a replay deposits nothing more');
  assertError(await deposit(admin, { amount_cents: 999, memo: 'other' }), 422, 'idempotency_key_reused');
  assert.equal(assertError(await deposit(admin, { amount_cents: 10 }, {}), 422, 'invalid_field').field, 'Idempotency-Key');
  const zero = assertError(await deposit(admin, { amount_cents: 0 }, { 'Idempotency-Key': key('zero') }), 422, 'invalid_field');
  assert.equal(zero.message, 'A trust deposit must be from $0.01 to $5000.00.');
  assertError(await deposit(reviewer, { amount_cents: 10 }, { 'Idempotency-Key': key('rev') }), 403, 'forbidden');
  assertError(await deposit(otherAdmin, { amount_cents: 10 }, { 'Idempotency-Key': key('other') }), 404, 'not_found');
  assertError(await deposit(r, { amount_cents: 10 }, { 'Idempotency-Key': key('self') }), 403, 'forbidden');
  const byOp = await deposit(op, { amount_cents: 500, memo: 'Lobby cash' }, { 'Idempotency-Key': key('op') });
  assert.equal(byOp.status, 201, describeRes(byOp));
  const statement = await w.get('/api/v1/wallet/transactions', r.token);
  assert.deepEqual(statement.json.items.map((x) => [x.memo, x.amount_cents ?? x.amount]),
    [['Trust deposit: Lobby cash', 500], ['Trust deposit: Wages, kitchen, week 12', 2500]]);
  assert.equal(w.auditRows("action = 'resident.trust_deposit'").filter((x) => x.target === `resident:${id}`).length, 2);
  await ledgerOk();
});

test('subscription: without one a message is refused 402 saying to subscribe; with one the text costs nothing', async () => {
  const SUB = await onPlatform(w, op, 'CALIFORNIA STATE PRISON, CORCORAN (COR)', { profile: 'jpay', pricing: 'subscription' });
  const priced = await w.put(`/api/v1/facilities/${SUB}/prices`, { subscription_cents_per_month: 499 }, op.token);
  assert.equal(priced.status, 200, describeRes(priced));
  const r = await withAccount(w, await w.resident(op.token, SUB, { number: anyNumber('SB') }));
  const c = await w.contact({ full_name: 'Sue Scriber' });
  const contactId = (await w.connectByRequest(r, c)).id;
  await w.topUp(c, 1000);
  const q = await quote(w, c, { contact_id: contactId, body: 'hello' });
  assert.equal(q.subscription_needed, true);
  assert.equal(q.enough, false);
  const refused = assertError(await post(w, c, { contact_id: contactId, body: 'hello' }), 402, 'insufficient_funds');
  assert.equal(refused.message, 'Messages at this facility need a subscription, $4.99 a month. Subscribe in your wallet, then send again.');
  const k = key('sub');
  const buy = (months, k2 = k) => w.post('/api/v1/wallet/subscriptions', { facility_id: SUB, months }, c.token, { headers: { 'Idempotency-Key': k2 } });
  const first = await buy(1);
  assert.equal(first.status, 201, describeRes(first));
  assert.equal(first.json.facility_id, SUB);
  assert.deepEqual([first.json.price_cents, first.json.balance_cents], [499, 1000 - 499]);
  assert.equal(Date.parse(first.json.ends_at) - Date.parse(first.json.starts_at), 30 * 24 * 3600 * 1000);
  const again = await buy(1);
  assert.equal(again.status, 200);
  assert.equal(again.json.id, first.json.id);
  assertError(await buy(2), 422, 'idempotency_key_reused');
  // Buying again extends the period from where it ends.
  assertError(await buy(2, key('sub-poor')), 402, 'insufficient_funds'); // $9.98 from $5.01
  assert.equal((await wallet(c)).balance_cents, 501, 'a refused subscription takes nothing');
  await w.topUp(c, 1000);
  const second = await buy(2, key('sub2'));
  assert.equal(second.status, 201, describeRes(second));
  assert.equal(second.json.starts_at, first.json.ends_at);
  assert.equal(second.json.balance_cents, 1501 - 998);
  const shown = (await wallet(c)).subscriptions;
  assert.deepEqual(shown.map((s) => [s.facility_id, s.months]), [[SUB, 1], [SUB, 2]]);
  const m = await send(w, c, contactId, 'Covered', 'The subscription covers the text.');
  assert.deepEqual([m.price_cents, m.hold], [0, null]);
  // Subscriptions are for contacts; another facility's model sells none.
  assertError(await w.post('/api/v1/wallet/subscriptions', { facility_id: J, months: 1 }, c.token,
    { headers: { 'Idempotency-Key': key('subj') } }), 422, 'invalid_field');
  assertError(await w.post('/api/v1/wallet/subscriptions', { facility_id: SUB, months: 1 }, r.token,
    { headers: { 'Idempotency-Key': key('subr') } }), 403, 'forbidden');
  await ledgerOk();
});

test('the resident is transferred: what waited at the old facility is rejected and its stamps given back', async () => {
  const p = await pair(w, op, J, 'jpay');
  const stamps = await units(p.contact, J, 'stamps');
  const m = await send(w, p.contact, p.contactId, 'Before the move', 'Waiting for review at the old facility.');
  assert.equal(await units(p.contact, J, 'stamps'), stamps - 1);
  const t = await w.post(`/api/v1/facilities/${J}/residents/${encodeURIComponent(p.resident.number)}/transfer`, { to_facility_id: J2 }, op.token);
  assert.equal(t.status, 200, describeRes(t));
  const got = await getMsg(w, p.contact, m.id);
  assert.deepEqual([got.status, got.hold.state, got.rejection.reason], ['rejected', 'released', 'resident_left']);
  assert.equal(await units(p.contact, J, 'stamps'), stamps, 'nobody pays for what was not delivered');
  await ledgerOk();
});
