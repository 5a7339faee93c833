//! Service numbers over the HTTP virtual handset: every command of every
//! carrier against cards in several states, with the expected texts worked
//! out from the fixture's figures (1 GB = 1024 MB, MB with 2 decimals, GB
//! from 1024 MB on, yuan with 2 decimals), the recording of exchanges, SMS
//! usage, template overrides, USSD sessions and voice menus.

use carrier_sim::domain::ids::{make_iccid, make_imsi, make_msisdn};
use carrier_sim::domain::Carrier;
use carrier_sim::Simulator;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::admin::Admin;

/// Card roles of the test fixture, in serial order.
const ROLES: [&str; 10] = [
    "normal",
    "near",
    "over",
    "overage",
    "pool-a",
    "pool-b",
    "arrears",
    "expired",
    "cancelled",
    "manual",
];

fn carrier_prefix(c: Carrier) -> &'static str {
    c.as_str()
}

fn role_serial(c: Carrier, role: &str) -> u64 {
    let base = match c {
        Carrier::Cmcc => 100,
        Carrier::Cucc => 200,
        Carrier::Ctcc => 300,
    };
    base + ROLES.iter().position(|r| *r == role).unwrap() as u64
}

fn iccid(c: Carrier, role: &str) -> String {
    make_iccid(c, 0, role_serial(c, role))
}

fn msisdn(c: Carrier, role: &str) -> String {
    make_msisdn(c, role_serial(c, role))
}

/// One account per carrier; a 1 GB plan (fee 15.00 yuan, 100 SMS, 5 fen
/// per MB of overage) and a pool plan; a 2 GB pool; ten cards per carrier.
fn fixture(extra: &str) -> String {
    let mut s = String::from("seed = 1\nstart = \"2026-11-24T10:00:00+08:00\"\n");
    for c in Carrier::ALL {
        let p = carrier_prefix(c);
        let creds = match c {
            Carrier::Cmcc => "appid = \"100001\"\npassword = \"pw\"",
            Carrier::Cucc => "username = \"u\"\napi_key = \"k\"",
            Carrier::Ctcc => "user_id = \"u\"\npassword = \"p\"\nkey = \"abcdefghi\"",
        };
        s += &format!(
            r#"
[[accounts]]
id = "{p}-acc"
name = "{p} account"
carrier = "{p}"
[accounts.credentials]
{creds}

[[plans]]
id = "{p}-1g"
name = "{p}物联网1GB月包"
carrier = "{p}"
data = "1GB"
sms = 100
monthly_fee_fen = 1500
overage_fen_per_mb = 5
renewal_fee_fen = 18000

[[plans]]
id = "{p}-pool"
name = "{p}流量池套餐"
carrier = "{p}"
data = "500MB"
sms = 50
monthly_fee_fen = 800

[[pools]]
id = "{p}-pool-1"
name = "{p}演示流量池"
account = "{p}-acc"
data = "2GB"
"#
        );
        for role in ROLES {
            let serial = role_serial(c, role);
            let body = match role {
                "normal" => "data_used = 373502771\nbalance_fen = 5000".to_string(),
                "near" => "data_used = \"1000MB\"\nauto_stop = true".into(),
                "over" => "data_used = \"1GB\"\nauto_stop = true\nstate = \"suspended\"\nreasons = [\"over_quota\"]".into(),
                "overage" => "data_used = \"1100MB\"\nbalance_fen = 3000".into(),
                "pool-a" => format!("plan = \"{p}-pool\"\npool = \"{p}-pool-1\"\ndata_used = \"600MB\""),
                "pool-b" => format!("plan = \"{p}-pool\"\npool = \"{p}-pool-1\"\ndata_used = \"700MB\""),
                "arrears" => "data_used = \"300MB\"\nbalance_fen = -200\nstate = \"suspended\"\nreasons = [\"arrears\"]".into(),
                "expired" => "state = \"pre_cancel\"\nreasons = [\"expired\"]\nbalance_fen = 2000\nexpires = \"2026-10-01T00:00:00+08:00\"".into(),
                "cancelled" => "state = \"cancelled\"\nreasons = [\"expired\"]\nbalance_fen = 0\nexpires = \"2026-05-01T00:00:00+08:00\"".into(),
                "manual" => "data_used = \"100MB\"\nstate = \"suspended\"\nreasons = [\"manual\"]".into(),
                _ => unreachable!(),
            };
            let plan_line = if body.contains("plan =") {
                String::new()
            } else {
                format!("plan = \"{p}-1g\"\n")
            };
            let expires = if body.contains("expires") {
                ""
            } else {
                "expires = \"2027-10-01T00:00:00+08:00\"\n"
            };
            s += &format!(
                "\n[[cards]]\niccid = \"{}\"\nimsi = \"{}\"\nmsisdn = \"{}\"\naccount = \"{p}-acc\"\n{plan_line}{expires}{body}\ntags = [\"{role}\"]\n",
                make_iccid(c, 0, serial),
                make_imsi(c, 0, serial),
                make_msisdn(c, serial),
            );
        }
    }
    // These tests pin the simulator's own texts and state notices (the
    // `simulated` forms); the real carrier forms are tested in src/sms/forms.
    s + "\n[dialects.sms]\nforms = \"simulated\"\n" + extra
}

async fn sim() -> Simulator {
    Simulator::builder().fixture_str(&fixture("")).start().await
}

