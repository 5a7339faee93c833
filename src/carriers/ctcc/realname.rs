//! Real-name changes (ctcc-more §9–10): `realNameRecIot` records a card's
//! real-name registration from an ID number sent `strEnc`-encrypted as
//! `certNumber` (the sign carries it in plain text), and
//! `ordinaryRealNameClear` clears it. Both switch the world's real-name
//! flag, which `realNameQueryIot` and the 5G status calls read back. The
//! world keeps no ID numbers.

use serde_json::json;

use super::changes::response_xml;
use super::xml::Xml;
use super::{Call, Fail, Out};
use crate::world::Flag;

/// The request parameters sent encrypted with the account key whose plain
/// text goes into the sign (ctcc-more §9).
pub const ENCRYPTED_PARAMS: [&str; 1] = ["certNumber"];

/// The plain text of an encrypted parameter: `strDec` of a value made of
/// whole 16-digit hex blocks; any other value is taken as sent.
pub fn plain_value(call_key: &super::des::TripleKey, value: &str) -> String {
    let blocks = !value.is_empty()
        && value.len().is_multiple_of(16)
        && value.bytes().all(|b| b.is_ascii_hexdigit());
    if blocks {
        if let Some(plain) = call_key.dec(value) {
            return plain;
        }
    }
    value.to_string()
}

/// A mainland resident ID number: 18 characters (17 digits and a digit or
/// `X`) or the older 15 digits.
fn is_id_number(s: &str) -> bool {
    let b = s.as_bytes();
    match b.len() {
        18 => {
            b[..17].iter().all(u8::is_ascii_digit)
                && (b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x')
        }
        15 => b.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// The platform's failure of a registration it could not read, as the
/// [dx] client's comments captured it: no RspType, code 9000, an empty
/// transaction id.
fn unreadable() -> Out {
    let mut x = Xml::new();
    x.open("SvcCont")
        .open("Response")
        .leaf("RspCode", "9000")
        .leaf("RspDesc", "【实名制信息补录】::接口入参转换异常")
        .close("Response")
        .leaf("GROUP_TRANSACTIONID", "")
        .close("SvcCont");
    Out::Xml(x.finish())
}

/// realNameRecIot: registers the card's holder.
pub fn record(call: &Call) -> Result<Out, Fail> {
    let sent = call
        .p
        .get("certNumber")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fail::bad("必传参数certNumber缺失。"))?;
    if !is_id_number(&plain_value(&call.key, sent)) {
        return Ok(unreadable());
    }
    match call
        .world()
        .set_flag(&call.iccid, "ctcc", Flag::RealName, true)
    {
        Ok(()) => Ok(response_xml(call, "0", "0000", "成功接收消息")),
        Err(crate::world::OpError::Rule(e)) => Ok(response_xml(
            call,
            "1",
            "-5",
            super::codes::refusal_text(&e),
        )),
        Err(_) => Err(Fail::not_found("access_number")),
    }
}

/// ordinaryRealNameClear: clears the card's registration.
pub fn clear(call: &Call) -> Result<Out, Fail> {
    let card = call.card()?;
    if !card.real_name {
        return Ok(Out::Json(json!({
            "resultCode": "-5",
            "resultMsg": "未能查询到实名制信息",
            "GROUP_TRANSACTIONID": call.txid(),
        })));
    }
    match call
        .world()
        .set_flag(&call.iccid, "ctcc", Flag::RealName, false)
    {
        Ok(()) => Ok(Out::Json(json!({
            "resultCode": "0",
            "resultMsg": "处理成功",
            "GROUP_TRANSACTIONID": call.txid(),
        }))),
        Err(crate::world::OpError::Rule(e)) => Ok(Out::Json(json!({
            "resultCode": "-5",
            "resultMsg": super::codes::refusal_text(&e),
            "GROUP_TRANSACTIONID": call.txid(),
        }))),
        Err(_) => Err(Fail::not_found("access_number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers() {
        assert!(is_id_number("11010519491231002X"));
        assert!(is_id_number("110105491231002"));
        assert!(!is_id_number("1101051949123100"));
        assert!(!is_id_number("中文"));
    }

    #[test]
    fn encrypted_values_are_read_back() {
        let k = super::super::des::TripleKey::from_key("abcdefghi");
        let enc = k.enc("11010519491231002X");
        assert_eq!(plain_value(&k, &enc), "11010519491231002X");
        assert_eq!(plain_value(&k, "-1"), "-1");
        assert_eq!(plain_value(&k, ""), "");
    }
}
