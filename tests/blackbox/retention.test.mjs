// Retention and legal holds (issue 13, item 3): per-facility periods for
// messages, photos and audit records in the policy; `kite purge` (and the
// server's worker) empties what is due - a finished message's subject and
// body, its photos' bytes, its words in the investigators' index - and keeps
// a tombstone (id, parties, time, status, price); a legal hold keeps what it
// covers until it is lifted; the audit log's oldest records go only with a
// checkpoint, and `kite audit verify` and `kite ledger verify` pass after
// every purge.  Time moves with the test clock (--test-clock-offset), on
// SQLite and on PostgreSQL alike.
import { test, before, after } from 'node:test';
import { spawnSync } from 'node:child_process';
import {
  World, assert, assertError, onPlatform, pair, send, decide, getMsg, list, describeRes,
} from './lib/messaging.mjs';
import { KITE_BIN, cli, sleep } from './lib/kite.mjs';

const DAY = 24 * 3600;
const BASE_JPEG = Buffer.from('/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCABAAGADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDwdbf2qZbf2rTW29qlW29q/d8TXPGw+JMxbf2qVbf2rUW29qlW29q+fxNc93D4ky1t/aplt/atNbb2qZbb2r57E1z3MPiTLW39qlW39q1FtvapVtvavn8TXPcw+JMtbf2qZbf2rTW29qlW29q+exNc9zD4kzFt/apVt/atRbb2qVbb2r5/E1z3cPiTnltvapltvatNbb2qZbb2r+isTXP5Tw+JMtbb2qVbb2rUW29qlW29q+exNc9zD4ky1tvapltvatNbb2qZbb2r5/E1z3MPiTLW29qlW29q1FtvapVtvavn8TXPdw+JMtbb2qZbb2rTW29qmW29q+exNc9zD4ky1tvapVtvatRbb2qVbb2r5/E1z3MPiTnltvapltvatRbb2qVbb2r+isTXP5Tw+JMtbb2qVbb2rUW29qlW29q+exNc9zD4ky1tvapltvatNbb2qZbb2r5/E1z3cPiTLW29qlW29q1FtvapVtvavnsTXPcw+JMtbb2qZbb2rTW29qmW29q+fxNc9zD4ky1tvapVtvatRbb2qVbb2r57E1z3MPiTn1tvapVtvatRbb2qVbb2r+i8TXP5Tw+JMtbb2qVbb2rUW29qlW29q+exNc93D4kzFtvapVtvatRbb2qVbb2r5/E1z3MPiTLW29qlW29q1FtvapVtvavnsTXPcw+JMxbb2qVbb2rUW29qlW29q+fxNc9zD4ky1tvapVtvatRbb2qVbb2r57E1z3cPiT//2Q==', 'base64');

let w;
let op;
let A; // jpay (photos allowed): messages kept 30 days, photos 10, audit 365
let B; // another facility: its own investigator must not see A's holds
let invA;
let invB;
let revA;
let adminA;
let p1; // messages purged as soon as they are due
let p2; // a hold on the resident
let p3; // a hold on the thread
let p4; // a hold on the contact's account
const m = {};
const holds = {};

/** `kite purge` as if `days` days had passed; returns its output line. */
function purge(days) {
  const r = spawnSync(KITE_BIN, ['purge', '--db', w.dbPath, '--test-clock-offset', String(Math.round(days * DAY))],
    { encoding: 'utf8', env: { ...process.env, KITE_ALLOW_TEST_CLOCK: '1' } });
  assert.equal(r.status, 0, `kite purge: ${r.status} ${r.stdout} ${r.stderr}`);
  const out = /purge: (\d+) messages, (\d+) photos, (\d+) audit records deleted; (\d+) messages kept by legal holds/.exec(r.stdout);
  assert.ok(out, `kite purge printed ${JSON.stringify(r.stdout)}`);
  return { messages: Number(out[1]), photos: Number(out[2]), audit: Number(out[3]), kept: Number(out[4]) };
}

async function bothVerify() {
  const audit = await w.auditOk();
  const ledger = await cli(['ledger', 'verify', '--db', w.dbPath]);
  assert.equal(ledger.code, 0, `kite ledger verify: ${ledger.stdout} ${ledger.stderr}`);
  return audit;
}

