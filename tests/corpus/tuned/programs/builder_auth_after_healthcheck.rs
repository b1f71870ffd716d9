//! Source: https://docs.rs/axum/0.8/axum/middleware/index.html#ordering
//! One `ServiceBuilder` (top to bottom = outside in): tracing, then the healthcheck, then `from_fn(require_auth)`, which therefore never sees the probe.

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;

async fn require_auth(request: Request, next: Next) -> Result<Response, StatusCode> {
    if request.headers().contains_key(AUTHORIZATION) {
        Ok(next.run(request).await)
    } else {
        Err(StatusCode::UNAUTHORIZED)
    }
}

async fn account() -> &'static str {
    "account"
}

pub fn app() -> Router {
    Router::new().route("/account", get(account)).layer(
        ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            .layer(axum_kamal::healthcheck())
            .layer(from_fn(require_auth)),
    )
}
