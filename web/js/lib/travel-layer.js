// The planner's travel-time layer: the catchment grid of GET /api/travel/catchments
// (per cell of the scenario's friction surface, the least minutes to the nearest
// facility of a sector) drawn as an image. The surface's rows are equal steps of
// latitude; the map is Web Mercator, so each row of the image is resampled from the
// latitude at its centre (nearest cell) — a plain image stretched between the corners
// would put rows up to a degree off at these latitudes.

/** Class limits, minutes (inclusive upper bounds), and their colours. */
export const TIME_CLASSES = [
  { max: 30, color: [26, 152, 80] },
  { max: 60, color: [145, 207, 96] },
  { max: 120, color: [254, 224, 139] },
  { max: 240, color: [252, 141, 89] },
  { max: Infinity, color: [215, 48, 39] },
];
/** Cells nothing reaches. */
export const UNREACHED_COLOR = [90, 90, 90];

const mercY = (lat) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
const latOf = (y) => (360 / Math.PI) * Math.atan(Math.exp(y)) - 90;

/** The class of `minutes` (index into TIME_CLASSES), or -1 when not reached. */
export function timeClass(minutes) {
  if (minutes == null || !Number.isFinite(minutes)) return -1;
  return TIME_CLASSES.findIndex((c) => minutes <= c.max);
}

/**
 * An image of `grid` (the catchments answer) for a MapLibre canvas source: { canvas,
 * coordinates } (corners NW, NE, SE, SW), its rows in Mercator (a canvas, not an image
 * URL: MapLibre fetches image URLs, and the CSP's connect-src has no data: or blob:).
 * `document` makes the canvas; null when the grid is empty.
 */
export function travelImage(grid, doc = document) {
  const { width, height, origin, cell_size_deg: [dx, dy], minutes } = grid;
  if (!width || !height) return null;
  const [west, north] = origin;
  const east = west + width * dx;
  const south = north - height * dy;
  const rows = Math.min(2048, Math.max(height, Math.round(height * 1.5)));
  const canvas = doc.createElement('canvas');
  canvas.width = width;
  canvas.height = rows;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, rows);
  const [yTop, yBottom] = [mercY(north), mercY(south)];
  for (let r = 0; r < rows; r += 1) {
    const lat = latOf(yTop + ((r + 0.5) / rows) * (yBottom - yTop));
    const row = Math.min(height - 1, Math.max(0, Math.floor((north - lat) / dy)));
    for (let c = 0; c < width; c += 1) {
      const m = minutes[row * width + c];
      const k = timeClass(m);
      const rgb = k < 0 ? UNREACHED_COLOR : TIME_CLASSES[k].color;
      const at = (r * width + c) * 4;
      image.data[at] = rgb[0];
      image.data[at + 1] = rgb[1];
      image.data[at + 2] = rgb[2];
      image.data[at + 3] = k < 0 ? 110 : 170;
    }
  }
  ctx.putImageData(image, 0, 0);
  return { canvas, coordinates: [[west, north], [east, north], [east, south], [west, south]] };
}
