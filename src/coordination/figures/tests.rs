//! The figures against a brute-force count, suppression at 4, 5 and 6, and a check
//! that no hidden count is determined by the sums the shown counts give (linear
//! algebra over the table, not just the rule that builds it).

use super::*;
use crate::model::AreaCodes;
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn organisation(id: &str, sector: Sector) -> Organisation {
    Organisation {
        id: id.into(),
        names: Default::default(),
        sectors: vec![sector],
        country: "KZ".into(),
        contact: None,
        website: None,
        trusted: false,
        demo: false,
        created_at: None,
        updated_at: None,
    }
}

fn area(country: &str, region: Option<&str>, district: Option<&str>) -> AreaCodes {
    AreaCodes {
        country: country.into(),
        region: region.map(str::to_string),
        district: district.map(str::to_string),
    }
}

/// The areas records are drawn from: two countries, three regions, two districts (one
/// region without districts) and one record place in no region.
const PLACES: [(&str, Option<&str>, Option<&str>); 6] = [
    ("KZ", Some("KZ-A"), Some("KZ-A-1")),
    ("KZ", Some("KZ-A"), Some("KZ-A-2")),
    ("KZ", Some("KZ-B"), None),
    ("KG", Some("KG-C"), None),
    ("KG", None, None),
    ("KZ", Some("KZ-B"), None),
];

const ORGS: [(&str, Sector); 4] = [
    ("o1", Sector::Psychosocial),
    ("o2", Sector::Health),
    ("o3", Sector::Police),
    ("o4", Sector::Shelter),
];

fn random_records(seed: u64, n: usize) -> (Vec<Referral>, Vec<UnmetNeed>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut referrals = Vec::new();
    for id in 0..n as i64 {
        let (c, r, d) = PLACES[rng.random_range(0..PLACES.len())];
        let year = if rng.random_bool(0.9) { 2026 } else { 2025 };
        let made_on =
            NaiveDate::from_ymd_opt(year, rng.random_range(1..=12), rng.random_range(1..=28))
                .unwrap();
        let status = ReferralStatus::ALL[rng.random_range(0..ReferralStatus::ALL.len())];
        let accepted = matches!(
            status,
            ReferralStatus::Accepted | ReferralStatus::ServiceProvided
        ) || (status == ReferralStatus::NoShow && rng.random_bool(0.5));
        referrals.push(Referral {
            id,
            from_organisation: ORGS[rng.random_range(0..3)].0.into(),
            to_facility: format!("f{}", rng.random_range(0..6)),
            to_organisation: ORGS[rng.random_range(0..4)].0.into(),
            sector: [Sector::Health, Sector::Police, Sector::Shelter][rng.random_range(0..3)],
            made_on,
            consent_to_share: rng.random_bool(0.5),
            status,
            decline_reason: (status == ReferralStatus::Declined)
                .then(|| DeclineReason::ALL[rng.random_range(0..DeclineReason::ALL.len())]),
            accepted_on: accepted.then(|| made_on + chrono::Days::new(rng.random_range(0..9))),
            closed_on: None,
            area: area(c, r, d),
            demo: false,
            made_by: Some(format!("madeby-caseworker-{}", id % 3)),
        });
    }
    let unmet = (0..n as i64 / 2)
        .map(|id| {
            let (c, r, d) = PLACES[rng.random_range(0..PLACES.len())];
            UnmetNeed {
                id,
                organisation: "o1".into(),
                sector: Sector::ALL[rng.random_range(0..Sector::ALL.len())],
                needs: crate::model::Needs::default(),
                area: area(c, r, d),
                recorded_on: NaiveDate::from_ymd_opt(2026, rng.random_range(1..=12), 1).unwrap(),
                demo: true,
            }
        })
        .collect();
    (referrals, unmet)
}

