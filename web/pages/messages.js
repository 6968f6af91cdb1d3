// /messages: a family member's or friend's conversations.  Without ?contact= it lists the people
// they write to, with what is new; with ?contact=ID it is the conversation with that person and
// the form to write.  It also offers a copy of every message to keep.

import { api, ApiError, currentAccount, homeFor } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { formatWhen } from '../labels.js';
import { t, tn, tp } from '../i18n.js';
import { chip, emptyNote, privilegedBadge, providerLink } from '../widgets.js';
import { conversation } from '../thread.js';
import { onLive } from '../live.js';

function residentName(c) {
  return [c.resident.first_name, c.resident.last_name].filter(Boolean).join(' ');
}

/* Why this person cannot be written to now, or null when they can. */
export function closedReason(c) {
  if (c.can_message) return null;
  if (c.status === 'suspended') return t('Paused: the contact list at their facility is full under its rules. Messages start again when a place is free.');
  if (c.status === 'removed' || c.status === 'blocked' || c.status === 'facility_blocked') return t('This contact has ended, so no new messages can be sent.');
  if (c.resident && c.resident.status === 'released') return t('They were released, so messages on Kite have ended.');
  if (c.facility && !c.facility.on_platform) {
    return h('span', null, tp('Kite does not serve {facility}, where they are now. Messages there go through {provider}. A message sent on Kite would not be delivered.',
      { facility: c.facility.name, provider: providerLink(c.facility.messaging_provider) }));
  }
  return t('Messages are not possible right now.');
}

function notForYou(root, account) {
  setTitle(t('Messages'));
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', null, t('This page is for family and friends')),
    h('p', null, account.role === 'resident'
      ? t('Your messages are on your tablet home.')
      : t('Staff review messages on the review page.')),
    h('p', { class: 'actions' },
      h('a', { class: 'button', href: account.role === 'resident' ? homeFor(account.role) : '/review' }, t('Go there')))));
}

export async function messagesPage(root, ctx) {
  setTitle(t('Messages'));
  const account = currentAccount();
  if (!account) {
    const next = encodeURIComponent(location.pathname + location.search);
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('You are not signed in')),
      h('p', null, t('Sign in to read and write your messages.')),
      h('p', { class: 'actions' },
        h('a', { class: 'button', href: `/signin?next=${next}` }, t('Sign in')),
        h('a', { class: 'button button--secondary', href: '/register?next=%2Fmessages' }, t('Create an account')))));
    return;
  }
  if (account.role !== 'contact') {
    notForYou(root, account);
    return;
  }
  const wanted = ctx.query.get('contact');
  if (wanted && /^\d{1,12}$/.test(wanted)) {
    await threadView(root, ctx, Number(wanted));
    return;
  }
  await listView(root, ctx);
}

/* ---- every conversation ---- */

function exportSection() {
  return h('section', { class: 'panel panel--quiet export', 'aria-labelledby': 'export-heading' },
    h('h2', { id: 'export-heading', class: 'panel-title' }, t('Keep a copy of all your messages')),
    h('p', null, t('Download every message you sent and received, to keep on your own computer or phone, even if the facility changes company.')),
    h('p', { class: 'actions' },
      h('a', { class: 'button button--secondary', href: '/api/v1/messages/export?format=mbox', download: 'kite-messages.mbox', 'data-testid': 'export-mbox' },
        t('Download for an email program (.mbox)')),
      h('a', { class: 'button button--secondary', href: '/api/v1/messages/export', download: 'kite-messages.json', 'data-testid': 'export-json' },
        t('Download as data (.json)'))));
}

