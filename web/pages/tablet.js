// /tablet: a resident on a shared facility tablet.  Signed out it is the sign-in (facility,
// resident number, PIN); signed in it is the resident's home: messages, requests to answer,
// contacts, invitations; /tablet?contact=ID is the conversation with one contact.  Big buttons,
// short sentences.

import { api, ApiError, currentAccount, fetchMe, signInResident } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { contactStatusName, invitationStatusName, formatWhen } from '../labels.js';
import { formatCount, formatDate, formatDateTime, t, tn, tp } from '../i18n.js';
import { field, formKit, confirmAction, throttleCountdown, validEmail } from '../forms.js';
import { chip, emptyNote, facilityPicker, privilegedBadge, providerLink } from '../widgets.js';
import { conversation } from '../thread.js';
import { onLive } from '../live.js';
import { startTerminalMeter, trustSummary } from './trust.js';

const FACILITY_KEY = 'kite.tablet.facility';

/* The facility this tablet was last used at, so the next person does not have to look it up. */
function rememberedFacility() {
  try {
    const f = JSON.parse(localStorage.getItem(FACILITY_KEY) || 'null');
    return f && Number.isInteger(f.id) && typeof f.name === 'string' ? f : null;
  } catch {
    return null;
  }
}

function rememberFacility(f) {
  try {
    if (f) localStorage.setItem(FACILITY_KEY, JSON.stringify({ id: f.id, name: f.name }));
    else localStorage.removeItem(FACILITY_KEY);
  } catch {
    /* storage blocked: the facility is asked each time */
  }
}

export async function tabletPage(root, ctx) {
  const account = currentAccount();
  if (account && account.role === 'resident') return residentHome(root, ctx);
  if (account) {
    setTitle(t('Tablet sign-in'));
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('Someone is signed in')),
      h('p', null, t('This browser is signed in as {name}. Sign out first, then a resident can sign in here.',
        { name: account.full_name || account.email }))));
    return undefined;
  }
  return tabletSignIn(root, ctx);
}

/* ---- sign-in ---- */

async function tabletSignIn(root, ctx) {
  setTitle(t('Sign in on the tablet'));
  let facility = null;
  const wanted = ctx.query.get('facility');
  if (wanted && /^\d{1,10}$/.test(wanted)) {
    try {
      const f = await api(`/facilities/${wanted}`);
      if (f.on_platform) facility = { id: f.id, name: f.name };
    } catch {
      /* not a facility: ask for it below */
    }
    if (!ctx.isCurrent()) return;
  }
  if (!facility) facility = rememberedFacility();

  const facilityBox = h('div', { class: 'tablet-facility' });
  const number = field({ form: 'tab', name: 'resident_number', label: t('Your resident number'), autocomplete: 'off',
    hint: t('The ID number the facility gave you.') });
  const pin = field({ form: 'tab', name: 'pin', label: t('Your PIN'), type: 'password', autocomplete: 'off',
    inputmode: 'numeric', hint: t('6 to 12 digits. Staff can give you a new one.') });
  number.input.setAttribute('autocapitalize', 'characters');
  const kit = formKit([number, pin], t('Sign in'), t('Signing in…'), { buttonClass: 'button button--wide button--big' });
  const form = h('form', { class: 'form tablet-form', novalidate: true }, kit.alert, facilityBox, number.wrap, pin.wrap, kit.button);
  let picker = null;
  let stopWait = () => {};
  ctx.onLeave(() => {
    stopWait();
    if (picker) picker.stop();
  });

  function showFacility() {
    if (picker) picker.stop();
    picker = null;
    if (facility) {
      const change = h('button', { type: 'button', class: 'button button--link' }, t('Change facility'));
      change.addEventListener('click', () => {
        facility = null;
        rememberFacility(null);
        showFacility();
        picker.focus();
      });
      replace(facilityBox, h('div', { class: 'chosen-facility', 'data-testid': 'tablet-facility' },
        h('span', { class: 'chosen-label' }, t('Facility')),
        h('strong', { class: 'chosen-name' }, facility.name),
        change));
    } else {
      picker = facilityPicker({
        id: 'tab-facility', label: t('Your facility'), onlyOnKite: true,
        hint: t('Type the name of the facility, or its number. Staff can tell you.'),
        onPick: (f) => {
          facility = { id: f.id, name: f.name };
          rememberFacility(facility);
          showFacility();
          number.input.focus();
        },
      });
      replace(facilityBox, picker.wrap);
    }
  }
  showFacility();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const n = number.input.value.trim();
    const p = pin.input.value.trim();
    if (!facility) {
      kit.topError(t('Choose your facility first.'));
      if (picker) picker.focus();
      return;
    }
    if (!n) kit.fieldError('resident_number', t('Enter your resident number.'));
    if (!p) kit.fieldError('pin', t('Enter your PIN.'));
    else if (!/^\d+$/.test(p)) kit.fieldError('pin', t('Your PIN has only digits.'));
    if (kit.hasErrors()) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      await signInResident(facility.id, n, p);
      if (!ctx.isCurrent()) return;
      ctx.navigate('/tablet', { replace: true });
    } catch (e) {
      if (!ctx.isCurrent()) return;
      if (e instanceof ApiError && e.status === 429) {
        stopWait();
        stopWait = throttleCountdown(kit, e);
        return;
      }
      kit.busy(false);
      pin.input.value = '';
      kit.serverError(e);
    }
  });

  const idle = ctx.query.get('signed_out') === 'idle';
  const idleMinutes = Number(ctx.query.get('minutes')) || 5;
  replace(root, h('div', { class: 'wrap narrow tablet' },
    idle ? h('p', { class: 'notice notice--info', role: 'status', 'data-testid': 'idle-signed-out' },
      tn(idleMinutes, 'The tablet was not used for {n} minute, so it signed out. Nothing of the last person is left on it.',
        'The tablet was not used for {n} minutes, so it signed out. Nothing of the last person is left on it.')) : null,
    h('div', { class: 'page-intro' },
      h('h1', null, t('Sign in on the tablet')),
      h('p', { class: 'lead' }, t('For people living in a facility. Use your resident number and your PIN.'))),
    h('div', { class: 'card' }, form),
    h('p', { class: 'after-form after-form--quiet' },
      tp('Family or friend? {link}.', { link: h('a', { href: '/signin' }, t('Use the family sign-in')) }))));
  return undefined;
}

