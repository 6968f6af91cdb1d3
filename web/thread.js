// A conversation with one contact, shared by /messages (family and friends) and the tablet
// (residents, with big buttons): the messages both ways, oldest at the top and the newest at the
// bottom like a text conversation, each sent message with its status in plain words, and the
// form to write the next one, with a character counter against the facility's limit and photos
// where the facility allows them.  It follows the live stream, so a status change or a reply
// shows up without a reload.

import { api, ApiError, currentAccount, newIdempotencyKey, upload } from './api.js';
import { h, replace } from './dom.js';
import { charCount, formatWhen, rejectReasonName } from './labels.js';
import { t, tn, formatCount, formatDateTime, formatMoney } from './i18n.js';
import { confirmAction, field, formKit } from './forms.js';
import { chip, emptyNote, privilegedBadge } from './widgets.js';
import { onLive, refreshUnread } from './live.js';
import { videoPicker, videoPlayer } from './video.js';

const PAGE = 25;
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/* ---- money ---- */

/* An amount in its unit, as a person says it: "$0.45", "1 stamp", "3 credits". */
export function formatAmount(unit, amount) {
  if (unit === 'stamps') return tn(amount, '{n} stamp', '{n} stamps');
  if (unit === 'credits') return tn(amount, '{n} credit', '{n} credits');
  return formatMoney(amount);
}

/* What a quote says before sending: the price, and what the sender has to pay it with. */
function quoteWords(q) {
  if (q.subscription_needed) return t('Messages here need a subscription: subscribe in your wallet before sending.');
  if (q.amount === 0) return t('This message is free to send.');
  const params = { price: formatAmount(q.unit, q.amount), has: formatAmount(q.unit, q.balance) };
  if (!q.enough) {
    if (q.unit === 'stamps') return t('This message costs {price} and you have {has}. Buy stamps in your wallet before sending.', params);
    if (q.unit === 'credits') return t('This message costs {price} and you have {has}. Buy credits in your wallet before sending.', params);
    return t('This message costs {price} and you have {has}. Add money in your wallet before sending.', params);
  }
  return t('This message costs {price}. You have {has}. It is only charged if it is delivered.', params);
}

/* The money of a message you sent: what was held, and whether it was charged or given back. */
function moneyNote(m) {
  const hold = m.hold;
  if (!hold) return null;
  const price = formatAmount(hold.unit, hold.amount);
  if (hold.state === 'captured') {
    return h('p', { class: 'msg-price', 'data-testid': 'msg-price' }, hold.captured_at
      ? t('Cost: {price}, charged when it was delivered {when}.', { price, when: formatWhen(hold.captured_at) })
      : t('Cost: {price}, charged when it was delivered.', { price }));
  }
  if (hold.state === 'released') {
    return h('p', { class: 'msg-price', 'data-testid': 'msg-price' },
      t('{price} was held {held} and given back {released}.', { price, held: formatWhen(hold.held_at), released: formatWhen(hold.released_at) }));
  }
  return h('p', { class: 'msg-price', 'data-testid': 'msg-price' }, t('{price} is held until it is delivered; if it is not, you get it back.', { price }));
}

/* ---- one message ---- */

