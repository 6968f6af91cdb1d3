// /contacts: a family member's or friend's people inside, their invitations and their requests.

import { api, currentAccount, homeFor } from '../api.js';
import { breakable, h, replace, setTitle } from '../dom.js';
import { contactStatusName, requestStatusName, formatCount, formatDate, formatDateTime } from '../labels.js';
import { t, tn, tp } from '../i18n.js';
import { confirmAction } from '../forms.js';
import { chip, emptyNote, providerLink } from '../widgets.js';

function fullName(r) {
  return [r.first_name, r.last_name].filter(Boolean).join(' ');
}

/* Can they write? If not, why not, and what to do instead. */
function reachLine(c) {
  const f = c.facility;
  if (c.can_message) {
    return h('p', { class: 'reach reach--ok' }, t('You can exchange messages on Kite.'));
  }
  if (c.status === 'suspended') {
    return h('p', { class: 'reach reach--wait' },
      t('Paused: the contact list at their facility is full under its rules. It starts again when a place is free.'));
  }
  if (c.resident.status === 'released') {
    return h('p', { class: 'reach reach--stop' }, t('They were released, so messages on Kite have ended.'));
  }
  if (!f.on_platform) {
    return h('p', { class: 'reach reach--stop', 'data-testid': 'moved-off-kite' },
      tp('Kite does not serve {facility}, where they are now. Messages there go through {provider}. A message sent on Kite would not be delivered.',
        { facility: f.name, provider: providerLink(f.messaging_provider) }));
  }
  return h('p', { class: 'reach reach--stop' }, t('Messages are not possible right now.'));
}

function contactCard(c, reload) {
  const name = fullName(c.resident);
  const block = c.status === 'active' || c.status === 'suspended'
    ? confirmAction({
      label: t('Block'),
      testid: 'block',
      question: h('span', null, h('strong', null, t('Block {name}?', { name })), ' ',
        t('They will no longer be your contact and cannot invite you or approve a request from you again. You cannot undo this yourself.')),
      yes: t('Yes, block {name}', { name }),
      no: t('Keep as contact'),
      onConfirm: async () => {
        await api(`/contacts/${c.id}`, { method: 'DELETE' });
        await reload(t('You blocked {name}.', { name }));
      },
    })
    : null;
  return h('li', { class: 'item', 'data-contact-id': c.id },
    h('div', { class: 'item-main' },
      h('h3', { class: 'item-title' }, name, ' ', c.status === 'active' && !c.can_message
        ? chip(c.status, t('Messages stopped'), 'stop')
        : chip(c.status, contactStatusName(c.status))),
      h('p', { class: 'item-meta' },
        t('Resident number {number}', { number: c.resident.resident_number }), ' · ',
        h('a', { href: `/facilities/${c.facility.id}` }, c.facility.name)),
      reachLine(c)),
    h('div', { class: 'item-actions' },
      h('a', { class: 'button', href: `/messages?contact=${c.id}`, 'data-testid': 'open-messages' },
        c.can_message ? t('Write to {name}', { name: c.resident.first_name }) : t('Messages')),
      block));
}

function requestRow(q) {
  const when = [t('Sent {date}', { date: formatDate(q.created_at) })];
  if (q.decided_at) when.push(t('answered {date}', { date: formatDate(q.decided_at) }));
  else if (q.auto_approve_at) when.push(t('approved on {date} unless they decline', { date: formatDateTime(q.auto_approve_at) }));
  return h('li', { class: 'item item--compact', 'data-request-id': q.id },
    h('div', { class: 'item-main' },
      h('h3', { class: 'item-title' }, q.resident.name, ' ', chip(q.status, requestStatusName(q.status))),
      h('p', { class: 'item-meta' }, t('Resident number {number}', { number: q.resident.resident_number }), ' · ',
        h('a', { href: `/facilities/${q.facility.id}` }, q.facility.name)),
      h('p', { class: 'item-meta' }, when.join(' · '))));
}

