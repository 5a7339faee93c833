//! The public parsers of carrier replies that docs/sms.md's sources
//! describe (spec §5, "What public parsers extract"), written again here
//! from those descriptions, run over carrier-sim's replies (issue 25): each
//! must find the card's live figures in the default reply of its carrier,
//! through the HTTP handset (the joined text, and the parts joined the way
//! the parser joins them). The AT-modem side (parts read one by one and
//! joined by arrival time) is in `modem.rs`.
//!
//! Expectations are the card's quota (the engine's allowance and use), in
//! the precision each reply prints: a parsed amount must be within half of
//! its last printed digit.

use carrier_sim::Simulator;
use serde_json::{json, Value};

use crate::common::admin::Admin;

/// Bytes in one unit as the parsers read them (1024-based, spec §5:
/// mobilesecuguard "treats KB/MB/GB as powers of 1024").
fn unit_bytes(unit: &str) -> Option<f64> {
    Some(match unit {
        "KB" | "K" => 1024.0,
        "MB" | "M" | "兆" => 1024.0 * 1024.0,
        "GB" | "G" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    })
}

/// A printed amount (`17.53GB`, `311.18MB`, `0MB`, `20480M`) as bytes, with
/// the tolerance its printed precision leaves.
fn amount(text: &str) -> (f64, f64) {
    let digits: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let unit = &text[digits.len()..];
    let per = unit_bytes(unit).unwrap_or_else(|| panic!("no unit in '{text}'"));
    let decimals = digits.split_once('.').map_or(0, |(_, d)| d.len());
    let value: f64 = digits
        .parse()
        .unwrap_or_else(|_| panic!("no number in '{text}'"));
    (
        value * per,
        0.5 * 10f64.powi(-(decimals as i32)) * per + 1.0,
    )
}

fn assert_amount(what: &str, printed: &str, expected_bytes: u64) {
    let (bytes, tolerance) = amount(printed);
    assert!(
        (bytes - expected_bytes as f64).abs() <= tolerance,
        "{what}: the reply says {printed}, the card has {expected_bytes} bytes"
    );
}

/// The text between `from` (after it) and `to` (before it) in `s`.
fn between<'a>(s: &'a str, from: &str, to: &str) -> Option<&'a str> {
    let start = s.find(from)? + from.len();
    let end = s[start..].find(to)? + start;
    Some(&s[start..end])
}

/// The first number followed by a data unit after position 0 of `s`
/// (FlowMonitor and mobilesecuguard scan this way); `needs_point` asks for
/// a decimal point (mobilesecuguard).
fn first_amount(s: &str, needs_point: bool) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let number: String = chars[start..i].iter().collect();
            let number = number.trim_end_matches('.').to_string();
            let rest: String = chars[i..].iter().take(2).collect();
            let unit = ["GB", "MB", "KB", "G", "M", "K", "兆"]
                .into_iter()
                .find(|u| rest.starts_with(u));
            if let Some(u) = unit {
                if !needs_point || number.contains('.') {
                    return Some(format!("{number}{u}"));
                }
            }
        } else {
            i += 1;
        }
    }
    None
}

/// A started simulator on the default fleet (real forms) and a card's
/// quota: (iccid, allowance bytes, used bytes).
async fn card(sim: &Simulator, carrier: &str) -> (String, u64, u64) {
    let iccid = Admin::new(sim).iccid_by_tag(carrier, "normal").await;
    let card = sim.cards().get(&iccid).unwrap();
    let plan = sim.world().plan(&card.plan).unwrap();
    let q = carrier_sim::engine::quota_of(&sim.world().store, &card, &plan);
    (iccid, q.allowance, q.used)
}

/// Sends `text` to `to` from the handset: the first reply (joined text and
/// its parts).
async fn ask(sim: &Simulator, iccid: &str, to: &str, text: &str) -> Value {
    let (s, v) = Admin::new(sim)
        .call(
            reqwest::Method::POST,
            &format!("/_sim/handsets/{iccid}/sms"),
            Some(json!({"to": to, "text": text})),
        )
        .await;
    assert!(s.is_success(), "{v}");
    v["replies"][0].clone()
}