/* What happened to a message you sent, in words. */
export function sentStatus(m) {
  if (m.status === 'pending_review') {
    return h('p', { class: 'msg-status', 'data-testid': 'msg-status' },
      chip('pending', t('Waiting for the facility to review')));
  }
  if (m.status === 'approved') {
    return h('p', { class: 'msg-status', 'data-testid': 'msg-status' }, chip('approved', t('Approved, being delivered')));
  }
  if (m.status === 'delivered' || m.status === 'read') {
    const at = m.status === 'read' ? m.read_at : m.delivered_at;
    return h('p', { class: 'msg-status', 'data-testid': 'msg-status' },
      chip('active', m.status === 'read' ? t('Read') : t('Delivered'), 'ok'),
      at ? h('span', { class: 'msg-status-when' }, ` ${formatWhen(at)}`) : null);
  }
  if (m.status === 'rejected') {
    const r = m.rejection || {};
    return h('div', { class: 'msg-rejected', 'data-testid': 'msg-status' },
      h('p', null, chip('blocked', t('Not delivered'), 'stop'),
        m.decided_at ? h('span', { class: 'msg-status-when' }, ` ${formatWhen(m.decided_at)}`) : null),
      h('p', null, h('strong', null, t('Reason:')), ' ', rejectReasonName(r.reason, r.label), '.'),
      r.note ? h('p', null, h('strong', null, t('Note from the facility:')), ' ', r.note) : null,
      h('p', null, t('You were not charged for this message.')));
  }
  if (m.status === 'withdrawn') {
    return h('div', { class: 'msg-withdrawn', 'data-testid': 'msg-status' },
      h('p', null, chip('withdrawn', t('Withdrawn'), 'quiet'),
        m.decided_at ? h('span', { class: 'msg-status-when' }, ` ${formatWhen(m.decided_at)}`) : null),
      h('p', null, t('Withdrawn. You were not charged for this message.')));
  }
  return h('p', { class: 'msg-status', 'data-testid': 'msg-status' }, chip(m.status, m.status));
}

/* The message's video (at most one), played here. */
function videos(m) {
  const ids = m.video_ids || [];
  return ids.length ? h('div', { class: 'msg-videos' }, ids.map((id) => videoPlayer(id))) : null;
}

function photos(m) {
  const videoIds = m.video_ids || [];
  const ids = (m.attachment_ids || []).filter((id) => !videoIds.includes(id));
  if (!ids.length) return null;
  return h('ul', { class: 'msg-photos', 'aria-label': tn(ids.length, '{n} photo', '{n} photos') },
    ids.map((id, i) => h('li', null,
      h('a', { href: `/api/v1/attachments/${id}`, target: '_blank', rel: 'noopener' },
        h('img', {
          src: `/api/v1/attachments/${id}`, alt: t('Photo {n} of {total}', { n: formatCount(i + 1), total: formatCount(ids.length) }),
          loading: 'lazy', 'data-attachment-id': id,
        }),
        h('span', { class: 'visually-hidden' }, ' ', t('(opens the full photo in a new tab)'))))));
}

/* Hiding changes only your own view: say what stays as it is. */
function hideNote(m, mine, otherName) {
  if (mine && (m.status === 'rejected' || m.status === 'withdrawn')) {
    return t('It was not delivered, and the facility keeps its record. It cannot be brought back here.');
  }
  if (mine && (m.status === 'pending_review' || m.status === 'approved')) {
    return t('{name} still gets it if the facility approves it, and the facility keeps its record. It cannot be brought back here.', { name: otherName });
  }
  return t('{name} still has it, and the facility keeps its record. It cannot be brought back here.', { name: otherName });
}

/* Until the facility reviews it, the sender may take a message back; what was held comes back. */
function withdrawAction(m, otherName, onWithdrawn) {
  if (m.box !== 'sent' || m.status !== 'pending_review') return null;
  const held = m.hold && m.hold.state === 'held';
  return confirmAction({
    label: t('Withdraw'),
    testid: 'msg-withdraw',
    buttonClass: 'button button--secondary msg-withdraw',
    question: h('span', null, h('strong', null, t('Withdraw this message?')), ' ',
      held
        ? t('{name} will never get it and the facility will not review it. The {amount} held for it is given back. This cannot be undone.',
          { name: otherName, amount: formatAmount(m.hold.unit, m.hold.amount) })
        : t('{name} will never get it and the facility will not review it. This cannot be undone.', { name: otherName })),
    yes: t('Yes, withdraw it'),
    no: t('Keep the message'),
    onConfirm: async () => onWithdrawn(await api(`/messages/${m.id}/withdraw`, { method: 'POST' })),
  });
}

