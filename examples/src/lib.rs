//! The quickstart app of axum-kamal: a realistic axum service that Kamal 2's
//! kamal-proxy could never deploy on its own.
//!
//! kamal-proxy probes a new container with exactly
//!
//! ```text
//! GET /up HTTP/1.1
//! Host: 7c7168a662c1:3000
//! User-Agent: kamal-proxy
//! Accept-Encoding: gzip
//! ```
//!
//! over plain HTTP, without any `X-Forwarded-*` header, and switches traffic
//! only after a `2xx`. This app validates the `Host` header with
//! [`tower_allowed_hosts`] and redirects plain HTTP to HTTPS, so that probe
//! gets a `400` (or a `301` to an `https://` URL that fails TLS) and the
//! deploy never finishes.
//!
//! [`app`] carries `#[axum_kamal::kamal_app]`, which answers the probe before
//! any of those layers runs. [`app_without_healthcheck`] is the very same
//! router without the attribute, generated from the same source, so tests can
//! compare the two.
//!
//! The healthcheck is also a real readiness check ([`readiness`]): when
//! [`DATABASE_ADDR_VAR`] is set, `/up` answers `503` while a TCP connection to
//! that address cannot be opened, and from the moment shutdown starts
//! ([`Config::shutdown`]). `/livez` is a liveness path that always answers
//! `200` while the process serves, and [`HEALTH_SECRET_VAR`] unlocks a JSON
//! report on `/up` for requests carrying [`HEALTH_SECRET_HEADER`].
//!
//! [`serve`] is the whole of `main` after the bind: it answers `/livez`
//! `200` and `/up` `503` while [`start`] runs, serves [`app`] once it is
//! done, and drains on `SIGTERM`; [`healthcheck`] is the binary probing
//! itself for Docker's `HEALTHCHECK`.
//!
//! [`postgres`] is a second app whose readiness runs `SELECT 1` on a real
//! PostgreSQL server.

