// The whole life of a message (issue 4, SPEC.md "Messages") on each profile —
// federal (contacts by invitation), jpay and connectnetwork (contacts by
// request) — in both review modes: every message reviewed ("all") or only the
// flagged ones ("flagged_only"). Both directions: contact → resident and
// resident → contact. Statuses and history times in order, the recipient's
// inbox, unread counts, thread view, read; the sender sees every status with
// its time; staff see it in the queue with its age.
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, RFC3339, onPlatform, pair, send, getMsg, list, markRead, decide, queue,
  historyStatuses, outbox,
} from './lib/messaging.mjs';

let w;
let op;

const SETUPS = [
  { profile: 'federal', review: 'all', name: 'FCI ALICEVILLE' },
  { profile: 'federal', review: 'flagged_only', name: 'FCI CUMBERLAND' },
  { profile: 'jpay', review: 'all', name: 'AVENAL STATE PRISON' },
  { profile: 'jpay', review: 'flagged_only', name: 'CALIFORNIA STATE PRISON, CORCORAN (COR)' },
  { profile: 'connectnetwork', review: 'all', name: 'ANDERSON COUNTY JAIL' },
  { profile: 'connectnetwork', review: 'flagged_only', name: 'MIDLAND COUNTY CENTRAL DETENTION CENTER' },
];

before(async () => {
  w = await World.start();
  op = await w.operator();
});
after(async () => { if (w) await w.close(); });

const ms = (t) => Date.parse(t);

/** The recipient cannot see a message that is not delivered yet: 404 and absent from inbox and thread. */
async function invisibleTo(who, m, contactId) {
  await getMsg(w, who, m.id, 404);
  const inbox = await list(w, who, 'box=inbox');
  assert.ok(!inbox.items.some((x) => x.id === m.id), `undelivered ${m.id} in the recipient's inbox`);
  const thread = await list(w, who, `contact_id=${contactId}`);
  assert.ok(!thread.items.some((x) => x.id === m.id), `undelivered ${m.id} in the recipient's thread`);
  const read = await w.post(`/api/v1/messages/${m.id}/read`, undefined, who.token);
  assertError(read, 404, 'not_found', 'reading an undelivered message:');
}

