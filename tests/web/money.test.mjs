// Browser tests of money sent to a resident's trust account, at phone width (390 px): the family
// member sends money from /money and sees the fee and the total before the button, a last name
// that does not match is refused with nothing sent, then the confirmation and the list; the
// resident's tablet shows the trust balance, the statement line and the CSV link, and the
// terminal-time notice when the trust account cannot pay a minute.  A real kite server, a real
// `kite processor-sandbox` (the balance is added with its test card) and a real Chromium.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, PASSWORD, SHOTS, TIMEOUT, PHONE, startServer, stopServer, kiteCli, launchBrowser, newPage, apiClient,
  signedInClient, uniqueEmail, signInForm, confirmEmail, expectText, expectCount,
} from './helpers.mjs';

const OPERATOR = 'op.money@example.org';
let server;
let sandbox;
let base;
let browser;
let tmp;
let operator;
let federal; // FCI COLEMAN LOW, federal profile: $3.50 fee up to $20.00, terminal time 5 cents a minute
let keys = 0;

function startSandbox() {
  return new Promise((resolve, reject) => {
    const child = spawn(KITE_BIN, ['processor-sandbox', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the sandbox did not start:\n${out}`)); }, 30_000);
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the sandbox exited with ${code}:\n${out}`)); });
  });
}

