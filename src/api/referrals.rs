//! `/api/referrals`, `/api/unmet-needs` and `/api/coordination/figures`: the
//! non-identifying referral log, the unmet-needs log and their aggregates. The rules
//! are in [`crate::coordination::referrals`] and [`crate::coordination::figures`]; this
//! module only maps requests and answers. Request bodies take exactly the fields
//! documented: anything else (a name, a birth date, a case number, notes,
//! coordinates) is refused with 400 naming the field, and nothing is stored.

use super::extract::{Body, Caller, Params};
use super::{ApiError, AppState, ErrorBody};
use crate::coordination::figures::{Audience, CoordinationFigures, Query};
use crate::coordination::referrals::{NewReferral, NewUnmetNeed, ReferralScope};
use crate::model::{
    DeclineReason, Language, Needs, Referral, ReferralStatus, Role, Sector, Service, UnmetNeed,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Body of `POST /api/referrals`: only these fields, nothing about the person.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralBody {
    /// The facility referred to (its organisation answers the referral).
    to_facility: String,
    /// The sector referred for (one of the facility's).
    sector: Sector,
    /// The day it was made (`YYYY-MM-DD`, not in the future); absent: today.
    #[serde(default)]
    made_on: Option<NaiveDate>,
    /// Whether the survivor consented to sharing the referral with the receiving
    /// organisation (required: yes or no, nothing else).
    consent_to_share: bool,
}

/// Body of `POST /api/referrals/{id}/status`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `accepted`, `service_provided`, `declined` or `no_show` (made → accepted,
    /// declined or no_show; accepted → service_provided or no_show).
    status: ReferralStatus,
    /// Required for `declined`, refused otherwise.
    #[serde(default)]
    reason: Option<DeclineReason>,
    /// The day (`YYYY-MM-DD`, not before the referral was made or accepted, not in
    /// the future); absent: today.
    #[serde(default)]
    on: Option<NaiveDate>,
}

/// Body of `POST /api/unmet-needs`: only these fields. The needs are the nearest
/// search's filters; the area is the `area.code` of the nearest answer (never
/// coordinates).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmetNeedBody {
    /// The sector with no appropriate service within reach.
    sector: Sector,
    /// The admin area's code (district, else region).
    area: String,
    /// The day (`YYYY-MM-DD`, not in the future); absent: today.
    #[serde(default)]
    recorded_on: Option<NaiveDate>,
    /// Services needed.
    #[serde(default)]
    services: Vec<Service>,
    /// Languages (the service had to speak one).
    #[serde(default)]
    languages: Vec<Language>,
    /// Open 24/7 needed.
    #[serde(default)]
    open_24_7: bool,
    /// Female staff needed.
    #[serde(default)]
    female_staff: bool,
    /// Child-friendly needed.
    #[serde(default)]
    child_friendly: bool,
    /// Wheelchair access needed.
    #[serde(default)]
    wheelchair_access: bool,
    /// Free of charge needed.
    #[serde(default)]
    free_of_charge: bool,
    /// No police report required needed.
    #[serde(default)]
    no_police_report_required: bool,
}

/// Referrals, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReferralList {
    /// `mine`, `organisation`, `incoming` or `all`.
    scope: &'static str,
    /// The referrals.
    referrals: Vec<Referral>,
}

/// Unmet needs, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnmetNeedList {
    /// The records.
    unmet_needs: Vec<UnmetNeed>,
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the body: {e}")))
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn csv_answer(text: Result<String, String>, file: &str) -> Result<Response, ApiError> {
    let text = text.map_err(|e| ApiError::internal(&e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        text,
    )
        .into_response())
}

/// `json` or `csv`, from `?format=` or else the `Accept` header.
fn wants_csv(params: &Params, headers: &axum::http::HeaderMap) -> Result<bool, ApiError> {
    match params.get("format") {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::bad_request(format!(
            "format={other:?}: expected json or csv"
        ))),
        None => Ok(headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .starts_with("text/csv")
            })),
    }
}

