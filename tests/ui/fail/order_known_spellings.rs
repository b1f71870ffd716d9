//! Spellings the table knows, wherever they hide: an extractor used as
//! middleware, and a layer bound with `let`, reported where it runs.
#[path = "../support/mod.rs"]
mod support;

use axum::error_handling::HandleErrorLayer;
use axum::middleware::from_extractor_with_state;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower::ServiceBuilder;
use tower_allowed_hosts::AllowedHostLayer;

#[kamal_app]
fn app(state: support::AppState) -> Router {
    let hosts = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(support::bad_request))
        .layer(AllowedHostLayer::new("example.com"));
    Router::new()
        .route("/", get(support::home))
        .with_state(state.clone())
        .layer(healthcheck())
        .layer(from_extractor_with_state::<support::AdminUser, _>(state))
        .layer(hosts)
}

fn main() {
    let _ = app(support::AppState::default());
}
