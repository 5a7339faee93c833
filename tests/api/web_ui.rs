//! The web dashboard at `/_sim/ui`: its routes over real HTTP (always), and
//! the page itself driven in headless Chromium by `tests/web/dashboard.test.mjs`
//! when `/usr/bin/chromium`, `node` and `tests/web/node_modules/playwright-core`
//! are present (`tests/web/setup.sh` installs them). Set
//! `CARRIER_SIM_BROWSER_TESTS=require` to fail instead of skipping when they
//! are missing.

use std::path::Path;
use std::process::Stdio;

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
    assert_eq!(r.headers()["location"], "/_sim/ui");
}

#[tokio::test]
async fn the_script_only_calls_the_admin_api() {
    let sim = Simulator::start().await;
    let js = get(&format!("{}/_sim/ui/app.js", sim.uri()))
        .await
        .text()
        .await
        .unwrap();
    assert!(js.contains("const API = '/_sim';"));
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

/// The `tests/web` directory, or `None` (with the reason printed) when the
/// browser tests cannot run and are not required.
fn browser_dir() -> Option<std::path::PathBuf> {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web");
    if let Some(why) = browser_missing(&web) {
        let required = std::env::var("CARRIER_SIM_BROWSER_TESTS").as_deref() == Ok("require");
        assert!(
            !required,
            "browser test required but {why}: run tests/web/setup.sh"
        );
        eprintln!("skipping the browser test: {why} (run tests/web/setup.sh)");
        return None;
    }
    Some(web)
}

/// Runs the browser script with extra environment; returns its TAP output.
async fn run_script(web: &Path, sim: &Simulator, env: &[(&str, &str)]) -> String {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots");
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(web.join("dashboard.test.mjs"))
        .current_dir(web)
        .env("SIM_URL", sim.uri())
        .env("SCREENSHOT_DIR", &shots)
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
async fn the_dashboard_asks_for_the_admin_token_in_headless_chromium() {
    let Some(web) = browser_dir() else { return };
    let sim = Simulator::builder()
        .admin_token("dashboard-secret")
        .start()
        .await;
    let stdout = run_script(&web, &sim, &[("SIM_TOKEN", "dashboard-secret")]).await;
    assert!(stdout.contains("ok 3 - with the right token"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_works_in_headless_chromium() {
    let Some(web) = browser_dir() else { return };
    let sim = Simulator::start().await;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots");
    let stdout = run_script(&web, &sim, &[]).await;
    assert!(stdout.contains("ok 1 - fleet lists"), "{stdout}");
    for shot in [
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
