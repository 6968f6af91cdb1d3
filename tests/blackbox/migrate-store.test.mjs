// kite migrate-store (issue 9, item 5): a SQLite deployment moves to PostgreSQL.
//
// A store gets real activity through the HTTP API (accounts, a resident, a
// contact linked by request, a card top-up and a stamp bundle, a trust
// deposit, a photo sent with a message and approved, a message still held
// for review, a reply from the resident); the server stops; the store is
// migrated into a fresh PostgreSQL database; `kite serve` then runs on that
// database and the API shows the same things: the same passwords and PIN
// sign in, the same balances and holds, the same messages and photo, the
// same audit chain.  A new write works (no id collides with a copied one),
// and a second migration into the now non-empty database is refused.
//
// Needs a PostgreSQL cluster: KITE_TEST_PG is an admin URL such as
// postgresql://postgres@127.0.0.1:PORT; each run creates its databases with
// CREATE DATABASE and drops them afterwards.  Without it the PostgreSQL
// tests are skipped (the usage checks still run).
import test, { after } from 'node:test';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  World, assert, onPlatform, pair, decide, send, listAll, describeRes,
} from './lib/messaging.mjs';
import { PUBLIC_URL } from './lib/flows.mjs';
import {
  KITE_BIN, DATA_DIR, Server, cli, auditCount, session, register,
} from './lib/kite.mjs';
import { makePng } from './lib/png.mjs';

const PG = process.env.KITE_TEST_PG;
const skip = PG ? false : 'KITE_TEST_PG is not set (an admin URL of a throw-away PostgreSQL cluster)';
const created = [];

function psql(sql) {
  return execFileSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', dbUrl('postgres'), '-c', sql],
    { encoding: 'utf8' });
}

function dbUrl(name) {
  const u = new URL(PG);
  u.pathname = `/${name}`;
  return u.toString();
}

function freshDatabase(tag) {
  const name = `kite_migrate_${tag}_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  psql(`CREATE DATABASE ${name}`);
  created.push(name);
  return dbUrl(name);
}

after(() => {
  for (const name of created) psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
});

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

// --- kite serve on a PostgreSQL URL --------------------------------------------------

/** `kite serve --db URL` with the world's other flags; a Server handle like startServer's. */
async function servePg(w, url) {
  const dir = fs.mkdtempSync(path.join(w.dir, 'pg-'));
  const logPath = path.join(dir, 'serve.stderr.log');
  const outPath = path.join(dir, 'serve.stdout.log');
  const args = ['serve', '--db', url, '--listen', '127.0.0.1:0', '--data', DATA_DIR, '--public-url', PUBLIC_URL,
    ...w.processorArgs];
  const proc = spawn(KITE_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr.pipe(fs.createWriteStream(logPath));
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error('kite serve on PostgreSQL did not start')); }, 60_000);
    proc.stdout.on('data', (chunk) => {
      text += chunk;
      const m = /kite: listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(text);
      if (m) { clearTimeout(timer); resolve({ baseUrl: m[1], port: Number(m[2]) }); }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kite serve on PostgreSQL exited (${code}): ${fs.readFileSync(logPath, 'utf8').slice(-2000)}`));
    });
  });
  fs.writeFileSync(outPath, '');
  return new Server({ proc, dir, dbPath: url, logPath, outPath, exited, run: 1, ...ready });
}

// --- usage (no PostgreSQL needed) ------------------------------------------------------

