//! Source: https://github.com/imbolc/axum-client-ip
//! Per-client audit log keyed on `X-Forwarded-For` (set by the proxy for user traffic): `from_fn(audit_client_ip)` extracts `ClientIp`, whose rejection is a 500 for the probe, which carries no such header.

use axum::Router;
use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;
use axum_client_ip::{ClientIp, ClientIpSource};

async fn audit_client_ip(ClientIp(ip): ClientIp, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    println!("{ip} {path} {}", response.status());
    response
}

async fn home() -> &'static str {
    "home"
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(home))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(audit_client_ip))
        .layer(ClientIpSource::RightmostXForwardedFor.into_extension())
}
