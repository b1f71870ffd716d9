//! Source: https://owasp.org/www-community/attacks/csrf#verifying-origin-with-standard-headers
//! An Origin/Referer check applied to every method outside the healthcheck: the probe sends neither header.

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::{ORIGIN, REFERER};
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;

const SITE: &str = "https://shop.example.com";

async fn verify_origin(request: Request, next: Next) -> Result<Response, StatusCode> {
    let headers = request.headers();
    let origin = headers.get(ORIGIN).or_else(|| headers.get(REFERER));
    match origin.and_then(|value| value.to_str().ok()) {
        Some(value) if value.starts_with(SITE) => Ok(next.run(request).await),
        _ => Err(StatusCode::FORBIDDEN),
    }
}

pub fn app() -> Router {
    Router::new()
        .route("/cart", get(|| async { "cart" }))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(verify_origin))
}
