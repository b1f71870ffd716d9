//! `healthcheck()` first in a `ServiceBuilder` given to `Router::layer`,
//! followed by layers that change the response body type (tower-http's
//! `TraceLayer` and `CompressionLayer`) and host validation: it compiles,
//! with `#[kamal_app]` and without, and over real TCP kamal-proxy's probe gets
//! the healthcheck's `200 OK` while every other request is still traced,
//! compressed and host-checked.
//!
//! tower-http wraps the body of each response in its own `ResponseBody`
//! (`trace::ResponseBody`, `compression::CompressionBody`), which cannot be
//! built from bytes; the healthcheck's service answers with axum's `Body`
//! around it instead of needing that. What that costs an ordinary request is
//! counted in allocations, not timed.

#[path = "../../runtime/tests/common/counting.rs"]
mod counting;

use std::convert::Infallible;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, Method, Response, StatusCode};
use axum::routing::get;
use axum_kamal::healthcheck;
use axum_kamal_tests::{
    KAMAL_PROBE, NOT_PROBES, Reply, TestServer, assert_healthy, assert_healthy_head, client_send,
    host_validation, kamal_probe_bytes, kamal_twins, request,
};
use flate2::read::GzDecoder;
use tower::layer::util::Identity;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::compression::CompressionLayer;
use tower_http::trace::{OnEos, OnResponse, TraceLayer};
use tracing::Span;

/// The only host the apps accept.
const HOST: &str = "example.com";

/// The home page: longer than the 32 bytes under which tower-http's
/// `CompressionLayer` leaves a body alone (its `DefaultPredicate`).
const PAGE: &str = "home page of an app behind kamal-proxy, compressed when asked";

async fn home() -> &'static str {
    PAGE
}

/// What the `TraceLayer` saw: responses (`on_response`) and response bodies
/// streamed to their end (`on_eos`).
#[derive(Clone, Debug, Default)]
struct Traced {
    responses: Arc<AtomicUsize>,
    ends: Arc<AtomicUsize>,
}

impl Traced {
    fn counts(&self) -> (usize, usize) {
        (
            self.responses.load(Ordering::SeqCst),
            self.ends.load(Ordering::SeqCst),
        )
    }
}

impl<B> OnResponse<B> for Traced {
    fn on_response(self, _: &Response<B>, _: Duration, _: &Span) {
        self.responses.fetch_add(1, Ordering::SeqCst);
    }
}

impl OnEos for Traced {
    fn on_eos(self, _: Option<&HeaderMap>, _: Duration, _: &Span) {
        self.ends.fetch_add(1, Ordering::SeqCst);
    }
}

kamal_twins!(kamal / plain {
    pub fn app(traced: Traced) -> Router {
        Router::new().route("/", get(home)).layer(
            ServiceBuilder::new()
                .layer(healthcheck())
                .layer(
                    TraceLayer::new_for_http()
                        .on_response(traced.clone())
                        .on_eos(traced),
                )
                .layer(CompressionLayer::new())
                .layer(host_validation(HOST)),
        )
    }
});

/// The same layers without the healthcheck.
fn unchecked(traced: Traced) -> Router {
    let trace = TraceLayer::new_for_http().on_response(traced.clone());
    Router::new().route("/", get(home)).layer(
        ServiceBuilder::new()
            .layer(trace.on_eos(traced))
            .layer(CompressionLayer::new())
            .layer(host_validation(HOST)),
    )
}

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

