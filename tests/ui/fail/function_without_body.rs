//! A trait method without a body cannot be rewritten.
use axum::Router;
use axum_kamal::kamal_app;

trait Factory {
    #[kamal_app]
    fn app() -> Router;

    #[kamal_app]
    async fn async_app() -> Router;
}

fn main() {}