/// Joins parts the way PhoneSMSget does (spec §5): every part from the
/// sender that arrives within 2 s of the previous one, in arrival order.
fn join_within_2s(parts: &[Value]) -> String {
    let mut text = String::new();
    let mut last: Option<jiff::Timestamp> = None;
    for p in parts {
        let t: jiff::Timestamp = p["time"].as_str().unwrap().parse().unwrap();
        if let Some(prev) = last {
            assert!(
                t.duration_since(prev) <= jiff::SignedDuration::from_secs(2),
                "a part more than 2 s after the previous one would start a new message"
            );
        }
        text.push_str(p["text"].as_str().unwrap());
        last = Some(t);
    }
    text
}

/// China Mobile's default `CXLL` reply (2021 Beijing) read as dwsoft's
/// `Analysis_YD` reads it: split on "，"; the value after
/// "国内通用流量剩余" up to "（含上月", after "已使用移动数据流量" up to
/// the first "B", and a clause starting "流量剩余".
#[tokio::test]
async fn dwsoft_analysis_yd_reads_the_cmcc_reply() {
    let sim = Simulator::start().await;
    let (iccid, allowance, used) = card(&sim, "cmcc").await;
    let reply = ask(&sim, &iccid, "10086", "CXLL").await;
    let parts = reply["parts"].as_array().unwrap();
    assert!(parts.len() > 1, "a multi-part reply: {reply}");
    // The parts joined as PhoneSMSget joins them are the whole reply.
    let joined = join_within_2s(parts);
    assert_eq!(joined, reply["text"].as_str().unwrap());
    let (mut general, mut used_all, mut remain_all) = (None, None, None);
    for clause in joined.split('，') {
        if let Some(v) = between(clause, "国内通用流量剩余", "（含上月") {
            general = Some(v.to_string());
        }
        if let Some(i) = clause.find("已使用移动数据流量") {
            let rest = &clause[i + "已使用移动数据流量".len()..];
            used_all = Some(rest[..rest.find('B').unwrap() + 1].to_string());
        }
        if let Some(v) = clause.strip_prefix("流量剩余") {
            remain_all = Some(v.to_string());
        }
    }
    let remain = allowance.saturating_sub(used);
    assert_amount(
        "国内通用流量剩余",
        &general.expect("general remaining"),
        remain,
    );
    assert_amount("已使用移动数据流量", &used_all.expect("used"), used);
    assert_amount("流量剩余", &remain_all.expect("remaining"), remain);
}

/// China Unicom's default `1071` list (2020), read by mobilesecuguard (a
/// label, then a number with a decimal point and a 1–2 letter unit) and by
/// dwsoft's `Analysis_LT` (lines; the value after the label up to "MB").
#[tokio::test]
async fn mobilesecuguard_and_dwsoft_lt_read_the_cucc_list() {
    let sim = Simulator::start().await;
    let (iccid, allowance, used) = card(&sim, "cucc").await;
    let reply = ask(&sim, &iccid, "10010", "1071").await;
    let text = reply["text"].as_str().unwrap().to_string();
    let within = used.min(allowance);
    let remain = allowance.saturating_sub(used);

    // mobilesecuguard.
    let after = |label: &str| {
        let i = text
            .find(label)
            .unwrap_or_else(|| panic!("no {label} in {text}"));
        first_amount(&text[i + label.len()..], true).expect("an amount with a point")
    };
    assert_amount("本月产生的总流量", &after("本月产生的总流量"), used);
    assert_amount("套餐内剩余流量", &after("套餐内剩余流量"), remain);

    // dwsoft Analysis_LT.
    let line_value = |label: &str| {
        let line = text
            .lines()
            .find(|l| l.contains(label))
            .unwrap_or_else(|| panic!("no {label} line in {text}"));
        let v = between(line, label, "MB").unwrap().trim();
        format!("{v}MB")
    };
    assert_amount("套餐内已使用流量", &line_value("套餐内已使用流量"), within);
    assert_amount("套餐内剩余流量", &line_value("套餐内剩余流量"), remain);
}

