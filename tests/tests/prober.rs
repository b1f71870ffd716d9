//! `axum_kamal::testing::KamalProber` against the quickstart app, over real
//! TCP and in process: the deploy succeeds with `#[kamal_app]`, fails without
//! it (host validation, HTTPS redirect), and fails when `main` adds a layer
//! in front of the healthcheck — each failure with kamal-proxy's reason.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::routing::get;
use axum_kamal::testing::{Deploy, KamalProber, ProbeFailure};
use axum_kamal_examples::{AllowedHosts, Config, app, app_without_healthcheck};
use axum_kamal_tests::{CONTAINER_HOST, KAMAL_PROBE, TestServer, require_bearer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// kamal-proxy's probe (`Host: 7c7168a662c1:3000`) on a fast schedule: a
/// failing deploy gives up after 300 ms instead of 30 s.
fn prober() -> KamalProber {
    KamalProber::new()
        .app_port(3000)
        .interval(Duration::from_millis(20))
        .timeout(Duration::from_millis(500))
        .deploy_timeout(Duration::from_millis(300))
}

/// The quickstart configuration of a production deploy: only the container
/// id is an allowed host (so the probe passes host validation) and HTTPS is
/// forced, as when `FORCE_HTTPS=1`.
fn force_https_config() -> Config {
    Config {
        allowed_hosts: AllowedHosts::parse("7c7168a662c1"),
        force_https: true,
        ..Config::default()
    }
}

#[track_caller]
fn assert_failed(deploy: &Deploy, expected: &ProbeFailure) {
    assert_eq!(deploy.failure(), Some(expected), "{deploy}");
    assert!(deploy.attempts() > 1, "kamal-proxy retries: {deploy}");
}

#[tokio::test]
async fn quickstart_deploys_over_tcp() {
    let server = TestServer::start(app(&Config::default())).await;
    let deploy = prober().probe_addr(server.addr()).await;
    assert_eq!(
        deploy,
        Deploy::Healthy {
            attempts: 1,
            status: StatusCode::OK
        }
    );
}

#[tokio::test]
async fn quickstart_without_healthcheck_fails_on_host_validation() {
    let server = TestServer::start(app_without_healthcheck(&Config::default())).await;
    let deploy = prober().probe_addr(server.addr()).await;
    assert_failed(&deploy, &ProbeFailure::Status(StatusCode::BAD_REQUEST));
    assert!(deploy.to_string().contains("400 Bad Request"), "{deploy}");
}

#[tokio::test]
async fn https_redirect_fails_the_deploy_and_kamal_app_fixes_it() {
    let without = TestServer::start(app_without_healthcheck(&force_https_config())).await;
    let deploy = prober().probe_addr(without.addr()).await;
    assert_failed(
        &deploy,
        &ProbeFailure::HttpsRedirect {
            location: "https://7c7168a662c1:3000/up".to_owned(),
        },
    );

    let with = TestServer::start(app(&force_https_config())).await;
    prober().probe_addr(with.addr()).await.assert_healthy();
}

#[tokio::test]
async fn a_layer_added_in_main_fails_the_deploy() {
    // `main` wraps the annotated function's router in one more layer: it runs
    // before the healthcheck and rejects the probe. No compile-time check can
    // see it; the prober does, in process and over TCP.
    let served = || app(&Config::default()).layer(require_bearer("secret"));
    let unauthorized = ProbeFailure::Status(StatusCode::UNAUTHORIZED);
    assert_failed(&prober().probe_router(served()).await, &unauthorized);
    let server = TestServer::start(served()).await;
    assert_failed(&prober().probe_addr(server.addr()).await, &unauthorized);

    // The fixes: serve the router as built, or put the healthcheck outermost.
    prober()
        .probe_router(app(&Config::default()))
        .await
        .assert_healthy();
    prober()
        .probe_router(served().layer(axum_kamal::healthcheck()))
        .await
        .assert_healthy();
}

#[tokio::test]
async fn the_prober_writes_kamal_proxys_exact_request() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        while !request.ends_with(b"\r\n\r\n") {
            let mut byte = [0];
            stream.read_exact(&mut byte).await.unwrap();
            request.push(byte[0]);
        }
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nOK")
            .await
            .unwrap();
        request
    });
    assert_eq!(prober().check_addr(addr).await, Ok(StatusCode::OK));
    assert_eq!(server.await.unwrap(), KAMAL_PROBE);
    assert_eq!(prober().request_bytes(), KAMAL_PROBE);
    assert_eq!(prober().host(), CONTAINER_HOST);
}

#[tokio::test]
async fn relative_and_http_redirects_are_followed() {
    let redirect =
        |to: &'static str| get(move || async move { (StatusCode::FOUND, [(LOCATION, to)]) });
    let app = Router::new()
        .route("/up", redirect("/health"))
        .route("/health", redirect("http://7c7168a662c1:3000/ready"))
        .route("/ready", redirect("ok"))
        .route("/ok", get(|| async { StatusCode::NO_CONTENT }));
    let server = TestServer::start(app.clone()).await;
    assert_eq!(
        prober().check_addr(server.addr()).await,
        Ok(StatusCode::NO_CONTENT)
    );
    assert_eq!(prober().check_router(app).await, Ok(StatusCode::NO_CONTENT));
}

#[tokio::test]
async fn a_redirect_loop_stops_after_ten_redirects() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = Router::new().route(
        "/up",
        get(move || async move {
            counted.fetch_add(1, Ordering::SeqCst);
            (StatusCode::MOVED_PERMANENTLY, [(LOCATION, "/up")])
        }),
    );
    let server = TestServer::start(app).await;
    assert_eq!(
        prober().check_addr(server.addr()).await,
        Err(ProbeFailure::TooManyRedirects(10))
    );
    // Go's client: `stopped after 10 redirects`, 10 requests in all.
    assert_eq!(hits.load(Ordering::SeqCst), 10);
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let app = Router::new().route(
        "/up",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "OK"
        }),
    );
    let server = TestServer::start(app).await;
    let prober = prober().timeout(Duration::from_millis(100));
    assert_failed(
        &prober.probe_addr(server.addr()).await,
        &ProbeFailure::Timeout(Duration::from_millis(100)),
    );
}

#[tokio::test]
async fn connection_refused_fails_until_the_app_listens() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let deploy = prober().probe_addr(addr).await;
    assert!(
        matches!(
            deploy.failure(),
            Some(ProbeFailure::Connect {
                kind: io::ErrorKind::ConnectionRefused,
                ..
            })
        ),
        "{deploy}"
    );

    // The app starts listening while the deploy runs: kamal-proxy keeps
    // probing, and so does the prober.
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let listener = TcpListener::bind(addr).await.unwrap();
        axum::serve(listener, app(&Config::default()))
            .await
            .unwrap();
    });
    let deploy = prober()
        .deploy_timeout(Duration::from_secs(5))
        .probe_addr(addr)
        .await;
    late.abort();
    deploy.assert_healthy();
    assert!(deploy.attempts() > 1, "{deploy}");
}

#[tokio::test]
async fn an_app_that_becomes_ready_deploys_after_some_attempts() {
    let hits = Arc::new(AtomicUsize::new(0));
    let app = Router::new().route(
        "/up",
        get(move || async move {
            if hits.fetch_add(1, Ordering::SeqCst) < 2 {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            }
        }),
    );
    assert_eq!(
        prober().probe_router(app).await,
        Deploy::Healthy {
            attempts: 3,
            status: StatusCode::OK
        }
    );
}
