// Browser test of a family's whole money journey, at phone width (390 px), against a real kite
// server, a real `kite processor-sandbox` and a real Chromium: register, add money with the
// sandbox's test card, have a message refused for want of stamps and follow its link to the
// wallet, buy stamps for a jpay facility, see a message's price before sending it,
// send it, see it held; the facility rejects it and the family sees "You were not charged" and the
// stamp back; send money to the resident with the fee shown first; open a phone account and
// deposit without a fee; the statement lists every line and the CSV downloads.  Then the
// resident's tablet shows the transfer in the trust statement, and, at a facility that sells
// messages by subscription, a refused message leads to the wallet, the subscription is bought
// there with its price shown first (one beyond the balance refused and nothing taken; one whose
// answer is lost bought once, the retry carrying the same Idempotency-Key), and the next
// message's text costs nothing.  axe-core checks every page visited.
//
// SECURITY: money.  Every amount asserted here is read back from the server (the wallet, the
// statement, the quote), so a page that shows one price and charges another fails.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SHOTS, PASSWORD, TIMEOUT, PHONE, startServer, stopServer, kiteCli, launchBrowser, newPage, apiClient,
  signedInClient, uniqueEmail, register, startSandbox, stopSandbox, fundResident, assertAccessible,
  confirmEmail, expectText, expectCount,
} from './helpers.mjs';

const TABLET = { width: 800, height: 1280 };
const OPERATOR = 'op.journey@example.org';
const JAIL = 'COLEMAN COUNTY JAIL'; // jpay profile: stamps, reviewed messages
const PRISON = 'CALIFORNIA STATE PRISON, CORCORAN (COR)'; // messages by subscription
const RAY = { number: 'J7701', first: 'Ray', last: 'Moss', pin: '246813' };
const SUE = { number: 'S7702', first: 'Sue', last: 'Hart', pin: '135724' };
const SUBSCRIPTION_CENTS = 499;

let server;
let sandbox;
let base;
let browser;
let tmp;
let operator;
let jail;
let prison;
let journey; // what the first test leaves for the second: { name, contactId }

const cardYear = () => String(new Date().getUTCFullYear() + 2);
let keys = 0;
const key = (what) => ({ 'Idempotency-Key': `web-journey-${what}-${process.pid}-${++keys}` });

async function facilityNamed(name) {
  const found = await apiClient(base).get(`/facilities?q=${encodeURIComponent(name)}`);
  const f = found.body.items.find((x) => x.name === name);
  assert.ok(f, `the directory has ${name}`);
  return f;
}

/* The family member asks for the resident by number and the resident approves: the contact's id. */
async function connect(client, facility, r) {
  const asked = await client.post('/contact-requests', { facility_id: facility.id, resident_number: r.number });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  const resident = await signedInClient(base, { facility_id: facility.id, resident_number: r.number, pin: r.pin });
  const pending = (await resident.get('/contact-requests')).body.items.find((q) => q.status === 'pending');
  assert.equal((await resident.post(`/contact-requests/${pending.id}/approve`)).status, 200);
  return (await client.get('/contacts')).body.items.find((c) => c.facility.id === facility.id).id;
}

/* The page as it is now, for a person to look at (KITE_SHOTS). */
async function shoot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `journey-${name}.png`), fullPage: true });
}

