#!/usr/bin/env python3
"""Tirek's DEMO friction surfaces (synthetic, NOT real terrain or roads).

Writes friction_walking_demo.tif and friction_motorised_demo.tif: GeoTIFFs in EPSG:4326,
2.5' cells over the five countries (46-88 E, 35-56 N), one band of float32 friction in
minutes per metre (the Malaria Atlas Project's convention; 0 = impassable), deflate.

How the synthetic surface is made (no network, no clock, seeded; byte for byte the same
on every run):
- off-road walking at 5 km/h, slowed by a "ruggedness" of rough ellipses over the
  known mountain areas (Pamir, Tian Shan, Alay, Hissar-Zeravshan, Kopet Dag, Altai,
  Dzungarian Alatau) down to 1.5 km/h, plus a little seeded value noise;
- water impassable: the Caspian, the Aral remnants, Issyk-Kul and Balkhash as rough
  polygons / ellipses, and the Amu Darya and Syr Darya as one-cell lines;
- synthetic roads between the settlements of settlements.csv: a minimum spanning
  network between those of >= 50,000 people (trunk), plus each settlement of >= 10,000
  linked to its nearest bigger one; burned in at 80 (trunk) / 50 km/h for motorised and
  at walking speed for walking. A road crossing a river is a bridge; roads stop at lakes
  and the sea.

Usage: python3 geodata/build_friction.py   (from anywhere; python3 only)
"""

import csv
import math
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
WEST, NORTH, EAST, SOUTH = 46.0, 56.0, 88.0, 35.0
CELL = 1.0 / 24.0  # 2.5 arc-minutes
W = round((EAST - WEST) / CELL)
H = round((NORTH - SOUTH) / CELL)

WALK_KMH = 5.0
TRUNK_KMH = 80.0
LINK_KMH = 50.0

# (lon, lat, semi-axis lon deg, semi-axis lat deg, rotation deg, strength 0..1)
MOUNTAINS = [
    (73.0, 38.4, 2.6, 1.1, 0.0, 0.85),  # Pamir
    (72.5, 39.6, 2.2, 0.45, 5.0, 0.75),  # Alay
    (69.0, 39.2, 2.0, 0.5, 10.0, 0.6),  # Hissar-Zeravshan
    (76.5, 41.8, 4.5, 1.0, 10.0, 0.75),  # Tian Shan (central)
    (72.5, 41.8, 2.0, 0.7, 25.0, 0.6),  # Tian Shan (western: Talas, Chatkal)
    (80.0, 42.5, 2.0, 0.8, 0.0, 0.8),  # Tian Shan (Khan Tengri)
    (79.5, 45.0, 1.6, 0.5, 20.0, 0.55),  # Dzungarian Alatau
    (57.5, 38.3, 2.5, 0.45, 30.0, 0.45),  # Kopet Dag
    (85.5, 49.6, 2.5, 0.9, 15.0, 0.6),  # Altai
]

# Rough polygons (lon, lat) of standing water.
CASPIAN = [
    (46.0, 44.6), (47.5, 45.6), (49.2, 46.5), (51.3, 47.0), (53.1, 46.9), (53.1, 46.0),
    (51.5, 45.0), (50.3, 44.6), (51.3, 43.2), (52.7, 42.5), (52.8, 41.5), (52.9, 40.2),
    (53.6, 39.5), (53.0, 38.8), (53.9, 37.4), (53.8, 36.9), (51.8, 36.7), (49.9, 37.4),
    (49.0, 38.3), (48.9, 39.3), (49.4, 40.2), (50.3, 40.4), (49.5, 40.9), (48.6, 41.8),
    (47.6, 42.9), (47.4, 43.6), (46.0, 43.9),
]
ARAL_NORTH = [(60.1, 46.7), (61.5, 46.6), (61.8, 46.3), (61.1, 46.0), (60.2, 46.1), (59.9, 46.4)]
ARAL_SOUTH = [(58.3, 45.6), (58.9, 45.9), (59.3, 45.3), (59.1, 44.4), (58.6, 44.1), (58.2, 44.7)]
BALKHASH = [
    (73.5, 46.3), (74.3, 46.9), (75.8, 46.6), (77.2, 46.5), (78.4, 46.9), (79.2, 46.6),
    (79.0, 46.3), (77.6, 46.2), (76.0, 46.2), (74.6, 46.3), (74.0, 45.9), (73.4, 45.9),
]
# (lon, lat, semi-axis lon, semi-axis lat)
ISSYK_KUL = (77.3, 42.43, 0.95, 0.22)

AMU_DARYA = [(68.4, 37.1), (67.4, 37.2), (65.8, 37.5), (64.9, 38.1), (63.8, 38.9), (62.3, 40.0),
             (61.2, 41.3), (60.5, 42.1), (59.6, 43.2), (59.2, 43.9)]
