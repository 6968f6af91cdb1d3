// facility_id on every row a facility owns (issue 9, item 4: a schema a
// national deployment can distribute by facility). Real activity through the
// HTTP API — contacts by invitation and by request, pending ones left pending,
// messages both ways with a photo, screening, review (approve and reject),
// deletes, an upload never sent, and a transfer — then the store itself is read:
// no row of those tables lacks facility_id, and each names its parent's
// facility. A resident's rows (contacts, invitations, contact requests) name the
// resident's facility and move with the resident; a message's rows (its
// history, hides, rule matches, stream events, attached photos) name the
// message's facility, which a transfer does not change.
//
// That migration 13 fills the column in a store made before it is checked at
// unit level (tests/unit/test_facility_ids.c).
import { test, before, after } from 'node:test';
import {
  World, assert, onPlatform, pair, send, decide, describeRes,
} from './lib/messaging.mjs';
import { requireSqlite3, ON_PG } from './lib/kite.mjs';

// A 96x64 JPEG (the fixture of attachments.test.mjs, made with libvips 8.14).
const JPEG = Buffer.from('/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCABAAGADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDwdbf2qZbf2rTW29qlW29q/d8TXPGw+JMxbf2qVbf2rUW29qlW29q+fxNc93D4ky1t/aplt/atNbb2qZbb2r57E1z3MPiTLW39qlW39q1FtvapVtvavn8TXPcw+JMtbf2qZbf2rTW29qlW29q+exNc9zD4kzFt/apVt/atRbb2qVbb2r5/E1z3cPiTnltvapltvatNbb2qZbb2r+isTXP5Tw+JMtbb2qVbb2rUW29qlW29q+exNc9zD4ky1tvapltvatNbb2qZbb2r5/E1z3MPiTLW29qlW29q1FtvapVtvavn8TXPdw+JMtbb2qZbb2rTW29qmW29q+exNc9zD4ky1tvapVtvatRbb2qVbb2r5/E1z3MPiTnltvapltvatRbb2qVbb2r+isTXP5Tw+JMtbb2qVbb2rUW29qlW29q+exNc9zD4ky1tvapltvatNbb2qZbb2r5/E1z3cPiTLW29qlW29q1FtvapVtvavnsTXPcw+JMtbb2qZbb2rTW29qmW29q+fxNc9zD4ky1tvapVtvatRbb2qVbb2r57E1z3MPiTn1tvapVtvatRbb2qVbb2r+i8TXP5Tw+JMtbb2qVbb2rUW29qlW29q+exNc93D4kzFtvapVtvatRbb2qVbb2r5/E1z3MPiTLW29qlW29q1FtvapVtvavnsTXPcw+JMxbb2qVbb2rUW29qlW29q+fxNc9zD4ky1tvapVtvatRbb2qVbb2r57E1z3cPiT//2Q==', 'base64');

let w;
let op;
let J; // jpay, every message reviewed, photos allowed
let B; // jpay, flagged messages only: where the jpay resident is transferred
let FED; // federal: contacts by invitation
let reviewerJ;
let reviewerFED;

before(async () => {
  requireSqlite3();
  w = await World.start();
  op = await w.operator();
  J = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay', review: 'all' });
  B = await onPlatform(w, op, 'CALIFORNIA STATE PRISON, CORCORAN (COR)', { profile: 'jpay', review: 'flagged_only' });
  FED = await onPlatform(w, op, 'FCI ALICEVILLE', { profile: 'federal', review: 'all' });
  reviewerJ = await w.staff(op.token, J, 'reviewer');
  reviewerFED = await w.staff(op.token, FED, 'reviewer');
});
after(async () => { if (w) await w.close(); });

function upload(who, body) {
  return w.srv.request('POST', '/api/v1/attachments', {
    body, token: who.token, headers: { 'Content-Type': 'image/jpeg' }, timeoutMs: 60_000,
  });
}

async function uploadPhoto(who) {
  const res = await upload(who, JPEG);
  assert.equal(res.status, 201, `upload: ${describeRes(res)}`);
  return res.json.id;
}

async function sendWithPhoto(who, contactId, subject, body, attachmentId) {
  const res = await w.srv.request('POST', '/api/v1/messages', {
    body: { contact_id: contactId, subject, body, attachment_ids: [attachmentId] }, token: who.token,
  });
  assert.equal(res.status, 202, `send with a photo: ${describeRes(res)}`);
  assert.deepEqual(res.json.attachment_ids, [attachmentId]);
  return res.json;
}

