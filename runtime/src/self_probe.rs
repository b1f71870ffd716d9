//! The app's binary probing its own readiness path: a Docker `HEALTHCHECK`
//! without curl in the image.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use http::StatusCode;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::probe::{Orchestrator, Probe, ProbeFailure, Received};
use crate::response_head;

/// Sends kamal-proxy's healthcheck to the app's own listening address, for a
/// Docker `HEALTHCHECK` in an image without curl (distroless, `scratch`,
/// `debian:*-slim`): the binary runs as `app healthcheck`, prints who
/// answered, and exits `0` on a `2xx`, `1` otherwise, as Docker expects.
///
/// The request is kamal-proxy's, byte for byte (the one
/// [`Probe::kamal_proxy`](crate::probe::Probe::kamal_proxy) sends): `GET <path> HTTP/1.1`, `Host:
/// 7c7168a662c1:<port>`, `User-Agent: kamal-proxy`, `Accept-Encoding:
/// gzip`, so the answer is the one kamal-proxy would get, from the same
/// route, behind the same layers. A redirect is not followed (a `3xx`
/// fails, as it would once kamal-proxy followed it to a plain-HTTP app's
/// `https://` URL). A listening address of `0.0.0.0` or `[::]` is probed
/// on the loopback address of its family.
///
/// ```no_run
/// use std::process::ExitCode;
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<ExitCode> {
///     let addr: std::net::SocketAddr = "0.0.0.0:3000".parse().unwrap();
///     if std::env::args().nth(1).as_deref() == Some("healthcheck") {
///         // healthy: GET http://127.0.0.1:3000/up: the healthcheck answered 200 OK
///         return Ok(axum_kamal::SelfProbe::new(addr).run().await);
///     }
///     // ... bind `addr` and serve the app
/// #   Ok(ExitCode::SUCCESS)
/// }
/// ```
///
/// ```dockerfile
/// HEALTHCHECK --interval=5s --timeout=5s --start-period=30s CMD ["/app", "healthcheck"]
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelfProbe {
    addr: SocketAddr,
    /// kamal-proxy's probe, to the port of `addr`, over TCP.
    probe: Probe,
}

impl SelfProbe {
    /// Probes the app listening on `addr` (`0.0.0.0` and `[::]` mean the
    /// loopback address) at [`DEFAULT_PATH`](crate::DEFAULT_PATH), giving
    /// up after kamal-proxy's 5 s.
    ///
    /// ```
    /// use axum_kamal::SelfProbe;
    ///
    /// let probe = SelfProbe::new("0.0.0.0:3000".parse().unwrap());
    /// assert_eq!(probe.addr(), "127.0.0.1:3000".parse().unwrap());
    /// assert_eq!(
    ///     probe.request_bytes(),
    ///     b"GET /up HTTP/1.1\r\nHost: 7c7168a662c1:3000\r\nUser-Agent: kamal-proxy\r\nAccept-Encoding: gzip\r\n\r\n"
    /// );
    /// ```
    #[must_use]
    pub fn new(addr: SocketAddr) -> Self {
        let ip = match addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        Self {
            addr: SocketAddr::new(ip, addr.port()),
            probe: Probe::kamal_proxy().port(addr.port()).peer_addr(None),
        }
    }

    /// Probes `path` instead: the app's readiness path
    /// (`#[kamal_app(path = ..)]`, Kamal's `proxy.healthcheck.path`).
    ///
    /// # Panics
    /// If `path` breaks the rules of [`HealthcheckLayer::new`](crate::HealthcheckLayer::new).
    ///
    /// ```
    /// let probe = axum_kamal::SelfProbe::new("127.0.0.1:3000".parse().unwrap()).path("/healthz");
    /// assert!(probe.request_bytes().starts_with(b"GET /healthz HTTP/1.1\r\n"));
    /// ```
    #[must_use]
    #[track_caller]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.probe = self.probe.path(path);
        self
    }

    /// How long the connection and the answer's head may take (default
    /// 5 s). Keep it below the `HEALTHCHECK --timeout`.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.probe = self.probe.timeout(timeout);
        self
    }

    /// The address probed.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The request, as written on the connection.
    #[must_use]
    pub fn request_bytes(&self) -> Vec<u8> {
        self.probe.request_bytes()
    }

    /// Sends the probe and returns the `2xx` status, or why kamal-proxy
    /// would count it failed: [`ProbeFailure::NotReady`] when the
    /// healthcheck itself answered `503`, [`ProbeFailure::Status`] when
    /// something else answered, [`ProbeFailure::Connect`] when nothing
    /// listens, [`ProbeFailure::Timeout`] when no answer came in time.
    ///
    /// # Errors
    /// As above.
    pub async fn check(&self) -> Result<StatusCode, ProbeFailure> {
        self.received()
            .await
            .and_then(|answer| answer.judge(Orchestrator::KamalProxy))
    }

    /// Sends the probe, prints one line saying who answered on standard
    /// output (where Docker keeps it, in `docker inspect`'s health log) and
    /// returns the exit status Docker's `HEALTHCHECK` expects: success on a
    /// `2xx`, `1` otherwise.
    pub async fn run(&self) -> ExitCode {
        let outcome = self.received().await;
        println!(
            "{}",
            Report {
                probe: self,
                outcome: &outcome
            }
        );
        match outcome.and_then(|answer| answer.judge(Orchestrator::KamalProxy)) {
            Ok(_) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        }
    }

    async fn received(&self) -> Result<Received, ProbeFailure> {
        let timeout = self.probe.timeout;
        tokio::time::timeout(timeout, self.exchange())
            .await
            .unwrap_or(Err(ProbeFailure::Timeout(timeout)))
    }

    async fn exchange(&self) -> Result<Received, ProbeFailure> {
        let mut stream =
            TcpStream::connect(self.addr)
                .await
                .map_err(|e| ProbeFailure::Connect {
                    target: self.addr.to_string(),
                    kind: e.kind(),
                    message: e.to_string(),
                })?;
        let broken = |e: io::Error| ProbeFailure::InvalidResponse(e.to_string());
        stream
            .write_all(&self.request_bytes())
            .await
            .map_err(broken)?;
        response_head::read(&mut stream).await
    }
}

/// The line [`SelfProbe::run`] prints: `healthy: GET http://127.0.0.1:3000/up:
/// the healthcheck answered 200 OK`.
struct Report<'a> {
    probe: &'a SelfProbe,
    outcome: &'a Result<Received, ProbeFailure>,
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { probe, outcome } = self;
        let judged = match outcome {
            Ok(answer) => answer
                .judge(Orchestrator::KamalProxy)
                .map(|status| (answer, status)),
            Err(failure) => Err(failure.clone()),
        };
        let verdict = if judged.is_ok() {
            "healthy"
        } else {
            "unhealthy"
        };
        write!(
            f,
            "{verdict}: GET http://{}{}: ",
            probe.addr, probe.probe.path
        )?;
        match judged {
            Ok((answer, status)) if answer.healthcheck == Some(true) => {
                write!(f, "the healthcheck answered {status}")
            }
            Ok((_, status)) => write!(
                f,
                "{status}, not the healthcheck's own answer (a route or layer in front of it)"
            ),
            Err(failure) => write!(f, "{failure}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_addresses_mean_loopback() {
        let v6 = SelfProbe::new("[::]:8080".parse().unwrap());
        assert_eq!(v6.addr(), "[::1]:8080".parse().unwrap());
        let own = SelfProbe::new("10.0.0.5:80".parse().unwrap());
        assert_eq!(own.addr(), "10.0.0.5:80".parse().unwrap());
    }
}
