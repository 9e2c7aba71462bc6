//! Which area each population point belongs to: planar point-in-polygon in lon/lat (as
//! COD-AB boundaries and PostGIS `geometry` define it). A point in several areas (on an
//! edge they share, or where polygons overlap) goes to the first of them in input order;
//! a point in no area is listed as outside, for the caller to snap to a nearby area of
//! its own country ([`crate::spatial::area_index::NearbyAreas`]) or to report.
//!
//! **How it is fast: an [`AreaGrid`].** A uniform lon/lat grid over the areas' bounding
//! box. A cell that some area's boundary touches (found conservatively: the boundary is
//! cut into pieces shorter than a cell and every cell within 1e-9° of a piece's box is
//! marked) is *mixed*; every other cell is *pure*: no boundary passes through it or near
//! it, so all its points lie in the same areas, and a scanline fill decides that once per
//! cell. A point in a pure cell takes its cell's answer; a point in a mixed cell is tested
//! exactly (`geo`'s `Intersects`, edges included) against the areas whose boundary touches
//! the cell, and takes the first of those that hold it or the first area wholly holding
//! the cell, whichever comes first in input order.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{BoundingRect, Coord, LineString, MultiPolygon};

/// The result of assigning points to areas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaAssignment {
    /// Per point, the index of the first area holding it (`None` when none does).
    pub area: Vec<Option<u32>>,
    /// The points inside no area, ascending.
    pub outside: Vec<u32>,
}

/// The area holding each point (see [`AreaGrid::assign`]).
pub fn assign_to_areas(areas: &[MultiPolygon<f64>], points: &[(f64, f64)]) -> AreaAssignment {
    AreaGrid::new(areas, points.len()).assign(points)
}

/// No area (in a cell or an answer).
const NONE: u32 = u32::MAX;
/// Marks a mixed cell; the low bits index [`AreaGrid::mixed`].
const MIXED: u32 = 1 << 31;
/// Margin around boundary pieces, degrees: far above rounding errors (~1e-14°).
const EPS: f64 = 1e-9;

/// A mixed cell: areas whose boundary touches it, and the first area holding all of it.
#[derive(Debug, Clone, Copy)]
struct Mixed {
    /// The first area (input order) wholly holding the cell, or [`NONE`].
    whole: u32,
    /// `touching[start..end]`: the areas whose boundary touches the cell, ascending.
    start: u32,
    end: u32,
}

/// Point location in a set of areas (see the module documentation).
pub struct AreaGrid<'a> {
    areas: &'a [MultiPolygon<f64>],
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    dx: f64,
    dy: f64,
    nx: usize,
    ny: usize,
    /// Per cell (row-major): the first area holding it, [`NONE`], or `MIXED | index`.
    cells: Vec<u32>,
    mixed: Vec<Mixed>,
    touching: Vec<u32>,
}

impl<'a> AreaGrid<'a> {
    /// Prepares `areas` for locating about `points` points (the grid gets a few cells
    /// per point, at most 4 million).
    pub fn new(areas: &'a [MultiPolygon<f64>], points: usize) -> Self {
        let rects: Vec<_> = areas.iter().filter_map(|a| a.bounding_rect()).collect();
        let mut grid = Self {
            areas,
            x0: 0.0,
            y0: 0.0,
            x1: -1.0,
            y1: -1.0,
            dx: 1.0,
            dy: 1.0,
            nx: 0,
            ny: 0,
            cells: Vec::new(),
            mixed: Vec::new(),
            touching: Vec::new(),
        };
        if rects.is_empty() {
            return grid;
        }
        let (x0, y0) = rects
            .iter()
            .fold((f64::INFINITY, f64::INFINITY), |(x, y), r| {
                (x.min(r.min().x), y.min(r.min().y))
            });
        let (x1, y1) = rects
            .iter()
            .fold((f64::NEG_INFINITY, f64::NEG_INFINITY), |(x, y), r| {
                (x.max(r.max().x), y.max(r.max().y))
            });
        let (w, h) = ((x1 - x0).max(1e-6), (y1 - y0).max(1e-6));
        let target = (2 * points).clamp(4_096, 1 << 22) as f64;
        let side = (w * h / target).sqrt();
        let nx = ((w / side).ceil() as usize).clamp(1, 1 << 14);
        let ny = ((h / side).ceil() as usize).clamp(1, 1 << 14);
        grid.x0 = x0;
        grid.y0 = y0;
        grid.x1 = x1;
        grid.y1 = y1;
        grid.nx = nx;
        grid.ny = ny;
        grid.dx = w / nx as f64;
        grid.dy = h / ny as f64;
        grid.cells = vec![NONE; nx * ny];
        grid.mark_boundaries();
        grid.fill();
        grid
    }

