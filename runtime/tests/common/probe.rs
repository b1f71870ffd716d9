//! The one test vocabulary of the project: kamal-proxy's probe (in process
//! and as raw bytes) and the assertions on the healthcheck's answers.
//!
//! Shared by the runtime's integration tests (`mod common`) and the
//! integration tests crate (`tests/src/lib.rs` includes this file with
//! `#[path]` and re-exports it), so both hold the same, strictest checks.
//!
//! The probe is kamal-proxy's, as it goes on the wire (kamal-proxy
//! `internal/server/health_check.go`: `GET` with `User-Agent: kamal-proxy`;
//! Go's transport adds `Accept-Encoding: gzip`; `Host` is the container id
//! and the app port).

#![allow(dead_code)] // each test binary uses part of it

use std::fmt::Debug;

use axum::body::{Bytes, HttpBody};
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, DATE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::BodyExt;

/// The `Host` kamal-proxy sends: the container id and the app port.
pub const CONTAINER_HOST: &str = "7c7168a662c1:3000";

/// kamal-proxy's healthcheck request, exactly as it goes on the wire.
pub const KAMAL_PROBE: &[u8] = b"GET /up HTTP/1.1\r\nHost: 7c7168a662c1:3000\r\nUser-Agent: kamal-proxy\r\nAccept-Encoding: gzip\r\n\r\n";

/// kamal-proxy's probe headers, in the order it sends them.
const KAMAL_HEADERS: [(&str, &str); 3] = [
    ("Host", CONTAINER_HOST),
    ("User-Agent", "kamal-proxy"),
    ("Accept-Encoding", "gzip"),
];

/// kamal-proxy's probe headers on `method` and `target`, as raw bytes:
/// `kamal_probe_bytes("GET", "/up")` is [`KAMAL_PROBE`].
#[must_use]
pub fn kamal_probe_bytes(method: &str, target: &str) -> Vec<u8> {
    kamal_probe_bytes_with(method, target, &[])
}

