// /invitations/accept?token=…: the link in an invitation email.  It works signed out: the page
// explains, keeps the token in this tab while the person signs in or creates an account, and
// brings them back here to accept.

import { api, ApiError, currentAccount, signOut } from '../api.js';
import { breakable, h, replace, setTitle } from '../dom.js';
import { t, tp } from '../i18n.js';

const TOKEN_KEY = 'kite.invitation';

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function keepToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage blocked: the token still travels in the return address */
  }
}

/* The invitation this tab was opening before it went to sign in, as the page to come back to. */
export function pendingInvitationPath() {
  const kept = storedToken();
  return validToken(kept) ? `/invitations/accept?token=${kept}` : null;
}

const validToken = (v) => typeof v === 'string' && /^[0-9a-fA-F]{16,256}$/.test(v);

function page(root, ...children) {
  replace(root, h('div', { class: 'wrap narrow invitation-page' }, ...children));
}

/* What to do after each refusal, in plain words. */
function refusal(e, account) {
  const contacts = h('a', { class: 'button', href: '/contacts' }, t('See your contacts'));
  switch (e.code) {
    case 'invitation_expired':
      return {
        title: t('This invitation has expired'),
        text: [t('Invitations are valid for a limited time, and this one ran out before it was accepted.'),
          t('Ask the person who invited you to send a new invitation from their tablet. A new email will arrive with a new link.')],
        actions: [contacts],
      };
    case 'invitation_already_used':
      return {
        title: t('This invitation was already used'),
        text: [t('This link was already accepted, or it was replaced by a newer invitation. Each link works only once.'),
          t('If you accepted it, the person is on your contacts page. If they sent you a newer invitation, use the link in the newest email.')],
        actions: [contacts],
      };
    case 'invitation_not_for_you':
      return {
        title: t('This invitation is for another email address'),
        text: [tp('You are signed in as {email}, but the invitation was sent to a different address.', { email: breakable(account.email) }),
          t('Sign out, then sign in or create an account with the email address the invitation was sent to.')],
        actions: ['signout'],
      };
    case 'not_found':
      return {
        title: t('This invitation link does not work'),
        text: [t('The link may be incomplete: some email programs cut long links. Open the email again and use the whole link, or copy and paste it into the address bar.')],
        actions: [contacts],
      };
    default:
      return null;
  }
}

