// Outgoing mail: the welcome mail of a registration, delivered over SMTP to a
// sink written in Node (lib/smtp-sink.mjs); mail that waits in the store while
// the relay is down and is delivered exactly once after a restart; retries
// with back-off when the relay refuses; `kite outbox list`.
import { test, after } from 'node:test';
import {
  startServer, assert, register, cli, sleep, RFC3339_UTC,
} from './lib/kite.mjs';
import { SmtpSink, parseMessage } from './lib/smtp-sink.mjs';

const PUBLIC_URL = 'https://kite.test.example';
const FROM = 'Kite Mail <no-reply@kite.test.example>';

const servers = [];
const sinks = [];
after(async () => {
  for (const s of servers) await s.cleanup();
  for (const k of sinks) await k.stop();
});

async function start(opts = {}) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}

async function newSink() {
  const sink = new SmtpSink();
  sinks.push(sink);
  await sink.start();
  return sink;
}

function mailArgs(sink) {
  return ['--smtp', sink.url, '--public-url', PUBLIC_URL, '--mail-from', FROM];
}

const LINE_RE = /^(\d+)\s+(pending|sent|failed)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/;

/** Runs `kite outbox list`; returns {rows: [{id, status, attempts, created, to, kind, subject}], count, res}. */
async function outboxList(dbPath, status) {
  const args = ['outbox', 'list', '--db', dbPath];
  if (status) args.push('--status', status);
  const res = await cli(args);
  assert.equal(res.code, 0, `kite outbox list failed (${res.code}): ${res.stderr}`);
  const lines = res.stdout.trimEnd().split('\n');
  const last = lines.pop();
  const m = /^(\d+) mails?\b/.exec(last);
  assert.ok(m, `no count line at the end: ${JSON.stringify(res.stdout)}`);
  const rows = lines.map((l) => {
    const r = LINE_RE.exec(l);
    assert.ok(r, `unexpected outbox line: ${JSON.stringify(l)}`);
    return { id: Number(r[1]), status: r[2], attempts: Number(r[3]), created: r[4], to: r[5], kind: r[6], subject: r[7] };
  });
  assert.equal(Number(m[1]), rows.length, `count line disagrees with the rows: ${res.stdout}`);
  return { rows, count: rows.length, res };
}

/** Polls `kite outbox list` until pred(rows) holds; returns the rows. */
async function waitForOutbox(dbPath, pred, what, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  let rows = [];
  while (Date.now() < until) {
    ({ rows } = await outboxList(dbPath));
    if (pred(rows)) return rows;
    await sleep(250);
  }
  assert.fail(`outbox never reached: ${what}; rows: ${JSON.stringify(rows)}`);
}

