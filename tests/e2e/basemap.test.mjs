// The optional basemap and the district outlines, in headless Chromium, against a
// server started with `--basemap-pmtiles` (TIREK_BASEMAP_URL; run-with-server.sh
// writes a z0-z2 checkerboard archive with make-pmtiles.mjs and starts one). The
// default server (TIREK_URL, no basemap) is checked in ui.test.mjs: no request to
// /basemap.pmtiles or /vendor/pmtiles/ there.
//
// Env: TIREK_BASEMAP_URL (else skipped), TIREK_E2E_TOKEN (write token of that server,
// to import a few districts; the district test is skipped without it). TIREK_XYZ_URL and
// TIREK_XYZ_TILES_PORT: a server started with
// `--basemap-xyz http://127.0.0.1:PORT/{z}/{x}/{y}.png`; this file serves those tiles.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { SCREENSHOTS, launch, watch, decodePng, waitReady } from './lib.mjs';
import { FIXTURE_COLOURS, checkerPng } from './make-pmtiles.mjs';

const URL_ = (process.env.TIREK_BASEMAP_URL || '').replace(/\/+$/, '');
const TOKEN = process.env.TIREK_E2E_TOKEN || '';
const XYZ_URL = (process.env.TIREK_XYZ_URL || '').replace(/\/+$/, '');
const XYZ_PORT = Number(process.env.TIREK_XYZ_TILES_PORT || 0);
const shot = (name) => join(SCREENSHOTS, name);

