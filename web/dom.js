// A small helper to build elements.  Text always goes in as text, never as HTML.

import { t } from './i18n.js';

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/* An http(s) address from the data, or null: never a javascript: or other scheme. */
export function safeUrl(url) {
  if (typeof url !== 'string' || url === '') return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

export function hostOf(url) {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return url;
  }
}

/* A link that leaves Kite, said so in words for people who cannot see the icon. */
export function externalLink(url, text, className) {
  const href = safeUrl(url);
  if (!href) return text;
  return h('a', { href, class: className, target: '_blank', rel: 'noopener noreferrer' },
    text, h('span', { class: 'visually-hidden' }, ' ', t('(opens in a new tab)')));
}

/*
 * An email address (or another long run without spaces) that may wrap after its dots and its @
 * on a narrow screen, in any language: the text with <wbr> break opportunities, for h(...).
 */
export function breakable(text) {
  return String(text).split(/(?<=[@.])/).flatMap((piece, i) => (i ? [h('wbr'), piece] : [piece]));
}

export function telLink(phone) {
  const digits = String(phone).replace(/[^0-9+]/g, '');
  return digits.length >= 7 ? h('a', { href: `tel:${digits}` }, phone) : phone;
}

export function setTitle(text) {
  document.title = text ? t('{page} — Kite', { page: text }) : t('Kite — how to message someone in prison or jail');
}
