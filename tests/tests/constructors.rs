//! The constructor forms real apps use, served by `axum::serve` on
//! 127.0.0.1 and probed with kamal-proxy's exact request: a `Result` of a
//! router (configuration parsed before building), a type alias, paths from
//! constants, and the app's own `POST` route at the health path. Each app
//! validates the `Host` header, so without the macro the probe gets `400`.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum_kamal::kamal_app;
use axum_kamal_tests::{
    KAMAL_PROBE, TestServer, assert_healthy, assert_method_not_allowed, host_validation,
    kamal_probe_bytes,
};

/// The only host the apps accept.
const HOST: &str = "example.com";

/// The readiness path, shared with the deploy configuration and the tests.
const HEALTH_PATH: &str = "/up";
/// The liveness path, from another module.
mod probes {
    pub const LIVENESS_PATH: &str = "/livez";
}

#[kamal_app]
fn fallible(port: &str) -> Result<Router, std::num::ParseIntError> {
    let port: u16 = port.parse()?;
    Ok(Router::new()
        .route("/", get(move || async move { format!("port {port}") }))
        .layer(host_validation(HOST)))
}

#[tokio::test]
async fn result_of_a_router() {
    let app = fallible("3000").expect("a valid port");
    let server = TestServer::start(app).await;
    assert_healthy(&server.exchange(KAMAL_PROBE).await);
    let root = server.exchange(&kamal_probe_bytes("GET", "/")).await;
    assert_eq!(root.status, StatusCode::BAD_REQUEST, "{root:?}");
    assert!(
        fallible("not a port").is_err(),
        "the error is returned as is"
    );
}

#[kamal_app]
async fn fallible_async(token: Option<&'static str>) -> Result<Router, &'static str> {
    let token = token.ok_or("no token")?;
    Ok(Router::new()
        .route("/", get(move || async move { token }))
        .layer(host_validation(HOST)))
}

#[tokio::test]
async fn async_result_of_a_router() {
    let server = TestServer::start(fallible_async(Some("t")).await.expect("a token")).await;
    assert_healthy(&server.exchange(KAMAL_PROBE).await);
    assert_eq!(fallible_async(None).await.err(), Some("no token"));
}

type App = Router;

#[kamal_app]
fn aliased() -> App {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(host_validation(HOST))
}

#[tokio::test]
async fn type_alias() {
    let server = TestServer::start(aliased()).await;
    assert_healthy(&server.exchange(KAMAL_PROBE).await);
}

#[kamal_app(path = HEALTH_PATH, liveness = probes::LIVENESS_PATH)]
fn constant_paths() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(host_validation(HOST))
}

#[tokio::test]
async fn paths_from_constants() {
    let server = TestServer::start(constant_paths()).await;
    assert_healthy(&server.exchange(KAMAL_PROBE).await);
    let live = server
        .exchange(&kamal_probe_bytes("GET", probes::LIVENESS_PATH))
        .await;
    assert_healthy(&live);
}

#[kamal_app]
fn webhook_at_the_health_path() -> Router {
    Router::new()
        .route("/up", post(|| async { "webhook received" }))
        .layer(host_validation(HOST))
}

/// The app's own `POST /up` keeps working behind its layers; `GET` and
/// `HEAD` are the healthcheck's; any other method is `405`.
#[tokio::test]
async fn user_post_route_at_the_health_path() {
    let server = TestServer::start(webhook_at_the_health_path()).await;
    assert_healthy(&server.exchange(KAMAL_PROBE).await);

    let rejected = server.exchange(&kamal_probe_bytes("POST", "/up")).await;
    assert_eq!(rejected.status, StatusCode::BAD_REQUEST, "{rejected:?}");
    let allowed = format!("POST /up HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n");
    let posted = server.exchange(allowed.as_bytes()).await;
    assert_eq!(posted.text(), "webhook received");

    let put = format!("PUT /up HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n");
    let put = server.exchange(put.as_bytes()).await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED, "{put:?}");
    // axum's merged method router: the app's method and the healthcheck's.
    assert_eq!(put.header("allow"), Some("POST,GET,HEAD"), "{put:?}");
    let delete = server
        .exchange(&kamal_probe_bytes("DELETE", "/livez"))
        .await;
    assert_eq!(
        delete.status,
        StatusCode::BAD_REQUEST,
        "no liveness path here"
    );
}

#[kamal_app(liveness = "/livez")]
fn plain() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(host_validation(HOST))
}

#[tokio::test]
async fn other_methods_at_the_health_paths_get_405() {
    let server = TestServer::start(plain()).await;
    for path in ["/up", "/livez"] {
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
            let reply = server.exchange(&kamal_probe_bytes(method, path)).await;
            assert_method_not_allowed(&reply);
        }
    }
}

/// A `GET /up` route added by a helper the macro cannot see conflicts with
/// the healthcheck's: building the app fails with a message naming the path.
#[test]
#[should_panic(expected = "axum-kamal: cannot add the healthcheck's GET and HEAD route at \"/up\"")]
fn hidden_conflicting_route_fails_at_startup() {
    fn status_routes() -> Router {
        Router::new().route("/up", get(|| async { "custom status" }))
    }
    #[kamal_app]
    fn app() -> Router {
        status_routes().layer(host_validation(HOST))
    }
    let _ = app();
}
