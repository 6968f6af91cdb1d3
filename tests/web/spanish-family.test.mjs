// A Spanish reader (browser locale es-US) on the shell and the family pages: the header, footer
// and notices, sign in and create an account (with their errors), forgot and reset password,
// the account, contacts (empty, with a request, with an invitation), accepting an invitation,
// and the providers page, all in Spanish with dates and money formatted for es-US; axe-core finds
// no violation; nothing scrolls sideways at 360 px; and the language switch in the header
// (Español / English) is remembered by the browser.  A real kite server and Chromium.
//
// Run from the repository root:  node --test --test-reporter=tap tests/web/spanish-family.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, CHROMIUM, SHOTS, PASSWORD, TIMEOUT, DESKTOP, startServer, stopServer, kiteCli, launchBrowser, newPage,
  apiClient, signedInClient, uniqueEmail, assertAccessible, expectText,
} from './helpers.mjs';

const ES = { locale: 'es-US' };
const NARROW = { width: 360, height: 740 };
/* "4 de diciembre de 2026" */
const LONG_DATE = /\d{1,2} de [a-záéíóú]+ de \d{4}/;

let server;
let base;
let browser;
let tmp;
let db;
let jpay; // AVENAL STATE PRISON: families send requests
let federal; // FCI DUBLIN: residents invite by email

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}: build it or set KITE_BIN`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-spanish-family-'));
  db = join(tmp, 'kite.db');
  mkdirSync(SHOTS, { recursive: true });
  const started = await startServer(tmp);
  server = started.child;
  base = started.url;
  const opEmail = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', db, '--role', 'operator', '--email', opEmail, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  const operator = await signedInClient(base, { email: opEmail, password: PASSWORD });
  const find = async (q, name) => (await apiClient(base).get(`/facilities?q=${encodeURIComponent(q)}`)).body.items
    .find((x) => x.name === name);
  jpay = await find('avenal state prison', 'AVENAL STATE PRISON');
  federal = await find('fci dublin', 'FCI DUBLIN');
  assert.ok(jpay && federal, 'the directory has both facilities');
  assert.equal((await operator.put(`/facilities/${jpay.id}/policy`, { profile: 'jpay' })).status, 201);
  assert.equal((await operator.put(`/facilities/${federal.id}/policy`, { profile: 'federal' })).status, 201);
  for (const [f, number, first, last] of [[jpay, 'S1001', 'Sofía', 'Reyes'], [federal, '12345-678', 'Tomás', 'Reyes']]) {
    const made = await operator.post(`/facilities/${f.id}/residents`, { resident_number: number, first_name: first, last_name: last, pin: '864213' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
  }
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const text = (page, selector) => page.locator(selector).first().innerText();
const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/* The page is Spanish, and at 360 px it does not scroll sideways; back to the desktop after. */
async function narrowCheck(page, what) {
  await page.setViewportSize(NARROW);
  await page.waitForTimeout(50);
  await page.screenshot({ path: join(SHOTS, `es-${what}-360.png`), fullPage: true });
  const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className} “${(el.textContent || '').trim().slice(0, 40)}”`).slice(0, 5));
  assert.equal(await overflow(page), 0, `${what} scrolls sideways at 360 px in Spanish: ${wide.join('; ')}`);
  await page.setViewportSize(DESKTOP);
}

/* The token of the newest invitation email to this address, from the outbox. */
function invitationToken(email) {
  const rows = execFileSync('sqlite3', [db, `SELECT text_body FROM outbox WHERE kind='invitation' AND to_address='${email}' ORDER BY id`],
    { encoding: 'utf8' });
  const all = [...rows.matchAll(/\/invitations\/accept\?token=([0-9a-f]+)/g)];
  assert.ok(all.length, `an invitation email to ${email} is in the outbox`);
  return all[all.length - 1][1];
}

