//! How each orchestrator probes an app: the request it sends, the redirects
//! it follows, the statuses it counts as healthy, its timings, and how the
//! healthcheck's own answers are told apart from a layer's. Shared by
//! [`preflight()`](crate::preflight()) and `axum_kamal::testing::Prober`.
//!
//! | | probe timeout (default) | interval | check timeouts that fit |
//! |---|---|---|---|
//! | kamal-proxy | 5 s (`proxy.healthcheck.timeout`) | 1 s | below 5 s |
//! | the kubelet | 1 s (`timeoutSeconds`) | 10 s (`periodSeconds`) | below 1 s: [`Health::timeout`](crate::Health::timeout)'s default, 800 ms |
//! | an AWS ALB target group | 5 s (`HealthCheckTimeoutSeconds`) | 30 s | below 5 s |
//! | Docker `HEALTHCHECK` (`curl -f`) | 30 s (`--timeout`) | 30 s | below 30 s |
//!
//! A check timeout at or above the probe timeout makes a slow dependency a
//! probe timeout instead of a `503`: the preflight warns
//! ([`PreflightWarning::ChecksOutlastProbe`](crate::preflight::PreflightWarning::ChecksOutlastProbe)),
//! the in-process prober fails with
//! [`ProbeFailure::ChecksOutlastProbe`].

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
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
/// use axum_kamal::probe::Orchestrator;
/// use axum::http::StatusCode;
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

/// One orchestrator's healthcheck probe: the request it sends (orchestrator,
/// host name, port, path, user agent, peer address) and how long it waits
/// (timeout, redirects). The one description the preflight sends once
/// ([`Preflight::probes`](crate::preflight::Preflight::probes)) and
/// `axum_kamal::testing::Prober` repeats like a deploy.
///
/// ```
/// use std::time::Duration;
/// use axum_kamal::probe::Probe;
///
/// let probe = Probe::kubelet()
///     .host_name("10.1.2.3")
///     .port(3000)
///     .path("/up")
///     .timeout(Duration::from_secs(2));
/// assert_eq!(probe.host(), "10.1.2.3:3000");
/// assert_eq!(probe.request().headers()["user-agent"], "kube-probe/1.34");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub(crate) orchestrator: Orchestrator,
    host_name: String,
    port: u16,
    pub(crate) path: String,
    user_agent: String,
    pub(crate) timeout: Duration,
    peer_addr: Option<SocketAddr>,
    pub(crate) max_redirects: usize,
}

impl Probe {
    /// `orchestrator`'s probe with its defaults: its
    /// [`default_host_name`](Orchestrator::default_host_name), port 80,
    /// path `/up`, its [`user_agent`](Orchestrator::user_agent),
    /// [`default_timeout`](Orchestrator::default_timeout) and
    /// [`default_peer_addr`](Orchestrator::default_peer_addr), at most 10
    /// redirects.
    ///
    /// ```
    /// use axum_kamal::probe::{Orchestrator, Probe};
    /// assert_eq!(Probe::new(Orchestrator::DockerCurl).port(3000).host(), "localhost:3000");
    /// ```
    #[must_use]
    pub fn new(orchestrator: Orchestrator) -> Self {
        Self {
            orchestrator,
            host_name: orchestrator.default_host_name().to_owned(),
            port: 80,
            path: crate::DEFAULT_PATH.to_owned(),
            user_agent: orchestrator.user_agent().to_owned(),
            timeout: orchestrator.default_timeout(),
            peer_addr: Some(orchestrator.default_peer_addr()),
            max_redirects: MAX_REDIRECTS,
        }
    }

    /// kamal-proxy's healthcheck: container id `7c7168a662c1`, app port 80
    /// (Kamal's default `proxy.app_port`), timeout 5 s.
    ///
    /// ```
    /// let probe = axum_kamal::probe::Probe::kamal_proxy().port(3000);
    /// assert_eq!(
    ///     probe.request_bytes(),
    ///     b"GET /up HTTP/1.1\r\nHost: 7c7168a662c1:3000\r\nUser-Agent: kamal-proxy\r\nAccept-Encoding: gzip\r\n\r\n"
    /// );
    /// ```
    #[must_use]
    pub fn kamal_proxy() -> Self {
        Self::new(Orchestrator::KamalProxy)
    }

