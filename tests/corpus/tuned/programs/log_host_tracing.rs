//! Source: https://github.com/tokio-rs/axum/blob/main/examples/tracing-aka-logging/src/main.rs
//! Which virtual host was asked, logged before the healthcheck: `from_fn(log_host)` and `TraceLayer` only observe.

use axum::Router;
use axum::extract::Request;
use axum::http::header::HOST;
use axum::middleware::{Next, from_fn};
use axum::response::{Html, Response};
use axum::routing::get;
use tower_http::trace::TraceLayer;

async fn log_host(request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let response = next.run(request).await;
    tracing::debug!(%host, status = %response.status(), "served");
    response
}

async fn handler() -> Html<&'static str> {
    Html("<h1>Hello, World!</h1>")
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(handler))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(log_host))
        .layer(TraceLayer::new_for_http())
}
