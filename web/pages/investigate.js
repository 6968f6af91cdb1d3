// /investigate: the facility's investigators search its messages (words and quoted phrases,
// a person, dates, a status, a screening rule), read a message found in place, and page on with
// "More results".  /investigate/people: who writes to whom, for a resident or a family member,
// as a table and as a graph drawn in the page (an inline SVG; the table is its equivalent).
// Operators choose a facility first.  The search and the person are in the address, so a
// reload or the back button shows the same search again.
//
// The server records every search and every message opened (investigation.search,
// message.staff_read); the page says so above the form.  Message text is only ever put in as
// text nodes: the snippet's marks (code point offsets) become <mark> elements, never markup.

import { api, ApiError } from '../api.js';
import { staffFacilityGate } from '../staff-gate.js';
import { h, replace, setTitle } from '../dom.js';
import { N_, formatShortDate, t, tn, tp } from '../i18n.js';
import {
  formatCount, formatDateTime, rejectReasonName, roleName, ruleKindName,
} from '../labels.js';
import { field, formKit } from '../forms.js';
import { chip, emptyNote } from '../widgets.js';

const INVESTIGATORS = ['investigator', 'operator'];
const PAGE_SIZE = 20;
/* The graph draws the correspondents with the most messages; the table lists every one. */
const GRAPH_MAX = 16;
const GRAPH_MAX_NARROW = 10;

const MESSAGE_STATUSES = [
  ['pending_review', N_('Waiting for review'), 'wait'],
  ['approved', N_('Approved'), 'ok'],
  ['delivered', N_('Delivered'), 'ok'],
  ['read', N_('Read'), 'ok'],
  ['rejected', N_('Rejected'), 'stop'],
  ['withdrawn', N_('Withdrawn'), 'quiet'],
];
const statusOf = (code) => MESSAGE_STATUSES.find(([c]) => c === code);
const statusChip = (code) => {
  const s = statusOf(code);
  return s ? chip(code, t(s[1]), s[2]) : chip(code, code, 'quiet');
};

const CRITERIA = ['q', 'person', 'from', 'to', 'status', 'rule'];

function url(path, facilityId, params = {}) {
  const s = new URLSearchParams();
  if (facilityId) s.set('facility', String(facilityId));
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') s.set(k, String(v));
  const q = s.toString();
  return q ? `${path}?${q}` : path;
}

/* "Eva Marsh (E5001)" for a resident, the name for a family member. */
function partyName(p) {
  if (!p) return '';
  const name = p.name || t('Name not given');
  return p.resident_number ? t('{name} ({number})', { name, number: p.resident_number }) : name;
}

/* The address of a person's correspondents. */
function peopleUrl(env, p) {
  return url('/investigate/people', env.operatorFacility,
    p.kind === 'resident' || p.resident_number ? { resident: p.resident_number } : { contact: p.account_id });
}

/* Who may be here, and for which facility (staff-gate.js): null after showing why not. */
async function gate(root, ctx, path, pageTitle) {
  const env = await staffFacilityGate(root, ctx, {
    roles: INVESTIGATORS, path, title: pageTitle,
    signedOut: t('This page is for a facility’s investigators. Sign in with your staff account.'),
    wrongRoleTitle: t('This page is for investigators'),
    wrongRole: t('Only a facility’s investigators and operators search its messages.'),
    pickerId: 'investigate-facility', pickerTitle: t('Choose a facility to investigate'),
    pickerLead: t('Search a facility’s messages and see who writes to whom.'),
    facilityUrl: (id) => url(path, id),
  });
  return env && { ...env, ctx };
}

/* The heading, the facility, the two sections and the line that says everything is recorded. */
function frame(env, current, heading, ...content) {
  const { account, facility: f, isOperator } = env;
  const sections = [
    ['/investigate', N_('Search messages')],
    ['/investigate/people', N_('Who writes to whom')],
    ['/investigate/holds', N_('Legal holds')],
  ];
  return h('div', { class: 'wrap staff investigate' },
    h('div', { class: 'page-intro staff-intro' },
      h('p', { class: 'eyebrow' }, roleName(account.role)),
      h('h1', null, heading),
      h('p', { class: 'lead' }, f.name, ' · ', t('facility number {number}', { number: String(f.id) })),
      isOperator ? h('p', { class: 'change-facility' }, h('a', { href: current }, t('Choose another facility'))) : null),
    h('nav', { class: 'tabs', 'aria-label': t('Investigation sections') },
      h('ul', null, sections.map(([path, label]) => h('li', null,
        h('a', { href: url(path, env.operatorFacility), 'aria-current': path === current ? 'page' : null }, t(label)))))),
    h('p', { class: 'notice notice--info audit-note', 'data-testid': 'audit-note' },
      t('Every search you make and every message you open is recorded in the facility’s audit log, with your name.')),
    content);
}

