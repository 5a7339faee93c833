//! `PATCH /_sim/cards/{id}`: a card patch is read completely (naming the
//! first bad field) before anything changes, then applied through the
//! world's card operations under the card's lock, all or nothing. Every
//! change goes through the card rules (a refusal is a 409 naming the rule)
//! and is journaled as an `edited` event; `"force": true` sets states the
//! rules would refuse, and the events say `forced`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use jiff::Timestamp;
use serde_json::{Map, Value};

use super::{bad, conflict, find, json_body, not_found, views, ApiError, ApiResult, ControlState};
use crate::clock::parse_time;
use crate::domain::lifecycle::DomainError;
use crate::domain::{CardState, Reason, ReasonSet};
use crate::world::{Flag, Meter, World};

/// A checked card patch.
#[derive(Default, Clone)]
pub struct CardPatch {
    force: bool,
    state: Option<CardState>,
    reasons: Option<ReasonSet>,
    data_cut: Option<bool>,
    balance_fen: Option<i64>,
    data_bytes: Option<u64>,
    sms: Option<u32>,
    voice_seconds: Option<u32>,
    expires: Option<Option<Timestamp>>,
    flags: Vec<(Flag, bool)>,
    tags: Option<Vec<String>>,
    imei: Option<String>,
    speed_limit: Option<Option<u16>>,
    plan: Option<String>,
    attrs: Option<Map<String, Value>>,
}

const PATCH_FIELDS: &str = "force, state, reasons, data_cut, balance_fen, usage{data_bytes,sms,voice_seconds}, expires, auto_stop, real_name, voice_enabled, sms_enabled, tags, imei, speed_limit, plan, attrs";

/// Reads a card patch, naming the first bad field.
pub fn parse_patch(world: &World, m: &Map<String, Value>) -> Result<CardPatch, ApiError> {
    let mut p = CardPatch::default();
    for (k, v) in m {
        p.read_field(world, k, v)?;
    }
    if p.reasons.is_some() && !p.force {
        return Err(bad(
            "'reasons' can only be set with \"force\": true (use state/data_cut otherwise)",
        ));
    }
    Ok(p)
}

impl CardPatch {
    /// Reads one top-level field of the patch.
    fn read_field(&mut self, world: &World, k: &str, v: &Value) -> Result<(), ApiError> {
        match k {
            "force" => self.force = boolean(k, v)?,
            "state" => {
                let s = v.as_str().ok_or_else(|| bad("'state' must be a string"))?;
                self.state =
                    Some(CardState::parse(s).ok_or_else(|| bad(format!("unknown state '{s}'")))?);
            }
            "reasons" => self.reasons = Some(reasons(v)?),
            "data_cut" => self.data_cut = Some(boolean(k, v)?),
            "balance_fen" => {
                use crate::domain::money::MAX_BALANCE_FEN;
                let fen = v
                    .as_i64()
                    .ok_or_else(|| bad("'balance_fen' must be an integer"))?;
                if !(-MAX_BALANCE_FEN..=MAX_BALANCE_FEN).contains(&fen) {
                    return Err(bad(format!(
                        "'balance_fen' must be between -{MAX_BALANCE_FEN} and {MAX_BALANCE_FEN}"
                    )));
                }
                self.balance_fen = Some(fen)
            }
            "usage" => self.read_usage(v)?,
            "expires" => self.expires = Some(expires(v)?),
            "auto_stop" => self.flags.push((Flag::AutoStop, boolean(k, v)?)),
            "real_name" => self.flags.push((Flag::RealName, boolean(k, v)?)),
            "voice_enabled" => self.flags.push((Flag::Voice, boolean(k, v)?)),
            "sms_enabled" => self.flags.push((Flag::Sms, boolean(k, v)?)),
            "tags" => self.tags = Some(tags(v)?),
            "imei" => self.imei = Some(imei(v)?),
            "speed_limit" => self.speed_limit = Some(speed_limit(v)?),
            "plan" => {
                let id = v.as_str().ok_or_else(|| bad("'plan' must be a string"))?;
                if world.plan(id).is_none() {
                    return Err(bad(format!("plan {id} not found")));
                }
                self.plan = Some(id.to_string());
            }
            "attrs" => {
                self.attrs = Some(
                    v.as_object()
                        .cloned()
                        .ok_or_else(|| bad("'attrs' must be an object"))?,
                )
            }
            other => {
                return Err(bad(format!(
                    "unknown field '{other}' (known: {PATCH_FIELDS})"
                )))
            }
        }
        Ok(())
    }

    /// `usage: {data_bytes, sms, voice_seconds}`; data may be `"500MB"`.
    fn read_usage(&mut self, v: &Value) -> Result<(), ApiError> {
        let u = v
            .as_object()
            .ok_or_else(|| bad("'usage' must be an object"))?;
        for (uk, uv) in u {
            let n = || {
                uv.as_u64()
                    .ok_or_else(|| bad(format!("usage.{uk} must be a non-negative integer")))
            };
            match uk.as_str() {
                "data_bytes" => {
                    let bytes = match uv {
                        Value::String(s) => crate::domain::money::parse_bytes(s)
                            .ok_or_else(|| bad(format!("usage.data_bytes: '{s}' is not a size")))?,
                        _ => n()?,
                    };
                    let max = crate::domain::money::MAX_DATA_BYTES;
                    if bytes > max {
                        return Err(bad(format!(
                            "usage.data_bytes must be at most {max} (1 PiB)"
                        )));
                    }
                    self.data_bytes = Some(bytes)
                }
                "sms" => {
                    self.sms = Some(u32::try_from(n()?).map_err(|_| bad("usage.sms too large"))?)
                }
                "voice_seconds" => {
                    self.voice_seconds = Some(
                        u32::try_from(n()?).map_err(|_| bad("usage.voice_seconds too large"))?,
                    )
                }
                other => {
                    return Err(bad(format!(
                        "unknown usage field '{other}' (data_bytes, sms, voice_seconds)"
                    )))
                }
            }
        }
        Ok(())
    }
}

