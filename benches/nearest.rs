//! Nearest-service queries on seeded synthetic facilities (Central Asia bounding box,
//! clustered around towns like real services): single queries at 1k, 100k and 1M
//! facilities; batches (20,000 points × the four package sectors, like workload W1 of
//! the anchors) at 5k and 200k; the geodesic itself, Vincenty's against Karney's.
//! `cargo bench --bench nearest`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use tirek::index::{Filter, ServiceIndex};
use tirek::model::{Facility, Sector, Status};

fn synthetic(n: usize, seed: u64) -> Vec<Facility> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let towns: Vec<(f64, f64)> = (0..400)
        .map(|_| (rng.random_range(46.0..88.0), rng.random_range(35.0..56.0)))
        .collect();
    let template = Facility {
        id: String::new(),
        name: "Synthetic".into(),
        names: Default::default(),
        organisation: None,
        organisation_id: None,
        victim_support_partner: None,
        sectors: vec![],
        services: vec![],
        lon: 0.0,
        lat: 0.0,
        location_precision: tirek::model::LocationPrecision::Exact,
        address: None,
        country: "KZ".into(),
        adm1: None,
        adm2: None,
        phone: None,
        opening_hours: None,
        languages: vec![],
        female_staff: false,
        child_friendly: false,
        wheelchair_access: false,
        free_of_charge: false,
        no_police_report_required: false,
        capacity: None,
        status: Status::Active,
        confidential: false,
        verified_at: None,
        source: None,
        demo: true,
        created_at: None,
        updated_at: None,
    };
    (0..n)
        .map(|i| {
            let (lon, lat) = if rng.random_bool(0.8) {
                let (tl, tt) = towns[rng.random_range(0..towns.len())];
                (
                    tl + rng.random_range(-0.3..0.3),
                    tt + rng.random_range(-0.3..0.3),
                )
            } else {
                (rng.random_range(46.0..88.0), rng.random_range(35.0..56.0))
            };
            let sector = [
                Sector::Health,
                Sector::Police,
                Sector::Psychosocial,
                Sector::Shelter,
            ][rng.random_range(0..4)];
            Facility {
                id: format!("f{i}"),
                sectors: vec![sector],
                lon,
                lat,
                ..template.clone()
            }
        })
        .collect()
}

fn bench_nearest(c: &mut Criterion) {
    let mut group = c.benchmark_group("nearest");
    group.sample_size(30);
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let queries: Vec<(f64, f64)> = (0..1000)
        .map(|_| (rng.random_range(46.0..88.0), rng.random_range(35.0..56.0)))
        .collect();
    let filter = Filter::default();
    for n in [1_000usize, 100_000, 1_000_000] {
        let index = ServiceIndex::build(synthetic(n, 1), 1);
        group.throughput(Throughput::Elements(queries.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("k1_one_sector_x1000", n),
            &index,
            |b, index| {
                b.iter(|| {
                    for &(lon, lat) in &queries {
                        black_box(index.nearest(lon, lat, Sector::Health, 1, &filter));
                    }
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("k1_every_sector_x1000", n),
            &index,
            |b, index| {
                b.iter(|| {
                    for &(lon, lat) in &queries {
                        for s in Sector::MINIMUM_PACKAGE {
                            black_box(index.nearest(lon, lat, s, 1, &filter));
                        }
                    }
                })
            },
        );
    }
    group.finish();
}

fn bench_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("index_build");
    group.sample_size(10);
    for n in [100_000usize, 1_000_000] {
        let facilities = synthetic(n, 1);
        group.bench_with_input(BenchmarkId::from_parameter(n), &facilities, |b, f| {
            b.iter(|| black_box(ServiceIndex::build(f.clone(), 1)))
        });
    }
    group.finish();
}

fn bench_batch(c: &mut Criterion) {
    use tirek::coverage::analysis::{Sites, batch_nearest};
    use tirek::import::sites::SiteRecord;
    let mut group = c.benchmark_group("batch_nearest");
    group.sample_size(20);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let points: Vec<(f64, f64)> = (0..20_000)
        .map(|_| (rng.random_range(46.0..88.0), rng.random_range(35.0..56.0)))
        .collect();
    for n in [5_000usize, 200_000] {
        let records: Vec<SiteRecord> = synthetic(n, 2)
            .into_iter()
            .map(|f| SiteRecord {
                status: tirek::model::Status::Active,
                id: f.id,
                lon: f.lon,
                lat: f.lat,
                sectors: f.sectors,
                country: None,
            })
            .collect();
        let sites = Sites::from_records(&records);
        group.throughput(Throughput::Elements(points.len() as u64 * 4));
        group.bench_with_input(
            BenchmarkId::new("20k_points_4_sectors_2_threads", n),
            &sites,
            |b, sites| {
                b.iter(|| black_box(batch_nearest(sites, &points, &Sector::MINIMUM_PACKAGE, 2)))
            },
        );
    }
    group.finish();
}

fn bench_geodesic(c: &mut Criterion) {
    use tirek::spatial::geodesy::{geodesic_m, karney_m};
    let mut group = c.benchmark_group("geodesic");
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let pairs: Vec<(f64, f64, f64, f64)> = (0..1_000)
        .map(|_| {
            let (lon, lat) = (rng.random_range(46.0..88.0), rng.random_range(35.0..56.0));
            (
                lon,
                lat,
                lon + rng.random_range(-0.5..0.5),
                lat + rng.random_range(-0.5..0.5),
            )
        })
        .collect();
    group.throughput(Throughput::Elements(pairs.len() as u64));
    group.bench_function("vincenty_x1000", |b| {
        b.iter(|| {
            for &(a, b_, c_, d) in &pairs {
                black_box(geodesic_m(a, b_, c_, d));
            }
        })
    });
    group.bench_function("karney_x1000", |b| {
        b.iter(|| {
            for &(a, b_, c_, d) in &pairs {
                black_box(karney_m(a, b_, c_, d));
            }
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_nearest,
    bench_build,
    bench_batch,
    bench_geodesic
);
criterion_main!(benches);
