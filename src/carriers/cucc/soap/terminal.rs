//! Terminal service operations (`/ws/service/terminal`): details of up to 50
//! ICCIDs, edits by `changeType`, terminals modified since an instant
//! (oldest change first, 50 per page), the current data session, the rate
//! plan rating, the audit trail, and look-ups by MSISDN and IMSI. Element
//! names and order follow the Jasper schema (see `wsdl/JasperAPI.xsd`);
//! values are the ones Unicom's platform writes (spec: shared facts in
//! `docs/cucc.md`, "SOAP API").

use jiff::civil::Date;
use jiff::SignedDuration;

use super::faults::{Fault, FaultKind};
use super::xml::Out;
use super::{
    finish, mb, need, opt_int, owned_terminal, respond, total_pages, xdate, xdatetime, Call,
    OpResult,
};
use crate::carriers::cucc::codes::{self, Jasper};
use crate::carriers::cucc::devices::{
    apply_edit, attr, find_plan, msisdn, rate_plan_name, OVERRIDES,
};
use crate::carriers::cucc::sessions::{audit_row, audit_rows};
use crate::domain::{Card, CardState, Carrier, Reason};
use crate::store::CardRef;
use crate::world::{OpError, Since, World};

/// Most ICCIDs, MSISDNs or IMSIs in one request (schema `maxOccurs`).
pub const MAX_ENTRIES: usize = 50;
/// ICCIDs per `GetModifiedTerminals` page (a captured response holds 50).
pub const MODIFIED_PAGE: usize = 50;
/// Audit records per `GetTerminalAuditTrail` page.
const AUDIT_PAGE: usize = 50;
/// Largest `daysOfHistory`.
const MAX_DAYS: u32 = 365;

/// The SOAP status name of a Jasper status (`ACTIVATED_NAME`).
pub fn status_name(s: Jasper) -> String {
    format!("{}_NAME", s.name())
}

/// A SOAP status name, with or without the `_NAME` suffix.
pub fn parse_status(v: &str) -> Option<Jasper> {
    Jasper::parse(v.strip_suffix("_NAME").unwrap_or(v))
}

/// The SOAP custom fields and the card attributes (REST names) they show.
const CUSTOMS: [(&str, &str); 20] = [
    ("custom1", "accountCustom1"),
    ("custom2", "accountCustom2"),
    ("custom3", "accountCustom3"),
    ("customerCustom1", "customerCustom1"),
    ("customerCustom2", "customerCustom2"),
    ("customerCustom3", "customerCustom3"),
    ("customerCustom4", "customerCustom4"),
    ("customerCustom5", "customerCustom5"),
    ("operatorCustom1", "operatorCustom1"),
    ("operatorCustom2", "operatorCustom2"),
    ("operatorCustom3", "operatorCustom3"),
    ("operatorCustom4", "operatorCustom4"),
    ("operatorCustom5", "operatorCustom5"),
    ("custom4", "accountCustom4"),
    ("custom5", "accountCustom5"),
    ("custom6", "accountCustom6"),
    ("custom7", "accountCustom7"),
    ("custom8", "accountCustom8"),
    ("custom9", "accountCustom9"),
    ("custom10", "accountCustom10"),
];

fn custom(card: &Card, soap_name: &str) -> String {
    let attr_name = CUSTOMS
        .iter()
        .find(|(s, _)| *s == soap_name)
        .map_or(soap_name, |(_, a)| a);
    attr(card, attr_name).unwrap_or("").to_string()
}

/// The record revision: how many changes the card's history shows.
fn revision(world: &World, card: &Card) -> usize {
    card.events
        .iter()
        .filter(|e| audit_row(world, e).is_some())
        .count()
}

