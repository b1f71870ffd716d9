//! `healthcheck().around(layer)` answers exactly as `layer` followed by
//! `healthcheck()` as two `Router::layer` calls, with a layer that changes the
//! response body type.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::{get, post};
use axum_kamal::{Health, HealthcheckLayer, ShutdownHandle, healthcheck};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower::util::MapResponseLayer;

fn routes() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route("/up", post(|| async { "posted" }))
}

/// Status, headers and body of `request` through `app`.
async fn answer(app: &Router, request: Request) -> (StatusCode, HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

/// The probes first (readiness GET and HEAD, liveness), then requests the
/// app serves: a POST at the path, near misses, other routes and methods.
fn requests() -> Vec<Request> {
    let request = |method: Method, uri: &str| {
        http::Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "7c7168a662c1:3000")
            .body(Body::empty())
            .unwrap()
    };
    vec![
        request(Method::GET, "/up"),
        request(Method::HEAD, "/up?x=1"),
        request(Method::GET, "/livez"),
        request(Method::HEAD, "/livez"),
        request(Method::POST, "/up"),
        request(Method::GET, "/"),
        request(Method::GET, "/up/"),
        request(Method::GET, "/missing"),
        request(Method::DELETE, "/"),
    ]
}

/// The routes behind `healthcheck().around(marking)`, and behind `marking`
/// then `healthcheck()` as two layers, where `marking` counts the requests it
/// sees and marks their responses, changing the body type as tower-http's
/// layers do. Each app comes with its count, and its own healthcheck (so
/// they share no `Health` cache).
fn apps(healthcheck: impl Fn() -> HealthcheckLayer) -> [(Router, Arc<AtomicUsize>); 2] {
    let marking = |seen: &Arc<AtomicUsize>| {
        let seen = Arc::clone(seen);
        (
            MapResponseLayer::new(|response: Response| {
                let (mut parts, body) = response.into_parts();
                parts
                    .headers
                    .insert("x-marked", HeaderValue::from_static("yes"));
                http::Response::from_parts(parts, body.boxed_unsync())
            }),
            from_fn(move |request: Request, next: Next| {
                seen.fetch_add(1, Ordering::SeqCst);
                next.run(request)
            }),
        )
    };
    let (around_seen, split_seen) = (Arc::default(), Arc::default());
    let around = routes().layer(healthcheck().around(marking(&around_seen)));
    let split = routes().layer(marking(&split_seen)).layer(healthcheck());
    [(around, around_seen), (split, split_seen)]
}

/// Both apps answer every request alike, and the inner layer sees all but
/// the `probes` first requests of [`requests`]. Returns the statuses, in the
/// order of [`requests`].
async fn same_answers(
    healthcheck: impl Fn() -> HealthcheckLayer,
    probes: usize,
) -> Vec<StatusCode> {
    let [(around, around_seen), (split, split_seen)] = apps(healthcheck);
    let mut statuses = Vec::new();
    for (around_request, split_request) in requests().into_iter().zip(requests()) {
        let uri = around_request.uri().clone();
        let around_answer = answer(&around, around_request).await;
        assert_eq!(around_answer, answer(&split, split_request).await, "{uri}");
        statuses.push(around_answer.0);
        assert_eq!(
            around_seen.load(Ordering::SeqCst),
            split_seen.load(Ordering::SeqCst),
            "{uri}: the inner layer ran as often"
        );
    }
    assert_eq!(
        around_seen.load(Ordering::SeqCst),
        requests().len() - probes
    );
    statuses
}

#[tokio::test]
async fn around_answers_like_two_layers() {
    let statuses = same_answers(healthcheck, 2).await;
    assert_eq!(statuses[..2], [StatusCode::OK; 2]);
}

/// `healthcheck()` with a `db` check returning `db` and a liveness path.
fn checked(db: Result<(), &'static str>) -> impl Fn() -> HealthcheckLayer {
    move || {
        let health = Health::new().check("db", move || async move { db });
        healthcheck().health(health).liveness("/livez")
    }
}

