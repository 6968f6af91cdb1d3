// Browser tests for reviewed messaging: a family member writes, the mail room reviews in /review,
// the resident reads and replies on the tablet, and each side sees the news live (Server-Sent
// Events, no reload).  Rejections, the length limit, photos, screening rules and the export.
// A real kite server and a real Chromium, nothing mocked.
//
// Run from the repository root:  node --test --test-reporter=tap tests/web/messaging.test.mjs
// Environment: KITE_BIN (default build/src/kite), CHROMIUM (default /usr/bin/chromium),
// KITE_SHOTS (default /tmp/kite-shots) for the screenshots.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import {
  KITE_BIN, CHROMIUM, SHOTS, PASSWORD, TIMEOUT, DESKTOP, PHONE, startServer, stopServer, kiteCli,
  launchBrowser, newPage, apiClient, signedInClient, uniqueEmail, signInForm,
  startSandbox, stopSandbox, fundContact, fundResident, confirmEmail, expectText, expectCount,
} from './helpers.mjs';

const OPERATOR = 'op.messages@example.org';
const NUMBER = 'M4410';
const PIN = '246813';

let server;
let sandbox;
let base;
let browser;
let tmp;
let county; // COLEMAN COUNTY JAIL, on Kite with the jpay profile, every message reviewed
let operator;
let family; // { email, client, contactId }
let resident; // API client of Ray Moss
let reviewerEmail;
let adminEmail;

const openPage = (viewport) => newPage(browser, viewport);

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

/* A small valid PNG (a colour gradient), made here so the test needs no files. */
function makePng(width = 48, height = 32) {
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x += 1) {
      row[1 + x * 3] = (x * 5) % 256;
      row[2 + x * 3] = (y * 7) % 256;
      row[3 + x * 3] = 140;
    }
    rows.push(row);
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

async function signedInAs(email) {
  const p = await openPage();
  await signInForm(p.page, base, email);
  await p.page.waitForURL((u) => !u.pathname.startsWith('/signin'));
  return p;
}

async function tabletSignIn() {
  const p = await openPage();
  await p.page.goto(`${base}/tablet?facility=${county.id}`);
  await p.page.getByLabel('Your resident number').fill(NUMBER);
  await p.page.getByLabel('Your PIN').fill(PIN);
  await p.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await p.page.getByRole('heading', { level: 1, name: 'Hello, Ray' }).waitFor();
  return p;
}

/* The family member's conversation with Ray, opened from the contacts page. */
async function familyThread() {
  const p = await signedInAs(family.email);
  await p.page.goto(`${base}/messages?contact=${family.contactId}`);
  await p.page.getByRole('heading', { level: 1, name: 'Messages with Ray Moss' }).waitFor();
  return p;
}

async function reviewQueue(email = reviewerEmail) {
  const p = await signedInAs(email);
  await p.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Review' }).click();
  await p.page.waitForURL(`${base}/review`);
  await p.page.getByTestId('queue-metrics').waitFor();
  return p;
}

const card = (page, id) => page.locator(`[data-testid=thread] li[data-message-id="${id}"]`);
const queued = (page, id) => page.locator(`[data-testid=review-queue] li[data-message-id="${id}"]`);

async function send(client, subject, body, extra = {}) {
  const r = await client.post('/messages', { contact_id: family.contactId, subject, body, ...extra });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body;
}

