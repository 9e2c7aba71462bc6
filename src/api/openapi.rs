//! The OpenAPI description, generated from the handlers' annotations. A copy is
//! committed as `openapi.json`; a test fails when it drifts from the code
//! (`tirek openapi > openapi.json` refreshes it).

use super::{
    auth, coverage, facilities, geography, nearest, nearest_batch, pathway, places, plan,
    referrals, stewardship, travel,
};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tirek", description = "Spatial index of GBV response services in Central Asia: nearest appropriate service, registry, import and export."),
    paths(
        places::healthz, places::meta, places::areas, places::settlements,
        facilities::list, facilities::get_one, facilities::create, facilities::update, facilities::delete,
        facilities::import, geography::import_areas, geography::import_population, facilities::export, nearest::nearest, nearest_batch::batch, coverage::coverage,
        plan::gaps_grid, plan::plan_sites, plan::catchments,
        auth::login, auth::logout, auth::me, auth::change_password, auth::create_token, auth::users, auth::audit,
        stewardship::organisations, stewardship::organisation, stewardship::create_organisation, stewardship::update_organisation,
        stewardship::proposals, stewardship::proposal, stewardship::approve, stewardship::reject,
        stewardship::due, stewardship::verify, stewardship::freshness, pathway::pathway,
        stewardship::report_problem, stewardship::reports, stewardship::resolve_report, stewardship::dismiss_report,
        referrals::create, referrals::list, referrals::get_one, referrals::set_status,
        referrals::create_unmet_need, referrals::list_unmet_needs, referrals::figures,
        travel::scenarios, travel::import_friction, travel::remove, travel::catchments,
    ),
    components(schemas(crate::registry::ImportSummary, crate::registry::AreaImportSummary,
                       crate::registry::PopulationImportSummary, crate::import::areas::Repair, crate::import::RecordError, crate::model::Sector,
                       crate::model::Service, crate::model::Status, crate::model::Language, plan::PlanRequest,
                       crate::model::Role, crate::store::AuditEntry, auth::LoginBody, auth::PasswordBody, auth::TokenBody,
                       nearest_batch::BatchRequest, nearest_batch::BatchPoint, crate::model::ProposalKind,
                       crate::model::ProposalStatus, stewardship::DecisionBody, stewardship::VerifyBody,
                       stewardship::ReportBody, stewardship::ReportDecisionBody,
                       referrals::ReferralBody, referrals::StatusBody, referrals::UnmetNeedBody,
                       crate::model::ReferralStatus, crate::model::DeclineReason,
                       travel::TimePlanAnswer)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                utoipa::openapi::security::ApiKeyValue::new(super::extract::SESSION_COOKIE),
            )),
        );
    }
}

/// The OpenAPI document as pretty JSON (what `openapi.json` holds).
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc.to_pretty_json().unwrap_or_default() + "\n"
}

/// `GET /api/openapi.json`.
pub async fn serve() -> Json<serde_json::Value> {
    Json(serde_json::from_str(&document()).unwrap_or_default())
}
