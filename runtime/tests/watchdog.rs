//! The runtime watchdog (`Health::watchdog`) in paused time: the liveness
//! path answers `503` when the heartbeat task has not run within the limit,
//! `200` otherwise; readiness and the liveness path without a watchdog are
//! unaffected.

use std::time::Duration;

use axum::{Router, body::Body};
use axum_kamal::{Health, ShutdownHandle, healthcheck};
use http::{Method, Request};
use probe::{
    Reply, assert_healthy, assert_healthy_head, assert_unavailable, assert_unavailable_because,
    assert_unavailable_head, kamal_probe,
};
use tokio::time::{advance, sleep};
use tower::ServiceExt;

#[path = "common/probe.rs"]
mod probe;

const LIMIT: Duration = Duration::from_secs(2);

fn app(health: Health) -> Router {
    let health = health.with_shutdown(ShutdownHandle::new());
    Router::new().layer(healthcheck().liveness("/livez").health(health))
}

async fn probe(app: &Router, method: Method, path: &str) -> Reply {
    let req: Request<Body> = kamal_probe(method, path);
    Reply::collect(app.clone().oneshot(req).await.unwrap()).await
}

async fn livez(app: &Router) -> Reply {
    probe(app, Method::GET, "/livez").await
}

// `advance` moves the clock without running any task until it yields: the
// runtime did not run the heartbeat for that long, as when every worker is
// blocked.
#[tokio::test(start_paused = true)]
async fn liveness_fails_after_the_runtime_stalled_longer_than_the_limit() {
    let app = app(Health::new().watchdog(LIMIT));
    assert_healthy(&livez(&app).await); // starts the heartbeat
    // The runtime runs tasks: the heartbeat keeps up, for as long as it runs.
    for _ in 0..10 {
        sleep(LIMIT).await;
        assert_healthy(&livez(&app).await);
    }

    advance(LIMIT * 3).await;
    assert_unavailable(&livez(&app).await);
    assert_unavailable_head(&probe(&app, Method::HEAD, "/livez").await);
    // Readiness is not the watchdog's.
    assert_healthy(&probe(&app, Method::GET, "/up").await);

    // Back to beats within the limit: live again.
    sleep(LIMIT).await;
    assert_healthy(&livez(&app).await);
    assert_healthy_head(&probe(&app, Method::HEAD, "/livez").await);
}

#[tokio::test(start_paused = true)]
async fn a_stall_within_the_limit_is_tolerated() {
    let app = app(Health::new().watchdog(LIMIT));
    assert_healthy(&livez(&app).await);
    // A beat is due every limit / 4; one coming limit / 2 late is in time.
    advance(LIMIT / 2).await;
    assert_healthy(&livez(&app).await);
    sleep(LIMIT).await;
    assert_healthy(&livez(&app).await);
}

#[tokio::test(start_paused = true)]
async fn the_public_reason_of_a_stall_is_timeout_watchdog() {
    let app = app(Health::new().watchdog(LIMIT).public_reason());
    assert_healthy(&livez(&app).await);
    advance(LIMIT * 2).await;
    assert_unavailable_because(&livez(&app).await, "timeout: watchdog");
}

#[tokio::test(start_paused = true)]
async fn without_a_watchdog_liveness_stays_200_through_a_stall() {
    let app = app(Health::new());
    assert_healthy(&livez(&app).await);
    advance(LIMIT * 10).await;
    assert_healthy(&livez(&app).await);
}

// The heartbeat is the runtime's that serves the probes: when that runtime
// is dropped while the app lives on, the next one starts its own.
#[test]
fn the_heartbeat_restarts_on_the_next_runtime() {
    let app = app(Health::new().watchdog(LIMIT));
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
    };
    runtime().block_on(async { assert_healthy(&livez(&app).await) });
    runtime().block_on(async {
        assert_healthy(&livez(&app).await);
        sleep(LIMIT * 3).await;
        assert_healthy(&livez(&app).await);
    });
}

#[test]
#[should_panic(expected = "watchdog limit must not be zero")]
fn a_zero_limit_panics() {
    let _ = Health::new().watchdog(Duration::ZERO);
}
