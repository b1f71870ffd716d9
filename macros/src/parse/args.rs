//! The arguments of `#[kamal_app(..)]`, parsed in the style of tokio-macros:
//! every problem is reported on the offending token and names what is accepted.

use std::collections::HashSet;

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Token};

use crate::ctxt::Diagnostics;
use crate::paths;

/// kamal-proxy's default healthcheck path.
pub const DEFAULT_PATH: &str = "/up";

const ARGUMENTS: [&str; 7] = [
    "path", "liveness", "health", "blocking", "allow", "crate", "explain",
];

const ACCEPTED: &str = "`path`, `liveness`, `health`, `blocking`, `allow`, `crate`, `explain`";

/// Names users reach for, and the argument each means.
const ALIASES: [(&str, &str); 12] = [
    ("readiness", "path"),
    ("ready", "path"),
    ("live", "liveness"),
    ("livez", "liveness"),
    ("alive", "liveness"),
    ("check", "health"),
    ("checks", "health"),
    ("readiness_checks", "health"),
    ("block", "blocking"),
    ("blocks", "blocking"),
    ("allowed", "allow"),
    ("krate", "crate"),
];

#[derive(Default)]
pub struct Args {
    /// The readiness path the healthcheck answers; kamal-proxy's `/up` when absent.
    pub path: Option<HealthPath>,
    /// An optional liveness path answered without running checks.
    pub liveness: Option<HealthPath>,
    /// An expression evaluating to an `axum_kamal::Health`.
    pub health: Option<Expr>,
    /// Layer or middleware names the user declares blocking.
    pub blocking: Vec<Ident>,
    /// Layer or middleware names the user declares harmless before the healthcheck.
    pub allow: Vec<Ident>,
    /// `crate = "kamal"`: the name the runtime crate has in the user's Cargo.toml.
    pub krate: Option<syn::Path>,
    /// `explain`: print the stack the probe meets, with each verdict.
    pub explain: bool,
}

/// A health path: a string literal or any const `&str` expression, checked
/// by the expansion against the runtime's rules at compile time.
pub struct HealthPath {
    pub expr: Expr,
    /// The path itself when written as a literal: the only one the checks can read.
    pub literal: Option<String>,
}

impl HealthPath {
    pub fn span(&self) -> Span {
        self.expr.span()
    }
}

impl Args {
    pub fn parse(tokens: TokenStream, errors: &mut Diagnostics) -> Args {
        let mut args = Args::default();
        let parser = |input: ParseStream| {
            let mut seen = HashSet::new();
            while !input.is_empty() {
                if let Err(error) = args.parse_one(input, &mut seen) {
                    errors.push(error);
                    skip_to_comma(input)?;
                }
                if !input.is_empty() {
                    if let Err(error) = input.parse::<Token![,]>() {
                        errors.push(syn::Error::new(
                            error.span(),
                            "expected `,` between arguments",
                        ));
                        skip_to_comma(input)?;
                        let _ = input.parse::<Option<Token![,]>>()?;
                    }
                }
            }
            Ok(())
        };
        if let Err(error) = parser.parse2(tokens) {
            errors.push(error);
        }
        if let (Some(readiness), Some(liveness)) = (args.path_literal(), &args.liveness) {
            if liveness.literal.as_deref() == Some(readiness) {
                errors.push(syn::Error::new(
                    liveness.span(),
                    "axum-kamal: `liveness` must differ from the readiness `path`: liveness answers \
                     without running the checks that readiness runs",
                ));
            }
        }
        args
    }

    /// The runtime crate's name as the user's code spells it: the last
    /// segment of `crate = ".."`, or `axum_kamal`.
    pub fn crate_name(&self) -> String {
        self.krate
            .as_ref()
            .and_then(|path| path.segments.last())
            .map_or_else(|| "axum_kamal".to_owned(), |last| last.ident.to_string())
    }

    /// The readiness path as written, if given, or its literal default.
    pub fn path_literal(&self) -> Option<&str> {
        match &self.path {
            Some(path) => path.literal.as_deref(),
            None => Some(DEFAULT_PATH),
        }
    }

    fn parse_one(&mut self, input: ParseStream, seen: &mut HashSet<String>) -> syn::Result<()> {
        if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "expected an argument, one of {ACCEPTED}; did you mean `path = {:?}`?",
                    lit.value()
                ),
            ));
        }
        let name = input.call(Ident::parse_any).map_err(|error| {
            syn::Error::new(
                error.span(),
                format!("expected an argument, one of {ACCEPTED}"),
            )
        })?;
        let key = name.to_string();
        if !ARGUMENTS.contains(&key.as_str()) {
            let hint = did_you_mean(&key)
                .map(|known| format!("; did you mean `{known}`?"))
                .unwrap_or_default();
            return Err(syn::Error::new(
                name.span(),
                format!("unknown argument `{key}`; expected one of {ACCEPTED}{hint}"),
            ));
        }
        if !seen.insert(key.clone()) {
            return Err(syn::Error::new(
                name.span(),
                format!("duplicate argument `{key}`; give it once"),
            ));
        }
        match key.as_str() {
            "path" => self.path = Some(health_path(input, &name)?),
            "liveness" => self.liveness = Some(health_path(input, &name)?),
            "health" => {
                expect_eq(input, &name, "health = Health::new()")?;
                self.health = Some(input.parse()?);
            }
            "blocking" => self.blocking = names(input, &name)?,
            "allow" => self.allow = names(input, &name)?,
            "explain" => self.explain = true,
            _ => self.krate = Some(crate_path(input, &name)?),
        }
        Ok(())
    }
}

