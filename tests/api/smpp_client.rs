//! A real SMPP client against the SMSC: python-smpplib (PyPI `smpplib`)
//! binds as a transceiver, submits a long UCS2 message to a card in UDH
//! parts, receives a delivery receipt per part, and receives as deliver_sm
//! the MO message the card's virtual handset sends to the account's short
//! code. The package is installed into a virtual environment under Cargo's
//! test temp dir; the test fails if Python, pip or the client fails.

use crate::common;

use std::path::{Path, PathBuf};

use carrier_sim::Simulator;

/// A venv with smpplib==2.2.4, created once per target dir.
fn venv() -> PathBuf {
    common::python_venv(
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        "smpplib-venv",
        "smpplib==2.2.4",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smpplib_transceiver_submits_long_ucs2_gets_receipts_and_mo() {
    let python = tokio::task::spawn_blocking(venv).await.unwrap();
    let sim = Simulator::builder()
        .settings(common::devices::device_ports(false, true))
        .start()
        .await;
    let addr = carrier_sim::devices::smpp::bound_addr(sim.world()).unwrap();
    let card = sim.cards().by_tag("cmcc", "normal").unwrap();
    let text = "【配置下发】请将上报周期设置为300秒，服务器地址设置为iot.example.cn端口5683，完成后回复OK。设备编号A1B2C3，批次2026-11。";
    assert!(
        text.encode_utf16().count() > 70,
        "needs more than one UCS2 part"
    );
    let mo_text = "OK 已完成配置";
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/smpplib/transceiver.py");
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .args([
            addr.ip().to_string(),
            addr.port().to_string(),
            sim.uri(),
            card.iccid.to_string(),
            card.msisdn.to_string(),
            "1065000000".to_string(),
            text.to_string(),
            mo_text.to_string(),
        ])
        .output()
        .await
        .expect("client runs");
    assert!(
        out.status.success(),
        "smpplib client failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), "OK");
    // The card got the parts as one message.
    let inbox = sim.world().card(&card.iccid).unwrap().inbox;
    assert!(
        inbox
            .iter()
            .any(|m| m.text == text && m.peer == "1065000000"),
        "reassembled message in the inbox"
    );
}
