// Browser tests for the contact flows: an operator puts facilities on Kite, staff keep the
// roster, families ask or are invited, residents answer on the tablet.  A real kite server and a
// real Chromium, nothing mocked; the invitation token is read from the server's mail outbox.
//
// Run from the repository root:  node --test --test-reporter=tap tests/web/flows.test.mjs
// Environment: KITE_BIN (default build/src/kite), CHROMIUM (default /usr/bin/chromium),
// KITE_SHOTS (default /tmp/kite-shots) for the screenshots.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, CHROMIUM, SHOTS, PASSWORD, TIMEOUT, DESKTOP, PHONE, startServer, stopServer, kiteCli,
  launchBrowser, newPage, apiClient, signedInClient, uniqueEmail, register, signInForm,
  confirmEmail, expectText, expectCount,
} from './helpers.mjs';

const OPERATOR = 'op@example.org';

let server;
let base;
let browser;
let tmp;
let db;
let county; // COLEMAN COUNTY JAIL: put on Kite with the jpay profile
let federal; // FCI COLEMAN LOW: put on Kite with the federal profile
let operator; // an API client signed in as the operator

const openPage = (viewport) => newPage(browser, viewport);

async function findFacility(name, q) {
  const found = await apiClient(base).get(`/facilities?q=${encodeURIComponent(q)}`);
  const f = found.body.items.find((x) => x.name === name);
  assert.ok(f, `the directory has ${name}`);
  return f;
}

/* The token in the newest invitation email to this address, from the outbox table. */
function invitationToken(dbPath, email) {
  const rows = execFileSync('sqlite3', [dbPath, "SELECT text_body FROM outbox WHERE kind='invitation' ORDER BY id"], { encoding: 'utf8' });
  const mails = rows.split(/(?=has invited you to exchange messages)/).filter((m) => m.includes(`(${email})`));
  assert.ok(mails.length, `an invitation email to ${email} is in the outbox`);
  const m = /\/invitations\/accept\?token=([0-9a-f]+)/.exec(mails[mails.length - 1]);
  assert.ok(m, 'the invitation email has an accept link');
  return m[1];
}

/* Both widths of the page as it is now, for a person to look at. */
async function shoot(page, name) {
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, `${name}: no horizontal scrolling on a phone`);
  await page.setViewportSize(DESKTOP);
}

/* The operator opens a facility on /staff by searching for it. */
async function operatorOpens(page, facility, q) {
  await page.goto(`${base}/staff`);
  await page.getByRole('heading', { name: 'Choose a facility' }).waitFor();
  await page.getByLabel('Facility', { exact: true }).fill(q);
  await page.locator(`.picker-option[data-id="${facility.id}"]`).click();
  await page.waitForURL(`${base}/staff?facility=${facility.id}`);
  await page.getByRole('heading', { level: 1, name: facility.name }).waitFor();
}

async function addResident(page, { number, first, last, pin }) {
  await page.getByLabel('Resident number').fill(number);
  await page.getByLabel('First name').fill(first);
  await page.getByLabel('Last name').fill(last);
  await page.getByLabel('PIN (optional)').fill(pin);
  await page.getByRole('button', { name: 'Add to roster' }).click();
  await page.locator(`[data-testid=roster] li[data-number="${number}"]`).waitFor();
}

/* A resident signs in on /tablet: facility by search, then number and PIN. */
async function tabletSignIn(page, facility, q, number, pin) {
  await page.goto(`${base}/tablet`);
  await page.getByLabel('Your facility').fill(q);
  await page.locator(`.picker-option[data-id="${facility.id}"]`).click();
  await expectText(page.getByTestId('tablet-facility'), new RegExp(facility.name));
  await page.getByLabel('Your resident number').fill(number);
  await page.getByLabel('Your PIN').fill(pin);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: /^Hello, / }).waitFor();
}

