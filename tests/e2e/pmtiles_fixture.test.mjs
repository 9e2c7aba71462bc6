// The basemap fixture generator (make-pmtiles.mjs) writes an archive that the pmtiles
// reader the web map uses (web/node_modules/pmtiles) decodes tile for tile.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PMTiles, zxyToTileId } from '../../web/node_modules/pmtiles/dist/esm/index.js';
import { makePmtiles, checkerPng, tileId, FIXTURE_COLOURS } from './make-pmtiles.mjs';
import { decodePng } from './lib.mjs';

describe('PMTiles basemap fixture', () => {
  it('tile ids follow the PMTiles Hilbert order', () => {
    for (let z = 0; z <= 5; z++) {
      for (let x = 0; x < 2 ** z; x++) {
        for (let y = 0; y < 2 ** z; y++) assert.equal(tileId(z, x, y), zxyToTileId(z, x, y), `${z}/${x}/${y}`);
      }
    }
  });

  it('the pmtiles reader finds every tile of z0-z2 and nothing past them', async () => {
    const png = checkerPng();
    const bytes = makePmtiles({ maxZoom: 2, png });
    assert.ok(bytes.length < 16 * 1024, `small (${bytes.length} bytes)`);
    const source = {
      getKey: () => 'fixture',
      getBytes: async (offset, length) => ({
        data: bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + Math.min(offset + length, bytes.length)),
      }),
    };
    const archive = new PMTiles(source);
    const header = await archive.getHeader();
    assert.equal(header.specVersion, 3);
    assert.equal(header.tileType, 2); // PNG
    assert.deepEqual([header.minZoom, header.maxZoom], [0, 2]);
    assert.equal(header.numAddressedTiles, 21);
    for (let z = 0; z <= 2; z++) {
      for (let x = 0; x < 2 ** z; x++) {
        for (let y = 0; y < 2 ** z; y++) {
          const tile = await archive.getZxy(z, x, y);
          assert.ok(tile, `${z}/${x}/${y} present`);
          assert.deepEqual(Buffer.from(tile.data), png);
        }
      }
    }
    assert.equal(await archive.getZxy(3, 0, 0), undefined);
    const img = decodePng(png);
    assert.deepEqual([img.width, img.height], [256, 256]);
    assert.deepEqual([...img.data.subarray(0, 3)], FIXTURE_COLOURS[0]);
    assert.deepEqual([...img.data.subarray(32 * 4, 32 * 4 + 3)], FIXTURE_COLOURS[1]);
  });
});
