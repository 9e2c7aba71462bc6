//! Planners' endpoints: `GET /api/gaps/grid` (H3 gap grid), `POST /api/plan/sites`
//! (where to add k sites) and `GET /api/catchments` (each settlement's nearest
//! facility). All read-only and public; results are cached per data version.
//!
//! **Confidentiality.** Per-cell or per-settlement distances can locate a confidential
//! shelter (a cell 0.2 km from it). For callers without the token the grid reports the
//! shelter sector, and any sector whose nearest facility is confidential, as
//! `covered_<s>` only with `dist_km_<s>: null`; catchments give a distance band instead
//! of the facility id and distance when the nearest is confidential (as
//! `/api/nearest` does). Plans report only aggregate people covered.

use super::cache::AnalysisKey;
use super::extract::{Body, Caller, Params};
use super::{ApiError, AppState, ErrorBody, GeoJson};
use crate::coverage::Thresholds;
use crate::coverage::analysis::Sites;
use crate::coverage::grid::{self, BBox, GridCollection, MAX_CELLS};
use crate::coverage::planning::{self, Candidate, Catchment, PlanError, SitePlanAnswer};
use crate::coverage::siting::{MAX_CANDIDATES, MAX_K};
use crate::index::ServiceIndex;
use crate::model::{Sector, parse_list};
use crate::visibility::Viewer;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// Query of `GET /api/gaps/grid`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct GridParams {
    /// H3 resolution, 3..=7 (default 5).
    res: Option<u8>,
    /// Sectors, comma-separated (default: health,psychosocial,police,shelter).
    sector: Option<String>,
    /// `minlon,minlat,maxlon,maxlat` (default: the countries in the store).
    bbox: Option<String>,
    /// `populated` (default): only the cells where someone lives; `all`: every cell of
    /// the region (empty ones carry distances, no people).
    cells: Option<String>,
    /// Threshold for one sector, km: `threshold_km.health=25` (one parameter per sector).
    #[param(rename = "threshold_km.health")]
    threshold_km_health: Option<f64>,
    /// `distance` (default: `dist_km_<s>` from the cell centre) or `time`: `minutes_<s>`,
    /// the least travel time over `scenario`'s friction surface, covered within
    /// `threshold_min.<sector>`.
    by: Option<String>,
    /// The travel scenario of `by=time` (see `/api/travel/scenarios`; default `walking`).
    scenario: Option<String>,
    /// With `by=time`, the threshold for one sector, minutes: `threshold_min.health=90`
    /// (defaults: health, psychosocial, legal aid, hotline 120, police 60, shelter and
    /// programmes for perpetrators 240).
    #[param(rename = "threshold_min.health")]
    threshold_min_health: Option<f64>,
}

/// Query of `GET /api/catchments`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CatchmentParams {
    /// Whose facilities the settlements are assigned to (a sector code).
    sector: String,
}

/// Body of `POST /api/plan/sites`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PlanRequest {
    /// The sector to add sites of.
    sector: Sector,
    /// Sites to place, 1..=200.
    k: usize,
    /// `"settlements"` (default), `"grid"` (H3 cell centres over the countries at `res`)
    /// or a list of `{"id", "lon", "lat", "name"?}` (at most 200,000).
    #[schema(value_type = Option<Value>)]
    candidates: Option<Value>,
    /// H3 resolution of grid candidates, 3..=7 (default 6).
    res: Option<u8>,
    /// Coverage threshold, km (default: the sector's).
    threshold_km: Option<f64>,
    /// `"distance"` (default) or `"time"`: covered within `threshold_min` minutes of
    /// travel over `scenario`'s friction surface.
    by: Option<String>,
    /// The travel scenario of `by: "time"` (default `walking`).
    scenario: Option<String>,
    /// With `by: "time"`, the threshold, minutes (default: the sector's, e.g. health 120).
    threshold_min: Option<f64>,
}

/// How `POST /api/plan/sites` measures reach.
struct PlanReach {
    by: Option<String>,
    scenario: Option<String>,
    threshold_min: Option<f64>,
}

