//! The web dashboard at `/_sim/ui`: its routes over real HTTP (always), and
//! the page itself driven in headless Chromium by `tests/web/dashboard.test.mjs`
//! when `/usr/bin/chromium`, `node` and `tests/web/node_modules/playwright-core`
//! are present (`tests/web/setup.sh` installs them). The browser tests are
//! `#[ignore]`d, so a plain `cargo test` reports them as "ignored" with the
//! reason instead of a silent "ok" on a machine without a browser; run them
//! with `cargo test --test api web_ui:: -- --ignored` (CI does), where a
//! missing browser is a failure.

use std::path::Path;
use std::process::Stdio;
use std::str::FromStr;

use carrier_sim::Simulator;

async fn get(url: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap()
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_page_is_served_with_its_landmarks() {
    let sim = Simulator::start().await;
    let r = get(&format!("{}/_sim/ui", sim.uri())).await;
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "text/html; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<html lang=\"en\">"));
    for landmark in [
        "<header",
        "<nav aria-label=\"Pages\">",
        "<main id=\"main\"",
        "<footer",
    ] {
        assert!(html.contains(landmark), "missing {landmark}");
    }
    assert!(html.contains("href=\"#main\""), "skip link");
    // Works offline: nothing is fetched from another origin.
    assert!(!html.contains("//cdn") && !html.contains("https://"));
}

#[tokio::test]
async fn assets_have_their_types_and_unknown_files_are_404_json() {
    let sim = Simulator::start().await;
    for (file, mime) in [
        ("index.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ] {
        let r = get(&format!("{}/_sim/ui/{file}", sim.uri())).await;
        assert_eq!(r.status(), 200, "{file}");
        assert_eq!(content_type(&r), mime, "{file}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert!(!r.bytes().await.unwrap().is_empty(), "{file}");
    }
    let r = get(&format!("{}/_sim/ui/nothing.js", sim.uri())).await;
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("nothing.js"));
    let r = get(&format!("{}/_sim/ui/", sim.uri())).await;
    assert!(r.status().is_redirection());
    // Relative, so that a world's dashboard stays under its prefix.
    assert_eq!(r.headers()["location"], "../ui");
}

#[tokio::test]
async fn the_script_only_calls_the_admin_api() {
    let sim = Simulator::start().await;
    let js = get(&format!("{}/_sim/ui/app.js", sim.uri()))
        .await
        .text()
        .await
        .unwrap();
    // The API base is the page's own `/_sim` (tests/api/worlds.rs checks a
    // world's dashboard), never a fixed root path.
    assert!(js.contains("const API = location.pathname.replace("));
    assert!(!js.contains("'/_sim"), "a fixed admin path");
    // Every endpoint the page uses answers on a fresh simulator.
    for path in [
        "/_sim/cards?page_size=1",
        "/_sim/cards?carrier=cmcc&state=active&page_size=1",
        "/_sim/plans",
        "/_sim/pools",
        "/_sim/accounts",
        "/_sim/clock",
        "/_sim/events?limit=10000",
    ] {
        let r = get(&format!("{}{path}", sim.uri())).await;
        assert_eq!(r.status(), 200, "{path}");
    }
    // The only absolute URL is the SVG namespace name, which is never fetched.
    let js = js.replace("'http://www.w3.org/2000/svg'", "");
    assert!(!js.contains("http://") && !js.contains("https://"));
}

/// Why the browser test cannot run here, if it cannot.
fn browser_missing(web: &Path) -> Option<String> {
    if !Path::new("/usr/bin/chromium").exists() {
        return Some("/usr/bin/chromium is not installed".into());
    }
    if !web.join("node_modules/playwright-core").exists() {
        return Some("tests/web/node_modules/playwright-core is not installed".into());
    }
    let node = std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status();
    if !matches!(node, Ok(s) if s.success()) {
        return Some("node is not installed".into());
    }
    None
}

/// The `tests/web` directory; the browser tests only run when asked for
/// (`--ignored`), so a missing browser fails them.
fn browser_dir() -> std::path::PathBuf {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web");
    if let Some(why) = browser_missing(&web) {
        panic!("browser test asked for but {why}: run tests/web/setup.sh");
    }
    web
}

/// An empty screenshot folder of its own for one browser test, so files
/// left by an earlier run (or by the other browser test running at the
/// same time) can never satisfy a check.
fn fresh_screenshot_dir(name: &str) -> std::path::PathBuf {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("web-screenshots-{name}"));
    if shots.exists() {
        std::fs::remove_dir_all(&shots).expect("clear the old screenshots");
    }
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    shots
}