#[tokio::test]
async fn around_answers_like_two_layers_with_health_and_liveness() {
    let statuses = same_answers(checked(Ok(())), 4).await;
    assert_eq!(statuses[..4], [StatusCode::OK; 4]);
}

/// The probes of [`requests`] when not ready: readiness (`GET`, `HEAD
/// /up`) unavailable, liveness (`GET`, `HEAD /livez`) fine.
const NOT_READY: [StatusCode; 4] = [
    StatusCode::SERVICE_UNAVAILABLE,
    StatusCode::SERVICE_UNAVAILABLE,
    StatusCode::OK,
    StatusCode::OK,
];

#[tokio::test]
async fn around_answers_like_two_layers_when_a_check_fails() {
    let statuses = same_answers(checked(Err("down")), 4).await;
    assert_eq!(statuses[..4], NOT_READY);
}

#[tokio::test]
async fn around_answers_like_two_layers_while_draining() {
    let draining = || {
        let health = Health::new().with_shutdown(ShutdownHandle::new());
        health.shutdown_handle().trigger();
        healthcheck().health(health).liveness("/livez")
    };
    let statuses = same_answers(draining, 4).await;
    assert_eq!(statuses[..4], NOT_READY);
}

#[tokio::test]
async fn probe_never_reaches_the_inner_layer() {
    let [(app, seen), _] = apps(healthcheck);
    let (status, headers, body) = answer(&app, requests().remove(0)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "OK"));
    assert_eq!(headers["cache-control"], "no-store");
    assert!(!headers.contains_key("x-marked"));
    assert_eq!(seen.load(Ordering::SeqCst), 0);

    let (status, headers, body) = answer(&app, requests().remove(5)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "home"));
    assert_eq!(headers["x-marked"], "yes");
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[test]
fn accessors() {
    let layer = HealthcheckLayer::new("/ready").around(7);
    assert_eq!(layer.healthcheck().path(), "/ready");
    assert_eq!(*layer.inner(), 7);
}

/// While a request holds the only slot of a `GlobalConcurrencyLimitLayer` inside
/// `around`, probes are still answered at once; ordinary requests wait for
/// the slot, as they would without the healthcheck.
#[tokio::test]
async fn probes_do_not_wait_for_a_busy_inner_layer() {
    use std::time::Duration;
    use tokio::sync::{mpsc, oneshot};
    use tower::limit::GlobalConcurrencyLimitLayer;

    let (entered, mut handler_entered) = mpsc::unbounded_channel::<()>();
    let (release, released) = oneshot::channel::<()>();
    let released = Arc::new(tokio::sync::Mutex::new(Some(released)));
    let app = Router::new()
        .route(
            "/slow",
            get(move || {
                let (entered, released) = (entered.clone(), Arc::clone(&released));
                async move {
                    entered.send(()).unwrap();
                    let released = released.lock().await.take().expect("one slow request");
                    released.await.unwrap();
                    "slow"
                }
            }),
        )
        .route("/", get(|| async { "home" }))
        .layer(healthcheck().around(GlobalConcurrencyLimitLayer::new(1)))
        .with_state(());
    let request = |uri: &str| {
        http::Request::get(uri)
            .header("host", "7c7168a662c1:3000")
            .body(Body::empty())
            .unwrap()
    };
    let slow = tokio::spawn(app.clone().oneshot(request("/slow")));
    handler_entered.recv().await.unwrap();

    let within = Duration::from_secs(5);
    let probe = tokio::time::timeout(within, app.clone().oneshot(request("/up"))).await;
    assert_eq!(
        probe.expect("the probe waited").unwrap().status(),
        StatusCode::OK
    );

    let mut home = tokio::spawn(app.clone().oneshot(request("/")));
    let waiting = tokio::time::timeout(Duration::from_millis(100), &mut home).await;
    assert!(waiting.is_err(), "an ordinary request waits for the slot");

    release.send(()).unwrap();
    assert_eq!(slow.await.unwrap().unwrap().status(), StatusCode::OK);
    let home = tokio::time::timeout(within, home)
        .await
        .expect("served once the slot is free");
    assert_eq!(home.unwrap().unwrap().status(), StatusCode::OK);
}

