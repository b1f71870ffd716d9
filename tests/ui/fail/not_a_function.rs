//! #[kamal_app] on anything but a function says what it accepts.
use axum_kamal::kamal_app;

#[kamal_app]
pub struct App {
    pub name: &'static str,
}

#[kamal_app]
const PATH: &str = "/up";

fn main() {
    let _ = App { name: PATH };
}