/// A cached answer, serialised without copying it; a cached failure (the input was
/// refused) as a 400.
fn cached_response<T: Serialize>(answer: &Result<T, String>) -> Result<Response, ApiError> {
    match answer {
        Ok(value) => Ok(Json(value).into_response()),
        Err(message) => Err(ApiError::bad_request(message.clone())),
    }
}

/// [`cached_response`] for a GeoJSON answer (`application/geo+json`).
fn cached_geojson<T: Serialize>(answer: &Result<T, String>) -> Result<Response, ApiError> {
    match answer {
        Ok(value) => Ok(GeoJson(value).into_response()),
        Err(message) => Err(ApiError::bad_request(message.clone())),
    }
}

/// A `threshold_km.<sector>` value: km between 0 and 20,000.
pub(super) fn km_value(key: &str, value: &str) -> Result<f64, ApiError> {
    value
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0 && *v <= 20_000.0)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "parameter {key}={value:?}: expected km between 0 and 20000"
            ))
        })
}

/// The `threshold_km.<sector>` parameters over the defaults, and the sectors they set;
/// any other parameter must be one of `known`.
pub(super) fn thresholds_param(
    params: &Params,
    known: &[&str],
) -> Result<(Thresholds, Vec<Sector>), ApiError> {
    let mut thresholds = Thresholds::default();
    let mut set = Vec::new();
    for (key, value) in &params.0 {
        if let Some(sector) = key.strip_prefix("threshold_km.") {
            let sector: Sector = sector
                .parse()
                .map_err(|e| ApiError::bad_request(format!("parameter {key}: {e}")))?;
            thresholds.set(sector, km_value(key, value)? * 1000.0);
            set.push(sector);
        } else if !known.contains(&key.as_str()) {
            return Err(ApiError::bad_request(format!(
                "unknown parameter {key:?}; known: {}, threshold_km.<sector>",
                known.join(", ")
            )));
        }
    }
    Ok((thresholds, set))
}

/// 403 when the public asks for per-settlement or per-site results of a sector with
/// confidential facilities.
fn refuse_confidential_sector(
    viewer: Viewer,
    sector: Sector,
    index: &ServiceIndex,
) -> Result<(), ApiError> {
    if planning::withheld_sectors(viewer, index).contains(&sector) {
        return Err(ApiError::forbidden(format!(
            "{sector} has confidential facilities: per-settlement and per-site results of it would trace their locations, so they need the caseworker role; /api/coverage gives the public its coverage per area"
        )));
    }
    Ok(())
}

/// H3 hexagons over the countries (or `bbox`) where people live (`cells=all`: every
/// one), each with its population, the people beyond some sector's threshold (each
/// measured from where they live) and, per sector, the exact geodesic km from its
/// centre to the nearest active facility (`by=time`: the least travel minutes over the
/// scenario's friction surface) and whether that is within the threshold. Sectors with
/// confidential facilities are withheld (null) from the public, either way.
#[utoipa::path(get, path = "/api/gaps/grid", params(GridParams),
    responses((status = 200, description = "GeoJSON FeatureCollection of H3 Polygons; foreign member `grid`", body = GridCollection, content_type = "application/geo+json"),
              (status = 400, description = "bad parameter (also an unknown scenario, by=time with no surface loaded, a threshold of the other measure), or more than 200,000 cells", body = ErrorBody)))]
