//! Unicom's two wire dialects as the rest of the simulator sees them: the
//! Jasper REST API under `/rws` (HTTP status + `{"errorMessage",
//! "errorCode"}` from [`super::codes::ERRORS`]) and the CMP open gateway
//! under `/api` (`{"status","message"}` envelopes, card answers inside
//! `data`). The gateway sits on the same platform, so its throttle, overload
//! and internal failures answer in the REST platform's form.

use axum::response::{IntoResponse, Response};

use super::codes::{cmp as code, ErrorKind};
use super::{cmp, device_not_found, ApiError};
use crate::carriers::dialect::{gateway_timeout, Dialect, ErrorContext, NeutralError, RateLimit};
use crate::domain::Carrier;

/// The Jasper / Control Center REST API (`/rws/api/v1/...`).
pub struct Rest;
/// The CMP open gateway (`/api/<name>/V1/1Main/vV1.1`).
pub struct Cmp;

/// The REST kind of a neutral error that needs no request detail.
fn rest_kind(kind: NeutralError) -> ErrorKind {
    match kind {
        NeutralError::Auth => ErrorKind::InvalidCredentials,
        NeutralError::NotFound | NeutralError::NotYours => ErrorKind::NotFound,
        NeutralError::TooFrequent => ErrorKind::RateLimited,
        NeutralError::Busy => ErrorKind::Busy,
        NeutralError::Internal | NeutralError::Timeout => ErrorKind::Internal,
        NeutralError::BadRequest => ErrorKind::InvalidParam,
    }
}

/// Default sustained rate per user name (requests per second): generous,
/// so that a client following Cisco's guidance of about 5 calls per second
/// (spec cucc.md) never sees a 429.
pub const DEFAULT_RATE: u32 = 200;
/// Default bucket size.
pub const DEFAULT_BURST: u32 = 400;

/// `[dialects.cucc] rate_per_sec` (0 = off) and `burst`.
fn rest_limit(fx: &crate::fixture::Fixture) -> Option<(u32, u32)> {
    let cfg = &fx.dialects.cucc;
    let rate = cfg
        .rate_per_sec
        .map_or(DEFAULT_RATE, |r| r.ceil().max(0.0) as u32);
    let burst = cfg.burst.map_or(DEFAULT_BURST.max(rate), |b| b.max(1));
    (rate > 0).then_some((rate, burst))
}

/// The ICCID of a `/rws/api/v1/devices/{iccid}...` path.
fn device_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/rws/api/v1/devices/")?;
    rest.split('/').next().filter(|s| !s.is_empty())
}

impl Dialect for Rest {
    fn name(&self) -> &'static str {
        "cucc-rest"
    }
    fn carrier(&self) -> Carrier {
        Carrier::Cucc
    }
    fn prefixes(&self) -> &'static [&'static str] {
        &["/rws"]
    }
    /// A token bucket per user name (HTTP 429 when empty).
    fn rate_limits(&self, fx: &crate::fixture::Fixture) -> Vec<RateLimit> {
        let Some((rate, burst)) = rest_limit(fx) else {
            return Vec::new();
        };
        vec![RateLimit {
            id: "cucc-rest-per-user".into(),
            carrier: Carrier::Cucc,
            endpoint: Some("/rws/".into()),
            methods: Vec::new(),
            limit: rate,
            per: "1s".into(),
            burst: Some(burst),
            per_method: false,
        }]
    }
    /// Unknown and foreign cards are one 404 naming the ICCID of the path.
    fn error(&self, kind: NeutralError, ctx: &ErrorContext<'_>) -> Response {
        match (kind, device_of(ctx.path)) {
            (NeutralError::Timeout, _) => gateway_timeout(),
            (NeutralError::NotFound | NeutralError::NotYours, Some(iccid)) => {
                device_not_found(iccid).into_response()
            }
            _ => ApiError::new(rest_kind(kind)).into_response(),
        }
    }
}

impl Dialect for Cmp {
    fn name(&self) -> &'static str {
        "cucc-cmp"
    }
    fn carrier(&self) -> Carrier {
        Carrier::Cucc
    }
    fn prefixes(&self) -> &'static [&'static str] {
        &["/api"]
    }
    /// The API name (`/api/<name>/V1/1Main/vV1.1`).
    fn method<'a>(&self, path: &'a str, _params: &'a [(String, String)]) -> &'a str {
        path.trim_start_matches("/api/")
            .split('/')
            .next()
            .unwrap_or(path)
    }
    /// A rejected token is the gateway's `1003`; an unknown or foreign card
    /// is the business answer `1011` of the API called.
    fn error(&self, kind: NeutralError, ctx: &ErrorContext<'_>) -> Response {
        match kind {
            NeutralError::Auth => cmp::gateway_fail(code::BAD_TOKEN),
            NeutralError::BadRequest => cmp::gateway_fail(code::BAD_REQUEST),
            NeutralError::NotFound | NeutralError::NotYours => {
                let iccid = ctx
                    .param("data.iccid")
                    .or_else(|| ctx.param("data.iccids"))
                    .unwrap_or("");
                let trans_id = ctx.param("trans_id").unwrap_or("");
                cmp::no_card(ctx.path, trans_id, iccid, ctx.now)
            }
            NeutralError::Timeout => gateway_timeout(),
            _ => ApiError::new(rest_kind(kind)).into_response(),
        }
    }
}
