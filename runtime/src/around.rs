//! The healthcheck and another layer as one layer, so that axum's
//! `Router::layer` wraps the routes once for both.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum_core::response::{IntoResponse, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::layer::{Healthcheck, HealthcheckLayer};

/// [`HealthcheckLayer`] outside another layer `L`, as one layer: made by
/// [`HealthcheckLayer::around`].
///
/// `router.layer(healthcheck().around(host_validation))` behaves exactly like
/// `router.layer(host_validation).layer(healthcheck())`: probes are answered
/// before `host_validation` runs, everything else goes through it. It is
/// cheaper for every request the app serves, because each `Router::layer`
/// call wraps every route in one more boxed service that axum clones per
/// request; this is one call instead of two.
///
/// The responses of `L`'s service are converted with axum's
/// [`IntoResponse`], as `Router::layer` does anyway, so `L` may change the
/// body type (tower-http's `TraceLayer`, `CompressionLayer`, …).
///
/// `#[kamal_app]` emits it when the function ends with a `.layer(..)` call.
#[derive(Clone, Debug)]
pub struct HealthcheckAround<L> {
    healthcheck: HealthcheckLayer,
    inner: L,
}

impl HealthcheckLayer {
    /// This healthcheck outside `layer`, as one layer: see
    /// [`HealthcheckAround`].
    ///
    /// ```
    /// use axum::{Router, middleware::from_fn, routing::get};
    /// use axum_kamal::healthcheck;
    /// # use axum::{extract::Request, middleware::Next, response::Response};
    /// # async fn require_auth(request: Request, next: Next) -> Response { next.run(request).await }
    ///
    /// let app: Router = Router::new()
    ///     .route("/", get(|| async { "hello" }))
    ///     // The same as `.layer(auth).layer(healthcheck())`, one route level fewer.
    ///     .layer(healthcheck().around(from_fn(require_auth)));
    /// ```
    pub fn around<L>(self, layer: L) -> HealthcheckAround<L> {
        HealthcheckAround {
            healthcheck: self,
            inner: layer,
        }
    }
}

impl<L> HealthcheckAround<L> {
    /// The healthcheck, outermost.
    ///
    /// ```
    /// let layer = axum_kamal::healthcheck().around(());
    /// assert_eq!(layer.healthcheck().path(), "/up");
    /// ```
    pub fn healthcheck(&self) -> &HealthcheckLayer {
        &self.healthcheck
    }

    /// The layer inside the healthcheck.
    ///
    /// ```
    /// assert_eq!(*axum_kamal::healthcheck().around(7).inner(), 7);
    /// ```
    pub fn inner(&self) -> &L {
        &self.inner
    }
}

impl<S, L: Layer<S>> Layer<S> for HealthcheckAround<L> {
    type Service = Healthcheck<AxumResponse<L::Service>>;

    fn layer(&self, service: S) -> Self::Service {
        self.healthcheck.layer(AxumResponse {
            inner: self.inner.layer(service),
        })
    }
}

/// Tower [`Service`] that converts the responses of `S` into axum's
/// [`Response`] with [`IntoResponse`]: the service inside the healthcheck of
/// [`HealthcheckAround`].
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use axum::body::Body;
/// use http::Request;
/// use tower::{Layer, ServiceExt, service_fn};
///
/// let app = axum_kamal::healthcheck()
///     .around(tower::layer::util::Identity::new())
///     .layer(service_fn(|_: Request<Body>| async {
///         Ok::<_, std::convert::Infallible>("app") // any IntoResponse
///     }));
/// let res = app.oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
/// let body = axum::body::to_bytes(res.into_body(), 64).await.unwrap();
/// assert_eq!(body, "app");
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct AxumResponse<S> {
    inner: S,
}

impl<S> AxumResponse<S> {
    /// A reference to the wrapped service.
    ///
    /// ```
    /// use tower::Layer;
    ///
    /// let svc = axum_kamal::healthcheck().around(()).layer(7);
    /// assert_eq!(*svc.get_ref().get_ref(), 7);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, Request> Service<Request> for AxumResponse<S>
where
    S: Service<Request>,
    S::Response: IntoResponse,
{
    type Response = Response;
    type Error = S::Error;
    type Future = AxumResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, request: Request) -> Self::Future {
        AxumResponseFuture {
            inner: self.inner.call(request),
        }
    }
}

pin_project! {
    /// Response future of [`AxumResponse`]: the inner future, polled in
    /// place, its response converted with [`IntoResponse`].
    #[derive(Debug)]
    pub struct AxumResponseFuture<F> {
        #[pin]
        inner: F,
    }
}

impl<F, R, E> Future for AxumResponseFuture<F>
where
    F: Future<Output = Result<R, E>>,
    R: IntoResponse,
{
    type Output = Result<Response, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let output = ready!(self.project().inner.poll(cx));
        Poll::Ready(output.map(IntoResponse::into_response))
    }
}
