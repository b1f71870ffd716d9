//! The quickstart without axum-kamal, the baseline of BENCHMARKS.md's
//! start-up figures: the same router ([`app_without_healthcheck`]) with a
//! hand-written `/up` route added after its layers, served by `axum::serve`
//! once built (no preflight, no serving while starting, no drain).
//!
//! ```sh
//! ADDR=127.0.0.1:3000 cargo run --release -p axum-kamal-tests --example quickstart_without_macro
//! ```

use axum::routing::get;
use axum_kamal_examples::{Config, app_without_healthcheck};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config::from_env();
    // A route added after the layers is not wrapped by them (axum's
    // `Router::layer` wraps only the routes that exist when it is called).
    let app = app_without_healthcheck(&config).route("/up", get(|| async { "OK" }));
    let listener = TcpListener::bind(&config.addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