use std::env;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{Request, State};
use axum::http::header::{HOST, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use axum_kamal::{Health, SelfProbe, ShutdownHandle};
use tokio::net::{TcpListener, TcpStream};
use tower::{BoxError, ServiceBuilder};
use tower_allowed_hosts::matcher::Matcher;
use tower_allowed_hosts::{AllowedHostLayer, Host};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub mod postgres;

/// Environment variable holding the comma-separated allowed host names.
pub const ALLOWED_HOSTS_VAR: &str = "ALLOWED_HOSTS";

/// Host names allowed when [`ALLOWED_HOSTS_VAR`] is unset: enough to curl the
/// app locally on any port.
pub const DEFAULT_ALLOWED_HOSTS: &str = "localhost,127.0.0.1";

/// Environment variable that, when `1`/`true`/`yes`/`on`, also redirects
/// requests that carry no `X-Forwarded-Proto` header (see
/// [`redirect_to_https`]).
pub const FORCE_HTTPS_VAR: &str = "FORCE_HTTPS";

/// Environment variable holding the `host:port` of a dependency (say the
/// database) that must accept TCP connections for the app to be ready. Unset
/// or blank: no dependency check.
pub const DATABASE_ADDR_VAR: &str = "DATABASE_ADDR";

/// Environment variable holding the secret that unlocks the JSON health
/// report (see [`HEALTH_SECRET_HEADER`]). Unset or blank: no report, `/up`
/// only ever answers `OK` or `Service Unavailable`.
pub const HEALTH_SECRET_VAR: &str = "HEALTH_SECRET";

/// Header that carries [`HEALTH_SECRET_VAR`]'s value to get the JSON report:
/// `curl -H "x-health-secret: $HEALTH_SECRET" http://127.0.0.1:3000/up`.
pub const HEALTH_SECRET_HEADER: &str = "x-health-secret";

/// Environment variable holding the listen address (`host:port`); port `0`
/// picks a free one. `quickstart healthcheck` probes it.
pub const ADDR_VAR: &str = "ADDR";

/// The listen address when [`ADDR_VAR`] is unset.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// Environment variable holding how long, in milliseconds, the startup
/// takes before the app is built (default 0): it stands for the migrations
/// and warm-up of a real app, during which [`serve`] answers `/livez` `200`
/// and `/up` `503`.
pub const STARTUP_DELAY_VAR: &str = "STARTUP_DELAY_MS";

/// Environment variable holding how long, in milliseconds, the server keeps
/// accepting connections after `SIGTERM`, `/up` already `503` (default 0;
/// see [`ShutdownHandle::signal_with_delay`]).
pub const DRAIN_DELAY_VAR: &str = "DRAIN_DELAY_MS";

/// The liveness path: `200 OK` without running checks, even while shutting
/// down ([`app`]'s `#[kamal_app(liveness = LIVENESS_PATH)]`).
pub const LIVENESS_PATH: &str = "/livez";

/// Name of the [`DATABASE_ADDR_VAR`] check in the JSON report and the logs.
pub const DATABASE_CHECK: &str = "database";

/// The set of host names the app answers to, usable as a
/// [`tower_allowed_hosts`] matcher.
///
/// Names are compared case-insensitively and the port is ignored, so
/// `localhost` allows `Host: localhost:3000` as well as `Host: localhost`.
/// Write IPv6 addresses in brackets (`[::1]`), as they appear in `Host`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedHosts(Arc<[String]>);

impl AllowedHosts {
    /// Parses a comma-separated list such as `example.com, localhost`.
    ///
    /// Blank entries are skipped and a port written in an entry is ignored.
    #[must_use]
    pub fn parse(list: &str) -> Self {
        Self(
            list.split(',')
                .map(|entry| strip_port(entry.trim()).to_ascii_lowercase())
                .filter(|name| !name.is_empty())
                .collect(),
        )
    }
}

impl fmt::Display for AllowedHosts {
    /// The list as [`AllowedHosts::parse`] reads it: `localhost,127.0.0.1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

impl Matcher for AllowedHosts {
    fn matches_value(&self, host: &str) -> bool {
        let name = strip_port(host.trim());
        self.0
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(name))
    }
}

/// `example.com:3000` → `example.com`, `[::1]:3000` → `::1`; a value without
/// a port is returned unchanged.
fn strip_port(authority: &str) -> &str {
    if let Some(bracketed) = authority.strip_prefix('[') {
        return bracketed.split_once(']').map_or(authority, |(ip, _)| ip);
    }
    match authority.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => authority,
    }
}

/// Runtime configuration of the quickstart app.
///
/// Clones share the same [`shutdown`](Config::shutdown) handle.
#[derive(Clone)]
pub struct Config {
    /// Hosts accepted by the host validation layer; every other `Host` gets a
    /// `400 Bad Request`.
    pub allowed_hosts: AllowedHosts,
    /// Treat requests without `X-Forwarded-Proto` as plain HTTP and redirect
    /// them too, like Rails' `force_ssl` (see [`redirect_to_https`]).
    pub force_https: bool,
    /// `host:port` that must accept a TCP connection for `/up` to answer
    /// `200` ([`DATABASE_ADDR_VAR`]); `None`: no dependency check.
    pub database_addr: Option<String>,
    /// Secret that unlocks the JSON health report in
    /// [`HEALTH_SECRET_HEADER`] ([`HEALTH_SECRET_VAR`]); `None`: no report.
    /// Never shown by `Debug`.
    pub health_secret: Option<String>,
    /// The listen address ([`ADDR_VAR`], default [`DEFAULT_ADDR`]).
    pub addr: String,
    /// How long the startup takes before the app is built
    /// ([`STARTUP_DELAY_VAR`]).
    pub startup_delay: Duration,
    /// How long the server keeps accepting after `SIGTERM`
    /// ([`DRAIN_DELAY_VAR`]).
    pub drain_delay: Duration,
    /// Starts the shutdown drain: from [`ShutdownHandle::trigger`] (or
    /// `SIGTERM` / Ctrl-C through [`ShutdownHandle::signal`]) on, `/up`
    /// answers `503` while in-flight requests finish.
    pub shutdown: ShutdownHandle,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("allowed_hosts", &self.allowed_hosts)
            .field("force_https", &self.force_https)
            .field("database_addr", &self.database_addr)
            .field(
                "health_secret",
                &self.health_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("shutdown", &self.shutdown)
            .field("addr", &self.addr)
            .field("startup_delay", &self.startup_delay)
            .field("drain_delay", &self.drain_delay)
            .finish()
    }
}

