//! The healthcheck as routes added to a finished router: what `#[kamal_app]`
//! emits by default.
//!
//! axum's `Router::layer` wraps only the routes and fallback that exist when
//! it is called, so a route added after the app's last layer is answered by
//! no layer of the app, and no other request passes through anything new.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::routing::{MethodFilter, on_service};
use http::{Request, Response};
use tower_service::Service;

use crate::layer::{Config, HealthPath, HealthcheckLayer, ProbeResponse};

impl HealthcheckLayer {
    /// Adds this healthcheck to `router` as routes: `GET` and `HEAD` on the
    /// readiness path (answered with its [`Health`](crate::Health), if any)
    /// and on the liveness path, if set. No layer `router` already has runs
    /// for them, and no other request meets anything new: axum's
    /// `Router::layer` wraps only the routes that exist when it is called.
    ///
    /// This is what `#[kamal_app]` emits, on the router the function
    /// returns. A route of `router` at the same path for other methods
    /// (`post(webhook)`) keeps working, behind its layers; other methods get
    /// axum's `405 Method Not Allowed` with `Allow: GET,HEAD`, or your
    /// route's own answer. Layers added to the result later (in `main`, say)
    /// run before the healthcheck, as they would for any route.
    ///
    /// # Panics
    ///
    /// If `router` already has a `GET` or `HEAD` route, or a service, at
    /// one of these paths: the message names the path and axum's reason.
    ///
    /// # Example
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use axum::{Router, body::Body, middleware::from_fn, routing::get};
    /// use axum::http::{Request, StatusCode};
    /// use tower::ServiceExt;
    /// # use axum::{extract::Request as AxumRequest, middleware::Next, response::{IntoResponse, Response}};
    /// # async fn only_example_com(req: AxumRequest, next: Next) -> Response {
    /// #     match req.headers().get("host") {
    /// #         Some(h) if h == "example.com" => next.run(req).await,
    /// #         _ => StatusCode::BAD_REQUEST.into_response(),
    /// #     }
    /// # }
    ///
    /// let app: Router = Router::new()
    ///     .route("/", get(|| async { "hello" }))
    ///     .layer(from_fn(only_example_com)); // host validation
    /// let app = axum_kamal::healthcheck().add_to(app);
    ///
    /// let probe = Request::get("/up")
    ///     .header("host", "7c7168a662c1:3000")
    ///     .body(Body::empty())
    ///     .unwrap();
    /// assert_eq!(app.oneshot(probe).await.unwrap().status(), StatusCode::OK);
    /// # });
    /// ```
    pub fn add_to<S>(self, router: Router<S>) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let config = self.config();
        let router = add_route(router, config.path(), config.clone(), HealthPath::Readiness);
        match config.liveness() {
            Some(path) => add_route(router, path, config.clone(), HealthPath::Liveness),
            None => router,
        }
    }
}

/// `router` with `GET` and `HEAD` on `path` answered by `route`, or a panic
/// that says which path conflicts and why.
fn add_route<S>(router: Router<S>, path: &str, config: Config, health_path: HealthPath) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let service = HealthRoute {
        config,
        health_path,
    };
    let methods = MethodFilter::GET.or(MethodFilter::HEAD);
    // axum reports a conflicting route by panicking; say what it means here.
    match catch_unwind(AssertUnwindSafe(|| {
        router.route(path, on_service(methods, service))
    })) {
        Ok(router) => router,
        Err(cause) => match panic_message(cause.as_ref()) {
            Some(reason) => panic!(
                "axum-kamal: cannot add the healthcheck's GET and HEAD route at {path:?}: the router \
                 already has a GET or HEAD route, or a service, there (axum: {reason})\n\
                 help: remove that route, or choose another path with #[kamal_app(path = \"..\")]; \
                 a router built by another #[kamal_app] function already has its health routes, so \
                 annotate only the function that returns the finished router"
            ),
            None => resume_unwind(cause),
        },
    }
}

fn panic_message(cause: &(dyn Any + Send)) -> Option<&str> {
    cause
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| cause.downcast_ref::<&str>().copied())
}

/// The return types `#[kamal_app]` accepts: a `Router<S>`, or a
/// `Result<Router<S>, E>` (the healthcheck goes on the `Ok` router). Type
/// aliases of them are the same types.
///
/// Sealed: the macro calls it on the value the function built.
///
/// ```
/// use axum::Router;
/// use axum_kamal::{AppRouter, healthcheck};
///
/// let app: Result<Router, std::io::Error> = Ok(Router::new());
/// let app = app.add_healthcheck(healthcheck());
/// assert!(app.is_ok());
/// ```
#[diagnostic::on_unimplemented(
    message = "#[kamal_app] cannot add the healthcheck to a `{Self}`",
    label = "the function must return `Router`, `Router<S>` or `Result<Router<S>, E>`",
    note = "#[kamal_app] adds its health routes to the router the function returns"
)]
pub trait AppRouter: sealed::Sealed {
    /// `healthcheck` added with [`HealthcheckLayer::add_to`] to the router.
    fn add_healthcheck(self, healthcheck: HealthcheckLayer) -> Self;
}

impl<S> AppRouter for Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn add_healthcheck(self, healthcheck: HealthcheckLayer) -> Self {
        healthcheck.add_to(self)
    }
}

impl<S, E> AppRouter for Result<Router<S>, E>
where
    S: Clone + Send + Sync + 'static,
{
    fn add_healthcheck(self, healthcheck: HealthcheckLayer) -> Self {
        self.map(|router| healthcheck.add_to(router))
    }
}

mod sealed {
    pub trait Sealed {}
    impl<S> Sealed for axum::Router<S> {}
    impl<S, E> Sealed for Result<axum::Router<S>, E> {}
}

/// The service behind one health route: axum calls it only for `GET` and
/// `HEAD` on its path.
#[derive(Clone)]
struct HealthRoute {
    config: Config,
    health_path: HealthPath,
}

impl<B> Service<Request<B>> for HealthRoute {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = HealthRouteFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> HealthRouteFuture {
        HealthRouteFuture(self.config.respond(self.health_path, req))
    }
}

/// Response future of [`HealthRoute`].
struct HealthRouteFuture(ProbeResponse);

impl Future for HealthRouteFuture {
    type Output = Result<Response<Body>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().0.poll(cx).map(Ok)
    }
}
