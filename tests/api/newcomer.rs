//! A newcomer's first hour, in CI: `cargo install` the crate into a fresh
//! root with the very command the Dockerfile's build stage runs, start the
//! installed binary the way the image does (its ENTRYPOINT and CMD, its ENV,
//! bound to 0.0.0.0 with an admin token from the environment), run the
//! image's HEALTHCHECK, walk README.md's worked example, and stop it with
//! SIGTERM as `docker stop` does.
//!
//! The install uses the debug profile (`--debug`) and its own target
//! directory under the shared target's tmp (reused between runs): a release
//! build of the whole dependency tree would take most of CI's time on two
//! cores, and the install itself, not the optimiser, is what is under test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The parts of the Dockerfile the test runs.
struct Dockerfile {
    build: Vec<String>,
    env: Vec<(String, String)>,
    exposed: u16,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    healthcheck: Vec<String>,
}

/// `["a", "b"]` (the exec form) to its words.
fn exec_form(text: &str) -> Vec<String> {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not exec form: {text}: {e}"))
}

fn dockerfile() -> Dockerfile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile");
    let text = std::fs::read_to_string(path).expect("Dockerfile");
    let mut df = Dockerfile {
        build: Vec::new(),
        env: Vec::new(),
        exposed: 0,
        entrypoint: Vec::new(),
        cmd: Vec::new(),
        healthcheck: Vec::new(),
    };
    for line in text.lines().map(str::trim) {
        if let Some(run) = line.strip_prefix("RUN cargo ") {
            df.build = run.split_whitespace().map(String::from).collect();
        } else if let Some(env) = line.strip_prefix("ENV ") {
            let (k, v) = env.split_once('=').expect("ENV KEY=VALUE");
            df.env.push((k.to_string(), v.to_string()));
        } else if let Some(port) = line.strip_prefix("EXPOSE ") {
            df.exposed = port.trim().parse().expect("EXPOSE port");
        } else if let Some(e) = line.strip_prefix("ENTRYPOINT ") {
            df.entrypoint = exec_form(e);
        } else if let Some(c) = line.strip_prefix("CMD ") {
            df.cmd = exec_form(c);
        } else if let Some(h) = line.strip_prefix("HEALTHCHECK ") {
            let (_, c) = h.split_once("CMD ").expect("HEALTHCHECK ... CMD [...]");
            df.healthcheck = exec_form(c);
        }
    }
    df
}

/// Runs the Dockerfile's `cargo install` into `root`, with `--debug`.
fn install(df: &Dockerfile, root: &Path) -> PathBuf {
    let mut args = df.build.clone();
    let at = args
        .iter()
        .position(|a| a == "--root")
        .expect("the build step installs with --root");
    args[at + 1] = root.display().to_string();
    args.push("--debug".into());
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("newcomer-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(&cargo);
    // The rustc of the toolchain running this test: through the rustup
    // proxy, a dependency's own `rust-toolchain` file (axum-macros has one)
    // would ask for a toolchain that is not installed.
    let rustc = Path::new(&cargo).with_file_name("rustc");
    if rustc.exists() {
        command.env("RUSTC", rustc);
    }
    let out = command
        .args(&args)
        .arg("--target-dir")
        .arg(&target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = root.join("bin/carrier-sim");
    assert!(bin.exists(), "{} installed", bin.display());
    bin
}

/// `curl -s` of the worked example, with the admin token where needed.
async fn get(url: &str, token: Option<&str>, basic: Option<(&str, &str)>) -> Value {
    let mut rb = reqwest::Client::new().get(url);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some((u, p)) = basic {
        rb = rb.basic_auth(u, Some(p));
    }
    let r = rb.send().await.expect("request");
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.expect("JSON")
}

/// The installed binary's admin subcommand, configured as in the image.
fn admin(bin: &Path, env: &[(String, String)], args: &[&str]) -> Value {
    let out = Command::new(bin)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[tokio::test]
#[ignore = "installs the crate (minutes on a first run): cargo test --test api newcomer:: -- --ignored"]
async fn install_serve_from_the_environment_check_health_walk_the_example_and_stop() {
    let df = dockerfile();
    assert_eq!(df.entrypoint, ["carrier-sim"]);
    let root = tempfile::tempdir().unwrap();
    let bin = install(&df, root.path());

    // The image's environment, plus what `docker run -e` adds; port 0
    // instead of the image's port, which may be taken on a CI machine.
    let bind = df
        .env
        .iter()
        .find(|(k, _)| k == "CARRIER_SIM_BIND")
        .map(|(_, v)| v.clone())
        .expect("the image sets CARRIER_SIM_BIND");
    assert_eq!(bind, format!("0.0.0.0:{}", df.exposed), "EXPOSE matches");
    let token = "newcomer-token";
    let mut env = df.env.clone();
    env.push(("CARRIER_SIM_ADMIN_TOKEN".into(), token.into()));
    env.push(("CARRIER_SIM_PORT".into(), "0".into()));

    let mut child = Command::new(&bin)
        .args(&df.cmd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    stdout.read_line(&mut banner).unwrap();
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    assert!(banner.contains("http://0.0.0.0:"), "{banner}");
    let port: u16 = banner.trim().rsplit(':').next().unwrap().parse().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let url_env = ("CARRIER_SIM_URL".to_string(), base.clone());
    env.retain(|(k, _)| k != "CARRIER_SIM_URL");
    env.push(url_env);

    // The image's HEALTHCHECK.
    assert_eq!(df.healthcheck[0], "carrier-sim");
    let health = Command::new(&bin)
        .args(&df.healthcheck[1..])
        .env_clear()
        .envs(
            env.iter()
                .filter(|(k, _)| k != "CARRIER_SIM_ADMIN_TOKEN")
                .map(|(k, v)| (k, v)),
        )
        .output()
        .unwrap();
    assert!(health.status.success(), "healthcheck: {health:?}");

    // README.md's worked example.
    let accounts = get(&format!("{base}/_sim/accounts"), Some(token), None).await;
    assert!(accounts.to_string().contains("cucc-demo"), "{accounts}");
    let cards = get(
        &format!("{base}/_sim/cards?carrier=cucc&tag=near-quota"),
        Some(token),
        None,
    )
    .await;
    let iccid = cards["items"][0]["iccid"].as_str().unwrap().to_string();
    assert_eq!(iccid, "89860600000000000021");
    let usage = get(
        &format!("{base}/rws/api/v1/devices/{iccid}/ctdUsages"),
        None,
        Some(("cucc-demo", "2f1c9a1e-6b0e-4c3a-9d55-7a1b2c3d4e5f")),
    )
    .await;
    assert!(usage["ctdDataUsage"].as_u64().unwrap() > 0, "{usage}");
    admin(&bin, &env, &["clock", "advance", "2d"]);
    let card = admin(&bin, &env, &["card", "show", &iccid]);
    assert_eq!(card["state"], "suspended", "{card}");
    assert!(card["reasons"].to_string().contains("over_quota"), "{card}");
    admin(&bin, &env, &["clock", "set", "2026-12-01T00:00:00+08:00"]);
    let card = admin(&bin, &env, &["card", "show", &iccid]);
    assert_eq!(card["state"], "active", "{card}");

    // `docker stop` sends SIGTERM.
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
