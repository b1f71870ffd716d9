//! `quickstart healthcheck` (the Dockerfile's `HEALTHCHECK`) as a process of
//! its own, against a serving, a not-ready, a stopped app and one whose
//! probe a layer answers: exit status 0 on a `2xx`, 1 otherwise, and a line
//! saying who answered.
//!
//! The child is this test binary running the quickstart's `healthcheck`
//! with `ADDR` set (see `axum_kamal_tests::process`); the apps are served
//! here over real TCP.

use std::io;
use std::net::SocketAddr;
use std::process::{ExitCode, Output};

use axum::Router;
use axum_kamal::SelfProbe;
use axum_kamal_examples::{ADDR_VAR, Config, app, app_without_healthcheck, healthcheck};
use axum_kamal_tests::TestServer;
use axum_kamal_tests::process::{is_child, run_child};
use tokio::net::TcpListener;

/// The child: `quickstart healthcheck`, its status as the process's.
async fn child() {
    let status: ExitCode = healthcheck(&Config::from_env()).await;
    // The exit status `main` would return.
    std::process::exit(if status == ExitCode::SUCCESS { 0 } else { 1 });
}

/// Runs `test`'s child with `ADDR=addr`; returns its exit code and its line.
async fn probe(test: &str, addr: &str) -> (Option<i32>, String) {
    let Output { status, stdout, .. } = run_child(test, &[(ADDR_VAR, addr)]).await;
    let stdout = String::from_utf8(stdout).expect("UTF-8 output");
    let line = stdout
        .lines()
        .find(|line| line.starts_with("healthy: ") || line.starts_with("unhealthy: "))
        .unwrap_or_else(|| panic!("no verdict in {stdout:?}"))
        .to_owned();
    (status.code(), line)
}

#[tokio::test]
async fn a_serving_app_is_healthy() {
    if is_child() {
        return child().await;
    }
    let server = TestServer::start(app(&Config::default())).await;
    // The Dockerfile's ADDR: 0.0.0.0 is probed on 127.0.0.1.
    let addr = format!("0.0.0.0:{}", server.addr().port());
    let (code, line) = probe("a_serving_app_is_healthy", &addr).await;
    assert_eq!(code, Some(0), "{line}");
    assert_eq!(
        line,
        format!(
            "healthy: GET http://{}/up: the healthcheck answered 200 OK",
            server.addr()
        )
    );
}

/// Runs `test`'s child against `addr` and asserts it exits 1 with the
/// line `unhealthy: GET http://<addr>/up: <reason>…`; returns the line.
async fn assert_unhealthy(test: &str, addr: SocketAddr, reason: &str) -> String {
    let (code, line) = probe(test, &addr.to_string()).await;
    assert_eq!(code, Some(1), "{line}");
    let expected = format!("unhealthy: GET http://{addr}/up: {reason}");
    assert!(line.starts_with(&expected), "{line:?} is not {expected:?}…");
    line
}

/// A local address nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("local address")
}

/// The healthcheck's own 503, as `SelfProbe` words it.
const NOT_READY: &str = "the healthcheck answered 503 Service Unavailable";

#[tokio::test]
async fn an_app_still_starting_is_unhealthy_and_says_the_healthcheck_answered() {
    if is_child() {
        return child().await;
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    let starting = std::future::pending::<io::Result<Router>>();
    let _server = tokio::spawn(axum_kamal::serve(listener, starting).into_future());

    let test = "an_app_still_starting_is_unhealthy_and_says_the_healthcheck_answered";
    assert_unhealthy(test, addr, NOT_READY).await;
}

#[tokio::test]
async fn a_failing_readiness_check_is_unhealthy() {
    if is_child() {
        return child().await;
    }
    let database = closed_port().await.to_string();
    let server = TestServer::start(app(&Config::default().with_database_addr(database))).await;

    let test = "a_failing_readiness_check_is_unhealthy";
    assert_unhealthy(test, server.addr(), NOT_READY).await;
}

#[tokio::test]
async fn a_stopped_app_is_unhealthy_and_nothing_answered() {
    if is_child() {
        return child().await;
    }
    let addr = closed_port().await;

    let test = "a_stopped_app_is_unhealthy_and_nothing_answered";
    let line = assert_unhealthy(test, addr, &format!("dial tcp {addr}: ")).await;
    assert!(line.to_lowercase().contains("refused"), "{line}");
}

#[tokio::test]
async fn a_layer_answering_the_probe_is_named() {
    if is_child() {
        return child().await;
    }
    // Without #[kamal_app], host validation rejects kamal-proxy's Host.
    let server = TestServer::start(app_without_healthcheck(&Config::default())).await;

    let test = "a_layer_answering_the_probe_is_named";
    let reason = "unexpected status 400 Bad Request, not from the healthcheck";
    assert_unhealthy(test, server.addr(), reason).await;
}

#[tokio::test]
async fn the_probe_is_kamal_proxys_byte_for_byte() {
    let probe = SelfProbe::new("0.0.0.0:3000".parse().expect("address"));
    let kamal_proxy = axum_kamal::probe::Probe::kamal_proxy().port(3000);
    assert_eq!(probe.request_bytes(), kamal_proxy.request_bytes());
    assert_eq!(probe.request_bytes(), axum_kamal_tests::KAMAL_PROBE);
}
