// A facility's own prices: the public price list (no sign-in), a partial update by the
// facility's admin, refusals (403 for a reviewer and for another facility's admin, 404 for a
// facility not on Kite, 422 naming the field and the FCC cap, the model left to the policy),
// a bundle bought after a price change costs the new price, and the revenue report (JSON and
// CSV) equals what the test bought; a call is rated at the phone rate set and counted as revenue;
// the pricing model stays the policy's. Bundles are bought from a balance topped up with the
// sandbox processor's approved test card, as in wallet.test.mjs.
//
// AVENAL STATE PRISON is a state prison: its FCC caps are 11 cents a minute for audio and
// 25 for video (fcc.c). After every scenario that moves money, `kite ledger verify` passes.

import test, { after, before } from 'node:test';
import {
  World, assert, assertError, facilityIdByName, bopNumber,
} from './lib/flows.mjs';
import { cli } from './lib/kite.mjs';
import { CARDS, startSandbox } from './lib/processor.mjs';

const PRISON_AUDIO_CAP = 11;
const PRISON_VIDEO_CAP = 25;
let sb;
let w;
let op;
let keys = 0;
const FAC = {};
const newKey = (what) => `bb-prices-${what}-${process.pid}-${++keys}`;

before(async () => {
  sb = await startSandbox();
  w = await World.start({ extraArgs: ['--processor', sb.baseUrl] });
  op = await w.operator();
  FAC.jpay = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  await w.putPolicy(op.token, FAC.jpay, { profile: 'jpay' });
  FAC.other = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  await w.putPolicy(op.token, FAC.other, { profile: 'federal' });
  FAC.off = await facilityIdByName(w.srv, 'GRENADA COUNTY JAIL');
});

after(async () => {
  if (w) await w.close();
  if (sb) await sb.cleanup();
});

async function ledgerOk() {
  const r = await cli(['ledger', 'verify', '--db', w.dbPath]);
  assert.equal(r.code, 0, `kite ledger verify: exit ${r.code}\n${r.stdout}${r.stderr}`);
}

function putPrices(token, facilityId, body) {
  return w.put(`/api/v1/facilities/${facilityId}/prices`, body, token);
}

