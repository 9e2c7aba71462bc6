//! Verification campaigns: which of an organisation's records are due for
//! verification (the verification-age rule), and how fresh the registry is per
//! organisation, sector and region. Pure: facilities in, counts out.

use crate::model::{Facility, Organisation};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// The group a record without an organisation or region is counted in.
pub const NONE: &str = "(none)";

/// Freshness of one group of records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FreshnessRow {
    /// The organisation id, sector or region code (`(none)` for records without one).
    pub group: String,
    /// Records in the group.
    pub facilities: usize,
    /// Of those, past their verification age (or never verified).
    pub overdue: usize,
    /// The latest verification date in the group.
    pub last_verified: Option<NaiveDate>,
}

/// Freshness per organisation, sector and region (first-level area).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Freshness {
    /// The day the rule was applied on.
    pub today: NaiveDate,
    /// Records not verified for longer than this are overdue.
    pub verification_max_age_days: u32,
    /// Per organisation id, by id.
    pub organisations: Vec<FreshnessRow>,
    /// Per sector (a record with several sectors counts in each).
    pub sectors: Vec<FreshnessRow>,
    /// Per region (`adm1`), by code.
    pub regions: Vec<FreshnessRow>,
}

/// Counts `facilities` per organisation, sector and region on `today`.
pub fn freshness<'a>(
    facilities: impl IntoIterator<Item = &'a Facility>,
    today: NaiveDate,
    max_age_days: u32,
) -> Freshness {
    let mut groups: [BTreeMap<String, FreshnessRow>; 3] = Default::default();
    for f in facilities {
        let overdue = f.verification_overdue(today, max_age_days);
        let count = |table: &mut BTreeMap<String, FreshnessRow>, key: &str| {
            let row = table
                .entry(key.to_string())
                .or_insert_with(|| FreshnessRow {
                    group: key.to_string(),
                    facilities: 0,
                    overdue: 0,
                    last_verified: None,
                });
            row.facilities += 1;
            row.overdue += usize::from(overdue);
            row.last_verified = row.last_verified.max(f.verified_at);
        };
        count(&mut groups[0], f.organisation_id.as_deref().unwrap_or(NONE));
        for s in &f.sectors {
            count(&mut groups[1], s.as_str());
        }
        count(&mut groups[2], f.adm1.as_deref().unwrap_or(NONE));
    }
    let [organisations, sectors, regions] = groups.map(|g| g.into_values().collect());
    Freshness {
        today,
        verification_max_age_days: max_age_days,
        organisations,
        sectors,
        regions,
    }
}

/// The overdue records as CSV, oldest verification first: the list a coordinator
/// chases, with each record's organisation and its contact.
pub fn chase_list_csv(
    facilities: &[Facility],
    organisations: &[Organisation],
    today: NaiveDate,
    max_age_days: u32,
) -> String {
    let by_id: BTreeMap<&str, &Organisation> =
        organisations.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut overdue: Vec<&Facility> = facilities
        .iter()
        .filter(|f| f.verification_overdue(today, max_age_days))
        .collect();
    // Never verified first, then the oldest.
    overdue.sort_by(|a, b| a.verified_at.cmp(&b.verified_at).then(a.id.cmp(&b.id)));
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record([
        "facility_id",
        "name",
        "organisation_id",
        "organisation",
        "contact",
        "sectors",
        "country",
        "adm1",
        "verified_at",
        "days_since_verified",
    ]);
    for f in overdue {
        let org = f.organisation_id.as_deref().and_then(|id| by_id.get(id));
        let sectors: Vec<&str> = f.sectors.iter().map(|s| s.as_str()).collect();
        let _ = w.write_record([
            f.id.as_str(),
            f.name.as_str(),
            f.organisation_id.as_deref().unwrap_or(""),
            org.map_or("", |o| o.name(crate::model::Language::En)),
            org.and_then(|o| o.contact.as_deref()).unwrap_or(""),
            &sectors.join(","),
            f.country.as_str(),
            f.adm1.as_deref().unwrap_or(""),
            &f.verified_at.map(|d| d.to_string()).unwrap_or_default(),
            &f.verified_at
                .map(|d| (today - d).num_days().to_string())
                .unwrap_or_default(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facility(
        id: &str,
        org: Option<&str>,
        sectors: &[&str],
        adm1: Option<&str>,
        verified: Option<&str>,
    ) -> Facility {
        let feature = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [69.6, 42.3]},
            "properties": {"id": id, "name": id, "sectors": sectors, "country": "KZ", "organisation_id": org,
                           "adm1": adm1, "verified_at": verified}});
        Facility::from_feature(&feature).unwrap()
    }

    #[test]
    fn counts_per_group_against_a_hand_count() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        // 183 days before 2026-12-06 is 2026-06-06: that day is still fresh, the day
        // before is overdue; never verified is overdue.
        let all = [
            facility(
                "a",
                Some("o1"),
                &["health"],
                Some("KZ-1"),
                Some("2026-06-06"),
            ),
            facility(
                "b",
                Some("o1"),
                &["health", "psychosocial"],
                Some("KZ-1"),
                Some("2026-06-05"),
            ),
            facility("c", Some("o2"), &["police"], None, None),
            facility("d", None, &["health"], Some("KZ-2"), Some("2026-11-30")),
        ];
        let f = freshness(&all, today, 183);
        let row = |rows: &[FreshnessRow], g: &str| {
            let r = rows.iter().find(|r| r.group == g).unwrap();
            (
                r.facilities,
                r.overdue,
                r.last_verified.map(|d| d.to_string()),
            )
        };
        assert_eq!(
            row(&f.organisations, "o1"),
            (2, 1, Some("2026-06-06".into()))
        );
        assert_eq!(row(&f.organisations, "o2"), (1, 1, None));
        assert_eq!(
            row(&f.organisations, NONE),
            (1, 0, Some("2026-11-30".into()))
        );
        assert_eq!(row(&f.sectors, "health"), (3, 1, Some("2026-11-30".into())));
        assert_eq!(
            row(&f.sectors, "psychosocial"),
            (1, 1, Some("2026-06-05".into()))
        );
        assert_eq!(row(&f.regions, "KZ-1"), (2, 1, Some("2026-06-06".into())));
        assert_eq!(row(&f.regions, NONE), (1, 1, None));
        let csv = chase_list_csv(&all, &[], today, 183);
        let ids: Vec<&str> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(ids, ["c", "b"], "never verified first, then the oldest");
        assert!(csv.lines().nth(2).unwrap().ends_with(",2026-06-05,184"));
    }
}
