// Unit tests of the pure planner / donor helpers (web/js/lib/coverage-model.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  shareClass, shareClasses, shareColor, SHARE_COLORS, NO_DATA_COLOR,
  bbox, plannerRows, sortRows, joinAreas, csvCell, toCsv, plannerCsv,
} from '../../web/js/lib/coverage-model.js';

test('share classes cover [0, 1] without gaps; null is no data', () => {
  assert.equal(shareClass(0), 0);
  assert.equal(shareClass(1), SHARE_COLORS.length - 1);
  assert.equal(shareClass(null), null);
  assert.equal(shareClass(Number.NaN), null);
  const classes = shareClasses();
  assert.equal(classes[0].from, 0);
  assert.equal(classes.at(-1).to, 1);
  for (let i = 1; i < classes.length; i++) assert.equal(classes[i].from, classes[i - 1].to);
  for (const c of classes) assert.equal(shareClass(c.from), classes.indexOf(c));
  for (const c of classes) assert.equal(shareColor(c.from), c.color);
  assert.equal(shareColor(null), NO_DATA_COLOR);
  assert.equal(shareColor(undefined), NO_DATA_COLOR);
});

test('bbox of nested polygons', () => {
  assert.deepEqual(bbox({ type: 'MultiPolygon', coordinates: [[[[1, 2], [3, -1], [0, 5], [1, 2]]], [[[10, 0], [11, 1], [10, 1], [10, 0]]]] }), [0, -1, 11, 5]);
  assert.equal(bbox(null), null);
});

const answer = {
  coverage: { level: 1 },
  areas: [
    { code: 'A', name: 'A', pop_total: 100, pop_all: 50, share_all: 0.5, uncovered: 50, rank_uncovered: 2, rank_share: 1, sectors: { health: { pop_covered: 90, share: 0.9, facilities: 2 }, police: { pop_covered: 50, share: 0.5, facilities: 1 } } },
    { code: 'B', name: 'B', pop_total: 1000, pop_all: 900, share_all: 0.9, uncovered: 100, rank_uncovered: 1, rank_share: 2, sectors: { health: { pop_covered: 950, share: 0.95, facilities: 5 }, police: { pop_covered: 900, share: 0.9, facilities: 3 } } },
  ],
};

test('planner rows, sorting by the API ranks, join and CSV', () => {
  const rows = plannerRows(answer, 'package');
  assert.deepEqual(rows.map((r) => [r.code, r.share, r.facilities]), [['A', 0.5, 3], ['B', 0.9, 8]]);
  const health = plannerRows(answer, 'health');
  assert.deepEqual(health.map((r) => [r.pop_covered, r.share, r.facilities]), [[90, 0.9, 2], [950, 0.95, 5]]);
  assert.deepEqual(sortRows(rows, 'uncovered').map((r) => r.code), ['B', 'A']);
  assert.deepEqual(sortRows(rows, 'share').map((r) => r.code), ['A', 'B']);
  assert.deepEqual(sortRows(rows, 'share', true).map((r) => r.code), ['B', 'A']);
  const fc = joinAreas(rows, { features: [{ properties: { code: 'B' }, geometry: { type: 'Polygon', coordinates: [] } }] });
  assert.equal(fc.features.length, 1);
  assert.equal(fc.features[0].properties.value, 0.9);
  const csv = plannerCsv(sortRows(rows, 'uncovered'), { subject: 'package', level: 1, thresholdsKm: { health: 30 }, dataVersion: 7 });
  const lines = csv.trim().split('\r\n');
  assert.equal(lines.length, 3);
  assert.ok(lines[1].startsWith('B,B,1000,900,0.9,100,8,1,2,package,1,health:30,7'));
});

test('CSV cells are quoted and formula-safe', () => {
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
  assert.equal(csvCell(-5), '-5');
  assert.equal(csvCell(null), '');
  assert.equal(toCsv(['a'], [[1]]), 'a\r\n1\r\n');
});
