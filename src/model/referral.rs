//! The non-identifying referral log and the unmet-needs log. A [`Referral`] says that
//! one organisation referred a survivor to a facility of another, for a sector, on a
//! day, with or without her consent to share; the receiving organisation then records
//! what became of it. An [`UnmetNeed`] says that no appropriate service was reachable
//! for a sector and a set of needs in a district. Neither holds anything that names or
//! locates a survivor: no names, birth dates, case numbers, free text, coordinates or
//! times of day — only organisation and facility ids, closed vocabularies, area codes
//! and days. No I/O here.

use super::{Language, Sector, Service};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! closed_list {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in canonical order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code, as stored and sent.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = super::VocabError;
            fn from_str(s: &str) -> Result<Self, super::VocabError> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s.trim()).ok_or_else(|| super::VocabError {
                    kind: $kind,
                    value: s.trim().to_string(),
                    expected: [$($text),+].join(", "),
                })
            }
        }
    };
}

closed_list!(
    /// Where a referral stands.
    ReferralStatus, "referral status", {
        /// Made by the referring organisation; the receiving one has not answered yet.
        Made => "made",
        /// The receiving organisation accepted it.
        Accepted => "accepted",
        /// The survivor received the service.
        ServiceProvided => "service_provided",
        /// The receiving organisation declined it (with a reason from a fixed list).
        Declined => "declined",
        /// The survivor did not come.
        NoShow => "no_show",
    }
);

closed_list!(
    /// Why a receiving organisation declined a referral (a fixed list: no free text).
    DeclineReason, "decline reason", {
        /// The survivor is outside the service's eligibility (age, sex, …).
        NotEligible => "not_eligible",
        /// No capacity now (beds, appointments, staff).
        NoCapacity => "no_capacity",
        /// The survivor lives outside the area the service covers.
        OutsideArea => "outside_area",
        /// The survivor withdrew.
        SurvivorWithdrew => "survivor_withdrew",
        /// Referred on to another service.
        ReferredElsewhere => "referred_elsewhere",
        /// Another reason.
        Other => "other",
    }
);

impl ReferralStatus {
    /// Whether a referral may move from `self` to `to`: made → accepted, declined or
    /// no-show; accepted → service provided or no-show. The others are final.
    pub fn may_become(self, to: ReferralStatus) -> bool {
        use ReferralStatus::{Accepted, Declined, Made, NoShow, ServiceProvided};
        matches!(
            (self, to),
            (Made, Accepted | Declined | NoShow) | (Accepted, ServiceProvided | NoShow)
        )
    }

    /// Whether nothing follows this status.
    pub fn is_final(self) -> bool {
        !matches!(self, ReferralStatus::Made | ReferralStatus::Accepted)
    }
}

/// Where a record counts: the codes of the admin areas (no coordinates). `region` and
/// `district` are the level-1 and level-2 areas when loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AreaCodes {
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Region (level 1) code, when known.
    pub region: Option<String>,
    /// District (level 2) code, when districts are loaded there.
    pub district: Option<String>,
}

impl AreaCodes {
    /// The finest code: the district, else the region, else the country.
    pub fn finest(&self) -> &str {
        self.district
            .as_deref()
            .or(self.region.as_deref())
            .unwrap_or(&self.country)
    }

    /// Whether every code has the shape the store accepts (ids, not words: 1–64 of
    /// `A-Z a-z 0-9 . _ -`; the country two capitals).
    pub fn valid(&self) -> bool {
        let code = |c: &str| {
            (1..=64).contains(&c.len())
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        };
        self.country.len() == 2
            && self.country.bytes().all(|b| b.is_ascii_uppercase())
            && self.region.as_deref().is_none_or(code)
            && self.district.as_deref().is_none_or(code)
    }
}

/// One referral as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Referral {
    /// Increasing number.
    pub id: i64,
    /// The referring organisation (the caseworker's).
    pub from_organisation: String,
    /// The facility referred to.
    pub to_facility: String,
    /// The organisation that runs it (taken from the facility when the referral was
    /// made): its editors answer the referral.
    pub to_organisation: String,
    /// The sector the survivor was referred for (one of the facility's).
    pub sector: Sector,
    /// The day the referral was made.
    pub made_on: NaiveDate,
    /// Whether the survivor consented to sharing the referral with the receiving
    /// organisation (yes/no, nothing else).
    pub consent_to_share: bool,
    /// Where it stands.
    pub status: ReferralStatus,
    /// Why it was declined (only when `status` is `declined`).
    pub decline_reason: Option<DeclineReason>,
    /// The day it was accepted.
    pub accepted_on: Option<NaiveDate>,
    /// The day it reached a final status (service provided, declined, no show).
    pub closed_on: Option<NaiveDate>,
    /// The receiving facility's areas when the referral was made (where it counts).
    pub area: AreaCodes,
    /// Synthetic demonstration record.
    pub demo: bool,
    /// The account (user name) that recorded it: staff data, never the survivor's. Only
    /// in record-level answers to the referring organisation's own accounts and admins;
    /// null for demo referrals, for those recorded before it was kept, and for anyone
    /// else (the receiving organisation). Never in the figures.
    pub made_by: Option<String>,
}

