//! Where the healthcheck answers: before every layer by default, at the
//! position of an explicit `.layer(axum_kamal::healthcheck())`, at a custom
//! path, and without the macro through `HealthcheckLayer::new`. Probes never
//! reach the layers the healthcheck runs before, and every other request gets
//! exactly what it got without `#[kamal_app]`.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum_kamal::{HealthcheckLayer, healthcheck, kamal_app};
use axum_kamal_tests::{
    Counter, KAMAL_PROBE, Reply, TestServer, assert_healthy, assert_healthy_head,
    assert_method_not_allowed, assert_unchanged, count, host_validation, kamal_probe,
    kamal_probe_bytes, kamal_twins, ordinary_requests, request, require_bearer, send, with_header,
};
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The only host the apps accept.
const HOST: &str = "example.com";
/// The bearer token the apps require.
const TOKEN: &str = "s3cret";

/// Counters and response headers marking the layers placed before (`outer`)
/// and after (`inner`) an explicit healthcheck.
#[derive(Clone, Debug, Default)]
struct Seen {
    outer: Counter,
    inner: Counter,
}

const X_OUTER: &str = "x-outer";
const X_INNER: &str = "x-inner";

fn mark(name: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(
        HeaderName::from_static(name),
        HeaderValue::from_static("seen"),
    )
}

async fn home() -> &'static str {
    "home"
}

/// Asserts that `reply` went through the outer layer only, and that the outer
/// and inner counters are at `outer` and `inner`.
#[track_caller]
fn assert_passed(reply: &Reply, seen: &Seen, (outer, inner): (usize, usize)) {
    assert_eq!(
        reply.header(X_OUTER),
        Some("seen"),
        "outer layer wraps every response: {reply:?}"
    );
    assert_eq!(
        (seen.outer.get(), seen.inner.get()),
        (outer, inner),
        "counters (outer, inner)"
    );
}

#[kamal_app]
fn counted(counter: Counter) -> Router {
    Router::new()
        .route("/", get(home))
        .layer(from_fn_with_state(counter, count))
        .layer(TraceLayer::new_for_http())
}

