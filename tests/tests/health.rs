//! Readiness through the macro: `#[kamal_app(health = EXPR, liveness = ..)]`
//! with checks built from the function's parameters, answered in process and
//! over real TCP with kamal-proxy's exact probe. Failing, optional, panicking
//! and hanging checks, details on demand, the liveness path, the shutdown
//! drain with `axum::serve(..).with_graceful_shutdown(..)`, a storm of
//! probes, explicit `healthcheck()` placement, and the quickstart's checks.
//!
//! Timing: windows and timeouts use paused Tokio time in process; over TCP
//! (where the clock must be real) they are short real durations. Every
//! synchronisation with a request in flight awaits a signal.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum_kamal::{Health, ShutdownHandle, healthcheck};
use axum_kamal_examples::{Config, DATABASE_CHECK, HEALTH_SECRET_HEADER, LIVENESS_PATH};
use axum_kamal_tests::{
    CONTAINER_HOST, Counter, KAMAL_PROBE, PROBE_TIMEOUT, RawConnection, Reply, TestServer,
    assert_healthy, assert_healthy_head, assert_method_not_allowed, count, host_validation,
    kamal_probe, kamal_probe_bytes, kamal_probe_bytes_with, request, send, with_header,
};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Barrier, Notify, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// The only host the test apps accept; kamal-proxy's container host is not.
const PUBLIC_HOST: &str = "example.com";

/// Header and secret that unlock the JSON details.
const SECRET_HEADER: &str = "x-health-secret";
const SECRET: &str = "0d5c0c9e6b1a4f27a8e3-long-random-secret";

/// A required check's name and error that must never reach a public answer.
const DB_CHECK: &str = "postgres-primary";
const DB_ERROR: &str = "password authentication failed for user \"admin\" at 10.1.2.3:5432";

/// Words of check names and errors the public answer must not contain.
const UNDISCLOSED: [&str; 7] = [
    "postgres", "primary", "admin", "10.1.2.3", "password", "refused", "panicked",
];

// ---------------------------------------------------------------------------
// Apps under `#[kamal_app]`

/// An app behind host validation whose readiness is whatever `health` says.
#[axum_kamal::kamal_app(health = health, liveness = "/livez")]
fn guarded_app(health: Health) -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(host_validation(PUBLIC_HOST))
}

/// Ready while `db` accepts TCP connections: the health expression uses the
/// function's parameters.
#[axum_kamal::kamal_app(health = database_health(db, ttl), liveness = "/livez")]
fn db_app(db: SocketAddr, ttl: Duration) -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(host_validation(PUBLIC_HOST))
}

fn database_health(db: SocketAddr, ttl: Duration) -> Health {
    Health::new()
        .check(DB_CHECK, move || async move {
            TcpStream::connect(db).await.map(drop)
        })
        .cache_ttl(ttl)
        .details_secret(SECRET_HEADER, SECRET)
}

/// Lets a request in `/slow` report that it started, then waits for release.
#[derive(Clone, Debug, Default)]
struct Gate {
    started: Arc<Notify>,
    release: Arc<Notify>,
}

async fn slow(State(gate): State<Gate>) -> &'static str {
    gate.started.notify_one();
    gate.release.notified().await;
    "slow done"
}

/// [`guarded_app`] with a `/slow` route held by `gate`.
#[axum_kamal::kamal_app(health = health, liveness = "/livez")]
fn drain_app(health: Health, gate: Gate) -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route("/slow", get(slow))
        .with_state(gate)
        .layer(host_validation(PUBLIC_HOST))
}

/// Application state that the body moves into the router.
#[derive(Clone, Debug, Default)]
struct AppState {
    db_up: Arc<AtomicBool>,
}

/// Records the order in which the health expression and the body run.
type Log = Mutex<Vec<&'static str>>;

fn state_health(state: &AppState, log: &Log) -> Health {
    log.lock().unwrap().push("health");
    let db_up = Arc::clone(&state.db_up);
    Health::new().check("db", move || {
        let up = db_up.load(Ordering::SeqCst);
        async move { if up { Ok(()) } else { Err("db down") } }
    })
}

