// The home page: find a facility in the directory.

import { api, ApiError } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { STATES, TYPES, STATUSES, typeName, stateName, statusName, isRealProvider } from '../labels.js';
import { t, tn, tp, formatCount } from '../i18n.js';

const PAGE_SIZE = 20;
const DEBOUNCE_MS = 250;

/* The last answer shown, so Back to the results shows them at once, where the person left them. */
let cache = null;
/* The id of the result a person opened from those results: Back puts focus on it again. */
let openedId = null;

function readParams(query) {
  const pick = (name, allowed) => {
    const v = (query.get(name) || '').trim();
    return allowed.some(([code]) => code === v) ? v : '';
  };
  return {
    q: (query.get('q') || '').slice(0, 100),
    state: pick('state', STATES),
    type: pick('type', TYPES),
    status: pick('status', STATUSES),
  };
}

function isEmpty(p) {
  return !p.q.trim() && !p.state && !p.type && !p.status;
}

/* The address of this search, for the address bar and the cache. */
function pageUrl(p) {
  const s = new URLSearchParams();
  if (p.q.trim()) s.set('q', p.q.trim());
  for (const k of ['state', 'type', 'status']) if (p[k]) s.set(k, p[k]);
  const qs = s.toString();
  return qs ? `/?${qs}` : '/';
}

function apiUrl(p, cursor) {
  const s = new URLSearchParams();
  const text = p.q.trim();
  // A ZIP code goes to the zip filter; words go to the ranked, typo-tolerant search.
  if (/^\d{1,5}$/.test(text)) s.set('zip', text);
  else if (text) s.set('q', text);
  for (const k of ['state', 'type', 'status']) if (p[k]) s.set(k, p[k]);
  s.set('limit', String(PAGE_SIZE));
  if (cursor) s.set('cursor', cursor);
  return `/facilities?${s}`;
}

export function lastSearchUrl() {
  return cache ? cache.url : '/';
}

export function messagingBadge(provider) {
  if (isRealProvider(provider)) {
    return h('span', { class: 'badge badge--provider' }, h('span', { class: 'badge-label' }, t('Messaging:')), ' ', provider.name);
  }
  if (provider && provider.slug === 'none') {
    return h('span', { class: 'badge badge--none' }, h('span', { class: 'badge-label' }, t('Messaging:')), ' ', t('none, mail only'));
  }
  return h('span', { class: 'badge badge--unknown' }, h('span', { class: 'badge-label' }, t('Messaging:')), ' ', t('not known yet'));
}

export function kiteBadge() {
  return h('span', { class: 'badge badge--kite' }, t('On Kite'));
}

/* The badge of a closed facility (labels.js has the word). */
export function closedBadge() {
  return h('span', { class: 'badge badge--closed' }, statusName('closed'));
}

