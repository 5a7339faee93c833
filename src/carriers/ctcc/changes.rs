//! Status and service changes (spec §4.9–4.14): requestServActive,
//! disabledNumber (orderTypeId 19/20/21/22), singleCutNet (ADD/DEL),
//! offNetAction (usage-threshold cut), speedLimitAction and IMEIReRecord.
//! Every change goes through a world operation; refusals come back in the
//! carrier's own words and shape.

use serde_json::json;

use super::codes::{refusal_text, speed_label, OrderType, IMEI_REBIND_PER_MONTH};
use super::xml::Xml;
use super::{Call, Fail, Flavor, Out};
use crate::domain::card::ThresholdCut;
use crate::domain::money::MB;
use crate::domain::{CardState, Carrier, DomainError};
use crate::world::{OpError, SpeedLimit};

/// A world refusal → its text; a vanished card → `-4`.
fn refusal(e: OpError) -> Result<&'static str, Fail> {
    match e {
        OpError::Rule(d) => Ok(refusal_text(&d)),
        _ => Err(Fail::new(super::codes::Code::NotFound)),
    }
}

/// requestServActive: activates a card awaiting activation (1 → 4).
pub fn serv_active(call: &Call) -> Result<Out, Fail> {
    let state = call.card()?.state;
    let res = match state {
        CardState::ActivationReady | CardState::TestReady | CardState::Inventory => {
            call.world().activate(&call.iccid)
        }
        CardState::Cancelled => Err(OpError::Rule(DomainError::Cancelled)),
        _ => Err(OpError::Rule(DomainError::NotActive)),
    };
    let (result, msg) = match res {
        Ok(()) => ("0", "成功"),
        Err(OpError::Rule(DomainError::NotActive)) => ("-1", "该号码已激活，无需再次激活"),
        Err(e) => ("-1", refusal(e)?),
    };
    Ok(Out::Json(json!({
        "RESULT": result,
        "SMSG": msg,
        "GROUP_TRANSACTIONID": call.txid(),
    })))
}

/// disabledNumber / disabledNumberService: stop, resume, test deactivation.
pub fn disabled_number(call: &Call) -> Result<Out, Fail> {
    let order = OrderType::parse(call.p.or_empty("orderTypeId"))
        .ok_or_else(|| Fail::bad("orderTypeId参数错误，只能为19、20、21、22。"))?;
    let state = call.card()?.state;
    if order == OrderType::Resume && state == CardState::ActivationReady {
        return Ok(disabled_reply(
            call,
            "100008",
            "该号码处于待激活状态，请先调用活卡激活接口",
        ));
    }
    let w = call.world();
    let res = match order {
        OrderType::Stop => w.manual_stop(&call.iccid),
        OrderType::Resume => w.manual_resume(&call.iccid),
        // Test deactivation applies to a card in its test period (or
        // awaiting activation); reactivation only to a test-deactivated one.
        OrderType::TestDeactivate => w.move_state(
            &call.iccid,
            CardState::Inventory,
            &[CardState::TestReady, CardState::ActivationReady],
        ),
        OrderType::TestReactivate => {
            w.move_state(&call.iccid, CardState::TestReady, &[CardState::Inventory])
        }
    };
    match res {
        Ok(()) => Ok(disabled_reply(call, "0", "处理成功！")),
        Err(e) => {
            let text = match (&e, order) {
                (
                    OpError::Rule(DomainError::InvalidTransition { .. }),
                    OrderType::TestDeactivate,
                ) => "该号码不是测试激活状态，不能办理测试期去激活",
                (
                    OpError::Rule(DomainError::InvalidTransition { .. }),
                    OrderType::TestReactivate,
                ) => "该号码不是测试去激活状态，不能办理",
                _ => refusal(e)?,
            };
            if call.flavor == Flavor::G5 {
                Ok(disabled_reply(call, "-1", text))
            } else {
                Ok(Out::Text(text.to_string()))
            }
        }
    }
}

fn disabled_reply(call: &Call, result: &str, msg: &str) -> Out {
    if call.flavor == Flavor::Legacy && result != "0" {
        return Out::Text(format!("{result}：{msg}"));
    }
    let mut x = Xml::new();
    x.open("SvcCont")
        .leaf("RspType", "0")
        .leaf("result", result)
        .leaf("resultMsg", msg)
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .close("SvcCont");
    Out::Xml(x.finish())
}

/// `<SvcCont><Response>…</Response><GROUP_TRANSACTIONID>` of the order methods.
pub(super) fn response_xml(call: &Call, rsp_type: &str, code: &str, desc: &str) -> Out {
    let mut x = Xml::new();
    x.open("SvcCont")
        .open("Response")
        .leaf("RspType", rsp_type)
        .leaf("RspCode", code)
        .leaf("RspDesc", desc)
        .close("Response")
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .close("SvcCont");
    Out::Xml(x.finish())
}

const CUT_PRODUCT: &str = "【物联网基础业务-流量-取消/恢复上网】";

/// singleCutNet: ADD cuts data by hand, DEL restores it.
pub fn single_cut_net(call: &Call) -> Result<Out, Fail> {
    let action = call.p.or_empty("action");
    let res = match action {
        "ADD" => call.world().cut_data(&call.iccid),
        "DEL" => call.world().restore_data(&call.iccid),
        _ => return Err(Fail::bad("action参数错误，只能为ADD或DEL。")),
    };
    Ok(match res {
        Ok(()) => response_xml(call, "0", "0000", "成功接收消息"),
        Err(OpError::Rule(DomainError::AlreadyCut)) => response_xml(
            call,
            "1",
            "-9",
            &format!(
                "物联网CRM系统返回异常==>[O0300304-1148]已订购功能产品：{CUT_PRODUCT},不能重复订购"
            ),
        ),
        Err(OpError::Rule(DomainError::NotCut)) => response_xml(
            call,
            "1",
            "-9",
            &format!(
                "物联网CRM系统返回异常==>[O0300304-1149]未订购功能产品：{CUT_PRODUCT},不能退订"
            ),
        ),
        Err(e) => response_xml(call, "1", "-9", refusal(e)?),
    })
}