/// Explicit placement: `seen` counts every request, the probe included, and
/// the health expression borrows `state`, which the body then moves.
#[axum_kamal::kamal_app(health = state_health(&state, log), liveness = "/livez", allow(count))]
fn placed_app(state: AppState, log: &Log, seen: Counter) -> Router {
    log.lock().unwrap().push("body");
    Router::new()
        .route(
            "/",
            get(|State(state): State<AppState>| async move {
                format!("db up: {}", state.db_up.load(Ordering::SeqCst))
            }),
        )
        .with_state(state)
        .layer(host_validation(PUBLIC_HOST))
        .layer(healthcheck())
        .layer(from_fn_with_state(seen, count))
}

// ---------------------------------------------------------------------------
// Helpers

/// A check that counts its runs and passes after `delay`.
fn counted(runs: &Arc<AtomicUsize>, delay: Duration) -> Health {
    let runs = Arc::clone(runs);
    Health::new().check("counted", move || {
        runs.fetch_add(1, Ordering::SeqCst);
        async move {
            tokio::time::sleep(delay).await;
            Ok::<(), String>(())
        }
    })
}

/// A required check that fails with [`DB_ERROR`].
fn failing() -> Health {
    Health::new().check(DB_CHECK, || async { Err::<(), _>(DB_ERROR) })
}

async fn explode() -> Result<(), String> {
    panic!("check exploded with secret-token-xyz")
}

fn secret_line() -> String {
    format!("{SECRET_HEADER}: {SECRET}")
}

/// The healthcheck's public `503` to a `GET`, disclosing nothing.
#[track_caller]
fn assert_unavailable(reply: &Reply) {
    axum_kamal_tests::assert_unavailable(reply);
    assert_discloses_nothing(reply);
}

/// The healthcheck's public `503` to a `HEAD`, disclosing nothing.
#[track_caller]
fn assert_unavailable_head(reply: &Reply) {
    axum_kamal_tests::assert_unavailable_head(reply);
    assert_discloses_nothing(reply);
}

/// Neither the body nor any header names a check or its error.
#[track_caller]
fn assert_discloses_nothing(reply: &Reply) {
    let headers: Vec<String> = reply
        .headers
        .iter()
        .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap_or_default()))
        .collect();
    let everything = format!("{}\n{}", headers.join("\n"), reply.text()).to_lowercase();
    for word in UNDISCLOSED.iter().chain(&[DB_CHECK, "counted", "db down"]) {
        assert!(
            !everything.contains(&word.to_lowercase()),
            "public answer discloses {word:?}: {reply:?}"
        );
    }
}

/// The `application/health+json` details of `reply`, after checking its
/// headers.
#[track_caller]
fn details(reply: &Reply) -> Value {
    assert_eq!(
        reply.header("content-type"),
        Some("application/health+json"),
        "{reply:?}"
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    serde_json::from_slice(&reply.body).expect("details are JSON")
}

/// The check named `name` in `details`: the only entry under
/// `name:responseTime`, naming it as `componentId`.
#[track_caller]
fn check<'a>(details: &'a Value, name: &str) -> &'a Value {
    let entries = details["checks"][format!("{name}:responseTime")]
        .as_array()
        .unwrap_or_else(|| panic!("no check {name:?} in {details}"));
    assert_eq!(entries.len(), 1, "{details}");
    assert_eq!(entries[0]["componentId"], name, "{details}");
    &entries[0]
}

/// Serves `app` with `axum::serve(..).with_graceful_shutdown(graceful)`.
async fn serve_gracefully(
    app: Router,
    graceful: impl Future<Output = ()> + Send + 'static,
) -> (SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(graceful)
            .await
    });
    (addr, server)
}

async fn exchange(addr: SocketAddr, request: &[u8]) -> Reply {
    RawConnection::open(addr).await.exchange(request).await
}

// ---------------------------------------------------------------------------
// A dependency reached over TCP, from the function's parameters

