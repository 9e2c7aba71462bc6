//! Who may write and read the referral log and the unmet-needs log. A caseworker (or
//! editor) of an organisation records referrals from her organisation and unmet needs
//! met in her work, and lists the referrals she made (or her organisation made) to
//! follow them up; the receiving organisation's editors answer referrals (legal
//! transitions only, a decline with a reason from a fixed list). Record-level data go
//! only to the organisations involved and to admins: coordinators (planners) get the
//! figures, not the records. Everyone else reads nothing of a record: another
//! organisation's referral is "not found", as one that does not exist. The records
//! themselves hold nothing that names or locates a survivor (see
//! [`crate::model::Referral`]); who recorded a referral (`made_by`, a staff account) is
//! shown only to her own organisation and admins. No HTTP or CLI here.

use super::{Coordination, CoordinationError, Steward};
use crate::model::{
    AreaCodes, DeclineReason, FieldError, Needs, Referral, ReferralStatus, Role, Sector, Status,
    UnmetNeed,
};
use crate::spatial::area_index::AreaIndex;
use chrono::NaiveDate;

/// The earliest day a record may carry (anything before is a typing mistake).
pub const EARLIEST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("a valid day"),
};

/// A referral as a caseworker records it: everything else (from whom, to which
/// organisation, where it counts) follows from her account and the facility.
#[derive(Debug, Clone)]
pub struct NewReferral {
    /// The facility referred to.
    pub to_facility: String,
    /// The sector referred for (one of the facility's).
    pub sector: Sector,
    /// The day it was made; `None`: today.
    pub made_on: Option<NaiveDate>,
    /// The survivor's consent to share it with the receiving organisation.
    pub consent_to_share: bool,
}

/// An unmet need as a caseworker records it.
#[derive(Debug, Clone)]
pub struct NewUnmetNeed {
    /// The sector with no appropriate service within reach.
    pub sector: Sector,
    /// The needs the search was filtered by.
    pub needs: Needs,
    /// The code of the admin area where it was needed (the `area.code` of the nearest
    /// answer: district, else region).
    pub area: String,
    /// The day; `None`: today.
    pub recorded_on: Option<NaiveDate>,
}

/// Which referrals to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralScope {
    /// Made by the caller herself, for her organisation (to follow up).
    Mine,
    /// Made by anyone of the caller's organisation.
    Organisation,
    /// Received by the caller's organisation (to answer): its editors.
    Incoming,
    /// Every referral: admins.
    All,
}

/// Whether `who` is an account of the organisation that made `referral`.
fn referring(who: &Steward<'_>, referral: &Referral) -> bool {
    who.role >= Role::Caseworker && who.organisation == Some(referral.from_organisation.as_str())
}

/// A referral as `who` may read it: who recorded it (`made_by`) only for the referring
/// organisation's own accounts and admins, not for the receiving organisation.
fn as_seen_by(who: &Steward<'_>, mut referral: Referral) -> Referral {
    if !(referring(who, &referral) || who.role >= Role::Admin) {
        referral.made_by = None;
    }
    referral
}

/// The caller's organisation, for a write or a list that needs one.
fn own_organisation<'a>(who: &Steward<'a>, what: &str) -> Result<&'a str, CoordinationError> {
    if who.role < Role::Caseworker {
        return Err(CoordinationError::Forbidden(format!(
            "{what} needs a caseworker, editor, planner or admin account"
        )));
    }
    who.organisation.ok_or_else(|| {
        CoordinationError::Forbidden(format!(
            "{what} needs an account of an organisation; {} belongs to none (tirek user organisation NAME ORG)",
            who.username
        ))
    })
}

fn day_in_range(field: &str, day: NaiveDate, today: NaiveDate) -> Result<(), FieldError> {
    // `today` is the server's UTC date; east of Greenwich (UTC+5/+6 in the five
    // countries) a caseworker's local today is a day ahead of it until 05:00–06:00.
    if day > today + chrono::Days::new(1) {
        Err(FieldError::new(field, format!("{day} is in the future")))
    } else if day < EARLIEST_DAY {
        Err(FieldError::new(
            field,
            format!("{day} is before {EARLIEST_DAY}"),
        ))
    } else {
        Ok(())
    }
}

fn invalid(field: &str, message: impl Into<String>) -> CoordinationError {
    CoordinationError::Invalid(vec![FieldError::new(field, message)])
}

