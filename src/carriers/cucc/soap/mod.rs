//! The Jasper SOAP API as China Unicom runs it (`/ws/service/terminal`,
//! `/ws/service/billing`, `/ws/service/Sms`, `/ws/service/echo`): SOAP 1.1,
//! document/literal in `http://api.jasperwireless.com/ws/schema`, a
//! WS-Security `UsernameToken` (plain-text password) in the header and
//! `messageId`/`version`/`licenseKey` at the start of every request body.
//! The same world as the REST dialect answers; WSDLs and the schema are
//! served under `/ws/schema/` with the address rewritten to this server.
//!
//! Requests are dispatched on the body element's local name (clients send
//! SOAPAction quoted, unquoted or misspelled, and the service path in any
//! case, sometimes with a `;jsessionid` tail), so every service path serves
//! every operation. Responses follow the captured ones: `SOAP-ENV`/`ns2`
//! prefixes, an empty header, compact XML, a `requestId` attribute.

pub mod billing;
pub mod faults;
pub mod sms;
pub mod terminal;
pub mod wsdl;
pub mod xml;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use compact_str::CompactString;
use jiff::Timestamp;

use super::auth::Caller;
use super::Shared;
use crate::domain::Carrier;
use crate::store::CardRef;
use faults::{xml_response, Fault, FaultKind};
use xml::{Element, Out, JASPER_NS, SOAP_ENV};

/// Largest SOAP request read (256 KiB; 50 ICCIDs take about 4 KiB).
pub const SOAP_BODY_LIMIT: usize = 256 * 1024;
/// The schema version Unicom's platform answers with (captures 2018–2022).
pub const SCHEMA_VERSION: &str = "7.28";
/// The `build` Unicom's platform answers with (captures 2018–2022).
pub const BUILD: &str = "Unknown";

/// State of the SOAP surface: the dialect's state and the request counter
/// the `requestId` attributes are derived from.
pub struct Soap {
    pub cucc: Shared,
    request_seq: AtomicU64,
}

pub type SoapState = Arc<Soap>;

/// The SOAP routes: the services and their WSDLs.
pub fn router(cucc: Shared) -> Router {
    let state = Arc::new(Soap {
        cucc,
        request_seq: AtomicU64::new(0),
    });
    Router::new()
        .route("/ws/service/{service}", post(service).get(service_get))
        .route("/ws/schema/{file}", get(wsdl::serve))
        .with_state(state)
}

/// One authenticated SOAP call: the caller, the request payload element and
/// the `messageId` to echo as `correlationId`.
pub struct Call<'a> {
    pub soap: &'a Soap,
    pub caller: Caller,
    pub request: &'a Element,
    pub message_id: String,
}

impl Call<'_> {
    pub fn world(&self) -> &crate::world::World {
        &self.soap.cucc.world
    }
}

/// What an operation returns: the payload writer, already holding the
/// response root and common header, or a fault.
pub type OpResult = Result<Out, Fault>;

/// An operation handler.
type Handler = fn(&Call) -> OpResult;

/// Every operation served: `(request element local name, handler)`.
/// `GetTerminalsByIMSI` is the spelling one client sends for the WSDL's
/// `GetTerminalsByImsi`; both are served.
const OPERATIONS: [(&str, Handler); 14] = [
    ("GetTerminalDetailsRequest", terminal::get_terminal_details),
    ("EditTerminalRequest", terminal::edit_terminal),
    (
        "GetModifiedTerminalsRequest",
        terminal::get_modified_terminals,
    ),
    ("GetSessionInfoRequest", terminal::get_session_info),
    ("GetTerminalRatingRequest", terminal::get_terminal_rating),
    (
        "GetTerminalAuditTrailRequest",
        terminal::get_terminal_audit_trail,
    ),
    (
        "GetTerminalsByMsisdnRequest",
        terminal::get_terminals_by_msisdn,
    ),
    ("GetTerminalsByImsiRequest", terminal::get_terminals_by_imsi),
    ("GetTerminalsByIMSIRequest", terminal::get_terminals_by_imsi),
    ("GetTerminalUsageRequest", billing::get_terminal_usage),
    (
        "GetTerminalUsageDataDetailsRequest",
        billing::get_terminal_usage_data_details,
    ),
    ("SendSMSRequest", sms::send_sms),
    ("GetSMSDetailsRequest", sms::get_sms_details),
    ("EchoRequest", sms::echo),
];

/// `GET /ws/service/...`: the SOAP stack answers that only POST is served.
async fn service_get() -> Response {
    Fault::Envelope {
        faultcode: "SOAP-ENV:Client",
        text: "Only POST requests carry SOAP messages".into(),
    }
    .into_response()
}

