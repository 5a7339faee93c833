//! Black-box tests of the conformance tools: a fake upstream (wiremock)
//! plays each real platform with answers in the real formats of the
//! carriers' specs; a client speaks each dialect with its real auth through
//! the recording proxy, and the session file is checked.
//!
//! Formats and auth, by source:
//! * CMCC OneLink v5: `GET /v5/ec/get/token?appid&password&transid` answers
//!   `{"status":"0","message":"正确","result":[{"token":…}]}`, business calls
//!   carry `transid` + `token` (mehunk/china-carrier-iot-sdk packages/cmcc).
//! * CUCC Jasper REST: `Authorization: Basic base64(username:apiKey)`
//!   (mehunk packages/cucc/src/jasper-client); CMP gateway: JSON envelope
//!   with `token = sm3("app_id"…"timestamp"…"trans_id"…+appSecret)`
//!   (mehunk packages/cucc-cmp); SOAP: WS-Security `Password` and
//!   `licenseKey` in the body (Jasper's published terminal WSDL/XSD clients).
//! * CTCC m2m_ec: `passWord = strEnc(password, k1, k2, k3)` and
//!   `sign = strEnc(sorted values joined by ",")` (the des.js doc text copied
//!   in public Java clients); 5G CMP: `AppKey`, `Timestamp`, `Sign` headers
//!   (the vendor's `SignUtil` sample).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use carrier_sim::carriers::ctcc::des::str_enc;
use carrier_sim::carriers::ctcc::sign::{g5_sign, joined};
use carrier_sim::carriers::cucc::cmp::token as cmp_token;
use carrier_sim::conform::record::{self, RecordConfig};
use carrier_sim::conform::session;
use carrier_sim::domain::Carrier;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

// Credentials of the fake accounts: long and distinct so that a leak is
// unambiguous when the recorded bytes are searched for them.
const CMCC_APPID: &str = "100001";
const CMCC_PASSWORD: &str = "Cm-Pa55word-9137";
const CMCC_TOKEN: &str = "a7c91e3f55d24f0b8e7c0d6f2b1a9e44";
const CUCC_USER: &str = "cucc-real-user";
const CUCC_API_KEY: &str = "5b0c1f4e-8d2a-4c7b-9e13-6f7a8b9c0d1e";
const CUCC_APP_ID: &str = "cmpapp1001";
const CUCC_APP_SECRET: &str = "Sx9-cmp-secret-4471";
const CUCC_SOAP_PASSWORD: &str = "Soap-Pw-8812";
const CUCC_LICENSE_KEY: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const CTCC_USER: &str = "ctccuser77";
const CTCC_PASSWORD: &str = "Tel3com-pw";
const CTCC_KEY: &str = "k9Xq2Lm7R";
const CTCC_APP_KEY: &str = "ctcc-5g-appkey-5521";
const CTCC_SECRET: &str = "9f3b7c1d2";

const CMCC_MSISDN: &str = "14400000123";
const CUCC_ICCID: &str = "89860612345678901236";
const CUCC_IMSI: &str = "460061234567890";
const CUCC_MSISDN: &str = "8614400069552";
const CTCC_NUMBER: &str = "14910000123";

fn json(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(body.as_bytes().to_vec(), "application/json;charset=UTF-8")
}

fn xml(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "text/xml;charset=UTF-8")
}

/// The fake OneLink: a token for the right appid/password, sim-status for it.
async fn fake_cmcc() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v5/ec/get/token"))
        .and(query_param("appid", CMCC_APPID))
        .and(query_param("password", CMCC_PASSWORD))
        .respond_with(json(&format!(
            r#"{{"status":"0","message":"正确","result":[{{"token":"{CMCC_TOKEN}"}}]}}"#
        )))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v5/ec/query/sim-status"))
        .and(query_param("token", CMCC_TOKEN))
        .and(query_param("msisdn", CMCC_MSISDN))
        .respond_with(json(
            r#"{"status":"0","message":"正确","result":[{"cardStatus":"2","lastChangeDate":"2026-09-24 10:00:00"}]}"#,
        ))
        .mount(&s)
        .await;
    s
}

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CUCC_USER}:{CUCC_API_KEY}"))
    )
}

