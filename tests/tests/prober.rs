//! `axum_kamal::testing::Prober` against the quickstart app, over real
//! TCP and in process: the deploy succeeds with `#[kamal_app]`, fails without
//! it (host validation, HTTPS redirect), and fails when `main` adds a layer
//! in front of the healthcheck — each failure with kamal-proxy's reason.
//! Then every orchestrator's profile (kamal-proxy, the kubelet, an AWS ALB
//! target group, Docker's `curl -f`) against the quickstart and against
//! blocking stacks, and the Docker profile checked against the real `curl`.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum_kamal::probe::Orchestrator;
use axum_kamal::testing::{Deploy, Probe, ProbeFailure, Prober};
use axum_kamal_examples::{AllowedHosts, Config, app, app_without_healthcheck, redirect_to_https};
use axum_kamal_tests::{CONTAINER_HOST, KAMAL_PROBE, TestServer, host_validation, require_bearer};
use std::future::Future;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// kamal-proxy's probe (`Host: 7c7168a662c1:3000`) on a fast schedule: a
/// failing deploy gives up after 300 ms instead of 30 s.
fn prober() -> Prober {
    fast_deploy(kamal_probe())
}

/// kamal-proxy's probe, `Host: 7c7168a662c1:3000`, waiting 500 ms.
fn kamal_probe() -> Probe {
    Probe::kamal_proxy()
        .port(3000)
        .timeout(Duration::from_millis(500))
}

/// `probe` every 20 ms for 300 ms.
fn fast_deploy(probe: Probe) -> Prober {
    Prober::new(probe)
        .interval(Duration::from_millis(20))
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
    assert_failed(&prober().probe_service(served()).await, &unauthorized);
    let server = TestServer::start(served()).await;
    assert_failed(&prober().probe_addr(server.addr()).await, &unauthorized);

    // The fixes: serve the router as built, or put the healthcheck outermost.
    prober()
        .probe_service(app(&Config::default()))
        .await
        .assert_healthy();
    prober()
        .probe_service(served().layer(axum_kamal::healthcheck()))
        .await
        .assert_healthy();
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
    assert_eq!(
        prober().check_service(app).await,
        Ok(StatusCode::NO_CONTENT)
    );
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
    let prober = fast_deploy(kamal_probe().timeout(Duration::from_millis(100)));
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
        prober().probe_service(app).await,
        Deploy::Healthy {
            attempts: 3,
            status: StatusCode::OK
        }
    );
}

/// The production configuration of the quickstart (as in
/// `examples/deploy/kubernetes.yaml`): only the public host is allowed and
/// HTTPS is forced, so no orchestrator's probe gets through its layers.
fn production() -> Config {
    Config::from_vars(Some("app.example.com"), Some("1"))
}

/// `orchestrator`'s prober on a fast schedule, `Host` port 3000.
fn fast(orchestrator: Orchestrator) -> Prober {
    let probe = Probe::new(orchestrator)
        .port(3000)
        .timeout(Duration::from_millis(500));
    fast_deploy(probe).deploy_timeout(Duration::from_millis(100))
}

#[tokio::test]
async fn every_orchestrator_deploys_the_quickstart() {
    let server = TestServer::start(app(&production())).await;
    for orchestrator in Orchestrator::ALL {
        let prober = fast(orchestrator);
        let healthy = Deploy::Healthy {
            attempts: 1,
            status: StatusCode::OK,
        };
        assert_eq!(
            prober.probe_addr(server.addr()).await,
            healthy,
            "{orchestrator}"
        );
        assert_eq!(
            prober.probe_service(app(&production())).await,
            healthy,
            "{orchestrator}"
        );
    }
}

/// What each orchestrator concludes when `served` is what `main` serves, over
/// TCP and in process (the two must agree).
async fn verdicts(
    served: impl Fn() -> Router,
) -> Vec<(Orchestrator, Result<StatusCode, ProbeFailure>)> {
    let server = TestServer::start(served()).await;
    let mut verdicts = Vec::new();
    for orchestrator in Orchestrator::ALL {
        let prober = fast(orchestrator);
        let over_tcp = prober.check_addr(server.addr()).await;
        assert_eq!(
            prober.check_service(served()).await,
            over_tcp,
            "{orchestrator}"
        );
        verdicts.push((orchestrator, over_tcp));
    }
    verdicts
}