/* ---- marked text ---- */

/*
 * The snippet with its matched words in <mark>: marks are [start, end) in code points, so the
 * text is cut as an array of code points.  Text nodes and elements only.
 */
export function markedSnippet(text, marks) {
  const cps = [...(text || '')];
  const out = [];
  let at = 0;
  const sorted = (Array.isArray(marks) ? marks : [])
    .filter((m) => Array.isArray(m) && Number.isInteger(m[0]) && Number.isInteger(m[1]) && m[0] < m[1])
    .sort((a, b) => a[0] - b[0]);
  for (const [start, end] of sorted) {
    const s = Math.max(start, at);
    const e = Math.min(end, cps.length);
    if (s >= e) continue;
    if (s > at) out.push(cps.slice(at, s).join(''));
    out.push(h('mark', { class: 'hit' }, cps.slice(s, e).join('')));
    at = e;
  }
  if (at < cps.length) out.push(cps.slice(at).join(''));
  return out;
}

/* ---- search ---- */

export async function investigatePage(root, ctx) {
  const env = await gate(root, ctx, '/investigate', t('Search messages'));
  if (!env) return;
  const { facility: f } = env;
  setTitle(t('Search messages — {facility}', { facility: f.name }));
  const body = h('div', { class: 'staff-body' });
  replace(root, frame(env, '/investigate', t('Search messages'), body));
  if (!f.on_platform) {
    replace(body, h('p', { class: 'notice notice--warning' }, t('This facility is not on Kite, so it has no messages to search.')));
    return;
  }

  const given = Object.fromEntries(CRITERIA.map((k) => [k, (ctx.query.get(k) || '').trim()]));
  let rules = [];
  try {
    rules = (await api(`/facilities/${f.id}/screening-rules`)).items;
  } catch {
    /* the rule filter stays empty */
  }
  if (!ctx.isCurrent()) return;

  const q = field({
    form: 'inv', name: 'q', label: t('Words'), type: 'search', optional: true, autocomplete: 'off', value: given.q, maxlength: '1000',
    hint: t('Every word must be in the message. Put a phrase in double quotes, like "money order". Other forms of a word match (lawyer, lawyers), in English and Spanish, with or without accents.'),
  });
  const person = field({
    form: 'inv', name: 'person', label: t('Person'), optional: true, autocomplete: 'off', value: given.person,
    hint: t('A resident number, or a family member’s email address.'),
  });
  const from = field({ form: 'inv', name: 'from', label: t('From'), type: 'date', optional: true, value: given.from });
  const to = field({ form: 'inv', name: 'to', label: t('To'), type: 'date', optional: true, value: given.to });
  const status = field({
    form: 'inv', name: 'status', label: t('Status'), kind: 'select', value: given.status,
    options: [['', t('Any status')], ...MESSAGE_STATUSES.map(([code, words]) => [code, t(words)])],
  });
  const rule = field({
    form: 'inv', name: 'rule', label: t('Screening rule'), kind: 'select', value: given.rule,
    options: [['', t('Any rule or none')], ...rules.map((r) => [String(r.id), t('{kind}: {value}', { kind: ruleKindName(r.kind), value: r.value })])],
  });
  const fields = [q, person, from, to, status, rule];
  const kit = formKit(fields, t('Search'), t('Searching…'), { buttonClass: 'button' });
  const form = h('form', { class: 'form inv-form', role: 'search', 'aria-label': t('Search messages'), novalidate: true },
    kit.alert, q.wrap, person.wrap,
    h('div', { class: 'field-row' }, from.wrap, to.wrap),
    h('div', { class: 'field-row' }, status.wrap, rule.wrap),
    h('p', { class: 'actions' }, kit.button,
      h('a', { class: 'button button--secondary', href: url('/investigate', env.operatorFacility) }, t('Clear'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    kit.clear();
    const v = Object.fromEntries(fields.map((x) => [x.name, x.input.value.trim()]));
    if (!CRITERIA.some((k) => v[k])) {
      kit.topError(t('Fill in at least one thing to look for: words, a person, dates, a status or a rule.'));
      return;
    }
    if (v.from && v.to && v.from > v.to) {
      kit.fieldError('to', t('The end date is before the start date.'));
      kit.focusFirstInvalid();
      return;
    }
    ctx.navigate(url('/investigate', env.operatorFacility, v));
  });

  const results = h('section', { class: 'section inv-results-section', 'aria-labelledby': 'inv-results-heading' });
  replace(body, h('div', { class: 'card inv-search' }, form), results);

  if (!CRITERIA.some((k) => given[k])) {
    replace(results, h('h2', { id: 'inv-results-heading', class: 'visually-hidden' }, t('Results')),
      emptyNote(t('Search by words, a person, dates, a status or a screening rule. Results show the best match first.')));
    return;
  }

  const countLine = h('p', { class: 'count-line', role: 'status' });
  const list = h('ol', { class: 'inv-list', 'data-testid': 'inv-results' });
  const moreBox = h('div', { class: 'inv-more' });
  replace(results, h('h2', { id: 'inv-results-heading' }, t('Results')), countLine, list, moreBox);
  countLine.textContent = t('Searching…');

  let shown = 0;
  const search = (cursor) => {
    const s = new URLSearchParams();
    s.set('facility_id', String(f.id));
    s.set('limit', String(PAGE_SIZE));
    for (const k of CRITERIA) if (given[k]) s.set(k, given[k]);
    if (cursor) s.set('cursor', cursor);
    return api(`/investigations/messages?${s}`);
  };

  function showPage(page, focusFirst) {
    const items = page.items.map((m) => resultView(env, m));
    list.append(...items);
    shown += page.items.length;
    if (focusFirst && items.length) items[0].focus();
    countLine.textContent = page.next_cursor
      ? tn(shown, 'Showing the first {n} result.', 'Showing the first {n} results.')
      : tn(shown, '{n} message found.', '{n} messages found.');
    if (!page.next_cursor) {
      replace(moreBox);
      return;
    }
    const more = h('button', { type: 'button', class: 'button button--secondary', 'data-testid': 'inv-more' }, t('More results'));
    more.addEventListener('click', async () => {
      more.disabled = true;
      more.textContent = t('Loading…');
      try {
        const next = await search(page.next_cursor);
        if (!ctx.isCurrent()) return;
        showPage(next, true);
      } catch (e) {
        more.disabled = false;
        more.textContent = t('More results');
        replace(moreBox, h('p', { class: 'notice notice--error', role: 'alert' }, e.message), more);
      }
    });
    replace(moreBox, more);
  }

  let first;
  try {
    first = await search(null);
  } catch (e) {
    if (!ctx.isCurrent()) return;
    if (e instanceof ApiError && e.status === 401) throw e;
    countLine.textContent = '';
    replace(list);
    // A parameter the server refused is shown at its field; anything else where the results go.
    if (e instanceof ApiError && e.field && fields.some((x) => x.name === e.field)) kit.serverError(e);
    else list.after(h('p', { class: 'notice notice--error', role: 'alert' }, e.message));
    return;
  }
  if (!ctx.isCurrent()) return;
  if (!first.items.length) {
    countLine.textContent = t('No messages found.');
    replace(moreBox, emptyNote(t('No message matches this search. Try fewer words, another spelling, or wider dates.')));
    return;
  }
  showPage(first, false);
}

/* One result: when, from → to, status, subject, the snippet with its words marked, and the message in place. */
function resultView(env, m) {
  const personLink = (p) => h('a', { href: peopleUrl(env, p), class: 'inv-person' }, partyName(p));
  const panelId = `inv-msg-${m.id}`;
  const open = h('button', {
    type: 'button', class: 'button button--small button--secondary', 'aria-expanded': 'false', 'aria-controls': panelId,
    'data-testid': 'inv-open',
  }, t('Read the message'));
  const panel = h('div', { id: panelId, class: 'inv-message', hidden: true });
  const li = h('li', { class: 'inv-item', tabindex: '-1', 'data-message-id': m.id, 'aria-labelledby': `inv-${m.id}-subject` },
    h('div', { class: 'inv-head' },
      h('time', { datetime: m.sent_at, class: 'inv-when' }, formatDateTime(m.sent_at)),
      statusChip(m.status)),
    h('p', { class: 'inv-who' }, tp('{sender} → {recipient}', { sender: personLink(m.sender), recipient: personLink(m.recipient) })),
    h('h3', { class: 'inv-subject', id: `inv-${m.id}-subject` },
      m.subject ? m.subject : h('span', { class: 'muted' }, t('No subject'))),
    m.snippet ? h('p', { class: 'inv-snippet' }, markedSnippet(m.snippet, m.marks)) : null,
    h('div', { class: 'inv-actions' }, open),
    panel);
  let loaded = false;
  open.addEventListener('click', async () => {
    const opening = open.getAttribute('aria-expanded') !== 'true';
    open.setAttribute('aria-expanded', String(opening));
    open.textContent = opening ? t('Hide the message') : t('Read the message');
    panel.hidden = !opening;
    if (!opening || loaded) return;
    replace(panel, h('p', { class: 'loading', role: 'status' }, t('Opening the message…')));
    try {
      const full = await api(`/messages/${m.id}`);
      loaded = true;
      replace(panel, messageView(full));
    } catch (e) {
      replace(panel, h('p', { class: 'notice notice--error', role: 'alert' }, e.message));
    }
  });
  return li;
}

/* A message as staff read it: the whole text, its photos, what happened to it and when. */
function messageView(m) {
  const ids = m.attachment_ids || [];
  const r = m.rejection;
  return [
    h('div', { class: 'msg-body inv-body', 'data-testid': 'inv-body' }, m.body || ''),
    ids.length
      ? h('ul', { class: 'msg-photos review-photos', 'aria-label': tn(ids.length, '{n} photo', '{n} photos') },
        ids.map((id, i) => h('li', null, h('a', { href: `/api/v1/attachments/${id}`, target: '_blank', rel: 'noopener' },
          h('img', {
            src: `/api/v1/attachments/${id}`, 'data-attachment-id': id,
            alt: t('Photo {number} of {count} with this message', { number: formatCount(i + 1), count: formatCount(ids.length) }),
          })))))
      : null,
    m.matched_rules && m.matched_rules.length
      ? h('p', { class: 'inv-rules' }, h('strong', null, t('Screening rules that matched')), ' ',
        m.matched_rules.map((x, i) => [i ? ', ' : '', t('{kind}: {value}', { kind: ruleKindName(x.kind), value: x.matched })]))
      : null,
    r ? h('p', null, h('strong', null, t('Reason:')), ' ', rejectReasonName(r.reason, r.label), r.note ? [' — ', r.note] : null) : null,
    m.history && m.history.length
      ? h('ol', { class: 'inv-history', 'aria-label': t('What happened to this message') },
        m.history.map((x) => h('li', null, statusChip(x.status), ' ', h('time', { datetime: x.at }, formatDateTime(x.at)))))
      : null,
  ];
}

/* ---- who writes to whom ---- */

export async function correspondentsPage(root, ctx) {
  const env = await gate(root, ctx, '/investigate/people', t('Who writes to whom'));
  if (!env) return;
  const { facility: f } = env;
  setTitle(t('Who writes to whom — {facility}', { facility: f.name }));
  const body = h('div', { class: 'staff-body' });
  replace(root, frame(env, '/investigate/people', t('Who writes to whom'), body));
  if (!f.on_platform) {
    replace(body, h('p', { class: 'notice notice--warning' }, t('This facility is not on Kite, so it has no messages to search.')));
    return;
  }
  const resident = (ctx.query.get('resident') || '').trim();
  const contact = (ctx.query.get('contact') || '').trim();

  const who = field({
    form: 'people', name: 'who', label: t('Resident number or family member’s email'), autocomplete: 'off',
    value: resident || '',
    hint: t('A resident’s number shows the family and friends who write to them; an email address shows the residents a family member writes to.'),
  });
  const kit = formKit([who], t('Show correspondents'), t('Looking…'), { buttonClass: 'button' });
  const form = h('form', { class: 'form inv-form', novalidate: true }, kit.alert, who.wrap, h('p', { class: 'actions' }, kit.button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const v = who.input.value.trim();
    if (!v) {
      kit.fieldError('who', t('Type a resident number or an email address.'));
      kit.focusFirstInvalid();
      return;
    }
    if (!v.includes('@')) {
      ctx.navigate(url('/investigate/people', env.operatorFacility, { resident: v }));
      return;
    }
    // A family member is found by their messages here: the search (recorded) names their account.
    kit.busy(true);
    try {
      const s = new URLSearchParams({ facility_id: String(f.id), person: v, limit: '1' });
      const page = await api(`/investigations/messages?${s}`);
      kit.busy(false);
      const m = page.items[0];
      const p = m && [m.sender, m.recipient].find((x) => x.kind === 'contact');
      if (!p) {
        kit.fieldError('who', t('No messages with this email address at this facility.'));
        kit.focusFirstInvalid();
        return;
      }
      ctx.navigate(url('/investigate/people', env.operatorFacility, { contact: p.account_id }));
    } catch (e) {
      kit.busy(false);
      if (e instanceof ApiError && e.field === 'person') {
        kit.fieldError('who', e.message);
        kit.focusFirstInvalid();
      } else {
        kit.serverError(e);
      }
    }
  });

  const out = h('section', { class: 'section', 'aria-labelledby': 'people-heading' });
  replace(body, h('div', { class: 'card inv-search' }, form), out);
  if (!resident && !/^\d{1,12}$/.test(contact)) {
    replace(out, h('h2', { id: 'people-heading', class: 'visually-hidden' }, t('Correspondents')),
      emptyNote(t('Choose a person to see who they write to. A person’s name in the search results leads here too.')));
    return;
  }

  replace(out, h('p', { class: 'loading', role: 'status' }, t('Loading…')));
  let answer;
  try {
    const s = new URLSearchParams({ facility_id: String(f.id) });
    if (resident) s.set('resident_number', resident);
    else s.set('contact_id', contact);
    answer = await api(`/investigations/correspondents?${s}`);
  } catch (e) {
    if (!ctx.isCurrent()) return;
    if (e instanceof ApiError && e.status === 401) throw e;
    replace(out, h('h2', { id: 'people-heading' }, t('Correspondents')),
      h('p', { class: 'notice notice--error', role: 'alert' },
        e instanceof ApiError && e.status === 404 ? t('No such person at this facility.') : e.message));
    return;
  }
  if (!ctx.isCurrent()) return;
  const person = answer.person;
  const name = partyName(person);
  const searchLink = h('a', {
    href: url('/investigate', env.operatorFacility, { person: person.resident_number || `contact:${person.account_id}` }),
  }, t('Search the messages of {name}', { name }));
  if (!answer.items.length) {
    replace(out, h('h2', { id: 'people-heading' }, t('Who writes to {name}', { name })),
      emptyNote(t('No messages with anyone at this facility.')), h('p', null, searchLink));
    return;
  }
  replace(out,
    h('h2', { id: 'people-heading' }, t('Who writes to {name}', { name })),
    h('p', { class: 'count-line' }, tn(answer.items.length, '{n} correspondent.', '{n} correspondents.'), ' ', searchLink),
    h('div', { class: 'inv-people' },
      graphView(env, person, answer.items),
      tableView(env, person, answer.items)));
}

/* "Dec 5, 2026": a table cell a phone has room for. */
const shortDate = (iso) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : formatShortDate(d, true);
};

const total = (c) => c.sent + c.received;
const several = (c) => c.kind === 'contact' && c.residents > 1;

function tableView(env, person, items) {
  const name = partyName(person);
  return h('div', { class: 'table-scroll inv-table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'people-caption' },
    h('table', { class: 'price-table inv-table', 'data-testid': 'correspondents-table' },
      h('caption', { id: 'people-caption' }, t('Correspondents of {name}, the most recent first', { name })),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('Name')),
        h('th', { scope: 'col' }, t('From {name}', { name: person.name || name })),
        h('th', { scope: 'col' }, t('To {name}', { name: person.name || name })),
        h('th', { scope: 'col' }, t('First and last message')))),
      h('tbody', null, items.map((c) => h('tr', { 'data-account-id': c.account_id, class: several(c) ? 'inv-several' : null },
        h('th', { scope: 'row' },
          h('a', { href: peopleUrl(env, c) }, partyName(c)),
          several(c) ? [' ', chip('several', tn(c.residents, 'Writes to {n} resident', 'Writes to {n} residents'), 'wait')] : null),
        h('td', null, formatCount(c.sent)),
        h('td', null, formatCount(c.received)),
        h('td', { class: 'inv-dates' },
          h('time', { datetime: c.first_at }, shortDate(c.first_at)), ' – ',
          h('time', { datetime: c.last_at }, shortDate(c.last_at))))))));
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