export function invitationPage(root, ctx) {
  setTitle(t('Accept an invitation'));
  const fromUrl = ctx.query.get('token');
  const token = validToken(fromUrl) ? fromUrl.toLowerCase() : fromUrl === null && validToken(storedToken()) ? storedToken() : null;

  if (!token) {
    page(root,
      h('h1', null, t('This invitation link is incomplete')),
      h('p', null, t('The address is missing the part that identifies your invitation. Some email programs cut long links.')),
      h('p', null, t('Open the invitation email again and use the whole link, or copy and paste it into the address bar.')),
      h('p', { class: 'actions' }, h('a', { class: 'button button--secondary', href: '/' }, t('Find a facility'))));
    return;
  }
  keepToken(token);
  // The address always carries the token, so a reload or the way back from sign-in finds it.
  const self = `/invitations/accept?token=${token}`;
  if (location.pathname + location.search !== self) history.replaceState(history.state, '', self);
  const next = encodeURIComponent(self);

  const account = currentAccount();
  if (!account) {
    page(root,
      h('div', { class: 'page-intro' },
        h('h1', null, t('You have been invited to Kite')),
        h('p', { class: 'lead' }, t('Someone in a prison or jail that Kite serves invited you to exchange messages with them.'))),
      h('section', { class: 'card', 'aria-labelledby': 'accept-steps' },
        h('h2', { id: 'accept-steps', class: 'panel-title' }, t('To accept')),
        h('ol', { class: 'steps' },
          h('li', null, t('Sign in, or create a free account, with the email address the invitation was sent to.')),
          h('li', null, t('You come back to this page. Press “{button}”.', { button: t('Accept invitation') })),
          h('li', null, t('Then you can write to each other. Facility staff read every message before it is delivered.'))),
        h('p', { class: 'actions' },
          h('a', { class: 'button', href: `/register?next=${next}` }, t('Create a free account')),
          h('a', { class: 'button button--secondary', href: `/signin?next=${next}` }, t('Sign in')))),
      h('p', { class: 'fineprint' }, t('If you do not know the person who invited you, you can ignore the invitation. It expires on its own.')));
    return;
  }

  if (account.role !== 'contact') {
    page(root,
      h('h1', null, t('Invitations are for family and friends')),
      h('p', null, account.role === 'resident'
        ? t('You are signed in with a resident account. To accept an invitation, sign out, then sign in with the family or friend account for the invited email address.')
        : t('You are signed in with a staff account. To accept an invitation, sign out, then sign in with the family or friend account for the invited email address.')),
      h('p', { class: 'actions' }, signOutButton(ctx, self)));
    return;
  }

  const alert = h('div', { class: 'form-alert', role: 'alert', tabindex: '-1', hidden: true });
  const button = h('button', { type: 'button', class: 'button button--wide' }, t('Accept invitation'));
  page(root,
    h('div', { class: 'page-intro' },
      h('h1', null, t('Accept the invitation')),
      h('p', { class: 'lead' }, tp('You are signed in as {name} ({email}).', { name: account.full_name, email: breakable(account.email) }))),
    h('div', { class: 'card' },
      alert,
      h('p', null, t('When you accept, you and the person who invited you become approved contacts, and you can write to each other on Kite. Facility staff read every message before it is delivered.')),
      button),
    h('p', { class: 'after-form' }, tp('Not you? {signout}', { signout: signOutButton(ctx, self, 'button--link') })));

  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = t('Accepting…');
    alert.hidden = true;
    let contact;
    try {
      contact = await api('/invitations/accept', { method: 'POST', body: { token } });
    } catch (e) {
      if (!ctx.isCurrent()) return;
      if (e instanceof ApiError && e.status === 401) {
        ctx.flash(t('Your session has ended. Sign in again to accept the invitation.'), 'warning');
        ctx.navigate(`/signin?next=${next}`);
        return;
      }
      const r = e instanceof ApiError ? refusal(e, account) : null;
      if (!r) {
        button.disabled = false;
        button.textContent = t('Accept invitation');
        replace(alert, h('p', null, e.message));
        alert.hidden = false;
        alert.focus();
        return;
      }
      if (e.code !== 'invitation_not_for_you') keepToken(null);
      page(root,
        h('div', { class: 'page-intro' }, h('h1', { 'data-testid': 'invitation-problem' }, r.title)),
        h('div', { class: 'notice notice--error', role: 'alert' }, r.text.map((line) => h('p', null, line))),
        h('p', { class: 'actions' }, r.actions.map((a) => (a === 'signout' ? signOutButton(ctx, self, 'button') : a))));
      const h1 = root.querySelector('h1');
      h1.setAttribute('tabindex', '-1');
      h1.focus();
      return;
    }
    if (!ctx.isCurrent()) return;
    keepToken(null);
    const name = [contact.resident.first_name, contact.resident.last_name].filter(Boolean).join(' ');
    ctx.flash(t('You accepted the invitation. {name} at {facility} is now your contact.', { name, facility: contact.facility.name }));
    ctx.navigate('/contacts', { replace: true });
  });
}

/* Sign out and stay on this invitation, so the right account can sign in to it. */
function signOutButton(ctx, self, variant = 'button') {
  const b = h('button', { type: 'button', class: variant === 'button--link' ? 'button button--link' : 'button' },
    variant === 'button--link' ? t('Sign out and use another account') : t('Sign out'));
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await signOut();
    } catch {
      /* the page below says what to do either way */
    }
    ctx.flash(t('You are signed out. Sign in with the account for the invited email address.'));
    ctx.navigate(self, { replace: true });
  });
  return b;
}