fn expect_eq(input: ParseStream, name: &Ident, example: &str) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        return Ok(());
    }
    // At the end of the arguments there is no token to point at: point at the name.
    let span = if input.is_empty() {
        name.span()
    } else {
        input.span()
    };
    Err(syn::Error::new(
        span,
        format!("expected `=` after `{name}`, as in `{example}`"),
    ))
}

/// `path = "/up"`, `liveness = LIVENESS_PATH`: any `&'static str` expression.
fn health_path(input: ParseStream, name: &Ident) -> syn::Result<HealthPath> {
    expect_eq(input, name, &format!("{name} = \"/healthz\""))?;
    let expr: Expr = input.parse()?;
    let literal = match &expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => {
            // A literal is checked here, so a bad one is a plain error on it;
            // any other expression, by a const item of the expansion.
            let path = lit.value();
            if let Err(problem) = paths::check_path(&path) {
                return Err(syn::Error::new(lit.span(), problem));
            }
            Some(path)
        }
        _ => None,
    };
    Ok(HealthPath { expr, literal })
}

/// `crate = "kamal"`: the runtime crate's path, as a string (tokio's and serde's form).
fn crate_path(input: ParseStream, name: &Ident) -> syn::Result<syn::Path> {
    expect_eq(input, name, "crate = \"kamal\"")?;
    let lit: LitStr = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            "`crate` takes the dependency's name as a string, as in `crate = \"kamal\"`",
        )
    })?;
    lit.parse_with(syn::Path::parse_mod_style).map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!(
                "`crate` must name a crate or a module path, as in `crate = \"kamal\"`, found {:?}",
                lit.value()
            ),
        )
    })
}

/// `blocking(MyGuardLayer, require_tenant)`: names of layers or middleware functions.
fn names(input: ParseStream, name: &Ident) -> syn::Result<Vec<Ident>> {
    let expected = |span| {
        syn::Error::new(
            span,
            format!(
                "`{name}` takes layer or middleware names in parentheses, as in `{name}(MyLayer, my_middleware)`"
            ),
        )
    };
    let list = match input.parse::<TokenTree>() {
        Ok(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis => group,
        Ok(other) => return Err(expected(other.span())),
        Err(_) => return Err(expected(name.span())),
    };
    let paths = Punctuated::<syn::Path, Token![,]>::parse_terminated
        .parse2(list.stream())
        .map_err(|error| expected(error.span()))?;
    Ok(paths
        .into_iter()
        .filter_map(|path| path.segments.last().map(|segment| segment.ident.clone()))
        .collect())
}

/// The argument an unknown name most likely means: an alias, a name that
/// contains one (`health_path`, `liveness_path`), or one at most two edits away.
fn did_you_mean(unknown: &str) -> Option<&'static str> {
    let lower = unknown.to_lowercase();
    if let Some((_, known)) = ALIASES.iter().find(|(alias, _)| *alias == lower) {
        return Some(known);
    }
    let words: Vec<&str> = lower.split('_').collect();
    // `liveness_path` is about liveness; `health_path`, about the last word.
    if words
        .iter()
        .any(|word| ["liveness", "live", "livez"].contains(word))
    {
        return Some("liveness");
    }
    if let Some(known) = ARGUMENTS.iter().find(|known| words.last() == Some(*known)) {
        return Some(known);
    }
    ARGUMENTS
        .iter()
        .map(|known| (edits(&lower, known), *known))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, known)| known)
}

/// Levenshtein distance.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

fn skip_to_comma(input: ParseStream) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<TokenTree>()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn near_misses_name_the_argument() {
        for (unknown, known) in [
            ("health_path", "path"),
            ("healthcheck_path", "path"),
            ("readiness", "path"),
            ("pth", "path"),
            ("liveness_path", "liveness"),
            ("livenes", "liveness"),
            ("livez", "liveness"),
            ("checks", "health"),
            ("Blocking", "blocking"),
            ("alow", "allow"),
            ("krate", "crate"),
        ] {
            assert_eq!(did_you_mean(unknown), Some(known), "{unknown}");
        }
        assert_eq!(did_you_mean("port"), None);
        assert_eq!(did_you_mean("timeout"), None);
    }
}
