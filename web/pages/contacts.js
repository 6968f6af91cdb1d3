// /contacts: a family member's or friend's people inside, their invitations and their requests.

import { api, currentAccount, homeFor } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { contactStatusName, requestStatusName, formatDate, formatDateTime, plural } from '../labels.js';
import { confirmAction } from '../forms.js';
import { chip, emptyNote, providerLink } from '../widgets.js';

function fullName(r) {
  return [r.first_name, r.last_name].filter(Boolean).join(' ');
}

/* Can they write? If not, why not, and what to do instead. */
function reachLine(c) {
  const f = c.facility;
  if (c.can_message) {
    return h('p', { class: 'reach reach--ok' }, 'You can exchange messages on Kite.');
  }
  if (c.status === 'suspended') {
    return h('p', { class: 'reach reach--wait' },
      'Paused: the contact list at their facility is full under its rules. It starts again when a place is free.');
  }
  if (c.resident.status === 'released') {
    return h('p', { class: 'reach reach--stop' }, 'They were released, so messages on Kite have ended.');
  }
  if (!f.on_platform) {
    return h('p', { class: 'reach reach--stop', 'data-testid': 'moved-off-kite' },
      `Kite does not serve ${f.name}, where they are now. Messages there go through `,
      providerLink(f.messaging_provider), '. A message sent on Kite would not be delivered.');
  }
  return h('p', { class: 'reach reach--stop' }, 'Messages are not possible right now.');
}

function contactCard(c, reload) {
  const name = fullName(c.resident);
  const block = c.status === 'active' || c.status === 'suspended'
    ? confirmAction({
      label: 'Block',
      testid: 'block',
      question: h('span', null, h('strong', null, `Block ${name}? `),
        'They will no longer be your contact and cannot invite you or approve a request from you again. You cannot undo this yourself.'),
      yes: `Yes, block ${name}`,
      no: 'Keep as contact',
      onConfirm: async () => {
        await api(`/contacts/${c.id}`, { method: 'DELETE' });
        await reload(`You blocked ${name}.`);
      },
    })
    : null;
  return h('li', { class: 'item', 'data-contact-id': c.id },
    h('div', { class: 'item-main' },
      h('h3', { class: 'item-title' }, name, ' ', c.status === 'active' && !c.can_message
        ? chip(c.status, 'Messages stopped', 'stop')
        : chip(c.status, contactStatusName(c.status))),
      h('p', { class: 'item-meta' },
        `Resident number ${c.resident.resident_number} · `,
        h('a', { href: `/facilities/${c.facility.id}` }, c.facility.name)),
      reachLine(c)),
    h('div', { class: 'item-actions' },
      h('a', { class: 'button', href: `/messages?contact=${c.id}`, 'data-testid': 'open-messages' },
        c.can_message ? `Write to ${c.resident.first_name}` : 'Messages'),
      block));
}

function requestRow(q) {
  let when = `Sent ${formatDate(q.created_at)}`;
  if (q.decided_at) when += ` · answered ${formatDate(q.decided_at)}`;
  else if (q.auto_approve_at) when += ` · approved on ${formatDateTime(q.auto_approve_at)} unless they decline`;
  return h('li', { class: 'item item--compact', 'data-request-id': q.id },
    h('div', { class: 'item-main' },
      h('h3', { class: 'item-title' }, q.resident.name, ' ', chip(q.status, requestStatusName(q.status))),
      h('p', { class: 'item-meta' }, `Resident number ${q.resident.resident_number} · `,
        h('a', { href: `/facilities/${q.facility.id}` }, q.facility.name)),
      h('p', { class: 'item-meta' }, when)));
}

function invitationRow(v) {
  return h('li', { class: 'item item--compact item--invite', 'data-invitation-id': v.id },
    h('div', { class: 'item-main' },
      h('h3', { class: 'item-title' }, `${v.resident_name} invited you`),
      h('p', { class: 'item-meta' }, v.facility_name),
      h('p', null, `We emailed the invitation to ${v.email}. Open the link in that email to accept it, before ${formatDate(v.expires_at)}.`)));
}

export async function contactsPage(root, ctx) {
  setTitle('Your contacts');
  const account = currentAccount();
  if (!account) {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, 'You are not signed in'),
      h('p', null, 'Sign in to see the people you write to.'),
      h('p', { class: 'actions' },
        h('a', { class: 'button', href: '/signin?next=%2Fcontacts' }, 'Sign in'),
        h('a', { class: 'button button--secondary', href: '/register?next=%2Fcontacts' }, 'Create an account'))));
    return;
  }
  if (account.role !== 'contact') {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, 'This page is for family and friends'),
      h('p', null, account.role === 'resident'
        ? 'Your contacts are on your tablet home.'
        : 'Staff see their facility on the staff page.'),
      h('p', { class: 'actions' },
        h('a', { class: 'button', href: homeFor(account.role) }, 'Go there'))));
    return;
  }

  replace(root, h('div', { class: 'wrap' }, h('p', { class: 'loading', role: 'status' }, 'Loading your contacts…')));

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
        h('h1', null, 'Your contacts'),
        h('p', { class: 'lead' }, 'The people inside you can write to, and the requests and invitations on their way.')),
      status,
      invitations.length
        ? h('section', { class: 'section', 'aria-labelledby': 'inv-heading' },
          h('h2', { id: 'inv-heading' }, `Invitations for you (${invitations.length})`),
          h('ul', { class: 'items', 'data-testid': 'invitations' }, invitations.map(invitationRow)))
        : null,
      h('section', { class: 'section', 'aria-labelledby': 'contacts-heading' },
        h('h2', { id: 'contacts-heading' }, contacts.length ? `Contacts (${contacts.length})` : 'Contacts'),
        contacts.length
          ? h('ul', { class: 'items', 'data-testid': 'contacts' }, contacts.map((c) => contactCard(c, load)))
          : emptyNote('Nobody yet. When someone inside accepts your request or you accept their invitation, they appear here.')),
      h('section', { class: 'section', 'aria-labelledby': 'requests-heading' },
        h('h2', { id: 'requests-heading' }, 'Your requests'),
        pending.length || answered.length
          ? h('ul', { class: 'items', 'data-testid': 'requests' }, [...pending, ...answered].map(requestRow))
          : emptyNote('You have not sent a request.'),
        pending.length
          ? h('p', { class: 'after-box' }, `${plural(pending.length, 'request is', 'requests are')} waiting for an answer from the person inside.`)
          : null),
      h('section', { class: 'panel panel--quiet', 'aria-labelledby': 'add-heading' },
        h('h2', { id: 'add-heading', class: 'panel-title' }, 'Add someone'),
        h('p', null, 'Find their facility. Its page says how to start: send a request with their resident number, or ask them to invite you from their tablet.'),
        h('p', null, h('a', { class: 'button', href: '/' }, 'Find a facility')))));
    if (message) status.focus();
  }

  await load();
}
