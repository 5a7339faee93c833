//! Black-box tests of the China Mobile OneLink dialect (v5 under `/v5/ec`,
//! legacy v2 under `/v2`) over real HTTP against the embedded default
//! fixture. Expectations come from `docs/protocol-cmcc.md` and the fixture's
//! card roles, never from the implementation: envelope, status codes, field
//! names, units (data KB with 2 decimals, SMS 条, voice minutes), string
//! numbers, and state effects seen through `/_sim` and the handset surface.

use carrier_sim::{Settings, Simulator};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::common::cmcc::{envelope, transid, Cmcc, APPID, PASSWORD};

// Card roles of the default fixture (cmcc-demo unless noted).
pub(super) const NORMAL_ICCID: &str = "89860000000000000019";
pub(super) const NORMAL_MSISDN: &str = "1440000000001";
pub(super) const NORMAL_IMSI: &str = "460040000000001";
const NORMAL_DATA_BYTES: u64 = 373_502_771;
const OVER_QUOTA: &str = "1440000000004";
pub(super) const MANUAL_STOP: &str = "1440000000005";
const ARREARS: &str = "1440000000006";
const EXPIRED: &str = "1440000000007";
pub(super) const CANCELLED: &str = "1440000000008";
pub(super) const INVENTORY: &str = "1440000000009";
pub(super) const TEST_READY: &str = "1440000000010";
pub(super) const ACTIVATION_READY: &str = "1440000000011";
pub(super) const POOL_A: &str = "1440000000012";
pub(super) const DATA_CUT: &str = "1440000000014";
pub(super) const LOW_BALANCE: &str = "1440000000016";
pub(super) const LOW_BALANCE_ICCID: &str = "89860000000000000167";
const OTHER_ACCOUNT: &str = "1440000000018";
const CUCC_CARD: &str = "1460000000001";
pub(super) const POOL_ID: &str = "200000000001";

/// KB with two decimals computed independently of the simulator.
fn kb(bytes: u64) -> String {
    format!("{:.2}", bytes as f64 / 1024.0)
}

/// Every leaf value is a string (numbers are sent as strings).
fn all_strings(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.values().all(all_strings),
        Value::Array(a) => a.iter().all(all_strings),
        Value::String(_) => true,
        _ => false,
    }
}

pub(super) fn is_datetime(s: &str) -> bool {
    jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", s).is_ok()
}

// ---------------------------------------------------------------- auth

#[tokio::test]
async fn token_is_issued_for_good_credentials() {
    let env = Cmcc::start().await;
    let t = transid();
    let v = env
        .get(
            "/get/token",
            &[("appid", APPID), ("password", PASSWORD), ("transid", &t)],
        )
        .await;
    assert_eq!(v["status"], "0");
    assert_eq!(v["message"], "正确");
    let token = v["result"][0]["token"].as_str().unwrap();
    assert!(!token.is_empty());
}

#[tokio::test]
async fn token_errors() {
    let env = Cmcc::start().await;
    let t = transid();
    let bad_pw = env
        .get(
            "/get/token",
            &[("appid", APPID), ("password", "nope"), ("transid", &t)],
        )
        .await;
    assert_eq!(bad_pw["status"], "12022");
    let unknown = env
        .get(
            "/get/token",
            &[
                ("appid", "999999"),
                ("password", PASSWORD),
                ("transid", "99999901"),
            ],
        )
        .await;
    assert_eq!(unknown["status"], "12022");
    let missing = env
        .get("/get/token", &[("appid", APPID), ("transid", &t)])
        .await;
    assert_eq!(missing["status"], "11000");
    let bad_transid = env
        .get(
            "/get/token",
            &[
                ("appid", APPID),
                ("password", PASSWORD),
                ("transid", "20261124"),
            ],
        )
        .await;
    assert_eq!(bad_transid["status"], "12004");
}

#[tokio::test]
async fn missing_or_unknown_token_is_12021() {
    let env = Cmcc::start().await;
    let t = transid();
    let none = env
        .get(
            "/query/sim-status",
            &[("transid", &t), ("msisdn", NORMAL_MSISDN)],
        )
        .await;
    assert_eq!(none["status"], "12021");
    assert_eq!(none["message"], "TOKEN不存在或已过期，请重新获取");
    assert_eq!(
        env.status(
            "deadbeef",
            "/query/sim-status",
            &[("msisdn", NORMAL_MSISDN)]
        )
        .await,
        "12021"
    );
}

#[tokio::test]
async fn token_expires_with_the_simulated_clock() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let q = [("msisdn", LOW_BALANCE)];
    assert_eq!(env.status(&token, "/query/sim-status", &q).await, "0");
    env.sim.advance("59m").unwrap();
    assert_eq!(env.status(&token, "/query/sim-status", &q).await, "0");
    env.sim.advance("2m").unwrap();
    assert_eq!(env.status(&token, "/query/sim-status", &q).await, "12021");
    let fresh = env.token().await;
    assert_eq!(env.status(&fresh, "/query/sim-status", &q).await, "0");
}

#[tokio::test]
async fn token_lifetime_is_configurable() {
    let text = format!(
        "{}\n[dialects.cmcc]\ntoken_ttl = \"2h\"\nsingle_token = false\n",
        carrier_sim::fixture::DEFAULT_FIXTURE
    );
    let env = Cmcc::with(Simulator::builder().fixture_str(&text).start().await);
    let first = env.token().await;
    let second = env.token().await;
    let q = [("msisdn", LOW_BALANCE)];
    assert_eq!(env.status(&first, "/query/sim-status", &q).await, "0");
    env.sim.advance("90m").unwrap();
    assert_eq!(env.status(&second, "/query/sim-status", &q).await, "0");
    env.sim.advance("31m").unwrap();
    assert_eq!(env.status(&second, "/query/sim-status", &q).await, "12021");
}

#[tokio::test]
async fn tokens_do_not_survive_a_world_reset() {
    let env = Cmcc::start().await;
    env.sim.advance("10m").unwrap();
    let token = env.token().await;
    let q = [("msisdn", NORMAL_MSISDN)];
    assert_eq!(env.status(&token, "/query/sim-status", &q).await, "0");
    let resp = env
        .http
        .post(format!("{}/_sim/reset", env.sim.uri()))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(env.status(&token, "/query/sim-status", &q).await, "12021");
}

#[tokio::test]
async fn a_new_token_invalidates_the_previous_one() {
    let env = Cmcc::start().await;
    let old = env.token().await;
    let new = env.token().await;
    assert_ne!(old, new);
    let q = [("msisdn", NORMAL_MSISDN)];
    assert_eq!(env.status(&old, "/query/sim-status", &q).await, "12021");
    assert_eq!(env.status(&new, "/query/sim-status", &q).await, "0");
}

#[tokio::test]
async fn transid_lenient_and_strict() {
    // Lenient (default): anything starting with the appid, as the known clients send.
    let env = Cmcc::start().await;
    let token = env.token().await;
    for t in [
        format!("{APPID}2026112410000012345678"),
        format!("{APPID}202611241000000"),
        format!("{APPID}abc"),
    ] {
        let v = env
            .get(
                "/query/sim-status",
                &[
                    ("transid", &t),
                    ("token", &token),
                    ("msisdn", NORMAL_MSISDN),
                ],
            )
            .await;
        assert_eq!(v["status"], "0", "{t}");
    }
    let v = env
        .get(
            "/query/sim-status",
            &[
                ("transid", "10000220261124100000"),
                ("token", &token),
                ("msisdn", NORMAL_MSISDN),
            ],
        )
        .await;
    assert_eq!(v["status"], "12004");

    // Strict: appid + valid yyyyMMddHHmmss + 8 digits.
    let settings = Settings {
        cmcc_strict_transid: true,
        ..Settings::default()
    };
    let env = Cmcc::with(Simulator::builder().settings(settings).start().await);
    let sloppy = format!("{APPID}abc");
    let v = env
        .get(
            "/get/token",
            &[
                ("appid", APPID),
                ("password", PASSWORD),
                ("transid", &sloppy),
            ],
        )
        .await;
    assert_eq!(v["status"], "12004");
    let token = env.token().await;
    let bad_month = format!("{APPID}2026132410000000000001");
    let v = env
        .get(
            "/query/sim-status",
            &[
                ("transid", &bad_month),
                ("token", &token),
                ("msisdn", NORMAL_MSISDN),
            ],
        )
        .await;
    assert_eq!(v["status"], "12004");
    assert_eq!(
        env.status(&token, "/query/sim-status", &[("msisdn", NORMAL_MSISDN)])
            .await,
        "0"
    );
}

