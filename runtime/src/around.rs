//! The healthcheck and another layer as one layer, so that axum's
//! `Router::layer` wraps the routes once for both.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use http::Request;
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::layer::{Config, HealthcheckLayer, ProbeAnswer};

/// [`HealthcheckLayer`] outside another layer `L`, as one layer: made by
/// [`HealthcheckLayer::around`].
///
/// `router.layer(healthcheck().around(host_validation))` behaves like
/// `router.layer(host_validation).layer(healthcheck())`: probes are answered
/// before `host_validation` runs, everything else goes through it. Probes
/// never wait for the inner layer's readiness either: a busy
/// `ConcurrencyLimitLayer` inside delays ordinary requests, not probes. It is
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
    type Service = HealthcheckAroundService<L::Service>;

    fn layer(&self, service: S) -> Self::Service {
        HealthcheckAroundService {
            inner: self.inner.layer(service),
            config: self.healthcheck.config().clone(),
        }
    }
}

/// Tower [`Service`] made by [`HealthcheckAround`]: answers probes itself,
/// and passes every other request to the service `S` of the inner layer,
/// converting its responses into axum's [`Response`] with [`IntoResponse`].
///
/// It is always ready, so that probes never wait for `S`: `S`'s readiness is
/// awaited per ordinary request, as axum's own routes do: in place when `S`
/// is ready at once; when it is busy, by a boxed future that takes the
/// polled `S`, with its place in any queue, and leaves a clone here.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use axum::body::Body;
/// use http::{Request, StatusCode};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// let app = axum_kamal::healthcheck()
///     .around(tower::layer::util::Identity::new())
///     .layer(service_fn(|_: Request<Body>| async {
///         Ok::<_, std::convert::Infallible>("app") // any IntoResponse
///     }));
/// let res = app.clone().oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
/// let body = axum::body::to_bytes(res.into_body(), 64).await.unwrap();
/// assert_eq!(body, "app");
///
/// let res = app.oneshot(Request::get("/up").body(Body::empty()).unwrap()).await.unwrap();
/// assert_eq!(res.status(), StatusCode::OK);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct HealthcheckAroundService<S> {
    inner: S,
    config: Config,
}

impl<S> HealthcheckAroundService<S> {
    /// The path answered by this service.
    ///
    /// ```
    /// use tower::Layer;
    ///
    /// let svc = axum_kamal::healthcheck().around(()).layer(7);
    /// assert_eq!(svc.path(), "/up");
    /// ```
    pub fn path(&self) -> &str {
        self.config.path()
    }

    /// A reference to the inner layer's service.
    ///
    /// ```
    /// use tower::Layer;
    ///
    /// let svc = axum_kamal::healthcheck().around(()).layer(7);
    /// assert_eq!(*svc.get_ref(), 7);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Consumes the service, returning the inner layer's service.
    ///
    /// ```
    /// use tower::Layer;
    ///
    /// let svc = axum_kamal::healthcheck().around(()).layer(7);
    /// assert_eq!(svc.into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, B> Service<Request<B>> for HealthcheckAroundService<S>
where
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = HealthcheckAroundFuture<S::Future, S::Response, S::Error>;

    /// Always ready: probes must be answered whatever the state of the inner
    /// service (a concurrency limit, say).
    #[inline]
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if let Some(route) = self.config.route(&request) {
            return HealthcheckAroundFuture {
                state: State::Probe {
                    answer: self.config.answer(route, request),
                },
            };
        }
        // Most services are ready at once: call in place, no clone.
        let state = match self
            .inner
            .poll_ready(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(Ok(())) => State::Called {
                fut: self.inner.call(request),
            },
            Poll::Ready(Err(error)) => State::Failed { error: Some(error) },
            // Busy: the request waits on the very service that was polled,
            // which may hold its place in a queue (a concurrency limit's
            // semaphore); this service carries on with a clone.
            Poll::Pending => {
                let clone = self.inner.clone();
                wait_ready(std::mem::replace(&mut self.inner, clone), request)
            }
        };
        HealthcheckAroundFuture { state }
    }
}

/// A busy `inner` polled until ready, then called, as `ServiceExt::oneshot`
/// does: out of line, since most services are ready at once.
#[cold]
#[inline(never)]
fn wait_ready<S, R>(mut inner: S, request: R) -> State<S::Future, S::Response, S::Error>
where
    S: Service<R> + Send + 'static,
    S::Future: Send,
    R: Send + 'static,
{
    State::Waiting {
        fut: Box::pin(async move {
            std::future::poll_fn(|cx| inner.poll_ready(cx)).await?;
            inner.call(request).await
        }),
    }
}

pin_project! {
    /// Response future of [`HealthcheckAroundService`]: a probe's answer,
    /// the inner future (polled in place, or boxed while a busy inner service
    /// gets ready) with its response converted by [`IntoResponse`], or the
    /// inner service's `poll_ready` error.
    pub struct HealthcheckAroundFuture<F, T, E> {
        #[pin]
        state: State<F, T, E>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, T, E> {
        Called { #[pin] fut: F },
        Probe { answer: ProbeAnswer },
        Failed { error: Option<E> },
        Waiting { fut: BoxFuture<'static, Result<T, E>> },
    }
}

impl<F, T, E> fmt::Debug for HealthcheckAroundFuture<F, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Called { .. } => "Called",
            State::Probe { .. } => "Probe",
            State::Failed { .. } => "Failed",
            State::Waiting { .. } => "Waiting",
        };
        f.debug_struct("HealthcheckAroundFuture")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl<F, T, E> Future for HealthcheckAroundFuture<F, T, E>
where
    F: Future<Output = Result<T, E>>,
    T: IntoResponse,
{
    type Output = Result<Response, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Called { fut } => fut.poll(cx).map_ok(IntoResponse::into_response),
            StateProj::Probe { answer } => answer.poll::<Body>(cx).map(Ok),
            StateProj::Failed { error } => Poll::Ready(Err(error
                .take()
                .expect("axum-kamal: HealthcheckAroundFuture polled after completion"))),
            StateProj::Waiting { fut } => fut.as_mut().poll(cx).map_ok(IntoResponse::into_response),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn future_adds_no_more_than_a_tag() {
        // axum boxes the future of every request: answering probes must not
        // make the box of an ordinary request larger than the inner future.
        type Inner = BoxFuture<'static, Result<Response, std::convert::Infallible>>;
        type Around = HealthcheckAroundFuture<Inner, Response, std::convert::Infallible>;
        let size = std::mem::size_of::<Around>();
        assert!(size <= std::mem::size_of::<Inner>() + 8, "{size} bytes");
    }
}
