// Talking to the Kite API, and the sign-in state of this browser tab.
//
// The session itself is an HttpOnly cookie the page cannot read.  What the page keeps, in
// sessionStorage (this tab only), is the CSRF token every state-changing request must carry
// and the account it belongs to, so the header can show who is signed in.

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

const NETWORK_MESSAGE =
  'Kite could not be reached. Check your internet connection, then try again.';

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

export async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json' };
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
    throw new ApiError(0, 'network', NETWORK_MESSAGE);
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    const retry = Number.parseInt(res.headers.get('Retry-After') || '', 10);
    throw new ApiError(
      res.status,
      err.code || `http_${res.status}`,
      err.message || `Kite answered with an error (${res.status}). Wait a moment and try again.`,
      err.field,
      Number.isFinite(retry) ? retry : null,
    );
  }
  if (data === null) throw new ApiError(res.status, 'bad_answer', 'Kite sent an answer this page could not read. Reload the page and try again.');
  return data;
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

export function forget() {
  const had = storageGet(CSRF_KEY) !== null;
  storageSet(CSRF_KEY, null);
  storageSet(ACCOUNT_KEY, null);
  if (had) emit();
}

export async function signIn(email, password) {
  const answer = await api('/sessions', { method: 'POST', body: { email, password } });
  remember(answer.csrf_token, answer.account);
  return answer.account;
}

/* A resident on a facility tablet: facility, resident number and PIN. */
export async function signInResident(facilityId, residentNumber, pin) {
  const answer = await api('/sessions', {
    method: 'POST', body: { facility_id: facilityId, resident_number: residentNumber, pin },
  });
  remember(answer.csrf_token, answer.account);
  return answer.account;
}

/* Where a signed-in person starts: family at their account, residents on the tablet, staff at /staff. */
export function homePath(account) {
  if (!account) return '/';
  if (account.role === 'resident') return '/tablet';
  if (account.role === 'contact') return '/account';
  return '/staff';
}

export async function signOut() {
  try {
    await api('/sessions/current', { method: 'DELETE' });
  } catch (e) {
    /* 401: the session had already ended, which is what we wanted. */
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
  }
  forget();
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
