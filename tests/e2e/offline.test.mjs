// The offline caseworker in headless Chromium: after a first visit the service worker
// is active and the saved copy holds the app shell, the outlines, the settlements and
// the public facility list (no confidential record, even signed in); with the browser
// context offline, a shared link for Shymkent opens and lists exactly the public
// services GET /api/nearest gave online, with the "offline: data of <date>" banner, also
// with needs (CMR/PEP, female staff, Uzbek, 5 per sector) and in Russian; the settlement
// search answers from the saved list; back online, the answers refresh and the banner
// goes. Also: the web manifest, and the first load within 10 % of the bytes without
// offline support (TIREK_E2E_FIRST_LOAD_BASELINE, bytes on the wire; first-load.mjs).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  BASE_URL, SCREENSHOTS, launch, watch, apiGet, waitReady, waitResults, listedResults, groupNearest, caseworkerSectors, hashParams,
} from './lib.mjs';
import { measureFirstLoad } from './first-load.mjs';

const BASELINE = Number(process.env.TIREK_E2E_FIRST_LOAD_BASELINE || 0);

/** The public services of an /api/nearest answer (masked entries left out), grouped like the UI. */
function publicGroups(answer, sectors) {
  return groupNearest(answer.results.filter((r) => typeof r.distance_m === 'number'), sectors).map((g) => ({ sector: g.sector, ids: g.ids }));
}

