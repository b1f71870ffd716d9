//! Source: https://github.com/juhaku/utoipa/issues/1467
//! API docs merged after the healthcheck layer: `.merge(docs::router())` (404). Though the docs router has no fallback of its own, merging
//! two default fallbacks keeps the merged router's, unlayered (axum 0.8.9 `Fallback::merge`: `(Default, pick @ Default) => pick`).

use axum::Router;
use axum::routing::get;

mod docs {
    use axum::Router;
    use axum::response::Redirect;
    use axum::routing::get;

    async fn openapi_json() -> &'static str {
        r#"{"openapi":"3.1.0"}"#
    }

    async fn swagger_ui() -> &'static str {
        "<html>swagger</html>"
    }

    pub fn router() -> Router {
        Router::new()
            .route("/api-doc/openapi.json", get(openapi_json))
            .route("/swagger", get(|| async { Redirect::to("/swagger/") }))
            .route("/swagger/", get(swagger_ui))
    }
}

async fn pets() -> &'static str {
    "[]"
}

pub fn app() -> Router {
    Router::new()
        .route("/pets", get(pets))
        .layer(axum_kamal::healthcheck())
        .merge(docs::router())
}
