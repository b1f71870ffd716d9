//! How each orchestrator probes an app: the request it sends, the redirects
//! it follows, the statuses it counts as healthy, and how the healthcheck's
//! own answers are told apart from a layer's. Shared by
//! [`preflight`](crate::preflight()) and `axum_kamal::testing::Prober`.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::header::{HOST, LOCATION, REFERER, USER_AGENT};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use tower_service::Service;

/// An orchestrator whose HTTP healthcheck axum-kamal models.
///
/// | | sends | healthy | redirects |
/// |---|---|---|---|
/// | [`KamalProxy`](Self::KamalProxy) | `Host: <container id>:<app_port>`, `User-Agent: kamal-proxy`, `Accept-Encoding: gzip` | `2xx` | followed (10), `https://` fails |
/// | [`Kubelet`](Self::Kubelet) | `Host: <pod ip>:<port>`, `User-Agent: kube-probe/<major>.<minor>`, `Accept: */*`, `Connection: close` | `200`–`399` | same host name only (10); another host: the `3xx` counts |
/// | [`AwsAlb`](Self::AwsAlb) | `Host: <target ip>:<port>`, `User-Agent: ELB-HealthChecker/2.0`, `Connection: close` | `200` (default matcher) | not followed |
/// | [`DockerCurl`](Self::DockerCurl) | `Host: localhost:<port>`, `User-Agent: curl/<version>`, `Accept: */*` | below `400` (`curl -f`) | not followed (no `-L`) |
///
/// ```
/// use axum_kamal::Orchestrator;
/// use http::StatusCode;
///
/// assert!(Orchestrator::Kubelet.counts_healthy(StatusCode::FOUND));
/// assert!(!Orchestrator::KamalProxy.counts_healthy(StatusCode::FOUND));
/// assert_eq!(Orchestrator::AwsAlb.user_agent(), "ELB-HealthChecker/2.0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Orchestrator {
    /// Kamal 2's kamal-proxy before it switches traffic to a new container
    /// (basecamp/kamal-proxy `internal/server/health_check.go`: a Go
    /// `http.Client` with the default redirect policy, `User-Agent:
    /// kamal-proxy`, healthy on `2xx`; Go adds `Accept-Encoding: gzip`).
    /// Defaults: interval 1 s, timeout 5 s, deploy timeout 30 s.
    KamalProxy,
    /// The Kubernetes kubelet's `httpGet` probe (kubernetes
    /// `pkg/probe/http/request.go`: `User-Agent: kube-probe/<major>.<minor>`
    /// and `Accept: */*` unless `httpHeaders` set them, `Host` = pod IP and
    /// port; `pkg/probe/http/http.go`: keep-alives off (Go sends
    /// `Connection: close`), compression off (no `Accept-Encoding`), healthy
    /// on `200`–`399`, redirects followed only to the same host name, at
    /// most 10, a redirect to another host ends the probe and its `3xx`
    /// counts as success with a warning; `pkg/kubelet/prober/prober.go`
    /// builds it with `followNonLocalRedirects = false`). Defaults
    /// (`Probe` in the core/v1 API): `timeoutSeconds` 1, `periodSeconds` 10,
    /// `failureThreshold` 3.
    Kubelet,
    /// An AWS Application Load Balancer target group (Elastic Load Balancing
    /// user guide, "Health checks for Application Load Balancer target
    /// groups": `GET` on `HealthCheckPath` (default `/`) to the target's
    /// address and port, healthy when the status matches the matcher
    /// (default `200`), `HealthCheckTimeoutSeconds` 5 and
    /// `HealthCheckIntervalSeconds` 30 by default, the connection closed
    /// after each check). AWS documents the settings, not the request's
    /// headers: the `User-Agent: ELB-HealthChecker/2.0` and `Connection:
    /// close` modelled here are what targets log and what AWS re:Post
    /// answers describe, `Host` is the target's address and port. A redirect
    /// is a status like any other: it is compared with the matcher, never
    /// followed.
    AwsAlb,
    /// A Dockerfile `HEALTHCHECK CMD curl -f http://localhost:<port><path>`
    /// (Dockerfile reference, `HEALTHCHECK`: exit status 0 is healthy,
    /// interval 30 s, timeout 30 s, 3 retries by default; curl's manual:
    /// `-f`/`--fail` exits 22 on a status of 400 or more, redirects are
    /// followed only with `-L`, and curl sends `Host`, `User-Agent:
    /// curl/<version>` and `Accept: */*`).
    DockerCurl,
}

