// /review: the mail room.  Reviewers and facility administrators work their facility's queue
// (held and flagged first, then oldest), approve or reject each message with a reason, or approve
// several at once; operators choose a facility first.  A second tab lists the screening rules,
// which facility administrators and operators change.  The facility and the tab are in the
// address (?facility=ID&tab=rules), so a reload stays put.
//
// Keys for long queues (when not typing): j and k move to the next and previous message,
// a approves it, r opens the reject form, x selects it for a bulk approval.

import { api, ApiError, currentAccount, homeFor } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import {
  RULE_KINDS, RULE_ACTIONS, roleName, ruleKindName, formatCount, formatDate, formatDateTime, formatDuration,
  managesFacility, plural,
} from '../labels.js';
import { field, formKit, confirmAction } from '../forms.js';
import { chip, emptyNote, facilityPicker } from '../widgets.js';

const QUEUE_LIMIT = 100;
const REFRESH_MS = 30000;

const TABS = [
  ['queue', 'Queue'],
  ['rules', 'Screening rules'],
];

const REVIEWERS = ['reviewer', 'facility_admin', 'operator'];

function reviewUrl(facilityId, tab) {
  const s = new URLSearchParams();
  if (facilityId) s.set('facility', String(facilityId));
  if (tab && tab !== 'queue') s.set('tab', tab);
  const q = s.toString();
  return q ? `/review?${q}` : '/review';
}

export async function reviewPage(root, ctx) {
  setTitle('Review messages');
  const account = currentAccount();
  if (!account) {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, 'Staff sign-in needed'),
      h('p', null, 'This page is for the facility staff who review messages. Sign in with your staff account.'),
      h('p', { class: 'actions' }, h('a', { class: 'button', href: '/signin?next=%2Freview' }, 'Sign in'))));
    return;
  }
  if (!REVIEWERS.includes(account.role)) {
    const home = account.role === 'contact' ? '/messages' : homeFor(account.role);
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, 'This page is for message reviewers'),
      h('p', null, account.role === 'investigator'
        ? 'Investigators do not review messages. Your page is the staff page.'
        : 'Your messages are on your own messages page.'),
      h('p', { class: 'actions' }, h('a', { class: 'button', href: home }, 'Go there'))));
    return;
  }

  const isOperator = account.role === 'operator';
  const wanted = ctx.query.get('facility');
  const facilityId = isOperator ? (wanted && /^\d{1,10}$/.test(wanted) ? Number(wanted) : null) : account.facility_id;
  if (isOperator && !facilityId) {
    operatorPicker(root, ctx);
    return;
  }
  if (!facilityId) {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, 'No facility on your account'),
      h('p', null, 'Your staff account does not belong to a facility yet. Ask an operator to set it up.')));
    return;
  }

  replace(root, h('div', { class: 'wrap' }, h('p', { class: 'loading', role: 'status' }, 'Loading the review queue…')));
  let f;
  try {
    f = await api(`/facilities/${facilityId}`);
  } catch (e) {
    if (!ctx.isCurrent()) return;
    if (e instanceof ApiError && e.status === 404) {
      replace(root, h('div', { class: 'wrap narrow' },
        h('h1', null, 'Facility not found'),
        h('p', null, 'There is no facility with this number.'),
        isOperator ? h('p', null, h('a', { class: 'button', href: '/review' }, 'Choose a facility')) : null));
      return;
    }
    throw e;
  }
  if (!ctx.isCurrent()) return;
  setTitle(`Review — ${f.name}`);

  let tab = ctx.query.get('tab');
  if (!TABS.some(([t]) => t === tab)) tab = 'queue';
  const body = h('div', { class: 'staff-body' });
  replace(root, h('div', { class: 'wrap staff review' },
    h('div', { class: 'page-intro staff-intro' },
      h('p', { class: 'eyebrow' }, roleName(account.role)),
      h('h1', null, 'Review messages'),
      h('p', { class: 'lead' }, f.name, ' · facility number ', String(f.id)),
      isOperator ? h('p', { class: 'change-facility' }, h('a', { href: '/review' }, 'Choose another facility')) : null),
    h('nav', { class: 'tabs', 'aria-label': 'Review sections' },
      h('ul', null, TABS.map(([t, label]) => h('li', null,
        h('a', { href: reviewUrl(isOperator ? f.id : null, t), 'aria-current': t === tab ? 'page' : null }, label))))),
    body));

  if (!f.on_platform) {
    replace(body, h('p', { class: 'notice notice--warning' }, 'This facility is not on Kite, so it has no messages to review.'));
    return;
  }
  const env = { ctx, account, facility: f, body, manager: managesFacility(account) };
  if (tab === 'rules') await rulesTab(env);
  else await queueTab(env);
}

