// The kite command refuses what it does not know: an unknown or misspelt
// option, an option without its value or a stray argument exits 2 with the
// subcommand's usage line on stderr, before any store is opened; --help
// prints the usage on stdout and exits 0.

import test, { after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assert, cli, DATA_DIR, session, sqlite, startServer, rememberTotp, signIn } from './lib/kite.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-bb-cli-'));
const db = path.join(dir, 'kite.db');
const csv = path.join(dir, 'roster.csv');
fs.writeFileSync(csv, 'resident_number,first_name,last_name\n1,A,B\n');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// Each subcommand with arguments that would work, and the start of its usage line.
const COMMANDS = [
  { name: 'serve', args: ['serve', '--db', db, '--listen', '127.0.0.1:0'], usage: /^usage: kite serve --db PATH/m },
  { name: 'import-facilities', args: ['import-facilities', '--db', db, csv], usage: /^usage: kite import-facilities --db PATH/m },
  { name: 'roster import', args: ['roster', 'import', '--db', db, '--facility', '2520', csv], usage: /^usage: kite roster import --db PATH/m },
  { name: 'outbox list', args: ['outbox', 'list', '--db', db], usage: /^usage: kite outbox list --db PATH/m },
  { name: 'user add', args: ['user', 'add', '--db', db, '--role', 'operator', '--email', 'op@example.org'], usage: /^usage: kite user add --db PATH/m },
  { name: 'audit verify', args: ['audit', 'verify', '--db', db], usage: /^usage: kite audit verify --db PATH/m },
  { name: 'demo', args: ['demo', '--db', db], usage: /^usage: kite demo --db PATH/m },
];

function assertRefused(r, usage, what) {
  assert.equal(r.code, 2, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, usage, `${what}: no usage line on stderr: ${r.stderr}`);
  assert.equal(r.stdout, '', `${what}: printed on stdout: ${r.stdout}`);
  assert.ok(!fs.existsSync(db), `${what}: the store was opened before the arguments were checked`);
}

for (const c of COMMANDS) {
  test(`kite ${c.name}: an unknown flag is refused with exit 2 and the usage line`, async () => {
    const r = await cli([...c.args, '--frobnicate', 'x'], { input: 'a long enough password\n' });
    assertRefused(r, c.usage, `${c.name} --frobnicate`);
    assert.match(r.stderr, /unknown option --frobnicate/);
  });

  test(`kite ${c.name}: a misspelt --db (--dbb) is refused with exit 2 and the usage line`, async () => {
    const args = c.args.map((a) => (a === '--db' ? '--dbb' : a));
    const r = await cli(args, { input: 'a long enough password\n' });
    assertRefused(r, c.usage, `${c.name} --dbb`);
    assert.match(r.stderr, /unknown option --dbb/);
  });

  test(`kite ${c.name}: an option without its value is refused with exit 2 and the usage line`, async () => {
    const r = await cli([...c.args.filter((a) => a !== csv), '--db'], { input: 'a long enough password\n' });
    assertRefused(r, c.usage, `${c.name} --db at the end`);
  });

  test(`kite ${c.name} --help prints the usage on stdout and exits 0`, async () => {
    const r = await cli([...c.args.slice(0, c.name.includes(' ') ? 2 : 1), '--help']);
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    assert.match(r.stdout, c.usage);
    assert.ok(!fs.existsSync(db), '--help opened the store');
  });
}

test('an abbreviated, repeated or stray argument is refused too', async () => {
  const serveUsage = COMMANDS[0].usage;
  const abbreviated = await cli(['serve', '--db', db, '--thread', '2']);
  assertRefused(abbreviated, serveUsage, 'serve --thread');
  const twice = await cli(['serve', '--db', db, '--db', db]);
  assertRefused(twice, serveUsage, 'serve --db twice');
  assert.match(twice.stderr, /--db is given twice/);
  const stray = await cli(['audit', 'verify', '--db', db, 'extra']);
  assertRefused(stray, COMMANDS[5].usage, 'audit verify extra');
  const verb = await cli(['outbox', 'lst', '--db', db]);
  assertRefused(verb, COMMANDS[3].usage, 'outbox lst');
  const forgotten = await cli(['serve', '--db', '--listen', '127.0.0.1:0']);
  assertRefused(forgotten, serveUsage, 'serve --db --listen');
  assert.match(forgotten.stderr, /--db needs a value/);
});

test('kite serve keeps its own messages for bad values (exit 2)', async () => {
  const threads = await cli(['serve', '--db', db, '--threads', '4x']);
  assert.equal(threads.code, 2);
  assert.match(threads.stderr, /--threads takes a number from 1 to 256/);
  const noDb = await cli(['serve', '--listen', '127.0.0.1:0']);
  assert.equal(noDb.code, 2);
  assert.match(noDb.stderr, /--db PATH is required/);
  assert.ok(!fs.existsSync(db));
});

test('kite demo builds its world once, with a family member who may pay (make run depends on it)', async () => {
  const demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-bb-demo-'));
  const demoDb = path.join(demoDir, 'kite.db');
  try {
    const first = await cli(['demo', '--db', demoDb, '--data', DATA_DIR]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /family member \(contact\)\s+family@demo\.kite/);
    const again = await cli(['demo', '--db', demoDb, '--data', DATA_DIR]);
    assert.equal(again.code, 0, again.stderr);
    const srv = await startServer({ db: demoDb });
    try {
      const s = await session(srv, 'family@demo.kite', 'kite-demo-2026');
      const me = await srv.get('/api/v1/me', { token: s.token });
      assert.equal(me.json.email_verified, true, 'the demo family may pay');
      const sent = await srv.get('/api/v1/messages?box=sent', { token: s.token });
      assert.ok(sent.json.items.length >= 1, 'the world has its messages, made once');
      const inbox = await srv.get('/api/v1/messages?box=inbox', { token: s.token });
      const all = [...sent.json.items, ...inbox.json.items];
      assert.equal(new Set(all.map((m) => m.id)).size, all.length);
      // Staff sign in with the two-factor secret the demo prints, as a person trying Kite would.
      const secret = /add the demo secret ([A-Z2-7]{32})/.exec(first.stdout)?.[1];
      assert.ok(secret, `the demo prints its two-factor secret: ${first.stdout}`);
      assert.equal((await signIn(srv, 'reviewer@coleman.demo.kite', 'kite-demo-2026')).json.error.code, 'two_factor_required');
      for (const email of ['operator@demo.kite', 'reviewer@coleman.demo.kite']) {
        rememberTotp(email, secret);
        const staff = await session(srv, email, 'kite-demo-2026', { enrol: false });
        assert.equal(staff.two_factor_enrollment_required, false, email);
      }
    } finally {
      await srv.stop();
    }
    const count = sqlite(demoDb, "SELECT count(*) FROM accounts WHERE email = 'family@demo.kite'").trim();
    assert.equal(count, '1', 'a second run adds no account');
  } finally {
    fs.rmSync(demoDir, { recursive: true, force: true });
  }
});
