//! Hostile input that once crashed a request: every surface must answer
//! (with its own error shape), never drop the connection. Regression tests
//! of issue 20's findings; each asserts an answer came back and the server
//! still serves afterwards.

use std::time::Duration;

use carrier_sim::{Settings, Simulator};
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::admin::Admin;
use crate::common::{cmcc::Cmcc, ctcc::Ctcc};

/// 20 bytes whose 19th byte is inside a multibyte character: the ICCID
/// look-up once sliced `s[..19]` and panicked ("not a char boundary").
const MULTIBYTE_20: &str = "111111111111111111\u{e9}";
const MULTIBYTE_20_URL: &str = "111111111111111111%C3%A9";

#[tokio::test]
async fn a_multibyte_identifier_gets_an_answer_on_every_surface() {
    assert_eq!(MULTIBYTE_20.len(), 20);
    let ct = Ctcc::start().await;
    let admin = Admin::new(&ct.sim);

    for path in [
        format!("/_sim/cards/{MULTIBYTE_20_URL}"),
        format!("/_sim/events?card={MULTIBYTE_20_URL}"),
        format!("/_sim/requests?card={MULTIBYTE_20_URL}"),
    ] {
        let (status, _) = admin.raw(Method::GET, &path, None).await;
        assert!(status.as_u16() < 500, "{path}: {status}");
    }
    let (status, _) = admin
        .raw(
            Method::POST,
            &format!("/_sim/cards/{MULTIBYTE_20_URL}/actions"),
            Some(r#"{"action":"stop"}"#),
        )
        .await;
    assert_eq!(status.as_u16(), 404, "unknown card, not a crash");

    // CTCC legacy: the platform's "no such number" reply, as plain text.
    let body = ct.q("queryCardMainStatus", MULTIBYTE_20, &[]).await;
    assert!(!body.is_empty());
    // CUCC REST: the Jasper 404 envelope.
    let (status, _) =
        crate::common::cucc::get(&ct.sim, &format!("/devices/{MULTIBYTE_20_URL}")).await;
    assert!(status == 404 || status == 400, "{status}");

    // CMCC v5 on its own simulator: an envelope, not a dropped connection.
    let cm = Cmcc::start().await;
    let token = cm.token().await;
    for key in ["iccid", "msisdn", "imsi"] {
        let v = cm
            .call(&token, "/query/sim-basic-info", &[(key, MULTIBYTE_20)])
            .await;
        assert_ne!(v["status"], "0", "{key}: {v}");
    }
    // The server is still up.
    let (status, _) = admin.raw(Method::GET, "/_sim/health", None).await;
    assert_eq!(status.as_u16(), 200);
}

#[tokio::test]
async fn the_modem_answers_error_to_multibyte_command_lines() {
    let settings = Settings {
        modem_bind: Some("127.0.0.1:0".parse().unwrap()),
        ..Settings::default()
    };
    let sim = Simulator::builder().settings(settings).start().await;
    let addr = Admin::new(&sim).get("/_sim/modems").await["tcp"]
        .as_str()
        .unwrap()
        .to_string();
    let mut sock = TcpStream::connect(addr).await.unwrap();
    // "中T" (a 3-byte first character), "A中" and "AT&中": each once sliced mid-character.
    for line in ["中T\r", "A中\r", "AT&中\r", "ATE0\r"] {
        sock.write_all(line.as_bytes()).await.unwrap();
        let mut seen = Vec::new();
        loop {
            let mut b = [0u8; 512];
            let n = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut b))
                .await
                .expect("the modem answered within 5 s")
                .unwrap();
            assert!(n > 0, "the modem closed the connection after {line:?}");
            seen.extend_from_slice(&b[..n]);
            let text = String::from_utf8_lossy(&seen);
            if text.contains("OK\r\n") || text.contains("ERROR\r\n") {
                break;
            }
        }
        let text = String::from_utf8_lossy(&seen).to_string();
        if line.starts_with("ATE0") {
            assert!(text.contains("OK"), "{text}");
        } else {
            assert!(text.contains("ERROR"), "{line:?} -> {text}");
        }
    }
}

