//! Behaviour of `Health` checks behind `HealthcheckLayer`, in process.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use axum::{Router, body::Body};
use axum_kamal::{
    Health, HealthStatus, HealthcheckLayer, ShutdownHandle, StartupGate, Tolerance, healthcheck,
};
use futures_util::future::join_all;
use http::{Method, Request, StatusCode, header};
use probe::{
    Reply, assert_healthy as assert_ok, assert_healthy_head, assert_not_healthcheck,
    assert_unavailable, assert_unavailable_head, kamal_probe as req, with_header,
};
use tokio::time::{Instant, sleep};
use tower::ServiceExt;

#[path = "common/probe.rs"]
mod probe;

/// A router whose every route answers `418 inner` and counts its calls,
/// wrapped in `layer`.
fn app(layer: HealthcheckLayer) -> (Router, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .fallback({
            let calls = calls.clone();
            move || async move {
                calls.fetch_add(1, SeqCst);
                (StatusCode::IM_A_TEAPOT, "inner")
            }
        })
        .layer(layer);
    (router, calls)
}

async fn send(app: &Router, req: Request<Body>) -> Reply {
    Reply::collect(app.clone().oneshot(req).await.unwrap()).await
}

async fn get(app: &Router, uri: &str) -> Reply {
    send(app, req(Method::GET, uri)).await
}

/// A check that counts its runs, sleeps `delay`, then passes or fails.
fn counted(
    runs: &Arc<AtomicUsize>,
    delay: Duration,
    fail: Option<&'static str>,
) -> impl Fn() -> futures_util::future::BoxFuture<'static, Result<(), &'static str>>
+ Send
+ Sync
+ 'static {
    let runs = runs.clone();
    move || {
        runs.fetch_add(1, SeqCst);
        Box::pin(async move {
            sleep(delay).await;
            match fail {
                Some(e) => Err(e),
                None => Ok(()),
            }
        })
    }
}

fn json(res: &Reply) -> serde_json::Value {
    assert_eq!(res.headers[header::CONTENT_TYPE], "application/health+json");
    assert_eq!(res.headers[header::CACHE_CONTROL], "no-store");
    serde_json::from_slice(&res.body).expect("details body is JSON")
}

/// The details of the check `name` (its only entry, under
/// `name:responseTime`), after checking the fields every entry has.
#[track_caller]
fn check<'a>(details: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let entries = details["checks"][format!("{name}:responseTime")]
        .as_array()
        .unwrap_or_else(|| panic!("no check {name:?} in {details}"));
    assert_eq!(entries.len(), 1, "{details}");
    let entry = &entries[0];
    assert_eq!(entry["componentId"], name);
    assert_eq!(entry["componentType"], "component");
    assert_eq!(entry["observedUnit"], "ms");
    assert!(entry["observedValue"].is_u64(), "{entry}");
    assert!(
        entry["time"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{entry}"
    );
    // No `output` for a passing check; the error otherwise.
    assert_eq!(
        entry["status"] == "pass",
        entry.get("output").is_none(),
        "{entry}"
    );
    entry
}

const SECRET_HEADER: &str = "x-health-secret";
const SECRET: &str = "0123456789abcdef-secret";

fn with_secret(r: Request<Body>, secret: &str) -> Request<Body> {
    with_header(r, SECRET_HEADER, secret)
}

#[tokio::test(start_paused = true)]
async fn all_checks_pass_gives_200_ok() {
    let (a, b) = (Arc::default(), Arc::default());
    let health = Health::new()
        .check("a", counted(&a, Duration::from_millis(10), None))
        .check("b", counted(&b, Duration::ZERO, None));
    let (app, inner) = app(healthcheck().health(health));

    let res = get(&app, "/up").await;
    assert_ok(&res);
    assert_eq!((a.load(SeqCst), b.load(SeqCst)), (1, 1));
    assert_eq!(inner.load(SeqCst), 0);

    assert_healthy_head(&send(&app, req(Method::HEAD, "/up")).await);
}

