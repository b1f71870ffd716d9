//! The preflight, the in-process prober and a real TCP probe say the same
//! thing about the same stack: per-peer rate limits and client-IP layers
//! (which read the `ConnectInfo<SocketAddr>` every served request carries),
//! a layer that rewrites a header of the healthcheck's answer, one that
//! rewrites its status, a healthcheck that is not ready, a layer in front
//! that answers, and readiness checks slower than the kubelet's probe
//! timeout.
//!
//! Each probe gets its own instance of the stack (its own rate-limit budget,
//! its own check runs), and the TCP one is served the way apps that read
//! the peer address serve: `into_make_service_with_connect_info`. Run with
//! `--nocapture` to see the three verdicts of each case.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;
use axum_client_ip::{ClientIp, ClientIpSource};
use axum_kamal::preflight::{Preflight, PreflightError, PreflightReport, PreflightWarning};
use axum_kamal::probe::{Orchestrator, Probe};
use axum_kamal::testing::{ProbeFailure, Prober};
use axum_kamal::{Health, ShutdownHandle, StartupGate, healthcheck};
use axum_kamal_examples::{Config, app};
use axum_kamal_tests::{TestServer, require_bearer};
use http::header::CACHE_CONTROL;
use http::{HeaderValue, StatusCode};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

/// The port the deployed app listens on, in every probe's `Host`.
const PORT: u16 = 3000;

/// An app served with `into_make_service_with_connect_info::<SocketAddr>()`
/// on 127.0.0.1 until dropped: each request carries its peer address.
struct ConnectInfoServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl ConnectInfoServer {
    async fn start(app: Router) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        let task =
            tokio::spawn(async move { axum::serve(listener, service).await.expect("serve") });
        Self { addr, task }
    }
}

impl Drop for ConnectInfoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the three probes of one orchestrator said about one stack.
#[derive(Debug)]
struct Verdicts {
    preflight: Result<PreflightReport, PreflightError>,
    in_process: Result<StatusCode, ProbeFailure>,
    tcp: Result<StatusCode, ProbeFailure>,
}

/// The preflight, the in-process prober and the TCP probe of `orchestrator`,
/// each on a stack fresh from `build`.
async fn verdicts(case: &str, orchestrator: Orchestrator, build: impl Fn() -> Router) -> Verdicts {
    let probe = Probe::new(orchestrator).port(PORT);
    let preflight = Preflight::new().probes([probe.clone()]).run(&build()).await;
    let prober = Prober::new(probe);
    let in_process = prober.check_service(build()).await;
    let server = ConnectInfoServer::start(build()).await;
    let tcp = prober.check_addr(server.addr).await;
    let said = match &preflight {
        Ok(report) => format!("passed {report:?}"),
        Err(error) => format!("failed: {error}"),
    };
    println!(
        "{case} ({orchestrator}):\n  preflight: {said}\n  in process: {in_process:?}\n  over TCP: {tcp:?}"
    );
    Verdicts {
        preflight,
        in_process,
        tcp,
    }
}

/// tower_governor's default: a per-peer budget keyed by
/// `ConnectInfo<SocketAddr>` (`PeerIpKeyExtractor`), 500 without it.
fn per_peer_rate_limit<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let config = GovernorConfigBuilder::default()
        .per_second(1)
        .burst_size(5)
        .finish()
        .expect("valid governor config");
    router.layer(GovernorLayer::new(config))
}

/// Logs the client IP from the connection (axum-client-ip's
/// `ClientIpSource::ConnectInfo`); its extractor answers 500 without it.
fn client_ip_logging<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    async fn log_client_ip(ClientIp(ip): ClientIp, request: Request, next: Next) -> Response {
        tracing::info!(%ip, path = request.uri().path(), "request");
        next.run(request).await
    }
    router
        .layer(from_fn(log_client_ip))
        .layer(ClientIpSource::ConnectInfo.into_extension())
}

/// A router with the healthcheck placed explicitly as its last layer.
fn explicit(health: Health) -> Router {
    Router::new()
        .route("/", get(|| async { "hello" }))
        .layer(healthcheck().health(health.with_shutdown(ShutdownHandle::new())))
}

