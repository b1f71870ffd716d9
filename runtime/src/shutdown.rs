//! Shutdown drain: readiness answers `503` from the moment shutdown starts.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use futures_util::future::{Either, select};

use tokio::sync::watch;

/// Shared shutdown state of a [`Health`](crate::Health): once triggered, the
/// readiness probe answers `503 Service Unavailable` (without running checks)
/// while in-flight requests finish. A liveness path keeps answering `200`.
///
/// Clones share the same state. A [`Health`](crate::Health) follows the
/// [process-wide](ShutdownHandle::process_wide) drain unless given its own
/// handle with [`Health::with_shutdown`](crate::Health::with_shutdown): every
/// `Health::new()` in a process, and every handle obtained from one with
/// [`Health::shutdown_handle`](crate::Health::shutdown_handle), is the same
/// drain, so a `Health` built twice (once for the app, once for `main`'s
/// graceful shutdown) still drains. Give each one its own
/// [`ShutdownHandle::new`] where drains must stay apart: tests running in one
/// process, several servers stopped separately.
///
/// Wire it into axum's graceful shutdown with [`ShutdownHandle::signal`]
/// (`SIGTERM` / Ctrl-C) or [`ShutdownHandle::triggered`] (only
/// [`ShutdownHandle::trigger`]).
///
/// # Example
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use axum_kamal::{Health, healthcheck};
///
/// # async fn run() -> std::io::Result<()> {
/// let health = Health::new().check("db", || async { Ok::<(), String>(()) });
/// let shutdown = health.shutdown_handle();
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .layer(healthcheck().health(health));
///
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
/// axum::serve(listener, app)
///     // On SIGTERM / Ctrl-C: `/up` answers 503 from now on, axum stops
///     // accepting connections and waits for in-flight requests.
///     .with_graceful_shutdown(shutdown.signal())
///     .await
/// # }
/// ```
#[derive(Clone)]
pub struct ShutdownHandle {
    tx: Arc<watch::Sender<bool>>,
}

/// The drain followed by every [`Health`](crate::Health) not given its own.
static PROCESS_WIDE: LazyLock<ShutdownHandle> = LazyLock::new(ShutdownHandle::new);

impl ShutdownHandle {
    /// A new, not yet triggered handle, isolated from every other one: only
    /// its clones share its state.
    ///
    /// ```
    /// let handle = axum_kamal::ShutdownHandle::new();
    /// assert!(!handle.is_draining());
    /// assert!(!handle.same_as(&axum_kamal::ShutdownHandle::process_wide()));
    /// ```
    pub fn new() -> Self {
        Self {
            tx: Arc::new(watch::Sender::new(false)),
        }
    }

    /// The process-wide drain: the handle of every
    /// [`Health::new`](crate::Health::new) not given another one with
    /// [`Health::with_shutdown`](crate::Health::with_shutdown). Triggering
    /// it (directly, or through [`signal`](Self::signal) on `SIGTERM` /
    /// Ctrl-C) drains all of them.
    ///
    /// ```
    /// use axum_kamal::{Health, ShutdownHandle};
    ///
    /// // Two `Health` values built separately follow one drain.
    /// let for_the_app = Health::new();
    /// let for_main = Health::new().shutdown_handle();
    /// assert!(for_main.same_as(&for_the_app.shutdown_handle()));
    /// assert!(for_main.same_as(&ShutdownHandle::process_wide()));
    /// ```
    pub fn process_wide() -> Self {
        PROCESS_WIDE.clone()
    }

    /// Whether `self` and `other` are the same drain (one is a clone of the
    /// other).
    ///
    /// ```
    /// let handle = axum_kamal::ShutdownHandle::new();
    /// assert!(handle.same_as(&handle.clone()));
    /// assert!(!handle.same_as(&axum_kamal::ShutdownHandle::new()));
    /// ```
    pub fn same_as(&self, other: &ShutdownHandle) -> bool {
        Arc::ptr_eq(&self.tx, &other.tx)
    }

    /// Starts the drain: from now on readiness answers `503` and every
    /// [`triggered`](Self::triggered) / [`signal`](Self::signal) future
    /// resolves. Idempotent.
    ///
    /// ```
    /// let handle = axum_kamal::ShutdownHandle::new();
    /// handle.trigger();
    /// handle.trigger();
    /// assert!(handle.is_draining());
    /// ```
    pub fn trigger(&self) {
        self.tx
            .send_if_modified(|draining| !std::mem::replace(draining, true));
    }

