// A Spanish reader (browser language es-US) on the resident's shared tablet and on a family
// member's money pages: the tablet sign-in with its language switch and form errors, the
// resident's home (a request declined after a confirmation, an invitation sent and cancelled),
// the trust account, the idle countdown and the idle sign-out; the family's wallet (a top-up with
// the price said before paying), sending money (the fee before the button) and phone accounts
// (the FCC-capped rate, no fee on a deposit).  Every page: <html lang="es">, Spanish words, money
// and dates for es-US, no console error, no axe-core violation, no sideways scrolling at 360 px.
//
// Run from the repository root:
//   KITE_BIN=build/src/kite node --test --test-reporter=tap tests/web/spanish-tablet-money.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHROMIUM, KITE_BIN, SHOTS, PASSWORD, TIMEOUT, DESKTOP, startServer, stopServer, kiteCli, launchBrowser, newPage,
  apiClient, signedInClient, uniqueEmail, startSandbox, stopSandbox, fundResident, assertAccessible, expectText,
} from './helpers.mjs';

// A Spanish reader who picked Spanish here (the accounts are made in English by the API).
const ES = { locale: 'es-US', chosen: 'es' };
const NARROW = { width: 360, height: 740 };
const RESIDENT = '12345-678';
const PIN = '482107';

let server;
let sandbox;
let base;
let browser;
let tmp;
let fed; // FCI ALICEVILLE: federal profile (phone 11¢ a minute, a money-transfer fee), both ways to connect, idle after 2 minutes
let family; // { email, client }

/* Money as a Spanish reader in the United States reads it: "$1,234.50". */
const MONEY = /\$\d{1,3}(,\d{3})*\.\d{2}/;
/* A date as formatDate writes it in es-US: "4 de diciembre de 2026". */
const LONG_DATE = /\d{1,2} de [a-zé]+ de \d{4}/;

async function overflowAt360(page, what) {
  const size = page.viewportSize();
  await page.setViewportSize(NARROW);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, `${what} scrolls sideways at 360 px in Spanish`);
  await page.screenshot({ path: join(SHOTS, `es-${what.replace(/\W+/g, '-')}-360.png`), fullPage: true });
  await page.setViewportSize(size);
}

async function spanishPage(page, what) {
  assert.equal(await page.getAttribute('html', 'lang'), 'es', `${what}: <html lang="es">`);
  await page.waitForLoadState('networkidle');
  await assertAccessible(page, `${what} in Spanish`);
  await overflowAt360(page, what);
}