pub async fn gaps_grid(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, ApiError> {
    let super::coverage::MeasureParams {
        thresholds,
        km_set,
        minutes,
        travel,
        ..
    } = super::coverage::measure_params(
        &params,
        &state.registry.scenarios(),
        &["res", "sector", "bbox", "cells"],
    )?;
    if travel.is_some() && !km_set.is_empty() {
        return Err(ApiError::bad_request(
            "threshold_km.<sector> applies to by=distance; by time, use threshold_min.<sector>",
        ));
    }
    let res: u8 = params.parse("res")?.unwrap_or(5);
    let all_cells = match params.get("cells").unwrap_or("populated") {
        "populated" => false,
        "all" => true,
        other => {
            return Err(ApiError::bad_request(format!(
                "cells={other:?}: expected populated or all"
            )));
        }
    };
    grid::resolution(res).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let sectors: Vec<Sector> = match params.get("sector") {
        Some(text) => {
            parse_list(text).map_err(|e| ApiError::bad_request(format!("parameter sector: {e}")))?
        }
        None => Sector::MINIMUM_PACKAGE.to_vec(),
    };
    if sectors.is_empty() {
        return Err(ApiError::bad_request("parameter sector: no sector given"));
    }
    let bbox = params
        .get("bbox")
        .map(BBox::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let viewer = caller.viewer();
    let key = AnalysisKey::Grid {
        res,
        sectors: sectors.clone(),
        bbox: bbox.as_ref().map(AnalysisKey::bbox_bits),
        thresholds: AnalysisKey::threshold_bits(&thresholds),
        viewer,
        all_cells,
        travel: travel
            .as_ref()
            .map(|s| (s.name.clone(), minutes.by_sector().map(f64::to_bits))),
    };
    let result = state
        .analysis(key, move |index, places| {
            let sites = Sites::from_facilities(index.facilities());
            let withheld = planning::withheld_sectors(viewer, index);
            let region = planning::grid_region(bbox, &places.areas);
            let computed = match &travel {
                None => planning::grid(&sites, &places.settlements, &region, res, &sectors, thresholds, MAX_CELLS),
                Some(scenario) => planning::grid_by(
                    &crate::travel::TravelTimeGrid::new(&scenario.surface, &scenario.name, &sites, crate::travel::Moves::King),
                    &places.settlements,
                    &region,
                    res,
                    &sectors,
                    minutes.by_sector(),
                    MAX_CELLS,
                ),
            };
            match computed {
                Ok(g) => {
                    let mut note = if travel.is_some() { planning::GRID_NOTE_BY_TIME } else { planning::GRID_NOTE }.to_string();
                    if !withheld.is_empty() {
                        note.push_str(" Sectors with confidential facilities are withheld (null) for the public: their cells would trace the locations. Sign in as a caseworker or planner to see them.");
                    }
                    let mut collection = grid::to_geojson(&g, &withheld, &note);
                    if !all_cells {
                        collection.features.retain(|f| f.properties.population > 0.0);
                        collection.grid.cells = collection.features.len();
                    }
                    Ok(collection)
                }
                Err(e) => Err(e.to_string()),
            }
        })
        .await?;
    cached_geojson(&result)
}

/// Each settlement's nearest active facility of `sector`: `[{id, name, population,
/// facility_id, distance_m}]`. Refused (403) to the public for a sector with
/// confidential facilities: the catchments would trace their locations.
#[utoipa::path(get, path = "/api/catchments", params(CatchmentParams),
    responses((status = 200, description = "per settlement, its nearest active facility", body = [Catchment]),
              (status = 400, description = "bad parameter", body = ErrorBody),
              (status = 403, description = "the public asking for a sector with confidential facilities", body = ErrorBody)))]
