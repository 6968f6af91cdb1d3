// A conversation with one contact, shared by /messages (family and friends) and the tablet
// (residents, with big buttons): the messages both ways, oldest at the top and the newest at the
// bottom like a text conversation, each sent message with its status in plain words, and the
// form to write the next one, with a character counter against the facility's limit and photos
// where the facility allows them.  It follows the live stream, so a status change or a reply
// shows up without a reload.

import { api, ApiError, currentAccount, newIdempotencyKey, upload } from './api.js';
import { h, replace } from './dom.js';
import {
  charCount, formatCount, formatDateTime, formatMoney, formatWhen, plural, rejectReasonName,
} from './labels.js';
import { confirmAction, field, formKit } from './forms.js';
import { chip, emptyNote } from './widgets.js';
import { onLive, refreshUnread } from './live.js';

const PAGE = 25;
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/* ---- money ---- */

/* An amount in its unit, as a person says it: "$0.45", "1 stamp", "3 credits". */
export function formatAmount(unit, amount) {
  if (unit === 'stamps') return plural(amount, 'stamp', 'stamps');
  if (unit === 'credits') return plural(amount, 'credit', 'credits');
  return formatMoney(amount);
}

/* What a quote says before sending: the price, and what the sender has to pay it with. */
function quoteWords(q) {
  if (q.subscription_needed) return 'Messages here need a subscription: subscribe in your wallet before sending.';
  if (q.amount === 0) return 'This message is free to send.';
  const price = formatAmount(q.unit, q.amount);
  const has = formatAmount(q.unit, q.balance);
  if (!q.enough) {
    const what = q.unit === 'stamps' ? 'Buy stamps' : q.unit === 'credits' ? 'Buy credits' : 'Add money';
    return `This message costs ${price} and you have ${has}. ${what} in your wallet before sending.`;
  }
  return `This message costs ${price}. You have ${has}. It is only charged if it is delivered.`;
}

/* The money of a message you sent: what was held, and whether it was charged or given back. */
function moneyNote(m) {
  const hold = m.hold;
  if (!hold) return null;
  const price = formatAmount(hold.unit, hold.amount);
  if (hold.state === 'captured') {
    return h('p', { class: 'msg-price', 'data-testid': 'msg-price' },
      `Cost: ${price}, charged when it was delivered${hold.captured_at ? ` ${formatWhen(hold.captured_at)}` : ''}.`);
  }
  if (hold.state === 'released') {
    return h('p', { class: 'msg-price', 'data-testid': 'msg-price' },
      `${price} was held ${formatWhen(hold.held_at)} and given back ${formatWhen(hold.released_at)}.`);
  }
  return h('p', { class: 'msg-price', 'data-testid': 'msg-price' }, `${price} is held until it is delivered; if it is not, you get it back.`);
}

/* ---- one message ---- */

/* What happened to a message you sent, in words. */
export function sentStatus(m) {
  if (m.status === 'pending_review') {
    return h('p', { class: 'msg-status', 'data-testid': 'msg-status' },
      chip('pending', 'Waiting for the facility to review'));
  }
  if (m.status === 'approved') {
    return h('p', { class: 'msg-status', 'data-testid': 'msg-status' }, chip('approved', 'Approved, being delivered'));
  }
  if (m.status === 'delivered' || m.status === 'read') {
    const at = m.status === 'read' ? m.read_at : m.delivered_at;
    return h('p', { class: 'msg-status', 'data-testid': 'msg-status' },
      chip('active', m.status === 'read' ? 'Read' : 'Delivered', 'ok'),
      at ? h('span', { class: 'msg-status-when' }, ` ${formatWhen(at)}`) : null);
  }
  if (m.status === 'rejected') {
    const r = m.rejection || {};
    return h('div', { class: 'msg-rejected', 'data-testid': 'msg-status' },
      h('p', null, chip('blocked', 'Not delivered', 'stop'),
        m.decided_at ? h('span', { class: 'msg-status-when' }, ` ${formatWhen(m.decided_at)}`) : null),
      h('p', null, h('strong', null, 'Reason: '), rejectReasonName(r.reason, r.label), '.'),
      r.note ? h('p', null, h('strong', null, 'Note from the facility: '), r.note) : null,
      h('p', null, 'You were not charged for this message.'));
  }
  return h('p', { class: 'msg-status', 'data-testid': 'msg-status' }, chip(m.status, m.status));
}

