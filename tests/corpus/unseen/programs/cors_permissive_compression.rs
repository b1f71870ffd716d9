//! Source: https://github.com/tokio-rs/axum/blob/main/examples/cors/src/main.rs
//! Permissive CORS and gzip outside the healthcheck.

use axum::Router;
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;

pub fn app() -> Router {
    Router::new()
        .route("/json", get(|| async { "{\"ok\":true}" }))
        .layer(axum_kamal::healthcheck())
        .layer(CompressionLayer::new())
        .layer(CorsLayer::permissive())
}
