// Browser test of the family's prepaid phone account at phone width (390 px): from the wallet to
// the Phone page, open an account for a facility and a number, deposit (the page says there is
// no fee before the button), see the call the facility's phone system posted (date, minutes,
// cost, cut at balance), and refund the rest after a confirmation.  And the facility admin's
// API-key page: make a key (shown once), revoke it.  A real kite server, a real
// `kite processor-sandbox` and a real Chromium.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, PASSWORD, SHOTS, TIMEOUT, PHONE, startServer, stopServer, launchBrowser, newPage, uniqueEmail, register, kiteCli,
  apiClient, signedInClient, signInForm,
  confirmEmail, expectText,
} from './helpers.mjs';

let server;
let sandbox;
let base;
let browser;
let tmp;
let fed;
let apiKey;
let admin;
const RESIDENT = '12345-678';

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

/* A POST with headers, as the phone system or a script sends it. */
async function post(path, body, headers) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-phone-'));
  sandbox = await startSandbox();
  server = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  base = server.url;
  const operatorEmail = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', join(tmp, 'kite.db'), '--role', 'operator', '--email', operatorEmail, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  const op = await signedInClient(base, { email: operatorEmail, password: PASSWORD });
  const found = await apiClient(base).get(`/facilities?q=${encodeURIComponent('FCI ALICEVILLE')}&limit=10`);
  fed = found.body.items.find((f) => f.name === 'FCI ALICEVILLE').id;
  assert.ok([200, 201].includes((await op.put(`/facilities/${fed}/policy`, { profile: 'federal' })).status));
  assert.equal((await op.post(`/facilities/${fed}/residents`, { resident_number: RESIDENT, first_name: 'Sam', last_name: 'Reyes', pin: '482107' })).status, 201);
  admin = { email: uniqueEmail('admin'), password: PASSWORD };
  assert.equal((await op.post(`/facilities/${fed}/staff`, { ...admin, full_name: 'Ada Admin', role: 'facility_admin' })).status, 201);
  const k = await op.post(`/facilities/${fed}/api-keys`);
  assert.equal(k.status, 201);
  apiKey = k.body.key;
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

