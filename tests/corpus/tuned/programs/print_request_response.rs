//! Source: https://github.com/tokio-rs/axum/blob/main/examples/print-request-response/src/main.rs
//! The example's body-buffering logger, `from_fn(print_request_response)`, outside the healthcheck: it only fails on an unreadable body.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http_body_util::BodyExt;

async fn print_request_response(
    request: Request,
    next: Next,
) -> Result<impl IntoResponse, (StatusCode, String)> {
    let (parts, body) = request.into_parts();
    let bytes = buffer_and_print("request", body).await?;
    let request = Request::from_parts(parts, Body::from(bytes));
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let bytes = buffer_and_print("response", body).await?;
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

async fn buffer_and_print(direction: &str, body: Body) -> Result<Bytes, (StatusCode, String)> {
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("failed to read {direction} body: {err}"),
            ));
        }
    };
    if let Ok(body) = std::str::from_utf8(&bytes) {
        tracing::debug!("{direction} body = {body:?}");
    }
    Ok(bytes)
}

pub fn app() -> Router {
    Router::new()
        .route("/", post(|| async move { "Hello from `POST /`" }))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(print_request_response))
}
