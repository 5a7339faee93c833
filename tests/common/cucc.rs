//! A client of the China Unicom APIs: Jasper / Control Center REST under
//! `/rws/api/v1` with HTTP Basic (user name and API key), and the CMP
//! gateway under `/api/...` whose envelope carries an SM3 token over
//! app_id, timestamp, trans_id and the app secret (docs/protocol-cucc.md).

use carrier_sim::Simulator;
use serde_json::{json, Value};
use sm3::{Digest, Sm3};

/// The default fixture's `cucc-demo` REST user and API key.
pub const USER: &str = "cucc-demo";
pub const KEY: &str = "2f1c9a1e-6b0e-4c3a-9d55-7a1b2c3d4e5f";
/// A second account's REST user, for "not yours" checks.
pub const OTHER_USER: &str = "cucc-other";
pub const OTHER_KEY: &str = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d";
/// The default fixture's CMP gateway app and open id.
pub const APP_ID: &str = "cucc-app-demo";
pub const APP_SECRET: &str = "cucc-app-secret";
pub const OPEN_ID: &str = "cucc-openid-demo";

/// GET under `/rws/api/v1` as the demo user: (status, body).
pub async fn get(sim: &Simulator, path: &str) -> (u16, Value) {
    get_as(sim, path, USER, KEY).await
}

pub async fn get_as(sim: &Simulator, path: &str, user: &str, key: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", sim.cucc_url()))
        .basic_auth(user, Some(key))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn put(sim: &Simulator, iccid: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .put(format!("{}/devices/{iccid}", sim.cucc_url()))
        .basic_auth(USER, Some(KEY))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn raw(
    sim: &Simulator,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let r = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.cucc_url()))
        .basic_auth(USER, Some(KEY))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A CMP gateway envelope signed as the spec describes.
pub fn envelope(app_id: &str, secret: &str, data: Value) -> Value {
    let ts = "20261124100000123";
    let tid = format!("{ts}000042");
    let text = format!("app_id{app_id}timestamp{ts}trans_id{tid}{secret}");
    let token = hex::encode(Sm3::digest(text.as_bytes()));
    json!({"app_id": app_id, "timestamp": ts, "trans_id": tid, "token": token, "data": data})
}

pub async fn cmp(sim: &Simulator, api: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/{api}/V1/1Main/vV1.1", sim.uri()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn cmp_details(sim: &Simulator, iccid: &str) -> Value {
    let (s, v) = cmp(
        sim,
        "wsGetTerminalDetails",
        envelope(
            APP_ID,
            APP_SECRET,
            json!({"openId": OPEN_ID, "version": "1.0", "iccids": [iccid]}),
        ),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["status"], "0000", "{v}");
    v
}
