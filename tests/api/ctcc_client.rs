//! A real client against the CTCC dialect: the published npm package
//! `@china-carrier-iot-sdk/ctcc-cmp` (option `rootEndpoint`), driven by
//! `tests/clients/ctcc-cmp/drive.js` against a running simulator. The test
//! installs the package with npm into a temporary directory and fails if
//! npm, node or any of the client's checks fail.

use std::path::Path;
use std::time::Duration;

use carrier_sim::Simulator;
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_ctcc_cmp_client_against_the_simulator() {
    let sim = Simulator::start().await;
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/ctcc-cmp");
    let dir = tempfile::tempdir().unwrap();
    for f in ["package.json", "drive.js"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    let install = tokio::time::timeout(
        Duration::from_secs(300),
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir.path())
            .output(),
    )
    .await
    .expect("npm install timed out")
    .expect("npm must be installed");
    assert!(
        install.status.success(),
        "npm install failed: {}",
        String::from_utf8_lossy(&install.stderr)
    );
    let run = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new("node")
            .arg("drive.js")
            .arg(format!("{}/m2m_ec", sim.uri()))
            .current_dir(dir.path())
            .output(),
    )
    .await
    .expect("client timed out")
    .expect("node must be installed");
    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "client failed:\n{out}\n{err}");
    assert!(out.contains("all checks passed"), "{out}");
}