pub async fn catchments(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, ApiError> {
    params.only(&["sector"])?;
    let sector: Sector = params
        .parse("sector")?
        .ok_or_else(|| ApiError::bad_request("parameter sector is required"))?;
    refuse_confidential_sector(caller.viewer(), sector, &state.registry.index())?;
    let key = AnalysisKey::Catchments { sector };
    let result = state
        .analysis(key, move |index, places| {
            let sites = Sites::from_facilities(index.facilities());
            Ok::<_, String>(planning::catchments(&sites, &places.settlements, sector))
        })
        .await?;
    cached_response(&result)
}

/// Candidate sites as asked.
enum Candidates {
    Settlements,
    Grid(u8),
    List(Vec<Candidate>),
}

#[allow(clippy::type_complexity)]
fn parse_plan(
    body: &[u8],
) -> Result<(Sector, usize, Candidates, Option<f64>, PlanReach), ApiError> {
    let doc: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
    let Some(obj) = doc.as_object() else {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    };
    const KNOWN: [&str; 8] = [
        "sector",
        "k",
        "candidates",
        "res",
        "threshold_km",
        "by",
        "scenario",
        "threshold_min",
    ];
    if let Some(k) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!(
            "unknown field {k:?}; known: {}",
            KNOWN.join(", ")
        )));
    }
    let sector: Sector = obj
        .get("sector")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("sector: required, a string such as \"health\""))?
        .parse()
        .map_err(|e| ApiError::bad_request(format!("sector: {e}")))?;
    let k = obj
        .get("k")
        .and_then(Value::as_u64)
        .filter(|k| (1..=MAX_K as u64).contains(k))
        .ok_or_else(|| {
            ApiError::bad_request(format!("k: required, a whole number in 1..={MAX_K}"))
        })? as usize;
    let res = match obj.get("res") {
        None | Some(Value::Null) => 6,
        Some(v) => v
            .as_u64()
            .and_then(|r| u8::try_from(r).ok())
            .filter(|r| grid::resolution(*r).is_ok())
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "res: a whole number in {}..={}",
                    grid::MIN_RES,
                    grid::MAX_RES
                ))
            })?,
    };
    let threshold_km = match obj.get("threshold_km") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_f64()
                .filter(|v| v.is_finite() && *v >= 0.0 && *v <= 20_000.0)
                .ok_or_else(|| ApiError::bad_request("threshold_km: km between 0 and 20000"))?,
        ),
    };
    let candidates = match obj.get("candidates") {
        None | Some(Value::Null) => Candidates::Settlements,
        Some(Value::String(s)) if s == "settlements" => Candidates::Settlements,
        Some(Value::String(s)) if s == "grid" => Candidates::Grid(res),
        Some(Value::Array(items)) => {
            if items.len() > MAX_CANDIDATES {
                return Err(ApiError::bad_request(format!(
                    "candidates: {} given, at most {MAX_CANDIDATES}",
                    items.len()
                )));
            }
            Candidates::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| candidate(i, item))
                    .collect::<Result<_, _>>()?,
            )
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "candidates: \"settlements\", \"grid\" or a list of {id, lon, lat, name?}",
            ));
        }
    };
    let text = |key: &str| -> Result<Option<String>, ApiError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::bad_request(format!("{key}: a string"))),
        }
    };
    let reach = PlanReach {
        by: text("by")?,
        scenario: text("scenario")?,
        threshold_min: match obj.get("threshold_min") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_f64()
                    .filter(|v| v.is_finite() && *v > 0.0 && *v <= 100_000.0)
                    .ok_or_else(|| {
                        ApiError::bad_request("threshold_min: minutes, a positive number")
                    })?,
            ),
        },
    };
    Ok((sector, k, candidates, threshold_km, reach))
}

fn candidate(i: usize, item: &Value) -> Result<Candidate, ApiError> {
    let bad = |what: &str| ApiError::bad_request(format!("candidates[{i}]: {what}"));
    let id = match item.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(bad("id: required, a string")),
    };
    let lon = item
        .get("lon")
        .and_then(Value::as_f64)
        .filter(|v| (-180.0..=180.0).contains(v))
        .ok_or_else(|| bad("lon: a number in -180..180"))?;
    let lat = item
        .get("lat")
        .and_then(Value::as_f64)
        .filter(|v| (-90.0..=90.0).contains(v))
        .ok_or_else(|| bad("lat: a number in -90..90"))?;
    let name = match item.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("name: a string")),
    };
    Ok(Candidate { id, lon, lat, name })
}

/// Greedy maximal covering: the `k` candidate sites that, one after another, add the
/// most people of the store's settlements within the threshold of a `sector` facility,
/// existing active facilities fixed. Each step reports its gain. With `by: "time"` the
/// threshold is `threshold_min` minutes of travel over `scenario`'s friction surface.
#[utoipa::path(post, path = "/api/plan/sites", request_body = PlanRequest,
    responses((status = 200, description = "the sites, best first, each with its gain (with `by: \"time\"` a `TimePlanAnswer`)", body = SitePlanAnswer),
              (status = 400, description = "bad body: unknown sector, k outside 1..=200, bad coordinates, malformed JSON, too many candidates", body = ErrorBody),
              (status = 403, description = "the public planning a sector with confidential facilities", body = ErrorBody),
              (status = 413, description = "body too large", body = ErrorBody)))]
