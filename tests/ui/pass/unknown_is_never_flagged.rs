//! Layers from helper functions and conditional code are not guessed at.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use axum::error_handling::HandleErrorLayer;
use tower::ServiceBuilder;
use tower_allowed_hosts::AllowedHostLayer;

fn security() -> tower::layer::util::Identity {
    tower::layer::util::Identity::new()
}

#[kamal_app]
fn app(strict: bool) -> Router {
    let mut app = Router::new().route("/", get(support::home)).layer(healthcheck());
    app = app.layer(security());
    if strict {
        app = app.layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(support::bad_request))
                .layer(AllowedHostLayer::new("example.com")),
        );
    }
    app
}

fn main() {
    let _ = app(true);
}
