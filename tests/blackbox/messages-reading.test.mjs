// Reading and keeping messages (issue 4): Idempotency-Key on sending (replay,
// reuse with another body, racing repeats); cursor pagination with no
// duplicates while new messages keep arriving; "delete" hides a message from
// the caller only; export as JSON and as an mbox that parses back to exactly
// what was sent and received; staff reads audited; `kite audit verify` passes.
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, RFC3339, onPlatform, pair, post, send, getMsg, list, listAll, markRead, decide, queue,
  parseMbox, describeRes, SCRIPTS,
} from './lib/messaging.mjs';

let w;
let op;
let FO; // jpay, review flagged_only: messages delivered at once
let A; // jpay, review all
let revA;

before(async () => {
  w = await World.start();
  op = await w.operator();
  FO = await onPlatform(w, op, 'CALIFORNIA STATE PRISON, CORCORAN (COR)', { profile: 'jpay', review: 'flagged_only' });
  A = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay' });
  revA = await w.staff(op.token, A, 'reviewer');
});
after(async () => { if (w) await w.close(); });

const count = (where = '1=1') => Number(w.sql(`SELECT COUNT(*) FROM messages WHERE ${where}`));

test('Idempotency-Key: a replay answers 202 with the same message and Idempotent-Replayed; another body → 422; keys are per sender', async () => {
  const { resident, contact, contactId } = await pair(w, op, A, 'jpay');
  const body = { contact_id: contactId, subject: 'Birthday', body: 'Happy birthday! 🎂' };
  const first = await post(w, contact, body, 'bday-2024');
  assert.equal(first.status, 202, describeRes(first));
  assert.equal(first.headers['idempotent-replayed'], undefined, 'a first answer marked as a replay');
  const n = count();
  const again = await post(w, contact, body, 'bday-2024');
  assert.equal(again.status, 202, describeRes(again));
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(again.json.id, first.json.id);
  assert.equal(again.json.subject, 'Birthday');
  assert.equal(count(), n, 'a replay stored a second message');
  assert.equal(Number(w.sql(`SELECT COUNT(*) FROM message_events WHERE message_id = ${first.json.id}`)), 1);

  for (const [change, context] of [[{ body: 'Happy birthday!' }, 'another body'], [{ subject: 'Birthday!' }, 'another subject']]) {
    const res = await post(w, contact, { ...body, ...change }, 'bday-2024');
    assertError(res, 422, 'idempotency_key_reused', `${context}:`);
  }
  const other = await pair(w, op, A, 'jpay', { contact });
  assertError(await post(w, contact, { ...body, contact_id: other.contactId }, 'bday-2024'), 422, 'idempotency_key_reused', 'another contact:');
  assert.equal(count(), n);

  // The same key from another sender is their own key.
  const theirs = await post(w, resident, { contact_id: contactId, subject: 'Birthday', body: 'Happy birthday! 🎂' }, 'bday-2024');
  assert.equal(theirs.status, 202, describeRes(theirs));
  assert.notEqual(theirs.json.id, first.json.id);
  assert.equal(theirs.headers['idempotent-replayed'], undefined);

  // After the message was decided, a replay still names the same message and changes nothing.
  await decide(w, revA, first.json.id, 'approve');
  const late = await post(w, contact, body, 'bday-2024');
  assert.equal(late.status, 202);
  assert.equal(late.json.id, first.json.id);
  assert.equal(late.headers['idempotent-replayed'], 'true');
  assert.equal(count(), n + 1);

  // Without a key, the same request twice is two messages.
  await send(w, contact, contactId, 'no key', 'twice');
  await send(w, contact, contactId, 'no key', 'twice');
  assert.equal(count(`contact_id = ${contactId} AND subject = 'no key'`), 2);

  // Bad keys.
  assert.equal(assertError(await post(w, contact, body, 'k'.repeat(201)), 422, 'invalid_field').field, 'Idempotency-Key');
  assert.equal(assertError(await post(w, contact, body, ''), 422, 'invalid_field', 'empty key:').field, 'Idempotency-Key');
  await send(w, contact, contactId, 'key200', 'long key ok', { key: 'k'.repeat(200) });
});

