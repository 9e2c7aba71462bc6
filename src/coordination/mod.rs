//! Interagency stewardship: organisations, agency editors' proposals and the
//! coordinator's review. This is the one place that decides who may write which
//! facility ([`write_scope`]): planners and admins write directly; an agency editor
//! writes only its own organisation's facilities, and each write becomes a
//! [`Proposal`] that the public does not see until a planner approves it (or, for a
//! trusted organisation, one that is published at once and listed for review after
//! the fact). Verification campaigns ([`freshness`]): an organisation confirms its
//! records, coordinators see how fresh the registry is. Referral-pathway documents per
//! area ([`pathway`]); the non-identifying referral and unmet-needs logs ([`referrals`])
//! and their suppressed aggregates ([`figures`]). No HTTP or CLI here; every write goes
//! through the [`Registry`] or its store.

pub mod figures;
pub mod freshness;
pub mod pathway;
pub mod referrals;

use crate::model::{
    Facility, FieldError, MAX_REASON_CHARS, MAX_REPORT_CHARS, Organisation, ProblemKind, Proposal,
    ProposalKind, ProposalStatus, Report, ReportStatus, Role, Status,
};
use crate::registry::{Registry, RegistryError, now};
use crate::store::StoreError;
use std::sync::Arc;

/// Why a stewardship operation was not done.
#[derive(Debug, thiserror::Error)]
pub enum CoordinationError {
    /// The caller may not do this; nothing was written.
    #[error("{0}")]
    Forbidden(String),
    /// The input is invalid; nothing was written.
    #[error("the record is invalid")]
    Invalid(Vec<FieldError>),
    /// No such record.
    #[error("{0}")]
    NotFound(String),
    /// The operation does not fit the record's state (e.g. the id exists already, or
    /// the proposal was decided already).
    #[error("{0}")]
    Conflict(String),
    /// The registry failed or refused.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl From<StoreError> for CoordinationError {
    fn from(e: StoreError) -> Self {
        CoordinationError::Registry(RegistryError::Store(e))
    }
}

/// Who is acting: what a facility write or a review depends on.
#[derive(Debug, Clone, Copy)]
pub struct Steward<'a> {
    /// The account name (the audit log's actor).
    pub username: &'a str,
    /// The effective role.
    pub role: Role,
    /// The organisation the account works for.
    pub organisation: Option<&'a str>,
}

/// How a caller's facility write is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteMode {
    /// Written at once (planners, admins).
    Direct,
    /// Recorded as a proposal for this organisation (agency editors).
    Propose(String),
}

/// The one rule of who may write which facility. `before` is the stored record (none
/// for a creation), `after` the record as it would be (none for a closure; its
/// missing `organisation_id` is filled with an editor's own).
///
/// Planners and admins write anything. An agency editor writes only facilities of its
/// own organisation: the stored record must be its organisation's, and the new one must
/// stay (or be created) in it. Everyone else writes nothing.
pub fn write_scope(
    who: &Steward<'_>,
    before: Option<&Facility>,
    after: Option<&mut Facility>,
) -> Result<WriteMode, CoordinationError> {
    if who.role >= Role::Planner {
        return Ok(WriteMode::Direct);
    }
    if who.role != Role::Editor {
        return Err(CoordinationError::Forbidden(format!(
            "writing facilities needs the editor or planner role; you are signed in as {}",
            who.role
        )));
    }
    let Some(own) = who.organisation else {
        return Err(CoordinationError::Forbidden(
            "this editor account belongs to no organisation, so it may write no facility".into(),
        ));
    };
    let foreign = |id: &str, whose: Option<&str>| {
        CoordinationError::Forbidden(format!(
            "facility {id:?} belongs to {}; an editor of {own:?} may write only its own organisation's facilities",
            whose.map_or_else(
                || "no organisation".to_string(),
                |o| format!("organisation {o:?}")
            )
        ))
    };
    if let Some(b) = before
        && b.organisation_id.as_deref() != Some(own)
    {
        return Err(foreign(&b.id, b.organisation_id.as_deref()));
    }
    if let Some(a) = after {
        match a.organisation_id.as_deref() {
            None => a.organisation_id = Some(own.to_string()),
            Some(o) if o == own => {}
            Some(o) => {
                return Err(CoordinationError::Forbidden(format!(
                    "an editor of {own:?} may not give a facility to organisation {o:?}"
                )));
            }
        }
    }
    Ok(WriteMode::Propose(own.to_string()))
}

