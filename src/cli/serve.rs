//! `tirek serve`: loads the default data into an empty store, follows the store, and
//! serves the API and the web map until Ctrl-C.

use super::args::ServeArgs;
use crate::basemap::Basemap;
use crate::registry::{Registry, defaults};
use crate::{AppState, Settings, app};
use anyhow::{Context, Result};
use std::sync::Arc;

pub async fn serve(
    registry: Arc<Registry>,
    args: ServeArgs,
    basemap: Option<Basemap>,
) -> Result<()> {
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
            web_dir,
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
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
