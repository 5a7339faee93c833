//! What every dialect tells the rest of the simulator about its wire, so
//! that carrier knowledge has one home. A [`Dialect`] says which paths it
//! owns, how each [`NeutralError`] looks on its wire (status, headers and
//! body, rendered by the same code its handlers use for the real
//! condition), and how to label an endpoint for the journal and metrics.
//! Fault injection, the request journal and the rate limiter ask the
//! dialect of a path ([`dialect_of`]) and keep no copy of their own.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::domain::Carrier;
use crate::fixture::Fixture;

/// One rate limit: at most `limit` requests per `per` (`"1m"`, `"1s"`)
/// per account on the carrier's paths under `endpoint`, for the listed API
/// methods (all when empty), with bursts of `burst` (default `limit`);
/// `per_method` gives each method its own bucket. The JSON shape of
/// `/_sim/ratelimits`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub id: String,
    pub carrier: Carrier,
    /// Substring of the path (all paths of the carrier when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// API methods as the dialect names them ([`Dialect::method`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<String>,
    pub limit: u32,
    /// Window: `"1m"`, `"1s"`, `"1h"`.
    pub per: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_method: bool,
}

/// A situation every carrier has an answer for. A dialect renders it with
/// [`Dialect::error`]; an injected fault of this kind and the real
/// condition answer the same bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeutralError {
    /// The caller's credentials or token are rejected (an expired token
    /// where the dialect has tokens).
    #[serde(alias = "token_expired")]
    Auth,
    /// The card named by the request does not exist.
    NotFound,
    /// The card exists but belongs to another account.
    NotYours,
    /// The caller's rate limit is exhausted.
    #[serde(alias = "rate_limit")]
    TooFrequent,
    /// The platform is overloaded and asks to retry later.
    #[serde(alias = "system_busy")]
    Busy,
    /// The platform's gateway gave up waiting for its back end.
    Timeout,
    /// The platform failed on its own.
    Internal,
    /// A parameter is missing or malformed.
    BadRequest,
}

impl NeutralError {
    /// Every kind, for tests and documentation.
    pub const ALL: [NeutralError; 8] = [
        NeutralError::Auth,
        NeutralError::NotFound,
        NeutralError::NotYours,
        NeutralError::TooFrequent,
        NeutralError::Busy,
        NeutralError::Timeout,
        NeutralError::Internal,
        NeutralError::BadRequest,
    ];
}

/// What a dialect may read of the request when it renders an error: the
/// path, every parameter (query, form, JSON body flattened with dotted
/// keys, as the request journal reads them) and the simulated time.
#[derive(Clone, Copy, Debug)]
pub struct ErrorContext<'a> {
    pub path: &'a str,
    pub params: &'a [(String, String)],
    pub now: jiff::Timestamp,
}

impl ErrorContext<'_> {
    /// The first value of a parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One wire dialect of a carrier.
pub trait Dialect: Sync {
    /// Short stable name (`cmcc-v5`, `cucc-rest`, ...).
    fn name(&self) -> &'static str;
    fn carrier(&self) -> Carrier;
    /// Path prefixes this dialect serves (matched on whole segments; the
    /// longest prefix over all dialects wins).
    fn prefixes(&self) -> &'static [&'static str];
    /// The dialect's answer to a neutral error.
    fn error(&self, kind: NeutralError, ctx: &ErrorContext<'_>) -> Response;
    /// The API method a request calls, for rate-limit keys and labels
    /// (the last path segment unless the dialect multiplexes otherwise).
    fn method<'a>(&self, path: &'a str, _params: &'a [(String, String)]) -> &'a str {
        path.rsplit('/').next().unwrap_or(path)
    }
    /// The carrier's own rate limits under this fixture's settings.
    fn rate_limits(&self, _fx: &Fixture) -> Vec<RateLimit> {
        Vec::new()
    }
    /// The endpoint label of a request in metrics.
    fn label(&self, path: &str, _params: &[(String, String)]) -> String {
        path.to_string()
    }
}

