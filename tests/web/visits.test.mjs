// Video visits in the browser (issue 14): a family member books a visit on /visits — picks a time
// shown in the facility's time and in their own, sees the price before anything is held, books,
// and the price is held from the balance; then cancels it and gets it back.  The same in Spanish.
// A booked visit is moved to a 20-minute slot (the new price and the refund shown before the move)
// and then to a 45-minute one (what more is held), in English and Spanish, and the resident moves
// the visit asked for on the tablet (the refund goes back to the trust account).
// Staff approve a booking on /staff/visits.  More than a page of visits (101) shows the first 100
// and a "More visits" button for the rest, on the tablet and on the staff page.  axe-core at a desktop and at 360 px, and nothing
// scrolls sideways at 360 px.  A real kite server, a real `kite processor-sandbox`, real Chromium.
//
// Run from the repository root:  node --test tests/web/visits.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, CHROMIUM, PASSWORD, SHOTS, DESKTOP, startServer, stopServer, kiteCli, launchBrowser, newPage,
  apiClient, signedInClient, uniqueEmail, assertAccessible, startSandbox, stopSandbox, fundContact, fundResident, confirmEmail,
  signInForm, signInRequest, expectText, expectCount,
} from './helpers.mjs';

const NARROW = { width: 360, height: 740 };
const ES = { locale: 'es-US', chosen: 'es' };
const ZONE = 'America/Los_Angeles';
const LONG = { timeout: 240_000 };

