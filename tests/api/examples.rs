//! Every program in `examples/clients/` runs against the built binary
//! (`carrier-sim serve` on a free port, with an admin token), so an answer
//! that changes shape fails CI here before it fails a user's copy of the
//! example. Each program asserts its own expectations and exits non-zero
//! on a mismatch; it ends by printing `ok`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `carrier-sim serve` on a free port; killed on drop.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const TOKEN: &str = "examples-token";

fn serve() -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_carrier-sim"))
        .args(["serve", "--port", "0", "--admin-token", TOKEN])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("carrier-sim starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    stdout.read_line(&mut banner).unwrap();
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let base = banner
        .trim()
        .strip_prefix("carrier-sim listening on ")
        .unwrap_or_else(|| panic!("banner: {banner}"))
        .to_string();
    Served { child, base }
}

/// Runs one example program against a fresh server.
fn run(program: &str, script: &str) {
    let sim = serve();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let out = Command::new(program)
        .arg(&path)
        .args([&sim.base, TOKEN])
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed to run {script}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("ok"),
        "{script}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn python_walkthrough() {
    run("python3", "examples/clients/python/walkthrough.py");
}

#[test]
fn node_walkthrough() {
    run("node", "examples/clients/node/walkthrough.mjs");
}

#[test]
fn java_walkthrough() {
    run("java", "examples/clients/java/Walkthrough.java");
}

#[test]
fn shell_walkthrough() {
    run("bash", "examples/clients/shell/walkthrough.sh");
}

#[test]
fn node_test_helper_starts_and_stops_the_simulator() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/clients/node");
    let out = Command::new("node")
        .args(["--test", "carrier-sim.test.mjs"])
        .current_dir(&dir)
        .env("CARRIER_SIM_BIN", env!("CARGO_BIN_EXE_carrier-sim"))
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn pytest_fixture_starts_and_stops_the_simulator() {
    let python = crate::common::python_venv(
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        "pytest-venv",
        "pytest",
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/clients/python");
    let out = Command::new(python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(&dir)
        .env("CARRIER_SIM_BIN", env!("CARGO_BIN_EXE_carrier-sim"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("pytest runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
