//! axum-kamal runtime (placeholder, being written).
pub use axum_kamal_macros::kamal_app;

/// Placeholder.
pub struct HealthcheckLayer;