#[tokio::test(start_paused = true)]
async fn failing_optional_check_still_gives_200_with_warning_in_details() {
    let health = Health::new()
        .check("db", || async { Ok::<(), String>(()) })
        .optional_check("cache", || async { Err::<(), _>("redis down") })
        .details_secret(SECRET_HEADER, SECRET);
    let (app, _) = app(healthcheck().health(health));

    assert_ok(&get(&app, "/up").await);

    let res = send(&app, with_secret(req(Method::GET, "/up"), SECRET)).await;
    assert_eq!(res.status, StatusCode::OK);
    let v = json(&res);
    assert_eq!(v["status"], "warn");
    assert_eq!(check(&v, "db")["status"], "pass");
    assert_eq!(check(&v, "db")["optional"], false);
    assert_eq!(check(&v, "cache")["status"], "warn");
    assert_eq!(check(&v, "cache")["optional"], true);
    assert_eq!(check(&v, "cache")["output"], "redis down");
}

#[tokio::test(start_paused = true)]
async fn slow_check_times_out_after_default_800ms() {
    let health = Health::new()
        .check("slow", || async {
            sleep(Duration::from_secs(60)).await;
            Ok::<(), String>(())
        })
        .details_secret(SECRET_HEADER, SECRET);
    let (app, _) = app(healthcheck().health(health));

    let start = Instant::now();
    let res = send(&app, with_secret(req(Method::GET, "/up"), SECRET)).await;
    // Below the kubelet's default timeoutSeconds (1 s): a 503, not a timeout.
    assert_eq!(start.elapsed(), Duration::from_millis(800));
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    let v = json(&res);
    assert_eq!(v["status"], "fail");
    assert_eq!(check(&v, "slow")["status"], "fail");
    assert_eq!(check(&v, "slow")["output"], "timed out after 800ms");
    assert_eq!(check(&v, "slow")["observedValue"], 800);
}

#[tokio::test(start_paused = true)]
async fn checks_run_concurrently() {
    let (a, b, c) = (Arc::default(), Arc::default(), Arc::default());
    let health = Health::new()
        .check("a", counted(&a, Duration::from_millis(1500), None))
        .check("b", counted(&b, Duration::from_millis(1500), None))
        .check("c", counted(&c, Duration::from_millis(1500), None))
        .timeout(Duration::from_secs(2));
    let (app, _) = app(healthcheck().health(health));

    let start = Instant::now();
    assert_ok(&get(&app, "/up").await);
    // Sequentially this would take 4.5 s (and each would still pass).
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
}

