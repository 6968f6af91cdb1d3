// News from Kite while a family member or a resident is signed in: one Server-Sent Events stream
// per tab (GET /api/v1/events), the number of unread messages the header shows, and how many
// changes to the person's video visits (booked, approved, declined, cancelled, moved, ended) came
// since they last looked at their visits: the header marks the visits link until they do.
//
// EventSource reconnects by itself after a dropped connection (sending Last-Event-ID, so nothing
// is missed).  When the server refuses the stream (429: too many open; 401: signed out) it stops
// for good, so this makes a new one after a delay, resuming after the last event it saw.

import { api, beforeSignOut, fetchMe } from './api.js';

const listeners = new Set();
const unreadListeners = new Set();
let source = null;
let running = false;
let lastId = null;
let retryTimer = null;
let retryDelay = 5000;
let opens = 0;
let unread = 0;
let unreadTimer = null;
let unreadAsk = null; // the AbortController of the count request in flight
const visitNewsListeners = new Set();
let visitNews = 0;

/* fn({ type, data }): type is message.new, message.status, visit.status, or resync (events may have been missed). */
export function onLive(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(type, data) {
  for (const fn of [...listeners]) {
    try {
      fn({ type, data });
    } catch {
      /* one page's trouble does not stop the others */
    }
  }
}

export function onUnread(fn) {
  unreadListeners.add(fn);
  return () => unreadListeners.delete(fn);
}

export const unreadCount = () => unread;

/* fn(n): the number of visit changes not yet seen; the visits page clears it (clearVisitNews). */
export function onVisitNews(fn) {
  visitNewsListeners.add(fn);
  return () => visitNewsListeners.delete(fn);
}

export const visitNewsCount = () => visitNews;

function setVisitNews(n) {
  if (n === visitNews) return;
  visitNews = n;
  for (const fn of [...visitNewsListeners]) fn(visitNews);
}

export function clearVisitNews() {
  setVisitNews(0);
}

function setUnread(n) {
  if (n === unread) return;
  unread = n;
  for (const fn of [...unreadListeners]) fn(unread);
}

/* Asks the server again how many delivered messages are unread (soon, once for a burst). */
export function refreshUnread() {
  if (!running) return;
  clearTimeout(unreadTimer);
  unreadTimer = setTimeout(async () => {
    const ask = new AbortController();
    unreadAsk?.abort();
    unreadAsk = ask;
    try {
      const answer = await api('/messages?box=inbox&limit=1', { signal: ask.signal });
      if (running) setUnread(answer.unread || 0);
    } catch {
      /* the badge keeps its last number */
    } finally {
      if (unreadAsk === ask) unreadAsk = null;
    }
  }, 150);
}

function connect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  const url = lastId !== null ? `/api/v1/events?last_event_id=${encodeURIComponent(lastId)}` : '/api/v1/events';
  const es = new EventSource(url);
  source = es;
  const handle = (event) => {
    if (event.lastEventId) lastId = event.lastEventId;
    let data = null;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    emit(event.type, data);
    refreshUnread();
  };
  es.addEventListener('message.new', handle);
  es.addEventListener('message.status', handle);
  // A visit changed: no message count moves, the visits link is marked and open visit pages redraw.
  es.addEventListener('visit.status', (event) => {
    if (event.lastEventId) lastId = event.lastEventId;
    let data = null;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    setVisitNews(visitNews + 1);
    emit('visit.status', data);
  });
  es.addEventListener('open', () => {
    retryDelay = 5000;
    opens += 1;
    // After the first connection, a new stream may have missed something: pages look again.
    if (opens > 1) {
      emit('resync', null);
      refreshUnread();
    }
  });
  es.addEventListener('error', () => {
    if (es !== source || es.readyState !== EventSource.CLOSED) return; // it retries by itself
    es.close();
    source = null;
    if (!running) return;
    const delay = retryDelay;
    retryDelay = Math.min(retryDelay * 2, 120000);
    retryTimer = setTimeout(async () => {
      if (!running) return;
      try {
        // Signed out elsewhere? fetchMe forgets the session, and the header stops the stream.
        const me = await fetchMe();
        if (!me || !running) return;
      } catch {
        /* offline: try the stream anyway */
      }
      connect();
    }, delay);
  });
}

/* Starts the stream for the signed-in contact or resident; safe to call again. */
export function startLive() {
  if (running) return;
  running = true;
  opens = 0;
  retryDelay = 5000;
  connect();
  refreshUnread();
}

// Signing out stops the stream and the count first, so nothing asks once the session is gone;
// a sign-out that failed starts them again.
beforeSignOut(() => {
  if (!running) return null;
  stopLive();
  return startLive;
});

export function stopLive() {
  running = false;
  clearTimeout(retryTimer);
  clearTimeout(unreadTimer);
  unreadAsk?.abort();
  unreadAsk = null;
  retryTimer = null;
  if (source) source.close();
  source = null;
  lastId = null;
  setUnread(0);
  setVisitNews(0);
}
