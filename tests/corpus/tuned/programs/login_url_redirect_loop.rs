//! Source: https://github.com/maxcountryman/axum-login/blob/main/examples/sqlite/src/web/protected.rs
//! `login_required!(Backend, login_url = "/login")` put on the whole router, login page included: the probe is sent to /login, which redirects again (307 until the client gives up).

use std::convert::Infallible;

use axum::Router;
use axum::routing::get;
use axum_login::tower_sessions::{MemoryStore, SessionManagerLayer};
use axum_login::{AuthManagerLayerBuilder, AuthUser, AuthnBackend, UserId, login_required};

#[derive(Clone, Debug)]
struct Member {
    username: String,
}

impl AuthUser for Member {
    type Id = String;

    fn id(&self) -> String {
        self.username.clone()
    }

    fn session_auth_hash(&self) -> &[u8] {
        self.username.as_bytes()
    }
}

/// Members sign in through an external provider; none is known locally.
#[derive(Clone)]
struct Backend;

impl AuthnBackend for Backend {
    type User = Member;
    type Credentials = String;
    type Error = Infallible;

    async fn authenticate(&self, _: String) -> Result<Option<Member>, Infallible> {
        Ok(None)
    }

    async fn get_user(&self, _: &UserId<Self>) -> Result<Option<Member>, Infallible> {
        Ok(None)
    }
}

async fn login_page() -> &'static str {
    "<form method=post>...</form>"
}

async fn forum() -> &'static str {
    "forum"
}

pub fn app() -> Router {
    let session_layer = SessionManagerLayer::new(MemoryStore::default());
    let auth_layer = AuthManagerLayerBuilder::new(Backend, session_layer).build();
    Router::new()
        .route("/", get(forum))
        .route("/login", get(login_page))
        .layer(axum_kamal::healthcheck())
        .layer(login_required!(Backend, login_url = "/login"))
        .layer(auth_layer)
}
