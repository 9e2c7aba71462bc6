// Unit tests of the offline caseworker: web/js/lib/nearest-local.js (the offline
// /api/nearest: the opening-hours 24/7 rule of src/model/hours.rs, id order, and,
// against a running server (TIREK_URL), the same answers as GET /api/nearest for the
// public facility list, fetched without credentials as the page saves it, at many
// points with every filter) and web/sw.js's shell list (the modules under web/js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HERE, BASE_URL, apiGet } from './lib.mjs';
import { nearestLocal, isOpen247, compareIds, SECTORS, ONLY_WHEN_ASKED } from '../../web/js/lib/nearest-local.js';

const require = createRequire(import.meta.url);
const geodesic = require(join(HERE, '..', '..', 'web', 'node_modules', 'geographiclib-geodesic'));

test('24/7 as the server reads opening hours', () => {
  for (const yes of ['24/7', ' 24/7 ', 'Mo-Su 00:00-24:00', 'Mo-Fr 00:00-24:00; Sa,Su 00:00-24:00',
    'Mo-Su 00:00-12:00,12:00-24:00', 'Mo-Su 18:00-06:00,06:00-18:00', 'Mo-Su 24/7', 'Sa-Fr 00:00-24:00; PH off']) {
    assert.equal(isOpen247(yes), true, yes);
  }
  for (const no of ['Mo-Fr 00:00-24:00', 'Mo-Su 00:00-23:59', 'Mo-Su 08:00-20:00', '', null, 'sunrise-sunset',
    'Mo-Su 00:00-24:00; Su off', 'Mo-Su 10:00-10:00', 'Xx 00:00-24:00', 'Mo-Su 00:00-12:00; Mo-Su 12:00-24:00']) {
    assert.equal(isOpen247(no), false, String(no));
  }
});

test('ids compare by code point, like the server\'s UTF-8 bytes', () => {
  const ids = ['b', 'a', 'ab', 'A', '\uFFFD', '\u{1F600}', 'é', 'a-1', 'a1'];
  const bytes = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  assert.deepEqual([...ids].sort(compareIds), bytes);
});

test('programmes for perpetrators only when the query names the sector, as on the server', () => {
  const at = (id, sectors, lon) => ({
    type: 'Feature', id, geometry: { type: 'Point', coordinates: [lon, 42.3] },
    properties: { id, sectors, status: 'active', confidential: false },
  });
  // The programme is the nearest facility of all; the default answer still leaves it out.
  const features = [at('prog', ['perpetrator_programme'], 69.6), at('clinic', ['health'], 69.7), at('both', ['health', 'perpetrator_programme'], 69.8)];
  const ids = (params) => nearestLocal(features, { lon: 69.6, lat: 42.3, k: 3, ...params }, geodesic).results.map((r) => [r.sector, r.facility.properties.id]);
  assert.deepEqual(ids({}), [['health', 'clinic'], ['health', 'both']]);
  assert.ok(!nearestLocal(features, { lon: 69.6, lat: 42.3 }, geodesic).query.sectors.includes('perpetrator_programme'));
  assert.deepEqual(ids({ sector: 'perpetrator_programme' }), [['perpetrator_programme', 'prog'], ['perpetrator_programme', 'both']]);
  assert.deepEqual(ids({ sector: 'health,perpetrator_programme', k: 1 }), [['health', 'clinic'], ['perpetrator_programme', 'prog']]);
  assert.deepEqual(ONLY_WHEN_ASKED, ['perpetrator_programme']);
});

test('geodesic distances are WGS84 (GeographicLib)', () => {
  // The values src/spatial/geodesy.rs checks the server's distances with.
  const d = (lon1, lat1, lon2, lat2) => geodesic.Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2, geodesic.Geodesic.DISTANCE).s12;
  assert.equal(Math.round(d(-74.006, 40.7128, -0.1278, 51.5074)), 5585234);
  assert.ok(Math.abs(d(0, 0, 0, 1) - 110574.389) < 0.01);
  assert.ok(Math.abs(d(0, 0, 1, 0) - 111319.491) < 0.01);
});