async function searchIds(q) {
  const res = await w.get(`/api/v1/investigations/messages?${new URLSearchParams({ facility_id: A, q, limit: 100 })}`, invA.token);
  assert.equal(res.status, 200, `search ${q}: ${describeRes(res)}`);
  return res.json.items.map((x) => x.id);
}

async function placeHold(who, facility, body, status = 201) {
  const res = await w.post(`/api/v1/facilities/${facility}/legal-holds`, body, who.token);
  assert.equal(res.status, status, `place hold ${JSON.stringify(body)}: ${describeRes(res)}`);
  return res;
}

async function sendWithPhoto(pair_, subject, body) {
  const up = await w.srv.request('POST', '/api/v1/attachments', {
    body: BASE_JPEG, token: pair_.contact.token, headers: { 'Content-Type': 'image/jpeg' }, timeoutMs: 60_000,
  });
  assert.equal(up.status, 201, `upload: ${describeRes(up)}`);
  const res = await w.post('/api/v1/messages', { contact_id: pair_.contactId, subject, body, attachment_ids: [up.json.id] },
    pair_.contact.token);
  assert.equal(res.status, 202, `send with photo: ${describeRes(res)}`);
  return { ...res.json, photo: up.json.id };
}

before(async () => {
  w = await World.start();
  op = await w.operator();
  A = await onPlatform(w, op, 'AVENAL STATE PRISON', {
    profile: 'jpay', message_retention_days: 30, photo_retention_days: 10, audit_retention_days: 365,
  });
  B = await onPlatform(w, op, 'CALIFORNIA STATE PRISON, CORCORAN (COR)', { profile: 'jpay', audit_retention_days: 365 });
  invA = await w.staff(op.token, A, 'investigator');
  invB = await w.staff(op.token, B, 'investigator');
  revA = await w.staff(op.token, A, 'reviewer');
  adminA = await w.staff(op.token, A, 'facility_admin');
  p1 = await pair(w, op, A, 'jpay', { contactName: 'Carmen Ruiz' });
  p2 = await pair(w, op, A, 'jpay', { contactName: 'Diego Soto' });
  p3 = await pair(w, op, A, 'jpay', { contactName: 'Elena Vidal' });
  p4 = await pair(w, op, A, 'jpay', { contactName: 'Felix Moreno' });
  m.photo = await sendWithPhoto(p1, 'Garden photo', 'The tomatoes in the garden are ripe.');
  m.plain = await send(w, p1.resident, p1.contactId, 'Thanks', 'Thank you for the zucchini recipe.');
  m.pending = await send(w, p1.contact, p1.contactId, 'Waiting', 'This pomegranate letter stays in review.');
  m.resident = await send(w, p2.contact, p2.contactId, 'Visit', 'Bring the blueprints on Tuesday.');
  m.thread = await send(w, p3.contact, p3.contactId, 'Money', 'The lighthouse account is ready.');
  m.account = await send(w, p4.contact, p4.contactId, 'Hello', 'The harpsichord lessons start soon.');
  for (const x of [m.photo, m.plain, m.resident, m.thread, m.account]) await decide(w, revA, x.id, 'approve');
});
after(async () => { if (w) await w.close(); });

test('the policy carries the three periods; families see how long messages are kept', async () => {
  const pub = await w.get(`/api/v1/facilities/${A}`);
  assert.equal(pub.status, 200, describeRes(pub));
  assert.equal(pub.json.policy.message_retention_days, 30);
  assert.equal(pub.json.policy.photo_retention_days, 10);
  assert.equal(pub.json.policy.audit_retention_days, 365);
  const b = await w.get(`/api/v1/facilities/${B}/policy`, op.token);
  assert.deepEqual([b.json.message_retention_days, b.json.photo_retention_days, b.json.audit_retention_days], [1095, 365, 365]);
  const audit = w.auditRows(`action = 'policy.create' AND target = 'facility:${A}'`);
  assert.match(audit[0].detail, /message_retention_days: \(none\) -> 30/);
});