/* ---- set-up ---- */

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}: build it (ninja -C build) or set KITE_BIN`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-flows-'));
  db = join(tmp, 'kite.db');
  mkdirSync(SHOTS, { recursive: true });
  const started = await startServer(tmp);
  server = started.child;
  base = started.url;
  await kiteCli(['user', 'add', '--db', db, '--role', 'operator', '--email', OPERATOR, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  browser = await launchBrowser();
  county = await findFacility('COLEMAN COUNTY JAIL', 'coleman county jail');
  federal = await findFacility('FCI COLEMAN LOW', 'fci coleman low');
  operator = await signedInClient(base, { email: OPERATOR, password: PASSWORD });
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/* ---- a contact request (jpay) ---- */

test('jpay: operator puts the facility on Kite, family asks by number, resident approves on the tablet', TIMEOUT, async () => {
  // The operator: policy editor (with a rule the server refuses, shown next to its field), then the roster.
  const op = await openPage();
  await signInForm(op.page, base, OPERATOR);
  await op.page.waitForURL(`${base}/staff`);
  await operatorOpens(op.page, county, 'coleman county jail');
  await op.page.getByRole('heading', { name: 'Put this facility on Kite' }).waitFor();
  await op.page.getByLabel('Profile').selectOption('jpay');
  assert.equal(await op.page.getByLabel('Who starts contact').inputValue(), 'contact_requests');
  assert.equal(await op.page.getByLabel('Photos may be attached').isChecked(), true);
  await op.page.getByLabel('Most contacts per resident').fill('0');
  await op.page.getByRole('button', { name: 'Put this facility on Kite' }).click();
  await expectText(op.page.locator('#f-pol-contact_limit-error'), /from 1 to 1,000/);
  await op.page.getByLabel('Most contacts per resident').fill('25');
  await op.page.getByLabel('Photos per message').fill('0');
  await op.page.getByRole('button', { name: 'Put this facility on Kite' }).click();
  await op.page.locator('#f-pol-max_attachments-error').waitFor({ state: 'visible' });
  await expectText(op.page.locator('#f-pol-max_attachments-error'), /Photos per message must allow at least one/);
  await op.page.getByLabel('Photos per message').fill('3');
  await op.page.getByRole('button', { name: 'Put this facility on Kite' }).click();
  await op.page.waitForURL(`${base}/staff?facility=${county.id}&tab=roster`);
  assert.match(await op.page.textContent('#notice'), /is on Kite now, with the JPay-like profile/);
  const policy = (await apiClient(base).get(`/facilities/${county.id}`)).body.policy;
  assert.equal(policy.profile, 'jpay');
  assert.equal(policy.contact_limit, 25);
  assert.equal(policy.max_attachments, 3);

  await addResident(op.page, { number: 'A1001', first: 'Sam', last: 'Rivera', pin: '482107' });
  await expectText(op.page.locator('.live'), /Sam Rivera \(A1001\) is on the roster/);

  // The family member: registers, finds the facility, asks by number.
  const fam = await openPage();
  const famEmail = uniqueEmail('dana');
  await register(fam.page, base, { name: 'Dana Rivera', email: famEmail });
  await fam.page.waitForURL(`${base}/account`);
  await fam.page.getByRole('link', { name: 'Find a facility' }).first().click();
  await fam.page.fill('#q', 'coleman county jail');
  await fam.page.getByRole('link', { name: 'COLEMAN COUNTY JAIL', exact: true }).click();
  await fam.page.waitForURL(`${base}/facilities/${county.id}`);
  const howto = fam.page.getByRole('region', { name: 'How to message someone here' });
  await expectText(howto.getByTestId('platform-notice'), /Kite serves this facility/);
  const facts = await howto.getByTestId('policy-facts').textContent();
  assert.match(facts, /Up to 25/);
  assert.match(facts, /12,500 characters/);
  assert.match(facts, /Allowed, up to 3 photos/);
  // The page never contradicts itself: photos allowed in the rules, and Kite carries them.
  await expectText(fam.page.getByTestId('services'), /Photos\s*Kite, with messages/);
  assert.doesNotMatch(await fam.page.getByTestId('services').textContent(), /Photos\s*Not known/);
  // Nor its prices: the fees and call rates it shows are Kite's, so Kite provides money and calls.
  await expectText(fam.page.getByTestId('services'), /Sending money\s*Kite/);
  await expectText(fam.page.getByTestId('services'), /Phone calls\s*Kite/);
  await fam.page.getByLabel('Their resident number').fill('A1001');
  await fam.page.getByRole('button', { name: 'Send request' }).click();
  await fam.page.getByText('Request sent.').waitFor();
  assert.match(await fam.page.textContent('.request-done'), /Sam Rivera will see it on their tablet/);
  await shoot(fam.page, 'facility-on-kite');
  await fam.page.getByRole('link', { name: 'Follow it on your contacts page' }).click();
  await fam.page.waitForURL(`${base}/contacts`);
  const request = fam.page.getByTestId('requests').locator('li').first();
  await expectText(request, /Sam Rivera.*Waiting for an answer/);

  // The resident: tablet sign-in, approve.
  const res = await openPage();
  await tabletSignIn(res.page, county, 'coleman county jail', 'A1001', '482107');
  assert.equal(await res.page.textContent('h1'), 'Hello, Sam');
  const pending = res.page.getByTestId('pending-requests').locator('li');
  await expectCount(pending, 1);
  await expectText(pending, new RegExp(famEmail.replace(/\./g, '\\.')));
  // Dana has not opened her confirmation link yet: the tablet says the address is unproven.
  await expectText(pending.getByTestId('email-unconfirmed'), /not confirmed yet: Kite cannot say it belongs to Dana Rivera/);
  await expectCount(res.page.locator('#invite-heading'), 0, 'no invitations under a jpay policy');
  await shoot(res.page, 'tablet-home-request');
  await res.page.getByRole('button', { name: 'Approve Dana Rivera' }).click();
  await res.page.getByText('Dana Rivera is now your contact.').waitFor();
  await expectText(res.page.getByTestId('contacts'), /Dana Rivera\s*Active/);
  assert.match(await res.page.textContent('.count-line'), /1 of 25 places used/);
  await shoot(res.page, 'tablet-home');

  // A second request, declined: the tablet asks first, and "Keep the request" keeps it.
  const stranger = { email: uniqueEmail('lee'), password: PASSWORD };
  assert.equal((await apiClient(base).post('/accounts', { ...stranger, full_name: 'Lee Stone', phone: '+1 555 010 2001' })).status, 201);
  const asked = await (await signedInClient(base, stranger)).post('/contact-requests', { facility_id: county.id, resident_number: 'A1001' });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  await res.page.reload();
  const lee = res.page.getByTestId('pending-requests').locator('li', { hasText: 'Lee Stone' });
  await lee.getByRole('button', { name: 'Decline' }).click();
  await expectText(lee.locator('.confirm-question'), /Decline Lee Stone\? They will not be able to write to you/);
  await lee.getByRole('button', { name: 'Keep the request' }).click();
  await expectCount(lee, 1, 'still waiting');
  await lee.getByRole('button', { name: 'Decline' }).click();
  await lee.getByRole('button', { name: 'Yes, decline' }).click();
  await res.page.getByText('You declined Lee Stone.').waitFor();
  await expectCount(res.page.getByTestId('pending-requests').locator('li', { hasText: 'Lee Stone' }), 0);

  // The family member sees the contact as active.
  await fam.page.reload();
  const card = fam.page.getByTestId('contacts').locator('li').first();
  await card.waitFor();
  await expectText(card, /Sam Rivera\s*Active/);
  await expectText(card, /You can exchange messages on Kite/);
  await expectText(fam.page.getByTestId('requests'), /Approved/);
  await shoot(fam.page, 'contacts');

  await op.page.goto(`${base}/staff?facility=${county.id}&tab=roster`);
  await op.page.locator('[data-testid=roster] li').first().waitFor();
  await shoot(op.page, 'staff-roster');
  await op.page.goto(`${base}/staff?facility=${county.id}&tab=policy`);
  await op.page.getByRole('heading', { name: 'Policy', exact: true }).waitFor();
  await shoot(op.page, 'staff-policy');

  await op.close([/status of 422/]);
  await fam.close();
  await res.close();
});

/* ---- an invitation (federal) ---- */

test('federal: the resident invites by email, the family member accepts signed out, creates an account, accepts', TIMEOUT, async () => {
  const op = await openPage();
  await signInForm(op.page, base, OPERATOR);
  await op.page.waitForURL(`${base}/staff`);
  await operatorOpens(op.page, federal, 'fci coleman low');
  assert.equal(await op.page.getByLabel('Profile').inputValue(), 'federal');
  await op.page.getByRole('button', { name: 'Put this facility on Kite' }).click();
  await op.page.waitForURL(`${base}/staff?facility=${federal.id}&tab=roster`);
  // BOP numbers are checked before anything is sent.
  await op.page.getByLabel('Resident number').fill('12345678');
  await op.page.getByLabel('First name').fill('Ben');
  await op.page.getByLabel('Last name').fill('Ortiz');
  await op.page.getByRole('button', { name: 'Add to roster' }).click();
  await expectText(op.page.locator('#f-add-resident_number-error'), /like 12345-678/);
  await addResident(op.page, { number: '12345-678', first: 'Ben', last: 'Ortiz', pin: '246813' });

  // Nobody outside can ask at a federal facility: the page says to wait for an invitation.
  const visitor = await openPage();
  await visitor.page.goto(`${base}/facilities/${federal.id}`);
  const rule = visitor.page.getByTestId('invite-rule');
  await rule.waitFor();
  await expectText(rule, /The person inside must invite you/);
  await expectCount(visitor.page.locator('form.request-form'), 0);
  await expectText(visitor.page.getByTestId('policy-facts'), /Not allowed: text only/);
  await visitor.close();

  const res = await openPage();
  await tabletSignIn(res.page, federal, 'fci coleman low', '12345-678', '246813');
  const famEmail = uniqueEmail('maria');
  await res.page.getByLabel('Their email address').fill(famEmail);
  await res.page.getByRole('button', { name: 'Send invitation' }).click();
  await res.page.getByText(`Invitation sent to ${famEmail}.`).waitFor();
  await expectText(res.page.getByTestId('invitations'), /Waiting to be accepted/);

  // An invitation sent by mistake: cancelled, after a question; "Keep it" keeps it.
  const wrongEmail = uniqueEmail('typo');
  await res.page.getByLabel('Their email address').fill(wrongEmail);
  await res.page.getByRole('button', { name: 'Send invitation' }).click();
  await res.page.getByText(`Invitation sent to ${wrongEmail}.`).waitFor();
  const mistaken = res.page.getByTestId('invitations').locator('li', { hasText: wrongEmail });
  await mistaken.getByRole('button', { name: 'Cancel invitation' }).click();
  await expectText(mistaken.locator('.confirm-question'), /Cancel the invitation to .*The link in their email stops working/);
  await mistaken.getByRole('button', { name: 'Keep it' }).click();
  await mistaken.getByRole('button', { name: 'Cancel invitation' }).click();
  await mistaken.getByRole('button', { name: 'Yes, cancel it' }).click();
  await res.page.getByText(`The invitation to ${wrongEmail} is cancelled.`).waitFor();
  await expectText(res.page.getByTestId('invitations').locator('li', { hasText: wrongEmail }), /Withdrawn|Cancelled|Revoked/i);

  const token = invitationToken(db, famEmail);
  const fam = await openPage();
  await fam.page.goto(`${base}/invitations/accept?token=${token}`);
  await fam.page.getByRole('heading', { name: 'You have been invited to Kite' }).waitFor();
  await shoot(fam.page, 'accept-signed-out');
  await fam.page.getByRole('link', { name: 'Create a free account' }).click();
  await fam.page.waitForURL(/\/register\?next=/);
  await register(fam.page, base, { name: 'Maria Ortiz', email: famEmail }, null);
  await fam.page.waitForURL(`${base}/invitations/accept?token=${token}`);
  await fam.page.getByRole('heading', { name: 'Accept the invitation' }).waitFor();
  await shoot(fam.page, 'accept-signed-in');
  await fam.page.getByRole('button', { name: 'Accept invitation' }).click();
  await fam.page.waitForURL(`${base}/contacts`);
  assert.match(await fam.page.textContent('#notice'), /Ben Ortiz at FCI COLEMAN LOW is now your contact/);
  const card = fam.page.getByTestId('contacts').locator('li').first();
  await card.waitFor();
  await expectText(card, /Ben Ortiz\s*Active/);
  await expectText(card, /12345-678/);

  await res.page.reload();
  await res.page.getByTestId('contacts').waitFor();
  await expectText(res.page.getByTestId('contacts'), /Maria Ortiz\s*Active/);
  await expectText(res.page.getByTestId('invitations'), /Accepted/);
  await shoot(res.page, 'tablet-home-federal');

  // The same link again: already used, said plainly.
  await fam.page.goto(`${base}/invitations/accept?token=${token}`);
  await fam.page.getByRole('button', { name: 'Accept invitation' }).click();
  await fam.page.getByTestId('invitation-problem').waitFor();
  assert.equal(await fam.page.textContent('h1'), 'This invitation was already used');

  // Blocking from /contacts asks first, and says it cannot be undone.
  await fam.page.goto(`${base}/contacts`);
  await fam.page.getByTestId('contacts').getByRole('button', { name: 'Block' }).click();
  await expectText(fam.page.locator('.confirm-question'), /You cannot undo this yourself/);
  await fam.page.getByRole('button', { name: 'Keep as contact' }).click();
  await expectCount(fam.page.locator('.confirm-question'), 0);
  await fam.page.getByTestId('contacts').getByRole('button', { name: 'Block' }).click();
  await fam.page.getByRole('button', { name: 'Yes, block Ben Ortiz' }).click();
  await fam.page.getByText('You blocked Ben Ortiz.').waitFor();
  await expectCount(fam.page.getByTestId('contacts'), 0);

  await op.close();
  await res.close();
  await fam.close([/status of 409/]);
});

test('an invitation link says plainly when it is for someone else or does not exist', TIMEOUT, async () => {
  // A second resident at the federal facility invites one address; another family member opens the link.
  assert.equal((await operator.post(`/facilities/${federal.id}/residents`,
    { resident_number: '22222-333', first_name: 'Rosa', last_name: 'Diaz', pin: '135724' })).status, 201);
  const resident = await signedInClient(base, { facility_id: federal.id, resident_number: '22222-333', pin: '135724' });
  const invited = uniqueEmail('invited');
  assert.equal((await resident.post('/invitations', { email: invited })).status, 201);
  const token = invitationToken(db, invited);

  const other = await openPage();
  await register(other.page, base, { name: 'Someone Else', email: uniqueEmail('else') });
  await other.page.waitForURL(`${base}/account`);
  await other.page.goto(`${base}/invitations/accept?token=${token}`);
  await other.page.getByRole('button', { name: 'Accept invitation' }).click();
  await other.page.getByTestId('invitation-problem').waitFor();
  assert.equal(await other.page.textContent('h1'), 'This invitation is for another email address');
  assert.ok(await other.page.locator('main').getByRole('button', { name: 'Sign out' }).isVisible());

  await other.page.goto(`${base}/invitations/accept?token=${'ab'.repeat(32)}`);
  await other.page.getByRole('button', { name: 'Accept invitation' }).click();
  await other.page.getByTestId('invitation-problem').waitFor();
  assert.equal(await other.page.textContent('h1'), 'This invitation link does not work');

  await other.page.goto(`${base}/invitations/accept`);
  assert.equal(await other.page.textContent('h1'), 'This invitation link is incomplete');

  await other.close([/status of 403/, /status of 404/]);

  // The token survives the registration round trip even when the return address is lost:
  // the header's "Create account" carries none, this tab remembers the invitation.
  const famEmail = invited;
  const fam = await openPage();
  await fam.page.goto(`${base}/invitations/accept?token=${token}`);
  await fam.page.getByRole('heading', { name: 'You have been invited to Kite' }).waitFor();
  await fam.page.locator('.site-header').getByRole('link', { name: 'Create account' }).click();
  await fam.page.waitForURL(`${base}/register`);
  await register(fam.page, base, { name: 'Invited Person', email: famEmail }, null);
  await fam.page.waitForURL(`${base}/invitations/accept?token=${token}`);
  await fam.page.getByRole('heading', { name: 'Accept the invitation' }).waitFor();

  // Accepted once through the API meanwhile, the link then says it was used.
  const famApi = await signedInClient(base, { email: famEmail, password: PASSWORD });
  assert.equal((await famApi.post('/invitations/accept', { token })).status, 201);
  await fam.page.goto(`${base}/invitations/accept?token=${token}`);
  await fam.page.getByRole('button', { name: 'Accept invitation' }).click();
  await fam.page.getByTestId('invitation-problem').waitFor();
  assert.equal(await fam.page.textContent('h1'), 'This invitation was already used');
  assert.ok(await fam.page.getByRole('link', { name: 'See your contacts' }).isVisible());
  await fam.close([/status of 409/]);
});

/* ---- connectnetwork: by name; then a transfer to a facility Kite does not serve ---- */

test('connectnetwork: family ask by name; after a move off Kite the contact page names the provider', TIMEOUT, async () => {
  const travis = await findFacility('TRAVIS COUNTY JAIL / CENTRAL BOOKING FACILITY', 'travis county jail central booking');
  const medium = await findFacility('FCI COLEMAN MEDIUM', 'fci coleman medium');
  assert.equal((await operator.put(`/facilities/${travis.id}/policy`, { profile: 'connectnetwork' })).status, 201);
  assert.equal((await operator.post(`/facilities/${travis.id}/residents`,
    { resident_number: 'T770', first_name: 'Jo', last_name: 'Park', pin: '515142' })).status, 201);

  const fam = await openPage();
  await register(fam.page, base, { name: 'Kim Park', email: uniqueEmail('kim') });
  await fam.page.waitForURL(`${base}/account`);
  await fam.page.goto(`${base}/facilities/${travis.id}`);
  await fam.page.getByLabel('By first and last name').check();
  assert.ok(await fam.page.getByLabel('Their resident number').isHidden());
  await fam.page.getByLabel('Their first name').fill('Jo');
  await fam.page.getByRole('button', { name: 'Send request' }).click();
  await expectText(fam.page.locator('#f-req-last_name-error'), /Enter their last name/);
  await fam.page.getByLabel('Their last name').fill('Park');
  await fam.page.getByRole('button', { name: 'Send request' }).click();
  await fam.page.getByText('Request sent.').waitFor();
  assert.match(await fam.page.textContent('.request-done'), /approved after the waiting period/);
  await expectText(fam.page.getByTestId('policy-facts'), /approved after 72 hours unless they decline/);

  await fam.page.goto(`${base}/contacts`);
  await expectText(fam.page.getByTestId('requests'), /Jo Park.*Waiting for an answer.*unless they decline/);

  const resident = await signedInClient(base, { facility_id: travis.id, resident_number: 'T770', pin: '515142' });
  const pending = (await resident.get('/contact-requests')).body.items.find((q) => q.status === 'pending');
  assert.equal((await resident.post(`/contact-requests/${pending.id}/approve`)).status, 200);
  const moved = await operator.post(`/facilities/${travis.id}/residents/T770/transfer`, { to_facility_id: medium.id });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));

  await fam.page.reload();
  const card = fam.page.getByTestId('contacts').locator('li').first();
  await card.waitFor();
  await expectText(card, /Jo Park\s*Messages stopped/);
  const line = card.getByTestId('moved-off-kite');
  await expectText(line, /Kite does not serve FCI COLEMAN MEDIUM/);
  assert.equal(await line.getByRole('link', { name: 'CorrLinks' }).getAttribute('href'), '/providers#provider-corrlinks');
  await shoot(fam.page, 'contacts-moved');
  await fam.close();
});

test('the new pages answer signed out and for the wrong kind of account without console errors', TIMEOUT, async () => {
  const { page, close } = await openPage();
  const visit = async (path, heading) => {
    await page.goto(`${base}${path}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  };
  await visit('/contacts', 'You are not signed in');
  await visit('/staff', 'Staff sign-in needed');
  await visit('/tablet', 'Sign in on the tablet');
  await visit('/invitations/accept?token=not-hex', 'This invitation link is incomplete');
  await register(page, base, { name: 'Wrong Door', email: uniqueEmail('door') });
  await page.waitForURL(`${base}/account`);
  await visit('/staff', 'This page is for facility staff');
  await visit('/tablet', 'Someone is signed in');
  await visit('/contacts', 'Your contacts');
  assert.match(await page.textContent('main'), /Nobody yet/);
  await close();
});

