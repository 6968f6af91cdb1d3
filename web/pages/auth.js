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
    h('p', { class: 'after-form' }, h('a', { href: '/forgot-password', id: 'forgot-password' }, 'Forgot your password?')),
    h('p', { class: 'after-form' }, 'No account yet? ', h('a', { href: next ? `/register?next=${encodeURIComponent(next)}` : '/register' }, 'Create one, it is free'), '.'),
    h('p', { class: 'after-form after-form--quiet' }, 'Living in a facility? ', h('a', { href: '/tablet' }, 'Sign in on a facility tablet'), '.')));
}

/* Forgot a password: the address, then the same words whatever it is (the server tells nothing either). */
export function forgotPasswordPage(root, ctx) {
  setTitle('Forgot your password');
  const fields = [
    field({ name: 'email', label: 'Email address', type: 'email', autocomplete: 'username', value: ctx.query.get('email') || null,
      hint: 'The address you signed up with. We send a link to it.' }),
  ];
  const kit = formKit(fields, 'Send me a link', 'Sending…');
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((f) => f.wrap), kit.button);
  let stopWait = () => {};
  ctx.onLeave(() => stopWait());
  const card = h('div', { class: 'card' }, form);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const email = form.elements.email.value.trim();
    if (!email) kit.fieldError('email', 'Enter the email address you signed up with.');
    else if (!validEmail(email)) kit.fieldError('email', 'Enter an email address like name@example.com.');
    if (form.querySelector('[aria-invalid="true"]')) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      await api('/password-resets', { method: 'POST', body: { email } });
    } catch (e) {
      if (!ctx.isCurrent()) return;
      if (e instanceof ApiError && e.status === 429) {
        stopWait();
        stopWait = throttleCountdown(kit, e);
        return;
      }
      kit.busy(false);
      kit.serverError(e);
      return;
    }
    if (!ctx.isCurrent()) return;
    const done = h('div', { class: 'notice notice--success', role: 'status', tabindex: '-1', id: 'reset-sent' },
      h('p', null, `If a Kite account uses ${email}, we sent it a link to choose a new password. It works once, for one hour.`),
      h('p', null, 'No email after a few minutes? Look in your spam folder, check the address, or ask again.'));
    replace(card, done);
    done.focus();
  });

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, 'Forgot your password'),
      h('p', { class: 'lead' }, 'We email you a link to choose a new password.')),
    card,
    h('p', { class: 'after-form' }, 'Remembered it? ', h('a', { href: '/signin' }, 'Sign in'), '.')));
}

/* The mailed link: a new password, twice; then sign in with it. */
export function resetPasswordPage(root, ctx) {
  setTitle('Choose a new password');
  const token = ctx.query.get('token') || '';
  const fields = [
    field({ name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password',
      hint: `At least ${MIN_PASSWORD} characters. A few words you will remember work well; avoid common passwords.`,
      extra: showPasswordToggle }),
    field({ name: 'again', label: 'New password again', type: 'password', autocomplete: 'new-password' }),
  ];
  const kit = formKit(fields, 'Set my new password', 'Setting it…');
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((f) => f.wrap), kit.button);
  const askAgain = () => h('a', { href: '/forgot-password' }, 'Ask for a new link.');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const password = form.elements.password.value;
    if ([...password].length < MIN_PASSWORD) {
      kit.fieldError('password', `Choose a password of at least ${MIN_PASSWORD} characters. Yours has ${[...password].length}.`);
    } else if (form.elements.again.value !== password) {
      kit.fieldError('again', 'The two passwords are not the same. Type the new password again.');
    }
    if (form.querySelector('[aria-invalid="true"]')) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      await api('/password-resets/confirm', { method: 'POST', body: { token, password } });
    } catch (e) {
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      kit.serverError(e, (err) => (err.code === 'reset_link_expired' ? askAgain() : null));
      return;
    }
    ctx.flash('Your password is changed, and every device that was signed in is signed out. Sign in with the new password.');
    ctx.navigate('/signin');
  });

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, 'Choose a new password'),
      h('p', { class: 'lead' }, 'After this, sign in with the new password. Every device signed in to your account is signed out.')),
    /^[0-9a-f]{64}$/.test(token)
      ? h('div', { class: 'card' }, form)
      : h('div', { class: 'notice notice--error', role: 'alert' },
        h('p', null, 'This link is not complete. Open the link from the email again, or ask for a new one.'),
        h('p', null, askAgain()))));
}
