//! Faults over real TCP, bounded to a few seconds each:
//!
//! * every handler (or a middleware in front of them) stuck forever: probes
//!   are still answered promptly (latency printed, `--nocapture`);
//! * readiness checks that hang, panic, fail or flap: answers stay correct and
//!   the server never goes down;
//! * a probe storm against a slow check runs it once (coalescing);
//! * a short burst of mixed traffic: no failed probe.
//!
//! The long load run is `tests/examples/mixed_load.rs`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;
use axum_kamal::Health;
use axum_kamal_examples::{Config, app as quickstart};
use axum_kamal_tests::{
    KAMAL_PROBE, RawConnection, Reply, TestServer, assert_healthy, assert_unavailable,
    kamal_probe_bytes_with,
};
use http::StatusCode;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// How many requests are left stuck in the app while probes are measured.
const STUCK: usize = 200;

/// Latency summary of `samples`: min / p50 / p99 / max.
fn summary(samples: &mut [Duration]) -> String {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() - 1) as f64 * q).round() as usize;
        samples[i]
    };
    format!(
        "n={} min={:?} p50={:?} p99={:?} max={:?}",
        samples.len(),
        samples[0],
        at(0.5),
        at(0.99),
        samples[samples.len() - 1]
    )
}

/// Opens `n` connections, each sending `request` and never reading: the
/// requests sit in the app for as long as the connections are held.
async fn park(addr: SocketAddr, n: usize, request: &[u8]) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(request).await.expect("write");
        streams.push(stream);
    }
    streams
}

/// `n` kamal-proxy probes, each on a fresh connection, one after the other;
/// every answer must be the healthcheck's. Returns their latencies.
async fn timed_probes(addr: SocketAddr, n: usize) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let reply = RawConnection::open(addr).await.exchange(KAMAL_PROBE).await;
        latencies.push(started.elapsed());
        assert_healthy(&reply);
    }
    latencies
}

// ---------------------------------------------------------------------------
// Stuck apps.

async fn stuck_forever() -> &'static str {
    std::future::pending().await
}

async fn sleep_an_hour() -> &'static str {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    "late"
}

/// Every route and the fallback hang.
#[axum_kamal::kamal_app]
fn stuck_handlers() -> Router {
    Router::new()
        .route("/", get(stuck_forever).post(stuck_forever))
        .route("/slow", get(sleep_an_hour))
        .fallback(stuck_forever)
}

/// A middleware in front of every route that never calls `next`.
async fn hang(_request: Request, _next: Next) -> Response {
    std::future::pending().await
}

#[axum_kamal::kamal_app]
fn stuck_middleware() -> Router {
    Router::new()
        .route("/", get(|| async { "never reached" }))
        .layer(from_fn(hang))
}

