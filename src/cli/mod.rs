//! The command line: clap's parser ([`Cli`], in `args`), the dispatch to one module per
//! command group, and [`inputs::Inputs`], which resolves `--facilities`, `--population`
//! and `--areas` against files or the store. This is the only place clap is used;
//! `anyhow` stops here too.

mod analyses;
mod args;
mod friction;
mod friction_build;
mod import;
mod inputs;
mod orgs;
mod pathway;
mod plan;
mod referrals;
mod serve;
mod travel;
mod users;

pub use args::{
    AuditArgs, Cli, Command, CoverageArgs, ExportCommand, ExportFormat, GridArgs, ImportCommand,
    ImportFileFormat, NearestArgs, OrgCommand, OrgFields, PlanSitesArgs, ReferralExportArgs,
    ReferralsCommand, ServeArgs, TravelTimeArgs, UserCommand,
};
pub use args::{BuildMode, FrictionBuildArgs, FrictionCommand};

use crate::basemap::Basemap;
use crate::coverage::Thresholds;
use crate::import::RecordError;
use crate::model::Sector;
use crate::registry::Registry;
use crate::registry::defaults::{self, DefaultData};
use crate::store;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Runs one command.
pub async fn run(cli: Cli) -> Result<()> {
    // Commands whose inputs are all files run without opening the store.
    match &cli.command {
        Command::Openapi => {
            print!("{}", crate::api::openapi::document());
            return Ok(());
        }
        Command::Coverage(args)
            if args.facilities.is_some() && args.population.is_some() && args.areas.is_some() =>
        {
            return analyses::coverage(None, args);
        }
        Command::Friction(FrictionCommand::Build(args)) => return friction_build::build(args),
        Command::TravelTime(args) if args.facilities.is_some() => {
            return travel::travel_time(None, args);
        }
        Command::PlanSites(args)
            if args.facilities.is_some()
                && args.population.is_some()
                && args.scenario.is_none() =>
        {
            return plan::plan_sites(None, args);
        }
        Command::Nearest(args) if args.facilities.is_some() => {
            if let Some(points) = &args.points {
                return analyses::batch_nearest(None, args, points);
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
    // An analysis on a store that was never written answers on the default data, as
    // the server does after its first start, rather than on nothing.
    if matches!(
        cli.command,
        Command::Export(_)
            | Command::Nearest(_)
            | Command::Coverage(_)
            | Command::TravelTime(_)
            | Command::PlanSites(_)
            | Command::Grid(_)
            | Command::Pathway(_)
            | Command::Referrals(_)
    ) && let Some(loaded) = defaults::load_if_empty(&registry, &DefaultData::BuiltIn).await?
    {
        eprintln!(
            "the store was empty: loaded the built-in default data ({} facilities, {} settlements)",
            loaded.facilities, loaded.settlements
        );
    }
    match cli.command {
        Command::Serve(args) => serve::serve(registry, args, basemap).await,
        Command::Import(command) => import::import(&registry, command).await,
        Command::Export(command) => import::export(&registry, command),
        Command::Nearest(args) => match &args.points {
            Some(points) => analyses::batch_nearest(Some(&registry), &args, points),
            None => analyses::nearest(&registry, &args),
        },
        Command::Coverage(args) => analyses::coverage(Some(&registry), &args),
        Command::TravelTime(args) => travel::travel_time(Some(&registry), &args),
        Command::PlanSites(args) => plan::plan_sites(Some(&registry), &args),
        Command::Grid(args) => plan::grid(&registry, &args),
        Command::Friction(command) => friction::friction(&registry, command).await,
        Command::Openapi => Ok(()),
        Command::User(command) => users::user(registry.store().clone(), command).await,
        Command::Audit(args) => users::audit(registry.store().as_ref(), &args).await,
        Command::Org(command) => orgs::org(registry, command).await,
        Command::Pathway(args) => pathway::pathway(registry, &args).await,
        Command::Referrals(command) => referrals::referrals(registry, command).await,
    }
}

/// Reads a file, naming it on failure.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Reads admin areas from `path`: an ESRI Shapefile (the `.shp`, with its `.dbf`,
/// `.prj` and `.cpg` beside it), a zip archive holding one, or GeoJSON. `import areas`
/// and every analysis's `--areas` read through here, so they take the same files. The
/// outer error is the file being unreadable; the inner one, its record errors.
pub(crate) fn read_areas_file(
    path: &Path,
    options: &crate::import::areas::AreaOptions,
) -> Result<Result<crate::import::areas::AreaRead, Vec<RecordError>>> {
    use crate::import::{areas, shapefile};
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("shp"))
    {
        return Ok(shapefile::read_path(path, options));
    }
    let bytes = read_file(path)?;
    Ok(if shapefile::is_zip(&bytes) {
        shapefile::read_zip(&bytes, options)
    } else {
        areas::read_geojson_with(&bytes, options)
    })
}

/// Prints a file's record errors (the first 50, each naming its record and field) and
/// returns the error that ends the command.
pub(crate) fn record_errors(path: &Path, errors: Vec<RecordError>) -> anyhow::Error {
    record_errors_up_to(path, errors, 50)
}

/// [`record_errors`], printing up to `shown` of them.
pub(crate) fn record_errors_up_to(
    path: &Path,
    errors: Vec<RecordError>,
    shown: usize,
) -> anyhow::Error {
    for e in errors.iter().take(shown) {
        match &e.column {
            Some(_) => eprintln!(
                "{}: {} (id {}): {}",
                path.display(),
                e.place(),
                e.id.as_deref().unwrap_or("-"),
                e.message
            ),
            None => eprintln!(
                "{}: record {} (id {}): {}: {}",
                path.display(),
                e.index.map_or("-".into(), |i| i.to_string()),
                e.id.as_deref().unwrap_or("-"),
                e.field,
                e.message
            ),
        }
    }
    if errors.len() > shown {
        eprintln!("… and {} more", errors.len() - shown);
    }
    anyhow::anyhow!("{} problem(s) in {}", errors.len(), path.display())
}

pub(crate) fn write_output(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
        }
        None => Ok(std::io::stdout().write_all(text.as_bytes())?),
    }
}

