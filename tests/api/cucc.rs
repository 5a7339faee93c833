//! Black-box tests of the China Unicom dialect over real HTTP: the Jasper /
//! Control Center REST API under `/rws/api/v1` and the CMP gateway under
//! `/api/...`. Expectations come from `docs/protocol-cucc.md` (field names,
//! units, date formats, status names and CMP codes, error shape) and from
//! the default fixture's card roles; state effects are checked across
//! surfaces (`/_sim/cards`, the CMP gateway). Push events are received by a
//! `wiremock` server.

use std::time::Duration;

use base64::Engine as _;
use carrier_sim::Simulator;
use serde_json::{json, Value};

use crate::common::admin::Admin;
use crate::common::cucc::{
    cmp, cmp_details, envelope, get, get_as, put, raw, APP_ID, APP_SECRET, KEY, OPEN_ID, OTHER_KEY,
    OTHER_USER, USER,
};

const ACCOUNT_NO: &str = "100020620";
/// Control Center's rate-limit `errorCode` as a Tele2 Control Center
/// integration handles it (`errorCode=40000029` with HTTP 429; public code
/// index file 52862017309, docs/cucc.md "Errors").
const RATE_LIMITED: &str = "40000029";
const SINCE: &str = "2026-01-01T00:00:00+00:00";

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Every error is `{"errorMessage","errorCode"}` with a string code.
fn assert_error(body: &Value, code: &str) {
    assert!(body["errorMessage"].is_string(), "{body}");
    assert_eq!(body["errorCode"], code, "{body}");
}

/// Parses `yyyy-MM-dd HH:mm:ss.SSS+0000` back to an instant.
fn parse_jdate(s: &str) -> jiff::Timestamp {
    assert_eq!(s.len(), 28, "{s}");
    assert!(s.ends_with("+0000"), "{s}");
    jiff::fmt::strtime::parse("%Y-%m-%d %H:%M:%S%.f%z", s)
        .unwrap()
        .to_timestamp()
        .unwrap()
}

