//! An adversarial corpus against the quickstart app over real TCP
//! (`axum::serve` on 127.0.0.1, port picked by the OS): path tricks,
//! absolute-form and odd request targets, HTTP/1.0, an h2c preface,
//! pipelining, huge and many headers, a byte-at-a-time client.
//!
//! Each case asserts the outcome documented in `SECURITY.md` (observed from
//! hyper 1 / axum 0.8) and that the server is still up afterwards: a normal
//! kamal-proxy probe on a fresh connection gets `200 OK`.
//!
//! The quickstart allows `localhost` and `127.0.0.1` and rejects any other
//! `Host` with `400 host … not allowed`; its routes are `/` and `/whoami`, so
//! an allowed host on any other path gets axum's `404`. The healthcheck answer
//! is recognised by the shared strict check (`Reply::is_healthy`: status,
//! headers, length and body); an app answer by the absence of
//! `cache-control: no-store`, which no route of the app sends.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum_kamal_examples::{Config, app};
use axum_kamal_tests::{
    CONTAINER_HOST, KAMAL_PROBE, Reply, TestServer, assert_healthy, assert_healthy_head,
    kamal_probe_bytes, kamal_probe_bytes_with, parse_response_head,
};
use http::StatusCode;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a case waits for what it expects before giving up.
const CASE_TIMEOUT: Duration = Duration::from_secs(5);

/// What a connection gave back: the responses parsed, in order, and whether
/// the server closed the connection.
#[derive(Debug)]
struct Outcome {
    responses: Vec<Reply>,
    closed: bool,
}

/// What the corpus expects of one case.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// The healthcheck answered a `GET`.
    Health,
    /// The healthcheck answered a `HEAD`.
    HealthHead,
    /// The request reached the app (or hyper) and got this status, not the
    /// healthcheck answer.
    NotHealth(u16),
    /// hyper refused the request itself with this status, then closed the
    /// connection.
    Refused(u16),
    /// Another method at the health path: axum's `405` with
    /// `Allow: GET,HEAD`, from the health route, never a `2xx`.
    MethodNotAllowed,
}

/// Tries to parse one response at the start of `buf`; `Some((response,
/// consumed))` once it is complete. Bodies are delimited by `content-length`
/// (every response in this corpus has one, or none for `HEAD`/errors).
fn parse_one(buf: &[u8], head: bool) -> Option<(Reply, usize)> {
    // Bytes that are no HTTP/1.x head (hyper's HTTP/2 frames) are no response.
    let (status, headers, end) = parse_response_head(buf).ok()??;
    let head_text = String::from_utf8_lossy(&buf[..end]);
    let bodiless = head
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || status.is_informational();
    let length = if bodiless {
        0
    } else {
        headers.get(CONTENT_LENGTH).map_or(0, |v| {
            v.to_str()
                .ok()
                .and_then(|v| v.parse().ok())
                .expect("content-length")
        })
    };
    assert!(
        !headers.contains_key(TRANSFER_ENCODING),
        "the corpus expects content-length bodies: {head_text}"
    );
    if buf.len() < end + length {
        return None;
    }
    let body = Bytes::copy_from_slice(&buf[end..end + length]);
    Some((
        Reply {
            status,
            headers,
            body,
        },
        end + length,
    ))
}

/// Writes `chunks` (waiting `pause` between them) on a fresh connection, then
/// reads until `heads.len()` responses are parsed (`heads[i]`: whether the
/// i-th answers a `HEAD`), the server closes, or [`CASE_TIMEOUT`] passes;
/// then waits up to `linger` for the server to close the connection.
async fn converse(
    addr: SocketAddr,
    chunks: &[&[u8]],
    pause: Duration,
    heads: &[bool],
    linger: Duration,
) -> Outcome {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 && !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        // The server may answer and close before reading everything (e.g. 414,
        // 431): a failed write is part of the outcome, not a test failure.
        if stream.write_all(chunk).await.is_err() {
            break;
        }
    }
    let deadline = Instant::now() + CASE_TIMEOUT;
    let (mut buf, mut responses, mut closed) = (Vec::new(), Vec::new(), false);
    let mut chunk = vec![0; 64 * 1024];
    while responses.len() < heads.len() {
        while let Some((resp, used)) = parse_one(&buf, heads[responses.len()]) {
            responses.push(resp);
            buf.drain(..used);
            if responses.len() == heads.len() {
                break;
            }
        }
        if responses.len() == heads.len() {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => break,
        }
    }
    if !closed && responses.len() == heads.len() && !linger.is_zero() {
        // Does the server close after the last expected response?
        closed = matches!(
            tokio::time::timeout(linger, stream.read(&mut chunk)).await,
            Ok(Ok(0) | Err(_))
        );
    }
    Outcome { responses, closed }
}

