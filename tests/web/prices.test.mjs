// Browser tests of a facility's prices at phone width (390 px): the public facility page shows
// them before anyone registers (messages, stamp bundles with their discount, transfer fees,
// phone and video per minute with the FCC cap); the facility's admin edits a price, sees a rate
// above the FCC cap refused next to its field, saves a new bundle price and sees it on the public
// page; the revenue report shows what was bought and offers its CSV.  Every page visited is
// checked with axe-core.  A real kite server, a real `kite processor-sandbox`, a real Chromium.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, PASSWORD, SHOTS, TIMEOUT, PHONE, startServer, stopServer, kiteCli, launchBrowser, newPage, apiClient,
  signedInClient, uniqueEmail, signInForm, assertAccessible, confirmEmail, expectText,
} from './helpers.mjs';

let server;
let sandbox;
let base;
let browser;
let tmp;
let operator;
let prison; // AVENAL STATE PRISON: jpay profile (stamps), FCC caps 11 and 25 cents a minute
let adminEmail;

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

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-prices-'));
  sandbox = await startSandbox();
  server = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  base = server.url;
  const email = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', join(tmp, 'kite.db'), '--role', 'operator', '--email', email, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  operator = await signedInClient(base, { email, password: PASSWORD });
  const found = await apiClient(base).get(`/facilities?q=${encodeURIComponent('avenal state prison')}`);
  prison = found.body.items.find((x) => x.name === 'AVENAL STATE PRISON');
  assert.ok(prison, 'the directory has AVENAL STATE PRISON');
  assert.equal((await operator.put(`/facilities/${prison.id}/policy`, { profile: 'jpay' })).status, 201);
  adminEmail = uniqueEmail('admin');
  const staff = await operator.post(`/facilities/${prison.id}/staff`,
    { email: adminEmail, full_name: 'Ada Admin', role: 'facility_admin', password: PASSWORD });
  assert.equal(staff.status, 201, JSON.stringify(staff.body));
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
});

/* The whole page at phone width, for a person to look at. */
function shoot(page, name) {
  return page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
}

