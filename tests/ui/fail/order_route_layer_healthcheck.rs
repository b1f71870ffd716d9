//! `route_layer` never wraps the fallback the probe reaches.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app]
fn app() -> Router {
    Router::new()
        .route("/", get(support::home))
        .route_layer(healthcheck())
}

fn main() {
    let _ = app();
}
