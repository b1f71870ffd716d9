//! Compile-time behaviour of `#[kamal_app]`: programs that must build, and
//! programs whose errors (tests/ui/fail/*.stderr) must read as reviewed.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
