//! The renamed dependency over real TCP, with kamal-proxy's exact probe.

use axum::http::StatusCode;
use axum_kamal_renamed_tests::{app, explicit};
use axum_kamal_tests::{KAMAL_PROBE, TestServer, assert_healthy, kamal_probe_bytes};

#[tokio::test]
async fn health_routes_through_the_renamed_crate() {
    let server = TestServer::start(app()).await;
    assert_healthy(&server.exchange(KAMAL_PROBE).await);
    assert_healthy(&server.exchange(&kamal_probe_bytes("GET", "/livez")).await);
    let home = server.exchange(&kamal_probe_bytes("GET", "/")).await;
    assert_eq!(home.text(), "home");
}

#[tokio::test]
async fn explicit_healthcheck_through_the_renamed_crate() {
    let server = TestServer::start(explicit()).await;
    assert_healthy(&server.exchange(&kamal_probe_bytes("GET", "/ready")).await);
    let up = server.exchange(KAMAL_PROBE).await;
    assert_eq!(up.status, StatusCode::NOT_FOUND, "{up:?}");
}

/// Without `crate = ..`, the rename is a compile error that says what to add.
#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("ui/*.rs");
}
