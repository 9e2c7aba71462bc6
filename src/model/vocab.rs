//! Closed vocabularies: sectors of the multi-sectoral response, services offered,
//! record status, location precision and the languages a service may be offered in.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value outside a closed vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}; expected one of {expected}")]
pub struct VocabError {
    /// What kind of value was expected ("sector", "service", ...).
    pub kind: &'static str,
    /// The value given.
    pub value: String,
    /// The accepted values, comma separated.
    pub expected: String,
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $(#[doc = $text] $variant),+ }

        impl $name {
            /// Every value, in canonical order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as written in records, URLs and files.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Position in [`Self::ALL`].
            pub fn index(self) -> usize {
                self as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = VocabError;
            fn from_str(s: &str) -> Result<Self, VocabError> {
                match s.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err(VocabError {
                        kind: $kind,
                        value: other.to_string(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }
    };
}

vocabulary!(
    /// A sector of the multi-sectoral GBV response.
    Sector, "sector", {
        Health => "health",
        Psychosocial => "psychosocial",
        Police => "police",
        Shelter => "shelter",
        Legal => "legal",
        Hotline => "hotline",
        PerpetratorProgramme => "perpetrator_programme",
    }
);

vocabulary!(
    /// A service a facility offers.
    Service, "service", {
        CmrPep => "cmr_pep",
        EmergencyContraception => "emergency_contraception",
        ForensicExam => "forensic_exam",
        Counselling => "counselling",
        CaseManagement => "case_management",
        EmergencyShelter => "emergency_shelter",
        LegalAid => "legal_aid",
        Hotline => "hotline",
        CourtOrderedProgramme => "court_ordered_programme",
        VoluntaryProgramme => "voluntary_programme",
    }
);

vocabulary!(
    /// Whether a facility currently takes survivors.
    Status, "status", {
        Active => "active",
        TemporarilyClosed => "temporarily_closed",
        Closed => "closed",
    }
);

vocabulary!(
    /// How exactly a facility's point is known: `exact` (surveyed or given as
    /// coordinates) or `settlement` (placed at the centre of the settlement it is in,
    /// from a sheet without coordinates: shown as "approximate: town centre").
    LocationPrecision, "location precision", {
        Exact => "exact",
        Settlement => "settlement",
    }
);

impl Default for LocationPrecision {
    /// Absent means exact: every record written before the field existed had
    /// coordinates of its own.
    fn default() -> Self {
        LocationPrecision::Exact
    }
}

vocabulary!(
    /// A language a service is offered in (ISO 639 codes).
    Language, "language", {
        Ru => "ru",
        Kk => "kk",
        Ky => "ky",
        Tg => "tg",
        Tk => "tk",
        Uz => "uz",
        Kaa => "kaa",
        En => "en",
    }
);

impl Sector {
    /// How many sectors there are: the length of per-sector tables.
    pub const COUNT: usize = Sector::ALL.len();

    /// The default "minimum package" of the multi-sectoral response. Programmes for
    /// perpetrators are not part of it: they serve the person who used violence, not
    /// the survivor.
    pub const MINIMUM_PACKAGE: [Sector; 4] = [
        Sector::Health,
        Sector::Psychosocial,
        Sector::Police,
        Sector::Shelter,
    ];

    /// Whether records of this sector are confidential unless marked otherwise.
    pub fn confidential_by_default(self) -> bool {
        self == Sector::Shelter
    }

    /// Whether a nearest answer includes this sector only when the caller names it:
    /// programmes for perpetrators must never appear among the services a caseworker
    /// is offered for a survivor by default (a survivor could be sent to where the
    /// person who hurt her goes).
    pub fn only_when_asked(self) -> bool {
        self == Sector::PerpetratorProgramme
    }

    /// The sectors a nearest answer covers when the caller names none: every sector
    /// but those given [`Sector::only_when_asked`], in canonical order.
    pub fn nearest_default() -> Vec<Sector> {
        Sector::ALL
            .iter()
            .copied()
            .filter(|s| !s.only_when_asked())
            .collect()
    }
}

impl Service {
    /// Bit for this service in a [`u16`] service mask.
    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl Language {
    /// Bit for this language in a [`u16`] language mask.
    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Parses a comma-separated list of vocabulary values ("health,police").
pub fn parse_list<T: FromStr<Err = VocabError>>(text: &str) -> Result<Vec<T>, VocabError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(T::from_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_value() {
        for s in Sector::ALL {
            assert_eq!(s.as_str().parse::<Sector>().unwrap(), *s);
        }
        for s in Service::ALL {
            assert_eq!(s.as_str().parse::<Service>().unwrap(), *s);
        }
        assert_eq!(Sector::ALL[Sector::Police.index()], Sector::Police);
        // Masks: sectors in a u8, services and languages in a u16.
        assert!(Sector::COUNT <= 8 && Service::ALL.len() <= 16 && Language::ALL.len() <= 16);
    }

    #[test]
    fn programmes_for_perpetrators_only_when_asked_and_not_in_the_package() {
        let default = Sector::nearest_default();
        assert_eq!(default.len(), Sector::COUNT - 1);
        assert!(!default.contains(&Sector::PerpetratorProgramme));
        assert!(!Sector::MINIMUM_PACKAGE.contains(&Sector::PerpetratorProgramme));
        assert_eq!(
            "perpetrator_programme".parse::<Sector>().unwrap(),
            Sector::PerpetratorProgramme
        );
    }

    #[test]
    fn unknown_value_names_the_choices() {
        let err = "helth".parse::<Sector>().unwrap_err();
        assert_eq!(err.value, "helth");
        assert!(err.to_string().contains("health, psychosocial"));
        assert_eq!(parse_list::<Sector>("health, police").unwrap().len(), 2);
    }
}