function messageCard(m, { otherName, onHide, onWithdrawn }) {
  const mine = m.box === 'sent';
  const remove = confirmAction({
    label: t('Remove from my view'),
    buttonClass: 'button button--link msg-remove',
    question: h('span', null, h('strong', null, t('Remove this message from your view?')), ' ', hideNote(m, mine, otherName)),
    yes: t('Yes, remove it'),
    no: t('Keep the message'),
    onConfirm: async () => {
      await api(`/messages/${m.id}`, { method: 'DELETE' });
      onHide(m);
    },
  });
  return h('li', {
    class: `msg ${mine ? 'msg--mine' : 'msg--theirs'}${!mine && m.status === 'delivered' ? ' msg--new' : ''}`,
    'data-message-id': m.id, 'data-status': m.status,
  },
  h('article', {
    class: 'msg-card',
    'aria-label': mine
      ? t('You wrote, {when}', { when: formatDateTime(m.created_at) })
      : t('{name} wrote, {when}', { name: m.sender.name, when: formatDateTime(m.created_at) }),
  },
    h('p', { class: 'msg-meta' },
      h('strong', { class: 'msg-from' }, mine ? t('You') : m.sender.name),
      h('time', { datetime: m.created_at }, formatWhen(m.created_at)),
      !mine && m.status === 'delivered' ? chip('pending', t('New'), 'wait') : null,
      m.privileged ? privilegedBadge() : null),
    h('h3', { class: 'msg-subject' }, m.subject || h('span', { class: 'muted' }, t('No subject'))),
    h('div', { class: 'msg-body' }, m.body),
    photos(m),
    videos(m),
    mine ? sentStatus(m) : null,
    mine ? moneyNote(m) : null,
    h('div', { class: 'msg-actions' }, withdrawAction(m, otherName, onWithdrawn), remove)));
}

/* ---- the conversation ---- */

/*
 * contact: the contact record (GET /contacts); otherName: the person on the other side;
 * policy: their facility's policy (null when unknown); canWrite: false shows `closedNote` instead
 * of the form; big: tablet sizes.
 */
