//! Starting and draining, in a process of its own: an app whose `Health` is
//! built by one constructor for `#[kamal_app(health = ..)]` and once more in
//! `main` for the graceful shutdown drains on `SIGTERM`; the quickstart
//! listens at once and answers `/livez` `200`, `/up` `503` during its
//! `STARTUP_DELAY_MS`; its drain delay keeps accepting after `SIGTERM`, and
//! a second `SIGTERM` cuts it short.
//!
//! The test binary runs itself as a child (the server, like a container's
//! process, see `axum_kamal_tests::process`) and the parent sends it a real
//! `SIGTERM` and probes it over real TCP with kamal-proxy's exact probe. The
//! drain is process-wide, so only the child's process is drained: no other
//! test shares it.

use std::future::{Future, poll_fn};
use std::task::Poll;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum_kamal::{Health, ShutdownHandle};
use axum_kamal_examples::{Config, DRAIN_DELAY_VAR, LIVENESS_PATH, STARTUP_DELAY_VAR, serve};
use axum_kamal_tests::process::{LISTENING, ServingChild, is_child, poll_until};
use axum_kamal_tests::{
    KAMAL_PROBE, PROBE_TIMEOUT, RawConnection, assert_healthy, assert_unavailable,
    kamal_probe_bytes,
};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// The child's line once its graceful future has seen the signal.
const DRAINING: &str = "draining";

/// The app's state, as in an app with a database pool.
#[derive(Clone)]
struct AppState {
    db: Db,
}

#[derive(Clone)]
struct Db;

impl Db {
    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The one constructor, called twice: for the app and in "main".
fn readiness(db: &Db) -> Health {
    let db = db.clone();
    Health::new().check("db", move || {
        let db = db.clone();
        async move { db.ping().await }
    })
}

#[axum_kamal::kamal_app(health = readiness(&state.db), liveness = "/livez")]
fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(|State(_): State<AppState>| async { "home" }))
        .with_state(state)
}