async function hide(who, id) {
  const res = await w.del(`/api/v1/messages/${id}`, who.token);
  assert.equal(res.status, 204, `hide ${id}: ${describeRes(res)}`);
}

const count = (sql) => Number(w.sql(sql));

/** Rows of `table` whose facility_id is not their parent's, by the join given (`x` is the table). */
function mismatches(table, parent, on) {
  return count(`SELECT COUNT(*) FROM ${table} x JOIN ${parent} p ON ${on} WHERE x.facility_id IS DISTINCT FROM p.facility_id`);
}

let moved; // the jpay pair, whose resident is transferred from J to B
const before_ = {}; // message ids sent at J before the transfer

test('contacts by invitation (federal) and by request (jpay), messages both ways with a photo, review, deletes, screening', async () => {
  // Federal: the resident invites; one invitation is accepted, another left pending.
  const fed = await pair(w, op, FED, 'federal', { contactName: 'Ana Federal' });
  const pending = await w.invite(fed.resident, 'not-yet@example.org');
  assert.equal(pending.status, 201);
  const toFed = await send(w, fed.contact, fed.contactId, 'Hello', 'From the family');
  await decide(w, reviewerFED, toFed.id, 'approve');
  const fromFed = await send(w, fed.resident, fed.contactId, 'Reply', 'From inside');
  await decide(w, reviewerFED, fromFed.id, 'reject', 'other', 'not this one');
  await hide(fed.contact, toFed.id);

  // jpay: the contact asks and the resident approves; a second request stays pending.
  const admin = await w.staff(op.token, J, 'facility_admin');
  const rule = await w.post(`/api/v1/facilities/${J}/screening-rules`,
    { kind: 'words', value: 'bluebird', action: 'flag', note: 'facility-ids test' }, admin.token);
  assert.equal(rule.status, 201, describeRes(rule));
  moved = await pair(w, op, J, 'jpay', { contactName: 'Rosa Request' });
  const asker = await w.contact({ full_name: 'Still Asking' });
  await w.request(asker, { facility_id: J, resident_number: moved.resident.number });

  const photo = await uploadPhoto(moved.contact);
  const withPhoto = await sendWithPhoto(moved.contact, moved.contactId, 'A photo', 'The bluebird came back.', photo);
  await decide(w, reviewerJ, withPhoto.id, 'approve');
  const reply = await send(w, moved.resident, moved.contactId, 'Thanks', 'Lovely photo');
  await decide(w, reviewerJ, reply.id, 'approve');
  await hide(moved.resident, withPhoto.id);
  await hide(moved.contact, reply.id);
  // Still pending at J when the resident leaves: the transfer rejects it and gives its hold back.
  const unreviewed = await send(w, moved.contact, moved.contactId, 'Pending', 'Waiting for review');
  Object.assign(before_, { withPhoto: withPhoto.id, reply: reply.id, unreviewed: unreviewed.id });

  // An upload never sent belongs to its owner and to no facility yet.
  await uploadPhoto(fed.contact);

  assert.equal(count(`SELECT COUNT(*) FROM message_rule_matches WHERE message_id = ${withPhoto.id}`), 1,
    'the screening rule did not match');
  assert.equal(count(`SELECT COUNT(*) FROM attachments WHERE message_id = ${withPhoto.id}`), 1);
});