describe('offline caseworker (headless Chromium)', { skip: BASE_URL ? false : 'TIREK_URL is not set' }, () => {
  let browser;
  let page;
  let meta;
  let en;
  let ru;
  let shymkent;
  const origin = BASE_URL ? new URL(BASE_URL).origin : '';

  before(async () => {
    meta = await apiGet('/api/meta');
    en = await apiGet('/i18n/en.json');
    ru = await apiGet('/i18n/ru.json');
    shymkent = (await apiGet('/api/settlements', { q: 'Shymkent', limit: 1 })).features[0];
    browser = await launch();
    page = await browser.context.newPage();
    await page.goto(`${BASE_URL}/`);
    await waitReady(page);
    assert.equal(await page.evaluate(() => window.__tirek.offlineReady), true, 'the offline copy was made');
    // A language used online is saved too (the Russian case below needs it).
    await page.locator('#lang-select').selectOption('ru');
    await page.waitForFunction(async () => !!(await caches.match('/i18n/ru.json')));
    await page.locator('#lang-select').selectOption('en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('the first visit installs the service worker and saves the shell and the public data', async () => {
    const state = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration('/');
      const names = await caches.keys();
      const urls = [];
      for (const n of names) for (const r of await (await caches.open(n)).keys()) urls.push(new URL(r.url).pathname + new URL(r.url).search);
      const facilities = await (await caches.match('/api/facilities')).json();
      return { active: reg?.active?.scriptURL, names, urls, facilities };
    });
    assert.equal(state.active, `${origin}/sw.js`);
    for (const u of ['/', '/js/main.js', '/app.css', '/i18n/en.json', '/vendor/maplibre-gl/maplibre-gl.mjs',
      '/vendor/geographiclib-geodesic/geographiclib-geodesic.min.js', '/api/meta', '/api/areas?level=0',
      '/api/areas?level=1', '/api/settlements?limit=1000', '/api/facilities']) {
      assert.ok(state.urls.includes(u), `saved: ${u}`);
    }
    assert.ok(!state.urls.some((u) => u.startsWith('/api/nearest') || u === '/api/me'), 'no answer about a place or a user');
    assert.ok(!state.urls.some((u) => /lon=|place=/.test(u)), 'no place');
    const publicList = await apiGet('/api/facilities');
    assert.deepEqual(state.facilities.features.map((f) => f.properties.id), publicList.features.map((f) => f.properties.id));
    assert.ok(state.facilities.features.every((f) => f.properties.confidential !== true), 'no confidential record');
    // The manifest makes it installable.
    const manifest = await apiGet('/manifest.webmanifest');
    assert.equal(manifest.start_url, '/');
    assert.equal(manifest.display, 'standalone');
    assert.ok(await page.locator('link[rel="manifest"]').count() === 1);
  });

  it('offline, a shared link for Shymkent lists the same public services as the API online', async () => {
    const [lon, lat] = shymkent.geometry.coordinates;
    const cases = [
      { hash: `#view=caseworker&lon=${lon}&lat=${lat}&place=Shymkent`, params: { k: 3 }, lang: 'en' },
      { hash: `#view=caseworker&lon=${lon}&lat=${lat}&place=Shymkent&lang=ru&f=cmr_pep,female&sl=uz&k=5`, params: { k: 5, female_staff: 'true', language: 'uz' }, health: { services: 'cmr_pep' }, lang: 'ru' },
    ];
    const online = [];
    for (const c of cases) {
      const all = await apiGet('/api/nearest', { lon, lat, ...c.params });
      const health = c.health ? await apiGet('/api/nearest', { lon, lat, ...c.params, sector: 'health', ...c.health }) : null;
      const results = health ? all.results.filter((r) => r.sector !== 'health').concat(health.results) : all.results;
      online.push(publicGroups({ results }, caseworkerSectors(meta)));
    }
    assert.ok(online[0].flatMap((g) => g.ids).length >= 10, 'Shymkent has services nearby');

    await browser.context.setOffline(true);
    const log = watch(browser.context, null, origin);
    for (const [i, c] of cases.entries()) {
      const p = await browser.context.newPage();
      await p.goto(`${BASE_URL}/${c.hash}`);
      await waitReady(p);
      await waitResults(p);
      const listed = (await listedResults(p)).map((g) => ({ sector: g.sector, ids: g.ids }));
      assert.deepEqual(listed, online[i], `case ${i}: the same public services, in the same order`);
      const table = c.lang === 'ru' ? ru : en;
      const banner = p.locator('#offline-banner');
      assert.ok(await banner.isVisible(), 'the offline banner');
      const [before] = table.offline.banner.split('{date}');
      const text = await banner.textContent();
      assert.ok(text.startsWith(before) && !text.includes('{date}'), text);
      const today = await p.evaluate(() => new Date().getUTCFullYear());
      assert.ok(text.includes(String(today)), `the date of the data: ${text}`);
      assert.match(await p.locator('#cw-place-text').textContent(), /^Shymkent \(/);
      assert.equal(hashParams(p).get('lon'), null, 'the place leaves the address bar offline too');
      await p.screenshot({ path: join(SCREENSHOTS, `23-offline-${c.lang}.png`) });
      await p.close();
    }
    const nearestOnline = log.requests.filter((u) => u.includes('/api/nearest'));
    assert.ok(nearestOnline.length > 0, 'the page tried the network first');
  });

  it('offline, the settlement search answers from the saved list; back online the answers refresh', async () => {
    const p = await browser.context.newPage();
    await p.goto(`${BASE_URL}/`);
    await waitReady(p);
    await p.locator('#cw-search-input').fill('Shym');
    await p.locator('#cw-search-list [role="option"]').first().waitFor();
    await p.keyboard.press('Enter');
    await waitResults(p);
    assert.match(await p.locator('#cw-place-text').textContent(), /^Shymkent \(/);
    assert.ok(await p.locator('#offline-banner').isVisible());
    const offlineListed = await listedResults(p);

    await browser.context.setOffline(false);
    await p.waitForFunction(() => document.querySelector('#offline-banner').hidden, null, { timeout: 15000 });
    await waitResults(p);
    const [lon, lat] = shymkent.geometry.coordinates;
    const answer = await apiGet('/api/nearest', { lon, lat, k: 3 });
    const listed = await listedResults(p);
    assert.deepEqual(listed.map((g) => g.ids), groupNearest(answer.results, caseworkerSectors(meta)).map((g) => g.ids), 'online answer (masked entries back)');
    assert.deepEqual(offlineListed.map((g) => g.ids.filter(Boolean)), listed.map((g) => g.ids.filter(Boolean)));
    await p.close();
  });

  it('the first load stays within 10 % of the bytes without offline support', { skip: BASELINE ? false : 'TIREK_E2E_FIRST_LOAD_BASELINE is not set' }, async () => {
    const m = await measureFirstLoad(BASE_URL);
    console.log(`# first load: ${m.wire} bytes on the wire (baseline ${BASELINE}, +${((m.wire / BASELINE - 1) * 100).toFixed(1)} %), ${m.requests.length} requests`);
    assert.ok(m.wire <= BASELINE * 1.1, `${m.wire} > 110 % of ${BASELINE}`);
  });
});
