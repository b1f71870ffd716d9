//! Procedural macros for [axum-kamal](https://docs.rs/axum-kamal). Depend on
//! `axum-kamal`, which re-exports them; this crate is its implementation.

mod ast;
mod attr;
#[cfg(test)]
mod corpus;
mod ctxt;
mod expand;
#[cfg(test)]
mod fuzz;
mod judge;
mod krate;
mod model;
mod paths;
#[cfg(test)]
mod quiet;
mod reader;
mod rules;
mod valid;

use proc_macro::TokenStream;

/// Adds the Kamal healthcheck to the axum `Router` the annotated function
/// builds, where none of its layers runs for the probe. See the `axum-kamal`
/// crate for the full guide.
#[proc_macro_attribute]
pub fn kamal_app(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::kamal_app(args.into(), item.into()).into()
}
