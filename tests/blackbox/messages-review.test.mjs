// The mail room (issue 4 "Review"): two reviewers deciding one message at the
// same moment (exactly one wins, the other gets 409, one decision in the
// history), bulk decisions with a result per id, who may see which queue, and
// the queue's metrics — depth, oldest age, median time to decision, the SLA
// (the server restarted with its clock moved past the SLA).
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, onPlatform, pair, send, getMsg, list, decide, decideRaw, queue, historyStatuses, outbox,
  describeRes,
} from './lib/messaging.mjs';
import { sqlGroupConcat } from './lib/kite.mjs';

let w;
let op;
let J; // jpay, review all (SLA 48 h)
let FED; // federal, review all (SLA 24 h)
let rev1;
let rev2;
let admin;
let revF;
let people; // a jpay pair
let fedPeople; // a federal pair

before(async () => {
  w = await World.start();
  op = await w.operator();
  J = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay' });
  FED = await onPlatform(w, op, 'FCI ALICEVILLE', { profile: 'federal' });
  rev1 = await w.staff(op.token, J, 'reviewer');
  rev2 = await w.staff(op.token, J, 'reviewer');
  admin = await w.staff(op.token, J, 'facility_admin');
  revF = await w.staff(op.token, FED, 'reviewer');
  people = await pair(w, op, J, 'jpay');
  fedPeople = await pair(w, op, FED, 'federal');
});
after(async () => { if (w) await w.close(); });

const decisionEvents = (id) => w.sql(`SELECT ${sqlGroupConcat('status')} FROM (SELECT status FROM message_events WHERE message_id = ${id} ORDER BY id) AS q`);

test('two reviewers decide the same message at once: exactly one 200, one 409 already_decided, one decision in the history', async () => {
  const combos = [
    ['approve', 'approve'], ['reject', 'reject'], ['approve', 'reject'], ['reject', 'approve'],
    ['approve', 'approve'], ['approve', 'reject'], ['reject', 'approve'], ['approve', 'approve'],
  ];
  let round = 0;
  for (const [d1, d2] of combos) {
    round += 1;
    // Alternate directions: resident → contact approvals also send a mail (once).
    const fromResident = round % 2 === 0;
    const sender = fromResident ? people.resident : people.contact;
    const m = await send(w, sender, people.contactId, `race ${round}`, `race body ${round}`);
    const answers = await Promise.all([
      decideRaw(w, rev1, m.id, d1, d1 === 'reject' ? 'other' : undefined, d1 === 'reject' ? 'from rev1' : undefined),
      decideRaw(w, rev2, m.id, d2, d2 === 'reject' ? 'harassment' : undefined, d2 === 'reject' ? 'from rev2' : undefined),
    ]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409], `round ${round}: ${answers.map(describeRes).join(' | ')}`);
    const loser = answers.find((a) => a.status === 409);
    assertError(loser, 409, 'already_decided', `round ${round} loser:`);
    const winnerIndex = answers.findIndex((a) => a.status === 200);
    const winner = answers[winnerIndex];
    const decision = [d1, d2][winnerIndex];
    const expected = decision === 'approve' ? 'pending_review,approved,delivered' : 'pending_review,rejected';
    assert.equal(decisionEvents(m.id), expected, `round ${round}: events`);
    const sv = await getMsg(w, sender, m.id);
    assert.deepEqual(historyStatuses(sv), expected.split(','));
    assert.equal(sv.status, winner.json.status);
    if (decision === 'reject') {
      assert.deepEqual(sv.rejection, winnerIndex === 0 ? { reason: 'other', label: 'Another reason (see the note)', note: 'from rev1' } : { reason: 'harassment', label: 'Threats or harassment', note: 'from rev2' },
        'the rejection shown is not the winner\'s');
    }
    const deciders = w.auditRows(`target = 'message:${m.id}' AND action IN ('message.approved', 'message.rejected')`);
    assert.equal(deciders.length, 1, `round ${round}: audit decisions ${JSON.stringify(deciders)}`);
    assert.equal(deciders[0].actor, `account:${[rev1, rev2][winnerIndex].account.id}`);
    if (fromResident) {
      const mails = outbox(w, decision === 'approve' ? 'message_delivered' : 'message_rejected', people.contact.email)
        .filter((x) => new RegExp(`/messages/${m.id}(?![0-9])`).test(x.text));
      assert.equal(mails.length, decision === 'approve' ? 1 : 0, `round ${round}: mails`);
    }
  }
});

