//! Telecom's two wire dialects as the rest of the simulator sees them: the
//! legacy API under `/m2m_ec` (HTTP 200, plain text `code：text` from the
//! one table in [`super::codes`]; one path serves every interface, chosen
//! by the `method` parameter) and the 5G CMP gateway under `/api/v1`,
//! `/openapi` and `/5gcmp` (HTTP 200, JSON `{"code","msg"}` with the same
//! codes).

use axum::response::Response;

use super::codes::Code;
use super::Fail;
use crate::carriers::dialect::{gateway_timeout, Dialect, ErrorContext, NeutralError, RateLimit};
use crate::domain::Carrier;

/// Per-method limits a minute per account that public clients document:
/// getSIMList 10 (the comment 电信接口每分钟10次 beside a getSIMList call
/// in a public Java task class, package `com.zycm.zybao.service.task`,
/// `RefreshMediaIotTask`; repository not identified, found by content).
pub const METHOD_LIMITS: [(&str, u32); 1] = [("getSIMList", 10)];

/// The legacy self-management API (`/m2m_ec/*.do?method=...`).
pub struct Legacy;
/// The 5G CMP gateway.
pub struct G5;

/// The failure of a neutral error; `auth` is the dialect's rejection of
/// the caller and `ids` its identifier parameters. `None` for a timeout.
fn fail(kind: NeutralError, ctx: &ErrorContext<'_>, auth: Fail, ids: &[&str]) -> Option<Fail> {
    Some(match kind {
        NeutralError::Auth => auth,
        NeutralError::NotFound => {
            let named = ids
                .iter()
                .find(|k| ctx.param(k).is_some_and(|v| !v.is_empty()));
            Fail::not_found(named.copied().unwrap_or("iccid"))
        }
        NeutralError::NotYours => Fail::new(Code::NotBound),
        NeutralError::TooFrequent => Fail::new(Code::RateLimited),
        NeutralError::Busy => Fail::new(Code::SystemBusy),
        NeutralError::Internal => Fail::new(Code::Internal),
        NeutralError::BadRequest => Fail::new(Code::BadParam),
        NeutralError::Timeout => return None,
    })
}

impl Dialect for Legacy {
    fn name(&self) -> &'static str {
        "ctcc-legacy"
    }
    fn carrier(&self) -> Carrier {
        Carrier::Ctcc
    }
    fn prefixes(&self) -> &'static [&'static str] {
        &["/m2m_ec"]
    }
    fn error(&self, kind: NeutralError, ctx: &ErrorContext<'_>) -> Response {
        match fail(kind, ctx, Fail::new(Code::BadPassword), &super::ID_PARAMS) {
            Some(f) => super::text(f.plain()),
            None => gateway_timeout(),
        }
    }
    /// Spec ctcc.md §6: queryPakage, queryTraffic and queryTrafficByDate
    /// at 500 per minute per account (`[dialects.ctcc]
    /// rate_limit_per_minute`), and each method of [`METHOD_LIMITS`] on its
    /// own (`[dialects.ctcc] method_limits_per_minute = { getSIMList = 10
    /// }` changes or, with 0, lifts one). `rate_limit_per_minute = 0`
    /// turns every CTCC default off.
    fn rate_limits(&self, fx: &crate::fixture::Fixture) -> Vec<RateLimit> {
        let n = super::Settings::from_fixture(fx).rate_limit;
        if n == 0 {
            return Vec::new();
        }
        let mut rules = vec![RateLimit {
            id: format!("ctcc-query-{n}-per-minute"),
            carrier: Carrier::Ctcc,
            endpoint: Some("/m2m_ec/".into()),
            methods: ["queryPakage", "queryTraffic", "queryTrafficByDate"]
                .map(String::from)
                .to_vec(),
            limit: n,
            per: "1m".into(),
            burst: None,
            per_method: false,
        }];
        let overrides = &fx.dialects.ctcc.method_limits_per_minute;
        for (method, default) in METHOD_LIMITS {
            let limit = overrides.get(method).copied().unwrap_or(default);
            if limit == 0 {
                continue;
            }
            rules.push(RateLimit {
                id: format!("ctcc-{method}-{limit}-per-minute"),
                carrier: Carrier::Ctcc,
                endpoint: Some("/m2m_ec/".into()),
                methods: vec![method.to_string()],
                limit,
                per: "1m".into(),
                burst: None,
                per_method: true,
            });
        }
        rules
    }
    /// The `method` parameter names the interface.
    fn method<'a>(&self, path: &'a str, params: &'a [(String, String)]) -> &'a str {
        params
            .iter()
            .find(|(k, _)| k == "method")
            .map_or(path, |(_, m)| m.as_str())
    }
    /// `path?method=name`: every interface shares the path.
    fn label(&self, path: &str, params: &[(String, String)]) -> String {
        match params.iter().find(|(k, _)| k == "method") {
            Some((_, m)) if m.len() <= 64 => format!("{path}?method={m}"),
            _ => path.to_string(),
        }
    }
}

impl Dialect for G5 {
    fn name(&self) -> &'static str {
        "ctcc-5g"
    }
    fn carrier(&self) -> Carrier {
        Carrier::Ctcc
    }
    fn prefixes(&self) -> &'static [&'static str] {
        &["/api/v1", "/openapi", "/5gcmp"]
    }
    /// A rejected caller is an unknown `AppKey`.
    fn error(&self, kind: NeutralError, ctx: &ErrorContext<'_>) -> Response {
        match fail(kind, ctx, super::g5::bad_app_key(), &super::g5::ID_PARAMS) {
            Some(f) => super::g5::error(&f),
            None => gateway_timeout(),
        }
    }
}