#[track_caller]
fn assert_ready(verdicts: &Verdicts) {
    let report = verdicts.preflight.as_ref().expect("the preflight passes");
    assert!(report.is_ready(), "{report:?}");
    assert_eq!(report.warnings(), [], "{report:?}");
    assert_eq!(verdicts.in_process, Ok(StatusCode::OK));
    assert_eq!(verdicts.tcp, Ok(StatusCode::OK));
}

#[tokio::test]
async fn a_per_peer_rate_limit_around_the_app_passes_all_three() {
    for orchestrator in [Orchestrator::KamalProxy, Orchestrator::Kubelet] {
        let around = || per_peer_rate_limit(app(&Config::default()));
        assert_ready(&verdicts("governor around the app", orchestrator, around).await);
    }
}

#[tokio::test]
async fn a_per_peer_rate_limit_before_an_explicit_healthcheck_passes_all_three() {
    let before = || per_peer_rate_limit(explicit(Health::new()));
    assert_ready(
        &verdicts(
            "governor before healthcheck()",
            Orchestrator::KamalProxy,
            before,
        )
        .await,
    );
}

#[tokio::test]
async fn a_client_ip_layer_passes_all_three() {
    let around = || client_ip_logging(app(&Config::default()));
    assert_ready(&verdicts("client IP around the app", Orchestrator::KamalProxy, around).await);
    let before = || client_ip_logging(explicit(Health::new()));
    assert_ready(
        &verdicts(
            "client IP before healthcheck()",
            Orchestrator::Kubelet,
            before,
        )
        .await,
    );
}

#[tokio::test]
async fn served_without_connect_info_the_peer_keyed_layers_fail_everywhere() {
    // `axum::serve(listener, app)` gives no peer address: the preflight told
    // so (`peer_addr(None)`) and the TCP probe agree on tower_governor's 500.
    let app = || per_peer_rate_limit(app(&Config::default()));
    let unserved = Probe::kamal_proxy().port(PORT).peer_addr(None);
    let error = Preflight::new()
        .probes([unserved.clone()])
        .run(&app())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    let in_process = Prober::new(unserved);
    let failure = Err(ProbeFailure::Status(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(in_process.check_service(app()).await, failure);
    let plain = TestServer::start(app()).await;
    assert_eq!(
        Prober::new(Probe::kamal_proxy())
            .check_addr(plain.addr())
            .await,
        failure
    );
}

#[tokio::test]
async fn a_header_rewrite_is_reported_as_a_changed_answer() {
    let rewritten = || {
        app(&Config::default()).layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        ))
    };
    let verdicts = verdicts(
        "Cache-Control rewritten in main",
        Orchestrator::KamalProxy,
        rewritten,
    )
    .await;
    let report = verdicts
        .preflight
        .expect("the status is unchanged: it passes");
    assert_eq!(
        report.warnings(),
        [PreflightWarning::ChangedAnswer {
            orchestrator: Orchestrator::KamalProxy,
            changes: vec!["cache-control: no-store became public, max-age=60".to_owned()],
        }]
    );
    let warning = report.warnings()[0].to_string();
    assert!(
        warning.contains("reached the healthcheck, and a layer in front of it changed its answer"),
        "{warning}"
    );
    assert_eq!(verdicts.in_process, Ok(StatusCode::OK));
    assert_eq!(verdicts.tcp, Ok(StatusCode::OK));
}

