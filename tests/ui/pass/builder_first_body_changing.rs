//! healthcheck() first in a ServiceBuilder, followed by layers that change the
//! response body type (TraceLayer, CompressionLayer) and host validation:
//! the healthcheck's service answers with `HealthcheckBody<_>`, whatever the
//! inner body, so `Router::layer` accepts it (tests/builder_first.rs serves
//! the same app with and without the macro).
#[path = "../support/mod.rs"]
mod support;

use axum::error_handling::HandleErrorLayer;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower::ServiceBuilder;
use tower_allowed_hosts::AllowedHostLayer;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

#[kamal_app]
fn app() -> Router {
    Router::new().route("/", get(support::home)).layer(
        ServiceBuilder::new()
            .layer(healthcheck())
            .layer(TraceLayer::new_for_http())
            .layer(CompressionLayer::new())
            .layer(HandleErrorLayer::new(support::bad_request))
            .layer(AllowedHostLayer::new("example.com")),
    )
}

fn main() {
    let _ = app();
}
