//! Shared helpers for the axum-kamal integration tests in `tests/`.
//!
//! - kamal-proxy's probe, byte for byte ([`KAMAL_PROBE`]) and as an in-process
//!   request ([`kamal_probe`]);
//! - exchanges with a router: in-process ([`send`]), over a real TCP
//!   connection with raw bytes ([`TestServer`], [`RawConnection`]) and through
//!   a real HTTP client ([`client_send`]), all collected into a [`Reply`];
//! - assertions on the healthcheck answers ([`assert_healthy`],
//!   [`assert_healthy_head`], [`assert_unavailable`],
//!   [`assert_unavailable_head`], [`assert_not_healthcheck`]) and on "nothing
//!   else changed" ([`assert_unchanged`]);
//! - real third-party layers that reject the probe ([`host_validation`],
//!   [`require_bearer`]) and a request counter ([`Counter`], [`count`]);
//! - a test binary running itself as a child process ([`process`]);
//! - a runtime with every worker CPU-blocked ([`block_every_worker`]).

use std::fmt::Debug;
use std::future::{Ready, ready};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::error_handling::HandleErrorLayer;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{Method, StatusCode};
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tower::layer::util::{Identity, Stack};
use tower::{BoxError, ServiceBuilder, ServiceExt};
use tower_allowed_hosts::AllowedHostLayer;
use tower_http::validate_request::ValidateRequestHeaderLayer;

pub mod process;

// kamal-proxy's probe and the answer assertions, shared with the runtime's
// integration tests.
#[path = "../../runtime/tests/common/probe.rs"]
mod probe;
pub use probe::{
    CONTAINER_HOST, KAMAL_PROBE, Reply, assert_healthy, assert_healthy_head,
    assert_not_healthcheck, assert_unavailable, assert_unavailable_because,
    assert_unavailable_head, kamal_probe, kamal_probe_bytes, kamal_probe_bytes_with,
    parse_response_head, with_header,
};

/// How long kamal-proxy waits for an answer; exchanges here give up after it.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Paths that look like `/up` but are not it: each must be an ordinary request.
pub const NOT_PROBES: [&str; 6] = ["/upx", "/UP", "/up/", "/up/extra", "//up", "/up/../admin"];

/// Methods that are never answered by the healthcheck: at its path they get
/// `405` (see [`assert_method_not_allowed`]).
pub const NON_PROBE_METHODS: [Method; 5] = [
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::OPTIONS,
];

/// An in-process request with only a `Host` header.
///
/// # Panics
/// If `target` is not a valid request target.
#[must_use]
pub fn request(method: Method, target: &str, host: &str) -> Request {
    Request::builder()
        .method(method)
        .uri(target)
        .header(HOST, host)
        .body(Body::empty())
        .expect("valid request")
}

/// Sends `request` to `app` in process, as `axum::serve` would.
pub async fn send(app: &Router, request: Request) -> Reply {
    let Ok(response) = app.clone().oneshot(request).await;
    Reply::collect(response).await
}

/// Asserts that every request built by `requests` gets the same status,
/// headers and body from `with` (the app under `#[kamal_app]`) as from
/// `without` (the same app without it). `requests` is called once per app.
///
/// # Panics
/// On the first difference.
pub async fn assert_unchanged(
    with: &Router,
    without: &Router,
    requests: impl Fn() -> Vec<Request>,
) {
    let (with_requests, without_requests) = (requests(), requests());
    assert!(!with_requests.is_empty(), "no request to compare");
    for (request, twin) in with_requests.into_iter().zip(without_requests) {
        let what = format!(
            "{} {} (Host: {:?})",
            request.method(),
            request.uri(),
            request.headers().get(HOST)
        );
        let (got, expected) = (send(with, request).await, send(without, twin).await);
        assert_eq!(got, expected, "{what} changed under #[kamal_app]");
    }
}

/// Requests that must never be answered by the healthcheck at `/up` and
/// reach the app unchanged: the [`NOT_PROBES`] paths with `GET` and `HEAD`,
/// each with kamal-proxy's headers and once more with `Host: host`.
#[must_use]
pub fn ordinary_requests(host: &str) -> Vec<Request> {
    NOT_PROBES
        .into_iter()
        .flat_map(|path| [(Method::GET, path), (Method::HEAD, path)])
        .flat_map(|(method, target)| {
            [
                kamal_probe(method.clone(), target),
                request(method, target, host),
            ]
        })
        .collect()
}

/// Asserts that `reply` is the health route's answer to another method than
/// `GET` or `HEAD`: axum's `405` with `Allow: GET,HEAD`, never a `2xx`.
///
/// # Panics
/// If it is not.
#[track_caller]
pub fn assert_method_not_allowed(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{reply:?}");
    assert_eq!(reply.header("allow"), Some("GET,HEAD"), "{reply:?}");
}

