// Create an account, and sign in.

import { ApiError, api, signIn, currentAccount, homeFor } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { field, formKit, safeNext, showPasswordToggle, throttleCountdown, validEmail, validPhone } from '../forms.js';
import { pendingInvitationPath } from './invitation.js';

const MIN_PASSWORD = 10;

function alreadySignedIn(root, account) {
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', null, 'You are signed in'),
    h('p', null, `You are signed in as ${account.full_name || account.email}. To use another account, sign out first.`),
    h('p', { class: 'actions' },
      h('a', { class: 'button', href: homeFor(account.role) }, account.role === 'contact' ? 'Go to your account' : 'Go to your page'),
      h('a', { class: 'button button--secondary', href: '/' }, 'Find a facility'))));
}

export function registerPage(root, ctx) {
  setTitle('Create an account');
  const account = currentAccount();
  if (account) {
    alreadySignedIn(root, account);
    return;
  }
  const next = safeNext(ctx.query);
  const fields = [
    field({ name: 'full_name', label: 'Full name', autocomplete: 'name', hint: 'Use the name the facility knows you by.' }),
    field({ name: 'email', label: 'Email address', type: 'email', autocomplete: 'email', hint: 'You sign in with this address. Invitations and notices are sent here.' }),
    field({ name: 'phone', label: 'Phone number', type: 'tel', autocomplete: 'tel', hint: 'Include the area code.' }),
    field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password',
      hint: `At least ${MIN_PASSWORD} characters. A few words you will remember work well; avoid common passwords.`,
      extra: showPasswordToggle }),
  ];
  const kit = formKit(fields, 'Create account', 'Creating your account…');
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((f) => f.wrap), kit.button);
  const get = (name) => form.elements[name].value;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const values = { full_name: get('full_name').trim(), email: get('email').trim(), phone: get('phone').trim(), password: get('password') };
    if (!values.full_name) kit.fieldError('full_name', 'Enter your full name.');
    if (!values.email) kit.fieldError('email', 'Enter your email address.');
    else if (!validEmail(values.email)) kit.fieldError('email', 'Enter an email address like name@example.com.');
    if (!values.phone) kit.fieldError('phone', 'Enter a phone number.');
    else if (!validPhone(values.phone)) kit.fieldError('phone', 'Enter a phone number of 7 to 15 digits. You can use spaces, dashes, brackets and +.');
    if ([...values.password].length < MIN_PASSWORD) {
      kit.fieldError('password', `Choose a password of at least ${MIN_PASSWORD} characters. Yours has ${[...values.password].length}.`);
    }
    if (form.querySelector('[aria-invalid="true"]')) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      await api('/accounts', { method: 'POST', body: values });
    } catch (e) {
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      kit.serverError(e, (err) => (err.code === 'email_taken'
        ? h('a', { href: `/signin?email=${encodeURIComponent(values.email)}` }, 'Go to sign in.')
        : null));
      return;
    }
    try {
      const signedIn = await signIn(values.email, values.password);
      ctx.flash(`Welcome, ${signedIn.full_name}. Your account is ready and you are signed in.`);
      // An invitation this tab was opening comes first, even when the return address was lost.
      ctx.navigate(next || pendingInvitationPath() || '/account');
    } catch {
      ctx.flash('Your account is ready. Sign in to continue.');
      ctx.navigate(`/signin?email=${encodeURIComponent(values.email)}`);
    }
  });

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, 'Create an account'),
      h('p', { class: 'lead' }, 'A Kite account is free. You need one to exchange messages with someone at a facility that Kite serves.')),
    h('div', { class: 'card' }, form),
    h('p', { class: 'after-form' }, 'Already have an account? ', h('a', { href: next ? `/signin?next=${encodeURIComponent(next)}` : '/signin' }, 'Sign in'))));
}

export function signinPage(root, ctx) {
  setTitle('Sign in');
  const account = currentAccount();
  if (account) {
    alreadySignedIn(root, account);
    return;
  }
  const next = safeNext(ctx.query);
  const fields = [
    field({ name: 'email', label: 'Email address', type: 'email', autocomplete: 'username', value: ctx.query.get('email') || null }),
    field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', extra: showPasswordToggle }),
  ];
  const kit = formKit(fields, 'Sign in', 'Signing in…');
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((f) => f.wrap), kit.button);
  let stopWait = () => {};
  ctx.onLeave(() => stopWait());

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const email = form.elements.email.value.trim();
    const password = form.elements.password.value;
    if (!email) kit.fieldError('email', 'Enter the email address you signed up with.');
    if (!password) kit.fieldError('password', 'Enter your password.');
    if (form.querySelector('[aria-invalid="true"]')) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      const signedIn = await signIn(email, password);
      ctx.flash(`You are signed in as ${signedIn.full_name || signedIn.email}.`);
      ctx.navigate(next || (signedIn.role === 'contact' && pendingInvitationPath()) || homeFor(signedIn.role));
    } catch (e) {
      if (!ctx.isCurrent()) return;
      if (e instanceof ApiError && e.status === 429) {
        stopWait();
        stopWait = throttleCountdown(kit, e);
        return;
      }
      kit.busy(false);
      kit.serverError(e);
    }
  });

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, 'Sign in'),
      h('p', { class: 'lead' }, 'Sign in with the email address and password of your Kite account.')),
    h('div', { class: 'card' }, form),
    h('p', { class: 'after-form' }, 'No account yet? ', h('a', { href: next ? `/register?next=${encodeURIComponent(next)}` : '/register' }, 'Create one, it is free'), '.'),
    h('p', { class: 'after-form after-form--quiet' }, 'Living in a facility? ', h('a', { href: '/tablet' }, 'Sign in on a facility tablet'), '.')));
}
