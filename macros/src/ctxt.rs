//! Collects every error found while reading the attribute and the function, so
//! that the user sees all of them in one build (after serde_derive's `Ctxt`).

use std::fmt::Display;

use proc_macro2::Span;

#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    pub fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// An error at `span`, once: a step shared by two returned routers is reported once.
    pub fn at(&mut self, span: Span, message: impl Display) {
        let error = syn::Error::new(span, message);
        let key = |error: &syn::Error| format!("{:?} {error}", error.span());
        if !self.errors.iter().any(|seen| key(seen) == key(&error)) {
            self.push(error);
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
