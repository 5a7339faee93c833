//! An injected fault and the real condition answer the same bytes. For
//! every carrier and each of its dialects (CMCC v5 and v2, CUCC REST and the
//! CMP gateway, CTCC m2m_ec and the 5G CMP), a request that really meets a
//! condition (rejected credentials, an unknown card, another account's card,
//! an exhausted rate limit) is sent once as it is, then once more with a
//! `carrier_error` fault of the matching neutral kind in force: status,
//! content type, `WWW-Authenticate` and body must be identical, and the
//! fault must have fired.
//!
//! Sources for the real conditions: CMCC `12021`/`12004`/`12010`/`12009`
//! (spec cmcc.md error table, mehunk/china-carrier-iot-sdk packages/cmcc);
//! CUCC 401/404/429 (spec cucc.md; mehunk packages/cucc retries on 429);
//! CUCC CMP `1003` and `1011` (spec cucc.md §8); CTCC `-1`, `-4`,
//! `该号码和用户没有绑定` and `101004` (spec ctcc.md §6).

use crate::common::admin::Admin;
use crate::common::{cmcc, ctcc, cucc};
use carrier_sim::carriers::ctcc::des::TripleKey;
use carrier_sim::carriers::ctcc::sign::{g5_sign, joined};
use carrier_sim::Simulator;
use reqwest::{Client, RequestBuilder};
use serde_json::{json, Value};

/// Everything a client can see of an answer.
#[derive(Clone, Debug, PartialEq)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    www_authenticate: Option<String>,
    body: String,
}

async fn answer(req: RequestBuilder) -> Answer {
    let r = req.send().await.expect("answered");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    Answer {
        status: r.status().as_u16(),
        content_type: header("content-type"),
        www_authenticate: header("www-authenticate"),
        body: r.text().await.unwrap(),
    }
}

/// The same request answered for real, then under an injected fault of
/// `kind` on `carrier`: both answers must be the same, and the fault must
/// have fired.
async fn same_as_fault(
    sim: &Simulator,
    carrier: &str,
    kind: &str,
    req: impl Fn() -> RequestBuilder,
) -> Answer {
    let real = answer(req()).await;
    let admin = Admin::new(sim);
    admin
        .add_fault(json!({"carrier": carrier, "kind": "carrier_error", "error": kind, "count": 1}))
        .await;
    let injected = answer(req()).await;
    let rules = admin.get("/_sim/faults").await;
    assert_eq!(
        rules["items"][0]["fired"], 1,
        "the {kind} fault did not fire"
    );
    admin.clear_faults().await;
    assert_eq!(
        own_message_id_apart(&real),
        own_message_id_apart(&injected),
        "{carrier} {kind}"
    );
    real
}

/// The answer with the CUCC CMP gateway's own `data.messageId` (18 digits,
/// a new one for every answer, as in the public sample of mehunk's
/// `cucc-cmp` types) replaced by a mark, so two answers compare by the rest.
fn own_message_id_apart(a: &Answer) -> Answer {
    let Ok(mut v) = serde_json::from_str::<Value>(&a.body) else {
        return a.clone();
    };
    let Some(id) = v.pointer_mut("/data/messageId") else {
        return a.clone();
    };
    let digits = id.as_str().unwrap_or_default();
    assert!(
        digits.len() == 18 && digits.bytes().all(|b| b.is_ascii_digit()),
        "{a:?}"
    );
    *id = json!("<18 digits>");
    Answer {
        body: v.to_string(),
        ..a.clone()
    }
}

/// Sets a one-request-per-minute limit on `carrier` paths under `endpoint`.
async fn tiny_limit(sim: &Simulator, carrier: &str, endpoint: &str) {
    Admin::new(sim)
        .set_ratelimits(json!([{"id": "tiny", "carrier": carrier, "endpoint": endpoint, "limit": 1, "per": "1m"}]))
        .await;
}

