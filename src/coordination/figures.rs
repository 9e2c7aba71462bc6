//! Coordination figures from the referral and unmet-needs logs: per area and month of a
//! year, referrals made per pathway (sector × the referring organisation's type → the
//! receiving organisation), how many were accepted, the acceptance rate, the median
//! days to acceptance, declines by reason and unmet needs per sector; per country,
//! referrals and unmet needs per 100,000 people.
//!
//! Coordinators (planners, admins) get the figures as counted, at any level. Everyone
//! else gets the **public** figures: region level and above, referrals to confidential
//! facilities left out (no figure can be one shelter's), and every count from 1 to 4
//! shown as "< 5". So that no hidden count can be worked out from the ones shown
//! ("secondary suppression"), the counts form a table of sums — per area and month the
//! categories add up to a total, the months to the year, the regions to the country —
//! and in every sum with a shown total no count is the only one hidden: where one
//! would be, the smallest other is hidden too (or the total, when there is no other).
//! The public table is always computed whole, for all regions and countries of the
//! year, and an answer only selects from it: asking for one region, or another level,
//! cannot hide a different set of counts and so undo the protection. Rates and medians
//! of hidden counts are withheld.
//!
//! A referral counts in the month it was made, in the receiving facility's area; an
//! unmet need in its month and area. No I/O here.

use crate::model::{
    Area, DeclineReason, Organisation, Referral, ReferralStatus, Sector, UnmetNeed,
};
use chrono::Datelike;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Counts below this (and above 0) are hidden from the public.
pub const SUPPRESS_BELOW: u64 = 5;

/// Who the figures are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// Anyone below a planner (the public, donors, caseworkers, editors): region level
    /// and above, small counts suppressed, confidential facilities left out.
    Public,
    /// Planners and admins: every level, counts as they are.
    Planner,
}

/// A count, or the fact that it is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SuppressedCount {
    /// The count; null when suppressed.
    pub count: Option<u64>,
    /// True when the count is hidden (from 1 to 4, or hidden so that no small count
    /// can be worked out from the others); shown as "< 5".
    pub suppressed: bool,
}

impl SuppressedCount {
    fn shown(n: u64) -> Self {
        Self {
            count: Some(n),
            suppressed: false,
        }
    }

    const HIDDEN: Self = Self {
        count: None,
        suppressed: true,
    };

    /// The text a table shows: the number, or "< 5".
    pub fn text(&self) -> String {
        self.count
            .map_or_else(|| format!("< {SUPPRESS_BELOW}"), |n| n.to_string())
    }
}

/// What the figures are asked for.
#[derive(Debug, Clone)]
pub struct Query {
    /// The calendar year.
    pub year: i32,
    /// 0 country, 1 region, 2 district (the finest loaded area: a place without
    /// districts counts in its region).
    pub level: u8,
    /// Only this area and the areas in it.
    pub area: Option<String>,
    /// Whose figures.
    pub audience: Audience,
}

/// What the figures are computed from.
pub struct Inputs<'a> {
    /// Every referral.
    pub referrals: &'a [Referral],
    /// Every unmet need.
    pub unmet_needs: &'a [UnmetNeed],
    /// Every organisation (the referring one's type is its first sector).
    pub organisations: &'a [Organisation],
    /// The admin areas (names).
    pub areas: &'a [Area],
    /// People per country (ISO code).
    pub population: &'a BTreeMap<String, f64>,
    /// Whether a facility is confidential (or unknown: treated as confidential).
    pub confidential: &'a dyn Fn(&str) -> bool,
}

/// Referrals of one pathway.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PathwayFigures {
    /// The sector referred for.
    pub sector: Sector,
    /// The referring organisation's type: its first sector (null when unknown).
    pub from_type: Option<Sector>,
    /// The receiving organisation's id (names: `GET /api/organisations`).
    pub to_organisation: String,
    /// Referrals made.
    pub made: SuppressedCount,
    /// Of those, accepted (by now).
    pub accepted: SuppressedCount,
}

/// Declines for one reason.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeclineCount {
    /// The reason.
    pub reason: DeclineReason,
    /// Referrals declined for it.
    pub count: SuppressedCount,
}