/// Records a referral from the caller's organisation to a facility: for caseworkers,
/// editors, planners and admins whose account belongs to an organisation. The body
/// takes exactly `to_facility`, `sector`, `made_on`, `consent_to_share`; any other
/// field (a name, a birth date, a case number, notes, coordinates) is a 400 naming it.
/// Audited.
#[utoipa::path(post, path = "/api/referrals", request_body = ReferralBody,
    responses((status = 201, description = "recorded", body = Referral),
              (status = 400, description = "unreadable body or a field that is not allowed", body = ErrorBody),
              (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "the account belongs to no organisation", body = ErrorBody),
              (status = 422, description = "unknown facility, a sector it does not serve, a day in the future", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body,
) -> Result<Response, ApiError> {
    caller.require(Role::Caseworker)?;
    let ReferralBody {
        to_facility,
        sector,
        made_on,
        consent_to_share,
    } = json_body(&body)?;
    let new = NewReferral {
        to_facility,
        sector,
        made_on,
        consent_to_share,
    };
    let referral = state
        .coordination
        .make_referral(&caller.steward(), new, today())
        .await?;
    Ok((StatusCode::CREATED, Json(referral)).into_response())
}

/// Referrals, newest first. `scope=mine` (default): those the caller made herself
/// for her organisation, to follow up; `scope=organisation`: those made by anyone of
/// her organisation; `scope=incoming`: those received by it, for its editors to
/// answer; `scope=all`: every one, for admins (coordinators have the figures). Who
/// recorded a referral (`made_by`) is given to the referring organisation's accounts
/// and admins only, null for the receiving organisation.
/// `format=csv` (or `Accept: text/csv`): the records as CSV, for admins only.
#[utoipa::path(get, path = "/api/referrals",
    params(("scope" = Option<String>, Query, description = "mine (default) | organisation | incoming | all (admins)"),
           ("format" = Option<String>, Query, description = "json (default) | csv (admins)")),
    responses((status = 200, description = "the referrals",
               content((ReferralList = "application/json"), (String = "text/csv"))),
              (status = 400, description = "bad parameter", body = ErrorBody),
              (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "no organisation, or a scope or format the role does not allow", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(Role::Caseworker)?;
    params.only(&["scope", "format"])?;
    let (scope, name) = match params.get("scope").unwrap_or("mine") {
        "mine" => (ReferralScope::Mine, "mine"),
        "organisation" => (ReferralScope::Organisation, "organisation"),
        "incoming" => (ReferralScope::Incoming, "incoming"),
        "all" => (ReferralScope::All, "all"),
        other => {
            return Err(ApiError::bad_request(format!(
                "scope={other:?}: expected mine, organisation, incoming or all"
            )));
        }
    };
    let csv = wants_csv(&params, &headers)?;
    if csv {
        caller.require(Role::Admin)?;
    }
    let referrals = state
        .coordination
        .referrals(&caller.steward(), scope)
        .await?;
    if csv {
        return csv_answer(
            crate::coordination::figures::referrals_csv(&referrals),
            "tirek-referrals.csv",
        );
    }
    Ok(Json(ReferralList {
        scope: name,
        referrals,
    })
    .into_response())
}

fn referral_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::not_found(format!("no referral {text:?}")))
}

