//! `tirek import …` and `tirek export …`: read a file, then print every record error
//! (nothing written) or a summary of what was read, written and skipped; write the
//! store's facilities out.

use super::args::{ExportCommand, ImportCommand};
use super::{cli_actor, write_output};
use crate::export;
use crate::import::areas::AreaOptions;
use crate::import::mapping::Mapping;
use crate::import::{self, FacilityFormat, ImportFormat, Input, RecordError, TableOptions};
use crate::registry::{FacilitySource, Registry, RegistryError, WRITE_BATCH};
use anyhow::{Context, Result};
use std::path::Path;
use std::sync::Arc;

/// Runs one `tirek import` command.
pub async fn import(registry: &Registry, command: ImportCommand) -> Result<()> {
    match command {
        ImportCommand::Facilities {
            file,
            format,
            country,
            sheet,
            mapping,
            dry_run,
        } => {
            let table = TableRun {
                sheet,
                mapping,
                dry_run,
            };
            facilities(
                registry,
                &file,
                format.map(ImportFormat::from),
                country,
                table,
            )
            .await
        }
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
        ImportCommand::Friction { file, scenario } => {
            super::friction::import(registry, &read(&file)?, &scenario).await
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

/// [`rejected`] for a facility import: a dry run lists every problem.
fn rejected_run(file: &Path, errors: Vec<RecordError>, dry_run: bool) -> anyhow::Error {
    if dry_run {
        super::record_errors_up_to(file, errors, usize::MAX).context("dry run: nothing was written")
    } else {
        rejected(file, errors)
    }
}

/// The options of `import facilities` for tables and for checking only.
struct TableRun {
    sheet: Option<String>,
    mapping: Option<std::path::PathBuf>,
    dry_run: bool,
}

/// `tirek import facilities FILE [--format geojson|csv|hxl|kobo|osm|xlsx] [--country CC]
/// [--sheet NAME] [--mapping FILE.toml] [--dry-run]`. The file is read twice, a record
/// at a time (checked, then written), never held whole (a workbook is parsed whole).
async fn facilities(
    registry: &Registry,
    file: &Path,
    format: Option<ImportFormat>,
    country: Option<String>,
    run: TableRun,
) -> Result<()> {
    let mapping = match &run.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let mapping = Mapping::from_toml(&text).with_context(|| path.display().to_string())?;
            Some(Arc::new(mapping))
        }
        None => None,
    };
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    eprintln!("reading {} ({size} bytes) …", file.display());
    let input = Input::File(file.to_path_buf());
    let format = match format {
        Some(f) => f,
        None => ImportFormat::detect_input(&input)
            .with_context(|| format!("reading {}", file.display()))?,
    };
    let index = (format == ImportFormat::Osm && country.is_none()).then(|| registry.area_index());
    let table = if matches!(format, ImportFormat::Csv | ImportFormat::Xlsx) {
        registry.table_options(mapping, run.sheet).await?
    } else {
        if mapping.is_some() || run.sheet.is_some() {
            anyhow::bail!("--mapping and --sheet apply to CSV and .xlsx files only");
        }
        TableOptions::default()
    };
    let source: Arc<FacilitySource> = Arc::new(move |each| {
        import::read_facilities_with(
            &input,
            format,
            country.as_deref(),
            index.as_ref(),
            &table,
            each,
        )
    });
    if run.dry_run {
        eprintln!("checking every record (dry run: nothing is written) …");
    } else {
        eprintln!("checking every record, then writing in one transaction …");
    }
    // The command ends with the import: no index to refresh for it.
    registry.set_refresh_after_import(false);
    let report = |done: usize| {
        if done % 50_000 < WRITE_BATCH {
            eprintln!("… {done} written");
        }
    };
    let summary = match registry
        .import_from_with(source, Some(&report), &cli_actor(), run.dry_run)
        .await
    {
        Err(RegistryError::Records(errors)) => return Err(rejected_run(file, errors, run.dry_run)),
        Err(RegistryError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| RecordError::file(e.field, e.message))
                .collect();
            return Err(rejected_run(file, errors, run.dry_run));
        }
        other => other?,
    };
    for w in &summary.warnings {
        eprintln!("note: {w}");
    }
    if summary.dry_run {
        println!(
            "dry run, nothing written: read {}, would create {}, update {}, leave unchanged {}, skip {}; {} placed by settlement (approximate: town centre); area codes filled for {} ({} outside every area)",
            summary.read,
            summary.created,
            summary.updated,
            summary.unchanged,
            summary.skipped,
            summary.placed_by_settlement,
            summary.assigned_areas,
            summary.outside_areas
        );
    } else {
        println!(
            "read {}, created {}, updated {}, unchanged {}, skipped {}; {} placed by settlement; area codes filled for {} ({} outside every area)",
            summary.read,
            summary.created,
            summary.updated,
            summary.unchanged,
            summary.skipped,
            summary.placed_by_settlement,
            summary.assigned_areas,
            summary.outside_areas
        );
    }
    for (kind, n) in &summary.skipped_kinds {
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
