//! A test binary running itself as a child process: the server (or the
//! self-probe) as a container runs it, with its own environment, its own
//! process-wide drain and real signals.
//!
//! The parent runs `current_exe() --exact <test>` with [`CHILD_VAR`] set;
//! the same test function, seeing [`is_child`], plays the child's part.

use std::net::SocketAddr;
use std::process::{ExitStatus, Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

use crate::PROBE_TIMEOUT;

/// Set in the child's environment: play the child's part of the test.
pub const CHILD_VAR: &str = "AXUM_KAMAL_TEST_CHILD";

/// The line a serving child prints once bound, followed by its URL, as the
/// quickstart does: `listening on http://127.0.0.1:39417`.
pub const LISTENING: &str = "listening on http://";

/// Whether this process is the child of a test.
#[must_use]
pub fn is_child() -> bool {
    std::env::var_os(CHILD_VAR).is_some()
}

/// The command running `test` (its exact name) of this test binary as a
/// child, with `env` added.
fn child_command(test: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args(["--exact", test, "--nocapture"])
        .env(CHILD_VAR, "1")
        .envs(env.iter().copied())
        .kill_on_drop(true);
    command
}

/// Runs `test` as a child to its end and returns its status and output.
///
/// # Panics
/// If the child cannot run or takes longer than twice [`PROBE_TIMEOUT`].
pub async fn run_child(test: &str, env: &[(&str, &str)]) -> Output {
    let output = child_command(test, env).output();
    tokio::time::timeout(2 * PROBE_TIMEOUT, output)
        .await
        .expect("the child ends in time")
        .expect("run the test binary as a child")
}

/// A child serving until it exits, its standard output read line by line.
#[derive(Debug)]
pub struct ServingChild {
    child: tokio::process::Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl ServingChild {
    /// Starts `test` as a child with `env` and a piped standard input
    /// (closing it is a signal the child may wait for).
    ///
    /// # Panics
    /// If the child cannot start.
    #[must_use]
    pub fn spawn(test: &str, env: &[(&str, &str)]) -> Self {
        let mut child = child_command(test, env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run the test binary as a child");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Self { child, lines }
    }

    /// Reads the child's output up to the line starting with `prefix`;
    /// returns the rest of that line.
    ///
    /// # Panics
    /// If the child exits first or prints no such line within
    /// [`PROBE_TIMEOUT`].
    pub async fn line_starting_with(&mut self, prefix: &str) -> String {
        let read = async {
            while let Some(line) = self.lines.next_line().await.expect("child output") {
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

    /// The address of the child's [`LISTENING`] line.
    ///
    /// # Panics
    /// As [`line_starting_with`](Self::line_starting_with), or if the line
    /// holds no socket address.
    pub async fn listening_addr(&mut self) -> SocketAddr {
        self.line_starting_with(LISTENING)
            .await
            .parse()
            .expect("socket address")
    }

    /// Sends the child a real `SIGTERM`, as `docker stop` and the kubelet do.
    ///
    /// # Panics
    /// If `kill` fails.
    pub async fn terminate(&self) {
        let pid = self.child.id().expect("child pid").to_string();
        let kill = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .expect("run kill");
        assert!(kill.success(), "kill -TERM {pid}");
    }

    /// Closes the child's standard input.
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    /// Waits for the child to exit, at most `within`.
    ///
    /// # Panics
    /// If it does not exit in time.
    pub async fn exit(&mut self, within: Duration) -> ExitStatus {
        tokio::time::timeout(within, self.child.wait())
            .await
            .expect("the child exits in time")
            .expect("child status")
    }
}

/// Sends `request` on a new connection to `addr` every 10 ms until the
/// answer has status `wanted`, and returns that answer.
///
/// # Panics
/// If no such answer comes within `within`.
pub async fn poll_until(
    addr: SocketAddr,
    request: &[u8],
    wanted: http::StatusCode,
    within: Duration,
) -> crate::Reply {
    let poll = async {
        loop {
            let reply = crate::RawConnection::open(addr)
                .await
                .exchange(request)
                .await;
            if reply.status == wanted {
                return reply;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(within, poll)
        .await
        .unwrap_or_else(|_| panic!("no {wanted} from {addr} within {within:?}"))
}
