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