/* ---- the resident's home ---- */

async function residentHome(root, ctx) {
  setTitle(t('Your home'));
  replace(root, h('div', { class: 'wrap' }, h('p', { class: 'loading', role: 'status' }, t('Loading…'))));
  const me = await fetchMe();
  if (!ctx.isCurrent()) return;
  if (!me || me.role !== 'resident' || !me.resident) {
    ctx.navigate('/tablet', { replace: true });
    return;
  }
  const r = me.resident;
  const f = r.facility;
  const onKite = f.on_platform && r.status === 'active';
  if (f.on_platform) startTerminalMeter(ctx, f.id);

  let policy = null;
  if (f.on_platform) {
    const detail = await api(`/facilities/${f.id}`);
    if (!ctx.isCurrent()) return;
    policy = detail.policy;
  }
  const canInvite = onKite && policy && policy.contact_initiation !== 'contact_requests';
  const takesRequests = policy && policy.contact_initiation !== 'resident_invites';

  const wanted = ctx.query.get('contact');
  if (wanted && /^\d{1,12}$/.test(wanted)) {
    await residentThread(root, ctx, Number(wanted), { r, f, onKite, policy });
    return;
  }

  /* For each contact: how many messages are new, and the newest one. */
  async function summaries(contacts) {
    return Promise.all(contacts.map(async (c) => {
      const page = await api(`/messages?contact_id=${c.id}&limit=1`);
      return { c, unread: page.unread || 0, latest: page.items[0] || null };
    }));
  }

  const inbox = h('div', { class: 'tablet-inbox' });
  async function load(message) {
    const [contacts, requests, invitations] = await Promise.all([
      api('/contacts'),
      api('/contact-requests'),
      canInvite ? api('/invitations') : Promise.resolve({ items: [] }),
    ]);
    const convos = await summaries(contacts.items);
    if (!ctx.isCurrent()) return;
    drawInbox(convos);
    draw(contacts.items, requests.items, invitations.items, message);
  }

  function drawInbox(convos) {
    replace(inbox, convos.length
      ? h('ul', { class: 'items tablet-convos', 'data-testid': 'tablet-conversations' }, convos.map(convoItem))
      : emptyNote(t('When you have a contact, your messages with them are here.')));
  }

  // A new message or a status change updates the counts without a reload.
  let timer = null;
  const stop = onLive(() => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const convos = await summaries((await api('/contacts')).items);
        if (ctx.isCurrent()) drawInbox(convos);
      } catch {
        /* the next event tries again */
      }
    }, 200);
  });
  ctx.onLeave(() => {
    stop();
    clearTimeout(timer);
  });

  function draw(contacts, requests, invitations, message) {
    const pending = requests.filter((q) => q.status === 'pending');
    const active = contacts.filter((c) => c.status === 'active').length;
    const status = h('div', { class: 'live', role: 'status', tabindex: '-1' },
      message ? h('p', { class: 'notice notice--success' }, message) : null);

    replace(root, h('div', { class: 'wrap tablet-home' },
      h('div', { class: 'page-intro' },
        h('h1', null, t('Hello, {name}', { name: r.first_name })),
        h('p', { class: 'lead' }, t('{name} · resident number {number}', { name: f.name, number: r.resident_number }))),
      reachNotice(r, f),
      // A PIN from before the 6-digit rule still signs in; only staff can give a new one.
      r.pin_weak ? h('p', { class: 'notice notice--warning', 'data-testid': 'pin-weak' },
        t('Your PIN is short or easy to guess. Ask staff for a new PIN of 6 to 12 digits.')) : null,
      status,
      f.on_platform ? trustSummary() : null,
      h('section', { class: 'section', 'aria-labelledby': 'msg-heading' },
        h('h2', { id: 'msg-heading' }, t('Your messages')),
        inbox),
      onKite && (takesRequests || pending.length) ? h('section', { class: 'section', 'aria-labelledby': 'req-heading' },
        h('h2', { id: 'req-heading' }, pending.length
          ? t('People asking to write to you ({count})', { count: formatCount(pending.length) })
          : t('People asking to write to you')),
        pending.length
          ? h('ul', { class: 'items', 'data-testid': 'pending-requests' }, pending.map((q) => requestItem(q, load)))
          : emptyNote(t('Nobody is waiting for your answer.'))) : null,
      h('section', { class: 'section', 'aria-labelledby': 'con-heading' },
        h('h2', { id: 'con-heading' }, t('Your contacts')),
        policy ? h('p', { class: 'count-line' }, t('{used} of {limit} places used.',
          { used: formatCount(active), limit: formatCount(policy.contact_limit) })) : null,
        contacts.length
          ? h('ul', { class: 'items', 'data-testid': 'contacts' }, contacts.map((c) => contactItem(c, load)))
          : emptyNote(canInvite ? t('No contacts yet. Invite someone below.') : t('No contacts yet. Family and friends can ask to write to you; you approve them here.'))),
      canInvite ? inviteSection(policy, load) : null,
      canInvite ? h('section', { class: 'section', 'aria-labelledby': 'sent-heading' },
        h('h2', { id: 'sent-heading' }, t('Invitations you sent')),
        invitations.length
          ? h('ul', { class: 'items', 'data-testid': 'invitations' }, invitations.map((v) => invitationItem(v, load)))
          : emptyNote(t('You have not sent an invitation.'))) : null,
      h('p', { class: 'fineprint' }, t('When you are done, press “Sign out” at the top, so the next person cannot see your page.'), ' ',
        tn((policy && policy.tablet_idle_minutes) || 5, 'Left untouched for {n} minute, the tablet signs you out by itself.',
          'Left untouched for {n} minutes, the tablet signs you out by itself.'))));
    if (message) status.focus();
  }

  await load();
}

