// The place searched stays out of the URL, and so out of the browser's history
// database: searching a settlement, clicking the map and choosing needs leave only
// view and language in the address bar and add no history entry; Chromium's History
// file then names Tirek's address but no place, coordinate or need. "Copy link" builds
// the one URL with the place, and that shared link, opened elsewhere, shows the same
// place and results (and is itself cleaned from the address bar at once).

import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BASE_URL, launch, watch, apiGet, waitReady, waitResults, listedResults, clickPoint, hashParams, shareParams,
} from './lib.mjs';
import { PRIVATE_KEYS } from '../../web/js/lib/url-state.js';

const CLICK = [68.25, 43.3];

/** The bytes of Chromium's History database files (closed profile). */
function historyBytes(userDataDir) {
  const dir = join(userDataDir, 'Default');
  return Buffer.concat(readdirSync(dir).filter((f) => f.startsWith('History')).map((f) => readFileSync(join(dir, f))));
}

describe('privacy of the place searched (headless Chromium)', { skip: BASE_URL ? false : 'TIREK_URL is not set' }, () => {
  let en;
  let shymkent;
  let copied;
  let listedThere;

  before(async () => {
    en = await apiGet('/i18n/en.json');
    shymkent = (await apiGet('/api/settlements', { q: 'Shymkent', limit: 1 })).features[0];
  });

  it('searching, clicking and choosing needs keep the place out of the URL and the history', async () => {
    const browser = await launch();
    try {
      const origin = new URL(BASE_URL).origin;
      await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
      const page = await browser.context.newPage();
      const log = watch(browser.context, page, origin);
      await page.goto(`${BASE_URL}/`);
      await waitReady(page);
      const entries = await page.evaluate(() => history.length);

      await page.locator('#cw-search-input').fill('Shymkent');
      await page.locator('#cw-search-list [role="option"]').first().waitFor();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => window.__tirek.state.place);
      await waitResults(page);
      await page.locator('#filter-cmr_pep').check();
      await page.locator('#filter-female').check();
      await page.locator('#cw-svc-lang').selectOption('uz');
      await waitResults(page);
      const q = await shareParams(page);
      assert.equal(q.get('place'), 'Shymkent');
      assert.equal(q.get('f'), 'cmr_pep,female');
      for (const key of PRIVATE_KEYS) assert.equal(hashParams(page).get(key), null, `no ${key} in the address bar`);
      assert.equal(new URL(page.url()).search, '');

      // "Copy link": the only URL with the place, on the clipboard, not in the address bar.
      await page.locator('#cw-copy-link').click();
      await page.waitForFunction((msg) => document.querySelector('#cw-copy-status').textContent === msg, en.cw.linkCopied);
      copied = await page.evaluate(() => navigator.clipboard.readText());
      assert.equal(copied, await page.evaluate(() => window.__tirek.shareLink()));
      const linkParams = new URLSearchParams(new URL(copied).hash.slice(1));
      assert.equal(linkParams.get('place'), 'Shymkent');
      assert.equal(Number(linkParams.get('lon')), shymkent.geometry.coordinates[0]);
      assert.doesNotMatch(page.url(), /Shymkent|lon=/);
      listedThere = await listedResults(page);

      await clickPoint(page, ...CLICK);
      const clicked = await shareParams(page);
      for (const key of PRIVATE_KEYS) assert.equal(hashParams(page).get(key), null, `no ${key} after a click`);
      assert.equal(await page.evaluate(() => history.length), entries, 'no history entry added');
      assert.deepEqual(log.errors, []);

      // The browser's history database: Tirek's address, nothing of the places or needs.
      await page.waitForTimeout(500);
      await browser.context.close();
      const bytes = historyBytes(browser.userDataDir);
      assert.ok(bytes.includes(new URL(BASE_URL).host), 'the History database records the visit (the check is meaningful)');
      for (const secret of ['Shymkent', 'lon=', 'lat=', 'place=', 'cmr_pep', String(shymkent.geometry.coordinates[0]), clicked.get('lon'), clicked.get('lat')]) {
        assert.ok(!bytes.includes(secret), `History holds no ${JSON.stringify(secret)}`);
      }
    } finally {
      await browser.close();
    }
  });

  it('the shared link opens at the place with the same needs and results, then leaves the address bar', async () => {
    assert.ok(copied, 'a link was copied');
    const browser = await launch();
    try {
      const page = await browser.context.newPage();
      await page.goto(copied);
      await waitReady(page);
      await waitResults(page);
      assert.match(await page.locator('#cw-place-text').textContent(), /^Shymkent \(/);
      assert.equal(await page.locator('#filter-cmr_pep').isChecked(), true);
      assert.equal(await page.locator('#filter-female').isChecked(), true);
      assert.equal(await page.locator('#cw-svc-lang').inputValue(), 'uz');
      assert.deepEqual(await listedResults(page), listedThere);
      for (const key of PRIVATE_KEYS) assert.equal(hashParams(page).get(key), null, `${key} removed from the address bar`);
    } finally {
      await browser.close();
    }
  });
});
