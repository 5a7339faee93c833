//! A signed client of the China Telecom APIs: the legacy `/m2m_ec/*.do`
//! calls with the three-key DES `passWord` and `sign` (docs/protocol-ctcc.md;
//! the npm package ctcc-cmp signs the same way) and the 5G CMP gateway with
//! its MD5 `Sign` header over sorted parameters, body, secret and timestamp.

use carrier_sim::carriers::ctcc::des::TripleKey;
use carrier_sim::carriers::ctcc::sign::{g5_sign, joined};
use carrier_sim::Simulator;
use serde_json::Value;

use super::admin::Admin;
use super::BaseUrl;

/// The default fixture's `ctcc-demo` legacy credentials and DES key.
pub const USER: &str = "testuser";
pub const PASS: &str = "test1234";
pub const KEY: &str = "abcdefghi";
/// The default fixture's 5G CMP app key and secret.
pub const APP_KEY: &str = "ctcc-5g-demo";
pub const SECRET: &str = "testsecret";

/// A started simulator seen by a CTCC client, with its admin plane; the
/// client calls are [`CtccApi`]'s (reached through `Deref`).
pub struct Ctcc {
    pub sim: Simulator,
    pub api: CtccApi,
    pub admin: Admin,
}

impl Ctcc {
    /// A simulator on the default fixture.
    pub async fn start() -> Ctcc {
        Ctcc::with(Simulator::start().await)
    }

    pub fn with(sim: Simulator) -> Ctcc {
        Ctcc {
            admin: Admin::new(&sim),
            api: CtccApi::at(&sim),
            sim,
        }
    }
}

impl std::ops::Deref for Ctcc {
    type Target = CtccApi;
    fn deref(&self) -> &CtccApi {
        &self.api
    }
}

/// A CTCC client of the default fixture's demo credentials at a base URL.
pub struct CtccApi {
    /// The base URL (paths such as `/m2m_ec/query.do` are added).
    pub base: String,
    pub http: reqwest::Client,
    pub key: TripleKey,
}

impl CtccApi {
    /// The client of a simulator, a shared world or a world's base URL.
    pub fn at(base: &(impl BaseUrl + ?Sized)) -> CtccApi {
        CtccApi {
            base: base.base_url(),
            http: reqwest::Client::new(),
            key: TripleKey::from_key(KEY),
        }
    }

    /// A correctly signed legacy call: `sign_values` are the method's extra
    /// sign values besides user_id, password and method.
    pub async fn call(
        &self,
        path: &str,
        method: &str,
        params: &[(&str, &str)],
        sign_values: &[&str],
    ) -> String {
        let mut values = vec![USER, PASS, method];
        values.extend_from_slice(sign_values);
        let sign = self.key.enc(&joined(&values));
        let pw = self.key.enc(PASS);
        let mut q: Vec<(&str, &str)> = vec![
            ("method", method),
            ("user_id", USER),
            ("passWord", &pw),
            ("sign", &sign),
        ];
        q.extend_from_slice(params);
        self.raw_get(path, &q).await
    }

    /// A signed query.do call by access number.
    pub async fn q(&self, method: &str, number: &str, extra: &[(&str, &str)]) -> String {
        let mut params = vec![("access_number", number)];
        params.extend_from_slice(extra);
        self.call("/m2m_ec/query.do", method, &params, &[number])
            .await
    }

    pub async fn raw_get(&self, path: &str, q: &[(&str, &str)]) -> String {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .query(q)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.text().await.unwrap()
    }

    pub async fn json(&self, method: &str, number: &str, extra: &[(&str, &str)]) -> Value {
        let body = self.q(method, number, extra).await;
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"))
    }

    pub async fn main_status(&self, number: &str) -> String {
        let v = self.json("queryCardMainStatus", number, &[]).await;
        v["productInfo"][0]["productMainStatusCd"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// A signed 5G call.
    pub async fn g5(&self, path: &str, query: &[(&str, &str)], body: Option<Value>) -> Value {
        self.g5_with(path, query, body, APP_KEY, SECRET, "20261125100000")
            .await
    }

    pub async fn g5_with(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        app_key: &str,
        secret: &str,
        ts: &str,
    ) -> Value {
        let mut sorted: Vec<(&str, &str)> = query.to_vec();
        sorted.sort();
        let params = sorted
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let raw = body.as_ref().map(|b| b.to_string()).unwrap_or_default();
        let sign = g5_sign(&format!("{params}{raw}{secret}{ts}"));
        let mut req = self
            .http
            .request(
                if body.is_some() {
                    reqwest::Method::POST
                } else {
                    reqwest::Method::GET
                },
                format!("{}{path}", self.base),
            )
            .query(query)
            .header("AppKey", app_key)
            .header("Timestamp", ts)
            .header("Sign", sign);
        if body.is_some() {
            req = req
                .header("Content-Type", "application/json")
                .body(raw.clone());
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let text = resp.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }

    /// A signed 5G POST with a raw (possibly malformed) body.
    pub async fn g5_raw(&self, path: &str, raw: &str) -> Value {
        let ts = "20261125100000";
        let sign = g5_sign(&format!("{raw}{SECRET}{ts}"));
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("AppKey", APP_KEY)
            .header("Timestamp", ts)
            .header("Sign", sign)
            .header("Content-Type", "application/json")
            .body(raw.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }
}
