//! `route_layer` auth wraps matched routes only, never the probe's fallback.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower_http::validate_request::ValidateRequestHeaderLayer;

#[kamal_app]
#[allow(deprecated)]
fn app() -> Router {
    Router::new()
        .route("/admin", get(support::home))
        .route_layer(ValidateRequestHeaderLayer::bearer("secret"))
        .layer(healthcheck())
}

fn main() {
    let _ = app();
}
