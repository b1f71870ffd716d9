//! Source: https://github.com/tokio-rs/axum/blob/main/examples/graceful-shutdown/src/main.rs
//! CORS and a request timeout outside the healthcheck: neither rejects a plain GET without `Origin`.

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::routing::get;
use tower_http::cors::CorsLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

async fn todos() -> &'static str {
    "[]"
}

pub fn app() -> Router {
    let cors = CorsLayer::new()
        .allow_origin(
            "https://app.example.com"
                .parse::<HeaderValue>()
                .expect("origin"),
        )
        .allow_methods([Method::GET, Method::POST]);
    Router::new()
        .route("/todos", get(todos))
        .layer(axum_kamal::healthcheck())
        .layer((
            TraceLayer::new_for_http(),
            // Graceful shutdown waits for requests, so they must end.
            TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(10)),
        ))
        .layer(cors)
}
