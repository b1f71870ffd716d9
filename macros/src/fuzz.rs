//! Input fuzzing of `#[kamal_app]`: arbitrary token streams as the attribute
//! arguments and as the item, and insert/delete/replace mutations of valid
//! ones, fed to [`crate::expand::kamal_app`].
//!
//! Properties:
//! * it never panics (checked with `catch_unwind`);
//! * arguments that cannot be valid (not led by a known argument name) and
//!   items that are not a function returning a `Router` give tokens holding
//!   `compile_error`;
//! * output without `compile_error` parses as Rust items.
//!
//! The default case count (256 per property, 4 properties) runs in seconds.
//! Run longer with
//! `PROPTEST_CASES=100000 cargo test -p axum-kamal-macros --release fuzz`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::sample::Index;
use quote::quote;

use crate::expand::kamal_app;

/// Runs the macro; a panic fails the case with its message.
fn expand(args: &TokenStream, item: &TokenStream) -> Result<TokenStream, TestCaseError> {
    let (args, item) = (args.clone(), item.clone());
    match catch_unwind(AssertUnwindSafe(|| kamal_app(args, item))) {
        Ok(tokens) => Ok(tokens),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(TestCaseError::fail(format!(
                "kamal_app panicked: {message}"
            )))
        }
    }
}

const ARG_NAMES: [&str; 6] = ["path", "liveness", "health", "blocking", "allow", "crate"];

/// Arguments that cannot be valid: non-empty and not led by an argument name.
/// Invisible (`Delimiter::None`) groups, as `macro_rules!` produces, are
/// looked through, as syn does.
fn args_certainly_invalid(args: &TokenStream) -> bool {
    match args.clone().into_iter().next() {
        None => false,
        Some(TokenTree::Ident(ident)) => !ARG_NAMES.contains(&ident.to_string().as_str()),
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::None => {
            let inner = group.stream();
            !inner.is_empty() && args_certainly_invalid(&inner)
        }
        Some(_) => true,
    }
}

/// Items that cannot be valid: not a function with a body and a return
/// type. (Which return types are routers is the compiler's to say, through
/// `AppRouter`.)
fn item_certainly_invalid(item: &TokenStream) -> bool {
    let Ok(function) = syn::parse2::<syn::ItemFn>(item.clone()) else {
        return true;
    };
    matches!(function.sig.output, syn::ReturnType::Default)
}