/// Whether `who` may keep organisation `organisation`'s records (see what is due,
/// confirm them): planners any, an editor only its own.
pub fn organisation_scope(who: &Steward<'_>, organisation: &str) -> Result<(), CoordinationError> {
    match who.role {
        r if r >= Role::Planner => Ok(()),
        Role::Editor if who.organisation == Some(organisation) => Ok(()),
        Role::Editor => Err(CoordinationError::Forbidden(format!(
            "an editor of {} may keep only its own organisation's records, not {organisation:?}'s",
            who.organisation
                .map_or_else(|| "no organisation".to_string(), |o| format!("{o:?}"))
        ))),
        other => Err(CoordinationError::Forbidden(format!(
            "this needs the editor or planner role; you are signed in as {other}"
        ))),
    }
}

/// What a facility write did.
#[derive(Debug, Clone)]
// One per write request, moved once into the answer: the size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    /// Written (planners, admins); `None` for a deletion.
    Written(Option<Facility>),
    /// Recorded as a proposal: pending, or published at once (trusted organisation).
    Proposed(Box<Proposal>),
}

/// Organisations, scoped facility writes and the review of proposals.
pub struct Coordination {
    registry: Arc<Registry>,
}

impl Coordination {
    /// Stewardship over `registry`.
    pub fn new(registry: Arc<Registry>) -> Self {
        Self { registry }
    }

    /// Every organisation, by id.
    pub async fn organisations(&self) -> Result<Vec<Organisation>, CoordinationError> {
        Ok(self.registry.store().organisations().await?)
    }

    /// One organisation.
    pub async fn organisation(&self, id: &str) -> Result<Organisation, CoordinationError> {
        self.registry
            .store()
            .organisation(id)
            .await?
            .ok_or_else(|| CoordinationError::NotFound(format!("no organisation with id {id:?}")))
    }

    /// Adds an organisation (audited). The caller decides who may (planners).
    pub async fn create_organisation(
        &self,
        mut organisation: Organisation,
        actor: &str,
    ) -> Result<Organisation, CoordinationError> {
        check_organisation(&organisation)?;
        if self
            .registry
            .store()
            .organisation(&organisation.id)
            .await?
            .is_some()
        {
            return Err(CoordinationError::Conflict(format!(
                "an organisation with id {:?} exists already; use PUT to change it",
                organisation.id
            )));
        }
        let now = now();
        organisation.created_at = Some(now);
        organisation.updated_at = Some(now);
        self.registry
            .store()
            .put_organisation(&organisation, actor)
            .await?;
        Ok(organisation)
    }

    /// Replaces an organisation (audited), keeping its creation time.
    pub async fn update_organisation(
        &self,
        mut organisation: Organisation,
        actor: &str,
    ) -> Result<Organisation, CoordinationError> {
        check_organisation(&organisation)?;
        let existing = self.organisation(&organisation.id).await?;
        organisation.created_at = existing.created_at;
        organisation.updated_at = Some(now());
        self.registry
            .store()
            .put_organisation(&organisation, actor)
            .await?;
        Ok(organisation)
    }

    /// Marks an organisation trusted (its editors' writes publish at once) or not.
    pub async fn set_trusted(
        &self,
        id: &str,
        trusted: bool,
        actor: &str,
    ) -> Result<Organisation, CoordinationError> {
        let mut organisation = self.organisation(id).await?;
        organisation.trusted = trusted;
        self.update_organisation(organisation, actor).await
    }

