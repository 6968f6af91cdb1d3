// Helpers for the facility and contact flow tests (policy, roster, invitations,
// requests, blocks, transfers, permissions). Built on lib/kite.mjs and
// lib/smtp-sink.mjs; no npm dependencies.
//
//   const w = await World.start({ smtp: true });   // a server (+ an SMTP sink)
//   const op = await w.operator();                  // {token, email, password, account}
//   await w.putPolicy(op.token, facilityId, { profile: 'federal' });
//   const r = await w.addResident(op.token, facilityId, { resident_number: '12345-678' });
//   const c = await w.contact();                    // registered + signed-in contact
//   await w.restart({ clockOffset: 31 * DAY });     // same db, clock moved forward
//   await w.close();

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  startServer, assert, assertError, assertStatus, register, session, userAdd, auditVerify, sqlite, cli, sleep,
  uniqueEmail, strongPassword, KITE_BIN, DATA_DIR, RFC3339_UTC, sqlJsonArray, sqlJsonObject, freshAddress,
} from './kite.mjs';
import { SmtpSink, parseMessage } from './smtp-sink.mjs';
import { CARDS, startSandbox } from './processor.mjs';

export const PUBLIC_URL = 'http://kite.test';
export const HOUR = 3600;
export const DAY = 24 * HOUR;
export const TOKEN_LINK_RE = /http:\/\/kite\.test\/invitations\/accept\?token=([0-9a-f]{64})/;

export function describeRes(res) {
  return `${res.status} ${String(res.text ?? '').slice(0, 500)}`;
}

/** Asserts a 2xx status (or the given one) and returns the JSON body. */
export function ok(res, status, context = '') {
  return assertStatus(res, status, context);
}

let numberCounter = 0;
/** A fresh BOP-format resident number (NNNNN-NNN). */
export function bopNumber() {
  numberCounter += 1;
  const a = 10000 + ((process.pid * 7 + numberCounter * 13) % 89999);
  return `${String(a).padStart(5, '0')}-${String(numberCounter % 1000).padStart(3, '0')}`;
}
/** A fresh number for the "any" format. */
export function anyNumber(prefix = 'R') {
  numberCounter += 1;
  return `${prefix}${process.pid % 1000}-${numberCounter}`;
}
/* The common PINs the server refuses beyond patterns (src/domain/facility/pin.c), kept in step by hand. */
const COMMON_PINS = new Set(['112233', '123321', '123654', '102030', '147258', '147852', '147369', '159357', '159753',
  '159951', '753951', '789456', '741852', '852456', '963852', '258369', '321654', '456123', '246810', '135790',
  '135791', '112358', '520520', '520131', '131420', '786786', '007007', '101101', '110110', '100100', '100000',
  '200000', '010203', '123789', '987123', '147147', '258258', '369369', '159159', '741741', '951753', '357159',
  '696969', '112211', '221122', '121314', '111222', '000111', '123000', '111000', '999000', '654123', '198900',
  '199000', '202020', '101010', '202122', '010101']);

/**
 * A 6-digit PIN the server accepts (src/domain/facility/pin.h): no digit next to the same digit
 * or to one more or less (no repeats, no runs), no block repeated, not a common PIN, and not made
 * of the resident number's digits (for M648-2, no PIN holding 6482: pin.c pin_is_number).
 */
export function randomPin(number = '') {
  const digits = String(number).replace(/[^0-9]/g, '');
  const fromNumber = (pin) => digits.length >= 4 && (digits.includes(pin) || pin.includes(digits));
  for (;;) {
    const d = [crypto.randomInt(1, 10)];
    while (d.length < 6) {
      const prev = d[d.length - 1];
      const next = crypto.randomInt(0, 10);
      if (Math.abs(next - prev) % 9 <= 1) continue; // the same digit, or one apart (9 and 0 too)
      d.push(next);
    }
    const pin = d.join('');
    if (d[0] !== d[2] && d[0] !== d[3] && !COMMON_PINS.has(pin) && !fromNumber(pin)) return pin;
  }
}

