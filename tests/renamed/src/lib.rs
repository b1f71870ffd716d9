//! An app whose Cargo.toml renames axum-kamal to `kamal`: `crate = "kamal"`
//! tells `#[kamal_app]` where the runtime is (tests/ui holds the error without it).

use axum::{Router, routing::get};

/// The health routes added after the body, through the renamed crate.
#[kamal::kamal_app(crate = "kamal", liveness = "/livez")]
pub fn app() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

/// An explicitly placed `kamal::healthcheck()`, configured through the renamed crate.
#[kamal::kamal_app(crate = "kamal", path = "/ready")]
pub fn explicit() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(kamal::healthcheck())
}
