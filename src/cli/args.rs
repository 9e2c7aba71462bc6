//! Command-line flags and environment variables (clap): every command takes
//! `--data-dir` (TIREK_DATA_DIR) and honours DATABASE_URL.

use crate::import::{FacilityFormat, ImportFormat};
use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// Population coverage per admin area, on the store or on files without a server;
    /// by distance, or by travel time over a friction surface (`--friction`).
    Coverage(CoverageArgs),
    /// Travel time (minutes) from each sector's nearest facility in time to every point,
    /// over a friction surface (GeoTIFF, minutes per metre).
    TravelTime(TravelTimeArgs),
    /// Where to add k facilities of a sector to cover the most people (greedy maximal
    /// covering), on the store or on files without a server.
    PlanSites(PlanSitesArgs),
    /// The H3 gap grid (GeoJSON) over the store's countries.
    Grid(GridArgs),
    /// Friction surfaces: the stored travel scenarios (list, remove), and building one
    /// AccessMod-style from a land cover, a scenario table and OpenStreetMap roads and
    /// water.
    #[command(subcommand)]
    Friction(FrictionCommand),
    /// Print the OpenAPI document.
    Openapi,
    /// Manage accounts: add, remove, reset a password, change a role, issue API tokens.
    #[command(subcommand, alias = "users")]
    User(UserCommand),
    /// Manage organisations (the agencies that run facilities): list, add, update, trust.
    #[command(subcommand, alias = "organisation")]
    Org(OrgCommand),
    /// Export the audit log (every write: who, when, before and after) as CSV or JSON.
    Audit(AuditArgs),
    /// Write the referral pathway of an area (per sector its services, with contacts,
    /// hours, languages, access, last verification) as a printable HTML page or CSV.
    /// Public version by default: no confidential record.
    Pathway(PathwayArgs),
    /// The referral and unmet-needs logs: export their figures (or, for the operator,
    /// the records).
    #[command(subcommand)]
    Referrals(ReferralsCommand),
}

/// `tirek friction …`.
#[derive(Debug, Subcommand)]
pub enum FrictionCommand {
    /// The stored scenarios: name, demo, size, cell size, bounds, when and by whom.
    List,
    /// Remove a stored scenario.
    Remove {
        /// Its name.
        #[arg(long)]
        scenario: String,
    },
    /// Build a friction surface (GeoTIFF, minutes per metre) AccessMod-style: the land
    /// cover's classes at the scenario table's speeds, OpenStreetMap roads burned in at
    /// a speed per `highway` value, rivers and lakes as barriers, bridges across them.
    /// Store it with `tirek import friction F.tif --scenario NAME`.
    Build(FrictionBuildArgs),
}

/// `tirek pathway --area CODE --out FILE.html|csv`.
#[derive(Debug, Args)]
pub struct PathwayArgs {
    /// The area's code: a country (`KZ`), region (`KZ-YUZ`) or district.
    #[arg(long)]
    pub area: String,
    /// Where to write it; `.html`/`.htm` gives the printable page, `.csv` the CSV,
    /// `.json` the JSON record (or say `--format`).
    #[arg(long)]
    pub out: PathBuf,
    /// The document's language: en, ru, kk, ky, tg, tk, uz.
    #[arg(long, default_value = "en")]
    pub lang: String,
    /// html, csv or json; default: from the `--out` file's extension.
    #[arg(long)]
    pub format: Option<String>,
    /// The confidential version, for authorised staff: confidential shelters with their
    /// name, address and phone (marked "do not share the address"). Without it, the
    /// public version: shelters are reached through the country's hotlines.
    #[arg(long)]
    pub confidential: bool,
}

/// `tirek referrals …`. The command line acts as the operator, who owns the database:
/// it may read everything, so what is written is chosen by flags, safest by default.
#[derive(Debug, Subcommand)]
pub enum ReferralsCommand {
    /// Write the coordination figures of a year as CSV (one value a line). By default
    /// the public figures: by region, referrals to confidential facilities left out,
    /// counts of 1–4 as "< 5" (safe to hand to donors). `--unsuppressed`: the
    /// coordinators' figures as counted, down to districts. `--records`: the records
    /// themselves (referrals, or unmet needs with `--unmet-needs`), which name no
    /// survivor but stay inside the agencies involved.
    Export(ReferralExportArgs),
}

