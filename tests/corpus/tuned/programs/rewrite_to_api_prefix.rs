//! Source: https://docs.rs/axum/0.8/axum/middleware/index.html#rewriting-request-uri-in-middleware
//! A versioned API served on bare paths: `map_request(rewrite_request_uri)` prefixes /v1 before the healthcheck sees the path (404).

use axum::Router;
use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::map_request;
use axum::routing::get;

/// Old clients call `/items`; the handlers live under `/v1`.
async fn rewrite_request_uri(mut request: Request) -> Request {
    if !request.uri().path().starts_with("/v1/") {
        let path_and_query = request.uri().path_and_query().map_or("/", |p| p.as_str());
        if let Ok(uri) = format!("/v1{path_and_query}").parse::<Uri>() {
            *request.uri_mut() = uri;
        }
    }
    request
}

async fn items() -> &'static str {
    "[]"
}

pub fn app() -> Router {
    // `Router::layer` runs after routing, so the rewritten request is routed
    // by an inner router, the outer one's fallback.
    let api = Router::new().route("/v1/items", get(items));
    Router::new()
        .fallback_service(api)
        .layer(axum_kamal::healthcheck())
        .layer(map_request(rewrite_request_uri))
}
