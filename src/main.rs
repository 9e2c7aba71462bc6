//! The `tirek` command: the HTTP server and the command-line tools over one store. All
//! of it lives in [`tirek::cli`]; this file only sets up logging and the allocator, and
//! hands over.
#![forbid(unsafe_code)]

use clap::Parser;

// Answers are built from many small strings (a record decoded per result): glibc's
// malloc took about 14 % of the server's CPU under the load test, mimalloc less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    tirek::cli::run(tirek::cli::Cli::parse()).await
}