/// One referral: for the referring organisation's accounts, the receiving
/// organisation's editors and admins (anyone else, planners included: 404).
#[utoipa::path(get, path = "/api/referrals/{id}", params(("id" = i64, Path, description = "referral number")),
    responses((status = 200, description = "the referral", body = Referral),
              (status = 401, description = "not signed in", body = ErrorBody),
              (status = 404, description = "no such referral (or another organisation's)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Referral>, ApiError> {
    caller.require(Role::Caseworker)?;
    Ok(Json(
        state
            .coordination
            .referral(&caller.steward(), referral_id(&id)?)
            .await?,
    ))
}

/// The receiving organisation's editors answer a referral: `accepted`,
/// `service_provided`, `declined` (with a `reason` from the fixed list) or `no_show`;
/// legal transitions only. Audited with the record before and after.
#[utoipa::path(post, path = "/api/referrals/{id}/status", params(("id" = i64, Path, description = "referral number")), request_body = StatusBody,
    responses((status = 200, description = "the referral as it is now", body = Referral),
              (status = 400, description = "unreadable body, unknown status or reason, or a field that is not allowed", body = ErrorBody),
              (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "not an editor of the receiving organisation", body = ErrorBody),
              (status = 404, description = "no such referral (or another organisation's)", body = ErrorBody),
              (status = 409, description = "not a legal transition from where it stands, or answered meanwhile", body = ErrorBody),
              (status = 422, description = "a decline without a reason, a reason without a decline, or a day out of range", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Json<Referral>, ApiError> {
    caller.require(Role::Caseworker)?;
    let StatusBody { status, reason, on } = json_body(&body)?;
    Ok(Json(
        state
            .coordination
            .answer_referral(
                &caller.steward(),
                referral_id(&id)?,
                status,
                reason,
                on,
                today(),
            )
            .await?,
    ))
}

/// Records an unmet need: no appropriate service of a sector within reach for these
/// needs, in an area (the `area.code` of the nearest answer; never coordinates). For
/// caseworkers, editors, planners and admins of an organisation. Audited.
#[utoipa::path(post, path = "/api/unmet-needs", request_body = UnmetNeedBody,
    responses((status = 201, description = "recorded", body = UnmetNeed),
              (status = 400, description = "unreadable body, an unknown value, or a field that is not allowed", body = ErrorBody),
              (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "the account belongs to no organisation", body = ErrorBody),
              (status = 422, description = "unknown area code or a day out of range", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_unmet_need(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body,
) -> Result<Response, ApiError> {
    caller.require(Role::Caseworker)?;
    let b: UnmetNeedBody = json_body(&body)?;
    let new = NewUnmetNeed {
        sector: b.sector,
        area: b.area,
        recorded_on: b.recorded_on,
        needs: Needs {
            services: b.services,
            languages: b.languages,
            open_24_7: b.open_24_7,
            female_staff: b.female_staff,
            child_friendly: b.child_friendly,
            wheelchair_access: b.wheelchair_access,
            free_of_charge: b.free_of_charge,
            no_police_report_required: b.no_police_report_required,
        },
    };
    let need = state
        .coordination
        .record_unmet_need(&caller.steward(), new, today())
        .await?;
    Ok((StatusCode::CREATED, Json(need)).into_response())
}

/// Unmet needs, newest first: every one for admins, the caller's organisation's for
/// anyone else of an organisation (planners too: coordinators have the figures).
/// `format=csv`: the records as CSV, for admins only.
#[utoipa::path(get, path = "/api/unmet-needs",
    params(("format" = Option<String>, Query, description = "json (default) | csv (admins)")),
    responses((status = 200, description = "the unmet needs",
               content((UnmetNeedList = "application/json"), (String = "text/csv"))),
              (status = 400, description = "bad parameter", body = ErrorBody),
              (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "no organisation, or CSV without the admin role", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_unmet_needs(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(Role::Caseworker)?;
    params.only(&["format"])?;
    let csv = wants_csv(&params, &headers)?;
    if csv {
        caller.require(Role::Admin)?;
    }
    let unmet_needs = state.coordination.unmet_needs(&caller.steward()).await?;
    if csv {
        return csv_answer(
            crate::coordination::figures::unmet_needs_csv(&unmet_needs),
            "tirek-unmet-needs.csv",
        );
    }
    Ok(Json(UnmetNeedList { unmet_needs }).into_response())
}

/// The coordination figures of a calendar year per area and month: referrals made per
/// pathway, accepted, acceptance rate, median days to acceptance, declines by reason,
/// unmet needs per sector, and the countries side by side. Planners and admins: as
/// counted, `level` 0, 1 or 2 (district: the finest loaded area). Everyone else
/// (public, donors, caseworkers, editors): `level` 0 or 1 only, referrals to
/// confidential facilities left out, counts of 1–4 hidden
/// (`{"count": null, "suppressed": true}`, "< 5" in CSV) and further counts hidden so
/// that none can be worked out from a total. `format=csv` (or `Accept: text/csv`):
/// one value a line, with the same suppression.
#[utoipa::path(get, path = "/api/coordination/figures",
    params(("year" = Option<i32>, Query, description = "calendar year; default: the latest with any record"),
           ("level" = Option<u8>, Query, description = "0 country, 1 region (default), 2 district (planners)"),
           ("area" = Option<String>, Query, description = "only this area (code) and the areas in it"),
           ("format" = Option<String>, Query, description = "json (default) | csv")),
    responses((status = 200, description = "the figures",
               content((CoordinationFigures = "application/json"), (String = "text/csv"))),
              (status = 400, description = "bad parameter", body = ErrorBody),
              (status = 403, description = "district figures asked for by someone below a planner", body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    params.only(&["year", "level", "area", "format"])?;
    let csv = wants_csv(&params, &headers)?;
    let audience = if caller.role() >= Role::Planner {
        Audience::Planner
    } else {
        Audience::Public
    };
    let level: u8 = params.parse("level")?.unwrap_or(1);
    if level > 2 {
        return Err(ApiError::bad_request(format!(
            "level={level}: expected 0, 1 or 2"
        )));
    }
    if level == 2 && audience == Audience::Public {
        return Err(ApiError::forbidden(
            "district figures are for planners; the public figures are by region and country",
        ));
    }
    let year = match params.parse::<i32>("year")? {
        Some(y) if (2000..=9999).contains(&y) => y,
        Some(y) => {
            return Err(ApiError::bad_request(format!(
                "year={y}: expected a year from 2000"
            )));
        }
        None => state.coordination.latest_year(today()).await?,
    };
    let query = Query {
        year,
        level,
        area: params.get("area").map(str::to_string),
        audience,
    };
    let f = state.coordination.figures(&query).await?;
    if csv {
        return csv_answer(
            crate::coordination::figures::csv(&f),
            &format!("tirek-coordination-{year}.csv"),
        );
    }
    Ok(Json(f).into_response())
}