function placeLine(f) {
  const place = [f.city, [f.state, f.zip].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  return place || t('Address not recorded');
}

function resultItem(f) {
  return h('li', { class: 'result', 'data-id': f.id },
    h('h3', { class: 'result-title' }, h('a', { href: `/facilities/${f.id}`, class: 'result-link' }, f.name)),
    h('p', { class: 'result-meta' },
      h('span', null, placeLine(f)),
      h('span', { class: 'dot', 'aria-hidden': 'true' }, ' · '),
      h('span', null, typeName(f.type))),
    h('p', { class: 'badges' },
      messagingBadge(f.messaging_provider),
      f.on_platform ? kiteBadge() : null,
      f.status === 'closed' ? closedBadge() : null));
}

function select(id, label, options, anyLabel, value) {
  return h('div', { class: 'field field--select' },
    h('label', { for: id }, label),
    h('select', { id, name: id },
      h('option', { value: '' }, anyLabel),
      options.map(([code, name]) => h('option', { value: code, selected: code === value }, name))));
}

export function searchPage(root, ctx) {
  setTitle(t('Find a facility'));
  const params = readParams(ctx.query);

  const input = h('input', {
    id: 'q', name: 'q', type: 'search', value: params.q, maxlength: '100', autocomplete: 'off',
    spellcheck: 'false', enterkeyhint: 'search', 'aria-describedby': 'q-hint',
  });
  const stateSel = select('state', t('State or territory'), STATES.map(([c, n]) => [c, `${n} (${c})`]), t('All states and territories'), params.state);
  const typeSel = select('type', t('Type of facility'), TYPES.map(([c]) => [c, typeName(c)]), t('Any type'), params.type);
  const statusSel = select('status', t('Open or closed'), STATUSES.map(([c]) => [c, statusName(c)]), t('Open or closed'), params.status);
  const clearBtn = h('button', { type: 'button', class: 'button button--link clear-button' }, t('Clear search'));
  const activeCount = [params.state, params.type, params.status].filter(Boolean).length;
  const summaryNote = h('span', { class: 'filters-note' });
  const filters = h('details', {
    class: 'filters-box',
    open: activeCount > 0 || window.matchMedia('(min-width: 44rem)').matches,
  },
  h('summary', null, t('Filter by state, type or status'), ' ', summaryNote),
  h('div', { class: 'filters' }, stateSel, typeSel, statusSel));
  const clearRow = h('p', { class: 'form-actions' }, clearBtn);
  const form = h('form', { class: 'search-form', role: 'search', 'aria-label': t('Facility directory') },
    h('div', { class: 'field field--query' },
      h('label', { for: 'q' }, t('Facility name, town or ZIP code')),
      h('div', { class: 'query-row' },
        input,
        h('button', { type: 'submit', class: 'button' }, t('Search'))),
      h('p', { id: 'q-hint', class: 'hint' }, t('Results appear as you type. Misspelled? We suggest what you may have meant.'))),
    filters,
    clearRow);

  const count = h('p', { id: 'result-count', class: 'result-count', role: 'status', 'aria-live': 'polite' });
  const list = h('ol', { id: 'results', class: 'results' });
  const below = h('div', { class: 'results-footer' });
  const intro = h('div', { class: 'intro' });
  const section = h('section', { class: 'results-section', 'aria-labelledby': 'results-heading' },
    h('h2', { id: 'results-heading', class: 'visually-hidden' }, t('Search results')),
    count, intro, list, below);

  replace(root, h('div', { class: 'wrap' },
    h('div', { class: 'page-intro' },
      h('h1', null, t('Find a facility')),
      h('p', { class: 'lead' }, t('Search every US prison and jail to learn which company handles messages there and how to reach someone inside.'))),
    form, section));

  let items = [];
  let seen = new Set();
  let nextCursor = null;
  let total = 0;
  let shown = { ...params };
  let controller = null;
  let timer = null;

  const current = () => ({
    q: input.value,
    state: form.elements.state.value,
    type: form.elements.type.value,
    status: form.elements.status.value,
  });

  /* The count of a search, in one sentence with what was searched for and the filters chosen. */
  function countLine(p, n) {
    const q = p.q.trim();
    const filters = [
      p.type ? typeName(p.type).toLowerCase() : null,
      p.state ? t('in {state}', { state: stateName(p.state) }) : null,
      p.status === 'open' ? t('open only') : p.status === 'closed' ? t('closed only') : null,
    ].filter(Boolean).join(', ');
    const params = { q, filters };
    if (n === 0) {
      if (q && filters) return t('No facilities found for “{q}” ({filters}).', params);
      if (q) return t('No facilities found for “{q}”.', params);
      if (filters) return t('No facilities found ({filters}).', params);
      return t('No facilities found.');
    }
    if (q && filters) return tn(n, '{n} facility found for “{q}” ({filters}).', '{n} facilities found for “{q}” ({filters}).', params);
    if (q) return tn(n, '{n} facility found for “{q}”.', '{n} facilities found for “{q}”.', params);
    if (filters) return tn(n, '{n} facility found ({filters}).', '{n} facilities found ({filters}).', params);
    return tn(n, '{n} facility found.', '{n} facilities found.');
  }

  function showIntro() {
    replace(count);
    replace(list);
    replace(below);
    replace(intro, h('div', { class: 'panel panel--quiet' },
      h('h2', { class: 'panel-title' }, t('How this works')),
      h('ol', { class: 'intro-steps' },
        h('li', null, t('Type the name of the prison or jail, the town it is in, or its ZIP code. You can also pick a state to see every facility there.')),
        h('li', null, t('Open the facility to see which company handles messages, phone calls and money there.')),
        h('li', null, t('Follow that company’s steps. A message sent through the wrong company is never delivered.')))));
    clearRow.hidden = true;
  }

  function showEmpty(p) {
    const tips = [];
    if (p.q.trim()) {
      tips.push(t('Check the spelling, or use fewer words — for example only the main part of the name, like “Coleman”.'));
      tips.push(t('Search by the town the facility is in, or by its ZIP code.'));
    }
    if (p.state || p.type || p.status) {
      tips.push(t('Remove a filter: choose “{allStates}”, “{anyType}” or “{openOrClosed}”.',
        { allStates: t('All states and territories'), anyType: t('Any type'), openOrClosed: t('Open or closed') }));
    }
    tips.push(t('If you still cannot find it, call the facility or the agency that holds the person and ask for the facility’s exact name.'));
    replace(intro, h('div', { class: 'panel panel--quiet empty' },
      h('h2', { class: 'panel-title' }, t('Nothing matched. Things to try:')),
      h('ul', null, tips.map((tip) => h('li', null, tip)))));
  }

  /* A search with a typo finds nothing; the server says what it meant, with that search's first page. */
  function showSuggestion(p, suggestion) {
    const fixed = { ...p, q: suggestion.q };
    const link = h('a', {
      href: pageUrl(fixed),
      id: 'did-you-mean',
      onclick: (e) => {
        e.preventDefault();
        input.value = suggestion.q;
        search();
      },
    }, suggestion.q);
    replace(intro, h('div', { class: 'panel panel--quiet suggestion' },
      h('p', { class: 'panel-title' }, tp('Did you mean {suggestion}?', { suggestion: link })),
      h('p', null, suggestion.total > suggestion.items.length
        ? tn(suggestion.total, '{n} facility found for “{q}”; the first {shown} are below.', '{n} facilities found for “{q}”; the first {shown} are below.',
          { q: suggestion.q, shown: formatCount(suggestion.items.length) })
        : tn(suggestion.total, '{n} facility found for “{q}”:', '{n} facilities found for “{q}”:', { q: suggestion.q }))));
    addItems(suggestion.items);
  }

  function renderFooter() {
    replace(below,
      items.length && (nextCursor || items.length > PAGE_SIZE)
        ? h('p', { class: 'shown-count' }, t('Showing {shown} of {total}', { shown: formatCount(items.length), total: formatCount(total) }))
        : null,
      nextCursor ? h('button', { type: 'button', class: 'button button--secondary', id: 'load-more', onclick: loadMore }, t('Load more results')) : null);
  }

  function addItems(newItems) {
    const added = [];
    for (const f of newItems) {
      if (seen.has(f.id)) continue;
      seen.add(f.id);
      items.push(f);
      const li = resultItem(f);
      list.append(li);
      added.push(li);
    }
    return added;
  }

  /* Back from a facility (the browser's Back or "Back to search"): focus returns to the result opened. */
  function focusOpened() {
    const id = openedId;
    openedId = null;
    const link = id !== null ? list.querySelector(`li[data-id="${id}"] a.result-link`) : null;
    if (!link) return;
    // After the router has put focus and scroll where a new page wants them.
    setTimeout(() => {
      if (!ctx.isCurrent() || !link.isConnected) return;
      link.focus({ preventScroll: true });
      link.scrollIntoView({ block: 'center' });
    }, 0);
  }

  list.addEventListener('click', (event) => {
    const link = event.target.closest('a.result-link');
    const li = link && link.closest('li[data-id]');
    if (li) openedId = li.dataset.id;
  });

  function showResults(p, answer) {
    items = [];
    seen = new Set();
    replace(list);
    replace(intro);
    total = answer.total;
    nextCursor = answer.next_cursor;
    addItems(answer.items);
    count.textContent = countLine(p, total);
    const suggestion = total === 0 ? answer.did_you_mean : null;
    if (suggestion) showSuggestion(p, suggestion);
    else if (total === 0) showEmpty(p);
    renderFooter();
    clearRow.hidden = false;
    cache = { url: pageUrl(p), items: items.slice(), nextCursor, total, didYouMean: suggestion };
  }

  function showError(err, retry) {
    list.classList.remove('is-loading');
    replace(count);
    replace(intro, h('div', { class: 'notice notice--error', role: 'alert' },
      h('p', null, err.message),
      h('p', null, h('button', { type: 'button', class: 'button button--secondary', onclick: retry }, t('Try again')))));
  }

  function noteFilters(p) {
    const n = [p.state, p.type, p.status].filter(Boolean).length;
    summaryNote.textContent = n ? tn(n, '({n} on)', '({n} on)') : '';
  }

  async function search() {
    clearTimeout(timer);
    const p = current();
    noteFilters(p);
    shown = p;
    const url = pageUrl(p);
    if (url !== location.pathname + location.search) history.replaceState(history.state, '', url);
    if (controller) controller.abort();
    controller = null;
    if (isEmpty(p)) {
      list.classList.remove('is-loading');
      showIntro();
      cache = null;
      return;
    }
    controller = new AbortController();
    const mine = controller;
    list.classList.add('is-loading');
    list.setAttribute('aria-busy', 'true');
    try {
      const answer = await api(apiUrl(p), { signal: mine.signal });
      if (mine !== controller || !ctx.isCurrent()) return;
      showResults(p, answer);
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      if (mine !== controller || !ctx.isCurrent()) return;
      showError(e instanceof ApiError ? e : new ApiError(0, 'internal', t('Searching failed. Try again.')), search);
    } finally {
      if (mine === controller) {
        list.classList.remove('is-loading');
        list.removeAttribute('aria-busy');
        controller = null;
      }
    }
  }

  async function loadMore(event) {
    const button = event.currentTarget;
    const p = shown;
    button.disabled = true;
    button.textContent = t('Loading…');
    try {
      const answer = await api(apiUrl(p, nextCursor));
      if (!ctx.isCurrent() || p !== shown) return;
      total = answer.total;
      nextCursor = answer.next_cursor;
      const added = addItems(answer.items);
      renderFooter();
      cache = { url: pageUrl(p), items: items.slice(), nextCursor, total };
      const link = added[0] && added[0].querySelector('a');
      if (link) link.focus();
    } catch (e) {
      if (!ctx.isCurrent()) return;
      button.disabled = false;
      button.textContent = t('Load more results');

      replace(intro, h('p', { class: 'notice notice--error', role: 'alert' }, e.message));
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, DEBOUNCE_MS);
  });
  form.addEventListener('change', (event) => {
    if (event.target.tagName === 'SELECT') search();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    search();
  });
  clearBtn.addEventListener('click', () => {
    input.value = '';
    for (const name of ['state', 'type', 'status']) form.elements[name].value = '';
    search();
    input.focus();
  });
  // Wide screens always show the filters; only phones fold them away.
  const wide = window.matchMedia('(min-width: 44rem)');
  const unfold = () => {
    if (wide.matches) filters.open = true;
  };
  wide.addEventListener('change', unfold);
  ctx.onLeave(() => {
    wide.removeEventListener('change', unfold);
    clearTimeout(timer);
    if (controller) controller.abort();
  });

  noteFilters(params);
  if (isEmpty(params)) {
    showIntro();
  } else if (cache && cache.url === pageUrl(params)) {
    showResults(params, { items: cache.items, next_cursor: cache.nextCursor, total: cache.total, did_you_mean: cache.didYouMean });
    focusOpened();
  } else {
    return search();
  }
  return undefined;
}