#[tokio::test]
async fn health_expr_uses_parameters_real_tcp_dependency_down_and_back() {
    let ttl = Duration::from_millis(500);
    let db = TcpListener::bind("127.0.0.1:0").await.expect("bind db");
    let db_addr = db.local_addr().expect("db address");
    let server = TestServer::start(db_app(db_addr, ttl)).await;

    // Up: the check connects.
    let sent = Instant::now();
    assert_healthy(&server.exchange(KAMAL_PROBE).await);
    let answered = Instant::now();

    // Down. Within the window the cached pass still answers.
    drop(db);
    let cached = server.exchange(KAMAL_PROBE).await;
    if sent.elapsed() < ttl {
        assert_healthy(&cached);
    }

    // After the window the check runs again and fails; nothing disclosed.
    tokio::time::sleep_until(answered + ttl).await;
    let down_sent = Instant::now();
    assert_unavailable(&server.exchange(KAMAL_PROBE).await);
    let down_answered = Instant::now();
    let report = details(
        &server
            .exchange(&kamal_probe_bytes_with(
                "GET",
                "/up",
                &[(SECRET_HEADER, SECRET)],
            ))
            .await,
    );
    assert_eq!(report["status"], "fail");
    let db_check = check(&report, DB_CHECK);
    assert_eq!(db_check["status"], "fail");
    assert!(
        db_check["output"]
            .as_str()
            .is_some_and(|e| e.to_lowercase().contains("refused")),
        "{report}"
    );
    // Liveness does not depend on the database.
    assert_healthy(
        &server
            .exchange(&kamal_probe_bytes("GET", LIVENESS_PATH))
            .await,
    );

    // Back on the same port: 200 again once the cached failure expires.
    let _db = TcpListener::bind(db_addr).await.expect("rebind db");
    let cached = server.exchange(KAMAL_PROBE).await;
    if down_sent.elapsed() < ttl {
        assert_unavailable(&cached);
    }
    tokio::time::sleep_until(down_answered + ttl).await;
    assert_healthy(&server.exchange(KAMAL_PROBE).await);
}

#[tokio::test]
async fn health_expr_uses_parameters_in_process() {
    let db = TcpListener::bind("127.0.0.1:0").await.expect("bind db");
    let db_addr = db.local_addr().expect("db address");
    let app = db_app(db_addr, Duration::ZERO);
    assert_healthy(&send(&app, kamal_probe(Method::GET, "/up")).await);
    drop(db);
    assert_unavailable(&send(&app, kamal_probe(Method::GET, "/up")).await);
    let _db = TcpListener::bind(db_addr).await.expect("rebind db");
    assert_healthy(&send(&app, kamal_probe(Method::GET, "/up")).await);
}

// ---------------------------------------------------------------------------
// Failing and optional checks

#[tokio::test]
async fn failing_check_gives_503_disclosing_nothing() {
    let app = guarded_app(failing().details_secret(SECRET_HEADER, SECRET));
    assert_unavailable(&send(&app, kamal_probe(Method::GET, "/up")).await);
    assert_unavailable(&send(&app, kamal_probe(Method::GET, "/up?verbose=1")).await);

    let server = TestServer::start(app).await;
    assert_unavailable(&server.exchange(KAMAL_PROBE).await);
}

#[tokio::test]
async fn optional_failing_check_gives_200() {
    let health = Health::new()
        .check("db", || async { Ok::<(), String>(()) })
        .optional_check("search", || async { Err::<(), _>("index stale") })
        .details_secret(SECRET_HEADER, SECRET);
    let app = guarded_app(health);
    let reply = send(&app, kamal_probe(Method::GET, "/up")).await;
    assert_healthy(&reply);

    let report = details(
        &send(
            &app,
            with_header(kamal_probe(Method::GET, "/up"), SECRET_HEADER, SECRET),
        )
        .await,
    );
    assert_eq!(report["status"], "warn");
    assert_eq!(check(&report, "search")["output"], "index stale");
    assert_eq!(check(&report, "search")["optional"], true);
    assert_eq!(check(&report, "db")["status"], "pass");

    let server = TestServer::start(app).await;
    assert_healthy(&server.exchange(KAMAL_PROBE).await);
}

