// Photos (issue 4, item 5): uploads are decoded and re-encoded by libvips in a
// separate, unprivileged, seccomp-confined helper process; what is stored and
// served is Kite's own JPEG, upright, at most 2048 px, without EXIF or any other
// metadata. Hostile files (truncated, huge declared dimensions, wrong type, zero
// bytes, random bytes, over 10 MiB) are refused while the server stays up; a
// helper killed mid-upload costs only that upload. Photos go through review
// with their message: the reviewer sees them while pending, the recipient once
// delivered, nobody else.
//
// The images are made here: PNGs by lib/png.mjs, EXIF by
// splicing an APP1 segment into a JPEG; the base JPEG (96x64) and WebP (96x64)
// are tiny fixtures made with libvips 8.14, inlined as base64.
import { test, before, after } from 'node:test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import {
  World, assert, assertError, onPlatform, pair, decide, describeRes,
} from './lib/messaging.mjs';
import { startServer, register, session, sleep, sqlFlag } from './lib/kite.mjs';
import { makePng } from './lib/png.mjs';

const BASE_JPEG = Buffer.from('/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCABAAGADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDwdbf2qZbf2rTW29qlW29q/d8TXPGw+JMxbf2qVbf2rUW29qlW29q+fxNc93D4ky1t/aplt/atNbb2qZbb2r57E1z3MPiTLW39qlW39q1FtvapVtvavn8TXPcw+JMtbf2qZbf2rTW29qlW29q+exNc9zD4kzFt/apVt/atRbb2qVbb2r5/E1z3cPiTnltvapltvatNbb2qZbb2r+isTXP5Tw+JMtbb2qVbb2rUW29qlW29q+exNc9zD4ky1tvapltvatNbb2qZbb2r5/E1z3MPiTLW29qlW29q1FtvapVtvavn8TXPdw+JMtbb2qZbb2rTW29qmW29q+exNc9zD4ky1tvapVtvatRbb2qVbb2r5/E1z3MPiTnltvapltvatRbb2qVbb2r+isTXP5Tw+JMtbb2qVbb2rUW29qlW29q+exNc9zD4ky1tvapltvatNbb2qZbb2r5/E1z3cPiTLW29qlW29q1FtvapVtvavnsTXPcw+JMtbb2qZbb2rTW29qmW29q+fxNc9zD4ky1tvapVtvatRbb2qVbb2r57E1z3MPiTn1tvapVtvatRbb2qVbb2r+i8TXP5Tw+JMtbb2qVbb2rUW29qlW29q+exNc93D4kzFtvapVtvatRbb2qVbb2r5/E1z3MPiTLW29qlW29q1FtvapVtvavnsTXPcw+JMxbb2qVbb2rUW29qlW29q+fxNc9zD4ky1tvapVtvatRbb2qVbb2r57E1z3cPiT//2Q==', 'base64');
const BASE_WEBP = Buffer.from('UklGRg4CAABXRUJQVlA4WAoAAAAIAAAAXwAAPwAAVlA4IC4BAABQCQCdASpgAEAAPp1Im0q/vyknJXQN+/ATiWZtOP9sB9eYdfjpmTVAbO7ifdOV0fX7/QBsAPN1t6ryvd3+Fikheeh/JTW2dK22lV98v97gYmOEAAD+8N2Z3Vg8QX/7CJfyEv/LWndXughn/OsX9YRQWvnhHOVC8eKkoxZcxYR8H7Q9il8FvWulC52Gq5V8IH0MClnxyXmhN+MH3NtKrDaf7MZbeng5t7TXaRA6pkugCLn9doSyIkpl6dpeyuUKw3zrJB/CcjEcX0RBOzcla5vO03awmrUR1c5hoA+r5tO8ssopsS7Nt8b+oOp6kBFfYhFKDw5TAz8/v32s/VHkDcFhR1iJ79doSyF9uVk4VsjUNml9khrgTUAhykk2fclZ7DdNAZkJeX33vZ1eJ+gAAEVYSUa6AAAARXhpZgAASUkqAAgAAAAGABIBAwABAAAAAQAAABoBBQABAAAAVgAAABsBBQABAAAAXgAAACgBAwABAAAAAgAAABMCAwABAAAAAQAAAGmHBAABAAAAZgAAAAAAAAA4YwAA6AMAADhjAADoAwAABgAAkAcABAAAADAyMTABkQcABAAAAAECAwAAoAcABAAAADAxMDABoAMAAQAAAP//AAACoAQAAQAAAGAAAAADoAQAAQAAAEAAAAAAAAAA', 'base64');

