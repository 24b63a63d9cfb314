//! Response headers that every response carries.
//!
//! HTML pages get a nonce-based Content-Security-Policy from the app's
//! document (`app::shell::content_security_policy`); every other response
//! gets [`DEFAULT_CSP`], which allows nothing, so a JSON or artifact body
//! opened in a tab can never run script.
//!
//! [`same_origin_writes`] refuses requests that change things when a
//! browser says they come from another origin (a notebook's pages, any
//! other site): browsers attach cookies to such requests, so without this
//! a page elsewhere could act as the user.

use axum::Router;
use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_http::set_header::SetResponseHeaderLayer;

/// Policy for responses that are not our HTML pages.
pub const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Adds the security headers to every response of `router`.
pub fn with_headers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        ))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "same-origin"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(HeaderName::from_static("cross-origin-opener-policy"), "same-origin"))
}

/// The largest body a route takes: the KFP API's and uploads' limit, or
/// axum's default of 2 MiB for the rest (forms, server functions).
fn body_limit(path: &str) -> usize {
    if path.starts_with("/apis/") || path == "/ui/pipelines/upload" {
        crate::kfp::MAX_UPLOAD_BYTES
    } else {
        2 * 1024 * 1024
    }
}

/// Refuses a body declared larger than its route takes with 413 before
/// any handler reads it, so every route answers the same way (a server
/// function or a multipart parser would otherwise answer 400 or 500).
pub async fn bounded_bodies(request: Request, next: Next) -> Response {
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let limit = body_limit(request.uri().path());
    if declared.is_some_and(|length| length > limit as u64) {
        return crate::ApiError::TooLarge(format!("the request body is larger than {limit} bytes")).into_response();
    }
    next.run(request).await
}

/// Refuses a request that is not a read when its `Origin` (sent by
/// browsers) is not this server's own. Clients that send no `Origin`
/// (`kfp`, curl) are not browsers acting for someone else and pass.
pub async fn same_origin_writes(request: Request, next: Next) -> Response {
    let reading = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !reading && let Some(origin) = foreign_origin(request.headers()) {
        let message = format!("a request from {origin} may not change anything here");
        return (StatusCode::FORBIDDEN, message).into_response();
    }
    next.run(request).await
}

/// The `Origin` a browser sent, when it is not the origin the request was
/// made to (its `Host`).
pub fn foreign_origin(headers: &axum::http::HeaderMap) -> Option<String> {
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("(unreadable)");
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let own = origin.split_once("://").is_some_and(|(_, authority)| authority == host);
    (!own).then(|| origin.to_owned())
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, routing::post};
    use tower::ServiceExt;

    use super::*;

    async fn status(origin: Option<&str>, method: Method) -> StatusCode {
        let app = Router::new()
            .route("/x", post(|| async { "done" }).get(|| async { "read" }))
            .layer(axum::middleware::from_fn(same_origin_writes));
        let mut request = Request::builder().method(method).uri("/x").header("host", "127.0.0.1:8080");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap().status()
    }

    #[tokio::test]
    async fn writes_from_another_origin_are_refused() {
        assert_eq!(status(Some("http://127.0.0.1:8081"), Method::POST).await, StatusCode::FORBIDDEN);
        assert_eq!(status(Some("null"), Method::POST).await, StatusCode::FORBIDDEN);
        assert_eq!(status(Some("http://127.0.0.1:8080"), Method::POST).await, StatusCode::OK);
        assert_eq!(status(None, Method::POST).await, StatusCode::OK, "non-browser clients send no Origin");
        assert_eq!(status(Some("http://127.0.0.1:8081"), Method::GET).await, StatusCode::OK, "reads are not refused");
    }
}
