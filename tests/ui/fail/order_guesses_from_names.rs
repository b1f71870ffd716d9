//! Middleware judged by its function's name: each is a warning naming what the
//! probe gets (denied here to snapshot them), and `allow(..)` silences one.
#![deny(warnings)]
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::{from_fn, from_fn_with_state, map_request};
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app(allow(audit))]
fn app(state: support::AppState) -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(map_request(support::enforce_tls))
        .layer(from_fn(support::redirect_to_canonical_host))
        .layer(from_fn_with_state(state.clone(), support::maintenance_mode))
        .layer(from_fn_with_state(state, support::resolve_tenant))
        .layer(from_fn(support::audit))
        .layer(from_fn(|request, next: axum::middleware::Next| next.run(request)))
}

fn main() {
    let _ = app(support::AppState::default());
}
