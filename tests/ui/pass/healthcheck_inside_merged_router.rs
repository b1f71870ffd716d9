//! Merging two routers without fallbacks keeps the merged one's fallback, with the layers that wrap it.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app]
fn app() -> Router {
    let api = Router::new().route("/api", get(support::home)).layer(healthcheck());
    Router::new().route("/", get(support::home)).merge(api)
}

fn main() {
    let _ = app();
}
