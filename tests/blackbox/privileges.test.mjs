// kite serve --user: started as root, it binds its port and then runs as an
// ordinary user, and everything after that (the store, the threads, the
// photo helper) belongs to that user.
//
//   - /proc/PID/status shows the user's uid and gid (real, effective, saved
//     and file system), no supplementary groups, and NoNewPrivs;
//   - the store's files it makes belong to the user, and the server works:
//     a registration is saved and a photo goes through the confined helper;
//   - a user that does not exist, or root itself, is refused before
//     anything starts, with what to do.
// The suite runs as root (make test); elsewhere the test says why it cannot run.
// The store is a SQLite file in a folder the user owns, on both runs of the suite.

import test, { after, before } from 'node:test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assert, describeRes, runServe, DATA_DIR } from './lib/flows.mjs';
import { startServer, register, session } from './lib/kite.mjs';
import { makePng } from './lib/png.mjs';

const USER = 'nobody';
let dir;
let srv;
let why = null;
let uid = 0;
let gid = 0;

before(async () => {
  if (process.getuid() !== 0) {
    why = 'kite serve --user needs root to start, and this suite is not running as root';
    return;
  }
  uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
  gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-user-'));
  fs.chownSync(dir, uid, gid);
  fs.chmodSync(dir, 0o700);
  // The directory's files, where the user can read them: a checkout in a private folder (a clone in
  // `mktemp -d`, mode 0700) is closed to anyone but its owner, and the user loads them after the drop.
  const data = path.join(dir, 'data');
  fs.cpSync(DATA_DIR, data, { recursive: true });
  execFileSync('chown', ['-R', `${uid}:${gid}`, data]);
  srv = await startServer({ db: path.join(dir, 'kite.db'), data, extraArgs: ['--user', USER] });
});

after(async () => {
  if (srv) await srv.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('started as root with --user, it runs as that user with no groups and no way back', async (t) => {
  if (why) { t.skip(why); return; }
  const status = fs.readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8');
  const field = (name) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status)[1].trim().split(/\s+/).filter(Boolean);
  assert.deepEqual(field('Uid').map(Number), [uid, uid, uid, uid]);
  assert.deepEqual(field('Gid').map(Number), [gid, gid, gid, gid]);
  assert.deepEqual(field('Groups'), []);
  assert.deepEqual(field('NoNewPrivs'), ['1']);
  // Every thread, not only the first.
  for (const task of fs.readdirSync(`/proc/${srv.proc.pid}/task`)) {
    const s = fs.readFileSync(`/proc/${srv.proc.pid}/task/${task}/status`, 'utf8');
    assert.match(s, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'), `thread ${task}`);
  }
  assert.match(fs.readFileSync(srv.logPath, 'utf8'), new RegExp(`running as ${USER} \\(uid ${uid}\\); the port was bound as root`));
});

test('the store is the user\'s, and the server works: a registration is saved, a photo goes through the helper', async (t) => {
  if (why) { t.skip(why); return; }
  const reg = await register(srv);
  const s = await session(srv, reg.email, reg.password);
  const photo = await srv.request('POST', '/api/v1/attachments', { body: makePng(8, 8), token: s.token, headers: { 'Content-Type': 'image/png' } });
  assert.equal(photo.status, 201, describeRes(photo));
  for (const f of fs.readdirSync(dir)) {
    const st = fs.statSync(path.join(dir, f));
    assert.equal(st.uid, uid, `${f} belongs to uid ${st.uid}`);
  }
});

test('a user that does not exist, or root, is refused before anything starts', async (t) => {
  if (why) { t.skip(why); return; }
  const other = path.join(dir, 'other.db');
  const missing = await runServe(['--db', other, '--listen', '127.0.0.1:0', '--data', DATA_DIR, '--user', 'no-such-kite-user']);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /--user no-such-kite-user: there is no user "no-such-kite-user" .*; create it \(adduser --system no-such-kite-user\) or name another/);
  const root = await runServe(['--db', other, '--listen', '127.0.0.1:0', '--data', DATA_DIR, '--user', 'root']);
  assert.equal(root.code, 1, root.stderr);
  assert.match(root.stderr, /"root" is root: name an ordinary user such as kite/);
  assert.ok(!fs.existsSync(other), 'a store was made before the refusal');
});
