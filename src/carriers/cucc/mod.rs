//! China Unicom (CUCC) dialect: the Jasper / Cisco Control Center style REST
//! API under `/rws/api/v1` (HTTP Basic, plain JSON, `{"errorMessage",
//! "errorCode"}` errors) and Unicom's CMP open gateway under `/api/...`
//! (SM3-signed JSON envelope). Push events go to per-account callback URLs
//! (`push.rs`, the CUCC format of the one delivery worker).
//! This file holds the dialect's state, the router (one line per
//! endpoint) and the helpers every handler shares: the error type, dates,
//! query parameters, paging, body reading and the owned-card lookup.

pub mod auth;
pub mod cmp;
pub mod codes;
pub mod devices;
pub mod dialect;
pub mod push;
pub mod sessions;
pub mod sms;
pub mod soap;
pub mod usage;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, MethodRouter};
use axum::Router;
use compact_str::CompactString;
use jiff::Timestamp;
use serde::Serialize;

use crate::context::Context;
use crate::domain::{Card, Carrier};
use crate::store::CardRef;
use crate::world::World;

use auth::Caller;
use codes::ErrorKind;

/// Largest request body read (64 KiB; an SMS or an edit is far smaller).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Largest `pageSize`; larger values are clamped.
pub const MAX_PAGE_SIZE: usize = 50;

/// The dialect's state.
pub struct Cucc {
    pub world: Arc<World>,
}

/// Router state.
pub type Shared = Arc<Cucc>;

/// A REST error: `{"errorMessage","errorCode"}` with the table's status.
#[derive(Debug)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ErrorKind) -> ApiError {
        ApiError {
            kind,
            message: kind.message().to_string(),
        }
    }

    pub fn with(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    /// `10000003` with a message naming the parameter.
    pub fn param(message: impl Into<String>) -> ApiError {
        ApiError::with(ErrorKind::InvalidParam, message)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "errorMessage")]
    error_message: &'a str,
    #[serde(rename = "errorCode")]
    error_code: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error_message: &self.message,
            error_code: self.kind.code(),
        };
        let mut resp = json_bytes(
            self.kind.status(),
            serde_json::to_vec(&body).unwrap_or_default(),
        );
        if self.kind.status() == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Control Center\""),
            );
        }
        resp
    }
}

impl From<crate::world::OpError> for ApiError {
    fn from(e: crate::world::OpError) -> ApiError {
        match e {
            crate::world::OpError::NotFound => ApiError::new(ErrorKind::NotFound),
            crate::world::OpError::NoPlan(p) => {
                ApiError::with(ErrorKind::Internal, format!("rate plan {p} is missing"))
            }
            crate::world::OpError::Rule(r) => {
                match &r {
                    // The platform's own text for this refusal.
                    crate::domain::lifecycle::DomainError::InvalidTransition { to, .. }
                        if codes::is_pre_activation(to) =>
                    {
                        ApiError::new(ErrorKind::PreActivation)
                    }
                    _ => ApiError::with(ErrorKind::BusinessRule, codes::refusal_message(&r)),
                }
            }
        }
    }
}

/// A handler's outcome.
pub type ApiResult = Result<Response, ApiError>;

/// A JSON response from already serialised bytes.
pub fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    resp
}

/// A 200 JSON response.
pub fn ok_json<T: Serialize>(value: &T) -> ApiResult {
    let body = serde_json::to_vec(value).map_err(|_| ApiError::new(ErrorKind::Internal))?;
    Ok(json_bytes(StatusCode::OK, body))
}

/// A response date: `yyyy-MM-dd HH:mm:ss.SSS+0000`, always UTC.
pub fn jdate(ts: Timestamp) -> String {
    let dt = jiff::tz::Offset::UTC.to_datetime(ts);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}+0000",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000
    )
}

/// An optional response date (`null` when unset).
pub fn jdate_opt(ts: Option<Timestamp>) -> Option<String> {
    ts.map(jdate)
}

/// Decoded query parameters, in order.
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        Query(
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A required parameter.
    pub fn need(&self, key: &str) -> Result<&str, ApiError> {
        match self.get(key) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(ApiError::param(format!("{key} is required"))),
        }
    }

    /// An ISO-8601 instant (`2016-04-18T17:31:34+00:00`, `...Z`). An
    /// unencoded `+` arrives as a space and is taken back.
    pub fn date(&self, key: &str) -> Result<Option<Timestamp>, ApiError> {
        let Some(v) = self.get(key).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        parse_iso(v)
            .map(Some)
            .ok_or_else(|| ApiError::param(format!("{key} is not a valid ISO-8601 date: {v}")))
    }

    /// A positive integer parameter with a default.
    pub fn int(&self, key: &str, default: usize) -> Result<usize, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(default),
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(ApiError::param(format!(
                    "{key} must be a positive integer: {v}"
                ))),
            },
        }
    }

    /// `pageNumber` (default 1) and `pageSize` (default and maximum 50).
    pub fn paging(&self) -> Result<(usize, usize), ApiError> {
        let number = self.int("pageNumber", 1)?;
        let size = self.int("pageSize", MAX_PAGE_SIZE)?.min(MAX_PAGE_SIZE);
        Ok((number, size))
    }
}

/// Parses an ISO-8601 instant with an offset (or `Z`).
pub fn parse_iso(v: &str) -> Option<Timestamp> {
    let v = v.trim().replace(' ', "+");
    v.parse::<Timestamp>().ok()
}

/// One page of `items`: the slice and whether it is the last page.
pub fn page_of<T>(items: &[T], number: usize, size: usize) -> (&[T], bool) {
    let start = number
        .saturating_sub(1)
        .saturating_mul(size)
        .min(items.len());
    let end = start.saturating_add(size).min(items.len());
    (&items[start..end], end >= items.len())
}

