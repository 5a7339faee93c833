//! Record queries the public clients call (ctcc-more §1–6): which card a
//! device was last seen with (`queryIMSI`), the machine-card binding
//! (`queryBindDetection`), the card's SMS records (`querySmsDetail`), its
//! orders (`getOrdersByAccessNumber`, `getOrdersByRequestId`), its province
//! trail (`queryRoutes`) and the account's monthly data use
//! (`monthlyUsage`). Each reads the world's state of the card or account.

use serde_json::{json, Value};

use super::codes::province_of;
use super::pools::month_arg;
use super::traffic::parse_day;
use super::xml::Xml;
use super::{fmt_time, Call, Fail, Out};
use crate::clock::{cycle_of, day_date, day_number, fmt_local};
use crate::domain::money::mb_2dp;
use crate::domain::{Card, CardState, Carrier, EventKind};
use crate::store::CardRef;

/// Orders per page of the order queries (doc text: 10 a page).
const ORDERS_PAGE: usize = 10;

/// The JSON answer when nothing matches (`resultCode -5`, the doc's
/// 未查询到数据).
fn no_data(call: &Call, txid_key: &str) -> Out {
    let mut v = json!({"resultCode": "-5", "resultMsg": "未查询到数据"});
    v[txid_key] = Value::String(call.txid());
    Out::Json(v)
}

/// queryIMSI: the caller's card last seen in the device `imei`.
pub fn imsi_by_imei(call: &Call) -> Result<Out, Fail> {
    let imei = call
        .p
        .get("imei")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fail::bad("必传参数imei缺失。"))?;
    let card = call
        .world()
        .resolve(CardRef::Imei(imei))
        .and_then(|iccid| call.world().card(&iccid))
        .filter(|c| c.carrier == Carrier::Ctcc && c.account == call.account);
    let Some(card) = card else {
        return Ok(no_data(call, "groupTransactionId"));
    };
    Ok(Out::Json(json!({
        "groupTransactionId": call.txid(),
        "resultCode": "0",
        "resultMsg": "处理成功！",
        "description": {
            "msisdn": card.msisdn,
            "iccid": card.iccid,
            "imsi": card.imsi,
            "result": "0",
            "source": "会话记录",
        },
    })))
}

/// queryBindDetection: whether the card has the machine-card binding
/// (IMEIReRecord) and whether the device it is in is the bound one.
pub fn bind_detection(call: &Call) -> Result<Out, Fail> {
    let card = call.card()?;
    let key = crate::domain::card::attribute_key(Carrier::Ctcc, "imei_bind");
    let bound = card.attrs.get(key.as_str());
    // An empty binding binds the next device seen, which is the current one.
    let bound_imei = bound.map(|b| {
        if b.is_empty() {
            card.imei.to_string()
        } else {
            b.clone()
        }
    });
    let in_range = bound_imei
        .as_deref()
        .is_some_and(|b| b == card.imei.as_str());
    Ok(Out::Json(json!({
        "resultCode": "0",
        "resultMsg": "处理成功",
        "group_transactionid": call.txid(),
        "description": {
            "msisdn": card.msisdn,
            "iccid": card.iccid,
            "imsi": card.imsi,
            "lastIMEI": card.imei,
            "signedDeviceType": "",
            "imei": bound_imei.unwrap_or_default(),
            "deviceType": "",
            "bingdingType": if bound.is_some() { "开通" } else { "未开通" },
            "bingdingStatus": if in_range { "是" } else { "否" },
        },
    })))
}

/// A `yyyyMMdd` pair within one month, start ≤ end.
fn day_range(call: &Call, start: &str, end: &str) -> Result<(i32, i32), Fail> {
    let s = parse_day(call.p.or_empty(start))
        .ok_or_else(|| Fail::bad(format!("{start}格式错误，应为yyyyMMdd。")))?;
    let e = parse_day(call.p.or_empty(end))
        .ok_or_else(|| Fail::bad(format!("{end}格式错误，应为yyyyMMdd。")))?;
    if s > e {
        return Err(Fail::bad("开始日期不能大于结束日期。"));
    }
    let (ds, de) = (day_date(s), day_date(e));
    if (ds.year(), ds.month()) != (de.year(), de.month()) {
        return Err(Fail::bad("查询时间段不可跨月。"));
    }
    Ok((s, e))
}

