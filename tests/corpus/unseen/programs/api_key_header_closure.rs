//! Source: https://docs.rs/axum/latest/axum/middleware/fn.from_fn.html
//! An `x-api-key` check written inline as a closure outside the healthcheck.

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const API_KEY: &str = "key-123";

pub fn app() -> Router {
    Router::new()
        .route("/data", get(|| async { "data" }))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(|request: Request, next: Next| async move {
            let key = request.headers().get("x-api-key");
            if key.is_none_or(|key| key != API_KEY) {
                return StatusCode::UNAUTHORIZED.into_response();
            }
            let response: Response = next.run(request).await;
            response
        }))
}
