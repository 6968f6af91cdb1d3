// The sandbox payment processor, `kite processor-sandbox`, over HTTP: each
// test card's answer, Luhn and expiry checks, one charge per
// Idempotency-Key (a replay answers the same charge, a reused key for
// another charge is refused), lookup by key, and the slow card: a client
// that gives up finds the single approved charge later by the same key.
// Plus the command line: strict options, --help, a clean SIGTERM.

import test, { after, before } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assert, assertError, cli } from './lib/kite.mjs';
import { CARDS, chargeBody, startSandbox } from './lib/processor.mjs';

const SLOW_MS = 3000;
let sb;

before(async () => {
  sb = await startSandbox(['--slow-ms', String(SLOW_MS)]);
});

after(async () => {
  if (sb) await sb.cleanup();
});

let keys = 0;
const newKey = (what) => `bb-${what}-${process.pid}-${++keys}`;

function charge(number, { key = newKey('charge'), amount = 1000, card = {} } = {}) {
  return sb.post('/v1/charges', chargeBody(number, amount, card), { headers: { 'Idempotency-Key': key } });
}

function lookup(key) {
  return sb.get(`/v1/charges?idempotency_key=${encodeURIComponent(key)}`);
}

test('GET /healthz answers ok', async () => {
  const r = await sb.get('/healthz');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok' });
});

test('each test card gets its documented answer', async () => {
  const ok = await charge(CARDS.approved, { amount: 2500 });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.status, 'approved');
  assert.match(ok.json.id, /^ch_/);
  assert.equal(ok.json.amount_cents, 2500);
  assert.equal(ok.json.currency, 'usd');
  assert.deepEqual(ok.json.card, { brand: 'visa', last4: '4242' });
  assert.equal(ok.json.decline_code, undefined);

  const declines = [
    [CARDS.declined, 'declined'],
    [CARDS.insufficientFunds, 'insufficient_funds'],
    [CARDS.expired, 'expired'],
    ['5555 5555 5555 4444', 'invalid'], // Luhn-valid, not a test card
  ];
  for (const [number, code] of declines) {
    const r = await charge(number);
    assert.equal(r.status, 402, `${number}: ${r.text}`);
    assert.equal(r.json.status, 'declined');
    assert.equal(r.json.decline_code, code, number);
    assert.match(r.json.id, /^ch_/);
  }

  const key = newKey('error');
  const failed = await charge(CARDS.processorError, { key });
  assertError(failed, 500, 'internal_error');
  assertError(await lookup(key), 404, 'not_found', 'a processor error charges nothing');
});

test('a Luhn-invalid number, a past expiry or a bad CVC is refused with 422', async () => {
  const luhn = await charge('4242 4242 4242 4241');
  const e = assertError(luhn, 422, 'invalid_field');
  assert.equal(luhn.json.error.field, 'card_number');
  assert.match(e.message, /not valid/);
  const short = await charge('4242 4242');
  assertError(short, 422, 'invalid_field');
  assert.equal(short.json.error.field, 'card_number');
  const past = await charge(CARDS.approved, { card: { exp_year: 2020 } });
  assertError(past, 422, 'invalid_field');
  assert.equal(past.json.error.field, 'expiry');
  const month = await charge(CARDS.approved, { card: { exp_month: 13 } });
  assertError(month, 422, 'invalid_field');
  assert.equal(month.json.error.field, 'expiry');
  // A month that only becomes 12 when cut to 32 bits is no month.
  const wrapped = await charge(CARDS.approved, { card: { exp_month: 4294967308 } });
  assertError(wrapped, 422, 'invalid_field');
  assert.equal(wrapped.json.error.field, 'expiry');
  const cvc = await charge(CARDS.approved, { card: { cvc: '12' } });
  assertError(cvc, 422, 'invalid_field');
  assert.equal(cvc.json.error.field, 'cvc');
});

