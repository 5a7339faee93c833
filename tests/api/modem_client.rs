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
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/gsmmodem/cxll.py");
    let out = tokio::process::Command::new(python)
        .arg(&script)
        .args([port, "10010", text, expected])
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
