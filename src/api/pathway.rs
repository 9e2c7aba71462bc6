//! `GET /api/pathway`: the referral-pathway document of an area, as JSON, CSV or a
//! printable HTML page (see [`crate::coordination::pathway`]).

use super::extract::{Caller, Params};
use super::{ApiError, AppState, ErrorBody};
use crate::coordination::pathway::{
    Format, Pathway, PathwayError, of_area, to_csv, to_html, ui_language,
};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Query of `GET /api/pathway`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PathwayParams {
    /// The area's code: a country (`KZ`), region (`KZ-YUZ`) or district (see
    /// `/api/areas`).
    area: String,
    /// The document's language: en (default), ru, kk, ky, tg, tk, uz.
    lang: Option<String>,
    /// `json` (default), `csv` (UTF-8, one row per service) or `html` (a printable A4
    /// page, inline CSS, no script).
    format: Option<String>,
}

impl From<PathwayError> for ApiError {
    fn from(e: PathwayError) -> Self {
        match e {
            PathwayError::UnknownArea(_) => ApiError::not_found(e.to_string()),
            _ => ApiError::bad_request(e.to_string()),
        }
    }
}

/// The referral pathway of an area: per sector, in canonical order, its services with
/// organisation, address, phone, hours, languages, access and last verification. The
/// public gets no confidential record (its shelter section lists the country's hotlines
/// instead); caseworkers and above get every record, confidential ones marked (see
/// `docs/confidentiality.md`).
#[utoipa::path(get, path = "/api/pathway", params(PathwayParams),
    responses((status = 200, description = "the pathway document",
               content((Pathway = "application/json"), (String = "text/csv"), (String = "text/html"))),
              (status = 400, description = "bad parameter", body = ErrorBody),
              (status = 404, description = "no area with that code", body = ErrorBody)))]
pub async fn pathway(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, ApiError> {
    params.only(&["area", "lang", "format"])?;
    let code = params
        .get("area")
        .ok_or_else(|| ApiError::bad_request("parameter area is required (an area code)"))?;
    let lang = ui_language(params.get("lang").unwrap_or("en"))?;
    let format: Format = params.get("format").unwrap_or("json").parse()?;
    let organisations = state.coordination.organisations().await?;
    // The snapshot's index, built once per data version (not once per request).
    let places = state.registry.places();
    let doc = of_area(
        places.area_index(),
        &state.registry.index(),
        &organisations,
        code,
        caller.viewer(),
        lang,
        chrono::Utc::now().date_naive(),
    )?;
    Ok(respond(&doc, format))
}

/// The document in `format`, named for download by its area and date.
fn respond(doc: &Pathway, format: Format) -> Response {
    // The page opens in the browser to be printed; the CSV is a download.
    let file = |disposition: &str, ext: &str| {
        let area: String = doc
            .area
            .code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        format!(
            "{disposition}; filename=\"tirek-pathway-{area}-{}.{ext}\"",
            doc.date
        )
    };
    match format {
        Format::Json => Json(doc).into_response(),
        Format::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, file("attachment", "csv")),
            ],
            to_csv(doc),
        )
            .into_response(),
        Format::Html => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, file("inline", "html")),
            ],
            to_html(doc),
        )
            .into_response(),
    }
}
