//! Source: https://docs.rs/axum/latest/axum/extract/struct.ConnectInfo.html
//! A peer-address allowlist (the office network) outside the healthcheck: the probe comes from kamal-proxy's address.

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;

async fn office_network_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Result<Response, StatusCode> {
    match peer.ip() {
        IpAddr::V4(ip) if ip.octets()[0] == 10 => Ok(next.run(request).await),
        _ => Err(StatusCode::FORBIDDEN),
    }
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "intranet" }))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(office_network_only))
}
