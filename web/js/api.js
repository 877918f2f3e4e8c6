// The JSON API client (/api/v1, docs/api.md): the session's user and CSRF token, errors as exceptions.

const BASE = '/api/v1';

export const session = { user: null, csrf: null };

export class ApiError extends Error {
  constructor(status, code, message, retryAfter, requestId) {
    super(message || code || String(status));
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.requestId = requestId; /* the server's X-Request-Id: what a user quotes when reporting it */
  }
}

async function request(method, path, body, raw) {
  const headers = { Accept: 'application/json' };
  const unsafe = method !== 'GET' && method !== 'HEAD';
  if (raw) headers['Content-Type'] = 'application/octet-stream';
  else if (body !== undefined) headers['Content-Type'] = 'application/json';
  /* The session cookie rides along by itself; a change must also carry the token login gave. */
  if (unsafe && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  const res = await fetch(BASE + path, {
    method,
    headers,
    credentials: 'same-origin',
    body: raw ? body : body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  let data = null;
  const ctype = res.headers.get('Content-Type') || '';
  if (ctype.includes('json')) data = await res.json();
  else if (ctype.startsWith('text/') && res.ok) data = await res.text();
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code, e.message || res.statusText, res.headers.get('Retry-After'),
      res.headers.get('X-Request-Id'));
  }
  return data;
}

export const get = (path) => request('GET', path);
/* A file as the body, as it is (POST /evidence). */
export const upload = (path, file) => request('POST', path, file, true);
export const post = (path, body) => request('POST', path, body === undefined ? {} : body);
export const put = (path, body) => request('PUT', path, body);
export const patch = (path, body) => request('PATCH', path, body);
export const del = (path) => request('DELETE', path);

export async function refreshMe() {
  try {
    const me = await get('/me');
    session.user = me.user;
    session.csrf = me.csrf_token;
  } catch (e) {
    session.user = null;
    session.csrf = null;
  }
  return session.user;
}

export async function login(username, password) {
  const r = await post('/login', { username, password });
  session.user = r.user;
  session.csrf = r.csrf_token;
  return r.user;
}

export async function logout() {
  try {
    await post('/logout');
  } finally {
    session.user = null;
    session.csrf = null;
  }
}

export function enc(s) {
  return encodeURIComponent(s);
}
