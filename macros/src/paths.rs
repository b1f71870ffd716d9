//! The health path rules, for a path written as a literal: the macro
//! reports a bad one as a plain error on the literal. The runtime's copy
//! (`runtime/src/layer.rs`) is the one the layer and the const checks of
//! other paths use; the test keeps the two the same text.

/// The rules every health path follows, at run time ([`HealthcheckLayer`])
/// and at compile time (`#[kamal_app]`'s const assertions): one plain
/// absolute path, matched byte for byte, made of the characters RFC 3986
/// allows in a path (`pchar` and `/`) but `*`.
pub(crate) const fn check_path(path: &str) -> Result<(), &'static str> {
    let bytes = path.as_bytes();
    if bytes.is_empty() || bytes[0] != b'/' {
        return Err("axum-kamal: a health path must start with `/`");
    }
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let problem = match byte {
            b'?' => {
                "axum-kamal: a health path holds no query (`?`); the healthcheck ignores queries"
            }
            b'#' => {
                "axum-kamal: a health path holds no fragment (`#`); it is never sent to the server"
            }
            b'{' | b'}' => {
                "axum-kamal: a health path is one exact path; captures like `{id}` match many"
            }
            b'*' => "axum-kamal: a health path is one exact path; wildcards (`*`) match many",
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                "axum-kamal: a health path must not contain whitespace"
            }
            0x80.. => "axum-kamal: a health path must be ASCII; percent-encode other characters",
            b'/' if i > 0 && bytes[i - 1] == b'/' => {
                "axum-kamal: a health path must not contain `//` (an empty segment)"
            }
            b'.' if is_dot_segment(bytes, i) => {
                "axum-kamal: a health path must not contain `.` or `..` segments"
            }
            _ if is_path_byte(byte) => "",
            _ => {
                "axum-kamal: a health path may only hold the characters of a URL path (RFC 3986); \
                 percent-encode the others"
            }
        };
        if !problem.is_empty() {
            return Err(problem);
        }
        i += 1;
    }
    Ok(())
}

/// Whether the `.` at `i` begins a `.` or `..` segment.
const fn is_dot_segment(bytes: &[u8], i: usize) -> bool {
    if bytes[i - 1] != b'/' {
        return false;
    }
    ends_segment(bytes, i + 1) || (bytes[i + 1] == b'.' && ends_segment(bytes, i + 2))
}

/// Whether a segment ends at `j`: the end of the path or a `/`.
const fn ends_segment(bytes: &[u8], j: usize) -> bool {
    j == bytes.len() || bytes[j] == b'/'
}

/// RFC 3986 `pchar` (unreserved, sub-delims, `:`, `@`, `%`) and `/`, less `*`.
const fn is_path_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'%'
                | b'/'
        )
}

#[cfg(test)]
mod tests {
    /// The functions above, word for word, are the runtime's.
    #[test]
    fn the_rules_are_the_runtimes() {
        let ours = include_str!("paths.rs");
        let rules = &ours[ours.find("/// The rules").expect("the rules")
            ..ours.find("#[cfg(test)]").expect("the tests")];
        let runtime = include_str!("../../runtime/src/layer.rs");
        assert!(
            runtime.contains(rules.trim_end()),
            "macros/src/paths.rs and runtime/src/layer.rs differ in the health path rules"
        );
    }
}
