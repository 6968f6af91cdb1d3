// Helpers for the messaging tests (issue 4): facilities with a policy, resident
// and contact pairs linked the way each profile links them, sending, reading,
// reviewing and screening. Built on lib/flows.mjs; no npm dependencies.
//
//   const w = await World.start();
//   const op = await w.operator();
//   const F = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay', review: 'flagged_only' });
//   const p = await pair(w, op, F, 'jpay');          // {resident, contact, contactId}
//   const m = await send(w, p.contact, p.contactId, 'Hi', 'Hello');   // 202 asserted
//   await decide(w, reviewer, m.id, 'approve');

import {
  World, assert, assertError, facilityIdByName, describeRes, bopNumber, anyNumber, uniqueEmail, RFC3339,
} from './flows.mjs';
import { sqlJsonArray, sqlJsonObject } from './kite.mjs';

export { World, assert, assertError, facilityIdByName, describeRes, bopNumber, anyNumber, uniqueEmail, RFC3339 };

export const REJECT_REASONS = [
  'security_threat', 'criminal_activity', 'explicit_content', 'coded_language', 'harassment', 'third_party_contact', 'other',
];

/** Text from many scripts, each exactly as a person would type it. */
export const SCRIPTS = {
  arabic: 'مرحبا يا أمي، كيف حالك؟ أشتاق إليك كثيراً.',
  hebrew: 'שלום אבא, מה שלומך? אני מתגעגע.',
  devanagari: 'नमस्ते माँ, आप कैसी हैं? मुझे आपकी याद आती है।',
  cjk: '你好，妈妈！我很想你。こんにちは、お元気ですか。안녕하세요, 보고 싶어요.',
  emoji_zwj: 'Family 👨‍👩‍👧‍👦, flags 🏳️‍🌈 🇲🇽, skin tones 👋🏽 👩🏿‍💻, keycap 1️⃣',
  combining: 'e\u0301 vs \u00e9, a\u0308\u0304, Z\u0351\u0366\u0307\u0350, \u0915\u094d\u0937, Nai\u0308ve cafe\u0301',
  mixed_bidi: 'Hello \u202Bעברית\u202C and العربية with 123 numbers',
  thai_greek_cyrillic: 'สวัสดีครับ · Γειά σου μαμά · Привет, мама!',
  astral: '𝕳𝖊𝖑𝖑𝖔 𐍈 𠜎𠜱 🀄 \u{1F9D1}\u{200D}\u{1F91D}\u{200D}\u{1F9D1}',
};

/** Number of Unicode code points (what the server counts as characters). */
export function chars(s) {
  return [...s].length;
}

/** Puts a policy on a facility found by name and returns its id. */
export async function onPlatform(w, op, name, policy) {
  const id = await facilityIdByName(w.srv, name);
  const res = await w.put(`/api/v1/facilities/${id}/policy`, policy, op.token);
  assert.ok(res.status === 200 || res.status === 201, `PUT policy ${name}: ${describeRes(res)}`);
  return id;
}

export async function setPolicy(w, op, facilityId, policy) {
  const res = await w.put(`/api/v1/facilities/${facilityId}/policy`, policy, op.token);
  assert.ok(res.status === 200 || res.status === 201, `PUT policy ${facilityId}: ${describeRes(res)}`);
  return res.json;
}

/** A signed-in resident at a facility with a number in the profile's format. */
export async function residentAt(w, op, facilityId, profile, names = {}) {
  const number = profile === 'federal' ? bopNumber() : anyNumber('M');
  const r = await w.resident(op.token, facilityId, { number, ...names });
  return withAccount(w, r);
}

/** Adds .account (GET /api/v1/me) to a signed-in person that lacks it. */
export async function withAccount(w, person) {
  if (!person.account) {
    const me = await w.get('/api/v1/me', person.token);
    assert.equal(me.status, 200, `GET me: ${describeRes(me)}`);
    person.account = me.json.account || me.json;
  }
  assert.ok(Number.isInteger(person.account.id), `no account id: ${JSON.stringify(person.account)}`);
  return person;
}

/**
 * A resident and a contact linked as the profile says (federal: the resident invites;
 * others: the contact asks and the resident approves). Returns
 * {resident, contact, contactId} where contactId is the shared contact id.
 */
export async function pair(w, op, facilityId, profile, { resident, contact, residentNames, contactName } = {}) {
  const r = await withAccount(w, resident || await residentAt(w, op, facilityId, profile, residentNames || {}));
  const c = contact || await w.contact({ full_name: contactName || 'Maria Lopez' });
  let contactId;
  if (profile === 'federal') {
    const linked = await w.connectByInvitation(r, c);
    contactId = linked.id;
  } else {
    const item = await w.connectByRequest(r, c);
    contactId = item.id;
  }
  assert.ok(Number.isInteger(contactId), 'no contact id');
  const seenByResident = (await w.contacts(r)).find((x) => x.contact.account_id === c.account.id);
  assert.ok(seenByResident, 'the resident does not list the new contact');
  assert.equal(seenByResident.id, contactId, 'the two sides see different contact ids');
  // Messages are paid for: both sides get what they need to write (nothing at a federal facility).
  await w.fundContact(c, facilityId, profile);
  await w.fundResident(op.token, r, profile);
  return { resident: r, contact: c, contactId };
}