/// `tirek referrals export`.
#[derive(Debug, Args)]
pub struct ReferralExportArgs {
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The calendar year (default: the latest with any record).
    #[arg(long)]
    pub year: Option<i32>,
    /// 0 country, 1 region; 2 district (with `--unsuppressed` only).
    #[arg(long, default_value_t = 1)]
    pub level: u8,
    /// Only this area (code) and the areas in it.
    #[arg(long)]
    pub area: Option<String>,
    /// The coordinators' figures, without suppression (not for publication).
    #[arg(long, conflicts_with = "records")]
    pub unsuppressed: bool,
    /// The records instead of figures (record-level: for the operator only).
    #[arg(long)]
    pub records: bool,
    /// With `--records`: the unmet needs instead of the referrals.
    #[arg(long, requires = "records")]
    pub unmet_needs: bool,
}

/// `tirek user …`. One-time passwords are printed once; the account must change it at
/// its first sign-in.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account with a one-time password.
    Add {
        /// User name (a-z, 0-9, `.`, `_`, `-`).
        username: String,
        /// caseworker, editor, planner or admin.
        #[arg(long)]
        role: String,
        /// The organisation (id) the account works for; required for an editor, who
        /// writes only its facilities.
        #[arg(long)]
        organisation: Option<String>,
    },
    /// Set the organisation an account works for (or none; ends its sessions).
    Organisation {
        /// User name.
        username: String,
        /// Organisation id; absent: none.
        organisation: Option<String>,
    },
    /// Remove an account with its sessions and tokens.
    Remove {
        /// User name.
        username: String,
    },
    /// Give an account a new one-time password (ends its sessions).
    Reset {
        /// User name.
        username: String,
    },
    /// Change an account's role (ends its sessions).
    Role {
        /// User name.
        username: String,
        /// caseworker, editor, planner or admin.
        role: String,
    },
    /// Issue an API token for an account (printed once). Refused while the account has
    /// a one-time password; revoked when its password or role changes.
    Token {
        /// User name.
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "script")]
        label: String,
    },
    /// Revoke every API token of an account.
    RevokeTokens {
        /// User name.
        username: String,
    },
    /// List the accounts.
    List,
}

/// `tirek org …`: organisations (audited as `cli:<login>`).
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// List the organisations: id, country, sectors, trusted, names.
    List,
    /// Add an organisation.
    Add {
        /// Id: 1–64 of a-z, 0-9, `-`, `_`, `.`.
        id: String,
        /// The organisation's fields.
        #[command(flatten)]
        fields: OrgFields,
    },
    /// Change an organisation: only the fields given.
    Update {
        /// Id.
        id: String,
        /// The fields to change.
        #[command(flatten)]
        fields: OrgFields,
    },
    /// Mark an organisation trusted: its editors' writes publish at once and are
    /// reviewed after the fact (`--off` takes it back).
    Trust {
        /// Id.
        id: String,
        /// Not trusted any more: its editors' writes wait for approval again.
        #[arg(long)]
        off: bool,
    },
    /// List agency editors' proposals, newest first: id, status, kind, facility,
    /// organisation, proposer, when.
    Proposals {
        /// Only those of this status: pending, approved, rejected, published.
        #[arg(long)]
        status: Option<String>,
    },
    /// Approve a proposal: a pending one is written, a published one is marked
    /// reviewed.
    Approve {
        /// The proposal's number.
        id: i64,
        /// A note the editor sees.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject a pending proposal with a reason the editor sees; nothing is written.
    Reject {
        /// The proposal's number.
        id: i64,
        /// Why, in words the editor can act on.
        #[arg(long)]
        reason: String,
    },
    /// List problem reports about listings, newest first: id, status, kind, facility,
    /// organisation, when, text.
    Reports {
        /// Only those of this status: open, resolved, dismissed.
        #[arg(long)]
        status: Option<String>,
    },
    /// Close a problem report as resolved (the listing was corrected) or dismissed.
    Decide {
        /// The report's number.
        id: i64,
        /// resolved or dismissed.
        #[arg(long)]
        to: String,
        /// A note kept with the decision.
        #[arg(long)]
        note: Option<String>,
    },
}

