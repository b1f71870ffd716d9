//! Serve while starting: bind first, answer the probes while the app's
//! startup runs, then serve the app on the same listener.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt::{self, Debug};
use std::future::{Future, IntoFuture, Pending, Ready, pending, ready};
use std::io;
use std::pin::{Pin, pin};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use futures_util::future::{Either, select};
use http::{Method, StatusCode};
use tokio::task::JoinHandle;
use tower::ServiceExt;
use tower::util::Oneshot;
use tower_service::Service;

use crate::layer::{HealthPath, HealthcheckLayer, healthcheck};
use crate::response::{healthy, plain_text};

/// Serves `listener` at once, answering the probes while `startup` builds
/// the app (migrations, warm-up, a pool to connect), then serves the app it
/// returns on the same listener.
///
/// While `startup` runs, every request gets the crate's own answers, the
/// same bytes as the healthcheck's:
///
/// - `GET`/`HEAD` on the liveness path (if set with
///   [`liveness`](Serve::liveness)): `200 OK`, so the kubelet's
///   `livenessProbe` does not restart a pod whose migrations run;
/// - everything else, the readiness path ([`DEFAULT_PATH`](crate::DEFAULT_PATH)
///   unless set with [`path`](Serve::path)) included: `503 Service
///   Unavailable`, so kamal-proxy and the kubelet's `readinessProbe` send it
///   no traffic yet.
///
/// Once `startup` returns `Ok(app)`, each request, on connections opened
/// before as well as after, goes to `app`: no rebinding, no connection
/// dropped, a keep-alive connection opened during startup is served by the
/// app from its next request on. `startup` returning `Err(e)` ends the
/// server and the returned future with `Err(e)`; a panic in it resumes in
/// the caller. It runs in a task of its own, so the listener keeps
/// answering while it works.
///
/// It keeps axum's conventions: it serves through `axum::serve` (HTTP/1.1,
/// and HTTP/2 where axum's `http2` feature is on),
/// [`with_graceful_shutdown`](Serve::with_graceful_shutdown) stops
/// accepting and waits for in-flight requests (a shutdown before `startup`
/// is done drops it), and every request carries the peer's address as
/// [`ConnectInfo`] (`ConnectInfo<SocketAddr>` for a `TcpListener`), as with
/// `into_make_service_with_connect_info`. The output is `Ok(())` after a
/// graceful shutdown, the startup's error, or the listener's I/O error
/// converted into `E`.
///
/// Without a slow startup, or with a [`StartupGate`](crate::StartupGate)
/// (the app serves, readiness waits), `axum::serve` is enough: this is for
/// the app that cannot be built before its startup work is done.
///
/// # Example
///
/// ```no_run
/// use std::{net::SocketAddr, time::Duration};
/// use axum::{Router, routing::get};
/// use axum_kamal::{ShutdownHandle, kamal_app};
///
/// #[kamal_app(liveness = "/livez")]
/// fn app(greeting: String) -> Router {
///     Router::new().route("/", get(|| async move { greeting }))
/// }
///
/// async fn start(serving_on: SocketAddr) -> std::io::Result<Router> {
///     // Migrations, warm-up: /livez answers 200, /up 503 meanwhile.
///     tokio::time::sleep(Duration::from_secs(3)).await;
///     let app = app("hello".to_owned());
///     axum_kamal::preflight(&app, serving_on).await?;
///     Ok(app)
/// }
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
///     let serving_on = listener.local_addr()?;
///     axum_kamal::serve(listener, start(serving_on))
///         .liveness("/livez")
///         .with_graceful_shutdown(ShutdownHandle::process_wide().signal())
///         .await
/// }
/// ```
pub fn serve<L, F, S, E>(listener: L, startup: F) -> Serve<L, F, Pending<()>>
where
    L: Listener,
    F: Future<Output = Result<S, E>> + Send + 'static,
{
    Serve {
        listener,
        startup,
        probes: healthcheck(),
        signal: pending(),
    }
}

/// The server of [`serve()`]: set the paths answered while starting and
/// the graceful shutdown, then `.await` it.
#[must_use = "a server does nothing until `.await`ed"]
pub struct Serve<L, F, G> {
    listener: L,
    startup: F,
    /// The readiness and liveness paths.
    probes: HealthcheckLayer,
    signal: G,
}

impl<L, F, G> Serve<L, F, G> {
    /// The readiness path answered `503` while starting (default
    /// [`DEFAULT_PATH`](crate::DEFAULT_PATH), `/up`): the app's own, as in
    /// `#[kamal_app(path = ..)]`.
    ///
    /// # Panics
    /// If `path` breaks the rules of [`HealthcheckLayer::new`], or equals
    /// the liveness path.
    ///
    /// ```
    /// # async fn f(listener: tokio::net::TcpListener) {
    /// let startup = async { Ok::<axum::Router, std::io::Error>(axum::Router::new()) };
    /// let server = axum_kamal::serve(listener, startup)
    ///     .path("/healthz");
    /// # }
    /// ```
    pub fn path(self, path: impl Into<Cow<'static, str>>) -> Self {
        Self {
            probes: self.probes.with_path(path),
            ..self
        }
    }