/* A contact on the home page: a big button to their messages, with what is new. */
function convoItem({ c, unread, latest }) {
  const who = c.contact.full_name;
  let last = t('No messages yet.');
  if (latest) {
    const words = { name: latest.sender.name, text: latest.subject || latest.body.slice(0, 60), when: formatWhen(latest.created_at) };
    last = latest.box === 'sent' ? t('You: {text} · {when}', words) : `${words.name}: ${words.text} · ${words.when}`;
  }
  return h('li', { class: `convo convo--big${unread ? ' convo--unread' : ''}`, 'data-contact-id': c.id },
    h('a', { class: 'convo-link', href: `/tablet?contact=${c.id}` },
      h('span', { class: 'convo-top' },
        h('span', { class: 'convo-name' }, t('Messages with {name}', { name: who })),
        unread ? h('span', { class: 'count-badge', 'data-testid': 'convo-unread' }, t('{n} new', { n: formatCount(unread) })) : null),
      c.privileged ? h('span', { class: 'convo-legal' }, privilegedBadge()) : null,
      h('span', { class: 'convo-last' }, last)));
}

/* ---- one conversation on the tablet ---- */

async function residentThread(root, ctx, contactId, { r, f, onKite }) {
  let c;
  try {
    c = await api(`/contacts/${contactId}`);
  } catch (e) {
    if (!ctx.isCurrent()) return;
    if (e instanceof ApiError && (e.status === 404 || e.status === 403)) {
      replace(root, h('div', { class: 'wrap narrow tablet-home' },
        h('h1', null, t('This conversation does not exist')),
        h('p', { class: 'actions' }, h('a', { class: 'button button--big', href: '/tablet' }, t('Back to your home')))));
      return;
    }
    throw e;
  }
  if (!ctx.isCurrent()) return;
  const who = c.contact.full_name;
  setTitle(t('Messages with {name}', { name: who }));
  let closed = null;
  if (!onKite) {
    closed = r.status !== 'active' ? t('Your Kite account is closed because you were released.')
      : t('Kite does not serve {facility}, so messages here have stopped.', { facility: f.name });
  } else if (!c.can_message) {
    closed = c.status === 'suspended' ? t('Paused: your contact list is full here.') : t('You cannot write to this person now.');
  }
  let policy = null;
  if (onKite) {
    policy = (await api(`/facilities/${f.id}`)).policy || null;
    if (!ctx.isCurrent()) return;
  }
  const convo = conversation({ ctx, contact: c, otherName: who, policy, canWrite: !closed, closedNote: closed, big: true });
  await convo.load();
  if (!ctx.isCurrent()) return;
  replace(root, h('div', { class: 'wrap tablet-home thread-page' },
    h('p', { class: 'back back--top' }, h('a', { class: 'button button--big button--secondary', href: '/tablet' }, t('← Back to your home'))),
    h('div', { class: 'page-intro thread-intro' },
      h('h1', null, t('Messages with {name}', { name: who })),
      c.contact.email ? h('p', { class: 'lead' }, c.contact.email) : null),
    convo.el,
    h('p', { class: 'fineprint' }, t('When you are done, press “Sign out” at the top, so the next person cannot see your messages.'))));
  ctx.scrollTo(convo.newest() || convo.el);
}

