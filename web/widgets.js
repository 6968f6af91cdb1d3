// Small parts several pages use: status chips, empty-list notes and a facility picker.

import { api, ApiError } from './api.js';
import { h, replace } from './dom.js';
import { t, tn } from './i18n.js';
import { statusKind, isRealProvider } from './labels.js';

export function chip(code, text, kind = statusKind(code)) {
  return h('span', { class: `status status--${kind}`, 'data-status': code }, text);
}

/* The mark both parties see on privileged legal mail (docs/privilege.md), and on an attorney's conversation. */
export function privilegedBadge() {
  return h('span', { class: 'status status--legal', 'data-testid': 'msg-privileged' }, t('Privileged legal mail'));
}

export function emptyNote(text) {
  return h('p', { class: 'empty-note' }, text);
}

/* "Use CorrLinks" with a link to the provider's card, or what to do when none is known. */
export function providerLink(p) {
  if (isRealProvider(p)) return h('a', { href: `/providers#provider-${p.slug}` }, p.name);
  if (p && p.slug === 'none') return t('no company: letters by post only');
  return t('a company Kite does not know yet: ask the facility');
}

/*
 * Find a facility by name, town or facility number, and pick one.
 *   onlyOnKite: facilities Kite does not serve are shown but cannot be picked.
 *   onPick(facility): called with the facility as the directory answers it.
 */
export function facilityPicker({ id, label, hint, onlyOnKite = false, onPick, exclude = null }) {
  const input = h('input', {
    id, type: 'search', autocomplete: 'off', spellcheck: 'false', maxlength: '100', enterkeyhint: 'search',
    'aria-describedby': `${id}-hint`, 'aria-controls': `${id}-results`,
  });
  const status = h('p', { class: 'picker-status', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { id: `${id}-results`, class: 'picker-results' });
  let timer = null;
  let controller = null;

  function option(f) {
    const usable = !onlyOnKite || f.on_platform;
    const place = [f.city, f.state].filter(Boolean).join(', ');
    const button = h('button', {
      type: 'button', class: 'picker-option', disabled: !usable || (exclude && exclude === f.id), 'data-id': f.id,
    },
    h('span', { class: 'picker-name' }, f.name),
    h('span', { class: 'picker-meta' },
      [place, t('facility number {id}', { id: f.id }), f.on_platform ? t('on Kite') : t('not on Kite')].filter(Boolean).join(' · ')));
    button.addEventListener('click', () => onPick(f));
    return h('li', null, button);
  }

  async function run() {
    clearTimeout(timer);
    const text = input.value.trim();
    if (controller) controller.abort();
    controller = null;
    if (!text) {
      replace(list);
      status.textContent = '';
      return;
    }
    const mine = new AbortController();
    controller = mine;
    const limit = onlyOnKite ? 50 : 8;
    try {
      let items = [];
      if (/^\d{1,10}$/.test(text)) {
        // A number is a facility number; five digits or fewer may also be a ZIP code.
        const [byId, byZip] = await Promise.all([
          api(`/facilities/${text}`, { signal: mine.signal }).catch((e) => {
            if (e instanceof ApiError && e.status === 404) return null;
            throw e;
          }),
          text.length <= 5 ? api(`/facilities?zip=${text}&limit=${limit}`, { signal: mine.signal }) : { items: [] },
        ]);
        items = [byId, ...byZip.items].filter(Boolean);
      } else {
        items = (await api(`/facilities?q=${encodeURIComponent(text)}&limit=${limit}`, { signal: mine.signal })).items;
      }
      if (mine !== controller) return;
      const seen = new Set();
      items = items.filter((f) => !seen.has(f.id) && seen.add(f.id));
      const found = items.length;
      // On a tablet only facilities Kite serves can be chosen, so only those are shown.
      if (onlyOnKite) items = items.filter((f) => f.on_platform);
      items = items.slice(0, 8);
      replace(list, items.map(option));
      status.textContent = items.length
        ? tn(items.length, 'One facility found. Choose yours.', '{n} facilities found. Choose yours.')
        : found && onlyOnKite
          ? t('No facility on Kite matches. Check the name, or ask staff for the facility number.')
          : t('No facility matches. Check the spelling, or type the facility number.');
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      if (mine !== controller) return;
      replace(list);
      status.textContent = e.message;
    } finally {
      if (mine === controller) controller = null;
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      run();
    }
  });

  const wrap = h('div', { class: 'field picker' },
    h('label', { for: id }, label),
    h('p', { id: `${id}-hint`, class: 'hint' }, hint || t('Type the facility name, its town or its facility number.')),
    input, status, list);
  return {
    wrap,
    input,
    focus: () => input.focus(),
    stop: () => {
      clearTimeout(timer);
      if (controller) controller.abort();
    },
  };
}
