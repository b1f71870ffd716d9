//! Source: https://docs.rs/axum/0.8/axum/middleware/index.html#ordering
//! The same `ServiceBuilder` with the guard listed first: `from_fn(require_session)` runs before the healthcheck (401).

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::COOKIE;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;

async fn require_session(request: Request, next: Next) -> Result<Response, StatusCode> {
    if request.headers().contains_key(COOKIE) {
        Ok(next.run(request).await)
    } else {
        Err(StatusCode::UNAUTHORIZED)
    }
}

async fn cart() -> &'static str {
    "cart"
}

pub fn app() -> Router {
    Router::new().route("/cart", get(cart)).layer(
        ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            .layer(from_fn(require_session))
            .layer(axum_kamal::healthcheck()),
    )
}
