// Investigators (issue "Oversight with limits", item 1): a facility's
// investigators search its messages by words and phrases in both languages'
// stems, by person, dates, status and screening rule, ranked and paged; see
// who writes to whom; another facility's investigator gets 404, other staff
// 403; every search and every message opened is on the audit record, and
// `kite audit verify` still passes.  Runs on SQLite (FTS5 + kite_stem) and on
// PostgreSQL (the GIN tsvector index) alike.
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, onPlatform, pair, send, decide, getMsg, describeRes,
} from './lib/messaging.mjs';
import { RFC3339_UTC } from './lib/kite.mjs';

let w;
let op;
let A; // jpay, every message reviewed
let B; // another facility on the platform
let invA;
let invB;
let revA;
let adminA;
let p1; // resident 1 and contact Carmen
let p2; // resident 2 and the same Carmen: a contact who writes to two residents
let p3; // resident 3 and another contact
let pB; // a pair at B
let ruleId;
const m = {}; // name → message
let searches = 0; // searches by invA that must be on the record

const path = (params) => `/api/v1/investigations/messages?${new URLSearchParams(params)}`;

async function search(who, params, status = 200) {
  const res = await w.get(path(params), who.token);
  if (status !== 200) return res;
  assert.equal(res.status, 200, `search ${JSON.stringify(params)}: ${describeRes(res)}`);
  assert.ok(Array.isArray(res.json.items));
  assert.ok('next_cursor' in res.json);
  if (who === invA) searches += 1;
  return res.json;
}

/** The ids a search of facility A finds (one page, up to 100). */
async function ids(params) {
  const page = await search(invA, { facility_id: A, limit: 100, ...params });
  return page.items.map((x) => x.id).sort((a, b) => a - b);
}

const sorted = (...xs) => xs.map((x) => x.id).sort((a, b) => a - b);

before(async () => {
  w = await World.start();
  op = await w.operator();
  A = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay' });
  B = await onPlatform(w, op, 'CALIFORNIA STATE PRISON, CORCORAN (COR)', { profile: 'jpay' });
  invA = await w.staff(op.token, A, 'investigator');
  invB = await w.staff(op.token, B, 'investigator');
  revA = await w.staff(op.token, A, 'reviewer');
  adminA = await w.staff(op.token, A, 'facility_admin');
  const rule = await w.post(`/api/v1/facilities/${A}/screening-rules`, { kind: 'words', value: 'contraband', action: 'flag' }, adminA.token);
  assert.equal(rule.status, 201, `rule: ${describeRes(rule)}`);
  ruleId = rule.json.id;
  p1 = await pair(w, op, A, 'jpay', { contactName: 'Carmen Ruiz', residentNames: { first_name: 'Luis', last_name: 'Ortega' } });
  p2 = await pair(w, op, A, 'jpay', { contact: p1.contact, residentNames: { first_name: 'Ana', last_name: 'Reyes' } });
  p3 = await pair(w, op, A, 'jpay', { contactName: 'Tom Baker', residentNames: { first_name: 'Sam', last_name: 'Hill' } });
  pB = await pair(w, op, B, 'jpay', { contactName: 'Bea Other' });
  m.visit = await send(w, p1.contact, p1.contactId, 'Saturday', 'I will visit you on Saturday and bring the money order.');
  m.reply = await send(w, p1.resident, p1.contactId, 'Re: Saturday', 'Thank you. Please talk to my lawyer first.');
  m.abogado = await send(w, p2.contact, p2.contactId, 'Noticias', 'Hablé con el abogado sobre la cárcel y la audiencia.');
  m.order = await send(w, p3.contact, p3.contactId, 'Phone', 'Can you order more money for the phone?');
  m.rule = await send(w, p3.resident, p3.contactId, 'Nothing', 'There is no contraband in this letter.');
  m.old = await send(w, p2.resident, p2.contactId, 'Old news', 'An older letter about the garden.');
  m.other = await send(w, pB.contact, pB.contactId, 'Saturday at B', 'I will visit on Saturday too.');
  // Dates: the old letter was sent in January 2025, the rest now.
  w.sql(`UPDATE messages SET created_at = ${Date.parse('2025-01-15T12:00:00Z')} WHERE id = ${m.old.id}`);
  await decide(w, revA, m.visit.id, 'approve');
});
after(async () => { if (w) await w.close(); });

