//! Serves the PostgreSQL example app (see `examples/src/postgres.rs`): its
//! readiness runs `SELECT 1` through the pool its handlers use.
//!
//! ```sh
//! cargo run --example postgres    # postgres://postgres@127.0.0.1:5432/postgres
//! DATABASE_URL=postgres://app:secret@db:5432/app HEALTH_SECRET=change-me cargo run --example postgres
//! ```
//!
//! `DATABASE_URL` is the connection string, `ADDR` the listen address
//! (default `127.0.0.1:3000`; port `0` picks a free one), `ALLOWED_HOSTS` the
//! comma-separated host names accepted in `Host` (default
//! `localhost,127.0.0.1`), `HEALTH_SECRET` (optional) unlocks a JSON report on
//! `/up` for requests carrying it in `x-health-secret`.
//!
//! `/up` answers `503` while `SELECT 1` fails (the app starts, and keeps
//! serving, while the database is down), `/livez` always answers `200`. On
//! `SIGTERM` or Ctrl-C, `/up` answers `503` while in-flight requests finish,
//! then the server exits.

use std::io::IsTerminal;

use axum_kamal_examples::postgres::{CACHE_WINDOW, CHECK_TIMEOUT, Config, app};
use axum_kamal_examples::{HEALTH_SECRET_HEADER, HEALTH_SECRET_VAR, LIVENESS_PATH};
use tokio::net::TcpListener;
use tracing::Level;

/// Listen address when `ADDR` is unset.
const DEFAULT_ADDR: &str = "127.0.0.1:3000";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_max_level(Level::INFO)
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    let config = Config::from_env()?;
    let addr = std::env::var("ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
    let listener = TcpListener::bind(&addr).await?;
    let url = format!("http://{}", listener.local_addr()?);

    println!("listening on {url}");
    println!(
        "/up runs SELECT 1 (timeout {CHECK_TIMEOUT:?}, result reused for {CACHE_WINDOW:?}): 200 OK, or 503 while it fails"
    );
    println!(
        "  curl -i -H 'Host: 7c7168a662c1:3000' -H 'User-Agent: kamal-proxy' -H 'Accept-Encoding: gzip' {url}/up"
    );
    println!("liveness, never touches the database (200):");
    println!("  curl -i {url}{LIVENESS_PATH}");
    if config.health_secret.is_some() {
        println!("the JSON health report, with the driver's error when SELECT 1 fails:");
        println!("  curl -i -H \"{HEALTH_SECRET_HEADER}: ${HEALTH_SECRET_VAR}\" {url}/up");
    }
    println!("the server's version, through the same pool:");
    println!("  curl -i {url}/");

    let shutdown = config.shutdown.clone();
    axum::serve(listener, app(&config))
        .with_graceful_shutdown(shutdown.signal())
        .await?;
    Ok(())
}
