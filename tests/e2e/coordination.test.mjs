// Referrals and unmet needs in the browser, end to end: a caseworker of a demo crisis
// centre records a referral from her nearest answer (to a facility of demo-kg-legal)
// and an unmet need in one click, and sees the referral in her follow-up list; the
// receiving organisation's editor accepts it in Manage; a planner sees it counted in
// the coordination view (table, map, CSV, print layout) — each checked against the API.
// The public sees none of the buttons nor the tab; the donor's country comparison
// shows "< 5" exactly where the public figures are hidden; axe-core finds no serious or
// critical violation on the coordination view.
//
// Env: TIREK_URL and the one-time passwords of e2e-co-caseworker (caseworker of
// demo-kg-crisis), e2e-co-editor (editor of demo-kg-legal) and e2e-co-planner
// (planner), which run-with-server.sh creates. Skipped without them.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BASE_URL, SCREENSHOTS, launch, watch, apiGet, waitReady, waitResults } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const CASEWORKER = process.env.TIREK_E2E_CO_CASEWORKER_PASSWORD;
const EDITOR = process.env.TIREK_E2E_CO_EDITOR_PASSWORD;
const PLANNER = process.env.TIREK_E2E_CO_PLANNER_PASSWORD;
const TO_ORG = 'demo-kg-legal';
const OLD_DAY = '2003-05-14';
const skip = !BASE_URL ? 'TIREK_URL is not set'
  : !CASEWORKER || !EDITOR || !PLANNER ? 'the e2e-co-* passwords are not set' : false;

