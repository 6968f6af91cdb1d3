// Kite web: the router, the header, and what every page shares.

import { h, replace, setTitle } from './dom.js';
import { ApiError, api, currentAccount, fetchMe, forget, onSessionChange, restoreSession, signOut } from './api.js';
import { startIdleWatch, stopIdleWatch } from './idle.js';
import { formatCount, roleName } from './labels.js';
import { LANGUAGES, N_, chooseLanguage, chosenHere, forgetLanguage, lang, t, tn, tp } from './i18n.js';
import { searchPage } from './pages/search.js';
import { facilityPage } from './pages/facility.js';
import { providersPage } from './pages/providers.js';
import { forgotPasswordPage, registerPage, resetPasswordPage, signinPage } from './pages/auth.js';
import { confirmEmailPage, verifyEmailPage } from './pages/email.js';
import { accountPage } from './pages/account.js';
import { contactsPage } from './pages/contacts.js';
import { invitationPage } from './pages/invitation.js';
import { tabletPage } from './pages/tablet.js';
import { staffPage } from './pages/staff.js';
import { messagesPage } from './pages/messages.js';
import { reviewPage } from './pages/review.js';
import { correspondentsPage, investigatePage } from './pages/investigate.js';
import { legalHoldsPage } from './pages/legal-holds.js';
import { walletPage } from './pages/wallet.js';
import { phonePage } from './pages/phone.js';
import { phoneKeysPage } from './pages/phone-keys.js';
import { moneyPage } from './pages/money.js';
import { tabletMoneyPage } from './pages/trust.js';
import { attorneyPage, attorneysReviewPage } from './pages/attorney.js';
import { staffActivityPage, twoFactorPage } from './pages/security.js';
import { staffVisitsPage, tabletVisitsPage, visitsPage } from './pages/visits.js';
import { liveVisitsPage, visitLivePage } from './pages/visit-live.js';
import { onUnread, onVisitNews, startLive, stopLive, unreadCount, visitNewsCount } from './live.js';

const routes = [
  { pattern: /^\/$/, page: searchPage, nav: '/' },
  { pattern: /^\/facilities\/([^/]+)\/?$/, page: facilityPage, nav: '/' },
  { pattern: /^\/providers\/?$/, page: providersPage, nav: '/providers' },
  { pattern: /^\/register\/?$/, page: registerPage, nav: '/register' },
  { pattern: /^\/signin\/?$/, page: signinPage, nav: '/signin' },
  { pattern: /^\/forgot-password\/?$/, page: forgotPasswordPage, nav: '/signin' },
  { pattern: /^\/reset-password\/?$/, page: resetPasswordPage, nav: '/signin' },
  { pattern: /^\/verify-email\/?$/, page: verifyEmailPage, nav: '/account' },
  { pattern: /^\/confirm-email\/?$/, page: confirmEmailPage, nav: '/account' },
  { pattern: /^\/account\/?$/, page: accountPage, nav: '/account' },
  { pattern: /^\/contacts\/?$/, page: contactsPage, nav: '/contacts' },
  { pattern: /^\/invitations\/accept\/?$/, page: invitationPage, nav: '/contacts' },
  { pattern: /^\/tablet\/?$/, page: tabletPage, nav: '/tablet' },
  { pattern: /^\/staff\/?$/, page: staffPage, nav: '/staff' },
  { pattern: /^\/messages\/?$/, page: messagesPage, nav: '/messages' },
  { pattern: /^\/review\/?$/, page: reviewPage, nav: '/review' },
  { pattern: /^\/investigate\/?$/, page: investigatePage, nav: '/investigate' },
  { pattern: /^\/investigate\/people\/?$/, page: correspondentsPage, nav: '/investigate' },
  { pattern: /^\/investigate\/holds\/?$/, page: legalHoldsPage, nav: '/investigate' },
  { pattern: /^\/wallet\/?$/, page: walletPage, nav: '/account' },
  { pattern: /^\/phone\/?$/, page: phonePage, nav: '/account' },
  { pattern: /^\/staff\/phone-keys\/?$/, page: phoneKeysPage, nav: '/staff' },
  { pattern: /^\/two-factor\/?$/, page: twoFactorPage, nav: '/two-factor' },
  { pattern: /^\/staff\/activity\/?$/, page: staffActivityPage, nav: '/staff/activity' },
  { pattern: /^\/money\/?$/, page: moneyPage, nav: '/account' },
  { pattern: /^\/tablet\/money\/?$/, page: tabletMoneyPage, nav: '/tablet' },
  { pattern: /^\/attorney\/?$/, page: attorneyPage, nav: '/account' },
  { pattern: /^\/staff\/attorneys\/?$/, page: attorneysReviewPage, nav: '/staff' },
  { pattern: /^\/visits\/?$/, page: visitsPage, nav: '/visits' },
  { pattern: /^\/tablet\/visits\/?$/, page: tabletVisitsPage, nav: '/tablet/visits' },
  { pattern: /^\/staff\/visits\/?$/, page: staffVisitsPage, nav: '/staff/visits' },
  { pattern: /^\/visits\/([^/]+)\/live\/?$/, page: visitLivePage, nav: null },
  { pattern: /^\/staff\/visits\/live\/?$/, page: liveVisitsPage, nav: '/staff/visits/live' },
];

