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
import { t, tn, tp, N_ } from '../i18n.js';
import {
  RULE_KINDS, RULE_ACTIONS, roleName, ruleKindName, rejectReasonName, formatCount, formatDate, formatDateTime, formatDuration,
  managesFacility,
} from '../labels.js';
import { field, formKit, confirmAction } from '../forms.js';
import { chip, emptyNote, facilityPicker } from '../widgets.js';
import { videoPlayer } from '../video.js';

const QUEUE_LIMIT = 100;
const REFRESH_MS = 30000;

const TABS = [
  ['queue', N_('Queue')],
  ['rules', N_('Screening rules')],
];

const REVIEWERS = ['reviewer', 'facility_admin', 'operator'];

/* The message's photos: its attachments that are not its video. */
function photoIds(m) {
  const videos = m.video_ids || [];
  return (m.attachment_ids || []).filter((id) => !videos.includes(id));
}

function reviewUrl(facilityId, tab) {
  const s = new URLSearchParams();
  if (facilityId) s.set('facility', String(facilityId));
  if (tab && tab !== 'queue') s.set('tab', tab);
  const q = s.toString();
  return q ? `/review?${q}` : '/review';
}

export async function reviewPage(root, ctx) {
  setTitle(t('Review messages'));
  const account = currentAccount();
  if (!account) {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('Staff sign-in needed')),
      h('p', null, t('This page is for the facility staff who review messages. Sign in with your staff account.')),
      h('p', { class: 'actions' }, h('a', { class: 'button', href: '/signin?next=%2Freview' }, t('Sign in')))));
    return;
  }
  if (!REVIEWERS.includes(account.role)) {
    const home = account.role === 'contact' ? '/messages' : homeFor(account.role);
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('This page is for message reviewers')),
      h('p', null, account.role === 'investigator'
        ? t('Investigators do not review messages. Your page is the staff page.')
        : t('Your messages are on your own messages page.')),
      h('p', { class: 'actions' }, h('a', { class: 'button', href: home }, t('Go there')))));
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
      h('h1', null, t('No facility on your account')),
      h('p', null, t('Your staff account does not belong to a facility yet. Ask an operator to set it up.'))));
    return;
  }

  replace(root, h('div', { class: 'wrap' }, h('p', { class: 'loading', role: 'status' }, t('Loading the review queue…'))));
  let f;
  try {
    f = await api(`/facilities/${facilityId}`);
  } catch (e) {
    if (!ctx.isCurrent()) return;
    if (e instanceof ApiError && e.status === 404) {
      replace(root, h('div', { class: 'wrap narrow' },
        h('h1', null, t('Facility not found')),
        h('p', null, t('There is no facility with this number.')),
        isOperator ? h('p', null, h('a', { class: 'button', href: '/review' }, t('Choose a facility'))) : null));
      return;
    }
    throw e;
  }
  if (!ctx.isCurrent()) return;
  setTitle(t('Review — {facility}', { facility: f.name }));

  let tab = ctx.query.get('tab');
  if (!TABS.some(([code]) => code === tab)) tab = 'queue';
  const body = h('div', { class: 'staff-body' });
  replace(root, h('div', { class: 'wrap staff review' },
    h('div', { class: 'page-intro staff-intro' },
      h('p', { class: 'eyebrow' }, roleName(account.role)),
      h('h1', null, t('Review messages')),
      h('p', { class: 'lead' }, f.name, ' · ', t('facility number {number}', { number: String(f.id) })),
      isOperator ? h('p', { class: 'change-facility' }, h('a', { href: '/review' }, t('Choose another facility'))) : null),
    h('nav', { class: 'tabs', 'aria-label': t('Review sections') },
      h('ul', null, TABS.map(([code, label]) => h('li', null,
        h('a', { href: reviewUrl(isOperator ? f.id : null, code), 'aria-current': code === tab ? 'page' : null }, t(label)))))),
    body));

  if (!f.on_platform) {
    replace(body, h('p', { class: 'notice notice--warning' }, t('This facility is not on Kite, so it has no messages to review.')));
    return;
  }
  const env = { ctx, account, facility: f, body, manager: managesFacility(account) };
  if (tab === 'rules') await rulesTab(env);
  else await queueTab(env);
}

