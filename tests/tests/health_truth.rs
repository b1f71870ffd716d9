//! Health that cannot lie, over real TCP with kamal-proxy's exact probe, on
//! an app behind host validation (`#[kamal_app]`): the opt-in public reason
//! of a `503` for a real dependency going down, a background result that
//! stops being trusted while its refresh is stuck, and the runtime watchdog
//! with every worker of a multi-thread runtime blocked by a busy loop.
//!
//! The clock is real here (over TCP); durations are short and every
//! assertion on time is a lower bound (a stall of at least, an age of at
//! least), never a speed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::Method;
use axum::routing::get;
use axum_kamal::{Health, ShutdownHandle};
use axum_kamal_tests::{
    KAMAL_PROBE, RawConnection, Reply, TestServer, assert_healthy, assert_unavailable,
    assert_unavailable_because, block_every_worker, host_validation, kamal_probe,
    kamal_probe_bytes, send,
};
use tokio::net::{TcpListener, TcpStream};

const PUBLIC_HOST: &str = "example.com";

#[axum_kamal::kamal_app(health = health, liveness = "/livez")]
fn guarded_app(health: Health) -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(host_validation(PUBLIC_HOST))
}

/// Ready while `db` accepts TCP connections.
fn database(db: SocketAddr) -> Health {
    Health::new()
        .with_shutdown(ShutdownHandle::new())
        .check("db", move || async move {
            TcpStream::connect(db).await.map(drop)
        })
        .cache_ttl(Duration::ZERO)
}

#[tokio::test]
async fn the_public_reason_names_the_failing_check_to_kamal_proxy() {
    let db = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let db_addr = db.local_addr().unwrap();
    let server = TestServer::start(guarded_app(database(db_addr).public_reason())).await;
    assert_healthy(&server.exchange(KAMAL_PROBE).await);

    drop(db); // the database goes away: connection refused
    let reply = server.exchange(KAMAL_PROBE).await;
    assert_unavailable_because(&reply, "failing: db");
    assert!(!reply.text().contains("refused"), "never the error text");
}

#[tokio::test]
async fn without_the_opt_in_the_503_body_says_nothing() {
    let db = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let db_addr = db.local_addr().unwrap();
    drop(db);
    let server = TestServer::start(guarded_app(database(db_addr))).await;
    assert_unavailable(&server.exchange(KAMAL_PROBE).await);
}

// A check that blocks its thread cannot be timed out: its run, on the
// refresh task, does not end while it blocks, and the last result ages. Past
// 3 periods and a timeout the probes say so. The refresh runs on a runtime of
// its own here (the first probe's, on a thread of its own), so that the
// server's runtime answers at once: on one multi-thread runtime, a worker
// blocked by the check can hold up the connection tasks of the others.
#[test]
fn a_stuck_background_refresh_stops_answering_200() {
    let stuck = Arc::new(AtomicBool::new(false));
    let health = Health::new()
        .with_shutdown(ShutdownHandle::new())
        .check("db", {
            let stuck = stuck.clone();
            move || {
                let stuck = stuck.load(Ordering::SeqCst);
                async move {
                    if stuck {
                        // A synchronous driver call, on the runtime's thread.
                        std::thread::sleep(Duration::from_millis(1_500));
                    }
                    Ok::<(), String>(())
                }
            }
        })
        .refresh_every(Duration::from_millis(50))
        .timeout(Duration::from_millis(50))
        .public_reason();
    let app = guarded_app(health);
    let (started, first_probe) = std::sync::mpsc::channel();
    let refresher = std::thread::spawn({
        let app = app.clone();
        move || {
            client().block_on(async {
                assert_healthy(&send(&app, kamal_probe(Method::GET, "/up")).await);
                started.send(()).unwrap();
                // Keeps the refresh task's runtime running.
                tokio::time::sleep(Duration::from_secs(3)).await;
            });
        }
    });
    first_probe.recv().unwrap();

    let server_runtime = tokio::runtime::Runtime::new().unwrap();
    let server = server_runtime.block_on(TestServer::start(app));
    client().block_on(async {
        assert_healthy(&server.exchange(KAMAL_PROBE).await);
        stuck.store(true, Ordering::SeqCst);
        // The next run starts within 50 ms and blocks for 1.5 s: from 250 ms
        // on at the latest, the last result is older than 3 × 50 + 50 ms.
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_unavailable_because(&server.exchange(KAMAL_PROBE).await, "timeout");

        stuck.store(false, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_healthy(&server.exchange(KAMAL_PROBE).await);
    });
    refresher.join().unwrap();
}

/// The server's runtime (2 workers) serving `health` behind the macro. The
/// probes come from [`client`], a runtime of its own.
fn serve(health: Health) -> (tokio::runtime::Runtime, TestServer) {
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = server_runtime.block_on(TestServer::start(guarded_app(health)));
    (server_runtime, server)
}

/// A current-thread runtime on the test's thread, for the probes.
fn client() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// kamal-proxy's probe headers on `GET /livez`, answered while every worker
/// of the server's runtime is blocked for 1 s, and the answer's latency.
fn livez_during_a_stall(
    server_runtime: &tokio::runtime::Runtime,
    server: &TestServer,
) -> (Reply, Duration) {
    let livez = kamal_probe_bytes("GET", "/livez");
    client().block_on(async {
        // Live, and the watchdog (if any) started by this first probe.
        assert_healthy(&server.exchange(&livez).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut connection = RawConnection::open(server.addr()).await;
        block_every_worker(server_runtime.handle(), 2, Duration::from_secs(1));
        let start = Instant::now();
        let reply = connection.exchange(&livez).await;
        (reply, start.elapsed())
    })
}

#[test]
fn the_watchdog_fails_liveness_after_every_worker_was_blocked() {
    let health = Health::new()
        .with_shutdown(ShutdownHandle::new())
        .watchdog(Duration::from_millis(300))
        .public_reason();
    let (server_runtime, server) = serve(health);
    let (reply, latency) = livez_during_a_stall(&server_runtime, &server);
    assert_unavailable_because(&reply, "timeout: watchdog");
    // Answered only once a worker was free again: nothing runs in a stall.
    assert!(latency >= Duration::from_millis(500), "{latency:?}");

    // The runtime runs again: live again, on the same connection too.
    client().block_on(async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_healthy(&server.exchange(&kamal_probe_bytes("GET", "/livez")).await);
    });
}

#[test]
fn without_the_watchdog_the_same_stall_answers_a_slow_200() {
    let (server_runtime, server) = serve(Health::new().with_shutdown(ShutdownHandle::new()));
    let (reply, latency) = livez_during_a_stall(&server_runtime, &server);
    assert_healthy(&reply);
    assert!(latency >= Duration::from_millis(500), "{latency:?}");
}
