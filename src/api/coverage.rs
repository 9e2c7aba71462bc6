//! `GET /api/coverage`: population within reach of each sector per admin area.

use super::cache::AnalysisKey;
use super::extract::{Caller, Params};
use super::{ApiError, AppState};
use crate::coverage::analysis::{self, CoverageOptions, Sites};
use crate::coverage::planning;
use crate::coverage::report::{properties, row_order};
use crate::model::{Sector, parse_list};
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use std::sync::Arc;

/// Query of `GET /api/coverage`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CoverageParams {
    /// Admin level (default: the finest loaded).
    level: Option<u8>,
    /// Sectors, comma-separated (default: the minimum package).
    sectors: Option<String>,
    /// The minimum package, comma-separated (default: health,psychosocial,police,shelter).
    package: Option<String>,
    /// `json` (default) or `geojson` (with area geometry).
    format: Option<String>,
    /// Threshold for one sector, km: `threshold_km.health=25` (one parameter per sector).
    #[param(rename = "threshold_km.health")]
    threshold_km_health: Option<f64>,
}

fn sectors_param(params: &Params, key: &str) -> Result<Vec<Sector>, ApiError> {
    match params.get(key) {
        Some(text) => {
            parse_list(text).map_err(|e| ApiError::bad_request(format!("parameter {key}: {e}")))
        }
        None => Ok(Sector::MINIMUM_PACKAGE.to_vec()),
    }
}

/// Coverage per area: population total, within reach of each sector (share), of the
/// whole package, uncovered, facility counts, population-weighted mean and median
/// distance to the nearest facility, ranks. Cached per data version.
#[utoipa::path(get, path = "/api/coverage", params(CoverageParams),
    responses((status = 200, description = "`{level, thresholds_m, areas: [...]}` or a FeatureCollection", body = Object),
              (status = 400, description = "bad parameter", body = Object),
              (status = 403, description = "the public setting the threshold of a sector with confidential facilities", body = Object)))]
pub async fn coverage(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let withheld = planning::withheld_sectors(caller.viewer(), &state.registry.index());
    let (thresholds, set) =
        super::plan::thresholds_param(&params, &["level", "sectors", "package", "format"])?;
    if let Some(sector) = set.iter().find(|s| withheld.contains(s)) {
        return Err(ApiError::forbidden(format!(
            "{sector} has confidential facilities: the public sees its coverage at the default threshold only (a small one would trace their locations); sign in as a caseworker or planner to change it"
        )));
    }
    let sectors = sectors_param(&params, "sectors")?;
    let package = sectors_param(&params, "package")?;
    let geojson = match params.get("format").unwrap_or("json") {
        "json" => false,
        "geojson" => true,
        other => {
            return Err(ApiError::bad_request(format!(
                "format={other:?}: expected json or geojson"
            )));
        }
    };
    let places = state.registry.places();
    let finest = places.areas.iter().map(|a| a.level).max();
    let level: Option<u8> = params.parse("level")?.or(finest);
    let key = AnalysisKey::Coverage {
        level,
        sectors: sectors.clone(),
        package: package.clone(),
        thresholds: AnalysisKey::threshold_bits(&thresholds),
        geojson,
    };
    let registry = state.registry.clone();
    let analyses = state.analyses.clone();
    let result = tokio::task::spawn_blocking(move || {
        analyses.get_or_compute(registry.index().version(), key, || {
            let index = registry.index();
            let places = registry.places();
            let areas: Vec<_> = places.areas.iter().filter(|a| Some(a.level) == level).cloned().collect();
            let options = CoverageOptions { sectors: sectors.clone(), package: package.clone(), thresholds, distances: true };
            let run = analysis::coverage(&Sites::from_facilities(index.facilities()), &places.settlements, &areas, &options);
            let rows: Vec<Value> = row_order(&run.labels)
                .into_iter()
                .map(|i| {
                    let props = properties(&run.table.areas[i], &run.labels[i]);
                    if geojson {
                        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&areas[i].geometry));
                        json!({"type": "Feature", "id": run.labels[i].code, "geometry": geometry, "properties": props})
                    } else {
                        props
                    }
                })
                .collect();
            let thresholds_m: serde_json::Map<String, Value> =
                Sector::ALL.iter().map(|s| (s.as_str().to_string(), json!(thresholds.get(*s)))).collect();
            let meta = json!({
                "level": level, "sectors": sectors, "package": package, "thresholds_m": thresholds_m,
                "model": "WGS84 geodesic distance to the nearest active facility ≤ threshold (inclusive)",
                "population_outside_areas": run.outside, "data_version": index.version(),
                "note": "Population is GeoNames settlements unless better data was imported: rural people are under-counted.",
            });
            if geojson {
                json!({"type": "FeatureCollection", "features": rows, "coverage": meta})
            } else {
                json!({"coverage": meta, "areas": rows})
            }
        })
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let mut body = Arc::unwrap_or_clone(result);
    if !withheld.is_empty() {
        redact(&mut body, &withheld);
    }
    Ok(Json(body))
}

/// Fewer facilities than this of a sector with confidential ones are not counted for
/// the public in an area ("1 shelter in this district" narrows it down too far).
pub const MIN_PUBLIC_COUNT: u64 = 3;

/// The public form of a coverage answer: for the `withheld` sectors (those with
/// confidential facilities) no distance statistics (a median distance per area is a
/// ruler to the facility) and facility counts of 1–2 suppressed (null, with
/// `facilities_suppressed: true`). Covered population and shares at the default
/// threshold stay: that is the aggregate the public is meant to see.
fn redact(body: &mut Value, withheld: &[Sector]) {
    let rows: Vec<&mut Value> = match body {
        Value::Object(map) if map.contains_key("areas") => map
            .get_mut("areas")
            .and_then(Value::as_array_mut)
            .map(|a| a.iter_mut().collect())
            .unwrap_or_default(),
        Value::Object(map) => map
            .get_mut("features")
            .and_then(Value::as_array_mut)
            .map(|a| {
                a.iter_mut()
                    .filter_map(|f| f.get_mut("properties"))
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    for row in rows {
        for sector in withheld {
            let Some(s) = row.pointer_mut(&format!("/sectors/{sector}")) else {
                continue;
            };
            s["mean_distance_m"] = Value::Null;
            s["median_distance_m"] = Value::Null;
            let count = s["facilities"].as_u64().unwrap_or(0);
            if (1..MIN_PUBLIC_COUNT).contains(&count) {
                s["facilities"] = Value::Null;
                s["facilities_suppressed"] = Value::Bool(true);
            }
        }
    }
    if let Some(meta) = body.get_mut("coverage") {
        meta["withheld"] = json!({
            "sectors": withheld,
            "why": "These sectors have confidential facilities: for the public, their distance statistics are withheld, facility counts of 1–2 per area are suppressed, and their thresholds are fixed at the defaults.",
        });
    }
}
