//! Shared helpers for the axum-kamal integration tests.