/// Fixed request headers, as (name, value) pairs in wire order.
type Headers = &'static [(&'static str, &'static str)];

/// Which redirects an orchestrator follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Redirects {
    /// Any `http://` or relative one (Go's default client).
    Any,
    /// Only to the same host name, port ignored (the kubelet).
    SameHostName,
    /// None: the redirect is the answer.
    None,
}

impl Orchestrator {
    /// Every modelled orchestrator.
    ///
    /// ```
    /// assert_eq!(axum_kamal::Orchestrator::ALL.len(), 4);
    /// ```
    pub const ALL: [Self; 4] = [
        Self::KamalProxy,
        Self::Kubelet,
        Self::AwsAlb,
        Self::DockerCurl,
    ];

    /// The name used in messages: `kamal-proxy`, `the kubelet`, `an AWS ALB
    /// target group`, `Docker HEALTHCHECK (curl -f)`.
    ///
    /// ```
    /// assert_eq!(axum_kamal::Orchestrator::Kubelet.name(), "the kubelet");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::KamalProxy => "kamal-proxy",
            Self::Kubelet => "the kubelet",
            Self::AwsAlb => "an AWS ALB target group",
            Self::DockerCurl => "Docker HEALTHCHECK (curl -f)",
        }
    }

    /// The `User-Agent` it sends (the kubelet's names its version, curl's
    /// too: Debian bookworm's curl here).
    ///
    /// ```
    /// assert_eq!(axum_kamal::Orchestrator::KamalProxy.user_agent(), "kamal-proxy");
    /// ```
    #[must_use]
    pub fn user_agent(self) -> &'static str {
        match self {
            Self::KamalProxy => "kamal-proxy",
            Self::Kubelet => "kube-probe/1.34",
            Self::AwsAlb => "ELB-HealthChecker/2.0",
            Self::DockerCurl => "curl/7.88.1",
        }
    }

    /// The host name it puts in `Host` by default: a container id, a pod
    /// IP, a target IP, `localhost`.
    ///
    /// ```
    /// assert_eq!(axum_kamal::Orchestrator::DockerCurl.default_host_name(), "localhost");
    /// ```
    #[must_use]
    pub fn default_host_name(self) -> &'static str {
        match self {
            Self::KamalProxy => "7c7168a662c1",
            Self::Kubelet => "10.244.0.7",
            Self::AwsAlb => "172.31.20.7",
            Self::DockerCurl => "localhost",
        }
    }

    /// How long one check may take by default: 5 s, 1 s, 5 s, 30 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(axum_kamal::Orchestrator::Kubelet.default_timeout(), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn default_timeout(self) -> Duration {
        Duration::from_secs(match self {
            Self::KamalProxy | Self::AwsAlb => 5,
            Self::Kubelet => 1,
            Self::DockerCurl => 30,
        })
    }

    /// Time between two checks by default: 1 s, 10 s, 30 s, 30 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(axum_kamal::Orchestrator::KamalProxy.default_interval(), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn default_interval(self) -> Duration {
        Duration::from_secs(match self {
            Self::KamalProxy => 1,
            Self::Kubelet => 10,
            Self::AwsAlb | Self::DockerCurl => 30,
        })
    }

    /// Whether it counts a final answer with `status` as healthy.
    ///
    /// ```
    /// use axum_kamal::Orchestrator;
    /// use http::StatusCode;
    ///
    /// assert!(Orchestrator::DockerCurl.counts_healthy(StatusCode::MOVED_PERMANENTLY));
    /// assert!(!Orchestrator::AwsAlb.counts_healthy(StatusCode::NO_CONTENT));
    /// ```
    #[must_use]
    pub fn counts_healthy(self, status: StatusCode) -> bool {
        match self {
            Self::KamalProxy => status.is_success(),
            Self::Kubelet | Self::DockerCurl => (200..400).contains(&status.as_u16()),
            Self::AwsAlb => status == StatusCode::OK,
        }
    }

    fn redirects(self) -> Redirects {
        match self {
            Self::KamalProxy => Redirects::Any,
            Self::Kubelet => Redirects::SameHostName,
            Self::AwsAlb | Self::DockerCurl => Redirects::None,
        }
    }

    /// Headers after `User-Agent` that go before `Referer` (Go writes its
    /// header map sorted), then the ones after it (added by Go's transport).
    /// Checked with a run of Go 1.19's `net/http` client set up as
    /// kamal-proxy's and the kubelet's (first request and a redirected one,
    /// byte for byte), and against curl 7.88.1 in `tests/tests/prober.rs`.
    fn headers(self) -> (Headers, Headers) {
        match self {
            Self::KamalProxy => (&[], &[("Accept-Encoding", "gzip")]),
            Self::Kubelet => (&[("Accept", "*/*")], &[("Connection", "close")]),
            Self::AwsAlb => (&[], &[("Connection", "close")]),
            Self::DockerCurl => (&[("Accept", "*/*")], &[]),
        }
    }
}