export function conversation({ ctx, contact, otherName, policy, canWrite, closedNote, big = false }) {
  const list = h('ol', { class: 'thread', 'data-testid': 'thread', 'aria-label': t('Messages with {name}', { name: otherName }) });
  const earlier = h('div', { class: 'thread-earlier' });
  const empty = h('div', { class: 'thread-empty' });
  const live = h('div', { class: 'live', role: 'status', tabindex: '-1' });
  const cards = new Map(); // message id -> li
  const reading = new Set(); // ids being marked read
  let nextCursor = null;

  function say(text, kind = 'success', focus = true) {
    replace(live, text ? h('p', { class: `notice notice--${kind}` }, text) : null);
    if (text && focus) live.focus();
  }

  function card(m) {
    return messageCard(m, { otherName, onHide: hide, onWithdrawn: withdrawn });
  }

  function withdrawn(m) {
    put(m);
    say(t('Withdrawn. You were not charged for this message.'));
  }

  function hide(m) {
    const li = cards.get(m.id);
    if (li) li.remove();
    cards.delete(m.id);
    showEmpty();
    say(t('The message was removed from your view.'));
    refreshUnread();
  }

  function showEmpty() {
    replace(empty, cards.size || nextCursor ? null : emptyNote(canWrite
      ? t('No messages yet. Write the first one below.')
      : t('No messages.')));
  }

  /* Puts a message in its place: replaces its card, or adds it in time order. */
  function put(m) {
    if (m.contact_id !== contact.id) return null;
    const li = card(m);
    const old = cards.get(m.id);
    if (old) {
      old.replaceWith(li);
    } else {
      const after = [...cards.keys()].filter((id) => id > m.id).sort((a, b) => a - b)[0];
      if (after !== undefined) cards.get(after).before(li);
      else list.append(li);
    }
    cards.set(m.id, li);
    return li;
  }

  /* The messages delivered to me that I have not opened: opening the conversation reads them. */
  async function markRead() {
    if (document.hidden) return;
    const waiting = [...cards.values()]
      .filter((li) => li.classList.contains('msg--theirs') && li.dataset.status === 'delivered')
      .map((li) => Number(li.dataset.messageId))
      .filter((id) => !reading.has(id));
    if (!waiting.length) return;
    for (const id of waiting) reading.add(id);
    await Promise.all(waiting.map(async (id) => {
      try {
        await api(`/messages/${id}/read`, { method: 'POST' });
        // The card keeps its "New" mark until the next visit, so the reader sees what arrived.
        const li = cards.get(id);
        if (li) li.dataset.status = 'read';
      } catch {
        /* it stays unread; the next look tries again */
      } finally {
        reading.delete(id);
      }
    }));
    refreshUnread();
  }

  async function loadEarlier(button) {
    const firstBefore = list.firstElementChild;
    const top = firstBefore ? firstBefore.getBoundingClientRect().top : 0;
    button.disabled = true;
    button.textContent = t('Loading…');
    try {
      await fetchPage(nextCursor);
    } catch (e) {
      button.disabled = false;
      button.textContent = t('Show earlier messages');
      say(e.message, 'error');
      return;
    }
    // Keep the message that was at the top where it was on the screen.
    if (firstBefore && firstBefore.isConnected) window.scrollBy(0, firstBefore.getBoundingClientRect().top - top);
  }

  async function fetchPage(cursor) {
    const q = new URLSearchParams({ contact_id: String(contact.id), limit: String(PAGE) });
    if (cursor) q.set('cursor', cursor);
    const answer = await api(`/messages?${q}`);
    const items = answer.items;
    if (!ctx.isCurrent()) return;
    nextCursor = answer.next_cursor;
    for (const m of items) put(m);
    replace(earlier, nextCursor ? (() => {
      const b = h('button', { type: 'button', class: big ? 'button button--big button--secondary' : 'button button--secondary' },
        t('Show earlier messages'));
      b.addEventListener('click', () => loadEarlier(b));
      return b;
    })() : null);
    showEmpty();
  }

  /* A message the live stream named: fetch it, and show it if it is part of this conversation. */
  async function follow(id, isNew) {
    if (!cards.has(id) && !isNew) return;
    try {
      const m = await api(`/messages/${id}`);
      if (!ctx.isCurrent()) return;
      const known = cards.has(id);
      const before = known ? cards.get(id).dataset.status : null;
      put(m);
      showEmpty();
      if (!known && m.box === 'inbox' && m.contact_id === contact.id) {
        say(t('New message from {name}.', { name: m.sender.name }), 'success', false);
        markRead();
      } else if (known && m.box === 'sent' && before !== m.status) {
        // The notice of the send ("gets it after the facility reviews it") would now be stale.
        if (m.status === 'rejected') say(t('Your message was not delivered. You were not charged for it.'), 'warning', false);
        else if (m.status === 'delivered') say(t('Delivered to {name}.', { name: otherName }), 'success', false);
        else if (m.status === 'withdrawn') say(t('Withdrawn. You were not charged for this message.'), 'success', false);
      }
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
  }

  async function resync() {
    const answer = await api(`/messages?contact_id=${contact.id}&limit=${PAGE}`);
    const items = answer.items;
    if (!ctx.isCurrent()) return;
    for (const m of items) put(m);
    showEmpty();
    markRead();
  }

  const stopLive = onLive(({ type, data }) => {
    const job = type === 'resync' ? resync() : data && data.message_id ? follow(Number(data.message_id), type === 'message.new') : null;
    if (job) job.catch(() => { /* the next event or visit shows it */ });
  });
  const onVisible = () => {
    if (!document.hidden) markRead();
  };
  document.addEventListener('visibilitychange', onVisible);
  ctx.onLeave(() => {
    stopLive();
    document.removeEventListener('visibilitychange', onVisible);
  });

  const compose = canWrite
    ? composeForm({
      contact, otherName, policy, big,
      onSent: (m) => {
        const li = put(m);
        showEmpty();
        say(m.status === 'pending_review'
          ? t('Sent. {name} gets it after the facility reviews it.', { name: otherName })
          : m.status === 'delivered' ? t('Delivered to {name}.', { name: otherName }) : t('Sent.'));
        if (li) li.scrollIntoView({ block: 'nearest' });
      },
    })
    : h('p', { class: 'notice notice--warning', 'data-testid': 'cannot-write' }, closedNote || t('You cannot write to this person now.'));

  const el = h('div', { class: `conversation${big ? ' conversation--big' : ''}` },
    contact && contact.privileged
      ? h('p', { class: 'notice notice--info privileged-note', 'data-testid': 'privileged-note' }, privilegedBadge(), ' ',
        t('What you write each other here is privileged legal mail: it is not screened or reviewed, and no facility staff can read it.'))
      : null,
    h('section', { class: 'thread-section', 'aria-labelledby': 'thread-heading' },
      h('h2', { id: 'thread-heading', class: 'visually-hidden' }, t('Messages with {name}', { name: otherName })),
      earlier, empty, list),
    live,
    compose);

  return {
    el,
    async load() {
      await fetchPage(null);
      markRead();
    },
    /* The newest message, to scroll to when the conversation opens. */
    newest: () => list.lastElementChild,
  };
}

/* ---- writing ---- */

function draftKey(contactId) {
  const a = currentAccount();
  return a ? `kite.draft.${a.id}.${contactId}` : null;
}

function loadDraft(key) {
  if (!key) return null;
  try {
    return JSON.parse(sessionStorage.getItem(key) || 'null');
  } catch {
    return null;
  }
}

function saveDraft(key, draft) {
  if (!key) return;
  try {
    if (draft && (draft.subject || draft.body)) sessionStorage.setItem(key, JSON.stringify(draft));
    else sessionStorage.removeItem(key);
  } catch {
    /* storage blocked: no draft kept */
  }
}

function composeForm({ contact, otherName, policy, big, onSent }) {
  const max = policy ? policy.message_max_chars : null;
  const photosAllowed = Boolean(policy && policy.attachments_allowed);
  const maxPhotos = photosAllowed ? policy.max_attachments : 0;
  // A shared tablet keeps no drafts: the next person must not find them.
  const key = big ? null : draftKey(contact.id);
  const draft = loadDraft(key) || {};

  const subject = field({ form: 'msg', name: 'subject', label: t('Subject'), optional: true, autocomplete: 'off', maxlength: '200', value: draft.subject });
  const body = field({
    form: 'msg', name: 'body', label: t('Your message'), kind: 'textarea', rows: big ? 8 : 7,
    // Privileged legal mail is read by nobody at the facility (docs/privilege.md): the hint must not say otherwise.
    hint: contact.privileged ? t('Privileged legal mail: delivered at once, and no facility staff can read it.')
      : policy && policy.review === 'flagged_only'
      ? t('Staff at the facility check messages; most are delivered at once.')
      : t('Staff at the facility read every message before it is delivered.'),
    value: draft.body,
  });
  const counter = h('p', { id: 'f-msg-body-count', class: 'char-count', 'data-testid': 'char-count' });
  const overLive = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  // The price before sending, asked again as the text changes (debounced): nobody pays what they were not shown.
  const priceLine = h('p', { id: 'f-msg-price', class: 'msg-quote', 'data-testid': 'price-quote', 'aria-live': 'polite' });
  body.input.setAttribute('aria-describedby', `${body.input.getAttribute('aria-describedby')} f-msg-body-count f-msg-price`);
  body.wrap.append(counter, overLive, priceLine);

  const fields = [subject, body];
  let picker = null;
  if (photosAllowed) {
    picker = photoPicker(maxPhotos, policy.attachment_max_bytes, Boolean(contact.privileged));
    fields.push(picker.field);
  }
  const video = policy && policy.videos_allowed ? videoPicker({ privileged: Boolean(contact.privileged) }) : null;
  if (video) fields.push(video.field);
  const attachmentIds = () => [...(picker ? picker.ids() : []), ...(video ? video.ids() : [])];
  const kit = formKit(fields, t('Send message'), t('Sending…'), { buttonClass: big ? 'button button--big button--wide' : 'button' });
  const form = h('form', { class: 'form compose-form', novalidate: true, 'data-testid': 'compose' },
    kit.alert, subject.wrap, body.wrap,
    picker ? picker.field.wrap : h('p', { class: 'hint photos-off' }, t('Photos cannot be sent to this facility: text only.')),
    video ? video.field.wrap : null,
    h('p', { class: 'form-buttons' }, kit.button));

  let wasOver = false;
  function count() {
    const n = charCount(body.input.value);
    if (max === null) {
      counter.textContent = tn(n, '{n} character', '{n} characters');
      return;
    }
    const over = n > max;
    const params = { count: formatCount(n), max: formatCount(max), over: formatCount(n - max) };
    counter.textContent = over
      ? t('{count} of {max} characters: {over} too many', params)
      : t('{count} of {max} characters', params);
    counter.classList.toggle('char-count--over', over);
    if (over !== wasOver) overLive.textContent = over ? t('Your message is over the limit of {max} characters.', params) : '';
    wasOver = over;
  }
  count();

  let draftTimer = null;
  const keepDraft = () => {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(() => saveDraft(key, { subject: subject.input.value, body: body.input.value }), 300);
  };
  // The last quote and the text it was for; a send carries its price so a changed price is refused (409).
  let quoted = null;
  let quoteTimer = null;
  let quoteSeq = 0;
  const draftPayload = () => {
    const payload = { contact_id: contact.id, subject: subject.input.value.trim(), body: body.input.value.replace(/\s+$/, '') };
    const ids = attachmentIds();
    if (ids.length) payload.attachment_ids = ids;
    return payload;
  };
  async function refreshQuote() {
    const payload = draftPayload();
    const seq = ++quoteSeq;
    if (!payload.body.trim()) {
      quoted = null;
      priceLine.textContent = '';
      return;
    }
    try {
      const q = await api('/messages/quote', { method: 'POST', body: payload });
      if (seq !== quoteSeq) return; // a newer text was asked for meanwhile
      quoted = { for: JSON.stringify(payload), q };
      priceLine.textContent = quoteWords(q);
      priceLine.classList.toggle('msg-quote--short', !q.enough);
    } catch {
      if (seq === quoteSeq) {
        quoted = null;
        priceLine.textContent = '';
      }
    }
  }
  const requote = () => {
    clearTimeout(quoteTimer);
    quoteTimer = setTimeout(refreshQuote, 400);
  };
  if (draft.body) refreshQuote();
  if (picker) picker.onChange(requote);
  if (video) video.onChange(requote);

  body.input.addEventListener('input', () => {
    count();
    keepDraft();
    requote();
  });
  subject.input.addEventListener('input', keepDraft);

  // One key per message: a double click or a retry of the same message is sent once.  Another
  // text (after an error) is another message, with a new key.
  let attempt = null;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (kit.button.disabled) return;
    kit.clear();
    const text = body.input.value.replace(/\s+$/, '');
    const subj = subject.input.value.trim();
    const n = charCount(text);
    if (!text.trim()) kit.fieldError('body', t('Write your message.'));
    else if (max !== null && n > max) {
      kit.fieldError('body', t('Your message is {count} characters. The limit at this facility is {max} characters: shorten it by {over}.',
        { count: formatCount(n), max: formatCount(max), over: formatCount(n - max) }));
    }
    if (charCount(subj) > 200) kit.fieldError('subject', t('Keep the subject to {max} characters.', { max: formatCount(200) }));
    if (picker) {
      const problem = picker.problem();
      if (problem) kit.fieldError('attachment_ids', problem);
    }
    if (video) {
      const problem = video.problem();
      if (problem) kit.fieldError('video', problem);
    }
    if (kit.hasErrors()) {
      kit.focusFirstInvalid();
      return;
    }
    const payload = { contact_id: contact.id, subject: subj, body: text };
    const ids = attachmentIds();
    if (ids.length) payload.attachment_ids = ids;
    if (quoted && quoted.for === JSON.stringify(payload)) {
      payload.expected_amount = quoted.q.amount;
      payload.expected_unit = quoted.q.unit;
    }
    const same = JSON.stringify(payload);
    if (!attempt || attempt.payload !== same) attempt = { payload: same, key: newIdempotencyKey() };
    kit.busy(true);
    try {
      const m = await api('/messages', { method: 'POST', body: payload, headers: { 'Idempotency-Key': attempt.key } });
      attempt = null;
      kit.busy(false);
      form.reset();
      clearTimeout(draftTimer);
      saveDraft(key, null);
      if (picker) picker.clear();
      if (video) video.clear();
      count();
      quoted = null;
      priceLine.textContent = '';
      onSent(m);
    } catch (e) {
      kit.busy(false);
      if (e instanceof ApiError && e.code === 'message_too_long') kit.fieldError('body', e.message);
      else if (e instanceof ApiError && e.code === 'attachments_not_allowed' && (picker || video)) {
        kit.fieldError(video && video.ids().length ? 'video' : 'attachment_ids', e.message);
      }
      else if (e instanceof ApiError && (e.status === 402 || (e.status === 409 && e.field === 'expected_amount'))) {
        // Not enough to pay, or the price changed: say so at the top, and show the price as it is now.
        // A family member short of money, stamps or a subscription is shown where to buy them.
        const me = currentAccount();
        const toWallet = e.status === 402 && me && me.role === 'contact' && contact.facility
          ? h('a', { href: `/wallet?facility=${contact.facility.id}`, 'data-testid': 'wallet-link' },
            quoted && quoted.q.subscription_needed ? t('Subscribe in your wallet') : t('Open your wallet'))
          : null;
        kit.topError(e.message, toWallet ? [' ', toWallet] : null);
        attempt = null;
        refreshQuote();
        return;
      } else {
        kit.serverError(e);
        return;
      }
      kit.focusFirstInvalid();
    }
  });

  return h('section', { class: 'compose card', 'aria-labelledby': 'compose-heading' },
    h('h2', { id: 'compose-heading', class: 'panel-title' }, t('Write to {name}', { name: otherName })),
    form);
}

