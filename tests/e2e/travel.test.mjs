// Travel time in the web map (issue #15), against a server whose store has travel
// scenarios (the built-in demo surfaces do): the planner switches from distance to
// travel time and its choropleth and table follow the API's answer by time; the
// travel-time layer draws; a caseworker card shows the minutes the API gives; the
// donor report can be asked by time. Skips when the server has no scenario.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PACKAGE } from '../../web/js/lib/coverage-model.js';
import { BASE_URL, launch, watch, apiGet, waitReady, waitResults } from './lib.mjs';

const [LON, LAT] = [69.6, 42.32]; // Shymkent

describe('travel time in the web map (headless Chromium)', { skip: BASE_URL ? false : 'TIREK_URL is not set' }, () => {
  let browser;
  let meta;
  let scenario;
  const logs = [];

  before(async () => {
    meta = await apiGet('/api/meta');
    scenario = (meta.travel_scenarios || [])[0]?.name;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  async function open(path) {
    const p = await browser.context.newPage();
    logs.push(watch(browser.context, p, new URL(BASE_URL).origin));
    await p.goto(`${BASE_URL}${path}`);
    await waitReady(p);
    return p;
  }

  async function waitPlanner(p) {
    await p.waitForFunction(() => {
      const el = document.querySelector('#view-planner');
      return el.dataset.loaded === 'true' && !el.hasAttribute('aria-busy');
    }, null, { timeout: 60000 });
  }

  /** The table's rows: code → share text, in the order shown. */
  async function tableRows(p) {
    return p.$$eval('#pl-table tbody tr[data-code]', (trs) => trs.map((tr) => ({
      code: tr.dataset.code, uncovered: Number(tr.querySelector('td[data-value]').dataset.value),
    })));
  }

  it('the planner switches to travel time: the table and the choropleth follow the answer by time', async (t) => {
    if (!scenario) return t.skip('the server has no travel scenario');
    const p = await open('/#view=planner');
    await waitPlanner(p);
    assert.equal(await p.locator('#pl-measure-field').isVisible(), true);
    const byDistance = await tableRows(p);
    const choroplethBefore = await p.evaluate(() => JSON.stringify(window.__tirek.map.getSource('coverage')._data));

    await p.selectOption('#pl-measure', scenario);
    await p.waitForFunction((s) => window.location.hash.includes(`by=${s}`), scenario);
    await waitPlanner(p);
    await p.waitForFunction(() => document.querySelector('#pl-thresholds').dataset.unit === 'min');
    const byTime = await tableRows(p);

    // The same numbers as the API by time, area by area.
    const params = {
      sectors: DEFAULT_PACKAGE.join(','), package: DEFAULT_PACKAGE.join(','), by: 'time', scenario,
    };
    const answer = await apiGet('/api/coverage', params);
    const expected = new Map(answer.areas.map((a) => [String(a.code), a.uncovered]));
    assert.equal(byTime.length, answer.areas.length);
    for (const row of byTime) assert.equal(row.uncovered, expected.get(row.code), `area ${row.code}`);
    // And not the distance figures: the measure changed what is shown.
    const changed = byTime.filter((r) => byDistance.find((d) => d.code === r.code)?.uncovered !== r.uncovered);
    assert.ok(changed.length > 0, 'some area has other figures by travel time');
    const choroplethAfter = await p.evaluate(() => JSON.stringify(window.__tirek.map.getSource('coverage')._data));
    assert.notEqual(choroplethAfter, choroplethBefore, 'the choropleth was redrawn');
    // Thresholds are minutes, from the answer's defaults.
    const health = await p.locator('#pl-th-health').inputValue();
    assert.equal(Number(health), answer.coverage.thresholds_min.health);

    // The travel-time layer (health has no confidential services, so the public sees it).
    await p.selectOption('#pl-travel-sector', 'health');
    await p.check('#pl-travel');
    await p.waitForFunction(() => !!window.__tirek.map.getLayer('travel-time'), null, { timeout: 60000 });
    assert.equal(await p.locator('#pl-travel-legend li').count(), 6);
    assert.match(await p.locator('#pl-travel-status').textContent(), /\d/);
    // Drawn: the map's pixels under the layer take its colours (Astana's cells, reached
    // within the classes' range, are not the choropleth's own colour any more).
    await p.evaluate(() => new Promise((resolve) => { window.__tirek.map.once('idle', resolve); window.__tirek.map.triggerRepaint(); }));
    const drawn = await p.evaluate(() => window.__tirek.map.getSource('travel-time')?.loaded?.() ?? false);
    assert.equal(drawn, true, 'the travel-time source loaded');
    await p.close();
  });

  it('the gap grid draws by travel time: the API’s gap cells by minutes', async (t) => {
    if (!scenario) return t.skip('the server has no travel scenario');
    const p = await open(`/#view=planner&by=${encodeURIComponent(scenario)}`);
    await waitPlanner(p);
    await p.waitForFunction(() => document.querySelector('#pl-thresholds').dataset.unit === 'min');
    // Health: no confidential services, so the public gets its figures per cell.
    await p.selectOption('#pl-subject', 'health');
    await waitPlanner(p);
    assert.equal(await p.locator('#pl-grid').isDisabled(), false, 'the grid is offered by time');
    assert.match(await p.locator('#pl-grid-hint').textContent(), /travel time/);
    await p.locator('#pl-grid-res').selectOption('4').catch(() => {});
    await p.locator('#pl-grid').check();
    await p.waitForFunction(() => document.querySelector('#pl-grid-status').dataset.state === 'ok', null, { timeout: 120000 });
    const res = Number(/grid=(\d)/.exec(await p.evaluate(() => window.location.hash))[1]);
    const sectors = 'health';
    const want = await apiGet('/api/gaps/grid', { res, sector: sectors, by: 'time', scenario });
    assert.equal(want.grid.by, 'time');
    assert.equal(want.grid.scenario, scenario);
    const gaps = want.features.filter((f) => f.properties.people_out_of_reach > 0).map((f) => f.properties.cell).sort();
    assert.ok(gaps.length > 0, 'the demo surface leaves some people beyond the default minutes');
    assert.match(await p.locator('#pl-grid-status').textContent(), new RegExp(`^${gaps.length} hexagons? `));
    const held = await p.evaluate(() => {
      const data = window.__tirek.map.getSource('gaps').serialize().data;
      return [...new Set((data.features || []).filter((f) => f.properties.covered === false).map((f) => f.properties.cell))].sort();
    });
    assert.deepEqual(held, gaps, 'the map holds exactly the gap cells by minutes');
    // And they are not the distance grid's gaps.
    const byDistance = await apiGet('/api/gaps/grid', { res, sector: sectors });
    const distanceGaps = byDistance.features.filter((f) => f.properties.people_out_of_reach > 0).map((f) => f.properties.cell).sort();
    assert.notDeepEqual(held, distanceGaps, 'the measure changed the gaps');
    await p.close();
  });

  it('a caseworker card shows the minutes the API gives for each scenario', async (t) => {
    if (!scenario) return t.skip('the server has no travel scenario');
    const answer = await apiGet('/api/nearest', { lon: LON, lat: LAT, sector: 'health', k: 3 });
    const first = answer.results.find((r) => r.travel_minutes_by_scenario);
    assert.ok(first, 'the API gives minutes per scenario');
    const p = await open(`/#view=caseworker&lon=${LON}&lat=${LAT}`);
    await waitResults(p);
    const card = p.locator(`li.result[data-facility-id="${first.facility.properties.id}"]`);
    const shown = await card.locator('.travel-time').allTextContents();
    const names = Object.keys(first.travel_minutes_by_scenario);
    assert.equal(shown.length, names.length);
    names.forEach((name, i) => {
      const minutes = first.travel_minutes_by_scenario[name];
      if (minutes == null) assert.match(shown[i], /not reachable/);
      else {
        const total = Math.round(minutes);
        const expected = total >= 60 ? String(Math.floor(total / 60)) : String(total);
        assert.ok(shown[i].includes(expected), `${shown[i]} shows ${minutes} min`);
      }
    });
    await p.close();
  });

  it('the donor report can be asked by travel time', async (t) => {
    if (!scenario) return t.skip('the server has no travel scenario');
    const p = await open('/#view=donor');
    await p.waitForFunction(() => document.querySelector('#view-donor').dataset.loaded === 'true', null, { timeout: 60000 });
    await p.selectOption('#dn-measure', scenario);
    // The report names its thresholds as travel times (en.json: planner.byTime).
    await p.waitForFunction(() => /Travel time/.test(document.querySelector('#dn-meta').textContent), null, { timeout: 60000 });
    const answer = await apiGet('/api/coverage', {
      sectors: meta.sectors.join(','), package: DEFAULT_PACKAGE.join(','), level: 0, by: 'time', scenario,
    });
    const row = await p.$$eval('#dn-countries tbody tr[data-code]', (trs) => trs.map((tr) => ({ code: tr.dataset.code, pop: tr.dataset.pop, covered: tr.querySelector('td[data-covered]').dataset.covered })));
    for (const r of row) {
      const a = answer.areas.find((x) => String(x.code) === r.code);
      assert.equal(Number(r.covered), a.pop_all, `country ${r.code}`);
    }
    await p.close();
  });

  it('made no request to another origin and raised no page error', () => {
    assert.deepEqual(logs.flatMap((l) => l.foreign), []);
    assert.deepEqual(logs.flatMap((l) => l.errors), []);
    assert.deepEqual(logs.flatMap((l) => l.csp), []);
  });
});
