//! `/_sim/modems`: where the virtual AT modems listen — the TCP address of
//! the modem port and the pseudo-terminals offered as serial devices
//! (`devices::modem`). Shape documented in `docs/sms.md`.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::json;

use super::ApiResult;
use crate::world::World;

pub(super) async fn modems(State(world): State<Arc<World>>) -> ApiResult {
    let st = crate::sms::state(&world);
    let list = st.ptys.lock().clone();
    let tcp = st.modem_tcp.lock().map(|a| a.to_string());
    Ok(Json(json!({ "tcp": tcp, "modems": list })))
}