async fn probes_answered_while_app_is_stuck(app: Router, what: &str) {
    let server = TestServer::start(app).await;
    let addr = server.addr();
    let mut parked = park(
        addr,
        STUCK / 2,
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    parked.extend(
        park(
            addr,
            STUCK / 2,
            b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n",
        )
        .await,
    );
    // Let every parked request reach its handler.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut latencies = timed_probes(addr, 100).await;
    // The probe on a connection whose previous request is stuck cannot be
    // answered (HTTP/1.1 answers in order); fresh connections are.
    println!(
        "{what}: {STUCK} stuck requests, probe latency {}",
        summary(&mut latencies)
    );
    let max = *latencies.last().expect("probes");
    assert!(
        max < Duration::from_secs(1),
        "{what}: slowest probe {max:?}"
    );
    drop(parked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_are_answered_while_every_handler_is_stuck() {
    probes_answered_while_app_is_stuck(stuck_handlers(), "stuck handlers").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_are_answered_while_a_middleware_is_stuck() {
    probes_answered_while_app_is_stuck(stuck_middleware(), "stuck middleware").await;
}

/// The app itself really is stuck: an app request gets no answer.
#[tokio::test]
async fn the_stuck_app_really_is_stuck() {
    let server = TestServer::start(stuck_handlers()).await;
    let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(
        Duration::from_millis(300),
        tokio::io::AsyncReadExt::read(&mut stream, &mut buf),
    )
    .await;
    assert!(read.is_err(), "an app request was answered: {read:?}");
}

// ---------------------------------------------------------------------------
// Faulty readiness checks.

/// How many times the hanging check started.
static HANGING_RUNS: AtomicUsize = AtomicUsize::new(0);

fn hanging_health() -> Health {
    Health::new()
        .check("hangs", || async {
            HANGING_RUNS.fetch_add(1, Ordering::SeqCst);
            std::future::pending::<Result<(), String>>().await
        })
        .timeout(Duration::from_millis(200))
        .cache_ttl(Duration::from_millis(500))
}

#[axum_kamal::kamal_app(health = hanging_health())]
fn hanging_check_app() -> Router {
    Router::new().route("/", get(|| async { "app" }))
}

fn panicking_health() -> Health {
    Health::new()
        .check("panics", || async {
            panic!("the check exploded");
            #[allow(unreachable_code)]
            Ok::<(), String>(())
        })
        .check(
            "panics-before-its-future",
            || -> std::future::Ready<Result<(), String>> {
                panic!("the check exploded before returning a future")
            },
        )
        .cache_ttl(Duration::ZERO)
}

#[axum_kamal::kamal_app(health = panicking_health())]
fn panicking_check_app() -> Router {
    Router::new().route("/", get(|| async { "app" }))
}

fn failing_health() -> Health {
    Health::new()
        .check("fails", || async { Err::<(), _>("database unreachable") })
        .optional_check("optional-fails", || async { Err::<(), _>("cache cold") })
        .details_secret("x-health-secret", "a-long-random-secret-for-tests")
        .cache_ttl(Duration::ZERO)
}

#[axum_kamal::kamal_app(health = failing_health())]
fn failing_check_app() -> Router {
    Router::new().route("/", get(|| async { "app" }))
}

/// Flaps: run `n` passes when `n` is even, fails when odd.
static FLAP_RUNS: AtomicUsize = AtomicUsize::new(0);

fn flapping_health() -> Health {
    Health::new()
        .check("flaps", || async {
            match FLAP_RUNS.fetch_add(1, Ordering::SeqCst) % 2 {
                0 => Ok(()),
                _ => Err("flap"),
            }
        })
        .cache_ttl(Duration::ZERO)
}

#[axum_kamal::kamal_app(health = flapping_health())]
fn flapping_check_app() -> Router {
    Router::new().route("/", get(|| async { "app" }))
}

async fn probe(addr: SocketAddr) -> Reply {
    RawConnection::open(addr).await.exchange(KAMAL_PROBE).await
}

async fn app_request(addr: SocketAddr) -> Reply {
    RawConnection::open(addr)
        .await
        .exchange(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
}

#[tokio::test]
async fn a_hanging_check_times_out_into_503_and_is_cached() {
    let server = TestServer::start(hanging_check_app()).await;
    let addr = server.addr();
    let before = HANGING_RUNS.load(Ordering::SeqCst);
    let started = Instant::now();
    // 20 concurrent probes share one run.
    let replies = futures_join(addr, 20).await;
    let first = started.elapsed();
    for reply in &replies {
        assert_unavailable(reply);
    }
    assert!(
        first >= Duration::from_millis(200) && first < Duration::from_secs(2),
        "answered after the 200 ms timeout: {first:?}"
    );
    // Within the 500 ms cache window: answered at once, no new run.
    let started = Instant::now();
    assert_unavailable(&probe(addr).await);
    assert!(started.elapsed() < Duration::from_millis(150));
    assert_eq!(HANGING_RUNS.load(Ordering::SeqCst) - before, 1, "one run");
    // The app is unaffected.
    assert_eq!(app_request(addr).await.text(), "app");
}

async fn futures_join(addr: SocketAddr, n: usize) -> Vec<Reply> {
    let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(probe(addr))).collect();
    let mut replies = Vec::with_capacity(n);
    for task in tasks {
        replies.push(task.await.expect("probe task"));
    }
    replies
}

#[tokio::test]
async fn panicking_checks_answer_503_and_the_server_stays_up() {
    let server = TestServer::start(panicking_check_app()).await;
    let addr = server.addr();
    // Each probe runs both checks (no cache); each panic prints its message.
    for _ in 0..3 {
        assert_unavailable(&probe(addr).await);
        assert_eq!(app_request(addr).await.text(), "app");
    }
}

#[tokio::test]
async fn failing_checks_answer_503_details_only_with_the_secret() {
    let server = TestServer::start(failing_check_app()).await;
    let addr = server.addr();
    assert_unavailable(&probe(addr).await);

    let with = |secret| kamal_probe_bytes_with("GET", "/up", &[("x-health-secret", secret)]);
    let details = RawConnection::open(addr)
        .await
        .exchange(&with("a-long-random-secret-for-tests"))
        .await;
    assert_eq!(details.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        details.header("content-type"),
        Some("application/health+json")
    );
    assert!(
        details.text().contains("database unreachable"),
        "{details:?}"
    );

    // Wrong, prefixed, extended, empty or differently cased secrets get the
    // bare answer: nothing about the checks leaks.
    for wrong in [
        "a-long-random-secret-for-test",
        "a-long-random-secret-for-testsX",
        "A-LONG-RANDOM-SECRET-FOR-TESTS",
        "",
        "x",
    ] {
        let reply = RawConnection::open(addr).await.exchange(&with(wrong)).await;
        assert_unavailable(&reply);
        assert!(!reply.text().contains("database"), "{wrong:?}: {reply:?}");
    }
    assert_eq!(app_request(addr).await.text(), "app");
}

#[tokio::test]
async fn a_flapping_check_gives_each_probe_its_own_run_result() {
    let server = TestServer::start(flapping_check_app()).await;
    let addr = server.addr();
    let (mut ok, mut unavailable) = (0, 0);
    for _ in 0..40 {
        let run = FLAP_RUNS.load(Ordering::SeqCst);
        let reply = probe(addr).await;
        // Sequential probes and no cache: each probe is exactly one run.
        assert_eq!(FLAP_RUNS.load(Ordering::SeqCst), run + 1);
        if matches!(run % 2, 0) {
            assert_healthy(&reply);
            ok += 1;
        } else {
            assert_unavailable(&reply);
            unavailable += 1;
        }
    }
    assert_eq!((ok, unavailable), (20, 20));
    assert_eq!(app_request(addr).await.text(), "app");
}

/// A storm of simultaneous probes runs a slow check once.
#[tokio::test]
async fn a_probe_storm_runs_a_slow_check_once() {
    let runs = Arc::new(AtomicUsize::new(0));
    let health = Health::new().check("slow", {
        let runs = runs.clone();
        move || {
            runs.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                Ok::<(), String>(())
            }
        }
    });
    let app = Router::new()
        .route("/", get(|| async { "app" }))
        .layer(axum_kamal::healthcheck().health(health));
    let server = TestServer::start(app).await;
    let replies = futures_join(server.addr(), 200).await;
    replies.iter().for_each(assert_healthy);
    assert_eq!(runs.load(Ordering::SeqCst), 1, "coalesced into one run");
}

// ---------------------------------------------------------------------------
// A short burst of mixed traffic against the quickstart.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_burst_against_the_quickstart() {
    let server = TestServer::start(quickstart(&Config::default())).await;
    let addr = server.addr();
    let deadline = Instant::now() + Duration::from_secs(2);
    let workers: Vec<_> = (0..64)
        .map(|i| {
            tokio::spawn(async move {
                let mut connection = RawConnection::open(addr).await;
                let (mut probes, mut requests) = (0usize, 0usize);
                while Instant::now() < deadline {
                    if (i + probes + requests) % 2 == 0 {
                        assert_healthy(&connection.exchange(KAMAL_PROBE).await);
                        probes += 1;
                    } else {
                        let reply = connection
                            .exchange(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                            .await;
                        assert_eq!(reply.status, StatusCode::OK);
                        requests += 1;
                    }
                }
                (probes, requests)
            })
        })
        .collect();
    let (mut probes, mut requests) = (0, 0);
    for worker in workers {
        let (p, r) = worker.await.expect("no worker failed");
        probes += p;
        requests += r;
    }
    println!("mixed burst: {probes} probes and {requests} app requests in 2 s, none failed");
    assert!(probes > 100 && requests > 100);
}
