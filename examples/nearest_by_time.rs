//! Latency of the nearest search by travel time (what `/api/nearest?by=time` runs after
//! parsing: one bounded search outwards from the query cell for every sector asked,
//! then the minutes of the results, as the caseworker cards get them) on a friction
//! surface and facilities of the travel bench (`../shared/bench/travel`, e.g. the
//! `large` preset: the five countries at 30″, 12.7 M cells). Queries are at population
//! points (where people ask from). Prints percentiles in milliseconds.
//!
//! ```sh
//! bash ../shared/bench/travel/run_travel.sh large   # or only its gen_travel.py step
//! cargo run --release --example nearest_by_time -- /tmp/travel/data/large [QUERIES]
//! ```

use std::time::Instant;
use tirek::index::{Filter, ServiceIndex};
use tirek::model::Sector;
use tirek::travel::{Scenario, SearchLimits};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("the bench data folder"));
    let queries: usize = args.next().map_or(2000, |n| n.parse().expect("a count"));
    let started = Instant::now();
    let surface = tirek::travel::read_friction_geotiff(
        &std::fs::read(dir.join("friction.tif")).expect("friction.tif"),
    )
    .expect("a friction surface");
    println!(
        "surface: {} × {} cells, read in {:.1} s",
        surface.width(),
        surface.height(),
        started.elapsed().as_secs_f64()
    );
    let csv = std::fs::read_to_string(dir.join("facilities.csv")).expect("facilities.csv");
    let features: Vec<String> = csv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let [id, sector, lon, lat] = f[..] else {
                return None;
            };
            Some(format!(
                r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{lon},{lat}]}},"properties":{{"id":"{id}","name":"{id}","sectors":["{sector}"],"country":"KZ"}}}}"#
            ))
        })
        .collect();
    let doc = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    );
    let facilities =
        tirek::import::read_facilities(doc.as_bytes(), tirek::import::FacilityFormat::Geojson)
            .expect("facilities");
    let index = ServiceIndex::build(facilities, 1);
    let scenario = Scenario::new("bench".into(), false, String::new(), surface);
    let population = std::fs::read_to_string(dir.join("population.csv")).expect("population.csv");
    let rows: Vec<(f64, f64)> = population
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f.get(1)?.parse().ok()?, f.get(2)?.parse().ok()?))
        })
        .collect();
    let step = (rows.len() / queries).max(1);
    let points: Vec<(f64, f64)> = rows.iter().step_by(step).take(queries).copied().collect();
    let sectors = [
        Sector::Health,
        Sector::Police,
        Sector::Psychosocial,
        Sector::Shelter,
    ];
    let filter = Filter::default();
    let limits = SearchLimits {
        minutes: 24.0 * 60.0,
        cells: 1_000_000,
    };
    // Placing the facilities on the surface happens once per data version.
    let _ = scenario.nearest(
        &index,
        points[0].0,
        points[0].1,
        &sectors,
        1,
        &filter,
        limits,
    );
    let (mut rank, mut cards, mut both) = (Vec::new(), Vec::new(), Vec::new());
    let mut found = 0usize;
    for &(lon, lat) in &points {
        let t0 = Instant::now();
        let answer = scenario.nearest(&index, lon, lat, &sectors, 1, &filter, limits);
        let t1 = Instant::now();
        let targets: Vec<(f64, f64)> = answer
            .hits
            .iter()
            .flatten()
            .map(|h| h.record.lonlat())
            .collect();
        found += targets.len();
        let _ = scenario.times_to(lon, lat, &targets, limits);
        let t2 = Instant::now();
        rank.push((t1 - t0).as_secs_f64() * 1e3);
        cards.push((t2 - t1).as_secs_f64() * 1e3);
        both.push((t2 - t0).as_secs_f64() * 1e3);
    }
    for (what, v) in [
        ("nearest by time (4 sectors, k=1)", &mut rank),
        ("minutes of 4 results in a second scenario", &mut cards),
        ("both", &mut both),
    ] {
        v.sort_by(f64::total_cmp);
        let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        println!(
            "{what}: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} queries)",
            p(0.5),
            p(0.9),
            p(0.99),
            p(1.0),
            v.len()
        );
    }
    println!("results found: {found} of {}", points.len() * sectors.len());
}
