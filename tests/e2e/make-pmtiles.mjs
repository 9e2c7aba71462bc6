// Writes a small raster PMTiles v3 archive for the basemap tests: every tile of zooms
// 0..maxZoom is a 256×256 PNG checkerboard of two colours (FIXTURE_COLOURS) in 32-px
// squares. PMTiles v3: a 127-byte header, a root directory of varint-encoded entries
// (uncompressed here; one per tile, in tile-id (Hilbert) order, all pointing at the same
// tile content), empty metadata, then the tile data.
//
//   node make-pmtiles.mjs OUT.pmtiles [maxZoom]

import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const FIXTURE_COLOURS = [[240, 210, 150], [150, 210, 170]];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A 256×256 RGB PNG checkerboard of `colours` in `square`-px squares. */
export function checkerPng(colours = FIXTURE_COLOURS, size = 256, square = 32) {
  const raw = Buffer.alloc(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) {
    const row = y * (size * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const c = colours[(Math.floor(x / square) + Math.floor(y / square)) % 2];
      raw.set(c, row + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** PMTiles tile id: tiles of lower zooms first, then the Hilbert index within the zoom. */
export function tileId(z, x, y) {
  let id = 0;
  for (let t = 0; t < z; t++) id += 4 ** t;
  const n = 2 ** z;
  for (let s = n / 2; s >= 1; s /= 2) {
    const rx = (x & s) > 0 ? 1 : 0;
    const ry = (y & s) > 0 ? 1 : 0;
    id += s * s * ((3 * rx) ^ ry);
    if (ry === 0) {
      if (rx === 1) {
        x = n - 1 - x;
        y = n - 1 - y;
      }
      [x, y] = [y, x];
    }
  }
  return id;
}

function varint(v, out) {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** The archive's bytes: every tile of zooms 0..maxZoom. */
export function makePmtiles({ maxZoom = 2, png = checkerPng() } = {}) {
  const entries = [];
  for (let z = 0; z <= maxZoom; z++) {
    for (let x = 0; x < 2 ** z; x++) for (let y = 0; y < 2 ** z; y++) entries.push(tileId(z, x, y));
  }
  entries.sort((a, b) => a - b);
  const dir = [];
  varint(entries.length, dir);
  let last = 0;
  for (const id of entries) { varint(id - last, dir); last = id; }
  for (const _ of entries) varint(1, dir); // run lengths
  for (const _ of entries) varint(png.length, dir); // lengths
  for (const _ of entries) varint(1, dir); // offsets + 1: every entry shares the one tile
  const data = png;
  const root = Buffer.from(dir);
  const metadata = Buffer.from('{}');
  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'ascii');
  header[7] = 3;
  const rootOffset = 127;
  const metaOffset = rootOffset + root.length;
  const leafOffset = metaOffset + metadata.length;
  const dataOffset = leafOffset;
  const u64 = [rootOffset, root.length, metaOffset, metadata.length, leafOffset, 0, dataOffset, data.length,
    entries.length, entries.length, 1];
  u64.forEach((v, i) => header.writeBigUInt64LE(BigInt(v), 8 + i * 8));
  header.set([1, 1, 1, 2, 0, maxZoom], 96); // clustered, no compression (dirs, tiles), PNG, zooms
  [-1800000000, -850511287, 1800000000, 850511287].forEach((v, i) => header.writeInt32LE(v, 102 + i * 4));
  header[118] = 0;
  return Buffer.concat([header, root, metadata, data]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [out, maxZoom] = process.argv.slice(2);
  if (!out) {
    console.error('usage: node make-pmtiles.mjs OUT.pmtiles [maxZoom]');
    process.exit(2);
  }
  const bytes = makePmtiles({ maxZoom: maxZoom ? Number(maxZoom) : 2 });
  writeFileSync(out, bytes);
}
