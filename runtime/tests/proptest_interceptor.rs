//! Property tests of the interceptor: `HealthcheckLayer` over a recording
//! inner service, driven by `tower::ServiceExt::oneshot`.
//!
//! For arbitrary methods (standard and extension, lowercase `get` included),
//! paths (random and near misses of the configured path: case, slashes, dot
//! segments, percent-encodings), queries, origin- or absolute-form targets,
//! headers, bodies and extensions:
//!
//! * the healthcheck answers **exactly** when the method is `GET` or `HEAD`
//!   and the path equals a configured path byte for byte (the expectation is
//!   computed from the generated parts, not from `Uri::path`);
//! * an answered probe never reaches the inner service;
//! * every other request reaches it once, unchanged: method, URI, headers,
//!   body and extensions.
//!
//! Default 256 cases per property; run longer with
//! `PROPTEST_CASES=100000 cargo test -p axum-kamal --test proptest_interceptor --release`.

mod common;

use axum_kamal::{Health, HealthcheckLayer, healthcheck};
use bytes::Bytes;
use common::probe::{CONTAINER_HOST, Reply};
use common::{Marker, Seen};
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::Full;
use proptest::prelude::*;

/// One generated request, kept as parts so the expectation does not depend on
/// how `http` parses them.
#[derive(Clone, Debug)]
struct Case {
    method: Method,
    /// Always starts with `/`.
    path: String,
    query: Option<String>,
    /// `Some("host:port")` for an absolute-form target.
    authority: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
    marker: u64,
}

impl Case {
    fn target(&self) -> String {
        let mut target = match &self.authority {
            Some(authority) => format!("http://{authority}{}", self.path),
            None => self.path.clone(),
        };
        if let Some(query) = &self.query {
            target.push('?');
            target.push_str(query);
        }
        target
    }

    fn request(&self) -> Request<Full<Bytes>> {
        let mut req = Request::builder()
            .method(self.method.clone())
            .uri(self.target())
            .body(Full::new(Bytes::from(self.body.clone())))
            .expect("generated requests are valid");
        for (name, value) in &self.headers {
            req.headers_mut().append(name.clone(), value.clone());
        }
        req.extensions_mut().insert(Marker(self.marker));
        req
    }

    /// Whether the healthcheck must answer, from the generated parts alone.
    fn is_probe(&self, paths: &[&str]) -> bool {
        (self.method.as_str() == "GET" || self.method.as_str() == "HEAD")
            && paths.contains(&self.path.as_str())
    }
}

/// [`common::run`] on a fresh current-thread runtime: proptest bodies are sync.
fn run(layer: HealthcheckLayer, req: Request<Full<Bytes>>) -> (Reply, Vec<Seen>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(common::run(layer, req))
}

/// Checks the property for one case against a layer answering `paths`.
fn check(layer: HealthcheckLayer, paths: &[&str], case: &Case) -> Result<(), TestCaseError> {
    let (res, seen) = run(layer, case.request());
    if case.is_probe(paths) {
        prop_assert!(seen.is_empty(), "probe reached the inner service: {seen:?}");
        prop_assert!(
            res.is_healthy(case.method == Method::HEAD),
            "not the healthcheck answer: {res:?}"
        );
    } else {
        prop_assert_eq!(res.status, StatusCode::IM_A_TEAPOT);
        prop_assert!(!res.is_from_healthcheck(), "{res:?}");
        prop_assert_eq!(res.body.as_ref(), b"inner");
        prop_assert_eq!(seen.len(), 1, "reached the inner service once");
        let seen = &seen[0];
        let sent = case.request();
        prop_assert_eq!(&seen.method, sent.method());
        prop_assert_eq!(&seen.uri, sent.uri());
        prop_assert_eq!(seen.uri.to_string(), case.target());
        prop_assert_eq!(&seen.headers, sent.headers());
        prop_assert_eq!(seen.body.as_ref(), case.body.as_slice());
        prop_assert_eq!(&seen.marker, &Some(Marker(case.marker)));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Strategies.

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        6 => Just(Method::GET),
        4 => Just(Method::HEAD),
        1 => Just(Method::POST),
        1 => Just(Method::PUT),
        1 => Just(Method::DELETE),
        1 => Just(Method::PATCH),
        1 => Just(Method::OPTIONS),
        1 => Just(Method::TRACE),
        1 => Just(Method::CONNECT),
        // Extension methods, including look-alikes of GET and HEAD.
        2 => prop_oneof![
            Just("get".to_owned()),
            Just("Get".to_owned()),
            Just("head".to_owned()),
            Just("GETS".to_owned()),
            "[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,11}",
        ]
        .prop_map(|m| Method::from_bytes(m.as_bytes()).expect("token")),
    ]
}

/// Characters `http` accepts in a path: unreserved, sub-delims, `:`, `@`, `%`.
const PCHAR: &str = "[A-Za-z0-9._~!$&'()*+,;=:@%-]";

fn random_path() -> impl Strategy<Value = String> {
    let segment = proptest::string::string_regex(&format!("{PCHAR}{{0,8}}")).expect("regex");
    prop::collection::vec(segment, 1..5).prop_map(|segments| {
        let mut path = String::new();
        for segment in segments {
            path.push('/');
            path.push_str(&segment);
        }
        path
    })
}