/// A single request written at once, then up to `linger` to see the server
/// close the connection.
async fn send(addr: SocketAddr, request: &[u8], linger: Duration) -> Outcome {
    let head = request.starts_with(b"HEAD ");
    converse(addr, &[request], Duration::ZERO, &[head], linger).await
}

#[track_caller]
fn assert_outcome(case: &str, outcome: &Outcome, expect: Expect) {
    if let Err(problem) = check_outcome(case, outcome, expect) {
        panic!("{problem}");
    }
}

fn check_outcome(case: &str, outcome: &Outcome, expect: Expect) -> Result<(), String> {
    let fail = |what: &str| Err(format!("{case}: expected {what}, got {outcome:?}"));
    let first = outcome.responses.first();
    match expect {
        Expect::Health if first.is_some_and(|r| r.is_healthy(false)) => Ok(()),
        Expect::Health => fail("the healthcheck answer"),
        Expect::HealthHead if first.is_some_and(|r| r.is_healthy(true)) => Ok(()),
        Expect::HealthHead => fail("the healthcheck answer to HEAD"),
        Expect::NotHealth(status)
            if first.is_some_and(|r| r.status == status && !r.is_from_healthcheck()) =>
        {
            Ok(())
        }
        Expect::NotHealth(status) => fail(&format!("{status} from the app")),
        Expect::Refused(status)
            if outcome.closed && first.is_some_and(|r| r.status == status && r.body.is_empty()) =>
        {
            Ok(())
        }
        Expect::Refused(status) => fail(&format!("{status} from hyper and close")),
        Expect::MethodNotAllowed
            if first.is_some_and(|r| r.status == 405 && r.header("allow") == Some("GET,HEAD")) =>
        {
            Ok(())
        }
        Expect::MethodNotAllowed => fail("405 with `Allow: GET,HEAD`"),
    }
}

/// A normal kamal-proxy probe on a fresh connection still gets `200 OK`.
async fn assert_still_up(addr: SocketAddr, after: &str) {
    let outcome = send(addr, KAMAL_PROBE, Duration::ZERO).await;
    assert!(
        outcome
            .responses
            .first()
            .is_some_and(|r| r.is_healthy(false)),
        "server not answering probes after {after}: {outcome:?}"
    );
}

async fn quickstart() -> TestServer {
    TestServer::start(app(&Config::default())).await
}

