//! `POST /api/nearest/batch`: the nearest services of each sector for up to 100,000
//! points in one call, streamed back (CSV or NDJSON) while it is computed.
//!
//! The answers come from one index snapshot, computed in chunks on a blocking thread;
//! a chunk is sent as soon as it is done, and the work stops when the client goes away.
//! Confidentiality is that of `GET /api/nearest`: a public caller's answers come from
//! the public facilities, plus per sector one confidential entry with no id and no
//! exact distance — only the band to its anchor cell and the mark `confidential`.

use super::extract::{Body, Caller, Params};
use super::{ApiError, AppState, ErrorBody};
use crate::index::{Filter, Hit, ServiceIndex};
use crate::model::{Language, Sector, Service, Status};
use crate::visibility::{Viewer, distance_band};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::Arc;

/// Most points per call.
pub const MAX_POINTS: usize = 100_000;
/// Most results per point and sector.
pub const MAX_K: usize = 10;
/// Points answered per streamed chunk.
const CHUNK: usize = 1_000;
/// The CSV header.
const CSV_HEADER: &str = "point_id,sector,facility_id,distance_m,distance_band,confidential\n";

/// Body of `POST /api/nearest/batch`. The filters are those of `GET /api/nearest`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The points (at most 100,000).
    points: Vec<BatchPoint>,
    /// Sectors; absent or empty: every sector but `perpetrator_programme` (answered only
    /// when named).
    #[serde(default)]
    sectors: Vec<Sector>,
    /// Results per point and sector, nearest first (1..=10, default 1).
    k: Option<usize>,
    /// Only within this geodesic distance, km.
    radius_km: Option<f64>,
    /// Services that must all be offered.
    #[serde(default)]
    services: Vec<Service>,
    /// Only services open 24/7.
    #[serde(default)]
    open_24_7: bool,
    /// Languages; the service must speak one of them.
    #[serde(default)]
    language: Vec<Language>,
    /// Female staff available.
    #[serde(default)]
    female_staff: bool,
    /// Child-friendly.
    #[serde(default)]
    child_friendly: bool,
    /// Wheelchair accessible.
    #[serde(default)]
    wheelchair_access: bool,
    /// Free of charge.
    #[serde(default)]
    free_of_charge: bool,
    /// No police report required.
    #[serde(default)]
    no_police_report_required: bool,
    /// Statuses to include (default `active`).
    #[serde(default)]
    status: Vec<Status>,
}

/// One query point. Other members are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BatchPoint {
    /// Echoed in the answer: a string or an integer (default: the point's index). Ids
    /// need not be unique.
    #[schema(value_type = Option<String>)]
    id: Option<Value>,
    /// Longitude, WGS84 degrees (-180..180).
    #[schema(value_type = f64)]
    lon: Option<Value>,
    /// Latitude, WGS84 degrees (-90..90).
    #[schema(value_type = f64)]
    lat: Option<Value>,
}

/// A checked point.
struct Point {
    id: String,
    lon: f64,
    lat: f64,
}

/// What the answer is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Ndjson,
}

/// A 400 naming the point and the field.
fn point_error(index: usize, field: &str, message: &str) -> ApiError {
    ApiError {
        details: Some(super::error::ErrorDetails::Item {
            index,
            field: field.to_string(),
        }),
        ..ApiError::bad_request(format!("points[{index}].{field}: {message}"))
    }
}

fn coordinate(
    index: usize,
    field: &str,
    value: Option<&Value>,
    limit: f64,
) -> Result<f64, ApiError> {
    let number = value
        .ok_or_else(|| point_error(index, field, "required"))?
        .as_f64()
        .filter(|v| v.is_finite())
        .ok_or_else(|| point_error(index, field, "must be a finite number"))?;
    if (-limit..=limit).contains(&number) {
        Ok(number)
    } else {
        Err(point_error(
            index,
            field,
            &format!("{number} is outside -{limit}..{limit}"),
        ))
    }
}

fn check_points(points: Vec<BatchPoint>) -> Result<Vec<Point>, ApiError> {
    points
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let id = match p.id {
                None | Some(Value::Null) => i.to_string(),
                Some(Value::String(s)) => s,
                Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
                Some(_) => return Err(point_error(i, "id", "must be a string or an integer")),
            };
            Ok(Point {
                id,
                lon: coordinate(i, "lon", p.lon.as_ref(), 180.0)?,
                lat: coordinate(i, "lat", p.lat.as_ref(), 90.0)?,
            })
        })
        .collect()
}