test('a charge without Idempotency-Key, or of the wrong shape, is refused', async () => {
  const nokey = await sb.post('/v1/charges', chargeBody(CARDS.approved));
  assertError(nokey, 422, 'invalid_field');
  assert.equal(nokey.json.error.field, 'Idempotency-Key');
  const headers = { 'Idempotency-Key': newKey('shape') };
  assertError(await sb.post('/v1/charges', '{"amount_cents":', { headers }), 400, 'malformed_json');
  assertError(await sb.post('/v1/charges', { amount_cents: 100 }, { headers }), 400, 'bad_request');
  assertError(await sb.post('/v1/charges', { ...chargeBody(CARDS.approved), extra: 1 }, { headers }), 400, 'bad_request');
  assertError(await sb.post('/v1/charges', { ...chargeBody(CARDS.approved), amount_cents: 1.5 }, { headers }), 400, 'bad_request');
  assertError(await sb.post('/v1/charges', chargeBody(CARDS.approved, 0), { headers }), 422, 'invalid_field');
  assertError(await sb.post('/v1/charges', { ...chargeBody(CARDS.approved), currency: 'eur' }, { headers }), 422, 'invalid_field');
  assertError(await sb.get('/v1/charges'), 422, 'invalid_field');
  for (const body of ['[]', '"text"', 'null', '{"amount_cents":1e30}', '{"amount_cents":100,"currency":"usd","card":null}',
    '{"amount_cents":100,"currency":"usd","card":{"number":"4242\\u00004242","exp_month":1,"exp_year":2040,"cvc":"123"}}',
    '{"amount_cents":100,"currency":"usd","card":{"number":4242424242424242,"exp_month":1,"exp_year":2040,"cvc":"123"}}']) {
    const r = await sb.post('/v1/charges', body, { headers });
    assert.ok(r.status === 400 || r.status === 422, `${body}: ${r.status} ${r.text}`);
  }
});

test('a replay with the same key returns the same charge and charges once', async () => {
  const key = newKey('replay');
  const first = await charge(CARDS.approved, { key, amount: 1234 });
  assert.equal(first.status, 200, first.text);
  const again = await charge(CARDS.approved, { key, amount: 1234 });
  assert.equal(again.status, 200);
  assert.equal(again.json.id, first.json.id);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  // A double click: many tries at once, still one charge.
  const burst = await Promise.all(Array.from({ length: 8 }, () => charge(CARDS.approved, { key, amount: 1234 })));
  for (const r of burst) assert.equal(r.json.id, first.json.id);
  const found = await lookup(key);
  assert.equal(found.status, 200);
  assert.equal(found.json.id, first.json.id);
  assert.equal(found.json.amount_cents, 1234);
  // Another key is another charge.
  const other = await charge(CARDS.approved, { amount: 1234 });
  assert.notEqual(other.json.id, first.json.id);
});

test('the same key with a different amount or card is refused with 409', async () => {
  const key = newKey('reuse');
  const first = await charge(CARDS.approved, { key, amount: 500 });
  assert.equal(first.status, 200);
  assertError(await charge(CARDS.approved, { key, amount: 501 }), 409, 'conflict');
  assertError(await charge(CARDS.declined, { key, amount: 500 }), 409, 'conflict');
  const found = await lookup(key);
  assert.equal(found.json.id, first.json.id);
  assert.equal(found.json.amount_cents, 500);
});

test('lookup by key finds approved and declined charges, and 404 for a key never used', async () => {
  const key = newKey('lookup');
  const declined = await charge(CARDS.insufficientFunds, { key });
  const found = await lookup(key);
  assert.equal(found.status, 200);
  assert.equal(found.json.id, declined.json.id);
  assert.equal(found.json.status, 'declined');
  assert.equal(found.json.decline_code, 'insufficient_funds');
  assertError(await lookup(newKey('never')), 404, 'not_found');
});