/* A label short enough for the graph; the table has the whole name. */
const shortLabel = (text, max = 22) => {
  const cps = [...text];
  return cps.length > max ? `${cps.slice(0, max - 1).join('')}…` : text;
};

/*
 * The person in the centre, the correspondents around, a line to each as wide as their messages
 * are many; a contact who writes to several residents is drawn with a thick ring.  The SVG is an
 * image with a summary for screen readers: the table next to it holds the same facts.
 */
function graphView(env, person, items) {
  // On a phone the drawing is narrower, so that its words stay big enough to read.
  const narrow = window.matchMedia('(max-width: 40rem)').matches;
  const drawn = [...items].sort((a, b) => total(b) - total(a)).slice(0, narrow ? GRAPH_MAX_NARROW : GRAPH_MAX);
  const max = Math.max(1, ...drawn.map(total));
  const W = narrow ? 400 : 640;
  const H = narrow ? 440 : 440;
  const cx = W / 2;
  const cy = H / 2;
  const rx = narrow ? 125 : 200;
  const ry = narrow ? 165 : 150;
  const lines = [];
  const nodes = [];
  drawn.forEach((c, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / drawn.length;
    const x = cx + rx * Math.cos(a);
    const y = cy + ry * Math.sin(a);
    const width = 1.5 + 8 * (total(c) / max);
    lines.push(s('line', { x1: cx, y1: cy, x2: x.toFixed(1), y2: y.toFixed(1), class: 'graph-edge', 'stroke-width': width.toFixed(1) }));
    const cos = Math.cos(a);
    const anchor = narrow || Math.abs(cos) < 0.3 ? 'middle' : cos > 0 ? 'start' : 'end';
    const lx = x + (anchor === 'middle' ? 0 : cos > 0 ? 14 : -14);
    const ly = y + (anchor === 'middle' ? (Math.sin(a) > 0 ? 26 : -16) : 5);
    nodes.push(s('g', { class: `graph-node${several(c) ? ' graph-node--several' : ''}`, 'data-account-id': c.account_id },
      s('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 9 }),
      s('text', { x: lx.toFixed(1), y: ly.toFixed(1), 'text-anchor': anchor },
        shortLabel(c.name || c.resident_number || '?', narrow ? 14 : 22),
        s('tspan', { class: 'graph-count' }, ` ${formatCount(total(c))}`))));
  });
  const centre = s('g', { class: 'graph-node graph-node--centre' },
    s('circle', { cx, cy, r: 16 }),
    s('text', { x: cx, y: cy + 38, 'text-anchor': 'middle' }, shortLabel(partyName(person), narrow ? 20 : 28)));
  const summary = items.length > drawn.length
    ? t('Graph: {name} in the centre and the {shown} of {n} correspondents with the most messages around; a thicker line means more messages. The table gives every correspondent.',
      { name: partyName(person), shown: formatCount(drawn.length), n: formatCount(items.length) })
    : tn(items.length, 'Graph: {name} in the centre and {n} correspondent around; a thicker line means more messages. The table gives the same.',
      'Graph: {name} in the centre and {n} correspondents around; a thicker line means more messages. The table gives the same.',
      { name: partyName(person) });
  const svg = s('svg', {
    class: 'inv-graph', viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-label': summary,
    'data-testid': 'correspondents-graph', preserveAspectRatio: 'xMidYMid meet',
  }, s('g', null, lines), s('g', null, nodes), centre);
  return h('figure', { class: 'inv-figure' }, svg,
    h('figcaption', { class: 'muted' },
      t('The number beside each name is their messages each way together.'), ' ',
      items.some(several) ? t('A thick ring marks a family member who writes to several residents.') : null));
}