fn run(
    referrals: &[Referral],
    unmet: &[UnmetNeed],
    level: u8,
    audience: Audience,
    confidential: &dyn Fn(&str) -> bool,
) -> CoordinationFigures {
    let organisations: Vec<Organisation> =
        ORGS.iter().map(|(id, s)| organisation(id, *s)).collect();
    let population: BTreeMap<String, f64> =
        [("KZ".to_string(), 200_000.0), ("KG".to_string(), 0.0)].into();
    let inputs = Inputs {
        referrals,
        unmet_needs: unmet,
        organisations: &organisations,
        areas: &[],
        population: &population,
        confidential,
    };
    figures(
        &inputs,
        &Query {
            year: 2026,
            level,
            area: None,
            audience,
        },
    )
}

/// Which row a record counts in at `level`, by the documented rule.
fn row_of(a: &AreaCodes, level: u8) -> String {
    match level {
        0 => a.country.clone(),
        1 => a
            .region
            .clone()
            .unwrap_or_else(|| format!("{}-unassigned", a.country)),
        _ => a
            .district
            .clone()
            .or(a.region.clone())
            .unwrap_or_else(|| format!("{}-unassigned", a.country)),
    }
}

#[test]
fn planner_figures_equal_a_brute_force_count() {
    let (referrals, unmet) = random_records(7, 400);
    let confidential = |_: &str| false;
    for level in 0..=2 {
        let f = run(&referrals, &unmet, level, Audience::Planner, &confidential);
        assert_eq!(f.suppressed_below, None);
        assert!(!f.areas.is_empty());
        for a in &f.areas {
            for fig in a.months.iter().chain([&a.total]) {
                let month: Option<u32> = fig.month.as_ref().map(|m| m[5..].parse().unwrap());
                let in_cell = |area: &AreaCodes, day: NaiveDate| {
                    row_of(area, level) == a.code
                        && day.year() == 2026
                        && month.is_none_or(|m| day.month() == m)
                };
                let mine: Vec<&Referral> = referrals
                    .iter()
                    .filter(|r| in_cell(&r.area, r.made_on))
                    .collect();
                let count = |n: usize| SuppressedCount::shown(n as u64);
                assert_eq!(
                    fig.referrals_made,
                    count(mine.len()),
                    "{} {:?}",
                    a.code,
                    fig.month
                );
                let accepted: Vec<&&Referral> =
                    mine.iter().filter(|r| r.accepted_on.is_some()).collect();
                assert_eq!(fig.referrals_accepted, count(accepted.len()));
                let mut waits: Vec<i64> = accepted
                    .iter()
                    .map(|r| (r.accepted_on.unwrap() - r.made_on).num_days())
                    .collect();
                waits.sort_unstable();
                let expected_median = match waits.len() {
                    0 => None,
                    n if n % 2 == 1 => Some(waits[n / 2] as f64),
                    n => Some((waits[n / 2 - 1] + waits[n / 2]) as f64 / 2.0),
                };
                assert_eq!(fig.median_days_to_acceptance, expected_median);
                for d in &fig.declines {
                    let n = mine
                        .iter()
                        .filter(|r| r.decline_reason == Some(d.reason))
                        .count();
                    assert_eq!(d.count, count(n));
                }
                let pathway_total: u64 = fig.pathways.iter().map(|p| p.made.count.unwrap()).sum();
                assert_eq!(pathway_total, mine.len() as u64);
                for p in &fig.pathways {
                    let of = |r: &&&Referral| {
                        r.sector == p.sector
                            && r.to_organisation == p.to_organisation
                            && ORGS
                                .iter()
                                .find(|o| o.0 == r.from_organisation)
                                .map(|o| o.1)
                                == p.from_type
                    };
                    assert_eq!(p.made, count(mine.iter().filter(|r| of(r)).count()));
                    assert_eq!(
                        p.accepted,
                        count(
                            mine.iter()
                                .filter(|r| of(r) && r.accepted_on.is_some())
                                .count()
                        )
                    );
                }
                for s in &fig.unmet_by_sector {
                    let n = unmet
                        .iter()
                        .filter(|u| u.sector == s.sector && in_cell(&u.area, u.recorded_on))
                        .count();
                    assert_eq!(s.count, count(n));
                }
            }
        }
        // Every record of the year is in exactly one row.
        let total: u64 = f
            .areas
            .iter()
            .map(|a| a.total.referrals_made.count.unwrap())
            .sum();
        assert_eq!(
            total,
            referrals
                .iter()
                .filter(|r| r.made_on.year() == 2026)
                .count() as u64
        );
        let kz = f.countries.iter().find(|c| c.country == "KZ").unwrap();
        let kz_unmet = unmet.iter().filter(|u| u.area.country == "KZ").count() as f64;
        assert_eq!(
            kz.unmet_needs_per_100k,
            Some((kz_unmet / 2.0 * 100.0).round() / 100.0)
        );
        let kg = f.countries.iter().find(|c| c.country == "KG").unwrap();
        assert_eq!(kg.unmet_needs_per_100k, None, "no population, no rate");
    }
}