test('signed out in Spanish: the header, footer, sign-in, registration and password pages, providers, not found', TIMEOUT, async () => {
  const visitor = await newPage(browser, DESKTOP, ES);
  const { page } = visitor;
  await page.goto(`${base}/`);
  await page.locator('h1').first().waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'es');
  // The site's own title (pages replace it with theirs).
  assert.equal(await page.evaluate(async () => {
    (await import('/dom.js')).setTitle(null);
    return document.title;
  }), 'Kite — cómo enviar mensajes a alguien en prisión o en la cárcel');
  assert.match(await page.getAttribute('meta[name="description"]', 'content'), /^Averigüe qué plataforma/);
  await expectText(page.locator('.skip-link'), 'Ir al contenido principal');
  assert.match(await text(page, '.site-footer'), /^Kite es software de código abierto/);
  const nav = page.getByRole('navigation', { name: 'Principal' });
  await nav.getByRole('link', { name: 'Buscar un centro' }).waitFor();
  await nav.getByRole('link', { name: 'Proveedores' }).waitFor();
  await page.locator('header').getByRole('link', { name: 'Iniciar sesión' }).waitFor();
  await page.locator('header').getByRole('link', { name: 'Crear cuenta' }).waitFor();
  await expectText(page.getByTestId('lang-switch'), 'English');
  // Money and numbers as Spanish readers in the United States see them.
  const formatted = await page.evaluate(async () => {
    const m = await import('/i18n.js');
    return [m.formatMoney(123450), m.formatCount(13000), m.formatDate('2026-12-04T15:00:00Z')];
  });
  assert.deepEqual(formatted, ['$1,234.50', '13,000', '4 de diciembre de 2026']);

  await page.goto(`${base}/providers`);
  await page.getByRole('heading', { level: 1, name: 'Proveedores' }).waitFor();
  assert.equal(await page.title(), 'Proveedores — Kite');
  assert.match(await text(page, '.lead'), /^Cada prisión o cárcel usa una empresa/);
  await page.getByRole('link', { name: 'Busque primero el centro' }).waitFor();
  await page.getByRole('heading', { name: 'Cómo empezar en Kite' }).waitFor();
  await assertAccessible(page, 'providers in Spanish');
  await narrowCheck(page, 'providers');

  await page.goto(`${base}/register`);
  await page.getByRole('heading', { level: 1, name: 'Crear una cuenta' }).waitFor();
  await page.getByLabel('Nombre completo').waitFor();
  await page.getByText('Incluya el código de área.').waitFor();
  await page.getByText('Al menos 10 caracteres.', { exact: false }).waitFor();
  await page.getByLabel('Mostrar contraseña').waitFor();
  await page.locator('form').getByRole('button', { name: 'Crear cuenta' }).click();
  await page.getByText('Escriba su nombre completo.').waitFor();
  await page.getByText('Escriba su correo electrónico.').waitFor();
  await page.getByText('Escriba un número de teléfono.').waitFor();
  assert.match(await text(page, '#f-password-error'), /Elija una contraseña de al menos 10 caracteres\. La suya tiene 0\./);
  await assertAccessible(page, 'register in Spanish, with its errors');
  await narrowCheck(page, 'register');

  await page.goto(`${base}/signin`);
  await page.getByRole('heading', { level: 1, name: 'Iniciar sesión' }).waitFor();
  await page.getByRole('link', { name: '¿Olvidó su contraseña?' }).waitFor();
  await page.getByRole('link', { name: 'Cree una, es gratis' }).waitFor();
  assert.match(await page.locator('.after-form').nth(1).innerText(), /^¿Todavía no tiene una cuenta\? Cree una, es gratis\.$/);
  await page.locator('form').getByRole('button', { name: 'Iniciar sesión' }).click();
  await page.getByText('Escriba el correo electrónico con el que se registró.').waitFor();
  await page.getByText('Escriba su contraseña.').waitFor();
  await assertAccessible(page, 'sign-in in Spanish, with its errors');
  await narrowCheck(page, 'signin');

  await page.goto(`${base}/forgot-password`);
  await page.getByRole('heading', { level: 1, name: 'Olvidó su contraseña' }).waitFor();
  await page.getByLabel('Correo electrónico').fill('nadie@example.org');
  await page.getByRole('button', { name: 'Enviarme un enlace' }).click();
  await page.getByText('Si una cuenta de Kite usa nadie@example.org, le enviamos un enlace').waitFor();
  await assertAccessible(page, 'forgot password in Spanish, sent');

  await page.goto(`${base}/reset-password?token=abc`);
  await page.getByRole('heading', { level: 1, name: 'Elija una contraseña nueva' }).waitFor();
  await page.getByText('Este enlace no está completo.', { exact: false }).waitFor();
  await page.getByRole('link', { name: 'Pida un enlace nuevo.' }).waitFor();

  await page.goto(`${base}/account`);
  await page.getByRole('heading', { level: 1, name: 'No ha iniciado sesión' }).waitFor();
  await page.getByText('Inicie sesión para ver su cuenta.').waitFor();

  await page.goto(`${base}/invitations/accept`);
  await page.getByRole('heading', { level: 1, name: 'Este enlace de invitación está incompleto' }).waitFor();
  await page.goto(`${base}/invitations/accept?token=${'ab'.repeat(16)}`);
  await page.getByRole('heading', { level: 1, name: 'Lo invitaron a Kite' }).waitFor();
  await page.getByText('Volverá a esta página. Oprima “Aceptar invitación”.').waitFor();
  await page.getByRole('link', { name: 'Crear una cuenta gratis' }).waitFor();
  await assertAccessible(page, 'an invitation, signed out, in Spanish');

  await page.goto(`${base}/no-such-page`);
  await page.getByRole('heading', { level: 1, name: 'Esta página no existe' }).waitFor();
  assert.equal(await page.title(), 'Página no encontrada — Kite');
  await visitor.close();
});