impl Config {
    /// Reads [`ALLOWED_HOSTS_VAR`], [`FORCE_HTTPS_VAR`],
    /// [`DATABASE_ADDR_VAR`], [`HEALTH_SECRET_VAR`], [`ADDR_VAR`],
    /// [`STARTUP_DELAY_VAR`] and [`DRAIN_DELAY_VAR`] from the process
    /// environment.
    #[must_use]
    pub fn from_env() -> Self {
        Self::from_lookup(|name| env::var(name).ok())
    }

    /// Builds the configuration from `var`, which returns the value of an
    /// environment variable or `None` when it is unset (see
    /// [`Config::from_env`]).
    #[must_use]
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Self {
        let non_blank = |name| var(name).filter(|value: &String| !value.trim().is_empty());
        let mut config = Self::from_vars(
            var(ALLOWED_HOSTS_VAR).as_deref(),
            var(FORCE_HTTPS_VAR).as_deref(),
        );
        config.database_addr = non_blank(DATABASE_ADDR_VAR).map(|addr| addr.trim().to_owned());
        config.health_secret = non_blank(HEALTH_SECRET_VAR);
        if let Some(addr) = non_blank(ADDR_VAR) {
            config.addr = addr.trim().to_owned();
        }
        // Milliseconds; a blank or unreadable value is 0 (main prints the
        // value it took).
        let millis = |name| {
            Duration::from_millis(
                non_blank(name)
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0),
            )
        };
        config.startup_delay = millis(STARTUP_DELAY_VAR);
        config.drain_delay = millis(DRAIN_DELAY_VAR);
        config
    }

    /// Builds the configuration from the values of [`ALLOWED_HOSTS_VAR`] and
    /// [`FORCE_HTTPS_VAR`] (`None` when unset), without a dependency check or
    /// health secret, on [`DEFAULT_ADDR`], without startup or drain delay.
    #[must_use]
    pub fn from_vars(allowed_hosts: Option<&str>, force_https: Option<&str>) -> Self {
        let force_https = force_https.is_some_and(|value| {
            ["1", "true", "yes", "on"]
                .iter()
                .any(|yes| value.trim().eq_ignore_ascii_case(yes))
        });
        Self {
            allowed_hosts: AllowedHosts::parse(allowed_hosts.unwrap_or(DEFAULT_ALLOWED_HOSTS)),
            force_https,
            database_addr: None,
            health_secret: None,
            shutdown: ShutdownHandle::new(),
            addr: DEFAULT_ADDR.to_owned(),
            startup_delay: Duration::ZERO,
            drain_delay: Duration::ZERO,
        }
    }

    /// The same configuration with a [`database_addr`](Config::database_addr).
    #[must_use]
    pub fn with_database_addr(mut self, addr: impl Into<String>) -> Self {
        self.database_addr = Some(addr.into());
        self
    }

    /// The same configuration with a [`health_secret`](Config::health_secret).
    #[must_use]
    pub fn with_health_secret(mut self, secret: impl Into<String>) -> Self {
        self.health_secret = Some(secret.into());
        self
    }
}

impl Default for Config {
    /// [`DEFAULT_ALLOWED_HOSTS`], no forced HTTPS.
    fn default() -> Self {
        Self::from_vars(None, None)
    }
}

