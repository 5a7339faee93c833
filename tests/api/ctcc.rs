//! Black-box tests of the China Telecom dialect over real HTTP: the legacy
//! `/m2m_ec/*.do` API (three-key DES password and sign, every method's
//! success shape, error codes, state effects seen through `/_sim`) and the
//! 5G CMP gateway (MD5 `Sign` header). Expectations come from
//! `docs/protocol-ctcc.md`; the spec's literal vectors are used where given.

use carrier_sim::carriers::ctcc::sign::joined;
use carrier_sim::{fixture, Simulator};
use serde_json::{json, Value};

use crate::common::ctcc::{Ctcc, APP_KEY, PASS, SECRET, USER};

const NORMAL: &str = "14910000000";
const NORMAL_ICCID: &str = "8986110000000000001";
const MANUAL_STOP: &str = "14910000004";
const ARREARS: &str = "14910000005";
const EXPIRED: &str = "14910000006";
const CANCELLED: &str = "14910000007";
const INVENTORY: &str = "14910000008";
const TEST_READY: &str = "14910000009";
const ACTIVATION_READY: &str = "14910000010";
const POOL_A: &str = "14910000011";
const DATA_CUT: &str = "14910000013";
const THRESHOLD: &str = "14910000016";
const OTHER: &str = "14910000017";

/// The text of the first `<tag>` element.
fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

fn assert_txid(t: &str) {
    assert_eq!(t.len(), 28, "GROUP_TRANSACTIONID {t}");
    assert!(t.bytes().all(|b| b.is_ascii_digit()));
    assert!(t.starts_with("1000000190"));
}

#[tokio::test]
async fn spec_vector_request_gets_traffic_xml() {
    let ct = Ctcc::start().await;
    // passWord and sign exactly as in the spec's test vectors (§2.5).
    let body = ct
        .raw_get(
            "/m2m_ec/query.do",
            &[
                ("method", "queryTraffic"),
                ("access_number", NORMAL),
                ("needDtl", "0"),
                ("user_id", USER),
                ("passWord", "41894168BD86A2CC637DB4FA6CE97037"),
                ("sign", "45E8B9924DE397A8DAEF2C60DB715B1B74CC7E1685BA702C9C4C367EFDAE5D938F7F19EA3F28117669379E20030180BA32E5804EA05BAA501F7A25C6B0F7A091AD4838ED34374D16B37F49C390E236D6C299054019958A8B"),
            ],
        )
        .await;
    assert!(body.contains(
        "<root><web:NEW_DATA_TICKET_QRsp xmlns:web=\"http://www.example.org/webservice\">"
    ));
    assert_eq!(tag(&body, "IRESULT"), Some("0"));
    // 373502771 bytes = 356.20 MB.
    assert_eq!(tag(&body, "TOTAL_BYTES_CNT"), Some("356.20MB"));
    assert_eq!(tag(&body, "number"), Some(NORMAL));
    assert_txid(tag(&body, "GROUP_TRANSACTIONID").unwrap());
    assert!(tag(&body, "CHARGE_CNT_CH").unwrap().ends_with('元'));
    assert!(!body.contains("NEW_DATA_TICKET_QRlist"));
}

#[tokio::test]
async fn spec_vector_disabled_number_stops_and_resumes() {
    let ct = Ctcc::start().await;
    let body = ct
        .raw_get(
            "/m2m_ec/query.do",
            &[
                ("method", "disabledNumber"),
                ("access_number", NORMAL),
                ("orderTypeId", "19"),
                ("acctCd", ""),
                ("user_id", USER),
                ("passWord", "41894168BD86A2CC637DB4FA6CE97037"),
                ("sign", "ACBCD0DD393154D99DD864B31486311FDAEF2C60DB715B1B6ED7485E82548B8F4E5265B4F5546B0934FE79FEE1AFE58581E0B903268AFE6A810ABE87DB4390F1275E6AD21C787BB52B71622EE659C04041894168BD86A2CC16CC0DAF9B20CEF4"),
            ],
        )
        .await;
    assert_eq!(tag(&body, "result"), Some("0"), "{body}");
    assert_eq!(tag(&body, "RspType"), Some("0"));
    assert_eq!(tag(&body, "resultMsg"), Some("处理成功！"));
    assert_eq!(ct.main_status(NORMAL).await, "5");
    let card = ct.admin.card(NORMAL_ICCID).await;
    assert_eq!(card["state"], "suspended");
    assert_eq!(card["reasons"], json!(["manual"]));
    // Again: refused in the carrier's words, as plain text.
    let again = disabled(&ct, NORMAL, "19").await;
    assert!(again.contains("已存在相关停机记录"), "{again}");
    // sign values: identifier, "" (acctCd) and the orderTypeId.
    let resume = ct
        .call(
            "/m2m_ec/query.do",
            "disabledNumber",
            &[
                ("access_number", NORMAL),
                ("orderTypeId", "20"),
                ("acctCd", ""),
            ],
            &[NORMAL, "20", ""],
        )
        .await;
    assert_eq!(tag(&resume, "result"), Some("0"), "{resume}");
    assert_eq!(ct.main_status(NORMAL).await, "4");
    assert_eq!(ct.admin.card(NORMAL_ICCID).await["state"], "active");
}

async fn disabled(ct: &Ctcc, number: &str, order: &str) -> String {
    ct.call(
        "/m2m_ec/query.do",
        "disabledNumber",
        &[
            ("access_number", number),
            ("orderTypeId", order),
            ("acctCd", ""),
        ],
        &[number, order, ""],
    )
    .await
}

#[tokio::test]
async fn disabled_number_rules() {
    let ct = Ctcc::start().await;
    // 21 test-ready → 测试去激活 (3); 22 back to 测试激活 (2).
    assert_eq!(ct.main_status(TEST_READY).await, "2");
    assert_eq!(
        tag(&disabled(&ct, TEST_READY, "21").await, "result"),
        Some("0")
    );
    assert_eq!(ct.main_status(TEST_READY).await, "3");
    assert_eq!(
        tag(&disabled(&ct, TEST_READY, "22").await, "result"),
        Some("0")
    );
    assert_eq!(ct.main_status(TEST_READY).await, "2");
    // 21 on a card in use is refused.
    let r = disabled(&ct, NORMAL, "21").await;
    assert!(
        !r.contains("<result>0</result>") && r.contains("测试"),
        "{r}"
    );
    // Stop refused in arrears; resume refused on a card in service.
    let r = disabled(&ct, ARREARS, "19").await;
    assert!(r.contains("停机记录"), "{r}");
    let r = disabled(&ct, NORMAL, "20").await;
    assert!(r.contains("无需办理复机"), "{r}");
    // Expired (keep-number) and cancelled cards.
    assert!(disabled(&ct, EXPIRED, "20").await.contains("失效"));
    assert!(disabled(&ct, CANCELLED, "19").await.contains("拆机"));
    // A manual stop resumes.
    assert_eq!(
        tag(&disabled(&ct, MANUAL_STOP, "20").await, "result"),
        Some("0")
    );
    // Resume of a card still awaiting activation: 100008 (plain text).
    let r = disabled(&ct, ACTIVATION_READY, "20").await;
    assert!(r.starts_with("100008："), "{r}");
    // Bad orderTypeId.
    assert!(disabled(&ct, NORMAL, "18").await.starts_with("-2"));
}