/// Unmet needs of one sector.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnmetSectorCount {
    /// The sector.
    pub sector: Sector,
    /// Unmet needs recorded.
    pub count: SuppressedCount,
}

/// The figures of one area for one month, or for the year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodFigures {
    /// `YYYY-MM`; null for the whole year.
    pub month: Option<String>,
    /// Referrals made (to facilities in the area).
    pub referrals_made: SuppressedCount,
    /// Of those, accepted (by now: accepted, then perhaps provided or a no-show).
    pub referrals_accepted: SuppressedCount,
    /// accepted / made, 0–1; null when either is hidden or none were made.
    pub acceptance_rate: Option<f64>,
    /// Median days from referral to acceptance; null when none were accepted or the
    /// count accepted is hidden.
    pub median_days_to_acceptance: Option<f64>,
    /// Referrals declined.
    pub declined: SuppressedCount,
    /// Declines by reason (every reason, zeros included).
    pub declines: Vec<DeclineCount>,
    /// Referrals by pathway (only pathways with referrals).
    pub pathways: Vec<PathwayFigures>,
    /// Unmet needs recorded.
    pub unmet_needs: SuppressedCount,
    /// Unmet needs by sector (every sector, zeros included).
    pub unmet_by_sector: Vec<UnmetSectorCount>,
}

/// The figures of one area.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoordinationArea {
    /// The area's code (`<country>-unassigned` for records in no region).
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its level: 0 country, 1 region, 2 district.
    pub level: u8,
    /// Its country.
    pub country: String,
    /// Its region (for districts).
    pub region: Option<String>,
    /// The months with any record, in order (months left out are all zero).
    pub months: Vec<PeriodFigures>,
    /// The whole year.
    pub total: PeriodFigures,
}

/// One country's figures for the year, side by side with the others.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CountryFigures {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Its name.
    pub name: String,
    /// People (from the loaded settlements or population).
    pub population: f64,
    /// Referrals made.
    pub referrals_made: SuppressedCount,
    /// Referrals accepted.
    pub referrals_accepted: SuppressedCount,
    /// accepted / made; null when either is hidden or none were made.
    pub acceptance_rate: Option<f64>,
    /// Unmet needs recorded.
    pub unmet_needs: SuppressedCount,
    /// Unmet needs per 100,000 people; null when hidden or the population is unknown.
    pub unmet_needs_per_100k: Option<f64>,
}

/// The coordination figures of a year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoordinationFigures {
    /// The calendar year.
    pub year: i32,
    /// Every year with any record, oldest first (for a year picker).
    pub years: Vec<i32>,
    /// The level of the areas listed.
    pub level: u8,
    /// Whose figures: `public` (suppressed) or `planner`.
    pub audience: Audience,
    /// Counts from 1 to this minus 1 are hidden ("< 5"); null for planners.
    pub suppressed_below: Option<u64>,
    /// The areas with any record, by code.
    pub areas: Vec<CoordinationArea>,
    /// Every country, side by side.
    pub countries: Vec<CountryFigures>,
    /// Whether any record counted is a synthetic demo record.
    pub demo: bool,
    /// What the reader must know (suppression, what is left out).
    pub notes: Vec<FiguresNote>,
}

/// What a note on the figures says, as a stable code (a client shows it in the reader's
/// language: the web app's `coord.note.<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoteCode {
    /// Counts from 1 to `suppressed_below − 1` are hidden, with others where needed so
    /// that none can be worked out; rates and medians of hidden counts are withheld.
    SmallCountsSuppressed,
    /// Referrals to confidential services (shelters) are not counted.
    ConfidentialReferralsLeftOut,
}

impl NoteCode {
    /// The note in English (for command-line and CSV readers).
    pub fn english(self) -> String {
        match self {
            NoteCode::SmallCountsSuppressed => format!(
                "Counts from 1 to {} are shown as \"< {SUPPRESS_BELOW}\", and some larger ones are withheld too, so that none can be worked out from the totals; rates and medians of withheld counts are withheld.",
                SUPPRESS_BELOW - 1
            ),
            NoteCode::ConfidentialReferralsLeftOut => {
                "Referrals to confidential services (shelters) are not counted in these figures."
                    .into()
            }
        }
    }
}

