// Every way a message is refused or rejected (issue 4): the length limit counted
// in characters (not bytes) with text of every script, which must round-trip
// exactly; empty and malformed fields; removed, blocked, suspended contacts;
// released and transferred residents; photos where the policy allows none; the
// daily send limit; and a reviewer's rejection with each reason code, shown to
// the sender, never to the recipient, and mailed without the message text.
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, RFC3339, onPlatform, setPolicy, pair, post, send, getMsg, list, decide, decideRaw,
  historyStatuses, outbox, assertNoTextInMail, REJECT_REASONS, SCRIPTS, chars, facilityIdByName, anyNumber,
  withAccount, describeRes,
} from './lib/messaging.mjs';

let w;
let op;
let CN; // connectnetwork, review flagged_only: 500 characters
let FED; // federal, review all: 13,000 characters, no photos
let J; // jpay, review all
let J1; // jpay with a contact limit of 1 (a transfer there suspends contacts)
let LIM; // jpay with a daily send limit of 3
let OFF; // not on Kite
let reviewerJ;

const sentTexts = []; // every subject and body sent in this file, for the mail check at the end

before(async () => {
  w = await World.start();
  op = await w.operator();
  CN = await onPlatform(w, op, 'ANDERSON COUNTY JAIL', { profile: 'connectnetwork', review: 'flagged_only' });
  FED = await onPlatform(w, op, 'FCI ALICEVILLE', { profile: 'federal' });
  J = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay' });
  J1 = await onPlatform(w, op, 'CALIFORNIA STATE PRISON, CORCORAN (COR)', { profile: 'jpay', contact_limit: 1 });
  LIM = await onPlatform(w, op, 'CALIFORNIA STATE PRISON, SOLANO (SOL)', { profile: 'jpay', daily_send_limit: 3 });
  OFF = await facilityIdByName(w.srv, 'ALACHUA COUNTY JAIL');
  reviewerJ = await w.staff(op.token, J, 'reviewer');
});
after(async () => { if (w) await w.close(); });

function tooLong(res, limit, context) {
  const e = assertError(res, 422, 'message_too_long', context);
  assert.equal(e.field, 'body');
  assert.ok(e.message.includes(String(limit)) || e.message.includes(limit.toLocaleString('en-US')),
    `the error does not name the limit ${limit}: ${e.message}`);
}

const REASON_LABELS = {'security_threat': 'A risk to the safety or security of the facility', 'criminal_activity': 'Plans for, or talk of, criminal activity', 'explicit_content': 'Sexually explicit content', 'coded_language': 'Coded or hidden language', 'harassment': 'Threats or harassment', 'third_party_contact': 'Passing on messages to or from other people', 'other': 'Another reason (see the note)'};

test('connectnetwork (500 characters): 500 emoji or Devanagari letters pass, 501 → 422 message_too_long naming 500', async () => {
  const { resident, contact, contactId } = await pair(w, op, CN, 'connectnetwork');
  const pol = await w.get(`/api/v1/facilities/${CN}/policy`, op.token);
  assert.equal(pol.json.message_max_chars, 500);
  for (const [name, ch, bytes] of [['emoji', '😀', 4], ['devanagari', 'क', 3], ['cjk', '字', 3], ['latin', 'é', 2], ['ascii', 'a', 1]]) {
    const body = ch.repeat(500);
    assert.equal(Buffer.byteLength(body), 500 * bytes);
    const m = await send(w, contact, contactId, `limit ${name}`, body);
    assert.equal(m.status, 'delivered');
    assert.equal(chars(m.body), 500);
    const back = await getMsg(w, resident, m.id);
    assert.equal(back.body, body, `${name} body changed on the way`);
    const over = await post(w, contact, { contact_id: contactId, subject: `limit ${name}`, body: ch.repeat(501) });
    tooLong(over, 500, `501 ${name}:`);
    const fromResident = await post(w, resident, { contact_id: contactId, subject: 'x', body: ch.repeat(501) });
    tooLong(fromResident, 500, `resident, 501 ${name}:`);
  }
  // Nothing was stored for the refused ones.
  assert.equal(w.sql(`SELECT COUNT(*) FROM messages WHERE contact_id = ${contactId}`), '5');
});