test('usage: both stores are required, --to is a PostgreSQL URI, a missing source is not created', async () => {
  const help = await cli(['migrate-store', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /kite migrate-store --from PATH\.db --to postgresql:\/\//);
  const cases = [
    [['migrate-store'], 2, /--from PATH\.db is required/],
    [['migrate-store', '--from', 'x.db'], 2, /--to postgresql:\/\/\.\.\. is required/],
    [['migrate-store', '--from', 'x.db', '--to', '/tmp/y.db'], 2, /--to must be a postgresql:\/\/ URI/],
    [['migrate-store', '--from', 'postgresql://h/a', '--to', 'postgresql://h/b'], 2, /--from is the SQLite store's path/],
    [['migrate-store', '--from', 'x.db', '--to', 'postgresql://h/b', '--batch', '9'], 2, /unknown option --batch/],
  ];
  for (const [args, code, re] of cases) {
    const r = await cli(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
  }
  const missing = path.join(fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'kite-mig-')), 'nope.db');
  const r = await cli(['migrate-store', '--from', missing, '--to', 'postgresql://127.0.0.1:1/none']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /no store at/);
  assert.equal(fs.existsSync(missing), false, 'a missing source store was created');
});

// --- the move ---------------------------------------------------------------------------

test('a SQLite store with real activity moves to PostgreSQL; kite serve on it shows the same data', { skip, timeout: 600_000 }, async () => {
  const w = await World.start({ sqlite: true });
  const sqliteSrv = w.srv;
  const sqlitePath = w.dbPath;
  try {
    // Activity on SQLite, through the API.
    const op = await w.operator();
    const J = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay' });
    const reviewer = await w.staff(op.token, J, 'reviewer');
    const p = await pair(w, op, J, 'jpay', { contactName: 'Rosa Moved' });
    const png = makePng(64, 48);
    const up = await w.srv.request('POST', '/api/v1/attachments', {
      body: png, token: p.contact.token, headers: { 'Content-Type': 'image/png' }, timeoutMs: 60_000,
    });
    assert.equal(up.status, 201, `upload: ${describeRes(up)}`);
    const photo = up.json;
    const withPhoto = await w.srv.request('POST', '/api/v1/messages', {
      body: { contact_id: p.contactId, subject: 'A photo', body: 'From the garden.', attachment_ids: [photo.id] },
      token: p.contact.token,
    });
    assert.equal(withPhoto.status, 202, describeRes(withPhoto));
    await decide(w, reviewer, withPhoto.json.id, 'approve');
    const pending = await send(w, p.contact, p.contactId, 'Still waiting', 'This one waits for review. ✉️ ñ 你好');
    const reply = await send(w, p.resident, p.contactId, 'Re: A photo', 'Thank you, it is lovely.');
    const photoBytes = (await w.srv.request('GET', `/api/v1/attachments/${photo.id}`, { token: p.resident.token })).buffer;
    assert.equal(sha256(photoBytes), photo.sha256);

    const walletOf = async (who) => (await w.get('/api/v1/wallet', who.token)).json;
    const before = {
      contactWallet: await walletOf(p.contact),
      residentWallet: await walletOf(p.resident),
      sent: await listAll(w, p.contact, 'box=sent'),
      inbox: await listAll(w, p.resident, 'box=inbox'),
      queue: (await w.get(`/api/v1/review/queue?facility_id=${J}`, reviewer.token)).json.items.map((m) => m.id),
    };
    assert.ok(before.contactWallet.held_cents > 0 || before.contactWallet.bundles.length > 0, 'the contact has money');
    assert.deepEqual(before.queue.sort(), [pending.id, reply.id].sort(), 'two messages wait for review');
    await sqliteSrv.stopAndAssertClean();
    const audits = await auditCount(sqlitePath);
    const ledger = await cli(['ledger', 'verify', '--db', sqlitePath]);
    assert.equal(ledger.code, 0, ledger.stdout + ledger.stderr);

    // The move.
    const target = freshDatabase('main');
    const moved = await cli(['migrate-store', '--from', sqlitePath, '--to', target], { timeoutMs: 300_000 });
    assert.equal(moved.code, 0, `migrate-store: ${moved.code}\n${moved.stdout}\n${moved.stderr}`);
    assert.match(moved.stdout, /^copied \d+ tables, \d+ rows in [\d.]+ s \(\d+ rows\/s\)/m);
    assert.match(moved.stdout, /^rows: equal in all \d+ tables/m);
    assert.match(moved.stdout, new RegExp(`^audit: chain intact on the target, ${audits} records`, 'm'));
    assert.match(moved.stdout, /^ledger: ok on the target \(\d+ transactions/m);
    assert.match(moved.stdout, /the target matches the source/);
    // stderr is not a terminal here: one line per table, parents before children.
    const order = [...moved.stderr.matchAll(/^copied (\w+): (\d+) rows$/gm)].map((m) => m[1]);
    assert.ok(order.includes('facilities') && order.includes('messages'), moved.stderr);
    assert.ok(order.indexOf('accounts') < order.indexOf('messages'), 'accounts are copied before messages');
    assert.ok(order.indexOf('messages') < order.indexOf('attachments'), 'messages before attachments');
    assert.equal(order.includes('schema_migrations'), false, 'schema_migrations is each store\'s own');
    assert.equal(await auditCount(target), audits, 'kite audit verify on the target');
    const pgLedger = await cli(['ledger', 'verify', '--db', target]);
    assert.equal(pgLedger.code, 0, pgLedger.stdout + pgLedger.stderr);
    assert.equal(pgLedger.stdout, ledger.stdout, 'the same ledger totals');

    // kite serve on PostgreSQL: the same people, money, messages and photo.
    w.srv = await servePg(w, target);
    try {
      for (const who of [op, reviewer, p.contact]) {
        const s = await session(w.srv, who.email, who.password);
        who.token = s.token;
      }
      await w.residentSignIn(p.resident);
      assert.deepEqual(await walletOf(p.contact), before.contactWallet, 'the contact\'s wallet');
      assert.deepEqual(await walletOf(p.resident), before.residentWallet, 'the resident\'s wallet');
      assert.deepEqual(await listAll(w, p.contact, 'box=sent'), before.sent, 'the contact\'s sent box');
      assert.deepEqual(await listAll(w, p.resident, 'box=inbox'), before.inbox, 'the resident\'s inbox');
      const q = (await w.get(`/api/v1/review/queue?facility_id=${J}`, reviewer.token)).json.items.map((m) => m.id);
      assert.deepEqual(q.sort(), before.queue, 'the review queue');
      const again = await w.srv.request('GET', `/api/v1/attachments/${photo.id}`, { token: p.resident.token });
      assert.equal(again.status, 200);
      assert.equal(sha256(again.buffer), photo.sha256, 'the photo, byte for byte');

      // New writes: fresh ids past the copied ones, money still exact.
      const newcomer = await register(w.srv, { full_name: 'New After Move' });
      assert.ok(newcomer.account.id > p.contact.account.id, 'a new account id past the copied ones');
      await decide(w, reviewer, pending.id, 'approve');
      const fresh = await send(w, p.contact, p.contactId, 'After the move', 'Written on PostgreSQL.');
      assert.ok(fresh.id > reply.id, `new message id ${fresh.id} after ${reply.id}`);
      await w.topUp(p.contact, 1000);
      const after1 = await walletOf(p.contact);
      assert.equal(after1.balance_cents, before.contactWallet.balance_cents + 1000, 'the top-up landed once');
      const up2 = await w.srv.request('POST', '/api/v1/attachments', {
        body: makePng(32, 32), token: p.contact.token, headers: { 'Content-Type': 'image/png' }, timeoutMs: 60_000,
      });
      assert.equal(up2.status, 201, describeRes(up2));
      assert.ok(up2.json.id > photo.id);
      await w.srv.stopAndAssertClean();
    } finally {
      await w.srv.cleanup();
    }
    const finalLedger = await cli(['ledger', 'verify', '--db', target]);
    assert.equal(finalLedger.code, 0, finalLedger.stdout + finalLedger.stderr);
    assert.ok(await auditCount(target) > audits, 'the new writes were audited on the target');

    // A second move into the live PostgreSQL store is refused, and writes nothing.
    const accounts = psqlCount(target, 'accounts');
    const refused = await cli(['migrate-store', '--from', sqlitePath, '--to', target]);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /refused: the target already holds data \(table \w+\)/);
    assert.equal(psqlCount(target, 'accounts'), accounts, 'the refused copy wrote nothing');
  } finally {
    w.srv = sqliteSrv;
    await w.close();
  }
});

function psqlCount(url, table) {
  return Number(execFileSync('psql', ['-X', '-At', url, '-c', `SELECT count(*) FROM ${table}`], { encoding: 'utf8' }).trim());
}

test('a target that cannot be reached: exit 1, and the password in its URI is masked', { skip }, async () => {
  const u = new URL(dbUrl('kite_no_such_database'));
  u.password = 'hunter2-secret';
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'kite-mig-'));
  const src = path.join(dir, 'kite.db');
  try {
    const made = await cli(['audit', 'verify', '--db', src]); // an empty store at the current schema
    assert.equal(made.code, 0, made.stderr);
    const r = await cli(['migrate-store', '--from', src, '--to', u.toString()]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /cannot open the target postgresql:\/\/\w+:\*\*\*@/);
    assert.equal(r.stderr.includes('hunter2-secret'), false, 'the password was printed');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a server keeps writing to the SQLite store during the move: the copy is one moment of it, and checks out', { skip, timeout: 300_000 }, async () => {
  const w = await World.start({ processor: false, sqlite: true });
  try {
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await register(w.srv, { full_name: 'Signed Up Meanwhile' }); // an account and an audit record each
        written++;
      }
    })();
    while (written < 3) await new Promise((r) => setTimeout(r, 20));
    const target = freshDatabase('live');
    const moved = await cli(['migrate-store', '--from', w.dbPath, '--to', target], { timeoutMs: 300_000 });
    const duringMove = written;
    writing = false;
    await writer;
    assert.equal(moved.code, 0, `migrate-store during writes: ${moved.code}\n${moved.stdout}\n${moved.stderr}`);
    assert.match(moved.stdout, /the target matches the source/);
    const copied = Number(/audit: chain intact on the target, (\d+) records/.exec(moved.stdout)[1]);
    await w.srv.stopAndAssertClean();
    const now = await auditCount(w.dbPath);
    assert.ok(duringMove > 3 && now > copied, `writes went on during the move (${duringMove} sign-ups, ${copied} records copied, ${now} now)`);
    assert.equal(await auditCount(target), copied, 'the target\'s chain is the snapshot\'s, whole');
  } finally {
    await w.close();
  }
});
