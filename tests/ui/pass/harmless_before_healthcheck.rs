//! What the table or the vocabulary knows to be harmless runs before the
//! healthcheck without a word (warnings are denied): optional auth, an auth
//! context, a response mapper, an `Accept` check (the corpus in tests/corpus
//! covers axum-login's manager layer and sessions).
#![deny(warnings)]
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::{from_fn, from_fn_with_state, map_response};
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
#[allow(deprecated)]
use tower_http::validate_request::ValidateRequestHeaderLayer;

#[kamal_app]
#[allow(deprecated)]
fn app(state: support::AppState) -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(map_response(support::add_server_header))
        .layer(from_fn(support::auth_context))
        .layer(from_fn_with_state(state, support::optional_auth))
        .layer(ValidateRequestHeaderLayer::accept("application/json"))
}

fn main() {
    let _ = app(support::AppState::default());
}
