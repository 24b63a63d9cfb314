//! Authentication: who is calling. Every request leaves this layer with a
//! [`Principal`] in its extensions, which handlers and server functions pass
//! to the engine for authorization.
//!
//! The embedded default has one user and no sign-in: every request is the
//! local user, and the server binds to loopback by default. Sign-in and a
//! trusted auth-proxy header arrive with multi-user profiles.

use axum::{extract::Request, middleware::Next, response::Response};
use model::Principal;

/// Marks the request as made by the local user.
pub async fn single_user(mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(Principal::local());
    next.run(request).await
}
