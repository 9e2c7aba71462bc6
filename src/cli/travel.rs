//! `tirek travel-time` and the friction surface of `tirek coverage --friction`: the
//! surface read from its file, facilities and points placed on it (those that reach
//! or can be reached by nothing reported), and the times written as CSV.

use super::args::TravelTimeArgs;
use super::inputs::Inputs;
use super::{parse_statuses, read_file, record_errors};
use crate::coverage::analysis::Sites;
use crate::import::query_points::read_points;
use crate::model::{Sector, parse_list};
use crate::registry::Registry;
use crate::travel::{self, FrictionSurface, Moves, Placement};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// Reads a friction surface, printing what the user should know about it.
pub(crate) fn load_friction(path: &Path) -> Result<FrictionSurface> {
    let bytes = read_file(path)?;
    let surface = travel::read_friction_geotiff(&bytes)
        .with_context(|| format!("reading the friction surface {}", path.display()))?;
    for w in &surface.warnings {
        eprintln!("{}: {w}", path.display());
    }
    Ok(surface)
}

/// The friction surface of `--friction FILE` (read from the file) or `--scenario NAME`
/// (a stored travel scenario), with the name the outputs give it (the scenario's, or
/// the file's name); `None` when neither is given (the analysis is by distance).
pub(crate) fn chosen_surface(
    registry: Option<&Registry>,
    friction: Option<&Path>,
    scenario: Option<&str>,
) -> Result<Option<(String, std::sync::Arc<FrictionSurface>)>> {
    match (friction, scenario) {
        (Some(_), Some(_)) => anyhow::bail!("give --friction FILE or --scenario NAME, not both"),
        (Some(path), None) => {
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            Ok(Some((name, std::sync::Arc::new(load_friction(path)?))))
        }
        (None, Some(name)) => {
            let Some(registry) = registry else {
                anyhow::bail!(
                    "--scenario {name} is a stored travel scenario: it needs the store, not --facilities and --population files alone (or give --friction FILE)"
                );
            };
            let scenarios = registry.scenarios();
            match scenarios.get(name) {
                Some(s) => Ok(Some((s.name.clone(), s.surface.clone()))),
                None if scenarios.is_empty() => anyhow::bail!(
                    "no travel scenario {name:?} is stored, and none is: import one with `tirek import friction FILE.tif --scenario {name}`, or give --friction FILE"
                ),
                None => anyhow::bail!(
                    "no travel scenario {name:?} is stored; stored: {}",
                    scenarios.names()
                ),
            }
        }
        (None, None) => Ok(None),
    }
}

/// The moves of `--knight-moves`.
pub(crate) fn moves(knight: bool) -> Moves {
    if knight { Moves::Knight } else { Moves::King }
}

/// Per sector of `sectors`, the start cells of its facilities; facilities in an
/// impassable cell or off the surface are reported on standard error (they reach
/// nothing).
pub(crate) fn sources(
    surface: &FrictionSurface,
    sites: &Sites,
    sectors: &[Sector],
) -> Vec<travel::SectorSources> {
    sectors
        .iter()
        .map(|&sector| {
            let members = &sites.members[sector.index()];
            let placed = travel::site_sources(surface, sites, sector);
            for (what, list) in [
                ("in an impassable cell", &placed.impassable),
                ("off the friction surface", &placed.off_surface),
            ] {
                if list.is_empty() {
                    continue;
                }
                let ids: Vec<&str> = list
                    .iter()
                    .take(10)
                    .map(|&k| sites.ids[members[k] as usize].as_str())
                    .collect();
                eprintln!(
                    "{} {sector} facilit{} {what} reach nothing: {}{}",
                    list.len(),
                    if list.len() == 1 { "y" } else { "ies" },
                    ids.join(", "),
                    if list.len() > ids.len() { ", …" } else { "" }
                );
            }
            placed
        })
        .collect()
}

/// Each point's cell (`None` off the surface); points off the surface or in an
/// impassable cell are counted on standard error (nothing reaches them).
pub(crate) fn point_cells(surface: &FrictionSurface, coords: &[(f64, f64)]) -> Vec<Option<usize>> {
    // On all cores: each placement is a read at a random place of the surface.
    let placed = crate::parallel::map_chunks(coords, |part| {
        part.iter()
            .map(|&(lon, lat)| travel::place(surface, lon, lat))
            .collect()
    });
    let (mut off, mut blocked) = (0usize, 0usize);
    let cells = placed
        .into_iter()
        .map(|placement| match placement {
            Placement::Cell(c) => Some(c),
            Placement::Impassable(c) => {
                blocked += 1;
                Some(c)
            }
            Placement::OffSurface => {
                off += 1;
                None
            }
        })
        .collect();
    if off + blocked > 0 {
        eprintln!(
            "{blocked} point(s) in an impassable cell and {off} off the friction surface: nothing reaches them"
        );
    }
    cells
}

