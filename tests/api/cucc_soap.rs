//! Black-box tests of the China Unicom Jasper SOAP API over real HTTP: a
//! general SOAP client library (PyPI `zeep`, driven by
//! `tests/clients/zeep/drive.py` from the WSDLs the simulator serves) runs
//! the whole flow, and raw envelopes built exactly as the public Java SAAJ +
//! XWSS clients build them (e.g. `com.yimao.cloud.water.service.impl.
//! SimCardService`: `sch` prefix, constant messageId `TCE-100-ABC-34084`,
//! version `1.0`, SOAPAction header) and as PHP SoapClient builds them (no
//! `Type` on the password) check the wire shape byte by byte. Expected
//! codes come from the platform's error table (brightnucleus/jasper-client
//! `src/ErrorMessage.php`), shapes from captured responses (see
//! `docs/cucc.md`, "SOAP API").

use std::path::{Path, PathBuf};
use std::time::Duration;

use carrier_sim::Simulator;
use serde_json::Value;

use crate::common;
use crate::common::cucc::{
    java_envelope, sch, soap_post as post, KEY, LICENSE, SECEXT, SOAP_NS as NS,
    SOAP_PASSWORD as PASSWORD, USER,
};

/// A venv with zeep, created once per target dir.
fn venv() -> PathBuf {
    common::python_venv(
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        "zeep-venv",
        "zeep==4.3.3",
    )
}

