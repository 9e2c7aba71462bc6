//! Per-area coverage: population within reach of each sector and of the whole minimum
//! package, facility counts, population-weighted mean and median distance, ranks.

use super::AccessModel;
use crate::model::PopulationPoint;
use crate::model::Sector;
use crate::spatial::points::CoordIndex;
use serde::Serialize;

/// What a coverage computation needs.
pub struct CoverageInput<'a> {
    /// Per sector (in [`Sector::ALL`] order), the facilities' points.
    pub sites: &'a [CoordIndex],
    /// Population points, each with its area.
    pub population: &'a [PopulationPoint],
    /// Number of areas (area indices are `0..areas`).
    pub areas: usize,
    /// Sectors to analyse.
    pub sectors: &'a [Sector],
    /// The minimum package: covered for "all" means covered for every one of these.
    pub package: &'a [Sector],
    /// Whether to compute distances to the nearest facility (mean, median, catchment);
    /// costs one exact nearest search per point and sector.
    pub distances: bool,
}

/// One sector in one area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectorCoverage {
    /// Which sector these figures are for.
    pub sector: Sector,
    /// People within reach.
    pub pop_covered: f64,
    /// pop_covered / pop_total (0 when the area has no population).
    pub share: f64,
    /// Facilities of the sector in the area.
    pub facilities: usize,
    /// Population-weighted mean distance to the nearest facility, metres.
    pub mean_distance_m: Option<f64>,
    /// Population-weighted median distance to the nearest facility, metres.
    pub median_distance_m: Option<f64>,
}

/// One area's coverage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaCoverage {
    /// Index of the area.
    pub area: u32,
    /// People living in the area.
    pub pop_total: f64,
    /// Per analysed sector.
    pub sectors: Vec<SectorCoverage>,
    /// People within reach of every sector of the package.
    pub pop_all: f64,
    /// pop_all / pop_total.
    pub share_all: f64,
    /// People outside the reach of at least one package sector.
    pub uncovered: f64,
    /// Rank by uncovered people (1 = most).
    pub rank_uncovered: usize,
    /// Rank by uncovered share (1 = lowest share covered).
    pub rank_share: usize,
}

/// Every area's coverage, plus each point's nearest facility per sector when asked.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageTable {
    /// One row per area, in area order.
    pub areas: Vec<AreaCoverage>,
    /// Per analysed sector, per point: nearest facility index and distance (when asked).
    pub nearest: Vec<Vec<Option<(u32, f64)>>>,
    /// Points with no area (or one out of range), left out of every sum.
    pub unplaced: usize,
}

/// Computes coverage. `facility_area` gives, per sector, each facility's area (for counts).
pub fn compute(
    model: &dyn AccessModel,
    input: &CoverageInput<'_>,
    facility_area: &[Vec<Option<u32>>],
) -> CoverageTable {
    let points: Vec<(f64, f64)> = input.population.iter().map(|p| (p.lon, p.lat)).collect();
    compute_on(model, input, &super::PointSet::new(&points), facility_area)
}

/// [`compute`] with the population's points already prepared as `set`.
pub fn compute_on(
    model: &dyn AccessModel,
    input: &CoverageInput<'_>,
    set: &super::PointSet,
    facility_area: &[Vec<Option<u32>>],
) -> CoverageTable {
    let tested = test_sectors(model, input.sites, input.sectors, input.package, set);
    tabulate(model, input, set, tested, facility_area)
}

/// Which points each sector covers: the first half of [`compute_on`], which needs no
/// areas (so it can run while the points are being assigned to areas).
pub struct SectorTests {
    /// Every sector analysed or in the package, each once (analysed ones first).
    tested: Vec<Sector>,
    /// Per point (input order), bit `k`: covered for tested sector `k`.
    bits: Vec<u16>,
}

impl SectorTests {
    /// Replaces `sector`'s results (when it was tested) with `covered(point)`, points in
    /// input order: for a sector whose reach is not a distance (a hotline's country).
    pub fn set_sector(&mut self, sector: Sector, covered: impl Fn(usize) -> bool) {
        let Some(k) = self.tested.iter().position(|&s| s == sector) else {
            return;
        };
        for (i, bits) in self.bits.iter_mut().enumerate() {
            *bits = (*bits & !(1 << k)) | (u16::from(covered(i)) << k);
        }
    }
}

