//! Fault injection observed by plain HTTP clients of each carrier: added
//! latency, each carrier's own error bodies, HTTP 5xx, connection reset,
//! truncated body and timeout, plus scoping (carrier, endpoint, method,
//! account, card), count, time window and seeded probability. Faults apply
//! before routing, so every carrier path is subject to them whether or not
//! its dialect serves it.

use std::time::{Duration, Instant};

use carrier_sim::Simulator;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::admin::Admin;

/// One representative path per carrier (CMCC v5, CUCC REST, CUCC CMP,
/// CTCC m2m_ec, CTCC 5G CMP).
const PATHS: [(&str, &str); 5] = [
    (
        "cmcc",
        "/v5/ec/get/token?appid=100001&password=cmcc-demo-pass&transid=10000120261124100000000001",
    ),
    ("cucc", "/rws/api/v1/echo/hello"),
    ("cucc", "/api/wsGetTerminalDetails"),
    (
        "ctcc",
        "/m2m_ec/query.do?method=queryTraffic&user_id=testuser&access_number=14910000000",
    ),
    ("ctcc", "/api/v1/prod/batchQrySimInfo"),
];

/// A client without connection reuse, so each fault meets a fresh socket.
fn client() -> Client {
    Client::builder().pool_max_idle_per_host(0).build().unwrap()
}

async fn fault(sim: &Simulator, rule: Value) -> String {
    Admin::new(sim).add_fault(rule).await
}

async fn clear(sim: &Simulator) {
    Admin::new(sim).clear_faults().await
}

async fn get(sim: &Simulator, path: &str) -> reqwest::Result<reqwest::Response> {
    client().get(format!("{}{path}", sim.uri())).send().await
}

#[tokio::test]
async fn added_latency_on_every_carrier() {
    let sim = Simulator::start().await;
    for (carrier, path) in PATHS {
        fault(
            &sim,
            json!({"carrier": carrier, "kind": "latency", "ms": 150, "count": 1}),
        )
        .await;
        let t = Instant::now();
        let r = get(&sim, path).await.expect("served after the delay");
        assert!(
            t.elapsed() >= Duration::from_millis(150),
            "{carrier} {path}"
        );
        assert_ne!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        clear(&sim).await;
    }
}

#[tokio::test]
async fn carrier_error_bodies() {
    let sim = Simulator::start().await;
    // CMCC: HTTP 200 with its status code.
    fault(
        &sim,
        json!({"carrier": "cmcc", "kind": "carrier_error", "error": "token_expired", "count": 1}),
    )
    .await;
    let r = get(&sim, PATHS[0].1).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "12021");
    assert_eq!(v["result"], json!([]));
    // CUCC REST and CMP: 429 with errorMessage/errorCode.
    for path in [PATHS[1].1, PATHS[2].1] {
        fault(
            &sim,
            json!({"carrier": "cucc", "kind": "carrier_error", "error": "rate_limit", "count": 1}),
        )
        .await;
        let r = get(&sim, path).await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        let v: Value = r.json().await.unwrap();
        assert!(
            v["errorMessage"].is_string() && v["errorCode"].is_string(),
            "{v}"
        );
    }
    // CTCC m2m_ec: plain-text 101004; 5G CMP: JSON code.
    fault(
        &sim,
        json!({"carrier": "ctcc", "kind": "carrier_error", "error": "too_frequent", "count": 2}),
    )
    .await;
    let text = get(&sim, PATHS[3].1).await.unwrap().text().await.unwrap();
    assert!(text.starts_with("101004"), "{text}");
    let v: Value = get(&sim, PATHS[4].1).await.unwrap().json().await.unwrap();
    assert_eq!(v["code"], "101004");
    // System busy everywhere.
    fault(
        &sim,
        json!({"kind": "carrier_error", "error": "system_busy"}),
    )
    .await;
    let v: Value = get(&sim, PATHS[0].1).await.unwrap().json().await.unwrap();
    assert_eq!(v["status"], "19010");
    let r = get(&sim, PATHS[1].1).await.unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = get(&sim, PATHS[3].1).await.unwrap().text().await.unwrap();
    assert!(text.starts_with("9000"), "{text}");
}

