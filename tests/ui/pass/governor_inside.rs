//! tower_governor wrapped by the healthcheck.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;

#[kamal_app]
fn app() -> Router {
    let config = GovernorConfigBuilder::default().per_second(2).burst_size(5).finish().unwrap();
    Router::new()
        .route("/", get(support::home))
        .layer(GovernorLayer::new(config))
        .layer(healthcheck())
}

fn main() {
    let _ = app();
}