    /// Whether shutdown has started.
    ///
    /// ```
    /// let handle = axum_kamal::ShutdownHandle::new();
    /// let clone = handle.clone();
    /// clone.trigger();
    /// assert!(handle.is_draining());
    /// ```
    pub fn is_draining(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once [`trigger`](Self::trigger) has been called (at once if it
    /// already was). Use it for `with_graceful_shutdown` when your own code
    /// decides when to stop.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let handle = axum_kamal::ShutdownHandle::new();
    /// let done = tokio::spawn(handle.triggered());
    /// handle.trigger();
    /// done.await.unwrap();
    /// # });
    /// ```
    pub fn triggered(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.tx.subscribe();
        async move {
            // The sender lives in `self`'s Arc; if every handle is gone the
            // drain can never start, so stay pending (Err), like a signal
            // that never arrives.
            if rx.wait_for(|draining| *draining).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Resolves when the process receives `SIGTERM` (Unix; what
    /// `docker stop` and Kubernetes send) or Ctrl-C, or when
    /// [`trigger`](Self::trigger) is called; it triggers the drain before
    /// resolving. Made for `axum::serve(..).with_graceful_shutdown(..)`.
    /// The same as [`signal_with_delay`](Self::signal_with_delay) with no
    /// delay: right for Kamal, whose kamal-proxy stops sending requests to
    /// the old container before `docker stop` signals it.
    ///
    /// # Panics
    ///
    /// The returned future panics if the OS signal handlers cannot be
    /// installed (which requires a Tokio runtime).
    pub fn signal(&self) -> impl Future<Output = ()> + Send + 'static {
        self.signal_with_delay(Duration::ZERO)
    }

    /// Like [`signal`](Self::signal), but after the signal (or
    /// [`trigger`](Self::trigger)) the server keeps accepting connections
    /// for `delay` before the graceful shutdown starts: readiness answers
    /// `503` at once, and the load balancer has `delay` to see it before
    /// new connections are refused. A second `SIGTERM` or Ctrl-C during the
    /// delay ends it at once.
    ///
    /// Kubernetes removes a terminating pod from its Service's endpoints at
    /// the same time as it signals it, and kube-proxy, ingress controllers
    /// and cloud load balancers learn of it a few seconds later: they still
    /// send new connections meanwhile. Either delay here (the app's own
    /// readiness `503` shows the drain to whatever still probes it), or
    /// delay the signal with a `preStop` hook, whose time counts against
    /// `terminationGracePeriodSeconds` like this delay does:
    ///
    /// ```yaml
    /// lifecycle:
    ///   preStop:
    ///     exec:
    ///       command: ["sleep", "5"] # needs a `sleep` in the image
    /// ```
    ///
    /// Keep the delay plus the longest request below the grace period. With
    /// Kamal, leave it at zero ([`signal`](Self::signal)): kamal-proxy has
    /// already drained the old container when `docker stop` signals it, and
    /// a delay only slows every deploy.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use axum_kamal::ShutdownHandle;
    ///
    /// # async fn run(app: axum::Router) -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
    /// let drain = ShutdownHandle::process_wide().signal_with_delay(Duration::from_secs(5));
    /// axum::serve(listener, app).with_graceful_shutdown(drain).await
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// The returned future panics if the OS signal handlers cannot be
    /// installed (which requires a Tokio runtime).
    pub fn signal_with_delay(&self, delay: Duration) -> impl Future<Output = ()> + Send + 'static {
        let handle = self.clone();
        async move {
            let mut signals = OsSignals::install();
            select(pin!(signals.recv()), pin!(handle.triggered())).await;
            handle.trigger();
            if delay.is_zero() {
                tracing::info!(
                    target: "axum_kamal",
                    "shutdown started: readiness now answers 503 while in-flight requests finish"
                );
                return;
            }
            tracing::info!(
                target: "axum_kamal",
                ?delay,
                "shutdown started: readiness now answers 503; accepting connections for the \
                 drain delay (a second signal ends it), then in-flight requests finish"
            );
            if let Either::Right(_) =
                select(pin!(tokio::time::sleep(delay)), pin!(signals.recv())).await
            {
                tracing::info!(target: "axum_kamal", "second signal: drain delay cut short");
            }
        }
    }
}

/// The process's termination signals, each one seen from the moment they
/// are installed: a second one is not missed while the first is handled.
struct OsSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl OsSignals {
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Self {
            interrupt: signal(SignalKind::interrupt())
                .expect("axum-kamal: failed to install the Ctrl-C handler"),
            terminate: signal(SignalKind::terminate())
                .expect("axum-kamal: failed to install the SIGTERM handler"),
        }
    }

    /// Resolves on the next Ctrl-C or `SIGTERM`.
    async fn recv(&mut self) {
        select(pin!(self.interrupt.recv()), pin!(self.terminate.recv())).await;
    }
}

#[cfg(not(unix))]
impl OsSignals {
    fn install() -> Self {
        Self {}
    }

    /// Resolves on the next Ctrl-C.
    async fn recv(&mut self) {
        tokio::signal::ctrl_c()
            .await
            .expect("axum-kamal: failed to install the Ctrl-C handler");
    }
}

impl Default for ShutdownHandle {
    /// Same as [`ShutdownHandle::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownHandle")
            .field("draining", &self.is_draining())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn triggered_waits_for_trigger() {
        let handle = ShutdownHandle::new();
        let waiter = tokio::spawn(handle.triggered());
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(!waiter.is_finished());
        handle.clone().trigger();
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("triggered() resolves after trigger()")
            .unwrap();
        // Already triggered: resolves at once.
        tokio::time::timeout(Duration::from_millis(1), handle.triggered())
            .await
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn signal_resolves_on_trigger_and_sets_draining() {
        let handle = ShutdownHandle::new();
        let signal = tokio::spawn(handle.signal());
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!signal.is_finished());
        assert!(!handle.is_draining());
        handle.trigger();
        tokio::time::timeout(Duration::from_secs(1), signal)
            .await
            .unwrap()
            .unwrap();
        assert!(handle.is_draining());
    }

    #[tokio::test(start_paused = true)]
    async fn signal_with_delay_drains_at_once_and_resolves_after_the_delay() {
        let handle = ShutdownHandle::new();
        let signal = tokio::spawn(handle.signal_with_delay(Duration::from_secs(5)));
        tokio::time::sleep(Duration::from_secs(1)).await;
        handle.trigger();
        tokio::time::sleep(Duration::from_millis(4900)).await;
        assert!(
            handle.is_draining(),
            "readiness answers 503 from the trigger on"
        );
        assert!(!signal.is_finished(), "still accepting during the delay");
        tokio::time::timeout(Duration::from_millis(200), signal)
            .await
            .expect("resolves once the delay has passed")
            .unwrap();
    }

    #[test]
    fn debug_shows_state() {
        let handle = ShutdownHandle::default();
        assert_eq!(format!("{handle:?}"), "ShutdownHandle { draining: false }");
    }
}