test('a transfer moves the resident\'s rows to the new facility; messages and their rows stay where they were reviewed', async () => {
  assert.ok(moved, 'the first test did not finish');
  const res = await w.post(`/api/v1/facilities/${J}/residents/${encodeURIComponent(moved.resident.number)}/transfer`,
    { to_facility_id: B }, op.token);
  assert.equal(res.status, 200, `transfer: ${describeRes(res)}`);
  assert.equal(res.json.on_platform, true);
  const rid = moved.resident.resident?.id ?? await w.residentId(op.token, { facility_id: B, number: moved.resident.number });

  for (const table of ['contacts', 'invitations', 'contact_requests']) {
    const rows = count(`SELECT COUNT(*) FROM ${table} WHERE resident_id = ${rid}`);
    if (table !== 'invitations') assert.ok(rows >= 1, `no ${table} of the transferred resident`);
    assert.equal(count(`SELECT COUNT(*) FROM ${table} WHERE resident_id = ${rid} AND facility_id <> ${B}`), 0,
      `${table} of the transferred resident still name the old facility`);
  }
  const ids = Object.values(before_).join(',');
  assert.equal(count(`SELECT COUNT(*) FROM messages WHERE id IN (${ids}) AND facility_id = ${J}`), 3);
  for (const table of ['message_events', 'events', 'message_hidden', 'attachments']) {
    assert.ok(count(`SELECT COUNT(*) FROM ${table} WHERE message_id IN (${ids})`) >= 1, `no ${table} rows`);
    assert.equal(count(`SELECT COUNT(*) FROM ${table} WHERE message_id IN (${ids}) AND facility_id IS DISTINCT FROM ${J}`), 0,
      `${table} of messages sent before the transfer moved`);
  }
  assert.equal(w.sql(`SELECT status FROM messages WHERE id = ${before_.unreviewed}`), 'rejected');

  // Writing again, now at B: the new message and its rows name B.
  await w.buyBundle(moved.contact, B, 'stamps', 10);
  const after = await send(w, moved.contact, moved.contactId, 'Moved', 'Hello at the new place');
  assert.equal(count(`SELECT facility_id FROM messages WHERE id = ${after.id}`), B);
  assert.equal(count(`SELECT COUNT(*) FROM message_events WHERE message_id = ${after.id} AND facility_id = ${B}`),
    count(`SELECT COUNT(*) FROM message_events WHERE message_id = ${after.id}`));
  // A new request to the moved resident is made under B.
  const late = await w.contact({ full_name: 'Late Asker' });
  await w.request(late, { facility_id: B, resident_number: moved.resident.number });
  assert.equal(count(`SELECT facility_id FROM contact_requests WHERE contact_account_id = ${late.account.id}`), B);
});

test('in the store: no row lacks facility_id, and each names its parent\'s facility', () => {
  const resident = 'p.id = x.resident_id';
  const message = 'p.id = x.message_id';
  for (const table of ['contacts', 'invitations', 'contact_requests']) {
    assert.ok(count(`SELECT COUNT(*) FROM ${table}`) >= 2, `too few ${table} to show anything`);
    assert.equal(count(`SELECT COUNT(*) FROM ${table} WHERE facility_id IS NULL`), 0, `${table}: NULL facility_id`);
    assert.equal(mismatches(table, 'residents', resident), 0, `${table}: not the resident's facility`);
  }
  for (const table of ['message_events', 'message_hidden', 'message_rule_matches', 'events']) {
    assert.ok(count(`SELECT COUNT(*) FROM ${table}`) >= 1, `no ${table} to show anything`);
    assert.equal(count(`SELECT COUNT(*) FROM ${table} WHERE facility_id IS NULL`), 0, `${table}: NULL facility_id`);
    assert.equal(mismatches(table, 'messages', message), 0, `${table}: not the message's facility`);
  }
  // Photos: the message's facility once attached; none while only uploaded.
  assert.ok(count('SELECT COUNT(*) FROM attachments WHERE message_id IS NOT NULL') >= 1);
  assert.equal(count('SELECT COUNT(*) FROM attachments WHERE message_id IS NOT NULL AND facility_id IS NULL'), 0);
  assert.equal(mismatches('attachments', 'messages', message), 0, "attachments: not the message's facility");
  assert.ok(count('SELECT COUNT(*) FROM attachments WHERE message_id IS NULL') >= 1, 'no unsent upload');
  assert.equal(count('SELECT COUNT(*) FROM attachments WHERE message_id IS NULL AND facility_id IS NOT NULL'), 0);
  // Rows at three facilities, so a value taken from the wrong parent would show.
  assert.equal(count(`SELECT COUNT(DISTINCT facility_id) FROM message_events WHERE facility_id IN (${J}, ${B}, ${FED})`), 3);
  assert.equal(count(`SELECT COUNT(DISTINCT facility_id) FROM contacts WHERE facility_id IN (${B}, ${FED})`), 2);
  // PostgreSQL checks every foreign key as rows are written, unless a constraint was made NOT VALID.
  assert.equal(w.sql(ON_PG
    ? "SELECT string_agg(conname, ',') FROM pg_constraint WHERE contype = 'f' AND NOT convalidated"
    : 'PRAGMA foreign_key_check'), '');
});

test('the audit chain still verifies', async () => {
  await w.auditOk();
});
