// A phone 360 px wide: no page scrolls sideways, even for a family member with a long name and a
// long email address (the header, the account page, contacts, messages, wallet, the search), and the
// header stays compact so the page's own content starts on the first screen.
//
// Run from the repository root:  node --test --test-reporter=tap tests/web/narrow.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHROMIUM, SHOTS, TIMEOUT, startServer, stopServer, launchBrowser, newPage, apiClient, signInForm,
} from './helpers.mjs';

const NARROW = { width: 360, height: 740 };
const LONG_NAME = 'Maria-Guadalupe Fernández-Villaseñor de la Concepción Rodríguez';

let server;
let base;
let browser;
let tmp;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-narrow-'));
  mkdirSync(SHOTS, { recursive: true });
  const started = await startServer(tmp);
  server = started.child;
  base = started.url;
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

test('at 360 px nothing scrolls sideways, with a long name and email; the header is compact', TIMEOUT, async () => {
  const email = `maria.guadalupe.fernandez.villasenor.${Date.now()}@a-very-long-family-domain-name.example.org`;
  const made = await apiClient(base).post('/accounts', {
    email, password: 'a calm river 2026', full_name: LONG_NAME, phone: '+1 555 010 3002',
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const { page, close } = await newPage(browser, NARROW);
  await signInForm(page, base, email, 'a calm river 2026');
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  for (const path of ['/account', '/contacts', '/messages', '/wallet', '/', '/providers', '/?q=cook%20county%20jail']) {
    await page.goto(`${base}${path}`);
    await page.locator('h1').first().waitFor();
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(SHOTS, `narrow${path.replace(/[/?=%]/g, '-') || '-home'}.png`), fullPage: true });
    assert.equal(await overflow(page), 0, `${path} scrolls sideways at 360 px`);
    const header = await page.locator('header').first().boundingBox();
    assert.ok(header.height <= 140, `${path}: the header takes ${header.height} px of a 740 px screen`);
  }
  await close();
});
