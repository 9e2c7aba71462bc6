//! Travel time over a friction surface (`tirek::travel`): the engine against an
//! exhaustive, independent reference (Bellman-Ford on an explicit edge list written
//! here, geodesics by Karney's algorithm through `geo`) on random seeded surfaces with
//! barriers, bridges, unreachable cells, shared and impassable source cells and a point
//! exactly at a threshold; GeoTIFF reading and its clear refusals; the CLI on the
//! bench's `tiny` preset against the scipy reference when Python is at hand.

use geo::{Distance, Geodesic, Point};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Cursor;
use std::path::PathBuf;
use tiff::encoder::{Compression, TiffEncoder, colortype};
use tiff::tags::Tag;
use tirek::coverage::{AccessModel, PointSet};
use tirek::model::Sector;
use tirek::spatial::points::CoordIndex;
use tirek::travel::{
    FrictionSurface, MinuteThresholds, Moves, TravelError, TravelTimeAccess, read_friction_geotiff,
    sector_sources, times_at_cells,
};

const NODATA: f32 = -9999.0;

/// A random surface: friction 0.006–0.06 min/m (1–10 km/h), a river (a column of
/// NoData) crossed by one bridge, a lake (NaN), scattered impassable cells (0,
/// negative), and a walled-off corner that nothing outside reaches.
fn random_surface(rng: &mut ChaCha8Rng, w: usize, h: usize) -> Vec<f32> {
    let mut v: Vec<f32> = (0..w * h)
        .map(|_| rng.random_range(0.006f32..0.06))
        .collect();
    let river = rng.random_range(2..w - 2);
    let bridge = rng.random_range(1..h - 1);
    for r in 0..h {
        v[r * w + river] = if r == bridge { 0.0008 } else { NODATA };
    }
    let (lr, lc) = (rng.random_range(0..h), rng.random_range(0..w));
    for r in 0..h {
        for c in 0..w {
            let d2 = (r as f64 - lr as f64).powi(2) + (c as f64 - lc as f64).powi(2);
            if d2 <= 2.0 && c != river {
                v[r * w + c] = f32::NAN;
            }
        }
    }
    for _ in 0..(w * h / 12) {
        let k = rng.random_range(0..w * h);
        v[k] = if rng.random_bool(0.5) { 0.0 } else { -1.0 };
    }
    // A walled-off 2 × 2 corner (south-east), passable inside.
    for (r, c) in [
        (h - 3, w - 3),
        (h - 3, w - 2),
        (h - 3, w - 1),
        (h - 2, w - 3),
        (h - 1, w - 3),
    ] {
        v[r * w + c] = NODATA;
    }
    for (r, c) in [
        (h - 2, w - 2),
        (h - 2, w - 1),
        (h - 1, w - 2),
        (h - 1, w - 1),
    ] {
        v[r * w + c] = 0.01;
    }
    v
}

fn passable(v: f32) -> bool {
    v.is_finite() && v > 0.0 && v != NODATA
}