test('a Spanish family member registers, sees their account and contacts, and accepts an invitation', TIMEOUT, async () => {
  const fam = await newPage(browser, DESKTOP, ES);
  const { page } = fam;
  const email = uniqueEmail('familia');
  await page.goto(`${base}/register`);
  await page.getByLabel('Nombre completo').fill('Rosa Reyes');
  await page.getByLabel('Correo electrónico').fill(email);
  await page.getByLabel('Número de teléfono').fill('+1 555 010 2000');
  await page.getByLabel('Contraseña', { exact: true }).fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Crear cuenta' }).click();
  await page.waitForURL(`${base}/account`);
  await page.getByText('Le damos la bienvenida, Rosa Reyes. Su cuenta está lista y ya inició sesión.').waitFor();
  const famApi = await signedInClient(base, { email, password: PASSWORD });
  const me = (await famApi.get('/me')).body;
  if ('lang' in me) assert.equal(me.lang, 'es', 'registering in Spanish keeps Spanish for the account');

  // The header, signed in.
  await page.getByRole('navigation', { name: 'Principal' }).getByRole('link', { name: 'Mensajes' }).waitFor();
  await page.getByRole('navigation', { name: 'Principal' }).getByRole('link', { name: 'Sus contactos' }).waitFor();
  await expectText(page.locator('.account-chip'), /^Sesión iniciada como Rosa ReyesFamiliar o amigo$/);
  await page.locator('header').getByRole('button', { name: 'Cerrar sesión' }).waitFor();

  // The account page.
  await page.getByRole('heading', { level: 1, name: 'Su cuenta' }).waitFor();
  assert.equal(await page.title(), 'Su cuenta — Kite');
  const details = await page.getByTestId('account-details').innerText();
  assert.match(details, /Tipo de cuenta\s+Familiar o amigo/);
  assert.match(details, new RegExp(`Miembro desde\\s+${LONG_DATE.source}`));
  await page.getByRole('heading', { name: 'Siguiente paso' }).waitFor();
  await page.getByRole('link', { name: 'Su billetera' }).waitFor();
  const passwordForm = page.getByRole('form', { name: 'Cambie su contraseña' });
  await passwordForm.getByLabel('Contraseña actual').fill(PASSWORD);
  await passwordForm.getByLabel('Contraseña nueva', { exact: true }).fill('corta');
  await passwordForm.getByRole('button', { name: 'Cambiar contraseña' }).click();
  await page.getByText('Elija una contraseña de al menos 10 caracteres. La suya tiene 5.').waitFor();
  await page.getByRole('button', { name: 'Cerrar sesión en todos los dispositivos' }).waitFor();
  const deleteCard = page.getByTestId('delete-account-card');
  await deleteCard.getByRole('heading', { name: 'Eliminar su cuenta' }).waitFor();
  await deleteCard.getByLabel('Escriba DELETE para confirmar').waitFor();
  await deleteCard.getByRole('button', { name: 'Eliminar mi cuenta' }).click();
  await deleteCard.getByText('Escriba DELETE en letras mayúsculas.').waitFor();
  await assertAccessible(page, 'the account page in Spanish, with an error');
  await narrowCheck(page, 'account');

  // Contacts, empty.
  await page.goto(`${base}/contacts`);
  await page.getByRole('heading', { level: 1, name: 'Sus contactos' }).waitFor();
  await page.getByText('Todavía no hay nadie.', { exact: false }).waitFor();
  await page.getByText('No ha enviado ninguna solicitud.').waitFor();
  await page.getByRole('heading', { name: 'Agregar a alguien' }).waitFor();
  await assertAccessible(page, 'contacts in Spanish, empty');

  // A request on its way, and an invitation from another facility.
  assert.equal((await famApi.post('/contact-requests', { facility_id: jpay.id, resident_number: 'S1001' })).status, 201);
  const resident = await signedInClient(base, { facility_id: federal.id, resident_number: '12345-678', pin: '864213' });
  assert.equal((await resident.post('/invitations', { email })).status, 201);
  await page.reload();
  await page.getByRole('heading', { name: 'Invitaciones para usted (1)' }).waitFor();
  await page.getByRole('heading', { name: 'Tomás Reyes lo invitó' }).waitFor();
  assert.match(await page.getByTestId('invitations').innerText(), new RegExp(`Le enviamos la invitación a ${email.replace(/\./g, '\\.')}\\. .* antes del ${LONG_DATE.source}\\.`));
  const requests = await page.getByTestId('requests').innerText();
  assert.match(requests, /Esperando respuesta/);
  assert.match(requests, /Número de residente S1001/);
  assert.match(requests, new RegExp(`Enviada el ${LONG_DATE.source}`));
  await page.getByText('1 solicitud espera la respuesta de la persona que está adentro.').waitFor();
  await assertAccessible(page, 'contacts in Spanish, with a request and an invitation');
  await narrowCheck(page, 'contacts');

  // Accepting the invitation.
  await page.goto(`${base}/invitations/accept?token=${invitationToken(email)}`);
  await page.getByRole('heading', { level: 1, name: 'Acepte la invitación' }).waitFor();
  await page.getByText(`Inició sesión como Rosa Reyes (${email}).`).waitFor();
  await page.getByRole('button', { name: 'Cerrar sesión y usar otra cuenta' }).waitFor();
  await assertAccessible(page, 'accepting an invitation in Spanish');
  await narrowCheck(page, 'invitation');
  await page.getByRole('button', { name: 'Aceptar invitación' }).click();
  await page.waitForURL(`${base}/contacts`);
  await page.getByText('Aceptó la invitación. Tomás Reyes, en FCI DUBLIN, ahora es su contacto.').waitFor();
  const card = page.getByTestId('contacts').locator('li').first();
  assert.match(await card.innerText(), /Activo/);
  assert.match(await card.innerText(), /Número de residente 12345-678/);
  await card.getByRole('link', { name: 'Escribir a Tomás' }).waitFor();
  await card.getByRole('button', { name: 'Bloquear' }).click();
  await page.getByText('¿Bloquear a Tomás Reyes?').waitFor();
  await page.getByRole('button', { name: 'Sí, bloquear a Tomás Reyes' }).waitFor();
  await assertAccessible(page, 'contacts in Spanish, asking before blocking');
  await page.getByRole('button', { name: 'Mantener como contacto' }).click();
  await card.getByRole('button', { name: 'Bloquear' }).waitFor();

  // Signing out.
  await page.locator('header').getByRole('button', { name: 'Cerrar sesión' }).click();
  await page.getByText('Cerró su sesión. Para volver a usar Kite, inicie sesión.').waitFor();
  await fam.close();
});

