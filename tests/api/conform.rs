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
use carrier_sim::conform::diff::Kind;
use carrier_sim::conform::record::{self, RecordConfig};
use carrier_sim::conform::{check, import, session};
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
const CUCC_ICCID: &str = "89860612345678901232";
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

/// What the fake OneLink answers (cmcc.md §1 envelope, §2 token, §5
/// sim-status and sim-data-usage; `ttl` in seconds is listed by "some docs").
#[derive(Clone)]
struct CmccAnswers {
    token: String,
    status: String,
    usage: String,
}

impl Default for CmccAnswers {
    fn default() -> Self {
        CmccAnswers {
            token: format!(
                r#"{{"status":"0","message":"正确","result":[{{"token":"{CMCC_TOKEN}","ttl":"3600"}}]}}"#
            ),
            status: r#"{"status":"0","message":"正确","result":[{"cardStatus":"2","lastChangeDate":"2026-09-24 10:00:00"}]}"#.into(),
            usage: r#"{"status":"0","message":"正确","result":[{"dataAmount":"364748.80","apnUseAmountList":[{"apnName":"CMIOT","apnUseAmount":"364748.80","pccCodeUseAmountList":[]}]}]}"#.into(),
        }
    }
}

/// The fake OneLink: a token for the right appid/password, then card
/// queries carrying that token.
async fn fake_cmcc_with(a: CmccAnswers) -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v5/ec/get/token"))
        .and(query_param("appid", CMCC_APPID))
        .and(query_param("password", CMCC_PASSWORD))
        .respond_with(json(&a.token))
        .mount(&s)
        .await;
    for (p, answer) in [
        ("/v5/ec/query/sim-status", &a.status),
        ("/v5/ec/query/sim-data-usage", &a.usage),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("token", CMCC_TOKEN))
            .and(query_param("msisdn", CMCC_MSISDN))
            .respond_with(json(answer))
            .mount(&s)
            .await;
    }
    s
}

async fn fake_cmcc() -> MockServer {
    fake_cmcc_with(CmccAnswers::default()).await
}

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CUCC_USER}:{CUCC_API_KEY}"))
    )
}

/// The fake Control Center (REST, SOAP) and CMP gateway; the device answer
/// has every field of cucc.md §3.3 (plus `extra`, raw JSON members).
async fn fake_cucc() -> MockServer {
    fake_cucc_with("").await
}

