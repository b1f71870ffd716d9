//! A catch-all route added after `.layer(healthcheck())` receives the probe unwrapped.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app]
fn app() -> Router {
    Router::new()
        .layer(healthcheck())
        .route("/{*page}", get(support::home))
}

fn main() {
    let _ = app();
}
