//! Routers from helper functions, which the macro cannot see, merged after
//! `.layer(healthcheck())`: merging replaces the fallback the healthcheck
//! wrapped, so the probe gets a bare 404 (KA006). After another unseen
//! router merged before the healthcheck, which could route the probe
//! itself, it is a warning.
#[path = "../support/mod.rs"]
mod support;

use axum::{Router, routing::get};
use axum_kamal::{healthcheck, kamal_app};

mod api {
    pub fn routes(_prefix: &str) -> axum::Router {
        axum::Router::new().route("/api", axum::routing::get(super::support::home))
    }
}

fn admin_routes() -> Router {
    Router::new().route("/admin", get(support::home))
}

#[kamal_app]
fn app() -> Router {
    let mut app = Router::new()
        .route("/", get(support::home))
        .merge(admin_routes())
        .layer(healthcheck());
    app = app.merge(api::routes("/api"));
    app
}

fn main() {
    let _ = app();
}

// Warnings alone build: this error ends the case, so that trybuild shows them.
compile_error!("end of the case");