async function tabletSignIn(page) {
  await page.goto(`${base}/tablet`);
  await page.getByLabel('Su centro').fill('FCI ALICEVILLE');
  await page.locator(`.picker-option[data-id="${fed}"]`).click();
  await page.getByLabel('Su número de residente').fill(RESIDENT);
  await page.getByLabel('Su PIN').fill(PIN);
  await page.getByRole('button', { name: 'Iniciar sesión', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Hola, Rosa' }).waitFor();
}

/* The family member signs in on /signin, found by the fields' names (that page is not this test's). */
async function familySignIn(page) {
  await page.goto(`${base}/signin`);
  await page.locator('input[name=email]').fill(family.email);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.locator('input[name=password]').press('Enter');
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}: build it or set KITE_BIN`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-es-tablet-'));
  mkdirSync(SHOTS, { recursive: true });
  sandbox = await startSandbox();
  const started = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  server = started.child;
  base = started.url;
  const opEmail = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', join(tmp, 'kite.db'), '--role', 'operator', '--email', opEmail, '--name', 'Olive Operator'],
    `${PASSWORD}\n`);
  const operator = await signedInClient(base, { email: opEmail, password: PASSWORD });
  fed = (await apiClient(base).get(`/facilities?q=${encodeURIComponent('FCI ALICEVILLE')}&limit=10`)).body.items
    .find((f) => f.name === 'FCI ALICEVILLE').id;
  const put = await operator.put(`/facilities/${fed}/policy`, { profile: 'federal', contact_initiation: 'both', tablet_idle_minutes: 2 });
  assert.ok([200, 201].includes(put.status), JSON.stringify(put.body));
  const added = await operator.post(`/facilities/${fed}/residents`,
    { resident_number: RESIDENT, first_name: 'Rosa', last_name: 'Vega', pin: PIN });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  await fundResident(operator, added.body.id, 5000);

  // A family member with $40.00 on the Kite balance, and a stranger who asks to write to Rosa.
  family = { email: uniqueEmail('familia') };
  assert.equal((await apiClient(base).post('/accounts',
    { email: family.email, password: PASSWORD, full_name: 'Lucía Vega', phone: '+1 555 010 4100' })).status, 201);
  // Paying needs a confirmed address: the support command line confirms it (kite user verify-email).
  await kiteCli(['user', 'verify-email', '--db', join(tmp, 'kite.db'), family.email]);
  family.client = await signedInClient(base, { email: family.email, password: PASSWORD });
  const card = { number: '4242 4242 4242 4242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' };
  const top = await family.client.post('/wallet/top-ups', { amount_cents: 4000, card }, { 'Idempotency-Key': `es-top-${process.pid}` });
  assert.equal(top.status, 201, JSON.stringify(top.body));
  const stranger = { email: uniqueEmail('extrano'), password: PASSWORD };
  assert.equal((await apiClient(base).post('/accounts', { ...stranger, full_name: 'Lee Stone', phone: '+1 555 010 4101' })).status, 201);
  const asked = await (await signedInClient(base, stranger)).post('/contact-requests', { facility_id: fed, resident_number: RESIDENT });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  stopSandbox(sandbox);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the tablet in Spanish: sign-in with its language switch and errors, the home, a declined request, an invitation, the trust account', TIMEOUT, async () => {
  const { page, close } = await newPage(browser, DESKTOP, ES);
  await page.goto(`${base}/tablet`);
  await page.getByRole('heading', { level: 1, name: 'Iniciar sesión en la tableta' }).waitFor();
  assert.match(await page.title(), /Iniciar sesión en la tableta/);
  await page.getByText('Para las personas que viven en un centro. Use su número de residente y su PIN.').waitFor();
  await page.getByRole('link', { name: 'Use el inicio de sesión para familiares' }).waitFor();

  // The language switch is on the tablet's sign-in page, and works both ways.
  const toEnglish = page.getByTestId('lang-switch');
  assert.ok(await toEnglish.isVisible(), 'the language switch is visible on the tablet sign-in');
  assert.equal((await toEnglish.textContent()).trim(), 'English');
  await toEnglish.click();
  await page.getByRole('heading', { level: 1, name: 'Sign in on the tablet' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.getByTestId('lang-switch').click();
  await page.getByRole('heading', { level: 1, name: 'Iniciar sesión en la tableta' }).waitFor();
  await spanishPage(page, 'tablet sign-in');

  // Form errors, in Spanish.
  await page.getByRole('button', { name: 'Iniciar sesión', exact: true }).click();
  await page.getByText('Primero elija su centro.').waitFor();
  await page.getByLabel('Su centro').fill('FCI ALICEVILLE');
  await page.locator(`.picker-option[data-id="${fed}"]`).click();
  await expectText(page.getByTestId('tablet-facility'), /^CentroFCI ALICEVILLECambiar de centro$/);
  await page.getByRole('button', { name: 'Iniciar sesión', exact: true }).click();
  await expectText(page.locator('#f-tab-resident_number-error'), /Escriba su número de residente\./);
  await expectText(page.locator('#f-tab-pin-error'), /Escriba su PIN\./);
  await assertAccessible(page, 'the tablet sign-in with its errors in Spanish');

  // The home.
  await page.getByLabel('Su número de residente').fill(RESIDENT);
  await page.getByLabel('Su PIN').fill(PIN);
  await page.getByRole('button', { name: 'Iniciar sesión', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Hola, Rosa' }).waitFor();
  assert.match(await page.title(), /Su inicio/);
  await page.getByText(`FCI ALICEVILLE · número de residente ${RESIDENT}`).waitFor();
  await page.getByRole('heading', { name: 'Sus mensajes' }).waitFor();
  await page.getByText('Cuando tenga un contacto, sus mensajes con esa persona aparecerán aquí.').waitFor();
  await page.getByRole('heading', { name: 'Sus contactos' }).waitFor();
  await page.getByText(/^0 de \d+ lugares ocupados\.$/).waitFor();
  await page.getByText('Si nadie la toca durante 2 minutos, la tableta cierra su sesión sola.', { exact: false }).waitFor();
  const trust = page.getByTestId('trust-summary');
  await trust.getByText(/^Saldo \$\d+\.\d{2}$/).waitFor();
  // Terminal time (5¢ a minute here) is said in Spanish, in es-US money.
  await page.getByTestId('terminal-notice')
    .getByText(/^Tiempo de terminal: \$0\.05 por minuto de su cuenta de fondos \(le quedan \$\d+\.\d{2}\)\.$/).waitFor();
  await trust.getByRole('link', { name: 'Ver su estado de cuenta' }).waitFor();
  await spanishPage(page, 'tablet home');

  // A request declined, after a question in Spanish.
  await page.getByRole('heading', { name: 'Personas que piden escribirle (1)' }).waitFor();
  const request = page.getByTestId('pending-requests');
  await expectText(request, /Lo pidió el \d{1,2} de [a-zé]+ de \d{4}\./);
  await request.getByRole('button', { name: 'Aprobar a Lee Stone' }).waitFor();
  await request.getByRole('button', { name: 'Rechazar', exact: true }).click();
  await expectText(request.locator('.confirm-question'),
    '¿Rechazar a Lee Stone? No podrá escribirle. Puede volver a pedirlo más tarde.');
  await request.getByRole('button', { name: 'Mantener la solicitud' }).waitFor();
  await assertAccessible(page, 'the tablet asking before declining, in Spanish');
  await request.getByRole('button', { name: 'Sí, rechazar' }).click();
  await page.getByText('Rechazó a Lee Stone.').waitFor();
  await page.getByText('Nadie espera su respuesta.').waitFor();

  // An invitation: a form error, sent, then cancelled after a question.
  await page.getByRole('heading', { name: 'Invitar a alguien' }).waitFor();
  await page.getByRole('button', { name: 'Enviar invitación' }).click();
  await page.getByText('Escriba el correo electrónico de la persona.').waitFor();
  await page.getByLabel('Correo electrónico de la persona').fill('no-es-un-correo');
  await page.getByRole('button', { name: 'Enviar invitación' }).click();
  await page.getByText('Escriba un correo electrónico como nombre@ejemplo.com.').waitFor();
  const invited = uniqueEmail('invitada');
  await page.getByLabel('Correo electrónico de la persona').fill(invited);
  await page.getByRole('button', { name: 'Enviar invitación' }).click();
  await page.getByText(new RegExp(`^Invitación enviada a ${invited.replace(/\./g, '\\.')}\\. Sirve hasta el \\d{1,2} de [a-zé]+ de \\d{4}\\.$`)).waitFor();
  const invitations = page.getByTestId('invitations');
  await expectText(invitations, /Enviada el \d{1,2} de [a-zé]+ de \d{4} · sirve hasta el/);
  await invitations.getByRole('button', { name: 'Cancelar invitación' }).click();
  await expectText(invitations.locator('.confirm-question'),
    `¿Cancelar la invitación a ${invited}? El enlace de su correo dejará de funcionar. Puede volver a invitar a esta persona más tarde.`);
  await invitations.getByRole('button', { name: 'Mantenerla' }).waitFor();
  await invitations.getByRole('button', { name: 'Sí, cancelarla' }).click();
  await page.getByText(`La invitación a ${invited} quedó cancelada.`).waitFor();

  // The trust account.
  await trust.getByRole('link', { name: 'Ver su estado de cuenta' }).click();
  await page.getByRole('heading', { level: 1, name: 'Su cuenta de fondos' }).waitFor();
  assert.match(await page.title(), /Su cuenta de fondos/);
  await expectText(page.getByTestId('trust-balance'), /^Saldo\$\d+\.\d{2}Retenido para mensajes aún no entregados y visitas por video pendientes\$0\.00$/);
  const statement = page.getByTestId('trust-statement');
  await expectText(statement, /\d{1,2} de [a-zé]+ de \d{4}.* · recibido \$50\.00 · saldo después \$50\.00/);
  await page.getByRole('link', { name: 'Descargar el estado de cuenta (CSV)' }).waitFor();
  await page.getByRole('link', { name: 'Volver a su inicio' }).waitFor();
  await spanishPage(page, 'tablet trust account');
  await close();
});

test('the idle countdown and the idle sign-out, in Spanish', TIMEOUT, async () => {
  const { page, close } = await newPage(browser, DESKTOP, ES);
  await page.clock.install();
  await tabletSignIn(page);
  await page.waitForLoadState('networkidle');
  await page.clock.runFor(65_000);
  const banner = page.getByRole('alertdialog', { name: '¿Sigue ahí?' });
  await banner.waitFor();
  await expectText(page.locator('#idle-text'), /^Por su privacidad, esta tableta cerrará su sesión en 0:5\d\.$/);
  await banner.getByRole('button', { name: 'Sigo aquí' }).waitFor();
  await assertAccessible(page, 'the idle countdown in Spanish');
  await page.screenshot({ path: join(SHOTS, 'es-tablet-idle-countdown.png') });

  // Left alone: signed out; the sign-in says why, still in Spanish (the browser's language).
  await page.clock.runFor(70_000);
  await page.waitForURL(`${base}/tablet?signed_out=idle&minutes=2`);
  await expectText(page.getByTestId('idle-signed-out'),
    'Nadie usó la tableta durante 2 minutos, así que cerró la sesión. No queda nada de la última persona en ella.');
  assert.doesNotMatch(await page.textContent('body'), /Rosa/);
  await page.getByRole('heading', { level: 1, name: 'Iniciar sesión en la tableta' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'es');
  await assertAccessible(page, 'the tablet sign-in after an idle sign-out, in Spanish');
  await close();
});

test('a family member\'s wallet, sending money and phone accounts in Spanish, with prices before paying', TIMEOUT, async () => {
  const { page, close } = await newPage(browser, DESKTOP, ES);
  await familySignIn(page);

  // The wallet: balance, a top-up with its price said before the button, a form error, a payment.
  await page.goto(`${base}/wallet`);
  await page.getByRole('heading', { level: 1, name: 'Su billetera' }).waitFor();
  assert.match(await page.title(), /Su billetera/);
  await expectText(page.getByTestId('wallet-balance'), /^Saldo\$40\.00Retenido para mensajes aún no entregados y visitas por video pendientes\$0\.00$/);
  await page.getByRole('heading', { name: 'Agregar dinero' }).waitFor();
  const topUp = page.getByTestId('topup-form');
  const amountHint = await page.locator('#f-topup-amount_cents-hint').textContent();
  assert.match(amountHint, new RegExp(`^De ${MONEY.source} a ${MONEY.source}\\.$`));
  await expectText(page.getByTestId('topup-summary'), 'Le cobraremos $25.00 a su tarjeta y agregaremos $25.00 a su saldo.');
  await topUp.getByRole('button', { name: 'Pagar $25.00' }).waitFor();
  await topUp.getByLabel('Monto en dólares').fill('99.5');
  await expectText(page.getByTestId('topup-summary'), 'Le cobraremos $99.50 a su tarjeta y agregaremos $99.50 a su saldo.');
  await topUp.getByLabel('Monto en dólares').fill('doce');
  await expectText(page.getByTestId('topup-summary'), /^Escriba un monto de \$.* a \$.*\.$/);
  await topUp.getByRole('button', { name: 'Pagar', exact: true }).click();
  await expectText(page.locator('#f-topup-amount_cents-error'), /Escriba un monto de \$[\d.,]+ a \$[\d.,]+, por ejemplo 25\.00\./);
  await topUp.getByLabel('Monto en dólares').fill('12.50');
  await topUp.getByLabel('Número de tarjeta').fill('4242 4242 4242 4242');
  await topUp.getByLabel('Mes de vencimiento (1–12)').fill('12');
  await topUp.getByLabel('Año de vencimiento (4 dígitos)').fill(String(new Date().getUTCFullYear() + 2));
  await topUp.getByLabel('Código de seguridad (CVC)').fill('123');
  await topUp.getByRole('button', { name: 'Pagar $12.50' }).click();
  await page.getByTestId('topup-result').getByText(/^Agregamos \$12\.50 con su tarjeta .+ terminada en 4242\.$/).waitFor();
  // The result is written before the wallet is read again: wait for the new balance.
  await page.getByTestId('wallet-balance').getByText('$52.50', { exact: true }).waitFor();
  await expectText(page.getByTestId('wallet-balance'), /^Saldo\$52\.50/);
  const walletStatement = await page.getByTestId('wallet-statement').textContent();
  assert.match(walletStatement, new RegExp(`${LONG_DATE.source} · agregado \\$12\\.50 · saldo \\$52\\.50`));
  await page.getByRole('link', { name: 'Descargar el estado de cuenta (CSV)' }).waitFor();
  await spanishPage(page, 'family wallet');

  // Sending money: the fee and the total before the button.
  await page.getByRole('link', { name: 'Enviar dinero a alguien en un centro' }).click();
  await page.getByRole('heading', { level: 1, name: 'Enviar dinero' }).waitFor();
  await page.getByText('Todavía no ha enviado dinero.').waitFor();
  await expectText(page.getByTestId('money-quote'),
    'Elija el centro; después escriba el número de residente y un monto para ver el cargo.');
  await page.getByRole('button', { name: 'Enviar', exact: true }).click();
  await page.getByText('Primero elija el centro.').waitFor();
  await expectText(page.locator('#f-money-resident_number-error'), /Escriba el número de residente de la persona\./);
  await page.getByLabel('Centro de la persona').fill('FCI ALICEVILLE');
  await page.locator(`.picker-option[data-id="${fed}"]`).click();
  await page.getByLabel('Su número de residente').fill(RESIDENT);
  await page.getByLabel('Su apellido').fill('Vega');
  await page.getByTestId('money-quote').getByText(/^Cargo: \$\d+\.\d{2}\. Su saldo paga \$\d+\.\d{2}: \$20\.00 para la cuenta de fondos de la persona y \$\d+\.\d{2} de cargo del centro\.$/).waitFor();
  await page.getByRole('button', { name: /^Enviar \$20\.00 \(total \$\d+\.\d{2}\)$/ }).waitFor();
  await spanishPage(page, 'family send money');
  await page.getByRole('button', { name: /^Enviar \$20\.00 \(total/ }).click();
  await page.getByText(/^Enviamos \$20\.00 a Rosa Vega\. Cargo: \$\d+\.\d{2}; su saldo ahora es \$\d+\.\d{2}\.$/).waitFor();
  await expectText(page.getByTestId('money-history'),
    new RegExp(`\\$20\\.00 a Rosa Vega \\(${RESIDENT}\\)${LONG_DATE.source} · cargo \\$\\d+\\.\\d{2} · total \\$\\d+\\.\\d{2}`));

  // Phone accounts: the FCC-capped rate and "no fee" before the deposit button.
  await page.goto(`${base}/phone`);
  await page.getByRole('heading', { level: 1, name: 'Cuentas telefónicas' }).waitFor();
  await page.getByText('Todavía no tiene una cuenta telefónica. Abra una abajo.').waitFor();
  await expectText(page.getByTestId('phone-kite-balance'),
    /^Su saldo de Kite: \$\d+\.\d{2}\. Los depósitos salen de ese saldo y los reembolsos vuelven a él\. Agregar dinero a su saldo$/);
  await page.getByRole('button', { name: 'Abrir la cuenta telefónica' }).click();
  await page.getByText('Primero elija el centro.').waitFor();
  await page.getByLabel('Centro', { exact: true }).fill('FCI ALICEVILLE');
  await page.locator(`.picker-option[data-id="${fed}"]`).click();
  await page.getByText('Centro: FCI ALICEVILLE').waitFor();
  await page.getByLabel('Número de teléfono al que llama la persona').fill('12');
  await page.getByRole('button', { name: 'Abrir la cuenta telefónica' }).click();
  await page.getByText('Escriba el número de teléfono, por ejemplo (415) 555-0123.').waitFor();
  await page.getByLabel('Número de teléfono al que llama la persona').fill('(415) 555-0142');
  await page.getByRole('button', { name: 'Abrir la cuenta telefónica' }).click();
  await page.getByText('Abrimos una cuenta telefónica para +14155550142. Deposite dinero en ella para que las llamadas se puedan conectar.').waitFor();
  const phoneCard = page.getByRole('region', { name: 'FCI ALICEVILLE · +14155550142' });
  await expectText(phoneCard.getByTestId('phone-balance'), 'Saldo telefónico$0.00Tarifa$0.11 por minuto o fracción');
  await expectText(phoneCard.getByTestId('phone-deposit-summary'),
    'Sacaremos $10.00 de su saldo de Kite y pondremos $10.00 en la cuenta telefónica. Sin cargo: todo el depósito va a la cuenta telefónica. La FCC prohíbe cobrar cargos por los depósitos telefónicos.');
  await phoneCard.getByRole('button', { name: 'Depositar $10.00' }).click();
  await page.getByText('Depositamos $10.00, sin cargo. El saldo telefónico ahora es $10.00.').waitFor();
  await page.getByText('Todavía no hay llamadas.').waitFor();
  await phoneCard.getByRole('button', { name: 'Reembolsar $10.00 a mi saldo de Kite' }).click();
  await expectText(phoneCard.locator('.confirm-question'),
    '¿Devolver todo el saldo telefónico, $10.00, a su saldo de Kite? Las llamadas a +14155550142 no se conectarán hasta que vuelva a depositar.');
  await phoneCard.getByRole('button', { name: 'Cancelar' }).waitFor();
  await spanishPage(page, 'family phone accounts');
  await phoneCard.getByRole('button', { name: 'Sí, reembolsar' }).click();
  await page.getByText('Reembolsamos $10.00 a su saldo de Kite, sin cargo.').waitFor();
  await close();
});
