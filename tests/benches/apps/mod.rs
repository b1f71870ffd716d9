//! The apps the benchmarks compare, shared by `overhead.rs` (criterion) and
//! `instructions.rs` (instruction counts under callgrind), and how they are
//! sent a request.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use axum::Router;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::http::{Method, StatusCode};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_kamal::healthcheck;
use axum_kamal_tests::{host_validation, kamal_probe, request, require_bearer, with_header};
use tower::{Service, ServiceExt};

/// The only host the app accepts.
pub const HOST: &str = "example.com";
/// The bearer token the app requires.
pub const TOKEN: &str = "s3cret";

/// HTTPS redirect keyed on `X-Forwarded-Proto`, as behind kamal-proxy.
async fn require_https(request: Request, next: Next) -> Response {
    match request.headers().get("x-forwarded-proto") {
        Some(proto) if proto == "https" => next.run(request).await,
        _ => (
            StatusCode::MOVED_PERMANENTLY,
            [(LOCATION, "https://example.com/")],
        )
            .into_response(),
    }
}

async fn item(axum::extract::Path(id): axum::extract::Path<u32>) -> String {
    format!("item {id}")
}

axum_kamal_tests::kamal_twins!(pub kamal / plain {
    /// A realistic app: host validation runs first, then the HTTPS
    /// redirect, then bearer auth, then the routes.
    pub fn app() -> Router {
        Router::new()
            .route("/", get(|| async { "hello" }))
            .route("/items/{id}", get(item))
            .route("/about", get(|| async { "about" }))
            .layer(require_bearer(TOKEN))
            .layer(from_fn(require_https))
            .layer(host_validation(HOST))
    }
});

/// What an app without axum-kamal would write: an outermost `from_fn` that
/// answers `GET`/`HEAD /up` itself.
async fn intercept_up(request: Request, next: Next) -> Response {
    let method = request.method();
    if (method == Method::GET || method == Method::HEAD) && request.uri().path() == "/up" {
        return (StatusCode::OK, [(CACHE_CONTROL, "no-store")], "OK").into_response();
    }
    next.run(request).await
}

/// The apps compared, by name, as `axum::serve` runs them:
///
/// - `kamal`: the app with `#[kamal_app]`;
/// - `plain`: the same app without it;
/// - `wrapped`: what the macro emitted before it joined the healthcheck to
///   the last `.layer(..)` call: `plain` plus one more
///   `.layer(healthcheck())`, i.e. one more route level;
/// - `from_fn`: `plain` behind a hand-written interceptor.
pub fn app(name: &str) -> Router {
    let app = match name {
        "kamal" => kamal::app(),
        "plain" => plain::app(),
        "wrapped" => plain::app().layer(healthcheck()),
        "from_fn" => plain::app().layer(from_fn(intercept_up)),
        _ => panic!("no app named {name:?}"),
    };
    served(app)
}

/// `app` as `axum::serve` prepares it for each connection: `with_state(())`
/// turns every handler into a route once, where a bare `Router` would apply
/// every layer again at each request.
pub fn served(app: Router) -> Router {
    app.with_state(())
}

/// An authorized request over HTTPS (as forwarded by kamal-proxy) to `/`.
pub fn ordinary() -> Request {
    let request = with_header(
        request(Method::GET, "/", HOST),
        "authorization",
        &format!("Bearer {TOKEN}"),
    );
    with_header(request, "x-forwarded-proto", "https")
}

pub fn probe() -> Request {
    kamal_probe(Method::GET, "/up")
}

/// Polls `fut` once; everything measured in process here completes at once.
pub fn now<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("expected a future that completes on its first poll"),
    }
}

/// One request through a clone of `app`, as `axum::serve` does per request.
pub fn send<S>(app: &S, request: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone,
{
    match now(app.clone().oneshot(request)) {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