/// Exhaustive reference: every move of the definition as an explicit edge, then
/// Bellman-Ford relaxation to a fixed point from every source at time 0.
fn reference(
    values: &[f32],
    w: usize,
    h: usize,
    (left, top, dx, dy): (f64, f64, f64, f64),
    sources: &[usize],
    knight: bool,
) -> Vec<f64> {
    let centre =
        |r: usize, c: usize| Point::new(left + (c as f64 + 0.5) * dx, top - (r as f64 + 0.5) * dy);
    let mut offsets = vec![
        (-1i64, -1i64),
        (-1, 0),
        (-1, 1),
        (0, -1),
        (0, 1),
        (1, -1),
        (1, 0),
        (1, 1),
    ];
    if knight {
        offsets.extend([
            (-2, -1),
            (-2, 1),
            (-1, -2),
            (-1, 2),
            (1, -2),
            (1, 2),
            (2, -1),
            (2, 1),
        ]);
    }
    let at = |r: i64, c: i64| -> Option<usize> {
        (r >= 0 && c >= 0 && (r as usize) < h && (c as usize) < w)
            .then(|| r as usize * w + c as usize)
    };
    let mut edges = Vec::new();
    for r in 0..h as i64 {
        for c in 0..w as i64 {
            let a = at(r, c).unwrap();
            if !passable(values[a]) {
                continue;
            }
            for &(dr, dc) in &offsets {
                let Some(b) = at(r + dr, c + dc) else {
                    continue;
                };
                if !passable(values[b]) {
                    continue;
                }
                if dr.abs() + dc.abs() == 3 {
                    // A knight's move passes between two cells: both must be passable.
                    let (m1, m2) = if dr.abs() == 2 {
                        (at(r + dr / 2, c), at(r + dr / 2, c + dc))
                    } else {
                        (at(r, c + dc / 2), at(r + dr, c + dc / 2))
                    };
                    if !(m1.is_some_and(|m| passable(values[m]))
                        && m2.is_some_and(|m| passable(values[m])))
                    {
                        continue;
                    }
                }
                let len = Geodesic.distance(
                    centre(r as usize, c as usize),
                    centre((r + dr) as usize, (c + dc) as usize),
                );
                let cost = len * (f64::from(values[a]) + f64::from(values[b])) / 2.0;
                edges.push((a, b, cost));
            }
        }
    }
    let mut dist = vec![f64::INFINITY; w * h];
    for &s in sources {
        if passable(values[s]) {
            dist[s] = 0.0;
        }
    }
    loop {
        let mut changed = false;
        for &(a, b, cost) in &edges {
            if dist[a] + cost < dist[b] {
                dist[b] = dist[a] + cost;
                changed = true;
            }
        }
        if !changed {
            return dist;
        }
    }
}

fn assert_close(got: f64, want: f64, what: &str) {
    if want.is_infinite() {
        assert!(got.is_infinite(), "{what}: expected unreachable, got {got}");
    } else {
        assert!(
            (got - want).abs() <= 1e-7 * want.max(1.0),
            "{what}: got {got}, expected {want}"
        );
    }
}

#[test]
fn travel_engine_equals_an_exhaustive_reference_on_random_surfaces() {
    let mut rng = ChaCha8Rng::seed_from_u64(20261206);
    for case in 0..30 {
        // The last cases span several of the engine's blocks (32 × 32 cells).
        let (w, h) = if case < 24 {
            (rng.random_range(8..22), rng.random_range(6..18))
        } else {
            (rng.random_range(60..110), rng.random_range(40..80))
        };
        let res = [0.01, 0.02, 1.0 / 120.0, 0.25][case % 4];
        let (left, top) = (rng.random_range(46.0..80.0), rng.random_range(36.0..56.0));
        let values = random_surface(&mut rng, w, h);
        let surface = FrictionSurface::new(
            w,
            h,
            (left, top),
            (res, res),
            &values,
            Some(f64::from(NODATA)),
        )
        .unwrap();
        // Sources: random cells (some impassable), two facilities sharing a cell, and
        // one off the surface (placement reports it and leaves it out).
        let mut coords: Vec<(f64, f64)> = (0..rng.random_range(1..5))
            .map(|_| {
                (
                    left + rng.random_range(0.05..w as f64 - 0.05) * res,
                    top - rng.random_range(0.05..h as f64 - 0.05) * res,
                )
            })
            .collect();
        coords.push((coords[0].0 + res * 0.01, coords[0].1 - res * 0.01));
        coords.push((left - res, top));
        let placed = sector_sources(&surface, coords.iter().copied());
        assert_eq!(placed.off_surface, vec![coords.len() - 1]);
        for &i in &placed.impassable {
            let cell = surface.cell_of(coords[i].0, coords[i].1).unwrap();
            assert!(!passable(values[cell]), "case {case}");
        }
        let all_cells: Vec<usize> = coords
            .iter()
            .filter_map(|&(lon, lat)| surface.cell_of(lon, lat))
            .collect();
        for knight in [false, true] {
            let moves = if knight { Moves::Knight } else { Moves::King };
            let want = reference(&values, w, h, (left, top, res, res), &all_cells, knight);
            let got = surface.travel_times(&placed.cells, moves, f64::INFINITY);
            for (cell, &expected) in want.iter().enumerate() {
                assert_close(
                    got.minutes(cell),
                    expected,
                    &format!("case {case} knight {knight} cell {cell}"),
                );
            }
            // The walled-off corner is reached only from inside it.
            let inside = all_cells.iter().any(|&c| c / w >= h - 2 && c % w >= w - 2);
            if !inside {
                assert!(got.minutes(w * h - 1).is_infinite(), "case {case}");
            }
            // A search stopped at a cell's exact time still has that cell (inclusive),
            // and nothing beyond it.
            let finite: Vec<usize> = (0..w * h)
                .filter(|&c| want[c].is_finite() && want[c] > 0.0)
                .collect();
            if finite.is_empty() {
                continue;
            }
            let probe = finite[rng.random_range(0..finite.len())];
            let limit = got.minutes(probe);
            let cut = surface.travel_times(&placed.cells, moves, limit);
            assert_eq!(
                cut.minutes(probe),
                limit,
                "case {case}: a time equal to the limit"
            );
            for cell in 0..w * h {
                let full = got.minutes(cell);
                if full <= limit {
                    assert_eq!(cut.minutes(cell), full, "case {case} cell {cell}");
                } else {
                    assert!(cut.minutes(cell).is_infinite(), "case {case} cell {cell}");
                }
            }
        }
    }
}

