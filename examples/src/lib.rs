//! Runnable examples for axum-kamal; see `examples/`.