async function noOverflow(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what}: the page is ${overflow} px wider than the screen`);
}

const stampsHeld = (w, facilityId) => (w.bundles.find((b) => b.facility_id === facilityId && b.unit === 'stamps') || { balance: 0 }).balance;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-journey-'));
  sandbox = await startSandbox();
  server = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  base = server.url;
  await kiteCli(['user', 'add', '--db', join(tmp, 'kite.db'), '--role', 'operator', '--email', OPERATOR, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  operator = await signedInClient(base, { email: OPERATOR, password: PASSWORD });
  jail = await facilityNamed(JAIL);
  const jp = await operator.put(`/facilities/${jail.id}/policy`, { profile: 'jpay', review: 'all' });
  assert.ok([200, 201].includes(jp.status), JSON.stringify(jp.body));
  const ray = await operator.post(`/facilities/${jail.id}/residents`,
    { resident_number: RAY.number, first_name: RAY.first, last_name: RAY.last, pin: RAY.pin });
  assert.equal(ray.status, 201, JSON.stringify(ray.body));
  await fundResident(operator, ray.body.id);

  prison = await facilityNamed(PRISON);
  const sp = await operator.put(`/facilities/${prison.id}/policy`, { profile: 'jpay', pricing: 'subscription', review: 'all' });
  assert.ok([200, 201].includes(sp.status), JSON.stringify(sp.body));
  const priced = await operator.put(`/facilities/${prison.id}/prices`, { subscription_cents_per_month: SUBSCRIPTION_CENTS });
  assert.equal(priced.status, 200, JSON.stringify(priced.body));
  const sue = await operator.post(`/facilities/${prison.id}/residents`,
    { resident_number: SUE.number, first_name: SUE.first, last_name: SUE.last, pin: SUE.pin });
  assert.equal(sue.status, 201, JSON.stringify(sue.body));
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await stopServer(server.child);
  stopSandbox(sandbox);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('one family member through the whole money journey, at 390 px', TIMEOUT, async () => {
  const email = uniqueEmail('journey');
  const name = 'Nina Moss';
  const fam = await newPage(browser, PHONE);
  const { page } = fam;

  // Register; the contact with Ray is made through the API (the contact pages have their own tests).
  await register(page, base, { name, email });
  await page.waitForURL(`${base}/account`);
  await confirmEmail(join(tmp, 'kite.db'), email);
  await assertAccessible(page, 'the account page');
  const client = await signedInClient(base, { email, password: PASSWORD });
  const contactId = await connect(client, jail, RAY);
  journey = { name, contactId };

  // Top up $50 with the sandbox's test card.
  await page.getByRole('link', { name: 'Your wallet' }).click();
  await page.waitForURL(`${base}/wallet`);
  await page.getByRole('heading', { name: 'Your wallet', level: 1 }).waitFor();
  const plan = page.getByTestId(`plan-${jail.id}`);
  await plan.waitFor();
  await assertAccessible(page, 'the empty wallet');
  await page.getByLabel('Amount in dollars').fill('50.00');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByLabel('Expiry month (1–12)').fill('12');
  await page.getByLabel('Expiry year (4 digits)').fill(cardYear());
  await page.getByLabel('Security code (CVC)').fill('123');
  await page.getByRole('button', { name: 'Pay $50.00' }).click();
  await page.getByText('Added $50.00 with your visa card ending 4242.').waitFor();
  // The result is written before the wallet is read again: wait for the new balance.
  await page.getByTestId('wallet-balance').getByText('$50.00', { exact: true }).waitFor();
  await expectText(page.getByTestId('wallet-balance'), /Balance\$50\.00/);

  // Without stamps a message is refused, and the refusal leads to this facility in the wallet.
  await page.goto(`${base}/messages?contact=${contactId}`);
  await page.getByRole('heading', { level: 1, name: 'Messages with Ray Moss' }).waitFor();
  await page.getByLabel('Your message').fill('Hi Ray, the stamps arrived. Write soon.');
  await page.getByTestId('price-quote').getByText('This message costs 1 stamp and you have 0 stamps. Buy stamps in your wallet before sending.').waitFor();
  await page.getByRole('button', { name: 'Send message' }).click();
  const refused = page.getByRole('alert').filter({ hasText: 'Buy stamps in your wallet, then send again.' });
  await refused.getByRole('link', { name: 'Open your wallet' }).click();
  await page.waitForURL(`${base}/wallet?facility=${jail.id}`);
  await plan.waitFor();
  assert.deepEqual((await client.get('/messages?box=sent')).body.items, [], 'nothing was sent');

  // Stamps for the jpay facility: the bundle's price is on the page and the button before paying.
  const prices = (await apiClient(base).get(`/facilities/${jail.id}/prices`)).body;
  assert.equal(prices.schedule.model, 'stamps');
  const bundle = prices.bundles.stamps[0];
  const dollars = (c) => `$${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
  await expectText(plan, /Your stamps here0 stamps/);
  await expectText(plan.getByTestId(`bundle-${jail.id}-summary`),
    `${dollars(bundle.price_cents)} will be taken from your balance of $50.00.`);
  await plan.getByRole('radio', { name: new RegExp(`^${bundle.count} stamps for \\${dollars(bundle.price_cents)}`) }).check();
  await plan.getByRole('button', { name: `Pay ${dollars(bundle.price_cents)}` }).click();
  await plan.getByText(`Bought ${bundle.count} stamps for ${dollars(bundle.price_cents)}. You now have ${bundle.count} stamps here.`).waitFor();
  await plan.getByText(`Your stamps here${bundle.count} stamps`).waitFor();
  const afterBundle = 5000 - bundle.price_cents;
  await page.getByTestId('wallet-balance').getByText(dollars(afterBundle), { exact: true }).waitFor();
  let w = (await client.get('/wallet')).body;
  assert.deepEqual([w.balance_cents, stampsHeld(w, jail.id)], [afterBundle, bundle.count]);
  await assertAccessible(page, 'the wallet with stamps');
  await shoot(page, 'wallet-stamps-390');

  // A message: its price before sending, then held while the facility reviews it.
  await page.goto(`${base}/messages?contact=${contactId}`);
  await page.getByRole('heading', { level: 1, name: 'Messages with Ray Moss' }).waitFor();
  await page.getByLabel('Your message').fill('Hi Ray, the stamps arrived. Write soon.');
  await page.getByTestId('price-quote').getByText(`This message costs 1 stamp. You have ${bundle.count} stamps. It is only charged if it is delivered.`).waitFor();
  await assertAccessible(page, 'compose with the price');
  await shoot(page, 'compose-price-390');
  await page.getByRole('button', { name: 'Send message' }).click();
  await page.getByText('Sent. Ray Moss gets it after the facility reviews it.').waitFor();
  const sent = (await client.get('/messages?box=sent')).body.items[0];
  const mine = page.locator(`[data-testid=thread] li[data-message-id="${sent.id}"]`);
  await mine.getByText('1 stamp is held until it is delivered; if it is not, you get it back.').waitFor();
  w = (await client.get('/wallet')).body;
  assert.equal(stampsHeld(w, jail.id), bundle.count - 1, 'the stamp is held');

  // The facility rejects it: live, "You were not charged", and the stamp is back.
  const rejected = await operator.post(`/review/${sent.id}`, { decision: 'reject', reason: 'other', note: 'Please call the mail room about this one.' });
  assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
  await page.locator(`[data-testid=thread] li[data-message-id="${sent.id}"][data-status=rejected]`).waitFor();
  await expectText(mine, /Note from the facility: Please call the mail room about this one\./);
  await expectText(mine, /You were not charged/);
  await expectText(mine.getByTestId('msg-price'), /^1 stamp was held .* and given back /);
  await assertAccessible(page, 'a rejected message');
  await shoot(page, 'rejected-390');
  await page.goto(`${base}/wallet`);
  await page.getByTestId(`plan-${jail.id}`).getByText(`Your stamps here${bundle.count} stamps`).waitFor();
  w = (await client.get('/wallet')).body;
  assert.deepEqual([w.balance_cents, w.held_cents, stampsHeld(w, jail.id)], [afterBundle, 0, bundle.count], 'the stamp is back');
  await expectText(page.getByTestId('wallet-balance'), new RegExp(`Balance\\${dollars(afterBundle)}`));

  // Money to Ray: the fee and the total before paying.
  await page.getByTestId('send-money-link').click();
  await page.waitForURL(`${base}/money`);
  await page.getByLabel('Their facility').fill('coleman county jail');
  await page.locator(`.picker-option[data-id="${jail.id}"]`).click();
  await page.getByTestId('money-facility').waitFor();
  await page.getByLabel('Their resident number').fill(RAY.number);
  await page.getByLabel('Their last name').fill(RAY.last);
  await page.getByLabel('Amount in dollars').fill('20.00');
  const q = await client.post('/money-transfers/quote', { facility_id: jail.id, resident_number: RAY.number, amount_cents: 2000 });
  assert.equal(q.status, 200, JSON.stringify(q.body));
  const fee = q.body.fee_cents;
  const total = 2000 + fee;
  await page.getByTestId('money-quote').getByText(new RegExp(`^Fee \\${dollars(fee)}\\. Your balance pays \\${dollars(total)}`)).waitFor();
  await assertAccessible(page, 'send money with the fee');
  await shoot(page, 'money-fee-390');
  await page.getByRole('button', { name: `Send $20.00 (total ${dollars(total)})` }).click();
  const afterTransfer = afterBundle - total;
  await page.getByText(`Sent $20.00 to Ray Moss. Fee ${dollars(fee)}; your balance is now ${dollars(afterTransfer)}.`).waitFor();
  assert.equal((await client.get('/wallet')).body.balance_cents, afterTransfer);

  // A phone account and a deposit: no fee.
  await page.goto(`${base}/phone`);
  await page.getByRole('heading', { name: 'Phone accounts', level: 1 }).waitFor();
  await page.getByLabel('Facility').fill(JAIL);
  await page.getByRole('button', { name: new RegExp(JAIL) }).click();
  await page.getByText(`Facility: ${JAIL}`).waitFor();
  await page.getByLabel('Phone number the person calls').fill('(415) 555-0177');
  await page.getByRole('button', { name: 'Open the phone account' }).click();
  const account = page.getByRole('region', { name: `${JAIL} · +14155550177` });
  await account.waitFor();
  await account.getByLabel('Deposit in dollars').fill('5.00');
  await expectText(account.getByTestId('phone-deposit-summary'), /^\$5\.00 will leave your Kite balance and \$5\.00 will reach the phone account\. No fee/);
  await assertAccessible(page, 'the phone account');
  await shoot(page, 'phone-390');
  await account.getByRole('button', { name: 'Deposit $5.00' }).click();
  await page.getByText('Deposited $5.00, no fee. The phone balance is now $5.00.').waitFor();
  const afterPhone = afterTransfer - 500;
  assert.equal((await client.get('/wallet')).body.balance_cents, afterPhone);

  // The statement lists every line the server has, and the CSV holds the same lines.
  await page.goto(`${base}/wallet`);
  const statement = page.getByTestId('wallet-statement');
  await statement.locator('li').first().waitFor();
  const lines = (await client.get('/wallet/transactions?limit=50')).body.items;
  assert.ok(lines.length >= 4, `top-up, stamps, transfer and deposit at least: ${JSON.stringify(lines)}`);
  await expectCount(statement.locator('li'), lines.length);
  for (const l of lines) await statement.getByText(l.memo || l.kind, { exact: true }).first().waitFor();
  assert.equal(lines[0].balance_after_cents, afterPhone);
  await expectText(page.getByTestId('wallet-balance'), new RegExp(`Balance\\${dollars(afterPhone)}`));
  await assertAccessible(page, 'the wallet statement');
  await shoot(page, 'wallet-statement-390');
  const csv = page.getByRole('link', { name: 'Download the statement (CSV)' });
  const [download] = await Promise.all([page.waitForEvent('download'), csv.click()]);
  const rows = readFileSync(await download.path(), 'utf8').trim().split('\r\n');
  assert.equal(rows[0], 'date,kind,memo,amount_cents,balance_after_cents');
  assert.equal(rows.length - 1, lines.length, rows.join('\n'));
  for (const l of lines) {
    assert.ok(rows.some((r) => r.endsWith(`,${l.amount_cents},${l.balance_after_cents}`) && r.includes(`,${l.kind},`)),
      `the CSV has the ${l.kind} line: ${rows.join('\n')}`);
  }
  await noOverflow(page, 'the wallet');
  await fam.close([/Failed to load resource: the server responded with a status of 402/]);
});