test('federal (13,000 characters) and a facility override (20): the limit is in characters, named in the error', async () => {
  const { contact, contactId } = await pair(w, op, FED, 'federal');
  const ok = await send(w, contact, contactId, 'long', '字'.repeat(13000));
  assert.equal(ok.status, 'pending_review');
  tooLong(await post(w, contact, { contact_id: contactId, subject: 'long', body: '字'.repeat(13001) }), 13000, '13,001 CJK:');

  const small = await onPlatform(w, op, 'FCI CUMBERLAND', { profile: 'federal', message_max_chars: 20 });
  const p = await pair(w, op, small, 'federal');
  await send(w, p.contact, p.contactId, 'twenty', 'ñ'.repeat(20));
  tooLong(await post(w, p.contact, { contact_id: p.contactId, subject: 'x', body: 'ñ'.repeat(21) }), 20, '21 ñ:');
});

test('every script round-trips exactly, in subject and body, for sender, reviewer and recipient (no normalisation)', async () => {
  const { resident, contact, contactId } = await pair(w, op, J, 'jpay');
  for (const [name, text] of Object.entries(SCRIPTS)) {
    const subject = text.slice(0, 60).trim();
    const body = `${text}\n\n— ${name}\n${text}`;
    sentTexts.push(text);
    const m = await send(w, contact, contactId, subject, body);
    const q = await w.get(`/api/v1/review/queue?facility_id=${J}&limit=100`, reviewerJ.token);
    const seen = q.json.items.find((x) => x.id === m.id);
    assert.ok(seen, `${name}: not in the queue`);
    assert.equal(seen.subject, subject, `${name}: subject changed for the reviewer`);
    assert.equal(seen.body, body, `${name}: body changed for the reviewer`);
    await decide(w, reviewerJ, m.id, 'approve');
    const got = await getMsg(w, resident, m.id);
    assert.equal(got.subject, subject, `${name}: subject changed`);
    assert.equal(got.body, body, `${name}: body changed`);
    assert.equal(Buffer.compare(Buffer.from(got.body), Buffer.from(body)), 0, `${name}: bytes differ`);
    // and back, from the tablet
    const reply = await send(w, resident, contactId, `Re: ${subject}`.slice(0, 200), text);
    await decide(w, reviewerJ, reply.id, 'approve');
    const inbox = await list(w, contact, 'box=inbox');
    assert.equal(inbox.items.find((x) => x.id === reply.id)?.body, text, `${name}: reply body changed`);
  }
  // Decomposed stays decomposed: e + U+0301 is two code points, not é.
  const dec = 'e\u0301';
  const m = await send(w, contact, contactId, dec, dec);
  assert.equal(m.subject, dec);
  assert.equal(m.body.length, 2);
});

