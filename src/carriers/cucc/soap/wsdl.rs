//! The WSDLs and the schema served under `/ws/schema/`: `Terminal.wsdl`,
//! `Billing.wsdl`, `Sms.wsdl`, `Echo.wsdl`, each importing `JasperAPI.xsd`
//! by relative path as the platform's do. SOAP clients that read the WSDL
//! (zeep, suds, nusoap, Savon) take the endpoint and SOAPAction from it, so
//! each `soap:address` points at the server that answered (the request's
//! `Host`). The WSDLs are generated from the service table below.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::faults::xml_response;
use super::xml::{Out, JASPER_NS};

/// The schema every WSDL imports.
pub const SCHEMA: &str = include_str!("wsdl/JasperAPI.xsd");

/// A SOAP service: its WSDL file, SOAPAction segment, endpoint path and
/// operations.
pub struct Service {
    pub file: &'static str,
    pub name: &'static str,
    pub action: &'static str,
    pub path: &'static str,
    pub operations: &'static [&'static str],
}

/// The services and the operations each WSDL declares.
pub const SERVICES: [Service; 4] = [
    Service {
        file: "Terminal.wsdl",
        name: "TerminalService",
        action: "terminal",
        path: "/ws/service/terminal",
        operations: &[
            "GetTerminalDetails",
            "EditTerminal",
            "GetModifiedTerminals",
            "GetSessionInfo",
            "GetTerminalRating",
            "GetTerminalAuditTrail",
            "GetTerminalsByMsisdn",
            "GetTerminalsByImsi",
        ],
    },
    Service {
        file: "Billing.wsdl",
        name: "BillingService",
        action: "billing",
        path: "/ws/service/billing",
        operations: &["GetTerminalUsage", "GetTerminalUsageDataDetails"],
    },
    Service {
        file: "Sms.wsdl",
        name: "SmsService",
        action: "sms",
        path: "/ws/service/Sms",
        operations: &["SendSMS", "GetSMSDetails"],
    },
    Service {
        file: "Echo.wsdl",
        name: "EchoService",
        action: "echo",
        path: "/ws/service/echo",
        operations: &["Echo"],
    },
];

const WSDL_NS: &str = "http://schemas.xmlsoap.org/wsdl/";
const SOAP_BINDING_NS: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";

/// The WSDL of a service with its endpoint at `base`.
pub fn wsdl(s: &Service, base: &str) -> String {
    let mut o = Out::new();
    o.raw_open(
        "wsdl:definitions",
        &[
            ("xmlns:wsdl", WSDL_NS),
            ("xmlns:soap", SOAP_BINDING_NS),
            ("xmlns:xsd", XSD_NS),
            ("xmlns:sch", JASPER_NS),
            ("xmlns:tns", JASPER_NS),
            ("targetNamespace", JASPER_NS),
        ],
    );
    o.raw_open("wsdl:types", &[]);
    o.raw_open("xsd:schema", &[]);
    o.raw_open(
        "xsd:import",
        &[
            ("namespace", JASPER_NS),
            ("schemaLocation", "JasperAPI.xsd"),
        ],
    );
    o.raw_close("xsd:import");
    o.raw_close("xsd:schema");
    o.raw_close("wsdl:types");
    for op in s.operations {
        for dir in ["Request", "Response"] {
            let name = format!("{op}{dir}");
            o.raw_open("wsdl:message", &[("name", &name)]);
            o.raw_open(
                "wsdl:part",
                &[
                    ("name", &format!("{op}{dir}")),
                    ("element", &format!("sch:{name}")),
                ],
            );
            o.raw_close("wsdl:part");
            o.raw_close("wsdl:message");
        }
    }
    let port_type = s.name.trim_end_matches("Service");
    o.raw_open("wsdl:portType", &[("name", port_type)]);
    for op in s.operations {
        o.raw_open("wsdl:operation", &[("name", op)]);
        o.raw_open(
            "wsdl:input",
            &[
                ("name", &format!("{op}Request")),
                ("message", &format!("tns:{op}Request")),
            ],
        );
        o.raw_close("wsdl:input");
        o.raw_open(
            "wsdl:output",
            &[
                ("name", &format!("{op}Response")),
                ("message", &format!("tns:{op}Response")),
            ],
        );
        o.raw_close("wsdl:output");
        o.raw_close("wsdl:operation");
    }
    o.raw_close("wsdl:portType");
    let binding = format!("{port_type}Binding");
    o.raw_open(
        "wsdl:binding",
        &[("name", &binding), ("type", &format!("tns:{port_type}"))],
    );
    o.raw_open(
        "soap:binding",
        &[
            ("style", "document"),
            ("transport", "http://schemas.xmlsoap.org/soap/http"),
        ],
    );
    o.raw_close("soap:binding");
    for op in s.operations {
        o.raw_open("wsdl:operation", &[("name", op)]);
        let action = format!("http://api.jasperwireless.com/ws/service/{}/{op}", s.action);
        o.raw_open("soap:operation", &[("soapAction", &action)]);
        o.raw_close("soap:operation");
        for (tag, dir) in [("wsdl:input", "Request"), ("wsdl:output", "Response")] {
            o.raw_open(tag, &[("name", &format!("{op}{dir}"))]);
            o.raw_open("soap:body", &[("use", "literal")]);
            o.raw_close("soap:body");
            o.raw_close(tag);
        }
        o.raw_close("wsdl:operation");
    }
    o.raw_close("wsdl:binding");
    o.raw_open("wsdl:service", &[("name", s.name)]);
    o.raw_open(
        "wsdl:port",
        &[
            ("name", &format!("{port_type}Port")),
            ("binding", &format!("tns:{binding}")),
        ],
    );
    o.raw_open(
        "soap:address",
        &[("location", &format!("{base}{}", s.path))],
    );
    o.raw_close("soap:address");
    o.raw_close("wsdl:port");
    o.raw_close("wsdl:service");
    o.raw_close("wsdl:definitions");
    let body = String::from_utf8(o.finish()).expect("the writer writes UTF-8");
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{body}")
}

/// `GET /ws/schema/{file}`: a WSDL (file name matched without regard to
/// case) or `JasperAPI.xsd`.
pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let base = format!("http://{host}");
    if file.eq_ignore_ascii_case("JasperAPI.xsd") {
        return xml_response(StatusCode::OK, SCHEMA.as_bytes().to_vec());
    }
    match SERVICES.iter().find(|s| s.file.eq_ignore_ascii_case(&file)) {
        Some(s) => xml_response(StatusCode::OK, wsdl(s, &base).into_bytes()),
        None => xml_response(
            StatusCode::NOT_FOUND,
            format!("<error>No schema document named {file}</error>").into_bytes(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wsdl_operation_is_served_and_in_the_schema() {
        for s in &SERVICES {
            let w = wsdl(s, "http://h:1");
            assert!(w.contains(&format!("location=\"http://h:1{}\"", s.path)));
            for op in s.operations {
                let req = format!("{op}Request");
                assert!(
                    super::super::OPERATIONS.iter().any(|(n, _)| *n == req),
                    "{op} has no handler"
                );
                assert!(SCHEMA.contains(&format!("name=\"{op}Request\"")), "{op}");
                assert!(SCHEMA.contains(&format!("name=\"{op}Response\"")), "{op}");
            }
        }
    }

    #[test]
    fn schema_parses() {
        let root = super::super::xml::parse(SCHEMA).unwrap();
        assert_eq!(root.name, "schema");
    }
}