/// A note on the figures: its code and its English text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FiguresNote {
    /// Stable code: `small_counts_suppressed` or `confidential_referrals_left_out`.
    pub code: NoteCode,
    /// The note in English.
    pub text: String,
}

impl From<NoteCode> for FiguresNote {
    fn from(code: NoteCode) -> Self {
        Self {
            code,
            text: code.english(),
        }
    }
}

/// What a count is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Family {
    Made,
    Accepted,
    Declined,
    Unmet,
}

/// A breakdown of a family.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Category {
    Pathway(Sector, Option<Sector>, String),
    Reason(DeclineReason),
    Sector(Sector),
}

/// One cell of the table: a family's count in an area (index into the rows), a month
/// (`None`: the year) and a category (`None`: all).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key {
    family: Family,
    area: usize,
    month: Option<u32>,
    category: Option<Category>,
}

/// An area row of the table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Row {
    level: u8,
    code: String,
    country: String,
    region: Option<String>,
}

/// The counts with the sums that tie them together.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Row>,
    row_index: HashMap<Row, usize>,
    /// Per row, the row it adds up into (a region's country).
    parent: Vec<Option<usize>>,
    counts: BTreeMap<Key, u64>,
}

/// A sum: the cell `total` is the sum of the cells `parts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    /// The total's position.
    pub total: usize,
    /// The parts' positions.
    pub parts: Vec<usize>,
}

impl Table {
    fn row(&mut self, row: Row, parent: Option<usize>) -> usize {
        if let Some(&i) = self.row_index.get(&row) {
            return i;
        }
        let i = self.rows.len();
        self.rows.push(row.clone());
        self.row_index.insert(row, i);
        self.parent.push(parent);
        i
    }

    /// Counts one record in `chain` (its row, then the rows it adds up into), month
    /// and category, and every margin.
    fn add(&mut self, family: Family, chain: &[usize], month: u32, category: Category) {
        for &area in chain {
            for month in [Some(month), None] {
                for category in [Some(category.clone()), None] {
                    *self
                        .counts
                        .entry(Key {
                            family,
                            area,
                            month,
                            category,
                        })
                        .or_default() += 1;
                }
            }
        }
    }

    /// The cells' values and every sum among them (positions in key order).
    fn sums(&self) -> (Vec<u64>, Vec<Sum>) {
        let position: HashMap<&Key, usize> = self
            .counts
            .keys()
            .enumerate()
            .map(|(i, k)| (k, i))
            .collect();
        let mut sums: BTreeMap<(usize, u8), Vec<usize>> = BTreeMap::new();
        for (i, key) in self.counts.keys().enumerate() {
            let mut parents = Vec::with_capacity(3);
            if key.category.is_some() {
                parents.push((
                    Key {
                        category: None,
                        ..key.clone()
                    },
                    0,
                ));
            }
            if key.month.is_some() {
                parents.push((
                    Key {
                        month: None,
                        ..key.clone()
                    },
                    1,
                ));
            }
            if let Some(up) = self.parent[key.area] {
                parents.push((
                    Key {
                        area: up,
                        ..key.clone()
                    },
                    2,
                ));
            }
            for (parent, dimension) in parents {
                let total = position[&parent];
                sums.entry((total, dimension)).or_default().push(i);
            }
        }
        let values = self.counts.values().copied().collect();
        let sums = sums
            .into_iter()
            .map(|((total, _), parts)| Sum { total, parts })
            .collect();
        (values, sums)
    }
}

/// Which cells to hide: every count from 1 to `below − 1`, then, until no sum has
/// exactly one unknown (a hidden total or part while all its other members are shown),
/// the smallest shown part of such a sum (or its total, when every part is hidden).
/// Deterministic: ties go to the first cell.
pub fn suppress(values: &[u64], sums: &[Sum], below: u64) -> Vec<bool> {
    let mut hidden: Vec<bool> = values.iter().map(|&v| v > 0 && v < below).collect();
    loop {
        let mut changed = false;
        for sum in sums {
            let hidden_parts = sum.parts.iter().filter(|&&p| hidden[p]).count();
            let unknowns = hidden_parts + usize::from(hidden[sum.total]);
            if unknowns != 1 {
                continue;
            }
            let smallest = sum
                .parts
                .iter()
                .copied()
                .filter(|&p| !hidden[p])
                .min_by_key(|&p| (values[p] == 0, values[p], p));
            match smallest {
                Some(p) => hidden[p] = true,
                None => hidden[sum.total] = true,
            }
            changed = true;
        }
        if !changed {
            return hidden;
        }
    }
}