// ------------------------------------------------- client behaviour

#[derive(Clone, Copy, Debug)]
enum Transport {
    GetQuery,
    PostForm,
    PostJson,
}

/// A client written the way the known ones work (mehunk, PHP, Go
/// mobile_sdk): the token is cached, and on 12021 it is refreshed and the
/// call retried (up to 3 times).
struct Client {
    base: String,
    http: reqwest::Client,
    transport: Transport,
    token: Option<String>,
    token_fetches: u32,
}

impl Client {
    async fn send(&self, path: &str, params: Vec<(String, String)>) -> Value {
        let url = format!("{}{path}", self.base);
        let req = match self.transport {
            Transport::GetQuery => self.http.get(url).query(&params),
            Transport::PostForm => self.http.post(url).form(&params),
            Transport::PostJson => {
                let obj: serde_json::Map<String, Value> = params
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect();
                self.http.post(url).json(&obj)
            }
        };
        envelope(req.send().await.unwrap()).await
    }

    async fn fetch_token(&mut self) -> String {
        let params = vec![
            ("appid".to_string(), APPID.to_string()),
            ("password".to_string(), PASSWORD.to_string()),
            ("transid".to_string(), transid()),
        ];
        let v = self.send("/get/token", params).await;
        assert_eq!(v["status"], "0", "{v}");
        self.token_fetches += 1;
        v["result"][0]["token"].as_str().unwrap().to_string()
    }

    async fn request(&mut self, path: &str, params: &[(&str, &str)]) -> Value {
        for _ in 0..3 {
            let token = match &self.token {
                Some(t) => t.clone(),
                None => {
                    let t = self.fetch_token().await;
                    self.token = Some(t.clone());
                    t
                }
            };
            let mut all = vec![
                ("transid".to_string(), transid()),
                ("token".to_string(), token),
            ];
            all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            let v = self.send(path, all).await;
            if v["status"] == "12021" {
                self.token = None;
                continue;
            }
            return v;
        }
        panic!("token refresh did not help");
    }
}

#[tokio::test]
async fn client_behaviour_over_get_form_and_json() {
    for transport in [
        Transport::GetQuery,
        Transport::PostForm,
        Transport::PostJson,
    ] {
        let env = Cmcc::start().await;
        let mut client = Client {
            base: env.sim.cmcc_url(),
            http: reqwest::Client::new(),
            transport,
            token: None,
            token_fetches: 0,
        };
        let usage = client
            .request("/query/sim-data-usage", &[("iccid", NORMAL_ICCID)])
            .await;
        assert_eq!(usage["status"], "0", "{transport:?}: {usage}");
        assert_eq!(
            usage["result"][0]["dataAmount"],
            kb(NORMAL_DATA_BYTES).as_str()
        );
        let status = client
            .request("/query/sim-status", &[("msisdn", NORMAL_MSISDN)])
            .await;
        assert_eq!(status["result"][0]["cardStatus"], "2");
        assert_eq!(client.token_fetches, 1, "{transport:?}: token is cached");

        // The token expires: the client sees 12021, refreshes once, retries.
        env.sim.advance("2h").unwrap();
        let again = client
            .request("/query/sim-basic-info", &[("imsi", NORMAL_IMSI)])
            .await;
        assert_eq!(again["status"], "0");
        assert_eq!(again["result"][0]["iccid"], NORMAL_ICCID);
        assert_eq!(client.token_fetches, 2, "{transport:?}: refreshed once");

        // A change over this transport takes effect.
        let stop = client
            .request(
                "/change/sim-status",
                &[("msisdn", LOW_BALANCE), ("operType", "0")],
            )
            .await;
        assert_eq!(stop["status"], "0", "{transport:?}: {stop}");
        assert_eq!(stop["result"][0]["msisdn"], LOW_BALANCE);
        let card = env.admin.card(LOW_BALANCE_ICCID).await;
        assert_eq!(card["state"], "suspended");
    }
}

#[tokio::test]
async fn query_and_body_parameters_are_merged() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let t = transid();
    let resp = env
        .http
        .post(env.url("/query/sim-imei"))
        .query(&[("transid", t.as_str()), ("token", token.as_str())])
        .form(&[("msisdn", NORMAL_MSISDN)])
        .send()
        .await
        .unwrap();
    let v = envelope(resp).await;
    assert_eq!(v["status"], "0", "{v}");
    assert_eq!(v["result"][0]["imei"], "860070000010001");
    // JSON numbers are accepted as well as strings.
    let resp = env
        .http
        .post(env.url("/change/sim-status"))
        .json(&json!({"transid": transid(), "token": token, "msisdn": TEST_READY, "operType": 4}))
        .send()
        .await
        .unwrap();
    let v = envelope(resp).await;
    assert_eq!(v["status"], "0", "{v}");
    assert_eq!(env.card_status(&token, TEST_READY).await, "1");
}

// ----------------------------------------------------------- card

#[tokio::test]
async fn basic_info_by_each_identifier() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    for (k, v) in [
        ("msisdn", NORMAL_MSISDN),
        ("iccid", NORMAL_ICCID),
        ("imsi", NORMAL_IMSI),
    ] {
        let r = env.ok(&token, "/query/sim-basic-info", &[(k, v)]).await;
        assert_eq!(r["msisdn"], NORMAL_MSISDN);
        assert_eq!(r["iccid"], NORMAL_ICCID);
        assert_eq!(r["imsi"], NORMAL_IMSI);
        assert!(is_datetime(r["activeDate"].as_str().unwrap()), "{r}");
        assert!(is_datetime(r["openDate"].as_str().unwrap()), "{r}");
        assert!(all_strings(&r));
    }
}

#[tokio::test]
async fn identifier_errors() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let p = "/query/sim-status";
    assert_eq!(env.status(&token, p, &[]).await, "11000");
    assert_eq!(
        env.status(
            &token,
            p,
            &[("msisdn", NORMAL_MSISDN), ("iccid", NORMAL_ICCID)]
        )
        .await,
        "11000"
    );
    assert_eq!(
        env.status(&token, p, &[("msisdn", "1449999999999")]).await,
        "12010"
    );
    assert_eq!(
        env.status(&token, p, &[("msisdn", OTHER_ACCOUNT)]).await,
        "12009"
    );
    assert_eq!(
        env.status(&token, p, &[("msisdn", CUCC_CARD)]).await,
        "12010"
    );
    let v = env.call(&token, p, &[("msisdn", OTHER_ACCOUNT)]).await;
    assert_eq!(v["message"], "卡号鉴权失败，不属于此用户");
}

#[tokio::test]
async fn card_status_for_every_lifecycle_state() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    for (msisdn, want) in [
        (NORMAL_MSISDN, "2"),
        (OVER_QUOTA, "4"),
        (MANUAL_STOP, "4"),
        (ARREARS, "4"),
        (EXPIRED, "8"),
        (CANCELLED, "9"),
        (INVENTORY, "7"),
        (TEST_READY, "6"),
        (ACTIVATION_READY, "1"),
    ] {
        let r = env
            .ok(&token, "/query/sim-status", &[("msisdn", msisdn)])
            .await;
        assert_eq!(r["cardStatus"], want, "{msisdn}");
        assert!(is_datetime(r["lastChangeDate"].as_str().unwrap()));
    }
}

