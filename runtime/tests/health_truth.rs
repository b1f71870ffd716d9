//! Health results that cannot lie, in process and in paused time: a check
//! that never passed is never tolerated, a recovery threshold, background
//! results that stop being trusted when their refresh stops, and the opt-in
//! public reason of a `503`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use axum::{Router, body::Body};
use axum_kamal::{Health, ShutdownHandle, Tolerance, healthcheck};
use futures_util::future::BoxFuture;
use http::{Method, Request, StatusCode};
use probe::{
    Reply, assert_healthy, assert_unavailable, assert_unavailable_because, kamal_probe, with_header,
};
use tokio::time::sleep;
use tower::ServiceExt;

#[path = "common/probe.rs"]
mod probe;

const SECRET_HEADER: &str = "x-health-secret";
const SECRET: &str = "0123456789abcdef-secret";
const PERIOD: Duration = Duration::from_secs(1);

/// A check that fails while `down` is set, taking `delay_ms` (shared, so a
/// test can make later runs slow).
#[derive(Clone, Default)]
struct Dependency {
    down: Arc<AtomicBool>,
    delay_ms: Arc<AtomicU64>,
}

impl Dependency {
    fn check(
        &self,
    ) -> impl Fn() -> BoxFuture<'static, Result<(), &'static str>> + Send + Sync + 'static {
        let this = self.clone();
        move || {
            let this = this.clone();
            Box::pin(async move {
                sleep(Duration::from_millis(this.delay_ms.load(SeqCst))).await;
                if this.down.load(SeqCst) {
                    Err("connection refused (10.0.0.5:5432)")
                } else {
                    Ok(())
                }
            })
        }
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, SeqCst);
    }
}

/// `health` isolated from the process-wide drain, with details.
fn app(health: Health) -> Router {
    let health = health
        .with_shutdown(ShutdownHandle::new())
        .details_secret(SECRET_HEADER, SECRET);
    Router::new().layer(healthcheck().health(health))
}

async fn up(app: &Router) -> Reply {
    let req: Request<Body> = kamal_probe(Method::GET, "/up");
    Reply::collect(app.clone().oneshot(req).await.unwrap()).await
}

async fn details(app: &Router) -> serde_json::Value {
    let req: Request<Body> = with_header(kamal_probe(Method::GET, "/up"), SECRET_HEADER, SECRET);
    let reply = Reply::collect(app.clone().oneshot(req).await.unwrap()).await;
    serde_json::from_slice(&reply.body).expect("JSON details")
}

fn db_output(details: &serde_json::Value) -> &serde_json::Value {
    &details["checks"]["db:responseTime"][0]["output"]
}

// alexliesenfeld/health#31: a tolerance reported ready for a check that had
// never passed.
#[tokio::test(start_paused = true)]
async fn a_check_that_never_passed_is_not_ready_whatever_its_tolerance() {
    let db = Dependency::default();
    db.set_down(true);
    let tolerance = Tolerance::fail_after(u32::MAX, Duration::MAX);
    let app = app(Health::new()
        .check_with("db", tolerance, db.check())
        .cache_ttl(Duration::ZERO));
    for _ in 0..10 {
        assert_unavailable(&up(&app).await);
        sleep(PERIOD).await;
    }
    db.set_down(false);
    assert_healthy(&up(&app).await);
    // Once it has passed, the same tolerance keeps it ready.
    db.set_down(true);
    assert_healthy(&up(&app).await);
    assert_eq!(details(&app).await["status"], "warn");
}

#[tokio::test(start_paused = true)]
async fn a_recovery_threshold_needs_that_many_passes_in_a_row() {
    let db = Dependency::default();
    let app = app(Health::new()
        .check_with("db", Tolerance::NONE.recover_after(3), db.check())
        .cache_ttl(Duration::ZERO)
        .public_reason());
    // Never failed: the first pass counts.
    assert_healthy(&up(&app).await);

    db.set_down(true);
    assert_unavailable_because(&up(&app).await, "failing: db");
    db.set_down(false);
    assert_unavailable_because(&up(&app).await, "failing: db");
    let v = details(&app).await; // the 2nd pass
    assert_eq!(v["status"], "fail");
    assert_eq!(*db_output(&v), "recovering: 2 of 3 passes");
    // A failure while recovering starts the count again.
    db.set_down(true);
    assert_unavailable_because(&up(&app).await, "failing: db");
    db.set_down(false);
    assert_unavailable_because(&up(&app).await, "failing: db");
    assert_unavailable_because(&up(&app).await, "failing: db");
    assert_healthy(&up(&app).await);
    assert_healthy(&up(&app).await);
}

