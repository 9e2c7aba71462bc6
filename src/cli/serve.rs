//! `tirek serve`: loads the default data into an empty store, follows the store, and
//! serves the API and the web map until Ctrl-C or SIGTERM, then stops accepting
//! connections and lets the requests in flight finish (for at most `--drain-seconds`).

use super::args::ServeArgs;
use crate::api::WebFiles;
use crate::basemap::Basemap;
use crate::registry::Registry;
use crate::registry::defaults::{self, DefaultData};
use crate::{AppState, Settings, app};
use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::Duration;

pub async fn serve(
    registry: Arc<Registry>,
    args: ServeArgs,
    basemap: Option<Basemap>,
) -> Result<()> {
    if !args.no_default_data {
        let source = args
            .geodata_dir
            .clone()
            .map_or(DefaultData::BuiltIn, DefaultData::Dir);
        match defaults::load_if_empty(&registry, &source).await {
            Ok(Some(loaded)) => {
                tracing::info!(?loaded, "loaded the default data (demo facilities)")
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("default data not loaded: {e}"),
        }
    }
    let web = match &args.web_dir {
        None => WebFiles::BuiltIn,
        Some(dir) if dir.join("index.html").is_file() => WebFiles::Dir(dir.clone()),
        Some(dir) => anyhow::bail!(
            "TIREK_WEB_DIR / --web-dir {} holds no index.html; leave it unset to serve the map built into the binary",
            dir.display()
        ),
    };
    match &basemap {
        None => tracing::info!("no basemap configured (TIREK_BASEMAP_PMTILES / TIREK_BASEMAP_XYZ)"),
        Some(b) => tracing::info!("basemap: {:?}", b.describe()),
    }
    // Writes by other instances and by the CLI reach this one through the store.
    let _follower = registry.follow();
    let state = AppState::new(
        registry,
        Settings {
            secure_cookies: args.secure_cookies,
            verification_max_age_days: args.verification_max_age_days,
            web,
            max_import_bytes: args.max_import_mb * 1024 * 1024,
            basemap,
            quick_exit_url: args.quick_exit_url.clone(),
            public_origins: args.public_origin.unwrap_or_default(),
            trusted_proxies: args.trusted_proxies.unwrap_or_default(),
        },
    );
    if let Some(password) = state.accounts.ensure_first_admin().await? {
        // Printed once, to the console only (never to the log): the operator's first
        // sign-in, which must choose a new password.
        println!(
            "\nFirst start: created the account `admin` with the one-time password\n\n    {password}\n\n\
             Sign in with it (it must be changed at once). It is not shown again;\n\
             `tirek user reset admin` makes a new one.\n"
        );
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!("Tirek serving http://{}", listener.local_addr()?);
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let drain = Duration::from_secs(args.drain_seconds);
    let (stopping, mut stopped) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        let signal = shutdown_signal().await;
        tracing::info!(
            "{signal}: no new connections; finishing the requests in flight (at most {} s)",
            drain.as_secs()
        );
        let _ = stopping.send(true);
    });
    // After the signal, in-flight requests get `drain` to finish; then the rest are cut.
    let deadline = async move {
        if stopped.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(drain).await;
    };
    tokio::select! {
        result = server => {
            result?;
            tracing::info!("every request finished; stopped");
        }
        () = deadline => tracing::warn!(
            "drain time ({} s) over: closing the connections still open",
            drain.as_secs()
        ),
    }
    Ok(())
}

/// Waits for Ctrl-C (SIGINT) or, on Unix, SIGTERM (what service managers and container
/// runtimes send); returns which.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
                _ = term.recv() => "SIGTERM",
            },
            Err(e) => {
                tracing::warn!(
                    "cannot listen for SIGTERM ({e}); only Ctrl-C stops the server gracefully"
                );
                let _ = tokio::signal::ctrl_c().await;
                "Ctrl-C"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
