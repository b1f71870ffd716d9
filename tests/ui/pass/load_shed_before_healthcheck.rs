//! ServiceBuilder shorthand `.load_shed()` above the healthcheck passes the probe: 503
//! only while the inner service of the probe's own route is busy, since
//! `Router::layer` gives each route its own copy: no error, no warning.
#![deny(warnings)]
#[path = "../support/mod.rs"]
mod support;

use axum::error_handling::HandleErrorLayer;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower::ServiceBuilder;

#[kamal_app]
fn app() -> Router {
    Router::new().route("/", get(support::home)).layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(support::bad_request))
            .load_shed()
            .layer(healthcheck()),
    )
}

fn main() {
    let _ = app();
}