/// The month (1–12) of `day` when it falls in `year`.
fn month_in(day: chrono::NaiveDate, year: i32) -> Option<u32> {
    (day.year() == year).then(|| day.month())
}

/// The code of the row of records in a country but in no known region.
fn unassigned(country: &str) -> String {
    format!("{country}-unassigned")
}

/// Per row and month (`None`: the year), the days each accepted referral waited.
type Waits = BTreeMap<(usize, Option<u32>), Vec<i64>>;

/// Builds the table of a year: rows at `level` (the finest loaded area up to it) and
/// their countries. `public` leaves out referrals to confidential facilities.
fn table(inputs: &Inputs<'_>, year: i32, level: u8, public: bool) -> (Table, Waits) {
    let mut t = Table::default();
    let from_type: HashMap<&str, Option<Sector>> = inputs
        .organisations
        .iter()
        .map(|o| (o.id.as_str(), o.sectors.first().copied()))
        .collect();
    let chain = |t: &mut Table, area: &crate::model::AreaCodes| -> Vec<usize> {
        let country = t.row(
            Row {
                level: 0,
                code: area.country.clone(),
                country: area.country.clone(),
                region: None,
            },
            None,
        );
        if level == 0 {
            return vec![country];
        }
        let region_code = area
            .region
            .clone()
            .unwrap_or_else(|| unassigned(&area.country));
        let row = match (&area.district, level) {
            (Some(district), 2..) => Row {
                level: 2,
                code: district.clone(),
                country: area.country.clone(),
                region: Some(region_code),
            },
            _ => Row {
                level: 1,
                code: region_code,
                country: area.country.clone(),
                region: None,
            },
        };
        vec![t.row(row, Some(country)), country]
    };
    let mut days = Waits::new();
    for r in inputs.referrals {
        let Some(month) = month_in(r.made_on, year) else {
            continue;
        };
        if public && (inputs.confidential)(&r.to_facility) {
            continue;
        }
        let rows = chain(&mut t, &r.area);
        let pathway = Category::Pathway(
            r.sector,
            from_type
                .get(r.from_organisation.as_str())
                .copied()
                .flatten(),
            r.to_organisation.clone(),
        );
        t.add(Family::Made, &rows, month, pathway.clone());
        if let Some(accepted) = r.accepted_on {
            t.add(Family::Accepted, &rows, month, pathway);
            let waited = (accepted - r.made_on).num_days();
            for &area in &rows {
                days.entry((area, Some(month))).or_default().push(waited);
                days.entry((area, None)).or_default().push(waited);
            }
        }
        if r.status == ReferralStatus::Declined
            && let Some(reason) = r.decline_reason
        {
            t.add(Family::Declined, &rows, month, Category::Reason(reason));
        }
    }
    for u in inputs.unmet_needs {
        let Some(month) = month_in(u.recorded_on, year) else {
            continue;
        };
        let rows = chain(&mut t, &u.area);
        t.add(Family::Unmet, &rows, month, Category::Sector(u.sector));
    }
    (t, days)
}

fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0
    })
}

fn rate(part: SuppressedCount, whole: SuppressedCount) -> Option<f64> {
    match (part.count, whole.count) {
        (Some(p), Some(w)) if w > 0 => Some((p as f64 / w as f64 * 10_000.0).round() / 10_000.0),
        _ => None,
    }
}

