//! `/api/facilities`, `/api/import`, `/api/export`: the registry's records.

use super::extract::{Body, Caller, ImportBody, Params};
use super::{ApiError, AppState, ErrorBody, GeoJson};
use crate::coordination::Outcome;
use crate::export::{self, FacilityCollection};
use crate::import::mapping::Mapping;
use crate::import::{ImportFormat, Input, TableOptions, read_facilities_with};
use crate::model::{Facility, FacilityFeature, Role, Sector, parse_list};
use crate::registry::FacilitySource;
use crate::registry::ImportSummary;
use crate::visibility::Viewer;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

/// Query of `GET /api/facilities`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// Sectors, comma-separated (any of them).
    sector: Option<String>,
    /// `minlon,minlat,maxlon,maxlat`; may cross the antimeridian (minlon > maxlon).
    bbox: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    country: Option<String>,
    /// Text in a name (any language), case-insensitive.
    q: Option<String>,
    /// `true`: only records past their verification age (or never verified).
    overdue: Option<bool>,
}

/// The facilities a caller may see, filtered. Confidential facilities are left out for
/// the public.
#[utoipa::path(get, path = "/api/facilities", params(ListParams),
    responses((status = 200, description = "GeoJSON FeatureCollection of facilities", body = FacilityCollection, content_type = "application/geo+json"),
              (status = 400, description = "bad parameter", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<GeoJson<FacilityCollection>, ApiError> {
    params.only(&["sector", "bbox", "country", "q", "overdue"])?;
    let overdue = params.flag("overdue")?;
    let max_age = state.settings.verification_max_age_days;
    let today = chrono::Utc::now().date_naive();
    let sectors: Vec<Sector> = match params.get("sector") {
        Some(s) => {
            parse_list(s).map_err(|e| ApiError::bad_request(format!("parameter sector: {e}")))?
        }
        None => Vec::new(),
    };
    let bbox = params.get("bbox").map(parse_bbox).transpose()?;
    let country = params.get("country").map(str::to_ascii_uppercase);
    let q = params.get("q").map(str::to_lowercase);
    let index = state.registry.index();
    let mut selected: Vec<Facility> = index
        .facilities()
        .filter(|r| caller.viewer().may_see(r.summary().confidential()))
        .filter(|r| sectors.is_empty() || sectors.iter().any(|s| r.has_sector(*s)))
        .filter(|r| {
            let (lon, lat) = r.lonlat();
            bbox.is_none_or(|b| in_bbox(b, lon, lat))
        })
        .map(|r| r.decode())
        .filter(|f| country.as_ref().is_none_or(|c| &f.country == c))
        .filter(|f| !overdue || f.verification_overdue(today, max_age))
        .filter(|f| {
            q.as_ref().is_none_or(|q| {
                f.name.to_lowercase().contains(q)
                    || f.names.values().any(|n| n.to_lowercase().contains(q))
            })
        })
        .collect();
    selected.sort_by(|a, b| a.id.cmp(&b.id));
    let demo = selected.iter().filter(|f| f.demo).count();
    let features = selected
        .into_iter()
        .map(|f| f.into_listed_feature(today, max_age))
        .collect();
    Ok(GeoJson(FacilityCollection {
        features,
        demo_records: Some(demo),
        verification_max_age_days: Some(max_age),
        ..export::geojson([])
    }))
}

fn parse_bbox(text: &str) -> Result<[f64; 4], ApiError> {
    let bad = || {
        ApiError::bad_request(format!(
            "bbox={text:?}: expected minlon,minlat,maxlon,maxlat in degrees"
        ))
    };
    let parts: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let [minlon, minlat, maxlon, maxlat] = parts[..] else {
        return Err(bad());
    };
    let lon_ok = |v: f64| (-180.0..=180.0).contains(&v);
    let lat_ok = |v: f64| (-90.0..=90.0).contains(&v);
    if !(lon_ok(minlon) && lon_ok(maxlon) && lat_ok(minlat) && lat_ok(maxlat)) || minlat > maxlat {
        return Err(bad());
    }
    Ok([minlon, minlat, maxlon, maxlat])
}

fn in_bbox(b: [f64; 4], lon: f64, lat: f64) -> bool {
    let lon_in = if b[0] <= b[2] {
        b[0] <= lon && lon <= b[2]
    } else {
        lon >= b[0] || lon <= b[2]
    };
    lon_in && b[1] <= lat && lat <= b[3]
}

/// One facility. A confidential one is not found for the public.
#[utoipa::path(get, path = "/api/facilities/{id}", params(("id" = String, Path, description = "facility id")),
    responses((status = 200, description = "GeoJSON Feature", body = FacilityFeature, content_type = "application/geo+json"), (status = 404, description = "no such facility", body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<GeoJson<FacilityFeature>, ApiError> {
    let index = state.registry.index();
    match index.get(&id) {
        Some(f) if caller.viewer().sees(&f) => {
            let today = chrono::Utc::now().date_naive();
            Ok(GeoJson(f.into_listed_feature(
                today,
                state.settings.verification_max_age_days,
            )))
        }
        _ => Err(ApiError::not_found("no such facility")),
    }
}

fn read_feature(body: &[u8]) -> Result<Facility, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
    Facility::from_feature(&value).map_err(ApiError::invalid_record)
}

/// The answer to a facility write: the stored record (planners), or the proposal an
/// agency editor's write became (202).
fn written(outcome: Outcome, status: StatusCode) -> Response {
    match outcome {
        Outcome::Written(Some(f)) => (status, GeoJson(FacilityFeature::from(f))).into_response(),
        Outcome::Written(None) => StatusCode::NO_CONTENT.into_response(),
        Outcome::Proposed(p) => super::stewardship::proposed(p),
    }
}

/// Adds a facility (GeoJSON Feature). A planner's is written at once; an agency
/// editor's (for its own organisation only) becomes a proposal, answered 202, that the
/// public does not see until a planner approves it (a trusted organisation's is
/// published at once).
#[utoipa::path(post, path = "/api/facilities", request_body(description = "a GeoJSON Feature with the record's fields as properties", content((FacilityFeature = "application/json"), (FacilityFeature = "application/geo+json"))),
    responses((status = 201, description = "created", body = FacilityFeature, content_type = "application/geo+json"),
              (status = 202, description = "an agency editor's write, recorded as a proposal", body = super::stewardship::ProposalView),
              (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "neither a planner nor an editor of the facility's organisation", body = ErrorBody),
              (status = 409, description = "id exists", body = ErrorBody), (status = 422, description = "invalid record", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body,
) -> Result<Response, ApiError> {
    caller.require(Role::Editor)?;
    let facility = read_feature(&body)?;
    let outcome = state
        .coordination
        .create_facility(&caller.steward(), facility)
        .await?;
    Ok(written(outcome, StatusCode::CREATED))
}

/// Replaces a facility: a planner's at once, an agency editor's (of the facility's
/// organisation) as a proposal (202).
#[utoipa::path(put, path = "/api/facilities/{id}", params(("id" = String, Path, description = "facility id")),
    request_body(description = "a GeoJSON Feature with the record's fields as properties", content((FacilityFeature = "application/json"), (FacilityFeature = "application/geo+json"))),
    responses((status = 200, description = "updated", body = FacilityFeature, content_type = "application/geo+json"),
              (status = 202, description = "an agency editor's write, recorded as a proposal", body = super::stewardship::ProposalView),
              (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "neither a planner nor an editor of the facility's organisation", body = ErrorBody),
              (status = 404, description = "no such facility", body = ErrorBody), (status = 422, description = "invalid record", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    caller.require(Role::Editor)?;
    let mut value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
    // The path names the record; an id in the body must agree.
    if let Some(props) = value.get_mut("properties").and_then(Value::as_object_mut) {
        match props.get("id").and_then(Value::as_str) {
            Some(given) if given != id => {
                return Err(ApiError::bad_request(format!(
                    "the body's id {given:?} differs from the path's {id:?}"
                )));
            }
            _ => {
                props.insert("id".into(), Value::String(id.clone()));
            }
        }
    }
    if value
        .get("id")
        .is_some_and(|v| v.as_str() != Some(id.as_str()))
    {
        return Err(ApiError::bad_request(
            "the feature id differs from the path's id",
        ));
    }
    let facility = Facility::from_feature(&value).map_err(ApiError::invalid_record)?;
    let outcome = state
        .coordination
        .update_facility(&caller.steward(), facility)
        .await?;
    Ok(written(outcome, StatusCode::OK))
}

/// Removes a facility (planners). An agency editor's DELETE (of its organisation's
/// facility) proposes to close it instead (202): on approval its status becomes
/// `closed`.
#[utoipa::path(delete, path = "/api/facilities/{id}", params(("id" = String, Path, description = "facility id")),
    responses((status = 204, description = "deleted"),
              (status = 202, description = "an agency editor's closure, recorded as a proposal", body = super::stewardship::ProposalView),
              (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "neither a planner nor an editor of the facility's organisation", body = ErrorBody),
              (status = 404, description = "no such facility", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Editor)?;
    let outcome = state
        .coordination
        .remove_facility(&caller.steward(), &id)
        .await?;
    Ok(written(outcome, StatusCode::NO_CONTENT))
}

/// Imports facilities: GeoJSON FeatureCollection, HXL CSV, an Excel workbook (`.xlsx`),
/// a KoboToolbox export (CSV with `,` or `;`, or XLSX), or an OpenStreetMap GeoJSON
/// export (detected, or `?format=`; OSM kinds outside the response are skipped and
/// counted in `skipped_kinds`). In a table, a row without `lon`/`lat` is placed at the
/// centre of the settlement its `settlement` column names (`location_precision:
/// settlement`); `?mapping=` (a TOML mapping, URL-encoded) renames headers and values,
/// `?sheet=` picks a workbook's sheet. All or nothing: if any record is invalid nothing
/// is written and the 422 answer lists every problem as `{index, id, field, message,
/// column}` (a table's row, header and column letter). `?dry_run=true` checks
/// everything and answers what the import would do, writing nothing.
#[utoipa::path(post, path = "/api/import", params(("format" = Option<String>, Query, description = "geojson | csv | hxl | kobo | osm | xlsx (detected when absent)"),
        ("country" = Option<String>, Query, description = "ISO 3166-1 alpha-2 country of every OSM record; absent: addr:country or the country outline"),
        ("sheet" = Option<String>, Query, description = "the sheet of a workbook to read (default: the first)"),
        ("mapping" = Option<String>, Query, description = "a mapping (TOML: [columns] \"Header\" = \"field\", [values.sectors] \"Health\" = \"health\") for CSV and xlsx"),
        ("dry_run" = Option<bool>, Query, description = "check only: answer what would be written, write nothing")),
    request_body(description = "a GeoJSON FeatureCollection (or OSM GeoJSON export), CSV text with an optional HXL hashtag row, or an .xlsx workbook",
        content((FacilityCollection = "application/json"), (FacilityCollection = "application/geo+json"), (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, description = "what was read and written (or would be, in a dry run)", body = ImportSummary),
              (status = 400, description = "bad parameter or mapping", body = ErrorBody),
              (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "not a planner", body = ErrorBody),
              (status = 413, description = "body too large", body = ErrorBody),
              (status = 422, description = "record errors; nothing written", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    ImportBody(body): ImportBody,
) -> Result<Json<ImportSummary>, ApiError> {
    caller.require(Role::Planner)?;
    params.only(&["format", "country", "sheet", "mapping", "dry_run"])?;
    let format = match params.get("format") {
        Some(text) => ImportFormat::parse(text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "format={text:?}: expected geojson, csv, hxl, kobo, osm or xlsx"
            ))
        })?,
        None => ImportFormat::detect(&body),
    };
    let dry_run = params.flag("dry_run")?;
    let mapping = params
        .get("mapping")
        .map(|text| {
            Mapping::from_toml(text)
                .map(Arc::new)
                .map_err(|e| ApiError::bad_request(format!("mapping: {e}")))
        })
        .transpose()?;
    let sheet = params.get("sheet").map(str::to_string);
    let table = if matches!(format, ImportFormat::Csv | ImportFormat::Xlsx) {
        state.registry.table_options(mapping, sheet).await?
    } else if mapping.is_some() || sheet.is_some() {
        return Err(ApiError::bad_request(
            "mapping and sheet apply to CSV and xlsx imports only",
        ));
    } else {
        TableOptions::default()
    };
    let country = params.get("country").map(str::to_string);
    let areas =
        (format == ImportFormat::Osm && country.is_none()).then(|| state.registry.area_index());
    // The body is read twice (checked, then written) and its records never all held.
    let input = Input::memory(body);
    let source: Arc<FacilitySource> = Arc::new(move |each| {
        read_facilities_with(
            &input,
            format,
            country.as_deref(),
            areas.as_ref(),
            &table,
            each,
        )
    });
    Ok(Json(
        state
            .registry
            .import_from_with(source, None, caller.actor(), dry_run)
            .await?,
    ))
}

/// Every facility the caller may see, as GeoJSON or HXL CSV.
#[utoipa::path(get, path = "/api/export", params(("format" = Option<String>, Query, description = "geojson (default) | csv")),
    responses((status = 200, description = "GeoJSON FeatureCollection or CSV with an HXL hashtag row", content((FacilityCollection = "application/geo+json"), (String = "text/csv"))),
              (status = 400, description = "bad parameter", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, ApiError> {
    params.only(&["format"])?;
    let index = state.registry.index();
    let visible: Vec<Facility> = index
        .facilities()
        .filter(|r| caller.viewer().may_see(r.summary().confidential()))
        .map(|r| r.decode())
        .collect();
    let hidden = index.len() - visible.len();
    let note = if caller.viewer() == Viewer::Public && hidden > 0 {
        format!("{hidden} confidential record(s) left out")
    } else {
        String::new()
    };
    match params.get("format").unwrap_or("geojson") {
        "geojson" => {
            let body = FacilityCollection {
                note: (!note.is_empty()).then_some(note),
                ..export::geojson(visible)
            };
            Ok((
                [(
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"tirek-facilities.geojson\"",
                )],
                GeoJson(body),
            )
                .into_response())
        }
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"tirek-facilities.csv\"",
                ),
            ],
            export::csv(&visible),
        )
            .into_response()),
        other => Err(ApiError::bad_request(format!(
            "format={other:?}: expected geojson or csv"
        ))),
    }
}
