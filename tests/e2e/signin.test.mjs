// Signing in, the one-time password, and what a confidential shelter looks like to the
// public and to a caseworker, in headless Chromium against a real server.
//
// Env: TIREK_URL and TIREK_E2E_CASEWORKER_PASSWORD (the one-time password of the
// caseworker account e2e-caseworker, or TIREK_E2E_CASEWORKER; run-with-server.sh creates
// it); skipped without them. The one-time password works once: the test replaces it, so
// run it against a fresh server.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BASE_URL, HERE, SCREENSHOTS, launch, watch, apiGet, waitReady, waitResults, clickPoint, shareParams,
} from './lib.mjs';

const USER = process.env.TIREK_E2E_CASEWORKER || 'e2e-caseworker';
const ONE_TIME = process.env.TIREK_E2E_CASEWORKER_PASSWORD || '';
const WRONG = 'not-the-password-7731';
const WEAK = `${USER}-passphrase`; // long enough, but contains the user name: the server refuses it
const GOOD = 'Tirek correct horse 42 stable';
const shot = (name) => join(SCREENSHOTS, name);

// The fixture's confidential shelter (a shelter without "confidential": false).
const fixtures = JSON.parse(readFileSync(join(HERE, 'fixtures.geojson'), 'utf8'));
const SHELTER = fixtures.features.find((f) => f.properties.sectors.includes('shelter') && f.properties.confidential !== false);
const [SHELTER_LON, SHELTER_LAT] = SHELTER.geometry.coordinates;
// The place clicked: about 2 km south-west of the shelter (not on its own marker).
const CLICK = [SHELTER_LON - 0.02, SHELTER_LAT - 0.01];
const CLICK_ZOOM = 12;
const SECRETS = [SHELTER.properties.address, SHELTER.properties.phone, SHELTER.properties.name];

