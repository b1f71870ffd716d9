//! The arguments of `#[kamal_app(..)]`, parsed in the style of tokio-macros:
//! every problem is reported on the offending token and names what is accepted.

use std::collections::HashSet;

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Token};

use crate::ctxt::Errors;

/// kamal-proxy's default healthcheck path.
const DEFAULT_PATH: &str = "/up";

const ACCEPTED: &str = "`path`, `liveness`, `health`, `blocking`, `allow`";

pub struct Args {
    /// The readiness path the healthcheck answers.
    pub path: HealthPath,
    /// An optional liveness path answered without running checks.
    pub liveness: Option<HealthPath>,
    /// An expression evaluating to an `axum_kamal::Health`.
    pub health: Option<Expr>,
    /// Layer or middleware names the user declares blocking.
    pub blocking: Vec<Ident>,
    /// Layer or middleware names the user declares harmless before the healthcheck.
    pub allow: Vec<Ident>,
}

pub struct HealthPath {
    pub value: String,
    /// The literal, for errors that compare two paths.
    pub span: Span,
}

impl Args {
    pub fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
        let mut args = Args {
            path: HealthPath {
                value: DEFAULT_PATH.to_owned(),
                span: Span::call_site(),
            },
            liveness: None,
            health: None,
            blocking: Vec::new(),
            allow: Vec::new(),
        };
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
        if let Some(liveness) = &args.liveness {
            if liveness.value == args.path.value {
                errors.at(
                    liveness.span,
                    format!(
                        "`liveness` must differ from the readiness `path` (\"{}\"): liveness answers without \
                         running the checks that readiness runs",
                        args.path.value
                    ),
                );
            }
        }
        args
    }

    fn parse_one(&mut self, input: ParseStream, seen: &mut HashSet<String>) -> syn::Result<()> {
        let name = input.call(Ident::parse_any).map_err(|error| {
            syn::Error::new(
                error.span(),
                format!("expected an argument, one of {ACCEPTED}"),
            )
        })?;
        let key = name.to_string();
        if !["path", "liveness", "health", "blocking", "allow"].contains(&key.as_str()) {
            return Err(syn::Error::new(
                name.span(),
                format!("unknown argument `{key}`; expected one of {ACCEPTED}"),
            ));
        }
        if !seen.insert(key.clone()) {
            return Err(syn::Error::new(
                name.span(),
                format!("duplicate argument `{key}`; give it once"),
            ));
        }
        match key.as_str() {
            "path" => self.path = health_path(input, &name)?,
            "liveness" => self.liveness = Some(health_path(input, &name)?),
            "health" => {
                expect_eq(input, &name, "health = Health::new()")?;
                self.health = Some(input.parse()?);
            }
            "blocking" => self.blocking = names(input, &name)?,
            _ => self.allow = names(input, &name)?,
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

/// `path = "/up"` and `liveness = "/livez"`: a string literal holding a plain absolute path.
fn health_path(input: ParseStream, name: &Ident) -> syn::Result<HealthPath> {
    expect_eq(input, name, &format!("{name} = \"/healthz\""))?;
    let value: Expr = input.parse()?;
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => check_path(name, &lit),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{name}` must be a string literal, as in `{name} = \"/healthz\"`"),
        )),
    }
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

/// The health path must be one exact path: the healthcheck compares it byte for byte.
fn check_path(name: &Ident, lit: &LitStr) -> syn::Result<HealthPath> {
    let value = lit.value();
    let problem = if !value.starts_with('/') {
        Some("it must start with `/`".to_owned())
    } else if value.contains("//") {
        Some("it must not contain `//`".to_owned())
    } else if let Some(bad) = value.chars().find(|&c| !is_path_char(c)) {
        Some(match bad {
            '?' => {
                "a query (`?`) is not part of the path; the healthcheck ignores queries".to_owned()
            }
            '#' => "a fragment (`#`) is never sent to the server".to_owned(),
            '{' | '}' => {
                "captures like `{id}` match many paths; the healthcheck answers one exact path"
                    .to_owned()
            }
            '*' => "wildcards match many paths; the healthcheck answers one exact path".to_owned(),
            c if c.is_whitespace() => "it must not contain whitespace".to_owned(),
            c => format!("{c:?} is not allowed in a URL path; percent-encode it"),
        })
    } else if value
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        Some("it must not contain `.` or `..` segments".to_owned())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(syn::Error::new(
            lit.span(),
            format!("`{name}` must be a plain absolute path such as \"/healthz\": {problem}"),
        )),
        None => Ok(HealthPath {
            value,
            span: lit.span(),
        }),
    }
}

/// Characters a URL path may hold literally (RFC 3986 `pchar` and `/`), less `*`.
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()+,;=:@/%".contains(c)
}

fn skip_to_comma(input: ParseStream) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<TokenTree>()?;
    }
    Ok(())
}
