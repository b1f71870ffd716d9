//! What `#[kamal_app]` costs, each figure against a baseline measured in the
//! same run (`scripts/bench-report.py` turns criterion's estimates into the
//! ratios of `BENCHMARKS.md`):
//!
//! - `pass_through`: an ordinary, authorized request through a realistic app
//!   (host validation, HTTPS redirect, bearer auth) in five shapes of
//!   function body (`apps::SHAPES`), each with `#[kamal_app]` (`kamal`,
//!   `let_bound`, …) and without it (`plain`, `let_bound_plain`, …), and the
//!   app with one more `.layer(healthcheck())` (`wrapped`, the expansion
//!   before the health routes);
//!   `plain_again`, a second `plain` measured last, gives the A/A ratio: how
//!   far two identical apps measured this way differ, the resolution of the
//!   other ratios;
//! - `probe`: kamal-proxy's `GET /up` through that app with `#[kamal_app]`
//!   (`kamal`), against a bare `tower::service_fn` answering the same `200 OK`
//!   (`floor`) and against a hand-written outermost
//!   `axum::middleware::from_fn` interceptor (`from_fn`);
//! - `probe_checks`: `/up` with one `Health` check, its result reused
//!   (`cached`) or run for every probe (`fresh`, `cache_ttl` zero), against
//!   `/up` without `Health` (`no_checks`);
//! - `storm`: 10 000 simultaneous probes (one Tokio task each, two worker
//!   threads) with a check (`checks`) and without (`no_checks`); the check
//!   must run exactly once per storm, which is asserted and printed.
//!
//! Each app is prepared as `axum::serve` prepares it for a connection
//! (`with_state(())`, see `apps::served`). Requests are built outside the
//! timed section (`iter_batched`). In-process
//! requests that complete synchronously are polled once with a no-op waker,
//! so no executor cost dilutes the ratios; anything that needs Tokio runs on
//! it.
//!
//! ```sh
//! cargo bench -p axum-kamal-tests --bench overhead
//! python3 scripts/bench-report.py
//! ```

mod apps;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use apps::{SHAPES, app, now, ordinary, probe, send, served};
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum_kamal::{Health, healthcheck};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tower::{Service, ServiceExt, service_fn};

/// Probes per storm.
const STORM: usize = 10_000;

/// `(status, body)` of `response`, for the sanity checks before measuring.
fn read(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let body = now(axum::body::to_bytes(response.into_body(), usize::MAX)).expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn pass_through(c: &mut Criterion) {
    let [wrapped, plain_again] = ["wrapped", "plain"].map(app);
    let mut apps: Vec<(&str, Router)> = Vec::new();
    for (_, with, without) in SHAPES {
        apps.push((without, app(without)));
        apps.push((with, app(with)));
    }
    apps.push(("wrapped", wrapped));
    apps.push(("plain_again", plain_again));
    for (name, app) in &apps {
        assert_eq!(
            read(send(app, ordinary())),
            (StatusCode::OK, "hello".into()),
            "{name}"
        );
    }
    let mut group = c.benchmark_group("pass_through");
    for (name, app) in &apps {
        group.bench_function(*name, |b| {
            b.iter_batched(ordinary, |r| send(app, r), BatchSize::SmallInput);
        });
    }
    group.finish();
}

fn probe_path(c: &mut Criterion) {
    let floor = service_fn(|request: Request| async move {
        Ok::<_, Infallible>(axum_kamal::health_response::<Body>(request.method()))
    });
    let [kamal, from_fn, wrapped] = ["kamal", "from_fn", "wrapped"].map(app);
    assert_eq!(read(send(&wrapped, probe())), (StatusCode::OK, "OK".into()));
    assert_eq!(read(send(&floor, probe())), (StatusCode::OK, "OK".into()));
    assert_eq!(read(send(&kamal, probe())), (StatusCode::OK, "OK".into()));
    assert_eq!(read(send(&from_fn, probe())), (StatusCode::OK, "OK".into()));
    // Without an interceptor, host validation rejects the probe.
    assert_eq!(
        read(send(&app("plain"), probe())).0,
        StatusCode::BAD_REQUEST
    );

    let mut group = c.benchmark_group("probe");
    group.bench_function("floor", |b| {
        b.iter_batched(probe, |r| send(&floor, r), BatchSize::SmallInput);
    });
    for (name, app) in [
        ("kamal", &kamal),
        ("from_fn", &from_fn),
        ("wrapped", &wrapped),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(probe, |r| send(app, r), BatchSize::SmallInput);
        });
    }
    group.finish();
}