// --- images ------------------------------------------------------------------

const SECRET = 'KITE-TEST-GPS-48.8584N-2.2945E';
/** An APP1 Exif segment: orientation (6: turn 90 degrees clockwise), a description and a camera make. */
function exifSegment(orientation = 6) {
  const desc = Buffer.from(`${SECRET}\0`, 'latin1');
  const make = Buffer.from('KiteCam\0', 'latin1');
  const entries = 3;
  const dataAt = 8 + 2 + entries * 12 + 4;
  const tiff = Buffer.alloc(dataAt + desc.length + make.length);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(entries, 8);
  let at = 10;
  const entry = (tag, type, count, value) => {
    tiff.writeUInt16LE(tag, at);
    tiff.writeUInt16LE(type, at + 2);
    tiff.writeUInt32LE(count, at + 4);
    if (type === 3) tiff.writeUInt16LE(value, at + 8); else tiff.writeUInt32LE(value, at + 8);
    at += 12;
  };
  entry(0x010E, 2, desc.length, dataAt); // ImageDescription
  entry(0x010F, 2, make.length, dataAt + desc.length); // Make
  entry(0x0112, 3, 1, orientation); // Orientation
  tiff.writeUInt32LE(0, at);
  desc.copy(tiff, dataAt);
  make.copy(tiff, dataAt + desc.length);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xFF, 0xE1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}
function withExif(jpeg, orientation = 6) {
  return Buffer.concat([jpeg.subarray(0, 2), exifSegment(orientation), jpeg.subarray(2)]);
}

/** The markers of a JPEG up to its first scan, and its dimensions. */
function jpegInfo(buf) {
  assert.ok(buf[0] === 0xFF && buf[1] === 0xD8, 'not a JPEG (no SOI)');
  const markers = [];
  let width = 0;
  let height = 0;
  let i = 2;
  while (i + 4 <= buf.length) {
    assert.equal(buf[i], 0xFF, `bad marker at ${i}`);
    const m = buf[i + 1];
    if (m === 0xDA) break;
    const len = buf.readUInt16BE(i + 2);
    markers.push(m);
    if (m >= 0xC0 && m <= 0xCF && m !== 0xC4 && m !== 0xC8 && m !== 0xCC) {
      height = buf.readUInt16BE(i + 5);
      width = buf.readUInt16BE(i + 7);
    }
    i += 2 + len;
  }
  return { markers, width, height };
}