/// An organisation's fields on the command line.
#[derive(Debug, Args)]
pub struct OrgFields {
    /// A name as LANG=TEXT (repeat: `--name en=… --name ru=…`; en and ru are required).
    #[arg(long = "name")]
    pub names: Vec<String>,
    /// Sectors, comma-separated (health, psychosocial, police, shelter, legal, hotline).
    #[arg(long)]
    pub sectors: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[arg(long)]
    pub country: Option<String>,
    /// Contact of the office (phone or e-mail).
    #[arg(long)]
    pub contact: Option<String>,
    /// Web site (http:// or https://).
    #[arg(long)]
    pub website: Option<String>,
}

/// `tirek audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// `csv` (default) or `json` (one entry per line).
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Only entries after this id.
    #[arg(long, default_value_t = 0)]
    pub after: i64,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `tirek coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Facilities GeoJSON (Points; properties `id` and `sector` or `sectors`) or CSV
    /// (`id,sector,lon,lat`, optional `status`); absent: the store.
    #[arg(long)]
    pub facilities: Option<PathBuf>,
    /// Facility statuses to count, comma-separated (`active`, `temporarily_closed`,
    /// `closed`); default `active`, from a file as from the store.
    #[arg(long)]
    pub status: Option<String>,
    /// Population CSV (`id,lon,lat,population`, extra columns ignored); absent: the store's settlements.
    #[arg(long)]
    pub population: Option<PathBuf>,
    /// Areas: GeoJSON, an ESRI Shapefile (.shp with .dbf, .prj, .cpg) or a zip holding
    /// one, WGS84; absent: the store's areas of `--level`.
    #[arg(long)]
    pub areas: Option<PathBuf>,
    /// The areas' code attribute (default: `code`, then the first `ADM*_PCODE`, `shapeID`, `id`).
    #[arg(long)]
    pub code_field: Option<String>,
    /// Take each population point's area from this column of `--population` (its values
    /// are matched against the areas' codes, see `--code-field`) instead of locating the
    /// point in the areas' polygons. Every value must match an area's code: a row whose
    /// code matches none fails the whole run (row, column and value reported).
    #[arg(long, requires = "population")]
    pub area_column: Option<String>,
    /// Admin level of the store's areas to report on (default: the finest loaded).
    #[arg(long)]
    pub level: Option<u8>,
    /// Sectors to analyse, comma-separated (default: the minimum package).
    #[arg(long)]
    pub sectors: Option<String>,
    /// The minimum package ("all"), comma-separated (default: health,psychosocial,police,shelter).
    #[arg(long)]
    pub package: Option<String>,
    /// Thresholds in km, e.g. `health=30,police=20` (defaults: health 30, psychosocial 50,
    /// police 20, shelter 100, legal 50).
    #[arg(long, conflicts_with = "friction")]
    pub threshold_km: Option<String>,
    /// Also compute population-weighted mean and median distance (one exact nearest
    /// search per point and sector).
    #[arg(long, conflicts_with = "friction")]
    pub distances: bool,
    /// Coverage by travel time over this friction surface (GeoTIFF in EPSG:4326,
    /// minutes per metre; NoData, NaN and ≤ 0 impassable) instead of distance.
    #[arg(long)]
    pub friction: Option<PathBuf>,
    /// Travel-time thresholds in minutes with `--friction`, e.g.
    /// `health=120,police=60` (defaults: health 120, psychosocial 120, police 60,
    /// shelter 240, legal 120, hotline 120).
    #[arg(long, requires = "friction")]
    pub threshold_min: Option<String>,
    /// With `--friction`: also allow knight's moves (16 neighbours, as AccessMod's
    /// option) instead of the 8 neighbours of the definition.
    #[arg(long, requires = "friction")]
    pub knight_moves: bool,
    /// Name of the first CSV column.
    #[arg(long, default_value = "area_id")]
    pub id_column: String,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the population points counted in no area here, as CSV
    /// `id,name,lon,lat,population,reason`: those in no area and farther than 0.2° from
    /// every area of their own country. From a file, `id` is the point's data row number.
    #[arg(long, value_name = "FILE")]
    pub left_out: Option<PathBuf>,
    /// Print load and compute times to standard error.
    #[arg(long)]
    pub timings: bool,
}

/// `tirek travel-time`.
#[derive(Debug, Args)]
pub struct TravelTimeArgs {
    /// The friction surface: GeoTIFF in EPSG:4326, north up, minutes per metre (NoData,
    /// NaN and ≤ 0 impassable), e.g. a Malaria Atlas Project friction surface.
    #[arg(long)]
    pub friction: PathBuf,
    /// Facilities GeoJSON (Points; properties `id` and `sector` or `sectors`) or CSV
    /// (`id,sector,lon,lat`, optional `status`); absent: the store.
    #[arg(long)]
    pub facilities: Option<PathBuf>,
    /// Facility statuses to count, comma-separated (`active`, `temporarily_closed`,
    /// `closed`); default `active`, from a file as from the store.
    #[arg(long)]
    pub status: Option<String>,
    /// Points CSV with header `id,lon,lat` (other columns ignored).
    #[arg(long)]
    pub points: PathBuf,
    /// Sectors, comma-separated (default: the minimum package).
    #[arg(long)]
    pub sectors: Option<String>,
    /// Also allow knight's moves (16 neighbours, as AccessMod's option) instead of the
    /// 8 neighbours of the definition.
    #[arg(long)]
    pub knight_moves: bool,
    /// Write `point_id,sector,minutes` here (empty minutes: unreachable) instead of
    /// standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write rasters into this folder (created if missing), per sector:
    /// `minutes_<sector>.tif` (float32 minutes from the sector's nearest facility in
    /// time, NaN where unreachable), `catchments_<sector>.tif` (int32 index of that
    /// facility, −1 where none) and `catchments_<sector>.csv` (`index,facility_id`).
    #[arg(long, value_name = "DIR", alias = "surface-dir")]
    pub out_tif: Option<PathBuf>,
    /// Print load and compute times to standard error.
    #[arg(long)]
    pub timings: bool,
}

/// `tirek plan-sites`.
#[derive(Debug, Args)]
pub struct PlanSitesArgs {
    /// The sector to add facilities of.
    #[arg(long)]
    pub sector: crate::model::Sector,
    /// Sites to place.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// `settlements`, `grid` (H3 cell centres at `--res` over the store's countries, or
    /// over the population's bounding box on files) or a CSV file `id,lon,lat`.
    #[arg(long, default_value = "settlements")]
    pub candidates: String,
    /// H3 resolution of grid candidates (3..=7).
    #[arg(long, default_value_t = 6)]
    pub res: u8,
    /// Coverage threshold, km (default: the sector's).
    #[arg(long, conflicts_with_all = ["friction", "scenario"])]
    pub threshold_km: Option<f64>,
    /// Place sites by travel time over this friction surface (GeoTIFF in EPSG:4326,
    /// minutes per metre; NoData, NaN and ≤ 0 impassable) instead of distance.
    #[arg(long, conflicts_with = "scenario")]
    pub friction: Option<PathBuf>,
    /// Place sites by travel time over the stored travel scenario of this name (see
    /// `tirek friction list`; e.g. `walking`).
    #[arg(long)]
    pub scenario: Option<String>,
    /// With `--friction` or `--scenario`: the coverage threshold, minutes (default: the
    /// sector's, e.g. health 120, police 60, shelter 240).
    #[arg(long)]
    pub threshold_min: Option<f64>,
    /// Facilities GeoJSON (Points; properties `id` and `sector` or `sectors`) or CSV
    /// (`id,sector,lon,lat`, optional `status`); absent: the store.
    #[arg(long)]
    pub facilities: Option<PathBuf>,
    /// Facility statuses to count, comma-separated (`active`, `temporarily_closed`,
    /// `closed`); default `active`, from a file as from the store.
    #[arg(long)]
    pub status: Option<String>,
    /// Population CSV (`id,lon,lat,population`); absent: the store's settlements.
    #[arg(long)]
    pub population: Option<PathBuf>,
    /// Write the steps CSV here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print load and compute times to standard error.
    #[arg(long)]
    pub timings: bool,
}

/// `tirek grid`.
#[derive(Debug, Args)]
pub struct GridArgs {
    /// H3 resolution (3..=7).
    #[arg(long, default_value_t = 5)]
    pub res: u8,
    /// Sectors, comma-separated (default: the minimum package).
    #[arg(long)]
    pub sector: Option<String>,
    /// `minlon,minlat,maxlon,maxlat` instead of the countries.
    #[arg(long, allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Thresholds in km, e.g. `health=30,police=20`.
    #[arg(long, conflicts_with_all = ["friction", "scenario"])]
    pub threshold_km: Option<String>,
    /// The grid by travel time over this friction surface (GeoTIFF in EPSG:4326,
    /// minutes per metre; NoData, NaN and ≤ 0 impassable): `minutes_<sector>` instead
    /// of `dist_km_<sector>`.
    #[arg(long, conflicts_with = "scenario")]
    pub friction: Option<PathBuf>,
    /// The grid by travel time over the stored travel scenario of this name (see
    /// `tirek friction list`; e.g. `walking`).
    #[arg(long)]
    pub scenario: Option<String>,
    /// With `--friction` or `--scenario`: thresholds in minutes, e.g.
    /// `health=120,police=60` (defaults: health 120, psychosocial 120, police 60,
    /// shelter 240, legal 120, hotline 120).
    #[arg(long)]
    pub threshold_min: Option<String>,
    /// With `--friction` or `--scenario`: also allow knight's moves (16 neighbours, as
    /// AccessMod's option) instead of the 8 neighbours of the definition.
    #[arg(long)]
    pub knight_moves: bool,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print compute times to standard error.
    #[arg(long)]
    pub timings: bool,
}

fn parse_trusted_proxies(text: &str) -> Result<crate::auth::proxies::TrustedProxies, String> {
    text.parse()
        .map_err(|e: crate::auth::AuthError| e.to_string())
}

/// `tirek serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TIREK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Always mark the session cookie `Secure` (set this when a TLS proxy is in front;
    /// `X-Forwarded-Proto: https` from the proxy does the same per request).
    #[arg(long, env = "TIREK_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// The origin(s) browsers reach Tirek at, comma-separated, e.g.
    /// `https://tirek.example.org`. Writes signed by the session cookie must come from
    /// one of them. Absent: the request's own `Host` (set this behind a proxy that
    /// rewrites `Host`).
    #[arg(long, env = "TIREK_PUBLIC_ORIGIN", value_parser = crate::api::PublicOrigins::parse)]
    pub public_origin: Option<crate::api::PublicOrigins>,
    /// Reverse proxies in front of Tirek, comma-separated addresses or CIDR networks
    /// (e.g. `127.0.0.1,10.0.0.0/8`). For requests from them the client's address (for
    /// sign-in limits) is the rightmost untrusted address in `X-Forwarded-For`; from
    /// anyone else the header is ignored. Absent: always the connection's address.
    #[arg(long, env = "TIREK_TRUSTED_PROXIES", value_parser = parse_trusted_proxies)]
    pub trusted_proxies: Option<crate::auth::proxies::TrustedProxies>,
    /// Records not verified for longer than this many days are flagged.
    #[arg(long, env = "TIREK_VERIFICATION_MAX_AGE_DAYS", default_value_t = tirek_default_age())]
    pub verification_max_age_days: u32,
    /// Serve the web front end from this folder (laid out as `web/`, with its
    /// `node_modules`) instead of the copy built into the binary: for development,
    /// where edits show on reload.
    #[arg(long, env = "TIREK_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Load an empty store from this folder (the files of `geodata/`) instead of the
    /// copy of `geodata/` built into the binary.
    #[arg(long, env = "TIREK_GEODATA_DIR")]
    pub geodata_dir: Option<PathBuf>,
    /// Do not load the default data into an empty store.
    #[arg(long)]
    pub no_default_data: bool,
    /// On Ctrl-C or SIGTERM, how long requests in flight may take to finish before the
    /// server exits anyway (it accepts no new connections meanwhile).
    #[arg(long, env = "TIREK_DRAIN_SECONDS", default_value_t = 30)]
    pub drain_seconds: u64,
    /// Largest import body, MiB.
    #[arg(long, env = "TIREK_MAX_IMPORT_MB", default_value_t = 64)]
    pub max_import_mb: usize,
    /// Optional basemap: a raster PMTiles file (PNG/JPEG/WebP/AVIF tiles) that Tirek
    /// serves at /basemap.pmtiles. Off by default.
    #[arg(long, env = "TIREK_BASEMAP_PMTILES", conflicts_with = "basemap_xyz")]
    pub basemap_pmtiles: Option<PathBuf>,
    /// Optional basemap: raster tiles from another host, e.g.
    /// `https://tiles.example.org/{z}/{x}/{y}.png`. Browsers then contact that host (and
    /// the Content-Security-Policy allows it). Off by default.
    #[arg(long, env = "TIREK_BASEMAP_XYZ")]
    pub basemap_xyz: Option<String>,
    /// Attribution text of the basemap, shown on the map (e.g. "© OpenStreetMap contributors").
    #[arg(long, env = "TIREK_BASEMAP_ATTRIBUTION")]
    pub basemap_attribution: Option<String>,
    /// The neutral page "Leave now" (and Escape twice) replaces the map with, an
    /// `https://` or `http://` URL; default: a weather search (see web/README.md).
    #[arg(long, env = "TIREK_QUICK_EXIT_URL")]
    pub quick_exit_url: Option<String>,
}

