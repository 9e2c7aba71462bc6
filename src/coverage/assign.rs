//! Which area each population point belongs to: planar point-in-polygon in lon/lat (as
//! COD-AB boundaries and PostGIS `geometry` define it). A point on an edge shared by
//! several areas goes to the first of them in input order; a point in no area goes to
//! the nearest one and is counted as outside, so population is never dropped silently.

use super::spatial_order;
use geo::{BoundingRect, Contains, Distance, Euclidean, Intersects, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// The result of assigning points to areas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaAssignment {
    /// Per point, the index of its area (`None` only when there are no areas).
    pub area: Vec<Option<u32>>,
    /// Points inside no area, given to the nearest one.
    pub outside: Vec<u32>,
}

/// Assigns every point to an area.
pub fn assign_to_areas(areas: &[MultiPolygon<f64>], points: &[(f64, f64)]) -> AreaAssignment {
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, u32>> = areas
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let r = a.bounding_rect()?;
            Some(GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                i as u32,
            ))
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    let mut area = vec![None; points.len()];
    let mut outside = Vec::new();
    let mut last: Option<u32> = None;
    for i in spatial_order(points) {
        let (lon, lat) = points[i as usize];
        let p = Point::new(lon, lat);
        // Strictly inside the previous point's area: no other area can hold it.
        if let Some(a) = last
            && areas[a as usize].contains(&p)
        {
            area[i as usize] = Some(a);
            continue;
        }
        let envelope = AABB::from_point([lon, lat]);
        let found = tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|e| e.data)
            .filter(|&a| areas[a as usize].intersects(&p))
            .min();
        match found {
            Some(a) => {
                area[i as usize] = Some(a);
                last = Some(a);
            }
            None => {
                let nearest = (0..areas.len() as u32).min_by(|&a, &b| {
                    Euclidean
                        .distance(&p, &areas[a as usize])
                        .total_cmp(&Euclidean.distance(&p, &areas[b as usize]))
                });
                area[i as usize] = nearest;
                if nearest.is_some() {
                    outside.push(i);
                }
            }
        }
    }
    outside.sort_unstable();
    AreaAssignment { area, outside }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn shared_edges_go_to_the_first_area_and_gaps_to_the_nearest() {
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
        assert_eq!(got.area, vec![Some(0), Some(0), Some(1), Some(2), Some(0)]);
        assert_eq!(got.outside, vec![3]);
    }
}
