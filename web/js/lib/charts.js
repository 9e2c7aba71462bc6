// Small accessible SVG charts built with DOM APIs (no chart library, no innerHTML).
// Every bar carries its value as visible text; the chart has role="img" and a label,
// and the same numbers are in a table next to it.

const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = String(text);
  return el;
}

/**
 * Horizontal bar chart of values in [0, max].
 * bars: [{ label, value, text, color }]; options: { title, max = 1, width = 360, labelWidth = 120 }.
 */
export function barChart(bars, { title, max = 1, width = 360, labelWidth = 120, barHeight = 16, gap = 5 } = {}) {
  const valueWidth = 64;
  const plot = Math.max(40, width - labelWidth - valueWidth);
  const height = bars.length * (barHeight + gap) + gap;
  const root = svg('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title,
    preserveAspectRatio: 'xMinYMin meet',
  });
  root.append(svg('title', {}, title));
  // Axis line at 0 and a faint line at max.
  root.append(svg('line', { x1: labelWidth, x2: labelWidth, y1: 0, y2: height, class: 'chart-axis' }));
  root.append(svg('line', { x1: labelWidth + plot, x2: labelWidth + plot, y1: 0, y2: height, class: 'chart-grid' }));
  bars.forEach((b, i) => {
    const y = gap + i * (barHeight + gap);
    const v = Number.isFinite(b.value) ? Math.max(0, Math.min(b.value, max)) : 0;
    const g = svg('g', { class: 'chart-bar' });
    g.append(svg('text', { x: labelWidth - 6, y: y + barHeight * 0.75, 'text-anchor': 'end', class: 'chart-label' }, b.label));
    const rect = svg('rect', { x: labelWidth, y, width: Math.max(v / max * plot, Number.isFinite(b.value) ? 1 : 0), height: barHeight, fill: b.color || '#2a788e', class: 'chart-rect' });
    rect.append(svg('title', {}, `${b.label}: ${b.text}`));
    g.append(rect);
    g.append(svg('text', { x: labelWidth + plot + 6, y: y + barHeight * 0.75, class: 'chart-value' }, b.text));
    root.append(g);
  });
  return root;
}
