//! `/_sim/plans`: the tariff plans cards are on — list, read, create
//! (fixture format), patch, and delete a plan no card uses.

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
use crate::domain::Plan;
use crate::world::CardFilter;

pub async fn plans(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let carrier = carrier_param(&q)?;
    let mut v: Vec<_> = s
        .world
        .store
        .plans
        .iter()
        .filter(|p| carrier.is_none_or(|c| p.carrier == c))
        .map(|p| p.clone())
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    page_of(v.iter().map(views::plan).collect(), &q)
}

pub async fn plan_one(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    let p = s
        .world
        .plan(&id)
        .ok_or_else(|| not_found(format!("plan {id} not found")))?;
    Ok(Json(views::plan(&p)))
}

pub async fn plan_create(State(s): State<ControlState>, body: Bytes) -> Result<Response, ApiError> {
    let m = json_body(&body)?;
    let id = need_id(&m)?;
    if s.world.plan(&id).is_some() {
        return Err(conflict(format!("plan {id} already exists")));
    }
    let built = build_from_specs(&s.world, json!({"plans": [Value::Object(m)]}))?;
    let p = built
        .plans
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| bad("plan not built"))?;
    s.world.store.plans.insert(p.id.clone(), p.clone());
    journal_edit(
        &s.world,
        "",
        format!("plan:{id}"),
        String::new(),
        "created".into(),
    );
    Ok(created(views::plan(&p)))
}

pub async fn plan_patch(
    State(s): State<ControlState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let m = json_body(&body)?;
    let cur = s
        .world
        .plan(&id)
        .ok_or_else(|| not_found(format!("plan {id} not found")))?;
    if m.contains_key("carrier") && m.get("carrier") != Some(&json!(cur.carrier)) {
        return Err(conflict("a plan's carrier cannot change"));
    }
    let fields = m.keys().cloned().collect::<Vec<_>>().join(",");
    let new: Plan = merged(&cur, m)?;
    if new.term_months == 0 {
        return Err(bad("term_months must be at least 1"));
    }
    s.world.store.plans.insert(new.id.clone(), new.clone());
    journal_edit(&s.world, "", format!("plan:{id}"), fields, "patched".into());
    Ok(Json(views::plan(&new)))
}

pub async fn plan_delete(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    if s.world.plan(&id).is_none() {
        return Err(not_found(format!("plan {id} not found")));
    }
    let filter = CardFilter {
        plan: Some(id.clone()),
        ..Default::default()
    };
    let (_, n) = s.world.list_cards(&filter, 1, 1);
    if n > 0 {
        return Err(conflict(format!("plan {id} is used by {n} card(s)")));
    }
    s.world.store.plans.remove(id.as_str());
    journal_edit(
        &s.world,
        "",
        format!("plan:{id}"),
        "present".into(),
        "deleted".into(),
    );
    Ok(Json(json!({"deleted": id})))
}