#[tokio::test]
async fn a_status_rewrite_fails_as_a_changed_answer() {
    async fn server_errors_become_500(request: Request, next: Next) -> Response {
        let mut response = next.run(request).await;
        if response.status().is_server_error() {
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        }
        response
    }
    // A closed startup gate: the healthcheck answers 503, the layer makes it 500.
    let rewritten = || {
        explicit(Health::new().startup(StartupGate::new())).layer(from_fn(server_errors_become_500))
    };
    let verdicts = verdicts("503 rewritten to 500", Orchestrator::Kubelet, rewritten).await;
    let error = verdicts.preflight.expect_err("a changed status fails");
    assert_eq!(error.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert!(
        error.to_string().contains(
            "reached the healthcheck, which answered 503 Service Unavailable, but a layer in \
             front of it changed that to 500 Internal Server Error"
        ),
        "{error}"
    );
    let failure = Err(ProbeFailure::Status(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(verdicts.in_process, failure);
    assert_eq!(verdicts.tcp, failure);
}

#[tokio::test]
async fn not_ready_is_accepted_by_the_preflight_and_fails_the_probes() {
    let starting = || explicit(Health::new().startup(StartupGate::new()));
    let verdicts = verdicts("startup gate closed", Orchestrator::KamalProxy, starting).await;
    let report = verdicts
        .preflight
        .expect("the healthcheck answered: it passes");
    assert!(!report.is_ready());
    assert_eq!(
        report.statuses(),
        [(Orchestrator::KamalProxy, StatusCode::SERVICE_UNAVAILABLE)]
    );
    assert_eq!(verdicts.in_process, Err(ProbeFailure::NotReady));
    assert_eq!(verdicts.tcp, Err(ProbeFailure::NotReady));
}

#[tokio::test]
async fn a_layer_in_front_of_an_explicit_healthcheck_is_not_blamed_on_main() {
    let blocked = || explicit(Health::new()).layer(require_bearer("secret"));
    let verdicts = verdicts(
        "bearer auth before healthcheck()",
        Orchestrator::KamalProxy,
        blocked,
    )
    .await;
    let error = verdicts.preflight.expect_err("the probe never reached it");
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    let message = error.to_string();
    assert!(
        message.contains("with explicit placement, also one placed before healthcheck()"),
        "{message}"
    );
    assert!(
        !message.contains("outside the #[kamal_app] function"),
        "{message}"
    );
    let failure = Err(ProbeFailure::Status(StatusCode::UNAUTHORIZED));
    assert_eq!(verdicts.in_process, failure);
    assert_eq!(verdicts.tcp, failure);
}

/// A router whose one readiness check takes 1.5 s (counted in `runs`),
/// with `check_timeout` if given, else the default.
fn slow_check(runs: &Arc<AtomicUsize>, check_timeout: Option<Duration>) -> Router {
    let runs = Arc::clone(runs);
    let health = Health::new().check("db", move || {
        runs.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            Ok::<(), String>(())
        }
    });
    explicit(match check_timeout {
        Some(timeout) => health.timeout(timeout),
        None => health,
    })
}

#[tokio::test]
async fn checks_longer_than_the_kubelets_timeout_are_reported() {
    let runs = Arc::new(AtomicUsize::new(0));
    let two_seconds = Some(Duration::from_secs(2));
    // The preflight alone: it answers without running the check.
    let report = Preflight::new()
        .probes([Probe::kamal_proxy(), Probe::kubelet()].map(|probe| probe.port(PORT)))
        .run(&slow_check(&runs, two_seconds))
        .await
        .unwrap();
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "the preflight ran the check"
    );
    assert!(report.is_ready());
    assert_eq!(
        report.warnings(),
        [PreflightWarning::ChecksOutlastProbe {
            orchestrator: Orchestrator::Kubelet,
            check_timeout: Duration::from_secs(2),
            probe_timeout: Duration::from_secs(1),
        }]
    );
    let warning = report.warnings()[0].to_string();
    assert!(
        warning.contains("may run for 2s (Health::timeout), but the kubelet gives up on a probe after 1s (timeoutSeconds)"),
        "{warning}"
    );

    let verdicts = verdicts(
        "1.5 s check, Health::timeout 2 s",
        Orchestrator::Kubelet,
        || slow_check(&runs, two_seconds),
    )
    .await;
    assert_eq!(
        verdicts.in_process,
        Err(ProbeFailure::ChecksOutlastProbe {
            probe_timeout: Duration::from_secs(1),
            check_timeout: Duration::from_secs(2),
        })
    );
    assert_eq!(
        verdicts.tcp,
        Err(ProbeFailure::Timeout(Duration::from_secs(1)))
    );
}

#[tokio::test]
async fn the_default_check_timeout_fits_the_kubelets_default() {
    // 800 ms: the slow check fails, the probe gets the healthcheck's 503
    // within the kubelet's 1 s.
    let runs = Arc::new(AtomicUsize::new(0));
    let verdicts = verdicts(
        "1.5 s check, default Health::timeout",
        Orchestrator::Kubelet,
        || slow_check(&runs, None),
    )
    .await;
    let report = verdicts.preflight.expect("passes");
    assert_eq!(report.warnings(), [], "{report:?}");
    assert_eq!(verdicts.in_process, Err(ProbeFailure::NotReady));
    assert_eq!(verdicts.tcp, Err(ProbeFailure::NotReady));
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "one run per prober, none for the preflight"
    );
}
