//! Source: https://github.com/tokio-rs/axum/issues/1394
//! `map_request(stamp_request_start)` returns the request itself (no `Result`), so it can never short-circuit.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::map_request;
use axum::routing::get;
use axum::{Extension, Router};

#[derive(Clone, Copy)]
struct RequestStart(Instant);

async fn stamp_request_start(mut request: Request) -> Request {
    request
        .extensions_mut()
        .insert(RequestStart(Instant::now()));
    request
}

async fn report(Extension(RequestStart(start)): Extension<RequestStart>) -> String {
    format!("took {:?} to get here", start.elapsed())
}

pub fn app() -> Router {
    Router::new()
        .route("/report", get(report))
        .layer(axum_kamal::healthcheck())
        .layer(map_request(stamp_request_start))
}