#[tokio::test]
async fn post_form_aliases_and_any_path() {
    let ct = Ctcc::start().await;
    let pw = ct.key.enc(PASS);
    let sign = ct.key.enc(&joined(&[USER, PASS, "queryTraffic", NORMAL]));
    for path in [
        "/m2m_ec/query.do",
        "/m2m_ec/app/serviceAccept.do",
        "/m2m_ec/app/location.do",
        "/m2m_ec/app/pay.do",
    ] {
        let body = ct
            .http
            .post(format!("{}{path}", ct.sim.uri()))
            .form(&[
                ("method", "queryTraffic"),
                ("userId", USER),
                ("password", pw.as_str()),
                ("sign", sign.as_str()),
                ("access_number", NORMAL),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            tag(&body, "TOTAL_BYTES_CNT"),
            Some("356.20MB"),
            "{path}: {body}"
        );
    }
    // POST with the parameters in the query string and an empty body.
    let resp = ct
        .http
        .post(format!("{}/m2m_ec/query.do", ct.sim.uri()))
        .query(&[
            ("method", "queryTraffic"),
            ("user_id", USER),
            ("passWord", pw.as_str()),
            ("sign", sign.as_str()),
        ])
        .form(&[("access_number", NORMAL)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(tag(&resp, "IRESULT"), Some("0"));
}

#[tokio::test]
async fn auth_and_lookup_errors() {
    let ct = Ctcc::start().await;
    let pw = ct.key.enc(PASS);
    let sign = ct.key.enc(&joined(&[USER, PASS, "queryTraffic", NORMAL]));
    let base = |pw: &str, sign: &str, number: &str| -> Vec<(String, String)> {
        vec![
            ("method".into(), "queryTraffic".into()),
            ("user_id".into(), USER.into()),
            ("passWord".into(), pw.into()),
            ("sign".into(), sign.into()),
            ("access_number".into(), number.into()),
        ]
    };
    let get = |q: Vec<(String, String)>| {
        let ct = &ct;
        async move {
            let q: Vec<(&str, &str)> = q.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            ct.raw_get("/m2m_ec/query.do", &q).await
        }
    };
    // Wrong password → -1.
    let wrong = ct.key.enc("wrongpass");
    assert!(get(base(&wrong, &sign, NORMAL)).await.starts_with("-1"));
    // Unknown user → -1.
    let mut q = base(&pw, &sign, NORMAL);
    q[1].1 = "nobody".into();
    assert!(get(q).await.starts_with("-1"));
    // Bad sign → -3 (signed for another number).
    let other_sign = ct
        .key
        .enc(&joined(&[USER, PASS, "queryTraffic", "14910000001"]));
    assert!(get(base(&pw, &other_sign, NORMAL)).await.starts_with("-3"));
    // Sign with an extra value is refused in the default strict mode.
    let extra = ct
        .key
        .enc(&joined(&[USER, PASS, "queryTraffic", NORMAL, "0"]));
    assert!(get(base(&pw, &extra, NORMAL)).await.starts_with("-3"));
    // Unknown ICCID → -4; unknown number → -4.
    let sign_iccid = ct.key.enc(&joined(&[
        USER,
        PASS,
        "queryTraffic",
        "8986119999999999999",
    ]));
    let body = ct
        .call(
            "/m2m_ec/query.do",
            "queryTraffic",
            &[("iccid", "8986119999999999999")],
            &["8986119999999999999"],
        )
        .await;
    assert_eq!(body, "-4：iccid号码错误或不存在。");
    let _ = sign_iccid;
    assert!(ct
        .q("queryTraffic", "14999999999", &[])
        .await
        .starts_with("-4"));
    // Another account's card → -1 该号码和用户没有绑定.
    assert_eq!(
        ct.q("queryTraffic", OTHER, &[]).await,
        "-1：该号码和用户没有绑定"
    );
    // Missing identifier / sign → -2.
    assert!(ct
        .call("/m2m_ec/query.do", "queryTraffic", &[], &[])
        .await
        .starts_with("-2"));
    let mut q = base(&pw, &sign, NORMAL);
    q.remove(3);
    assert!(get(q).await.starts_with("-2"));
}

#[tokio::test]
async fn malformed_input_gets_carrier_errors() {
    let ct = Ctcc::start().await;
    let pw = ct.key.enc(PASS);
    let sign = ct.key.enc(&joined(&[USER, PASS, "queryTraffic", NORMAL]));
    let url = |q: &str| format!("{}/m2m_ec/query.do?{q}", ct.sim.uri());
    let cases = [
        // missing method
        format!("user_id={USER}&passWord={pw}&sign={sign}&access_number={NORMAL}"),
        // unknown method
        format!("method=nope&user_id={USER}&passWord={pw}&sign={sign}"),
        // non-hex passWord
        format!("method=queryTraffic&user_id={USER}&passWord=XYZXYZXYZXYZXYZX&sign={sign}&access_number={NORMAL}"),
        // odd-length hex
        format!("method=queryTraffic&user_id={USER}&passWord=41894168BD86A2CC637&sign={sign}&access_number={NORMAL}"),
        // non-hex sign
        format!("method=queryTraffic&user_id={USER}&passWord={pw}&sign=%E4%B8%AD%E6%96%87&access_number={NORMAL}"),
        // invalid UTF-8 in values
        format!("method=queryTraffic&user_id=%FF%FE&passWord={pw}&sign={sign}&access_number=%C3%28"),
        format!("method=%FF&user_id={USER}"),
        // nothing at all
        String::new(),
    ];
    let mut codes = Vec::new();
    for q in &cases {
        let resp = ct.http.get(url(q)).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let body = resp.text().await.unwrap();
        assert!(body.starts_with('-'), "{q}: {body}");
        codes.push(body.split('：').next().unwrap().to_string());
    }
    assert_eq!(codes, ["-2", "-2", "-1", "-1", "-3", "-1", "-2", "-2"]);
    // Huge parameters (form body well past the value limit, and > 1 MiB).
    for size in [100_000usize, 2_000_000] {
        let huge = "A".repeat(size);
        let resp = ct
            .http
            .post(url(""))
            .form(&[
                ("method", "queryTraffic"),
                ("user_id", USER),
                ("passWord", pw.as_str()),
                ("sign", huge.as_str()),
                ("access_number", NORMAL),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.text().await.unwrap().starts_with("-2"));
    }
    // Invalid UTF-8 in a form body.
    let resp = ct
        .http
        .post(url(""))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(b"method=queryTraffic&user_id=\xff\xfe&access_number=\xc3\x28".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().starts_with('-'));
}

#[tokio::test]
async fn traffic_today_by_date_and_detail() {
    let ct = Ctcc::start().await;
    let world = ct.sim.world().clone();
    world.use_data(NORMAL_ICCID, 5 * 1024 * 1024).unwrap();
    let today = ct.q("queryTrafficOfToday", NORMAL, &[]).await;
    assert_eq!(tag(&today, "TOTAL_BYTES_CNT"), Some("5.00MB"), "{today}");
    let day = carrier_sim::clock::fmt_local(world.now(), "%Y%m%d");
    let by_date = ct
        .q(
            "queryTrafficByDate",
            NORMAL,
            &[("startDate", &day), ("endDate", &day), ("needDtl", "1")],
        )
        .await;
    assert_eq!(tag(&by_date, "TOTAL_BYTES_CNT"), Some("5.00MB"));
    assert_eq!(tag(&by_date, "TOTALCOUNT"), Some("1"));
    assert_eq!(tag(&by_date, "BYTES_CNT"), Some("5120.00KB"));
    assert_eq!(tag(&by_date, "TICKET_NUMBER"), Some(NORMAL));
    let start = tag(&by_date, "START_TIME").unwrap();
    assert_eq!(start.len(), "2026-11-25 00:00".len());
    // Month total grows by the same 5 MB: 356.20 + 5.00.
    let month = ct.q("queryTraffic", NORMAL, &[("needDtl", "1")]).await;
    assert_eq!(tag(&month, "TOTAL_BYTES_CNT"), Some("361.20MB"));
    assert!(month.contains("<NEW_DATA_TICKET_QRlist>"));
    // Cross-month range, bad dates, start after end → -2.
    for (s, e) in [
        ("20261031", "20261101"),
        ("2026-11-01", "20261102"),
        ("20261110", "20261101"),
    ] {
        let r = ct
            .q(
                "queryTrafficByDate",
                NORMAL,
                &[("startDate", s), ("endDate", e)],
            )
            .await;
        assert!(r.starts_with("-2"), "{s}-{e}: {r}");
    }
}

#[tokio::test]
async fn package_balance_owe() {
    let ct = Ctcc::start().await;
    let p = ct.q("queryPakage", NORMAL, &[]).await;
    assert!(p.contains("<web:CurrAcuRsp xmlns:web=\"http://www.example.org/webservice_zz/\">"));
    // 1 GB = 1048576 KB; 373502771 B = 364748 KB used.
    assert_eq!(tag(&p, "CUMULATION_TOTAL"), Some("1048576"));
    assert_eq!(tag(&p, "CUMULATION_ALREADY"), Some("364748"));
    assert_eq!(tag(&p, "CUMULATION_LEFT"), Some("683828"));
    assert_eq!(tag(&p, "UNIT_NAME"), Some("KB"));
    assert_eq!(tag(&p, "OFFER_ID"), Some("2038"));
    assert_eq!(tag(&p, "SMSG"), Some("处理成功！"));
    assert_eq!(tag(&p, "START_TIME").unwrap().len(), 14);
    // A pool member shows its pool.
    let pool = ct.q("queryPakage", POOL_A, &[]).await;
    assert_eq!(tag(&pool, "FLOW_ID_GROUP_NBR"), Some("50LLC00001"));
    assert_eq!(tag(&pool, "CUMULATION_TOTAL"), Some("2097152"));
    // Batch: numbers comma-separated, sign without identifier.
    let list = format!("{NORMAL},{POOL_A},{OTHER}");
    let plus = ct
        .call(
            "/m2m_ec/query.do",
            "queryPakagePlus",
            &[("access_number", &list)],
            &[],
        )
        .await;
    assert_eq!(plus.matches("<web:CurrAcuRsp").count(), 3, "{plus}");
    assert!(plus.contains("该号码和用户没有绑定"));
    // Balance (fen) as the world keeps it.
    let card = ct.admin.card(NORMAL_ICCID).await;
    let b = ct.q("queryBalance", NORMAL, &[]).await;
    assert_eq!(
        tag(&b, "BALANCE"),
        Some(card["balance_fen"].to_string().as_str())
    );
    assert_eq!(tag(&b, "IRESULT"), Some("0"));
    // Arrears: -200 fen balance → 200 owed.
    let owe = ct.q("queryOwe", ARREARS, &[]).await;
    assert_eq!(tag(&owe, "Acct_Item_Charge"), Some("200"), "{owe}");
    assert_eq!(tag(&owe, "Query_Flag"), Some("用户级"));
    let none = ct.q("queryOwe", NORMAL, &[]).await;
    assert!(!none.contains("Acct_Item_Charge"));
    assert!(ct
        .q("queryOwe", NORMAL, &[("Query_Flag", "9")])
        .await
        .starts_with("-2"));
    // Bad monthDate.
    assert!(ct
        .q("queryPakage", NORMAL, &[("monthDate", "2026xx01")])
        .await
        .starts_with("-2"));
}

#[tokio::test]
async fn main_status_codes_for_every_role() {
    let ct = Ctcc::start().await;
    for (number, code) in [
        (NORMAL, "4"),
        (ACTIVATION_READY, "1"),
        (TEST_READY, "2"),
        (INVENTORY, "3"),
        (MANUAL_STOP, "5"),
        (ARREARS, "5"),
        (EXPIRED, "5"),
        (DATA_CUT, "4"),
    ] {
        assert_eq!(ct.main_status(number).await, code, "{number}");
    }
    let v = ct.json("queryCardMainStatus", NORMAL, &[]).await;
    assert_eq!(v["resultCode"], "0");
    assert_eq!(v["resultMsg"], "处理成功！");
    assert_eq!(v["productInfo"][0]["productMainStatusName"], "在用");
    assert_eq!(v["servCreateDate"].as_str().unwrap().len(), 8);
    assert_txid(v["GROUP_TRANSACTIONID"].as_str().unwrap());
    // 拆机 only with queryDropCard=true.
    let v = ct.json("queryCardMainStatus", CANCELLED, &[]).await;
    assert_ne!(v["resultCode"], "0");
    let v = ct
        .json(
            "queryCardMainStatus",
            CANCELLED,
            &[("queryDropCard", "true")],
        )
        .await;
    assert_eq!(v["productInfo"][0]["productMainStatusCd"], "7");
    assert_eq!(v["productInfo"][0]["productMainStatusName"], "拆机");
}

#[tokio::test]
async fn profile_telephone_online_real_name() {
    let ct = Ctcc::start().await;
    let prof = ct.q("prodInstQuery", THRESHOLD, &[]).await;
    assert!(
        prof.contains("<SvcCont><resultCode>0</resultCode>"),
        "{prof}"
    );
    assert!(prof.contains("<result><prodInfos>"));
    assert_eq!(tag(&prof, "phoneNum"), Some(THRESHOLD));
    assert_eq!(tag(&prof, "prodStatusName"), Some("在用"));
    assert!(prof.contains("<productName>达量断网</productName>"));
    assert!(prof.contains("<attrName>是否已达量断网</attrName><attrValue>否</attrValue>"));
    assert!(prof.contains("<attrName>断网阈值</attrName><attrValue>100</attrValue>"));
    // getTelephone by ICCID (sign carries the ICCID).
    let t = ct
        .call(
            "/m2m_ec/query.do",
            "getTelephone",
            &[("iccid", NORMAL_ICCID)],
            &[NORMAL_ICCID],
        )
        .await;
    let t: Value = serde_json::from_str(&t).unwrap();
    assert_eq!(t["RESULT"], "0");
    assert_eq!(t["SMSG"], NORMAL);
    let plus = ct
        .call(
            "/m2m_ec/query.do",
            "getTelephonePlus",
            &[("imsi", "460110000000001")],
            &["460110000000001"],
        )
        .await;
    let plus: Value = serde_json::from_str(&plus).unwrap();
    assert_eq!(plus["info"]["ICCID"], NORMAL_ICCID);
    assert_eq!(plus["info"]["access_number"], NORMAL);
    assert_eq!(plus["info"]["4G_IMSI"], "460110000000001");
    // Online status.
    let o = ct.json("getOnlineStatus", NORMAL, &[]).await;
    assert_eq!(o["resultCode"], "0");
    assert_eq!(o["description"]["acctStatusType"], "start");
    assert_eq!(o["description"]["msisdn"], format!("86{NORMAL}"));
    assert_txid(o["groupTransactionId"].as_str().unwrap());
    let off = ct.json("getOnlineStatus", MANUAL_STOP, &[]).await;
    assert_eq!(off["description"]["acctStatusType"], "stop");
    // Real name.
    let rn = ct.q("realNameQueryIot", NORMAL, &[]).await;
    assert_eq!(tag(&rn, "resultCode"), Some("0"));
    assert_eq!(tag(&rn, "number"), Some(NORMAL));
    let no = ct.q("realNameQueryIot", ACTIVATION_READY, &[]).await;
    assert_eq!(tag(&no, "resultCode"), Some("-5"));
    assert_eq!(tag(&no, "resultMsg"), Some("未能查询到实名制信息"));
}

#[tokio::test]
async fn serv_active_cut_net_threshold_speed_imei() {
    let ct = Ctcc::start().await;
    // requestServActive: 1 → 4, then refused.
    let a = ct.json("requestServActive", ACTIVATION_READY, &[]).await;
    assert_eq!(a["RESULT"], "0");
    assert_eq!(ct.main_status(ACTIVATION_READY).await, "4");
    let again = ct.json("requestServActive", ACTIVATION_READY, &[]).await;
    assert_ne!(again["RESULT"], "0");
    assert!(!again["SMSG"].as_str().unwrap().is_empty());

    // singleCutNet ADD / duplicate / DEL.
    let cut = |action: &'static str| {
        let ct = &ct;
        async move {
            ct.call(
                "/m2m_ec/query.do",
                "singleCutNet",
                &[("access_number", NORMAL), ("action", action)],
                &[NORMAL, action],
            )
            .await
        }
    };
    let r = cut("ADD").await;
    assert_eq!(tag(&r, "RspCode"), Some("0000"), "{r}");
    assert_eq!(tag(&r, "RspDesc"), Some("成功接收消息"));
    assert_eq!(ct.admin.card(NORMAL_ICCID).await["data_cut"], true);
    let dup = cut("ADD").await;
    assert_eq!(tag(&dup, "RspCode"), Some("-9"));
    assert!(tag(&dup, "RspDesc").unwrap().contains("不能重复订购"));
    assert_eq!(ct.main_status(NORMAL).await, "4");
    assert_eq!(tag(&cut("DEL").await, "RspCode"), Some("0000"));
    assert_eq!(ct.admin.card(NORMAL_ICCID).await["data_cut"], false);
    assert!(cut("XX").await.starts_with("-2"));

    // offNetAction: threshold in MB; usage crossing it cuts data.
    let off = |action: &'static str, quota: &'static str, ty: &'static str| {
        let ct = &ct;
        async move {
            ct.call(
                "/m2m_ec/query.do",
                "offNetAction",
                &[
                    ("access_number", NORMAL),
                    ("action", action),
                    ("quota", quota),
                    ("type", ty),
                ],
                &[NORMAL, action, quota, ty],
            )
            .await
        }
    };
    assert_eq!(tag(&off("1", "360", "1").await, "RspCode"), Some("0000"));
    let dup = off("1", "360", "1").await;
    assert!(dup.contains("已经订购该产品，请不要重复订购"), "{dup}");
    let prof = ct.q("prodInstQuery", NORMAL, &[]).await;
    assert!(prof.contains("<attrValue>否</attrValue>"), "{prof}");
    ct.sim
        .world()
        .use_data(NORMAL_ICCID, 10 * 1024 * 1024)
        .unwrap();
    let prof = ct.q("prodInstQuery", NORMAL, &[]).await;
    assert!(prof.contains("<attrName>是否已达量断网</attrName><attrValue>是</attrValue>"));
    assert_eq!(
        ct.admin.card(NORMAL_ICCID).await["threshold"]["reached"],
        true
    );
    // No more data flows.
    assert_eq!(ct.sim.world().use_data(NORMAL_ICCID, 1024).unwrap(), 0);
    // Raising the threshold lifts the cut.
    assert_eq!(tag(&off("2", "2000", "1").await, "RspCode"), Some("0000"));
    assert_eq!(
        ct.admin.card(NORMAL_ICCID).await["threshold"]["reached"],
        false
    );
    assert_eq!(tag(&off("3", "", "").await, "RspCode"), Some("0000"));
    assert!(off("2", "100", "1").await.contains("未订购达量断网"));
    assert!(off("1", "abc", "1").await.starts_with("-2"));

    // speedLimitAction on serviceAccept.do.
    let speed = |action: &'static str, v: &'static str| {
        let ct = &ct;
        async move {
            let body = ct
                .call(
                    "/m2m_ec/app/serviceAccept.do",
                    "speedLimitAction",
                    &[
                        ("access_number", NORMAL),
                        ("action", action),
                        ("speedValue", v),
                    ],
                    &[NORMAL, v, action],
                )
                .await;
            serde_json::from_str::<Value>(&body).unwrap()
        }
    };
    assert_eq!(speed("ADD", "12").await["resultCode"], "0000");
    assert_eq!(ct.admin.card(NORMAL_ICCID).await["speed_limit"], 12);
    assert_ne!(speed("ADD", "99").await["resultCode"], "0000");
    assert_eq!(speed("DEL", "10").await["resultCode"], "0000");
    assert_eq!(
        ct.admin.card(NORMAL_ICCID).await["speed_limit"],
        Value::Null
    );

    // IMEIReRecord: monthly per-card limit.
    let imei = || {
        let ct = &ct;
        async move {
            let body = ct
                .call(
                    "/m2m_ec/app/serviceAccept.do",
                    "IMEIReRecord",
                    &[("access_number", NORMAL), ("action", "ADD")],
                    &[NORMAL, "ADD"],
                )
                .await;
            serde_json::from_str::<Value>(&body).unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(imei().await["Response"]["RspCode"], "0000");
    }
    let over = imei().await;
    assert_eq!(over["Response"]["RspCode"], "-5");
    assert_eq!(
        over["Response"]["RspDesc"],
        "业务校验失败（单卡本月调用次数已超过限定次数！）"
    );
}

#[tokio::test]
async fn sim_list_pages_and_filters() {
    let ct = Ctcc::start().await;
    let list = |extra: Vec<(&'static str, &'static str)>| {
        let ct = &ct;
        async move {
            let body = ct.call("/m2m_ec/query.do", "getSIMList", &extra, &[]).await;
            serde_json::from_str::<Value>(&body).unwrap_or(Value::String(body))
        }
    };
    // ctcc-demo holds 17 role cards + 40 crowd cards = 57.
    let p1 = list(vec![("pageIndex", "1")]).await;
    assert_eq!(p1["resultCode"], "0");
    let sims = p1["description"]["simList"].as_array().unwrap();
    assert_eq!(sims.len(), 50);
    assert!(sims[0]["simStatus"].is_array());
    assert!(sims[0]["simStatus"][0].is_string());
    let p2 = list(vec![("pageIndex", "2")]).await;
    assert_eq!(p2["description"]["simList"].as_array().unwrap().len(), 7);
    let p9 = list(vec![("pageIndex", "9")]).await;
    assert_eq!(p9["description"]["simList"].as_array().unwrap().len(), 0);
    let one = list(vec![("pageIndex", "1"), ("access_number", NORMAL)]).await;
    let one = one["description"]["simList"].as_array().unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["iccid"], NORMAL_ICCID);
    assert_eq!(one[0]["simStatus"], json!(["4"]));
    let ready = list(vec![("pageIndex", "1"), ("simStatus", "1")]).await;
    for s in ready["description"]["simList"].as_array().unwrap() {
        assert_eq!(s["simStatus"], json!(["1"]));
    }
    assert!(list(vec![]).await.as_str().unwrap().starts_with("-2"));
    assert!(list(vec![("pageIndex", "1"), ("simStatus", "9")])
        .await
        .as_str()
        .unwrap()
        .starts_with("-2"));
}

#[tokio::test]
async fn add_on_orders_and_pools() {
    let ct = Ctcc::start().await;
    let order = |method: &'static str, v: &'static str| {
        let ct = &ct;
        async move {
            let body = ct
                .call(
                    "/m2m_ec/app/serviceAccept.do",
                    method,
                    &[("access_number", NORMAL), ("flowValue", v)],
                    &[NORMAL, v],
                )
                .await;
            serde_json::from_str::<Value>(&body).unwrap_or(Value::String(body))
        }
    };
    let r = order("orderFlow", "2007").await;
    assert_eq!(r["info"], "success");
    assert_eq!(r["checkout"], "成功接收消息");
    // The ctcc-1g plan renews this month: the add-on counts now (100 MB = 102400 KB).
    let p = ct.q("queryPakage", NORMAL, &[]).await;
    assert_eq!(p.matches("<CumulRspList>").count(), 4, "{p}");
    assert!(p.contains("<CUMULATION_TOTAL>102400</CUMULATION_TOTAL>"));
    // Already in effect → cannot unsubscribe.
    assert_eq!(order("unsubScribe", "2007").await["info"], "fail");
    assert!(order("orderFlow", "9999")
        .await
        .as_str()
        .unwrap()
        .starts_with("-2"));

    let pools = ct.call("/m2m_ec/query.do", "getPoolList", &[], &[]).await;
    assert_eq!(tag(&pools, "poolNbr"), Some("50LLC00001"), "{pools}");
    let q = ct
        .call(
            "/m2m_ec/query.do",
            "poolQry",
            &[("poolNbr", "50LLC00001")],
            &["50LLC00001"],
        )
        .await;
    assert_eq!(tag(&q, "resultCode"), Some("0"));
    assert_eq!(tag(&q, "totalFlow"), Some("2048.00"));
    let m = ct
        .call(
            "/m2m_ec/query.do",
            "poolMemQry",
            &[
                ("poolNbr", "50LLC00001"),
                ("member_accNbr", POOL_A),
                ("monthSelect", "1"),
            ],
            &["50LLC00001", POOL_A, "1"],
        )
        .await;
    assert_eq!(tag(&m, "acc_nbr"), Some(POOL_A), "{m}");
    assert_eq!(tag(&m, "used_flow"), Some("600.00"));
    let bad = ct
        .call(
            "/m2m_ec/query.do",
            "poolQry",
            &[("poolNbr", "NOPE")],
            &["NOPE"],
        )
        .await;
    assert_eq!(tag(&bad, "resultCode"), Some("-4"));
}

#[tokio::test]
async fn location_body_is_encrypted_json() {
    let ct = Ctcc::start().await;
    let body = ct
        .call(
            "/m2m_ec/app/location.do",
            "getLocationByPhone",
            &[("access_number", NORMAL)],
            &[NORMAL],
        )
        .await;
    assert!(body.bytes().all(|b| b.is_ascii_hexdigit()), "{body}");
    let plain = ct.key.dec(&body).unwrap();
    let v: Value = serde_json::from_str(&plain).unwrap();
    assert_eq!(v["resultCode"], "0");
    assert_eq!(v["MSID"], NORMAL);
    assert_eq!(v["MSID_TYPE"], "0");
    assert_eq!(v["LOCALTIME"].as_str().unwrap().len(), 14);
}

fn sim_with(dialect: Value) -> impl std::future::Future<Output = Simulator> {
    let mut fx = fixture::default_fixture();
    fx.dialects.ctcc = serde_json::from_value(dialect).expect("[dialects.ctcc]");
    Simulator::builder().fixture(fx).start()
}

#[tokio::test]
async fn rate_limit_per_account_per_minute() {
    let ct = Ctcc::with(sim_with(json!({"rate_limit_per_minute": 3})).await);
    for _ in 0..3 {
        assert!(ct.q("queryTraffic", NORMAL, &[]).await.starts_with("<?xml"));
    }
    assert_eq!(
        ct.q("queryTraffic", NORMAL, &[]).await,
        "101004：请求过于频繁，请稍后再试"
    );
    // Changes are not rate-limited.
    assert!(ct
        .json("requestServActive", ACTIVATION_READY, &[])
        .await
        .is_object());
    ct.sim.advance("1m").unwrap();
    assert!(ct.q("queryTraffic", NORMAL, &[]).await.starts_with("<?xml"));
}

#[tokio::test]
async fn default_rate_limit_is_500() {
    let ct = Ctcc::start().await;
    // Methods outside spec ctcc.md §6's three are not limited.
    for _ in 0..500 {
        assert!(ct
            .q("queryCardMainStatus", NORMAL, &[])
            .await
            .starts_with('{'));
    }
    // One token bucket: 500 at once, refilled at 500 a minute, so the
    // refusal comes after 500 calls plus what refilled meanwhile.
    let started = std::time::Instant::now();
    let mut served = 0usize;
    let refused = loop {
        let body = ct.q("queryTraffic", NORMAL, &[]).await;
        if body.starts_with("101004") || served > 1000 {
            break body;
        }
        served += 1;
    };
    assert!(refused.starts_with("101004"), "{refused}");
    let refilled = (started.elapsed().as_secs_f64() * 500.0 / 60.0).ceil() as usize + 1;
    assert!(
        (500..=500 + refilled).contains(&served),
        "{served} served, {refilled} refilled"
    );
}

#[tokio::test]
async fn lenient_sign_mode_accepts_extra_values() {
    let ct = Ctcc::with(sim_with(json!({"sign": "lenient"})).await);
    // Sign over every parameter value (the [wx] client style).
    let body = ct
        .call(
            "/m2m_ec/query.do",
            "queryTraffic",
            &[("access_number", NORMAL), ("needDtl", "0")],
            &[NORMAL, "0"],
        )
        .await;
    assert_eq!(tag(&body, "IRESULT"), Some("0"), "{body}");
    // Still refused without the identifier or with foreign values.
    let body = ct
        .call(
            "/m2m_ec/query.do",
            "queryTraffic",
            &[("access_number", NORMAL)],
            &["x"],
        )
        .await;
    assert!(body.starts_with("-3"));
}

// ---- 5G CMP ----

#[tokio::test]
async fn g5_main_status_and_auth() {
    let ct = Ctcc::start().await;
    let path = "/openapi/v1/prodinst/queryCardMainStatus";
    let v = ct.g5(path, &[("access_number", NORMAL)], None).await;
    assert_eq!(v["result"], "0", "{v}");
    assert_eq!(v["netBlockStatusName"], "未断网");
    assert_eq!(v["authStatus"], "1");
    assert_eq!(v["productInfo"][0]["productMainStatusCd"], "4");
    assert!(v["productInfo"][0]["operatorDefinitionStatusName"].is_string());
    // Wrong secret → sign error; unknown AppKey; missing headers.
    let bad = ct
        .g5_with(
            path,
            &[("access_number", NORMAL)],
            None,
            APP_KEY,
            "nope",
            "20261125100000",
        )
        .await;
    assert_eq!(bad["code"], "-3");
    let bad = ct
        .g5_with(
            path,
            &[("access_number", NORMAL)],
            None,
            "nobody",
            SECRET,
            "20261125100000",
        )
        .await;
    assert_eq!(bad["code"], "-1");
    let resp = ct
        .http
        .get(format!("{}{path}?access_number={NORMAL}", ct.sim.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["code"], "-2");
    // Another account's card.
    let v = ct.g5(path, &[("access_number", OTHER)], None).await;
    assert_eq!(v["msg"], "该号码和用户没有绑定");
    // Cut through 5G, seen as 已断网.
    let cut = ct
        .g5(
            "/5gcmp/openapi/v1/common/singleCutNet",
            &[("access_number", NORMAL), ("action", "ADD")],
            None,
        )
        .await;
    assert_eq!(tag(cut.as_str().unwrap(), "RspCode"), Some("0000"));
    let v = ct.g5(path, &[("access_number", NORMAL)], None).await;
    assert_eq!(v["netBlockStatusName"], "已断网");
}

#[tokio::test]
async fn g5_changes() {
    let ct = Ctcc::start().await;
    // Resume of a card still awaiting activation → 100008.
    let r = ct
        .g5(
            "/5gcmp/openapi/v1/common/disabledNumberService",
            &[
                ("access_number", ACTIVATION_READY),
                ("acctCd", ""),
                ("orderTypeId", "20"),
            ],
            None,
        )
        .await;
    assert_eq!(tag(r.as_str().unwrap(), "result"), Some("100008"));
    let a = ct
        .g5(
            "/5gcmp/openapi/v1/common/requestServActive",
            &[("access_number", ACTIVATION_READY)],
            None,
        )
        .await;
    assert_eq!(a["RESULT"], "0");
    let stop = ct
        .g5(
            "/5gcmp/openapi/v1/common/disabledNumberService",
            &[
                ("access_number", ACTIVATION_READY),
                ("acctCd", ""),
                ("orderTypeId", "19"),
            ],
            None,
        )
        .await;
    assert_eq!(tag(stop.as_str().unwrap(), "result"), Some("0"));
    let s = ct
        .g5(
            "/openapi/v1/prodinst/queryCardMainStatus",
            &[("access_number", ACTIVATION_READY)],
            None,
        )
        .await;
    assert_eq!(s["productInfo"][0]["productMainStatusCd"], "5");
    let sp = ct
        .g5(
            "/5gcmp/openapi/v1/common/speedLimitAction",
            &[
                ("access_number", NORMAL),
                ("action", "ADD"),
                ("speedValue", "32"),
            ],
            None,
        )
        .await;
    assert_eq!(sp["resultCode"], "0000");
    assert_eq!(ct.admin.card(NORMAL_ICCID).await["speed_limit"], 32);
    let off = ct
        .g5(
            "/5gcmp/openapi/v1/common/offNetAction",
            &[
                ("access_number", NORMAL),
                ("action", "1"),
                ("quota", "0"),
                ("type", "2"),
            ],
            None,
        )
        .await;
    assert_eq!(tag(off.as_str().unwrap(), "RspCode"), Some("0000"));
    // The status changes above, newest first (cradStatus, LC005).
    let h = ct
        .g5(
            "/openapi/v1/prodinst/cradStatus",
            &[
                ("access_number", ACTIVATION_READY),
                ("page", "1"),
                ("size", "10"),
            ],
            None,
        )
        .await;
    assert_eq!(h["resultCode"], "0", "{h}");
    let list = h["data"]["list"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{h}");
    assert_eq!(list[0]["oldStatusCd"], "4");
    assert_eq!(list[0]["newStatusCd"], "5");
    assert_eq!(list[1]["oldStatusCd"], "1");
    assert_eq!(list[1]["newStatusCd"], "4");
    let bad = ct
        .g5(
            "/openapi/v1/prodinst/cradStatus",
            &[("access_number", ACTIVATION_READY), ("size", "0")],
            None,
        )
        .await;
    assert_eq!(bad["code"], "-2");
}

#[tokio::test]
async fn g5_queries() {
    let ct = Ctcc::start().await;
    let t = ct
        .g5(
            "/api/v1/openbill/queryTraffic",
            &[("access_number", NORMAL), ("needDtl", "0")],
            None,
        )
        .await;
    assert_eq!(
        tag(t.as_str().unwrap(), "TOTAL_BYTES_CNT"),
        Some("356.20MB")
    );
    let day = carrier_sim::clock::fmt_local(ct.sim.world().now(), "%Y%m%d");
    let t = ct
        .g5(
            "/api/v1/openbill/queryTrafficByDate",
            &[
                ("access_number", NORMAL),
                ("startDate", &day),
                ("endDate", &day),
            ],
            None,
        )
        .await;
    assert_eq!(tag(t.as_str().unwrap(), "IRESULT"), Some("0"));
    let o = ct
        .g5(
            "/openapi/v1/prodinst/getOnlineStatus",
            &[("access_number", NORMAL)],
            None,
        )
        .await;
    assert_eq!(o["description"]["acctStatusType"], "start");
    let p = ct
        .g5(
            "/openapi/v1/prodinst/prodInstQuery",
            &[("access_number", NORMAL)],
            None,
        )
        .await;
    assert_eq!(tag(p.as_str().unwrap(), "phoneNum"), Some(NORMAL));
    let l = ct
        .g5(
            "/openapi/v1/prodinst/getSIMList",
            &[("pageIndex", "2")],
            None,
        )
        .await;
    assert_eq!(l["description"]["simList"].as_array().unwrap().len(), 7);
    let g = ct
        .g5(
            "/openapi/v1/prodinst/getTelephone",
            &[("iccid", NORMAL_ICCID)],
            None,
        )
        .await;
    assert_eq!(g["SMSG"], NORMAL);

    let body = json!({"custNumber": "6000000001", "accessNumber": [NORMAL, OTHER]});
    let f = ct
        .g5("/api/v1/batchQry/batchQryFlowByMonth", &[], Some(body))
        .await;
    assert_eq!(f["code"], 0);
    assert_eq!(f["data"][0]["flowAmount"], "356.20");
    assert_eq!(f["data"][0]["unit"], "MB");
    assert_eq!(f["data"][0]["result"], "1");
    assert_eq!(f["data"][1]["result"], "0");
    let info = ct
        .g5(
            "/api/v1/prod/batchQrySimInfo",
            &[],
            Some(json!({"accessNumbers": [NORMAL], "custNumber": "6000000001", "groupId": "", "simStatus": ""})),
        )
        .await;
    assert_eq!(info["data"]["qrySimInfoList"][0]["iccid"], NORMAL_ICCID);
    let st = ct
        .g5(
            "/api/v1/prod/batchQrySimStatus",
            &[],
            Some(json!({"accessNumbers": [NORMAL, MANUAL_STOP]})),
        )
        .await;
    assert_eq!(st["data"]["simStatusList"][1]["productMainStatusCd"], "5");
    let rn = ct
        .g5(
            "/api/v1/realName/qryRealNameStatus",
            &[],
            Some(json!({"accessNumber": [NORMAL, ACTIVATION_READY]})),
        )
        .await;
    assert_eq!(rn["data"]["statusList"][0]["status"], "1");
    assert_eq!(rn["data"]["statusList"][1]["status"], "0");
    let bad = ct
        .g5("/api/v1/prod/batchQrySimStatus", &[], Some(json!({"x": 1})))
        .await;
    assert_eq!(bad["code"], "-2");
    // Multi-byte or malformed month → -2, never a panic.
    for month in ["中文", "2026131", "202613"] {
        let bad = ct
            .g5(
                "/api/v1/batchQry/batchQryFlowByMonth",
                &[],
                Some(json!({"accessNumber": [NORMAL], "month": month})),
            )
            .await;
        assert_eq!(bad["code"], "-2", "{month}");
    }
    // Malformed JSON body.
    let bad = ct
        .g5_raw("/api/v1/prod/batchQrySimStatus", "{not json")
        .await;
    assert_eq!(bad["code"], "-2");
}

#[tokio::test]
async fn g5_send_sms_lands_in_inbox() {
    let ct = Ctcc::start().await;
    // content = strEnc(text, secret[0..3], secret[3..6], secret[6..9]).
    let content = carrier_sim::carriers::ctcc::des::str_enc("开机 reboot", "tes", "tse", "cre");
    let r = ct
        .g5(
            "/api/v1/na/notice/message/sendSms",
            &[
                ("access_number", NORMAL),
                ("content", &content),
                ("returnType", "1"),
            ],
            None,
        )
        .await;
    assert_eq!(r["code"], 0, "{r}");
    let card = ct.sim.world().card(NORMAL_ICCID).unwrap();
    assert_eq!(card.inbox.last().unwrap().text, "开机 reboot");
    let bad = ct
        .g5(
            "/api/v1/na/notice/message/sendSms",
            &[("access_number", NORMAL), ("content", "nothex")],
            None,
        )
        .await;
    assert_eq!(bad["code"], "-2");
}

#[tokio::test]
async fn g5_timestamp_skew_is_optional() {
    let path = "/openapi/v1/prodinst/queryCardMainStatus";
    let q = [("access_number", NORMAL)];
    // Off by default: any timestamp is accepted.
    let ct = Ctcc::start().await;
    let v = ct
        .g5_with(path, &q, None, APP_KEY, SECRET, "20200101000000")
        .await;
    assert_eq!(v["result"], "0");
    // On: the simulated now (Beijing time, or GMT) passes, a stale one does not.
    let ct = Ctcc::with(sim_with(json!({"g5_max_skew_seconds": 300})).await);
    let now = ct.sim.world().now();
    let local = carrier_sim::clock::fmt_local(now, "%Y%m%d%H%M%S");
    let gmt = now.strftime("%Y%m%d%H%M%S").to_string();
    for ts in [local, gmt] {
        let v = ct.g5_with(path, &q, None, APP_KEY, SECRET, &ts).await;
        assert_eq!(v["result"], "0", "{ts}: {v}");
    }
    let v = ct
        .g5_with(path, &q, None, APP_KEY, SECRET, "20200101000000")
        .await;
    assert_eq!(v["code"], "-3");
    let v = ct.g5_with(path, &q, None, APP_KEY, SECRET, "garbage").await;
    assert_eq!(v["code"], "-3");
}

#[tokio::test]
async fn add_on_next_month_plan_can_be_unsubscribed() {
    let mut fx = fixture::default_fixture();
    for p in fx.plans.iter_mut().filter(|p| p.id == "ctcc-1g") {
        p.renewal_effect = Some(carrier_sim::domain::RenewalEffect::NextMonth);
    }
    let ct = Ctcc::with(Simulator::builder().fixture(fx).start().await);
    let order = |method: &'static str| {
        let ct = &ct;
        async move {
            let body = ct
                .call(
                    "/m2m_ec/app/serviceAccept.do",
                    method,
                    &[("access_number", NORMAL), ("flowValue", "2080")],
                    &[NORMAL, "2080"],
                )
                .await;
            serde_json::from_str::<Value>(&body).unwrap()
        }
    };
    assert_eq!(order("orderFlow").await["info"], "success");
    // Not in this month's package; listed for next month (1 GB = 1048576 KB).
    let now = ct.q("queryPakage", NORMAL, &[]).await;
    assert_eq!(now.matches("<CumulRspList>").count(), 3, "{now}");
    let next = carrier_sim::clock::add_months(ct.sim.world().now(), 1);
    let month = carrier_sim::clock::fmt_local(next, "%Y%m01");
    let later = ct.q("queryPakage", NORMAL, &[("monthDate", &month)]).await;
    assert_eq!(later.matches("<CumulRspList>").count(), 4, "{later}");
    assert!(later.contains("<OFFER_ID>2080</OFFER_ID>"));
    // Still pending → can be cancelled; a second cancel fails.
    assert_eq!(order("unsubScribe").await["info"], "success");
    let again = order("unsubScribe").await;
    assert_eq!(again["info"], "fail");
    assert!(!again["messg"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn settings_follow_a_replaced_fixture() {
    let ct = Ctcc::start().await;
    assert!(ct.q("queryTraffic", NORMAL, &[]).await.starts_with("<?xml"));
    let mut fx = fixture::default_fixture();
    fx.dialects.ctcc.rate_limit_per_minute = Some(1);
    ct.sim.world().replace_fixture(fx);
    assert!(ct.q("queryTraffic", NORMAL, &[]).await.starts_with("<?xml"));
    assert!(ct
        .q("queryTraffic", NORMAL, &[])
        .await
        .starts_with("101004"));
}

#[tokio::test]
async fn every_method_survives_odd_values_on_every_kind_of_card() {
    use carrier_sim::carriers::ctcc::{Ident, METHODS};
    let ct = Ctcc::with(sim_with(json!({"rate_limit_per_minute": 0})).await);
    let names = [
        "orderTypeId",
        "action",
        "quota",
        "type",
        "speedValue",
        "flowValue",
        "poolNbr",
        "member_accNbr",
        "monthSelect",
        "startDate",
        "endDate",
        "monthDate",
        "pageIndex",
        "simStatus",
        "needDtl",
        "Query_Flag",
        "bind_type",
        "imei",
        "queryDropCard",
        "acctCd",
        "currentPage",
        "flow_quota",
        "requestId",
        "start_time",
        "end_time",
        "date",
        "billingCycleID",
        "certNumber",
    ];
    let odd = [
        "",
        "中文",
        "-1",
        "0",
        "99999999999999999999",
        "20261301",
        "ADD",
    ];
    for m in METHODS {
        for number in [NORMAL, CANCELLED, INVENTORY, POOL_A, EXPIRED, ARREARS] {
            for v in odd {
                let mut params: Vec<(&str, &str)> = names.iter().map(|n| (*n, v)).collect();
                let mut sign: Vec<&str> = Vec::new();
                if m.ident == Ident::Card {
                    params.push(("access_number", number));
                    sign.push(number);
                } else {
                    params.push(("access_number", v));
                }
                sign.extend(m.sign_extras.iter().map(|_| v));
                let body = ct.call("/m2m_ec/query.do", m.name, &params, &sign).await;
                assert!(!body.is_empty(), "{} {number} {v:?}", m.name);
                assert!(
                    !body.starts_with("-3") && !body.starts_with("-1："),
                    "{} {number} {v:?}: {body}",
                    m.name
                );
            }
        }
    }
    // The world is still serving.
    assert!(ct.q("queryTraffic", NORMAL, &[]).await.starts_with("<?xml"));
}

// ---- Round 2 (issue 17): what public clients saw differently ----

/// A simulator on the default fixture with `edit` applied to the card
/// whose access number is `number`.
async fn sim_with_card(number: &str, edit: impl FnOnce(&mut fixture::CardSpec)) -> Ctcc {
    let mut fx = fixture::default_fixture();
    let card = fx
        .cards
        .iter_mut()
        .find(|c| c.msisdn == number)
        .expect("fixture card");
    edit(card);
    Ctcc::with(Simulator::builder().fixture(fx).start().await)
}

#[tokio::test]
async fn sim_list_entries_have_the_captured_shape() {
    // A real getSIMList reply kept in a public Java task class (package
    // com.zycm.zybao.service.task, RefreshMediaIotTask; repository not
    // identified, found by content): each entry has accNumber, iccid,
    // activationTime as yyyyMMdd ("" for a card never activated, there
    // with simStatus ["1"]), custId and simStatus; no createTime.
    let ct = Ctcc::start().await;
    let list = |number: &'static str| {
        let ct = &ct;
        async move {
            let body = ct
                .call(
                    "/m2m_ec/query.do",
                    "getSIMList",
                    &[("pageIndex", "1"), ("access_number", number)],
                    &[],
                )
                .await;
            let v: Value = serde_json::from_str(&body).unwrap();
            v["description"]["simList"][0].clone()
        }
    };
    let normal = list(NORMAL).await;
    let keys: Vec<&str> = normal
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "accNumber",
            "activationTime",
            "custId",
            "iccid",
            "simStatus"
        ],
        "{normal}"
    );
    let at = normal["activationTime"].as_str().unwrap();
    assert_eq!(at.len(), 8, "{at}");
    assert!(at.bytes().all(|b| b.is_ascii_digit()), "{at}");
    assert!(carrier_sim::carriers::ctcc::traffic::parse_day(at).is_some());
    let ready = list(ACTIVATION_READY).await;
    assert_eq!(ready["activationTime"], "", "{ready}");
    assert_eq!(ready["simStatus"], json!(["1"]));
}

#[tokio::test]
async fn online_status_names_the_province() {
    // getOnlineStatus `provname` is a province: `山东` in the reply
    // captured by youandmeyxx/vxDemo
    // (src/main/java/com/soecode/wxDemo/telecom/chinatelecom/).
    for (city, province) in [("济南市", "山东"), ("珠海市", "广东"), ("南京市", "江苏")]
    {
        let ct = sim_with_card(NORMAL, |c| c.city = Some(city.into())).await;
        let v = ct.json("getOnlineStatus", NORMAL, &[]).await;
        assert_eq!(v["resultCode"], "0", "{v}");
        assert_eq!(v["description"]["provname"], province, "{city}: {v}");
    }
}

#[tokio::test]
async fn card_status_changes_keep_the_resume() {
    // 5G cradStatus (LC005 卡变更状态记录, McWuNai/iotlink
    // yunze-apiCommon/.../upstreamAPI/DianXinCMP Query_DX5G): a stop
    // (disabledNumber 19, 在用 4 → 停机 5) and the resume after it (20,
    // 5 → 4) are two changes of the main status; a hand data cut
    // (singleCutNet) leaves the main status 在用 and is not one.
    let ct = Ctcc::start().await;
    assert!(disabled(&ct, NORMAL, "19")
        .await
        .contains("<result>0</result>"));
    assert!(disabled(&ct, NORMAL, "20")
        .await
        .contains("<result>0</result>"));
    let cut = ct
        .call(
            "/m2m_ec/query.do",
            "singleCutNet",
            &[("access_number", NORMAL), ("action", "ADD")],
            &[NORMAL, "ADD"],
        )
        .await;
    assert_eq!(tag(&cut, "RspCode"), Some("0000"), "{cut}");
    let h = ct
        .g5(
            "/openapi/v1/prodinst/cradStatus",
            &[("access_number", NORMAL), ("page", "1"), ("size", "10")],
            None,
        )
        .await;
    let list = h["data"]["list"].as_array().unwrap();
    let moves: Vec<(String, String)> = list
        .iter()
        .map(|e| {
            (
                e["oldStatusCd"].as_str().unwrap().to_string(),
                e["newStatusCd"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [("5".to_string(), "4".to_string()), ("4".into(), "5".into())],
        "{h}"
    );
    assert_eq!(h["data"]["total"], 2);
}

/// Hundredths of the KB figure of a `BYTES_CNT` value (`"5120.00KB"`).
fn kb_hundredths(v: &str) -> u64 {
    v.trim_end_matches("KB").replace('.', "").parse().unwrap()
}

#[tokio::test]
async fn traffic_detail_rows_come_from_the_days_and_add_up() {
    // queryTraffic with needDtl=1 lists NEW_DATA_TICKET_QRlist records with
    // BYTES_CNT in KB (spec §4.1; heguanglong01/pfm parses the KB suffix);
    // they are the month's usage, so they add up to TOTAL_BYTES_CNT.
    let ct = sim_with_card(NORMAL, |c| c.data_used = None).await;
    let world = ct.sim.world().clone();
    world.use_data(NORMAL_ICCID, 7 * 1024 * 1024 + 333).unwrap();
    ct.sim.advance("1d").unwrap();
    world.use_data(NORMAL_ICCID, 3 * 1024 * 1024 + 1).unwrap();
    let month = ct.q("queryTraffic", NORMAL, &[("needDtl", "1")]).await;
    let rows: Vec<&str> = month
        .split("<NEW_DATA_TICKET_QRlist>")
        .skip(1)
        .map(|r| tag(r, "BYTES_CNT").unwrap())
        .collect();
    assert!(rows.len() >= 2, "{month}");
    assert_eq!(tag(&month, "TOTALCOUNT"), Some(&*rows.len().to_string()));
    let used = ct.admin.card(NORMAL_ICCID).await["usage"]["data_bytes"]
        .as_u64()
        .unwrap();
    // The rows carry their rounding: they sum to the total in KB, rounded
    // half up to hundredths, and the total in MB is the same usage.
    let sum: u64 = rows.iter().map(|r| kb_hundredths(r)).sum();
    assert_eq!(sum, (used * 100 + 512) / 1024, "{month}");
    assert_eq!(
        tag(&month, "TOTAL_BYTES_CNT").unwrap(),
        format!("{}MB", carrier_sim::domain::money::mb_2dp(used))
    );
}

/// A signed query.do call without an identifier (pool and account calls):
/// `sign_values` besides user_id, password and method.
async fn call_json(ct: &Ctcc, method: &str, params: &[(&str, &str)], sign: &[&str]) -> Value {
    let body = ct.call("/m2m_ec/query.do", method, params, sign).await;
    serde_json::from_str(&body).unwrap_or(Value::String(body))
}

#[tokio::test]
async fn imsi_by_imei_and_binding() {
    // queryIMSI: `imei` in, signed {imei, user_id, password, method};
    // JSON description{msisdn, iccid, imsi, result, source}
    // (wanghanhong/springcloud_alibaba card-manage
    // service/impl/CommonServiceImpl.java and entity/query/QueryImsi.java).
    let ct = Ctcc::start().await;
    let imei = "860070000010027"; // the device the fixture's normal card is in
    let v = call_json(&ct, "queryIMSI", &[("imei", imei)], &[imei]).await;
    assert_eq!(v["resultCode"], "0", "{v}");
    assert_eq!(v["description"]["iccid"], NORMAL_ICCID);
    assert_eq!(v["description"]["msisdn"], NORMAL);
    assert!(v["groupTransactionId"].is_string());
    let none = call_json(
        &ct,
        "queryIMSI",
        &[("imei", "000000000000000")],
        &["000000000000000"],
    )
    .await;
    assert_eq!(none["resultCode"], "-5", "{none}");
    // queryBindDetection: bingdingType 开通/未开通 (the binding service),
    // bingdingStatus 是/否 (the device is the bound one), lower-case
    // group_transactionid (same repository, entity/query/BindDetection.java).
    let b = ct.json("queryBindDetection", NORMAL, &[]).await;
    assert_eq!(b["resultCode"], "0", "{b}");
    assert_eq!(b["description"]["bingdingType"], "未开通");
    assert_eq!(b["description"]["lastIMEI"], imei);
    assert!(b["group_transactionid"].is_string());
    let r = ct
        .call(
            "/m2m_ec/app/serviceAccept.do",
            "IMEIReRecord",
            &[("access_number", NORMAL), ("action", "ADD")],
            &[NORMAL, "ADD"],
        )
        .await;
    assert!(r.contains("0000"), "{r}");
    let b = ct.json("queryBindDetection", NORMAL, &[]).await;
    assert_eq!(b["description"]["bingdingType"], "开通", "{b}");
    assert_eq!(b["description"]["bingdingStatus"], "是");
    assert_eq!(b["description"]["imei"], imei);
}

#[tokio::test]
async fn sms_detail_lists_the_cards_messages() {
    // querySmsDetail: start_time/end_time yyyyMMdd in one month, both in the
    // sign; XML SM_TICKET_QRsp with one record per message: start time
    // `2016/09/06 16:25:00`, the number, ticket_type_id `MO（上行）`
    // (wanghanhong/springcloud_alibaba card-manage
    // entity/query/QuerySmsDetail.java, CommonServiceImpl.java getArr).
    let ct = Ctcc::start().await;
    let world = ct.sim.world().clone();
    world
        .deliver_to_card(NORMAL_ICCID, "10001", "余额查询")
        .unwrap();
    world
        .record_sent_by_card(NORMAL_ICCID, "10001", "108")
        .unwrap();
    let day = carrier_sim::clock::fmt_local(world.now(), "%Y%m%d");
    let body = ct
        .call(
            "/m2m_ec/query.do",
            "querySmsDetail",
            &[
                ("access_number", NORMAL),
                ("start_time", &day),
                ("end_time", &day),
            ],
            &[NORMAL, &day, &day],
        )
        .await;
    assert!(body.contains("<root><SM_TICKET_QRsp>"), "{body}");
    assert_eq!(tag(&body, "IRESULT"), Some("0"));
    assert_eq!(tag(&body, "TOTALCOUNT"), Some("2"));
    assert_eq!(body.matches("<SM_TICKET_QRlist>").count(), 2);
    assert!(body.contains("<TICKET_TYPE_ID>MO（上行）</TICKET_TYPE_ID>"));
    assert!(body.contains("<TICKET_TYPE_ID>MT（下行）</TICKET_TYPE_ID>"));
    assert_eq!(tag(&body, "ACC_NBR"), Some(NORMAL));
    let start = tag(&body, "START_TIME").unwrap();
    assert_eq!(start.len(), "2016/09/06 16:25:00".len(), "{start}");
    assert_eq!(&start[4..5], "/");
    // Another month's day has no record; a range across months is refused.
    let other = ct
        .call(
            "/m2m_ec/query.do",
            "querySmsDetail",
            &[
                ("access_number", NORMAL),
                ("start_time", "20200101"),
                ("end_time", "20200102"),
            ],
            &[NORMAL, "20200101", "20200102"],
        )
        .await;
    assert_eq!(tag(&other, "TOTALCOUNT"), Some("0"), "{other}");
    let cross = ct
        .call(
            "/m2m_ec/query.do",
            "querySmsDetail",
            &[
                ("access_number", NORMAL),
                ("start_time", "20200131"),
                ("end_time", "20200201"),
            ],
            &[NORMAL, "20200131", "20200201"],
        )
        .await;
    assert!(cross.starts_with("-2"), "{cross}");
}

#[tokio::test]
async fn orders_come_from_the_cards_history() {
    // getOrdersByAccessNumber / getOrdersByRequestId: pageIndex (10 a page,
    // not signed); pageIndex and simOrderList inside `description`, each
    // order {accessNumber, requestId, serviceType, status, creator,
    // createTime} (wanghanhong/springcloud_alibaba card-manage
    // service/impl/BusinessQueryServiceImpl.java, entity/query/SimOrderList.java).
    let ct = Ctcc::start().await;
    let order = ct
        .call(
            "/m2m_ec/app/serviceAccept.do",
            "orderFlow",
            &[("access_number", NORMAL), ("flowValue", "2007")],
            &[NORMAL, "2007"],
        )
        .await;
    assert!(order.contains("success"), "{order}");
    ct.sim.advance("1h").unwrap();
    assert!(disabled(&ct, NORMAL, "19")
        .await
        .contains("<result>0</result>"));
    let v = ct
        .json("getOrdersByAccessNumber", NORMAL, &[("pageIndex", "1")])
        .await;
    assert_eq!(v["resultCode"], "0", "{v}");
    assert_eq!(v["description"]["pageIndex"], "1");
    let list = v["description"]["simOrderList"].as_array().unwrap();
    let services: Vec<&str> = list
        .iter()
        .map(|o| o["serviceType"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["停机保号", "流量包订购"], "{v}");
    assert_eq!(list[0]["accessNumber"], NORMAL);
    assert_eq!(list[0]["creator"], USER);
    let id = list[1]["requestId"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 22, "{id}");
    let page2 = ct
        .json("getOrdersByAccessNumber", NORMAL, &[("pageIndex", "2")])
        .await;
    assert_eq!(page2["description"]["simOrderList"], json!([]));
    let by_id = call_json(
        &ct,
        "getOrdersByRequestId",
        &[("requestId", &id), ("pageIndex", "1")],
        &[&id],
    )
    .await;
    let found = by_id["description"]["simOrderList"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{by_id}");
    assert_eq!(found[0]["serviceType"], "流量包订购");
}

#[tokio::test]
async fn routes_and_monthly_usage() {
    // queryRoutes: startDate/endDate of this month; JSON data[{province,
    // enterTime}] with lower-case group_transactionid
    // (wanghanhong/springcloud_alibaba card-manage entity/location/RouteData.java).
    let ct = sim_with_card(NORMAL, |c| c.city = Some("青岛市".into())).await;
    let now = ct.sim.world().now();
    let month = carrier_sim::clock::fmt_local(now, "%Y%m");
    let today = carrier_sim::clock::fmt_local(now, "%Y%m%d");
    let first = format!("{month}01");
    let r = ct
        .json(
            "queryRoutes",
            NORMAL,
            &[("startDate", &first), ("endDate", &today)],
        )
        .await;
    assert_eq!(r["resultCode"], "0", "{r}");
    assert_eq!(r["data"][0]["province"], "山东", "{r}");
    assert!(r["group_transactionid"].is_string());
    let old = ct
        .q(
            "queryRoutes",
            NORMAL,
            &[("startDate", "20200101"), ("endDate", "20200102")],
        )
        .await;
    assert!(old.starts_with("-2"), "{old}");
    // monthlyUsage: date yyyyMM and type, both signed; JSON amount
    // (zhangjie29net/amlink Esim7/CT/CTDAL/CTAPIDAL.cs). 10 MB more use on
    // one card is 10.00 more for the account.
    async fn amount(ct: &Ctcc, month: &str) -> u64 {
        let v = call_json(
            ct,
            "monthlyUsage",
            &[("date", month), ("type", "1")],
            &[month, "1"],
        )
        .await;
        assert_eq!(v["resultCode"], "0", "{v}");
        v["amount"]
            .as_str()
            .unwrap()
            .replace('.', "")
            .parse()
            .unwrap()
    }
    let before = amount(&ct, &month).await;
    ct.sim
        .world()
        .use_data(NORMAL_ICCID, 10 * 1024 * 1024)
        .unwrap();
    assert_eq!(amount(&ct, &month).await, before + 1000);
    let next = call_json(
        &ct,
        "monthlyUsage",
        &[("date", "219912"), ("type", "1")],
        &["219912", "1"],
    )
    .await;
    assert!(next.as_str().unwrap().starts_with("-2"), "{next}");
}

#[tokio::test]
async fn pool_members_join_and_leave_through_the_world() {
    // The back-end pool member calls: getPoolMemberList (poolNbr,
    // currentPage, 50 a page), getPoolMember, poolMemAdd / modifyPoolMember
    // (flow_quota -1, 0 or a positive integer), poolMemDelete; signs and
    // replies per the vendor's tables in wanghanhong/springcloud_alibaba
    // card-manage controller/FlowPoolController.java and
    // service/impl/CommonServiceImpl.java (getArr).
    let ct = Ctcc::start().await;
    let pool = "50LLC00001";
    let list = ct
        .call(
            "/m2m_ec/query.do",
            "getPoolMemberList",
            &[("poolNbr", pool), ("currentPage", "1")],
            &[pool, "1"],
        )
        .await;
    assert_eq!(tag(&list, "resultCode"), Some("0"), "{list}");
    assert_eq!(tag(&list, "pageIndex"), Some("1"));
    assert_eq!(tag(&list, "totalPage"), Some("1"));
    assert!(list.contains(&format!("<acc_nbr>{POOL_A}</acc_nbr>")));
    assert_eq!(tag(&list, "quota_type"), Some("1"));
    let eff = tag(&list, "eff_date").unwrap();
    assert_eq!(eff.len(), "2016/03/08 15:03:28".len(), "{eff}");
    let change = |method: &'static str, quota: Option<&'static str>| {
        let ct = &ct;
        async move {
            let mut params = vec![("poolNbr", pool), ("member_accNbr", NORMAL)];
            let mut sign = vec![pool, NORMAL];
            if let Some(q) = quota {
                params.push(("flow_quota", q));
                sign.push(q);
            }
            ct.call("/m2m_ec/query.do", method, &params, &sign).await
        }
    };
    let member = || {
        let ct = &ct;
        async move {
            ct.call(
                "/m2m_ec/query.do",
                "getPoolMember",
                &[("poolNbr", pool), ("member_accNbr", NORMAL)],
                &[pool, NORMAL],
            )
            .await
        }
    };
    assert_eq!(tag(&member().await, "resultCode"), Some("-4"));
    let add = change("poolMemAdd", Some("100")).await;
    assert_eq!(tag(&add, "RspCode"), Some("0000"), "{add}");
    assert_eq!(tag(&add, "RspDesc"), Some("成功接收消息"));
    assert_eq!(ct.admin.card(NORMAL_ICCID).await["pool"], pool);
    let m = member().await;
    assert_eq!(tag(&m, "flow_quota"), Some("100"), "{m}");
    assert_eq!(tag(&m, "resultMsg"), Some("处理成功!"));
    assert_eq!(tag(&m, "eff_date").unwrap().len(), "2016-03-08".len());
    let again = change("poolMemAdd", Some("100")).await;
    assert_eq!(tag(&again, "RspType"), Some("1"), "{again}");
    let modify = change("modifyPoolMember", Some("-1")).await;
    assert_eq!(tag(&modify, "RspCode"), Some("0000"), "{modify}");
    assert_eq!(tag(&member().await, "flow_quota"), Some("-1"));
    assert!(change("poolMemAdd", Some("1.5")).await.starts_with("-2"));
    let del = change("poolMemDelete", None).await;
    assert_eq!(tag(&del, "RspCode"), Some("0000"), "{del}");
    assert!(ct.admin.card(NORMAL_ICCID).await["pool"].is_null());
    assert_eq!(tag(&member().await, "resultCode"), Some("-4"));
    // A pool of another account is not the caller's.
    let foreign = ct
        .call(
            "/m2m_ec/query.do",
            "getPoolMemberList",
            &[("poolNbr", "NOPE"), ("currentPage", "1")],
            &["NOPE", "1"],
        )
        .await;
    assert_eq!(tag(&foreign, "resultCode"), Some("-4"), "{foreign}");
}

#[tokio::test]
async fn forward_pool_calls() {
    // forwardFlowPoolMember: number + pageIndex, both signed (the doc text
    // in wanghanhong/springcloud_alibaba FlowPoolController.java: "sign参数为
    // 接入号码、用户名、密码、method，pageIndex"); description{totalPage,
    // pageIndex, mainNumber, list[{phoneNum, ...}]} (entity/flow/ForwardResMem.java).
    let ct = Ctcc::start().await;
    let body = ct
        .call(
            "/m2m_ec/query.do",
            "forwardFlowPoolMember",
            &[("access_number", POOL_A), ("pageIndex", "1")],
            &[POOL_A, "1"],
        )
        .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["resultCode"], "0", "{v}");
    assert_eq!(v["description"]["mainNumber"], "50LLC00001");
    let phones: Vec<&str> = v["description"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["phoneNum"].as_str().unwrap())
        .collect();
    assert!(phones.contains(&POOL_A), "{v}");
    let lone = ct
        .call(
            "/m2m_ec/query.do",
            "forwardFlowPoolMember",
            &[("access_number", NORMAL), ("pageIndex", "1")],
            &[NORMAL, "1"],
        )
        .await;
    assert!(lone.contains("\"resultCode\":\"-5\""), "{lone}");
    // forwardPoolQueryIot: billingCycleID yyyyMM, signed; the pool's month
    // figures and the member's own use (same controller's doc text).
    let month = carrier_sim::clock::fmt_local(ct.sim.world().now(), "%Y%m");
    let q = ct
        .call(
            "/m2m_ec/query.do",
            "forwardPoolQueryIot",
            &[("access_number", POOL_A), ("billingCycleID", &month)],
            &[POOL_A, &month],
        )
        .await;
    let q: Value = serde_json::from_str(&q).unwrap();
    assert_eq!(q["description"]["balanceAvailable"], "2048.00", "{q}");
    assert_eq!(q["description"]["ratableAmount"], "600.00");
    let groups = call_json(&ct, "getForwardGroupNumbers", &[], &[]).await;
    assert_eq!(
        groups["forwardPoolLists"][0]["groupNum"], "50LLC00001",
        "{groups}"
    );
}

#[tokio::test]
async fn real_name_record_and_clear() {
    // realNameRecIot: certNumber sent strEnc-encrypted, signed in plain text;
    // success SvcCont/Response 0000 成功接收消息, an unreadable number
    // RspCode 9000 (the comments of a public Java class com.wlw.utils.DXUtils,
    // repository not identified). ordinaryRealNameClear: JSON resultCode "0"
    // (McWuNai/iotlink yunze-apiCommon/.../DianXinCMP).
    let ct = Ctcc::start().await;
    let cleared = ct.json("ordinaryRealNameClear", NORMAL, &[]).await;
    assert_eq!(cleared["resultCode"], "0", "{cleared}");
    let q = ct.q("realNameQueryIot", NORMAL, &[]).await;
    assert_eq!(tag(&q, "resultCode"), Some("-5"), "{q}");
    let again = ct.json("ordinaryRealNameClear", NORMAL, &[]).await;
    assert_eq!(again["resultCode"], "-5");
    let record = |id: &'static str| {
        let ct = &ct;
        async move {
            let enc = ct.key.enc(id);
            ct.call(
                "/m2m_ec/query.do",
                "realNameRecIot",
                &[("access_number", NORMAL), ("certNumber", &enc)],
                &[NORMAL, id],
            )
            .await
        }
    };
    let bad = record("12345").await;
    assert_eq!(tag(&bad, "RspCode"), Some("9000"), "{bad}");
    let ok = record("11010519491231002X").await;
    assert_eq!(tag(&ok, "RspCode"), Some("0000"), "{ok}");
    let q = ct.q("realNameQueryIot", NORMAL, &[]).await;
    assert_eq!(tag(&q, "resultCode"), Some("0"), "{q}");
    // Signed with the encrypted value instead of the plain one: -3.
    let enc = ct.key.enc("11010519491231002X");
    let wrong = ct
        .call(
            "/m2m_ec/query.do",
            "realNameRecIot",
            &[("access_number", NORMAL), ("certNumber", &enc)],
            &[NORMAL, &enc],
        )
        .await;
    assert!(wrong.starts_with("-3"), "{wrong}");
}

#[tokio::test]
async fn sim_list_is_limited_to_ten_a_minute() {
    // "电信接口每分钟10次" beside the getSIMList call of a public Java task
    // class (package com.zycm.zybao.service.task, RefreshMediaIotTask;
    // repository not identified); the over-limit answer is the platform's
    // 101004 (spec §6).
    let ct = Ctcc::start().await;
    let list = || ct.call("/m2m_ec/query.do", "getSIMList", &[("pageIndex", "1")], &[]);
    for _ in 0..10 {
        assert!(list().await.starts_with('{'));
    }
    assert_eq!(list().await, "101004：请求过于频繁，请稍后再试");
    // Its own bucket: other methods still answer.
    assert!(ct.q("queryTraffic", NORMAL, &[]).await.starts_with("<?xml"));
    // The fixture sets it (0 lifts it).
    let ct = Ctcc::with(sim_with(json!({"method_limits_per_minute": {"getSIMList": 2}})).await);
    let list = || ct.call("/m2m_ec/query.do", "getSIMList", &[("pageIndex", "1")], &[]);
    assert!(list().await.starts_with('{'));
    assert!(list().await.starts_with('{'));
    assert!(list().await.starts_with("101004"));
    let ct = Ctcc::with(sim_with(json!({"method_limits_per_minute": {"getSIMList": 0}})).await);
    for _ in 0..15 {
        assert!(ct
            .call("/m2m_ec/query.do", "getSIMList", &[("pageIndex", "1")], &[])
            .await
            .starts_with('{'));
    }
}

/// Where a clock move within the month ends.
#[derive(Clone, Debug)]
enum MonthMove {
    Minutes(i64),
    NextHour,
    /// 23:mm of the current day (the next day's when already past it).
    LateEvening(i64),
}

/// Hundredths in a `12.34MB` / `12.34` figure.
fn hundredths(v: &str) -> i64 {
    v.trim_end_matches("MB").replace('.', "").parse().unwrap()
}

/// One case of the month property: the fixture's `ctcc-demo` card at
/// `card` (opening usage replaced by `opening_mb` when given), the clock
/// moved by `moves` without leaving the month.
async fn month_adds_up(card: usize, opening_mb: Option<u64>, moves: Vec<MonthMove>) {
    use carrier_sim::clock::{cycle_of, cycle_start, fmt_local};
    use jiff::{SignedDuration, Timestamp};
    let mut fx = fixture::default_fixture();
    let mine: Vec<usize> = (0..fx.cards.len())
        .filter(|i| fx.cards[*i].account == "ctcc-demo")
        .collect();
    let spec = &mut fx.cards[mine[card % mine.len()]];
    if let Some(mb) = opening_mb {
        spec.data_used = Some(carrier_sim::fixture::traces::Size(mb * 1024 * 1024));
    }
    let (number, iccid) = (spec.msisdn.clone(), spec.iccid.clone());
    let ct = Ctcc::with(Simulator::builder().fixture(fx).start().await);
    let world = ct.sim.world().clone();
    let month_end = cycle_start(cycle_of(world.now()) + 1) - SignedDuration::from_mins(1);
    for m in &moves {
        let now = world.now();
        let target = match m {
            MonthMove::Minutes(n) => now + SignedDuration::from_mins(*n),
            MonthMove::NextHour => {
                Timestamp::from_second((now.as_second() / 3600 + 1) * 3600).unwrap()
            }
            MonthMove::LateEvening(mm) => {
                let day = carrier_sim::clock::day_number(now);
                let at = |d: i32| {
                    carrier_sim::clock::from_local(
                        carrier_sim::clock::day_date(d)
                            .to_datetime(jiff::civil::time(23, *mm as i8, 0, 0)),
                    )
                };
                if at(day) > now {
                    at(day)
                } else {
                    at(day + 1)
                }
            }
        };
        world.advance_to(target.min(month_end)).unwrap();
    }
    let now = world.now();
    let first = fmt_local(cycle_start(cycle_of(now)), "%Y%m%d");
    let today = fmt_local(now, "%Y%m%d");
    let last = fmt_local(month_end, "%Y%m%d");
    let total = ct.q("queryTraffic", &number, &[]).await;
    let total = tag(&total, "TOTAL_BYTES_CNT").unwrap().to_string();
    // The month by date, as the zycm task class computes month-to-date
    // usage: the same figure to the hundredth of a MB.
    for end in [&today, &last] {
        let by_date = ct
            .q(
                "queryTrafficByDate",
                &number,
                &[("startDate", &first), ("endDate", end)],
            )
            .await;
        assert_eq!(
            tag(&by_date, "TOTAL_BYTES_CNT").unwrap(),
            total,
            "{first}-{end}"
        );
    }
    // Day by day: each day rounds on its own, so the days may differ from
    // the month by half a hundredth each at most.
    let (d0, d1) = (
        carrier_sim::carriers::ctcc::traffic::parse_day(&first).unwrap(),
        carrier_sim::carriers::ctcc::traffic::parse_day(&today).unwrap(),
    );
    let mut days_sum = 0i64;
    for d in d0..=d1 {
        let day = carrier_sim::clock::day_date(d)
            .strftime("%Y%m%d")
            .to_string();
        let r = ct
            .q(
                "queryTrafficByDate",
                &number,
                &[("startDate", &day), ("endDate", &day)],
            )
            .await;
        days_sum += hundredths(tag(&r, "TOTAL_BYTES_CNT").unwrap());
    }
    let n = i64::from(d1 - d0 + 1);
    assert!(
        (days_sum - hundredths(&total)).abs() <= n / 2 + 1,
        "{n} days sum to {days_sum}, the month is {total}"
    );
    // needDtl=1: the detail records carry their rounding, so they add up
    // to the month's bytes in KB, and the month in MB is those bytes.
    let detail = ct.q("queryTraffic", &number, &[("needDtl", "1")]).await;
    let rows: Vec<u64> = detail
        .split("<NEW_DATA_TICKET_QRlist>")
        .skip(1)
        .map(|r| kb_hundredths(tag(r, "BYTES_CNT").unwrap()))
        .collect();
    assert_eq!(tag(&detail, "TOTALCOUNT").unwrap(), rows.len().to_string());
    let used = ct.admin.card(&iccid).await["usage"]["data_bytes"]
        .as_u64()
        .unwrap();
    assert_eq!(
        rows.iter().sum::<u64>(),
        (used * 100 + 512) / 1024,
        "{detail}"
    );
    assert_eq!(
        total,
        format!("{}MB", carrier_sim::domain::money::mb_2dp(used))
    );
}

fn month_move() -> impl proptest::strategy::Strategy<Value = MonthMove> {
    use proptest::prelude::*;
    prop_oneof![
        (1..3000i64).prop_map(MonthMove::Minutes),
        Just(MonthMove::NextHour),
        (0..60i64).prop_map(MonthMove::LateEvening),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, .. Default::default() })]

    /// Issue 17: for random cards and clock moves within a month,
    /// queryTrafficByDate over the month equals queryTraffic (MB, 2
    /// decimals), the days add up to it within their rounding, and the
    /// needDtl=1 records add up to the same usage.
    #[test]
    fn traffic_by_date_adds_up_to_the_month(
        card in 0usize..64,
        opening_mb in proptest::option::of(0u64..3000),
        moves in proptest::collection::vec(month_move(), 0..6),
    ) {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(month_adds_up(card, opening_mb, moves));
    }
}

/// The CTCC spec's published strEnc vectors (keys abc/def/ghi, the default
/// fixture's `abcdefghi`; verified there against the npm `ctcc-cmp` client):
/// a request carrying exactly those bytes is accepted, whatever our own DES
/// computes, and one hex digit off the sign is `-3`. Every other CTCC test
/// signs with the crate's DES, so this one keeps it honest.
#[tokio::test]
async fn a_request_signed_with_the_spec_vectors_is_accepted() {
    let ct = Ctcc::start().await;
    // strEnc("test1234")
    let password = "41894168BD86A2CC637DB4FA6CE97037";
    // strEnc("14910000000,queryTraffic,test1234,testuser")
    let sign = "45E8B9924DE397A8DAEF2C60DB715B1B74CC7E1685BA702C9C4C367EFDAE5D938F7F19EA3F28117669379E20030180BA32E5804EA05BAA501F7A25C6B0F7A091AD4838ED34374D16B37F49C390E236D6C299054019958A8B";
    let query = |sign: &str| {
        vec![
            ("method", "queryTraffic".to_string()),
            ("user_id", "testuser".to_string()),
            ("passWord", password.to_string()),
            ("sign", sign.to_string()),
            ("access_number", "14910000000".to_string()),
        ]
    };
    let q = query(sign);
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let body = ct.raw_get("/m2m_ec/query.do", &q).await;
    assert!(body.contains("NEW_DATA_TICKET_QRsp"), "{body}");
    let off = format!("{}A", &sign[..sign.len() - 1]);
    let q = query(&off);
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let body = ct.raw_get("/m2m_ec/query.do", &q).await;
    assert_eq!(body, "-3：sign参数值错误。");
}
