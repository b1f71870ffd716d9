//! Source: https://github.com/maxcountryman/axum-login/blob/main/examples/sqlite/src/web/app.rs
//! axum-login's session-loading `AuthManagerLayerBuilder::new(backend, session_layer).build()` outside the healthcheck: an anonymous request goes through; `login_required!` guards only the protected routes.

use std::collections::HashMap;
use std::convert::Infallible;

use axum::Router;
use axum::routing::get;
use axum_login::tower_sessions::cookie::time::Duration;
use axum_login::tower_sessions::{Expiry, MemoryStore, SessionManagerLayer};
use axum_login::{AuthManagerLayerBuilder, AuthUser, AuthnBackend, UserId, login_required};

#[derive(Clone, Debug)]
struct User {
    id: i64,
    password: String,
}

impl AuthUser for User {
    type Id = i64;

    fn id(&self) -> i64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        self.password.as_bytes()
    }
}

#[derive(Clone, Default)]
struct Backend {
    users: HashMap<i64, User>,
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = (i64, String);
    type Error = Infallible;

    async fn authenticate(
        &self,
        (id, password): (i64, String),
    ) -> Result<Option<User>, Infallible> {
        Ok(self
            .users
            .get(&id)
            .filter(|user| user.password == password)
            .cloned())
    }

    async fn get_user(&self, user_id: &UserId<Self>) -> Result<Option<User>, Infallible> {
        Ok(self.users.get(user_id).cloned())
    }
}

mod protected {
    use axum::Router;
    use axum::routing::get;

    async fn protected() -> &'static str {
        "protected"
    }

    pub fn router() -> Router {
        Router::new().route("/", get(protected))
    }
}

async fn login_page() -> &'static str {
    "login"
}

pub fn app() -> Router {
    let session_store = MemoryStore::default();
    let session_layer = SessionManagerLayer::new(session_store)
        .with_secure(false)
        .with_expiry(Expiry::OnInactivity(Duration::days(1)));
    let backend = Backend::default();
    let auth_layer = AuthManagerLayerBuilder::new(backend, session_layer).build();
    protected::router()
        .route_layer(login_required!(Backend, login_url = "/login"))
        .route("/login", get(login_page))
        .layer(axum_kamal::healthcheck())
        .layer(auth_layer)
}