/// The fake Control Center (REST, SOAP) and CMP gateway.
async fn fake_cucc() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/rws/api/v1/devices/{CUCC_ICCID}")))
        .and(header("authorization", basic().as_str()))
        .respond_with(json(&format!(
            r#"{{"iccid":"{CUCC_ICCID}","imsi":"{CUCC_IMSI}","msisdn":"{CUCC_MSISDN}","imei":"","status":"ACTIVATED","ratePlan":"1GB月包","communicationPlan":"CP","customer":null,"endConsumerId":null,"dateActivated":"2026-09-24 02:00:00.000+0000","dateAdded":"2026-09-01 00:00:00.000+0000","dateUpdated":"2026-11-20 08:00:00.000+0000","dateShipped":"2026-09-01 00:00:00.000+0000","accountId":"100020620","fixedIPAddress":null}}"#
        )))
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/wsGetTerminalDetails/V1/1Main/vV1.1"))
        .respond_with(json(&format!(
            r#"{{"status":"0000","message":"成功","data":{{"messageId":"m1","resultCode":"0000","resultDesc":"成功","timestamp":"2026-11-27 10:00:00","version":"1.0","terminals":[{{"iccid":"{CUCC_ICCID}","msisdn":"{CUCC_MSISDN}","imsi":"{CUCC_IMSI}","simStatus":"2","monthToDateDataUsage":"356.20"}}]}}}}"#
        )))
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/ws/service/terminal"))
        .respond_with(xml(&format!(
            r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><ns2:GetTerminalDetailsResponse xmlns:ns2="http://api.jasperwireless.com/ws/schema"><ns2:correlationId>c1</ns2:correlationId><ns2:version>7.28</ns2:version><ns2:terminals><ns2:terminal><ns2:iccid>{CUCC_ICCID}</ns2:iccid><ns2:status>ACTIVATED</ns2:status></ns2:terminal></ns2:terminals></ns2:GetTerminalDetailsResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"#
        )))
        .mount(&s)
        .await;
    s
}

fn ctcc_keys() -> (&'static str, &'static str, &'static str) {
    (&CTCC_KEY[0..3], &CTCC_KEY[3..6], &CTCC_KEY[6..9])
}

/// The fake m2m_ec and 5G CMP.
async fn fake_ctcc() -> MockServer {
    let s = MockServer::start().await;
    let (k1, k2, k3) = ctcc_keys();
    Mock::given(method("GET"))
        .and(path("/m2m_ec/query.do"))
        .and(query_param("method", "queryTraffic"))
        .and(query_param("passWord", str_enc(CTCC_PASSWORD, k1, k2, k3).as_str()))
        .respond_with(xml(&format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><root><web:NEW_DATA_TICKET_QRsp xmlns:web="http://www.example.org/webservice"><CHARGE_CNT_CH>0元</CHARGE_CNT_CH><DURATION_CNT_CH>0</DURATION_CNT_CH><IRESULT>0</IRESULT><TOTALCOUNT>0</TOTALCOUNT><TOTALPAGE>0</TOTALPAGE><TOTAL_BYTES_CNT>356.20MB</TOTAL_BYTES_CNT><GROUP_TRANSACTIONID>1000000190202611270824413635</GROUP_TRANSACTIONID><number>{CTCC_NUMBER}</number></web:NEW_DATA_TICKET_QRsp></root>"#
        )))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/openapi/v1/prodinst/queryCardMainStatus"))
        .and(header("AppKey", CTCC_APP_KEY))
        .respond_with(json(
            r#"{"result":"0","resultMsg":"成功","netBlockStatusName":"未断网","authStatus":"1","productInfo":[{"productMainStatusCd":"4","productMainStatusName":"在用","operatorDefinitionStatusName":""}]}"#,
        ))
        .mount(&s)
        .await;
    s
}

