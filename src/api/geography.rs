//! `/api/import/areas`, `/api/import/population`: admin boundaries and population,
//! all or nothing, behind the same bearer token and 422 record-error answer as
//! `/api/import`.

use super::extract::{Caller, ImportBody, Params};
use super::places::{AreaCollection, SettlementCollection};
use super::{ApiError, AppState, ErrorBody};
use crate::import::{self, areas::AreaOptions};
use crate::registry::{AreaImportSummary, PopulationImportSummary};
use axum::Json;
use axum::extract::State;

/// Imports admin areas from a GeoJSON FeatureCollection of (Multi)Polygons in WGS84,
/// replacing the areas of the level(s) it holds; then places settlements and facilities
/// in them. COD-AB (`ADMn_PCODE`, `ADMn_EN`/`_RU`/`_KK`…) and geoBoundaries (`shapeName`,
/// `shapeID`, `shapeGroup`) fields are recognised. A zip archive holding one ESRI
/// shapefile (`.shp`, `.dbf`, `.prj`, `.cpg`) is read as such.
#[utoipa::path(post, path = "/api/import/areas", params(
        ("level" = Option<u8>, Query, description = "0 country, 1 region, 2 district; inferred from ADMn_PCODE / shapeType when absent"),
        ("code_field" = Option<String>, Query, description = "attribute holding the area code"),
        ("name_field" = Option<String>, Query, description = "attribute holding the name"),
        ("replace" = Option<String>, Query, description = "`all`: an input with no areas removes every area of `level` (refused otherwise)")),
    request_body(description = "a GeoJSON FeatureCollection of Polygons / MultiPolygons (WGS84), or a zip holding one shapefile",
        content((AreaCollection = "application/json"), (AreaCollection = "application/geo+json"), (Vec<u8> = "application/zip"), (Vec<u8> = "application/x-zip-compressed"))),
    responses((status = 200, description = "what was read, written and repaired", body = AreaImportSummary),
              (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "not a planner", body = ErrorBody),
              (status = 413, description = "body too large", body = ErrorBody),
              (status = 422, description = "record errors, or an empty input that would remove every area of the level (`refused`); nothing written", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_areas(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    ImportBody(body): ImportBody,
) -> Result<Json<AreaImportSummary>, ApiError> {
    caller.require(crate::model::Role::Planner)?;
    params.only(&["level", "code_field", "name_field", "replace"])?;
    let replace_all = replace_all(&params)?;
    let options = AreaOptions {
        level: params.parse("level")?,
        code_field: params.get("code_field").map(str::to_string),
        name_field: params.get("name_field").map(str::to_string),
    };
    let level = options.level;
    let read = if import::shapefile::is_zip(&body) {
        tokio::task::spawn_blocking(move || import::shapefile::read_zip(&body, &options))
            .await
            .map_err(|e| ApiError::internal(&e))?
    } else {
        import::areas::read_geojson_with(&body, &options)
    }
    .map_err(ApiError::invalid_records)?;
    Ok(Json(
        state
            .registry
            .import_areas(read, level, replace_all, caller.actor())
            .await?,
    ))
}

/// Imports population points, replacing every settlement: a GeoTIFF raster of people per
/// cell in EPSG:4326 (detected by its magic bytes), GeoJSON Points with `population`, or
/// CSV `id,lon,lat,population`. Each point is placed in the admin areas; points outside
/// every area are given the nearest one within reach and reported. An input with no
/// points would remove every settlement: it is refused unless `?replace=all` asks for it.
#[utoipa::path(post, path = "/api/import/population",
    params(("replace" = Option<String>, Query, description = "`all`: an input with no points removes every settlement (refused otherwise)")),
    request_body(description = "a GeoTIFF of people per cell, a GeoJSON FeatureCollection of Points with `population`, or CSV `id,lon,lat,population`",
        content((SettlementCollection = "application/json"), (SettlementCollection = "application/geo+json"), (String = "text/csv"), (Vec<u8> = "image/tiff"))),
    responses((status = 200, description = "what was read, written and where it fell", body = PopulationImportSummary),
              (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "not a planner", body = ErrorBody),
              (status = 413, description = "body too large", body = ErrorBody),
              (status = 422, description = "record errors, or an empty input that would remove every settlement (`refused`); nothing written", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_population(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    ImportBody(body): ImportBody,
) -> Result<Json<PopulationImportSummary>, ApiError> {
    caller.require(crate::model::Role::Planner)?;
    params.only(&["replace"])?;
    let replace_all = replace_all(&params)?;
    let read = tokio::task::spawn_blocking(move || import::read_population(&body, "cell"))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(ApiError::invalid_records)?;
    Ok(Json(
        state
            .registry
            .import_population(read, replace_all, caller.actor())
            .await?,
    ))
}

/// `?replace=all`: a replacing import may remove every record of its kind.
fn replace_all(params: &Params) -> Result<bool, ApiError> {
    match params.get("replace") {
        None => Ok(false),
        Some("all") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "replace={other:?}: the only value is \"all\" (remove every record of the kind \
             when the input holds none)"
        ))),
    }
}
