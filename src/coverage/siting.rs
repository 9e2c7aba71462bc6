//! Where to add facilities: greedy maximal covering (MCLP) with existing facilities
//! fixed.
//!
//! A population point is covered by a site when their exact WGS84 geodesic distance is
//! at most the threshold (inclusive), as in [`super::GeodesicAccess`]. The caller says
//! which points the existing facilities already cover. Then, for every candidate site,
//! the still-uncovered points within the threshold are listed once: an R*-tree over the
//! points' unit vectors yields those within the chord that surely contains every
//! geodesic ≤ threshold; the sphere ↔ ellipsoid bounds decide all but the points near
//! the boundary, which get an exact geodesic.
//!
//! The greedy step picks the candidate that covers the most still-uncovered people
//! (ties: the lowest candidate index). Gains only shrink as sites are added
//! (submodularity), so a max-heap of possibly stale gains (CELF, lazy evaluation)
//! re-evaluates only the candidates that reach the top. The result equals the plain
//! greedy, with its (1 − 1/e) bound. Placement stops early when no candidate adds
//! anyone.

use crate::spatial::geodesy::{
    GEODESIC_OVER_SPHERE_MAX, GEODESIC_OVER_SPHERE_MIN, chord2_from_sphere_m, geodesic_m,
    unit_vector,
};
use crate::spatial::points::chord2;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// Most sites placed in one plan (API limit).
pub const MAX_K: usize = 200;
/// Most candidate sites (API limit).
pub const MAX_CANDIDATES: usize = 200_000;

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SitingError {
    /// A candidate with coordinates off the globe.
    #[error("candidate {index}: lon must be in -180..180 and lat in -90..90")]
    Coordinates {
        /// Its position in the list.
        index: usize,
    },
    /// A threshold that is not a distance.
    #[error("the threshold must be a distance ≥ 0")]
    Threshold,
    /// `covered` does not match the population.
    #[error("{covered} coverage flags for {points} population points")]
    Mismatch {
        /// Coverage flags given.
        covered: usize,
        /// Population points they should describe.
        points: usize,
    },
}

/// What a plan needs.
pub struct SitingInput<'a> {
    /// Population points `(lon, lat, people)`.
    pub population: &'a [(f64, f64, f64)],
    /// Per point, whether existing facilities already cover it.
    pub covered: &'a [bool],
    /// Candidate sites `(lon, lat)`.
    pub candidates: &'a [(f64, f64)],
    /// Coverage threshold, metres (inclusive).
    pub threshold_m: f64,
    /// Sites to place.
    pub k: usize,
    /// Worker threads for listing the candidates' points.
    pub threads: usize,
}

/// One placed site.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// 1 for the first placed.
    pub rank: usize,
    /// Index into the candidates.
    pub candidate: u32,
    /// People newly covered by this site.
    pub gain: f64,
    /// People covered after this step (existing facilities included).
    pub covered_after: f64,
}

/// A finished plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Every point's people.
    pub population_total: f64,
    /// People the existing facilities cover.
    pub covered_before: f64,
    /// The placed sites, in order (fewer than `k` when no candidate adds anyone).
    pub steps: Vec<Step>,
    /// Time spent listing each candidate's uncovered points.
    pub candidate_time: Duration,
    /// Time spent in the greedy placement.
    pub greedy_time: Duration,
}

/// A heap entry: a gain computed in `round` (stale in later rounds).
#[derive(Debug, PartialEq)]
struct Entry {
    gain: f64,
    candidate: u32,
    round: usize,
}

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.gain
            .total_cmp(&other.gain)
            .then_with(|| other.candidate.cmp(&self.candidate))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Places up to `k` sites greedily.
pub fn plan(input: &SitingInput<'_>) -> Result<Plan, SitingError> {
    if input.covered.len() != input.population.len() {
        return Err(SitingError::Mismatch {
            covered: input.covered.len(),
            points: input.population.len(),
        });
    }
    if !(input.threshold_m.is_finite() && input.threshold_m >= 0.0) {
        return Err(SitingError::Threshold);
    }
    if let Some(index) = input
        .candidates
        .iter()
        .position(|&(lon, lat)| !((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)))
    {
        return Err(SitingError::Coordinates { index });
    }
    let started = Instant::now();
    let population_total: f64 = input.population.iter().map(|p| p.2).sum();
    let covered_before: f64 = input
        .population
        .iter()
        .zip(input.covered)
        .filter(|(_, c)| **c)
        .map(|(p, _)| p.2)
        .sum();
    // The points a new site could add, in input order.
    let open: Vec<u32> = (0..input.population.len() as u32)
        .filter(|&i| !input.covered[i as usize] && input.population[i as usize].2 > 0.0)
        .collect();
    let people: Vec<f64> = open
        .iter()
        .map(|&i| input.population[i as usize].2)
        .collect();
    let sets = candidate_sets(input, &open);
    let candidate_time = started.elapsed();

    let started = Instant::now();
    let gain_of = |c: usize, taken: &[bool]| -> f64 {
        sets.of(c)
            .iter()
            .filter(|&&p| !taken[p as usize])
            .map(|&p| people[p as usize])
            .sum()
    };
    let mut taken = vec![false; open.len()];
    let mut heap: BinaryHeap<Entry> = (0..input.candidates.len())
        .map(|c| Entry {
            gain: gain_of(c, &taken),
            candidate: c as u32,
            round: 0,
        })
        .filter(|e| e.gain > 0.0)
        .collect();
    let mut steps = Vec::with_capacity(input.k.min(input.candidates.len()));
    let mut covered = covered_before;
    for round in 0..input.k {
        let chosen = loop {
            let Some(top) = heap.pop() else { break None };
            if top.round == round {
                break Some(top);
            }
            let gain = gain_of(top.candidate as usize, &taken);
            if gain > 0.0 {
                heap.push(Entry {
                    gain,
                    candidate: top.candidate,
                    round,
                });
            }
        };
        let Some(chosen) = chosen else { break };
        for &p in sets.of(chosen.candidate as usize) {
            taken[p as usize] = true;
        }
        covered += chosen.gain;
        steps.push(Step {
            rank: round + 1,
            candidate: chosen.candidate,
            gain: chosen.gain,
            covered_after: covered,
        });
    }
    Ok(Plan {
        population_total,
        covered_before,
        steps,
        candidate_time,
        greedy_time: started.elapsed(),
    })
}