test('malformed text: empty or blank body, long or multi-line subject, control characters, broken UTF-8 → 4xx naming the field', async () => {
  const { contact, contactId } = await pair(w, op, J, 'jpay');
  const cases = [
    [{ subject: 'hi', body: '' }, 'body'],
    [{ subject: 'hi', body: '   \n\t ' }, 'body'],
    [{ subject: 'hi', body: 'bell \u0007 here' }, 'body'],
    [{ subject: 'hi', body: 'escape \u001b[31m red' }, 'body'],
    [{ subject: 'x'.repeat(201), body: 'ok' }, 'subject'],
    [{ subject: '字'.repeat(201), body: 'ok' }, 'subject'],
    [{ subject: 'two\nlines', body: 'ok' }, 'subject'],
    [{ subject: 'carriage\rreturn', body: 'ok' }, 'subject'],
    [{ subject: 'tab\there', body: 'ok' }, 'subject'],
  ];
  for (const [fields, field] of cases) {
    const res = await post(w, contact, { contact_id: contactId, ...fields });
    const e = assertError(res, 422, 'invalid_field', `${JSON.stringify(fields).slice(0, 80)}:`);
    assert.equal(e.field, field, `${JSON.stringify(fields).slice(0, 80)}`);
  }
  const missing = await post(w, contact, { contact_id: contactId, subject: 'hi' });
  assert.equal(assertError(missing, [400, 422], undefined, 'no body:').field, 'body');
  const notText = await post(w, contact, { contact_id: contactId, subject: 'hi', body: 42 });
  assert.equal(assertError(notText, [400, 422], undefined, 'numeric body:').field, 'body');
  // Exactly 200 characters of subject is fine (and no subject at all too).
  await send(w, contact, contactId, '字'.repeat(200), 'two hundred');
  const noSubject = await post(w, contact, { contact_id: contactId, body: 'no subject' });
  assert.equal(noSubject.status, 202, describeRes(noSubject));
  assert.equal(noSubject.json.subject, '');
  // Invalid UTF-8 in the JSON bytes: refused, not stored, server fine.
  const raw = Buffer.concat([Buffer.from(`{"contact_id":${contactId},"subject":"x","body":"bad `), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
  const bad = await w.srv.request('POST', '/api/v1/messages', { body: raw, token: contact.token });
  assertError(bad, [400, 422], undefined, 'invalid UTF-8:');
  const before = w.sql('SELECT COUNT(*) FROM messages');
  assert.equal(w.sql(`SELECT COUNT(*) FROM messages WHERE body LIKE 'bad %'`), '0');
  assert.equal(before, w.sql('SELECT COUNT(*) FROM messages'));
  // Not JSON at all.
  const junk = await w.srv.request('POST', '/api/v1/messages', { body: '{"contact_id":', token: contact.token });
  assertError(junk, 400, undefined, 'truncated JSON:');
});

test('contact state: removed → 409 contact_not_active; blocked by the contact or the facility → 403 contact_blocked', async () => {
  // Removed by the resident: neither side can write.
  const a = await pair(w, op, J, 'jpay');
  const rm = await w.del(`/api/v1/contacts/${a.contactId}`, a.resident.token);
  assert.equal(rm.status, 200, describeRes(rm));
  for (const who of [a.contact, a.resident]) {
    const res = await post(w, who, { contact_id: a.contactId, subject: 's', body: 'after removal' });
    const e = assertError(res, 409, 'contact_not_active', 'removed contact:');
    assert.match(e.message, /removed|suspended/);
  }
  // Blocked by the contact.
  const b = await pair(w, op, J, 'jpay');
  const bl = await w.del(`/api/v1/contacts/${b.contactId}`, b.contact.token);
  assert.equal(bl.status, 200, describeRes(bl));
  for (const who of [b.contact, b.resident]) {
    assertError(await post(w, who, { contact_id: b.contactId, subject: 's', body: 'after block' }), 403, 'contact_blocked', 'blocked contact:');
  }
  // Blocked by the facility (a no-contact order for this resident).
  const c = await pair(w, op, J, 'jpay');
  const admin = await w.staff(op.token, J, 'facility_admin');
  const fb = await w.post(`/api/v1/facilities/${J}/blocks`, { email: c.contact.email, resident_number: c.resident.number, reason: 'no-contact order' }, admin.token);
  assert.equal(fb.status, 201, describeRes(fb));
  for (const who of [c.contact, c.resident]) {
    assertError(await post(w, who, { contact_id: c.contactId, subject: 's', body: 'after order' }), 403, 'contact_blocked', 'facility block:');
  }
  assert.equal(w.sql(`SELECT COUNT(*) FROM messages WHERE contact_id IN (${a.contactId}, ${b.contactId}, ${c.contactId})`), '0');
});

test('suspended contact (transfer to a facility with a lower contact limit) → 409 contact_not_active; the kept one still works', async () => {
  const r = await withAccount(w, await w.resident(op.token, J, { number: anyNumber('TR') }));
  const first = await pair(w, op, J, 'jpay', { resident: r });
  const second = await pair(w, op, J, 'jpay', { resident: r });
  const t = await w.post(`/api/v1/facilities/${J}/residents/${encodeURIComponent(r.number)}/transfer`, { to_facility_id: J1 }, op.token);
  assert.equal(t.status, 200, describeRes(t));
  const items = await w.contacts(first.contact);
  assert.equal(items.find((x) => x.id === first.contactId).status, 'active');
  const suspended = (await w.contacts(second.contact)).find((x) => x.id === second.contactId);
  assert.equal(suspended.status, 'suspended', 'the newest contact over the limit is suspended');
  const res = await post(w, second.contact, { contact_id: second.contactId, subject: 's', body: 'while suspended' });
  assertError(res, 409, 'contact_not_active', 'suspended contact:');
  // Stamps are bought for one facility's messages: at the new facility the contact buys new ones.
  await w.buyBundle(first.contact, J1, 'stamps', 5);
  const m = await send(w, first.contact, first.contactId, 'still here', 'The kept contact can write.');
  assert.equal(m.status, 'pending_review');
  const staffView = await getMsg(w, op, m.id);
  assert.equal(staffView.facility_id, J1, 'the message is reviewed where the resident is now');
});

test('released resident or moved off Kite → 409 resident_unreachable saying why', async () => {
  const a = await pair(w, op, J, 'jpay');
  const rel = await w.patch(`/api/v1/facilities/${J}/residents/${encodeURIComponent(a.resident.number)}`, { status: 'released' }, op.token);
  assert.equal(rel.status, 200, describeRes(rel));
  const e = assertError(await post(w, a.contact, { contact_id: a.contactId, subject: 's', body: 'after release' }), 409, 'resident_unreachable', 'released:');
  assert.match(e.message, /released|moved/);
  // The resident's tablet session ended with the release.
  const rs = await post(w, a.resident, { contact_id: a.contactId, subject: 's', body: 'x' });
  assertError(rs, 401, 'unauthenticated', "released resident's old session:");

  const b = await pair(w, op, J, 'jpay');
  const tr = await w.post(`/api/v1/facilities/${J}/residents/${encodeURIComponent(b.resident.number)}/transfer`, { to_facility_id: OFF }, op.token);
  assert.equal(tr.status, 200, describeRes(tr));
  assertError(await post(w, b.contact, { contact_id: b.contactId, subject: 's', body: 'after transfer' }), 409, 'resident_unreachable', 'moved off Kite:');
});

test('photos: attachment_ids where the policy allows none → 422 attachments_not_allowed; unknown ids where allowed → 422', async () => {
  const f = await pair(w, op, FED, 'federal');
  const res = await post(w, f.contact, { contact_id: f.contactId, subject: 's', body: 'photo', attachment_ids: [1] });
  assertError(res, 422, 'attachments_not_allowed', 'federal photo:');
  const cn = await pair(w, op, CN, 'connectnetwork');
  assertError(await post(w, cn.contact, { contact_id: cn.contactId, subject: 's', body: 'photo', attachment_ids: [1] }), 422, 'attachments_not_allowed');
  const j = await pair(w, op, J, 'jpay');
  const unknown = await post(w, j.contact, { contact_id: j.contactId, subject: 's', body: 'photo', attachment_ids: [987654] });
  assert.equal(assertError(unknown, 422, 'invalid_field').field, 'attachment_ids');
  const notIds = await post(w, j.contact, { contact_id: j.contactId, subject: 's', body: 'photo', attachment_ids: ['a'] });
  assert.equal(assertError(notIds, 422, 'invalid_field').field, 'attachment_ids');
  const tooMany = await post(w, j.contact, { contact_id: j.contactId, subject: 's', body: 'photo', attachment_ids: Array.from({ length: 21 }, (_, i) => i + 1) });
  assert.equal(assertError(tooMany, 422, ['invalid_field', 'attachments_not_allowed']).field, 'attachment_ids');
  // An empty list is no photo at all.
  const none = await post(w, j.contact, { contact_id: j.contactId, subject: 's', body: 'no photo', attachment_ids: [] });
  assert.equal(none.status, 202, describeRes(none));
});

test('daily_send_limit 3: the fourth message of the day → 429 daily_limit_reached; each sender has their own count', async () => {
  const pol = await w.get(`/api/v1/facilities/${LIM}/policy`, op.token);
  assert.equal(pol.json.daily_send_limit, 3);
  const { resident, contact, contactId } = await pair(w, op, LIM, 'jpay');
  const other = await pair(w, op, LIM, 'jpay', { resident });
  const first = await send(w, contact, contactId, 'one', 'first', { key: 'lim-1' });
  await send(w, contact, contactId, 'two', 'second');
  await send(w, contact, contactId, 'three', 'third');
  const fourth = await post(w, contact, { contact_id: contactId, subject: 'four', body: 'fourth' });
  const e = assertError(fourth, 429, 'daily_limit_reached', 'fourth message:');
  assert.match(e.message, /limit/);
  // Rejected or not, the count stays; a replay of an earlier request is not a new message.
  const replay = await post(w, contact, { contact_id: contactId, subject: 'one', body: 'first' }, 'lim-1');
  assert.equal(replay.status, 202, `replay after the limit: ${describeRes(replay)}`);
  assert.equal(replay.json.id, first.id);
  // The resident and another contact of the same resident have their own counts.
  for (let i = 0; i < 3; i++) await send(w, resident, contactId, `r${i}`, `from the tablet ${i}`);
  assertError(await post(w, resident, { contact_id: other.contactId, subject: 'r4', body: 'fourth from the tablet' }), 429, 'daily_limit_reached');
  await send(w, other.contact, other.contactId, 'mine', 'another family member');
  assert.equal(w.sql(`SELECT COUNT(*) FROM messages WHERE sender_account_id = ${contact.account.id}`), '3');
  // Raising the limit lets them write again.
  await setPolicy(w, op, LIM, { profile: 'jpay', daily_send_limit: 4 });
  await send(w, contact, contactId, 'four', 'fourth, now allowed');
  assertError(await post(w, contact, { contact_id: contactId, subject: 'five', body: 'fifth' }), 429, 'daily_limit_reached');
});

test('daily limit under a burst: six messages at once with a limit of 3 → exactly three 202 and three 429', async () => {
  await setPolicy(w, op, LIM, { profile: 'jpay', daily_send_limit: 3 });
  const { contact, contactId } = await pair(w, op, LIM, 'jpay');
  const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => post(w, contact, { contact_id: contactId, subject: `burst ${i}`, body: 'at once' })));
  const codes = answers.map((a) => a.status).sort();
  assert.deepEqual(codes, [202, 202, 202, 429, 429, 429], answers.map(describeRes).join(' | '));
  for (const a of answers.filter((x) => x.status === 429)) assertError(a, 429, 'daily_limit_reached');
  assert.equal(w.sql(`SELECT COUNT(*) FROM messages WHERE sender_account_id = ${contact.account.id}`), '3');
});