/** One message's whole life from `from` to `to`; returns the final sender view. */
async function lifeOfAMessage(s, reviewer, from, to, contactId, subject, body) {
  const before = await list(w, to, 'box=inbox');
  const unreadBefore = before.unread;
  const t0 = Date.now();
  const m = await send(w, from, contactId, subject, body);
  assert.ok(Math.abs(ms(m.created_at) - t0) < 5000, `created_at ${m.created_at} is not now`);
  assert.equal(m.sender.account_id, from.account.id);
  assert.equal(m.recipient.account_id, to.account.id);
  assert.equal(m.box, 'sent');
  assert.equal(m.direction, from.pin !== undefined ? 'from_resident' : 'to_resident');

  if (s.review === 'all') {
    assert.equal(m.status, 'pending_review', 'review "all": every message waits');
    assert.deepEqual(historyStatuses(m), ['pending_review']);
    assert.equal(m.delivered_at, null);
    await invisibleTo(to, m, contactId);
    // The sender sees it in the sent box, pending.
    const sent = await list(w, from, 'box=sent');
    assert.equal(sent.items.find((x) => x.id === m.id)?.status, 'pending_review');
    // The reviewer finds it in the queue with its age and no matches.
    const q = await queue(w, reviewer, s.id);
    const item = q.items.find((x) => x.id === m.id);
    assert.ok(item, `message ${m.id} is not in the queue of ${s.name}`);
    assert.equal(item.status, 'pending_review');
    assert.equal(item.body, body);
    assert.equal(item.held, false);
    assert.equal(item.flagged, false);
    assert.deepEqual(item.matched_rules, []);
    assert.ok(Number.isInteger(item.age_seconds) && item.age_seconds >= 0 && item.age_seconds < 60, `age ${item.age_seconds}`);
    assert.equal(item.over_sla, false);
    assert.ok(q.metrics.depth >= 1);
    const d = await decide(w, reviewer, m.id, 'approve');
    assert.deepEqual(historyStatuses(d), ['pending_review', 'approved', 'delivered']);
    const q2 = await queue(w, reviewer, s.id);
    assert.ok(!q2.items.some((x) => x.id === m.id), 'an approved message stays in the queue');
  } else {
    assert.equal(m.status, 'delivered', 'review "flagged_only": a clean message is delivered at once');
    assert.deepEqual(historyStatuses(m), ['pending_review', 'approved', 'delivered']);
    assert.match(m.delivered_at, RFC3339);
    const q = await queue(w, reviewer, s.id);
    assert.ok(!q.items.some((x) => x.id === m.id), 'a clean message waits in a flagged_only queue');
  }

  // Sender: delivered, with times.
  const sv = await getMsg(w, from, m.id);
  assert.equal(sv.status, 'delivered');
  assert.match(sv.delivered_at, RFC3339);
  assert.match(sv.decided_at, RFC3339);
  assert.equal(sv.read_at, null);
  assert.deepEqual(historyStatuses(sv), ['pending_review', 'approved', 'delivered']);
  assert.ok(ms(sv.created_at) <= ms(sv.decided_at) && ms(sv.decided_at) <= ms(sv.delivered_at));
  assert.equal(sv.history[0].at, sv.created_at, 'the first history entry is the submission time');
  assert.equal(sv.history[2].at, sv.delivered_at);

  // Recipient: inbox, unread, thread, one message.
  const inbox = await list(w, to, 'box=inbox');
  assert.equal(inbox.items[0].id, m.id, 'newest delivered first');
  assert.equal(inbox.items[0].status, 'delivered');
  assert.equal(inbox.items[0].box, 'inbox');
  assert.equal(inbox.items[0].body, body);
  assert.equal(inbox.unread, unreadBefore + 1, 'unread count after delivery');
  assert.equal(inbox.items[0].matched_rules, undefined, 'screening details shown to the recipient');
  const thread = await list(w, to, `contact_id=${contactId}`);
  assert.equal(thread.items[0].id, m.id);
  assert.equal(thread.unread, unreadBefore + 1, 'thread unread count');
  const rv = await getMsg(w, to, m.id);
  assert.equal(rv.status, 'delivered', 'GET does not mark read by itself');
  assert.equal(rv.subject, subject);
  assert.equal(rv.body, body);
  assert.equal(rv.matched_rules, undefined);
  const sentBox = await list(w, to, 'box=sent');
  assert.ok(!sentBox.items.some((x) => x.id === m.id), "a received message in the recipient's sent box");

  // Read.
  const r = await markRead(w, to, m.id);
  assert.match(r.read_at, RFC3339);
  assert.equal((await list(w, to, 'box=inbox')).unread, unreadBefore);
  assert.equal((await list(w, to, `contact_id=${contactId}`)).unread, unreadBefore);
  const again = await markRead(w, to, m.id);
  assert.equal(again.read_at, r.read_at, 'reading twice moves read_at');
  // Only the recipient may mark it read.
  assertError(await w.post(`/api/v1/messages/${m.id}/read`, undefined, from.token), 404, 'not_found', 'sender marking read:');

  const final = await getMsg(w, from, m.id);
  assert.equal(final.status, 'read');
  assert.equal(final.read_at, r.read_at);
  assert.deepEqual(historyStatuses(final), ['pending_review', 'approved', 'delivered', 'read'],
    'reading twice adds a second history entry');
  assert.equal(final.history[3].at, final.read_at);
  return final;
}