/// Middleware that redirects plain-HTTP requests to HTTPS with a
/// `301 Moved Permanently`, keyed on `X-Forwarded-Proto` as set by a
/// TLS-terminating proxy such as kamal-proxy.
///
/// A request counts as plain HTTP when `X-Forwarded-Proto` is present and is
/// not `https`. A request without the header (curl on your laptop, or
/// kamal-proxy's healthcheck) is served as is, unless `force_https` (the
/// state, from [`FORCE_HTTPS_VAR`]) is on: then it is redirected too, which is
/// what `force_ssl`-style middleware does in production and what sends
/// kamal-proxy's probe to `https://7c7168a662c1:3000/up`.
pub async fn redirect_to_https(
    State(force_https): State<bool>,
    request: Request,
    next: Next,
) -> Response {
    let plain_http = match request.headers().get("x-forwarded-proto") {
        Some(proto) => !proto.as_bytes().eq_ignore_ascii_case(b"https"),
        None => force_https,
    };
    if !plain_http {
        return next.run(request).await;
    }
    match https_location(&request) {
        Some(location) => (StatusCode::MOVED_PERMANENTLY, [(LOCATION, location)]).into_response(),
        None => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// `https://{Host}{path and query}` for `request`, if its `Host` is usable.
fn https_location(request: &Request) -> Option<HeaderValue> {
    let host = request.headers().get(HOST)?.to_str().ok()?;
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    HeaderValue::try_from(format!("https://{host}{path}")).ok()
}

/// Maps the errors of [`AllowedHostLayer`] (a host that is missing, invalid or
/// not allowed) to `400 Bad Request`.
async fn reject_host(error: BoxError) -> (StatusCode, String) {
    if error.is::<tower_allowed_hosts::Error>() {
        (StatusCode::BAD_REQUEST, format!("{error}\n"))
    } else {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error\n".to_owned(),
        )
    }
}

async fn index() -> &'static str {
    "Hello from the axum-kamal quickstart!\n"
}

async fn whoami(Extension(Host(host)): Extension<Host>) -> String {
    format!("You reached {host}\n")
}

/// The quickstart's readiness checks, run by `/up` (see [`app`]):
///
/// - with [`Config::database_addr`], a required check named
///   [`DATABASE_CHECK`] that opens a TCP connection to it ([`tcp_connect`]);
/// - with [`Config::health_secret`], the JSON report for requests carrying it
///   in [`HEALTH_SECRET_HEADER`];
/// - [`Config::shutdown`] as the drain handle.
///
/// Defaults otherwise: each check times out after 800 ms and a result answers
/// the probes of the next second.
#[must_use]
pub fn readiness(config: &Config) -> Health {
    let mut health = Health::new().with_shutdown(config.shutdown.clone());
    if let Some(addr) = &config.database_addr {
        let addr: Arc<str> = addr.as_str().into();
        health = health.check(DATABASE_CHECK, move || tcp_connect(Arc::clone(&addr)));
    }
    if let Some(secret) = &config.health_secret {
        health = health.details_secret(HEALTH_SECRET_HEADER, secret.as_str());
    }
    health
}

/// Opens a TCP connection to `addr` (`host:port`, resolved on every call) and
/// closes it at once: the cheapest proof that a dependency is reachable.
/// A real app would rather run `SELECT 1` on its pool.
///
/// # Errors
/// If the name does not resolve or the connection fails; the error names
/// `addr` (it only shows in the logs and the JSON report).
pub async fn tcp_connect(addr: Arc<str>) -> io::Result<()> {
    match TcpStream::connect(&*addr).await {
        Ok(_stream) => Ok(()),
        Err(error) => Err(io::Error::new(
            error.kind(),
            format!("connect to {addr}: {error}"),
        )),
    }
}