/// `tirek import …`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Facilities from GeoJSON, HXL CSV, an Excel workbook (.xlsx), a KoboToolbox export
    /// (CSV or XLSX) or an OpenStreetMap GeoJSON export. In a table, a row without
    /// lon/lat is placed at the centre of the settlement its `settlement` column names.
    Facilities {
        /// The file.
        file: PathBuf,
        /// Format (`hxl` and `kobo` are aliases of `csv`); detected from the content
        /// when absent.
        #[arg(long, value_enum)]
        format: Option<ImportFileFormat>,
        /// ISO 3166-1 alpha-2 country of every record (OSM exports); absent: from the
        /// `addr:country` tag or the country outline containing the point.
        #[arg(long)]
        country: Option<String>,
        /// The sheet of a workbook to read (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// A TOML file renaming the sheet's headers and values (`[columns] "Name of
        /// service" = "name"`, `[values.sectors] "Health" = "health"`; see
        /// examples/service-mapping.toml).
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Check everything and print what the import would do, and every problem,
        /// writing nothing (exit status 1 when there are problems).
        #[arg(long)]
        dry_run: bool,
    },
    /// Admin areas from GeoJSON or an ESRI Shapefile (.shp with .dbf, .prj, .cpg, or a
    /// zip holding one), WGS84 only; replaces the areas of the file's level(s).
    Areas {
        /// The .geojson/.json, .shp or .zip file.
        file: PathBuf,
        /// Admin level: 0 country, 1 region, 2 district; inferred from ADMn_PCODE or
        /// shapeType when absent.
        #[arg(long)]
        level: Option<u8>,
        /// The attribute holding the area code (default: code, ADMn_PCODE, shapeID, id).
        #[arg(long)]
        code_field: Option<String>,
        /// The attribute holding the name (default: name, ADMn_EN, shapeName).
        #[arg(long)]
        name_field: Option<String>,
        /// Let a file with no areas remove every area of `--level` (refused otherwise).
        #[arg(long)]
        replace_all: bool,
    },
    /// A friction surface (GeoTIFF, EPSG:4326, minutes per metre) stored as a travel
    /// scenario, replacing one of the same name (the demo ones too); it must cover every
    /// active facility.
    Friction {
        /// The GeoTIFF.
        file: PathBuf,
        /// The scenario's name: `walking`, `motorised` or another (`[a-z0-9_-]{1,32}`).
        #[arg(long)]
        scenario: String,
    },
    /// Population points replacing the settlements: GeoTIFF raster of people per cell
    /// (EPSG:4326), GeoJSON points with `population`, or CSV `id,lon,lat,population`.
    Population {
        /// The file (format detected from the content).
        file: PathBuf,
        /// Let a file with no points remove every settlement (refused otherwise).
        #[arg(long)]
        replace_all: bool,
    },
}

