//! Device endpoints: search (`GET /devices`), details (`GET /devices/{iccid}`)
//! and edit (`PUT /devices/{iccid}`), plus the Jasper status change shared
//! with the CMP gateway's `wsEditTerminal`. Custom fields, device/modem ids
//! and other Jasper-only fields live in the card's `attrs` under `cucc.*`.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use jiff::SignedDuration;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value};

use super::auth::Caller;
use super::codes::{ErrorKind, Jasper};
use super::{jdate, jdate_opt, ok_json, owned, ApiError, ApiResult, PathParam, Query, Shared};
use crate::domain::lifecycle::DomainError;
use crate::domain::{Card, CardState, Carrier, Plan};
use crate::world::{attribute_key, CardEdit, Since, World};

/// The custom fields of a device, as named on the wire.
pub const CUSTOM_FIELDS: [&str; 20] = [
    "accountCustom1",
    "accountCustom2",
    "accountCustom3",
    "accountCustom4",
    "accountCustom5",
    "accountCustom6",
    "accountCustom7",
    "accountCustom8",
    "accountCustom9",
    "accountCustom10",
    "operatorCustom1",
    "operatorCustom2",
    "operatorCustom3",
    "operatorCustom4",
    "operatorCustom5",
    "customerCustom1",
    "customerCustom2",
    "customerCustom3",
    "customerCustom4",
    "customerCustom5",
];

/// Default communication plan name when none was set.
pub const DEFAULT_COMM_PLAN: &str = "CP-DATA-SMS";
/// `overageLimitOverride` values.
pub const OVERRIDES: [&str; 3] = ["DEFAULT", "TEMPORARY_OVERRIDE", "PERMANENT_OVERRIDE"];
/// Largest search window between `modifiedSince` and `modifiedTill`.
const MAX_WINDOW: SignedDuration = SignedDuration::from_hours(366 * 24);

/// A Jasper-only attribute of a card.
pub fn attr<'a>(card: &'a Card, name: &str) -> Option<&'a str> {
    if card.attrs.is_empty() {
        return None;
    }
    card.attrs
        .get(attribute_key(Carrier::Cucc, name).as_str())
        .map(String::as_str)
}

/// The rate plan name a card shows (`offer_id`, else the plan id).
pub fn rate_plan_name(world: &World, plan_id: &str) -> String {
    world
        .store
        .plans
        .get(plan_id)
        .map(|p| plan_label(&p))
        .unwrap_or_else(|| plan_id.to_string())
}

/// The wire name of a plan.
pub fn plan_label(p: &Plan) -> String {
    if p.offer_id.is_empty() {
        p.id.to_string()
    } else {
        p.offer_id.to_string()
    }
}

/// A CUCC plan by wire name, name or id.
pub fn find_plan(world: &World, name: &str) -> Option<Plan> {
    world
        .store
        .plans
        .iter()
        .find(|p| {
            p.carrier == Carrier::Cucc && (plan_label(p) == name || p.name == name || p.id == name)
        })
        .map(|p| p.clone())
}

/// The communication plan of a card.
pub fn comm_plan(card: &Card) -> &str {
    attr(card, "communicationPlan").unwrap_or(DEFAULT_COMM_PLAN)
}

/// MSISDN as Control Center shows it (with the `86` country code).
pub fn msisdn(card: &Card) -> String {
    format!("86{}", card.msisdn)
}

/// The full device view of `GET /devices/{iccid}`.
pub struct DeviceView<'a> {
    pub card: &'a Card,
    pub rate_plan: &'a str,
    pub account_no: &'a str,
}

impl Serialize for DeviceView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.card;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("iccid", &c.iccid)?;
        m.serialize_entry("imsi", &c.imsi)?;
        m.serialize_entry("msisdn", &msisdn(c))?;
        m.serialize_entry("imei", &c.imei)?;
        m.serialize_entry("status", Jasper::of(c.state).name())?;
        m.serialize_entry("ratePlan", self.rate_plan)?;
        m.serialize_entry("communicationPlan", comm_plan(c))?;
        m.serialize_entry("customer", &attr(c, "customer"))?;
        m.serialize_entry("endConsumerId", &None::<&str>)?;
        m.serialize_entry("dateActivated", &jdate_opt(c.activated))?;
        m.serialize_entry("dateAdded", &jdate(c.opened))?;
        m.serialize_entry("dateUpdated", &jdate(c.updated))?;
        m.serialize_entry("dateShipped", &jdate(c.opened))?;
        m.serialize_entry("accountId", self.account_no)?;
        m.serialize_entry("fixedIPAddress", &attr(c, "ipv4Address"))?;
        m.serialize_entry("fixedIpv6Address", &attr(c, "ipv6Address"))?;
        for f in CUSTOM_FIELDS {
            m.serialize_entry(f, attr(c, f).unwrap_or(""))?;
        }
        m.serialize_entry("simNotes", attr(c, "simNotes").unwrap_or(""))?;
        // eSIM identity: Cisco's DeviceDetails schema calls it `eid`, but
        // the two public clients of real answers (mehunk's Unicom types, an
        // Entel client) both read `euiccid`: the card's `cucc.euiccid`
        // attribute, `null` for a plain SIM.
        m.serialize_entry("euiccid", &attr(c, "euiccid"))?;
        m.serialize_entry("deviceID", &attr(c, "deviceID"))?;
        m.serialize_entry("modemID", attr(c, "modemID").unwrap_or(""))?;
        m.serialize_entry("globalSimType", "")?;
        m.serialize_entry("simProfileId", attr(c, "simProfileId").unwrap_or(""))?;
        m.end()
    }
}