/// One `<ns2:terminal msisdn="...">` in the schema's element order.
fn write_terminal(o: &mut Out, world: &World, card: &Card, account_no: &str) {
    let m = msisdn(card);
    o.open_with("terminal", &[("msisdn", &m)]);
    o.leaf("iccid", &card.iccid);
    o.opt("terminalId", attr(card, "deviceID"));
    o.opt("modemId", attr(card, "modemID"));
    o.opt("customer", attr(card, "customer"));
    o.leaf("suspended", "N");
    o.leaf("ratePlan", &rate_plan_name(world, &card.plan));
    o.leaf("status", &status_name(Jasper::of(card.state)));
    let data = mb(card.usage.data_bytes);
    o.leaf("monthToDateUsage", &data);
    o.leaf(
        "overageLimitReached",
        if card.reasons.contains(Reason::OverQuota) {
            "true"
        } else {
            "false"
        },
    );
    o.leaf(
        "overageLimitOverride",
        attr(card, "overageLimitOverride").unwrap_or("DEFAULT"),
    );
    o.opt("dateActivated", card.activated.map(xdatetime).as_deref());
    o.leaf("dateAdded", &xdatetime(card.opened));
    o.leaf("dateModified", &xdatetime(card.updated));
    o.leaf("dateShipped", &xdatetime(card.opened));
    o.leaf("monthToDateDataUsage", &data);
    o.leaf("monthToDateSMSUsage", &card.usage.sms.to_string());
    o.leaf(
        "monthToDateVoiceUsage",
        &card.usage.voice_seconds.to_string(),
    );
    o.leaf("secureSimId", "");
    for c in ["custom1", "custom2", "custom3"] {
        o.leaf(c, &custom(card, c));
    }
    o.leaf("rating", "");
    o.leaf("secureSimUsernameCopyRule", "N");
    o.leaf("secureSimPasswordCopyRule", "N");
    o.leaf(
        "accountId",
        if account_no.is_empty() {
            "0"
        } else {
            account_no
        },
    );
    o.leaf_or_nil("fixedIpAddress", attr(card, "ipv4Address"));
    o.leaf(
        "ctdSessionCount",
        &card.session.sessions_this_cycle.to_string(),
    );
    for (soap_name, _) in &CUSTOMS[3..13] {
        o.leaf(soap_name, &custom(card, soap_name));
    }
    o.leaf("imsi", &card.imsi);
    o.leaf("primaryICCID", "");
    o.leaf("imei", &card.imei);
    o.leaf("globalSimType", "");
    o.opt("simNotes", attr(card, "simNotes"));
    o.leaf("version", &revision(world, card).to_string());
    for (soap_name, _) in &CUSTOMS[13..] {
        o.leaf(soap_name, &custom(card, soap_name));
    }
    o.close("terminal");
}

/// Checks the number of repeated entries.
fn check_count(n: usize, what: &str) -> Result<(), Fault> {
    if n > MAX_ENTRIES {
        return Err(Fault::new(
            FaultKind::TooManyEntries,
            format!("{n} {what} given; at most {MAX_ENTRIES} per request"),
        ));
    }
    Ok(())
}

/// Resolves the ICCIDs of a look-up: unknown ones are left out (the schema
/// says so), another account's fault with `400201`.
fn owned_or_skip(call: &Call, iccid: &str) -> Result<Option<compact_str::CompactString>, Fault> {
    match owned_terminal(call, iccid) {
        Ok(id) => Ok(Some(id)),
        Err(f) if f.kind() == Some(FaultKind::TerminalNotFound) => Ok(None),
        Err(f) => Err(f),
    }
}

