//! `/_sim/pools`: flow pools (shared data) with this cycle's use — list,
//! read, create, patch, and delete a pool without members.

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
use crate::domain::Pool;
use crate::world::CardFilter;

pub async fn pools(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let carrier = carrier_param(&q)?;
    let account = q.get("account");
    let cycle = crate::clock::cycle_of(s.world.now());
    let mut v: Vec<_> = s
        .world
        .store
        .pools
        .iter()
        .filter(|p| carrier.is_none_or(|c| p.carrier == c))
        .filter(|p| account.is_none_or(|a| p.account == a.as_str()))
        .map(|p| p.clone())
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    page_of(v.iter().map(|p| views::pool(p, cycle)).collect(), &q)
}

pub async fn pool_one(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    let p = s
        .world
        .pool(&id)
        .ok_or_else(|| not_found(format!("pool {id} not found")))?;
    Ok(Json(views::pool(&p, crate::clock::cycle_of(s.world.now()))))
}

pub async fn pool_create(State(s): State<ControlState>, body: Bytes) -> Result<Response, ApiError> {
    let m = json_body(&body)?;
    let id = need_id(&m)?;
    if s.world.pool(&id).is_some() {
        return Err(conflict(format!("pool {id} already exists")));
    }
    let built = build_from_specs(&s.world, json!({"pools": [Value::Object(m)]}))?;
    let p = built
        .pools
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| bad("pool not built"))?;
    s.world.store.pools.insert(p.id.clone(), p.clone());
    journal_edit(
        &s.world,
        &p.account,
        format!("pool:{id}"),
        String::new(),
        "created".into(),
    );
    Ok(created(views::pool(
        &p,
        crate::clock::cycle_of(s.world.now()),
    )))
}

pub async fn pool_patch(
    State(s): State<ControlState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let m = json_body(&body)?;
    let cur = s
        .world
        .pool(&id)
        .ok_or_else(|| not_found(format!("pool {id} not found")))?;
    for fixed in ["account", "carrier"] {
        if m.contains_key(fixed)
            && m.get(fixed)
                != serde_json::to_value(&cur)
                    .ok()
                    .as_ref()
                    .and_then(|v| v.get(fixed))
        {
            return Err(conflict(format!("a pool's {fixed} cannot change")));
        }
    }
    let fields = m.keys().cloned().collect::<Vec<_>>().join(",");
    let new: Pool = merged(&cur, m)?;
    s.world.store.pools.insert(new.id.clone(), new.clone());
    journal_edit(
        &s.world,
        &new.account,
        format!("pool:{id}"),
        fields,
        "patched".into(),
    );
    Ok(Json(views::pool(
        &new,
        crate::clock::cycle_of(s.world.now()),
    )))
}

pub async fn pool_delete(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    let p = s
        .world
        .pool(&id)
        .ok_or_else(|| not_found(format!("pool {id} not found")))?;
    let filter = CardFilter {
        pool: Some(id.clone()),
        ..Default::default()
    };
    let (_, n) = s.world.list_cards(&filter, 1, 1);
    if n > 0 {
        return Err(conflict(format!("pool {id} still has {n} member card(s)")));
    }
    s.world.store.pools.remove(id.as_str());
    journal_edit(
        &s.world,
        &p.account,
        format!("pool:{id}"),
        "present".into(),
        "deleted".into(),
    );
    Ok(Json(json!({"deleted": id})))
}