/// Tests every sector of `sectors` and `package` once against the points of `set`.
pub fn test_sectors(
    model: &dyn AccessModel,
    sites: &[CoordIndex],
    sectors: &[Sector],
    package: &[Sector],
    set: &super::PointSet,
) -> SectorTests {
    // Each sector once (a sector named twice is tested once): at most six tests.
    let mut tested: Vec<Sector> = Vec::with_capacity(Sector::ALL.len());
    for &s in sectors.iter().chain(package) {
        if !tested.contains(&s) {
            tested.push(s);
        }
    }
    let tests: Vec<(Sector, &CoordIndex)> =
        tested.iter().map(|&s| (s, &sites[s.index()])).collect();
    let bits = model.covered_bits(&tests, set);
    SectorTests { tested, bits }
}

/// Points per piece of a parallel tabulation (and the most cells of a piece's table).
const TABULATE_PIECE: usize = 1 << 16;

/// People per area (of `areas`) and pattern of test results (`patterns` of them):
/// `sums[area * patterns + flags[i]]` adds point `i`'s people; also the number of points
/// left out (no area, or one out of range). Large inputs in fixed pieces on every core,
/// summed in piece order: the same sums whatever the number of cores.
fn pattern_sums(
    population: &[PopulationPoint],
    flags: &[u16],
    areas: usize,
    patterns: usize,
) -> (Vec<f64>, usize) {
    let piece_sums = |first: usize, len: usize| {
        let mut sums = vec![0.0; areas * patterns];
        let mut unplaced = 0;
        let points = population[first..first + len].iter();
        for (p, &f) in points.zip(&flags[first..first + len]) {
            match p.area.map(|a| a as usize).filter(|&a| a < areas) {
                Some(a) => sums[a * patterns + usize::from(f)] += p.population,
                None => unplaced += 1,
            }
        }
        (sums, unplaced)
    };
    let points = population.len().min(flags.len());
    if points < 2 * TABULATE_PIECE || areas * patterns > TABULATE_PIECE {
        return piece_sums(0, points);
    }
    let pieces: Vec<usize> = (0..points).step_by(TABULATE_PIECE).collect();
    let parts = crate::parallel::each_task(pieces, |first| {
        piece_sums(first, TABULATE_PIECE.min(points - first))
    });
    let mut sums = vec![0.0; areas * patterns];
    let mut unplaced = 0;
    for (part, left_out) in parts {
        for (s, v) in sums.iter_mut().zip(part) {
            *s += v;
        }
        unplaced += left_out;
    }
    (sums, unplaced)
}

/// The second half of [`compute_on`]: per-area sums of the tests (`input.population`
/// must carry its areas by now), distances when asked, ranks.
pub fn tabulate(
    model: &dyn AccessModel,
    input: &CoverageInput<'_>,
    set: &super::PointSet,
    tests: SectorTests,
    facility_area: &[Vec<Option<u32>>],
) -> CoverageTable {
    let SectorTests {
        tested,
        bits: flags,
    } = tests;
    let package_mask = input
        .package
        .iter()
        .filter_map(|s| tested.iter().position(|x| x == s))
        .fold(0u16, |m, k| m | 1 << k);
    let nearest: Vec<Vec<Option<(u32, f64)>>> = if input.distances {
        input
            .sectors
            .iter()
            .map(|&s| {
                let by_position = crate::parallel::map_chunks(&set.lonlat, |part| {
                    part.iter()
                        .map(|&(lon, lat)| model.nearest(&input.sites[s.index()], lon, lat))
                        .collect()
                });
                set.to_input_order(&by_position)
            })
            .collect()
    } else {
        Vec::new()
    };

    let n = input.areas;
    let sectors = input.sectors.len();
    // People per area and pattern of test results (at most 2⁶ patterns: one test per
    // sector), one addition per point; each column is then a sum over patterns.
    let patterns = 1usize << tested.len();
    let (sums, unplaced) = pattern_sums(input.population, &flags, n, patterns);
    crate::parallel::drop_later(flags);
    let column = |a: usize, keep: &dyn Fn(usize) -> bool| -> f64 {
        (0..patterns)
            .filter(|&f| keep(f))
            .map(|f| sums[a * patterns + f])
            .sum()
    };
    let pop_total: Vec<f64> = (0..n).map(|a| column(a, &|_| true)).collect();
    let pop_all: Vec<f64> = (0..n)
        .map(|a| {
            column(a, &|f| {
                f & usize::from(package_mask) == usize::from(package_mask)
            })
        })
        .collect();
    let pop_cov: Vec<Vec<f64>> = input
        .sectors
        .iter()
        .map(|s| {
            let k = tested.iter().position(|t| t == s).unwrap_or(usize::MAX);
            (0..n)
                .map(|a| column(a, &|f| f.checked_shr(k as u32).is_some_and(|b| b & 1 == 1)))
                .collect()
        })
        .collect();
    let mut dist: Vec<Vec<Vec<(f64, f64)>>> = vec![vec![Vec::new(); n]; sectors];
    if !nearest.is_empty() {
        for (i, p) in input.population.iter().enumerate() {
            let Some(a) = p.area.map(|a| a as usize).filter(|&a| a < n) else {
                continue;
            };
            for (k, per_point) in nearest.iter().enumerate() {
                if let Some((_, d)) = per_point[i] {
                    dist[k][a].push((d, p.population));
                }
            }
        }
    }
    // Facilities per sector and area.
    let mut facilities = vec![vec![0usize; n]; facility_area.len().max(Sector::ALL.len())];
    for (per_area, areas) in facilities.iter_mut().zip(facility_area) {
        for a in areas.iter().flatten() {
            if let Some(count) = per_area.get_mut(*a as usize) {
                *count += 1;
            }
        }
    }
    let share = |num: f64, den: f64| if den > 0.0 { num / den } else { 0.0 };
    let mut rows: Vec<AreaCoverage> = (0..n)
        .map(|a| AreaCoverage {
            area: a as u32,
            pop_total: pop_total[a],
            sectors: input
                .sectors
                .iter()
                .enumerate()
                .map(|(k, &s)| SectorCoverage {
                    sector: s,
                    pop_covered: pop_cov[k][a],
                    share: share(pop_cov[k][a], pop_total[a]),
                    facilities: facilities[s.index()][a],
                    mean_distance_m: weighted_mean(&dist[k][a]),
                    median_distance_m: weighted_median(&mut dist[k][a]),
                })
                .collect(),
            pop_all: pop_all[a],
            share_all: share(pop_all[a], pop_total[a]),
            uncovered: pop_total[a] - pop_all[a],
            rank_uncovered: 0,
            rank_share: 0,
        })
        .collect();
    let mut by_people: Vec<usize> = (0..n).collect();
    by_people.sort_by(|&a, &b| {
        rows[b]
            .uncovered
            .total_cmp(&rows[a].uncovered)
            .then(a.cmp(&b))
    });
    for (rank, &a) in by_people.iter().enumerate() {
        rows[a].rank_uncovered = rank + 1;
    }
    let mut by_share: Vec<usize> = (0..n).collect();
    by_share.sort_by(|&a, &b| {
        rows[a]
            .share_all
            .total_cmp(&rows[b].share_all)
            .then(rows[b].pop_total.total_cmp(&rows[a].pop_total))
            .then(a.cmp(&b))
    });
    for (rank, &a) in by_share.iter().enumerate() {
        rows[a].rank_share = rank + 1;
    }
    CoverageTable {
        areas: rows,
        nearest,
        unplaced,
    }
}