test('a word finds the messages that hold it, and only those of the facility', async () => {
  assert.deepEqual(await ids({ q: 'saturday' }), sorted(m.visit, m.reply));
  assert.deepEqual(await ids({ q: 'GARDEN' }), sorted(m.old), 'case is folded');
  assert.deepEqual(await ids({ q: 'lawyer thank' }), sorted(m.reply), 'every word must match');
  assert.deepEqual(await ids({ q: 'lawyer garden' }), [], 'every word must match');
  const atB = await search(invB, { facility_id: B, q: 'saturday' });
  assert.deepEqual(atB.items.map((x) => x.id), [m.other.id]);
});

test('English stems: "visiting" finds "visit", "orders" finds "order"', async () => {
  assert.deepEqual(await ids({ q: 'visiting' }), sorted(m.visit));
  assert.deepEqual(await ids({ q: 'orders' }), sorted(m.visit, m.order));
});

test('Spanish stems and accents: "abogados" finds "abogado", "carcel" finds "cárcel", "hable" finds "Hablé"', async () => {
  assert.deepEqual(await ids({ q: 'abogados' }), sorted(m.abogado));
  assert.deepEqual(await ids({ q: 'carcel' }), sorted(m.abogado));
  assert.deepEqual(await ids({ q: 'cárceles' }), sorted(m.abogado));
  assert.deepEqual(await ids({ q: 'hable' }), sorted(m.abogado));
  assert.deepEqual(await ids({ q: 'audiencias abogado' }), sorted(m.abogado));
});

test('a phrase in quotes matches only the words in that order, next to each other', async () => {
  assert.deepEqual(await ids({ q: 'money order' }), sorted(m.visit, m.order));
  assert.deepEqual(await ids({ q: '"money order"' }), sorted(m.visit));
  assert.deepEqual(await ids({ q: '"order money"' }), []);
  assert.deepEqual(await ids({ q: '"money order" saturday' }), sorted(m.visit));
});

test('each item: sender and recipient with names and resident number, status, time, subject, a plain snippet with its marks, rank', async () => {
  const page = await search(invA, { facility_id: A, q: 'visiting' });
  assert.equal(page.items.length, 1);
  const it = page.items[0];
  assert.equal(it.id, m.visit.id);
  assert.match(it.sent_at, RFC3339_UTC);
  assert.equal(it.status, 'delivered');
  assert.equal(it.subject, 'Saturday');
  assert.deepEqual(it.sender, { account_id: p1.contact.account.id, name: 'Carmen Ruiz', resident_number: null, kind: 'contact' });
  assert.equal(it.recipient.kind, 'resident');
  assert.equal(it.recipient.resident_number, p1.resident.number);
  assert.equal(it.recipient.account_id, p1.resident.account.id);
  assert.equal(it.rank, 1);
  assert.equal(typeof it.snippet, 'string');
  assert.ok(it.snippet.includes('visit you on Saturday'), it.snippet);
  const cps = [...it.snippet];
  const marked = it.marks.map(([s, e]) => cps.slice(s, e).join(''));
  assert.deepEqual(marked, ['visit']);
  // Accented words are marked whole, with offsets in code points.
  const es = (await search(invA, { facility_id: A, q: 'carcel abogados' })).items[0];
  const escps = [...es.snippet];
  assert.deepEqual(es.marks.map(([s, e]) => escps.slice(s, e).join('')), ['abogado', 'cárcel']);
});

test('by person: a resident number, a contact\'s email, contact:ID', async () => {
  assert.deepEqual(await ids({ person: p1.resident.number }), sorted(m.visit, m.reply));
  assert.deepEqual(await ids({ person: p1.contact.email }), sorted(m.visit, m.reply, m.abogado, m.old));
  assert.deepEqual(await ids({ person: p1.contact.email.toUpperCase() }), sorted(m.visit, m.reply, m.abogado, m.old));
  assert.deepEqual(await ids({ person: `contact:${p3.contact.account.id}` }), sorted(m.order, m.rule));
  assert.deepEqual(await ids({ person: p2.resident.number, q: 'abogado' }), sorted(m.abogado));
  assert.deepEqual(await ids({ person: pB.resident.number }), [], 'a resident of another facility is nobody here');
  assert.deepEqual(await ids({ person: 'nobody@example.org' }), []);
});