/* Why messages may not work, and where the resident's family should go instead. */
function reachNotice(r, f) {
  if (r.status !== 'active') {
    return h('p', { class: 'notice notice--warning' }, t('Your Kite account is closed because you were released.'));
  }
  if (!f.on_platform) {
    return h('p', { class: 'notice notice--warning', 'data-testid': 'tablet-off-kite' },
      tp('Kite does not serve {facility}. Messages here go through {provider}. Your family has been told.',
        { facility: f.name, provider: providerLink(f.messaging_provider) }));
  }
  return null;
}

function big(label, className = 'button button--big') {
  return h('button', { type: 'button', class: className }, label);
}

function requestItem(q, reload) {
  const who = q.contact.full_name;
  const approve = big(t('Approve {name}', { name: who }));
  const message = h('p', { class: 'field-error', role: 'alert', hidden: true });
  approve.addEventListener('click', async () => {
    approve.disabled = true;
    message.hidden = true;
    try {
      await api(`/contact-requests/${q.id}/approve`, { method: 'POST' });
      await reload(t('{name} is now your contact.', { name: who }));
    } catch (e) {
      message.textContent = e.message;
      message.hidden = false;
      approve.disabled = false;
    }
  });
  // Declining cannot be taken back here, so it asks first.
  const decline = confirmAction({
    label: t('Decline'),
    testid: 'decline',
    buttonClass: 'button button--big button--secondary',
    question: h('span', null, h('strong', null, t('Decline {name}?', { name: who })), ' ',
      t('They will not be able to write to you. They can ask again later.')),
    yes: t('Yes, decline'),
    no: t('Keep the request'),
    onConfirm: async () => {
      await api(`/contact-requests/${q.id}/decline`, { method: 'POST' });
      await reload(t('You declined {name}.', { name: who }));
    },
  });
  return h('li', { class: 'item item--request', 'data-request-id': q.id },
    h('div', { class: 'item-main' },
      h('h3', { class: 'item-title' }, q.contact.full_name),
      h('p', { class: 'item-meta' }, q.contact.email || ''),
      // An unconfirmed address may not be theirs: anyone can type someone else's name and email.
      q.contact.email_verified === false
        ? h('p', { class: 'item-meta item-warning', 'data-testid': 'email-unconfirmed' },
          t('This email address is not confirmed yet: Kite cannot say it belongs to {name}.', { name: who }))
        : null,
      h('p', { class: 'item-meta' }, t('Asked on {date}.', { date: formatDate(q.created_at) }),
        q.auto_approve_at ? [' ', t('If you do not answer, it is approved on {when}.', { when: formatDateTime(q.auto_approve_at) })] : null)),
    h('div', { class: 'item-actions item-actions--big' }, approve, decline, message));
}

