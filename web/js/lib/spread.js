// Fanning out map markers that would cover each other: markers closer than a marker's
// size on screen form a group, and the group's markers are set on a small circle around
// the group's centre, so every number stays readable (lines still end at the true
// place). Groups whose circles then touch are merged and laid out again, until no two
// markers overlap. Pure (screen pixels in, pixel offsets out): tested without a browser.

/** Diameter of a result marker in px (app.css `.result-marker`, border included). */
export const MARKER_SIZE = 27;

function layout(points, members, size) {
  const placed = points.map((p) => [p[0], p[1]]);
  for (const list of members) {
    if (list.length < 2) continue;
    const cx = list.reduce((a, i) => a + points[i][0], 0) / list.length;
    const cy = list.reduce((a, i) => a + points[i][1], 0) / list.length;
    // Neighbours on the circle are one marker and a gap apart: chord = size + 3.
    const m = list.length;
    const radius = Math.max(size * 0.75, (size + 3) / (2 * Math.sin(Math.PI / m)));
    // In marker order, the first (lowest number) on top.
    [...list].sort((a, b) => a - b).forEach((i, k) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * k) / m;
      placed[i] = [cx + radius * Math.cos(angle), cy + radius * Math.sin(angle)];
    });
  }
  return placed;
}

/**
 * Offsets `[dx, dy]` for markers at screen `points` (`[x, y]`, in their order): [0, 0]
 * for a marker that overlaps none, else its place on the circle of its group.
 */
export function spreadOffsets(points, size = MARKER_SIZE) {
  const n = points.length;
  const group = points.map((_, i) => i);
  const find = (i) => (group[i] === i ? i : (group[i] = find(group[i])));
  const close = (a, b) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 < size * size;
  let current = points;
  // Each round merges at least two groups, so n rounds always suffice.
  for (let round = 0; round <= n; round += 1) {
    let merged = false;
    for (let i = 0; i < n; i += 1) {
      for (let j = i + 1; j < n; j += 1) {
        if (find(i) !== find(j) && close(current[i], current[j])) {
          group[find(i)] = find(j);
          merged = true;
        }
      }
    }
    if (!merged) break;
    const members = new Map();
    for (let i = 0; i < n; i += 1) {
      const root = find(i);
      if (!members.has(root)) members.set(root, []);
      members.get(root).push(i);
    }
    current = layout(points, members.values(), size);
  }
  return current.map((p, i) => [p[0] - points[i][0], p[1] - points[i][1]]);
}
