// Staff pages use the same watch with their own words and times (app.js followStaffIdle).
//
// A shared tablet signs itself out.  After the facility's idle time (its policy's
// tablet_idle_minutes, 5 by default) without a touch, a key or a scroll, the resident sees a
// countdown for the last minute with a button to stay; at zero the tablet signs out and loads the
// sign-in page afresh, so nothing of the resident is left in the page, in the tab's storage
// (api.js forget) or on the screen for the next person.

import { h } from './dom.js';
import { t, tp } from './i18n.js';

const WARN_SECONDS = 60;
const ACTIVITY = ['pointerdown', 'keydown', 'touchstart', 'wheel', 'scroll'];

let state = null; // { idleMs, lastActive, expire, banner, left, interval, opts }
let signingOut = false;

/* True while the tablet asks "Are you still there?" or is signing out: nobody is using it. */
export const tabletIdle = () => signingOut || Boolean(state && state.banner);

function format(seconds) {
  const s = Math.max(0, seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function hideBanner() {
  if (state && state.banner) {
    state.banner.remove();
    state.banner = null;
    state.left = null;
  }
}

function showBanner() {
  const left = h('strong', { 'data-testid': 'idle-countdown' });
  const { opts } = state;
  const stay = h('button', { type: 'button', class: 'button button--big' }, opts.stay ? opts.stay() : t('I am still here'));
  stay.addEventListener('click', () => active());
  const banner = h('div', { class: 'idle-banner', role: 'alertdialog', 'aria-labelledby': 'idle-title', 'aria-describedby': 'idle-text' },
    h('p', { id: 'idle-title', class: 'idle-title' }, opts.title ? opts.title() : t('Are you still there?')),
    h('p', { id: 'idle-text' }, opts.text ? opts.text(left) : tp('For your privacy, this tablet signs you out in {time}.', { time: left })),
    stay);
  document.body.append(banner);
  state.banner = banner;
  state.left = left;
  stay.focus();
}

function active() {
  if (!state) return;
  state.lastActive = Date.now();
  hideBanner();
  if (state.opts.onActive) state.opts.onActive();
}

function check() {
  if (!state) return;
  const remaining = Math.ceil((state.lastActive + state.idleMs - Date.now()) / 1000);
  if (remaining <= 0) {
    const { expire } = state;
    stopIdleWatch();
    signingOut = true;
    expire();
    return;
  }
  if (remaining <= (state.opts.warnSeconds || WARN_SECONDS)) {
    if (!state.banner) showBanner();
    state.left.textContent = format(remaining);
  } else {
    hideBanner();
  }
}

/*
 * Starts (or restarts with a new time) the watch; expire() signs out.  opts (all optional):
 * warnSeconds, title(), text(timeElement), stay() for the banner's words, onActive() on each activity.
 */
export function startIdleWatch(minutes, expire, opts = {}) {
  stopIdleWatch();
  signingOut = false;
  state = { idleMs: Math.max(1, minutes) * 60_000, lastActive: Date.now(), expire, banner: null, left: null, interval: null, opts };
  for (const type of ACTIVITY) document.addEventListener(type, active, { capture: true, passive: true });
  state.interval = setInterval(check, 1000);
}

export function stopIdleWatch() {
  if (!state) return;
  clearInterval(state.interval);
  for (const type of ACTIVITY) document.removeEventListener(type, active, { capture: true });
  hideBanner();
  state = null;
}
