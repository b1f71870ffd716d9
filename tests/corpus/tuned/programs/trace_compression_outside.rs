//! Source: https://github.com/tokio-rs/axum/blob/main/examples/compression/src/main.rs
//! Tracing and response compression (probe sent with `Accept-Encoding: gzip`) run before the healthcheck and let it answer.

use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

async fn root(Json(value): Json<Value>) -> Json<Value> {
    Json(value)
}

async fn stats() -> Json<Value> {
    Json(json!({ "compressed": true }))
}

pub fn app() -> Router {
    Router::new()
        .route("/", post(root))
        .route("/stats", get(stats))
        .layer(axum_kamal::healthcheck())
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(CompressionLayer::new()),
        )
}
