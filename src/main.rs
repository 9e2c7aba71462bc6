//! The `tirek` command: server and command-line tools on the same store.
#![forbid(unsafe_code)]

mod cli_import;
mod cli_plan;
mod cli_users;

use anyhow::{Context, Result, bail};
use clap::Parser;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tirek::analysis::{self, CoverageOptions, SiteAreas, Sites};
use tirek::basemap::Basemap;
use tirek::config::CoverageArgs;
use tirek::config::{Cli, Command, ExportCommand, ImportCommand, NearestArgs, ServeArgs};
use tirek::coverage::PopulationPoint;
use tirek::coverage::Thresholds;
use tirek::coverage::report as coverage_report;
use tirek::import::FacilityFormat;
use tirek::import::RecordError;
use tirek::import::analysis::read_sites;
use tirek::import::areas::{AreaOptions, read_geojson_with as read_areas};
use tirek::import::settlements::{AreaCodes, read_points, read_population_points_with_codes};
use tirek::index::Filter;
use tirek::model::Area;
use tirek::model::{Sector, parse_list};
use tirek::registry::Registry;
use tirek::{AppState, Settings, app, defaults, export, store};

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // Commands whose inputs are all files run without opening the store.
    match &cli.command {
        Command::Openapi => {
            print!("{}", tirek::api::openapi::document());
            return Ok(());
        }
        Command::Coverage(args)
            if args.facilities.is_some() && args.population.is_some() && args.areas.is_some() =>
        {
            return coverage(None, args);
        }
        Command::PlanSites(args) if args.facilities.is_some() && args.population.is_some() => {
            return cli_plan::plan_sites(None, args);
        }
        Command::Nearest(NearestArgs {
            points: Some(points),
            facilities: Some(_),
            ..
        }) => {
            if let Command::Nearest(args) = &cli.command {
                return batch_nearest(None, args, points);
            }
        }
        _ => {}
    }
    // A basemap setting is checked before the store is opened: a mistake fails at once.
    let basemap = match &cli.command {
        Command::Serve(args) => Basemap::from_settings(
            args.basemap_pmtiles.as_deref(),
            args.basemap_xyz.as_deref(),
            args.basemap_attribution.as_deref(),
        )?,
        _ => None,
    };
    let store = store::open(cli.database_url.as_deref(), &cli.data_dir)
        .await
        .context("opening the store")?;
    let registry = Arc::new(
        Registry::open(store)
            .await
            .context("loading the registry")?,
    );
    match cli.command {
        Command::Serve(args) => serve(registry, args, basemap).await,
        Command::Import(ImportCommand::Facilities {
            file,
            format,
            country,
        }) => cli_import::facilities(&registry, &file, format, country).await,
        Command::Import(ImportCommand::Areas {
            file,
            level,
            code_field,
            name_field,
        }) => {
            let options = tirek::import::areas::AreaOptions {
                level,
                code_field,
                name_field,
            };
            cli_import::areas(&registry, &file, options).await
        }
        Command::Import(ImportCommand::Population { file }) => {
            cli_import::population(&registry, &file).await
        }
        Command::Export(ExportCommand::Facilities { format, out }) => {
            let index = registry.index();
            let all: Vec<_> = index.facilities().map(|r| r.decode()).collect();
            let text = match format {
                FacilityFormat::Geojson => {
                    serde_json::to_string_pretty(&export::geojson(&all))? + "\n"
                }
                FacilityFormat::Csv => export::csv(&all),
            };
            match out {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => std::io::stdout().write_all(text.as_bytes())?,
            }
            Ok(())
        }
        Command::Nearest(args) => match &args.points {
            Some(points) => batch_nearest(Some(&registry), &args, points),
            None => nearest(&registry, &args),
        },
        Command::Coverage(args) => coverage(Some(&registry), &args),
        Command::PlanSites(args) => cli_plan::plan_sites(Some(&registry), &args),
        Command::Grid(args) => cli_plan::grid(&registry, &args),
        Command::Openapi => Ok(()),
        Command::User(command) => cli_users::user(registry.store().clone(), command).await,
        Command::Audit(args) => cli_users::audit(registry.store().as_ref(), &args).await,
    }
}

