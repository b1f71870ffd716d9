//! The axum behaviour the macro's ordering checks model, measured on real
//! routers without the macro: where each check says the probe ends up, it does.

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use axum_kamal::healthcheck;
use axum_kamal_tests::{assert_healthy, kamal_probe, send};

async fn probe_status(app: &Router) -> StatusCode {
    send(app, kamal_probe(Method::GET, "/up")).await.status
}

async fn home() -> &'static str {
    "home"
}

#[tokio::test]
async fn merging_a_router_without_fallback_replaces_the_wrapped_fallback() {
    let api = Router::new().route("/api", get(home));
    let app = Router::new()
        .route("/", get(home))
        .layer(healthcheck())
        .merge(api);
    assert_eq!(probe_status(&app).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn merging_keeps_the_merged_routers_wrapped_fallback() {
    let api = Router::new().route("/api", get(home)).layer(healthcheck());
    let app = Router::new().route("/", get(home)).merge(api);
    assert_eq!(probe_status(&app).await, StatusCode::OK);
}

#[tokio::test]
async fn a_fallback_set_after_the_layer_is_not_wrapped() {
    let app = Router::new()
        .route("/", get(home))
        .layer(healthcheck())
        .fallback(|| async { StatusCode::IM_A_TEAPOT });
    assert_eq!(probe_status(&app).await, StatusCode::IM_A_TEAPOT);
}

#[tokio::test]
async fn route_layer_never_wraps_the_fallback() {
    let app = Router::new()
        .route("/", get(home))
        .route_layer(healthcheck());
    assert_eq!(probe_status(&app).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_static_segment_outranks_a_later_capture() {
    let app = Router::new()
        .route("/api/{*rest}", get(home))
        .layer(healthcheck().with_path("/api/health"))
        .route(
            "/{tenant}/health",
            get(|| async { StatusCode::IM_A_TEAPOT }),
        );
    let reply = send(&app, kamal_probe(Method::GET, "/api/health")).await;
    assert_healthy(&reply);
}

#[tokio::test]
async fn an_exact_route_outranks_a_nested_service() {
    let app = Router::new()
        .route("/internal/up", post(home))
        .layer(healthcheck().with_path("/internal/up"))
        .nest_service("/internal", get(|| async { StatusCode::IM_A_TEAPOT }));
    let reply = send(&app, kamal_probe(Method::GET, "/internal/up")).await;
    // The answer comes from the `post` route's fallback, on which axum sets
    // `Allow` whatever the status (axum 0.8 `routing/route.rs`,
    // `set_allow_header`).
    assert_eq!(reply.header("allow"), Some("POST"));
    assert_healthy(&reply.without_header("allow"));
}