function photos(m) {
  const ids = m.attachment_ids || [];
  if (!ids.length) return null;
  return h('ul', { class: 'msg-photos', 'aria-label': plural(ids.length, 'photo', 'photos') },
    ids.map((id, i) => h('li', null,
      h('a', { href: `/api/v1/attachments/${id}`, target: '_blank', rel: 'noopener' },
        h('img', {
          src: `/api/v1/attachments/${id}`, alt: `Photo ${i + 1} of ${ids.length}`, loading: 'lazy', 'data-attachment-id': id,
        }),
        h('span', { class: 'visually-hidden' }, ' (opens the full photo in a new tab)')))));
}

/* Hiding changes only your own view: say what stays as it is. */
function hideNote(m, mine, otherName) {
  let other = `${otherName} still has it`;
  if (mine && m.status === 'rejected') other = 'It was not delivered';
  else if (mine && (m.status === 'pending_review' || m.status === 'approved')) other = `${otherName} still gets it if the facility approves it`;
  return `${other}, and the facility keeps its record. It cannot be brought back here.`;
}

function messageCard(m, { otherName, onHide }) {
  const mine = m.box === 'sent';
  const remove = confirmAction({
    label: 'Remove from my view',
    buttonClass: 'button button--link msg-remove',
    question: h('span', null, h('strong', null, 'Remove this message from your view? '), hideNote(m, mine, otherName)),
    yes: 'Yes, remove it',
    no: 'Keep it',
    onConfirm: async () => {
      await api(`/messages/${m.id}`, { method: 'DELETE' });
      onHide(m);
    },
  });
  return h('li', {
    class: `msg ${mine ? 'msg--mine' : 'msg--theirs'}${!mine && m.status === 'delivered' ? ' msg--new' : ''}`,
    'data-message-id': m.id, 'data-status': m.status,
  },
  h('article', { class: 'msg-card', 'aria-label': `${mine ? 'You wrote' : `${m.sender.name} wrote`}, ${formatDateTime(m.created_at)}` },
    h('p', { class: 'msg-meta' },
      h('strong', { class: 'msg-from' }, mine ? 'You' : m.sender.name),
      h('time', { datetime: m.created_at }, formatWhen(m.created_at)),
      !mine && m.status === 'delivered' ? chip('pending', 'New', 'wait') : null),
    h('h3', { class: 'msg-subject' }, m.subject || h('span', { class: 'muted' }, 'No subject')),
    h('div', { class: 'msg-body' }, m.body),
    photos(m),
    mine ? sentStatus(m) : null,
    mine ? moneyNote(m) : null,
    h('div', { class: 'msg-actions' }, remove)));
}

/* ---- the conversation ---- */

/*
 * contact: the contact record (GET /contacts); otherName: the person on the other side;
 * policy: their facility's policy (null when unknown); canWrite: false shows `closedNote` instead
 * of the form; big: tablet sizes.
 */