fn boolean(k: &str, v: &Value) -> Result<bool, ApiError> {
    v.as_bool()
        .ok_or_else(|| bad(format!("'{k}' must be true or false")))
}

fn reasons(v: &Value) -> Result<ReasonSet, ApiError> {
    let arr = v
        .as_array()
        .ok_or_else(|| bad("'reasons' must be an array"))?;
    let mut set = ReasonSet::empty();
    for r in arr {
        let r = r.as_str().unwrap_or("");
        set.insert(Reason::parse(r).ok_or_else(|| bad(format!("unknown reason '{r}'")))?);
    }
    Ok(set)
}

/// An RFC 3339 time, or null for "never expires".
fn expires(v: &Value) -> Result<Option<Timestamp>, ApiError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => {
            Ok(Some(parse_time(s).ok_or_else(|| {
                bad(format!("expires: '{s}' is not an RFC 3339 time"))
            })?))
        }
        _ => Err(bad("'expires' must be an RFC 3339 time or null")),
    }
}

fn tags(v: &Value) -> Result<Vec<String>, ApiError> {
    let arr = v
        .as_array()
        .ok_or_else(|| bad("'tags' must be an array of strings"))?;
    arr.iter()
        .map(|t| {
            t.as_str()
                .map(str::to_string)
                .ok_or_else(|| bad("'tags' must be an array of strings"))
        })
        .collect()
}

/// Empty (unbound) or 14 to 16 digits.
fn imei(v: &Value) -> Result<String, ApiError> {
    let s = v.as_str().ok_or_else(|| bad("'imei' must be a string"))?;
    if !(s.is_empty() || (s.len() >= 14 && s.len() <= 16 && s.bytes().all(|c| c.is_ascii_digit())))
    {
        return Err(bad(format!("imei '{s}' must be 14 to 16 digits")));
    }
    Ok(s.to_string())
}

/// A speed-limit code, or null for no limit.
fn speed_limit(v: &Value) -> Result<Option<u16>, ApiError> {
    match v {
        Value::Null => Ok(None),
        _ => Ok(Some(
            v.as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| bad("'speed_limit' must be a small integer or null"))?,
        )),
    }
}

/// Applies a checked patch to a card under its lock: all or nothing.
pub fn apply_patch(world: &World, iccid: &str, p: &CardPatch) -> Result<(), ApiError> {
    let new_plan = match &p.plan {
        Some(id) => Some(
            world
                .plan(id)
                .ok_or_else(|| bad(format!("plan {id} not found")))?,
        ),
        None => None,
    };
    let refused = |e: DomainError| conflict(format!("refused by the card rules: {e}"));
    world.edit_all_or_nothing(iccid, "admin", |e| -> Result<(), ApiError> {
        if let Some(plan) = new_plan {
            e.set_plan(plan).map_err(|e| conflict(e.to_string()))?;
        }
        match (p.state, p.force) {
            (Some(to), false) => e.move_state(to, &[]).map_err(refused)?,
            (Some(_), true) => e.force_state(p.state, p.reasons),
            (None, _) if p.reasons.is_some() => e.force_state(None, p.reasons),
            (None, _) => {}
        }
        match p.data_cut {
            Some(true) if !e.card().reasons.contains(Reason::DataCut) => e.cut_data(),
            Some(false) if e.card().reasons.contains(Reason::DataCut) => e.restore_data(),
            _ => Ok(()),
        }
        .map_err(refused)?;
        if let Some(target) = p.balance_fen {
            e.set_balance(target, p.force).map_err(refused)?;
        }
        let meters = [
            (Meter::DataBytes, p.data_bytes),
            (Meter::Sms, p.sms.map(u64::from)),
            (Meter::VoiceSeconds, p.voice_seconds.map(u64::from)),
        ];
        for (meter, target) in meters {
            if let Some(target) = target {
                e.set_usage(meter, target, p.force);
            }
        }
        if let Some(exp) = p.expires {
            e.set_expires(exp, p.force);
        }
        for (flag, on) in &p.flags {
            e.set_flag(*flag, *on).map_err(refused)?;
        }
        if let Some(tags) = &p.tags {
            e.set_tags(tags);
        }
        if let Some(imei) = &p.imei {
            e.set_imei(imei);
        }
        if let Some(code) = p.speed_limit {
            e.set_speed_code(code);
        }
        for (k, v) in p.attrs.iter().flatten() {
            let value = match v {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            };
            e.set_raw_attribute(k, value.as_deref());
        }
        Ok(())
    })
}

pub async fn card_patch(
    State(s): State<ControlState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let m = json_body(&body)?;
    let iccid = find(&s.world, &id)?;
    let patch = parse_patch(&s.world, &m)?;
    apply_patch(&s.world, &iccid, &patch)?;
    let card = s
        .world
        .card(&iccid)
        .ok_or_else(|| not_found("card vanished"))?;
    Ok(Json(views::card_detail(&card)))
}