/// `GET /devices/{iccid}`: one read of the card, ownership checked inside.
pub async fn details(
    State(st): State<Shared>,
    caller: Caller,
    PathParam(iccid): PathParam,
) -> ApiResult {
    super::check_iccid(&iccid)?;
    let not_found = || ApiError::with(ErrorKind::NotFound, format!("Device not found: {iccid}"));
    let id = st
        .world
        .resolve(crate::store::CardRef::Iccid(&iccid))
        .ok_or_else(not_found)?;
    let body = st
        .world
        .read_card(&id, |c| {
            if c.carrier != Carrier::Cucc || c.account != caller.account {
                return None;
            }
            let rp = rate_plan_name(&st.world, &c.plan);
            Some(serde_json::to_vec(&DeviceView {
                card: c,
                rate_plan: &rp,
                account_no: &caller.account_no,
            }))
        })
        .flatten()
        .ok_or_else(not_found)?
        .map_err(|_| ApiError::new(ErrorKind::Internal))?;
    Ok(super::json_bytes(axum::http::StatusCode::OK, body))
}

/// The fields a search entry can carry, in the order they are written: the
/// four of Control Center's answer, then `dateUpdated` (only when asked for
/// with `fields=`; it is the change's time, which an incremental sync keeps
/// as its next `modifiedSince`).
const SEARCH_FIELDS: [&str; 5] = [
    "iccid",
    "status",
    "ratePlan",
    "communicationPlan",
    "dateUpdated",
];
/// The entry of Control Center's Search Devices answer.
const SEARCH_DEFAULT: [&str; 4] = ["iccid", "status", "ratePlan", "communicationPlan"];

