//! The outermost HTTP layer: a handler that panics still gets an answer.
//! The panic is logged and the client receives the `internal` error of the
//! dialect that owns the path (a CMCC envelope, a CUCC Jasper body, CTCC's
//! plain text...), or a JSON 500 on the admin plane, instead of a dropped
//! connection. tower-http's `CatchPanicLayer` cannot see the request path,
//! which the carrier-shaped answer needs, so this is a middleware around
//! `catch_unwind` of the handler's future.

use std::panic::AssertUnwindSafe;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use futures::FutureExt;

use crate::carriers::dialect::{dialect_of, respond, ErrorContext, NeutralError};

/// Runs the rest of the stack; a panic becomes the path's `internal` error.
pub async fn layer(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(response) => response,
        // An injected connection reset is meant to reach hyper.
        Err(panic) if panic.is::<crate::control::requests::InjectedReset>() => {
            std::panic::resume_unwind(panic)
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            tracing::error!(%path, %message, "handler panicked; answered as an internal error");
            internal_error(&path)
        }
    }
}

fn internal_error(path: &str) -> Response {
    match dialect_of(path) {
        Some(dialect) => dialect.error(
            NeutralError::Internal,
            &ErrorContext {
                path,
                params: &[],
                now: jiff::Timestamp::UNIX_EPOCH,
            },
        ),
        None => respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            "application/json",
            Body::from(
                r#"{"error":"internal error: the simulator failed on this request (logged)"}"#,
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    use super::*;

    async fn boom() -> &'static str {
        panic!("boom")
    }

    async fn answer(path: &str) -> (StatusCode, String) {
        let app = Router::new()
            .fallback(get(boom))
            .layer(axum::middleware::from_fn(layer));
        let req = Request::builder().uri(path).body(Body::empty()).unwrap();
        let resp = app.oneshot(req).await.unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).to_string())
    }

    #[tokio::test]
    async fn a_panic_on_the_admin_plane_is_a_json_500() {
        let (status, body) = answer("/_sim/cards").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("internal error"), "{body}");
    }

    #[tokio::test]
    async fn a_panic_on_a_carrier_path_is_that_dialects_internal_error() {
        for path in [
            "/v5/ec/query/sim-basic-info",
            "/rws/api/v1/devices/89860000000000000000",
            "/m2m_ec/query.do",
        ] {
            let dialect = dialect_of(path).expect("a dialect path");
            let want = dialect.error(
                NeutralError::Internal,
                &ErrorContext {
                    path,
                    params: &[],
                    now: jiff::Timestamp::UNIX_EPOCH,
                },
            );
            let want_status = want.status();
            let want_body = axum::body::to_bytes(want.into_body(), 1 << 20)
                .await
                .unwrap();
            let (status, body) = answer(path).await;
            assert_eq!(status, want_status, "{path}");
            assert_eq!(body.as_bytes(), &want_body[..], "{path}");
        }
    }
}