let server;
let sandbox;
let base;
let browser;
let tmp;
let db;
let prison;
let operatorEmail;
let operator;
let resident;
let roomId;
const RESIDENT = { number: 'E8001', pin: '864213' };

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/* A family-and-friends account with a confirmed address and money, connected to Eva (or another resident). */
async function family(name, { number = RESIDENT.number, approver = null } = {}) {
  const email = uniqueEmail('visit-family');
  const made = await apiClient(base).post('/accounts', { email, password: PASSWORD, full_name: name, phone: '+1 555 010 4000' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  await confirmEmail(db, email);
  const client = await signedInClient(base, { email, password: PASSWORD });
  await fundContact(client, prison.id, 'stamps', 10);
  const asked = await client.post('/contact-requests', { facility_id: prison.id, resident_number: number });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  assert.equal((await (approver || resident).post(`/contact-requests/${asked.body.id}/approve`)).status, 200);
  return { client, email, name };
}

/* A weekly slot (30 minutes unless told) whose next occurrence starts at ms, in the facility's time. */
async function slotAt(roomId, ms, length = 30) {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(ms));
  const part = (t) => parts.find((x) => x.type === t).value;
  const res = await operator.post(`/facilities/${prison.id}/visit-slots`, {
    room_id: roomId, weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(part('weekday')),
    start_time: `${part('hour')}:${part('minute')}`, length_minutes: length, capacity: 3,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
}

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}: build it (ninja -C build) or set KITE_BIN`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-visits-'));
  mkdirSync(SHOTS, { recursive: true });
  sandbox = await startSandbox();
  const started = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  server = started.child;
  base = started.url;
  db = join(tmp, 'kite.db');
  operatorEmail = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', db, '--role', 'operator', '--email', operatorEmail, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  operator = await signedInClient(base, { email: operatorEmail, password: PASSWORD });
  const found = await apiClient(base).get(`/facilities?q=${encodeURIComponent('avenal state prison')}`);
  prison = found.body.items.find((x) => x.name === 'AVENAL STATE PRISON');
  assert.ok(prison);
  assert.equal((await operator.put(`/facilities/${prison.id}/policy`, { profile: 'jpay' })).status, 201);
  assert.equal((await operator.put(`/facilities/${prison.id}/visit-policy`, { time_zone: ZONE })).status, 200);
  const room = await operator.post(`/facilities/${prison.id}/visit-rooms`, { name: 'Kiosk 1' });
  assert.equal(room.status, 201, JSON.stringify(room.body));
  roomId = room.body.id;
  const base2 = Math.floor((Date.now() + 2 * 86400000) / 60000) * 60000;
  await slotAt(room.body.id, base2);
  await slotAt(room.body.id, base2 + 3 * 3600000);
  const added = await operator.post(`/facilities/${prison.id}/residents`,
    { resident_number: RESIDENT.number, first_name: 'Eva', last_name: 'Marsh', pin: RESIDENT.pin });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  await fundResident(operator, added.body.id);
  resident = await signedInClient(base, { facility_id: prison.id, resident_number: RESIDENT.number, pin: RESIDENT.pin });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  stopSandbox(sandbox);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const WORDS = {
  en: {
    title: 'Video visits', quote: 'See the price', book: /^Book and hold/, facilityTime: `facility time (${ZONE})`,
    booked: 'Booked. The facility still has to approve it', cancel: 'Cancel visit', yes: 'Yes, cancel it', cancelled: 'Visit cancelled.',
    waiting: 'Waiting for approval', upcoming: 'Upcoming visits',
  },
  es: {
    title: 'Visitas por video', quote: 'Ver el precio', book: /^Reservar y retener/, facilityTime: `hora del centro (${ZONE})`,
    booked: 'Reservada. El centro todavía debe aprobarla', cancel: 'Cancelar la visita', yes: 'Sí, cancelarla', cancelled: 'Visita cancelada.',
    waiting: 'Esperando aprobación', upcoming: 'Próximas visitas',
  },
};

async function bookInPage(lang, who, { cancel }) {
  const words = WORDS[lang];
  const opened = await newPage(browser, DESKTOP, lang === 'es' ? ES : undefined);
  const { page } = opened;
  if (lang === 'en') {
    await signInForm(page, base, who.email);
    await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: words.title }).click();
  } else {
    const res = await signInRequest(opened.context, base, who.email);
    assert.equal(res.status(), 201);
    await page.goto(`${base}/visits`);
  }
  await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
  const times = page.getByTestId('visit-times');
  await times.locator('input[type="radio"]').first().waitFor();
  await assertAccessible(page, `${lang} /visits, choosing a time`);
  const before = (await who.client.get('/wallet')).body.balance_cents;
  // The first time on offer: its label names the facility's time and zone, and the viewer's.
  const label = times.locator('label').first();
  assert.ok((await label.innerText()).includes(words.facilityTime), await label.innerText());
  await times.locator('input[type="radio"]:not([disabled])').first().check();
  await page.getByTestId('visit-quote').click();
  const summary = page.getByTestId('visit-summary');
  await summary.waitFor();
  const price = (await who.client.get('/facilities/' + prison.id + '/prices')).body.phone.video_cents_per_minute * 30;
  assert.equal((await who.client.get('/wallet')).body.balance_cents, before, 'the price is shown before anything is held');
  await assertAccessible(page, `${lang} /visits, the price`);
  await page.setViewportSize(NARROW);
  assert.equal(await overflow(page), 0, `${lang} /visits scrolls sideways at 360 px`);
  await page.screenshot({ path: join(SHOTS, `visits-quote-${lang}-narrow.png`), fullPage: true });
  await page.getByRole('button', { name: words.book }).click();
  await page.locator('.live').getByText(words.booked).waitFor();
  assert.equal((await who.client.get('/wallet')).body.balance_cents, before - price, 'the price shown is the price held');
  const mine = (await who.client.get('/visits?box=upcoming')).body.items;
  assert.equal(mine.length, 1);
  const card = page.getByTestId(`visit-${mine[0].id}`);
  await card.getByText(words.waiting).waitFor();
  await assertAccessible(page, `${lang} /visits, booked`);
  if (cancel) {
    await card.getByRole('button', { name: words.cancel }).click();
    await card.getByRole('button', { name: words.yes }).click();
    await page.locator('.live').getByText(words.cancelled).waitFor();
    assert.equal((await who.client.get('/wallet')).body.balance_cents, before, 'a cancellation gives everything back');
  }
  await opened.close();
  return mine[0];
}

test('a family member books a visit in English, sees the price first, and cancels it', LONG, async () => {
  const who = await family('Frank Marsh');
  await bookInPage('en', who, { cancel: true });
});

test('the same in Spanish; staff approve it on /staff/visits', LONG, async () => {
  const who = await family('Rosa Marsh');
  const v = await bookInPage('es', who, { cancel: false });
  const opened = await newPage(browser, DESKTOP);
  const { page } = opened;
  await signInForm(page, base, operatorEmail);
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  await page.goto(`${base}/staff/visits?facility=${prison.id}`);
  await page.getByRole('heading', { level: 1, name: 'Video visits' }).waitFor();
  await page.getByTestId(`visit-approve-${v.id}`).first().waitFor();
  await assertAccessible(page, '/staff/visits');
  await page.getByTestId(`visit-approve-${v.id}`).first().click();
  await page.locator('.live').getByText('Approved.').waitFor();
  assert.equal((await who.client.get(`/visits/${v.id}`)).body.state, 'approved');
  await page.setViewportSize(NARROW);
  assert.equal(await overflow(page), 0, '/staff/visits scrolls sideways at 360 px');
  await opened.close();
});

test('the resident asks for a visit from the tablet, paid from the trust account', LONG, async () => {
  const opened = await newPage(browser, NARROW);
  const { page, context } = opened;
  const res = await context.request.post(`${base}/api/v1/sessions`,
    { data: { facility_id: prison.id, resident_number: RESIDENT.number, pin: RESIDENT.pin } });
  assert.equal(res.status(), 201);
  await page.goto(`${base}/tablet`);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Video visits' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your video visits' }).waitFor();
  const before = (await resident.get('/wallet')).body.balance_cents;
  const times = page.getByTestId('visit-times');
  await times.locator('input[type="radio"]:not([disabled])').last().check();
  await page.getByTestId('visit-quote').click();
  await page.getByTestId('visit-summary').getByText('held from your trust account').waitFor();
  await assertAccessible(page, '/tablet/visits, the price');
  assert.equal(await overflow(page), 0, '/tablet/visits scrolls sideways at 360 px');
  await page.getByRole('button', { name: /^Book and hold/ }).click();
  await page.locator('.live').getByText('Booked. The facility still has to approve it').waitFor();
  const mine = (await resident.get('/visits?box=upcoming')).body.items;
  const asked = mine.find((v) => v.payer === 'resident_trust');
  assert.ok(asked, JSON.stringify(mine));
  assert.equal((await resident.get('/wallet')).body.balance_cents, before - asked.price_cents, 'held from the trust account');
  await opened.close();
});

/* Moves visit v in the page to the opening starting at startsAt: the new price and the difference first. */
async function moveInPage(page, who, v, startsAt, words, lang) {
  const card = page.getByTestId(`visit-${v.id}`);
  await card.getByRole('button', { name: words.move }).click();
  const panel = page.getByTestId(`visit-move-panel-${v.id}`);
  const label = panel.locator('label').filter({ hasText: words.minutes });
  await label.first().waitFor();
  // Pick the opening that starts at startsAt: its radio's index is the opening's in the list.
  const openings = (await who.client.get(`/facilities/${prison.id}/visit-slots`)).body.openings
    .filter((o) => o.places_left > 0 && !(o.starts_at === v.starts_at && o.slot_id === v.slot_id));
  const index = openings.findIndex((o) => o.starts_at === startsAt);
  assert.ok(index >= 0, `no opening at ${startsAt} in ${JSON.stringify(openings.map((o) => o.starts_at))}`);
  await panel.locator(`input[type="radio"][value="${index}"]`).check();
  await assertAccessible(page, `${lang} /visits, moving a visit`);
  const before = (await who.client.get('/wallet')).body;
  await page.getByTestId(`visit-move-quote-${v.id}`).click();
  await page.getByTestId(`visit-move-summary-${v.id}`).waitFor();
  const price = await page.getByTestId(`visit-move-price-${v.id}`).innerText();
  const difference = await page.getByTestId(`visit-move-difference-${v.id}`).innerText();
  assert.deepEqual((await who.client.get('/wallet')).body, before, 'the new price is shown before anything moves');
  await assertAccessible(page, `${lang} /visits, the new price`);
  await page.screenshot({ path: join(SHOTS, `visits-move-${lang}.png`), fullPage: true });
  await page.getByTestId(`visit-move-confirm-${v.id}`).click();
  await page.locator('.live').getByText(words.moved).waitFor();
  const after = (await who.client.get(`/visits/${v.id}`)).body;
  assert.equal(after.starts_at, startsAt);
  return { price, difference, before, after };
}

test('moving a visit to a shorter slot shows the refund first, and to a longer one what more is held (English, Spanish)', LONG, async () => {
  const base3 = Math.floor((Date.now() + 3 * 86400000) / 60000) * 60000;
  await slotAt(roomId, base3, 30);
  await slotAt(roomId, base3 + 2 * 3600000, 20);
  await slotAt(roomId, base3 + 4 * 3600000, 45);
  const at = (ms) => new Date(ms).toISOString();
  const who = await family('Nora Marsh');
  const rate = (await who.client.get('/facilities/' + prison.id + '/prices')).body.phone.video_cents_per_minute;
  const contactId = (await who.client.get('/contacts')).body.items[0].id;
  const made = await who.client.post('/visits', { contact_id: contactId, starts_at: at(base3) });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const usd = (c) => `$${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;

  let opened = await newPage(browser, DESKTOP);
  await signInForm(opened.page, base, who.email);
  await opened.page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  await opened.page.goto(`${base}/visits`);
  await opened.page.getByRole('heading', { level: 1, name: 'Video visits' }).waitFor();
  const en = { move: 'Move visit', minutes: '20 minutes', moved: 'Visit moved.' };
  let seen = await moveInPage(opened.page, who, made.body, at(base3 + 2 * 3600000), en, 'en');
  assert.match(seen.price, new RegExp(`New price: \\${usd(20 * rate)} \\(20 minutes`));
  assert.match(seen.difference, new RegExp(`You will get \\${usd(10 * rate)} back on your balance`));
  assert.equal(seen.after.held_cents, 20 * rate);
  assert.equal((await who.client.get('/wallet')).body.balance_cents, seen.before.balance_cents + 10 * rate, 'the refund shown is the refund made');
  await opened.close();

  opened = await newPage(browser, NARROW, ES);
  assert.equal((await signInRequest(opened.context, base, who.email)).status(), 201);
  await opened.page.goto(`${base}/visits`);
  await opened.page.getByRole('heading', { level: 1, name: 'Visitas por video' }).waitFor();
  const es = { move: 'Mover la visita', minutes: '45 minutos', moved: 'Visita cambiada.' };
  seen = await moveInPage(opened.page, who, seen.after, at(base3 + 4 * 3600000), es, 'es');
  assert.match(seen.price, new RegExp(`Nuevo precio: \\${usd(45 * rate)} \\(45 minutos`));
  assert.match(seen.difference, new RegExp(`Se retendrán \\${usd(25 * rate)} más de su saldo`));
  assert.equal(seen.after.held_cents, 45 * rate);
  assert.equal((await who.client.get('/wallet')).body.balance_cents, seen.before.balance_cents - 25 * rate, 'the difference shown is the difference held');
  assert.equal(await overflow(opened.page), 0, 'es /visits, moving, scrolls sideways at 360 px');
  await opened.close();
});

test('the resident moves the visit asked for on the tablet: the refund to the trust account is shown first', LONG, async () => {
  const asked = (await resident.get('/visits?box=upcoming')).body.items.find((v) => v.payer === 'resident_trust' && v.length_minutes === 30);
  assert.ok(asked, 'the visit asked for on the tablet (the test before)');
  const rate = asked.rate_cents_per_minute;
  const usd = (c) => `$${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
  const shorter = (await resident.get(`/facilities/${prison.id}/visit-slots`)).body.openings
    .find((o) => o.length_minutes === 20 && o.places_left > 0);
  assert.ok(shorter, 'a 20-minute opening (the test before)');
  const opened = await newPage(browser, NARROW);
  const { page, context } = opened;
  const res = await context.request.post(`${base}/api/v1/sessions`,
    { data: { facility_id: prison.id, resident_number: RESIDENT.number, pin: RESIDENT.pin } });
  assert.equal(res.status(), 201);
  await page.goto(`${base}/tablet/visits`);
  await page.getByRole('heading', { level: 1, name: 'Your video visits' }).waitFor();
  const words = { move: 'Move visit', minutes: '20 minutes', moved: 'Visit moved.' };
  const seen = await moveInPage(page, { client: resident }, asked, shorter.starts_at, words, 'tablet');
  assert.match(seen.price, new RegExp(`New price: \\${usd(20 * rate)} \\(20 minutes`));
  assert.match(seen.difference, new RegExp(`You will get \\${usd(10 * rate)} back on your trust account`));
  assert.equal(seen.after.payer, 'resident_trust');
  assert.equal(seen.after.held_cents, 20 * rate);
  assert.equal((await resident.get('/wallet')).body.balance_cents, seen.before.balance_cents + 10 * rate, 'back in the trust account');
  assert.equal(await overflow(page), 0, '/tablet/visits, moving, scrolls sideways at 360 px');
  await opened.close();
});

test('the tablet hears of a visit change: the visits link is marked until looked at, and the open list offers the latest', LONG, async () => {
  const base4 = Math.floor((Date.now() + 4 * 86400000) / 60000) * 60000;
  await slotAt(roomId, base4, 30);
  await slotAt(roomId, base4 + 2 * 3600000, 30);
  const who = await family('Ada Marsh');
  const contactId = (await who.client.get('/contacts')).body.items[0].id;
  const ids = [];
  for (const ms of [base4, base4 + 2 * 3600000]) {
    const made = await who.client.post('/visits', { contact_id: contactId, starts_at: new Date(ms).toISOString() });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    ids.push(made.body.id);
  }
  const opened = await newPage(browser, NARROW);
  const { page, context } = opened;
  const res = await context.request.post(`${base}/api/v1/sessions`,
    { data: { facility_id: prison.id, resident_number: RESIDENT.number, pin: RESIDENT.pin } });
  assert.equal(res.status(), 201);
  await page.goto(`${base}/tablet`);
  const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Video visits/ });
  await link.waitFor();
  await expectCount(page.getByTestId('visit-news-badge'), 0, 'nothing new yet');
  // Staff approve the first visit: the tablet's visits link is marked, and says so to a screen reader.
  assert.equal((await operator.post(`/visits/${ids[0]}/approve`, {})).status, 200);
  const badge = page.getByTestId('visit-news-badge');
  await badge.waitFor({ timeout: 15_000 });
  assert.match(await badge.innerText(), /1/);
  await expectText(badge, /1 visit change/);
  await assertAccessible(page, '/tablet, a visit changed');
  // Looking at the visits clears the mark.
  await link.click();
  await page.getByRole('heading', { level: 1, name: 'Your video visits' }).waitFor();
  await page.getByTestId(`visit-${ids[0]}`).waitFor();
  await expectCount(page.getByTestId('visit-news-badge'), 0, 'seen');
  // A change while the list is open: said, with a button that shows it; the list is not redrawn under the hands.
  assert.equal((await operator.post(`/visits/${ids[1]}/decline`, { reason: 'The kiosk is being repaired.' })).status, 200);
  const show = page.getByTestId('visit-news-show');
  await show.waitFor({ timeout: 15_000 });
  await page.getByTestId('visit-news').getByText('One of your visits changed.').waitFor();
  await assertAccessible(page, '/tablet/visits, a visit changed');
  await show.click();
  await page.getByTestId(`visit-${ids[1]}`).getByText('Declined').waitFor();
  await expectCount(page.getByTestId('visit-news-show'), 0, 'the notice goes once shown');
  await expectCount(page.getByTestId('visit-news-badge'), 0, 'and no mark while looking');
  await opened.close();
});

test('more than a page of visits: the tablet and the staff page show the first 100, and "More visits" the rest', LONG, async () => {
  // A resident and a room of their own, so no earlier test's visit is in the way; last in the file,
  // so the 101 pending visits are in no earlier test's way either.
  const lena = { number: 'E8002', pin: '975312' };
  const added = await operator.post(`/facilities/${prison.id}/residents`,
    { resident_number: lena.number, first_name: 'Lena', last_name: 'Park', pin: lena.pin });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  await fundResident(operator, added.body.id, 30000);
  const tablet = await signedInClient(base, { facility_id: prison.id, resident_number: lena.number, pin: lena.pin });
  await family('Tom Park', { number: lena.number, approver: tablet });
  const room = await operator.post(`/facilities/${prison.id}/visit-rooms`, { name: 'Kiosk 9' });
  assert.equal(room.status, 201, JSON.stringify(room.body));
  for (let weekday = 0; weekday < 7; weekday++) {
    for (let q = 0; q < 12; q++) {
      const made = await operator.post(`/facilities/${prison.id}/visit-slots`, {
        room_id: room.body.id, weekday, start_time: `06:${String(q * 5).padStart(2, '0')}`, length_minutes: 5, capacity: 1,
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
    }
  }
  const contactId = (await tablet.get('/contacts')).body.items[0].id;
  const openings = (await tablet.get(`/facilities/${prison.id}/visit-slots`)).body.openings
    .filter((o) => o.room_id === room.body.id && o.places_left > 0);
  assert.ok(openings.length >= 101, `openings in Kiosk 9: ${openings.length}`);
  for (const o of openings.slice(0, 101)) {
    const b = await tablet.post('/visits', { contact_id: contactId, starts_at: o.starts_at, slot_id: o.slot_id });
    assert.equal(b.status, 201, JSON.stringify(b.body));
  }

  const opened = await newPage(browser, NARROW);
  const { page, context } = opened;
  const res = await context.request.post(`${base}/api/v1/sessions`,
    { data: { facility_id: prison.id, resident_number: lena.number, pin: lena.pin } });
  assert.equal(res.status(), 201);
  await page.goto(`${base}/tablet/visits`);
  await page.getByRole('heading', { level: 1, name: 'Your video visits' }).waitFor();
  const upcoming = page.locator('section[aria-labelledby="visits-upcoming"]');
  await upcoming.locator('.visit-card').first().waitFor();
  await expectCount(upcoming.locator('.visit-card'), 100, 'the first page');
  const more = upcoming.getByTestId('visits-more');
  await assertAccessible(page, '/tablet/visits, more than a page');
  await more.click();
  await upcoming.locator('.visit-card').nth(100).waitFor();
  await expectCount(upcoming.locator('.visit-card'), 101, 'and the rest');
  assert.equal(await more.isHidden(), true, 'nothing more to show');
  await opened.close();

  // Staff: everything waiting for approval, a page at a time.
  let waiting = 0;
  let cursor = null;
  const to = encodeURIComponent(new Date(Date.now() + 91 * 86400000).toISOString());
  do {
    const page1 = (await operator.get(`/facilities/${prison.id}/visits?state=pending&to=${to}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body;
    waiting += page1.items.length;
    cursor = page1.next_cursor;
  } while (cursor);
  assert.ok(waiting > 100, `more than a page waits: ${waiting}`);
  const staff = await newPage(browser, DESKTOP);
  await signInForm(staff.page, base, operatorEmail);
  await staff.page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  await staff.page.goto(`${base}/staff/visits?facility=${prison.id}`);
  const section = staff.page.locator('section[aria-labelledby="visits-waiting"]');
  await section.locator('.visit-card').first().waitFor();
  await expectCount(section.locator('.visit-card'), 100, 'the first page waiting');
  await section.getByTestId('visits-more').click();
  await section.locator('.visit-card').nth(waiting - 1).waitFor();
  await expectCount(section.locator('.visit-card'), waiting, 'every visit waiting, each once');
  await assertAccessible(staff.page, '/staff/visits, more than a page');
  await staff.close();
});