/// `n` referrals in one region and month, accepted.
fn in_one_cell(n: usize) -> Vec<Referral> {
    let (mut base, _) = random_records(1, 1);
    let r = base.remove(0);
    (0..n as i64)
        .map(|id| Referral {
            id,
            made_on: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
            accepted_on: Some(NaiveDate::from_ymd_opt(2026, 3, 6).unwrap()),
            status: ReferralStatus::Accepted,
            decline_reason: None,
            area: area("KZ", Some("KZ-A"), None),
            ..r.clone()
        })
        .collect()
}

#[test]
fn counts_of_four_are_hidden_and_five_and_six_shown() {
    let none = |_: &str| false;
    for (n, shown) in [(4, false), (5, true), (6, true)] {
        let f = run(&in_one_cell(n), &[], 1, Audience::Public, &none);
        let a = &f.areas[0];
        let expected = if shown {
            SuppressedCount::shown(n as u64)
        } else {
            SuppressedCount::HIDDEN
        };
        for fig in [&a.months[0], &a.total] {
            assert_eq!(fig.referrals_made, expected, "{n}");
            assert_eq!(fig.referrals_accepted, expected, "{n}");
            assert_eq!(fig.acceptance_rate, shown.then_some(1.0));
            assert_eq!(fig.median_days_to_acceptance, shown.then_some(1.0));
            assert_eq!(fig.pathways[0].made, expected);
        }
        assert_eq!(
            f.countries
                .iter()
                .find(|c| c.country == "KZ")
                .unwrap()
                .referrals_made,
            expected
        );
        assert_eq!(f.suppressed_below, Some(5));
        // A planner sees the count as it is.
        let planner = run(&in_one_cell(n), &[], 1, Audience::Planner, &none);
        assert_eq!(
            planner.areas[0].total.referrals_made,
            SuppressedCount::shown(n as u64)
        );
    }
}

#[test]
fn the_public_never_sees_district_rows_or_confidential_targets() {
    let (referrals, unmet) = random_records(3, 300);
    let shelter = |id: &str| id == "f0";
    let f = run(&referrals, &unmet, 2, Audience::Public, &shelter);
    assert_eq!(f.level, 1);
    assert!(f.areas.iter().all(|a| a.level == 1));
    let planner = run(&referrals, &unmet, 2, Audience::Planner, &shelter);
    assert!(planner.areas.iter().any(|a| a.level == 2));
    // The public's totals are those of the referrals to other facilities.
    let public_made: u64 = {
        let all = run(
            &referrals
                .iter()
                .filter(|r| r.to_facility != "f0")
                .cloned()
                .collect::<Vec<_>>(),
            &unmet,
            1,
            Audience::Planner,
            &shelter,
        );
        all.areas
            .iter()
            .map(|a| a.total.referrals_made.count.unwrap())
            .sum()
    };
    let shown: Vec<u64> = f
        .areas
        .iter()
        .filter_map(|a| a.total.referrals_made.count)
        .collect();
    assert!(shown.iter().sum::<u64>() <= public_made);
    for a in &f.areas {
        for fig in a.months.iter().chain([&a.total]) {
            for c in [
                fig.referrals_made,
                fig.referrals_accepted,
                fig.declined,
                fig.unmet_needs,
            ] {
                assert!(c.count.is_none_or(|n| n == 0 || n >= 5), "{c:?}");
                assert_eq!(c.suppressed, c.count.is_none());
            }
        }
    }
}

