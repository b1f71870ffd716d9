//! An app whose readiness is a real `SELECT 1` on PostgreSQL, through the
//! same connection pool its handlers use.
//!
//! The driver is [`tokio_postgres`]: asynchronous, pure Rust, no database
//! needed at compile time, and a small dependency tree (no TLS here: add
//! `postgres-native-tls` or `tokio-postgres-rustls` to reach a server over an
//! untrusted network). [`deadpool_postgres`] pools its connections: a
//! connection the server closed is dropped when the pool hands it out again
//! (`RecyclingMethod::Fast` checks `Client::is_closed`), so the app
//! reconnects by itself once the database is back.
//!
//! `GET /up` ([`app`]) answers `503 Service Unavailable` while `SELECT 1`
//! fails or takes longer than [`CHECK_TIMEOUT`]; a result answers the probes
//! of the next [`CACHE_WINDOW`], so the database sees at most one `SELECT 1`
//! per window however many probes arrive. `GET /livez` always answers `200`,
//! and the JSON report (with [`HEALTH_SECRET_HEADER`]) names the
//! [`POSTGRES_CHECK`] and the driver's error.

use std::env;
use std::error::Error;
use std::str::FromStr;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum_kamal::{Health, ShutdownHandle};
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod};
use tokio_postgres::NoTls;
use tower::{BoxError, ServiceBuilder};
use tower_allowed_hosts::AllowedHostLayer;

use crate::{
    ALLOWED_HOSTS_VAR, AllowedHosts, DEFAULT_ALLOWED_HOSTS, HEALTH_SECRET_HEADER, HEALTH_SECRET_VAR,
};

/// Environment variable holding the PostgreSQL connection string, as a URL
/// (`postgres://user:password@host:5432/db`) or in `key=value` form
/// (`host=/run/postgresql user=app`).
pub const DATABASE_URL_VAR: &str = "DATABASE_URL";

/// Connection string used when [`DATABASE_URL_VAR`] is unset: a local
/// server's `postgres` user, as Debian's `postgresql` package sets it up.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Name of the `SELECT 1` check in the JSON report and the logs.
pub const POSTGRES_CHECK: &str = "postgres";

/// How long `SELECT 1` (including opening a connection when the pool has
/// none) may take before readiness fails. Well under kamal-proxy's 5 s probe
/// timeout.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a `SELECT 1` result answers later probes. A stopped database is
/// reported within `CACHE_WINDOW + CHECK_TIMEOUT`.
pub const CACHE_WINDOW: Duration = Duration::from_millis(500);

/// Connections the pool keeps at most, shared by the handlers and the check.
pub const POOL_SIZE: usize = 4;

/// A connection pool for `database_url` ([`DATABASE_URL_VAR`]'s format).
/// It connects lazily: the app starts, and `/up` answers `503`, while the
/// database is down.
///
/// # Errors
/// If `database_url` is not a valid connection string.
pub fn pool(database_url: &str) -> Result<Pool, tokio_postgres::Error> {
    let pg_config = tokio_postgres::Config::from_str(database_url)?;
    let manager = Manager::from_config(
        pg_config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(POOL_SIZE)
        .build()
        // Only pool timeouts need a runtime, and none is set: the readiness
        // check has its own timeout.
        .expect("a pool without timeouts always builds");
    Ok(pool)
}

/// Runs `SELECT 1` on a connection from `pool`, opening one if the pool has
/// none alive.
///
/// # Errors
/// The driver's error with its causes, for the logs and the JSON report:
/// the connection could not be opened (`error connecting to server:
/// Connection refused (os error 111)` while the server is down) or the query
/// failed.
pub async fn select_one(pool: Pool) -> Result<(), String> {
    let client = pool.get().await.map_err(|error| match error {
        PoolError::Backend(error) => with_causes(&error),
        other => other.to_string(),
    })?;
    // The simple query protocol: one round trip, no prepared statement.
    client
        .batch_execute("SELECT 1")
        .await
        .map_err(|error| with_causes(&error))
}

/// `error: cause: cause's cause ...`. tokio-postgres' `Display` names only
/// the kind of failure (`error connecting to server`) and keeps the reason in
/// `Error::source` (tokio-postgres 0.7.18, `src/error/mod.rs`).
fn with_causes(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text = format!("{text}: {error}");
        cause = error.source();
    }
    text
}

