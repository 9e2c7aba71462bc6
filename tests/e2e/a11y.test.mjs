// Accessibility and layout stability of the three views, desktop (1366×768) and phone
// (390×844), in headless Chromium against the server under test:
// - axe-core (npm package, injected through the DevTools protocol, so the page's CSP
//   stays as it is) finds no serious or critical violation; the moderate and minor ones
//   are printed (`# axe …`) for the record;
// - the first load of each view shifts its layout by at most 0.1 (cumulative layout
//   shift, from the browser's own layout-shift entries), the Web Vitals "good" bound.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BASE_URL, launch, watch, waitReady, waitResults } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const VIEWPORTS = { desktop: { width: 1366, height: 768 }, phone: { width: 390, height: 844 } };
const VIEWS = {
  caseworker: '#view=caseworker&lon=69.59&lat=42.32',
  planner: '#view=planner',
  donor: '#view=donor',
};

describe('accessibility and layout stability (headless Chromium)', { skip: BASE_URL ? false : 'TIREK_URL is not set' }, () => {
  let browser;
  let origin;
  const logs = [];

  before(async () => {
    origin = new URL(BASE_URL).origin;
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
  });

  async function open(view, viewport) {
    const p = await browser.context.newPage();
    await p.setViewportSize(viewport);
    await p.addInitScript(() => {
      window.localStorage.setItem('tirek.lang', 'en');
      window.__shifts = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts.push(e.value);
      }).observe({ type: 'layout-shift', buffered: true });
    });
    logs.push(watch(browser.context, p, origin));
    await p.goto(`${BASE_URL}/${VIEWS[view]}`);
    await waitReady(p);
    if (view === 'caseworker') await waitResults(p);
    else await p.waitForFunction((v) => document.querySelector(`#view-${v}`)?.dataset.loaded === 'true', view);
    return p;
  }

  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    for (const view of Object.keys(VIEWS)) {
      it(`${view} view, ${size}: no serious or critical axe violation; layout shift ≤ 0.1`, async () => {
        const p = await open(view, viewport);
        await p.waitForTimeout(500); // late shifts would show here
        const cls = await p.evaluate(() => window.__shifts.reduce((a, v) => a + v, 0));
        await p.evaluate(AXE);
        const result = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
        const found = result.violations.map((v) => ({
          id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
        }));
        console.log(`# axe ${view}/${size}: ${found.length ? found.map((v) => `${v.impact} ${v.id} (${v.nodes.length})`).join(', ') : 'none'}; layout shift ${cls.toFixed(3)}`);
        const blocking = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        assert.deepEqual(blocking, [], 'no serious or critical violation');
        assert.ok(cls <= 0.1, `cumulative layout shift ${cls.toFixed(3)} ≤ 0.1`);
        // The page has its one h1 and every notice inside a landmark.
        assert.equal(await p.locator('h1:visible').count(), 1);
        assert.equal(await p.locator('#demo-banner').evaluate((el) => !!el.closest('main, header, nav, aside, footer, [role="region"]')), true);
        await p.close();
      });
    }
  }

  it('on a phone the panel sits below the map before the map is parsed (no jump on first paint)', async () => {
    // The browser may paint the panel before the rest of the page (the map's element
    // comes after it) is parsed: the panel's place must not depend on the map's element.
    for (const view of Object.keys(VIEWS)) {
      const p = await open(view, VIEWPORTS.phone);
      const [withMap, withoutMap] = await p.evaluate(() => {
        const top = () => document.querySelector('#panel').getBoundingClientRect().top;
        const before = top();
        document.querySelector('.map-wrap').remove();
        return [before, top()];
      });
      assert.ok(withMap > 250, `${view}: the map comes first on a phone (panel at ${withMap}px)`);
      assert.equal(withoutMap, withMap, `${view}: the panel stays put without the map's element`);
      await p.close();
    }
  });

  it('the demo notice is in the page as served, not added after the first paint', async () => {
    const html = await (await fetch(`${BASE_URL}/`)).text();
    const meta = await (await fetch(`${BASE_URL}/api/meta`)).json();
    const tag = /<p id="demo-banner"[^>]*>/.exec(html)[0];
    assert.equal(/\shidden[\s>]/.test(tag), !(meta.demo_facilities > 0), tag);
    // And the labels are there in English before any script runs.
    assert.match(html, /<button[^>]*id="tab-caseworker"[^>]*>Caseworker<\/button>/);
  });

  it('raised no page error', () => {
    assert.deepEqual(logs.flatMap((l) => l.errors), []);
  });
});
