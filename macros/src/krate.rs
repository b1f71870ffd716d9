//! Where the runtime crate is for the expansion: `crate = ".."` when given,
//! `::axum_kamal` otherwise. A dependency renamed in Cargo.toml
//! (`kamal = { package = "axum-kamal" }`) without `crate = ..` would make
//! every path of the expansion fail to resolve, so it is reported instead.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};

use crate::ctxt::Diagnostics;

/// The package whose library the expansion calls.
const PACKAGE: &str = "axum-kamal";

/// The path to the runtime crate, after reporting a rename `crate = ..` misses.
pub fn runtime(krate: Option<&syn::Path>, errors: &mut Diagnostics) -> TokenStream {
    if let Some(path) = krate {
        return path.to_token_stream();
    }
    if let Some(name) = renamed_in_manifest() {
        errors.at(
            Span::call_site(),
            format!(
                "{PACKAGE} is a dependency named `{name}` in Cargo.toml, so the code #[kamal_app] \
                 emits cannot find it as `axum_kamal`\n\
                 help: give #[kamal_app] its name: #[kamal_app(crate = \"{name}\")]"
            ),
        );
    }
    quote!(::axum_kamal)
}

/// The renamed dependency in the Cargo.toml of the crate being compiled, or
/// in its workspace's `[workspace.dependencies]` when the crate inherits it.
fn renamed_in_manifest() -> Option<String> {
    let dir = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    if let Some(name) = renamed(&manifest) {
        return Some(name);
    }
    let workspace = dir.ancestors().skip(1).find_map(|parent| {
        let text = std::fs::read_to_string(parent.join("Cargo.toml")).ok()?;
        text.lines()
            .any(|line| line.trim() == "[workspace]")
            .then_some(text)
    })?;
    renamed(&workspace).filter(|name| inherits(&manifest, name))
}

/// Whether `manifest` inherits the workspace dependency `name` (as code
/// spells it): `name.workspace = true` or `name = { workspace = true, .. }`.
fn inherits(manifest: &str, name: &str) -> bool {
    manifest.lines().any(|line| {
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        let key = compact.split(['.', '=']).next().unwrap_or_default();
        key.replace('-', "_") == name
            && (compact.contains(".workspace=true") || compact.contains("workspace=true"))
    })
}

/// The name (as code spells it) under which `manifest` depends on
/// axum-kamal, if it renames it and never depends on it by its own name.
///
/// Reads the forms Cargo documents for a rename: `name = { package = .. }`
/// in a dependency table, and a `[dependencies.name]` table holding
/// `package = ..`, for every kind of dependency and target, and the
/// workspace's `[workspace.dependencies]`.
fn renamed(manifest: &str) -> Option<String> {
    let mut table = String::new();
    let mut rename = None;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            table = line.trim_matches(['[', ']']).trim().to_owned();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = unquote(key.trim());
        if let Some(name) = dependency_of_table(&table) {
            // `[dependencies.kamal]` then `package = "axum-kamal"`.
            if key == "package" && unquote(value.trim()) == PACKAGE && name != PACKAGE {
                rename = Some(name.to_owned());
            }
        } else if is_dependency_table(&table) {
            let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            let renames = compact.contains(&format!("package=\"{PACKAGE}\""))
                || compact.contains(&format!("package='{PACKAGE}'"));
            if key == PACKAGE && !renames {
                return None;
            }
            if renames && key != PACKAGE {
                rename = Some(key.to_owned());
            }
        }
    }
    rename.map(|name| name.replace('-', "_"))
}

/// `dependencies`, `dev-dependencies`, `build-dependencies`, and the same under `target.'cfg(..)'`.
fn is_dependency_table(table: &str) -> bool {
    ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .any(|kind| table == *kind || table.ends_with(&format!(".{kind}")))
}

/// `kamal` for a `[dependencies.kamal]` table (of any kind or target).
fn dependency_of_table(table: &str) -> Option<&str> {
    let (parent, name) = table.rsplit_once('.')?;
    is_dependency_table(parent).then(|| unquote(name))
}

fn unquote(text: &str) -> &str {
    text.trim_matches(['"', '\''])
}

#[cfg(test)]
mod tests {
    use super::{inherits, renamed};

    #[test]
    fn finds_an_inline_rename() {
        let manifest = "[package]\nname = \"app\"\n\n[dependencies]\naxum = \"0.8\"\n\
                        kamal = { package = \"axum-kamal\", version = \"0.1\" }\n";
        assert_eq!(renamed(manifest).as_deref(), Some("kamal"));
    }

    #[test]
    fn finds_a_table_rename_of_any_kind_and_target() {
        let manifest = "[target.'cfg(unix)'.dev-dependencies.my-kamal]\nversion = \"0.1\"\n\
                        package = 'axum-kamal'\n";
        assert_eq!(renamed(manifest).as_deref(), Some("my_kamal"));
    }

    #[test]
    fn finds_a_rename_in_the_workspace_and_its_inheritance() {
        let workspace = "[workspace]\nmembers = [\"app\"]\n\n[workspace.dependencies]\n\
                         kamal = { package = \"axum-kamal\", version = \"0.1\" }\n";
        assert_eq!(renamed(workspace).as_deref(), Some("kamal"));
        assert!(inherits(
            "[dependencies]\nkamal.workspace = true\n",
            "kamal"
        ));
        assert!(inherits(
            "[dependencies]\nkamal = { workspace = true }\n",
            "kamal"
        ));
        assert!(!inherits(
            "[dependencies]\naxum = { workspace = true }\n",
            "kamal"
        ));
    }

    #[test]
    fn the_plain_name_is_no_rename() {
        for manifest in [
            "[dependencies]\naxum-kamal = \"0.1\"\n",
            "[dependencies]\naxum-kamal = { version = \"0.1\", features = [\"testing\"] }\n",
            "[dependencies.axum-kamal]\nversion = \"0.1\"\n",
            "[dependencies]\naxum = \"0.8\"\n",
            "[package]\nname = \"axum-kamal\"\n",
            // Another package renamed, and a rename next to the plain name.
            "[dependencies]\nfoo = { package = \"bar\" }\n",
            "[dependencies]\naxum-kamal = \"0.1\"\n[dev-dependencies]\nk = { package = \"axum-kamal\" }\n",
        ] {
            assert_eq!(renamed(manifest), None, "{manifest}");
        }
    }
}