test('a message still waiting when the contact is blocked (by the contact, or a no-contact order) is never delivered', async () => {
  // The contact blocks the resident while the resident's message waits for review.
  const a = await pair(w, op, J, 'jpay');
  const fromResident = await send(w, a.resident, a.contactId, 'before the block', 'please answer me');
  const fromContact = await send(w, a.contact, a.contactId, 'also waiting', 'sent before blocking');
  assert.equal((await w.del(`/api/v1/contacts/${a.contactId}`, a.contact.token)).status, 200);
  // A facility's no-contact order while the contact's message waits.
  const b = await pair(w, op, J, 'jpay');
  const waiting = await send(w, b.contact, b.contactId, 'before the order', 'you must not get this');
  const admin = await w.staff(op.token, J, 'facility_admin');
  const order = await w.post(`/api/v1/facilities/${J}/blocks`, { email: b.contact.email, resident_number: b.resident.number, reason: 'no-contact order' }, admin.token);
  assert.equal(order.status, 201, describeRes(order));

  const problems = [];
  for (const [m, recipient, what] of [[fromResident, a.contact, 'resident → contact who blocked'],
    [fromContact, a.resident, 'contact (who blocked) → resident'], [waiting, b.resident, 'contact → resident under a no-contact order']]) {
    const res = await decideRaw(w, reviewerJ, m.id, 'approve');
    const seen = await w.get(`/api/v1/messages/${m.id}`, recipient.token);
    const inbox = await list(w, recipient, 'box=inbox');
    if (res.status === 200 || seen.status === 200 || inbox.items.some((x) => x.id === m.id)) {
      problems.push(`${what}: approve → ${res.status} ${res.json?.status ?? res.json?.error?.code}; recipient GET → ${seen.status}`);
    } else {
      assert.ok(res.status >= 400 && res.status < 500, describeRes(res));
      assertError(res, res.status, undefined);
    }
  }
  const mails = outbox(w, 'message_delivered', a.contact.email).filter((x) => x.text.includes(`/messages/${fromResident.id}`));
  if (mails.length) problems.push('the contact who blocked the resident was mailed about the message');
  assert.deepEqual(problems, [], 'messages delivered across a block');
});