/// The codes of an area and of the areas above it: country, region (level 1),
/// district (level 2). A finer area counts in its district. `None` for an unknown code
/// or one whose country is unknown.
pub fn area_codes(index: &AreaIndex, code: &str) -> Option<AreaCodes> {
    let area = index.areas().iter().find(|a| a.code == code)?;
    let country = index.country_of(area)?.to_string();
    let up = |from: &crate::model::Area, level: u8| -> Option<String> {
        let mut current = from.clone();
        while current.level > level {
            let parent = current.parent.as_deref()?;
            current = index.areas().iter().find(|a| a.code == parent)?.clone();
        }
        (current.level == level).then(|| current.code.clone())
    };
    let (region, district) = match area.level {
        0 => (None, None),
        1 => (Some(area.code.clone()), None),
        _ => {
            let district = up(area, 2);
            // A district without a parent code: the region that holds its interior.
            let region = up(area, 1).or_else(|| {
                use geo::InteriorPoint;
                let p = area.geometry.interior_point()?;
                index
                    .locate_in(p.x(), p.y(), 1, Some(&country))
                    .filter(|l| l.inside)
                    .map(|l| l.area.code.clone())
            });
            (region, district)
        }
    };
    let codes = AreaCodes {
        country,
        region,
        district,
    };
    codes.valid().then_some(codes)
}

impl Coordination {
    /// Records a referral from the caller's organisation to a facility (audited).
    pub async fn make_referral(
        &self,
        who: &Steward<'_>,
        new: NewReferral,
        today: NaiveDate,
    ) -> Result<Referral, CoordinationError> {
        let from = own_organisation(who, "recording a referral")?;
        if self.registry.store().organisation(from).await?.is_none() {
            return Err(CoordinationError::Forbidden(format!(
                "your account's organisation {from:?} is not in the registry"
            )));
        }
        let made_on = new.made_on.unwrap_or(today);
        day_in_range("made_on", made_on, today).map_err(|e| CoordinationError::Invalid(vec![e]))?;
        if !Referral::valid_facility_id(&new.to_facility) {
            return Err(invalid("to_facility", "not a facility id"));
        }
        let facility =
            self.registry.index().get(&new.to_facility).ok_or_else(|| {
                invalid("to_facility", format!("no facility {:?}", new.to_facility))
            })?;
        let Some(to) = facility.organisation_id.clone() else {
            return Err(invalid(
                "to_facility",
                "this facility is kept by no organisation, so nobody could answer the referral",
            ));
        };
        if facility.status == Status::Closed {
            return Err(invalid("to_facility", "this facility is closed"));
        }
        if !facility.sectors.contains(&new.sector) {
            return Err(invalid(
                "sector",
                format!(
                    "the facility serves {}, not {}",
                    facility
                        .sectors
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    new.sector
                ),
            ));
        }
        let mut area = AreaCodes {
            country: facility.country.clone(),
            region: facility.adm1.clone(),
            district: facility.adm2.clone(),
        };
        // Codes of an odd shape (an import's) are not kept: the country still counts.
        if !area.valid() {
            area.region = None;
            area.district = None;
        }
        let mut referral = Referral {
            id: 0,
            from_organisation: from.to_string(),
            to_facility: facility.id,
            to_organisation: to,
            sector: new.sector,
            made_on,
            consent_to_share: new.consent_to_share,
            status: ReferralStatus::Made,
            decline_reason: None,
            accepted_on: None,
            closed_on: None,
            area,
            demo: false,
            made_by: crate::model::Account::valid_username(who.username)
                .then(|| who.username.to_string()),
        };
        let ids = self
            .registry
            .store()
            .add_referrals(std::slice::from_ref(&referral), who.username)
            .await?;
        referral.id = ids.first().copied().unwrap_or_default();
        Ok(referral)
    }

    /// The referrals `who` may list in `scope`, newest first.
    pub async fn referrals(
        &self,
        who: &Steward<'_>,
        scope: ReferralScope,
    ) -> Result<Vec<Referral>, CoordinationError> {
        let store = self.registry.store();
        let list = match scope {
            ReferralScope::All => {
                if who.role < Role::Admin {
                    return Err(CoordinationError::Forbidden(format!(
                        "every organisation's referrals are for admins (coordinators have the figures: /api/coordination/figures); you are signed in as {}",
                        who.role
                    )));
                }
                store.referrals(None, None, None).await?
            }
            ReferralScope::Mine => {
                let own = own_organisation(who, "listing referrals")?;
                // Hers, made for her organisation: an account moved to another
                // organisation (or a name given again) does not take them along.
                store.referrals(Some(own), None, Some(who.username)).await?
            }
            ReferralScope::Organisation => {
                let own = own_organisation(who, "listing referrals")?;
                store.referrals(Some(own), None, None).await?
            }
            ReferralScope::Incoming => {
                let own = own_organisation(who, "listing referrals")?;
                if who.role < Role::Editor {
                    return Err(CoordinationError::Forbidden(
                        "referrals received are answered by the organisation's editors".into(),
                    ));
                }
                store.referrals(None, Some(own), None).await?
            }
        };
        Ok(list.into_iter().map(|r| as_seen_by(who, r)).collect())
    }

