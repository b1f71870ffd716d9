//! `axum_kamal::serve` over real TCP: the listener answers liveness `200`
//! and readiness `503` while the startup runs, then serves the app on the
//! same listener, on connections opened before the switch too; a failing
//! startup ends it with its error; graceful shutdown and `ConnectInfo` work
//! as with `axum::serve`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::routing::get;
use axum_kamal::{ShutdownHandle, kamal_app};
use axum_kamal_tests::process::poll_until;
use axum_kamal_tests::{
    KAMAL_PROBE, PROBE_TIMEOUT, RawConnection, assert_healthy, assert_healthy_head,
    assert_unavailable, assert_unavailable_head, kamal_probe_bytes,
};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

#[kamal_app(liveness = "/livez")]
fn app() -> Router {
    Router::new().route("/", get(|| async { "home" })).route(
        "/peer",
        get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
    )
}

/// Binds `127.0.0.1:0` and serves with `startup` in a spawned task, with
/// `shutdown` as its graceful shutdown.
async fn serve_starting<F>(
    startup: F,
    shutdown: &ShutdownHandle,
) -> (SocketAddr, JoinHandle<io::Result<()>>)
where
    F: Future<Output = io::Result<Router>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let server = axum_kamal::serve(listener, startup)
        .liveness("/livez")
        .with_graceful_shutdown(shutdown.triggered());
    (addr, tokio::spawn(server.into_future()))
}

/// A startup that waits for the returned sender, then builds [`app`].
fn startup_on_signal() -> (
    oneshot::Sender<()>,
    impl Future<Output = io::Result<Router>> + Send + 'static,
) {
    let (start, started) = oneshot::channel();
    let startup = async move {
        started.await.expect("the test sends");
        Ok(app())
    };
    (start, startup)
}

#[tokio::test]
async fn answers_while_starting_then_serves_the_app_on_the_same_connection() {
    let (start, startup) = startup_on_signal();
    let (addr, server) = serve_starting(startup, &ShutdownHandle::new()).await;

    // A keep-alive connection opened during startup: liveness 200,
    // readiness and everything else 503, the healthcheck's own bytes.
    let mut early = RawConnection::open(addr).await;
    assert_unavailable(&early.exchange(KAMAL_PROBE).await);
    assert_unavailable_head(&early.exchange(&kamal_probe_bytes("HEAD", "/up")).await);
    assert_healthy(&early.exchange(&kamal_probe_bytes("GET", "/livez")).await);
    assert_healthy_head(&early.exchange(&kamal_probe_bytes("HEAD", "/livez")).await);
    assert_unavailable(&early.exchange(&kamal_probe_bytes("GET", "/")).await);

    start.send(()).expect("startup waits");
    poll_until(addr, KAMAL_PROBE, StatusCode::OK, PROBE_TIMEOUT).await;

    // The same connection, not reopened: now the app answers.
    assert_healthy(&early.exchange(KAMAL_PROBE).await);
    let home = early.exchange(&kamal_probe_bytes("GET", "/")).await;
    assert_eq!(
        (home.status, &home.body[..]),
        (StatusCode::OK, &b"home"[..])
    );
    assert!(!server.is_finished());
}

#[tokio::test]
async fn requests_carry_connect_info_before_and_after_the_switch() {
    let (start, startup) = startup_on_signal();
    let (addr, _server) = serve_starting(startup, &ShutdownHandle::new()).await;
    let mut early = RawConnection::open(addr).await;
    assert_unavailable(&early.exchange(KAMAL_PROBE).await);
    start.send(()).expect("startup waits");
    poll_until(addr, KAMAL_PROBE, StatusCode::OK, PROBE_TIMEOUT).await;

    for connection in [&mut early, &mut RawConnection::open(addr).await] {
        let peer = connection
            .exchange(&kamal_probe_bytes("GET", "/peer"))
            .await;
        assert_eq!(peer.status, StatusCode::OK, "{peer:?}");
        let peer: SocketAddr = std::str::from_utf8(&peer.body)
            .expect("UTF-8")
            .parse()
            .expect("the peer's socket address");
        assert_eq!(peer.ip(), addr.ip());
        assert_ne!(
            peer.port(),
            addr.port(),
            "the client's port, not the server's"
        );
    }
}