test('audit records must be kept at least 365 days; photos no longer than their messages', async () => {
  const low = await w.put(`/api/v1/facilities/${A}/policy`, { profile: 'jpay', audit_retention_days: 364 }, adminA.token);
  const err = assertError(low, 422, 'invalid_field');
  assert.equal(err.field, 'audit_retention_days');
  assert.match(err.message, /at least 365 days/);
  const es = await w.srv.request('PUT', `/api/v1/facilities/${A}/policy`,
    { body: { profile: 'jpay', audit_retention_days: 30 }, token: adminA.token, headers: { 'Accept-Language': 'es' } });
  assert.match(assertError(es, 422, 'invalid_field').message, /al menos 365 días/);
  const photos = await w.put(`/api/v1/facilities/${A}/policy`,
    { profile: 'jpay', message_retention_days: 30, photo_retention_days: 31, audit_retention_days: 365 }, adminA.token);
  assert.equal(assertError(photos, 422, 'invalid_field').field, 'photo_retention_days');
  const policy = await w.get(`/api/v1/facilities/${A}/policy`, adminA.token);
  assert.equal(policy.json.audit_retention_days, 365, 'a refused change changed nothing');
});

test('legal holds: placed by investigators and admins on a resident, a thread, a contact account', async () => {
  holds.resident = (await placeHold(invA, A, {
    subject_kind: 'resident', resident_number: p2.resident.number, case_reference: 'CASE-2026-014', note: 'Grand jury',
  })).json;
  assert.equal(holds.resident.status, 'active');
  assert.equal(holds.resident.case_reference, 'CASE-2026-014');
  assert.equal(holds.resident.messages, 1);
  assert.equal(holds.resident.placed_by, invA.account.id);
  assert.equal(holds.resident.lifted_at, null);
  holds.thread = (await placeHold(adminA, A, { subject_kind: 'thread', subject_id: p3.contactId, case_reference: 'CASE-7' })).json;
  holds.account = (await placeHold(invA, A, {
    subject_kind: 'contact_account', subject_id: p4.contact.account.id, case_reference: 'CASE-8',
  })).json;
  assert.equal(holds.account.messages, 1);
  const listed = await w.get(`/api/v1/facilities/${A}/legal-holds`, invA.token);
  assert.equal(listed.status, 200, describeRes(listed));
  assert.deepEqual(listed.json.items.map((h) => h.id).sort(), [holds.resident.id, holds.thread.id, holds.account.id].sort());
  assert.equal(listed.json.next_cursor, null);
  assert.equal(assertError(await w.get(`/api/v1/facilities/${A}/legal-holds?status=bogus`, invA.token), 422, 'invalid_field').field, 'status');
  const byAdmin = await w.get(`/api/v1/facilities/${A}/legal-holds`, adminA.token);
  assert.equal(byAdmin.json.items.length, 3, 'the facility admin sees the same holds');
  const placed = w.auditRows(`action = 'legal_hold.place'`);
  assert.equal(placed.length, 3);
  assert.match(placed[0].detail, /case=CASE-2026-014/);
});

test('a hold is refused for a subject of another facility, a bad kind, or no case reference', async () => {
  const pB = await pair(w, op, B, 'jpay', { contactName: 'Gina Other' });
  const other = await placeHold(invA, A, { subject_kind: 'thread', subject_id: pB.contactId, case_reference: 'X' }, 422);
  assert.equal(assertError(other, 422, 'invalid_field').field, 'subject_id');
  const kind = await placeHold(invA, A, { subject_kind: 'everyone', subject_id: 1, case_reference: 'X' }, 422);
  assert.equal(assertError(kind, 422, 'invalid_field').field, 'subject_kind');
  const noCase = await placeHold(invA, A, { subject_kind: 'thread', subject_id: p1.contactId, case_reference: '  ' }, 422);
  assert.equal(assertError(noCase, 422, 'invalid_field').field, 'case_reference');
  const extra = await placeHold(invA, A, { subject_kind: 'thread', subject_id: p1.contactId, case_reference: 'X', admin: true }, 422);
  assert.equal(assertError(extra, 422, 'invalid_field').field, 'admin');
});

test('another facility\'s investigator gets 404; reviewers, families and residents 403', async () => {
  assertError(await w.get(`/api/v1/facilities/${A}/legal-holds`, invB.token), 404, 'not_found');
  assertError(await w.post(`/api/v1/facilities/${A}/legal-holds`, { subject_kind: 'thread', subject_id: p1.contactId, case_reference: 'X' }, invB.token), 404, 'not_found');
  assertError(await w.post(`/api/v1/legal-holds/${holds.thread.id}/lift`, {}, invB.token), 404, 'not_found');
  for (const who of [revA, p1.contact, p1.resident]) {
    assertError(await w.get(`/api/v1/facilities/${A}/legal-holds`, who.token), 403, 'forbidden');
    assertError(await w.post(`/api/v1/legal-holds/${holds.thread.id}/lift`, {}, who.token), 403, 'forbidden');
  }
  assertError(await w.get(`/api/v1/facilities/${A}/legal-holds`), 401, 'unauthenticated');
  const still = await w.get(`/api/v1/facilities/${A}/legal-holds`, invA.token);
  assert.equal(still.json.items.length, 3, 'nothing was lifted');
});

