//! Source: https://github.com/tokio-rs/axum/blob/main/examples/versioning/src/main.rs
//! The healthcheck added with `.route_layer(..)` only wraps matched routes, and /up matches none (the API is nested at /api by a helper): `.route_layer(axum_kamal::healthcheck())` (404).

use axum::Router;
use axum::routing::get;
use tower_http::trace::TraceLayer;

mod api {
    use axum::Router;
    use axum::extract::Path;
    use axum::routing::get;

    async fn user(Path(id): Path<u64>) -> String {
        format!("user {id}")
    }

    async fn users() -> &'static str {
        "[]"
    }

    pub fn router() -> Router {
        Router::new()
            .route("/users", get(users))
            .route("/users/{id}", get(user))
    }
}

async fn index() -> &'static str {
    "see /api"
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(index))
        .nest("/api", api::router())
        .route_layer(axum_kamal::healthcheck())
        .layer(TraceLayer::new_for_http())
}