    /// The kubelet's `httpGet` probe: pod IP `10.244.0.7`, `User-Agent:
    /// kube-probe/1.34`, timeout 1 s (`timeoutSeconds`). Set
    /// [`port`](Self::port) to the container port.
    ///
    /// ```
    /// assert_eq!(axum_kamal::probe::Probe::kubelet().port(3000).host(), "10.244.0.7:3000");
    /// ```
    #[must_use]
    pub fn kubelet() -> Self {
        Self::new(Orchestrator::Kubelet)
    }

    /// An AWS ALB target group's health check: target IP `172.31.20.7`,
    /// `User-Agent: ELB-HealthChecker/2.0`, timeout 5 s. AWS's default path
    /// is `/`; set [`path`](Self::path) to the one you configure.
    ///
    /// ```
    /// assert_eq!(axum_kamal::probe::Probe::aws_alb().port(8080).host(), "172.31.20.7:8080");
    /// ```
    #[must_use]
    pub fn aws_alb() -> Self {
        Self::new(Orchestrator::AwsAlb)
    }

    /// A Dockerfile `HEALTHCHECK CMD curl -f http://localhost:<port>/up`:
    /// `Host: localhost:<port>`, `User-Agent: curl/7.88.1`, timeout 30 s.
    ///
    /// ```
    /// let probe = axum_kamal::probe::Probe::docker_curl().port(3000);
    /// assert_eq!(probe.request_bytes(), b"GET /up HTTP/1.1\r\nHost: localhost:3000\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n");
    /// ```
    #[must_use]
    pub fn docker_curl() -> Self {
        Self::new(Orchestrator::DockerCurl)
    }

    /// Whose probe this is.
    ///
    /// ```
    /// use axum_kamal::probe::{Orchestrator, Probe};
    /// assert_eq!(Probe::kubelet().orchestrator(), Orchestrator::Kubelet);
    /// ```
    #[must_use]
    pub fn orchestrator(&self) -> Orchestrator {
        self.orchestrator
    }

    /// The host name sent in `Host`: kamal-proxy's container id, the pod
    /// IP, the target IP, `localhost`.
    ///
    /// ```
    /// let probe = axum_kamal::probe::Probe::kamal_proxy().host_name("0123456789ab");
    /// assert_eq!(probe.host(), "0123456789ab:80");
    /// ```
    #[must_use]
    pub fn host_name(mut self, name: impl Into<String>) -> Self {
        self.host_name = name.into();
        self
    }

