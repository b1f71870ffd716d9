//! `#![allow(deprecated)]` on the module, which tower-http 0.7's deprecated
//! auth layers make common, and `#[allow(deprecated)]` on the function leave
//! the macro's warnings standing (KA002, KA003, KA004): only
//! `#[kamal_app(allow(..))]` silences one.
#![allow(deprecated)]
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::from_fn;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use tower::ServiceBuilder;
use tower_http::validate_request::ValidateRequestHeaderLayer;

#[kamal_app]
#[allow(deprecated)]
fn app(token: Option<&'static str>) -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(
            ServiceBuilder::new()
                .option_layer(token.map(ValidateRequestHeaderLayer::bearer))
                .layer(healthcheck()),
        )
        .layer(from_fn(support::redirect_to_canonical_host))
        .layer(from_fn(|request, next: axum::middleware::Next| next.run(request)))
}

fn main() {
    let _ = app(None);
}

// Warnings alone build: this error ends the case, so that trybuild shows them.
compile_error!("end of the case");
