//! `/_sim/events`: query the event journal by card, account, type, time
//! range and cursor.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::{bad, cards::find, views, ApiError, ApiResult, ControlState};
use crate::clock::parse_time;
use crate::journal::EventFilter;

pub async fn events(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let parse_t = |k: &str| -> Result<Option<jiff::Timestamp>, ApiError> {
        q.get(k)
            .map(|v| {
                parse_time(v).ok_or_else(|| bad(format!("{k}: '{v}' is not an RFC 3339 time")))
            })
            .transpose()
    };
    let limit = match q.get("limit") {
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0 && *n <= 10_000)
            .ok_or_else(|| bad("limit must be between 1 and 10000"))?,
        None => 100,
    };
    let after = q
        .get("after")
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| bad("after must be an event seq"))
        })
        .transpose()?;
    let iccid = match q.get("card").or(q.get("iccid")) {
        Some(id) => Some(find(&s.world, id)?.to_string()),
        None => None,
    };
    let f = EventFilter {
        iccid,
        account: q.get("account").cloned(),
        types: q
            .get("type")
            .map(|t| t.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        from: parse_t("from")?,
        to: parse_t("to")?,
        after,
        limit,
    };
    let items: Vec<Value> = s.world.journal.query(&f).iter().map(views::event).collect();
    let next = items.last().and_then(|e| e.get("seq")).cloned();
    Ok(Json(json!({"items": items, "next_after": next})))
}