/// `{method} {target} HTTP/1.1` with an allowed `Host`.
fn allowed(method: &str, target: &str) -> Vec<u8> {
    format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

/// Runs `cases` one connection each against one server, asserting each
/// outcome and that the server still answers probes after it.
async fn run_corpus(cases: Vec<(String, Vec<u8>, Expect)>) {
    let server = quickstart().await;
    let mut problems = Vec::new();
    for (name, bytes, expect) in cases {
        // hyper closes at once after a refusal; keep-alive otherwise.
        let linger = match expect {
            Expect::Refused(_) => Duration::from_secs(1),
            _ => Duration::ZERO,
        };
        let outcome = send(server.addr(), &bytes, linger).await;
        if let Err(problem) = check_outcome(&name, &outcome, expect) {
            problems.push(problem);
        }
        assert_still_up(server.addr(), &name).await;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Near misses of `/up` are ordinary requests: with the container `Host`
/// they get the app's `400` from host validation; with an allowed `Host`
/// axum's `404`. Nothing is normalised: not case, slashes, dot segments nor
/// percent-encodings.
#[tokio::test]
async fn path_variants_are_ordinary_requests() {
    let near_misses = [
        "/UP",
        "/Up",
        "/uP",
        "/up/",
        "/up//",
        "//up",
        "///up",
        "/./up",
        "/up/.",
        "/up/..",
        "/x/../up",
        "/up/../up",
        "/%75p",
        "/u%70",
        "/%75%70",
        "/%2Fup",
        "/up%2F",
        "/up%00",
        "/up%20",
        "/up;x",
        "/up.json",
        "/upx",
        "/up/extra",
    ];
    let mut cases = Vec::new();
    for path in near_misses {
        for method in ["GET", "HEAD"] {
            cases.push((
                format!("{method} {path} (container host)"),
                kamal_probe_bytes(method, path),
                Expect::NotHealth(400),
            ));
            cases.push((
                format!("{method} {path} (allowed host)"),
                allowed(method, path),
                Expect::NotHealth(404),
            ));
        }
    }
    // Queries never matter, and `http` drops a fragment (which clients never
    // send): these are probes.
    for target in [
        "/up?",
        "/up?x=1",
        "/up?%00",
        "/up?/../admin",
        "/up??",
        "/up#x",
        "/up#/../admin",
    ] {
        cases.push((
            format!("GET {target}"),
            kamal_probe_bytes("GET", target),
            Expect::Health,
        ));
        cases.push((
            format!("HEAD {target}"),
            kamal_probe_bytes("HEAD", target),
            Expect::HealthHead,
        ));
    }
    run_corpus(cases).await;
}

/// Only `GET` and `HEAD` are probes; every other method at the health path
/// gets axum's `405` with `Allow: GET,HEAD`, whatever the `Host`. The method
/// is case-sensitive, so `get` is an extension method, not a probe.
#[tokio::test]
async fn other_methods_on_the_health_path_are_not_allowed() {
    let mut cases = Vec::new();
    for method in [
        "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "get", "Head", "BREW",
    ] {
        cases.push((
            format!("{method} /up (container host)"),
            kamal_probe_bytes(method, "/up"),
            Expect::MethodNotAllowed,
        ));
        cases.push((
            format!("{method} /up (allowed host)"),
            allowed(method, "/up"),
            Expect::MethodNotAllowed,
        ));
    }
    run_corpus(cases).await;
}

/// Absolute-form targets are matched on their path alone: the authority in
/// the target (any host, any scheme) neither grants nor prevents the answer.
#[tokio::test]
async fn absolute_form_targets_match_on_path_only() {
    let cases = vec![
        (
            "absolute-form, container authority".to_owned(),
            format!("GET http://{CONTAINER_HOST}/up HTTP/1.1\r\nHost: {CONTAINER_HOST}\r\n\r\n")
                .into_bytes(),
            Expect::Health,
        ),
        (
            "absolute-form, foreign authority and Host".to_owned(),
            b"GET http://evil.example/up HTTP/1.1\r\nHost: evil.example\r\n\r\n".to_vec(),
            Expect::Health,
        ),
        (
            "absolute-form https scheme".to_owned(),
            b"GET https://evil.example:443/up?x HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
            Expect::Health,
        ),
        (
            "absolute-form HEAD".to_owned(),
            format!("HEAD http://{CONTAINER_HOST}/up HTTP/1.1\r\nHost: {CONTAINER_HOST}\r\n\r\n")
                .into_bytes(),
            Expect::HealthHead,
        ),
        (
            "absolute-form near miss".to_owned(),
            format!("GET http://{CONTAINER_HOST}/UP HTTP/1.1\r\nHost: {CONTAINER_HOST}\r\n\r\n")
                .into_bytes(),
            Expect::NotHealth(400),
        ),
        (
            "absolute-form to an app route, allowed authority".to_owned(),
            b"GET http://localhost/ HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
            Expect::NotHealth(200),
        ),
        (
            "absolute-form without a path".to_owned(),
            format!("GET http://{CONTAINER_HOST} HTTP/1.1\r\nHost: {CONTAINER_HOST}\r\n\r\n")
                .into_bytes(),
            Expect::NotHealth(400),
        ),
    ];
    run_corpus(cases).await;
}

/// `OPTIONS *` and `CONNECT` reach the app like any other request, but at
/// the health path, where `CONNECT` is one more method that is not allowed.
#[tokio::test]
async fn asterisk_and_connect_targets_are_ordinary_requests() {
    let cases = vec![
        (
            "OPTIONS * (container host)".to_owned(),
            kamal_probe_bytes("OPTIONS", "*"),
            Expect::NotHealth(400),
        ),
        (
            "OPTIONS * (allowed host)".to_owned(),
            allowed("OPTIONS", "*"),
            Expect::NotHealth(404),
        ),
        (
            "GET * (allowed host)".to_owned(),
            allowed("GET", "*"),
            Expect::NotHealth(404),
        ),
        (
            "CONNECT authority-form (container host)".to_owned(),
            kamal_probe_bytes("CONNECT", CONTAINER_HOST),
            Expect::NotHealth(400),
        ),
        (
            "CONNECT authority-form (allowed host)".to_owned(),
            allowed("CONNECT", "localhost:443"),
            // tower_allowed_hosts: the target's authority differs from `Host`.
            Expect::NotHealth(400),
        ),
        (
            "CONNECT /up (container host)".to_owned(),
            kamal_probe_bytes("CONNECT", "/up"),
            Expect::MethodNotAllowed,
        ),
        (
            "CONNECT /up (allowed host)".to_owned(),
            allowed("CONNECT", "/up"),
            Expect::MethodNotAllowed,
        ),
    ];
    run_corpus(cases).await;
}

/// HTTP/1.0 needs no `Host`: the probe is answered, everything else meets
/// host validation (a missing `Host` is a `400`).
#[tokio::test]
async fn http10_without_host() {
    let cases = vec![
        (
            "HTTP/1.0 GET /up".to_owned(),
            b"GET /up HTTP/1.0\r\n\r\n".to_vec(),
            Expect::Health,
        ),
        (
            "HTTP/1.0 HEAD /up".to_owned(),
            b"HEAD /up HTTP/1.0\r\n\r\n".to_vec(),
            Expect::HealthHead,
        ),
        (
            "HTTP/1.0 GET /".to_owned(),
            b"GET / HTTP/1.0\r\n\r\n".to_vec(),
            Expect::NotHealth(400),
        ),
        (
            "HTTP/1.1 GET /up without Host".to_owned(),
            b"GET /up HTTP/1.1\r\n\r\n".to_vec(),
            Expect::Health,
        ),
        (
            "HTTP/1.1 GET / without Host".to_owned(),
            b"GET / HTTP/1.1\r\n\r\n".to_vec(),
            Expect::NotHealth(400),
        ),
    ];
    run_corpus(cases).await;
}

/// The HTTP/1.0 probe is answered and the connection closed (no keep-alive).
#[tokio::test]
async fn http10_probe_closes_the_connection() {
    let server = quickstart().await;
    let outcome = send(
        server.addr(),
        b"GET /up HTTP/1.0\r\n\r\n",
        Duration::from_secs(1),
    )
    .await;
    assert_outcome("HTTP/1.0 probe", &outcome, Expect::Health);
    assert!(outcome.closed, "HTTP/1.0 without keep-alive: {outcome:?}");
}

/// One HTTP/2 frame: type, flags, stream id, payload.
type Frame = (u8, u8, u32, Vec<u8>);

fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len())
        .expect("small frame")
        .to_be_bytes();
    let mut frame = vec![len[1], len[2], len[3], kind, flags];
    frame.extend_from_slice(&stream.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

/// HPACK: a literal header field without indexing, name from the static
/// table, value not Huffman-coded.
fn hpack_literal(name_index: u8, value: &str) -> Vec<u8> {
    assert!(name_index < 16 && value.len() < 127);
    let mut out = vec![name_index, u8::try_from(value.len()).unwrap()];
    out.extend_from_slice(value.as_bytes());
    out
}

/// An h2c prior-knowledge exchange by hand: the client preface and an empty
/// SETTINGS, then `method path` on stream 1 with `authority`. Returns the
/// frames the server sent on stream 1 until it ended the stream (or closed,
/// or [`CASE_TIMEOUT`]).
async fn h2c_exchange(addr: SocketAddr, method: &str, path: &str, authority: &str) -> Vec<Frame> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    out.extend(h2_frame(0x4, 0, 0, &[]));
    // HEADERS, END_STREAM | END_HEADERS: :method (static 2 = GET, 3 = POST,
    // otherwise a literal), :scheme http (6), :path (literal, name 4),
    // :authority (literal, name 1).
    let mut block = match method {
        "GET" => vec![0x82],
        "POST" => vec![0x83],
        other => hpack_literal(2, other),
    };
    block.push(0x86);
    block.extend(hpack_literal(4, path));
    block.extend(hpack_literal(1, authority));
    out.extend(h2_frame(0x1, 0x1 | 0x4, 1, &block));
    stream.write_all(&out).await.expect("write");

    let deadline = Instant::now() + CASE_TIMEOUT;
    let mut frames = Vec::new();
    loop {
        let mut head = [0u8; 9];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read_exact(&mut head)).await {
            Ok(Ok(_)) => {}
            _ => return frames,
        }
        let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
        let (kind, flags) = (head[3], head[4]);
        let id = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        let mut payload = vec![0; len];
        stream
            .read_exact(&mut payload)
            .await
            .expect("frame payload");
        if kind == 0x4 && flags & 0x1 == 0 {
            // Acknowledge the server's SETTINGS.
            let _ = stream.write_all(&h2_frame(0x4, 0x1, 0, &[])).await;
        }
        if id == 1 {
            let end = flags & 0x1 != 0 && (kind == 0x0 || kind == 0x1);
            frames.push((kind, flags, id, payload));
            if end || kind == 0x3 {
                return frames;
            }
        }
    }
}

/// The `:status` of the response on stream 1, when hyper encodes it from the
/// HPACK static table (200 = 0x88, 400 = 0x8c, 404 = 0x8d).
fn h2_status(frames: &[Frame]) -> Option<u16> {
    let (_, _, _, block) = frames.iter().find(|f| f.0 == 0x1)?;
    match block.as_slice() {
        // Indexed fields of HPACK's static table (RFC 7541, Appendix A).
        [0x88, ..] => Some(200),
        [0x8c, ..] => Some(400),
        [0x8d, ..] => Some(404),
        // `:status` (name index 8) with a literal value, indexed: Huffman "405" (Appendix B).
        [0x48, 0x83, 0x68, 0x0d, 0xff, ..] => Some(405),
        _ => None,
    }
}

fn h2_body(frames: &[Frame]) -> Vec<u8> {
    frames
        .iter()
        .filter(|f| f.0 == 0x0)
        .flat_map(|f| f.3.clone())
        .collect()
}

/// `axum::serve` also speaks HTTP/2 with prior knowledge (h2c), through
/// hyper-util's auto builder. The same rule holds there: `GET`/`HEAD` on
/// exactly `/up` is answered, near misses reach the app, other methods at
/// `/up` get `405`.
#[tokio::test]
async fn h2c_prior_knowledge_follows_the_same_rule() {
    let server = quickstart().await;
    let addr = server.addr();

    let probe = h2c_exchange(addr, "GET", "/up", CONTAINER_HOST).await;
    assert_eq!(h2_status(&probe), Some(200), "{probe:?}");
    assert_eq!(h2_body(&probe), b"OK");

    let head = h2c_exchange(addr, "HEAD", "/up?x", CONTAINER_HOST).await;
    assert_eq!(h2_status(&head), Some(200), "{head:?}");
    assert!(h2_body(&head).is_empty());

    for path in ["/UP", "/up/", "//up", "/%75p"] {
        let miss = h2c_exchange(addr, "GET", path, CONTAINER_HOST).await;
        assert_eq!(h2_status(&miss), Some(400), "{path}: {miss:?}");
        assert_ne!(h2_body(&miss), b"OK");
    }
    let post = h2c_exchange(addr, "POST", "/up", "localhost").await;
    assert_eq!(h2_status(&post), Some(405), "{post:?}");
    assert_still_up(addr, "h2c exchanges").await;
}

/// An h2c preface followed by garbage instead of frames is dropped by hyper
/// without a response; the server stays up.
#[tokio::test]
async fn h2c_preface_then_garbage_is_dropped() {
    let server = quickstart().await;
    let mut bytes = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    bytes.extend_from_slice(b"GET /up HTTP/1.1\r\nHost: x\r\n\r\n");
    let outcome = converse(
        server.addr(),
        &[&bytes],
        Duration::ZERO,
        &[false],
        Duration::ZERO,
    )
    .await;
    assert!(
        outcome.responses.is_empty() && outcome.closed,
        "{outcome:?}"
    );
    assert_still_up(server.addr(), "h2c garbage").await;
}

/// A probe, an app request and a probe in one write: three answers, in order,
/// each by the right party.
#[tokio::test]
async fn pipelined_probe_app_probe() {
    let server = quickstart().await;
    let mut bytes = KAMAL_PROBE.to_vec();
    bytes.extend_from_slice(&allowed("GET", "/"));
    bytes.extend_from_slice(&kamal_probe_bytes("HEAD", "/up"));
    bytes.extend_from_slice(&kamal_probe_bytes("GET", "/"));
    bytes.extend_from_slice(KAMAL_PROBE);
    let outcome = converse(
        server.addr(),
        &[&bytes],
        Duration::ZERO,
        &[false, false, true, false, false],
        Duration::from_millis(300),
    )
    .await;
    let r = &outcome.responses;
    assert_eq!(r.len(), 5, "{outcome:?}");
    assert_healthy(&r[0]);
    assert_eq!(
        (r[1].status, r[1].text().as_str()),
        (StatusCode::OK, "Hello from the axum-kamal quickstart!\n")
    );
    assert_healthy_head(&r[2]);
    assert_eq!(r[3].status, 400, "{:?}", r[3]);
    assert_healthy(&r[4]);
    assert!(!outcome.closed, "keep-alive after pipelining");
    assert_still_up(server.addr(), "pipelining").await;
}

/// Many pipelined probes on one connection, one write.
#[tokio::test]
async fn hundred_pipelined_probes() {
    let server = quickstart().await;
    let bytes = KAMAL_PROBE.repeat(100);
    let outcome = converse(
        server.addr(),
        &[&bytes],
        Duration::ZERO,
        &[false; 100],
        Duration::ZERO,
    )
    .await;
    assert_eq!(outcome.responses.len(), 100, "{outcome:?}");
    assert!(outcome.responses.iter().all(|r| r.is_healthy(false)));
}

/// Request targets up to hyper's limit (65 534 bytes) are served; longer ones
/// get `414 URI Too Long` from hyper. The query never matters.
#[tokio::test]
async fn overlong_targets() {
    let long = |n: usize| "a".repeat(n);
    let cases = vec![
        (
            "probe with a 60 KiB query".to_owned(),
            kamal_probe_bytes("GET", &format!("/up?{}", long(60 * 1024))),
            Expect::Health,
        ),
        (
            "60 KiB path (allowed host)".to_owned(),
            allowed("GET", &format!("/{}", long(60 * 1024))),
            Expect::NotHealth(404),
        ),
        (
            "/up + 60 KiB of slashes".to_owned(),
            kamal_probe_bytes("GET", &format!("/up{}", "/".repeat(60 * 1024))),
            Expect::NotHealth(400),
        ),
        (
            "64 KiB path".to_owned(),
            kamal_probe_bytes("GET", &format!("/{}", long(64 * 1024))),
            Expect::Refused(414),
        ),
        (
            "probe with a 64 KiB query".to_owned(),
            kamal_probe_bytes("GET", &format!("/up?{}", long(64 * 1024))),
            Expect::Refused(414),
        ),
        (
            // Past hyper's head buffer (~400 KiB) before the URI is checked.
            "1 MiB path".to_owned(),
            kamal_probe_bytes("GET", &format!("/{}", long(1024 * 1024))),
            Expect::Refused(431),
        ),
    ];
    run_corpus(cases).await;
}

/// `n` extra headers of `size` bytes each after kamal-proxy's three.
fn probe_with_headers(n: usize, size: usize) -> Vec<u8> {
    let names: Vec<String> = (0..n).map(|i| format!("x-h{i}")).collect();
    let value = "v".repeat(size);
    let extra: Vec<(&str, &str)> = names
        .iter()
        .map(|name| (name.as_str(), value.as_str()))
        .collect();
    kamal_probe_bytes_with("GET", "/up", &extra)
}

/// Huge and many headers: within hyper's limits (100 headers, ~400 KiB of
/// head) the probe is answered; past them hyper answers `431` and closes.
#[tokio::test]
async fn huge_and_many_headers() {
    let cases = vec![
        (
            "one 64 KiB header".to_owned(),
            probe_with_headers(1, 64 * 1024),
            Expect::Health,
        ),
        (
            "one 300 KiB header".to_owned(),
            probe_with_headers(1, 300 * 1024),
            Expect::Health,
        ),
        (
            "97 headers (100 in all)".to_owned(),
            probe_with_headers(97, 8),
            Expect::Health,
        ),
        (
            "98 headers (101 in all)".to_owned(),
            probe_with_headers(98, 8),
            Expect::Refused(431),
        ),
        (
            "1000 headers".to_owned(),
            probe_with_headers(1000, 8),
            Expect::Refused(431),
        ),
        (
            "one 1 MiB header".to_owned(),
            probe_with_headers(1, 1024 * 1024),
            Expect::Refused(431),
        ),
    ];
    run_corpus(cases).await;
}

/// Malformed requests are refused by hyper before any service runs.
#[tokio::test]
async fn malformed_requests_are_refused_by_hyper() {
    let cases = vec![
        (
            "lowercase version".to_owned(),
            b"GET /up http/1.1\r\nHost: x\r\n\r\n".to_vec(),
            Expect::Refused(400),
        ),
        (
            "HTTP/2.0 request line".to_owned(),
            b"GET /up HTTP/2.0\r\nHost: x\r\n\r\n".to_vec(),
            Expect::Refused(400),
        ),
        (
            "space in target".to_owned(),
            b"GET /u p HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            Expect::Refused(400),
        ),
        (
            "NUL in target".to_owned(),
            b"GET /up\0 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            Expect::Refused(400),
        ),
        (
            "header without colon".to_owned(),
            b"GET /up HTTP/1.1\r\nHost x\r\n\r\n".to_vec(),
            Expect::Refused(400),
        ),
        (
            "conflicting content-length".to_owned(),
            b"GET /up HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx"
                .to_vec(),
            Expect::Refused(400),
        ),
        (
            "binary garbage".to_owned(),
            vec![
                0x16, 0x03, 0x01, 0x00, 0xff, 0x01, 0x00, 0x00, 0xfb, 0x03, 0x03, b'\r', b'\n',
            ],
            Expect::Refused(400),
        ),
    ];
    run_corpus(cases).await;
}

/// A probe with a request body is still a probe; the body is not read by the
/// healthcheck, and the connection stays usable when hyper can skip it.
#[tokio::test]
async fn probe_with_a_body() {
    let server = quickstart().await;
    let mut bytes = b"GET /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello".to_vec();
    bytes.extend_from_slice(KAMAL_PROBE);
    let outcome = converse(
        server.addr(),
        &[&bytes],
        Duration::ZERO,
        &[false, false],
        Duration::ZERO,
    )
    .await;
    assert_eq!(outcome.responses.len(), 2, "{outcome:?}");
    assert!(outcome.responses.iter().all(|r| r.is_healthy(false)));
}

/// A client writing the probe one byte at a time still gets its answer.
#[tokio::test]
async fn byte_at_a_time_probe() {
    let server = quickstart().await;
    let bytes: Vec<&[u8]> = KAMAL_PROBE.chunks(1).collect();
    let started = Instant::now();
    let outcome = converse(
        server.addr(),
        &bytes,
        Duration::from_millis(5),
        &[false],
        Duration::ZERO,
    )
    .await;
    assert_outcome("byte-at-a-time probe", &outcome, Expect::Health);
    assert!(started.elapsed() < CASE_TIMEOUT);
    assert_still_up(server.addr(), "byte-at-a-time probe").await;
}

/// Slow, incomplete clients occupy only their own connection: while many of
/// them hold half-written requests, probes on other connections are answered.
#[tokio::test]
async fn stalled_clients_do_not_block_probes() {
    let server = quickstart().await;
    let mut stalled = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
        stream
            .write_all(b"GET /up HTTP/1.1\r\nHost: 7c71")
            .await
            .expect("write");
        stalled.push(stream);
    }
    for _ in 0..20 {
        assert_still_up(server.addr(), "200 stalled clients").await;
    }
    drop(stalled);
    assert_still_up(server.addr(), "stalled clients gone").await;
}
