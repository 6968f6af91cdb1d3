// Accessibility of the main public and family pages at phone width (390 px), checked with
// axe-core against WCAG 2.0, 2.1 and 2.2 levels A and AA (helpers.mjs assertAccessible): home,
// search results, a facility on Kite (with its prices), sign-in, register (also with the errors
// of an empty form), and a signed-in family member's wallet.  A real kite server and Chromium.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PASSWORD, TIMEOUT, PHONE, startServer, stopServer, kiteCli, launchBrowser, newPage, apiClient, signedInClient,
  uniqueEmail, register, assertAccessible,
} from './helpers.mjs';

let server;
let base;
let browser;
let tmp;
let facility;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-a11y-'));
  server = await startServer(tmp);
  base = server.url;
  const email = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', join(tmp, 'kite.db'), '--role', 'operator', '--email', email, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  const operator = await signedInClient(base, { email, password: PASSWORD });
  const found = await apiClient(base).get(`/facilities?q=${encodeURIComponent('avenal state prison')}`);
  facility = found.body.items.find((x) => x.name === 'AVENAL STATE PRISON');
  assert.ok(facility, 'the directory has AVENAL STATE PRISON');
  assert.equal((await operator.put(`/facilities/${facility.id}/policy`, { profile: 'jpay' })).status, 201);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await stopServer(server.child);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the public pages have no accessibility violations at 390 px', TIMEOUT, async () => {
  const visitor = await newPage(browser, PHONE);
  const { page } = visitor;
  await page.goto(`${base}/`);
  await page.getByRole('searchbox').waitFor();
  await assertAccessible(page, 'the home page');

  await page.goto(`${base}/?q=${encodeURIComponent('avenal')}`);
  await page.getByRole('link', { name: /AVENAL STATE PRISON/ }).first().waitFor();
  await assertAccessible(page, 'the search results');

  await page.goto(`${base}/facilities/${facility.id}`);
  await page.getByTestId('prices').waitFor();
  await assertAccessible(page, 'a facility on Kite with its prices');

  await page.goto(`${base}/signin`);
  await page.getByLabel('Email address').waitFor();
  await assertAccessible(page, 'the sign-in page');

  await page.goto(`${base}/register`);
  await page.getByLabel('Full name').waitFor();
  await assertAccessible(page, 'the register page');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('.field-error:not([hidden])').first().waitFor();
  await assertAccessible(page, 'the register page showing its errors');
  await visitor.close();
});

test('a family member\'s wallet has no accessibility violations at 390 px', TIMEOUT, async () => {
  const fam = await newPage(browser, PHONE);
  const { page } = fam;
  await register(page, base, { name: 'Axe Family', email: uniqueEmail('a11y') });
  await page.waitForURL(`${base}/account`);
  await assertAccessible(page, 'the account page');
  await page.goto(`${base}/wallet`);
  await page.getByRole('heading', { name: 'Your wallet', level: 1 }).waitFor();
  await assertAccessible(page, 'the wallet');
  await fam.close();
});
