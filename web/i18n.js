// The page's words in the reader's language: English or Spanish.
//
// Design: gettext style.  The English sentence is its own key: t('Sign in') is 'Sign in' in
// English and the Spanish catalogue's entry in Spanish, so English needs no catalogue and a
// sentence still reads in English when a Spanish entry is missing (tests/web/i18n.test.mjs
// fails the build for that).  Placeholders are {name}, filled from an object, never string
// concatenation around t(): word order differs between the languages.  Words kept in tables
// (labels.js) are marked N_('...') so the catalogue test finds them, and are translated with
// t(value) where they are shown.
//
// The language is chosen once, when the page loads: the one the person picked (localStorage,
// so every tab and later visits follow it), else the browser's first English or Spanish
// preference, else English.  The Spanish catalogue is loaded with top-level await, before any
// module that imports this one runs, so even words computed when a module loads are right.
// Changing language saves the choice (and the account's `lang`, by the caller) and reloads.
//
// Dates, numbers and money are formatted for the language (es-US: "4 de diciembre de 2026",
// "$1,234.50", as Spanish readers in the United States see them).

export const LANGUAGES = [
  ['en', 'English'],
  ['es', 'Español'],
];
const LANG_KEY = 'kite.lang';

function stored() {
  try {
    const v = localStorage.getItem(LANG_KEY);
    return v === 'en' || v === 'es' ? v : null;
  } catch {
    return null;
  }
}

function fromBrowser() {
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ''];
  for (const tag of prefs) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base === 'en' || base === 'es') return base;
  }
  return 'en';
}

const current = stored() || fromBrowser();
const catalogue = current === 'es' ? (await import('./i18n/es.js')).default : null;
document.documentElement.lang = current;

/* True when the person picked the language on this device (rather than the browser's default). */
export const chosenHere = () => stored() !== null;

/* 'en' or 'es'. */
export const lang = () => current;
/* The locale for Intl formatting. */
export const locale = () => (current === 'es' ? 'es-US' : 'en-US');

function fill(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/* A sentence in the reader's language, with {name} placeholders filled from params. */
export function t(text, params) {
  const said = catalogue && Object.prototype.hasOwnProperty.call(catalogue, text) ? catalogue[text] : text;
  return fill(said, params);
}

/* Marks a table's English words for the catalogue; translated later with t(). */
export const N_ = (text) => text;

const pluralRules = new Intl.PluralRules(locale());

/*
 * A sentence with a count: one form for 1, another for the rest ({n} is the count, formatted).
 * tn(n, '{n} message', '{n} messages').
 */
export function tn(n, one, other, params) {
  const form = pluralRules.select(n) === 'one' ? one : other;
  return t(form, { n: formatCount(n), ...params });
}

/*
 * A sentence with elements in it: tp('Use {provider} to write.', { provider: link }) gives
 * ['Use ', link, ' to write.'] in English, in the Spanish order in Spanish, for h(...).
 */
export function tp(text, parts) {
  const said = t(text);
  const out = [];
  let last = 0;
  for (const m of said.matchAll(/\{(\w+)\}/g)) {
    if (!(m[1] in parts)) continue;
    if (m.index > last) out.push(said.slice(last, m.index));
    out.push(parts[m[1]]);
    last = m.index + m[0].length;
  }
  if (last < said.length) out.push(said.slice(last));
  return out;
}

/* Saves the language for this browser and shows the page again in it. */
export function chooseLanguage(code) {
  if (code !== 'en' && code !== 'es') return;
  try {
    localStorage.setItem(LANG_KEY, code);
  } catch {
    /* storage blocked: the choice lasts for this page only */
  }
  if (code !== current) location.reload();
}

/* Forgets a choice made on this device (a shared tablet after sign-out). */
export function forgetLanguage() {
  try {
    localStorage.removeItem(LANG_KEY);
  } catch {
    /* nothing was kept */
  }
}

/* ---- numbers, money, dates ---- */

const numbers = new Intl.NumberFormat(locale());
export const formatCount = (n) => numbers.format(n);

const money = new Intl.NumberFormat(locale(), { style: 'currency', currency: 'USD' });
/* Integer cents as dollars: "$3.50"; negative amounts with a minus sign. */
export const formatMoney = (cents) => money.format(cents / 100);

export function formatDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleDateString(locale(), { year: 'numeric', month: 'long', day: 'numeric' });
}

export function formatDateTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(locale(), { year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}

export function formatTime(d) {
  return d.toLocaleTimeString(locale(), { hour: 'numeric', minute: '2-digit' });
}

/* A day without the time: "Mar 3" this year, "Mar 3, 2025" before. */
export function formatShortDate(d, withYear) {
  return d.toLocaleDateString(locale(), withYear ? { month: 'short', day: 'numeric', year: 'numeric' } : { month: 'short', day: 'numeric' });
}