/// Percent-encodes the byte at `at` (uppercase or lowercase hex).
fn percent_encode_at(path: &str, at: usize, lower: bool) -> String {
    let byte = path.as_bytes()[at];
    let encoded = if lower {
        format!("%{byte:02x}")
    } else {
        format!("%{byte:02X}")
    };
    format!("{}{encoded}{}", &path[..at], &path[at + 1..])
}

/// A near miss of `path`, or `path` itself: what an attacker would try.
fn near(path: String) -> impl Strategy<Value = String> {
    let len = path.len();
    (0..24usize, 0..len, any::<bool>()).prop_map(move |(kind, at, lower)| {
        let p = path.as_str();
        match kind {
            0..=3 | 16.. => p.to_owned(),
            4 => p.to_ascii_uppercase(),
            5 => format!("{p}/"),
            6 => format!("/{p}"),
            7 => format!("{p}x"),
            8 => format!("{p}/."),
            9 => format!("{p}/../admin"),
            10 => format!("/.{p}"),
            11 => format!("{p}%2F"),
            12 => format!("{p}%00"),
            13 => p.replacen('/', "//", 1),
            14 if at > 0 => percent_encode_at(p, at, lower),
            14 => format!("{p};"),
            15 => p[..at.max(1)].to_owned(),
        }
    })
}

fn path_near(paths: Vec<String>) -> impl Strategy<Value = String> {
    let picked = prop::sample::select(paths).prop_flat_map(near);
    prop_oneof![3 => picked, 1 => random_path()]
}

fn query() -> impl Strategy<Value = Option<String>> {
    prop::option::of("[A-Za-z0-9=&%/?._~:@!$'()*+,;-]{0,16}")
}

fn authority() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.25,
        prop_oneof![
            Just(CONTAINER_HOST.to_owned()),
            Just("example.com".to_owned()),
            Just("127.0.0.1:80".to_owned()),
            "[a-z0-9-]{1,12}(\\.[a-z]{2,5})?(:[0-9]{1,5})?",
        ],
    )
}

fn header() -> impl Strategy<Value = (HeaderName, HeaderValue)> {
    let name = prop_oneof![
        prop::sample::select(vec![
            "host",
            "user-agent",
            "accept-encoding",
            "x-forwarded-proto",
            "x-forwarded-for",
            "authorization",
            "cookie",
            "x-health-secret",
            "connection",
            "content-length-x",
        ])
        .prop_map(str::to_owned),
        "[a-z][a-z0-9!#$%&'*+.^_`|~-]{0,15}",
    ]
    .prop_map(|n| HeaderName::from_bytes(n.as_bytes()).expect("token"));
    let value = "[\\t -~]{0,24}".prop_map(|v| HeaderValue::from_str(&v).expect("visible ASCII"));
    (name, value)
}

fn case(paths: Vec<String>) -> impl Strategy<Value = Case> {
    (
        method(),
        path_near(paths),
        query(),
        authority(),
        prop::collection::vec(header(), 0..8),
        prop::collection::vec(any::<u8>(), 0..32),
        any::<u64>(),
    )
        .prop_map(
            |(method, path, query, authority, headers, body, marker)| Case {
                method,
                path,
                query,
                authority,
                headers,
                body,
                marker,
            },
        )
}

/// A valid custom path: one to three segments without dot segments.
fn custom_path() -> impl Strategy<Value = String> {
    prop::collection::vec("[A-Za-z0-9_~:@-][A-Za-z0-9._~:@-]{0,7}", 1..4)
        .prop_map(|segments| format!("/{}", segments.join("/")))
}

// ---------------------------------------------------------------------------
// Properties.

proptest! {
    #[test]
    fn default_path_is_answered_exactly_when_get_or_head_on_up(
        case in case(vec!["/up".to_owned()]),
    ) {
        check(healthcheck(), &["/up"], &case)?;
    }

    #[test]
    fn an_empty_health_answers_exactly_like_the_plain_layer(
        case in case(vec!["/up".to_owned()]),
    ) {
        check(healthcheck().health(Health::new()), &["/up"], &case)?;
    }

    #[test]
    fn custom_path_is_answered_exactly(
        (path, case) in custom_path().prop_flat_map(|p| (Just(p.clone()), case(vec![p, "/up".to_owned()]))),
    ) {
        // `/up` is an ordinary request once another path is configured.
        check(HealthcheckLayer::new(path.clone()), &[path.as_str()], &case)?;
    }

    #[test]
    fn readiness_and_liveness_paths_are_answered_exactly(
        (ready, live, case) in (custom_path(), custom_path())
            .prop_filter("distinct paths", |(r, l)| r != l)
            .prop_flat_map(|(r, l)| (Just(r.clone()), Just(l.clone()), case(vec![r, l]))),
    ) {
        let layer = HealthcheckLayer::new(ready.clone()).liveness(live.clone());
        check(layer, &[ready.as_str(), live.as_str()], &case)?;
    }
}

/// The strategies do hit both sides of the property often enough to matter.
#[test]
fn strategies_generate_probes_and_ordinary_requests() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = case(vec!["/up".to_owned()]);
    let (mut probes, mut others) = (0, 0);
    for _ in 0..2000 {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        if case.is_probe(&["/up"]) {
            probes += 1;
        } else {
            others += 1;
        }
    }
    assert!(
        probes > 200 && others > 200,
        "{probes} probes, {others} others"
    );
}