    /// The port sent in `Host`: the port the app listens on (Kamal's
    /// `proxy.app_port`, the kubelet probe's `port`, the target port). It
    /// does not choose where a TCP probe connects.
    ///
    /// ```
    /// let probe = axum_kamal::probe::Probe::kamal_proxy().port(3000);
    /// assert_eq!(probe.host(), "7c7168a662c1:3000");
    /// ```
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The healthcheck path (default `/up`), e.g. the path given to
    /// `#[kamal_app(path = "..")]`. It may carry a query.
    ///
    /// # Panics
    /// If the part before `?` breaks the rules of
    /// [`HealthcheckLayer::new`](crate::HealthcheckLayer::new).
    ///
    /// ```
    /// let probe = axum_kamal::probe::Probe::kamal_proxy().path("/healthz");
    /// assert_eq!(probe.request().uri(), "/healthz");
    /// ```
    ///
    /// ```should_panic
    /// axum_kamal::probe::Probe::kamal_proxy().path("/u p"); // as HealthcheckLayer::new("/u p")
    /// ```
    #[must_use]
    #[track_caller]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = healthcheck_path(path.into());
        self
    }

    /// The `User-Agent` (e.g. `kube-probe/1.31` for your cluster's version).
    ///
    /// ```
    /// let probe = axum_kamal::probe::Probe::kubelet().user_agent("kube-probe/1.31");
    /// assert_eq!(probe.request().headers()["user-agent"], "kube-probe/1.31");
    /// ```
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How long one probe, redirects included, may take (Kamal's
    /// `proxy.healthcheck.timeout`, the kubelet's `timeoutSeconds`: see
    /// [`Orchestrator::timeout_setting`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// let probe = axum_kamal::probe::Probe::kamal_proxy().timeout(Duration::from_millis(200));
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The peer address an in-process probe carries as
    /// `axum::extract::ConnectInfo<SocketAddr>`, as a request served with
    /// `into_make_service_with_connect_info::<SocketAddr>()` has it (what
    /// per-peer rate limits and client-IP extractors read): by default the
    /// orchestrator's [`default_peer_addr`](Orchestrator::default_peer_addr);
    /// `None` for an app served without it (`axum::serve(listener, app)`).
    /// Over TCP the peer is the real connection's.
    ///
    /// ```
    /// use axum::extract::ConnectInfo;
    /// use std::net::SocketAddr;
    ///
    /// let probe = axum_kamal::probe::Probe::kubelet().peer_addr(Some(([10, 0, 0, 9], 40000).into()));
    /// let request = probe.request();
    /// let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().unwrap();
    /// assert_eq!(peer.0.to_string(), "10.0.0.9:40000");
    /// ```
    #[must_use]
    pub fn peer_addr(mut self, peer_addr: Option<SocketAddr>) -> Self {
        self.peer_addr = peer_addr;
        self
    }

    /// Redirect limit, for the orchestrators that follow redirects. Like
    /// Go's client (`stopped after 10 redirects`), a probe fails when a
    /// redirect arrives after `max` requests; `0` follows none.
    ///
    /// ```
    /// let probe = axum_kamal::probe::Probe::kamal_proxy().max_redirects(0);
    /// ```
    #[must_use]
    pub fn max_redirects(mut self, max: usize) -> Self {
        self.max_redirects = max;
        self
    }

    /// The `Host` header of the probe: `<host name>:<port>`.
    ///
    /// ```
    /// assert_eq!(axum_kamal::probe::Probe::kamal_proxy().port(3000).host(), "7c7168a662c1:3000");
    /// ```
    #[must_use]
    pub fn host(&self) -> String {
        format!("{}:{}", self.host_name, self.port)
    }

    /// The probe exactly as it goes on the wire (as the orchestrator's
    /// client writes it).
    ///
    /// ```
    /// let bytes = axum_kamal::probe::Probe::kubelet().port(3000).request_bytes();
    /// assert!(bytes.starts_with(b"GET /up HTTP/1.1\r\nHost: 10.244.0.7:3000\r\n"));
    /// ```
    #[must_use]
    pub fn request_bytes(&self) -> Vec<u8> {
        self.first_hop().wire_request()
    }

    /// The probe as an in-process request, as `axum::serve` would hand it to
    /// your service: origin-form URI, the same headers as
    /// [`request_bytes`](Self::request_bytes), an empty body, and the
    /// [`peer_addr`](Self::peer_addr) as `ConnectInfo<SocketAddr>`.
    ///
    /// ```
    /// let probe = axum_kamal::probe::Probe::kamal_proxy().request();
    /// assert_eq!(probe.method(), axum::http::Method::GET);
    /// assert_eq!(probe.uri(), "/up");
    /// assert_eq!(probe.headers()["host"], "7c7168a662c1:80");
    /// ```
    #[must_use]
    pub fn request(&self) -> Request<Body> {
        self.first_hop()
            .in_process_request()
            .expect("a checked path and header values set by the builder are valid")
    }

    /// The first request of the probe.
    pub(crate) fn first_hop(&self) -> Hop {
        Hop::first(
            self.orchestrator,
            &self.user_agent,
            self.host(),
            &self.path,
            self.peer_addr,
        )
    }
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
    /// assert_eq!(axum_kamal::probe::Orchestrator::ALL.len(), 4);
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
    /// assert_eq!(axum_kamal::probe::Orchestrator::Kubelet.name(), "the kubelet");
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
    /// assert_eq!(axum_kamal::probe::Orchestrator::KamalProxy.user_agent(), "kamal-proxy");
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
    /// assert_eq!(axum_kamal::probe::Orchestrator::DockerCurl.default_host_name(), "localhost");
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

    /// The address in-process probes come from by default, standing for the
    /// orchestrator's (as `ConnectInfo<SocketAddr>`, which
    /// `into_make_service_with_connect_info` gives a served request):
    /// kamal-proxy's container on the `kamal` Docker network
    /// (`172.18.0.2`), the node the kubelet runs on (`10.244.0.1`), an ALB
    /// node in the VPC (`172.31.0.5`), curl inside the container
    /// (`127.0.0.1`); port `54321`, an ephemeral one.
    ///
    /// ```
    /// use axum_kamal::probe::Orchestrator;
    /// assert_eq!(Orchestrator::DockerCurl.default_peer_addr().to_string(), "127.0.0.1:54321");
    /// ```
    #[must_use]
    pub fn default_peer_addr(self) -> SocketAddr {
        let ip = match self {
            Self::KamalProxy => Ipv4Addr::new(172, 18, 0, 2),
            Self::Kubelet => Ipv4Addr::new(10, 244, 0, 1),
            Self::AwsAlb => Ipv4Addr::new(172, 31, 0, 5),
            Self::DockerCurl => Ipv4Addr::LOCALHOST,
        };
        SocketAddr::from((ip, 54321))
    }

    /// How long one check may take by default: 5 s, 1 s, 5 s, 30 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(axum_kamal::probe::Orchestrator::Kubelet.default_timeout(), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn default_timeout(self) -> Duration {
        Duration::from_secs(match self {
            Self::KamalProxy | Self::AwsAlb => 5,
            Self::Kubelet => 1,
            Self::DockerCurl => 30,
        })
    }

    /// The setting that holds its probe timeout: Kamal's
    /// `proxy.healthcheck.timeout`, the probe's `timeoutSeconds`, the target
    /// group's `HealthCheckTimeoutSeconds`, `HEALTHCHECK --timeout`.
    ///
    /// ```
    /// assert_eq!(axum_kamal::probe::Orchestrator::Kubelet.timeout_setting(), "timeoutSeconds");
    /// ```
    #[must_use]
    pub fn timeout_setting(self) -> &'static str {
        match self {
            Self::KamalProxy => "proxy.healthcheck.timeout",
            Self::Kubelet => "timeoutSeconds",
            Self::AwsAlb => "HealthCheckTimeoutSeconds",
            Self::DockerCurl => "HEALTHCHECK --timeout",
        }
    }

    /// Time between two checks by default: 1 s, 10 s, 30 s, 30 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(axum_kamal::probe::Orchestrator::KamalProxy.default_interval(), Duration::from_secs(1));
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
    /// use axum_kamal::probe::Orchestrator;
    /// use axum::http::StatusCode;
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
/// use axum_kamal::probe::ProbeFailure;
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
    /// No complete answer within `probe_timeout`, while the healthcheck ran
    /// readiness checks allowed `check_timeout` ([`Health::timeout`]), which
    /// is longer: the orchestrator gives up before a slow check does. Only
    /// an in-process probe can tell; over TCP this is a
    /// [`Timeout`](Self::Timeout).
    ///
    /// [`Health::timeout`]: crate::Health::timeout
    ChecksOutlastProbe {
        /// The probe's timeout (the kubelet's `timeoutSeconds`).
        probe_timeout: Duration,
        /// The readiness checks' timeout.
        check_timeout: Duration,
    },
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
    /// use axum_kamal::probe::ProbeFailure;
    /// use axum::http::StatusCode;
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
                 answered, or nothing serves this path"
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
            Self::ChecksOutlastProbe {
                probe_timeout,
                check_timeout,
            } => write!(
                f,
                "no answer within {probe_timeout:?} (context deadline exceeded): the readiness \
                 checks may run for {check_timeout:?} (Health::timeout), longer than the probe \
                 waits; set Health::timeout below {probe_timeout:?} or raise the probe's timeout"
            ),
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
    /// The `ConnectInfo<SocketAddr>` of an in-process request.
    peer_addr: Option<SocketAddr>,
}

