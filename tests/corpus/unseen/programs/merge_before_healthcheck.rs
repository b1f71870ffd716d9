//! Source: https://docs.rs/axum/latest/axum/struct.Router.html#method.merge
//! Module routers merged first, then the healthcheck over everything.

use axum::Router;
use axum::routing::get;

mod api {
    use axum::Router;
    use axum::routing::get;

    pub fn routes() -> Router {
        Router::new().route("/api/status", get(|| async { "running" }))
    }
}

fn web_routes() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

pub fn app() -> Router {
    Router::new()
        .merge(web_routes())
        .merge(api::routes())
        .route("/about", get(|| async { "about" }))
        .layer(axum_kamal::healthcheck())
}