fn weighted_mean(values: &[(f64, f64)]) -> Option<f64> {
    let weight: f64 = values.iter().map(|(_, w)| w).sum();
    (weight > 0.0).then(|| values.iter().map(|(d, w)| d * w).sum::<f64>() / weight)
}

/// The distance below which half the people live (lower weighted median).
fn weighted_median(values: &mut [(f64, f64)]) -> Option<f64> {
    let weight: f64 = values.iter().map(|(_, w)| w).sum();
    if weight <= 0.0 {
        return None;
    }
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut acc = 0.0;
    for &(d, w) in values.iter() {
        acc += w;
        if acc >= weight / 2.0 {
            return Some(d);
        }
    }
    values.last().map(|v| v.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_sums_in_pieces_equal_one_pass_over_the_points() {
        // 300,000 points: pieces on every core; one in 17 in no area, one in 13 with an
        // area out of range (both counted nowhere); weights exact in binary.
        let (areas, patterns) = (37, 16);
        let population: Vec<PopulationPoint> = (0..300_000u32)
            .map(|i| PopulationPoint {
                lon: 0.0,
                lat: 0.0,
                population: f64::from(i % 1_000) * 0.25,
                area: match i {
                    i if i % 17 == 0 => None,
                    i if i % 13 == 0 => Some(1_000),
                    i => Some(i * 7 % 37),
                },
                country: None,
            })
            .collect();
        let flags: Vec<u16> = (0..300_000u32).map(|i| (i * 11 % 16) as u16).collect();
        let mut expected = vec![0.0; areas * patterns];
        let mut left_out = 0;
        for (p, &f) in population.iter().zip(&flags) {
            match p.area.filter(|&a| (a as usize) < areas) {
                Some(a) => expected[a as usize * patterns + usize::from(f)] += p.population,
                None => left_out += 1,
            }
        }
        assert_eq!(
            pattern_sums(&population, &flags, areas, patterns),
            (expected.clone(), left_out)
        );
        assert_eq!(
            left_out,
            (0..300_000u32)
                .filter(|i| i % 17 == 0 || i % 13 == 0)
                .count()
        );
        assert!(expected.iter().all(|&s| s > 0.0), "every cell reached");
    }
}
