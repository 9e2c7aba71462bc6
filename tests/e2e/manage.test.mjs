// Interagency stewardship in the browser: an agency editor proposes a change to her
// organisation's service and confirms her records due for verification; the public
// reports a problem from a result card; the coordinator approves the proposal from the
// review queue (before and after side by side) and resolves the report. Each step is
// checked against the API, as the public sees it.
//
// Env: TIREK_URL, TIREK_E2E_EDITOR_PASSWORD (one-time password of `e2e-editor`, an
// editor of demo-kg-legal) and TIREK_E2E_COORDINATOR_PASSWORD (of `e2e-coordinator`, a
// planner); run-with-server.sh adds both accounts (TIREK_E2E_EDITOR and
// TIREK_E2E_COORDINATOR name other ones). Skipped without them.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, launch, watch, apiGet, waitReady, waitResults } from './lib.mjs';

const EDITOR = process.env.TIREK_E2E_EDITOR_PASSWORD;
const COORDINATOR = process.env.TIREK_E2E_COORDINATOR_PASSWORD;
const ORG = 'demo-kg-legal';
const skip = !BASE_URL ? 'TIREK_URL is not set' : !EDITOR || !COORDINATOR ? 'the e2e editor and coordinator passwords are not set' : false;

describe('Manage: propose, review, verify, report (headless Chromium)', { skip }, () => {
  const browsers = [];
  const logs = [];
  let origin;
  let en;
  let target;
  let newPhone;
  let proposalId;

  before(async () => {
    origin = new URL(BASE_URL).origin;
    en = await apiGet('/i18n/en.json');
    const fc = await apiGet('/api/facilities');
    const mine = fc.features.filter((f) => f.properties.organisation_id === ORG);
    assert.ok(mine.length >= 2, `${ORG} has services`);
    target = mine.find((f) => f.properties.verified_at >= '2026-06-01') || mine[0];
    newPhone = `+996 555 ${String(Date.now()).slice(-6)}`;
  });

  after(async () => {
    for (const b of browsers) await b.close();
  });

  /** A browser of its own (its own cookies), signed in as `username` with a password of its own. */
  async function signedIn(username, oneTime) {
    const browser = await launch();
    browsers.push(browser);
    const page = await browser.context.newPage();
    await page.addInitScript(() => window.localStorage.setItem('tirek.lang', 'en'));
    logs.push(watch(browser.context, page, origin));
    const headers = { Origin: origin, 'Content-Type': 'application/json' };
    const login = await page.request.post(`${BASE_URL}/api/login`, { headers, data: { username, password: oneTime } });
    assert.equal(login.status(), 200, await login.text());
    const chosen = `chosen-${Math.random().toString(36).slice(2)}-secret-words`;
    const change = await page.request.post(`${BASE_URL}/api/password`, { headers, data: { current: oneTime, new: chosen } });
    assert.equal(change.status(), 200, await change.text());
    return page;
  }

  async function openManage(page) {
    await page.goto(`${BASE_URL}/#view=manage`);
    await waitReady(page);
    await page.locator('#tab-manage:not([hidden])').waitFor();
    await page.waitForFunction(() => document.querySelector('#view-manage')?.dataset.loaded === 'true'
      && !document.querySelector('#view-manage').hidden);
  }

  it('the editor proposes a change; the public still sees the approved record', async () => {
    const page = await signedIn(process.env.TIREK_E2E_EDITOR || 'e2e-editor', EDITOR);
    await openManage(page);
    assert.equal(await page.locator('#tab-manage').getAttribute('aria-selected'), 'true');
    const item = page.locator(`#mg-services li[data-facility-id="${target.properties.id}"]`);
    await item.waitFor();
    // Only the organisation's own services are listed.
    const listed = await page.$$eval('#mg-services li[data-facility-id]', (lis) => lis.map((li) => li.dataset.facilityId));
    const fc = await apiGet('/api/facilities');
    assert.deepEqual(listed.sort(), fc.features.filter((f) => f.properties.organisation_id === ORG).map((f) => f.properties.id).sort());
    await item.getByRole('button', { name: en.manage.edit }).click();
    const phone = item.locator('input[name="phone"]');
    assert.equal(await phone.inputValue(), target.properties.phone);
    await phone.fill(newPhone);
    await item.getByRole('button', { name: en.manage.save }).click();
    await item.locator('.mg-result:not(:empty)').waitFor();
    const said = await item.locator('.mg-result').textContent();
    const m = /#(\d+)/.exec(said) || /№ (\d+)/.exec(said);
    assert.ok(m, `a proposal number is given: ${said}`);
    proposalId = Number(m[1]);
    const publicView = await apiGet(`/api/facilities/${target.properties.id}`);
    assert.equal(publicView.properties.phone, target.properties.phone, 'the public still sees the approved phone');
  });

  it('the editor confirms every record due for verification at once', async () => {
    const page = browsers[0].context.pages().at(-1);
    await openManage(page);
    const due = await page.$$eval('#mg-due li[data-facility-id]', (lis) => lis.map((li) => li.dataset.facilityId));
    assert.ok(due.length >= 1, 'something is due (a demo record verified in January)');
    await page.locator('#mg-verify-all').click();
    await page.locator('#mg-due .mg-none').waitFor();
    const today = new Date().toISOString().slice(0, 10);
    for (const id of due) {
      const f = await apiGet(`/api/facilities/${id}`);
      assert.equal(f.properties.verified_at, today, `${id} verified today`);
    }
  });

  it('the public reports a problem from a result card, without an account', async () => {
    const browser = await launch();
    browsers.push(browser);
    const page = await browser.context.newPage();
    logs.push(watch(browser.context, page, origin));
    const [lon, lat] = target.geometry.coordinates;
    await page.goto(`${BASE_URL}/#view=caseworker&lon=${lon}&lat=${lat}&k=1`);
    await waitReady(page);
    await waitResults(page);
    const card = page.locator(`li.result[data-facility-id="${target.properties.id}"]`);
    await card.getByRole('button', { name: en.report.open }).click();
    await card.locator('select[name="kind"]').selectOption('wrong_phone');
    await card.locator('textarea[name="text"]').fill('The number rings out.');
    await card.getByRole('button', { name: en.report.send }).click();
    await card.getByText(en.report.thanks).waitFor();
  });

  it('the coordinator approves the proposal (before and after shown) and resolves the report', async () => {
    const page = await signedIn(process.env.TIREK_E2E_COORDINATOR || 'e2e-coordinator', COORDINATOR);
    await openManage(page);
    const item = page.locator(`#mg-queue li[data-proposal="${proposalId}"]`);
    await item.waitFor();
    const row = item.locator('tr.changed', { hasText: 'phone' });
    assert.equal(await row.locator('td').nth(0).textContent(), target.properties.phone);
    assert.equal(await row.locator('td').nth(1).textContent(), newPhone);
    await item.getByRole('button', { name: en.manage.approve }).click();
    await item.locator('.mg-result:not(:empty)').waitFor();
    const publicView = await apiGet(`/api/facilities/${target.properties.id}`);
    assert.equal(publicView.properties.phone, newPhone, 'published after approval');

    const report = page.locator('#mg-reports li[data-report]', { hasText: target.properties.id }).last();
    await report.waitFor();
    const reportId = Number(await report.getAttribute('data-report'));
    assert.match(await report.textContent(), /The number rings out\./);
    await report.locator('input').fill('Number corrected.');
    await report.getByRole('button', { name: en.manage.resolve }).click();
    await report.getByText(en.manage.reportDecided.resolved).waitFor();
    const open = await page.evaluate(async () => (await fetch('/api/reports?status=open')).json());
    assert.ok(!open.reports.some((r) => r.id === reportId), `report ${reportId} is no longer open`);

    // Freshness per organisation, as the API counts it, and the list to chase.
    const fresh = await page.evaluate(async () => (await fetch('/api/freshness')).json());
    const orgRow = fresh.organisations.find((r) => r.group === ORG);
    const shown = page.locator(`#mg-freshness table[data-by="organisations"] tr[data-group="${orgRow.group}"] td`);
    assert.equal(await shown.nth(0).textContent(), String(orgRow.facilities));
    assert.equal(await shown.nth(1).textContent(), String(orgRow.overdue));
    const csv = await page.evaluate(async (href) => (await fetch(href)).text(), await page.locator('#mg-chase-csv').getAttribute('href'));
    assert.ok(csv.split('\n')[0].includes(','), 'the chase list is CSV');
  });

  it('a caseworker has no Manage tab; no page error anywhere', async () => {
    const browser = await launch();
    browsers.push(browser);
    const page = await browser.context.newPage();
    await page.goto(`${BASE_URL}/#view=manage`);
    await waitReady(page);
    assert.equal(await page.locator('#tab-manage').isHidden(), true);
    assert.equal(await page.locator('#view-manage').isHidden(), true, 'the public lands on the caseworker view');
    assert.deepEqual(logs.flatMap((l) => l.errors), []);
  });
});
