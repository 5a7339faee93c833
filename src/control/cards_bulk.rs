//! `POST /_sim/cards/bulk`: patch, act on or delete every card a selector
//! matches; each card succeeds or fails on its own, and the answer counts
//! both and names each failure.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Map, Value};

use super::card_patch::{apply_patch, parse_patch, CardPatch};
use super::cards::delete_card;
use super::{bad, find, json_body, ApiError, ApiResult, ControlState};

/// What a bulk request does to each selected card.
enum BulkOp {
    Patch(CardPatch),
    Action(Map<String, Value>),
    Delete,
}

/// `{"selector": {...card filters..., "iccids": [...]}, "patch": {...}}`,
/// or `"action": "stop"` (with its parameters), or `"delete": true`.
pub async fn cards_bulk(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let targets = selected(&s, &m)?;
    let op = bulk_op(&s, &m)?;
    let mut changed = 0usize;
    let mut failed = Vec::new();
    for iccid in &targets {
        let r = match &op {
            BulkOp::Patch(p) => apply_patch(&s.world, iccid, p),
            BulkOp::Action(a) => super::run_action(&s.world, iccid, a),
            BulkOp::Delete => delete_card(&s.world, iccid).map(|_| ()),
        };
        match r {
            Ok(()) => changed += 1,
            Err(ApiError(_, e)) => failed.push(json!({"iccid": iccid, "error": e})),
        }
    }
    Ok(Json(
        json!({"matched": targets.len(), "changed": changed, "failed": failed}),
    ))
}

/// The ICCIDs the `selector` matches: card filters, an explicit list, or
/// `"all": true` (an empty selector is refused, so nothing is hit by
/// accident).
fn selected(s: &ControlState, m: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let sel = m
        .get("selector")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("missing 'selector' (an object of card filters, e.g. {\"carrier\":\"cmcc\",\"tag\":\"crowd\"} or {\"iccids\":[...]})"))?;
    let mut q: HashMap<String, String> = HashMap::new();
    let mut iccids: Option<Vec<String>> = None;
    for (k, v) in sel {
        match (k.as_str(), v) {
            ("iccids", Value::Array(a)) => {
                let mut out = Vec::new();
                for x in a {
                    let id = x.as_str().ok_or_else(|| bad("selector.iccids must be strings"))?;
                    out.push(find(&s.world, id)?.to_string());
                }
                iccids = Some(out);
            }
            ("all", Value::Bool(true)) => {}
            (k @ ("carrier" | "account" | "state" | "reason" | "tag" | "plan" | "pool" | "q"), Value::String(v)) => {
                q.insert(k.to_string(), v.clone());
            }
            (k, _) => return Err(bad(format!("selector: unknown or non-string field '{k}' (carrier, account, state, reason, tag, plan, pool, q, iccids, all)"))),
        }
    }
    if q.is_empty() && iccids.is_none() && sel.get("all") != Some(&Value::Bool(true)) {
        return Err(bad(
            "the selector matches every card: add a filter or \"all\": true",
        ));
    }
    let filter = super::card_filter(&q)?;
    Ok(match iccids {
        Some(list) => list
            .into_iter()
            .filter(|i| s.world.read_card(i, |c| filter.matches(c)).unwrap_or(false))
            .collect(),
        None => {
            let (cards, _) = s.world.list_cards(&filter, 1, usize::MAX);
            cards.into_iter().map(|c| c.iccid.to_string()).collect()
        }
    })
}

/// The operation, checked completely before any card changes.
fn bulk_op(s: &ControlState, m: &Map<String, Value>) -> Result<BulkOp, ApiError> {
    if let Some(p) = m.get("patch") {
        let p = p
            .as_object()
            .ok_or_else(|| bad("'patch' must be an object"))?;
        Ok(BulkOp::Patch(parse_patch(&s.world, p)?))
    } else if m.get("delete") == Some(&Value::Bool(true)) {
        Ok(BulkOp::Delete)
    } else if m.get("action").is_some() {
        let mut a = m.clone();
        a.remove("selector");
        super::check_action(&a)?;
        Ok(BulkOp::Action(a))
    } else {
        Err(bad(
            "give one of 'patch' (object), 'action' (string) or \"delete\": true",
        ))
    }
}
