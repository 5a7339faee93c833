//! Status and profile queries (spec §4.6–4.8, §4.15, §4.17):
//! queryCardMainStatus (main status 1–7, the 5G variant with `result`,
//! `netBlockStatusName`, `authStatus`), prodInstQuery (the SvcCont profile
//! with the 达量断网 function product), getTelephone / getTelephonePlus,
//! getOnlineStatus and realNameQueryIot.

use serde_json::{json, Value};

use super::codes::{
    main_status as status_of, main_status_name, prod_status, speed_label, stop_type,
};
use super::xml::Xml;
use super::{fmt_day, fmt_time, Call, Fail, Flavor, Out};
use crate::domain::money::MB;
use crate::domain::{Card, Reason};

/// queryCardMainStatus: `productInfo[0]` carries the 1–7 code.
pub fn main_status(call: &Call) -> Result<Out, Fail> {
    let card = call.card()?;
    let code = status_of(&card);
    let drop_card = call.p.get("queryDropCard") == Some("true");
    let txid = call.txid();
    if code == 7 && !drop_card {
        let key = if call.flavor == Flavor::G5 {
            "result"
        } else {
            "resultCode"
        };
        let mut v = json!({"resultMsg": "未查询到数据", "GROUP_TRANSACTIONID": txid, "number": call.number});
        v[key] = json!("-5");
        return Ok(Out::Json(v));
    }
    let mut info = json!({
        "productMainStatusCd": code.to_string(),
        "productMainStatusName": main_status_name(code),
    });
    if call.flavor == Flavor::G5 {
        info["operatorDefinitionStatusName"] = json!(main_status_name(code));
        return Ok(Out::Json(json!({
            "result": "0",
            "resultMsg": "处理成功！",
            "GROUP_TRANSACTIONID": txid,
            "number": call.number,
            "netBlockStatusName": if card.reasons.contains(Reason::DataCut) || card.threshold.is_some_and(|t| t.reached) { "已断网" } else { "未断网" },
            "authStatus": if card.real_name { "1" } else { "0" },
            "servCreateDate": fmt_day(Some(card.opened)),
            "productInfo": [info],
        })));
    }
    Ok(Out::Json(json!({
        "resultCode": "0",
        "resultMsg": "处理成功！",
        "GROUP_TRANSACTIONID": txid,
        "number": call.number,
        "servCreateDate": fmt_day(Some(card.opened)),
        "productInfo": [info],
    })))
}