export function conversation({ ctx, contact, otherName, policy, canWrite, closedNote, big = false }) {
  const list = h('ol', { class: 'thread', 'data-testid': 'thread', 'aria-label': `Messages with ${otherName}` });
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
    return messageCard(m, { otherName, onHide: hide });
  }

  function hide(m) {
    const li = cards.get(m.id);
    if (li) li.remove();
    cards.delete(m.id);
    showEmpty();
    say('The message was removed from your view.');
    refreshUnread();
  }

  function showEmpty() {
    replace(empty, cards.size || nextCursor ? null : emptyNote(canWrite
      ? `No messages yet. Write the first one below.`
      : 'No messages.'));
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
    button.textContent = 'Loading…';
    try {
      await fetchPage(nextCursor);
    } catch (e) {
      button.disabled = false;
      button.textContent = 'Show earlier messages';
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
        'Show earlier messages');
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
      put(m);
      showEmpty();
      if (!known && m.box === 'inbox' && m.contact_id === contact.id) {
        say(`New message from ${m.sender.name}.`, 'success', false);
        markRead();
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
          ? `Sent. ${otherName} gets it after the facility reviews it.`
          : m.status === 'delivered' ? `Delivered to ${otherName}.` : 'Sent.');
        if (li) li.scrollIntoView({ block: 'nearest' });
      },
    })
    : h('p', { class: 'notice notice--warning', 'data-testid': 'cannot-write' }, closedNote || 'You cannot write to this person now.');

  const el = h('div', { class: `conversation${big ? ' conversation--big' : ''}` },
    h('section', { class: 'thread-section', 'aria-labelledby': 'thread-heading' },
      h('h2', { id: 'thread-heading', class: 'visually-hidden' }, `Messages with ${otherName}`),
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

  const subject = field({ form: 'msg', name: 'subject', label: 'Subject', optional: true, autocomplete: 'off', maxlength: '200', value: draft.subject });
  const body = field({
    form: 'msg', name: 'body', label: 'Your message', kind: 'textarea', rows: big ? 8 : 7,
    hint: policy && policy.review === 'flagged_only'
      ? 'Staff at the facility check messages; most are delivered at once.'
      : 'Staff at the facility read every message before it is delivered.',
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
    picker = photoPicker(maxPhotos, policy.attachment_max_bytes);
    fields.push(picker.field);
  }
  const kit = formKit(fields, 'Send message', 'Sending…', { buttonClass: big ? 'button button--big button--wide' : 'button' });
  const form = h('form', { class: 'form compose-form', novalidate: true, 'data-testid': 'compose' },
    kit.alert, subject.wrap, body.wrap,
    picker ? picker.field.wrap : h('p', { class: 'hint photos-off' }, 'Photos cannot be sent to this facility: text only.'),
    h('p', { class: 'form-buttons' }, kit.button));

  let wasOver = false;
  function count() {
    const n = charCount(body.input.value);
    if (max === null) {
      counter.textContent = `${formatCount(n)} ${n === 1 ? 'character' : 'characters'}`;
      return;
    }
    const over = n > max;
    counter.textContent = over
      ? `${formatCount(n)} of ${formatCount(max)} characters: ${formatCount(n - max)} too many`
      : `${formatCount(n)} of ${formatCount(max)} characters`;
    counter.classList.toggle('char-count--over', over);
    if (over !== wasOver) overLive.textContent = over ? `Your message is over the limit of ${formatCount(max)} characters.` : '';
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
    const ids = picker ? picker.ids() : [];
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
    if (!text.trim()) kit.fieldError('body', 'Write your message.');
    else if (max !== null && n > max) {
      kit.fieldError('body', `Your message is ${formatCount(n)} characters. The limit at this facility is ${formatCount(max)} characters: shorten it by ${formatCount(n - max)}.`);
    }
    if (charCount(subj) > 200) kit.fieldError('subject', 'Keep the subject to 200 characters.');
    if (picker) {
      const problem = picker.problem();
      if (problem) kit.fieldError('attachment_ids', problem);
    }
    if (kit.hasErrors()) {
      kit.focusFirstInvalid();
      return;
    }
    const payload = { contact_id: contact.id, subject: subj, body: text };
    const ids = picker ? picker.ids() : [];
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
      count();
      quoted = null;
      priceLine.textContent = '';
      onSent(m);
    } catch (e) {
      kit.busy(false);
      if (e instanceof ApiError && e.code === 'message_too_long') kit.fieldError('body', e.message);
      else if (e instanceof ApiError && e.code === 'attachments_not_allowed' && picker) kit.fieldError('attachment_ids', e.message);
      else if (e instanceof ApiError && (e.status === 402 || (e.status === 409 && e.field === 'expected_amount'))) {
        // Not enough to pay, or the price changed: say so at the top, and show the price as it is now.
        // A family member short of money, stamps or a subscription is shown where to buy them.
        const me = currentAccount();
        const toWallet = e.status === 402 && me && me.role === 'contact' && contact.facility
          ? h('a', { href: `/wallet?facility=${contact.facility.id}`, 'data-testid': 'wallet-link' },
            quoted && quoted.q.subscription_needed ? 'Subscribe in your wallet' : 'Open your wallet')
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
    h('h2', { id: 'compose-heading', class: 'panel-title' }, `Write to ${otherName}`),
    form);
}

/* Choose photos: each shows at once with its upload progress, and can be taken out again. */
function photoPicker(maxPhotos, maxBytes) {
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
    left.textContent = free <= 0 ? `That is the most for one message (${maxPhotos}).` : '';
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
    const img = h('img', { alt: `Preview of ${file.name}`, class: 'photo-preview' });
    const bar = h('progress', { max: '100', value: '0', 'aria-label': `Uploading ${file.name}` });
    const note = h('p', { class: 'photo-note', role: 'status' }, 'Uploading…');
    const remove = h('button', { type: 'button', class: 'button button--small button--secondary' }, 'Remove');
    remove.setAttribute('aria-label', `Remove ${file.name}`);
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
      fail('This file is not a JPEG, PNG or WebP photo. Remove it and choose a photo.');
      return;
    }
    if (file.size > MAX_UPLOAD_BYTES) {
      fail('This photo is bigger than 10 MB. Remove it and choose a smaller one.');
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
        note.textContent = `Uploading… ${Math.round(f * 100)}%`;
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
      img.alt = `Photo ${file.name}, ready to send`;
      note.textContent = limitMb && a.size_bytes > maxBytes
        ? `Ready, but bigger than this facility allows (${limitMb} MB).`
        : 'Ready to send';
      changed(); // a photo that is ready changes the price
    }).catch((e) => {
      if (e && e.name === 'AbortError') return;
      fail(e.message || 'This photo could not be uploaded. Remove it and try again.');
    });
  }

  input.addEventListener('change', () => {
    const files = [...input.files];
    input.value = '';
    const room = maxPhotos - items.length;
    for (const file of files.slice(0, Math.max(0, room))) add(file);
    if (files.length > room) {
      error.hidden = false;
      replace(error, `Only ${plural(maxPhotos, 'photo', 'photos')} can go with one message. The others were left out.`);
    }
  });

  const wrap = h('div', { class: 'field photos-field' },
    h('p', { class: 'photos-label' }, 'Photos', h('span', { class: 'optional' }, ' (optional)')),
    h('p', { id: `${id}-hint`, class: 'hint' },
      `Up to ${plural(maxPhotos, 'photo', 'photos')}: JPEG, PNG or WebP. Staff see them before they are delivered.`),
    error,
    tiles,
    h('div', { class: 'photo-add' }, input,
      h('label', { for: id, class: 'button button--secondary photo-button' }, 'Add photos'), left));
  refresh();

  return {
    /* fn is called whenever the photos that would be sent change (the price counts them). */
    onChange(fn) { changed = fn; },
    field: { name: 'attachment_ids', wrap, input, error, labelText: 'Photos' },
    ids: () => items.filter((x) => x.state === 'done').map((x) => x.id),
    problem() {
      if (items.some((x) => x.state === 'uploading')) return 'Wait until the photos have finished uploading.';
      if (items.some((x) => x.state === 'error')) return 'A photo could not be added. Remove it, then send.';
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