test('by dates: from and to as days (inclusive) or RFC 3339 times', async () => {
  assert.deepEqual(await ids({ from: '2025-01-01', to: '2025-01-31' }), sorted(m.old));
  assert.deepEqual(await ids({ from: '2025-01-15', to: '2025-01-15' }), sorted(m.old));
  assert.deepEqual(await ids({ from: '2025-01-16', to: '2025-12-31' }), []);
  assert.deepEqual(await ids({ to: '2025-01-15T12:00:00Z' }), sorted(m.old));
  assert.deepEqual(await ids({ to: '2025-01-15T11:59:59Z' }), []);
  assert.equal((await ids({ from: '2025-02-01' })).length, 5);
  for (const [field, value] of [['from', '2025-13-01'], ['to', 'yesterday'], ['from', '15/01/2025']]) {
    const e = assertError(await search(invA, { facility_id: A, [field]: value }, 422), 422, 'invalid_field');
    assert.equal(e.field, field);
  }
});

test('by status and by the screening rule matched', async () => {
  assert.deepEqual(await ids({ status: 'delivered' }), sorted(m.visit));
  assert.equal((await ids({ status: 'pending_review' })).length, 5);
  assert.deepEqual(await ids({ rule: ruleId }), sorted(m.rule));
  assert.deepEqual(await ids({ rule: ruleId, q: 'letter' }), sorted(m.rule));
  const bad = assertError(await search(invA, { facility_id: A, status: 'lost' }, 422), 422, 'invalid_field');
  assert.equal(bad.field, 'status');
  assert.equal(assertError(await search(invA, { facility_id: A, rule: 'x' }, 422), 422, 'invalid_field').field, 'rule');
});

