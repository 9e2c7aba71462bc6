// Client for the Tirek JSON API (same origin). Errors from the server are JSON
// `{"error":{"code","message"}}` and are raised as ApiError.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export async function getJSON(path, params = {}, { signal } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    url.searchParams.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  let response;
  try {
    response = await fetch(url, { signal, headers: { Accept: 'application/json' } });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', err.message);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const e = body && body.error;
    throw new ApiError(response.status, e?.code || 'http_error', e?.message || `HTTP ${response.status}`);
  }
  return body;
}

/** POSTs a JSON body and returns the JSON answer (same error handling as getJSON). */
export async function postJSON(path, payload, { signal } = {}) {
  let response;
  try {
    response = await fetch(new URL(path, window.location.origin), {
      method: 'POST',
      signal,
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify(payload),
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', err.message);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const e = body && body.error;
    throw new ApiError(response.status, e?.code || 'http_error', e?.message || `HTTP ${response.status}`);
  }
  return body;
}

/** True when the error means the server has no such endpoint (not built yet). */
export function isMissing(err) {
  return err instanceof ApiError && err.status === 404;
}

export const api = {
  meta: (opts) => getJSON('/api/meta', {}, opts),
  areas: (level, opts) => getJSON('/api/areas', { level }, opts),
  settlements: (params, opts) => getJSON('/api/settlements', params, opts),
  facilities: (params, opts) => getJSON('/api/facilities', params, opts),
  nearest: (params, opts) => getJSON('/api/nearest', params, opts),
  coverage: (params, opts) => getJSON('/api/coverage', params, opts),
  gapsGrid: (params, opts) => getJSON('/api/gaps/grid', params, opts),
  planSites: (body, opts) => postJSON('/api/plan/sites', body, opts),
};