test('a family member opens a phone account, deposits without fee, sees a call and refunds, at 390 px', TIMEOUT, async () => {
  const email = uniqueEmail('phone');
  const fam = await newPage(browser, PHONE);
  const { page } = fam;
  await register(page, base, { name: 'Phone Owner', email });
  await page.waitForURL(`${base}/account`);
  await confirmEmail(join(tmp, 'kite.db'), email);
  // Money on the Kite balance first (the wallet page is tested on its own).
  const session = await apiClient(base).post('/sessions', { email, password: PASSWORD });
  const top = await post('/wallet/top-ups', {
    amount_cents: 2000, card: { number: '4242 4242 4242 4242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' },
  }, { Authorization: `Bearer ${session.body.token}`, 'Idempotency-Key': `web-phone-${process.pid}` });
  assert.equal(top.status, 201);

  await page.goto(`${base}/wallet`);
  await page.getByRole('link', { name: 'Prepaid phone accounts' }).click();
  await page.waitForURL(`${base}/phone`);
  await page.getByRole('heading', { name: 'Phone accounts', level: 1 }).waitFor();
  await page.getByText('You have no phone account yet.').waitFor();
  await expectText(page.getByTestId('phone-kite-balance'), /\$20\.00/);

  await page.getByLabel('Facility').fill('FCI ALICEVILLE');
  await page.getByRole('button', { name: /FCI ALICEVILLE/ }).click();
  await page.getByText('Facility: FCI ALICEVILLE').waitFor();
  await page.getByLabel('Phone number the person calls').fill('(415) 555-0142');
  await page.getByRole('button', { name: 'Open the phone account' }).click();
  const card = page.getByRole('region', { name: 'FCI ALICEVILLE · +14155550142' });
  await card.waitFor();
  await expectText(card.getByTestId('phone-balance'), /Phone balance\$0\.00/);
  await expectText(card.getByTestId('phone-balance'), /\$0\.11 per started minute/);

  // No fee, said before the button.
  await card.getByLabel('Deposit in dollars').fill('1.00');
  await expectText(card.getByTestId('phone-deposit-summary'),
    '$1.00 will leave your Kite balance and $1.00 will reach the phone account. No fee: the whole deposit goes to the phone account. The FCC forbids fees on phone deposits.');
  await card.getByRole('button', { name: 'Deposit $1.00' }).click();
  await page.getByText('Deposited $1.00, no fee. The phone balance is now $1.00.').waitFor();
  await expectText(page.getByTestId('phone-kite-balance'), /\$19\.00/);
  await expectText(card.getByTestId('phone-balance'), /Phone balance\$1\.00/);

  // The phone system posts two calls: 2 min 5 s (3 started minutes), then one cut at the balance.
  const call = (id, seconds) => post(`/facilities/${fed}/calls`, {
    call_id: id, phone_number: '+14155550142', resident_number: RESIDENT, started_at: '2026-11-30T14:05:00Z', duration_seconds: seconds,
  }, { Authorization: `Bearer ${apiKey}`, 'Idempotency-Key': id });
  assert.equal((await call(`web-${process.pid}-1`, 125)).status, 201);
  const cut = await call(`web-${process.pid}-2`, 600);
  assert.equal(cut.status, 201);
  assert.equal(cut.body.cut_at_balance, true);
  await page.reload();
  const calls = page.getByTestId('phone-calls');
  await calls.waitFor();
  await calls.getByText(/3 minutes · \$0\.33/).waitFor();
  await calls.getByText(/6 minutes · \$0\.66/).waitFor();
  await calls.getByText('Cut at balance: the call lasted 10 minutes; the balance paid for 6 minutes.').waitFor();
  const after = page.getByRole('region', { name: 'FCI ALICEVILLE · +14155550142' });
  await expectText(after.getByTestId('phone-balance'), /Phone balance\$0\.01/);

  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, 'phone-account-390.png'), fullPage: true });

  // Refund the rest, after a confirmation.
  await after.getByRole('button', { name: 'Refund $0.01 to my Kite balance' }).click();
  await after.getByText('Move the whole phone balance, $0.01, back to your Kite balance?').waitFor();
  await after.getByRole('button', { name: 'Yes, refund it' }).click();
  await page.getByText('Refunded $0.01 to your Kite balance, no fee.').waitFor();
  await expectText(page.getByRole('region', { name: 'FCI ALICEVILLE · +14155550142' }).getByTestId('phone-balance'),
    /Phone balance\$0\.00/);
  await expectText(page.getByTestId('phone-kite-balance'), /\$19\.01/);

  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
  await fam.close();
});

test('the facility admin makes an API key, sees it once, and revokes it', TIMEOUT, async () => {
  const staff = await newPage(browser, PHONE);
  const { page } = staff;
  await signInForm(page, base, admin.email, admin.password);
  await page.waitForURL(/\/staff/);
  await page.getByRole('link', { name: 'Phone system API keys' }).click();
  await page.waitForURL(/\/staff\/phone-keys\?facility=/);
  await page.getByRole('heading', { name: 'Phone system API keys', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Make a new key' }).click();
  const secret = await page.getByTestId('phone-key-secret').textContent();
  assert.match(secret, /^kite_[0-9a-f]{64}$/);
  const row = page.getByTestId('phone-keys').locator('li', { hasText: secret.slice(0, 13) });
  await row.getByText('never used').waitFor();
  await row.getByRole('button', { name: 'Revoke' }).click();
  await row.getByRole('button', { name: 'Yes, revoke it' }).click();
  await page.getByTestId('phone-keys').locator('li', { hasText: secret.slice(0, 13) }).getByText(/revoked/).waitFor();
  const refused = await post(`/facilities/${fed}/calls`, {
    call_id: 'after-revoke', phone_number: '+14155550142', resident_number: RESIDENT, started_at: '2026-11-30T14:05:00Z', duration_seconds: 60,
  }, { Authorization: `Bearer ${secret}`, 'Idempotency-Key': 'after-revoke' });
  assert.equal(refused.status, 401);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
  await staff.close();
});