/// The child: `main` of a server with the two-constructor pattern. Serves
/// until its standard input closes after the drain started.
async fn serve_until_stdin_closes() {
    let state = AppState { db: Db };
    // The second `Health` from the same constructor, for its handle only.
    let shutdown = readiness(&state.db).shutdown_handle();
    assert!(shutdown.same_as(&ShutdownHandle::process_wide()));
    let graceful = async move {
        shutdown.signal().await;
        println!("{DRAINING}");
        // Keep accepting connections (the drain delay) until the parent is done.
        let mut rest = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut rest).await;
    };
    let mut graceful = Box::pin(graceful);
    // One poll installs the SIGTERM handler before the parent may send it.
    poll_fn(|cx| {
        assert!(graceful.as_mut().poll(cx).is_pending());
        Poll::Ready(())
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    println!("{LISTENING}{}", listener.local_addr().expect("address"));
    axum::serve(listener, app(state))
        .with_graceful_shutdown(graceful)
        .await
        .expect("serve");
}

#[tokio::test]
async fn sigterm_drains_a_health_built_twice() {
    if is_child() {
        return serve_until_stdin_closes().await;
    }
    let mut child = ServingChild::spawn("sigterm_drains_a_health_built_twice", &[]);
    let addr = child.listening_addr().await;

    let mut connection = RawConnection::open(addr).await;
    assert_healthy(&connection.exchange(KAMAL_PROBE).await);

    child.terminate().await;
    child.line_starting_with(DRAINING).await;

    // The app's `Health` drains although `main` built another one; on the
    // same keep-alive connection and on a new one.
    assert_unavailable(&connection.exchange(KAMAL_PROBE).await);
    assert_unavailable(&RawConnection::open(addr).await.exchange(KAMAL_PROBE).await);
    assert_healthy(
        &connection
            .exchange(&kamal_probe_bytes("GET", "/livez"))
            .await,
    );

    // End of the drain delay: the server stops and the process exits cleanly.
    drop(connection);
    child.close_stdin();
    let status = child.exit(PROBE_TIMEOUT).await;
    assert!(status.success(), "{status}");
}

/// The child of the drain delay tests: the quickstart's own `serve`, as its
/// `main` runs it, configured from the environment the parent set.
async fn serve_the_quickstart() {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    println!("{LISTENING}{}", listener.local_addr().expect("address"));
    serve(Config::from_env(), listener).await.expect("serve");
}

/// The quickstart in a child with `DRAIN_DELAY_MS=drain_delay`, started
/// (its `/up` answered `200`), then sent one `SIGTERM`; returns once `/up`
/// answers `503`, with the moment the signal was sent.
async fn quickstart_sent_sigterm(
    test: &str,
    drain_delay: Duration,
) -> (ServingChild, std::net::SocketAddr, Instant) {
    let millis = drain_delay.as_millis().to_string();
    let mut child = ServingChild::spawn(test, &[(DRAIN_DELAY_VAR, &millis)]);
    let addr = child.listening_addr().await;
    poll_until(addr, KAMAL_PROBE, StatusCode::OK, PROBE_TIMEOUT).await;
    let signalled = Instant::now();
    child.terminate().await;
    poll_until(
        addr,
        KAMAL_PROBE,
        StatusCode::SERVICE_UNAVAILABLE,
        PROBE_TIMEOUT,
    )
    .await;
    (child, addr, signalled)
}

#[tokio::test]
async fn sigterm_keeps_accepting_for_the_drain_delay() {
    if is_child() {
        return serve_the_quickstart().await;
    }
    let delay = Duration::from_millis(1500);
    let (mut child, addr, signalled) =
        quickstart_sent_sigterm("sigterm_keeps_accepting_for_the_drain_delay", delay).await;

    // Readiness is 503 at once, and new connections are still accepted and
    // answered: the healthcheck's own 503, liveness 200.
    let mut connection = RawConnection::open(addr).await;
    assert_unavailable(&connection.exchange(KAMAL_PROBE).await);
    let liveness = kamal_probe_bytes("GET", LIVENESS_PATH);
    assert_healthy(&RawConnection::open(addr).await.exchange(&liveness).await);
    drop(connection);

    // Then axum's graceful shutdown: the process exits, not before the delay.
    let status = child.exit(delay + PROBE_TIMEOUT).await;
    assert!(status.success(), "{status}");
    assert!(
        signalled.elapsed() >= delay,
        "exited {:?} after SIGTERM, before the drain delay",
        signalled.elapsed()
    );
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn a_second_sigterm_cuts_the_drain_delay_short() {
    if is_child() {
        return serve_the_quickstart().await;
    }
    let delay = Duration::from_secs(600);
    let (mut child, addr, _) =
        quickstart_sent_sigterm("a_second_sigterm_cuts_the_drain_delay_short", delay).await;
    assert_unavailable(&RawConnection::open(addr).await.exchange(KAMAL_PROBE).await);

    child.terminate().await;
    let status = child.exit(PROBE_TIMEOUT).await;
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn the_quickstart_listens_at_once_and_answers_while_it_starts() {
    if is_child() {
        return serve_the_quickstart().await;
    }
    let spawned = Instant::now();
    let mut child = ServingChild::spawn(
        "the_quickstart_listens_at_once_and_answers_while_it_starts",
        &[(STARTUP_DELAY_VAR, "3000")],
    );
    let addr = child.listening_addr().await;

    // During the 3 s startup, on one keep-alive connection: liveness 200,
    // readiness 503.
    let mut connection = RawConnection::open(addr).await;
    let liveness = kamal_probe_bytes("GET", LIVENESS_PATH);
    assert_healthy(&connection.exchange(&liveness).await);
    assert_unavailable(&connection.exchange(KAMAL_PROBE).await);

    // Then the app: /up 200, on the same connection too.
    poll_until(addr, KAMAL_PROBE, StatusCode::OK, 2 * PROBE_TIMEOUT).await;
    assert!(
        spawned.elapsed() >= Duration::from_secs(3),
        "not before the startup ended"
    );
    assert_healthy(&connection.exchange(KAMAL_PROBE).await);
    assert_healthy(&connection.exchange(&liveness).await);
}
