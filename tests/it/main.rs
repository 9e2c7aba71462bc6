//! Tirek's integration tests: one binary, a module per area.

mod api;
mod fuzz;
mod nearest_exact;
mod openapi;
mod round_trip;
mod storage;
mod support;
