//! HTTP Basic authentication of the REST API: `username:apiKey` checked
//! against the accounts' CUCC credentials, then the caller's rate limit.
//! Handlers receive the authenticated caller through the `Caller` extractor.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use base64::Engine as _;
use compact_str::CompactString;

use super::codes::ErrorKind;
use super::{ApiError, Shared};
use crate::domain::Carrier;
use crate::world::World;

/// The authenticated caller of a REST request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The account id in the world.
    pub account: CompactString,
    /// The Control Center user name.
    pub username: String,
    /// The account's customer number (`accountId` on the wire).
    pub account_no: String,
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        authenticate(&parts.headers, &state.world)
    }
}

/// Checks the `Authorization: Basic ...` header.
pub fn authenticate(headers: &HeaderMap, world: &World) -> Result<Caller, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(ApiError::new(ErrorKind::AuthRequired));
    };
    let bad = || ApiError::new(ErrorKind::InvalidCredentials);
    let (user, key) = decode_basic(value.as_bytes()).ok_or_else(bad)?;
    for a in world.store.accounts.iter() {
        let c = &a.credentials;
        if a.carrier == Carrier::Cucc
            && c.username.as_deref() == Some(user.as_str())
            && c.api_key.as_deref() == Some(key.as_str())
        {
            return Ok(Caller {
                account: a.id.clone(),
                username: user,
                account_no: a.customer_no.clone(),
            });
        }
    }
    Err(bad())
}

/// Splits a Basic credential into user name and key.
fn decode_basic(header: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(header).ok()?.trim();
    let (scheme, rest) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, k) = text.split_once(':')?;
    Some((u.to_string(), k.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_basic() {
        // base64("cucc-demo:k-1")
        let h = b"Basic Y3VjYy1kZW1vOmstMQ==";
        assert_eq!(
            decode_basic(h),
            Some(("cucc-demo".to_string(), "k-1".to_string()))
        );
        assert_eq!(decode_basic(b"Bearer abc"), None);
        assert_eq!(decode_basic(b"Basic !!!"), None);
    }
}
