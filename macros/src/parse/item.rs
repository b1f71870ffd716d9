//! The annotated item: it must be a function with a body that returns an axum
//! `Router` (or a `Result` of one; the compiler checks the type through
//! `axum_kamal::AppRouter`).

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::visit::Visit;
use syn::{Item, ItemFn, ReturnType, Type, TypeImplTrait};

use crate::ctxt::{Diagnostics, Location};

pub struct AppFn {
    pub item: ItemFn,
    /// The return type exactly as written: `Router`, `Result<axum::Router<AppState>, E>`, ….
    pub output: Type,
}

impl AppFn {
    /// The function, or `None` after reporting why the item is not one `#[kamal_app]` accepts.
    pub fn parse(tokens: TokenStream, errors: &mut Diagnostics) -> Option<AppFn> {
        let item = match syn::parse2::<Item>(tokens.clone()) {
            Ok(Item::Fn(item)) => item,
            _ => {
                let (span, keyword) = item_keyword(tokens);
                let message = if keyword == "fn" {
                    "#[kamal_app] needs a function with a body that builds and returns your axum Router".to_owned()
                } else {
                    format!(
                        "#[kamal_app] goes on the function that builds your axum Router, such as \
                         `fn app() -> Router`; it cannot be used on `{keyword}`"
                    )
                };
                errors.at(span, message);
                return None;
            }
        };
        let output = match &item.sig.output {
            ReturnType::Type(_, ty) if contains_impl_trait(ty) => {
                errors.at(
                    Location::of(ty),
                    format!(
                        "#[kamal_app] needs the router's type, found `{}`\n\
                         help: return `Router`, `Router<S>` or `Result<Router<S>, E>`",
                        type_name(ty)
                    ),
                );
                return None;
            }
            // Any other type is checked by the compiler, through `AppRouter`.
            ReturnType::Type(_, ty) => (**ty).clone(),
            ReturnType::Default => {
                errors.at(
                    item.sig.ident.span(),
                    format!(
                        "#[kamal_app] needs a function that returns an axum Router: add `-> Router` \
                         (or `-> Router<S>`, `-> Result<Router, E>`) to `{}`",
                        item.sig.ident
                    ),
                );
                return None;
            }
        };
        Some(AppFn { item, output })
    }
}

/// A type as a user writes it: `Vec<axum::Router>`, not `Vec < axum :: Router >`.
fn type_name(ty: &Type) -> String {
    let spaced = ty.to_token_stream().to_string();
    [
        (" :: ", "::"),
        (":: ", "::"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
    ]
    .iter()
    .fold(spaced, |text, (from, to)| text.replace(from, to))
}

/// Whether `ty` holds an `impl Trait`, which names no type the expansion can use.
fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}

/// The span and text of the item's keyword, past its attributes and
/// visibility; a function's qualifiers (`async`, `const`, `unsafe`, `extern "C"`)
/// belong to its `fn`.
fn item_keyword(tokens: TokenStream) -> (Span, String) {
    let mut tokens = tokens.into_iter().peekable();
    let mut qualifiers = Vec::new();
    while let Some(token) = tokens.next() {
        match &token {
            TokenTree::Punct(punct) if punct.as_char() == '#' => {
                tokens.next(); // the attribute's `[..]`
            }
            TokenTree::Ident(ident) if ident == "pub" => {
                if matches!(tokens.peek(), Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis)
                {
                    tokens.next(); // `(crate)`
                }
            }
            TokenTree::Ident(ident)
                if ["async", "const", "unsafe", "extern"].contains(&ident.to_string().as_str()) =>
            {
                qualifiers.push(token);
            }
            TokenTree::Literal(_) if !qualifiers.is_empty() => qualifiers.push(token), // the ABI
            TokenTree::Ident(ident) if ident == "fn" => {
                let first = qualifiers.first().unwrap_or(&token);
                return (first.span(), "fn".to_owned());
            }
            _ => {
                let first = qualifiers.into_iter().next().unwrap_or(token);
                return (first.span(), first.to_string());
            }
        }
    }
    (Span::call_site(), "nothing".to_owned())
}