after(async () => {
  if (browser) await browser.close();
  if (server) await stopServer(server.child);
  if (sandbox) {
    sandbox.child.removeAllListeners('exit');
    sandbox.child.kill('SIGTERM');
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the public facility page shows the prices before anyone registers, at 390 px', TIMEOUT, async () => {
  const visitor = await newPage(browser, PHONE);
  const { page } = visitor;
  await page.goto(`${base}/facilities/${prison.id}`);
  const prices = page.getByTestId('prices');
  await prices.getByRole('heading', { name: 'Prices at this facility' }).waitFor();
  await expectText(prices.getByTestId('message-prices'), /A message1 stamp for each page of up to 2,500 characters/);
  const bundles = prices.getByRole('table', { name: /Stamps come in bundles/ });
  await expectText(bundles.getByRole('row', { name: /^10 stamps/ }), /10 stamps\$3\.70\$0\.80/);
  await expectText(prices.getByTestId('transfer-fees'), /\$0\.01 to \$20\.00\$3\.50/);
  const calls = await prices.getByTestId('call-prices').textContent();
  assert.match(calls, /Phone calls11¢ a minute \(the FCC's limit here: 11¢\)/);
  assert.match(calls, /Video visits25¢ a minute, only for the minutes a visit is connected, where this facility publishes visit times \(the FCC's limit here: 25¢\)/);
  assert.match(calls, /Adding money to a phone accountNo fee/);
  await expectText(prices, /FCC 25-75/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'no horizontal scrolling on a phone');
  await assertAccessible(page, 'the facility page with its prices');
  await shoot(page, 'facility-prices');
  await visitor.close();
});

test('the facility admin edits prices, sees the FCC cap enforced at the field, and the family sees the new price', TIMEOUT, async () => {
  const admin = await newPage(browser, PHONE);
  const { page } = admin;
  await signInForm(page, base, adminEmail);
  await page.waitForURL((url) => url.pathname !== '/signin');
  await page.goto(`${base}/staff?tab=prices`);
  await page.getByRole('heading', { name: 'Prices', level: 2 }).waitFor();
  await assertAccessible(page, 'the staff prices tab');
  await expectText(page.getByTestId('prices-changed'), /default prices/);
  const phone = page.getByLabel('Phone calls, cents per minute');
  assert.equal(await phone.inputValue(), '11');

  // One cent above the cap: refused, and said next to the field.
  await phone.fill('12');
  await page.getByRole('button', { name: 'Save prices' }).click();
  const error = page.locator('#f-prices-audio_cents_per_minute-error');
  await error.waitFor();
  await expectText(error, /FCC cap of 11 cents per minute/);
  assert.equal(await phone.getAttribute('aria-invalid'), 'true');
  await assertAccessible(page, 'the prices form with an error');
  await shoot(page, 'staff-prices-error');

  // At the cap, with a cheaper bundle of 10 stamps: saved.
  await phone.fill('11');
  await page.getByLabel('Price in dollars, row 2').first().fill('3.25');
  await page.getByRole('button', { name: 'Save prices' }).click();
  await page.getByText('The prices are saved.').waitFor();
  await expectText(page.getByTestId('prices-changed'), /Last changed/);
  assert.equal(await page.getByLabel('Price in dollars, row 2').first().inputValue(), '3.25');
  await admin.close([/status of 422/]);

  // The family's view of the public page, and what a bundle now costs.
  const visitor = await newPage(browser, PHONE);
  await visitor.page.goto(`${base}/facilities/${prison.id}`);
  const row = visitor.page.getByTestId('prices').getByRole('row', { name: /^10 stamps/ });
  await row.waitFor();
  await expectText(row, /10 stamps\$3\.25\$1\.25/);
  await visitor.close();
  const list = await apiClient(base).get(`/facilities/${prison.id}/prices`);
  assert.equal(list.body.bundles.stamps.find((b) => b.count === 10).price_cents, 325);
});

test('the revenue report shows what was bought, with its CSV, at 390 px', TIMEOUT, async () => {
  // A family buys a bundle through the API with the sandbox's approved test card.
  const email = uniqueEmail('family');
  assert.equal((await apiClient(base).post('/accounts', { email, password: PASSWORD, full_name: 'Fay Family', phone: '+1 555 010 2000' })).status, 201);
  await confirmEmail(join(tmp, 'kite.db'), email); // paying needs a confirmed address
  const signedIn = await apiClient(base).post('/sessions', { email, password: PASSWORD });
  assert.equal(signedIn.status, 201);
  const fam = { token: signedIn.body.token };
  const card = { number: '4242 4242 4242 4242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' };
  const top = await fetch(`${base}/api/v1/wallet/top-ups`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `web-prices-${process.pid}-top-up`, Authorization: `Bearer ${fam.token}` },
    body: JSON.stringify({ amount_cents: 1000, card }),
  });
  const topText = await top.text();
  assert.equal(top.status, 201, topText);
  const bought = await fetch(`${base}/api/v1/wallet/bundles`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `web-prices-${process.pid}-bundle`, Authorization: `Bearer ${fam.token}` },
    body: JSON.stringify({ facility_id: prison.id, unit: 'stamps', count: 5 }),
  });
  const boughtText = await bought.text();
  assert.equal(bought.status, 201, boughtText);
  const price = JSON.parse(boughtText).price_cents;

  const admin = await newPage(browser, PHONE);
  const { page } = admin;
  await signInForm(page, base, adminEmail);
  await page.waitForURL((url) => url.pathname !== '/signin');
  await page.goto(`${base}/staff?tab=revenue`);
  const table = page.getByTestId('revenue-table');
  await table.waitFor();
  const dollars = `$${(price / 100).toFixed(2)}`;
  await expectText(table.getByRole('row', { name: /^Bundles sold/ }), new RegExp(`sold1\\$0\\.00\\${dollars}\\$0\\.00\\${dollars}`));
  await expectText(table.getByRole('row', { name: /^Total/ }), new RegExp(`\\${dollars}$`));
  await expectText(page.getByText(/^Stamps sold/), /Stamps sold: 5, spent: 0/);
  const href = await page.getByTestId('revenue-csv').getAttribute('href');
  assert.match(href, new RegExp(`^/api/v1/facilities/${prison.id}/revenue\\.csv\\?from=\\d{4}-\\d{2}-01&to=\\d{4}-\\d{2}-\\d{2}$`));
  const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href);
  assert.match(csv, new RegExp(`^purchase,1,0,${price},0,${price},5,0,0,0\\r$`, 'm'));
  await assertAccessible(page, 'the staff revenue tab');
  await shoot(page, 'staff-revenue');

  // A period that ends before it starts is refused next to its field.
  await page.getByLabel('From').fill('2026-03-02');
  await page.getByLabel('To (included)').fill('2026-03-01');
  await page.getByRole('button', { name: 'Show the report' }).click();
  await page.locator('#f-rev-to-error').waitFor();
  await expectText(page.locator('#f-rev-to-error'), /end on or after/);
  await admin.close([/status of 422/]);
});
