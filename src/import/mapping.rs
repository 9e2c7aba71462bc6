//! A mapping file: how a service-mapping sheet's own headers and values translate to
//! Tirek's record fields, for sheets that were not written by `tirek export`. TOML:
//!
//! ```toml
//! [columns]
//! "Name of service" = "name"
//! "Населённый пункт" = "settlement"
//! "Comments" = "ignore"
//!
//! [values.sectors]
//! "Health" = "health"
//! "Здравоохранение" = "health"
//! ```
//!
//! A column may map to any record field of the CSV import (see
//! [`super::csv_facilities::COLUMNS`]), to `settlement` (placing a row without
//! coordinates), to `geopoint` (a KoboToolbox "lat lon alt precision" cell), or to
//! `ignore`. Values are replaced before they are read: a whole cell, or each item of a
//! list field (`sectors`, `services`, `languages`); exactly, else ignoring case. The
//! same mapping serves CSV, KoboToolbox exports and spreadsheets.

use super::csv_facilities::COLUMNS;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Why a mapping file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// Not TOML of the expected shape.
    #[error("the mapping is not valid TOML of the expected shape: {0}")]
    Syntax(String),
    /// A column mapped to no field Tirek knows.
    #[error(
        "[columns] {header:?} = {target:?}: {target:?} is not a record field; expected one of {expected}"
    )]
    UnknownTarget {
        /// The sheet's header.
        header: String,
        /// The field named.
        target: String,
        /// The fields accepted.
        expected: String,
    },
    /// A value map for no field Tirek knows.
    #[error("[values.{0}]: {0:?} is not a record field")]
    UnknownValuesField(String),
}

/// What a column holds beside the record's own fields.
pub const EXTRA_TARGETS: &[&str] = &["settlement", "geopoint", "ignore"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
}

/// A parsed mapping file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// Header → target (a [`COLUMNS`] field or one of [`EXTRA_TARGETS`]).
    columns: Vec<(String, &'static str)>,
    /// Field → (value as written → value Tirek reads).
    values: BTreeMap<&'static str, Vec<(String, String)>>,
}

/// The `&'static` name of a known target.
fn target(name: &str) -> Option<&'static str> {
    COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .chain(EXTRA_TARGETS.iter().copied())
        .find(|c| *c == name)
}

impl Mapping {
    /// Reads a mapping file's text.
    pub fn from_toml(text: &str) -> Result<Self, MappingError> {
        let file: File = toml::from_str(text).map_err(|e| MappingError::Syntax(e.to_string()))?;
        let mut columns = Vec::new();
        for (header, name) in file.columns {
            let Some(t) = target(name.trim()) else {
                return Err(MappingError::UnknownTarget {
                    header,
                    target: name,
                    expected: COLUMNS
                        .iter()
                        .map(|(c, _)| *c)
                        .chain(EXTRA_TARGETS.iter().copied())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            columns.push((header.trim().to_string(), t));
        }
        let mut values = BTreeMap::new();
        for (field, map) in file.values {
            let Some(t) = target(field.trim()).filter(|t| !["geopoint", "ignore"].contains(t))
            else {
                return Err(MappingError::UnknownValuesField(field));
            };
            values.insert(
                t,
                map.into_iter()
                    .map(|(from, to)| (from.trim().to_string(), to))
                    .collect(),
            );
        }
        Ok(Self { columns, values })
    }

    /// The target of the column headed `header` (exactly, else ignoring case).
    pub fn column(&self, header: &str) -> Option<&'static str> {
        let header = header.trim();
        self.columns
            .iter()
            .find(|(h, _)| h == header)
            .or_else(|| {
                self.columns
                    .iter()
                    .find(|(h, _)| h.to_lowercase() == header.to_lowercase())
            })
            .map(|(_, t)| *t)
    }

    /// `value` of `field` as mapped (itself when the mapping has nothing for it).
    pub fn value<'a>(&'a self, field: &str, value: &'a str) -> &'a str {
        let Some(map) = self.values.get(field) else {
            return value;
        };
        let value = value.trim();
        map.iter()
            .find(|(from, _)| from == value)
            .or_else(|| {
                map.iter()
                    .find(|(from, _)| from.to_lowercase() == value.to_lowercase())
            })
            .map_or(value, |(_, to)| to.as_str())
    }

    /// Whether values of `field` are mapped.
    pub fn maps_values(&self, field: &str) -> bool {
        self.values.contains_key(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_and_values() {
        let m = Mapping::from_toml(
            r#"
[columns]
"Name of service" = "name"
"Населённый пункт" = "settlement"
"Notes" = "ignore"

[values.sectors]
"Health" = "health"
"Здравоохранение" = "health"
"#,
        )
        .unwrap();
        assert_eq!(m.column("Name of service"), Some("name"));
        assert_eq!(m.column(" name of SERVICE "), Some("name"));
        assert_eq!(m.column("Населённый пункт"), Some("settlement"));
        assert_eq!(m.column("Notes"), Some("ignore"));
        assert_eq!(m.column("Other"), None);
        assert_eq!(m.value("sectors", "health"), "health");
        assert_eq!(m.value("sectors", "HEALTH"), "health");
        assert_eq!(m.value("sectors", "здравоохранение"), "health");
        assert_eq!(m.value("sectors", "police"), "police");
        assert_eq!(m.value("name", "Health"), "Health");
    }

    #[test]
    fn an_unknown_field_is_named() {
        let e = Mapping::from_toml("[columns]\n\"Name\" = \"nmae\"\n").unwrap_err();
        assert!(matches!(&e, MappingError::UnknownTarget { target, .. } if target == "nmae"));
        assert!(
            e.to_string().contains("\"nmae\" is not a record field"),
            "{e}"
        );
        let e = Mapping::from_toml("[values.sector]\n\"Health\" = \"health\"\n").unwrap_err();
        assert_eq!(e, MappingError::UnknownValuesField("sector".into()));
        let e = Mapping::from_toml("[colums]\n").unwrap_err();
        assert!(matches!(e, MappingError::Syntax(_)), "{e}");
    }
}
