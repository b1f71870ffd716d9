//! Serves the quickstart app (see `examples/src/lib.rs`).
//!
//! ```sh
//! cargo run --example quickstart                 # http://127.0.0.1:3000
//! ADDR=0.0.0.0:3000 cargo run --example quickstart
//! ALLOWED_HOSTS=example.com FORCE_HTTPS=1 cargo run --example quickstart
//! DATABASE_ADDR=127.0.0.1:5432 HEALTH_SECRET=change-me cargo run --example quickstart
//! ```
//!
//! `ADDR` is the listen address (default `127.0.0.1:3000`; port `0` picks a
//! free one), `ALLOWED_HOSTS` the comma-separated host names accepted in
//! `Host` (default `localhost,127.0.0.1`, any port) and `FORCE_HTTPS` also
//! redirects requests without `X-Forwarded-Proto` to HTTPS.
//!
//! `DATABASE_ADDR` (`host:port`, optional) makes `/up` answer `503` while no
//! TCP connection to it can be opened; `HEALTH_SECRET` (optional) unlocks a
//! JSON report on `/up` for requests carrying it in `x-health-secret`.
//! `/livez` always answers `200`. On `SIGTERM` or Ctrl-C, `/up` answers `503`
//! while in-flight requests finish, then the server exits.

use std::io::IsTerminal;

use axum_kamal_examples::{
    ALLOWED_HOSTS_VAR, Config, DATABASE_ADDR_VAR, FORCE_HTTPS_VAR, HEALTH_SECRET_HEADER,
    HEALTH_SECRET_VAR, LIVENESS_PATH, app,
};
use tokio::net::TcpListener;
use tracing::Level;

/// Listen address when `ADDR` is unset.
const DEFAULT_ADDR: &str = "127.0.0.1:3000";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_max_level(Level::INFO)
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    let config = Config::from_env();
    let app = app(&config);
    let addr = std::env::var("ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
    let listener = TcpListener::bind(&addr).await?;
    // Fails at startup, with the fix, if a layer added around `app` answers
    // kamal-proxy's or the kubelet's probe before the healthcheck does.
    axum_kamal::preflight(&app, listener.local_addr()?).await?;
    let url = format!("http://{}", listener.local_addr()?);

    println!("listening on {url}");
    println!(
        "{ALLOWED_HOSTS_VAR}={} {FORCE_HTTPS_VAR}={}",
        config.allowed_hosts, config.force_https
    );
    match &config.database_addr {
        Some(addr) => println!("{DATABASE_ADDR_VAR}={addr}: /up answers 503 while it refuses TCP"),
        None => println!("{DATABASE_ADDR_VAR} unset: no dependency check"),
    }
    let secret_set = if config.health_secret.is_some() {
        "set"
    } else {
        "unset"
    };
    println!("{HEALTH_SECRET_VAR} {secret_set}");
    println!();
    println!("kamal-proxy's healthcheck, byte for byte (200 OK):");
    println!(
        "  curl -i -H 'Host: 7c7168a662c1:3000' -H 'User-Agent: kamal-proxy' -H 'Accept-Encoding: gzip' {url}/up"
    );
    println!("the same container Host anywhere else is rejected by host validation (400):");
    println!("  curl -i -H 'Host: 7c7168a662c1:3000' {url}/");
    println!(
        "an allowed host is served (200), and redirected when a proxy says it came over HTTP (301):"
    );
    println!("  curl -i -H 'Host: localhost' {url}/");
    println!("  curl -i -H 'Host: localhost' -H 'X-Forwarded-Proto: http' {url}/");
    println!("liveness, never runs checks (200):");
    println!("  curl -i {url}{LIVENESS_PATH}");
    if config.health_secret.is_some() {
        println!("the JSON health report:");
        println!("  curl -i -H \"{HEALTH_SECRET_HEADER}: ${HEALTH_SECRET_VAR}\" {url}/up");
    }
    println!("SIGTERM or Ctrl-C: /up answers 503 while in-flight requests finish");

    // The handle readiness uses (Config::shutdown): on SIGTERM / Ctrl-C it
    // starts the drain, then axum stops accepting connections and waits for
    // in-flight requests.
    let shutdown = config.shutdown.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.signal())
        .await
}
