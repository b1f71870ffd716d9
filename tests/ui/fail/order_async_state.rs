//! An async constructor with state and `from_fn_with_state`. A guess from a name is a
//! warning, which `#![deny(warnings)]` makes an error too (as it would any warning).
#![deny(warnings)]
#[path = "../support/mod.rs"]
mod support;

use axum::middleware::from_fn_with_state;
use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};
use support::AppState;

#[kamal_app]
pub async fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(healthcheck())
        .layer(from_fn_with_state(state.clone(), support::check_allowed_host))
        .with_state(state)
}

fn main() {
    let _ = app(AppState::default());
}

// Warnings alone build: this error ends the case, so that trybuild shows them.
compile_error!("end of the case");