impl Hop {
    pub(crate) fn first(
        orchestrator: Orchestrator,
        user_agent: &str,
        host: String,
        target: &str,
        peer_addr: Option<SocketAddr>,
    ) -> Self {
        Self {
            orchestrator,
            user_agent: user_agent.to_owned(),
            host,
            target: target.to_owned(),
            referer: None,
            peer_addr,
        }
    }

    /// The next request for `received`, `None` when the orchestrator stops
    /// at it (not a redirect it follows).
    fn follow(&self, received: &Received) -> Result<Option<Self>, ProbeFailure> {
        let location = match &received.location {
            Some(location) if is_followed_redirect(received.status) => location,
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

    /// The request as `axum::serve` hands it to a service: its headers, and
    /// the `ConnectInfo<SocketAddr>` that `into_make_service_with_connect_info`
    /// adds. hyper adds no other extension to a `GET` without `Upgrade`
    /// (`OnUpgrade` only when the request asks to upgrade, the header-case
    /// map only with `preserve_header_case`, which axum leaves off).
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
        if let Some(peer_addr) = self.peer_addr {
            builder = builder.extension(ConnectInfo(peer_addr));
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
pub(crate) struct Received {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    /// `Some(ready)` when the response is exactly the healthcheck's own.
    pub(crate) healthcheck: Option<bool>,
    /// What the healthcheck noted when an in-process probe reached it.
    pub(crate) reached: Option<Reached>,
    /// How the response differs from the healthcheck's answer, when an
    /// in-process probe reached it (empty when unchanged).
    pub(crate) changes: Vec<String>,
}

impl Received {
    pub(crate) fn new(status: StatusCode, headers: &HeaderMap) -> Self {
        Self {
            status,
            location: headers
                .get(LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            healthcheck: healthcheck_readiness(status, headers),
            reached: None,
            changes: Vec::new(),
        }
    }

    /// How the orchestrator judges this final response.
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

/// The mark of an in-process probe, a request extension only this crate can
/// set (the type is private): the healthcheck notes in it that it was
/// reached, and with `skip_checks` (the preflight) answers without running
/// the readiness checks.
#[derive(Clone, Debug)]
pub(crate) struct InProcessProbe {
    pub(crate) skip_checks: bool,
    reached: Arc<Mutex<Option<Reached>>>,
}

/// What the healthcheck noted on an in-process probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Reached {
    /// The status it answered with, when known at once (checks skipped).
    pub(crate) status: Option<StatusCode>,
    /// The timeout of its readiness checks, if it has any.
    pub(crate) check_timeout: Option<Duration>,
}

impl InProcessProbe {
    pub(crate) fn new(skip_checks: bool) -> Self {
        Self {
            skip_checks,
            reached: Arc::default(),
        }
    }

    /// Called by the healthcheck when the probe reaches it.
    pub(crate) fn note(&self, reached: Reached) {
        *self.slot() = Some(reached);
    }

    /// What the healthcheck noted since the last [`take`](Self::take).
    pub(crate) fn take(&self) -> Option<Reached> {
        self.slot().take()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Reached>> {
        self.reached.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a layer changed in the healthcheck's plain answer `status`: each of
/// its headers removed or given another value.
fn changes(status: StatusCode, headers: &HeaderMap) -> Vec<String> {
    let reference: Response<Bytes> = crate::response::plain_text(status, false);
    reference
        .headers()
        .iter()
        .filter_map(|(name, value)| match headers.get(name) {
            Some(got) if got == value => None,
            Some(got) => Some(format!(
                "{name}: {} became {}",
                String::from_utf8_lossy(value.as_bytes()),
                String::from_utf8_lossy(got.as_bytes())
            )),
            None => Some(format!("{name} removed")),
        })
        .collect()
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
) -> Result<Received, ProbeFailure>
where
    F: FnMut(Hop) -> Fut,
    Fut: Future<Output = Result<Received, ProbeFailure>>,
{
    let mut hop = first;
    let mut requests = 0;
    loop {
        let received = send(hop.clone()).await?;
        requests += 1;
        let Some(next) = hop.follow(&received)? else {
            return Ok(received);
        };
        if requests >= max_redirects {
            return Err(ProbeFailure::TooManyRedirects(max_redirects));
        }
        hop = next;
    }
}

/// `path` (which may carry a query), checked with the layer's path rules.
///
/// # Panics
/// If the part before `?` is not a path [`HealthcheckLayer::new`] accepts.
///
/// [`HealthcheckLayer::new`]: crate::HealthcheckLayer::new
#[track_caller]
pub(crate) fn healthcheck_path(path: String) -> String {
    let without_query = path.split('?').next().unwrap_or_default();
    if let Err(problem) = crate::layer::check_path(without_query) {
        panic!("{problem}, not {path:?}");
    }
    path
}

/// Redirect limit of Go's default client and of the kubelet.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// Sends `hop` through a clone of `service` (polled ready first), as
/// `axum::serve` would, marked with `probe`.
pub(crate) async fn send_in_process<S, RB>(
    service: &S,
    hop: Hop,
    probe: &InProcessProbe,
) -> Result<Received, ProbeFailure>
where
    S: Service<Request<Body>, Response = Response<RB>> + Clone,
    S::Error: fmt::Display,
{
    let mut service = service.clone();
    let mut request = hop
        .in_process_request()
        .map_err(|_| ProbeFailure::BadRedirect {
            location: hop.target.clone(),
        })?;
    probe.take();
    request.extensions_mut().insert(probe.clone());
    poll_fn(|cx| service.poll_ready(cx))
        .await
        .map_err(|e| ProbeFailure::Service(e.to_string()))?;
    let response = service
        .call(request)
        .await
        .map_err(|e| ProbeFailure::Service(e.to_string()))?;
    let mut received = Received::new(response.status(), response.headers());
    received.reached = probe.take();
    if let Some(status) = received.reached.and_then(|reached| reached.status) {
        received.changes = changes(status, response.headers());
    }
    Ok(received)
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
            None,
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
        let answer = |location: &str| Received {
            location: Some(location.to_owned()),
            ..Received::new(StatusCode::FOUND, &HeaderMap::new())
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
