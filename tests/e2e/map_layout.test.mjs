// Unit tests, in node, of the map's pure layout helpers: fanning out result markers that
// would cover each other (web/js/lib/spread.js) and choosing place labels that cover
// neither each other nor the markers (web/js/lib/place-labels.js). Inputs are seeded
// random scenes; every answer is checked by brute force over all pairs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spreadOffsets, MARKER_SIZE } from '../../web/js/lib/spread.js';
import { placeLabels, labelWidth } from '../../web/js/lib/place-labels.js';

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('markers apart stay put; markers on one spot are fanned out a marker apart', () => {
  const apart = [[0, 0], [40, 0], [0, 40]];
  assert.deepEqual(spreadOffsets(apart), [[0, 0], [0, 0], [0, 0]]);
  const same = Array.from({ length: 6 }, () => [100, 100]);
  const offsets = spreadOffsets(same);
  const placed = same.map((p, i) => [p[0] + offsets[i][0], p[1] + offsets[i][1]]);
  for (let i = 0; i < 6; i += 1) {
    for (let j = i + 1; j < 6; j += 1) {
      assert.ok(Math.hypot(placed[i][0] - placed[j][0], placed[i][1] - placed[j][1]) >= MARKER_SIZE);
    }
  }
  // The first marker (lowest number) is on top of its circle.
  assert.ok(placed[0][1] < 100 && Math.abs(placed[0][0] - 100) < 1e-9);
});

test('no two markers overlap after spreading, in random crowded scenes', () => {
  const random = rng(7);
  for (let scene = 0; scene < 200; scene += 1) {
    const n = 2 + Math.floor(random() * 40);
    const spread = 20 + random() * 300;
    const points = Array.from({ length: n }, () => [random() * spread, random() * spread]);
    const offsets = spreadOffsets(points);
    const placed = points.map((p, i) => [p[0] + offsets[i][0], p[1] + offsets[i][1]]);
    for (let i = 0; i < n; i += 1) {
      assert.ok(Number.isFinite(placed[i][0]) && Number.isFinite(placed[i][1]));
      for (let j = i + 1; j < n; j += 1) {
        const d = Math.hypot(placed[i][0] - placed[j][0], placed[i][1] - placed[j][1]);
        assert.ok(d >= MARKER_SIZE - 1e-6, `scene ${scene}: ${i} and ${j} ${d.toFixed(2)} px apart`);
      }
    }
  }
});

const overlaps = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

test('labels never overlap each other or a reserved box, stay on the map, biggest first', () => {
  const random = rng(11);
  for (let scene = 0; scene < 100; scene += 1) {
    const width = 300 + random() * 900;
    const height = 200 + random() * 600;
    const names = ['Shymkent', 'Turkistan', 'Arys', 'Kentau', 'Lenger', 'Sayram', 'Zhetysai', 'Ош', 'Қызылорда'];
    const candidates = Array.from({ length: 5 + Math.floor(random() * 120) }, (_, i) => ({
      key: i, text: names[i % names.length], x: random() * width, y: random() * height, rank: Math.floor(random() * 1e6),
    }));
    const reserved = Array.from({ length: Math.floor(random() * 8) }, () => {
      const x = random() * width; const y = random() * height;
      return { x0: x - 14, y0: y - 14, x1: x + 14, y1: y + 14 };
    });
    const placed = placeLabels(candidates, { width, height, reserved, max: 40 });
    assert.ok(placed.length <= 40);
    for (const [i, a] of placed.entries()) {
      assert.ok(a.box.x0 >= 0 && a.box.y0 >= 0 && a.box.x1 <= width && a.box.y1 <= height);
      assert.ok(Math.abs(a.box.x1 - a.box.x0 - labelWidth(a.text)) < 1e-6);
      for (const r of reserved) assert.ok(!overlaps(a.box, r), `scene ${scene}: label over a marker`);
      for (const b of placed.slice(i + 1)) assert.ok(!overlaps(a.box, b.box), `scene ${scene}: labels overlap`);
    }
    // Greedy by rank: every candidate left out (while there was room for more) outranks
    // nothing placed after it that it would have fitted beside — i.e. both of its
    // sides were blocked by a box placed before it, by a reserved box or by the edge.
    if (placed.length < 40) {
      const placedKeys = new Set(placed.map((p) => p.key));
      for (const c of candidates.filter((x) => !placedKeys.has(x.key))) {
        const w = labelWidth(c.text);
        const y0 = c.y - 8;
        const before = placed.filter((p) => p.rank > c.rank || (p.rank === c.rank && candidates.indexOf(p) < candidates.indexOf(c)));
        for (const side of [{ x0: c.x + 5, x1: c.x + 5 + w }, { x0: c.x - 5 - w, x1: c.x - 5 }]) {
          const box = { ...side, y0, y1: y0 + 16 };
          const blocked = box.x0 < 0 || box.y0 < 0 || box.x1 > width || box.y1 > height
            || reserved.some((r) => overlaps(box, r)) || before.some((p) => overlaps(box, p.box));
          assert.ok(blocked, `scene ${scene}: "${c.text}" had room but was left out`);
        }
      }
    }
  }
});