impl fmt::Display for Orchestrator {
    /// [`Orchestrator::name`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why one healthcheck failed, as the orchestrator would see it.
///
/// ```
/// use axum_kamal::ProbeFailure;
///
/// let https = ProbeFailure::HttpsRedirect { location: "https://7c7168a662c1:3000/up".into() };
/// assert!(https.to_string().contains("server gave HTTP response to HTTPS client"));
/// assert!(ProbeFailure::NotReady.to_string().contains("the healthcheck answered"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeFailure {
    /// The healthcheck itself answered `503 Service Unavailable`: a
    /// readiness check failed or shutdown has started. The layers are in
    /// the right order; the app is not ready.
    NotReady,
    /// Something other than the healthcheck answered with a status the
    /// orchestrator counts as failed: e.g. `400` from host validation,
    /// `401` from auth, `429` from a rate limit, `404` when nothing serves
    /// the path (a redirect the orchestrator does not follow included).
    Status(StatusCode),
    /// A redirect to an `https://` URL: the orchestrator's TLS handshake
    /// fails against the plain-HTTP app (Go reports `http: server gave HTTP
    /// response to HTTPS client`).
    HttpsRedirect {
        /// The `Location` header.
        location: String,
    },
    /// A redirect to something Go's client cannot request (another scheme,
    /// an unparsable URL).
    BadRedirect {
        /// The `Location` header.
        location: String,
    },
    /// Still redirected after this many requests (`stopped after 10
    /// redirects`).
    TooManyRedirects(usize),
    /// No complete answer within this time.
    Timeout(Duration),
    /// The TCP connection could not be made, e.g. `ConnectionRefused` while
    /// the app is not listening yet.
    Connect {
        /// The address or `host:port` dialled.
        target: String,
        /// The kind of the I/O error.
        kind: io::ErrorKind,
        /// The I/O error's message.
        message: String,
    },
    /// The connection failed after it was made, or the answer was not an
    /// HTTP/1.x response.
    InvalidResponse(String),
    /// The in-process service returned an error instead of a response.
    Service(String),
}

impl ProbeFailure {
    /// Whether the healthcheck answered (only [`NotReady`](Self::NotReady)):
    /// every other failure comes from something in front of it or from the
    /// connection.
    ///
    /// ```
    /// use axum_kamal::ProbeFailure;
    /// use http::StatusCode;
    ///
    /// assert!(ProbeFailure::NotReady.healthcheck_answered());
    /// assert!(!ProbeFailure::Status(StatusCode::UNAUTHORIZED).healthcheck_answered());
    /// ```
    #[must_use]
    pub fn healthcheck_answered(&self) -> bool {
        matches!(self, Self::NotReady)
    }
}

