//! Source: https://docs.rs/axum/0.8/axum/middleware/index.html#rewriting-request-uri-in-middleware
//! Served both at / and under a /app prefix: `map_request(strip_base_path)` rewrites /app/... to /... and leaves /up as it is.

use axum::Router;
use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::map_request;
use axum::routing::get;

const BASE_PATH: &str = "/app";

async fn strip_base_path(mut request: Request) -> Request {
    let stripped = request
        .uri()
        .path_and_query()
        .and_then(|p| p.as_str().strip_prefix(BASE_PATH))
        .filter(|rest| rest.starts_with('/'))
        .and_then(|rest| rest.parse::<Uri>().ok());
    if let Some(uri) = stripped {
        *request.uri_mut() = uri;
    }
    request
}

async fn settings() -> &'static str {
    "settings"
}

pub fn app() -> Router {
    // Routing happens in the inner router, after the rewrite.
    let pages = Router::new().route("/settings", get(settings));
    Router::new()
        .fallback_service(pages)
        .layer(axum_kamal::healthcheck())
        .layer(map_request(strip_base_path))
}
