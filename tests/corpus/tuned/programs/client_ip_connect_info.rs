//! Source: https://github.com/imbolc/axum-client-ip/blob/main/README.md
//! Client IPs from the connection (`ClientIpSource::ConnectInfo`), logged by `from_fn(log_client_ip)` outside the healthcheck: the peer address is always there.

use axum::Router;
use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;
use axum_client_ip::{ClientIp, ClientIpSource};

async fn log_client_ip(ClientIp(ip): ClientIp, request: Request, next: Next) -> Response {
    tracing::info!(%ip, path = request.uri().path(), "request");
    next.run(request).await
}

async fn handler(ClientIp(ip): ClientIp) -> String {
    ip.to_string()
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(handler))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(log_client_ip))
        .layer(ClientIpSource::ConnectInfo.into_extension())
}
