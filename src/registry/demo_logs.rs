//! The demo referral and unmet-needs logs: synthetic records (`demo: true`) over the
//! demo organisations, facilities and settlements, so that the coordination view shows
//! something on a fresh install. Generated, not shipped: the same inputs and day give
//! the same records (a SplitMix64 stream from a fixed seed), spread from 1 January of
//! the year before `today` up to `today`, so that the latest year always has data.
//! No I/O here.

use crate::model::{
    AreaCodes, DeclineReason, Facility, Language, Needs, Organisation, Referral, ReferralStatus,
    Sector, Service, Settlement, Status, UnmetNeed,
};
use chrono::{Datelike, Days, NaiveDate};

/// Demo referrals generated.
pub const DEMO_REFERRALS: usize = 1_600;
/// Demo unmet needs generated.
pub const DEMO_UNMET_NEEDS: usize = 420;
const SEED: u64 = 17;

/// SplitMix64: tiny, fixed, good enough for synthetic records.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    /// One of `items` by weight.
    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut pick = self.below(total as usize) as u32;
        for &(item, w) in items {
            if pick < w {
                return item;
            }
            pick -= w;
        }
        items[0].0
    }
}

fn area_of(country: &str, region: Option<&String>, district: Option<&String>) -> AreaCodes {
    let mut area = AreaCodes {
        country: country.to_string(),
        region: region.cloned(),
        district: district.cloned(),
    };
    if !area.valid() {
        area.region = None;
        area.district = None;
    }
    area
}

/// How often an organisation of this main sector refers: first-line psycho-social
/// services most (they redirect survivors), then police and health.
fn referring_weight(o: &Organisation) -> u32 {
    match o.sectors.first() {
        Some(Sector::Psychosocial) => 6,
        Some(Sector::Police) => 3,
        Some(Sector::Health) => 2,
        Some(Sector::Hotline) => 2,
        _ => 1,
    }
}

