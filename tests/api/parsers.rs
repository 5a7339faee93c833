//! Property tests over every parser that reads client input (issue 20,
//! "fuzz every parser"): identifiers, times and durations, sizes, CTCC DES
//! hex, request parameters (query, form, JSON, Basic auth), CMCC
//! parameters, SOAP XML, SMPP frames and bodies, SMPP times and user data,
//! AT command lines and SMS-SUBMIT PDUs. Each property only asserts that the
//! parser returns (an answer or an error) instead of panicking. Inputs mix
//! arbitrary bytes with near-valid shapes (the prefixes and separators
//! the real formats use) so the interesting branches are reached. Bounded
//! in time for CI: 256 cases per property (`PROPTEST_CASES` raises it).

use axum::http::{header, HeaderMap, HeaderValue};
use bytes::BytesMut;
use carrier_sim::carriers::ctcc::des::{str_dec, TripleKey};
use carrier_sim::clock;
use carrier_sim::control::requests::read_params;
use carrier_sim::devices::modem::pdu as sms_pdu;
use carrier_sim::devices::modem::session::Modem;
use carrier_sim::devices::smpp::{messages, pdu};
use carrier_sim::domain::{ids, money, Carrier};
use proptest::prelude::*;

use crate::common::{card, world};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256),
        max_shrink_iters: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text that is sometimes arbitrary and sometimes close to a real format.
fn text_like(shapes: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,40}",
        (prop::sample::select(shapes), any::<String>()).prop_map(|(s, tail)| format!("{s}{tail}")),
        (prop::sample::select(shapes), "[0-9a-fA-F:+\\-.T ]{0,30}")
            .prop_map(|(s, tail)| format!("{s}{tail}")),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn identifiers_and_numbers(s in text_like(&["8986", "46000", "86", "+86", "1440", "898600000000000000"])) {
        let _ = ids::check_iccid(&s);
        let _ = ids::check_msisdn(&s);
        for c in [Carrier::Cmcc, Carrier::Cucc, Carrier::Ctcc] {
            let _ = ids::check_imsi(&s, c);
        }
        let _ = ids::luhn_digit(&s);
        let _ = ids::strip_country_code(&s);
        let _ = carrier_sim::sms::numbers::normalise_number(&s);
    }

    #[test]
    fn times_durations_and_sizes(s in text_like(&["2026-", "9999-12-31T", "-009999-", "20261124", "P1Y", "30d", "1h", "500MB", "1.5GB", "18446744073709551615", "-1"])) {
        let _ = clock::parse_time(&s);
        let _ = clock::parse_duration(&s);
        let _ = money::parse_bytes(&s);
        let _ = carrier_sim::carriers::ctcc::traffic::parse_day(&s);
        let _ = messages::parse_time(&s, jiff::Timestamp::UNIX_EPOCH);
        let _ = messages::parse_time(&s, "2199-12-31T00:00:00Z".parse().unwrap());
    }

    #[test]
    fn ctcc_des_hex(s in text_like(&["0", "A1B2", "ffffffffffffffff", "E3"]), key in "[ -~]{0,30}") {
        let _ = TripleKey::from_key(&key).dec(&s);
        let _ = str_dec(&s, &key, "b", "c");
    }

    #[test]
    fn request_parameters(
        query in text_like(&["a=1&", "method=", "%", "%E4%B8", "=&=&"]),
        body in prop::collection::vec(any::<u8>(), 0..300),
        json in text_like(&["{\"a\":", "[[[[", "{\"data\":{\"iccid\":", "\"\\u"]),
        auth in text_like(&["Basic ", "Basic ==", "Bearer "]),
        ctype in prop::sample::select(&["application/json", "application/x-www-form-urlencoded", "text/xml", ""][..]),
    ) {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&auth) {
            h.insert(header::AUTHORIZATION, v);
        }
        if !ctype.is_empty() {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
        }
        for b in [&body[..], json.as_bytes()] {
            let _ = read_params(Some(&query), &h, b);
            let _ = carrier_sim::carriers::cmcc::params::Params::parse(Some(&query), &h, b);
        }
    }

    #[test]
    fn soap_xml(s in text_like(&["<?xml version=\"1.0\"?>", "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>", "<a><b>", "<![CDATA[", "&#x", "<!DOCTYPE a [<!ENTITY x \"y\">]>"])) {
        let _ = carrier_sim::carriers::cucc::soap::xml::parse(&s);
    }

    #[test]
    fn smpp_frames_and_bodies(bytes in prop::collection::vec(any::<u8>(), 0..400), len in 0u32..64) {
        // A frame: as given, and with a plausible length header in front.
        let mut framed = (len + 16).to_be_bytes().to_vec();
        framed.extend_from_slice(&bytes);
        for b in [&bytes[..], &framed[..]] {
            let mut buf = BytesMut::from(b);
            while let Ok(Some(_)) = pdu::frame(&mut buf) {}
        }
        let _ = pdu::Bind::parse(&bytes);
        let _ = pdu::Sm::parse(&bytes);
        let _ = pdu::SubmitMulti::parse(&bytes);
        let _ = pdu::DataSm::parse(&bytes);
        let _ = pdu::QuerySm::parse(&bytes);
        let _ = pdu::CancelSm::parse(&bytes);
        let _ = pdu::ReplaceSm::parse(&bytes);
        for esm in [0u8, 0x40, 0xFF] {
            let _ = messages::split_udh(esm, &bytes);
        }
        for dc in [0u8, 3, 4, 8, 0xF0, 0xFF] {
            let _ = messages::decode(dc, &bytes);
        }
        let _ = sms_pdu::gsm7_decode(&bytes);
        let _ = sms_pdu::ucs2_decode(&bytes);
    }

    #[test]
    fn sms_submit_pdus(hex in text_like(&["0011000B91", "0001000D91", "00", "FF"]), len in 0usize..200) {
        let _ = sms_pdu::parse_submit(&hex, len);
    }
}

proptest! {
    // Each case feeds a fresh modem; fewer cases keep it inside a second or two.
    #![proptest_config(ProptestConfig { cases: config().cases / 4, ..config() })]

    #[test]
    fn at_command_lines(lines in prop::collection::vec(
        text_like(&["AT", "AT+CMGS=", "AT+CMGF=0", "AT+CMGF=1", "AT+CUSD=1,\"", "ATD", "AT+CPIN=", "AT+CMGR=", "AT+CSCS=\"UCS2\"", "\u{1a}", "\u{1b}"]),
        1..6,
    )) {
        let w = world(&card(1, "plan = \"p1g\"\nstate = \"active\""));
        let mut m = Modem::new(w, Some(crate::common::iccid(1)));
        for l in &lines {
            let _ = m.feed(l.as_bytes());
            let _ = m.feed(b"\r");
        }
    }
}
