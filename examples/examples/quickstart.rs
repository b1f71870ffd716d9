//! Serves the quickstart app (see `examples/src/lib.rs`).
//!
//! ```sh
//! cargo run --example quickstart                 # http://127.0.0.1:3000
//! ADDR=0.0.0.0:3000 cargo run --example quickstart
//! ALLOWED_HOSTS=example.com FORCE_HTTPS=1 cargo run --example quickstart
//! DATABASE_ADDR=127.0.0.1:5432 HEALTH_SECRET=change-me cargo run --example quickstart
//! STARTUP_DELAY_MS=3000 DRAIN_DELAY_MS=5000 cargo run --example quickstart
//! cargo run --example quickstart -- healthcheck  # Docker's HEALTHCHECK: exit 0 when /up is 2xx
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
//! `/livez` always answers `200`.
//!
//! The server listens at once: during `STARTUP_DELAY_MS` (default 0; it
//! stands for migrations) `/livez` answers `200` and `/up` `503`, then the
//! app serves. On `SIGTERM` or Ctrl-C, `/up` answers `503`, the server keeps
//! accepting for `DRAIN_DELAY_MS` (default 0; a second signal cuts it
//! short), then exits once in-flight requests finish.
//!
//! `quickstart healthcheck` sends kamal-proxy's probe to `ADDR`'s `/up`
//! (`0.0.0.0` means `127.0.0.1`), prints who answered and exits `0` on a
//! `2xx`, `1` otherwise: the Dockerfile's `HEALTHCHECK`, without curl.

use std::io::IsTerminal;
use std::process::ExitCode;

use axum_kamal_examples::{
    ALLOWED_HOSTS_VAR, Config, DATABASE_ADDR_VAR, DRAIN_DELAY_VAR, FORCE_HTTPS_VAR,
    HEALTH_SECRET_HEADER, HEALTH_SECRET_VAR, LIVENESS_PATH, STARTUP_DELAY_VAR, healthcheck, serve,
};
use tokio::net::TcpListener;
use tracing::Level;

#[tokio::main]
async fn main() -> std::io::Result<ExitCode> {
    let config = Config::from_env();
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return Ok(healthcheck(&config).await);
    }

    tracing_subscriber::fmt()
        .with_max_level(Level::INFO)
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    // Bound before the app is built: probes are answered from now on.
    let listener = TcpListener::bind(&config.addr).await?;
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
    println!(
        "{STARTUP_DELAY_VAR}={}: /livez answers 200 and /up 503 until the app has started",
        config.startup_delay.as_millis()
    );
    println!(
        "SIGTERM or Ctrl-C: /up answers 503, new connections are accepted for \
         {DRAIN_DELAY_VAR}={} (a second signal cuts it short), then in-flight requests finish",
        config.drain_delay.as_millis()
    );

    serve(config, listener).await?;
    Ok(ExitCode::SUCCESS)
}