#[tokio::test(start_paused = true)]
async fn panicking_check_fails_without_taking_the_server_down() {
    let panic_now = Arc::new(AtomicBool::new(true));
    let health = Health::new()
        .check("panics-in-future", {
            let panic_now = panic_now.clone();
            move || {
                let panic_now = panic_now.clone();
                async move {
                    if panic_now.load(SeqCst) {
                        panic!("boom in future");
                    }
                    Ok::<(), String>(())
                }
            }
        })
        .check("panics-when-called", {
            let panic_now = panic_now.clone();
            move || {
                if panic_now.load(SeqCst) {
                    panic!("boom when called");
                }
                async { Ok::<(), String>(()) }
            }
        })
        .details_secret(SECRET_HEADER, SECRET)
        .cache_ttl(Duration::ZERO);
    let (app, inner) = app(healthcheck().health(health));

    let res = send(&app, with_secret(req(Method::GET, "/up"), SECRET)).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    let v = json(&res);
    assert_eq!(
        check(&v, "panics-in-future")["output"],
        "panicked: boom in future"
    );
    assert_eq!(
        check(&v, "panics-when-called")["output"],
        "panicked: boom when called"
    );

    // The service keeps working, for the app and for later probes.
    assert_eq!(get(&app, "/").await.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(inner.load(SeqCst), 1);
    panic_now.store(false, SeqCst);
    assert_ok(&get(&app, "/up").await);
}

#[tokio::test(start_paused = true)]
async fn storm_of_100_failing_probes_runs_each_check_once() {
    let (a, b) = (Arc::default(), Arc::default());
    let health = Health::new()
        .check("a", counted(&a, Duration::from_millis(200), None))
        .check("b", counted(&b, Duration::from_millis(50), Some("down")))
        .optional_check("unused", || async { Ok::<(), String>(()) });
    let (router, _) = app(healthcheck().health(health));

    let responses = join_all((0..100).map(|_| get(&router, "/up"))).await;
    for res in &responses {
        assert_unavailable(res);
    }
    assert_eq!((a.load(SeqCst), b.load(SeqCst)), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn result_is_reused_for_the_cache_window() {
    let runs = Arc::default();
    let health = Health::new().check("a", counted(&runs, Duration::from_millis(100), None));
    let (app, _) = app(healthcheck().health(health));

    assert_ok(&get(&app, "/up").await);
    assert_eq!(runs.load(SeqCst), 1);

    // Within 1 s of the run's end: reused, answered at once.
    sleep(Duration::from_millis(900)).await;
    let start = Instant::now();
    assert_ok(&get(&app, "/up").await);
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(runs.load(SeqCst), 1);

    // After the window: a new run.
    sleep(Duration::from_millis(100)).await;
    assert_ok(&get(&app, "/up").await);
    assert_eq!(runs.load(SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn cache_ttl_is_configurable_and_results_change() {
    let healthy = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(AtomicUsize::new(0));
    let health = Health::new()
        .check("flag", {
            let (healthy, runs) = (healthy.clone(), runs.clone());
            move || {
                runs.fetch_add(1, SeqCst);
                let ok = healthy.load(SeqCst);
                async move { if ok { Ok(()) } else { Err("not yet") } }
            }
        })
        .cache_ttl(Duration::from_secs(5));
    let (app, _) = app(healthcheck().health(health));

    assert_unavailable(&get(&app, "/up").await);
    healthy.store(true, SeqCst);
    sleep(Duration::from_millis(4999)).await;
    assert_unavailable(&get(&app, "/up").await); // cached
    sleep(Duration::from_millis(1)).await;
    assert_ok(&get(&app, "/up").await);
    assert_eq!(runs.load(SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn zero_cache_ttl_runs_every_time() {
    let runs = Arc::default();
    let health = Health::new()
        .check("a", counted(&runs, Duration::ZERO, None))
        .cache_ttl(Duration::ZERO);
    let (app, _) = app(healthcheck().health(health));
    for _ in 0..3 {
        assert_ok(&get(&app, "/up").await);
    }
    assert_eq!(runs.load(SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn abandoned_probe_does_not_lose_the_run() {
    let runs = Arc::default();
    let health = Health::new().check("a", counted(&runs, Duration::from_millis(500), None));
    let (app, _) = app(healthcheck().health(health));

    // A probe whose client goes away mid-run.
    let abandoned = tokio::time::timeout(Duration::from_millis(200), get(&app, "/up")).await;
    assert!(abandoned.is_err());
    // The next probe joins the same run, which completes.
    let start = Instant::now();
    assert_ok(&get(&app, "/up").await);
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    assert_eq!(runs.load(SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn clones_of_the_layer_share_the_cache() {
    let runs = Arc::default();
    let layer =
        healthcheck().health(Health::new().check("a", counted(&runs, Duration::ZERO, None)));
    let (app1, _) = app(layer.clone());
    let (app2, _) = app(layer.with_path("/ready"));
    assert_ok(&get(&app1, "/up").await);
    assert_ok(&get(&app2, "/ready").await);
    assert_eq!(runs.load(SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn pass_through_never_runs_checks() {
    let runs = Arc::default();
    let health = Health::new()
        .check("a", counted(&runs, Duration::ZERO, Some("down")))
        .details_secret(SECRET_HEADER, SECRET);
    let (app, inner) = app(healthcheck().health(health));
    for (method, uri) in [
        (Method::GET, "/"),
        (Method::POST, "/up"),
        (Method::GET, "/up/"),
        (Method::GET, "/livez"),
    ] {
        let res = send(&app, with_secret(req(method, uri), SECRET)).await;
        assert_not_healthcheck(&res, StatusCode::IM_A_TEAPOT);
        assert_eq!(res.body, "inner");
    }
    assert_eq!(inner.load(SeqCst), 4);
    assert_eq!(runs.load(SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn details_only_with_the_right_secret() {
    let health = Health::new()
        .check("db", || async {
            sleep(Duration::from_millis(7)).await;
            Ok::<(), String>(())
        })
        .check("quote\"and\\slash\n", || async {
            Err::<(), _>("bad \"thing\"\tand\u{1}")
        })
        .details_secret("X-Health-Secret", SECRET);
    let (app, _) = app(healthcheck().health(health));

    // No header, wrong secret, prefix of secret, secret with suffix: public answer.
    assert_unavailable(&get(&app, "/up").await);
    for wrong in [
        "nope",
        &SECRET[..SECRET.len() - 1],
        &format!("{SECRET}x"),
        "",
    ] {
        let res = send(&app, with_secret(req(Method::GET, "/up"), wrong)).await;
        assert_unavailable(&res);
    }
    // Right secret (header name is case-insensitive).
    let res = send(&app, with_secret(req(Method::GET, "/up"), SECRET)).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        res.headers[header::CONTENT_LENGTH],
        res.body.len().to_string().as_str()
    );
    let v = json(&res);
    assert_eq!(v["status"], "fail");
    assert_eq!(v["checks"].as_object().unwrap().len(), 2);
    assert_eq!(check(&v, "db")["status"], "pass");
    assert_eq!(check(&v, "db")["observedValue"], 7);
    let odd = check(&v, "quote\"and\\slash\n");
    assert_eq!(odd["status"], "fail");
    assert_eq!(odd["output"], "bad \"thing\"\tand\u{1}");

    // HEAD with the secret: JSON headers, no body.
    let head = send(&app, with_secret(req(Method::HEAD, "/up"), SECRET)).await;
    assert_eq!(head.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        head.headers[header::CONTENT_TYPE],
        "application/health+json"
    );
    assert_eq!(
        head.headers[header::CONTENT_LENGTH],
        res.headers[header::CONTENT_LENGTH]
    );
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn details_with_no_checks() {
    let health = Health::new().details_secret(SECRET_HEADER, SECRET);
    let (app, _) = app(healthcheck().health(health));
    assert_ok(&get(&app, "/up").await);
    let v = json(&send(&app, with_secret(req(Method::GET, "/up"), SECRET)).await);
    assert_eq!(v, serde_json::json!({"status": "pass", "checks": {}}));
}

#[test]
#[should_panic(expected = "the details secret must not be empty")]
fn empty_secret_panics() {
    let _ = Health::new().details_secret(SECRET_HEADER, "");
}

#[test]
#[should_panic(expected = "invalid details header name \"bad header\"")]
fn invalid_secret_header_panics() {
    let _ = Health::new().details_secret("bad header", SECRET);
}

#[test]
fn debug_does_not_leak_the_secret() {
    let health = Health::new()
        .check("db", || async { Ok::<(), String>(()) })
        .details_secret(SECRET_HEADER, SECRET);
    let dbg = format!("{health:?} {:?}", healthcheck().health(health.clone()));
    assert!(dbg.contains("db"), "{dbg}");
    assert!(!dbg.contains(SECRET), "{dbg}");
}

#[tokio::test(start_paused = true)]
async fn shutdown_drain_answers_503_while_in_flight_requests_finish() {
    let runs = Arc::default();
    // An isolated drain: the process-wide one would drain every test here.
    let shutdown = ShutdownHandle::new();
    let health = Health::new()
        .with_shutdown(shutdown.clone())
        .check("a", counted(&runs, Duration::ZERO, None))
        .details_secret(SECRET_HEADER, SECRET);
    let calls = Arc::new(AtomicUsize::new(0));
    let app: Router = Router::new()
        .route(
            "/slow",
            axum::routing::get({
                let calls = calls.clone();
                move || async move {
                    sleep(Duration::from_secs(3)).await;
                    calls.fetch_add(1, SeqCst);
                    "done"
                }
            }),
        )
        .layer(healthcheck().health(health).liveness("/livez"));

    assert_ok(&get(&app, "/up").await);
    assert_eq!(runs.load(SeqCst), 1);

    let in_flight = tokio::spawn({
        let app = app.clone();
        async move { get(&app, "/slow").await }
    });
    sleep(Duration::from_secs(1)).await;
    shutdown.trigger();

    // Readiness fails at once (even though a passing result is cached),
    // without running checks; liveness still passes.
    assert_unavailable(&get(&app, "/up").await);
    let v = json(&send(&app, with_secret(req(Method::GET, "/up"), SECRET)).await);
    assert_eq!(
        v,
        serde_json::json!({"status": "fail", "output": "draining", "checks": {}})
    );
    assert_ok(&get(&app, "/livez").await);
    sleep(Duration::from_secs(5)).await;
    assert_unavailable(&get(&app, "/up").await);
    assert_eq!(runs.load(SeqCst), 1);

    // The in-flight request finished normally.
    let res = in_flight.await.unwrap();
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body, "done");
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_a_run_answers_503() {
    let shutdown = ShutdownHandle::new();
    let health = Health::new()
        .with_shutdown(shutdown.clone())
        .check("slow", || async {
            sleep(Duration::from_millis(500)).await;
            Ok::<(), String>(())
        });
    let (app, _) = app(healthcheck().health(health));
    let probe = tokio::spawn({
        let app = app.clone();
        async move { get(&app, "/up").await }
    });
    sleep(Duration::from_millis(100)).await;
    shutdown.trigger();
    assert_unavailable(&probe.await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn shared_shutdown_handle_and_graceful_future() {
    let handle = ShutdownHandle::new();
    let health = Health::new().with_shutdown(handle.clone());
    assert!(!health.shutdown_handle().is_draining());
    let (app, _) = app(healthcheck().health(health.clone()));
    let graceful = tokio::spawn(health.shutdown_handle().signal());
    assert_ok(&get(&app, "/up").await);
    sleep(Duration::from_secs(1)).await;
    assert!(!graceful.is_finished());

    handle.trigger();
    graceful.await.unwrap();
    assert!(health.shutdown_handle().is_draining());
    assert_unavailable(&get(&app, "/up").await);
}

#[tokio::test]
async fn liveness_path_without_health() {
    let (app, inner) = app(healthcheck().liveness("/livez"));
    assert_ok(&get(&app, "/livez").await);
    assert_ok(&get(&app, "/livez?verbose").await);
    assert_ok(&get(&app, "/up").await);
    assert_healthy_head(&send(&app, req(Method::HEAD, "/livez")).await);
    for (m, uri) in [
        (Method::POST, "/livez"),
        (Method::GET, "/livez/"),
        (Method::GET, "/LIVEZ"),
    ] {
        assert_eq!(
            send(&app, req(m, uri)).await.status,
            StatusCode::IM_A_TEAPOT
        );
    }
    assert_eq!(inner.load(SeqCst), 3);
}

#[test]
#[should_panic(expected = "liveness path \"/up\" must differ from the readiness path")]
fn liveness_equal_to_readiness_panics() {
    let _ = healthcheck().liveness("/up");
}

#[test]
#[should_panic(expected = "must differ from the readiness path")]
fn with_path_onto_liveness_panics() {
    let _ = healthcheck().liveness("/livez").with_path("/livez");
}

#[test]
#[should_panic(expected = "must start with `/`, not \"livez\"")]
fn liveness_path_is_validated() {
    let _ = healthcheck().liveness("livez");
}

#[tokio::test(start_paused = true)]
async fn huge_cache_ttl_and_timeout_do_not_overflow() {
    let runs = Arc::default();
    let health = Health::new()
        .check("a", counted(&runs, Duration::from_millis(1), None))
        .timeout(Duration::MAX)
        .cache_ttl(Duration::MAX);
    let (app, _) = app(healthcheck().health(health));
    assert_ok(&get(&app, "/up").await);
    sleep(Duration::from_secs(365 * 24 * 3600)).await;
    assert_ok(&get(&app, "/up").await);
    assert_eq!(runs.load(SeqCst), 1);
}

/// A check that counts its runs, sleeps `delay`, and fails while `down` is set.
fn switchable(
    down: &Arc<AtomicBool>,
    runs: &Arc<AtomicUsize>,
    delay: Duration,
) -> impl Fn() -> futures_util::future::BoxFuture<'static, Result<(), &'static str>>
+ Send
+ Sync
+ 'static {
    let (down, runs) = (down.clone(), runs.clone());
    move || {
        runs.fetch_add(1, SeqCst);
        let down = down.load(SeqCst);
        Box::pin(async move {
            sleep(delay).await;
            if down { Err("db down") } else { Ok(()) }
        })
    }
}

/// Each probe runs the checks (no reuse window), isolated from the
/// process-wide drain.
fn uncached(health: Health) -> (Health, ShutdownHandle) {
    let shutdown = ShutdownHandle::new();
    let health = health
        .cache_ttl(Duration::ZERO)
        .with_shutdown(shutdown.clone())
        .details_secret(SECRET_HEADER, SECRET);
    (health, shutdown)
}

async fn details(app: &Router) -> serde_json::Value {
    json(&send(app, with_secret(req(Method::GET, "/up"), SECRET)).await)
}

#[tokio::test(start_paused = true)]
async fn tolerance_keeps_readiness_until_the_nth_failure_in_a_row() {
    let (down, runs) = (Arc::new(AtomicBool::new(true)), Arc::default());
    let (health, _) = uncached(Health::new().check_with(
        "db",
        Tolerance::fail_after(3, Duration::from_secs(60)),
        switchable(&down, &runs, Duration::ZERO),
    ));
    let (app, _) = app(healthcheck().health(health));

    // Never passed: fails at once.
    assert_unavailable(&get(&app, "/up").await);
    down.store(false, SeqCst);
    assert_ok(&get(&app, "/up").await);

    // Failures 1 and 2 are tolerated (shown as `warn`), the 3rd is not.
    down.store(true, SeqCst);
    assert_ok(&get(&app, "/up").await);
    let v = details(&app).await;
    assert_eq!(v["status"], "warn");
    assert_eq!(check(&v, "db")["status"], "warn");
    assert_eq!(check(&v, "db")["output"], "db down");
    assert_unavailable(&get(&app, "/up").await);
    assert_unavailable(&get(&app, "/up").await);

    // One success ends the streak; the count starts again.
    down.store(false, SeqCst);
    assert_ok(&get(&app, "/up").await);
    down.store(true, SeqCst);
    assert_ok(&get(&app, "/up").await);
    assert_ok(&get(&app, "/up").await);
    assert_unavailable(&get(&app, "/up").await);
    assert_eq!(runs.load(SeqCst), 10);
}

#[tokio::test(start_paused = true)]
async fn tolerance_ends_when_the_failing_streak_lasts_long_enough() {
    let (down, runs) = (Arc::new(AtomicBool::new(false)), Arc::default());
    // Each run takes 1 s, as a slow ping would.
    let (health, _) = uncached(
        Health::new()
            .check_with(
                "db",
                Tolerance::fail_after(100, Duration::from_secs(10)),
                switchable(&down, &runs, Duration::from_secs(1)),
            )
            .timeout(Duration::from_secs(2)),
    );
    let (app, _) = app(healthcheck().health(health));
    assert_ok(&get(&app, "/up").await);

    down.store(true, SeqCst);
    assert_ok(&get(&app, "/up").await); // streak starts (ends at t = 2 s)
    sleep(Duration::from_secs(8)).await;
    assert_ok(&get(&app, "/up").await); // 9 s of failing: tolerated
    assert_unavailable(&get(&app, "/up").await); // 10 s
    assert_eq!(runs.load(SeqCst), 4);
}

#[tokio::test(start_paused = true)]
async fn default_tolerates_no_failure() {
    let (down, runs) = (Arc::new(AtomicBool::new(false)), Arc::default());
    let (health, _) = uncached(Health::new().check("db", switchable(&down, &runs, Duration::ZERO)));
    let (app, _) = app(healthcheck().health(health));
    assert_ok(&get(&app, "/up").await);
    down.store(true, SeqCst);
    assert_unavailable(&get(&app, "/up").await);
    assert_eq!(check(&details(&app).await, "db")["status"], "fail");
}

#[test]
#[should_panic(expected = "at least 1 failure")]
fn fail_after_needs_one_failure() {
    let _ = Tolerance::fail_after(0, Duration::from_secs(1));
}

#[test]
#[should_panic(expected = "at least 1 pass")]
fn recover_after_needs_one_pass() {
    let _ = Tolerance::NONE.recover_after(0);
}

#[tokio::test(start_paused = true)]
async fn startup_gate_answers_503_without_running_checks_until_opened() {
    let (down, runs) = (Arc::new(AtomicBool::new(false)), Arc::default());
    let started = StartupGate::new();
    let (health, _) = uncached(
        Health::new()
            .check("db", switchable(&down, &runs, Duration::from_millis(50)))
            .startup(started.clone()),
    );
    let (app, inner) = app(healthcheck().health(health).liveness("/livez"));

    sleep(Duration::from_secs(30)).await; // migrations
    assert_unavailable(&get(&app, "/up").await);
    assert_unavailable_head(&send(&app, req(Method::HEAD, "/up")).await);
    assert_eq!(
        details(&app).await,
        serde_json::json!({"status": "fail", "output": "starting", "checks": {}})
    );
    assert_ok(&get(&app, "/livez").await);
    assert_eq!(runs.load(SeqCst), 0, "no check runs before startup");

    started.open();
    assert_ok(&get(&app, "/up").await);
    assert_eq!(runs.load(SeqCst), 1);
    assert_eq!(inner.load(SeqCst), 0);
}

/// Each change given to the `on_change` hook: check, from, to, error.
type Change = (
    Option<String>,
    Option<HealthStatus>,
    HealthStatus,
    Option<String>,
);

/// `health` with a hook that records every change.
fn recording(health: Health) -> (Health, Arc<std::sync::Mutex<Vec<Change>>>) {
    let changes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let health = health.on_change({
        let changes = changes.clone();
        move |c| {
            let change = (c.check.clone(), c.from, c.to, c.error.clone());
            changes.lock().unwrap().push(change);
        }
    });
    (health, changes)
}

#[tokio::test(start_paused = true)]
async fn on_change_reports_each_change_once() {
    let (down, runs) = (Arc::new(AtomicBool::new(false)), Arc::default());
    let (health, changes) =
        recording(Health::new().check("db", switchable(&down, &runs, Duration::ZERO)));
    let (health, shutdown) = uncached(health);
    let (app, _) = app(healthcheck().health(health));
    for fail in [false, false, true, true, true, false, false] {
        down.store(fail, SeqCst);
        get(&app, "/up").await;
    }
    shutdown.trigger();
    assert_unavailable(&get(&app, "/up").await);
    assert_unavailable(&get(&app, "/up").await);
    assert_eq!(runs.load(SeqCst), 7);

    let db = || Some("db".to_owned());
    let down = || Some("db down".to_owned());
    use HealthStatus::*;
    assert_eq!(
        *changes.lock().unwrap(),
        [
            (db(), None, Pass, None),
            (None, None, Pass, None),
            (db(), Some(Pass), Fail, down()),
            (None, Some(Pass), Fail, None),
            (db(), Some(Fail), Pass, None),
            (None, Some(Fail), Pass, None),
            (None, Some(Pass), Draining, None),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn on_change_reports_the_gates_without_checks() {
    let started = StartupGate::new();
    let (health, changes) = recording(Health::new().startup(started.clone()));
    let (health, shutdown) = uncached(health);
    let (app, _) = app(healthcheck().health(health));
    for _ in 0..3 {
        assert_unavailable(&get(&app, "/up").await);
    }
    started.open();
    for _ in 0..3 {
        assert_ok(&get(&app, "/up").await);
    }
    shutdown.trigger();
    assert_unavailable(&get(&app, "/up").await);

    use HealthStatus::*;
    assert_eq!(
        *changes.lock().unwrap(),
        [
            (None, None, Starting, None),
            (None, Some(Starting), Pass, None),
            (None, Some(Pass), Draining, None),
        ]
    );
}

/// The `Health` of a background refresh every second of a check taking
/// 200 ms.
fn refreshed(runs: &Arc<AtomicUsize>) -> (Health, ShutdownHandle) {
    let shutdown = ShutdownHandle::new();
    let health = Health::new()
        .check("db", counted(runs, Duration::from_millis(200), None))
        .refresh_every(Duration::from_secs(1))
        .with_shutdown(shutdown.clone());
    (health, shutdown)
}

#[tokio::test(start_paused = true)]
async fn background_refresh_answers_at_once_from_the_latest_run() {
    let runs = Arc::default();
    let (health, _) = refreshed(&runs);
    let (app, _) = app(healthcheck().health(health));

    // The first probe waits for the first run.
    let start = Instant::now();
    assert_ok(&get(&app, "/up").await);
    assert_eq!(start.elapsed(), Duration::from_millis(200));

    // Runs every second (1.2 s apart: period after the end of a run) without
    // probes, and probes never wait for one, even mid-run.
    sleep(Duration::from_millis(5300)).await;
    assert_eq!(runs.load(SeqCst), 5);
    for _ in 0..3 {
        let start = Instant::now();
        assert_ok(&get(&app, "/up").await);
        assert_eq!(start.elapsed(), Duration::ZERO);
        sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(runs.load(SeqCst), 5);
}

#[tokio::test(start_paused = true)]
async fn background_refresh_stops_on_drain() {
    let runs = Arc::default();
    let (health, shutdown) = refreshed(&runs);
    let (app, _) = app(healthcheck().health(health));
    assert_ok(&get(&app, "/up").await);
    sleep(Duration::from_secs(3)).await;
    let before = runs.load(SeqCst);
    assert!(before > 1);
    shutdown.trigger();
    sleep(Duration::from_secs(10)).await;
    assert_eq!(runs.load(SeqCst), before);
    assert_unavailable(&get(&app, "/up").await);
}

#[tokio::test(start_paused = true)]
async fn background_refresh_stops_when_the_app_is_dropped() {
    let runs = Arc::default();
    let (health, _) = refreshed(&runs);
    let (app, _) = app(healthcheck().health(health));
    assert_ok(&get(&app, "/up").await);
    sleep(Duration::from_millis(2500)).await;
    let before = runs.load(SeqCst);
    assert!(before > 1);
    drop(app);
    sleep(Duration::from_secs(10)).await;
    assert_eq!(runs.load(SeqCst), before);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_hook_never_reaches_the_server() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (health, _) = uncached(
        Health::new()
            .check("db", || async { Ok::<(), String>(()) })
            .on_change({
                let calls = calls.clone();
                move |_| {
                    calls.fetch_add(1, SeqCst);
                    panic!("hook bug");
                }
            }),
    );
    let (app, _) = app(healthcheck().health(health));
    for _ in 0..3 {
        assert_ok(&get(&app, "/up").await);
    }
    // The check's first status and the readiness's: each change once.
    assert_eq!(calls.load(SeqCst), 2);
}