test('the resident\'s tablet shows the trust balance and the transfer in its statement', TIMEOUT, async () => {
  assert.ok(journey, 'the journey test ran first');
  const res = await newPage(browser, TABLET);
  const { page } = res;
  await page.goto(`${base}/tablet?facility=${jail.id}`);
  await page.getByLabel('Your resident number').fill(RAY.number);
  await page.getByLabel('Your PIN').fill(RAY.pin);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Hello, Ray' }).waitFor();
  const ray = await signedInClient(base, { facility_id: jail.id, resident_number: RAY.number, pin: RAY.pin });
  const trust = (await ray.get('/wallet')).body;
  assert.equal(trust.balance_cents, 5000 + 2000, 'the wages and the $20.00 from the family');
  await assertAccessible(page, 'the tablet home');
  await page.getByTestId('trust-summary').getByText('See your statement').click();
  await page.waitForURL(`${base}/tablet/money`);
  await page.getByRole('heading', { name: 'Your trust account', level: 1 }).waitFor();
  const dollars = (c) => `$${Math.floor(c / 100).toLocaleString('en-US')}.${String(c % 100).padStart(2, '0')}`;
  await expectText(page.getByTestId('trust-balance'), new RegExp(`^Balance\\${dollars(trust.balance_cents)}`));
  const line = page.getByTestId('trust-statement').locator('li').filter({ hasText: `Money transfer from ${journey.name} to Ray Moss` });
  await line.waitFor();
  await expectText(line, /received \$20\.00/);
  await assertAccessible(page, 'the tablet trust statement');
  await shoot(page, 'tablet-trust');
  await res.close();
});