/// A `Health` whose single check counts its runs in `runs`.
fn counted(runs: &Arc<AtomicUsize>) -> Health {
    let runs = Arc::clone(runs);
    Health::new().check("db", move || {
        let runs = Arc::clone(&runs);
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            // Not ready on the first poll, like any real I/O.
            tokio::task::yield_now().await;
            Ok::<(), Infallible>(())
        }
    })
}

fn checked_app(health: Health) -> Router {
    served(
        Router::new()
            .route("/", get(|| async { "hello" }))
            .layer(healthcheck().health(health)),
    )
}

fn probe_checks(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (cached_runs, fresh_runs) = (Arc::default(), Arc::default());
    let no_checks = checked_app(Health::new());
    let cached = checked_app(counted(&cached_runs).cache_ttl(Duration::from_secs(3600)));
    let fresh = checked_app(counted(&fresh_runs).cache_ttl(Duration::ZERO));
    let probe_on = |app: &Router| {
        rt.block_on(app.clone().oneshot(probe()))
            .expect("infallible")
    };
    for _ in 0..100 {
        for app in [&no_checks, &cached, &fresh] {
            assert_eq!(probe_on(app).status(), StatusCode::OK);
        }
    }
    assert_eq!(cached_runs.load(Ordering::SeqCst), 1, "cached: one run");
    assert_eq!(
        fresh_runs.load(Ordering::SeqCst),
        100,
        "fresh: one run per probe"
    );

    let mut group = c.benchmark_group("probe_checks");
    for (name, app) in [
        ("no_checks", &no_checks),
        ("cached", &cached),
        ("fresh", &fresh),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                probe,
                |r| rt.block_on(app.clone().oneshot(r)),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
    println!(
        "probe_checks: check runs during the benchmark: cached {}, fresh {}",
        cached_runs.load(Ordering::SeqCst),
        fresh_runs.load(Ordering::SeqCst),
    );
}

/// Sends [`STORM`] probes at once to a fresh app, one task each, and returns
/// how long until all were answered `200 OK`.
fn storm_once(rt: &tokio::runtime::Runtime, app: Router) -> Duration {
    rt.block_on(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..STORM)
            .map(|_| tokio::spawn(app.clone().oneshot(probe())))
            .collect();
        for task in tasks {
            let response = task.await.expect("task").expect("infallible");
            assert_eq!(response.status(), StatusCode::OK);
        }
        start.elapsed()
    })
}

fn storm(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // A slow check keeps all probes in flight while it runs: still one run.
    let runs = Arc::new(AtomicUsize::new(0));
    let slow = {
        let runs = Arc::clone(&runs);
        Health::new().check("db", move || {
            let runs = Arc::clone(&runs);
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok::<(), Infallible>(())
            }
        })
    };
    storm_once(&rt, checked_app(slow));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    println!("storm: {STORM} simultaneous probes, 50 ms check: it ran 1 time");

    let runs = Arc::new(AtomicUsize::new(0));
    let storms = Arc::new(AtomicUsize::new(0));
    let mut group = c.benchmark_group("storm");
    group.sample_size(10);
    group.bench_function("no_checks", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| storm_once(&rt, checked_app(Health::new())))
                .sum()
        });
    });
    group.bench_function("checks", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    // A new Health per storm: a new window, one run expected.
                    let before = runs.load(Ordering::SeqCst);
                    let took = storm_once(&rt, checked_app(counted(&runs)));
                    assert_eq!(runs.load(Ordering::SeqCst), before + 1, "one run per storm");
                    storms.fetch_add(1, Ordering::SeqCst);
                    took
                })
                .sum()
        });
    });
    group.finish();
    println!(
        "storm: {} storms of {STORM} probes ran the check {} times",
        storms.load(Ordering::SeqCst),
        runs.load(Ordering::SeqCst),
    );
}

/// Rounds and requests per round of [`interleaved`].
const ROUNDS: usize = 300;
const BATCH: usize = 1_000;