async function listView(root, ctx) {
  replace(root, h('div', { class: 'wrap' }, h('p', { class: 'loading', role: 'status' }, t('Loading your messages…'))));
  const list = h('ul', { class: 'convos', 'data-testid': 'conversations' });

  async function summaries() {
    const contacts = (await api('/contacts')).items;
    return Promise.all(contacts.map(async (c) => {
      const page = await api(`/messages?contact_id=${c.id}&limit=1`);
      return { c, unread: page.unread || 0, latest: page.items[0] || null };
    }));
  }

  function row({ c, unread, latest }) {
    const name = residentName(c);
    const closed = closedReason(c);
    let last = t('No messages yet.');
    if (latest) {
      const said = { text: latest.subject || latest.body.slice(0, 80), when: formatWhen(latest.created_at) };
      last = latest.box === 'sent'
        ? t('You: {text} · {when}', said)
        : t('{name}: {text} · {when}', { name: latest.sender.name, ...said });

    }
    return h('li', { class: `convo${unread ? ' convo--unread' : ''}`, 'data-contact-id': c.id },
      h('a', { class: 'convo-link', href: `/messages?contact=${c.id}` },
        h('span', { class: 'convo-top' },
          h('span', { class: 'convo-name' }, name),
          unread ? h('span', { class: 'count-badge', 'data-testid': 'convo-unread' }, tn(unread, '{n} new', '{n} new')) : null),
        h('span', { class: 'convo-meta' }, t('{facility} · resident number {number}', { facility: c.facility.name, number: c.resident.resident_number })),
        c.privileged ? h('span', { class: 'convo-legal' }, privilegedBadge()) : null,
        h('span', { class: 'convo-last' }, last),
        closed ? h('span', { class: 'convo-closed' }, chip('stopped', t('Cannot write now'), 'stop')) : null));
  }

  function draw(items) {
    items.sort((a, b) => (b.unread > 0) - (a.unread > 0)
      || (b.latest ? b.latest.id : 0) - (a.latest ? a.latest.id : 0));
    replace(list, items.map(row));
  }

  const items = await summaries();
  if (!ctx.isCurrent()) return;
  replace(root, h('div', { class: 'wrap messages-page' },
    h('div', { class: 'page-intro' },
      h('h1', null, t('Messages')),
      h('p', { class: 'lead' }, t('Your conversations with the people inside. Staff at each facility review messages before they are delivered.'))),
    items.length
      ? h('section', { class: 'section', 'aria-labelledby': 'convos-heading' },
        h('h2', { id: 'convos-heading' }, tn(items.length, '{n} conversation', '{n} conversations')), list)
      : h('section', { class: 'section' },
        emptyNote(t('You have nobody to write to yet. When someone inside approves your request or you accept their invitation, they appear here.')),
        h('p', { class: 'actions' }, h('a', { class: 'button', href: '/contacts' }, t('Your contacts')))),
    exportSection()));
  draw(items);

  // New messages and status changes move the counts without a reload.
  let timer = null;
  const stop = onLive(() => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const fresh = await summaries();
        if (ctx.isCurrent()) draw(fresh);
      } catch {
        /* the next event tries again */
      }
    }, 200);
  });
  ctx.onLeave(() => {
    stop();
    clearTimeout(timer);
  });
}

/* ---- one conversation ---- */

async function threadView(root, ctx, contactId) {
  replace(root, h('div', { class: 'wrap' }, h('p', { class: 'loading', role: 'status' }, t('Loading the conversation…'))));
  let c;
  try {
    c = await api(`/contacts/${contactId}`);
  } catch (e) {
    if (!ctx.isCurrent()) return;
    if (e instanceof ApiError && (e.status === 404 || e.status === 403)) {
      setTitle(t('Conversation not found'));
      replace(root, h('div', { class: 'wrap narrow' },
        h('h1', null, t('This conversation does not exist')),
        h('p', null, t('It may have ended, or the link may be mistyped.')),
        h('p', null, h('a', { class: 'button', href: '/messages' }, t('All your messages')))));
      return;
    }
    throw e;
  }
  if (!ctx.isCurrent()) return;
  const name = residentName(c);
  setTitle(t('Messages with {name}', { name }));

  let policy = null;
  if (c.facility.on_platform) {
    try {
      policy = (await api(`/facilities/${c.facility.id}`)).policy || null;
    } catch {
      policy = null; // the server checks the limits anyway
    }
    if (!ctx.isCurrent()) return;
  }

  const closed = closedReason(c);
  const convo = conversation({ ctx, contact: c, otherName: name, policy, canWrite: !closed, closedNote: closed });
  await convo.load();
  if (!ctx.isCurrent()) return;
  replace(root, h('div', { class: 'wrap thread-page' },
    h('p', { class: 'back back--top' }, h('a', { href: '/messages' }, t('← All messages'))),
    h('div', { class: 'page-intro thread-intro' },
      h('h1', null, t('Messages with {name}', { name })),
      h('p', { class: 'lead' }, t('{facility} · resident number {number}', { facility: c.facility.name, number: c.resident.resident_number }))),

    convo.el));
  ctx.scrollTo(convo.newest() || convo.el);
}
