//! SOAP faults of the Jasper API, all in one table: the numeric Jasper code
//! the platform puts in `faultstring` (clients compare it as text), the
//! SOAP 1.1 `faultcode`, and the standard message that goes into
//! `<detail><jws:error>`. Codes and messages are the platform's published
//! error table (brightnucleus/jasper-client `src/ErrorMessage.php`); the
//! fault layout is the one a captured Jasper fault shows
//! (OSGP/open-smart-grid-platform `JasperWirelessSMSClientTest.java`:
//! `faultcode` `SOAP-ENV:Client`, `faultstring` `400200`, `detail` with
//! `jws:error`, `jws:exception`, `jws:message`). Which code answers which
//! condition beyond that is documented in `docs/cucc.md`.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::xml::{Out, JASPER_NS, SOAP_ENV};

/// A fault kind; `FAULTS` gives its code, `faultcode` and message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Missing security header, unknown user or wrong password.
    Security,
    /// Missing or wrong `licenseKey`.
    LicenseKey,
    /// The caller's rate limit is exhausted.
    RateLimited,
    /// The ICCID exists but belongs to another account.
    AccessViolation,
    /// No such terminal.
    TerminalNotFound,
    /// The ICCID is not 19–20 digits.
    InvalidIccid,
    /// `changeType` is not one the platform knows.
    InvalidChangeType,
    /// `targetValue` or `effectiveDate` refused (detail names the reason).
    InvalidEdit,
    /// More entries than one call may carry (ICCIDs, MSISDNs, ids).
    TooManyEntries,
    /// No usage for the terminal in the asked cycle.
    NoUsage,
    /// SMS text missing or empty.
    SmsTextNull,
    /// SMS text longer than 160 characters.
    SmsTooLong,
    /// The SIM cannot receive SMS in its state.
    SimNotActive,
    /// `messageTextEncoding` BASE64 text that does not decode.
    SmsDecoding,
    /// Anything that should not happen.
    Internal,
}

/// `(kind, Jasper code, SOAP faultcode, standard message)`.
pub const FAULTS: [(FaultKind, &str, &str, &str); 15] = [
    (
        FaultKind::Security,
        "400200",
        "SOAP-ENV:Client",
        "Security validation error. Your username or password is incorrect.",
    ),
    (
        FaultKind::LicenseKey,
        "400100",
        "SOAP-ENV:Client",
        "Invalid license key. Please use a valid API license key.",
    ),
    (
        FaultKind::RateLimited,
        "400101",
        "SOAP-ENV:Client",
        "License has exceeded the rate limit for API calls.",
    ),
    (
        FaultKind::AccessViolation,
        "400201",
        "SOAP-ENV:Client",
        "Access violation error. Please check your login - you may be trying to access a SIM that belongs to a different Account or Service Provider.",
    ),
    (
        FaultKind::TerminalNotFound,
        "100100",
        "SOAP-ENV:Client",
        "Terminal not found",
    ),
    (
        FaultKind::InvalidIccid,
        "100101",
        "SOAP-ENV:Client",
        "Invalid ICCID",
    ),
    (
        FaultKind::InvalidChangeType,
        "100200",
        "SOAP-ENV:Client",
        "Invalid terminal change type",
    ),
    (
        FaultKind::InvalidEdit,
        "100300",
        "SOAP-ENV:Client",
        "Invalid edit terminal request",
    ),
    (
        FaultKind::TooManyEntries,
        "400400",
        "SOAP-ENV:Client",
        "Too many entries",
    ),
    (
        FaultKind::NoUsage,
        "200200",
        "SOAP-ENV:Client",
        "No terminal usage found",
    ),
    (
        FaultKind::SmsTextNull,
        "500400",
        "SOAP-ENV:Client",
        "Message text NULL",
    ),
    (
        FaultKind::SmsTooLong,
        "500500",
        "SOAP-ENV:Client",
        "Message text greater than 160 chars",
    ),
    (
        FaultKind::SimNotActive,
        "500700",
        "SOAP-ENV:Client",
        "Sim not active or is suspended",
    ),
    (
        FaultKind::SmsDecoding,
        "500800",
        "SOAP-ENV:Client",
        "Decoding Error",
    ),
    (
        FaultKind::Internal,
        "400300",
        "SOAP-ENV:Server",
        "System internal error",
    ),
];

/// The Java exception the captured security fault names in its detail.
const SECURITY_EXCEPTION: &str = "com.jasperwireless.ws.ApiSecurityValidationException";