function invitationRow(v) {
  return h('li', { class: 'item item--compact item--invite', 'data-invitation-id': v.id },
    h('div', { class: 'item-main' },
      h('h3', { class: 'item-title' }, t('{name} invited you', { name: v.resident_name })),
      h('p', { class: 'item-meta' }, v.facility_name),
      h('p', null, tp('We emailed the invitation to {email}. Open the link in that email to accept it, before {date}.',
        { email: breakable(v.email), date: formatDate(v.expires_at) }))));
}

export async function contactsPage(root, ctx) {
  setTitle(t('Your contacts'));
  const account = currentAccount();
  if (!account) {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('You are not signed in')),
      h('p', null, t('Sign in to see the people you write to.')),
      h('p', { class: 'actions' },
        h('a', { class: 'button', href: '/signin?next=%2Fcontacts' }, t('Sign in')),
        h('a', { class: 'button button--secondary', href: '/register?next=%2Fcontacts' }, t('Create an account')))));
    return;
  }
  if (account.role !== 'contact') {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('This page is for family and friends')),
      h('p', null, account.role === 'resident'
        ? t('Your contacts are on your tablet home.')
        : t('Staff see their facility on the staff page.')),
      h('p', { class: 'actions' },
        h('a', { class: 'button', href: homeFor(account.role) }, t('Go there')))));
    return;
  }

  replace(root, h('div', { class: 'wrap' }, h('p', { class: 'loading', role: 'status' }, t('Loading your contacts…'))));

  async function load(message) {
    const [contacts, requests, invitations] = await Promise.all([
      api('/contacts'), api('/contact-requests'), api('/invitations'),
    ]);
    if (!ctx.isCurrent()) return;
    draw(contacts.items, requests.items, invitations.items.filter((v) => v.status === 'pending'), message);
  }

  function draw(contacts, requests, invitations, message) {
    const pending = requests.filter((q) => q.status === 'pending');
    const answered = requests.filter((q) => q.status !== 'pending');
    const status = h('div', { class: 'live', role: 'status', tabindex: '-1' },
      message ? h('p', { class: 'notice notice--success' }, message) : null);
    replace(root, h('div', { class: 'wrap contacts-page' },
      h('div', { class: 'page-intro' },
        h('h1', null, t('Your contacts')),
        h('p', { class: 'lead' }, t('The people inside you can write to, and the requests and invitations on their way.'))),
      status,
      invitations.length
        ? h('section', { class: 'section', 'aria-labelledby': 'inv-heading' },
          h('h2', { id: 'inv-heading' }, t('Invitations for you ({n})', { n: formatCount(invitations.length) })),
          h('ul', { class: 'items', 'data-testid': 'invitations' }, invitations.map(invitationRow)))
        : null,
      h('section', { class: 'section', 'aria-labelledby': 'contacts-heading' },
        h('h2', { id: 'contacts-heading' }, contacts.length ? t('Contacts ({n})', { n: formatCount(contacts.length) }) : t('Contacts')),
        contacts.length
          ? h('ul', { class: 'items', 'data-testid': 'contacts' }, contacts.map((c) => contactCard(c, load)))
          : emptyNote(t('Nobody yet. When someone inside accepts your request or you accept their invitation, they appear here.'))),
      h('section', { class: 'section', 'aria-labelledby': 'requests-heading' },
        h('h2', { id: 'requests-heading' }, t('Your requests')),
        pending.length || answered.length
          ? h('ul', { class: 'items', 'data-testid': 'requests' }, [...pending, ...answered].map(requestRow))
          : emptyNote(t('You have not sent a request.')),
        pending.length
          ? h('p', { class: 'after-box' }, tn(pending.length,
            '{n} request is waiting for an answer from the person inside.',
            '{n} requests are waiting for an answer from the person inside.'))
          : null),
      h('section', { class: 'panel panel--quiet', 'aria-labelledby': 'add-heading' },
        h('h2', { id: 'add-heading', class: 'panel-title' }, t('Add someone')),
        h('p', null, t('Find their facility. Its page says how to start: send a request with their resident number, or ask them to invite you from their tablet.')),
        h('p', null, h('a', { class: 'button', href: '/' }, t('Find a facility'))))));
    if (message) status.focus();
  }

  await load();
}
