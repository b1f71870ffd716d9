//! `axum_kamal::preflight` on the service `main` serves: it passes the
//! quickstart (ready or not) and the documented setups, and fails — saying
//! what answered and the fix — when host validation, an HTTPS redirect or
//! bearer auth is added outside the `#[kamal_app]` function. Each verdict is
//! checked against the same stack served by `axum::serve` on 127.0.0.1 and
//! probed over TCP as kamal-proxy and the kubelet do.

use std::io;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::get;
use std::net::SocketAddr;

use axum_kamal::preflight::{Preflight, PreflightError};
use axum_kamal::probe::Orchestrator;
use axum_kamal::testing::{Probe, ProbeFailure, Prober};
use axum_kamal::{HealthcheckLayer, preflight};
use axum_kamal_examples::{Config, app, redirect_to_https};
use axum_kamal_tests::{TestServer, host_validation, require_bearer};
use http::header::HeaderName;
use http::{HeaderValue, StatusCode};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::make::Shared;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The quickstart as deployed: only the public host allowed, HTTPS forced.
fn production() -> Config {
    Config::from_vars(Some("app.example.com"), Some("1"))
}

/// Where the deployed app listens: the port the probes name in `Host`.
fn serving_on() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 3000))
}

/// What `main` does: the preflight, then `axum::serve` on 127.0.0.1 — the
/// server only starts when the preflight passes.
async fn preflight_then_serve(app: Router) -> Result<TestServer, PreflightError> {
    preflight(&app, serving_on()).await?;
    Ok(TestServer::start(app).await)
}

/// kamal-proxy's and the kubelet's probes over TCP, as deployed.
fn deployed_probers() -> [Prober; 2] {
    [Probe::kamal_proxy(), Probe::kubelet()]
        .map(|probe| Prober::new(probe.port(3000).timeout(Duration::from_secs(1))))
}

/// Serves `app` (whatever the preflight said) and returns what kamal-proxy's
/// and the kubelet's probes get over TCP.
async fn over_tcp(app: Router) -> Vec<Result<StatusCode, ProbeFailure>> {
    let server = TestServer::start(app).await;
    let mut verdicts = Vec::new();
    for prober in deployed_probers() {
        verdicts.push(prober.check_addr(server.addr()).await);
    }
    verdicts
}

#[track_caller]
fn assert_fix_given(error: &PreflightError) {
    let message = error.to_string();
    for part in [
        "never reached the healthcheck",
        "behind the healthcheck: into the #[kamal_app] function, after healthcheck()",
        "axum_kamal::healthcheck() the outermost layer",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
}

#[tokio::test]
async fn the_quickstart_passes_and_serves() {
    for config in [Config::default(), production()] {
        let server = preflight_then_serve(app(&config)).await.unwrap();
        for prober in deployed_probers() {
            prober.probe_addr(server.addr()).await.assert_healthy();
        }
    }
}

#[tokio::test]
async fn a_database_not_up_yet_does_not_fail_the_preflight() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let database = closed.local_addr().unwrap().to_string();
    drop(closed);
    let app = app(&production().with_database_addr(database));
    // The healthcheck was reached, and answered without running its checks:
    // the database is the deploy's business, not the preflight's.
    let report = preflight(&app, serving_on()).await.unwrap();
    assert!(report.is_ready(), "{report:?}");
    assert_eq!(
        over_tcp(app).await,
        [Err(ProbeFailure::NotReady), Err(ProbeFailure::NotReady)]
    );
}

#[tokio::test]
async fn host_validation_in_main_fails_the_preflight() {
    let served = || app(&production()).layer(host_validation("app.example.com"));
    let error = preflight_then_serve(served()).await.unwrap_err();
    assert_eq!(error.orchestrator(), Orchestrator::KamalProxy);
    assert_eq!(error.status(), Some(StatusCode::BAD_REQUEST));
    assert_fix_given(&error);
    assert!(
        error.to_string().starts_with(
            "preflight: kamal-proxy's probe (GET /up, Host: 7c7168a662c1:3000, User-Agent: kamal-proxy) \
             never reached the healthcheck: 400 Bad Request answered instead"
        ),
        "{error}"
    );
    // Served anyway, the deploy fails the same way.
    let bad_request = Err(ProbeFailure::Status(StatusCode::BAD_REQUEST));
    assert_eq!(over_tcp(served()).await, [bad_request.clone(), bad_request]);
}

#[tokio::test]
async fn bearer_auth_in_main_fails_the_preflight() {
    let served = || app(&production()).layer(require_bearer("secret"));
    let error = preflight_then_serve(served()).await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(error.failure(), None);
    assert_fix_given(&error);
    // The README's quick start shows this error as `main` prints it.
    let printed = format!("Error: {:?}", io::Error::from(error));
    let readme = include_str!("../../README.md");
    assert!(readme.contains(&printed), "README shows: {printed}");
    let unauthorized = Err(ProbeFailure::Status(StatusCode::UNAUTHORIZED));
    assert_eq!(
        over_tcp(served()).await,
        [unauthorized.clone(), unauthorized]
    );
}

