//! Black-box tests of how the binary is configured and run as a tool:
//! `serve` from `CARRIER_SIM_*` variables alone, bind failures that name
//! the listener, the paths left open under an admin token (health checks,
//! scrapers), the metrics' media type, and `generate`'s messages.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_carrier-sim"));
    // The test's own environment must not configure the child.
    for (k, _) in std::env::vars() {
        if k.starts_with("CARRIER_SIM_") {
            c.env_remove(k);
        }
    }
    c
}

/// A `serve` child; killed on drop so a failing test leaves no server.
struct Served {
    child: Child,
    port: u16,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd` (a `serve`) and reads the port from its banner.
fn serve(mut cmd: Command) -> Served {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("carrier-sim starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    // Keep draining both pipes: a closed pipe would kill the server at its
    // next banner line or log record.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let mut stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no banner: {line:?}"));
    Served { child, port }
}

async fn get(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut rb = reqwest::Client::new().get(url);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    rb.send().await.expect("request")
}

#[tokio::test]
async fn serve_is_configured_by_environment_variables_alone() {
    let mut cmd = bin();
    cmd.arg("serve")
        .env("CARRIER_SIM_BIND", "0.0.0.0:0")
        .env("CARRIER_SIM_ADMIN_TOKEN", "env-secret")
        .env("CARRIER_SIM_SEED", "77")
        .env("CARRIER_SIM_CMCC_STRICT_TRANSID", "true")
        .env("CARRIER_SIM_OPEN_METRICS", "1");
    let sim = serve(cmd);
    let base = format!("http://127.0.0.1:{}", sim.port);
    // Health checks and scrapers need no token ...
    for path in ["/_sim/health", "/_sim/ready", "/_sim/metrics"] {
        let r = get(&format!("{base}{path}"), None).await;
        assert_eq!(r.status(), 200, "{path}");
    }
    // ... the rest of the admin plane does: the token came from the variable.
    assert_eq!(get(&format!("{base}/_sim/cards"), None).await.status(), 401);
    let r = get(&format!("{base}/_sim/cards"), Some("env-secret")).await;
    assert_eq!(r.status(), 200);
    // The admin subcommands read the same variables.
    let out = bin()
        .args(["clock", "show"])
        .env("CARRIER_SIM_URL", &base)
        .env("CARRIER_SIM_ADMIN_TOKEN", "env-secret")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bin()
        .args(["clock", "show", "--url", &base])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "no token, refused");
}

#[test]
fn the_fixture_and_seed_variables_are_read() {
    let out = bin()
        .arg("serve")
        .env("CARRIER_SIM_SEED", "not-a-number")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'not-a-number'") && err.contains("--seed"),
        "{err}"
    );
    let out = bin()
        .arg("serve")
        .env("CARRIER_SIM_FIXTURE", "/no/such/fleet.toml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no/such/fleet.toml"), "{err}");
}

#[tokio::test]
async fn metrics_are_openmetrics_with_total_counters_and_need_the_token_by_default() {
    let mut cmd = bin();
    cmd.args(["serve", "--port", "0", "--admin-token", "t0"]);
    let sim = serve(cmd);
    let base = format!("http://127.0.0.1:{}", sim.port);
    let url = format!("{base}/_sim/metrics");
    // One carrier request, so the request counter has samples.
    get(&format!("{base}/rws/api/v1/devices/1"), None).await;
    assert_eq!(get(&url, None).await.status(), 401);
    let r = get(&url, Some("t0")).await;
    assert_eq!(r.status(), 200);
    // OpenMetrics 1.0: the media type, `_total` on counter samples, `# EOF`.
    // https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        ct.starts_with("application/openmetrics-text; version=1.0.0"),
        "{ct}"
    );
    let text = r.text().await.unwrap();
    for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let mut parts = line.split_whitespace().skip(2);
        let (name, kind) = (parts.next().unwrap(), parts.next().unwrap());
        if kind == "counter" {
            let samples: Vec<&str> = text
                .lines()
                .filter(|l| !l.starts_with('#') && l.starts_with(name))
                .collect();
            assert!(!samples.is_empty(), "{name}: {text}");
            for s in samples {
                assert!(s.starts_with(&format!("{name}_total")), "{s}");
            }
        }
    }
    assert!(
        text.contains("carrier_sim_events_journaled_total "),
        "{text}"
    );
    assert!(text.trim_end().ends_with("# EOF"));
}

#[test]
fn a_bind_failure_names_the_listener_and_its_address() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    for (flag, name) in [
        ("--bind", "HTTP"),
        ("--smpp-bind", "SMPP"),
        ("--modem-bind", "modem"),
    ] {
        let mut cmd = bin();
        cmd.args(["serve", flag, &addr]);
        if flag != "--bind" {
            cmd.args(["--bind", "127.0.0.1:0"]);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{name} listener on {addr}")),
            "{flag}: {err}"
        );
    }
}

#[test]
fn bind_takes_a_host_name_and_port_replaces_its_port() {
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let mut cmd = bin();
    cmd.args([
        "serve",
        "--bind",
        "localhost:1",
        "--port",
        &port.to_string(),
    ]);
    let sim = serve(cmd);
    assert_eq!(sim.port, port);
}

#[test]
fn generate_names_the_path_typed_and_ends_with_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let typed = dir.path().join("missing-dir/fleet.json");
    let out = bin()
        .args(["generate", "--cards", "5", "-o"])
        .arg(&typed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!("generate: {}: ", typed.display())),
        "{err}"
    );
    assert!(!err.contains("fleet.json.tmp"), "{err}");

    let path = dir.path().join("fleet.json");
    let out = bin()
        .args(["generate", "--cards", "30", "--seed", "4", "-o"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("30 cards (seed 4) written to {}", path.display())),
        "{err}"
    );
    // No escape sequences in a log that is not a terminal.
    assert!(!err.contains('\u{1b}'), "{err:?}");
}
