// Client for the Tirek JSON API (same origin). Errors from the server are JSON
// `{"error":{"code","message"}}` and are raised as ApiError. Requests made with
// `keep: true` are the public's view (no cookie) and are saved for offline use
// (lib/offline.js).

import { keep as keepOffline } from './offline.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * One request. `credentials: 'same-origin'` (the fetch default, set explicitly and
 * after `init` so nothing can drop it) sends the HttpOnly session cookie along; it never
 * goes to another origin. With `keep`, `credentials: 'omit'` instead: the answer is the
 * public's, whoever is signed in, and a copy is saved for offline use. A 429 carries the
 * server's `Retry-After` (seconds) as `retryAfter`.
 */
async function request(url, init, { keep = false } = {}) {
  let response;
  try {
    response = await fetch(url, { ...init, credentials: keep ? 'omit' : 'same-origin' });
    if (keep && response.ok) keepOffline(String(url), response);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', err.message);
  }
  let body = null;
  if (response.status !== 204) {
    try {
      body = await response.json();
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const e = body && body.error;
    const error = new ApiError(response.status, e?.code || 'http_error', e?.message || `HTTP ${response.status}`);
    const retryAfter = Number.parseInt(response.headers.get('Retry-After') || '', 10);
    if (Number.isFinite(retryAfter)) error.retryAfter = retryAfter;
    throw error;
  }
  return body;
}

export async function getJSON(path, params = {}, { signal, keep = false } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    url.searchParams.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  return request(url, { signal, headers: { Accept: 'application/json' } }, { keep });
}

/**
 * POSTs a JSON body (none when `payload` is undefined) and returns the JSON answer, or
 * null for 204 (same error handling as getJSON). Secrets (passwords) go only in the body.
 */
export async function postJSON(path, payload, { signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  return request(new URL(path, window.location.origin), {
    method: 'POST',
    signal,
    headers,
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
}

/** PUTs a JSON body (GeoJSON for a facility) and returns the JSON answer. */
export async function putJSON(path, payload, { contentType = 'application/json' } = {}) {
  return request(new URL(path, window.location.origin), {
    method: 'PUT',
    headers: { Accept: 'application/json', 'Content-Type': contentType },
    body: JSON.stringify(payload),
  });
}

const seg = (s) => encodeURIComponent(String(s));

/** True when the error means the server has no such endpoint (not built yet). */
export function isMissing(err) {
  return err instanceof ApiError && err.status === 404;
}

export const api = {
  meta: (opts) => getJSON('/api/meta', {}, opts),
  areas: (level, opts) => getJSON('/api/areas', { level }, opts),
  // The public facility list (no cookie), saved for the offline caseworker.
  publicFacilities: (opts) => getJSON('/api/facilities', {}, { ...opts, keep: true }),
  settlements: (params, opts) => getJSON('/api/settlements', params, opts),
  facilities: (params, opts) => getJSON('/api/facilities', params, opts),
  nearest: (params, opts) => getJSON('/api/nearest', params, opts),
  coverage: (params, opts) => getJSON('/api/coverage', params, opts),
  gapsGrid: (params, opts) => getJSON('/api/gaps/grid', params, opts),
  travelCatchments: (params, opts) => getJSON('/api/travel/catchments', params, opts),
  planSites: (body, opts) => postJSON('/api/plan/sites', body, opts),
  // Accounts: the session is an HttpOnly cookie set by the server; the page never sees it.
  me: (opts) => getJSON('/api/me', {}, opts),
  login: (username, password) => postJSON('/api/login', { username, password }),
  logout: () => postJSON('/api/logout'),
  changePassword: (current, next) => postJSON('/api/password', { current, new: next }),
  // Stewardship (the Manage view and "report a problem"); the server checks every role.
  putFacility: (id, feature) => putJSON(`/api/facilities/${seg(id)}`, feature, { contentType: 'application/geo+json' }),
  due: (org) => getJSON(`/api/organisations/${seg(org)}/due`),
  verify: (org, body) => postJSON(`/api/organisations/${seg(org)}/verify`, body),
  proposals: (params) => getJSON('/api/proposals', params),
  approve: (id, body) => postJSON(`/api/proposals/${seg(id)}/approve`, body),
  reject: (id, body) => postJSON(`/api/proposals/${seg(id)}/reject`, body),
  reports: (params) => getJSON('/api/reports', params),
  freshness: () => getJSON('/api/freshness'),
  decideReport: (id, how, body) => postJSON(`/api/reports/${seg(id)}/${how === 'dismiss' ? 'dismiss' : 'resolve'}`, body),
  reportProblem: (facilityId, body) => postJSON(`/api/facilities/${seg(facilityId)}/reports`, body),
};
