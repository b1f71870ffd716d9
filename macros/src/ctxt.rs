//! Collects every error found while reading the attribute and the function, so
//! that the user sees all of them in one build (after serde_derive's `Ctxt`).

use std::collections::HashSet;
use std::fmt::Display;

use proc_macro2::{Ident, Span, TokenStream};
use quote::ToTokens;

#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
    reported: HashSet<String>,
}

impl Errors {
    pub fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// An error underlining `location`, once: a step shared by two returned
    /// routers is reported once.
    pub fn at(&mut self, location: impl Into<Location>, message: impl Display) {
        let location = location.into();
        if self
            .reported
            .insert(format!("{} {message}", location.key()))
        {
            self.push(syn::Error::new_spanned(location, message));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// All collected errors as one `syn::Error`, or `None` when there are none.
    pub fn into_error(self) -> Option<syn::Error> {
        self.errors.into_iter().reduce(|mut all, next| {
            all.combine(next);
            all
        })
    }
}

/// A piece of the user's code an error underlines, from its first token to its
/// last (a single `Span` only covers one token on stable Rust).
#[derive(Clone, Copy, Debug)]
pub struct Location {
    first: Span,
    last: Span,
}

impl Location {
    pub fn of(code: &impl ToTokens) -> Location {
        let mut tokens = code.to_token_stream().into_iter();
        let first = tokens
            .next()
            .map_or_else(Span::call_site, |token| token.span());
        let last = tokens.last().map_or(first, |token| token.span());
        Location { first, last }
    }

    pub fn between(first: Span, last: Span) -> Location {
        Location { first, last }
    }

    /// Identifies the piece of code: spans have no equality, their debug form does.
    pub fn key(&self) -> String {
        format!("{:?} {:?}", self.first, self.last)
    }
}

impl From<Span> for Location {
    fn from(span: Span) -> Location {
        Location::between(span, span)
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