/// An inner service that fails `poll_ready`; if `busy_first`, only after
/// being busy once (waking its task at once).
#[derive(Clone, Default)]
struct Broken {
    busy_first: bool,
    polls: Arc<AtomicUsize>,
}

impl tower::Service<Request> for Broken {
    type Response = Response;
    type Error = &'static str;
    type Future = std::future::Ready<Result<Response, &'static str>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), &'static str>> {
        let polls = self.polls.fetch_add(1, Ordering::SeqCst);
        if self.busy_first && polls == 0 {
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        std::task::Poll::Ready(Err("broken"))
    }

    fn call(&mut self, _: Request) -> Self::Future {
        unreachable!("called without being ready")
    }
}

#[tokio::test]
async fn inner_readiness_errors_reach_ordinary_requests_only() {
    use tower::Layer;
    let svc = healthcheck()
        .around(tower::layer::util::Identity::new())
        .layer(Broken::default());
    let request = |uri: &str| http::Request::get(uri).body(Body::empty()).unwrap();
    let probe = svc.clone().oneshot(request("/up")).await.unwrap();
    assert_eq!(probe.status(), StatusCode::OK);
    assert_eq!(svc.oneshot(request("/")).await.unwrap_err(), "broken");
}

#[tokio::test]
async fn a_readiness_error_after_waiting_reaches_the_request() {
    use tower::Layer;
    let inner = Broken {
        busy_first: true,
        ..Broken::default()
    };
    let svc = healthcheck()
        .around(tower::layer::util::Identity::new())
        .layer(inner.clone());
    let request = http::Request::get("/").body(Body::empty()).unwrap();
    assert_eq!(svc.oneshot(request).await.unwrap_err(), "broken");
    assert_eq!(
        inner.polls.load(Ordering::SeqCst),
        2,
        "polled busy, then failed"
    );
}

/// Driven directly, as a long-lived service rather than a route axum clones
/// per request: a request that finds a `ConcurrencyLimitLayer` busy waits on
/// the service that queued for the slot, so it is served once the slot frees
/// up (waiting on a fresh clone instead would queue behind that abandoned
/// place forever).
#[tokio::test]
async fn a_request_waiting_for_a_busy_inner_layer_keeps_its_place() {
    use std::convert::Infallible;
    use std::time::Duration;
    use tokio::sync::Notify;
    use tower::limit::ConcurrencyLimitLayer;
    use tower::{Layer, Service};

    let gate = Arc::new(Notify::new());
    let inner = tower::service_fn({
        let gate = Arc::clone(&gate);
        move |request: Request| {
            let gate = Arc::clone(&gate);
            async move {
                if request.uri().path() == "/slow" {
                    gate.notified().await;
                }
                Ok::<_, Infallible>(Response::new(Body::from("done")))
            }
        }
    });
    let mut svc = healthcheck()
        .around(ConcurrencyLimitLayer::new(1))
        .layer(inner);
    let request = |uri: &str| http::Request::get(uri).body(Body::empty()).unwrap();

    let slow = svc.ready().await.unwrap().call(request("/slow"));
    let slow = tokio::spawn(slow);
    let waiting = tokio::spawn(svc.ready().await.unwrap().call(request("/")));
    let probe = svc
        .ready()
        .await
        .unwrap()
        .call(request("/up"))
        .await
        .unwrap();
    assert_eq!(probe.status(), StatusCode::OK, "probes skip the busy limit");

    gate.notify_one();
    let within = Duration::from_secs(5);
    let slow = tokio::time::timeout(within, slow)
        .await
        .expect("slow served");
    assert_eq!(slow.unwrap().unwrap().status(), StatusCode::OK);
    let waiting = tokio::time::timeout(within, waiting)
        .await
        .expect("the waiting request was served once the slot freed up");
    assert_eq!(waiting.unwrap().unwrap().status(), StatusCode::OK);
}
