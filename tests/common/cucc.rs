//! A client of the China Unicom APIs: Jasper / Control Center REST under
//! `/rws/api/v1` with HTTP Basic (user name and API key), and the CMP
//! gateway under `/api/...` whose envelope carries an SM3 token over
//! app_id, timestamp, trans_id and the app secret (docs/protocol-cucc.md).

use super::BaseUrl;
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

/// `…/rws/api/v1` of a simulator or world.
pub fn cucc_url(base: &(impl BaseUrl + ?Sized)) -> String {
    format!("{}/rws/api/v1", base.base_url())
}

/// GET under `/rws/api/v1` as the demo user: (status, body).
pub async fn get(sim: &(impl BaseUrl + ?Sized), path: &str) -> (u16, Value) {
    get_as(sim, path, USER, KEY).await
}

pub async fn get_as(
    sim: &(impl BaseUrl + ?Sized),
    path: &str,
    user: &str,
    key: &str,
) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", cucc_url(sim)))
        .basic_auth(user, Some(key))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn put(sim: &(impl BaseUrl + ?Sized), iccid: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .put(format!("{}/devices/{iccid}", cucc_url(sim)))
        .basic_auth(USER, Some(KEY))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn raw(
    sim: &(impl BaseUrl + ?Sized),
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let r = reqwest::Client::new()
        .request(method, format!("{}{path}", cucc_url(sim)))
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

pub async fn cmp(sim: &(impl BaseUrl + ?Sized), api: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/{api}/V1/1Main/vV1.1", sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn cmp_details(sim: &(impl BaseUrl + ?Sized), iccid: &str) -> Value {
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

// ---- the Jasper SOAP API ----

/// The default fixture's `cucc-demo` Control Center login password (the
/// SOAP WS-Security password) and SOAP license key.
pub const SOAP_PASSWORD: &str = "cucc-demo-pw";
pub const LICENSE: &str = "5b3e8d2a-7c41-4f6e-9a0b-1d2c3e4f5a6b";
/// The Jasper API schema namespace.
pub const SOAP_NS: &str = "http://api.jasperwireless.com/ws/schema";
use SOAP_NS as NS;

pub const SECEXT: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
pub const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
pub const PASSWORD_TEXT: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";

/// A request as a Java SAAJ client secured by XWSS builds it (spec
/// cucc-soap §3; `SimCardService.createEditTerminalRequest` +
/// `secureMessage`): `SOAP-ENV` envelope, `wsse:Security` with
/// `mustUnderstand="1"`, a `wsu:Id` on the token, `Type` on the password,
/// body elements prefixed `sch`, messageId `TCE-100-ABC-34084`, version
/// `1.0`. `children` are `(name, text)` pairs after `licenseKey`.
pub fn java_envelope(
    user: &str,
    password: &str,
    license: &str,
    op: &str,
    children: &str,
) -> String {
    format!(
        "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Header>\
<wsse:Security xmlns:wsse=\"{SECEXT}\" SOAP-ENV:mustUnderstand=\"1\"><wsse:UsernameToken xmlns:wsu=\"{WSU}\" wsu:Id=\"XWSSGID-1543386823532-1296585011\">\
<wsse:Username>{user}</wsse:Username><wsse:Password Type=\"{PASSWORD_TEXT}\">{password}</wsse:Password></wsse:UsernameToken></wsse:Security>\
</SOAP-ENV:Header><SOAP-ENV:Body><sch:{op}Request xmlns:sch=\"{NS}\"><sch:messageId>TCE-100-ABC-34084</sch:messageId>\
<sch:version>1.0</sch:version><sch:licenseKey>{license}</sch:licenseKey>{children}</sch:{op}Request></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
}

/// `<sch:name>text</sch:name>`.
pub fn sch(name: &str, text: &str) -> String {
    format!("<sch:{name}>{text}</sch:{name}>")
}

/// POSTs an envelope with the SOAPAction the Java clients send: (status,
/// content type, body).
pub async fn soap_post(
    sim: &(impl BaseUrl + ?Sized),
    path: &str,
    action: &str,
    envelope: String,
) -> (u16, String, String) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", sim.base_url()))
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", action)
        .body(envelope)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ctype, r.text().await.unwrap())
}
