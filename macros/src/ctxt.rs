//! Collects every finding while reading the attribute and the function, so
//! that the user sees all of them in one build (after serde_derive's `Ctxt`):
//! errors, for what the macro knows, and warnings, for what it guesses.

use std::collections::HashSet;
use std::fmt::Display;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};

use crate::rules::Rule;

#[derive(Default)]
pub struct Diagnostics {
    errors: Vec<syn::Error>,
    warnings: Vec<(Span, String)>,
    /// What `explain` prints.
    explanations: Vec<(Span, String)>,
    /// Findings already reported, by the code they point at and their text:
    /// a step shared by two returned routers is reported once.
    reported: HashSet<(usize, String)>,
}

impl Diagnostics {
    pub fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// An error underlining `location`, once.
    pub fn at(&mut self, location: impl Into<Location>, message: impl Display) {
        let location = location.into();
        let message = message.to_string();
        if self.first_time(&location, &message) {
            self.push(syn::Error::new_spanned(location, message));
        }
    }

    /// An error of the ordering checks, once, ending with its rule.
    pub fn error(&mut self, location: impl Into<Location>, rule: Rule, message: impl Display) {
        self.at(location, format!("{message}\n{}", rule.reference()));
    }

    /// A warning on `location`'s first token, once, ending with its rule: a
    /// guess, which the user may silence.
    pub fn warn(&mut self, location: Location, rule: Rule, message: impl Display) {
        let message = format!("{message}\n{}", rule.reference());
        if self.first_time(&location, &message) {
            self.warnings.push((location.first, message));
        }
    }

    /// The explanation `explain` asks for, on `location`'s first token.
    pub fn explain(&mut self, location: Location, text: String) {
        self.explanations.push((location.first, text));
    }

    fn first_time(&mut self, location: &Location, message: &str) -> bool {
        location.origin == 0 || self.reported.insert((location.origin, message.to_owned()))
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// All collected errors as one `syn::Error`, or `None` when there are none.
    pub fn into_error(self) -> Option<syn::Error> {
        self.errors.into_iter().reduce(|mut all, next| {
            all.combine(next);
            all
        })
    }

    /// The warnings, and what `explain` prints, as an item for the
    /// function's body. Stable Rust lets a
    /// procedural macro warn only through a lint, so each is the use of a
    /// `#[deprecated]` macro, spanned on the code it is about; a macro's
    /// name is all rustc prints before the note, where an item's would
    /// bring its whole path. Lint levels nest and the innermost wins: the
    /// first copy's own `warn(deprecated, warnings)` keeps them from any
    /// `allow(deprecated)` or `allow(warnings)` around the function (only
    /// `#[kamal_app(allow(..))]` silences them), and the second copy, under
    /// `warn(deprecated)` alone, is an error under `deny(warnings)` or `-D
    /// warnings`. Otherwise both copies are the same diagnostic, which
    /// rustc shows once.
    pub fn warnings(&self) -> Option<TokenStream> {
        if self.warnings.is_empty() && self.explanations.is_empty() {
            return None;
        }
        let warnings = self
            .explanations
            .iter()
            .map(|(span, text)| ("kamal_app_explain", span, text))
            .chain(
                self.warnings
                    .iter()
                    .map(|(span, message)| ("kamal_app_warning", span, message)),
            )
            .map(|(name, span, message)| {
                let name = Ident::new(name, *span);
                quote_spanned! {*span=>
                    {
                        #[deprecated(note = #message)]
                        macro_rules! #name { () => {} }
                        #name!();
                    }
                }
            });
        let warnings: Vec<TokenStream> = warnings.collect();
        Some(quote! {
            #[warn(deprecated, warnings)]
            const _: () = { #(#warnings)* };
            #[warn(deprecated)]
            const _: () = { #(#warnings)* };
        })
    }
}

/// A piece of the user's code a finding points at, from its first token to
/// its last (a single `Span` only covers one token on stable Rust).
#[derive(Clone, Copy, Debug)]
pub struct Location {
    first: Span,
    last: Span,
    /// The address of the syntax node it was read from, which identifies
    /// it (spans have no equality); 0 for none.
    origin: usize,
}

impl Location {
    pub fn of<T: ToTokens>(code: &T) -> Location {
        let mut tokens = code.to_token_stream().into_iter();
        let first = tokens
            .next()
            .map_or_else(Span::call_site, |token| token.span());
        let last = tokens.last().map_or(first, |token| token.span());
        Location {
            first,
            last,
            origin: std::ptr::from_ref(code).addr(),
        }
    }

    /// From `first` to `last`, inside the syntax node `origin`.
    pub fn between<T>(first: Span, last: Span, origin: &T) -> Location {
        Location {
            first,
            last,
            origin: std::ptr::from_ref(origin).addr(),
        }
    }

    /// Whether both were read from the same syntax node.
    pub fn same_code(&self, other: &Location) -> bool {
        self.origin != 0 && self.origin == other.origin
    }
}

impl From<Span> for Location {
    fn from(span: Span) -> Location {
        Location {
            first: span,
            last: span,
            origin: 0,
        }
    }
}

/// Two tokens carrying the spans, so `syn::Error::new_spanned` underlines the range.
impl ToTokens for Location {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(
            [
                Ident::new("first", self.first),
                Ident::new("last", self.last),
            ]
            .map(|ident| ident.into_token_stream()),
        );
    }
}