/// Defines the quickstart router constructor under the given name and
/// attributes, so the app with and without `#[kamal_app]` share one source.
/// The parameter's name is given at the call site, where the attribute's
/// `health = ..` expression can see it (macro hygiene).
macro_rules! quickstart_app {
    ($(#[$attr:meta])* $name:ident($config:ident)) => {
        $(#[$attr])*
        pub fn $name($config: &Config) -> Router {
            Router::new()
                .route("/", get(index))
                .route("/whoami", get(whoami))
                // `Router::layer` calls run bottom-to-top: tracing first, then
                // host validation, then the HTTPS redirect, then the routes.
                .layer(from_fn_with_state($config.force_https, redirect_to_https))
                .layer(
                    ServiceBuilder::new()
                        .layer(HandleErrorLayer::new(reject_host))
                        .layer(AllowedHostLayer::new($config.allowed_hosts.clone())),
                )
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
        }
    };
}

quickstart_app! {
    #[axum_kamal::kamal_app(health = readiness(config), liveness = LIVENESS_PATH)]
    /// The quickstart router: `GET /` and `GET /whoami` behind request
    /// tracing, host validation and the HTTPS redirect, with kamal-proxy's
    /// `GET /up` answered before any of them runs: `200 OK` when the
    /// [`readiness`] checks pass, `503` when one fails or shutdown has
    /// started. `GET /livez` ([`LIVENESS_PATH`]) answers `200 OK` without
    /// running checks.
    app(config)
}

quickstart_app! {
    /// [`app`] without `#[kamal_app]`: kamal-proxy's probe is rejected by
    /// host validation (`400`), or redirected to HTTPS when its host is
    /// allowed and `force_https` is on (`301`).
    app_without_healthcheck(config)
}

/// The quickstart's startup, run by [`serve`] while the listener already
/// answers: waits [`Config::startup_delay`] (where a real app runs its
/// migrations and connects its pool), builds [`app`] and runs the
/// [`preflight`](axum_kamal::preflight()) on it, with the address the app
/// is served on (`serving_on`: its port goes in the probes' `Host`).
///
/// # Errors
/// The preflight's, when a layer answers a probe before the healthcheck.
pub async fn start(config: Config, serving_on: SocketAddr) -> io::Result<Router> {
    tokio::time::sleep(config.startup_delay).await;
    let app = app(&config);
    // Fails, with the fix, if a layer added around `app` answers
    // kamal-proxy's or the kubelet's probe before the healthcheck does.
    axum_kamal::preflight(&app, serving_on).await?;
    Ok(app)
}

/// Serves the quickstart on `listener` as `main` does: `/livez` `200` and
/// `/up` `503` from the first moment, the app once [`start`] is done; on
/// `SIGTERM` or Ctrl-C `/up` answers `503`, the server keeps accepting for
/// [`Config::drain_delay`] (a second signal cuts it short), then stops
/// accepting and lets in-flight requests finish.
///
/// # Errors
/// The startup's, or the listener's.
pub async fn serve(config: Config, listener: TcpListener) -> io::Result<()> {
    let drain = config.shutdown.signal_with_delay(config.drain_delay);
    let serving_on = listener.local_addr()?;
    axum_kamal::serve(listener, start(config, serving_on))
        .liveness(LIVENESS_PATH)
        .with_graceful_shutdown(drain)
        .await
}

/// `quickstart healthcheck`: kamal-proxy's probe of `/up` on
/// [`Config::addr`] (`0.0.0.0` means `127.0.0.1`), with what answered
/// printed; success on a `2xx`, `1` otherwise (Docker's `HEALTHCHECK`).
pub async fn healthcheck(config: &Config) -> ExitCode {
    match resolve(&config.addr).await {
        Ok(addr) => SelfProbe::new(addr).run().await,
        Err(error) => {
            println!("unhealthy: {ADDR_VAR}={}: {error}", config.addr);
            ExitCode::FAILURE
        }
    }
}

/// The first socket address `addr` (`host:port`) resolves to.
async fn resolve(addr: &str) -> io::Result<SocketAddr> {
    tokio::net::lookup_host(addr)
        .await?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "resolves to no address"))
}
