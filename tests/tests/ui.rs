//! Compile-time behaviour of `#[kamal_app]`: programs that must build, and
//! programs whose errors (tests/ui/fail/*.stderr) must read as reviewed.

use std::fs;
use std::path::{Path, PathBuf};

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
    for fixed in fixed_order_cases() {
        cases.pass(fixed);
    }
}

/// The line that ends a case with only warnings, so that trybuild shows them.
const END_OF_WARNINGS_CASE: &str = "compile_error!(\"end of the case\");";

/// Every misordered case (`ui/fail/order_*.rs`), fixed the way its error
/// suggests: drop the explicit `healthcheck()` and let `#[kamal_app]` place
/// it. Each must then
/// compile, so the corpus never fails for another reason.
fn fixed_order_cases() -> Vec<PathBuf> {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let fixed_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-fixed");
    fs::create_dir_all(&fixed_dir).expect("create the fixed-case directory");
    let support = ui.join("support/mod.rs");
    let mut fixed = Vec::new();
    for entry in fs::read_dir(ui.join("fail")).expect("read ui/fail") {
        let path = entry.expect("list ui/fail").path();
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        if !(name.starts_with("order_") && name.ends_with(".rs")) {
            continue;
        }
        let source = fs::read_to_string(&path).expect("read a case");
        assert!(
            source.contains("healthcheck()"),
            "{name} should place healthcheck() itself"
        );
        let without_explicit = source
            .replace(".route_layer(healthcheck())", "")
            .replace(".layer(healthcheck())", "")
            .replace("{healthcheck, kamal_app}", "kamal_app")
            .replace(END_OF_WARNINGS_CASE, "")
            .replace("../support/mod.rs", support.to_str().expect("UTF-8 path"));
        let target = fixed_dir.join(format!("fixed_{name}"));
        fs::write(&target, without_explicit).expect("write a fixed case");
        fixed.push(target);
    }
    assert!(
        fixed.len() >= 15,
        "the ordering corpus shrank to {} cases",
        fixed.len()
    );
    fixed
}