describe('Coordination: record, accept, count (headless Chromium)', { skip }, () => {
  const browsers = [];
  const logs = [];
  let origin;
  let en;
  let target; // a legal-aid facility of demo-kg-legal
  let referralId;
  let referralArea; // the area code the referral counts in at level 2
  let unmetArea; // the nearest answer's area code
  let before2; // the planner's figures (level 2) before
  let caseworkerPage;
  let plannerPage;

  before(async () => {
    origin = new URL(BASE_URL).origin;
    en = await apiGet('/i18n/en.json');
    const fc = await apiGet('/api/facilities');
    target = fc.features.find((f) => f.properties.organisation_id === TO_ORG
      && f.properties.sectors.includes('legal') && f.geometry?.type === 'Point');
    assert.ok(target, `${TO_ORG} runs a located legal-aid service`);
  });

  after(async () => {
    for (const b of browsers) await b.close();
    for (const log of logs) {
      assert.deepEqual(log.errors, [], 'no page errors');
      assert.deepEqual(log.foreign, [], 'nothing from another origin');
      assert.deepEqual(log.csp, [], 'no CSP violation');
    }
  });

  async function browser(lang = 'en') {
    const b = await launch();
    browsers.push(b);
    const page = await b.context.newPage();
    await page.addInitScript((l) => window.localStorage.setItem('tirek.lang', l), lang);
    logs.push(watch(b.context, page, origin));
    return page;
  }

  /** A browser signed in as `username`, with a password of its own chosen. */
  async function signedIn(username, oneTime, lang) {
    const page = await browser(lang);
    const headers = { Origin: origin, 'Content-Type': 'application/json' };
    const login = await page.request.post(`${BASE_URL}/api/login`, { headers, data: { username, password: oneTime } });
    assert.equal(login.status(), 200, await login.text());
    const chosen = `chosen-${Math.random().toString(36).slice(2)}-secret-words`;
    const change = await page.request.post(`${BASE_URL}/api/password`, { headers, data: { current: oneTime, new: chosen } });
    assert.equal(change.status(), 200, await change.text());
    return page;
  }

  const getAs = async (page, path) => {
    const r = await page.request.get(`${BASE_URL}${path}`, { headers: { Accept: 'application/json' } });
    assert.equal(r.status(), 200, `${path}: ${await r.text()}`);
    return r.json();
  };

  /** The area row of `code` in figures (or zeros). */
  const areaOf = (figures, code) => figures.areas.find((a) => a.code === code)?.total;
  const shown = (c) => (c?.suppressed ? null : c?.count ?? 0);

  async function openCoordination(page) {
    await page.goto(`${BASE_URL}/#view=coordination`);
    await waitReady(page);
    await page.locator('#tab-coordination:not([hidden])').waitFor();
    await page.waitForFunction(() => document.querySelector('#view-coordination')?.dataset.loaded === 'true'
      && !document.querySelector('#view-coordination').hidden
      && !document.querySelector('#view-coordination').hasAttribute('aria-busy'));
  }

  it('the public sees no recording control and no coordination tab', async () => {
    const page = await browser();
    const [lon, lat] = target.geometry.coordinates;
    await page.goto(`${BASE_URL}/#view=coordination&lon=${lon}&lat=${lat}&k=1`);
    await waitReady(page);
    await waitResults(page);
    assert.equal(await page.locator('#tab-coordination').isHidden(), true, 'no tab');
    assert.equal(await page.locator('#view-coordination').isHidden(), true, 'the view falls back');
    assert.equal(await page.locator('#tab-caseworker').getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('.record-referral, .record-unmet').count(), 0, 'no recording control');
    const nearest = await apiGet('/api/nearest', { lon, lat, k: 1 });
    assert.equal(nearest.area ?? null, null, 'the public answer names no area');
    // The figures the public may ask for are regional and suppressed.
    const res = await fetch(`${BASE_URL}/api/coordination/figures?level=2`);
    assert.equal(res.status, 403);
  });

  it('the caseworker records a referral from a result card, with nothing about the person', async () => {
    plannerPage = await signedIn('e2e-co-planner', PLANNER);
    before2 = await getAs(plannerPage, `/api/coordination/figures?level=2&year=${new Date().getFullYear()}`);

    caseworkerPage = await signedIn('e2e-co-caseworker', CASEWORKER);
    const page = caseworkerPage;
    const [lon, lat] = target.geometry.coordinates;
    await page.goto(`${BASE_URL}/#view=caseworker&lon=${lon}&lat=${lat}&k=1`);
    await waitReady(page);
    await waitResults(page);
    const card = page.locator(`section[data-sector="legal"] li.result[data-facility-id="${target.properties.id}"]`);
    await card.getByRole('button', { name: en.record.referral }).click();
    const form = card.locator('form.record-form');
    await form.waitFor();
    // Only a date and a yes/no: no text field, no text area, no select.
    assert.equal(await form.locator('textarea, select, input[type="text"], input:not([type])').count(), 0, 'no free-text field');
    assert.deepEqual(await form.locator('input').evaluateAll((xs) => xs.map((x) => x.type)), ['date', 'radio', 'radio']);
    await form.getByRole('button', { name: en.record.save }).click();
    await form.getByText(en.record.consentNeeded).waitFor();
    await form.getByLabel(en.record.consentYes).check();
    await form.getByRole('button', { name: en.record.save }).click();
    const done = card.locator('.record-done:not(:empty)');
    await done.waitFor();
    const m = /#(\d+)/.exec(await done.textContent());
    assert.ok(m, 'the confirmation gives the referral number');
    referralId = Number(m[1]);
    const mine = await getAs(page, '/api/referrals?scope=mine');
    const r = mine.referrals.find((x) => x.id === referralId);
    assert.ok(r, 'listed as the organisation\'s');
    assert.equal(r.to_facility, target.properties.id);
    assert.equal(r.to_organisation, TO_ORG);
    assert.equal(r.from_organisation, 'demo-kg-crisis');
    assert.equal(r.sector, 'legal');
    assert.equal(r.consent_to_share, true);
    assert.equal(r.status, 'made');
    referralArea = r.area.district || r.area.region;

    // A referral made on an earlier day (a year with no other record: the donor's
    // comparison below shows it as "< 5"), without consent to share.
    await card.getByRole('button', { name: en.record.referral }).click();
    await form.locator('input[type="date"]').fill(OLD_DAY);
    await form.getByLabel(en.record.consentNo).check();
    await form.getByRole('button', { name: en.record.save }).click();
    await page.waitForFunction((n) => /#(\d+)/.exec(document.querySelector(`li.result[data-facility-id="${n}"] .record-done`)?.textContent || '')?.[1] !== undefined
      && !document.querySelector(`li.result[data-facility-id="${n}"] form.record-form`), target.properties.id);
    const old = (await getAs(page, '/api/referrals?scope=mine')).referrals.find((x) => x.made_on === OLD_DAY);
    assert.ok(old, 'recorded on the day chosen');
    assert.equal(old.consent_to_share, false);
    assert.notEqual(old.id, referralId);
  });

  it('the caseworker records an unmet need in one click from the same answer', async () => {
    const page = caseworkerPage;
    const [lon, lat] = target.geometry.coordinates;
    // Needs ticked: female staff (the unmet need must carry it).
    await page.goto(`${BASE_URL}/#view=caseworker&lon=${lon}&lat=${lat}&k=1&f=female`);
    await waitReady(page);
    await waitResults(page);
    const nearest = await getAs(page, `/api/nearest?lon=${lon}&lat=${lat}&k=1&female_staff=true`);
    assert.ok(nearest.area?.code, 'staff get the answer\'s area');
    unmetArea = nearest.area.code;
    const form = page.locator('form.record-unmet');
    await form.waitFor();
    assert.equal(await form.locator('textarea, select, input[type="text"]').count(), 0, 'no free-text field');
    assert.match(await form.textContent(), new RegExp(en.filter.female));
    const before = (await getAs(page, '/api/unmet-needs')).unmet_needs.length;
    for (const box of await form.locator('input[name="sector"]').all()) await box.setChecked(false);
    await form.locator('input[name="sector"][value="shelter"]').check();
    await form.getByRole('button', { name: en.record.unmet }).click();
    await form.locator('.record-done:not(:empty)').waitFor();
    const list = (await getAs(page, '/api/unmet-needs')).unmet_needs;
    assert.equal(list.length, before + 1);
    const need = list[0];
    assert.equal(need.sector, 'shelter');
    assert.equal(need.needs.female_staff, true);
    assert.equal(need.needs.open_24_7, false);
    assert.ok([need.area.district, need.area.region].includes(unmetArea), `counted in ${unmetArea}`);
  });

  it('the caseworker follows her referral up in the coordination view', async () => {
    const page = caseworkerPage;
    await openCoordination(page);
    const row = page.locator(`#co-mine-table tr[data-referral="${referralId}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'made');
    assert.match(await row.textContent(), new RegExp(en.coord.status.made));
    // Below a planner: no district level offered, and every count is the public's.
    const levels = await page.$$eval('#co-level option', (os) => os.map((o) => o.value));
    assert.deepEqual(levels, ['1', '0']);
    const pub = await getAs(page, '/api/coordination/figures?level=1');
    assert.equal(pub.audience, 'public');
    const hidden = pub.areas.filter((x) => x.total.referrals_made.suppressed);
    assert.ok(hidden.length >= 1, 'some region has a hidden count (demo data)');
    for (const x of pub.areas) {
      const cell = await page.locator(`#co-areas tr[data-code="${x.code}"] td[data-col="made"]`).textContent();
      if (x.total.referrals_made.suppressed) assert.equal(cell, '< 5', `${x.code} hidden`);
      else assert.equal(cell.replace(/\D/g, ''), String(x.total.referrals_made.count), x.code);
    }
    // No cell of a hidden count shows a number, anywhere in the view.
    const leaked = await page.$$eval('#view-coordination td[data-suppressed="true"]', (tds) => tds.filter((td) => td.textContent !== '< 5').length);
    assert.equal(leaked, 0);
  });

  it('the receiving organisation\'s editor accepts it in Manage', async () => {
    const page = await signedIn('e2e-co-editor', EDITOR);
    await page.goto(`${BASE_URL}/#view=manage`);
    await waitReady(page);
    await page.waitForFunction(() => document.querySelector('#view-manage')?.dataset.loaded === 'true');
    const item = page.locator(`#mg-incoming li[data-referral="${referralId}"]`);
    await item.waitFor();
    assert.equal(await item.locator('textarea, input[type="text"]').count(), 0, 'no free-text field');
    // The reasons offered are the fixed list.
    const reasons = await item.locator('select[name="reason"] option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    assert.deepEqual(reasons, ['not_eligible', 'no_capacity', 'outside_area', 'survivor_withdrew', 'referred_elsewhere', 'other']);
    assert.match(await item.textContent(), /Demo crisis centre NGO, Kyrgyzstan/, 'the referring organisation by name');
    await item.getByRole('button', { name: en.incoming.to.accepted }).click();
    await page.waitForFunction((id) => document.querySelector(`#mg-incoming li[data-referral="${id}"]`)?.dataset.status === 'accepted', referralId);
    // Now only what may follow acceptance is offered.
    const next = await item.locator('button[data-next]').evaluateAll((bs) => bs.map((b) => b.dataset.next));
    assert.deepEqual(next, ['service_provided', 'no_show']);
    const r = await getAs(page, `/api/referrals/${referralId}`);
    assert.equal(r.status, 'accepted');
    assert.ok(r.accepted_on, 'accepted on a day');
  });

  it('the planner sees it counted in the coordination view, on the map and in the CSV', async () => {
    const page = plannerPage;
    await openCoordination(page);
    assert.equal(await page.locator('#co-level').inputValue(), '2', 'planners start at the finest level');
    const after2 = await getAs(page, `/api/coordination/figures?level=2&year=${new Date().getFullYear()}`);
    const was = areaOf(before2, referralArea);
    const now = areaOf(after2, referralArea);
    assert.equal(now.referrals_made.count, (was?.referrals_made.count || 0) + 1, 'one more referral made');
    assert.equal(now.referrals_accepted.count, (was?.referrals_accepted.count || 0) + 1, 'one more accepted');
    const unmetWas = areaOf(before2, unmetArea)?.unmet_needs.count || 0;
    assert.equal(areaOf(after2, unmetArea).unmet_needs.count, unmetWas + 1, 'one more unmet need');
    // The page shows the API's numbers.
    const fmt = (n) => new Intl.NumberFormat('en').format(n);
    const row = page.locator(`#co-areas tr[data-code="${referralArea}"]`);
    assert.equal(await row.locator('td[data-col="made"]').textContent(), fmt(now.referrals_made.count));
    assert.equal(await row.locator('td[data-col="accepted"]').textContent(), fmt(now.referrals_accepted.count));
    const unmetRow = page.locator(`#co-areas tr[data-code="${unmetArea}"]`);
    assert.equal(await unmetRow.locator('td[data-col="unmet"]').textContent(), fmt(areaOf(after2, unmetArea).unmet_needs.count));
    // The five countries side by side: the planner's own (unsuppressed) counts.
    assert.ok(after2.countries.length >= 5, 'the figures name the five countries');
    for (const c of after2.countries) {
      for (const [rowKey, key] of [['made', 'referrals_made'], ['accepted', 'referrals_accepted'], ['unmet', 'unmet_needs']]) {
        const text = await page.locator(`#co-countries tr[data-row="${rowKey}"] td[data-code="${c.country}"]`).textContent();
        assert.equal(text, fmt(c[key].count), `${c.country} ${key} beside the others`);
      }
    }
    // Programmes for perpetrators are compared like any sector.
    assert.equal(await page.locator('#co-countries tr[data-row="sector-perpetrator_programme"] td').count(), after2.countries.length);
    // The selected area: the pathway crisis centre (psychosocial) → demo-kg-legal.
    await row.locator('button.co-area').click();
    const pathway = page.locator(`#co-detail table[data-table="pathways"] tr[data-sector="legal"][data-to="${TO_ORG}"]`).first();
    await pathway.waitFor();
    const p = now.pathways.filter((x) => x.sector === 'legal' && x.to_organisation === TO_ORG);
    assert.ok(p.length >= 1, 'the pathway is counted');
    // The unmet-needs layer holds the area with its count.
    const onMap = await page.evaluate((code) => {
      const features = window.__tirek.map.querySourceFeatures('unmet');
      return features.filter((f) => f.properties.code === code).map((f) => f.properties.count);
    }, unmetArea);
    assert.ok(onMap.length >= 1 && onMap.every((c) => c === areaOf(after2, unmetArea).unmet_needs.count), `map: ${onMap}`);
    // The CSV link is the server's, with the level and year shown.
    const href = await page.locator('#co-csv').getAttribute('href');
    assert.match(href, /format=csv/);
    assert.match(href, /level=2/);
    const csv = await page.request.get(`${BASE_URL}${href}`);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /text\/csv/);
    // Printed: the report alone, no controls.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('.map-wrap').isVisible(), false);
    assert.equal(await page.locator('#co-year').isVisible(), false);
    assert.equal(await page.locator('#co-areas').isVisible(), true);
    await page.screenshot({ path: join(SCREENSHOTS, 'coordination-print-en.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    await page.screenshot({ path: join(SCREENSHOTS, 'coordination-en.png') });
  });

  it('the coordination view has no serious or critical axe violation', async () => {
    const page = plannerPage;
    await openCoordination(page);
    await page.locator('#co-areas tbody tr button.co-area').first().click();
    await page.evaluate(AXE);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const blocking = (r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    assert.deepEqual(blocking(result), [], 'desktop');
    // On a phone, with the five tabs wrapped.
    await page.setViewportSize({ width: 390, height: 844 });
    const phone = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    assert.deepEqual(blocking(phone), [], 'phone');
    const tab = await page.locator('#tab-coordination').boundingBox();
    assert.ok(tab.x >= 0 && tab.x + tab.width <= 390, 'the tab is on the screen');
    await page.setViewportSize({ width: 1366, height: 768 });
  });

  it('in Russian: the view and its print layout', async () => {
    const page = await browser('ru');
    // The planner's session cookie, shared with a Russian-language page.
    const cookies = await plannerPage.context().cookies();
    await page.context().addCookies(cookies);
    await openCoordination(page);
    const ru = await apiGet('/i18n/ru.json');
    assert.equal(await page.locator('#view-coordination h2').textContent(), ru.coord.heading);
    assert.equal(await page.locator('#tab-coordination').textContent(), ru.nav.coordination);
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: join(SCREENSHOTS, 'coordination-print-ru.png'), fullPage: true });
  });

  it('the donor\'s country comparison shows "< 5" exactly where the public figures are hidden', async () => {
    const page = await browser();
    await page.goto(`${BASE_URL}/#view=donor`);
    await waitReady(page);
    await page.locator('#dn-compare table').waitFor();
    // The year of the one old referral: Kyrgyzstan's single referral is hidden.
    await page.locator('#dn-year').selectOption(OLD_DAY.slice(0, 4));
    await page.locator(`#dn-compare caption:has-text("${OLD_DAY.slice(0, 4)}")`).waitFor();
    // As the public gets them, whoever asks.
    const pub = await apiGet('/api/coordination/figures', { level: 0, year: OLD_DAY.slice(0, 4) });
    assert.equal(pub.audience, 'public');
    const kg = pub.countries.find((c) => c.country === 'KG');
    assert.equal(kg.referrals_made.suppressed, true, 'one referral is a hidden count');
    assert.equal(await page.locator('#dn-compare tr[data-row="made"] td[data-code="KG"]').textContent(), '< 5');
    let checked = 0;
    for (const c of pub.countries) {
      for (const [row, key] of [['made', 'referrals_made'], ['accepted', 'referrals_accepted'], ['unmet', 'unmet_needs']]) {
        const cell = page.locator(`#dn-compare tr[data-row="${row}"] td[data-code="${c.country}"]`);
        const text = await cell.textContent();
        if (c[key].suppressed) assert.equal(text, '< 5', `${c.country} ${key} hidden`);
        else assert.equal(text.replace(/\D/g, ''), String(c[key].count), `${c.country} ${key}`);
        checked++;
      }
    }
    assert.ok(checked >= 15, 'five countries, three counts each');
    // The coverage per sector sits beside them, from the same coverage answer; programmes
    // for perpetrators are a sector like the others there, outside the minimum package.
    assert.equal(await page.locator('#dn-compare tr[data-row="sector-health"] td').count(), pub.countries.length);
    const meta = await apiGet('/api/meta');
    const coverage = await apiGet('/api/coverage', { level: 0, sectors: meta.sectors.join(',') });
    assert.ok(meta.sectors.includes('perpetrator_programme'));
    assert.ok(!coverage.coverage.package.includes('perpetrator_programme'), 'not in the minimum package');
    for (const a of coverage.areas) {
      const text = await page.locator(`#dn-compare tr[data-row="sector-perpetrator_programme"] td[data-code="${a.code}"]`).textContent();
      const share = a.sectors.perpetrator_programme?.share;
      assert.ok(Number.isFinite(share), `${a.code}: the coverage answer has the sector`);
      assert.ok(Math.abs(parseFloat(text.replace(/[^\d.]/g, '')) - share * 100) <= 0.051, `${a.code}: its share within reach (${text}, ${share})`);
    }
  });
});