#[test]
fn travel_a_bridge_is_the_only_way_across_and_sources_in_water_reach_nothing() {
    // 5 × 3 cells at 0.01°: a river in column 2 with a bridge in the middle row.
    let n = NODATA;
    let values = [
        0.012, 0.012, n, 0.012, 0.012, //
        0.012, 0.012, 0.001, 0.012, 0.012, //
        0.012, 0.012, n, 0.012, 0.012,
    ];
    let surface =
        FrictionSurface::new(5, 3, (68.0, 41.0), (0.01, 0.01), &values, Some(-9999.0)).unwrap();
    let from_west = surface.travel_times(&[0], Moves::King, f64::INFINITY);
    let want = reference(&values, 5, 3, (68.0, 41.0, 0.01, 0.01), &[0], false);
    for (cell, &expected) in want.iter().enumerate() {
        assert_close(from_west.minutes(cell), expected, &format!("cell {cell}"));
    }
    assert!(from_west.minutes(2).is_infinite(), "the river itself");
    assert!(from_west.minutes(4).is_finite(), "across the bridge");
    // Without the bridge the east bank is out of reach.
    let mut closed = values;
    closed[7] = n;
    let surface =
        FrictionSurface::new(5, 3, (68.0, 41.0), (0.01, 0.01), &closed, Some(-9999.0)).unwrap();
    let t = surface.travel_times(&[0], Moves::King, f64::INFINITY);
    assert!(t.minutes(4).is_infinite() && t.minutes(14).is_infinite());
    // A source in the river reaches nothing, not even its own cell.
    let t = surface.travel_times(&[2], Moves::King, f64::INFINITY);
    assert!((0..15).all(|c| t.minutes(c).is_infinite()));
    // The knight's move cannot jump the one-cell river either.
    let t = surface.travel_times(&[5], Moves::Knight, f64::INFINITY);
    assert!(t.minutes(8).is_infinite() && t.minutes(13).is_infinite());
}

#[test]
fn travel_coverage_model_is_inclusive_at_the_threshold() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (w, h, res, left, top) = (30, 20, 0.02, 68.0, 41.5);
    let values = random_surface(&mut rng, w, h);
    let surface =
        FrictionSurface::new(w, h, (left, top), (res, res), &values, Some(-9999.0)).unwrap();
    let facilities = vec![(68.105, 41.395), (68.305, 41.215), (68.305, 41.215)];
    let points: Vec<(f64, f64)> = (0..400)
        .map(|_| {
            (
                left + rng.random_range(0.01..w as f64 - 0.01) * res,
                top - rng.random_range(0.01..h as f64 - 0.01) * res,
            )
        })
        .collect();
    let cells: Vec<Option<usize>> = points.iter().map(|&(x, y)| surface.cell_of(x, y)).collect();
    let sources = sector_sources(&surface, facilities.iter().copied());
    let times = times_at_cells(
        &surface,
        &[&sources.cells],
        &cells,
        Moves::King,
        &[f64::INFINITY],
    );
    // The threshold is exactly one reachable point's time.
    let probe = (0..points.len())
        .filter(|&i| times[0][i].is_finite() && times[0][i] > 0.0)
        .nth(7)
        .unwrap();
    let mut thresholds = MinuteThresholds::default();
    thresholds.set(Sector::Health, times[0][probe]);
    let model = TravelTimeAccess {
        surface: &surface,
        thresholds,
        moves: Moves::King,
    };
    let set = PointSet::new(&points);
    let sites = CoordIndex::new(facilities);
    let covered = model.covered(Sector::Health, &sites, &set);
    for i in 0..points.len() {
        assert_eq!(covered[i], times[0][i] <= times[0][probe], "point {i}");
    }
    assert!(covered[probe]);
}