async function prices(facilityId) {
  const r = await w.get(`/api/v1/facilities/${facilityId}/prices`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function topUp(person, amount) {
  const card = { number: CARDS.approved, exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' };
  const r = await w.srv.request('POST', '/api/v1/wallet/top-ups', {
    body: { amount_cents: amount, card }, token: person.token, headers: { 'Idempotency-Key': newKey('top-up') },
  });
  assert.equal(r.status, 201, r.text);
}

function buy(person, facilityId, count) {
  return w.srv.request('POST', '/api/v1/wallet/bundles', {
    body: { facility_id: facilityId, unit: 'stamps', count }, token: person.token, headers: { 'Idempotency-Key': newKey('bundle') },
  });
}

// Today's date in UTC, moved by `days`, as YYYY-MM-DD.
function day(days = 0) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

test('the price list is public and complete before anyone registers', async () => {
  const p = await prices(FAC.jpay); // no token
  assert.equal(p.facility_id, FAC.jpay);
  assert.equal(p.schedule.model, 'stamps');
  assert.deepEqual(p.bundles.stamps.map((b) => [b.count, b.price_cents, b.discount_cents]),
    [[5, 200, 25], [10, 370, 80], [20, 680, 220], [50, 1500, 750]]);
  assert.deepEqual(p.transfers.fee_tiers[0], { up_to_cents: 2000, fee_cents: 350 });
  assert.equal(p.transfers.min_cents, 1);
  assert.ok(p.transfers.max_cents >= p.transfers.min_cents);
  assert.equal(p.phone.fcc_facility_type, 'prison');
  assert.equal(p.phone.audio_cap_cents, PRISON_AUDIO_CAP);
  assert.equal(p.phone.video_cap_cents, PRISON_VIDEO_CAP);
  assert.equal(p.phone.audio_cents_per_minute, PRISON_AUDIO_CAP); // the default is the cap
  assert.equal(p.phone.deposit_fee_cents, 0);
  assert.match(p.phone.fcc_order, /^FCC \d+-\d+$/);
  assert.equal(typeof p.terminal.cents_per_minute, 'number');
  assert.equal(p.custom, false);
  assert.equal(p.updated_at, null);
  assertError(await w.get(`/api/v1/facilities/${FAC.off}/prices`), 404, 'not_found');
});

test('the facility admin sets prices by a partial update; other staff and other facilities are refused', async () => {
  const admin = await w.staff(op.token, FAC.jpay, 'facility_admin');
  const reviewer = await w.staff(op.token, FAC.jpay, 'reviewer');
  const otherAdmin = await w.staff(op.token, FAC.other, 'facility_admin');
  const contact = await w.contact();
  const before = await prices(FAC.jpay);

  assertError(await putPrices(reviewer.token, FAC.jpay, { photo_cents: 10 }), 403, 'forbidden');
  assertError(await putPrices(otherAdmin.token, FAC.jpay, { photo_cents: 10 }), 403, 'forbidden');
  assertError(await putPrices(contact.token, FAC.jpay, { photo_cents: 10 }), 403, 'forbidden');
  assertError(await putPrices(undefined, FAC.jpay, { photo_cents: 10 }), 401, 'unauthenticated');
  assertError(await putPrices(op.token, FAC.off, { photo_cents: 10 }), 404, 'not_found');
  assert.deepEqual(await prices(FAC.jpay), before, 'nothing changed');

  const r = await putPrices(admin.token, FAC.jpay, { audio_cents_per_minute: 9, terminal_cents_per_minute: 4 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.phone.audio_cents_per_minute, 9);
  assert.equal(r.json.terminal.cents_per_minute, 4);
  assert.equal(r.json.custom, true);
  assert.ok(r.json.updated_at);
  // Only what was given changed.
  const after = await prices(FAC.jpay);
  assert.deepEqual(after.bundles, before.bundles);
  assert.deepEqual(after.transfers, before.transfers);
  assert.equal(after.phone.video_cents_per_minute, before.phone.video_cents_per_minute);
  assert.equal(after.schedule.photo_cents, before.schedule.photo_cents);
  // Audited, naming the change.
  const rows = w.auditRows(`action = 'prices.update' AND target = 'facility:${FAC.jpay}'`);
  assert.equal(rows.length, 1);
  assert.match(rows[0].detail, /audio_cents_per_minute 11->9/);
  assert.match(rows[0].detail, /terminal_cents_per_minute/);
});

test('a rate above the FCC cap is refused naming the field and the cap; the cap itself is allowed', async () => {
  const admin = await w.staff(op.token, FAC.jpay, 'facility_admin');
  const above = await putPrices(admin.token, FAC.jpay, { audio_cents_per_minute: PRISON_AUDIO_CAP + 1 });
  assertError(above, 422, 'invalid_field');
  assert.equal(above.json.error.field, 'audio_cents_per_minute');
  assert.match(above.json.error.message, new RegExp(`FCC cap of ${PRISON_AUDIO_CAP} cents per minute`));
  const video = await putPrices(admin.token, FAC.jpay, { video_cents_per_minute: PRISON_VIDEO_CAP + 1 });
  assertError(video, 422, 'invalid_field');
  assert.equal(video.json.error.field, 'video_cents_per_minute');
  assert.match(video.json.error.message, new RegExp(`${PRISON_VIDEO_CAP} cents per minute`));
  const atCap = await putPrices(admin.token, FAC.jpay, { audio_cents_per_minute: PRISON_AUDIO_CAP, video_cents_per_minute: PRISON_VIDEO_CAP });
  assert.equal(atCap.status, 200, atCap.text);
  assert.equal(atCap.json.phone.audio_cents_per_minute, PRISON_AUDIO_CAP);

  const fee = await putPrices(admin.token, FAC.jpay, { deposit_fee_cents: 100 });
  assertError(fee, 422, 'invalid_field');
  assert.equal(fee.json.error.field, 'deposit_fee_cents');
  assert.match(fee.json.error.message, /FCC forbids fees/);

  const tiers = await putPrices(admin.token, FAC.jpay, { fee_tiers: [{ up_to_cents: 5000, fee_cents: 400 }, { up_to_cents: 2000, fee_cents: 300 }] });
  assertError(tiers, 422, 'invalid_field');
  assert.equal(tiers.json.error.field, 'fee_tiers');

  const model = await putPrices(admin.token, FAC.jpay, { pricing: 'credits' });
  assertError(model, 422, 'invalid_field');
  assert.equal(model.json.error.field, 'pricing');
  assert.match(model.json.error.message, /policy/);
  const unknown = await putPrices(admin.token, FAC.jpay, { photo_cent: 1 });
  assertError(unknown, 422, 'invalid_field');
  assert.equal(unknown.json.error.field, 'photo_cent');
  const text = await putPrices(admin.token, FAC.jpay, { photo_cents: '10' });
  assertError(text, 422, 'invalid_field');
  assert.equal(text.json.error.field, 'photo_cents');
  // A refused update changed nothing, even the members that were valid.
  const mixed = await putPrices(admin.token, FAC.jpay, { photo_cents: 77, audio_cents_per_minute: 99 });
  assertError(mixed, 422, 'invalid_field');
  assert.notEqual((await prices(FAC.jpay)).schedule.photo_cents, 77);
});

test('a bundle bought after a price change costs the new price, and the revenue report equals what was bought', async () => {
  const admin = await w.staff(op.token, FAC.jpay, 'facility_admin');
  const c = await w.contact();
  await topUp(c, 2000);
  const first = await buy(c, FAC.jpay, 10);
  assert.equal(first.status, 201, first.text);
  const oldPrice = first.json.price_cents;
  assert.equal(oldPrice, (await prices(FAC.jpay)).bundles.stamps.find((b) => b.count === 10).price_cents);

  const change = await putPrices(admin.token, FAC.jpay, {
    stamp_bundles: [{ count: 5, price_cents: 199 }, { count: 10, price_cents: 333 }, { count: 25, price_cents: 800 }],
  });
  assert.equal(change.status, 200, change.text);
  assert.deepEqual(change.json.bundles.stamps.map((b) => [b.count, b.price_cents]), [[5, 199], [10, 333], [25, 800]]);
  const second = await buy(c, FAC.jpay, 10);
  assert.equal(second.status, 201, second.text);
  assert.equal(second.json.price_cents, 333);
  const third = await buy(c, FAC.jpay, 25);
  assert.equal(third.status, 201, third.text);
  assert.equal(third.json.price_cents, 800);
  assertError(await buy(c, FAC.jpay, 50), 422, 'invalid_field'); // no longer sold
  await ledgerOk();

  const spent = oldPrice + 333 + 800;
  const range = `from=${day(-1)}&to=${day(1)}`;
  const r = await w.get(`/api/v1/facilities/${FAC.jpay}/revenue?${range}`, admin.token);
  assert.equal(r.status, 200, r.text);
  const purchase = r.json.items.find((i) => i.kind === 'purchase');
  assert.ok(purchase, JSON.stringify(r.json));
  assert.equal(purchase.transactions, 3);
  assert.equal(purchase.provider_revenue_cents, spent);
  assert.equal(purchase.total_cents, spent);
  assert.equal(purchase.stamps_sold, 10 + 10 + 25);
  assert.equal(purchase.stamps_spent, 0);
  assert.equal(r.json.total.total_cents, spent);
  assert.equal(r.json.units.stamps.sold, 45);
  assert.equal(r.json.items.some((i) => i.kind === 'top_up'), false, 'a top-up is the family\'s money, not revenue');
  // The operator sees the same; another facility's report does not count these.
  const byOp = await w.get(`/api/v1/facilities/${FAC.jpay}/revenue?${range}`, op.token);
  assert.deepEqual(byOp.json, r.json);
  const other = await w.get(`/api/v1/facilities/${FAC.other}/revenue?${range}`, op.token);
  assert.equal(other.status, 200, other.text);
  assert.equal(other.json.total.total_cents, 0);
  assert.deepEqual(other.json.items, []);
  // A period before the purchases has none of them.
  const earlier = await w.get(`/api/v1/facilities/${FAC.jpay}/revenue?from=2020-01-01&to=2020-12-31`, op.token);
  assert.equal(earlier.json.total.transactions, 0);

  const csv = await w.get(`/api/v1/facilities/${FAC.jpay}/revenue.csv?${range}`, admin.token);
  assert.equal(csv.status, 200, csv.text);
  assert.match(csv.headers['content-type'], /^text\/csv/);
  assert.match(csv.headers['content-disposition'], /attachment; filename="kite-revenue-/);
  const lines = csv.text.trim().split('\r\n');
  assert.equal(lines[0], 'kind,transactions,facility_revenue_cents,provider_revenue_cents,fees_cents,total_cents,stamps_sold,stamps_spent,credits_sold,credits_spent');
  assert.ok(lines.includes(`purchase,3,0,${spent},0,${spent},45,0,0,0`), csv.text);
  assert.equal(lines[lines.length - 1], `total,3,0,${spent},0,${spent},45,0,0,0`);
});

test('the revenue report checks its dates and its readers', async () => {
  const admin = await w.staff(op.token, FAC.jpay, 'facility_admin');
  const reviewer = await w.staff(op.token, FAC.jpay, 'reviewer');
  const otherAdmin = await w.staff(op.token, FAC.other, 'facility_admin');
  const base = `/api/v1/facilities/${FAC.jpay}/revenue`;
  const bad = await w.get(`${base}?from=2026-02-30&to=2026-03-01`, admin.token);
  assertError(bad, 422, 'invalid_field');
  assert.equal(bad.json.error.field, 'from');
  assert.match(bad.json.error.message, /YYYY-MM-DD/);
  const missing = await w.get(`${base}?from=2026-01-01`, admin.token);
  assertError(missing, 422, 'invalid_field');
  assert.equal(missing.json.error.field, 'to');
  const backwards = await w.get(`${base}?from=2026-03-02&to=2026-03-01`, admin.token);
  assertError(backwards, 422, 'invalid_field');
  assert.equal(backwards.json.error.field, 'to');
  assertError(await w.get(`${base}.csv?from=nope&to=2026-03-01`, admin.token), 422, 'invalid_field');
  const range = `from=${day(-1)}&to=${day(1)}`;
  assertError(await w.get(`${base}?${range}`, reviewer.token), 403, 'forbidden');
  assertError(await w.get(`${base}?${range}`, otherAdmin.token), 404, 'not_found');
  assertError(await w.get(`${base}?${range}`), 401, 'unauthenticated');
  assertError(await w.get(`/api/v1/facilities/${FAC.off}/revenue?${range}`, op.token), 404, 'not_found');
});

test('the pricing model stays the policy\'s: changing it there keeps the facility\'s stored prices', async () => {
  const set = await putPrices(op.token, FAC.other, { message_cents: 25, photo_cents: 40 });
  assert.equal(set.status, 200, set.text);
  assert.equal(set.json.schedule.model, 'balance');
  assert.equal(set.json.schedule.message_cents, 25);
  await w.putPolicy(op.token, FAC.other, { profile: 'federal', pricing: 'subscription' });
  const after = await prices(FAC.other);
  assert.equal(after.schedule.model, 'subscription');
  assert.equal(after.schedule.message_cents, 25);
  assert.equal(after.schedule.photo_cents, 40);
  assert.equal(after.custom, true);
  await w.putPolicy(op.token, FAC.other, { profile: 'federal' });
  assert.equal((await prices(FAC.other)).schedule.model, 'balance');
});

test('a call is rated at the phone rate the facility set, and the revenue report counts it', async () => {
  const admin = await w.staff(op.token, FAC.other, 'facility_admin'); // FCI ALICEVILLE: a prison, cap 11
  const set = await putPrices(admin.token, FAC.other, { audio_cents_per_minute: 7 });
  assert.equal(set.status, 200, set.text);
  const resident = await w.addResident(op.token, FAC.other, { number: bopNumber() });
  const c = await w.contact();
  await topUp(c, 1000);
  const number = `+1415555${String(process.pid % 10000).padStart(4, '0')}`;
  const acct = await w.post('/api/v1/phone-accounts', { facility_id: FAC.other, phone_number: number }, c.token);
  assert.equal(acct.status, 201, acct.text);
  assert.equal(acct.json.rate_cents_per_minute, 7);
  const dep = await w.srv.request('POST', `/api/v1/phone-accounts/${acct.json.id}/deposits`, {
    body: { amount_cents: 500 }, token: c.token, headers: { 'Idempotency-Key': newKey('deposit') },
  });
  assert.equal(dep.status, 201, dep.text);
  const key = await w.post(`/api/v1/facilities/${FAC.other}/api-keys`, undefined, op.token);
  assert.equal(key.status, 201, key.text);
  const callId = newKey('call');
  const call = await w.srv.request('POST', `/api/v1/facilities/${FAC.other}/calls`, {
    body: { call_id: callId, phone_number: number, resident_number: resident.number, started_at: new Date().toISOString(), duration_seconds: 125 },
    headers: { 'Idempotency-Key': callId, Authorization: `Bearer ${key.json.key}` },
  });
  assert.equal(call.status, 201, call.text);
  assert.equal(call.json.rate_cents_per_minute, 7);
  assert.equal(call.json.amount_cents, 21); // three started minutes
  await ledgerOk();

  const r = await w.get(`/api/v1/facilities/${FAC.other}/revenue?from=${day(-1)}&to=${day(1)}`, admin.token);
  assert.equal(r.status, 200, r.text);
  const calls = r.json.items.find((i) => i.kind === 'call');
  assert.ok(calls, JSON.stringify(r.json));
  assert.equal(calls.transactions, 1);
  assert.equal(calls.total_cents, 21);
  assert.equal(r.json.items.some((i) => i.kind === 'deposit'), false, 'a deposit is the family\'s money, not revenue');
});
