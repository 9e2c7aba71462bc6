// Tirek service worker: the offline caseworker. Registered by js/lib/offline.js after
// the first paint. It saves the app shell (SHELL_FILES: the page, styles, modules —
// not basemap.js, which only an operator's basemap loads, and a basemap needs the
// network anyway, nor the modules of the coordination figures (LAZY in
// offline_nearest.test.mjs), fetched when a view that needs the network opens — English strings, MapLibre, GeographicLib) when installed — the browser's HTTP cache
// already holds what the page loaded, so this costs little; MapLibre's worker script,
// whose URL carries MapLibre's version, is saved by the page (offline.js) — and then:
// - pages, scripts, styles, strings: network first (the copy is refreshed with every
//   answer), the saved copy when the network is gone;
// - /api/meta, /api/areas, /api/settlements, /api/facilities: always the network; when
//   it is gone, the copies the page saved in DATA_CACHE (the *public* facility list).
//   Nothing from /api/* is ever written here, so no answer meant for a signed-in user is
//   saved. Other /api/* requests are not touched: offline /api/nearest fails and the
//   page answers it itself (lib/nearest-local.js).
// Other origins and non-GET requests are never touched.

const VERSION = 'v1';
const SHELL_CACHE = `tirek-shell-${VERSION}`;
const DATA_CACHE = 'tirek-data-v1'; // written by js/lib/offline.js
const SHELL_FILES = [
  '/',
  '/app.css',
  '/favicon.svg',
  '/manifest.webmanifest',
  '/i18n/languages.json',
  '/i18n/en.json',
  '/js/boot-view.js',
  '/js/main.js',
  '/js/lib/api.js',
  '/js/lib/areas.js',
  '/js/lib/charts.js',
  '/js/lib/config.js',
  '/js/lib/coverage-model.js',
  '/js/lib/dom.js',
  '/js/lib/download.js',
  '/js/lib/format.js',
  '/js/lib/i18n.js',
  '/js/lib/map.js',
  '/js/lib/nearest-local.js',
  '/js/lib/offline.js',
  '/js/lib/opening-hours.js',
  '/js/lib/place-labels.js',
  '/js/lib/quick-exit.js',
  '/js/lib/referral-log.js',
  '/js/lib/search.js',
  '/js/lib/spread.js',
  '/js/lib/url-state.js',
  '/js/views/account.js',
  '/js/views/caseworker.js',
  '/js/views/donor.js',
  '/js/views/manage.js',
  '/js/views/planner.js',
  '/js/views/record.js',
  '/js/views/referral.js',
  '/vendor/maplibre-gl/maplibre-gl.mjs',
  '/vendor/maplibre-gl/maplibre-gl.css',
  '/vendor/geographiclib-geodesic/geographiclib-geodesic.min.js',
];

// `force-cache`: what the page has just loaded comes from the HTTP cache as it is (no
// download, no revalidation); the next visit's network-first answers refresh it.
/** The /api/* paths of which the page saves copies (js/lib/offline.js, api.js `keep`). */
const SAVED_API = ['/api/meta', '/api/areas', '/api/settlements', '/api/facilities'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE)
    .then((cache) => cache.addAll(SHELL_FILES.map((url) => new Request(url, { cache: 'force-cache' }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith('tirek-') && n !== SHELL_CACHE && n !== DATA_CACHE)
      .map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

/** A saved copy: vendor files whatever their `?v=` query; pages as "/". */
async function saved(request, url) {
  if (request.mode === 'navigate') return caches.match('/', { cacheName: SHELL_CACHE, ignoreVary: true });
  const found = await caches.match(request, { ignoreVary: true });
  if (found) return found;
  if (url.pathname.startsWith('/vendor/')) return caches.match(url.pathname, { cacheName: SHELL_CACHE, ignoreSearch: true, ignoreVary: true });
  return undefined;
}

async function networkFirst(request, url) {
  try {
    const response = await fetch(request);
    // Keep the shell current: the page ("/" only) and same-origin static files.
    if (response.ok && response.status === 200 && response.type === 'basic'
      && (request.mode !== 'navigate' || url.pathname === '/')) {
      const copy = response.clone();
      caches.open(SHELL_CACHE).then((cache) => cache.put(request.mode === 'navigate' ? '/' : request, copy)).catch(() => {});
    }
    return response;
  } catch (err) {
    const copy = await saved(request, url);
    if (copy) return copy;
    throw err;
  }
}

async function apiOrSaved(request) {
  try {
    return await fetch(request);
  } catch (err) {
    const copy = await caches.match(request.url, { cacheName: DATA_CACHE, ignoreVary: true });
    if (copy) return copy;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The basemap (Range requests), the worker itself, and /healthz, which the page asks to
  // learn whether the server is back, always go to the network.
  if (['/basemap.pmtiles', '/sw.js', '/healthz'].includes(url.pathname)) return;
  if (url.pathname.startsWith('/api/')) {
    // Only what the page saves has a copy; everything else (/api/nearest, /api/me, the
    // planner's analyses) is left to the browser as if there were no worker.
    if (SAVED_API.includes(url.pathname)) event.respondWith(apiOrSaved(request));
    return;
  }
  event.respondWith(networkFirst(request, url));
});
