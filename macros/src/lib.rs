//! Procedural macros for [axum-kamal](https://docs.rs/axum-kamal). Depend on
//! `axum-kamal`, which re-exports them; this crate is its implementation.

// `#[kamal_app]` runs in stages, a module each: `parse` the arguments and
// the function, `read` its body into the `model`, `route` the probe through
// it by axum's rules, `judge` each layer on its way (by what `names`
// recognises), `diagnose` what to report (each finding under one of the
// `rules`), and `expand` the function.

#[cfg(test)]
mod corpus;
mod ctxt;
mod diagnose;
mod expand;
#[cfg(test)]
mod fuzz;
mod judge;
mod krate;
mod model;
mod names;
mod parse;
mod paths;
#[cfg(test)]
mod quiet;
mod read;
mod route;
mod rules;

use proc_macro::TokenStream;

/// Adds the Kamal healthcheck to the axum `Router` the annotated function
/// builds, where none of its layers runs for the probe. See the `axum-kamal`
/// crate for the full guide.
#[proc_macro_attribute]
pub fn kamal_app(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::kamal_app(args.into(), item.into()).into()
}