/// Longest id the referral log accepts for a facility.
pub const MAX_FACILITY_ID: usize = 128;

impl Referral {
    /// Whether a facility id has the shape the store accepts.
    pub fn valid_facility_id(id: &str) -> bool {
        (1..=MAX_FACILITY_ID).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
    }

    /// Moves the referral to `to` on day `on`: legal transitions only, a decline with a
    /// reason and nothing else with one, never before the referral was made (or
    /// accepted). Returns the referral as it becomes.
    pub fn moved(
        &self,
        to: ReferralStatus,
        reason: Option<DeclineReason>,
        on: NaiveDate,
    ) -> Result<Referral, TransitionError> {
        if !self.status.may_become(to) {
            return Err(TransitionError::Illegal {
                from: self.status,
                to,
            });
        }
        match (to, reason) {
            (ReferralStatus::Declined, None) => return Err(TransitionError::ReasonRequired),
            (ReferralStatus::Declined, Some(_)) | (_, None) => {}
            (_, Some(_)) => return Err(TransitionError::ReasonNotAllowed(to)),
        }
        let since = self.accepted_on.unwrap_or(self.made_on);
        if on < since {
            return Err(TransitionError::BeforeEarlier { on, since });
        }
        let mut next = self.clone();
        next.status = to;
        next.decline_reason = reason;
        if to == ReferralStatus::Accepted {
            next.accepted_on = Some(on);
        } else {
            next.closed_on = Some(on);
        }
        Ok(next)
    }
}

/// A status change a referral cannot make.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Not one of the legal transitions.
    #[error("a referral that is {from} cannot become {to}")]
    Illegal {
        /// Where it stands.
        from: ReferralStatus,
        /// Where it was asked to go.
        to: ReferralStatus,
    },
    /// A decline needs a reason.
    #[error(
        "declining a referral needs a reason: not_eligible, no_capacity, outside_area, survivor_withdrew, referred_elsewhere or other"
    )]
    ReasonRequired,
    /// Only a decline takes a reason.
    #[error("only a decline takes a reason, not {0}")]
    ReasonNotAllowed(ReferralStatus),
    /// The day is before the referral was made (or accepted).
    #[error("{on} is before the referral was made or accepted ({since})")]
    BeforeEarlier {
        /// The day given.
        on: NaiveDate,
        /// The earliest day allowed.
        since: NaiveDate,
    },
}

/// What the survivor needed: the same closed vocabularies as the nearest search's
/// filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Needs {
    /// Services that were needed (e.g. `cmr_pep`).
    #[serde(default)]
    pub services: Vec<Service>,
    /// Languages of which the service had to speak one.
    #[serde(default)]
    pub languages: Vec<Language>,
    /// Open 24/7 needed.
    #[serde(default)]
    pub open_24_7: bool,
    /// Female staff needed.
    #[serde(default)]
    pub female_staff: bool,
    /// Child-friendly needed.
    #[serde(default)]
    pub child_friendly: bool,
    /// Wheelchair access needed.
    #[serde(default)]
    pub wheelchair_access: bool,
    /// Free of charge needed.
    #[serde(default)]
    pub free_of_charge: bool,
    /// A service that requires no police report needed.
    #[serde(default)]
    pub no_police_report_required: bool,
}

impl Needs {
    /// The services as a bit mask ([`Service::bit`]).
    pub fn services_mask(&self) -> i64 {
        self.services.iter().fold(0, |m, s| m | i64::from(s.bit()))
    }

    /// The languages as a bit mask ([`Language::bit`]).
    pub fn languages_mask(&self) -> i64 {
        self.languages.iter().fold(0, |m, l| m | i64::from(l.bit()))
    }

    /// The services of a bit mask, in canonical order.
    pub fn services_of(mask: i64) -> Vec<Service> {
        Service::ALL
            .iter()
            .copied()
            .filter(|s| mask & i64::from(s.bit()) != 0)
            .collect()
    }

