//! Merging a router without a fallback after `.layer(healthcheck())` replaces the wrapped fallback: the probe would get 404.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app]
fn app() -> Router {
    let api = Router::new().route("/api", get(support::home));
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .merge(api)
}

fn main() {
    let _ = app();
}
