//! Tirek's integration tests: one binary, a module per area.

mod api;
mod basemap;
mod coverage;
mod csrf;
mod fuzz;
mod gdal;
mod geography;
mod layers;
mod lockout;
mod nearest_batch;
mod nearest_exact;
mod openapi;
mod planning;
mod referrals;
mod round_trip;
mod scale_out;
mod schemas;
mod security;
mod server;
mod stewardship;
mod storage;
mod streaming;
mod support;
mod tokens;
mod travel;
mod trust;
