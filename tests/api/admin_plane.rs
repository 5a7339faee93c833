//! The admin plane against a hostile browser and a careless client (issue
//! 20, "Admin plane and tenants"): cross-site posts, DNS rebinding, snapshot
//! files outside their directory, unbounded named snapshots, the export →
//! import round trip of a 30-day world, and JSON errors from below the
//! handlers. The CLI must still work under the same rules.
//!
//! Which requests a page on another origin may send without a CORS
//! preflight (and so which ones the guard must refuse) is the Fetch
//! standard's "CORS-safelisted request-header" rule:
//! https://fetch.spec.whatwg.org/#cors-safelisted-request-header (a
//! `Content-Type` of `text/plain`, `application/x-www-form-urlencoded` or
//! `multipart/form-data` only, no custom header).

use std::process::Command;

use carrier_sim::control::snapshot::MAX_NAMED;
use carrier_sim::{Settings, Simulator};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::common::admin::Admin;

/// A request as a browser page on another origin could send it: no custom
/// header, the given content type (none when empty).
async fn plain_post(sim: &Simulator, path: &str, content_type: &str, body: &str) -> (u16, Value) {
    let mut rb = Client::new()
        .post(format!("{}{path}", sim.uri()))
        .body(body.to_string());
    if !content_type.is_empty() {
        rb = rb.header("content-type", content_type);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
    )
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let sim = Simulator::start().await;
    let api = Admin::new(&sim);
    let card = api.card_by_tag("cmcc", "normal").await;
    let iccid = card["iccid"].as_str().unwrap().to_string();
    let actions = format!("/_sim/cards/{iccid}/actions");
    let stop = r#"{"action": "stop"}"#;
    // What <form enctype=text/plain>, a plain form and fetch(no-cors) send.
    for ct in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ] {
        let (s, v) = plain_post(&sim, &actions, ct, stop).await;
        assert_eq!(s, 415, "{ct}: {v}");
        assert!(
            v["error"].as_str().unwrap().contains("application/json"),
            "{v}"
        );
    }
    let (s, v) = plain_post(&sim, "/_sim/reset", "text/plain", "{}").await;
    assert_eq!(s, 415, "{v}");
    assert_eq!(api.card(&iccid).await["state"], card["state"], "unchanged");

    // A JSON content type, or the X-Requested-With header, passes.
    let (s, v) = plain_post(&sim, &actions, "application/json", stop).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(api.card(&iccid).await["state"], "suspended");
    let r = Client::new()
        .post(format!("{}/_sim/snapshots", sim.uri()))
        .header("x-requested-with", "test")
        .header("content-type", "text/plain")
        .body(r#"{"name": "marked"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // DELETE needs a CORS preflight in any case: no content type required.
    let r = Client::new()
        .delete(format!("{}/_sim/snapshots/marked", sim.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Carrier APIs are not the admin plane: their form posts still work.
    let r = Client::new()
        .post(format!("{}/m2m_ec/query.do", sim.uri()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("method=queryTraffic")
        .send()
        .await
        .unwrap();
    assert_ne!(r.status().as_u16(), 415);
}

#[tokio::test]
async fn a_rebound_host_cannot_read_credentials() {
    let sim = Simulator::start().await;
    let port = sim.addr().port();
    let http = Client::new();
    let get = |host: String| {
        let http = http.clone();
        let url = format!("{}/_sim/accounts", sim.uri());
        async move {
            let r = http.get(url).header("host", host).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.text().await.unwrap())
        }
    };
    // DNS rebinding: the page's own name, now resolving to 127.0.0.1.
    for host in [format!("evil.example:{port}"), "evil.example".into()] {
        let (s, text) = get(host.clone()).await;
        assert_eq!(s, 403, "{host}: {text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(v["error"].as_str().unwrap().contains("Host"), "{v}");
        assert!(!text.contains("password"), "no credentials leak");
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        format!("sim.localhost:{port}"),
    ] {
        let (s, text) = get(host.clone()).await;
        assert_eq!(s, 200, "{host}: {text}");
    }
    // Carrier paths answer any Host (clients reach them by any name).
    let r = http
        .get(format!("{}/v5/ec/get/token", sim.uri()))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_ne!(r.status().as_u16(), 403);

    // With an admin token the token decides, whatever the name.
    let sim = Simulator::builder().admin_token("t0k").start().await;
    let r = http
        .get(format!("{}/_sim/accounts", sim.uri()))
        .header("host", "sim.internal")
        .bearer_auth("t0k")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn snapshot_files_stay_in_their_directory_and_named_snapshots_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let sim = Simulator::builder()
        .settings(Settings {
            snapshot_dir: Some(dir.path().join("snaps")),
            ..Settings::default()
        })
        .start()
        .await;
    let api = Admin::new(&sim);
    let escape = outside.path().join("owned.json");
    for path in [
        escape.to_string_lossy().into_owned(),
        "../owned.json".into(),
        "a/../../owned.json".into(),
        "/etc/carrier-sim-owned.json".into(),
    ] {
        let body = json!({ "path": path }).to_string();
        api.refused(
            Method::POST,
            "/_sim/snapshot/save",
            Some(&body),
            400,
            "snapshot",
        )
        .await;
        api.refused(
            Method::POST,
            "/_sim/snapshot/load",
            Some(&body),
            400,
            "snapshot",
        )
        .await;
    }
    assert!(!escape.exists());
    assert!(!dir.path().join("owned.json").exists());
    // Inside: created on the first save, found again by name.
    let (s, v) = api
        .call(
            Method::POST,
            "/_sim/snapshot/save",
            Some(json!({"path": "nightly/w.json"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(dir.path().join("snaps/nightly/w.json").exists());
    let abs = dir.path().join("snaps/nightly/w.json");
    let (s, v) = api
        .call(
            Method::POST,
            "/_sim/snapshot/load",
            Some(json!({ "path": abs })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Named in-memory snapshots: at most MAX_NAMED.
    for i in 0..MAX_NAMED {
        let (s, v) = api
            .call(
                Method::POST,
                "/_sim/snapshots",
                Some(json!({"name": format!("s{i}")})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{i}: {v}");
    }
    api.refused(
        Method::POST,
        "/_sim/snapshots",
        Some(r#"{"name": "one-more"}"#),
        409,
        &MAX_NAMED.to_string(),
    )
    .await;
    // Taking an existing name again replaces it; deleting one frees a place.
    let (s, _) = api
        .call(Method::POST, "/_sim/snapshots", Some(json!({"name": "s0"})))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = api.call(Method::DELETE, "/_sim/snapshots/s1", None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = api
        .call(
            Method::POST,
            "/_sim/snapshots",
            Some(json!({"name": "one-more"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        api.get("/_sim/snapshots").await["items"]
            .as_array()
            .unwrap()
            .len(),
        MAX_NAMED
    );
}

#[tokio::test]
async fn a_thirty_day_world_exports_and_imports() {
    let sim = Simulator::start().await;
    let api = Admin::new(&sim);
    let (s, _) = api
        .call(Method::POST, "/_sim/clock", Some(json!({"advance": "30d"})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, exported) = api.raw(Method::GET, "/_sim/export", None).await;
    assert_eq!(s, StatusCode::OK);
    // Above axum's 2 MB default body limit, the import's old ceiling.
    assert!(
        exported.len() > 2 * 1024 * 1024,
        "export of {} bytes",
        exported.len()
    );
    let fresh = Simulator::start().await;
    let api2 = Admin::new(&fresh);
    let (s, text) = api2
        .raw(Method::POST, "/_sim/import", Some(&exported))
        .await;
    assert_eq!(s, StatusCode::OK, "{}", &text[..text.len().min(500)]);
    let a: Value = serde_json::from_str(&exported).unwrap();
    let b = api2.get("/_sim/export").await;
    for part in ["now", "cards", "journal", "accounts"] {
        assert_eq!(a[part], b[part], "{part} survives the round trip");
    }

    // Errors raised before a handler runs are JSON too.
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let (s, text) = api.raw(Method::POST, "/_sim/faults", Some(&huge)).await;
    assert_eq!(s.as_u16(), 413, "{}", &text[..text.len().min(300)]);
    let v: Value = serde_json::from_str(&text).expect("413 is JSON");
    assert!(v["error"].is_string(), "{v}");
    let (s, text) = api.raw(Method::PUT, "/_sim/export", Some("{}")).await;
    assert_eq!(s.as_u16(), 405, "{text}");
    let v: Value = serde_json::from_str(&text).expect("405 is JSON");
    assert!(v["error"].is_string(), "{v}");
}

// Multi-threaded: the CLI runs as a blocking child process while the
// simulator answers it from this runtime.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_still_drives_the_guarded_plane() {
    let sim = Simulator::start().await;
    let api = Admin::new(&sim);
    let (s, _) = api
        .call(
            Method::POST,
            "/_sim/snapshots",
            Some(json!({"name": "base"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let url = sim.uri();
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_carrier-sim"))
            .args(args)
            .env("CARRIER_SIM_URL", &url)
            .env_remove("CARRIER_SIM_ADMIN_TOKEN")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).expect("JSON")
    };
    // A body-less POST (the restore) and a JSON one (the clock).
    cli(&["clock", "advance", "1d"]);
    let v = cli(&["snapshot", "restore", "base"]);
    assert_eq!(v["status"], "reset", "{v}");
}
