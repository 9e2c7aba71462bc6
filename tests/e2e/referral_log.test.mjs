// Unit tests of the pure helpers of the referral and unmet-needs logs
// (web/js/lib/referral-log.js): the unmet need's body from the need filters, the legal
// next statuses, the text of a hidden count and the unmet-needs map classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  unmetNeedBody, nextStatuses, countText, unmetClass, unmetClasses, unmetFeatures, UNMET_COLORS,
  STATUSES, DECLINE_REASONS, today,
} from '../../web/js/lib/referral-log.js';
import { FILTERS } from '../../web/js/lib/config.js';

test('an unmet need carries the ticked needs, the area and the day, nothing else', () => {
  const body = unmetNeedBody({
    sector: 'health', area: 'KG-01', filters: FILTERS.map((f) => f.code), svcLang: 'ky', day: '2026-01-02',
  });
  assert.deepEqual(body, {
    sector: 'health', area: 'KG-01', recorded_on: '2026-01-02', services: ['cmr_pep'], languages: ['ky'],
    open_24_7: true, female_staff: true, child_friendly: true, wheelchair_access: true, free_of_charge: true,
    no_police_report_required: true,
  });
  // CMR/PEP narrows health only; no filter, no flag.
  assert.deepEqual(unmetNeedBody({ sector: 'shelter', area: 'X', filters: ['cmr_pep'], day: '2026-01-02' }),
    { sector: 'shelter', area: 'X', recorded_on: '2026-01-02' });
  // No day: the server takes its own today.
  assert.deepEqual(unmetNeedBody({ sector: 'legal', area: 'X', filters: [] }), { sector: 'legal', area: 'X' });
  // An unknown filter code (a tampered URL) adds nothing.
  assert.deepEqual(unmetNeedBody({ sector: 'police', area: 'X', filters: ['name', 'female'], day: 'd' }),
    { sector: 'police', area: 'X', recorded_on: 'd', female_staff: true });
});

test('the next statuses are the server\'s legal transitions', () => {
  assert.deepEqual(nextStatuses('made'), ['accepted', 'declined', 'no_show']);
  assert.deepEqual(nextStatuses('accepted'), ['service_provided', 'no_show']);
  for (const s of ['service_provided', 'declined', 'no_show']) assert.deepEqual(nextStatuses(s), []);
  assert.equal(STATUSES.length, 5);
  assert.equal(DECLINE_REASONS.length, 6);
});

test('a hidden count reads "< 5"; a shown one its number', () => {
  assert.equal(countText({ count: null, suppressed: true }), '< 5');
  assert.equal(countText({ count: 12, suppressed: false }), '12');
  assert.equal(countText({ count: 0, suppressed: false }), '0');
  assert.equal(countText(null), '–');
  assert.equal(countText({ count: 1200, suppressed: false }, 5, (n) => `#${n}`), '#1200');
});

test('the unmet-needs classes cover every count, zero apart', () => {
  assert.equal(unmetClass(0), 0);
  assert.equal(unmetClass(1), 1);
  assert.equal(unmetClass(4), 1);
  assert.equal(unmetClass(5), 2);
  assert.equal(unmetClass(1e6), UNMET_COLORS.length - 1);
  assert.equal(unmetClass(null), null);
  const classes = unmetClasses();
  assert.equal(classes.length, UNMET_COLORS.length);
  for (let i = 1; i < classes.length; i++) assert.equal(classes[i].from, classes[i - 1].to);
  for (const c of classes) assert.equal(unmetClass(c.from), classes.indexOf(c));
});

test('map features join the figures to outlines by code; hidden counts carry none', () => {
  const square = { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] };
  const outlines = [{ features: [{ properties: { code: 'A' }, geometry: square }, { properties: { code: 'B' }, geometry: square }] }];
  const sc = (count) => ({ count, suppressed: count === null });
  const figures = {
    areas: [
      { code: 'A', total: { unmet_needs: sc(7), unmet_by_sector: [{ sector: 'health', count: sc(3) }] } },
      { code: 'B', total: { unmet_needs: sc(null), unmet_by_sector: [{ sector: 'health', count: sc(null) }] } },
      { code: 'C', total: { unmet_needs: sc(9), unmet_by_sector: [] } },
    ],
  };
  const all = unmetFeatures(figures, outlines, null);
  assert.deepEqual(all.features.map((f) => f.properties), [{ code: 'A', count: 7 }, { code: 'B' }]);
  const health = unmetFeatures(figures, outlines, 'health');
  assert.deepEqual(health.features.map((f) => f.properties), [{ code: 'A', count: 3 }, { code: 'B' }]);
});

test('today is a YYYY-MM-DD day', () => {
  assert.equal(today(new Date(2026, 0, 5, 23, 59)), '2026-01-05');
});