#[tokio::test(start_paused = true)]
async fn the_public_reason_names_classes_and_checks_never_errors() {
    let (db, cache) = (Dependency::default(), Dependency::default());
    let app = app(Health::new()
        .check("db", db.check())
        .check("cache", cache.check())
        .optional_check("search", || async { Err::<(), _>("index stale") })
        .timeout(Duration::from_secs(2))
        .cache_ttl(Duration::ZERO)
        .public_reason());
    assert_healthy(&up(&app).await);

    db.set_down(true);
    let reply = up(&app).await;
    assert_unavailable_because(&reply, "failing: db");
    assert!(!reply.text().contains("refused"), "no error text");

    // Every failing check timed out: `timeout`.
    db.set_down(false);
    db.delay_ms.store(5_000, SeqCst);
    cache.delay_ms.store(5_000, SeqCst);
    assert_unavailable_because(&up(&app).await, "timeout: db, cache");

    // One timed out, one errored: `failing`, both named.
    cache.delay_ms.store(0, SeqCst);
    cache.set_down(true);
    assert_unavailable_because(&up(&app).await, "failing: db, cache");
}

#[tokio::test(start_paused = true)]
async fn without_the_opt_in_a_503_says_nothing() {
    let db = Dependency::default();
    db.set_down(true);
    let app = app(Health::new().check("db", db.check()));
    assert_unavailable(&up(&app).await);
}

#[tokio::test(start_paused = true)]
async fn the_public_reason_of_the_gates() {
    let started = axum_kamal::StartupGate::new();
    let shutdown = ShutdownHandle::new();
    let health = Health::new()
        .check("db", Dependency::default().check())
        .startup(started.clone())
        .with_shutdown(shutdown.clone())
        .public_reason();
    let app = Router::new().layer(healthcheck().health(health));
    assert_unavailable_because(&up(&app).await, "starting");
    started.open();
    assert_healthy(&up(&app).await);
    shutdown.trigger();
    assert_unavailable_because(&up(&app).await, "draining");
}

/// A current-thread runtime with paused time, as `#[tokio::test]` builds.
fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

// The refresh task dies with its runtime while the app lives on (an app
// built once and served by two runtimes, a test harness's runtime per test).
#[test]
fn a_refresh_cancelled_mid_run_counts_as_failing_and_restarts() {
    let db = Dependency::default();
    let app = app(Health::new()
        .check("db", db.check())
        .refresh_every(PERIOD)
        .timeout(Duration::from_secs(2))
        .public_reason());

    paused_runtime().block_on(async {
        assert_healthy(&up(&app).await); // starts the refresh
        db.delay_ms.store(1_500, SeqCst);
        // The second run starts at 1 s and would end at 2.5 s.
        sleep(Duration::from_millis(1_200)).await;
        assert_healthy(&up(&app).await);
    }); // the runtime, and the refresh task mid-run, dropped

    paused_runtime().block_on(async {
        let reply = up(&app).await;
        assert_unavailable_because(&reply, "timeout: db");
        let v = details(&app).await;
        assert_eq!(v["status"], "fail");
        assert_eq!(*db_output(&v), "cancelled mid-run");
        // That probe started a new refresh, on this runtime.
        db.delay_ms.store(0, SeqCst);
        sleep(PERIOD * 2).await;
        assert_healthy(&up(&app).await);
    });
}

// The refresh task dies between runs: nothing was cancelled, but the last
// result ages; past 3 periods and a timeout it no longer answers `200`.
#[test]
fn a_background_result_too_old_counts_as_failing() {
    let db = Dependency::default();
    let period = Duration::from_millis(20);
    let app = app(Health::new()
        .check("db", db.check())
        .refresh_every(period)
        .timeout(Duration::from_millis(20))
        .public_reason());
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    };
    runtime().block_on(async { assert_healthy(&up(&app).await) });
    // Older than 3 × 20 ms + 20 ms.
    std::thread::sleep(Duration::from_millis(200));
    runtime().block_on(async {
        assert_unavailable_because(&up(&app).await, "timeout");
        let output = details(&app).await["output"].clone();
        assert!(
            output
                .as_str()
                .is_some_and(|o| o.starts_with("stale: the background refresh")),
            "{output}"
        );
        // The probe restarted the refresh: fresh results answer again.
        let fresh = async {
            while up(&app).await.status != StatusCode::OK {
                sleep(period).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), fresh)
            .await
            .expect("a new refresh ran");
    });
}
