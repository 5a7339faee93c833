//! The simulation engine driven only by traces and clock moves: the card
//! rules happen at the right simulated minute, runs are deterministic, and
//! webhooks and the live event stream deliver what the journal records.

use crate::common::admin::Admin;
use crate::common::{card, iccid, world};
use carrier_sim::clock::{parse_time, rfc3339};
use carrier_sim::control::webhooks::{sign, SIGNATURE_HEADER};
use carrier_sim::domain::{EventKind, LedgerKind};
use carrier_sim::{Simulator, World};
use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{json, Value};

const MB: u64 = 1024 * 1024;

/// The rule-test world (`common::world`) with cards and traces.
fn world_with(cards: &str, traces: &str) -> std::sync::Arc<World> {
    world(&format!("{cards}{traces}"))
}

/// 1 MB per hour for card 1.
const ONE_MB_PER_HOUR: &str = r#"
[[traces]]
id = "steady"
kind = "constant"
per_day = "24MB"
applies_to = { tag = "t" }
"#;

fn state_events(w: &World, id: &str) -> Vec<(String, String, String)> {
    w.card(id)
        .unwrap()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::StateChanged { reason, to, .. } => {
                Some((rfc3339(e.time), to.as_str().to_string(), reason.to_string()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn auto_stop_card_stops_at_the_exact_minute_and_resumes_on_the_first() {
    // 900 MB used of 1 GB at 10:00 on Nov 24; 1 MB/h → 124 h to go → the
    // allowance is reached at Nov 29 14:00:00 and exceeded (the stop,
    // docs/rules.md) by the next byte, one second later.
    let w = world_with(
        &card(
            1,
            "plan = \"p1g\"\ndata_used = \"900MB\"\nauto_stop = true\ntags = [\"t\"]",
        ),
        ONE_MB_PER_HOUR,
    );
    let id = iccid(1);
    w.advance(SignedDuration::from_hours(24 * 10)).unwrap();
    assert_eq!(
        state_events(&w, &id),
        vec![
            (
                "2026-11-29T14:00:01+08:00".to_string(),
                "suspended".to_string(),
                "over_quota".to_string()
            ),
            (
                "2026-12-01T00:00:00+08:00".to_string(),
                "active".to_string(),
                "rollover".to_string()
            ),
        ]
    );
    let c = w.card(&id).unwrap();
    // After the 1st it keeps using 1 MB/h: Dec 1 00:00 → Dec 4 10:00 is 82 h.
    assert_eq!(c.usage.data_bytes, 82 * MB);
    // Threshold events at 90% and 100% of the allowance (it started above 80%).
    let thresholds: Vec<u8> = c
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::UsageThreshold { percent, .. } => Some(percent),
            _ => None,
        })
        .collect();
    assert_eq!(thresholds, vec![90, 100]);
}

#[test]
fn card_without_auto_stop_pays_overage_until_the_balance_runs_out() {
    // At the allowance, 1 yuan left, 2 fen per MB: every started MB is
    // charged when it starts (docs/rules.md), so the 50th MB, started by its
    // first byte one second into hour 49, empties the balance: Nov 26 11:00:01.
    let w = world_with(
        &card(
            1,
            "plan = \"p1g\"\ndata_used = \"1GB\"\nbalance_fen = 100\ntags = [\"t\"]",
        ),
        ONE_MB_PER_HOUR,
    );
    let id = iccid(1);
    w.advance(SignedDuration::from_hours(24 * 5)).unwrap();
    assert_eq!(
        state_events(&w, &id),
        vec![(
            "2026-11-26T11:00:01+08:00".to_string(),
            "suspended".to_string(),
            "arrears".to_string()
        )]
    );
    let c = w.card(&id).unwrap();
    assert_eq!(c.balance_fen, 0);
    assert_eq!(
        c.usage.data_bytes,
        1024 * MB + 49 * MB + 1,
        "a suspended card accrues no data"
    );
    let overage: Vec<i64> = c
        .ledger
        .iter()
        .filter(|e| e.kind == LedgerKind::Overage)
        .map(|e| e.amount_fen)
        .collect();
    assert_eq!(overage.len(), 50);
    assert!(overage.iter().all(|a| *a == -2));
}

#[test]
fn expired_card_is_cancelled_three_months_later_with_three_keep_number_fees() {
    let w = world_with(
        &card(
            1,
            "plan = \"p1g\"\nexpires = \"2026-12-10T00:00:00+08:00\"\ntags = [\"t\"]",
        ),
        ONE_MB_PER_HOUR,
    );
    let id = iccid(1);
    w.advance_to(parse_time("2027-04-01T00:00:00+08:00").unwrap())
        .unwrap();
    let events = state_events(&w, &id);
    assert_eq!(
        events[0],
        (
            "2026-12-10T00:00:00+08:00".into(),
            "pre_cancel".into(),
            "expired".into()
        )
    );
    assert_eq!(
        events.last().unwrap(),
        &(
            "2027-03-10T00:00:00+08:00".to_string(),
            "cancelled".to_string(),
            "cancellation".to_string()
        )
    );
    let c = w.card(&id).unwrap();
    assert_eq!(
        c.ledger
            .iter()
            .filter(|e| e.kind == LedgerKind::KeepNumberFee)
            .count(),
        3
    );
    // Usage stopped at expiry: Nov 24 10:00 → Dec 10 00:00 is 374 h, reset on Dec 1.
    assert_eq!(
        c.months.last().unwrap().1.data_bytes,
        0,
        "nothing used after expiry in the last cycle"
    );
}

#[test]
fn same_fixture_and_seed_give_identical_journals_and_seeds_matter() {
    let run = |seed: u64, steps: &[i64]| {
        let mut fx = carrier_sim::fixture::default_fixture();
        fx.seed = seed;
        let w = World::new(fx);
        for h in steps {
            w.advance(SignedDuration::from_hours(*h)).unwrap();
        }
        serde_json::to_string(&w.journal.all()).unwrap()
    };
    let a = run(7, &[24 * 20]);
    let b = run(7, &[5, 17, 24 * 3, 1, 24 * 16 + 1]);
    assert_eq!(a, b, "jump sizes do not matter");
    let c = run(8, &[24 * 20]);
    assert_ne!(a, c, "the seed drives the random traces");
}

#[test]
fn replayed_csv_usage_lands_at_its_time() {
    let traces = format!(
        r#"
[[traces]]
id = "replay"
kind = "replay"
csv = """
time,iccid,bytes,sms
2026-11-25T08:30:00+08:00,{id},300MB,2
2026-11-26T09:00:00+08:00,{id},800MB,0
"""
"#,
        id = iccid(1)
    );
    let w = world_with(&card(1, "plan = \"p1g\"\nauto_stop = true"), &traces);
    let id = iccid(1);
    w.advance(SignedDuration::from_hours(24 * 3)).unwrap();
    let c = w.card(&id).unwrap();
    assert_eq!(c.usage.sms, 2);
    assert_eq!(
        c.usage.data_bytes,
        1024 * MB + 1,
        "usage stops at the first byte beyond the allowance for an auto-stop card"
    );
    assert_eq!(
        state_events(&w, &id),
        vec![(
            "2026-11-26T09:00:00+08:00".into(),
            "suspended".into(),
            "over_quota".into()
        )]
    );
}

#[tokio::test]
async fn traces_can_be_added_at_run_time_over_http() {
    let sim = Simulator::start().await;
    let admin = Admin::new(&sim);
    let card = admin.card_by_tag("cmcc", "low-balance").await;
    let iccid = card["iccid"].as_str().unwrap().to_string();
    let before = card["usage"]["data_bytes"].as_u64().unwrap();
    let trace =
        json!({"kind": "burn", "total": "500MB", "over": "1h", "applies_to": {"iccid": iccid}});
    let (status, added) = admin.call(Method::POST, "/_sim/traces", Some(trace)).await;
    assert_eq!(status, 200);
    let id = added["id"].as_str().unwrap().to_string();
    admin
        .call(Method::POST, "/_sim/clock", Some(json!({"advance": "1h"})))
        .await;
    let card = admin.card(&iccid).await;
    assert_eq!(
        card["usage"]["data_bytes"].as_u64().unwrap(),
        before + 500 * MB
    );
    let (status, _) = admin
        .raw(Method::DELETE, &format!("/_sim/traces/{id}"), None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = admin
        .raw(Method::POST, "/_sim/traces", Some(r#"{"kind": "warp"}"#))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn webhooks_are_signed_retried_once_delivered_and_ordered_per_card() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let hook_server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&hook_server)
        .await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&hook_server)
        .await;

    let sim = Simulator::start().await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/_sim/webhooks", sim.uri()))
        .json(&json!({"account": "cmcc-demo", "url": format!("{}/hook", hook_server.uri()), "types": ["state_changed", "top_up"], "secret": "s3cret", "backoff_ms": 20}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let cards: Value = http
        .get(format!("{}/_sim/cards?carrier=cmcc&tag=normal", sim.uri()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let iccid = cards["items"][0]["iccid"].as_str().unwrap().to_string();
    for action in [
        json!({"action": "stop"}),
        json!({"action": "top_up", "amount_fen": 100}),
        json!({"action": "resume"}),
    ] {
        let r = http
            .post(format!("{}/_sim/cards/{iccid}/actions", sim.uri()))
            .json(&action)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // Wait for the three events to be delivered (the first after one retry).
    let mut delivered = Vec::new();
    for _ in 0..200 {
        let reqs = hook_server.received_requests().await.unwrap();
        delivered = reqs;
        let oks = hook_server.received_requests().await.unwrap().len();
        if oks >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        delivered.len(),
        4,
        "3 events, the first one twice (500 then 200), nothing more"
    );
    let bodies: Vec<Value> = delivered
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    for (req, body) in delivered.iter().zip(&bodies) {
        let header = req.headers.get(SIGNATURE_HEADER).unwrap().to_str().unwrap();
        // Checked with another implementation (Python's hmac), not ours.
        assert_eq!(
            header,
            format!("sha256={}", python_hmac_sha256("s3cret", &req.body))
        );
        assert_eq!(body["iccid"], iccid.as_str());
    }
    assert_eq!(
        bodies[0]["seq"], bodies[1]["seq"],
        "the retry carries the same event"
    );
    let types: Vec<&str> = bodies[1..]
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["state_changed", "top_up", "state_changed"],
        "in order"
    );
    let seqs: Vec<u64> = bodies[1..]
        .iter()
        .map(|b| b["seq"].as_u64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        hook_server.received_requests().await.unwrap().len(),
        4,
        "no duplicate after success"
    );
    let log: Value = http
        .get(format!("{}/_sim/webhooks/deliveries", sim.uri()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<u64> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 200, 200, 200]);
}

#[tokio::test]
async fn live_event_stream_follows_the_journal() {
    let sim = Simulator::start().await;
    let http = reqwest::Client::new();
    let mut stream = http
        .get(format!(
            "{}/_sim/events/stream?type=state_changed",
            sim.uri()
        ))
        .send()
        .await
        .unwrap();
    let cards: Value = http
        .get(format!("{}/_sim/cards?carrier=ctcc&tag=normal", sim.uri()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let iccid = cards["items"][0]["iccid"].as_str().unwrap().to_string();
    http.post(format!("{}/_sim/cards/{iccid}/actions", sim.uri()))
        .json(&json!({"action": "stop"}))
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    while !text.contains("\n\n") || !text.contains("data:") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("event: state_changed"), "{text}");
    assert!(text.contains(&iccid), "{text}");
    assert!(text.contains("\"reason\":\"manual\""), "{text}");
}

#[test]
fn a_pool_running_dry_stops_every_auto_stop_member() {
    let pool = "\n[[pools]]\nid = \"P1\"\nname = \"pool\"\naccount = \"ec\"\ndata = \"1GB\"\n";
    let cards = [
        card(
            1,
            "plan = \"p1g\"\npool = \"P1\"\nauto_stop = true\ndata_used = \"900MB\"",
        ),
        card(2, "plan = \"p1g\"\npool = \"P1\"\nauto_stop = true"),
        card(3, "plan = \"p1g\"\npool = \"P1\""),
    ]
    .concat();
    let w = world_with(&format!("{pool}{cards}"), "");
    w.use_data(&iccid(2), 200 * MB).unwrap();
    for (n, state) in [(1, "suspended"), (2, "suspended"), (3, "active")] {
        assert_eq!(w.card(&iccid(n)).unwrap().state.as_str(), state, "card {n}");
    }
    let types: Vec<(String, &str)> = w
        .journal
        .all()
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::PoolExhausted { .. } | EventKind::StateChanged { .. }
            )
        })
        .map(|e| (e.iccid.to_string(), e.kind.type_name()))
        .collect();
    assert_eq!(
        types,
        vec![
            (iccid(2), "state_changed"),
            (iccid(2), "pool_exhausted"),
            (iccid(1), "state_changed"),
        ]
    );
}

/// HMAC-SHA256 of `body` under `secret`, hex, computed by Python's `hmac`
/// module: an implementation independent of the crate's.
fn python_hmac_sha256(secret: &str, body: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
            secret,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is needed to check webhook signatures");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 hmac failed");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The webhook signature is plain HMAC-SHA256: RFC 4231 test case 2
/// (key "Jefe", data "what do ya want for nothing?").
#[test]
fn webhook_signature_matches_the_rfc_4231_vector() {
    assert_eq!(
        sign("Jefe", b"what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}