#[tokio::test]
async fn stop_and_resume_reach_the_neutral_card_and_other_surfaces() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let stop = env
        .ok(
            &token,
            "/change/sim-status",
            &[("iccid", NORMAL_ICCID), ("operType", "0")],
        )
        .await;
    // The identifier echo (PHP NewChinaMobileAPI doc comment) plus the order's
    // two ids (Go mobile_sdk `ChangeSimStatusRes` reads `orderNum`).
    assert_eq!(stop["iccid"], NORMAL_ICCID);
    assert!(stop["orderNum"].is_string() && stop["orderNum"] == stop["jobId"]);
    assert_eq!(env.card_status(&token, NORMAL_MSISDN).await, "4");
    let card = env.admin.card(NORMAL_ICCID).await;
    assert_eq!(card["state"], "suspended");
    assert_eq!(card["reasons"], json!(["manual"]));
    let handset: Value = env
        .http
        .get(format!("{}/_sim/handsets/{NORMAL_ICCID}", env.sim.uri()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(handset["state"], "suspended");
    let reason = env
        .ok(
            &token,
            "/query/sim-stop-reason",
            &[("msisdn", NORMAL_MSISDN)],
        )
        .await;
    assert_eq!(reason["stopReason"], "01");

    let hist = env
        .ok(
            &token,
            "/query/sim-change-history",
            &[("msisdn", NORMAL_MSISDN)],
        )
        .await;
    let list = hist["changeHistoryList"].as_array().unwrap();
    let last = list.last().unwrap();
    assert_eq!(last["descStatus"], "2");
    assert_eq!(last["targetStatus"], "4");
    assert!(is_datetime(last["changeDate"].as_str().unwrap()));

    env.ok(
        &token,
        "/change/sim-status",
        &[("msisdn", NORMAL_MSISDN), ("operType", "1")],
    )
    .await;
    assert_eq!(env.card_status(&token, NORMAL_MSISDN).await, "2");
    assert_eq!(env.admin.card(NORMAL_ICCID).await["state"], "active");
}

#[tokio::test]
async fn status_changes_refused_by_the_card_rules() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let p = "/change/sim-status";
    let cases = [
        (OVER_QUOTA, "0", "12100"),
        (ARREARS, "0", "12098"),
        (EXPIRED, "0", "12099"),
        (CANCELLED, "0", "12089"),
        (INVENTORY, "0", "12089"),
        (MANUAL_STOP, "0", "12089"),
        (OVER_QUOTA, "1", "12100"),
        (ARREARS, "1", "12098"),
        (EXPIRED, "1", "12099"),
        (DATA_CUT, "1", "12098"),
        (NORMAL_MSISDN, "1", "12089"),
        (NORMAL_MSISDN, "6", "12089"),
        (NORMAL_MSISDN, "2", "12089"),
        (NORMAL_MSISDN, "7", "11000"),
        (NORMAL_MSISDN, "-1", "11000"),
        (NORMAL_MSISDN, "99999999999999999999999", "11000"),
    ];
    for (msisdn, op, want) in cases {
        let got = env
            .status(&token, p, &[("msisdn", msisdn), ("operType", op)])
            .await;
        assert_eq!(got, want, "{msisdn} operType {op}");
    }
    assert_eq!(
        env.status(&token, p, &[("msisdn", NORMAL_MSISDN)]).await,
        "11000"
    );
    // Refusals leave the cards as they were.
    assert_eq!(env.card_status(&token, OVER_QUOTA).await, "4");
    assert_eq!(env.card_status(&token, NORMAL_MSISDN).await, "2");
    assert_eq!(env.card_status(&token, EXPIRED).await, "8");
    // The manual stop resumes; an arrears stop resumes after a top-up.
    assert_eq!(
        env.status(&token, p, &[("msisdn", MANUAL_STOP), ("operType", "1")])
            .await,
        "0"
    );
    env.sim
        .world()
        .top_up("89860000000000000068", 10_000)
        .unwrap();
    assert_eq!(
        env.status(&token, p, &[("msisdn", ARREARS), ("operType", "1")])
            .await,
        "0"
    );
    assert_eq!(env.card_status(&token, ARREARS).await, "2");
}

#[tokio::test]
async fn pre_activation_moves() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let p = "/change/sim-status";
    env.ok(&token, p, &[("msisdn", TEST_READY), ("operType", "3")])
        .await;
    assert_eq!(env.card_status(&token, TEST_READY).await, "7");
    env.ok(&token, p, &[("msisdn", TEST_READY), ("operType", "2")])
        .await;
    assert_eq!(env.card_status(&token, TEST_READY).await, "2");
    env.ok(
        &token,
        p,
        &[("msisdn", ACTIVATION_READY), ("operType", "6")],
    )
    .await;
    assert_eq!(env.card_status(&token, ACTIVATION_READY).await, "2");
    let card = env.admin.card(ACTIVATION_READY).await;
    assert_eq!(card["state"], "active");
    assert!(card["activated"].is_string());
    assert_eq!(
        env.status(&token, p, &[("msisdn", INVENTORY), ("operType", "5")])
            .await,
        "12089",
        "operType 5 is test-ready → active only"
    );
}

#[tokio::test]
async fn batch_status_change_with_job_result() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let p = "/change/sim-status/batch";
    let list = format!("{NORMAL_MSISDN}_{OVER_QUOTA}");
    assert_eq!(
        env.status(&token, p, &[("msisdns", &list), ("operType", "9")])
            .await,
        "11000",
        "reason is required for 9 and 11"
    );
    assert_eq!(
        env.status(
            &token,
            p,
            &[("msisdns", &list), ("operType", "8"), ("reason", "01")]
        )
        .await,
        "11000"
    );
    let r = env
        .ok(
            &token,
            p,
            &[("msisdns", &list), ("operType", "9"), ("reason", "01")],
        )
        .await;
    let job = r["jobId"].as_str().unwrap().to_string();
    assert!(!job.is_empty());
    let res = env
        .ok(&token, "/query/sim-batch-result", &[("jobId", &job)])
        .await;
    assert_eq!(res["jobStatus"], "3", "finished with a failure: {res}");
    let items = res["resultList"].as_array().unwrap();
    assert_eq!(items[0]["msisdn"], NORMAL_MSISDN);
    assert_eq!(items[0]["status"], "0");
    assert_eq!(items[1]["msisdn"], OVER_QUOTA);
    assert_eq!(items[1]["status"], "12100");
    assert_eq!(env.card_status(&token, NORMAL_MSISDN).await, "4");

    // operType 7 (待激活 → 已激活) and 4 (库存 → 待激活).
    let r = env
        .ok(
            &token,
            p,
            &[("msisdns", ACTIVATION_READY), ("operType", "7")],
        )
        .await;
    let job = r["jobId"].as_str().unwrap().to_string();
    let res = env
        .ok(&token, "/query/sim-batch-result", &[("jobId", &job)])
        .await;
    assert_eq!(res["jobStatus"], "2");
    assert_eq!(env.card_status(&token, ACTIVATION_READY).await, "2");
    env.ok(&token, p, &[("msisdns", INVENTORY), ("operType", "4")])
        .await;
    assert_eq!(env.card_status(&token, INVENTORY).await, "1");

    assert_eq!(
        env.status(&token, "/query/sim-batch-result", &[("jobId", "nope")])
            .await,
        "11000"
    );
}

#[tokio::test]
async fn batch_lists_and_per_number_results() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let p = "/query/sim-card-info/batch";
    let list = format!("{NORMAL_MSISDN}_1449999999999_{OTHER_ACCOUNT}");
    let v = env.call(&token, p, &[("msisdns", &list)]).await;
    assert_eq!(v["status"], "0");
    let items = v["result"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["iccid"], NORMAL_ICCID);
    assert_eq!(items[0]["imsi"], NORMAL_IMSI);
    assert_eq!(items[0]["status"], "0");
    assert_eq!(items[1]["status"], "12010");
    assert_eq!(items[2]["status"], "12009");
    let all_bad = env
        .status(&token, p, &[("msisdns", "1449999999999_1449999999998")])
        .await;
    assert_eq!(all_bad, "11007");
    let hundred_one: Vec<String> = (0..101).map(|i| format!("14400000{i:05}")).collect();
    assert_eq!(
        env.status(&token, p, &[("msisdns", &hundred_one.join("_"))])
            .await,
        "11000"
    );
    let hundred: Vec<&str> = std::iter::repeat_n(NORMAL_MSISDN, 100).collect();
    let v = env
        .call(&token, p, &[("msisdns", &hundred.join("_"))])
        .await;
    assert_eq!(v["result"].as_array().unwrap().len(), 100);
    assert_eq!(env.status(&token, p, &[]).await, "11000");
}

