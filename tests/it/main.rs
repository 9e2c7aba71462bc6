//! Tirek's integration tests: one binary, a module per area.

mod api;
mod basemap;
mod coverage;
mod fuzz;
mod geography;
mod nearest_exact;
mod openapi;
mod planning;
mod round_trip;
mod security;
mod storage;
mod support;
