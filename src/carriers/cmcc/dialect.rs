//! OneLink's two wire dialects as the rest of the simulator sees them:
//! v5 under `/v5` (token auth: a rejected token is `12021`) and the legacy
//! v2 EBID API under `/v2` (per-request SHA-256 token: `12004`). Both answer
//! every error as HTTP 200 with the `{"status","message","result":[]}`
//! envelope of [`super::failure`], from the one code table in
//! [`super::codes`].

use axum::response::Response;

use super::codes::Code;
use super::{failure, Fail};
use crate::carriers::dialect::{gateway_timeout, Dialect, ErrorContext, NeutralError};
use crate::domain::Carrier;

/// API v5 (`/v5/ec/...`).
pub struct V5;
/// The legacy v2 EBID API (`/v2/<apiName>`).
pub struct V2;

/// The code of a neutral error other than `Auth` (the same on v5 and v2).
fn code(kind: NeutralError) -> Option<Code> {
    Some(match kind {
        NeutralError::Auth | NeutralError::Timeout => return None,
        NeutralError::NotFound => Code::NotFound,
        NeutralError::NotYours => Code::NotOwned,
        NeutralError::TooFrequent => Code::TooFrequent,
        NeutralError::Busy => Code::Busy,
        NeutralError::Internal => Code::Other,
        NeutralError::BadRequest => Code::BadParam,
    })
}

fn render(kind: NeutralError, auth: Code) -> Response {
    match (kind, code(kind)) {
        (NeutralError::Auth, _) => failure(Fail::new(auth)),
        (_, Some(c)) => failure(Fail::new(c)),
        (_, None) => gateway_timeout(),
    }
}

impl Dialect for V5 {
    fn name(&self) -> &'static str {
        "cmcc-v5"
    }
    fn carrier(&self) -> Carrier {
        Carrier::Cmcc
    }
    fn prefixes(&self) -> &'static [&'static str] {
        &["/v5"]
    }
    /// A missing or expired token is what v5 clients refresh on.
    fn error(&self, kind: NeutralError, _ctx: &ErrorContext<'_>) -> Response {
        render(kind, Code::TokenInvalid)
    }
}

impl Dialect for V2 {
    fn name(&self) -> &'static str {
        "cmcc-v2"
    }
    fn carrier(&self) -> Carrier {
        Carrier::Cmcc
    }
    fn prefixes(&self) -> &'static [&'static str] {
        &["/v2"]
    }
    /// v2 has no token to expire: every rejected request is `12004`.
    fn error(&self, kind: NeutralError, _ctx: &ErrorContext<'_>) -> Response {
        render(kind, Code::AuthFailed)
    }
}