    /// The liveness path answered `200` while starting (default none): the
    /// app's own, as in `#[kamal_app(liveness = ..)]`.
    ///
    /// # Panics
    /// If `path` breaks the rules of [`HealthcheckLayer::new`], or equals
    /// the readiness path.
    ///
    /// ```
    /// # async fn f(listener: tokio::net::TcpListener) {
    /// let startup = async { Ok::<axum::Router, std::io::Error>(axum::Router::new()) };
    /// let server = axum_kamal::serve(listener, startup)
    ///     .liveness("/livez");
    /// # }
    /// ```
    pub fn liveness(self, path: impl Into<Cow<'static, str>>) -> Self {
        Self {
            probes: self.probes.liveness(path),
            ..self
        }
    }

    /// Stops accepting connections once `signal` resolves and waits for
    /// in-flight requests, as axum's `with_graceful_shutdown` (this is it):
    /// [`ShutdownHandle::signal`](crate::ShutdownHandle::signal), or
    /// [`signal_with_delay`](crate::ShutdownHandle::signal_with_delay) to
    /// keep accepting for a while after `SIGTERM`.
    pub fn with_graceful_shutdown<G2>(self, signal: G2) -> Serve<L, F, G2>
    where
        G2: Future<Output = ()> + Send + 'static,
    {
        Serve {
            listener: self.listener,
            startup: self.startup,
            probes: self.probes,
            signal,
        }
    }
}

impl<L: Listener, F, G> Serve<L, F, G> {
    /// The listener's local address.
    ///
    /// # Errors
    /// The listener's.
    pub fn local_addr(&self) -> io::Result<L::Addr> {
        self.listener.local_addr()
    }
}

impl<L, F, G> Debug for Serve<L, F, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("path", &self.probes.path())
            .field("liveness", &self.probes.liveness_path())
            .finish_non_exhaustive()
    }
}

impl<L, F, S, E, G> IntoFuture for Serve<L, F, G>
where
    L: Listener,
    L::Addr: Clone + Debug + Sync,
    F: Future<Output = Result<S, E>> + Send + 'static,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send,
    E: From<io::Error> + Send + 'static,
    G: Future<Output = ()> + Send + 'static,
{
    type Output = Result<(), E>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<(), E>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let shared = Arc::new(Shared {
                app: OnceLock::new(),
                probes: self.probes,
            });
            tracing::info!(
                target: "axum_kamal",
                readiness = shared.probes.path(),
                liveness = shared.probes.liveness_path(),
                "serving while the app starts: readiness answers 503, liveness 200"
            );
            let server = axum::serve(
                self.listener,
                Connections {
                    shared: Arc::clone(&shared),
                },
            )
            .with_graceful_shutdown(self.signal)
            .into_future();
            let mut startup = AbortOnDrop(tokio::spawn(self.startup));
            let started = async {
                let app = match (&mut startup.0).await {
                    Ok(result) => result?,
                    Err(join) => std::panic::resume_unwind(join.into_panic()),
                };
                // Set once, here only: `set` cannot fail.
                let _ = shared.app.set(app);
                tracing::info!(target: "axum_kamal", "startup finished: serving the app");
                pending::<Result<(), E>>().await
            };
            match select(pin!(server), pin!(started)).await {
                Either::Left((served, _)) => served.map_err(E::from),
                Either::Right((failed, _)) => failed,
            }
        })
    }
}

/// Aborts the startup task when the server ends first.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What every connection shares: the app once started, the probe paths.
struct Shared<S> {
    app: OnceLock<S>,
    probes: HealthcheckLayer,
}

impl<S> Shared<S> {
    /// The answer while starting: liveness `200`, anything else `503`.
    fn starting(&self, req: &Request) -> Response {
        let head = req.method() == Method::HEAD;
        match self.probes.config().health_path(req) {
            Some(HealthPath::Liveness) => healthy(head),
            Some(HealthPath::Readiness) | None => plain_text(StatusCode::SERVICE_UNAVAILABLE, head),
        }
    }
}

/// The make-service given to `axum::serve`: one [`Switch`] per connection.
struct Connections<S> {
    shared: Arc<Shared<S>>,
}

impl<L, S> Service<IncomingStream<'_, L>> for Connections<S>
where
    L: Listener,
    L::Addr: Clone,
{
    type Response = Switch<S, L::Addr>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'_, L>) -> Self::Future {
        ready(Ok(Switch {
            shared: Arc::clone(&self.shared),
            remote: stream.remote_addr().clone(),
        }))
    }
}

/// A connection's service: each request goes to the app if it has started,
/// to the startup answers otherwise, with the peer's [`ConnectInfo`].
struct Switch<S, A> {
    shared: Arc<Shared<S>>,
    remote: A,
}

impl<S, A: Clone> Clone for Switch<S, A> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            remote: self.remote.clone(),
        }
    }
}

impl<S, A> Service<Request> for Switch<S, A>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone,
    A: Clone + Send + Sync + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, Oneshot<S, Request>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        req.extensions_mut()
            .insert(ConnectInfo(self.remote.clone()));
        match self.shared.app.get() {
            Some(app) => Either::Right(app.clone().oneshot(req)),
            None => Either::Left(ready(Ok(self.shared.starting(&req)))),
        }
    }
}
