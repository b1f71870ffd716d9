//! Source: https://github.com/launchbadge/realworld-axum-sqlx/blob/main/src/http/mod.rs
//! The API router is built by helpers and nested at /api; the healthcheck wraps the whole router, fallback included, with only tracing before it.

use axum::Router;
use axum::routing::get;
use tower_http::trace::TraceLayer;

mod users {
    use axum::Router;
    use axum::routing::{get, post};

    async fn create_user() -> &'static str {
        "created"
    }

    async fn current_user() -> &'static str {
        "me"
    }

    pub fn router() -> Router {
        Router::new()
            .route("/users", post(create_user))
            .route("/user", get(current_user))
    }
}

mod articles {
    use axum::Router;
    use axum::extract::Path;
    use axum::routing::get;

    async fn article(Path(slug): Path<String>) -> String {
        format!("article {slug}")
    }

    pub fn router() -> Router {
        Router::new().route("/articles/{slug}", get(article))
    }
}

fn api_router() -> Router {
    users::router().merge(articles::router())
}

async fn index() -> &'static str {
    "conduit"
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(index))
        .nest("/api", api_router())
        .layer(axum_kamal::healthcheck())
        .layer(TraceLayer::new_for_http())
}