/// CPU time of every thread of this process so far, seconds (Linux: the sum of
/// `/proc/self/task/*/schedstat`, nanoseconds on CPU), or `None` where that is not
/// readable. Timings report it beside wall time, which other processes on a busy
/// machine inflate.
pub(crate) fn cpu_seconds() -> Option<f64> {
    let mut ns = 0u64;
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let text = std::fs::read_to_string(entry.ok()?.path().join("schedstat")).ok()?;
        ns += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(ns as f64 / 1e9)
}

/// `tirek travel-time`.
pub fn travel_time(registry: Option<&Registry>, args: &TravelTimeArgs) -> Result<()> {
    let started = Instant::now();
    crate::parallel::start_pool();
    let sectors: Vec<Sector> = match &args.sectors {
        Some(s) => parse_list(s)?,
        None => Sector::MINIMUM_PACKAGE.to_vec(),
    };
    let statuses = parse_statuses(args.status.as_deref())?;
    let inputs = Inputs::new(registry);
    // The surface, the facilities and the points load side by side.
    let (surface, sites, points) = std::thread::scope(|scope| {
        let surface = scope.spawn(|| load_friction(&args.friction));
        let points = scope.spawn(|| {
            read_points(&read_file(&args.points)?).map_err(|e| record_errors(&args.points, e))
        });
        let sites = inputs.sites(args.facilities.as_deref(), &statuses);
        let surface = surface
            .join()
            .map_err(|_| anyhow::anyhow!("the friction surface loader failed"))?;
        let points = points
            .join()
            .map_err(|_| anyhow::anyhow!("the points loader failed"))?;
        Ok::<_, anyhow::Error>((surface?, sites?, points?))
    })?;
    let loaded = started.elapsed();
    let computed_at = Instant::now();
    let cpu_at = cpu_seconds();
    let placed = sources(&surface, &sites, &sectors);
    let coords: Vec<(f64, f64)> = points.iter().map(|p| (p.lon, p.lat)).collect();
    let cells = point_cells(&surface, &coords);
    let source_cells: Vec<&[usize]> = placed.iter().map(|s| &s.cells[..]).collect();
    let limits = vec![f64::INFINITY; sectors.len()];
    let times = travel::times_at_cells(
        &surface,
        &source_cells,
        &cells,
        moves(args.knight_moves),
        &limits,
    );
    let computed = computed_at.elapsed();
    let cpu = cpu_at.zip(cpu_seconds()).map(|(a, b)| b - a);
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
        out.write_all(b"point_id,sector,minutes\n")?;
        for (i, p) in points.iter().enumerate() {
            for (k, sector) in sectors.iter().enumerate() {
                let t = times[k][i];
                if t.is_finite() {
                    writeln!(out, "{},{},{}", p.id, sector, t)?;
                } else {
                    writeln!(out, "{},{},", p.id, sector)?;
                }
            }
        }
        out.flush()
    };
    match &args.out {
        Some(path) => {
            let mut file = std::fs::File::create(path)
                .with_context(|| format!("writing {}", path.display()))?;
            write(&mut file).with_context(|| format!("writing {}", path.display()))?;
        }
        None => write(&mut std::io::stdout().lock())?,
    }
    if let Some(dir) = &args.out_tif {
        super::friction_build::write_rasters(
            dir,
            &surface,
            &sites,
            &sectors,
            &placed,
            moves(args.knight_moves),
        )?;
    }
    if args.timings {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        eprintln!(
            "{} × {} cells ({} passable), {} facilities, {} points × {} sectors: loaded in {:.1} ms, computed in {:.1} ms ({} threads)",
            surface.width(),
            surface.height(),
            surface.passable_cells(),
            sites.ids.len(),
            points.len(),
            sectors.len(),
            ms(loaded),
            ms(computed),
            crate::parallel::threads()
        );
        eprintln!(
            "timings {}",
            serde_json::json!({"command": "travel-time", "cells": surface.cells(),
                               "points": points.len(), "sectors": sectors.len(),
                               "load_ms": ms(loaded), "compute_ms": ms(computed),
                               "compute_cpu_ms": cpu.map(|c| c * 1e3),
                               "threads": crate::parallel::threads(),
                               "total_ms": ms(started.elapsed())})
        );
    }
    Ok(())
}
