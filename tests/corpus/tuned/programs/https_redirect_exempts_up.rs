//! Source: https://github.com/rails/rails/blob/main/railties/lib/rails/generators/rails/app/templates/config/environments/production.rb.tt
//! As Rails' generated production config does for Kamal (`ssl_options` excluding "/up"), `from_fn(force_ssl)` redirects to HTTPS except the health path.

use axum::Router;
use axum::extract::Request;
use axum::http::header::HOST;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

const HEALTH_PATH: &str = "/up";

async fn force_ssl(request: Request, next: Next) -> Response {
    let secure = request
        .headers()
        .get("x-forwarded-proto")
        .is_some_and(|proto| proto == "https");
    if secure || request.uri().path() == HEALTH_PATH {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("localhost");
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    Redirect::permanent(&format!("https://{host}{path}")).into_response()
}

async fn home() -> &'static str {
    "home"
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(home))
        .layer(axum_kamal::healthcheck())
        .layer(from_fn(force_ssl))
}
