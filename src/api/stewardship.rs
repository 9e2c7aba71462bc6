//! `/api/organisations` and `/api/proposals`: the agencies, and the review of agency
//! editors' proposals by planners (the coordinators). The rules are in
//! [`crate::coordination`]; this module only maps requests and answers.

use super::extract::{Body, Caller, Params};
use super::{ApiError, AppState, ErrorBody};
use crate::model::{FacilityFeature, Organisation, Proposal, ProposalKind, ProposalStatus, Role};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Every organisation.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OrganisationList {
    /// By id.
    organisations: Vec<Organisation>,
}

/// A proposal as editors and planners see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProposalView {
    /// The proposal's number.
    id: i64,
    /// The facility it is about.
    facility_id: String,
    /// The organisation the proposer acts for.
    organisation_id: String,
    /// The agency editor who proposed it.
    proposer: String,
    /// `create`, `update` or `close`.
    kind: ProposalKind,
    /// `pending` (the public sees the record as it was), `approved`, `rejected` (with a
    /// reason) or `published` (a trusted organisation's, live at once; reviewed when
    /// `decided_by` is set).
    status: ProposalStatus,
    /// The stored record when it was proposed (null for a creation).
    before: Option<FacilityFeature>,
    /// The record as proposed.
    after: FacilityFeature,
    /// The coordinator's reason.
    reason: Option<String>,
    /// Who decided.
    decided_by: Option<String>,
    /// When it was proposed (RFC 3339).
    created_at: String,
    /// When it was decided (RFC 3339).
    decided_at: Option<String>,
}

impl From<Proposal> for ProposalView {
    fn from(p: Proposal) -> Self {
        Self {
            id: p.id,
            facility_id: p.facility_id,
            organisation_id: p.organisation_id,
            proposer: p.proposer,
            kind: p.kind,
            status: p.status,
            before: p.before.map(FacilityFeature::from),
            after: FacilityFeature::from(p.after),
            reason: p.reason,
            decided_by: p.decided_by,
            created_at: crate::model::format_timestamp(&p.created_at),
            decided_at: p.decided_at.as_ref().map(crate::model::format_timestamp),
        }
    }
}

/// Proposals, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProposalList {
    /// The proposals the caller may see.
    proposals: Vec<ProposalView>,
}

/// Body of `POST /api/proposals/{id}/approve` and `…/reject`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// Why (required to reject; shown to the editor). At most 2,000 characters.
    #[serde(default)]
    reason: Option<String>,
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the body: {e}")))
}

/// Every organisation (the agencies that run facilities). Public.
#[utoipa::path(get, path = "/api/organisations",
    responses((status = 200, description = "the organisations", body = OrganisationList)))]
pub async fn organisations(
    State(state): State<AppState>,
) -> Result<Json<OrganisationList>, ApiError> {
    Ok(Json(OrganisationList {
        organisations: state.coordination.organisations().await?,
    }))
}

/// One organisation. Public.
#[utoipa::path(get, path = "/api/organisations/{id}", params(("id" = String, Path, description = "organisation id")),
    responses((status = 200, description = "the organisation", body = Organisation), (status = 404, description = "no such organisation", body = ErrorBody)))]
pub async fn organisation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Organisation>, ApiError> {
    Ok(Json(state.coordination.organisation(&id).await?))
}

