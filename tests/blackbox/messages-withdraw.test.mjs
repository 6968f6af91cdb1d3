// The sender withdraws a message nobody has reviewed yet: it becomes withdrawn, its
// hold is released in the same transaction (the stamps or trust money come back), it
// leaves the review queue, is never delivered and never shown to the recipient. A
// second withdrawal, a withdrawal after delivery or rejection, and a reviewer's
// decision after it are refused 409; someone else's message is 404; a withdrawal racing a
// reviewer has exactly one winner. `kite ledger verify` passes on the store at the end.
//
// SECURITY: money and visibility. Balances are read back from the server; the
// recipient and a stranger are asked directly whether they can see the message.
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, onPlatform, pair, send, post, getMsg, decide, decideRaw, queue, listAll, REJECT_REASONS,
  describeRes,
} from './lib/messaging.mjs';
import { cli } from './lib/kite.mjs';

let w;
let op;
let J; // jpay: stamps, every message reviewed
let reviewer;

before(async () => {
  w = await World.start();
  op = await w.operator();
  J = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay' });
  reviewer = await w.staff(op.token, J, 'reviewer');
});

after(async () => {
  if (w) {
    const r = await cli(['ledger', 'verify', '--db', w.dbPath]);
    assert.equal(r.code, 0, `kite ledger verify: exit ${r.code}\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^ledger: ok/);
    await w.close();
  }
});

const withdraw = (who, id) => w.post(`/api/v1/messages/${id}/withdraw`, undefined, who.token);

async function wallet(person) {
  const r = await w.get('/api/v1/wallet', person.token);
  assert.equal(r.status, 200, describeRes(r));
  return r.json;
}

async function stamps(person) {
  const b = (await wallet(person)).bundles.find((x) => x.facility_id === J && x.unit === 'stamps');
  return b ? b.balance : 0;
}

const TOO_LATE = 'This message can no longer be withdrawn: it was already delivered, rejected or withdrawn. '
  + 'Reload the conversation to see where it stands.';

test('a contact withdraws: the stamp comes back, the message is withdrawn and out of the queue for good', async () => {
  const p = await pair(w, op, J, 'jpay');
  const start = await stamps(p.contact);
  const m = await send(w, p.contact, p.contactId, 'Never mind', 'I will say it in person.');
  assert.equal(await stamps(p.contact), start - 1, 'the stamp is held while it waits');
  assert.ok((await queue(w, reviewer, J)).items.some((x) => x.id === m.id), 'waiting for review');

  const res = await withdraw(p.contact, m.id);
  assert.equal(res.status, 200, describeRes(res));
  assert.equal(res.json.id, m.id);
  assert.equal(res.json.status, 'withdrawn');
  assert.deepEqual([res.json.hold.state, res.json.hold.amount, res.json.hold.unit], ['released', 1, 'stamps']);
  assert.ok(Date.parse(res.json.hold.released_at) >= Date.parse(res.json.hold.held_at));
  assert.equal(res.json.hold.captured_at, null);
  assert.deepEqual(res.json.history.map((h) => h.status), ['pending_review', 'withdrawn']);
  assert.equal(await stamps(p.contact), start, 'nobody pays for a withdrawn message');

  // One transaction wrote the move's history, the sender's live event and the audit record.
  assert.equal(w.sql(`SELECT COUNT(*) FROM message_events WHERE message_id = ${m.id} AND status = 'withdrawn'`), '1');
  assert.equal(w.sql(`SELECT COUNT(*) FROM events WHERE message_id = ${m.id} AND status = 'withdrawn'`
    + ` AND kind = 'message.status' AND account_id = ${p.contact.account.id}`), '1');
  assert.equal(w.sql(`SELECT COUNT(*) FROM events WHERE message_id = ${m.id} AND account_id = ${p.resident.account.id}`), '0',
    'the recipient hears nothing of it');
  assert.equal(w.sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'message.withdrawn' AND target LIKE '%${m.id}'`), '1');
  assert.equal(w.sql(`SELECT state FROM ledger_holds WHERE subject_kind = 'message' AND subject_id = ${m.id}`), 'released');

  // Gone from the queue; a reviewer's decision afterwards is refused and changes nothing.
  assert.ok(!(await queue(w, reviewer, J)).items.some((x) => x.id === m.id), 'still in the review queue');
  assertError(await decideRaw(w, reviewer, m.id, 'approve'), 409, 'already_decided');
  assertError(await decideRaw(w, reviewer, m.id, 'reject', REJECT_REASONS[0]), 409, 'already_decided');
  assert.equal(await stamps(p.contact), start);

  // The recipient never sees it; the sender does, as withdrawn.
  await getMsg(w, p.resident, m.id, 404);
  assert.ok(!(await listAll(w, p.resident, 'box=inbox')).some((x) => x.id === m.id));
  assert.ok(!(await listAll(w, p.resident, `box=thread&contact_id=${p.contactId}`)).some((x) => x.id === m.id));
  assert.equal((await getMsg(w, p.contact, m.id)).status, 'withdrawn');

  // Withdrawn once is enough.
  const again = await withdraw(p.contact, m.id);
  assert.equal(assertError(again, 409, 'already_decided').message, TOO_LATE);
  assert.equal(await stamps(p.contact), start, 'a second withdrawal gives nothing more back');
});