/// Per candidate, the positions in `open` of the points within the threshold,
/// ascending (compressed rows).
struct Sets {
    offsets: Vec<usize>,
    items: Vec<u32>,
}

impl Sets {
    fn of(&self, c: usize) -> &[u32] {
        &self.items[self.offsets[c]..self.offsets[c + 1]]
    }
}

fn candidate_sets(input: &SitingInput<'_>, open: &[u32]) -> Sets {
    let r = input.threshold_m;
    let sure_in = chord2_from_sphere_m(r / GEODESIC_OVER_SPHERE_MAX);
    let sure_out = chord2_from_sphere_m(r / GEODESIC_OVER_SPHERE_MIN);
    let vectors: Vec<[f64; 3]> = open
        .iter()
        .map(|&i| {
            let p = input.population[i as usize];
            unit_vector(p.0, p.1)
        })
        .collect();
    let tree = RTree::bulk_load(
        vectors
            .iter()
            .enumerate()
            .map(|(k, v)| GeomWithData::new(*v, k as u32))
            .collect(),
    );
    let list = |&(lon, lat): &(f64, f64)| -> Vec<u32> {
        let q = unit_vector(lon, lat);
        let mut found: Vec<u32> = tree
            .locate_within_distance(q, sure_out)
            .filter(|e| {
                let d2 = chord2(&q, &vectors[e.data as usize]);
                d2 <= sure_in || {
                    let p = input.population[open[e.data as usize] as usize];
                    geodesic_m(lon, lat, p.0, p.1) <= r
                }
            })
            .map(|e| e.data)
            .collect();
        found.sort_unstable();
        found
    };
    let chunk = input.candidates.len().div_ceil(input.threads.max(1)).max(1);
    let parts: Vec<(Vec<usize>, Vec<u32>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = input
            .candidates
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut lengths = Vec::with_capacity(part.len());
                    let mut items = Vec::new();
                    for c in part {
                        let found = list(c);
                        lengths.push(found.len());
                        items.extend(found);
                    }
                    (lengths, items)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut offsets = Vec::with_capacity(input.candidates.len() + 1);
    offsets.push(0);
    let mut items = Vec::with_capacity(parts.iter().map(|p| p.1.len()).sum());
    for (lengths, part) in parts {
        for n in lengths {
            offsets.push(offsets.last().copied().unwrap_or(0) + n);
        }
        items.extend(part);
    }
    Sets { offsets, items }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_biggest_gain_then_stops_when_nothing_is_left() {
        // Three clusters 100 km apart; threshold 10 km.
        let population = [
            (60.0, 40.0, 100.0),
            (60.01, 40.0, 50.0),
            (61.2, 40.0, 300.0),
            (62.4, 40.0, 10.0),
            (62.4, 40.01, 10.0),
        ];
        let covered = [false, false, false, true, false];
        let candidates = [(60.0, 40.0), (61.2, 40.0), (62.4, 40.0), (60.005, 40.0)];
        let got = plan(&SitingInput {
            population: &population,
            covered: &covered,
            candidates: &candidates,
            threshold_m: 10_000.0,
            k: 10,
            threads: 2,
        })
        .unwrap();
        assert_eq!(got.covered_before, 10.0);
        assert_eq!(got.population_total, 470.0);
        let picked: Vec<(u32, f64)> = got.steps.iter().map(|s| (s.candidate, s.gain)).collect();
        assert_eq!(picked, vec![(1, 300.0), (0, 150.0), (2, 10.0)]);
        assert_eq!(got.steps.last().map(|s| s.covered_after), Some(470.0));
        assert!(
            plan(&SitingInput {
                candidates: &[(200.0, 0.0)],
                ..SitingInput {
                    population: &population,
                    covered: &covered,
                    candidates: &[],
                    threshold_m: 1.0,
                    k: 1,
                    threads: 1
                }
            })
            .is_err()
        );
    }
}
