//! `crate = ".."` names the runtime crate wherever it is: here through a re-export.
#[path = "../support/mod.rs"]
mod support;

mod platform {
    pub use axum_kamal as kamal;
}

use axum::{Router, routing::get};

#[axum_kamal::kamal_app(crate = "crate::platform::kamal", liveness = "/livez")]
fn app() -> Router {
    Router::new().route("/", get(support::home))
}

#[axum_kamal::kamal_app(crate = "::axum_kamal")]
fn explicit() -> Router {
    Router::new()
        .route("/", get(support::home))
        .layer(platform::kamal::healthcheck())
}

fn main() {
    let _ = app();
    let _ = explicit();
}