#[tokio::test]
async fn probes_never_reach_the_app_layers() {
    let counter = Counter::default();
    let app = counted(counter.clone());
    for target in ["/up", "/up?x=1"] {
        assert_healthy(&send(&app, kamal_probe(Method::GET, target)).await);
        assert_healthy_head(&send(&app, kamal_probe(Method::HEAD, target)).await);
    }
    assert_eq!(counter.get(), 0, "no probe reached the counting layer");

    assert_eq!(
        send(&app, kamal_probe(Method::GET, "/")).await.text(),
        "home"
    );
    assert_eq!(
        send(&app, kamal_probe(Method::GET, "/upx")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(counter.get(), 2, "every other request did");
    // Another method at the path is the health route's 405, outside the layers too.
    assert_method_not_allowed(&send(&app, kamal_probe(Method::POST, "/up")).await);
    assert_eq!(counter.get(), 2);
}

// The counting and marking layers pass every request on: say so.
#[kamal_app(allow(count, mark))]
fn placed_in_router_layers(seen: &Seen) -> Router {
    Router::new()
        .route("/", get(home))
        .layer(host_validation(HOST))
        .layer(mark(X_INNER))
        .layer(from_fn_with_state(seen.inner.clone(), count))
        .layer(healthcheck())
        .layer(from_fn_with_state(seen.outer.clone(), count))
        .layer(mark(X_OUTER))
}

#[kamal_app(allow(count, mark))]
fn placed_in_service_builder(seen: &Seen) -> Router {
    Router::new().route("/", get(home)).layer(
        ServiceBuilder::new()
            .layer(mark(X_OUTER))
            .layer(from_fn_with_state(seen.outer.clone(), count))
            .layer(healthcheck())
            .layer(from_fn_with_state(seen.inner.clone(), count))
            .layer(mark(X_INNER))
            .layer(host_validation(HOST)),
    )
}

/// Layers before an explicit `healthcheck()` see the probe, layers after it
/// do not; other requests go through all of them.
async fn assert_explicit_placement(app: fn(&Seen) -> Router, path: &str) {
    let seen = Seen::default();
    let app = app(&seen);

    // The probe answered before the inner layers: only the outer mark added.
    let probe = send(&app, kamal_probe(Method::GET, path)).await;
    assert_healthy(&probe.without_header(X_OUTER));
    assert_passed(&probe, &seen, (1, 0));
    let head = send(&app, kamal_probe(Method::HEAD, path)).await;
    assert_healthy_head(&head.without_header(X_OUTER));
    assert_passed(&head, &seen, (2, 0));

    let served = send(&app, request(Method::GET, "/", HOST)).await;
    assert_eq!(served.text(), "home");
    assert_eq!(served.header(X_INNER), Some("seen"));
    assert_passed(&served, &seen, (3, 1));

    let rejected = send(&app, kamal_probe(Method::GET, "/")).await;
    assert_eq!(rejected.status, StatusCode::BAD_REQUEST);
    assert_passed(&rejected, &seen, (4, 2));
}

#[tokio::test]
async fn explicit_placement_between_router_layers() {
    assert_explicit_placement(placed_in_router_layers, "/up").await;
}

#[tokio::test]
async fn explicit_placement_inside_a_service_builder() {
    assert_explicit_placement(placed_in_service_builder, "/up").await;
}

#[kamal_app(path = "/healthz", allow(count, mark))]
fn placed_at_custom_path(seen: &Seen) -> Router {
    Router::new()
        .route("/", get(home))
        .layer(host_validation(HOST))
        .layer(mark(X_INNER))
        .layer(from_fn_with_state(seen.inner.clone(), count))
        .layer(healthcheck())
        .layer(from_fn_with_state(seen.outer.clone(), count))
        .layer(mark(X_OUTER))
}

#[tokio::test]
async fn explicit_placement_answers_at_the_macro_path() {
    assert_explicit_placement(placed_at_custom_path, "/healthz").await;

    let seen = Seen::default();
    let app = placed_at_custom_path(&seen);
    let up = send(&app, kamal_probe(Method::GET, "/up")).await;
    assert_eq!(
        up.status,
        StatusCode::BAD_REQUEST,
        "/up is ordinary: {up:?}"
    );
    assert_passed(&up, &seen, (1, 1));
}

kamal_twins!(custom / custom_plain, (path = "/healthz") {
    pub fn app() -> Router {
        Router::new()
            .route("/", get(home))
            .route("/up", get(|| async { "the app's own /up" }))
            .layer(require_bearer(TOKEN))
            .layer(host_validation(HOST))
    }
});

#[tokio::test]
async fn custom_path_moves_the_healthcheck() {
    let (with, without) = (custom::app(), custom_plain::app());
    assert_healthy(&send(&with, kamal_probe(Method::GET, "/healthz")).await);
    assert_healthy_head(&send(&with, kamal_probe(Method::HEAD, "/healthz?x")).await);
    let up = send(&with, kamal_probe(Method::GET, "/up")).await;
    assert_eq!(
        up.status,
        StatusCode::BAD_REQUEST,
        "/up is ordinary: {up:?}"
    );
    let authorized_up = || {
        let up = request(Method::GET, "/up", HOST);
        vec![with_header(up, "authorization", &format!("Bearer {TOKEN}"))]
    };
    let own_up = send(&with, authorized_up().remove(0)).await;
    assert_eq!(own_up.text(), "the app's own /up");
    assert_unchanged(&with, &without, authorized_up).await;
    assert_unchanged(&with, &without, || ordinary_requests(HOST)).await;
    assert_unchanged(&with, &without, || {
        vec![
            kamal_probe(Method::GET, "/up"),
            kamal_probe(Method::HEAD, "/up"),
            kamal_probe(Method::GET, "/healthz/"),
        ]
    })
    .await;
}

#[tokio::test]
async fn custom_path_over_the_wire() {
    let server = TestServer::start(custom::app()).await;
    assert_healthy(&server.exchange(&kamal_probe_bytes("GET", "/healthz")).await);
    let up = server.exchange(KAMAL_PROBE).await;
    assert_eq!(up.status, StatusCode::BAD_REQUEST);
}

kamal_twins!(full / full_plain {
    pub fn app(token: &str) -> Router {
        let api = Router::new()
            .route("/items", get(|| async { "items" }).post(|| async { "created" }))
            .route_layer(require_bearer(token));
        let admin = Router::new()
            .route("/admin", get(|| async { "admin" }))
            .layer(require_bearer(token));
        Router::new()
            .route("/", get(home))
            .nest("/api", api)
            .merge(admin)
            .fallback(|| async { (StatusCode::IM_A_TEAPOT, "fallback") })
            .layer(ServiceBuilder::new().layer(TraceLayer::new_for_http()).layer(host_validation(HOST)))
    }
});

#[tokio::test]
async fn everything_else_is_unchanged() {
    let (with, without) = (full::app(TOKEN), full_plain::app(TOKEN));
    assert_healthy(&send(&with, kamal_probe(Method::GET, "/up")).await);
    assert_eq!(
        send(&without, kamal_probe(Method::GET, "/up")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_unchanged(&with, &without, || ordinary_requests(HOST)).await;
    assert_unchanged(&with, &without, || {
        let bearer = |method, target| {
            with_header(
                request(method, target, HOST),
                "authorization",
                &format!("Bearer {TOKEN}"),
            )
        };
        vec![
            request(Method::GET, "/", HOST),
            request(Method::HEAD, "/", HOST),
            request(Method::GET, "/api/items", HOST),
            bearer(Method::GET, "/api/items"),
            bearer(Method::POST, "/api/items"),
            bearer(Method::DELETE, "/api/items"),
            request(Method::GET, "/admin", HOST),
            bearer(Method::GET, "/admin"),
            bearer(Method::GET, "/nowhere"),
            request(Method::GET, "/", "other.test"),
            kamal_probe(Method::GET, "/"),
            kamal_probe(Method::GET, "/api/items"),
        ]
    })
    .await;
}

/// Without the macro, `HealthcheckLayer::new(path)` placed last answers at
/// its path, before the layers added before it.
#[tokio::test]
async fn healthcheck_layer_without_the_macro() {
    let counter = Counter::default();
    let app = Router::new()
        .route("/", get(home))
        .layer(host_validation(HOST))
        .layer(from_fn_with_state(counter.clone(), count))
        .layer(HealthcheckLayer::new("/ready"));
    assert_healthy(&send(&app, kamal_probe(Method::GET, "/ready")).await);
    assert_healthy_head(&send(&app, kamal_probe(Method::HEAD, "/ready")).await);
    assert_eq!(counter.get(), 0);
    let up = send(&app, kamal_probe(Method::GET, "/up")).await;
    assert_eq!(up.status, StatusCode::BAD_REQUEST);
    assert_eq!(counter.get(), 1);
}
