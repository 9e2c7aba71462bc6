// The shareable state lives in the URL hash, e.g.
//   #view=caseworker&lon=68.25&lat=43.3&lang=ru&f=cmr_pep,24_7&sl=uz&k=3&place=Turkistan
// view: caseworker|planner|donor; lon/lat: the selected place; lang: interface language;
// f: survivor-need filters; sl: language the service must speak; k: results per sector;
// place: label of the selected place (a settlement name).
// Only a link to share ("Copy link", shareLink) carries the place and the survivor's
// needs (lon, lat, place, f, sl, k: PRIVATE_KEYS); the address bar, and so the
// browser's history, never does (writeHash). A shared link still opens at the place.
// Planner: #view=planner&sector=health&th=health:25,police:10&grid=5&sort=share&rev=1
// sector: "package" (default) or one sector; th: thresholds in km per sector (only those
// changed); grid: H3 resolution of the gap grid when shown; sort: uncovered|share; rev=1
// reverses the order; by: a travel scenario (e.g. walking) to measure reach by travel
// time instead of distance; tm: thresholds in minutes per sector (with by).

import { FILTER_CODES, VIEWS, K_CHOICES, DEFAULT_K, SERVICE_LANGUAGES, DEFAULT_SECTORS } from './config.js';
import { GRID_RESOLUTIONS, SORT_KEYS } from './coverage-model.js';

export function parseHash(hash) {
  const q = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  const state = {
    view: VIEWS.includes(q.get('view')) ? q.get('view') : 'caseworker',
    lang: /^[a-z]{2,3}$/.test(q.get('lang') || '') ? q.get('lang') : null,
    lon: null,
    lat: null,
    place: null,
    filters: [],
    svcLang: '',
    k: DEFAULT_K,
    subject: 'package',
    thresholds: {},
    by: '',
    minutes: {},
    grid: null,
    sort: 'uncovered',
    rev: false,
  };
  const lon = Number.parseFloat(q.get('lon'));
  const lat = Number.parseFloat(q.get('lat'));
  if (Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lon) <= 180 && Math.abs(lat) <= 90) {
    state.lon = lon;
    state.lat = lat;
    const place = (q.get('place') || '').trim();
    state.place = place ? place.slice(0, 100) : null;
  }
  state.filters = (q.get('f') || '').split(',').filter((c, i, all) => FILTER_CODES.includes(c) && all.indexOf(c) === i);
  if (SERVICE_LANGUAGES.includes(q.get('sl'))) state.svcLang = q.get('sl');
  const k = Number.parseInt(q.get('k'), 10);
  if (K_CHOICES.includes(k)) state.k = k;
  if (DEFAULT_SECTORS.includes(q.get('sector'))) state.subject = q.get('sector');
  for (const pair of (q.get('th') || '').split(',')) {
    const [sector, km] = pair.split(':');
    const v = Number.parseFloat(km);
    if (DEFAULT_SECTORS.includes(sector) && Number.isFinite(v) && v >= 0 && v <= 20000) state.thresholds[sector] = v;
  }
  if (/^[a-z0-9_-]{1,32}$/.test(q.get('by') || '')) state.by = q.get('by');
  for (const pair of (q.get('tm') || '').split(',')) {
    const [sector, min] = pair.split(':');
    const v = Number.parseFloat(min);
    if (DEFAULT_SECTORS.includes(sector) && Number.isFinite(v) && v > 0 && v <= 100000) state.minutes[sector] = v;
  }
  const grid = Number.parseInt(q.get('grid'), 10);
  if (GRID_RESOLUTIONS.includes(grid)) state.grid = grid;
  if (SORT_KEYS.includes(q.get('sort'))) state.sort = q.get('sort');
  state.rev = q.get('rev') === '1';
  return state;
}

/** Rounds a coordinate for the URL and the API (5 decimals, about 1 m). */
export function roundCoord(x) {
  return Math.round(x * 1e5) / 1e5;
}

/** What describes a survivor's situation: the place searched and the needs. */
export const PRIVATE_KEYS = ['lon', 'lat', 'place', 'f', 'sl', 'k'];

/** The hash for `state`; without `share`, the PRIVATE_KEYS are left out. */
export function formatHash(state, { share = false } = {}) {
  const q = new URLSearchParams();
  q.set('view', state.view || 'caseworker');
  if (state.lon !== null && state.lat !== null) {
    q.set('lon', String(roundCoord(state.lon)));
    q.set('lat', String(roundCoord(state.lat)));
    if (state.place) q.set('place', state.place);
  }
  if (state.lang) q.set('lang', state.lang);
  const filters = FILTER_CODES.filter((c) => state.filters.includes(c));
  if (filters.length) q.set('f', filters.join(','));
  if (state.svcLang) q.set('sl', state.svcLang);
  if (state.k !== DEFAULT_K) q.set('k', String(state.k));
  if (state.subject && state.subject !== 'package') q.set('sector', state.subject);
  const th = DEFAULT_SECTORS.filter((s) => Number.isFinite(state.thresholds?.[s])).map((s) => `${s}:${state.thresholds[s]}`);
  if (th.length) q.set('th', th.join(','));
  if (state.by) q.set('by', state.by);
  const tm = DEFAULT_SECTORS.filter((s) => Number.isFinite(state.minutes?.[s])).map((s) => `${s}:${state.minutes[s]}`);
  if (tm.length) q.set('tm', tm.join(','));
  if (state.grid) q.set('grid', String(state.grid));
  if (state.sort && state.sort !== 'uncovered') q.set('sort', state.sort);
  if (state.rev) q.set('rev', '1');
  if (!share) PRIVATE_KEYS.forEach((key) => q.delete(key));
  // URLSearchParams encodes ',' as %2C; keep the hash readable.
  return `#${q.toString().replace(/%2C/gi, ',').replace(/%3A/gi, ':')}`;
}

/** A link that opens this view at this place with these needs (for "Copy link"). */
export function shareLink(state, base = window.location) {
  return `${base.origin}${base.pathname}${formatHash(state, { share: true })}`;
}

/**
 * Writes the state, without the place and the needs, into the hash, without adding a
 * history entry or firing hashchange.
 */
export function writeHash(state) {
  const hash = formatHash(state);
  if (hash !== window.location.hash) {
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${hash}`);
  }
  return hash;
}