/// Checks the ICCID's form: 19 or 20 digits.
pub fn check_iccid(iccid: &str) -> Result<(), ApiError> {
    if (19..=20).contains(&iccid.len()) && iccid.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ApiError::param(format!("Invalid ICCID: {iccid}")))
    }
}

/// The 404 of an ICCID that is unknown or another account's: Jasper does
/// not tell the two apart.
pub fn device_not_found(iccid: &str) -> ApiError {
    ApiError::with(ErrorKind::NotFound, format!("Device not found: {iccid}"))
}

/// The ICCID of a CUCC card of the caller's account (else 404).
pub fn owned(world: &World, caller: &Caller, iccid: &str) -> Result<CompactString, ApiError> {
    check_iccid(iccid)?;
    let not_found = || device_not_found(iccid);
    let id = world.resolve(CardRef::Iccid(iccid)).ok_or_else(not_found)?;
    let mine = world
        .read_card(&id, |c| {
            c.carrier == Carrier::Cucc && c.account == caller.account
        })
        .unwrap_or(false);
    if mine {
        Ok(id)
    } else {
        Err(not_found())
    }
}

/// All CUCC cards of an account, in ICCID order.
pub fn account_cards(world: &World, account: &str) -> Vec<Card> {
    let filter = crate::world::CardFilter {
        carrier: Some(Carrier::Cucc),
        account: Some(account.to_string()),
        ..Default::default()
    };
    world.list_cards(&filter, 1, usize::MAX).0
}

/// Reads a JSON object body (limit, UTF-8 and type checked).
pub async fn read_json_object(
    body: Body,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| ApiError::new(ErrorKind::BodyTooLarge))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::param("Request body is not valid UTF-8"))?;
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::param("Request body must be a JSON object")),
        Err(e) => Err(ApiError::param(format!("Malformed JSON: {e}"))),
    }
}

/// The single path parameter of a route; a parameter that is not valid
/// UTF-8 answers the dialect's 400 instead of axum's plain-text rejection.
pub struct PathParam(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| PathParam(p))
            .map_err(|_| ApiError::param("Invalid path parameter"))
    }
}

/// `GET /echo/{param}`: `{"context": param}` (the spec's `Hello` model).
async fn echo(_caller: Caller, PathParam(param): PathParam) -> ApiResult {
    ok_json(&serde_json::json!({ "context": param }))
}

/// Anything else under `/rws/api`: a wrong version or an unknown resource.
async fn unknown(Path(rest): Path<String>) -> ApiError {
    if rest.split('/').next() != Some("v1") {
        ApiError::with(ErrorKind::InvalidRequest, "Invalid apiVersion")
    } else {
        ApiError::with(ErrorKind::NotFound, format!("Resource not found: /{rest}"))
    }
}

async fn not_allowed() -> ApiError {
    ApiError::new(ErrorKind::MethodNotAllowed)
}

/// A method router that answers unserved methods with the error JSON.
fn m(r: MethodRouter<Shared>) -> MethodRouter<Shared> {
    r.fallback(not_allowed)
}

/// Every CUCC route.
pub fn router(ctx: &Context) -> Router {
    let state: Shared = Arc::new(Cucc {
        world: ctx.world.clone(),
    });
    const V1: &str = "/rws/api/v1";
    let rest = Router::new()
        .route("/echo/{param}", m(get(echo)))
        .route("/devices", m(get(devices::search)))
        .route(
            "/devices/{iccid}",
            m(get(devices::details).put(devices::edit)),
        )
        .route("/devices/{iccid}/ctdUsages", m(get(usage::ctd_usages)))
        .route("/devices/{iccid}/usageInZone", m(get(usage::usage_in_zone)))
        .route(
            "/devices/{iccid}/sessionInfo",
            m(get(sessions::session_info)),
        )
        .route(
            "/devices/{iccid}/auditTrails",
            m(get(sessions::audit_trails)),
        )
        .route(
            "/devices/{iccid}/locationHistory",
            m(get(sessions::location_history)),
        )
        .route("/devices/{iccid}/smsMessages", m(post(sms::send)))
        .route("/smsMessages", m(get(sms::search)))
        .route("/smsMessages/{id}", m(get(sms::details)))
        .route("/usages", m(get(usage::usages)));
    let soap = soap::router(state.clone());
    Router::new()
        .nest(V1, rest)
        .route("/rws/api/{*rest}", any(unknown))
        .route(cmp::REALNAME, m(post(cmp::real_name_status)))
        .route(cmp::DETAILS, m(post(cmp::terminal_details)))
        .route(cmp::EDIT, m(post(cmp::edit_terminal)))
        .with_state(state)
        .merge(soap)
}

/// Exposes the state for handlers written as plain functions.
pub type St = State<Shared>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_render_in_utc_with_millis() {
        let ts: Timestamp = "2026-11-24T10:00:00.339+08:00".parse().unwrap();
        assert_eq!(jdate(ts), "2026-11-24 02:00:00.339+0000");
    }

    #[test]
    fn iso_query_dates_parse_with_or_without_encoding() {
        let a = parse_iso("2016-04-18T17:31:34+00:00").unwrap();
        let b = parse_iso("2016-04-18T17:31:34 00:00").unwrap();
        assert_eq!(a, b);
        assert!(parse_iso("2016-13-45").is_none());
    }

    #[test]
    fn paging_reports_last_page() {
        let v: Vec<u32> = (0..7).collect();
        assert_eq!(page_of(&v, 1, 5), (&v[0..5], false));
        assert_eq!(page_of(&v, 2, 5), (&v[5..7], true));
        assert!(page_of(&v, 3, 5).1);
    }
}
