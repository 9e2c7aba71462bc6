// The optional basemap an operator configured (`basemap` in GET /api/meta; null by
// default). With none configured nothing here runs and nothing is fetched.
// - kind "xyz": a raster source on the operator's tile host (the server's CSP then
//   allows exactly that origin).
// - kind "pmtiles": a raster PMTiles archive served by Tirek at /basemap.pmtiles. The
//   pmtiles reader (npm package `pmtiles`, served from web/node_modules at
//   /vendor/pmtiles/) is loaded only then, as a classic script (its ES module build
//   imports `fflate` by a bare name, which a browser cannot resolve without an import
//   map, and an inline import map is what the CSP forbids). It reads tiles with HTTP
//   Range requests through MapLibre's addProtocol.
// Vector PMTiles are refused by the server at start-up (they need a style and glyphs).

const PMTILES_SCRIPT = '/vendor/pmtiles/pmtiles.js';
let protocol = null;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const el = document.createElement('script');
    el.src = src;
    el.async = true;
    el.onload = () => resolve();
    el.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(el);
  });
}

/** Registers the `pmtiles://` protocol with MapLibre (once). */
function pmtilesProtocol(maplibregl) {
  if (!protocol) {
    protocol = loadScript(PMTILES_SCRIPT).then(() => {
      const p = new window.pmtiles.Protocol();
      maplibregl.addProtocol('pmtiles', p.tile);
    });
    protocol.catch(() => { protocol = null; });
  }
  return protocol;
}

/** True when `basemap` (from /api/meta) is a kind this page can draw. */
export function isDrawable(basemap) {
  if (!basemap || typeof basemap.url !== 'string') return false;
  if (basemap.kind === 'xyz') return /^https?:\/\//.test(basemap.url);
  if (basemap.kind === 'pmtiles') return basemap.url.startsWith('/') && basemap.tile_type !== 'mvt';
  return false;
}

/** The MapLibre raster source for a configured basemap, or null when there is none. */
export async function basemapSource(maplibregl, basemap) {
  if (!isDrawable(basemap)) return null;
  if (basemap.kind === 'xyz') {
    return { type: 'raster', tiles: [basemap.url], tileSize: 256, maxzoom: 19 };
  }
  await pmtilesProtocol(maplibregl);
  const url = new URL(basemap.url, window.location.origin).href;
  const source = { type: 'raster', tiles: [`pmtiles://${url}/{z}/{x}/{y}`], tileSize: 256 };
  if (Number.isInteger(basemap.min_zoom)) source.minzoom = basemap.min_zoom;
  if (Number.isInteger(basemap.max_zoom)) source.maxzoom = basemap.max_zoom;
  const b = basemap.bounds;
  if (Array.isArray(b) && b.length === 4 && b.every(Number.isFinite) && b[0] < b[2] && b[1] < b[3]) {
    source.bounds = b;
  }
  return source;
}