test('the same answers as GET /api/nearest for the public list', { skip: BASE_URL ? false : 'TIREK_URL is not set' }, async () => {
  const fc = await apiGet('/api/facilities');
  const settlements = await apiGet('/api/settlements', { limit: 40 });
  let seed = 7;
  const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const points = settlements.features.map((f) => f.geometry.coordinates);
  for (let i = 0; i < 25; i++) points.push([46.4 + random() * 41, 35.1 + random() * 20.4]);
  // Exactly on a facility, and two far away.
  points.push(fc.features.find((f) => f.geometry).geometry.coordinates, [-120, -40], [179.9, 0]);
  const queries = [
    { k: 3 }, {}, { k: 5, sector: 'health', services: 'cmr_pep' }, { k: 3, open_24_7: 'true' },
    { k: 3, female_staff: 'true', language: 'uz' }, { k: 5, language: 'ru,kk', child_friendly: 'true' },
    { k: 3, free_of_charge: 'true', no_police_report_required: 'true', wheelchair_access: 'true' },
    { k: 3, status: 'active,temporarily_closed,closed' }, { k: 50, radius_km: 150 },
    { k: 2, sector: 'shelter,hotline', services: 'hotline' },
    { k: 3, sector: 'perpetrator_programme' }, { k: 1, sector: 'health,perpetrator_programme', language: 'ru' },
  ];
  let compared = 0;
  for (const [lon, lat] of points) {
    for (const q of queries) {
      const params = { lon: Math.round(lon * 1e5) / 1e5, lat: Math.round(lat * 1e5) / 1e5, ...q };
      const server = await apiGet('/api/nearest', params);
      const local = nearestLocal(fc.features, params, geodesic);
      const want = server.results.filter((r) => typeof r.distance_m === 'number');
      const what = JSON.stringify(params);
      assert.deepEqual(local.results.map((r) => [r.sector, r.facility.properties.id]), want.map((r) => [r.sector, r.facility.properties.id]), what);
      local.results.forEach((r, i) => assert.ok(Math.abs(r.distance_m - want[i].distance_m) <= 0.0011, `${what}: ${r.distance_m} vs ${want[i].distance_m}`));
      compared += want.length;
    }
  }
  assert.ok(compared > 1000, `${compared} results compared`);
  assert.deepEqual(SECTORS, (await apiGet('/api/meta')).sectors);
});

// Modules fetched only when a view that needs the network opens (signed-in staff's
// coordination view, Manage's referrals received, the donor's country comparison, the
// planner's travel-time layer).
const LAZY = [
  '/js/lib/country-compare.js', '/js/views/coordination.js', '/js/views/incoming-referrals.js',
  '/js/lib/travel-layer.js',
];

test('the service worker saves every module under web/js but basemap.js, the manifest and GeographicLib', () => {
  const web = join(HERE, '..', '..', 'web');
  const sw = readFileSync(join(web, 'sw.js'), 'utf8');
  const start = sw.indexOf('const SHELL_FILES');
  const listed = [...sw.slice(start, sw.indexOf('];', start)).matchAll(/'([^']+)'/g)].map((m) => m[1]);
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  const modules = walk(join(web, 'js')).filter((f) => f.endsWith('.js')).map((f) => `/${relative(web, f)}`);
  // basemap.js is loaded only for an operator's basemap (which needs the network anyway);
  // without one nothing may fetch it (ui.test.mjs).
  assert.deepEqual(modules.filter((m) => !listed.includes(m)).sort(), ['/js/lib/basemap.js', ...LAZY].sort(), 'modules missing from SHELL_FILES');
  // None of them is imported statically by a module of the shell.
  for (const m of listed.filter((u) => u.startsWith('/js/'))) {
    const src = readFileSync(join(web, m), 'utf8');
    for (const lazy of LAZY) {
      const name = lazy.split('/').pop();
      assert.doesNotMatch(src, new RegExp(`^import [^;]*'[./]*[^']*${name.replace('.', '\\.')}'`, 'm'), `${m} imports ${name} statically`);
    }
  }
  for (const u of ['/', '/manifest.webmanifest', '/i18n/en.json', '/vendor/geographiclib-geodesic/geographiclib-geodesic.min.js']) {
    assert.ok(listed.includes(u), u);
  }
  assert.match(sw, /const DATA_CACHE = 'tirek-data-v1'/);
  assert.match(readFileSync(join(web, 'js', 'lib', 'offline.js'), 'utf8'), /export const DATA_CACHE = 'tirek-data-v1'/);
});