/// A float32 GeoTIFF (north up, pixel is area) with the given GeoKeys and compression.
fn geotiff(
    w: u32,
    h: u32,
    values: &[f32],
    compression: Compression,
    geokeys: &[u16],
    transform: Option<[f64; 16]>,
) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut enc = TiffEncoder::new(&mut out)
        .unwrap()
        .with_compression(compression);
    let mut img = enc.new_image::<colortype::Gray32Float>(w, h).unwrap();
    match transform {
        Some(m) => img
            .encoder()
            .write_tag(Tag::ModelTransformationTag, &m[..])
            .unwrap(),
        None => {
            img.encoder()
                .write_tag(Tag::ModelPixelScaleTag, &[0.01, 0.01, 0.0][..])
                .unwrap();
            img.encoder()
                .write_tag(Tag::ModelTiepointTag, &[0.0, 0.0, 0.0, 68.0, 41.0, 0.0][..])
                .unwrap();
        }
    }
    img.encoder()
        .write_tag(Tag::GeoKeyDirectoryTag, geokeys)
        .unwrap();
    img.encoder().write_tag(Tag::GdalNodata, "-9999").unwrap();
    img.write_data(values).unwrap();
    out.into_inner()
}

const WGS84_KEYS: [u16; 20] = [
    1, 1, 0, 4, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326, 2054, 0, 1, 9102,
];

/// Sets the value of a SHORT tag of the first IFD of a little-endian classic TIFF.
fn patch_short_tag(bytes: &mut [u8], tag: u16, value: u16) {
    let ifd = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let count = u16::from_le_bytes(bytes[ifd..ifd + 2].try_into().unwrap()) as usize;
    for k in 0..count {
        let e = ifd + 2 + 12 * k;
        if u16::from_le_bytes(bytes[e..e + 2].try_into().unwrap()) == tag {
            bytes[e + 8..e + 10].copy_from_slice(&value.to_le_bytes());
            return;
        }
    }
    panic!("tag {tag} not found");
}

fn sample_values() -> Vec<f32> {
    let mut v: Vec<f32> = (0..12).map(|i| 0.01 + i as f32 * 0.001).collect();
    v[3] = -9999.0;
    v[5] = f32::NAN;
    v[7] = 0.0;
    v
}

#[test]
fn travel_reads_geotiffs_deflate_lzw_or_none() {
    for compression in [
        Compression::Uncompressed,
        Compression::Lzw,
        Compression::Deflate(tiff::encoder::DeflateLevel::Balanced),
    ] {
        let bytes = geotiff(4, 3, &sample_values(), compression, &WGS84_KEYS, None);
        let s = read_friction_geotiff(&bytes).unwrap();
        assert_eq!((s.width(), s.height(), s.passable_cells()), (4, 3, 9));
        assert_eq!(s.extent(), (68.0, 41.0, 0.01, 0.01));
        assert_eq!(s.friction(0), Some(0.01));
        assert_eq!(s.friction(3), None, "NoData");
        assert_eq!(s.friction(5), None, "NaN");
        assert_eq!(s.friction(7), None, "zero");
        assert_eq!(s.cell_of(68.015, 40.985), Some(5));
        assert_eq!(s.cell_of(67.999, 40.985), None);
    }
    // A ModelTransformation without rotation is the same grid.
    let m = [
        0.01, 0.0, 0.0, 68.0, 0.0, -0.01, 0.0, 41.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0,
    ];
    let bytes = geotiff(
        4,
        3,
        &sample_values(),
        Compression::Uncompressed,
        &WGS84_KEYS,
        Some(m),
    );
    assert_eq!(
        read_friction_geotiff(&bytes).unwrap().extent(),
        (68.0, 41.0, 0.01, 0.01)
    );
}