/// A `/_sim` call: (status, JSON body or null when the body is not JSON).
async fn call(sim: &Simulator, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let body = body.map(|b| b.to_string());
    let (status, text) = Admin::new(sim).raw(method, path, body.as_deref()).await;
    (
        status.as_u16(),
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn post(sim: &Simulator, path: &str, body: Value) -> (u16, Value) {
    call(sim, Method::POST, path, Some(body)).await
}

async fn get(sim: &Simulator, path: &str) -> (u16, Value) {
    call(sim, Method::GET, path, None).await
}

async fn delete(sim: &Simulator, path: &str) -> (u16, Value) {
    call(sim, Method::DELETE, path, None).await
}

/// Sends an SMS from a card and returns the texts of the replies.
async fn ask(sim: &Simulator, id: &str, to: &str, text: &str) -> Vec<String> {
    let (status, body) = post(
        sim,
        &format!("/_sim/handsets/{id}/sms"),
        json!({"to": to, "text": text}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["from"], to.trim_start_matches("+86"));
            assert_eq!(r["time"], "2026-11-24T10:00:00+08:00");
            r["text"].as_str().unwrap().to_string()
        })
        .collect()
}

async fn ask_one(sim: &Simulator, c: Carrier, role: &str, to: &str, text: &str) -> String {
    let mut r = ask(sim, &iccid(c, role), to, text).await;
    assert_eq!(r.len(), 1, "{r:?}");
    r.remove(0)
}

const DATE: &str = "11月24日10时";
const OVER_QUOTA: &str = "您本月套餐流量已用完，上网功能已暂停，将于下月1日自动恢复。";
const ARREARS: &str = "您的号码已欠费停机，请充值后办理复机。";

// 373502771 bytes = 356.20 MB; 1 GB - that = 700239053 bytes = 667.80 MB.
#[tokio::test]
async fn unicom_commands_for_a_normal_card() {
    let sim = sim().await;
    let c = Carrier::Cucc;
    let data = format!(
        "截至{DATE}，您本月套餐内通用流量共1.00GB，已用356.20MB，剩余667.80MB。【中国联通】"
    );
    for cmd in [
        "CXLL",
        "1071",
        "2082",
        "CXTCYL",
        "cxll",
        " CxLl ",
        "ＣＸＬＬ",
        "１０７１",
        "cx ll",
    ] {
        assert_eq!(
            ask_one(&sim, c, "normal", "10010", cmd).await,
            data,
            "{cmd}"
        );
    }
    let balance = format!("截至{DATE}，您的账户余额为50.00元。【中国联通】");
    for cmd in ["CXHF", "101", "CXYE", "cxhf"] {
        assert_eq!(
            ask_one(&sim, c, "normal", "10010", cmd).await,
            balance,
            "{cmd}"
        );
    }
    assert_eq!(
        ask_one(&sim, c, "normal", "10010", "HELLO").await,
        "您发送的指令无法识别。查询流量请发送CXLL、1071、2082或CXTCYL，查询话费余额请发送CXHF、101或CXYE至10010。【中国联通】"
    );
    // The country code on the service number is tolerated.
    assert_eq!(ask_one(&sim, c, "normal", "+8610010", "CXLL").await, data);
}

#[tokio::test]
async fn mobile_commands_for_a_normal_card() {
    let sim = sim().await;
    let c = Carrier::Cmcc;
    assert_eq!(
        ask_one(&sim, c, "normal", "10086", "CXLL").await,
        format!("尊敬的客户，截至{DATE}，您本月套餐内通用流量共1.00GB，已用356.20MB，剩余667.80MB。【中国移动】")
    );
    for cmd in ["CXYE", "YE", "ye"] {
        assert_eq!(
            ask_one(&sim, c, "normal", "10086", cmd).await,
            format!("尊敬的客户，截至{DATE}，您的账户余额为50.00元。【中国移动】")
        );
    }
    assert_eq!(
        ask_one(&sim, c, "normal", "10086", "CXTC").await,
        "尊敬的客户，您当前的套餐为cmcc物联网1GB月包，月功能费15.00元，含通用流量1.00GB、短信100条，有效期至2027年9月30日。【中国移动】"
    );
    assert_eq!(
        ask_one(&sim, c, "normal", "10086", "1071").await,
        "尊敬的客户，您发送的指令有误。查询流量请发送CXLL，查询余额请发送CXYE或YE，查询套餐请发送CXTC至10086。【中国移动】"
    );
    // Another carrier's service number is an ordinary number: no reply.
    assert!(ask(&sim, &iccid(c, "normal"), "10010", "CXLL")
        .await
        .is_empty());
}

#[tokio::test]
async fn telecom_commands_for_a_normal_card() {
    let sim = sim().await;
    let c = Carrier::Ctcc;
    assert_eq!(
        ask_one(&sim, c, "normal", "10001", "108").await,
        format!("截至{DATE}，您的ctcc物联网1GB月包国内通用流量共1.00GB，已用356.20MB，剩余667.80MB。【中国电信】")
    );
    assert_eq!(
        ask_one(&sim, c, "normal", "10001", "102").await,
        format!("截至{DATE}，您的账户可用余额为50.00元。【中国电信】")
    );
    assert_eq!(
        ask_one(&sim, c, "normal", "10001", "CXLL").await,
        "您好，您发送的指令有误。查询流量请发送108，查询余额请发送102至10001。【中国电信】"
    );
    // By MSISDN too.
    let r = ask(&sim, &msisdn(c, "normal"), "10001", "１０８").await;
    assert_eq!(r.len(), 1);
}

// near: 1000 MB used → 24 MB left. over: exactly 1 GB used, auto-stopped.
// overage: 1100 MB = 1.07 GB used, 76 MB beyond, 5 fen = 0.05 yuan per MB
// (76 × 5 fen = 3.80 yuan billed at the start).
#[tokio::test]
async fn data_replies_follow_the_card_state() {
    let sim = sim().await;
    let c = Carrier::Cucc;
    assert_eq!(
        ask_one(&sim, c, "near", "10010", "CXLL").await,
        format!(
            "截至{DATE}，您本月套餐内通用流量共1.00GB，已用1000.00MB，剩余24.00MB。【中国联通】"
        )
    );
    assert_eq!(
        ask_one(&sim, c, "over", "10010", "CXLL").await,
        format!("截至{DATE}，您本月套餐内通用流量共1.00GB，已用1.00GB，剩余0.00MB。{OVER_QUOTA}【中国联通】")
    );
    assert_eq!(
        ask_one(&sim, c, "overage", "10010", "1071").await,
        format!("截至{DATE}，您本月套餐内通用流量共1.00GB，已用1.07GB，剩余0.00MB。本月已超出套餐流量76.00MB，超出部分按0.05元/MB计费。【中国联通】")
    );
    assert_eq!(
        ask_one(&sim, c, "overage", "10010", "CXHF").await,
        // 30.00 yuan less the opening overage, billed at the start (docs/rules.md).
        format!("截至{DATE}，您的账户余额为26.20元。本月已超出套餐流量76.00MB，超出部分按0.05元/MB计费。【中国联通】")
    );
    assert_eq!(
        ask_one(&sim, Carrier::Cmcc, "over", "10086", "CXLL").await,
        format!("尊敬的客户，截至{DATE}，您本月套餐内通用流量共1.00GB，已用1.00GB，剩余0.00MB。{OVER_QUOTA}【中国移动】")
    );
    assert_eq!(
        ask_one(&sim, Carrier::Ctcc, "near", "10001", "108").await,
        format!("截至{DATE}，您的ctcc物联网1GB月包国内通用流量共1.00GB，已用1000.00MB，剩余24.00MB。【中国电信】")
    );
}

// Pool of 2 GB; members used 600 MB + 700 MB = 1300 MB = 1.27 GB; 748 MB left.
#[tokio::test]
async fn pool_members_get_the_pool_share() {
    let sim = sim().await;
    assert_eq!(
        ask_one(&sim, Carrier::Cucc, "pool-a", "10010", "CXLL").await,
        format!("截至{DATE}，您所在流量池本月通用流量共2.00GB，已用1.27GB，剩余748.00MB，其中本号码已用600.00MB。【中国联通】")
    );
    assert_eq!(
        ask_one(&sim, Carrier::Cmcc, "pool-b", "10086", "CXLL").await,
        format!("尊敬的客户，截至{DATE}，您所在流量池本月通用流量共2.00GB，已用1.27GB，剩余748.00MB，其中本号码已用700.00MB。【中国移动】")
    );
    assert_eq!(
        ask_one(&sim, Carrier::Ctcc, "pool-a", "10001", "108").await,
        format!("截至{DATE}，您所在流量池国内通用流量共2.00GB，已用1.27GB，剩余748.00MB，其中本号码已用600.00MB。【中国电信】")
    );
}

// Barred cards (arrears, expired, manual stop) still reach their carrier's
// service number, with the notice of their state; ordinary numbers fail.
#[tokio::test]
async fn barred_cards_reach_only_the_service_number() {
    let sim = sim().await;
    let c = Carrier::Cucc;
    assert_eq!(
        ask_one(&sim, c, "arrears", "10010", "CXLL").await,
        format!("截至{DATE}，您本月套餐内通用流量共1.00GB，已用300.00MB，剩余724.00MB。{ARREARS}【中国联通】")
    );
    assert_eq!(
        ask_one(&sim, c, "arrears", "10010", "CXYE").await,
        format!("截至{DATE}，您的账户余额为-2.00元。{ARREARS}【中国联通】")
    );
    assert_eq!(
        ask_one(&sim, Carrier::Ctcc, "arrears", "10001", "102").await,
        format!("截至{DATE}，您的账户可用余额为-2.00元。{ARREARS}【中国电信】")
    );
    assert_eq!(
        ask_one(&sim, Carrier::Cmcc, "arrears", "10086", "YE").await,
        format!("尊敬的客户，截至{DATE}，您的账户余额为-2.00元。{ARREARS}【中国移动】")
    );
    // Expired 2026-10-01 00:00 → last day 2026-09-30; cancelled three
    // months later, 2027-01-01 → last day to renew 2026-12-31.
    assert_eq!(
        ask_one(&sim, c, "expired", "10010", "CXHF").await,
        format!("截至{DATE}，您的账户余额为20.00元。您的套餐已于2026年9月30日到期，号码处于停机保号期，请于2026年12月31日前续费，逾期将销户。【中国联通】")
    );
    assert_eq!(
        ask_one(&sim, c, "manual", "10010", "CXLL").await,
        format!("截至{DATE}，您本月套餐内通用流量共1.00GB，已用100.00MB，剩余924.00MB。您的号码目前处于停机状态。【中国联通】")
    );
    for role in ["arrears", "expired", "manual"] {
        let (status, body) = post(
            &sim,
            &format!("/_sim/handsets/{}/sms", iccid(c, role)),
            json!({"to": "13800138000", "text": "hi"}),
        )
        .await;
        assert_eq!(status, 409, "{role}: {body}");
        assert!(body["error"].as_str().unwrap().contains("barred"), "{body}");
    }
    // An over-quota card only lost data: ordinary SMS still go out.
    let (status, body) = post(
        &sim,
        &format!("/_sim/handsets/{}/sms", iccid(c, "over")),
        json!({"to": "13800138000", "text": "hi"}),
    )
    .await;
    assert_eq!((status, body), (200, json!({"replies": []})));
}

#[tokio::test]
async fn a_cancelled_card_gets_no_reply() {
    let sim = sim().await;
    for (c, number, cmd) in [
        (Carrier::Cmcc, "10086", "CXLL"),
        (Carrier::Cucc, "10010", "CXLL"),
        (Carrier::Ctcc, "10001", "108"),
    ] {
        let id = iccid(c, "cancelled");
        let (status, body) = post(
            &sim,
            &format!("/_sim/handsets/{id}/sms"),
            json!({"to": number, "text": cmd}),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        let (_, inbox) = get(&sim, &format!("/_sim/handsets/{id}/inbox")).await;
        assert_eq!(inbox, json!({"messages": []}));
        let (_, ev) = get(
            &sim,
            &format!("/_sim/events?card={id}&type=sms_sent,sms_received"),
        )
        .await;
        assert_eq!(ev["items"], json!([]));
    }
}

#[tokio::test]
async fn exchanges_are_recorded_and_counted() {
    let sim = sim().await;
    let id = iccid(Carrier::Cucc, "normal");
    let before = Admin::new(&sim).card(&id).await;
    let sms_before = before["usage"]["sms"].as_u64().unwrap();
    let reply = ask_one(&sim, Carrier::Cucc, "normal", "10010", "CXLL").await;
    // The inbox lists what the card received.
    let (status, inbox) = get(&sim, &format!("/_sim/handsets/{id}/inbox")).await;
    assert_eq!(status, 200);
    let msgs = inbox["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["from"], "10010");
    assert_eq!(msgs[0]["text"], reply.as_str());
    assert_eq!(msgs[0]["time"], "2026-11-24T10:00:00+08:00");
    // Both directions, in order.
    let (_, all) = get(&sim, &format!("/_sim/handsets/{id}/messages")).await;
    let all = all["messages"].as_array().unwrap().clone();
    assert_eq!(all.len(), 2);
    assert_eq!(
        (
            all[0]["direction"].as_str(),
            all[0]["peer"].as_str(),
            all[0]["text"].as_str()
        ),
        (Some("mo"), Some("10010"), Some("CXLL"))
    );
    assert_eq!(all[1]["direction"], "mt");
    // The journal has both, with the simulated time.
    let (_, ev) = get(
        &sim,
        &format!("/_sim/events?card={id}&type=sms_sent,sms_received"),
    )
    .await;
    let types: Vec<&str> = ev["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["sms_sent", "sms_received"]);
    // Sent and received SMS both count against the card's SMS usage.
    let after = Admin::new(&sim).card(&id).await;
    assert_eq!(after["usage"]["sms"].as_u64().unwrap(), sms_before + 2);
    // Clearing the inbox.
    let (status, cleared) = delete(&sim, &format!("/_sim/handsets/{id}/inbox")).await;
    assert_eq!((status, cleared), (200, json!({"cleared": 1})));
    let (_, inbox) = get(&sim, &format!("/_sim/handsets/{id}/inbox")).await;
    assert_eq!(inbox, json!({"messages": []}));
}

#[tokio::test]
async fn replies_use_the_simulated_date() {
    let sim = sim().await;
    sim.advance("2h30m").unwrap();
    let (_, body) = post(
        &sim,
        &format!("/_sim/handsets/{}/sms", iccid(Carrier::Cucc, "normal")),
        json!({"to": "10010", "text": "CXHF"}),
    )
    .await;
    assert_eq!(
        body["replies"][0]["text"],
        "截至11月24日12时，您的账户余额为50.00元。【中国联通】"
    );
    assert_eq!(body["replies"][0]["time"], "2026-11-24T12:30:00+08:00");
}

#[tokio::test]
async fn fixture_overrides_templates_and_commands() {
    let extra = r#"
[dialects.sms.cucc.templates]
data = "已用{used}，剩余{remain}，余额{balance}元"
[dialects.sms.cucc.commands]
LLCX = "data"
"#;
    let sim = Simulator::builder()
        .fixture_str(&fixture(extra))
        .start()
        .await;
    let id = iccid(Carrier::Cucc, "normal");
    assert_eq!(
        ask(&sim, &id, "10010", "CXLL").await,
        ["已用356.20MB，剩余667.80MB，余额50.00元"]
    );
    assert_eq!(
        ask(&sim, &id, "10010", "llcx").await,
        ["已用356.20MB，剩余667.80MB，余额50.00元"]
    );
    // Other carriers keep the built-in texts.
    assert_eq!(
        ask_one(&sim, Carrier::Ctcc, "normal", "10001", "102").await,
        format!("截至{DATE}，您的账户可用余额为50.00元。【中国电信】")
    );
}

#[tokio::test]
async fn the_default_fleet_answers_like_the_issue_example() {
    let sim = Simulator::start().await;
    let card = &Admin::new(&sim).card_by_tag("cucc", "normal").await;
    // The fixture's figures: 1 GB plan, 373502771 bytes used, 50.00 yuan.
    assert_eq!(card["usage"]["data_bytes"], 373502771);
    let id = card["iccid"].as_str().unwrap();
    // The 2017 CXLL paragraph of China Unicom (id 37486858678), the
    // default real form; the card's number ends in 0001.
    assert_eq!(
        ask(&sim, id, "10010", "CXLL").await,
        ["尊敬的用户：截止2026年11月24日10时，您手机尾数0001的号码本月产生的总流量（不含国际及港澳台)356.2MB。主要流量包使用情况如下：“【主套餐国内流量】”1024MB，已用356.2MB，剩余667.8MB；“上月主套餐结转流量”,已用0MB，剩余0MB；套餐外收费流量（不含国际及港澳台）0MB。实际以出帐为准。安装【手机营业厅】客户端，流量包详情随时查，使用便捷、展示清晰，点击下载 http://u.10010.cn/dxyyt 。【玩4G就上 m.10010.com】"]
    );
}

#[tokio::test]
async fn bad_requests_get_json_errors() {
    let sim = sim().await;
    let id = iccid(Carrier::Cucc, "normal");
    let (s, b) = post(
        &sim,
        "/_sim/handsets/0000/sms",
        json!({"to": "10010", "text": "CXLL"}),
    )
    .await;
    assert_eq!(s, 404, "{b}");
    let (s, _) = post(
        &sim,
        &format!("/_sim/handsets/{id}/sms"),
        json!({"text": "CXLL"}),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = post(
        &sim,
        &format!("/_sim/handsets/{id}/sms"),
        json!({"to": 10010, "text": "CXLL"}),
    )
    .await;
    assert_eq!(s, 400);
    let r = reqwest::Client::new()
        .post(format!("{}/_sim/handsets/{id}/sms", sim.uri()))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let (s, b) = get(&sim, &format!("/_sim/handsets/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(b["sms_number"], "10010");
    assert_eq!(b["access"], "full");
}

#[tokio::test]
async fn ussd_menu_session_and_timeout() {
    let sim = sim().await;
    let id = iccid(Carrier::Cucc, "normal");
    let path = format!("/_sim/handsets/{id}/ussd");
    let menu = "中国联通自助服务\n1.账户余额\n2.本月流量\n3.套餐信息\n0.退出";
    let (s, b) = post(&sim, &path, json!({"code": "*100#"})).await;
    assert_eq!((s, b), (200, json!({"text": menu, "more": true})));
    let (_, b) = post(&sim, &path, json!({"input": "9"})).await;
    assert_eq!(
        b,
        json!({"text": format!("输入有误，请重新输入。\n{menu}"), "more": true})
    );
    let (_, b) = post(&sim, &path, json!({"input": "2"})).await;
    assert_eq!(
        b,
        json!({"text": format!("截至{DATE}，您本月通用流量共1.00GB，已用356.20MB，剩余667.80MB。"), "more": false})
    );
    // The session ended with the leaf.
    let (s, _) = post(&sim, &path, json!({"input": "1"})).await;
    assert_eq!(s, 409);
    // Timeout on the simulated clock (120 s).
    post(&sim, &path, json!({"code": "*100#"})).await;
    sim.advance("121s").unwrap();
    let (s, b) = post(&sim, &path, json!({"input": "1"})).await;
    assert_eq!(s, 409, "{b}");
    // Explicit end.
    post(&sim, &path, json!({"code": "*100#"})).await;
    assert_eq!(delete(&sim, &path).await, (200, json!({"ended": true})));
    // Telecom has no USSD; unknown codes are refused.
    let (s, _) = post(
        &sim,
        &format!("/_sim/handsets/{}/ussd", iccid(Carrier::Ctcc, "normal")),
        json!({"code": "*100#"}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = post(&sim, &path, json!({"code": "*999#"})).await;
    assert_eq!(s, 404);
    // A cancelled card is off the network.
    let (s, _) = post(
        &sim,
        &format!("/_sim/handsets/{}/ussd", iccid(Carrier::Cucc, "cancelled")),
        json!({"code": "*100#"}),
    )
    .await;
    assert_eq!(s, 409);
}

#[tokio::test]
async fn ussd_menus_come_from_the_fixture() {
    let extra = r#"
[dialects.sms.ctcc.ussd."*108#"]
text = "1.流量"
[dialects.sms.ctcc.ussd."*108#".options."1"]
text = "剩余{remain}"
"#;
    let sim = Simulator::builder()
        .fixture_str(&fixture(extra))
        .start()
        .await;
    let path = format!("/_sim/handsets/{}/ussd", iccid(Carrier::Ctcc, "normal"));
    assert_eq!(
        post(&sim, &path, json!({"code": "*108#"})).await.1,
        json!({"text": "1.流量", "more": true})
    );
    assert_eq!(
        post(&sim, &path, json!({"input": "1"})).await.1,
        json!({"text": "剩余667.80MB", "more": false})
    );
}

#[tokio::test]
async fn voice_menus_of_10086_and_10000() {
    let sim = sim().await;
    let id = iccid(Carrier::Cmcc, "normal");
    let call = format!("/_sim/handsets/{id}/call");
    let menu = "您好，欢迎致电中国移动客服热线。查询话费余额请按1，查询本月流量请按2，查询套餐信息请按3，重听请按星号键。";
    let (s, b) = post(&sim, &call, json!({"to": "10086", "dtmf": "2"})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["prompts"],
        json!([menu, format!("截至{DATE}，您本月套餐内通用流量共1.00GB，已用356.20MB，剩余667.80MB。返回主菜单请按星号键。")])
    );
    let (_, b) = post(&sim, &format!("{call}/dtmf"), json!({"digits": "*1"})).await;
    assert_eq!(
        b["prompts"],
        json!([
            menu,
            format!("截至{DATE}，您的账户余额为50.00元。返回主菜单请按星号键。")
        ])
    );
    let (s, _) = post(&sim, &format!("{call}/dtmf"), json!({"digits": "x"})).await;
    assert_eq!(s, 400);
    assert_eq!(delete(&sim, &call).await, (200, json!({"ended": true})));
    let (s, _) = post(&sim, &format!("{call}/dtmf"), json!({"digits": "1"})).await;
    assert_eq!(s, 409);

    // China Telecom's 10000, reaching the balance of a barred card.
    let ct = format!("/_sim/handsets/{}/call", iccid(Carrier::Ctcc, "arrears"));
    let (s, b) = post(&sim, &ct, json!({"to": "10000", "dtmf": "1"})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["prompts"],
        json!([
            "您好，欢迎致电中国电信客服热线。查询话费余额请按1，查询本月流量请按2，查询套餐信息请按3，重听请按星号键。",
            format!("截至{DATE}，您的账户余额为-2.00元。返回主菜单请按星号键。")
        ])
    );
    // Barred cards cannot call ordinary numbers; nobody answers elsewhere.
    let (s, _) = post(&sim, &ct, json!({"to": "13800138000"})).await;
    assert_eq!(s, 409);
    let (s, _) = post(&sim, &call, json!({"to": "13800138000"})).await;
    assert_eq!(s, 404);
    let (s, _) = post(
        &sim,
        &format!("/_sim/handsets/{}/call", iccid(Carrier::Cmcc, "cancelled")),
        json!({"to": "10086"}),
    )
    .await;
    assert_eq!(s, 409);
}

// ------------------------------------------------------------ real forms
//
// The carriers' own reply forms (docs/sms.md "Reply forms"), with the live
// figures of the `normal` cards: a 1 GB plan, 373502771 bytes used
// (356.20 MB; 667.80 MB left), balance 50.00 yuan. Texts from the public
// samples quoted in src/sms/forms.rs.

/// Resets the suite-wide `simulated` choice for every carrier.
const REAL_FORMS: &str =
    "\n[dialects.sms.cmcc]\nforms = {}\n[dialects.sms.cucc]\nforms = {}\n[dialects.sms.ctcc]\nforms = {}\n";

async fn sim_with(extra: &str) -> Simulator {
    Simulator::builder()
        .fixture_str(&fixture(extra))
        .start()
        .await
}

#[tokio::test]
async fn default_real_forms_carry_the_live_figures() {
    let sim = sim_with(REAL_FORMS).await;
    let cu = msisdn(Carrier::Cucc, "normal");
    let last4 = &cu[cu.len() - 4..];
    // China Unicom CXLL: the 2017 paragraph (Java #.## numbers).
    assert_eq!(
        ask_one(&sim, Carrier::Cucc, "normal", "10010", "CXLL").await,
        format!("尊敬的用户：截止2026年11月24日10时，您手机尾数{last4}的号码本月产生的总流量（不含国际及港澳台)356.2MB。主要流量包使用情况如下：“【主套餐国内流量】”1024MB，已用356.2MB，剩余667.8MB；“上月主套餐结转流量”,已用0MB，剩余0MB；套餐外收费流量（不含国际及港澳台）0MB。实际以出帐为准。安装【手机营业厅】客户端，流量包详情随时查，使用便捷、展示清晰，点击下载 http://u.10010.cn/dxyyt 。【玩4G就上 m.10010.com】")
    );
    // 1071: the 2020 list, one item per line, 2-decimal MB.
    let list = ask_one(&sim, Carrier::Cucc, "normal", "10010", "1071").await;
    assert!(
        list.starts_with("尊敬的用户，截止到2026年11月24日\n 本月已使用流量（不含免费流量） 356.20MB\n 本月产生的总流量（含免费流量） 356.20MB\n 套餐内已使用流量 356.20MB\n 套餐内剩余流量 667.80MB\n 本数据仅供参考"),
        "{list}"
    );
    // An unknown word: the 2020 menu.
    assert!(ask_one(&sim, Carrier::Cucc, "normal", "10010", "HELLO")
        .await
        .starts_with("尊敬的用户，您可以直接回复指令进行业务查询或办理：\n 00：手机上网流量查询"));
    // China Mobile CXLL: the 2021 Beijing form, "0MB" for nothing.
    assert_eq!(
        ask_one(&sim, Carrier::Cmcc, "normal", "10086", "CXLL").await,
        "【流量查询】尊敬的客户您好，截至到2026年11月24日10时00分，您本月各类型流量剩余情况：\n1.国内通用流量剩余667.80MB（含上月结转国内通用流量0MB），专属流量（限指定APP或地点使用）剩余0MB；\n2.流量总量情况：已使用移动数据流量356.20MB，流量剩余667.80MB，感谢您使用流量查询服务。查询结果仅供参考，实际收费请以账单为准。使用“北京移动”客户端，随时查账单、查话费。下载地址：http://hfx.net/i/W63Wz 。【中国移动】"
    );
    // China Telecom 108: itemised, integer M.
    assert_eq!(
        ask_one(&sim, Carrier::Ctcc, "normal", "10001", "108").await,
        format!("尊敬的手机号码为{}的用户，您使用的套餐是[ctcc-1g]ctcc物联网1GB月包，当月套餐内包含：1.国内流量，总计：1024M，已使用：356M，剩余：668M；详情请咨询10000。", msisdn(Carrier::Ctcc, "normal"))
    );
    // 102: Zhejiang 2025, balance and this month's charges.
    let balance = ask_one(&sim, Carrier::Ctcc, "normal", "10001", "102").await;
    assert!(
        balance.starts_with("尊敬的用户：截至11月24日10时0分，您的账户使用情况如下：\n本月消费：")
            && balance.contains("元\n可用余额：50.00元\n仅供参考"),
        "{balance}"
    );
}

#[tokio::test]
async fn forms_are_selected_per_account_card_year_and_province() {
    let extra = format!(
        "{REAL_FORMS}
[dialects.sms.accounts.cmcc-acc]
forms = {{ CXLL = {{ year = 2017, province = \"anhui\" }}, balance = \"cmcc-balance-shandong\" }}
[dialects.sms.cards.\"{}\"]
forms = {{ data = \"cmcc-data-2014\" }}
[dialects.sms.cards.\"{}\"]
behaviour = \"none\"
[dialects.sms.cards.\"{}\"]
behaviour = \"menu\"
[dialects.sms.cards.\"{}\"]
behaviour = \"app_link\"
[dialects.sms.accounts.ctcc-acc]
behaviour = \"enterprise\"
",
        iccid(Carrier::Cmcc, "near"),
        iccid(Carrier::Cucc, "near"),
        iccid(Carrier::Cucc, "manual"),
        iccid(Carrier::Cucc, "overage"),
    );
    let sim = sim_with(&extra).await;
    // Per account, by year and province: Anhui 2017, compound units.
    let anhui = ask_one(&sim, Carrier::Cmcc, "normal", "10086", "CXLL").await;
    assert!(
        anhui.contains("您好！截至11月24日10时00分，您本月已使用移动数据流量356.20M，套餐内流量剩余667.80M，其中国内流量剩余667.80M(含国内\n结转流量0.00M)。\n回复序号办理:"),
        "{anhui}"
    );
    assert_eq!(
        ask_one(&sim, Carrier::Cmcc, "normal", "10086", "YE").await,
        "【话费余额信息】尊敬的客户，您好！截至11月24日10时，您的话费余额50元，本月累计消费0元。【中国移动】"
            .replace("本月累计消费0元", &format!("本月累计消费{}元", spent_this_month(&sim, Carrier::Cmcc).await))
    );
    // Per card (wins over the account): the 2014 form; 1000 MB of 1 GB used.
    assert_eq!(
        ask_one(&sim, Carrier::Cmcc, "near", "10086", "cxll").await,
        "您好！截至到2026年11月24日10时00分，您已使用数据流量1000.0MB，套餐内剩余流量24.0MB，感谢您使用流量查询服务。中国移动"
    );
    // No reply at all; the SMS is still sent and counted.
    assert!(ask(&sim, &iccid(Carrier::Cucc, "near"), "10010", "1071")
        .await
        .is_empty());
    // Every query answered with the menu.
    assert!(ask_one(&sim, Carrier::Cucc, "manual", "10010", "1071")
        .await
        .starts_with("尊敬的用户，您可以直接回复指令进行业务查询或办理："));
    // A reply that only gives an app link (no figures in it).
    let link = ask_one(&sim, Carrier::Cucc, "overage", "10010", "CXLL").await;
    assert!(
        link.contains("http://u.10010.cn/khddx") && !link.contains("MB"),
        "{link}"
    );
    // Telecom enterprise account: the masked company greeting.
    assert_eq!(
        ask_one(&sim, Carrier::Ctcc, "normal", "10001", "108").await,
        "尊敬的c*c* *c*o*n*客户：您当前已使用流量总量356.20MB；详细套餐流量使用情况可回复“702”查询。"
    );
    assert_eq!(
        ask_one(&sim, Carrier::Ctcc, "normal", "10001", "102").await,
        "尊敬的c*c* *c*o*n*客户：截止至10月31日，您的手机账户本月可用余额为50.00元，预存费用余额为50.00，赠送费用余额为0.00。感谢您的使用！"
    );
}

/// What the `normal` card of a carrier was charged this cycle, as Mobile's
/// Shandong template prints it (yuan, Java `#.##`).
async fn spent_this_month(sim: &Simulator, c: Carrier) -> String {
    let (_, card) = get(sim, &format!("/_sim/cards/{}", iccid(c, "normal"))).await;
    let fen: i64 = card["ledger"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter(|e| {
                    e["time"].as_str().unwrap_or("") >= "2026-11-01"
                        && e["amount_fen"].as_i64().unwrap_or(0) < 0
                        && e["kind"] != "opening"
                })
                .map(|e| -e["amount_fen"].as_i64().unwrap())
                .sum()
        })
        .unwrap_or(0);
    let s = format!("{}.{:02}", fen / 100, fen % 100);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The handset shows a long reply as the SMSC sends it (docs/sms.md,
/// parts; decoded 2021 PDUs): 65 characters per non-final part, Unicom's
/// 8-bit reference, the first part 2 s after the query and 5 s between
/// parts; Mobile's 16-bit reference, all parts in the same second.
#[tokio::test]
async fn handset_replies_carry_the_real_multi_part_shape() {
    let sim = sim_with(REAL_FORMS).await;
    for (c, to, bits, gap) in [
        (Carrier::Cucc, "10010", 8, 5),
        (Carrier::Cmcc, "10086", 16, 0),
    ] {
        let (status, body) = post(
            &sim,
            &format!("/_sim/handsets/{}/sms", iccid(c, "normal")),
            json!({"to": to, "text": "CXLL"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let reply = &body["replies"][0];
        let text = reply["text"].as_str().unwrap();
        let parts = reply["parts"].as_array().unwrap();
        let n = text.encode_utf16().count().div_ceil(65);
        assert!(n >= 3, "{text}");
        assert_eq!(parts.len(), n);
        let joined: String = parts.iter().map(|p| p["text"].as_str().unwrap()).collect();
        assert_eq!(joined, text);
        for (i, p) in parts.iter().enumerate() {
            assert_eq!(p["seq"], i + 1);
            assert_eq!(p["total"], n);
            assert_eq!(p["reference"], parts[0]["reference"]);
            assert_eq!(p["reference_bits"], bits);
            let second = 2 + gap * i;
            assert_eq!(
                p["time"],
                format!("2026-11-24T10:00:{second:02}+08:00"),
                "{to} part {}",
                i + 1
            );
            if i + 1 < n {
                assert_eq!(p["text"].as_str().unwrap().encode_utf16().count(), 65);
            }
        }
    }
}

/// USSD as the real networks seem to behave (docs/sms.md: no Chinese
/// carrier is known to answer balance USSD): with `ussd_mode = "error"`
/// every code fails as an unknown one; other carriers keep the menus.
#[tokio::test]
async fn ussd_can_fail_like_the_real_networks() {
    let sim = sim_with("\n[dialects.sms.cucc]\nussd_mode = \"error\"\n").await;
    let path = format!("/_sim/handsets/{}/ussd", iccid(Carrier::Cucc, "normal"));
    let (s, b) = post(&sim, &path, json!({"code": "*100#"})).await;
    assert_eq!(s, 404, "{b}");
    assert!(b["error"].as_str().unwrap().contains("*100#"), "{b}");
    let path = format!("/_sim/handsets/{}/ussd", iccid(Carrier::Cmcc, "normal"));
    let (s, b) = post(&sim, &path, json!({"code": "*100#"})).await;
    assert_eq!((s, b["more"].clone()), (200, json!(true)), "{b}");
}

/// Push notices (issue 25, docs/sms.md "Push notices"): with `notices =
/// true` a card's carrier texts it unasked when its use crosses the
/// engine's 80 % and 100 % marks, in the real forms; they reach the card
/// like replies (the handset's inbox here). Off by default: the same use
/// without the switch sends nothing.
#[tokio::test]
async fn push_notices_on_the_engine_thresholds() {
    let fx = format!(
        "{}\n[dialects.sms.cucc]\nnotices = true\n",
        carrier_sim::fixture::DEFAULT_FIXTURE
    );
    let sim = Simulator::builder().fixture_str(&fx).start().await;
    let admin = Admin::new(&sim);
    let iccid = admin.iccid_by_tag("cucc", "normal").await;
    let quota = |sim: &Simulator| {
        let card = sim.cards().get(&iccid).unwrap();
        let plan = sim.world().plan(&card.plan).unwrap();
        carrier_sim::engine::quota_of(&sim.world().store, &card, &plan)
    };
    let q = quota(&sim);
    assert!(q.used < q.allowance * 8 / 10, "the card starts below 80 %");
    // Up to 85 % of the allowance: the 80 % notice.
    let to_85 = q.allowance * 85 / 100 - q.used;
    admin
        .card_action(&iccid, json!({"action": "use_data", "bytes": to_85}))
        .await;
    let mut got = Vec::new();
    for _ in 0..50 {
        got = inbox_of(&admin, &iccid).await;
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(got.len(), 1, "{got:?}");
    let used = quota(&sim).used;
    let mb1 = |b: u64| format!("{:.1}MB", b as f64 / (1024.0 * 1024.0));
    let when = carrier_sim::clock::fmt_local(sim.clock().now(), "%m月%d日%H时%M分");
    assert_eq!(got[0]["from"], "10010");
    assert_eq!(
        got[0]["text"],
        format!(
            "【流量不足预警】截至{when}，“限量流量”部分：国内通用流量已用{}，剩余{}；使用情况请登录中国联通APP或拨打10010客服热线查询。【中国联通】",
            mb1(used),
            mb1(q.allowance - used)
        )
    );
    // Past the allowance: the used-up notice (90 % is crossed on the way).
    admin
        .card_action(
            &iccid,
            json!({"action": "use_data", "bytes": q.allowance / 5}),
        )
        .await;
    for _ in 0..50 {
        got = inbox_of(&admin, &iccid).await;
        if got.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let texts: Vec<&str> = got.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("【中国联通】流量用尽提醒：截至")),
        "{texts:?}"
    );

    // Without the switch: nothing.
    let plain = Simulator::start().await;
    let admin = Admin::new(&plain);
    let q = quota(&plain);
    admin
        .card_action(&iccid, json!({"action": "use_data", "bytes": q.allowance}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(inbox_of(&admin, &iccid).await.is_empty());
}

/// A card's handset inbox.
async fn inbox_of(admin: &Admin, iccid: &str) -> Vec<Value> {
    admin.get(&format!("/_sim/handsets/{iccid}/inbox")).await["messages"]
        .as_array()
        .unwrap()
        .clone()
}