    /// Column of a longitude (clamped to the grid).
    fn column(&self, x: f64) -> usize {
        // `as` truncates, which is the floor for the non-negative values and gives 0 for
        // negative ones (and NaN): the same as `floor().max(0.0)`, without a libm call.
        (((x - self.x0) / self.dx) as usize).min(self.nx - 1)
    }

    /// Row of a latitude (clamped to the grid).
    fn row(&self, y: f64) -> usize {
        (((y - self.y0) / self.dy) as usize).min(self.ny - 1)
    }

    /// Every ring edge of every area, with its area.
    fn edges(&self) -> impl Iterator<Item = (u32, geo::Line<f64>)> + '_ {
        self.areas.iter().enumerate().flat_map(|(k, a)| {
            a.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|ring| ring.lines())
                .map(move |l| (k as u32, l))
        })
    }

    /// Marks the cells every boundary touches and lists, per such cell, the areas whose
    /// boundary touches it.
    fn mark_boundaries(&mut self) {
        // Per touched cell and area, `cell << 32 | area`.
        let mut pairs: Vec<u64> = Vec::new();
        for (k, line) in self.edges() {
            let (a, b) = (line.start, line.end);
            let steps = ((b.x - a.x).abs() / self.dx)
                .max((b.y - a.y).abs() / self.dy)
                .ceil()
                .clamp(1.0, 1e7) as usize;
            let at = |t: usize| {
                if t == 0 {
                    a
                } else if t == steps {
                    b
                } else {
                    let f = t as f64 / steps as f64;
                    geo::coord! { x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f }
                }
            };
            for t in 0..steps {
                let (p, q) = (at(t), at(t + 1));
                let (i0, i1) = (
                    self.column(p.x.min(q.x) - EPS),
                    self.column(p.x.max(q.x) + EPS),
                );
                let (j0, j1) = (self.row(p.y.min(q.y) - EPS), self.row(p.y.max(q.y) + EPS));
                for j in j0..=j1 {
                    for i in i0..=i1 {
                        pairs.push(((j * self.nx + i) as u64) << 32 | u64::from(k));
                    }
                }
            }
        }
        // Areas come in ascending order, and the sort by cell is stable.
        crate::spatial::morton::radix_sort_high32(&mut pairs);
        pairs.dedup();
        for run in pairs.chunk_by(|a, b| a >> 32 == b >> 32) {
            let start = self.touching.len() as u32;
            self.touching.extend(run.iter().map(|&p| p as u32));
            self.cells[(run[0] >> 32) as usize] = MIXED | self.mixed.len() as u32;
            self.mixed.push(Mixed {
                whole: NONE,
                start,
                end: self.touching.len() as u32,
            });
        }
    }

    /// Latitude of the centre of row `j`.
    fn row_centre(&self, j: usize) -> f64 {
        self.y0 + (j as f64 + 0.5) * self.dy
    }

    /// Scanline fill: for every area and row, the cells whose centre lies inside the area
    /// (even-odd over each polygon's rings at the row's centre line). Such a cell that no
    /// boundary touches is wholly inside; a mixed cell that this area's boundary does not
    /// touch is wholly inside this area too.
    fn fill(&mut self) {
        let mut crossings: Vec<(usize, usize, f64)> = Vec::new();
        for (k, area) in self.areas.iter().enumerate() {
            crossings.clear();
            for (p, polygon) in area.0.iter().enumerate() {
                let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
                for line in rings.flat_map(|r| r.lines()) {
                    let (a, b) = (line.start, line.end);
                    if a.y == b.y {
                        continue;
                    }
                    let (lo, hi) = (self.row(a.y.min(b.y)), self.row(a.y.max(b.y)));
                    for j in lo..=hi {
                        let y = self.row_centre(j);
                        if (a.y > y) != (b.y > y) {
                            crossings.push((j, p, a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)));
                        }
                    }
                }
            }
            crossings
                .sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
            // Closed rings cross a row line an even number of times: pair them up.
            for group in crossings.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
                for pair in group.chunks_exact(2) {
                    self.fill_span(k as u32, pair[0].0, pair[0].2, pair[1].2);
                }
            }
        }
    }

    /// Area `k` holds the centres of row `j` strictly between `xa` and `xb`.
    fn fill_span(&mut self, k: u32, j: usize, xa: f64, xb: f64) {
        let lo = ((xa - self.x0) / self.dx - 0.5).floor().max(0.0) as usize;
        let hi = ((((xb - self.x0) / self.dx - 0.5).ceil()).max(0.0) as usize).min(self.nx - 1);
        for i in lo..=hi {
            let centre = self.x0 + (i as f64 + 0.5) * self.dx;
            if !(xa < centre && centre < xb) {
                continue;
            }
            let cell = &mut self.cells[j * self.nx + i];
            if *cell == NONE || *cell & MIXED == 0 {
                *cell = (*cell).min(k);
            } else {
                let m = &mut self.mixed[(*cell & !MIXED) as usize];
                let touched = &self.touching[m.start as usize..m.end as usize];
                if touched.binary_search(&k).is_err() {
                    m.whole = m.whole.min(k);
                }
            }
        }
    }

    /// The first area (input order) holding `(lon, lat)`, edges included, if any.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<u32> {
        if !(self.x0 <= lon && lon <= self.x1 && self.y0 <= lat && lat <= self.y1) {
            return None;
        }
        let cell = self.cells[self.row(lat) * self.nx + self.column(lon)];
        if cell == NONE {
            return None;
        }
        if cell & MIXED == 0 {
            return Some(cell);
        }
        let m = self.mixed[(cell & !MIXED) as usize];
        let p = geo::coord! { x: lon, y: lat };
        let touched = &self.touching[m.start as usize..m.end as usize];
        let hit = touched
            .iter()
            .copied()
            .take_while(|&k| k < m.whole)
            .find(|&k| holds(&self.areas[k as usize], p));
        match hit.unwrap_or(m.whole) {
            NONE => None,
            k => Some(k),
        }
    }

    /// The area of every point, and the points in no area.
    pub fn assign(&self, points: &[(f64, f64)]) -> AreaAssignment {
        let area: Vec<Option<u32>> = crate::parallel::map_chunks(points, |part| {
            part.iter().map(|&(x, y)| self.locate(x, y)).collect()
        });
        let outside = (0..points.len() as u32)
            .filter(|&i| area[i as usize].is_none())
            .collect();
        AreaAssignment { area, outside }
    }
}