/** Facility ids are looked up by exact name in the directory (the data file is the reference). */
export async function facilityIdByName(srv, name) {
  const res = await srv.get(`/api/v1/facilities?q=${encodeURIComponent(name)}&limit=50`);
  assert.equal(res.status, 200, `search ${name}: ${describeRes(res)}`);
  const hit = res.json.items.find((f) => f.name === name);
  assert.ok(hit, `facility ${name} not found in the directory`);
  return hit.id;
}

export class World {
  constructor() {
    this.srv = null;
    this.sink = null;
    this.dir = null;
    this.clockOffset = 0;
    this.servers = [];
    this.sandbox = null;
    this.processorArgs = [];
    this.fundingKeys = 0;
  }

  /**
   * opts: smtp (start a sink and deliver to it), clockOffset (seconds), extraArgs, env (added to
   * kite's environment), processor (false: no card processor at all; otherwise a `kite
   * processor-sandbox` is started unless extraArgs name one, so that tests can top up with its
   * test cards), sqlite (a kite.db file even when the suite runs on PostgreSQL).
   */
  static async start(opts = {}) {
    const w = new World();
    w.sqlite = Boolean(opts.sqlite);
    if (opts.smtp) {
      w.sink = new SmtpSink();
      await w.sink.start();
    }
    w.env = opts.env || {};
    const extra = opts.extraArgs || [];
    const i = extra.indexOf('--processor');
    if (i >= 0) {
      w.processorArgs = extra.slice(i, i + 2);
    } else if (opts.processor !== false) {
      // Messages are paid for: every world can top up with the sandbox's test cards (fundContact).
      w.sandbox = await startSandbox();
      w.processorArgs = ['--processor', w.sandbox.baseUrl];
    }
    await w.#boot(opts.clockOffset || 0, i >= 0 ? extra : [...extra, ...w.processorArgs]);
    return w;
  }

