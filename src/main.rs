//! The `tirek` command: server and command-line tools on the same store.
#![forbid(unsafe_code)]

use anyhow::{Context, Result, bail};
use clap::Parser;
use std::io::Write;
use std::sync::Arc;
use tirek::config::{Cli, Command, ExportCommand, ImportCommand, NearestArgs, ServeArgs};
use tirek::import::{FacilityFormat, read_facilities};
use tirek::index::Filter;
use tirek::model::{Sector, parse_list};
use tirek::registry::Registry;
use tirek::{AppState, Settings, app, defaults, export, store};

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        print!("{}", tirek::api::openapi::document());
        return Ok(());
    }
    let store = store::open(cli.database_url.as_deref(), &cli.data_dir)
        .await
        .context("opening the store")?;
    let registry = Arc::new(
        Registry::open(store)
            .await
            .context("loading the registry")?,
    );
    match cli.command {
        Command::Serve(args) => serve(registry, args).await,
        Command::Import(ImportCommand::Facilities { file, format }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let format = format.unwrap_or_else(|| FacilityFormat::detect(&bytes));
            eprintln!("reading {} ({} bytes) …", file.display(), bytes.len());
            let facilities = match read_facilities(&bytes, format) {
                Ok(f) => f,
                Err(errors) => {
                    for e in errors.iter().take(50) {
                        eprintln!(
                            "record {} (id {}): {}: {}",
                            e.index.map_or("-".into(), |i| i.to_string()),
                            e.id.as_deref().unwrap_or("-"),
                            e.field,
                            e.message
                        );
                    }
                    bail!(
                        "{} problem(s) in {}; nothing was written",
                        errors.len(),
                        file.display()
                    );
                }
            };
            eprintln!("writing {} records in one transaction …", facilities.len());
            let summary = registry.import(facilities).await?;
            println!(
                "read {}, created {}, updated {}, unchanged {}, skipped {}",
                summary.read, summary.created, summary.updated, summary.unchanged, summary.skipped
            );
            Ok(())
        }
        Command::Export(ExportCommand::Facilities { format, out }) => {
            let index = registry.index();
            let mut all: Vec<_> = index.facilities().iter().map(|f| f.as_ref()).collect();
            all.sort_by(|a, b| a.id.cmp(&b.id));
            let text = match format {
                FacilityFormat::Geojson => {
                    serde_json::to_string_pretty(&export::geojson(all))? + "\n"
                }
                FacilityFormat::Csv => export::csv(all),
            };
            match out {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => std::io::stdout().write_all(text.as_bytes())?,
            }
            Ok(())
        }
        Command::Nearest(args) => nearest(&registry, &args),
        Command::Openapi => Ok(()),
    }
}

async fn serve(registry: Arc<Registry>, args: ServeArgs) -> Result<()> {
    if !args.no_default_data {
        match defaults::load_if_empty(&registry, &args.geodata_dir).await {
            Ok(Some(loaded)) => {
                tracing::info!(?loaded, "loaded the default data (demo facilities)")
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("default data not loaded: {e}"),
        }
    }
    let web_dir = args.web_dir.is_dir().then_some(args.web_dir.clone());
    if web_dir.is_none() {
        tracing::warn!(
            "no web folder at {}: serving the API only",
            args.web_dir.display()
        );
    }
    let token = args.write_token.filter(|t| !t.is_empty());
    if token.is_none() {
        tracing::info!("no TIREK_WRITE_TOKEN: the API is read-only");
    }
    let state = AppState {
        registry,
        settings: Arc::new(Settings {
            write_token: token,
            web_dir,
            max_import_bytes: args.max_import_mb * 1024 * 1024,
        }),
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!("Tirek serving http://{}", listener.local_addr()?);
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

fn nearest(registry: &Registry, args: &NearestArgs) -> Result<()> {
    let sectors: Vec<Sector> = match &args.sector {
        Some(s) => parse_list(s)?,
        None => Sector::ALL.to_vec(),
    };
    if !(-180.0..=180.0).contains(&args.lon) || !(-90.0..=90.0).contains(&args.lat) {
        bail!("--lon must be in -180..180 and --lat in -90..90");
    }
    let index = registry.index();
    println!("{:<13} {:>12}  {:<28} name", "sector", "distance_km", "id");
    for sector in sectors {
        let hits = index.nearest(args.lon, args.lat, sector, args.k, &Filter::default());
        if hits.is_empty() {
            println!("{:<13} {:>12}  {:<28} (none)", sector.as_str(), "-", "-");
        }
        for hit in hits {
            println!(
                "{:<13} {:>12.3}  {:<28} {}",
                sector.as_str(),
                hit.distance_m / 1000.0,
                hit.facility.id,
                hit.facility.name
            );
        }
    }
    Ok(())
}
