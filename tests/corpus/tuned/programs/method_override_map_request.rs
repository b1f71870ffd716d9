//! Source: https://github.com/tokio-rs/axum/issues/1394
//! HTML forms can only POST: `map_request(method_override)` turns POST + `X-HTTP-Method-Override` into PUT/DELETE and leaves a GET alone.

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::map_request;
use axum::routing::get;

async fn method_override(mut request: Request) -> Request {
    if request.method() == Method::POST {
        let overridden = request
            .headers()
            .get("x-http-method-override")
            .and_then(|value| Method::from_bytes(value.as_bytes()).ok());
        if let Some(method @ (Method::PUT | Method::PATCH | Method::DELETE)) = overridden {
            *request.method_mut() = method;
        }
    }
    request
}

async fn show_post() -> &'static str {
    "post"
}

async fn update_post() -> &'static str {
    "updated"
}

async fn delete_post() -> &'static str {
    "deleted"
}

pub fn app() -> Router {
    Router::new()
        .route(
            "/posts/{id}",
            get(show_post).put(update_post).delete(delete_post),
        )
        .layer(axum_kamal::healthcheck())
        .layer(map_request(method_override))
}
