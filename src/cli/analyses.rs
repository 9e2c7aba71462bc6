//! `tirek nearest` and `tirek coverage`: the nearest services for one point or many, and
//! population coverage per area, on files, on the store, or a mix.

use super::args::{CoverageArgs, NearestArgs};
use super::inputs::Inputs;
use super::{
    parse_minute_thresholds, parse_statuses, parse_thresholds, read_file, record_errors,
    write_output,
};
use crate::coverage::analysis::{self, CoverageOptions, LeftOutPoint, SiteAreas, Sites};
use crate::coverage::report as coverage_report;
use crate::coverage::{AccessModel, GeodesicAccess};
use crate::import::query_points::read_points;
use crate::index::Filter;
use crate::model::{Area, Sector, Settlement, parse_list};
use crate::registry::Registry;
use crate::travel::TravelTimeAccess;
use anyhow::{Result, bail};
use std::path::Path;
use std::time::Instant;

pub fn nearest(registry: &Registry, args: &NearestArgs) -> Result<()> {
    let sectors: Vec<Sector> = match &args.sector {
        Some(s) => parse_list(s)?,
        None => Sector::nearest_default(),
    };
    let (Some(lon), Some(lat)) = (args.lon, args.lat) else {
        bail!("give --lon and --lat, or --points FILE");
    };
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        bail!("--lon must be in -180..180 and --lat in -90..90");
    }
    let index = registry.index();
    println!("{:<13} {:>12}  {:<28} name", "sector", "distance_km", "id");
    for sector in sectors {
        let hits = index.nearest(lon, lat, sector, args.k, &Filter::default());
        if hits.is_empty() {
            println!("{:<13} {:>12}  {:<28} (none)", sector.as_str(), "-", "-");
        }
        for hit in hits {
            println!(
                "{:<13} {:>12.3}  {:<28} {}",
                sector.as_str(),
                hit.distance_m / 1000.0,
                hit.record.id(),
                hit.facility().name
            );
        }
    }
    Ok(())
}

/// `tirek nearest --points P.csv [--facilities F.geojson]`.
pub fn batch_nearest(
    registry: Option<&Registry>,
    args: &NearestArgs,
    points_path: &Path,
) -> Result<()> {
    let started = Instant::now();
    let sectors: Vec<Sector> = match &args.sector {
        Some(s) => parse_list(s)?,
        None => Sector::MINIMUM_PACKAGE.to_vec(),
    };
    let statuses = parse_statuses(args.status.as_deref())?;
    let sites = Inputs::new(registry).sites(args.facilities.as_deref(), &statuses)?;
    let points =
        read_points(&read_file(points_path)?).map_err(|e| record_errors(points_path, e))?;
    let loaded = started.elapsed();
    let coords: Vec<(f64, f64)> = points.iter().map(|p| (p.lon, p.lat)).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let computed_at = Instant::now();
    let answers = analysis::batch_nearest(&sites, &coords, &sectors, threads);
    let computed = computed_at.elapsed();
    let mut text = String::with_capacity(points.len() * sectors.len() * 40);
    text.push_str("point_id,sector,facility_id,distance_m\n");
    for (p, row) in points.iter().zip(answers.rows()) {
        for (sector, answer) in sectors.iter().zip(row) {
            match answer {
                Some((f, d)) => {
                    text.push_str(&format!("{},{},{},", p.id, sector, sites.ids[*f as usize]));
                    push_metres(&mut text, *d);
                    text.push('\n');
                }
                None => text.push_str(&format!("{},{},,\n", p.id, sector)),
            }
        }
    }
    write_output(args.out.as_deref(), &text)?;
    eprintln!(
        "{} points × {} sectors: loaded in {:.1} ms, computed in {:.1} ms ({threads} threads)",
        points.len(),
        sectors.len(),
        loaded.as_secs_f64() * 1e3,
        computed.as_secs_f64() * 1e3
    );
    eprintln!(
        "timings {}",
        serde_json::json!({"command": "nearest", "points": points.len(), "load_ms": loaded.as_secs_f64() * 1e3,
                           "compute_ms": computed.as_secs_f64() * 1e3, "threads": threads})
    );
    Ok(())
}

/// Appends a distance in metres with four decimals (0.1 mm), like `{:.4}` but without
/// its exact-decimal slow path (the last digit may differ on exact halves).
fn push_metres(out: &mut String, metres: f64) {
    let tenths_of_mm = (metres * 1e4).round();
    if !(tenths_of_mm.is_finite() && (0.0..1e15).contains(&tenths_of_mm)) {
        out.push_str(&format!("{metres:.4}"));
        return;
    }
    let n = tenths_of_mm as u64;
    out.push_str(&format!("{}.{:04}", n / 10_000, n % 10_000));
}