/* The header links for each kind of account; residents on a tablet see only their home. */
const DIRECTORY = [['/', N_('Find a facility')], ['/providers', N_('Providers')]];
const NAV = {
  signedOut: DIRECTORY,
  contact: [['/messages', N_('Messages')], ['/contacts', N_('Your contacts')], ['/visits', N_('Video visits')], ...DIRECTORY],
  resident: [['/tablet', N_('Home')], ['/tablet/visits', N_('Video visits')]],
  operator: [['/staff', N_('Facilities')], ['/review', N_('Review')], ['/staff/visits', N_('Video visits')], ['/investigate', N_('Investigate')], ['/staff/activity', N_('Staff activity')], ...DIRECTORY],
  facility_admin: [['/staff', N_('Your facility')], ['/review', N_('Review')], ['/staff/visits', N_('Video visits')], ['/staff/activity', N_('Staff activity')], ...DIRECTORY],
  reviewer: [['/review', N_('Review')], ['/staff/visits', N_('Video visits')], ['/staff', N_('Roster')], ...DIRECTORY],
  investigator: [['/investigate', N_('Investigate')], ['/staff', N_('Roster')], ...DIRECTORY],
};

/* The header link that carries the unread count: where each kind of account reads messages. */
const MESSAGES_LINK = { contact: '/messages', resident: '/tablet' };
/* The visits link, marked while changes to the person's visits wait to be seen. */
const VISITS_LINK = { contact: '/visits', resident: '/tablet/visits' };

const main = document.getElementById('main');
const pageRoot = document.getElementById('page');
const noticeRoot = document.getElementById('notice');
const accountArea = document.getElementById('account-area');
const langSlot = document.getElementById('lang-slot');
const navList = document.querySelector('.site-nav ul');

/* index.html is English (it shows before any script runs): its words in the page's language. */
function translateShell() {
  setTitle(null);
  const description = document.querySelector('meta[name="description"]');
  if (description) {
    description.setAttribute('content', t('Find which platform serves a US prison or jail and how to message someone there. Kite is an open-source correctional communications platform.'));
  }
  const skip = document.querySelector('.skip-link');
  if (skip) skip.textContent = t('Skip to main content');
  const brand = document.querySelector('.brand');
  if (brand) brand.setAttribute('aria-label', t('Kite home'));
  const nav = document.querySelector('.site-nav');
  if (nav) nav.setAttribute('aria-label', t('Main'));
  const footer = document.querySelector('.site-footer p');
  if (footer) {
    footer.textContent = t('Kite is open-source software for messages between families and people in prisons and jails. The facility directory comes from a public dataset and can be out of date: when in doubt, call the facility.');
  }
}
translateShell();

let renderToken = 0;
let leaveHandlers = [];
let pendingNotice = null;
let cameFrom = null;
let scrollTarget = null;

if ('scrollRestoration' in history) history.scrollRestoration = 'manual';

/* A message for the next page, for example "You are signed out." */
export function flash(text, kind = 'success') {
  pendingNotice = { text, kind };
}

export function showNotice(text, kind = 'success') {
  const role = kind === 'error' ? 'alert' : 'status';
  replace(noticeRoot, text ? h('div', { class: `wrap` }, h('p', { class: `notice notice--${kind}`, role }, text)) : null);
}

function saveScroll() {
  history.replaceState({ ...(history.state || {}), scrollY: window.scrollY }, '');
}

export function navigate(url, { replace: replaceEntry = false } = {}) {
  cameFrom = replaceEntry ? null : location.pathname + location.search;
  if (replaceEntry) {
    history.replaceState({}, '', url);
  } else {
    saveScroll();
    history.pushState({}, '', url);
  }
  render('push');
}

