//! The startup cost of `axum_kamal::preflight`, counted by callgrind rather
//! than timed (see BENCHMARKS.md, "Preflight at startup"):
//!
//! ```sh
//! preflight <preflight|build|probe> <count>
//! ```
//!
//! runs, `count` times, inside [`measured`] (the only function whose
//! instructions are collected, `--toggle-collect`): the preflight of the
//! quickstart app as its `main` serves it, building that app (what `main`
//! does anyway), or one kamal-proxy probe through it (for scale). Run without
//! arguments (as `cargo bench` does), it checks that each of them works.

use std::process::ExitCode;

use axum::Router;
use axum::http::{Method, StatusCode};
use axum_kamal_examples::{Config, app};
use axum_kamal_tests::kamal_probe;
use tokio::runtime::Runtime;
use tower::ServiceExt;

const WORK: [&str; 3] = ["preflight", "build", "probe"];

/// One unit of `work` on a freshly built quickstart, as `main` would see it.
async fn once(work: &str, config: &Config, built: &Router) {
    match work {
        "preflight" => drop(
            axum_kamal::preflight(built, ([0, 0, 0, 0], 3000).into())
                .await
                .expect("the quickstart passes"),
        ),
        "build" => drop(app(config)),
        _ => {
            let response = built
                .clone()
                .oneshot(kamal_probe::<axum::body::Body>(Method::GET, "/up"))
                .await;
            assert_eq!(response.expect("infallible").status(), StatusCode::OK);
        }
    }
}

fn main() -> ExitCode {
    // A current-thread runtime with a timer, as `#[tokio::main]` gives main.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let config = Config::default();
    let built = app(&config);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [work, count] = args.as_slice() else {
        for work in WORK {
            runtime.block_on(once(work, &config, &built));
        }
        println!("preflight: every kind of work runs; count it with callgrind (BENCHMARKS.md)");
        return ExitCode::SUCCESS;
    };
    let (Some(work), Ok(count)) = (WORK.iter().find(|w| *w == work), count.parse()) else {
        eprintln!("usage: preflight <{}> <count>", WORK.join("|"));
        return ExitCode::FAILURE;
    };
    measured(&runtime, work, &config, &built, count);
    ExitCode::SUCCESS
}

/// Runs `work` `count` times: the only function whose instructions count.
#[inline(never)]
fn measured(runtime: &Runtime, work: &str, config: &Config, built: &Router, count: usize) {
    runtime.block_on(async {
        for _ in 0..count {
            once(work, config, built).await;
        }
    });
}