async function getJson(path) {
  const res = await fetch(`${URL_}${path}`);
  const body = await res.json();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Share of the canvas in the fixture's two colours (± 3 per channel). */
async function basemapShare(page) {
  const img = decodePng(await page.locator('canvas.maplibregl-canvas').screenshot());
  let hits = 0;
  for (let i = 0; i < img.width * img.height; i++) {
    const px = img.data.subarray(i * 4, i * 4 + 3);
    if (FIXTURE_COLOURS.some((c) => c.every((v, k) => Math.abs(v - px[k]) <= 3))) hits += 1;
  }
  return hits / (img.width * img.height);
}

/** Waits until the map has drawn everything it has asked for. */
async function settled(page) {
  await page.waitForFunction(() => {
    const map = window.__tirek.map;
    return map && map.loaded() && map.areTilesLoaded();
  }, null, { timeout: 20000 });
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

describe('Basemap and district outlines (headless Chromium)', { skip: URL_ ? false : 'TIREK_BASEMAP_URL is not set' }, () => {
  let browser;
  let origin;
  let en;
  let ru;

  before(async () => {
    origin = new URL(URL_).origin;
    en = await getJson('/i18n/en.json');
    ru = await getJson('/i18n/ru.json');
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('the server describes its PMTiles basemap in /api/meta', async () => {
    const meta = await getJson('/api/meta');
    assert.deepEqual(meta.basemap, {
      kind: 'pmtiles', url: '/basemap.pmtiles', tile_type: 'png', min_zoom: 0, max_zoom: 2,
      bounds: [-180, -85.0511287, 180, 85.0511287], attribution: 'Test tiles (e2e)',
    });
    assert.equal(typeof en.legend.basemap, 'string');
    assert.equal(typeof ru.legend.basemap, 'string');
  });

  it('draws the basemap from /basemap.pmtiles (Range requests, same origin); the legend turns it off and on', async () => {
    const page = await browser.context.newPage();
    const log = watch(browser.context, page, origin);
    const ranges = [];
    const statuses = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === '/basemap.pmtiles') ranges.push(req.headers().range || null);
    });
    page.on('response', (res) => {
      if (new URL(res.url()).pathname === '/basemap.pmtiles') statuses.push(res.status());
    });
    await page.goto(`${URL_}/#lang=en`);
    await waitReady(page);
    await page.locator('#legend-show-basemap').waitFor({ timeout: 20000 });
    await settled(page);

    assert.ok(ranges.length >= 1, 'the map read the archive');
    for (const r of ranges) assert.match(r || '', /^bytes=\d+-\d+$/, 'every read is a Range request');
    assert.ok(statuses.length >= 1 && statuses.every((s) => s === 206), `206 answers (${statuses})`);
    assert.ok(log.requests.some((u) => u === `${origin}/vendor/pmtiles/pmtiles.js`), 'the pmtiles reader came from /vendor/pmtiles/');
    assert.deepEqual(log.foreign, [], 'every request went to the server itself');

    const on = await basemapShare(page);
    console.log(`# basemap colours cover ${(on * 100).toFixed(1)}% of the canvas`);
    assert.ok(on > 0.4, `the basemap is drawn (${(on * 100).toFixed(1)}% of the canvas)`);
    assert.equal((await page.locator('#legend-show-basemap + span').textContent()), en.legend.basemap);
    assert.match(await page.locator('.map-attribution').textContent(), /Natural Earth · Test tiles \(e2e\)$/);
    assert.doesNotMatch(await page.locator('#legend').textContent(), /\b(null|undefined)\b/);
    await page.screenshot({ path: shot('10-basemap.png') });

    await page.locator('#legend-show-basemap').uncheck();
    await settled(page);
    const off = await basemapShare(page);
    assert.ok(off < 0.01, `hidden when unticked (${(off * 100).toFixed(2)}% left)`);
    assert.doesNotMatch(await page.locator('.map-attribution').textContent(), /Test tiles/);

    await page.locator('#legend-show-basemap').check();
    await settled(page);
    assert.ok(await basemapShare(page) > 0.4, 'shown again');

    // Russian label of the toggle.
    await page.locator('#lang-select').selectOption('ru');
    await page.waitForFunction(() => document.documentElement.lang === 'ru');
    assert.equal((await page.locator('#legend-show-basemap + span').textContent()), ru.legend.basemap);
    assert.match(await page.locator('.map-attribution').textContent(), /Test tiles \(e2e\)$/);

    assert.deepEqual(log.errors, []);
    assert.deepEqual(log.csp, []);
    await page.close();
  });

  it('district outlines (admin level 2) are fetched when zoomed in, and drawn', async (t) => {
    if (!TOKEN) {
      t.skip('TIREK_E2E_TOKEN is not set: cannot import districts');
      return;
    }
    // Three districts side by side near Shymkent, inside region KZ-YUZ's area.
    const square = (code, name, lon) => ({
      type: 'Feature',
      properties: { code, name, level: 2, parent: 'KZ' },
      geometry: { type: 'Polygon', coordinates: [[[lon, 42.0], [lon + 0.4, 42.0], [lon + 0.4, 42.5], [lon, 42.5], [lon, 42.0]]] },
    });
    const fc = { type: 'FeatureCollection', features: [square('E2E-D1', 'District one', 69.2), square('E2E-D2', 'District two', 69.6), square('E2E-D3', 'District three', 70.0)] };
    const res = await fetch(`${URL_}/api/import/areas?level=2`, {
      method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(fc),
    });
    assert.equal(res.status, 200, await res.text());
    const meta = await getJson('/api/meta');
    assert.equal(meta.areas_per_level[2], 3);

    const page = await browser.context.newPage();
    const log = watch(browser.context, page, origin);
    await page.goto(`${URL_}/#lang=en`);
    await waitReady(page);
    await settled(page);
    const level2 = () => log.requests.filter((u) => /\/api\/areas\?level=2$/.test(u)).length;
    assert.equal(level2(), 0, 'not part of the first load');
    assert.equal(await page.locator('#legend-body [data-i18n="legend.district"]').textContent(), en.legend.district);

    await page.evaluate(() => window.__tirek.map.jumpTo({ center: [69.8, 42.25], zoom: 7.5 }));
    await page.waitForFunction(() => window.__tirek.map.querySourceFeatures('districts').length > 0, null, { timeout: 20000 });
    await settled(page);
    assert.equal(level2(), 1, 'fetched once');
    const drawn = await page.evaluate(() => new Set(window.__tirek.map.queryRenderedFeatures({ layers: ['district-line'] })
      .map((f) => f.properties.code)).size);
    assert.equal(drawn, 3, 'three district outlines drawn');
    await page.screenshot({ path: shot('11-districts.png') });

    // Zooming out hides them (drawn from zoom 5 on) without fetching again.
    await page.evaluate(() => window.__tirek.map.jumpTo({ center: [69.8, 42.25], zoom: 4 }));
    await settled(page);
    const hidden = await page.evaluate(() => window.__tirek.map.queryRenderedFeatures({ layers: ['district-line'] }).length);
    assert.equal(hidden, 0);
    assert.equal(level2(), 1);
    assert.deepEqual(log.foreign, []);
    assert.deepEqual(log.errors, []);
    await page.close();
  });
});

describe('XYZ basemap on another host (headless Chromium)', { skip: XYZ_URL && XYZ_PORT ? false : 'TIREK_XYZ_URL / TIREK_XYZ_TILES_PORT are not set' }, () => {
  let browser;
  let tiles;
  const served = [];
  const tileOrigin = `http://127.0.0.1:${XYZ_PORT}`;

  before(async () => {
    const png = checkerPng();
    tiles = createServer((req, res) => {
      served.push(req.url);
      const ok = /^\/\d+\/\d+\/\d+\.png$/.test(req.url);
      res.writeHead(ok ? 200 : 404, { 'Content-Type': ok ? 'image/png' : 'text/plain', 'Access-Control-Allow-Origin': '*' });
      res.end(ok ? png : 'no such tile');
    });
    await new Promise((resolve, reject) => tiles.once('error', reject).listen(XYZ_PORT, '127.0.0.1', resolve));
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (tiles) await new Promise((resolve) => tiles.close(resolve));
  });

  it('the CSP allows exactly the tile host, and the map draws its tiles', async () => {
    const origin = new URL(XYZ_URL).origin;
    const res = await fetch(`${XYZ_URL}/`);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, new RegExp(`img-src 'self' data: blob: ${tileOrigin};`));
    assert.match(csp, new RegExp(`connect-src 'self' ${tileOrigin};`));
    assert.match(csp, /script-src 'self';/);
    const meta = await (await fetch(`${XYZ_URL}/api/meta`)).json();
    assert.deepEqual(meta.basemap, { kind: 'xyz', url: `${tileOrigin}/{z}/{x}/{y}.png`, attribution: 'XYZ test tiles (e2e)' });

    const page = await browser.context.newPage();
    const log = watch(browser.context, page, origin);
    await page.goto(`${XYZ_URL}/#lang=en`);
    await waitReady(page);
    await page.locator('#legend-show-basemap').waitFor({ timeout: 20000 });
    await settled(page);
    assert.ok(served.length > 0, 'tiles were requested from the tile host');
    assert.ok(log.foreign.length > 0 && log.foreign.every((u) => u.startsWith(`${tileOrigin}/`)), `other origins: only the tile host (${log.foreign.slice(0, 3)})`);
    assert.ok(log.requests.every((u) => !/\/vendor\/pmtiles\/|\/basemap\.pmtiles/.test(u)), 'no PMTiles code for an XYZ basemap');
    const share = await basemapShare(page);
    assert.ok(share > 0.4, `the tiles are drawn (${(share * 100).toFixed(1)}%)`);
    assert.match(await page.locator('.map-attribution').textContent(), /XYZ test tiles \(e2e\)$/);
    await page.screenshot({ path: shot('12-basemap-xyz.png') });
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await page.close();
  });
});