#[tokio::test]
async fn host_validation_in_main_fails_every_orchestrator() {
    let served = || app(&production()).layer(host_validation("app.example.com"));
    for (orchestrator, verdict) in verdicts(served).await {
        assert_eq!(
            verdict,
            Err(ProbeFailure::Status(StatusCode::BAD_REQUEST)),
            "{orchestrator}"
        );
        let message = verdict.unwrap_err().to_string();
        assert!(message.contains("not from the healthcheck"), "{message}");
    }
}

#[tokio::test]
async fn bearer_auth_in_main_fails_every_orchestrator() {
    let served = || app(&production()).layer(require_bearer("secret"));
    for (orchestrator, verdict) in verdicts(served).await {
        assert_eq!(
            verdict,
            Err(ProbeFailure::Status(StatusCode::UNAUTHORIZED)),
            "{orchestrator}"
        );
    }
}

#[tokio::test]
async fn an_https_redirect_in_main_is_judged_as_each_orchestrator_does() {
    // The redirect keeps the probe's Host: https://<probe host>/up.
    let served = || app(&production()).layer(from_fn_with_state(true, redirect_to_https));
    let verdicts = verdicts(served).await;
    let https = |host: &str| {
        Err(ProbeFailure::HttpsRedirect {
            location: format!("https://{host}/up"),
        })
    };
    assert_eq!(
        verdicts,
        [
            // Go's client follows it and the TLS handshake fails.
            (Orchestrator::KamalProxy, https("7c7168a662c1:3000")),
            // Same host name: the kubelet follows it too.
            (Orchestrator::Kubelet, https("10.244.0.7:3000")),
            // Not followed, and only 200 matches.
            (
                Orchestrator::AwsAlb,
                Err(ProbeFailure::Status(StatusCode::MOVED_PERMANENTLY))
            ),
            // Not followed, and `curl -f` only fails from 400 on: Docker
            // reports healthy without ever reaching the healthcheck (the
            // preflight catches it).
            (Orchestrator::DockerCurl, Ok(StatusCode::MOVED_PERMANENTLY)),
        ]
    );
}

#[tokio::test]
async fn the_kubelet_counts_a_redirect_to_another_host_as_success() {
    let canonical = Router::new().route(
        "/up",
        get(|| async {
            (
                StatusCode::MOVED_PERMANENTLY,
                [(LOCATION, "https://app.example.com/up")],
            )
        }),
    );
    let verdicts = verdicts(move || canonical.clone()).await;
    let https = Err(ProbeFailure::HttpsRedirect {
        location: "https://app.example.com/up".to_owned(),
    });
    assert_eq!(
        verdicts,
        [
            (Orchestrator::KamalProxy, https),
            (Orchestrator::Kubelet, Ok(StatusCode::MOVED_PERMANENTLY)),
            (
                Orchestrator::AwsAlb,
                Err(ProbeFailure::Status(StatusCode::MOVED_PERMANENTLY))
            ),
            (Orchestrator::DockerCurl, Ok(StatusCode::MOVED_PERMANENTLY)),
        ]
    );
}

#[tokio::test]
async fn a_failing_readiness_check_is_the_healthcheck_answering() {
    // Nothing listens on the database address: the healthcheck answers 503.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let database = closed.local_addr().unwrap().to_string();
    drop(closed);
    let config = production().with_database_addr(database);
    for (orchestrator, verdict) in verdicts(|| app(&config)).await {
        assert_eq!(verdict, Err(ProbeFailure::NotReady), "{orchestrator}");
        let failure = verdict.unwrap_err();
        assert!(failure.healthcheck_answered());
        assert!(
            failure.to_string().contains("the healthcheck answered 503"),
            "{failure}"
        );
    }
}

