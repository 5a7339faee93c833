//! A signed client of the China Mobile OneLink v5 API (`/v5/ec`): a token
//! from `/get/token` with the default fixture's demo credentials, then
//! business calls with `transid` and `token`, each answer checked for the
//! carrier's `{"status","message","result":[...]}` envelope (docs/protocol-cmcc.md
//! §1; mehunk/china-carrier-iot-sdk builds the same query strings).

use std::sync::atomic::{AtomicU32, Ordering};

use carrier_sim::Simulator;
use serde_json::{json, Value};

use super::admin::Admin;
use super::BaseUrl;

/// The default fixture's `cmcc-demo` credentials.
pub const APPID: &str = "100001";
pub const PASSWORD: &str = "cmcc-demo-pass";

static SEQ: AtomicU32 = AtomicU32::new(1);

/// appid + yyyyMMddHHmmss + 8-digit sequence, as the spec's example.
pub fn transid() -> String {
    format!(
        "{APPID}20261124100000{:08}",
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// Checks HTTP 200 and the `{"status","message","result":[...]}` envelope.
pub async fn envelope(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status(), 200, "every outcome is HTTP 200");
    let v: Value = resp.json().await.expect("JSON body");
    assert!(v["status"].is_string(), "{v}");
    assert!(v["message"].is_string(), "{v}");
    assert!(v["result"].is_array(), "{v}");
    if v["status"] != "0" {
        assert_eq!(v["result"], json!([]), "errors carry an empty result");
    }
    v
}

/// A started simulator seen by a CMCC v5 client, with its admin plane;
/// the client calls are [`CmccApi`]'s (reached through `Deref`).
pub struct Cmcc {
    pub sim: Simulator,
    pub api: CmccApi,
    pub admin: Admin,
}

impl Cmcc {
    /// A simulator on the default fixture.
    pub async fn start() -> Cmcc {
        Cmcc::with(Simulator::start().await)
    }

    pub fn with(sim: Simulator) -> Cmcc {
        Cmcc {
            admin: Admin::new(&sim),
            api: CmccApi::at(&sim),
            sim,
        }
    }
}

impl std::ops::Deref for Cmcc {
    type Target = CmccApi;
    fn deref(&self) -> &CmccApi {
        &self.api
    }
}

/// A CMCC v5 client of the default fixture's demo account at a base URL.
pub struct CmccApi {
    /// The base URL (`/v5/ec` is added).
    pub base: String,
    pub http: reqwest::Client,
}

impl CmccApi {
    /// The client of a simulator, a shared world or a world's base URL.
    pub fn at(base: &(impl BaseUrl + ?Sized)) -> CmccApi {
        CmccApi {
            base: base.base_url(),
            http: reqwest::Client::new(),
        }
    }

    /// A path under `/v5/ec`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/v5/ec{path}", self.base)
    }

    /// GET with a query string; asserts HTTP 200 and the envelope shape.
    pub async fn get(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let resp = self
            .http
            .get(self.url(path))
            .query(params)
            .send()
            .await
            .unwrap();
        envelope(resp).await
    }

    /// A fresh token for the demo account.
    pub async fn token(&self) -> String {
        let t = transid();
        let v = self
            .get(
                "/get/token",
                &[("appid", APPID), ("password", PASSWORD), ("transid", &t)],
            )
            .await;
        assert_eq!(v["status"], "0", "{v}");
        v["result"][0]["token"].as_str().unwrap().to_string()
    }

    /// A business call over GET with transid and token added.
    pub async fn call(&self, token: &str, path: &str, params: &[(&str, &str)]) -> Value {
        let t = transid();
        let mut all = vec![("transid", t.as_str()), ("token", token)];
        all.extend_from_slice(params);
        self.get(path, &all).await
    }

    /// A call expected to succeed: its `result[0]`.
    pub async fn ok(&self, token: &str, path: &str, params: &[(&str, &str)]) -> Value {
        let v = self.call(token, path, params).await;
        assert_eq!(v["status"], "0", "{path} {params:?}: {v}");
        assert_eq!(v["message"], "正确");
        v["result"][0].clone()
    }

    /// The status of a call.
    pub async fn status(&self, token: &str, path: &str, params: &[(&str, &str)]) -> String {
        let v = self.call(token, path, params).await;
        v["status"].as_str().unwrap().to_string()
    }

    /// `cardStatus` of `/query/sim-status` for a number.
    pub async fn card_status(&self, token: &str, msisdn: &str) -> String {
        let r = self
            .ok(token, "/query/sim-status", &[("msisdn", msisdn)])
            .await;
        r["cardStatus"].as_str().unwrap().to_string()
    }
}
