//! The PostgreSQL example (`examples/src/postgres.rs`) against a real
//! PostgreSQL server: a private cluster this test creates with `initdb` and
//! starts, stops and restarts with `pg_ctl`, probed by kamal-proxy's exact
//! request over real TCP.
//!
//! The PostgreSQL server binaries are found in `POSTGRES_BIN_DIR`, else in
//! Debian's `/usr/lib/postgresql/<major>/bin` (newest major), else on `PATH`.
//! Without them the test is skipped with a loud message, unless
//! `AXUM_KAMAL_REQUIRE_POSTGRES=1` (set by `.ci/run`, which installs Debian's
//! `postgresql`): then it fails. PostgreSQL refuses to run as root, so as
//! root the cluster belongs to, and runs as, the `postgres` user (created by
//! Debian's package) through `runuser`.

use std::env;
use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum_kamal::healthcheck;
use axum_kamal_examples::HEALTH_SECRET_HEADER;
use axum_kamal_examples::postgres::{
    CACHE_WINDOW, CHECK_TIMEOUT, Config, POSTGRES_CHECK, app, pool, readiness,
};
use axum_kamal_tests::{
    KAMAL_PROBE, Reply, TestServer, assert_healthy, assert_unavailable, assert_unavailable_because,
    kamal_probe_bytes, kamal_probe_bytes_with,
};
use serde_json::Value;
use tempfile::TempDir;
use tokio::time::Instant;

/// Set to `1` to fail instead of skipping when PostgreSQL is not installed.
const REQUIRE_VAR: &str = "AXUM_KAMAL_REQUIRE_POSTGRES";

/// Directory holding `initdb` and `pg_ctl`, overriding the search.
const BIN_DIR_VAR: &str = "POSTGRES_BIN_DIR";

/// The user PostgreSQL runs as when the test runs as root.
const POSTGRES_USER: &str = "postgres";

/// The details secret of the app under test.
const SECRET: &str = "a-long-random-test-secret";