#[tokio::test]
async fn each_prober_writes_its_orchestrators_exact_request() {
    let expected: [(Orchestrator, &[u8]); 4] = [
        (Orchestrator::KamalProxy, KAMAL_PROBE),
        (
            Orchestrator::Kubelet,
            b"GET /up HTTP/1.1\r\nHost: 10.244.0.7:3000\r\nUser-Agent: kube-probe/1.34\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        ),
        (
            Orchestrator::AwsAlb,
            b"GET /up HTTP/1.1\r\nHost: 172.31.20.7:3000\r\nUser-Agent: ELB-HealthChecker/2.0\r\nConnection: close\r\n\r\n",
        ),
        (
            Orchestrator::DockerCurl,
            b"GET /up HTTP/1.1\r\nHost: localhost:3000\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
        ),
    ];
    for (orchestrator, bytes) in expected {
        let prober = fast(orchestrator);
        let (status, sent) =
            received_request(|addr| async move { prober.check_addr(addr).await }).await;
        assert_eq!(status, Ok(StatusCode::OK));
        assert_eq!(sent, bytes, "{orchestrator}");
        assert_eq!(
            fast(orchestrator).probe().request_bytes(),
            bytes,
            "{orchestrator}"
        );
    }
    assert_eq!(prober().probe().host(), CONTAINER_HOST);
}

/// Runs `client` against a one-shot listener that answers `200 OK`, and
/// returns its result and the request head the listener received.
async fn received_request<F, Fut, T>(client: F) -> (T, Vec<u8>)
where
    F: FnOnce(std::net::SocketAddr) -> Fut,
    Fut: Future<Output = T>,
{
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
    let result = client(addr).await;
    (result, server.await.unwrap())
}

/// `curl -sf -o /dev/null http://localhost:<port><path>` as a Docker
/// `HEALTHCHECK` runs it: `Ok(())` when curl exits 0 (healthy), its exit code
/// otherwise.
async fn curl_f(port: u16, path: &str) -> Result<(), i32> {
    let status = tokio::process::Command::new("curl")
        .args([
            "-sf",
            "-o",
            "/dev/null",
            &format!("http://localhost:{port}{path}"),
        ])
        .status()
        .await
        .expect("curl is installed (Docker HEALTHCHECK's usual command)");
    if status.success() {
        Ok(())
    } else {
        Err(status.code().unwrap_or(-1))
    }
}

#[tokio::test]
async fn the_docker_profile_is_what_curl_f_sends_and_decides() {
    let version = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .expect("curl is installed");
    let version = String::from_utf8_lossy(&version.stdout);
    let version = version.split_whitespace().nth(1).expect("curl <version>");

    // Byte for byte, with this machine's curl version in User-Agent.
    let mut port = 0;
    let (_, sent) = received_request(|addr| {
        port = addr.port();
        curl_f(addr.port(), "/up")
    })
    .await;
    let probe = Probe::docker_curl()
        .port(port)
        .user_agent(format!("curl/{version}"));
    assert_eq!(
        String::from_utf8_lossy(&sent),
        String::from_utf8_lossy(&probe.request_bytes())
    );

    // The same verdicts as curl's exit status, on the quickstart and on
    // blocking stacks.
    let stacks: [(&str, Router); 4] = [
        ("quickstart", app(&production())),
        (
            "host validation in main",
            app(&production()).layer(host_validation("app.example.com")),
        ),
        (
            "bearer auth in main",
            app(&production()).layer(require_bearer("secret")),
        ),
        (
            "https redirect in main",
            app(&production()).layer(from_fn_with_state(true, redirect_to_https)),
        ),
    ];
    for (name, stack) in stacks {
        let server = TestServer::start(stack).await;
        let port = server.addr().port();
        let curl = curl_f(port, "/up").await;
        let prober = Prober::new(Probe::docker_curl().port(port))
            .check_addr(server.addr())
            .await;
        assert_eq!(
            curl.is_ok(),
            prober.is_ok(),
            "{name}: curl {curl:?}, prober {prober:?}"
        );
        if let Err(code) = curl {
            assert_eq!(
                code, 22,
                "{name}: curl -f exits 22 on a status of 400 or more"
            );
        }
    }
}
