//! Where to add sites by travel time: greedy maximal covering over a friction surface,
//! the existing facilities fixed. A person is covered when the least time between her
//! cell and a facility's is at most the threshold (inclusive); each candidate's reach
//! comes from one bounded search outwards from its cell (the move cost is symmetric, so
//! that is the time from the new site to each cell).

use super::engine::Moves;
use super::point_search::{SearchLimits, settle_from};
use super::surface::FrictionSurface;
use std::collections::{BinaryHeap, HashMap};
use std::ops::ControlFlow;

/// One placed site.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeStep {
    /// The candidate (index into the input).
    pub candidate: usize,
    /// People newly within the threshold.
    pub gain: f64,
    /// People within the threshold after this site.
    pub covered_after: f64,
}

/// A plan by travel time.
#[derive(Debug, Clone, PartialEq)]
pub struct TimePlan {
    /// People at all the points.
    pub population_total: f64,
    /// People within the threshold of an existing facility.
    pub covered_before: f64,
    /// The sites, best first (fewer than `k` when no candidate adds anyone).
    pub steps: Vec<TimeStep>,
}

/// Places up to `k` of `candidates` (lon, lat) one after another, each the one adding
/// the most people of `population` (lon, lat, people) within `threshold` minutes (ties:
/// the first candidate), the facilities in the cells `existing` fixed. Points and
/// candidates off the surface or in impassable cells reach nothing.
pub fn plan_by_time(
    surface: &FrictionSurface,
    existing: &[usize],
    population: &[(f64, f64, f64)],
    candidates: &[(f64, f64)],
    threshold: f64,
    k: usize,
) -> TimePlan {
    let times = surface.travel_times(existing, Moves::King, threshold);
    let mut total = 0.0;
    let mut before = 0.0;
    // Uncovered people per cell.
    let mut left: HashMap<u32, f64> = HashMap::new();
    for &(lon, lat, people) in population {
        total += people;
        let Some(cell) = surface.cell_of(lon, lat) else {
            continue;
        };
        if times.minutes(cell) <= threshold {
            before += people;
        } else if surface.friction(cell).is_some() {
            *left.entry(cell as u32).or_default() += people;
        }
    }
    drop(times);
    let limits = SearchLimits {
        minutes: threshold,
        cells: usize::MAX,
    };
    let tasks: Vec<usize> = (0..candidates.len()).collect();
    let reach: Vec<Vec<u32>> = crate::parallel::each_task(tasks, |i| {
        let (lon, lat) = candidates[i];
        let mut cells = Vec::new();
        if let Some(start) = surface.cell_of(lon, lat) {
            settle_from(surface, start, limits, |cell, _| {
                if left.contains_key(&(cell as u32)) {
                    cells.push(cell as u32);
                }
                ControlFlow::Continue(())
            });
        }
        cells
    });
    let gain_of = |left: &HashMap<u32, f64>, i: usize| -> f64 {
        reach[i]
            .iter()
            .map(|c| left.get(c).copied().unwrap_or(0.0))
            .sum()
    };
    // Lazy greedy: gains only fall as sites are placed, so a candidate whose gain was
    // computed this round and tops the heap is the best.
    let mut heap: BinaryHeap<(Gain, std::cmp::Reverse<usize>, usize)> = (0..candidates.len())
        .map(|i| (Gain(gain_of(&left, i)), std::cmp::Reverse(i), 0))
        .collect();
    let mut steps = Vec::new();
    let mut covered = before;
    let mut round = 0;
    while steps.len() < k {
        let Some((Gain(g), std::cmp::Reverse(i), at)) = heap.pop() else {
            break;
        };
        if at != round {
            heap.push((Gain(gain_of(&left, i)), std::cmp::Reverse(i), round));
            continue;
        }
        if g <= 0.0 {
            break;
        }
        for c in &reach[i] {
            left.remove(c);
        }
        covered += g;
        steps.push(TimeStep {
            candidate: i,
            gain: g,
            covered_after: covered,
        });
        round += 1;
    }
    TimePlan {
        population_total: total,
        covered_before: before,
        steps,
    }
}

/// A gain, ordered (gains are finite sums of people).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Gain(f64);
impl Eq for Gain {}
impl PartialOrd for Gain {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Gain {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_greedy_plan_equals_a_plain_greedy_over_engine_times() {
        let (w, h) = (30, 20);
        let mut x = 7u64;
        let values: Vec<f32> = (0..w * h)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (x >> 33) as f32 / (1u64 << 31) as f32;
                if u < 0.1 { 0.0 } else { 0.01 + u * 0.04 }
            })
            .collect();
        let s = FrictionSurface::new(w, h, (70.0, 42.0), (0.02, 0.02), &values, None).unwrap();
        let centre = |c: usize| s.centre(c / w, c % w);
        let population: Vec<(f64, f64, f64)> = (0..w * h)
            .step_by(7)
            .map(|c| {
                let (lon, lat) = centre(c);
                (lon, lat, (c % 13 + 1) as f64)
            })
            .collect();
        let candidates: Vec<(f64, f64)> = (0..w * h).step_by(11).map(centre).collect();
        let existing = [45usize];
        let threshold = 40.0;
        let plan = plan_by_time(&s, &existing, &population, &candidates, threshold, 4);
        // Plain greedy from full engine runs.
        let base = s.travel_times(&existing, Moves::King, f64::INFINITY);
        let cell = |p: &(f64, f64, f64)| s.cell_of(p.0, p.1).unwrap();
        let mut covered: Vec<bool> = population
            .iter()
            .map(|p| base.minutes(cell(p)) <= threshold)
            .collect();
        let before: f64 = population
            .iter()
            .zip(&covered)
            .filter(|(_, c)| **c)
            .map(|(p, _)| p.2)
            .sum();
        assert_eq!(plan.covered_before, before);
        let runs: Vec<_> = candidates
            .iter()
            .map(|&(lon, lat)| {
                s.travel_times(&[s.cell_of(lon, lat).unwrap()], Moves::King, f64::INFINITY)
            })
            .collect();
        for step in &plan.steps {
            let gains: Vec<f64> = runs
                .iter()
                .map(|t| {
                    population
                        .iter()
                        .zip(&covered)
                        .filter(|(p, c)| !**c && t.minutes(cell(p)) <= threshold)
                        .map(|(p, _)| p.2)
                        .sum()
                })
                .collect();
            let best = gains.iter().copied().fold(0.0, f64::max);
            let first = gains.iter().position(|&g| g == best).unwrap();
            assert_eq!((step.candidate, step.gain), (first, best));
            for (p, c) in population.iter().zip(covered.iter_mut()) {
                if runs[first].minutes(cell(p)) <= threshold {
                    *c = true;
                }
            }
        }
        assert!(!plan.steps.is_empty());
    }
}
