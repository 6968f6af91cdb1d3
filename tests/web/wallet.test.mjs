// Browser test of the family's wallet at phone width (390 px): the balance, a top-up with the
// sandbox's test card (the price shown before paying, the test-card hint because the processor
// is a local sandbox), a declined card announced next to the form, and the statement with its
// CSV link.  A real kite server, a real `kite processor-sandbox` and a real Chromium.
//
// SECURITY: the card number must not stay in the form after a payment.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, TIMEOUT, PHONE, startServer, stopServer, launchBrowser, newPage, uniqueEmail, register,
  confirmEmail, expectText,
} from './helpers.mjs';

let server;
let sandbox;
let base;
let browser;
let tmp;

function startSandbox() {
  return new Promise((resolve, reject) => {
    const child = spawn(KITE_BIN, ['processor-sandbox', '--listen', '127.0.0.1:0', '--slow-ms', '2000'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
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

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-wallet-'));
  sandbox = await startSandbox();
  server = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  base = server.url;
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

test('a family member adds money with the test card and reads the statement, at 390 px', TIMEOUT, async () => {
  const fam = await newPage(browser, PHONE);
  const { page } = fam;
  const email = uniqueEmail('wallet');
  await register(page, base, { name: 'Wallet Owner', email });
  await page.waitForURL(`${base}/account`);
  await confirmEmail(join(tmp, 'kite.db'), email);
  await page.getByRole('link', { name: 'Your wallet' }).click();
  await page.waitForURL(`${base}/wallet`);
  await page.getByRole('heading', { name: 'Your wallet', level: 1 }).waitFor();
  await expectText(page.getByTestId('wallet-balance'), /Balance\$0\.00/);
  await page.getByText('No money has moved yet.').waitFor();
  await page.getByText('use test card 4242 4242 4242 4242').waitFor();

  // The price is shown before paying.
  await page.getByLabel('Amount in dollars').fill('12.50');
  await expectText(page.getByTestId('topup-summary'),
    'Your card will be charged $12.50, and $12.50 will be added to your balance.');
  await page.getByRole('button', { name: 'Pay $12.50' }).waitFor();

  // A declined card: announced, nothing added.
  await page.getByLabel('Card number').fill('4000 0000 0000 0002');
  await page.getByLabel('Expiry month (1–12)').fill('12');
  await page.getByLabel('Expiry year (4 digits)').fill(String(new Date().getUTCFullYear() + 2));
  await page.getByLabel('Security code (CVC)').fill('123');
  await page.getByRole('button', { name: 'Pay $12.50' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'declined this card' });
  await alert.waitFor();
  await expectText(alert, /nothing was charged/);
  await expectText(page.getByTestId('wallet-balance'), /Balance\$0\.00/);

  // The test card: added once, the statement shows it, the card number is gone from the form.
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByLabel('Security code (CVC)').fill('123');
  await page.getByRole('button', { name: 'Pay $12.50' }).click();
  await page.getByText('Added $12.50 with your visa card ending 4242.').waitFor();
  await page.getByTestId('wallet-statement').getByText('Card top-up (visa ending 4242)').waitFor();
  await page.getByTestId('wallet-balance').getByText('$12.50', { exact: true }).waitFor();
  await expectText(page.getByTestId('wallet-balance'), /Balance\$12\.50/);
  assert.equal(await page.getByLabel('Card number').inputValue(), '');
  assert.equal(await page.getByLabel('Security code (CVC)').inputValue(), '');

  const csv = page.getByRole('link', { name: 'Download the statement (CSV)' });
  assert.equal(await csv.getAttribute('href'), '/api/v1/wallet/transactions.csv');
  const [download] = await Promise.all([page.waitForEvent('download'), csv.click()]);
  assert.equal(download.suggestedFilename(), 'kite-statement.csv');
  const rows = readFileSync(await download.path(), 'utf8').split('\r\n');
  assert.equal(rows[0], 'date,kind,memo,amount_cents,balance_after_cents');
  assert.match(rows[1], /,top_up,"Card top-up \(visa ending 4242\)",1250,1250$/);

  // Nothing is wider than the phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
  await fam.close([/Failed to load resource: the server responded with a status of 402/]);
});
