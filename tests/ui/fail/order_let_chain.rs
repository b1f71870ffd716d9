//! `let` rebinding: the last `.layer()` still runs first.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use axum::error_handling::HandleErrorLayer;
use tower::ServiceBuilder;
use tower_allowed_hosts::AllowedHostLayer;

#[kamal_app]
fn app() -> Router {
    let hosts = ServiceBuilder::new()
                .layer(HandleErrorLayer::new(support::bad_request))
                .layer(AllowedHostLayer::new("example.com"));
    let app = Router::new().route("/", get(support::home));
    let app = app.layer(healthcheck());
    let app = app.layer(hosts);
    app
}

fn main() {
    let _ = app();
}
