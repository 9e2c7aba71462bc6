//! Coverage analyses on seeded synthetic data over Central Asia's bounding box (points
//! clustered around 400 towns like real services and settlements): 5,000 facilities of
//! the minimum package, 100,000 population points, 500 square districts.
//! `cargo bench --bench coverage`.
//!
//! - `coverage/per_area`: `analysis::coverage` (area assignment + covered tests for the
//!   four package sectors), without and with distances;
//! - `coverage/blocks_4_sectors` and `coverage/area_grid`: the two halves alone on
//!   prepared points (the block search for the four sectors; point-in-polygon of the
//!   100,000 points, grid build included);
//! - `plan_sites/k50`: a 50-site greedy placement for health (existing coverage,
//!   candidate sets, CELF greedy), candidates = the 100,000 points;
//! - `grid/res5`: the H3 gap grid of the four sectors over the box at res 5.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::hint::black_box;
use tirek::coverage::analysis::{self, CoverageOptions, Sites};
use tirek::coverage::grid::{BBox, Region};
use tirek::coverage::planning;
use tirek::coverage::{AccessModel, GeodesicAccess, PointSet, Thresholds};
use tirek::import::sites::SiteRecord;
use tirek::model::{Area, Sector, Settlement};
use tirek::spatial::area_grid::AreaGrid;

const W: f64 = 46.0;
const E: f64 = 88.0;
const S: f64 = 35.0;
const N: f64 = 56.0;

struct Data {
    sites: Vec<SiteRecord>,
    settlements: Vec<Settlement>,
    areas: Vec<Area>,
}

fn data() -> Data {
    let mut rng = ChaCha8Rng::seed_from_u64(2025);
    let towns: Vec<(f64, f64)> = (0..400)
        .map(|_| (rng.random_range(W..E), rng.random_range(S..N)))
        .collect();
    let point = |rng: &mut ChaCha8Rng| {
        if rng.random_bool(0.8) {
            let (x, y) = towns[rng.random_range(0..towns.len())];
            (
                (x + rng.random_range(-0.5..0.5)).clamp(W, E),
                (y + rng.random_range(-0.5..0.5)).clamp(S, N),
            )
        } else {
            (rng.random_range(W..E), rng.random_range(S..N))
        }
    };
    let sites = (0..5_000)
        .map(|i| {
            let (lon, lat) = point(&mut rng);
            SiteRecord {
                status: tirek::model::Status::Active,
                id: format!("f{i}"),
                sectors: vec![Sector::MINIMUM_PACKAGE[rng.random_range(0..4)]],
                lon,
                lat,
                country: None,
            }
        })
        .collect();
    let settlements = (0..100_000)
        .map(|i| {
            let (lon, lat) = point(&mut rng);
            Settlement {
                id: format!("p{i}"),
                name: format!("p{i}"),
                name_ru: None,
                alt_names: vec![],
                lon,
                lat,
                population: f64::from(rng.random_range(10..5_000)),
                country: None,
                adm1: None,
                adm2: None,
            }
        })
        .collect();
    // 25 × 20 districts of 1.68° × 1.05°.
    let (nx, ny) = (25, 20);
    let (dx, dy) = ((E - W) / f64::from(nx), (N - S) / f64::from(ny));
    let mut areas = Vec::new();
    for i in 0..nx {
        for j in 0..ny {
            let (x0, y0) = (W + dx * f64::from(i), S + dy * f64::from(j));
            let ring = geo::LineString::from(vec![
                (x0, y0),
                (x0 + dx, y0),
                (x0 + dx, y0 + dy),
                (x0, y0 + dy),
                (x0, y0),
            ]);
            areas.push(Area {
                code: format!("D{i:02}{j:02}"),
                level: 2,
                parent: None,
                name: String::new(),
                names: BTreeMap::new(),
                geometry: geo::MultiPolygon(vec![geo::Polygon::new(ring, vec![])]),
            });
        }
    }
    Data {
        sites,
        settlements,
        areas,
    }
}

fn bench_coverage(c: &mut Criterion) {
    let d = data();
    let sites = Sites::from_records(&d.sites);
    let mut group = c.benchmark_group("coverage");
    group.sample_size(10);
    for distances in [false, true] {
        let options = CoverageOptions {
            sectors: Sector::MINIMUM_PACKAGE.to_vec(),
            package: Sector::MINIMUM_PACKAGE.to_vec(),
            thresholds: Thresholds::default(),
            distances,
        };
        group.bench_with_input(
            BenchmarkId::new(
                "per_area_5k_sites_100k_points_500_areas",
                if distances { "distances" } else { "covered" },
            ),
            &options,
            |b, options| {
                b.iter(|| {
                    black_box(analysis::coverage(
                        &sites,
                        &d.settlements,
                        &d.areas,
                        options,
                    ))
                })
            },
        );
    }
    let points: Vec<(f64, f64)> = d.settlements.iter().map(|s| (s.lon, s.lat)).collect();
    let set = PointSet::new(&points);
    let model = GeodesicAccess::new(Thresholds::default());
    let tests: Vec<(Sector, &tirek::spatial::points::CoordIndex)> = Sector::MINIMUM_PACKAGE
        .iter()
        .map(|&s| (s, &sites.per_sector[s.index()]))
        .collect();
    group.bench_function("blocks_4_sectors_100k_points", |b| {
        b.iter(|| black_box(model.covered_many(&tests, &set)))
    });
    let polygons: Vec<_> = d.areas.iter().map(|a| a.geometry.clone()).collect();
    group.bench_function("area_grid_100k_points_500_areas", |b| {
        b.iter(|| black_box(AreaGrid::new(&polygons, points.len()).assign(&set.lonlat)))
    });
    group.finish();

    let mut group = c.benchmark_group("plan_sites");
    group.sample_size(10);
    let candidates = planning::settlement_candidates(&d.settlements);
    group.bench_function("k50_health_100k_candidates", |b| {
        b.iter(|| {
            black_box(
                planning::plan_sites(
                    &sites,
                    &d.settlements,
                    Sector::Health,
                    30_000.0,
                    50,
                    candidates.clone(),
                )
                .map(|p| p.plan.steps.len()),
            )
        })
    });
    group.finish();

    let mut group = c.benchmark_group("grid");
    group.sample_size(10);
    let region = Region::BBox(BBox::new(W, S, E, N).unwrap());
    group.bench_function("res5_package_box", |b| {
        b.iter(|| {
            black_box(
                planning::grid(
                    &sites,
                    &d.settlements,
                    &region,
                    5,
                    &Sector::MINIMUM_PACKAGE,
                    Thresholds::default(),
                    1_000_000,
                )
                .map(|g| g.cells.len()),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_coverage);
criterion_main!(benches);