#[tokio::test]
async fn imei_session_power_real_name_and_platform() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let id = [("msisdn", NORMAL_MSISDN)];
    let r = env.ok(&token, "/query/sim-imei", &id).await;
    assert_eq!(r["imei"], "860070000010001");
    let s = env.ok(&token, "/query/sim-session", &id).await;
    let sess = &s["simSessionList"][0];
    assert_eq!(sess["status"], "01");
    assert_eq!(sess["apnId"], "CMIOT");
    assert_eq!(sess["rat"], "6");
    assert!(!sess["ip"].as_str().unwrap().is_empty());
    assert!(all_strings(&s));
    let off = env
        .ok(&token, "/query/sim-session", &[("msisdn", INVENTORY)])
        .await;
    assert_eq!(off["simSessionList"][0]["status"], "00");
    assert_eq!(
        env.ok(&token, "/query/on-off-status", &id).await["status"],
        "1"
    );
    assert_eq!(
        env.ok(&token, "/query/on-off-status", &[("msisdn", INVENTORY)])
            .await["status"],
        "0"
    );
    let rn = env
        .ok(
            &token,
            "/query/sim-real-name-status",
            &[("msisdn", INVENTORY)],
        )
        .await;
    assert_eq!(rn["realNameStatus"], "0");
    let v = env
        .call(
            &token,
            "/query/sim-platform/batch",
            &[("msisdns", NORMAL_MSISDN)],
        )
        .await;
    assert_eq!(v["result"][0]["msisdn"], NORMAL_MSISDN);
    assert!(v["result"][0]["platformType"].is_string());
    let reason = env
        .ok(&token, "/query/sim-stop-reason", &[("msisdn", ARREARS)])
        .await;
    assert_eq!(reason["stopReason"], "02");
    let bind = env
        .ok(
            &token,
            "/query/card-bind-status",
            &[id[0], ("testType", "0")],
        )
        .await;
    assert_eq!(bind["result"], "1");
    assert_eq!(
        env.status(
            &token,
            "/query/card-bind-status",
            &[id[0], ("testType", "5")]
        )
        .await,
        "11000"
    );
    let v = env.call(&token, "/reset/sim-sms-status", &id).await;
    assert_eq!(
        (v["status"].as_str(), &v["result"]),
        (Some("0"), &json!([]))
    );
    let v = env
        .call(&token, "/operate/sim-gprs-status-reset", &id)
        .await;
    assert_eq!(
        (v["status"].as_str(), &v["result"]),
        (Some("0"), &json!([]))
    );
}

// ---------------------------------------------------------- usage

#[tokio::test]
async fn data_usage_in_kb_with_apn_list() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let r = env
        .ok(&token, "/query/sim-data-usage", &[("iccid", NORMAL_ICCID)])
        .await;
    assert_eq!(r["dataAmount"], "364748.80");
    assert_eq!(r["dataAmount"], kb(NORMAL_DATA_BYTES).as_str());
    let apn = &r["apnUseAmountList"][0];
    assert_eq!(apn["apnName"], "CMIOT");
    assert_eq!(apn["apnUseAmount"], "364748.80");
    assert!(apn["pccCodeUseAmountList"].is_array());
    // Usage moves in real time.
    env.sim.world().use_data(NORMAL_ICCID, 1024 * 1024).unwrap();
    let r = env
        .ok(&token, "/query/sim-data-usage", &[("iccid", NORMAL_ICCID)])
        .await;
    assert_eq!(
        r["dataAmount"],
        kb(NORMAL_DATA_BYTES + 1024 * 1024).as_str()
    );
}

#[tokio::test]
async fn margins_per_offering() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let id = [("msisdn", NORMAL_MSISDN)];
    let r = env.ok(&token, "/query/sim-data-margin", &id).await;
    let m = &r["accmMarginList"][0];
    assert_eq!(m["offeringId"], "I00010100001");
    assert_eq!(m["totalAmount"], "1048576.00");
    assert_eq!(m["useAmount"], kb(NORMAL_DATA_BYTES).as_str());
    assert_eq!(
        m["remainAmount"],
        kb(1024 * 1024 * 1024 - NORMAL_DATA_BYTES).as_str()
    );
    assert!(all_strings(&r));
    let sms = env.ok(&token, "/query/sim-sms-margin", &id).await;
    assert_eq!(sms["accmMarginList"][0]["totalAmount"], "100");
    assert_eq!(sms["accmMarginList"][0]["remainAmount"], "100");
    let voice = env.ok(&token, "/query/sim-voice-margin", &id).await;
    assert_eq!(voice["accmMarginList"][0]["totalAmount"], "0");
}

#[tokio::test]
async fn sms_and_voice_usage_in_their_units() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let world = env.sim.world();
    world
        .deliver_to_card(NORMAL_ICCID, "10086", "hello")
        .unwrap();
    world
        .record_sent_by_card(NORMAL_ICCID, "10086", "CXLL")
        .unwrap();
    world.use_voice(NORMAL_ICCID, 61).unwrap();
    let id = [("msisdn", NORMAL_MSISDN)];
    let sms = env.ok(&token, "/query/sim-sms-usage", &id).await;
    assert_eq!(sms["smsAmount"], "2");
    let voice = env.ok(&token, "/query/sim-voice-usage", &id).await;
    assert_eq!(voice["voiceAmount"], "2", "61 s are 2 started minutes");
}

#[tokio::test]
async fn daily_and_monthly_batch_usage() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let world = env.sim.world();
    world.use_data(LOW_BALANCE_ICCID, 10 * 1024 * 1024).unwrap();
    env.sim.advance("1d").unwrap();
    let token2 = env.token().await;
    let _ = token;
    let daily = "/query/sim-data-usage-daily/batch";
    let list = format!("{LOW_BALANCE}_{MANUAL_STOP}");
    let r = env
        .ok(
            &token2,
            daily,
            &[("msisdns", &list), ("queryDate", "20261124")],
        )
        .await;
    let items = r["dataAmountList"].as_array().unwrap();
    assert_eq!(items[0]["msisdn"], LOW_BALANCE);
    assert_eq!(items[0]["dataAmount"], "10240.00");
    assert_eq!(items[0]["apnDataAmountList"][0]["apnName"], "CMIOT");
    assert_eq!(
        items[0]["apnDataAmountList"][0]["apnDataAmount"],
        "10240.00"
    );
    assert_eq!(items[1]["dataAmount"], "0.00");
    assert!(
        items[1].get("apnDataAmountList").is_none(),
        "omitted when 0"
    );
    for bad in [
        "20261125",
        "20261117",
        "2026-11-24",
        "20261324",
        "99999999",
        "",
    ] {
        assert_eq!(
            env.status(
                &token2,
                daily,
                &[("msisdns", LOW_BALANCE), ("queryDate", bad)]
            )
            .await,
            "11000",
            "{bad}"
        );
    }
    assert_eq!(
        env.status(
            &token2,
            daily,
            &[("msisdns", LOW_BALANCE), ("queryDate", "20261118")]
        )
        .await,
        "0",
        "7 days back is allowed"
    );

    let monthly = "/query/sim-data-usage-monthly/batch";
    let r = env
        .ok(
            &token2,
            monthly,
            &[("msisdns", LOW_BALANCE), ("queryDate", "202611")],
        )
        .await;
    assert_eq!(
        r["dataAmountList"][0]["dataAmount"],
        kb(52_428_800 + 10 * 1024 * 1024).as_str()
    );
    assert_eq!(r["deadLine"], "20261124");
    let r = env
        .ok(
            &token2,
            monthly,
            &[("msisdns", LOW_BALANCE), ("queryDate", "202606")],
        )
        .await;
    assert_eq!(r["dataAmountList"][0]["dataAmount"], "0.00");
    for bad in ["202605", "202612", "202613", "2026-11"] {
        assert_eq!(
            env.status(
                &token2,
                monthly,
                &[("msisdns", LOW_BALANCE), ("queryDate", bad)]
            )
            .await,
            "11000",
            "{bad}"
        );
    }
    let sms = env
        .ok(
            &token2,
            "/query/sim-sms-usage-monthly/batch",
            &[("msisdns", LOW_BALANCE), ("queryDate", "202611")],
        )
        .await;
    assert_eq!(sms["smsAmountList"][0]["sms"], "0");
    let voice = env
        .ok(
            &token2,
            "/query/sim-voice-usage-daily/batch",
            &[("msisdns", LOW_BALANCE), ("queryDate", "20261124")],
        )
        .await;
    assert_eq!(voice["voiceAmountList"][0]["voiceAmount"], "0");
    let sms_daily = env
        .ok(
            &token2,
            "/query/sim-sms-usage-daily/batch",
            &[("msisdns", LOW_BALANCE), ("queryDate", "20261124")],
        )
        .await;
    assert_eq!(sms_daily["smsAmountList"][0]["sms"], "0");
    let voice_m = env
        .ok(
            &token2,
            "/query/sim-voice-usage-monthly/batch",
            &[("msisdns", LOW_BALANCE), ("queryDate", "202611")],
        )
        .await;
    assert_eq!(voice_m["voiceAmountList"][0]["voiceAmount"], "0");
}