function operatorPicker(root, ctx) {
  setTitle('Choose a facility to review');
  const picker = facilityPicker({
    id: 'review-facility', label: 'Facility', onlyOnKite: true,
    hint: 'Type a name, a town or a facility number. Only facilities on Kite have messages to review.',
    onPick: (f) => ctx.navigate(reviewUrl(f.id, null)),
  });
  ctx.onLeave(picker.stop);
  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, 'Choose a facility to review'),
      h('p', { class: 'lead' }, 'Open a facility’s review queue and its screening rules.')),
    h('div', { class: 'card' }, picker.wrap)));
}

function liveLine() {
  const el = h('div', { class: 'live', role: 'status', tabindex: '-1' });
  return {
    el,
    say(text, kind = 'success', focus = false) {
      replace(el, text ? h('p', { class: `notice notice--${kind}` }, text) : null);
      if (text && focus) el.focus();
    },
  };
}

/* Text with the words a rule matched marked, so the reviewer sees at once why it was stopped. */
function highlighted(text, terms) {
  const words = [...new Set(terms.filter((t) => t && t.length > 0))].sort((a, b) => b.length - a.length);
  if (!words.length || !text) return text;
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  let re;
  try {
    re = new RegExp(`(${escaped.join('|')})`, 'giu');
  } catch {
    return text;
  }
  return text.split(re).map((part, i) => (i % 2 === 1 ? h('mark', { class: 'hit' }, part) : part));
}

/* ---- the queue ---- */

