//! Procedural macros for axum-kamal (placeholder, being written).
use proc_macro::TokenStream;

/// Placeholder.
#[proc_macro_attribute]
pub fn kamal_app(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