/// Back to the default limits (with fresh counters).
async fn reset_limits(sim: &Simulator) {
    Admin::new(sim).set_ratelimits(json!([])).await;
}

const CMCC_OTHERS_MSISDN: &str = "1440000000018";
const CMCC_OWN_MSISDN: &str = "1440000000001";

#[tokio::test]
async fn cmcc_v5_and_v2_faults_match_real_conditions() {
    let cm = cmcc::Cmcc::start().await;
    let (sim, http) = (&cm.sim, &cm.http);
    let token = cm.token().await;
    let v5 = |token: &str, msisdn: &str| {
        let url = format!("{}/v5/ec/query/sim-status", sim.uri());
        let q = [
            ("token", token.to_string()),
            ("transid", cmcc::transid()),
            ("msisdn", msisdn.to_string()),
        ];
        let http = http.clone();
        move || http.get(&url).query(&q)
    };
    let a = same_as_fault(sim, "cmcc", "auth", v5("expired", CMCC_OWN_MSISDN)).await;
    assert!(a.body.contains("\"12021\""), "{a:?}");
    let a = same_as_fault(sim, "cmcc", "not_found", v5(&token, "1440999999999")).await;
    assert!(a.body.contains("\"12010\""), "{a:?}");
    let a = same_as_fault(sim, "cmcc", "not_yours", v5(&token, CMCC_OTHERS_MSISDN)).await;
    assert!(a.body.contains("\"12009\""), "{a:?}");
    // The rate limit: the first call passes, the second meets the limit.
    tiny_limit(sim, "cmcc", "/v5/ec/query/sim-status").await;
    let ok = answer(v5(&token, CMCC_OWN_MSISDN)()).await;
    assert!(ok.body.contains("\"status\":\"0\""), "{ok:?}");
    let a = same_as_fault(sim, "cmcc", "too_frequent", v5(&token, CMCC_OWN_MSISDN)).await;
    assert!(a.body.contains("\"19010\""), "{a:?}");
    reset_limits(sim).await;

    // v2: the token is SHA-256 of appid + password + transid on every call.
    let v2 = |password: &str, msisdn: &str| {
        let url = format!("{}/v2/userstatusrealsingle", sim.uri());
        let t = cmcc::transid();
        let q = [
            ("appid", cmcc::APPID.to_string()),
            ("transid", t.clone()),
            ("ebid", "0001000000009".to_string()),
            (
                "token",
                carrier_sim::carriers::cmcc::v2::token(cmcc::APPID, password, &t),
            ),
            ("msisdn", msisdn.to_string()),
        ];
        let http = http.clone();
        move || http.get(&url).query(&q)
    };
    let a = same_as_fault(sim, "cmcc", "auth", v2("wrong", CMCC_OWN_MSISDN)).await;
    assert!(a.body.contains("\"12004\""), "{a:?}");
    let a = same_as_fault(
        sim,
        "cmcc",
        "not_found",
        v2(cmcc::PASSWORD, "1440999999999"),
    )
    .await;
    assert!(a.body.contains("\"12010\""), "{a:?}");
    let a = same_as_fault(
        sim,
        "cmcc",
        "not_yours",
        v2(cmcc::PASSWORD, CMCC_OTHERS_MSISDN),
    )
    .await;
    assert!(a.body.contains("\"12009\""), "{a:?}");
}

const CUCC_OWN: &str = "89860600000000000013";
const CUCC_OTHERS: &str = "89860600000000000187";
const CUCC_UNKNOWN: &str = "89860699999999999990";