/// China Telecom's default `108` reply (2020) read by dwsoft's
/// `Analysis_DX`: split on "，"; the `总计：/已使用：/剩余：` values, the data
/// ones in integer `M`.
#[tokio::test]
async fn dwsoft_analysis_dx_reads_the_ctcc_reply() {
    let sim = Simulator::start().await;
    let (iccid, allowance, used) = card(&sim, "ctcc").await;
    let reply = ask(&sim, &iccid, "10001", "108").await;
    let text = reply["text"].as_str().unwrap();
    let mut data = Vec::new();
    for clause in text.split('，') {
        for label in ["总计：", "已使用：", "剩余："] {
            if let Some(v) = clause.strip_prefix(label) {
                let v = v.split(['；', '。']).next().unwrap_or_default();
                if v.ends_with('M') {
                    data.push((label, v.to_string()));
                }
            }
        }
    }
    assert_eq!(data.len(), 3, "{text}");
    assert_amount("总计", &data[0].1, allowance);
    assert_amount("已使用", &data[1].1, used.min(allowance));
    assert_amount("剩余", &data[2].1, allowance.saturating_sub(used));
}

/// FlowMonitor (generic): the first number-plus-unit after the first
/// keyword found, trying 剩余流量, 流量剩余, 剩余, 还剩, 可用, 余 in order;
/// it reads the remaining general data of China Mobile's and China
/// Unicom's default replies.
#[tokio::test]
async fn flowmonitor_reads_the_remaining_data() {
    let sim = Simulator::start().await;
    for (carrier, to, word) in [("cmcc", "10086", "CXLL"), ("cucc", "10010", "1071")] {
        let (iccid, allowance, used) = card(&sim, carrier).await;
        let reply = ask(&sim, &iccid, to, word).await;
        let text = reply["text"].as_str().unwrap();
        let keyword = ["剩余流量", "流量剩余", "剩余", "还剩", "可用", "余"]
            .into_iter()
            .find(|k| text.contains(k))
            .expect("a keyword");
        let i = text.find(keyword).unwrap() + keyword.len();
        let found = first_amount(&text[i..], false).expect("an amount");
        assert_amount(
            &format!("{carrier} {word}"),
            &found,
            allowance.saturating_sub(used),
        );
    }
}

/// 4G-Bridge's Telecom rule on the itemised `108` form: only the text
/// between "国内通用流量" and "国内定向流量" (or the end), every
/// "业务类型：手机上网国内流量，总量：X，剩余量：Y" item summed, each
/// item required to match.
#[tokio::test]
async fn four_g_bridge_reads_the_itemised_ctcc_reply() {
    let fx = format!(
        "{}\n[dialects.sms.ctcc]\nforms = {{ \"108\" = \"ctcc-data-itemised\" }}\n",
        carrier_sim::fixture::DEFAULT_FIXTURE
    );
    let sim = Simulator::builder().fixture_str(&fx).start().await;
    let (iccid, allowance, used) = card(&sim, "ctcc").await;
    let reply = ask(&sim, &iccid, "10001", "108").await;
    let text = reply["text"].as_str().unwrap();
    let start = text.find("国内通用流量").expect("general section") + "国内通用流量".len();
    let section = match text[start..].find("国内定向流量") {
        Some(end) => &text[start..start + end],
        None => &text[start..],
    };
    let mut total = 0.0;
    let mut remaining = 0.0;
    let mut items = 0;
    for item in section.split("业务类型：").skip(1) {
        if !item.starts_with("手机上网国内流量") {
            continue;
        }
        let t = between(item, "总量：", "，").expect("总量");
        let r = between(item, "剩余量：", "；").expect("剩余量");
        total += amount(t).0;
        remaining += amount(r).0;
        items += 1;
    }
    assert!(items >= 1, "{text}");
    // `#.##` with G from 1024 M: within half a hundredth of a GB.
    let tolerance = 0.005 * 1024.0 * 1024.0 * 1024.0;
    assert!((total - allowance as f64).abs() <= tolerance, "{text}");
    assert!(
        (remaining - allowance.saturating_sub(used) as f64).abs() <= tolerance,
        "{text}"
    );
}