test('registration with --smtp: one welcome mail arrives, well formed, linking to --public-url; outbox says sent', async () => {
  const sink = await newSink();
  const srv = await start({ extraArgs: mailArgs(sink) });
  const name = 'Zoë <b>O\'Brien</b> & "Co"';
  const reg = await register(srv, { full_name: name });
  const email = reg.email.toLowerCase();

  await sink.waitForMessages(1, 15_000);
  await sleep(2500); // time for a duplicate to show up, if one were coming
  const mine = sink.messagesTo(email);
  assert.equal(mine.length, 1, `expected exactly one mail to ${email}; got ${mine.length}`);
  assert.equal(sink.messages.length, 1, 'mail to someone else?');
  const got = mine[0];
  assert.equal(got.from, 'no-reply@kite.test.example', 'envelope sender');
  assert.deepEqual(got.to, [email], 'envelope recipients');

  const msg = parseMessage(got.data);
  for (const h of ['from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type']) {
    assert.equal(msg.headers[h]?.length, 1, `header ${h} must appear exactly once; head:\n${msg.rawHead}`);
  }
  assert.equal(msg.header('From'), FROM);
  assert.equal(msg.header('To'), email);
  assert.equal(msg.header('Subject'), 'Welcome to Kite');
  assert.equal(msg.header('MIME-Version'), '1.0');
  assert.match(msg.header('Message-ID'), /^<kite-outbox-\d+\.\d+@kite\.test\.example>$/);
  const date = Date.parse(msg.header('Date'));
  assert.ok(Math.abs(date - Date.now()) < 120_000, `Date header off: ${msg.header('Date')}`);
  assert.match(msg.header('Date'), /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
  assert.match(msg.header('Content-Type'), /^multipart\/alternative;\s*boundary="[^"]+"$/);

  assert.deepEqual(msg.parts.map((p) => p.type), ['text/plain', 'text/html']);
  for (const p of msg.parts) {
    assert.equal(p.charset, 'utf-8');
    assert.ok(['quoted-printable', 'base64'].includes(p.encoding), `part encoding ${p.encoding}`);
  }
  // Plain text: the name as typed, what Kite is for, the next step, the link.
  assert.ok(msg.text.includes(`Hello ${name},`), `text lacks the greeting:\n${msg.text}`);
  assert.match(msg.text, /Kite helps families and friends/);
  assert.match(msg.text, /find your loved one's facility/);
  assert.match(msg.text, /invitation/);
  assert.ok(msg.text.includes(`${PUBLIC_URL}/`), `text lacks the link:\n${msg.text}`);
  // HTML: the same, with the name escaped and a real link.
  assert.ok(msg.html.includes(`href="${PUBLIC_URL}/verify-email?token=`), `html lacks the link:\n${msg.html}`);
  assert.ok(msg.html.includes('Hello Zoë &lt;b&gt;O&#39;Brien&lt;/b&gt; &amp; &quot;Co&quot;,'), `html name not escaped:\n${msg.html}`);
  assert.ok(!msg.html.includes('<b>O'), 'raw user text in the HTML');
  // Transport safety: 7-bit, short lines.
  for (const line of msg.lines) {
    assert.ok(Buffer.byteLength(line) <= 78 || /^(To|Message-ID):/.test(line), `line too long: ${JSON.stringify(line)}`);
    assert.ok(/^[\x20-\x7e\t]*$/.test(line), `non-ASCII line: ${JSON.stringify(line)}`);
  }

  const { rows } = await outboxList(srv.dbPath);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].status, 'sent');
  assert.equal(rows[0].attempts, 1);
  assert.equal(rows[0].to, email);
  assert.equal(rows[0].kind, 'account');
  assert.equal(rows[0].subject, 'Welcome to Kite');
  assert.match(rows[0].created, RFC3339_UTC);
  assert.equal((await outboxList(srv.dbPath, 'pending')).count, 0);
  assert.equal((await outboxList(srv.dbPath, 'sent')).count, 1);
  // --show ID: the one mail as support reads it, its text included.
  const shown = await cli(['outbox', 'list', '--db', srv.dbPath, '--show', String(rows[0].id)]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^Mail:\\s+${rows[0].id}$`, 'm'));
  assert.match(shown.stdout, new RegExp(`^To:\\s+${email.replace(/[.+]/g, '\\$&')}$`, 'm'));
  assert.match(shown.stdout, /^Subject:\s+Welcome to Kite$/m);
  assert.match(shown.stdout, /^Status:\s+sent$/m);
  assert.match(shown.stdout, /^Sent:\s+\d{4}-/m);
  assert.ok(shown.stdout.includes(`Hello ${name},`), `the text is shown:\n${shown.stdout}`);
  const missing = await cli(['outbox', 'list', '--db', srv.dbPath, '--show', '999999']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no mail has id 999999/);
  const bad = await cli(['outbox', 'list', '--db', srv.dbPath, '--show', 'latest']);
  assert.equal(bad.code, 2);
  await srv.stopAndAssertClean();
  assert.equal(sink.messages.length, 1, 'a mail was sent again at shutdown');
});

test('relay down: three welcome mails wait in the store, then after a restart each arrives exactly once', async () => {
  const sink = await newSink();
  const port = sink.port;
  await sink.stop(); // the relay is down: nothing listens on its port
  const first = await start({ extraArgs: mailArgs(sink) });
  const emails = [];
  for (let i = 0; i < 3; i++) emails.push((await register(first, { full_name: `Waiting ${i}` })).email.toLowerCase());
  // At least one delivery attempt fails (connection refused) and is recorded.
  await waitForOutbox(first.dbPath, (rows) => rows.length === 3 && rows.every((r) => r.attempts >= 1),
    'three mails, each tried at least once');
  const pending = await outboxList(first.dbPath, 'pending');
  assert.equal(pending.count, 3, `expected 3 pending: ${pending.res.stdout}`);
  assert.deepEqual(pending.rows.map((r) => r.to).sort(), [...emails].sort());
  assert.match(pending.res.stdout, /^3 mails pending$/m);
  await first.stopAndAssertClean();

  await sink.start();
  assert.equal(sink.port, port, 'the sink came back on another port');
  const second = await start({ dir: first.dir, extraArgs: mailArgs(sink) });
  await sink.waitForMessages(3, 20_000);
  await sleep(3500); // would a mail come twice?
  assert.equal(sink.messages.length, 3, `expected 3 mails; got ${sink.messages.length}`);
  for (const e of emails) assert.equal(sink.messagesTo(e).length, 1, `mail to ${e}`);
  const ids = new Set(sink.messages.map((m) => parseMessage(m.data).header('Message-ID')));
  assert.equal(ids.size, 3, 'Message-IDs must differ');
  const sent = await outboxList(second.dbPath, 'sent');
  assert.equal(sent.count, 3);
  assert.equal((await outboxList(second.dbPath, 'pending')).count, 0);
  await second.stopAndAssertClean();

  // A third start delivers nothing again.
  const third = await start({ dir: first.dir, extraArgs: mailArgs(sink) });
  await sleep(2500);
  assert.equal(sink.messages.length, 3, 'mail recorded as sent was sent again after a restart');
  await third.stopAndAssertClean();
});

test('relay answers 451 to DATA once: the mail is retried after a back-off and delivered once', async () => {
  const sink = await newSink();
  sink.failNext(1, { stage: 'data', code: 451 });
  const srv = await start({ extraArgs: mailArgs(sink) });
  const email = (await register(srv)).email.toLowerCase();
  await sink.waitForMessages(1, 20_000);
  await sleep(2500);
  assert.equal(sink.rejected.length, 1, 'the first attempt reached the sink and was refused');
  assert.equal(sink.rejected[0].stage, 'data');
  assert.equal(sink.messagesTo(email).length, 1);
  const rows = await waitForOutbox(srv.dbPath, (r) => r.length === 1 && r[0].status === 'sent', 'sent');
  assert.equal(rows[0].attempts, 2, 'both attempts are counted');
  assert.ok(srv.readLog().includes('attempt 1 failed'), 'the failure is logged');
  await srv.stopAndAssertClean();
});

test('relay refuses after receiving the message (451 at end of data): the resend is the same mail', async () => {
  const sink = await newSink();
  sink.failNext(1, { stage: 'end', code: 451 });
  const srv = await start({ extraArgs: mailArgs(sink) });
  const email = (await register(srv)).email.toLowerCase();
  await sink.waitForMessages(1, 20_000);
  await sleep(2500);
  assert.equal(sink.messagesTo(email).length, 1);
  assert.equal(sink.rejected.length, 1);
  assert.equal(sink.rejected[0].stage, 'end');
  // Same bytes, same Message-ID: a receiver can recognise a resend.
  assert.equal(sink.rejected[0].data, sink.messages[0].data);
  const rows = await waitForOutbox(srv.dbPath, (r) => r.length === 1 && r[0].status === 'sent', 'sent');
  assert.equal(rows[0].attempts, 2);
  await srv.stopAndAssertClean();
});

test('a relay that never answers does not hold up shutdown; the attempt is recorded, the next start delivers', async () => {
  const sink = await newSink();
  sink.stall = true;
  const srv = await start({ extraArgs: mailArgs(sink) });
  await register(srv);
  await sleep(2000); // the mailer is now waiting for a greeting that never comes
  assert.ok(sink.sessions >= 1, 'the mailer did not connect');
  const t0 = Date.now();
  await srv.stopAndAssertClean();
  assert.ok(Date.now() - t0 < 8000, `shutdown took ${Date.now() - t0} ms`);
  const { rows } = await outboxList(srv.dbPath);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].status, 'pending', 'an unanswered attempt is not a delivery');
  assert.equal(rows[0].attempts, 1);
  assert.equal(sink.messages.length, 0);

  sink.stall = false; // the relay recovers; the next start delivers the mail once
  const again = await start({ dir: srv.dir, extraArgs: mailArgs(sink) });
  await sink.waitForMessages(1, 15_000);
  await sleep(2000);
  assert.equal(sink.messages.length, 1);
  const delivered = await waitForOutbox(again.dbPath, (r) => r[0]?.status === 'sent', 'sent');
  assert.equal(delivered[0].attempts, 2);
  await again.stopAndAssertClean();
});

test('without --smtp the welcome mail stays pending in the store', async () => {
  const srv = await start();
  const email = (await register(srv)).email.toLowerCase();
  await sleep(1500);
  const { rows } = await outboxList(srv.dbPath);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].status, 'pending');
  assert.equal(rows[0].attempts, 0);
  assert.equal(rows[0].to, email);
  assert.equal(rows[0].kind, 'account');
  assert.match(srv.readLog(), /no --smtp given/);
  await srv.stopAndAssertClean();
});

test('staff accounts get no welcome mail; kite outbox list and serve reject bad arguments', async () => {
  const srv = await start();
  const add = await cli(['user', 'add', '--db', srv.dbPath, '--role', 'operator', '--email', 'op.mail@example.org'],
    { input: 'a-long-operator-passphrase\n' });
  assert.equal(add.code, 0, add.stderr);
  assert.equal((await outboxList(srv.dbPath)).count, 0);
  await srv.stopAndAssertClean();

  const badStatus = await cli(['outbox', 'list', '--db', srv.dbPath, '--status', 'queued']);
  assert.equal(badStatus.code, 2);
  assert.match(badStatus.stderr, /--status/);
  const noDb = await cli(['outbox', 'list']);
  assert.equal(noDb.code, 2);
  const badFrom = await cli(['serve', '--db', srv.dbPath, '--listen', '127.0.0.1:0', '--mail-from', 'Kite <nobody>']);
  assert.equal(badFrom.code, 2);
  assert.match(badFrom.stderr, /--mail-from/);
  const injected = await cli(['serve', '--db', srv.dbPath, '--listen', '127.0.0.1:0', '--mail-from', 'a@b.example\r\nBcc: c@d.example']);
  assert.equal(injected.code, 2);
  const badUrl = await cli(['serve', '--db', srv.dbPath, '--listen', '127.0.0.1:0', '--public-url', 'javascript:alert(1)']);
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /--public-url/);
});