describe('signing in (headless Chromium)', {
  skip: !BASE_URL ? 'TIREK_URL is not set' : !ONE_TIME ? 'TIREK_E2E_CASEWORKER_PASSWORD is not set' : false,
}, () => {
  let browser;
  let page;
  let origin;
  let en;
  const logs = [];

  /** Everything the page holds as text: visible, hidden (the print slip) and the referral. */
  async function pageText() {
    return page.evaluate(() => `${document.documentElement.textContent}\n${document.body.innerText}\n${window.__tirek.referralText()}`);
  }

  async function assertMasked() {
    const text = await pageText();
    for (const s of SECRETS) assert.ok(!text.includes(s), `the page does not show ${JSON.stringify(s)}`);
    assert.equal(await page.locator(`li.result[data-facility-id="${SHELTER.properties.id}"]`).count(), 0);
    // The masked entry: the hotline and a distance band, no place, no line, no marker.
    const q = await shareParams(page);
    const answer = await apiGet('/api/nearest', { lon: q.get('lon'), lat: q.get('lat'), k: q.get('k') || 3 });
    const masked = answer.results.filter((r) => r.sector === 'shelter' && !r.facility.geometry);
    assert.ok(masked.length > 0, 'the public answer has a masked shelter near the click');
    const cards = page.locator('section[data-sector="shelter"] li.result.confidential');
    assert.equal(await cards.count(), masked.length);
    for (let i = 0; i < masked.length; i++) {
      const card = cards.nth(i);
      const cardText = await card.textContent();
      assert.ok(cardText.includes(en.result.maskedName), 'named "Confidential shelter"');
      assert.ok(cardText.includes(en.result.confidential), 'says to call the hotline');
      assert.equal(await card.locator('.distance').textContent(), en.result.distanceBand.replace('{band}', masked[i].distance_band));
      if (masked[i].facility.properties.hotline) {
        assert.equal(await card.locator('a.tel').first().textContent(), masked[i].facility.properties.hotline);
      }
      assert.equal(await card.locator('button', { hasText: en.result.showOnMap }).count(), 0, 'no "show on map"');
    }
    const located = answer.results.filter((r) => r.facility.geometry).length;
    assert.equal(await page.locator('.result-marker').count(), located, 'markers (and lines) for located results only');
  }

  async function openSignIn() {
    await page.locator('#account-signin').focus();
    await page.keyboard.press('Enter');
    await page.locator('#account-dialog[open] #signin-form:not([hidden])').waitFor();
  }

  before(async () => {
    origin = new URL(BASE_URL).origin;
    en = await apiGet('/i18n/en.json');
    browser = await launch();
    logs.push(watch(browser.context, null, origin));
    page = await browser.context.newPage();
    logs.push(watch(browser.context, page, origin));
    await page.goto(`${BASE_URL}/#view=caseworker&lang=en`);
    await waitReady(page);
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('anonymous: the confidential shelter near a click is shown only masked', async () => {
    const button = page.locator('#account-signin');
    await button.waitFor();
    assert.equal(await button.textContent(), en.account.signIn);
    assert.equal(await button.getAttribute('aria-haspopup'), 'dialog');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.locator('#account').getAttribute('aria-label'), en.account.group);
    await clickPoint(page, CLICK[0], CLICK[1], CLICK_ZOOM);
    await assertMasked();
  });

  it('a wrong password and too many attempts are explained as text; Escape closes', async () => {
    await openSignIn();
    assert.equal(await page.locator('#account-signin').getAttribute('aria-expanded'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'signin-username');
    assert.equal(await page.locator('#signin-username').getAttribute('autocomplete'), 'username');
    assert.equal(await page.locator('#signin-password').getAttribute('autocomplete'), 'current-password');
    assert.equal(await page.locator('#signin-password').getAttribute('type'), 'password');
    await page.keyboard.type(USER);
    await page.keyboard.press('Tab');
    await page.keyboard.type(WRONG);
    await page.keyboard.press('Enter');
    const error = page.locator('#signin-error');
    await error.waitFor();
    assert.equal(await error.textContent(), en.account.badCredentials);
    assert.equal(await page.locator('#signin-password').inputValue(), '', 'the password field is emptied');
    assert.equal(await page.locator('#signin-password').getAttribute('aria-invalid'), 'true');

    // The server's lock-out (stubbed here, so the real account is not locked): 429 + Retry-After.
    await page.route('**/api/login', (route) => route.fulfill({
      status: 429,
      headers: { 'Content-Type': 'application/json', 'Retry-After': '540' },
      body: JSON.stringify({ error: { code: 'rate_limited', message: 'too many failed sign-ins; try again in 540 s' } }),
    }), { times: 1 });
    await page.locator('#signin-password').fill(WRONG);
    await page.locator('#signin-form button[type="submit"]').click();
    await page.waitForFunction((want) => document.querySelector('#signin-error').textContent === want,
      en.account.rateLimited.other.replace('{count}', '9'));
    await page.keyboard.press('Escape');
    // The dialog's `close` event (which restores focus and aria-expanded) fires after
    // `open` turns false: wait for its effects rather than racing them.
    await page.waitForFunction(() => !document.querySelector('#account-dialog').open
      && document.querySelector('#account-signin').getAttribute('aria-expanded') === 'false');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'account-signin', 'focus back on the button');
    await assertMasked();
  });

  it('the one-time password signs in only to choose a new one (client and server checks)', async () => {
    await openSignIn();
    await page.locator('#signin-username').fill(USER);
    await page.locator('#signin-password').fill(ONE_TIME);
    await page.locator('#signin-form button[type="submit"]').click();
    await page.locator('#password-form:not([hidden])').waitFor();
    assert.equal(await page.locator('#signin-form').isVisible(), false);
    assert.equal(await page.locator('#password-title').textContent(), en.account.choosePassword);
    assert.equal(await page.locator('#password-current-label').textContent(), en.account.oneTimePassword);
    assert.equal(await page.locator('#password-intro').textContent(), en.account.oneTimeIntro);
    assert.equal(await page.locator('#account-dialog').getAttribute('aria-labelledby'), 'password-title');
    assert.equal(await page.locator('#password-new').getAttribute('autocomplete'), 'new-password');
    assert.equal(await page.locator('#password-repeat').getAttribute('autocomplete'), 'new-password');
    assert.equal(await page.locator('#account-who').textContent(), en.account.whoPending.replace('{name}', USER));
    assert.equal(await page.locator('#account').getAttribute('data-state'), 'pending');
    // Still public until the password is changed: nothing confidential arrives.
    assert.equal(await page.evaluate(() => document.body.dataset.role), 'public');
    await assertMasked();
    await page.screenshot({ path: shot('13-signin-new-password.png') });

    const error = page.locator('#password-error');
    const submit = page.locator('#password-form button[type="submit"]');
    const posts = () => logs.flatMap((l) => l.requests).filter((u) => u.endsWith('/api/password')).length;
    const before = posts();
    await page.locator('#password-current').fill(ONE_TIME);
    await page.locator('#password-new').fill('short');
    await page.locator('#password-repeat').fill('short');
    await submit.click();
    await error.waitFor();
    assert.equal(await error.textContent(), en.account.tooShort);
    await page.locator('#password-new').fill(GOOD);
    await page.locator('#password-repeat').fill(`${GOOD}!`);
    await submit.click();
    await page.waitForFunction((want) => document.querySelector('#password-error').textContent === want, en.account.mismatch);
    assert.equal(posts(), before, 'the client checks sent nothing');

    // The server refuses a password containing the user name (422): its message is shown.
    await page.locator('#password-new').fill(WEAK);
    await page.locator('#password-repeat').fill(WEAK);
    await submit.click();
    const prefix = en.account.refused.replace('{message}', '');
    await page.waitForFunction((p) => document.querySelector('#password-error').textContent.startsWith(p), prefix);
    assert.match(await error.textContent(), /user name/);
    assert.equal(await page.evaluate(() => document.body.dataset.role), 'public');

    await page.locator('#password-current').fill(ONE_TIME);
    await page.locator('#password-new').fill(GOOD);
    await page.locator('#password-repeat').fill(GOOD);
    await submit.click();
    await page.waitForFunction(() => !document.querySelector('#account-dialog').open);
    await page.waitForFunction(() => document.body.dataset.role === 'caseworker');
    await waitResults(page);
    assert.equal(await page.locator('#account-who').textContent(),
      en.account.who.replace('{name}', USER).replace('{role}', en.account.role.caseworker));
    assert.equal(await page.locator('#account-signout').isVisible(), true);
    assert.equal(await page.locator('#account-signin').isVisible(), false);
    assert.equal(await page.locator('#account').getAttribute('data-state'), 'signed-in');
  });

  it('signed in: the same click shows the shelter with address and phone, marked confidential', async () => {
    // The results already shown were asked for again after the sign-in…
    const card = page.locator(`li.result[data-facility-id="${SHELTER.properties.id}"]`);
    assert.equal(await card.count(), 1, 'the shelter is listed after signing in, without a new click');
    // …and the same click again gives the same.
    await page.locator('#cw-clear').click();
    await page.waitForFunction(() => !window.__tirek.shareLink().includes('lon='));
    await clickPoint(page, CLICK[0], CLICK[1], CLICK_ZOOM);
    assert.equal(await card.count(), 1);
    const text = await card.textContent();
    assert.ok(text.includes(SHELTER.properties.name), 'its name');
    assert.ok(text.includes(SHELTER.properties.address), 'its address');
    assert.equal(await card.locator('a.tel').first().textContent(), SHELTER.properties.phone);
    assert.equal(await card.locator('.confidential-exact-note').textContent(), en.result.confidentialExact);
    assert.match(await card.getAttribute('class'), /confidential-exact/);
    assert.equal(await page.locator(`.result-marker[title="${SHELTER.properties.name}"]`).count(), 1, 'a marker (and line) for it');
    // The referral slip carries the warning, in text and in print.
    const referral = await page.evaluate(() => window.__tirek.referralText());
    assert.ok(referral.includes(en.result.confidentialExact.toUpperCase()));
    assert.ok(referral.includes(SHELTER.properties.address));
    assert.equal(await page.locator('#referral-slip .slip-confidential').first().textContent(), en.result.confidentialExact);
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: shot('14-signin-shelter.png') });
  });

  it('signing out masks the shelter again', async () => {
    await page.locator('#account-signout').click();
    await page.waitForFunction(() => document.body.dataset.role === 'public');
    await waitResults(page);
    assert.equal(await page.locator('#account-signin').isVisible(), true);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'account-signin');
    assert.equal(await page.locator('#account-who').isVisible(), false);
    await assertMasked();
    // A fresh page (same browser) is signed out too: the session cookie is gone.
    const other = await browser.context.newPage();
    logs.push(watch(browser.context, other, origin));
    await other.goto(`${BASE_URL}/`);
    await waitReady(other);
    assert.equal(await other.locator('#account-signin').isVisible(), true);
    await other.close();
  });

  it('no password in a URL, storage or cookie the page can read; no request to another origin', async () => {
    const requests = logs.flatMap((l) => l.requests);
    for (const secret of [ONE_TIME, WRONG, WEAK, GOOD]) {
      const variants = [secret, encodeURIComponent(secret), new URLSearchParams({ p: secret }).toString().slice(2)];
      assert.ok(!requests.some((u) => variants.some((v) => u.includes(v))), 'no password in a request URL');
    }
    const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie, window.location.href]));
    for (const secret of [ONE_TIME, WRONG, WEAK, GOOD]) assert.ok(!stored.includes(secret), 'no password in storage or the URL');
    assert.ok(!stored.includes('tirek_session'), 'the session cookie is HttpOnly');
    const values = await page.$$eval('input[type="password"]', (els) => els.map((e) => e.value));
    assert.deepEqual(values.filter(Boolean), [], 'password inputs are empty');
    const foreign = logs.flatMap((l) => l.foreign);
    console.log(`# requests recorded: ${requests.length}, to other origins: ${foreign.length}`);
    assert.deepEqual(foreign, []);
    assert.deepEqual(logs.flatMap((l) => l.errors), []);
    assert.deepEqual(logs.flatMap((l) => l.csp), []);
    assert.deepEqual(logs.flatMap((l) => l.dialogs), []);
  });
});