#[tokio::test]
async fn a_failing_startup_ends_the_server_with_its_error() {
    let (fail, failed) = oneshot::channel::<()>();
    let startup = async move {
        failed.await.expect("the test sends");
        Err::<Router, _>(io::Error::other("migration 42 failed"))
    };
    let (addr, server) = serve_starting(startup, &ShutdownHandle::new()).await;
    assert_unavailable(&RawConnection::open(addr).await.exchange(KAMAL_PROBE).await);

    fail.send(()).expect("startup waits");
    let error = tokio::time::timeout(PROBE_TIMEOUT, server)
        .await
        .expect("the server ends")
        .expect("no panic")
        .expect_err("the startup's error");
    assert_eq!(error.to_string(), "migration 42 failed");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

/// Sets its flag when dropped: shows a startup future was dropped.
struct Dropped(Arc<AtomicBool>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_shutdown_during_startup_ends_the_server_and_drops_the_startup() {
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = Dropped(Arc::clone(&dropped));
    let startup = async move {
        let _guard = guard;
        std::future::pending::<io::Result<Router>>().await
    };
    let shutdown = ShutdownHandle::new();
    let (addr, server) = serve_starting(startup, &shutdown).await;
    assert_unavailable(&RawConnection::open(addr).await.exchange(KAMAL_PROBE).await);

    shutdown.trigger();
    tokio::time::timeout(PROBE_TIMEOUT, server)
        .await
        .expect("the server ends")
        .expect("no panic")
        .expect("a graceful shutdown is Ok");
    // The abort reaches the startup task on its next poll.
    tokio::time::timeout(PROBE_TIMEOUT, async {
        while !dropped.load(Ordering::SeqCst) {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the startup future is dropped");
}

#[tokio::test]
async fn graceful_shutdown_lets_an_in_flight_request_finish() {
    let release = Arc::new(Notify::new());
    let entered = Arc::new(Notify::new());
    let (in_handler, go) = (Arc::clone(&entered), Arc::clone(&release));
    let slow = Router::new().route(
        "/slow",
        get(move || async move {
            in_handler.notify_one();
            go.notified().await;
            "done"
        }),
    );
    let shutdown = ShutdownHandle::new();
    let (addr, server) = serve_starting(async move { Ok(slow) }, &shutdown).await;

    let request = tokio::spawn(async move {
        RawConnection::open(addr)
            .await
            .exchange(&kamal_probe_bytes("GET", "/slow"))
            .await
    });
    entered.notified().await;
    shutdown.trigger();
    tokio::task::yield_now().await;
    assert!(!server.is_finished(), "waits for the request in flight");
    release.notify_one();

    let reply = request.await.expect("the request finishes");
    assert_eq!(
        (reply.status, &reply.body[..]),
        (StatusCode::OK, &b"done"[..])
    );
    tokio::time::timeout(PROBE_TIMEOUT, server)
        .await
        .expect("the server ends")
        .expect("no panic")
        .expect("Ok");
}

#[tokio::test]
async fn another_readiness_path_is_the_one_answered_while_starting() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    let startup = std::future::pending::<io::Result<Router>>();
    let server = axum_kamal::serve(listener, startup)
        .path("/healthz")
        .liveness("/alive");
    let _server = tokio::spawn(server.into_future());
    let mut connection = RawConnection::open(addr).await;
    assert_healthy(
        &connection
            .exchange(&kamal_probe_bytes("GET", "/alive"))
            .await,
    );
    assert_unavailable(
        &connection
            .exchange(&kamal_probe_bytes("GET", "/healthz"))
            .await,
    );
    assert_unavailable(
        &connection
            .exchange(&kamal_probe_bytes("GET", "/livez"))
            .await,
    );
}

#[tokio::test]
async fn a_panicking_startup_panics_in_the_caller() {
    let startup = async {
        tokio::task::yield_now().await;
        if true {
            panic!("migration 7 panicked");
        }
        Ok::<Router, io::Error>(app())
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let error = tokio::spawn(axum_kamal::serve(listener, startup).into_future())
        .await
        .expect_err("the serve future panics");
    let payload = error.into_panic();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"migration 7 panicked")
    );
}