test('reviewer rejections: each reason code and note shown to the sender; never visible to the recipient; mail without the text', async () => {
  const rr = await w.get(`/api/v1/facilities/${J}/reject-reasons`, reviewerJ.token);
  assert.equal(rr.status, 200, describeRes(rr));
  assert.deepEqual(rr.json.items.map((x) => x.code).sort(), [...REJECT_REASONS].sort());
  for (const x of rr.json.items) assert.ok(x.label.length > 0);

  const { resident, contact, contactId } = await pair(w, op, J, 'jpay', { contactName: 'Nadia Haddad' });
  const ids = [];
  for (const reason of REJECT_REASONS) {
    const body = `Secret body for ${reason}: meet at the usual place ${reason.length}`;
    sentTexts.push(body);
    const m = await send(w, contact, contactId, `Subject for ${reason}`, body);
    const note = `Note about ${reason} — please rewrite`;
    const d = await decide(w, reviewerJ, m.id, 'reject', reason, note);
    assert.deepEqual(d.rejection, { reason, label: REASON_LABELS[reason], note });
    assert.deepEqual(historyStatuses(d), ['pending_review', 'rejected']);
    ids.push({ id: m.id, reason, note, body });
  }
  for (const { id, reason, note } of ids) {
    const sv = await getMsg(w, contact, id);
    assert.equal(sv.status, 'rejected');
    assert.deepEqual(sv.rejection, { reason, label: REASON_LABELS[reason], note }, 'the sender sees the reason, its words and the note');
    assert.match(sv.decided_at, RFC3339);
    assert.equal(sv.delivered_at, null);
    assert.deepEqual(historyStatuses(sv), ['pending_review', 'rejected']);
    await getMsg(w, resident, id, 404);
    assertError(await w.post(`/api/v1/messages/${id}/read`, undefined, resident.token), 404, 'not_found');
    assertError(await w.del(`/api/v1/messages/${id}`, resident.token), 404, 'not_found');
    const sent = await list(w, contact, 'box=sent');
    assert.equal(sent.items.find((x) => x.id === id)?.status, 'rejected');
  }
  const inbox = await list(w, resident, 'box=inbox&limit=100');
  const thread = await list(w, resident, `contact_id=${contactId}&limit=100`);
  const exp = await w.get('/api/v1/messages/export', resident.token);
  assert.equal(exp.status, 200);
  for (const { id } of ids) {
    assert.ok(!inbox.items.some((x) => x.id === id), 'a rejected message in the inbox');
    assert.ok(!thread.items.some((x) => x.id === id), 'a rejected message in the thread');
    assert.ok(!exp.json.messages.some((x) => x.id === id), "a rejected message in the recipient's export");
  }
  assert.equal(inbox.unread, 0);

  // One mail per rejection to the contact: the reason's label, a link, never the text.
  const mails = outbox(w, 'message_rejected', contact.email);
  assert.equal(mails.length, REJECT_REASONS.length);
  const labels = Object.fromEntries(rr.json.items.map((x) => [x.code, x.label]));
  for (const { id, reason, body } of ids) {
    const mail = mails.find((x) => new RegExp(`/messages/${id}(?![0-9])`).test(x.text));
    assert.ok(mail, `no rejection mail for ${id}`);
    assert.ok(mail.text.includes(labels[reason]), `the mail does not give the reason: ${mail.text}`);
    assert.ok(!mail.text.includes(body) && !mail.html.includes(body), 'the rejection mail carries the body');
    assert.ok(!mail.text.includes(`Subject for ${reason}`), 'the rejection mail carries the subject');
  }

  // A resident's message rejected: the resident sees why; the contact never sees it and gets no mail.
  const rm = await send(w, resident, contactId, 'From inside', 'Resident secret body text');
  sentTexts.push('Resident secret body text');
  await decide(w, reviewerJ, rm.id, 'reject', 'third_party_contact');
  const rv = await getMsg(w, resident, rm.id);
  assert.deepEqual(rv.rejection, { reason: 'third_party_contact', label: 'Passing on messages to or from other people', note: null });
  await getMsg(w, contact, rm.id, 404);
  assert.ok(!(await list(w, contact, 'box=inbox')).items.some((x) => x.id === rm.id));
  assert.equal(outbox(w, 'message_rejected', contact.email).length, REJECT_REASONS.length, 'a mail about a message the contact never saw');
  assert.ok(!outbox(w, 'message_delivered', contact.email).some((x) => x.text.includes(`/messages/${rm.id}`)));
});

