//! Source: https://github.com/tokio-rs/axum/discussions/1258
//! One module's routes merged before the healthcheck, another's after it: the second merge replaces the wrapped fallback.

use axum::Router;
use axum::routing::{get, post};

mod auth {
    use super::*;

    pub fn routes() -> Router {
        Router::new()
            .route("/login", post(|| async { "logged in" }))
            .route("/logout", post(|| async { "logged out" }))
    }
}

mod pages {
    use super::*;

    pub fn routes() -> Router {
        Router::new()
            .route("/", get(|| async { "home" }))
            .route("/about", get(|| async { "about" }))
    }
}

pub fn app() -> Router {
    Router::new()
        .merge(auth::routes())
        .layer(axum_kamal::healthcheck())
        .merge(pages::routes())
}
