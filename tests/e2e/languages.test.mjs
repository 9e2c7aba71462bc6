// Interface languages in headless Chromium: every language of web/i18n/languages.json
// renders the caseworker view with no English left, is picked from the browser's
// preferred languages on a first visit, is remembered after a choice, loads on demand
// (languages.json, English and the chosen language only), says discreetly when its
// translation awaits review, and formats numbers through Intl in that language. The
// switch offers every language and fits a 390 px phone.

import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BASE_URL, SCREENSHOTS, launch, watch, apiGet, waitReady, waitResults } from './lib.mjs';

const [POINT_LON, POINT_LAT] = (process.env.TIREK_E2E_POINT || '68.25,43.30').split(',').map(Number);

// English strings that are the same in every language: the product's name and the
// data sources' names. Nothing else may stay English.
const SAME_IN_EVERY_LANGUAGE = new Set(['app.title', 'map.attribution']);

const REGION_LOCALE = { en: 'en-GB', ru: 'ru-RU', kk: 'kk-KZ', ky: 'ky-KG', tg: 'tg-TJ', tk: 'tk-TM', uz: 'uz-UZ' };

const lookup = (table, key) => key.split('.').reduce((o, k) => (o ? o[k] : undefined), table);

/** [{ key, text, attr? }] of every data-i18n element and data-i18n-attr attribute. */
async function labels(page) {
  return page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('[data-i18n]')) out.push({ key: el.dataset.i18n, text: el.textContent });
    for (const el of document.querySelectorAll('[data-i18n-attr]')) {
      for (const pair of el.dataset.i18nAttr.split(';')) {
        const [attr, key] = pair.split(':').map((s) => s.trim());
        out.push({ key, attr, text: el.getAttribute(attr) });
      }
    }
    return out;
  });
}

