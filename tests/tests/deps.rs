//! Build cost of depending on axum-kamal: its normal dependencies, as
//! `cargo tree` resolves them, add almost nothing to what an axum app already
//! compiles.
//!
//! - a single `syn`, major version 3 (the macro's parser), never a second one;
//! - no proc-macro crate besides `axum-kamal-macros` and those axum and Tokio
//!   already bring;
//! - third-party crates that neither axum nor Tokio pull: only [`EXTRA`].
//!
//! The comparison set is `cargo tree -p axum` plus `cargo tree -p tokio` in
//! this workspace (axum 0.8 with its default features, Tokio with `full`, as
//! the apps here use them). Run with `--nocapture` to see the lists.
//!
//! `cargo tree` runs `--offline` first (the lock file and the local registry
//! cache are enough), then online if that fails.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Third-party crates axum-kamal may add to an axum + Tokio app: tiny leaves.
/// `subtle`: constant-time comparison of the health details secret.
const EXTRA: &[&str] = &["subtle"];

/// The crates of this workspace, which are not third-party.
const WORKSPACE: &[&str] = &["axum-kamal", "axum-kamal-macros"];

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Crate {
    name: String,
    version: String,
    proc_macro: bool,
}

impl std::fmt::Display for Crate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} v{}", self.name, self.version)?;
        if self.proc_macro {
            f.write_str(" (proc-macro)")?;
        }
        Ok(())
    }
}

/// The normal (non-dev, non-build) dependency tree of `package`, flattened.
fn tree(package: &str) -> BTreeSet<Crate> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let args = ["tree", "-p", package, "-e", "normal", "--prefix", "none"];
    let run = |offline: bool| {
        let mut command = Command::new(&cargo);
        command.args(args).current_dir(&root);
        if offline {
            command.arg("--offline");
        }
        command.output().expect("run cargo tree")
    };
    let mut output = run(true);
    if !output.status.success() {
        output = run(false);
    }
    assert!(
        output.status.success(),
        "cargo {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8 output")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next().expect("crate name").to_owned();
            let version = words
                .next()
                .and_then(|v| v.strip_prefix('v'))
                .unwrap_or_else(|| panic!("version in {line:?}"))
                .to_owned();
            Crate {
                name,
                version,
                proc_macro: line.contains("(proc-macro)"),
            }
        })
        .collect()
}

fn list<'a>(crates: impl IntoIterator<Item = &'a Crate>) -> String {
    let names: Vec<String> = crates.into_iter().map(ToString::to_string).collect();
    if names.is_empty() {
        "(none)".to_owned()
    } else {
        names.join(", ")
    }
}

#[test]
fn axum_kamal_adds_no_second_syn_no_proc_macro_and_only_tiny_leaves() {
    let ours = tree("axum-kamal");
    let baseline: BTreeSet<Crate> = tree("axum").into_iter().chain(tree("tokio")).collect();
    let third_party = ours.iter().filter(|c| !WORKSPACE.contains(&&*c.name));

    let syns: Vec<&Crate> = ours.iter().filter(|c| c.name == "syn").collect();
    println!("syn in axum-kamal's tree: {}", list(syns.iter().copied()));
    assert_eq!(syns.len(), 1, "exactly one syn: {}", list(syns));
    assert!(
        syns[0].version.starts_with("3."),
        "syn must be 3.x, got {}",
        syns[0]
    );

    let proc_macros: Vec<&Crate> = third_party
        .clone()
        .filter(|c| c.proc_macro && !baseline.contains(c))
        .collect();
    println!(
        "proc-macro crates beyond axum-kamal-macros and axum/Tokio's: {}",
        list(proc_macros.iter().copied())
    );
    assert!(proc_macros.is_empty(), "new proc-macro crates");

    // Same name and version as in axum's or Tokio's tree: compiled anyway.
    let extra: Vec<&Crate> = third_party.filter(|c| !baseline.contains(c)).collect();
    println!(
        "third-party crates axum-kamal adds to axum + Tokio: {}",
        list(extra.iter().copied())
    );
    let unexpected: Vec<&Crate> = extra
        .iter()
        .copied()
        .filter(|c| !EXTRA.contains(&&*c.name))
        .collect();
    assert!(
        unexpected.is_empty(),
        "axum-kamal pulls crates that axum and Tokio do not: {} (allowed: {EXTRA:?})",
        list(unexpected)
    );
}

#[test]
fn macros_depend_only_on_syn_quote_and_proc_macro2() {
    let names: BTreeSet<String> = tree("axum-kamal-macros")
        .into_iter()
        .map(|c| c.name)
        .collect();
    println!("axum-kamal-macros' tree: {names:?}");
    let expected: BTreeSet<String> = [
        "axum-kamal-macros",
        "proc-macro2",
        "quote",
        "syn",
        "unicode-ident",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(names, expected);
}
