//! `/_sim/accounts`: the carrier accounts (ECs) with their credentials.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::Value;

use super::{carrier_param, not_found, page_of, views, ApiResult, ControlState};

pub async fn accounts(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let carrier = carrier_param(&q)?;
    let items: Vec<Value> = s
        .world
        .accounts()
        .iter()
        .filter(|a| carrier.is_none_or(|c| a.carrier == c))
        .map(views::account)
        .collect();
    page_of(items, &q)
}

pub async fn account_one(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    let a = s
        .world
        .account(&id)
        .ok_or_else(|| not_found(format!("account {id} not found")))?;
    Ok(Json(views::account(&a)))
}
