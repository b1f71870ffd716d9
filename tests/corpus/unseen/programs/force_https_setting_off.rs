//! Source: https://github.com/tokio-rs/axum/blob/main/examples/tls-rustls/src/main.rs
//! The HTTPS redirect behind a setting that this deployment leaves off (TLS ends at kamal-proxy).

use axum::Router;
use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

struct Settings {
    force_https: bool,
}

async fn redirect_http_to_https(request: Request, next: Next) -> Response {
    if request.headers().get("x-forwarded-proto").is_some() {
        return next.run(request).await;
    }
    let target = format!("https://example.com{}", request.uri().path());
    Redirect::permanent(&target).into_response()
}

pub fn app() -> Router {
    let settings = Settings { force_https: false };
    let mut app = Router::new()
        .route("/", get(|| async { "Hello" }))
        .layer(axum_kamal::healthcheck());
    if settings.force_https {
        app = app.layer(from_fn(redirect_http_to_https));
    }
    app
}
