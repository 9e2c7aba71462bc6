//! Batch analyses shared by the CLI and the API: facilities reduced to per-sector point
//! sets, coverage of population per area, and nearest facilities for many points.

use crate::coverage::report::AreaLabel;
use crate::coverage::{
    self, AccessModel, CoverageInput, CoverageTable, GeodesicAccess, Thresholds,
};
use crate::import::sites::SiteRecord;
use crate::index::records::RecordRef;
use crate::model::{Area, Sector, Settlement, Status};
use crate::model::{PopulationPoint, country_bytes};
use crate::spatial::area_index::{LeftOut, NearbyAreas, area_country_codes};
use crate::spatial::geodesy::{GeoPoint, unit_vector};
use crate::spatial::points::{CoordIndex, NearestCursor};

/// Facilities as per-sector point sets.
pub struct Sites {
    /// Facility ids.
    pub ids: Vec<String>,
    /// Facility coordinates.
    pub lonlat: Vec<(f64, f64)>,
    /// Per sector ([`Sector::ALL`] order), the points.
    pub per_sector: Vec<CoordIndex>,
    /// Per sector, each point's facility (index into `ids`).
    pub members: Vec<Vec<u32>>,
    /// The countries (ISO 3166-1 alpha-2) with a hotline among the facilities: a
    /// hotline serves its whole country by phone, not a radius around its office.
    pub hotline_countries: std::collections::BTreeSet<[u8; 2]>,
}

impl Sites {
    /// From analysis records (files): active ones only, as [`Sites::from_facilities`].
    pub fn from_records(records: &[SiteRecord]) -> Self {
        Self::from_records_with_status(records, &[Status::Active])
    }

    /// From analysis records (files) whose status is one of `statuses`.
    pub fn from_records_with_status(records: &[SiteRecord], statuses: &[Status]) -> Self {
        let records: Vec<&SiteRecord> = records
            .iter()
            .filter(|r| statuses.contains(&r.status))
            .collect();
        let hotline_countries = records
            .iter()
            .filter(|r| r.sectors.contains(&Sector::Hotline))
            .filter_map(|r| r.country.as_deref().and_then(country_bytes))
            .collect();
        let mut sites = Self::build(
            records
                .iter()
                .map(|r| (r.id.clone(), r.lon, r.lat, r.sectors.clone()))
                .collect(),
        );
        sites.hotline_countries = hotline_countries;
        sites
    }

    /// From stored facilities: active ones only.
    pub fn from_facilities<'a>(facilities: impl IntoIterator<Item = RecordRef<'a>>) -> Self {
        Self::from_facilities_with_status(facilities, &[Status::Active])
    }

    /// From stored facilities whose status is one of `statuses`.
    pub fn from_facilities_with_status<'a>(
        facilities: impl IntoIterator<Item = RecordRef<'a>>,
        statuses: &[Status],
    ) -> Self {
        let records: Vec<RecordRef<'a>> = facilities
            .into_iter()
            .filter(|r| statuses.contains(&r.summary().status))
            .collect();
        let hotline_countries = records
            .iter()
            .filter(|r| r.has_sector(Sector::Hotline))
            .filter_map(|r| country_bytes(&r.decode().country))
            .collect();
        let mut sites = Self::build(
            records
                .iter()
                .map(|r| {
                    let (lon, lat) = r.lonlat();
                    (r.id().to_string(), lon, lat, r.sectors())
                })
                .collect(),
        );
        sites.hotline_countries = hotline_countries;
        sites
    }

    fn build(items: Vec<(String, f64, f64, Vec<Sector>)>) -> Self {
        let members: Vec<Vec<u32>> = Sector::ALL
            .iter()
            .map(|s| {
                (0..items.len() as u32)
                    .filter(|&i| items[i as usize].3.contains(s))
                    .collect()
            })
            .collect();
        let lonlat: Vec<(f64, f64)> = items.iter().map(|i| (i.1, i.2)).collect();
        let per_sector = members
            .iter()
            .map(|m| CoordIndex::new(m.iter().map(|&i| lonlat[i as usize]).collect()))
            .collect();
        Self {
            ids: items.into_iter().map(|i| i.0).collect(),
            lonlat,
            per_sector,
            members,
            hotline_countries: std::collections::BTreeSet::new(),
        }
    }

    /// The exact geodesic nearest facility of `sector` (ties by id): (facility, metres).
    pub fn nearest(&self, sector: Sector, lon: f64, lat: f64) -> Option<(u32, f64)> {
        let m = &self.members[sector.index()];
        self.per_sector[sector.index()]
            .nearest(
                lon,
                lat,
                1,
                |_| true,
                |a, b| self.ids[m[a as usize] as usize].cmp(&self.ids[m[b as usize] as usize]),
            )
            .first()
            .map(|&(d, p)| (m[p as usize], d))
    }

    /// [`Sites::nearest`] for one of many points visited in spatial order: `q` is the
    /// prepared point, `q` its unit vector, `cursor` this sector's state from the
    /// previous point.
    pub fn nearest_from(
        &self,
        sector: Sector,
        from: &GeoPoint,
        q: &[f64; 3],
        cursor: &mut NearestCursor,
    ) -> Option<(u32, f64)> {
        let m = &self.members[sector.index()];
        self.per_sector[sector.index()]
            .nearest_from(from, q, cursor, |a, b| {
                self.ids[m[a as usize] as usize].cmp(&self.ids[m[b as usize] as usize])
            })
            .map(|(d, p)| (m[p as usize], d))
    }
}