// --- messages ------------------------------------------------------------------

/** POST /api/v1/messages; returns the raw response. */
export function post(w, who, body, key) {
  const headers = key !== undefined ? { 'Idempotency-Key': key } : {};
  return w.srv.request('POST', '/api/v1/messages', { body, token: who.token, headers });
}

/** Sends and asserts 202 with the message shape; returns the message JSON. */
export async function send(w, who, contactId, subject, body, { key, expectStatus } = {}) {
  const quoted = await quote(w, who, { contact_id: contactId, subject, body });
  const res = await post(w, who, { contact_id: contactId, subject, body }, key);
  assert.equal(res.status, 202, `send ${JSON.stringify(subject)}: ${describeRes(res)}`);
  const m = res.json;
  assert.ok(Number.isInteger(m.id), `no id: ${describeRes(res)}`);
  assert.equal(m.contact_id, contactId);
  assert.equal(m.subject, subject.trim());
  assert.equal(m.body, body);
  // The price charged is the price quoted, and nothing is charged twice for one message.
  assert.equal(m.price_cents, quoted.price_cents);
  assert.deepEqual(m.price, { unit: quoted.unit, amount: quoted.amount });
  if (quoted.amount === 0) assert.equal(m.hold, null, 'a free message takes no hold');
  else assert.deepEqual([m.hold.unit, m.hold.amount], [quoted.unit, quoted.amount]);
  assert.match(m.created_at, RFC3339);
  assert.ok(Array.isArray(m.history), 'the sender gets the history');
  assert.equal(m.history[0].status, 'pending_review');
  if (expectStatus) assert.equal(m.status, expectStatus, `status of ${m.id}`);
  assert.equal(m.matched_rules, undefined, 'screening details leaked to the sender');
  assert.equal(m.held, undefined, 'held leaked to the sender');
  assert.equal(m.flagged, undefined, 'flagged leaked to the sender');
  return m;
}

/** POST /api/v1/messages/quote (200 asserted); returns the quote. */
export async function quote(w, who, body) {
  const res = await w.srv.request('POST', '/api/v1/messages/quote', { body, token: who.token });
  assert.equal(res.status, 200, `quote: ${describeRes(res)}`);
  return res.json;
}

export async function getMsg(w, who, id, status = 200) {
  const res = await w.get(`/api/v1/messages/${id}`, who.token);
  if (status === 200) assert.equal(res.status, 200, `GET message ${id}: ${describeRes(res)}`);
  else assertError(res, status, status === 404 ? 'not_found' : undefined, `GET message ${id}:`);
  return res.json;
}

/** GET /api/v1/messages with the query given; asserts 200 and returns the page. */
export async function list(w, who, query = 'box=inbox') {
  const res = await w.get(`/api/v1/messages?${query}`, who.token);
  assert.equal(res.status, 200, `GET messages?${query}: ${describeRes(res)}`);
  assert.ok(Array.isArray(res.json.items));
  assert.ok('next_cursor' in res.json);
  assert.equal(typeof res.json.unread, 'number');
  return res.json;
}

