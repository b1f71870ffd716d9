//! The process-wide drain, in a process of its own: an app whose `Health` is
//! built by one constructor for `#[kamal_app(health = ..)]` and once more in
//! `main` for the graceful shutdown drains on `SIGTERM`.
//!
//! The test binary runs itself as a child (the server, like a container's
//! process) and the parent sends it a real `SIGTERM` and probes it over real
//! TCP with kamal-proxy's exact probe. The drain is process-wide, so only the
//! child's process is drained: no other test shares it.

use std::future::{Future, poll_fn};
use std::process::Stdio;
use std::task::Poll;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use axum_kamal::{Health, ShutdownHandle};
use axum_kamal_tests::{
    KAMAL_PROBE, PROBE_TIMEOUT, RawConnection, assert_healthy, assert_unavailable,
    kamal_probe_bytes,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

/// Set in the child's environment: run the server instead of the test.
const CHILD: &str = "AXUM_KAMAL_PROCESS_DRAIN_CHILD";
/// The child's line announcing its address.
const LISTENING: &str = "listening on ";
/// The child's line once its graceful future has seen the signal.
const DRAINING: &str = "draining";

/// The app's state, as in an app with a database pool.
#[derive(Clone)]
struct AppState {
    db: Db,
}

#[derive(Clone)]
struct Db;

impl Db {
    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The one constructor, called twice: for the app and in "main".
fn readiness(db: &Db) -> Health {
    let db = db.clone();
    Health::new().check("db", move || {
        let db = db.clone();
        async move { db.ping().await }
    })
}

#[axum_kamal::kamal_app(health = readiness(&state.db), liveness = "/livez")]
fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(|State(_): State<AppState>| async { "home" }))
        .with_state(state)
}

/// The child: `main` of a server with the two-constructor pattern. Serves
/// until its standard input closes after the drain started.
async fn serve_until_stdin_closes() {
    let state = AppState { db: Db };
    // The second `Health` from the same constructor, for its handle only.
    let shutdown = readiness(&state.db).shutdown_handle();
    assert!(shutdown.same_as(&ShutdownHandle::process_wide()));
    let graceful = async move {
        shutdown.signal().await;
        println!("{DRAINING}");
        // Keep accepting connections (the drain delay) until the parent is done.
        let mut rest = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut rest).await;
    };
    let mut graceful = Box::pin(graceful);
    // One poll installs the SIGTERM handler before the parent may send it.
    poll_fn(|cx| {
        assert!(graceful.as_mut().poll(cx).is_pending());
        Poll::Ready(())
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    println!("{LISTENING}{}", listener.local_addr().expect("address"));
    axum::serve(listener, app(state))
        .with_graceful_shutdown(graceful)
        .await
        .expect("serve");
}

/// Reads the child's output up to the line starting with `prefix`; returns
/// the rest of that line.
async fn line_starting_with(lines: &mut Lines<BufReader<ChildStdout>>, prefix: &str) -> String {
    let read = async {
        while let Some(line) = lines.next_line().await.expect("child output") {
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.to_owned();
            }
        }
        panic!("the child exited before printing {prefix:?}");
    };
    tokio::time::timeout(PROBE_TIMEOUT, read)
        .await
        .unwrap_or_else(|_| panic!("no {prefix:?} line from the child"))
}

#[tokio::test]
async fn sigterm_drains_a_health_built_twice() {
    if std::env::var_os(CHILD).is_some() {
        return serve_until_stdin_closes().await;
    }
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "sigterm_drains_a_health_built_twice",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run the test binary as the server");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addr = line_starting_with(&mut lines, LISTENING)
        .await
        .parse()
        .expect("socket address");

    let mut connection = RawConnection::open(addr).await;
    assert_healthy(&connection.exchange(KAMAL_PROBE).await);

    let pid = child.id().expect("child pid").to_string();
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("run kill");
    assert!(kill.success());
    line_starting_with(&mut lines, DRAINING).await;

    // The app's `Health` drains although `main` built another one; on the
    // same keep-alive connection and on a new one.
    assert_unavailable(&connection.exchange(KAMAL_PROBE).await);
    assert_unavailable(&RawConnection::open(addr).await.exchange(KAMAL_PROBE).await);
    assert_healthy(
        &connection
            .exchange(&kamal_probe_bytes("GET", "/livez"))
            .await,
    );

    // End of the drain delay: the server stops and the process exits cleanly.
    drop(connection);
    drop(child.stdin.take());
    let status = tokio::time::timeout(PROBE_TIMEOUT, child.wait())
        .await
        .expect("the server stops after the drain")
        .expect("child status");
    assert!(status.success(), "{status}");
}
