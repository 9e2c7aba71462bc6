// End-to-end tests of the Tirek web UI in headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core). The server under test is TIREK_URL (e.g.
// http://127.0.0.1:8080): a real Tirek server (run-with-server.sh starts one).
//
// Env: TIREK_URL (required, else these tests are skipped), TIREK_E2E_POINT="lon,lat"
// (the known point to click; default 68.25,43.30, Turkistan), TIREK_E2E_XSS=1 (require
// a facility named `<img src=x onerror=alert(1)>` and check that it renders as text).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FILTERS } from '../../web/js/lib/config.js';
import {
  BASE_URL, SCREENSHOTS, launch, watch, apiGet, decodePng, colourStats, waitReady, waitResults,
  listedResults, groupNearest, caseworkerSectors, hashParams, shareLink, shareParams,
} from './lib.mjs';

const [POINT_LON, POINT_LAT] = (process.env.TIREK_E2E_POINT || '68.25,43.30').split(',').map(Number);
const STRICT_XSS = process.env.TIREK_E2E_XSS === '1';
const shot = (name) => join(SCREENSHOTS, name);

describe('Tirek web UI (headless Chromium)', { skip: BASE_URL ? false : 'TIREK_URL is not set' }, () => {
  let browser;
  let page;
  let origin;
  let meta;
  let en;
  let ru;
  const logs = [];
  const metrics = {};

  async function openPage(path = '/', options = {}) {
    const p = await browser.context.newPage();
    if (options.viewport) await p.setViewportSize(options.viewport);
    logs.push(watch(browser.context, p, origin));
    await p.goto(`${BASE_URL}${path}`);
    await waitReady(p);
    return p;
  }

  /** Centres the map on lon/lat at `zoom`, clicks that pixel with the mouse, waits for results. */
  async function clickPoint(p, lon, lat, zoom = 7) {
    await p.evaluate(([x, y, z]) => new Promise((resolve) => {
      const map = window.__tirek.map;
      map.once('idle', resolve);
      map.jumpTo({ center: [x, y], zoom: z });
    }), [lon, lat, zoom]);
    const pixel = await p.evaluate(([x, y]) => {
      const map = window.__tirek.map;
      const pt = map.project([x, y]);
      const r = map.getCanvas().getBoundingClientRect();
      return { x: r.left + pt.x, y: r.top + pt.y };
    }, [lon, lat]);
    const before = await shareLink(p);
    await p.mouse.click(pixel.x, pixel.y);
    await p.waitForFunction((u) => window.__tirek.shareLink() !== u, before);
    await waitResults(p);
  }

  /** What /api/nearest answers for the place, k and needs of the page's shared link. */
  async function expectedFor(p, extra = {}) {
    const q = await shareParams(p);
    const params = { lon: q.get('lon'), lat: q.get('lat'), k: q.get('k') || 3 };
    if (q.get('sl')) params.language = q.get('sl');
    for (const code of (q.get('f') || '').split(',')) {
      const filter = FILTERS.find((f) => f.code === code);
      if (filter && filter.params) Object.assign(params, filter.params);
    }
    return apiGet('/api/nearest', { ...params, ...extra });
  }

  before(async () => {
    origin = new URL(BASE_URL).origin;
    meta = await apiGet('/api/meta');
    en = await apiGet('/i18n/en.json');
    ru = await apiGet('/i18n/ru.json');
    browser = await launch();
    logs.push(watch(browser.context, null, origin)); // every request of the context, workers included
    page = await browser.context.newPage();
    logs.push(watch(browser.context, page, origin));

    // Bytes on the wire for everything the first load fetches (CDP: encoded sizes).
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.enable');
    const urls = new Map();
    const sizes = new Map();
    cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
    cdp.on('Network.loadingFinished', (e) => sizes.set(e.requestId, e.encodedDataLength));
    await page.goto(`${BASE_URL}/`);
    await waitReady(page);
    await page.waitForLoadState('networkidle');
    let total = 0;
    let maplibre = 0;
    for (const [id, bytes] of sizes) {
      if ((urls.get(id) || '').includes('/vendor/maplibre-gl/')) maplibre += bytes;
      else total += bytes;
    }
    const marks = await page.evaluate(() => Object.fromEntries(['tirek:boot', 'tirek:map-load', 'tirek:first-data']
      .map((n) => [n, performance.getEntriesByName(n)[0]?.startTime ?? null])));
    metrics.timeToInteractiveMs = Math.round(Math.max(marks['tirek:map-load'], marks['tirek:first-data']));
    metrics.mapLoadMs = Math.round(marks['tirek:map-load']);
    metrics.firstDataMs = Math.round(marks['tirek:first-data']);
    metrics.bytesExcludingMaplibre = total;
    metrics.bytesMaplibre = maplibre;
    metrics.requests = sizes.size;
    await cdp.detach();
    console.log(`# metrics ${JSON.stringify(metrics)}`);
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('first load is small and fast enough', () => {
    console.log(`# time to interactive (navigation start -> map load + first data drawn): ${metrics.timeToInteractiveMs} ms`);
    console.log(`# bytes transferred excluding MapLibre: ${metrics.bytesExcludingMaplibre} (MapLibre: ${metrics.bytesMaplibre}, requests: ${metrics.requests})`);
    assert.ok(metrics.timeToInteractiveMs > 0, 'performance marks present');
    assert.ok(metrics.bytesExcludingMaplibre < 2 * 1024 * 1024, 'first load under 2 MB excluding MapLibre');
  });

  it('serves the default data built into the binary (run-with-server.sh starts a copy in an empty folder)', async () => {
    // The figures of geodata/ (README): 5 countries, 48 regions, 892 settlements, 500 demo facilities.
    assert.deepEqual(meta.areas_per_level.slice(0, 2), [5, 48]);
    assert.equal(meta.settlements, 892);
    assert.ok(meta.demo_facilities >= 500, `demo facilities: ${meta.demo_facilities}`);
  });

  it('renders a map canvas that is not blank, with the attribution and a scale bar', async () => {
    const canvas = page.locator('canvas.maplibregl-canvas');
    await canvas.waitFor();
    const png = await canvas.screenshot();
    const stats = colourStats(decodePng(png));
    console.log(`# canvas colours: ${stats.distinct} distinct, dominant ${(stats.dominantShare * 100).toFixed(1)}%`);
    assert.ok(stats.distinct >= 8, `too few colours (${stats.distinct})`);
    assert.ok(stats.dominantShare < 0.95, `one colour covers ${(stats.dominantShare * 100).toFixed(1)}% of the canvas`);
    assert.match(await page.locator('.map-attribution').textContent(), /GeoNames \(CC BY 4\.0\), Natural Earth/);
    assert.equal(await page.locator('.maplibregl-ctrl-scale').count(), 1);
    await page.screenshot({ path: shot('01-caseworker-initial.png') });
  });

  it('shows the demo banner exactly when the server has demo facilities', async () => {
    const visible = await page.locator('#demo-banner').isVisible();
    assert.equal(visible, meta.demo_facilities > 0);
    if (visible) assert.equal((await page.locator('#demo-banner').textContent()).trim(), en.banner.demo);
  });

  it('clicking a known point lists, per sector, the services /api/nearest returns', async () => {
    await clickPoint(page, POINT_LON, POINT_LAT);
    const q = await shareParams(page);
    assert.equal(q.get('view'), 'caseworker');
    const expected = await expectedFor(page);
    const sectors = caseworkerSectors(meta);
    const listed = await listedResults(page);
    assert.deepEqual(listed.map((g) => g.sector), sectors, 'one section per sector, in sector order');
    const want = groupNearest(expected.results, sectors);
    assert.deepEqual(listed.map((g) => ({ sector: g.sector, ids: g.ids })), want.map((g) => ({ sector: g.sector, ids: g.ids })));
    // Names as the API gives them (English UI: names.en when present, else name).
    const enName = (r) => r.facility.properties.names?.en || r.facility.properties.name;
    assert.deepEqual(listed.flatMap((g) => g.names), sectors.flatMap((s) => expected.results.filter((r) => r.sector === s).map(enName)));
    assert.ok(expected.results.length > 0, 'the known point has results');
    // Distances in km with one decimal.
    const firstLocated = expected.results.find((r) => typeof r.distance_m === 'number');
    if (firstLocated) {
      const text = await page.locator(`li.result[data-facility-id="${firstLocated.facility.properties.id}"] .distance`).first().textContent();
      assert.equal(text, `${(firstLocated.distance_m / 1000).toFixed(1)} km`);
    }
    // One numbered marker (and line) per located result; confidential ones have none.
    const located = expected.results.filter((r) => r.facility.geometry).length;
    assert.equal(await page.locator('.result-marker').count(), located);
    const hidden = expected.results.filter((r) => !r.facility.geometry);
    // A confidential result carries no id: its card is found by sector and position.
    for (const r of hidden) {
      const card = page.locator(`li.result[data-sector="${r.sector}"][data-facility-id=""]`).first();
      assert.match(await card.textContent(), new RegExp(en.result.confidential));
      assert.equal(r.facility.properties.id, undefined, 'the public answer names no confidential facility');
    }
    console.log(`# known point ${q.get('lon')},${q.get('lat')}: ${expected.results.length} results, ${hidden.length} confidential`);
    await page.screenshot({ path: shot('02-caseworker-results.png') });
  });

  it('the CMR/PEP need narrows health to services=cmr_pep and leaves other sectors as they were', async () => {
    await page.locator('#filter-cmr_pep').check();
    await page.waitForFunction(() => window.__tirek.shareLink().includes('f=cmr_pep'));
    await waitResults(page);
    const all = await expectedFor(page);
    const health = await expectedFor(page, { sector: 'health', services: 'cmr_pep' });
    const listed = await listedResults(page);
    const want = groupNearest(all.results.filter((r) => r.sector !== 'health').concat(health.results), caseworkerSectors(meta));
    assert.deepEqual(listed.map((g) => g.ids), want.map((g) => g.ids));
    for (const r of health.results) assert.ok(r.facility.properties.services.includes('cmr_pep'));
  });

  it('a shared URL reproduces the same view and results', async () => {
    await page.locator('#filter-24_7').check();
    await page.waitForFunction(() => window.__tirek.shareLink().includes('24_7'));
    await waitResults(page);
    const link = await shareLink(page);
    assert.match(new URL(link).hash, /f=cmr_pep,24_7/);
    assert.doesNotMatch(page.url(), /lon=|lat=|f=/, 'the address bar has neither the place nor the needs');
    const mine = await listedResults(page);
    const other = await openPage(new URL(link).pathname + new URL(link).hash);
    await waitResults(other);
    assert.deepEqual(await listedResults(other), mine);
    assert.equal(await other.locator('#filter-cmr_pep').isChecked(), true);
    assert.equal(await other.locator('#filter-24_7').isChecked(), true);
    await other.close();
    await page.locator('#filter-cmr_pep').uncheck();
    await page.locator('#filter-24_7').uncheck();
    await page.waitForFunction(() => !window.__tirek.shareLink().includes('f='));
    await waitResults(page);
  });

  it('a link opened in the same tab (hash change) updates the results; "use the map centre" works', async () => {
    const settlements = await apiGet('/api/settlements', { limit: 2 });
    const [lon, lat] = settlements.features.at(-1).geometry.coordinates;
    await page.evaluate(([x, y]) => { window.location.hash = `view=caseworker&lon=${x}&lat=${y}&f=free`; }, [lon, lat]);
    await page.waitForFunction(() => document.querySelector('#filter-free').checked);
    await waitResults(page);
    let expected = await apiGet('/api/nearest', { lon, lat, k: 3, free_of_charge: 'true' });
    assert.deepEqual((await listedResults(page)).map((g) => g.ids), groupNearest(expected.results, caseworkerSectors(meta)).map((g) => g.ids));
    await page.locator('#filter-free').uncheck();
    await waitResults(page);
    const before = await shareLink(page);
    await page.locator('#cw-use-centre').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction((u) => window.__tirek.shareLink() !== u, before);
    await waitResults(page);
    expected = await expectedFor(page);
    assert.deepEqual((await listedResults(page)).map((g) => g.ids), groupNearest(expected.results, caseworkerSectors(meta)).map((g) => g.ids));
  });

  it('keyboard: search a settlement by name, pick it with the arrow keys and Enter', async () => {
    const settlements = await apiGet('/api/settlements', { limit: 5 });
    assert.ok(settlements.features.length > 0, 'the server has settlements');
    const target = settlements.features[0];
    const name = target.properties.name;
    const input = page.locator('#cw-search-input');
    await input.focus();
    await input.fill('');
    await page.keyboard.type(name.slice(0, Math.max(3, name.length - 1)));
    await page.locator('#cw-search-list [role="option"]').first().waitFor();
    assert.equal(await input.getAttribute('aria-expanded'), 'true');
    const before = await shareLink(page);
    await page.keyboard.press('Enter');
    await page.waitForFunction((u) => window.__tirek.shareLink() !== u, before);
    await waitResults(page);
    const q = await shareParams(page);
    assert.ok(q.get('place'), 'the place label is in the shared link');
    assert.equal(hashParams(page).get('place'), null, 'and not in the address bar');
    const expected = await expectedFor(page);
    const listed = await listedResults(page);
    assert.deepEqual(listed.map((g) => g.ids), groupNearest(expected.results, caseworkerSectors(meta)).map((g) => g.ids));
  });

  it('switching to Russian changes the visible labels and <html lang>', async () => {
    const label = async () => page.locator('#tab-caseworker').textContent();
    assert.equal(await label(), en.nav.caseworker);
    await page.locator('#lang-select').selectOption('ru');
    await page.waitForFunction(() => document.documentElement.lang === 'ru');
    assert.equal(await label(), ru.nav.caseworker);
    assert.equal(await page.locator('#cw-search-form button[type="submit"]').textContent(), ru.cw.searchButton);
    assert.equal(await page.locator('legend').first().textContent(), ru.cw.needs);
    assert.equal(await page.locator('label[for="filter-24_7"]').textContent(), ru.filter['24_7']);
    assert.equal(await page.locator('#sector-health-heading').textContent(), ru.sector.health);
    assert.equal(await page.title(), ru.app.documentTitle);
    assert.match(hashParams(page).get('lang'), /^ru$/);
    // Every element with a data-i18n key shows the Russian string.
    const mismatches = await page.$$eval('[data-i18n]', (els, table) => els.filter((el) => {
      const v = el.dataset.i18n.split('.').reduce((o, k) => (o ? o[k] : undefined), table);
      return typeof v === 'string' && el.textContent !== v;
    }).map((el) => el.dataset.i18n), ru);
    assert.deepEqual(mismatches, []);
    const distances = await page.locator('li.result .distance').allTextContents();
    if (distances.length) assert.match(distances[0], /км$/);
    // Opening hours in Russian too ("пн–сб 08:00–20:00"), not OSM's "Mo-Sa 08:00-20:00".
    const hoursTexts = await page.locator('li.result .hours-text').allTextContents();
    assert.ok(hoursTexts.length > 0, 'some result shows its hours');
    for (const text of hoursTexts) assert.doesNotMatch(text, /\b(Mo|Tu|We|Th|Fr|Sa|Su|off|PH)\b/, text);
    await page.screenshot({ path: shot('09-caseworker-ru.png') });
    await page.locator('#lang-select').selectOption('en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal(await label(), en.nav.caseworker);
  });

  it('the referral can be copied as plain text and printed', async () => {
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await page.locator('#cw-copy').click();
    await page.waitForFunction(() => document.querySelector('#cw-copy-status').textContent !== '');
    const status = await page.locator('#cw-copy-status').textContent();
    const text = await page.evaluate(() => window.__tirek.referralText());
    assert.equal(status, en.cw.copied);
    const clip = await page.evaluate(() => navigator.clipboard.readText()).catch(() => null);
    if (clip !== null) assert.equal(clip, text);
    const names = await page.locator('li.result .name').allTextContents();
    for (const n of names) assert.ok(text.includes(n), `referral names ${n}`);
    // Each service's services (CMR/PEP …) and access flags, as its card shows them.
    const rows = await page.locator('li.result .row').evaluateAll((els) => els.map((r) => [r.querySelector('dt').textContent, r.querySelector('dd').textContent]));
    const offered = rows.filter(([label]) => label === en.result.services || label === en.result.features);
    assert.ok(offered.length > 0, 'some result lists services or access');
    for (const [label, value] of offered) assert.ok(text.includes(`${label}: ${value}`), `referral has "${label}: ${value}"`);
    assert.ok(text.startsWith(en.referral.title.toUpperCase()));
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('#referral-slip').isVisible(), true);
    assert.equal(await page.locator('#map').isVisible(), false);
    await page.screenshot({ path: shot('07-referral-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    assert.equal(await page.locator('#referral-slip').isVisible(), false);
  });

  it('the view tabs are keyboard operable (arrow keys, Home)', async () => {
    await page.locator('#tab-planner').click();
    await page.waitForFunction(() => window.location.hash.includes('view=planner'));
    assert.equal(await page.locator('#view-planner').isVisible(), true);
    assert.equal(await page.locator('#tab-planner').getAttribute('aria-selected'), 'true');
    await page.locator('#tab-planner').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.locator('#tab-donor').getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('#view-donor').isVisible(), true);
    assert.equal(await page.locator('#view-caseworker').isVisible(), false);
    await page.keyboard.press('Home');
    assert.equal(await page.locator('#tab-caseworker').getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('#view-caseworker').isVisible(), true);
    // Back in the caseworker view the results and their markers are shown again.
    await waitResults(page);
    assert.ok(await page.locator('.result-marker:visible').count() > 0, 'result markers visible again');
  });

  it('a facility named <img src=x onerror=alert(1)> renders as text', async (t) => {
    const all = await apiGet('/api/facilities');
    const evil = all.features.find((f) => /<\s*img/i.test(f.properties.name || '') && f.geometry);
    if (!evil) {
      assert.ok(!STRICT_XSS, 'TIREK_E2E_XSS=1 but the server has no facility named <img ...>');
      t.skip('no XSS-named facility in this data set');
      return;
    }
    const [lon, lat] = evil.geometry.coordinates;
    const p = await openPage(`/#view=caseworker&lon=${lon}&lat=${lat}&lang=en`);
    await waitResults(p);
    const name = evil.properties.names?.en || evil.properties.name;
    const card = p.locator(`li.result[data-facility-id="${evil.properties.id}"]`);
    assert.ok(await card.count() >= 1, 'the XSS-named facility is listed near its own location');
    assert.equal(await card.first().locator('.name').textContent(), name);
    assert.equal(await p.locator('#cw-results img, .maplibregl-marker img, img[src="x"]').count(), 0);
    // Hovering its marker shows the name as text too.
    const marker = p.locator(`.result-marker[title="${name.replace(/"/g, '\\"')}"]`);
    if (await marker.count()) assert.equal(await marker.first().getAttribute('title'), name);
    await p.waitForTimeout(300);
    assert.deepEqual(logs.flatMap((l) => l.dialogs), [], 'no dialog fired');
    await card.first().scrollIntoViewIfNeeded();
    await p.screenshot({ path: shot('08-xss-as-text.png') });
    await p.close();
  });

  it('works at phone width', async () => {
    const p = await openPage(`/#view=caseworker&lon=${POINT_LON}&lat=${POINT_LAT}`, { viewport: { width: 390, height: 844 } });
    await waitResults(p);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (overflow ${overflow}px)`);
    const mapBox = await p.locator('#map').boundingBox();
    const panelBox = await p.locator('#panel').boundingBox();
    assert.ok(mapBox.height > 200 && mapBox.width >= 380, 'map is visible');
    assert.ok(panelBox.y >= mapBox.y + mapBox.height - 1, 'panel below the map');
    await p.screenshot({ path: shot('06-phone.png') });
    await p.screenshot({ path: shot('06-phone-full.png'), fullPage: true });
    await p.close();
  });

  it('made no request to another origin, raised no page error and no CSP violation', async () => {
    const foreign = logs.flatMap((l) => l.foreign);
    const errors = logs.flatMap((l) => l.errors);
    const csp = logs.flatMap((l) => l.csp);
    const requests = logs.reduce((n, l) => n + l.requests.length, 0);
    console.log(`# requests recorded: ${requests}, to other origins: ${foreign.length}`);
    assert.deepEqual(foreign, []);
    // No basemap is configured here: none of its code paths fetched anything.
    assert.equal(meta.basemap, null);
    const basemap = logs.flatMap((l) => l.requests).filter((u) => /\/basemap\.pmtiles|\/vendor\/pmtiles\/|\/js\/lib\/basemap\.js/.test(u));
    assert.deepEqual(basemap, []);
    assert.equal(await page.locator('#legend-show-basemap').count(), 0);
    assert.doesNotMatch(await page.locator('#legend').textContent(), /\b(null|undefined)\b/);
    assert.deepEqual(errors, []);
    assert.deepEqual(csp, []);
    assert.deepEqual(logs.flatMap((l) => l.dialogs), []);
  });
});