/** Every item of a box, following next_cursor. */
export async function listAll(w, who, query = 'box=inbox', limit = 100) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < 1000; i++) {
    const page = await list(w, who, `${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
  throw new Error('pagination did not end');
}

export async function markRead(w, who, id) {
  const res = await w.post(`/api/v1/messages/${id}/read`, undefined, who.token);
  assert.equal(res.status, 200, `read ${id}: ${describeRes(res)}`);
  assert.equal(res.json.status, 'read');
  return res.json;
}

// --- review ----------------------------------------------------------------------

export function decideRaw(w, staff, id, decision, reason, note) {
  const body = { decision };
  if (reason !== undefined) body.reason = reason;
  if (note !== undefined) body.note = note;
  return w.post(`/api/v1/review/${id}`, body, staff.token);
}

export async function decide(w, staff, id, decision, reason, note) {
  const res = await decideRaw(w, staff, id, decision, reason, note);
  assert.equal(res.status, 200, `${decision} ${id}: ${describeRes(res)}`);
  assert.equal(res.json.id, id);
  assert.equal(res.json.status, decision === 'approve' ? 'delivered' : 'rejected',
    `after ${decision} (delivery happens with the approval)`);
  return res.json;
}

export async function queue(w, staff, facilityId, extra = '') {
  const res = await w.get(`/api/v1/review/queue?facility_id=${facilityId}${extra}`, staff.token);
  assert.equal(res.status, 200, `queue ${facilityId}: ${describeRes(res)}`);
  assert.ok(Array.isArray(res.json.items));
  assert.equal(typeof res.json.metrics, 'object');
  return res.json;
}

export async function addRule(w, admin, facilityId, rule) {
  const res = await w.post(`/api/v1/facilities/${facilityId}/screening-rules`, rule, admin.token);
  assert.equal(res.status, 201, `add rule ${JSON.stringify(rule)}: ${describeRes(res)}`);
  assert.ok(Number.isInteger(res.json.id));
  return res.json;
}

export async function removeRule(w, admin, facilityId, ruleId) {
  const res = await w.del(`/api/v1/facilities/${facilityId}/screening-rules/${ruleId}`, admin.token);
  assert.equal(res.status, 204, `remove rule ${ruleId}: ${describeRes(res)}`);
}

/** Statuses of a history, and asserts its times are RFC 3339 and never go back. */
export function historyStatuses(m) {
  assert.ok(Array.isArray(m.history), `no history on ${m.id}`);
  let last = 0;
  for (const h of m.history) {
    assert.match(h.at, RFC3339, `history time ${h.at}`);
    const t = Date.parse(h.at);
    assert.ok(t >= last, `history goes back in time: ${JSON.stringify(m.history)}`);
    last = t;
  }
  return m.history.map((h) => h.status);
}

/** Outbox rows (JSON) of a kind, optionally to one address. */
export function outbox(w, kind, to) {
  const where = [`kind = '${kind}'`];
  if (to) where.push(`lower(to_address) = lower('${to.replace(/'/g, "''")}')`);
  const mail = sqlJsonObject("'to', to_address, 'subject', subject, 'text', text_body, 'html', html_body");
  const out = w.sql(`SELECT ${sqlJsonArray(mail)} FROM (SELECT * FROM outbox WHERE ${where.join(' AND ')} ORDER BY id) AS q`);
  return JSON.parse(out || '[]');
}

/** Asserts that no outbox mail mentions any of the texts (subject, text or HTML). */
export function assertNoTextInMail(w, texts) {
  const mail = sqlJsonObject("'kind', kind, 'subject', subject, 'text', text_body, 'html', html_body");
  const all = JSON.parse(w.sql(`SELECT ${sqlJsonArray(mail)} FROM outbox`) || '[]');
  for (const mail of all) {
    for (const t of texts) {
      const needle = t.length > 40 ? t.slice(0, 40) : t;
      for (const part of ['subject', 'text', 'html']) {
        assert.ok(!mail[part].includes(needle), `a ${mail.kind} mail carries message text ${JSON.stringify(needle)} in its ${part}`);
      }
    }
  }
}

// --- mbox ------------------------------------------------------------------------

function decodeWords(value) {
  return value.replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=(\s+(?==\?UTF-8\?B\?))?/gi,
    (_, b64) => Buffer.from(b64, 'base64').toString('utf8'));
}

/**
 * Parses an mboxrd file (LF line ends): messages split on "From " lines, headers
 * unfolded and RFC 2047 decoded, bodies with one level of ">From " quoting removed
 * and the blank separator line dropped. Returns [{fromLine, headers, body}].
 */
export function parseMbox(text) {
  const lines = text.split('\n');
  const msgs = [];
  let cur = null;
  let inBody = false;
  let prevBlank = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (prevBlank && line.startsWith('From ')) {
      if (cur) msgs.push(cur);
      cur = { fromLine: line, headerLines: [], bodyLines: [] };
      inBody = false;
      prevBlank = false;
      continue;
    }
    assert.ok(cur, `mbox does not start with a From_ line: ${JSON.stringify(line)}`);
    if (!inBody) {
      if (line === '') { inBody = true; prevBlank = true; continue; }
      if (/^[ \t]/.test(line)) {
        assert.ok(cur.headerLines.length, 'continuation line before any header');
        cur.headerLines[cur.headerLines.length - 1] += line.replace(/^[ \t]+/, ' ');
      } else {
        assert.match(line, /^[\x21-\x39\x3b-\x7e]+: /, `not a header line: ${JSON.stringify(line)}`);
        cur.headerLines.push(line);
      }
    } else {
      cur.bodyLines.push(line);
    }
    prevBlank = line === '';
  }
  if (cur) msgs.push(cur);
  return msgs.map((m) => {
    const headers = {};
    for (const h of m.headerLines) {
      const i = h.indexOf(': ');
      headers[h.slice(0, i).toLowerCase()] = decodeWords(h.slice(i + 2));
    }
    const body = [...m.bodyLines];
    // The separator before the next From_ line (and the file's final newline).
    while (body.length && body[body.length - 1] === '') body.pop();
    return { fromLine: m.fromLine, headers, body: body.map((l) => l.replace(/^>(>*From )/, '$1')).join('\n') };
  });
}