/* Choose photos: each shows at once with its upload progress, and can be taken out again. */
function photoPicker(maxPhotos, maxBytes, privileged = false) {
  const id = 'f-msg-attachment_ids';
  const input = h('input', {
    id, name: 'attachment_ids', type: 'file', class: 'photo-input visually-hidden', multiple: maxPhotos > 1,
    accept: PHOTO_TYPES.join(','), 'aria-describedby': `${id}-hint ${id}-error`,
  });
  const error = h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
  const tiles = h('ul', { class: 'photo-tiles', 'data-testid': 'photo-tiles' });
  const left = h('span', { class: 'photo-left' });
  const items = [];
  const limitMb = maxBytes ? Math.floor(maxBytes / (1024 * 1024)) : null;

  let changed = () => {};
  function refresh() {
    const free = maxPhotos - items.length;
    input.disabled = free <= 0;
    left.textContent = free <= 0 ? t('That is the most for one message ({max}).', { max: formatCount(maxPhotos) }) : '';
    tiles.hidden = items.length === 0;
    changed();
  }

  function removeItem(item) {
    if (item.controller) item.controller.abort();
    const i = items.indexOf(item);
    if (i >= 0) items.splice(i, 1);
    item.li.remove();
    refresh();
    input.focus();
  }

  function add(file) {
    const item = { file, id: null, state: 'uploading', controller: new AbortController(), li: null };
    const img = h('img', { alt: t('Preview of {file}', { file: file.name }), class: 'photo-preview' });
    const bar = h('progress', { max: '100', value: '0', 'aria-label': t('Uploading {file}', { file: file.name }) });
    const note = h('p', { class: 'photo-note', role: 'status' }, t('Uploading…'));
    const remove = h('button', { type: 'button', class: 'button button--small button--secondary' }, t('Remove'));
    remove.setAttribute('aria-label', t('Remove {file}', { file: file.name }));
    remove.addEventListener('click', () => removeItem(item));
    item.li = h('li', { class: 'photo-tile', 'data-state': 'uploading' },
      h('div', { class: 'photo-frame' }, img), bar, note, remove);
    items.push(item);
    tiles.append(item.li);
    refresh();

    const fail = (text) => {
      item.state = 'error';
      item.li.dataset.state = 'error';
      bar.remove();
      note.className = 'photo-note field-error';
      note.setAttribute('role', 'alert');
      note.textContent = text;
    };
    if (!PHOTO_TYPES.includes(file.type)) {
      fail(t('This file is not a JPEG, PNG or WebP photo. Remove it and choose a photo.'));
      return;
    }
    if (file.size > MAX_UPLOAD_BYTES) {
      fail(t('This photo is bigger than {mb} MB. Remove it and choose a smaller one.', { mb: formatCount(MAX_UPLOAD_BYTES / (1024 * 1024)) }));
      return;
    }
    // The preview, straight from the file (a data: address: the page allows no other kind).
    const reader = new FileReader();
    reader.addEventListener('load', () => {
      if (item.state === 'uploading' && typeof reader.result === 'string') img.src = reader.result;
    });
    reader.readAsDataURL(file);

    upload('/attachments', file, {
      signal: item.controller.signal,
      onProgress: (f) => {
        bar.value = Math.round(f * 100);
        note.textContent = t('Uploading… {percent}%', { percent: formatCount(Math.round(f * 100)) });
      },
    }).then((a) => {
      item.id = a.id;
      item.state = 'done';
      item.controller = null;
      item.li.dataset.state = 'done';
      item.li.dataset.attachmentId = a.id;
      bar.remove();
      // What the other side will see: Kite's own copy, turned upright and without its metadata.
      img.src = `/api/v1/attachments/${a.id}`;
      img.alt = t('Photo {file}, ready to send', { file: file.name });
      note.textContent = limitMb && a.size_bytes > maxBytes
        ? t('Ready, but bigger than this facility allows ({mb} MB).', { mb: formatCount(limitMb) })
        : t('Ready to send');
      changed(); // a photo that is ready changes the price
    }).catch((e) => {
      if (e && e.name === 'AbortError') return;
      fail(e.message || t('This photo could not be uploaded. Remove it and try again.'));
    });
  }

  input.addEventListener('change', () => {
    const files = [...input.files];
    input.value = '';
    const room = maxPhotos - items.length;
    for (const file of files.slice(0, Math.max(0, room))) add(file);
    if (files.length > room) {
      error.hidden = false;
      replace(error, tn(maxPhotos, 'Only {n} photo can go with one message. The others were left out.',
        'Only {n} photos can go with one message. The others were left out.'));
    }
  });

  const wrap = h('div', { class: 'field photos-field' },
    h('p', { class: 'photos-label' }, t('Photos'), h('span', { class: 'optional' }, ' ', t('(optional)'))),
    h('p', { id: `${id}-hint`, class: 'hint' },
      privileged
        ? tn(maxPhotos, 'Up to {n} photo: JPEG, PNG or WebP. Only the two of you can see it.',
          'Up to {n} photos: JPEG, PNG or WebP. Only the two of you can see them.')
        : tn(maxPhotos, 'Up to {n} photo: JPEG, PNG or WebP. Staff see them before they are delivered.',
          'Up to {n} photos: JPEG, PNG or WebP. Staff see them before they are delivered.')),
    error,
    tiles,
    h('div', { class: 'photo-add' }, input,
      h('label', { for: id, class: 'button button--secondary photo-button' }, t('Add photos')), left));
  refresh();

  return {
    /* fn is called whenever the photos that would be sent change (the price counts them). */
    onChange(fn) { changed = fn; },
    field: { name: 'attachment_ids', wrap, input, error, labelText: t('Photos') },
    ids: () => items.filter((x) => x.state === 'done').map((x) => x.id),
    problem() {
      if (items.some((x) => x.state === 'uploading')) return t('Wait until the photos have finished uploading.');
      if (items.some((x) => x.state === 'error')) return t('A photo could not be added. Remove it, then send.');

      return null;
    },
    clear() {
      for (const item of [...items]) {
        if (item.controller) item.controller.abort();
        item.li.remove();
      }
      items.length = 0;
      refresh();
    },
  };
}
