//! `tirek pathway`: an area's referral pathway written to a file. The command line acts
//! as the operator, but writes the public version unless `--confidential` asks for the
//! one with confidential shelters' details.

use super::args::PathwayArgs;
use crate::coordination::Coordination;
use crate::coordination::pathway::{Format, of_area, to_csv, to_html, ui_language};
use crate::registry::Registry;
use crate::visibility::Viewer;
use anyhow::{Context, Result, anyhow};
use std::sync::Arc;

/// Writes the pathway `args` ask for.
pub async fn pathway(registry: Arc<Registry>, args: &PathwayArgs) -> Result<()> {
    let lang = ui_language(&args.lang)?;
    let format: Format = match &args.format {
        Some(f) => f.parse()?,
        None => match args
            .out
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("html" | "htm") => Format::Html,
            Some("csv") => Format::Csv,
            Some("json") => Format::Json,
            _ => {
                return Err(anyhow!(
                    "--out {}: name a .html, .csv or .json file, or give --format",
                    args.out.display()
                ));
            }
        },
    };
    let viewer = if args.confidential {
        Viewer::Authorised
    } else {
        Viewer::Public
    };
    let organisations = Coordination::new(registry.clone())
        .organisations()
        .await
        .map_err(|e| anyhow!("reading the organisations: {e}"))?;
    let doc = of_area(
        &registry.area_index(),
        &registry.index(),
        &organisations,
        &args.area,
        viewer,
        lang,
        chrono::Utc::now().date_naive(),
    )?;
    let text = match format {
        Format::Html => to_html(&doc),
        Format::Csv => to_csv(&doc),
        Format::Json => serde_json::to_string_pretty(&doc)? + "\n",
    };
    std::fs::write(&args.out, text).with_context(|| format!("writing {}", args.out.display()))?;
    let listed: usize = doc.sectors.iter().map(|s| s.entries.len()).sum();
    eprintln!(
        "{} pathway of {} ({}): {listed} entries written to {}",
        match viewer {
            Viewer::Public => "public",
            Viewer::Authorised => "confidential",
        },
        doc.area.name,
        doc.area.code,
        args.out.display()
    );
    Ok(())
}
