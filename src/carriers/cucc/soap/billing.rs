//! Billing service operations (`/ws/service/billing`): a terminal's usage
//! totals for one billing cycle (`GetTerminalUsage`) and its usage details
//! (`GetTerminalUsageDataDetails`). Data volumes are megabytes in the
//! totals and kilobytes in the details, as the Jasper schema documents
//! them. Cycles are the world's calendar months (Asia/Shanghai);
//! `cycleStartDate` names any day of the cycle. The simulator keeps usage
//! per day, not per data session, so each usage detail is one day's
//! traffic (documented in `docs/cucc.md`).

use jiff::civil::Date;

use super::faults::{Fault, FaultKind};
use super::{finish, mb, need, opt_int, owned_terminal, respond, total_pages, Call, OpResult};
use crate::carriers::cucc::devices::{attr, rate_plan_name};
use crate::carriers::cucc::usage::ZONE;
use crate::clock::{cycle_of, cycle_start, day_date, from_local};
use crate::domain::Card;

/// Usage details per page of `GetTerminalUsageDataDetails`.
const DETAILS_PAGE: usize = 50;

/// The cycle named by a `cycleStartDate` (`2018-08-01Z`,
/// `2016-04-23+00:00`, `2018-08-01`).
fn cycle_param(v: &str) -> Result<i32, Fault> {
    let bad = || {
        Fault::Validation(format!(
            "cvc-datatype-valid.1.2.1: '{v}' is not a valid value for 'date'"
        ))
    };
    let date: Date = v.get(..10).ok_or_else(bad)?.parse().map_err(|_| bad())?;
    let rest = &v[10..];
    let zone_ok = rest.is_empty()
        || rest == "Z"
        || (rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')));
    if !zone_ok {
        return Err(bad());
    }
    Ok(i32::from(date.year()) * 12 + i32::from(date.month()) - 1)
}

/// The first day of a cycle as an `xs:date` (`2018-08-01+08:00`: cycles
/// start at Beijing midnight).
fn cycle_date(cycle: i32) -> String {
    crate::clock::fmt_local(cycle_start(cycle), "%Y-%m-%d+08:00")
}

/// Whether the card has usage records for a cycle: the current one, or one
/// kept in its monthly history.
fn has_cycle(card: &Card, cycle: i32) -> bool {
    cycle == card.cycle || card.months.iter().any(|(c, _)| *c == cycle)
}

/// `GetTerminalUsage`: `iccid`, `cycleStartDate` → the cycle's totals.
/// Without a `cycleStartDate`, or for a cycle with no usage record, the
/// platform answers `200200`; the open cycle answers with `billable` false.
pub fn get_terminal_usage(call: &Call) -> OpResult {
    let r = call.request;
    let id = owned_terminal(call, need(r, "iccid")?)?;
    let Some(raw) = r.text_of("cycleStartDate") else {
        return Err(Fault::new(
            FaultKind::NoUsage,
            "cycleStartDate is required to find terminal usage",
        ));
    };
    let cycle = cycle_param(raw)?;
    let world = call.world();
    let card = world
        .card(&id)
        .ok_or_else(|| Fault::new(FaultKind::TerminalNotFound, "Terminal not found"))?;
    if !has_cycle(&card, cycle) {
        return Err(Fault::new(
            FaultKind::NoUsage,
            format!("No usage of {} in the cycle of {raw}", card.iccid),
        ));
    }
    let u = card.usage_in(cycle);
    let billable = cycle < cycle_of(world.now());
    let data = mb(u.data_bytes);
    let mut o = respond(call, "GetTerminalUsage");
    o.leaf("iccid", &card.iccid);
    o.opt("terminalId", attr(&card, "deviceID"));
    o.opt("customer", attr(&card, "customer"));
    o.leaf("totalDataVolume", &data);
    o.leaf("billableDataVolume", &data);
    o.leaf("cycleStartDate", &cycle_date(cycle));
    o.leaf("billable", if billable { "true" } else { "false" });
    o.leaf("totalSMSVolume", &u.sms.to_string());
    o.leaf("totalVoiceVolume", &u.voice_seconds.to_string());
    o.leaf("billableSMSVolume", &u.sms.to_string());
    o.leaf("billableVoiceVolume", &u.voice_seconds.to_string());
    o.leaf("ratePlan", &rate_plan_name(world, &card.plan));
    o.leaf("eventsUsage", "0");
    o.leaf("totalEvents", "0");
    finish(o, "GetTerminalUsage")
}

/// `GetTerminalUsageDataDetails`: `iccid`, `cycleStartDate`, `pageNumber?`
/// → `usageDetails/usageDetail*` (one per day with data traffic, newest
/// first, `dataVolume` in KB), `totalPages`. Without `pageNumber` every
/// detail comes on one page.
pub fn get_terminal_usage_data_details(call: &Call) -> OpResult {
    let r = call.request;
    let id = owned_terminal(call, need(r, "iccid")?)?;
    let cycle = cycle_param(need(r, "cycleStartDate")?)?;
    let page = opt_int(r, "pageNumber")?;
    let world = call.world();
    let card = world
        .card(&id)
        .ok_or_else(|| Fault::new(FaultKind::TerminalNotFound, "Terminal not found"))?;
    let billable = cycle < cycle_of(world.now());
    let days: Vec<(i32, u64)> = crate::domain::usage::daily(&card)
        .iter()
        .rev()
        .filter(|(d, u)| u.data_bytes > 0 && cycle_of(day_start(*d)) == cycle)
        .map(|(d, u)| (*d, u.data_bytes))
        .collect();
    let (rows, pages) = match page {
        None => (&days[..], 1),
        Some(p) => {
            let start = (p as usize - 1)
                .saturating_mul(DETAILS_PAGE)
                .min(days.len());
            let end = (start + DETAILS_PAGE).min(days.len());
            (&days[start..end], total_pages(days.len(), DETAILS_PAGE))
        }
    };
    let mut o = respond(call, "GetTerminalUsageDataDetails");
    o.open("usageDetails");
    for (day, bytes) in rows {
        o.open("usageDetail");
        o.leaf("iccid", &card.iccid);
        o.leaf("cycleStartDate", &cycle_date(cycle));
        o.opt("terminalId", attr(&card, "deviceID"));
        o.opt("customer", attr(&card, "customer"));
        o.leaf("billable", if billable { "true" } else { "false" });
        o.leaf("zone", ZONE);
        o.leaf("sessionStartTime", &super::xdatetime(day_start(*day)));
        o.leaf("duration", "86400");
        o.leaf("dataVolume", &format!("{:.3}", *bytes as f64 / 1024.0));
        o.leaf("countryCode", "CN");
        o.leaf("serviceType", "Standard");
        o.close("usageDetail");
    }
    o.close("usageDetails");
    o.leaf("totalPages", &pages.to_string());
    finish(o, "GetTerminalUsageDataDetails")
}

/// Beijing midnight starting a day number.
fn day_start(day: i32) -> jiff::Timestamp {
    from_local(day_date(day).to_datetime(jiff::civil::Time::midnight()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_dates_parse_in_the_forms_clients_send() {
        assert_eq!(cycle_param("2018-08-01Z").unwrap(), 2018 * 12 + 7);
        assert_eq!(cycle_param("2016-04-23+00:00").unwrap(), 2016 * 12 + 3);
        assert_eq!(cycle_param("2018-08-01").unwrap(), 2018 * 12 + 7);
        assert!(cycle_param("2018-08").is_err());
        assert!(cycle_param("2018-08-01X").is_err());
    }
}