test('the slow card: a client that times out finds the single approved charge by its key', async () => {
  const key = newKey('slow');
  const started = Date.now();
  await assert.rejects(
    fetch(`${sb.baseUrl}/v1/charges`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify(chargeBody(CARDS.slow, 4200)),
      signal: AbortSignal.timeout(SLOW_MS - 1000),
    }),
    (err) => err.name === 'TimeoutError',
  );
  assert.ok(Date.now() - started < SLOW_MS, 'the client gave up before the sandbox answered');
  const found = await lookup(key);
  assert.equal(found.status, 200, found.text);
  assert.equal(found.json.status, 'approved');
  assert.equal(found.json.amount_cents, 4200);
  assert.equal(found.json.card.last4, '3220');
  // Retrying under the same key does not charge again: it is the same charge, at once.
  const retry = await charge(CARDS.slow, { key, amount: 4200 });
  assert.equal(retry.status, 200);
  assert.equal(retry.json.id, found.json.id);
  assert.ok(retry.ms < SLOW_MS, `a replay waited ${retry.ms} ms`);
  // Without giving up, the slow card answers after --slow-ms, approved.
  const patient = await charge(CARDS.slow, { amount: 100 });
  assert.equal(patient.status, 200);
  assert.ok(patient.ms >= SLOW_MS - 100, `answered after ${patient.ms} ms`);
});

test('no card number reaches the sandbox log', async () => {
  const log = sb.readLog();
  assert.match(log, /POST \/v1\/charges 200/);
  for (const number of [...Object.values(CARDS), '5555 5555 5555 4444', '4242 4242 4242 4241']) {
    const digits = number.replace(/ /g, '');
    assert.ok(!log.includes(digits), `the log holds ${digits}`);
    assert.ok(!log.includes(number), `the log holds ${number}`);
  }
});

test('SIGTERM stops the sandbox with exit 0', async () => {
  await sb.stopAndAssertClean();
});

test('with --state, a restarted sandbox still finds a charge by its key and charges it once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-bb-processor-state-'));
  const state = path.join(dir, 'charges.json');
  const key = newKey('state');
  let first = await startSandbox(['--state', state]);
  let second;
  try {
    const body = chargeBody(CARDS.approved, 777);
    const made = await first.post('/v1/charges', body, { headers: { 'Idempotency-Key': key } });
    assert.equal(made.status, 200, made.text);
    await first.stopAndAssertClean();
    const text = fs.readFileSync(state, 'utf8');
    assert.ok(!text.includes('4242424242424242'), 'the state file holds a card number');
    second = await startSandbox(['--state', state]);
    const found = await second.get(`/v1/charges?idempotency_key=${key}`);
    assert.equal(found.status, 200, found.text);
    assert.equal(found.json.id, made.json.id);
    const replay = await second.post('/v1/charges', body, { headers: { 'Idempotency-Key': key } });
    assert.equal(replay.json.id, made.json.id);
    assertError(await second.post('/v1/charges', chargeBody(CARDS.approved, 778), { headers: { 'Idempotency-Key': key } }),
      409, 'conflict');
    await second.stopAndAssertClean();
    // A file that is not the sandbox's own: it refuses to start (exit 1) rather than forget charges.
    fs.writeFileSync(state, '{"charges": "none"}');
    const r = await cli(['processor-sandbox', '--listen', '127.0.0.1:0', '--state', state]);
    assert.equal(r.code, 1, r.stderr);
  } finally {
    await first.cleanup();
    if (second) await second.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('kite processor-sandbox refuses unknown options (exit 2) and documents the test cards', async () => {
  const usage = /^usage: kite processor-sandbox --listen HOST:PORT/m;
  for (const args of [
    ['--listen', '127.0.0.1:0', '--frobnicate', 'x'],
    ['--listen', '127.0.0.1:0', '--slow', '5'],
    ['--listen', '127.0.0.1:0', '--listen', '127.0.0.1:0'],
    ['--listen'],
    [],
    ['--listen', '127.0.0.1:0', 'stray'],
  ]) {
    const r = await cli(['processor-sandbox', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}; ${r.stderr}`);
    assert.match(r.stderr, usage, args.join(' '));
    assert.equal(r.stdout, '');
  }
  for (const args of [['--listen', 'nowhere'], ['--listen', '127.0.0.1:0', '--slow-ms', '5x'],
    ['--listen', '127.0.0.1:0', '--slow-ms', '-1']]) {
    const r = await cli(['processor-sandbox', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}; ${r.stderr}`);
  }
  const help = await cli(['processor-sandbox', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, usage);
  for (const number of Object.values(CARDS)) assert.ok(help.stdout.includes(number), `--help lacks ${number}`);
});
