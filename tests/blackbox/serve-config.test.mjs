// kite serve --config FILE: every option of kite serve in a file, one
// "name = value" a line; the command line wins, the options given many
// times add up, and the file is checked as strictly as the command line.

import test, { after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assert, runServe, DATA_DIR } from './lib/flows.mjs';
import { startServer } from './lib/kite.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-conf-'));
const servers = [];
after(async () => {
  for (const s of servers) await s.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

function conf(name, text) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

test('the file\'s options take effect; quoted values, comments and repeated options', async () => {
  const file = conf('kite.conf', [
    '# Kite, as an operator would write it',
    '',
    'log-format = json          # one JSON object a line',
    'mail-from = "Kite <no-reply@example.org>"',
    'metrics-from = 10.0.0.0/8',
    'metrics-from = 127.0.0.1',
    '',
  ].join('\n'));
  const srv = await startServer({ extraArgs: ['--config', file] });
  servers.push(srv);
  const m = await srv.request('GET', '/metrics');
  assert.equal(m.status, 200, 'metrics-from given twice: both count');
  const first = fs.readFileSync(srv.logPath, 'utf8').split('\n').filter(Boolean)[0];
  assert.doesNotThrow(() => JSON.parse(first), `log-format from the file: ${first}`);
});

test('the command line wins over the file', async () => {
  const file = conf('text-wins.conf', 'log-format = json\n');
  const srv = await startServer({ extraArgs: ['--config', file, '--log-format', 'text'] });
  servers.push(srv);
  const first = fs.readFileSync(srv.logPath, 'utf8').split('\n').filter(Boolean)[0];
  assert.throws(() => JSON.parse(first), `the command line said text: ${first}`);
});

test('a file with a mistake is refused, naming the file and the line', async () => {
  const db = path.join(dir, 'never.db');
  const base = ['--db', db, '--listen', '127.0.0.1:0', '--data', DATA_DIR];
  const cases = [
    [conf('no-equals.conf', '# fine\nthreads 4\n'), /no-equals\.conf line 2: write name = value \(an option of kite serve without its dashes\)/],
    [conf('dashes.conf', '--threads = 4\n'), /dashes\.conf line 1: "--threads" is not an option of kite serve/],
    [conf('unknown.conf', 'frobnicate = 1\n'), /unknown option --frobnicate/],
    [conf('bad-value.conf', 'threads = many\n'), /--threads takes a number from 1 to 256/],
    [conf('nested.conf', 'config = /etc/other.conf\n'), /"config" is not an option of kite serve/],
    [path.join(dir, 'missing.conf'), /--config .*missing\.conf: No such file or directory/],
  ];
  for (const [file, message] of cases) {
    const r = await runServe([...base, '--config', file]);
    assert.equal(r.code, 2, `${file}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const twice = await runServe([...base, '--config', cases[0][0], '--config', cases[1][0]]);
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /--config takes one FILE, once/);
  assert.ok(!fs.existsSync(db), 'a store was made');
});

test('the packaged example, packaging/kite.conf, is a file kite serve reads', async () => {
  const example = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'packaging', 'kite.conf');
  const r = await runServe(['--config', example, '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /usage: kite serve/);
});
