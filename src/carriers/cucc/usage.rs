//! Usage endpoints: cycle-to-date usage of a device (`ctdUsages`), its usage
//! per zone and rate plan for a cycle (`usageInZone`) and the usage of every
//! device on a rate plan for a cycle (`GET /usages`). Data in bytes, SMS as
//! counts (MO + MT), voice in seconds. Cycles are calendar months from the
//! 1st, Asia/Shanghai; `cycleStartDate` picks the cycle containing that date.

use axum::extract::{RawQuery, State};
use jiff::civil::Date;
use serde_json::{json, Value};

use super::auth::Caller;
use super::codes::Jasper;
use super::devices::{attr, comm_plan, find_plan, msisdn, plan_label, rate_plan_name};
use super::{ok_json, owned, page_of, ApiError, ApiResult, PathParam, Query, Shared};
use crate::clock::{cycle_of, cycle_start, fmt_local};
use crate::domain::Reason;

/// The only zone the simulated network has.
pub const ZONE: &str = "China";

/// The cycle named by `cycleStartDate` (`2016-11-10Z`, `2016-11-10+00:00`,
/// or a plain date), or the current one.
fn cycle_param(q: &Query, now_cycle: i32) -> Result<i32, ApiError> {
    let Some(v) = q.get("cycleStartDate").filter(|v| !v.is_empty()) else {
        return Ok(now_cycle);
    };
    let bad = || ApiError::param(format!("Invalid cycleStartDate: {v}"));
    let date: Date = v.get(..10).ok_or_else(bad)?.parse().map_err(|_| bad())?;
    let rest = v[10..].replace(' ', "+");
    let suffix_ok = rest.is_empty()
        || rest == "Z"
        || (rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')));
    if !suffix_ok {
        return Err(bad());
    }
    Ok(date.year() as i32 * 12 + date.month() as i32 - 1)
}

/// The cycle's first day as `yyyy-MM-dd+08:00`.
fn cycle_label(cycle: i32) -> String {
    fmt_local(cycle_start(cycle), "%Y-%m-%d+08:00")
}

/// `GET /devices/{iccid}/ctdUsages`.
pub async fn ctd_usages(
    State(st): State<Shared>,
    caller: Caller,
    PathParam(iccid): PathParam,
) -> ApiResult {
    let id = owned(&st.world, &caller, &iccid)?;
    let card = st.world.card(&id).ok_or_else(|| ApiError::param("gone"))?;
    ok_json(&json!({
        "iccid": card.iccid,
        "imsi": card.imsi,
        "msisdn": msisdn(&card),
        "imei": card.imei,
        "status": Jasper::of(card.state).name(),
        "ratePlan": rate_plan_name(&st.world, &card.plan),
        "communicationPlan": comm_plan(&card),
        "ctdDataUsage": card.usage.data_bytes,
        "ctdSMSUsage": card.usage.sms,
        "ctdVoiceUsage": card.usage.voice_seconds,
        "ctdSessionCount": card.session.sessions_this_cycle,
        "overageLimitReached": card.reasons.contains(Reason::OverQuota),
        "overageLimitOverride": attr(&card, "overageLimitOverride").unwrap_or("DEFAULT"),
    }))
}

/// `GET /devices/{iccid}/usageInZone`.
pub async fn usage_in_zone(
    State(st): State<Shared>,
    caller: Caller,
    PathParam(iccid): PathParam,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Query::parse(q.as_deref());
    let id = owned(&st.world, &caller, &iccid)?;
    let cycle = cycle_param(&q, cycle_of(st.world.now()))?;
    let card = st.world.card(&id).ok_or_else(|| ApiError::param("gone"))?;
    let plan = rate_plan_name(&st.world, &card.plan);
    if let Some(rp) = q.get("ratePlan").filter(|v| !v.is_empty()) {
        if find_plan(&st.world, rp).is_none() {
            return Err(ApiError::param(format!("Invalid ratePlan: {rp}")));
        }
    }
    if let Some(a) = q.get("isActiveRatePlan").filter(|v| !v.is_empty()) {
        if a != "true" && a != "false" {
            return Err(ApiError::param(format!("Invalid isActiveRatePlan: {a}")));
        }
    }
    let u = card.usage_in(cycle);
    let wanted_plan = q
        .get("ratePlan")
        .is_none_or(|rp| rp.is_empty() || rp == plan);
    let wanted_zone = q.get("zone").is_none_or(|z| z.is_empty() || z == ZONE);
    let rows: Vec<Value> = if wanted_plan && wanted_zone {
        vec![json!({
            "ratePlan": plan,
            "zone": ZONE,
            "isActiveRatePlan": true,
            "dataUsage": u.data_bytes,
            "smsUsage": u.sms,
            "voiceUsage": u.voice_seconds,
        })]
    } else {
        Vec::new()
    };
    ok_json(&json!({
        "iccid": card.iccid,
        "cycleStartDate": cycle_label(cycle),
        "deviceCycleUsageInZones": { ZONE: rows },
    }))
}

/// `GET /usages?ratePlanName=...`: every device of the caller on the plan.
pub async fn usages(State(st): State<Shared>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult {
    let q = Query::parse(q.as_deref());
    let name = q.need("ratePlanName")?;
    let plan = find_plan(&st.world, name)
        .ok_or_else(|| ApiError::param(format!("Invalid ratePlanName: {name}")))?;
    let cycle = cycle_param(&q, cycle_of(st.world.now()))?;
    let usage_type = match q.get("usageType").filter(|v| !v.is_empty()) {
        None => None,
        Some(t @ ("DATA" | "SMS" | "VOICE")) => Some(t),
        Some(t) => return Err(ApiError::param(format!("Invalid usageType: {t}"))),
    };
    if let Some(v) = q.get("ratePlanVersion").filter(|v| !v.is_empty()) {
        if v.parse::<u64>().is_err() {
            return Err(ApiError::param(format!("Invalid ratePlanVersion: {v}")));
        }
    }
    let (number, size) = q.paging()?;
    let rows: Vec<Value> = super::account_cards(&st.world, &caller.account)
        .iter()
        .filter(|c| c.plan == plan.id)
        .map(|c| {
            let u = c.usage_in(cycle);
            let mut row = json!({"iccid": c.iccid});
            let m = row.as_object_mut().expect("object");
            if usage_type.is_none_or(|t| t == "DATA") {
                m.insert("dataUsage".into(), u.data_bytes.into());
            }
            if usage_type.is_none_or(|t| t == "SMS") {
                m.insert("smsUsage".into(), u.sms.into());
            }
            if usage_type.is_none_or(|t| t == "VOICE") {
                m.insert("voiceUsage".into(), u.voice_seconds.into());
            }
            row
        })
        .collect();
    let (items, last) = page_of(&rows, number, size);
    ok_json(&json!({
        "ratePlanName": plan_label(&plan),
        "cycleStartDate": cycle_label(cycle),
        "pageNumber": number,
        "lastPage": last,
        "deviceCycleUsages": items,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_start_dates_parse() {
        let q = |v: &str| Query::parse(Some(&format!("cycleStartDate={v}")));
        assert_eq!(cycle_param(&q("2026-11-01Z"), 0).unwrap(), 2026 * 12 + 10);
        assert_eq!(
            cycle_param(&q("2026-10-10%2B00:00"), 0).unwrap(),
            2026 * 12 + 9
        );
        assert!(cycle_param(&q("2026-13-01Z"), 0).is_err());
        assert!(cycle_param(&q("2026-11-01junk"), 0).is_err());
        assert_eq!(cycle_param(&Query::parse(None), 7).unwrap(), 7);
    }
}