SYR_DARYA = [(71.7, 40.9), (70.6, 40.6), (69.1, 40.6), (68.6, 41.1), (68.0, 42.2), (67.0, 43.3),
             (66.0, 44.2), (65.3, 44.8), (64.0, 45.4), (62.3, 46.0), (61.6, 46.2)]


def lcg(seed):
    """A 64-bit linear congruential generator (Knuth's MMIX constants), floats in [0, 1)."""
    state = seed & 0xFFFFFFFFFFFFFFFF
    while True:
        state = (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        yield (state >> 11) / float(1 << 53)


def centre(row, col):
    return WEST + (col + 0.5) * CELL, NORTH - (row + 0.5) * CELL


def cell_of(lon, lat):
    col = math.floor((lon - WEST) / CELL)
    row = math.floor((NORTH - lat) / CELL)
    if 0 <= col < W and 0 <= row < H:
        return row, col
    return None


def inside(poly, x, y):
    """Even-odd point in polygon."""
    hit = False
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def ruggedness_grid():
    # Value noise: a coarse seeded lattice (every 1 degree), bilinear.
    rnd = lcg(20261206)
    lw, lh = int(EAST - WEST) + 2, int(NORTH - SOUTH) + 2
    lattice = [[next(rnd) for _ in range(lw)] for _ in range(lh)]
    out = []
    for row in range(H):
        line = []
        for col in range(W):
            lon, lat = centre(row, col)
            r = 0.0
            for (cx, cy, ax, ay, rot, strength) in MOUNTAINS:
                a = math.radians(rot)
                dx, dy = lon - cx, lat - cy
                u = (dx * math.cos(a) + dy * math.sin(a)) / ax
                v = (-dx * math.sin(a) + dy * math.cos(a)) / ay
                d = u * u + v * v
                if d < 1.0:
                    r = max(r, strength * (1.0 - d) ** 0.5)
            fx, fy = lon - WEST, NORTH - lat
            ix, iy = int(fx), int(fy)
            tx, ty = fx - ix, fy - iy
            n = (lattice[iy][ix] * (1 - tx) * (1 - ty) + lattice[iy][ix + 1] * tx * (1 - ty)
                 + lattice[iy + 1][ix] * (1 - tx) * ty + lattice[iy + 1][ix + 1] * tx * ty)
            r = min(1.0, r + 0.1 * n)
            line.append(r)
        out.append(line)
    return out


def water_grids():
    lake = [[False] * W for _ in range(H)]
    for row in range(H):
        for col in range(W):
            lon, lat = centre(row, col)
            cx, cy, ax, ay = ISSYK_KUL
            if (((lon - cx) / ax) ** 2 + ((lat - cy) / ay) ** 2 < 1.0
                    or inside(CASPIAN, lon, lat) or inside(ARAL_NORTH, lon, lat)
                    or inside(ARAL_SOUTH, lon, lat) or inside(BALKHASH, lon, lat)):
                lake[row][col] = True
    river = [[False] * W for _ in range(H)]
    for line in (AMU_DARYA, SYR_DARYA):
        for cell in trace(line):
            river[cell[0]][cell[1]] = True
    return lake, river


def trace(points):
    """The cells a polyline passes through, in order (steps of a quarter cell), each
    once per run, 8-connected lines thickened to 4-connected so nothing slips through."""
    cells = []
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        steps = max(1, int(math.ceil(max(abs(x2 - x1), abs(y2 - y1)) / CELL * 4)))
        for k in range(steps + 1):
            t = k / steps
            c = cell_of(x1 + (x2 - x1) * t, y1 + (y2 - y1) * t)
            if c is None:
                continue
            if cells and cells[-1] == c:
                continue
            if cells:
                r0, c0 = cells[-1]
                if r0 != c[0] and c0 != c[1]:
                    cells.append((r0, c[1]))
            cells.append(c)
    return cells


def settlements():
    with open(os.path.join(HERE, "settlements.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = [(r["id"], float(r["lon"]), float(r["lat"]), float(r["population"])) for r in rows]
    out.sort(key=lambda s: (-s[3], s[0]))
    return out


def km(a, b):
    (x1, y1), (x2, y2) = a, b
    p1, p2 = math.radians(y1), math.radians(y2)
    dl = math.radians(x2 - x1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def roads():
    """(points, speed) segments: the trunk MST, then the links."""
    towns = settlements()
    big = [(s[1], s[2]) for s in towns if s[3] >= 50000]
    segments = []
    # Prim's minimum spanning tree over the big towns.
    in_tree = [False] * len(big)
    best = [(math.inf, -1)] * len(big)
    best[0] = (0.0, -1)
    for _ in range(len(big)):
        i = min((j for j in range(len(big)) if not in_tree[j]), key=lambda j: (best[j][0], j))
        in_tree[i] = True
        if best[i][1] >= 0:
            segments.append(([big[best[i][1]], big[i]], TRUNK_KMH))
        for j in range(len(big)):
            if not in_tree[j]:
                d = km(big[i], big[j])
                if d < best[j][0]:
                    best[j] = (d, i)
    for k, s in enumerate(towns):
        if s[3] < 10000 or k == 0:
            continue
        here = (s[1], s[2])
        bigger = min(range(k), key=lambda j: (km(here, (towns[j][1], towns[j][2])), j))
        if towns[bigger][3] > s[3]:
            segments.append(([here, (towns[bigger][1], towns[bigger][2])], LINK_KMH))
    return segments


def friction(kmh):
    return 60.0 / (kmh * 1000.0)


def build():
    rugged = ruggedness_grid()
    lake, river = water_grids()
    road_kmh = [[0.0] * W for _ in range(H)]
    for points, kmh in roads():
        for (row, col) in trace(points):
            if not lake[row][col]:
                road_kmh[row][col] = max(road_kmh[row][col], kmh)
    grids = {}
    for scenario in ("walking", "motorised"):
        values = []
        for row in range(H):
            for col in range(W):
                if lake[row][col] or (river[row][col] and road_kmh[row][col] == 0.0):
                    values.append(0.0)
                    continue
                # Quantised to 0.25 km/h so that the file compresses well.
                walk = round(WALK_KMH * (1.0 - 0.7 * rugged[row][col]) * 4) / 4
                if road_kmh[row][col] > 0.0:
                    kmh = road_kmh[row][col] if scenario == "motorised" else WALK_KMH
                    kmh = max(kmh, walk)
                else:
                    kmh = walk
                values.append(friction(kmh))
        grids[scenario] = values
    return grids


def tiff(values, description):
    """A little-endian GeoTIFF: float32, deflate strips of 16 rows, EPSG:4326."""
    rows_per_strip = 16
    strips = []
    for r0 in range(0, H, rows_per_strip):
        r1 = min(H, r0 + rows_per_strip)
        raw = struct.pack("<%df" % ((r1 - r0) * W), *values[r0 * W:r1 * W])
        strips.append(zlib.compress(raw, 9))
    desc = description.encode("ascii") + b"\0"
    geokeys = [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326]
    scale = struct.pack("<3d", CELL, CELL, 0.0)
    tie = struct.pack("<6d", 0.0, 0.0, 0.0, WEST, NORTH, 0.0)
    # Layout: header, then the extra data, then the strips, then the IFD.
    out = bytearray(b"II*\0\0\0\0\0")
    def put(blob):
        while len(out) % 2:
            out.append(0)
        at = len(out)
        out.extend(blob)
        return at
    desc_at = put(desc)
    scale_at = put(scale)
    tie_at = put(tie)
    keys_at = put(struct.pack("<%dH" % len(geokeys), *geokeys))
    offsets = [put(s) for s in strips]
    offsets_at = put(struct.pack("<%dI" % len(strips), *offsets))
    counts_at = put(struct.pack("<%dI" % len(strips), *[len(s) for s in strips]))
    SHORT, LONG, ASCII, DOUBLE = 3, 4, 2, 12
    entries = [
        (256, LONG, 1, W), (257, LONG, 1, H), (258, SHORT, 1, 32), (259, SHORT, 1, 8),
        (262, SHORT, 1, 1), (270, ASCII, len(desc), desc_at), (273, LONG, len(strips), offsets_at),
        (277, SHORT, 1, 1), (278, LONG, 1, rows_per_strip), (279, LONG, len(strips), counts_at),
        (284, SHORT, 1, 1), (339, SHORT, 1, 3), (33550, DOUBLE, 3, scale_at),
        (33922, DOUBLE, 6, tie_at), (34735, SHORT, len(geokeys), keys_at),
    ]
    while len(out) % 2:
        out.append(0)
    ifd_at = len(out)
    out[4:8] = struct.pack("<I", ifd_at)
    out.extend(struct.pack("<H", len(entries)))
    for tag, kind, count, value in entries:
        inline = kind == SHORT and count == 1
        out.extend(struct.pack("<HHI", tag, kind, count))
        out.extend(struct.pack("<HH", value, 0) if inline else struct.pack("<I", value))
    out.extend(struct.pack("<I", 0))
    return bytes(out)


def main():
    grids = build()
    for scenario, values in grids.items():
        name = "friction_%s_demo.tif" % scenario
        desc = ("Tirek DEMO friction surface, scenario %s: synthetic (rough mountains, lakes, "
                "rivers and roads between settlements), NOT real terrain or roads; minutes per metre"
                % scenario)
        data = tiff(values, desc)
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        passable = sum(1 for v in values if v > 0)
        print("%s: %d x %d cells, %d passable, %d bytes" % (name, W, H, passable, len(data)))


if __name__ == "__main__":
    main()