/// `GetTerminalDetails`: `iccids/iccid+` → `terminals/terminal+`. Unknown
/// ICCIDs are omitted; none found at all is `100100`.
pub fn get_terminal_details(call: &Call) -> OpResult {
    let iccids: Vec<&str> = call
        .request
        .child("iccids")
        .map(|w| w.all("iccid").map(|i| i.text.trim()).collect())
        .unwrap_or_default();
    if iccids.is_empty() {
        return Err(Fault::new(
            FaultKind::TerminalNotFound,
            "No ICCID given in iccids",
        ));
    }
    check_count(iccids.len(), "ICCIDs")?;
    let mut ids = Vec::with_capacity(iccids.len());
    for i in &iccids {
        if let Some(id) = owned_or_skip(call, i)? {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(Fault::new(
            FaultKind::TerminalNotFound,
            format!("Terminal not found: {}", iccids.join(",")),
        ));
    }
    let world = call.world();
    let mut o = respond(call, "GetTerminalDetails");
    o.open("terminals");
    for id in &ids {
        world.read_card(id, |c| {
            write_terminal(&mut o, world, c, &call.caller.account_no)
        });
    }
    o.close("terminals");
    finish(o, "GetTerminalDetails")
}

/// What an `EditTerminal` change type edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Status,
    RatePlan,
    /// A card attribute (REST field name) with its longest value.
    Field(&'static str, usize),
    /// `overageLimitOverride` (one of `OVERRIDES`).
    Override,
}

/// `changeType` numbers of the Jasper schema and what they edit.
const CHANGE_TYPES: [(u32, Change); 26] = [
    (1, Change::Field("deviceID", 50)),
    (2, Change::Field("modemID", 40)),
    (3, Change::Status),
    (4, Change::RatePlan),
    (6, Change::Field("customer", 100)),
    (7, Change::Override),
    (17, Change::Field("accountCustom1", 100)),
    (18, Change::Field("accountCustom2", 100)),
    (19, Change::Field("accountCustom3", 100)),
    (42, Change::Field("operatorCustom1", 100)),
    (43, Change::Field("operatorCustom2", 100)),
    (44, Change::Field("operatorCustom3", 100)),
    (45, Change::Field("operatorCustom4", 100)),
    (46, Change::Field("operatorCustom5", 100)),
    (47, Change::Field("customerCustom1", 100)),
    (48, Change::Field("customerCustom2", 100)),
    (49, Change::Field("customerCustom3", 100)),
    (50, Change::Field("customerCustom4", 100)),
    (51, Change::Field("customerCustom5", 100)),
    (73, Change::Field("accountCustom4", 100)),
    (74, Change::Field("accountCustom5", 100)),
    (75, Change::Field("accountCustom6", 100)),
    (76, Change::Field("accountCustom7", 100)),
    (77, Change::Field("accountCustom8", 100)),
    (78, Change::Field("accountCustom9", 100)),
    (79, Change::Field("accountCustom10", 100)),
];

/// An `InvalidEdit` fault with the schema's reason token first.
fn edit_fault(token: &str, why: impl std::fmt::Display) -> Fault {
    Fault::new(FaultKind::InvalidEdit, format!("{token}: {why}"))
}

/// Reads an `xs:date` (`2016-05-27`, `2016-05-27Z`, `2016-05-27+08:00`).
fn parse_xs_date(v: &str) -> Option<Date> {
    let date: Date = v.get(..10)?.parse().ok()?;
    let rest = &v[10..];
    let zone_ok = rest.is_empty()
        || rest == "Z"
        || (rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')));
    zone_ok.then_some(date)
}

/// `EditTerminal`: `iccid`, `effectiveDate?`, `targetValue?`, `changeType`
/// → `iccid`, `effectiveDate`. Changes apply at once, so an
/// `effectiveDate` must be today (UTC); the audit trail and
/// `GetModifiedTerminals` see the change.
pub fn edit_terminal(call: &Call) -> OpResult {
    let r = call.request;
    let iccid = need(r, "iccid")?;
    let raw_type = need(r, "changeType")?;
    let change_type: u32 = raw_type.parse().map_err(|_| {
        Fault::Validation(format!(
            "cvc-datatype-valid.1.2.1: '{raw_type}' is not a valid value for 'integer'"
        ))
    })?;
    let id = owned_terminal(call, iccid)?;
    let Some((_, change)) = CHANGE_TYPES.iter().find(|(n, _)| *n == change_type) else {
        return Err(Fault::new(
            FaultKind::InvalidChangeType,
            format!("changeType {change_type} is not supported"),
        ));
    };
    let today = jiff::tz::Offset::UTC.to_datetime(call.world().now()).date();
    if let Some(v) = r.text_of("effectiveDate") {
        let date = parse_xs_date(v).ok_or_else(|| {
            Fault::Validation(format!(
                "cvc-datatype-valid.1.2.1: '{v}' is not a valid value for 'date'"
            ))
        })?;
        if date < today {
            let token = if *change == Change::Status {
                "ACTIVATION_IN_PAST"
            } else {
                "INVALID_EFFECTIVE_DATE"
            };
            return Err(edit_fault(
                token,
                format!("effectiveDate {v} is in the past"),
            ));
        }
        if date > today {
            return Err(edit_fault(
                "INVALID_EFFECTIVE_DATE",
                format!("effectiveDate {v}: carrier-sim applies changes at once, so only today ({today}) is accepted"),
            ));
        }
    }
    let target = r.text_of("targetValue");
    let mut status = None;
    let mut plan = None;
    let mut edits: Vec<(String, String)> = Vec::new();
    match *change {
        Change::Status => {
            let v = target.ok_or_else(|| edit_fault("SIMSTATUS_NULL", "targetValue is empty"))?;
            status = Some(parse_status(v).ok_or_else(|| {
                edit_fault("SIMSTATUS_INVALID", format!("unknown SIM status {v}"))
            })?);
        }
        Change::RatePlan => {
            let v = target.ok_or_else(|| edit_fault("RATEPLAN_NULL", "targetValue is empty"))?;
            plan =
                Some(find_plan(call.world(), v).ok_or_else(|| {
                    edit_fault("RATEPLAN_INVALID", format!("unknown rate plan {v}"))
                })?);
        }
        Change::Override => {
            let v =
                target.ok_or_else(|| edit_fault("OVERRIDEMODE_NULL", "targetValue is empty"))?;
            if !OVERRIDES.contains(&v) {
                return Err(edit_fault(
                    "OVERRIDEMODE_INVALID",
                    format!("unknown override mode {v}"),
                ));
            }
            edits.push(("overageLimitOverride".into(), v.to_string()));
        }
        Change::Field(name, max) => {
            let v = target.unwrap_or("");
            if v.chars().count() > max || v.contains(',') || v.contains('*') {
                let token = match name {
                    "deviceID" => "DEVICEID_INVALID_FORMAT",
                    "modemID" => "MODEMID_INVALID_FORMAT",
                    "customer" => "CUSTOMER_INVALID_FORMAT",
                    _ => "INVALID_FORMAT",
                };
                return Err(edit_fault(
                    token,
                    format!("{name}: at most {max} characters, no ',' or '*'"),
                ));
            }
            edits.push((name.to_string(), v.to_string()));
        }
    }
    apply_edit(
        call.world(),
        &id,
        status,
        plan,
        &edits,
        &call.caller.username,
    )
    .map_err(|e| match e {
        OpError::NotFound => Fault::new(FaultKind::TerminalNotFound, "Terminal not found"),
        OpError::NoPlan(p) => Fault::new(FaultKind::Internal, format!("rate plan {p} is missing")),
        OpError::Rule(rule) => edit_fault(
            "SIMSTATUS_INVALID_TRANSITION",
            codes::refusal_message(&rule),
        ),
    })?;
    let mut o = respond(call, "EditTerminal");
    o.leaf("iccid", &id);
    o.leaf("effectiveDate", &xdate(call.world().now()));
    finish(o, "EditTerminal")
}

/// `simState` values of `GetModifiedTerminals` and the statuses they match.
fn sim_state_matches(sim_state: &str, s: Jasper) -> Option<bool> {
    Some(match sim_state {
        "ACTIVATIONREADY" => s == Jasper::ActivationReady,
        "ACTIVATED" => s == Jasper::Activated,
        "DEACTIVATED" => s == Jasper::Deactivated,
        "PURGED" => s == Jasper::Purged,
        "UNKNOWN" => !matches!(
            s,
            Jasper::ActivationReady | Jasper::Activated | Jasper::Deactivated | Jasper::Purged
        ),
        _ => return None,
    })
}

/// `GetModifiedTerminals`: `since?` (exclusive), `simState?`, `pageNumber?`
/// → `iccids/iccid*` oldest change first, 50 per page, then `totalPages`.
pub fn get_modified_terminals(call: &Call) -> OpResult {
    let r = call.request;
    let since = match r.text_of("since") {
        None => None,
        Some(v) => Some(super::parse_datetime(v).ok_or_else(|| {
            Fault::Validation(format!(
                "cvc-datatype-valid.1.2.1: '{v}' is not a valid value for 'dateTime'"
            ))
        })?),
    };
    let sim_state = r.text_of("simState");
    if let Some(s) = sim_state {
        if sim_state_matches(s, Jasper::Activated).is_none() {
            return Err(Fault::Validation(format!(
                "cvc-enumeration-valid: value '{s}' is not facet-valid with respect to enumeration '[ACTIVATIONREADY, ACTIVATED, DEACTIVATED, PURGED, UNKNOWN]'"
            )));
        }
    }
    let page = opt_int(r, "pageNumber")?.unwrap_or(1) as usize;
    let world = call.world();
    let wanted = |c: &Card| {
        sim_state.is_none_or(|s| sim_state_matches(s, Jasper::of(c.state)) == Some(true))
    };
    let filter: Option<&dyn Fn(&Card) -> bool> =
        sim_state.map(|_| &wanted as &dyn Fn(&Card) -> bool);
    // The REST search's change index: oldest change first, O(page) without
    // a `simState` filter.
    let changes = world.card_changes(
        &call.caller.account,
        since.map_or(Since::All, Since::After),
        None,
        filter,
        page.saturating_sub(1).saturating_mul(MODIFIED_PAGE),
        MODIFIED_PAGE,
        true,
        |change, _| change.iccid.clone(),
    );
    let pages = total_pages(changes.matched, MODIFIED_PAGE);
    let mut o = respond(call, "GetModifiedTerminals");
    o.open("iccids");
    for iccid in &changes.items {
        o.leaf("iccid", iccid);
    }
    o.close("iccids");
    o.leaf("totalPages", &pages.to_string());
    finish(o, "GetModifiedTerminals")
}

/// `GetSessionInfo`: `iccid+` → `sessionInfo/session*`; a terminal that is
/// not in a data session has no `session` element.
pub fn get_session_info(call: &Call) -> OpResult {
    let iccids: Vec<&str> = call.request.all("iccid").map(|i| i.text.trim()).collect();
    if iccids.is_empty() {
        return Err(Fault::Validation(
            "cvc-complex-type.2.4: the element 'iccid' of 'GetSessionInfoRequest' is required"
                .into(),
        ));
    }
    check_count(iccids.len(), "ICCIDs")?;
    let mut ids = Vec::new();
    for i in &iccids {
        ids.push(owned_terminal(call, i)?);
    }
    let world = call.world();
    let mut o = respond(call, "GetSessionInfo");
    o.open("sessionInfo");
    for id in &ids {
        world.read_card(id, |c| {
            let s = &c.session;
            if let (true, Some(started)) = (s.online, s.started) {
                o.open("session");
                o.leaf("iccid", &c.iccid);
                o.leaf("ipAddress", &s.ip);
                o.leaf("dateSessionStarted", &xdatetime(started));
                o.nil("dateSessionEnded");
                o.close("session");
            }
        });
    }
    o.close("sessionInfo");
    finish(o, "GetSessionInfo")
}

/// `GetTerminalRating`: `iccid` → `iccid`, `terminalRatings/terminalRating`
/// for the current rate plan (no queued plans in the simulator).
pub fn get_terminal_rating(call: &Call) -> OpResult {
    let id = owned_terminal(call, need(call.request, "iccid")?)?;
    let world = call.world();
    let card = world
        .card(&id)
        .ok_or_else(|| Fault::new(FaultKind::TerminalNotFound, "Terminal not found"))?;
    let plan = world.plan(&card.plan);
    let mut o = respond(call, "GetTerminalRating");
    o.leaf("iccid", &card.iccid);
    o.open("terminalRatings");
    o.open("terminalRating");
    o.leaf("ratePlanName", &rate_plan_name(world, &card.plan));
    o.opt("expirationDate", card.expires.map(xdatetime).as_deref());
    if let Some(p) = &plan {
        o.leaf("termLength", &p.term_months.to_string());
        if p.data_bytes > 0 {
            o.leaf(
                "dataRemaining",
                &mb(p.data_bytes.saturating_sub(card.usage.data_bytes)),
            );
        }
    }
    o.close("terminalRating");
    o.close("terminalRatings");
    finish(o, "GetTerminalRating")
}

/// `GetTerminalAuditTrail`: `iccid`, `daysOfHistory?` (30), `pageNumber?`
/// → `terminalAuditTrails/terminalAuditTrail*` newest first, `totalPages`.
pub fn get_terminal_audit_trail(call: &Call) -> OpResult {
    let r = call.request;
    let id = owned_terminal(call, need(r, "iccid")?)?;
    let days = opt_int(r, "daysOfHistory")?.unwrap_or(30);
    if days > MAX_DAYS {
        return Err(Fault::Validation(format!(
            "cvc-maxInclusive-valid: daysOfHistory {days} exceeds {MAX_DAYS}"
        )));
    }
    let page = opt_int(r, "pageNumber")?.unwrap_or(1) as usize;
    let world = call.world();
    let now = world.now();
    let since = now
        .checked_sub(SignedDuration::from_hours(24 * i64::from(days)))
        .unwrap_or(now);
    let card = world
        .card(&id)
        .ok_or_else(|| Fault::new(FaultKind::TerminalNotFound, "Terminal not found"))?;
    let rows = audit_rows(world, &card, since);
    let start = (page - 1).saturating_mul(AUDIT_PAGE).min(rows.len());
    let end = (start + AUDIT_PAGE).min(rows.len());
    let mut o = respond(call, "GetTerminalAuditTrail");
    o.open("terminalAuditTrails");
    for row in &rows[start..end] {
        o.open("terminalAuditTrail");
        o.leaf("field", &row.field);
        o.leaf("priorValue", &row.prior);
        o.leaf("value", &row.value);
        o.leaf("effectiveDate", &xdatetime(row.time));
        o.leaf("status", "Executed");
        o.leaf(
            "userName",
            if row.user.is_empty() {
                "System"
            } else {
                &row.user
            },
        );
        o.close("terminalAuditTrail");
    }
    o.close("terminalAuditTrails");
    o.leaf(
        "totalPages",
        &total_pages(rows.len(), AUDIT_PAGE).to_string(),
    );
    finish(o, "GetTerminalAuditTrail")
}

/// The caller's card behind an MSISDN or IMSI: unknown ones are left out,
/// another account's fault with `400201`.
fn lookup(call: &Call, r: CardRef<'_>, shown: &str) -> Result<Option<Card>, Fault> {
    let world = call.world();
    let Some(id) = world.resolve(r) else {
        return Ok(None);
    };
    let Some(card) = world.card(&id) else {
        return Ok(None);
    };
    if card.carrier != Carrier::Cucc {
        return Ok(None);
    }
    if card.account != call.caller.account {
        return Err(Fault::new(
            FaultKind::AccessViolation,
            format!("{shown} belongs to another account"),
        ));
    }
    Ok(Some(card))
}

/// `GetTerminalsByMsisdn`: `msisdns/msisdn+` → `terminals/terminal+`
/// (`iccid`, `msisdn`); 11- or 13-digit numbers, with or without `86`.
pub fn get_terminals_by_msisdn(call: &Call) -> OpResult {
    let wanted: Vec<&str> = call
        .request
        .child("msisdns")
        .map(|w| w.all("msisdn").map(|m| m.text.trim()).collect())
        .unwrap_or_default();
    check_count(wanted.len(), "MSISDNs")?;
    let mut cards = Vec::new();
    for m in wanted {
        if let Some(c) = lookup(call, CardRef::Msisdn(m), m)? {
            cards.push(c);
        }
    }
    let mut o = respond(call, "GetTerminalsByMsisdn");
    o.open("terminals");
    for c in &cards {
        o.open("terminal");
        o.leaf("iccid", &c.iccid);
        o.leaf("msisdn", &msisdn(c));
        o.close("terminal");
    }
    o.close("terminals");
    finish(o, "GetTerminalsByMsisdn")
}

/// `GetTerminalsByImsi`: `imsi/imsi+` → `terminals/terminal+` (`iccid`,
/// `imsi`, `msisdn`).
pub fn get_terminals_by_imsi(call: &Call) -> OpResult {
    let wanted: Vec<&str> = call
        .request
        .child("imsi")
        .map(|w| w.all("imsi").map(|m| m.text.trim()).collect())
        .unwrap_or_default();
    check_count(wanted.len(), "IMSIs")?;
    let mut cards = Vec::new();
    for i in wanted {
        if let Some(c) = lookup(call, CardRef::Imsi(i), i)? {
            cards.push(c);
        }
    }
    let op = if call.request.name == "GetTerminalsByIMSIRequest" {
        "GetTerminalsByIMSI"
    } else {
        "GetTerminalsByImsi"
    };
    let mut o = respond(call, op);
    o.open("terminals");
    for c in &cards {
        o.open("terminal");
        o.leaf("iccid", &c.iccid);
        o.leaf("imsi", &c.imsi);
        o.leaf("msisdn", &msisdn(c));
        o.close("terminal");
    }
    o.close("terminals");
    finish(o, op)
}

/// Whether a card state can still be edited through the API (used by the
/// SMS operations too).
pub fn reachable(state: CardState) -> bool {
    matches!(
        state,
        CardState::Active | CardState::TestReady | CardState::ActivationReady
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        for (s, ..) in codes::JASPER {
            assert_eq!(parse_status(&status_name(s)), Some(s));
            assert_eq!(parse_status(s.name()), Some(s));
        }
        assert_eq!(parse_status("ACTIVE_NAME"), None);
    }

    #[test]
    fn change_types_are_unique() {
        let mut n: Vec<u32> = CHANGE_TYPES.iter().map(|c| c.0).collect();
        n.sort_unstable();
        n.dedup();
        assert_eq!(n.len(), CHANGE_TYPES.len());
    }

    #[test]
    fn xs_dates_parse() {
        assert!(parse_xs_date("2016-05-27").is_some());
        assert!(parse_xs_date("2016-05-27Z").is_some());
        assert!(parse_xs_date("2016-05-27+08:00").is_some());
        assert!(parse_xs_date("2016-05-27junk").is_none());
        assert!(parse_xs_date("2016-13-27").is_none());
    }
}
