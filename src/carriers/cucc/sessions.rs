//! Session, audit and location endpoints: `sessionInfo` (current or last
//! data session), `auditTrails` (the card's change history, from its
//! events) and `locationHistory` (the serving cell's position).

use axum::extract::{RawQuery, State};
use jiff::SignedDuration;
use serde_json::{json, Value};

use super::auth::Caller;
use super::codes::Jasper;
use super::devices::rate_plan_name;
use super::{
    jdate, jdate_opt, ok_json, owned, page_of, ApiError, ApiResult, PathParam, Query, Shared,
};
use crate::domain::{Card, Event, EventKind};
use crate::world::World;

/// Largest `daysOfHistory`.
const MAX_DAYS: usize = 365;

/// `GET /devices/{iccid}/sessionInfo`: an online card has
/// `dateSessionStarted` set and `dateSessionEnded` null; a card that never
/// connected has both null.
pub async fn session_info(
    State(st): State<Shared>,
    caller: Caller,
    PathParam(iccid): PathParam,
) -> ApiResult {
    let id = owned(&st.world, &caller, &iccid)?;
    let card = st.world.card(&id).ok_or_else(|| ApiError::param("gone"))?;
    let s = &card.session;
    let ended = if s.online { None } else { s.ended };
    ok_json(&json!({
        "iccid": card.iccid,
        "ipAddress": if s.started.is_some() { s.ip.as_str() } else { "" },
        "ipv6Address": "",
        "dateSessionStarted": jdate_opt(s.started),
        "dateSessionEnded": jdate_opt(ended),
        "apn": s.apn,
    }))
}

/// One change of a device as the audit trail shows it.
pub struct AuditRow {
    pub field: String,
    pub prior: String,
    pub value: String,
    pub time: jiff::Timestamp,
    /// Who made the change; empty for the platform itself.
    pub user: String,
}

/// The audit row of an event, if the event is a device change.
pub fn audit_row(world: &World, e: &Event) -> Option<AuditRow> {
    let (field, prior, value, user) = match &e.kind {
        EventKind::StateChanged { from, to, .. } => {
            let (a, b) = (Jasper::of(*from), Jasper::of(*to));
            if a == b {
                return None;
            }
            ("status", a.name().to_string(), b.name().to_string(), "")
        }
        EventKind::Edited {
            field,
            from,
            to,
            by,
            ..
        } => {
            // Journal fields are neutral: the plan id becomes ratePlan, a
            // Jasper attribute (`attrs.cucc.<name>`) its wire name.
            if field == "plan" {
                let (from, to) = (rate_plan_name(world, from), rate_plan_name(world, to));
                ("ratePlan", from, to, by.as_str())
            } else {
                let name = field.strip_prefix("attrs.cucc.").unwrap_or(field);
                (name, from.clone(), to.clone(), by.as_str())
            }
        }
        EventKind::ImeiChanged { from, to } => ("imei", from.to_string(), to.to_string(), ""),
        _ => return None,
    };
    Some(AuditRow {
        field: field.to_string(),
        prior,
        value,
        time: e.time,
        user: user.to_string(),
    })
}

/// A card's audit rows since an instant, newest first.
pub fn audit_rows(world: &World, card: &Card, since: jiff::Timestamp) -> Vec<AuditRow> {
    card.events
        .iter()
        .rev()
        .filter(|e| e.time >= since)
        .filter_map(|e| audit_row(world, e))
        .collect()
}

/// One REST audit record.
fn audit_record(r: &AuditRow) -> Value {
    json!({
        "field": r.field,
        "priorValue": r.prior,
        "value": r.value,
        "effectiveDate": jdate(r.time),
        "status": "Executed",
        "userName": if r.user.is_empty() { "System" } else { r.user.as_str() },
        "ipAddress": "",
        "delegatedUser": "",
    })
}

/// `GET /devices/{iccid}/auditTrails?daysOfHistory=30`: newest first.
pub async fn audit_trails(
    State(st): State<Shared>,
    caller: Caller,
    PathParam(iccid): PathParam,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Query::parse(q.as_deref());
    let days = q.int("daysOfHistory", 30)?;
    if days > MAX_DAYS {
        return Err(ApiError::param("daysOfHistory must not exceed 365"));
    }
    let (number, size) = q.paging()?;
    let id = owned(&st.world, &caller, &iccid)?;
    let now = st.world.now();
    let since = now
        .checked_sub(SignedDuration::from_hours(24 * days as i64))
        .unwrap_or(now);
    let card: Card = st.world.card(&id).ok_or_else(|| ApiError::param("gone"))?;
    let rows: Vec<Value> = audit_rows(&st.world, &card, since)
        .iter()
        .map(audit_record)
        .collect();
    let (items, last) = page_of(&rows, number, size);
    ok_json(&json!({
        "iccid": card.iccid,
        "pageNumber": number,
        "lastPage": last,
        "deviceAuditTrails": items,
    }))
}

/// `GET /devices/{iccid}/locationHistory`: the serving cell's position at
/// the last session start, when it falls in `[fromDate, toDate]`.
pub async fn location_history(
    State(st): State<Shared>,
    caller: Caller,
    PathParam(iccid): PathParam,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Query::parse(q.as_deref());
    let from = q.date("fromDate")?;
    let to = q.date("toDate")?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(ApiError::param("toDate is before fromDate"));
        }
    }
    let (number, size) = q.paging()?;
    let id = owned(&st.world, &caller, &iccid)?;
    let card = st.world.card(&id).ok_or_else(|| ApiError::param("gone"))?;
    let s = &card.session;
    let mut rows = Vec::new();
    if let Some(at) = s.started {
        if from.is_none_or(|f| at >= f) && to.is_none_or(|t| at <= t) {
            rows.push(json!({
                "latitude": s.lat,
                "longitude": s.lon,
                "city": s.city,
                "radioAccessType": s.rat,
                "dateLocated": jdate(at),
            }));
        }
    }
    let (items, last) = page_of(&rows, number, size);
    ok_json(&json!({
        "iccid": card.iccid,
        "pageNumber": number,
        "lastPage": last,
        "locationHistory": items,
    }))
}
