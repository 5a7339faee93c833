//! Status changes and service switches: `change/sim-status` (operType 0–6,
//! synchronous, answered with an order that has two ids, `orderNum` and
//! `jobId`, readable through `query/order-info` and `query/sim-batch-result`)
//! and its batch variant (operType 1–11, with a jobId and
//! `query/sim-batch-result`), the communication-function batch and status,
//! call/SMS/APN switches and the network speed limit. Every change goes
//! through a world operation; the same-card repeat rule is applied here.

use std::sync::atomic::{AtomicU64, Ordering};

use compact_str::CompactString;
use dashmap::DashMap;
use jiff::Timestamp;
use serde_json::{json, Value};

use super::auth::Conf;
use super::codes::{self, Code};
use super::params::{IdKind, BATCH_MAX};
use super::{Call, Cmcc, Fail, Reply};
use crate::domain::{CardState, Carrier, DomainError};
use crate::world::{attribute_key, Flag, OpError, SpeedLimit};

/// Results of batch jobs, kept for `query/sim-batch-result`.
#[derive(Default)]
pub struct Jobs {
    seq: AtomicU64,
    map: DashMap<String, Job>,
}

/// One batch job or single-card order: owner, creation time, jobStatus and
/// per-number results.
struct Job {
    account: CompactString,
    created: Timestamp,
    status: &'static str,
    results: Vec<Value>,
}

impl Jobs {
    /// Records a finished job and returns its id.
    pub fn record(&self, now: Timestamp, account: &str, results: Vec<Value>) -> String {
        let n = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("{}{:06}", crate::clock::fmt_local(now, "%Y%m%d%H%M%S"), n);
        let failed = results
            .iter()
            .filter(|r| r["status"] != Code::Ok.status())
            .count();
        let status = match failed {
            0 => "2",
            n if n == results.len() => "4",
            _ => "3",
        };
        self.map.insert(
            id.clone(),
            Job {
                account: account.into(),
                created: now,
                status,
                results,
            },
        );
        id
    }
}

/// Last change per (card, call family), for the repeat rule.
#[derive(Default)]
pub struct RepeatRule {
    last: DashMap<(CompactString, &'static str), Timestamp>,
}

impl RepeatRule {
    /// Refuses a change of the same card within the configured window.
    fn check(&self, cm: &Cmcc, iccid: &str, family: &'static str) -> Result<(), Fail> {
        let minutes = Conf::of(cm).repeat_rule_minutes;
        if minutes == 0 {
            return Ok(());
        }
        let now = cm.world.now();
        if let Some(t) = self.last.get(&(CompactString::from(iccid), family)) {
            if now.as_second() - t.as_second() < minutes * 60 {
                return Err(Fail::with(Code::Other, codes::REPEAT_MESSAGE));
            }
        }
        Ok(())
    }