#[tokio::test]
async fn an_https_redirect_in_main_fails_the_preflight() {
    let served = || app(&production()).layer(from_fn_with_state(true, redirect_to_https));
    let error = preflight_then_serve(served()).await.unwrap_err();
    assert_eq!(error.location(), Some("https://7c7168a662c1:3000/up"));
    assert_eq!(
        error.failure(),
        Some(&ProbeFailure::HttpsRedirect {
            location: "https://7c7168a662c1:3000/up".to_owned()
        })
    );
    assert_fix_given(&error);
    assert!(
        error
            .to_string()
            .contains("redirected to https://7c7168a662c1:3000/up, not by the healthcheck"),
        "{error}"
    );
    let https = |host: &str| {
        Err(ProbeFailure::HttpsRedirect {
            location: format!("https://{host}:3000/up"),
        })
    };
    assert_eq!(
        over_tcp(served()).await,
        [https("7c7168a662c1"), https("10.244.0.7")]
    );
}

#[tokio::test]
async fn a_tower_service_around_the_router_is_checked_too() {
    // Not a Router: tower-http's bearer auth wrapped around it with a
    // ServiceBuilder, served through `Shared` as `axum::serve` allows.
    let blocking = ServiceBuilder::new()
        .layer(require_bearer("secret"))
        .service(app(&production()));
    let error = preflight(&blocking, serving_on()).await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, Shared::new(blocking)).await });
    assert_eq!(
        Prober::new(Probe::kamal_proxy()).check_addr(addr).await,
        Err(ProbeFailure::Status(StatusCode::UNAUTHORIZED))
    );
    server.abort();

    // The fix the message gives: the healthcheck outermost.
    let fixed = ServiceBuilder::new()
        .layer(HealthcheckLayer::new("/up"))
        .layer(require_bearer("secret"))
        .service(app(&production()));
    preflight(&fixed, serving_on()).await.unwrap();
}

#[tokio::test]
async fn harmless_layers_in_main_still_let_the_healthcheck_answer() {
    // Layers that pass the probe through and at most add headers: the
    // healthcheck's answers stay recognisable (gzip is asked for, but a
    // 2-byte body is below tower-http's default compression threshold).
    let served = || {
        app(&production())
            .layer(CompressionLayer::new())
            .layer(CorsLayer::permissive())
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                Duration::from_secs(5),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                HeaderName::from_static("x-served-by"),
                HeaderValue::from_static("app"),
            ))
            .layer(TraceLayer::new_for_http())
    };
    let server = preflight_then_serve(served()).await.unwrap();
    for prober in deployed_probers() {
        prober.probe_addr(server.addr()).await.assert_healthy();
    }
}

#[tokio::test]
async fn the_documented_setups_pass() {
    // `healthcheck()` as the last `Router::layer` call, in front of a layer
    // that would block the probe.
    let last_layer = Router::new()
        .route("/", get(|| async { "hello" }))
        .layer(require_bearer("secret"))
        .layer(axum_kamal::healthcheck());
    preflight(&last_layer, serving_on()).await.unwrap();

    // `#[kamal_app(path = ..)]`: the preflight is told the path.
    #[axum_kamal::kamal_app(path = "/healthz")]
    fn custom_path() -> Router {
        Router::new().layer(host_validation("app.example.com"))
    }
    Preflight::new()
        .probes(Orchestrator::ALL.map(|o| Probe::new(o).path("/healthz").port(3000)))
        .run(&custom_path())
        .await
        .unwrap();
    let error = preflight(&custom_path(), serving_on()).await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::BAD_REQUEST), "{error}");
}

#[tokio::test]
async fn a_redirect_docker_counts_healthy_still_fails_the_preflight() {
    // `curl -f` without `-L` counts the 301 as healthy; the healthcheck was
    // never reached, so readiness is never checked.
    let served = app(&production()).layer(from_fn_with_state(true, redirect_to_https));
    let error = Preflight::new()
        .probes([Probe::docker_curl()])
        .run(&served)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::MOVED_PERMANENTLY));
    assert_eq!(error.location(), Some("https://localhost:80/up"));
    assert!(
        error
            .to_string()
            .contains("301 Moved Permanently answered instead (Location: https://localhost:80/up)"),
        "{error}"
    );
}

#[tokio::test]
async fn a_layer_that_hangs_fails_after_the_timeout() {
    async fn hang(_request: Request, _next: Next) -> Response {
        std::future::pending().await
    }
    let served = app(&production()).layer(from_fn(hang));
    let error = Preflight::new()
        .probes([Probe::kamal_proxy().timeout(Duration::from_millis(50))])
        .run(&served)
        .await
        .unwrap_err();
    assert_eq!(
        error.failure(),
        Some(&ProbeFailure::Timeout(Duration::from_millis(50)))
    );
    assert_fix_given(&error);
}

#[tokio::test]
async fn a_service_error_is_reported() {
    let failing = tower::service_fn(|_: http::Request<Body>| async {
        Err::<Response, _>(io::Error::other("backend gone"))
    });
    let error = preflight(&failing, serving_on()).await.unwrap_err();
    assert_eq!(
        error.failure(),
        Some(&ProbeFailure::Service("backend gone".to_owned()))
    );
}

#[tokio::test]
async fn main_can_use_the_question_mark_on_io_result() {
    async fn main_like(app: Router) -> io::Result<()> {
        preflight(&app, serving_on()).await?;
        Ok(())
    }
    let error = main_like(Router::new()).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::Other);
    // What Rust prints when main returns it: the message, not the internals.
    assert_eq!(
        format!("{error:?}"),
        format!("Custom {{ kind: Other, error: {error} }}")
    );
    assert!(
        error.to_string().contains("404 Not Found answered instead"),
        "{error}"
    );
    let inner = error.into_inner().unwrap();
    assert!(inner.downcast_ref::<PreflightError>().is_some());
}