/// The hidden cells determined by the sums: those whose unit vector lies in the row
/// space of the sums restricted to the hidden cells. The rows are brought to reduced
/// row-echelon form (exact, fraction-free integers kept small by the gcd); a cell is
/// determined exactly when some reduced row is non-zero at its column only.
fn determined(values: &[u64], sums: &[Sum], hidden: &[bool]) -> Vec<usize> {
    let columns: Vec<usize> = (0..values.len()).filter(|&i| hidden[i]).collect();
    let col_of: HashMap<usize, usize> = columns.iter().enumerate().map(|(j, &i)| (i, j)).collect();
    let width = columns.len();
    let mut rows: Vec<Vec<i64>> = sums
        .iter()
        .map(|s| {
            let mut row = vec![0i64; width];
            if let Some(&j) = col_of.get(&s.total) {
                row[j] += 1;
            }
            for p in &s.parts {
                if let Some(&j) = col_of.get(p) {
                    row[j] -= 1;
                }
            }
            row
        })
        .filter(|r| r.iter().any(|&x| x != 0))
        .collect();
    rows.sort();
    rows.dedup();
    let mut rank = 0;
    for col in 0..width {
        let Some(pivot) = (rank..rows.len()).find(|&r| rows[r][col] != 0) else {
            continue;
        };
        rows.swap(rank, pivot);
        let pivot_row = rows[rank].clone();
        for (r, row) in rows.iter_mut().enumerate() {
            if r != rank && row[col] != 0 {
                let (a, b) = (pivot_row[col], row[col]);
                for (x, p) in row.iter_mut().zip(&pivot_row) {
                    *x = *x * a - p * b;
                }
                let g = row.iter().fold(0i64, |g, &x| gcd(g, x.abs()));
                if g > 1 {
                    row.iter_mut().for_each(|x| *x /= g);
                }
            }
        }
        rank += 1;
    }
    rows[..rank]
        .iter()
        .filter_map(|row| {
            let mut nonzero = row.iter().enumerate().filter(|(_, x)| **x != 0);
            let (c, _) = nonzero.next()?;
            nonzero.next().is_none().then(|| columns[c])
        })
        .collect()
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[test]
fn no_hidden_count_follows_from_the_shown_ones() {
    let mut checked = 0;
    for seed in 0..8 {
        let (referrals, unmet) = random_records(seed, 30 + 12 * seed as usize);
        let organisations: Vec<Organisation> =
            ORGS.iter().map(|(id, s)| organisation(id, *s)).collect();
        let population = BTreeMap::new();
        let inputs = Inputs {
            referrals: &referrals,
            unmet_needs: &unmet,
            organisations: &organisations,
            areas: &[],
            population: &population,
            confidential: &|_| false,
        };
        let (t, _) = table(&inputs, 2026, 1, true);
        let (values, sums) = t.sums();
        let hidden = suppress(&values, &sums, SUPPRESS_BELOW);
        // The rule: no sum is left with exactly one unknown.
        for s in &sums {
            let unknowns =
                s.parts.iter().filter(|&&p| hidden[p]).count() + usize::from(hidden[s.total]);
            assert_ne!(unknowns, 1, "seed {seed}");
            let parts: u64 = s.parts.iter().map(|&p| values[p]).sum();
            assert_eq!(values[s.total], parts, "the sums are sums");
        }
        // The algebra: no hidden cell is determined by all the sums together.
        let found = determined(&values, &sums, &hidden);
        assert!(
            found.is_empty(),
            "seed {seed}: cells {found:?} can be worked out"
        );
        checked += hidden.iter().filter(|h| **h).count();
        // Every primary cell is hidden; something is shown.
        assert!(
            values
                .iter()
                .zip(&hidden)
                .all(|(&v, &h)| h || v == 0 || v >= 5)
        );
        assert!(hidden.iter().any(|h| !h), "seed {seed}: something is shown");
    }
    assert!(checked > 100, "the check ran on {checked} hidden cells");
}

#[test]
fn the_check_can_fail_a_lone_hidden_part_is_determined() {
    // total 9 = 5 + 4: hiding only the 4 leaves it determined.
    let values = [9, 5, 4];
    let sums = [Sum {
        total: 0,
        parts: vec![1, 2],
    }];
    assert_eq!(determined(&values, &sums, &[false, false, true]), [2]);
    let hidden = suppress(&values, &sums, SUPPRESS_BELOW);
    assert_eq!(hidden, [false, true, true], "the 5 goes with the 4");
    assert!(determined(&values, &sums, &hidden).is_empty());
    // A lone part equal to its total: both hidden.
    let hidden = suppress(
        &[3, 3],
        &[Sum {
            total: 0,
            parts: vec![1],
        }],
        5,
    );
    assert_eq!(hidden, [true, true]);
    let hidden = suppress(
        &[7, 7],
        &[Sum {
            total: 0,
            parts: vec![1],
        }],
        5,
    );
    assert_eq!(hidden, [false, false]);
}

#[test]
fn csv_shows_hidden_counts_as_less_than_five() {
    let none = |_: &str| false;
    let text = csv(&run(&in_one_cell(3), &[], 1, Audience::Public, &none)).unwrap();
    assert!(text.starts_with("year,month,area_code"));
    assert!(
        text.contains("2026,2026-03,KZ-A,KZ-A,1,KZ,referrals_made,,,,,< 5"),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.ends_with(",3")), "{text}");
    let text = csv(&run(&in_one_cell(6), &[], 1, Audience::Public, &none)).unwrap();
    assert!(
        text.contains("2026,2026-03,KZ-A,KZ-A,1,KZ,referrals_made,,,,,6"),
        "{text}"
    );
}