    /// The organisation's records due for verification on `today` (last verified more
    /// than `max_age_days` ago, or never), oldest first.
    pub async fn due(
        &self,
        who: &Steward<'_>,
        organisation: &str,
        today: chrono::NaiveDate,
        max_age_days: u32,
    ) -> Result<Vec<Facility>, CoordinationError> {
        organisation_scope(who, organisation)?;
        self.organisation(organisation).await?;
        let mut due: Vec<Facility> = self
            .registry
            .index()
            .facilities()
            .map(|r| r.decode())
            .filter(|f| {
                f.organisation_id.as_deref() == Some(organisation)
                    && f.verification_overdue(today, max_age_days)
            })
            .collect();
        due.sort_by(|a, b| a.verified_at.cmp(&b.verified_at).then(a.id.cmp(&b.id)));
        Ok(due)
    }

    /// Confirms records of `organisation` as still correct on `today` (`verified_at`
    /// set to it, written in one transaction and audited per record): those named by
    /// `ids` (each must be the organisation's), or else every one due. A confirmation
    /// changes no content, so an editor's is written at once. Returns the ids written.
    pub async fn verify(
        &self,
        who: &Steward<'_>,
        organisation: &str,
        ids: Option<&[String]>,
        today: chrono::NaiveDate,
        max_age_days: u32,
    ) -> Result<Vec<String>, CoordinationError> {
        organisation_scope(who, organisation)?;
        let records = match ids {
            None => self.due(who, organisation, today, max_age_days).await?,
            Some(ids) => {
                self.organisation(organisation).await?;
                let mut records = Vec::with_capacity(ids.len());
                for id in ids {
                    let f = self.stored(id).await?;
                    if f.organisation_id.as_deref() != Some(organisation) {
                        return Err(CoordinationError::Forbidden(format!(
                            "facility {id:?} is not organisation {organisation:?}'s"
                        )));
                    }
                    records.push(f);
                }
                records
            }
        };
        let records: Vec<Facility> = records
            .into_iter()
            .filter(|f| f.verified_at != Some(today))
            .map(|f| Facility {
                verified_at: Some(today),
                ..f
            })
            .collect();
        let ids = records.iter().map(|f| f.id.clone()).collect();
        if !records.is_empty() {
            self.registry.import(records, who.username).await?;
        }
        Ok(ids)
    }

    /// Adds a facility: written by a planner, proposed by an editor.
    pub async fn create_facility(
        &self,
        who: &Steward<'_>,
        mut facility: Facility,
    ) -> Result<Outcome, CoordinationError> {
        match write_scope(who, None, Some(&mut facility))? {
            WriteMode::Direct => Ok(Outcome::Written(Some(
                self.registry.create(facility, who.username).await?,
            ))),
            WriteMode::Propose(org) => {
                if self
                    .registry
                    .store()
                    .facility(&facility.id)
                    .await?
                    .is_some()
                {
                    return Err(CoordinationError::Conflict(format!(
                        "a facility with id {:?} exists already; use PUT to change it",
                        facility.id
                    )));
                }
                let after = self.registry.prepare(facility, None).await?;
                self.propose(who, org, ProposalKind::Create, None, after)
                    .await
            }
        }
    }

    /// Replaces a facility: written by a planner, proposed by an editor of its
    /// organisation.
    pub async fn update_facility(
        &self,
        who: &Steward<'_>,
        mut facility: Facility,
    ) -> Result<Outcome, CoordinationError> {
        let before = self.stored(&facility.id).await?;
        match write_scope(who, Some(&before), Some(&mut facility))? {
            WriteMode::Direct => Ok(Outcome::Written(Some(
                self.registry.update(facility, who.username).await?,
            ))),
            WriteMode::Propose(org) => {
                let after = self.registry.prepare(facility, Some(&before)).await?;
                self.propose(who, org, ProposalKind::Update, Some(before), after)
                    .await
            }
        }
    }