/* ---- staff ---- */

test('staff: the admin adds staff and a block; a reviewer reads the roster; release, PIN and transfer', TIMEOUT, async () => {
  const adminEmail = uniqueEmail('admin');
  const reviewerEmail = uniqueEmail('reviewer');
  const op = await openPage();
  await signInForm(op.page, base, OPERATOR);
  await op.page.waitForURL(`${base}/staff`);
  await op.page.goto(`${base}/staff?facility=${county.id}&tab=staff`);
  await op.page.getByRole('heading', { name: 'Add a staff member' }).waitFor();
  await op.page.getByLabel('Full name').fill('Ada Admin');
  await op.page.getByLabel('Email address').fill(adminEmail);
  await op.page.getByLabel('Role').selectOption('facility_admin');
  await op.page.getByLabel('First password').fill(PASSWORD);
  await op.page.getByRole('button', { name: 'Add staff member' }).click();
  await op.page.getByText('Ada Admin can now sign in as facility administrator.').waitFor();
  await expectText(op.page.getByTestId('staff-list'), /Ada Admin/);
  await op.close();

  // The facility admin: own facility, no picker; adds a reviewer by API, a block by the page.
  const admin = await openPage();
  await signInForm(admin.page, base, adminEmail);
  await admin.page.waitForURL(`${base}/staff`);
  await admin.page.getByRole('heading', { level: 1, name: county.name }).waitFor();
  assert.deepEqual(await admin.page.locator('.tabs a').allTextContents(), ['Roster', 'Staff', 'Blocks', 'Policy', 'Prices', 'Revenue']);
  await expectText(admin.page.locator('.site-nav a[aria-current=page]'), 'Your facility');

  await admin.page.getByRole('link', { name: 'Blocks' }).click();
  await admin.page.getByRole('heading', { name: 'Block an address' }).waitFor();
  await admin.page.getByLabel('Email address to block').fill('no-contact@example.org');
  await admin.page.getByLabel('Only for this resident number (optional)').fill('A1001');
  await admin.page.getByLabel('Reason (optional)').fill('Court no-contact order');
  await admin.page.getByRole('button', { name: 'Add block' }).click();
  await admin.page.getByText('no-contact@example.org is blocked for resident A1001.').waitFor();
  await expectText(admin.page.getByTestId('blocks'), /Only with resident A1001/);
  await shoot(admin.page, 'staff-blocks');

  // Roster: a file from the jail system, imported with a row-by-row report.
  await admin.page.getByRole('link', { name: 'Roster' }).click();
  await admin.page.getByRole('heading', { name: 'Import a roster file' }).waitFor();
  await admin.page.getByLabel('Roster file (CSV)').setInputFiles({
    name: 'roster-export.csv', mimeType: 'text/csv',
    buffer: Buffer.from('resident_number,first_name,last_name,pin\nC3001,Ana,Lopez,246801\nC3002,,Nameless,\nC3003,Raul,Mena,\n'),
  });
  await expectText(admin.page.getByTestId('roster-file-name'), 'roster-export.csv');
  // A progress bar while the file goes up (the request is held back here until the bar is seen).
  let release;
  const held = new Promise((resolveHeld) => { release = resolveHeld; });
  const rosterUpload = '**/api/v1/facilities/*/roster';
  await admin.page.route(rosterUpload, async (route) => { await held; await route.continue(); });
  await admin.page.getByRole('button', { name: 'Import roster' }).click();
  const bar = admin.page.getByRole('progressbar', { name: 'Upload of the roster file' });
  await bar.waitFor();
  release();
  const report = admin.page.getByTestId('roster-import-result');
  await report.getByText(/roster-export\.csv: 3 rows read\. 2 added, 0 updated, 0 unchanged, 1 refused\./).waitFor();
  await bar.waitFor({ state: 'hidden' });
  await admin.page.unroute(rosterUpload);
  await expectText(admin.page.getByTestId('roster-problems'), /3.*first_name|3.*first name/i);
  await admin.page.locator('[data-testid=roster] li[data-number="C3001"]').waitFor();
  await shoot(admin.page, 'staff-roster-import');

  // Roster: add a resident without a PIN, set it, release, re-admit, transfer.
  await admin.page.getByRole('heading', { name: 'Add a resident' }).waitFor();
  await admin.page.getByLabel('Resident number').fill('B2002');
  await admin.page.getByLabel('First name').fill('Lee');
  await admin.page.getByLabel('Last name').fill('Chen');
  await admin.page.getByRole('button', { name: 'Add to roster' }).click();
  const row = admin.page.locator('[data-testid=roster] li[data-number="B2002"]');
  await row.waitFor();
  await expectText(row, /No PIN/);
  await row.getByRole('button', { name: 'Set PIN' }).click();
  await row.getByLabel('New PIN').fill('12');
  await row.getByRole('button', { name: 'Save PIN' }).click();
  await expectText(row.locator('.field-error').first(), /6 to 12 digits/);
  await row.getByLabel('New PIN').fill('908070');
  await row.getByRole('button', { name: 'Save PIN' }).click();
  await admin.page.getByText('The new PIN of Lee Chen is saved.').waitFor();
  await expectCount(row.getByText('No PIN'), 0);
  assert.equal((await apiClient(base).post('/sessions', { facility_id: county.id, resident_number: 'B2002', pin: '908070' })).status, 201);

  await row.getByRole('button', { name: 'Release' }).click();
  await row.getByRole('button', { name: 'Yes, release' }).click();
  await admin.page.getByText('Lee Chen was released. Their sign-in is closed.').waitFor();
  await expectText(row, /Released/);
  await row.getByRole('button', { name: 'Re-admit' }).click();
  await admin.page.getByText('Lee Chen was re-admitted.').waitFor();

  await row.getByRole('button', { name: 'Transfer' }).click();
  await row.getByLabel('Move to facility').fill('fci coleman low');
  await row.locator(`.picker-option[data-id="${federal.id}"]`).click();
  await shoot(admin.page, 'staff-transfer');
  await row.getByRole('button', { name: 'Confirm transfer' }).click();
  // B2002 is not a BOP number: the server asks for one, next to the field.
  await row.locator('.field-error:visible, .form-alert:visible').first().waitFor();
  await row.getByLabel('Resident number at the new facility (optional)').fill('33333-444');
  await row.getByRole('button', { name: 'Confirm transfer' }).click();
  await admin.page.getByText(/Lee Chen moved to FCI COLEMAN LOW/).waitFor();
  await expectCount(row, 0);
  await admin.close([/status of 422/]);

  // A reviewer reads the roster and changes nothing.
  assert.equal((await operator.post(`/facilities/${county.id}/staff`,
    { email: reviewerEmail, full_name: 'Rex Reviewer', role: 'reviewer', password: PASSWORD })).status, 201);
  const reviewer = await openPage();
  await signInForm(reviewer.page, base, reviewerEmail);
  await reviewer.page.waitForURL(`${base}/staff`);
  await reviewer.page.locator('[data-testid=roster] li').first().waitFor();
  await expectText(reviewer.page.getByTestId('roster'), /A1001/);
  await expectCount(reviewer.page.locator('.tabs'), 0);
  await expectCount(reviewer.page.getByRole('heading', { name: 'Add a resident' }), 0);
  await expectCount(reviewer.page.locator('[data-testid=roster] button'), 0);
  await reviewer.close();
});