/// An app served by `axum::serve` on `127.0.0.1`, on a port picked by the OS,
/// until dropped.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Binds `127.0.0.1:0` and serves `app` in a spawned task. The listener
    /// is bound before this returns, so connections can be made at once.
    ///
    /// # Panics
    /// If the port cannot be bound.
    pub async fn start(app: Router) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self { addr, task }
    }

    /// The address the server listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Opens a connection and exchanges the single raw `request` on it.
    ///
    /// # Panics
    /// If the exchange fails or takes longer than [`PROBE_TIMEOUT`].
    pub async fn exchange(&self, request: &[u8]) -> Reply {
        RawConnection::open(self.addr).await.exchange(request).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A raw HTTP/1.1 connection: requests are written byte for byte and the
/// responses parsed by hand (status line, headers, then a body delimited by
/// `content-length`, chunked encoding or the end of the connection).
#[derive(Debug)]
pub struct RawConnection {
    stream: BufReader<TcpStream>,
}

impl RawConnection {
    /// Connects to `addr`.
    ///
    /// # Panics
    /// If the connection is refused.
    pub async fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        Self {
            stream: BufReader::new(stream),
        }
    }

    /// Writes `request` (one complete request) and reads its response; the
    /// connection stays open for the next exchange, as with keep-alive.
    ///
    /// # Panics
    /// If the exchange fails or takes longer than [`PROBE_TIMEOUT`].
    pub async fn exchange(&mut self, request: &[u8]) -> Reply {
        let head_request = request.starts_with(b"HEAD ");
        let exchange = async {
            self.stream.get_mut().write_all(request).await?;
            self.read_reply(head_request).await
        };
        tokio::time::timeout(PROBE_TIMEOUT, exchange)
            .await
            .expect("answer within kamal-proxy's timeout")
            .expect("well-formed HTTP/1.1 response")
    }

    async fn read_reply(&mut self, head_request: bool) -> io::Result<Reply> {
        // The head's lines up to the empty one, parsed by httparse.
        let mut head = Vec::new();
        loop {
            let line = self.read_line().await?;
            head.extend_from_slice(line.as_bytes());
            head.extend_from_slice(b"\r\n");
            if line.is_empty() {
                break;
            }
        }
        let (status, headers, _) = parse_response_head(&head)
            .map_err(invalid)?
            .ok_or_else(|| invalid("incomplete response head"))?;
        let bodiless = head_request
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        let body = if bodiless {
            Vec::new()
        } else if headers
            .get(TRANSFER_ENCODING)
            .is_some_and(|te| te == "chunked")
        {
            self.read_chunked().await?
        } else if let Some(length) = headers.get(CONTENT_LENGTH) {
            let length = length.to_str().map_err(invalid)?.parse().map_err(invalid)?;
            let mut body = vec![0; length];
            self.stream.read_exact(&mut body).await?;
            body
        } else {
            let mut body = Vec::new();
            self.stream.read_to_end(&mut body).await?;
            body
        };
        Ok(Reply {
            status,
            headers,
            body: body.into(),
        })
    }

    /// One CRLF-terminated line, without the CRLF.
    async fn read_line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        line.strip_suffix("\r\n")
            .map(str::to_owned)
            .ok_or_else(|| invalid(format!("unterminated line {line:?}")))
    }

    async fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let size_line = self.read_line().await?;
            let size = size_line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16).map_err(invalid)?;
            if size == 0 {
                // Trailers, if any, end with an empty line.
                while !self.read_line().await?.is_empty() {}
                return Ok(body);
            }
            let start = body.len();
            body.resize(start + size, 0);
            self.stream.read_exact(&mut body[start..]).await?;
            if !self.read_line().await?.is_empty() {
                return Err(invalid("chunk not followed by CRLF"));
            }
        }
    }
}

fn invalid(error: impl ToString) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error.to_string())
}

/// Sends `method target` with kamal-proxy's headers to `addr` through a real
/// HTTP client (hyper-util's legacy client, HTTP/1.1).
///
/// # Panics
/// If the request fails or takes longer than [`PROBE_TIMEOUT`].
pub async fn client_send(addr: SocketAddr, method: Method, target: &str) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    // The client keeps the probe's explicit Host instead of deriving it from
    // the URI.
    let request = kamal_probe(method, &format!("http://{addr}{target}"));
    let response = tokio::time::timeout(PROBE_TIMEOUT, client.request(request))
        .await
        .expect("answer within kamal-proxy's timeout")
        .expect("HTTP exchange");
    Reply::collect(response).await
}

/// Host validation as real apps do it: [`tower_allowed_hosts`] allowing only
/// `host` (exact `Host` value), its errors mapped to `400 Bad Request`.
pub type HostValidation = ServiceBuilder<
    Stack<
        AllowedHostLayer<&'static str, ()>,
        Stack<HandleErrorLayer<fn(BoxError) -> Ready<Response>, ()>, Identity>,
    >,
>;

/// See [`HostValidation`]. kamal-proxy's `Host: 7c7168a662c1:3000` gets a 400.
#[must_use]
pub fn host_validation(host: &'static str) -> HostValidation {
    ServiceBuilder::new()
        .layer(HandleErrorLayer::new(
            reject_host as fn(BoxError) -> Ready<Response>,
        ))
        .layer(AllowedHostLayer::new(host))
}