    /// Removes a facility (planners) or proposes to close it (an editor of its
    /// organisation: on approval its status becomes `closed`).
    pub async fn remove_facility(
        &self,
        who: &Steward<'_>,
        id: &str,
    ) -> Result<Outcome, CoordinationError> {
        let before = self.stored(id).await?;
        match write_scope(who, Some(&before), None)? {
            WriteMode::Direct => {
                self.registry.delete(id, who.username).await?;
                Ok(Outcome::Written(None))
            }
            WriteMode::Propose(org) => {
                let closed = Facility {
                    status: Status::Closed,
                    ..before.clone()
                };
                let after = self.registry.prepare(closed, Some(&before)).await?;
                self.propose(who, org, ProposalKind::Close, Some(before), after)
                    .await
            }
        }
    }

    async fn stored(&self, id: &str) -> Result<Facility, CoordinationError> {
        Ok(self
            .registry
            .store()
            .facility(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?)
    }

    /// Records the proposal; a trusted organisation's is published at once.
    async fn propose(
        &self,
        who: &Steward<'_>,
        organisation: String,
        kind: ProposalKind,
        before: Option<Facility>,
        after: Facility,
    ) -> Result<Outcome, CoordinationError> {
        let trusted = self.organisation(&organisation).await?.trusted;
        let mut proposal = Proposal {
            id: 0,
            facility_id: after.id.clone(),
            organisation_id: organisation,
            proposer: who.username.to_string(),
            kind,
            status: if trusted {
                ProposalStatus::Published
            } else {
                ProposalStatus::Pending
            },
            before,
            after,
            reason: None,
            decided_by: None,
            created_at: now(),
            decided_at: None,
        };
        proposal.id = self
            .registry
            .propose(&proposal, trusted, who.username)
            .await?;
        Ok(Outcome::Proposed(Box::new(proposal)))
    }

    /// The proposals `who` may see: all for planners, its organisation's for an editor;
    /// newest first, of `status` when given.
    pub async fn proposals(
        &self,
        who: &Steward<'_>,
        status: Option<ProposalStatus>,
    ) -> Result<Vec<Proposal>, CoordinationError> {
        let organisation = review_scope(who)?;
        Ok(self
            .registry
            .store()
            .proposals(status, organisation)
            .await?)
    }

    /// One proposal, if `who` may see it (else not found, as for one that does not
    /// exist: an editor learns nothing of other organisations' proposals).
    pub async fn proposal(
        &self,
        who: &Steward<'_>,
        id: i64,
    ) -> Result<Proposal, CoordinationError> {
        let scope = review_scope(who)?;
        match self.registry.store().proposal(id).await? {
            Some(p) if scope.is_none_or(|o| o == p.organisation_id) => Ok(p),
            _ => Err(CoordinationError::NotFound(format!("no proposal {id}"))),
        }
    }

    /// A planner approves a proposal: a pending one is written (through the registry's
    /// write path, in the same transaction as the decision) and becomes `approved`; a
    /// published one is marked reviewed. Nobody decides on their own proposal.
    pub async fn approve(
        &self,
        who: &Steward<'_>,
        id: i64,
        reason: Option<&str>,
    ) -> Result<Proposal, CoordinationError> {
        let proposal = self.decidable(who, id, reason).await?;
        match proposal.status {
            ProposalStatus::Pending => {
                let mut write = proposal.after.clone();
                let stamp = now();
                write.updated_at = Some(stamp);
                if proposal.before.is_none() {
                    write.created_at = Some(stamp);
                }
                self.registry
                    .decide(
                        id,
                        ProposalStatus::Pending,
                        ProposalStatus::Approved,
                        reason,
                        Some(&write),
                        "proposal.approve",
                        who.username,
                    )
                    .await?;
            }
            ProposalStatus::Published if proposal.decided_by.is_none() => {
                self.registry
                    .decide(
                        id,
                        ProposalStatus::Published,
                        ProposalStatus::Published,
                        reason,
                        None,
                        "proposal.review",
                        who.username,
                    )
                    .await?;
            }
            status => {
                return Err(CoordinationError::Conflict(format!(
                    "proposal {id} is {status} and decided already"
                )));
            }
        }
        self.proposal(who, id).await
    }

    /// A planner rejects a pending proposal with a reason the editor sees; nothing is
    /// written. A published one cannot be rejected (it is live: change the record).
    pub async fn reject(
        &self,
        who: &Steward<'_>,
        id: i64,
        reason: &str,
    ) -> Result<Proposal, CoordinationError> {
        if reason.trim().is_empty() {
            return Err(CoordinationError::Invalid(vec![FieldError::new(
                "reason",
                "a rejection needs a reason the editor can act on",
            )]));
        }
        let proposal = self.decidable(who, id, Some(reason)).await?;
        if proposal.status != ProposalStatus::Pending {
            return Err(CoordinationError::Conflict(format!(
                "proposal {id} is {} already{}",
                proposal.status,
                if proposal.status == ProposalStatus::Published {
                    ": it is live; change the record itself to undo it"
                } else {
                    ""
                }
            )));
        }
        self.registry
            .decide(
                id,
                ProposalStatus::Pending,
                ProposalStatus::Rejected,
                Some(reason),
                None,
                "proposal.reject",
                who.username,
            )
            .await?;
        self.proposal(who, id).await
    }

    /// Receives a problem report about a facility's listing from anyone (the caller
    /// checks that the facility is public to them). The text is trimmed and at most
    /// [`MAX_REPORT_CHARS`] characters. Returns the report's number.
    pub async fn report_problem(
        &self,
        facility: &Facility,
        kind: ProblemKind,
        text: &str,
        actor: &str,
    ) -> Result<i64, CoordinationError> {
        let text = text.trim();
        if text.chars().count() > MAX_REPORT_CHARS {
            return Err(CoordinationError::Invalid(vec![FieldError::new(
                "text",
                format!("longer than {MAX_REPORT_CHARS} characters"),
            )]));
        }
        let report = Report {
            id: 0,
            facility_id: facility.id.clone(),
            organisation_id: facility.organisation_id.clone(),
            kind,
            text: text.to_string(),
            status: ReportStatus::Open,
            note: None,
            decided_by: None,
            created_at: now(),
            decided_at: None,
        };
        Ok(self.registry.store().add_report(&report, actor).await?)
    }

    /// The problem reports `who` may see: all for planners, its organisation's for an
    /// editor; newest first, of `status` when given.
    pub async fn reports(
        &self,
        who: &Steward<'_>,
        status: Option<ReportStatus>,
    ) -> Result<Vec<Report>, CoordinationError> {
        let organisation = review_scope(who)?;
        Ok(self.registry.store().reports(status, organisation).await?)
    }

    /// Resolves or dismisses an open report: planners any, an editor its
    /// organisation's (another organisation's is not found, as one that does not exist).
    pub async fn decide_report(
        &self,
        who: &Steward<'_>,
        id: i64,
        to: ReportStatus,
        note: Option<&str>,
    ) -> Result<Report, CoordinationError> {
        let scope = review_scope(who)?;
        let not_found = || CoordinationError::NotFound(format!("no report {id}"));
        let report = self
            .registry
            .store()
            .report(id)
            .await?
            .ok_or_else(not_found)?;
        if scope.is_some_and(|o| report.organisation_id.as_deref() != Some(o)) {
            return Err(not_found());
        }
        if note.is_some_and(|n| n.chars().count() > MAX_REASON_CHARS) {
            return Err(CoordinationError::Invalid(vec![FieldError::new(
                "note",
                format!("longer than {MAX_REASON_CHARS} characters"),
            )]));
        }
        self.registry
            .store()
            .decide_report(id, to, note, who.username)
            .await?;
        self.registry
            .store()
            .report(id)
            .await?
            .ok_or_else(not_found)
    }

    /// The proposal `who` is about to decide on: only planners decide, never on their
    /// own proposal, and with a reason of acceptable length.
    async fn decidable(
        &self,
        who: &Steward<'_>,
        id: i64,
        reason: Option<&str>,
    ) -> Result<Proposal, CoordinationError> {
        if who.role < Role::Planner {
            return Err(CoordinationError::Forbidden(format!(
                "deciding on proposals needs the planner role; you are signed in as {}",
                who.role
            )));
        }
        if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
            return Err(CoordinationError::Invalid(vec![FieldError::new(
                "reason",
                format!("longer than {MAX_REASON_CHARS} characters"),
            )]));
        }
        let proposal = self.proposal(who, id).await?;
        if proposal.proposer == who.username {
            return Err(CoordinationError::Forbidden(
                "nobody decides on their own proposal".into(),
            ));
        }
        Ok(proposal)
    }
}