describe('interface languages (headless Chromium)', { skip: BASE_URL ? false : 'TIREK_URL is not set' }, () => {
  let manifest;
  const tables = {};
  const origin = BASE_URL ? new URL(BASE_URL).origin : '';

  before(async () => {
    manifest = await apiGet('/i18n/languages.json');
    for (const l of manifest.languages) tables[l.code] = await apiGet(`/i18n/${l.code}.json`);
  });

  it('languages.json offers the seven languages, each reviewed or pending', () => {
    assert.deepEqual(manifest.languages.map((l) => l.code).sort(), ['en', 'kk', 'ky', 'ru', 'tg', 'tk', 'uz']);
    for (const l of manifest.languages) assert.ok(['done', 'pending'].includes(l.review), `${l.code}: review`);
  });

  it('each language, preferred by the browser on a first visit, renders the caseworker view with no English left', async () => {
    const en = tables.en;
    for (const l of manifest.languages) {
      const browser = await launch({ locale: REGION_LOCALE[l.code] || l.code });
      try {
        const page = await browser.context.newPage();
        const log = watch(browser.context, page, origin);
        await page.goto(`${BASE_URL}/#view=caseworker&lon=${POINT_LON}&lat=${POINT_LAT}`);
        await waitReady(page);
        await waitResults(page);
        assert.equal(await page.evaluate(() => document.documentElement.lang), l.code, `${l.code}: <html lang>`);
        assert.equal(await page.locator('#lang-select').inputValue(), l.code);
        const table = tables[l.code];
        const found = await labels(page);
        assert.ok(found.length > 80, `${l.code}: ${found.length} labelled elements`);
        const wrong = found.filter((x) => typeof lookup(table, x.key) === 'string' && x.text !== lookup(table, x.key));
        assert.deepEqual(wrong, [], `${l.code}: every label shows the ${l.code} string`);
        if (l.code !== 'en') {
          const english = found.filter((x) => !SAME_IN_EVERY_LANGUAGE.has(x.key) && x.text === lookup(en, x.key));
          assert.deepEqual(english, [], `${l.code}: no English left`);
          // Generated text too: sector headings and result details.
          const heading = await page.locator('#sector-health-heading').textContent();
          assert.equal(heading, table.sector.health);
        }
        // A masked shelter's distance band, worded in the language ("примерно 0–10 км",
        // "более 250 км"), not the server's English band.
        const answer = await apiGet('/api/nearest', { lon: POINT_LON, lat: POINT_LAT });
        const masked = answer.results.filter((r) => !r.facility.geometry);
        assert.ok(masked.length > 0, 'the public answer here has a masked shelter');
        const band = masked[0].distance_band_km;
        const words = band.to_km === null
          ? table.result.beyond.replace('{km}', String(band.from_km))
          : table.result.distanceBand.replace('{band}', table.result.distance.replace('{km}', `${band.from_km}–${band.to_km}`));
        const shown = await page.locator(`section[data-sector="${masked[0].sector}"] li.result.confidential .distance`).first().textContent();
        assert.equal(shown, words, `${l.code}: the band in words`);
        // Numbers through Intl in the chosen language: the place's coordinates.
        const place = await page.locator('#cw-place-text').textContent();
        const lat = POINT_LAT.toFixed(3);
        assert.ok(place.includes(l.code === 'en' ? lat : lat.replace('.', ',')), `${l.code}: ${place}`);
        // The review note, in that language, exactly when the review is pending.
        const note = page.locator('#lang-review');
        assert.equal(await note.isVisible(), l.review === 'pending', `${l.code}: review note`);
        if (l.review === 'pending') assert.equal(await note.textContent(), table.lang.reviewPending);
        // On demand: languages.json, English (the fallback) and the chosen language only.
        const strings = log.requests.filter((u) => u.includes('/i18n/')).map((u) => new URL(u).pathname);
        assert.deepEqual([...new Set(strings)].sort(), [...new Set(['/i18n/languages.json', '/i18n/en.json', `/i18n/${l.code}.json`])].sort());
        assert.deepEqual(log.errors, [], `${l.code}: no page error`);
        assert.deepEqual(log.foreign, [], `${l.code}: no other origin`);
        await page.screenshot({ path: join(SCREENSHOTS, `20-caseworker-${l.code}.png`) });
      } finally {
        await browser.close();
      }
    }
  });

  it('the first of the preferred languages that Tirek has wins, region subtags ignored', async () => {
    const browser = await launch({ locale: 'de-DE' });
    try {
      await browser.context.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'languages', { get: () => ['de-DE', 'uz-Latn-UZ', 'ru-RU', 'en'] });
      });
      const page = await browser.context.newPage();
      await page.goto(`${BASE_URL}/`);
      await waitReady(page);
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'uz');
    } finally {
      await browser.close();
    }
  });

  it('a chosen language is remembered over the browser preference; a link\'s lang wins for that link', async () => {
    const browser = await launch({ locale: 'kk-KZ' });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${BASE_URL}/`);
      await waitReady(page);
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'kk');
      await page.locator('#lang-select').selectOption('tg');
      await page.waitForFunction(() => document.documentElement.lang === 'tg');
      assert.equal(await page.evaluate(() => localStorage.getItem('tirek.lang')), 'tg');

      const again = await browser.context.newPage();
      await again.goto(`${BASE_URL}/`);
      await waitReady(again);
      assert.equal(await again.evaluate(() => document.documentElement.lang), 'tg', 'remembered');
      assert.equal(await again.locator('#tab-caseworker').textContent(), tables.tg.nav.caseworker);
      await again.close();

      const linked = await browser.context.newPage();
      await linked.goto(`${BASE_URL}/#lang=ru`);
      await waitReady(linked);
      assert.equal(await linked.evaluate(() => document.documentElement.lang), 'ru');
      assert.equal(await linked.locator('#lang-review').isVisible(), false, 'Russian is reviewed');
    } finally {
      await browser.close();
    }
  });

  it('the switch offers every language and fits a 390 px phone', async () => {
    const browser = await launch({ viewport: { width: 390, height: 844 } });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${BASE_URL}/`);
      await waitReady(page);
      const options = await page.$$eval('#lang-select option', (os) => os.map((o) => [o.value, o.lang, o.textContent]));
      assert.deepEqual(options, manifest.languages.map((l) => [l.code, l.code, l.label]));
      for (const code of ['ky', 'tk', 'en']) {
        await page.locator('#lang-select').selectOption(code);
        await page.waitForFunction((c) => document.documentElement.lang === c, code);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${code}: no horizontal scrolling (${overflow}px)`);
        const box = await page.locator('#lang-select').boundingBox();
        assert.ok(box.x >= 0 && box.x + box.width <= 390, `${code}: switch inside the screen`);
      }
      await page.locator('#lang-select').selectOption('ky');
      await page.screenshot({ path: join(SCREENSHOTS, '21-phone-ky.png') });
    } finally {
      await browser.close();
    }
  });
});
