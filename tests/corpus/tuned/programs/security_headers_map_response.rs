//! Source: https://docs.rs/axum/0.8/axum/middleware/fn.map_response.html
//! Security headers added to every response, the probe's included: `map_response(set_security_headers)` cannot reject.

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::{STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use axum::middleware::map_response;
use axum::response::Response;
use axum::routing::get;

async fn set_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=63072000; includeSubDomains"),
    );
    response
}

async fn home() -> &'static str {
    "home"
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(home))
        .layer(axum_kamal::healthcheck())
        .layer(map_response(set_security_headers))
}