test('paging: limit and next_cursor walk every result once, ranks in order; a bad cursor is 422', async () => {
  for (const q of [undefined, 'the']) {
    const seen = [];
    let cursor = null;
    for (let i = 0; i < 20; i++) {
      const params = { facility_id: A, limit: 2 };
      if (q) params.q = q;
      if (cursor) params.cursor = cursor;
      const page = await search(invA, params);
      assert.ok(page.items.length <= 2);
      for (const it of page.items) seen.push(it);
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    assert.deepEqual(seen.map((x) => x.rank), seen.map((_, i) => i + 1), `ranks for q=${q}`);
    const all = seen.map((x) => x.id);
    assert.equal(new Set(all).size, all.length, 'a message shown twice');
    if (!q) {
      assert.deepEqual([...all].sort((a, b) => a - b), sorted(m.visit, m.reply, m.abogado, m.order, m.rule, m.old));
      assert.equal(all[all.length - 1], m.old.id, 'without words the newest come first');
    }
  }
  for (const cursor of ['abc', '-1', '99999999']) {
    assert.equal(assertError(await search(invA, { facility_id: A, cursor }, 422), 422, 'invalid_field').field, 'cursor');
  }
  assert.equal(assertError(await search(invA, { facility_id: A, limit: 101 }, 422), 422, 'invalid_field').field, 'limit');
});

test('who may search: another facility\'s investigator 404, reviewer and admin 403, no token 401, operator anywhere', async () => {
  assertError(await search(invB, { facility_id: A, q: 'saturday' }, 404), 404, 'not_found');
  assertError(await w.get(`/api/v1/investigations/correspondents?facility_id=${A}&resident_number=${p1.resident.number}`, invB.token), 404, 'not_found');
  assertError(await search(revA, { facility_id: A, q: 'saturday' }, 403), 403, 'forbidden');
  assertError(await search(adminA, { facility_id: A }, 403), 403, 'forbidden');
  assertError(await search(p1.contact, { facility_id: A }, 403), 403, 'forbidden');
  assertError(await search(p1.resident, { facility_id: A }, 403), 403, 'forbidden');
  assertError(await w.get(path({ facility_id: A, q: 'saturday' })), 401, 'unauthenticated');
  const byOp = await search(op, { facility_id: A, q: 'saturday' });
  assert.equal(byOp.items.length, 2);
  // An investigator's own facility is the default.
  const own = await search(invA, { q: 'saturday' });
  assert.equal(own.items.length, 2);
  assert.equal(assertError(await search(op, { q: 'saturday' }, 422), 422, 'invalid_field').field, 'facility_id');
});

test('hostile search text: query syntax is only words, never 500; too long, not UTF-8 or wordless is 422 naming q', async () => {
  const harmless = ['saturday"', '"saturday', 'saturday OR garden', 'NEAR(saturday visit)', 'sat*', '-saturday',
    '^saturday', 'subject:saturday', 'saturday AND NOT garden', '(saturday', 'saturday)', "sat'urday", 'saturday\\',
    '"" saturday ""', 'saturday & | ! <-> :*', '¿saturday?'];
  for (const q of harmless) {
    const res = await search(invA, { facility_id: A, q }, 0);
    assert.equal(res.status, 200, `q=${q}: ${describeRes(res)}`);
    searches += 1;
  }
  assert.deepEqual(await ids({ q: 'saturday OR garden' }), [], '"or" is a word here, not an operator');
  assert.deepEqual(await ids({ q: 'NEAR(saturday visit)' }), [], '"near" is a word too');
  const refused = [
    'x'.repeat(10 * 1024), '***', '"', '""', '¿?', 'a b c d e f g h i', '   ...   ',
  ];
  for (const q of refused) {
    const res = await search(invA, { facility_id: A, q }, 422);
    const e = assertError(res, 422, 'invalid_field', `q=${q.slice(0, 20)}:`);
    assert.equal(e.field, 'q');
  }
  for (const raw of ['%FF%FE', 'caf%C3', '%C3%28', '%ED%A0%80']) {
    const res = await w.get(`/api/v1/investigations/messages?facility_id=${A}&q=${raw}`, invA.token);
    assert.equal(assertError(res, 422, 'invalid_field', `q=${raw}:`).field, 'q');
  }
  for (const person of ['contact:', 'contact:x', 'contact:-3', 'p'.repeat(400)]) {
    assert.equal(assertError(await search(invA, { facility_id: A, person }, 422), 422, 'invalid_field').field, 'person');
  }
  // The sentence speaks Spanish when asked to.
  const es = await w.srv.request('GET', path({ facility_id: A, q: '***' }), { token: invA.token, headers: { 'Accept-Language': 'es' } });
  assert.match(assertError(es, 422, 'invalid_field').message, /palabra/);
});

test('who writes to whom: a resident\'s contacts, a contact\'s residents, counts each way, first and last', async () => {
  const r1 = await w.get(`/api/v1/investigations/correspondents?facility_id=${A}&resident_number=${p1.resident.number}`, invA.token);
  assert.equal(r1.status, 200, describeRes(r1));
  assert.equal(r1.json.person.resident_number, p1.resident.number);
  assert.equal(r1.json.items.length, 1);
  const carmen = r1.json.items[0];
  assert.equal(carmen.account_id, p1.contact.account.id);
  assert.equal(carmen.kind, 'contact');
  assert.equal(carmen.name, 'Carmen Ruiz');
  assert.equal(carmen.email, p1.contact.email);
  assert.equal(carmen.sent, 1, 'Luis wrote once to Carmen');
  assert.equal(carmen.received, 1, 'Carmen wrote once to Luis');
  assert.equal(carmen.residents, 2, 'Carmen writes to two residents here');
  assert.equal(carmen.first_at, m.visit.created_at);
  assert.equal(carmen.last_at, m.reply.created_at);

  const c = await w.get(`/api/v1/investigations/correspondents?facility_id=${A}&contact_id=${p1.contact.account.id}`, invA.token);
  assert.equal(c.status, 200, describeRes(c));
  assert.equal(c.json.person.name, 'Carmen Ruiz');
  const byNumber = Object.fromEntries(c.json.items.map((x) => [x.resident_number, x]));
  assert.deepEqual(Object.keys(byNumber).sort(), [p1.resident.number, p2.resident.number].sort());
  assert.deepEqual([byNumber[p1.resident.number].sent, byNumber[p1.resident.number].received], [1, 1]);
  assert.deepEqual([byNumber[p2.resident.number].sent, byNumber[p2.resident.number].received], [1, 1]);
  assert.equal(byNumber[p2.resident.number].first_at, '2025-01-15T12:00:00.000Z');
  assert.equal(byNumber[p2.resident.number].last_at, m.abogado.created_at);
  assert.equal(c.json.items[0].resident_number, p2.resident.number, 'the most recent correspondence first');

  const stranger = await w.get(`/api/v1/investigations/correspondents?facility_id=${A}&contact_id=${pB.contact.account.id}`, invA.token);
  assert.equal(stranger.status, 200);
  assert.deepEqual(stranger.json.items, []);
  assert.equal(stranger.json.person.name, null, 'no name for someone with no messages here');

  const none = await w.get(`/api/v1/investigations/correspondents?facility_id=${A}`, invA.token);
  assert.equal(assertError(none, 422, 'invalid_field').field, 'resident_number');
  const both = await w.get(`/api/v1/investigations/correspondents?facility_id=${A}&resident_number=${p1.resident.number}&contact_id=3`, invA.token);
  assert.equal(assertError(both, 422, 'invalid_field').field, 'resident_number');
  assertError(await w.get(`/api/v1/investigations/correspondents?facility_id=${A}&resident_number=NOPE-1`, invA.token), 404, 'not_found');
  assertError(await w.get(`/api/v1/investigations/correspondents?facility_id=${A}&contact_id=${p1.contact.account.id}`, revA.token), 403, 'forbidden');
});

test('the record: every search with its parameters and what it showed; every message opened; audit verify passes', async () => {
  const before = w.auditRows(`action = 'investigation.search' AND actor = 'account:${invA.account.id}'`).length;
  assert.equal(before, searches, 'a search by the investigator is missing from the audit');
  const marker = `saturday "money order" ${Date.now() % 1000}x`;
  const page = await search(invA, { facility_id: A, q: marker, person: p1.contact.email, from: '2020-01-01', status: 'delivered', limit: 5 });
  const rows = w.auditRows(`action = 'investigation.search' AND actor = 'account:${invA.account.id}'`);
  assert.equal(rows.length, before + 1);
  const last = rows[rows.length - 1];
  assert.equal(last.target, `facility:${A}`);
  const detail = new URLSearchParams(last.detail);
  assert.equal(detail.get('q'), marker);
  assert.equal(detail.get('person'), p1.contact.email);
  assert.equal(detail.get('from'), '2020-01-01');
  assert.equal(detail.get('status'), 'delivered');
  assert.equal(detail.get('limit'), '5');
  assert.equal(detail.get('messages'), page.items.map((x) => x.id).join(','));
  const shown = await search(invA, { facility_id: A, q: 'saturday' });
  const shownRow = w.auditRows(`action = 'investigation.search' AND actor = 'account:${invA.account.id}'`).pop();
  assert.deepEqual(new URLSearchParams(shownRow.detail).get('messages').split(',').map(Number), shown.items.map((x) => x.id));
  // Refused searches of another facility read nothing and record nothing of it.
  assert.equal(w.auditRows(`action = 'investigation.search' AND target = 'facility:${A}' AND actor = 'account:${invB.account.id}'`).length, 0);
  // Opening a message found: audited as a staff read by an investigator.
  const opened = await getMsg(w, invA, m.abogado.id);
  assert.equal(opened.body, m.abogado.body);
  const reads = w.auditRows(`action = 'message.staff_read' AND target = 'message:${m.abogado.id}' AND actor = 'account:${invA.account.id}'`);
  assert.equal(reads.length, 1);
  assert.match(reads[0].detail, /role=investigator/);
  await getMsg(w, invB, m.abogado.id, 404);
  const corr = w.auditRows(`action = 'investigation.correspondents' AND actor = 'account:${invA.account.id}'`);
  assert.ok(corr.length >= 3, 'the correspondents views are on the record');
  await w.auditOk();
});

test('a message sent after a search is found by the next search (the SQLite index catches up before it reads)', async () => {
  assert.deepEqual(await ids({ q: 'greenhouse' }), []);
  const late = await send(w, p3.contact, p3.contactId, 'Later', 'The greenhouse tomatoes are ripe.');
  assert.deepEqual(await ids({ q: 'greenhouse' }), [late.id]);
  assert.deepEqual(await ids({ q: 'tomato' }), [late.id]);
  await w.auditOk();
});
