//! Instructions per request, counted by callgrind rather than timed: the
//! same count for the same binary whatever else the machine runs, so a 1 %
//! goal can be checked on a loaded machine. `scripts/instructions.sh` runs
//!
//! ```sh
//! instructions <app> <request> <count>
//! ```
//!
//! under `valgrind --tool=callgrind` for two counts and divides the
//! difference of the instructions spent in [`measured`]. `<app>` is one of [`APPS`], `<request>` is `ordinary` (an
//! authorized `GET /`) or `probe` (kamal-proxy's `GET /up`). Run without
//! those arguments (as `cargo bench` does), it sends one request of each kind
//! through each app and checks the answers.

mod apps;

use std::convert::Infallible;
use std::process::ExitCode;

use apps::{ordinary, probe, send};
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use tower::service_fn;
use tower::util::BoxCloneSyncService;

type App = BoxCloneSyncService<Request, Response, Infallible>;

/// The apps of `overhead.rs`, by name: each shape's pair (see
/// [`apps::SHAPES`]), then the baselines.
const APPS: [&str; 13] = [
    "plain",
    "kamal",
    "let_bound_plain",
    "let_bound",
    "macro_body_plain",
    "macro_body",
    "fallback_last_plain",
    "fallback_last",
    "macro_state_plain",
    "macro_state",
    "wrapped",
    "from_fn",
    "floor",
];

fn app(name: &str) -> App {
    match name {
        // The floor: a bare service answering the probe's `200 OK`.
        "floor" => App::new(service_fn(|request: Request| async move {
            Ok::<_, Infallible>(axum_kamal::health_response::<Body>(request.method()))
        })),
        name => App::new(apps::app(name)),
    }
}

fn request(kind: &str) -> Option<fn() -> Request> {
    match kind {
        "ordinary" => Some(ordinary),
        "probe" => Some(probe),
        _ => None,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, kind, count] = args.as_slice() else {
        for (_, with, without) in apps::SHAPES {
            assert!(APPS.contains(&with) && APPS.contains(&without), "{with}");
        }
        for name in APPS {
            let app = app(name);
            let probe = send(&app, probe()).status();
            // Without the healthcheck, host validation (or, after the
            // layers, the fallback) answers the probe.
            let answered = !name.ends_with("plain");
            assert_eq!(
                probe == StatusCode::OK,
                answered,
                "{name}: the probe {probe}"
            );
            if name != "floor" {
                assert_eq!(send(&app, ordinary()).status(), StatusCode::OK, "{name}");
            }
        }
        println!("instructions: every app answers; measure with scripts/instructions.sh");
        return ExitCode::SUCCESS;
    };
    // Every app is built, whichever is measured, so that each measured app
    // starts from the same heap: with glibc's malloc, what an app's
    // construction leaves free decides how costly its per-request
    // allocations are by hundreds of instructions.
    let apps = APPS.map(app);
    let (Some(index), Some(make), Ok(count)) = (
        APPS.iter().position(|known| known == name),
        request(kind),
        count.parse::<usize>(),
    ) else {
        eprintln!(
            "usage: instructions <{}> <ordinary|probe> <count>",
            APPS.join("|")
        );
        return ExitCode::FAILURE;
    };
    let requests: Vec<Request> = (0..count).map(|_| make()).collect();
    let answered = measured(&apps[index], requests);
    assert_eq!(answered, count, "{name}: every {kind} request answered 2xx");
    ExitCode::SUCCESS
}

/// Sends `requests` through `app` and counts the 2xx answers: the only
/// function whose instructions `scripts/instructions.sh` counts
/// (`--toggle-collect`), so building the requests is left out.
#[inline(never)]
fn measured(app: &App, requests: Vec<Request>) -> usize {
    requests
        .into_iter()
        .map(|request| send(app, request).status().is_success())
        .filter(|&success| success)
        .count()
}
