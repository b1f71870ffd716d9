//! tower_governor's rate limit outside the healthcheck passes the probe (429 only once the
//! prober's own address spends its budget): no error, no warning.
#![deny(warnings)]
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
        .layer(healthcheck())
        .layer(GovernorLayer::new(config))
}

fn main() {
    let _ = app();
}
