//! Black-box tests of the command line: `validate`, `generate` and `serve`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_carrier-sim"))
}

#[test]
fn validate_reports_every_problem_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    let mut text = std::fs::read_to_string("fixtures/default.toml").unwrap();
    // Break a check digit, a plan reference and a state.
    text = text.replacen(
        "iccid = \"89860000000000000019\"",
        "iccid = \"89860000000000000018\"",
        1,
    );
    text = text.replacen("plan = \"cucc-1g\"", "plan = \"no-such-plan\"", 1);
    text = text.replacen("state = \"inventory\"", "state = \"sleeping\"", 1);
    std::fs::write(&path, text).unwrap();
    let out = bin().arg("validate").arg(&path).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cards[0].iccid: check digit wrong"), "{err}");
    assert!(err.contains("plan: unknown plan 'no-such-plan'"), "{err}");
    assert!(err.contains(".state: unknown state 'sleeping'"), "{err}");
    assert!(err.contains("3 problem(s)"), "{err}");
}

/// Type errors in two cards and a semantic problem in a third are all
/// reported in one run, each with the file's index and the line of its key
/// (the three cards are `[[cards]]` 0, 2 and 4 of fixtures/default.toml).
#[test]
fn validate_reports_type_errors_and_checks_the_rest_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typed.toml");
    let text = std::fs::read_to_string("fixtures/default.toml").unwrap();
    let line_of = |needle: &str| text[..text.find(needle).unwrap()].lines().count() + 1;
    let (l0, l2, l4) = (
        line_of("balance_fen = 5000"),
        line_of("balance_fen = 3000"),
        line_of("iccid = \"89860000000000000050\""),
    );
    let broken = text
        .replacen("balance_fen = 5000", "balance_fen = \"fifty\"", 1)
        .replacen("balance_fen = 3000", "balance_fen = true", 1)
        .replacen(
            "iccid = \"89860000000000000050\"",
            "iccid = \"89860000000000000051\"",
            1,
        );
    std::fs::write(&path, broken).unwrap();
    let out = bin().arg("validate").arg(&path).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let line = |prefix: &str| {
        err.lines()
            .find(|l| l.contains(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {err}"))
            .to_string()
    };
    assert!(
        line("cards[0].balance_fen: invalid type: string \"fifty\"")
            .ends_with(&format!("(line {l0})")),
        "{err}"
    );
    assert!(
        line("cards[2].balance_fen: invalid type: boolean").ends_with(&format!("(line {l2})")),
        "{err}"
    );
    assert!(
        line("cards[4].iccid: check digit wrong").ends_with(&format!("(line {l4})")),
        "{err}"
    );
    assert!(err.contains("3 problem(s)"), "{err}");
}

#[test]
fn validate_accepts_the_default_fixture_and_reports_syntax_errors() {
    let ok = bin()
        .args(["validate", "fixtures/default.toml"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "seed = 1\nstart = \"yesterday\"\n").unwrap();
    let out = bin().arg("validate").arg(&path).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("start"));
}

#[test]
fn generate_writes_a_valid_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet.json");
    let out = bin()
        .args(["generate", "--cards", "3000", "--seed", "9", "-o"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let check = bin().arg("validate").arg(&path).output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("3000 cards"));
    // Same seed, same fleet.
    let again = dir.path().join("again.json");
    bin()
        .args(["generate", "--cards", "3000", "--seed", "9", "-o"])
        .arg(&again)
        .output()
        .unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

#[test]
fn serve_answers_health_and_refuses_a_bad_fixture() {
    let mut child = bin()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body = rt.block_on(async {
        reqwest::get(format!("{url}/_sim/health"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert!(body.contains("ok"));
    child.kill().unwrap();
    child.wait().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "seed = 1\nstart = \"2026-11-24T10:00:00+08:00\"\n[[cards]]\niccid = \"1\"\nimsi = \"2\"\nmsisdn = \"3\"\naccount = \"x\"\nplan = \"y\"\n").unwrap();
    let out = bin()
        .args(["serve", "--bind", "127.0.0.1:0", "--fixture"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cards[0].account: unknown account 'x'"));
}

/// Starts `serve` with `args`; the child and its base URL (from the banner,
/// printed once the world is loaded).
fn serve_with(args: &[&str]) -> (std::process::Child, String) {
    let mut child = bin()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

/// `snapshot save` to a `.bin` name writes the compact binary form, and
/// `serve --snapshot` starts from it: the same clock and cards as the world
/// that saved it (issue 19, "Fast load and save").
#[test]
fn serve_starts_from_a_binary_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().to_str().unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let (mut first, url) = serve_with(&["--snapshot-dir", &snaps]);
    let saved = rt.block_on(async {
        let post = |path: &str, body: serde_json::Value| {
            client.post(format!("{url}{path}")).json(&body).send()
        };
        let r = post("/_sim/clock", serde_json::json!({"advance": "40d"}))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = post("/_sim/snapshot/save", serde_json::json!({"path": "w.bin"}))
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
        let export: serde_json::Value = client
            .get(format!("{url}/_sim/export"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        export
    });
    first.kill().unwrap();
    first.wait().unwrap();
    let file = dir.path().join("w.bin");
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"CSIMSNP1"), "the binary form");

    let (mut second, url) = serve_with(&["--snapshot", file.to_str().unwrap()]);
    rt.block_on(async {
        let ready = client
            .get(format!("{url}/_sim/ready"))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status(), 200);
        let export: serde_json::Value = client
            .get(format!("{url}/_sim/export"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(export["now"], saved["now"]);
        assert_eq!(export["cards"], saved["cards"]);
        assert_eq!(export["journal"], saved["journal"]);
    });
    second.kill().unwrap();
    second.wait().unwrap();

    // A file that is not a snapshot: refused with its name, exit 1.
    let bad = dir.path().join("bad.bin");
    std::fs::write(&bad, b"CSIMSNP1 not zstd").unwrap();
    let out = bin()
        .args(["serve", "--bind", "127.0.0.1:0", "--snapshot"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad snapshot"));
}

/// `carrier-sim world create|list|show|delete` against a running server,
/// and an admin command aimed at a world by its base URL.
#[tokio::test(flavor = "multi_thread")]
async fn world_commands_create_list_show_and_delete() {
    let sim = carrier_sim::Simulator::start().await;
    let root = sim.uri();
    let run = |args: Vec<String>| async move {
        tokio::task::spawn_blocking(move || {
            bin()
                .args(&args)
                .env_remove("CARRIER_SIM_ADMIN_TOKEN")
                .env_remove("CARRIER_SIM_URL")
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let args = |a: &[&str], url: &str| {
        let mut v: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        v.extend(["--url".to_string(), url.to_string()]);
        v
    };
    let json = |out: &std::process::Output| -> serde_json::Value {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };

    // A fixture file, a start time and a TTL.
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("solo.toml");
    std::fs::write(
        &fixture,
        r#"
start = "2026-03-01T00:00:00+08:00"
[[accounts]]
id = "solo"
name = "Solo"
carrier = "cmcc"
[accounts.credentials]
appid = "200001"
password = "solo-pass"
[[plans]]
id = "p"
name = "1GB"
carrier = "cmcc"
data = "1GB"
[[cards]]
iccid = "89860000000000000019"
imsi = "460040000000001"
msisdn = "1440000000001"
account = "solo"
plan = "p"
"#,
    )
    .unwrap();
    let created = json(
        &run(args(
            &[
                "world",
                "create",
                "--fixture",
                fixture.to_str().unwrap(),
                "--seed",
                "4",
                "--ttl",
                "10m",
            ],
            &root,
        ))
        .await,
    );
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["accounts"], 1, "{created}");
    assert_eq!(created["ttl_seconds"], 600);
    let base = created["urls"]["base"].as_str().unwrap().to_string();
    assert_eq!(base, format!("{root}/w/{id}"));

    // Any admin command acts on the world when --url is its base URL.
    let moved = json(&run(args(&["clock", "advance", "2d"], &base)).await);
    assert!(
        moved["now"].as_str().unwrap().starts_with("2026-03-03"),
        "{moved}"
    );
    let shown = json(&run(args(&["world", "show", &id], &root)).await);
    assert_eq!(shown["id"], id.as_str());
    assert_eq!(shown["now"], moved["now"]);
    let listed = json(&run(args(&["world", "list"], &root)).await);
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["id"] == id.as_str()),
        "{listed}"
    );

    // Refusals: an unknown builtin (400 from the server), a fixture file
    // that does not exist (the client's own error), worlds inside a world.
    let out = run(args(&["world", "create", "--builtin", "huge"], &root)).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("builtin"));
    let out = run(args(
        &["world", "create", "--fixture", "/no/such/file.toml"],
        &root,
    ))
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file.toml"));
    let out = run(args(&["world", "list"], &base)).await;
    assert_eq!(out.status.code(), Some(1));

    // Deleted once; a second delete is a 404 (exit 1).
    let deleted = json(&run(args(&["world", "delete", &id], &root)).await);
    assert_eq!(deleted["deleted"], id.as_str());
    let out = run(args(&["world", "delete", &id], &root)).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&id));
}