/// prodInstQuery: the product profile as `<SvcCont>` XML.
pub fn prod_inst_query(call: &Call) -> Result<Out, Fail> {
    let card = call.card()?;
    let world = call.world();
    let plan = world.plan(&card.plan);
    let account = world.account(&card.account);
    let (cd, name) = prod_status(&card);
    let prod_inst_id = format!("6{}", &card.iccid[card.iccid.len().saturating_sub(11)..]);
    let mut x = Xml::new();
    x.open("SvcCont")
        .leaf("resultCode", "0")
        .leaf("resultMsg", "处理成功！")
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .open("result")
        .open("prodInfos")
        .leaf("prodInstId", &prod_inst_id)
        .leaf("phoneNum", &card.msisdn)
        .leaf("productId", "80000045")
        .leaf("productName", "乐通（流量）")
        .leaf("productNbr", "9000000001")
        .leaf("startDt", &fmt_time(card.opened))
        .leaf("prodStatusCd", cd)
        .leaf("prodStatusName", name)
        .leaf("commonRegionId", "8440400")
        .leaf(
            "commonRegionName",
            if card.session.city.is_empty() {
                "珠海市"
            } else {
                &card.session.city
            },
        )
        .leaf(
            "custNumber",
            account
                .as_ref()
                .map(|a| a.customer_no.as_str())
                .unwrap_or(""),
        )
        .leaf(
            "custName",
            account.as_ref().map(|a| a.name.as_str()).unwrap_or(""),
        )
        .leaf("paymentModeCd", "2100")
        .leaf("stopFlag", if card.reasons.is_empty() { "0" } else { "1" })
        .leaf("prodMainStatusName", main_status_name(status_of(&card)))
        .leaf("isPoolMember", if card.pool.is_some() { "1" } else { "0" })
        .leaf("ownedPoolType", if card.pool.is_some() { "1" } else { "" })
        .leaf("ownedPoolNumber", card.pool.as_deref().unwrap_or(""));
    if let Some(a) = account.as_ref() {
        x.open("acctInfos")
            .leaf("acctNumber", &a.customer_no)
            .leaf("acctId", &a.customer_no)
            .leaf("acctName", &a.name)
            .leaf("payMethod", "1")
            .leaf("payMethodName", "现金")
            .close("acctInfos");
    }
    x.open("mktResouceInfos")
        .leaf("mktResourceCode", &card.iccid)
        .leaf("mktResourceId", &card.imsi)
        .leaf("mktResourceName", "物联网卡")
        .leaf("mktResourceTypeCd", "1")
        .leaf("mktResourceTypeName", "UIM卡")
        .leaf("inOutNbr", &card.iccid)
        .close("mktResouceInfos");
    x.open("attrInfos")
        .leaf("attrSpecId", "10020001")
        .leaf("attrName", "IMEI")
        .leaf("attrValue", &card.imei)
        .leaf("attrValueId", "")
        .close("attrInfos");
    if let Some(plan) = plan.as_ref() {
        x.open("prodOfferInfos")
            .leaf("offerType", "11")
            .leaf("prodOfferId", &plan.offer_id)
            .leaf("prodOfferName", &plan.name)
            .leaf("prodOfferInstId", &format!("{prod_inst_id}1"))
            .leaf("prodOfferNbr", &plan.offer_id)
            .leaf("startDt", &fmt_time(card.activated.unwrap_or(card.opened)))
            .leaf("endDt", &card.expires.map(fmt_time).unwrap_or_default())
            .leaf("statusCd", "1000")
            .leaf(
                "statusName",
                if card.reasons.contains(Reason::Expired) {
                    "将失效"
                } else {
                    "有效"
                },
            )
            .close("prodOfferInfos");
    }
    fun_products(&mut x, &card, &prod_inst_id);
    for r in card.reasons.iter() {
        let (t, tn) = stop_type(r);
        x.open("prodInstStates")
            .leaf("stopType", t)
            .leaf("stopTypeName", tn)
            .leaf("statusCd", "1000")
            .leaf("statusName", "有效")
            .leaf(
                "startDt",
                &card.state_changed.map(fmt_time).unwrap_or_default(),
            )
            .close("prodInstStates");
    }
    x.close("prodInfos").close("result").close("SvcCont");
    Ok(Out::Xml(x.finish()))
}

/// The function products: 达量断网, the manual cut, the speed limit.
fn fun_products(x: &mut Xml, card: &Card, prod_inst_id: &str) {
    let open = |x: &mut Xml, id: &str, name: &str| {
        x.open("funProdInfos")
            .leaf("prodInstId", prod_inst_id)
            .leaf("productId", id)
            .leaf("productName", name)
            .leaf("productNbr", id);
    };
    let attr = |x: &mut Xml, id: &str, name: &str, value: &str| {
        x.open("attrInfos")
            .leaf("attrSpecId", id)
            .leaf("attrName", name)
            .leaf("attrValue", value)
            .leaf("attrValueId", "")
            .close("attrInfos");
    };
    if let Some(t) = card.threshold {
        open(x, "80000101", "达量断网");
        attr(
            x,
            "10010001",
            "是否已达量断网",
            if t.reached { "是" } else { "否" },
        );
        let q = t
            .quota_bytes
            .map(|b| (b / MB).to_string())
            .unwrap_or_else(|| "-1".into());
        attr(x, "10010002", "断网阈值", &q);
        attr(
            x,
            "10010003",
            "断网类型",
            if t.beyond_plan { "2" } else { "1" },
        );
        x.close("funProdInfos");
    }
    if card.reasons.contains(Reason::DataCut) {
        open(x, "80000102", "物联网基础业务-流量-取消/恢复上网");
        x.close("funProdInfos");
    }
    if let Some(s) = card.speed_limit {
        open(x, "80000103", "自主限速");
        attr(x, "10010004", "限速值", speed_label(s).unwrap_or(""));
        x.close("funProdInfos");
    }
}

