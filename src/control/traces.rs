//! `/_sim/traces`: the usage traces that drive data, SMS and voice use
//! (add or replace one at run time, e.g. "burn 500 MB over the next hour").

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::{bad, json_body, not_found, ApiResult, ControlState};
use crate::clock::parse_duration;

pub async fn traces_list(State(s): State<ControlState>) -> Json<Value> {
    let items = serde_json::to_value(s.world.engine.traces.list()).unwrap_or(Value::Null);
    Json(json!({"items": items}))
}

pub async fn traces_add(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let mut v = Value::Object(m);
    // "make this card burn 500 MB in the next hour": {"kind":"burn","total":"500MB","over":"1h","applies_to":{"iccid":...}}
    if v.get("kind").and_then(Value::as_str) == Some("burn") && v.get("start").is_none() {
        let over = v
            .get("over")
            .and_then(Value::as_str)
            .unwrap_or("1h")
            .to_string();
        let d = parse_duration(&over).map_err(|e| bad(format!("over: {e}")))?;
        let now = s.world.now();
        let end = now.checked_add(d).map_err(|_| bad("over: too large"))?;
        let o = v.as_object_mut().expect("object");
        o.remove("over");
        o.insert("start".into(), json!(now.to_string()));
        o.insert("end".into(), json!(end.to_string()));
    }
    let trace: crate::engine::Trace =
        serde_json::from_value(v).map_err(|e| bad(format!("bad trace: {e}")))?;
    let id = s.world.engine.traces.upsert(trace);
    Ok(Json(json!({"id": id})))
}

pub async fn traces_remove(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    if s.world.engine.traces.remove(&id) {
        Ok(Json(json!({"removed": id})))
    } else {
        Err(not_found(format!("trace {id} not found")))
    }
}
