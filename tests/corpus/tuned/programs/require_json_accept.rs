//! Source: https://github.com/tokio-rs/axum/blob/main/examples/parse-body-based-on-content-type/src/main.rs
//! A JSON-only API: `from_fn(require_json)` answers 406 to a request that does not accept JSON, before the healthcheck.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::ACCEPT;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

async fn require_json(request: Request, next: Next) -> Response {
    let accepts_json = request
        .headers()
        .get(ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json") || accept.contains("*/*"));
    if accepts_json {
        next.run(request).await
    } else {
        (StatusCode::NOT_ACCEPTABLE, "this API only speaks JSON").into_response()
    }
}

async fn orders() -> Json<Vec<u32>> {
    Json(vec![1, 2, 3])
}

pub fn app() -> Router {
    Router::new()
        .route("/orders", get(orders))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(require_json))
}