test('five decisions at once on one message, repeated: one winner each time', async () => {
  const staff = [rev1, rev2, admin, op, await w.staff(op.token, J, 'reviewer')];
  for (let round = 0; round < 5; round++) {
    const m = await send(w, people.contact, people.contactId, `crowd ${round}`, 'everyone at once');
    const answers = await Promise.all(staff.map((s, i) => decideRaw(w, s, m.id, i % 2 ? 'reject' : 'approve', i % 2 ? 'other' : undefined, i % 2 ? `from reviewer ${i}` : undefined)));
    const codes = answers.map((a) => a.status).sort();
    assert.deepEqual(codes, [200, 409, 409, 409, 409], answers.map(describeRes).join(' | '));
    for (const a of answers.filter((x) => x.status === 409)) assertError(a, 409, 'already_decided');
    const n = w.sql(`SELECT COUNT(*) FROM message_events WHERE message_id = ${m.id} AND status IN ('approved', 'rejected')`);
    assert.equal(n, '1');
  }
});

test('bulk: approve a list → a result per id (ok + status, or the error); decided, foreign and unknown ids fail alone', async () => {
  const mine = [];
  for (let i = 0; i < 6; i++) mine.push((await send(w, people.contact, people.contactId, `bulk ${i}`, `bulk body ${i}`)).id);
  const decided = (await send(w, people.contact, people.contactId, 'decided', 'already')).id;
  await decide(w, rev1, decided, 'approve');
  const foreign = (await send(w, fedPeople.contact, fedPeople.contactId, 'federal', 'another facility')).id;
  const ids = [...mine, decided, foreign, 99999999];
  const res = await w.post('/api/v1/review/bulk', { message_ids: ids, decision: 'approve', note: 'ok' }, rev1.token);
  assert.equal(res.status, 200, describeRes(res));
  const results = res.json.results;
  assert.deepEqual(results.map((r) => r.id), ids, 'one result per id, in order');
  for (const r of results.slice(0, 6)) assert.deepEqual(r, { id: r.id, ok: true, status: 'delivered' });
  assert.equal(results[6].ok, false);
  assert.equal(results[6].error.code, 'already_decided');
  assert.equal(results[7].ok, false);
  assert.equal(results[7].error.code, 'not_found', "another facility's message");
  assert.equal(results[8].ok, false);
  assert.equal(results[8].error.code, 'not_found');
  for (const id of mine) assert.equal(decisionEvents(id), 'pending_review,approved,delivered');
  assert.equal(decisionEvents(foreign), 'pending_review', 'bulk decided a message of another facility');
  const inbox = await list(w, people.resident, 'box=inbox&limit=100');
  for (const id of mine) assert.ok(inbox.items.some((x) => x.id === id), `bulk-approved ${id} not delivered`);

  // Bulk reject with a reason; the sender sees it on each.
  const more = [];
  for (let i = 0; i < 3; i++) more.push((await send(w, people.resident, people.contactId, `bulk r ${i}`, `reject me ${i}`)).id);
  const rej = await w.post('/api/v1/review/bulk', { message_ids: more, decision: 'reject', reason: 'coded_language', note: 'bulk' }, admin.token);
  assert.equal(rej.status, 200, describeRes(rej));
  assert.deepEqual(rej.json.results.map((r) => [r.ok, r.status]), more.map(() => [true, 'rejected']));
  for (const id of more) assert.deepEqual((await getMsg(w, people.resident, id)).rejection, { reason: 'coded_language', label: 'Coded or hidden language', note: 'bulk' });

  // Reject without a reason: nothing is rejected.
  const last = (await send(w, people.contact, people.contactId, 'no reason', 'x')).id;
  const noReason = await w.post('/api/v1/review/bulk', { message_ids: [last], decision: 'reject' }, rev1.token);
  if (noReason.status === 200) {
    assert.equal(noReason.json.results[0].ok, false);
    assert.equal(noReason.json.results[0].error.code, 'invalid_field');
  } else {
    assert.equal(assertError(noReason, 422, 'invalid_field').field, 'reason');
  }
  assert.equal((await getMsg(w, people.contact, last)).status, 'pending_review');

  // Malformed lists.
  for (const body of [{ decision: 'approve' }, { message_ids: [], decision: 'approve' }, { message_ids: 'all', decision: 'approve' },
    { message_ids: Array.from({ length: 101 }, (_, i) => i + 1), decision: 'approve' }]) {
    const r = await w.post('/api/v1/review/bulk', body, rev1.token);
    assert.equal(assertError(r, 422, 'invalid_field', JSON.stringify(body).slice(0, 60)).field, 'message_ids');
  }
  assertError(await w.post('/api/v1/review/bulk', { message_ids: [last], decision: 'approve' }, people.contact.token), 403, 'forbidden');
  assertError(await w.post('/api/v1/review/bulk', { message_ids: [last], decision: 'approve' }), 401, 'unauthenticated');
  const elsewhere = await w.post('/api/v1/review/bulk', { message_ids: [last], decision: 'approve' }, revF.token);
  assert.equal(elsewhere.status, 200, describeRes(elsewhere));
  assert.deepEqual(elsewhere.json.results.map((r) => [r.ok, r.error?.code]), [[false, 'not_found']]);
  assert.equal((await getMsg(w, people.contact, last)).status, 'pending_review');
});