/// Options of a coverage run.
pub struct CoverageOptions {
    /// Sectors to analyse.
    pub sectors: Vec<Sector>,
    /// The minimum package.
    pub package: Vec<Sector>,
    /// Per-sector distances within which people count as covered.
    pub thresholds: Thresholds,
    /// Whether to compute distances.
    pub distances: bool,
}

/// A finished coverage run.
pub struct CoverageRun {
    /// People covered per area and sector.
    pub table: CoverageTable,
    /// Area labels, in area order.
    pub labels: Vec<AreaLabel>,
    /// Population points in no area given the nearest one of their country within
    /// [`crate::spatial::area_index::MAX_SNAP_DEGREES`].
    pub outside: usize,
    /// Population points (indices into the input) in no area and too far from every area
    /// of their country to be given one: counted in no area, with the reason.
    pub left_out: Vec<LeftOutPoint>,
    /// Time spent preparing the population points for the coverage (spatial sort, unit
    /// vectors, blocks).
    pub prepare_time: std::time::Duration,
    /// Time spent assigning points (and facilities) to areas: grid build and
    /// point-in-polygon, on a thread of its own *while* the points are prepared and the
    /// sectors tested (time waiting for the sorted points excluded), so the wall time of
    /// a run is less than the sum of the three.
    pub assign_time: std::time::Duration,
    /// Time spent on the coverage itself.
    pub compute_time: std::time::Duration,
}

/// A population point counted in no area (see [`NearbyAreas::snap`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeftOutPoint {
    /// Its index in the population given.
    pub index: u32,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// People.
    pub population: f64,
    /// Why it has no area.
    pub why: LeftOut,
}

/// Where each sector's facilities lie among a set of areas: per sector ([`Sector::ALL`]
/// order), per point of that sector's [`CoordIndex`], the index of the first area holding
/// it (none for one outside every area). It depends on the data only, not on thresholds,
/// so a caller that runs several analyses on the same data places the facilities once,
/// e.g. while the population is still loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteAreas {
    per_sector: Vec<Vec<Option<u32>>>,
}

impl SiteAreas {
    /// Places every facility of `sites` in `areas` (point-in-polygon on a grid sized for
    /// the facilities).
    pub fn locate(sites: &Sites, areas: &[Area]) -> Self {
        let polygons: Vec<_> = areas.iter().map(|a| a.geometry.clone()).collect();
        Self::locate_on(
            &crate::spatial::area_grid::AreaGrid::new(&polygons, sites.lonlat.len()),
            sites,
        )
    }

    /// Places every facility of `sites` with `grid`. Each sector's facilities go in their
    /// tree's order, so nearby ones come together and the grid's cells stay in cache.
    fn locate_on(grid: &crate::spatial::area_grid::AreaGrid<'_>, sites: &Sites) -> Self {
        let per_sector = sites
            .per_sector
            .iter()
            .map(|index| {
                let mut areas = vec![None; index.len()];
                for (j, lon, lat) in index.in_tree_order() {
                    areas[j as usize] = grid.locate(lon, lat);
                }
                areas
            })
            .collect();
        Self { per_sector }
    }

    /// Per sector, per facility point, its area.
    pub fn per_sector(&self) -> &[Vec<Option<u32>>] {
        &self.per_sector
    }
}

/// Coverage of `population` per area of `areas` by `sites`.
pub fn coverage(
    sites: &Sites,
    population: &[Settlement],
    areas: &[Area],
    options: &CoverageOptions,
) -> CoverageRun {
    let points: Vec<PopulationPoint> = population.iter().map(PopulationPoint::from).collect();
    coverage_of_points(sites, None, points, areas, options)
}