async fn recorder(
    carrier: Carrier,
    upstream: &str,
    out: &Path,
    pseudonymise: bool,
) -> record::Recorder {
    record::start(RecordConfig {
        carrier,
        upstream: upstream.to_string(),
        bind: "127.0.0.1:0".parse().unwrap(),
        out: out.to_path_buf(),
        pseudonymise,
        secrets: Vec::new(),
    })
    .await
    .expect("recorder starts")
}

fn transid() -> String {
    format!("{CMCC_APPID}2026112710000000000001")
}

/// A OneLink client: token, then a query with it. Returns the answers.
async fn cmcc_client(base: &str) -> Vec<String> {
    let c = reqwest::Client::new();
    let token_body = c
        .get(format!(
            "{base}/v5/ec/get/token?appid={CMCC_APPID}&password={CMCC_PASSWORD}&transid={}",
            transid()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token: serde_json::Value = serde_json::from_str(&token_body).unwrap();
    let token = token["result"][0]["token"].as_str().unwrap().to_string();
    let status = c
        .get(format!(
            "{base}/v5/ec/query/sim-status?transid={}&token={token}&msisdn={CMCC_MSISDN}",
            transid()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    vec![token_body, status]
}

/// A CUCC client: REST details, CMP details, SOAP details.
async fn cucc_client(base: &str) -> Vec<String> {
    let c = reqwest::Client::new();
    let rest = c
        .get(format!("{base}/rws/api/v1/devices/{CUCC_ICCID}"))
        .header("Authorization", basic())
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ts = "20261127100000123";
    let tid = format!("{ts}004711");
    let envelope = serde_json::json!({
        "app_id": CUCC_APP_ID,
        "timestamp": ts,
        "trans_id": tid,
        "token": cmp_token(CUCC_APP_ID, ts, &tid, CUCC_APP_SECRET),
        "data": {"openId": "open-1", "version": "1.0", "iccids": [CUCC_ICCID]},
    });
    let cmp = c
        .post(format!("{base}/api/wsGetTerminalDetails/V1/1Main/vV1.1"))
        .json(&envelope)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let soap_request = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sch="http://api.jasperwireless.com/ws/schema"><soapenv:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><wsse:UsernameToken><wsse:Username>{CUCC_USER}</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">{CUCC_SOAP_PASSWORD}</wsse:Password></wsse:UsernameToken></wsse:Security></soapenv:Header><soapenv:Body><sch:GetTerminalDetailsRequest><sch:messageId>TCE-100-ABC-34084</sch:messageId><sch:version>1.0</sch:version><sch:licenseKey>{CUCC_LICENSE_KEY}</sch:licenseKey><sch:iccids><sch:iccid>{CUCC_ICCID}</sch:iccid></sch:iccids></sch:GetTerminalDetailsRequest></soapenv:Body></soapenv:Envelope>"#
    );
    let soap = c
        .post(format!("{base}/ws/service/terminal"))
        .header("Content-Type", "text/xml; charset=utf-8")
        .header(
            "SOAPAction",
            "http://api.jasperwireless.com/ws/service/terminal/GetTerminalDetails",
        )
        .body(soap_request)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    vec![rest, cmp, soap]
}

/// A CTCC client: legacy queryTraffic, then 5G queryCardMainStatus.
async fn ctcc_client(base: &str) -> Vec<String> {
    let c = reqwest::Client::new();
    let (k1, k2, k3) = ctcc_keys();
    let pw = str_enc(CTCC_PASSWORD, k1, k2, k3);
    let sign = str_enc(
        &joined(&[CTCC_NUMBER, "queryTraffic", CTCC_PASSWORD, CTCC_USER]),
        k1,
        k2,
        k3,
    );
    let legacy = c
        .get(format!(
            "{base}/m2m_ec/query.do?method=queryTraffic&user_id={CTCC_USER}&passWord={pw}&sign={sign}&access_number={CTCC_NUMBER}&needDtl=0"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let query = format!("access_number={CTCC_NUMBER}&queryDropCard=0");
    let ts = "20261127100000";
    let g5 = g5_sign(&format!("{query}{CTCC_SECRET}{ts}"));
    let five_g = c
        .get(format!(
            "{base}/openapi/v1/prodinst/queryCardMainStatus?{query}"
        ))
        .header("AppKey", CTCC_APP_KEY)
        .header("Timestamp", ts)
        .header("Sign", g5)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    vec![legacy, five_g]
}

/// Every credential value the clients used, in every form it travelled.
fn credentials_used() -> Vec<String> {
    let (k1, k2, k3) = ctcc_keys();
    let mut v: Vec<String> = [
        CMCC_PASSWORD,
        CMCC_TOKEN,
        CUCC_API_KEY,
        CUCC_APP_SECRET,
        CUCC_SOAP_PASSWORD,
        CUCC_LICENSE_KEY,
        CTCC_PASSWORD,
        CTCC_KEY,
        CTCC_APP_KEY,
        CTCC_SECRET,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(basic().trim_start_matches("Basic ").to_string());
    v.push(str_enc(CTCC_PASSWORD, k1, k2, k3));
    v.push(str_enc(
        &joined(&[CTCC_NUMBER, "queryTraffic", CTCC_PASSWORD, CTCC_USER]),
        k1,
        k2,
        k3,
    ));
    v.push(g5_sign(&format!(
        "access_number={CTCC_NUMBER}&queryDropCard=0{CTCC_SECRET}20261127100000"
    )));
    let ts = "20261127100000123";
    v.push(cmp_token(
        CUCC_APP_ID,
        ts,
        &format!("{ts}004711"),
        CUCC_APP_SECRET,
    ));
    v
}

/// Records one client's session against a fake upstream; returns the file
/// and what the client got.
async fn record_session(
    carrier: Carrier,
    dir: &Path,
    pseudonymise: bool,
) -> (PathBuf, Vec<String>, MockServer) {
    let upstream = match carrier {
        Carrier::Cmcc => fake_cmcc().await,
        Carrier::Cucc => fake_cucc().await,
        Carrier::Ctcc => fake_ctcc().await,
    };
    let out = dir.join(format!("{carrier}.jsonl"));
    let rec = recorder(carrier, &upstream.uri(), &out, pseudonymise).await;
    let base = format!("http://{}", rec.addr);
    let answers = match carrier {
        Carrier::Cmcc => cmcc_client(&base).await,
        Carrier::Cucc => cucc_client(&base).await,
        Carrier::Ctcc => ctcc_client(&base).await,
    };
    rec.stop().await;
    (out, answers, upstream)
}

#[tokio::test]
async fn the_proxy_forwards_unchanged_and_no_secret_reaches_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = credentials_used();
    for carrier in Carrier::ALL {
        let (file, answers, upstream) = record_session(carrier, dir.path(), false).await;
        // The client got exactly what the upstream sent (its mocks only
        // answer requests with the real credentials, so they went through).
        let direct = match carrier {
            Carrier::Cmcc => cmcc_client(&upstream.uri()).await,
            Carrier::Cucc => cucc_client(&upstream.uri()).await,
            Carrier::Ctcc => ctcc_client(&upstream.uri()).await,
        };
        assert_eq!(answers, direct, "{carrier}: the proxy changed an answer");
        assert!(
            answers.iter().all(|a| !a.is_empty()),
            "{carrier}: {answers:?}"
        );
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "{carrier}: the secret {s} is in the recording:\n{text}"
            );
        }
        let exchanges = session::read(&file).unwrap();
        assert_eq!(exchanges.len(), answers.len(), "{carrier}");
        for (i, ex) in exchanges.iter().enumerate() {
            assert_eq!(ex.seq, i as u64 + 1);
            assert_eq!(ex.carrier, carrier);
            assert_eq!(ex.response.status, 200, "{carrier}: {ex:?}");
            assert!(ex.duration_ms >= 0.0);
        }
        // Non-secret parts are kept as sent and as answered.
        match carrier {
            Carrier::Cmcc => {
                let q = &exchanges[1].request.query;
                assert!(
                    q.contains(&format!("msisdn={CMCC_MSISDN}")) && q.contains("token=***"),
                    "{q}"
                );
                assert!(exchanges[0].request.query.contains("password=***"));
                assert_eq!(
                    exchanges[0].response.body.text,
                    r#"{"status":"0","message":"正确","result":[{"token":"***"}]}"#
                );
                assert_eq!(exchanges[1].response.body.text, answers[1]);
            }
            Carrier::Cucc => {
                assert_eq!(
                    exchanges[0].request.header("authorization"),
                    Some("Basic ***")
                );
                assert_eq!(exchanges[0].response.body.text, answers[0]);
                assert!(exchanges[1].request.body.text.contains(r#""token":"***""#));
                assert!(exchanges[2]
                    .request
                    .body
                    .text
                    .contains("<sch:licenseKey>***</sch:licenseKey>"));
                assert!(exchanges[2]
                    .request
                    .body
                    .text
                    .contains(">***</wsse:Password>"));
            }
            Carrier::Ctcc => {
                let q = &exchanges[0].request.query;
                assert!(q.contains("passWord=***") && q.contains("sign=***"), "{q}");
                assert!(q.contains(&format!("user_id={CTCC_USER}")), "{q}");
                assert_eq!(exchanges[0].response.body.text, answers[0]);
                assert_eq!(exchanges[1].request.header("appkey"), Some("***"));
                assert_eq!(exchanges[1].request.header("sign"), Some("***"));
                assert_eq!(
                    exchanges[1].request.header("timestamp"),
                    Some("20261127100000")
                );
            }
        }
    }
}

#[tokio::test]
async fn pseudonymised_sessions_hide_identifiers_consistently() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _answers, _up) = record_session(Carrier::Cucc, dir.path(), true).await;
    let text = std::fs::read_to_string(&file).unwrap();
    for real in [CUCC_ICCID, CUCC_IMSI, CUCC_MSISDN, &CUCC_ICCID[..19]] {
        assert!(!text.contains(real), "{real} is in the recording:\n{text}");
    }
    let ex = session::read(&file).unwrap();
    let rest: serde_json::Value = serde_json::from_str(&ex[0].response.body.text).unwrap();
    let pseudo_iccid = rest["iccid"].as_str().unwrap();
    assert_eq!(pseudo_iccid.len(), 20);
    assert!(pseudo_iccid.starts_with("898606"));
    // The same pseudonym in the path, the CMP request and answer, and SOAP.
    assert_eq!(
        ex[0].request.path,
        format!("/rws/api/v1/devices/{pseudo_iccid}")
    );
    assert!(ex[1].request.body.text.contains(pseudo_iccid));
    assert!(ex[1].response.body.text.contains(pseudo_iccid));
    assert!(ex[2].response.body.text.contains(pseudo_iccid));
    let pseudo_imsi = rest["imsi"].as_str().unwrap();
    assert!(pseudo_imsi.starts_with("46006") && pseudo_imsi.len() == 15);
    assert!(ex[1].response.body.text.contains(pseudo_imsi));
    // Secrets stay masked as well.
    assert!(!text.contains(CUCC_API_KEY));
}

#[test]
fn the_record_command_refuses_a_bad_upstream() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_carrier-sim"))
        .args(["record", "--carrier", "cmcc", "--upstream", "ftp://x", "-o"])
        .arg(std::env::temp_dir().join("carrier-sim-never.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an http(s) URL"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_carrier-sim"))
        .args([
            "record",
            "--carrier",
            "xx",
            "--upstream",
            "http://x",
            "-o",
            "y",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("one of cmcc, cucc, ctcc"));
}