    /// The languages of a bit mask, in canonical order.
    pub fn languages_of(mask: i64) -> Vec<Language> {
        Language::ALL
            .iter()
            .copied()
            .filter(|l| mask & i64::from(l.bit()) != 0)
            .collect()
    }

    /// The same needs with lists in canonical order and without repeats (what a
    /// round trip through the store gives).
    pub fn canonical(mut self) -> Self {
        self.services = Self::services_of(self.services_mask());
        self.languages = Self::languages_of(self.languages_mask());
        self
    }
}

/// One unmet need as stored: no appropriate service was reachable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UnmetNeed {
    /// Increasing number.
    pub id: i64,
    /// The organisation of the caseworker who recorded it.
    pub organisation: String,
    /// The sector in which no appropriate service was reachable.
    pub sector: Sector,
    /// The needs the search was filtered by.
    pub needs: Needs,
    /// The area (district, else region) where it was needed.
    pub area: AreaCodes,
    /// The day it was recorded.
    pub recorded_on: NaiveDate,
    /// Synthetic demonstration record.
    pub demo: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referral() -> Referral {
        Referral {
            id: 1,
            from_organisation: "a".into(),
            to_facility: "f1".into(),
            to_organisation: "b".into(),
            sector: Sector::Health,
            made_on: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
            consent_to_share: true,
            status: ReferralStatus::Made,
            decline_reason: None,
            accepted_on: None,
            closed_on: None,
            area: AreaCodes {
                country: "KZ".into(),
                region: Some("KZ-YUZ".into()),
                district: None,
            },
            demo: false,
            made_by: Some("caseworker-a".into()),
        }
    }

    #[test]
    fn only_legal_transitions_with_their_reasons_and_days() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let r = referral();
        let accepted = r.moved(ReferralStatus::Accepted, None, day(12)).unwrap();
        assert_eq!(accepted.accepted_on, Some(day(12)));
        let provided = accepted
            .moved(ReferralStatus::ServiceProvided, None, day(12))
            .unwrap();
        assert_eq!(provided.closed_on, Some(day(12)));
        // Final statuses take nothing more; a provided service cannot be declined.
        for to in ReferralStatus::ALL {
            assert!(provided.moved(*to, None, day(20)).is_err());
        }
        assert_eq!(
            r.moved(ReferralStatus::Declined, None, day(11)),
            Err(TransitionError::ReasonRequired)
        );
        assert!(matches!(
            r.moved(
                ReferralStatus::Accepted,
                Some(DeclineReason::Other),
                day(11)
            ),
            Err(TransitionError::ReasonNotAllowed(_))
        ));
        assert!(matches!(
            r.moved(ReferralStatus::Accepted, None, day(9)),
            Err(TransitionError::BeforeEarlier { .. })
        ));
        assert!(matches!(
            accepted.moved(ReferralStatus::NoShow, None, day(11)),
            Err(TransitionError::BeforeEarlier { .. })
        ));
        let declined = r
            .moved(
                ReferralStatus::Declined,
                Some(DeclineReason::NoCapacity),
                day(10),
            )
            .unwrap();
        assert_eq!(declined.decline_reason, Some(DeclineReason::NoCapacity));
        assert!(
            declined
                .moved(ReferralStatus::Accepted, None, day(11))
                .is_err()
        );
        // The whole table: exactly five legal moves.
        let legal = ReferralStatus::ALL
            .iter()
            .flat_map(|a| ReferralStatus::ALL.iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.may_become(**b))
            .count();
        assert_eq!(legal, 5);
    }

    #[test]
    fn needs_round_trip_through_masks_and_codes_are_ids() {
        let needs = Needs {
            services: vec![Service::LegalAid, Service::CmrPep, Service::CmrPep],
            languages: vec![Language::Uz, Language::Ru],
            ..Needs::default()
        };
        let back = Needs::services_of(needs.services_mask());
        assert_eq!(back, vec![Service::CmrPep, Service::LegalAid]);
        assert_eq!(
            Needs::languages_of(needs.languages_mask()),
            vec![Language::Ru, Language::Uz]
        );
        let mut area = referral().area;
        assert!(area.valid());
        area.district = Some("Aigerim Bekova".into());
        assert!(!area.valid(), "a space is not in a code");
        assert!(!Referral::valid_facility_id("born 1990/05/01"));
        assert!(Referral::valid_facility_id("demo-kz-health-001"));
        for s in ReferralStatus::ALL {
            assert_eq!(s.as_str().parse::<ReferralStatus>().unwrap(), *s);
        }
        assert!("maybe".parse::<DeclineReason>().is_err());
    }
}