function operatorPicker(root, ctx) {
  setTitle(t('Choose a facility to review'));
  const picker = facilityPicker({
    id: 'review-facility', label: t('Facility'), onlyOnKite: true,
    hint: t('Type a name, a town or a facility number. Only facilities on Kite have messages to review.'),
    onPick: (f) => ctx.navigate(reviewUrl(f.id, null)),
  });
  ctx.onLeave(picker.stop);
  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, t('Choose a facility to review')),
      h('p', { class: 'lead' }, t('Open a facility’s review queue and its screening rules.'))),
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
  const words = [...new Set(terms.filter((term) => term && term.length > 0))].sort((a, b) => b.length - a.length);
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
  const bulkButton = h('button', { type: 'button', class: 'button', disabled: true }, t('Approve selected'));
  const refreshButton = h('button', { type: 'button', class: 'button button--secondary' }, t('Check for new messages'));
  const items = new Map(); // id -> { m, li, checkbox, busy }
  let reasons = [];
  let slaSeconds = null;

  const ageText = (m) => (slaSeconds
    ? t('Waiting {age} · target {target}', { age: formatDuration(m.age_seconds), target: formatDuration(slaSeconds) })
    : t('Waiting {age}', { age: formatDuration(m.age_seconds) }));

  function metricsView(q) {
    const slaHours = Math.round(q.sla_seconds / 3600);
    const facts = [
      [t('Waiting'), formatCount(q.depth), 'depth'],
      [t('Oldest'), q.depth ? formatDuration(q.oldest_age_seconds) : '—', 'oldest'],
      [t('Over the {hours} h target', { hours: formatCount(slaHours) }), formatCount(q.over_sla), 'over_sla'],
      [t('Median time to decide (24 h)'), q.median_decision_seconds_24h === null || q.median_decision_seconds_24h === undefined
        ? '—' : formatDuration(q.median_decision_seconds_24h), 'median'],
      [t('Decided in the last 24 h'), formatCount(q.decided_last_24h), 'decided'],
    ];
    return h('dl', { class: 'metrics', 'data-testid': 'queue-metrics' },
      facts.map(([k, v, key]) => h('div', { class: `metric${key === 'over_sla' && q.over_sla > 0 ? ' metric--alert' : ''}`, 'data-metric': key },
        h('dt', null, k), h('dd', null, v))));
  }

  function updateBulk() {
    const n = selected().length;
    bulkButton.disabled = n === 0;
    bulkButton.textContent = n ? t('Approve selected ({n})', { n: formatCount(n) }) : t('Approve selected');
    selectAll.checked = n > 0 && n === items.size;
    selectAll.indeterminate = n > 0 && n < items.size;
  }

  const selected = () => [...items.values()].filter((x) => x.checkbox.checked && !x.busy);

  const toolbar = h('div', { class: 'review-toolbar' },
    h('div', { class: 'checkbox' }, selectAll, h('label', { for: 'review-select-all' }, t('Select all'))),
    bulkButton, refreshButton);
  const keysHelp = h('p', { class: 'keys-help' }, tp('Keys: {j} / {k} next and previous, {a} approve, {r} reject, {x} select.', {
    j: h('kbd', null, 'j'), k: h('kbd', null, 'k'), a: h('kbd', null, 'a'), r: h('kbd', null, 'r'), x: h('kbd', null, 'x'),
  }));

  function showEmpty() {
    const none = items.size === 0;
    replace(emptyBox, none ? emptyNote(t('Nothing to review. New messages appear here as they are sent.')) : null);
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
      ? h('span', null, tp('From {sender} (resident) to {recipient}',
        { sender: h('strong', null, m.sender.name), recipient: h('strong', null, m.recipient.name) }))
      : h('span', null, tp('From {sender} to {recipient} (resident)',
        { sender: h('strong', null, m.sender.name), recipient: h('strong', null, m.recipient.name) }));
  }

  /* Why a rule stopped the message, with the words it matched marked. */
  function ruleHit(r) {
    const parts = { kind: ruleKindName(r.kind).toLowerCase(), matched: h('mark', { class: 'hit' }, r.matched) };
    return r.action === 'hold' ? tp('Held by a {kind} rule: {matched}', parts) : tp('Flagged by a {kind} rule: {matched}', parts);
  }

  function itemView(m) {
    const checkbox = h('input', { type: 'checkbox', id: `sel-${m.id}` });
    const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const approve = h('button', { type: 'button', class: 'button', 'data-action': 'approve' }, t('Approve'));
    const reject = h('button', { type: 'button', class: 'button button--secondary', 'data-action': 'reject' }, t('Reject'));
    const panel = h('div', { class: 'row-panel reject-panel', hidden: true });
    const terms = (m.matched_rules || []).map((r) => r.matched);
    const subjectText = m.subject || '';
    const li = h('li', {
      class: `review-item${m.held ? ' review-item--held' : m.flagged ? ' review-item--flagged' : ''}`,
      tabindex: '-1', 'data-message-id': m.id, 'aria-labelledby': `rv-${m.id}-subject`,
    },
    h('div', { class: 'review-head' },
      h('div', { class: 'checkbox review-select' }, checkbox,
        h('label', { for: `sel-${m.id}` }, h('span', { class: 'visually-hidden' }, t('Select the message from {sender}', { sender: m.sender.name })), t('Select'))),
      h('span', { class: 'review-badges' },
        m.held ? chip('held', t('Held'), 'stop') : null,
        m.flagged ? chip('flagged', t('Flagged'), 'wait') : null,
        m.over_sla ? chip('over_sla', t('Over the target time'), 'stop') : null),
      h('span', { class: 'review-age' }, ageText(m))),
    h('p', { class: 'review-who' }, who(m), h('span', { class: 'muted' }, ' · ', t('sent {when}', { when: formatDateTime(m.created_at) }))),
    m.matched_rules && m.matched_rules.length
      ? h('ul', { class: 'rule-hits', 'aria-label': t('Screening rules that matched') }, m.matched_rules.map((r) => h('li', null,
        ruleHit(r))))
      : null,
    h('h3', { class: 'review-subject', id: `rv-${m.id}-subject` }, subjectText ? highlighted(subjectText, terms) : h('span', { class: 'muted' }, t('No subject'))),
    h('div', { class: 'msg-body review-body' }, highlighted(m.body, terms)),
    photoIds(m).length
      ? h('ul', { class: 'msg-photos review-photos', 'aria-label': tn(photoIds(m).length, '{n} photo', '{n} photos') },
        photoIds(m).map((id, i) => h('li', null, h('a', { href: `/api/v1/attachments/${id}`, target: '_blank', rel: 'noopener' },
          h('img', {
            src: `/api/v1/attachments/${id}`, 'data-attachment-id': id,
            alt: t('Photo {number} of {count} with this message', { number: formatCount(i + 1), count: formatCount(photoIds(m).length) }),
          })))))
      : null,
    // The reviewer plays a video message before deciding, as they look at a photo.
    (m.video_ids || []).length
      ? h('div', { class: 'review-videos' }, m.video_ids.map((id) => videoPlayer(id, { label: t('Video message to review') })))
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
    return m.subject
      ? t('“{subject}” from {sender}', { subject: m.subject, sender: m.sender.name })
      : t('The message from {sender}', { sender: m.sender.name });
  }

  /* What the live line says after a decision; note: whether the reviewer wrote a note. */
  function decided(m, decision, answer, note) {
    if (decision === 'approve') {
      return answer && answer.status === 'delivered'
        ? t('Approved: {message}. It is delivered.', { message: said(m) })
        : t('Approved: {message}.', { message: said(m) });
    }
    return note
      ? t('Rejected: {message}. The sender sees the reason and your note.', { message: said(m) })
      : t('Rejected: {message}. The sender sees the reason.', { message: said(m) });
  }

  /* The live line when someone else decided first. */
  function gone(e, m) {
    return e.status === 404
      ? t('This message is no longer in the queue. {message} was taken off your list.', { message: said(m) })
      : t('{reason} {message} was taken off your list.', { reason: e.message, message: said(m) });
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
      live.say(decided(item.m, decision, m, note));
      refreshMetrics();
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'already_decided' || e.status === 404)) {
        drop(item.m.id);
        live.say(gone(e, item.m), 'warning');
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
      form: `rej-${id}`, name: 'reason', label: t('Reason'), kind: 'select',
      options: [['', t('Choose a reason…')], ...reasons.map((r) => [r.code, rejectReasonName(r.code, r.label)])],
      hint: t('The sender sees this reason.'),
    });
    const note = field({
      form: `rej-${id}`, name: 'note', label: t('Note to the sender'), kind: 'textarea', rows: 3, optional: true,
      hint: t('Say what to change so a new message can be delivered. Up to 1,000 characters.'),
    });
    const kit = formKit([reason, note], t('Reject message'), t('Rejecting…'), { buttonClass: 'button button--danger' });
    const cancel = h('button', { type: 'button', class: 'button button--secondary' }, t('Cancel'));
    cancel.addEventListener('click', () => closeReject(item));
    const form = h('form', { class: 'form inline-form', novalidate: true },
      h('h4', { class: 'panel-heading' }, t('Reject this message')),
      kit.alert, reason.wrap, note.wrap, h('p', { class: 'form-buttons' }, kit.button, cancel));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      kit.clear();
      const code = reason.input.value;
      const text = note.input.value.trim();
      if (!code) kit.fieldError('reason', t('Choose the reason the sender will see.'));
      if (code === 'other' && !text) kit.fieldError('note', t('Another reason needs a note that tells the sender why.'));
      if ([...text].length > 1000) kit.fieldError('note', t('Keep the note to 1,000 characters.'));
      if (kit.hasErrors()) {
        kit.focusFirstInvalid();
        return;
      }
      kit.busy(true);
      setBusy(item, true);
      try {
        await api(`/review/${id}`, { method: 'POST', body: { decision: 'reject', reason: code, note: text || undefined } });
        drop(id);
        live.say(decided(item.m, 'reject', null, text));
        refreshMetrics();
      } catch (e) {
        if (e instanceof ApiError && (e.code === 'already_decided' || e.status === 404)) {
          drop(id);
          live.say(gone(e, item.m), 'warning');
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
    bulkButton.textContent = t('Approving…');
    for (const item of chosen) setBusy(item, true);
    try {
      const answer = await api('/review/bulk', { method: 'POST', body: { decision: 'approve', message_ids: chosen.map((x) => x.m.id) } });
      let ok = 0;
      let taken = 0;
      let failed = 0;
      for (const r of answer.results) {
        const item = items.get(r.id);
        if (!item) continue;
        if (r.ok) {
          ok += 1;
          drop(r.id);
        } else if (r.error && (r.error.code === 'already_decided' || r.error.code === 'not_found')) {
          taken += 1;
          drop(r.id);
        } else {
          failed += 1;
          setBusy(item, false);
          item.error.textContent = (r.error && r.error.message) || t('This message could not be approved.');
          item.error.hidden = false;
        }
      }
      const parts = [tn(ok, '{n} message approved.', '{n} messages approved.')];
      if (taken) parts.push(tn(taken, '{n} message was already decided by someone else and taken off your list.', '{n} messages were already decided by someone else and taken off your list.'));
      if (failed) parts.push(tn(failed, '{n} message could not be approved: see the note on each.', '{n} messages could not be approved: see the note on each.'));
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
      ? t('Showing {shown} of {total}. Decide these to see the rest.', { shown: formatCount(q.items.length), total: formatCount(q.metrics.depth) })
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
        ? [added ? tn(added, '{n} new message in the queue.', '{n} new messages in the queue.') : null,
          removed ? tn(removed, '{n} message was decided by someone else.', '{n} messages were decided by someone else.') : null].filter(Boolean).join(' ')
        : t('No new messages.'));
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
    const target = event.target;
    if (target && (target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable
      || (target.tagName === 'INPUT' && target.type !== 'checkbox'))) return;
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

  replace(body, h('p', { class: 'loading', role: 'status' }, t('Loading the queue…')));
  const [q, r] = await Promise.all([fetchQueue(), api(`/facilities/${f.id}/reject-reasons`)]);
  if (!ctx.isCurrent()) return;
  reasons = r.items;
  fill(q);
  for (const m of q.items) place(m, null);

  replace(body,
    metricsBox,
    live.el,
    h('section', { class: 'section', 'aria-labelledby': 'queue-heading' },
      h('h2', { id: 'queue-heading' }, t('Messages waiting')),
      h('p', { class: 'muted queue-order' }, t('Held first, then flagged, then the oldest. Words a screening rule matched are marked.')),
      toolbar, moreNote, emptyBox, list, keysHelp));
  showEmpty();
}

/* ---- screening rules ---- */

const VALUE_HINTS = {
  words: N_('Words or phrases, separated by commas. Whole words, any capitals.'),
  pattern: N_('A PCRE2 regular expression, for example {example} for phone numbers.'),
  watch_resident: N_('A resident number at this facility: every message to or from them is caught.'),
  watch_email: N_('A family member’s email address: every message to or from them is caught.'),
};
/* The hint under "What to look for" for a kind of rule. */
const valueHint = (kind) => (VALUE_HINTS[kind] ? t(VALUE_HINTS[kind], { example: '\\b\\d{3}-\\d{4}\\b' }) : '');

async function rulesTab(env) {
  const { ctx, facility: f, body, manager } = env;
  const live = liveLine();
  const list = h('ul', { class: 'rows', 'data-testid': 'rules' });

  function ruleRow(rule) {
    const li = h('li', { class: 'row', 'data-rule-id': rule.id });
    const remove = manager ? confirmAction({
      label: t('Remove'),
      buttonClass: 'button button--small button--secondary',
      question: h('span', null, h('strong', null, t('Remove this rule?')), ' ',
        t('Messages already caught stay as they are; new ones are no longer checked against it.')),
      yes: t('Yes, remove the rule'),
      no: t('Keep it'),
      onConfirm: async () => {
        await api(`/facilities/${f.id}/screening-rules/${rule.id}`, { method: 'DELETE' });
        li.remove();
        if (!list.children.length) replace(list, emptyRow());
        live.say(t('The {kind} rule “{value}” was removed.', { kind: ruleKindName(rule.kind).toLowerCase(), value: rule.value }), 'success', true);
      },
    }) : null;
    replace(li,
      h('div', { class: 'row-main' },
        h('span', { class: 'row-status' }, rule.action === 'hold' ? chip('hold', t('Hold'), 'stop') : chip('flag', t('Flag'), 'wait')),
        h('span', { class: 'row-name' }, ruleKindName(rule.kind)),
        h('code', { class: 'rule-value' }, rule.value),
        rule.note ? h('span', { class: 'row-note' }, rule.note) : null,
        h('span', { class: 'row-note' }, t('Added {date}', { date: formatDate(rule.created_at) }))),
      remove ? h('div', { class: 'row-actions' }, remove) : null);
    return li;
  }

  const emptyRow = () => h('li', { class: 'row row--empty' }, emptyNote(t('No screening rules. Every message still waits for a reviewer when the policy says so.')));

  let form = null;
  if (manager) {
    const kind = field({ form: 'rule', name: 'kind', label: t('Kind of rule'), kind: 'select', value: 'words',
      options: RULE_KINDS.map(([code]) => [code, ruleKindName(code)]) });
    const value = field({ form: 'rule', name: 'value', label: t('What to look for'), autocomplete: 'off', hint: valueHint('words') });
    const action = field({ form: 'rule', name: 'action', label: t('When it matches'), kind: 'select', value: 'flag',
      options: RULE_ACTIONS.map(([code, words]) => [code, t(words)]) });
    const note = field({ form: 'rule', name: 'note', label: t('Note for reviewers'), optional: true, autocomplete: 'off', maxlength: '500' });
    const hint = value.wrap.querySelector('.hint');
    kind.input.addEventListener('change', () => {
      hint.textContent = valueHint(kind.input.value);
    });
    const fields = [kind, value, action, note];
    const kit = formKit(fields, t('Add rule'), t('Adding…'));
    form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((x) => x.wrap), kit.button);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      kit.clear();
      const v = {
        kind: kind.input.value, value: value.input.value.trim(), action: action.input.value, note: note.input.value.trim(),
      };
      if (!v.value) kit.fieldError('value', t('Type what the rule looks for.'));
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
        live.say(rule.action === 'hold'
          ? t('Rule added: new messages matching “{value}” are held.', { value: rule.value })
          : t('Rule added: new messages matching “{value}” are flagged.', { value: rule.value }));
        value.input.focus();
      } catch (e) {
        kit.busy(false);
        kit.serverError(e);
      }
    });
  }

  replace(body, h('p', { class: 'loading', role: 'status' }, t('Loading the rules…')));
  const answer = await api(`/facilities/${f.id}/screening-rules`);
  if (!ctx.isCurrent()) return;
  replace(list, answer.items.length ? answer.items.map(ruleRow) : emptyRow());
  replace(body,
    live.el,
    h('div', { class: manager ? 'staff-columns' : '' },
      h('section', { class: 'section', 'aria-labelledby': 'rules-heading' },
        h('h2', { id: 'rules-heading' }, t('Screening rules')),
        h('p', { class: 'muted' }, manager
          ? t('Every new message is checked against these rules. Held messages wait for a closer look; flagged ones are marked for the reviewer.')
          : t('Every new message is checked against these rules. Facility administrators change them.')),
        list),
      form ? h('section', { class: 'card side-card', 'aria-labelledby': 'add-rule-heading' },
        h('h2', { id: 'add-rule-heading', class: 'panel-title' }, t('Add a rule')), form) : null));
}