/// Runs the browser script with extra environment, saving its screenshots
/// in `shots`; returns its TAP output.
async fn run_script(web: &Path, sim: &Simulator, shots: &Path, env: &[(&str, &str)]) -> String {
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(web.join("dashboard.test.mjs"))
        .current_dir(web)
        .env("SIM_URL", sim.uri())
        .env("SCREENSHOT_DIR", shots)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(180), cmd.output())
        .await
        .expect("the browser test finishes within 3 minutes")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser test failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "headless Chromium: run tests/web/setup.sh, then cargo test --test api web_ui:: -- --ignored"]
async fn the_dashboard_asks_for_the_admin_token_in_headless_chromium() {
    let web = browser_dir();
    let sim = Simulator::builder()
        .admin_token("dashboard-secret")
        .start()
        .await;
    let shots = fresh_screenshot_dir("token");
    let stdout = run_script(&web, &sim, &shots, &[("SIM_TOKEN", "dashboard-secret")]).await;
    assert!(stdout.contains("ok 3 - with the right token"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "headless Chromium: run tests/web/setup.sh, then cargo test --test api web_ui:: -- --ignored"]
async fn the_dashboard_works_in_headless_chromium() {
    let web = browser_dir();
    let sim = Simulator::start().await;
    let shots = fresh_screenshot_dir("dashboard");
    let stdout = run_script(&web, &sim, &shots, &[]).await;
    assert!(
        stdout.contains("ok 1 - overview is the landing page"),
        "{stdout}"
    );
    for shot in [
        "phone-fleet.png",
        "phone-card.png",
        "card-dark.png",
        "card-near-quota.png",
        "fleet.png",
        "card.png",
        "card-after-rollover.png",
        "clock.png",
        "overview.png",
        "faults.png",
    ] {
        assert!(shots.join(shot).exists(), "{shot} saved");
    }
}

async fn json(url: &str) -> serde_json::Value {
    let r = get(url).await;
    assert_eq!(r.status(), 200, "{url}");
    r.json().await.unwrap()
}

/// The fleet views the dashboard's fleet and overview pages use: search
/// that ignores spaces and `+86`, sorting, the at-risk filter, tags,
/// per-carrier totals and the CSV export. Expectations come from the
/// default fixture's cards (fixtures/default.toml) and the definitions in
/// docs/admin-api.md, checked against the plain card list.
#[tokio::test]
async fn fleet_views_search_sort_risk_tags_totals_and_csv() {
    let sim = Simulator::start().await;
    let base = format!("{}/_sim", sim.uri());
    let all = json(&format!("{base}/cards?page_size=1000")).await;
    let cards = all["items"].as_array().unwrap().clone();
    let total = all["total"].as_u64().unwrap();
    assert_eq!(cards.len() as u64, total);

    // A phone number as people type it: spaces and the country code.
    let m = "1460000000001";
    let typed = format!("+86 {} {} {}", &m[..3], &m[3..7], &m[7..]);
    let query = typed.replace('+', "%2B").replace(' ', "%20");
    let found = json(&format!("{base}/cards?q={query}")).await;
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["iccid"] == "89860600000000000013" && c["msisdn"] == "1460000000001"),
        "{found}"
    );

    // Sorting by usage, largest first, agrees with sorting the list here.
    let mut by_usage: Vec<u64> = cards
        .iter()
        .map(|c| c["usage"]["data_bytes"].as_u64().unwrap())
        .collect();
    by_usage.sort_unstable_by(|a, b| b.cmp(a));
    let top = json(&format!("{base}/cards?sort=usage&order=desc&page_size=10")).await;
    let shown: Vec<u64> = top["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["usage"]["data_bytes"].as_u64().unwrap())
        .collect();
    assert_eq!(shown, by_usage[..10]);
    assert_eq!(top["total"].as_u64(), Some(total));
    let cheap = json(&format!("{base}/cards?sort=balance&page_size=1")).await;
    let min_balance = cards
        .iter()
        .map(|c| c["balance_fen"].as_i64().unwrap())
        .min()
        .unwrap();
    assert_eq!(cheap["items"][0]["balance_fen"].as_i64(), Some(min_balance));
    let r = get(&format!("{base}/cards?sort=size")).await;
    assert_eq!(r.status(), 400);

    // At risk: the fixture's near-quota cards (95 % of 1 GB) are near quota;
    // low balance is at most ¥10.00 (the balance_low mark), cancelled cards
    // never count.
    let near = json(&format!("{base}/cards?risk=near_quota&page_size=1000")).await;
    let near_ids: Vec<&str> = near["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["iccid"].as_str().unwrap())
        .collect();
    let tagged = json(&format!("{base}/cards?tag=near-quota")).await;
    for c in tagged["items"].as_array().unwrap() {
        assert!(near_ids.contains(&c["iccid"].as_str().unwrap()), "{c}");
    }
    for c in near["items"].as_array().unwrap() {
        let used = c["usage"]["data_bytes"].as_u64().unwrap() as f64;
        let allowance = c["allowance_bytes"].as_u64().unwrap() as f64;
        assert!(used >= 0.9 * allowance && allowance > 0.0, "{c}");
        assert!(c["risks"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("near_quota")));
    }
    let low_expected = cards
        .iter()
        .filter(|c| c["state"] != "cancelled" && c["balance_fen"].as_i64().unwrap() <= 1000)
        .count() as u64;
    let low = json(&format!("{base}/cards?risk=low_balance&page_size=1")).await;
    assert_eq!(low["total"].as_u64(), Some(low_expected));
    // A card set to expire in ten days becomes "expiring".
    let clock = json(&format!("{base}/clock")).await;
    let now = jiff::Timestamp::from_str(clock["now"].as_str().unwrap()).unwrap();
    let soon = now + jiff::SignedDuration::from_hours(240);
    let patched = reqwest::Client::new()
        .patch(format!("{base}/cards/89860600000000000013"))
        .json(&serde_json::json!({"expires": soon.to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let expiring = json(&format!("{base}/cards?risk=expiring&page_size=1000")).await;
    assert!(expiring["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["iccid"] == "89860600000000000013"));

    // Tags: every tag with the number of cards the tag filter finds.
    let tags = json(&format!("{base}/tags")).await;
    let tags = tags["items"].as_array().unwrap();
    assert!(!tags.is_empty());
    for t in tags.iter().take(5) {
        let n = json(&format!(
            "{base}/cards?tag={}&page_size=1",
            t["tag"].as_str().unwrap()
        ))
        .await;
        assert_eq!(n["total"], t["cards"], "{t}");
    }

    // Totals: per carrier and overall, summed from the list.
    let totals = json(&format!("{base}/cards/totals")).await;
    assert_eq!(totals["all"]["cards"].as_u64(), Some(total));
    let data: u64 = cards
        .iter()
        .map(|c| c["usage"]["data_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(totals["all"]["data_bytes"].as_u64(), Some(data));
    for carrier in ["cmcc", "cucc", "ctcc"] {
        let n = cards.iter().filter(|c| c["carrier"] == carrier).count() as u64;
        assert_eq!(totals["carriers"][carrier]["cards"].as_u64(), Some(n));
    }
    assert_eq!(
        totals["all"]["risks"]["low_balance"].as_u64(),
        Some(low_expected)
    );

    // CSV: a header row, then one row per card of the selection.
    let r = get(&format!(
        "{base}/cards/export.csv?carrier=cucc&sort=usage&order=desc"
    ))
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "text/csv; charset=utf-8");
    let text = r.text().await.unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let head = rows.headers().unwrap().clone();
    assert_eq!(&head[0], "iccid");
    assert_eq!(&head[9], "data_bytes");
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    let cucc = cards.iter().filter(|c| c["carrier"] == "cucc").count();
    assert_eq!(rows.len(), cucc);
    assert!(rows.iter().all(|r| &r[3] == "cucc"));
    let used: Vec<u64> = rows.iter().map(|r| r[9].parse().unwrap()).collect();
    assert!(used.windows(2).all(|w| w[0] >= w[1]), "sorted by usage");
}

/// The inspector's server side: request and response headers in the
/// journal (secrets masked), the fired-fault history that outlives a
/// `count: 1` rule, and the live SSE stream of journaled requests. The
/// CTCC "too frequent" body and its HTTP 200 follow
/// shared spec ctcc.md (m2m_ec errors are plain text `code：message`).
#[tokio::test]
async fn journal_headers_fired_faults_and_the_live_request_stream() {
    let sim = Simulator::start().await;
    let base = sim.uri();
    let http = reqwest::Client::new();
    // Follow the stream before anything happens.
    let mut stream = http
        .get(format!("{base}/_sim/requests/stream?carrier=ctcc"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(content_type(&stream).starts_with("text/event-stream"));

    let r = http
        .post(format!("{base}/_sim/faults"))
        .json(&serde_json::json!({"carrier": "ctcc", "kind": "carrier_error", "error": "too_frequent", "count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let ctcc =
        format!("{base}/m2m_ec/query.do?method=queryTraffic&user_id=u&access_number=1410000000001");
    let first = http
        .get(&ctcc)
        .header("x-request-id", "inspector-1")
        .header("authorization", "Bearer not-for-the-journal")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200, "CTCC answers its errors with HTTP 200");
    assert!(first.text().await.unwrap().starts_with("101004："));
    // A second request retires the spent rule.
    http.get(&ctcc).send().await.unwrap();
    let rules = json(&format!("{base}/_sim/faults")).await;
    assert_eq!(rules["items"].as_array().unwrap().len(), 0);
    let fired = json(&format!("{base}/_sim/faults/fired")).await;
    let fired = fired["items"].as_array().unwrap();
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0]["rule_id"], "fault-1");
    assert_eq!(fired[0]["rule"]["kind"], "carrier_error");
    assert_eq!(fired[0]["rule"]["count"], 1);
    assert_eq!(fired[0]["status"], 200);
    assert_eq!(fired[0]["path"], "/m2m_ec/query.do");

    let journal = json(&format!("{base}/_sim/requests?carrier=ctcc")).await;
    let rec = &journal["items"][0];
    assert_eq!(rec["seq"], fired[0]["request_seq"]);
    let headers = rec["request_headers"].as_array().unwrap();
    let header = |name: &str| {
        headers
            .iter()
            .find(|h| h[0] == name)
            .map(|h| h[1].as_str().unwrap().to_string())
    };
    assert_eq!(header("x-request-id").as_deref(), Some("inspector-1"));
    assert_eq!(header("authorization").as_deref(), Some("***"));
    assert!(rec["response_headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h[0] == "content-type"));

    // The stream sent both CTCC requests as `request` events.
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while seen.matches("event: request").count() < 2 {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("two request events within 10 s")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"path\":\"/m2m_ec/query.do\""), "{seen}");
    assert!(seen.contains("inspector-1"), "{seen}");
}
