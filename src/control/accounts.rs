//! `/_sim/accounts` and `/_sim/credentials`: the carrier accounts (ECs)
//! with their credentials — list, read, create (fixture format), patch, and
//! delete an account without cards or pools.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};

use super::specs::{build_from_specs, journal_edit, merged, need_id};
use super::{
    bad, carrier_param, conflict, created, json_body, not_found, page_of, views, ApiError,
    ApiResult, ControlState,
};
use crate::domain::Account;
use crate::world::CardFilter;

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

pub async fn account_create(
    State(s): State<ControlState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let m = json_body(&body)?;
    let id = need_id(&m)?;
    if s.world.account(&id).is_some() {
        return Err(conflict(format!("account {id} already exists")));
    }
    let built = build_from_specs(&s.world, json!({"accounts": [Value::Object(m)]}))?;
    let a = built
        .accounts
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| bad("account not built"))?;
    s.world.store.accounts.insert(a.id.clone(), a.clone());
    journal_edit(
        &s.world,
        &id,
        format!("account:{id}"),
        String::new(),
        "created".into(),
    );
    Ok(created(views::account(&a)))
}

pub async fn account_patch(
    State(s): State<ControlState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let m = json_body(&body)?;
    let cur = s
        .world
        .account(&id)
        .ok_or_else(|| not_found(format!("account {id} not found")))?;
    if m.contains_key("carrier") && m.get("carrier") != Some(&json!(cur.carrier)) {
        return Err(conflict(
            "an account's carrier cannot change while it has cards",
        ));
    }
    let fields = m.keys().cloned().collect::<Vec<_>>().join(",");
    let new: Account = merged(&cur, m)?;
    s.world.store.accounts.insert(new.id.clone(), new.clone());
    journal_edit(
        &s.world,
        &id,
        format!("account:{id}"),
        fields,
        "patched".into(),
    );
    Ok(Json(views::account(&new)))
}

pub async fn account_delete(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    if s.world.account(&id).is_none() {
        return Err(not_found(format!("account {id} not found")));
    }
    let filter = CardFilter {
        account: Some(id.clone()),
        ..Default::default()
    };
    let (_, n) = s.world.list_cards(&filter, 1, 1);
    if n > 0 {
        return Err(conflict(format!(
            "account {id} still has {n} card(s); delete or move them first"
        )));
    }
    if s.world.store.pools.iter().any(|p| p.account == id) {
        return Err(conflict(format!("account {id} still has pools")));
    }
    s.world.store.accounts.remove(id.as_str());
    journal_edit(
        &s.world,
        &id,
        format!("account:{id}"),
        "present".into(),
        "deleted".into(),
    );
    Ok(Json(json!({"deleted": id})))
}

/// Credentials of every account, per carrier (for demos and tests).
pub async fn credentials(State(s): State<ControlState>) -> Json<Value> {
    let items: Vec<Value> = s
        .world
        .accounts()
        .iter()
        .map(|a| json!({"account": a.id, "name": a.name, "carrier": a.carrier, "credentials": a.credentials}))
        .collect();
    let total = items.len();
    Json(json!({"items": items, "total": total, "page": 1, "page_size": total}))
}
