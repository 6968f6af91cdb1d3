// The signed-in person's own account, as the server knows it.

import { api, fetchMe, currentAccount, homeFor, signOutEverywhere } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { field, formKit, showPasswordToggle } from '../forms.js';
import { roleName, formatDate } from '../labels.js';
import { N_, t, tn } from '../i18n.js';

const MIN_PASSWORD = 10;

/* An account's status other than active, in words. */
const ACCOUNT_STATUSES = { disabled: N_('Disabled') };

export async function accountPage(root, ctx) {
  setTitle(t('Your account'));
  if (!currentAccount()) {
    signedOut(root);
    return;
  }
  replace(root, h('div', { class: 'wrap narrow' }, h('p', { class: 'loading', role: 'status' }, t('Loading your account…'))));
  const me = await fetchMe();
  if (!ctx.isCurrent()) return;
  if (!me) {
    signedOut(root, true);
    return;
  }
  const rows = [
    [t('Name'), me.full_name],
    [t('Email address'), me.email],
    [t('Phone number'), me.phone],
    [t('Account type'), roleName(me.role)],
    me.status && me.status !== 'active' ? [t('Account status'), ACCOUNT_STATUSES[me.status] ? t(ACCOUNT_STATUSES[me.status]) : me.status] : null,
    me.created_at ? [t('Member since'), formatDate(me.created_at)] : null,
  ].filter((r) => r && r[1]);
  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' }, h('h1', null, t('Your account'))),
    h('section', { class: 'card', 'aria-labelledby': 'details-heading' },
      h('h2', { id: 'details-heading', class: 'panel-title' }, t('Your details')),
      h('dl', { class: 'facts', 'data-testid': 'account-details' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))),
    me.role === 'contact'
      ? h('section', { class: 'panel panel--quiet', 'aria-labelledby': 'next-heading' },
        h('h2', { id: 'next-heading', class: 'panel-title' }, t('Next step')),
        h('p', null, t('Find the facility where your loved one is held to see how to reach them, and whether Kite serves it.')),
        h('p', { class: 'actions' },
          h('a', { class: 'button', href: '/' }, t('Find a facility')),
          h('a', { class: 'button button--secondary', href: '/contacts' }, t('Your contacts')),
          h('a', { class: 'button button--secondary', href: '/messages' }, t('Your messages')),
          h('a', { class: 'button button--secondary', href: '/wallet' }, t('Your wallet'))))
      : h('p', { class: 'actions' },
        h('a', { class: 'button', href: homeFor(me.role) }, me.role === 'resident' ? t('Go to your home') : t('Go to the staff page'))),
    me.email ? securitySection(ctx) : null));
}

/* Change the password (every other device is signed out), or sign out every device now. */
function securitySection(ctx) {
  const fields = [
    field({ name: 'current_password', label: t('Current password'), type: 'password', autocomplete: 'current-password' }),
    field({ name: 'new_password', label: t('New password'), type: 'password', autocomplete: 'new-password',
      hint: tn(MIN_PASSWORD,
        'At least {n} character. A few words you will remember work well; avoid common passwords.',
        'At least {n} characters. A few words you will remember work well; avoid common passwords.'),
      extra: showPasswordToggle }),
  ];
  const kit = formKit(fields, t('Change password'), t('Changing it…'), { buttonClass: 'button' });
  const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': 'password-heading' },
    kit.alert, fields.map((f) => f.wrap), kit.button);
  const done = h('p', { class: 'notice notice--success', role: 'status', hidden: true, id: 'password-changed' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    done.hidden = true;
    const current = form.elements.current_password.value;
    const fresh = form.elements.new_password.value;
    if (!current) kit.fieldError('current_password', t('Enter your current password.'));
    if ([...fresh].length < MIN_PASSWORD) {
      kit.fieldError('new_password', [
        tn(MIN_PASSWORD, 'Choose a password of at least {n} character.', 'Choose a password of at least {n} characters.'),
        tn([...fresh].length, 'Yours has {n}.', 'Yours has {n}.'),
      ].join(' '));
    }
    if (form.querySelector('[aria-invalid="true"]')) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      await api('/me/password', { method: 'POST', body: { current_password: current, new_password: fresh } });
    } catch (e) {
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      kit.serverError(e);
      return;
    }
    kit.busy(false);
    form.reset();
    done.textContent = t('Your password is changed. Every other device signed in to your account is signed out; this one stays signed in.');
    done.hidden = false;
    done.focus();
  });
  const everywhere = h('button', { type: 'button', class: 'button button--secondary', id: 'sign-out-everywhere' },
    t('Sign out on every device'));
  everywhere.addEventListener('click', async () => {
    everywhere.disabled = true;
    try {
      await signOutEverywhere();
      ctx.flash(t('You are signed out on every device, this one included. Sign in again to continue.'));
      ctx.navigate('/signin');
    } catch (e) {
      everywhere.disabled = false;
      ctx.flash(e.message, 'error');
    }
  });
  done.setAttribute('tabindex', '-1');
  return h('section', { class: 'card security', 'aria-labelledby': 'security-heading' },
    h('h2', { id: 'security-heading', class: 'panel-title' }, t('Password and devices')),
    h('h3', { id: 'password-heading' }, t('Change your password')),
    done, form,
    h('h3', null, t('Signed in somewhere else?')),
    h('p', null, t('A phone you lost, a shared computer: sign out on every device where your account is open.')),
    h('p', { class: 'actions' }, everywhere));
}

/* ended: the session ended while the page was loading (rather than no sign-in at all). */
function signedOut(root, ended = false) {
  setTitle(t('Sign in to see your account'));
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', null, t('You are not signed in')),
    h('p', null, ended ? t('Your session has ended. Sign in to see your account.') : t('Sign in to see your account.')),
    h('p', { class: 'actions' },
      h('a', { class: 'button', href: '/signin?next=%2Faccount' }, t('Sign in')),
      h('a', { class: 'button button--secondary', href: '/register' }, t('Create an account')))));
}
