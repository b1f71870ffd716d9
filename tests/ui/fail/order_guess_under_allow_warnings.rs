//! `#![allow(warnings)]` does not silence the macro's warnings either; a
//! closure bound with `let` is allowed by its name, and the rest stay.
#![allow(warnings)]
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::{Next, from_fn};
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

#[kamal_app(allow(skip_nothing))]
fn app() -> Router {
    let skip_nothing = from_fn(|request, next: Next| next.run(request));
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(skip_nothing)
        .layer(from_fn(|request, next: Next| next.run(request)))
}

fn main() {
    let _ = app();
}

// Warnings alone build: this error ends the case, so that trybuild shows them.
compile_error!("end of the case");