    fn record(&self, cm: &Cmcc, iccid: &str, family: &'static str) {
        self.last
            .insert((CompactString::from(iccid), family), cm.world.now());
    }
}

/// A lifecycle move requested by an operType.
#[derive(Clone, Copy, Debug)]
enum Action {
    Stop,
    Resume,
    /// Activation from the given state.
    Activate(CardState),
    /// A pre-activation move `from → to`.
    Move(CardState, CardState),
}

/// operType of `/change/sim-status` (single card).
fn single_action(op: &str) -> Option<Action> {
    use CardState::*;
    Some(match op {
        "0" => Action::Stop,
        "1" => Action::Resume,
        "2" => Action::Activate(Inventory),
        "3" => Action::Move(TestReady, Inventory),
        "4" => Action::Move(TestReady, ActivationReady),
        "5" => Action::Activate(TestReady),
        "6" => Action::Activate(ActivationReady),
        _ => return None,
    })
}

/// operType of `/change/sim-status/batch` (8 and 10 are not supported).
fn batch_action(op: &str) -> Option<Action> {
    use CardState::*;
    Some(match op {
        "1" => Action::Move(TestReady, Inventory),
        "2" => Action::Move(TestReady, ActivationReady),
        "3" => Action::Activate(TestReady),
        "4" => Action::Move(Inventory, ActivationReady),
        "5" => Action::Activate(Inventory),
        "6" => Action::Move(ActivationReady, Inventory),
        "7" => Action::Activate(ActivationReady),
        "9" => Action::Stop,
        "11" => Action::Resume,
        _ => return None,
    })
}

fn apply(cm: &Cmcc, iccid: &str, action: Action) -> Result<(), OpError> {
    let w = &cm.world;
    match action {
        Action::Stop => w.manual_stop(iccid),
        Action::Resume => w.manual_resume(iccid),
        Action::Activate(from) => w.move_state(iccid, CardState::Active, &[from]),
        Action::Move(from, to) => w.move_state(iccid, to, &[from]),
    }
}

/// Runs a change on one owned card under the repeat rule.
fn change_one(
    c: &Call,
    kind: IdKind,
    value: &str,
    family: &'static str,
    f: impl FnOnce(&str) -> Result<(), OpError>,
) -> Result<(), Fail> {
    let iccid = c.cm.owned_card(c.account, kind, value)?;
    c.cm.repeat.check(c.cm, &iccid, family)?;
    f(&iccid)?;
    c.cm.repeat.record(c.cm, &iccid, family);
    Ok(())
}

/// Runs a change on every number of a batch and records the job.
fn batch_job(c: &Call, family: &'static str, f: impl Fn(&str) -> Result<(), OpError>) -> Reply {
    let (kind, items) = c.p.batch_ids(BATCH_MAX)?;
    let results: Vec<Value> = items
        .iter()
        .map(|value| {
            let code = match change_one(c, kind, value, family, &f) {
                Ok(()) => Code::Ok,
                Err(e) => e.code,
            };
            json!({kind.name(): value, "status": code.status(), "message": code.message()})
        })
        .collect();
    let id = c.cm.jobs.record(c.world().now(), c.account, results);
    Ok(vec![json!({"jobId": id})])
}

/// `/change/sim-status` (CMIOT_API23S03): synchronous. Echoes the identifier
/// (PHP NewChinaMobileAPI, mehunk `SetStatusResponse`) and names the order
/// twice: `orderNum` (Go `mobile_sdk` `ChangeSimStatusRes`, polled with
/// `/query/order-info`) and `jobId` (polled with `/query/sim-batch-result`).
pub fn sim_status(c: &Call) -> Reply {
    let (kind, value) = c.p.single_id()?;
    let action =
        single_action(c.p.need("operType")?).ok_or_else(|| Fail::bad("operType 取值错误"))?;
    change_one(c, kind, value, "status", |iccid| apply(c.cm, iccid, action))?;
    let done =
        json!({kind.name(): value, "status": Code::Ok.status(), "message": Code::Ok.message()});
    let id = c.cm.jobs.record(c.world().now(), c.account, vec![done]);
    let mut reply = Call::echo(kind, value);
    reply["orderNum"] = id.clone().into();
    reply["jobId"] = id.into();
    Ok(vec![reply])
}

/// The caller's job or order named by `jobId` or `orderNum` (clients use
/// either name for the same id).
fn owned_job<'a>(
    c: &'a Call,
) -> Result<(&'a str, dashmap::mapref::one::Ref<'a, String, Job>), Fail> {
    let id = match c.p.get("jobId") {
        Some(id) => id,
        None => c.p.need("orderNum")?,
    };
    let job =
        c.cm.jobs
            .map
            .get(id)
            .filter(|j| j.account == c.account)
            .ok_or_else(|| Fail::bad("jobId/orderNum 不存在"))?;
    Ok((id, job))
}

/// `/query/order-info` (CMIOT_API23M27): `orderNum`, `status` (`completed`
/// when every number succeeded or some did, `failed` when none did),
/// `statusDate` and `createDate` as yyyyMMddHHmmss (field names of the
/// `CmccOrderInfoResponse` class in tc45a110/smoc_m). Changes are applied
/// synchronously, so an order is finished when it is created.
pub fn order_info(c: &Call) -> Reply {
    let (id, job) = owned_job(c)?;
    let when = crate::clock::fmt_local(job.created, "%Y%m%d%H%M%S");
    let status = if job.status == "4" {
        "failed"
    } else {
        "completed"
    };
    Ok(vec![json!({
        "orderNum": id, "status": status,
        "statusDate": when, "createDate": when,
    })])
}

/// `/change/sim-status/batch` (CMIOT_API23S06): returns a jobId.
pub fn sim_status_batch(c: &Call) -> Reply {
    let op = c.p.need("operType")?;
    let action = batch_action(op).ok_or_else(|| Fail::bad("operType 取值错误或暂不支持"))?;
    if matches!(action, Action::Stop | Action::Resume) {
        c.p.need("reason")?;
    }
    batch_job(c, "status", |iccid| apply(c.cm, iccid, action))
}

/// `/query/sim-batch-result` (CMIOT_API23M10): jobStatus and per-number results.
pub fn batch_result(c: &Call) -> Reply {
    let (id, job) = owned_job(c)?;
    Ok(vec![json!({
        "jobId": id,
        "jobStatus": job.status,
        "resultList": job.results,
    })])
}

/// Switches a service of the card.
fn set_flag(cm: &Cmcc, iccid: &str, flag: Flag, on: bool) -> Result<(), OpError> {
    cm.world.set_flag(iccid, "cmcc", flag, on)
}

/// International roaming (serviceType 10), kept in the card attribute
/// `cmcc.roaming` (`"1"` on, `"0"` off; absent is off).
const ROAMING_KEY: &str = "roaming";

