//! Card queries: basic info, status (cardStatus), change history from the
//! card's events, IMEI, stop reason, batch card info and platform, real-name
//! status, power (on-off) status, data session, APN info, and the two
//! status resets.

use serde_json::{json, Value};

use super::codes::{self, Code};
use super::params::BATCH_MAX;
use super::{fmt_opt, fmt_time, Call, Fail, Reply};
use crate::domain::{CardState, EventKind};

/// `/query/sim-basic-info`: msisdn, imsi, iccid, activeDate, openDate.
pub fn basic_info(c: &Call) -> Reply {
    let v = c.read(|card| {
        let active = fmt_opt(card.activated);
        json!({
            "msisdn": card.msisdn, "imsi": card.imsi, "iccid": card.iccid,
            "activeDate": active, "activateDate": active,
            "openDate": fmt_time(card.opened),
        })
    });
    Ok(vec![v?])
}

/// `/query/sim-status`: cardStatus and lastChangeDate.
pub fn status(c: &Call) -> Reply {
    let v = c.read(|card| {
        let last = card.state_changed.or(card.activated).unwrap_or(card.opened);
        json!({"cardStatus": codes::card_status(card), "lastChangeDate": fmt_time(last)})
    });
    Ok(vec![v?])
}

/// `/query/sim-change-history`: lifecycle transitions from the events.
pub fn change_history(c: &Call) -> Reply {
    let list = c.read(|card| {
        card.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::StateChanged { from, to, .. } if from != to => Some(json!({
                    "descStatus": codes::state_status(*from),
                    "targetStatus": codes::state_status(*to),
                    "changeDate": fmt_time(e.time),
                })),
                _ => None,
            })
            .collect::<Vec<Value>>()
    });
    Ok(vec![json!({"changeHistoryList": list?})])
}

/// `/query/sim-imei`.
pub fn imei(c: &Call) -> Reply {
    let v = c.read(|card| json!({"imei": card.imei}));
    Ok(vec![v?])
}

/// `/query/sim-stop-reason`: platformType and the stop-reason codes.
pub fn stop_reason(c: &Call) -> Reply {
    let v = c.read(|card| {
        let list: Vec<&str> = card.reasons.iter().map(codes::stop_reason).collect();
        json!({"platformType": "CT", "stopReason": list.join(",")})
    });
    Ok(vec![v?])
}

/// Per-number results of a batch query: `f` renders a found card; unknown
/// or foreign numbers get their own status; all invalid → `11007`.
pub fn per_number(
    c: &Call,
    max: usize,
    f: impl Fn(&crate::domain::Card) -> Value,
) -> Result<Vec<Value>, Fail> {
    let (kind, items) = c.p.batch_ids(max)?;
    let mut out = Vec::with_capacity(items.len());
    let mut ok = 0;
    for value in items {
        let found = c.cm.read_owned(c.account, kind, value, &f);
        match found {
            Ok(mut v) => {
                ok += 1;
                if let Value::Object(m) = &mut v {
                    m.entry(kind.name())
                        .or_insert_with(|| Value::String(value.into()));
                    m.insert("status".into(), Code::Ok.status().into());
                    m.insert("message".into(), Code::Ok.message().into());
                }
                out.push(v);
            }
            Err(e) => out.push(json!({
                kind.name(): value,
                "status": e.code.status(),
                "message": e.code.message(),
            })),
        }
    }
    if ok == 0 {
        return Err(Fail::new(Code::AllInvalid));
    }
    Ok(out)
}

/// `/query/sim-card-info/batch`: msisdn, imsi, iccid per card.
pub fn card_info_batch(c: &Call) -> Reply {
    per_number(
        c,
        BATCH_MAX,
        |card| json!({"msisdn": card.msisdn, "imsi": card.imsi, "iccid": card.iccid}),
    )
}

/// `/query/sim-platform/batch`: platformType per card.
pub fn platform_batch(c: &Call) -> Reply {
    per_number(
        c,
        BATCH_MAX,
        |card| json!({"msisdn": card.msisdn, "platformType": "CT"}),
    )
}

/// `/query/sim-real-name-status`: realNameStatus 1 registered / 0 not, with
/// `reason` (why not; empty) and `successTime` (fields of the Go
/// `mobile_sdk` response type). IoT cards are registered by the enterprise
/// when the card is opened, so a registered card's successTime is its
/// opening time; the world keeps no failed registrations, so `reason` is "".
pub fn real_name_status(c: &Call) -> Reply {
    let v = c.read(|card| {
        json!({
            "realNameStatus": if card.real_name { "1" } else { "0" },
            "reason": "",
            "successTime": if card.real_name { fmt_time(card.opened) } else { String::new() },
        })
    });
    Ok(vec![v?])
}