fn format_of(params: &Params, headers: &HeaderMap) -> Result<Format, ApiError> {
    match params.get("format") {
        Some("csv") => return Ok(Format::Csv),
        Some("ndjson") => return Ok(Format::Ndjson),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "format={other:?}: expected csv or ndjson"
            )));
        }
        None => {}
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(
        if accept.contains("application/x-ndjson") || accept.contains("application/ndjson") {
            Format::Ndjson
        } else {
            Format::Csv
        },
    )
}

/// The nearest services of each sector for many points, streamed as CSV
/// (`point_id,sector,facility_id,distance_m,distance_band,confidential`, one row per
/// result, nearest first; a row with empty answer columns when a sector has none) or
/// NDJSON (one `{"id", "results": [...]}` line per point), in the order of the points.
/// Distances are exact WGS84 geodesics in metres (to the millimetre). For a public
/// caller a confidential facility has no id and no distance, only a band.
#[utoipa::path(post, path = "/api/nearest/batch", request_body = BatchRequest,
    params(("format" = Option<String>, Query, description = "csv (default) | ndjson; or send `Accept: application/x-ndjson`")),
    responses((status = 200, description = "CSV (`text/csv`) or NDJSON (`application/x-ndjson`, one BatchLine per point), streamed",
               content((String = "text/csv"), (BatchLine = "application/x-ndjson"))),
              (status = 400, description = "bad request (a bad point is named by index and field in `details`)", body = ErrorBody),
              (status = 413, description = "more than 100,000 points, or a body over 32 MB", body = ErrorBody)))]
pub async fn batch(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    params.only(&["format"])?;
    let format = format_of(&params, &headers)?;
    let request: BatchRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("unreadable request: {e}")))?;
    drop(body);
    if request.points.len() > MAX_POINTS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_points",
            format!(
                "{} points: at most {MAX_POINTS} per call; split the request",
                request.points.len()
            ),
        ));
    }
    let k = request.k.unwrap_or(1);
    if !(1..=MAX_K).contains(&k) {
        return Err(ApiError::bad_request(format!(
            "k={k} is outside 1..={MAX_K}"
        )));
    }
    if request
        .radius_km
        .is_some_and(|r| !(r.is_finite() && r > 0.0))
    {
        return Err(ApiError::bad_request("radius_km must be a positive number"));
    }
    let query = Query {
        sectors: if request.sectors.is_empty() {
            Sector::nearest_default()
        } else {
            request.sectors
        },
        k,
        radius_m: request.radius_km.map(|r| r * 1000.0),
        filter: Filter {
            services: request.services,
            open_24_7: request.open_24_7,
            languages: request.language,
            female_staff: request.female_staff,
            child_friendly: request.child_friendly,
            wheelchair_access: request.wheelchair_access,
            free_of_charge: request.free_of_charge,
            no_police_report_required: request.no_police_report_required,
            statuses: if request.status.is_empty() {
                vec![Status::Active]
            } else {
                request.status
            },
            // The public's searches never use a confidential facility's location.
            public_only: caller.viewer() == Viewer::Public,
            country: None,
        },
        viewer: caller.viewer(),
        format,
    };
    let points = check_points(request.points)?;
    let index = state.registry.index();
    let version = index.version();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    tokio::task::spawn_blocking(move || query.stream(&index, &points, &tx));
    let content_type = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Ndjson => "application/x-ndjson",
    };
    let mut response =
        axum::body::Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
            .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert("x-data-version", HeaderValue::from(version));
    Ok(response)
}

/// A checked batch query.
struct Query {
    sectors: Vec<Sector>,
    k: usize,
    radius_m: Option<f64>,
    filter: Filter,
    viewer: Viewer,
    format: Format,
}