/// `GET /devices?modifiedSince=...`: the account's device changes in the
/// window, sorted by modification date, oldest change first (Cisco's
/// Search Devices), paged by `pageNumber`/`pageSize` over the world's
/// change index. A device changed while a client pages is listed again at
/// its new change; the entries already passed keep their positions.
pub async fn search(State(st): State<Shared>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult {
    let q = Query::parse(q.as_deref());
    q.need("modifiedSince")?;
    let since = q.date("modifiedSince")?.unwrap_or_default();
    let till = q.date("modifiedTill")?;
    let end = till.unwrap_or_else(|| st.world.now());
    if till.is_some_and(|t| t < since) {
        return Err(ApiError::param("modifiedTill is before modifiedSince"));
    }
    if end.duration_since(since) > MAX_WINDOW {
        return Err(ApiError::param(
            "The window between modifiedSince and modifiedTill must not exceed 1 year",
        ));
    }
    let status = match q.get("status").filter(|s| !s.is_empty()) {
        Some(s) => {
            Some(Jasper::parse(s).ok_or_else(|| ApiError::param(format!("Invalid status: {s}")))?)
        }
        None => None,
    };
    let (number, size) = q.paging()?;
    if let Some(a) = q.get("accountId").filter(|a| !a.is_empty()) {
        if a != caller.account_no {
            return ok_json(&json!({"pageNumber": number, "devices": [], "lastPage": true}));
        }
    }
    let fields: Vec<&str> = match q.get("fields").filter(|f| !f.trim().is_empty()) {
        Some(list) => {
            let asked: Vec<&str> = list.split(',').map(str::trim).collect();
            let known: Vec<&str> = SEARCH_FIELDS
                .into_iter()
                .filter(|f| asked.contains(f))
                .collect();
            if known.is_empty() {
                SEARCH_DEFAULT.to_vec()
            } else {
                known
            }
        }
        None => SEARCH_DEFAULT.to_vec(),
    };
    let customs: Vec<(&str, &str)> = CUSTOM_FIELDS
        .iter()
        .filter_map(|f| q.get(f).map(|v| (*f, v)))
        .collect();
    let matches = |c: &Card| {
        c.carrier == Carrier::Cucc
            && status.is_none_or(|s| Jasper::of(c.state) == s)
            && customs.iter().all(|(f, v)| attr(c, f).unwrap_or("") == *v)
    };
    let filter: Option<&dyn Fn(&Card) -> bool> =
        (status.is_some() || !customs.is_empty()).then_some(&matches as &dyn Fn(&Card) -> bool);
    let page = st.world.card_changes(
        &caller.account,
        Since::AtOrAfter(since),
        till,
        filter,
        (number - 1).saturating_mul(size),
        size,
        false,
        |change, c| {
            let mut entry = serde_json::Map::new();
            for f in &fields {
                let v: Value = match *f {
                    "iccid" => c.iccid.as_str().into(),
                    "status" => Jasper::of(c.state).name().into(),
                    "ratePlan" => rate_plan_name(&st.world, &c.plan).into(),
                    "communicationPlan" => comm_plan(c).into(),
                    _ => jdate(change.at).into(),
                };
                entry.insert((*f).to_string(), v);
            }
            Value::Object(entry)
        },
    );
    ok_json(&json!({"pageNumber": number, "devices": page.items, "lastPage": page.last}))
}

/// Fields `PUT /devices/{iccid}` accepts besides `status`, `ratePlan` and
/// the custom fields.
const EDITABLE: [&str; 8] = [
    "communicationPlan",
    "customer",
    "deviceID",
    "modemID",
    "overageLimitOverride",
    "effectiveDate",
    "ipv4Address",
    "ipv6Address",
];

/// `PUT /devices/{iccid}`: validates every field, then applies the status
/// change (lifecycle rules) and the edits atomically under the card lock.
pub async fn edit(
    State(st): State<Shared>,
    caller: Caller,
    PathParam(iccid): PathParam,
    body: Body,
) -> ApiResult {
    let id = owned(&st.world, &caller, &iccid)?;
    let fields = super::read_json_object(body).await?;
    if fields.is_empty() {
        return Err(ApiError::param("At least one field must be given"));
    }
    let mut status = None;
    let mut plan = None;
    let mut edits: Vec<(String, String)> = Vec::new();
    for (k, v) in &fields {
        let Some(v) = v.as_str() else {
            return Err(ApiError::param(format!("{k} must be a string")));
        };
        match k.as_str() {
            "status" => {
                status = Some(
                    Jasper::parse(v)
                        .ok_or_else(|| ApiError::param(format!("Invalid status: {v}")))?,
                )
            }
            "ratePlan" => {
                plan = Some(
                    find_plan(&st.world, v)
                        .ok_or_else(|| ApiError::param(format!("Invalid ratePlan: {v}")))?,
                )
            }
            "overageLimitOverride" if !OVERRIDES.contains(&v) => {
                return Err(ApiError::param(format!(
                    "Invalid overageLimitOverride: {v}"
                )))
            }
            "effectiveDate" if super::parse_iso(v).is_none() => {
                return Err(ApiError::param(format!("Invalid effectiveDate: {v}")))
            }
            f if EDITABLE.contains(&f) || CUSTOM_FIELDS.contains(&f) => {
                edits.push((f.to_string(), v.to_string()))
            }
            other => return Err(ApiError::param(format!("Unknown field: {other}"))),
        }
    }
    apply_edit(&st.world, &id, status, plan, &edits, &caller.username)?;
    ok_json(&json!({ "iccid": id }))
}

/// Applies a validated device edit as one world operation: the status
/// change (lifecycle rules), the rate plan, then the Jasper-only fields.
/// Shared by REST `PUT /devices/{iccid}` and SOAP `EditTerminal`.
pub fn apply_edit(
    world: &World,
    id: &str,
    status: Option<Jasper>,
    plan: Option<Plan>,
    edits: &[(String, String)],
    user: &str,
) -> Result<(), crate::world::OpError> {
    world
        .edit(id, user, |e| {
            if let Some(target) = status {
                change_status(e, target)?;
            }
            if let Some(p) = plan {
                e.set_plan(p)?;
            }
            for (f, v) in edits {
                e.set_attribute(Carrier::Cucc, f, Some(v))?;
            }
            Ok::<(), DomainError>(())
        })?
        .map_err(crate::world::OpError::Rule)
}

/// Changes a card's Jasper status through the lifecycle rules. Asking for
/// the status the card already shows changes nothing and succeeds; RETIRED,
/// PURGED and REPLACED are operator-only and refused.
pub fn change_status(e: &mut CardEdit<'_>, target: Jasper) -> Result<(), DomainError> {
    let current = Jasper::of(e.card().state);
    if current == target {
        return Ok(());
    }
    let refuse = || DomainError::InvalidTransition {
        from: current.name(),
        to: target.name(),
    };
    let to = match target {
        Jasper::Activated => CardState::Active,
        Jasper::Deactivated => CardState::Suspended,
        Jasper::ActivationReady => CardState::ActivationReady,
        Jasper::TestReady => CardState::TestReady,
        Jasper::Inventory => CardState::Inventory,
        Jasper::Retired | Jasper::Purged | Jasper::Replaced => return Err(refuse()),
    };
    e.move_state(to, &[]).map_err(|err| match err {
        DomainError::InvalidTransition { .. } => refuse(),
        other => other,
    })
}