pub async fn plan_sites(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    let (sector, k, candidates, threshold_km, reach) = parse_plan(&body.0)?;
    refuse_confidential_sector(caller.viewer(), sector, &state.registry.index())?;
    let mut echo = Params(Default::default());
    for (key, value) in [("by", &reach.by), ("scenario", &reach.scenario)] {
        if let Some(v) = value {
            echo.0.insert(key.to_string(), v.clone());
        }
    }
    match super::travel::by_param(&echo, &state.registry.scenarios())? {
        super::travel::By::Time(scenario) => {
            let minutes = reach
                .threshold_min
                .unwrap_or_else(|| crate::travel::MinuteThresholds::default().get(sector));
            return super::travel::plan_sites_by_time(
                &state,
                scenario,
                sector,
                k,
                candidates_list(candidates),
                minutes,
            )
            .await;
        }
        super::travel::By::Distance if reach.threshold_min.is_some() => {
            return Err(ApiError::bad_request(
                "threshold_min applies to by: \"time\"; by distance, use threshold_km",
            ));
        }
        super::travel::By::Distance => {}
    }
    let threshold_m =
        threshold_km.map_or_else(|| Thresholds::default().get(sector), |km| km * 1000.0);
    let registry = state.registry.clone();
    let analyses = state.analyses.clone();
    let compute = move |registry: &crate::registry::Registry,
                        candidates: Candidates|
          -> Result<SitePlanAnswer, String> {
        let index = registry.index();
        let places = registry.places();
        let sites = Sites::from_facilities(index.facilities());
        let list = match candidates {
            Candidates::Settlements => planning::settlement_candidates(&places.settlements),
            Candidates::Grid(res) => match planning::grid_candidates(
                &planning::country_region(&places.areas),
                res,
                &places.settlements,
                MAX_CANDIDATES,
            ) {
                Ok(list) => list,
                Err(e) => return Err(plan_message(&e)),
            },
            Candidates::List(list) => list,
        };
        match planning::plan_sites(&sites, &places.settlements, sector, threshold_m, k, list) {
            Ok(plan) => Ok(planning::plan_answer(&plan)),
            Err(e) => Err(plan_message(&e)),
        }
    };
    let result = tokio::task::spawn_blocking(move || match candidates {
        Candidates::List(list) => Arc::new(compute(&registry, Candidates::List(list))),
        other => {
            let key = AnalysisKey::Plan {
                sector,
                k,
                grid_res: match &other {
                    Candidates::Grid(res) => Some(*res),
                    _ => None,
                },
                threshold_m: threshold_m.to_bits(),
            };
            analyses.get_or_compute(registry.index().version(), key, || {
                compute(&registry, other)
            })
        }
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    cached_response(&result)
}

/// Candidates of a plan by time: settlements, the grid, or the caller's list, as the
/// travel module takes them.
pub(super) enum TimeCandidates {
    /// The store's settlements.
    Settlements,
    /// H3 cell centres over the countries.
    Grid(u8),
    /// The caller's.
    List(Vec<Candidate>),
}

fn candidates_list(c: Candidates) -> TimeCandidates {
    match c {
        Candidates::Settlements => TimeCandidates::Settlements,
        Candidates::Grid(res) => TimeCandidates::Grid(res),
        Candidates::List(list) => TimeCandidates::List(list),
    }
}

/// The candidates themselves (settlements, the grid's cells or the list).
pub(super) fn resolve_candidates(
    places: &crate::registry::Places,
    c: TimeCandidates,
) -> Result<Vec<Candidate>, String> {
    match c {
        TimeCandidates::Settlements => Ok(planning::settlement_candidates(&places.settlements)),
        TimeCandidates::Grid(res) => planning::grid_candidates(
            &planning::country_region(&places.areas),
            res,
            &places.settlements,
            MAX_CANDIDATES,
        )
        .map_err(|e| plan_message(&e)),
        TimeCandidates::List(list) => Ok(list),
    }
}

fn plan_message(e: &PlanError) -> String {
    match e {
        PlanError::TooManyCandidates { count, limit } => format!(
            "candidates: {count} grid cells, more than {limit}; use a lower res or give a list"
        ),
        other => other.to_string(),
    }
}
