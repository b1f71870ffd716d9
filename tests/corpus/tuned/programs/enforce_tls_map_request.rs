//! Source: https://github.com/tokio-rs/axum/pull/1408
//! `map_request(enforce_tls)` short-circuits with `Err(Redirect)` for plain HTTP, before the healthcheck (308).

use axum::Router;
use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::map_request;
use axum::response::Redirect;
use axum::routing::get;

/// Returns the request untouched when the proxy saw HTTPS, else a redirect.
async fn enforce_tls(request: Request) -> Result<Request, Redirect> {
    let proto = request
        .headers()
        .get("x-forwarded-proto")
        .and_then(|proto| proto.to_str().ok());
    if proto == Some("https") {
        return Ok(request);
    }
    let host = request
        .headers()
        .get("host")
        .and_then(|host| host.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let https = Uri::builder()
        .scheme("https")
        .authority(host)
        .path_and_query(request.uri().path())
        .build()
        .map(|uri| uri.to_string())
        .unwrap_or_else(|_| "/".to_owned());
    Err(Redirect::permanent(&https))
}

async fn billing() -> &'static str {
    "billing"
}

pub fn app() -> Router {
    Router::new()
        .route("/billing", get(billing))
        .layer(axum_kamal::healthcheck())
        .layer(map_request(enforce_tls))
}