fn refused(bytes: &[u8]) -> (TravelError, String) {
    let e = read_friction_geotiff(bytes).expect_err("must be refused");
    let text = e.to_string();
    (e, text)
}

#[test]
fn travel_refuses_projected_rotated_compressed_and_non_tiff_files_clearly() {
    // UTM 42N (EPSG:32642).
    let utm = [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32642];
    let (e, text) = refused(&geotiff(
        4,
        3,
        &sample_values(),
        Compression::Uncompressed,
        &utm,
        None,
    ));
    assert!(matches!(e, TravelError::NotGeographic(_)), "{e:?}");
    assert!(
        text.contains("EPSG:32642") && text.contains("EPSG:4326"),
        "{text}"
    );

    let rotated = [
        0.01, 0.002, 0.0, 68.0, 0.002, -0.01, 0.0, 41.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0,
    ];
    let (e, text) = refused(&geotiff(
        4,
        3,
        &sample_values(),
        Compression::Uncompressed,
        &WGS84_KEYS,
        Some(rotated),
    ));
    assert!(matches!(e, TravelError::Unsupported(_)), "{e:?}");
    assert!(text.contains("rotated"), "{text}");

    let mut jpeg = geotiff(
        4,
        3,
        &sample_values(),
        Compression::Uncompressed,
        &WGS84_KEYS,
        None,
    );
    patch_short_tag(&mut jpeg, 259, 7);
    let (e, text) = refused(&jpeg);
    assert!(matches!(e, TravelError::Compression(_)), "{e:?}");
    assert!(text.contains("JPEG") && text.contains("deflate"), "{text}");

    let mut complex = geotiff(
        4,
        3,
        &sample_values(),
        Compression::Uncompressed,
        &WGS84_KEYS,
        None,
    );
    patch_short_tag(&mut complex, 339, 6);
    let (e, _) = refused(&complex);
    assert!(matches!(e, TravelError::SampleType(_)), "{e:?}");

    for not_tiff in [
        &b"id,lon,lat\n"[..],
        b"",
        b"{\"type\":\"FeatureCollection\"}",
    ] {
        let (e, text) = refused(not_tiff);
        assert!(matches!(e, TravelError::NotTiff), "{e:?}");
        assert!(text.contains("not a TIFF"), "{text}");
    }
    let (e, _) = refused(b"II*\0garbage");
    assert!(matches!(e, TravelError::Tiff(_)), "{e:?}");
}

#[test]
fn travel_cli_refuses_a_projected_surface_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let utm = [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32642];
    let tif = dir.path().join("utm.tif");
    std::fs::write(
        &tif,
        geotiff(
            4,
            3,
            &sample_values(),
            Compression::Uncompressed,
            &utm,
            None,
        ),
    )
    .unwrap();
    let fac = dir.path().join("f.csv");
    std::fs::write(&fac, "id,sector,lon,lat\nh1,health,68.015,40.985\n").unwrap();
    let pts = dir.path().join("p.csv");
    std::fs::write(&pts, "id,lon,lat\np1,68.025,40.975\n").unwrap();
    let out = dir.path().join("t.csv");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_tirek"))
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "travel-time",
            "--friction",
        ])
        .arg(&tif)
        .arg("--facilities")
        .arg(&fac)
        .arg("--points")
        .arg(&pts)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("EPSG:4326"), "{stderr}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn travel_cli_writes_minutes_for_every_point_and_sector() {
    let dir = tempfile::tempdir().unwrap();
    let values = sample_values();
    let tif = dir.path().join("f.tif");
    std::fs::write(
        &tif,
        geotiff(
            4,
            3,
            &values,
            Compression::Deflate(tiff::encoder::DeflateLevel::Fast),
            &WGS84_KEYS,
            None,
        ),
    )
    .unwrap();
    let fac = dir.path().join("f.csv");
    std::fs::write(&fac, "id,sector,lon,lat\nh1,health,68.005,40.995\nh2,health,68.005,40.995\np1,police,68.035,40.995\n").unwrap();
    let pts = dir.path().join("p.csv");
    std::fs::write(&pts, "id,lon,lat,population\na,68.005,40.995,1\nb,68.025,40.975,1\nc,68.015,40.985,5\nd,70.0,40.0,1\n").unwrap();
    let out = dir.path().join("t.csv");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_tirek"))
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "travel-time",
            "--sectors",
            "health,police,shelter",
            "--friction",
        ])
        .arg(&tif)
        .arg("--facilities")
        .arg(&fac)
        .arg("--points")
        .arg(&pts)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    // The police facility's cell (0, 3) is NoData: it reaches nothing, and is reported.
    assert!(
        stderr.contains("police facility in an impassable cell reach nothing: p1"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "point_id,sector,minutes");
    assert_eq!(rows.len(), 1 + 4 * 3);
    assert!(rows.contains(&"a,health,0"), "{text}");
    assert!(
        rows.contains(&"a,police,") && rows.contains(&"d,health,") && rows.contains(&"b,shelter,")
    );
    // b is two diagonal moves from a.
    let surface =
        FrictionSurface::new(4, 3, (68.0, 41.0), (0.01, 0.01), &values, Some(-9999.0)).unwrap();
    let t = surface
        .travel_times(&[0], Moves::King, f64::INFINITY)
        .minutes(10);
    let b: f64 = rows.iter().find(|r| r.starts_with("b,health,")).unwrap()[9..]
        .parse()
        .unwrap();
    assert_eq!(b, t);
}