/// `/query/on-off-status`: 1 powered on (attached), 0 off.
pub fn on_off_status(c: &Call) -> Reply {
    let v = c.read(|card| {
        let on = card.session.online && card.state != CardState::Cancelled;
        json!({"status": if on { "1" } else { "0" }})
    });
    Ok(vec![v?])
}

/// `/query/sim-session`: APN, status 00/01, IP, createDate, RAT, and the
/// `ipv6`/`ipv6Prefix` of the Go `mobile_sdk` type: simulated sessions are
/// IPv4-only, so both are "" (what the platform sends for a v4 bearer).
pub fn session(c: &Call) -> Reply {
    let v = c.read(|card| {
        let s = &card.session;
        let online = s.online;
        json!({"simSessionList": [{
            "apnId": s.apn,
            "status": if online { "01" } else { "00" },
            "ip": if online { s.ip.as_str() } else { "" },
            "createDate": if online { fmt_opt(s.started) } else { String::new() },
            "rat": codes::rat_code(&s.rat),
            "ipv6": "", "ipv6Prefix": "",
        }]})
    });
    Ok(vec![v?])
}

/// `/query/apn-info`: the card's APN with status 1 正常 / 0 暂停.
pub fn apn_info(c: &Call) -> Reply {
    let v = c.read(|card| {
        let cut = card.reasons.contains(crate::domain::Reason::DataCut);
        json!({"apnList": [{"apnName": card.session.apn, "status": if cut { "0" } else { "1" }}]})
    });
    Ok(vec![v?])
}

/// `/query/card-bind-status` (CMIOT_API23A04): machine-card separation,
/// `result` 0 已分离 (the IMEI changed; `sepTime` = when) / 1 未分离.
pub fn card_bind_status(c: &Call) -> Reply {
    c.p.one_of("testType", &["0", "1"])?;
    let v = c.read(|card| {
        let sep = card.events.iter().rev().find_map(|e| match e.kind {
            EventKind::ImeiChanged { .. } => Some(e.time),
            _ => None,
        });
        match sep {
            Some(t) => json!({"result": "0", "sepTime": fmt_time(t)}),
            None => json!({"result": "1", "sepTime": ""}),
        }
    })?;
    Ok(vec![v])
}

/// `/query/sim-manage-stop-restart-status` (CMIOT_API23M40): whether the
/// card is frozen by a management stop (`manageStopRestartStatus` 1) with
/// `reason` and `manageStopRestartStatusTime` (IoTCard/IoTOS, smoc_m and
/// the Go `mobile_sdk` `SimManageStopRestartStatusRes`). The world's stop
/// reasons (owner, arrears, quota, expiry, data cut) are none of them a
/// management freeze, so every card answers 0 with empty reason and time.
pub fn manage_stop_restart_status(c: &Call) -> Reply {
    let v = c.read(|_| {
        json!({"manageStopRestartStatus": "0", "reason": "", "manageStopRestartStatusTime": ""})
    });
    Ok(vec![v?])
}

/// `/query/sim-data-diagnosis` (Go `mobile_sdk` `SimDataDiagnosisRes`):
/// result[0].`APNList`.`APNInfo` [{`APNName`, `modifyTime`, `APNStatus`,
/// `APNServiceUsageState`}] from the live card: APNStatus 1 when data flows
/// (card active and its APN not switched off) else 0; the usage state is
/// the speed-limit code (91–94) or 1 (no limit), as `/operate/network-speed`
/// sets it; modifyTime is the card's last state change.
pub fn data_diagnosis(c: &Call) -> Reply {
    let v = c.read(|card| {
        let flowing = card.state == CardState::Active
            && !card.reasons.contains(crate::domain::Reason::DataCut);
        let usage_state = card
            .speed_limit
            .map_or_else(|| "1".to_string(), |code| code.to_string());
        let modified = card.state_changed.or(card.activated).unwrap_or(card.opened);
        json!({"APNList": {"APNInfo": [{
            "APNName": card.session.apn,
            "modifyTime": fmt_time(modified),
            "APNStatus": if flowing { "1" } else { "0" },
            "APNServiceUsageState": usage_state,
        }]}})
    });
    Ok(vec![v?])
}

/// `/reset/sim-sms-status`: nothing to return.
pub fn reset_sms_status(c: &Call) -> Reply {
    c.card()?;
    Ok(vec![])
}

/// `/operate/sim-gprs-status-reset`: nothing to return.
pub fn reset_gprs_status(c: &Call) -> Reply {
    c.card()?;
    Ok(vec![])
}
