// What a new user tripped over (issue "field-ready"), each checked in headless Chromium
// at desktop (1366×768) and phone (390×844) size against the server under test:
// results brought into view after a search, place names on the map that cover neither
// each other nor the numbered markers, the selected place in the middle with every
// line on the map, markers that never hide each other, "closed now" with the next
// opening and the nearest service open now, the planner's package rows saying which
// sector holds them down, no overflow of the planner's thresholds or the donor's
// figures on a phone, the donor report's map printed with its legend, and the referral
// slip naming the place of a map click.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  BASE_URL, launch, watch, apiGet, waitReady, waitResults, clickPoint,
} from './lib.mjs';

const DESKTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };
// Shymkent: several services of each sector nearby, some at the same address.
const SHYMKENT = [69.59, 42.32];

function overlap(a, b, slack = 1) {
  return a.x + slack < b.x + b.width && b.x + slack < a.x + a.width
    && a.y + slack < b.y + b.height && b.y + slack < a.y + a.height;
}

describe('field-ready details (headless Chromium)', { skip: BASE_URL ? false : 'TIREK_URL is not set' }, () => {
  let browser;
  let origin;
  let en;
  const logs = [];

  async function openPage(path, viewport = DESKTOP, { clock } = {}) {
    const p = await browser.context.newPage();
    await p.setViewportSize(viewport);
    // English, whatever an earlier test chose (the choice is remembered per browser).
    await p.addInitScript(() => window.localStorage.setItem('tirek.lang', 'en'));
    if (clock) await p.clock.setFixedTime(clock);
    logs.push(watch(browser.context, p, origin));
    await p.goto(`${BASE_URL}${path}`);
    await waitReady(p);
    return p;
  }

  /** Types a settlement's name, picks the first suggestion with Enter, waits for results. */
  async function search(p, name) {
    const input = p.locator('#cw-search-input');
    await input.fill(name);
    await p.locator('#cw-search-list [role="option"]').first().waitFor();
    const before = await p.evaluate(() => window.__tirek.shareLink());
    await p.keyboard.press('Enter');
    await p.waitForFunction((u) => window.__tirek.shareLink() !== u, before);
    await waitResults(p);
  }

  before(async () => {
    origin = new URL(BASE_URL).origin;
    en = await apiGet('/i18n/en.json');
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
  });

  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    it(`after a search the results are in view (${name})`, async () => {
      const p = await openPage('/', viewport);
      await search(p, 'Shymkent');
      await p.waitForFunction(() => {
        const r = document.querySelector('#view-caseworker .results-title').getBoundingClientRect();
        return r.top >= -1 && r.bottom <= window.innerHeight;
      }, null, { timeout: 5000 });
      const first = await p.locator('#cw-results li.result').first().boundingBox();
      assert.ok(first && first.y <= viewport.height - 160, `the first result is on screen (y=${first?.y})`);
      await p.close();
    });
  }

  it('the map names places, in the interface language, never over each other or a result number', async () => {
    const p = await openPage(`/#view=caseworker&lon=${SHYMKENT[0]}&lat=${SHYMKENT[1]}&k=5`);
    await waitResults(p);
    await p.waitForFunction(() => document.querySelectorAll('.map-label:not([hidden])').length >= 3);
    const labels = await p.$$eval('.map-label:not([hidden])', (els) => els.map((e) => {
      const r = e.getBoundingClientRect();
      return { text: e.textContent, x: r.x, y: r.y, width: r.width, height: r.height };
    }));
    const mapBox = await p.locator('#map').boundingBox();
    // Every label names a settlement the server has, and lies on the map.
    const settlements = await apiGet('/api/settlements', { limit: 1000 });
    const names = new Set(settlements.features.map((f) => f.properties.name));
    for (const l of labels) {
      assert.ok(names.has(l.text), `"${l.text}" is a settlement's name`);
      assert.ok(l.x >= mapBox.x - 1 && l.x + l.width <= mapBox.x + mapBox.width + 1, `"${l.text}" is inside the map`);
    }
    for (let i = 0; i < labels.length; i += 1) {
      for (let j = i + 1; j < labels.length; j += 1) {
        assert.ok(!overlap(labels[i], labels[j]), `"${labels[i].text}" and "${labels[j].text}" do not overlap`);
      }
    }
    const markers = await p.$$eval('.result-marker:not([hidden])', (els) => els.map((e) => {
      const r = e.getBoundingClientRect();
      return { text: e.textContent, x: r.x, y: r.y, width: r.width, height: r.height };
    }));
    assert.ok(markers.length > 0);
    for (const l of labels) {
      for (const m of markers) assert.ok(!overlap(l, m, 2), `label "${l.text}" leaves marker ${m.text} visible`);
    }
    // The largest settlement with room for its name (well inside the map, away from the
    // markers and the selected place) is named: the biggest come first.
    const points = await p.evaluate((features) => {
      const map = window.__tirek.map;
      const canvas = map.getCanvas().getBoundingClientRect();
      return features.map((f) => {
        const pt = map.project(f.geometry.coordinates);
        return { name: f.properties.name, population: f.properties.population, x: canvas.x + pt.x, y: canvas.y + pt.y };
      });
    }, settlements.features);
    const centres = markers.map((m) => ({ x: m.x + m.width / 2, y: m.y + m.height / 2 }));
    const legend = await p.locator('#legend').boundingBox();
    const roomy = points.filter((s) => s.x > mapBox.x + 150 && s.x < mapBox.x + mapBox.width - 150
      && s.y > mapBox.y + 40 && s.y < mapBox.y + mapBox.height - 40
      && !(s.x < legend.x + legend.width + 150 && s.y < legend.y + legend.height + 20)
      && centres.every((c) => Math.hypot(c.x - s.x, c.y - s.y) > 60))
      .sort((a, b) => b.population - a.population);
    assert.ok(roomy.length > 0, 'some settlement has room for its name');
    assert.ok(labels.some((l) => l.text === roomy[0].name), `${roomy[0].name} (the largest with room) is labelled`);
    const inView = [roomy[0]];
    // In Russian the same places carry their Russian names where the data has them.
    await p.locator('#lang-select').selectOption('ru');
    await p.waitForFunction(() => document.documentElement.lang === 'ru');
    const ruNames = new Map(settlements.features.map((f) => [f.properties.name, f.properties.names?.ru || f.properties.name_ru || f.properties.name]));
    await p.waitForFunction((expected) => [...document.querySelectorAll('.map-label:not([hidden])')]
      .some((e) => e.textContent === expected), ruNames.get(inView[0].name));
    await p.close();
  });

  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    it(`the selected place sits in the middle and every result lies on the map (${name})`, async () => {
      const p = await openPage('/', viewport);
      await clickPoint(p, 68.25, 43.3, 6);
      const geometry = await p.evaluate(() => {
        const map = window.__tirek.map;
        const s = window.__tirek.state;
        const canvas = map.getCanvas().getBoundingClientRect();
        const pt = map.project([s.lon, s.lat]);
        return { canvas: { x: canvas.x, y: canvas.y, width: canvas.width, height: canvas.height }, point: { x: canvas.x + pt.x, y: canvas.y + pt.y } };
      });
      const { canvas, point } = geometry;
      // The free part of the map: the legend may take the left or top edge.
      assert.ok(point.x > canvas.x + canvas.width * 0.2 && point.x < canvas.x + canvas.width * 0.85, `place x=${point.x} is central`);
      assert.ok(point.y > canvas.y + canvas.height * 0.2 && point.y < canvas.y + canvas.height * 0.85, `place y=${point.y} is central`);
      const markers = await p.$$eval('.result-marker:not([hidden])', (els) => els.map((e) => {
        const r = e.getBoundingClientRect();
        return { x: r.x + r.width / 2, y: r.y + r.height / 2, sector: e.style.getPropertyValue('--sector-color') };
      }));
      assert.ok(markers.length >= 3, 'results have markers');
      const hotline = await p.$$eval('#cw-results section[data-sector="hotline"] li.result', (els) => els.length);
      const framed = markers.length - hotline;
      const inside = markers.filter((m) => m.x >= canvas.x && m.x <= canvas.x + canvas.width && m.y >= canvas.y && m.y <= canvas.y + canvas.height);
      assert.ok(inside.length >= framed, `${inside.length} of ${markers.length} markers on the map (hotlines excepted: ${hotline})`);
      await p.close();
    });
  }

  it('result markers never cover each other, at any zoom', async () => {
    const p = await openPage(`/#view=caseworker&lon=${SHYMKENT[0]}&lat=${SHYMKENT[1]}&k=5`);
    await waitResults(p);
    for (const zoom of [5, 7, 9, 12]) {
      await p.evaluate((z) => new Promise((resolve) => {
        const map = window.__tirek.map;
        map.once('idle', resolve);
        map.jumpTo({ zoom: z });
      }), zoom);
      const boxes = await p.$$eval('.result-marker:not([hidden])', (els) => els.map((e) => {
        const r = e.getBoundingClientRect();
        return { n: e.textContent, x: r.x, y: r.y, width: r.width, height: r.height };
      }));
      assert.ok(boxes.length >= 10, `${boxes.length} markers`);
      // Round markers: apart when their centres are a diameter apart.
      for (let i = 0; i < boxes.length; i += 1) {
        for (let j = i + 1; j < boxes.length; j += 1) {
          const [a, b] = [boxes[i], boxes[j]];
          const gap = Math.hypot(a.x + a.width / 2 - b.x - b.width / 2, a.y + a.height / 2 - b.y - b.height / 2);
          assert.ok(gap >= a.width - 0.5, `zoom ${zoom}: marker ${a.n} and ${b.n} do not overlap (${gap.toFixed(1)} px apart)`);
        }
      }
      // And each number can be clicked: the topmost element at its centre is itself.
      const hidden = await p.$$eval('.result-marker:not([hidden])', (els) => els.filter((e) => {
        const r = e.getBoundingClientRect();
        const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return top !== e && r.x >= 0 && r.y >= 0 && r.x + r.width <= window.innerWidth && r.y + r.height <= window.innerHeight;
      }).map((e) => e.textContent));
      assert.deepEqual(hidden, [], `zoom ${zoom}: every number on screen is on top`);
    }
    await p.close();
  });

  it('closed now: the card says when it opens, and names the nearest service open now', async () => {
    // Sunday 6 December 2026, 10:00 in Almaty (UTC+5).
    const sunday = new Date('2026-12-06T05:00:00Z');
    const p = await openPage(`/#view=caseworker&lon=${SHYMKENT[0]}&lat=${SHYMKENT[1]}&k=1&f=cmr_pep`, DESKTOP, { clock: sunday });
    await waitResults(p);
    const answer = await apiGet('/api/nearest', { lon: SHYMKENT[0], lat: SHYMKENT[1], sector: 'health', services: 'cmr_pep', k: 50 });
    const first = answer.results[0].facility.properties;
    const card = p.locator('#cw-results section[data-sector="health"] li.result').first();
    if (first.opening_hours === '24/7') {
      assert.equal(await card.locator('.hours').textContent(), en.hours.always);
      await p.close();
      return;
    }
    // Weekday-only hours (the demo data's "Mo-Sa 08:00-20:00" / "Mo-Fr 09:00-18:00").
    const opens = /^Mo-Sa (\d\d:\d\d)/.exec(first.opening_hours) ? /^Mo-Sa (\d\d:\d\d)/.exec(first.opening_hours)[1]
      : /^Mo-Fr (\d\d:\d\d)/.exec(first.opening_hours)[1];
    assert.equal(await card.locator('.hours').textContent(), en.hours.opensTomorrow.replace('{time}', opens));
    // The nearest open now: the first of the 50 nearest whose hours are 24/7 (on a Sunday
    // morning no weekday-only demo service is open).
    const open = answer.results.find((r) => r.facility.properties.opening_hours === '24/7');
    assert.ok(open, 'some CMR/PEP service nearby is open around the clock');
    const hint = p.locator('#cw-results section[data-sector="health"] .open-alternative');
    await hint.waitFor();
    const text = await hint.textContent();
    assert.ok(text.includes(open.facility.properties.name), `names ${open.facility.properties.name}: ${text}`);
    const km = (open.distance_m / 1000);
    const shown = km < 10 ? km.toFixed(1) : String(Math.round(km));
    assert.ok(text.includes(shown), `gives its distance (${shown} km): ${text}`);
    await p.close();
  });

  it('the planner says which sector holds a package row down', async () => {
    const p = await openPage('/#view=planner');
    await p.waitForFunction(() => document.querySelector('#view-planner')?.dataset.loaded === 'true');
    const coverage = await apiGet('/api/coverage', {});
    const rows = await p.$$eval('#pl-table tbody tr', (trs) => trs.map((tr) => ({
      code: tr.dataset.code, note: tr.querySelector('.limiting')?.textContent || null,
    })));
    assert.ok(rows.length > 5);
    let alone = 0;
    for (const row of rows) {
      const area = coverage.areas.find((a) => String(a.code) === row.code);
      const shares = ['health', 'psychosocial', 'police', 'shelter'].map((s) => [s, area.sectors[s].share]).sort((a, b) => a[1] - b[1]);
      const lowest = en.sector[shares[0][0]];
      assert.ok(row.note && row.note.includes(lowest), `${row.code}: "${row.note}" names ${lowest}`);
      const lowestPrefix = en.planner.lowestSector.split('{')[0];
      if (shares[1][1] - shares[0][1] >= 0.1) {
        alone += 1;
        assert.ok(!row.note.startsWith(lowestPrefix), `${row.code}: says ${lowest} alone holds it: ${row.note}`);
      } else {
        assert.ok(row.note.startsWith(lowestPrefix), `${row.code}: names the lowest sector: ${row.note}`);
      }
    }
    console.log(`# package rows held down by one sector alone: ${alone} of ${rows.length}`);
    await p.close();
  });

  it('on a phone, the planner thresholds and the donor figures fit the screen', async () => {
    const p = await openPage('/#view=planner', PHONE);
    await p.waitForFunction(() => document.querySelector('#view-planner')?.dataset.loaded === 'true');
    const wide = async (selector) => p.$$eval(selector, (els) => els.map((e) => {
      const r = e.getBoundingClientRect();
      return { id: e.id || e.className, right: r.right, scroll: e.scrollWidth - e.clientWidth };
    }));
    for (const box of await wide('#pl-thresholds, #pl-thresholds .th')) {
      assert.ok(box.right <= PHONE.width + 0.5, `${box.id} ends at ${box.right}px`);
      assert.ok(box.scroll <= 0, `${box.id} does not scroll sideways`);
    }
    await p.locator('#tab-donor').click();
    await p.waitForFunction(() => document.querySelectorAll('#dn-totals .kpi').length > 0);
    for (const box of await wide('#dn-totals, #dn-totals .kpi')) {
      assert.ok(box.right <= PHONE.width + 0.5, `${box.id} ends at ${box.right}px`);
      assert.ok(box.scroll <= 0, `${box.id} does not scroll sideways`);
    }
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
    await p.close();
  });

  it('the donor report prints its map with the legend, and no chart alone on a page', async () => {
    const p = await openPage('/#view=donor');
    await p.waitForFunction(() => document.querySelectorAll('#dn-charts .chart-box').length > 0);
    await p.waitForFunction(() => !document.querySelector('#dn-map-img').hidden, null, { timeout: 10000 });
    await p.emulateMedia({ media: 'print' });
    const figure = await p.evaluate(() => {
      const fig = document.querySelector('.report-map');
      const style = getComputedStyle(fig);
      return {
        shown: style.display !== 'none',
        breakInside: style.breakInside,
        legendItems: fig.querySelectorAll('.report-map-legend li').length,
        img: !!fig.querySelector('img:not([hidden])'),
      };
    });
    assert.ok(figure.shown && figure.img, 'the map is printed');
    assert.equal(figure.breakInside, 'avoid');
    assert.ok(figure.legendItems >= 5, `its legend is printed with it (${figure.legendItems} classes)`);
    // The charts are kept together, and both they and the map fit a printed page
    // (A4 less 15 mm margins: 267 mm = 1009 px at 96 px per inch), so neither is split
    // and no chart is left alone on a page.
    const page = 267 / 25.4 * 96;
    const blocks = await p.evaluate(() => ['#dn-charts', '.report-map'].map((sel) => {
      const el = document.querySelector(sel);
      return { sel, height: el.getBoundingClientRect().height, breakInside: getComputedStyle(el).breakInside };
    }));
    for (const b of blocks) {
      assert.equal(b.breakInside, 'avoid', `${b.sel} is not split`);
      assert.ok(b.height > 50 && b.height < page, `${b.sel} fits a page (${Math.round(b.height)} px)`);
    }
    const pdf = await p.pdf({ format: 'A4', printBackground: true });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page\b/g) || []).length;
    const regions = await p.$$eval('#dn-regions tbody tr', (trs) => trs.length);
    // Page 1: figures and countries; page 2: charts and map; then the regions table.
    assert.ok(pages >= 2 && pages <= 2 + Math.ceil(regions / 20), `${pages} pages for ${regions} regions`);
    await p.close();
  });

  it('the referral slip of a map click names the nearest place', async () => {
    const p = await openPage('/');
    await clickPoint(p, 69.65, 42.35, 8);
    const settlements = await apiGet('/api/settlements', { limit: 1000 });
    const text = await p.waitForFunction(() => {
      const t = window.__tirek.referralText();
      return /from|in /.test(t.split('\n').find((l) => l.startsWith('Place')) || '') ? t : null;
    }, null, { timeout: 5000 }).then((h) => h.jsonValue());
    const placeLine = text.split('\n').find((l) => l.startsWith('Place'));
    const named = settlements.features.filter((f) => placeLine.includes(f.properties.name));
    assert.ok(named.length >= 1, `the place line names a settlement: ${placeLine}`);
    await p.close();
  });

  it('the planner prints the referral pathway of the selected area, in the interface language', async () => {
    const p = await openPage('/#view=planner');
    await p.waitForFunction(() => document.querySelector('#view-planner')?.dataset.loaded === 'true');
    assert.equal(await p.locator('#pl-pathway-html').getAttribute('aria-disabled'), 'true', 'nothing to print before an area is chosen');
    const row = p.locator('#pl-table tbody tr[data-code]').first();
    const code = await row.getAttribute('data-code');
    await row.click();
    const href = await p.locator('#pl-pathway-html').getAttribute('href');
    const url = new URL(href, BASE_URL);
    assert.equal(url.pathname, '/api/pathway');
    assert.equal(url.searchParams.get('area'), code);
    assert.equal(url.searchParams.get('lang'), 'en');
    // The page it opens is the server's printable pathway of that area: the same as the
    // API's JSON lists, sector by sector.
    const [doc] = await Promise.all([
      browser.context.waitForEvent('page'),
      p.locator('#pl-pathway-html').click(),
    ]);
    await doc.waitForLoadState();
    const json = await apiGet('/api/pathway', { area: code, lang: 'en', format: 'json' });
    const text = await doc.locator('body').innerText();
    for (const s of json.sectors) {
      assert.ok(text.includes(s.label), `the printed page has the ${s.label} section`);
      for (const e of s.entries.slice(0, 3)) assert.ok(text.includes(e.name), `and lists ${e.name}`);
    }
    const pdf = await doc.pdf({ format: 'A4' });
    assert.ok(pdf.length > 1000, 'it prints to PDF');
    await doc.close();
    // In Russian the link asks for the Russian document.
    await p.locator('#lang-select').selectOption('ru');
    await p.waitForFunction(() => new URL(document.querySelector('#pl-pathway-html').href).searchParams.get('lang') === 'ru');
    const csv = await (await fetch(new URL(await p.locator('#pl-pathway-csv').getAttribute('href'), BASE_URL))).text();
    assert.ok(csv.split('\n').length > 2, 'the CSV has rows');
    await p.close();
  });

  it('the planner prints a district\'s referral pathway, listing the services inside it', async (t) => {
    const districtsUrl = (process.env.TIREK_DISTRICTS_URL || '').replace(/\/+$/, '');
    if (!districtsUrl) {
      t.skip('TIREK_DISTRICTS_URL is not set (run-with-server.sh starts a server with districts)');
      return;
    }
    const get = async (path) => {
      const res = await fetch(new URL(path, `${districtsUrl}/`));
      assert.equal(res.status, 200, path);
      return res.json();
    };
    // The test districts, read from the fixture the server imported: boxes.
    const fixture = JSON.parse(await readFile(new URL('./districts.geojson', import.meta.url), 'utf8'));
    const boxes = new Map(fixture.features.map((f) => {
      const ring = f.geometry.coordinates[0];
      const xs = ring.map((c) => c[0]);
      const ys = ring.map((c) => c[1]);
      return [f.properties.code, { name: f.properties.name, x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) }];
    }));

    const p = await browser.context.newPage();
    await p.setViewportSize(DESKTOP);
    await p.addInitScript(() => window.localStorage.setItem('tirek.lang', 'en'));
    logs.push(watch(browser.context, p, new URL(districtsUrl).origin));
    await p.goto(`${districtsUrl}/#view=planner`);
    await waitReady(p);
    await p.waitForFunction(() => document.querySelector('#view-planner')?.dataset.loaded === 'true');
    // The planner's finest level is now the districts: its rows are the three of them.
    const codes = await p.locator('#pl-table tbody tr[data-code]').evaluateAll((rows) => rows.map((r) => r.dataset.code));
    assert.deepEqual([...codes].sort(), [...boxes.keys()].sort(), 'the planner lists the districts');
    const code = 'E2E-SHY';
    await p.locator(`#pl-table tbody tr[data-code="${code}"]`).click();
    const href = await p.locator('#pl-pathway-html').getAttribute('href');
    assert.equal(new URL(href, districtsUrl).searchParams.get('area'), code);
    const [doc] = await Promise.all([browser.context.waitForEvent('page'), p.locator('#pl-pathway-html').click()]);
    await doc.waitForLoadState();
    const json = await get(`/api/pathway?area=${code}&lang=en&format=json`);
    assert.equal(json.area.level, 2, 'a district');
    assert.equal(json.area.name, boxes.get(code).name);

    // Independently: the public services whose point lies in the district's box, per
    // sector (the country's hotlines, listed for every area, come from elsewhere).
    const box = boxes.get(code);
    const facilities = await get('/api/export?format=geojson');
    const inside = new Map();
    for (const f of facilities.features) {
      const [x, y] = f.geometry?.coordinates || [];
      if (x === undefined || x < box.x0 || x > box.x1 || y < box.y0 || y > box.y1) continue;
      for (const sector of f.properties.sectors) {
        if (!inside.has(sector)) inside.set(sector, new Set());
        inside.get(sector).add(f.properties.name);
      }
    }
    assert.ok([...inside.values()].some((s) => s.size > 0), 'the test district holds demo services');
    const text = await doc.locator('body').innerText();
    assert.ok(text.includes(box.name), 'the printed page names the district');
    for (const [sector, names] of inside) {
      const section = json.sectors.find((s) => s.sector === sector);
      assert.ok(section, `the pathway has a ${sector} section`);
      const listed = new Set(section.entries.filter((e) => !e.via_hotline).map((e) => e.name));
      assert.deepEqual([...listed].sort(), [...names].sort(), `${sector}: exactly the services inside the district`);
      for (const name of names) assert.ok(text.includes(name), `the printed page lists ${name}`);
    }
    const pdf = await doc.pdf({ format: 'A4' });
    assert.ok(pdf.length > 1000, 'it prints to PDF');
    await doc.close();
    await p.close();
  });

  it('where WebGL is drawn in software the map is drawn at half resolution, its HTML as sharp', async () => {
    const p = await openPage('/');
    await p.waitForFunction(() => window.__tirek.map?.loaded());
    const seen = await p.evaluate(() => {
      // The renderer, asked of a context of this test's own.
      const gl = document.createElement('canvas').getContext('webgl2');
      const info = gl.getExtension('WEBGL_debug_renderer_info');
      const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      const canvas = window.__tirek.map.getCanvas();
      return {
        renderer,
        dpr: window.devicePixelRatio,
        cssWidth: canvas.clientWidth,
        width: canvas.width,
        marker: getComputedStyle(document.querySelector('.maplibregl-ctrl-zoom-in')).display,
      };
    });
    const software = /swiftshader|llvmpipe|softpipe|software|basic render/i.test(seen.renderer);
    const ratio = software ? 0.5 : seen.dpr;
    assert.ok(Math.abs(seen.width - seen.cssWidth * ratio) <= 1,
      `renderer ${seen.renderer}: canvas ${seen.width} px for ${seen.cssWidth} CSS px (ratio ${ratio})`);
    assert.notEqual(seen.marker, 'none', 'the controls are HTML, drawn at the screen\'s resolution');
    await p.close();
  });

  it('raised no page error and made no request to another origin', () => {
    assert.deepEqual(logs.flatMap((l) => l.errors), []);
    assert.deepEqual(logs.flatMap((l) => l.foreign), []);
    assert.deepEqual(logs.flatMap((l) => l.csp), []);
  });
});