    /// One referral, if `who` may see it: admins any, the referring organisation's
    /// accounts and the receiving organisation's editors theirs (planners too only as
    /// such: coordinators have the figures, not the records). Any other is not found,
    /// as one that does not exist.
    pub async fn referral(
        &self,
        who: &Steward<'_>,
        id: i64,
    ) -> Result<Referral, CoordinationError> {
        let not_found = || CoordinationError::NotFound(format!("no referral {id}"));
        let referral = self
            .registry
            .store()
            .referral(id)
            .await?
            .ok_or_else(not_found)?;
        let sees = who.role >= Role::Admin
            || referring(who, &referral)
            || (who.role >= Role::Editor
                && who.organisation == Some(referral.to_organisation.as_str()));
        if sees {
            Ok(as_seen_by(who, referral))
        } else {
            Err(not_found())
        }
    }

    /// The receiving organisation's editor answers a referral: accepted, service
    /// provided, declined (with a reason) or no show, on `on` (default today); audited.
    pub async fn answer_referral(
        &self,
        who: &Steward<'_>,
        id: i64,
        to: ReferralStatus,
        reason: Option<DeclineReason>,
        on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Referral, CoordinationError> {
        let current = self.referral(who, id).await?;
        if who.role < Role::Editor || who.organisation != Some(current.to_organisation.as_str()) {
            return Err(CoordinationError::Forbidden(format!(
                "referral {id} is answered by the editors of {:?}, the receiving organisation",
                current.to_organisation
            )));
        }
        let on = on.unwrap_or(today);
        day_in_range("on", on, today).map_err(|e| CoordinationError::Invalid(vec![e]))?;
        let next = current.moved(to, reason, on).map_err(|e| {
            let field = match e {
                crate::model::TransitionError::ReasonRequired
                | crate::model::TransitionError::ReasonNotAllowed(_) => "reason",
                crate::model::TransitionError::BeforeEarlier { .. } => "on",
                crate::model::TransitionError::Illegal { .. } => "status",
            };
            if matches!(e, crate::model::TransitionError::Illegal { .. }) {
                CoordinationError::Conflict(e.to_string())
            } else {
                invalid(field, e.to_string())
            }
        })?;
        self.registry
            .store()
            .update_referral(&next, current.status, who.username)
            .await?;
        Ok(next)
    }

    /// Records that no appropriate service of a sector was within reach for these
    /// needs in an area (audited). The area is a code of the loaded admin areas;
    /// finer than a district is never kept.
    pub async fn record_unmet_need(
        &self,
        who: &Steward<'_>,
        new: NewUnmetNeed,
        today: NaiveDate,
    ) -> Result<UnmetNeed, CoordinationError> {
        let organisation = own_organisation(who, "recording an unmet need")?;
        let recorded_on = new.recorded_on.unwrap_or(today);
        day_in_range("recorded_on", recorded_on, today)
            .map_err(|e| CoordinationError::Invalid(vec![e]))?;
        let area = area_codes(self.registry.places().area_index(), &new.area).ok_or_else(|| {
            invalid(
                "area",
                format!(
                    "no admin area with code {:?} (use the area.code of the /api/nearest answer)",
                    new.area
                ),
            )
        })?;
        let mut need = UnmetNeed {
            id: 0,
            organisation: organisation.to_string(),
            sector: new.sector,
            needs: new.needs.canonical(),
            area,
            recorded_on,
            demo: false,
        };
        let ids = self
            .registry
            .store()
            .add_unmet_needs(std::slice::from_ref(&need), who.username)
            .await?;
        need.id = ids.first().copied().unwrap_or_default();
        Ok(need)
    }

    /// The unmet needs `who` may see, newest first: every one for admins, its own
    /// organisation's for anyone else of an organisation (planners too: coordinators
    /// have the figures, not the records).
    pub async fn unmet_needs(
        &self,
        who: &Steward<'_>,
    ) -> Result<Vec<UnmetNeed>, CoordinationError> {
        let store = self.registry.store();
        if who.role >= Role::Admin {
            return Ok(store.unmet_needs(None).await?);
        }
        let own = own_organisation(who, "listing unmet needs")?;
        Ok(store.unmet_needs(Some(own)).await?)
    }

    /// The coordination figures for `query` (see [`super::figures`]): the caller
    /// decides the audience from the role.
    pub async fn figures(
        &self,
        query: &super::figures::Query,
    ) -> Result<super::figures::CoordinationFigures, CoordinationError> {
        let store = self.registry.store();
        let referrals = store.referrals(None, None, None).await?;
        let unmet_needs = store.unmet_needs(None).await?;
        let organisations = store.organisations().await?;
        let places = self.registry.places();
        let mut population: std::collections::BTreeMap<String, f64> = Default::default();
        for s in &places.settlements {
            if let Some(country) = &s.country {
                *population.entry(country.clone()).or_default() += s.population;
            }
        }
        // Looked up once per facility: a deleted facility counts as confidential (what
        // it was is not known any more).
        let index = self.registry.index();
        let confidential: std::collections::HashMap<&str, bool> = referrals
            .iter()
            .map(|r| {
                let secret = index.get(&r.to_facility).is_none_or(|f| f.confidential);
                (r.to_facility.as_str(), secret)
            })
            .collect();
        let is_confidential = |id: &str| confidential.get(id).copied().unwrap_or(true);
        let inputs = super::figures::Inputs {
            referrals: &referrals,
            unmet_needs: &unmet_needs,
            organisations: &organisations,
            areas: &places.areas,
            population: &population,
            confidential: &is_confidential,
        };
        Ok(super::figures::figures(&inputs, query))
    }

    /// The year figures default to: the latest with any record (not after `today`'s),
    /// else `today`'s.
    pub async fn latest_year(&self, today: NaiveDate) -> Result<i32, CoordinationError> {
        use chrono::Datelike;
        let store = self.registry.store();
        let referrals = store.referrals(None, None, None).await?;
        let needs = store.unmet_needs(None).await?;
        Ok(referrals
            .iter()
            .map(|r| r.made_on)
            .chain(needs.iter().map(|u| u.recorded_on))
            .filter(|d| *d <= today)
            .max()
            .unwrap_or(today)
            .year())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(code: &str, level: u8, parent: Option<&str>, x: f64) -> crate::model::Area {
        use geo::{LineString, MultiPolygon, Polygon};
        let ring = LineString::from(vec![
            (x, 40.0),
            (x + 1.0, 40.0),
            (x + 1.0, 41.0),
            (x, 41.0),
            (x, 40.0),
        ]);
        crate::model::Area {
            code: code.into(),
            level,
            parent: parent.map(str::to_string),
            name: code.into(),
            names: Default::default(),
            geometry: MultiPolygon(vec![Polygon::new(ring, vec![])]),
        }
    }

    #[test]
    fn an_area_code_gives_its_district_region_and_country() {
        let mut kz = square("KZ", 0, None, 60.0);
        kz.geometry = {
            use geo::{LineString, MultiPolygon, Polygon};
            let ring = LineString::from(vec![
                (60.0, 40.0),
                (63.0, 40.0),
                (63.0, 41.0),
                (60.0, 41.0),
                (60.0, 40.0),
            ]);
            MultiPolygon(vec![Polygon::new(ring, vec![])])
        };
        let index = AreaIndex::new(vec![
            kz,
            square("KZ-A", 1, Some("KZ"), 60.0),
            square("KZ-B", 1, Some("KZ"), 61.0),
            square("KZ-A-1", 2, Some("KZ-A"), 60.0),
            // A district whose file gave no parent: its region is found by location.
            square("D-2", 2, None, 61.0),
        ]);
        let codes = |c: &str| area_codes(&index, c);
        assert_eq!(
            codes("KZ-A-1"),
            Some(AreaCodes {
                country: "KZ".into(),
                region: Some("KZ-A".into()),
                district: Some("KZ-A-1".into())
            })
        );
        assert_eq!(
            codes("D-2").and_then(|c| c.region),
            Some("KZ-B".to_string())
        );
        assert_eq!(codes("KZ-B").unwrap().finest(), "KZ-B");
        assert_eq!(codes("KZ").unwrap().finest(), "KZ");
        assert_eq!(codes("nope"), None);
    }
}
