//! Tirek: a spatial index of gender-based-violence response services in Central Asia,
//! with an HTTP API and a web map. See README.md for the flow from files to answers.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod assets;
pub mod auth;
pub mod basemap;
pub mod cli;
pub mod coordination;
pub mod coverage;
pub mod export;
pub mod import;
pub mod index;
pub mod model;
pub mod parallel;
pub mod registry;
pub mod search;
pub mod spatial;
pub mod store;
pub mod travel;
pub mod visibility;

pub use api::{AppState, Settings, app};
