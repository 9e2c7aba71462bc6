//! `tirek plan-sites` and `tirek grid`: the planners' analyses on the command line, by
//! distance or, with `--friction FILE` or `--scenario NAME`, by travel time.

use super::args::{GridArgs, PlanSitesArgs};
use super::inputs::Inputs;
use super::{parse_minute_thresholds, parse_thresholds, read_file, record_errors, write_output};
use crate::coverage::Thresholds;
use crate::coverage::analysis::Sites;
use crate::coverage::grid::{self, BBox};
use crate::coverage::planning::{self, Candidate};
use crate::import::query_points::read_points;
use crate::model::{Sector, Settlement, parse_list};
use crate::registry::Registry;
use crate::travel::{FrictionSurface, MinuteThresholds};
use anyhow::{Result, bail};
use std::time::Instant;

/// Grid candidates from the command line: no API limit, but not without end.
const CLI_MAX_CELLS: usize = 2_000_000;

/// `tirek plan-sites`: on files (`--facilities` and `--population`), the store, or a mix.
pub fn plan_sites(registry: Option<&Registry>, args: &PlanSitesArgs) -> Result<()> {
    let started = Instant::now();
    if args.k == 0 {
        bail!("--k must be at least 1");
    }
    let inputs = Inputs::new(registry);
    let statuses = super::parse_statuses(args.status.as_deref())?;
    let sites = inputs.sites(args.facilities.as_deref(), &statuses)?;
    let population = inputs.settlements(args.population.as_deref())?;
    let candidates: Vec<Candidate> = match args.candidates.as_str() {
        "settlements" => planning::settlement_candidates(&population),
        "grid" => {
            let region = match registry {
                Some(r) => planning::country_region(&r.places().areas),
                None => grid::Region::BBox(population_bbox(&population)?),
            };
            planning::grid_candidates(&region, args.res, &population, CLI_MAX_CELLS)?
        }
        file => {
            let path = std::path::Path::new(file);
            read_points(&read_file(path)?)
                .map_err(|e| record_errors(path, e))?
                .into_iter()
                .map(|p| Candidate {
                    id: p.id,
                    lon: p.lon,
                    lat: p.lat,
                    name: None,
                })
                .collect()
        }
    };
    if let Some((name, surface)) =
        super::travel::chosen_surface(registry, args.friction.as_deref(), args.scenario.as_deref())?
    {
        return plan_sites_by_time(args, &name, &surface, &sites, &population, &candidates);
    }
    if args.threshold_min.is_some() {
        bail!(
            "--threshold-min is for travel time: give --friction FILE or --scenario NAME (by distance, --threshold-km)"
        );
    }
    let threshold_m = match args.threshold_km {
        Some(km) if km.is_finite() && km >= 0.0 => km * 1000.0,
        Some(_) => bail!("--threshold-km must be a distance ≥ 0"),
        None => Thresholds::default().get(args.sector),
    };
    let loaded = started.elapsed();
    let plan = planning::plan_sites(
        &sites,
        &population,
        args.sector,
        threshold_m,
        args.k,
        candidates,
    )?;
    write_output(args.out.as_deref(), &planning::plan_csv(&plan))?;
    let p = &plan.plan;
    eprintln!(
        "{}: {} people, {} covered before ({:.1} %), {} after {} site(s) ({:.1} %)",
        args.sector,
        p.population_total,
        p.covered_before,
        share(p.covered_before, p.population_total),
        p.steps.last().map_or(p.covered_before, |s| s.covered_after),
        p.steps.len(),
        share(
            p.steps.last().map_or(p.covered_before, |s| s.covered_after),
            p.population_total
        ),
    );
    if args.timings {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        let placement = plan.coverage_time + p.candidate_time + p.greedy_time;
        eprintln!(
            "{} facilities, {} population points, {} candidates, k={}: loaded in {:.1} ms; placement {:.1} ms (existing coverage {:.1} ms, candidate sets {:.1} ms, greedy {:.1} ms); total {:.1} ms",
            sites.ids.len(),
            population.len(),
            plan.candidates.len(),
            args.k,
            ms(loaded),
            ms(placement),
            ms(plan.coverage_time),
            ms(p.candidate_time),
            ms(p.greedy_time),
            ms(started.elapsed()),
        );
        eprintln!(
            "timings {}",
            serde_json::json!({"command": "plan-sites", "k": args.k, "candidates": plan.candidates.len(),
                               "population_points": population.len(), "load_ms": ms(loaded),
                               "placement_ms": ms(placement), "coverage_ms": ms(plan.coverage_time),
                               "candidate_sets_ms": ms(p.candidate_time), "greedy_ms": ms(p.greedy_time),
                               "total_ms": ms(started.elapsed())})
        );
    }
    Ok(())
}