// ------------------------------------------------- service switches

#[tokio::test]
async fn communication_functions() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let id = [("msisdn", NORMAL_MSISDN)];
    let batch = "/operate/sim-communication-function/batch";
    let r = env
        .ok(
            &token,
            batch,
            &[
                ("msisdns", NORMAL_MSISDN),
                ("serviceType", "01"),
                ("operType", "0"),
            ],
        )
        .await;
    assert!(r["jobId"].is_string());
    let st = env
        .ok(&token, "/query/sim-communication-function-status", &id)
        .await;
    let list = st["serviceTypeList"].as_array().unwrap();
    let voice = list.iter().find(|s| s["serviceType"] == "01").unwrap();
    assert_eq!(voice["serviceStatus"], "0");
    assert_eq!(
        env.status(
            &token,
            batch,
            &[
                ("msisdns", NORMAL_MSISDN),
                ("serviceType", "11"),
                ("operType", "0")
            ]
        )
        .await,
        "11000",
        "apnName is required for serviceType 11"
    );
    assert_eq!(
        env.status(
            &token,
            batch,
            &[
                ("msisdns", NORMAL_MSISDN),
                ("serviceType", "02"),
                ("operType", "0")
            ]
        )
        .await,
        "11000"
    );
    env.ok(
        &token,
        batch,
        &[
            ("msisdns", NORMAL_MSISDN),
            ("serviceType", "11"),
            ("operType", "0"),
            ("apnName", "CMIOT"),
        ],
    )
    .await;
    let card = env.admin.card(NORMAL_ICCID).await;
    assert_eq!(card["data_cut"], true);
    assert_eq!(card["reasons"], json!(["data_cut"]));
    let st = env
        .ok(&token, "/query/sim-communication-function-status", &id)
        .await;
    let data = st["serviceTypeList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["serviceType"] == "11")
        .unwrap()
        .clone();
    assert_eq!(data["serviceStatus"], "0");
    assert_eq!(data["apnName"], "CMIOT");
    env.ok(
        &token,
        batch,
        &[
            ("msisdns", NORMAL_MSISDN),
            ("serviceType", "11"),
            ("operType", "1"),
            ("apnName", "CMIOT"),
        ],
    )
    .await;
    assert_eq!(env.admin.card(NORMAL_ICCID).await["data_cut"], false);
}

#[tokio::test]
async fn call_sms_apn_switches_and_speed() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let id = ("msisdn", NORMAL_MSISDN);
    let r = env
        .ok(
            &token,
            "/operate/sim-call-function",
            &[id, ("operType", "1")],
        )
        .await;
    assert_eq!(r, json!({"msisdn": NORMAL_MSISDN}));
    env.ok(
        &token,
        "/operate/sim-sms-function",
        &[id, ("operType", "1")],
    )
    .await;
    let st = env
        .ok(&token, "/query/sim-communication-function-status", &[id])
        .await;
    for s in st["serviceTypeList"].as_array().unwrap() {
        if s["serviceType"] == "01" || s["serviceType"] == "08" {
            assert_eq!(s["serviceStatus"], "0", "{s}");
        }
    }
    env.ok(
        &token,
        "/operate/sim-sms-function",
        &[id, ("operType", "0")],
    )
    .await;
    assert_eq!(
        env.status(
            &token,
            "/operate/sim-apn-function",
            &[id, ("operType", "1")]
        )
        .await,
        "11000",
        "apnName is required"
    );
    env.ok(
        &token,
        "/operate/sim-apn-function",
        &[id, ("operType", "1"), ("apnName", "CMIOT")],
    )
    .await;
    assert_eq!(env.admin.card(NORMAL_ICCID).await["data_cut"], true);
    assert_eq!(
        env.card_status(&token, NORMAL_MSISDN).await,
        "2",
        "data off is not a card stop"
    );
    env.ok(
        &token,
        "/operate/sim-apn-function",
        &[id, ("operType", "0"), ("apnName", "CMIOT")],
    )
    .await;
    assert_eq!(env.admin.card(NORMAL_ICCID).await["data_cut"], false);

    env.ok(
        &token,
        "/operate/network-speed",
        &[id, ("apnName", "CMIOT"), ("serviceUsageState", "93")],
    )
    .await;
    assert_eq!(env.admin.card(NORMAL_ICCID).await["speed_limit"], 93);
    env.ok(
        &token,
        "/operate/network-speed",
        &[id, ("apnName", "CMIOT"), ("serviceUsageState", "1")],
    )
    .await;
    assert_eq!(
        env.admin.card(NORMAL_ICCID).await["speed_limit"],
        Value::Null
    );
    assert_eq!(
        env.status(
            &token,
            "/operate/network-speed",
            &[id, ("apnName", "CMIOT"), ("serviceUsageState", "95")]
        )
        .await,
        "11000"
    );
}

#[tokio::test]
async fn repeat_rule_when_configured() {
    let text = format!(
        "{}\n[dialects.cmcc]\nrepeat_rule_minutes = 30\n",
        carrier_sim::fixture::DEFAULT_FIXTURE
    );
    let env = Cmcc::with(Simulator::builder().fixture_str(&text).start().await);
    let token = env.token().await;
    let p = "/change/sim-status";
    let stop = [("msisdn", NORMAL_MSISDN), ("operType", "0")];
    let resume = [("msisdn", NORMAL_MSISDN), ("operType", "1")];
    assert_eq!(env.status(&token, p, &stop).await, "0");
    assert_eq!(env.status(&token, p, &resume).await, "19010");
    assert_eq!(env.card_status(&token, NORMAL_MSISDN).await, "4");
    env.sim.advance("31m").unwrap();
    assert_eq!(env.status(&token, p, &resume).await, "0");
}

// ------------------------------------------------- pools and offerings

