//! Source: https://github.com/tokio-rs/axum/discussions/2377
//! A middleware that redirects every path to its trailing-slash form, outside the healthcheck: /up goes to /up/, which nothing answers.

use axum::Router;
use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

async fn add_trailing_slash(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !path.ends_with('/') && !path.contains('.') {
        let target = format!("{path}/");
        return Redirect::permanent(&target).into_response();
    }
    next.run(request).await
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route("/docs/", get(|| async { "docs" }))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(add_trailing_slash))
}
