//! Source: https://github.com/tokio-rs/axum/blob/main/examples/http-proxy/src/main.rs
//! DNS-rebinding protection written inline: a `from_fn(|request: Request, next: Next| ..)` closure answers 421 for a Host outside the public domain.

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::HOST;
use axum::middleware::{Next, from_fn};
use axum::response::IntoResponse;
use axum::routing::get;

const PUBLIC_DOMAIN: &str = ".example.com";

async fn home() -> &'static str {
    "home"
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(home))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(|request: Request, next: Next| async move {
            let host = request
                .headers()
                .get(HOST)
                .and_then(|host| host.to_str().ok())
                .map(|host| host.split(':').next().unwrap_or(host).to_owned())
                .unwrap_or_default();
            if host.ends_with(PUBLIC_DOMAIN) {
                next.run(request).await.into_response()
            } else {
                StatusCode::MISDIRECTED_REQUEST.into_response()
            }
        }))
}