/// The whole property for one input.
fn check(args: &TokenStream, item: &TokenStream) -> Result<(), TestCaseError> {
    let tokens = expand(args, item)?;
    let output = tokens.to_string();
    let errors = output.contains("compile_error");
    if args_certainly_invalid(args) || item_certainly_invalid(item) {
        prop_assert!(
            errors,
            "invalid input without compile_error\nargs: {args}\nitem: {item}\noutput: {output}"
        );
    }
    if !errors {
        // Parsed as tokens: a `Delimiter::None` group does not survive a
        // round trip through a string.
        let parsed = syn::parse2::<syn::File>(tokens);
        prop_assert!(
            parsed.is_ok(),
            "output does not parse: {:?}\nargs: {args}\nitem: {item}\noutput: {output}",
            parsed.err()
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Arbitrary tokens.

const IDENTS: &[&str] = &[
    "fn",
    "pub",
    "async",
    "unsafe",
    "let",
    "mut",
    "return",
    "if",
    "else",
    "match",
    "impl",
    "struct",
    "self",
    "Self",
    "crate",
    "super",
    "_",
    "app",
    "x",
    "path",
    "liveness",
    "health",
    "blocking",
    "allow",
    "Router",
    "axum",
    "new",
    "route",
    "layer",
    "route_layer",
    "merge",
    "nest",
    "fallback",
    "with_state",
    "get",
    "healthcheck",
    "axum_kamal",
    "HealthcheckLayer",
    "ServiceBuilder",
    "AllowedHostLayer",
    "TraceLayer",
    "from_fn",
    "require_auth",
    "Health",
    "kamal_app",
];

/// String literal contents, with odd paths.
const STRINGS: &[&str] = &[
    "", "/", "/up", "/healthz", "//up", "/up/", "up", "/up?x", "/up#x", "/{id}", "/*rest",
    "/a/../b", "/./up", "/\u{fc}p", "/u p", "/up\n", "/\0", "/%75p", "*", "\\", "\"", "🦀",
];

/// A compiled regex strategy (a `&str` strategy recompiles on every case).
fn regex(pattern: &str) -> proptest::string::RegexGeneratorStrategy<String> {
    proptest::string::string_regex(pattern).expect("valid regex")
}

fn ident() -> impl Strategy<Value = TokenTree> {
    prop_oneof![
        4 => prop::sample::select(IDENTS).prop_map(|s| Ident::new(s, Span::call_site())),
        1 => regex("[a-zA-Z][a-zA-Z0-9_]{0,8}").prop_map(|s| Ident::new(&s, Span::call_site())),
        1 => regex("[a-z]{1,6}").prop_map(|s| Ident::new_raw(&format!("r{s}"), Span::call_site())),
    ]
    .prop_map(TokenTree::Ident)
}

fn punct() -> impl Strategy<Value = TokenTree> {
    (
        prop::sample::select(
            &[
                '+', '-', '*', '/', '%', '^', '!', '&', '|', '=', '<', '>', '@', '.', ',', ';',
                ':', '#', '$', '?', '~', '\'',
            ][..],
        ),
        any::<bool>(),
    )
        .prop_map(|(c, joint)| {
            let spacing = if joint {
                Spacing::Joint
            } else {
                Spacing::Alone
            };
            TokenTree::Punct(Punct::new(c, spacing))
        })
}

fn literal() -> impl Strategy<Value = TokenTree> {
    let string = prop_oneof![
        3 => prop::sample::select(STRINGS).prop_map(str::to_owned),
        1 => regex("\\PC{0,12}"),
        1 => Just("/".repeat(300)),
    ];
    prop_oneof![
        4 => string.clone().prop_map(|s| Literal::string(&s)),
        1 => any::<u64>().prop_map(Literal::u64_suffixed),
        1 => any::<i32>().prop_map(Literal::i32_unsuffixed),
        1 => (-1.0e9f64..1.0e9).prop_map(Literal::f64_unsuffixed),
        1 => any::<char>().prop_map(Literal::character),
        1 => string.clone().prop_map(|s| Literal::byte_string(s.as_bytes())),
        1 => string.prop_map(|s| {
            let raw = format!("r##\"{}\"##", s.replace("\"#", ""));
            raw.parse::<Literal>().unwrap_or_else(|_| Literal::string(&s))
        }),
    ]
    .prop_map(TokenTree::Literal)
}

fn leaf() -> impl Strategy<Value = TokenTree> {
    prop_oneof![3 => ident(), 3 => punct(), 2 => literal()]
}

fn delimiter() -> impl Strategy<Value = Delimiter> {
    prop::sample::select(
        &[
            Delimiter::Parenthesis,
            Delimiter::Brace,
            Delimiter::Bracket,
            Delimiter::None,
        ][..],
    )
}

fn token_stream() -> impl Strategy<Value = TokenStream> {
    let tree = leaf().prop_recursive(4, 64, 8, |inner| {
        (delimiter(), prop::collection::vec(inner, 0..8)).prop_map(|(delimiter, trees)| {
            TokenTree::Group(Group::new(delimiter, trees.into_iter().collect()))
        })
    });
    prop::collection::vec(tree, 0..16).prop_map(|trees| trees.into_iter().collect())
}

// ---------------------------------------------------------------------------
// Mutations of valid inputs, at any depth.

/// A token stream flattened: leaves and group boundaries.
#[derive(Clone, Debug)]
enum Tok {
    Leaf(TokenTree),
    Open(Delimiter),
    Close,
}

fn flatten(tokens: TokenStream, out: &mut Vec<Tok>) {
    for tree in tokens {
        match tree {
            TokenTree::Group(group) => {
                out.push(Tok::Open(group.delimiter()));
                flatten(group.stream(), out);
                out.push(Tok::Close);
            }
            leaf => out.push(Tok::Leaf(leaf)),
        }
    }
}

/// Rebuilds a stream, ignoring unmatched closes and closing what is left open.
fn rebuild(toks: Vec<Tok>) -> TokenStream {
    let mut stack: Vec<(Delimiter, Vec<TokenTree>)> = vec![(Delimiter::None, Vec::new())];
    for tok in toks {
        match tok {
            Tok::Leaf(tree) => stack.last_mut().expect("root").1.push(tree),
            Tok::Open(delimiter) => stack.push((delimiter, Vec::new())),
            Tok::Close if stack.len() > 1 => {
                let (delimiter, trees) = stack.pop().expect("group");
                let group = Group::new(delimiter, trees.into_iter().collect());
                stack
                    .last_mut()
                    .expect("root")
                    .1
                    .push(TokenTree::Group(group));
            }
            Tok::Close => {}
        }
    }
    while stack.len() > 1 {
        let (delimiter, trees) = stack.pop().expect("group");
        let group = Group::new(delimiter, trees.into_iter().collect());
        stack
            .last_mut()
            .expect("root")
            .1
            .push(TokenTree::Group(group));
    }
    stack.pop().expect("root").1.into_iter().collect()
}

#[derive(Clone, Debug)]
enum Edit {
    Insert(Index, Tok),
    Delete(Index),
    Replace(Index, Tok),
}

fn tok() -> impl Strategy<Value = Tok> {
    prop_oneof![
        6 => leaf().prop_map(Tok::Leaf),
        1 => delimiter().prop_map(Tok::Open),
        1 => Just(Tok::Close),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), tok()).prop_map(|(i, t)| Edit::Insert(i, t)),
        any::<Index>().prop_map(Edit::Delete),
        (any::<Index>(), tok()).prop_map(|(i, t)| Edit::Replace(i, t)),
    ]
}

fn mutate(tokens: &TokenStream, edits: &[Edit]) -> TokenStream {
    let mut toks = Vec::new();
    flatten(tokens.clone(), &mut toks);
    for edit in edits {
        match edit {
            Edit::Insert(i, tok) => {
                let at = i.index(toks.len() + 1);
                toks.insert(at, tok.clone());
            }
            Edit::Delete(i) if !toks.is_empty() => {
                toks.remove(i.index(toks.len()));
            }
            Edit::Replace(i, tok) if !toks.is_empty() => {
                let at = i.index(toks.len());
                toks[at] = tok.clone();
            }
            Edit::Delete(_) | Edit::Replace(..) => {}
        }
    }
    rebuild(toks)
}

/// Valid items, covering the shapes the reader follows.
fn valid_items() -> Vec<TokenStream> {
    vec![
        quote! {
            fn app() -> Router {
                Router::new()
                    .route("/", get(index))
                    .layer(TraceLayer::new_for_http())
                    .layer(AllowedHostLayer::new("example.com"))
            }
        },
        quote! {
            pub async fn app(state: AppState) -> axum::Router<AppState> {
                let router = Router::new().route("/", get(index)).merge(other());
                let router = router.layer(
                    ServiceBuilder::new()
                        .layer(HandleErrorLayer::new(reject))
                        .layer(AllowedHostLayer::new(hosts))
                        .rate_limit(10, Duration::from_secs(1)),
                );
                router
                    .layer(axum_kamal::healthcheck())
                    .layer(TraceLayer::new_for_http())
                    .with_state(state)
            }
        },
        quote! {
            fn app(&self) -> Router {
                let mut r = Router::new().nest("/api", api()).fallback(not_found);
                r = r.route_layer(from_fn(require_auth));
                r.layer(healthcheck())
            }
        },
    ]
}

fn valid_args() -> Vec<TokenStream> {
    vec![
        quote!(),
        quote!(path = "/healthz"),
        quote!(path = "/ready", liveness = "/livez", health = health()),
        quote!(blocking(TenantLayer, tenant_guard), allow(require_json)),
        quote!(
            health = Health::new().check("db", || async { Ok::<(), String>(()) }),
            path = "/up"
        ),
    ]
}

// ---------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(ProptestConfig {
        // The macro's own panics are caught; do not clutter the output with
        // proptest's persistence files inside the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_args_and_item_never_panic(args in token_stream(), item in token_stream()) {
        check(&args, &item)?;
    }

    #[test]
    fn arbitrary_args_on_valid_items_never_panic(
        args in token_stream(),
        item in prop::sample::select(valid_items()),
    ) {
        check(&args, &item)?;
    }

    #[test]
    fn mutated_items_never_panic(
        args in prop::sample::select(valid_args()),
        item in prop::sample::select(valid_items()),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        check(&args, &mutate(&item, &edits))?;
    }

    #[test]
    fn mutated_args_never_panic(
        args in prop::sample::select(valid_args()),
        item in prop::sample::select(valid_items()),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        check(&mutate(&args, &edits), &item)?;
    }
}