#[tokio::test]
async fn groups_are_the_flow_pools() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let r = env
        .ok(&token, "/query/group-by-member", &[("msisdn", POOL_A)])
        .await;
    assert_eq!(r["groupList"][0]["groupId"], POOL_ID);
    let none = env
        .ok(
            &token,
            "/query/group-by-member",
            &[("msisdn", NORMAL_MSISDN)],
        )
        .await;
    assert_eq!(none["groupList"], json!([]));

    let pools: Value = env
        .http
        .get(format!("{}/_sim/pools", env.sim.uri()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pool = pools["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == POOL_ID)
        .unwrap()
        .clone();
    let used = pool["used_bytes"].as_u64().unwrap();
    let usage = env
        .ok(&token, "/query/group-data-usage", &[("groupId", POOL_ID)])
        .await;
    assert_eq!(usage["dataAmount"], kb(used).as_str());
    let margin = env
        .ok(&token, "/query/group-data-margin", &[("groupId", POOL_ID)])
        .await;
    let m = &margin["accmMarginList"][0];
    assert_eq!(m["totalAmount"], "2097152.00");
    assert_eq!(m["useAmount"], kb(used).as_str());
    assert_eq!(
        env.status(
            &token,
            "/query/group-data-usage",
            &[("groupId", "POOL-CU-0001")]
        )
        .await,
        "12034"
    );
    assert_eq!(
        env.status(&token, "/query/group-data-margin", &[]).await,
        "11000"
    );
    let member = env
        .ok(&token, "/query/sim-data-margin", &[("msisdn", POOL_A)])
        .await;
    assert_eq!(member["accmMarginList"][0]["totalAmount"], "2097152.00");
    assert_eq!(member["accmMarginList"][0]["useAmount"], kb(used).as_str());
    let inpool = env
        .ok(
            &token,
            "/query/sim-data-usage-inpool",
            &[("msisdn", POOL_A)],
        )
        .await;
    assert_eq!(inpool["groupId"], POOL_ID);
    assert_eq!(inpool["dataAmount"], kb(629_145_600).as_str());
}

#[tokio::test]
async fn group_membership_management() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let p = "/manage/group-managment";
    let add = [
        ("msisdn", NORMAL_MSISDN),
        ("groupId", POOL_ID),
        ("operType", "0"),
        ("effectType", "0"),
    ];
    let v = env.call(&token, p, &add).await;
    assert_eq!(v["status"], "0", "{v}");
    assert_eq!(env.admin.card(NORMAL_ICCID).await["pool"], POOL_ID);
    let r = env
        .ok(
            &token,
            "/query/group-by-member",
            &[("msisdn", NORMAL_MSISDN)],
        )
        .await;
    assert_eq!(r["groupList"][0]["groupId"], POOL_ID);
    assert_eq!(env.status(&token, p, &add).await, "12089");
    let remove = [
        ("msisdn", NORMAL_MSISDN),
        ("groupId", POOL_ID),
        ("operType", "1"),
        ("effectType", "1"),
    ];
    assert_eq!(env.status(&token, p, &remove).await, "0");
    assert_eq!(env.admin.card(NORMAL_ICCID).await["pool"], Value::Null);
    let foreign = [
        ("msisdn", NORMAL_MSISDN),
        ("groupId", "POOL-CU-0001"),
        ("operType", "0"),
        ("effectType", "0"),
    ];
    assert_eq!(env.status(&token, p, &foreign).await, "12034");
    let bad = [
        ("msisdn", NORMAL_MSISDN),
        ("groupId", POOL_ID),
        ("operType", "2"),
        ("effectType", "0"),
    ];
    assert_eq!(env.status(&token, p, &bad).await, "11000");
}

#[tokio::test]
async fn offerings_and_package_orders() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let r = env
        .ok(
            &token,
            "/query/ordered-offerings",
            &[("queryType", "3"), ("msisdn", NORMAL_MSISDN)],
        )
        .await;
    assert_eq!(r["offeringInfoList"][0]["offeringId"], "I00010100001");
    let ec = env
        .ok(&token, "/query/ordered-offerings", &[("queryType", "1")])
        .await;
    assert!(!ec["offeringInfoList"].as_array().unwrap().is_empty());
    let grp = env
        .ok(
            &token,
            "/query/ordered-offerings",
            &[("queryType", "2"), ("groupId", POOL_ID)],
        )
        .await;
    assert_eq!(grp["offeringInfoList"][0]["offeringId"], POOL_ID);
    assert_eq!(
        env.status(&token, "/query/ordered-offerings", &[("queryType", "4")])
            .await,
        "11000"
    );
    let d = env
        .ok(
            &token,
            "/query/offerings-detail",
            &[("offeringId", "I00010100001")],
        )
        .await;
    assert_eq!(d["dataAmount"], "1048576.00");
    assert_eq!(
        env.status(&token, "/query/offerings-detail", &[("offeringId", "X")])
            .await,
        "11000"
    );

    // An add-on on an over-quota auto-stop card: this month (CMCC plan), so
    // the card resumes at once.
    let order = [
        ("msisdn", OVER_QUOTA),
        ("maincommoDity", "I00010100001"),
        ("packageType", "3"),
    ];
    let r = env.ok(&token, "/order/gprspackage-order", &order).await;
    assert_eq!(r["msisdn"], OVER_QUOTA);
    assert_eq!(env.card_status(&token, OVER_QUOTA).await, "2");
    let margin = env
        .ok(&token, "/query/sim-data-margin", &[("msisdn", OVER_QUOTA)])
        .await;
    let rows = margin["accmMarginList"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["totalAmount"], "1048576.00");
    let card = env.admin.card(OVER_QUOTA).await;
    assert_eq!(card["addons"].as_array().unwrap().len(), 1);
    assert_eq!(
        env.status(
            &token,
            "/order/gprspackage-order",
            &[
                ("msisdn", NORMAL_MSISDN),
                ("maincommoDity", "I00010100001"),
                ("packageType", "9")
            ]
        )
        .await,
        "11000"
    );
    assert_eq!(
        env.status(
            &token,
            "/order/gprspackage-order",
            &[
                ("msisdn", CANCELLED),
                ("maincommoDity", "I00010100001"),
                ("packageType", "1")
            ]
        )
        .await,
        "12089"
    );
    let b = env
        .ok(
            &token,
            "/order/gprspackage-order/batch",
            &[
                ("msisdns", NORMAL_MSISDN),
                ("maincommoDity", "I00010100001"),
                ("packageType", "1"),
            ],
        )
        .await;
    assert!(b["jobId"].is_string());
}

#[tokio::test]
async fn balance_and_bill() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let b = env
        .ok(&token, "/query/balance-info", &[("msisdn", NORMAL_MSISDN)])
        .await;
    assert_eq!(b["balance"], "50.00");
    let a = env
        .ok(&token, "/query/balance-info", &[("msisdn", ARREARS)])
        .await;
    assert_eq!(a["balance"], "-2.00");
    let bill = env
        .ok(&token, "/query/ec-bill", &[("queryDate", "202611")])
        .await;
    assert_eq!(bill["billCycle"], "202611");
    assert!(all_strings(&bill));
    for bad in ["202612", "2026", ""] {
        assert_eq!(
            env.status(&token, "/query/ec-bill", &[("queryDate", bad)])
                .await,
            "11000"
        );
    }
}

#[tokio::test]
async fn location_from_the_simulated_position() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let admin = env.admin.card(NORMAL_ICCID).await;
    let id = [("msisdn", NORMAL_MSISDN)];
    let pos = env
        .ok(&token, "/query/position-location-message", &id)
        .await;
    let lat: f64 = pos["lat"].as_str().unwrap().parse().unwrap();
    let lon: f64 = pos["lon"].as_str().unwrap().parse().unwrap();
    assert!((lat - admin["session"]["lat"].as_f64().unwrap()).abs() < 1e-5);
    assert!((lon - admin["session"]["lon"].as_f64().unwrap()).abs() < 1e-5);
    let d = env
        .ok(&token, "/query/district-position-location-message", &id)
        .await;
    assert_eq!(d["cityCode"].as_str().unwrap().len(), 6);
    let last = env
        .call(
            &token,
            "/query/last-position-location",
            &[("msisdns", &format!("{NORMAL_MSISDN}_{POOL_A}"))],
        )
        .await;
    assert_eq!(last["result"].as_array().unwrap().len(), 2);
    assert!(is_datetime(last["result"][0]["lastTime"].as_str().unwrap()));
    let many: Vec<&str> = std::iter::repeat_n(NORMAL_MSISDN, 21).collect();
    assert_eq!(
        env.status(
            &token,
            "/query/last-position-location",
            &[("msisdns", &many.join("_"))]
        )
        .await,
        "11000"
    );
    let ld = env.ok(&token, "/query/last-district-position", &id).await;
    assert_eq!(ld["mobileCountryCode"], "460");
    assert!(is_datetime(ld["onLineTime"].as_str().unwrap()));
}

// ------------------------------------------------------- malformed