/// The figures for `query`.
pub fn figures(inputs: &Inputs<'_>, query: &Query) -> CoordinationFigures {
    let public = query.audience == Audience::Public;
    let level = if public {
        query.level.min(1)
    } else {
        query.level.min(2)
    };
    // The public table is always the whole one of the year at region level, whatever
    // is asked: see the module documentation.
    let (t, mut days) = table(inputs, query.year, if public { 1 } else { level }, public);
    let (values, sums) = t.sums();
    let hidden = if public {
        suppress(&values, &sums, SUPPRESS_BELOW)
    } else {
        vec![false; values.len()]
    };
    let cells: HashMap<&Key, SuppressedCount> = t
        .counts
        .keys()
        .zip(values.iter().zip(&hidden))
        .map(|(k, (&v, &h))| {
            (
                k,
                if h {
                    SuppressedCount::HIDDEN
                } else {
                    SuppressedCount::shown(v)
                },
            )
        })
        .collect();
    let cell = |family, area, month, category: Option<Category>| {
        cells
            .get(&Key {
                family,
                area,
                month,
                category,
            })
            .copied()
            .unwrap_or(SuppressedCount::shown(0))
    };
    let names: HashMap<&str, &str> = inputs
        .areas
        .iter()
        .map(|a| (a.code.as_str(), a.name.as_str()))
        .collect();
    let figures_of = |area: usize, month: Option<u32>, days: &mut Waits| {
        let made = cell(Family::Made, area, month, None);
        let accepted = cell(Family::Accepted, area, month, None);
        let pathways = t
            .counts
            .range(
                Key {
                    family: Family::Made,
                    area,
                    month,
                    category: None,
                }..,
            )
            .take_while(|(k, _)| k.family == Family::Made && k.area == area && k.month == month)
            .filter_map(|(k, _)| match &k.category {
                Some(c @ Category::Pathway(sector, from_type, to)) => Some(PathwayFigures {
                    sector: *sector,
                    from_type: *from_type,
                    to_organisation: to.clone(),
                    made: cell(Family::Made, area, month, Some(c.clone())),
                    accepted: cell(Family::Accepted, area, month, Some(c.clone())),
                }),
                _ => None,
            })
            .collect();
        PeriodFigures {
            month: month.map(|m| format!("{:04}-{m:02}", query.year)),
            referrals_made: made,
            referrals_accepted: accepted,
            acceptance_rate: rate(accepted, made),
            median_days_to_acceptance: if accepted.count.is_some_and(|n| n > 0) {
                days.get_mut(&(area, month)).and_then(|d| median(d))
            } else {
                None
            },
            declined: cell(Family::Declined, area, month, None),
            declines: DeclineReason::ALL
                .iter()
                .map(|&reason| DeclineCount {
                    reason,
                    count: cell(
                        Family::Declined,
                        area,
                        month,
                        Some(Category::Reason(reason)),
                    ),
                })
                .collect(),
            pathways,
            unmet_needs: cell(Family::Unmet, area, month, None),
            unmet_by_sector: Sector::ALL
                .iter()
                .map(|&sector| UnmetSectorCount {
                    sector,
                    count: cell(Family::Unmet, area, month, Some(Category::Sector(sector))),
                })
                .collect(),
        }
    };
    let wanted = |row: &Row| {
        query
            .area
            .as_deref()
            .is_none_or(|a| row.code == a || row.country == a || row.region.as_deref() == Some(a))
    };
    let mut areas = Vec::new();
    for (i, row) in t.rows.iter().enumerate() {
        let at_level = if level == 0 {
            row.level == 0
        } else {
            row.level >= 1
        };
        if !at_level || !wanted(row) {
            continue;
        }
        let months: BTreeSet<u32> = t
            .counts
            .keys()
            .filter(|k| k.area == i)
            .filter_map(|k| k.month)
            .collect();
        areas.push(CoordinationArea {
            name: names.get(row.code.as_str()).map_or_else(
                || {
                    if row.code == unassigned(&row.country) {
                        "Not in any region".to_string()
                    } else {
                        row.code.clone()
                    }
                },
                |n| (*n).to_string(),
            ),
            code: row.code.clone(),
            level: row.level,
            country: row.country.clone(),
            region: row.region.clone(),
            months: months
                .into_iter()
                .map(|m| figures_of(i, Some(m), &mut days))
                .collect(),
            total: figures_of(i, None, &mut days),
        });
    }
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    let countries: BTreeSet<&str> = inputs
        .areas
        .iter()
        .filter(|a| a.level == 0)
        .map(|a| a.code.as_str())
        .chain(t.rows.iter().map(|r| r.country.as_str()))
        .collect();
    let countries = countries
        .into_iter()
        .map(|country| {
            let row = t.row_index.get(&Row {
                level: 0,
                code: country.to_string(),
                country: country.to_string(),
                region: None,
            });
            let count =
                |family| row.map_or(SuppressedCount::shown(0), |&i| cell(family, i, None, None));
            let made = count(Family::Made);
            let accepted = count(Family::Accepted);
            let unmet = count(Family::Unmet);
            let population = inputs.population.get(country).copied().unwrap_or(0.0);
            CountryFigures {
                country: country.to_string(),
                name: names
                    .get(country)
                    .map_or_else(|| country.to_string(), |n| (*n).to_string()),
                population,
                referrals_made: made,
                referrals_accepted: accepted,
                acceptance_rate: rate(accepted, made),
                unmet_needs: unmet,
                unmet_needs_per_100k: unmet
                    .count
                    .filter(|_| population > 0.0)
                    .map(|n| (n as f64 / population * 100_000.0 * 100.0).round() / 100.0),
            }
        })
        .collect();
    let counted = |demo: bool, year_day: chrono::NaiveDate| demo && year_day.year() == query.year;
    let demo = inputs.referrals.iter().any(|r| counted(r.demo, r.made_on))
        || inputs
            .unmet_needs
            .iter()
            .any(|u| counted(u.demo, u.recorded_on));
    let notes = if public {
        vec![
            NoteCode::SmallCountsSuppressed.into(),
            NoteCode::ConfidentialReferralsLeftOut.into(),
        ]
    } else {
        Vec::new()
    };
    let years: BTreeSet<i32> = inputs
        .referrals
        .iter()
        .map(|r| r.made_on.year())
        .chain(inputs.unmet_needs.iter().map(|u| u.recorded_on.year()))
        .collect();
    CoordinationFigures {
        year: query.year,
        years: years.into_iter().collect(),
        level,
        audience: query.audience,
        suppressed_below: public.then_some(SUPPRESS_BELOW),
        areas,
        countries,
        demo,
        notes,
    }
}