#[test]
fn valid_inputs_expand_without_errors() {
    for args in valid_args() {
        for item in valid_items() {
            let output = kamal_app(args.clone(), item.clone()).to_string();
            assert!(
                !output.contains("compile_error"),
                "args: {args}\nitem: {item}\noutput: {output}"
            );
            syn::parse_str::<syn::File>(&output).expect("output parses");
        }
    }
}

#[test]
fn flatten_and_rebuild_round_trip() {
    for item in valid_items() {
        let mut toks = Vec::new();
        flatten(item.clone(), &mut toks);
        assert_eq!(rebuild(toks).to_string(), item.to_string());
    }
}

/// Paths are judged by the runtime's rules, never silently dropped: a
/// literal when the arguments are read (a bad one is an error on it), any
/// other expression in a const assertion on the argument (the runtime's
/// unit tests hold the rules).
#[test]
fn every_path_is_checked_at_compile_time() {
    let item = valid_items().remove(0);
    // `/` is the item's own route: an error of its own.
    for path in STRINGS.iter().filter(|path| **path != "/") {
        for name in ["path", "liveness"] {
            let name = Ident::new(name, Span::call_site());
            let args = quote!(#name = #path);
            let output = kamal_app(args.clone(), item.clone()).to_string();
            let rejected = output.contains("compile_error");
            let distinct = name != "liveness" || *path != "/up";
            assert_eq!(
                rejected,
                crate::paths::check_path(path).is_err() || !distinct,
                "{args}: {output}"
            );
            let constant = quote!(#name = PATHS[0]);
            let output = kamal_app(constant.clone(), item.clone()).to_string();
            let check = quote!(__private::check_path(PATHS[0])).to_string();
            assert!(output.contains(&check), "{constant} unchecked: {output}");
        }
    }
}
