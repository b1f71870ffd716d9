//! Source: https://docs.rs/axum/latest/axum/middleware/fn.map_request.html
//! A `map_request` that logs each request line and passes the request on, outside the healthcheck.

use axum::Router;
use axum::extract::Request;
use axum::middleware::map_request;
use axum::routing::get;

async fn log_request_line(request: Request) -> Request {
    tracing::info!(method = %request.method(), path = %request.uri().path(), "request");
    request
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(axum_kamal::healthcheck())
        .layer(map_request(log_request_line))
}