test('bulk and single decisions racing over the same messages: each message decided exactly once', async () => {
  const ids = [];
  for (let i = 0; i < 12; i++) ids.push((await send(w, people.contact, people.contactId, `mix ${i}`, `mixed race ${i}`)).id);
  const singles = ids.map((id) => decideRaw(w, rev2, id, 'reject', 'other', 'one at a time'));
  const bulk = w.post('/api/v1/review/bulk', { message_ids: ids, decision: 'approve' }, rev1.token);
  const [b, ...s] = await Promise.all([bulk, ...singles]);
  assert.equal(b.status, 200, describeRes(b));
  for (let i = 0; i < ids.length; i++) {
    const bulkWon = b.json.results[i].ok;
    const singleWon = s[i].status === 200;
    assert.ok(bulkWon !== singleWon, `message ${ids[i]}: bulk ${JSON.stringify(b.json.results[i])}, single ${describeRes(s[i])}`);
    if (!singleWon) assertError(s[i], 409, 'already_decided');
    else assert.equal(b.json.results[i].error.code, 'already_decided');
    const n = w.sql(`SELECT COUNT(*) FROM message_events WHERE message_id = ${ids[i]} AND status IN ('approved', 'rejected')`);
    assert.equal(n, '1', `message ${ids[i]} decided ${n} times`);
  }
});

test('who sees which queue: reviewer and admin of the facility, operator; 404 for another facility, 403 for others', async () => {
  const m = await send(w, people.contact, people.contactId, 'scope', 'who may see me');
  for (const s of [rev1, admin, op]) {
    const q = await queue(w, s, J);
    assert.ok(q.items.some((x) => x.id === m.id));
  }
  // Without facility_id a reviewer gets their own facility's queue.
  const own = await w.get('/api/v1/review/queue', rev1.token);
  assert.equal(own.status, 200, describeRes(own));
  assert.ok(own.json.items.some((x) => x.id === m.id));
  assertError(await w.get(`/api/v1/review/queue?facility_id=${J}`, revF.token), 404, 'not_found', 'reviewer of another facility:');
  assertError(await decideRaw(w, revF, m.id, 'approve'), 404, 'not_found', 'deciding at another facility:');
  await getMsg(w, revF, m.id, 404);
  const investigator = await w.staff(op.token, J, 'investigator');
  assertError(await w.get(`/api/v1/review/queue?facility_id=${J}`, investigator.token), 403, 'forbidden', 'investigator:');
  assertError(await decideRaw(w, investigator, m.id, 'approve'), 403, 'forbidden', 'investigator deciding:');
  assertError(await w.get(`/api/v1/review/queue?facility_id=${J}`, people.contact.token), 403, 'forbidden');
  assertError(await w.get(`/api/v1/review/queue?facility_id=${J}`, people.resident.token), 403, 'forbidden');
  assertError(await decideRaw(w, people.resident, m.id, 'approve'), 403, 'forbidden', 'a resident approving:');
  assertError(await w.get(`/api/v1/review/queue?facility_id=${J}`), 401, 'unauthenticated');
  assertError(await w.get('/api/v1/review/queue', op.token), 422, 'invalid_field', 'operator without facility_id:');
  assertError(await w.get(`/api/v1/review/queue?facility_id=${J}&limit=0`, rev1.token), 422, 'invalid_field');
  assertError(await w.get(`/api/v1/facilities/${J}/reject-reasons`, people.contact.token), [403, 404], undefined);
  assert.equal((await getMsg(w, people.contact, m.id)).status, 'pending_review');
});

