//! Guesses are warnings naming what the probe gets (under
//! `#![deny(warnings)]` each is an error too, as any warning): middleware judged by its function's name, a closure, and a bearer
//! check present only when configured (`option_layer` and `.map(..)`);
//! `allow(..)` silences one.
#![deny(warnings)]
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::{from_fn, from_fn_with_state, map_request};
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower::util::option_layer;
#[allow(deprecated)]
use tower_http::validate_request::ValidateRequestHeaderLayer;

#[kamal_app(allow(audit))]
#[allow(deprecated)]
fn app(state: support::AppState, token: Option<&'static str>) -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(map_request(support::enforce_tls))
        .layer(from_fn(support::redirect_to_canonical_host))
        .layer(from_fn_with_state(state.clone(), support::maintenance_mode))
        .layer(from_fn_with_state(state, support::resolve_tenant))
        .layer(from_fn(support::audit))
        .layer(from_fn(|request, next: axum::middleware::Next| next.run(request)))
        .layer(option_layer(token.map(ValidateRequestHeaderLayer::bearer)))
}

fn main() {
    let _ = app(support::AppState::default(), None);
}

// Warnings alone build: this error ends the case, so that trybuild shows them.
compile_error!("end of the case");