/// Whether `p` lies in `area` or on its boundary: even-odd ray crossing with exact
/// orientation predicates (the same answer as `geo`'s `Intersects`).
fn holds(area: &MultiPolygon<f64>, p: Coord<f64>) -> bool {
    area.0
        .iter()
        .any(|polygon| match ring_position(polygon.exterior(), p) {
            Position::Outside => false,
            Position::Boundary => true,
            Position::Inside => polygon
                .interiors()
                .iter()
                .all(|hole| ring_position(hole, p) != Position::Inside),
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Inside,
    Boundary,
    Outside,
}

/// Where `p` lies relative to a closed ring.
fn ring_position(ring: &LineString<f64>, p: Coord<f64>) -> Position {
    let mut inside = false;
    for line in ring.lines() {
        let (a, b) = (line.start, line.end);
        if p.y < a.y.min(b.y) || p.y > a.y.max(b.y) {
            continue;
        }
        let o = RobustKernel::orient2d(a, b, p);
        if o == Orientation::Collinear && a.x.min(b.x) <= p.x && p.x <= a.x.max(b.x) {
            return Position::Boundary;
        }
        // The ray from `p` towards +x crosses an upward edge with `p` on its left, a
        // downward one with `p` on its right (half-open in y: each vertex counted once).
        if (a.y > p.y) != (b.y > p.y) {
            let upward = b.y > a.y;
            if (upward && o == Orientation::CounterClockwise)
                || (!upward && o == Orientation::Clockwise)
            {
                inside = !inside;
            }
        }
    }
    if inside {
        Position::Inside
    } else {
        Position::Outside
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Intersects, Point, polygon};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn shared_edges_go_to_the_first_area_and_gaps_to_none() {
        let west = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)],
        ]);
        let east = MultiPolygon(vec![
            polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0)],
        ]);
        let far = MultiPolygon(vec![
            polygon![(x: 3.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 1.0), (x: 3.0, y: 1.0)],
        ]);
        let got = assign_to_areas(
            &[west, east, far],
            &[(0.5, 0.5), (1.0, 0.5), (1.5, 0.5), (2.6, 0.5), (1.0, 0.2)],
        );
        assert_eq!(got.area, vec![Some(0), Some(0), Some(1), None, Some(0)]);
        assert_eq!(got.outside, vec![3]);
    }

    /// The first area intersecting the point, by testing every area.
    fn exhaustive(areas: &[MultiPolygon<f64>], x: f64, y: f64) -> Option<u32> {
        let p = Point::new(x, y);
        (0..areas.len() as u32).find(|&k| areas[k as usize].intersects(&p))
    }

    #[test]
    fn the_grid_equals_an_exhaustive_test_on_edges_vertices_holes_and_overlaps() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        // Irregular convex-ish cells sharing vertices, one with a hole, two overlapping,
        // one multipolygon; coordinates on a 0.25° lattice so many points fall exactly
        // on edges and vertices.
        let mut areas = Vec::new();
        for i in 0..6 {
            for j in 0..4 {
                let (x, y) = (f64::from(i) * 1.5, f64::from(j));
                areas.push(MultiPolygon(vec![polygon![
                    (x: x, y: y), (x: x + 1.5, y: y + 0.25), (x: x + 1.5, y: y + 1.25), (x: x, y: y + 1.0)
                ]]));
            }
        }
        areas.push(MultiPolygon(vec![polygon!(
            exterior: [(x: 2.0, y: 1.0), (x: 4.0, y: 1.0), (x: 4.0, y: 3.0), (x: 2.0, y: 3.0)],
            interiors: [[(x: 2.5, y: 1.5), (x: 3.5, y: 1.5), (x: 3.5, y: 2.5), (x: 2.5, y: 2.5)]],
        )]));
        areas.insert(
            3,
            MultiPolygon(vec![
                polygon![(x: 0.5, y: 0.5), (x: 1.75, y: 0.5), (x: 1.0, y: 2.0)],
                polygon![(x: 7.0, y: 3.0), (x: 8.0, y: 3.5), (x: 7.25, y: 4.5)],
            ]),
        );
        let mut points: Vec<(f64, f64)> = (0..20_000)
            .map(|_| {
                let x: f64 = rng.random_range(-0.5..9.5);
                let y: f64 = rng.random_range(-0.5..5.0);
                if rng.random_bool(0.3) {
                    ((x * 4.0).round() / 4.0, (y * 4.0).round() / 4.0)
                } else {
                    (x, y)
                }
            })
            .collect();
        // Points on sloping edges, exactly where the edge's equation puts them.
        for k in 0..200 {
            let t = f64::from(k) / 200.0;
            points.push((1.5 * t, 0.25 * t));
            points.push((1.5 + 1.5 * t, 1.0 + 0.25 * t));
        }
        for cells in [10, 1_000, 100_000] {
            let grid = AreaGrid::new(&areas, cells);
            for &(x, y) in &points {
                assert_eq!(
                    grid.locate(x, y),
                    exhaustive(&areas, x, y),
                    "({x}, {y}) with {cells}"
                );
            }
        }
    }
}
