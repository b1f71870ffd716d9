//! Source: https://github.com/loco-rs/loco/pull/481
//! Middleware applied by a helper that takes and returns the router, after the healthcheck was added: inside it, `from_fn(block_unknown_hosts)` answers 400.

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::HOST;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

const ALLOWED_HOSTS: [&str; 2] = ["shop.example.com", "localhost:3000"];

async fn block_unknown_hosts(request: Request, next: Next) -> Result<Response, StatusCode> {
    let host = request.headers().get(HOST).and_then(|h| h.to_str().ok());
    match host {
        Some(host) if ALLOWED_HOSTS.contains(&host) => Ok(next.run(request).await),
        _ => Err(StatusCode::BAD_REQUEST),
    }
}

/// The framework's "after routes" hook: the app's standard middleware.
fn after_routes(router: Router) -> Router {
    router
        .layer(from_fn(block_unknown_hosts))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::new())
}

async fn catalogue() -> &'static str {
    "catalogue"
}

pub fn app() -> Router {
    let routes = Router::new()
        .route("/catalogue", get(catalogue))
        .layer(axum_kamal::healthcheck());
    after_routes(routes)
}