/// `tirek export …`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Every facility (confidential ones included: the CLI runs with database access).
    Facilities {
        /// geojson or csv.
        #[arg(long, value_enum, default_value = "geojson")]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `tirek nearest`.
#[derive(Debug, Args)]
pub struct NearestArgs {
    /// Longitude, WGS84 degrees (one point).
    #[arg(
        long,
        allow_negative_numbers = true,
        required_unless_present = "points"
    )]
    pub lon: Option<f64>,
    /// Latitude, WGS84 degrees (one point).
    #[arg(
        long,
        allow_negative_numbers = true,
        required_unless_present = "points"
    )]
    pub lat: Option<f64>,
    /// Many points: CSV with header `id,lon,lat`; writes `point_id,sector,facility_id,distance_m`.
    #[arg(long, conflicts_with_all = ["lon", "lat"])]
    pub points: Option<PathBuf>,
    /// Facilities GeoJSON for `--points` (properties `id`, `sector`/`sectors`) or CSV
    /// (`id,sector,lon,lat`); absent: the store.
    #[arg(long, requires = "points")]
    pub facilities: Option<PathBuf>,
    /// Facility statuses to count for `--points`, comma-separated (`active`,
    /// `temporarily_closed`, `closed`); default `active`, from a file as from the store.
    #[arg(long, requires = "points")]
    pub status: Option<String>,
    /// Output file for `--points` (default: standard output).
    #[arg(long, requires = "points")]
    pub out: Option<PathBuf>,
    /// Sectors, comma-separated; absent: every sector but `perpetrator_programme`.
    #[arg(long)]
    pub sector: Option<String>,
    /// Results per sector.
    #[arg(long, default_value_t = 1)]
    pub k: usize,
}

