//! Source: https://github.com/tower-rs/tower-http/issues/530
//! Django-style trailing slashes: `NormalizePathLayer::append_trailing_slash()` outside the healthcheck rewrites /up to /up/ (404).

use axum::Router;
use axum::routing::get;
use tower_http::normalize_path::NormalizePathLayer;

async fn articles() -> &'static str {
    "articles"
}

pub fn app() -> Router {
    Router::new()
        .route("/articles/", get(articles))
        .layer(axum_kamal::healthcheck())
        .layer(NormalizePathLayer::append_trailing_slash())
}