#[tokio::test]
async fn auth_failures_use_the_documented_shapes() {
    let sim = Simulator::start().await;
    let r = client()
        .get(format!("{}/echo/hi", sim.cucc_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["errorMessage"],
        "Full authentication is required to access this resource"
    );
    let (s, v) = get_as(&sim, "/echo/hi", USER, "wrong-key").await;
    assert_eq!(s, 401);
    assert_eq!(
        v,
        json!({"errorMessage": "Invalid credentials", "errorCode": "10000001"})
    );
    let (s, v) = get_as(&sim, "/echo/hi", "nobody", KEY).await;
    assert_eq!((s, &v["errorCode"]), (401, &json!("10000001")));
    let r = client()
        .get(format!("{}/echo/hi", sim.cucc_url()))
        .header("Authorization", "Basic !!!not-base64")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // A CMCC account's credentials are not CUCC credentials.
    let (s, _) = get_as(&sim, "/echo/hi", "100001", "cmcc-demo-pass").await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn echo_answers_with_the_parameter() {
    let sim = Simulator::start().await;
    let (s, v) = get(&sim, "/echo/hello").await;
    assert_eq!(s, 200);
    assert_eq!(v, json!({"context": "hello"}));
}

#[tokio::test]
async fn device_details_have_every_field_with_spec_formats() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let (s, v) = get(&sim, &format!("/devices/{iccid}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["iccid"], iccid.as_str());
    assert_eq!(v["status"], "ACTIVATED");
    assert_eq!(v["accountId"], ACCOUNT_NO);
    assert_eq!(v["ratePlan"], "RP-1G");
    let card = Admin::new(&sim).card(&iccid).await;
    assert_eq!(v["imsi"], card["imsi"]);
    assert_eq!(
        v["msisdn"].as_str().unwrap(),
        format!("86{}", card["msisdn"].as_str().unwrap())
    );
    for f in [
        "imei",
        "communicationPlan",
        "simNotes",
        "modemID",
        "globalSimType",
    ] {
        assert!(v[f].is_string(), "{f}: {v}");
    }
    for i in 1..=10 {
        assert_eq!(v[format!("accountCustom{i}")], "");
    }
    for i in 1..=5 {
        assert_eq!(v[format!("operatorCustom{i}")], "");
        assert_eq!(v[format!("customerCustom{i}")], "");
    }
    for f in ["customer", "endConsumerId", "fixedIPAddress", "deviceID"] {
        assert!(v.get(f).is_some(), "{f} missing");
    }
    // Cisco's DeviceDetails schema (titobrasolin/jasper-client-python
    // specs/components/schemas/DeviceDetails.yaml) adds the eSIM id
    // (nullable) and `simProfileId` (string); the public clients of real
    // answers read the eSIM id as `euiccid` (mehunk/china-carrier-iot-sdk
    // packages/cucc/src/jasper-client/types/response.ts).
    assert!(v["simProfileId"].is_string(), "{v}");
    assert!(v.get("euiccid").is_some_and(Value::is_null), "{v}");
    // Dates parse back, in UTC, and agree with the world.
    let now = sim.world().now();
    let updated = parse_jdate(v["dateUpdated"].as_str().unwrap());
    assert!(updated <= now);
    parse_jdate(v["dateAdded"].as_str().unwrap());
    parse_jdate(v["dateShipped"].as_str().unwrap());
    parse_jdate(v["dateActivated"].as_str().unwrap());

    // A never-activated SIM has no activation date.
    let inv = Admin::new(&sim).iccid_by_tag("cucc", "inventory").await;
    let (_, v) = get(&sim, &format!("/devices/{inv}")).await;
    assert_eq!(v["status"], "INVENTORY");
    assert!(v["dateActivated"].is_null());
}

#[tokio::test]
async fn every_neutral_state_renders_as_a_jasper_status() {
    let sim = Simulator::start().await;
    for (tag, status) in [
        ("normal", "ACTIVATED"),
        ("manual-stop", "DEACTIVATED"),
        ("arrears", "DEACTIVATED"),
        ("over-quota", "DEACTIVATED"),
        ("expired", "RETIRED"),
        ("cancelled", "PURGED"),
        ("inventory", "INVENTORY"),
        ("test-ready", "TEST_READY"),
        ("activation-ready", "ACTIVATION_READY"),
    ] {
        let iccid = Admin::new(&sim).iccid_by_tag("cucc", tag).await;
        let (s, v) = get(&sim, &format!("/devices/{iccid}")).await;
        assert_eq!(s, 200);
        assert_eq!(v["status"], status, "{tag}");
    }
}

#[tokio::test]
async fn device_lookup_errors() {
    let sim = Simulator::start().await;
    let (s, v) = get(&sim, "/devices/abc").await;
    assert_eq!(s, 400);
    assert_error(&v, "10000003");
    let (s, v) = get(&sim, "/devices/89860699999999999999").await;
    assert_eq!(s, 404);
    assert_error(&v, "20000001");
    // Another account's card is not visible.
    let other = Admin::new(&sim).iccid_by_tag("cucc", "other-account").await;
    let (s, v) = get(&sim, &format!("/devices/{other}")).await;
    assert_eq!(s, 404);
    assert_error(&v, "20000001");
    let (s, _) = get_as(&sim, &format!("/devices/{other}"), OTHER_USER, OTHER_KEY).await;
    assert_eq!(s, 200);
    // A CMCC card is not a Unicom device.
    let (s, _) = get(&sim, "/devices/89860000000000000019").await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn device_search_pages_to_the_last_page_in_order() {
    let sim = Simulator::start().await;
    let total = client()
        .get(format!(
            "{}/_sim/cards?carrier=cucc&account=cucc-demo&page_size=1000",
            sim.uri()
        ))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["total"]
        .as_u64()
        .unwrap() as usize;
    let mut seen: Vec<String> = Vec::new();
    let mut page = 1;
    loop {
        let (s, v) = get(
            &sim,
            &format!("/devices?modifiedSince=2026-01-01T00%3A00%3A00%2B00%3A00&pageSize=7&pageNumber={page}"),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["pageNumber"], page);
        let devices = v["devices"].as_array().unwrap();
        assert!(devices.len() <= 7);
        for d in devices {
            let keys: Vec<&str> = d.as_object().unwrap().keys().map(|k| k.as_str()).collect();
            for k in ["iccid", "status", "ratePlan", "communicationPlan"] {
                assert!(keys.contains(&k));
            }
            seen.push(d["iccid"].as_str().unwrap().to_string());
        }
        if v["lastPage"] == true {
            break;
        }
        page += 1;
        assert!(page < 100);
    }
    assert_eq!(seen.len(), total);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "ordered and without repeats");

    // Filters: status, accountId; pageSize is clamped to 50.
    let (_, v) = get(
        &sim,
        &format!("/devices?modifiedSince={SINCE}&status=INVENTORY"),
    )
    .await;
    let inv = Admin::new(&sim).iccid_by_tag("cucc", "inventory").await;
    let found: Vec<&str> = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["iccid"].as_str().unwrap())
        .collect();
    assert!(found.contains(&inv.as_str()));
    assert!(v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["status"] == "INVENTORY"));
    let (_, v) = get(
        &sim,
        &format!("/devices?modifiedSince={SINCE}&pageSize=100000"),
    )
    .await;
    assert!(v["devices"].as_array().unwrap().len() <= 50);
    let (_, v) = get(
        &sim,
        &format!("/devices?modifiedSince={SINCE}&accountId=999"),
    )
    .await;
    assert_eq!(v["devices"], json!([]));
    // Only devices modified since the given time.
    let (_, v) = get(&sim, "/devices?modifiedSince=2026-11-24T03%3A00%3A00Z").await;
    assert_eq!(v["devices"], json!([]));
}

#[tokio::test]
async fn device_search_rejects_bad_parameters() {
    let sim = Simulator::start().await;
    for q in [
        "",
        "?modifiedSince=yesterday",
        "?modifiedSince=2024-01-01T00:00:00Z",
        "?modifiedSince=2026-01-01T00:00:00Z&modifiedTill=2025-01-01T00:00:00Z",
        "?modifiedSince=2026-01-01T00:00:00Z&status=ASLEEP",
        "?modifiedSince=2026-01-01T00:00:00Z&pageNumber=0",
        "?modifiedSince=2026-01-01T00:00:00Z&pageSize=-3",
    ] {
        let (s, v) = get(&sim, &format!("/devices{q}")).await;
        assert_eq!(s, 400, "{q}: {v}");
        assert_error(&v, "10000003");
    }
}

#[tokio::test]
async fn put_deactivated_is_seen_on_every_surface() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let (s, v) = put(&sim, &iccid, json!({"status": "DEACTIVATED"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v, json!({"iccid": iccid}));
    let (_, v) = get(&sim, &format!("/devices/{iccid}")).await;
    assert_eq!(v["status"], "DEACTIVATED");
    let card = Admin::new(&sim).card(&iccid).await;
    assert_eq!(card["state"], "suspended");
    assert_eq!(card["reasons"], json!(["manual"]));
    let d = cmp_details(&sim, &iccid).await;
    assert_eq!(d["data"]["terminals"][0]["simStatus"], "3");
    // The audit trail records the change.
    let (s, v) = get(&sim, &format!("/devices/{iccid}/auditTrails")).await;
    assert_eq!(s, 200);
    let first = &v["deviceAuditTrails"][0];
    assert_eq!(first["field"], "status");
    assert_eq!(first["priorValue"], "ACTIVATED");
    assert_eq!(first["value"], "DEACTIVATED");
    parse_jdate(first["effectiveDate"].as_str().unwrap());
    // And back.
    let (s, _) = put(&sim, &iccid, json!({"status": "ACTIVATED"})).await;
    assert_eq!(s, 200);
    assert_eq!(Admin::new(&sim).card(&iccid).await["state"], "active");
}

#[tokio::test]
async fn refused_status_changes_answer_400_and_change_nothing() {
    let sim = Simulator::start().await;
    for (tag, target) in [
        ("arrears", "ACTIVATED"),
        ("over-quota", "ACTIVATED"),
        ("expired", "ACTIVATED"),
        ("expired", "DEACTIVATED"),
        ("cancelled", "ACTIVATED"),
        ("normal", "RETIRED"),
        ("normal", "PURGED"),
        ("normal", "INVENTORY"),
        ("inventory", "DEACTIVATED"),
    ] {
        let iccid = Admin::new(&sim).iccid_by_tag("cucc", tag).await;
        let before = Admin::new(&sim).card(&iccid).await;
        let (s, v) = put(
            &sim,
            &iccid,
            json!({"status": target, "accountCustom1": "should-not-stick"}),
        )
        .await;
        assert_eq!(s, 400, "{tag} → {target}: {v}");
        // Back to a pre-activation state has the platform's own code and
        // text (Control Center error catalogue as quoted by a Tele2
        // integration, public code index file 56233037030); the rest are
        // the simulator's business-rule code.
        if target == "INVENTORY" {
            assert_error(&v, "10000029");
            assert_eq!(
                v["errorMessage"],
                "This SIM may not be moved back to a Pre Activation status"
            );
        } else {
            assert_error(&v, "30000001");
        }
        let after = Admin::new(&sim).card(&iccid).await;
        assert_eq!(before["state"], after["state"], "{tag}");
        assert_eq!(before["reasons"], after["reasons"], "{tag}");
        let (_, d) = get(&sim, &format!("/devices/{iccid}")).await;
        assert_eq!(d["accountCustom1"], "", "{tag}");
    }
}

#[tokio::test]
async fn pre_activation_moves_and_activation() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "inventory").await;
    let (s, _) = put(&sim, &iccid, json!({"status": "TEST_READY"})).await;
    assert_eq!(s, 200);
    assert_eq!(Admin::new(&sim).card(&iccid).await["state"], "test_ready");
    let (s, _) = put(&sim, &iccid, json!({"status": "ACTIVATED"})).await;
    assert_eq!(s, 200);
    let (_, v) = get(&sim, &format!("/devices/{iccid}")).await;
    assert_eq!(v["status"], "ACTIVATED");
    parse_jdate(v["dateActivated"].as_str().unwrap());
}

#[tokio::test]
async fn first_data_use_activates_activation_ready_and_test_ready_after_allowance() {
    let sim = Simulator::start().await;
    let ar = Admin::new(&sim)
        .iccid_by_tag("cucc", "activation-ready")
        .await;
    Admin::new(&sim)
        .card_action(&ar, json!({"action": "use_data", "bytes": 1024}))
        .await;
    let (_, v) = get(&sim, &format!("/devices/{ar}")).await;
    assert_eq!(v["status"], "ACTIVATED");
    let activated = parse_jdate(v["dateActivated"].as_str().unwrap());
    assert_eq!(activated, sim.world().now());

    let tr = Admin::new(&sim).iccid_by_tag("cucc", "test-ready").await;
    Admin::new(&sim)
        .card_action(&tr, json!({"action": "use_data", "bytes": "1MB"}))
        .await;
    let (_, v) = get(&sim, &format!("/devices/{tr}")).await;
    assert_eq!(v["status"], "TEST_READY");
    assert!(v["dateActivated"].is_null());
    // The fixture's plan has a 10 MB test allowance.
    Admin::new(&sim)
        .card_action(&tr, json!({"action": "use_data", "bytes": "10MB"}))
        .await;
    let (_, v) = get(&sim, &format!("/devices/{tr}")).await;
    assert_eq!(v["status"], "ACTIVATED");
    parse_jdate(v["dateActivated"].as_str().unwrap());
}

