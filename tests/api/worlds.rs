//! Worlds on demand (issue 24), black-box: `POST /_sim/worlds` on one
//! server gives isolated worlds under `/w/{id}/`, each reached by the real
//! wire protocols with nothing but the base URL changed, each with its own
//! cards, clock, faults, credentials and journal.

use carrier_sim::carriers::ctcc::des::TripleKey;
use carrier_sim::carriers::ctcc::sign::joined;
use carrier_sim::{Settings, Simulator};
use serde_json::{json, Value};

/// The default fixture's cards and credentials (fixtures/default.toml).
const CMCC_APPID: &str = "100001";
const CMCC_PASSWORD: &str = "cmcc-demo-pass";
const CMCC_MSISDN: &str = "1440000000001";
const CUCC_USER: &str = "cucc-demo";
const CUCC_KEY: &str = "2f1c9a1e-6b0e-4c3a-9d55-7a1b2c3d4e5f";
const CUCC_ICCID: &str = "89860600000000000013";
const CTCC_USER: &str = "testuser";
const CTCC_PASS: &str = "test1234";
const CTCC_KEY: &str = "abcdefghi";
const CTCC_NUMBER: &str = "14910000000";

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, v)
}

async fn post(base: &str, path: &str, body: Value) -> (u16, Value) {
    json_of(
        http()
            .post(format!("{base}{path}"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    json_of(http().get(format!("{base}{path}")).send().await.unwrap()).await
}

async fn create(root: &str, body: Value) -> Value {
    let (s, v) = post(root, "/_sim/worlds", body).await;
    assert_eq!(s, 201, "{v}");
    v
}

/// A CMCC v5 token (the OneLink `get/token` call) from a base URL.
async fn cmcc_token(base: &str, password: &str) -> Value {
    let transid = format!("{CMCC_APPID}2026112410000000000001");
    let (_, v) = get(
        base,
        &format!("/v5/ec/get/token?appid={CMCC_APPID}&password={password}&transid={transid}"),
    )
    .await;
    v
}

/// The CMCC card status of the demo card (`/query/sim-status`).
async fn cmcc_card_status(base: &str) -> String {
    let t = cmcc_token(base, CMCC_PASSWORD).await;
    let token = t["result"][0]["token"].as_str().unwrap().to_string();
    let transid = format!("{CMCC_APPID}2026112410000000000002");
    let (_, v) = get(
        base,
        &format!("/v5/ec/query/sim-status?transid={transid}&token={token}&msisdn={CMCC_MSISDN}"),
    )
    .await;
    assert_eq!(v["status"], "0", "{v}");
    v["result"][0]["cardStatus"].as_str().unwrap().to_string()
}

/// The CUCC device (Jasper REST `GET /devices/{iccid}`); `Null` when the
/// answer is not JSON (an injected HTTP error page).
async fn cucc_status(base: &str) -> (u16, Value) {
    let r = http()
        .get(format!("{base}/rws/api/v1/devices/{CUCC_ICCID}"))
        .basic_auth(CUCC_USER, Some(CUCC_KEY))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// CTCC `queryCardMainStatus` with the three-key DES sign.
async fn ctcc_main_status(base: &str) -> String {
    let key = TripleKey::from_key(CTCC_KEY);
    let method = "queryCardMainStatus";
    let sign = key.enc(&joined(&[CTCC_USER, CTCC_PASS, method, CTCC_NUMBER]));
    let pw = key.enc(CTCC_PASS);
    let text = http()
        .get(format!("{base}/m2m_ec/query.do"))
        .query(&[
            ("method", method),
            ("user_id", CTCC_USER),
            ("passWord", &pw),
            ("sign", &sign),
            ("access_number", CTCC_NUMBER),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    v["productInfo"][0]["productMainStatusCd"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string()
}

/// Stops a card through a world's own admin plane.
async fn admin_stop(base: &str, id: &str) {
    let (s, v) = post(
        base,
        &format!("/_sim/cards/{id}/actions"),
        json!({"action": "stop"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn a_world_is_reached_by_base_url_and_isolated_from_the_root() {
    let sim = Simulator::start().await;
    let root = sim.uri();
    let w = create(&root, json!({"builtin": "default", "seed": 3})).await;
    let id = w["id"].as_str().unwrap();
    let base = w["urls"]["base"].as_str().unwrap().to_string();
    assert_eq!(base, format!("{root}/w/{id}"));
    assert_eq!(w["urls"]["cmcc"], format!("{base}/v5/ec"));
    assert_eq!(w["urls"]["cucc"], format!("{base}/rws/api/v1"));
    assert_eq!(w["urls"]["ctcc"], format!("{base}/m2m_ec"));
    assert_eq!(w["urls"]["admin"], format!("{base}/_sim"));

    // The three dialects answer under the prefix.
    assert_eq!(cmcc_card_status(&base).await, cmcc_card_status(&root).await);
    let (s, d) = cucc_status(&base).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["iccid"], CUCC_ICCID);
    assert_eq!(ctcc_main_status(&base).await, ctcc_main_status(&root).await);

    // A stop, a clock move and a fault in the world leave the root alone.
    let before_root = cmcc_card_status(&root).await;
    admin_stop(&base, CMCC_MSISDN).await;
    assert_ne!(cmcc_card_status(&base).await, before_root);
    assert_eq!(cmcc_card_status(&root).await, before_root);
    let (_, root_clock) = get(&root, "/_sim/clock").await;
    let (s, moved) = post(&base, "/_sim/clock", json!({"advance": "40d"})).await;
    assert_eq!(s, 200, "{moved}");
    assert_ne!(moved["now"], root_clock["now"]);
    let (_, root_after) = get(&root, "/_sim/clock").await;
    assert_eq!(root_after["now"], root_clock["now"]);
    let (s, f) = post(
        &base,
        "/_sim/faults",
        json!({"carrier": "cucc", "kind": "http", "status": 503}),
    )
    .await;
    assert_eq!(s, 201, "{f}");
    assert_eq!(cucc_status(&base).await.0, 503);
    assert_eq!(cucc_status(&root).await.0, 200);

    // Credentials changed in the world hold there only.
    let (s, v) = json_of(
        http()
            .patch(format!("{base}/_sim/accounts/cmcc-demo"))
            .json(&json!({"credentials": {"appid": CMCC_APPID, "password": "changed"}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(cmcc_token(&base, "changed").await["status"], "0");
    assert_ne!(cmcc_token(&base, CMCC_PASSWORD).await["status"], "0");
    assert_eq!(cmcc_token(&root, CMCC_PASSWORD).await["status"], "0");

    // The world's journal has its own events; the root's has none of them.
    let (_, events) = get(&base, "/_sim/events?type=state_changed").await;
    assert!(!events["items"].as_array().unwrap().is_empty(), "{events}");
    let (_, root_events) = get(&root, &format!("/_sim/events?card={CMCC_MSISDN}")).await;
    assert!(
        root_events["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] != "state_changed"),
        "{root_events}"
    );

    // Listed, then deleted: gone from the list, and its URLs answer 404.
    let (_, list) = get(&root, "/_sim/worlds").await;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == id));
    let resp = http()
        .delete(format!("{root}/_sim/worlds/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (s, gone) = get(&base, "/_sim/clock").await;
    assert_eq!(s, 404, "{gone}");
    assert!(gone["error"].as_str().unwrap().contains(id));
    let (_, list) = get(&root, "/_sim/worlds").await;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["id"] != id));
    // Worlds do not nest.
    let (s, v) = post(&base, "/_sim/worlds", json!({})).await;
    assert_eq!(s, 404, "{v}");
}

#[tokio::test]
async fn sixty_four_worlds_in_parallel_without_cross_talk() {
    let sim = Simulator::start().await;
    let root = sim.uri();
    let mut tasks = Vec::new();
    for i in 0..64u32 {
        let root = root.clone();
        tasks.push(tokio::spawn(async move {
            let w = create(&root, json!({"seed": i})).await;
            let base = w["urls"]["base"].as_str().unwrap().to_string();
            // Each world moves its clock by its own number of days and stops
            // the demo card of one carrier, driven by that carrier's API.
            let (s, c) = post(
                &base,
                "/_sim/clock",
                json!({"advance": format!("{}d", i + 1)}),
            )
            .await;
            assert_eq!(s, 200, "{c}");
            let carrier = i % 3;
            match carrier {
                0 => admin_stop(&base, CMCC_MSISDN).await,
                1 => {
                    let r = http()
                        .put(format!("{base}/rws/api/v1/devices/{CUCC_ICCID}"))
                        .basic_auth(CUCC_USER, Some(CUCC_KEY))
                        .json(&json!({"status": "DEACTIVATED"}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
                }
                _ => admin_stop(&base, CTCC_NUMBER).await,
            }
            (i, base, c["now"].as_str().unwrap().to_string())
        }));
    }
    let mut worlds = Vec::new();
    for t in tasks {
        worlds.push(t.await.unwrap());
    }
    let (_, list) = get(&root, "/_sim/worlds").await;
    assert_eq!(list["total"], 64);
    let (_, root_clock) = get(&root, "/_sim/clock").await;
    let start: jiff::Timestamp = root_clock["now"].as_str().unwrap().parse().unwrap();
    let (_, fresh_d) = cucc_status(&root).await;
    let fresh_cmcc = cmcc_card_status(&root).await;
    let fresh_ctcc = ctcc_main_status(&root).await;
    for (i, base, now) in worlds {
        // Its own clock, nobody else's.
        let (_, c) = get(&base, "/_sim/clock").await;
        assert_eq!(c["now"], now.as_str());
        let expected = start + jiff::SignedDuration::from_hours(24 * (i64::from(i) + 1));
        assert_eq!(
            now.parse::<jiff::Timestamp>().unwrap(),
            expected,
            "world {i}"
        );
        // Only its own carrier's card was stopped.
        let (_, d) = cucc_status(&base).await;
        let cmcc = cmcc_card_status(&base).await;
        let ctcc = ctcc_main_status(&base).await;
        assert_eq!(cmcc != fresh_cmcc, i % 3 == 0, "world {i}: cmcc {cmcc}");
        assert_eq!(
            d["status"] != fresh_d["status"],
            i % 3 == 1,
            "world {i}: {d}"
        );
        assert_eq!(ctcc != fresh_ctcc, i % 3 == 2, "world {i}: ctcc {ctcc}");
    }
    // The root world saw none of it.
    assert_eq!(cmcc_card_status(&root).await, fresh_cmcc);
}

#[tokio::test]
async fn a_fixture_of_its_own_and_refusals() {
    let sim = Simulator::builder()
        .settings(Settings {
            max_worlds: 2,
            ..Default::default()
        })
        .start()
        .await;
    let root = sim.uri();
    // An inline fixture: one CMCC account with one card.
    let fx = r#"
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
"#;
    let w = create(&root, json!({"fixture": fx, "ttl": "10m"})).await;
    assert_eq!(w["cards"], 1, "{w}");
    assert_eq!(w["ttl_seconds"], 600, "{w}");
    let base = w["urls"]["base"].as_str().unwrap();
    let (_, clock) = get(base, "/_sim/clock").await;
    assert!(
        clock["now"]
            .as_str()
            .unwrap()
            .starts_with("2026-02-28T16:00:00")
            || clock["now"].as_str().unwrap().starts_with("2026-03-01"),
        "{clock}"
    );
    let (_, accounts) = get(base, "/_sim/accounts").await;
    assert_eq!(accounts["total"], 1, "{accounts}");

    // A bad fixture, an unknown builtin and an unknown field: 400, nothing made.
    for bad in [
        json!({"fixture": "start = \"never\""}),
        json!({"builtin": "huge"}),
        json!({"flavour": "x"}),
        json!({"ttl": "soon"}),
    ] {
        let (s, v) = post(&root, "/_sim/worlds", bad.clone()).await;
        assert_eq!(s, 400, "{bad}: {v}");
        assert!(v["error"].is_string(), "{v}");
    }
    // The cap: a second world fits, a third is refused with 429.
    create(&root, json!({})).await;
    let (s, v) = post(&root, "/_sim/worlds", json!({})).await;
    assert_eq!(s, 429, "{v}");
    assert!(v["error"].as_str().unwrap().contains("--max-worlds"), "{v}");
    let (_, list) = get(&root, "/_sim/worlds").await;
    assert_eq!(list["total"], 2);
    // An unknown world is a JSON 404.
    let (s, v) = get(&root, "/w/w999/_sim/clock").await;
    assert_eq!(s, 404, "{v}");
}