/// The figures as CSV, one value a line: `year, month, area_code, area_name,
/// area_level, country, measure, sector, from_type, to_organisation, reason, value`,
/// suppressed counts as "< 5", withheld rates empty.
pub fn csv(f: &CoordinationFigures) -> Result<String, String> {
    let mut w = csv_writer();
    w.write_record([
        "year",
        "month",
        "area_code",
        "area_name",
        "area_level",
        "country",
        "measure",
        "sector",
        "from_type",
        "to_organisation",
        "reason",
        "value",
    ])
    .map_err(|e| e.to_string())?;
    let year = f.year.to_string();
    let number = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    for area in &f.areas {
        let level = area.level.to_string();
        for figures in area.months.iter().chain([&area.total]) {
            let month = figures.month.clone().unwrap_or_default();
            let mut line = |measure: &str, detail: [&str; 4], value: String| {
                w.write_record([
                    year.as_str(),
                    month.as_str(),
                    area.code.as_str(),
                    area.name.as_str(),
                    level.as_str(),
                    area.country.as_str(),
                    measure,
                    detail[0],
                    detail[1],
                    detail[2],
                    detail[3],
                    value.as_str(),
                ])
                .map_err(|e| e.to_string())
            };
            line("referrals_made", [""; 4], figures.referrals_made.text())?;
            line(
                "referrals_accepted",
                [""; 4],
                figures.referrals_accepted.text(),
            )?;
            line("acceptance_rate", [""; 4], number(figures.acceptance_rate))?;
            line(
                "median_days_to_acceptance",
                [""; 4],
                number(figures.median_days_to_acceptance),
            )?;
            line("declined", [""; 4], figures.declined.text())?;
            for d in &figures.declines {
                line("declined", ["", "", "", d.reason.as_str()], d.count.text())?;
            }
            for p in &figures.pathways {
                let from = p.from_type.map_or("", |s| s.as_str());
                let detail = [p.sector.as_str(), from, p.to_organisation.as_str(), ""];
                line("pathway_made", detail, p.made.text())?;
                line("pathway_accepted", detail, p.accepted.text())?;
            }
            line("unmet_needs", [""; 4], figures.unmet_needs.text())?;
            for s in &figures.unmet_by_sector {
                line(
                    "unmet_needs",
                    [s.sector.as_str(), "", "", ""],
                    s.count.text(),
                )?;
            }
        }
    }
    for c in &f.countries {
        let mut line = |measure: &str, value: String| {
            w.write_record([
                year.as_str(),
                "",
                c.country.as_str(),
                c.name.as_str(),
                "0",
                c.country.as_str(),
                measure,
                "",
                "",
                "",
                "",
                value.as_str(),
            ])
            .map_err(|e| e.to_string())
        };
        line("country_population", c.population.to_string())?;
        line("country_referrals_made", c.referrals_made.text())?;
        line("country_referrals_accepted", c.referrals_accepted.text())?;
        line("country_acceptance_rate", number(c.acceptance_rate))?;
        line("country_unmet_needs", c.unmet_needs.text())?;
        line(
            "country_unmet_needs_per_100k",
            number(c.unmet_needs_per_100k),
        )?;
    }
    finish(w)
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<String, String> {
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// Referrals as CSV records (admins' record-level export): no field names or locates
/// a survivor; `made_by` is the staff account that recorded it (empty when unknown).
pub fn referrals_csv(referrals: &[Referral]) -> Result<String, String> {
    let mut w = csv_writer();
    w.write_record([
        "id",
        "from_organisation",
        "to_facility",
        "to_organisation",
        "sector",
        "made_on",
        "consent_to_share",
        "status",
        "decline_reason",
        "accepted_on",
        "closed_on",
        "country",
        "region",
        "district",
        "demo",
        "made_by",
    ])
    .map_err(|e| e.to_string())?;
    let day = |d: Option<chrono::NaiveDate>| d.map_or_else(String::new, |d| d.to_string());
    for r in referrals {
        w.write_record([
            r.id.to_string(),
            r.from_organisation.clone(),
            r.to_facility.clone(),
            r.to_organisation.clone(),
            r.sector.as_str().to_string(),
            r.made_on.to_string(),
            r.consent_to_share.to_string(),
            r.status.as_str().to_string(),
            r.decline_reason.map_or("", |d| d.as_str()).to_string(),
            day(r.accepted_on),
            day(r.closed_on),
            r.area.country.clone(),
            r.area.region.clone().unwrap_or_default(),
            r.area.district.clone().unwrap_or_default(),
            r.demo.to_string(),
            r.made_by.clone().unwrap_or_default(),
        ])
        .map_err(|e| e.to_string())?;
    }
    finish(w)
}

/// Unmet needs as CSV records (admins' record-level export).
pub fn unmet_needs_csv(needs: &[UnmetNeed]) -> Result<String, String> {
    let mut w = csv_writer();
    w.write_record([
        "id",
        "organisation",
        "sector",
        "services",
        "languages",
        "open_24_7",
        "female_staff",
        "child_friendly",
        "wheelchair_access",
        "free_of_charge",
        "no_police_report_required",
        "country",
        "region",
        "district",
        "recorded_on",
        "demo",
    ])
    .map_err(|e| e.to_string())?;
    for u in needs {
        let n = &u.needs;
        let list = |v: Vec<&str>| v.join(",");
        w.write_record([
            u.id.to_string(),
            u.organisation.clone(),
            u.sector.as_str().to_string(),
            list(n.services.iter().map(|s| s.as_str()).collect()),
            list(n.languages.iter().map(|s| s.as_str()).collect()),
            n.open_24_7.to_string(),
            n.female_staff.to_string(),
            n.child_friendly.to_string(),
            n.wheelchair_access.to_string(),
            n.free_of_charge.to_string(),
            n.no_police_report_required.to_string(),
            u.area.country.clone(),
            u.area.region.clone().unwrap_or_default(),
            u.area.district.clone().unwrap_or_default(),
            u.recorded_on.to_string(),
            u.demo.to_string(),
        ])
        .map_err(|e| e.to_string())?;
    }
    finish(w)
}

#[cfg(test)]
mod tests;