/// querySmsDetail: the card's SMS records between `start_time` and
/// `end_time` (yyyyMMdd, one month), oldest first, in
/// `<root><SM_TICKET_QRsp>` with one `SM_TICKET_QRlist` per message.
pub fn sms_detail(call: &Call) -> Result<Out, Fail> {
    let (from, to) = day_range(call, "start_time", "end_time")?;
    let card = call.card()?;
    let mut records: Vec<(jiff::Timestamp, &str)> = card
        .outbox
        .iter()
        .map(|m| (m.time, "MO（上行）"))
        .chain(card.inbox.iter().map(|m| (m.time, "MT（下行）")))
        .filter(|(t, _)| (from..=to).contains(&day_number(*t)))
        .collect();
    records.sort_by_key(|r| r.0);
    let mut x = Xml::new();
    x.open("root").open("SM_TICKET_QRsp");
    x.leaf("CHARGE_CNT_CH", "0.00元")
        .leaf("IRESULT", "0")
        .leaf("TOTALCOUNT", &records.len().to_string())
        .leaf("TOTALPAGE", if records.is_empty() { "0" } else { "1" })
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .leaf("number", &call.number);
    for (time, direction) in &records {
        x.open("SM_TICKET_QRlist")
            .leaf("START_TIME", &fmt_local(*time, "%Y/%m/%d %H:%M:%S"))
            .leaf("TICKET_CHARGE", "0")
            .leaf("ACC_NBR", &card.msisdn)
            .leaf("TICKET_TYPE", "其他业务")
            .leaf("TICKET_TYPE_ID", direction)
            .close("SM_TICKET_QRlist");
    }
    x.close("SM_TICKET_QRsp").close("root");
    Ok(Out::Xml(x.finish()))
}

/// One order of a card: when, what, and its request id.
struct Order {
    time: jiff::Timestamp,
    service: &'static str,
    request_id: String,
}

/// The service orders a card's history holds, newest first: activation,
/// stops and resumes by the customer, renewals and add-on packages.
fn orders(card: &Card) -> Vec<Order> {
    let tail: String = card
        .msisdn
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let mut out: Vec<Order> = Vec::new();
    for e in card.events.iter() {
        let service = match &e.kind {
            EventKind::AddOnOrdered { .. } => "流量包订购",
            EventKind::Renewal { .. } => "套餐续订",
            EventKind::StateChanged {
                reason, from, to, ..
            } => match (reason.as_str(), from, to) {
                ("activation", _, _) => "活卡激活",
                ("manual", _, CardState::Suspended) => "停机保号",
                ("manual", CardState::Suspended, _) => "停机保号后复机",
                _ => continue,
            },
            _ => continue,
        };
        // `10` + yyyyMMddHHmmss + the number's last 4 digits + a 2-digit
        // serial within the card: 22 digits like the doc's example
        // (1000000000000123865446), unique per card and second.
        let request_id = format!(
            "10{}{tail:0>4}{:02}",
            super::fmt_compact(e.time),
            out.len() % 100
        );
        out.push(Order {
            time: e.time,
            service,
            request_id,
        });
    }
    out.reverse();
    out
}

fn order_json(card: &Card, o: &Order, creator: &str) -> Value {
    json!({
        "accessNumber": card.msisdn,
        "requestId": o.request_id,
        "serviceType": o.service,
        "status": "已完成",
        "creator": creator,
        "createTime": fmt_time(o.time),
    })
}

/// The caller's portal user id (the orders' creator).
fn creator(call: &Call) -> String {
    call.world()
        .account(&call.account)
        .and_then(|a| a.credentials.user_id.clone())
        .unwrap_or_default()
}

fn orders_reply(call: &Call, page: usize, list: Vec<Value>) -> Out {
    Out::Json(json!({
        "groupTransactionId": call.txid(),
        "resultCode": "0",
        "resultMsg": "处理成功！",
        "description": {"pageIndex": page.to_string(), "simOrderList": list},
    }))
}

fn page_index(call: &Call) -> Result<usize, Fail> {
    call.p
        .or_empty("pageIndex")
        .parse()
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| Fail::bad("pageIndex参数错误，应为从1开始的整数。"))
}