#[test]
fn who_made_a_referral_is_in_no_figure() {
    let none = |_: &str| false;
    let (referrals, unmet) = random_records(5, 200);
    assert!(referrals.iter().all(|r| r.made_by.is_some()));
    for (level, audience) in [
        (1, Audience::Public),
        (0, Audience::Public),
        (2, Audience::Planner),
        (1, Audience::Planner),
    ] {
        let f = run(&referrals, &unmet, level, audience, &none);
        let json = serde_json::to_string(&f).unwrap();
        let text = csv(&f).unwrap();
        for out in [&json, &text] {
            assert!(!out.contains("madeby-"), "{level} {audience:?}");
            assert!(!out.contains("made_by"), "{level} {audience:?}");
        }
        assert!(json.contains("referrals_made"));
    }
}

#[test]
fn notes_carry_a_stable_code_and_the_english_text() {
    let none = |_: &str| false;
    let public = run(&in_one_cell(3), &[], 1, Audience::Public, &none);
    let notes = serde_json::to_value(&public.notes).unwrap();
    assert_eq!(
        notes,
        serde_json::json!([
            {"code": "small_counts_suppressed",
             "text": "Counts from 1 to 4 are shown as \"< 5\", and some larger ones are withheld too, so that none can be worked out from the totals; rates and medians of withheld counts are withheld."},
            {"code": "confidential_referrals_left_out",
             "text": "Referrals to confidential services (shelters) are not counted in these figures."}
        ])
    );
    let planner = run(&in_one_cell(3), &[], 1, Audience::Planner, &none);
    assert!(
        planner.notes.is_empty(),
        "coordinators' figures hide nothing"
    );
}
