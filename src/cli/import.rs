//! `tirek import …` and `tirek export …`: read a file, then print every record error
//! (nothing written) or a summary of what was read, written and skipped; write the
//! store's facilities out.

use super::args::{ExportCommand, ImportCommand};
use super::{cli_actor, write_output};
use crate::export;
use crate::import::areas::AreaOptions;
use crate::import::{self, FacilityFormat, ImportFormat, RecordError};
use crate::registry::Registry;
use anyhow::{Context, Result};
use std::path::Path;

/// Runs one `tirek import` command.
pub async fn import(registry: &Registry, command: ImportCommand) -> Result<()> {
    match command {
        ImportCommand::Facilities {
            file,
            format,
            country,
        } => facilities(registry, &file, format.map(ImportFormat::from), country).await,
        ImportCommand::Areas {
            file,
            level,
            code_field,
            name_field,
            replace_all,
        } => {
            let options = AreaOptions {
                level,
                code_field,
                name_field,
            };
            areas(registry, &file, options, replace_all).await
        }
        ImportCommand::Population { file, replace_all } => {
            population(registry, &file, replace_all).await
        }
    }
}

/// Runs one `tirek export` command: every facility, confidential ones included (the
/// command line runs with the database's access).
pub fn export(registry: &Registry, command: ExportCommand) -> Result<()> {
    let ExportCommand::Facilities { format, out } = command;
    let index = registry.index();
    let all = index.facilities().map(|r| r.decode());
    let text = match FacilityFormat::from(format) {
        FacilityFormat::Geojson => serde_json::to_string_pretty(&export::geojson(all))? + "\n",
        FacilityFormat::Csv => export::csv(&all.collect::<Vec<_>>()),
    };
    write_output(out.as_deref(), &text)
}

fn read(file: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    eprintln!("reading {} ({} bytes) …", file.display(), bytes.len());
    Ok(bytes)
}

/// Prints the record errors and returns the error that ends the command.
fn rejected(file: &Path, errors: Vec<RecordError>) -> anyhow::Error {
    super::record_errors(file, errors).context("nothing was written")
}

/// `tirek import facilities FILE [--format geojson|csv|hxl|osm] [--country CC]`.
async fn facilities(
    registry: &Registry,
    file: &Path,
    format: Option<ImportFormat>,
    country: Option<String>,
) -> Result<()> {
    let bytes = read(file)?;
    let format = format.unwrap_or_else(|| ImportFormat::detect(&bytes));
    let index = (format == ImportFormat::Osm && country.is_none()).then(|| registry.area_index());
    let read = import::read_facilities_as(&bytes, format, country.as_deref(), index.as_ref())
        .map_err(|e| rejected(file, e))?;
    for w in &read.warnings {
        eprintln!("note: {w}");
    }
    eprintln!(
        "writing {} records in one transaction …",
        read.facilities.len()
    );
    let skipped: usize = read.skipped.values().sum();
    let total = read.facilities.len();
    let report = move |done: usize| eprintln!("… {done} of {total} written");
    let mut summary = match registry
        .import_with_progress(read.facilities, Some(&report), &cli_actor())
        .await
    {
        Err(crate::registry::RegistryError::InvalidRecords(errors)) => {
            return Err(rejected(file, errors));
        }
        other => other?,
    };
    summary.skipped += skipped;
    println!(
        "read {}, created {}, updated {}, unchanged {}, skipped {}; area codes filled for {} ({} outside every area)",
        summary.read + skipped,
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.skipped,
        summary.assigned_areas,
        summary.outside_areas
    );
    for (kind, n) in &read.skipped {
        println!("  skipped {kind}: {n}");
    }
    Ok(())
}

/// `tirek import areas FILE [--level N] [--code-field F] [--name-field F] [--replace-all]`.
async fn areas(
    registry: &Registry,
    file: &Path,
    options: AreaOptions,
    replace_all: bool,
) -> Result<()> {
    eprintln!("reading {} …", file.display());
    let read = super::read_areas_file(file, &options)?.map_err(|e| rejected(file, e))?;
    let summary = registry
        .import_areas(read, options.level, replace_all, &cli_actor())
        .await?;
    for w in &summary.warnings {
        eprintln!("note: {w}");
    }
    for r in &summary.repaired {
        println!(
            "  repaired record {} ({}): {} (area {:.6} → {:.6} sq. degrees)",
            r.index, r.code, r.problem, r.area_before, r.area_after
        );
    }
    println!(
        "read {}, written {} (level {:?}; replacing {}, removed {}), repaired {}; settlements assigned {} ({} outside every area, given the nearest); facilities updated {}",
        summary.read,
        summary.written,
        summary.levels,
        summary.previous,
        summary.removed,
        summary.repaired.len(),
        summary.settlements_assigned,
        summary.settlements_outside_areas,
        summary.facilities_updated
    );
    Ok(())
}

/// `tirek import population FILE [--replace-all]`.
async fn population(registry: &Registry, file: &Path, replace_all: bool) -> Result<()> {
    let bytes = read(file)?;
    let prefix = file
        .file_stem()
        .map(|s| {
            s.to_string_lossy()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                .collect::<String>()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "cell".into());
    let read = import::read_population(&bytes, &prefix).map_err(|e| rejected(file, e))?;
    let summary = registry
        .import_population(read, replace_all, &cli_actor())
        .await?;
    for w in &summary.warnings {
        eprintln!("note: {w}");
    }
    println!(
        "{}: read {}, written {} (replacing {}, removed {}), skipped {}; {:.1} people; {} point(s) with {:.1} people outside every area of some level \
         ({} with {:.1} people beyond reach of any area: no code for that level){}",
        summary.format,
        summary.read,
        summary.written,
        summary.previous,
        summary.removed,
        summary.skipped,
        summary.total_population,
        summary.outside_areas,
        summary.population_outside_areas,
        summary.without_area,
        summary.population_without_area,
        if summary.outside_examples.is_empty() {
            String::new()
        } else {
            format!(" (e.g. {})", summary.outside_examples.join(", "))
        }
    );
    Ok(())
}
