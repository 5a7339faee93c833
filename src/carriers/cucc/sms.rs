//! SMS endpoints: send an MT message to a device (`POST
//! /devices/{iccid}/smsMessages`, delivered to the card's inbox), search
//! messages (`GET /smsMessages`) and read one (`GET /smsMessages/{id}`).
//! MT messages are the card's inbox, MO messages its outbox (including its
//! exchanges with 10010); message ids are the world's global ids.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use base64::Engine as _;
use serde_json::{json, Value};

use super::auth::Caller;
use super::codes::ErrorKind;
use super::devices::msisdn;
use super::{jdate, ok_json, owned, page_of, ApiError, ApiResult, PathParam, Query, Shared};
use crate::domain::card::Message;
use crate::domain::Card;

/// Sender shown when the account has no short code.
pub const DEFAULT_SENDER: &str = "10646";
/// Longest message text accepted.
const MAX_TEXT: usize = 1600;

/// `POST /devices/{iccid}/smsMessages` → `{"smsMessageId": n}`.
pub async fn send(
    State(st): State<Shared>,
    caller: Caller,
    PathParam(iccid): PathParam,
    body: Body,
) -> ApiResult {
    let id = owned(&st.world, &caller, &iccid)?;
    let fields = super::read_json_object(body).await?;
    let mut text = None;
    let mut base64 = false;
    for (k, v) in &fields {
        match (k.as_str(), v) {
            ("messageText", Value::String(s)) => text = Some(s.clone()),
            ("messageEncoding", Value::String(s)) => match s.as_str() {
                "LITERAL" | "" => {}
                "BASE64" => base64 = true,
                other => return Err(ApiError::param(format!("Invalid messageEncoding: {other}"))),
            },
            ("dataCoding" | "tpvp", Value::Number(n)) if n.is_u64() => {}
            ("callbackParam", Value::Object(_) | Value::Null) => {}
            ("messageText" | "messageEncoding" | "dataCoding" | "tpvp" | "callbackParam", _) => {
                return Err(ApiError::param(format!("{k} has the wrong type")))
            }
            (other, _) => return Err(ApiError::param(format!("Unknown field: {other}"))),
        }
    }
    let mut text = text.ok_or_else(|| ApiError::param("messageText is required"))?;
    if base64 {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| ApiError::param("messageText is not valid BASE64"))?;
        text = String::from_utf8(raw).map_err(|_| ApiError::param("messageText is not UTF-8"))?;
    }
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        return Err(ApiError::param("messageText must be 1 to 1600 characters"));
    }
    let sender = st
        .world
        .account(&caller.account)
        .and_then(|a| {
            a.credentials
                .smpp
                .and_then(|s| s.short_codes.into_iter().next())
        })
        .unwrap_or_else(|| DEFAULT_SENDER.to_string());
    let msg = st.world.deliver_to_card(&id, &sender, &text)?;
    ok_json(&json!({ "smsMessageId": msg.id }))
}

/// Every message of a card with its type (`MT` inbox, `MO` outbox).
fn messages(card: &Card) -> impl Iterator<Item = (&'static str, &Message)> {
    card.inbox
        .iter()
        .map(|m| ("MT", m))
        .chain(card.outbox.iter().map(|m| ("MO", m)))
}

/// `GET /smsMessages?fromDate=...` → `{"smsMsgIds","pageNumber","lastPage"}`.
pub async fn search(State(st): State<Shared>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult {
    let q = Query::parse(q.as_deref());
    q.need("fromDate")?;
    let from = q.date("fromDate")?.unwrap_or_default();
    let to = q.date("toDate")?;
    let msg_type = match q.get("msgType").filter(|v| !v.is_empty()) {
        None => None,
        Some(t @ ("MO" | "MT")) => Some(t),
        Some(t) => return Err(ApiError::param(format!("Invalid msgType: {t}"))),
    };
    let (number, size) = q.paging()?;
    let only = match q.get("iccid").filter(|v| !v.is_empty()) {
        Some(i) => Some(owned(&st.world, &caller, i)?),
        None => None,
    };
    let foreign = q
        .get("accountId")
        .is_some_and(|a| !a.is_empty() && a != caller.account_no);
    let mut ids: Vec<u64> = Vec::new();
    if !foreign {
        for card in super::account_cards(&st.world, &caller.account) {
            if only.as_ref().is_some_and(|i| *i != card.iccid) {
                continue;
            }
            ids.extend(
                messages(&card)
                    .filter(|(t, m)| {
                        msg_type.is_none_or(|x| x == *t)
                            && m.time >= from
                            && to.is_none_or(|to| m.time <= to)
                    })
                    .map(|(_, m)| m.id),
            );
        }
    }
    ids.sort_unstable();
    let (items, last) = page_of(&ids, number, size);
    ok_json(&json!({"smsMsgIds": items, "pageNumber": number, "lastPage": last}))
}

/// `GET /smsMessages/{smsMsgId}?messageEncoding=LITERAL|BASE64`.
pub async fn details(
    State(st): State<Shared>,
    caller: Caller,
    PathParam(id): PathParam,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Query::parse(q.as_deref());
    let wanted: u64 = id
        .parse()
        .map_err(|_| ApiError::param(format!("Invalid smsMsgId: {id}")))?;
    let base64 = match q.get("messageEncoding").unwrap_or("LITERAL") {
        "LITERAL" | "" => false,
        "BASE64" => true,
        other => return Err(ApiError::param(format!("Invalid messageEncoding: {other}"))),
    };
    for card in super::account_cards(&st.world, &caller.account) {
        let Some((t, m)) = messages(&card).find(|(_, m)| m.id == wanted) else {
            continue;
        };
        let text = if base64 {
            base64::engine::general_purpose::STANDARD.encode(m.text.as_bytes())
        } else {
            m.text.clone()
        };
        let own = msisdn(&card);
        let (from, to, status) = if t == "MT" {
            (m.peer.to_string(), own, "Delivered")
        } else {
            (own, m.peer.to_string(), "Received")
        };
        return ok_json(&json!({
            "smsMsgId": m.id,
            "status": status,
            "messageText": text,
            "senderLogin": if t == "MT" { caller.username.as_str() } else { "" },
            "iccid": card.iccid,
            "sentTo": to,
            "sentFrom": from,
            "msgType": t,
            "dateSent": jdate(m.time),
            "dateReceived": jdate(m.time),
            "dateModified": jdate(m.time),
        }));
    }
    Err(ApiError::with(
        ErrorKind::NotFound,
        format!("SMS message not found: {wanted}"),
    ))
}