/// How often the test probes while it waits for `/up` to change.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The longest `/up` may keep its old answer after the database changes: the
/// cached result expires within [`CACHE_WINDOW`], the next probe's check
/// finishes within [`CHECK_TIMEOUT`], and that probe is sent within one
/// [`POLL_INTERVAL`] of the expiry.
const ANSWER_CHANGES_WITHIN: Duration = CACHE_WINDOW
    .saturating_add(CHECK_TIMEOUT)
    .saturating_add(POLL_INTERVAL);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_a_real_postgres_server() {
    let Some(cluster) = Cluster::create() else {
        return;
    };
    cluster.start().await;
    let config = Config::new(pool(&cluster.url()).expect("valid URL")).with_health_secret(SECRET);
    let server = TestServer::start(app(&config)).await;

    // Up: the probe passes, and the report shows the check passing.
    assert_healthy(&server.exchange(KAMAL_PROBE).await);
    assert_live(&server).await;
    let report = details(&server).await;
    assert_eq!(report["status"], "pass", "{report}");
    assert_eq!(check(&report)["componentId"], POSTGRES_CHECK, "{report}");

    // Stopped: 503 within the check timeout plus the cache window, with
    // nothing about the database in the public answer.
    cluster.stop().await;
    let down = wait_for(&server, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_unavailable(&down);
    assert_live(&server).await;

    // Behind the secret, the report names the check and the driver's error.
    // After one cache window the check has run again on a pool whose
    // connections the server closed: it fails to connect.
    tokio::time::sleep(CACHE_WINDOW).await;
    let report = details(&server).await;
    eprintln!("the report while the server is stopped: {report}");
    assert_eq!(report["status"], "fail", "{report}");
    let postgres = check(&report);
    assert_eq!(postgres["componentId"], POSTGRES_CHECK, "{report}");
    assert_eq!(postgres["status"], "fail", "{report}");
    let error = postgres["output"].as_str().expect("an error message");
    assert!(
        error.contains("error connecting to server: Connection refused"),
        "the driver's connect error, got {error:?}"
    );

    // Restarted: the pool reconnects and the probe passes again.
    cluster.start().await;
    let up = wait_for(&server, StatusCode::OK).await;
    assert_healthy(&up);
    assert_live(&server).await;
    let report = details(&server).await;
    assert_eq!(report["status"], "pass", "{report}");
}

// The opt-in public reason, for the deploy's output (basecamp/kamal#1917):
// the class and the check's name, never the driver's error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_reason_names_the_check_never_the_driver_error() {
    let Some(cluster) = Cluster::create() else {
        return;
    };
    cluster.start().await;
    let config = Config::new(pool(&cluster.url()).expect("valid URL"));
    let health = readiness(&config).public_reason();
    let layer = healthcheck().liveness("/livez").health(health);
    let server = TestServer::start(Router::new().layer(layer)).await;
    assert_healthy(&server.exchange(KAMAL_PROBE).await);

    // Stopped: the pool's connections are closed and new ones refused, at
    // once, well within the check timeout: `failing`, not `timeout`.
    cluster.stop().await;
    let down = wait_for(&server, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_unavailable_because(&down, &format!("failing: {POSTGRES_CHECK}"));

    cluster.start().await;
    assert_healthy(&wait_for(&server, StatusCode::OK).await);
}

/// Probes `/up` every [`POLL_INTERVAL`] until it answers `status`, checking
/// `/livez` on each round, and returns that answer.
///
/// # Panics
/// If `/up` still answers otherwise after [`ANSWER_CHANGES_WITHIN`].
async fn wait_for(server: &TestServer, status: StatusCode) -> Reply {
    let start = Instant::now();
    loop {
        let reply = server.exchange(KAMAL_PROBE).await;
        if reply.status == status {
            eprintln!("/up answered {status} after {:?}", start.elapsed());
            return reply;
        }
        assert!(
            start.elapsed() <= ANSWER_CHANGES_WITHIN,
            "/up still answers {reply:?} {:?} after the change, expected {status} within {ANSWER_CHANGES_WITHIN:?}",
            start.elapsed()
        );
        assert_live(server).await;
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// `/livez` with kamal-proxy's headers answers `200 OK`, whatever the
/// database does.
async fn assert_live(server: &TestServer) {
    assert_healthy(&server.exchange(&kamal_probe_bytes("GET", "/livez")).await);
}

/// kamal-proxy's probe with the details secret: the JSON report.
/// The PostgreSQL check's entry in an `application/health+json` report.
fn check(report: &Value) -> &Value {
    &report["checks"][format!("{POSTGRES_CHECK}:responseTime")][0]
}

async fn details(server: &TestServer) -> Value {
    let request = kamal_probe_bytes_with("GET", "/up", &[(HEALTH_SECRET_HEADER, SECRET)]);
    let reply = server.exchange(&request).await;
    assert_eq!(
        reply.header("content-type"),
        Some("application/health+json"),
        "{reply:?}"
    );
    serde_json::from_slice(&reply.body).expect("a JSON report")
}

/// A private PostgreSQL cluster in a temporary directory, listening on a free
/// port of 127.0.0.1 only, with `trust` authentication; stopped and removed
/// when dropped.
struct Cluster {
    bin_dir: PathBuf,
    /// `Some` when the test runs as root.
    run_as: Option<&'static str>,
    port: u16,
    data: TempDir,
}

impl Cluster {
    /// Runs `initdb`, or returns `None` (after saying why) when PostgreSQL
    /// is not installed and not required.
    fn create() -> Option<Self> {
        let Some(bin_dir) = find_bin_dir() else {
            let message = format!(
                "PostgreSQL's initdb and pg_ctl were not found in ${BIN_DIR_VAR}, \
                 /usr/lib/postgresql/*/bin or PATH (Debian: apt-get install postgresql)"
            );
            assert!(
                env::var_os(REQUIRE_VAR).is_none_or(|v| v != "1"),
                "{message}; {REQUIRE_VAR}=1 requires them"
            );
            // Straight to stderr: libtest captures `eprintln!` of a passing
            // test, and a skip must be seen.
            let _ = writeln!(
                io::stderr(),
                "\n!!!!! SKIPPED readiness_follows_a_real_postgres_server: {message}\n"
            );
            return None;
        };
        let run_as = running_as_root().then_some(POSTGRES_USER);
        let data = tempfile::Builder::new()
            .prefix("axum-kamal-postgres-")
            .tempdir()
            .expect("temporary directory");
        if let Some(user) = run_as {
            run_blocking(Command::new("chown").arg(user).arg(data.path()));
        }
        let cluster = Self {
            bin_dir,
            run_as,
            port: free_port(),
            data,
        };
        run_blocking(
            cluster
                .command("initdb")
                .args(["--auth=trust", "--encoding=UTF8", "--no-sync"])
                .arg(format!("--username={POSTGRES_USER}"))
                .arg("--pgdata")
                .arg(cluster.data.path()),
        );
        // Loopback only, the socket in the cluster's own directory, and no
        // fsync: a throwaway server.
        let mut conf = OpenOptions::new()
            .append(true)
            .open(cluster.data.path().join("postgresql.conf"))
            .expect("postgresql.conf");
        writeln!(
            conf,
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off",
            cluster.port,
            cluster.data.path().display()
        )
        .expect("write postgresql.conf");
        Some(cluster)
    }

    /// The connection string of the cluster's `postgres` database.
    fn url(&self) -> String {
        format!(
            "postgres://{POSTGRES_USER}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// `pg_ctl start`, waiting until the server accepts connections.
    async fn start(&self) {
        let log = self.data.path().join("server.log");
        self.pg_ctl(&[OsStr::new("start"), OsStr::new("-l"), log.as_os_str()])
            .await;
    }

    /// `pg_ctl stop` in fast mode (sessions are ended, as by a `SIGTERM`
    /// from an orchestrator), waiting until the server has exited.
    async fn stop(&self) {
        self.pg_ctl(&[OsStr::new("stop"), OsStr::new("--mode=fast")])
            .await;
    }

    async fn pg_ctl(&self, args: &[&OsStr]) {
        let mut command = self.command("pg_ctl");
        command
            .args(args)
            .args(["--wait", "--timeout=60", "--pgdata"])
            .arg(self.data.path());
        let output = tokio::process::Command::from(command)
            .output()
            .await
            .expect("run pg_ctl");
        assert!(
            output.status.success(),
            "pg_ctl {args:?} failed: {}{}\nserver log: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            fs::read_to_string(self.data.path().join("server.log")).unwrap_or_default()
        );
    }

    /// `program` from the PostgreSQL binaries, as the cluster's user, in the
    /// cluster's directory (the `postgres` user may not read the current
    /// one).
    fn command(&self, program: &str) -> Command {
        let program = self.bin_dir.join(program);
        let mut command = match self.run_as {
            Some(user) => {
                let mut runuser = Command::new("runuser");
                runuser.args(["-u", user, "--"]).arg(program);
                runuser
            }
            None => Command::new(program),
        };
        command.current_dir(self.data.path());
        command
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Immediate: nothing to keep. Fails harmlessly if already stopped.
        let _ = self
            .command("pg_ctl")
            .args(["stop", "--mode=immediate", "--pgdata"])
            .arg(self.data.path())
            .output();
    }
}

/// Runs `command` to completion.
///
/// # Panics
/// If it cannot start or exits unsuccessfully; the message has its output.
fn run_blocking(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// [`BIN_DIR_VAR`], else Debian's newest `/usr/lib/postgresql/<major>/bin`,
/// else the `PATH` entry holding `initdb`.
fn find_bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = env::var_os(BIN_DIR_VAR) {
        return Some(PathBuf::from(dir)).filter(|dir| has_tools(dir));
    }
    let debian = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major: u32 = entry.file_name().to_str()?.parse().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_tools(bin))
        .max_by_key(|(major, _)| *major)
        .map(|(_, bin)| bin);
    debian.or_else(|| env::split_paths(&env::var_os("PATH")?).find(|dir| has_tools(dir)))
}

fn running_as_root() -> bool {
    let output = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// A port of 127.0.0.1 free right now (the OS picks it).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}