/// `tirek plan-sites --friction F.tif|--scenario NAME`: greedy maximal covering by
/// travel time ([`crate::travel::siting::plan_by_time`], as the API's `by: "time"`).
fn plan_sites_by_time(
    args: &PlanSitesArgs,
    scenario: &str,
    surface: &FrictionSurface,
    sites: &Sites,
    population: &[Settlement],
    candidates: &[Candidate],
) -> Result<()> {
    let minutes = match args.threshold_min {
        Some(m) if m.is_finite() && m >= 0.0 => m,
        Some(_) => bail!("--threshold-min must be a number of minutes ≥ 0"),
        None => MinuteThresholds::default().get(args.sector),
    };
    // Placed once, with the facilities and people the surface does not reach reported.
    let existing = super::travel::sources(surface, sites, &[args.sector])
        .swap_remove(0)
        .cells;
    let coords: Vec<(f64, f64)> = population.iter().map(|p| (p.lon, p.lat)).collect();
    super::travel::point_cells(surface, &coords);
    let people = planning::population_points(population);
    let sites_at: Vec<(f64, f64)> = candidates.iter().map(|c| (c.lon, c.lat)).collect();
    let plan = crate::travel::siting::plan_by_time(
        surface, &existing, &people, &sites_at, minutes, args.k,
    );
    let csv = planning::steps_csv(
        candidates,
        plan.steps
            .iter()
            .map(|s| (s.candidate, s.gain, s.covered_after)),
    );
    write_output(args.out.as_deref(), &csv)?;
    let after = plan
        .steps
        .last()
        .map_or(plan.covered_before, |s| s.covered_after);
    eprintln!(
        "{} within {minutes} minutes over {scenario}: {} people, {} covered before ({:.1} %), {} after {} site(s) ({:.1} %)",
        args.sector,
        plan.population_total,
        plan.covered_before,
        share(plan.covered_before, plan.population_total),
        after,
        plan.steps.len(),
        share(after, plan.population_total),
    );
    Ok(())
}

fn share(part: f64, total: f64) -> f64 {
    if total > 0.0 {
        100.0 * part / total
    } else {
        0.0
    }
}

fn population_bbox(population: &[Settlement]) -> Result<BBox> {
    let (mut w, mut s, mut e, mut n) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
    for p in population {
        w = w.min(p.lon);
        e = e.max(p.lon);
        s = s.min(p.lat);
        n = n.max(p.lat);
    }
    if population.is_empty() {
        bail!("no population points");
    }
    // A box of one point still has cells.
    Ok(BBox::new(
        w,
        s,
        e.max(w + 1e-6).min(180.0),
        n.max(s + 1e-6).min(90.0),
    )?)
}

/// `tirek grid`: the gap grid on the store, as the authorised API caller sees it.
pub fn grid(registry: &Registry, args: &GridArgs) -> Result<()> {
    let started = Instant::now();
    let sectors: Vec<Sector> = match &args.sector {
        Some(s) => parse_list(s)?,
        None => Sector::MINIMUM_PACKAGE.to_vec(),
    };
    let thresholds = parse_thresholds(args.threshold_km.as_deref())?;
    let minutes = parse_minute_thresholds(args.threshold_min.as_deref())?;
    let bbox = args.bbox.as_deref().map(BBox::parse).transpose()?;
    grid::resolution(args.res)?;
    let travel = super::travel::chosen_surface(
        Some(registry),
        args.friction.as_deref(),
        args.scenario.as_deref(),
    )?;
    if travel.is_none() && (args.threshold_min.is_some() || args.knight_moves) {
        bail!(
            "--threshold-min and --knight-moves are for travel time: give --friction FILE or --scenario NAME (by distance, --threshold-km)"
        );
    }
    let index = registry.index();
    let places = registry.places();
    let sites = Sites::from_facilities(index.facilities());
    let region = planning::grid_region(bbox, &places.areas);
    let (g, note) = match &travel {
        None => (
            planning::grid(
                &sites,
                &places.settlements,
                &region,
                args.res,
                &sectors,
                thresholds,
                CLI_MAX_CELLS,
            )?,
            planning::GRID_NOTE,
        ),
        Some((name, surface)) => {
            // Reported once: facilities and people the surface does not reach.
            super::travel::sources(surface, &sites, &sectors);
            let coords: Vec<(f64, f64)> =
                places.settlements.iter().map(|s| (s.lon, s.lat)).collect();
            super::travel::point_cells(surface, &coords);
            let measure = crate::travel::TravelTimeGrid::new(
                surface,
                name,
                &sites,
                super::travel::moves(args.knight_moves),
            );
            (
                planning::grid_by(
                    &measure,
                    &places.settlements,
                    &region,
                    args.res,
                    &sectors,
                    minutes.by_sector(),
                    CLI_MAX_CELLS,
                )?,
                planning::GRID_NOTE_BY_TIME,
            )
        }
    };
    let computed = started.elapsed();
    let doc = grid::to_geojson(&g, &[], note);
    write_output(args.out.as_deref(), &(serde_json::to_string(&doc)? + "\n"))?;
    if args.timings {
        eprintln!(
            "res {}: {} cells, {} sectors: computed in {:.1} ms, total {:.1} ms",
            args.res,
            g.cells.len(),
            sectors.len(),
            computed.as_secs_f64() * 1e3,
            started.elapsed().as_secs_f64() * 1e3
        );
        eprintln!(
            "timings {}",
            serde_json::json!({"command": "grid", "res": args.res, "cells": g.cells.len(),
                               "compute_ms": computed.as_secs_f64() * 1e3,
                               "total_ms": started.elapsed().as_secs_f64() * 1e3})
        );
    }
    Ok(())
}
