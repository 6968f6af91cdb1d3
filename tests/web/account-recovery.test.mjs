// Browser test of a forgotten password, as a family member goes through it: "Forgot your
// password?" on the sign-in page, the address, the mail (through a real SMTP sink), the link, a
// new password, signing in with it; the used link refused with a way to ask again.  axe-core on
// each page, and a screenshot of each at phone and desktop width.
//
// Run from the repository root:  node --test --test-reporter=tap tests/web/account-recovery.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHROMIUM, SHOTS, TIMEOUT, DESKTOP, PHONE, startServer, stopServer, launchBrowser, newPage, apiClient,
  uniqueEmail, signInForm, assertAccessible, expectText,
} from './helpers.mjs';
import { SmtpSink, parseMessage } from '../blackbox/lib/smtp-sink.mjs';

const PUBLIC_URL = 'http://kite.test';
const NEW_PASSWORD = 'a different river 2027';

let server;
let base;
let browser;
let tmp;
let sink;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-recovery-'));
  mkdirSync(SHOTS, { recursive: true });
  sink = new SmtpSink();
  await sink.start();
  const started = await startServer(tmp, {
    extra: ['--smtp', sink.url, '--public-url', PUBLIC_URL, '--mail-from', 'no-reply@kite.test'],
  });
  server = started.child;
  base = started.url;
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  if (sink) await sink.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function shoot(page, name) {
  for (const [width, size] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, `${name}: no horizontal scrolling on a phone`);
  await page.setViewportSize(DESKTOP);
}

/* The link of the newest reset mail to this address, pointed at the test's server. */
async function mailedLink(email) {
  const until = Date.now() + 20_000;
  for (;;) {
    const mails = sink.messagesTo(email).map((m) => parseMessage(m.data))
      .filter((m) => m.header('Subject') === 'Reset your Kite password');
    if (mails.length) {
      const m = /http:\/\/kite\.test(\/reset-password\?token=[0-9a-f]{64})/.exec(mails[mails.length - 1].text);
      assert.ok(m, 'the mail has the link');
      return `${base}${m[1]}`;
    }
    assert.ok(Date.now() < until, `no reset mail to ${email}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('forgot password: ask on the sign-in page, open the mailed link, choose a new one, sign in with it', TIMEOUT, async () => {
  const email = uniqueEmail('forgot');
  const made = await apiClient(base).post('/accounts', {
    email, password: 'a calm river 2026', full_name: 'Rosa Martínez', phone: '+1 555 010 3000',
  });
  assert.equal(made.status, 201);
  const { page, close } = await newPage(browser);

  await page.goto(`${base}/signin`);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.waitForURL(`${base}/forgot-password`);
  await assertAccessible(page, 'the forgot-password page');
  await shoot(page, 'forgot-password');
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Send me a link' }).click();
  const sent = page.locator('#reset-sent');
  await sent.waitFor();
  await expectText(sent, new RegExp(`If a Kite account uses ${email.replace(/[.+]/g, '\\$&')}, we sent it a link`));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'reset-sent', 'focus moves to the answer');
  await assertAccessible(page, 'the forgot-password page, answered');

  const link = await mailedLink(email);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await assertAccessible(page, 'the reset-password page');
  await shoot(page, 'reset-password');
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('New password again').fill(`${NEW_PASSWORD}x`);
  await page.getByRole('button', { name: 'Set my new password' }).click();
  assert.match(await page.locator('[aria-invalid="true"]').first().evaluate((el) => el.id || el.name), /again/);
  await page.getByLabel('New password again').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set my new password' }).click();
  await page.waitForURL(`${base}/signin`);
  assert.match(await page.textContent('body'), /Your password is changed/);

  await signInForm(page, base, email, NEW_PASSWORD);
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));

  // The same link again: refused, with a way to ask for a new one.
  const { page: again, close: closeAgain } = await newPage(browser);
  await again.goto(link);
  await again.getByLabel('New password', { exact: true }).fill('yet another river 2028');
  await again.getByLabel('New password again').fill('yet another river 2028');
  await again.getByRole('button', { name: 'Set my new password' }).click();
  await again.getByText(/expired or was already used/).waitFor();
  await again.getByRole('link', { name: 'Ask for a new link.' }).waitFor();
  await assertAccessible(again, 'the reset-password page with a spent link');
  await closeAgain([/status of 410 \(Gone\)/]); // the spent link's answer, shown in the page
  await close();
});

test('one session for every tab: an email link opened in a new tab is signed in; change password and sign out everywhere', TIMEOUT, async () => {
  const email = uniqueEmail('tabs');
  const made = await apiClient(base).post('/accounts', {
    email, password: 'a calm river 2026', full_name: 'Tomás Ruiz', phone: '+1 555 010 3001',
  });
  assert.equal(made.status, 201);
  const { page, context, close } = await newPage(browser);
  await signInForm(page, base, email, 'a calm river 2026');
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));

  // A second tab of the same browser, opened straight on a page, as a link from an email opens.
  const tab = await context.newPage();
  await tab.goto(`${base}/account`);
  await tab.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
  assert.doesNotMatch(await tab.textContent('body'), /You are not signed in/);
  await assertAccessible(tab, 'the account page with its password and devices section');
  await shoot(tab, 'account-security');

  // Change the password there: this tab stays signed in.
  const change = tab.getByRole('form', { name: 'Change your password' });
  await change.getByLabel('Current password').fill('a calm river 2026');
  await change.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await tab.getByRole('button', { name: 'Change password' }).click();
  await tab.locator('#password-changed').waitFor({ state: 'visible' });
  assert.match(await tab.textContent('#password-changed'), /Your password is changed/);

  // Sign out on every device: this tab lands on sign-in, and the first tab is signed out too.
  await tab.getByRole('button', { name: 'Sign out on every device' }).click();
  await tab.waitForURL(`${base}/signin`);
  assert.match(await tab.textContent('body'), /signed out on every device/);
  await page.goto(`${base}/account`);
  await page.getByRole('heading', { name: 'You are not signed in' }).waitFor();
  await tab.close();
  await close([/status of 401 \(Unauthorized\)/]); // the first tab's session, ended elsewhere
});