#[tokio::test]
async fn cucc_rest_and_cmp_faults_match_real_conditions() {
    let sim = Simulator::start().await;
    let http = Client::new();
    let rest = |key: &str, iccid: &str| {
        let url = format!("{}/rws/api/v1/devices/{iccid}", sim.uri());
        let (http, key) = (http.clone(), key.to_string());
        move || http.get(&url).basic_auth(cucc::USER, Some(&key))
    };
    let a = same_as_fault(&sim, "cucc", "auth", rest("wrong-key", CUCC_OWN)).await;
    assert_eq!(a.status, 401);
    assert!(a.www_authenticate.is_some(), "{a:?}");
    let a = same_as_fault(&sim, "cucc", "not_found", rest(cucc::KEY, CUCC_UNKNOWN)).await;
    assert_eq!(a.status, 404);
    assert!(a.body.contains(CUCC_UNKNOWN), "{a:?}");
    let a = same_as_fault(&sim, "cucc", "not_yours", rest(cucc::KEY, CUCC_OTHERS)).await;
    assert_eq!(a.status, 404);
    tiny_limit(&sim, "cucc", "/rws/api/v1/devices").await;
    assert_eq!(answer(rest(cucc::KEY, CUCC_OWN)()).await.status, 200);
    let a = same_as_fault(&sim, "cucc", "too_frequent", rest(cucc::KEY, CUCC_OWN)).await;
    assert_eq!(a.status, 429);
    // The one code for "too frequent", as docs/cucc.md says.
    assert!(a.body.contains("\"40000029\""), "{a:?}");
    reset_limits(&sim).await;

    // The CMP gateway: a bad token is the gateway's 1003; an unknown or
    // foreign card is the API's own 1011 answer.
    let cmp = |path: &'static str, secret: &str, data: Value| {
        let url = format!("{}{path}", sim.uri());
        let body = cucc::envelope(cucc::APP_ID, secret, data);
        let http = http.clone();
        move || http.post(&url).json(&body)
    };
    const REALNAME: &str = "/api/realNameStatusQuery/V1/1Main/vV1.1";
    const DETAILS: &str = "/api/wsGetTerminalDetails/V1/1Main/vV1.1";
    let own = json!({"iccid": CUCC_OWN});
    let a = same_as_fault(&sim, "cucc", "auth", cmp(REALNAME, "wrong", own)).await;
    assert!(a.body.contains("\"1003\""), "{a:?}");
    for (kind, iccid) in [("not_found", CUCC_UNKNOWN), ("not_yours", CUCC_OTHERS)] {
        let data = json!({"iccid": iccid});
        let a = same_as_fault(&sim, "cucc", kind, cmp(REALNAME, cucc::APP_SECRET, data)).await;
        assert!(a.body.contains("\"1011\""), "{a:?}");
        let data = json!({"openId": cucc::OPEN_ID, "version": "1.0", "iccids": [iccid]});
        let a = same_as_fault(&sim, "cucc", kind, cmp(DETAILS, cucc::APP_SECRET, data)).await;
        assert!(
            a.body.contains("\"1011\"") && a.body.contains(iccid),
            "{a:?}"
        );
    }
    let a = same_as_fault(&sim, "cucc", "bad_request", || {
        http.post(format!("{}{REALNAME}", sim.uri()))
            .body("not json")
    })
    .await;
    assert_eq!(a.status, 400);
}

const CTCC_OWN: &str = "14910000000";
const CTCC_OTHERS: &str = "14910000017";

