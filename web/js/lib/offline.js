// The offline caseworker, page side. After the first paint (afterFirstPaint) the page
// saves, in Cache Storage, copies of the answers it already has — /api/meta, the country
// and region outlines, the settlements and the public facility list, all fetched without
// credentials (api.js `keep`), so never a confidential record even for a signed-in
// caseworker — and the chosen language's strings, then registers the service worker
// (/sw.js), which saves the app shell and answers from these copies when the network is
// gone. Nothing is downloaded twice: the copies are of responses the page had anyway.
//
// Offline, nearest() answers GET /api/nearest in the browser from the saved public list
// (lib/nearest-local.js, exact WGS84 geodesic by GeographicLib, loaded only then) and
// tells the date of that data. The place searched is never saved.

import { nearestLocal } from './nearest-local.js';

/** Cache Storage name of the data copies (sw.js reads it; keep the two in step). */
export const DATA_CACHE = 'tirek-data-v1';
const GEODESIC_URL = '/vendor/geographiclib-geodesic/geographiclib-geodesic.min.js';

const supported = typeof window !== 'undefined' && 'caches' in window && window.isSecureContext;
const waiting = new Map(); // url -> Response copy, until the first paint
let painted = false;

async function store(url, response) {
  try {
    const cache = await caches.open(DATA_CACHE);
    await cache.put(url, response);
  } catch { /* storage full or refused: the app works online regardless */ }
}

/** Saves a copy of `response` (not yet read) for offline use; after the first paint. */
export function keep(url, response) {
  if (!supported) return;
  const copy = response.clone();
  if (painted) store(url, copy);
  else waiting.set(url, copy);
}

/** Saves a language's strings (already in the HTTP cache) for offline use. */
export async function keepLanguage(code) {
  if (!supported || !painted) return;
  try {
    const cache = await caches.open(DATA_CACHE);
    await cache.add(new Request(new URL(`/i18n/${code}.json`, window.location.origin).href, { cache: 'force-cache' }));
  } catch { /* offline or refused */ }
}

/**
 * Saves the vendor files the page loaded whose URLs only it knows (MapLibre's worker,
 * `…/maplibre-gl-worker.mjs?v=<version>`), from the HTTP cache as they are.
 */
async function keepLoaded() {
  try {
    const urls = performance.getEntriesByType('resource').map((e) => e.name)
      .filter((u) => u.startsWith(`${window.location.origin}/vendor/maplibre-gl/`) && u.includes('worker'));
    const cache = await caches.open(DATA_CACHE);
    await Promise.all([...new Set(urls)].map((u) => cache.add(new Request(u, { cache: 'force-cache' }))));
  } catch { /* offline or refused */ }
}

/**
 * After the first paint: saves what the page kept and registers the service worker;
 * resolves when the offline copy is complete (the worker active), or false.
 */
export async function afterFirstPaint({ lang }) {
  painted = true;
  if (!supported) return false;
  await Promise.all([...waiting].map(([url, response]) => store(url, response)));
  waiting.clear();
  await keepLanguage(lang);
  await keepLoaded();
  if (!('serviceWorker' in navigator)) return false;
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    await navigator.serviceWorker.ready;
    return true;
  } catch {
    return false;
  }
}

let geodesicP = null;
/** GeographicLib's geodesic namespace; its classic script is loaded on first use. */
export function geodesic() {
  if (!geodesicP) {
    geodesicP = new Promise((resolve, reject) => {
      if (window.geodesic) {
        resolve(window.geodesic);
        return;
      }
      const script = document.createElement('script');
      script.src = GEODESIC_URL;
      script.onload = () => (window.geodesic ? resolve(window.geodesic) : reject(new Error('geodesic library missing')));
      script.onerror = () => reject(new Error('geodesic library not available offline'));
      document.head.append(script);
    });
    geodesicP.catch(() => { geodesicP = null; });
  }
  return geodesicP;
}

let saved = null; // { at: Date|null, features }
/** The saved public facility list and when the server sent it, or null. */
export async function savedFacilities() {
  if (!supported) return null;
  const response = await caches.match(new URL('/api/facilities', window.location.origin).href, { cacheName: DATA_CACHE, ignoreVary: true });
  if (!response) return null;
  const header = response.headers.get('date');
  const at = header ? new Date(header) : null;
  if (!saved || saved.stamp !== header) {
    const body = await response.json();
    saved = { stamp: header, at: at && !Number.isNaN(at.getTime()) ? at : null, features: body?.features || [] };
  }
  return saved;
}

/** The saved settlements (what the map draws), for the offline place search; or []. */
export async function savedSettlements() {
  if (!supported) return [];
  const response = await caches.match(new URL('/api/settlements?limit=1000', window.location.origin).href, { cacheName: DATA_CACHE, ignoreVary: true });
  if (!response) return [];
  return (await response.json())?.features || [];
}

/**
 * Offline answers to the /api/nearest requests `paramsList`, from the saved public list:
 * { answers, at } (`at`: when the server sent the data). Throws when nothing is saved.
 */
export async function nearest(paramsList) {
  const data = await savedFacilities();
  if (!data) throw new Error('no data saved for offline use');
  const geod = await geodesic();
  return { answers: paramsList.map((p) => nearestLocal(data.features, p, geod)), at: data.at };
}