test('after 11 days only the photo is due: its bytes are gone, the message is whole', async () => {
  const before = await w.srv.request('GET', `/api/v1/attachments/${m.photo.photo}`, { token: p1.resident.token });
  assert.equal(before.status, 200);
  const r = purge(11);
  assert.deepEqual([r.messages, r.photos], [0, 1]);
  const gone = await w.srv.request('GET', `/api/v1/attachments/${m.photo.photo}`, { token: p1.resident.token });
  assert.match(assertError(gone, 410, 'gone').message, /retention period/);
  const msg = await getMsg(w, p1.resident, m.photo.id);
  assert.equal(msg.body, 'The tomatoes in the garden are ripe.');
  assert.equal(msg.purged_at, null);
  assert.deepEqual(msg.attachment_ids, [m.photo.photo], 'the message still says a photo came with it');
  const rec = w.auditRows(`action = 'retention.purge' AND target = 'facility:${A}'`);
  assert.equal(rec.length, 1);
  assert.match(rec[0].detail, /^messages=0 ids=0-0 photos=1 /);
  assert.equal(rec[0].actor, 'cli');
  await bothVerify();
  assert.deepEqual(purge(11), { messages: 0, photos: 0, audit: 0, kept: 0 }, 'a second run finds nothing more');
});

test('after 31 days finished messages are purged to tombstones; held and pending ones are kept', async () => {
  assert.deepEqual(await searchIds('tomatoes'), [m.photo.id]);
  const r = purge(31);
  assert.deepEqual([r.messages, r.kept], [2, 3]);
  for (const who of [p1.contact, p1.resident]) {
    const msg = await getMsg(w, who, m.photo.id);
    assert.equal(msg.subject, '');
    assert.equal(msg.body, '');
    assert.match(msg.purged_at, /^\d{4}-\d\d-\d\dT/);
    assert.equal(msg.status, 'delivered');
    assert.equal(msg.price_cents, m.photo.price_cents, 'the price stays: statements depend on it');
  }
  const sent = await list(w, p1.contact, 'box=sent');
  const item = sent.items.find((x) => x.id === m.photo.id);
  assert.deepEqual([item.subject, item.body], ['', '']);
  assert.ok(!JSON.stringify(sent).includes('tomatoes'));
  const inbox = await list(w, p1.contact, 'box=inbox');
  assert.ok(!JSON.stringify(inbox).includes('zucchini'));
  // The investigators' index forgot the words; the held messages are still found.
  assert.deepEqual(await searchIds('tomatoes'), []);
  assert.deepEqual(await searchIds('zucchini'), []);
  assert.deepEqual(await searchIds('blueprints'), [m.resident.id]);
  assert.deepEqual(await searchIds('lighthouse'), [m.thread.id]);
  assert.deepEqual(await searchIds('harpsichord'), [m.account.id]);
  assert.deepEqual(await searchIds('pomegranate'), [m.pending.id], 'a message in review is never purged');
  const staffView = await getMsg(w, invA, m.photo.id);
  assert.equal(staffView.body, '');
  const rec = w.auditRows(`action = 'retention.purge' AND target = 'facility:${A}'`);
  assert.equal(rec.length, 2);
  assert.match(rec[1].detail, new RegExp(`^messages=2 ids=${m.photo.id}-${m.plain.id} photos=0 `));
  await bothVerify();
});