test('reject needs a reason code from the list; notes are bounded; decisions on a decided message → 409', async () => {
  const { contact, contactId } = await pair(w, op, J, 'jpay');
  const m = await send(w, contact, contactId, 'x', 'needs a reason');
  assert.equal(assertError(await decideRaw(w, reviewerJ, m.id, 'reject'), 422, 'invalid_field', 'no reason:').field, 'reason');
  assert.equal(assertError(await decideRaw(w, reviewerJ, m.id, 'reject', 'rude'), 422, 'invalid_field', 'unknown reason:').field, 'reason');
  assert.equal(assertError(await decideRaw(w, reviewerJ, m.id, 'maybe'), 422, 'invalid_field', 'bad decision:').field, 'decision');
  assert.equal(assertError(await decideRaw(w, reviewerJ, m.id, 'reject', 'other', 'n'.repeat(1001)), 422, 'invalid_field', 'long note:').field, 'note');
  assertError(await w.post(`/api/v1/review/${m.id}`, {}, reviewerJ.token), [400, 422], undefined, 'no decision:');
  assert.equal((await getMsg(w, contact, m.id)).status, 'pending_review', 'a refused decision changed the message');
  const noNote = assertError(await decideRaw(w, reviewerJ, m.id, 'reject', 'other', '   '), 422, 'invalid_field', 'other without a note:');
  assert.equal(noNote.field, 'note');
  assert.equal(noNote.message, 'A rejection for another reason needs a note that tells the sender why.');
  await decide(w, reviewerJ, m.id, 'reject', 'other', 'n'.repeat(1000));
  assertError(await decideRaw(w, reviewerJ, m.id, 'approve'), 409, 'already_decided', 'approve after reject:');
  assertError(await decideRaw(w, reviewerJ, m.id, 'reject', 'other', 'again'), 409, 'already_decided', 'reject after reject:');
  assert.equal((await getMsg(w, contact, m.id)).status, 'rejected');
  assertError(await decideRaw(w, reviewerJ, 99999999, 'approve'), 404, 'not_found', 'unknown message:');
});

