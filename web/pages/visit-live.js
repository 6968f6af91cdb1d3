// /visits/{id}/live: the live video visit, for the three people who may be in it.
//
//   - the family member (a phone or a desktop browser) and the resident (the tablet page): a
//     local preview, the other side's video, their own mic and camera switches, leave, the
//     countdown and the one-minute warning, and what they wait for (the other side, the monitor);
//   - a monitor (facility staff: reviewer or facility admin): both sides' video, a side's audio
//     or video muted for everyone, and "End the visit" with a reason both sides are shown.
// /staff/visits/live: today's running and upcoming visits of the facility, each with "Watch".
//
// Plain WebRTC (RTCPeerConnection), no library.  The page never talks to the media server's API:
// every offer, answer and "done gathering" goes through Kite (POST /api/v1/visits/{id}/media),
// and the page learns who sends from its poll of GET /api/v1/visits/{id}/live.  Candidates go
// inside the SDP (the page waits for ICE gathering to finish), so nothing is trickled one by one.
// The countdown runs on the server's clock (the join answer's "now"), not the device's.

import { ApiError, api, currentAccount } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { N_, formatDateTime, t } from '../i18n.js';
import { chip, emptyNote } from '../widgets.js';
import { setVisitJoinControl } from './visits.js';

const POLL_MS = 2000;
const GATHER_MAX_MS = 5000;
const MONITORS = ['reviewer', 'facility_admin'];
const OTHER = { contact: 'resident', resident: 'contact' };
const SIDE_NAMES = { contact: N_('The family member'), resident: N_('The resident') };

/* "12:04" left, from milliseconds. */
function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

/* Resolves once the connection has gathered its candidates (or after GATHER_MAX_MS: loopback is quick). */
function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', done);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, GATHER_MAX_MS);
  });
}

/* The page's media calls go one after another: each may wait on the media server for its answer. */
let mediaQueue = Promise.resolve();
function media(id, body) {
  const next = mediaQueue.then(() => api(`/visits/${id}/media`, { method: 'POST', body }));
  mediaQueue = next.catch(() => {});
  return next;
}

function signInNeeded(root, path) {
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', null, t('Sign in to join the visit')),
    h('p', { class: 'actions' }, h('a', { class: 'button', href: `/signin?next=${encodeURIComponent(path)}` }, t('Sign in')))));
}

function refusal(root, e, id) {
  const msg = e instanceof ApiError ? e.message : t('Kite could not be reached. Check your internet connection, then try again.');
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', { tabindex: '-1' }, t('You cannot join this visit now')),
    h('div', { class: 'notice notice--warning', role: 'alert', 'data-testid': 'visit-refused' }, h('p', null, msg)),
    e instanceof ApiError && e.status === 409
      ? h('p', { class: 'actions' }, h('a', { class: 'button', href: `/visits/${id}/live` }, t('Try again'))) : null));
}

/* A <video> with its label; the element plays inline and, for one's own preview, silently. */
function videoTile(label, testid, { own = false } = {}) {
  const video = h('video', { autoplay: true, playsinline: true, 'data-testid': testid, 'aria-label': label });
  if (own) video.muted = true;
  const note = h('p', { class: 'video-note', 'data-testid': `${testid}-note` }, own ? '' : t('Waiting for video…'));
  return { video, note, tile: h('figure', { class: 'video-tile' }, video, h('figcaption', null, label), note) };
}

export async function visitLivePage(root, ctx) {
  const id = ctx.params[0];
  const path = `/visits/${id}/live`;
  setTitle(t('Video visit'));
  if (!/^\d{1,12}$/.test(id)) {
    replace(root, h('div', { class: 'wrap narrow' }, h('h1', null, t('This page does not exist'))));
    return;
  }
  if (!currentAccount()) {
    signInNeeded(root, path);
    return;
  }
  replace(root, h('div', { class: 'wrap' }, h('p', { class: 'loading', role: 'status' }, t('Opening the visit…'))));
  let join;
  try {
    join = await api(`/visits/${id}/join`);
  } catch (e) {
    if (!ctx.isCurrent()) return;
    if (e instanceof ApiError && e.status === 401) throw e;
    refusal(root, e, id);
    return;
  }
  if (!ctx.isCurrent()) return;
  const visit = createVisit(root, ctx, id, join);
  ctx.onLeave(() => visit.stop(false));
  visit.start();
}