async fn tagged_in(sim: &Simulator, account: &str, tag: &str) -> String {
    let v: Value = reqwest::get(format!(
        "{}/_sim/cards?carrier=cucc&account={account}&tag={tag}",
        sim.uri()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    v["items"][0]["iccid"].as_str().unwrap().to_string()
}

async fn any_card_of(sim: &Simulator, account: &str) -> String {
    let v: Value = reqwest::get(format!(
        "{}/_sim/cards?carrier=cucc&account={account}",
        sim.uri()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    v["items"][0]["iccid"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zeep_runs_the_whole_flow_from_the_served_wsdl() {
    let python = tokio::task::spawn_blocking(venv).await.unwrap();
    let sim = Simulator::start().await;
    let mine = tagged_in(&sim, "cucc-demo", "normal").await;
    let mine2 = tagged_in(&sim, "cucc-demo", "near-quota").await;
    let other = any_card_of(&sim, "cucc-other").await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/zeep/drive.py");
    let out = tokio::time::timeout(
        Duration::from_secs(180),
        tokio::process::Command::new(&python)
            .arg(&script)
            .args([&sim.uri(), USER, PASSWORD, LICENSE, &mine, &mine2, &other])
            .output(),
    )
    .await
    .expect("zeep driver timed out")
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "zeep driver failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    // The edits landed in the world the other surfaces read.
    let card: Value = reqwest::get(format!("{}/_sim/cards/{mine}", sim.uri()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(card["state"], "active", "{card}");
    assert_eq!(card["attrs"]["cucc.accountCustom1"], "zeep-note", "{card}");
    let sms_id = summary["sms"].as_u64().unwrap();
    let in_world = sim.world().card(&mine).unwrap();
    assert!(
        in_world
            .inbox
            .iter()
            .any(|m| m.id == sms_id && m.text == "zeep 你好"),
        "the SOAP SMS reached the card's inbox"
    );
}

// ---- raw envelopes as the public clients build them ----

async fn java(sim: &Simulator, op: &str, children: &str) -> (u16, String) {
    let action = format!("http://api.jasperwireless.com/ws/service/terminal/{op}");
    let env = java_envelope(USER, PASSWORD, LICENSE, op, children);
    let (s, _, b) = post(sim, "/ws/service/terminal", &action, env).await;
    (s, b)
}

/// The text of the first `<ns2:{name}>` element.
fn text<'a>(body: &'a str, name: &str) -> &'a str {
    let open = format!("<ns2:{name}>");
    let start = body
        .find(&open)
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        + open.len();
    let end = body[start..].find('<').unwrap() + start;
    &body[start..end]
}

/// `yyyy-MM-ddTHH:mm:ss.SSSZ`.
fn is_ms_utc(v: &str) -> bool {
    let b = v.as_bytes();
    v.len() == 24
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && b[23] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| [4, 7, 10, 13, 16, 19, 23].contains(&i) || c.is_ascii_digit())
}

#[tokio::test]
async fn java_get_terminal_details_has_the_captured_wire_shape() {
    let sim = Simulator::start().await;
    let mine = tagged_in(&sim, "cucc-demo", "normal").await;
    let action = "http://api.jasperwireless.com/ws/service/terminal/GetTerminalDetails";
    let env = java_envelope(
        USER,
        PASSWORD,
        LICENSE,
        "GetTerminalDetails",
        &sch("iccids", &sch("iccid", &mine)),
    );
    let (status, ctype, body) = post(&sim, "/ws/service/terminal", action, env).await;
    assert_eq!(status, 200, "{body}");
    assert!(ctype.starts_with("text/xml"), "{ctype}");
    // Literal prefixes, empty header, requestId on the root (spec §1).
    let head = "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Header/><SOAP-ENV:Body><ns2:GetTerminalDetailsResponse xmlns:ns2=\"http://api.jasperwireless.com/ws/schema\" ns2:requestId=\"";
    assert!(body.starts_with(head), "{body}");
    let rid = &body[head.len()..head.len() + 16];
    assert!(rid.bytes().all(|c| c.is_ascii_alphanumeric()), "{rid}");
    assert!(body.contains("<ns2:correlationId>TCE-100-ABC-34084</ns2:correlationId><ns2:version>7.28</ns2:version><ns2:build>Unknown</ns2:build><ns2:timestamp>"));
    // Compact: no whitespace text nodes (one client walks siblings).
    assert!(!body.contains(">\n") && !body.contains("> <"), "{body}");
    // msisdn is an attribute, 86 + 13 digits.
    let m = body
        .find("<ns2:terminal msisdn=\"86")
        .expect("msisdn attribute");
    assert_eq!(body[m + 22..].find('"'), Some(15));
    assert_eq!(text(&body, "iccid"), mine);
    assert_eq!(text(&body, "status"), "ACTIVATED_NAME");
    assert_eq!(text(&body, "suspended"), "N");
    // MB with three decimals; SMS and voice as integers.
    let mtd = text(&body, "monthToDateDataUsage");
    assert_eq!(mtd.split('.').nth(1).map(str::len), Some(3), "{mtd}");
    assert_eq!(mtd, text(&body, "monthToDateUsage"));
    assert!(text(&body, "monthToDateSMSUsage").parse::<u64>().is_ok());
    assert!(text(&body, "monthToDateVoiceUsage").parse::<u64>().is_ok());
    for d in ["dateAdded", "dateModified", "timestamp"] {
        assert!(is_ms_utc(text(&body, d)), "{d}: {}", text(&body, d));
    }
    assert!(
        body.contains("<ns2:custom1/>"),
        "empty required strings as empty elements"
    );
    assert!(body.contains("<ns2:rating/>"));
    assert_eq!(text(&body, "accountId"), "100020620");
    assert!(body.contains("<ns2:fixedIpAddress xsi:nil=\"true\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"/>"));
    assert!(body.ends_with("</ns2:custom10></ns2:terminal></ns2:terminals></ns2:GetTerminalDetailsResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>") || body.ends_with("<ns2:custom10/></ns2:terminal></ns2:terminals></ns2:GetTerminalDetailsResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"), "{body}");
}

#[tokio::test]
async fn java_edit_terminal_deactivates_and_activates_in_the_shared_world() {
    let sim = Simulator::start().await;
    let mine = tagged_in(&sim, "cucc-demo", "normal").await;
    let state = |sim: &Simulator| sim.world().card(&mine).unwrap().state;
    let edit =
        |target: &str| sch("iccid", &mine) + &sch("targetValue", target) + &sch("changeType", "3");
    let (s, body) = java(&sim, "EditTerminal", &edit("DEACTIVATED_NAME")).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(text(&body, "iccid"), mine);
    let eff = text(&body, "effectiveDate");
    assert!(
        eff.len() == 11 && eff.ends_with('Z'),
        "xs:date with Z: {eff}"
    );
    assert_eq!(state(&sim), carrier_sim::domain::CardState::Suspended);
    // The REST dialect reads the same world.
    let rest: Value = reqwest::Client::new()
        .get(format!("{}/devices/{mine}", sim.cucc_url()))
        .basic_auth(USER, Some(KEY))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["status"], "DEACTIVATED");
    let (s, body) = java(&sim, "EditTerminal", &edit("ACTIVATED_NAME")).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(state(&sim), carrier_sim::domain::CardState::Active);
    // The audit trail shows both changes, newest first.
    let (_, trail) = java(&sim, "GetTerminalAuditTrail", &sch("iccid", &mine)).await;
    let first = trail
        .find("<ns2:value>ACTIVATED</ns2:value>")
        .expect("activation");
    let second = trail
        .find("<ns2:value>DEACTIVATED</ns2:value>")
        .expect("stop");
    assert!(first < second, "{trail}");
}

#[tokio::test]
async fn modified_terminals_end_with_total_pages_after_iccids() {
    let sim = Simulator::start().await;
    let (s, body) = java(
        &sim,
        "GetModifiedTerminals",
        &sch("since", "2008-08-26T00:00:00Z"),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    // U4 reads Body.firstChild.lastChild.previousSibling as the iccids.
    assert!(body.contains("</ns2:iccids><ns2:totalPages>"), "{body}");
    assert!(body.ends_with(
        "</ns2:totalPages></ns2:GetModifiedTerminalsResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    ));
    let pages: usize = text(&body, "totalPages").parse().unwrap();
    let listed = body.matches("<ns2:iccid>").count();
    assert!(listed <= 50 && listed > 0 && pages >= 1, "{body}");
    // Another account's cards never appear.
    let other = any_card_of(&sim, "cucc-other").await;
    assert!(!body.contains(&other));
}

#[tokio::test]
async fn php_soapclient_envelope_without_password_type_is_accepted() {
    let sim = Simulator::start().await;
    let mine = tagged_in(&sim, "cucc-demo", "normal").await;
    // PHP SoapClient + SoapHeader: ns1/ns2 prefixes on the envelope, no
    // Type attribute on the password, empty messageId and version.
    let env = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns1=\"{NS}\" xmlns:ns2=\"{SECEXT}\"><SOAP-ENV:Header><ns2:Security><ns2:UsernameToken><ns2:Username>{USER}</ns2:Username><ns2:Password>{PASSWORD}</ns2:Password></ns2:UsernameToken></ns2:Security></SOAP-ENV:Header><SOAP-ENV:Body><ns1:GetSessionInfoRequest><ns1:messageId></ns1:messageId><ns1:version></ns1:version><ns1:licenseKey>{LICENSE}</ns1:licenseKey><ns1:iccid>{mine}</ns1:iccid></ns1:GetSessionInfoRequest></SOAP-ENV:Body></SOAP-ENV:Envelope>\n"
    );
    // Unquoted, differently cased action and path.
    let (s, _, body) = post(&sim, "/ws/service/Terminal", "GetSessionInfo", env).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("<ns2:correlationId/>"), "{body}");
    assert_eq!(text(&body, "iccid"), mine);
    assert!(
        body.contains("<ns2:dateSessionEnded xsi:nil=\"true\""),
        "{body}"
    );
}

/// (HTTP status, faultcode, faultstring) of a fault response.
fn fault(status: u16, body: &str) -> (u16, String, String) {
    let grab = |tag: &str| {
        let open = format!("<{tag}>");
        let s = body.find(&open).map(|i| i + open.len());
        s.map(|s| body[s..s + body[s..].find('<').unwrap()].to_string())
            .unwrap_or_default()
    };
    (status, grab("faultcode"), grab("faultstring"))
}

#[tokio::test]
async fn each_bad_input_gets_its_own_fault_and_changes_nothing() {
    let sim = Simulator::start().await;
    let mine = tagged_in(&sim, "cucc-demo", "normal").await;
    let other = any_card_of(&sim, "cucc-other").await;
    let details = |iccid: &str| sch("iccids", &sch("iccid", iccid));
    let action = "http://api.jasperwireless.com/ws/service/terminal/GetTerminalDetails";
    let call = |user: &str, pw: &str, key: &str, children: String| {
        java_envelope(user, pw, key, "GetTerminalDetails", &children)
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong password",
            call(USER, "nope", LICENSE, details(&mine)),
            "400200",
        ),
        (
            "unknown user",
            call("nobody", PASSWORD, LICENSE, details(&mine)),
            "400200",
        ),
        (
            "wrong license key",
            call(USER, PASSWORD, "bad-key", details(&mine)),
            "400100",
        ),
        (
            "empty license key",
            call(USER, PASSWORD, "", details(&mine)),
            "400100",
        ),
        (
            "another account's ICCID",
            call(USER, PASSWORD, LICENSE, details(&other)),
            "400201",
        ),
        (
            "unknown ICCID",
            call(USER, PASSWORD, LICENSE, details("89860699999999999990")),
            "100100",
        ),
        (
            "51 ICCIDs",
            call(
                USER,
                PASSWORD,
                LICENSE,
                sch("iccids", &sch("iccid", &mine).repeat(51)),
            ),
            "400400",
        ),
    ];
    for (what, env, code) in cases {
        let (s, _, body) = post(&sim, "/ws/service/terminal", action, env).await;
        let (status, faultcode, faultstring) = fault(s, &body);
        assert_eq!(
            (status, faultstring.as_str()),
            (500, code),
            "{what}: {body}"
        );
        assert_eq!(faultcode, "SOAP-ENV:Client", "{what}");
        assert!(
            body.contains(
                "<detail><jws:error xmlns:jws=\"http://api.jasperwireless.com/ws/schema\">"
            ),
            "{what}: {body}"
        );
    }
    // No security header at all: the captured fault's text.
    let no_header = java_envelope(USER, PASSWORD, LICENSE, "GetTerminalDetails", &details(&mine))
        .replace(
            &java_envelope(USER, PASSWORD, LICENSE, "X", "")
                [..java_envelope(USER, PASSWORD, LICENSE, "X", "").find("<SOAP-ENV:Body>").unwrap()],
            "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Header/>",
        );
    let (s, _, body) = post(&sim, "/ws/service/terminal", action, no_header).await;
    assert_eq!(fault(s, &body).2, "400200", "{body}");
    assert!(body.contains("No Security Header found"), "{body}");
    assert!(body.contains("com.jasperwireless.ws.ApiSecurityValidationException"));
    // Edits: bad change type, bad status, refused transition, past date.
    let edit = |target: &str, ct: &str, extra: &str| {
        sch("iccid", &mine) + extra + &sch("targetValue", target) + &sch("changeType", ct)
    };
    for (what, children, code) in [
        ("change type", edit("x", "999", ""), "100200"),
        ("status name", edit("ACTIVE", "3", ""), "100300"),
        (
            "operator-only status",
            edit("PURGED_NAME", "3", ""),
            "100300",
        ),
        (
            "past date",
            edit("DEACTIVATED_NAME", "3", &sch("effectiveDate", "2001-01-01")),
            "100300",
        ),
        (
            "malformed ICCID",
            sch("iccid", "12ab") + &sch("targetValue", "ACTIVATED_NAME") + &sch("changeType", "3"),
            "100101",
        ),
    ] {
        let (s, body) = java(&sim, "EditTerminal", &children).await;
        assert_eq!(fault(s, &body).2, code, "{what}: {body}");
    }
    assert_eq!(
        sim.world().card(&mine).unwrap().state,
        carrier_sim::domain::CardState::Active,
        "faults changed nothing"
    );
    // Usage without a cycle, and SMS text rules.
    let (s, body) = java(&sim, "GetTerminalUsage", &sch("iccid", &mine)).await;
    assert_eq!(fault(s, &body).2, "200200", "{body}");
    // Not SOAP at all, and an operation nobody serves.
    let (s, _, body) = post(&sim, "/ws/service/terminal", "", "<not-xml".into()).await;
    let f = fault(s, &body);
    assert_eq!((f.0, f.1.as_str()), (500, "SOAP-ENV:Client"), "{body}");
    assert!(f.2.starts_with("Could not access envelope"), "{body}");
    let (s, body) = java(&sim, "DoSomethingElse", "").await;
    assert!(
        fault(s, &body).2.starts_with("No endpoint mapping found"),
        "{body}"
    );
}

#[tokio::test]
async fn wsdls_point_at_this_server_and_lookups_answer() {
    let sim = Simulator::start().await;
    for (file, path) in [
        ("Terminal.wsdl", "/ws/service/terminal"),
        ("Billing.wsdl", "/ws/service/billing"),
        ("Sms.wsdl", "/ws/service/Sms"),
        ("Echo.wsdl", "/ws/service/echo"),
    ] {
        let w = reqwest::get(format!("{}/ws/schema/{file}", sim.uri()))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            w.contains(&format!("location=\"{}{path}\"", sim.uri())),
            "{w}"
        );
        assert!(w.contains("schemaLocation=\"JasperAPI.xsd\""));
    }
    let xsd = reqwest::get(format!("{}/ws/schema/JasperAPI.xsd", sim.uri()))
        .await
        .unwrap();
    assert_eq!(xsd.status(), 200);
    // One client spells the IMSI look-up GetTerminalsByIMSI.
    let card = sim
        .world()
        .card(&tagged_in(&sim, "cucc-demo", "normal").await)
        .unwrap();
    let (s, body) = java(
        &sim,
        "GetTerminalsByIMSI",
        &sch("imsi", &sch("imsi", &card.imsi)),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(text(&body, "iccid"), card.iccid.as_str());
    let (s, body) = java(
        &sim,
        "GetTerminalsByMsisdn",
        &sch("msisdns", &sch("msisdn", &format!("86{}", card.msisdn))),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(text(&body, "iccid"), card.iccid.as_str());
    // Echo needs no credentials.
    let echo = format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:sch=\"{NS}\"><soapenv:Body><sch:EchoRequest><sch:value>hello 联通</sch:value></sch:EchoRequest></soapenv:Body></soapenv:Envelope>"
    );
    let (s, _, body) = post(
        &sim,
        "/ws/service/echo",
        "http://api.jasperwireless.com/ws/service/echo/Echo",
        echo,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(text(&body, "value"), "hello 联通");
}