async function queueTab(env) {
  const { ctx, facility: f, body } = env;
  const live = liveLine();
  const metricsBox = h('div', { class: 'metrics-box' });
  const list = h('ol', { class: 'review-list', 'data-testid': 'review-queue' });
  const emptyBox = h('div');
  const moreNote = h('p', { class: 'count-line' });
  const selectAll = h('input', { type: 'checkbox', id: 'review-select-all' });
  const bulkButton = h('button', { type: 'button', class: 'button', disabled: true }, 'Approve selected');
  const refreshButton = h('button', { type: 'button', class: 'button button--secondary' }, 'Check for new messages');
  const items = new Map(); // id -> { m, li, checkbox, busy }
  let reasons = [];
  let slaSeconds = null;

  const ageText = (m) => `Waiting ${formatDuration(m.age_seconds)}${slaSeconds ? ` · target ${formatDuration(slaSeconds)}` : ''}`;

  function metricsView(q) {
    const slaHours = Math.round(q.sla_seconds / 3600);
    const facts = [
      ['Waiting', formatCount(q.depth), 'depth'],
      ['Oldest', q.depth ? formatDuration(q.oldest_age_seconds) : '—', 'oldest'],
      [`Over the ${slaHours} h target`, formatCount(q.over_sla), 'over_sla'],
      ['Median time to decide (24 h)', q.median_decision_seconds_24h === null || q.median_decision_seconds_24h === undefined
        ? '—' : formatDuration(q.median_decision_seconds_24h), 'median'],
      ['Decided in the last 24 h', formatCount(q.decided_last_24h), 'decided'],
    ];
    return h('dl', { class: 'metrics', 'data-testid': 'queue-metrics' },
      facts.map(([k, v, key]) => h('div', { class: `metric${key === 'over_sla' && q.over_sla > 0 ? ' metric--alert' : ''}`, 'data-metric': key },
        h('dt', null, k), h('dd', null, v))));
  }

  function updateBulk() {
    const n = selected().length;
    bulkButton.disabled = n === 0;
    bulkButton.textContent = n ? `Approve selected (${n})` : 'Approve selected';
    selectAll.checked = n > 0 && n === items.size;
    selectAll.indeterminate = n > 0 && n < items.size;
  }

  const selected = () => [...items.values()].filter((x) => x.checkbox.checked && !x.busy);

  const toolbar = h('div', { class: 'review-toolbar' },
    h('div', { class: 'checkbox' }, selectAll, h('label', { for: 'review-select-all' }, 'Select all')),
    bulkButton, refreshButton);
  const keysHelp = h('p', { class: 'keys-help' }, 'Keys: ', h('kbd', null, 'j'), ' / ', h('kbd', null, 'k'), ' next and previous, ',
    h('kbd', null, 'a'), ' approve, ', h('kbd', null, 'r'), ' reject, ', h('kbd', null, 'x'), ' select.');

  function showEmpty() {
    const none = items.size === 0;
    replace(emptyBox, none ? emptyNote('Nothing to review. New messages appear here as they are sent.') : null);
    // With nothing to select, the selection tools give way to the one useful button.
    selectAll.closest('.checkbox').hidden = none;
    bulkButton.hidden = none;
    keysHelp.hidden = none;
    updateBulk();
  }

  /*
   * Takes a decided message off the list.  After the reviewer's own decision the focus moves to
   * the next message; when a refresh takes one away, only if the focus was in it.
   */
  function drop(id, { own = true } = {}) {
    const item = items.get(id);
    if (!item) return;
    const next = item.li.nextElementSibling || item.li.previousElementSibling;
    const hadFocus = item.li.contains(document.activeElement) || (own && document.activeElement === document.body);
    item.li.remove();
    items.delete(id);
    showEmpty();
    if (hadFocus && next) next.focus();
  }

  function who(m) {
    return m.direction === 'from_resident'
      ? h('span', null, 'From ', h('strong', null, m.sender.name), ' (resident) to ', h('strong', null, m.recipient.name))
      : h('span', null, 'From ', h('strong', null, m.sender.name), ' to ', h('strong', null, m.recipient.name), ' (resident)');
  }

  function itemView(m) {
    const checkbox = h('input', { type: 'checkbox', id: `sel-${m.id}` });
    const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const approve = h('button', { type: 'button', class: 'button', 'data-action': 'approve' }, 'Approve');
    const reject = h('button', { type: 'button', class: 'button button--secondary', 'data-action': 'reject' }, 'Reject');
    const panel = h('div', { class: 'row-panel reject-panel', hidden: true });
    const terms = (m.matched_rules || []).map((r) => r.matched);
    const subjectText = m.subject || '';
    const li = h('li', {
      class: `review-item${m.held ? ' review-item--held' : m.flagged ? ' review-item--flagged' : ''}`,
      tabindex: '-1', 'data-message-id': m.id, 'aria-labelledby': `rv-${m.id}-subject`,
    },
    h('div', { class: 'review-head' },
      h('div', { class: 'checkbox review-select' }, checkbox,
        h('label', { for: `sel-${m.id}` }, h('span', { class: 'visually-hidden' }, `Select the message from ${m.sender.name}`), 'Select')),
      h('span', { class: 'review-badges' },
        m.held ? chip('held', 'Held', 'stop') : null,
        m.flagged ? chip('flagged', 'Flagged', 'wait') : null,
        m.over_sla ? chip('over_sla', 'Over the target time', 'stop') : null),
      h('span', { class: 'review-age' }, ageText(m))),
    h('p', { class: 'review-who' }, who(m), h('span', { class: 'muted' }, ` · sent ${formatDateTime(m.created_at)}`)),
    m.matched_rules && m.matched_rules.length
      ? h('ul', { class: 'rule-hits', 'aria-label': 'Screening rules that matched' }, m.matched_rules.map((r) => h('li', null,
        h('strong', null, r.action === 'hold' ? 'Held' : 'Flagged'), ` by a ${ruleKindName(r.kind).toLowerCase()} rule: `,
        h('mark', { class: 'hit' }, r.matched))))
      : null,
    h('h3', { class: 'review-subject', id: `rv-${m.id}-subject` }, subjectText ? highlighted(subjectText, terms) : h('span', { class: 'muted' }, 'No subject')),
    h('div', { class: 'msg-body review-body' }, highlighted(m.body, terms)),
    m.attachment_ids && m.attachment_ids.length
      ? h('ul', { class: 'msg-photos review-photos', 'aria-label': plural(m.attachment_ids.length, 'photo', 'photos') },
        m.attachment_ids.map((id, i) => h('li', null, h('a', { href: `/api/v1/attachments/${id}`, target: '_blank', rel: 'noopener' },
          h('img', { src: `/api/v1/attachments/${id}`, alt: `Photo ${i + 1} of ${m.attachment_ids.length} with this message`, 'data-attachment-id': id })))))
      : null,
    h('div', { class: 'review-actions' }, approve, reject),
    error, panel);

    const item = { m, li, checkbox, busy: false, error, approve, reject, panel };
    checkbox.addEventListener('change', updateBulk);
    approve.addEventListener('click', () => decide(item, 'approve'));
    reject.addEventListener('click', () => openReject(item));
    return item;
  }

  function setBusy(item, on) {
    item.busy = on;
    item.approve.disabled = on;
    item.reject.disabled = on;
    item.checkbox.disabled = on;
  }

  function said(m) {
    return m.subject ? `“${m.subject}” from ${m.sender.name}` : `The message from ${m.sender.name}`;
  }

  async function decide(item, decision, reason, note) {
    if (item.busy) return;
    setBusy(item, true);
    item.error.hidden = true;
    const payload = { decision };
    if (reason) payload.reason = reason;
    if (note) payload.note = note;
    try {
      const m = await api(`/review/${item.m.id}`, { method: 'POST', body: payload });
      drop(item.m.id);
      live.say(decision === 'approve'
        ? `Approved: ${said(item.m)}. ${m.status === 'delivered' ? 'It is delivered.' : ''}`.trim()
        : `Rejected: ${said(item.m)}. The sender sees the reason${note ? ' and your note' : ''}.`);
      refreshMetrics();
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'already_decided' || e.status === 404)) {
        drop(item.m.id);
        live.say(`${e.status === 404 ? 'This message is no longer in the queue.' : e.message} ${said(item.m)} was taken off your list.`, 'warning');
        refreshMetrics();
        return;
      }
      setBusy(item, false);
      item.error.textContent = e.message;
      item.error.hidden = false;
    }
  }

  function openReject(item) {
    if (item.busy) return;
    const form = rejectForm(item);
    replace(item.panel, form);
    item.panel.hidden = false;
    item.reject.disabled = true;
    const first = form.querySelector('select');
    if (first) first.focus();
  }

  function closeReject(item) {
    item.panel.hidden = true;
    replace(item.panel);
    item.reject.disabled = item.busy;
    item.reject.focus();
  }

  function rejectForm(item) {
    const id = item.m.id;
    const reason = field({
      form: `rej-${id}`, name: 'reason', label: 'Reason', kind: 'select',
      options: [['', 'Choose a reason…'], ...reasons.map((r) => [r.code, r.label])],
      hint: 'The sender sees this reason.',
    });
    const note = field({
      form: `rej-${id}`, name: 'note', label: 'Note to the sender', kind: 'textarea', rows: 3, optional: true,
      hint: 'Say what to change so a new message can be delivered. Up to 1,000 characters.',
    });
    const kit = formKit([reason, note], 'Reject message', 'Rejecting…', { buttonClass: 'button button--danger' });
    const cancel = h('button', { type: 'button', class: 'button button--secondary' }, 'Cancel');
    cancel.addEventListener('click', () => closeReject(item));
    const form = h('form', { class: 'form inline-form', novalidate: true },
      h('h4', { class: 'panel-heading' }, 'Reject this message'),
      kit.alert, reason.wrap, note.wrap, h('p', { class: 'form-buttons' }, kit.button, cancel));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      kit.clear();
      const code = reason.input.value;
      const text = note.input.value.trim();
      if (!code) kit.fieldError('reason', 'Choose the reason the sender will see.');
      if (code === 'other' && !text) kit.fieldError('note', 'Another reason needs a note that tells the sender why.');
      if ([...text].length > 1000) kit.fieldError('note', 'Keep the note to 1,000 characters.');
      if (kit.hasErrors()) {
        kit.focusFirstInvalid();
        return;
      }
      kit.busy(true);
      setBusy(item, true);
      try {
        await api(`/review/${id}`, { method: 'POST', body: { decision: 'reject', reason: code, note: text || undefined } });
        drop(id);
        live.say(`Rejected: ${said(item.m)}. The sender sees the reason${text ? ' and your note' : ''}.`);
        refreshMetrics();
      } catch (e) {
        if (e instanceof ApiError && (e.code === 'already_decided' || e.status === 404)) {
          drop(id);
          live.say(`${e.status === 404 ? 'This message is no longer in the queue.' : e.message} ${said(item.m)} was taken off your list.`, 'warning');
          refreshMetrics();
          return;
        }
        setBusy(item, false);
        item.reject.disabled = true;
        kit.busy(false);
        kit.serverError(e);
      }
    });
    return form;
  }

  async function bulkApprove() {
    const chosen = selected();
    if (!chosen.length) return;
    bulkButton.disabled = true;
    bulkButton.textContent = 'Approving…';
    for (const item of chosen) setBusy(item, true);
    try {
      const answer = await api('/review/bulk', { method: 'POST', body: { decision: 'approve', message_ids: chosen.map((x) => x.m.id) } });
      let ok = 0;
      let gone = 0;
      let failed = 0;
      for (const r of answer.results) {
        const item = items.get(r.id);
        if (!item) continue;
        if (r.ok) {
          ok += 1;
          drop(r.id);
        } else if (r.error && (r.error.code === 'already_decided' || r.error.code === 'not_found')) {
          gone += 1;
          drop(r.id);
        } else {
          failed += 1;
          setBusy(item, false);
          item.error.textContent = (r.error && r.error.message) || 'This message could not be approved.';
          item.error.hidden = false;
        }
      }
      const parts = [`${plural(ok, 'message', 'messages')} approved.`];
      if (gone) parts.push(`${plural(gone, 'message was', 'messages were')} already decided by someone else and taken off your list.`);
      if (failed) parts.push(`${plural(failed, 'message', 'messages')} could not be approved: see the note on each.`);
      live.say(parts.join(' '), failed ? 'warning' : 'success', true);
      refreshMetrics();
    } catch (e) {
      for (const item of chosen) setBusy(item, false);
      live.say(e.message, 'error', true);
    }
    updateBulk();
  }

  function place(m, before) {
    const item = itemView(m);
    items.set(m.id, item);
    if (before) before.before(item.li);
    else list.append(item.li);
  }

  function fill(q) {
    slaSeconds = q.metrics.sla_seconds;
    replace(metricsBox, metricsView(q.metrics));
    moreNote.textContent = q.metrics.depth > q.items.length
      ? `Showing ${formatCount(q.items.length)} of ${formatCount(q.metrics.depth)}. Decide these to see the rest.`
      : '';
  }

  async function fetchQueue() {
    return api(`/review/queue?facility_id=${f.id}&limit=${QUEUE_LIMIT}`);
  }

  /* Looks again: new messages join in the queue's order, ones someone else decided leave. */
  async function refresh({ tell = false } = {}) {
    const q = await fetchQueue();
    if (!ctx.isCurrent()) return;
    fill(q);
    const present = new Set(q.items.map((m) => m.id));
    let removed = 0;
    for (const [id, item] of [...items]) {
      if (!present.has(id) && !item.busy && item.panel.hidden) {
        drop(id, { own: false });
        removed += 1;
      }
    }
    let added = 0;
    let anchor = null;
    for (let i = q.items.length - 1; i >= 0; i -= 1) {
      const m = q.items[i];
      const have = items.get(m.id);
      if (have) {
        anchor = have.li;
        const age = have.li.querySelector('.review-age');
        if (age) age.textContent = ageText(m);
      } else {
        place(m, anchor);
        anchor = items.get(m.id).li;
        added += 1;
      }
    }
    showEmpty();
    if (tell) {
      live.say(added || removed
        ? [added ? `${plural(added, 'new message', 'new messages')} in the queue.` : null,
          removed ? `${plural(removed, 'message was', 'messages were')} decided by someone else.` : null].filter(Boolean).join(' ')
        : 'No new messages.');
    }
  }

  let metricsTimer = null;
  function refreshMetrics() {
    clearTimeout(metricsTimer);
    metricsTimer = setTimeout(async () => {
      try {
        const q = await fetchQueue();
        if (ctx.isCurrent()) fill(q);
      } catch {
        /* the numbers stay as they were */
      }
    }, 300);
  }

  refreshButton.addEventListener('click', async () => {
    refreshButton.disabled = true;
    try {
      await refresh({ tell: true });
    } catch (e) {
      live.say(e.message, 'error');
    }
    refreshButton.disabled = false;
  });
  selectAll.addEventListener('change', () => {
    for (const item of items.values()) if (!item.busy) item.checkbox.checked = selectAll.checked;
    updateBulk();
  });
  bulkButton.addEventListener('click', bulkApprove);

  /* ---- keys ---- */
  function current() {
    const el = document.activeElement && document.activeElement.closest ? document.activeElement.closest('.review-item') : null;
    return el && list.contains(el) ? el : null;
  }
  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const t = event.target;
    if (t && (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable
      || (t.tagName === 'INPUT' && t.type !== 'checkbox'))) return;
    const key = event.key;
    if (!['j', 'k', 'a', 'r', 'x'].includes(key)) return;
    const here = current();
    if (key === 'j' || key === 'k') {
      const all = [...list.children];
      if (!all.length) return;
      let i = here ? all.indexOf(here) : -1;
      i = key === 'j' ? Math.min(all.length - 1, i + 1) : Math.max(0, i < 0 ? 0 : i - 1);
      all[i].focus();
      all[i].scrollIntoView({ block: 'nearest' });
      event.preventDefault();
      return;
    }
    if (!here) return;
    const item = items.get(Number(here.dataset.messageId));
    if (!item) return;
    event.preventDefault();
    if (key === 'a') decide(item, 'approve');
    else if (key === 'r') openReject(item);
    else if (key === 'x' && !item.busy) {
      item.checkbox.checked = !item.checkbox.checked;
      updateBulk();
    }
  }
  document.addEventListener('keydown', onKey);
  const timer = setInterval(() => {
    if (!document.hidden) refresh().catch(() => { /* the next round tries again */ });
  }, REFRESH_MS);
  ctx.onLeave(() => {
    document.removeEventListener('keydown', onKey);
    clearInterval(timer);
    clearTimeout(metricsTimer);
  });

  replace(body, h('p', { class: 'loading', role: 'status' }, 'Loading the queue…'));
  const [q, r] = await Promise.all([fetchQueue(), api(`/facilities/${f.id}/reject-reasons`)]);
  if (!ctx.isCurrent()) return;
  reasons = r.items;
  fill(q);
  for (const m of q.items) place(m, null);

  replace(body,
    metricsBox,
    live.el,
    h('section', { class: 'section', 'aria-labelledby': 'queue-heading' },
      h('h2', { id: 'queue-heading' }, 'Messages waiting'),
      h('p', { class: 'muted queue-order' }, 'Held first, then flagged, then the oldest. Words a screening rule matched are marked.'),
      toolbar, moreNote, emptyBox, list, keysHelp));
  showEmpty();
}

