//! `/_sim/clock`: read the simulated clock; advance it, set it forward,
//! freeze it or let it run at a speed. Everything due on the way happens.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::{bad, json_body, ApiError, ApiResult, ControlState};
use crate::clock::{parse_duration, parse_time, rfc3339};
use crate::world::World;

fn clock_view(w: &World) -> Value {
    json!({
        "now": rfc3339(w.now()),
        "mode": if w.clock.speed().is_some() { "running" } else { "frozen" },
        "speed": w.clock.speed(),
        "cycle": crate::clock::cycle_label(crate::clock::cycle_of(w.now())),
    })
}

pub async fn clock_get(State(s): State<ControlState>) -> Json<Value> {
    s.world.catch_up();
    Json(clock_view(&s.world))
}

pub async fn clock_post(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let world = s.world.clone();
    let str_field = |k: &str| -> Result<Option<String>, ApiError> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(v)) => Ok(Some(v.clone())),
            Some(other) => Err(bad(format!("'{k}' must be a string, got {other}"))),
        }
    };
    if let Some(d) = str_field("advance")? {
        let dur = parse_duration(&d).map_err(|e| bad(format!("advance: {e}")))?;
        let w = world.clone();
        tokio::task::spawn_blocking(move || w.advance(dur))
            .await
            .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .map_err(|e| bad(format!("advance: {e}")))?;
    } else if let Some(t) = str_field("set")? {
        let ts =
            parse_time(&t).ok_or_else(|| bad(format!("set: '{t}' is not an RFC 3339 time")))?;
        let w = world.clone();
        tokio::task::spawn_blocking(move || w.advance_to(ts))
            .await
            .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .map_err(|e| bad(format!("set: {e}")))?;
    } else if m.get("freeze").and_then(Value::as_bool) == Some(true) {
        // Freeze first, then bring the world up to the frozen reading: the
        // reply then shows the time every later read will show.
        world.clock.freeze();
        world.catch_up();
    } else if let Some(speed) = m.get("speed") {
        let speed = speed
            .as_f64()
            .filter(|v| v.is_finite() && *v > 0.0 && *v <= 1e7)
            .ok_or_else(|| bad("speed must be a number between 0 and 10000000"))?;
        world.catch_up();
        world.clock.run(speed);
    } else {
        return Err(bad("give one of {\"advance\": \"40d\"}, {\"set\": \"2027-01-01T00:00:00+08:00\"}, {\"freeze\": true}, {\"speed\": 60}"));
    }
    Ok(Json(clock_view(&world)))
}