/// Adds an organisation. Needs the planner role.
#[utoipa::path(post, path = "/api/organisations", request_body = Organisation,
    responses((status = 201, description = "created", body = Organisation), (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "not a planner", body = ErrorBody), (status = 409, description = "id exists", body = ErrorBody),
              (status = 422, description = "invalid record", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_organisation(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body,
) -> Result<Response, ApiError> {
    caller.require(Role::Planner)?;
    let organisation: Organisation = json_body(&body)?;
    let stored = state
        .coordination
        .create_organisation(organisation, caller.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// Replaces an organisation (also how a coordinator marks it `trusted`). Needs the
/// planner role.
#[utoipa::path(put, path = "/api/organisations/{id}", params(("id" = String, Path, description = "organisation id")), request_body = Organisation,
    responses((status = 200, description = "updated", body = Organisation), (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "not a planner", body = ErrorBody), (status = 404, description = "no such organisation", body = ErrorBody),
              (status = 422, description = "invalid record", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_organisation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Json<Organisation>, ApiError> {
    caller.require(Role::Planner)?;
    let organisation: Organisation = json_body(&body)?;
    if organisation.id != id {
        return Err(ApiError::bad_request(format!(
            "the body's id {:?} differs from the path's {id:?}",
            organisation.id
        )));
    }
    Ok(Json(
        state
            .coordination
            .update_organisation(organisation, caller.actor())
            .await?,
    ))
}

/// Proposals, newest first: every organisation's for planners, its own organisation's
/// for an agency editor (who sees the coordinator's reasons there).
#[utoipa::path(get, path = "/api/proposals",
    params(("status" = Option<String>, Query, description = "pending | approved | rejected | published")),
    responses((status = 200, description = "the proposals", body = ProposalList), (status = 400, description = "bad parameter", body = ErrorBody),
              (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "neither an editor nor a planner", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn proposals(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<ProposalList>, ApiError> {
    caller.require(Role::Editor)?;
    params.only(&["status"])?;
    let status = params
        .get("status")
        .map(|s| s.parse::<ProposalStatus>())
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("parameter status: {e}")))?;
    let list = state
        .coordination
        .proposals(&caller.steward(), status)
        .await?;
    Ok(Json(ProposalList {
        proposals: list.into_iter().map(ProposalView::from).collect(),
    }))
}

fn proposal_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::not_found(format!("no proposal {text:?}")))
}

/// One proposal (an editor sees only its organisation's).
#[utoipa::path(get, path = "/api/proposals/{id}", params(("id" = i64, Path, description = "proposal number")),
    responses((status = 200, description = "the proposal", body = ProposalView), (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "neither an editor nor a planner", body = ErrorBody), (status = 404, description = "no such proposal", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn proposal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ProposalView>, ApiError> {
    caller.require(Role::Editor)?;
    let p = state
        .coordination
        .proposal(&caller.steward(), proposal_id(&id)?)
        .await?;
    Ok(Json(p.into()))
}

/// Approves a proposal: a pending one is written (every instance serves it within a
/// second) and becomes `approved`; a published one is marked reviewed. Needs the
/// planner role, and nobody approves their own.
#[utoipa::path(post, path = "/api/proposals/{id}/approve", params(("id" = i64, Path, description = "proposal number")), request_body = DecisionBody,
    responses((status = 200, description = "the decided proposal", body = ProposalView), (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "not a planner, or one's own proposal", body = ErrorBody), (status = 404, description = "no such proposal", body = ErrorBody),
              (status = 409, description = "decided already, or the record changed since", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Json<ProposalView>, ApiError> {
    caller.require(Role::Planner)?;
    let DecisionBody { reason } = json_body(&body)?;
    let p = state
        .coordination
        .approve(&caller.steward(), proposal_id(&id)?, reason.as_deref())
        .await?;
    Ok(Json(p.into()))
}

/// Rejects a pending proposal with a reason the editor sees; nothing is written. Needs
/// the planner role.
#[utoipa::path(post, path = "/api/proposals/{id}/reject", params(("id" = i64, Path, description = "proposal number")), request_body = DecisionBody,
    responses((status = 200, description = "the decided proposal", body = ProposalView), (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "not a planner, or one's own proposal", body = ErrorBody), (status = 404, description = "no such proposal", body = ErrorBody),
              (status = 409, description = "decided already", body = ErrorBody), (status = 422, description = "no reason given", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Json<ProposalView>, ApiError> {
    caller.require(Role::Planner)?;
    let DecisionBody { reason } = json_body(&body)?;
    let p = state
        .coordination
        .reject(
            &caller.steward(),
            proposal_id(&id)?,
            reason.as_deref().unwrap_or(""),
        )
        .await?;
    Ok(Json(p.into()))
}

/// The answer to an agency editor's facility write: 202 with the proposal.
pub(super) fn proposed(p: Box<Proposal>) -> Response {
    (StatusCode::ACCEPTED, Json(ProposalView::from(*p))).into_response()
}

/// A record due for verification.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DueRecord {
    /// Facility id.
    id: String,
    /// Its name.
    name: String,
    /// When it was last verified (null: never).
    verified_at: Option<chrono::NaiveDate>,
    /// Days since then (null: never verified).
    days_since_verified: Option<i64>,
}

/// An organisation's records due for verification, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DueList {
    /// The organisation.
    organisation_id: String,
    /// Records not verified for longer than this are due.
    verification_max_age_days: u32,
    /// The records.
    due: Vec<DueRecord>,
}

/// Body of `POST /api/organisations/{id}/verify`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// The records to confirm (the organisation's); absent: every one due.
    #[serde(default)]
    ids: Option<Vec<String>>,
}

/// What a confirmation wrote.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Verified {
    /// The day recorded as `verified_at`.
    verified_at: chrono::NaiveDate,
    /// The records confirmed (records already verified today are left alone).
    ids: Vec<String>,
}

fn verification_today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// An organisation's records due for verification (last verified longer ago than the
/// verification age, or never): for its editors and planners.
#[utoipa::path(get, path = "/api/organisations/{id}/due", params(("id" = String, Path, description = "organisation id")),
    responses((status = 200, description = "the records due", body = DueList), (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "neither a planner nor an editor of this organisation", body = ErrorBody), (status = 404, description = "no such organisation", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn due(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DueList>, ApiError> {
    caller.require(Role::Editor)?;
    let today = verification_today();
    let max_age = state.settings.verification_max_age_days;
    let due = state
        .coordination
        .due(&caller.steward(), &id, today, max_age)
        .await?;
    Ok(Json(DueList {
        organisation_id: id,
        verification_max_age_days: max_age,
        due: due
            .into_iter()
            .map(|f| DueRecord {
                days_since_verified: f.verified_at.map(|d| (today - d).num_days()),
                id: f.id,
                name: f.name,
                verified_at: f.verified_at,
            })
            .collect(),
    }))
}

/// Confirms an organisation's records as still correct: `verified_at` becomes today
/// for the records named (`{"ids": [...]}`, each the organisation's) or for every one
/// due (`{}`); audited per record. For its editors and planners.
#[utoipa::path(post, path = "/api/organisations/{id}/verify", params(("id" = String, Path, description = "organisation id")), request_body = VerifyBody,
    responses((status = 200, description = "the records confirmed", body = Verified), (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "neither a planner nor an editor of this organisation, or a record of another", body = ErrorBody),
              (status = 404, description = "no such organisation or record", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Json<Verified>, ApiError> {
    caller.require(Role::Editor)?;
    let VerifyBody { ids } = json_body(&body)?;
    let today = verification_today();
    let ids = state
        .coordination
        .verify(
            &caller.steward(),
            &id,
            ids.as_deref(),
            today,
            state.settings.verification_max_age_days,
        )
        .await?;
    Ok(Json(Verified {
        verified_at: today,
        ids,
    }))
}

/// How fresh the registry is: per organisation, sector and region, the records, how
/// many are past the verification age and the last verification. `?format=csv`: the
/// overdue records to chase, with their organisation and its contact. Planners only.
#[utoipa::path(get, path = "/api/freshness", params(("format" = Option<String>, Query, description = "json (default) | csv (the overdue records)")),
    responses((status = 200, description = "freshness per group, or the overdue records as CSV",
               content((crate::coordination::freshness::Freshness = "application/json"), (String = "text/csv"))),
              (status = 400, description = "bad parameter", body = ErrorBody),
              (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "not a planner", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn freshness(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, ApiError> {
    caller.require(Role::Planner)?;
    params.only(&["format"])?;
    let today = verification_today();
    let max_age = state.settings.verification_max_age_days;
    let facilities: Vec<crate::model::Facility> = state
        .registry
        .index()
        .facilities()
        .map(|r| r.decode())
        .collect();
    match params.get("format").unwrap_or("json") {
        "json" => Ok(Json(crate::coordination::freshness::freshness(
            &facilities,
            today,
            max_age,
        ))
        .into_response()),
        "csv" => {
            let organisations = state.coordination.organisations().await?;
            let text = crate::coordination::freshness::chase_list_csv(
                &facilities,
                &organisations,
                today,
                max_age,
            );
            Ok((
                [
                    (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        "attachment; filename=\"tirek-overdue.csv\"",
                    ),
                ],
                text,
            )
                .into_response())
        }
        other => Err(ApiError::bad_request(format!(
            "format={other:?}: expected json or csv"
        ))),
    }
}

/// Body of `POST /api/facilities/{id}/reports`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// What is wrong.
    kind: crate::model::ProblemKind,
    /// In a few words (at most 500 characters; no personal data needed).
    #[serde(default)]
    text: String,
}

/// The answer to a problem report: received (nothing of it is shown publicly).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportReceipt {
    /// Always true.
    received: bool,
}

/// A problem report as the facility's organisation and coordinators see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportView {
    /// The report's number.
    id: i64,
    /// The facility.
    facility_id: String,
    /// The facility's organisation.
    organisation_id: Option<String>,
    /// What is wrong.
    kind: crate::model::ProblemKind,
    /// The reporter's words.
    text: String,
    /// `open`, `resolved` or `dismissed`.
    status: crate::model::ReportStatus,
    /// The resolver's note.
    note: Option<String>,
    /// Who resolved or dismissed it.
    decided_by: Option<String>,
    /// When it was received (RFC 3339).
    created_at: String,
    /// When it was resolved or dismissed (RFC 3339).
    decided_at: Option<String>,
}

impl From<crate::model::Report> for ReportView {
    fn from(r: crate::model::Report) -> Self {
        Self {
            id: r.id,
            facility_id: r.facility_id,
            organisation_id: r.organisation_id,
            kind: r.kind,
            text: r.text,
            status: r.status,
            note: r.note,
            decided_by: r.decided_by,
            created_at: crate::model::format_timestamp(&r.created_at),
            decided_at: r.decided_at.as_ref().map(crate::model::format_timestamp),
        }
    }
}

/// Problem reports, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportList {
    /// The reports the caller may see.
    reports: Vec<ReportView>,
}

/// Body of `POST /api/reports/{id}/resolve` and `…/dismiss`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportDecisionBody {
    /// What was done (at most 2,000 characters).
    #[serde(default)]
    note: Option<String>,
}

/// "Report a problem with this listing": anyone, without an account, may tell the
/// facility's organisation and the coordinators that its listing is wrong. Limited
/// per client address (10 an hour: 429 with `Retry-After`). A facility the caller may
/// not see is not found. Nothing of a report is ever shown to the public.
#[utoipa::path(post, path = "/api/facilities/{id}/reports", params(("id" = String, Path, description = "facility id")), request_body = ReportBody,
    responses((status = 202, description = "received", body = ReportReceipt), (status = 400, description = "unreadable body or unknown kind", body = ErrorBody),
              (status = 404, description = "no such facility", body = ErrorBody), (status = 422, description = "text too long", body = ErrorBody),
              (status = 429, description = "too many reports from this address (Retry-After)", body = ErrorBody)))]
pub async fn report_problem(
    State(state): State<AppState>,
    caller: Caller,
    super::extract::ClientAddr(client): super::extract::ClientAddr,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let ReportBody { kind, text } = json_body(&body)?;
    let facility = match state.registry.index().get(&id) {
        Some(f) if caller.viewer().sees(&f) => f,
        _ => return Err(ApiError::not_found("no such facility")),
    };
    if let Err(wait) = state
        .report_limiter
        .allow(client.as_deref(), std::time::Instant::now())
    {
        return Err(ApiError {
            retry_after: Some(wait.as_secs().max(1)),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many reports from this address; try again later",
            )
        });
    }
    state
        .coordination
        .report_problem(&facility, kind, &text, caller.actor())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(ReportReceipt { received: true })).into_response())
}

/// Problem reports, newest first: every one for planners, its organisation's
/// facilities' for an agency editor.
#[utoipa::path(get, path = "/api/reports",
    params(("status" = Option<String>, Query, description = "open | resolved | dismissed")),
    responses((status = 200, description = "the reports", body = ReportList), (status = 400, description = "bad parameter", body = ErrorBody),
              (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "neither an editor nor a planner", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reports(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<ReportList>, ApiError> {
    caller.require(Role::Editor)?;
    params.only(&["status"])?;
    let status = params
        .get("status")
        .map(|s| {
            crate::model::ReportStatus::parse(s).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "parameter status={s:?}: expected open, resolved or dismissed"
                ))
            })
        })
        .transpose()?;
    let list = state
        .coordination
        .reports(&caller.steward(), status)
        .await?;
    Ok(Json(ReportList {
        reports: list.into_iter().map(ReportView::from).collect(),
    }))
}

async fn decide_report(
    state: &AppState,
    caller: &Caller,
    id: &str,
    body: &[u8],
    to: crate::model::ReportStatus,
) -> Result<Json<ReportView>, ApiError> {
    caller.require(Role::Editor)?;
    let ReportDecisionBody { note } = json_body(body)?;
    let id = id
        .parse()
        .map_err(|_| ApiError::not_found(format!("no report {id:?}")))?;
    let report = state
        .coordination
        .decide_report(&caller.steward(), id, to, note.as_deref())
        .await?;
    Ok(Json(report.into()))
}

/// Marks an open report resolved (audited): the organisation's editors and planners.
#[utoipa::path(post, path = "/api/reports/{id}/resolve", params(("id" = i64, Path, description = "report number")), request_body = ReportDecisionBody,
    responses((status = 200, description = "the report", body = ReportView), (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "neither an editor nor a planner", body = ErrorBody), (status = 404, description = "no such report (or another organisation's)", body = ErrorBody),
              (status = 409, description = "resolved or dismissed already", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn resolve_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Json<ReportView>, ApiError> {
    decide_report(
        &state,
        &caller,
        &id,
        &body,
        crate::model::ReportStatus::Resolved,
    )
    .await
}

/// Dismisses an open report (audited): the organisation's editors and planners.
#[utoipa::path(post, path = "/api/reports/{id}/dismiss", params(("id" = i64, Path, description = "report number")), request_body = ReportDecisionBody,
    responses((status = 200, description = "the report", body = ReportView), (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "neither an editor nor a planner", body = ErrorBody), (status = 404, description = "no such report (or another organisation's)", body = ErrorBody),
              (status = 409, description = "resolved or dismissed already", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn dismiss_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Json<ReportView>, ApiError> {
    decide_report(
        &state,
        &caller,
        &id,
        &body,
        crate::model::ReportStatus::Dismissed,
    )
    .await
}