/// Runtime configuration of the PostgreSQL example app.
#[derive(Clone)]
pub struct Config {
    /// The pool shared by the handlers and [`select_one`].
    pub pool: Pool,
    /// Hosts accepted by the host validation layer; every other `Host` gets
    /// a `400 Bad Request` (kamal-proxy's probe included, without
    /// `#[kamal_app]`).
    pub allowed_hosts: AllowedHosts,
    /// Secret that unlocks the JSON health report in
    /// [`HEALTH_SECRET_HEADER`]; `None`: no report. (No `Debug` on this type,
    /// so the secret is never logged by accident.)
    pub health_secret: Option<String>,
    /// Starts the shutdown drain (see [`crate::Config::shutdown`]).
    pub shutdown: ShutdownHandle,
}

impl Config {
    /// `pool` with [`DEFAULT_ALLOWED_HOSTS`], no health secret and a fresh
    /// shutdown handle.
    #[must_use]
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            allowed_hosts: AllowedHosts::parse(DEFAULT_ALLOWED_HOSTS),
            health_secret: None,
            shutdown: ShutdownHandle::new(),
        }
    }

    /// Reads [`DATABASE_URL_VAR`] (default [`DEFAULT_DATABASE_URL`]),
    /// [`ALLOWED_HOSTS_VAR`] and [`HEALTH_SECRET_VAR`] from the process
    /// environment.
    ///
    /// # Errors
    /// If `DATABASE_URL` is not a valid connection string.
    pub fn from_env() -> Result<Self, tokio_postgres::Error> {
        let non_blank = |name| env::var(name).ok().filter(|value| !value.trim().is_empty());
        let database_url =
            non_blank(DATABASE_URL_VAR).unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let mut config = Self::new(pool(&database_url)?);
        if let Some(hosts) = non_blank(ALLOWED_HOSTS_VAR) {
            config.allowed_hosts = AllowedHosts::parse(&hosts);
        }
        config.health_secret = non_blank(HEALTH_SECRET_VAR);
        Ok(config)
    }

    /// The same configuration with a [`health_secret`](Config::health_secret).
    #[must_use]
    pub fn with_health_secret(mut self, secret: impl Into<String>) -> Self {
        self.health_secret = Some(secret.into());
        self
    }
}

/// The readiness of [`app`]: a required [`POSTGRES_CHECK`] running
/// [`select_one`], bounded by [`CHECK_TIMEOUT`] and reused for
/// [`CACHE_WINDOW`], the JSON report behind [`Config::health_secret`], and
/// [`Config::shutdown`] as the drain handle.
#[must_use]
pub fn readiness(config: &Config) -> Health {
    let pool = config.pool.clone();
    let mut health = Health::new()
        .with_shutdown(config.shutdown.clone())
        .check(POSTGRES_CHECK, move || select_one(pool.clone()))
        .timeout(CHECK_TIMEOUT)
        .cache_ttl(CACHE_WINDOW);
    if let Some(secret) = &config.health_secret {
        health = health.details_secret(HEALTH_SECRET_HEADER, secret.as_str());
    }
    health
}

/// `GET /`: the server's version, read through the pool the readiness check
/// uses.
async fn server_version(State(pool): State<Pool>) -> Result<String, StatusCode> {
    let client = pool
        .get()
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let row = client
        .query_one("SELECT version()", &[])
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(format!("{}\n", row.get::<_, String>(0)))
}

/// Any [`AllowedHostLayer`] error (a host missing, invalid or not allowed) is
/// a `400`.
async fn host_rejected(_: BoxError) -> StatusCode {
    StatusCode::BAD_REQUEST
}

/// The PostgreSQL example router: `GET /` reads the server's version behind
/// host validation, and kamal-proxy's `GET /up` is answered before host
/// validation runs, `200 OK` while [`select_one`] passes and `503` otherwise
/// (see [`readiness`]). `GET /livez` answers `200 OK` without touching the
/// database.
#[axum_kamal::kamal_app(health = readiness(config), liveness = "/livez")]
pub fn app(config: &Config) -> Router {
    Router::new()
        .route("/", get(server_version))
        .with_state(config.pool.clone())
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(host_rejected))
                .layer(AllowedHostLayer::new(config.allowed_hosts.clone())),
        )
}
