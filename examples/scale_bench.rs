//! The rows of issue 19's table measured side by side in one run, against
//! the real `carrier-sim` binary (run by `scripts/bench_scale.sh`, which
//! builds both in release). For `--cards=N` (default 1,000,000):
//!
//! - start from a `[[groups]]` fixture and from `generate -o` JSON: time
//!   until the port answers, until `/_sim/ready` says 200, what it said
//!   meanwhile, RSS when ready and the peak (VmHWM); `validate` of the JSON;
//! - on the groups server: `/_sim/cards?page_size=10` unfiltered and by
//!   account, carrier, state and tag; one CUCC search page
//!   (`GET /rws/api/v1/devices?modifiedSince=`, pageSize 50, Basic auth)
//!   and the RSS growth over 20 of them; binary snapshot save and load;
//!   month rollovers through `POST /_sim/clock` with RSS after each
//!   (`--months=M`, default 3);
//! - start from the binary snapshot (`serve --snapshot`).
//!
//! Each HTTP figure is the median of 20 requests (worst beside it).
//! Prints one line per figure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use carrier_sim::fixture::generate::{large_fleet_groups, write_json};

const USER: &str = "cucc-demo";
const KEY: &str = "2f1c9a1e-6b0e-4c3a-9d55-7a1b2c3d4e5f";

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::args()
        .find_map(|a| {
            a.strip_prefix(&format!("--{name}="))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(default)
}

/// A `/proc/<pid>/status` figure in MiB (`VmRSS`, `VmHWM`).
fn proc_mib(pid: u32, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A server child killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` on a free port and follows it to ready: when the port
/// answered, the last starting answer, and when it was ready.
async fn start(bin: &Path, args: &[&str], what: &str) -> Server {
    let port = free_port();
    let t = Instant::now();
    let child = Command::new(bin)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("carrier-sim starts");
    let pid = child.id();
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let (mut bound, mut progress, mut peak_while_loading) = (None, Vec::new(), 0f64);
    loop {
        if let Ok(r) = client
            .get(format!("{}/_sim/ready", server.base))
            .send()
            .await
        {
            bound.get_or_insert(t.elapsed());
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            if status == 200 {
                break;
            }
            if progress.len() < 3 || progress.last() != Some(&body) {
                progress.push(body);
            }
        }
        peak_while_loading = peak_while_loading.max(proc_mib(pid, "VmRSS:"));
        assert!(
            t.elapsed() < Duration::from_secs(600),
            "{what}: not ready in 10 min"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ready = t.elapsed();
    println!(
        "{what}: port answered after {}, ready after {:.2} s; RSS {:.0} MiB, peak {:.0} MiB",
        bound.map_or("-".into(), ms),
        ready.as_secs_f64(),
        proc_mib(pid, "VmRSS:"),
        proc_mib(pid, "VmHWM:").max(peak_while_loading),
    );
    let shown: Vec<&String> = progress.iter().take(2).chain(progress.last()).collect();
    for p in shown {
        println!("  while starting: {p}");
    }
    server
}

/// Median and worst of 20 GETs of `url`.
async fn get20(client: &reqwest::Client, url: &str, basic: bool) -> (Duration, Duration) {
    let mut v = Vec::new();
    for _ in 0..20 {
        let mut req = client.get(url);
        if basic {
            req = req.basic_auth(USER, Some(KEY));
        }
        let t = Instant::now();
        let r = req.send().await.expect("answer");
        assert!(r.status().is_success(), "{url}: {}", r.status());
        r.bytes().await.unwrap();
        v.push(t.elapsed());
    }
    v.sort();
    (v[v.len() / 2], v[v.len() - 1])
}

async fn post(client: &reqwest::Client, url: &str, body: serde_json::Value) -> Duration {
    let t = Instant::now();
    let r = client.post(url).json(&body).send().await.expect("answer");
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    assert!(status.is_success(), "{url}: {status} {text}");
    t.elapsed()
}

#[tokio::main]
async fn main() {
    let cards: usize = arg("cards", 1_000_000);
    let months: u32 = arg("months", 3);
    let bin = PathBuf::from(arg("bin", "target/release/carrier-sim".to_string()));
    let dir = tempfile::tempdir().expect("temp dir");
    let snaps = dir.path().join("snaps");
    std::fs::create_dir_all(&snaps).unwrap();
    println!("cards: {cards}; binary: {}", bin.display());

    // The fixtures: groups (small file) and every card written out.
    let mut groups = large_fleet_groups(cards, 1);
    groups.dialects.cucc.rate_per_sec = Some(0.0);
    let groups_path = dir.path().join("groups.json");
    write_json(&groups, &groups_path).unwrap();
    let json_path = dir.path().join("fleet.json");
    // `--skip-json`: only the groups server's rows (a second pass).
    if !std::env::args().any(|a| a == "--skip-json") {
        json_rows(&bin, cards, &json_path).await;
    }

    let snaps_arg = snaps.to_str().unwrap().to_string();
    let server = start(
        &bin,
        &[
            "--fixture",
            groups_path.to_str().unwrap(),
            "--snapshot-dir",
            &snaps_arg,
        ],
        "start from a [[groups]] fixture",
    )
    .await;
    let pid = server.child.id();
    let client = reqwest::Client::new();
    let base = &server.base;
    for (what, query) in [
        ("unfiltered", ""),
        ("account", "&account=cmcc-demo"),
        ("carrier", "&carrier=ctcc"),
        ("state", "&state=suspended"),
        ("tag", "&tag=generated"),
        ("carrier+state", "&carrier=cucc&state=active"),
        ("page 1000, account", "&account=cucc-demo&page=1000"),
    ] {
        let (median, worst) = get20(
            &client,
            &format!("{base}/_sim/cards?page_size=10{query}"),
            false,
        )
        .await;
        println!(
            "/_sim/cards?page_size=10 {what}: {} (worst {})",
            ms(median),
            ms(worst)
        );
    }
    let rss = proc_mib(pid, "VmRSS:");
    let (median, worst) = get20(
        &client,
        &format!("{base}/rws/api/v1/devices?modifiedSince=2026-01-01T00%3A00%3A00%2B00%3A00&pageSize=50&pageNumber=1"),
        true,
    )
    .await;
    println!(
        "CUCC devices?modifiedSince= page of 50 ({} cards in the account): {} (worst {}); RSS {:+.0} MiB over 20",
        cards - 2 * (cards / 3),
        ms(median),
        ms(worst),
        proc_mib(pid, "VmRSS:") - rss
    );

    let took = post(
        &client,
        &format!("{base}/_sim/snapshot/save"),
        serde_json::json!({"path": "scale.bin"}),
    )
    .await;
    let file = snaps.join("scale.bin");
    println!(
        "snapshot save (binary): {:.2} s, {} MiB",
        took.as_secs_f64(),
        std::fs::metadata(&file).map_or(0, |m| m.len() >> 20)
    );
    let took = post(
        &client,
        &format!("{base}/_sim/snapshot/load"),
        serde_json::json!({"path": "scale.bin"}),
    )
    .await;
    println!("snapshot load (binary): {:.2} s", took.as_secs_f64());

    let clock: serde_json::Value = client
        .get(format!("{base}/_sim/clock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let now: jiff::Timestamp = clock["now"].as_str().unwrap().parse().unwrap();
    let mut cycle = carrier_sim::clock::cycle_of(now);
    for m in 1..=months {
        cycle += 1;
        let to = carrier_sim::clock::cycle_start(cycle);
        let took = post(
            &client,
            &format!("{base}/_sim/clock"),
            serde_json::json!({"set": carrier_sim::clock::rfc3339(to)}),
        )
        .await;
        println!(
            "month rollover {m} via POST /_sim/clock: {:.2} s; RSS after {:.0} MiB",
            took.as_secs_f64(),
            proc_mib(pid, "VmRSS:")
        );
    }
    drop(server);

    let _restored = start(
        &bin,
        &["--snapshot", file.to_str().unwrap()],
        "start from the binary snapshot",
    )
    .await;
}

/// The rows of the documented path: `generate -o` JSON, `validate`, and a
/// start from that file.
async fn json_rows(bin: &Path, cards: usize, json_path: &Path) {
    let t = Instant::now();
    let out = Command::new(bin)
        .args(["generate", "--cards", &cards.to_string(), "-o"])
        .arg(json_path)
        .output()
        .unwrap();
    assert!(out.status.success());
    println!(
        "generate -o JSON: {:.2} s, {} MiB",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(json_path).unwrap().len() >> 20
    );
    let t = Instant::now();
    let out = Command::new(bin)
        .arg("validate")
        .arg(json_path)
        .output()
        .unwrap();
    assert!(out.status.success());
    println!("validate JSON: {:.2} s", t.elapsed().as_secs_f64());

    {
        let _json = start(
            bin,
            &["--fixture", json_path.to_str().unwrap()],
            "start from generate -o JSON",
        )
        .await;
    }
}