/* ---- set-up: a jpay facility on Kite, a resident, a family member, a reviewer, an admin ---- */

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}: build it (ninja -C build) or set KITE_BIN`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-messages-'));
  mkdirSync(SHOTS, { recursive: true });
  sandbox = await startSandbox();
  const started = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  server = started.child;
  base = started.url;
  await kiteCli(['user', 'add', '--db', join(tmp, 'kite.db'), '--role', 'operator', '--email', OPERATOR, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  browser = await launchBrowser();
  operator = await signedInClient(base, { email: OPERATOR, password: PASSWORD });

  const found = await apiClient(base).get('/facilities?q=coleman%20county%20jail');
  county = found.body.items.find((x) => x.name === 'COLEMAN COUNTY JAIL');
  assert.ok(county, 'the directory has COLEMAN COUNTY JAIL');
  assert.equal((await operator.put(`/facilities/${county.id}/policy`, { profile: 'jpay', review: 'all' })).status, 201);
  const added = await operator.post(`/facilities/${county.id}/residents`,
    { resident_number: NUMBER, first_name: 'Ray', last_name: 'Moss', pin: PIN });
  assert.equal(added.status, 201);
  // Messages are paid for: Ray has wages in his trust account.
  await fundResident(operator, added.body.id);

  reviewerEmail = uniqueEmail('rita');
  adminEmail = uniqueEmail('adam');
  assert.equal((await operator.post(`/facilities/${county.id}/staff`,
    { email: reviewerEmail, full_name: 'Rita Reviewer', role: 'reviewer', password: PASSWORD })).status, 201);
  assert.equal((await operator.post(`/facilities/${county.id}/staff`,
    { email: adminEmail, full_name: 'Adam Admin', role: 'facility_admin', password: PASSWORD })).status, 201);

  const email = uniqueEmail('nina');
  assert.equal((await apiClient(base).post('/accounts',
    { email, password: PASSWORD, full_name: 'Nina Moss', phone: '555 010 4400' })).status, 201);
  const client = await signedInClient(base, { email, password: PASSWORD });
  assert.equal((await client.post('/contact-requests', { facility_id: county.id, resident_number: NUMBER })).status, 201);
  resident = await signedInClient(base, { facility_id: county.id, resident_number: NUMBER, pin: PIN });
  const pending = (await resident.get('/contact-requests')).body.items.find((q) => q.status === 'pending');
  assert.equal((await resident.post(`/contact-requests/${pending.id}/approve`)).status, 200);
  const contact = (await client.get('/contacts')).body.items[0];
  family = { email, client, contactId: contact.id };
  // Messages are paid for: Nina buys the jpay facility's bundle of 50 stamps.
  await confirmEmail(join(tmp, 'kite.db'), email);
  await fundContact(client, county.id, 'stamps', 50);
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  stopSandbox(sandbox);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/* ---- the whole life of a message ---- */

test('a family member writes; the reviewer approves; Delivered and the reply arrive live; the resident reads and replies on the tablet', TIMEOUT, async () => {
  const fam = await signedInAs(family.email);
  const nav = await fam.page.locator('.site-nav a').allTextContents();
  assert.deepEqual(nav, ['Messages', 'Your contacts', 'Video visits', 'Find a facility', 'Providers']);
  await fam.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Your contacts' }).click();
  await fam.page.getByRole('link', { name: 'Write to Ray' }).click();
  await fam.page.waitForURL(`${base}/messages?contact=${family.contactId}`);
  await fam.page.getByRole('heading', { level: 1, name: 'Messages with Ray Moss' }).waitFor();
  await expectText(fam.page.getByTestId('thread').locator('..'), /No messages yet/);

  // Every script and emoji: the counter counts characters as Kite does.
  const body = 'Hola Ray, ¿cómo estás? Привет! 你好 😊\nThe kids say hello.';
  await fam.page.getByLabel('Subject (optional)').fill('Hello from Nina');
  await fam.page.getByLabel('Your message').fill(body);
  await expectText(fam.page.getByTestId('char-count'), `${[...body].length} of 12,500 characters`);
  // A double click sends once: the button is off while sending, and the Idempotency-Key is the same.
  await fam.page.getByRole('button', { name: 'Send message' }).dblclick();
  await fam.page.getByText('Sent. Ray Moss gets it after the facility reviews it.').waitFor();
  const sent = (await family.client.get('/messages?box=sent')).body.items;
  assert.equal(sent.length, 1, 'one message, not two');
  const first = sent[0];
  assert.equal(first.body, body);
  const mine = card(fam.page, first.id);
  assert.equal(await mine.getAttribute('data-status'), 'pending_review');
  await expectText(mine, /Waiting for the facility to review/);
  assert.equal(await fam.page.getByLabel('Your message').inputValue(), '', 'the form is empty for the next message');
  await fam.page.evaluate(() => { window.kiteNoReload = true; });

  // The reviewer: metrics, the message, approve.
  const rev = await reviewQueue();
  await expectText(rev.page.locator('[data-metric=depth] dd'), '1');
  const item = queued(rev.page, first.id);
  await expectText(item, /From Nina Moss to Ray Moss \(resident\)/);
  await expectText(item, /Привет! 你好 😊/);
  await shoot(rev.page, 'review-queue');
  await item.getByRole('button', { name: 'Approve' }).click();
  await rev.page.getByText('Approved: “Hello from Nina” from Nina Moss. It is delivered.').waitFor();
  await expectCount(item, 0);
  await rev.page.getByText('Nothing to review.').waitFor();

  // The family page changes by itself.
  await fam.page.locator(`[data-testid=thread] li[data-message-id="${first.id}"][data-status=delivered]`).waitFor();
  await expectText(mine, /Delivered/);
  assert.equal(await fam.page.evaluate(() => window.kiteNoReload), true, 'no reload');

  // The resident: the unread count on the home page and in the header, then the conversation.
  const res = await tabletSignIn();
  const convo = res.page.getByTestId('tablet-conversations').locator('li').first();
  await expectText(convo, /Messages with Nina Moss\s*1 new/);
  await expectText(res.page.getByTestId('unread-badge'), '1 unread');
  await convo.getByRole('link').click();
  await res.page.waitForURL(`${base}/tablet?contact=${family.contactId}`);
  await res.page.getByRole('heading', { level: 1, name: 'Messages with Nina Moss' }).waitFor();
  await expectText(card(res.page, first.id), /Hello from Nina.*The kids say hello/s);
  await res.page.getByTestId('unread-badge').waitFor({ state: 'detached' });
  // Reading it tells the family, live.
  await fam.page.locator(`[data-testid=thread] li[data-message-id="${first.id}"][data-status=read]`).waitFor();
  await expectText(mine, /Read/);

  // The family goes back to the list; the resident replies; the reviewer approves with the keyboard.
  await fam.page.getByRole('link', { name: '← All messages' }).click();
  await fam.page.getByTestId('conversations').waitFor();
  await res.page.getByLabel('Subject (optional)').fill('Re: Hello from Nina');
  await res.page.getByLabel('Your message').fill('Thank you! Tell the kids I have a class on Tuesdays now.');
  await res.page.getByRole('button', { name: 'Send message' }).click();
  await res.page.getByText('Sent. Nina Moss gets it after the facility reviews it.').waitFor();
  const reply = (await resident.get('/messages?box=sent')).body.items[0];
  await expectText(card(res.page, reply.id), /Waiting for the facility to review/);
  await shoot(res.page, 'tablet-messages');

  await rev.page.getByRole('button', { name: 'Check for new messages' }).click();
  await queued(rev.page, reply.id).waitFor();
  await expectText(queued(rev.page, reply.id), /From Ray Moss \(resident\) to Nina Moss/);
  await rev.page.keyboard.press('j');
  assert.equal(await rev.page.evaluate(() => document.activeElement.dataset.messageId), String(reply.id));
  await rev.page.keyboard.press('a');
  await rev.page.getByText('Approved: “Re: Hello from Nina” from Ray Moss. It is delivered.').waitFor();
  await rev.close();

  // The family: the badge and the conversation count, live; opening it reads it.
  await fam.page.getByTestId('unread-badge').waitFor();
  await expectText(fam.page.getByTestId('unread-badge'), '1 unread');
  const row = fam.page.locator(`[data-testid=conversations] li[data-contact-id="${family.contactId}"]`);
  await row.getByTestId('convo-unread').waitFor();
  await expectText(row, /1 new/);
  await expectText(row, /Ray Moss: Re: Hello from Nina/);
  assert.equal(await fam.page.evaluate(() => window.kiteNoReload), true, 'still no reload');
  await row.getByRole('link').click();
  await card(fam.page, reply.id).waitFor();
  await expectText(card(fam.page, reply.id), /Ray Moss.*New.*class on Tuesdays/s);
  await fam.page.getByTestId('unread-badge').waitFor({ state: 'detached' });
  await res.page.locator(`[data-testid=thread] li[data-message-id="${reply.id}"][data-status=read]`).waitFor();
  await shoot(fam.page, 'messages-thread');
  await res.close();
  await fam.close();
});

/* ---- a rejection ---- */

test('a rejected message shows the reason and the note to the sender, live, and never reaches the resident', TIMEOUT, async () => {
  const m = await send(family.client, 'Saturday', 'Tell Big J the thing is at the usual place.');
  const fam = await familyThread();
  await expectText(card(fam.page, m.id), /Waiting for the facility to review/);

  const rev = await reviewQueue();
  const item = queued(rev.page, m.id);
  await item.getByRole('button', { name: 'Reject' }).click();
  await item.getByRole('button', { name: 'Reject message' }).click();
  await expectText(item.locator('#f-rej-' + m.id + '-reason-error'), /Choose the reason/);
  await item.getByLabel('Reason').selectOption('coded_language');
  await item.getByLabel('Note to the sender (optional)').fill('Please write plainly, without nicknames.');
  await item.getByRole('button', { name: 'Reject message' }).click();
  await rev.page.getByText('Rejected: “Saturday” from Nina Moss. The sender sees the reason and your note.').waitFor();
  await expectCount(item, 0);
  await rev.close();

  await fam.page.locator(`[data-testid=thread] li[data-message-id="${m.id}"][data-status=rejected]`).waitFor();
  const text = await card(fam.page, m.id).textContent();
  assert.match(text, /Not delivered/);
  assert.match(text, /Reason: Coded or hidden language\./);
  assert.match(text, /Note from the facility: Please write plainly, without nicknames\./);
  assert.match(text, /You were not charged/);

  // Hiding it changes only this view, after a question that says so.
  await card(fam.page, m.id).getByRole('button', { name: 'Remove from my view' }).click();
  await expectText(card(fam.page, m.id).locator('.confirm-question'), /It was not delivered, and the facility keeps its record/);
  await card(fam.page, m.id).getByRole('button', { name: 'Yes, remove it' }).click();
  await fam.page.getByText('The message was removed from your view.').waitFor();
  await expectCount(card(fam.page, m.id), 0);
  const thread = (await family.client.get(`/messages?contact_id=${family.contactId}`)).body.items;
  assert.ok(!thread.some((x) => x.id === m.id), 'hidden from the sender');
  await fam.close();

  const inbox = (await resident.get('/messages?box=inbox')).body.items;
  assert.ok(!inbox.some((x) => x.id === m.id), 'the resident never sees a rejected message');
});

/* ---- the length limit ---- */

test('a message over the facility limit shows the limit, from the counter and from the server', TIMEOUT, async () => {
  const fam = await familyThread();
  const box = fam.page.getByLabel('Your message');
  await box.fill('a'.repeat(12501));
  const counter = fam.page.getByTestId('char-count');
  await expectText(counter, '12,501 of 12,500 characters: 1 too many');
  assert.match(await counter.getAttribute('class'), /char-count--over/);
  await fam.page.getByRole('button', { name: 'Send message' }).click();
  await expectText(fam.page.locator('#f-msg-body-error'), /The limit at this facility is 12,500 characters: shorten it by 1\./);
  assert.equal(await box.getAttribute('aria-invalid'), 'true');

  // The facility lowers its limit while the page is open: the server's answer is shown by the field.
  assert.equal((await operator.put(`/facilities/${county.id}/policy`, { profile: 'jpay', review: 'all', message_max_chars: 40 })).status, 200);
  try {
    await box.fill('This message is longer than forty characters, by a little.');
    await fam.page.getByRole('button', { name: 'Send message' }).click();
    await fam.page.locator('#f-msg-body-error').getByText(/40/).waitFor();
    await expectText(fam.page.locator('#f-msg-body-error'), /40/);
  } finally {
    assert.equal((await operator.put(`/facilities/${county.id}/policy`, { profile: 'jpay', review: 'all' })).status, 200);
  }
  // Shorter now, under the original limit: it goes.
  await box.fill('Short and sweet.');
  await fam.page.getByRole('button', { name: 'Send message' }).click();
  await fam.page.getByText('Sent. Ray Moss gets it after the facility reviews it.').waitFor();
  await fam.close([/status of 422/]);
});

/* ---- photos ---- */

test('a photo shows a preview, uploads, goes with the message, is reviewed inline and arrives on the tablet', TIMEOUT, async () => {
  const fam = await familyThread();
  const picker = fam.page.locator('#f-msg-attachment_ids');
  // A file that is not a picture: the server's reason, on its tile.
  await picker.setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('this is not a picture') });
  const bad = fam.page.locator('.photo-tile[data-state=error]');
  await bad.waitFor();
  await expectText(bad, /not a JPEG, PNG or WebP/);
  await fam.page.getByLabel('Your message').fill('A photo of the garden.');
  await fam.page.getByRole('button', { name: 'Send message' }).click();
  await expectText(fam.page.locator('#f-msg-attachment_ids-error'), /Remove it, then send/);
  await bad.getByRole('button', { name: 'Remove notes.png' }).click();
  await expectCount(bad, 0);

  await picker.setInputFiles({ name: 'garden.png', mimeType: 'image/png', buffer: makePng() });
  const tile = fam.page.locator('.photo-tile[data-state=done]');
  await tile.waitFor();
  await expectText(tile, /Ready to send/);
  await fam.page.waitForFunction(() => {
    const img = document.querySelector('.photo-tile[data-state=done] img');
    return img && img.complete && img.naturalWidth === 48;
  });
  await fam.page.getByLabel('Subject (optional)').fill('The garden');
  await fam.page.getByRole('button', { name: 'Send message' }).click();
  await fam.page.getByText('Sent. Ray Moss gets it after the facility reviews it.').waitFor();
  await expectCount(fam.page.locator('.photo-tile'), 0, 'the picker is empty again');
  const newest = (await family.client.get('/messages?box=sent&limit=1')).body.items[0];
  const m = (await family.client.get(`/messages/${newest.id}`)).body;
  assert.equal(m.subject, 'The garden');
  assert.equal(m.attachment_ids.length, 1);
  const photoId = m.attachment_ids[0];
  const loaded = (page) => page.waitForFunction((id) => {
    const img = document.querySelector(`img[data-attachment-id="${id}"]`);
    return img && img.complete && img.naturalWidth === 48;
  }, photoId);
  await loaded(fam.page);

  const rev = await reviewQueue();
  await queued(rev.page, m.id).waitFor();
  await loaded(rev.page);
  await queued(rev.page, m.id).getByRole('button', { name: 'Approve' }).click();
  await rev.page.getByText('Approved: “The garden” from Nina Moss. It is delivered.').waitFor();
  await rev.close();

  const res = await tabletSignIn();
  await res.page.goto(`${base}/tablet?contact=${family.contactId}`);
  await card(res.page, m.id).waitFor();
  await loaded(res.page);
  await res.close();
  await fam.close([/status of 422/]);
});

/* ---- screening rules, held messages, bulk approval, a decision someone else made ---- */

test('screening rules: errors by the field; a held message is marked and first; bulk approve; another reviewer was faster', TIMEOUT, async () => {
  const admin = await signedInAs(adminEmail);
  await admin.page.goto(`${base}/review?tab=rules`);
  await admin.page.getByRole('heading', { name: 'Add a rule' }).waitFor();
  await admin.page.getByLabel('Kind of rule').selectOption('pattern');
  await admin.page.getByLabel('What to look for').fill('(unclosed');
  await admin.page.getByRole('button', { name: 'Add rule' }).click();
  await admin.page.locator('#f-rule-value-error').waitFor({ state: 'visible' });
  await expectText(admin.page.locator('#f-rule-value-error'), /not a valid pattern/);
  await admin.page.getByLabel('Kind of rule').selectOption('words');
  await admin.page.getByLabel('What to look for').fill('package, burner');
  await admin.page.getByLabel('When it matches').selectOption('hold');
  await admin.page.getByLabel('Note for reviewers (optional)').fill('Contraband talk');
  await admin.page.getByRole('button', { name: 'Add rule' }).click();
  await admin.page.getByText('Rule added: new messages matching “package, burner” are held.').waitFor();
  await expectText(admin.page.getByTestId('rules'), /Hold\s*Words\s*package, burner\s*Contraband talk/);

  const plain1 = await send(family.client, 'Plain one', 'Nothing special here.');
  const plain2 = await send(family.client, 'Plain two', 'Still nothing special.');
  const held = await send(family.client, 'About the box', 'I mailed a Package to the office.');

  const rev = await reviewQueue();
  const first = rev.page.locator('[data-testid=review-queue] > li').first();
  assert.equal(await first.getAttribute('data-message-id'), String(held.id), 'held messages come first');
  await expectText(first, /Held/);
  await expectText(first.locator('.rule-hits'), /Held by a words rule: Package/);
  await expectText(first.locator('.review-body mark'), 'Package');
  await shoot(rev.page, 'review-held');

  // Bulk: two plain ones.
  await queued(rev.page, plain1.id).getByRole('checkbox').check();
  await queued(rev.page, plain2.id).getByRole('checkbox').check();
  await rev.page.getByRole('button', { name: 'Approve selected (2)' }).click();
  await rev.page.getByText('2 messages approved.').waitFor();
  await expectCount(queued(rev.page, plain1.id), 0);
  await expectCount(queued(rev.page, plain2.id), 0);

  // The admin decides the held one first; the reviewer's click is told so, and it leaves the list.
  const adminApi = await signedInClient(base, { email: adminEmail, password: PASSWORD });
  assert.equal((await adminApi.post(`/review/${held.id}`, { decision: 'approve' })).status, 200);
  await queued(rev.page, held.id).getByRole('button', { name: 'Approve' }).click();
  await rev.page.getByText(/Another reviewer already decided this message\..*was taken off your list\./).waitFor();
  await expectCount(queued(rev.page, held.id), 0);
  await rev.close([/status of 409/]);

  // Reviewers read the rules and change nothing.
  const reader = await signedInAs(reviewerEmail);
  await reader.page.goto(`${base}/review?tab=rules`);
  await reader.page.getByTestId('rules').waitFor();
  await expectCount(reader.page.getByRole('heading', { name: 'Add a rule' }), 0);
  await expectCount(reader.page.getByTestId('rules').getByRole('button'), 0);
  await reader.close();

  const rule = admin.page.getByTestId('rules').locator('li').first();
  await rule.getByRole('button', { name: 'Remove' }).click();
  await rule.getByRole('button', { name: 'Yes, remove the rule' }).click();
  await admin.page.getByText('The words rule “package, burner” was removed.').waitFor();
  await admin.page.getByText('No screening rules.').waitFor();
  await admin.close([/status of 422/]);
});

/* ---- keeping a copy ---- */

test('the export downloads every message as JSON and as mbox', TIMEOUT, async () => {
  const fam = await signedInAs(family.email);
  await fam.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Messages' }).click();
  await fam.page.getByRole('heading', { name: 'Keep a copy of all your messages' }).waitFor();

  const [json] = await Promise.all([fam.page.waitForEvent('download'), fam.page.getByTestId('export-json').click()]);
  assert.equal(json.suggestedFilename(), 'kite-messages.json');
  const data = JSON.parse(readFileSync(await json.path(), 'utf8'));
  const subjects = data.messages.map((x) => x.subject);
  assert.ok(subjects.includes('Hello from Nina'), 'the first message is in the export');
  assert.ok(subjects.includes('Re: Hello from Nina'), 'the reply is in the export');
  assert.equal(data.count, data.messages.length);

  const [mbox] = await Promise.all([fam.page.waitForEvent('download'), fam.page.getByTestId('export-mbox').click()]);
  assert.equal(mbox.suggestedFilename(), 'kite-messages.mbox');
  const text = readFileSync(await mbox.path(), 'utf8');
  assert.match(text, /^From /);
  assert.match(text, /Subject: Hello from Nina/);
  await shoot(fam.page, 'messages-list');
  await fam.close();
});

/* ---- who may open what ---- */

test('the messaging pages answer signed out and for the wrong kind of account', TIMEOUT, async () => {
  const { page, close } = await openPage(PHONE);
  await page.goto(`${base}/messages`);
  await page.getByRole('heading', { name: 'You are not signed in' }).waitFor();
  await page.goto(`${base}/review`);
  await page.getByRole('heading', { name: 'Staff sign-in needed' }).waitFor();
  await close();

  const op = await signedInAs(OPERATOR);
  assert.deepEqual(await op.page.locator('.site-nav a').allTextContents(), ['Facilities', 'Review', 'Video visits', 'Investigate', 'Staff activity', 'Find a facility', 'Providers']);
  await op.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Review' }).click();
  await op.page.getByRole('heading', { name: 'Choose a facility to review' }).waitFor();
  await op.page.getByLabel('Facility', { exact: true }).fill('coleman county jail');
  await op.page.locator(`.picker-option[data-id="${county.id}"]`).click();
  await op.page.waitForURL(`${base}/review?facility=${county.id}`);
  await op.page.getByTestId('queue-metrics').waitFor();
  await op.page.goto(`${base}/messages`);
  await op.page.getByRole('heading', { name: 'This page is for family and friends' }).waitFor();
  await op.close();

  const fam = await signedInAs(family.email);
  await fam.page.goto(`${base}/review`);
  await fam.page.getByRole('heading', { name: 'This page is for message reviewers' }).waitFor();
  await fam.page.goto(`${base}/messages?contact=999999`);
  await fam.page.getByRole('heading', { name: 'This conversation does not exist' }).waitFor();
  await fam.close([/status of 404/]);
});

/* ---- messages are paid for ---- */

test('at 390 px, compose shows the price before sending; a rejected message says it was not charged, a delivered one what it cost', TIMEOUT, async () => {
  const p = await openPage(PHONE);
  await signInForm(p.page, base, family.email);
  await p.page.waitForURL((u) => !u.pathname.startsWith('/signin'));
  await p.page.goto(`${base}/messages?contact=${family.contactId}`);
  await p.page.getByRole('heading', { level: 1, name: 'Messages with Ray Moss' }).waitFor();
  const stamps = async () => (await family.client.get('/wallet')).body.bundles.find((b) => b.facility_id === county.id).balance;
  const before = await stamps();

  await p.page.getByLabel('Your message').fill('A page of news from home.');
  const quote = p.page.getByTestId('price-quote');
  await p.page.waitForFunction(() => /costs/.test(document.querySelector('[data-testid=price-quote]').textContent));
  await expectText(quote, `This message costs 1 stamp. You have ${before} stamps. It is only charged if it is delivered.`);
  // Longer than a page (2,500 characters): the price follows the text.
  await p.page.getByLabel('Your message').fill('x'.repeat(2600));
  await p.page.waitForFunction(() => /costs 2 stamps/.test(document.querySelector('[data-testid=price-quote]').textContent));
  await p.page.getByLabel('Your message').fill('Short again, one stamp.');
  await p.page.waitForFunction(() => /costs 1 stamp\./.test(document.querySelector('[data-testid=price-quote]').textContent));
  await p.page.getByRole('button', { name: 'Send message' }).click();
  await p.page.getByText('Sent. Ray Moss gets it after the facility reviews it.').waitFor();
  assert.equal(await stamps(), before - 1, 'the stamp is held');
  const sent = (await family.client.get('/messages?box=sent')).body.items[0];
  assert.equal(sent.body, 'Short again, one stamp.');
  await expectText(card(p.page, sent.id), /1 stamp is held until it is delivered/);

  // Rejected: the stamp comes back, and the card says so with when it was held and given back.
  const rejected = await operator.post(`/review/${sent.id}`, { decision: 'reject', reason: 'other', note: 'Please write again without the code words.' });
  assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
  await p.page.locator(`[data-testid=thread] li[data-message-id="${sent.id}"][data-status=rejected]`).waitFor();
  // The notice of the send is replaced, not left saying the message will arrive.
  await p.page.locator('.live .notice', { hasText: 'Your message was not delivered. You were not charged for it.' }).waitFor();
  const text = await card(p.page, sent.id).textContent();
  assert.match(text, /You were not charged for this message\./);
  assert.match(text, /1 stamp was held .+ and given back .+\./);
  assert.equal(await stamps(), before);

  // Delivered: what it cost.
  const m = await send(family.client, 'Paid', 'This one is delivered.');
  assert.equal((await operator.post(`/review/${m.id}`, { decision: 'approve' })).status, 200);
  await p.page.reload(); // sent from another client: this page learns of it on opening
  await p.page.locator(`[data-testid=thread] li[data-message-id="${m.id}"][data-status=delivered]`).waitFor();
  await p.page.waitForFunction((id) => /Cost: 1 stamp/.test(document.querySelector(`li[data-message-id="${id}"]`).textContent), m.id);
  assert.equal(await stamps(), before - 1);
  const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'no horizontal scrolling on a phone');
  await p.close();
});

test('at 390 px, a family member without stamps sees the price and what they have, and the 402 says what to do', TIMEOUT, async () => {
  const email = uniqueEmail('pat');
  assert.equal((await apiClient(base).post('/accounts',
    { email, password: PASSWORD, full_name: 'Pat Moss', phone: '555 010 4401' })).status, 201);
  await confirmEmail(join(tmp, 'kite.db'), email);
  const client = await signedInClient(base, { email, password: PASSWORD });
  assert.equal((await client.post('/contact-requests', { facility_id: county.id, resident_number: NUMBER })).status, 201);
  const pending = (await resident.get('/contact-requests')).body.items.find((q) => q.status === 'pending');
  assert.equal((await resident.post(`/contact-requests/${pending.id}/approve`)).status, 200);
  const contactId = (await client.get('/contacts')).body.items[0].id;

  const p = await openPage(PHONE);
  await signInForm(p.page, base, email);
  await p.page.waitForURL((u) => !u.pathname.startsWith('/signin'));
  await p.page.goto(`${base}/messages?contact=${contactId}`);
  await p.page.getByRole('heading', { level: 1, name: 'Messages with Ray Moss' }).waitFor();
  await p.page.getByLabel('Your message').fill('Hello Ray, it is Pat.');
  await p.page.waitForFunction(() => /costs/.test(document.querySelector('[data-testid=price-quote]').textContent));
  await expectText(p.page.getByTestId('price-quote'),
    'This message costs 1 stamp and you have 0 stamps. Buy stamps in your wallet before sending.');
  await p.page.getByRole('button', { name: 'Send message' }).click();
  await p.page.getByText('This message costs 1 stamp and you have 0. Buy stamps in your wallet, then send again.').waitFor();
  assert.equal((await client.get('/messages?box=sent')).body.items.length, 0, 'nothing was sent');
  assert.equal(await p.page.getByLabel('Your message').inputValue(), 'Hello Ray, it is Pat.', 'the text is kept to send later');
  await p.close([/status of 402/]); // the browser logs the refused send; the page itself said what happened
});

test('at 390 px, the sender withdraws a message waiting for review: the card says so and the stamp comes back', TIMEOUT, async () => {
  const stamps = async () => (await family.client.get('/wallet')).body.bundles.find((b) => b.facility_id === county.id).balance;
  const before = await stamps();
  const m = await send(family.client, 'Take it back', 'I will tell you on the phone instead.');
  assert.equal(await stamps(), before - 1, 'the stamp is held');
  const p = await openPage(PHONE);
  await signInForm(p.page, base, family.email);
  await p.page.waitForURL((u) => !u.pathname.startsWith('/signin'));
  await p.page.goto(`${base}/messages?contact=${family.contactId}`);
  await p.page.getByRole('heading', { level: 1, name: 'Messages with Ray Moss' }).waitFor();
  const c = card(p.page, m.id);
  await p.page.locator(`[data-testid=thread] li[data-message-id="${m.id}"][data-status=pending_review]`).waitFor();

  // The button asks first, in words, and saying no keeps the message as it was.
  await c.getByRole('button', { name: 'Withdraw', exact: true }).click();
  await expectText(c.locator('.confirm-question'),
    /^Withdraw this message\? Ray Moss will never get it and the facility will not review it\. The 1 stamp held for it is given back\./);
  await c.getByRole('button', { name: 'Keep the message' }).click();
  assert.equal(await stamps(), before - 1);
  await c.getByRole('button', { name: 'Withdraw', exact: true }).click();
  await c.getByRole('button', { name: 'Yes, withdraw it' }).click();

  const done = p.page.locator(`[data-testid=thread] li[data-message-id="${m.id}"][data-status=withdrawn]`);
  await done.waitFor();
  await p.page.locator('.live .notice', { hasText: 'Withdrawn. You were not charged for this message.' }).waitFor();
  const text = await done.textContent();
  assert.match(text, /Withdrawn\. You were not charged for this message\./);
  assert.match(text, /1 stamp was held .+ and given back .+\./);
  await expectCount(done.getByRole('button', { name: 'Withdraw', exact: true }), 0, 'nothing left to withdraw');
  assert.equal(await stamps(), before, 'the stamp is back');

  // It left the review queue and never reaches the resident.
  const q = await operator.get(`/review/queue?facility_id=${county.id}`);
  assert.ok(!q.body.items.some((x) => x.id === m.id), 'still in the review queue');
  assert.equal((await resident.get(`/messages/${m.id}`)).status, 404);

  // After a reload the card still says it.
  await p.page.reload();
  await done.waitFor();
  await expectText(done, /Withdrawn\. You were not charged for this message\./);
  const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'no horizontal scrolling on a phone');
  await p.close();
});