/// `POST /ws/service/{service}`: parse, authenticate, dispatch, render.
async fn service(
    State(st): State<SoapState>,
    Path(_service): Path<String>,
    body: Body,
) -> Response {
    let bytes = match axum::body::to_bytes(body, SOAP_BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return envelope_fault("Request body too large").into_response(),
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(_) => return envelope_fault("Request body is not valid UTF-8").into_response(),
    };
    match handle(&st, text) {
        Ok(out) => xml_response(StatusCode::OK, out),
        Err(f) => f.into_response(),
    }
}

/// The SOAP stack's fault for a message it cannot read.
fn envelope_fault(why: &str) -> Fault {
    Fault::Envelope {
        faultcode: "SOAP-ENV:Client",
        text: format!("Could not access envelope: {why}"),
    }
}

/// Reads the envelope, runs the operation and closes the envelope.
fn handle(st: &Soap, text: &str) -> Result<Vec<u8>, Fault> {
    let root = xml::parse(text).map_err(|e| envelope_fault(&e))?;
    if root.name != "Envelope" || root.ns.as_deref() != Some(SOAP_ENV) {
        return Err(envelope_fault(
            "the root element is not a SOAP 1.1 Envelope",
        ));
    }
    let body = root
        .child("Body")
        .ok_or_else(|| envelope_fault("the envelope has no Body"))?;
    let request = body
        .children
        .first()
        .ok_or_else(|| envelope_fault("the Body is empty"))?;
    let Some((_, handler)) = OPERATIONS.iter().find(|(n, _)| *n == request.name) else {
        return Err(Fault::Envelope {
            faultcode: "SOAP-ENV:Client",
            text: format!(
                "No endpoint mapping found for {{{}}}{}",
                request.ns.as_deref().unwrap_or(""),
                request.name
            ),
        });
    };
    let message_id = request.child("messageId").map_or("", |m| m.text.trim());
    let caller = if request.name == "EchoRequest" {
        None
    } else {
        Some(authenticate(st, root.child("Header"), request)?)
    };
    let call = Call {
        soap: st,
        caller: caller.unwrap_or_else(|| Caller {
            account: CompactString::default(),
            username: String::new(),
            account_no: String::new(),
        }),
        request,
        message_id: message_id.to_string(),
    };
    let mut out = handler(&call)?;
    out.raw_close("SOAP-ENV:Body");
    out.raw_close("SOAP-ENV:Envelope");
    Ok(out.finish())
}

/// Checks the WS-Security `UsernameToken` against the CUCC accounts'
/// user name and password (the REST API key when the account has no
/// password), then the body's `licenseKey` against that account's license
/// key, then the caller's rate limit.
fn authenticate(st: &Soap, header: Option<&Element>, request: &Element) -> Result<Caller, Fault> {
    let token = header
        .and_then(|h| h.child("Security"))
        .and_then(|s| s.child("UsernameToken"));
    let Some(token) = token else {
        return Err(Fault::new(
            FaultKind::Security,
            "Message does not conform to configured policy [ AuthenticationTokenPolicy(S) ]:  No Security Header found",
        ));
    };
    let user = token.child("Username").map_or("", |u| u.text.trim());
    let password = token.child("Password").map_or("", |p| p.text.as_str());
    let world = &st.cucc.world;
    let account = world
        .store
        .accounts
        .iter()
        .find(|a| {
            let c = &a.credentials;
            a.carrier == Carrier::Cucc
                && c.username.as_deref() == Some(user)
                && c.password.as_deref().or(c.api_key.as_deref()) == Some(password)
        })
        .map(|a| a.clone())
        .ok_or_else(|| {
            Fault::new(
                FaultKind::Security,
                format!("Authentication of Username Password Token Failed for user '{user}'"),
            )
        })?;
    let key = request.text_of("licenseKey").unwrap_or("");
    if account.credentials.license_key.as_deref() != Some(key) || key.is_empty() {
        return Err(Fault::new(
            FaultKind::LicenseKey,
            format!("License key '{key}' is not valid for user '{user}'"),
        ));
    }
    Ok(Caller {
        account: account.id.clone(),
        username: user.to_string(),
        account_no: account.customer_no.clone(),
    })
}

/// Opens the response envelope and `<ns2:{op}Response>` with the common
/// header (`correlationId`, `version`, `build`, `timestamp`).
pub fn respond(call: &Call, op: &str) -> Out {
    let mut o = respond_bare(call, op);
    o.leaf("correlationId", &call.message_id);
    o.leaf("version", SCHEMA_VERSION);
    o.leaf("build", BUILD);
    o.leaf("timestamp", &xdatetime(call.world().now()));
    o
}

/// Opens the response envelope and `<ns2:{op}Response>` without the common
/// header (the Echo service has none).
pub fn respond_bare(call: &Call, op: &str) -> Out {
    let mut o = Out::new();
    o.raw_open("SOAP-ENV:Envelope", &[("xmlns:SOAP-ENV", SOAP_ENV)]);
    o.raw_empty("SOAP-ENV:Header");
    o.raw_open("SOAP-ENV:Body", &[]);
    let seq = call.soap.request_seq.fetch_add(1, Ordering::Relaxed);
    let request_id = request_id(seq);
    o.raw_open(
        &format!("ns2:{op}Response"),
        &[("xmlns:ns2", JASPER_NS), ("ns2:requestId", &request_id)],
    );
    o
}