test('the header shows the links of each kind of account', TIMEOUT, async () => {
  const nav = async (page) => page.locator('.site-nav a').allTextContents();
  const visitor = await openPage();
  await visitor.page.goto(`${base}/signin`);
  assert.deepEqual(await nav(visitor.page), ['Find a facility', 'Providers']);
  await visitor.page.getByRole('link', { name: 'Sign in on a facility tablet' }).click();
  await visitor.page.waitForURL(`${base}/tablet`);
  await visitor.page.getByRole('heading', { name: 'Sign in on the tablet' }).waitFor();
  await visitor.page.getByLabel('Your facility').fill('coleman');
  await visitor.page.locator(`.picker-option[data-id="${county.id}"]`).waitFor();
  assert.ok(await visitor.page.locator(`.picker-option[data-id="${county.id}"]`).isEnabled());
  await shoot(visitor.page, 'tablet-signin');
  await visitor.close();

  const res = await openPage();
  await tabletSignIn(res.page, county, 'coleman county jail', 'A1001', '482107');
  assert.deepEqual(await nav(res.page), ['Home', 'Video visits']);
  await res.page.getByRole('button', { name: 'Sign out' }).click();
  await res.page.waitForURL(`${base}/tablet`);
  await res.page.getByText('The next person can sign in.').waitFor();
  // The tablet remembers its facility for the next person.
  await expectText(res.page.getByTestId('tablet-facility'), /COLEMAN COUNTY JAIL/);
  await res.close();

  const fam = await openPage();
  await register(fam.page, base, { name: 'Nav Check', email: uniqueEmail('nav') });
  await fam.page.waitForURL(`${base}/account`);
  assert.deepEqual(await nav(fam.page), ['Messages', 'Your contacts', 'Video visits', 'Find a facility', 'Providers']);
  await fam.close();

  const op = await openPage();
  await signInForm(op.page, base, OPERATOR);
  await op.page.waitForURL(`${base}/staff`);
  assert.deepEqual(await nav(op.page), ['Facilities', 'Review', 'Video visits', 'Investigate', 'Staff activity', 'Find a facility', 'Providers']);
  await op.close();
});

