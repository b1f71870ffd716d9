//! Source: https://docs.rs/axum/latest/axum/struct.Router.html#method.merge
//! Feature routers from modules merged after the healthcheck: the merge replaces the fallback the healthcheck wrapped.

use axum::Router;
use axum::routing::get;

mod users {
    use axum::Router;
    use axum::routing::get;

    pub fn router() -> Router {
        Router::new()
            .route("/users", get(|| async { "users" }))
            .route("/users/{id}", get(|| async { "user" }))
    }
}

mod todos {
    use axum::Router;
    use axum::routing::get;

    pub fn router() -> Router {
        Router::new().route("/todos", get(|| async { "todos" }))
    }
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "index" }))
        .layer(axum_kamal::healthcheck())
        .merge(users::router())
        .merge(todos::router())
}