/// getTelephone: the access number of an ICCID / IMSI.
pub fn get_telephone(call: &Call) -> Result<Out, Fail> {
    let card = call.card()?;
    Ok(Out::Json(json!({
        "RESULT": "0",
        "SMSG": card.msisdn,
        "GROUP_TRANSACTIONID": call.txid(),
    })))
}

/// A CDMA (3G) IMSI paired with the card's 4G IMSI.
fn imsi_3g(imsi: &str) -> String {
    format!("46003{}", &imsi[imsi.len().saturating_sub(10)..])
}

/// getTelephonePlus: the three numbers of a card.
pub fn get_telephone_plus(call: &Call) -> Result<Out, Fail> {
    let card = call.card()?;
    Ok(Out::Json(json!({
        "resultCode": "0",
        "resultMsg": "处理成功！",
        "GROUP_TRANSACTIONID": call.txid(),
        "info": {
            "access_number": card.msisdn,
            "ICCID": card.iccid,
            "4G_IMSI": card.imsi,
            "3G_IMSI": imsi_3g(&card.imsi),
        },
    })))
}

/// getOnlineStatus: the data session.
pub fn online_status(call: &Call) -> Result<Out, Fail> {
    let card = call.card()?;
    let s = &card.session;
    let now = call.world().now();
    let duration = match (s.online, s.started) {
        (true, Some(t)) => (now.as_second() - t.as_second()).max(0),
        _ => 0,
    };
    let description: Value = json!({
        "result": if s.online { "0" } else { "-1" },
        "msisdn": format!("86{}", card.msisdn),
        "imsi": card.imsi,
        "netModel": "2",
        "acctStatusType": if s.online { "start" } else { "stop" },
        "eventTimestamp": s.started.or(s.ended).map(fmt_time).unwrap_or_default(),
        "framedIpAddress": if s.online { s.ip.as_str() } else { "" },
        "framedIpv6Prefix": "",
        "framedInterfaceId": "",
        "apn": s.apn,
        "rattype": "6",
        "imei": card.imei,
        "provname": super::codes::province_of(&s.city),
        "duration": duration.to_string(),
        "stopTime": s.ended.map(fmt_time).unwrap_or_default(),
        "startTime": s.started.map(fmt_time).unwrap_or_default(),
    });
    Ok(Out::Json(json!({
        "resultCode": "0",
        "resultMsg": "处理成功！",
        "groupTransactionId": call.txid(),
        "description": description,
    })))
}

/// realNameQueryIot: real-name status (`-5` when not registered).
pub fn real_name(call: &Call) -> Result<Out, Fail> {
    let card = call.card()?;
    let mut x = Xml::new();
    x.open("SvcCont");
    if !card.real_name {
        x.leaf("resultCode", "-5")
            .leaf("resultMsg", "未能查询到实名制信息")
            .leaf("GROUP_TRANSACTIONID", &call.txid());
    } else {
        let (_, name) = prod_status(&card);
        x.leaf("resultCode", "0")
            .leaf("resultMsg", "处理成功！")
            .leaf("GROUP_TRANSACTIONID", &call.txid())
            .open("RESULT")
            .leaf(
                "activeTime",
                &card.activated.map(fmt_time).unwrap_or_default(),
            )
            .leaf("prodStatusName", name)
            .leaf("prodMainStatusName", main_status_name(status_of(&card)))
            .leaf("certNumber", "null")
            .leaf("number", &card.msisdn)
            .close("RESULT");
    }
    x.close("SvcCont");
    Ok(Out::Xml(x.finish()))
}
