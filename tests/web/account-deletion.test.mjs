// Browser test of a family member leaving Kite: on the account page, "Download your data" saves
// one JSON file with the account (and no password), then "Delete my account" asks for the word
// DELETE and the password, refuses a wrong word next to its field, deletes the account, and the
// person can no longer sign in.  axe-core on the page with the card.
//
// Run from the repository root:  node --test --test-reporter=tap tests/web/account-deletion.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHROMIUM, TIMEOUT, startServer, stopServer, launchBrowser, newPage, apiClient, uniqueEmail, signInForm,
  assertAccessible, PASSWORD,
} from './helpers.mjs';

let server;
let base;
let browser;
let tmp;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-deletion-'));
  const started = await startServer(tmp);
  server = started.child;
  base = started.url;
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('account page: download the data, then delete the account behind DELETE and the password', TIMEOUT, async () => {
  const email = uniqueEmail('leaving');
  const made = await apiClient(base).post('/accounts', { email, password: PASSWORD, full_name: 'Rosa Leaving', phone: '+1 555 010 3001' });
  assert.equal(made.status, 201);
  const { page, close } = await newPage(browser);
  await signInForm(page, base, email);
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
  await page.goto(`${base}/account`);
  const card = page.getByTestId('delete-account-card');
  await card.getByRole('heading', { name: 'Delete your account' }).waitFor();
  await assertAccessible(page, 'the account page with the delete card');

  const [download] = await Promise.all([page.waitForEvent('download'), card.getByTestId('export-data').click()]);
  const file = join(tmp, 'export.json');
  await download.saveAs(file);
  const text = readFileSync(file, 'utf8');
  const doc = JSON.parse(text);
  assert.equal(doc.account.email, email.toLowerCase());
  assert.ok(Array.isArray(doc.messages) && Array.isArray(doc.wallet.statement));
  assert.ok(!/argon2|password/i.test(text), 'no password in the file');

  await card.getByLabel('Type DELETE to confirm').fill('delete');
  await card.getByLabel('Current password').fill(PASSWORD);
  await card.getByRole('button', { name: 'Delete my account' }).click();
  await card.getByText('Type DELETE in capital letters.').waitFor();

  await card.getByLabel('Type DELETE to confirm').fill('DELETE');
  await card.getByRole('button', { name: 'Delete my account' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.getByText(/Your account is deleted/).waitFor();

  const again = await apiClient(base).post('/sessions', { email, password: PASSWORD });
  assert.equal(again.status, 401, 'the deleted account cannot sign in');
  await close();
});