#[tokio::test]
async fn malformed_input_gets_the_error_envelope() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let url = env.url("/query/sim-status");
    // No parameters at all.
    let v = envelope(env.http.get(&url).send().await.unwrap()).await;
    assert_eq!(v["status"], "12021");
    // Broken JSON, a JSON array, and a non-UTF-8 body.
    for (ct, body) in [
        ("application/json", b"{\"token\":".to_vec()),
        ("application/json", b"[1,2]".to_vec()),
        ("application/json", vec![b'{', 0xff, 0xfe, b'}']),
    ] {
        let resp = env
            .http
            .post(&url)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(envelope(resp).await["status"], "11000");
    }
    // Invalid UTF-8 percent-encoded in the query.
    let t = transid();
    let raw = format!("{url}?transid={t}&token={token}&msisdn=%FF%FE%00");
    let v = envelope(env.http.get(raw).send().await.unwrap()).await;
    assert_eq!(v["status"], "12010");
    // A huge body.
    let resp = env
        .http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 3 << 20])
        .send()
        .await
        .unwrap();
    assert!(resp.status() != 500 && resp.status().as_u16() < 500);
    // Huge and odd values.
    let long = "9".repeat(10_000);
    assert_eq!(
        env.status(&token, "/query/sim-status", &[("msisdn", &long)])
            .await,
        "12010"
    );
    assert_eq!(
        env.status(
            &token,
            "/query/sim-data-usage-daily/batch",
            &[("msisdns", NORMAL_MSISDN), ("queryDate", &long)]
        )
        .await,
        "11000"
    );
    assert_eq!(
        env.status(&token, "/query/sim-card-info/batch", &[("msisdns", "__")])
            .await,
        "11000"
    );
    // An unknown path under /v5/ec answers with the envelope too.
    let resp = env
        .http
        .get(env.url("/query/no-such-thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(resp).await["status"], "11000");
}

// ------------------------------------------------------------- v2

fn v2_token(transid: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("{APPID}{PASSWORD}{transid}").as_bytes());
    hex::encode(h.finalize())
}

pub(super) async fn v2(env: &Cmcc, api: &str, ebid: &str, params: &[(&str, &str)]) -> Value {
    let t = transid();
    let token = v2_token(&t);
    let mut all = vec![
        ("appid", APPID),
        ("transid", t.as_str()),
        ("ebid", ebid),
        ("token", token.as_str()),
    ];
    all.extend_from_slice(params);
    let resp = env
        .http
        .get(format!("{}/v2/{api}", env.sim.uri()))
        .query(&all)
        .send()
        .await
        .unwrap();
    envelope(resp).await
}

#[tokio::test]
async fn v2_single_card_calls() {
    let env = Cmcc::start().await;
    let id = [("msisdn", NORMAL_MSISDN)];
    let r = v2(&env, "userstatusrealsingle", "0001000000009", &id).await;
    assert_eq!(r["status"], "0");
    assert_eq!(r["result"][0]["STATUS"], "00");
    for (msisdn, want) in [
        (MANUAL_STOP, "02"),
        (ARREARS, "01"),
        (EXPIRED, "03"),
        (CANCELLED, "04"),
        (ACTIVATION_READY, "07"),
    ] {
        let r = v2(
            &env,
            "userstatusrealsingle",
            "0001000000009",
            &[("msisdn", msisdn)],
        )
        .await;
        assert_eq!(r["result"][0]["STATUS"], want, "{msisdn}");
    }
    let r = v2(&env, "gprsrealsingle", "0001000000008", &id).await;
    assert_eq!(r["result"][0]["GPRSSTATUS"], "01");
    assert_eq!(r["result"][0]["APN"], "CMIOT");
    assert!(r["result"][0]["IP"].is_string() && r["result"][0]["RAT"].is_string());
    let r = v2(&env, "gprsusedinfosingle", "0001000000012", &id).await;
    assert_eq!(r["result"][0]["total_gprs"], kb(NORMAL_DATA_BYTES).as_str());
    let r = v2(
        &env,
        "onandoffrealsingle",
        "0001000000025",
        &[("iccid", NORMAL_ICCID)],
    )
    .await;
    assert_eq!(r["result"][0]["status"], "1");
    let r = v2(&env, "balancerealsingle", "0001000000035", &id).await;
    assert_eq!(r["result"][0]["balance"], "50.00");
    let r = v2(&env, "smsusedinfosingle", "0001000000036", &id).await;
    assert_eq!(r["status"], "0");
    let r = v2(&env, "gprsrealtimeinfo", "0001000000083", &id).await;
    let g = &r["result"][0]["gprs"][0];
    // `total` is MB (manual sample copied in public Java clients: total "70.0").
    assert_eq!(g["total"], "1024.0");
    assert_eq!(g["used"], kb(NORMAL_DATA_BYTES).as_str());
    assert!(g["prodid"].is_string() && g["prodname"].is_string() && g["prodinstid"].is_string());
    assert!(g["left"].is_string());
    let r = v2(
        &env,
        "gprsusedinfosinglebydate",
        "0001000000407",
        &[("msisdn", NORMAL_MSISDN), ("query_date", "20261124")],
    )
    .await;
    assert_eq!(r["status"], "0");
    assert!(r["result"][0]["gprs"].is_string());
    let r = v2(
        &env,
        "querycardlifecycle",
        "0001000000432",
        &[("iccid", NORMAL_ICCID)],
    )
    .await;
    assert_eq!(r["result"][0]["lifecycle"], "00");
    let r = v2(&env, "querycardprodinfo", "0001000000264", &id).await;
    assert_eq!(r["status"], "0");
    let r = v2(&env, "querycardopentime", "0001000000901", &id).await;
    assert_eq!(r["status"], "0");
    let r = v2(
        &env,
        "userstatusrealsingle",
        "0001000000009",
        &[("msisdn", OTHER_ACCOUNT)],
    )
    .await;
    assert_eq!(r["status"], "12009");
}

#[tokio::test]
async fn v2_batch_and_count_calls() {
    let env = Cmcc::start().await;
    let r = v2(&env, "querycardcount", "0001000000417", &[]).await;
    let c = &r["result"][0];
    for f in ["normalnum", "othernum", "sleepnum", "testnum"] {
        assert!(c[f].as_str().unwrap().parse::<u32>().is_ok(), "{f}: {c}");
    }
    assert_eq!(c["testnum"], "1");
    let list = format!("{NORMAL_MSISDN}_{MANUAL_STOP}_1449999999999");
    let r = v2(
        &env,
        "batchqueryrealtimegprsinfo",
        "0001000000931",
        &[("msisdns", &list)],
    )
    .await;
    let items = r["result"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["msisdn"], NORMAL_MSISDN);
    assert_eq!(items[0]["gprsUsed"], kb(NORMAL_DATA_BYTES).as_str());
    assert_eq!(items[0]["gprsTotal"], "1048576.00");
    for f in [
        "prodId",
        "podInstId",
        "prodName",
        "gprsLeft",
        "status",
        "message",
    ] {
        assert!(items[0][f].is_string(), "{f}");
    }
    assert_eq!(items[2]["status"], "12010");
    let r = v2(
        &env,
        "batchquerycardlifecycle",
        "0001000000929",
        &[("msisdns", &list)],
    )
    .await;
    // A stopped card is still in its formal (正式期) phase: lifecycle is a
    // phase, 00 正式期 / 01 测试期 / 02 沉默期 / 03 其他 (amlink ApiModels.cs).
    assert_eq!(r["result"][1]["lifecycle"], "00");
}

