//! The quickstart app over real TCP on 127.0.0.1, served by `axum::serve`:
//! kamal-proxy's probe byte for byte, and through a real HTTP client.

use axum::http::{Method, StatusCode};
use axum_kamal_examples::{Config, app, app_without_healthcheck};
use axum_kamal_tests::{
    CONTAINER_HOST, KAMAL_PROBE, NON_PROBE_METHODS, NOT_PROBES, RawConnection, Reply, TestServer,
    assert_healthy, assert_healthy_head, assert_method_not_allowed, client_send, kamal_probe_bytes,
};

/// The quickstart with its default configuration (`localhost,127.0.0.1`), as
/// `cargo run --example quickstart` serves it.
async fn quickstart() -> TestServer {
    TestServer::start(app(&Config::default())).await
}

async fn quickstart_without_healthcheck() -> TestServer {
    TestServer::start(app_without_healthcheck(&Config::default())).await
}

/// The parts of a reply that do not depend on the time (`date`).
fn timeless(mut reply: Reply) -> Reply {
    reply.headers.remove("date");
    reply
}

#[tokio::test]
async fn exact_kamal_probe_bytes_get_200_ok() {
    let server = quickstart().await;
    let reply = server.exchange(KAMAL_PROBE).await;
    assert_healthy(&reply);
    assert_eq!(
        reply.header("content-encoding"),
        None,
        "OK is never gzipped"
    );
}

#[tokio::test]
async fn exact_kamal_probe_bytes_get_400_without_the_macro() {
    let server = quickstart_without_healthcheck().await;
    let reply = server.exchange(KAMAL_PROBE).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_eq!(reply.text(), format!("host {CONTAINER_HOST} not allowed\n"));
}

#[tokio::test]
async fn container_host_on_root_gets_400() {
    let server = quickstart().await;
    let reply = server.exchange(&kamal_probe_bytes("GET", "/")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
}

#[tokio::test]
async fn head_probe_over_tcp() {
    let server = quickstart().await;
    let reply = server.exchange(&kamal_probe_bytes("HEAD", "/up")).await;
    assert_healthy_head(&reply);
}

#[tokio::test]
async fn probe_with_query_over_tcp() {
    let server = quickstart().await;
    for target in ["/up?", "/up?deploy=1", "/up?a=1&b=%2F", "/up?full=1&b=%20"] {
        assert_healthy(&server.exchange(&kamal_probe_bytes("GET", target)).await);
        assert_healthy_head(&server.exchange(&kamal_probe_bytes("HEAD", target)).await);
    }
}

/// kamal-proxy probes every second; a kept-alive connection must keep working.
#[tokio::test]
async fn repeated_probes_on_one_keep_alive_connection() {
    let server = quickstart().await;
    let mut connection = RawConnection::open(server.addr()).await;
    for _ in 0..3 {
        assert_healthy(&connection.exchange(KAMAL_PROBE).await);
    }
    let rejected = connection.exchange(&kamal_probe_bytes("GET", "/")).await;
    assert_eq!(rejected.status, StatusCode::BAD_REQUEST);
    assert_healthy_head(&connection.exchange(&kamal_probe_bytes("HEAD", "/up")).await);
}

/// On the wire, targets such as `//up` and `/up/../admin` reach the app
/// exactly as sent; other methods on `/up` get the health route's `405`.
#[tokio::test]
async fn near_misses_and_other_methods_on_the_wire_are_unchanged() {
    let (with, without) = (quickstart().await, quickstart_without_healthcheck().await);
    let near_misses = NOT_PROBES.into_iter().flat_map(|path| {
        [
            kamal_probe_bytes("GET", path),
            kamal_probe_bytes("HEAD", path),
        ]
    });
    for request in near_misses {
        let (got, expected) = (
            with.exchange(&request).await,
            without.exchange(&request).await,
        );
        let what = String::from_utf8_lossy(&request);
        assert!(!got.status.is_success(), "{what}: {got:?}");
        assert_eq!(timeless(got), timeless(expected), "{what}");
    }
    for method in NON_PROBE_METHODS {
        let request = kamal_probe_bytes(method.as_str(), "/up");
        assert_method_not_allowed(&with.exchange(&request).await);
    }
}

#[tokio::test]
async fn real_http_client_probe_gets_200_ok() {
    let server = quickstart().await;
    assert_healthy(&client_send(server.addr(), Method::GET, "/up").await);
    assert_healthy_head(&client_send(server.addr(), Method::HEAD, "/up").await);
    let root = client_send(server.addr(), Method::GET, "/").await;
    assert_eq!(root.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn real_http_client_probe_fails_without_the_macro() {
    let server = quickstart_without_healthcheck().await;
    let reply = client_send(server.addr(), Method::GET, "/up").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn local_curl_style_requests_are_served() {
    let server = quickstart().await;
    let host = format!("127.0.0.1:{}", server.addr().port());
    let request =
        format!("GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n");
    let reply = server.exchange(request.as_bytes()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text(), "Hello from the axum-kamal quickstart!\n");
}