impl FaultKind {
    fn row(self) -> &'static (FaultKind, &'static str, &'static str, &'static str) {
        FAULTS
            .iter()
            .find(|r| r.0 == self)
            .expect("every fault kind has a row")
    }

    /// The numeric Jasper code (`faultstring`).
    pub fn code(self) -> &'static str {
        self.row().1
    }

    /// The standard message.
    pub fn message(self) -> &'static str {
        self.row().3
    }
}

/// A SOAP fault to answer.
#[derive(Debug)]
pub enum Fault {
    /// A Jasper API fault with a specific explanation for `jws:message`.
    Api { kind: FaultKind, detail: String },
    /// A request that is not a readable SOAP message, or an operation this
    /// endpoint does not serve: the SOAP stack's own fault, no Jasper code.
    Envelope {
        faultcode: &'static str,
        text: String,
    },
    /// A request element whose value does not fit its schema type (the
    /// payload-validation fault of Spring-WS, which the platform runs on).
    Validation(String),
}

impl Fault {
    pub fn new(kind: FaultKind, detail: impl Into<String>) -> Fault {
        Fault::Api {
            kind,
            detail: detail.into(),
        }
    }

    /// The kind of an API fault (tests and the journal).
    pub fn kind(&self) -> Option<FaultKind> {
        match self {
            Fault::Api { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The fault envelope.
    pub fn render(&self) -> Vec<u8> {
        let mut o = Out::new();
        o.raw_open("SOAP-ENV:Envelope", &[("xmlns:SOAP-ENV", SOAP_ENV)]);
        o.raw_empty("SOAP-ENV:Header");
        o.raw_open("SOAP-ENV:Body", &[]);
        o.raw_open("SOAP-ENV:Fault", &[]);
        match self {
            Fault::Api { kind, detail } => {
                let row = kind.row();
                o.raw_leaf("faultcode", row.2);
                o.raw_leaf("faultstring", row.1);
                o.raw_open("detail", &[]);
                let ns = [("xmlns:jws", JASPER_NS)];
                o.raw_open("jws:error", &ns);
                o.raw_text(row.3);
                o.raw_close("jws:error");
                if *kind == FaultKind::Security {
                    o.raw_open("jws:exception", &ns);
                    o.raw_text(SECURITY_EXCEPTION);
                    o.raw_close("jws:exception");
                }
                o.raw_open("jws:message", &ns);
                o.raw_text(detail);
                o.raw_close("jws:message");
                o.raw_close("detail");
            }
            Fault::Envelope { faultcode, text } => {
                o.raw_leaf("faultcode", faultcode);
                o.raw_leaf("faultstring", text);
            }
            Fault::Validation(text) => {
                o.raw_leaf("faultcode", "SOAP-ENV:Client");
                o.raw_leaf("faultstring", "Validation error");
                o.raw_open("detail", &[]);
                o.raw_open(
                    "spring-ws:ValidationError",
                    &[("xmlns:spring-ws", "http://springframework.org/spring-ws")],
                );
                o.raw_text(text);
                o.raw_close("spring-ws:ValidationError");
                o.raw_close("detail");
            }
        }
        o.raw_close("SOAP-ENV:Fault");
        o.raw_close("SOAP-ENV:Body");
        o.raw_close("SOAP-ENV:Envelope");
        o.finish()
    }
}

impl IntoResponse for Fault {
    fn into_response(self) -> Response {
        xml_response(StatusCode::INTERNAL_SERVER_ERROR, self.render())
    }
}

/// A `text/xml` response.
pub fn xml_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml;charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_numeric() {
        let mut codes: Vec<&str> = FAULTS.iter().map(|r| r.1).collect();
        assert!(codes.iter().all(|c| c.bytes().all(|b| b.is_ascii_digit())));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), FAULTS.len());
    }

    #[test]
    fn fault_has_numeric_faultstring_and_detail() {
        let f = Fault::new(FaultKind::Security, "No Security Header found");
        let xml = String::from_utf8(f.render()).unwrap();
        assert!(
            xml.contains("<faultcode>SOAP-ENV:Client</faultcode><faultstring>400200</faultstring>")
        );
        assert!(xml.contains("ApiSecurityValidationException"));
        assert!(xml.contains("<jws:message xmlns:jws=\"http://api.jasperwireless.com/ws/schema\">No Security Header found</jws:message>"));
    }
}