/// Whose proposals `who` may see. `None`: every organisation's; `Some(org)`: that
/// one's only.
fn review_scope<'a>(who: &Steward<'a>) -> Result<Option<&'a str>, CoordinationError> {
    match who.role {
        r if r >= Role::Planner => Ok(None),
        Role::Editor => who.organisation.map(Some).ok_or_else(|| {
            CoordinationError::Forbidden("this editor account belongs to no organisation".into())
        }),
        other => Err(CoordinationError::Forbidden(format!(
            "proposals are for editors and planners; you are signed in as {other}"
        ))),
    }
}

fn check_organisation(organisation: &Organisation) -> Result<(), CoordinationError> {
    let errors = organisation.validate();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CoordinationError::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facility(org: Option<&str>) -> Facility {
        let feature = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [69.6, 42.3]},
            "properties": {"id": "f1", "name": "F", "sectors": ["health"], "country": "KZ", "organisation_id": org}});
        Facility::from_feature(&feature).unwrap()
    }

    fn who(role: Role, organisation: Option<&str>) -> Steward<'_> {
        Steward {
            username: "u",
            role,
            organisation,
        }
    }

    #[test]
    fn the_scope_of_each_role() {
        let mine = facility(Some("a"));
        let theirs = facility(Some("b"));
        let editor = who(Role::Editor, Some("a"));
        // Planners and admins write directly, whatever the organisation.
        for role in [Role::Planner, Role::Admin] {
            assert_eq!(
                write_scope(&who(role, None), Some(&theirs), None).unwrap(),
                WriteMode::Direct
            );
        }
        // The public and caseworkers write nothing; an editor without an organisation neither.
        for w in [
            who(Role::Public, None),
            who(Role::Caseworker, Some("a")),
            who(Role::Editor, None),
        ] {
            assert!(matches!(
                write_scope(&w, Some(&mine), Some(&mut mine.clone())),
                Err(CoordinationError::Forbidden(_))
            ));
        }
        // An editor: its own records only, and it cannot move one away or create for another.
        assert_eq!(
            write_scope(&editor, Some(&mine), Some(&mut mine.clone())).unwrap(),
            WriteMode::Propose("a".into())
        );
        assert!(write_scope(&editor, Some(&theirs), None).is_err());
        assert!(write_scope(&editor, Some(&facility(None)), None).is_err());
        assert!(write_scope(&editor, Some(&mine), Some(&mut theirs.clone())).is_err());
        assert!(write_scope(&editor, None, Some(&mut theirs.clone())).is_err());
        // A new record without an organisation becomes the editor's.
        let mut new = facility(None);
        write_scope(&editor, None, Some(&mut new)).unwrap();
        assert_eq!(new.organisation_id.as_deref(), Some("a"));
    }
}