/// Every dialect served.
pub static DIALECTS: [&dyn Dialect; 6] = [
    &super::ctcc::dialect::Legacy,
    &super::ctcc::dialect::G5,
    &super::cucc::dialect::Rest,
    &super::cucc::dialect::Cmp,
    &super::cmcc::dialect::V5,
    &super::cmcc::dialect::V2,
];

/// Whether `path` is `prefix` or lies below it.
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The dialect serving a path (longest matching prefix); `None` for the
/// admin plane and anything else.
pub fn dialect_of(path: &str) -> Option<&'static dyn Dialect> {
    DIALECTS
        .iter()
        .flat_map(|d| d.prefixes().iter().map(move |p| (*d, *p)))
        .filter(|(_, p)| under(path, p))
        .max_by_key(|(_, p)| p.len())
        .map(|(d, _)| d)
}

/// The carrier serving a path.
pub fn carrier_of_path(path: &str) -> Option<Carrier> {
    dialect_of(path).map(|d| d.carrier())
}

/// The front gateway's answer when the back end does not answer in time:
/// every carrier sits behind an HTTP gateway that answers 504 itself.
pub fn gateway_timeout() -> Response {
    respond(
        StatusCode::GATEWAY_TIMEOUT,
        "text/plain",
        Body::from("Gateway Timeout"),
    )
}

/// A response with a status, a content type and a body.
pub fn respond(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_dialects() {
        let name = |p: &str| dialect_of(p).map(|d| d.name());
        assert_eq!(name("/v5/ec/get/token"), Some("cmcc-v5"));
        assert_eq!(name("/v2/foo"), Some("cmcc-v2"));
        assert_eq!(name("/rws/api/v1/devices"), Some("cucc-rest"));
        assert_eq!(name("/api/wsGetTerminalDetails"), Some("cucc-cmp"));
        assert_eq!(name("/api/v1/prod/batchQrySimInfo"), Some("ctcc-5g"));
        assert_eq!(name("/m2m_ec/query.do"), Some("ctcc-legacy"));
        assert_eq!(name("/5gcmp/x"), Some("ctcc-5g"));
        assert_eq!(name("/openapi/x"), Some("ctcc-5g"));
        assert_eq!(name("/_sim/health"), None);
        assert_eq!(name("/v50"), None);
        assert_eq!(name("/apix"), None);
        assert_eq!(carrier_of_path("/v5/ec/x"), Some(Carrier::Cmcc));
        assert_eq!(carrier_of_path("/api/v1"), Some(Carrier::Ctcc));
        assert_eq!(carrier_of_path("/api"), Some(Carrier::Cucc));
    }

    #[test]
    fn old_fault_names_still_parse() {
        let k: NeutralError = serde_json::from_str("\"token_expired\"").unwrap();
        assert_eq!(k, NeutralError::Auth);
        let k: NeutralError = serde_json::from_str("\"rate_limit\"").unwrap();
        assert_eq!(k, NeutralError::TooFrequent);
        let k: NeutralError = serde_json::from_str("\"system_busy\"").unwrap();
        assert_eq!(k, NeutralError::Busy);
    }

    #[test]
    fn every_dialect_answers_every_kind() {
        let params = vec![("iccid".to_string(), "89860000000000000001".to_string())];
        for d in DIALECTS {
            for kind in NeutralError::ALL {
                let path = format!("{}/x", d.prefixes()[0]);
                let ctx = ErrorContext {
                    path: &path,
                    params: &params,
                    now: jiff::Timestamp::UNIX_EPOCH,
                };
                let r = d.error(kind, &ctx);
                assert!(
                    r.headers().contains_key(header::CONTENT_TYPE),
                    "{} {kind:?}",
                    d.name()
                );
            }
        }
    }
}