/// The demo logs for these demo records, as of `today`.
pub fn generate(
    facilities: &[Facility],
    organisations: &[Organisation],
    settlements: &[Settlement],
    today: NaiveDate,
) -> (Vec<Referral>, Vec<UnmetNeed>) {
    let mut rng = Stream(SEED);
    let start = NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(today);
    let span = (today - start).num_days().max(0) as usize + 1;
    let day = |rng: &mut Stream| start + Days::new(rng.below(span) as u64);
    let targets: Vec<&Facility> = facilities
        .iter()
        .filter(|f| f.demo && f.status == Status::Active && f.organisation_id.is_some())
        .filter(|f| f.sectors.iter().any(|s| *s != Sector::Hotline))
        .collect();
    let referrers = |country: &str, not: &str| -> Vec<(&Organisation, u32)> {
        organisations
            .iter()
            .filter(|o| o.demo && o.country == country && o.id != not)
            .map(|o| (o, referring_weight(o)))
            .collect()
    };
    let mut referrals = Vec::with_capacity(DEMO_REFERRALS);
    while !targets.is_empty() && referrals.len() < DEMO_REFERRALS {
        let f = targets[rng.below(targets.len())];
        let to = f.organisation_id.clone().unwrap_or_default();
        let from = referrers(&f.country, &to);
        if from.is_empty() {
            continue;
        }
        let from = rng.weighted(&from);
        let sectors: Vec<Sector> = f
            .sectors
            .iter()
            .copied()
            .filter(|s| *s != Sector::Hotline)
            .collect();
        let sector = sectors[rng.below(sectors.len())];
        let made_on = day(&mut rng);
        let mut r = Referral {
            id: 0,
            from_organisation: from.id.clone(),
            to_facility: f.id.clone(),
            to_organisation: to,
            sector,
            made_on,
            consent_to_share: rng.chance(0.85),
            status: ReferralStatus::Made,
            decline_reason: None,
            accepted_on: None,
            closed_on: None,
            area: area_of(&f.country, f.adm1.as_ref(), f.adm2.as_ref()),
            demo: true,
            made_by: None,
        };
        let later = |rng: &mut Stream, from: NaiveDate, most: usize| {
            (from + Days::new(rng.below(most + 1) as u64)).min(today)
        };
        // The last few days' referrals are mostly still unanswered.
        let fresh = (today - made_on).num_days() < 4;
        let roll = rng.below(100);
        if fresh && roll < 70 {
            referrals.push(r);
            continue;
        }
        if roll < 62 {
            let accepted = later(&mut rng, made_on, 6);
            r.status = ReferralStatus::Accepted;
            r.accepted_on = Some(accepted);
            let next = rng.below(100);
            if next < 75 {
                r.status = ReferralStatus::ServiceProvided;
                r.closed_on = Some(later(&mut rng, accepted, 5));
            } else if next < 83 {
                r.status = ReferralStatus::NoShow;
                r.closed_on = Some(later(&mut rng, accepted, 7));
            }
        } else if roll < 80 {
            r.status = ReferralStatus::Declined;
            r.decline_reason = Some(rng.weighted(&[
                (DeclineReason::NoCapacity, 5),
                (DeclineReason::NotEligible, 3),
                (DeclineReason::OutsideArea, 3),
                (DeclineReason::SurvivorWithdrew, 2),
                (DeclineReason::ReferredElsewhere, 2),
                (DeclineReason::Other, 1),
            ]));
            r.closed_on = Some(later(&mut rng, made_on, 4));
        } else if roll < 88 {
            r.status = ReferralStatus::NoShow;
            r.closed_on = Some(later(&mut rng, made_on, 10));
        }
        referrals.push(r);
    }

    let places: Vec<&Settlement> = settlements.iter().filter(|s| s.country.is_some()).collect();
    let mut needs = Vec::with_capacity(DEMO_UNMET_NEEDS);
    while !places.is_empty() && needs.len() < DEMO_UNMET_NEEDS {
        let s = places[rng.below(places.len())];
        let country = s.country.clone().unwrap_or_default();
        let recorders: Vec<(&Organisation, u32)> = referrers(&country, "");
        if recorders.is_empty() {
            continue;
        }
        let organisation = rng.weighted(&recorders);
        let sector = rng.weighted(&[
            (Sector::Shelter, 30),
            (Sector::Health, 25),
            (Sector::Psychosocial, 20),
            (Sector::Legal, 12),
            (Sector::Police, 8),
            (Sector::Hotline, 5),
        ]);
        let mut services = Vec::new();
        if sector == Sector::Health && rng.chance(0.6) {
            services.push(Service::CmrPep);
        }
        if sector == Sector::Shelter && rng.chance(0.5) {
            services.push(Service::EmergencyShelter);
        }
        let local = match country.as_str() {
            "KZ" => Language::Kk,
            "KG" => Language::Ky,
            "TJ" => Language::Tg,
            "TM" => Language::Tk,
            _ => Language::Uz,
        };
        let needs_of = Needs {
            services,
            languages: if rng.chance(0.4) { vec![local] } else { vec![] },
            open_24_7: sector == Sector::Health && rng.chance(0.3),
            female_staff: rng.chance(0.4),
            child_friendly: rng.chance(0.15),
            wheelchair_access: rng.chance(0.08),
            free_of_charge: rng.chance(0.3),
            no_police_report_required: rng.chance(0.2),
        };
        needs.push(UnmetNeed {
            id: 0,
            organisation: organisation.id.clone(),
            sector,
            needs: needs_of.canonical(),
            area: area_of(&country, s.adm1.as_ref(), s.adm2.as_ref()),
            recorded_on: day(&mut rng),
            demo: true,
        });
    }
    (referrals, needs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_fixed_and_weights_are_honoured() {
        let mut a = Stream(SEED);
        let mut b = Stream(SEED);
        let first: Vec<u64> = (0..5).map(|_| a.next()).collect();
        assert_eq!(first, (0..5).map(|_| b.next()).collect::<Vec<_>>());
        let mut counts = [0usize; 2];
        for _ in 0..10_000 {
            counts[a.weighted(&[(0usize, 1), (1usize, 3)])] += 1;
        }
        // 1:3, within a few percent.
        assert!((7_000..8_000).contains(&counts[1]), "{counts:?}");
        assert!(
            generate(&[], &[], &[], NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
                .0
                .is_empty()
        );
    }
}