/// Closes `<ns2:{op}Response>` (the envelope is closed by the dispatcher).
pub fn finish(mut o: Out, op: &str) -> OpResult {
    o.raw_close(&format!("ns2:{op}Response"));
    Ok(o)
}

/// 16 alphanumerics derived from the request counter (splitmix64), so a
/// run's request ids replay identically.
fn request_id(seq: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut z = seq.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(16);
    for _ in 0..2 {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let mut v = z;
        for _ in 0..8 {
            out.push(ALPHABET[(v % 62) as usize] as char);
            v /= 62;
        }
    }
    out
}

/// An `xs:dateTime` as the platform writes it: UTC, milliseconds, `Z`.
pub fn xdatetime(ts: Timestamp) -> String {
    let dt = jiff::tz::Offset::UTC.to_datetime(ts);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000
    )
}

/// An `xs:date` in UTC with the `Z` zone (`2006-11-05Z`).
pub fn xdate(ts: Timestamp) -> String {
    let d = jiff::tz::Offset::UTC.to_datetime(ts).date();
    format!("{:04}-{:02}-{:02}Z", d.year(), d.month(), d.day())
}

/// Reads an `xs:dateTime`: with `Z` or an offset, or zone-less (taken as
/// UTC, as several clients send it), with or without fractions.
pub fn parse_datetime(v: &str) -> Option<Timestamp> {
    let v = v.trim();
    if let Ok(ts) = v.parse::<Timestamp>() {
        return Some(ts);
    }
    let dt: jiff::civil::DateTime = v.parse().ok()?;
    jiff::tz::Offset::UTC.to_timestamp(dt).ok()
}

/// A required child's text, else a schema-validation fault.
pub fn need<'a>(el: &'a Element, name: &str) -> Result<&'a str, Fault> {
    el.text_of(name).ok_or_else(|| {
        Fault::Validation(format!(
            "cvc-complex-type.2.4: the element '{name}' of '{}' is required",
            el.name
        ))
    })
}

/// An optional positive integer child (`pageNumber`, `daysOfHistory`).
pub fn opt_int(el: &Element, name: &str) -> Result<Option<u32>, Fault> {
    match el.text_of(name) {
        None => Ok(None),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or_else(|| {
                Fault::Validation(format!(
                    "cvc-datatype-valid: '{v}' is not a valid value of '{name}'"
                ))
            }),
    }
}

/// The ICCID of a CUCC card of the caller's account. A malformed ICCID is
/// `100101`, an unknown one `100100`, another account's `400201`.
pub fn owned_terminal(call: &Call, iccid: &str) -> Result<CompactString, Fault> {
    let iccid = iccid.trim();
    if !(19..=20).contains(&iccid.len()) || !iccid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Fault::new(
            FaultKind::InvalidIccid,
            format!("Invalid ICCID: {iccid}"),
        ));
    }
    let not_found = || {
        Fault::new(
            FaultKind::TerminalNotFound,
            format!("Terminal not found: {iccid}"),
        )
    };
    let world = call.world();
    let id = world.resolve(CardRef::Iccid(iccid)).ok_or_else(not_found)?;
    let owner = world
        .read_card(&id, |c| (c.carrier, c.account.clone()))
        .ok_or_else(not_found)?;
    match owner {
        (Carrier::Cucc, a) if a == call.caller.account => Ok(id),
        (Carrier::Cucc, _) => Err(Fault::new(
            FaultKind::AccessViolation,
            format!("ICCID {iccid} belongs to another account"),
        )),
        _ => Err(not_found()),
    }
}

/// Page count for `n` items (at least 1, so page 1 always exists).
pub fn total_pages(n: usize, size: usize) -> usize {
    n.div_ceil(size).max(1)
}

/// Megabytes with three decimals, as the platform writes data volumes.
pub fn mb(bytes: u64) -> String {
    format!("{:.3}", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_16_alphanumerics_and_distinct() {
        let a = request_id(0);
        let b = request_id(1);
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn dates_render_and_parse() {
        let ts: Timestamp = "2018-09-06T09:32:35.901+08:00".parse().unwrap();
        assert_eq!(xdatetime(ts), "2018-09-06T01:32:35.901Z");
        assert_eq!(xdate(ts), "2018-09-06Z");
        assert_eq!(parse_datetime("2018-09-06T09:32:35.901+08:00").unwrap(), ts);
        assert_eq!(parse_datetime("2018-09-06T01:32:35.901").unwrap(), ts);
        assert!(parse_datetime("yesterday").is_none());
    }

    #[test]
    fn megabytes_have_three_decimals() {
        assert_eq!(mb(0), "0.000");
        assert_eq!(mb(6_268_387), "5.978");
    }
}
