// The signed-in person's own account, as the server knows it.

import { fetchMe, currentAccount, homeFor } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { roleName, formatDate } from '../labels.js';

export async function accountPage(root, ctx) {
  setTitle('Your account');
  if (!currentAccount()) {
    signedOut(root);
    return;
  }
  replace(root, h('div', { class: 'wrap narrow' }, h('p', { class: 'loading', role: 'status' }, 'Loading your account…')));
  const me = await fetchMe();
  if (!ctx.isCurrent()) return;
  if (!me) {
    signedOut(root, 'Your session has ended.');
    return;
  }
  const rows = [
    ['Name', me.full_name],
    ['Email address', me.email],
    ['Phone number', me.phone],
    ['Account type', roleName(me.role)],
    me.status && me.status !== 'active' ? ['Account status', me.status] : null,
    me.created_at ? ['Member since', formatDate(me.created_at)] : null,
  ].filter((r) => r && r[1]);
  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' }, h('h1', null, 'Your account')),
    h('section', { class: 'card', 'aria-labelledby': 'details-heading' },
      h('h2', { id: 'details-heading', class: 'panel-title' }, 'Your details'),
      h('dl', { class: 'facts', 'data-testid': 'account-details' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))),
    me.role === 'contact'
      ? h('section', { class: 'panel panel--quiet', 'aria-labelledby': 'next-heading' },
        h('h2', { id: 'next-heading', class: 'panel-title' }, 'Next step'),
        h('p', null, 'Find the facility where your loved one is held to see how to reach them, and whether Kite serves it.'),
        h('p', { class: 'actions' },
          h('a', { class: 'button', href: '/' }, 'Find a facility'),
          h('a', { class: 'button button--secondary', href: '/contacts' }, 'Your contacts'),
          h('a', { class: 'button button--secondary', href: '/messages' }, 'Your messages'),
          h('a', { class: 'button button--secondary', href: '/wallet' }, 'Your wallet')))
      : h('p', { class: 'actions' },
        h('a', { class: 'button', href: homeFor(me.role) }, me.role === 'resident' ? 'Go to your home' : 'Go to the staff page'))));
}

function signedOut(root, reason) {
  setTitle('Sign in to see your account');
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', null, 'You are not signed in'),
    h('p', null, `${reason ? `${reason} ` : ''}Sign in to see your account.`),
    h('p', { class: 'actions' },
      h('a', { class: 'button', href: '/signin?next=%2Faccount' }, 'Sign in'),
      h('a', { class: 'button button--secondary', href: '/register' }, 'Create an account'))));
}
