// The two links Kite mails about an email address: /verify-email (confirm the address an
// account was made with) and /confirm-email (move the account to a new address). Each reads
// `token` from the query, calls its confirm endpoint once, and says in plain words what happened.

import { api } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { t } from '../i18n.js';

const TOKEN_RE = /^[0-9a-f]{64}$/;

function show(root, title, paragraphs, links, isError = false) {
  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' }, h('h1', null, title)),
    h('div', isError ? { class: 'notice notice--error', role: 'alert' } : { class: 'card', role: 'status' },
      paragraphs.map((p) => h('p', null, p)),
      h('p', { class: 'actions' }, links.map(([href, label], i) =>
        h('a', { class: i === 0 ? 'button' : 'button button--secondary', href }, label))))));
}

async function confirmLink(root, ctx, { path, title, done, expiredCode, expired, broken }) {
  setTitle(title);
  const token = ctx.query.get('token') || '';
  if (!TOKEN_RE.test(token)) {
    show(root, title, [broken], [['/account', t('Go to your account')]], true);
    return;
  }
  replace(root, h('div', { class: 'wrap narrow' }, h('p', { class: 'loading', role: 'status' }, t('Checking the link…'))));
  try {
    await api(path, { method: 'POST', body: { token } });
  } catch (e) {
    if (!ctx.isCurrent()) return;
    const words = e.code === expiredCode ? expired : e.code === 'not_found' ? broken : e.message;
    show(root, title, [words], [['/account', t('Go to your account')], ['/signin', t('Sign in')]], true);
    return;
  }
  if (!ctx.isCurrent()) return;
  show(root, title, done, [['/account', t('Go to your account')], ['/', t('Find a facility')]]);
}

export function verifyEmailPage(root, ctx) {
  return confirmLink(root, ctx, {
    path: '/email-verifications/confirm',
    title: t('Confirm your email address'),
    done: [t('Thank you: your email address is confirmed.'), t('You can now add money to your wallet and pay for messages.')],
    expiredCode: 'verification_link_expired',
    expired: t('This link has expired or was already used. If your address is not confirmed yet, sign in and choose "Send the link again" on your account page.'),
    broken: t('This link is not complete. Open the link from the email again, or sign in and ask for a new one on your account page.'),
  });
}

export function confirmEmailPage(root, ctx) {
  return confirmLink(root, ctx, {
    path: '/email-changes/confirm',
    title: t('Confirm your new email address'),
    done: [t('Your email address is changed. Sign in with the new address from now on.')],
    expiredCode: 'email_change_link_expired',
    expired: t('This link has expired or was already used, so your email address was not changed. Sign in and ask for the change again on your account page.'),
    broken: t('This link is not complete. Open the link from the email again.'),
  });
}

/*
 * The account page's notice while the address is not confirmed, with a button that mails
 * the link again (POST /me/email-verification). Null when there is nothing to confirm.
 */
export function unverifiedNotice(me) {
  if (me.role !== 'contact' || me.email_verified !== false) return null;
  const status = h('p', { role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'button button--secondary' }, t('Send the link again'));
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api('/me/email-verification', { method: 'POST' });
      status.textContent = t('We sent a new link to {email}. It works for 7 days.', { email: me.email });
    } catch (e) {
      status.textContent = e.message;
    }
    button.disabled = false;
  });
  return h('section', { class: 'notice', 'aria-labelledby': 'verify-heading', 'data-testid': 'email-unverified' },
    h('h2', { id: 'verify-heading', class: 'panel-title' }, t('Confirm your email address')),
    h('p', null, t('We sent a link to {email}. Open it to confirm your address: you need a confirmed address before you pay for anything.', { email: me.email })),
    h('p', { class: 'actions' }, button),
    status);
}
