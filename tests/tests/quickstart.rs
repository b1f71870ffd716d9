//! The quickstart app (`examples/src/lib.rs`) in process: kamal-proxy's probe
//! is answered under `#[kamal_app]`, rejected without it, and nothing else
//! changes.

use axum::Router;
use axum::http::{Method, StatusCode};
use axum_kamal_examples::{AllowedHosts, Config, app, app_without_healthcheck};
use axum_kamal_tests::{
    CONTAINER_HOST, NON_PROBE_METHODS, assert_healthy, assert_method_not_allowed, assert_unchanged,
    kamal_probe, ordinary_requests, request, send, with_header,
};
use tower_allowed_hosts::matcher::Matcher;

/// The public host of the app; kamal-proxy's container host is not allowed.
const PUBLIC_HOST: &str = "example.com";

/// The quickstart with and without `#[kamal_app]`, for `config`.
fn twins(config: &Config) -> (Router, Router) {
    (app(config), app_without_healthcheck(config))
}

fn public_config() -> Config {
    Config::from_vars(Some(PUBLIC_HOST), None)
}

#[tokio::test]
async fn container_host_elsewhere_is_still_rejected() {
    let app = app(&public_config());
    for target in ["/", "/whoami", "/up/"] {
        let reply = send(&app, kamal_probe(Method::GET, target)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{target}: {reply:?}");
    }
}

#[tokio::test]
async fn public_traffic_is_served() {
    let app = app(&public_config());
    let index = send(&app, request(Method::GET, "/", PUBLIC_HOST)).await;
    assert_eq!(index.status, StatusCode::OK);
    assert_eq!(index.text(), "Hello from the axum-kamal quickstart!\n");
    let whoami = send(&app, request(Method::GET, "/whoami", "EXAMPLE.com:8443")).await;
    assert_eq!(whoami.text(), "You reached EXAMPLE.com:8443\n");
}

#[tokio::test]
async fn near_misses_are_ordinary_requests_and_other_methods_not_allowed() {
    let (with, without) = twins(&public_config());
    for request in ordinary_requests(PUBLIC_HOST) {
        let reply = send(&with, request).await;
        assert!(!reply.status.is_success(), "{reply:?}");
    }
    assert_unchanged(&with, &without, || ordinary_requests(PUBLIC_HOST)).await;
    for method in NON_PROBE_METHODS {
        for path in ["/up", "/livez"] {
            let reply = send(&with, kamal_probe(method.clone(), path)).await;
            assert_method_not_allowed(&reply);
        }
    }
}

#[tokio::test]
async fn everything_else_is_unchanged() {
    for config in [
        public_config(),
        Config::from_vars(Some(PUBLIC_HOST), Some("1")),
    ] {
        let (with, without) = twins(&config);
        assert_unchanged(&with, &without, || {
            let forwarded = |proto| {
                with_header(
                    request(Method::GET, "/", PUBLIC_HOST),
                    "x-forwarded-proto",
                    proto,
                )
            };
            vec![
                request(Method::GET, "/", PUBLIC_HOST),
                request(Method::HEAD, "/", PUBLIC_HOST),
                request(Method::POST, "/", PUBLIC_HOST),
                request(Method::GET, "/whoami?x=1", PUBLIC_HOST),
                request(Method::GET, "/missing", PUBLIC_HOST),
                request(Method::GET, "/", "evil.test"),
                request(Method::GET, "/", ""),
                forwarded("http"),
                forwarded("https"),
                forwarded("HTTPS"),
                kamal_probe(Method::GET, "/"),
            ]
        })
        .await;
    }
}

/// When the container host is allowed, a `force_ssl`-style redirect is what
/// breaks the probe: kamal-proxy follows the `301` to `https://…/up`, which
/// fails TLS.
#[tokio::test]
async fn forced_https_redirects_the_probe_without_the_macro() {
    let config = Config::from_vars(Some("7c7168a662c1, example.com"), Some("true"));
    let (with, without) = twins(&config);

    let redirected = send(&without, kamal_probe(Method::GET, "/up")).await;
    assert_eq!(redirected.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        redirected.header("location"),
        Some("https://7c7168a662c1:3000/up")
    );

    assert_healthy(&send(&with, kamal_probe(Method::GET, "/up")).await);
    let index = send(&with, kamal_probe(Method::GET, "/?page=2")).await;
    assert_eq!(index.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        index.header("location"),
        Some("https://7c7168a662c1:3000/?page=2")
    );
}

#[tokio::test]
async fn https_redirect_is_keyed_on_x_forwarded_proto() {
    let app = app(&Config::default());
    let plain = with_header(
        request(Method::GET, "/whoami?a=b", "localhost:3000"),
        "x-forwarded-proto",
        "http",
    );
    let reply = send(&app, plain).await;
    assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        reply.header("location"),
        Some("https://localhost:3000/whoami?a=b")
    );

    let secure = with_header(
        request(Method::GET, "/", "localhost:3000"),
        "x-forwarded-proto",
        "https",
    );
    assert_eq!(send(&app, secure).await.status, StatusCode::OK);
    // Local curl sends no X-Forwarded-Proto: served unless FORCE_HTTPS is on.
    assert_eq!(
        send(&app, request(Method::GET, "/", "127.0.0.1:3000"))
            .await
            .status,
        StatusCode::OK
    );
}

#[test]
fn default_config_allows_localhost_on_any_port() {
    let config = Config::default();
    assert!(!config.force_https);
    for host in [
        "localhost",
        "localhost:3000",
        "LOCALHOST:80",
        "127.0.0.1:3000",
    ] {
        assert!(config.allowed_hosts.matches_value(host), "{host}");
    }
    for host in [
        CONTAINER_HOST,
        "localhost.evil.test",
        "127.0.0.2",
        "",
        "[::1]:3000",
    ] {
        assert!(!config.allowed_hosts.matches_value(host), "{host}");
    }
}

#[test]
fn allowed_hosts_parse_lists_and_ignore_ports() {
    let hosts = AllowedHosts::parse(" Example.com:443, ,[::1], 7c7168a662c1 ");
    assert_eq!(
        hosts,
        AllowedHosts::parse("example.com,[::1]:80,7c7168a662c1")
    );
    for host in [
        "example.com",
        "example.com:8080",
        "[::1]:3000",
        "[::1]",
        CONTAINER_HOST,
    ] {
        assert!(hosts.matches_value(host), "{host}");
    }
    assert!(!hosts.matches_value("www.example.com"));
    assert!(!AllowedHosts::parse("").matches_value("localhost"));
}

#[test]
fn force_https_accepts_the_usual_truthy_values() {
    for (value, force) in [
        (None, false),
        (Some("1"), true),
        (Some(" TRUE "), true),
        (Some("yes"), true),
        (Some("on"), true),
        (Some("0"), false),
        (Some("false"), false),
        (Some(""), false),
    ] {
        assert_eq!(
            Config::from_vars(None, value).force_https,
            force,
            "{value:?}"
        );
    }
}