/// getOrdersByAccessNumber: the card's orders, 10 a page, newest first.
pub fn orders_by_number(call: &Call) -> Result<Out, Fail> {
    let page = page_index(call)?;
    let card = call.card()?;
    let who = creator(call);
    let list = orders(&card)
        .iter()
        .skip((page - 1).saturating_mul(ORDERS_PAGE))
        .take(ORDERS_PAGE)
        .map(|o| order_json(&card, o, &who))
        .collect();
    Ok(orders_reply(call, page, list))
}

/// getOrdersByRequestId: the caller's order with that request id.
pub fn orders_by_request(call: &Call) -> Result<Out, Fail> {
    let page = page_index(call)?;
    let id = call
        .p
        .get("requestId")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fail::bad("必传参数requestId缺失。"))?;
    let who = creator(call);
    let mut list = Vec::new();
    // The id carries the number's last four digits (see `orders`).
    if id.len() == 22 && id.is_char_boundary(16) && id.is_char_boundary(20) {
        let tail = &id[16..20];
        for card in super::list::my_cards(call, None)
            .iter()
            .filter(|c| c.msisdn.ends_with(tail))
        {
            list.extend(
                orders(card)
                    .iter()
                    .filter(|o| o.request_id == id)
                    .map(|o| order_json(card, o, &who)),
            );
        }
    }
    let list = if page == 1 { list } else { Vec::new() };
    Ok(orders_reply(call, page, list))
}

/// queryRoutes: the provinces the card was in between `startDate` and
/// `endDate` (this month only). The world keeps one place per card, so the
/// trail is that place's province, entered at activation or at the start
/// of the period, whichever is later; a card never activated has none.
pub fn routes(call: &Call) -> Result<Out, Fail> {
    let (from, to) = day_range(call, "startDate", "endDate")?;
    let now = call.world().now();
    let start = day_start(from);
    if cycle_of(start) != cycle_of(now) {
        return Err(Fail::bad("只能查询当月的历史轨迹。"));
    }
    let card = call.card()?;
    let data: Vec<Value> = match card.activated {
        Some(a) if day_number(a) <= to && a <= now => vec![json!({
            "province": province_of(&card.session.city),
            "enterTime": fmt_time(a.max(start)),
        })],
        _ => Vec::new(),
    };
    Ok(Out::Json(json!({
        "resultCode": "0",
        "resultMsg": "处理成功",
        "group_transactionid": call.txid(),
        "data": data,
    })))
}

/// 00:00 Shanghai time of a day number.
fn day_start(day: i32) -> jiff::Timestamp {
    crate::clock::from_local(day_date(day).to_datetime(jiff::civil::time(0, 0, 0, 0)))
}

/// monthlyUsage: the account's data use in the month `date` (yyyyMM, this
/// month or earlier) over all its cards, in MB with 2 decimals.
pub fn monthly_usage(call: &Call) -> Result<Out, Fail> {
    let cycle = month_arg(call.p.or_empty("date"))
        .filter(|c| *c <= cycle_of(call.world().now()))
        .ok_or_else(|| Fail::bad("date参数错误，应为不晚于本月的yyyyMM。"))?;
    let bytes: u64 = super::list::my_cards(call, None)
        .iter()
        .map(|c| c.usage_in(cycle).data_bytes)
        .sum();
    Ok(Out::Json(json!({
        "GROUP_TRANSACTIONID": call.txid(),
        "resultCode": "0",
        "resultMsg": "处理成功！",
        "amount": mb_2dp(bytes),
    })))
}

/// queryCardStatus: the older XML status call (ctcc-more §0, from the
/// sample reply in a C++ gateway's comments): the product status of
/// prodInstQuery and the card's opening day.
pub fn card_status(call: &Call) -> Result<Out, Fail> {
    let card = call.card()?;
    let (code, name) = super::codes::prod_status(&card);
    let mut x = Xml::new();
    x.open("root")
        .open("Query_response")
        .open("BasicInfo")
        .leaf("result", "0")
        .leaf("resultMsg", "处理成功!")
        .close("BasicInfo")
        .open("prodRecords")
        .open("prodRecord")
        .open("productInfo")
        .leaf("productStatusCd", code)
        .leaf("productStatusName", name)
        .leaf("servCreateDate", &super::fmt_day(Some(card.opened)))
        .close("productInfo")
        .close("prodRecord")
        .close("prodRecords")
        .leaf("number", &call.number)
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .close("Query_response")
        .close("root");
    Ok(Out::Xml(x.finish()))
}