impl fmt::Display for ProbeFailure {
    /// A one-line reason, worded like Go's errors, saying who answered.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotReady => f.write_str(
                "the healthcheck answered 503 Service Unavailable: a readiness check failed \
                 or shutdown has started (the layers are in the right order)",
            ),
            Self::Status(status) => write!(
                f,
                "unexpected status {status}, not from the healthcheck: a layer in front of it \
                 answered (one added outside the #[kamal_app] function?), or nothing serves \
                 this path"
            ),
            Self::HttpsRedirect { location } => write!(
                f,
                "redirected to {location}, not by the healthcheck: TLS handshake with a \
                 plain-HTTP app fails (http: server gave HTTP response to HTTPS client)"
            ),
            Self::BadRedirect { location } => write!(f, "cannot follow redirect to {location:?}"),
            Self::TooManyRedirects(max) => write!(f, "stopped after {max} redirects"),
            Self::Timeout(after) => {
                write!(f, "no answer within {after:?} (context deadline exceeded)")
            }
            Self::Connect {
                target, message, ..
            } => write!(f, "dial tcp {target}: {message}"),
            Self::InvalidResponse(message) => write!(f, "invalid response: {message}"),
            Self::Service(message) => write!(f, "service error: {message}"),
        }
    }
}

impl std::error::Error for ProbeFailure {}

/// One request of a check: the first, or one following a redirect.
#[derive(Clone, Debug)]
pub(crate) struct Hop {
    pub(crate) orchestrator: Orchestrator,
    pub(crate) user_agent: String,
    pub(crate) host: String,
    /// Origin-form target: path and query.
    pub(crate) target: String,
    /// `Referer`, set by Go's client on redirected requests.
    referer: Option<String>,
}

impl Hop {
    pub(crate) fn first(
        orchestrator: Orchestrator,
        user_agent: &str,
        host: String,
        target: &str,
    ) -> Self {
        Self {
            orchestrator,
            user_agent: user_agent.to_owned(),
            host,
            target: target.to_owned(),
            referer: None,
        }
    }

    /// The next request for `answer`, `None` when the orchestrator stops
    /// at it (not a redirect it follows).
    fn follow(&self, answer: &Answer) -> Result<Option<Self>, ProbeFailure> {
        let location = match &answer.location {
            Some(location) if is_followed_redirect(answer.status) => location,
            _ => return Ok(None),
        };
        match self.orchestrator.redirects() {
            Redirects::None => return Ok(None),
            // The kubelet's redirect checker sees the next URL, whatever its
            // scheme, before any connection is made.
            Redirects::SameHostName
                if authority(location)
                    .is_some_and(|other| host_name(&other) != host_name(&self.host)) =>
            {
                return Ok(None);
            }
            Redirects::SameHostName | Redirects::Any => {}
        }
        self.redirect(location).map(Some)
    }

    /// The request Go's client makes for `location`, answered to this one.
    pub(crate) fn redirect(&self, location: &str) -> Result<Self, ProbeFailure> {
        let bad = || ProbeFailure::BadRedirect {
            location: location.to_owned(),
        };
        let reference = location.split('#').next().unwrap_or_default().trim();
        let (host, target) = match scheme(reference) {
            Some(s) if s.eq_ignore_ascii_case("https") => {
                return Err(ProbeFailure::HttpsRedirect {
                    location: location.to_owned(),
                });
            }
            Some(s) if s.eq_ignore_ascii_case("http") => {
                split_authority(&reference[s.len() + 1..]).ok_or_else(bad)?
            }
            Some(_) => return Err(bad()),
            None if reference.starts_with("//") => split_authority(reference).ok_or_else(bad)?,
            None if reference.starts_with('/') => (self.host.clone(), reference.to_owned()),
            None if reference.is_empty() => (self.host.clone(), self.target.clone()),
            None if reference.starts_with('?') => {
                let path = self.target.split('?').next().unwrap_or("/");
                (self.host.clone(), format!("{path}{reference}"))
            }
            None => {
                let path = self.target.split('?').next().unwrap_or("/");
                let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
                (self.host.clone(), format!("{dir}{reference}"))
            }
        };
        if host.is_empty() || !target.starts_with('/') {
            return Err(bad());
        }
        Ok(Self {
            referer: Some(format!("http://{}{}", self.host, self.target)),
            host,
            target,
            ..self.clone()
        })
    }