/// Median over [`ROUNDS`] of `time(measured) / time(baseline)`, each round
/// timing [`BATCH`] requests through one app and then through the other
/// (alternating which goes first), so load from other processes hits both
/// alike. Returns (median ratio, ns per request for each).
fn ab<A, B>(measured: &A, baseline: &B, make: fn() -> Request) -> (f64, f64, f64)
where
    A: Service<Request, Response = Response, Error = Infallible> + Clone,
    B: Service<Request, Response = Response, Error = Infallible> + Clone,
{
    fn time<S>(app: &S, requests: Vec<Request>) -> Duration
    where
        S: Service<Request, Response = Response, Error = Infallible> + Clone,
    {
        let start = Instant::now();
        for request in requests {
            std::hint::black_box(send(app, request));
        }
        start.elapsed()
    }
    let batch = || (0..BATCH).map(|_| make()).collect::<Vec<_>>();
    let (mut ratios, mut total_m, mut total_b) = (Vec::new(), Duration::ZERO, Duration::ZERO);
    for round in 0..ROUNDS {
        let (m_requests, b_requests) = (batch(), batch());
        let (m, b) = if round % 2 == 0 {
            let m = time(measured, m_requests);
            (m, time(baseline, b_requests))
        } else {
            let b = time(baseline, b_requests);
            (time(measured, m_requests), b)
        };
        ratios.push(m.as_secs_f64() / b.as_secs_f64());
        (total_m, total_b) = (total_m + m, total_b + b);
    }
    ratios.sort_by(f64::total_cmp);
    let per_request = |total: Duration| total.as_secs_f64() * 1e9 / (ROUNDS * BATCH) as f64;
    (
        ratios[ROUNDS / 2],
        per_request(total_m),
        per_request(total_b),
    )
}

/// The ratios of `pass_through` and `probe` again, interleaved (see [`ab`]):
/// robust when other processes load the machine. Printed, and written to
/// `target/criterion/interleaved.json` for `scripts/bench-report.py`.
fn interleaved(_: &mut Criterion) {
    // `cargo bench -- --test` (a smoke run, e.g. in CI): check, don't measure.
    if std::env::args().any(|arg| arg == "--test") {
        let [kamal, plain] = ["kamal", "plain"].map(app);
        assert_eq!(send(&kamal, ordinary()).status(), StatusCode::OK);
        assert_eq!(send(&plain, ordinary()).status(), StatusCode::OK);
        return;
    }
    let [kamal, plain, wrapped, from_fn, plain_again] =
        ["kamal", "plain", "wrapped", "from_fn", "plain"].map(app);
    let floor = service_fn(|request: Request| async move {
        Ok::<_, Infallible>(axum_kamal::health_response::<Body>(request.method()))
    });
    let figures = [
        ("pass_through/kamal vs plain", ab(&kamal, &plain, ordinary)),
        (
            "pass_through/wrapped vs plain",
            ab(&wrapped, &plain, ordinary),
        ),
        // A/A: two identical apps; how far from 1 a ratio strays by chance.
        (
            "pass_through/plain_again vs plain",
            ab(&plain_again, &plain, ordinary),
        ),
        ("probe/kamal vs from_fn", ab(&kamal, &from_fn, probe)),
        ("probe/kamal vs floor", ab(&kamal, &floor, probe)),
        ("probe/wrapped vs floor", ab(&wrapped, &floor, probe)),
    ];
    let mut json = Vec::new();
    for (name, (ratio, measured, baseline)) in figures {
        println!(
            "interleaved {name}: {ratio:.3}x (median of {ROUNDS} rounds of {BATCH}; {measured:.0} ns vs {baseline:.0} ns per request)"
        );
        json.push(format!(
            r#"{{"figure":"{name}","ratio":{ratio:.4},"measured_ns":{measured:.1},"baseline_ns":{baseline:.1}}}"#
        ));
    }
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
            Into::into,
        )
        .join("criterion");
    std::fs::create_dir_all(&dir).expect("criterion directory");
    std::fs::write(
        dir.join("interleaved.json"),
        format!("[{}]\n", json.join(",")),
    )
    .expect("write interleaved.json");
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = pass_through, probe_path, probe_checks, storm, interleaved
}
criterion_main!(benches);
