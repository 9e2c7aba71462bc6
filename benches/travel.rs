//! The travel-time engine on a seeded synthetic friction surface like the bench's
//! `default` preset: 1,000 × 600 cells at 0.01° over 66–76°E, 38–44°N, off-road
//! friction 0.012–0.04 min/m, rivers of impassable cells with bridges, roads (straight
//! lines of fast cells). `cargo bench --bench travel`.
//!
//! - `travel/one_sector`: one sector's search from 300 facilities over the whole
//!   surface (8 neighbours);
//! - `travel/one_sector_knight`: the same with knight's moves (16 neighbours);
//! - `travel/four_sectors_at_points`: four sectors (300/200/80/20 facilities) in
//!   parallel, times gathered at 100,000 points (what `tirek travel-time` computes);
//! - `travel/four_sectors_to_thresholds`: the same stopped at 60–240 minutes
//!   (`tirek coverage --friction`).

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use tirek::travel::{FrictionSurface, Moves, sector_sources, times_at_cells};

const W: usize = 1_000;
const H: usize = 600;
const RES: f64 = 0.01;
const LEFT: f64 = 66.0;
const TOP: f64 = 44.0;

fn surface(rng: &mut ChaCha8Rng) -> FrictionSurface {
    let mut v: Vec<f32> = (0..W * H)
        .map(|_| rng.random_range(0.012f32..0.04))
        .collect();
    // Rivers: random walks of impassable cells.
    for _ in 0..8 {
        let (mut r, mut c) = (rng.random_range(0..H) as i64, rng.random_range(0..W) as i64);
        for _ in 0..3_000 {
            if (0..H as i64).contains(&r) && (0..W as i64).contains(&c) {
                v[r as usize * W + c as usize] = -9999.0;
            }
            match rng.random_range(0..4) {
                0 => r += 1,
                1 => r -= 1,
                _ => c += 1,
            }
        }
    }
    // Roads (and bridges where they cross a river): rows and columns of fast cells.
    for k in 0..12 {
        let r = 25 + k * 50;
        for c in 0..W {
            v[r * W + c] = 0.0012;
        }
        let c = 40 + k * 80;
        for r in 0..H {
            v[r * W + c] = 0.002;
        }
    }
    FrictionSurface::new(W, H, (LEFT, TOP), (RES, RES), &v, Some(-9999.0)).unwrap()
}

fn points(rng: &mut ChaCha8Rng, n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|_| {
            (
                LEFT + rng.random_range(0.0..W as f64) * RES,
                TOP - rng.random_range(0.0..H as f64) * RES,
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let surface = surface(&mut rng);
    let sectors: Vec<Vec<usize>> = [300, 200, 80, 20]
        .iter()
        .map(|&n| sector_sources(&surface, points(&mut rng, n)).cells)
        .collect();
    let cells: Vec<Option<usize>> = points(&mut rng, 100_000)
        .iter()
        .map(|&(lon, lat)| surface.cell_of(lon, lat))
        .collect();
    let sources: Vec<&[usize]> = sectors.iter().map(|s| &s[..]).collect();
    let mut group = c.benchmark_group("travel");
    group.sample_size(10);
    group.bench_function("one_sector", |b| {
        b.iter(|| black_box(surface.travel_times(&sectors[0], Moves::King, f64::INFINITY)))
    });
    group.bench_function("one_sector_knight", |b| {
        b.iter(|| black_box(surface.travel_times(&sectors[0], Moves::Knight, f64::INFINITY)))
    });
    group.bench_function("four_sectors_at_points", |b| {
        b.iter(|| {
            black_box(times_at_cells(
                &surface,
                &sources,
                &cells,
                Moves::King,
                &[f64::INFINITY; 4],
            ))
        })
    });
    group.bench_function("four_sectors_to_thresholds", |b| {
        b.iter(|| {
            black_box(times_at_cells(
                &surface,
                &sources,
                &cells,
                Moves::King,
                &[120.0, 120.0, 60.0, 240.0],
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