/// `tirek import facilities --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFileFormat {
    /// GeoJSON FeatureCollection with Tirek's record fields as properties.
    Geojson,
    /// CSV with a header row and an optional HXL hashtag row (what `export` writes), or
    /// a KoboToolbox CSV export (`,` or `;`).
    #[value(alias = "hxl", alias = "kobo")]
    Csv,
    /// OpenStreetMap GeoJSON export (HOT Export Tool, Overpass): OSM tags as properties.
    Osm,
    /// An Excel workbook (.xlsx), or a KoboToolbox XLSX export: one sheet.
    Xlsx,
}

impl From<ImportFileFormat> for ImportFormat {
    fn from(format: ImportFileFormat) -> Self {
        match format {
            ImportFileFormat::Geojson => ImportFormat::Geojson,
            ImportFileFormat::Csv => ImportFormat::Csv,
            ImportFileFormat::Osm => ImportFormat::Osm,
            ImportFileFormat::Xlsx => ImportFormat::Xlsx,
        }
    }
}

/// `tirek export facilities --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// GeoJSON FeatureCollection.
    Geojson,
    /// CSV with an HXL hashtag row.
    Csv,
}

impl From<ExportFormat> for FacilityFormat {
    fn from(format: ExportFormat) -> Self {
        match format {
            ExportFormat::Geojson => FacilityFormat::Geojson,
            ExportFormat::Csv => FacilityFormat::Csv,
        }
    }
}