/* POST with a token and an Idempotency-Key (the helpers' client sends no headers of its own). */
async function paid(token, path, body) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'Idempotency-Key': `web-money-${process.pid}-${++keys}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/* A registered contact with `cents` on the balance (the sandbox's approved card). */
async function fundedContact(name, cents) {
  const email = uniqueEmail('money');
  const reg = await apiClient(base).post('/accounts', { email, password: PASSWORD, full_name: name, phone: '+1 555 0100' });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  await confirmEmail(join(tmp, 'kite.db'), email); // paying needs a confirmed address
  const s = await apiClient(base).post('/sessions', { email, password: PASSWORD });
  assert.equal(s.status, 201);
  const top = await paid(s.body.token, '/wallet/top-ups', {
    amount_cents: cents, card: { number: '4242 4242 4242 4242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' },
  });
  assert.equal(top.status, 201, JSON.stringify(top.body));
  return { email, token: s.body.token, name };
}

async function addResident(number, first, last, pin) {
  const r = await operator.post(`/facilities/${federal.id}/residents`, { resident_number: number, first_name: first, last_name: last, pin });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

/* The resident signs in on /tablet with the facility given in the link. */
async function tabletSignIn(page, number, pin) {
  await page.goto(`${base}/tablet?facility=${federal.id}`);
  await page.getByTestId('tablet-facility').waitFor();
  await page.getByLabel('Your resident number').fill(number);
  await page.getByLabel('Your PIN').fill(pin);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: /^Hello, / }).waitFor();
}

/* The page as it is now, at phone width, for a person to look at (KITE_SHOTS). */
async function shoot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
}

async function noOverflow(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-money-'));
  sandbox = await startSandbox();
  server = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  base = server.url;
  await kiteCli(['user', 'add', '--db', join(tmp, 'kite.db'), '--role', 'operator', '--email', OPERATOR, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  operator = await signedInClient(base, { email: OPERATOR, password: PASSWORD });
  const found = await apiClient(base).get(`/facilities?q=${encodeURIComponent('fci coleman low')}`);
  federal = found.body.items.find((x) => x.name === 'FCI COLEMAN LOW');
  assert.ok(federal);
  const put = await operator.put(`/facilities/${federal.id}/policy`, { profile: 'federal' });
  assert.ok([200, 201].includes(put.status), JSON.stringify(put.body));
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await stopServer(server.child);
  if (sandbox) {
    sandbox.child.removeAllListeners('exit');
    sandbox.child.kill('SIGTERM');
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('a family member sends money seeing the fee first; a wrong last name sends nothing; at 390 px', TIMEOUT, async () => {
  await addResident('31313-131', 'Alex', 'Rivera', '246813');
  const fam = await fundedContact('Dana Rivera', 5000);
  const { page, close } = await newPage(browser, PHONE);
  await signInForm(page, base, fam.email);
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
  await page.goto(`${base}/wallet`);
  await page.getByTestId('send-money-link').click();
  await page.waitForURL(`${base}/money`);
  await page.getByRole('heading', { name: 'Send money', level: 1 }).waitFor();
  await page.getByText('You have not sent money yet.').waitFor();

  await page.getByLabel('Their facility').fill('fci coleman low');
  await page.locator(`.picker-option[data-id="${federal.id}"]`).click();
  await page.getByTestId('money-facility').waitFor();
  await page.getByLabel('Their resident number').fill('31313-131');
  await page.getByLabel('Their last name').fill('Rivero');
  await page.getByLabel('Amount in dollars').fill('20.00');
  // The fee and the total are on the page and on the button before anything is sent.
  await page.getByTestId('money-quote').getByText(/^Fee \$3\.50\. Your balance pays \$23\.50/).waitFor();
  const button = page.getByRole('button', { name: 'Send $20.00 (total $23.50)' });
  await button.waitFor();
  assert.equal((await page.getByTestId('money-quote').textContent()).includes('Alex'), false);

  await button.click();
  const alert = page.getByRole('alert').filter({ hasText: 'do not match the same person' });
  await alert.waitFor();
  await expectText(alert, /Nothing was charged/);
  assert.equal((await apiClient(base, fam.token).get('/wallet')).body.balance_cents, 5000);

  // $20.01 is the next tier: the fee changes before the button is pressed.
  await page.getByLabel('Their last name').fill('rivera');
  await page.getByLabel('Amount in dollars').fill('20.01');
  await page.getByRole('button', { name: 'Send $20.01 (total $26.96)' }).waitFor();
  await page.getByTestId('money-quote').getByText(/^Fee \$6\.95\./).waitFor();
  await page.getByRole('button', { name: 'Send $20.01 (total $26.96)' }).click();
  await page.getByText('Sent $20.01 to Alex Rivera. Fee $6.95; your balance is now $23.04.').waitFor();
  await page.getByTestId('money-history').getByText('$20.01 to Alex Rivera (31313-131)').waitFor();
  assert.equal((await apiClient(base, fam.token).get('/wallet')).body.balance_cents, 5000 - 2696);
  await shoot(page, 'money-sent');
  await noOverflow(page);
  await close([/Failed to load resource: the server responded with a status of 422/]);
});

test('the tablet shows the trust balance and the statement with its CSV, and the terminal-time notice, at 390 px', TIMEOUT, async () => {
  await addResident('42424-242', 'Rosa', 'Diaz', '135724');
  const fam = await fundedContact('Marta Diaz', 2000);
  // 5 cents: the first minute of terminal time is paid, and the next one cannot be.
  const sent = await paid(fam.token, '/money-transfers', { facility_id: federal.id, resident_number: '42424-242', resident_last_name: 'Diaz', amount_cents: 5 });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));

  const { page, close } = await newPage(browser, PHONE);
  await tabletSignIn(page, '42424-242', '135724');
  const notice = page.getByTestId('terminal-notice');
  await notice.getByText(/cannot pay for the next minute of terminal time \(\$0\.05 a minute\)/).waitFor();
  await page.getByTestId('trust-summary').getByText('See your statement').click();
  await page.waitForURL(`${base}/tablet/money`);
  await page.getByRole('heading', { name: 'Your trust account', level: 1 }).waitFor();
  await expectText(page.getByTestId('trust-balance'), /Balance\$0\.00On hold for messages not yet delivered and video visits still to come\$0\.00/);
  const statement = page.getByTestId('trust-statement');
  await statement.getByText('Money transfer from Marta Diaz to Rosa Diaz').waitFor();
  await statement.getByText('Terminal time, 1 min').waitFor();
  await expectText(statement, /received \$0\.05 · balance after \$0\.05/);
  await expectText(statement, /paid \$0\.05 · balance after \$0\.00/);
  // Without money for terminal time the tablet only says so; it keeps working.
  await notice.getByText(/cannot pay for terminal time|cannot pay for the next minute/).waitFor();

  const csv = page.getByRole('link', { name: 'Download the statement (CSV)' });
  const [download] = await Promise.all([page.waitForEvent('download'), csv.click()]);
  assert.equal(download.suggestedFilename(), 'kite-statement.csv');
  const rows = readFileSync(await download.path(), 'utf8').trim().split('\r\n');
  assert.equal(rows[0], 'date,kind,memo,amount_cents,balance_after_cents');
  assert.ok(rows.some((r) => /,transfer,"Money transfer from Marta Diaz to Rosa Diaz",5,5$/.test(r)), rows.join('\n'));
  await shoot(page, 'tablet-trust');
  await noOverflow(page);
  await page.getByRole('link', { name: 'Back to your home' }).click();
  await page.getByRole('heading', { level: 1, name: 'Hello, Rosa' }).waitFor();
  await close([/Failed to load resource: the server responded with a status of 402/]);
});

test('a long statement on the tablet shows older lines on request', TIMEOUT, async () => {
  await addResident('53535-353', 'Lee', 'Chan', '864209');
  const fam = await fundedContact('Kim Chan', 50000);
  for (let i = 1; i <= 51; i++) {
    const sent = await paid(fam.token, '/money-transfers', { facility_id: federal.id, resident_number: '53535-353', resident_last_name: 'Chan', amount_cents: i });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
  }
  const { page, close } = await newPage(browser, PHONE);
  await tabletSignIn(page, '53535-353', '864209');
  await page.goto(`${base}/tablet/money`);
  const lines = page.getByTestId('trust-statement').locator('li');
  await page.getByRole('button', { name: 'Show older lines' }).waitFor();
  await expectCount(lines, 50);
  await page.getByRole('button', { name: 'Show older lines' }).click();
  // The oldest line is the first transfer: 1 cent received, balance after 1 cent.
  await page.getByTestId('trust-statement').getByText(/received \$0\.01 · balance after \$0\.01$/).waitFor();
  assert.ok(await lines.count() >= 51);
  await expectCount(page.getByRole('button', { name: 'Show older lines' }), 0);
  await noOverflow(page);
  await close();
});
