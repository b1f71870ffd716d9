//! Source: https://github.com/LuciuzWeb/Luciuz/blob/main/docs/en/canonical-host.md
//! One official host: `from_fn(redirect_to_canonical_host)` sends every other Host to https://www.example.org (308).

use axum::Router;
use axum::extract::Request;
use axum::http::header::HOST;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

const CANONICAL_HOST: &str = "www.example.org";

async fn redirect_to_canonical_host(request: Request, next: Next) -> Response {
    let host = request.headers().get(HOST).and_then(|h| h.to_str().ok());
    if host == Some(CANONICAL_HOST) {
        return next.run(request).await;
    }
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    Redirect::permanent(&format!("https://{CANONICAL_HOST}{path}")).into_response()
}

async fn home() -> &'static str {
    "welcome"
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(home))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(redirect_to_canonical_host))
}