#[tokio::test]
async fn v2_authentication_and_ebid() {
    let env = Cmcc::start().await;
    let t = transid();
    let resp = env
        .http
        .get(format!("{}/v2/userstatusrealsingle", env.sim.uri()))
        .query(&[
            ("appid", APPID),
            ("transid", t.as_str()),
            ("ebid", "0001000000009"),
            (
                "token",
                "4962ad69adcbf490c9f749fff734b5706a874ebab1120aaa23c9d288290534ca",
            ),
            ("msisdn", NORMAL_MSISDN),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(resp).await["status"], "12004");
    let r = v2(
        &env,
        "userstatusrealsingle",
        "0001000000008",
        &[("msisdn", NORMAL_MSISDN)],
    )
    .await;
    assert_eq!(r["status"], "11000", "ebid must match the apiName");
    let r = v2(
        &env,
        "nosuchapi",
        "0001000000009",
        &[("msisdn", NORMAL_MSISDN)],
    )
    .await;
    assert_eq!(r["status"], "11000");
    let resp = env
        .http
        .get(format!("{}/v2/userstatusrealsingle", env.sim.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(resp).await["status"], "11000");
}

/// A plan whose renewals and add-ons take effect next month.
const NEXT_MONTH_FIXTURE: &str = r#"
seed = 1
start = "2026-11-24T10:00:00+08:00"

[[accounts]]
id = "ec"
name = "EC"
carrier = "cmcc"
[accounts.credentials]
appid = "100001"
password = "cmcc-demo-pass"

[[plans]]
id = "p1g-next"
name = "1GB next-month"
carrier = "cmcc"
data = "1GB"
monthly_fee_fen = 1000
term_months = 12
overage_fen_per_mb = 2
renewal_fee_fen = 12000
renewal_effect = "next_month"
offer_id = "I00010100009"

[[cards]]
iccid = "89860000000000000019"
imsi = "460040000000001"
msisdn = "1440000000001"
account = "ec"
plan = "p1g-next"
balance_fen = 10000
data_used = "1GB"
auto_stop = true
state = "suspended"
reasons = ["over_quota"]
"#;

#[tokio::test]
async fn package_orders_follow_the_plans_effect() {
    let env = Cmcc::with(
        Simulator::builder()
            .fixture_str(NEXT_MONTH_FIXTURE)
            .start()
            .await,
    );
    let token = env.token().await;
    let order = [
        ("msisdn", NORMAL_MSISDN),
        ("maincommoDity", "I00010100009"),
        ("packageType", "2"),
    ];
    env.ok(&token, "/order/gprspackage-order", &order).await;
    // Next-month effect: still stopped, no extra allowance this month.
    assert_eq!(env.card_status(&token, NORMAL_MSISDN).await, "4");
    let margin = env
        .ok(
            &token,
            "/query/sim-data-margin",
            &[("msisdn", NORMAL_MSISDN)],
        )
        .await;
    assert_eq!(margin["accmMarginList"].as_array().unwrap().len(), 1);
    let offers = env
        .ok(
            &token,
            "/query/ordered-offerings",
            &[("queryType", "3"), ("msisdn", NORMAL_MSISDN)],
        )
        .await;
    let list = offers["offeringInfoList"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["effectiveDate"], "2026-12-01 00:00:00");
    // From the 1st the card is back (rollover) with 500 MB more.
    env.sim.advance("7d").unwrap();
    let token = env.token().await;
    assert_eq!(env.card_status(&token, NORMAL_MSISDN).await, "2");
    let margin = env
        .ok(
            &token,
            "/query/sim-data-margin",
            &[("msisdn", NORMAL_MSISDN)],
        )
        .await;
    let rows = margin["accmMarginList"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["totalAmount"], "512000.00");
}

/// Every single-card v5 query: success shape with string leaves, and the
/// identifier errors (none → 11000, unknown → 12010, foreign → 12009).
#[tokio::test]
async fn every_single_card_query_shape_and_errors() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let paths = [
        "/query/sim-basic-info",
        "/query/sim-status",
        "/query/sim-change-history",
        "/query/sim-imei",
        "/query/sim-stop-reason",
        "/query/sim-real-name-status",
        "/query/on-off-status",
        "/query/sim-session",
        "/query/apn-info",
        "/query/sim-data-usage",
        "/query/sim-data-margin",
        "/query/sim-data-usage-inpool",
        "/query/sim-sms-usage",
        "/query/sim-sms-margin",
        "/query/sim-voice-usage",
        "/query/sim-voice-margin",
        "/query/sim-communication-function-status",
        "/query/group-by-member",
        "/query/balance-info",
        "/query/position-location-message",
        "/query/district-position-location-message",
        "/query/last-district-position",
    ];
    for path in paths {
        let v = env.call(&token, path, &[("iccid", NORMAL_ICCID)]).await;
        assert_eq!(v["status"], "0", "{path}: {v}");
        let result = v["result"].as_array().unwrap();
        assert_eq!(result.len(), 1, "{path}: one element");
        assert!(all_strings(&v["result"]), "{path}: numbers as strings: {v}");
        assert_eq!(env.status(&token, path, &[]).await, "11000", "{path}");
        assert_eq!(
            env.status(&token, path, &[("imsi", "460049999999999")])
                .await,
            "12010",
            "{path}"
        );
        assert_eq!(
            env.status(&token, path, &[("msisdn", OTHER_ACCOUNT)]).await,
            "12009",
            "{path}"
        );
    }
}

/// Every v2 single-card call refuses foreign and unknown cards.
#[tokio::test]
async fn v2_identifier_errors() {
    let env = Cmcc::start().await;
    for (api, ebid) in [
        ("gprsrealsingle", "0001000000008"),
        ("userstatusrealsingle", "0001000000009"),
        ("gprsusedinfosingle", "0001000000012"),
        ("onandoffrealsingle", "0001000000025"),
        ("balancerealsingle", "0001000000035"),
        ("smsusedinfosingle", "0001000000036"),
        ("gprsrealtimeinfo", "0001000000083"),
        ("querycardprodinfo", "0001000000264"),
        ("querycardlifecycle", "0001000000432"),
        ("querycardopentime", "0001000000901"),
    ] {
        let ok = v2(&env, api, ebid, &[("msisdn", NORMAL_MSISDN)]).await;
        assert_eq!(ok["status"], "0", "{api}");
        assert!(all_strings(&ok["result"]), "{api}: {ok}");
        let foreign = v2(&env, api, ebid, &[("msisdn", OTHER_ACCOUNT)]).await;
        assert_eq!(foreign["status"], "12009", "{api}");
        let unknown = v2(&env, api, ebid, &[("iccid", "89860000000000009999")]).await;
        assert_eq!(unknown["status"], "12010", "{api}");
        let none = v2(&env, api, ebid, &[]).await;
        assert_eq!(none["status"], "11000", "{api}");
    }
}

/// Every v5 endpoint with hostile parameters: always HTTP 200 and the
/// envelope (checked by `envelope`), never a panic or a 5xx.
#[tokio::test]
async fn every_endpoint_survives_hostile_parameters() {
    let env = Cmcc::start().await;
    let token = env.token().await;
    let paths = [
        "/query/sim-basic-info",
        "/query/sim-status",
        "/query/sim-change-history",
        "/query/sim-imei",
        "/query/sim-stop-reason",
        "/query/sim-card-info/batch",
        "/query/sim-platform/batch",
        "/query/sim-real-name-status",
        "/query/on-off-status",
        "/query/sim-session",
        "/query/apn-info",
        "/query/card-bind-status",
        "/reset/sim-sms-status",
        "/operate/sim-gprs-status-reset",
        "/query/sim-data-usage",
        "/query/sim-data-margin",
        "/query/sim-data-usage-inpool",
        "/query/sim-sms-usage",
        "/query/sim-sms-margin",
        "/query/sim-voice-usage",
        "/query/sim-voice-margin",
        "/query/sim-data-usage-daily/batch",
        "/query/sim-data-usage-monthly/batch",
        "/query/sim-sms-usage-daily/batch",
        "/query/sim-sms-usage-monthly/batch",
        "/query/sim-voice-usage-daily/batch",
        "/query/sim-voice-usage-monthly/batch",
        "/change/sim-status",
        "/change/sim-status/batch",
        "/query/sim-batch-result",
        "/operate/sim-call-function",
        "/operate/sim-sms-function",
        "/operate/sim-apn-function",
        "/operate/network-speed",
        "/query/group-by-member",
        "/query/group-data-usage",
        "/query/group_data_usage",
        "/query/group-data-margin",
        "/manage/group-managment",
        "/query/ordered-offerings",
        "/query/offerings-detail",
        "/order/gprspackage-order",
        "/query/balance-info",
        "/query/ec-bill",
        "/query/position-location-message",
        "/query/last-position-location",
        "/query/last-district-position",
        "/operate/sim-communication-function/batch",
        "/query/sim-communication-function-status",
        "/order/gprspackage-order/batch",
        "/query/district-position-location-message",
    ];
    let long = "1".repeat(5000);
    let hostile: [Vec<(&str, &str)>; 5] = [
        vec![],
        vec![
            ("msisdn", "%00'\"<>"),
            ("operType", "-99999999999999999999"),
        ],
        vec![("iccid", &long), ("queryDate", "0"), ("groupId", &long)],
        vec![
            ("msisdns", "_____"),
            ("jobId", "\u{fffd}"),
            ("serviceType", "11"),
        ],
        vec![
            ("imsi", NORMAL_IMSI),
            ("queryType", "3"),
            ("packageType", "1e309"),
            ("serviceUsageState", "NaN"),
            ("testType", "\u{1F600}"),
        ],
    ];
    for path in paths {
        for params in &hostile {
            let v = env.call(&token, path, params).await;
            assert!(v["status"].as_str().is_some(), "{path} {params:?}");
        }
    }
}
