//! Source: https://github.com/tokio-rs/axum/blob/main/examples/tls-rustls/src/main.rs
//! The example's `redirect_http_to_https`, switched on by a setting in an `if` on a `let mut` router that already holds the healthcheck.

use axum::Router;
use axum::extract::Request;
use axum::http::header::HOST;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

struct Settings {
    force_https: bool,
}

fn settings() -> Settings {
    Settings { force_https: true }
}

async fn redirect_http_to_https(request: Request, next: Next) -> Response {
    let proto = request
        .headers()
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok());
    if proto == Some("https") {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let target = format!("https://{host}{}", request.uri().path());
    Redirect::permanent(&target).into_response()
}

pub fn app() -> Router {
    let settings = settings();
    let mut app = Router::new()
        .route("/", get(|| async { "Hello, World!" }))
        .layer(axum_kamal::healthcheck());
    if settings.force_https {
        app = app.layer(from_fn(redirect_http_to_https));
    }
    app
}