function contactItem(c, reload) {
  const who = c.contact.full_name;
  const remove = c.status === 'active' || c.status === 'suspended'
    ? confirmAction({
      label: t('Remove'),
      testid: 'remove',
      buttonClass: 'button button--big button--secondary',
      question: h('span', null, h('strong', null, t('Remove {name}?', { name: who })), ' ',
        t('You will not be able to write to each other. You can invite or approve them again later.')),
      yes: t('Yes, remove'),
      no: t('Keep'),
      onConfirm: async () => {
        await api(`/contacts/${c.id}`, { method: 'DELETE' });
        await reload(t('{name} is no longer your contact.', { name: who }));
      },
    })
    : null;
  return h('li', { class: 'item', 'data-contact-id': c.id },
    h('div', { class: 'item-main' },
      h('h3', { class: 'item-title' }, who, ' ', chip(c.status, contactStatusName(c.status))),
      h('p', { class: 'item-meta' }, c.contact.email || ''),
      c.status === 'suspended' ? h('p', { class: 'reach reach--wait' }, t('Paused: your contact list is full here.')) : null),
    remove ? h('div', { class: 'item-actions item-actions--big' }, remove) : null);
}

function inviteSection(policy, reload) {
  const email = field({ form: 'inv', name: 'email', label: t('Their email address'), type: 'email', autocomplete: 'off',
    hint: tn(policy.invitation_valid_days, 'We email them a link. It works for {n} day.', 'We email them a link. It works for {n} days.') });
  const kit = formKit([email], t('Send invitation'), t('Sending…'), { buttonClass: 'button button--big' });
  const form = h('form', { class: 'form invite-form', novalidate: true }, kit.alert, email.wrap, kit.button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const value = email.input.value.trim();
    if (!value) kit.fieldError('email', t('Type their email address.'));
    else if (!validEmail(value)) kit.fieldError('email', t('Type an email address like name@example.com.'));
    if (kit.hasErrors()) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      const v = await api('/invitations', { method: 'POST', body: { email: value } });
      await reload(t('Invitation sent to {email}. It works until {date}.', { email: v.email, date: formatDate(v.expires_at) }));
    } catch (e) {
      kit.busy(false);
      kit.serverError(e);
    }
  });
  return h('section', { class: 'section', 'aria-labelledby': 'invite-heading' },
    h('h2', { id: 'invite-heading' }, t('Invite someone')),
    h('p', null, t('Family and friends cannot ask to write to you here. You invite them: they get an email and accept it.')),
    h('div', { class: 'card' }, form));
}

function invitationItem(v, reload) {
  const when = [
    t('Sent {date}', { date: formatDate(v.created_at) }),
    v.status === 'pending' ? t('works until {date}', { date: formatDate(v.expires_at) }) : null,
    v.status === 'accepted' && v.accepted_at ? t('accepted {date}', { date: formatDate(v.accepted_at) }) : null,
  ].filter(Boolean).join(' · ');
  const again = v.status === 'expired' ? big(t('Send again'), 'button button--secondary') : null;
  const message = h('p', { class: 'field-error', role: 'alert', hidden: true });
  if (again) {
    again.addEventListener('click', async () => {
      again.disabled = true;
      try {
        await api('/invitations', { method: 'POST', body: { email: v.email } });
        await reload(t('A new invitation was sent to {email}.', { email: v.email }));
      } catch (e) {
        message.textContent = e.message;
        message.hidden = false;
        again.disabled = false;
      }
    });
  }
  const cancel = v.status === 'pending'
    ? confirmAction({
      label: t('Cancel invitation'),
      testid: 'cancel-invitation',
      question: h('span', null, h('strong', null, t('Cancel the invitation to {email}?', { email: v.email })), ' ',
        t('The link in their email stops working. You can invite them again later.')),
      yes: t('Yes, cancel it'),
      no: t('Keep it'),
      onConfirm: async () => {
        await api(`/invitations/${v.id}`, { method: 'DELETE' });
        await reload(t('The invitation to {email} is cancelled.', { email: v.email }));
      },
    })
    : null;
  return h('li', { class: 'item item--compact', 'data-invitation-id': v.id },
    h('div', { class: 'item-main' },
      h('h3', { class: 'item-title' }, v.email, ' ', chip(v.status, invitationStatusName(v.status))),
      h('p', { class: 'item-meta' }, when)),
    again || cancel ? h('div', { class: 'item-actions' }, again, cancel, message) : null);
}
