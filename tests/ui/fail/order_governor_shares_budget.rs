//! tower_governor's rate limit outside the healthcheck: behind kamal-proxy every
//! request comes from its address, so the probe shares the peer's budget with all
//! user traffic: a warning (KA005).
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

// Warnings alone build: this error ends the case, so that trybuild shows them.
compile_error!("end of the case");
