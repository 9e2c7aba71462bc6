// Place names on the map, drawn in HTML (the map has no glyphs: nothing is fetched for
// text). After every move the largest settlements in view are labelled, biggest first,
// each only where its label overlaps no label already placed and no reserved box (the
// result markers), so names never cover each other or the numbers. Pure placement
// (`placeLabels`) is separate from the DOM so it can be tested without a browser.

/** Most labels drawn at once: enough to orient, few enough to read. */
export const MAX_LABELS = 40;

/** Approximate width in px of `text` at the label font (no layout needed). */
export function labelWidth(text) {
  let w = 0;
  for (const ch of text) w += /[A-ZА-ЯЁ]/.test(ch) ? 8.4 : /[ilj.,'’ ]/.test(ch) ? 3.6 : 7;
  return Math.ceil(w) + 6;
}

function overlaps(a, b) {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/**
 * Chooses the labels to draw: `candidates` are `{ key, text, x, y, rank }` in screen
 * pixels (rank: larger first), `reserved` boxes `{ x0, y0, x1, y1 }` stay clear, and
 * labels stay inside `width` × `height`. Returns the placed candidates with their box
 * (label to the right of the dot, or to the left when the right side is taken).
 */
export function placeLabels(candidates, { width, height, reserved = [], max = MAX_LABELS, lineHeight = 16 }) {
  const placed = [];
  const taken = [...reserved];
  const sorted = [...candidates].sort((a, b) => b.rank - a.rank);
  for (const c of sorted) {
    if (placed.length >= max) break;
    const w = labelWidth(c.text);
    const y0 = c.y - lineHeight / 2;
    const options = [
      { x0: c.x + 5, y0, x1: c.x + 5 + w, y1: y0 + lineHeight, side: 'right' },
      { x0: c.x - 5 - w, y0, x1: c.x - 5, y1: y0 + lineHeight, side: 'left' },
    ];
    const box = options.find((b) => b.x0 >= 0 && b.y0 >= 0 && b.x1 <= width && b.y1 <= height
      && !taken.some((t) => overlaps(b, t)));
    if (!box) continue;
    taken.push(box);
    placed.push({ ...c, box });
  }
  return placed;
}

/** Keeps the HTML labels of `map` (a MapLibre map) in step with the view. */
export class PlaceLabels {
  constructor(map, { nameOf, reserved = () => [] }) {
    this.map = map;
    this.nameOf = nameOf;
    this.reserved = reserved;
    this.features = [];
    this.visible = true;
    this.layer = document.createElement('div');
    this.layer.className = 'map-labels';
    this.layer.setAttribute('aria-hidden', 'true'); // the settlements are announced by the search, not the canvas
    map.getCanvasContainer().append(this.layer);
    this.pool = [];
    this.frame = 0;
    const schedule = () => {
      if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.update(); });
    };
    map.on('move', schedule);
    map.on('resize', schedule);
    this.schedule = schedule;
  }

  /** The settlements (GeoJSON features with `population`) that may be labelled. */
  setFeatures(features) {
    this.features = (features || []).filter((f) => f?.geometry?.type === 'Point');
    this.schedule();
  }

  setVisible(visible) {
    this.visible = visible;
    this.schedule();
  }

  update() {
    const canvas = this.map.getCanvas();
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    let placed = [];
    if (this.visible && width && height) {
      const bounds = this.map.getBounds();
      const candidates = [];
      for (const f of this.features) {
        const [lon, lat] = f.geometry.coordinates;
        if (!bounds.contains([lon, lat])) continue;
        const p = this.map.project([lon, lat]);
        const text = this.nameOf(f.properties || {});
        if (!text) continue;
        candidates.push({ key: f.properties?.id ?? text, text, x: p.x, y: p.y, rank: Number(f.properties?.population) || 0 });
      }
      placed = placeLabels(candidates, { width, height, reserved: this.reserved() });
    }
    while (this.pool.length < placed.length) {
      const el = document.createElement('span');
      el.className = 'map-label';
      this.layer.append(el);
      this.pool.push(el);
    }
    this.pool.forEach((el, i) => {
      const p = placed[i];
      el.hidden = !p;
      if (!p) return;
      if (el.textContent !== p.text) el.textContent = p.text;
      el.dataset.side = p.box.side;
      el.style.transform = `translate(${Math.round(p.box.x0)}px, ${Math.round(p.box.y0)}px)`;
    });
  }
}
