//! Source: https://github.com/tokio-rs/axum/blob/main/examples/tls-rustls/src/main.rs
//! A plain-HTTP request is redirected to HTTPS by `from_fn(https_redirect)`, run before the healthcheck (308).

use axum::Router;
use axum::extract::Request;
use axum::http::header::HOST;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

/// Behind a TLS-terminating proxy: only `X-Forwarded-Proto: https` is served.
async fn https_redirect(request: Request, next: Next) -> Response {
    let forwarded_https = request
        .headers()
        .get("x-forwarded-proto")
        .is_some_and(|proto| proto == "https");
    if forwarded_https {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("localhost");
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |path| path.as_str());
    Redirect::permanent(&format!("https://{host}{path}")).into_response()
}

async fn index() -> &'static str {
    "Hello, World!"
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(index))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(https_redirect))
}