fn reject_host(error: BoxError) -> Ready<Response> {
    ready((StatusCode::BAD_REQUEST, error.to_string()).into_response())
}

/// tower-http's `ValidateRequestHeaderLayer::bearer(token)`: requests without
/// `Authorization: Bearer {token}` get `401 Unauthorized`.
///
/// tower-http deprecated it as "too basic" but it is what many apps use, so
/// the deprecation is silenced here, in one place.
#[must_use]
#[allow(deprecated)]
pub fn require_bearer(
    token: &str,
) -> ValidateRequestHeaderLayer<tower_http::auth::require_authorization::Bearer<Body>> {
    ValidateRequestHeaderLayer::bearer(token)
}

/// Counts the requests that reach a [`count`] middleware.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    /// How many requests have been counted.
    #[must_use]
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// `axum::middleware::from_fn_with_state` middleware that counts every request
/// it sees in its [`Counter`], then passes it on:
/// `.layer(from_fn_with_state(counter.clone(), count))`.
pub async fn count(State(counter): State<Counter>, request: Request, next: Next) -> Response {
    counter.0.fetch_add(1, Ordering::SeqCst);
    next.run(request).await
}

/// Defines the same router constructor twice, in module `$with` under
/// `#[axum_kamal::kamal_app]` (with the given arguments, if any) and in module
/// `$without` as written, so tests can compare the two. A leading visibility
/// (`pub kamal / plain`) applies to both modules.
///
/// ```ignore
/// kamal_twins!(kamal / plain, (path = "/healthz") {
///     pub fn app() -> Router { /* … */ }
/// });
/// ```
#[macro_export]
macro_rules! kamal_twins {
    ($vis:vis $with:ident / $without:ident $(, ($($args:tt)*))? { $($item:tt)* }) => {
        $vis mod $with {
            #[allow(unused_imports)]
            use super::*;
            #[::axum_kamal::kamal_app $(($($args)*))?]
            $($item)*
        }
        $vis mod $without {
            #[allow(unused_imports)]
            use super::*;
            $($item)*
        }
    };
}

/// Blocks every one of the `workers` worker threads of the runtime behind
/// `handle` with a busy loop for `stall`, and returns once all of them are
/// blocked: each busy task waits at a barrier first, and a worker held at
/// the barrier runs nothing else, so `workers` tasks past it are on
/// `workers` threads. Call it from outside that runtime.
///
/// # Panics
/// If called on one of that runtime's workers (the barrier never opens:
/// it deadlocks instead).
pub fn block_every_worker(handle: &tokio::runtime::Handle, workers: usize, stall: Duration) {
    let barrier = Arc::new(Barrier::new(workers + 1));
    for _ in 0..workers {
        let barrier = barrier.clone();
        handle.spawn(async move {
            barrier.wait();
            let start = Instant::now();
            while start.elapsed() < stall {
                std::hint::spin_loop();
            }
        });
    }
    barrier.wait();
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[test]
    fn probe_bytes_builder_matches_the_wire_format() {
        assert_eq!(kamal_probe_bytes("GET", "/up"), KAMAL_PROBE);
        let probe: Request = kamal_probe(Method::GET, "/up");
        let in_process: Vec<_> = probe.headers().iter().collect();
        assert_eq!(
            format!("{in_process:?}"),
            r#"[("host", "7c7168a662c1:3000"), ("user-agent", "kamal-proxy"), ("accept-encoding", "gzip")]"#
        );
        assert!(
            kamal_probe_bytes_with("GET", "/up", &[("x-a", "1")])
                .ends_with(b"Accept-Encoding: gzip\r\nx-a: 1\r\n\r\n")
        );
    }

    #[test]
    fn ordinary_requests_cover_every_near_miss() {
        let requests = ordinary_requests("example.com");
        assert_eq!(requests.len(), 2 * 2 * NOT_PROBES.len());
        assert!(requests.iter().all(|r| r.uri().path() != "/up"));
    }

    #[tokio::test]
    async fn raw_connection_parses_fixed_and_chunked_bodies() {
        let app = Router::new()
            .route("/fixed", axum::routing::get(|| async { "fixed body" }))
            .route(
                "/chunked",
                // No size hint: hyper falls back to chunked transfer encoding.
                axum::routing::get(|| async {
                    Body::new(http_body_util::Full::new(Bytes::from("chunked")).map_frame(|f| f))
                }),
            );
        let server = TestServer::start(app).await;
        let mut connection = RawConnection::open(server.addr()).await;
        let fixed = connection
            .exchange(b"GET /fixed HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        assert_eq!(
            (fixed.status, fixed.text().as_str()),
            (StatusCode::OK, "fixed body")
        );
        let chunked = connection
            .exchange(b"GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        assert_eq!(chunked.header("transfer-encoding"), Some("chunked"));
        assert_eq!(chunked.text(), "chunked");
        let head = connection
            .exchange(b"HEAD /fixed HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        assert_eq!((head.status, head.body.len()), (StatusCode::OK, 0));
    }
}