/// [`kamal_probe_bytes`] with `extra` header lines after kamal-proxy's.
#[must_use]
pub fn kamal_probe_bytes_with(method: &str, target: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut request = format!("{method} {target} HTTP/1.1\r\n");
    for (name, value) in KAMAL_HEADERS.iter().chain(extra) {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

/// kamal-proxy's probe headers on `method` and `target`, in process, with an
/// empty body of any type: `kamal_probe(Method::GET, "/up")` is the
/// healthcheck.
///
/// # Panics
/// If `target` is not a valid request target.
#[must_use]
pub fn kamal_probe<B: Default>(method: Method, target: &str) -> Request<B> {
    KAMAL_HEADERS
        .iter()
        .fold(Request::builder(), |request, (name, value)| {
            request.header(*name, *value)
        })
        .method(method)
        .uri(target)
        .body(B::default())
        .expect("valid request")
}

/// `request` with header `name: value` added (replacing one of that name).
///
/// # Panics
/// If `name` or `value` is not a valid header.
#[must_use]
pub fn with_header<B>(mut request: Request<B>, name: &str, value: &str) -> Request<B> {
    request.headers_mut().insert(
        HeaderName::from_bytes(name.as_bytes()).expect("header name"),
        HeaderValue::from_str(value).expect("header value"),
    );
    request
}

/// A response head at the start of `bytes`, parsed by `httparse` (hyper's
/// own parser): its status, headers and length (final `\r\n\r\n`
/// included), `Ok(None)` while incomplete, `Err` with the reason when it is
/// not an HTTP/1.x response head.
///
/// # Errors
/// If the head is malformed.
pub fn parse_response_head(bytes: &[u8]) -> Result<Option<(StatusCode, HeaderMap, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let malformed = |reason: &dyn std::fmt::Display| {
        let line = bytes.split(|&b| b == b'\r').next().unwrap_or_default();
        format!("{reason} in {:?}", String::from_utf8_lossy(line))
    };
    let len = match response.parse(bytes).map_err(|e| malformed(&e))? {
        httparse::Status::Complete(len) => len,
        httparse::Status::Partial => return Ok(None),
    };
    let status =
        StatusCode::from_u16(response.code.unwrap_or_default()).map_err(|e| malformed(&e))?;
    let mut map = HeaderMap::new();
    for header in response.headers.iter() {
        map.append(
            HeaderName::from_bytes(header.name.as_bytes()).map_err(|e| malformed(&e))?,
            HeaderValue::from_bytes(header.value).map_err(|e| malformed(&e))?,
        );
    }
    Ok(Some((status, map, len)))
}

/// A response with its body read in full, comparable with `==`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl Reply {
    /// Reads the body of `response` to the end.
    ///
    /// # Panics
    /// If the body fails.
    pub async fn collect<B>(response: http::Response<B>) -> Self
    where
        B: HttpBody,
        B::Error: Debug,
    {
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("read body").to_bytes();
        Self {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// The value of header `name` if present and valid UTF-8.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as UTF-8 text (lossy).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// This reply without header `name`, to assert on the healthcheck's part
    /// of an answer that a layer in front of it marked.
    #[must_use]
    pub fn without_header(&self, name: &str) -> Self {
        let mut reply = self.clone();
        reply.headers.remove(name);
        reply
    }

    /// Why this is not the healthcheck's plain-text answer `status` with
    /// body `text` (none with `head`), or `None` if it is: that status,
    /// `text/plain; charset=utf-8`, `cache-control: no-store`, the length of
    /// `text` (also to `HEAD`) and no other header but the `date` a server
    /// adds on the wire.
    #[must_use]
    pub fn plain_answer_mismatch(
        &self,
        status: StatusCode,
        text: &str,
        head: bool,
    ) -> Option<String> {
        let length = text.len().to_string();
        let expected_headers = [
            (CONTENT_TYPE, "text/plain; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
            (CONTENT_LENGTH, length.as_str()),
        ];
        let body: &[u8] = if head { b"" } else { text.as_bytes() };
        if self.status != status {
            return Some(format!("status {}, not {status}", self.status));
        }
        for (name, value) in &expected_headers {
            if self.headers.get(name).is_none_or(|v| v != value) {
                return Some(format!("{name} not {value:?}"));
            }
        }
        if let Some(other) = self
            .headers
            .keys()
            .find(|name| **name != DATE && expected_headers.iter().all(|(n, _)| n != *name))
        {
            return Some(format!("unexpected header {other}"));
        }
        if self.body != body {
            return Some(format!(
                "body {:?}, not {:?}",
                self.text(),
                String::from_utf8_lossy(body)
            ));
        }
        None
    }

    /// Whether this is the healthcheck's `200 OK` (to a `HEAD` with `head`).
    #[must_use]
    pub fn is_healthy(&self, head: bool) -> bool {
        self.plain_answer_mismatch(StatusCode::OK, "OK", head)
            .is_none()
    }

    /// Whether this is the healthcheck's public `503` (to a `HEAD` with `head`).
    #[must_use]
    pub fn is_unavailable(&self, head: bool) -> bool {
        self.plain_answer_mismatch(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", head)
            .is_none()
    }

    /// Whether this could come from the healthcheck at all: its answers, and
    /// its details, all carry `cache-control: no-store`, which no app route of
    /// these tests sends.
    #[must_use]
    pub fn is_from_healthcheck(&self) -> bool {
        self.header("cache-control") == Some("no-store")
    }
}

#[track_caller]
fn assert_plain_answer(reply: &Reply, status: StatusCode, text: &str, head: bool) {
    if let Some(mismatch) = reply.plain_answer_mismatch(status, text, head) {
        let method = if head { "HEAD" } else { "GET" };
        panic!("not the healthcheck's {status} to {method}: {mismatch}: {reply:?}");
    }
}

/// Asserts `reply` is the healthcheck answer to a `GET`: `200 OK`,
/// `text/plain; charset=utf-8`, `cache-control: no-store`,
/// `content-length: 2`, no other header (but a server's `date`), body `OK`.
///
/// # Panics
/// If it is not.
#[track_caller]
pub fn assert_healthy(reply: &Reply) {
    assert_plain_answer(reply, StatusCode::OK, "OK", false);
}

/// Asserts `reply` is the healthcheck answer to a `HEAD`: the headers of
/// [`assert_healthy`] (`content-length: 2` included) and no body.
///
/// # Panics
/// If it is not.
#[track_caller]
pub fn assert_healthy_head(reply: &Reply) {
    assert_plain_answer(reply, StatusCode::OK, "OK", true);
}

/// Asserts `reply` is the healthcheck's public `503` to a `GET`:
/// `text/plain; charset=utf-8`, `cache-control: no-store`,
/// `content-length: 19`, no other header (but a server's `date`), body
/// `Service Unavailable`.
///
/// # Panics
/// If it is not.
#[track_caller]
pub fn assert_unavailable(reply: &Reply) {
    assert_plain_answer(
        reply,
        StatusCode::SERVICE_UNAVAILABLE,
        "Service Unavailable",
        false,
    );
}

/// Asserts `reply` is the healthcheck's `503` to a `GET` with the plain-text
/// body `body` (a [`Health::public_reason`](axum_kamal::Health::public_reason)):
/// the headers of [`assert_unavailable`] with `body`'s length.
///
/// # Panics
/// If it is not.
#[track_caller]
pub fn assert_unavailable_because(reply: &Reply, body: &str) {
    assert_plain_answer(reply, StatusCode::SERVICE_UNAVAILABLE, body, false);
}

/// Asserts `reply` is the healthcheck's public `503` to a `HEAD`: the
/// headers of [`assert_unavailable`] and no body.
///
/// # Panics
/// If it is not.
#[track_caller]
pub fn assert_unavailable_head(reply: &Reply) {
    assert_plain_answer(
        reply,
        StatusCode::SERVICE_UNAVAILABLE,
        "Service Unavailable",
        true,
    );
}

/// Asserts `reply` is `status` from the app, not from the healthcheck (no
/// `cache-control: no-store`, see [`Reply::is_from_healthcheck`]).
///
/// # Panics
/// If it is not.
#[track_caller]
pub fn assert_not_healthcheck(reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert!(
        !reply.is_from_healthcheck(),
        "answered by the healthcheck: {reply:?}"
    );
}
