//! Nearest-service queries on seeded synthetic facilities (Central Asia bounding box,
//! clustered around towns like real services), at 1k, 100k and 1M facilities.
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
        sectors: vec![],
        services: vec![],
        lon: 0.0,
        lat: 0.0,
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

criterion_group!(benches, bench_nearest, bench_build);
criterion_main!(benches);
