//! The browser guard of the `/_sim` admin plane, in front of the admin
//! token. A web page on any origin can make the user's browser send
//! requests to the simulator on loopback, so the plane refuses the two
//! ways such a page could use it:
//!
//! - **Cross-site requests (CSRF).** A page may send a `POST` without asking
//!   first only with a `text/plain`, form or multipart body and no custom
//!   header (the Fetch standard's "CORS-safelisted" requests). Every admin
//!   `POST` must therefore carry `Content-Type: application/json` (or
//!   `application/*+json`) or an `X-Requested-With` header, which a page
//!   cannot add without a CORS preflight the simulator never grants. `PUT`,
//!   `PATCH` and `DELETE` always need that preflight, so they pass.
//! - **DNS rebinding.** A page served from `evil.example` can rebind the
//!   name to 127.0.0.1 and read `/_sim/credentials` as "same origin"; the
//!   request then carries `Host: evil.example`. Without an admin token the
//!   plane answers only a `Host` that is a loopback name (`localhost`,
//!   `*.localhost`), a loopback address or the listener's own address. With
//!   a token the token decides (the rebinding page does not know it).
//!
//! It also keeps every admin error JSON: a rejection produced below the
//! handlers (a body over its limit, a method the route lacks) is plain text
//! in axum and is rewritten as `{"error": "..."}` with the same status.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::context::Settings;

/// The header a non-browser client (or the dashboard) may send instead of a
/// JSON content type on a body-less `POST`.
pub const CLIENT_HEADER: &str = "x-requested-with";

/// Error bodies longer than this are not rewritten (they are not axum's
/// short rejection texts).
const REWRITE_LIMIT: usize = 64 * 1024;

/// What the guard needs of the settings.
#[derive(Clone, Debug)]
pub struct Guard {
    /// The HTTP listener's address (its IP is an accepted `Host`).
    pub bind: SocketAddr,
    /// With a token the `Host` check is left to the token.
    pub token_set: bool,
}

impl Guard {
    pub fn of(settings: &Settings) -> Guard {
        Guard {
            bind: settings.bind,
            token_set: settings
                .admin_token
                .as_deref()
                .is_some_and(|t| !t.is_empty()),
        }
    }

    /// Whether a `Host` header value names this simulator.
    pub fn host_allowed(&self, host: &str) -> bool {
        if self.token_set {
            return true;
        }
        let name = host_name(host).to_ascii_lowercase();
        let name = name.trim_end_matches('.');
        if name == "localhost" || name.ends_with(".localhost") {
            return true;
        }
        match name.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback() || ip == self.bind.ip(),
            Err(_) => false,
        }
    }
}

/// The name part of a `Host` value: `[::1]:80` → `::1`, `a:80` → `a`.
fn host_name(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match host.rsplit_once(':') {
        // One colon: a port. More: a bare IPv6 address (not valid in Host, kept whole).
        Some((name, _)) if !name.contains(':') => name,
        _ => host,
    }
}

/// Whether a content type is JSON (`application/json`, `application/x+json`).
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Why a request may not change anything, if it may not (CSRF rule).
pub fn cross_site_refusal(method: &Method, headers: &HeaderMap) -> Option<String> {
    if method != Method::POST || headers.contains_key(CLIENT_HEADER) {
        return None;
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if is_json(ct) {
        return None;
    }
    let given = if ct.is_empty() {
        "none".to_string()
    } else {
        format!("'{ct}'")
    };
    Some(format!(
        "an admin POST needs 'Content-Type: application/json' or an 'X-Requested-With' header (content type given: {given}); this refuses cross-site form posts"
    ))
}

fn error(status: StatusCode, msg: String) -> Response {
    (status, Json(serde_json::json!({"error": msg}))).into_response()
}

/// Middleware over the whole application; acts on `/_sim` paths only.
pub async fn layer(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/_sim") {
        return next.run(req).await;
    }
    if let Some(host) = req
        .headers()
        .get(header::HOST)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    {
        if !guard.host_allowed(&host) {
            return error(
                StatusCode::FORBIDDEN,
                format!(
                    "Host '{host}' is not this simulator: without an admin token the admin plane answers localhost, loopback addresses and {} only (DNS rebinding guard)",
                    guard.bind.ip()
                ),
            );
        }
    }
    if let Some(why) = cross_site_refusal(req.method(), req.headers()) {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, why);
    }
    let resp = next.run(req).await;
    json_errors(resp).await
}

/// Rewrites a non-JSON error answer (axum's plain-text rejections) as JSON.
async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if is_json(ct) || ct.starts_with("text/event-stream") {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = match axum::body::to_bytes(body, REWRITE_LIMIT).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    let msg = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let mut out = error(status, msg);
    for name in [header::ALLOW, header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(bind: &str, token_set: bool) -> Guard {
        Guard {
            bind: bind.parse().unwrap(),
            token_set,
        }
    }

    #[test]
    fn hosts() {
        let g = guard("127.0.0.1:8080", false);
        for ok in [
            "localhost",
            "localhost:8080",
            "LOCALHOST.",
            "app.localhost:1",
            "127.0.0.1:8080",
            "127.1.2.3",
            "[::1]:8080",
        ] {
            assert!(g.host_allowed(ok), "{ok}");
        }
        for no in [
            "evil.example",
            "evil.example:8080",
            "10.0.0.1",
            "localhost.evil",
            "",
        ] {
            assert!(!g.host_allowed(no), "{no}");
        }
        assert!(guard("192.168.1.5:80", false).host_allowed("192.168.1.5"));
        assert!(guard("127.0.0.1:80", true).host_allowed("evil.example"));
    }

    #[test]
    fn json_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
        assert!(!is_json(""));
    }
}