#[tokio::test]
async fn put_edits_fields_and_records_them() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let (s, v) = put(
        &sim,
        &iccid,
        json!({
            "accountCustom3": "floor-2",
            "customerCustom5": "c5",
            "operatorCustom1": "o1",
            "deviceID": "dev-001",
            "modemID": "modem-9",
            "communicationPlan": "CP-DATA",
            "overageLimitOverride": "TEMPORARY_OVERRIDE",
            "customer": "Acme",
            "ratePlan": "RP-POOL500",
        }),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = get(&sim, &format!("/devices/{iccid}")).await;
    assert_eq!(v["accountCustom3"], "floor-2");
    assert_eq!(v["customerCustom5"], "c5");
    assert_eq!(v["operatorCustom1"], "o1");
    assert_eq!(v["deviceID"], "dev-001");
    assert_eq!(v["modemID"], "modem-9");
    assert_eq!(v["communicationPlan"], "CP-DATA");
    assert_eq!(v["customer"], "Acme");
    assert_eq!(v["ratePlan"], "RP-POOL500");
    assert_eq!(
        Admin::new(&sim).card(&iccid).await["plan"],
        "cucc-pool-500m"
    );
    let (_, u) = get(&sim, &format!("/devices/{iccid}/ctdUsages")).await;
    assert_eq!(u["overageLimitOverride"], "TEMPORARY_OVERRIDE");
    let (_, a) = get(&sim, &format!("/devices/{iccid}/auditTrails")).await;
    let fields: Vec<&str> = a["deviceAuditTrails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["field"].as_str().unwrap())
        .collect();
    for f in ["accountCustom3", "deviceID", "ratePlan"] {
        assert!(fields.contains(&f), "{fields:?}");
    }
    let rp = a["deviceAuditTrails"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["field"] == "ratePlan")
        .unwrap();
    assert_eq!(rp["priorValue"], "RP-1G");
    assert_eq!(rp["value"], "RP-POOL500");
    assert_eq!(rp["userName"], USER);
    // The search filters by custom fields.
    let (_, v) = get(
        &sim,
        &format!("/devices?modifiedSince={SINCE}&accountCustom3=floor-2"),
    )
    .await;
    assert_eq!(v["devices"].as_array().unwrap().len(), 1);
    assert_eq!(v["devices"][0]["iccid"], iccid.as_str());
}

#[tokio::test]
async fn malformed_edits_answer_400_json() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let path = format!("/devices/{iccid}");
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (b"{}".to_vec(), 400),
        (b"not json".to_vec(), 400),
        (b"[1,2]".to_vec(), 400),
        (br#"{"status": 3}"#.to_vec(), 400),
        (br#"{"status": "SLEEPING"}"#.to_vec(), 400),
        (br#"{"favouriteColour": "blue"}"#.to_vec(), 400),
        (br#"{"ratePlan": "NO-SUCH-PLAN"}"#.to_vec(), 400),
        (br#"{"ratePlan": "CMCC-PLAN", "x": 1}"#.to_vec(), 400),
        (br#"{"overageLimitOverride": "ALWAYS"}"#.to_vec(), 400),
        (br#"{"effectiveDate": "someday"}"#.to_vec(), 400),
        (vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'], 400),
        (
            format!("{{\"simNotes\": \"{}\"}}", "x".repeat(200_000)).into_bytes(),
            413,
        ),
    ];
    for (body, status) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).to_string();
        let (s, v) = raw(&sim, reqwest::Method::PUT, &path, body).await;
        assert_eq!(s, status, "{shown}: {v}");
        assert!(v["errorCode"].is_string(), "{shown}: {v}");
    }
    assert_eq!(Admin::new(&sim).card(&iccid).await["state"], "active");
}

#[tokio::test]
async fn unknown_paths_versions_and_methods() {
    let sim = Simulator::start().await;
    let r = client()
        .get(format!("{}/rws/api/v2/echo/x", sim.uri()))
        .basic_auth(USER, Some(KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_error(&r.json().await.unwrap(), "10000024");
    let (s, v) = get(&sim, "/devices/%FF%FE").await;
    assert_eq!(s, 400);
    assert_error(&v, "10000003");
    let (s, v) = get(&sim, "/nothing/here").await;
    assert_eq!(s, 404);
    assert_error(&v, "20000001");
    let (s, v) = raw(
        &sim,
        reqwest::Method::DELETE,
        "/devices/89860600000000000013",
        vec![],
    )
    .await;
    assert_eq!(s, 405);
    assert!(v["errorCode"].is_string());
}

#[tokio::test]
async fn ctd_usages_are_bytes_counts_and_seconds() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let card = Admin::new(&sim).card(&iccid).await;
    let (s, v) = get(&sim, &format!("/devices/{iccid}/ctdUsages")).await;
    assert_eq!(s, 200);
    assert_eq!(v["ctdDataUsage"], card["usage"]["data_bytes"]);
    assert_eq!(v["ctdDataUsage"], 373_502_771u64);
    assert_eq!(v["ctdSMSUsage"], card["usage"]["sms"]);
    assert_eq!(v["ctdVoiceUsage"], card["usage"]["voice_seconds"]);
    assert!(v["ctdSessionCount"].is_u64());
    assert_eq!(v["overageLimitReached"], false);
    assert_eq!(v["overageLimitOverride"], "DEFAULT");
    assert_eq!(v["status"], "ACTIVATED");
    // Usage shows at once.
    Admin::new(&sim)
        .card_action(&iccid, json!({"action": "use_data", "bytes": 1000}))
        .await;
    let (_, v) = get(&sim, &format!("/devices/{iccid}/ctdUsages")).await;
    assert_eq!(v["ctdDataUsage"], 373_503_771u64);
    let oq = Admin::new(&sim).iccid_by_tag("cucc", "over-quota").await;
    let (_, v) = get(&sim, &format!("/devices/{oq}/ctdUsages")).await;
    assert_eq!(v["overageLimitReached"], true);
    let (s, v) = get(&sim, "/devices/12/ctdUsages").await;
    assert_eq!(s, 400);
    assert_error(&v, "10000003");
}

#[tokio::test]
async fn session_info_and_location_history() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let (s, v) = get(&sim, &format!("/devices/{iccid}/sessionInfo")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["iccid"], iccid.as_str());
    for f in ["ipAddress", "ipv6Address", "apn"] {
        assert!(v[f].is_string(), "{f}");
    }
    // The fixture's normal card is online: started set, ended null.
    parse_jdate(v["dateSessionStarted"].as_str().unwrap());
    assert!(v["dateSessionEnded"].is_null());
    let inv = Admin::new(&sim).iccid_by_tag("cucc", "inventory").await;
    let (_, v) = get(&sim, &format!("/devices/{inv}/sessionInfo")).await;
    assert!(v["dateSessionStarted"].is_null());
    assert!(v["dateSessionEnded"].is_null());

    let (s, v) = get(
        &sim,
        &format!("/devices/{iccid}/locationHistory?fromDate=2026-01-01T00%3A00%3A00%2B00%3A00"),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["lastPage"], true);
    let rows = v["locationHistory"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["latitude"].is_f64());
    parse_jdate(rows[0]["dateLocated"].as_str().unwrap());
    let (s, v) = get(
        &sim,
        &format!("/devices/{iccid}/locationHistory?fromDate=bad"),
    )
    .await;
    assert_eq!(s, 400);
    assert_error(&v, "10000003");
}

#[tokio::test]
async fn audit_trails_validate_history_window() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let (s, v) = get(
        &sim,
        &format!("/devices/{iccid}/auditTrails?daysOfHistory=400"),
    )
    .await;
    assert_eq!(s, 400);
    assert_error(&v, "10000003");
    let (s, v) = get(
        &sim,
        &format!("/devices/{iccid}/auditTrails?daysOfHistory=365&pageSize=1"),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["pageNumber"], 1);
    assert!(v["deviceAuditTrails"].as_array().unwrap().len() <= 1);
    assert!(v["lastPage"].is_boolean());
}

#[tokio::test]
async fn usage_in_zone_and_usages_by_rate_plan() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let (s, v) = get(
        &sim,
        &format!("/devices/{iccid}/usageInZone?cycleStartDate=2026-11-01Z"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let rows = v["deviceCycleUsageInZones"]["China"].as_array().unwrap();
    assert_eq!(rows[0]["dataUsage"], 373_502_771u64);
    assert_eq!(rows[0]["ratePlan"], "RP-1G");
    let (s, v) = get(
        &sim,
        &format!("/devices/{iccid}/usageInZone?cycleStartDate=Nov-2026"),
    )
    .await;
    assert_eq!(s, 400);
    assert_error(&v, "10000003");

    // Usage of every device on the plan, paged.
    let mut page = 1;
    let mut found = None;
    loop {
        let (s, v) = get(
            &sim,
            &format!("/usages?ratePlanName=RP-1G&cycleStartDate=2026-11-01%2B00%3A00&pageSize=5&pageNumber={page}"),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        for r in v["deviceCycleUsages"].as_array().unwrap() {
            if r["iccid"] == iccid.as_str() {
                found = Some(r.clone());
            }
        }
        if v["lastPage"] == true {
            break;
        }
        page += 1;
    }
    let row = found.expect("normal card listed");
    assert_eq!(row["dataUsage"], 373_502_771u64);
    let (_, v) = get(&sim, "/usages?ratePlanName=RP-1G&usageType=SMS").await;
    assert!(v["deviceCycleUsages"][0].get("dataUsage").is_none());
    assert!(v["deviceCycleUsages"][0]["smsUsage"].is_u64());
    for q in [
        "",
        "?ratePlanName=NOPE",
        "?ratePlanName=RP-1G&usageType=FAX",
        "?ratePlanName=RP-1G&cycleStartDate=2026-99-01Z",
    ] {
        let (s, v) = get(&sim, &format!("/usages{q}")).await;
        assert_eq!(s, 400, "{q}");
        assert_error(&v, "10000003");
    }
}

#[tokio::test]
async fn sms_send_search_and_details() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let r = client()
        .post(format!("{}/devices/{iccid}/smsMessages", sim.cucc_url()))
        .basic_auth(USER, Some(KEY))
        .json(&json!({"messageText": "reboot now", "tpvp": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.unwrap();
    let id = v["smsMessageId"].as_u64().unwrap();
    // Delivered to the card's inbox.
    let card = sim.world().card(&iccid).unwrap();
    assert!(card
        .inbox
        .iter()
        .any(|m| m.id == id && m.text == "reboot now"));
    // The card texts 10010 (MO).
    let mo = sim
        .world()
        .record_sent_by_card(&iccid, "10010", "CXLL")
        .unwrap();

    let (s, v) = get(
        &sim,
        &format!("/smsMessages?fromDate=2026-01-01T00%3A00%3A00%2B00%3A00&iccid={iccid}"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let ids: Vec<u64> = v["smsMsgIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert!(ids.contains(&id) && ids.contains(&mo.id), "{ids:?}");
    assert_eq!(v["lastPage"], true);
    let (_, v) = get(
        &sim,
        &format!("/smsMessages?fromDate={SINCE}&iccid={iccid}&msgType=MO"),
    )
    .await;
    assert_eq!(v["smsMsgIds"], json!([mo.id]));

    let (s, v) = get(&sim, &format!("/smsMessages/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(v["smsMsgId"], id);
    assert_eq!(v["msgType"], "MT");
    assert_eq!(v["messageText"], "reboot now");
    assert_eq!(v["iccid"], iccid.as_str());
    parse_jdate(v["dateSent"].as_str().unwrap());
    let (_, v) = get(
        &sim,
        &format!("/smsMessages/{}?messageEncoding=BASE64", mo.id),
    )
    .await;
    assert_eq!(v["msgType"], "MO");
    assert_eq!(v["sentTo"], "10010");
    assert_eq!(
        v["messageText"],
        base64::engine::general_purpose::STANDARD.encode("CXLL")
    );

    // Errors.
    let (s, v) = get(&sim, "/smsMessages/999999").await;
    assert_eq!(s, 404);
    assert_error(&v, "20000001");
    let (s, _) = get(&sim, "/smsMessages/abc").await;
    assert_eq!(s, 400);
    let (s, _) = get(&sim, &format!("/smsMessages/{id}?messageEncoding=ROT13")).await;
    assert_eq!(s, 400);
    for q in [
        "",
        "?fromDate=nope",
        "?fromDate=2026-01-01T00:00:00Z&msgType=XX",
    ] {
        let (s, v) = get(&sim, &format!("/smsMessages{q}")).await;
        assert_eq!(s, 400, "{q}");
        assert_error(&v, "10000003");
    }
    // Another account cannot read the message.
    let (s, _) = get_as(&sim, &format!("/smsMessages/{id}"), OTHER_USER, OTHER_KEY).await;
    assert_eq!(s, 404);
    let path = format!("/devices/{iccid}/smsMessages");
    for body in [
        json!({}),
        json!({"messageText": 5}),
        json!({"messageText": ""}),
        json!({"messageText": "x", "colour": "red"}),
        json!({"messageText": "x", "messageEncoding": "EBCDIC"}),
    ] {
        let (s, v) = raw(&sim, reqwest::Method::POST, &path, body.to_string().into()).await;
        assert_eq!(s, 400, "{body}");
        assert_error(&v, "10000003");
    }
    // A purged (cancelled) SIM cannot receive.
    let gone = Admin::new(&sim).iccid_by_tag("cucc", "cancelled").await;
    let (s, v) = raw(
        &sim,
        reqwest::Method::POST,
        &format!("/devices/{gone}/smsMessages"),
        br#"{"messageText": "hi"}"#.to_vec(),
    )
    .await;
    assert_eq!(s, 400);
    assert_error(&v, "30000001");
}

/// A client as the known SDKs behave: Basic auth, `Accept:
/// application/json`, on 429 sleep 1 s and retry, at most 3 attempts.
async fn sdk_get(http: &reqwest::Client, url: &str) -> (u16, Value, u32) {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let r = http
            .get(url)
            .basic_auth(USER, Some(KEY))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        if status == 429 && attempts < 3 {
            assert_error(&body, RATE_LIMITED);
            tokio::time::sleep(Duration::from_millis(1000)).await;
            continue;
        }
        return (status, body, attempts);
    }
}

#[tokio::test]
async fn client_behaviour_with_rate_limit_retries_and_paging() {
    let fixture = format!(
        "{}\n[dialects.cucc]\nrate_per_sec = 1\nburst = 2\n",
        carrier_sim::fixture::DEFAULT_FIXTURE
    );
    let sim = Simulator::builder().fixture_str(&fixture).start().await;
    let http = client();
    let base = sim.cucc_url();
    // A burst beyond the bucket is answered 429 with the error body.
    let burst = futures::future::join_all((0..5).map(|_| {
        http.get(format!("{base}/echo/burst"))
            .basic_auth(USER, Some(KEY))
            .send()
    }))
    .await;
    let mut limited = 0;
    for r in burst {
        let r = r.unwrap();
        if r.status().as_u16() == 429 {
            limited += 1;
            assert_error(&r.json().await.unwrap(), RATE_LIMITED);
        }
    }
    assert!(limited >= 2, "{limited}");
    let mut pages = 0;
    let mut total = 0;
    let mut retried = false;
    let mut page = 1;
    loop {
        let url = format!("{base}/devices?modifiedSince=2026-01-01T00%3A00%3A00%2B00%3A00&pageSize=20&pageNumber={page}");
        let (s, v, attempts) = sdk_get(&http, &url).await;
        assert_eq!(s, 200, "{v}");
        retried |= attempts > 1;
        pages += 1;
        total += v["devices"].as_array().unwrap().len();
        if v["lastPage"] == true {
            break;
        }
        page += 1;
    }
    assert!(pages >= 3, "{pages}");
    assert!(total > 40);
    assert!(
        retried,
        "the bucket is dry after the burst: the first page waits"
    );
    // Rate limits are per user name: another user is unaffected.
    let (s, _) = get_as(&sim, "/echo/x", OTHER_USER, OTHER_KEY).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn cmp_terminal_details_has_the_full_field_list() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let v = cmp_details(&sim, &iccid).await;
    let d = &v["data"];
    assert_eq!(d["resultCode"], "0000");
    assert_eq!(d["version"], "1.0");
    let t = &d["terminals"][0];
    assert_eq!(t["iccid"], iccid.as_str());
    assert_eq!(t["simStatus"], "2");
    // 373502771 bytes = 356.20 MB.
    assert_eq!(t["monthToDateDataUsage"], "356.20");
    assert!(t["ratePlan"].is_u64());
    assert!(t["ctdSessionCount"].is_u64());
    for f in [
        "msisdn",
        "imsi",
        "imei",
        "deviceId",
        "realNameStatus",
        "monthToDateUsage",
        "monthToDateSMSUsage",
        "monthToDateSMSUsageMO",
        "monthToDateVoiceUsage",
        "monthToDateVoiceUsageMO",
        "dateShipped",
        "dateModified",
        "dateAdded",
        "dateActivated",
        "dateReceivied",
        "accountId",
        "operatorAccountId",
        "modemId",
        "secureSimId",
        "lockStatus",
        "Customer",
        "overageLimitOverride",
        "fixedIpAddress",
        "simNotes",
        "copyRulePwd",
        "overageLimitReached",
        "fieldValue1",
        "fieldValue10",
        "customerCustom1",
        "customerCustom5",
        "operatorCustom1",
        "operatorCustom5",
        "provinceCusutom1",
        "provinceCusutom5",
    ] {
        assert!(t[f].is_string(), "{f}: {t}");
    }
    assert_eq!(t["accountId"], ACCOUNT_NO);
    let modified = t["dateModified"].as_str().unwrap();
    assert!(
        modified.ends_with(".0") && modified.len() == 21,
        "{modified}"
    );
    // Values as the captured sample in mehunk/china-carrier-iot-sdk
    // packages/cucc-cmp/src/types/response.ts shows them: dateAdded
    // "2020-06-22 10:54:50.0", overageLimitOverride "0", secureSimId "1",
    // and the gateway's own 18-digit messageId "200601007122189938".
    let added = t["dateAdded"].as_str().unwrap();
    assert!(added.ends_with(".0") && added.len() == 21, "{added}");
    assert_eq!(t["overageLimitOverride"], "0");
    assert_eq!(t["secureSimId"], "1");
    let id = d["messageId"].as_str().unwrap();
    assert!(
        id.len() == 18 && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    // Not the caller's trans_id (tests/common/cucc.rs `envelope`), and
    // every answer has its own.
    assert_ne!(id, "20261124100000123000042");
    let again = cmp_details(&sim, &iccid).await;
    assert_ne!(again["data"]["messageId"], d["messageId"]);
    // An override set over REST shows as its code.
    let (s, _) = put(
        &sim,
        &iccid,
        json!({"overageLimitOverride": "TEMPORARY_OVERRIDE"}),
    )
    .await;
    assert_eq!(s, 200);
    let v2 = cmp_details(&sim, &iccid).await;
    assert_eq!(v2["data"]["terminals"][0]["overageLimitOverride"], "1");

    // Unknown card, wrong openId, bad iccids list.
    for (data, code) in [
        (
            json!({"openId": OPEN_ID, "iccids": ["89860699999999999999"]}),
            "1011",
        ),
        (json!({"openId": "someone-else", "iccids": [iccid]}), "1010"),
        (json!({"openId": OPEN_ID, "iccids": "x"}), "1012"),
    ] {
        let (_, v) = cmp(
            &sim,
            "wsGetTerminalDetails",
            envelope(APP_ID, APP_SECRET, data),
        )
        .await;
        assert_eq!(v["status"], "0000");
        assert_eq!(v["data"]["resultCode"], code);
        assert!(v["data"]["resultDesc"].is_string());
    }
}

#[tokio::test]
async fn cmp_gateway_rejects_bad_envelopes() {
    let sim = Simulator::start().await;
    let data = json!({"openId": OPEN_ID, "iccids": ["89860600000000000013"]});
    let (_, v) = cmp(
        &sim,
        "wsGetTerminalDetails",
        envelope(APP_ID, "wrong-secret", data.clone()),
    )
    .await;
    assert_eq!(v["status"], "1003", "{v}");
    assert!(v["message"].is_string());
    let (_, v) = cmp(
        &sim,
        "wsGetTerminalDetails",
        envelope("nope", APP_SECRET, data.clone()),
    )
    .await;
    assert_eq!(v["status"], "1002");
    let mut e = envelope(APP_ID, APP_SECRET, data.clone());
    e["timestamp"] = json!("2026-11-24");
    let (_, v) = cmp(&sim, "wsGetTerminalDetails", e).await;
    assert_eq!(v["status"], "1004");
    let mut e = envelope(APP_ID, APP_SECRET, data);
    e.as_object_mut().unwrap().remove("token");
    let (s, v) = cmp(&sim, "wsGetTerminalDetails", e).await;
    assert_eq!((s, v["status"].as_str()), (400, Some("1001")));
    let r = client()
        .post(format!("{}/api/wsEditTerminal/V1/1Main/vV1.1", sim.uri()))
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "1001");
}

#[tokio::test]
async fn cmp_real_name_status_takes_19_digit_iccids() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let (s, v) = cmp(
        &sim,
        "realNameStatusQuery",
        envelope(APP_ID, APP_SECRET, json!({"iccid": &iccid[..19]})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["status"], "0", "{v}");
    assert_eq!(v["data"]["rspcode"], "0000");
    assert!(v["data"]["rspdesc"].is_string());
    let (_, v) = cmp(
        &sim,
        "realNameStatusQuery",
        envelope(APP_ID, APP_SECRET, json!({"iccid": "8986069999999999999"})),
    )
    .await;
    assert_ne!(v["data"]["rspcode"], "0000");
}

#[tokio::test]
async fn cmp_edit_terminal_changes_status_through_the_rules() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let edit = |iccid: &str, change: &str, target: &str| {
        envelope(
            APP_ID,
            APP_SECRET,
            json!({"openId": OPEN_ID, "version": "1.0", "iccid": iccid,
                   "asynchronous": "0", "changeType": change, "targetValue": target}),
        )
    };
    let (_, v) = cmp(&sim, "wsEditTerminal", edit(&iccid, "3", "3")).await;
    assert_eq!(v["status"], "0000");
    assert_eq!(v["data"]["resultCode"], "0000", "{v}");
    assert_eq!(v["data"]["iccid"], iccid.as_str());
    assert!(v["data"]["effectiveDate"].is_string());
    let (_, d) = get(&sim, &format!("/devices/{iccid}")).await;
    assert_eq!(d["status"], "DEACTIVATED");
    assert_eq!(
        Admin::new(&sim).card(&iccid).await["reasons"],
        json!(["manual"])
    );
    let (_, v) = cmp(&sim, "wsEditTerminal", edit(&iccid, "3", "2")).await;
    assert_eq!(v["data"]["resultCode"], "0000");
    assert_eq!(Admin::new(&sim).card(&iccid).await["state"], "active");

    // Refusals: arrears, back to pre-activation, unknown codes.
    let arrears = Admin::new(&sim).iccid_by_tag("cucc", "arrears").await;
    let (_, v) = cmp(&sim, "wsEditTerminal", edit(&arrears, "3", "2")).await;
    assert_eq!(v["data"]["resultCode"], "1103");
    assert_eq!(Admin::new(&sim).card(&arrears).await["state"], "suspended");
    let (_, v) = cmp(&sim, "wsEditTerminal", edit(&iccid, "3", "1")).await;
    assert_eq!(v["data"]["resultCode"], "1104");
    assert_eq!(v["data"]["resultDesc"], "账户阻止状态变更为预激活状态");
    let (_, v) = cmp(&sim, "wsEditTerminal", edit(&iccid, "3", "42")).await;
    assert_eq!(v["data"]["resultCode"], "1012");
    let (_, v) = cmp(&sim, "wsEditTerminal", edit(&iccid, "9", "2")).await;
    assert_eq!(v["data"]["resultCode"], "1013");
    assert_eq!(Admin::new(&sim).card(&iccid).await["state"], "active");
}

/// Waits for the mock to have received `n` requests (bounded).
async fn received(server: &wiremock::MockServer, n: usize) -> Vec<wiremock::Request> {
    for _ in 0..100 {
        let reqs = server.received_requests().await.unwrap_or_default();
        if reqs.len() >= n {
            return reqs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.received_requests().await.unwrap_or_default()
}

/// Waits until some received push has an event type accepted by `want`.
async fn received_type(server: &wiremock::MockServer, want: fn(&str) -> bool) -> Vec<String> {
    let mut types = Vec::new();
    for _ in 0..100 {
        let reqs = server.received_requests().await.unwrap_or_default();
        types = reqs
            .iter()
            .map(|r| form_of(r)["eventType"].clone())
            .collect();
        if types.iter().any(|t| want(t)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    types
}

fn form_of(r: &wiremock::Request) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(&r.body).into_owned().collect()
}

#[tokio::test]
async fn push_events_reach_the_registered_callback() {
    use wiremock::matchers::{method, path};
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(path("/cb"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let sim = Simulator::start().await;
    let r = client()
        .post(format!("{}/_sim/cucc/push", sim.uri()))
        .json(&json!({"account": "cucc-demo", "url": format!("{}/cb", server.uri())}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let bad = client()
        .post(format!("{}/_sim/cucc/push", sim.uri()))
        .json(&json!({"account": "cucc-demo", "url": "ftp://x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);

    let unknown = client()
        .post(format!("{}/_sim/cucc/push", sim.uri()))
        .json(&json!({"account": "cmcc-demo", "url": server.uri()}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);

    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let (s, _) = put(&sim, &iccid, json!({"status": "DEACTIVATED"})).await;
    assert_eq!(s, 200);
    let reqs = received(&server, 1).await;
    assert_eq!(reqs.len(), 1);
    let ct = reqs[0]
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(ct.starts_with("application/x-www-form-urlencoded"));
    let f = form_of(&reqs[0]);
    assert_eq!(f["eventType"], "SIM_STATE_CHANGE");
    for k in ["eventId", "timestamp", "signature", "signature2"] {
        assert!(!f[k].is_empty(), "{k}");
    }
    let data = &f["data"];
    assert!(data.starts_with("<?xml"));
    assert!(data.contains(&format!("<iccid>{iccid}</iccid>")));
    assert!(data.contains("<previousState>ACTIVATED</previousState>"));
    assert!(data.contains("<currentState>DEACTIVATED</currentState>"));

    // Usage thresholds: the near-quota card crosses 100 %.
    let near = Admin::new(&sim).iccid_by_tag("cucc", "near-quota").await;
    Admin::new(&sim)
        .card_action(&near, json!({"action": "use_data", "bytes": "100MB"}))
        .await;
    let types = received_type(&server, |t| t == "CTD_USAGE").await;
    assert!(types.contains(&"CTD_USAGE".to_string()), "{types:?}");
    // Another carrier's events are not pushed.
    let reqs = server.received_requests().await.unwrap();
    assert!(reqs
        .iter()
        .all(|r| form_of(r)["data"].contains("<iccid>898606")));

    // Unregistered: nothing more is sent.
    let r = client()
        .delete(format!("{}/_sim/cucc/push?account=cucc-demo", sim.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["removed"], true);
    let listed: Value = client()
        .get(format!("{}/_sim/cucc/push", sim.uri()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed["cucc-demo"].is_null());
}

#[tokio::test]
async fn failed_pushes_are_retried() {
    use wiremock::matchers::method;
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    wiremock::Mock::given(method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    let sim = Simulator::start().await;
    client()
        .post(format!("{}/_sim/cucc/push", sim.uri()))
        .json(&json!({"account": "cucc-demo", "url": server.uri()}))
        .send()
        .await
        .unwrap();
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let (s, _) = put(&sim, &iccid, json!({"status": "DEACTIVATED"})).await;
    assert_eq!(s, 200);
    let reqs = received(&server, 2).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(form_of(&reqs[0])["eventId"], form_of(&reqs[1])["eventId"]);
}

/// An account's pushes leave in journal order, a failed one retried before
/// the next is sent; each is signed as docs/cucc.md gives the algorithm
/// (base64 HMAC-SHA256 under the account's apiKey) and every attempt is in
/// the delivery log.
#[tokio::test]
async fn pushes_of_an_account_keep_journal_order_and_are_logged() {
    use hmac::{Hmac, Mac};
    use wiremock::matchers::method;
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    wiremock::Mock::given(method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    let sim = Simulator::start().await;
    let r = client()
        .post(format!("{}/_sim/cucc/push", sim.uri()))
        .json(&json!({"account": USER, "url": server.uri()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    for status in ["DEACTIVATED", "ACTIVATED", "DEACTIVATED"] {
        let (s, _) = put(&sim, &iccid, json!({ "status": status })).await;
        assert_eq!(s, 200);
    }
    let reqs = received(&server, 4).await;
    assert_eq!(reqs.len(), 4, "three pushes, the first one twice");
    let forms: Vec<_> = reqs.iter().map(form_of).collect();
    assert_eq!(forms[0]["eventId"], forms[1]["eventId"], "the retry first");
    let states: Vec<&str> = forms[1..]
        .iter()
        .map(|f| {
            let d = &f["data"];
            let at = d.find("<currentState>").unwrap() + "<currentState>".len();
            &d[at..at + d[at..].find('<').unwrap()]
        })
        .collect();
    assert_eq!(states, ["DEACTIVATED", "ACTIVATED", "DEACTIVATED"]);
    let sign = |text: &str| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
        mac.update(text.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    };
    for f in &forms {
        assert_eq!(f["signature"], sign(&f["timestamp"]));
        let all = format!(
            "{}{}{}{}",
            f["eventId"], f["eventType"], f["timestamp"], f["data"]
        );
        assert_eq!(f["signature2"], sign(&all));
    }
    let log: Value = client()
        .get(format!(
            "{}/_sim/cucc/push/deliveries?account={USER}",
            sim.uri()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let attempts: Vec<(u64, u64)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["attempt"].as_u64().unwrap(),
                d["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(attempts, [(1, 503), (2, 200), (1, 200), (1, 200)]);
    assert_eq!(log["items"][0]["event_id"], forms[0]["eventId"].as_str());
    assert_eq!(log["items"][0]["event_type"], "SIM_STATE_CHANGE");
    assert_eq!(log["items"][0]["account"], USER);
}

#[tokio::test]
async fn imei_changes_are_pushed_as_imei_change() {
    use wiremock::matchers::method;
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let sim = Simulator::start().await;
    let r = client()
        .post(format!("{}/_sim/cucc/push", sim.uri()))
        .json(&json!({"account": "cucc-demo", "url": server.uri()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // No API of the simulator moves an IMEI yet: the network's report is
    // fed to the journal as the engine would.
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let w = sim.world();
    w.journal.append(vec![carrier_sim::domain::Event {
        seq: 0,
        time: w.now(),
        iccid: iccid.as_str().into(),
        account: "cucc-demo".into(),
        kind: carrier_sim::domain::EventKind::ImeiChanged {
            from: "860070000010019".into(),
            to: "359881234567890".into(),
        },
    }]);
    received_type(&server, |t| t == "IMEI_CHANGE").await;
    let reqs = server.received_requests().await.unwrap();
    let f = form_of(&reqs[0]);
    assert_eq!(f["eventType"], "IMEI_CHANGE");
    assert!(f["data"].contains("<previousImei>860070000010019</previousImei>"));
    assert!(f["data"].contains("<currentImei>359881234567890</currentImei>"));
    assert!(f["data"].contains(&format!("<iccid>{iccid}</iccid>")));
}

#[tokio::test]
async fn push_url_from_the_fixture_and_session_events() {
    use wiremock::matchers::method;
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let fixture = format!(
        "{}\n[dialects.cucc]\npush_url = \"{}/events\"\n",
        carrier_sim::fixture::DEFAULT_FIXTURE,
        server.uri()
    );
    let sim = Simulator::builder().fixture_str(&fixture).start().await;
    let listed: Value = client()
        .get(format!("{}/_sim/cucc/push", sim.uri()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["cucc-demo"], format!("{}/events", server.uri()));
    // Traces open and close sessions as the clock moves.
    sim.advance("2d").unwrap();
    let types = received_type(&server, |t| t.starts_with("SESSION_")).await;
    assert!(types.iter().any(|t| t.starts_with("SESSION_")), "{types:?}");
    assert!(
        types.iter().all(|t| [
            "SIM_STATE_CHANGE",
            "IMEI_CHANGE",
            "CTD_USAGE",
            "SESSION_START",
            "SESSION_STOP"
        ]
        .contains(&t.as_str())),
        "{types:?}"
    );
}

#[tokio::test]
async fn random_garbage_never_gets_a_5xx_or_a_non_json_answer() {
    use rand::{Rng, SeedableRng};
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let pieces = [
        "{",
        "}",
        "[",
        "]",
        "\"",
        ":",
        ",",
        "status",
        "ACTIVATED",
        "null",
        "1e999",
        "\\u0000",
        "ratePlan",
        "é",
        "\u{0}",
        "true",
        "-1",
        "accountCustom1",
    ];
    for i in 0..150 {
        let mut body: Vec<u8> = Vec::new();
        for _ in 0..rng.random_range(0..12) {
            if rng.random_bool(0.2) {
                body.push(rng.random());
            } else {
                body.extend_from_slice(pieces[rng.random_range(0..pieces.len())].as_bytes());
            }
        }
        let (method, path) = match i % 3 {
            0 => (reqwest::Method::PUT, format!("/devices/{iccid}")),
            1 => (
                reqwest::Method::POST,
                format!("/devices/{iccid}/smsMessages"),
            ),
            _ => {
                let q: String = (0..rng.random_range(0..20))
                    .map(|_| {
                        let c = b"az09%&=+:-T Z"[rng.random_range(0..13)];
                        c as char
                    })
                    .collect();
                (reqwest::Method::GET, format!("/devices?modifiedSince={q}"))
            }
        };
        let r = client()
            .request(method, format!("{}{path}", sim.cucc_url()))
            .basic_auth(USER, Some(KEY))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(status < 500, "{path} {body:?} → {status}");
        let v: Value = r.json().await.expect("a JSON body");
        if status >= 400 {
            assert!(v["errorCode"].is_string(), "{v}");
        }
    }
}

// ---- Search Devices in modification order (issue 16, part 2) ----
//
// Cisco's Search Devices doc (developer.cisco.com/docs/control-center/
// search-devices): "Records are sorted by modification date in ascending
// order with the oldest device change listed first", paged by
// `pageNumber`/`pageSize` (≤ 50) until `lastPage`. Its public DevNet sample
// output (Cisco's Control Center Java sample README) shows the four entry
// fields `iccid`, `status`, `ratePlan`, `communicationPlan`.

/// The default fleet without usage traces (only the test changes cards)
/// and without the REST rate limit.
fn quiet_fixture() -> String {
    let fleet = carrier_sim::fixture::DEFAULT_FIXTURE
        .split("\n[[traces]]")
        .next()
        .unwrap();
    format!("{fleet}\n[dialects.cucc]\nrate_per_sec = 0\n")
}

/// `yyyy-MM-dd HH:mm:ss.SSS+0000` as a URL-encoded ISO-8601
/// `modifiedSince` (`yyyy-MM-ddTHH:mm:ss.SSS+00:00`).
fn iso_param(jdate: &str) -> String {
    format!("{}T{}+00:00", &jdate[..10], &jdate[11..23])
        .replace(':', "%3A")
        .replace('+', "%2B")
}

/// One page of `/devices` as `(dateUpdated, iccid)` pairs (asked with
/// `fields=iccid,dateUpdated`) and `lastPage`.
async fn search_page(
    base: &str,
    since: &str,
    page: usize,
    size: usize,
) -> (Vec<(String, String)>, bool) {
    let r = client()
        .get(format!(
            "{base}/devices?modifiedSince={since}&pageSize={size}&pageNumber={page}&fields=iccid,dateUpdated"
        ))
        .basic_auth(USER, Some(KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["pageNumber"], page);
    let entries = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d.as_object().unwrap().len(), 2, "{d}");
            (
                d["dateUpdated"].as_str().unwrap().to_string(),
                d["iccid"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (entries, v["lastPage"] == true)
}

/// Every page of `/devices?modifiedSince=since`, pageSize 5.
async fn search_all(base: &str, since: &str) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for page in 1.. {
        let (entries, last) = search_page(base, since, page, 5).await;
        all.extend(entries);
        if last {
            break;
        }
        assert!(page < 1000);
    }
    all
}

async fn advance_one_second(admin: &Admin) {
    let (s, v) = admin
        .call(
            reqwest::Method::POST,
            "/_sim/clock",
            Some(json!({"advance": "1s"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn device_search_lists_changes_oldest_first_and_pages_stay_put() {
    let sim = Simulator::builder()
        .fixture_str(&quiet_fixture())
        .start()
        .await;
    let admin = Admin::new(&sim);
    let base = sim.cucc_url();
    let since = "2026-01-01T00%3A00%3A00%2B00%3A00";

    // Untouched fleet: every card at the fixture's start, ties by ICCID.
    let all = search_all(&base, since).await;
    assert!(all.len() > 20);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ascending");
    let start = all[0].0.clone();
    assert!(all.iter().all(|e| e.0 == start));

    // A client has read page 1; a device of that page changes; page 2
    // does not slide (what it lists is still unread), page 1 no longer
    // lists the device, which now comes last with its new date.
    let (p1, _) = search_page(&base, since, 1, 5).await;
    let (p2, _) = search_page(&base, since, 2, 5).await;
    advance_one_second(&admin).await;
    let moved = p1[1].1.clone();
    let (s, _) = put(&sim, &moved, json!({"accountCustom2": "moved"})).await;
    assert_eq!(s, 200);
    assert_eq!(search_page(&base, since, 2, 5).await.0, p2);
    let (p1_after, _) = search_page(&base, since, 1, 5).await;
    assert_eq!(p1_after.len(), 4);
    assert!(p1_after.iter().all(|e| e.1 != moved));
    let after = search_all(&base, since).await;
    assert_eq!(after.len(), all.len(), "each device once");
    assert!(after.windows(2).all(|w| w[0] < w[1]), "ascending");
    let (changed_at, last) = after.last().unwrap().clone();
    assert_eq!(last, moved);
    assert!(changed_at > start);
    let (_, d) = get(&sim, &format!("/devices/{moved}")).await;
    assert_eq!(d["dateUpdated"], changed_at.as_str());

    // modifiedSince is inclusive: from the change on, only that device.
    let just = search_all(&base, &iso_param(&changed_at)).await;
    assert_eq!(just, vec![(changed_at.clone(), moved.clone())]);
    // Without `fields`, the entry has Control Center's four fields.
    let (_, v) = get(&sim, &format!("/devices?modifiedSince={since}&pageSize=1")).await;
    let mut keys: Vec<&str> = v["devices"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["communicationPlan", "iccid", "ratePlan", "status"]);
    // A status filter reads the same index: since the change, the device
    // under its status, nothing under another one.
    let status = d["status"].as_str().unwrap();
    let other = if status == "ACTIVATED" {
        "DEACTIVATED"
    } else {
        "ACTIVATED"
    };
    let changed_since = iso_param(&changed_at);
    let (_, v) = get(
        &sim,
        &format!("/devices?modifiedSince={changed_since}&status={status}"),
    )
    .await;
    assert_eq!(v["devices"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["devices"][0]["iccid"], moved.as_str());
    let (_, v) = get(
        &sim,
        &format!("/devices?modifiedSince={changed_since}&status={other}"),
    )
    .await;
    assert_eq!(v["devices"], json!([]));

    // The SOAP API's GetModifiedTerminals reads the same index: `since`
    // is exclusive (Jasper schema), so since the fixture start it lists
    // only the changed terminal (spec: calvernaz/jasper-wireless-api
    // JasperAPI.xsd, GetModifiedTerminalsRequest).
    let start_iso = format!("{}T{}Z", &start[..10], &start[11..23]);
    let env = crate::common::cucc::java_envelope(
        USER,
        crate::common::cucc::SOAP_PASSWORD,
        crate::common::cucc::LICENSE,
        "GetModifiedTerminals",
        &crate::common::cucc::sch("since", &start_iso),
    );
    let (s, _, body) = crate::common::cucc::soap_post(
        &sim,
        "/ws/service/terminal",
        "http://api.jasperwireless.com/ws/service/terminal/GetModifiedTerminals",
        env,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.contains(&format!(
            "<ns2:iccids><ns2:iccid>{moved}</ns2:iccid></ns2:iccids><ns2:totalPages>1</ns2:totalPages>"
        )),
        "{body}"
    );
}

/// An incremental sync as the Search Devices doc suggests: keep the last
/// `dateUpdated` received, ask again from there (inclusive, so the entries
/// at exactly that instant that were already received are skipped), page
/// to `lastPage` each round — while another task keeps changing devices,
/// a second of simulated time apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_sync_while_devices_change_loses_and_repeats_nothing() {
    let sim = Simulator::builder()
        .fixture_str(&quiet_fixture())
        .start()
        .await;
    let admin = Admin::new(&sim);
    let base = sim.cucc_url();
    let (_, v) = admin
        .call(
            reqwest::Method::GET,
            "/_sim/cards?carrier=cucc&account=cucc-demo&page_size=1000",
            None,
        )
        .await;
    let cards: Vec<String> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["iccid"].as_str().unwrap().to_string())
        .collect();
    assert!(cards.len() > 20);

    // The editor: 80 changes of pseudo-random devices (repeats included).
    let editor = {
        let (admin, base, cards) = (Admin::at(sim.uri()), base.clone(), cards.clone());
        tokio::spawn(async move {
            let mut made: Vec<(String, String)> = Vec::new();
            let mut x: u64 = 0x9e37_79b9;
            for i in 0..80 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let iccid = cards[(x >> 33) as usize % cards.len()].clone();
                advance_one_second(&admin).await;
                let r = client()
                    .put(format!("{base}/devices/{iccid}"))
                    .basic_auth(USER, Some(KEY))
                    .json(&json!({"accountCustom2": format!("edit-{i}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let d: Value = client()
                    .get(format!("{base}/devices/{iccid}"))
                    .basic_auth(USER, Some(KEY))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                made.push((d["dateUpdated"].as_str().unwrap().to_string(), iccid));
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            made
        })
    };

    // The syncer.
    let mut received: Vec<(String, String)> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut rounds = 0;
    loop {
        let finished = editor.is_finished();
        let since = cursor
            .as_deref()
            .map_or("2026-01-01T00%3A00%3A00%2B00%3A00".to_string(), iso_param);
        for page in 1.. {
            let (entries, last) = search_page(&base, &since, page, 3).await;
            for e in entries {
                let boundary = cursor.as_deref() == Some(e.0.as_str());
                if !(boundary && received.contains(&e)) {
                    received.push(e);
                }
            }
            if last {
                break;
            }
        }
        rounds += 1;
        cursor = received.last().map(|e| e.0.clone());
        if finished {
            break;
        }
    }
    let made = editor.await.unwrap();

    // Ascending dateUpdated, no change twice.
    assert!(
        received.windows(2).all(|w| w[0].0 <= w[1].0),
        "ascending: {received:?}"
    );
    let mut unique = received.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), received.len(), "no change received twice");
    // Every received entry is a real change: the fixture's state or an edit.
    let start = received[0].0.clone();
    for e in &received {
        assert!(e.0 == start || made.contains(e), "{e:?} was never made");
    }
    // Nothing lost: every device's final state was received, and every
    // edit was received unless the device changed again before the sync
    // reached it (then its later change was).
    for iccid in &cards {
        let (_, d) = get(&sim, &format!("/devices/{iccid}")).await;
        let last = (
            d["dateUpdated"].as_str().unwrap().to_string(),
            iccid.clone(),
        );
        assert!(received.contains(&last), "{last:?} lost");
    }
    for e in &made {
        assert!(
            received.contains(e) || received.iter().any(|r| r.1 == e.1 && r.0 > e.0),
            "{e:?} lost"
        );
    }
    // The run really interleaved: several rounds, edits seen on the way.
    assert!(rounds > 2, "{rounds}");
    let seen_edits = made.iter().filter(|e| received.contains(e)).count();
    assert!(seen_edits > 20, "{seen_edits}");
}

#[tokio::test]
async fn esim_fields_come_from_the_card() {
    let sim = Simulator::start().await;
    let iccid = Admin::new(&sim).iccid_by_tag("cucc", "normal").await;
    let eid = "89049032004008882600013461000000";
    let (s, v) = Admin::new(&sim)
        .call(
            reqwest::Method::PATCH,
            &format!("/_sim/cards/{iccid}"),
            Some(json!({"attrs": {"cucc.euiccid": eid, "cucc.simProfileId": "SP-2"}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, d) = get(&sim, &format!("/devices/{iccid}")).await;
    assert_eq!(d["euiccid"], eid);
    assert_eq!(d["simProfileId"], "SP-2");
}
