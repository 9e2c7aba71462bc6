//! `tirek import friction FILE --scenario NAME`, `tirek friction list|remove`: the
//! stored travel scenarios.

use super::args::FrictionCommand;
use super::cli_actor;
use crate::registry::Registry;
use anyhow::{Result, bail};

/// `tirek import friction FILE --scenario NAME`.
pub async fn import(registry: &Registry, bytes: &[u8], scenario: &str) -> Result<()> {
    let summary = registry
        .import_friction(scenario, bytes.to_vec(), false, &cli_actor())
        .await?;
    for w in &summary.warnings {
        eprintln!("note: {w}");
    }
    if summary.facilities_impassable > 0 {
        eprintln!(
            "note: {} active facilit{} in an impassable cell reach nothing by travel time (e.g. {})",
            summary.facilities_impassable,
            if summary.facilities_impassable == 1 {
                "y lies"
            } else {
                "ies lie"
            },
            summary.impassable_examples.join(", ")
        );
    }
    let [w, s, e, n] = summary.bounds;
    println!(
        "scenario {}: {} × {} cells of {}° × {}° ({w}, {s}) to ({e}, {n}), {} passable; {}",
        summary.scenario,
        summary.width,
        summary.height,
        summary.cell_size_deg[0],
        summary.cell_size_deg[1],
        summary.passable_cells,
        if summary.replaced {
            "replaced the stored one"
        } else {
            "stored"
        }
    );
    Ok(())
}

/// `tirek friction list|remove`.
pub async fn friction(registry: &Registry, command: FrictionCommand) -> Result<()> {
    match command {
        FrictionCommand::List => {
            println!(
                "scenario\tdemo\twidth\theight\tcell_deg\twest\tsouth\teast\tnorth\timported_at\tactor"
            );
            for i in registry.store().friction_infos().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}×{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    i.scenario,
                    i.demo,
                    i.width,
                    i.height,
                    i.cell_width,
                    i.cell_height,
                    i.west,
                    i.north - f64::from(i.height) * i.cell_height,
                    i.west + f64::from(i.width) * i.cell_width,
                    i.north,
                    i.imported_at,
                    i.actor
                );
            }
            Ok(())
        }
        FrictionCommand::Remove { scenario } => {
            if registry.remove_friction(&scenario, &cli_actor()).await? {
                println!("removed scenario {scenario}");
                Ok(())
            } else {
                let names: Vec<String> = registry
                    .store()
                    .friction_infos()
                    .await?
                    .into_iter()
                    .map(|i| i.scenario)
                    .collect();
                bail!(
                    "no scenario {scenario:?} is stored (stored: {})",
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                )
            }
        }
        // Needs no store: dispatched before it is opened.
        FrictionCommand::Build(args) => super::friction_build::build(&args),
    }
}