test('the language switch: a Spanish reader picks English, an English reader picks Spanish; the browser remembers', TIMEOUT, async () => {
  const es = await newPage(browser, DESKTOP, ES);
  await es.page.goto(`${base}/signin`);
  await es.page.getByRole('heading', { level: 1, name: 'Iniciar sesión' }).waitFor();
  assert.equal(await es.page.getAttribute('html', 'lang'), 'es');
  const toEnglish = es.page.getByTestId('lang-switch');
  await expectText(toEnglish, 'English');
  assert.equal(await toEnglish.getAttribute('lang'), 'en');
  await toEnglish.click();
  await es.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  assert.equal(await es.page.getAttribute('html', 'lang'), 'en');
  await expectText(es.page.getByTestId('lang-switch'), 'Español');
  // A new tab in the same browser follows the choice, though the browser asks for Spanish.
  const tab = await es.context.newPage();
  await tab.goto(`${base}/providers`);
  await tab.getByRole('heading', { level: 1, name: 'Providers' }).waitFor();
  assert.equal(await tab.getAttribute('html', 'lang'), 'en');
  await tab.close();
  await es.close();

  const en = await newPage(browser, DESKTOP);
  await en.page.goto(`${base}/providers`);
  await en.page.getByRole('heading', { level: 1, name: 'Providers' }).waitFor();
  assert.equal(await en.page.getAttribute('html', 'lang'), 'en');
  await en.page.getByRole('button', { name: /^Español/ }).click();
  await en.page.getByRole('heading', { level: 1, name: 'Proveedores' }).waitFor();
  assert.equal(await en.page.getAttribute('html', 'lang'), 'es');
  await en.page.getByRole('navigation', { name: 'Principal' }).getByRole('link', { name: 'Buscar un centro' }).waitFor();
  await en.page.reload();
  await en.page.getByRole('heading', { level: 1, name: 'Proveedores' }).waitFor();
  await en.close();
});
