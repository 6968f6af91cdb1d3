// Staff security in the browser (issue 13, item 4): a new facility administrator signs in, is sent
// to set up two-factor sign-in, types the key's code (computed here as an authenticator app would),
// sees the recovery codes once, and reaches the staff pages; signing in again asks for the code (a
// wrong one is refused in place, the right one signs in; a recovery code works too); the staff-
// activity page lists what the facility's staff did.  In English and in Spanish, axe-core on each
// page, nothing sideways at 360 px.  A real kite server and Chromium.
//
// Run from the repository root:  node --test tests/web/staff-security.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, CHROMIUM, PASSWORD, SHOTS, TIMEOUT, startServer, stopServer, kiteCli, launchBrowser, newPage,
  apiClient, signedInClient, uniqueEmail, assertAccessible, nextTotp, hasTotp, expectText, expectCount,
} from './helpers.mjs';

const NARROW = { width: 360, height: 740 };
const DESK = { width: 1280, height: 900 };
const ES = { locale: 'es-US', chosen: 'es' };

let server;
let base;
let browser;
let tmp;
let prison;
let adminEmail;
let reviewerEmail;
let recovery = [];

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}: build it (ninja -C build) or set KITE_BIN`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-staff-security-'));
  mkdirSync(SHOTS, { recursive: true });
  const started = await startServer(tmp);
  server = started.child;
  base = started.url;
  const operatorEmail = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', join(tmp, 'kite.db'), '--role', 'operator', '--email', operatorEmail, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  const operator = await signedInClient(base, { email: operatorEmail, password: PASSWORD });
  prison = (await apiClient(base).get(`/facilities?q=${encodeURIComponent('avenal state prison')}`)).body.items
    .find((x) => x.name === 'AVENAL STATE PRISON');
  assert.ok(prison);
  assert.equal((await operator.put(`/facilities/${prison.id}/policy`, { profile: 'jpay' })).status, 201);
  adminEmail = uniqueEmail('admin');
  reviewerEmail = uniqueEmail('reviewer');
  for (const [email, name, role] of [[adminEmail, 'Ada Admin', 'facility_admin'], [reviewerEmail, 'Ray Reviewer', 'reviewer']]) {
    const made = await operator.post(`/facilities/${prison.id}/staff`, { email, full_name: name, role, password: PASSWORD });
    assert.equal(made.status, 201, JSON.stringify(made.body));
  }
  // The reviewer works a little (through the API, enrolling there), for the activity page to show.
  const reviewer = await signedInClient(base, { email: reviewerEmail, password: PASSWORD });
  assert.equal((await reviewer.get(`/review/queue?facility_id=${prison.id}`)).status, 200);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/* axe-core at a desktop and at 360 px, nothing sideways there, a screenshot of each. */
async function check(page, what) {
  await page.setViewportSize(DESK);
  await assertAccessible(page, what);
  await page.screenshot({ path: join(SHOTS, `staff-security-${what.replace(/\W+/g, '-')}-desktop.png`), fullPage: true });
  await page.setViewportSize(NARROW);
  await assertAccessible(page, `${what} at 360 px`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, `${what}: scrolls sideways at 360 px`);
  await page.screenshot({ path: join(SHOTS, `staff-security-${what.replace(/\W+/g, '-')}-360.png`), fullPage: true });
  await page.setViewportSize(DESK);
}

async function submitSignIn(page, email, password = PASSWORD) {
  await page.goto(`${base}/signin`);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form button[type=submit]').click();
}

test('a new staff member sets up two-factor sign-in at the first sign-in, then signs in with a code', TIMEOUT, async () => {
  const { page, close } = await newPage(browser, DESK);
  await submitSignIn(page, adminEmail);
  await page.waitForURL((u) => u.pathname === '/two-factor');
  await page.getByRole('heading', { level: 1, name: 'Set up two-factor sign-in' }).waitFor();
  await check(page, 'two-factor-start');
  // Any other staff page sends the account back here.
  await page.goto(`${base}/staff`);
  await page.waitForURL((u) => u.pathname === '/two-factor');
  await page.getByRole('button', { name: 'Set it up now' }).click();
  const shown = page.getByTestId('totp-secret');
  await shown.waitFor();
  const secret = (await shown.textContent()).replace(/\s+/g, '');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.match(await page.getByRole('link', { name: 'Add Kite to my authenticator app' }).getAttribute('href'),
    new RegExp(`^otpauth://totp/Kite:.*secret=${secret}&issuer=Kite`));
  await check(page, 'two-factor-key');
  await page.getByLabel('Code from the app').fill('12345');
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  await page.getByText('Enter the 6 digits your authenticator app shows.').waitFor();
  const { rememberTotp } = await import('./helpers.mjs');
  rememberTotp(adminEmail, secret);
  await page.getByLabel('Code from the app').fill(await nextTotp(base, adminEmail));
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your recovery codes' }).waitFor();
  recovery = await page.getByTestId('recovery-codes').locator('code').allTextContents();
  assert.equal(recovery.length, 10);
  await check(page, 'two-factor-recovery-codes');
  await page.getByRole('link', { name: 'I have saved them, continue' }).click();
  await page.waitForURL(`${base}/staff`);
  await page.getByRole('heading', { level: 1, name: prison.name }).waitFor();

  // Signed out and in again: the password, then the code the page asks for.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await submitSignIn(page, adminEmail);
  const code = page.getByLabel('Two-factor code');
  await code.waitFor();
  await check(page, 'signin-code');
  await code.fill('12a456'); // never a code
  await page.locator('form button[type=submit]').click();
  await page.getByText('That code is not right, or it was already used.', { exact: false }).waitFor();
  await code.fill(await nextTotp(base, adminEmail));
  await page.locator('form button[type=submit]').click();
  await page.waitForURL(`${base}/staff`);

  // A recovery code instead of the app's.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await submitSignIn(page, adminEmail);
  await page.getByLabel('Two-factor code').waitFor();
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill(recovery[0]);
  await page.locator('form button[type=submit]').click();
  await page.waitForURL(`${base}/staff`);
  // Expected refusals: the staff page asked before two-factor was set up (403), the wrong code (401).
  await close([/status of 403/, /status of 401/]);
});

