// A full disk and a read-only disk under a running Kite: clear answers, and
// nothing acknowledged is lost.
//
// The store lives on a small tmpfs mounted for the test (root only: the
// suite runs as root; elsewhere the test says why it cannot run). An
// operator keeps adding facility blocks (a small write each, answered 201);
// every acknowledged one is remembered.
//   - Full: a file fills the mount to the last byte. Writes then answer
//     507 storage_full with the sentence in the reader's language; reads
//     still answer; the server stays up. The file goes, and writes work
//     again without a restart. Every acknowledged block is there, before and
//     after a restart, and `kite audit verify` passes.
//   - Read-only: the mount is turned read-only between two runs of the
//     server. `kite serve` refuses to start and says which file cannot be
//     written and what to do, and leaves the store's files byte for byte as
//     they were. Back to read-write, it starts, and nothing acknowledged is
//     missing. (A store that turns read-only under a running server answers
//     503 store_read_only; Linux does not let a test remount a file system
//     read-only while a file on it is open for writing.)
// The store is SQLite on both runs of the suite: a PostgreSQL server's own
// disk is the database administrator's (it reports disk_full as SQLSTATE
// 53100, which Kite answers the same 507).

import test, { after, before } from 'node:test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assert, facilityIdByName, describeRes, uniqueEmail, runServe, DATA_DIR } from './lib/flows.mjs';
import { startServer, session, userAdd, strongPassword, auditVerify, sqlite } from './lib/kite.mjs';

const MOUNT_MB = 32;
let mountDir = null;
let why = null; // why the test cannot run here
let srv = null;
let op = null;
let facility = 0;
const acknowledged = [];

function mount(options) {
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'kite-test', mountDir], { stdio: 'pipe' });
}

before(async () => {
  mountDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-disk-'));
  try {
    mount(`size=${MOUNT_MB}m,mode=0700`);
  } catch (e) {
    why = `cannot mount a tmpfs here (${String(e.stderr || e.message).trim()}): run the suite as root`;
    fs.rmSync(mountDir, { recursive: true, force: true });
    mountDir = null;
    return;
  }
  await boot();
  const email = uniqueEmail('disk-op');
  const password = strongPassword();
  const r = await userAdd(srv.dbPath, { role: 'operator', email, password });
  assert.equal(r.code, 0, r.stderr);
  op = await session(srv, email, password);
  facility = await facilityIdByName(srv, 'FCI ALICEVILLE');
  const policy = await srv.request('PUT', `/api/v1/facilities/${facility}/policy`, { body: { profile: 'federal' }, token: op.token });
  assert.equal(policy.status, 201, describeRes(policy));
  for (let i = 0; i < 5; i++) assert.equal((await block()).status, 201);
});

after(async () => {
  if (srv) await srv.cleanup();
  if (mountDir) {
    try { execFileSync('umount', [mountDir], { stdio: 'pipe' }); } catch { /* already gone */ }
    fs.rmSync(mountDir, { recursive: true, force: true });
  }
});

async function boot() {
  // The log and the server's own files stay off the small mount: only the store is on it.
  srv = await startServer({ db: path.join(mountDir, 'kite.db'), extraArgs: [] });
}

async function block() {
  const email = uniqueEmail('disk-blk');
  const res = await srv.request('POST', `/api/v1/facilities/${facility}/blocks`, {
    body: { email, reason: 'x'.repeat(500) }, token: op.token, headers: { 'Accept-Language': 'es' },
  });
  if (res.status === 201) acknowledged.push(email);
  return res;
}

/** Every block of the facility, read from the store file itself (the API lists the newest 500). */
function blockedEmails() {
  const out = sqlite(srv.dbPath, `SELECT email FROM facility_blocks WHERE facility_id = ${facility}`);
  return new Set(out.trim().split('\n'));
}

async function nothingLost(context) {
  const stored = blockedEmails();
  const missing = acknowledged.filter((e) => !stored.has(e));
  assert.deepEqual(missing, [], `${context}: acknowledged blocks missing`);
  const v = await auditVerify(srv.dbPath);
  assert.equal(v.code, 0, `${context}: kite audit verify: ${v.stdout}${v.stderr}`);
}

/** Fills the mount: a file grows until the file system refuses another byte. */
function fill() {
  const filler = path.join(mountDir, 'filler');
  const fd = fs.openSync(filler, 'w');
  for (const size of [1 << 20, 1 << 12, 1]) {
    const chunk = Buffer.alloc(size, 0x5a);
    for (;;) {
      try { fs.writeSync(fd, chunk); } catch (e) {
        if (e.code !== 'ENOSPC') throw e;
        break;
      }
    }
  }
  fs.closeSync(fd);
  return filler;
}

test('a full disk: writes answer 507 storage_full, reads go on, and nothing acknowledged is lost', async (t) => {
  if (why) { t.skip(why); return; }
  const filler = fill();
  let refused = null;
  for (let i = 0; i < 20000 && !refused; i++) {
    const res = await block();
    if (res.status !== 201) refused = res;
  }
  assert.ok(refused, 'twenty thousand blocks were saved on a full disk');
  t.diagnostic(`refused after ${acknowledged.length} blocks`);
  assert.equal(refused.status, 507, describeRes(refused));
  assert.equal(refused.json.error.code, 'storage_full');
  assert.match(refused.json.error.message, /almacenamiento de Kite está lleno/);
  assert.equal(refused.headers['content-language'], 'es');
  // Still full: refused again, the same way; the server is up and reads answer.
  const again = await block();
  assert.equal(again.status, 507, describeRes(again));
  assert.equal((await srv.request('GET', '/healthz')).status, 200);
  await nothingLost('while full');

  fs.rmSync(filler);
  const res = await block();
  assert.equal(res.status, 201, `room again, without a restart: ${describeRes(res)}`);
  await nothingLost('room again');
  await srv.stopAndAssertClean();
  await boot();
  await nothingLost('after a restart');
  t.diagnostic(`${acknowledged.length} blocks acknowledged, all found`);
});

// Linux refuses to turn a mount read-only while a file on it is open for writing, so the store
// goes read-only between two runs of the server, as after an operator's mistake or a failing disk
// that the kernel remounted read-only.
test('a read-only disk: kite serve says so and leaves the store as it was; writable again, nothing is lost', async (t) => {
  if (why) { t.skip(why); return; }
  assert.equal((await block()).status, 201);
  await srv.stopAndAssertClean();
  const dbPath = path.join(mountDir, 'kite.db');
  const before = storeBytes(dbPath);
  execFileSync('mount', ['-o', 'remount,ro', mountDir], { stdio: 'pipe' });
  try {
    const r = await runServe(['--db', dbPath, '--listen', '127.0.0.1:0', '--data', DATA_DIR]);
    assert.notEqual(r.code, 0, `kite serve ran on a read-only store: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${dbPath.replace(/[.]/g, '\\.')} cannot be written \\(Read-only file system\\)`));
    assert.match(r.stderr, /make them writable, then start again/);
    assert.match(r.stderr, /cannot open the store .* \(store_read_only\)/);
    assert.deepEqual(storeBytes(dbPath), before, 'the read-only store changed');
  } finally {
    execFileSync('mount', ['-o', 'remount,rw', mountDir], { stdio: 'pipe' });
  }
  await boot();
  await nothingLost('writable again');
  assert.equal((await block()).status, 201);
  await nothingLost('written again');
});

/** The store's files, for comparing: name → contents. */
function storeBytes(dbPath) {
  const out = {};
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) if (fs.existsSync(f)) out[path.basename(f)] = fs.readFileSync(f).toString('base64');
  return out;
}