/// Both apps, each served on its own port with its own trace counts.
async fn servers() -> [(&'static str, TestServer, Traced); 2] {
    let (with, without) = (Traced::default(), Traced::default());
    [
        (
            "#[kamal_app]",
            TestServer::start(kamal::app(with.clone())).await,
            with,
        ),
        (
            "without the macro",
            TestServer::start(plain::app(without.clone())).await,
            without,
        ),
    ]
}

/// `GET /` from an allowed host, asking for gzip or not.
fn page_request(gzip: bool) -> Vec<u8> {
    let accept = if gzip {
        "Accept-Encoding: gzip\r\n"
    } else {
        ""
    };
    format!("GET / HTTP/1.1\r\nHost: {HOST}\r\n{accept}\r\n").into_bytes()
}

fn gunzip(body: &[u8]) -> String {
    let mut text = String::new();
    GzDecoder::new(body)
        .read_to_string(&mut text)
        .expect("a gzip body");
    text
}

#[tokio::test]
async fn exact_kamal_probe_gets_200_before_trace_compression_and_host_validation() {
    for (app, server, traced) in servers().await {
        let reply = server.exchange(KAMAL_PROBE).await;
        assert_healthy(&reply);
        assert_eq!(
            reply.header("content-length"),
            Some("2"),
            "{app}: {reply:?}"
        );
        // kamal-proxy sends `Accept-Encoding: gzip`; the answer comes before
        // the CompressionLayer, so it stays the plain `OK`.
        assert_eq!(reply.header("content-encoding"), None, "{app}: {reply:?}");
        assert_healthy_head(&server.exchange(&kamal_probe_bytes("HEAD", "/up")).await);
        assert_healthy(&client_send(server.addr(), Method::GET, "/up").await);
        assert_eq!(traced.counts(), (0, 0), "{app}: the probe was traced");
    }
}

#[tokio::test]
async fn ordinary_request_is_traced_and_gzipped() {
    for (app, server, traced) in servers().await {
        let reply = server.exchange(&page_request(true)).await;
        assert_eq!(reply.status, StatusCode::OK, "{app}: {reply:?}");
        assert_eq!(reply.header("content-encoding"), Some("gzip"), "{app}");
        assert_eq!(gunzip(&reply.body), PAGE, "{app}");
        assert_eq!(
            traced.counts(),
            (1, 1),
            "{app}: response and its end traced"
        );
    }
}

#[tokio::test]
async fn ordinary_request_without_accept_encoding_is_traced_and_plain() {
    for (app, server, traced) in servers().await {
        let reply = server.exchange(&page_request(false)).await;
        assert_eq!(reply.status, StatusCode::OK, "{app}: {reply:?}");
        assert_eq!(reply.header("content-encoding"), None, "{app}");
        assert_eq!(reply.text(), PAGE, "{app}");
        assert_eq!(traced.counts(), (1, 1), "{app}");
    }
}

/// Host validation still runs, behind the trace, for everything that is not
/// the probe: with kamal-proxy's headers, `/` and the near misses of `/up`
/// get its `400`.
#[tokio::test]
async fn container_host_is_rejected_everywhere_but_the_probe() {
    for (app, server, traced) in servers().await {
        let targets = ["/"].into_iter().chain(NOT_PROBES);
        for (n, target) in targets.enumerate() {
            let reply: Reply = server.exchange(&kamal_probe_bytes("GET", target)).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{app} {target}: {reply:?}"
            );
            assert_eq!(traced.counts().0, n + 1, "{app} {target}: traced");
        }
    }
}

/// Allocations of one ordinary request through a clone of `app`, prepared as
/// `axum::serve` prepares it.
fn allocations(app: Router) -> usize {
    let app = app.with_state(());
    let send = || {
        let request = request(Method::GET, "/", HOST);
        let (response, allocations) = counting::allocations_of(|| app.clone().oneshot(request));
        let response = response.unwrap_or_else(|never: Infallible| match never {});
        assert_eq!(response.status(), StatusCode::OK);
        allocations
    };
    send(); // warms up lazily allocated state
    send()
}

/// axum boxes every response body that is not already its own `Body`
/// (`Body::new`, axum-core 0.5 `src/body.rs`), tower-http's trace body
/// included: the healthcheck boxes it instead, and costs an ordinary request
/// no allocation more than the same layers without the healthcheck.
#[test]
fn no_allocation_more_than_the_same_layers_without_the_healthcheck() {
    let without = allocations(unchecked(Traced::default()));
    assert!(without > 0, "the counter sees the request's allocations");
    assert_eq!(allocations(kamal::app(Traced::default())), without);
    assert_eq!(allocations(plain::app(Traced::default())), without);
}

/// Right around a router, whose body is axum's own, `Body::new` keeps it as
/// it is: the healthcheck costs no allocation more than a layer level that
/// keeps the body (`Identity`).
#[test]
fn right_around_a_router_the_body_costs_nothing() {
    let app = Router::new()
        .route("/", get(home))
        .layer(host_validation(HOST));
    let level = allocations(app.clone().layer(Identity::new()));
    assert_eq!(allocations(app.layer(healthcheck())), level);
}
