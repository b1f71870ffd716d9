//! The README's recipe for testing a deploy whose readiness checks need a
//! service the test machine does not run: the prober reports the
//! healthcheck's own `503`, and the app's function, given its `Health` as a
//! parameter, is probed with one the test can satisfy — through every layer
//! of the function.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use axum_kamal::Health;
use axum_kamal::testing::{Probe, ProbeFailure, Prober};
use axum_kamal_tests::{TestServer, host_validation};
use tokio::net::{TcpListener, TcpStream};

#[axum_kamal::kamal_app(health = health)]
fn app(health: Health) -> Router {
    Router::new()
        .route("/", get(|| async { "hello" }))
        .layer(host_validation("example.com"))
}

/// The readiness `main` would give: a database at `addr`.
fn readiness(addr: SocketAddr) -> Health {
    Health::new().check("db", move || async move {
        TcpStream::connect(addr).await.map(drop)
    })
}

/// An address nothing listens on: what a test machine without the database sees.
async fn absent_service() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("local address")
}

fn prober() -> Prober {
    Prober::new(Probe::kamal_proxy().port(3000))
        .interval(Duration::from_millis(20))
        .deploy_timeout(Duration::from_millis(300))
}

#[tokio::test]
async fn a_check_on_an_absent_service_is_reported_as_not_ready() {
    let db = absent_service().await;
    let in_process = prober().probe_service(app(readiness(db))).await;
    assert_eq!(
        in_process.failure(),
        Some(&ProbeFailure::NotReady),
        "{in_process}"
    );

    let server = TestServer::start(app(readiness(db))).await;
    let over_tcp = prober().probe_addr(server.addr()).await;
    assert_eq!(
        over_tcp.failure(),
        Some(&ProbeFailure::NotReady),
        "{over_tcp}"
    );
}

#[tokio::test]
async fn the_same_app_with_a_health_the_test_can_satisfy_deploys() {
    prober()
        .probe_service(app(Health::new()))
        .await
        .assert_healthy();

    let server = TestServer::start(app(Health::new())).await;
    prober().probe_addr(server.addr()).await.assert_healthy();
}