/* ---- screening rules ---- */

const VALUE_HINTS = {
  words: 'Words or phrases, separated by commas. Whole words, any capitals.',
  pattern: 'A PCRE2 regular expression, for example \\b\\d{3}-\\d{4}\\b for phone numbers.',
  watch_resident: 'A resident number at this facility: every message to or from them is caught.',
  watch_email: 'A family member’s email address: every message to or from them is caught.',
};

async function rulesTab(env) {
  const { ctx, facility: f, body, manager } = env;
  const live = liveLine();
  const list = h('ul', { class: 'rows', 'data-testid': 'rules' });

  function ruleRow(rule) {
    const li = h('li', { class: 'row', 'data-rule-id': rule.id });
    const remove = manager ? confirmAction({
      label: 'Remove',
      buttonClass: 'button button--small button--secondary',
      question: h('span', null, h('strong', null, 'Remove this rule? '), 'Messages already caught stay as they are; new ones are no longer checked against it.'),
      yes: 'Yes, remove the rule',
      no: 'Keep it',
      onConfirm: async () => {
        await api(`/facilities/${f.id}/screening-rules/${rule.id}`, { method: 'DELETE' });
        li.remove();
        if (!list.children.length) replace(list, emptyRow());
        live.say(`The ${ruleKindName(rule.kind).toLowerCase()} rule “${rule.value}” was removed.`, 'success', true);
      },
    }) : null;
    replace(li,
      h('div', { class: 'row-main' },
        h('span', { class: 'row-status' }, rule.action === 'hold' ? chip('hold', 'Hold', 'stop') : chip('flag', 'Flag', 'wait')),
        h('span', { class: 'row-name' }, ruleKindName(rule.kind)),
        h('code', { class: 'rule-value' }, rule.value),
        rule.note ? h('span', { class: 'row-note' }, rule.note) : null,
        h('span', { class: 'row-note' }, `Added ${formatDate(rule.created_at)}`)),
      remove ? h('div', { class: 'row-actions' }, remove) : null);
    return li;
  }

  const emptyRow = () => h('li', { class: 'row row--empty' }, emptyNote('No screening rules. Every message still waits for a reviewer when the policy says so.'));

  let form = null;
  if (manager) {
    const kind = field({ form: 'rule', name: 'kind', label: 'Kind of rule', kind: 'select', value: 'words', options: RULE_KINDS });
    const value = field({ form: 'rule', name: 'value', label: 'What to look for', autocomplete: 'off', hint: VALUE_HINTS.words });
    const action = field({ form: 'rule', name: 'action', label: 'When it matches', kind: 'select', value: 'flag', options: RULE_ACTIONS });
    const note = field({ form: 'rule', name: 'note', label: 'Note for reviewers', optional: true, autocomplete: 'off', maxlength: '500' });
    const hint = value.wrap.querySelector('.hint');
    kind.input.addEventListener('change', () => {
      hint.textContent = VALUE_HINTS[kind.input.value] || '';
    });
    const fields = [kind, value, action, note];
    const kit = formKit(fields, 'Add rule', 'Adding…');
    form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((x) => x.wrap), kit.button);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      kit.clear();
      const v = {
        kind: kind.input.value, value: value.input.value.trim(), action: action.input.value, note: note.input.value.trim(),
      };
      if (!v.value) kit.fieldError('value', 'Type what the rule looks for.');
      if (kit.hasErrors()) {
        kit.focusFirstInvalid();
        return;
      }
      if (!v.note) delete v.note;
      kit.busy(true);
      try {
        const rule = await api(`/facilities/${f.id}/screening-rules`, { method: 'POST', body: v });
        kit.busy(false);
        value.input.value = '';
        note.input.value = '';
        const empty = list.querySelector('.row--empty');
        if (empty) empty.remove();
        list.prepend(ruleRow(rule));
        live.say(`Rule added: new messages matching “${rule.value}” are ${rule.action === 'hold' ? 'held' : 'flagged'}.`);
        value.input.focus();
      } catch (e) {
        kit.busy(false);
        kit.serverError(e);
      }
    });
  }

  replace(body, h('p', { class: 'loading', role: 'status' }, 'Loading the rules…'));
  const answer = await api(`/facilities/${f.id}/screening-rules`);
  if (!ctx.isCurrent()) return;
  replace(list, answer.items.length ? answer.items.map(ruleRow) : emptyRow());
  replace(body,
    live.el,
    h('div', { class: manager ? 'staff-columns' : '' },
      h('section', { class: 'section', 'aria-labelledby': 'rules-heading' },
        h('h2', { id: 'rules-heading' }, 'Screening rules'),
        h('p', { class: 'muted' }, manager
          ? 'Every new message is checked against these rules. Held messages wait for a closer look; flagged ones are marked for the reviewer.'
          : 'Every new message is checked against these rules. Facility administrators change them.'),
        list),
      form ? h('section', { class: 'card side-card', 'aria-labelledby': 'add-rule-heading' },
        h('h2', { id: 'add-rule-heading', class: 'panel-title' }, 'Add a rule'), form) : null));
}