/// Coverage of population points (their `area` is assigned here) per area. The
/// facilities are placed in the areas here too unless `site_areas` (of the same sites
/// and areas) says where they are.
pub fn coverage_of_points(
    sites: &Sites,
    site_areas: Option<&SiteAreas>,
    population: Vec<PopulationPoint>,
    areas: &[Area],
    options: &CoverageOptions,
) -> CoverageRun {
    let model = GeodesicAccess::new(options.thresholds);
    coverage_by(&model, sites, site_areas, population, areas, options, false)
}

/// Coverage of population points that already carry their area (every `area` an index
/// into `areas`, e.g. from a column of the population file): no point-in-polygon for
/// them. The facilities are placed in the areas here unless `site_areas` (of the same
/// sites and areas) says where they are.
///
/// # Panics
/// When a point has no area or one out of range.
pub fn coverage_of_points_in_areas(
    sites: &Sites,
    site_areas: Option<&SiteAreas>,
    population: Vec<PopulationPoint>,
    areas: &[Area],
    options: &CoverageOptions,
) -> CoverageRun {
    let model = GeodesicAccess::new(options.thresholds);
    coverage_by(&model, sites, site_areas, population, areas, options, true)
}

/// Coverage of population points per area with any access model (e.g. travel time
/// over a friction surface, [`crate::travel::TravelTimeAccess`]): as
/// [`coverage_of_points`], or as [`coverage_of_points_in_areas`] when `areas_given`
/// (every point's `area` set). `options.thresholds` is the geodesic model's and is not
/// read here.
///
/// # Panics
/// With `areas_given`, when a point has no area or one out of range.
pub fn coverage_by(
    model: &dyn AccessModel,
    sites: &Sites,
    site_areas: Option<&SiteAreas>,
    mut population: Vec<PopulationPoint>,
    areas: &[Area],
    options: &CoverageOptions,
    areas_given: bool,
) -> CoverageRun {
    let needs_grid = !(areas_given && site_areas.is_some());
    let polygons: Vec<_> = if needs_grid {
        areas.iter().map(|a| a.geometry.clone()).collect()
    } else {
        Vec::new()
    };
    // Two halves run at the same time: the area assignment (grid build, facilities
    // placed unless `site_areas` has them, then point-in-polygon of the points in the
    // visiting order, for locality) on a thread of its own, while this thread prepares
    // the points and tests every sector; the per-area sums need both. With the areas
    // and the facilities' places given, there is nothing to assign.
    let (sender, receiver) = std::sync::mpsc::channel::<std::sync::Arc<Vec<(f64, f64)>>>();
    let (points, polygons) = (&population, &polygons);
    let assign = move || {
        let begun = std::time::Instant::now();
        let cells = if areas_given {
            sites.lonlat.len()
        } else {
            points.len()
        };
        let grid = crate::spatial::area_grid::AreaGrid::new(polygons, cells);
        let located = site_areas
            .is_none()
            .then(|| SiteAreas::locate_on(&grid, sites));
        if areas_given {
            return (None, located, begun.elapsed());
        }
        let started = std::time::Instant::now();
        let lonlat = receiver.recv().unwrap_or_default();
        let waited = started.elapsed();
        let assignment = grid.assign(&lonlat);
        (Some(assignment), located, begun.elapsed() - waited)
    };
    let (set, tests, prepare_time, coverage_time, assigned) = std::thread::scope(|scope| {
        let assigning = needs_grid.then(|| scope.spawn(assign));
        let started = std::time::Instant::now();
        let sorted = coverage::SortedPoints::of_population(points);
        // A send fails only if the other thread died (or needs no points); its join
        // below reports a death.
        let _ = sender.send(std::sync::Arc::clone(&sorted.lonlat));
        let set = coverage::PointSet::from_sorted(sorted);
        let prepare_time = started.elapsed();
        let started = std::time::Instant::now();
        let tests = coverage::test_sectors(
            model,
            &sites.per_sector,
            &options.sectors,
            &options.package,
            &set,
        );
        let coverage_time = started.elapsed();
        let assigned = match assigning {
            Some(handle) => handle
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            None => (None, None, std::time::Duration::ZERO),
        };
        (set, tests, prepare_time, coverage_time, assigned)
    });
    let (assignment, located, assign_time) = assigned;
    let mut outside = 0;
    let mut left_out = Vec::new();
    // Areas' countries: for snapping points outside every area, and for hotlines.
    let area_country = std::cell::OnceCell::new();
    if let Some(assignment) = assignment {
        for (i, a) in set.order().zip(&assignment.area) {
            population[i as usize].area = *a;
        }
        if !assignment.outside.is_empty() {
            let nearby = NearbyAreas::new(
                areas,
                area_country.get_or_init(|| area_country_codes(areas)),
            );
            for (i, p) in population.iter_mut().enumerate() {
                if p.area.is_some() {
                    continue;
                }
                match nearby.snap(p.lon, p.lat, p.country) {
                    Ok(area) => {
                        p.area = Some(area);
                        outside += 1;
                    }
                    Err(why) => left_out.push(LeftOutPoint {
                        index: i as u32,
                        lon: p.lon,
                        lat: p.lat,
                        population: p.population,
                        why,
                    }),
                }
            }
        }
    }
    let site_areas = located.as_ref().or(site_areas);
    let started_tabulate = std::time::Instant::now();
    // A hotline serves its whole country by phone: a point is reached when its country
    // (its record's, else its area's) has one.
    let mut tests = tests;
    if options.sectors.contains(&Sector::Hotline) || options.package.contains(&Sector::Hotline) {
        let area_country = area_country.get_or_init(|| area_country_codes(areas));
        tests.set_sector(Sector::Hotline, |i| {
            let p = &population[i];
            p.country
                .or_else(|| {
                    p.area
                        .and_then(|a| area_country.get(a as usize).copied().flatten())
                })
                .is_some_and(|c| sites.hotline_countries.contains(&c))
        });
    }
    let table = coverage::tabulate(
        model,
        &CoverageInput {
            sites: &sites.per_sector,
            population: &population,
            areas: areas.len(),
            sectors: &options.sectors,
            package: &options.package,
            distances: options.distances,
        },
        &set,
        tests,
        site_areas.map_or(&[][..], SiteAreas::per_sector),
    );
    let compute_time = coverage_time + started_tabulate.elapsed();
    crate::parallel::drop_later((population, set));
    // Checked while the sums are taken, not in a pass of its own.
    assert!(
        !areas_given || table.unplaced == 0,
        "every population point needs an area"
    );
    CoverageRun {
        table,
        labels: areas
            .iter()
            .map(|a| AreaLabel {
                code: a.code.clone(),
                name: a.name.clone(),
            })
            .collect(),
        outside,
        left_out,
        prepare_time,
        assign_time,
        compute_time,
    }
}

