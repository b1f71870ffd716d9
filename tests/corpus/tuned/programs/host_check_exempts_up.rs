//! Source: https://github.com/rails/rails/blob/main/railties/lib/rails/generators/rails/app/templates/config/environments/production.rb.tt
//! DNS-rebinding protection that skips the health path, as Rails' generated `host_authorization` exclude does: `from_fn_with_state(hosts.clone(), authorize_host)` lets /up through.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::HOST;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::get;

#[derive(Clone)]
struct AllowedHosts {
    suffixes: Arc<[&'static str]>,
    excluded_paths: Arc<[&'static str]>,
}

async fn authorize_host(
    State(hosts): State<AllowedHosts>,
    request: Request,
    next: Next,
) -> Result<Response, StatusCode> {
    if hosts.excluded_paths.contains(&request.uri().path()) {
        return Ok(next.run(request).await);
    }
    let host = request
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let host = host.split(':').next().unwrap_or(host);
    if hosts.suffixes.iter().any(|suffix| host.ends_with(suffix)) {
        Ok(next.run(request).await)
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

async fn home() -> &'static str {
    "home"
}

pub fn app() -> Router {
    let hosts = AllowedHosts {
        suffixes: Arc::from(["example.com"]),
        excluded_paths: Arc::from(["/up"]),
    };
    Router::new()
        .route("/", get(home))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn_with_state(hosts.clone(), authorize_host))
}
