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

/// The app's guards: host validation runs first, then the HTTPS redirect,
/// then bearer auth, then the routes.
macro_rules! guarded {
    ($routes:expr) => {
        $routes
            .layer(require_bearer(TOKEN))
            .layer(from_fn(require_https))
            .layer(host_validation(HOST))
    };
}

/// The app's routes.
fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { "hello" }))
        .route("/items/{id}", get(item))
        .route("/about", get(|| async { "about" }))
}

axum_kamal_tests::kamal_twins!(pub kamal / plain {
    /// A realistic app, ending with its last `.layer(..)` call.
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

axum_kamal_tests::kamal_twins!(pub let_bound / let_bound_plain {
    /// The same app bound with `let`, then returned.
    #[allow(clippy::let_and_return)]
    pub fn app() -> Router {
        let app = guarded!(routes());
        app
    }
});

axum_kamal_tests::kamal_twins!(pub macro_body / macro_body_plain {
    /// The same app built by a macro call.
    pub fn app() -> Router {
        guarded!(routes())
    }
});

axum_kamal_tests::kamal_twins!(pub fallback_last / fallback_last_plain {
    /// The same app with a fallback after the layers.
    pub fn app() -> Router {
        guarded!(routes()).fallback(|| async { StatusCode::NOT_FOUND })
    }
});

/// The state of [`macro_state`]'s app.
#[derive(Clone)]
pub struct AppState;

axum_kamal_tests::kamal_twins!(pub macro_state / macro_state_plain {
    /// The same app built by a macro, then given its state.
    pub fn app() -> Router {
        guarded!(routes::<AppState>()).with_state(AppState)
    }
});

/// The shapes of function body measured, each an app with `#[kamal_app]`
/// named `<shape>` and the same app without it, `<shape>_plain` (`kamal`
/// and `plain` for the first).
pub const SHAPES: [(&str, &str, &str); 5] = [
    ("ends with .layer(x)", "kamal", "plain"),
    ("let app = ..; app", "let_bound", "let_bound_plain"),
    ("a macro call", "macro_body", "macro_body_plain"),
    (
        ".fallback(..) after the layers",
        "fallback_last",
        "fallback_last_plain",
    ),
    (
        "a macro, then .with_state(..)",
        "macro_state",
        "macro_state_plain",
    ),
];

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
/// - each of [`SHAPES`], with `#[kamal_app]` and without it;
/// - `wrapped`: the expansion before 0.1's routes, in every shape but the
///   first: `plain` plus one more `.layer(healthcheck())`, i.e. one more
///   route level;
/// - `from_fn`: `plain` behind a hand-written interceptor.
pub fn app(name: &str) -> Router {
    let app = match name {
        "kamal" => kamal::app(),
        "plain" => plain::app(),
        "let_bound" => let_bound::app(),
        "let_bound_plain" => let_bound_plain::app(),
        "macro_body" => macro_body::app(),
        "macro_body_plain" => macro_body_plain::app(),
        "fallback_last" => fallback_last::app(),
        "fallback_last_plain" => fallback_last_plain::app(),
        "macro_state" => macro_state::app(),
        "macro_state_plain" => macro_state_plain::app(),
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
