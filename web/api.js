// Talking to the Kite API, and the sign-in state of this browser tab.
//
// The session itself is an HttpOnly cookie the page cannot read.  What the page keeps, in
// sessionStorage (this tab only), is the CSRF token every state-changing request must carry
// and the account it belongs to, so the header can show who is signed in.

import { lang, t } from './i18n.js';

const CSRF_KEY = 'kite.csrf';
const ACCOUNT_KEY = 'kite.account';

export class ApiError extends Error {
  constructor(status, code, message, field, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
    this.retryAfter = retryAfter;
  }
}

const networkMessage = () => t('Kite could not be reached. Check your internet connection, then try again.');

function storageGet(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function storageSet(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    /* storage blocked: the tab simply forgets the sign-in */
  }
}

/* headers: more request headers, such as Idempotency-Key. */
export async function api(path, { method = 'GET', body, signal, headers: more } = {}) {
  // The page's language, not the browser's: error sentences come back in what the page shows.
  const headers = { Accept: 'application/json', 'Accept-Language': lang(), ...more };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = storageGet(CSRF_KEY);
    if (csrf) headers['X-Kite-CSRF'] = csrf;
  }
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', networkMessage());
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) throw errorFrom(res.status, data, res.headers.get('Retry-After'));
  if (data === null) throw new ApiError(res.status, 'bad_answer', badAnswer());
  return data;
}

const badAnswer = () => t('Kite sent an answer this page could not read. Reload the page and try again.');

function errorFrom(status, data, retryAfter) {
  const err = (data && data.error) || {};
  const retry = Number.parseInt(retryAfter || '', 10);
  const e = new ApiError(
    status,
    err.code || `http_${status}`,
    err.message || t('Kite answered with an error ({status}). Wait a moment and try again.', { status }),
    err.field,
    Number.isFinite(retry) ? retry : null,
  );
  if (err.balances) e.balances = err.balances; /* account_has_balance: what the account still holds */
  return e;
}

/*
 * Sends a file as the raw request body (a photo to /attachments) and reports how much of it has
 * gone out: onProgress(fraction from 0 to 1).  fetch cannot tell upload progress, so this uses
 * XMLHttpRequest.  Resolves to the JSON answer; throws ApiError like api().
 */
export function upload(path, file, { onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1${path}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Accept-Language', lang());
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    const csrf = storageGet(CSRF_KEY);
    if (csrf) xhr.setRequestHeader('X-Kite-CSRF', csrf);
    if (onProgress) {
      xhr.upload.addEventListener('progress', (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      });
    }
    xhr.addEventListener('load', () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(errorFrom(xhr.status, data, xhr.getResponseHeader('Retry-After')));
      } else if (data === null) {
        reject(new ApiError(xhr.status, 'bad_answer', badAnswer()));
      } else {
        resolve(data);
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', networkMessage())));
    xhr.addEventListener('abort', () => reject(new DOMException(t('The upload was stopped.'), 'AbortError')));
    if (signal) {
      if (signal.aborted) {
        reject(new DOMException(t('The upload was stopped.'), 'AbortError'));
        return;
      }
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(file);
  });
}

/* A key that makes a repeated request (a double click, a retry) count once. */
export function newIdempotencyKey() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/* ---- sign-in state ---- */

const listeners = new Set();

export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit() {
  const account = currentAccount();
  for (const fn of listeners) fn(account);
}

export function currentAccount() {
  const raw = storageGet(ACCOUNT_KEY);
  if (!raw || !storageGet(CSRF_KEY)) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

function remember(csrf, account) {
  storageSet(CSRF_KEY, csrf);
  storageSet(ACCOUNT_KEY, account ? JSON.stringify(account) : null);
  emit();
}

/* Unsent message drafts (kite.draft.*) leave with the sign-in. */
function forgetDrafts() {
  try {
    for (let i = sessionStorage.length - 1; i >= 0; i -= 1) {
      const key = sessionStorage.key(i);
      if (key && key.startsWith('kite.draft.')) sessionStorage.removeItem(key);
    }
  } catch {
    /* storage blocked: nothing was kept */
  }
}

export function forget() {
  const had = storageGet(CSRF_KEY) !== null;
  storageSet(CSRF_KEY, null);
  storageSet(ACCOUNT_KEY, null);
  forgetDrafts();
  if (had) emit();
}

/*
 * second: a staff account's two-factor code ({totp_code} or {recovery_code}), or nothing.  The
 * account comes back with twoFactorEnrollment set when the staff account must still set up
 * two-factor sign-in (its session may only do that: pages/security.js).
 */
export async function signIn(email, password, second = {}) {
  const answer = await api('/sessions', { method: 'POST', body: { email, password, ...second } });
  remember(answer.csrf_token, answer.account);
  return { ...answer.account, twoFactorEnrollment: Boolean(answer.two_factor_enrollment_required) };
}

/* A resident on a facility tablet: facility, resident number and PIN. */
export async function signInResident(facilityId, residentNumber, pin) {
  const answer = await api('/sessions', {
    method: 'POST', body: { facility_id: facilityId, resident_number: residentNumber, pin },
  });
  remember(answer.csrf_token, answer.account);
  return answer.account;
}

/*
 * The page a role lands on: family at their account, residents on the tablet, investigators at
 * their search, other staff at /staff; '/' signed out.
 */
export function homeFor(role) {
  if (!role) return '/';
  if (role === 'resident') return '/tablet';
  if (role === 'contact') return '/account';
  if (role === 'investigator') return '/investigate';
  return '/staff';
}

/*
 * Work that must stop before the session ends (the live stream, a pending count): a request the
 * tab still sends after the server forgot the session is answered 401, and that shows as an
 * error in the browser's console for nothing.  fn() stops it and may return a function that
 * starts it again, called when the sign-out failed and the tab is still signed in.
 */
const signOutListeners = new Set();
export function beforeSignOut(fn) {
  signOutListeners.add(fn);
  return () => signOutListeners.delete(fn);
}

async function endingSession(request) {
  const resumes = [...signOutListeners].map((fn) => fn()).filter((resume) => typeof resume === 'function');
  try {
    await request();
  } catch (e) {
    for (const resume of resumes) resume();
    throw e;
  }
  forget();
}

export async function signOut() {
  await endingSession(async () => {
    try {
      await api('/sessions/current', { method: 'DELETE' });
    } catch (e) {
      /* 401: the session had already ended, which is what we wanted. */
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
    }
  });
}

/*
 * A tab opened on its own (a link from an email, a second tab) has the session cookie but not the
 * CSRF token this page keeps per tab: it asks the server for its session, and is signed in as the
 * other tabs are.  Returns the account, or null when the browser is signed out.
 */
export async function restoreSession() {
  if (storageGet(CSRF_KEY)) return currentAccount();
  const answer = await api('/sessions/current');
  if (!answer.csrf_token || !answer.account) return null;
  remember(answer.csrf_token, answer.account);
  return answer.account;
}

/* Signs out every device of the account, this one included. */
export async function signOutEverywhere() {
  await endingSession(() => api('/sessions', { method: 'DELETE' }));
}

/* The account behind the session, from the server; null when signed out. */
export async function fetchMe() {
  if (!storageGet(CSRF_KEY)) return null;
  try {
    const account = await api('/me');
    storageSet(ACCOUNT_KEY, JSON.stringify(account));
    emit();
    return account;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      forget();
      return null;
    }
    throw e;
  }
}