impl Query {
    /// Answers `points` chunk by chunk into `tx`; stops when the receiver is gone.
    fn stream(
        &self,
        index: &Arc<ServiceIndex>,
        points: &[Point],
        tx: &tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
    ) {
        let mut out = Vec::with_capacity(CHUNK * self.sectors.len() * 48);
        if self.format == Format::Csv {
            out.extend_from_slice(CSV_HEADER.as_bytes());
        }
        for chunk in points.chunks(CHUNK) {
            for p in chunk {
                let mut hits: Vec<Hit> = self
                    .sectors
                    .iter()
                    .flat_map(|&sector| match self.radius_m {
                        Some(r) => {
                            let mut hits = index.within(p.lon, p.lat, sector, r, &self.filter);
                            hits.truncate(self.k);
                            hits
                        }
                        None => index.nearest(p.lon, p.lat, sector, self.k, &self.filter),
                    })
                    .collect();
                if self.viewer == Viewer::Public {
                    // As in `GET /api/nearest`: one masked answer per sector, its band
                    // measured to the anchor cell, whatever the radius and k.
                    for &sector in &self.sectors {
                        if let Some((record, anchor_m)) =
                            index.nearest_anchor(p.lon, p.lat, sector, &self.filter)
                        {
                            hits.push(Hit {
                                sector,
                                record,
                                distance_m: anchor_m,
                            });
                        }
                    }
                }
                match self.format {
                    Format::Csv => self.csv_rows(&mut out, p, &hits),
                    Format::Ndjson => self.ndjson_line(&mut out, p, &hits),
                }
            }
            let capacity = out.capacity();
            let full = std::mem::replace(&mut out, Vec::with_capacity(capacity));
            if tx.blocking_send(Ok(full)).is_err() {
                return;
            }
        }
        if !out.is_empty() {
            let _ = tx.blocking_send(Ok(out));
        }
    }

    fn csv_rows(&self, out: &mut Vec<u8>, p: &Point, hits: &[Hit]) {
        let id = csv_field(&p.id);
        let mut text = String::new();
        for &sector in &self.sectors {
            let mut any = false;
            for hit in hits.iter().filter(|h| h.sector == sector) {
                any = true;
                let confidential = hit.record.summary().confidential();
                if self.viewer.may_see(confidential) {
                    let _ = writeln!(
                        text,
                        "{id},{sector},{},{:.3},,{confidential}",
                        csv_field(hit.record.id()),
                        hit.distance_m,
                    );
                } else {
                    let _ = writeln!(
                        text,
                        "{id},{sector},,,{},true",
                        distance_band(hit.distance_m)
                    );
                }
            }
            if !any {
                let _ = writeln!(text, "{id},{sector},,,,");
            }
        }
        out.extend_from_slice(text.as_bytes());
    }

    fn ndjson_line(&self, out: &mut Vec<u8>, p: &Point, hits: &[Hit]) {
        let results = hits
            .iter()
            .map(|hit| {
                let confidential = hit.record.summary().confidential();
                if self.viewer.may_see(confidential) {
                    BatchResult::Found {
                        sector: hit.sector,
                        facility_id: hit.record.id(),
                        distance_m: (hit.distance_m * 1000.0).round() / 1000.0,
                        confidential,
                    }
                } else {
                    BatchResult::Masked {
                        sector: hit.sector,
                        distance_band: distance_band(hit.distance_m),
                        confidential: true,
                    }
                }
            })
            .collect();
        let line = BatchLine { id: &p.id, results };
        let _ = serde_json::to_writer(&mut *out, &line);
        out.push(b'\n');
    }
}

/// One NDJSON line of a batch answer: a point and its results.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchLine<'a> {
    /// The point's id.
    id: &'a str,
    /// Per sector, nearest first.
    results: Vec<BatchResult<'a>>,
}

/// One result of a batch line.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum BatchResult<'a> {
    /// A facility the caller may see.
    Found {
        /// Which sector of the line this answers.
        sector: Sector,
        /// The nearest facility's id.
        facility_id: &'a str,
        /// Exact WGS84 geodesic distance, metres (to the millimetre).
        distance_m: f64,
        /// Whether it is confidential (only authorised callers see those).
        confidential: bool,
    },
    /// A confidential facility, for the public: a band only.
    Masked {
        /// Which sector of the line this answers.
        sector: Sector,
        /// e.g. `"10–25 km"`.
        distance_band: String,
        /// Always true.
        confidential: bool,
    },
}

/// A CSV field, quoted when it needs to be.
fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}
