//! The spatial engine: pure geometry on WGS84 points and admin polygons, with no records,
//! store or HTTP in it.
//!
//! - [`geodesy`]: geodesic distances on the ellipsoid and the sphere bounds that let a
//!   search decide most comparisons without one;
//! - [`kdtree`]: the k-d tree over 3-D unit vectors that yields candidates in chord order;
//! - [`points`]: exact nearest and radius searches over it: [`points::IdTree`] (ids only,
//!   the caller keeps the coordinates) and [`points::CoordIndex`] (keeps its own);
//! - [`morton`]: Morton keys and the radix sort behind the coverage engine's visiting order;
//! - [`area_index`]: which admin area (of each level) a point lies in, with snapping rules;
//! - [`area_grid`]: the uniform grid that assigns millions of points to areas at once.

pub mod area_grid;
pub mod area_index;
pub mod geodesy;
pub mod kdtree;
pub mod morton;
pub mod points;
