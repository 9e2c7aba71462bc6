//! Command-line flags and environment variables → configuration. Every command takes
//! `--data-dir` (TIREK_DATA_DIR) and honours DATABASE_URL.

use crate::import::FacilityFormat;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Tirek: nearest GBV response services and coverage gaps in Central Asia.
#[derive(Debug, Parser)]
#[command(name = "tirek", version, about, long_about = None)]
pub struct Cli {
    /// Where the embedded SQLite database lives (created on first use).
    #[arg(long, env = "TIREK_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// PostgreSQL URL (postgres://…) for several instances on one database; unset: SQLite.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (API + web map). Loads the default data on first start.
    Serve(ServeArgs),
    /// Import records into the store (all or nothing).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export records from the store to standard output or a file.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Print the nearest services of each sector for a point.
    Nearest(NearestArgs),
    /// Print the OpenAPI document.
    Openapi,
}

/// `tirek serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TIREK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Bearer token that authorises writes and confidential details (interim, until
    /// user accounts). Unset: the API is read-only.
    #[arg(long, env = "TIREK_WRITE_TOKEN", hide_env_values = true)]
    pub write_token: Option<String>,
    /// The web front end folder.
    #[arg(long, env = "TIREK_WEB_DIR", default_value = "web")]
    pub web_dir: PathBuf,
    /// The default data folder loaded into an empty store.
    #[arg(long, env = "TIREK_GEODATA_DIR", default_value = "geodata")]
    pub geodata_dir: PathBuf,
    /// Do not load the default data into an empty store.
    #[arg(long)]
    pub no_default_data: bool,
    /// Largest import body, MiB.
    #[arg(long, env = "TIREK_MAX_IMPORT_MB", default_value_t = 64)]
    pub max_import_mb: usize,
}

/// `tirek import …`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Facilities from GeoJSON or HXL CSV.
    Facilities {
        /// The file.
        file: PathBuf,
        /// Format; detected from the content when absent.
        #[arg(long, value_enum)]
        format: Option<FacilityFormat>,
    },
}

/// `tirek export …`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Every facility (confidential ones included: the CLI runs with database access).
    Facilities {
        /// geojson or csv.
        #[arg(long, value_enum, default_value = "geojson")]
        format: FacilityFormat,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `tirek nearest`.
#[derive(Debug, Args)]
pub struct NearestArgs {
    /// Longitude, WGS84 degrees.
    #[arg(long, allow_negative_numbers = true)]
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    #[arg(long, allow_negative_numbers = true)]
    pub lat: f64,
    /// Sectors, comma-separated; absent: every sector.
    #[arg(long)]
    pub sector: Option<String>,
    /// Results per sector.
    #[arg(long, default_value_t = 1)]
    pub k: usize,
}