test('the staff-activity page lists who did what, in English and in Spanish', TIMEOUT, async () => {
  assert.ok(hasTotp(adminEmail), 'the first test enrolled the admin');
  const { page, close } = await newPage(browser, DESK);
  await submitSignIn(page, adminEmail);
  await page.getByLabel('Two-factor code').fill(await nextTotp(base, adminEmail));
  await page.locator('form button[type=submit]').click();
  await page.waitForURL(`${base}/staff`);
  await page.getByRole('link', { name: 'Staff activity' }).click();
  await page.getByRole('heading', { level: 1, name: 'Staff activity' }).waitFor();
  const table = page.getByTestId('staff-activity');
  await table.waitFor();
  const text = await table.textContent();
  assert.match(text, /Ray Reviewer/);
  assert.match(text, /two_factor\.enable/);
  assert.match(text, /Ada Admin/);
  assert.equal(await page.getByTestId('activity-csv').getAttribute('href'), `/api/v1/facilities/${prison.id}/staff-activity.csv`);
  await check(page, 'staff-activity');
  // A day long past: nothing.
  await page.goto(`${base}/staff/activity?to=2020-01-01`);
  await page.getByText('No staff activity in this time.').waitFor();
  await close();

  const es = await newPage(browser, DESK, ES);
  await submitSignIn(es.page, adminEmail);
  await es.page.getByLabel('Código de verificación en dos pasos').fill(await nextTotp(base, adminEmail));
  await es.page.locator('form button[type=submit]').click();
  await es.page.waitForURL(`${base}/staff`);
  await es.page.goto(`${base}/staff/activity`);
  await es.page.getByRole('heading', { level: 1, name: 'Actividad del personal' }).waitFor();
  await es.page.getByTestId('staff-activity').waitFor();
  assert.equal(await es.page.locator('html').getAttribute('lang'), 'es');
  await check(es.page, 'staff-activity-es');
  await es.page.goto(`${base}/two-factor`);
  await es.page.getByRole('heading', { level: 1, name: 'Inicio de sesión en dos pasos' }).waitFor();
  assert.match(await es.page.textContent('main'), /Le quedan 9 códigos de recuperación sin usar/);
  await check(es.page, 'two-factor-es');
  await es.close();
});

test('a staff page left alone warns before 30 minutes and then returns to the sign-in page', TIMEOUT, async () => {
  // English on this device (the Spanish test above saved Spanish on the account).
  const { page, close } = await newPage(browser, DESK, { chosen: 'en' });
  await page.clock.install(); // the page's own clock, so half an hour passes at once
  await submitSignIn(page, adminEmail);
  await page.getByLabel('Two-factor code').fill(await nextTotp(base, adminEmail));
  await page.locator('form button[type=submit]').click();
  await page.waitForURL(`${base}/staff`);
  await page.getByRole('heading', { level: 1, name: prison.name }).waitFor();
  await page.clock.fastForward('27:00');
  await expectCount(page.getByRole('alertdialog'), 0, 'no warning at 27 minutes');
  await page.clock.fastForward('01:30');
  const warning = page.getByRole('alertdialog');
  await warning.waitFor();
  await expectText(warning, /Kite signs staff out after 30 minutes without activity/);
  await assertAccessible(page, 'the idle warning');
  // Staying keeps the session; then half an hour without a touch signs out.
  await page.getByRole('button', { name: 'Stay signed in' }).click();
  await warning.waitFor({ state: 'detached' });
  await page.clock.fastForward('30:05');
  await page.waitForURL((u) => u.pathname === '/signin' && u.searchParams.get('signed_out') === 'idle');
  await page.getByText('You were signed out after 30 minutes without activity. Sign in again to continue.').waitFor();
  await assertAccessible(page, 'the sign-in page after an idle sign-out');
  // Half an hour passing at once fires the page's other timers too: one may ask after the sign-out (401).
  await close([/status of 401 \(Unauthorized\)/]);
});