function createVisit(root, ctx, id, join) {
  const role = join.role;
  const monitor = role === 'monitor';
  const skew = Date.parse(join.now) - Date.now(); /* server time minus device time */
  const serverNow = () => Date.now() + skew;
  const endsAt = Date.parse(join.ends_at);
  const warningAt = Date.parse(join.warning_at);
  const iceServers = join.ice_servers || [];
  let stopped = false;
  let pollTimer = null;
  let tickTimer = null;
  let local = null;
  let publisher = null;
  let publishing = false;
  const subscribers = {}; /* side → RTCPeerConnection */
  const subscribing = {};

  const status = h('p', { class: 'visit-status', role: 'status', 'data-testid': 'visit-status' }, t('Connecting…'));
  const countdown = h('p', { class: 'visit-countdown', 'data-testid': 'visit-countdown' });
  const warning = h('div', { class: 'notice notice--warning', role: 'alert', hidden: true, 'data-testid': 'visit-warning' },
    h('p', null, t('One minute left: the visit ends at the end of its time.')));
  const ended = h('div', { class: 'notice notice--info', role: 'alert', hidden: true, 'data-testid': 'visit-ended' });
  const tiles = {};
  const grid = h('div', { class: 'video-grid' });
  if (monitor) {
    for (const side of ['contact', 'resident']) {
      tiles[side] = videoTile(t(SIDE_NAMES[side]), `video-${side}`);
      grid.append(tiles[side].tile);
    }
  } else {
    tiles[OTHER[role]] = videoTile(role === 'contact' ? t('The resident') : t('Your visitor'), 'video-remote');
    tiles.own = videoTile(t('You'), 'video-local', { own: true });
    grid.append(tiles[OTHER[role]].tile, tiles.own.tile);
  }
  const controls = h('div', { class: 'actions visit-controls' });
  const page = h('div', { class: 'wrap visit-live' },
    h('h1', { tabindex: '-1' }, monitor ? t('Monitoring a video visit') : t('Video visit')),
    h('p', { class: 'lead' }, t('From {start} to {end}', { start: formatDateTime(join.starts_at), end: formatDateTime(join.ends_at) })),
    join.privileged ? h('p', null, chip('privileged', t('Privileged attorney visit: not monitored or recorded'), 'legal')) : null,
    status, countdown, warning, ended, grid, controls);
  replace(root, page);

  function say(text) {
    status.textContent = text;
  }

  function tick() {
    const now = serverNow();
    countdown.textContent = now < endsAt ? t('Time left: {left}', { left: clock(endsAt - now) }) : t('Time is up.');
    warning.hidden = !(now >= warningAt && now < endsAt);
  }

  function stop(sendLeave) {
    if (stopped) return;
    stopped = true;
    clearInterval(pollTimer);
    clearInterval(tickTimer);
    if (publisher) publisher.close();
    for (const pc of Object.values(subscribers)) pc.close();
    if (local) for (const track of local.getTracks()) track.stop();
    if (sendLeave) media(id, { action: 'leave' }).catch(() => {});
  }

  function showEnded(live) {
    stop(false);
    const note = live.ended && live.ended.note;
    const reason = live.ended && live.ended.reason;
    const words = reason === 'ended_by_monitor' ? t('Facility staff ended this visit.')
      : reason === 'connection_lost' ? t('The connection was lost; you are charged only for the minutes connected.')
        : t('This visit is over.');
    replace(ended,
      h('p', null, words),
      note ? h('p', { 'data-testid': 'visit-end-note' }, t('Reason: {reason}', { reason: note })) : null);
    ended.hidden = false;
    say(t('The visit has ended.'));
    replace(controls, h('a', { class: 'button', href: monitor ? '/staff/visits/live' : homeLink() }, t('Done')));
  }

  function homeLink() {
    return role === 'resident' ? '/tablet' : '/messages';
  }

  async function publish() {
    if (publishing || publisher) return;
    publishing = true;
    try {
      const pc = new RTCPeerConnection({ iceServers });
      for (const track of local.getTracks()) pc.addTrack(track, local);
      // A connection that fails is dropped: the next poll publishes again.
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'failed' && publisher === pc) {
          publisher = null;
          pc.close();
        }
      });
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const r = await media(id, { action: 'publish', jsep: { type: 'offer', sdp: pc.localDescription.sdp } });
      await pc.setRemoteDescription(r.jsep);
      publisher = pc;
      await media(id, { action: 'trickle', target: 'publisher', candidate: null });
    } catch (e) {
      if (e instanceof ApiError) say(e.message); /* e.g. waiting for the monitor: the next poll tries again */
      else say(t('Your camera or microphone could not be used. Check the browser’s permission, then reload.'));
    } finally {
      publishing = false;
    }
  }

  async function subscribe(side) {
    if (subscribing[side] || subscribers[side]) return;
    subscribing[side] = true;
    try {
      const r = await media(id, { action: 'subscribe', feed: side });
      const pc = new RTCPeerConnection({ iceServers });
      const view = tiles[side];
      // Every track the subscription brings (audio and video) goes into one stream for the tile.
      const stream = new MediaStream();
      pc.addEventListener('track', (ev) => {
        stream.addTrack(ev.track);
        if (view.video.srcObject !== stream) view.video.srcObject = stream;
        view.note.textContent = '';
      });
      // A connection that fails is dropped: the next poll subscribes again.
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'failed' && subscribers[side] === pc) dropSubscriber(side);
      });
      await pc.setRemoteDescription(r.jsep);
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      await media(id, { action: 'answer', feed: side, jsep: { type: 'answer', sdp: pc.localDescription.sdp } });
      await media(id, { action: 'trickle', target: side, candidate: null });
      subscribers[side] = pc;
    } catch (e) {
      if (e instanceof ApiError) tiles[side].note.textContent = e.message;
    } finally {
      subscribing[side] = false;
    }
  }

  function dropSubscriber(side) {
    if (!subscribers[side]) return;
    subscribers[side].close();
    delete subscribers[side];
    tiles[side].video.srcObject = null;
    tiles[side].note.textContent = t('Waiting for video…');
  }

  async function poll() {
    if (stopped) return;
    let live;
    try {
      live = await api(`/visits/${id}/live`);
    } catch (e) {
      if (e instanceof ApiError && e.status !== 401) say(e.message);
      return;
    }
    if (stopped || !ctx.isCurrent()) return;
    if (live.ended || (live.state !== 'approved' && live.state !== 'in_progress')) {
      showEnded(live);
      return;
    }
    if (live.waiting_for === 'monitor') say(t('Waiting for facility staff to join: this visit is monitored, and it starts when they are in.'));
    else if (live.waiting_for === 'other_side') say(monitor ? t('Waiting for both sides to join.') : t('Waiting for the other side to join…'));
    // Connected (and its minutes counted) only once both sides' media reaches the server: until then, connecting.
    else if (!live.connected_at) say(t('Connecting…'));
    else say(monitor ? t('Both sides are connected.') : t('Connected.'));
    if (!monitor && !publisher && live.waiting_for !== 'monitor') publish();
    for (const side of monitor ? ['contact', 'resident'] : [OTHER[role]]) {
      const s = live.sides[side];
      if (s.sending) subscribe(side);
      else dropSubscriber(side);
      if (monitor) updateMuteButtons(side, s);
    }
  }

  /* ---- the party's own switches ---- */
  function trackSwitch(kind, onLabel, offLabel, testid) {
    const button = h('button', { type: 'button', class: 'button button--secondary', 'aria-pressed': 'false', 'data-testid': testid }, offLabel);
    button.addEventListener('click', () => {
      if (!local) return;
      const tracks = kind === 'audio' ? local.getAudioTracks() : local.getVideoTracks();
      const off = button.getAttribute('aria-pressed') !== 'true';
      for (const track of tracks) track.enabled = !off;
      button.setAttribute('aria-pressed', off ? 'true' : 'false');
      button.textContent = off ? onLabel : offLabel;
    });
    return button;
  }

  /* ---- the monitor's ---- */
  const muteButtons = {};
  function updateMuteButtons(side, s) {
    for (const kind of ['audio', 'video']) {
      const b = muteButtons[`${side}-${kind}`];
      if (!b) continue;
      const muted = kind === 'audio' ? s.audio_muted : s.video_muted;
      b.setAttribute('aria-pressed', muted ? 'true' : 'false');
      b.disabled = !s.sending;
    }
  }

  function monitorControls() {
    const rows = [];
    for (const side of ['contact', 'resident']) {
      const buttons = [];
      for (const [kind, label] of [['audio', t('Mute audio')], ['video', t('Hide video')]]) {
        const b = h('button', { type: 'button', class: 'button button--secondary button--small', 'aria-pressed': 'false', disabled: true, 'data-testid': `mute-${side}-${kind}` }, label);
        b.addEventListener('click', async () => {
          const muted = b.getAttribute('aria-pressed') !== 'true';
          b.disabled = true;
          try {
            const r = await api(`/visits/${id}/mute`, { method: 'POST', body: { side, media: kind, muted } });
            b.setAttribute('aria-pressed', (kind === 'audio' ? r.audio_muted : r.video_muted) ? 'true' : 'false');
          } catch (e) {
            say(e instanceof ApiError ? e.message : String(e));
          } finally {
            b.disabled = false;
          }
        });
        muteButtons[`${side}-${kind}`] = b;
        buttons.push(b);
      }
      rows.push(h('div', { class: 'mute-row', role: 'group', 'aria-label': t(SIDE_NAMES[side]) }, h('span', null, t(SIDE_NAMES[side])), ...buttons));
    }
    const reasonId = `end-reason-${id}`;
    const reason = h('textarea', { id: reasonId, rows: '2', maxlength: '500', required: true, 'data-testid': 'end-reason' });
    const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const form = h('form', { class: 'card end-form', novalidate: true },
      h('label', { for: reasonId }, t('Reason for ending the visit (both sides see it)')), reason, error,
      h('p', { class: 'actions' }, h('button', { type: 'submit', class: 'button', 'data-testid': 'end-visit' }, t('End the visit'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      if (!reason.value.trim()) {
        error.textContent = t('Write why the visit is ended.');
        error.hidden = false;
        reason.focus();
        return;
      }
      try {
        await api(`/visits/${id}/end`, { method: 'POST', body: { reason: reason.value } });
        poll();
      } catch (e) {
        error.textContent = e instanceof ApiError ? e.message : String(e);
        error.hidden = false;
      }
    });
    return [...rows, form];
  }

  async function start() {
    tick();
    tickTimer = setInterval(tick, 1000);
    if (monitor) {
      replace(controls, ...monitorControls());
      try {
        await media(id, { action: 'watch' });
      } catch (e) {
        say(e instanceof ApiError ? e.message : String(e));
      }
    } else {
      try {
        local = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        tiles.own.video.srcObject = local;
      } catch {
        say(t('Your camera or microphone could not be used. Check the browser’s permission, then reload.'));
      }
      const leave = h('button', { type: 'button', class: 'button', 'data-testid': 'leave-visit' }, t('Leave the visit'));
      leave.addEventListener('click', () => {
        stop(true);
        say(t('You left the visit.'));
        replace(controls, h('a', { class: 'button', href: homeLink() }, t('Done')));
      });
      replace(controls,
        trackSwitch('audio', t('Turn microphone on'), t('Turn microphone off'), 'toggle-mic'),
        trackSwitch('video', t('Turn camera on'), t('Turn camera off'), 'toggle-camera'),
        leave);
    }
    if (stopped) return;
    await poll();
    pollTimer = setInterval(poll, POLL_MS);
  }

  return { start, stop };
}

/* ---- the "Join" (or "Watch") control on the visit cards of pages/visits.js ---- */

const OPEN_EARLY_MS = 5 * 60 * 1000; /* the room opens five minutes before the start (the server decides) */

setVisitJoinControl((v) => {
  const account = currentAccount();
  const now = Date.now();
  const running = v.state === 'approved' || v.state === 'in_progress';
  if (!account || !running || now < Date.parse(v.starts_at) - OPEN_EARLY_MS || now >= Date.parse(v.ends_at)) return null;
  const staff = MONITORS.includes(account.role);
  if (staff && v.privileged) return null; /* an attorney's visit is not watched */
  if (!staff && account.role !== 'contact' && account.role !== 'resident') return null;
  return h('a', { class: 'button', href: `/visits/${v.id}/live`, 'data-testid': `visit-join-${v.id}` },
    staff ? t('Watch') : t('Join the visit'));
});

/* ---- /staff/visits/live: the monitor's list ---- */

/* How far around now the monitor's list looks: back over the longest slot, ahead half a day. */
const LIST_BACK_MS = 4 * 3600 * 1000;
const LIST_AHEAD_MS = 12 * 3600 * 1000;

/*
 * The facility's visits running now or due in the next twelve hours (across midnight too: a
 * monitor at 23:55 sees the visit at 00:10), the running ones first, every page of each state.
 */
async function liveVisitsSoon(facilityId) {
  const now = Date.now();
  const from = encodeURIComponent(new Date(now - LIST_BACK_MS).toISOString());
  const to = encodeURIComponent(new Date(now + LIST_AHEAD_MS).toISOString());
  const out = [];
  for (const state of ['in_progress', 'approved']) {
    let cursor = null;
    do {
      const r = await api(`/facilities/${facilityId}/visits?from=${from}&to=${to}&state=${state}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      out.push(...r.items.filter((v) => v.state === 'in_progress' || Date.parse(v.ends_at) > now));
      cursor = r.next_cursor;
    } while (cursor);
  }
  return out;
}

export async function liveVisitsPage(root, ctx) {
  setTitle(t('Live video visits'));
  const account = currentAccount();
  if (!account) {
    signInNeeded(root, '/staff/visits/live');
    return;
  }
  if (!MONITORS.includes(account.role) || !account.facility_id) {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('This page is for facility staff')),
      h('p', null, t('Reviewers and facility admins watch their facility’s video visits here.'))));
    return;
  }
  replace(root, h('div', { class: 'wrap' }, h('p', { class: 'loading', role: 'status' }, t('Loading today’s visits…'))));
  let visits = [];
  let problem = null;
  try {
    visits = await liveVisitsSoon(account.facility_id);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) throw e;
    problem = e instanceof ApiError ? e.message : String(e);
  }
  if (!ctx.isCurrent()) return;
  const list = visits.length
    ? h('ul', { class: 'plain-list', 'data-testid': 'live-visits' }, visits.map((v) => h('li', { class: 'card' },
      h('p', null, h('strong', null, t('Visit {id}', { id: v.id })), ' ', chip(v.state, v.state === 'in_progress' ? t('In progress') : t('Approved'), v.state === 'in_progress' ? 'ok' : 'wait'),
        v.privileged ? chip('privileged', t('Privileged: not monitored'), 'legal') : null),
      h('p', null, t('From {start} to {end}', { start: formatDateTime(v.starts_at), end: formatDateTime(v.ends_at) })),
      v.privileged ? null : h('p', { class: 'actions' }, h('a', { class: 'button', href: `/visits/${v.id}/live` }, t('Watch'))))))
    : emptyNote(t('No video visits are running or due in the next twelve hours.'));
  replace(root, h('div', { class: 'wrap' },
    h('div', { class: 'page-intro' },
      h('h1', null, t('Live video visits')),
      h('p', { class: 'lead' }, t('Watch a visit, mute a side, or end it with a reason.'))),
    problem ? h('div', { class: 'notice notice--error', role: 'alert' }, h('p', null, problem)) : null,
    list));
}