fn set_roaming(cm: &Cmcc, iccid: &str, on: bool) -> Result<(), OpError> {
    let value = if on { "1" } else { "0" };
    cm.world
        .set_attribute(iccid, "cmcc", Carrier::Cmcc, ROAMING_KEY, Some(value))
}

/// Data (APN) on/off through the world's data cut; idempotent.
fn set_data(cm: &Cmcc, iccid: &str, on: bool) -> Result<(), OpError> {
    let r = if on {
        cm.world.restore_data(iccid)
    } else {
        cm.world.cut_data(iccid)
    };
    match r {
        Err(OpError::Rule(DomainError::AlreadyCut | DomainError::NotCut)) => Ok(()),
        other => other,
    }
}

/// `/operate/sim-communication-function/batch` (CMIOT_API23M09):
/// serviceType 01/08/10/11, operType 0 pause / 1 resume; a jobId.
pub fn communication_batch(c: &Call) -> Reply {
    let service = c.p.one_of("serviceType", &["01", "08", "10", "11"])?;
    let on = c.p.one_of("operType", &["0", "1"])? == "1";
    if service == "11" {
        c.p.need("apnName")?;
    }
    batch_job(c, "function", |iccid| match service {
        "01" => set_flag(c.cm, iccid, Flag::Voice, on),
        "08" => set_flag(c.cm, iccid, Flag::Sms, on),
        "10" => set_roaming(c.cm, iccid, on),
        _ => set_data(c.cm, iccid, on),
    })
}

/// `/query/sim-communication-function-status` (CMIOT_API23M08).
pub fn communication_status(c: &Call) -> Reply {
    let v = c.read(|card| {
        let st = |b: bool| if b { "1" } else { "0" };
        let key = attribute_key(Carrier::Cmcc, ROAMING_KEY);
        let roaming = card.attrs.get(key.as_str()).map(String::as_str) == Some("1");
        let data = !card.reasons.contains(crate::domain::Reason::DataCut);
        json!({"serviceTypeList": [
            {"serviceType": "01", "serviceStatus": st(card.voice_enabled), "apnName": ""},
            {"serviceType": "08", "serviceStatus": st(card.sms_enabled), "apnName": ""},
            {"serviceType": "10", "serviceStatus": st(roaming), "apnName": ""},
            {"serviceType": "11", "serviceStatus": st(data), "apnName": card.session.apn},
        ]})
    });
    Ok(vec![v?])
}

/// A single-card switch: operType 0 = on, 1 = off (echoes the identifier).
fn switch(
    c: &Call,
    family: &'static str,
    f: fn(&Cmcc, &str, bool) -> Result<(), OpError>,
) -> Reply {
    let (kind, value) = c.p.single_id()?;
    let on = c.p.one_of("operType", &["0", "1"])? == "0";
    change_one(c, kind, value, family, |iccid| f(c.cm, iccid, on))?;
    Ok(vec![Call::echo(kind, value)])
}

/// `/operate/sim-call-function` (CMIOT_API23M05).
pub fn call_function(c: &Call) -> Reply {
    switch(c, "call", |cm, iccid, on| {
        set_flag(cm, iccid, Flag::Voice, on)
    })
}

/// `/operate/sim-sms-function` (CMIOT_API23M06).
pub fn sms_function(c: &Call) -> Reply {
    switch(c, "sms", |cm, iccid, on| set_flag(cm, iccid, Flag::Sms, on))
}

/// `/operate/sim-apn-function` (CMIOT_API23M07): needs apnName.
pub fn apn_function(c: &Call) -> Reply {
    c.p.need("apnName")?;
    switch(c, "apn", set_data)
}

/// `/operate/network-speed` (CMIOT_API23M04): serviceUsageState 1 restores,
/// 91–94 limit to 2 Mbps / 1 Mbps / 512 kbps / 128 kbps.
pub fn network_speed(c: &Call) -> Reply {
    let (kind, value) = c.p.single_id()?;
    c.p.need("apnName")?;
    let state =
        c.p.one_of("serviceUsageState", &["1", "91", "92", "93", "94"])?;
    let limit = state.parse::<u16>().ok().filter(|v| *v != 1);
    let limit = limit.map(|code| SpeedLimit {
        code,
        kbps: speed_kbps(code),
    });
    change_one(c, kind, value, "speed", |iccid| {
        c.cm.world.set_speed_limit(iccid, "cmcc", limit).map(|_| ())
    })?;
    Ok(vec![Call::echo(kind, value)])
}

/// serviceUsageState → rate in kbit/s (CMIOT_API23M04: 91 = 2 Mbps,
/// 92 = 1 Mbps, 93 = 512 kbps, 94 = 128 kbps).
const SPEEDS_KBPS: [(u16, u32); 4] = [(91, 2048), (92, 1024), (93, 512), (94, 128)];

fn speed_kbps(code: u16) -> Option<u32> {
    SPEEDS_KBPS.iter().find(|s| s.0 == code).map(|s| s.1)
}