test('a lifted hold is purged by the next run; the others still keep theirs', async () => {
  const lifted = await w.post(`/api/v1/legal-holds/${holds.resident.id}/lift`, {}, invA.token);
  assert.equal(lifted.status, 200, describeRes(lifted));
  assert.equal(lifted.json.status, 'lifted');
  assert.equal(lifted.json.lifted_by, invA.account.id);
  assert.match(lifted.json.lifted_at, /^\d{4}-/);
  assertError(await w.post(`/api/v1/legal-holds/${holds.resident.id}/lift`, {}, invA.token), 409, 'conflict');
  assert.equal(w.auditRows(`action = 'legal_hold.lift' AND target = 'legal_hold:${holds.resident.id}'`).length, 1);
  const active = await w.get(`/api/v1/facilities/${A}/legal-holds`, invA.token);
  assert.ok(!active.json.items.some((h) => h.id === holds.resident.id), 'a lifted hold is not listed as active');
  const all = await w.get(`/api/v1/facilities/${A}/legal-holds?status=all`, invA.token);
  assert.equal(all.json.items.find((h) => h.id === holds.resident.id).status, 'lifted', 'who lifted it and when stays');
  // A page at a time: standing holds newest first, then the lifted one; the cursor carries the group.
  const paged = [];
  let cursor = null;
  for (let i = 0; i < 5; i++) {
    const page = await w.get(`/api/v1/facilities/${A}/legal-holds?status=all&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, invA.token);
    assert.equal(page.status, 200, describeRes(page));
    assert.ok(page.json.items.length <= 1);
    paged.push(...page.json.items.map((h) => h.id));
    cursor = page.json.next_cursor;
    if (!cursor) break;
  }
  assert.deepEqual(paged, [holds.account.id, holds.thread.id, holds.resident.id]);
  assert.equal(assertError(await w.get(`/api/v1/facilities/${A}/legal-holds?cursor=2.5`, invA.token), 422, 'invalid_field').field, 'cursor');
  assert.equal(assertError(await w.get(`/api/v1/facilities/${A}/legal-holds?limit=0`, invA.token), 422, 'invalid_field').field, 'limit');
  const r = purge(31);
  assert.deepEqual([r.messages, r.kept], [1, 2]);
  assert.equal((await getMsg(w, p2.contact, m.resident.id)).body, '');
  assert.deepEqual(await searchIds('blueprints'), []);
  assert.equal((await getMsg(w, p3.contact, m.thread.id)).body, 'The lighthouse account is ready.');
  await bothVerify();
});

test('the audit log\'s oldest records go with a checkpoint, and the chain verifies from it', async () => {
  const before = Number(w.sql('SELECT COUNT(*) FROM audit_log'));
  const r = purge(400);
  assert.ok(r.audit > 0 && r.audit === before - 1, `audit records cut: ${r.audit} of ${before}`);
  const verify = await bothVerify();
  assert.match(verify.stdout, /verified from the checkpoint after record \d+/);
  const cp = w.auditRows(`action = 'audit.checkpoint'`);
  assert.equal(cp.length, 1);
  assert.match(cp[0].detail, /^through=\d+&hash=[0-9a-f]{64}&deleted=\d+&cutoff=\d+$/);
  // New records chain on; the messages still held are still kept.
  assert.equal((await getMsg(w, invA, m.account.id)).body, 'The harpsichord lessons start soon.');
  await bothVerify();
});

test('the server\'s worker purges too, when its clock says it is due', async () => {
  const lift = await w.post(`/api/v1/legal-holds/${holds.thread.id}/lift`, {}, adminA.token);
  assert.equal(lift.status, 200, describeRes(lift));
  await w.restart({ clockOffset: 31 * DAY });
  await w.signInAgain(p3.contact); // sessions ended in the month that passed
  await w.signInAgain(p4.contact);
  let msg;
  for (let i = 0; i < 150; i++) {
    msg = await getMsg(w, p3.contact, m.thread.id);
    if (msg.purged_at) break;
    await sleep(200);
  }
  assert.equal(msg.body, '', 'the worker purged the message once its hold was lifted');
  const rec = w.auditRows(`action = 'retention.purge' AND actor = 'system'`);
  assert.ok(rec.length >= 1);
  assert.equal((await getMsg(w, p4.contact, m.account.id)).body, 'The harpsichord lessons start soon.');
  await w.restart({ clockOffset: 0 });
  await bothVerify();
  await w.signInAgain(invA);
});

test('a record deleted without a checkpoint still breaks the chain', async () => {
  const mid = w.sql('SELECT MAX(id) - 2 FROM audit_log');
  w.sql(`DELETE FROM audit_log WHERE id = ${mid}`);
  const r = await cli(['audit', 'verify', '--db', w.dbPath]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, new RegExp(`BROKEN at record ${Number(mid) + 1}`));
});