    /// The request bytes, header order as the orchestrator's client writes
    /// them.
    pub(crate) fn wire_request(&self) -> Vec<u8> {
        let mut head = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\n",
            self.target, self.host, self.user_agent
        );
        let (before, after) = self.orchestrator.headers();
        let referer = self.referer.iter().map(|r| ("Referer", r.as_str()));
        for (name, value) in before
            .iter()
            .copied()
            .chain(referer)
            .chain(after.iter().copied())
        {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    /// The request as `axum::serve` hands it to a service.
    pub(crate) fn in_process_request(&self) -> Result<Request<Body>, http::Error> {
        let mut builder = Request::get(self.target.as_str())
            .header(HOST, HeaderValue::try_from(self.host.as_str())?)
            .header(USER_AGENT, HeaderValue::try_from(self.user_agent.as_str())?);
        let (before, after) = self.orchestrator.headers();
        for (name, value) in before {
            builder = builder.header(*name, *value);
        }
        if let Some(referer) = &self.referer {
            builder = builder.header(REFERER, HeaderValue::try_from(referer.as_str())?);
        }
        for (name, value) in after {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty())
    }
}

/// The `host:port` an absolute or scheme-relative `location` names.
fn authority(location: &str) -> Option<String> {
    let rest = match scheme(location) {
        Some(s) => &location[s.len() + 1..],
        None => location,
    };
    split_authority(rest).map(|(authority, _)| authority)
}

/// `host:port` → `host`, `[::1]:80` → `[::1]`.
fn host_name(host: &str) -> &str {
    if host.ends_with(']') {
        return host;
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// The scheme of an absolute URL (`http` in `http://..`), if any.
fn scheme(reference: &str) -> Option<&str> {
    let (scheme, _) = reference.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// `//host:port/path?q` → (`host:port`, `/path?q`).
fn split_authority(rest: &str) -> Option<(String, String)> {
    let rest = rest.strip_prefix("//")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(end);
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let target = match target {
        "" => "/".to_owned(),
        t if t.starts_with('?') => format!("/{t}"),
        t => t.to_owned(),
    };
    Some((authority.to_owned(), target))
}

/// Redirect statuses Go's client follows.
fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// What one request got back.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    /// `Some(ready)` when the answer is the healthcheck's own.
    pub(crate) healthcheck: Option<bool>,
}

impl Answer {
    pub(crate) fn new(status: StatusCode, headers: &HeaderMap) -> Self {
        Self {
            status,
            location: headers
                .get(LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            healthcheck: healthcheck_readiness(status, headers),
        }
    }

    /// How the orchestrator judges this final answer.
    pub(crate) fn judge(&self, orchestrator: Orchestrator) -> Result<StatusCode, ProbeFailure> {
        if orchestrator.counts_healthy(self.status) {
            Ok(self.status)
        } else if self.healthcheck == Some(false) {
            Err(ProbeFailure::NotReady)
        } else {
            Err(ProbeFailure::Status(self.status))
        }
    }
}

/// `Some(ready)` when `status` and `headers` are exactly the healthcheck's
/// public answer — `200 OK` ([`crate::response::healthy`]) or `503 Service
/// Unavailable` from its checks or the drain
/// ([`crate::response::plain_text`]): same status, and every header of
/// that answer (`content-type`, `cache-control: no-store`,
/// `content-length`) present with the same value. Layers in front may add
/// headers, not change these.
pub(crate) fn healthcheck_readiness(status: StatusCode, headers: &HeaderMap) -> Option<bool> {
    let reference: Response<Bytes> = match status {
        StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE => {
            crate::response::plain_text(status, false)
        }
        _ => return None,
    };
    let same = reference
        .headers()
        .iter()
        .all(|(name, value)| headers.get(name) == Some(value));
    same.then_some(status == StatusCode::OK)
}

/// Sends `first` and each redirect the orchestrator follows through `send`,
/// at most `max_redirects` of them, and returns the answer it stops at.
pub(crate) async fn follow<F, Fut>(
    first: Hop,
    max_redirects: usize,
    mut send: F,
) -> Result<Answer, ProbeFailure>
where
    F: FnMut(Hop) -> Fut,
    Fut: Future<Output = Result<Answer, ProbeFailure>>,
{
    let mut hop = first;
    let mut requests = 0;
    loop {
        let answer = send(hop.clone()).await?;
        requests += 1;
        let Some(next) = hop.follow(&answer)? else {
            return Ok(answer);
        };
        if requests >= max_redirects {
            return Err(ProbeFailure::TooManyRedirects(max_redirects));
        }
        hop = next;
    }
}

/// `path`, checked to be an origin-form path.
///
/// # Panics
/// If `path` does not start with `/`.
#[track_caller]
pub(crate) fn healthcheck_path(path: String) -> String {
    assert!(
        path.starts_with('/'),
        "healthcheck path {path:?} must start with '/'"
    );
    path
}

/// Redirect limit of Go's default client and of the kubelet.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// Sends `hop` through a clone of `service` (polled ready first), as
/// `axum::serve` would.
pub(crate) async fn send_in_process<S, RB>(service: &S, hop: Hop) -> Result<Answer, ProbeFailure>
where
    S: Service<Request<Body>, Response = Response<RB>> + Clone,
    S::Error: fmt::Display,
{
    let mut service = service.clone();
    let request = hop
        .in_process_request()
        .map_err(|_| ProbeFailure::BadRedirect {
            location: hop.target.clone(),
        })?;
    poll_fn(|cx| service.poll_ready(cx))
        .await
        .map_err(|e| ProbeFailure::Service(e.to_string()))?;
    let response = service
        .call(request)
        .await
        .map_err(|e| ProbeFailure::Service(e.to_string()))?;
    Ok(Answer::new(response.status(), response.headers()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{ACCEPT, ACCEPT_ENCODING, CONNECTION};

    fn hop(orchestrator: Orchestrator, host: &str, target: &str) -> Hop {
        Hop::first(
            orchestrator,
            orchestrator.user_agent(),
            host.to_owned(),
            target,
        )
    }

    fn redirect(location: &str) -> Result<(String, String), ProbeFailure> {
        hop(Orchestrator::KamalProxy, "7c7168a662c1:3000", "/a/up?x=1")
            .redirect(location)
            .map(|h| (h.host, h.target))
    }

    #[test]
    fn redirects_resolve_like_a_browser() {
        let own = |t: &str| Ok(("7c7168a662c1:3000".to_owned(), t.to_owned()));
        assert_eq!(redirect("/health"), own("/health"));
        assert_eq!(redirect("health"), own("/a/health"));
        assert_eq!(redirect("?y=2"), own("/a/up?y=2"));
        assert_eq!(redirect(""), own("/a/up?x=1"));
        assert_eq!(redirect("/h#frag"), own("/h"));
        assert_eq!(
            redirect("http://other:8080/z?q"),
            Ok(("other:8080".to_owned(), "/z?q".to_owned()))
        );
        assert_eq!(
            redirect("HTTP://other"),
            Ok(("other".to_owned(), "/".to_owned()))
        );
        assert_eq!(
            redirect("//other?q"),
            Ok(("other".to_owned(), "/?q".to_owned()))
        );
        assert!(matches!(
            redirect("https://7c7168a662c1:3000/up"),
            Err(ProbeFailure::HttpsRedirect { .. })
        ));
        assert!(matches!(
            redirect("ftp://x/"),
            Err(ProbeFailure::BadRedirect { .. })
        ));
        assert!(matches!(
            redirect("http:///x"),
            Err(ProbeFailure::BadRedirect { .. })
        ));
    }

    #[test]
    fn redirected_requests_carry_a_referer() {
        let next = hop(Orchestrator::KamalProxy, "h:1", "/up")
            .redirect("/b")
            .unwrap();
        assert_eq!(
            next.wire_request(),
            b"GET /b HTTP/1.1\r\nHost: h:1\r\nUser-Agent: kamal-proxy\r\nReferer: http://h:1/up\r\nAccept-Encoding: gzip\r\n\r\n"
        );
        let next = hop(Orchestrator::Kubelet, "10.0.0.1:80", "/up")
            .redirect("/b")
            .unwrap();
        assert_eq!(
            next.wire_request(),
            b"GET /b HTTP/1.1\r\nHost: 10.0.0.1:80\r\nUser-Agent: kube-probe/1.34\r\nAccept: */*\r\nReferer: http://10.0.0.1:80/up\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn in_process_requests_carry_the_wire_headers() {
        for orchestrator in Orchestrator::ALL {
            let request = hop(orchestrator, "h:1", "/up")
                .in_process_request()
                .unwrap();
            let names: Vec<_> = request.headers().keys().map(|n| n.as_str()).collect();
            let expected: &[_] = match orchestrator {
                Orchestrator::KamalProxy => &["host", "user-agent", ACCEPT_ENCODING.as_str()],
                Orchestrator::Kubelet => {
                    &["host", "user-agent", ACCEPT.as_str(), CONNECTION.as_str()]
                }
                Orchestrator::AwsAlb => &["host", "user-agent", CONNECTION.as_str()],
                Orchestrator::DockerCurl => &["host", "user-agent", ACCEPT.as_str()],
            };
            assert_eq!(names, expected, "{orchestrator}");
        }
    }

    #[test]
    fn the_kubelet_stops_at_a_redirect_to_another_host() {
        let answer = |location: &str| Answer {
            status: StatusCode::FOUND,
            location: Some(location.to_owned()),
            healthcheck: None,
        };
        let first = hop(Orchestrator::Kubelet, "10.0.0.1:3000", "/up");
        assert!(
            first
                .follow(&answer("http://10.0.0.1:8080/x"))
                .unwrap()
                .is_some()
        );
        assert!(
            first
                .follow(&answer("http://example.com/x"))
                .unwrap()
                .is_none()
        );
        assert!(
            first
                .follow(&answer("https://example.com/up"))
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            first.follow(&answer("https://10.0.0.1:3000/up")),
            Err(ProbeFailure::HttpsRedirect { .. })
        ));
        let alb = hop(Orchestrator::AwsAlb, "10.0.0.1:3000", "/up");
        assert!(alb.follow(&answer("/x")).unwrap().is_none());
    }

    #[test]
    fn the_healthcheck_answers_are_recognised() {
        let ok = crate::response::healthy::<Bytes>(false);
        assert_eq!(healthcheck_readiness(ok.status(), ok.headers()), Some(true));
        let unavailable: Response<Bytes> =
            crate::response::plain_text(StatusCode::SERVICE_UNAVAILABLE, false);
        assert_eq!(
            healthcheck_readiness(unavailable.status(), unavailable.headers()),
            Some(false)
        );
        let mut other = unavailable.headers().clone();
        other.remove(http::header::CACHE_CONTROL);
        assert_eq!(
            healthcheck_readiness(StatusCode::SERVICE_UNAVAILABLE, &other),
            None
        );
        assert_eq!(
            healthcheck_readiness(StatusCode::BAD_REQUEST, ok.headers()),
            None
        );
    }
}
