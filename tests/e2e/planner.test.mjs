// End-to-end tests of the Planner and Donor views in headless Chromium against a real
// server (TIREK_URL; run-with-server.sh starts one). The gap grid and "where to add"
// tests skip only when their endpoints answer 404 (not built yet), after checking
// that the page then shows a "not available" note and no numbers.
//
// TIREK_E2E_DOCS=1 also writes the README screenshots to docs/screenshots/
// (caseworker.png, planner.png, donor.png; 1366×768).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, mkdirSync } from 'node:fs';
import { DEFAULT_PACKAGE } from '../../web/js/lib/coverage-model.js';
import {
  BASE_URL, SCREENSHOTS, HERE, launch, watch, apiGet, decodePng, colourStats, waitReady, waitResults,
} from './lib.mjs';

const shot = (name) => join(SCREENSHOTS, name);
const DOCS = process.env.TIREK_E2E_DOCS === '1' ? join(HERE, '..', '..', 'docs', 'screenshots') : null;
const [POINT_LON, POINT_LAT] = (process.env.TIREK_E2E_POINT || '68.25,43.30').split(',').map(Number);

/** Status of a request from the test process (not the page). */
async function statusOf(path, init) {
  const res = await fetch(new URL(path, `${BASE_URL}/`), init);
  await res.arrayBuffer();
  return res.status;
}

function inBox([lon, lat], box) {
  return lon >= box[0] && lon <= box[2] && lat >= box[1] && lat <= box[3];
}

function bboxOf(geometry) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      box[0] = Math.min(box[0], c[0]); box[1] = Math.min(box[1], c[1]);
      box[2] = Math.max(box[2], c[0]); box[3] = Math.max(box[3], c[1]);
    } else c.forEach(visit);
  };
  visit(geometry.coordinates);
  return box;
}