/* ---- time passes: an expired invitation ---- */

test('an expired invitation says so and what to do', TIMEOUT, async () => {
  // Its own database: make the invitation now, then start Kite 31 days later on the same data.
  const dir = mkdtempSync(join(tmpdir(), 'kite-web-expiry-'));
  const expiryDb = join(dir, 'kite.db');
  let child = null;
  try {
    let started = await startServer(dir);
    child = started.child;
    let url = started.url;
    await kiteCli(['user', 'add', '--db', expiryDb, '--role', 'operator', '--email', OPERATOR], `${PASSWORD}\n`);
    const op = await signedInClient(url, { email: OPERATOR, password: PASSWORD });
    assert.equal((await op.put(`/facilities/${federal.id}/policy`, { profile: 'federal' })).status, 201);
    assert.equal((await op.post(`/facilities/${federal.id}/residents`,
      { resident_number: '55555-666', first_name: 'Ana', last_name: 'Lopez', pin: '864209' })).status, 201);
    const resident = await signedInClient(url, { facility_id: federal.id, resident_number: '55555-666', pin: '864209' });
    const famEmail = uniqueEmail('late');
    assert.equal((await resident.post('/invitations', { email: famEmail })).status, 201);
    assert.equal((await apiClient(url).post('/accounts', { email: famEmail, password: PASSWORD, full_name: 'Late Reader', phone: '555 010 7000' })).status, 201);
    // Confirmed, or the sweeper retires the account unused for a week before the month is over.
    await confirmEmail(expiryDb, famEmail);
    const token = invitationToken(expiryDb, famEmail);
    await stopServer(child);

    started = await startServer(dir, { extra: ['--test-clock-offset', String(31 * 24 * 3600)], env: { KITE_ALLOW_TEST_CLOCK: '1' } });
    child = started.child;
    url = started.url;
    const fam = await openPage();
    await fam.page.goto(`${url}/invitations/accept?token=${token}`);
    await fam.page.getByRole('link', { name: 'Sign in' }).last().click();
    await fam.page.waitForURL(/\/signin\?next=/);
    await fam.page.getByLabel('Email address').fill(famEmail);
    await fam.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await fam.page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    await fam.page.waitForURL(`${url}/invitations/accept?token=${token}`);
    await fam.page.getByRole('button', { name: 'Accept invitation' }).click();
    await fam.page.getByTestId('invitation-problem').waitFor();
    assert.equal(await fam.page.textContent('h1'), 'This invitation has expired');
    assert.match(await fam.page.textContent('.notice--error'), /Ask the person who invited you to send a new invitation/);
    await shoot(fam.page, 'accept-expired');
    await fam.close([/status of 410/]);
  } finally {
    await stopServer(child);
    rmSync(dir, { recursive: true, force: true });
  }
});
