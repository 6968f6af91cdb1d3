// The shared tablet signs itself out: after the facility's idle time (policy tablet_idle_minutes,
// here 2) a countdown for the last minute with "I am still here"; pressing it keeps the resident
// signed in; left alone, the tablet signs out and shows the sign-in page, with nothing of the
// resident left in the page, the tab's storage or the session.  Time is moved with Playwright's
// clock, not waited for.
//
// Run from the repository root:  node --test --test-reporter=tap tests/web/tablet-idle.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHROMIUM, SHOTS, PASSWORD, TIMEOUT, startServer, stopServer, kiteCli, launchBrowser, newPage, apiClient,
  signedInClient, assertAccessible, expectText, expectCount,
} from './helpers.mjs';

const OPERATOR = 'idle-op@example.org';

let server;
let base;
let browser;
let tmp;
let facility;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-idle-'));
  mkdirSync(SHOTS, { recursive: true });
  const started = await startServer(tmp);
  server = started.child;
  base = started.url;
  await kiteCli(['user', 'add', '--db', join(tmp, 'kite.db'), '--role', 'operator', '--email', OPERATOR, '--name', 'Ida Operator'],
    `${PASSWORD}\n`);
  browser = await launchBrowser();
  const operator = await signedInClient(base, { email: OPERATOR, password: PASSWORD });
  facility = (await apiClient(base).get(`/facilities?q=${encodeURIComponent('coleman county jail')}`)).body.items
    .find((f) => f.name === 'COLEMAN COUNTY JAIL');
  assert.ok(facility);
  const put = await operator.put(`/facilities/${facility.id}/policy`, { profile: 'jpay', tablet_idle_minutes: 2 });
  assert.ok([200, 201].includes(put.status), JSON.stringify(put.body));
  const added = await operator.post(`/facilities/${facility.id}/residents`,
    { resident_number: 'T2001', first_name: 'Rosa', last_name: 'Vega', pin: '731904' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the tablet warns in the last minute, stays when asked, and signs out by itself after the idle time', TIMEOUT, async () => {
  const { page, close } = await newPage(browser);
  await page.clock.install();
  await page.goto(`${base}/tablet`);
  await page.getByLabel('Your facility').fill('coleman county jail');
  await page.locator(`.picker-option[data-id="${facility.id}"]`).click();
  await page.getByLabel('Your resident number').fill('T2001');
  await page.getByLabel('Your PIN').fill('731904');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Hello, Rosa' }).waitFor();
  await page.waitForLoadState('networkidle');

  // A minute untouched: nothing yet.  Past one minute: the countdown, and "I am still here" keeps the session.
  await page.clock.runFor(55_000);
  await expectCount(page.locator('.idle-banner'), 0);
  await page.clock.runFor(10_000);
  const banner = page.getByRole('alertdialog', { name: 'Are you still there?' });
  await banner.waitFor();
  await expectText(page.getByTestId('idle-countdown'), /^0:5\d$/);
  await assertAccessible(page, 'the tablet with its idle countdown');
  await page.screenshot({ path: join(SHOTS, 'tablet-idle-countdown.png') });
  await page.getByRole('button', { name: 'I am still here' }).click();
  await expectCount(page.locator('.idle-banner'), 0);
  await page.clock.runFor(90_000);
  await expectCount(page.locator('.idle-banner'), 1, 'the countdown again after another idle minute and a half');
  await expectCount(page.getByRole('heading', { level: 1, name: 'Hello, Rosa' }), 1, 'still signed in');

  // Left alone: signed out, the sign-in page says why, and nothing of Rosa is left.
  await page.clock.runFor(40_000);
  await page.waitForURL(`${base}/tablet?signed_out=idle&minutes=2`);
  await page.getByTestId('idle-signed-out').waitFor();
  await expectText(page.getByTestId('idle-signed-out'), /not used for 2 minutes, so it signed out/);
  assert.doesNotMatch(await page.textContent('body'), /Rosa/);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'nothing in the tab storage');
  const session = await page.evaluate(async () => (await (await fetch('/api/v1/sessions/current')).json()).account);
  assert.equal(session, null, 'the session ended on the server');
  await assertAccessible(page, 'the tablet sign-in after an idle sign-out');
  // The device keeps only its own facility and nothing of Rosa; Back brings none of her pages again.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
  assert.doesNotMatch(stored, /Rosa|T2001|731904/, `the device storage keeps nothing of Rosa: ${stored}`);
  await page.goBack().catch(() => null);
  await page.waitForLoadState('networkidle');
  assert.doesNotMatch(await page.textContent('body'), /Rosa/, 'Back shows nothing of Rosa');
  await page.goForward().catch(() => null);
  await page.waitForLoadState('networkidle');
  assert.doesNotMatch(await page.textContent('body'), /Rosa/, 'nor does Forward');
  await close();
});