describe('Tirek planner and donor views (headless Chromium)', { skip: BASE_URL ? false : 'TIREK_URL is not set' }, () => {
  let browser;
  let page;
  let origin;
  let en;
  let ru;
  let meta;
  let coverage; // what the planner asks by default (minimum package, finest level)
  let outlines; // area outlines of that level
  const logs = [];

  const packageParams = { sectors: DEFAULT_PACKAGE.join(','), package: DEFAULT_PACKAGE.join(',') };

  async function openPage(path, options = {}) {
    const p = await browser.context.newPage();
    if (options.viewport) await p.setViewportSize(options.viewport);
    logs.push(watch(browser.context, p, origin));
    await p.goto(`${BASE_URL}${path}`);
    await waitReady(p);
    return p;
  }

  async function waitLoaded(p, view) {
    await p.waitForFunction((v) => {
      const el = document.querySelector(`#view-${v}`);
      return el.dataset.loaded === 'true' && !el.hasAttribute('aria-busy');
    }, view, { timeout: 30000 });
  }

  async function waitIdle(p) {
    await p.evaluate(() => new Promise((resolve) => {
      const map = window.__tirek.map;
      if (map.loaded() && !map.isMoving()) {
        map.once('idle', resolve);
        map.triggerRepaint();
      } else map.once('idle', resolve);
    }));
  }

  const tableCodes = (p) => p.$$eval('#pl-table tbody tr[data-code]', (rows) => rows.map((r) => r.dataset.code));
  const byRank = (areas, key) => [...areas].sort((a, b) => a[key] - b[key]).map((a) => String(a.code));

  before(async () => {
    origin = new URL(BASE_URL).origin;
    en = await apiGet('/i18n/en.json');
    ru = await apiGet('/i18n/ru.json');
    meta = await apiGet('/api/meta');
    coverage = await apiGet('/api/coverage', packageParams);
    outlines = await apiGet('/api/areas', { level: coverage.coverage.level });
    browser = await launch();
    logs.push(watch(browser.context, null, origin));
    page = await openPage('/#view=planner');
    await waitLoaded(page, 'planner');
    await waitIdle(page);
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('the planner shows the coverage choropleth of the finest level', async () => {
    assert.ok(coverage.areas.length > 0, 'the server has areas');
    const canvas = page.locator('canvas.maplibregl-canvas');
    const stats = colourStats(decodePng(await canvas.screenshot()));
    assert.ok(stats.distinct >= 8 && stats.dominantShare < 0.95, `map drawn (${stats.distinct} colours, dominant ${(stats.dominantShare * 100).toFixed(1)}%)`);
    const info = await page.evaluate(() => {
      const map = window.__tirek.map;
      const codes = new Set(map.querySourceFeatures('coverage').map((f) => f.properties.code));
      return {
        visible: map.getLayoutProperty('coverage-fill', 'visibility'),
        sourceCodes: codes.size,
        rendered: map.queryRenderedFeatures({ layers: ['coverage-fill'] }).length,
        facilities: map.getLayoutProperty('facilities', 'visibility'),
      };
    });
    assert.equal(info.visible, 'visible');
    assert.equal(info.sourceCodes, coverage.areas.length, 'one choropleth feature per area');
    assert.ok(info.rendered > 0, 'the fill layer has rendered features');
    assert.equal(info.facilities, 'none', 'no facility points in the planner');
    // The legend shows the colour classes.
    assert.equal(await page.locator('#legend-coverage .legend-classes li').count(), 6);
    assert.equal(await page.locator('#legend-coverage').isVisible(), true);
    await page.screenshot({ path: shot('03-planner.png') });
    if (DOCS) {
      mkdirSync(DOCS, { recursive: true });
      await page.screenshot({ path: join(DOCS, 'planner.png') });
    }
  });

  it('the ranked table lists every area, by people out of reach as the API ranks them', async () => {
    const codes = await tableCodes(page);
    assert.equal(codes.length, coverage.areas.length);
    assert.deepEqual(codes, byRank(coverage.areas, 'rank_uncovered'));
    const first = [...coverage.areas].sort((a, b) => a.rank_uncovered - b.rank_uncovered)[0];
    const cell = await page.locator('#pl-table tbody tr').first().locator('td[data-value]').getAttribute('data-value');
    assert.equal(Number(cell), first.uncovered);
    assert.equal(await page.locator('th[data-sort-key="uncovered"]').getAttribute('aria-sort'), 'descending');
  });

  it('clicking a row, or Enter on it, zooms the map to the area', async () => {
    const rows = page.locator('#pl-table tbody tr[data-code]');
    for (const [i, how] of [[0, 'click'], [3, 'keyboard']]) {
      const code = await rows.nth(i).getAttribute('data-code');
      const outline = outlines.features.find((f) => String(f.properties.code) === code);
      const box = bboxOf(outline.geometry);
      const zoomBefore = await page.evaluate(() => window.__tirek.map.getZoom());
      if (how === 'click') await rows.nth(i).click();
      else {
        await rows.nth(i).focus();
        await page.keyboard.press('Enter');
      }
      await page.waitForFunction(() => !window.__tirek.map.isMoving());
      await waitIdle(page);
      const c = await page.evaluate(() => window.__tirek.map.getCenter().toArray());
      assert.ok(inBox(c, box), `${how}: centre ${c} inside ${code} ${box}`);
      assert.equal(await rows.nth(i).getAttribute('class'), 'selected');
      if (i === 0) assert.ok(await page.evaluate(() => window.__tirek.map.getZoom()) >= zoomBefore);
    }
    // Arrow keys move between rows.
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.code), await rows.nth(4).getAttribute('data-code'));
  });

  it('sorting by share works by mouse and keyboard, and is kept in the URL', async () => {
    await page.locator('button[data-sort="share"]').click();
    await page.waitForFunction(() => window.location.hash.includes('sort=share'));
    assert.deepEqual(await tableCodes(page), byRank(coverage.areas, 'rank_share'));
    assert.equal(await page.locator('th[data-sort-key="share"]').getAttribute('aria-sort'), 'ascending');
    await page.locator('button[data-sort="share"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => window.location.hash.includes('rev=1'));
    assert.deepEqual(await tableCodes(page), byRank(coverage.areas, 'rank_share').reverse());
    assert.equal(await page.locator('th[data-sort-key="share"]').getAttribute('aria-sort'), 'descending');
    await page.locator('button[data-sort="uncovered"]').click();
    await page.waitForFunction(() => !window.location.hash.includes('sort=') && !window.location.hash.includes('rev='));
    assert.deepEqual(await tableCodes(page), byRank(coverage.areas, 'rank_uncovered'));
  });

  it('one sector and a changed threshold re-query the API; a shared URL reproduces it', async () => {
    await page.locator('#pl-subject').selectOption('health');
    await page.waitForFunction(() => window.location.hash.includes('sector=health'));
    await waitLoaded(page, 'planner');
    await page.locator('#pl-th-health').fill('10');
    await page.locator('#pl-form button[type="submit"]').click();
    await page.waitForFunction(() => window.location.hash.includes('th=health:10'));
    await waitLoaded(page, 'planner');
    await page.waitForFunction(() => document.querySelector('#pl-status').textContent !== '' && !document.querySelector('#view-planner').hasAttribute('aria-busy'));
    const want = await apiGet('/api/coverage', { sectors: 'health', package: 'health', 'threshold_km.health': 10 });
    assert.deepEqual(await tableCodes(page), byRank(want.areas, 'rank_uncovered'));
    const first = await page.locator('#pl-table tbody tr').first().locator('td[data-value]').getAttribute('data-value');
    assert.equal(Number(first), [...want.areas].sort((a, b) => a.rank_uncovered - b.rank_uncovered)[0].uncovered);
    const other = await openPage(new URL(page.url()).pathname + new URL(page.url()).hash);
    await waitLoaded(other, 'planner');
    assert.equal(await other.locator('#pl-subject').inputValue(), 'health');
    assert.equal(await other.locator('#pl-th-health').inputValue(), '10');
    assert.deepEqual(await tableCodes(other), await tableCodes(page));
    await other.close();
  });

  it('programmes for perpetrators are a subject like any sector, outside the minimum package', async () => {
    const other = await openPage('/#view=planner');
    await waitLoaded(other, 'planner');
    const subjects = await other.locator('#pl-subject option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(subjects.includes('perpetrator_programme'), `subjects: ${subjects}`);
    const defaults = await apiGet('/api/coverage', {});
    assert.ok(!defaults.coverage.package.includes('perpetrator_programme'), 'not in the minimum package');
    await other.locator('#pl-subject').selectOption('perpetrator_programme');
    await other.waitForFunction(() => window.location.hash.includes('sector=perpetrator_programme'));
    const want = await apiGet('/api/coverage', { sectors: 'perpetrator_programme', package: 'perpetrator_programme' });
    const expected = byRank(want.areas, 'rank_uncovered');
    await other.waitForFunction((codes) => {
      const rows = [...document.querySelectorAll('#pl-table tbody tr[data-code]')].map((r) => r.dataset.code);
      return !document.querySelector('#view-planner').hasAttribute('aria-busy') && rows.join() === codes.join();
    }, expected, { timeout: 15000 }).catch(() => {});
    assert.deepEqual(await tableCodes(other), expected, 'the table ranks areas by people out of reach of a programme');
    await other.close();
  });

  it('exports exactly what is shown as CSV and GeoJSON, without a server round trip', async () => {
    const shown = await tableCodes(page);
    const apiCalls = () => logs.reduce((n, l) => n + l.requests.filter((u) => u.includes('/api/')).length, 0);
    const before = apiCalls();
    const [csvDl] = await Promise.all([page.waitForEvent('download'), page.locator('#pl-export-csv').click()]);
    const csv = readFileSync(await csvDl.path(), 'utf8').replace(/^\ufeff/, '').trim().split(/\r\n/);
    assert.match(csv[0], /^code,name,pop_total,pop_covered,share,uncovered/);
    assert.deepEqual(csv.slice(1).map((line) => line.split(',')[0]), shown);
    assert.ok(csv[1].includes(',health,'), 'subject column');
    const [geoDl] = await Promise.all([page.waitForEvent('download'), page.locator('#pl-export-geojson').click()]);
    const fc = JSON.parse(readFileSync(await geoDl.path(), 'utf8'));
    const areas = fc.features.filter((f) => f.properties.layer === 'coverage');
    assert.equal(areas.length, shown.length);
    assert.ok(areas.every((f) => f.geometry && f.geometry.type.endsWith('Polygon')));
    assert.equal(fc.tirek.subject, 'health');
    assert.equal(fc.tirek.thresholds_km.health, 10);
    assert.equal(apiCalls(), before, 'no request to the server for the exports');
    assert.equal(csvDl.url().startsWith('blob:'), true, 'generated in the page');
  });

  it('gap grid layer (skips only when /api/gaps/grid answers 404)', async (t) => {
    const status = await statusOf('/api/gaps/grid?res=5&sector=health&threshold_km.health=10');
    assert.ok([200, 404].includes(status), `GET /api/gaps/grid answered ${status} (expected 200, or 404 while it is not built)`);
    await page.locator('#pl-grid').check();
    await page.waitForFunction(() => window.location.hash.includes('grid=5'));
    await page.waitForFunction(() => document.querySelector('#pl-grid-status').dataset.state, null, { timeout: 120000 });
    const state = await page.locator('#pl-grid-status').getAttribute('data-state');
    if (status === 404) {
      assert.equal(state, 'missing');
      assert.match(await page.locator('#pl-grid-status').textContent(), /\/api\/gaps\/grid/);
      assert.equal(await page.evaluate(() => window.__tirek.map.querySourceFeatures('gaps').length), 0, 'no made-up hexagons');
      await page.locator('#pl-grid').uncheck();
      t.skip('GET /api/gaps/grid answers 404 (not built yet)');
      return;
    }
    assert.equal(state, 'ok', await page.locator('#pl-grid-status').textContent());
    const want = await apiGet('/api/gaps/grid', { res: 5, sector: 'health', 'threshold_km.health': 10 });
    // Only cells where people live come, and a gap is one with people out of reach.
    assert.ok(want.features.every((f) => f.properties.population > 0), 'no empty cells');
    const gaps = want.features.filter((f) => f.properties.people_out_of_reach > 0);
    assert.match(await page.locator('#pl-grid-status').textContent(), new RegExp(`^${gaps.length} hexagons? `));
    await waitIdle(page);
    // querySourceFeatures sees only the tiles in view: those cells must all be gaps, and
    // the source itself must hold exactly the API's gap cells.
    const shown = await page.evaluate(() => {
      const map = window.__tirek.map;
      const data = map.getSource('gaps').serialize().data;
      const held = (data.features || []).filter((f) => f.properties.covered === false).map((f) => f.properties.cell);
      const drawn = map.querySourceFeatures('gaps', { filter: ['==', ['get', 'covered'], false] }).map((f) => f.properties.cell);
      return { visible: map.getLayoutProperty('gaps-fill', 'visibility'), held: [...new Set(held)].sort(), drawn: [...new Set(drawn)] };
    });
    assert.equal(shown.visible, 'visible');
    assert.deepEqual(shown.held, gaps.map((f) => f.properties.cell).sort());
    assert.ok(shown.drawn.length > 0, 'gap cells are drawn in view');
    const gapCells = new Set(shown.held);
    assert.ok(shown.drawn.every((c) => gapCells.has(c)), 'only gap cells are drawn');
    await page.locator('#pl-grid-res').selectOption('4');
    await page.waitForFunction(() => window.location.hash.includes('grid=4'));
    await page.locator('#pl-grid').uncheck();
    await page.waitForFunction(() => !window.location.hash.includes('grid='));
  });

  it('"where to add" shows ranked sites with their gain (skips only when /api/plan/sites answers 404)', async (t) => {
    const status = await statusOf('/api/plan/sites', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sector: 'health', k: 3, candidates: 'settlements' }),
    });
    await page.locator('#pl-sites-sector').selectOption('health');
    await page.locator('#pl-sites-k').selectOption('3');
    await page.locator('#pl-sites-form button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelector('#pl-sites-status').dataset.state, null, { timeout: 60000 });
    const state = await page.locator('#pl-sites-status').getAttribute('data-state');
    if (status === 404) {
      assert.equal(state, 'missing');
      assert.match(await page.locator('#pl-sites-status').textContent(), /\/api\/plan\/sites/);
      assert.equal(await page.locator('.site-marker').count(), 0, 'no made-up sites');
      t.skip('POST /api/plan/sites answers 404 (not built yet)');
      return;
    }
    assert.equal(state, 'ok', await page.locator('#pl-sites-status').textContent());
    // The UI passes the planner's distance for the sector when it was changed (th= in the URL).
    const th = /(?:^|,)health:([\d.]+)/.exec(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('th') || '');
    const body = { sector: 'health', k: 3, candidates: 'settlements', ...(th ? { threshold_km: Number(th[1]) } : {}) };
    const res = await fetch(new URL('/api/plan/sites', `${BASE_URL}/`), {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const want = await res.json();
    assert.equal(await page.locator('#pl-sites-list li').count(), want.steps.length);
    assert.equal(await page.locator('.site-marker').count(), want.steps.length);
    for (const [i, step] of want.steps.entries()) {
      const li = page.locator('#pl-sites-list li').nth(i);
      assert.equal(await li.getAttribute('data-rank'), String(step.rank));
      assert.equal(await li.locator('button').textContent(), step.site.name || step.site.id);
      assert.equal(await page.locator('.site-marker').nth(i).textContent(), String(step.rank));
    }
    await page.evaluate(() => new Promise((resolve) => {
      const map = window.__tirek.map;
      map.once('idle', resolve);
      map.fitBounds([[46.4, 35.1], [87.4, 55.5]], { padding: 10, duration: 0 });
    }));
    await page.screenshot({ path: shot('03-planner-sites.png') });
    if (DOCS) await page.screenshot({ path: join(DOCS, 'planner.png') });
  });

  it('"where to add" does not offer the public a sector with confidential shelters, and says why', async () => {
    const withheld = coverage.coverage.withheld?.sectors || [];
    assert.ok(withheld.includes('shelter'), 'the public coverage answer withholds shelter');
    for (const sector of withheld) {
      assert.equal(await page.locator(`#pl-sites-sector option[value="${sector}"]`).isDisabled(), true, sector);
    }
    assert.equal(await page.locator('#pl-sites-sector option[value="health"]').isDisabled(), false);
    assert.equal(await page.locator('#pl-sites-withheld').textContent(), en.planner.sitesWithheld);
    assert.ok(await page.locator('#pl-sites-withheld').isVisible());
    // Forced anyway (an old page, a crafted form): the refusal is said in words, not as raw text.
    await page.evaluate(() => {
      const select = document.querySelector('#pl-sites-sector');
      select.querySelector('option[value="shelter"]').disabled = false;
      select.value = 'shelter';
    });
    await page.locator('#pl-sites-form button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelector('#pl-sites-status').dataset.state === 'error', null, { timeout: 60000 });
    assert.equal(await page.locator('#pl-sites-status').textContent(), en.planner.forbidden);
  });

  it('draws the gap grid and suggested sites of the documented contract (answers stubbed in the browser)', async () => {
    // The real endpoints are tested above; this checks the drawing of their contract even
    // before they exist. page.route answers inside the browser: nothing leaves it.
    const p = await browser.context.newPage();
    logs.push(watch(browser.context, p, origin));
    const cell = (i, covered) => {
      const x = 66 + i * 0.5;
      return {
        type: 'Feature',
        geometry: { type: 'Polygon', coordinates: [[[x, 43], [x + 0.4, 43], [x + 0.4, 43.4], [x, 43.4], [x, 43]]] },
        properties: { cell: `85${i}`, population: 1000 * (i + 1), dist_km_health: covered ? 5 : 80, covered_health: covered, covered_all: covered },
      };
    };
    const grid = { type: 'FeatureCollection', grid: { res: 5, sectors: ['health'], thresholds_m: { health: 30000 }, cells: 4, note: 'stub' }, features: [cell(0, false), cell(1, true), cell(2, false), cell(3, false)] };
    const sites = {
      sector: 'health', threshold_m: 30000, population_total: 100000, covered_before: 50000, candidates_considered: 42,
      steps: [1, 2, 3].map((rank) => ({ rank, site: { id: `s${rank}`, lon: 66 + rank, lat: 42 + rank / 2, name: `<b>Site ${rank}</b>` }, gain: 10000 / rank, covered_after: 50000 + 10000 * rank })),
    };
    await p.route('**/api/gaps/grid?**', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(grid) }));
    await p.route('**/api/plan/sites', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(sites) }));
    await p.goto(`${BASE_URL}/#view=planner&sector=health&grid=5`);
    await waitReady(p);
    await waitLoaded(p, 'planner');
    await p.waitForFunction(() => document.querySelector('#pl-grid-status').dataset.state === 'ok');
    assert.match(await p.locator('#pl-grid-status').textContent(), /^3 hexagons with 8,000 people/);
    await waitIdle(p);
    const n = await p.evaluate(() => new Set(window.__tirek.map.querySourceFeatures('gaps', { filter: ['==', ['get', 'covered'], false] }).map((f) => f.properties.cell)).size);
    assert.equal(n, 3);
    await p.locator('#pl-sites-form button[type="submit"]').click();
    await p.waitForFunction(() => document.querySelector('#pl-sites-status').dataset.state === 'ok');
    assert.equal(await p.locator('.site-marker').count(), 3);
    assert.deepEqual(await p.locator('.site-marker').allTextContents(), ['1', '2', '3']);
    assert.equal(await p.locator('#pl-sites-list li button').first().textContent(), '<b>Site 1</b>', 'names as text');
    assert.equal(await p.locator('#pl-sites-list b').count(), 0);
    assert.match(await p.locator('#pl-sites-list li').first().textContent(), /\+10,000 people/);
    const [dl] = await Promise.all([p.waitForEvent('download'), p.locator('#pl-export-geojson').click()]);
    const fc = JSON.parse(readFileSync(await dl.path(), 'utf8'));
    assert.equal(fc.features.filter((f) => f.properties.layer === 'gap_grid').length, 4);
    assert.equal(fc.features.filter((f) => f.properties.layer === 'suggested_site').length, 3);
    await p.screenshot({ path: shot('11-planner-grid-sites-stubbed.png') });
    await p.close();
  });

  it('the donor report has one row per country with the API numbers, charts and the map', async () => {
    await page.locator('#tab-donor').click();
    await waitLoaded(page, 'donor');
    const want = await apiGet('/api/coverage', { level: 0, sectors: meta.sectors.join(','), package: DEFAULT_PACKAGE.join(',') });
    const names = new Map((await apiGet('/api/areas', { level: 0 })).features.map((f) => [String(f.properties.code), f.properties.names?.en || f.properties.name]));
    const rows = page.locator('#dn-countries tbody tr');
    assert.equal(await rows.count(), want.areas.length);
    for (const a of want.areas) {
      const row = page.locator(`#dn-countries tbody tr[data-code="${a.code}"]`);
      assert.equal(Number(await row.getAttribute('data-pop')), a.pop_total);
      assert.equal(await row.locator('th').textContent(), names.get(String(a.code)) || a.name);
      assert.equal(await row.locator('td').first().textContent(), a.pop_total.toLocaleString('en-US', { maximumFractionDigits: 0 }));
      for (const s of meta.sectors) {
        const cell = row.locator(`td[data-sector="${s}"]`);
        assert.equal(Number(await cell.getAttribute('data-covered')), a.sectors[s].pop_covered);
        // The public gets no count of 1–2 confidential services per area (null, suppressed).
        const count = a.sectors[s].facilities;
        assert.equal(await cell.getAttribute('data-facilities'), count === null ? 'suppressed' : String(count));
        if (count === null) assert.equal(a.sectors[s].facilities_suppressed, true);
        assert.equal(await cell.locator('.share').textContent(), `${(a.sectors[s].share * 100).toFixed(1)}%`);
      }
    }
    const regions = await apiGet('/api/coverage', { level: 1, sectors: meta.sectors.join(','), package: DEFAULT_PACKAGE.join(',') });
    assert.equal(await page.locator('#dn-regions tbody tr').count(), regions.areas.length);
    assert.equal(await page.locator('#dn-charts svg[role="img"]').count(), meta.sectors.length + 1);
    assert.ok(await page.locator('#dn-charts svg .chart-value').count() >= want.areas.length * (meta.sectors.length + 1));
    assert.match(await page.locator('#dn-meta').textContent(), new RegExp(`${want.coverage.data_version}`));
    assert.equal(await page.locator('#dn-demo').isVisible(), meta.demo_facilities > 0);
    await waitIdle(page);
    const n = await page.evaluate(() => new Set(window.__tirek.map.querySourceFeatures('coverage').map((f) => f.properties.code)).size);
    assert.equal(n, regions.areas.length, 'the coverage map of the regions');
    await page.locator('#dn-report').evaluate((el) => el.closest('.panel').scrollTo(0, 0));
    await page.screenshot({ path: shot('04-donor.png') });
    if (DOCS) await page.screenshot({ path: join(DOCS, 'donor.png') });
  });

  it('the donor report prints without controls (print media)', async () => {
    await page.waitForFunction(() => !document.querySelector('#dn-map-img').hidden, null, { timeout: 15000 });
    await page.emulateMedia({ media: 'print' });
    for (const sel of ['.topbar', '#view-tabs', '#lang-switch', '#dn-print', '.map-wrap', '.maplibregl-ctrl-zoom-in', '#legend']) {
      assert.equal(await page.locator(sel).first().isVisible(), false, `${sel} hidden in print`);
    }
    for (const sel of ['#dn-report h2', '#dn-meta', '#dn-countries', '#dn-regions', '#dn-charts svg', '#dn-map-img']) {
      assert.equal(await page.locator(sel).first().isVisible(), true, `${sel} printed`);
    }
    assert.equal(await page.locator('#referral-slip').isVisible(), false, 'no referral slip in the donor report');
    await page.screenshot({ path: shot('05-donor-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    assert.equal(await page.locator('#dn-print').isVisible(), true);
  });

  it('switching to Russian changes the planner and donor labels', async () => {
    await page.locator('#lang-select').selectOption('ru');
    await page.waitForFunction(() => document.documentElement.lang === 'ru');
    assert.equal(await page.locator('#dn-report h2').textContent(), ru.donor.heading);
    assert.equal(await page.locator('#dn-countries thead th').first().textContent(), ru.donor.country);
    assert.equal(await page.locator('#dn-print').textContent(), ru.donor.print);
    const kz = await apiGet('/api/areas', { level: 0 });
    const withRu = kz.features.find((f) => f.properties.names?.ru);
    if (withRu) assert.equal(await page.locator(`#dn-countries tbody tr[data-code="${withRu.properties.code}"] th`).textContent(), withRu.properties.names.ru);
    await page.locator('#tab-planner').click();
    await page.waitForFunction(() => window.location.hash.includes('view=planner'));
    assert.equal(await page.locator('#pl-table-heading').textContent(), ru.planner.tableHeading);
    assert.equal(await page.locator('button[data-sort="share"]').textContent(), ru.planner.colShare);
    assert.equal(await page.locator('label[for="pl-subject"]').textContent(), ru.planner.subject);
    assert.match(await page.locator('#pl-status').textContent(), /чел\./);
    assert.ok((await page.locator('#legend-coverage li').first().textContent()).startsWith(ru.legend.below.split('{v}')[0]));
    assert.match(await page.locator('#legend-cov-subject').textContent(), new RegExp(ru.sector.health));
    const mismatches = await page.$$eval('[data-i18n]', (els, table) => els.filter((el) => {
      const v = el.dataset.i18n.split('.').reduce((o, k) => (o ? o[k] : undefined), table);
      return typeof v === 'string' && el.textContent !== v;
    }).map((el) => el.dataset.i18n), ru);
    assert.deepEqual(mismatches, []);
    await page.screenshot({ path: shot('10-planner-ru.png') });
    await page.locator('#lang-select').selectOption('en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal(await page.locator('#pl-table-heading').textContent(), en.planner.tableHeading);
  });

  it('the caseworker view still works after the planner (and its README screenshot)', async () => {
    const p = await openPage(`/#view=caseworker&lon=${POINT_LON}&lat=${POINT_LAT}`);
    await waitResults(p);
    await waitIdle(p);
    // No choropleth drawn: its layer is hidden, or not made at all (made when first used).
    assert.equal(await p.evaluate(() => {
      const m = window.__tirek.map;
      return m.getLayer('coverage-fill') ? m.getLayoutProperty('coverage-fill', 'visibility') : 'absent';
    }), 'absent');
    if (DOCS) await p.screenshot({ path: join(DOCS, 'caseworker.png') });
    await p.close();
  });

  it('made no request to another origin, raised no page error and no CSP violation', () => {
    const foreign = logs.flatMap((l) => l.foreign);
    assert.deepEqual(foreign, []);
    assert.deepEqual(logs.flatMap((l) => l.errors), []);
    assert.deepEqual(logs.flatMap((l) => l.csp), []);
    assert.deepEqual(logs.flatMap((l) => l.dialogs), []);
  });
});