for (const s of SETUPS) {
  test(`${s.profile}, review ${s.review}: contact → resident and resident → contact, the whole life`, async () => {
    s.id = await onPlatform(w, op, s.name, { profile: s.profile, review: s.review });
    const pol = await w.get(`/api/v1/facilities/${s.id}/policy`, op.token);
    assert.equal(pol.json.review, s.review);
    const reviewer = await w.staff(op.token, s.id, 'reviewer');
    const { resident, contact, contactId } = await pair(w, op, s.id, s.profile, {
      residentNames: { first_name: 'Luis', last_name: 'Ortega' }, contactName: 'Rosa Ortega',
    });

    // Nothing yet.
    const empty = await list(w, resident, 'box=inbox');
    assert.deepEqual(empty.items, []);
    assert.equal(empty.unread, 0);
    assert.equal(empty.next_cursor, null);

    const a = await lifeOfAMessage(s, reviewer, contact, resident, contactId, `Hello from home (${s.profile})`,
      'Dear Luis,\nwe are all well. The garden is growing.\n\nLove, Rosa');
    assert.equal(a.sender.name, 'Rosa Ortega');
    assert.equal(a.recipient.name, 'Luis Ortega');
    const b = await lifeOfAMessage(s, reviewer, resident, contact, contactId, 'Re: Hello from home',
      'Rosa — thank you. Tell the kids I said hi.');
    assert.equal(b.direction, 'from_resident');

    // The contact hears by email that a message arrived: a link, never the text.
    const mails = outbox(w, 'message_delivered', contact.email);
    assert.equal(mails.length, 1, `message_delivered mails to the contact: ${JSON.stringify(mails)}`);
    assert.ok(mails[0].text.includes(`/messages/${b.id}`), `no link to the message: ${mails[0].text}`);
    for (const part of [mails[0].subject, mails[0].text, mails[0].html]) {
      assert.ok(!part.includes('Tell the kids'), 'the notification carries the message body');
      assert.ok(!part.includes('Re: Hello from home'), 'the notification carries the message subject');
    }
    // The resident reads on the tablet: no email for them.
    const toResident = new RegExp(`/messages/${a.id}(?![0-9])`);
    assert.ok(!outbox(w, 'message_delivered').some((x) => toResident.test(x.text)), 'a mail went out for a message to the resident');

    // Thread view, both sides: both messages, newest first.
    for (const who of [contact, resident]) {
      const t = await list(w, who, `contact_id=${contactId}`);
      assert.deepEqual(t.items.map((x) => x.id), [b.id, a.id], 'thread order');
      assert.equal(t.unread, 0);
    }
    const sent = await list(w, contact, 'box=sent');
    assert.deepEqual(sent.items.map((x) => [x.id, x.status]), [[a.id, 'read']]);
    const inbox = await list(w, contact, 'box=inbox');
    assert.deepEqual(inbox.items.map((x) => [x.id, x.status]), [[b.id, 'read']]);

    // Staff of the facility see both; the facility's audit trail has every transition.
    const staffView = await getMsg(w, reviewer, a.id);
    assert.equal(staffView.facility_id, s.id);
    assert.deepEqual(staffView.matched_rules, []);
    for (const [id, n] of [[a.id, 4], [b.id, 4]]) {
      const rows = w.auditRows(`target = 'message:${id}' AND action LIKE 'message.%' AND action <> 'message.staff_read'`);
      assert.deepEqual(rows.map((r) => r.action),
        ['message.pending_review', 'message.approved', 'message.delivered', 'message.read'].slice(0, n));
      assert.equal(rows[1].actor, s.review === 'all' ? `account:${reviewer.account.id}` : 'system');
    }
  });
}

test('messages need a signed-in party: 401 without a session, 403 for staff, 404 for another contact id', async () => {
  const s = SETUPS[2];
  const { resident, contact, contactId } = await pair(w, op, s.id, s.profile);
  const anon = await w.post('/api/v1/messages', { contact_id: contactId, subject: 'x', body: 'y' });
  assertError(anon, 401, 'unauthenticated');
  const reviewer = await w.staff(op.token, s.id, 'reviewer');
  assertError(await w.post('/api/v1/messages', { contact_id: contactId, subject: 'x', body: 'y' }, reviewer.token), 403, 'forbidden');
  assertError(await w.get('/api/v1/messages?box=inbox', reviewer.token), 403, 'forbidden');
  assertError(await w.get('/api/v1/messages?box=inbox'), 401, 'unauthenticated');
  assertError(await w.get('/api/v1/messages?box=archive', contact.token), 422, 'invalid_field');
  assertError(await w.get('/api/v1/messages?box=inbox&cursor=nonsense', contact.token), 422, 'invalid_field');
  assertError(await w.get('/api/v1/messages?box=inbox&limit=101', contact.token), [400, 422], ['invalid_field', 'bad_request']);

  const outsider = await w.contact();
  const res = await w.post('/api/v1/messages', { contact_id: contactId, subject: 'hi', body: 'not my contact' }, outsider.token);
  const e = assertError(res, 404, 'not_found', "someone else's contact:");
  assert.equal(e.field, 'contact_id');
  const missing = await w.post('/api/v1/messages', { contact_id: 99999999, subject: 'hi', body: 'x' }, contact.token);
  assertError(missing, 404, 'not_found');
  const noId = await w.post('/api/v1/messages', { subject: 'hi', body: 'x' }, contact.token);
  assert.equal(assertError(noId, [400, 422], ['invalid_field', 'missing_field', 'bad_request']).field, 'contact_id');

  // A message between others: 404 for an outsider, for a resident of the same facility and for staff elsewhere.
  const m = await send(w, contact, contactId, 'Private', 'Only for the two of us.');
  await getMsg(w, outsider, m.id, 404);
  const otherResident = await w.resident(op.token, s.id, { number: `OTHER-${Date.now() % 100000}` });
  await getMsg(w, otherResident, m.id, 404);
  const elsewhere = await w.staff(op.token, SETUPS[0].id, 'reviewer');
  await getMsg(w, elsewhere, m.id, 404);
  assertError(await w.del(`/api/v1/messages/${m.id}`, outsider.token), 404, 'not_found');
  await getMsg(w, resident, m.id, 404); // not delivered yet (review "all")
});
