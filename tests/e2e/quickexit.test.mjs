// Quick exit in headless Chromium: the "Leave now" button is on screen in every view (a
// desktop and a scrolled 390 px phone); Escape pressed twice within a second replaces
// the page with the operator's neutral page (`quick_exit_url` in /api/meta; the test
// serves that page itself by intercepting its URL, so nothing leaves the machine), and
// Back does not return to Tirek or the place searched; one Escape, or two far apart,
// stay; with no operator setting the button goes to the default page.

import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BASE_URL, SCREENSHOTS, launch, apiGet, waitReady, waitResults } from './lib.mjs';
import { DEFAULT_QUICK_EXIT_URL } from '../../web/js/lib/quick-exit.js';

const BASEMAP_URL = (process.env.TIREK_BASEMAP_URL || '').replace(/\/+$/, '');
const NEUTRAL_HTML = '<!doctype html><html><head><title>Weather</title></head><body><p>Weather</p></body></html>';

/** Serves every page of `url`'s origin with a neutral page, inside the browser context. */
async function serveNeutral(context, url) {
  await context.route(`${new URL(url).origin}/**`, (route) => route.fulfill({
    status: 200, contentType: 'text/html', body: NEUTRAL_HTML,
  }));
}

/** Searches a settlement with the keyboard and waits for the results. */
async function searchPlace(page, name) {
  await page.locator('#cw-search-input').fill(name);
  await page.locator('#cw-search-list [role="option"]').first().waitFor();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#cw-place-text')?.textContent);
  await waitResults(page);
}

describe('quick exit (headless Chromium)', { skip: BASE_URL ? false : 'TIREK_URL is not set' }, () => {
  let meta;
  let en;
  let exitUrl;

  before(async () => {
    meta = await apiGet('/api/meta');
    en = await apiGet('/i18n/en.json');
    exitUrl = meta.quick_exit_url || DEFAULT_QUICK_EXIT_URL;
  });

  it('"Leave now" is on screen in every view, on a desktop and on a scrolled phone', async () => {
    const browser = await launch();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${BASE_URL}/`);
      await waitReady(page);
      const button = page.locator('#quick-exit');
      assert.equal(await button.textContent(), en.quickExit.button);
      assert.equal(await button.getAttribute('title'), en.quickExit.hint);
      // First in the tab order after the skip link.
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'quick-exit');
      for (const view of ['planner', 'donor', 'caseworker']) {
        await page.locator(`#tab-${view}`).click();
        assert.ok(await button.isVisible(), `visible in the ${view} view`);
      }

      await page.setViewportSize({ width: 390, height: 844 });
      await searchPlace(page, 'Shymkent');
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await page.waitForTimeout(200);
      const box = await button.boundingBox();
      assert.ok(box && box.y >= 0 && box.y + box.height <= 844 && box.x + box.width <= 390, `on screen when scrolled: ${JSON.stringify(box)}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px)`);
      await page.screenshot({ path: join(SCREENSHOTS, '22-quick-exit-phone.png') });
    } finally {
      await browser.close();
    }
  });

  it('Escape twice replaces the page with the neutral one; Back does not return to the place searched', async () => {
    const browser = await launch();
    try {
      await serveNeutral(browser.context, exitUrl);
      const page = await browser.context.newPage();
      const before = new URL('/before', exitUrl).href;
      await page.goto(before);
      const entries = await page.evaluate(() => history.length);
      await page.goto(`${BASE_URL}/`);
      await waitReady(page);
      await searchPlace(page, 'Shymkent');
      await page.locator('#cw-search-input').focus();
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');
      await page.waitForURL(exitUrl, { timeout: 5000 });
      assert.equal(await page.title(), 'Weather');
      await page.goBack();
      await page.waitForLoadState();
      assert.equal(page.url(), before, 'Back leads to the page before Tirek');
      assert.ok(!page.url().startsWith(BASE_URL));
      assert.equal(await page.evaluate(() => history.length), entries + 1, 'Tirek\'s entry became the neutral page');
      await page.goForward();
      await page.waitForLoadState();
      assert.equal(page.url(), exitUrl, 'Forward leads to the neutral page, not Tirek');
    } finally {
      await browser.close();
    }
  });

  it('one Escape, or two more than a second apart, do not leave', async () => {
    const browser = await launch();
    try {
      await serveNeutral(browser.context, exitUrl);
      const page = await browser.context.newPage();
      await page.goto(`${BASE_URL}/`);
      await waitReady(page);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1300);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
      assert.ok(page.url().startsWith(BASE_URL), page.url());
      assert.ok(await page.locator('#quick-exit').isVisible());
    } finally {
      await browser.close();
    }
  });

  it('with no operator setting, "Leave now" goes to the default neutral page', { skip: BASEMAP_URL ? false : 'TIREK_BASEMAP_URL is not set' }, async () => {
    const other = await (await fetch(`${BASEMAP_URL}/api/meta`)).json();
    assert.equal(other.quick_exit_url ?? null, null, 'that server sets no quick_exit_url');
    const browser = await launch();
    try {
      await serveNeutral(browser.context, DEFAULT_QUICK_EXIT_URL);
      const page = await browser.context.newPage();
      const entries = await page.evaluate(() => history.length);
      await page.goto(`${BASEMAP_URL}/`);
      await waitReady(page);
      await page.locator('#quick-exit').click();
      await page.waitForURL(DEFAULT_QUICK_EXIT_URL, { timeout: 5000 });
      assert.equal(await page.evaluate(() => history.length), entries + 1);
      await page.goBack();
      assert.ok(!page.url().startsWith(BASEMAP_URL), `Back: ${page.url()}`);
    } finally {
      await browser.close();
    }
  });
});