fn tirek_default_age() -> u32 {
    crate::api::VERIFICATION_MAX_AGE_DAYS
}

/// `tirek friction build`.
#[derive(Debug, Args)]
pub struct FrictionBuildArgs {
    /// Land cover: a GeoTIFF of integer class codes in EPSG:4326, north up (its
    /// NoData cells are impassable). The output has its grid.
    #[arg(long, value_name = "LC.tif")]
    pub landcover: PathBuf,
    /// Scenario table CSV `class,speed_kmh,mode` (mode walking, bicycling or
    /// motorised; speed 0: impassable). Every class of the land cover must have a row.
    #[arg(long, value_name = "S.csv")]
    pub speeds: PathBuf,
    /// Roads and water from an OpenStreetMap extract (`.osm.pbf`, e.g. Geofabrik).
    #[arg(long, value_name = "X.osm.pbf")]
    pub roads: Option<PathBuf>,
    /// Speeds per `highway` value, CSV `highway,speed_kmh`, over the default table of
    /// `--mode` (a row with speed 0 removes a value).
    #[arg(long, value_name = "R.csv", requires = "roads")]
    pub road_speeds: Option<PathBuf>,
    /// The scenario: which default road speeds apply.
    #[arg(long, value_enum)]
    pub mode: BuildMode,
    /// Where to write the friction GeoTIFF (float32, NaN impassable). Nothing is
    /// written when an input is wrong.
    #[arg(long, value_name = "F.tif")]
    pub out: PathBuf,
}

/// The scenario of `tirek friction build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BuildMode {
    /// On foot: roads at walking speed, no motorways.
    Walking,
    /// By bicycle.
    Bicycling,
    /// By motor vehicle: roads at driving speeds, no footways.
    #[value(alias = "motorized")]
    Motorised,
}