#[tokio::test]
async fn head_on_503_has_no_body() {
    let app = guarded_app(failing().details_secret(SECRET_HEADER, SECRET));
    assert_unavailable_head(&send(&app, kamal_probe(Method::HEAD, "/up")).await);
    let head_details = send(
        &app,
        with_header(kamal_probe(Method::HEAD, "/up"), SECRET_HEADER, SECRET),
    )
    .await;
    assert_eq!(head_details.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        head_details.header("content-type"),
        Some("application/health+json")
    );
    assert!(head_details.body.is_empty(), "{head_details:?}");

    // Over one keep-alive connection: had the HEAD answer carried body bytes,
    // the next response would not parse.
    let server = TestServer::start(app).await;
    let mut connection = RawConnection::open(server.addr()).await;
    assert_unavailable_head(&connection.exchange(&kamal_probe_bytes("HEAD", "/up")).await);
    assert_unavailable(&connection.exchange(KAMAL_PROBE).await);
    assert_unavailable_head(&connection.exchange(&kamal_probe_bytes("HEAD", "/up")).await);
    let home = connection
        .exchange(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
        .await;
    assert_eq!(
        (home.status, home.text().as_str()),
        (StatusCode::OK, "home")
    );
}

// ---------------------------------------------------------------------------
// Details on demand

#[tokio::test]
async fn details_only_with_the_right_secret() {
    let health = failing()
        .optional_check("cache", || async { Ok::<(), String>(()) })
        .details_secret(SECRET_HEADER, SECRET);
    let app = guarded_app(health);

    let report = details(
        &send(
            &app,
            with_header(kamal_probe(Method::GET, "/up"), SECRET_HEADER, SECRET),
        )
        .await,
    );
    assert_eq!(report["status"], "fail");
    let db = check(&report, DB_CHECK);
    assert_eq!(
        (&db["status"], &db["optional"], &db["output"]),
        (&"fail".into(), &false.into(), &DB_ERROR.into())
    );
    assert_eq!(check(&report, "cache")["status"], "pass");

    let near_misses = [
        (SECRET_HEADER, "wrong"),
        (SECRET_HEADER, &SECRET[..SECRET.len() - 1]),
        (SECRET_HEADER, &format!("{SECRET}x")),
        (SECRET_HEADER, &format!(" {SECRET}x")),
        (SECRET_HEADER, &SECRET.to_uppercase()),
        ("authorization", SECRET),
        ("x-health-secrets", SECRET),
    ];
    for (header, value) in near_misses {
        let reply = send(
            &app,
            with_header(kamal_probe(Method::GET, "/up"), header, value),
        )
        .await;
        assert_unavailable(&reply);
    }
    let in_query = format!("/up?{SECRET_HEADER}={SECRET}");
    assert_unavailable(&send(&app, kamal_probe(Method::GET, &in_query)).await);

    // Header names are case-insensitive on the wire.
    let server = TestServer::start(app).await;
    let report = details(
        &server
            .exchange(&kamal_probe_bytes_with(
                "GET",
                "/up",
                &[("X-Health-Secret", SECRET)],
            ))
            .await,
    );
    assert_eq!(check(&report, DB_CHECK)["output"], DB_ERROR);
    assert_unavailable(
        &server
            .exchange(&kamal_probe_bytes_with(
                "GET",
                "/up",
                &[(SECRET_HEADER, "nope")],
            ))
            .await,
    );
    assert_unavailable(&server.exchange(KAMAL_PROBE).await);
}

#[tokio::test]
async fn secret_never_bypasses_host_validation() {
    let app = guarded_app(failing().details_secret(SECRET_HEADER, SECRET));
    let others = [
        (Method::GET, "/"),
        (Method::GET, "/up/"),
        (Method::GET, "/UP"),
        (Method::GET, "/livez/"),
    ];
    for (method, target) in others.clone() {
        let reply = send(
            &app,
            with_header(kamal_probe(method.clone(), target), SECRET_HEADER, SECRET),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{method} {target}: {reply:?}"
        );
        assert!(!reply.text().contains(DB_CHECK));
    }
    // The liveness path ignores the secret: plain OK, no report.
    let live = send(
        &app,
        with_header(
            kamal_probe(Method::GET, LIVENESS_PATH),
            SECRET_HEADER,
            SECRET,
        ),
    )
    .await;
    assert_healthy(&live);
    // Another method at the health path: the route's 405, no report.
    let post = send(
        &app,
        with_header(kamal_probe(Method::POST, "/up"), SECRET_HEADER, SECRET),
    )
    .await;
    assert_method_not_allowed(&post);
    assert!(!post.text().contains(DB_CHECK));

    let server = TestServer::start(app).await;
    for (method, target) in others {
        let bytes = kamal_probe_bytes_with(method.as_str(), target, &[(SECRET_HEADER, SECRET)]);
        let reply = server.exchange(&bytes).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{method} {target}: {reply:?}"
        );
    }
    // The public host is still served, secret or not.
    let home = server
        .exchange(
            format!(
                "GET / HTTP/1.1\r\nHost: {PUBLIC_HOST}\r\n{}\r\n\r\n",
                secret_line()
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(
        (home.status, home.text().as_str()),
        (StatusCode::OK, "home")
    );
}

// ---------------------------------------------------------------------------
// Liveness

#[tokio::test(start_paused = true)]
async fn liveness_answers_200_while_readiness_answers_503() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counting_failure = {
        let runs = Arc::clone(&runs);
        Health::new()
            .check("db", move || {
                runs.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), _>("db down") }
            })
            .cache_ttl(Duration::ZERO)
    };
    let app = guarded_app(counting_failure);
    for _ in 0..3 {
        assert_healthy(&send(&app, kamal_probe(Method::GET, LIVENESS_PATH)).await);
        assert_healthy_head(&send(&app, kamal_probe(Method::HEAD, LIVENESS_PATH)).await);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 0, "liveness never runs checks");
    assert_unavailable(&send(&app, kamal_probe(Method::GET, "/up")).await);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // Liveness is not a way past host validation either.
    let near = send(&app, kamal_probe(Method::GET, "/livez/")).await;
    assert_eq!(near.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn liveness_over_tcp_while_readiness_fails() {
    let server = TestServer::start(guarded_app(failing())).await;
    let mut connection = RawConnection::open(server.addr()).await;
    assert_unavailable(&connection.exchange(KAMAL_PROBE).await);
    assert_healthy(
        &connection
            .exchange(&kamal_probe_bytes("GET", "/livez"))
            .await,
    );
    assert_healthy_head(
        &connection
            .exchange(&kamal_probe_bytes("HEAD", "/livez?x=1"))
            .await,
    );
}

// ---------------------------------------------------------------------------
// Shutdown drain

#[tokio::test]
async fn shutdown_drain_503_while_in_flight_request_completes_over_tcp() {
    // An isolated drain: the process-wide one would drain every test here
    // (tests/tests/process_drain.rs drains that one, in a process of its own).
    let shutdown = ShutdownHandle::new();
    let health = Health::new()
        .with_shutdown(shutdown.clone())
        .check("db", || async { Ok::<(), String>(()) });
    let gate = Gate::default();
    // The graceful future: the handle's signal (SIGTERM, Ctrl-C or trigger),
    // then a drain delay the test ends, during which connections are still
    // accepted and load balancers see the 503.
    let (end_delay, delay) = oneshot::channel::<()>();
    let graceful = {
        let shutdown = shutdown.clone();
        async move {
            shutdown.signal().await;
            let _ = delay.await;
        }
    };
    let (addr, mut server) = serve_gracefully(drain_app(health, gate.clone()), graceful).await;

    // A slow request in flight.
    let mut slow_connection = RawConnection::open(addr).await;
    let in_flight = tokio::spawn(async move {
        slow_connection
            .exchange(b"GET /slow HTTP/1.1\r\nHost: example.com\r\n\r\n")
            .await
    });
    gate.started.notified().await;
    assert_healthy(&exchange(addr, KAMAL_PROBE).await);

    shutdown.trigger();
    assert!(shutdown.is_draining());
    assert_unavailable(&exchange(addr, KAMAL_PROBE).await);
    assert_unavailable_head(&exchange(addr, &kamal_probe_bytes("HEAD", "/up")).await);
    assert_healthy(&exchange(addr, &kamal_probe_bytes("GET", "/livez")).await);
    assert!(!in_flight.is_finished());

    // End of the drain delay: axum stops accepting and waits for the slow
    // request, which is still held.
    end_delay.send(()).expect("graceful future waiting");
    let still_serving = tokio::time::timeout(Duration::from_millis(200), &mut server).await;
    assert!(
        still_serving.is_err(),
        "serve returned with a request in flight"
    );

    gate.release.notify_one();
    let slow = in_flight.await.expect("in-flight request task");
    assert_eq!(
        (slow.status, slow.text().as_str()),
        (StatusCode::OK, "slow done")
    );
    tokio::time::timeout(PROBE_TIMEOUT, server)
        .await
        .expect("serve returns once the in-flight request is done")
        .expect("serve task")
        .expect("serve");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed after shutdown"
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_drain_in_process_skips_checks() {
    let runs = Arc::new(AtomicUsize::new(0));
    let shutdown = ShutdownHandle::new();
    let health = counted(&runs, Duration::ZERO)
        .with_shutdown(shutdown.clone())
        .cache_ttl(Duration::ZERO)
        .details_secret(SECRET_HEADER, SECRET);
    let app = guarded_app(health);
    assert_healthy(&send(&app, kamal_probe(Method::GET, "/up")).await);
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    shutdown.trigger();
    assert_unavailable(&send(&app, kamal_probe(Method::GET, "/up")).await);
    assert_unavailable_head(&send(&app, kamal_probe(Method::HEAD, "/up")).await);
    let report = details(
        &send(
            &app,
            with_header(kamal_probe(Method::GET, "/up"), SECRET_HEADER, SECRET),
        )
        .await,
    );
    assert_eq!(
        (&report["status"], &report["output"]),
        (&"fail".into(), &"draining".into())
    );
    assert_healthy(&send(&app, kamal_probe(Method::GET, "/livez")).await);
    assert_eq!(runs.load(Ordering::SeqCst), 1, "no checks while draining");
    // Ordinary traffic is still served during the drain.
    let home = send(&app, request(Method::GET, "/", PUBLIC_HOST)).await;
    assert_eq!(home.status, StatusCode::OK);
}

// ---------------------------------------------------------------------------
// Storms and windows

#[tokio::test]
async fn storm_of_100_probes_over_tcp_runs_the_check_once() {
    const PROBES: usize = 100;
    let runs = Arc::new(AtomicUsize::new(0));
    let health = counted(&runs, Duration::from_millis(50)).cache_ttl(Duration::from_secs(60));
    let server = TestServer::start(guarded_app(health)).await;

    let barrier = Arc::new(Barrier::new(PROBES));
    let mut probes = JoinSet::new();
    for _ in 0..PROBES {
        let mut connection = RawConnection::open(server.addr()).await;
        let barrier = Arc::clone(&barrier);
        probes.spawn(async move {
            barrier.wait().await;
            connection.exchange(KAMAL_PROBE).await
        });
    }
    let replies = probes.join_all().await;
    assert_eq!(replies.len(), PROBES);
    for reply in &replies {
        assert_healthy(reply);
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "one run for the whole storm"
    );
}

#[tokio::test(start_paused = true)]
async fn storm_in_process_runs_the_check_once_per_window() {
    const PROBES: usize = 100;
    let runs = Arc::new(AtomicUsize::new(0));
    // Default window: 1 s. The run itself takes 100 ms.
    let app = guarded_app(counted(&runs, Duration::from_millis(100)));
    let storm = || {
        let mut probes = JoinSet::new();
        for _ in 0..PROBES {
            let app = app.clone();
            probes.spawn(async move { send(&app, kamal_probe(Method::GET, "/up")).await });
        }
        probes.join_all()
    };
    let start = Instant::now();
    for reply in storm().await {
        assert_healthy(&reply);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "probes share the run");

    tokio::time::sleep_until(start + Duration::from_millis(900)).await;
    for reply in storm().await {
        assert_healthy(&reply);
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "the result answers its window"
    );

    tokio::time::sleep_until(start + Duration::from_millis(1100)).await;
    for reply in storm().await {
        assert_healthy(&reply);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2, "one run per window");
}

// ---------------------------------------------------------------------------
// Panicking and hanging checks

#[tokio::test]
async fn panicking_check_gives_503_and_the_server_keeps_serving() {
    let health = Health::new()
        .check("exploding future", explode)
        .check(
            "exploding call",
            || -> std::future::Ready<Result<(), String>> { panic!("no future either") },
        )
        .cache_ttl(Duration::ZERO)
        .details_secret(SECRET_HEADER, SECRET);
    let app = guarded_app(health);
    assert_unavailable(&send(&app, kamal_probe(Method::GET, "/up")).await);

    let server = TestServer::start(app).await;
    let mut connection = RawConnection::open(server.addr()).await;
    for _ in 0..3 {
        let reply = connection.exchange(KAMAL_PROBE).await;
        assert_unavailable(&reply);
        assert!(!reply.text().contains("secret-token-xyz"));
    }
    let report = details(
        &connection
            .exchange(&kamal_probe_bytes_with(
                "GET",
                "/up",
                &[(SECRET_HEADER, SECRET)],
            ))
            .await,
    );
    for name in ["exploding future", "exploding call"] {
        let error = check(&report, name)["output"].as_str().unwrap_or_default();
        assert!(error.starts_with("panicked: "), "{report}");
    }
    // Same connection and new ones: the server is still serving.
    let home = connection
        .exchange(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
        .await;
    assert_eq!(
        (home.status, home.text().as_str()),
        (StatusCode::OK, "home")
    );
    assert_healthy(&server.exchange(&kamal_probe_bytes("GET", "/livez")).await);
    assert_unavailable(&server.exchange(KAMAL_PROBE).await);
}

#[tokio::test(start_paused = true)]
async fn hanging_check_is_cut_by_the_timeout_in_process() {
    let timeout = Duration::from_millis(300);
    let health = Health::new()
        .check("hangs", std::future::pending::<Result<(), String>>)
        .timeout(timeout)
        .details_secret(SECRET_HEADER, SECRET);
    let app = guarded_app(health);
    let start = Instant::now();
    assert_unavailable(&send(&app, kamal_probe(Method::GET, "/up")).await);
    // Paused time: the timeout cuts the run exactly.
    assert_eq!(start.elapsed(), timeout);
    let report = details(
        &send(
            &app,
            with_header(kamal_probe(Method::GET, "/up"), SECRET_HEADER, SECRET),
        )
        .await,
    );
    assert_eq!(check(&report, "hangs")["output"], "timed out after 300ms");
}

#[tokio::test]
async fn hanging_check_is_cut_by_the_timeout_over_tcp() {
    let timeout = Duration::from_millis(200);
    let health = Health::new()
        .check("hangs", std::future::pending::<Result<(), String>>)
        .timeout(timeout)
        .cache_ttl(Duration::ZERO);
    let server = TestServer::start(guarded_app(health)).await;
    let mut connection = RawConnection::open(server.addr()).await;
    for _ in 0..2 {
        let start = Instant::now();
        assert_unavailable(&connection.exchange(KAMAL_PROBE).await);
        let elapsed = start.elapsed();
        assert!(elapsed >= timeout && elapsed < PROBE_TIMEOUT, "{elapsed:?}");
    }
    let home = connection
        .exchange(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
        .await;
    assert_eq!(home.status, StatusCode::OK);
}

// ---------------------------------------------------------------------------
// Health expression with explicit `healthcheck()` placement

#[tokio::test(start_paused = true)]
async fn health_expr_with_explicit_placement() {
    let state = AppState::default();
    state.db_up.store(true, Ordering::SeqCst);
    let log = Log::default();
    let seen = Counter::default();
    let app = placed_app(state.clone(), &log, seen.clone());
    assert_eq!(
        *log.lock().unwrap(),
        ["health", "body"],
        "the health expression runs once, before the body"
    );

    // The counter runs before the placed healthcheck, host validation after.
    assert_healthy(&send(&app, kamal_probe(Method::GET, "/up")).await);
    assert_eq!(seen.get(), 1);
    assert_healthy(&send(&app, kamal_probe(Method::GET, "/livez")).await);
    assert_eq!(seen.get(), 2);
    let rejected = send(&app, kamal_probe(Method::GET, "/")).await;
    assert_eq!(rejected.status, StatusCode::BAD_REQUEST);
    assert_eq!(seen.get(), 3);

    state.db_up.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(1)).await; // the default window
    assert_unavailable(&send(&app, kamal_probe(Method::GET, "/up")).await);
    assert_healthy(&send(&app, kamal_probe(Method::GET, "/livez")).await);
    let home = send(&app, request(Method::GET, "/", PUBLIC_HOST)).await;
    assert_eq!(home.text(), "db up: false");
    assert_eq!(seen.get(), 6);

    let server = TestServer::start(app).await;
    assert_unavailable(&server.exchange(KAMAL_PROBE).await);
    assert_eq!(seen.get(), 7);
}

// ---------------------------------------------------------------------------
// The quickstart's readiness (examples/src/lib.rs)

fn quickstart_config(vars: &[(&str, &str)]) -> Config {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_lookup(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
}

#[test]
fn quickstart_reads_database_addr_and_health_secret() {
    let config = quickstart_config(&[
        ("ALLOWED_HOSTS", "example.com"),
        ("DATABASE_ADDR", " db.internal:5432 "),
        ("HEALTH_SECRET", SECRET),
    ]);
    assert_eq!(config.database_addr.as_deref(), Some("db.internal:5432"));
    assert_eq!(config.health_secret.as_deref(), Some(SECRET));
    assert_eq!(config.allowed_hosts.to_string(), "example.com");
    let debug = format!("{config:?}");
    assert!(!debug.contains(SECRET), "Debug leaks the secret: {debug}");
    assert!(debug.contains("<redacted>"), "{debug}");

    let unset = quickstart_config(&[("DATABASE_ADDR", " "), ("HEALTH_SECRET", "")]);
    assert_eq!(unset.database_addr, None);
    assert_eq!(unset.health_secret, None);
    let default = Config::default();
    assert_eq!((default.database_addr, default.health_secret), (None, None));
}

#[tokio::test]
async fn quickstart_without_database_addr_has_no_check() {
    let config = Config::default();
    let app = axum_kamal_examples::app(&config);
    assert_healthy(&send(&app, kamal_probe(Method::GET, "/up")).await);
    // No HEALTH_SECRET: a header of that name changes nothing.
    let reply = send(
        &app,
        with_header(kamal_probe(Method::GET, "/up"), HEALTH_SECRET_HEADER, "x"),
    )
    .await;
    assert_healthy(&reply);
    assert_healthy(&send(&app, kamal_probe(Method::GET, LIVENESS_PATH)).await);
}

#[tokio::test]
async fn quickstart_database_check_over_tcp() {
    let db = TcpListener::bind("127.0.0.1:0").await.expect("bind db");
    let db_addr = db.local_addr().expect("db address").to_string();
    let up = Config::default()
        .with_database_addr(&db_addr)
        .with_health_secret(SECRET);
    let server = TestServer::start(axum_kamal_examples::app(&up)).await;
    assert_healthy(&server.exchange(KAMAL_PROBE).await);
    let secret = [(HEALTH_SECRET_HEADER, SECRET)];
    let report = details(
        &server
            .exchange(&kamal_probe_bytes_with("GET", "/up", &secret))
            .await,
    );
    assert_eq!(report["status"], "pass");
    assert_eq!(check(&report, DATABASE_CHECK)["status"], "pass");

    // A fresh app (no cached result) while the database refuses connections.
    drop(db);
    let down = Config::default()
        .with_database_addr(&db_addr)
        .with_health_secret(SECRET);
    let server = TestServer::start(axum_kamal_examples::app(&down)).await;
    let reply = server.exchange(KAMAL_PROBE).await;
    assert_unavailable(&reply);
    assert!(!reply.text().contains(&db_addr));
    let report = details(
        &server
            .exchange(&kamal_probe_bytes_with("GET", "/up", &secret))
            .await,
    );
    let error = check(&report, DATABASE_CHECK)["output"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.starts_with(&format!("connect to {db_addr}: ")),
        "{report}"
    );
    assert_healthy(
        &server
            .exchange(&kamal_probe_bytes("GET", LIVENESS_PATH))
            .await,
    );
    // The container Host is still rejected everywhere else.
    let root = server
        .exchange(&kamal_probe_bytes_with("GET", "/", &secret))
        .await;
    assert_eq!(root.status, StatusCode::BAD_REQUEST);
    assert!(root.text().contains(CONTAINER_HOST));
}

#[tokio::test]
async fn quickstart_shutdown_handle_drains_readiness() {
    let config = Config::from_vars(Some(PUBLIC_HOST), None);
    let app = axum_kamal_examples::app(&config);
    assert_healthy(&send(&app, kamal_probe(Method::GET, "/up")).await);
    config.clone().shutdown.trigger();
    assert_unavailable(&send(&app, kamal_probe(Method::GET, "/up")).await);
    assert_healthy(&send(&app, kamal_probe(Method::GET, LIVENESS_PATH)).await);
    let index = send(&app, request(Method::GET, "/", PUBLIC_HOST)).await;
    assert_eq!(index.status, StatusCode::OK);
}