/// offNetAction: sets (1), modifies (2) or cancels (3) the threshold cut.
pub fn off_net_action(call: &Call) -> Result<Out, Fail> {
    let action = call.p.or_empty("action");
    if !matches!(action, "1" | "2" | "3") {
        return Err(Fail::bad("action参数错误，只能为1、2、3。"));
    }
    let mut threshold = None;
    if action != "3" {
        let quota: i64 = call
            .p
            .or_empty("quota")
            .parse()
            .ok()
            // At most 1 PiB (in MB), so the byte threshold cannot wrap.
            .filter(|q| *q >= -1 && *q <= (crate::domain::money::MAX_DATA_BYTES / MB) as i64)
            .ok_or_else(|| Fail::bad("quota参数错误。"))?;
        let beyond = match call.p.or_empty("type") {
            "1" => false,
            "2" => true,
            _ => return Err(Fail::bad("type参数错误，只能为1或2。")),
        };
        threshold = Some(ThresholdCut {
            quota_bytes: (quota >= 0).then(|| quota as u64 * MB),
            beyond_plan: beyond,
            reached: false,
        });
    }
    let outcome = call
        .world()
        .edit(&call.iccid, "ctcc", |e| {
            match (action, e.card().threshold.is_some()) {
                ("1", true) => return Err("已经订购该产品，请不要重复订购;"),
                ("2" | "3", false) => return Err("未订购达量断网"),
                _ => {}
            }
            e.set_threshold(threshold);
            Ok(())
        })
        .map_err(|_| Fail::new(super::codes::Code::NotFound))?;
    Ok(match outcome {
        Ok(()) => response_xml(call, "0", "0000", "成功接收消息"),
        Err(text) => response_xml(call, "1", "-5", text),
    })
}

/// speedLimitAction: ADD sets a speed code, DEL removes the limit.
pub fn speed_limit(call: &Call) -> Result<Out, Fail> {
    let action = call.p.or_empty("action");
    let code: Option<u16> = call.p.or_empty("speedValue").parse().ok();
    let reply = |rc: &str, msg: &str| {
        Out::Json(json!({"resultCode": rc, "resultMsg": msg, "GROUP_TRANSACTIONID": call.txid()}))
    };
    let value = match (action, code) {
        ("ADD", Some(c)) if speed_label(c).is_some() => Some(c),
        ("DEL", _) => None,
        ("ADD", _) => return Ok(reply("-2", "speedValue参数错误")),
        _ => return Ok(reply("-2", "action参数错误，只能为ADD或DEL")),
    };
    let limit = value.map(|code| SpeedLimit {
        code,
        kbps: speed_label(code).and_then(label_kbps),
    });
    let res = call.world().edit(&call.iccid, "ctcc", |e| {
        // Clearing an absent limit changes nothing, so it can be refused after.
        match e.set_speed_limit(limit) {
            Err(d) => Err(refusal_text(&d)),
            Ok(None) if limit.is_none() => Err("未订购自主限速，无需删除"),
            Ok(_) => Ok(()),
        }
    });
    Ok(match res {
        Ok(Ok(())) => reply("0000", "处理成功！"),
        Ok(Err(text)) => reply("-1", text),
        Err(_) => return Err(Fail::new(super::codes::Code::NotFound)),
    })
}

/// The rate of a speed label in kbit/s (`"2Mbps"` → 2048, `"64Kbps"` → 64);
/// `None` for "不限速" (no limit).
fn label_kbps(label: &str) -> Option<u32> {
    let (n, unit) = label.split_at(label.find(|c: char| !c.is_ascii_digit())?);
    let n: u32 = n.parse().ok()?;
    match unit {
        "Mbps" => Some(n * 1024),
        "Kbps" => Some(n),
        _ => None,
    }
}

/// IMEIReRecord: machine-card re-binding, limited per card and month.
pub fn imei_rerecord(call: &Call) -> Result<Out, Fail> {
    if call.p.or_empty("action") != "ADD" {
        return Err(Fail::bad("action参数错误，只能为ADD。"));
    }
    let bind_type = call.p.or_empty("bind_type");
    let imei = call.p.or_empty("imei");
    if !matches!(bind_type, "" | "2")
        || (bind_type == "2" && (imei.len() != 15 || !imei.bytes().all(|b| b.is_ascii_digit())))
    {
        return Err(Fail::bad("bind_type或imei参数错误。"));
    }
    let bound = (bind_type == "2").then_some(imei);
    let ok = call
        .world()
        .edit(&call.iccid, "ctcc", |e| {
            e.bind_imei(Carrier::Ctcc, bound, IMEI_REBIND_PER_MONTH)
        })
        .map_err(|_| Fail::new(super::codes::Code::NotFound))?;
    let (t, code, desc) = if ok {
        ("0", "0000", "成功接收消息")
    } else {
        (
            "1",
            "-5",
            "业务校验失败（单卡本月调用次数已超过限定次数！）",
        )
    };
    Ok(Out::Json(json!({
        "Response": {"RspType": t, "RspCode": code, "RspDesc": desc},
        "GROUP_TRANSACTIONID": call.txid(),
    })))
}