/// Times at the edge of the calendar once panicked (`clock.rs` "in range"
/// expectations) or ran for a minute; now each is a 400 that changes nothing.
#[tokio::test]
async fn times_at_the_edge_of_the_calendar_are_refused_with_400() {
    let sim = Simulator::start().await;
    let admin = Admin::new(&sim);
    let before = admin.get("/_sim/clock").await["now"].clone();
    for set in [
        "9999-12-31T23:59:59+08:00",
        "-009999-01-01",
        "2200-01-01T00:00:00+08:00",
        "3026-11-27T00:00:00+08:00",
    ] {
        let body = serde_json::json!({ "set": set }).to_string();
        let (status, text) = admin.raw(Method::POST, "/_sim/clock", Some(&body)).await;
        assert_eq!(status.as_u16(), 400, "set {set}: {text}");
    }
    let (status, _) = admin
        .raw(Method::GET, "/_sim/events?from=9999-12-31T23:00:00", None)
        .await;
    assert_eq!(status.as_u16(), 400);
    let iccid = admin.iccid_by_tag("cmcc", "normal").await;
    let (status, text) = admin
        .raw(
            Method::PATCH,
            &format!("/_sim/cards/{iccid}"),
            Some(r#"{"expires":"9999-12-31T00:00:00+08:00"}"#),
        )
        .await;
    assert_eq!(status.as_u16(), 400, "{text}");
    assert_eq!(
        admin.get("/_sim/clock").await["now"],
        before,
        "nothing moved"
    );
    let (status, _) = admin.raw(Method::GET, "/_sim/health", None).await;
    assert_eq!(status.as_u16(), 200);
}

/// Issue 20, "Numbers that wrap or saturate silently": every amount is
/// bounded where it enters (docs/security.md lists the maxima); beyond
/// them the admin plane answers a JSON 400 and the CTCC dialect its own
/// parameter error, and nothing changes: the balance still equals the
/// ledger's sum, usage is never lowered by a huge use.
#[tokio::test]
async fn amounts_beyond_their_maxima_are_refused_and_change_nothing() {
    use carrier_sim::domain::money::{MAX_AMOUNT_FEN, MAX_BALANCE_FEN, MAX_DATA_BYTES};
    const NUMBER: &str = "14910000000";
    let ct = Ctcc::start().await;
    let admin = Admin::new(&ct.sim);
    let card_path = format!("/_sim/cards/{NUMBER}");
    let actions = format!("{card_path}/actions");
    let before = admin.card(NUMBER).await;

    for body in [
        format!(r#"{{"action": "top_up", "amount_fen": {}}}"#, i64::MAX),
        format!(
            r#"{{"action": "top_up", "amount_fen": {}}}"#,
            MAX_AMOUNT_FEN + 1
        ),
    ] {
        admin
            .refused(Method::POST, &actions, Some(&body), 400, "amount_fen")
            .await;
    }
    for body in [
        format!(r#"{{"action": "use_data", "bytes": {}}}"#, u64::MAX),
        format!(
            r#"{{"action": "use_data", "bytes": {}}}"#,
            MAX_DATA_BYTES + 1
        ),
    ] {
        admin
            .refused(Method::POST, &actions, Some(&body), 400, "bytes")
            .await;
    }
    for fen in [
        i64::MIN,
        i64::MAX,
        MAX_BALANCE_FEN + 1,
        -MAX_BALANCE_FEN - 1,
    ] {
        let body = format!(r#"{{"balance_fen": {fen}}}"#);
        admin
            .refused(Method::PATCH, &card_path, Some(&body), 400, "balance_fen")
            .await;
    }
    let body = format!(r#"{{"usage": {{"data_bytes": {}}}}}"#, u64::MAX);
    admin
        .refused(Method::PATCH, &card_path, Some(&body), 400, "data_bytes")
        .await;
    let after = admin.card(NUMBER).await;
    for field in ["balance_fen", "usage", "ledger"] {
        assert_eq!(before[field], after[field], "{field} unchanged");
    }

    // At the ceiling: a top-up that would pass MAX_BALANCE_FEN is refused,
    // and the ledger still sums to the balance.
    let body = format!(r#"{{"balance_fen": {}}}"#, MAX_BALANCE_FEN - 10);
    let (s, v) = admin.raw(Method::PATCH, &card_path, Some(&body)).await;
    assert_eq!(s.as_u16(), 200, "{v}");
    admin
        .refused(
            Method::POST,
            &actions,
            Some(r#"{"action": "top_up", "amount_fen": 11}"#),
            400,
            "amount",
        )
        .await;
    let card = admin.card(NUMBER).await;
    assert_eq!(card["balance_fen"].as_i64(), Some(MAX_BALANCE_FEN - 10));
    let world_card = ct
        .sim
        .world()
        .card(card["iccid"].as_str().unwrap())
        .unwrap();
    let last = world_card
        .ledger
        .last()
        .expect("the adjustment is in the ledger");
    assert_eq!(
        last.balance_fen,
        MAX_BALANCE_FEN - 10,
        "ledger and balance agree"
    );

    // CTCC offNetAction: a quota whose bytes would pass 1 PiB is the
    // carrier's own parameter error, and no threshold is set.
    let huge = (MAX_DATA_BYTES / (1024 * 1024) + 1).to_string();
    for quota in [huge.as_str(), "9223372036854775807"] {
        let xml = ct
            .call(
                "/m2m_ec/query.do",
                "offNetAction",
                &[
                    ("access_number", NUMBER),
                    ("action", "1"),
                    ("quota", quota),
                    ("type", "1"),
                ],
                &[NUMBER, "1", quota, "1"],
            )
            .await;
        assert!(xml.contains("quota参数错误"), "{quota}: {xml}");
    }
    let card = admin.card(NUMBER).await;
    assert!(card["threshold"].is_null(), "{}", card["threshold"]);
}
