//! Bounded resources (issue 20, "Unbounded resources"): what a request
//! journal record keeps of a huge request, metrics series that do not grow
//! with random paths and start over on reset, and an HTTP listener that
//! drops slowloris and idle sockets, caps its connections and still
//! answers `/_sim/health` when full.

use std::time::{Duration, Instant};

use carrier_sim::{Settings, Simulator};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::admin::Admin;

#[tokio::test]
async fn a_huge_request_is_journaled_in_part_and_the_journal_clears() {
    let sim = Simulator::start().await;
    let api = Admin::new(&sim);
    // A CTCC m2m_ec form call with a 1 MiB parameter.
    let pad = "x".repeat(1 << 20);
    let r = Client::new()
        .post(format!("{}/m2m_ec/query.do", sim.uri()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "method=queryTraffic&access_number=14910000000&pad={pad}"
        ))
        .send()
        .await
        .unwrap();
    assert!(r.status().as_u16() < 500);
    let v = api.get("/_sim/requests?path=query.do").await;
    let rec = &v["items"][0];
    let kept = rec["params"].to_string().len();
    assert!(
        kept < 16 * 1024,
        "a record keeps {kept} bytes of parameters"
    );
    let text = rec["params"].to_string();
    assert!(
        text.contains("bytes)"),
        "the cut is marked: {}",
        text.get(..300).unwrap_or(&text)
    );
    assert!(text.contains("queryTraffic"), "small parameters are whole");

    let (s, _) = api.call(Method::DELETE, "/_sim/requests", None).await;
    assert_eq!(s, StatusCode::OK);
    let v = api.get("/_sim/requests").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 0, "{v}");
}

/// The `carrier_sim_requests_total` sample lines of a metrics text.
fn request_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("carrier_sim_requests_total{"))
        .collect()
}

#[tokio::test]
async fn metrics_are_labelled_by_route_and_start_over_on_reset() {
    let sim = Simulator::start().await;
    let api = Admin::new(&sim);
    let http = Client::new();
    for i in 0..40 {
        for path in [
            format!("/rws/api/v1/random-{i}-path"),
            format!("/rws/api/v1/devices/8986{i:016}/ctdUsages"),
            format!("/v5/ec/query/unknown-{i}"),
        ] {
            let _ = http
                .get(format!("{}{path}", sim.uri()))
                .basic_auth("u", Some("p"))
                .send()
                .await
                .unwrap();
        }
    }
    let (_, text) = api.raw(Method::GET, "/_sim/metrics", None).await;
    let lines = request_lines(&text);
    assert!(!lines.is_empty(), "{text}");
    assert!(
        !text.contains("random-") && !text.contains("unknown-"),
        "raw paths are no labels: {lines:?}"
    );
    assert!(
        text.contains("endpoint=\"/rws/api/v1/devices/{iccid}/ctdUsages\""),
        "{lines:?}"
    );
    // 120 different paths, a handful of series.
    assert!(lines.len() <= 10, "{lines:?}");

    let (s, _) = api
        .call(Method::POST, "/_sim/reset", Some(serde_json::json!({})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, text) = api.raw(Method::GET, "/_sim/metrics", None).await;
    assert!(request_lines(&text).is_empty(), "{text}");
}

/// Opens a connection and sends half a request head (slowloris).
async fn half_open(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /_sim/cards HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    s
}

/// Whether the server closed the connection within `wait`.
async fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 408 or similar before the close: keep reading.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn slow_and_idle_connections_are_dropped_and_health_answers_when_full() {
    let settings = Settings {
        max_connections: Some(8),
        header_read_timeout: Some(Duration::from_secs(3)),
        ..Settings::default()
    };
    let sim = Simulator::builder().settings(settings).start().await;
    let addr = sim.addr();
    // 8 slow connections fill the limit; 20 more land in the spare pool or
    // are closed.
    let mut slow = Vec::new();
    for _ in 0..8 {
        slow.push(half_open(addr).await);
    }
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Full: health still answers; anything else is a JSON 503.
    let http = Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let started = Instant::now();
    let r = http
        .get(format!("{}/_sim/health", sim.uri()))
        .send()
        .await
        .expect("health answers under exhaustion");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(3));
    let r = http
        .get(format!("{}/_sim/cards", sim.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    let v: Value = r.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().contains("connections"), "{v}");

    // The header-read timeout closes slowloris and idle sockets.
    for s in slow.iter_mut().chain(idle.iter_mut()) {
        assert!(
            closed_within(s, Duration::from_secs(6)).await,
            "a slow or idle connection stayed open"
        );
    }
    // Room again: ordinary requests are served.
    let r = http
        .get(format!("{}/_sim/cards", sim.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