#[tokio::test]
async fn ctcc_legacy_and_5g_faults_match_real_conditions() {
    let sim = Simulator::start().await;
    let limited_sim = Simulator::builder()
        .fixture_str(&ctcc_fixture_with_limit(1))
        .start()
        .await;
    let http = Client::new();
    let key = TripleKey::from_key(ctcc::KEY);
    let legacy_on = |sim: &Simulator, password: &str, id_kind: &str, number: &str| {
        let sign = key.enc(&joined(&[ctcc::USER, ctcc::PASS, "queryTraffic", number]));
        let q = vec![
            ("method".to_string(), "queryTraffic".to_string()),
            ("user_id".to_string(), ctcc::USER.to_string()),
            ("passWord".to_string(), key.enc(password)),
            ("sign".to_string(), sign),
            (id_kind.to_string(), number.to_string()),
        ];
        let url = format!("{}/m2m_ec/query.do", sim.uri());
        let http = http.clone();
        move || http.get(&url).query(&q)
    };
    let legacy =
        |password: &str, id_kind: &str, number: &str| legacy_on(&sim, password, id_kind, number);
    let a = same_as_fault(
        &sim,
        "ctcc",
        "auth",
        legacy("wrongpw", "access_number", CTCC_OWN),
    )
    .await;
    // One text for -1 (spec ctcc.md §6 recommends this default).
    assert_eq!(a.body, "-1：用户名或者密码错误，无权限。");
    let a = same_as_fault(
        &sim,
        "ctcc",
        "not_found",
        legacy(ctcc::PASS, "access_number", "14999999999"),
    )
    .await;
    assert_eq!(a.body, "-4：access_number号码错误或不存在。");
    let a = same_as_fault(
        &sim,
        "ctcc",
        "not_found",
        legacy(ctcc::PASS, "iccid", "8986119999999999999"),
    )
    .await;
    assert_eq!(a.body, "-4：iccid号码错误或不存在。");
    let a = same_as_fault(
        &sim,
        "ctcc",
        "not_yours",
        legacy(ctcc::PASS, "access_number", CTCC_OTHERS),
    )
    .await;
    assert_eq!(a.body, "-1：该号码和用户没有绑定");
    // The dialect's own limit (1 query a minute in that fixture): the
    // second query of the minute meets it.
    let own = legacy_on(&limited_sim, ctcc::PASS, "access_number", CTCC_OWN);
    assert!(answer(own()).await.body.starts_with("<?xml"));
    let a = same_as_fault(&limited_sim, "ctcc", "too_frequent", &own).await;
    assert_eq!(a.body, "101004：请求过于频繁，请稍后再试");

    // 5G CMP: `AppKey` / `Timestamp` / `Sign` headers (spec ctcc.md §7).
    let g5 = |app_key: &str, secret: &str, number: &str| {
        let ts = "20261125100000";
        let query = format!("access_number={number}");
        let sign = g5_sign(&format!("{query}{secret}{ts}"));
        let url = format!(
            "{}/openapi/v1/prodinst/queryCardMainStatus?{query}",
            sim.uri()
        );
        let (http, app_key) = (http.clone(), app_key.to_string());
        move || {
            http.get(&url)
                .header("AppKey", &app_key)
                .header("Timestamp", ts)
                .header("Sign", &sign)
        }
    };
    let a = same_as_fault(&sim, "ctcc", "auth", g5("nobody", "x", CTCC_OWN)).await;
    assert!(a.body.contains("\"-1\""), "{a:?}");
    let a = same_as_fault(
        &sim,
        "ctcc",
        "not_found",
        g5(ctcc::APP_KEY, ctcc::SECRET, "14999999999"),
    )
    .await;
    assert!(a.body.contains("\"-4\""), "{a:?}");
    let a = same_as_fault(
        &sim,
        "ctcc",
        "not_yours",
        g5(ctcc::APP_KEY, ctcc::SECRET, CTCC_OTHERS),
    )
    .await;
    assert!(a.body.contains("该号码和用户没有绑定"), "{a:?}");
}

/// The default fixture with `[dialects.ctcc] rate_limit_per_minute = n`.
fn ctcc_fixture_with_limit(n: u32) -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/default.toml"
    ))
    .unwrap();
    let mut fx: toml::Table = toml::from_str(&text).unwrap();
    let dialects = fx
        .entry("dialects")
        .or_insert_with(|| toml::Value::Table(Default::default()));
    let ctcc = dialects
        .as_table_mut()
        .unwrap()
        .entry("ctcc")
        .or_insert_with(|| toml::Value::Table(Default::default()));
    ctcc.as_table_mut().unwrap().insert(
        "rate_limit_per_minute".into(),
        toml::Value::Integer(n.into()),
    );
    toml::to_string(&fx).unwrap()
}