test('a resident withdraws: the trust money comes back', async () => {
  const p = await pair(w, op, J, 'jpay');
  const before = await wallet(p.resident);
  const m = await send(w, p.resident, p.contactId, 'Scratch that', 'Waiting for review.');
  assert.deepEqual([m.price.unit, m.price.amount], ['cents', 45]);
  assert.equal((await wallet(p.resident)).held_cents, before.held_cents + 45);
  const res = await withdraw(p.resident, m.id);
  assert.equal(res.status, 200, describeRes(res));
  assert.deepEqual([res.json.status, res.json.hold.state], ['withdrawn', 'released']);
  const after = await wallet(p.resident);
  assert.deepEqual([after.balance_cents, after.held_cents], [before.balance_cents, before.held_cents]);
  await getMsg(w, p.contact, m.id, 404);
});

test('too late: a delivered or rejected message cannot be withdrawn, and its money stays where it is', async () => {
  const p = await pair(w, op, J, 'jpay');
  const start = await stamps(p.contact);
  const delivered = await send(w, p.contact, p.contactId, 'Hello', 'Delivered first.');
  await decide(w, reviewer, delivered.id, 'approve');
  assert.equal(assertError(await withdraw(p.contact, delivered.id), 409, 'already_decided').message, TOO_LATE);
  const got = await getMsg(w, p.contact, delivered.id);
  assert.deepEqual([got.status, got.hold.state], ['delivered', 'captured']);
  assert.equal(await stamps(p.contact), start - 1, 'the delivered message stays paid');

  const rejected = await send(w, p.contact, p.contactId, 'No', 'Rejected first.');
  await decide(w, reviewer, rejected.id, 'reject', REJECT_REASONS[0]);
  assertError(await withdraw(p.contact, rejected.id), 409, 'already_decided');
  assert.equal((await getMsg(w, p.contact, rejected.id)).status, 'rejected');
  assert.equal(await stamps(p.contact), start - 1);
});

test("someone else's message is 404: the recipient, a stranger and staff cannot withdraw it", async () => {
  const p = await pair(w, op, J, 'jpay');
  const m = await send(w, p.contact, p.contactId, 'Mine', 'Only I may take it back.');
  const stranger = await w.contact({ full_name: 'Someone Else' });
  assertError(await withdraw(p.resident, m.id), 404, 'not_found');
  assertError(await withdraw(stranger, m.id), 404, 'not_found');
  assertError(await withdraw(p.contact, 999999999), 404, 'not_found');
  assertError(await withdraw(reviewer, m.id), 403, 'forbidden');
  const got = await getMsg(w, p.contact, m.id);
  assert.deepEqual([got.status, got.hold.state], ['pending_review', 'held']);
  assert.equal(w.sql(`SELECT COUNT(*) FROM message_events WHERE message_id = ${m.id}`), '1', 'nothing was written');
});

test('a withdrawal racing a reviewer: exactly one wins, and the stamp is either spent or given back, never both', async () => {
  const p = await pair(w, op, J, 'jpay');
  const start = await stamps(p.contact);
  for (let round = 0; round < 5; round++) {
    const m = await send(w, p.contact, p.contactId, `Race ${round}`, 'Who is first?');
    const decision = round % 2 ? decideRaw(w, reviewer, m.id, 'approve') : decideRaw(w, reviewer, m.id, 'reject', REJECT_REASONS[0]);
    const [wd, dec] = await Promise.all([withdraw(p.contact, m.id), decision]);
    const statuses = [wd.status, dec.status].sort();
    assert.deepEqual(statuses, [200, 409], `round ${round}: withdraw ${describeRes(wd)} / decide ${describeRes(dec)}`);
    const got = await getMsg(w, p.contact, m.id);
    if (wd.status === 200) assert.deepEqual([got.status, got.hold.state], ['withdrawn', 'released']);
    else assert.deepEqual([got.status, got.hold.state], round % 2 ? ['delivered', 'captured'] : ['rejected', 'released']);
  }
  const spent = Number(w.sql(`SELECT COUNT(*) FROM messages WHERE sender_account_id = ${p.contact.account.id}`
    + " AND status IN ('delivered', 'read')"));
  assert.equal(await stamps(p.contact), start - spent, 'only delivered messages are paid for');
  const r = await cli(['ledger', 'verify', '--db', w.dbPath]);
  assert.equal(r.code, 0, `kite ledger verify: exit ${r.code}\n${r.stdout}${r.stderr}`);
});

test('a withdrawn message no longer counts toward the daily limit', async () => {
  const L = await onPlatform(w, op, 'CALIFORNIA STATE PRISON, SACRAMENTO (SAC)', { profile: 'jpay', daily_send_limit: 2 });
  const p = await pair(w, op, L, 'jpay');
  const first = await send(w, p.contact, p.contactId, 'One', 'the first of the day');
  await send(w, p.contact, p.contactId, 'Two', 'the second of the day');
  assertError(await post(w, p.contact, { contact_id: p.contactId, subject: 'Three', body: 'one too many' }), 429,
    'daily_limit_reached', 'at the limit:');
  const back = await withdraw(p.contact, first.id);
  assert.equal(back.status, 200, describeRes(back));
  await send(w, p.contact, p.contactId, 'Three', 'in place of the withdrawn one');
  assertError(await post(w, p.contact, { contact_id: p.contactId, subject: 'Four', body: 'at the limit again' }), 429,
    'daily_limit_reached', 'at the limit again:');
});
