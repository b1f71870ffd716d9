//! The quickstart app for `scripts/load.sh`, with `#[kamal_app]`
//! (`axum_kamal_examples::app`, `KAMAL=1`, the default) or without it
//! (`app_without_healthcheck`, `KAMAL=0`), from one binary and with no
//! tracing subscriber, so the two differ only by the macro.
//!
//! ```sh
//! KAMAL=0 ADDR=127.0.0.1:0 cargo run --release -p axum-kamal-tests --example quickstart_twin
//! ```
//!
//! `ADDR` is the listen address (default `127.0.0.1:3002`); hosts are the
//! quickstart's (`ALLOWED_HOSTS`, default `localhost,127.0.0.1`). It prints
//! `listening on http://...` like the quickstart.

use axum_kamal_examples::{Config, app, app_without_healthcheck};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config::from_env();
    let kamal = std::env::var("KAMAL").map_or(true, |v| v != "0");
    let router = if kamal {
        app(&config)
    } else {
        app_without_healthcheck(&config)
    };
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3002".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    println!("#[kamal_app]: {kamal}");
    axum::serve(listener, router).await
}