// Counted by the hour (migration 15, send_tally): a message counts for 24 to 25 hours, never less.
// Last but one in this file: it moves the server's clock forward for good.
test('daily_send_limit: the limit still holds 23 hours later and is lifted 25 hours later', async () => {
  await setPolicy(w, op, LIM, { profile: 'jpay', daily_send_limit: 3 });
  const { contact, contactId } = await pair(w, op, LIM, 'jpay');
  for (let i = 0; i < 3; i++) await send(w, contact, contactId, `day ${i}`, 'counted');
  assertError(await post(w, contact, { contact_id: contactId, subject: 'now', body: 'over' }), 429, 'daily_limit_reached');
  await w.restart({ clockOffset: 23 * 3600 });
  await w.signInAgain(contact);
  assertError(await post(w, contact, { contact_id: contactId, subject: '23 h', body: 'still over' }), 429,
    'daily_limit_reached', '23 hours later:');
  await w.restart({ clockOffset: 25 * 3600 + 120 });
  await w.signInAgain(contact);
  const next = await post(w, contact, { contact_id: contactId, subject: '25 h', body: 'a new day' });
  assert.equal(next.status, 202, `25 hours later: ${describeRes(next)}`);
  assert.equal(w.sql(`SELECT COUNT(*) FROM messages WHERE sender_account_id = ${contact.account.id}`), '4');
});

test('no mail anywhere carries the text of a message', async () => {
  assert.ok(sentTexts.length > 5);
  assertNoTextInMail(w, sentTexts);
  await w.auditOk();
});
