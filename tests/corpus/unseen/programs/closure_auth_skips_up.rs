//! Source: https://kamal-deploy.org/docs/configuration/proxy/#healthcheck
//! An inline token check that lets the health path through by itself, outside the healthcheck.

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "private" }))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(|request: Request, next: Next| async move {
            let open = request.uri().path() == "/up";
            if !open && request.headers().get(AUTHORIZATION).is_none() {
                return StatusCode::UNAUTHORIZED.into_response();
            }
            let response: Response = next.run(request).await;
            response
        }))
}