  async #boot(clockOffset, extraArgs = []) {
    const args = [...extraArgs];
    if (this.sink) args.push('--smtp', this.sink.url);
    args.push('--public-url', PUBLIC_URL);
    const env = { ...(this.env || {}) };
    if (clockOffset) {
      args.push('--test-clock-offset', String(clockOffset));
      env.KITE_ALLOW_TEST_CLOCK = '1';
    }
    this.srv = await startServer({ dir: this.dir || undefined, extraArgs: args, env, sqlite: this.sqlite });
    this.dir = this.srv.dir;
    this.clockOffset = clockOffset;
  }

  get dbPath() { return this.srv.dbPath; }

  /** Stops the server (cleanly) and starts it again on the same database with the clock offset given (seconds). */
  async restart({ clockOffset = 0 } = {}) {
    await this.srv.stopAndAssertClean();
    await this.#boot(clockOffset, this.processorArgs);
  }

  async close() {
    if (this.srv) await this.srv.cleanup();
    if (this.sink) await this.sink.stop();
    if (this.sandbox) await this.sandbox.cleanup();
  }

  // --- HTTP shortcuts --------------------------------------------------------
  get(p, token) { return this.srv.request('GET', p, { token }); }
  post(p, body, token, opts = {}) { return this.srv.request('POST', p, { body, token, ...opts }); }
  put(p, body, token) { return this.srv.request('PUT', p, { body, token }); }
  patch(p, body, token) { return this.srv.request('PATCH', p, { body, token }); }
  del(p, token) { return this.srv.request('DELETE', p, { token }); }

  // --- people ----------------------------------------------------------------
  /** An account made with `kite user add` (operator, or staff with facility), signed in. */
  async cliUser(role, facility) {
    const email = uniqueEmail(role);
    const password = strongPassword();
    const r = await userAdd(this.dbPath, { role, email, password, facility });
    assert.equal(r.code, 0, `kite user add ${role}: ${r.code} ${r.stdout} ${r.stderr}`);
    const s = await session(this.srv, email, password);
    return { token: s.token, csrf: s.csrf_token, account: s.account, email, password };
  }

  operator() { return this.cliUser('operator'); }

  /** Staff created through the API by `token` (operator or that facility's admin), signed in. */
  async staff(token, facilityId, role) {
    const email = uniqueEmail(role);
    const password = strongPassword();
    const res = await this.post(`/api/v1/facilities/${facilityId}/staff`, { email, full_name: `Staff ${role}`, role, password }, token);
    assert.equal(res.status, 201, `create ${role} at ${facilityId}: ${describeRes(res)}`);
    assert.equal(res.json.role, role);
    const s = await session(this.srv, email, password);
    return { token: s.token, account: s.account, email, password };
  }

  /** A registered, signed-in contact. */
  async contact(overrides = {}) {
    const reg = await register(this.srv, overrides);
    const s = await session(this.srv, reg.email, reg.password);
    return { token: s.token, account: s.account, email: reg.email, password: reg.password, full_name: reg.full_name };
  }

  async signInAgain(person) {
    if (person.pin !== undefined) return this.residentSignIn(person);
    const s = await session(this.srv, person.email, person.password);
    person.token = s.token;
    return person;
  }

  async putPolicy(token, facilityId, body, expected = [200, 201]) {
    const res = await this.put(`/api/v1/facilities/${facilityId}/policy`, body, token);
    assertStatus(res, expected, `PUT policy ${facilityId} ${JSON.stringify(body)}:`);
    return res.json;
  }

  /** Adds a resident with a PIN (201 asserted). Returns {resident, facility_id, number, pin}. */
  async addResident(token, facilityId, { number, first_name = 'Alex', last_name = 'Rivera', pin: given } = {}) {
    const pin = given === undefined ? randomPin(number) : given;
    const body = { resident_number: number, first_name, last_name };
    if (pin !== null) body.pin = pin;
    const res = await this.post(`/api/v1/facilities/${facilityId}/residents`, body, token);
    assert.equal(res.status, 201, `add resident ${number} at ${facilityId}: ${describeRes(res)}`);
    return { resident: res.json, facility_id: facilityId, number, pin, first_name, last_name };
  }

  /** Signs a resident in (201 asserted) and stores the token on it. */
  async residentSignIn(r) {
    const res = await this.post('/api/v1/sessions', { facility_id: r.facility_id, resident_number: r.number, pin: r.pin });
    assert.equal(res.status, 201, `resident sign-in ${r.facility_id}/${r.number}: ${describeRes(res)}`);
    assert.equal(res.json.account.role, 'resident');
    r.token = res.json.token;
    return r;
  }

  /** addResident + residentSignIn. */
  async resident(token, facilityId, opts) {
    const r = await this.addResident(token, facilityId, opts);
    return this.residentSignIn(r);
  }

  // --- money -----------------------------------------------------------------
  /** A fresh Idempotency-Key for a funding step. */
  fundingKey(what) { return `bb-fund-${what}-${process.pid}-${++this.fundingKeys}`; }

  /** Tops up a contact's balance with the sandbox's approved test card (201 asserted); returns the top-up. */
  async topUp(contact, amountCents = 5000) {
    const card = { number: CARDS.approved, exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' };
    const res = await this.srv.request('POST', '/api/v1/wallet/top-ups', {
      body: { amount_cents: amountCents, card }, token: contact.token, headers: { 'Idempotency-Key': this.fundingKey('top-up') },
    });
    assert.equal(res.status, 201, `top-up ${amountCents}: ${describeRes(res)}`);
    assert.equal(res.json.state, 'approved', `top-up ${amountCents}: ${describeRes(res)}`);
    return res.json;
  }

  /** Buys a bundle of count stamps or credits for facilityId from the contact's balance (201 asserted). */
  async buyBundle(contact, facilityId, unit, count) {
    const res = await this.srv.request('POST', '/api/v1/wallet/bundles', {
      body: { facility_id: facilityId, unit, count }, token: contact.token, headers: { 'Idempotency-Key': this.fundingKey('bundle') },
    });
    assert.equal(res.status, 201, `buy ${count} ${unit}: ${describeRes(res)}`);
    return res.json;
  }

  /**
   * What a contact needs to write to a resident at facilityId under profile: a balance, and
   * under jpay (stamps) or connectnetwork (credits) the largest bundle.  Federal messages cost
   * contacts nothing, so a federal contact is left as is.
   */
  async fundContact(contact, facilityId, profile) {
    if (profile === 'federal') return;
    await this.topUp(contact, 5000);
    if (profile === 'jpay') await this.buyBundle(contact, facilityId, 'stamps', 50);
    else if (profile === 'connectnetwork') await this.buyBundle(contact, facilityId, 'credits', 100);
  }

  /** A trust deposit by the facility (an operator's token), 201 asserted; returns the answer. */
  async trustDeposit(token, residentId, amountCents = 5000, memo = 'Wages') {
    const res = await this.post(`/api/v1/residents/${residentId}/trust-deposits`, { amount_cents: amountCents, memo }, token,
      { headers: { 'Idempotency-Key': this.fundingKey('trust') } });
    assert.equal(res.status, 201, `trust deposit ${amountCents} to ${residentId}: ${describeRes(res)}`);
    return res.json;
  }

  /** The resident's id (residents.id) of a person made by addResident, asking the API when it is not known. */
  async residentId(token, r) {
    if (r.resident && Number.isInteger(r.resident.id)) return r.resident.id;
    const res = await this.get(`/api/v1/facilities/${r.facility_id}/residents/${encodeURIComponent(r.number)}`, token);
    assert.equal(res.status, 200, `resident ${r.facility_id}/${r.number}: ${describeRes(res)}`);
    return res.json.id;
  }

  /** Trust money for a resident who writes from a jpay or connectnetwork facility (federal messages cost residents nothing). */
  async fundResident(token, r, profile) {
    if (profile === 'federal') return;
    await this.trustDeposit(token, await this.residentId(token, r), 5000);
  }

  // --- flows -----------------------------------------------------------------
  async invite(resident, email, expected = 201) {
    const res = await this.post('/api/v1/invitations', { email }, resident.token);
    if (expected === 201) assert.equal(res.status, 201, `invite ${email}: ${describeRes(res)}`);
    return res;
  }

  /** The newest invitation token mailed to `email` (from the SMTP sink, or the outbox when there is none). */
  async inviteToken(email, { after = 0 } = {}) {
    const mails = await this.mailsTo(email, { kind: 'invitation', count: after + 1 });
    const last = mails[mails.length - 1];
    const m = TOKEN_LINK_RE.exec(last.text);
    assert.ok(m, `no invitation link in the mail to ${email}: ${last.text}`);
    return m[1];
  }

  /** Invites and accepts: returns the contact JSON (201 asserted). */
  async connectByInvitation(resident, contact) {
    const before = (await this.mailsTo(contact.email, { kind: 'invitation', count: 0 })).length;
    await this.invite(resident, contact.email);
    const token = await this.inviteToken(contact.email, { after: before });
    const res = await this.post('/api/v1/invitations/accept', { token }, contact.token);
    assert.equal(res.status, 201, `accept: ${describeRes(res)}`);
    return res.json;
  }

  async request(contact, body, expected = 201) {
    // Each family asks from an address of its own, as families do: the server slows an address that
    // looks up many residents (resident_lookup.h), and a whole test file of families on 127.0.0.1
    // would reach that limit sooner the faster the machine runs it.
    contact.address ??= freshAddress();
    const res = await this.srv.request('POST', '/api/v1/contact-requests',
      { body, token: contact.token, localAddress: contact.address });
    if (expected === 201) assert.equal(res.status, 201, `request ${JSON.stringify(body)}: ${describeRes(res)}`);
    return res;
  }

  async decide(resident, requestId, verb) {
    return this.post(`/api/v1/contact-requests/${requestId}/${verb}`, undefined, resident.token);
  }

  /** Contact requests by number and the resident approves: returns the contact item as the contact sees it. */
  async connectByRequest(resident, contact) {
    const q = await this.request(contact, { facility_id: resident.facility_id, resident_number: resident.number });
    const d = await this.decide(resident, q.json.id, 'approve');
    assert.equal(d.status, 200, `approve: ${describeRes(d)}`);
    const item = (await this.contacts(contact)).find((c) => c.resident.resident_number === resident.number && c.facility.id === resident.facility_id);
    assert.ok(item, 'approved contact not in the contact list');
    return item;
  }

  async contacts(person) {
    const res = await this.get('/api/v1/contacts', person.token);
    assert.equal(res.status, 200, `GET contacts: ${describeRes(res)}`);
    assert.ok(Array.isArray(res.json.items));
    return res.json.items;
  }

  // --- mail ------------------------------------------------------------------
  /**
   * Mails to `address`, parsed ({subject, text, html, kind?, message}); waits until at least
   * `count` arrived. With a sink: SMTP messages. Without: outbox rows.
   */
  async mailsTo(address, { kind, count = 1, timeoutMs = 15_000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = this.sink ? this.#sinkMails(address) : this.#outboxMails(address);
      const matching = kind ? list.filter((m) => m.kind === kind) : list;
      if (matching.length >= count) return matching;
      if (Date.now() > deadline) {
        assert.fail(`expected ${count} ${kind || ''} mail(s) to ${address}; got ${matching.length}: ${JSON.stringify(list.map((m) => m.subject))}`);
      }
      await sleep(100);
    }
  }

  #sinkMails(address) {
    return this.sink.messagesTo(address).map((m) => {
      const p = parseMessage(m.data);
      const subject = p.header('subject') || '';
      return { subject, text: p.text || '', html: p.html || '', kind: guessKind(p.text || '', subject), message: p, raw: m };
    });
  }

  #outboxMails(address) {
    const mail = sqlJsonObject("'subject', subject, 'text', text_body, 'html', html_body, 'kind', kind, 'status', status");
    const out = sqlite(this.dbPath, `SELECT ${sqlJsonArray(mail)} FROM (SELECT * FROM outbox WHERE lower(to_address) = lower('${address.replace(/'/g, "''")}') ORDER BY id) AS q`);
    return JSON.parse(out.trim() || '[]');
  }

  /** Waits until the outbox has nothing pending (the worker delivered everything); returns the status counts. */
  async outboxDrained(timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = this.sql("SELECT status || ':' || COUNT(*) FROM outbox GROUP BY status ORDER BY status");
      if (!/pending/.test(counts) || Date.now() > deadline) return counts;
      await sleep(200);
    }
  }

  async auditOk() {
    const r = await auditVerify(this.dbPath);
    assert.equal(r.code, 0, `kite audit verify failed (${r.code}): ${r.stdout} ${r.stderr}`);
    return r;
  }

  auditRows(where = '1=1') {
    const row = sqlJsonObject("'id', id, 'actor', actor, 'action', action, 'target', target, 'detail', detail");
    const out = sqlite(this.dbPath, `SELECT ${sqlJsonArray(row)} FROM (SELECT * FROM audit_log WHERE ${where} ORDER BY id) AS q`);
    return JSON.parse(out.trim() || '[]');
  }

  sql(q) { return sqlite(this.dbPath, q).trim(); }
}

function guessKind(text, subject) {
  if (TOKEN_LINK_RE.test(text)) return 'invitation';
  if (/has moved/.test(subject)) return 'resident_moved';
  if (/contact request was declined|You can now write to/.test(subject)) return 'request_decided';
  return 'other';
}

/** `kite serve` with the given args and env (nothing else from this process's env about the test clock). */
export function runServe(args, env = {}) {
  return new Promise((resolve) => {
    const base = { ...process.env };
    delete base.KITE_ALLOW_TEST_CLOCK;
    const p = spawn(KITE_BIN, ['serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...base, ...env } });
    const out = [];
    const err = [];
    p.stdout.on('data', (c) => out.push(c));
    p.stderr.on('data', (c) => err.push(c));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

export {
  assert, assertError, assertStatus, cli, sleep, uniqueEmail, strongPassword, sqlite, KITE_BIN, DATA_DIR, fs, path,
  RFC3339_UTC as RFC3339,
};