/// `tirek coverage`: on files, on the store, or a mix.
pub fn coverage(registry: Option<&Registry>, args: &CoverageArgs) -> Result<()> {
    let started = Instant::now();
    crate::parallel::start_pool();
    let sectors: Vec<Sector> = match &args.sectors {
        Some(s) => parse_list(s)?,
        None => Sector::MINIMUM_PACKAGE.to_vec(),
    };
    let package: Vec<Sector> = match &args.package {
        Some(s) => parse_list(s)?,
        None => Sector::MINIMUM_PACKAGE.to_vec(),
    };
    let options = CoverageOptions {
        sectors: sectors.clone(),
        package,
        thresholds: parse_thresholds(args.threshold_km.as_deref())?,
        distances: args.distances,
    };
    // Facilities then areas, and the population, load side by side; the facilities are
    // placed in the areas as soon as both are in (they do not depend on the thresholds).
    let minutes = parse_minute_thresholds(args.threshold_min.as_deref())?;
    let statuses = parse_statuses(args.status.as_deref())?;
    let inputs = Inputs::new(registry);
    let ((sites, areas, site_areas), population, surface) = std::thread::scope(|scope| {
        let surface = args
            .friction
            .as_deref()
            .map(|path| scope.spawn(|| super::travel::load_friction(path)));
        let sites = scope.spawn(|| -> Result<(Sites, Vec<Area>, SiteAreas)> {
            let sites = inputs.sites(args.facilities.as_deref(), &statuses)?;
            let areas = inputs.areas(
                args.areas.as_deref(),
                args.level,
                args.code_field.as_deref(),
            )?;
            let site_areas = SiteAreas::locate(&sites, &areas);
            Ok((sites, areas, site_areas))
        });
        let population = scope.spawn(|| {
            inputs.population_points(args.population.as_deref(), args.area_column.as_deref())
        });
        let sites = sites
            .join()
            .map_err(|_| anyhow::anyhow!("the facility loader failed"))??;
        let population = population
            .join()
            .map_err(|_| anyhow::anyhow!("the population loader failed"))??;
        let surface = match surface {
            Some(handle) => Some(
                handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("the friction surface loader failed"))??,
            ),
            None => None,
        };
        Ok::<_, anyhow::Error>((sites, population, surface))
    })?;
    let (mut population, area_codes) = population;
    if let Some(codes) = &area_codes {
        let area_codes: Vec<&str> = areas.iter().map(|a| a.code.as_str()).collect();
        let path = args
            .population
            .as_deref()
            .unwrap_or(Path::new("population"));
        let found = codes
            .resolve(&area_codes)
            .map_err(|e| record_errors(path, e))?;
        for (p, a) in population.iter_mut().zip(found) {
            p.area = Some(a);
        }
    }
    let loaded = started.elapsed();
    let computed_at = Instant::now();
    let cpu_at = super::travel::cpu_seconds();
    let population_count = population.len();
    let geodesic = GeodesicAccess::new(options.thresholds);
    let travel = surface.as_ref().map(|surface| {
        // Reported once here; the model places them again per sector.
        super::travel::sources(surface, &sites, &sectors);
        let coords: Vec<(f64, f64)> = population.iter().map(|p| (p.lon, p.lat)).collect();
        super::travel::point_cells(surface, &coords);
        TravelTimeAccess {
            surface,
            thresholds: minutes,
            moves: super::travel::moves(args.knight_moves),
        }
    });
    let model: &dyn AccessModel = match &travel {
        Some(t) => t,
        None => &geodesic,
    };
    let run = analysis::coverage_by(
        model,
        &sites,
        Some(&site_areas),
        population,
        &areas,
        &options,
        area_codes.is_some(),
    );
    let computed = computed_at.elapsed();
    let cpu = cpu_at.zip(super::travel::cpu_seconds()).map(|(a, b)| b - a);
    let text = coverage_report::csv(&run.table, &run.labels, &sectors, &args.id_column);
    write_output(args.out.as_deref(), &text)?;
    if run.outside > 0 {
        eprintln!(
            "{} population point(s) lie in no area: counted in the nearest area of their country within 0.2°",
            run.outside
        );
    }
    if !run.left_out.is_empty() {
        let people: f64 = run.left_out.iter().map(|p| p.population).sum();
        eprintln!(
            "{} population point(s) ({people:.0} people) lie farther than 0.2° from every area of their country: counted in no area{}",
            run.left_out.len(),
            if args.left_out.is_some() {
                ""
            } else {
                " (list them with --left-out FILE)"
            }
        );
    }
    if let Some(path) = &args.left_out {
        let names = match (&args.population, registry) {
            (None, Some(r)) => Some(r.places()),
            _ => None,
        };
        write_output(
            Some(path),
            &left_out_csv(&run.left_out, names.as_ref().map(|p| &p.settlements[..])),
        )?;
    }
    if args.timings {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        eprintln!(
            "{} facilities, {} population points, {} areas: loaded in {:.1} ms, computed in {:.1} ms (points prepared in {:.1} ms, areas assigned in {:.1} ms, coverage in {:.1} ms), total {:.1} ms",
            sites.ids.len(),
            population_count,
            areas.len(),
            ms(loaded),
            ms(computed),
            ms(run.prepare_time),
            ms(run.assign_time),
            ms(run.compute_time),
            ms(started.elapsed())
        );
        eprintln!(
            "timings {}",
            serde_json::json!({"command": "coverage", "load_ms": ms(loaded),
                               "compute_ms": ms(computed),
                               "compute_cpu_ms": cpu.map(|c| c * 1e3),
                               "prepare_ms": ms(run.prepare_time),
                               "assign_ms": ms(run.assign_time),
                               "coverage_ms": ms(run.compute_time),
                               "threads": crate::parallel::threads(),
                               "total_ms": ms(started.elapsed())})
        );
    }
    Ok(())
}

/// The left-out points as CSV `id,name,lon,lat,population,reason`; ids and names from
/// `settlements` (the population, in the same order) when given, else the row number.
fn left_out_csv(points: &[LeftOutPoint], settlements: Option<&[Settlement]>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(["id", "name", "lon", "lat", "population", "reason"]);
    for p in points {
        let (id, name) = match settlements.and_then(|s| s.get(p.index as usize)) {
            Some(s) => (s.id.clone(), s.name.clone()),
            None => ((p.index + 1).to_string(), String::new()),
        };
        let _ = writer.write_record([
            id,
            name,
            p.lon.to_string(),
            p.lat.to_string(),
            p.population.to_string(),
            p.why.reason().to_string(),
        ]);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}