async fn fake_cucc_with(extra: &str) -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/rws/api/v1/devices/{CUCC_ICCID}")))
        .and(header("authorization", basic().as_str()))
        .respond_with(json(&format!(
            r#"{{"iccid":"{CUCC_ICCID}","imsi":"{CUCC_IMSI}","msisdn":"{CUCC_MSISDN}","imei":"","status":"ACTIVATED","ratePlan":"1GB月包","communicationPlan":"CP","customer":null,"endConsumerId":null,"dateActivated":"2026-09-24 02:00:00.000+0000","dateAdded":"2026-09-01 00:00:00.000+0000","dateUpdated":"2026-11-20 08:00:00.000+0000","dateShipped":"2026-09-01 00:00:00.000+0000","accountId":"100020620","fixedIPAddress":null,"fixedIpv6Address":null,"accountCustom1":"","accountCustom2":"","accountCustom3":"","accountCustom4":"","accountCustom5":"","accountCustom6":"","accountCustom7":"","accountCustom8":"","accountCustom9":"","accountCustom10":"","operatorCustom1":"","operatorCustom2":"","operatorCustom3":"","operatorCustom4":"","operatorCustom5":"","customerCustom1":"","customerCustom2":"","customerCustom3":"","customerCustom4":"","customerCustom5":"","simNotes":"","euiccid":null,"deviceID":null,"modemID":"","globalSimType":"","simProfileId":""{extra}}}"#
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
        .and(path("/m2m_ec/query.do"))
        .and(query_param("method", "queryBalance"))
        .and(query_param("passWord", str_enc(CTCC_PASSWORD, k1, k2, k3).as_str()))
        .respond_with(xml(&format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><root><web:BALANCE_QRRsp xmlns:web="http://www.example.org/webservice"><ACCOUNTBALANCE>100000</ACCOUNTBALANCE><BALANCE>5000</BALANCE><USERBALANCE>5000</USERBALANCE><IRESULT>0</IRESULT><SMSG>处理成功！</SMSG><number>{CTCC_NUMBER}</number><GROUP_TRANSACTIONID>1000000190202611270824413636</GROUP_TRANSACTIONID></web:BALANCE_QRRsp></root>"#
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
    let mut answers = vec![token_body];
    for call in ["query/sim-status", "query/sim-data-usage"] {
        let a = c
            .get(format!(
                "{base}/v5/ec/{call}?transid={}&token={token}&msisdn={CMCC_MSISDN}",
                transid()
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        answers.push(a);
    }
    answers
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
    let balance_sign = str_enc(
        &joined(&[CTCC_NUMBER, "queryBalance", CTCC_PASSWORD, CTCC_USER]),
        k1,
        k2,
        k3,
    );
    let balance = c
        .get(format!(
            "{base}/m2m_ec/query.do?method=queryBalance&user_id={CTCC_USER}&passWord={pw}&sign={balance_sign}&access_number={CTCC_NUMBER}"
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
    vec![legacy, balance, five_g]
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
    v.push(str_enc(
        &joined(&[CTCC_NUMBER, "queryBalance", CTCC_PASSWORD, CTCC_USER]),
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
    record_against(carrier, upstream, dir, pseudonymise).await
}

/// Records one client's session against a given fake upstream.
async fn record_against(
    carrier: Carrier,
    upstream: MockServer,
    dir: &Path,
    pseudonymise: bool,
) -> (PathBuf, Vec<String>, MockServer) {
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
                    r#"{"status":"0","message":"正确","result":[{"token":"***","ttl":"3600"}]}"#
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
                assert_eq!(exchanges[2].request.header("appkey"), Some("***"));
                assert_eq!(exchanges[2].request.header("sign"), Some("***"));
                assert_eq!(
                    exchanges[2].request.header("timestamp"),
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

/// Imports a session and conforms it against a simulator started on the
/// imported fixture.
async fn conform_file(file: &Path) -> check::Report {
    let exchanges = session::read(file).unwrap();
    let (fx, _text) = import::build(&exchanges).unwrap_or_else(|p| panic!("import: {p:?}"));
    let creds = check::TargetCredentials::from_fixture(&fx);
    let sim = carrier_sim::Simulator::builder().fixture(fx).start().await;
    let report = check::run(&exchanges, &sim.uri(), creds).await;
    sim.stop().await;
    report
}

fn endpoint<'a>(r: &'a check::Report, label: &str) -> &'a check::EndpointReport {
    r.endpoints
        .iter()
        .find(|e| e.endpoint == label)
        .unwrap_or_else(|| panic!("no {label} in\n{}", r.text()))
}

#[tokio::test]
async fn import_then_conform_finds_nothing_where_the_simulator_matches() {
    let dir = tempfile::tempdir().unwrap();
    // CMCC: the whole session conforms; the token (masked) and the status
    // change time are live values, listed apart.
    let (file, _, _up) = record_session(Carrier::Cmcc, dir.path(), false).await;
    let r = conform_file(&file).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(r.exchanges, 3);
    let live: Vec<&str> = r
        .of_kind(Kind::Live)
        .iter()
        .map(|f| f.difference.path.as_str())
        .collect();
    assert!(live.contains(&"result[0].token"), "{live:?}");
    // CUCC: the REST device answer with every field of the spec conforms;
    // the SOAP call, re-signed with the imported account's WS-Security user,
    // password and license key, is answered (no status difference).
    let (file, _, _up) = record_session(Carrier::Cucc, dir.path(), false).await;
    let r = conform_file(&file).await;
    let rest = endpoint(&r, "CUCC GET /rws/api/v1/devices/{id}");
    assert!(rest.differences.is_empty(), "{}", r.text());
    assert!(
        rest.live.iter().any(|f| f.difference.path == "dateUpdated"),
        "{}",
        r.text()
    );
    let soap = endpoint(&r, "CUCC POST /ws/service/terminal (GetTerminalDetails)");
    assert!(
        !soap
            .differences
            .iter()
            .any(|f| f.difference.kind == Kind::Status),
        "{}",
        r.text()
    );
    // CTCC: queryBalance (XML, the balances imported from it) conforms.
    let (file, _, _up) = record_session(Carrier::Ctcc, dir.path(), false).await;
    let r = conform_file(&file).await;
    let balance = endpoint(&r, "CTCC GET /m2m_ec/query.do?method=queryBalance");
    assert!(balance.differences.is_empty(), "{}", r.text());
    assert!(
        balance
            .live
            .iter()
            .any(|f| f.difference.path.ends_with("GROUP_TRANSACTIONID")),
        "{}",
        r.text()
    );
}

/// Conforms a CMCC session whose real answers are `answers`.
async fn cmcc_report(answers: CmccAnswers) -> check::Report {
    let dir = tempfile::tempdir().unwrap();
    let up = fake_cmcc_with(answers).await;
    let (file, _, _up) = record_against(Carrier::Cmcc, up, dir.path(), false).await;
    conform_file(&file).await
}

/// The single difference of a report that is not live.
fn only_difference(r: &check::Report) -> &carrier_sim::conform::diff::Difference {
    let all: Vec<&check::Found> = r.endpoints.iter().flat_map(|e| &e.differences).collect();
    assert_eq!(all.len(), 1, "{}", r.text());
    &all[0].difference
}

#[tokio::test]
async fn a_renamed_field_is_found_and_named() {
    // The real token answer calls the lifetime `expiresIn`; the simulator
    // says `ttl` with the same value.
    let r = cmcc_report(CmccAnswers {
        token: format!(
            r#"{{"status":"0","message":"正确","result":[{{"token":"{CMCC_TOKEN}","expiresIn":"3600"}}]}}"#
        ),
        ..CmccAnswers::default()
    })
    .await;
    let d = only_difference(&r);
    assert_eq!(d.kind, Kind::Renamed);
    assert_eq!(d.path, "result[0].expiresIn");
    assert_eq!(d.sim.as_deref(), Some("ttl"));
    assert!(
        r.text()
            .contains("renamed   result[0].expiresIn: `expiresIn` is called `ttl`"),
        "{}",
        r.text()
    );
    assert!(r.failed());
}

#[tokio::test]
async fn a_unit_off_by_1024_is_found_and_named() {
    // The real APN usage in bytes where the simulator says KB.
    let r = cmcc_report(CmccAnswers {
        usage: r#"{"status":"0","message":"正确","result":[{"dataAmount":"364748.80","apnUseAmountList":[{"apnName":"CMIOT","apnUseAmount":"373502771.20","pccCodeUseAmountList":[]}]}]}"#.into(),
        ..CmccAnswers::default()
    })
    .await;
    let d = only_difference(&r);
    assert_eq!(d.kind, Kind::Unit);
    assert_eq!(d.path, "result[0].apnUseAmountList[0].apnUseAmount");
    assert!(d.detail.contains("×1024"), "{}", d.detail);
}

#[tokio::test]
async fn a_date_layout_is_found_and_named() {
    let r = cmcc_report(CmccAnswers {
        status: r#"{"status":"0","message":"正确","result":[{"cardStatus":"2","lastChangeDate":"20260924100000"}]}"#.into(),
        ..CmccAnswers::default()
    })
    .await;
    let d = only_difference(&r);
    assert_eq!(d.kind, Kind::Format);
    assert_eq!(d.path, "result[0].lastChangeDate");
    assert!(
        d.detail
            .contains("`yyyyMMddHHmmss` vs `yyyy-MM-dd HH:mm:ss`"),
        "{}",
        d.detail
    );
}

#[tokio::test]
async fn a_missing_field_is_found_and_named() {
    // A deployment whose device answer carries `accountName` (a field a
    // Tele2 Control Center integration lists for Get Device Details; public
    // code index file 56233037030), which carrier-sim does not send.
    let dir = tempfile::tempdir().unwrap();
    let up = fake_cucc_with(r#","accountName":"演示物联网科技有限公司""#).await;
    let (file, _, _up) = record_against(Carrier::Cucc, up, dir.path(), false).await;
    let r = conform_file(&file).await;
    let rest = endpoint(&r, "CUCC GET /rws/api/v1/devices/{id}");
    assert_eq!(rest.differences.len(), 1, "{}", r.text());
    let d = &rest.differences[0].difference;
    assert_eq!((d.kind, d.path.as_str()), (Kind::Missing, "accountName"));
}

#[tokio::test]
async fn another_code_is_found_and_named() {
    // The real platform refused the token (12021, cmcc.md §3).
    let r = cmcc_report(CmccAnswers {
        status: r#"{"status":"12021","message":"TOKEN不存在或已过期，请重新获取","result":[]}"#
            .into(),
        ..CmccAnswers::default()
    })
    .await;
    let e = endpoint(&r, "CMCC GET /v5/ec/query/sim-status");
    let kinds: Vec<(Kind, &str)> = e
        .differences
        .iter()
        .map(|f| (f.difference.kind, f.difference.path.as_str()))
        .collect();
    assert!(kinds.contains(&(Kind::Code, "status")), "{}", r.text());
    assert!(kinds.contains(&(Kind::Text, "message")), "{}", r.text());
    let code = e
        .differences
        .iter()
        .find(|f| f.difference.kind == Kind::Code)
        .unwrap();
    assert_eq!(code.difference.real.as_deref(), Some("12021"));
    assert_eq!(code.difference.sim.as_deref(), Some("0"));
}

fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_carrier-sim"))
}

#[tokio::test]
async fn the_commands_import_validate_and_gate_on_differences() {
    let dir = tempfile::tempdir().unwrap();
    let (good, _, _up) = record_session(Carrier::Cmcc, dir.path(), false).await;
    let fixture = dir.path().join("fixture.toml");
    let out = bin()
        .arg("import")
        .arg(&good)
        .arg("-o")
        .arg(&fixture)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bin().arg("validate").arg(&fixture).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&fixture).unwrap();
    assert!(text.contains(CMCC_MSISDN), "{text}");
    // A conforming session: exit 0.
    let out = bin()
        .arg("conform")
        .arg(&good)
        .arg("--fixture")
        .arg(&fixture)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(report.contains("0 difference(s)"), "{report}");
    // A session with a difference: exit 1, the JSON names it.
    let bad_dir = dir.path().join("bad");
    std::fs::create_dir(&bad_dir).unwrap();
    let up = fake_cmcc_with(CmccAnswers {
        status: r#"{"status":"0","message":"正确","result":[{"cardStatus":"2","lastChangeDate":"2026/09/24 10:00:00"}]}"#.into(),
        ..CmccAnswers::default()
    })
    .await;
    let (bad, _, _up) = record_against(Carrier::Cmcc, up, &bad_dir, false).await;
    let out = bin()
        .arg("conform")
        .arg(&bad)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["differences"], 1, "{v}");
    let found = &v["endpoints"][1]["differences"][0];
    assert_eq!(found["kind"], "format", "{v}");
    assert_eq!(found["path"], "result[0].lastChangeDate", "{v}");
    assert_eq!(found["seen_in"], serde_json::json!([2]), "{v}");
}

#[tokio::test]
async fn replay_answers_recorded_requests_byte_for_byte_and_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _, _up) = record_session(Carrier::Cmcc, dir.path(), false).await;
    let recorded = session::read(&file).unwrap();
    let sim = carrier_sim::Simulator::builder()
        .settings(carrier_sim::Settings {
            replay: Some(file.clone()),
            ..Default::default()
        })
        .start()
        .await;
    let base = sim.uri();
    let c = reqwest::Client::new();
    // The token comes from the simulator (demo credentials of the default fixture).
    let t: serde_json::Value = c
        .get(format!(
            "{base}/v5/ec/get/token?appid={CMCC_APPID}&password=cmcc-demo-pass&transid={CMCC_APPID}2026112410000099999999"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = t["result"][0]["token"].as_str().unwrap().to_string();
    assert_ne!(token, "***");
    // A recorded request (another transid, another token): the recorded bytes,
    // twice, although the default fixture has no such card.
    for _ in 0..2 {
        let r = c
            .get(format!(
                "{base}/v5/ec/query/sim-data-usage?msisdn={CMCC_MSISDN}&transid={CMCC_APPID}2026112410000000000042&token={token}"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), recorded[2].response.status);
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            recorded[2].response.header("content-type").unwrap()
        );
        assert_eq!(
            r.bytes().await.unwrap().to_vec(),
            recorded[2].response.body.bytes()
        );
    }
    // Anything else: the simulator (its `normal` CMCC card, cmcc.md §5 envelope).
    let card = sim.cards().by_tag("cmcc", "normal").unwrap();
    let v: serde_json::Value = c
        .get(format!(
            "{base}/v5/ec/query/sim-status?msisdn={}&transid={CMCC_APPID}2026112410000000000043&token={token}",
            card.msisdn
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "0", "{v}");
    assert_eq!(v["result"][0]["cardStatus"], "2", "{v}");
    sim.stop().await;
}
