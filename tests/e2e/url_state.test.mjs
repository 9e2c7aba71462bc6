// Unit tests of the shareable URL state (web/js/lib/url-state.js) and of the /api/nearest
// requests the caseworker view makes for a set of needs (web/js/views/caseworker.js is
// DOM-bound, so the request builder is checked through the e2e tests instead).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHash, formatHash, shareLink, PRIVATE_KEYS } from '../../web/js/lib/url-state.js';

test('parses the documented example', () => {
  const s = parseHash('#view=caseworker&lon=68.25&lat=43.30&lang=ru&f=cmr_pep,24_7');
  assert.equal(s.view, 'caseworker');
  assert.equal(s.lon, 68.25);
  assert.equal(s.lat, 43.3);
  assert.equal(s.lang, 'ru');
  assert.deepEqual(s.filters, ['cmr_pep', '24_7']);
  assert.equal(s.k, 3);
});

test('round-trips and drops what it does not know', () => {
  const s = parseHash('#view=planner&lon=200&lat=43&f=cmr_pep,bogus,cmr_pep&sl=xx&k=99&lang=<b>');
  assert.equal(s.view, 'planner');
  assert.equal(s.lon, null);
  assert.deepEqual(s.filters, ['cmr_pep']);
  assert.equal(s.svcLang, '');
  assert.equal(s.k, 3);
  assert.equal(s.lang, null);
  const t = { view: 'caseworker', lon: 68.123456, lat: 43.3, place: 'Turkistan & co', lang: 'en', filters: ['24_7', 'cmr_pep'], svcLang: 'uz', k: 5 };
  const hash = formatHash(t, { share: true });
  assert.equal(hash, '#view=caseworker&lon=68.12346&lat=43.3&place=Turkistan+%26+co&lang=en&f=cmr_pep,24_7&sl=uz&k=5');
  const back = parseHash(hash);
  assert.deepEqual({ ...back }, {
    ...t, lon: 68.12346, filters: ['cmr_pep', '24_7'], subject: 'package', thresholds: {}, by: '', minutes: {}, grid: null, sort: 'uncovered', rev: false,
  });
});

test('planner state: sector, thresholds, grid and sort round-trip; junk is dropped', () => {
  const s = parseHash('#view=planner&sector=health&th=health:25,police:7.5,bogus:3,legal:-1&grid=5&sort=share&rev=1');
  assert.equal(s.subject, 'health');
  assert.deepEqual(s.thresholds, { health: 25, police: 7.5 });
  assert.equal(s.grid, 5);
  assert.equal(s.sort, 'share');
  assert.equal(s.rev, true);
  assert.equal(formatHash(s), '#view=planner&sector=health&th=health:25,police:7.5&grid=5&sort=share&rev=1');
  const d = parseHash('#view=planner&sector=nope&grid=9&sort=name');
  assert.deepEqual([d.subject, d.grid, d.sort, d.rev], ['package', null, 'uncovered', false]);
  assert.equal(formatHash(d), '#view=planner');
});

test('planner state by travel time: scenario and minutes round-trip; junk is dropped', () => {
  const s = parseHash('#view=planner&by=walking&tm=health:90,police:0,bogus:5,shelter:240');
  assert.equal(s.by, 'walking');
  assert.deepEqual(s.minutes, { health: 90, shelter: 240 });
  assert.equal(formatHash(s), '#view=planner&by=walking&tm=health:90,shelter:240');
  assert.equal(parseHash('#view=planner&by=Walk%20ing').by, '');
});

test('unknown view falls back to caseworker', () => {
  assert.equal(parseHash('#view=admin').view, 'caseworker');
  assert.equal(parseHash('').view, 'caseworker');
});

test('the address bar never gets the place or the needs; a shared link does', () => {
  const t = parseHash('#view=caseworker&lon=69.6&lat=42.3&place=Shymkent&lang=kk&f=cmr_pep,female&sl=uz&k=5');
  const plain = formatHash(t);
  assert.equal(plain, '#view=caseworker&lang=kk');
  for (const key of PRIVATE_KEYS) assert.equal(new URLSearchParams(plain.slice(1)).get(key), null, key);
  const link = shareLink(t, { origin: 'https://tirek.example', pathname: '/' });
  assert.equal(link, 'https://tirek.example/#view=caseworker&lon=69.6&lat=42.3&place=Shymkent&lang=kk&f=cmr_pep,female&sl=uz&k=5');
  assert.deepEqual(parseHash(new URL(link).hash), t, 'a shared link opens at the same place with the same needs');
  // Planner state is not private and stays in the address bar.
  assert.equal(formatHash(parseHash('#view=planner&sector=health&grid=5')), '#view=planner&sector=health&grid=5');
});