/// A nearest answer: the facility (index into [`Sites::ids`]) and its distance, metres.
pub type Nearest = Option<(u32, f64)>;

/// Points per run of [`batch_nearest`] (at least; at most 64 runs).
const RUN: usize = 256;

/// Answers of [`batch_nearest`]: per point, per sector asked, the nearest facility.
pub struct BatchNearest {
    sectors: usize,
    answers: Vec<Nearest>,
}

impl BatchNearest {
    /// Point `i`'s answers, in the order of the sectors asked.
    pub fn row(&self, i: usize) -> &[Nearest] {
        &self.answers[i * self.sectors..(i + 1) * self.sectors]
    }

    /// Every point's answers, in input order.
    pub fn rows(&self) -> impl Iterator<Item = &[Nearest]> {
        self.answers.chunks(self.sectors.max(1))
    }
}

/// For each point and sector, the exact geodesic nearest facility, using `threads`.
/// The points, in spatial order, are cut into runs that the threads take as they come
/// free; a run is answered one sector after another (the sector's tree stays in
/// cache, and each answer bounds the next search: see [`NearestCursor`]). Answers come
/// back in input order.
pub fn batch_nearest(
    sites: &Sites,
    points: &[(f64, f64)],
    sectors: &[Sector],
    threads: usize,
) -> BatchNearest {
    let order = crate::spatial::morton::spatial_order(points);
    let ns = sectors.len();
    // Runs of the curve handed out to the threads as they come free (even when some
    // regions cost more), each run long enough for its answers to bound each other.
    let runs: Vec<&[u32]> = order.chunks(RUN.max(order.len().div_ceil(64))).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let answered: Vec<(usize, Vec<Nearest>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.clamp(1, runs.len().max(1)))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let r = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(run) = runs.get(r) else { break };
                        let prepared: Vec<(GeoPoint, [f64; 3])> = run
                            .iter()
                            .map(|&i| {
                                let (lon, lat) = points[i as usize];
                                (GeoPoint::new(lon, lat), unit_vector(lon, lat))
                            })
                            .collect();
                        let mut found = vec![None; run.len() * ns];
                        for (k, &sector) in sectors.iter().enumerate() {
                            let mut cursor = NearestCursor::default();
                            for (j, (from, q)) in prepared.iter().enumerate() {
                                found[j * ns + k] =
                                    sites.nearest_from(sector, from, q, &mut cursor);
                            }
                        }
                        done.push((r, found));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut answers = vec![None; points.len() * ns];
    for (r, found) in answered {
        for (&i, row) in runs[r].iter().zip(found.chunks(ns.max(1))) {
            answers[i as usize * ns..(i as usize + 1) * ns].copy_from_slice(row);
        }
    }
    BatchNearest {
        sectors: ns,
        answers,
    }
}