async fn serve(registry: Arc<Registry>, args: ServeArgs, basemap: Option<Basemap>) -> Result<()> {
    if !args.no_default_data {
        match defaults::load_if_empty(&registry, &args.geodata_dir).await {
            Ok(Some(loaded)) => {
                tracing::info!(?loaded, "loaded the default data (demo facilities)")
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("default data not loaded: {e}"),
        }
    }
    let web_dir = args.web_dir.is_dir().then_some(args.web_dir.clone());
    if web_dir.is_none() {
        tracing::warn!(
            "no web folder at {}: serving the API only",
            args.web_dir.display()
        );
    }
    match &basemap {
        None => tracing::info!("no basemap configured (TIREK_BASEMAP_PMTILES / TIREK_BASEMAP_XYZ)"),
        Some(b) => tracing::info!("basemap: {}", b.describe()),
    }
    // Writes by other instances and by the CLI reach this one through the store.
    let _follower = registry.follow();
    let state = AppState::new(
        registry,
        Settings {
            secure_cookies: args.secure_cookies,
            verification_max_age_days: args.verification_max_age_days,
            web_dir,
            max_import_bytes: args.max_import_mb * 1024 * 1024,
            basemap,
        },
    );
    if let Some(password) = state.accounts.ensure_first_admin().await? {
        // Printed once, to the console only (never to the log): the operator's first
        // sign-in, which must choose a new password.
        println!(
            "\nFirst start: created the account `admin` with the one-time password\n\n    {password}\n\n\
             Sign in with it (it must be changed at once). It is not shown again;\n\
             `tirek user reset admin` makes a new one.\n"
        );
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!("Tirek serving http://{}", listener.local_addr()?);
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

fn nearest(registry: &Registry, args: &NearestArgs) -> Result<()> {
    let sectors: Vec<Sector> = match &args.sector {
        Some(s) => parse_list(s)?,
        None => Sector::ALL.to_vec(),
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

/// Reads a file, naming it on failure.
fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Prints a file's record errors (the first 50, each naming its record and field) and
/// returns the error that ends the command.
fn record_errors(path: &Path, errors: Vec<RecordError>) -> anyhow::Error {
    const SHOWN: usize = 50;
    for e in errors.iter().take(SHOWN) {
        eprintln!(
            "{}: record {} (id {}): {}: {}",
            path.display(),
            e.index.map_or("-".into(), |i| i.to_string()),
            e.id.as_deref().unwrap_or("-"),
            e.field,
            e.message
        );
    }
    if errors.len() > SHOWN {
        eprintln!("… and {} more", errors.len() - SHOWN);
    }
    anyhow::anyhow!("{} problem(s) in {}", errors.len(), path.display())
}

fn write_output(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
        }
        None => Ok(std::io::stdout().write_all(text.as_bytes())?),
    }
}

fn sites_from_file(path: &Path) -> Result<Sites> {
    let records = read_sites(&read_file(path)?).map_err(|e| record_errors(path, e))?;
    Ok(Sites::from_records(&records))
}

/// `tirek nearest --points P.csv [--facilities F.geojson]`.
fn batch_nearest(
    registry: Option<&Registry>,
    args: &NearestArgs,
    points_path: &Path,
) -> Result<()> {
    let started = Instant::now();
    let sectors: Vec<Sector> = match &args.sector {
        Some(s) => parse_list(s)?,
        None => Sector::MINIMUM_PACKAGE.to_vec(),
    };
    let sites = match (&args.facilities, registry) {
        (Some(path), _) => sites_from_file(path)?,
        (None, Some(r)) => Sites::from_facilities(r.index().facilities()),
        (None, None) => bail!("give --facilities or use the store"),
    };
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

fn parse_thresholds(text: Option<&str>) -> Result<Thresholds> {
    let mut thresholds = Thresholds::default();
    for part in text
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (sector, km) = part
            .split_once('=')
            .context("--threshold-km takes sector=km pairs, e.g. health=30")?;
        let sector: Sector = sector.trim().parse()?;
        let km: f64 = km
            .trim()
            .parse()
            .with_context(|| format!("{km:?} is not a number of km"))?;
        if !(km.is_finite() && km >= 0.0) {
            bail!("threshold for {sector} must be a distance ≥ 0 km");
        }
        thresholds.set(sector, km * 1000.0);
    }
    Ok(thresholds)
}

/// The areas of `tirek coverage`: from the file, or the store's at the chosen level (by
/// default its finest).
fn coverage_areas(registry: Option<&Registry>, args: &CoverageArgs) -> Result<Vec<Area>> {
    Ok(match (&args.areas, registry) {
        (Some(path), _) => {
            let options = AreaOptions {
                level: Some(args.level.unwrap_or(2)),
                code_field: args.code_field.clone(),
                name_field: None,
            };
            read_areas(&read_file(path)?, &options)
                .map_err(|e| record_errors(path, e))?
                .areas
        }
        (None, Some(r)) => {
            let places = r.places();
            let level = args
                .level
                .or_else(|| places.areas.iter().map(|a| a.level).max())
                .unwrap_or(0);
            places
                .areas
                .iter()
                .filter(|a| a.level == level)
                .cloned()
                .collect()
        }
        (None, None) => bail!("no areas"),
    })
}

/// `tirek coverage`: on files, on the store, or a mix.
fn coverage(registry: Option<&Registry>, args: &CoverageArgs) -> Result<()> {
    let started = Instant::now();
    tirek::parallel::start_pool();
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
    let ((sites, areas, site_areas), population) = std::thread::scope(|scope| {
        let sites = scope.spawn(|| -> Result<(Sites, Vec<Area>, SiteAreas)> {
            let sites = match (&args.facilities, registry) {
                (Some(path), _) => sites_from_file(path)?,
                (None, Some(r)) => Sites::from_facilities(r.index().facilities()),
                (None, None) => bail!("no facilities"),
            };
            let areas = coverage_areas(registry, args)?;
            let site_areas = SiteAreas::locate(&sites, &areas);
            Ok((sites, areas, site_areas))
        });
        let population = scope.spawn(|| -> Result<(Vec<PopulationPoint>, Option<AreaCodes>)> {
            match (&args.population, registry) {
                (Some(path), _) => read_population_points_with_codes(
                    &read_file(path)?,
                    args.area_column.as_deref(),
                )
                .map_err(|e| record_errors(path, e)),
                (None, Some(r)) => Ok((
                    r.places()
                        .settlements
                        .iter()
                        .map(PopulationPoint::from)
                        .collect(),
                    None,
                )),
                (None, None) => bail!("no population"),
            }
        });
        let sites = sites
            .join()
            .map_err(|_| anyhow::anyhow!("the facility loader failed"))??;
        let population = population
            .join()
            .map_err(|_| anyhow::anyhow!("the population loader failed"))??;
        Ok::<_, anyhow::Error>((sites, population))
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
    let population_count = population.len();
    let run = if area_codes.is_some() {
        analysis::coverage_of_points_in_areas(
            &sites,
            Some(&site_areas),
            population,
            &areas,
            &options,
        )
    } else {
        analysis::coverage_of_points(&sites, Some(&site_areas), population, &areas, &options)
    };
    let computed = computed_at.elapsed();
    let text = coverage_report::csv(&run.table, &run.labels, &sectors, &args.id_column);
    write_output(args.out.as_deref(), &text)?;
    if run.outside > 0 {
        eprintln!(
            "{} population point(s) lie in no area: counted in the nearest area",
            run.outside
        );
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
                               "prepare_ms": ms(run.prepare_time),
                               "assign_ms": ms(run.assign_time),
                               "coverage_ms": ms(run.compute_time),
                               "threads": tirek::parallel::threads(),
                               "total_ms": ms(started.elapsed())})
        );
    }
    Ok(())
}