/** No APPn (EXIF, JFIF, XMP, ICC, Photoshop/IPTC) and no COM segment: nothing but the picture. */
function assertNoMetadata(buf, context) {
  const { markers } = jpegInfo(buf);
  const meta = markers.filter((m) => (m >= 0xE0 && m <= 0xEF) || m === 0xFE);
  assert.deepEqual(meta.map((m) => m.toString(16)), [], `${context}: metadata segments left in the JPEG`);
  assert.equal(buf.indexOf('Exif'), -1, `${context}: "Exif" in the output`);
  assert.equal(buf.indexOf(SECRET), -1, `${context}: the EXIF description survived`);
  assert.equal(buf.indexOf('KiteCam'), -1, `${context}: the camera make survived`);
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

// --- helpers -------------------------------------------------------------------

function upload(srv, who, body, contentType = 'image/jpeg') {
  return srv.request('POST', '/api/v1/attachments', {
    body, token: who.token, headers: { 'Content-Type': contentType }, timeoutMs: 60_000,
  });
}

function assertAttachment(res, context) {
  assert.equal(res.status, 201, `${context}: ${describeRes(res)}`);
  const a = res.json;
  assert.ok(Number.isInteger(a.id), `${context}: no id`);
  assert.equal(a.content_type, 'image/jpeg');
  assert.equal(a.message_id, null);
  assert.match(a.sha256, /^[0-9a-f]{64}$/);
  assert.ok(a.size_bytes > 0);
  assert.equal(res.headers.location, `/api/v1/attachments/${a.id}`);
  return a;
}

async function fetchPhoto(w, who, id, status = 200) {
  const res = await w.srv.request('GET', `/api/v1/attachments/${id}`, { token: who.token });
  if (status !== 200) {
    assertError(res, status, 'not_found', `GET attachment ${id}:`);
    return null;
  }
  assert.equal(res.status, 200, `GET attachment ${id}: ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(res.headers['content-type'], 'image/jpeg');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.match(res.headers['content-security-policy'] || '', /sandbox/);
  return res.buffer;
}

async function assertUp(srv) {
  assert.ok(srv.running, `the server died; log:\n${srv.logTail()}`);
  const res = await srv.get('/healthz');
  assert.equal(res.status, 200, `healthz after a hostile upload: ${describeRes(res)}`);
}

// --- the world -----------------------------------------------------------------

let w;
let op;
let J; // jpay: photos allowed
let FED; // federal: no photos
let jp; // {resident, contact, contactId} at J
let reviewer; // at J

before(async () => {
  w = await World.start();
  op = await w.operator();
  J = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay' });
  FED = await onPlatform(w, op, 'FCI ALICEVILLE', { profile: 'federal' });
  jp = await pair(w, op, J, 'jpay', { contactName: 'Rosa Photo' });
  reviewer = await w.staff(op.token, J, 'reviewer');
});
after(async () => { if (w) await w.close(); });

// --- valid photos ----------------------------------------------------------------

test('a JPEG with EXIF comes back re-encoded: upright, different bytes, no EXIF or any metadata', async () => {
  const original = withExif(BASE_JPEG, 6);
  assert.ok(original.indexOf(SECRET) > 0 && original.indexOf('Exif') > 0);
  const a = assertAttachment(await upload(w.srv, jp.contact, original), 'upload JPEG with EXIF');
  // Orientation 6 turns the 96x64 picture upright: 64 wide, 96 high.
  assert.equal(a.width, 64);
  assert.equal(a.height, 96);
  const stored = await fetchPhoto(w, jp.contact, a.id);
  assert.notDeepEqual(stored, original, 'the stored photo is the upload itself');
  assertNoMetadata(stored, 'stored JPEG');
  const info = jpegInfo(stored);
  assert.deepEqual([info.width, info.height], [64, 96], 'the JPEG has the dimensions the API gave');
  assert.equal(stored.length, a.size_bytes);
  assert.equal(sha256(stored), a.sha256);
  const row = w.sql(`SELECT content_type || ' ' || width || 'x' || height || ' ' || ${sqlFlag('message_id IS NULL')} FROM attachments WHERE id = ${a.id}`);
  assert.equal(row, 'image/jpeg 64x96 1');
});

test('PNG and WebP are accepted and stored as JPEG; a large photo is fitted within 2048 px', async () => {
  const png = assertAttachment(await upload(w.srv, jp.contact, makePng(120, 80), 'image/png'), 'PNG');
  assert.deepEqual([png.width, png.height], [120, 80]);
  assertNoMetadata(await fetchPhoto(w, jp.contact, png.id), 'PNG as JPEG');

  const webp = assertAttachment(await upload(w.srv, jp.contact, BASE_WEBP, 'image/webp'), 'WebP');
  assert.deepEqual([webp.width, webp.height], [96, 64]);
  const fromWebp = await fetchPhoto(w, jp.contact, webp.id);
  assert.deepEqual([jpegInfo(fromWebp).width, jpegInfo(fromWebp).height], [96, 64]);

  const wide = assertAttachment(await upload(w.srv, jp.contact, makePng(3000, 200), 'image/png; charset=binary'), 'wide PNG');
  assert.equal(wide.width, 2048);
  assert.ok(wide.height === 136 || wide.height === 137, `height ${wide.height} keeps the aspect ratio`);
  const big = await fetchPhoto(w, jp.contact, wide.id);
  assert.equal(jpegInfo(big).width, 2048);
});

// --- hostile files ----------------------------------------------------------------

test('hostile files are refused with 422 invalid_image and the server stays up', async () => {
  const truncatedJpeg = BASE_JPEG.subarray(0, Math.floor(BASE_JPEG.length / 2));
  const cases = [
    ['truncated JPEG (in its tables)', truncatedJpeg, 'image/jpeg'],
    ['truncated JPEG (in its picture data)', BASE_JPEG.subarray(0, Math.floor(BASE_JPEG.length * 0.9)), 'image/jpeg'],
    ['truncated PNG', makePng(200, 200).subarray(0, 300), 'image/png'],
    ['truncated WebP', BASE_WEBP.subarray(0, 200), 'image/webp'],
    ['PNG declaring 100000x100000', makePng(16, 16, { declare: [100000, 100000] }), 'image/png'],
    ['PNG declaring 9000x9000 (81 MP)', makePng(16, 16, { declare: [9000, 9000] }), 'image/png'],
    ['a GIF sent as JPEG', Buffer.from('GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;', 'latin1'), 'image/jpeg'],
    ['a text file sent as JPEG', Buffer.from('Dear reviewer, this is not a photo.\n'), 'image/jpeg'],
    ['a PNG sent as JPEG', makePng(20, 20), 'image/jpeg'],
    ['a JPEG sent as WebP', BASE_JPEG, 'image/webp'],
    ['zero bytes', Buffer.alloc(0), 'image/jpeg'],
    ['random bytes', crypto.randomBytes(4096), 'image/jpeg'],
    ['random bytes after a JPEG signature', Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF]), crypto.randomBytes(8192)]), 'image/jpeg'],
    ['random bytes after a PNG signature', Buffer.concat([makePng(4, 4).subarray(0, 8), crypto.randomBytes(8192)]), 'image/png'],
  ];
  const before = Number(w.sql('SELECT COUNT(*) FROM attachments'));
  for (const [name, body, type] of cases) {
    const res = await upload(w.srv, jp.contact, body, type);
    const error = assertError(res, 422, 'invalid_image', `${name}:`);
    assert.ok(error.message.length > 20, `${name}: the message should say what to do`);
    await assertUp(w.srv);
  }
  assert.equal(Number(w.sql('SELECT COUNT(*) FROM attachments')), before, 'a refused file was stored');
  // And the next honest photo still goes through.
  assertAttachment(await upload(w.srv, jp.contact, BASE_JPEG), 'after the hostile files');
});

test('a JPEG whose picture data is garbage is refused or re-encoded (libjpeg may recover), never more', async () => {
  for (let i = 0; i < 5; i++) {
    const body = Buffer.concat([BASE_JPEG.subarray(0, 700), crypto.randomBytes(400), Buffer.from([0xFF, 0xD9])]);
    const res = await upload(w.srv, jp.contact, body);
    assert.ok(res.status === 201 || res.status === 422, `garbled scan: ${describeRes(res)}`);
    if (res.status === 422) assertError(res, 422, 'invalid_image');
    else assertNoMetadata(await fetchPhoto(w, jp.contact, res.json.id), 'garbled scan re-encoded');
    await assertUp(w.srv);
  }
});

test('the messages say what is wrong', async () => {
  const huge = assertError(await upload(w.srv, jp.contact, makePng(8, 8, { declare: [100000, 100000] }), 'image/png'), 422, 'invalid_image');
  assert.match(huge.message, /pixels/);
  const wrong = assertError(await upload(w.srv, jp.contact, makePng(8, 8), 'image/jpeg'), 422, 'invalid_image');
  assert.match(wrong.message, /Content-Type|type/);
  const empty = assertError(await upload(w.srv, jp.contact, Buffer.alloc(0)), 422, 'invalid_image');
  assert.match(empty.message, /empty/);
  const broken = assertError(await upload(w.srv, jp.contact, BASE_JPEG.subarray(0, 600)), 422, 'invalid_image');
  assert.match(broken.message, /damaged|incomplete/);
});

test('over 10 MiB → 413; another Content-Type → 415; no session → 401; staff cannot upload → 403', async () => {
  const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x41);
  BASE_JPEG.copy(big, 0, 0, 4);
  assertError(await upload(w.srv, jp.contact, big), 413, 'body_too_large', 'over 10 MiB:');
  await assertUp(w.srv);
  assertError(await upload(w.srv, jp.contact, Buffer.from('GIF89a'), 'image/gif'), 415, 'unsupported_media_type');
  assertError(await upload(w.srv, jp.contact, Buffer.from('{}'), 'application/json'), 415, 'unsupported_media_type');
  assertError(await upload(w.srv, { token: undefined }, BASE_JPEG), 401);
  assertError(await upload(w.srv, reviewer, BASE_JPEG), 403, 'forbidden');
  // JSON bodies keep their 1 MiB cap: the larger one is for photo uploads only.
  const res = await w.srv.request('POST', '/api/v1/messages', { body: Buffer.alloc(2 * 1024 * 1024, 0x20), token: jp.contact.token });
  assertError(res, 413, 'body_too_large', 'a 2 MiB JSON body:');
});

// --- through review -------------------------------------------------------------

test('jpay: the reviewer sees the photo while pending (audited), the resident once delivered, nobody else', async () => {
  const a = assertAttachment(await upload(w.srv, jp.contact, withExif(BASE_JPEG, 1)), 'upload');
  const sent = await w.srv.request('POST', '/api/v1/messages', {
    body: { contact_id: jp.contactId, subject: 'A photo', body: 'Look at this.', attachment_ids: [a.id] }, token: jp.contact.token,
  });
  assert.equal(sent.status, 202, `send with a photo: ${describeRes(sent)}`);
  assert.deepEqual(sent.json.attachment_ids, [a.id]);
  assert.equal(sent.json.status, 'pending_review');
  const messageId = sent.json.id;

  // The reviewer's queue lists it with the photo, and the reviewer can open it.
  const q = await w.get(`/api/v1/review/queue?facility_id=${J}`, reviewer.token);
  assert.equal(q.status, 200);
  const item = q.json.items.find((m) => m.id === messageId);
  assert.ok(item, 'the message is not in the queue');
  assert.deepEqual(item.attachment_ids, [a.id]);
  const auditsBefore = w.auditRows("action = 'attachment.staff_read'").length;
  const seen = await fetchPhoto(w, reviewer, a.id);
  assert.equal(sha256(seen), a.sha256);
  const audits = w.auditRows("action = 'attachment.staff_read'");
  assert.equal(audits.length, auditsBefore + 1, 'the staff read was not audited');
  const last = audits[audits.length - 1];
  assert.equal(last.target, `attachment:${a.id}`);
  assert.equal(last.actor, `account:${reviewer.account.id}`);
  assert.match(last.detail, new RegExp(`message=${messageId}`));

  // Before the decision the resident sees nothing; strangers never do.
  await fetchPhoto(w, jp.resident, a.id, 404);
  const stranger = await w.contact({ full_name: 'Not Involved' });
  await fetchPhoto(w, stranger, a.id, 404);
  const elsewhere = await w.staff(op.token, FED, 'reviewer');
  await fetchPhoto(w, elsewhere, a.id, 404);
  await fetchPhoto(w, stranger, 999999, 404);

  await decide(w, reviewer, messageId, 'approve');
  const delivered = await fetchPhoto(w, jp.resident, a.id);
  assert.equal(sha256(delivered), a.sha256);
  assertNoMetadata(delivered, 'delivered photo');
  await fetchPhoto(w, stranger, a.id, 404);
  // The operator may see it (audited too); the owner still can.
  await fetchPhoto(w, op, a.id);
  await fetchPhoto(w, jp.contact, a.id);
  assert.equal(w.sql(`SELECT message_id FROM attachments WHERE id = ${a.id}`), String(messageId));

  // A photo goes with one message only.
  const again = await w.srv.request('POST', '/api/v1/messages', {
    body: { contact_id: jp.contactId, subject: 'Again', body: 'Same photo.', attachment_ids: [a.id] }, token: jp.contact.token,
  });
  assertError(again, 422, 'invalid_field', 'reusing a sent photo:');
  // Someone else's photo cannot be attached.
  const theirs = assertAttachment(await upload(w.srv, stranger, BASE_JPEG), 'stranger upload');
  const stolen = await w.srv.request('POST', '/api/v1/messages', {
    body: { contact_id: jp.contactId, subject: 'Stolen', body: 'Not mine.', attachment_ids: [theirs.id] }, token: jp.contact.token,
  });
  assertError(stolen, 422, 'invalid_field', "attaching another person's photo:");
});

test('a rejected message: its photo never reaches the recipient; the resident can send photos too', async () => {
  const a = assertAttachment(await upload(w.srv, jp.contact, BASE_JPEG), 'upload');
  const sent = await w.srv.request('POST', '/api/v1/messages', {
    body: { contact_id: jp.contactId, subject: 'Rejected', body: 'This will not pass.', attachment_ids: [a.id] }, token: jp.contact.token,
  });
  assert.equal(sent.status, 202, describeRes(sent));
  await decide(w, reviewer, sent.json.id, 'reject', 'other', 'Not this photo.');
  await fetchPhoto(w, jp.resident, a.id, 404);
  await fetchPhoto(w, reviewer, a.id);

  const r = assertAttachment(await upload(w.srv, jp.resident, makePng(64, 48), 'image/png'), 'resident upload');
  const out = await w.srv.request('POST', '/api/v1/messages', {
    body: { contact_id: jp.contactId, subject: 'From inside', body: 'A drawing.', attachment_ids: [r.id] }, token: jp.resident.token,
  });
  assert.equal(out.status, 202, describeRes(out));
  await fetchPhoto(w, jp.contact, r.id, 404);
  await decide(w, reviewer, out.json.id, 'approve');
  await fetchPhoto(w, jp.contact, r.id);
});

test('federal: no photos; sending one → 422 attachments_not_allowed', async () => {
  const fed = await pair(w, op, FED, 'federal', { contactName: 'Fed Contact' });
  const a = assertAttachment(await upload(w.srv, fed.contact, BASE_JPEG), 'upload at a federal pair');
  const res = await w.srv.request('POST', '/api/v1/messages', {
    body: { contact_id: fed.contactId, subject: 'Photo', body: 'With a photo.', attachment_ids: [a.id] }, token: fed.contact.token,
  });
  assertError(res, 422, 'attachments_not_allowed');
  assert.equal(w.sql(`SELECT ${sqlFlag('message_id IS NULL')} FROM attachments WHERE id = ${a.id}`), '1');
});

// --- the helper is a separate process ---------------------------------------------

/** Children of pid whose command line is the image helper. */
function helperPids(parentPid) {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parentPid) continue;
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0');
      if (cmdline.includes('image-worker')) out.push(Number(entry));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

async function waitForHelper(srv, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pids = helperPids(srv.proc.pid);
    if (pids.length > 0) return pids[0];
    await sleep(20);
  }
  assert.fail(`no image helper appeared under the server (pid ${srv.proc.pid})`);
}

/** The server's log reaches its file through a pipe: wait for the line. */
async function waitForLog(srv, re, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(srv.readLog())) {
    if (Date.now() > deadline) assert.fail(`no log line ${re}; tail:\n${srv.logTail()}`);
    await sleep(50);
  }
}

function procStatus(pid) {
  const fields = {};
  for (const line of fs.readFileSync(`/proc/${pid}/status`, 'latin1').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return fields;
}

test('the helper is a separate, confined process: killing it mid-upload gives a clean error, the next upload works', async () => {
  // KITE_TEST_IMAGE_DELAY_MS (honoured only with KITE_ALLOW_TEST_CLOCK=1) makes each helper wait,
  // already confined, before it decodes: time to look at it and to kill it.
  const srv = await startServer({ env: { KITE_ALLOW_TEST_CLOCK: '1', KITE_TEST_IMAGE_DELAY_MS: '4000' } });
  try {
    const reg = await register(srv, { full_name: 'Kill Test' });
    const who = await session(srv, reg.email, reg.password);
    const pending = upload(srv, who, withExif(BASE_JPEG));
    const pid = await waitForHelper(srv);
    assert.notEqual(pid, srv.proc.pid);
    // Past its start-up (exec, libvips) it confines itself, then waits out the test delay.
    let status = procStatus(pid);
    for (const deadline = Date.now() + 3000; status.Seccomp !== '2' && Date.now() < deadline; status = procStatus(pid)) await sleep(20);
    assert.equal(status.Seccomp, '2', 'the helper runs under a seccomp filter');
    assert.equal(status.NoNewPrivs, '1', 'the helper cannot gain privileges');
    if (process.getuid && process.getuid() === 0) {
      assert.equal(status.Uid.split(/\s+/)[0], '65534', 'the helper dropped root for nobody');
      assert.equal(status.Uid.split(/\s+/)[1], '65534');
      assert.equal(status.Groups, '', 'the helper kept supplementary groups');
    }
    const fds = fs.readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
    assert.deepEqual(fds, [0, 1, 2], 'the helper holds only its socket, /dev/null and its log pipe');

    process.kill(pid, 'SIGKILL');
    const res = await pending;
    assertError(res, [422, 503], ['invalid_image', 'busy'], 'upload whose helper was killed:');
    assert.ok(srv.running, `the server died with its helper; log:\n${srv.logTail()}`);
    await waitForLog(srv, new RegExp(`helper ${pid} was killed by signal 9`));
    assert.equal(helperPids(srv.proc.pid).length, 0, 'the killed helper was not reaped');

    const next = assertAttachment(await upload(srv, who, withExif(BASE_JPEG)), 'the upload after the kill');
    assert.deepEqual([next.width, next.height], [64, 96]);
    assert.equal(helperPids(srv.proc.pid).length, 0, 'a finished helper was left behind');
    const health = await srv.get('/healthz');
    assert.equal(health.status, 200);
    await srv.stopAndAssertClean();
  } finally {
    await srv.cleanup();
  }
});