test('queue metrics: depth, oldest age, decided in the last day, median decision time, SLA and over-SLA after time passes', async () => {
  // Start from an empty queue.
  let q = await queue(w, rev1, J, '&limit=100');
  if (q.items.length) {
    const r = await w.post('/api/v1/review/bulk', { message_ids: q.items.map((x) => x.id), decision: 'reject', reason: 'other', note: 'all of these' }, rev1.token);
    assert.equal(r.status, 200);
  }
  q = await queue(w, rev1, J);
  assert.equal(q.metrics.depth, 0);
  assert.equal(q.metrics.oldest_age_seconds, 0);
  assert.equal(q.metrics.sla_seconds, 48 * 3600, 'jpay SLA 48 h');
  assert.equal(q.metrics.over_sla, 0);
  assert.ok(q.metrics.decided_last_24h > 0);
  assert.equal(typeof q.metrics.median_decision_seconds_24h, 'number');
  const decidedBefore = q.metrics.decided_last_24h;

  const waiting = [];
  for (let i = 0; i < 4; i++) waiting.push((await send(w, people.contact, people.contactId, `wait ${i}`, `waiting ${i}`)).id);
  await new Promise((r) => setTimeout(r, 1100));
  q = await queue(w, rev1, J);
  assert.equal(q.metrics.depth, 4);
  assert.ok(q.metrics.oldest_age_seconds >= 1, `oldest age ${q.metrics.oldest_age_seconds}`);
  assert.deepEqual(q.items.map((x) => x.id), waiting, 'oldest first');
  await decide(w, rev1, waiting[0], 'approve');
  q = await queue(w, rev1, J);
  assert.equal(q.metrics.depth, 3);
  assert.equal(q.metrics.decided_last_24h, decidedBefore + 1);
  const fq = await queue(w, revF, FED);
  assert.equal(fq.metrics.sla_seconds, 24 * 3600, 'federal SLA 24 h');

  // Two days later (the server restarted with its clock moved): all three are over the 48 h SLA.
  await w.restart({ clockOffset: 49 * 3600 });
  for (const p of [rev1]) await w.signInAgain(p);
  q = await queue(w, rev1, J);
  assert.equal(q.metrics.depth, 3);
  assert.equal(q.metrics.over_sla, 3);
  assert.ok(q.metrics.oldest_age_seconds >= 49 * 3600, `oldest ${q.metrics.oldest_age_seconds}`);
  assert.equal(q.metrics.decided_last_24h, 0, 'decisions of two days ago are not in the last 24 h');
  assert.equal(q.metrics.median_decision_seconds_24h, null);
  for (const item of q.items) {
    assert.equal(item.over_sla, true);
    assert.ok(item.age_seconds >= 49 * 3600);
  }
  await decide(w, rev1, waiting[1], 'approve');
  q = await queue(w, rev1, J);
  assert.equal(q.metrics.decided_last_24h, 1);
  assert.ok(q.metrics.median_decision_seconds_24h >= 49 * 3600, `median ${q.metrics.median_decision_seconds_24h}`);
  await w.auditOk();
});