#[tokio::test]
async fn http_5xx_on_every_carrier() {
    let sim = Simulator::start().await;
    for (carrier, path) in PATHS {
        fault(
            &sim,
            json!({"carrier": carrier, "kind": "http", "status": 503, "count": 1}),
        )
        .await;
        let r = get(&sim, path).await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        let r = get(&sim, path).await.unwrap();
        assert_ne!(
            r.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "count 1: {path}"
        );
    }
}

#[tokio::test]
async fn connection_reset_on_every_carrier() {
    let sim = Simulator::start().await;
    for (carrier, path) in PATHS {
        fault(
            &sim,
            json!({"carrier": carrier, "kind": "reset", "count": 1}),
        )
        .await;
        let e = get(&sim, path).await.expect_err("no answer");
        assert!(!e.is_timeout(), "{path}: {e}");
        assert!(get(&sim, path).await.is_ok(), "the server lives on: {path}");
    }
    let j: Value = client()
        .get(format!("{}/_sim/requests?status=0", sim.uri()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        j["items"].as_array().unwrap().len(),
        PATHS.len(),
        "resets are journaled"
    );
}

#[tokio::test]
async fn truncated_body_on_every_carrier() {
    let sim = Simulator::start().await;
    for (carrier, path) in PATHS {
        fault(
            &sim,
            json!({"carrier": carrier, "kind": "truncate", "count": 1}),
        )
        .await;
        let r = get(&sim, path).await.expect("headers arrive");
        assert!(r.bytes().await.is_err(), "body cut short: {path}");
    }
}

#[tokio::test]
async fn timeout_on_every_carrier() {
    let sim = Simulator::start().await;
    for (carrier, path) in PATHS {
        fault(
            &sim,
            json!({"carrier": carrier, "kind": "timeout", "ms": 60000, "count": 1}),
        )
        .await;
        let c = Client::builder()
            .timeout(Duration::from_millis(200))
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let e = c
            .get(format!("{}{path}", sim.uri()))
            .send()
            .await
            .expect_err("no answer in time");
        assert!(e.is_timeout(), "{path}: {e}");
    }
}

#[tokio::test]
async fn scoping_by_account_card_endpoint_and_method() {
    let sim = Simulator::start().await;
    // Account: only requests carrying cmcc-demo's appid.
    fault(
        &sim,
        json!({"account": "cmcc-demo", "kind": "http", "status": 502}),
    )
    .await;
    assert_eq!(
        get(&sim, PATHS[0].1).await.unwrap().status(),
        StatusCode::BAD_GATEWAY
    );
    let other = sim
        .world()
        .account("cmcc-other")
        .unwrap()
        .credentials
        .appid
        .unwrap();
    let r = get(
        &sim,
        &format!("/v5/ec/get/token?appid={other}&password=x&transid={other}2026"),
    )
    .await
    .unwrap();
    assert_ne!(r.status(), StatusCode::BAD_GATEWAY);
    clear(&sim).await;

    // Card: by MSISDN in the fault, matched by ICCID or number in the request.
    let card = sim.cards().by_tag("ctcc", "normal").unwrap();
    fault(
        &sim,
        json!({"card": card.msisdn, "kind": "http", "status": 500}),
    )
    .await;
    assert_eq!(
        get(&sim, PATHS[3].1).await.unwrap().status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let r = get(
        &sim,
        &format!("/m2m_ec/query.do?method=queryTraffic&iccid={}", card.iccid),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let r = get(
        &sim,
        "/m2m_ec/query.do?method=queryTraffic&access_number=14910000001",
    )
    .await
    .unwrap();
    assert_ne!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    clear(&sim).await;

    // Endpoint and method (HTTP method or CTCC `method` parameter).
    fault(
        &sim,
        json!({"endpoint": "/echo/", "kind": "http", "status": 504}),
    )
    .await;
    fault(
        &sim,
        json!({"carrier": "ctcc", "method": "queryPakage", "kind": "http", "status": 501}),
    )
    .await;
    fault(
        &sim,
        json!({"carrier": "cmcc", "method": "POST", "kind": "http", "status": 500}),
    )
    .await;
    assert_eq!(
        get(&sim, PATHS[1].1).await.unwrap().status(),
        StatusCode::GATEWAY_TIMEOUT
    );
    assert_ne!(
        get(&sim, PATHS[2].1).await.unwrap().status(),
        StatusCode::GATEWAY_TIMEOUT
    );
    assert_eq!(
        get(&sim, "/m2m_ec/query.do?method=queryPakage&access_number=1")
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_IMPLEMENTED
    );
    assert_ne!(
        get(&sim, PATHS[3].1).await.unwrap().status(),
        StatusCode::NOT_IMPLEMENTED
    );
    assert_ne!(
        get(&sim, PATHS[0].1).await.unwrap().status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let r = client()
        .post(format!("{}/v5/ec/get/token", sim.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    // The admin plane is never subject to faults.
    let r = client()
        .get(format!("{}/_sim/health", sim.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn time_window_ends() {
    let sim = Simulator::start().await;
    // The window is wall-clock time. No fixed sleep: poll until the fault
    // stops, then check when that happened. Requests inside the window
    // fail; the first one that passes is at least the window's length
    // after the fault was created (it never ends early), and it comes
    // within a deadline (it does end).
    let window = Duration::from_secs(2);
    let created = std::time::Instant::now();
    fault(
        &sim,
        json!({"kind": "http", "status": 500, "duration": "2s"}),
    )
    .await;
    assert_eq!(
        get(&sim, PATHS[1].1).await.unwrap().status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let deadline = created + Duration::from_secs(20);
    loop {
        let status = get(&sim, PATHS[1].1).await.unwrap().status();
        if status != StatusCode::INTERNAL_SERVER_ERROR {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the 2 s fault still answers after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        created.elapsed() >= window,
        "the fault ended after {:?}, before its 2 s window",
        created.elapsed()
    );
    let v: Value = client()
        .get(format!("{}/_sim/faults", sim.uri()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"], json!([]), "an expired rule is gone");
}

#[tokio::test]
async fn probability_is_reproducible_with_the_seed() {
    async fn pattern(seed: u64) -> Vec<bool> {
        let sim = Simulator::builder().seed(seed).start().await;
        fault(
            &sim,
            json!({"kind": "http", "status": 500, "probability": 0.5}),
        )
        .await;
        let mut out = Vec::new();
        for _ in 0..24 {
            out.push(
                get(&sim, PATHS[1].1).await.unwrap().status() == StatusCode::INTERNAL_SERVER_ERROR,
            );
        }
        out
    }
    let a = pattern(11).await;
    assert_eq!(a, pattern(11).await);
    assert!(a.iter().any(|x| *x) && a.iter().any(|x| !*x), "{a:?}");
}

/// A CMCC client the way an application test would write it: on 12021 it
/// fetches a new token and retries once.
#[tokio::test]
async fn cmcc_client_recovers_from_token_expiry() {
    let sim = Simulator::start().await;
    let http = client();
    let token_url = format!("{}{}", sim.uri(), PATHS[0].1);
    let fetch = || async {
        let v: Value = http
            .get(&token_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v
    };
    sim.faults()
        .add(json!({"carrier": "cmcc", "kind": "carrier_error", "error": "token_expired", "count": 1}))
        .unwrap();
    let mut v = fetch().await;
    let mut attempts = 1;
    if v["status"] == "12021" {
        v = fetch().await;
        attempts += 1;
    }
    assert_eq!(attempts, 2);
    assert_ne!(v["status"], "12021", "{v}");
    let log = sim.requests().all();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].faults.len(), 1);
    assert!(log[1].faults.is_empty());
}

#[tokio::test]
async fn ctcc_rate_limit_per_account() {
    let sim = Simulator::start().await;
    let url = format!("{}/_sim/ratelimits", sim.uri());
    let v: Value = client()
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let default = v["items"][0].clone();
    assert_eq!(default["carrier"], "ctcc");
    assert_eq!(default["limit"], 500);
    assert_eq!(default["per"], "1m");
    // A tighter table for the test: 2 per minute.
    let mut tight = default.clone();
    tight["limit"] = json!(2);
    let r = client()
        .put(&url)
        .json(&json!({"items": [tight]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let path = "/m2m_ec/query.do?method=queryTraffic&user_id=testuser&access_number=14910000000";
    for _ in 0..2 {
        let text = get(&sim, path).await.unwrap().text().await.unwrap();
        assert!(!text.starts_with("101004"), "{text}");
    }
    let text = get(&sim, path).await.unwrap().text().await.unwrap();
    assert!(text.starts_with("101004"), "{text}");
    // Another account is counted apart; other methods are not limited.
    let other = sim
        .world()
        .account("ctcc-other")
        .unwrap()
        .credentials
        .user_id
        .unwrap();
    let text = get(
        &sim,
        &format!("/m2m_ec/query.do?method=queryTraffic&user_id={other}&access_number=1"),
    )
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(!text.starts_with("101004"), "{text}");
    let text = get(&sim, "/m2m_ec/query.do?method=getSIMList&user_id=testuser")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.starts_with("101004"), "{text}");
    // Bad tables are refused and change nothing; [] turns limits off.
    let r = client()
        .put(&url)
        .json(&json!({"items": [{"id": "x", "carrier": "ctcc", "limit": 0, "per": "1m"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = client()
        .put(&url)
        .json(&json!({"items": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = get(&sim, path).await.unwrap().text().await.unwrap();
    assert!(!text.starts_with("101004"), "{text}");
}

/// A CUCC REST client the way an application test would write it (as
/// mehunk's SDK does): on HTTP 429 it retries, at most 3 attempts in all.
#[tokio::test]
async fn cucc_client_retries_on_rate_limit() {
    let sim = Simulator::start().await;
    let creds = sim.world().account("cucc-demo").unwrap().credentials;
    let (user, key) = (creds.username.unwrap(), creds.api_key.unwrap());
    sim.faults()
        .add(json!({"account": "cucc-demo", "kind": "carrier_error", "error": "rate_limit", "count": 2}))
        .unwrap();
    let http = client();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = http
            .get(format!("{}/echo/ping", sim.cucc_url()))
            .basic_auth(&user, Some(&key))
            .send()
            .await
            .unwrap();
        statuses.push(r.status());
        if r.status() != StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(statuses.len(), 3, "{statuses:?}");
    assert_eq!(statuses[0], StatusCode::TOO_MANY_REQUESTS);
    assert_ne!(statuses[2], StatusCode::TOO_MANY_REQUESTS);
    let log = sim.requests().all();
    assert!(log
        .iter()
        .all(|r| r.account.as_deref() == Some("cucc-demo")));
    assert!(log.iter().all(|r| r
        .params
        .iter()
        .any(|(k, v)| k == "Authorization" && v == "***")));
}

/// A CTCC m2m_ec client: `101004` (too frequent) means back off and retry.
#[tokio::test]
async fn ctcc_client_backs_off_on_too_frequent() {
    let sim = Simulator::start().await;
    sim.faults()
        .add(json!({"carrier": "ctcc", "method": "queryTraffic", "kind": "carrier_error", "error": "too_frequent", "count": 1}))
        .unwrap();
    let url = format!(
        "{}/query.do?method=queryTraffic&user_id=testuser&access_number=14910000000",
        sim.ctcc_url()
    );
    let http = client();
    let first = http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(first.starts_with("101004"), "{first}");
    let (code, _) = first.split_once('：').unwrap();
    assert_eq!(code, "101004");
    let second = http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(!second.starts_with("101004"), "{second}");
    let card = sim.cards().get("14910000000").unwrap();
    let log = sim.requests().all();
    assert_eq!(log[0].cards, vec![card.iccid.to_string()]);
    assert_eq!(log[0].account.as_deref(), Some("ctcc-demo"));
}