/// The bench's folder and the anchors' Python, when both are here.
fn bench_python() -> Option<(PathBuf, PathBuf)> {
    let bench = std::env::var_os("TIREK_TRAVEL_BENCH")
        .map_or_else(|| PathBuf::from("/work/shared/bench/travel"), PathBuf::from);
    let venv = std::env::var_os("ANCHORS_VENV")
        .map_or_else(|| PathBuf::from("/tmp/anchors/venv"), PathBuf::from);
    let python = venv.join("bin/python");
    if !bench.join("check_travel.py").exists() {
        println!("SKIPPED: no travel bench at {}", bench.display());
        return None;
    }
    let ok = std::process::Command::new(&python)
        .args(["-c", "import numpy, scipy, pyproj, tifffile"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!(
            "SKIPPED: no Python with numpy, scipy, pyproj, tifffile at {} (run {}/run_travel.sh tiny)",
            python.display(),
            bench.display()
        );
        return None;
    }
    Some((bench, python))
}

fn run_ok(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{cmd:?}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn travel_cli_matches_the_scipy_reference_on_the_tiny_preset() {
    let Some((bench, python)) = bench_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("tiny");
    let expected = data.join("expected");
    run_ok(
        std::process::Command::new(&python)
            .arg(bench.join("gen_travel.py"))
            .arg(&data)
            .args(["--preset", "tiny"]),
    );
    run_ok(
        std::process::Command::new(&python)
            .arg(bench.join("py_travel.py"))
            .arg(&data)
            .arg(&expected),
    );
    let d = |f: &str| data.join(f);
    let times = dir.path().join("times.csv");
    let coverage = dir.path().join("coverage.csv");
    let tirek = env!("CARGO_BIN_EXE_tirek");
    let data_dir = dir.path().join("store");
    run_ok(
        std::process::Command::new(tirek)
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("travel-time")
            .arg("--friction")
            .arg(d("friction.tif"))
            .arg("--facilities")
            .arg(d("facilities.csv"))
            .arg("--points")
            .arg(d("population.csv"))
            .arg("--out")
            .arg(&times),
    );
    run_ok(
        std::process::Command::new(tirek)
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("coverage")
            .arg("--friction")
            .arg(d("friction.tif"))
            .args([
                "--threshold-min",
                "health=120,police=60,psychosocial=120,shelter=240",
            ])
            .arg("--facilities")
            .arg(d("facilities.geojson"))
            .arg("--population")
            .arg(d("population.csv"))
            .arg("--areas")
            .arg(d("districts.geojson"))
            .args([
                "--code-field",
                "id",
                "--area-column",
                "district_id",
                "--id-column",
                "district_id",
            ])
            .arg("--out")
            .arg(&coverage),
    );
    let verdict = run_ok(
        std::process::Command::new(&python)
            .arg(bench.join("check_travel.py"))
            .arg(&expected)
            .arg(&times)
            .arg(&coverage),
    );
    assert!(verdict.contains("\"ok\": true"), "{verdict}");
}
