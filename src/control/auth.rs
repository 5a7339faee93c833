//! The admin token. The admin plane (`/_sim/...`) listens with the carrier
//! APIs; on loopback it is open. When the listener is bound to any other
//! address a token is required (`--admin-token` / `CARRIER_SIM_ADMIN_TOKEN`
//! / `Settings::admin_token`), the server refuses to start without one, and
//! every admin request must carry `Authorization: Bearer <token>`. A token
//! set on loopback is enforced too. `/_sim/health` and `/_sim/ready` (for
//! container health checks), `/_sim/openapi.json`, the Swagger UI under
//! `/_sim/docs` and the dashboard's page and assets under `/_sim/ui` stay
//! open; `/_sim/metrics` too when the server runs with `--open-metrics`
//! (for Prometheus scrapers, which the metrics tell nothing secret).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::context::Settings;

/// Why the settings cannot start a server. Every listener beyond loopback
/// needs the admin token: the HTTP listener serves the admin plane, and
/// the AT modem (no authentication of its own: anyone reaching it acts as
/// the card) and the SMPP SMSC (the fixture's demo credentials) must not
/// be opened to a network by accident either.
pub fn check_settings(s: &Settings) -> Result<(), String> {
    let token = s.admin_token.as_deref().unwrap_or("");
    if !token.is_empty() {
        return Ok(());
    }
    if !s.bind.ip().is_loopback() {
        return Err(format!(
            "the admin plane on {} (not loopback) needs a token: pass --admin-token or set CARRIER_SIM_ADMIN_TOKEN",
            s.bind
        ));
    }
    for (name, addr) in [("AT modem", s.modem_bind), ("SMPP", s.smpp_bind)] {
        if let Some(a) = addr.filter(|a| !a.ip().is_loopback()) {
            return Err(format!(
                "the {name} listener on {a} (not loopback) needs the admin token too: pass --admin-token or set CARRIER_SIM_ADMIN_TOKEN, or bind it to 127.0.0.1"
            ));
        }
    }
    Ok(())
}

/// What the admin-token middleware needs of the settings.
#[derive(Clone, Debug, Default)]
pub struct AdminAuth {
    /// The token; none or empty leaves the admin plane open.
    pub token: Option<String>,
    /// `/_sim/metrics` needs no token.
    pub open_metrics: bool,
}

impl AdminAuth {
    pub fn of(settings: &Settings) -> AdminAuth {
        AdminAuth {
            token: settings.admin_token.clone(),
            open_metrics: settings.open_metrics,
        }
    }
}

/// Paths of the admin plane that need no token.
/// Health and readiness are what container health checks and load
/// balancers probe without credentials. The dashboard's page and assets
/// hold no data (the page asks for the token and sends it on every API
/// call), so a browser can open them.
fn open_path(path: &str) -> bool {
    path == "/_sim/health"
        || path == "/_sim/ready"
        || path == "/_sim/openapi.json"
        || path.starts_with("/_sim/docs")
        || path == "/_sim/ui"
        || path.starts_with("/_sim/ui/")
}

/// Constant-time comparison of two byte strings.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Middleware: admin paths need the bearer token when one is configured.
pub async fn layer(State(auth): State<Arc<AdminAuth>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let Some(token) = auth.token.as_deref().filter(|t| !t.is_empty()) else {
        return next.run(req).await;
    };
    if !path.starts_with("/_sim/")
        || open_path(path)
        || (auth.open_metrics && path == "/_sim/metrics")
    {
        return next.run(req).await;
    }
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(g) if same(g.as_bytes(), token.as_bytes()) => next.run(req).await,
        Some(_) => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            Json(serde_json::json!({"error": "wrong admin token"})),
        )
            .into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            Json(serde_json::json!({"error": "the admin plane needs 'Authorization: Bearer <token>'"})),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_loopback_needs_a_token() {
        let mut s = Settings::default();
        assert!(check_settings(&s).is_ok());
        s.bind = "0.0.0.0:0".parse().unwrap();
        assert!(check_settings(&s).unwrap_err().contains("token"));
        s.admin_token = Some("t".into());
        assert!(check_settings(&s).is_ok());
    }

    #[test]
    fn device_listeners_beyond_loopback_need_the_token() {
        let mut s = Settings {
            smpp_bind: Some("0.0.0.0:2775".parse().unwrap()),
            ..Settings::default()
        };
        assert!(check_settings(&s).unwrap_err().contains("SMPP"));
        s.smpp_bind = Some("127.0.0.1:2775".parse().unwrap());
        s.modem_bind = Some("[::]:7000".parse().unwrap());
        assert!(check_settings(&s).unwrap_err().contains("modem"));
        s.admin_token = Some("t".into());
        assert!(check_settings(&s).is_ok());
    }
}