function notFoundPage(root) {
  setTitle(t('Page not found'));
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', { tabindex: '-1' }, t('This page does not exist')),
    h('p', null, t('The address may be mistyped, or the page may have moved.')),
    h('p', null, h('a', { class: 'button', href: '/' }, t('Find a facility')))));
}

async function render(how) {
  const token = ++renderToken;
  for (const fn of leaveHandlers) fn();
  leaveHandlers = [];
  scrollTarget = null;

  const path = location.pathname;
  let route = null;
  let match = null;
  for (const r of routes) {
    match = r.pattern.exec(path);
    if (match) {
      route = r;
      break;
    }
  }
  markNav(route ? route.nav : null);

  if (pendingNotice) {
    showNotice(pendingNotice.text, pendingNotice.kind);
    pendingNotice = null;
  } else {
    showNotice(null);
  }

  const ctx = {
    params: match ? match.slice(1).map(decodeURIComponent) : [],
    query: new URLSearchParams(location.search),
    restoring: how === 'pop',
    cameFrom: how === 'push' ? cameFrom : null,
    isCurrent: () => token === renderToken,
    onLeave: (fn) => leaveHandlers.push(fn),
    /* After the page is in place, show this element (the newest message of a conversation). */
    scrollTo: (el) => {
      if (token === renderToken) scrollTarget = el;
    },
    navigate,
    flash,
  };
  pageRoot.setAttribute('aria-busy', 'true');
  try {
    await (route ? route.page(pageRoot, ctx) : notFoundPage(pageRoot, ctx));
  } catch (e) {
    if (token !== renderToken) return;
    if (e instanceof ApiError && e.code === 'two_factor_enrollment_required') {
      // A staff account without two-factor yet: its session may only set it up.
      navigate(`/two-factor?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
      return;
    }
    if (e instanceof ApiError && e.status === 401) {
      // The session ended on the server (timed out, or signed out elsewhere).
      forget();
      setTitle(t('Sign in again'));
      const here = encodeURIComponent(location.pathname + location.search);
      replace(pageRoot, h('div', { class: 'wrap narrow' },
        h('h1', { tabindex: '-1' }, t('Your session has ended')),
        h('p', null, t('For your safety, Kite signs you out after a while. Sign in again to continue where you were.')),
        h('p', { class: 'actions' },
          h('a', { class: 'button', href: path === '/tablet' ? '/tablet' : `/signin?next=${here}` }, t('Sign in again')))));
      pageRoot.removeAttribute('aria-busy');
      return;
    }
    setTitle(t('Something went wrong'));
    replace(pageRoot, h('div', { class: 'wrap narrow' },
      h('h1', { tabindex: '-1' }, t('Something went wrong')),
      h('p', { class: 'notice notice--error', role: 'alert' },
        e && e.message ? e.message : t('This page could not be shown. Reload the page and try again.'))));
  }
  if (token !== renderToken) return;
  pageRoot.removeAttribute('aria-busy');
  settle(how);
}

/* After a page is in place: put focus and scroll where a person expects them. */
function settle(how) {
  const show = scrollTarget;
  scrollTarget = null;
  if (show && how !== 'pop' && !location.hash && show.isConnected) {
    const heading = pageRoot.querySelector('h1');
    if (how === 'push' && heading) {
      if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
    show.scrollIntoView({ block: 'start' });
    return;
  }
  if (how === 'pop') {
    const y = history.state && history.state.scrollY;
    window.scrollTo(0, typeof y === 'number' ? y : 0);
    return;
  }
  const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
  if (target) {
    target.scrollIntoView();
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus({ preventScroll: true });
    return;
  }
  if (how === 'push') {
    window.scrollTo(0, 0);
    const heading = pageRoot.querySelector('h1');
    if (heading) {
      if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
  }
}

function markNav(active) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.getAttribute('data-nav') === active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // A shared tablet's sign-in is for residents: no family sign-in, registration or directory links.
  document.body.classList.toggle('tablet-shell', active === '/tablet' && !currentAccount());
  showCurrentLink();
}

/*
 * On a phone the links scroll sideways inside the header.  A link cut at the edge must not look
 * like the end of the menu: the cut edge fades (nav-more-after, nav-more-before), and the
 * current page's link is scrolled into view.
 */
const siteNav = document.querySelector('.site-nav');

function markNavEdges() {
  if (!siteNav) return;
  const hidden = siteNav.scrollWidth - siteNav.clientWidth;
  siteNav.classList.toggle('nav-more-before', hidden > 1 && siteNav.scrollLeft > 1);
  siteNav.classList.toggle('nav-more-after', hidden > 1 && siteNav.scrollLeft < hidden - 1);
}

function showCurrentLink() {
  const current = siteNav && siteNav.querySelector('[aria-current="page"]');
  if (current && siteNav.scrollWidth > siteNav.clientWidth) {
    const left = current.offsetLeft - siteNav.offsetLeft;
    if (left < siteNav.scrollLeft || left + current.offsetWidth > siteNav.scrollLeft + siteNav.clientWidth) {
      siteNav.scrollLeft = Math.max(0, left - 16);
    }
  }
  markNavEdges();
}

if (siteNav) {
  siteNav.addEventListener('scroll', markNavEdges, { passive: true });
  window.addEventListener('resize', markNavEdges);
}

/* ---- header ---- */

function renderNav(account) {
  const links = (account && NAV[account.role]) || NAV.signedOut;
  replace(navList, links.map(([href, text]) => h('li', null, h('a', { href, 'data-nav': href }, t(text)))));
  renderBadge(account);
  renderVisitBadge(account);
  markNavEdges();
}

/* "Messages 2": the unread count beside the link, read out as "2 unread". */
function renderBadge(account = currentAccount()) {
  const href = account && MESSAGES_LINK[account.role];
  for (const old of navList.querySelectorAll('[data-testid="unread-badge"]')) old.remove();
  const n = unreadCount();
  if (!href || !n) return;
  const link = navList.querySelector(`a[data-nav="${href}"]`);
  if (link) {
    // The number shows; the words around it are for screen readers.
    const count = h('span', null, n > 99 ? '99+' : formatCount(n));
    link.append(h('span', { class: 'nav-badge', 'data-testid': 'unread-badge' },
      tp('{count} unread', { count }).map((part) => (typeof part === 'string' ? h('span', { class: 'visually-hidden' }, part) : part))));
  }
}

/* "Video visits 1": how many changes to the person's visits came since they last looked, read out as "1 visit change". */
function renderVisitBadge(account = currentAccount()) {
  const href = account && VISITS_LINK[account.role];
  for (const old of navList.querySelectorAll('.nav-badge--visits')) old.remove();
  const n = visitNewsCount();
  if (!href || !n) return;
  const link = navList.querySelector(`a[data-nav="${href}"]`);
  if (link) {
    link.append(h('span', { class: 'nav-badge nav-badge--visits', 'data-testid': 'visit-news-badge' },
      h('span', null, n > 99 ? '99+' : formatCount(n)),
      h('span', { class: 'visually-hidden' }, ' ', tn(n, 'visit change', 'visit changes'))));
  }
}

/* The live stream runs while a family member or a resident is signed in, for that account only. */
let liveFor = null;
function followLive(account) {
  const wanted = account && MESSAGES_LINK[account.role] ? account.id : null;
  if (wanted === liveFor) return;
  if (liveFor !== null) stopLive();
  liveFor = wanted;
  if (wanted !== null) startLive();
}

onUnread(() => renderBadge());
onVisitNews(() => renderVisitBadge());

/*
 * A resident on a shared tablet is signed out after the facility's idle time (web/idle.js); the
 * tablet then loads the sign-in page afresh, which says why.
 */
let idleFor = null;
const IDLE_STAFF = ['reviewer', 'investigator', 'facility_admin', 'operator'];
const STAFF_IDLE_MINUTES = 30; /* the server's limit too (domain/identity/session.h) */
const STAFF_PING_MS = 5 * 60_000;

/*
 * Staff: after 30 minutes without activity the server ends the session; the page warns two minutes
 * before and then returns to the sign-in page.  Activity in the page that sends no request (reading,
 * scrolling) tells the server at most every five minutes, so a person at work is not signed out.
 */
function followStaffIdle() {
  let lastPing = Date.now();
  startIdleWatch(STAFF_IDLE_MINUTES, async () => {
    followLive(null);
    try {
      await signOut();
    } catch {
      forget();
    }
    location.replace('/signin?signed_out=idle');
  }, {
    warnSeconds: 120,
    title: () => t('Still working?'),
    text: (time) => tp('For your security, Kite signs staff out after 30 minutes without activity. You will be signed out in {time}.', { time }),
    stay: () => t('Stay signed in'),
    onActive: () => {
      if (Date.now() - lastPing < STAFF_PING_MS) return;
      lastPing = Date.now();
      api('/me').catch(() => {});
    },
  });
}

async function followIdle(account) {
  const watched = account && (account.role === 'resident' || IDLE_STAFF.includes(account.role));
  const wanted = watched ? account.id : null;
  if (wanted === idleFor) return;
  idleFor = wanted;
  if (wanted === null) {
    stopIdleWatch();
    return;
  }
  if (account.role !== 'resident') {
    followStaffIdle();
    return;
  }
  let minutes = 5;
  try {
    const me = await api('/me');
    const f = me.resident && me.resident.facility;
    const detail = f && f.on_platform ? await api(`/facilities/${f.id}`) : null;
    if (detail && detail.policy && detail.policy.tablet_idle_minutes) minutes = detail.policy.tablet_idle_minutes;
  } catch {
    /* the default time, then */
  }
  if (idleFor !== wanted) return;
  startIdleWatch(minutes, async () => {
    followLive(null);
    try {
      await signOut();
    } catch {
      forget();
    }
    forgetLanguage();
    location.replace(`/tablet?signed_out=idle&minutes=${minutes}`);
  });
}

/*
 * The account's language and this device's: a language picked here wins and is saved on the
 * account (emails follow it); on a device where nothing was picked, the account's language is
 * taken and the page shown again in it.
 */
let languageSynced = null;
function followLanguage(account) {
  if (!account || !account.lang || languageSynced === account.id) return;
  languageSynced = account.id;
  if (account.lang === lang()) return;
  if (chosenHere()) {
    api('/me', { method: 'PATCH', body: { lang: lang() } }).catch(() => {});
  } else {
    // After the sign-in page has moved on, so that the reload shows where the person is going.
    setTimeout(() => chooseLanguage(account.lang), 0);
  }
}

/* "Español" on an English page, "English" on a Spanish one: each named in its own language. */
function languageSwitch() {
  const [code, name] = LANGUAGES.find(([c]) => c !== lang());
  const button = h('button', {
    type: 'button', class: 'lang-switch', lang: code, 'data-testid': 'lang-switch',
    'aria-label': code === 'es' ? 'Español: ver Kite en español' : 'English: show Kite in English',
  }, name);
  button.addEventListener('click', () => chooseLanguage(code));
  return button;
}

function renderAccountArea(account) {
  followLanguage(account);
  followLive(account);
  followIdle(account);
  renderNav(account);
  if (!account) {
    replace(accountArea,
      h('a', { href: '/signin', class: 'header-link', 'data-nav': '/signin' }, t('Sign in')),
      h('a', { href: '/register', class: 'button button--small', 'data-nav': '/register' }, t('Create account')));
  } else {
    const button = h('button', { type: 'button', class: 'button button--small button--secondary' }, t('Sign out'));
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const wasResident = account.role === 'resident';
        // Stop the stream and the badge first, so nothing asks with the session being ended.
        followLive(null);
        await signOut();
        if (wasResident) {
          // The next person on a shared tablet starts from the tablet's own language.
          forgetLanguage();
          flash(t('You are signed out. The next person can sign in.'));
          navigate('/tablet');
        } else {
          flash(t('You are signed out. To use Kite again, sign in.'));
          navigate('/');
        }
      } catch (e) {
        followLive(account);
        showNotice(e.message, 'error');
        button.disabled = false;
      }
    });
    replace(accountArea,
      h('a', { href: account.role === 'resident' ? '/tablet' : '/account', class: 'account-chip', 'data-nav': account.role === 'resident' ? null : '/account' },
        tp('Signed in as {name}', {
          name: h('span', { class: 'account-name', 'data-testid': 'account-name' }, account.full_name || account.email),
        }).map((part) => (typeof part === 'string' ? h('span', { class: 'visually-hidden' }, part) : part)),
        h('span', { class: 'account-role' }, roleName(account.role))),
      button);
  }
  const route = routes.find((r) => r.pattern.test(location.pathname));
  markNav(route ? route.nav : null);
}

/* ---- links ---- */

document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});

window.addEventListener('popstate', () => render('pop'));

replace(langSlot, languageSwitch());
onSessionChange(renderAccountArea);
renderAccountArea(currentAccount());

/*
 * A tab that remembers its sign-in confirms it with the server (this clears it when the session
 * has ended); a tab that does not (opened from an email, or a second tab) takes the browser's
 * session, if there is one, before the first page renders.
 */
if (currentAccount()) {
  main.removeAttribute('aria-busy');
  render('load');
  fetchMe().catch(() => {});
} else {
  restoreSession().catch(() => null).finally(() => {
    main.removeAttribute('aria-busy');
    render('load');
  });
}
