//! Access logs with explicit placement: tower-http's `TraceLayer` outside
//! the healthcheck logs each failing probe (`503`, not ready) at `ERROR`
//! with its default classifier, and not at all at `ERROR` with the
//! classifier documented on `HealthcheckLayer` ("Access logs with explicit
//! placement"), which keeps the probe's access-log line and still logs an
//! app route's `500` at `ERROR`. Over real TCP (kamal-proxy's probe to an app
//! served by `axum::serve`) and in process.

use std::fmt::Display;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use axum_kamal::testing::{Probe, ProbeFailure, Prober};
use axum_kamal::{DEFAULT_PATH, Health, ShutdownHandle, StartupGate, healthcheck};
use axum_kamal_tests::{TestServer, client_send};
use http::{Method, Request, Response, StatusCode};
use tower_http::classify::{
    ClassifiedResponse, ClassifyResponse, MakeClassifier, NeverClassifyEos, ServerErrorsAsFailures,
    ServerErrorsFailureClass,
};
use tower_http::trace::TraceLayer;
use tracing::Level;

/// The classifier of `HealthcheckLayer`'s docs: `ServerErrorsAsFailures`,
/// except on the healthcheck's path.
#[derive(Clone, Copy)]
struct ProbesAreAnswers(&'static str);

#[derive(Clone, Copy)]
struct IsProbe(bool);

impl MakeClassifier for ProbesAreAnswers {
    type Classifier = IsProbe;
    type FailureClass = ServerErrorsFailureClass;
    type ClassifyEos = NeverClassifyEos<ServerErrorsFailureClass>;

    fn make_classifier<B>(&self, request: &Request<B>) -> IsProbe {
        IsProbe(request.uri().path() == self.0)
    }
}

impl ClassifyResponse for IsProbe {
    type FailureClass = ServerErrorsFailureClass;
    type ClassifyEos = NeverClassifyEos<ServerErrorsFailureClass>;

    fn classify_response<B>(
        self,
        response: &Response<B>,
    ) -> ClassifiedResponse<Self::FailureClass, Self::ClassifyEos> {
        match self {
            IsProbe(true) => ClassifiedResponse::Ready(Ok(())),
            IsProbe(false) => ServerErrorsAsFailures::new().classify_response(response),
        }
    }

    fn classify_error<E: Display + 'static>(self, error: &E) -> Self::FailureClass {
        ServerErrorsAsFailures::new().classify_error(error)
    }
}

/// What a `tracing_subscriber::fmt` subscriber wrote.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Makes this the thread's subscriber (everything, no colours) until
    /// the guard drops: the server task runs on the test's one thread.
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn lines(&self) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned();
        text.lines().map(str::to_owned).collect()
    }

    fn errors(&self) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|line| line.contains("ERROR"))
            .collect()
    }
}

/// An app that is not ready (startup gate closed) with the healthcheck
/// placed explicitly, a `TraceLayer` outside it (with the documented
/// classifier, or tower-http's default), and a route answering `500`.
fn traced(documented_classifier: bool) -> Router {
    let health = Health::new()
        .startup(StartupGate::new())
        .with_shutdown(ShutdownHandle::new());
    let app = Router::new()
        .route(
            "/broken",
            get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .layer(healthcheck().health(health));
    if documented_classifier {
        app.layer(TraceLayer::new(ProbesAreAnswers(DEFAULT_PATH)))
    } else {
        app.layer(TraceLayer::new_for_http())
    }
}

/// Runs a failing probe over TCP and in process, then a request to the
/// `500` route, against `app`; returns the log lines of each step.
async fn log_lines(app: Router) -> (Logs, Logs) {
    let probes = Logs::default();
    let server = TestServer::start(app.clone()).await;
    {
        let _guard = probes.capture();
        let prober = Prober::new(Probe::kamal_proxy().port(3000));
        assert_eq!(
            prober.check_addr(server.addr()).await,
            Err(ProbeFailure::NotReady)
        );
        assert_eq!(
            prober.check_service(app.clone()).await,
            Err(ProbeFailure::NotReady)
        );
    }
    let app_error = Logs::default();
    {
        let _guard = app_error.capture();
        let reply = client_send(server.addr(), Method::GET, "/broken").await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    (probes, app_error)
}

#[tokio::test]
async fn the_default_classifier_logs_an_error_per_failing_probe() {
    let (probes, _) = log_lines(traced(false)).await;
    let errors = probes.errors();
    assert_eq!(
        errors.len(),
        2,
        "one per probe (TCP, in process): {errors:#?}"
    );
    assert!(
        errors
            .iter()
            .all(|line| line.contains("response failed classification=Status code: 503")),
        "{errors:#?}"
    );
}

#[tokio::test]
async fn the_documented_classifier_keeps_the_access_log_without_errors() {
    let (probes, app_error) = log_lines(traced(true)).await;
    assert_eq!(probes.errors(), Vec::<String>::new());
    let finished: Vec<_> = probes
        .lines()
        .into_iter()
        .filter(|line| line.contains("finished processing request") && line.contains("status=503"))
        .collect();
    assert_eq!(
        finished.len(),
        2,
        "each probe keeps its access-log line: {:#?}",
        probes.lines()
    );
    // An app route's 500 is still an error.
    let errors = app_error.errors();
    assert_eq!(errors.len(), 1, "{:#?}", app_error.lines());
    assert!(
        errors[0].contains("classification=Status code: 500"),
        "{errors:#?}"
    );
}
