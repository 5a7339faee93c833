//! The `/_sim` admin plane as a test sees it: one HTTP client with an
//! optional admin token, the JSON helpers every surface's tests use, and the
//! card look-ups (by ICCID, by role tag) that used to be copied per file.

use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

use carrier_sim::Simulator;

/// A client of one simulator's `/_sim` plane.
pub struct Admin {
    base: String,
    http: Client,
    /// Sent as `Authorization: Bearer` when set.
    pub token: Option<String>,
}

impl Admin {
    /// The admin plane of a started simulator, without a token.
    pub fn new(sim: &Simulator) -> Admin {
        Admin::at(sim.uri())
    }

    /// The admin plane at a base URL (e.g. a simulator bound elsewhere).
    /// Redirects are not followed: a test sees the answer the route gives.
    pub fn at(base: impl Into<String>) -> Admin {
        Admin {
            base: base.into(),
            http: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("HTTP client"),
            token: None,
        }
    }

    /// Any request: (status, body text).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> (StatusCode, String) {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        // Like the CLI and the dashboard: a non-browser client says so, which
        // lets body-less POSTs through the admin plane's cross-site guard.
        rb = rb.header("x-requested-with", "carrier-sim-tests");
        if let Some(b) = body {
            rb = rb
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let r = rb.send().await.expect("request");
        let status = r.status();
        (status, r.text().await.expect("body"))
    }

    /// A JSON request: (status, JSON body); panics when the body is not JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let text = body.map(|b| b.to_string());
        let (status, text) = self.raw(method, path, text.as_deref()).await;
        let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        (status, v)
    }

    /// GET expected to answer 200 with JSON.
    pub async fn get(&self, path: &str) -> Value {
        let (s, v) = self.call(Method::GET, path, None).await;
        assert_eq!(s, StatusCode::OK, "GET {path}: {v}");
        v
    }

    /// Asserts a 4xx JSON error whose text contains `needle`.
    pub async fn refused(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
        code: u16,
        needle: &str,
    ) {
        let (s, text) = self.raw(method.clone(), path, body).await;
        assert_eq!(s.as_u16(), code, "{method} {path} {body:?}: {text}");
        let v: Value = serde_json::from_str(&text).expect("error is JSON");
        let e = v["error"].as_str().expect("error field");
        assert!(
            e.contains(needle),
            "{method} {path}: '{e}' does not name '{needle}'"
        );
    }

    /// `GET /_sim/cards/{id}` (ICCID, MSISDN or IMSI) whatever its status.
    pub async fn card(&self, id: &str) -> Value {
        self.call(Method::GET, &format!("/_sim/cards/{id}"), None)
            .await
            .1
    }

    /// The first card of a carrier's fleet with a role tag (`normal`,
    /// `arrears`, ...), as `/_sim/cards` lists it.
    pub async fn card_by_tag(&self, carrier: &str, tag: &str) -> Value {
        let v = self
            .get(&format!("/_sim/cards?carrier={carrier}&tag={tag}"))
            .await;
        v["items"][0].clone()
    }

    /// The ICCID of that card.
    pub async fn iccid_by_tag(&self, carrier: &str, tag: &str) -> String {
        let card = self.card_by_tag(carrier, tag).await;
        card["iccid"]
            .as_str()
            .unwrap_or_else(|| panic!("no {carrier} card tagged {tag}"))
            .to_string()
    }

    /// `POST /_sim/cards/{iccid}/actions`, expected to succeed.
    pub async fn card_action(&self, iccid: &str, action: Value) {
        let path = format!("/_sim/cards/{iccid}/actions");
        let (s, v) = self.call(Method::POST, &path, Some(action)).await;
        assert!(s.is_success(), "{path}: {v}");
    }

    /// `POST /_sim/faults`, expected to answer 201: the new rule's id.
    pub async fn add_fault(&self, rule: Value) -> String {
        let (s, v) = self.call(Method::POST, "/_sim/faults", Some(rule)).await;
        assert_eq!(s, StatusCode::CREATED, "POST /_sim/faults: {v}");
        v["id"].as_str().expect("fault id").to_string()
    }

    /// `DELETE /_sim/faults`: no fault rule is left.
    pub async fn clear_faults(&self) {
        let (s, v) = self.call(Method::DELETE, "/_sim/faults", None).await;
        assert!(s.is_success(), "DELETE /_sim/faults: {v}");
    }

    /// `PUT /_sim/ratelimits` with these items (`[]` turns limits off),
    /// expected to answer 200.
    pub async fn set_ratelimits(&self, items: Value) {
        let body = serde_json::json!({ "items": items });
        let (s, v) = self.call(Method::PUT, "/_sim/ratelimits", Some(body)).await;
        assert_eq!(s, StatusCode::OK, "PUT /_sim/ratelimits: {v}");
    }
}
