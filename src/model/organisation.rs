//! Organisations: the agencies that run facilities (a health department, a police
//! directorate, an NGO), as records with names in several languages. A facility names
//! its organisation by id (`organisation_id`); agency editors belong to one and keep its
//! facilities. No I/O here.

use super::{FieldError, Language, Sector};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An agency of the response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Stable id, a slug: 1–64 of `a-z 0-9 - _ .`.
    pub id: String,
    /// Names by language: `en` and `ru` are required, the others (`kk`, `ky`, `tg`,
    /// `tk`, `uz`, `kaa`) optional.
    pub names: BTreeMap<Language, String>,
    /// The sectors it works in (one or more).
    pub sectors: Vec<Sector>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// How to reach its coordination focal point (phone or e-mail of the office).
    #[serde(default)]
    pub contact: Option<String>,
    /// Its web site (`http://` or `https://`).
    #[serde(default)]
    pub website: Option<String>,
    /// Set by a coordinator: its editors' writes publish at once (reviewed after the
    /// fact) instead of waiting for approval.
    #[serde(default)]
    pub trusted: bool,
    /// Synthetic demonstration record.
    #[serde(default)]
    pub demo: bool,
    /// When first stored.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub created_at: Option<DateTime<Utc>>,
    /// When last changed.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Organisation {
    /// Whether `id` is a valid organisation id.
    pub fn valid_id(id: &str) -> bool {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
    }

    /// The name to show in `language`, else English.
    pub fn name(&self, language: Language) -> &str {
        self.names
            .get(&language)
            .or_else(|| self.names.get(&Language::En))
            .map_or(self.id.as_str(), String::as_str)
    }

    /// Checks the record's values. Empty when valid.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: String| errors.push(FieldError::new(field, message));
        if !Self::valid_id(&self.id) {
            fail(
                "id",
                format!(
                    "{:?} is not an organisation id: use 1–64 of a-z, 0-9, '-', '_', '.'",
                    self.id
                ),
            );
        }
        for required in [Language::En, Language::Ru] {
            if self
                .names
                .get(&required)
                .is_none_or(|n| n.trim().is_empty())
            {
                fail(
                    &format!("names.{required}"),
                    "required (names in en and ru at least)".into(),
                );
            }
        }
        for (language, name) in &self.names {
            if name.chars().count() > 300 {
                fail(
                    &format!("names.{language}"),
                    "longer than 300 characters".into(),
                );
            }
        }
        if self.sectors.is_empty() {
            fail("sectors", "at least one sector is required".into());
        }
        if self.country.len() != 2 || !self.country.chars().all(|c| c.is_ascii_uppercase()) {
            fail(
                "country",
                format!(
                    "{:?} is not an ISO 3166-1 alpha-2 code such as \"KZ\"",
                    self.country
                ),
            );
        }
        if self
            .contact
            .as_ref()
            .is_some_and(|c| c.chars().count() > 300)
        {
            fail("contact", "longer than 300 characters".into());
        }
        if let Some(site) = &self.website {
            let lower = site.to_ascii_lowercase();
            let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
                && site.len() <= 500
                && !site.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                fail(
                    "website",
                    format!("{site:?} is not an http(s) address without spaces"),
                );
            }
        }
        errors
    }

    /// Equal in everything but the bookkeeping timestamps.
    pub fn same_record(&self, other: &Organisation) -> bool {
        let strip = |o: &Organisation| Organisation {
            created_at: None,
            updated_at: None,
            ..o.clone()
        };
        strip(self) == strip(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Organisation {
        Organisation {
            id: "kz-crisis-union".into(),
            names: [
                (Language::En, "Union of crisis centres".to_string()),
                (Language::Ru, "Союз кризисных центров".to_string()),
            ]
            .into(),
            sectors: vec![Sector::Psychosocial, Sector::Shelter],
            country: "KZ".into(),
            contact: Some("+7 727 000 00 00".into()),
            website: Some("https://example.org".into()),
            trusted: false,
            demo: false,
            created_at: None,
            updated_at: None,
        }
    }

    #[test]
    fn a_complete_record_is_valid() {
        assert_eq!(org().validate(), vec![]);
        assert_eq!(org().name(Language::Kk), "Union of crisis centres");
        assert_eq!(org().name(Language::Ru), "Союз кризисных центров");
    }

    #[test]
    fn each_fault_names_its_field() {
        let mut o = org();
        o.id = "Bad Id".into();
        o.names.remove(&Language::Ru);
        o.sectors.clear();
        o.country = "kaz".into();
        o.website = Some("javascript:alert(1)".into());
        let fields: Vec<String> = o.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["id", "names.ru", "sectors", "country", "website"].map(String::from)
        );
    }
}
