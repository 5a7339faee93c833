//! A real modem library against the virtual modem: python-gsmmodem-new
//! (PyPI) opens the card's pseudo-terminal, initialises it as it would a
//! hardware modem, sends `CXLL` (and an unknown command, whose help reply
//! comes in two concatenated parts) to 10010 and reads the replies. The
//! package is installed into a virtual environment under Cargo's test
//! temp dir; the test fails if Python, pip or the client fails.

use crate::common;
use crate::common::admin::Admin;
use crate::common::devices::{
    default_fleet_iccid, CUCC_HELP_REPLY as HELP_TEXT, CUCC_NORMAL_DATA_REPLY as DATA_TEXT,
};

use std::path::{Path, PathBuf};

use carrier_sim::{Settings, Simulator};

/// A venv with python-gsmmodem-new==0.13.0, created once per target dir.
fn venv() -> PathBuf {
    common::python_venv(
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        "gsmmodem-venv",
        "python-gsmmodem-new==0.13.0",
    )
}

async fn run_client(python: &Path, port: &str, text: &str, expected: &str) {
    run_client_to(python, port, "10010", text, expected).await;
}

/// Runs the client against `number`; returns the parts as the library
/// decoded them (the script's `PARTS` line).
async fn run_client_to(
    python: &Path,
    port: &str,
    number: &str,
    text: &str,
    expected: &str,
) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/gsmmodem/cxll.py");
    let out = tokio::process::Command::new(python)
        .arg(&script)
        .args([port, number, text, expected])
        .output()
        .await
        .expect("client runs");
    assert!(
        out.status.success(),
        "python-gsmmodem client failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), expected);
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("PARTS "))
        .expect("the client reports the parts");
    serde_json::from_str(line).expect("parts as JSON")
}

/// The real shape (docs/sms.md, from decoded 2021 PDUs of all three
/// carriers): a long 10086 reply comes in parts of 65 UCS-2 characters
/// with a 16-bit concatenation reference (IEI 08), a long 10010 reply with
/// an 8-bit one (IEI 00). python-gsmmodem decodes and joins them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_gsmmodem_joins_real_shaped_parts() {
    let python = tokio::task::spawn_blocking(venv).await.unwrap();
    let mobile = default_fleet_iccid("cmcc-demo", "normal");
    let unicom = default_fleet_iccid("cucc-demo", "normal");
    let settings = Settings {
        modem_pty: vec![mobile.clone(), unicom.clone()],
        ..Settings::default()
    };
    let sim = Simulator::builder().settings(settings).start().await;
    let modems = Admin::new(&sim).get("/_sim/modems").await;
    for (iccid, number, iei) in [(&mobile, "10086", 8), (&unicom, "10010", 0)] {
        let port = modems["modems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["iccid"] == iccid.as_str())
            .unwrap()["path"]
            .as_str()
            .unwrap()
            .to_string();
        // What the service number answers (the clock is frozen, so asking
        // first gives the same text the SMS will carry).
        let card = sim.world().card(iccid).unwrap();
        let expected = carrier_sim::sms::answer(sim.world(), &card, number, "CXLL").unwrap();
        assert!(expected.encode_utf16().count() > 130, "a long real form");
        let parts = run_client_to(&python, &port, number, "CXLL", &expected).await;
        let parts = parts.as_array().unwrap();
        let n = expected.encode_utf16().count().div_ceil(65);
        assert_eq!(parts.len(), n, "{parts:?}");
        for (i, p) in parts.iter().enumerate() {
            assert_eq!(p["iei"], iei, "{number}: {p}");
            assert_eq!(p["parts"], n);
            if i + 1 < n {
                assert_eq!(p["chars"], 65, "{number}: non-final parts hold 65");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_gsmmodem_reads_the_reply_over_a_pty() {
    let python = tokio::task::spawn_blocking(venv).await.unwrap();
    let iccid = default_fleet_iccid("cucc-demo", "normal");
    let settings = Settings {
        modem_pty: vec![iccid.clone()],
        ..Settings::default()
    };
    // The simulator's own texts (the `simulated` forms of docs/sms.md): the
    // unknown command's reply is the two-part one this test was built on.
    let sim = Simulator::builder()
        .fixture_str(&crate::common::devices::fleet_with_simulated_texts())
        .settings(settings)
        .start()
        .await;
    let modems = Admin::new(&sim).get("/_sim/modems").await;
    assert_eq!(modems["modems"][0]["iccid"], iccid.as_str());
    let port = modems["modems"][0]["path"].as_str().unwrap().to_string();
    assert!(port.starts_with("/dev/"), "{port}");

    run_client(&python, &port, "CXLL", DATA_TEXT).await;
    // The port can be opened again; a long reply comes in two parts.
    run_client(&python, &port, "HELLO", HELP_TEXT).await;

    let inbox = Admin::new(&sim)
        .get(&format!("/_sim/handsets/{iccid}/inbox"))
        .await;
    assert_eq!(inbox["messages"][0]["text"], DATA_TEXT);
    assert_eq!(inbox["messages"][1]["text"], HELP_TEXT);
}