test('a message refused for want of a subscription leads to the wallet; bought there, the next text costs nothing', TIMEOUT, async () => {
  const email = uniqueEmail('subscriber');
  const reg = await apiClient(base).post('/accounts', { email, password: PASSWORD, full_name: 'Sam Hart', phone: '+1 555 0102' });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  await confirmEmail(join(tmp, 'kite.db'), email);
  const client = await signedInClient(base, { email, password: PASSWORD });
  const card = { number: '4242 4242 4242 4242', exp_month: 12, exp_year: Number(cardYear()), cvc: '123' };
  assert.equal((await client.post('/wallet/top-ups', { amount_cents: 2000, card }, key('top-up'))).status, 201);
  const contactId = await connect(client, prison, SUE);

  const fam = await newPage(browser, PHONE);
  const { page } = fam;
  await page.goto(`${base}/signin`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'));

  // Without a subscription the quote says so, and sending is refused with a link to the wallet.
  await page.goto(`${base}/messages?contact=${contactId}`);
  await page.getByRole('heading', { level: 1, name: 'Messages with Sue Hart' }).waitFor();
  await page.getByLabel('Your message').fill('Hello Sue, thinking of you.');
  await page.getByTestId('price-quote').getByText('Messages here need a subscription: subscribe in your wallet before sending.').waitFor();
  await page.getByRole('button', { name: 'Send message' }).click();
  const refused = page.getByRole('alert').filter({ hasText: 'need a subscription, $4.99 a month' });
  await refused.waitFor();
  await assertAccessible(page, 'compose refused for want of a subscription');
  await shoot(page, 'compose-subscription-needed-390');
  await refused.getByRole('link', { name: 'Subscribe in your wallet' }).click();
  await page.waitForURL(`${base}/wallet?facility=${prison.id}`);

  // The subscription: the monthly price, no period yet, the price on the button before paying.
  const plan = page.getByTestId(`plan-${prison.id}`);
  await plan.getByText('Messages here need a subscription: $4.99 a month.', { exact: false }).waitFor();
  // The link shows this facility's part of the wallet, not the top of the page.
  await page.waitForFunction((id) => {
    const el = document.getElementById(`facility-${id}`);
    const top = el ? el.getBoundingClientRect().top : -10;
    return top > -1 && top < window.innerHeight && !document.getElementById('page').hasAttribute('aria-busy');
  }, prison.id);
  await expectText(plan, /Your subscriptionNone yet/);
  await expectText(plan.getByTestId(`subscription-${prison.id}-summary`), '$4.99 will be taken from your balance of $20.00.');
  await assertAccessible(page, 'the wallet with a subscription to buy');
  await plan.getByRole('radio', { name: '3 months for $14.97' }).check();
  await expectText(plan.getByTestId(`subscription-${prison.id}-summary`), '$14.97 will be taken from your balance of $20.00.');
  // Each purchase's Idempotency-Key is noted; the answer to the second purchase is lost on the way
  // back, after Kite made it.
  const sentKeys = [];
  await page.route('**/api/v1/wallet/subscriptions', async (route) => {
    sentKeys.push(route.request().headers()['idempotency-key']);
    const response = await route.fetch();
    if (sentKeys.length === 2) await route.abort('connectionfailed');
    else await route.fulfill({ response });
  });
  // More than the balance: said before pressing, refused after, nothing taken.
  await plan.getByRole('radio', { name: '12 months for $59.88' }).check();
  await expectText(plan.getByTestId(`subscription-${prison.id}-summary`),
    'This costs $59.88 and your balance is $20.00. Add money above first.');
  await plan.getByRole('button', { name: 'Pay $59.88' }).click();
  await plan.getByRole('alert').filter({ hasText: 'Your balance is too low for this, so nothing was charged.' }).waitFor();
  assert.equal((await client.get('/wallet')).body.balance_cents, 2000, 'a refused subscription takes nothing');
  assert.deepEqual((await client.get('/wallet')).body.subscriptions, []);
  // One month: the answer is lost; pressing again with the same choice sends the same
  // Idempotency-Key, and Kite answers with that purchase instead of making a second.
  await plan.getByRole('radio', { name: '1 month for $4.99' }).check();
  await plan.getByRole('button', { name: 'Pay $4.99' }).click();
  await plan.getByRole('alert').filter({ hasText: 'Kite could not be reached.' }).waitFor();
  await plan.getByRole('button', { name: 'Pay $4.99' }).click();
  await plan.getByText(/^Subscribed for 1 month \(\$4\.99\), until /).waitFor();
  await page.unroute('**/api/v1/wallet/subscriptions');
  assert.equal(sentKeys.length, 3, 'the refused 12 months, the lost answer, the retry');
  assert.equal(sentKeys[1], sentKeys[2], 'the retry carries the key of the lost answer');
  assert.notEqual(sentKeys[0], sentKeys[1], 'a refused purchase is final: the next one has a new key');
  const w = (await client.get('/wallet')).body;
  assert.equal(w.balance_cents, 2000 - SUBSCRIPTION_CENTS);
  assert.deepEqual(w.subscriptions.map((s) => [s.facility_id, s.months, s.price_cents]), [[prison.id, 1, SUBSCRIPTION_CENTS]]);
  await plan.getByText(/^Your subscriptionActive from .* until /).waitFor();
  await page.getByTestId('wallet-balance').getByText('$15.01', { exact: true }).waitFor();
  await plan.getByRole('group', { name: 'Extend your subscription' }).waitFor();
  await assertAccessible(page, 'the wallet with a subscription');
  await shoot(page, 'wallet-subscription-390');

  // Back to the message: its text costs nothing now, and nothing is held.
  await page.goto(`${base}/messages?contact=${contactId}`);
  await page.getByRole('heading', { level: 1, name: 'Messages with Sue Hart' }).waitFor();
  await page.getByLabel('Your message').fill('Hello Sue, thinking of you.');
  await page.getByTestId('price-quote').getByText('This message is free to send.').waitFor();
  await page.getByRole('button', { name: 'Send message' }).click();
  await page.getByText('Sent. Sue Hart gets it after the facility reviews it.').waitFor();
  const sent = (await client.get('/messages?box=sent')).body.items[0];
  assert.deepEqual([sent.price_cents, sent.hold], [0, null]);
  assert.equal((await client.get('/wallet')).body.balance_cents, 2000 - SUBSCRIPTION_CENTS);
  await noOverflow(page, 'the thread');
  await fam.close([/Failed to load resource: the server responded with a status of 402/,
    /Failed to load resource: net::ERR_CONNECTION_FAILED/, /request failed: .*\/api\/v1\/wallet\/subscriptions net::ERR_CONNECTION_FAILED/]);
});
