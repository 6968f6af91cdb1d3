// kite backup while the server writes, and kite restore: the copy is the
// store as of one moment, whole, and a server started on the restored copy
// has everything acknowledged before the backup began.
//
// The load: an operator adds facility blocks and a contact tops up with the
// sandbox's test card, one after another, without pause, recording when each
// was acknowledged. In the middle of it `kite backup` runs. Then:
//   - every write acknowledged before the backup started is in the copy, and
//     the copy's audit chain and ledger verify (the command checks them
//     itself, and they are checked again here);
//   - the copy is one file, readable by its owner only (mode 0600);
//   - `kite restore` makes a new store from it, a server starts on it, and
//     the contact signs in there and sees the balance the copy holds;
//   - neither command writes over anything: an existing backup file or
//     store is refused and left byte for byte as it was; a PostgreSQL target
//     is refused with a pointer to PostgreSQL's own tools.
// The store is SQLite on both runs of the suite (backups of a PostgreSQL
// store are PostgreSQL's).

import test, { after, before } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { World, assert, describeRes, facilityIdByName, uniqueEmail } from './lib/flows.mjs';
import { cli, sqlite, startServer, session } from './lib/kite.mjs';

let w;
let op;
let family;
let facility;

before(async () => {
  w = await World.start({ sqlite: true });
  op = await w.operator();
  family = await w.contact();
  facility = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  await w.putPolicy(op.token, facility, { profile: 'federal' }, 201);
});

after(async () => { if (w) await w.close(); });

const wallet = async (srv, token) => {
  const r = await srv.request('GET', '/api/v1/wallet', { token });
  assert.equal(r.status, 200, describeRes(r));
  return r.json.balance_cents;
};

test('a backup taken under load is one moment, whole and verified; restored, a server serves it', async (t) => {
  const acked = []; // {kind, what, at}
  let stop = false;
  let loadError = null;
  const load = (async () => {
    let n = 0;
    while (!stop) {
      n += 1;
      if (n % 4 === 0) {
        const top = await w.topUp(family, 500);
        acked.push({ kind: 'top-up', what: top.id, at: Date.now() });
      } else {
        const email = uniqueEmail('bk-blk');
        const r = await w.post(`/api/v1/facilities/${facility}/blocks`, { email }, op.token);
        assert.equal(r.status, 201, describeRes(r));
        acked.push({ kind: 'block', what: email, at: Date.now() });
      }
    }
  })().catch((e) => { loadError = e; stop = true; });
  while (acked.length < 40 && !loadError) await new Promise((r) => setTimeout(r, 20));
  const backupPath = path.join(w.srv.dir, 'kite-backup.db');
  const startedAt = Date.now();
  const backup = await cli(['backup', '--db', w.dbPath, '--to', backupPath]);
  const endedAt = Date.now();
  while (acked.filter((a) => a.at > endedAt).length < 10 && !loadError) await new Promise((r) => setTimeout(r, 20));
  stop = true;
  await load;
  if (loadError) throw loadError;
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, /^backup: .*kite-backup\.db, \d+ pages, \d+ bytes, integrity, audit chain and ledger verified\n$/);

  // One file, its owner's only.
  assert.equal(fs.statSync(backupPath).mode & 0o777, 0o600);
  for (const side of ['-wal', '-shm', '-journal']) assert.ok(!fs.existsSync(backupPath + side), `${side} beside the backup`);

  // Everything acknowledged before the backup began is in it; what came after it ended is not.
  const blocks = new Set(sqlite(backupPath, `SELECT email FROM facility_blocks WHERE facility_id = ${facility}`).trim().split('\n'));
  const topUps = new Set(sqlite(backupPath, 'SELECT id FROM wallet_top_ups').trim().split('\n').map(Number));
  const inCopy = (a) => (a.kind === 'block' ? blocks.has(a.what) : topUps.has(a.what));
  const before = acked.filter((a) => a.at < startedAt);
  const afterwards = acked.filter((a) => a.at > endedAt);
  assert.deepEqual(before.filter((a) => !inCopy(a)), [], 'acknowledged before the backup, missing from it');
  assert.deepEqual(afterwards.filter(inCopy), [], 'made after the backup ended, found in it');
  for (const verb of ['audit', 'ledger']) {
    const v = await cli([verb, 'verify', '--db', backupPath]);
    assert.equal(v.code, 0, `${verb} verify of the backup: ${v.stdout}${v.stderr}`);
  }
  t.diagnostic(`${acked.length} writes, ${before.length} before the backup, ${afterwards.length} after it`);

  // Restored into a new store, served: the contact signs in and sees the copy's balance.
  const restoredPath = path.join(w.srv.dir, 'restored.db');
  const restore = await cli(['restore', '--from', backupPath, '--db', restoredPath]);
  assert.equal(restore.code, 0, restore.stderr);
  assert.match(restore.stdout, /^restored: .*restored\.db, \d+ pages, \d+ bytes, integrity, audit chain and ledger verified\n$/);
  const copyBalance = Number(sqlite(backupPath, 'SELECT COUNT(*) FROM wallet_top_ups WHERE state = \'approved\'').trim());
  const srv = await startServer({ db: restoredPath });
  try {
    const s = await session(srv, family.email, family.password);
    const balance = await wallet(srv, s.token);
    assert.equal(balance, copyBalance * 500, 'the restored balance is the copy\'s top-ups');
    const live = await wallet(w.srv, family.token);
    assert.ok(live >= balance, `the live store has at least what the copy has: ${live} < ${balance}`);
  } finally {
    await srv.stopAndAssertClean();
  }
});

test('neither command writes over anything, and a PostgreSQL target is refused', async () => {
  const dir = w.srv.dir;
  const existing = path.join(dir, 'existing.db');
  fs.writeFileSync(existing, 'an older backup');
  const b = await cli(['backup', '--db', w.dbPath, '--to', existing]);
  assert.equal(b.code, 1, b.stderr);
  assert.match(b.stderr, /existing\.db already exists: nothing is ever written over; choose a new name, or move it aside first/);
  assert.equal(fs.readFileSync(existing, 'utf8'), 'an older backup');

  const good = path.join(dir, 'good-backup.db');
  assert.equal((await cli(['backup', '--db', w.dbPath, '--to', good])).code, 0);
  const liveBefore = fs.readFileSync(w.dbPath);
  const r = await cli(['restore', '--from', good, '--db', w.dbPath]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /already exists/);
  assert.ok(fs.readFileSync(w.dbPath).length >= liveBefore.length, 'the live store was touched');
  assert.equal((await w.get('/api/v1/me', family.token)).status, 200, 'the server still serves its store');

  const pg = await cli(['backup', '--db', 'postgresql://kite@127.0.0.1/kite', '--to', path.join(dir, 'pg.db')]);
  assert.equal(pg.code, 2, pg.stderr);
  assert.match(pg.stderr, /PostgreSQL's own tools \(pg_dump/);

  const junk = path.join(dir, 'junk.db');
  fs.writeFileSync(junk, 'not a store at all, just words');
  const j = await cli(['restore', '--from', junk, '--db', path.join(dir, 'from-junk.db')]);
  assert.equal(j.code, 1, j.stderr);
  assert.ok(!fs.existsSync(path.join(dir, 'from-junk.db')), 'a store was made from junk');
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.partial-')), [], 'a partial copy was left behind');
});