pub(crate) fn parse_thresholds(text: Option<&str>) -> Result<Thresholds> {
    let mut thresholds = Thresholds::default();
    for (sector, km) in sector_values(text, "--threshold-km", "km", "health=30")? {
        thresholds.set(sector, km * 1000.0);
    }
    Ok(thresholds)
}

/// `--threshold-min`: per-sector travel-time thresholds, minutes.
pub(crate) fn parse_minute_thresholds(
    text: Option<&str>,
) -> Result<crate::travel::MinuteThresholds> {
    let mut thresholds = crate::travel::MinuteThresholds::default();
    for (sector, minutes) in sector_values(text, "--threshold-min", "minutes", "health=120")? {
        thresholds.set(sector, minutes);
    }
    Ok(thresholds)
}

/// `sector=value` pairs, comma-separated, each value a finite number ≥ 0 in `unit`.
fn sector_values(
    text: Option<&str>,
    flag: &str,
    unit: &str,
    example: &str,
) -> Result<Vec<(Sector, f64)>> {
    text.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (sector, value) = part
                .split_once('=')
                .with_context(|| format!("{flag} takes sector={unit} pairs, e.g. {example}"))?;
            let sector: Sector = sector.trim().parse()?;
            let value: f64 = value
                .trim()
                .parse()
                .with_context(|| format!("{value:?} is not a number of {unit}"))?;
            if !(value.is_finite() && value >= 0.0) {
                bail!("threshold for {sector} must be ≥ 0 {unit}");
            }
            Ok((sector, value))
        })
        .collect()
}

/// Who the audit log names for a command-line write: `cli:<login name>`.
pub(crate) fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "operator".into());
    format!("cli:{user}")
}

/// `--status`: the facility statuses an analysis counts (default: active only, as the
/// store's analyses do).
fn parse_statuses(text: Option<&str>) -> Result<Vec<crate::model::Status>> {
    match text {
        None => Ok(vec![crate::model::Status::Active]),
        Some(text) => {
            let statuses: Vec<crate::model::Status> = crate::model::parse_list(text)?;
            if statuses.is_empty() {
                bail!("--status: give at least one of active, temporarily_closed, closed");
            }
            Ok(statuses)
        }
    }
}