test('Idempotency-Key: ten identical requests at once → one message, every answer 202 with its id', async () => {
  const { contact, contactId } = await pair(w, op, FO, 'jpay');
  for (let round = 0; round < 3; round++) {
    const body = { contact_id: contactId, subject: `race ${round}`, body: 'one only' };
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(w, contact, body, `race-key-${round}`)));
    assert.deepEqual(answers.map((a) => a.status), Array(10).fill(202), answers.map(describeRes).join(' | '));
    const ids = new Set(answers.map((a) => a.json.id));
    assert.equal(ids.size, 1, `different ids: ${[...ids]}`);
    assert.equal(answers.filter((a) => a.headers['idempotent-replayed'] === 'true').length, 9);
    assert.equal(count(`contact_id = ${contactId} AND subject = 'race ${round}'`), 1);
  }
});

test('inbox pagination: newest first, no duplicates or gaps across pages while new messages keep arriving', async () => {
  const { resident, contact, contactId } = await pair(w, op, FO, 'jpay');
  const sent = [];
  for (let i = 0; i < 45; i++) sent.push((await send(w, contact, contactId, `page ${i}`, `message number ${i}`)).id);
  const seen = [];
  let cursor = null;
  let pages = 0;
  const arrived = [];
  for (;;) {
    const page = await list(w, resident, `box=inbox&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    pages += 1;
    assert.ok(page.items.length <= 10);
    seen.push(...page.items.map((x) => x.id));
    // New mail arrives between page loads.
    arrived.push((await send(w, contact, contactId, `late ${pages}`, 'arrived during paging')).id);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
    assert.ok(pages < 20, 'pagination does not end');
  }
  assert.equal(pages, 5);
  assert.equal(new Set(seen).size, seen.length, `duplicates across pages: ${seen}`);
  assert.deepEqual(seen, [...sent].reverse(), 'every message once, newest first');
  const fresh = await list(w, resident, 'box=inbox&limit=10');
  assert.deepEqual(fresh.items.slice(0, arrived.length).map((x) => x.id), [...arrived].reverse());
  assert.equal(fresh.unread, 45 + arrived.length);

  // The same with limit=1 and limit=100, and on the sent box and the thread view.
  const all1 = await listAll(w, resident, 'box=inbox', 1);
  const all100 = await listAll(w, resident, 'box=inbox', 100);
  assert.deepEqual(all1.map((x) => x.id), all100.map((x) => x.id));
  assert.equal(all100.length, 45 + arrived.length);
  const sentBox = await listAll(w, contact, 'box=sent', 7);
  assert.deepEqual(sentBox.map((x) => x.id), all100.map((x) => x.id));
  const thread = await listAll(w, contact, `contact_id=${contactId}`, 6);
  assert.deepEqual(thread.map((x) => x.id), all100.map((x) => x.id));
  // A sent-box cursor is not an inbox cursor.
  const sp = await list(w, contact, 'box=sent&limit=2');
  assertError(await w.get(`/api/v1/messages?box=inbox&cursor=${encodeURIComponent(sp.next_cursor)}`, resident.token), 422, 'invalid_field');
});

test('inbox order follows delivery: approvals during paging neither repeat nor lose what was already listed', async () => {
  const { resident, contact, contactId } = await pair(w, op, A, 'jpay');
  const ids = [];
  for (let i = 0; i < 12; i++) ids.push((await send(w, contact, contactId, `rev ${i}`, `reviewed ${i}`)).id);
  // Deliver in a shuffled order; the inbox is by delivery time.
  const order = [5, 0, 11, 3, 7, 1];
  for (const i of order) {
    await decide(w, revA, ids[i], 'approve');
    await new Promise((r) => setTimeout(r, 5));
  }
  const p1 = await list(w, resident, 'box=inbox&limit=3');
  assert.deepEqual(p1.items.map((x) => x.id), [ids[1], ids[7], ids[3]]);
  // More approvals before the next page: they go to the top, not into page 2.
  for (const i of [2, 4]) await decide(w, revA, ids[i], 'approve');
  const p2 = await list(w, resident, `box=inbox&limit=3&cursor=${encodeURIComponent(p1.next_cursor)}`);
  assert.deepEqual(p2.items.map((x) => x.id), [ids[11], ids[0], ids[5]]);
  assert.equal(p2.next_cursor, null);
  const top = await list(w, resident, 'box=inbox&limit=3');
  assert.deepEqual(top.items.map((x) => x.id), [ids[4], ids[2], ids[1]]);
});

test('delete hides a message from the caller only: gone from their lists, kept for the other side and staff', async () => {
  const { resident, contact, contactId } = await pair(w, op, FO, 'jpay');
  const a = await send(w, contact, contactId, 'keep', 'stays for the resident');
  const b = await send(w, resident, contactId, 'hide me', 'the contact hides this one');
  const c = await send(w, resident, contactId, 'unread', 'hidden before reading');
  // The sender hides her own sent message.
  const del = await w.del(`/api/v1/messages/${a.id}`, contact.token);
  assert.equal(del.status, 204, describeRes(del));
  assert.equal((await w.del(`/api/v1/messages/${a.id}`, contact.token)).status, 204, 'hiding twice');
  assert.ok(!(await list(w, contact, 'box=sent')).items.some((x) => x.id === a.id));
  assert.ok(!(await list(w, contact, `contact_id=${contactId}`)).items.some((x) => x.id === a.id));
  assert.ok((await list(w, resident, 'box=inbox')).items.some((x) => x.id === a.id), 'hidden from the other side too');
  assert.ok((await list(w, resident, `contact_id=${contactId}`)).items.some((x) => x.id === a.id));
  assert.equal((await getMsg(w, resident, a.id)).body, 'stays for the resident');
  // The recipient hides received messages, read and unread.
  await markRead(w, contact, b.id);
  assert.equal((await w.del(`/api/v1/messages/${b.id}`, contact.token)).status, 204);
  const before = await list(w, contact, 'box=inbox');
  assert.equal(before.unread, 1);
  assert.equal((await w.del(`/api/v1/messages/${c.id}`, contact.token)).status, 204);
  const inbox = await list(w, contact, 'box=inbox');
  assert.deepEqual(inbox.items.map((x) => x.id), []);
  const sent = await list(w, resident, 'box=sent');
  assert.deepEqual(sent.items.map((x) => x.id), [c.id, b.id], 'the sender still sees both');
  // Nothing is deleted; staff see everything; the hide is audited.
  assert.equal(count(`id IN (${a.id}, ${b.id}, ${c.id})`), 3);
  const staff = await w.staff(op.token, FO, 'reviewer');
  for (const id of [a.id, b.id, c.id]) assert.equal((await getMsg(w, staff, id)).id, id);
  assert.equal(w.auditRows(`action = 'message.hide' AND actor = 'account:${contact.account.id}'`).length, 4);
  // Someone who cannot see it cannot hide it.
  const outsider = await w.contact();
  assertError(await w.del(`/api/v1/messages/${b.id}`, outsider.token), 404, 'not_found');
  assertError(await w.del(`/api/v1/messages/${b.id}`, staff.token), 403, 'forbidden');
  assertError(await w.del('/api/v1/messages/99999999', contact.token), 404, 'not_found');
  // Last, as the rest holds without it.
  assert.equal(inbox.unread, 0, 'a hidden unread message still counts as unread: the badge shows a message the inbox does not');
});

const MBOX_TRICKY = 'From the first line, which an mbox must quote\n>From an already quoted line\nFrom: looks like a header\n\nFrom here on, a blank line above\n>>From twice\nthe end';

test('export: JSON and mbox hold exactly what the caller sent and received (not what was never delivered to them)', async () => {
  const { resident, contact, contactId } = await pair(w, op, A, 'jpay', { contactName: 'Amira Nasser' });
  const second = await pair(w, op, A, 'jpay', { contact });
  const expected = [];
  const exchange = async (from, cid, subject, body, decision) => {
    const m = await send(w, from, cid, subject, body);
    if (decision === 'approve') await decide(w, revA, m.id, 'approve');
    if (decision === 'reject') await decide(w, revA, m.id, 'reject', 'other', 'not this');
    return { id: m.id, subject, body, from, decision };
  };
  expected.push(await exchange(contact, contactId, 'Plain', 'Hello, how are you?', 'approve'));
  expected.push(await exchange(resident, contactId, 'Ответ — 回复 — رد', `${SCRIPTS.arabic}\n${SCRIPTS.cjk}\n${SCRIPTS.emoji_zwj}`, 'approve'));
  expected.push(await exchange(contact, contactId, 'Tricky mbox', MBOX_TRICKY, 'approve'));
  expected.push(await exchange(contact, second.contactId, 'A very long subject with accents àéîõü and more text that needs folding in a mail header, surely over seventy-eight characters', SCRIPTS.combining, 'approve'));
  expected.push(await exchange(contact, contactId, 'Rejected one', 'you will not deliver this', 'reject'));
  expected.push(await exchange(contact, contactId, 'Still waiting', 'pending review', null));
  const notMine = [
    await exchange(resident, contactId, 'Rejected from inside', 'never delivered to the contact', 'reject'),
    await exchange(second.resident, second.contactId, 'Waiting from inside', 'not yet delivered', null),
  ];
  const shouldHave = expected; // sent: all of them; received: delivered only

  const res = await w.get('/api/v1/messages/export', contact.token);
  assert.equal(res.status, 200, describeRes(res));
  assert.match(res.headers['content-type'], /application\/json/);
  assert.match(res.headers['content-disposition'] || '', /attachment/);
  const exp = res.json;
  assert.equal(exp.account.id, contact.account.id);
  assert.equal(exp.count, exp.messages.length);
  assert.deepEqual(exp.messages.map((m) => m.id), shouldHave.map((m) => m.id), 'export: every message once, oldest first');
  for (const [i, m] of exp.messages.entries()) {
    const e = shouldHave[i];
    assert.equal(m.subject, e.subject);
    assert.equal(m.body, e.body, `export body of ${m.id}`);
    assert.match(m.created_at, RFC3339);
    if (e.decision === 'reject') assert.deepEqual(m.rejection, { reason: 'other', label: 'Another reason (see the note)', note: 'not this' });
  }
  for (const n of notMine) assert.ok(!exp.messages.some((m) => m.id === n.id), `${n.subject} exported to the contact`);

  const mb = await w.srv.request('GET', '/api/v1/messages/export?format=mbox', { token: contact.token });
  assert.equal(mb.status, 200, describeRes(mb));
  assert.match(mb.headers['content-type'], /application\/mbox/);
  assert.match(mb.headers['content-disposition'] || '', /\.mbox/);
  const text = mb.text;
  const msgs = parseMbox(text);
  assert.equal(msgs.length, shouldHave.length, `mbox holds ${msgs.length} messages`);
  const names = { [contact.account.id]: 'Amira Nasser' };
  for (const [i, m] of msgs.entries()) {
    const e = shouldHave[i];
    assert.match(m.fromLine, /^From \S+ (Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d \d\d:\d\d:\d\d \d{4}$/, `From_ line ${m.fromLine}`);
    assert.equal(m.headers.subject, e.subject, `mbox subject of message ${i}`);
    assert.equal(m.body, e.body, `mbox body of message ${i}`);
    assert.ok(!Number.isNaN(Date.parse(m.headers.date)), `Date: ${m.headers.date}`);
    assert.ok(m.headers['message-id'].includes(String(e.id)));
    assert.match(m.headers['content-type'], /text\/plain; charset=utf-8/i);
    if (e.from === contact) assert.ok(m.headers.from.startsWith(names[contact.account.id]), `From: ${m.headers.from}`);
    else assert.ok(m.headers.to.startsWith('Amira Nasser'), `To: ${m.headers.to}`);
  }
  // A body "From " line is quoted in the file (mboxrd), so a reader does not split there.
  assert.ok(text.includes('\n>From the first line'));
  assert.ok(text.includes('\n>>From an already quoted line'));
  assert.ok(text.includes('\n>>>From twice'));

  // The resident's export: what they received (delivered) and what they sent.
  const rexp = await w.get('/api/v1/messages/export', resident.token);
  assert.equal(rexp.status, 200);
  const rids = rexp.json.messages.map((m) => m.id);
  const theirs = [expected[0], expected[1], expected[2], notMine[0]].map((m) => m.id);
  assert.deepEqual(rids, theirs);
  assertError(await w.get('/api/v1/messages/export?format=pdf', contact.token), 422, 'invalid_field');
  assertError(await w.get('/api/v1/messages/export', revA.token), 403, 'forbidden');
  assertError(await w.get('/api/v1/messages/export'), 401, 'unauthenticated');
  // Last, as the rest holds without it: an mbox has LF line ends throughout.
  const cr = text.indexOf('\r');
  assert.equal(cr, -1, `the mbox has a CR (a header folded with CR LF?) near ${JSON.stringify(text.slice(Math.max(0, cr - 60), cr + 20))}`);
});

test('export of a long correspondence (1,000 messages): the mbox about as quick as the JSON (no quadratic build-up)', async () => {
  const { resident, contact, contactId } = await pair(w, op, FO, 'jpay');
  // Years of letters, stored directly: 1,000 delivered messages of 800 characters to the contact.
  const rid = w.sql(`SELECT resident_id FROM contacts WHERE id = ${contactId}`);
  const body = 'Dear family, '.padEnd(790, 'news from here; ') + ' — love';
  w.sql(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
    INSERT INTO messages (contact_id, facility_id, resident_id, sender_account_id, recipient_account_id, direction, subject, body,
      status, held, flagged, price_cents, decided_at, created_at, delivered_at, read_at)
    SELECT ${contactId}, ${FO}, ${rid}, ${resident.account.id}, ${contact.account.id}, 'from_resident', 'Letter ' || i, '${body}',
      'read', 0, 0, 0, 1600000000000 + i * 60000, 1600000000000 + i * 60000, 1600000000000 + i * 60000, 1600000000000 + i * 60000 FROM n`);
  const t0 = Date.now();
  const json = await w.srv.request('GET', '/api/v1/messages/export', { token: contact.token, timeoutMs: 120_000 });
  const jsonMs = Date.now() - t0;
  assert.equal(json.status, 200);
  assert.equal(json.json.count, 1000);
  const t1 = Date.now();
  const mbox = await w.srv.request('GET', '/api/v1/messages/export?format=mbox', { token: contact.token, timeoutMs: 120_000 });
  const mboxMs = Date.now() - t1;
  assert.equal(mbox.status, 200);
  const parsed = parseMbox(mbox.text);
  assert.equal(parsed.length, 1000);
  assert.equal(parsed[999].body, body);
  assert.ok(mboxMs < 10 * jsonMs + 500,
    `the mbox export took ${mboxMs} ms against ${jsonMs} ms for JSON: it grows with the square of the correspondence`);
});

test('staff reads are audited (message.staff_read with who and role); the parties reading are not', async () => {
  const { resident, contact, contactId } = await pair(w, op, A, 'jpay');
  const m = await send(w, contact, contactId, 'audited', 'who reads me');
  const reads = () => w.auditRows(`action = 'message.staff_read' AND target = 'message:${m.id}'`);
  await getMsg(w, contact, m.id);
  assert.equal(reads().length, 0, 'the sender reading is not a staff read');
  const investigator = await w.staff(op.token, A, 'investigator');
  const admin = await w.staff(op.token, A, 'facility_admin');
  for (const [who, role] of [[revA, 'reviewer'], [investigator, 'investigator'], [admin, 'facility_admin'], [op, 'operator']]) {
    const before = reads().length;
    const v = await getMsg(w, who, m.id);
    assert.equal(v.body, 'who reads me');
    const rows = reads();
    assert.equal(rows.length, before + 1, `${role} read not audited`);
    const last = rows[rows.length - 1];
    assert.equal(last.actor, `account:${who.account.id}`);
    assert.ok(last.detail.includes(`role=${role}`), last.detail);
  }
  await decide(w, revA, m.id, 'approve');
  const n = reads().length;
  await getMsg(w, resident, m.id);
  await markRead(w, resident, m.id);
  assert.equal(reads().length, n, 'the recipient reading is not a staff read');
  // Staff of another facility: 404 and no record of a read.
  const otherFacility = await onPlatform(w, op, 'FCI ALICEVILLE', { profile: 'federal' });
  const elsewhere = await w.staff(op.token, otherFacility, 'investigator');
  await getMsg(w, elsewhere, m.id, 404);
  assert.equal(reads().length, n);
  const q = await queue(w, revA, A);
  assert.equal(typeof q.metrics.depth, 'number');
  await w.auditOk();
});
